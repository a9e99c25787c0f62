SELECT
  "t1"."account_id",
  "t1"."seg",
  COUNT(*) AS "n",
  BIT_OR(
    CAST(1 AS BIGINT) << CAST(DATE_DIFF('DAY', MAKE_DATE(1970, 1, 1), CAST("t1"."event_time" AS DATE)) % 62 AS INT)
  ) AS "bits",
  MIN(
    CASE
      WHEN "t1"."event_type" IN ('report')
      THEN "t1"."event_time"
      ELSE CAST(NULL AS TIMESTAMP)
    END
  ) AS "fv_t"
FROM (
  SELECT
    "t0"."event_key",
    "t0"."event_id",
    "t0"."account_id",
    "t0"."user_id",
    "t0"."event_time",
    "t0"."event_type",
    "t0"."value",
    "t0"."properties",
    CASE
      WHEN "t0"."event_time" >= MAKE_TIMESTAMP(2024, 2, 5, 0, 0, 0.0)
      THEN CASE
        WHEN "t0"."event_time" >= MAKE_TIMESTAMP(2024, 3, 4, 0, 0, 0.0)
        THEN CASE
          WHEN "t0"."event_time" >= MAKE_TIMESTAMP(2024, 3, 18, 0, 0, 0.0)
          THEN CASE
            WHEN "t0"."event_time" >= MAKE_TIMESTAMP(2024, 3, 25, 0, 0, 0.0)
            THEN 15
            ELSE 14
          END
          ELSE CASE
            WHEN "t0"."event_time" >= MAKE_TIMESTAMP(2024, 3, 11, 0, 0, 0.0)
            THEN 13
            ELSE 12
          END
        END
        ELSE CASE
          WHEN "t0"."event_time" >= MAKE_TIMESTAMP(2024, 2, 19, 0, 0, 0.0)
          THEN CASE
            WHEN "t0"."event_time" >= MAKE_TIMESTAMP(2024, 2, 26, 0, 0, 0.0)
            THEN 11
            ELSE 10
          END
          ELSE CASE
            WHEN "t0"."event_time" >= MAKE_TIMESTAMP(2024, 2, 12, 0, 0, 0.0)
            THEN 9
            ELSE 8
          END
        END
      END
      ELSE CASE
        WHEN "t0"."event_time" >= MAKE_TIMESTAMP(2024, 1, 8, 0, 0, 0.0)
        THEN CASE
          WHEN "t0"."event_time" >= MAKE_TIMESTAMP(2024, 1, 22, 0, 0, 0.0)
          THEN CASE
            WHEN "t0"."event_time" >= MAKE_TIMESTAMP(2024, 1, 29, 0, 0, 0.0)
            THEN 7
            ELSE 6
          END
          ELSE CASE
            WHEN "t0"."event_time" >= MAKE_TIMESTAMP(2024, 1, 15, 0, 0, 0.0)
            THEN 5
            ELSE 4
          END
        END
        ELSE CASE
          WHEN "t0"."event_time" >= MAKE_TIMESTAMP(2023, 11, 18, 0, 0, 0.0)
          THEN CASE
            WHEN "t0"."event_time" >= MAKE_TIMESTAMP(2024, 1, 2, 0, 0, 0.0)
            THEN 3
            ELSE 2
          END
          ELSE CASE
            WHEN "t0"."event_time" >= MAKE_TIMESTAMP(2023, 10, 4, 0, 0, 0.0)
            THEN 1
            ELSE 0
          END
        END
      END
    END AS "seg"
  FROM "events" AS "t0"
  WHERE
    "t0"."event_time" < MAKE_TIMESTAMP(2024, 4, 1, 0, 0, 0.0)
    AND "t0"."event_time" >= MAKE_TIMESTAMP(2023, 10, 4, 0, 0, 0.0)
) AS "t1"
GROUP BY
  1,
  2

-- next query

SELECT
  "t1"."account_id",
  MIN("t1"."event_time") AS "first_t",
  MAX("t1"."event_time") AS "last_t",
  MIN(
    CASE
      WHEN "t1"."event_type" IN ('report')
      THEN "t1"."event_time"
      ELSE CAST(NULL AS TIMESTAMP)
    END
  ) AS "fv_t"
FROM (
  SELECT
    *
  FROM "events" AS "t0"
  WHERE
    "t0"."event_time" < MAKE_TIMESTAMP(2024, 4, 1, 0, 0, 0.0)
    AND "t0"."event_time" < MAKE_TIMESTAMP(2023, 10, 4, 0, 0, 0.0)
) AS "t1"
GROUP BY
  1

-- next query

SELECT
  "t1"."account_id",
  "t1"."event_type",
  COUNT(*) AS "c0",
  COUNT(*) FILTER(WHERE
    "t1"."event_time" >= MAKE_TIMESTAMP(2024, 1, 2, 0, 0, 0.0)) AS "c1",
  COUNT(*) FILTER(WHERE
    "t1"."event_time" >= MAKE_TIMESTAMP(2024, 2, 5, 0, 0, 0.0)) AS "c2",
  COUNT(*) FILTER(WHERE
    "t1"."event_time" >= MAKE_TIMESTAMP(2024, 3, 4, 0, 0, 0.0)) AS "c3",
  COUNT(*) FILTER(WHERE
    "t1"."event_time" >= MAKE_TIMESTAMP(2024, 3, 18, 0, 0, 0.0)) AS "c4",
  COUNT(*) FILTER(WHERE
    "t1"."event_time" >= MAKE_TIMESTAMP(2024, 3, 25, 0, 0, 0.0)) AS "c5"
FROM (
  SELECT
    *
  FROM "events" AS "t0"
  WHERE
    "t0"."event_time" < MAKE_TIMESTAMP(2024, 4, 1, 0, 0, 0.0)
    AND "t0"."event_time" >= MAKE_TIMESTAMP(2023, 10, 4, 0, 0, 0.0)
) AS "t1"
GROUP BY
  1,
  2

-- next query

SELECT
  "t2"."account_id",
  "t2"."u0"
FROM (
  SELECT
    "t1"."account_id",
    "t1"."user_id",
    BIT_OR(
      CASE
        WHEN (
          (
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
            END - 2
          ) >= 0
        )
        AND (
          (
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
            END - 2
          ) < 62
        )
        THEN CAST(1 AS BIGINT) << CAST((
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
          END - 2
        ) - 0 AS INT)
        ELSE CAST(0 AS BIGINT)
      END
    ) AS "u0"
  FROM (
    SELECT
      *
    FROM "events" AS "t0"
    WHERE
      "t0"."event_time" < MAKE_TIMESTAMP(2024, 4, 1, 0, 0, 0.0)
      AND "t0"."user_id" IS NOT NULL
      AND "t0"."event_time" >= MAKE_TIMESTAMP(2024, 1, 2, 0, 0, 0.0)
  ) AS "t1"
  GROUP BY
    1,
    2
) AS "t2"
