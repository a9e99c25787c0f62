SELECT
  "t4"."as_of",
  "t4"."account_id",
  COUNT(*) FILTER(WHERE
    "t4"."kind" = 'referral') AS "advocacy_referrals",
  COUNT(*) FILTER(WHERE
    (
      "t4"."kind" = 'referral'
    ) AND (
      "t4"."occurred_at" >= "t4"."s365"
    )) AS "advocacy_referrals_365d",
  COUNT(*) FILTER(WHERE
    "t4"."kind" = 'review') AS "advocacy_reviews",
  COUNT(*) FILTER(WHERE
    (
      "t4"."kind" = 'review'
    ) AND (
      "t4"."occurred_at" >= "t4"."s365"
    )) AS "advocacy_reviews_365d"
FROM (
  SELECT
    "t2"."advocacy_id",
    "t2"."account_id",
    "t2"."contact_id",
    "t2"."kind",
    "t2"."occurred_at",
    "t2"."details",
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
  FROM "advocacy" AS "t2"
  INNER JOIN "memtable_1" AS "t3"
    ON "t2"."occurred_at" < "t3"."end_ts"
) AS "t4"
GROUP BY
  1,
  2
