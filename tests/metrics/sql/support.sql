SELECT
  "t4"."as_of",
  "t4"."account_id",
  COUNT(*) FILTER(WHERE
    "t4"."opened_at" >= "t4"."s28") AS "support_tickets_28d",
  COUNT(*) FILTER(WHERE
    "t4"."opened_at" >= "t4"."s90") AS "support_tickets_90d",
  COUNT(*) FILTER(WHERE
    NOT (
      (
        "t4"."resolved_at" IS NOT NULL
      ) AND (
        "t4"."resolved_at" < "t4"."end_ts"
      )
    )) AS "support_open_tickets",
  QUANTILE_CONT(
    CASE
      WHEN (
        "t4"."opened_at" >= "t4"."s90"
      )
      AND (
        (
          "t4"."first_response_at" IS NOT NULL
        )
        AND (
          "t4"."first_response_at" < "t4"."end_ts"
        )
      )
      THEN (
        EPOCH(CAST("t4"."first_response_at" AS TIMESTAMP)) - EPOCH(CAST("t4"."opened_at" AS TIMESTAMP))
      ) / 3600.0
      ELSE CAST(NULL AS DOUBLE)
    END,
    0.5
  ) AS "support_median_first_response_hours_90d",
  QUANTILE_CONT(
    CASE
      WHEN (
        "t4"."resolved_at" IS NOT NULL
      )
      AND (
        "t4"."resolved_at" < "t4"."end_ts"
      )
      AND (
        "t4"."resolved_at" >= "t4"."s90"
      )
      THEN (
        EPOCH(CAST("t4"."resolved_at" AS TIMESTAMP)) - EPOCH(CAST("t4"."opened_at" AS TIMESTAMP))
      ) / 3600.0
      ELSE CAST(NULL AS DOUBLE)
    END,
    0.5
  ) AS "support_median_resolution_hours_90d",
  COUNT(*) FILTER(WHERE
    (
      "t4"."opened_at" >= "t4"."s90"
    ) AND "t4"."priority" IN ('high', 'urgent')) AS "support_high_priority_90d",
  COUNT(*) FILTER(WHERE
    CASE
      WHEN "t4"."escalated_at" IS NULL
      THEN (
        "t4"."opened_at" >= "t4"."s90"
      ) AND (
        "t4"."escalated" = TRUE
      )
      ELSE (
        "t4"."escalated_at" >= "t4"."s90"
      )
      AND (
        "t4"."escalated_at" < "t4"."end_ts"
      )
    END) AS "support_escalated_90d",
  AVG("t4"."csat") FILTER(WHERE
    (
      "t4"."resolved_at" IS NOT NULL
    )
    AND (
      "t4"."resolved_at" < "t4"."end_ts"
    )
    AND (
      "t4"."resolved_at" >= "t4"."s90"
    )) AS "support_csat_avg_90d",
  COUNT(*) FILTER(WHERE
    (
      "t4"."opened_at" >= "t4"."s90"
    ) AND (
      "t4"."category" = 'billing'
    )) AS "cat_billing",
  COUNT(*) FILTER(WHERE
    (
      "t4"."opened_at" >= "t4"."s90"
    ) AND (
      "t4"."category" = 'bug'
    )) AS "cat_bug",
  COUNT(*) FILTER(WHERE
    (
      "t4"."opened_at" >= "t4"."s90"
    ) AND (
      "t4"."category" = 'how-to'
    )) AS "cat_how_to"
FROM (
  SELECT
    "t2"."ticket_id",
    "t2"."account_id",
    "t2"."contact_id",
    "t2"."opened_at",
    "t2"."first_response_at",
    "t2"."resolved_at",
    "t2"."status",
    "t2"."priority",
    "t2"."category",
    "t2"."channel",
    "t2"."csat",
    "t2"."escalated",
    "t2"."subject",
    "t2"."body",
    "t2"."feature",
    "t2"."escalated_at",
    "t3"."as_of",
    "t3"."as_of_n",
    "t3"."end_ts",
    "t3"."s7",
    "t3"."d7",
    "t3"."s28",
    "t3"."d28",
    "t3"."s90",
    "t3"."d90",
    "t3"."s180",
    "t3"."d180",
    "t3"."s365",
    "t3"."d365"
  FROM "tickets" AS "t2"
  INNER JOIN "memtable_1" AS "t3"
    ON "t2"."opened_at" < "t3"."end_ts"
) AS "t4"
GROUP BY
  1,
  2
