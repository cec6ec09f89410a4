-- guidelab SQL for b2b-onboarding-checklist on data/sample, dialect: bigquery
-- translated by guidelab.dialects (sqlglot), parameters bound
-- refresh: GUIDELAB_UPDATE_SNAPSHOTS=1 pytest tests/test_sql_snapshots.py

-- [1]
WITH acc AS (
  SELECT
    u.variant,
    a.unit_id AS _gl_account,
    CAST(SUM(CASE WHEN u.observed_days >= 0 THEN 1 ELSE 0 END) AS FLOAT64) AS n0,
    CAST(SUM(
      CASE
        WHEN u.observed_days >= 0 AND (
          (
            COALESCE(u._gl_days0, 0) >> 0
          ) & 1
        ) = 1
        THEN 1
        ELSE 0
      END
    ) AS FLOAT64) AS y0,
    CAST(SUM(CASE WHEN u.observed_days >= 1 THEN 1 ELSE 0 END) AS FLOAT64) AS n1,
    CAST(SUM(
      CASE
        WHEN u.observed_days >= 1 AND (
          (
            COALESCE(u._gl_days0, 0) >> 1
          ) & 1
        ) = 1
        THEN 1
        ELSE 0
      END
    ) AS FLOAT64) AS y1,
    CAST(SUM(CASE WHEN u.observed_days >= 2 THEN 1 ELSE 0 END) AS FLOAT64) AS n2,
    CAST(SUM(
      CASE
        WHEN u.observed_days >= 2 AND (
          (
            COALESCE(u._gl_days0, 0) >> 2
          ) & 1
        ) = 1
        THEN 1
        ELSE 0
      END
    ) AS FLOAT64) AS y2,
    CAST(SUM(CASE WHEN u.observed_days >= 3 THEN 1 ELSE 0 END) AS FLOAT64) AS n3,
    CAST(SUM(
      CASE
        WHEN u.observed_days >= 3 AND (
          (
            COALESCE(u._gl_days0, 0) >> 3
          ) & 1
        ) = 1
        THEN 1
        ELSE 0
      END
    ) AS FLOAT64) AS y3,
    CAST(SUM(CASE WHEN u.observed_days >= 4 THEN 1 ELSE 0 END) AS FLOAT64) AS n4,
    CAST(SUM(
      CASE
        WHEN u.observed_days >= 4 AND (
          (
            COALESCE(u._gl_days0, 0) >> 4
          ) & 1
        ) = 1
        THEN 1
        ELSE 0
      END
    ) AS FLOAT64) AS y4,
    CAST(SUM(CASE WHEN u.observed_days >= 5 THEN 1 ELSE 0 END) AS FLOAT64) AS n5,
    CAST(SUM(
      CASE
        WHEN u.observed_days >= 5 AND (
          (
            COALESCE(u._gl_days0, 0) >> 5
          ) & 1
        ) = 1
        THEN 1
        ELSE 0
      END
    ) AS FLOAT64) AS y5,
    CAST(SUM(CASE WHEN u.observed_days >= 6 THEN 1 ELSE 0 END) AS FLOAT64) AS n6,
    CAST(SUM(
      CASE
        WHEN u.observed_days >= 6 AND (
          (
            COALESCE(u._gl_days0, 0) >> 6
          ) & 1
        ) = 1
        THEN 1
        ELSE 0
      END
    ) AS FLOAT64) AS y6,
    CAST(SUM(CASE WHEN u.observed_days >= 7 THEN 1 ELSE 0 END) AS FLOAT64) AS n7,
    CAST(SUM(
      CASE
        WHEN u.observed_days >= 7 AND (
          (
            COALESCE(u._gl_days0, 0) >> 7
          ) & 1
        ) = 1
        THEN 1
        ELSE 0
      END
    ) AS FLOAT64) AS y7,
    CAST(SUM(CASE WHEN u.observed_days >= 8 THEN 1 ELSE 0 END) AS FLOAT64) AS n8,
    CAST(SUM(
      CASE
        WHEN u.observed_days >= 8 AND (
          (
            COALESCE(u._gl_days0, 0) >> 8
          ) & 1
        ) = 1
        THEN 1
        ELSE 0
      END
    ) AS FLOAT64) AS y8,
    CAST(SUM(CASE WHEN u.observed_days >= 9 THEN 1 ELSE 0 END) AS FLOAT64) AS n9,
    CAST(SUM(
      CASE
        WHEN u.observed_days >= 9 AND (
          (
            COALESCE(u._gl_days0, 0) >> 9
          ) & 1
        ) = 1
        THEN 1
        ELSE 0
      END
    ) AS FLOAT64) AS y9,
    CAST(SUM(CASE WHEN u.observed_days >= 10 THEN 1 ELSE 0 END) AS FLOAT64) AS n10,
    CAST(SUM(
      CASE
        WHEN u.observed_days >= 10 AND (
          (
            COALESCE(u._gl_days0, 0) >> 10
          ) & 1
        ) = 1
        THEN 1
        ELSE 0
      END
    ) AS FLOAT64) AS y10,
    CAST(SUM(CASE WHEN u.observed_days >= 11 THEN 1 ELSE 0 END) AS FLOAT64) AS n11,
    CAST(SUM(
      CASE
        WHEN u.observed_days >= 11 AND (
          (
            COALESCE(u._gl_days0, 0) >> 11
          ) & 1
        ) = 1
        THEN 1
        ELSE 0
      END
    ) AS FLOAT64) AS y11,
    CAST(SUM(CASE WHEN u.observed_days >= 12 THEN 1 ELSE 0 END) AS FLOAT64) AS n12,
    CAST(SUM(
      CASE
        WHEN u.observed_days >= 12 AND (
          (
            COALESCE(u._gl_days0, 0) >> 12
          ) & 1
        ) = 1
        THEN 1
        ELSE 0
      END
    ) AS FLOAT64) AS y12,
    CAST(SUM(CASE WHEN u.observed_days >= 13 THEN 1 ELSE 0 END) AS FLOAT64) AS n13,
    CAST(SUM(
      CASE
        WHEN u.observed_days >= 13 AND (
          (
            COALESCE(u._gl_days0, 0) >> 13
          ) & 1
        ) = 1
        THEN 1
        ELSE 0
      END
    ) AS FLOAT64) AS y13,
    CAST(SUM(CASE WHEN u.observed_days >= 14 THEN 1 ELSE 0 END) AS FLOAT64) AS n14,
    CAST(SUM(
      CASE
        WHEN u.observed_days >= 14 AND (
          (
            COALESCE(u._gl_days0, 0) >> 14
          ) & 1
        ) = 1
        THEN 1
        ELSE 0
      END
    ) AS FLOAT64) AS y14,
    CAST(SUM(CASE WHEN u.observed_days >= 15 THEN 1 ELSE 0 END) AS FLOAT64) AS n15,
    CAST(SUM(
      CASE
        WHEN u.observed_days >= 15 AND (
          (
            COALESCE(u._gl_days0, 0) >> 15
          ) & 1
        ) = 1
        THEN 1
        ELSE 0
      END
    ) AS FLOAT64) AS y15,
    CAST(SUM(CASE WHEN u.observed_days >= 16 THEN 1 ELSE 0 END) AS FLOAT64) AS n16,
    CAST(SUM(
      CASE
        WHEN u.observed_days >= 16 AND (
          (
            COALESCE(u._gl_days0, 0) >> 16
          ) & 1
        ) = 1
        THEN 1
        ELSE 0
      END
    ) AS FLOAT64) AS y16,
    CAST(SUM(CASE WHEN u.observed_days >= 17 THEN 1 ELSE 0 END) AS FLOAT64) AS n17,
    CAST(SUM(
      CASE
        WHEN u.observed_days >= 17 AND (
          (
            COALESCE(u._gl_days0, 0) >> 17
          ) & 1
        ) = 1
        THEN 1
        ELSE 0
      END
    ) AS FLOAT64) AS y17,
    CAST(SUM(CASE WHEN u.observed_days >= 18 THEN 1 ELSE 0 END) AS FLOAT64) AS n18,
    CAST(SUM(
      CASE
        WHEN u.observed_days >= 18 AND (
          (
            COALESCE(u._gl_days0, 0) >> 18
          ) & 1
        ) = 1
        THEN 1
        ELSE 0
      END
    ) AS FLOAT64) AS y18,
    CAST(SUM(CASE WHEN u.observed_days >= 19 THEN 1 ELSE 0 END) AS FLOAT64) AS n19,
    CAST(SUM(
      CASE
        WHEN u.observed_days >= 19 AND (
          (
            COALESCE(u._gl_days0, 0) >> 19
          ) & 1
        ) = 1
        THEN 1
        ELSE 0
      END
    ) AS FLOAT64) AS y19,
    CAST(SUM(CASE WHEN u.observed_days >= 20 THEN 1 ELSE 0 END) AS FLOAT64) AS n20,
    CAST(SUM(
      CASE
        WHEN u.observed_days >= 20 AND (
          (
            COALESCE(u._gl_days0, 0) >> 20
          ) & 1
        ) = 1
        THEN 1
        ELSE 0
      END
    ) AS FLOAT64) AS y20,
    CAST(SUM(CASE WHEN u.observed_days >= 21 THEN 1 ELSE 0 END) AS FLOAT64) AS n21,
    CAST(SUM(
      CASE
        WHEN u.observed_days >= 21 AND (
          (
            COALESCE(u._gl_days0, 0) >> 21
          ) & 1
        ) = 1
        THEN 1
        ELSE 0
      END
    ) AS FLOAT64) AS y21,
    CAST(SUM(CASE WHEN u.observed_days >= 22 THEN 1 ELSE 0 END) AS FLOAT64) AS n22,
    CAST(SUM(
      CASE
        WHEN u.observed_days >= 22 AND (
          (
            COALESCE(u._gl_days0, 0) >> 22
          ) & 1
        ) = 1
        THEN 1
        ELSE 0
      END
    ) AS FLOAT64) AS y22,
    CAST(SUM(CASE WHEN u.observed_days >= 23 THEN 1 ELSE 0 END) AS FLOAT64) AS n23,
    CAST(SUM(
      CASE
        WHEN u.observed_days >= 23 AND (
          (
            COALESCE(u._gl_days0, 0) >> 23
          ) & 1
        ) = 1
        THEN 1
        ELSE 0
      END
    ) AS FLOAT64) AS y23,
    CAST(SUM(CASE WHEN u.observed_days >= 24 THEN 1 ELSE 0 END) AS FLOAT64) AS n24,
    CAST(SUM(
      CASE
        WHEN u.observed_days >= 24 AND (
          (
            COALESCE(u._gl_days0, 0) >> 24
          ) & 1
        ) = 1
        THEN 1
        ELSE 0
      END
    ) AS FLOAT64) AS y24,
    CAST(SUM(CASE WHEN u.observed_days >= 25 THEN 1 ELSE 0 END) AS FLOAT64) AS n25,
    CAST(SUM(
      CASE
        WHEN u.observed_days >= 25 AND (
          (
            COALESCE(u._gl_days0, 0) >> 25
          ) & 1
        ) = 1
        THEN 1
        ELSE 0
      END
    ) AS FLOAT64) AS y25,
    CAST(SUM(CASE WHEN u.observed_days >= 26 THEN 1 ELSE 0 END) AS FLOAT64) AS n26,
    CAST(SUM(
      CASE
        WHEN u.observed_days >= 26 AND (
          (
            COALESCE(u._gl_days0, 0) >> 26
          ) & 1
        ) = 1
        THEN 1
        ELSE 0
      END
    ) AS FLOAT64) AS y26,
    CAST(SUM(CASE WHEN u.observed_days >= 27 THEN 1 ELSE 0 END) AS FLOAT64) AS n27,
    CAST(SUM(
      CASE
        WHEN u.observed_days >= 27 AND (
          (
            COALESCE(u._gl_days0, 0) >> 27
          ) & 1
        ) = 1
        THEN 1
        ELSE 0
      END
    ) AS FLOAT64) AS y27,
    CAST(SUM(CASE WHEN u.observed_days >= 28 THEN 1 ELSE 0 END) AS FLOAT64) AS n28,
    CAST(SUM(
      CASE
        WHEN u.observed_days >= 28 AND (
          (
            COALESCE(u._gl_days0, 0) >> 28
          ) & 1
        ) = 1
        THEN 1
        ELSE 0
      END
    ) AS FLOAT64) AS y28,
    CAST(SUM(CASE WHEN u.observed_days >= 29 THEN 1 ELSE 0 END) AS FLOAT64) AS n29,
    CAST(SUM(
      CASE
        WHEN u.observed_days >= 29 AND (
          (
            COALESCE(u._gl_days0, 0) >> 29
          ) & 1
        ) = 1
        THEN 1
        ELSE 0
      END
    ) AS FLOAT64) AS y29,
    CAST(SUM(CASE WHEN u.observed_days >= 30 THEN 1 ELSE 0 END) AS FLOAT64) AS n30,
    CAST(SUM(
      CASE
        WHEN u.observed_days >= 30 AND (
          (
            COALESCE(u._gl_days0, 0) >> 30
          ) & 1
        ) = 1
        THEN 1
        ELSE 0
      END
    ) AS FLOAT64) AS y30
  FROM exp_users AS u
  JOIN exp_assigned AS a
    USING (uk)
  WHERE
    u.observed_days >= 0
  GROUP BY
    1,
    2
)
SELECT
  variant,
  SUM(CASE WHEN n0 > 0 THEN 1 ELSE 0 END),
  SUM(n0),
  SUM(y0),
  SUM(y0 * y0),
  SUM(n0 * n0),
  SUM(n0 * y0),
  SUM(n0 * n0 * n0),
  SUM(n0 * n0 * n0 * n0),
  SUM(y0),
  CAST(SUM(CAST(CASE WHEN n0 > 0 THEN y0 * y0 / n0 ELSE 0 END AS BIGNUMERIC)) AS FLOAT64),
  SUM(CASE WHEN n1 > 0 THEN 1 ELSE 0 END),
  SUM(n1),
  SUM(y1),
  SUM(y1 * y1),
  SUM(n1 * n1),
  SUM(n1 * y1),
  SUM(n1 * n1 * n1),
  SUM(n1 * n1 * n1 * n1),
  SUM(y1),
  CAST(SUM(CAST(CASE WHEN n1 > 0 THEN y1 * y1 / n1 ELSE 0 END AS BIGNUMERIC)) AS FLOAT64),
  SUM(CASE WHEN n2 > 0 THEN 1 ELSE 0 END),
  SUM(n2),
  SUM(y2),
  SUM(y2 * y2),
  SUM(n2 * n2),
  SUM(n2 * y2),
  SUM(n2 * n2 * n2),
  SUM(n2 * n2 * n2 * n2),
  SUM(y2),
  CAST(SUM(CAST(CASE WHEN n2 > 0 THEN y2 * y2 / n2 ELSE 0 END AS BIGNUMERIC)) AS FLOAT64),
  SUM(CASE WHEN n3 > 0 THEN 1 ELSE 0 END),
  SUM(n3),
  SUM(y3),
  SUM(y3 * y3),
  SUM(n3 * n3),
  SUM(n3 * y3),
  SUM(n3 * n3 * n3),
  SUM(n3 * n3 * n3 * n3),
  SUM(y3),
  CAST(SUM(CAST(CASE WHEN n3 > 0 THEN y3 * y3 / n3 ELSE 0 END AS BIGNUMERIC)) AS FLOAT64),
  SUM(CASE WHEN n4 > 0 THEN 1 ELSE 0 END),
  SUM(n4),
  SUM(y4),
  SUM(y4 * y4),
  SUM(n4 * n4),
  SUM(n4 * y4),
  SUM(n4 * n4 * n4),
  SUM(n4 * n4 * n4 * n4),
  SUM(y4),
  CAST(SUM(CAST(CASE WHEN n4 > 0 THEN y4 * y4 / n4 ELSE 0 END AS BIGNUMERIC)) AS FLOAT64),
  SUM(CASE WHEN n5 > 0 THEN 1 ELSE 0 END),
  SUM(n5),
  SUM(y5),
  SUM(y5 * y5),
  SUM(n5 * n5),
  SUM(n5 * y5),
  SUM(n5 * n5 * n5),
  SUM(n5 * n5 * n5 * n5),
  SUM(y5),
  CAST(SUM(CAST(CASE WHEN n5 > 0 THEN y5 * y5 / n5 ELSE 0 END AS BIGNUMERIC)) AS FLOAT64),
  SUM(CASE WHEN n6 > 0 THEN 1 ELSE 0 END),
  SUM(n6),
  SUM(y6),
  SUM(y6 * y6),
  SUM(n6 * n6),
  SUM(n6 * y6),
  SUM(n6 * n6 * n6),
  SUM(n6 * n6 * n6 * n6),
  SUM(y6),
  CAST(SUM(CAST(CASE WHEN n6 > 0 THEN y6 * y6 / n6 ELSE 0 END AS BIGNUMERIC)) AS FLOAT64),
  SUM(CASE WHEN n7 > 0 THEN 1 ELSE 0 END),
  SUM(n7),
  SUM(y7),
  SUM(y7 * y7),
  SUM(n7 * n7),
  SUM(n7 * y7),
  SUM(n7 * n7 * n7),
  SUM(n7 * n7 * n7 * n7),
  SUM(y7),
  CAST(SUM(CAST(CASE WHEN n7 > 0 THEN y7 * y7 / n7 ELSE 0 END AS BIGNUMERIC)) AS FLOAT64),
  SUM(CASE WHEN n8 > 0 THEN 1 ELSE 0 END),
  SUM(n8),
  SUM(y8),
  SUM(y8 * y8),
  SUM(n8 * n8),
  SUM(n8 * y8),
  SUM(n8 * n8 * n8),
  SUM(n8 * n8 * n8 * n8),
  SUM(y8),
  CAST(SUM(CAST(CASE WHEN n8 > 0 THEN y8 * y8 / n8 ELSE 0 END AS BIGNUMERIC)) AS FLOAT64),
  SUM(CASE WHEN n9 > 0 THEN 1 ELSE 0 END),
  SUM(n9),
  SUM(y9),
  SUM(y9 * y9),
  SUM(n9 * n9),
  SUM(n9 * y9),
  SUM(n9 * n9 * n9),
  SUM(n9 * n9 * n9 * n9),
  SUM(y9),
  CAST(SUM(CAST(CASE WHEN n9 > 0 THEN y9 * y9 / n9 ELSE 0 END AS BIGNUMERIC)) AS FLOAT64),
  SUM(CASE WHEN n10 > 0 THEN 1 ELSE 0 END),
  SUM(n10),
  SUM(y10),
  SUM(y10 * y10),
  SUM(n10 * n10),
  SUM(n10 * y10),
  SUM(n10 * n10 * n10),
  SUM(n10 * n10 * n10 * n10),
  SUM(y10),
  CAST(SUM(CAST(CASE WHEN n10 > 0 THEN y10 * y10 / n10 ELSE 0 END AS BIGNUMERIC)) AS FLOAT64),
  SUM(CASE WHEN n11 > 0 THEN 1 ELSE 0 END),
  SUM(n11),
  SUM(y11),
  SUM(y11 * y11),
  SUM(n11 * n11),
  SUM(n11 * y11),
  SUM(n11 * n11 * n11),
  SUM(n11 * n11 * n11 * n11),
  SUM(y11),
  CAST(SUM(CAST(CASE WHEN n11 > 0 THEN y11 * y11 / n11 ELSE 0 END AS BIGNUMERIC)) AS FLOAT64),
  SUM(CASE WHEN n12 > 0 THEN 1 ELSE 0 END),
  SUM(n12),
  SUM(y12),
  SUM(y12 * y12),
  SUM(n12 * n12),
  SUM(n12 * y12),
  SUM(n12 * n12 * n12),
  SUM(n12 * n12 * n12 * n12),
  SUM(y12),
  CAST(SUM(CAST(CASE WHEN n12 > 0 THEN y12 * y12 / n12 ELSE 0 END AS BIGNUMERIC)) AS FLOAT64),
  SUM(CASE WHEN n13 > 0 THEN 1 ELSE 0 END),
  SUM(n13),
  SUM(y13),
  SUM(y13 * y13),
  SUM(n13 * n13),
  SUM(n13 * y13),
  SUM(n13 * n13 * n13),
  SUM(n13 * n13 * n13 * n13),
  SUM(y13),
  CAST(SUM(CAST(CASE WHEN n13 > 0 THEN y13 * y13 / n13 ELSE 0 END AS BIGNUMERIC)) AS FLOAT64),
  SUM(CASE WHEN n14 > 0 THEN 1 ELSE 0 END),
  SUM(n14),
  SUM(y14),
  SUM(y14 * y14),
  SUM(n14 * n14),
  SUM(n14 * y14),
  SUM(n14 * n14 * n14),
  SUM(n14 * n14 * n14 * n14),
  SUM(y14),
  CAST(SUM(CAST(CASE WHEN n14 > 0 THEN y14 * y14 / n14 ELSE 0 END AS BIGNUMERIC)) AS FLOAT64),
  SUM(CASE WHEN n15 > 0 THEN 1 ELSE 0 END),
  SUM(n15),
  SUM(y15),
  SUM(y15 * y15),
  SUM(n15 * n15),
  SUM(n15 * y15),
  SUM(n15 * n15 * n15),
  SUM(n15 * n15 * n15 * n15),
  SUM(y15),
  CAST(SUM(CAST(CASE WHEN n15 > 0 THEN y15 * y15 / n15 ELSE 0 END AS BIGNUMERIC)) AS FLOAT64),
  SUM(CASE WHEN n16 > 0 THEN 1 ELSE 0 END),
  SUM(n16),
  SUM(y16),
  SUM(y16 * y16),
  SUM(n16 * n16),
  SUM(n16 * y16),
  SUM(n16 * n16 * n16),
  SUM(n16 * n16 * n16 * n16),
  SUM(y16),
  CAST(SUM(CAST(CASE WHEN n16 > 0 THEN y16 * y16 / n16 ELSE 0 END AS BIGNUMERIC)) AS FLOAT64),
  SUM(CASE WHEN n17 > 0 THEN 1 ELSE 0 END),
  SUM(n17),
  SUM(y17),
  SUM(y17 * y17),
  SUM(n17 * n17),
  SUM(n17 * y17),
  SUM(n17 * n17 * n17),
  SUM(n17 * n17 * n17 * n17),
  SUM(y17),
  CAST(SUM(CAST(CASE WHEN n17 > 0 THEN y17 * y17 / n17 ELSE 0 END AS BIGNUMERIC)) AS FLOAT64),
  SUM(CASE WHEN n18 > 0 THEN 1 ELSE 0 END),
  SUM(n18),
  SUM(y18),
  SUM(y18 * y18),
  SUM(n18 * n18),
  SUM(n18 * y18),
  SUM(n18 * n18 * n18),
  SUM(n18 * n18 * n18 * n18),
  SUM(y18),
  CAST(SUM(CAST(CASE WHEN n18 > 0 THEN y18 * y18 / n18 ELSE 0 END AS BIGNUMERIC)) AS FLOAT64),
  SUM(CASE WHEN n19 > 0 THEN 1 ELSE 0 END),
  SUM(n19),
  SUM(y19),
  SUM(y19 * y19),
  SUM(n19 * n19),
  SUM(n19 * y19),
  SUM(n19 * n19 * n19),
  SUM(n19 * n19 * n19 * n19),
  SUM(y19),
  CAST(SUM(CAST(CASE WHEN n19 > 0 THEN y19 * y19 / n19 ELSE 0 END AS BIGNUMERIC)) AS FLOAT64),
  SUM(CASE WHEN n20 > 0 THEN 1 ELSE 0 END),
  SUM(n20),
  SUM(y20),
  SUM(y20 * y20),
  SUM(n20 * n20),
  SUM(n20 * y20),
  SUM(n20 * n20 * n20),
  SUM(n20 * n20 * n20 * n20),
  SUM(y20),
  CAST(SUM(CAST(CASE WHEN n20 > 0 THEN y20 * y20 / n20 ELSE 0 END AS BIGNUMERIC)) AS FLOAT64),
  SUM(CASE WHEN n21 > 0 THEN 1 ELSE 0 END),
  SUM(n21),
  SUM(y21),
  SUM(y21 * y21),
  SUM(n21 * n21),
  SUM(n21 * y21),
  SUM(n21 * n21 * n21),
  SUM(n21 * n21 * n21 * n21),
  SUM(y21),
  CAST(SUM(CAST(CASE WHEN n21 > 0 THEN y21 * y21 / n21 ELSE 0 END AS BIGNUMERIC)) AS FLOAT64),
  SUM(CASE WHEN n22 > 0 THEN 1 ELSE 0 END),
  SUM(n22),
  SUM(y22),
  SUM(y22 * y22),
  SUM(n22 * n22),
  SUM(n22 * y22),
  SUM(n22 * n22 * n22),
  SUM(n22 * n22 * n22 * n22),
  SUM(y22),
  CAST(SUM(CAST(CASE WHEN n22 > 0 THEN y22 * y22 / n22 ELSE 0 END AS BIGNUMERIC)) AS FLOAT64),
  SUM(CASE WHEN n23 > 0 THEN 1 ELSE 0 END),
  SUM(n23),
  SUM(y23),
  SUM(y23 * y23),
  SUM(n23 * n23),
  SUM(n23 * y23),
  SUM(n23 * n23 * n23),
  SUM(n23 * n23 * n23 * n23),
  SUM(y23),
  CAST(SUM(CAST(CASE WHEN n23 > 0 THEN y23 * y23 / n23 ELSE 0 END AS BIGNUMERIC)) AS FLOAT64),
  SUM(CASE WHEN n24 > 0 THEN 1 ELSE 0 END),
  SUM(n24),
  SUM(y24),
  SUM(y24 * y24),
  SUM(n24 * n24),
  SUM(n24 * y24),
  SUM(n24 * n24 * n24),
  SUM(n24 * n24 * n24 * n24),
  SUM(y24),
  CAST(SUM(CAST(CASE WHEN n24 > 0 THEN y24 * y24 / n24 ELSE 0 END AS BIGNUMERIC)) AS FLOAT64),
  SUM(CASE WHEN n25 > 0 THEN 1 ELSE 0 END),
  SUM(n25),
  SUM(y25),
  SUM(y25 * y25),
  SUM(n25 * n25),
  SUM(n25 * y25),
  SUM(n25 * n25 * n25),
  SUM(n25 * n25 * n25 * n25),
  SUM(y25),
  CAST(SUM(CAST(CASE WHEN n25 > 0 THEN y25 * y25 / n25 ELSE 0 END AS BIGNUMERIC)) AS FLOAT64),
  SUM(CASE WHEN n26 > 0 THEN 1 ELSE 0 END),
  SUM(n26),
  SUM(y26),
  SUM(y26 * y26),
  SUM(n26 * n26),
  SUM(n26 * y26),
  SUM(n26 * n26 * n26),
  SUM(n26 * n26 * n26 * n26),
  SUM(y26),
  CAST(SUM(CAST(CASE WHEN n26 > 0 THEN y26 * y26 / n26 ELSE 0 END AS BIGNUMERIC)) AS FLOAT64),
  SUM(CASE WHEN n27 > 0 THEN 1 ELSE 0 END),
  SUM(n27),
  SUM(y27),
  SUM(y27 * y27),
  SUM(n27 * n27),
  SUM(n27 * y27),
  SUM(n27 * n27 * n27),
  SUM(n27 * n27 * n27 * n27),
  SUM(y27),
  CAST(SUM(CAST(CASE WHEN n27 > 0 THEN y27 * y27 / n27 ELSE 0 END AS BIGNUMERIC)) AS FLOAT64),
  SUM(CASE WHEN n28 > 0 THEN 1 ELSE 0 END),
  SUM(n28),
  SUM(y28),
  SUM(y28 * y28),
  SUM(n28 * n28),
  SUM(n28 * y28),
  SUM(n28 * n28 * n28),
  SUM(n28 * n28 * n28 * n28),
  SUM(y28),
  CAST(SUM(CAST(CASE WHEN n28 > 0 THEN y28 * y28 / n28 ELSE 0 END AS BIGNUMERIC)) AS FLOAT64),
  SUM(CASE WHEN n29 > 0 THEN 1 ELSE 0 END),
  SUM(n29),
  SUM(y29),
  SUM(y29 * y29),
  SUM(n29 * n29),
  SUM(n29 * y29),
  SUM(n29 * n29 * n29),
  SUM(n29 * n29 * n29 * n29),
  SUM(y29),
  CAST(SUM(CAST(CASE WHEN n29 > 0 THEN y29 * y29 / n29 ELSE 0 END AS BIGNUMERIC)) AS FLOAT64),
  SUM(CASE WHEN n30 > 0 THEN 1 ELSE 0 END),
  SUM(n30),
  SUM(y30),
  SUM(y30 * y30),
  SUM(n30 * n30),
  SUM(n30 * y30),
  SUM(n30 * n30 * n30),
  SUM(n30 * n30 * n30 * n30),
  SUM(y30),
  CAST(SUM(CAST(CASE WHEN n30 > 0 THEN y30 * y30 / n30 ELSE 0 END AS BIGNUMERIC)) AS FLOAT64)
FROM acc
GROUP BY
  variant
ORDER BY
  variant NULLS LAST;

-- [2]
WITH acc AS (
  SELECT
    variant,
    assigned_day AS _gl_group,
    _gl_account,
    CAST(COUNT(*) AS FLOAT64) AS n,
    SUM(
      COALESCE(CAST(CAST(COALESCE(first_goal_day < 7, FALSE) AS INT64) AS FLOAT64), 0.0)
    ) AS y,
    SUM(
      COALESCE(CAST(CAST(COALESCE(first_goal_day < 7, FALSE) AS INT64) AS FLOAT64), 0.0) * COALESCE(CAST(CAST(COALESCE(first_goal_day < 7, FALSE) AS INT64) AS FLOAT64), 0.0)
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
  CAST(SUM(CAST(y * y / n AS BIGNUMERIC)) AS FLOAT64) AS sum_y2_over_n
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
    CAST(COUNT(*) AS FLOAT64) AS n,
    SUM(
      COALESCE(CAST(CAST(COALESCE(first_goal_day < 7, FALSE) AS INT64) AS FLOAT64), 0.0)
    ) AS y,
    SUM(
      COALESCE(CAST(CAST(COALESCE(first_goal_day < 7, FALSE) AS INT64) AS FLOAT64), 0.0) * COALESCE(CAST(CAST(COALESCE(first_goal_day < 7, FALSE) AS INT64) AS FLOAT64), 0.0)
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
    CAST(COUNT(*) AS FLOAT64) AS n,
    SUM(
      COALESCE(CAST(CAST(COALESCE(first_goal_day < 7, FALSE) AS INT64) AS FLOAT64), 0.0)
    ) AS y,
    SUM(
      COALESCE(CAST(CAST(COALESCE(first_goal_day < 7, FALSE) AS INT64) AS FLOAT64), 0.0) * COALESCE(CAST(CAST(COALESCE(first_goal_day < 7, FALSE) AS INT64) AS FLOAT64), 0.0)
    ) AS q
  FROM (
    SELECT
      e.*,
      a.unit_id AS _gl_account,
      CAST(e.`_gl_attr_plan` AS STRING) AS _gl_segment
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
  CAST(SUM(CAST(y * y / n AS BIGNUMERIC)) AS FLOAT64) AS sum_y2_over_n
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
    CAST(COUNT(*) AS FLOAT64) AS n,
    SUM(
      COALESCE(CAST(CAST(COALESCE(first_goal_day < 7, FALSE) AS INT64) AS FLOAT64), 0.0)
    ) AS y,
    SUM(
      COALESCE(CAST(CAST(COALESCE(first_goal_day < 7, FALSE) AS INT64) AS FLOAT64), 0.0) * COALESCE(CAST(CAST(COALESCE(first_goal_day < 7, FALSE) AS INT64) AS FLOAT64), 0.0)
    ) AS q
  FROM (
    SELECT
      e.*,
      a.unit_id AS _gl_account,
      CAST(e.`_gl_attr_plan` AS STRING) AS _gl_segment
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

-- [6]
WITH acc AS (
  SELECT
    variant,
    _gl_segment AS _gl_group,
    _gl_account,
    CAST(COUNT(*) AS FLOAT64) AS n,
    SUM(
      COALESCE(CAST(CAST(COALESCE(first_goal_day < 7, FALSE) AS INT64) AS FLOAT64), 0.0)
    ) AS y,
    SUM(
      COALESCE(CAST(CAST(COALESCE(first_goal_day < 7, FALSE) AS INT64) AS FLOAT64), 0.0) * COALESCE(CAST(CAST(COALESCE(first_goal_day < 7, FALSE) AS INT64) AS FLOAT64), 0.0)
    ) AS q
  FROM (
    SELECT
      e.*,
      a.unit_id AS _gl_account,
      CAST(e.`_gl_attr_platform` AS STRING) AS _gl_segment
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
  CAST(SUM(CAST(y * y / n AS BIGNUMERIC)) AS FLOAT64) AS sum_y2_over_n
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
    CAST(COUNT(*) AS FLOAT64) AS n,
    SUM(
      COALESCE(CAST(CAST(COALESCE(first_goal_day < 7, FALSE) AS INT64) AS FLOAT64), 0.0)
    ) AS y,
    SUM(
      COALESCE(CAST(CAST(COALESCE(first_goal_day < 7, FALSE) AS INT64) AS FLOAT64), 0.0) * COALESCE(CAST(CAST(COALESCE(first_goal_day < 7, FALSE) AS INT64) AS FLOAT64), 0.0)
    ) AS q
  FROM (
    SELECT
      e.*,
      a.unit_id AS _gl_account,
      CAST(e.`_gl_attr_platform` AS STRING) AS _gl_segment
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

-- [8]
WITH acc AS (
  SELECT
    variant,
    _gl_step AS _gl_group,
    _gl_account,
    CAST(COUNT(*) AS FLOAT64) AS n,
    SUM(COALESCE(CAST(CASE WHEN _gl_reached THEN 1 ELSE 0 END AS FLOAT64), 0.0)) AS y,
    SUM(
      COALESCE(CAST(CASE WHEN _gl_reached THEN 1 ELSE 0 END AS FLOAT64), 0.0) * COALESCE(CAST(CASE WHEN _gl_reached THEN 1 ELSE 0 END AS FLOAT64), 0.0)
    ) AS q
  FROM (
    SELECT
      u.variant,
      a.unit_id AS _gl_account,
      r.`range` AS _gl_step,
      CASE
        WHEN r.`range` = 1
        THEN TRUE
        ELSE COALESCE(s.max_step, 0) >= r.`range` - 1 OR COALESCE(u.completed, FALSE)
      END AS _gl_prev,
      CASE
        WHEN r.`range` <= 3
        THEN COALESCE(s.max_step, 0) >= r.`range` OR COALESCE(u.completed, FALSE)
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
      USING (uk), UNNEST(GENERATE_ARRAY(1, 5 - 1)) AS r
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
  CAST(SUM(CAST(y * y / n AS BIGNUMERIC)) AS FLOAT64) AS sum_y2_over_n
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
    CAST(COUNT(*) AS FLOAT64) AS n,
    SUM(COALESCE(CAST(CASE WHEN _gl_reached THEN 1 ELSE 0 END AS FLOAT64), 0.0)) AS y,
    SUM(
      COALESCE(CAST(CASE WHEN _gl_reached THEN 1 ELSE 0 END AS FLOAT64), 0.0) * COALESCE(CAST(CASE WHEN _gl_reached THEN 1 ELSE 0 END AS FLOAT64), 0.0)
    ) AS q
  FROM (
    SELECT
      u.variant,
      a.unit_id AS _gl_account,
      r.`range` AS _gl_step,
      CASE
        WHEN r.`range` = 1
        THEN TRUE
        ELSE COALESCE(s.max_step, 0) >= r.`range` - 1 OR COALESCE(u.completed, FALSE)
      END AS _gl_prev,
      CASE
        WHEN r.`range` <= 3
        THEN COALESCE(s.max_step, 0) >= r.`range` OR COALESCE(u.completed, FALSE)
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
      USING (uk), UNNEST(GENERATE_ARRAY(1, 5 - 1)) AS r
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
  CAST(SUM(CAST(y * y / n AS BIGNUMERIC)) AS FLOAT64) AS sum_y2_over_n
FROM acc
GROUP BY
  variant,
  _gl_group
ORDER BY
  variant NULLS LAST,
  _gl_group NULLS LAST;

-- [10]
WITH acc AS (
  SELECT
    variant,
    'all' AS _gl_group,
    _gl_account,
    CAST(COUNT(*) AS FLOAT64) AS n,
    CAST(SUM(CAST(COALESCE(CAST(_gl_secs AS FLOAT64), 0.0) AS BIGNUMERIC)) AS FLOAT64) AS y,
    CAST(SUM(
      CAST(COALESCE(CAST(_gl_secs AS FLOAT64), 0.0) * COALESCE(CAST(_gl_secs AS FLOAT64), 0.0) AS BIGNUMERIC)
    ) AS FLOAT64) AS q
  FROM (
    SELECT
      u.variant,
      a.unit_id AS _gl_account,
      UNIX_MICROS(g.first_completed) / 1000000.0 - UNIX_MICROS(g.first_shown) / 1000000.0 AS _gl_secs
    FROM exp_guide_user AS g
    JOIN exp_users AS u
      USING (uk)
    JOIN exp_assigned AS a
      USING (uk)
    WHERE
      u.variant = 'checklist'
      AND g.guide_id = 'company-setup-checklist'
      AND NOT g.first_completed IS NULL
      AND NOT g.first_shown IS NULL
      AND UNIX_MICROS(g.first_completed) / 1000000.0 - UNIX_MICROS(g.first_shown) / 1000000.0 >= 0
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
  CAST(SUM(CAST(y AS BIGNUMERIC)) AS FLOAT64) AS sum_y,
  CAST(SUM(CAST(y * y AS BIGNUMERIC)) AS FLOAT64) AS sum_y2,
  SUM(n * n) AS sum_n2,
  CAST(SUM(CAST(n * y AS BIGNUMERIC)) AS FLOAT64) AS sum_ny,
  SUM(n * n * n) AS sum_n3,
  SUM(n * n * n * n) AS sum_n4,
  CAST(SUM(CAST(q AS BIGNUMERIC)) AS FLOAT64) AS sum_user_y2,
  CAST(SUM(CAST(y * y / n AS BIGNUMERIC)) AS FLOAT64) AS sum_y2_over_n
FROM acc
GROUP BY
  variant,
  _gl_group
ORDER BY
  variant NULLS LAST,
  _gl_group NULLS LAST;
