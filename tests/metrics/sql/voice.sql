SELECT
  "t8"."as_of",
  "t8"."account_id",
  MAX("t8"."score") FILTER(WHERE
    "t8"."rk" = 0) AS "voice_nps_latest",
  MAX("t8"."score") FILTER(WHERE
    "t8"."rk" = 1) AS "nps_prev"
FROM (
  SELECT
    *
  FROM (
    SELECT
      "t6"."response_id",
      "t6"."account_id",
      "t6"."contact_id",
      "t6"."survey_type",
      "t6"."sent_at",
      "t6"."responded_at",
      "t6"."score",
      "t6"."comment",
      "t6"."as_of",
      "t6"."as_of_n",
      "t6"."end_ts",
      "t6"."s7",
      "t6"."d7",
      "t6"."s28",
      "t6"."d28",
      "t6"."s90",
      "t6"."d90",
      "t6"."s180",
      "t6"."d180",
      "t6"."s365",
      "t6"."d365",
      ROW_NUMBER() OVER (
        PARTITION BY "t6"."as_of", "t6"."account_id"
        ORDER BY "t6"."responded_at" DESC, "t6"."response_id" DESC
        ROWS BETWEEN UNBOUNDED PRECEDING AND UNBOUNDED FOLLOWING
      ) - 1 AS "rk"
    FROM (
      SELECT
        *
      FROM (
        SELECT
          "t4"."response_id",
          "t4"."account_id",
          "t4"."contact_id",
          "t4"."survey_type",
          "t4"."sent_at",
          "t4"."responded_at",
          "t4"."score",
          "t4"."comment",
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
          FROM "surveys" AS "t0"
          WHERE
            "t0"."responded_at" IS NOT NULL AND "t0"."score" IS NOT NULL
        ) AS "t4"
        INNER JOIN "memtable_1" AS "t2"
          ON "t4"."responded_at" < "t2"."end_ts"
      ) AS "t5"
      WHERE
        "t5"."survey_type" = 'nps'
    ) AS "t6"
  ) AS "t7"
  WHERE
    "t7"."rk" <= 1
) AS "t8"
GROUP BY
  1,
  2

-- next query

SELECT
  "t6"."as_of",
  "t6"."account_id",
  AVG("t6"."score") AS "voice_csat_avg_180d"
FROM (
  SELECT
    *
  FROM (
    SELECT
      "t4"."response_id",
      "t4"."account_id",
      "t4"."contact_id",
      "t4"."survey_type",
      "t4"."sent_at",
      "t4"."responded_at",
      "t4"."score",
      "t4"."comment",
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
      FROM "surveys" AS "t0"
      WHERE
        "t0"."responded_at" IS NOT NULL AND "t0"."score" IS NOT NULL
    ) AS "t4"
    INNER JOIN "memtable_1" AS "t2"
      ON "t4"."responded_at" < "t2"."end_ts"
  ) AS "t5"
  WHERE
    "t5"."survey_type" = 'csat' AND "t5"."responded_at" >= "t5"."s180"
) AS "t6"
GROUP BY
  1,
  2

-- next query

SELECT
  "t6"."as_of",
  "t6"."account_id",
  COUNT(*) AS "sent_n",
  COUNT(*) FILTER(WHERE
    (
      "t6"."responded_at" IS NOT NULL
    )
    AND (
      "t6"."responded_at" < "t6"."end_ts"
    )) AS "answered_n"
FROM (
  SELECT
    *
  FROM (
    SELECT
      "t4"."response_id",
      "t4"."account_id",
      "t4"."contact_id",
      "t4"."survey_type",
      "t4"."sent_at",
      "t4"."responded_at",
      "t4"."score",
      "t4"."comment",
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
      FROM "surveys" AS "t0"
      WHERE
        "t0"."sent_at" IS NOT NULL
    ) AS "t4"
    INNER JOIN "memtable_1" AS "t2"
      ON "t4"."sent_at" < "t2"."end_ts"
  ) AS "t5"
  WHERE
    "t5"."sent_at" >= "t5"."s365"
) AS "t6"
GROUP BY
  1,
  2
