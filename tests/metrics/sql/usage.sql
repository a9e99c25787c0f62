SELECT
  "t7"."as_of",
  "t7"."account_id",
  "t7"."event_type",
  MIN("t7"."ft") AS "first_t",
  SUM("t7"."cum" * "t7"."c7") AS "c7",
  SUM("t7"."cum" * "t7"."q7") AS "q7",
  SUM("t7"."cum" * "t7"."c28") AS "c28",
  SUM("t7"."cum" * "t7"."q28") AS "q28",
  SUM("t7"."cum" * "t7"."c90") AS "c90",
  SUM("t7"."cum" * "t7"."q90") AS "q90",
  SUM("t7"."cum" * "t7"."c90b") AS "c90b"
FROM (
  SELECT
    "t6"."account_id",
    "t6"."event_type",
    "t6"."seg",
    "t6"."n",
    "t6"."first_t",
    "t6"."cum",
    "t6"."ft",
    "t6"."nxt",
    "t2"."as_of",
    "t2"."c7",
    "t2"."q7",
    "t2"."c28",
    "t2"."q28",
    "t2"."c90",
    "t2"."q90",
    "t2"."c90b",
    "t2"."end"
  FROM (
    SELECT
      "t4"."account_id",
      "t4"."event_type",
      "t4"."seg",
      "t4"."n",
      "t4"."first_t",
      SUM("t4"."n") OVER (
        PARTITION BY "t4"."account_id", "t4"."event_type"
        ORDER BY "t4"."seg" ASC
        ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW
      ) AS "cum",
      MIN("t4"."first_t") OVER (
        PARTITION BY "t4"."account_id", "t4"."event_type"
        ORDER BY "t4"."seg" ASC
        ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW
      ) AS "ft",
      COALESCE(
        LEAD("t4"."seg") OVER (
          PARTITION BY "t4"."account_id", "t4"."event_type"
          ORDER BY "t4"."seg" ASC
          ROWS BETWEEN UNBOUNDED PRECEDING AND UNBOUNDED FOLLOWING
        ),
        7
      ) AS "nxt"
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
    ) AS "t4"
  ) AS "t6"
  INNER JOIN "memtable_1" AS "t2"
    ON "t6"."seg" = "t2"."seg" AND "t6"."nxt" = "t2"."nxt"
) AS "t7"
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
  SUM(CASE WHEN "t6"."seg" >= "t6"."a7" THEN 1 ELSE 0 END) AS "usage_active_users_7d",
  SUM(CASE WHEN "t6"."seg" >= "t6"."a28" THEN 1 ELSE 0 END) AS "usage_active_users_28d",
  SUM(CASE WHEN "t6"."seg" >= "t6"."a90" THEN 1 ELSE 0 END) AS "usage_active_users_90d"
FROM (
  SELECT
    "t5"."account_id",
    "t5"."seg",
    "t5"."user_id",
    "t5"."nxt",
    "t2"."as_of",
    "t2"."a7",
    "t2"."a28",
    "t2"."a90"
  FROM (
    SELECT
      "t3"."account_id",
      "t3"."seg",
      "t3"."user_id",
      COALESCE(
        LEAD("t3"."seg") OVER (
          PARTITION BY "t3"."account_id", "t3"."user_id"
          ORDER BY "t3"."seg" ASC
          ROWS BETWEEN UNBOUNDED PRECEDING AND UNBOUNDED FOLLOWING
        ),
        7
      ) AS "nxt"
    FROM (
      SELECT DISTINCT
        "t1"."account_id",
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
        END AS "seg",
        "t1"."user_id"
      FROM "events" AS "t1"
      WHERE
        "t1"."event_time" < MAKE_TIMESTAMP(2024, 4, 1, 0, 0, 0.0)
        AND "t1"."user_id" IS NOT NULL
        AND "t1"."event_time" >= MAKE_TIMESTAMP(2024, 1, 2, 0, 0, 0.0)
    ) AS "t3"
  ) AS "t5"
  INNER JOIN "memtable_1" AS "t2"
    ON "t5"."seg" = "t2"."seg" AND "t5"."nxt" = "t2"."nxt"
) AS "t6"
GROUP BY
  1,
  2
