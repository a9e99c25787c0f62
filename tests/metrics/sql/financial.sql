SELECT
  "t5"."as_of",
  "t5"."account_id",
  COUNT(*) FILTER(WHERE
    (
      "t5"."due_date" < "t5"."as_of"
    )
    AND NOT (
      (
        "t5"."paid_date" IS NOT NULL
      ) AND (
        "t5"."paid_date" <= "t5"."as_of"
      )
    )) AS "financial_unpaid_overdue_invoices",
  SUM("t5"."failed_attempts") FILTER(WHERE
    "t5"."issued_date" >= "t5"."d90") AS "financial_failed_payments_90d",
  MAX(
    GREATEST(
      CASE
        WHEN (
          "t5"."paid_date" IS NOT NULL
        ) AND (
          "t5"."paid_date" <= "t5"."as_of"
        )
        THEN CAST(FLOOR(
          (
            EPOCH(CAST(CAST("t5"."paid_date" AS TIMESTAMP) AS TIMESTAMP))
          ) / (
            86400
          )
        ) AS BIGINT) - CAST(FLOOR((
          EPOCH(CAST(CAST("t5"."due_date" AS TIMESTAMP) AS TIMESTAMP))
        ) / (
          86400
        )) AS BIGINT)
        ELSE "t5"."as_of_n" - CAST(FLOOR((
          EPOCH(CAST(CAST("t5"."due_date" AS TIMESTAMP) AS TIMESTAMP))
        ) / (
          86400
        )) AS BIGINT)
      END,
      0
    )
  ) FILTER(WHERE
    (
      "t5"."due_date" >= "t5"."d90"
    ) AND (
      "t5"."due_date" <= "t5"."as_of"
    )) AS "financial_days_late_max_90d",
  AVG(
    GREATEST(
      CASE
        WHEN (
          "t5"."paid_date" IS NOT NULL
        ) AND (
          "t5"."paid_date" <= "t5"."as_of"
        )
        THEN CAST(FLOOR(
          (
            EPOCH(CAST(CAST("t5"."paid_date" AS TIMESTAMP) AS TIMESTAMP))
          ) / (
            86400
          )
        ) AS BIGINT) - CAST(FLOOR((
          EPOCH(CAST(CAST("t5"."due_date" AS TIMESTAMP) AS TIMESTAMP))
        ) / (
          86400
        )) AS BIGINT)
        ELSE "t5"."as_of_n" - CAST(FLOOR((
          EPOCH(CAST(CAST("t5"."due_date" AS TIMESTAMP) AS TIMESTAMP))
        ) / (
          86400
        )) AS BIGINT)
      END,
      0
    )
  ) FILTER(WHERE
    (
      "t5"."due_date" >= "t5"."d90"
    ) AND (
      "t5"."due_date" <= "t5"."as_of"
    )) AS "financial_days_late_avg_90d",
  MAX(
    GREATEST(
      CASE
        WHEN (
          "t5"."paid_date" IS NOT NULL
        ) AND (
          "t5"."paid_date" <= "t5"."as_of"
        )
        THEN CAST(FLOOR(
          (
            EPOCH(CAST(CAST("t5"."paid_date" AS TIMESTAMP) AS TIMESTAMP))
          ) / (
            86400
          )
        ) AS BIGINT) - CAST(FLOOR((
          EPOCH(CAST(CAST("t5"."due_date" AS TIMESTAMP) AS TIMESTAMP))
        ) / (
          86400
        )) AS BIGINT)
        ELSE "t5"."as_of_n" - CAST(FLOOR((
          EPOCH(CAST(CAST("t5"."due_date" AS TIMESTAMP) AS TIMESTAMP))
        ) / (
          86400
        )) AS BIGINT)
      END,
      0
    )
  ) FILTER(WHERE
    (
      "t5"."due_date" >= "t5"."d180"
    ) AND (
      "t5"."due_date" <= "t5"."as_of"
    )) AS "financial_days_late_max_180d",
  AVG(
    GREATEST(
      CASE
        WHEN (
          "t5"."paid_date" IS NOT NULL
        ) AND (
          "t5"."paid_date" <= "t5"."as_of"
        )
        THEN CAST(FLOOR(
          (
            EPOCH(CAST(CAST("t5"."paid_date" AS TIMESTAMP) AS TIMESTAMP))
          ) / (
            86400
          )
        ) AS BIGINT) - CAST(FLOOR((
          EPOCH(CAST(CAST("t5"."due_date" AS TIMESTAMP) AS TIMESTAMP))
        ) / (
          86400
        )) AS BIGINT)
        ELSE "t5"."as_of_n" - CAST(FLOOR((
          EPOCH(CAST(CAST("t5"."due_date" AS TIMESTAMP) AS TIMESTAMP))
        ) / (
          86400
        )) AS BIGINT)
      END,
      0
    )
  ) FILTER(WHERE
    (
      "t5"."due_date" >= "t5"."d180"
    ) AND (
      "t5"."due_date" <= "t5"."as_of"
    )) AS "financial_days_late_avg_180d"
FROM (
  SELECT
    "t4"."invoice_id",
    "t4"."account_id",
    "t4"."issued_date",
    "t4"."due_date",
    "t4"."paid_date",
    "t4"."amount",
    "t4"."currency",
    "t4"."failed_attempts",
    "t4"."status",
    "t2"."as_of",
    "t2"."as_of_n",
    "t2"."end_ts",
    "t2"."s7",
    "t2"."d7",
    "t2"."s28",
    "t2"."d28",
    "t2"."s90",
    "t2"."d90",
    "t2"."s180",
    "t2"."d180",
    "t2"."s365",
    "t2"."d365"
  FROM (
    SELECT
      *
    FROM "invoices" AS "t0"
    WHERE
      (
        "t0"."status" IS NULL
      ) OR (
        "t0"."status" <> 'void'
      )
  ) AS "t4"
  INNER JOIN "memtable_1" AS "t2"
    ON "t4"."issued_date" <= "t2"."as_of"
) AS "t5"
GROUP BY
  1,
  2

-- next query

SELECT
  "t3"."as_of",
  "t3"."shift",
  "t2"."account_id",
  "t2"."product",
  "t2"."start_date",
  CAST("t2"."bill_period_months" AS DOUBLE) AS "period",
  "t2"."discount",
  "t2"."mrr",
  "t2"."quantity",
  (
    "t2"."units" IS NULL
  )
  OR LOWER("t2"."units") IN ('seat', 'seats', 'user', 'users', 'license', 'licenses', 'licence', 'licences') AS "seat_like"
FROM "subscriptions" AS "t2"
INNER JOIN "memtable_1" AS "t3"
  ON "t2"."start_date" <= "t3"."at"
  AND (
    (
      "t2"."end_date" IS NULL
    ) OR (
      "t2"."end_date" > "t3"."at"
    )
  )
