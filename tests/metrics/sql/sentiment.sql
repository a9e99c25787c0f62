SELECT
  "t5"."as_of",
  "t5"."account_id",
  AVG("t5"."score") FILTER(WHERE
    "t5"."occurred_at" >= "t5"."s90") AS "sentiment_avg_90d",
  AVG("t5"."score") FILTER(WHERE
    (
      "t5"."occurred_at" >= "t5"."s180"
    ) AND (
      "t5"."occurred_at" < "t5"."s90"
    )) AS "prev_avg",
  COUNT(*) FILTER(WHERE
    "t5"."occurred_at" >= "t5"."s90") AS "sentiment_texts_90d",
  COUNT(*) FILTER(WHERE
    (
      "t5"."occurred_at" >= "t5"."s90"
    ) AND (
      "t5"."label" = 'negative'
    )) AS "negative_n",
  MAX("t5"."occurred_at") FILTER(WHERE
    "t5"."label" = 'negative') AS "last_negative",
  MAX("t5"."occurred_at") FILTER(WHERE
    "t5"."cancellation_intent") AS "last_intent"
FROM (
  SELECT
    "t4"."source",
    "t4"."text_id",
    "t4"."detail",
    "t4"."account_id",
    "t4"."occurred_at",
    "t4"."label",
    "t4"."score",
    "t4"."reason",
    "t4"."themes",
    "t4"."features",
    "t4"."cancellation_intent",
    "t4"."competitor_intent",
    "t4"."language",
    "t4"."evidence",
    "t4"."text_hash",
    "t4"."method",
    "t4"."analysed_at",
    "t4"."negative_features",
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
    FROM "text_analysis" AS "t0"
    WHERE
      "t0"."label" <> 'unknown' AND "t0"."occurred_at" IS NOT NULL
  ) AS "t4"
  INNER JOIN "memtable_1" AS "t2"
    ON "t4"."occurred_at" < "t2"."end_ts"
) AS "t5"
GROUP BY
  1,
  2
