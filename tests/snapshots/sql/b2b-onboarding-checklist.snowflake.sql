-- guidelab SQL for b2b-onboarding-checklist on data/sample, dialect: snowflake
-- translated by guidelab.dialects (sqlglot), parameters bound
-- refresh: GUIDELAB_UPDATE_SNAPSHOTS=1 pytest tests/test_sql_snapshots.py

-- [1]
CREATE OR REPLACE TEMPORARY TABLE ledger_assignments AS
WITH r AS (
  SELECT
    *,
    CAST("account_id" AS VARCHAR) AS _gl_unit
  FROM assignments
), c AS (
  SELECT
    *,
    CASE
      WHEN experiment IS NULL
      THEN 'missing_key'
      WHEN experiment <> 'b2b-onboarding-checklist'
      THEN 'other_experiment'
      WHEN user_id IS NULL OR variant IS NULL
      THEN 'missing_key'
      WHEN assigned_at IS NULL
      THEN 'missing_time'
    END AS _gl_key_reason,
    CASE
      WHEN assigned_at >= CAST('2026-11-30 15:00:00.000000+00:00' AS TIMESTAMPTZ)
      THEN 'future'
      WHEN assigned_at >= CAST('2026-09-27 15:00:00.000000+00:00' AS TIMESTAMPTZ)
      THEN 'after_analysis_date'
      WHEN NOT variant IN ('control', 'checklist')
      THEN 'unknown_variant'
      WHEN _gl_unit IS NULL OR _gl_unit = ''
      THEN 'missing_unit'
    END AS _gl_row_reason
  FROM r
), o AS (
  SELECT
    *,
    CASE WHEN _gl_key_reason IS NULL AND _gl_row_reason IS NULL THEN 1 ELSE 0 END AS _gl_ok
  FROM c
), s AS (
  SELECT
    o.*,
    k._gl_h IS NULL AS _gl_single
  FROM o
  LEFT JOIN ledger_assignments_repeated_keys AS k
    ON k._gl_h = HASH(o.user_id)
), n AS (
  SELECT
    *,
    ROW_NUMBER() OVER (
      PARTITION BY user_id
      ORDER BY assigned_at, "user_id", "experiment", "variant", "assigned_at", "account_id"
    ) AS _gl_row,
    RANK() OVER (
      PARTITION BY user_id
      ORDER BY assigned_at, "user_id", "experiment", "variant", "assigned_at", "account_id"
    ) AS _gl_first,
    COUNT(*) OVER (
      PARTITION BY user_id
      ORDER BY assigned_at, "user_id", "experiment", "variant", "assigned_at", "account_id"
    ) AS _gl_last,
    SUM(_gl_ok) OVER (
      PARTITION BY user_id
      ORDER BY assigned_at, "user_id", "experiment", "variant", "assigned_at", "account_id"
    ) AS _gl_ok_upto,
    MIN(CASE WHEN _gl_ok = 1 THEN variant END) OVER (PARTITION BY user_id) AS _gl_arm_lo,
    MAX(CASE WHEN _gl_ok = 1 THEN variant END) OVER (PARTITION BY user_id) AS _gl_arm_hi
  FROM s
  WHERE
    NOT _gl_single
)
/* a user on one row (almost every user): no copy, no second arm, no earlier row, so no window */
SELECT
  s.*
  EXCLUDE (_gl_key_reason, _gl_row_reason, _gl_ok, _gl_single),
  COALESCE(_gl_key_reason, _gl_row_reason) AS _gl_reason
FROM s
WHERE
  _gl_single
UNION ALL
SELECT
  n.*
  EXCLUDE (_gl_key_reason, _gl_row_reason, _gl_ok, _gl_single, _gl_row, _gl_first, _gl_last, _gl_ok_upto, _gl_arm_lo, _gl_arm_hi),
  CASE
    WHEN NOT _gl_key_reason IS NULL
    THEN _gl_key_reason
    WHEN _gl_row > _gl_first
    THEN 'exact_duplicate'
    WHEN NOT _gl_row_reason IS NULL
    THEN _gl_row_reason
    WHEN _gl_arm_lo <> _gl_arm_hi
    THEN 'multiple_arms'
    WHEN _gl_ok_upto - (
      _gl_last - _gl_first + 1
    ) > 0
    THEN 'repeated_assignment'
  END AS _gl_reason
FROM n;

-- [2]
CREATE OR REPLACE TEMPORARY TABLE exp_assigned AS
SELECT
  CAST(ROW_NUMBER() OVER (ORDER BY user_id) AS INT) AS uk,
  user_id,
  variant,
  assigned_at,
  CAST(TO_TIMESTAMP(EPOCH_US("assigned_at") + 32400000000, 6) AS DATE) AS assigned_day,
  _gl_unit AS unit_id
FROM ledger_assignments
WHERE
  _gl_reason IS NULL;

-- [3]
SELECT
  variant,
  COUNT(DISTINCT _gl_account)
FROM (
  SELECT
    e.*,
    a.unit_id AS _gl_account
  FROM exp_users AS e
  JOIN exp_assigned AS a
    USING (uk)
) AS u
GROUP BY
  variant
ORDER BY
  variant;

-- [4]
WITH acc AS (
  SELECT
    variant AS variant,
    _gl_account AS _gl_account,
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
    2
)
SELECT
  variant,
  COUNT(*) AS n_accounts,
  SUM(n) AS n_users,
  SUM(y) AS sum_y,
  SUM(y * y) AS sum_y2,
  SUM(n * n) AS sum_n2,
  SUM(n * y) AS sum_ny,
  SUM(n * n * n) AS sum_n3,
  SUM(n * n * n * n) AS sum_n4,
  SUM(q) AS sum_user_y2,
  CAST(SUM(CAST(y * y / n AS DECIMAL(38, 12))) AS DOUBLE) AS sum_y2_over_n
FROM acc
GROUP BY
  variant
ORDER BY
  variant;

-- [5]
WITH acc AS (
  SELECT
    variant AS variant,
    _gl_account AS _gl_account,
    CAST(COUNT(*) AS DOUBLE) AS n,
    SUM(COALESCE(CAST(CAST(active_d7 AS INT) AS DOUBLE), 0.0)) AS y,
    SUM(
      COALESCE(CAST(CAST(active_d7 AS INT) AS DOUBLE), 0.0) * COALESCE(CAST(CAST(active_d7 AS INT) AS DOUBLE), 0.0)
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
    observed_days >= 7
  GROUP BY
    1,
    2
)
SELECT
  variant,
  COUNT(*) AS n_accounts,
  SUM(n) AS n_users,
  SUM(y) AS sum_y,
  SUM(y * y) AS sum_y2,
  SUM(n * n) AS sum_n2,
  SUM(n * y) AS sum_ny,
  SUM(n * n * n) AS sum_n3,
  SUM(n * n * n * n) AS sum_n4,
  SUM(q) AS sum_user_y2,
  CAST(SUM(CAST(y * y / n AS DECIMAL(38, 12))) AS DOUBLE) AS sum_y2_over_n
FROM acc
GROUP BY
  variant
ORDER BY
  variant;

-- [6]
WITH acc AS (
  SELECT
    variant AS variant,
    _gl_account AS _gl_account,
    CAST(COUNT(*) AS DOUBLE) AS n,
    SUM(COALESCE(CAST(CAST(active_d1 AS INT) AS DOUBLE), 0.0)) AS y,
    SUM(
      COALESCE(CAST(CAST(active_d1 AS INT) AS DOUBLE), 0.0) * COALESCE(CAST(CAST(active_d1 AS INT) AS DOUBLE), 0.0)
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
    observed_days >= 1
  GROUP BY
    1,
    2
)
SELECT
  variant,
  COUNT(*) AS n_accounts,
  SUM(n) AS n_users,
  SUM(y) AS sum_y,
  SUM(y * y) AS sum_y2,
  SUM(n * n) AS sum_n2,
  SUM(n * y) AS sum_ny,
  SUM(n * n * n) AS sum_n3,
  SUM(n * n * n * n) AS sum_n4,
  SUM(q) AS sum_user_y2,
  CAST(SUM(CAST(y * y / n AS DECIMAL(38, 12))) AS DOUBLE) AS sum_y2_over_n
FROM acc
GROUP BY
  variant
ORDER BY
  variant;
