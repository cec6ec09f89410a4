-- guidelab SQL for b2b-onboarding-checklist on data/sample, dialect: duckdb
-- as DuckDB runs it, parameters beside it
-- refresh: GUIDELAB_UPDATE_SNAPSHOTS=1 pytest tests/test_sql_snapshots.py

-- [1] params: {}
WITH acc AS (
    SELECT variant, _gl_day AS _gl_group, _gl_account, CAST(count(*) AS DOUBLE) AS n, sum(coalesce(CAST(_gl_active AS DOUBLE), 0.0)) AS y,
           sum(coalesce(CAST(_gl_active AS DOUBLE), 0.0) * coalesce(CAST(_gl_active AS DOUBLE), 0.0)) AS q
    FROM (SELECT u.variant, a.unit_id AS _gl_account, d.range AS _gl_day, CASE d.range WHEN 0 THEN CASE WHEN ((coalesce(act._gl_days0, 0) >> 0) & 1) = 1 THEN 1 ELSE 0 END WHEN 1 THEN CASE WHEN ((coalesce(act._gl_days0, 0) >> 1) & 1) = 1 THEN 1 ELSE 0 END WHEN 2 THEN CASE WHEN ((coalesce(act._gl_days0, 0) >> 2) & 1) = 1 THEN 1 ELSE 0 END WHEN 3 THEN CASE WHEN ((coalesce(act._gl_days0, 0) >> 3) & 1) = 1 THEN 1 ELSE 0 END WHEN 4 THEN CASE WHEN ((coalesce(act._gl_days0, 0) >> 4) & 1) = 1 THEN 1 ELSE 0 END WHEN 5 THEN CASE WHEN ((coalesce(act._gl_days0, 0) >> 5) & 1) = 1 THEN 1 ELSE 0 END WHEN 6 THEN CASE WHEN ((coalesce(act._gl_days0, 0) >> 6) & 1) = 1 THEN 1 ELSE 0 END WHEN 7 THEN CASE WHEN ((coalesce(act._gl_days0, 0) >> 7) & 1) = 1 THEN 1 ELSE 0 END WHEN 8 THEN CASE WHEN ((coalesce(act._gl_days0, 0) >> 8) & 1) = 1 THEN 1 ELSE 0 END WHEN 9 THEN CASE WHEN ((coalesce(act._gl_days0, 0) >> 9) & 1) = 1 THEN 1 ELSE 0 END WHEN 10 THEN CASE WHEN ((coalesce(act._gl_days0, 0) >> 10) & 1) = 1 THEN 1 ELSE 0 END WHEN 11 THEN CASE WHEN ((coalesce(act._gl_days0, 0) >> 11) & 1) = 1 THEN 1 ELSE 0 END WHEN 12 THEN CASE WHEN ((coalesce(act._gl_days0, 0) >> 12) & 1) = 1 THEN 1 ELSE 0 END WHEN 13 THEN CASE WHEN ((coalesce(act._gl_days0, 0) >> 13) & 1) = 1 THEN 1 ELSE 0 END WHEN 14 THEN CASE WHEN ((coalesce(act._gl_days0, 0) >> 14) & 1) = 1 THEN 1 ELSE 0 END WHEN 15 THEN CASE WHEN ((coalesce(act._gl_days0, 0) >> 15) & 1) = 1 THEN 1 ELSE 0 END WHEN 16 THEN CASE WHEN ((coalesce(act._gl_days0, 0) >> 16) & 1) = 1 THEN 1 ELSE 0 END WHEN 17 THEN CASE WHEN ((coalesce(act._gl_days0, 0) >> 17) & 1) = 1 THEN 1 ELSE 0 END WHEN 18 THEN CASE WHEN ((coalesce(act._gl_days0, 0) >> 18) & 1) = 1 THEN 1 ELSE 0 END WHEN 19 THEN CASE WHEN ((coalesce(act._gl_days0, 0) >> 19) & 1) = 1 THEN 1 ELSE 0 END WHEN 20 THEN CASE WHEN ((coalesce(act._gl_days0, 0) >> 20) & 1) = 1 THEN 1 ELSE 0 END WHEN 21 THEN CASE WHEN ((coalesce(act._gl_days0, 0) >> 21) & 1) = 1 THEN 1 ELSE 0 END WHEN 22 THEN CASE WHEN ((coalesce(act._gl_days0, 0) >> 22) & 1) = 1 THEN 1 ELSE 0 END WHEN 23 THEN CASE WHEN ((coalesce(act._gl_days0, 0) >> 23) & 1) = 1 THEN 1 ELSE 0 END WHEN 24 THEN CASE WHEN ((coalesce(act._gl_days0, 0) >> 24) & 1) = 1 THEN 1 ELSE 0 END WHEN 25 THEN CASE WHEN ((coalesce(act._gl_days0, 0) >> 25) & 1) = 1 THEN 1 ELSE 0 END WHEN 26 THEN CASE WHEN ((coalesce(act._gl_days0, 0) >> 26) & 1) = 1 THEN 1 ELSE 0 END WHEN 27 THEN CASE WHEN ((coalesce(act._gl_days0, 0) >> 27) & 1) = 1 THEN 1 ELSE 0 END WHEN 28 THEN CASE WHEN ((coalesce(act._gl_days0, 0) >> 28) & 1) = 1 THEN 1 ELSE 0 END WHEN 29 THEN CASE WHEN ((coalesce(act._gl_days0, 0) >> 29) & 1) = 1 THEN 1 ELSE 0 END WHEN 30 THEN CASE WHEN ((coalesce(act._gl_days0, 0) >> 30) & 1) = 1 THEN 1 ELSE 0 END ELSE 0 END AS _gl_active
 FROM exp_users u JOIN exp_assigned a USING (uk) LEFT JOIN exp_activity_users act USING (uk),
      range(0, 31) d
 WHERE u.observed_days >= d.range) u
    WHERE TRUE
    GROUP BY 1, 2, 3)
SELECT variant, _gl_group, count(*) AS n_accounts, sum(n) AS n_users, sum(y) AS sum_y, sum(y * y) AS sum_y2,
       sum(n * n) AS sum_n2, sum(n * y) AS sum_ny, sum(n * n * n) AS sum_n3, sum(n * n * n * n) AS sum_n4,
       sum(q) AS sum_user_y2, sum(y * y / n) AS sum_y2_over_n
FROM acc GROUP BY variant, _gl_group ORDER BY variant, _gl_group;

-- [2] params: {}
WITH acc AS (
    SELECT variant, assigned_day AS _gl_group, _gl_account, CAST(count(*) AS DOUBLE) AS n, sum(coalesce(CAST(CAST(coalesce(first_goal_day < 7, FALSE) AS INTEGER) AS DOUBLE), 0.0)) AS y,
           sum(coalesce(CAST(CAST(coalesce(first_goal_day < 7, FALSE) AS INTEGER) AS DOUBLE), 0.0) * coalesce(CAST(CAST(coalesce(first_goal_day < 7, FALSE) AS INTEGER) AS DOUBLE), 0.0)) AS q
    FROM (SELECT e.*, a.unit_id AS _gl_account FROM exp_users e JOIN exp_assigned a USING (uk)) u
    WHERE observed_days >= 6
    GROUP BY 1, 2, 3)
SELECT variant, _gl_group, count(*) AS n_accounts, sum(n) AS n_users, sum(y) AS sum_y, sum(y * y) AS sum_y2,
       sum(n * n) AS sum_n2, sum(n * y) AS sum_ny, sum(n * n * n) AS sum_n3, sum(n * n * n * n) AS sum_n4,
       sum(q) AS sum_user_y2, sum(y * y / n) AS sum_y2_over_n
FROM acc GROUP BY variant, _gl_group ORDER BY variant, _gl_group;

-- [3] params: {}
WITH acc AS (
    SELECT variant, assigned_day AS _gl_group, _gl_account, CAST(count(*) AS DOUBLE) AS n, sum(coalesce(CAST(CAST(coalesce(first_goal_day < 7, FALSE) AS INTEGER) AS DOUBLE), 0.0)) AS y,
           sum(coalesce(CAST(CAST(coalesce(first_goal_day < 7, FALSE) AS INTEGER) AS DOUBLE), 0.0) * coalesce(CAST(CAST(coalesce(first_goal_day < 7, FALSE) AS INTEGER) AS DOUBLE), 0.0)) AS q
    FROM (SELECT e.*, a.unit_id AS _gl_account FROM exp_users e JOIN exp_assigned a USING (uk)) u
    WHERE observed_days >= 6
    GROUP BY 1, 2, 3)
SELECT g.variant, g._gl_group, h._gl_group, sum(g.y * h.y), sum(g.y * h.n), sum(g.n * h.n)
FROM acc g JOIN acc h ON g.variant = h.variant AND g._gl_account = h._gl_account
GROUP BY 1, 2, 3;

-- [4] params: {}
WITH acc AS (
    SELECT variant, _gl_segment AS _gl_group, _gl_account, CAST(count(*) AS DOUBLE) AS n, sum(coalesce(CAST(CAST(coalesce(first_goal_day < 7, FALSE) AS INTEGER) AS DOUBLE), 0.0)) AS y,
           sum(coalesce(CAST(CAST(coalesce(first_goal_day < 7, FALSE) AS INTEGER) AS DOUBLE), 0.0) * coalesce(CAST(CAST(coalesce(first_goal_day < 7, FALSE) AS INTEGER) AS DOUBLE), 0.0)) AS q
    FROM (SELECT e.*, a.unit_id AS _gl_account, CAST(s."plan" AS VARCHAR) AS _gl_segment FROM exp_users e JOIN exp_assigned a USING (uk) JOIN exp_user_attrs s ON s.user_id = e.user_id) u
    WHERE observed_days >= 6
    GROUP BY 1, 2, 3)
SELECT variant, _gl_group, count(*) AS n_accounts, sum(n) AS n_users, sum(y) AS sum_y, sum(y * y) AS sum_y2,
       sum(n * n) AS sum_n2, sum(n * y) AS sum_ny, sum(n * n * n) AS sum_n3, sum(n * n * n * n) AS sum_n4,
       sum(q) AS sum_user_y2, sum(y * y / n) AS sum_y2_over_n
FROM acc GROUP BY variant, _gl_group ORDER BY variant, _gl_group;

-- [5] params: {}
WITH acc AS (
    SELECT variant, _gl_segment AS _gl_group, _gl_account, CAST(count(*) AS DOUBLE) AS n, sum(coalesce(CAST(CAST(coalesce(first_goal_day < 7, FALSE) AS INTEGER) AS DOUBLE), 0.0)) AS y,
           sum(coalesce(CAST(CAST(coalesce(first_goal_day < 7, FALSE) AS INTEGER) AS DOUBLE), 0.0) * coalesce(CAST(CAST(coalesce(first_goal_day < 7, FALSE) AS INTEGER) AS DOUBLE), 0.0)) AS q
    FROM (SELECT e.*, a.unit_id AS _gl_account, CAST(s."plan" AS VARCHAR) AS _gl_segment FROM exp_users e JOIN exp_assigned a USING (uk) JOIN exp_user_attrs s ON s.user_id = e.user_id) u
    WHERE observed_days >= 6
    GROUP BY 1, 2, 3)
SELECT g.variant, g._gl_group, h._gl_group, sum(g.y * h.y), sum(g.y * h.n), sum(g.n * h.n)
FROM acc g JOIN acc h ON g.variant = h.variant AND g._gl_account = h._gl_account
GROUP BY 1, 2, 3;

-- [6] params: {}
WITH acc AS (
    SELECT variant, _gl_segment AS _gl_group, _gl_account, CAST(count(*) AS DOUBLE) AS n, sum(coalesce(CAST(CAST(coalesce(first_goal_day < 7, FALSE) AS INTEGER) AS DOUBLE), 0.0)) AS y,
           sum(coalesce(CAST(CAST(coalesce(first_goal_day < 7, FALSE) AS INTEGER) AS DOUBLE), 0.0) * coalesce(CAST(CAST(coalesce(first_goal_day < 7, FALSE) AS INTEGER) AS DOUBLE), 0.0)) AS q
    FROM (SELECT e.*, a.unit_id AS _gl_account, CAST(s."platform" AS VARCHAR) AS _gl_segment FROM exp_users e JOIN exp_assigned a USING (uk) JOIN exp_user_attrs s ON s.user_id = e.user_id) u
    WHERE observed_days >= 6
    GROUP BY 1, 2, 3)
SELECT variant, _gl_group, count(*) AS n_accounts, sum(n) AS n_users, sum(y) AS sum_y, sum(y * y) AS sum_y2,
       sum(n * n) AS sum_n2, sum(n * y) AS sum_ny, sum(n * n * n) AS sum_n3, sum(n * n * n * n) AS sum_n4,
       sum(q) AS sum_user_y2, sum(y * y / n) AS sum_y2_over_n
FROM acc GROUP BY variant, _gl_group ORDER BY variant, _gl_group;

-- [7] params: {}
WITH acc AS (
    SELECT variant, _gl_segment AS _gl_group, _gl_account, CAST(count(*) AS DOUBLE) AS n, sum(coalesce(CAST(CAST(coalesce(first_goal_day < 7, FALSE) AS INTEGER) AS DOUBLE), 0.0)) AS y,
           sum(coalesce(CAST(CAST(coalesce(first_goal_day < 7, FALSE) AS INTEGER) AS DOUBLE), 0.0) * coalesce(CAST(CAST(coalesce(first_goal_day < 7, FALSE) AS INTEGER) AS DOUBLE), 0.0)) AS q
    FROM (SELECT e.*, a.unit_id AS _gl_account, CAST(s."platform" AS VARCHAR) AS _gl_segment FROM exp_users e JOIN exp_assigned a USING (uk) JOIN exp_user_attrs s ON s.user_id = e.user_id) u
    WHERE observed_days >= 6
    GROUP BY 1, 2, 3)
SELECT g.variant, g._gl_group, h._gl_group, sum(g.y * h.y), sum(g.y * h.n), sum(g.n * h.n)
FROM acc g JOIN acc h ON g.variant = h.variant AND g._gl_account = h._gl_account
GROUP BY 1, 2, 3;

-- [8] params: {"gid": "company-setup-checklist", "v": "checklist"}
WITH acc AS (
    SELECT variant, _gl_step AS _gl_group, _gl_account, CAST(count(*) AS DOUBLE) AS n, sum(coalesce(CAST(CASE WHEN _gl_reached THEN 1 ELSE 0 END AS DOUBLE), 0.0)) AS y,
           sum(coalesce(CAST(CASE WHEN _gl_reached THEN 1 ELSE 0 END AS DOUBLE), 0.0) * coalesce(CAST(CASE WHEN _gl_reached THEN 1 ELSE 0 END AS DOUBLE), 0.0)) AS q
    FROM (SELECT u.variant, a.unit_id AS _gl_account, r.range AS _gl_step,
        CASE WHEN r.range = 1 THEN TRUE
             ELSE coalesce(s.max_step, 0) >= r.range - 1 OR coalesce(u.completed, FALSE) END AS _gl_prev,
        CASE WHEN r.range <= 3 THEN coalesce(s.max_step, 0) >= r.range OR coalesce(u.completed, FALSE)
             ELSE coalesce(u.completed, FALSE) END AS _gl_reached
 FROM exp_users u JOIN exp_assigned a USING (uk)
      LEFT JOIN (SELECT uk, max_shown_step AS max_step FROM exp_guide_user WHERE guide_id = $gid) s USING (uk),
      range(1, 5) r
 WHERE u.variant = $v) u
    WHERE TRUE
    GROUP BY 1, 2, 3)
SELECT variant, _gl_group, count(*) AS n_accounts, sum(n) AS n_users, sum(y) AS sum_y, sum(y * y) AS sum_y2,
       sum(n * n) AS sum_n2, sum(n * y) AS sum_ny, sum(n * n * n) AS sum_n3, sum(n * n * n * n) AS sum_n4,
       sum(q) AS sum_user_y2, sum(y * y / n) AS sum_y2_over_n
FROM acc GROUP BY variant, _gl_group ORDER BY variant, _gl_group;

-- [9] params: {"gid": "company-setup-checklist", "v": "checklist"}
WITH acc AS (
    SELECT variant, _gl_step AS _gl_group, _gl_account, CAST(count(*) AS DOUBLE) AS n, sum(coalesce(CAST(CASE WHEN _gl_reached THEN 1 ELSE 0 END AS DOUBLE), 0.0)) AS y,
           sum(coalesce(CAST(CASE WHEN _gl_reached THEN 1 ELSE 0 END AS DOUBLE), 0.0) * coalesce(CAST(CASE WHEN _gl_reached THEN 1 ELSE 0 END AS DOUBLE), 0.0)) AS q
    FROM (SELECT u.variant, a.unit_id AS _gl_account, r.range AS _gl_step,
        CASE WHEN r.range = 1 THEN TRUE
             ELSE coalesce(s.max_step, 0) >= r.range - 1 OR coalesce(u.completed, FALSE) END AS _gl_prev,
        CASE WHEN r.range <= 3 THEN coalesce(s.max_step, 0) >= r.range OR coalesce(u.completed, FALSE)
             ELSE coalesce(u.completed, FALSE) END AS _gl_reached
 FROM exp_users u JOIN exp_assigned a USING (uk)
      LEFT JOIN (SELECT uk, max_shown_step AS max_step FROM exp_guide_user WHERE guide_id = $gid) s USING (uk),
      range(1, 5) r
 WHERE u.variant = $v) u
    WHERE _gl_prev
    GROUP BY 1, 2, 3)
SELECT variant, _gl_group, count(*) AS n_accounts, sum(n) AS n_users, sum(y) AS sum_y, sum(y * y) AS sum_y2,
       sum(n * n) AS sum_n2, sum(n * y) AS sum_ny, sum(n * n * n) AS sum_n3, sum(n * n * n * n) AS sum_n4,
       sum(q) AS sum_user_y2, sum(y * y / n) AS sum_y2_over_n
FROM acc GROUP BY variant, _gl_group ORDER BY variant, _gl_group;
