-- guidelab SQL for b2b-onboarding-checklist on data/sample, dialect: spark
-- translated by guidelab.dialects (sqlglot), parameters bound
-- refresh: GUIDELAB_UPDATE_SNAPSHOTS=1 pytest tests/test_sql_snapshots.py

-- [1]
WITH acc AS (
  SELECT
    variant,
    _gl_day AS _gl_group,
    _gl_account,
    CAST(COUNT(*) AS DOUBLE) AS n,
    SUM(COALESCE(CAST(_gl_active AS DOUBLE), 0.0)) AS y,
    SUM(
      COALESCE(CAST(_gl_active AS DOUBLE), 0.0) * COALESCE(CAST(_gl_active AS DOUBLE), 0.0)
    ) AS q
  FROM (
    SELECT
      u.variant,
      a.unit_id AS _gl_account,
      d.range AS _gl_day,
      CASE d.range
        WHEN 0
        THEN CASE
          WHEN (
            (
              SHIFTRIGHT(COALESCE(act._gl_days0, 0), 0)
            ) & 1
          ) = 1
          THEN 1
          ELSE 0
        END
        WHEN 1
        THEN CASE
          WHEN (
            (
              SHIFTRIGHT(COALESCE(act._gl_days0, 0), 1)
            ) & 1
          ) = 1
          THEN 1
          ELSE 0
        END
        WHEN 2
        THEN CASE
          WHEN (
            (
              SHIFTRIGHT(COALESCE(act._gl_days0, 0), 2)
            ) & 1
          ) = 1
          THEN 1
          ELSE 0
        END
        WHEN 3
        THEN CASE
          WHEN (
            (
              SHIFTRIGHT(COALESCE(act._gl_days0, 0), 3)
            ) & 1
          ) = 1
          THEN 1
          ELSE 0
        END
        WHEN 4
        THEN CASE
          WHEN (
            (
              SHIFTRIGHT(COALESCE(act._gl_days0, 0), 4)
            ) & 1
          ) = 1
          THEN 1
          ELSE 0
        END
        WHEN 5
        THEN CASE
          WHEN (
            (
              SHIFTRIGHT(COALESCE(act._gl_days0, 0), 5)
            ) & 1
          ) = 1
          THEN 1
          ELSE 0
        END
        WHEN 6
        THEN CASE
          WHEN (
            (
              SHIFTRIGHT(COALESCE(act._gl_days0, 0), 6)
            ) & 1
          ) = 1
          THEN 1
          ELSE 0
        END
        WHEN 7
        THEN CASE
          WHEN (
            (
              SHIFTRIGHT(COALESCE(act._gl_days0, 0), 7)
            ) & 1
          ) = 1
          THEN 1
          ELSE 0
        END
        WHEN 8
        THEN CASE
          WHEN (
            (
              SHIFTRIGHT(COALESCE(act._gl_days0, 0), 8)
            ) & 1
          ) = 1
          THEN 1
          ELSE 0
        END
        WHEN 9
        THEN CASE
          WHEN (
            (
              SHIFTRIGHT(COALESCE(act._gl_days0, 0), 9)
            ) & 1
          ) = 1
          THEN 1
          ELSE 0
        END
        WHEN 10
        THEN CASE
          WHEN (
            (
              SHIFTRIGHT(COALESCE(act._gl_days0, 0), 10)
            ) & 1
          ) = 1
          THEN 1
          ELSE 0
        END
        WHEN 11
        THEN CASE
          WHEN (
            (
              SHIFTRIGHT(COALESCE(act._gl_days0, 0), 11)
            ) & 1
          ) = 1
          THEN 1
          ELSE 0
        END
        WHEN 12
        THEN CASE
          WHEN (
            (
              SHIFTRIGHT(COALESCE(act._gl_days0, 0), 12)
            ) & 1
          ) = 1
          THEN 1
          ELSE 0
        END
        WHEN 13
        THEN CASE
          WHEN (
            (
              SHIFTRIGHT(COALESCE(act._gl_days0, 0), 13)
            ) & 1
          ) = 1
          THEN 1
          ELSE 0
        END
        WHEN 14
        THEN CASE
          WHEN (
            (
              SHIFTRIGHT(COALESCE(act._gl_days0, 0), 14)
            ) & 1
          ) = 1
          THEN 1
          ELSE 0
        END
        WHEN 15
        THEN CASE
          WHEN (
            (
              SHIFTRIGHT(COALESCE(act._gl_days0, 0), 15)
            ) & 1
          ) = 1
          THEN 1
          ELSE 0
        END
        WHEN 16
        THEN CASE
          WHEN (
            (
              SHIFTRIGHT(COALESCE(act._gl_days0, 0), 16)
            ) & 1
          ) = 1
          THEN 1
          ELSE 0
        END
        WHEN 17
        THEN CASE
          WHEN (
            (
              SHIFTRIGHT(COALESCE(act._gl_days0, 0), 17)
            ) & 1
          ) = 1
          THEN 1
          ELSE 0
        END
        WHEN 18
        THEN CASE
          WHEN (
            (
              SHIFTRIGHT(COALESCE(act._gl_days0, 0), 18)
            ) & 1
          ) = 1
          THEN 1
          ELSE 0
        END
        WHEN 19
        THEN CASE
          WHEN (
            (
              SHIFTRIGHT(COALESCE(act._gl_days0, 0), 19)
            ) & 1
          ) = 1
          THEN 1
          ELSE 0
        END
        WHEN 20
        THEN CASE
          WHEN (
            (
              SHIFTRIGHT(COALESCE(act._gl_days0, 0), 20)
            ) & 1
          ) = 1
          THEN 1
          ELSE 0
        END
        WHEN 21
        THEN CASE
          WHEN (
            (
              SHIFTRIGHT(COALESCE(act._gl_days0, 0), 21)
            ) & 1
          ) = 1
          THEN 1
          ELSE 0
        END
        WHEN 22
        THEN CASE
          WHEN (
            (
              SHIFTRIGHT(COALESCE(act._gl_days0, 0), 22)
            ) & 1
          ) = 1
          THEN 1
          ELSE 0
        END
        WHEN 23
        THEN CASE
          WHEN (
            (
              SHIFTRIGHT(COALESCE(act._gl_days0, 0), 23)
            ) & 1
          ) = 1
          THEN 1
          ELSE 0
        END
        WHEN 24
        THEN CASE
          WHEN (
            (
              SHIFTRIGHT(COALESCE(act._gl_days0, 0), 24)
            ) & 1
          ) = 1
          THEN 1
          ELSE 0
        END
        WHEN 25
        THEN CASE
          WHEN (
            (
              SHIFTRIGHT(COALESCE(act._gl_days0, 0), 25)
            ) & 1
          ) = 1
          THEN 1
          ELSE 0
        END
        WHEN 26
        THEN CASE
          WHEN (
            (
              SHIFTRIGHT(COALESCE(act._gl_days0, 0), 26)
            ) & 1
          ) = 1
          THEN 1
          ELSE 0
        END
        WHEN 27
        THEN CASE
          WHEN (
            (
              SHIFTRIGHT(COALESCE(act._gl_days0, 0), 27)
            ) & 1
          ) = 1
          THEN 1
          ELSE 0
        END
        WHEN 28
        THEN CASE
          WHEN (
            (
              SHIFTRIGHT(COALESCE(act._gl_days0, 0), 28)
            ) & 1
          ) = 1
          THEN 1
          ELSE 0
        END
        WHEN 29
        THEN CASE
          WHEN (
            (
              SHIFTRIGHT(COALESCE(act._gl_days0, 0), 29)
            ) & 1
          ) = 1
          THEN 1
          ELSE 0
        END
        WHEN 30
        THEN CASE
          WHEN (
            (
              SHIFTRIGHT(COALESCE(act._gl_days0, 0), 30)
            ) & 1
          ) = 1
          THEN 1
          ELSE 0
        END
        ELSE 0
      END AS _gl_active
    FROM exp_users AS u
    JOIN exp_assigned AS a
      USING (uk)
    LEFT JOIN exp_activity_users AS act
      USING (uk), (
      SELECT
        id AS `range`
      FROM RANGE(0, 31)
    ) AS d
    WHERE
      u.observed_days >= d.range
  ) AS u
  WHERE
    TRUE
  GROUP BY
    1,
    2,
    3
)
SELECT
  variant,
  _gl_group,
  COUNT(*) AS n_accounts,
  SUM(n) AS n_users,
  SUM(y) AS sum_y,
  SUM(y * y) AS sum_y2,
  SUM(n * n) AS sum_n2,
  SUM(n * y) AS sum_ny,
  SUM(n * n * n) AS sum_n3,
  SUM(n * n * n * n) AS sum_n4,
  SUM(q) AS sum_user_y2,
  SUM(y * y / n) AS sum_y2_over_n
FROM acc
GROUP BY
  variant,
  _gl_group
ORDER BY
  variant NULLS LAST,
  _gl_group NULLS LAST;

-- [2]
WITH acc AS (
  SELECT
    variant,
    assigned_day AS _gl_group,
    _gl_account,
    CAST(COUNT(*) AS DOUBLE) AS n,
    SUM(COALESCE(CAST(CAST(COALESCE(first_goal_day < 7, FALSE) AS INT) AS DOUBLE), 0.0)) AS y,
    SUM(
      COALESCE(CAST(CAST(COALESCE(first_goal_day < 7, FALSE) AS INT) AS DOUBLE), 0.0) * COALESCE(CAST(CAST(COALESCE(first_goal_day < 7, FALSE) AS INT) AS DOUBLE), 0.0)
    ) AS q
  FROM (
    SELECT
      e.*,
      a.unit_id AS _gl_account
    FROM exp_users AS e
    JOIN exp_assigned AS a
      USING (uk)
  ) AS u
  WHERE
    observed_days >= 6
  GROUP BY
    1,
    2,
    3
)
SELECT
  variant,
  _gl_group,
  COUNT(*) AS n_accounts,
  SUM(n) AS n_users,
  SUM(y) AS sum_y,
  SUM(y * y) AS sum_y2,
  SUM(n * n) AS sum_n2,
  SUM(n * y) AS sum_ny,
  SUM(n * n * n) AS sum_n3,
  SUM(n * n * n * n) AS sum_n4,
  SUM(q) AS sum_user_y2,
  SUM(y * y / n) AS sum_y2_over_n
FROM acc
GROUP BY
  variant,
  _gl_group
ORDER BY
  variant NULLS LAST,
  _gl_group NULLS LAST;

-- [3]
WITH acc AS (
  SELECT
    variant,
    assigned_day AS _gl_group,
    _gl_account,
    CAST(COUNT(*) AS DOUBLE) AS n,
    SUM(COALESCE(CAST(CAST(COALESCE(first_goal_day < 7, FALSE) AS INT) AS DOUBLE), 0.0)) AS y,
    SUM(
      COALESCE(CAST(CAST(COALESCE(first_goal_day < 7, FALSE) AS INT) AS DOUBLE), 0.0) * COALESCE(CAST(CAST(COALESCE(first_goal_day < 7, FALSE) AS INT) AS DOUBLE), 0.0)
    ) AS q
  FROM (
    SELECT
      e.*,
      a.unit_id AS _gl_account
    FROM exp_users AS e
    JOIN exp_assigned AS a
      USING (uk)
  ) AS u
  WHERE
    observed_days >= 6
  GROUP BY
    1,
    2,
    3
)
SELECT
  g.variant,
  g._gl_group,
  h._gl_group,
  SUM(g.y * h.y),
  SUM(g.y * h.n),
  SUM(g.n * h.n)
FROM acc AS g
JOIN acc AS h
  ON g.variant = h.variant AND g._gl_account = h._gl_account
GROUP BY
  1,
  2,
  3;

-- [4]
WITH acc AS (
  SELECT
    variant,
    _gl_segment AS _gl_group,
    _gl_account,
    CAST(COUNT(*) AS DOUBLE) AS n,
    SUM(COALESCE(CAST(CAST(COALESCE(first_goal_day < 7, FALSE) AS INT) AS DOUBLE), 0.0)) AS y,
    SUM(
      COALESCE(CAST(CAST(COALESCE(first_goal_day < 7, FALSE) AS INT) AS DOUBLE), 0.0) * COALESCE(CAST(CAST(COALESCE(first_goal_day < 7, FALSE) AS INT) AS DOUBLE), 0.0)
    ) AS q
  FROM (
    SELECT
      e.*,
      a.unit_id AS _gl_account,
      CAST(s.`plan` AS STRING) AS _gl_segment
    FROM exp_users AS e
    JOIN exp_assigned AS a
      USING (uk)
    JOIN exp_user_attrs AS s
      ON s.user_id = e.user_id
  ) AS u
  WHERE
    observed_days >= 6
  GROUP BY
    1,
    2,
    3
)
SELECT
  variant,
  _gl_group,
  COUNT(*) AS n_accounts,
  SUM(n) AS n_users,
  SUM(y) AS sum_y,
  SUM(y * y) AS sum_y2,
  SUM(n * n) AS sum_n2,
  SUM(n * y) AS sum_ny,
  SUM(n * n * n) AS sum_n3,
  SUM(n * n * n * n) AS sum_n4,
  SUM(q) AS sum_user_y2,
  SUM(y * y / n) AS sum_y2_over_n
FROM acc
GROUP BY
  variant,
  _gl_group
ORDER BY
  variant NULLS LAST,
  _gl_group NULLS LAST;

-- [5]
WITH acc AS (
  SELECT
    variant,
    _gl_segment AS _gl_group,
    _gl_account,
    CAST(COUNT(*) AS DOUBLE) AS n,
    SUM(COALESCE(CAST(CAST(COALESCE(first_goal_day < 7, FALSE) AS INT) AS DOUBLE), 0.0)) AS y,
    SUM(
      COALESCE(CAST(CAST(COALESCE(first_goal_day < 7, FALSE) AS INT) AS DOUBLE), 0.0) * COALESCE(CAST(CAST(COALESCE(first_goal_day < 7, FALSE) AS INT) AS DOUBLE), 0.0)
    ) AS q
  FROM (
    SELECT
      e.*,
      a.unit_id AS _gl_account,
      CAST(s.`plan` AS STRING) AS _gl_segment
    FROM exp_users AS e
    JOIN exp_assigned AS a
      USING (uk)
    JOIN exp_user_attrs AS s
      ON s.user_id = e.user_id
  ) AS u
  WHERE
    observed_days >= 6
  GROUP BY
    1,
    2,
    3
)
SELECT
  g.variant,
  g._gl_group,
  h._gl_group,
  SUM(g.y * h.y),
  SUM(g.y * h.n),
  SUM(g.n * h.n)
FROM acc AS g
JOIN acc AS h
  ON g.variant = h.variant AND g._gl_account = h._gl_account
GROUP BY
  1,
  2,
  3;

-- [6]
WITH acc AS (
  SELECT
    variant,
    _gl_segment AS _gl_group,
    _gl_account,
    CAST(COUNT(*) AS DOUBLE) AS n,
    SUM(COALESCE(CAST(CAST(COALESCE(first_goal_day < 7, FALSE) AS INT) AS DOUBLE), 0.0)) AS y,
    SUM(
      COALESCE(CAST(CAST(COALESCE(first_goal_day < 7, FALSE) AS INT) AS DOUBLE), 0.0) * COALESCE(CAST(CAST(COALESCE(first_goal_day < 7, FALSE) AS INT) AS DOUBLE), 0.0)
    ) AS q
  FROM (
    SELECT
      e.*,
      a.unit_id AS _gl_account,
      CAST(s.`platform` AS STRING) AS _gl_segment
    FROM exp_users AS e
    JOIN exp_assigned AS a
      USING (uk)
    JOIN exp_user_attrs AS s
      ON s.user_id = e.user_id
  ) AS u
  WHERE
    observed_days >= 6
  GROUP BY
    1,
    2,
    3
)
SELECT
  variant,
  _gl_group,
  COUNT(*) AS n_accounts,
  SUM(n) AS n_users,
  SUM(y) AS sum_y,
  SUM(y * y) AS sum_y2,
  SUM(n * n) AS sum_n2,
  SUM(n * y) AS sum_ny,
  SUM(n * n * n) AS sum_n3,
  SUM(n * n * n * n) AS sum_n4,
  SUM(q) AS sum_user_y2,
  SUM(y * y / n) AS sum_y2_over_n
FROM acc
GROUP BY
  variant,
  _gl_group
ORDER BY
  variant NULLS LAST,
  _gl_group NULLS LAST;

-- [7]
WITH acc AS (
  SELECT
    variant,
    _gl_segment AS _gl_group,
    _gl_account,
    CAST(COUNT(*) AS DOUBLE) AS n,
    SUM(COALESCE(CAST(CAST(COALESCE(first_goal_day < 7, FALSE) AS INT) AS DOUBLE), 0.0)) AS y,
    SUM(
      COALESCE(CAST(CAST(COALESCE(first_goal_day < 7, FALSE) AS INT) AS DOUBLE), 0.0) * COALESCE(CAST(CAST(COALESCE(first_goal_day < 7, FALSE) AS INT) AS DOUBLE), 0.0)
    ) AS q
  FROM (
    SELECT
      e.*,
      a.unit_id AS _gl_account,
      CAST(s.`platform` AS STRING) AS _gl_segment
    FROM exp_users AS e
    JOIN exp_assigned AS a
      USING (uk)
    JOIN exp_user_attrs AS s
      ON s.user_id = e.user_id
  ) AS u
  WHERE
    observed_days >= 6
  GROUP BY
    1,
    2,
    3
)
SELECT
  g.variant,
  g._gl_group,
  h._gl_group,
  SUM(g.y * h.y),
  SUM(g.y * h.n),
  SUM(g.n * h.n)
FROM acc AS g
JOIN acc AS h
  ON g.variant = h.variant AND g._gl_account = h._gl_account
GROUP BY
  1,
  2,
  3;

-- [8]
WITH acc AS (
  SELECT
    variant,
    _gl_step AS _gl_group,
    _gl_account,
    CAST(COUNT(*) AS DOUBLE) AS n,
    SUM(COALESCE(CAST(CASE WHEN _gl_reached THEN 1 ELSE 0 END AS DOUBLE), 0.0)) AS y,
    SUM(
      COALESCE(CAST(CASE WHEN _gl_reached THEN 1 ELSE 0 END AS DOUBLE), 0.0) * COALESCE(CAST(CASE WHEN _gl_reached THEN 1 ELSE 0 END AS DOUBLE), 0.0)
    ) AS q
  FROM (
    SELECT
      u.variant,
      a.unit_id AS _gl_account,
      r.range AS _gl_step,
      CASE
        WHEN r.range = 1
        THEN TRUE
        ELSE COALESCE(s.max_step, 0) >= r.range - 1 OR COALESCE(u.completed, FALSE)
      END AS _gl_prev,
      CASE
        WHEN r.range <= 3
        THEN COALESCE(s.max_step, 0) >= r.range OR COALESCE(u.completed, FALSE)
        ELSE COALESCE(u.completed, FALSE)
      END AS _gl_reached
    FROM exp_users AS u
    JOIN exp_assigned AS a
      USING (uk)
    LEFT JOIN (
      SELECT
        uk,
        max_shown_step AS max_step
      FROM exp_guide_user
      WHERE
        guide_id = 'company-setup-checklist'
    ) AS s
      USING (uk), (
      SELECT
        id AS `range`
      FROM RANGE(1, 5)
    ) AS r
    WHERE
      u.variant = 'checklist'
  ) AS u
  WHERE
    TRUE
  GROUP BY
    1,
    2,
    3
)
SELECT
  variant,
  _gl_group,
  COUNT(*) AS n_accounts,
  SUM(n) AS n_users,
  SUM(y) AS sum_y,
  SUM(y * y) AS sum_y2,
  SUM(n * n) AS sum_n2,
  SUM(n * y) AS sum_ny,
  SUM(n * n * n) AS sum_n3,
  SUM(n * n * n * n) AS sum_n4,
  SUM(q) AS sum_user_y2,
  SUM(y * y / n) AS sum_y2_over_n
FROM acc
GROUP BY
  variant,
  _gl_group
ORDER BY
  variant NULLS LAST,
  _gl_group NULLS LAST;

-- [9]
WITH acc AS (
  SELECT
    variant,
    _gl_step AS _gl_group,
    _gl_account,
    CAST(COUNT(*) AS DOUBLE) AS n,
    SUM(COALESCE(CAST(CASE WHEN _gl_reached THEN 1 ELSE 0 END AS DOUBLE), 0.0)) AS y,
    SUM(
      COALESCE(CAST(CASE WHEN _gl_reached THEN 1 ELSE 0 END AS DOUBLE), 0.0) * COALESCE(CAST(CASE WHEN _gl_reached THEN 1 ELSE 0 END AS DOUBLE), 0.0)
    ) AS q
  FROM (
    SELECT
      u.variant,
      a.unit_id AS _gl_account,
      r.range AS _gl_step,
      CASE
        WHEN r.range = 1
        THEN TRUE
        ELSE COALESCE(s.max_step, 0) >= r.range - 1 OR COALESCE(u.completed, FALSE)
      END AS _gl_prev,
      CASE
        WHEN r.range <= 3
        THEN COALESCE(s.max_step, 0) >= r.range OR COALESCE(u.completed, FALSE)
        ELSE COALESCE(u.completed, FALSE)
      END AS _gl_reached
    FROM exp_users AS u
    JOIN exp_assigned AS a
      USING (uk)
    LEFT JOIN (
      SELECT
        uk,
        max_shown_step AS max_step
      FROM exp_guide_user
      WHERE
        guide_id = 'company-setup-checklist'
    ) AS s
      USING (uk), (
      SELECT
        id AS `range`
      FROM RANGE(1, 5)
    ) AS r
    WHERE
      u.variant = 'checklist'
  ) AS u
  WHERE
    _gl_prev
  GROUP BY
    1,
    2,
    3
)
SELECT
  variant,
  _gl_group,
  COUNT(*) AS n_accounts,
  SUM(n) AS n_users,
  SUM(y) AS sum_y,
  SUM(y * y) AS sum_y2,
  SUM(n * n) AS sum_n2,
  SUM(n * y) AS sum_ny,
  SUM(n * n * n) AS sum_n3,
  SUM(n * n * n * n) AS sum_n4,
  SUM(q) AS sum_user_y2,
  SUM(y * y / n) AS sum_y2_over_n
FROM acc
GROUP BY
  variant,
  _gl_group
ORDER BY
  variant NULLS LAST,
  _gl_group NULLS LAST;
