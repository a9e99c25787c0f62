SELECT
  "t4"."as_of",
  "t4"."account_id",
  COUNT(*) AS "n",
  COUNT(*) FILTER(WHERE
    (
      "t4"."completed_date" IS NOT NULL
    )
    AND (
      "t4"."completed_date" <= "t4"."as_of"
    )) AS "done",
  COUNT(*) FILTER(WHERE
    (
      "t4"."due_date" < "t4"."as_of"
    )
    AND NOT (
      (
        "t4"."completed_date" IS NOT NULL
      )
      AND (
        "t4"."completed_date" <= "t4"."as_of"
      )
    )) AS "goals_milestones_overdue"
FROM (
  SELECT
    "t2"."milestone_id",
    "t2"."goal_id",
    "t2"."account_id",
    "t2"."title",
    "t2"."due_date",
    "t2"."completed_date",
    "t2"."status",
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
  FROM "milestones" AS "t2"
  INNER JOIN "memtable_1" AS "t3"
    ON (
      (
        "t2"."due_date" IS NOT NULL
      ) AND (
        "t2"."due_date" <= "t3"."as_of"
      )
    )
    OR (
      (
        "t2"."completed_date" IS NOT NULL
      )
      AND (
        "t2"."completed_date" <= "t3"."as_of"
      )
    )
) AS "t4"
GROUP BY
  1,
  2
