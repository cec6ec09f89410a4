-- guidelab SQL for b2b-onboarding-checklist on data/sample, dialect: duckdb
-- as DuckDB runs it, parameters beside it
-- refresh: GUIDELAB_UPDATE_SNAPSHOTS=1 pytest tests/test_sql_snapshots.py

-- [1] params: {"end": "2026-09-27T15:00:00+00:00", "exp": "b2b-onboarding-checklist", "now": "2026-11-30T15:00:00+00:00"}
CREATE OR REPLACE TEMP TABLE ledger_assignments AS
WITH r AS (SELECT *, CAST("account_id" AS VARCHAR) AS _gl_unit FROM assignments),
c AS (SELECT *, CASE WHEN experiment IS NULL THEN 'missing_key' WHEN experiment <> $exp THEN 'other_experiment' WHEN user_id IS NULL OR variant IS NULL THEN 'missing_key' WHEN assigned_at IS NULL THEN 'missing_time' END AS _gl_key_reason, CASE WHEN assigned_at >= $now THEN 'future' WHEN assigned_at >= $end THEN 'after_analysis_date' WHEN variant NOT IN ('control', 'checklist') THEN 'unknown_variant' WHEN _gl_unit IS NULL OR _gl_unit = '' THEN 'missing_unit' END AS _gl_row_reason FROM r),
o AS (SELECT *, CASE WHEN _gl_key_reason IS NULL AND _gl_row_reason IS NULL THEN 1 ELSE 0 END AS _gl_ok FROM c),
s AS (SELECT o.*, k._gl_h IS NULL AS _gl_single FROM o LEFT JOIN ledger_assignments_repeated_keys k ON k._gl_h = hash(o.user_id)),
n AS (SELECT *, row_number() OVER (PARTITION BY user_id ORDER BY assigned_at, "user_id", "experiment", "variant", "assigned_at", "account_id") AS _gl_row, rank() OVER (PARTITION BY user_id ORDER BY assigned_at, "user_id", "experiment", "variant", "assigned_at", "account_id") AS _gl_first,
             count(*) OVER (PARTITION BY user_id ORDER BY assigned_at, "user_id", "experiment", "variant", "assigned_at", "account_id") AS _gl_last, sum(_gl_ok) OVER (PARTITION BY user_id ORDER BY assigned_at, "user_id", "experiment", "variant", "assigned_at", "account_id") AS _gl_ok_upto,
             min(CASE WHEN _gl_ok = 1 THEN variant END) OVER (PARTITION BY user_id) AS _gl_arm_lo,
             max(CASE WHEN _gl_ok = 1 THEN variant END) OVER (PARTITION BY user_id) AS _gl_arm_hi
      FROM s WHERE NOT _gl_single)
-- a user on one row (almost every user): no copy, no second arm, no earlier row, so no window
SELECT s.* EXCLUDE (_gl_key_reason, _gl_row_reason, _gl_ok, _gl_single),
       coalesce(_gl_key_reason, _gl_row_reason) AS _gl_reason
FROM s WHERE _gl_single
UNION ALL
SELECT n.* EXCLUDE (_gl_key_reason, _gl_row_reason, _gl_ok, _gl_single, _gl_row, _gl_first, _gl_last, _gl_ok_upto,
                    _gl_arm_lo, _gl_arm_hi), CASE
    WHEN _gl_key_reason IS NOT NULL THEN _gl_key_reason
    WHEN _gl_row > _gl_first THEN 'exact_duplicate'
    WHEN _gl_row_reason IS NOT NULL THEN _gl_row_reason
    WHEN _gl_arm_lo <> _gl_arm_hi THEN 'multiple_arms'
    WHEN _gl_ok_upto - (_gl_last - _gl_first + 1) > 0 THEN 'repeated_assignment' END AS _gl_reason
FROM n;

-- [2] params: {}
CREATE OR REPLACE TEMP TABLE exp_assigned AS
SELECT CAST(row_number() OVER (ORDER BY user_id) AS INTEGER) AS uk, user_id, variant, assigned_at,
       CAST(make_timestamp(epoch_us("assigned_at") + 32400000000) AS DATE) AS assigned_day, _gl_unit AS unit_id
FROM ledger_assignments WHERE _gl_reason IS NULL;

-- [3] params: {}
SELECT variant, count(DISTINCT _gl_account) FROM (SELECT e.*, a.unit_id AS _gl_account FROM exp_users e JOIN exp_assigned a USING (uk)) u GROUP BY variant ORDER BY variant;

-- [4] params: {}
WITH acc AS (
    SELECT variant AS variant, _gl_account AS _gl_account, CAST(count(*) AS DOUBLE) AS n, sum(coalesce(CAST(CAST(coalesce(first_goal_day < 7, FALSE) AS INTEGER) AS DOUBLE), 0.0)) AS y,
           sum(coalesce(CAST(CAST(coalesce(first_goal_day < 7, FALSE) AS INTEGER) AS DOUBLE), 0.0) * coalesce(CAST(CAST(coalesce(first_goal_day < 7, FALSE) AS INTEGER) AS DOUBLE), 0.0)) AS q
    FROM (SELECT e.*, a.unit_id AS _gl_account FROM exp_users e JOIN exp_assigned a USING (uk)) u
    WHERE observed_days >= 6
    GROUP BY 1, 2)
SELECT variant, count(*) AS n_accounts, sum(n) AS n_users, sum(y) AS sum_y, sum(y * y) AS sum_y2,
       sum(n * n) AS sum_n2, sum(n * y) AS sum_ny, sum(n * n * n) AS sum_n3, sum(n * n * n * n) AS sum_n4,
       sum(q) AS sum_user_y2, CAST(sum(CAST(y * y / n AS DECIMAL(38, 12))) AS DOUBLE) AS sum_y2_over_n
FROM acc GROUP BY variant ORDER BY variant;

-- [5] params: {}
WITH acc AS (
    SELECT variant AS variant, _gl_account AS _gl_account, CAST(count(*) AS DOUBLE) AS n, sum(coalesce(CAST(CAST(active_d7 AS INTEGER) AS DOUBLE), 0.0)) AS y,
           sum(coalesce(CAST(CAST(active_d7 AS INTEGER) AS DOUBLE), 0.0) * coalesce(CAST(CAST(active_d7 AS INTEGER) AS DOUBLE), 0.0)) AS q
    FROM (SELECT e.*, a.unit_id AS _gl_account FROM exp_users e JOIN exp_assigned a USING (uk)) u
    WHERE observed_days >= 7
    GROUP BY 1, 2)
SELECT variant, count(*) AS n_accounts, sum(n) AS n_users, sum(y) AS sum_y, sum(y * y) AS sum_y2,
       sum(n * n) AS sum_n2, sum(n * y) AS sum_ny, sum(n * n * n) AS sum_n3, sum(n * n * n * n) AS sum_n4,
       sum(q) AS sum_user_y2, CAST(sum(CAST(y * y / n AS DECIMAL(38, 12))) AS DOUBLE) AS sum_y2_over_n
FROM acc GROUP BY variant ORDER BY variant;

-- [6] params: {}
WITH acc AS (
    SELECT variant AS variant, _gl_account AS _gl_account, CAST(count(*) AS DOUBLE) AS n, sum(coalesce(CAST(CAST(active_d1 AS INTEGER) AS DOUBLE), 0.0)) AS y,
           sum(coalesce(CAST(CAST(active_d1 AS INTEGER) AS DOUBLE), 0.0) * coalesce(CAST(CAST(active_d1 AS INTEGER) AS DOUBLE), 0.0)) AS q
    FROM (SELECT e.*, a.unit_id AS _gl_account FROM exp_users e JOIN exp_assigned a USING (uk)) u
    WHERE observed_days >= 1
    GROUP BY 1, 2)
SELECT variant, count(*) AS n_accounts, sum(n) AS n_users, sum(y) AS sum_y, sum(y * y) AS sum_y2,
       sum(n * n) AS sum_n2, sum(n * y) AS sum_ny, sum(n * n * n) AS sum_n3, sum(n * n * n * n) AS sum_n4,
       sum(q) AS sum_user_y2, CAST(sum(CAST(y * y / n AS DECIMAL(38, 12))) AS DOUBLE) AS sum_y2_over_n
FROM acc GROUP BY variant ORDER BY variant;
