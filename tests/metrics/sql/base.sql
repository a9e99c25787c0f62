SELECT
  "t0"."account_id",
  "t0"."start_date",
  "t0"."seats_purchased",
  "t0"."renewal_date"
FROM "accounts" AS "t0"

-- next query

SELECT
  "t0"."account_id",
  MIN("t0"."start_date") AS "first_sub"
FROM "subscriptions" AS "t0"
GROUP BY
  1

-- next query

SELECT
  "t4"."as_of",
  "t4"."account_id",
  COUNT("t4"."mrr") FILTER(WHERE
    "t4"."shift" = 0) AS "n_active",
  SUM("t4"."mrr") FILTER(WHERE
    "t4"."shift" = 0) AS "financial_mrr",
  SUM("t4"."mrr") FILTER(WHERE
    "t4"."shift" = 28) AS "mrr28",
  SUM("t4"."mrr") FILTER(WHERE
    "t4"."shift" = 90) AS "mrr90",
  SUM("t4"."quantity") FILTER(WHERE
    (
      "t4"."shift" = 0
    )
    AND (
      (
        "t4"."units" IS NULL
      )
      OR LOWER("t4"."units") IN ('seat', 'seats', 'user', 'users', 'license', 'licenses', 'licence', 'licences')
    )) AS "seats"
FROM (
  SELECT
    "t2"."subscription_id",
    "t2"."account_id",
    "t2"."product",
    "t2"."start_date",
    "t2"."end_date",
    "t2"."mrr",
    "t2"."quantity",
    "t2"."units",
    "t2"."bill_period_months",
    "t2"."discount",
    "t2"."status",
    "t2"."canceled_at",
    "t2"."current_period_end",
    "t2"."trial_end",
    "t2"."paused_at",
    "t2"."resumes_at",
    "t3"."as_of",
    "t3"."at",
    "t3"."shift"
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
) AS "t4"
GROUP BY
  1,
  2
