SELECT
  "t6"."as_of",
  "t6"."account_id",
  "t6"."event_type",
  MIN("t6"."first_t") AS "first_t",
  SUM(CASE WHEN "t6"."w7" = 1 THEN "t6"."n" ELSE 0 END) AS "c7",
  SUM(CASE WHEN "t6"."p7" = 1 THEN "t6"."n" ELSE 0 END) AS "q7",
  SUM(CASE WHEN "t6"."w28" = 1 THEN "t6"."n" ELSE 0 END) AS "c28",
  SUM(CASE WHEN "t6"."p28" = 1 THEN "t6"."n" ELSE 0 END) AS "q28",
  SUM(CASE WHEN "t6"."w90" = 1 THEN "t6"."n" ELSE 0 END) AS "c90",
  SUM(CASE WHEN "t6"."p90" = 1 THEN "t6"."n" ELSE 0 END) AS "q90",
  SUM(CASE WHEN "t6"."w90b" = 1 THEN "t6"."n" ELSE 0 END) AS "c90b"
FROM (
  SELECT
    "t5"."account_id",
    "t5"."event_type",
    "t5"."seg",
    "t5"."n",
    "t5"."first_t",
    "t2"."as_of",
    "t2"."wk",
    "t2"."w7",
    "t2"."p7",
    "t2"."w28",
    "t2"."p28",
    "t2"."w90",
    "t2"."p90",
    "t2"."w90b"
  FROM (
    SELECT
      "t3"."account_id",
      "t3"."event_type",
      "t3"."seg",
      COUNT(*) AS "n",
      MIN("t3"."event_time") AS "first_t"
    FROM (
      SELECT
        "t1"."event_key",
        "t1"."event_id",
        "t1"."account_id",
        "t1"."user_id",
        "t1"."event_time",
        "t1"."event_type",
        "t1"."value",
        "t1"."properties",
        CASE
          WHEN "t1"."event_time" >= MAKE_TIMESTAMP(2024, 2, 5, 0, 0, 0.0)
          THEN CASE
            WHEN "t1"."event_time" >= MAKE_TIMESTAMP(2024, 3, 18, 0, 0, 0.0)
            THEN CASE
              WHEN "t1"."event_time" >= MAKE_TIMESTAMP(2024, 3, 25, 0, 0, 0.0)
              THEN 6
              ELSE 5
            END
            ELSE CASE
              WHEN "t1"."event_time" >= MAKE_TIMESTAMP(2024, 3, 4, 0, 0, 0.0)
              THEN 4
              ELSE 3
            END
          END
          ELSE CASE
            WHEN "t1"."event_time" >= MAKE_TIMESTAMP(2023, 10, 4, 0, 0, 0.0)
            THEN CASE
              WHEN "t1"."event_time" >= MAKE_TIMESTAMP(2024, 1, 2, 0, 0, 0.0)
              THEN 2
              ELSE 1
            END
            ELSE 0
          END
        END AS "seg"
      FROM "events" AS "t1"
      WHERE
        "t1"."event_time" < MAKE_TIMESTAMP(2024, 4, 1, 0, 0, 0.0)
    ) AS "t3"
    GROUP BY
      1,
      2,
      3
  ) AS "t5"
  INNER JOIN "memtable_1" AS "t2"
    ON "t5"."seg" = "t2"."seg"
) AS "t6"
GROUP BY
  1,
  2,
  3

-- next query

SELECT
  "t6"."as_of",
  "t6"."account_id",
  MAX("t6"."last_t") AS "last_t",
  SUM(CASE WHEN "t6"."w7" = 1 THEN "t6"."n" ELSE 0 END) AS "usage_events_7d",
  SUM(CASE WHEN "t6"."p7" = 1 THEN "t6"."n" ELSE 0 END) AS "prev_events_7d",
  SUM(CASE WHEN "t6"."w7" = 1 THEN "t6"."days" ELSE 0 END) AS "usage_active_days_7d",
  SUM(CASE WHEN "t6"."p7" = 1 THEN "t6"."days" ELSE 0 END) AS "prev_days_7d",
  SUM(CASE WHEN "t6"."w28" = 1 THEN "t6"."n" ELSE 0 END) AS "usage_events_28d",
  SUM(CASE WHEN "t6"."p28" = 1 THEN "t6"."n" ELSE 0 END) AS "prev_events_28d",
  SUM(CASE WHEN "t6"."w28" = 1 THEN "t6"."days" ELSE 0 END) AS "usage_active_days_28d",
  SUM(CASE WHEN "t6"."p28" = 1 THEN "t6"."days" ELSE 0 END) AS "prev_days_28d",
  SUM(CASE WHEN "t6"."w90" = 1 THEN "t6"."n" ELSE 0 END) AS "usage_events_90d",
  SUM(CASE WHEN "t6"."p90" = 1 THEN "t6"."n" ELSE 0 END) AS "prev_events_90d",
  SUM(CASE WHEN "t6"."w90" = 1 THEN "t6"."days" ELSE 0 END) AS "usage_active_days_90d",
  SUM(CASE WHEN "t6"."p90" = 1 THEN "t6"."days" ELSE 0 END) AS "prev_days_90d"
FROM (
  SELECT
    "t5"."account_id",
    "t5"."seg",
    "t5"."n",
    "t5"."days",
    "t5"."last_t",
    "t2"."as_of",
    "t2"."wk",
    "t2"."w7",
    "t2"."p7",
    "t2"."w28",
    "t2"."p28",
    "t2"."w90",
    "t2"."p90",
    "t2"."w90b"
  FROM (
    SELECT
      "t3"."account_id",
      "t3"."seg",
      COUNT(*) AS "n",
      COUNT(DISTINCT CAST("t3"."event_time" AS DATE)) AS "days",
      MAX("t3"."event_time") AS "last_t"
    FROM (
      SELECT
        "t1"."event_key",
        "t1"."event_id",
        "t1"."account_id",
        "t1"."user_id",
        "t1"."event_time",
        "t1"."event_type",
        "t1"."value",
        "t1"."properties",
        CASE
          WHEN "t1"."event_time" >= MAKE_TIMESTAMP(2024, 2, 5, 0, 0, 0.0)
          THEN CASE
            WHEN "t1"."event_time" >= MAKE_TIMESTAMP(2024, 3, 4, 0, 0, 0.0)
            THEN CASE
              WHEN "t1"."event_time" >= MAKE_TIMESTAMP(2024, 3, 18, 0, 0, 0.0)
              THEN CASE
                WHEN "t1"."event_time" >= MAKE_TIMESTAMP(2024, 3, 25, 0, 0, 0.0)
                THEN 14
                ELSE 13
              END
              ELSE CASE
                WHEN "t1"."event_time" >= MAKE_TIMESTAMP(2024, 3, 11, 0, 0, 0.0)
                THEN 12
                ELSE 11
              END
            END
            ELSE CASE
              WHEN "t1"."event_time" >= MAKE_TIMESTAMP(2024, 2, 19, 0, 0, 0.0)
              THEN CASE
                WHEN "t1"."event_time" >= MAKE_TIMESTAMP(2024, 2, 26, 0, 0, 0.0)
                THEN 10
                ELSE 9
              END
              ELSE CASE
                WHEN "t1"."event_time" >= MAKE_TIMESTAMP(2024, 2, 12, 0, 0, 0.0)
                THEN 8
                ELSE 7
              END
            END
          END
          ELSE CASE
            WHEN "t1"."event_time" >= MAKE_TIMESTAMP(2024, 1, 8, 0, 0, 0.0)
            THEN CASE
              WHEN "t1"."event_time" >= MAKE_TIMESTAMP(2024, 1, 22, 0, 0, 0.0)
              THEN CASE
                WHEN "t1"."event_time" >= MAKE_TIMESTAMP(2024, 1, 29, 0, 0, 0.0)
                THEN 6
                ELSE 5
              END
              ELSE CASE
                WHEN "t1"."event_time" >= MAKE_TIMESTAMP(2024, 1, 15, 0, 0, 0.0)
                THEN 4
                ELSE 3
              END
            END
            ELSE CASE
              WHEN "t1"."event_time" >= MAKE_TIMESTAMP(2023, 10, 4, 0, 0, 0.0)
              THEN CASE
                WHEN "t1"."event_time" >= MAKE_TIMESTAMP(2024, 1, 2, 0, 0, 0.0)
                THEN 2
                ELSE 1
              END
              ELSE 0
            END
          END
        END AS "seg"
      FROM "events" AS "t1"
      WHERE
        "t1"."event_time" < MAKE_TIMESTAMP(2024, 4, 1, 0, 0, 0.0)
    ) AS "t3"
    GROUP BY
      1,
      2
  ) AS "t5"
  INNER JOIN "memtable_1" AS "t2"
    ON "t5"."seg" = "t2"."seg"
) AS "t6"
GROUP BY
  1,
  2

-- next query

SELECT
  "t7"."as_of",
  "t7"."account_id",
  "t7"."wk",
  SUM("t7"."n") AS "x"
FROM (
  SELECT
    *
  FROM (
    SELECT
      "t5"."account_id",
      "t5"."seg",
      "t5"."n",
      "t5"."days",
      "t5"."last_t",
      "t2"."as_of",
      "t2"."wk",
      "t2"."w7",
      "t2"."p7",
      "t2"."w28",
      "t2"."p28",
      "t2"."w90",
      "t2"."p90",
      "t2"."w90b"
    FROM (
      SELECT
        "t3"."account_id",
        "t3"."seg",
        COUNT(*) AS "n",
        COUNT(DISTINCT CAST("t3"."event_time" AS DATE)) AS "days",
        MAX("t3"."event_time") AS "last_t"
      FROM (
        SELECT
          "t1"."event_key",
          "t1"."event_id",
          "t1"."account_id",
          "t1"."user_id",
          "t1"."event_time",
          "t1"."event_type",
          "t1"."value",
          "t1"."properties",
          CASE
            WHEN "t1"."event_time" >= MAKE_TIMESTAMP(2024, 2, 5, 0, 0, 0.0)
            THEN CASE
              WHEN "t1"."event_time" >= MAKE_TIMESTAMP(2024, 3, 4, 0, 0, 0.0)
              THEN CASE
                WHEN "t1"."event_time" >= MAKE_TIMESTAMP(2024, 3, 18, 0, 0, 0.0)
                THEN CASE
                  WHEN "t1"."event_time" >= MAKE_TIMESTAMP(2024, 3, 25, 0, 0, 0.0)
                  THEN 14
                  ELSE 13
                END
                ELSE CASE
                  WHEN "t1"."event_time" >= MAKE_TIMESTAMP(2024, 3, 11, 0, 0, 0.0)
                  THEN 12
                  ELSE 11
                END
              END
              ELSE CASE
                WHEN "t1"."event_time" >= MAKE_TIMESTAMP(2024, 2, 19, 0, 0, 0.0)
                THEN CASE
                  WHEN "t1"."event_time" >= MAKE_TIMESTAMP(2024, 2, 26, 0, 0, 0.0)
                  THEN 10
                  ELSE 9
                END
                ELSE CASE
                  WHEN "t1"."event_time" >= MAKE_TIMESTAMP(2024, 2, 12, 0, 0, 0.0)
                  THEN 8
                  ELSE 7
                END
              END
            END
            ELSE CASE
              WHEN "t1"."event_time" >= MAKE_TIMESTAMP(2024, 1, 8, 0, 0, 0.0)
              THEN CASE
                WHEN "t1"."event_time" >= MAKE_TIMESTAMP(2024, 1, 22, 0, 0, 0.0)
                THEN CASE
                  WHEN "t1"."event_time" >= MAKE_TIMESTAMP(2024, 1, 29, 0, 0, 0.0)
                  THEN 6
                  ELSE 5
                END
                ELSE CASE
                  WHEN "t1"."event_time" >= MAKE_TIMESTAMP(2024, 1, 15, 0, 0, 0.0)
                  THEN 4
                  ELSE 3
                END
              END
              ELSE CASE
                WHEN "t1"."event_time" >= MAKE_TIMESTAMP(2023, 10, 4, 0, 0, 0.0)
                THEN CASE
                  WHEN "t1"."event_time" >= MAKE_TIMESTAMP(2024, 1, 2, 0, 0, 0.0)
                  THEN 2
                  ELSE 1
                END
                ELSE 0
              END
            END
          END AS "seg"
        FROM "events" AS "t1"
        WHERE
          "t1"."event_time" < MAKE_TIMESTAMP(2024, 4, 1, 0, 0, 0.0)
      ) AS "t3"
      GROUP BY
        1,
        2
    ) AS "t5"
    INNER JOIN "memtable_1" AS "t2"
      ON "t5"."seg" = "t2"."seg"
  ) AS "t6"
  WHERE
    "t6"."wk" >= 0
) AS "t7"
GROUP BY
  1,
  2,
  3

-- next query

SELECT
  "t6"."as_of",
  "t6"."account_id",
  SUM("t6"."u7") AS "usage_active_users_7d",
  SUM("t6"."u28") AS "usage_active_users_28d",
  SUM("t6"."u90") AS "usage_active_users_90d"
FROM (
  SELECT
    "t5"."as_of",
    "t5"."account_id",
    "t5"."user_id",
    MAX("t5"."w7") AS "u7",
    MAX("t5"."w28") AS "u28",
    MAX("t5"."w90") AS "u90"
  FROM (
    SELECT
      "t4"."account_id",
      "t4"."seg",
      "t4"."user_id",
      "t2"."as_of",
      "t2"."wk",
      "t2"."w7",
      "t2"."p7",
      "t2"."w28",
      "t2"."p28",
      "t2"."w90",
      "t2"."p90",
      "t2"."w90b"
    FROM (
      SELECT DISTINCT
        "t0"."account_id",
        CASE
          WHEN "t0"."event_time" >= MAKE_TIMESTAMP(2024, 2, 5, 0, 0, 0.0)
          THEN CASE
            WHEN "t0"."event_time" >= MAKE_TIMESTAMP(2024, 3, 18, 0, 0, 0.0)
            THEN CASE
              WHEN "t0"."event_time" >= MAKE_TIMESTAMP(2024, 3, 25, 0, 0, 0.0)
              THEN 6
              ELSE 5
            END
            ELSE CASE
              WHEN "t0"."event_time" >= MAKE_TIMESTAMP(2024, 3, 4, 0, 0, 0.0)
              THEN 4
              ELSE 3
            END
          END
          ELSE CASE
            WHEN "t0"."event_time" >= MAKE_TIMESTAMP(2023, 10, 4, 0, 0, 0.0)
            THEN CASE
              WHEN "t0"."event_time" >= MAKE_TIMESTAMP(2024, 1, 2, 0, 0, 0.0)
              THEN 2
              ELSE 1
            END
            ELSE 0
          END
        END AS "seg",
        "t0"."user_id"
      FROM "events" AS "t0"
      WHERE
        "t0"."event_time" < MAKE_TIMESTAMP(2024, 4, 1, 0, 0, 0.0)
        AND "t0"."user_id" IS NOT NULL
        AND "t0"."event_time" >= MAKE_TIMESTAMP(2024, 1, 2, 0, 0, 0.0)
    ) AS "t4"
    INNER JOIN "memtable_1" AS "t2"
      ON "t4"."seg" = "t2"."seg"
  ) AS "t5"
  GROUP BY
    1,
    2,
    3
) AS "t6"
GROUP BY
  1,
  2
