SELECT
  "t5"."as_of",
  "t5"."account_id",
  COUNT(*) FILTER(WHERE
    "t5"."event_time" >= "t5"."s7") AS "cur"
FROM (
  SELECT
    "t4"."event_key",
    "t4"."event_id",
    "t4"."account_id",
    "t4"."user_id",
    "t4"."event_time",
    "t4"."event_type",
    "t4"."value",
    "t4"."properties",
    "t2"."as_of",
    "t2"."as_of_n",
    "t2"."end_ts",
    "t2"."s7",
    "t2"."d7",
    "t2"."s14",
    "t2"."d14",
    "t2"."s28",
    "t2"."d28",
    "t2"."s30",
    "t2"."d30",
    "t2"."s60",
    "t2"."d60",
    "t2"."s90",
    "t2"."d90",
    "t2"."s180",
    "t2"."d180",
    "t2"."s365",
    "t2"."d365",
    "t2"."s730",
    "t2"."d730"
  FROM (
    SELECT
      *
    FROM "events" AS "t0"
    WHERE
      "t0"."event_type" IN ('login') AND "t0"."event_time" IS NOT NULL
  ) AS "t4"
  INNER JOIN "memtable_1" AS "t2"
    ON "t4"."event_time" < "t2"."end_ts"
) AS "t5"
GROUP BY
  1,
  2

-- next query

SELECT
  "t5"."as_of",
  "t5"."account_id",
  COUNT(*) FILTER(WHERE
    "t5"."opened_at" >= "t5"."s90") AS "cur"
FROM (
  SELECT
    "t4"."ticket_id",
    "t4"."account_id",
    "t4"."contact_id",
    "t4"."opened_at",
    "t4"."first_response_at",
    "t4"."resolved_at",
    "t4"."status",
    "t4"."priority",
    "t4"."category",
    "t4"."channel",
    "t4"."csat",
    "t4"."escalated",
    "t4"."subject",
    "t4"."body",
    "t4"."feature",
    "t4"."escalated_at",
    "t2"."as_of",
    "t2"."as_of_n",
    "t2"."end_ts",
    "t2"."s7",
    "t2"."d7",
    "t2"."s14",
    "t2"."d14",
    "t2"."s28",
    "t2"."d28",
    "t2"."s30",
    "t2"."d30",
    "t2"."s60",
    "t2"."d60",
    "t2"."s90",
    "t2"."d90",
    "t2"."s180",
    "t2"."d180",
    "t2"."s365",
    "t2"."d365",
    "t2"."s730",
    "t2"."d730"
  FROM (
    SELECT
      *
    FROM "tickets" AS "t0"
    WHERE
      "t0"."category" IN ('bug', 'how-to') AND "t0"."opened_at" IS NOT NULL
  ) AS "t4"
  INNER JOIN "memtable_1" AS "t2"
    ON "t4"."opened_at" < "t2"."end_ts"
) AS "t5"
GROUP BY
  1,
  2

-- next query

SELECT
  "t5"."as_of",
  "t5"."account_id",
  COUNT(*) FILTER(WHERE
    "t5"."event_time" >= "t5"."s7") AS "cur",
  COUNT(*) FILTER(WHERE
    (
      "t5"."event_time" >= "t5"."s14"
    ) AND (
      "t5"."event_time" < "t5"."s7"
    )) AS "prev"
FROM (
  SELECT
    "t4"."event_key",
    "t4"."event_id",
    "t4"."account_id",
    "t4"."user_id",
    "t4"."event_time",
    "t4"."event_type",
    "t4"."value",
    "t4"."properties",
    "t2"."as_of",
    "t2"."as_of_n",
    "t2"."end_ts",
    "t2"."s7",
    "t2"."d7",
    "t2"."s14",
    "t2"."d14",
    "t2"."s28",
    "t2"."d28",
    "t2"."s30",
    "t2"."d30",
    "t2"."s60",
    "t2"."d60",
    "t2"."s90",
    "t2"."d90",
    "t2"."s180",
    "t2"."d180",
    "t2"."s365",
    "t2"."d365",
    "t2"."s730",
    "t2"."d730"
  FROM (
    SELECT
      *
    FROM "events" AS "t0"
    WHERE
      "t0"."event_type" IN ('login') AND "t0"."event_time" IS NOT NULL
  ) AS "t4"
  INNER JOIN "memtable_1" AS "t2"
    ON "t4"."event_time" < "t2"."end_ts"
) AS "t5"
GROUP BY
  1,
  2

-- next query

SELECT
  "t5"."as_of",
  "t5"."account_id",
  SUM("t5"."amount") FILTER(WHERE
    "t5"."issued_date" >= "t5"."d30") AS "cur",
  SUM("t5"."amount") FILTER(WHERE
    (
      "t5"."issued_date" >= "t5"."d60"
    ) AND (
      "t5"."issued_date" < "t5"."d30"
    )) AS "prev"
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
    "t2"."s14",
    "t2"."d14",
    "t2"."s28",
    "t2"."d28",
    "t2"."s30",
    "t2"."d30",
    "t2"."s60",
    "t2"."d60",
    "t2"."s90",
    "t2"."d90",
    "t2"."s180",
    "t2"."d180",
    "t2"."s365",
    "t2"."d365",
    "t2"."s730",
    "t2"."d730"
  FROM (
    SELECT
      *
    FROM "invoices" AS "t0"
    WHERE
      "t0"."issued_date" IS NOT NULL
  ) AS "t4"
  INNER JOIN "memtable_1" AS "t2"
    ON "t4"."issued_date" <= "t2"."as_of"
) AS "t5"
GROUP BY
  1,
  2

-- next query

SELECT
  "t5"."as_of",
  "t5"."account_id",
  MAX("t5"."occurred_at") AS "last"
FROM (
  SELECT
    "t4"."interaction_id",
    "t4"."account_id",
    "t4"."contact_id",
    "t4"."csm",
    "t4"."kind",
    "t4"."direction",
    "t4"."occurred_at",
    "t4"."notes",
    "t2"."as_of",
    "t2"."as_of_n",
    "t2"."end_ts",
    "t2"."s7",
    "t2"."d7",
    "t2"."s14",
    "t2"."d14",
    "t2"."s28",
    "t2"."d28",
    "t2"."s30",
    "t2"."d30",
    "t2"."s60",
    "t2"."d60",
    "t2"."s90",
    "t2"."d90",
    "t2"."s180",
    "t2"."d180",
    "t2"."s365",
    "t2"."d365",
    "t2"."s730",
    "t2"."d730"
  FROM (
    SELECT
      *
    FROM "interactions" AS "t0"
    WHERE
      "t0"."kind" IN ('call') AND "t0"."occurred_at" IS NOT NULL
  ) AS "t4"
  INNER JOIN "memtable_1" AS "t2"
    ON "t4"."occurred_at" < "t2"."end_ts"
) AS "t5"
GROUP BY
  1,
  2

-- next query

SELECT
  "t5"."as_of",
  "t5"."account_id",
  SUM("t5"."failed_attempts") FILTER(WHERE
    "t5"."issued_date" >= "t5"."d365") AS "cur"
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
    "t2"."s14",
    "t2"."d14",
    "t2"."s28",
    "t2"."d28",
    "t2"."s30",
    "t2"."d30",
    "t2"."s60",
    "t2"."d60",
    "t2"."s90",
    "t2"."d90",
    "t2"."s180",
    "t2"."d180",
    "t2"."s365",
    "t2"."d365",
    "t2"."s730",
    "t2"."d730"
  FROM (
    SELECT
      *
    FROM "invoices" AS "t0"
    WHERE
      "t0"."issued_date" IS NOT NULL
  ) AS "t4"
  INNER JOIN "memtable_1" AS "t2"
    ON "t4"."issued_date" <= "t2"."as_of"
) AS "t5"
GROUP BY
  1,
  2
