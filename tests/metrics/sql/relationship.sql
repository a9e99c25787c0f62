SELECT
  "t4"."as_of",
  "t4"."account_id",
  MAX("t4"."occurred_at") AS "last_touch",
  COUNT(*) FILTER(WHERE
    "t4"."occurred_at" >= "t4"."s90") AS "touches90"
FROM (
  SELECT
    "t2"."interaction_id",
    "t2"."account_id",
    "t2"."contact_id",
    "t2"."csm",
    "t2"."kind",
    "t2"."direction",
    "t2"."occurred_at",
    "t2"."notes",
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
  FROM "interactions" AS "t2"
  INNER JOIN "memtable_1" AS "t3"
    ON "t2"."occurred_at" < "t3"."end_ts"
) AS "t4"
GROUP BY
  1,
  2

-- next query

SELECT
  "t6"."as_of",
  "t6"."account_id",
  MAX("t6"."value") FILTER(WHERE
    "t6"."measure" = 'exec_sponsor_engaged') AS "judgement_exec_sponsor_engaged",
  MAX("t6"."recorded_at") FILTER(WHERE
    "t6"."measure" = 'exec_sponsor_engaged') AS "jt_exec_sponsor_engaged",
  MAX("t6"."value") FILTER(WHERE
    "t6"."measure" = 'relationship_quality') AS "judgement_relationship_quality",
  MAX("t6"."recorded_at") FILTER(WHERE
    "t6"."measure" = 'relationship_quality') AS "jt_relationship_quality"
FROM (
  SELECT
    *
  FROM (
    SELECT
      "t4"."judgement_id",
      "t4"."account_id",
      "t4"."measure",
      "t4"."value",
      "t4"."recorded_at",
      "t4"."csm",
      "t4"."note",
      "t4"."as_of",
      "t4"."as_of_n",
      "t4"."end_ts",
      "t4"."s7",
      "t4"."d7",
      "t4"."s28",
      "t4"."d28",
      "t4"."s90",
      "t4"."d90",
      "t4"."s180",
      "t4"."d180",
      "t4"."s365",
      "t4"."d365",
      ROW_NUMBER() OVER (
        PARTITION BY "t4"."as_of", "t4"."account_id", "t4"."measure"
        ORDER BY "t4"."recorded_at" DESC, "t4"."judgement_id" DESC
        ROWS BETWEEN UNBOUNDED PRECEDING AND UNBOUNDED FOLLOWING
      ) - 1 AS "rk"
    FROM (
      SELECT
        "t2"."judgement_id",
        "t2"."account_id",
        "t2"."measure",
        "t2"."value",
        "t2"."recorded_at",
        "t2"."csm",
        "t2"."note",
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
      FROM "judgements" AS "t2"
      INNER JOIN "memtable_1" AS "t3"
        ON "t2"."recorded_at" < "t3"."end_ts"
    ) AS "t4"
  ) AS "t5"
  WHERE
    "t5"."rk" = 0
) AS "t6"
GROUP BY
  1,
  2

-- next query

SELECT
  "t4"."as_of",
  "t4"."account_id",
  COUNT(*) FILTER(WHERE
    (
      "t4"."occurred_at" >= "t4"."s90"
    ) AND (
      "t4"."kind" = 'email_sent'
    )) AS "sent",
  COUNT(*) FILTER(WHERE
    (
      "t4"."occurred_at" >= "t4"."s90"
    ) AND (
      "t4"."kind" = 'email_opened'
    )) AS "opened",
  COUNT(*) FILTER(WHERE
    (
      "t4"."occurred_at" >= "t4"."s90"
    ) AND (
      "t4"."kind" = 'email_clicked'
    )) AS "clicked",
  COUNT(*) FILTER(WHERE
    (
      "t4"."occurred_at" >= "t4"."s180"
    )
    AND "t4"."kind" IN ('event_attended', 'webinar_attended')) AS "relationship_events_attended_180d"
FROM (
  SELECT
    "t2"."engagement_id",
    "t2"."account_id",
    "t2"."contact_id",
    "t2"."kind",
    "t2"."campaign",
    "t2"."occurred_at",
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
  FROM "engagement" AS "t2"
  INNER JOIN "memtable_1" AS "t3"
    ON "t2"."occurred_at" < "t3"."end_ts"
) AS "t4"
GROUP BY
  1,
  2
