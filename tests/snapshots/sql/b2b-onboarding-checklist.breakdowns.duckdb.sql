-- guidelab SQL for b2b-onboarding-checklist on data/sample, dialect: duckdb
-- as DuckDB runs it, parameters beside it
-- refresh: GUIDELAB_UPDATE_SNAPSHOTS=1 pytest tests/test_sql_snapshots.py

-- [1] params: {}
WITH acc AS (
    SELECT u.variant, a.unit_id AS _gl_account, CAST(sum(CASE WHEN u.observed_days >= 0 THEN 1 ELSE 0 END) AS DOUBLE) AS n0, CAST(sum(CASE WHEN u.observed_days >= 0 AND ((coalesce(u._gl_days0, 0) >> 0) & 1) = 1 THEN 1 ELSE 0 END) AS DOUBLE) AS y0, CAST(sum(CASE WHEN u.observed_days >= 1 THEN 1 ELSE 0 END) AS DOUBLE) AS n1, CAST(sum(CASE WHEN u.observed_days >= 1 AND ((coalesce(u._gl_days0, 0) >> 1) & 1) = 1 THEN 1 ELSE 0 END) AS DOUBLE) AS y1, CAST(sum(CASE WHEN u.observed_days >= 2 THEN 1 ELSE 0 END) AS DOUBLE) AS n2, CAST(sum(CASE WHEN u.observed_days >= 2 AND ((coalesce(u._gl_days0, 0) >> 2) & 1) = 1 THEN 1 ELSE 0 END) AS DOUBLE) AS y2, CAST(sum(CASE WHEN u.observed_days >= 3 THEN 1 ELSE 0 END) AS DOUBLE) AS n3, CAST(sum(CASE WHEN u.observed_days >= 3 AND ((coalesce(u._gl_days0, 0) >> 3) & 1) = 1 THEN 1 ELSE 0 END) AS DOUBLE) AS y3, CAST(sum(CASE WHEN u.observed_days >= 4 THEN 1 ELSE 0 END) AS DOUBLE) AS n4, CAST(sum(CASE WHEN u.observed_days >= 4 AND ((coalesce(u._gl_days0, 0) >> 4) & 1) = 1 THEN 1 ELSE 0 END) AS DOUBLE) AS y4, CAST(sum(CASE WHEN u.observed_days >= 5 THEN 1 ELSE 0 END) AS DOUBLE) AS n5, CAST(sum(CASE WHEN u.observed_days >= 5 AND ((coalesce(u._gl_days0, 0) >> 5) & 1) = 1 THEN 1 ELSE 0 END) AS DOUBLE) AS y5, CAST(sum(CASE WHEN u.observed_days >= 6 THEN 1 ELSE 0 END) AS DOUBLE) AS n6, CAST(sum(CASE WHEN u.observed_days >= 6 AND ((coalesce(u._gl_days0, 0) >> 6) & 1) = 1 THEN 1 ELSE 0 END) AS DOUBLE) AS y6, CAST(sum(CASE WHEN u.observed_days >= 7 THEN 1 ELSE 0 END) AS DOUBLE) AS n7, CAST(sum(CASE WHEN u.observed_days >= 7 AND ((coalesce(u._gl_days0, 0) >> 7) & 1) = 1 THEN 1 ELSE 0 END) AS DOUBLE) AS y7, CAST(sum(CASE WHEN u.observed_days >= 8 THEN 1 ELSE 0 END) AS DOUBLE) AS n8, CAST(sum(CASE WHEN u.observed_days >= 8 AND ((coalesce(u._gl_days0, 0) >> 8) & 1) = 1 THEN 1 ELSE 0 END) AS DOUBLE) AS y8, CAST(sum(CASE WHEN u.observed_days >= 9 THEN 1 ELSE 0 END) AS DOUBLE) AS n9, CAST(sum(CASE WHEN u.observed_days >= 9 AND ((coalesce(u._gl_days0, 0) >> 9) & 1) = 1 THEN 1 ELSE 0 END) AS DOUBLE) AS y9, CAST(sum(CASE WHEN u.observed_days >= 10 THEN 1 ELSE 0 END) AS DOUBLE) AS n10, CAST(sum(CASE WHEN u.observed_days >= 10 AND ((coalesce(u._gl_days0, 0) >> 10) & 1) = 1 THEN 1 ELSE 0 END) AS DOUBLE) AS y10, CAST(sum(CASE WHEN u.observed_days >= 11 THEN 1 ELSE 0 END) AS DOUBLE) AS n11, CAST(sum(CASE WHEN u.observed_days >= 11 AND ((coalesce(u._gl_days0, 0) >> 11) & 1) = 1 THEN 1 ELSE 0 END) AS DOUBLE) AS y11, CAST(sum(CASE WHEN u.observed_days >= 12 THEN 1 ELSE 0 END) AS DOUBLE) AS n12, CAST(sum(CASE WHEN u.observed_days >= 12 AND ((coalesce(u._gl_days0, 0) >> 12) & 1) = 1 THEN 1 ELSE 0 END) AS DOUBLE) AS y12, CAST(sum(CASE WHEN u.observed_days >= 13 THEN 1 ELSE 0 END) AS DOUBLE) AS n13, CAST(sum(CASE WHEN u.observed_days >= 13 AND ((coalesce(u._gl_days0, 0) >> 13) & 1) = 1 THEN 1 ELSE 0 END) AS DOUBLE) AS y13, CAST(sum(CASE WHEN u.observed_days >= 14 THEN 1 ELSE 0 END) AS DOUBLE) AS n14, CAST(sum(CASE WHEN u.observed_days >= 14 AND ((coalesce(u._gl_days0, 0) >> 14) & 1) = 1 THEN 1 ELSE 0 END) AS DOUBLE) AS y14, CAST(sum(CASE WHEN u.observed_days >= 15 THEN 1 ELSE 0 END) AS DOUBLE) AS n15, CAST(sum(CASE WHEN u.observed_days >= 15 AND ((coalesce(u._gl_days0, 0) >> 15) & 1) = 1 THEN 1 ELSE 0 END) AS DOUBLE) AS y15, CAST(sum(CASE WHEN u.observed_days >= 16 THEN 1 ELSE 0 END) AS DOUBLE) AS n16, CAST(sum(CASE WHEN u.observed_days >= 16 AND ((coalesce(u._gl_days0, 0) >> 16) & 1) = 1 THEN 1 ELSE 0 END) AS DOUBLE) AS y16, CAST(sum(CASE WHEN u.observed_days >= 17 THEN 1 ELSE 0 END) AS DOUBLE) AS n17, CAST(sum(CASE WHEN u.observed_days >= 17 AND ((coalesce(u._gl_days0, 0) >> 17) & 1) = 1 THEN 1 ELSE 0 END) AS DOUBLE) AS y17, CAST(sum(CASE WHEN u.observed_days >= 18 THEN 1 ELSE 0 END) AS DOUBLE) AS n18, CAST(sum(CASE WHEN u.observed_days >= 18 AND ((coalesce(u._gl_days0, 0) >> 18) & 1) = 1 THEN 1 ELSE 0 END) AS DOUBLE) AS y18, CAST(sum(CASE WHEN u.observed_days >= 19 THEN 1 ELSE 0 END) AS DOUBLE) AS n19, CAST(sum(CASE WHEN u.observed_days >= 19 AND ((coalesce(u._gl_days0, 0) >> 19) & 1) = 1 THEN 1 ELSE 0 END) AS DOUBLE) AS y19, CAST(sum(CASE WHEN u.observed_days >= 20 THEN 1 ELSE 0 END) AS DOUBLE) AS n20, CAST(sum(CASE WHEN u.observed_days >= 20 AND ((coalesce(u._gl_days0, 0) >> 20) & 1) = 1 THEN 1 ELSE 0 END) AS DOUBLE) AS y20, CAST(sum(CASE WHEN u.observed_days >= 21 THEN 1 ELSE 0 END) AS DOUBLE) AS n21, CAST(sum(CASE WHEN u.observed_days >= 21 AND ((coalesce(u._gl_days0, 0) >> 21) & 1) = 1 THEN 1 ELSE 0 END) AS DOUBLE) AS y21, CAST(sum(CASE WHEN u.observed_days >= 22 THEN 1 ELSE 0 END) AS DOUBLE) AS n22, CAST(sum(CASE WHEN u.observed_days >= 22 AND ((coalesce(u._gl_days0, 0) >> 22) & 1) = 1 THEN 1 ELSE 0 END) AS DOUBLE) AS y22, CAST(sum(CASE WHEN u.observed_days >= 23 THEN 1 ELSE 0 END) AS DOUBLE) AS n23, CAST(sum(CASE WHEN u.observed_days >= 23 AND ((coalesce(u._gl_days0, 0) >> 23) & 1) = 1 THEN 1 ELSE 0 END) AS DOUBLE) AS y23, CAST(sum(CASE WHEN u.observed_days >= 24 THEN 1 ELSE 0 END) AS DOUBLE) AS n24, CAST(sum(CASE WHEN u.observed_days >= 24 AND ((coalesce(u._gl_days0, 0) >> 24) & 1) = 1 THEN 1 ELSE 0 END) AS DOUBLE) AS y24, CAST(sum(CASE WHEN u.observed_days >= 25 THEN 1 ELSE 0 END) AS DOUBLE) AS n25, CAST(sum(CASE WHEN u.observed_days >= 25 AND ((coalesce(u._gl_days0, 0) >> 25) & 1) = 1 THEN 1 ELSE 0 END) AS DOUBLE) AS y25, CAST(sum(CASE WHEN u.observed_days >= 26 THEN 1 ELSE 0 END) AS DOUBLE) AS n26, CAST(sum(CASE WHEN u.observed_days >= 26 AND ((coalesce(u._gl_days0, 0) >> 26) & 1) = 1 THEN 1 ELSE 0 END) AS DOUBLE) AS y26, CAST(sum(CASE WHEN u.observed_days >= 27 THEN 1 ELSE 0 END) AS DOUBLE) AS n27, CAST(sum(CASE WHEN u.observed_days >= 27 AND ((coalesce(u._gl_days0, 0) >> 27) & 1) = 1 THEN 1 ELSE 0 END) AS DOUBLE) AS y27, CAST(sum(CASE WHEN u.observed_days >= 28 THEN 1 ELSE 0 END) AS DOUBLE) AS n28, CAST(sum(CASE WHEN u.observed_days >= 28 AND ((coalesce(u._gl_days0, 0) >> 28) & 1) = 1 THEN 1 ELSE 0 END) AS DOUBLE) AS y28, CAST(sum(CASE WHEN u.observed_days >= 29 THEN 1 ELSE 0 END) AS DOUBLE) AS n29, CAST(sum(CASE WHEN u.observed_days >= 29 AND ((coalesce(u._gl_days0, 0) >> 29) & 1) = 1 THEN 1 ELSE 0 END) AS DOUBLE) AS y29, CAST(sum(CASE WHEN u.observed_days >= 30 THEN 1 ELSE 0 END) AS DOUBLE) AS n30, CAST(sum(CASE WHEN u.observed_days >= 30 AND ((coalesce(u._gl_days0, 0) >> 30) & 1) = 1 THEN 1 ELSE 0 END) AS DOUBLE) AS y30
    FROM exp_users u JOIN exp_assigned a USING (uk)
    WHERE u.observed_days >= 0
    GROUP BY 1, 2)
SELECT variant, sum(CASE WHEN n0 > 0 THEN 1 ELSE 0 END), sum(n0), sum(y0), sum(y0 * y0), sum(n0 * n0), sum(n0 * y0), sum(n0 * n0 * n0), sum(n0 * n0 * n0 * n0), sum(y0), CAST(sum(CAST(CASE WHEN n0 > 0 THEN y0 * y0 / n0 ELSE 0 END AS DECIMAL(38, 12))) AS DOUBLE), sum(CASE WHEN n1 > 0 THEN 1 ELSE 0 END), sum(n1), sum(y1), sum(y1 * y1), sum(n1 * n1), sum(n1 * y1), sum(n1 * n1 * n1), sum(n1 * n1 * n1 * n1), sum(y1), CAST(sum(CAST(CASE WHEN n1 > 0 THEN y1 * y1 / n1 ELSE 0 END AS DECIMAL(38, 12))) AS DOUBLE), sum(CASE WHEN n2 > 0 THEN 1 ELSE 0 END), sum(n2), sum(y2), sum(y2 * y2), sum(n2 * n2), sum(n2 * y2), sum(n2 * n2 * n2), sum(n2 * n2 * n2 * n2), sum(y2), CAST(sum(CAST(CASE WHEN n2 > 0 THEN y2 * y2 / n2 ELSE 0 END AS DECIMAL(38, 12))) AS DOUBLE), sum(CASE WHEN n3 > 0 THEN 1 ELSE 0 END), sum(n3), sum(y3), sum(y3 * y3), sum(n3 * n3), sum(n3 * y3), sum(n3 * n3 * n3), sum(n3 * n3 * n3 * n3), sum(y3), CAST(sum(CAST(CASE WHEN n3 > 0 THEN y3 * y3 / n3 ELSE 0 END AS DECIMAL(38, 12))) AS DOUBLE), sum(CASE WHEN n4 > 0 THEN 1 ELSE 0 END), sum(n4), sum(y4), sum(y4 * y4), sum(n4 * n4), sum(n4 * y4), sum(n4 * n4 * n4), sum(n4 * n4 * n4 * n4), sum(y4), CAST(sum(CAST(CASE WHEN n4 > 0 THEN y4 * y4 / n4 ELSE 0 END AS DECIMAL(38, 12))) AS DOUBLE), sum(CASE WHEN n5 > 0 THEN 1 ELSE 0 END), sum(n5), sum(y5), sum(y5 * y5), sum(n5 * n5), sum(n5 * y5), sum(n5 * n5 * n5), sum(n5 * n5 * n5 * n5), sum(y5), CAST(sum(CAST(CASE WHEN n5 > 0 THEN y5 * y5 / n5 ELSE 0 END AS DECIMAL(38, 12))) AS DOUBLE), sum(CASE WHEN n6 > 0 THEN 1 ELSE 0 END), sum(n6), sum(y6), sum(y6 * y6), sum(n6 * n6), sum(n6 * y6), sum(n6 * n6 * n6), sum(n6 * n6 * n6 * n6), sum(y6), CAST(sum(CAST(CASE WHEN n6 > 0 THEN y6 * y6 / n6 ELSE 0 END AS DECIMAL(38, 12))) AS DOUBLE), sum(CASE WHEN n7 > 0 THEN 1 ELSE 0 END), sum(n7), sum(y7), sum(y7 * y7), sum(n7 * n7), sum(n7 * y7), sum(n7 * n7 * n7), sum(n7 * n7 * n7 * n7), sum(y7), CAST(sum(CAST(CASE WHEN n7 > 0 THEN y7 * y7 / n7 ELSE 0 END AS DECIMAL(38, 12))) AS DOUBLE), sum(CASE WHEN n8 > 0 THEN 1 ELSE 0 END), sum(n8), sum(y8), sum(y8 * y8), sum(n8 * n8), sum(n8 * y8), sum(n8 * n8 * n8), sum(n8 * n8 * n8 * n8), sum(y8), CAST(sum(CAST(CASE WHEN n8 > 0 THEN y8 * y8 / n8 ELSE 0 END AS DECIMAL(38, 12))) AS DOUBLE), sum(CASE WHEN n9 > 0 THEN 1 ELSE 0 END), sum(n9), sum(y9), sum(y9 * y9), sum(n9 * n9), sum(n9 * y9), sum(n9 * n9 * n9), sum(n9 * n9 * n9 * n9), sum(y9), CAST(sum(CAST(CASE WHEN n9 > 0 THEN y9 * y9 / n9 ELSE 0 END AS DECIMAL(38, 12))) AS DOUBLE), sum(CASE WHEN n10 > 0 THEN 1 ELSE 0 END), sum(n10), sum(y10), sum(y10 * y10), sum(n10 * n10), sum(n10 * y10), sum(n10 * n10 * n10), sum(n10 * n10 * n10 * n10), sum(y10), CAST(sum(CAST(CASE WHEN n10 > 0 THEN y10 * y10 / n10 ELSE 0 END AS DECIMAL(38, 12))) AS DOUBLE), sum(CASE WHEN n11 > 0 THEN 1 ELSE 0 END), sum(n11), sum(y11), sum(y11 * y11), sum(n11 * n11), sum(n11 * y11), sum(n11 * n11 * n11), sum(n11 * n11 * n11 * n11), sum(y11), CAST(sum(CAST(CASE WHEN n11 > 0 THEN y11 * y11 / n11 ELSE 0 END AS DECIMAL(38, 12))) AS DOUBLE), sum(CASE WHEN n12 > 0 THEN 1 ELSE 0 END), sum(n12), sum(y12), sum(y12 * y12), sum(n12 * n12), sum(n12 * y12), sum(n12 * n12 * n12), sum(n12 * n12 * n12 * n12), sum(y12), CAST(sum(CAST(CASE WHEN n12 > 0 THEN y12 * y12 / n12 ELSE 0 END AS DECIMAL(38, 12))) AS DOUBLE), sum(CASE WHEN n13 > 0 THEN 1 ELSE 0 END), sum(n13), sum(y13), sum(y13 * y13), sum(n13 * n13), sum(n13 * y13), sum(n13 * n13 * n13), sum(n13 * n13 * n13 * n13), sum(y13), CAST(sum(CAST(CASE WHEN n13 > 0 THEN y13 * y13 / n13 ELSE 0 END AS DECIMAL(38, 12))) AS DOUBLE), sum(CASE WHEN n14 > 0 THEN 1 ELSE 0 END), sum(n14), sum(y14), sum(y14 * y14), sum(n14 * n14), sum(n14 * y14), sum(n14 * n14 * n14), sum(n14 * n14 * n14 * n14), sum(y14), CAST(sum(CAST(CASE WHEN n14 > 0 THEN y14 * y14 / n14 ELSE 0 END AS DECIMAL(38, 12))) AS DOUBLE), sum(CASE WHEN n15 > 0 THEN 1 ELSE 0 END), sum(n15), sum(y15), sum(y15 * y15), sum(n15 * n15), sum(n15 * y15), sum(n15 * n15 * n15), sum(n15 * n15 * n15 * n15), sum(y15), CAST(sum(CAST(CASE WHEN n15 > 0 THEN y15 * y15 / n15 ELSE 0 END AS DECIMAL(38, 12))) AS DOUBLE), sum(CASE WHEN n16 > 0 THEN 1 ELSE 0 END), sum(n16), sum(y16), sum(y16 * y16), sum(n16 * n16), sum(n16 * y16), sum(n16 * n16 * n16), sum(n16 * n16 * n16 * n16), sum(y16), CAST(sum(CAST(CASE WHEN n16 > 0 THEN y16 * y16 / n16 ELSE 0 END AS DECIMAL(38, 12))) AS DOUBLE), sum(CASE WHEN n17 > 0 THEN 1 ELSE 0 END), sum(n17), sum(y17), sum(y17 * y17), sum(n17 * n17), sum(n17 * y17), sum(n17 * n17 * n17), sum(n17 * n17 * n17 * n17), sum(y17), CAST(sum(CAST(CASE WHEN n17 > 0 THEN y17 * y17 / n17 ELSE 0 END AS DECIMAL(38, 12))) AS DOUBLE), sum(CASE WHEN n18 > 0 THEN 1 ELSE 0 END), sum(n18), sum(y18), sum(y18 * y18), sum(n18 * n18), sum(n18 * y18), sum(n18 * n18 * n18), sum(n18 * n18 * n18 * n18), sum(y18), CAST(sum(CAST(CASE WHEN n18 > 0 THEN y18 * y18 / n18 ELSE 0 END AS DECIMAL(38, 12))) AS DOUBLE), sum(CASE WHEN n19 > 0 THEN 1 ELSE 0 END), sum(n19), sum(y19), sum(y19 * y19), sum(n19 * n19), sum(n19 * y19), sum(n19 * n19 * n19), sum(n19 * n19 * n19 * n19), sum(y19), CAST(sum(CAST(CASE WHEN n19 > 0 THEN y19 * y19 / n19 ELSE 0 END AS DECIMAL(38, 12))) AS DOUBLE), sum(CASE WHEN n20 > 0 THEN 1 ELSE 0 END), sum(n20), sum(y20), sum(y20 * y20), sum(n20 * n20), sum(n20 * y20), sum(n20 * n20 * n20), sum(n20 * n20 * n20 * n20), sum(y20), CAST(sum(CAST(CASE WHEN n20 > 0 THEN y20 * y20 / n20 ELSE 0 END AS DECIMAL(38, 12))) AS DOUBLE), sum(CASE WHEN n21 > 0 THEN 1 ELSE 0 END), sum(n21), sum(y21), sum(y21 * y21), sum(n21 * n21), sum(n21 * y21), sum(n21 * n21 * n21), sum(n21 * n21 * n21 * n21), sum(y21), CAST(sum(CAST(CASE WHEN n21 > 0 THEN y21 * y21 / n21 ELSE 0 END AS DECIMAL(38, 12))) AS DOUBLE), sum(CASE WHEN n22 > 0 THEN 1 ELSE 0 END), sum(n22), sum(y22), sum(y22 * y22), sum(n22 * n22), sum(n22 * y22), sum(n22 * n22 * n22), sum(n22 * n22 * n22 * n22), sum(y22), CAST(sum(CAST(CASE WHEN n22 > 0 THEN y22 * y22 / n22 ELSE 0 END AS DECIMAL(38, 12))) AS DOUBLE), sum(CASE WHEN n23 > 0 THEN 1 ELSE 0 END), sum(n23), sum(y23), sum(y23 * y23), sum(n23 * n23), sum(n23 * y23), sum(n23 * n23 * n23), sum(n23 * n23 * n23 * n23), sum(y23), CAST(sum(CAST(CASE WHEN n23 > 0 THEN y23 * y23 / n23 ELSE 0 END AS DECIMAL(38, 12))) AS DOUBLE), sum(CASE WHEN n24 > 0 THEN 1 ELSE 0 END), sum(n24), sum(y24), sum(y24 * y24), sum(n24 * n24), sum(n24 * y24), sum(n24 * n24 * n24), sum(n24 * n24 * n24 * n24), sum(y24), CAST(sum(CAST(CASE WHEN n24 > 0 THEN y24 * y24 / n24 ELSE 0 END AS DECIMAL(38, 12))) AS DOUBLE), sum(CASE WHEN n25 > 0 THEN 1 ELSE 0 END), sum(n25), sum(y25), sum(y25 * y25), sum(n25 * n25), sum(n25 * y25), sum(n25 * n25 * n25), sum(n25 * n25 * n25 * n25), sum(y25), CAST(sum(CAST(CASE WHEN n25 > 0 THEN y25 * y25 / n25 ELSE 0 END AS DECIMAL(38, 12))) AS DOUBLE), sum(CASE WHEN n26 > 0 THEN 1 ELSE 0 END), sum(n26), sum(y26), sum(y26 * y26), sum(n26 * n26), sum(n26 * y26), sum(n26 * n26 * n26), sum(n26 * n26 * n26 * n26), sum(y26), CAST(sum(CAST(CASE WHEN n26 > 0 THEN y26 * y26 / n26 ELSE 0 END AS DECIMAL(38, 12))) AS DOUBLE), sum(CASE WHEN n27 > 0 THEN 1 ELSE 0 END), sum(n27), sum(y27), sum(y27 * y27), sum(n27 * n27), sum(n27 * y27), sum(n27 * n27 * n27), sum(n27 * n27 * n27 * n27), sum(y27), CAST(sum(CAST(CASE WHEN n27 > 0 THEN y27 * y27 / n27 ELSE 0 END AS DECIMAL(38, 12))) AS DOUBLE), sum(CASE WHEN n28 > 0 THEN 1 ELSE 0 END), sum(n28), sum(y28), sum(y28 * y28), sum(n28 * n28), sum(n28 * y28), sum(n28 * n28 * n28), sum(n28 * n28 * n28 * n28), sum(y28), CAST(sum(CAST(CASE WHEN n28 > 0 THEN y28 * y28 / n28 ELSE 0 END AS DECIMAL(38, 12))) AS DOUBLE), sum(CASE WHEN n29 > 0 THEN 1 ELSE 0 END), sum(n29), sum(y29), sum(y29 * y29), sum(n29 * n29), sum(n29 * y29), sum(n29 * n29 * n29), sum(n29 * n29 * n29 * n29), sum(y29), CAST(sum(CAST(CASE WHEN n29 > 0 THEN y29 * y29 / n29 ELSE 0 END AS DECIMAL(38, 12))) AS DOUBLE), sum(CASE WHEN n30 > 0 THEN 1 ELSE 0 END), sum(n30), sum(y30), sum(y30 * y30), sum(n30 * n30), sum(n30 * y30), sum(n30 * n30 * n30), sum(n30 * n30 * n30 * n30), sum(y30), CAST(sum(CAST(CASE WHEN n30 > 0 THEN y30 * y30 / n30 ELSE 0 END AS DECIMAL(38, 12))) AS DOUBLE)
FROM acc GROUP BY variant ORDER BY variant;

-- [2] params: {}
WITH acc AS (
    SELECT variant, assigned_day AS _gl_group, _gl_account, CAST(count(*) AS DOUBLE) AS n, sum(coalesce(CAST(CAST(coalesce(first_goal_day < 7, FALSE) AS INTEGER) AS DOUBLE), 0.0)) AS y,
           sum(coalesce(CAST(CAST(coalesce(first_goal_day < 7, FALSE) AS INTEGER) AS DOUBLE), 0.0) * coalesce(CAST(CAST(coalesce(first_goal_day < 7, FALSE) AS INTEGER) AS DOUBLE), 0.0)) AS q
    FROM (SELECT e.*, a.unit_id AS _gl_account FROM exp_users e JOIN exp_assigned a USING (uk)) u
    WHERE observed_days >= 6
    GROUP BY 1, 2, 3)
SELECT variant, _gl_group, count(*) AS n_accounts, sum(n) AS n_users, sum(y) AS sum_y,
       sum(y * y) AS sum_y2, sum(n * n) AS sum_n2, sum(n * y) AS sum_ny, sum(n * n * n) AS sum_n3,
       sum(n * n * n * n) AS sum_n4, sum(q) AS sum_user_y2, CAST(sum(CAST(y * y / n AS DECIMAL(38, 12))) AS DOUBLE) AS sum_y2_over_n
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
    FROM (SELECT e.*, a.unit_id AS _gl_account, CAST(e."_gl_attr_plan" AS VARCHAR) AS _gl_segment FROM exp_users e JOIN exp_assigned a USING (uk)) u
    WHERE observed_days >= 6
    GROUP BY 1, 2, 3)
SELECT variant, _gl_group, count(*) AS n_accounts, sum(n) AS n_users, sum(y) AS sum_y,
       sum(y * y) AS sum_y2, sum(n * n) AS sum_n2, sum(n * y) AS sum_ny, sum(n * n * n) AS sum_n3,
       sum(n * n * n * n) AS sum_n4, sum(q) AS sum_user_y2, CAST(sum(CAST(y * y / n AS DECIMAL(38, 12))) AS DOUBLE) AS sum_y2_over_n
FROM acc GROUP BY variant, _gl_group ORDER BY variant, _gl_group;

-- [5] params: {}
WITH acc AS (
    SELECT variant, _gl_segment AS _gl_group, _gl_account, CAST(count(*) AS DOUBLE) AS n, sum(coalesce(CAST(CAST(coalesce(first_goal_day < 7, FALSE) AS INTEGER) AS DOUBLE), 0.0)) AS y,
           sum(coalesce(CAST(CAST(coalesce(first_goal_day < 7, FALSE) AS INTEGER) AS DOUBLE), 0.0) * coalesce(CAST(CAST(coalesce(first_goal_day < 7, FALSE) AS INTEGER) AS DOUBLE), 0.0)) AS q
    FROM (SELECT e.*, a.unit_id AS _gl_account, CAST(e."_gl_attr_plan" AS VARCHAR) AS _gl_segment FROM exp_users e JOIN exp_assigned a USING (uk)) u
    WHERE observed_days >= 6
    GROUP BY 1, 2, 3)
SELECT g.variant, g._gl_group, h._gl_group, sum(g.y * h.y), sum(g.y * h.n), sum(g.n * h.n)
FROM acc g JOIN acc h ON g.variant = h.variant AND g._gl_account = h._gl_account
GROUP BY 1, 2, 3;

-- [6] params: {}
WITH acc AS (
    SELECT variant, _gl_segment AS _gl_group, _gl_account, CAST(count(*) AS DOUBLE) AS n, sum(coalesce(CAST(CAST(coalesce(first_goal_day < 7, FALSE) AS INTEGER) AS DOUBLE), 0.0)) AS y,
           sum(coalesce(CAST(CAST(coalesce(first_goal_day < 7, FALSE) AS INTEGER) AS DOUBLE), 0.0) * coalesce(CAST(CAST(coalesce(first_goal_day < 7, FALSE) AS INTEGER) AS DOUBLE), 0.0)) AS q
    FROM (SELECT e.*, a.unit_id AS _gl_account, CAST(e."_gl_attr_platform" AS VARCHAR) AS _gl_segment FROM exp_users e JOIN exp_assigned a USING (uk)) u
    WHERE observed_days >= 6
    GROUP BY 1, 2, 3)
SELECT variant, _gl_group, count(*) AS n_accounts, sum(n) AS n_users, sum(y) AS sum_y,
       sum(y * y) AS sum_y2, sum(n * n) AS sum_n2, sum(n * y) AS sum_ny, sum(n * n * n) AS sum_n3,
       sum(n * n * n * n) AS sum_n4, sum(q) AS sum_user_y2, CAST(sum(CAST(y * y / n AS DECIMAL(38, 12))) AS DOUBLE) AS sum_y2_over_n
FROM acc GROUP BY variant, _gl_group ORDER BY variant, _gl_group;

-- [7] params: {}
WITH acc AS (
    SELECT variant, _gl_segment AS _gl_group, _gl_account, CAST(count(*) AS DOUBLE) AS n, sum(coalesce(CAST(CAST(coalesce(first_goal_day < 7, FALSE) AS INTEGER) AS DOUBLE), 0.0)) AS y,
           sum(coalesce(CAST(CAST(coalesce(first_goal_day < 7, FALSE) AS INTEGER) AS DOUBLE), 0.0) * coalesce(CAST(CAST(coalesce(first_goal_day < 7, FALSE) AS INTEGER) AS DOUBLE), 0.0)) AS q
    FROM (SELECT e.*, a.unit_id AS _gl_account, CAST(e."_gl_attr_platform" AS VARCHAR) AS _gl_segment FROM exp_users e JOIN exp_assigned a USING (uk)) u
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
SELECT variant, _gl_group, count(*) AS n_accounts, sum(n) AS n_users, sum(y) AS sum_y,
       sum(y * y) AS sum_y2, sum(n * n) AS sum_n2, sum(n * y) AS sum_ny, sum(n * n * n) AS sum_n3,
       sum(n * n * n * n) AS sum_n4, sum(q) AS sum_user_y2, CAST(sum(CAST(y * y / n AS DECIMAL(38, 12))) AS DOUBLE) AS sum_y2_over_n
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
SELECT variant, _gl_group, count(*) AS n_accounts, sum(n) AS n_users, sum(y) AS sum_y,
       sum(y * y) AS sum_y2, sum(n * n) AS sum_n2, sum(n * y) AS sum_ny, sum(n * n * n) AS sum_n3,
       sum(n * n * n * n) AS sum_n4, sum(q) AS sum_user_y2, CAST(sum(CAST(y * y / n AS DECIMAL(38, 12))) AS DOUBLE) AS sum_y2_over_n
FROM acc GROUP BY variant, _gl_group ORDER BY variant, _gl_group;

-- [10] params: {"gid": "company-setup-checklist", "v": "checklist"}
WITH acc AS (
    SELECT variant, 'all' AS _gl_group, _gl_account, CAST(count(*) AS DOUBLE) AS n, CAST(sum(CAST(coalesce(CAST(_gl_secs AS DOUBLE), 0.0) AS DECIMAL(38, 6))) AS DOUBLE) AS y,
           CAST(sum(CAST(coalesce(CAST(_gl_secs AS DOUBLE), 0.0) * coalesce(CAST(_gl_secs AS DOUBLE), 0.0) AS DECIMAL(38, 6))) AS DOUBLE) AS q
    FROM (SELECT u.variant, a.unit_id AS _gl_account, epoch(g.first_completed) - epoch(g.first_shown) AS _gl_secs
 FROM exp_guide_user g JOIN exp_users u USING (uk) JOIN exp_assigned a USING (uk)
 WHERE u.variant = $v AND g.guide_id = $gid AND g.first_completed IS NOT NULL AND g.first_shown IS NOT NULL
   AND epoch(g.first_completed) - epoch(g.first_shown) >= 0) u
    WHERE TRUE
    GROUP BY 1, 2, 3)
SELECT variant, _gl_group, count(*) AS n_accounts, sum(n) AS n_users, CAST(sum(CAST(y AS DECIMAL(38, 6))) AS DOUBLE) AS sum_y,
       CAST(sum(CAST(y * y AS DECIMAL(38, 6))) AS DOUBLE) AS sum_y2, sum(n * n) AS sum_n2, CAST(sum(CAST(n * y AS DECIMAL(38, 6))) AS DOUBLE) AS sum_ny, sum(n * n * n) AS sum_n3,
       sum(n * n * n * n) AS sum_n4, CAST(sum(CAST(q AS DECIMAL(38, 6))) AS DOUBLE) AS sum_user_y2, CAST(sum(CAST(y * y / n AS DECIMAL(38, 12))) AS DOUBLE) AS sum_y2_over_n
FROM acc GROUP BY variant, _gl_group ORDER BY variant, _gl_group;
