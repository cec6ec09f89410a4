-- guidelab SQL for onboarding-tour-vs-checklist on data/sample, dialect: bigquery
-- translated by guidelab.dialects (sqlglot), parameters bound
-- refresh: GUIDELAB_UPDATE_SNAPSHOTS=1 pytest tests/test_sql_snapshots.py

-- [1]
DESCRIBE users;

-- [2]
SELECT
  MAX(d)
FROM (
  SELECT
    CAST(DATETIME(MAX(assigned_at), 'Asia/Tokyo') AS DATE) AS d
  FROM assignments
  WHERE
    experiment = 'onboarding-tour-vs-checklist'
    AND assigned_at < CAST('2026-11-30 15:00:00.000000+00:00' AS TIMESTAMP)
  UNION ALL
  SELECT
    CAST(DATETIME(MAX(timestamp), 'Asia/Tokyo') AS DATE)
  FROM activity
  WHERE
    timestamp < CAST('2026-11-30 15:00:00.000000+00:00' AS TIMESTAMP)
  UNION ALL
  SELECT
    CAST(DATETIME(MAX(timestamp), 'Asia/Tokyo') AS DATE)
  FROM guide_events
  WHERE
    timestamp < CAST('2026-11-30 15:00:00.000000+00:00' AS TIMESTAMP)
);

-- [3]
SELECT
  COUNT(*)
FROM assignments
WHERE
  experiment = 'onboarding-tour-vs-checklist';

-- [4]
DESCRIBE assignments;

-- [5]
CREATE OR REPLACE TEMPORARY TABLE ledger_assignments AS
WITH r AS (
  SELECT
    *,
    ROW_NUMBER() OVER (PARTITION BY `user_id`, `experiment`, `variant`, `assigned_at`) AS _gl_dup
  FROM assignments
), c AS (
  SELECT
    *
    EXCEPT (_gl_dup),
    CASE
      WHEN experiment IS NULL
      THEN 'missing_key'
      WHEN experiment <> 'onboarding-tour-vs-checklist'
      THEN 'other_experiment'
      WHEN user_id IS NULL OR variant IS NULL
      THEN 'missing_key'
      WHEN assigned_at IS NULL
      THEN 'missing_time'
      WHEN _gl_dup > 1
      THEN 'exact_duplicate'
      WHEN assigned_at >= CAST('2026-11-30 15:00:00.000000+00:00' AS TIMESTAMP)
      THEN 'future'
      WHEN assigned_at >= CAST('2026-10-28 15:00:00.000000+00:00' AS TIMESTAMP)
      THEN 'after_analysis_date'
      WHEN NOT variant IN ('holdout', 'tour', 'checklist')
      THEN 'unknown_variant'
    END AS _gl_reason
  FROM r
), arms AS (
  SELECT
    user_id,
    COUNT(DISTINCT variant) AS n
  FROM c
  WHERE
    _gl_reason IS NULL
  GROUP BY
    user_id
)
SELECT
  c.*
  EXCEPT (_gl_reason),
  CASE
    WHEN NOT c._gl_reason IS NULL
    THEN c._gl_reason
    WHEN arms.n > 1
    THEN 'multiple_arms'
    WHEN ROW_NUMBER() OVER (
      PARTITION BY c.user_id, c._gl_reason IS NULL
      ORDER BY c.assigned_at NULLS LAST, c.`user_id` NULLS LAST, c.`experiment` NULLS LAST, c.`variant` NULLS LAST, c.`assigned_at` NULLS LAST
    ) > 1
    THEN 'repeated_assignment'
  END AS _gl_reason
FROM c
LEFT JOIN arms
  ON c._gl_reason IS NULL AND arms.user_id = c.user_id;

-- [6]
CREATE OR REPLACE TEMPORARY TABLE exp_assigned AS
SELECT
  user_id,
  variant,
  assigned_at,
  CAST(DATETIME(assigned_at, 'Asia/Tokyo') AS DATE) AS assigned_day
FROM ledger_assignments
WHERE
  _gl_reason IS NULL;

-- [7]
DESCRIBE guide_events;

-- [8]
CREATE OR REPLACE TEMPORARY TABLE ledger_guide_events AS
WITH r AS (
  SELECT
    *,
    ROW_NUMBER() OVER (PARTITION BY `user_id`, `guide_id`, `step`, `event`, `timestamp`) AS _gl_dup
  FROM guide_events
)
SELECT
  r.*
  EXCEPT (_gl_dup),
  r.guide_id IN ('onboarding-tour', 'onboarding-checklist') AS _gl_own,
  CASE
    WHEN r.user_id IS NULL OR r.guide_id IS NULL OR r.event IS NULL
    THEN 'missing_key'
    WHEN r.timestamp IS NULL
    THEN 'missing_time'
    WHEN NOT r.guide_id IN ('onboarding-tour', 'onboarding-checklist') AND NOT FALSE
    THEN 'other_guide'
    WHEN a.user_id IS NULL
    THEN 'not_in_experiment'
    WHEN r._gl_dup > 1
    THEN 'exact_duplicate'
    WHEN r.timestamp >= CAST('2026-11-30 15:00:00.000000+00:00' AS TIMESTAMP)
    THEN 'future'
    WHEN r.timestamp < a.assigned_at
    THEN 'before_assignment'
    WHEN r.timestamp >= CAST('2026-10-28 15:00:00.000000+00:00' AS TIMESTAMP)
    THEN 'after_analysis_date'
    WHEN r.guide_id IN ('onboarding-tour', 'onboarding-checklist')
    AND NOT CASE r.event
      WHEN 'app_session'
      THEN 'activity'
      WHEN 'tour_closed'
      THEN 'dismissed'
      WHEN 'tour_cta_clicked'
      THEN 'clicked'
      WHEN 'tour_finished'
      THEN 'completed'
      WHEN 'tour_opened'
      THEN 'opened'
      WHEN 'tour_step_viewed'
      THEN 'shown'
      ELSE r.event
    END IN ('shown', 'opened', 'clicked', 'dismissed', 'completed', 'opted_out', 'answered')
    THEN 'unknown_event'
    WHEN (
      NOT r.step IS NULL
      AND COALESCE(
        (
          CASE
            WHEN SAFE_CAST(TRIM(CAST(r.step AS STRING)) AS FLOAT64) = FLOOR(SAFE_CAST(TRIM(CAST(r.step AS STRING)) AS FLOAT64))
            THEN SAFE_CAST(TRIM(CAST(r.step AS STRING)) AS FLOAT64)
          END
        ) < 1,
        TRUE
      )
    )
    THEN 'out_of_range'
  END AS _gl_reason
FROM r
LEFT JOIN exp_assigned AS a
  USING (user_id);

-- [9]
CREATE OR REPLACE TEMPORARY VIEW exp_guide_events_all AS
SELECT
  *
  EXCEPT (_gl_reason, _gl_own)
FROM ledger_guide_events
WHERE
  _gl_reason IS NULL;

-- [10]
CREATE OR REPLACE TEMPORARY VIEW exp_guide_events AS
SELECT
  *
  EXCEPT (_gl_reason, _gl_own)
FROM ledger_guide_events
WHERE
  _gl_reason IS NULL AND _gl_own;

-- [11]
DESCRIBE activity;

-- [12]
CREATE OR REPLACE TEMPORARY TABLE ledger_activity AS
WITH r AS (
  SELECT
    *,
    ROW_NUMBER() OVER (PARTITION BY `user_id`, `timestamp`, `event`) AS _gl_dup
  FROM activity
)
SELECT
  r.*
  EXCEPT (_gl_dup),
  r.timestamp < a.assigned_at AS _gl_pre,
  CASE
    WHEN r.user_id IS NULL
    THEN 'missing_key'
    WHEN r.timestamp IS NULL
    THEN 'missing_time'
    WHEN a.user_id IS NULL
    THEN 'not_in_experiment'
    WHEN r._gl_dup > 1
    THEN 'exact_duplicate'
    WHEN r.timestamp >= CAST('2026-11-30 15:00:00.000000+00:00' AS TIMESTAMP)
    THEN 'future'
    WHEN r.timestamp < a.assigned_at
    AND NOT (
      CAST(DATETIME(r.timestamp, 'Asia/Tokyo') AS DATE) >= a.assigned_day - INTERVAL '14' DAY
      AND CAST(DATETIME(r.timestamp, 'Asia/Tokyo') AS DATE) < a.assigned_day
    )
    THEN 'before_assignment'
    WHEN r.timestamp >= CAST('2026-10-28 15:00:00.000000+00:00' AS TIMESTAMP)
    THEN 'after_analysis_date'
  END AS _gl_reason
FROM r
LEFT JOIN exp_assigned AS a
  USING (user_id);

-- [13]
CREATE OR REPLACE TEMPORARY VIEW exp_activity AS
SELECT
  *
  EXCEPT (_gl_reason, _gl_pre)
FROM ledger_activity
WHERE
  _gl_reason IS NULL AND NOT _gl_pre;

-- [14]
CREATE OR REPLACE TEMPORARY VIEW exp_activity_pre AS
SELECT
  *
  EXCEPT (_gl_reason, _gl_pre)
FROM ledger_activity
WHERE
  _gl_reason IS NULL AND _gl_pre;

-- [15]
DESCRIBE users;

-- [16]
CREATE OR REPLACE TEMPORARY TABLE ledger_users AS
WITH r AS (
  SELECT
    *,
    ROW_NUMBER() OVER (PARTITION BY `user_id`, `signup_at`, `platform`, `locale`, `plan`) AS _gl_dup
  FROM users
), s AS (
  SELECT
    *,
    ROW_NUMBER() OVER (
      PARTITION BY user_id, _gl_dup > 1
      ORDER BY `user_id` NULLS LAST, `signup_at` NULLS LAST, `platform` NULLS LAST, `locale` NULLS LAST, `plan` NULLS LAST
    ) AS _gl_rank
  FROM r
)
SELECT
  s.*
  EXCEPT (_gl_dup, _gl_rank),
  CASE
    WHEN s.user_id IS NULL
    THEN 'missing_key'
    WHEN a.user_id IS NULL
    THEN 'not_in_experiment'
    WHEN s._gl_dup > 1
    THEN 'exact_duplicate'
    WHEN s._gl_rank > 1
    THEN 'duplicate_user'
  END AS _gl_reason
FROM s
LEFT JOIN exp_assigned AS a
  USING (user_id);

-- [17]
CREATE OR REPLACE TEMPORARY VIEW exp_user_attrs AS
SELECT
  *
  EXCEPT (_gl_reason)
FROM ledger_users
WHERE
  _gl_reason IS NULL;

-- [18]
CREATE OR REPLACE TEMPORARY TABLE exp_assign AS
SELECT
  user_id,
  variant,
  assigned_at
FROM assignments
WHERE
  experiment = 'onboarding-tour-vs-checklist'
  AND assigned_at < CAST('2026-10-28 15:00:00.000000+00:00' AS TIMESTAMP);

-- [19]
SELECT
  COUNT(*),
  COUNTIF(user_id IS NULL),
  COUNTIF(NOT variant IN ('holdout', 'tour', 'checklist') OR variant IS NULL)
FROM exp_assign;

-- [20]
SELECT
  COUNT(DISTINCT user_id)
FROM ledger_assignments
WHERE
  _gl_reason = 'multiple_arms';

-- [21]
DESCRIBE guide_events;

-- [22]
DESCRIBE activity;

-- [23]
DESCRIBE activity;

-- [24]
CREATE OR REPLACE TEMPORARY TABLE exp_users AS
WITH u2 AS (
  SELECT
    user_id,
    variant,
    assigned_at,
    assigned_day
  FROM exp_assigned
), g AS (
  SELECT
    e.user_id,
    CASE event
      WHEN 'app_session'
      THEN 'activity'
      WHEN 'tour_closed'
      THEN 'dismissed'
      WHEN 'tour_cta_clicked'
      THEN 'clicked'
      WHEN 'tour_finished'
      THEN 'completed'
      WHEN 'tour_opened'
      THEN 'opened'
      WHEN 'tour_step_viewed'
      THEN 'shown'
      ELSE event
    END AS ev,
    COALESCE(SAFE_CAST(e.step AS INT64), 1) AS step
  FROM exp_guide_events AS e
  JOIN u2
    USING (user_id)
), gf AS (
  SELECT
    user_id,
    LOGICAL_OR(g.ev = 'shown') AS shown,
    LOGICAL_OR(g.ev = 'opened') AS opened,
    LOGICAL_OR(g.ev = 'clicked') AS clicked,
    LOGICAL_OR(g.ev = 'dismissed') AS dismissed,
    LOGICAL_OR(g.ev = 'completed') AS completed,
    LOGICAL_OR(g.ev = 'opted_out') AS opted_out,
    LOGICAL_OR(g.ev = 'answered') AS answered,
    COUNTIF(g.ev = 'shown' AND g.step = 1) AS shown_n, /* an impression: the guide (its first step) shown */
    COUNTIF(g.ev = 'clicked') AS clicked_n
  FROM g
  GROUP BY
    user_id
), pre AS (
  SELECT
    e.user_id,
    COUNT(DISTINCT CAST(DATETIME(e.timestamp, 'Asia/Tokyo') AS DATE)) AS pre_active_days
  FROM exp_activity_pre AS e
  JOIN u2
    USING (user_id)
  GROUP BY
    e.user_id
), a AS (
  SELECT
    e.user_id,
    DATE_DIFF(CAST(DATETIME(e.timestamp, 'Asia/Tokyo') AS DATE), u2.assigned_day, DAY) AS day,
    e.event IN ('project_created') AS is_goal,
    e.event IN (NULL) AS is_support
  FROM exp_activity AS e
  JOIN u2
    USING (user_id)
), af AS (
  SELECT
    user_id,
    MIN(IF(is_goal, day, NULL)) AS first_goal_day,
    MIN(IF(is_support, day, NULL)) AS first_support_day,
    LOGICAL_OR(a.day = 1) AS active_d1,
    LOGICAL_OR(a.day = 7) AS active_d7,
    COUNTIF(a.day BETWEEN 0 AND 6) AS sessions_d7
  FROM a
  GROUP BY
    user_id
), ox AS (
  SELECT
    e.user_id,
    COUNT(DISTINCT e.guide_id) AS guides_shown
  FROM exp_guide_events_all AS e
  JOIN u2
    USING (user_id)
  WHERE
    CASE event
      WHEN 'app_session'
      THEN 'activity'
      WHEN 'tour_closed'
      THEN 'dismissed'
      WHEN 'tour_cta_clicked'
      THEN 'clicked'
      WHEN 'tour_finished'
      THEN 'completed'
      WHEN 'tour_opened'
      THEN 'opened'
      WHEN 'tour_step_viewed'
      THEN 'shown'
      ELSE event
    END = 'shown'
    AND DATE_DIFF(CAST(DATETIME(e.timestamp, 'Asia/Tokyo') AS DATE), u2.assigned_day, DAY) < 7
  GROUP BY
    e.user_id
)
SELECT
  u2.user_id,
  u2.variant,
  u2.assigned_at,
  u2.assigned_day,
  DATE_DIFF(CAST('2026-10-28' AS DATE), u2.assigned_day, DAY) AS observed_days,
  COALESCE(gf.shown, FALSE) AS shown,
  COALESCE(gf.opened, FALSE) AS opened,
  COALESCE(gf.clicked, FALSE) AS clicked,
  COALESCE(gf.dismissed, FALSE) AS dismissed,
  COALESCE(gf.completed, FALSE) AS completed,
  COALESCE(gf.opted_out, FALSE) AS opted_out,
  COALESCE(gf.answered, FALSE) AS answered,
  af.first_goal_day,
  af.first_support_day,
  COALESCE(ox.guides_shown, 0) AS guides_shown,
  COALESCE(gf.shown_n, 0) AS shown_n,
  COALESCE(gf.clicked_n, 0) AS clicked_n,
  COALESCE(pre.pre_active_days, 0) AS pre_active_days,
  COALESCE(af.active_d1, FALSE) AS active_d1,
  COALESCE(af.active_d7, FALSE) AS active_d7,
  COALESCE(af.sessions_d7, 0) AS sessions_d7
FROM u2
LEFT JOIN gf
  USING (user_id)
LEFT JOIN af
  USING (user_id)
LEFT JOIN pre
  USING (user_id)
LEFT JOIN ox
  USING (user_id);

-- [25]
SELECT
  COUNT(*)
FROM exp_users AS u
WHERE
  u.shown AND u.variant IN ('holdout');

-- [26]
SELECT
  COUNT(*),
  COUNTIF(shown)
FROM exp_users
WHERE
  variant IN ('tour', 'checklist');

-- [27]
DESCRIBE assignments;

-- [28]
SELECT
  _gl_reason,
  COUNT(*),
  MIN(
    IF(
      NOT _gl_reason IS NULL,
      CONCAT_WS(
        ', ',
        COALESCE('user_id=' || COALESCE(LEFT(CAST(`user_id` AS STRING), 60), 'NULL'), ''),
        COALESCE('experiment=' || COALESCE(LEFT(CAST(`experiment` AS STRING), 60), 'NULL'), ''),
        COALESCE('variant=' || COALESCE(LEFT(CAST(`variant` AS STRING), 60), 'NULL'), ''),
        COALESCE('assigned_at=' || COALESCE(LEFT(CAST(`assigned_at` AS STRING), 60), 'NULL'), '')
      ),
      NULL
    )
  )
FROM ledger_assignments
GROUP BY
  1;

-- [29]
DESCRIBE guide_events;

-- [30]
SELECT
  _gl_reason,
  COUNT(*),
  MIN(
    IF(
      NOT _gl_reason IS NULL,
      CONCAT_WS(
        ', ',
        COALESCE('user_id=' || COALESCE(LEFT(CAST(`user_id` AS STRING), 60), 'NULL'), ''),
        COALESCE('guide_id=' || COALESCE(LEFT(CAST(`guide_id` AS STRING), 60), 'NULL'), ''),
        COALESCE('step=' || COALESCE(LEFT(CAST(`step` AS STRING), 60), 'NULL'), ''),
        COALESCE('event=' || COALESCE(LEFT(CAST(`event` AS STRING), 60), 'NULL'), ''),
        COALESCE('timestamp=' || COALESCE(LEFT(CAST(`timestamp` AS STRING), 60), 'NULL'), '')
      ),
      NULL
    )
  )
FROM ledger_guide_events
GROUP BY
  1;

-- [31]
DESCRIBE activity;

-- [32]
SELECT
  _gl_reason,
  COUNT(*),
  MIN(
    IF(
      NOT _gl_reason IS NULL,
      CONCAT_WS(
        ', ',
        COALESCE('user_id=' || COALESCE(LEFT(CAST(`user_id` AS STRING), 60), 'NULL'), ''),
        COALESCE('timestamp=' || COALESCE(LEFT(CAST(`timestamp` AS STRING), 60), 'NULL'), ''),
        COALESCE('event=' || COALESCE(LEFT(CAST(`event` AS STRING), 60), 'NULL'), '')
      ),
      NULL
    )
  )
FROM ledger_activity
GROUP BY
  1;

-- [33]
DESCRIBE users;

-- [34]
SELECT
  _gl_reason,
  COUNT(*),
  MIN(
    IF(
      NOT _gl_reason IS NULL,
      CONCAT_WS(
        ', ',
        COALESCE('user_id=' || COALESCE(LEFT(CAST(`user_id` AS STRING), 60), 'NULL'), ''),
        COALESCE('signup_at=' || COALESCE(LEFT(CAST(`signup_at` AS STRING), 60), 'NULL'), ''),
        COALESCE('platform=' || COALESCE(LEFT(CAST(`platform` AS STRING), 60), 'NULL'), ''),
        COALESCE('locale=' || COALESCE(LEFT(CAST(`locale` AS STRING), 60), 'NULL'), ''),
        COALESCE('plan=' || COALESCE(LEFT(CAST(`plan` AS STRING), 60), 'NULL'), '')
      ),
      NULL
    )
  )
FROM ledger_users
GROUP BY
  1;

-- [35]
SELECT
  variant,
  COUNT(*)
FROM exp_users
GROUP BY
  variant;

-- [36]
SELECT
  assigned_day,
  variant,
  COUNT(*)
FROM exp_users
GROUP BY ALL
ORDER BY
  1 NULLS LAST,
  2 NULLS LAST;

-- [37]
SELECT
  variant,
  COUNT(*),
  SUM(CAST(active_d7 AS INT64)),
  SUM(CAST(active_d7 AS INT64) * CAST(active_d7 AS INT64)),
  SUM(pre_active_days),
  SUM(pre_active_days * pre_active_days),
  SUM(CAST(active_d7 AS INT64) * pre_active_days),
  VAR_POP(COALESCE(CAST(active_d7 AS INT64), 0)) * COUNT(*),
  VAR_POP(COALESCE(pre_active_days, 0)) * COUNT(*),
  COVAR_POP(COALESCE(pre_active_days, 0), COALESCE(CAST(active_d7 AS INT64), 0)) * COUNT(*)
FROM exp_users
WHERE
  observed_days >= 7
GROUP BY
  variant;

-- [38]
SELECT
  variant,
  COUNT(*),
  SUM(CAST(active_d1 AS INT64)),
  SUM(CAST(active_d1 AS INT64) * CAST(active_d1 AS INT64)),
  SUM(pre_active_days),
  SUM(pre_active_days * pre_active_days),
  SUM(CAST(active_d1 AS INT64) * pre_active_days),
  VAR_POP(COALESCE(CAST(active_d1 AS INT64), 0)) * COUNT(*),
  VAR_POP(COALESCE(pre_active_days, 0)) * COUNT(*),
  COVAR_POP(COALESCE(pre_active_days, 0), COALESCE(CAST(active_d1 AS INT64), 0)) * COUNT(*)
FROM exp_users
WHERE
  observed_days >= 1
GROUP BY
  variant;

-- [39]
SELECT
  variant,
  COUNT(*),
  SUM(CAST(COALESCE(first_goal_day < 7, FALSE) AS INT64)),
  SUM(
    CAST(COALESCE(first_goal_day < 7, FALSE) AS INT64) * CAST(COALESCE(first_goal_day < 7, FALSE) AS INT64)
  ),
  SUM(pre_active_days),
  SUM(pre_active_days * pre_active_days),
  SUM(CAST(COALESCE(first_goal_day < 7, FALSE) AS INT64) * pre_active_days),
  VAR_POP(COALESCE(CAST(COALESCE(first_goal_day < 7, FALSE) AS INT64), 0)) * COUNT(*),
  VAR_POP(COALESCE(pre_active_days, 0)) * COUNT(*),
  COVAR_POP(
    COALESCE(pre_active_days, 0),
    COALESCE(CAST(COALESCE(first_goal_day < 7, FALSE) AS INT64), 0)
  ) * COUNT(*)
FROM exp_users
WHERE
  observed_days >= 6
GROUP BY
  variant;

-- [40]
SELECT
  variant,
  COUNT(*),
  SUM(sessions_d7),
  SUM(sessions_d7 * sessions_d7),
  SUM(pre_active_days),
  SUM(pre_active_days * pre_active_days),
  SUM(sessions_d7 * pre_active_days),
  VAR_POP(COALESCE(sessions_d7, 0)) * COUNT(*),
  VAR_POP(COALESCE(pre_active_days, 0)) * COUNT(*),
  COVAR_POP(COALESCE(pre_active_days, 0), COALESCE(sessions_d7, 0)) * COUNT(*)
FROM exp_users
WHERE
  observed_days >= 6
GROUP BY
  variant;

-- [41]
SELECT
  variant,
  COUNT(*),
  SUM(CAST(dismissed AS INT64)),
  SUM(CAST(dismissed AS INT64) * CAST(dismissed AS INT64)),
  SUM(pre_active_days),
  SUM(pre_active_days * pre_active_days),
  SUM(CAST(dismissed AS INT64) * pre_active_days),
  VAR_POP(COALESCE(CAST(dismissed AS INT64), 0)) * COUNT(*),
  VAR_POP(COALESCE(pre_active_days, 0)) * COUNT(*),
  COVAR_POP(COALESCE(pre_active_days, 0), COALESCE(CAST(dismissed AS INT64), 0)) * COUNT(*)
FROM exp_users
WHERE
  TRUE
GROUP BY
  variant;

-- [42]
SELECT
  u.variant,
  d.`range` AS day,
  COUNT(*) AS n
FROM exp_users AS u, UNNEST(GENERATE_ARRAY(0, 31 - 1)) AS d
WHERE
  u.observed_days >= d.`range`
GROUP BY ALL;

-- [43]
WITH a AS (
  SELECT DISTINCT
    e.user_id,
    DATE_DIFF(CAST(DATETIME(e.timestamp, 'Asia/Tokyo') AS DATE), u.assigned_day, DAY) AS day
  FROM exp_activity AS e
  JOIN exp_users AS u
    USING (user_id)
)
SELECT
  u.variant,
  a.day,
  COUNT(*)
FROM a
JOIN exp_users AS u
  USING (user_id)
WHERE
  a.day BETWEEN 0 AND 30 AND u.observed_days >= a.day
GROUP BY ALL;

-- [44]
SELECT
  variant,
  CASE WHEN NOT first_goal_day IS NULL THEN first_goal_day ELSE observed_days END AS t,
  NOT first_goal_day IS NULL AS event,
  COUNT(*)
FROM exp_users
WHERE
  observed_days >= 0
GROUP BY ALL;

-- [45]
SELECT
  variant,
  assigned_day,
  COUNT(*),
  SUM(CAST(active_d7 AS INT64))
FROM exp_users
WHERE
  observed_days >= 7
GROUP BY ALL
ORDER BY
  2 NULLS LAST;

-- [46]
DESCRIBE users;

-- [47]
SELECT
  CAST(s.`platform` AS STRING) AS segment,
  e.variant,
  COUNT(*),
  SUM(CAST(active_d7 AS INT64))
FROM exp_users AS e
JOIN exp_user_attrs AS s
  USING (user_id)
WHERE
  observed_days >= 7
GROUP BY ALL;

-- [48]
DESCRIBE users;

-- [49]
SELECT
  CASE
    WHEN s.signup_at IS NULL
    THEN NULL
    WHEN s.signup_at >= e.assigned_at - INTERVAL '1' DAY
    THEN 'new'
    ELSE 'existing'
  END AS segment,
  e.variant,
  COUNT(*),
  SUM(CAST(active_d7 AS INT64))
FROM exp_users AS e
JOIN exp_user_attrs AS s
  USING (user_id)
WHERE
  observed_days >= 7
GROUP BY ALL;

-- [50]
DESCRIBE guide_events;

-- [51]
WITH s AS (
  SELECT
    g.user_id,
    MAX(SAFE_CAST(g.step AS INT64)) AS max_step
  FROM exp_guide_events AS g
  JOIN exp_users AS u
    USING (user_id)
  WHERE
    u.variant = 'tour'
    AND g.guide_id = 'onboarding-tour'
    AND CASE g.event
      WHEN 'app_session'
      THEN 'activity'
      WHEN 'tour_closed'
      THEN 'dismissed'
      WHEN 'tour_cta_clicked'
      THEN 'clicked'
      WHEN 'tour_finished'
      THEN 'completed'
      WHEN 'tour_opened'
      THEN 'opened'
      WHEN 'tour_step_viewed'
      THEN 'shown'
      ELSE g.event
    END = 'shown'
  GROUP BY
    g.user_id
)
SELECT
  r.`range` AS step,
  COUNT(*)
FROM exp_users AS u
LEFT JOIN s
  USING (user_id), UNNEST(GENERATE_ARRAY(1, 4 - 1)) AS r
WHERE
  u.variant = 'tour' AND (
    s.max_step >= r.`range` OR u.completed
  )
GROUP BY
  1;

-- [52]
SELECT
  COUNT(*),
  COUNTIF(completed)
FROM exp_users
WHERE
  variant = 'tour';

-- [53]
WITH e AS (
  SELECT
    g.user_id,
    MIN(
      IF(
        CASE g.event
          WHEN 'app_session'
          THEN 'activity'
          WHEN 'tour_closed'
          THEN 'dismissed'
          WHEN 'tour_cta_clicked'
          THEN 'clicked'
          WHEN 'tour_finished'
          THEN 'completed'
          WHEN 'tour_opened'
          THEN 'opened'
          WHEN 'tour_step_viewed'
          THEN 'shown'
          ELSE g.event
        END = 'shown',
        g.timestamp,
        NULL
      )
    ) AS first_shown,
    MIN(
      IF(
        CASE g.event
          WHEN 'app_session'
          THEN 'activity'
          WHEN 'tour_closed'
          THEN 'dismissed'
          WHEN 'tour_cta_clicked'
          THEN 'clicked'
          WHEN 'tour_finished'
          THEN 'completed'
          WHEN 'tour_opened'
          THEN 'opened'
          WHEN 'tour_step_viewed'
          THEN 'shown'
          ELSE g.event
        END = 'completed',
        g.timestamp,
        NULL
      )
    ) AS done
  FROM exp_guide_events AS g
  JOIN exp_users AS u
    USING (user_id)
  WHERE
    u.variant = 'tour' AND g.guide_id = 'onboarding-tour'
  GROUP BY
    g.user_id
), d AS (
  SELECT
    UNIX_MICROS(done) / 1000000.0 - UNIX_MICROS(first_shown) / 1000000.0 AS secs
  FROM e
  WHERE
    NOT done IS NULL AND NOT first_shown IS NULL
)
SELECT
  COUNTIF(secs >= 0),
  COALESCE(SUM(IF(secs >= 0, secs, NULL)), 0),
  COALESCE(SUM(IF(secs >= 0, secs * secs, NULL)), 0),
  COUNTIF(secs < 0)
FROM d;

-- [54]
WITH s AS (
  SELECT
    g.user_id,
    MAX(SAFE_CAST(g.step AS INT64)) AS max_step
  FROM exp_guide_events AS g
  JOIN exp_users AS u
    USING (user_id)
  WHERE
    u.variant = 'checklist'
    AND g.guide_id = 'onboarding-checklist'
    AND CASE g.event
      WHEN 'app_session'
      THEN 'activity'
      WHEN 'tour_closed'
      THEN 'dismissed'
      WHEN 'tour_cta_clicked'
      THEN 'clicked'
      WHEN 'tour_finished'
      THEN 'completed'
      WHEN 'tour_opened'
      THEN 'opened'
      WHEN 'tour_step_viewed'
      THEN 'shown'
      ELSE g.event
    END = 'shown'
  GROUP BY
    g.user_id
)
SELECT
  r.`range` AS step,
  COUNT(*)
FROM exp_users AS u
LEFT JOIN s
  USING (user_id), UNNEST(GENERATE_ARRAY(1, 4 - 1)) AS r
WHERE
  u.variant = 'checklist' AND (
    s.max_step >= r.`range` OR u.completed
  )
GROUP BY
  1;

-- [55]
SELECT
  COUNT(*),
  COUNTIF(completed)
FROM exp_users
WHERE
  variant = 'checklist';

-- [56]
WITH e AS (
  SELECT
    g.user_id,
    MIN(
      IF(
        CASE g.event
          WHEN 'app_session'
          THEN 'activity'
          WHEN 'tour_closed'
          THEN 'dismissed'
          WHEN 'tour_cta_clicked'
          THEN 'clicked'
          WHEN 'tour_finished'
          THEN 'completed'
          WHEN 'tour_opened'
          THEN 'opened'
          WHEN 'tour_step_viewed'
          THEN 'shown'
          ELSE g.event
        END = 'shown',
        g.timestamp,
        NULL
      )
    ) AS first_shown,
    MIN(
      IF(
        CASE g.event
          WHEN 'app_session'
          THEN 'activity'
          WHEN 'tour_closed'
          THEN 'dismissed'
          WHEN 'tour_cta_clicked'
          THEN 'clicked'
          WHEN 'tour_finished'
          THEN 'completed'
          WHEN 'tour_opened'
          THEN 'opened'
          WHEN 'tour_step_viewed'
          THEN 'shown'
          ELSE g.event
        END = 'completed',
        g.timestamp,
        NULL
      )
    ) AS done
  FROM exp_guide_events AS g
  JOIN exp_users AS u
    USING (user_id)
  WHERE
    u.variant = 'checklist' AND g.guide_id = 'onboarding-checklist'
  GROUP BY
    g.user_id
), d AS (
  SELECT
    UNIX_MICROS(done) / 1000000.0 - UNIX_MICROS(first_shown) / 1000000.0 AS secs
  FROM e
  WHERE
    NOT done IS NULL AND NOT first_shown IS NULL
)
SELECT
  COUNTIF(secs >= 0),
  COALESCE(SUM(IF(secs >= 0, secs, NULL)), 0),
  COALESCE(SUM(IF(secs >= 0, secs * secs, NULL)), 0),
  COUNTIF(secs < 0)
FROM d;

-- [57]
WITH act AS (
  SELECT DISTINCT
    e.user_id,
    u.variant,
    CAST(DATETIME(e.timestamp, 'Asia/Tokyo') AS DATE) AS day
  FROM exp_activity AS e
  JOIN exp_users AS u
    USING (user_id)
), days AS (
  SELECT DISTINCT
    day
  FROM act
)
SELECT
  a.variant,
  d.day,
  COUNT(DISTINCT IF(a.day = d.day, a.user_id, NULL)) AS dau,
  COUNT(DISTINCT IF(a.day > d.day - 7, a.user_id, NULL)) AS wau,
  COUNT(DISTINCT a.user_id) AS mau
FROM days AS d
JOIN act AS a
  ON a.day <= d.day AND a.day > d.day - 30
GROUP BY ALL
ORDER BY
  2 NULLS LAST;

-- [58]
DESCRIBE guide_events;
