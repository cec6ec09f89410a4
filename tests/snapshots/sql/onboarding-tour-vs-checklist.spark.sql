-- guidelab SQL for onboarding-tour-vs-checklist on data/sample, dialect: spark
-- translated by guidelab.dialects (sqlglot), parameters bound
-- refresh: GUIDELAB_UPDATE_SNAPSHOTS=1 pytest tests/test_sql_snapshots.py

-- [1]
DESCRIBE users;

-- [2]
DESCRIBE users;

-- [3]
SELECT
  MAX(d)
FROM (
  SELECT
    CAST(FROM_UTC_TIMESTAMP(MAX(assigned_at), 'Asia/Tokyo') AS DATE) AS d
  FROM assignments
  WHERE
    experiment = 'onboarding-tour-vs-checklist'
    AND assigned_at < CAST('2026-11-30 15:00:00.000000+00:00' AS TIMESTAMP)
  UNION ALL
  SELECT
    CAST(FROM_UTC_TIMESTAMP(MAX(timestamp), 'Asia/Tokyo') AS DATE)
  FROM activity
  WHERE
    timestamp < CAST('2026-11-30 15:00:00.000000+00:00' AS TIMESTAMP)
  UNION ALL
  SELECT
    CAST(FROM_UTC_TIMESTAMP(MAX(timestamp), 'Asia/Tokyo') AS DATE)
  FROM guide_events
  WHERE
    timestamp < CAST('2026-11-30 15:00:00.000000+00:00' AS TIMESTAMP)
);

-- [4]
SELECT
  COUNT(*)
FROM assignments
WHERE
  experiment = 'onboarding-tour-vs-checklist';

-- [5]
DESCRIBE assignments;

-- [6]
-- a temp table: the Spark engine runs this CREATE's SELECT and caches it (persist + count)
CREATE TEMPORARY VIEW ledger_assignments AS
WITH r AS (
  SELECT
    *,
    ROW_NUMBER() OVER (
      PARTITION BY `user_id`, `experiment`, `variant`, `assigned_at`
      ORDER BY `user_id` NULLS LAST, `experiment` NULLS LAST, `variant` NULLS LAST, `assigned_at` NULLS LAST
    ) AS _gl_dup
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

-- [7]
SELECT
  MIN(UNIX_MICROS(`assigned_at`)),
  MAX(UNIX_MICROS(`assigned_at`))
FROM assignments;

-- [8]
WITH b AS (
  SELECT
    range AS b
  FROM (
    SELECT
      id AS `range`
    FROM RANGE(1790809200000000, 1793195974000001, 900000000)
  ) AS range
), o AS (
  SELECT
    b,
    UNIX_MICROS(FROM_UTC_TIMESTAMP(TIMESTAMP_MICROS(b), 'Asia/Tokyo')) - b AS o0,
    UNIX_MICROS(FROM_UTC_TIMESTAMP(TIMESTAMP_MICROS(b + 899999999), 'Asia/Tokyo')) - b - 899999999 AS o1
  FROM b
), r AS (
  SELECT
    b,
    o0,
    o1,
    LAG(o0) OVER (ORDER BY b NULLS LAST) AS prev
  FROM o
)
SELECT
  b,
  o0,
  o1
FROM r
WHERE
  prev IS NULL OR prev <> o0 OR o0 <> o1
ORDER BY
  b NULLS LAST;

-- [9]
-- a temp table: the Spark engine runs this CREATE's SELECT and caches it (persist + count)
CREATE TEMPORARY VIEW exp_assigned AS
SELECT
  CAST(ROW_NUMBER() OVER (ORDER BY user_id NULLS LAST) AS INT) AS uk,
  user_id,
  variant,
  assigned_at,
  CAST(TIMESTAMP_MICROS(UNIX_MICROS(`assigned_at`) + 32400000000) AS DATE) AS assigned_day
FROM ledger_assignments
WHERE
  _gl_reason IS NULL;

-- [10]
DESCRIBE guide_events;

-- [11]
SELECT
  MIN(UNIX_MICROS(`timestamp`)),
  MAX(UNIX_MICROS(`timestamp`))
FROM guide_events;

-- [12]
WITH b AS (
  SELECT
    range AS b
  FROM (
    SELECT
      id AS `range`
    FROM RANGE(1790809200000000, 1793196090000001, 900000000)
  ) AS range
), o AS (
  SELECT
    b,
    UNIX_MICROS(FROM_UTC_TIMESTAMP(TIMESTAMP_MICROS(b), 'Asia/Tokyo')) - b AS o0,
    UNIX_MICROS(FROM_UTC_TIMESTAMP(TIMESTAMP_MICROS(b + 899999999), 'Asia/Tokyo')) - b - 899999999 AS o1
  FROM b
), r AS (
  SELECT
    b,
    o0,
    o1,
    LAG(o0) OVER (ORDER BY b NULLS LAST) AS prev
  FROM o
)
SELECT
  b,
  o0,
  o1
FROM r
WHERE
  prev IS NULL OR prev <> o0 OR o0 <> o1
ORDER BY
  b NULLS LAST;

-- [13]
-- a temp table: the Spark engine runs this CREATE's SELECT and caches it (persist + count)
CREATE TEMPORARY VIEW ledger_guide_events AS
WITH r AS (
  SELECT
    *,
    ROW_NUMBER() OVER (
      PARTITION BY `user_id`, `guide_id`, `step`, `event`, `timestamp`
      ORDER BY `user_id` NULLS LAST, `guide_id` NULLS LAST, `step` NULLS LAST, `event` NULLS LAST, `timestamp` NULLS LAST
    ) AS _gl_dup,
    CAST(TIMESTAMP_MICROS(UNIX_MICROS(`timestamp`) + 32400000000) AS DATE) AS _gl_day
  FROM guide_events
)
SELECT
  r.*
  EXCEPT (_gl_dup),
  r.guide_id IN ('onboarding-tour', 'onboarding-checklist') AS _gl_own,
  a.uk AS _gl_uk,
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
            WHEN TRY_CAST(TRIM(CAST(r.step AS STRING)) AS DOUBLE) = FLOOR(TRY_CAST(TRIM(CAST(r.step AS STRING)) AS DOUBLE))
            THEN TRY_CAST(TRIM(CAST(r.step AS STRING)) AS DOUBLE)
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

-- [14]
CREATE OR REPLACE TEMPORARY VIEW exp_guide_events_all AS
SELECT
  *
  EXCEPT (_gl_reason, _gl_own, _gl_uk, _gl_day)
FROM ledger_guide_events
WHERE
  _gl_reason IS NULL;

-- [15]
CREATE OR REPLACE TEMPORARY VIEW exp_guide_events AS
SELECT
  *
  EXCEPT (_gl_reason, _gl_own, _gl_uk, _gl_day)
FROM ledger_guide_events
WHERE
  _gl_reason IS NULL AND _gl_own;

-- [16]
DESCRIBE activity;

-- [17]
SELECT
  MIN(UNIX_MICROS(`timestamp`)),
  MAX(UNIX_MICROS(`timestamp`))
FROM activity;

-- [18]
WITH b AS (
  SELECT
    range AS b
  FROM (
    SELECT
      id AS `range`
    FROM RANGE(1789598700000000, 1793196081000001, 900000000)
  ) AS range
), o AS (
  SELECT
    b,
    UNIX_MICROS(FROM_UTC_TIMESTAMP(TIMESTAMP_MICROS(b), 'Asia/Tokyo')) - b AS o0,
    UNIX_MICROS(FROM_UTC_TIMESTAMP(TIMESTAMP_MICROS(b + 899999999), 'Asia/Tokyo')) - b - 899999999 AS o1
  FROM b
), r AS (
  SELECT
    b,
    o0,
    o1,
    LAG(o0) OVER (ORDER BY b NULLS LAST) AS prev
  FROM o
)
SELECT
  b,
  o0,
  o1
FROM r
WHERE
  prev IS NULL OR prev <> o0 OR o0 <> o1
ORDER BY
  b NULLS LAST;

-- [19]
CREATE OR REPLACE TEMPORARY VIEW ledger_activity AS
WITH r AS (
  SELECT
    *,
    ROW_NUMBER() OVER (
      PARTITION BY `user_id`, `timestamp`, `event`
      ORDER BY `user_id` NULLS LAST, `timestamp` NULLS LAST, `event` NULLS LAST
    ) AS _gl_dup,
    CAST(TIMESTAMP_MICROS(UNIX_MICROS(`timestamp`) + 32400000000) AS DATE) AS _gl_day
  FROM activity
)
SELECT
  r.*
  EXCEPT (_gl_dup),
  r.timestamp < a.assigned_at AS _gl_pre,
  a.uk AS _gl_uk,
  CASE
    WHEN r.user_id IS NULL
    THEN 'missing_key'
    WHEN r.timestamp IS NULL
    THEN 'missing_time'
    WHEN a.user_id IS NULL
    THEN 'not_in_experiment'
    WHEN r._gl_dup > 1
    THEN 'exact_duplicate'
    WHEN r.timestamp >= CAST('2026-11-30T15:00:00+00:00' AS TIMESTAMP)
    THEN 'future'
    WHEN r.timestamp < a.assigned_at
    AND NOT (
      r._gl_day >= a.assigned_day - INTERVAL '14' DAY AND r._gl_day < a.assigned_day
    )
    THEN 'before_assignment'
    WHEN r.timestamp >= CAST('2026-10-28T15:00:00+00:00' AS TIMESTAMP)
    THEN 'after_analysis_date'
  END AS _gl_reason
FROM r
LEFT JOIN exp_assigned AS a
  USING (user_id);

-- [20]
-- a temp table: the Spark engine runs this CREATE's SELECT and caches it (persist + count)
CREATE TEMPORARY VIEW ledger_activity_days AS
SELECT
  _gl_reason,
  _gl_uk AS uk,
  _gl_day AS day,
  COALESCE(_gl_pre, FALSE) AS pre,
  COUNT(*) AS events,
  BOOL_OR(COALESCE(event IN ('project_created'), FALSE)) AS goal,
  BOOL_OR(FALSE) AS support,
  MIN(
    CASE
      WHEN NOT _gl_reason IS NULL
      THEN CONCAT_WS(
        ', ',
        'user_id=' || COALESCE(LEFT(CAST(`user_id` AS STRING), 60), 'NULL'),
        'timestamp=' || COALESCE(LEFT(CAST(`timestamp` AS STRING), 60), 'NULL'),
        'event=' || COALESCE(LEFT(CAST(`event` AS STRING), 60), 'NULL')
      )
    END
  ) AS example
FROM ledger_activity
GROUP BY ALL;

-- [21]
CREATE OR REPLACE TEMPORARY VIEW exp_activity_days AS
SELECT
  uk,
  day,
  pre,
  events,
  goal,
  support
FROM ledger_activity_days
WHERE
  _gl_reason IS NULL;

-- [22]
CREATE OR REPLACE TEMPORARY VIEW exp_activity AS
SELECT
  *
  EXCEPT (_gl_reason, _gl_pre, _gl_uk, _gl_day)
FROM ledger_activity
WHERE
  _gl_reason IS NULL AND NOT _gl_pre;

-- [23]
CREATE OR REPLACE TEMPORARY VIEW exp_activity_pre AS
SELECT
  *
  EXCEPT (_gl_reason, _gl_pre, _gl_uk, _gl_day)
FROM ledger_activity
WHERE
  _gl_reason IS NULL AND _gl_pre;

-- [24]
DESCRIBE users;

-- [25]
-- a temp table: the Spark engine runs this CREATE's SELECT and caches it (persist + count)
CREATE TEMPORARY VIEW ledger_users AS
WITH r AS (
  SELECT
    *,
    ROW_NUMBER() OVER (
      PARTITION BY `user_id`, `signup_at`, `platform`, `locale`, `plan`
      ORDER BY `user_id` NULLS LAST, `signup_at` NULLS LAST, `platform` NULLS LAST, `locale` NULLS LAST, `plan` NULLS LAST
    ) AS _gl_dup
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

-- [26]
CREATE OR REPLACE TEMPORARY VIEW exp_user_attrs AS
SELECT
  *
  EXCEPT (_gl_reason)
FROM ledger_users
WHERE
  _gl_reason IS NULL;

-- [27]
SELECT
  COUNT(*),
  COUNT_IF(user_id IS NULL),
  COUNT_IF(NOT variant IN ('holdout', 'tour', 'checklist') OR variant IS NULL)
FROM ledger_assignments
WHERE
  experiment = 'onboarding-tour-vs-checklist'
  AND assigned_at < CAST('2026-10-28 15:00:00.000000+00:00' AS TIMESTAMP);

-- [28]
SELECT
  COUNT(DISTINCT user_id)
FROM ledger_assignments
WHERE
  _gl_reason = 'multiple_arms';

-- [29]
DESCRIBE guide_events;

-- [30]
-- a temp table: the Spark engine runs this CREATE's SELECT and caches it (persist + count)
CREATE TEMPORARY VIEW exp_guide_user AS
WITH e AS (
  SELECT
    g._gl_uk AS uk,
    g.guide_id,
    g._gl_own AS own,
    g.timestamp,
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
    END AS ev,
    TRY_CAST(g.step AS INT) AS raw_step,
    COALESCE(TRY_CAST(g.step AS INT), 1) AS step,
    DATEDIFF(DAY, a.assigned_day, g._gl_day) AS day
  FROM ledger_guide_events AS g
  JOIN exp_assigned AS a
    ON a.uk = g._gl_uk
  WHERE
    g._gl_reason IS NULL
)
SELECT
  uk,
  guide_id,
  BOOL_OR(own) AS own,
  BOOL_OR(e.ev = 'shown') AS shown,
  BOOL_OR(e.ev = 'opened') AS opened,
  BOOL_OR(e.ev = 'clicked') AS clicked,
  BOOL_OR(e.ev = 'dismissed') AS dismissed,
  BOOL_OR(e.ev = 'completed') AS completed,
  BOOL_OR(e.ev = 'opted_out') AS opted_out,
  BOOL_OR(e.ev = 'answered') AS answered,
  COUNT_IF(e.ev = 'shown' AND e.step = 1) AS shown_n,
  COUNT_IF(e.ev = 'clicked') AS clicked_n,
  MAX(e.raw_step) FILTER(WHERE
    e.ev = 'shown') AS max_shown_step,
  MIN(e.timestamp) FILTER(WHERE
    e.ev = 'shown') AS first_shown,
  MIN(e.timestamp) FILTER(WHERE
    e.ev = 'completed') AS first_completed,
  BOOL_OR(e.ev = 'shown' AND e.day < 7) AS shown_in_period
FROM e
GROUP BY
  uk,
  guide_id;

-- [31]
DESCRIBE guide_events;

-- [32]
-- a temp table: the Spark engine runs this CREATE's SELECT and caches it (persist + count)
CREATE TEMPORARY VIEW exp_users AS
WITH gf AS (
  SELECT
    uk,
    BOOL_OR(g.shown) AS shown,
    BOOL_OR(g.opened) AS opened,
    BOOL_OR(g.clicked) AS clicked,
    BOOL_OR(g.dismissed) AS dismissed,
    BOOL_OR(g.completed) AS completed,
    BOOL_OR(g.opted_out) AS opted_out,
    BOOL_OR(g.answered) AS answered,
    SUM(shown_n) AS shown_n,
    SUM(clicked_n) AS clicked_n
  FROM exp_guide_user AS g
  WHERE
    own
  GROUP BY
    uk
), ox AS (
  SELECT
    uk,
    COUNT(*) AS guides_shown
  FROM exp_guide_user
  WHERE
    shown_in_period
  GROUP BY
    uk
), a AS (
  SELECT
    d.uk,
    d.pre AS pre_day,
    CASE WHEN NOT d.pre THEN DATEDIFF(DAY, u2.assigned_day, d.day) END AS day,
    CASE WHEN NOT d.pre THEN d.events END AS sessions, /* the activity rows of the day (registry aggregates sum it) */
    CASE WHEN NOT d.pre THEN d.goal END AS is_goal, /* the registry's names (docs/metrics.md) */
    CASE WHEN NOT d.pre THEN d.support END AS is_support
  FROM exp_activity_days AS d
  JOIN exp_assigned AS u2
    USING (uk)
), af AS (
  SELECT
    uk,
    COUNT_IF(pre_day) AS pre_active_days,
    MIN(day) FILTER(WHERE
      is_goal) AS first_goal_day,
    MIN(day) FILTER(WHERE
      is_support) AS first_support_day,
    BOOL_OR(day = 1) AS active_d1,
    BOOL_OR(day = 7) AS active_d7,
    CAST(SUM(sessions) FILTER(WHERE
      day BETWEEN 0 AND 6) AS BIGINT) AS sessions_d7
  FROM a
  GROUP BY
    uk
)
SELECT
  u2.uk,
  u2.user_id,
  u2.variant,
  u2.assigned_at,
  u2.assigned_day,
  DATEDIFF(DAY, u2.assigned_day, CAST('2026-10-28' AS DATE)) AS observed_days,
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
  CAST(COALESCE(gf.shown_n, 0) AS BIGINT) AS shown_n,
  CAST(COALESCE(gf.clicked_n, 0) AS BIGINT) AS clicked_n,
  COALESCE(af.pre_active_days, 0) AS pre_active_days,
  COALESCE(af.active_d1, FALSE) AS active_d1,
  COALESCE(af.active_d7, FALSE) AS active_d7,
  COALESCE(af.sessions_d7, 0) AS sessions_d7
FROM exp_assigned AS u2
LEFT JOIN gf
  USING (uk)
LEFT JOIN af
  USING (uk)
LEFT JOIN ox
  USING (uk);

-- [33]
SELECT
  COUNT(*)
FROM exp_users AS u
WHERE
  u.shown AND u.variant IN ('holdout');

-- [34]
SELECT
  COUNT(*),
  COUNT_IF(shown)
FROM exp_users
WHERE
  variant IN ('tour', 'checklist');

-- [35]
DESCRIBE assignments;

-- [36]
SELECT
  _gl_reason,
  MIN(
    CONCAT_WS(
      ', ',
      'user_id=' || COALESCE(LEFT(CAST(`user_id` AS STRING), 60), 'NULL'),
      'experiment=' || COALESCE(LEFT(CAST(`experiment` AS STRING), 60), 'NULL'),
      'variant=' || COALESCE(LEFT(CAST(`variant` AS STRING), 60), 'NULL'),
      'assigned_at=' || COALESCE(LEFT(CAST(`assigned_at` AS STRING), 60), 'NULL')
    )
  )
FROM ledger_assignments
WHERE
  NOT _gl_reason IS NULL
GROUP BY
  1;

-- [37]
SELECT
  _gl_reason,
  COUNT(*)
FROM ledger_assignments
GROUP BY
  1;

-- [38]
DESCRIBE guide_events;

-- [39]
SELECT
  _gl_reason,
  MIN(
    CONCAT_WS(
      ', ',
      'user_id=' || COALESCE(LEFT(CAST(`user_id` AS STRING), 60), 'NULL'),
      'guide_id=' || COALESCE(LEFT(CAST(`guide_id` AS STRING), 60), 'NULL'),
      'step=' || COALESCE(LEFT(CAST(`step` AS STRING), 60), 'NULL'),
      'event=' || COALESCE(LEFT(CAST(`event` AS STRING), 60), 'NULL'),
      'timestamp=' || COALESCE(LEFT(CAST(`timestamp` AS STRING), 60), 'NULL')
    )
  )
FROM ledger_guide_events
WHERE
  NOT _gl_reason IS NULL
GROUP BY
  1;

-- [40]
SELECT
  _gl_reason,
  COUNT(*)
FROM ledger_guide_events
GROUP BY
  1;

-- [41]
DESCRIBE activity;

-- [42]
SELECT
  _gl_reason,
  SUM(events),
  MIN(example)
FROM ledger_activity_days
GROUP BY
  1;

-- [43]
DESCRIBE users;

-- [44]
SELECT
  _gl_reason,
  MIN(
    CONCAT_WS(
      ', ',
      'user_id=' || COALESCE(LEFT(CAST(`user_id` AS STRING), 60), 'NULL'),
      'signup_at=' || COALESCE(LEFT(CAST(`signup_at` AS STRING), 60), 'NULL'),
      'platform=' || COALESCE(LEFT(CAST(`platform` AS STRING), 60), 'NULL'),
      'locale=' || COALESCE(LEFT(CAST(`locale` AS STRING), 60), 'NULL'),
      'plan=' || COALESCE(LEFT(CAST(`plan` AS STRING), 60), 'NULL')
    )
  )
FROM ledger_users
WHERE
  NOT _gl_reason IS NULL
GROUP BY
  1;

-- [45]
SELECT
  _gl_reason,
  COUNT(*)
FROM ledger_users
GROUP BY
  1;

-- [46]
SELECT
  variant,
  COUNT(*)
FROM exp_users
GROUP BY
  variant;

-- [47]
SELECT
  assigned_day,
  variant,
  COUNT(*)
FROM exp_users
GROUP BY ALL
ORDER BY
  1 NULLS LAST,
  2 NULLS LAST;

-- [48]
SELECT
  variant,
  COUNT(*),
  SUM(CAST(active_d7 AS INT)),
  SUM(CAST(active_d7 AS INT) * CAST(active_d7 AS INT)),
  SUM(pre_active_days),
  SUM(pre_active_days * pre_active_days),
  SUM(CAST(active_d7 AS INT) * pre_active_days),
  VAR_POP(COALESCE(CAST(active_d7 AS INT), 0)) * COUNT(*),
  VAR_POP(COALESCE(pre_active_days, 0)) * COUNT(*),
  COVAR_POP(COALESCE(pre_active_days, 0), COALESCE(CAST(active_d7 AS INT), 0)) * COUNT(*)
FROM exp_users
WHERE
  observed_days >= 7
GROUP BY
  variant;

-- [49]
WITH e AS (
  SELECT
    user_id,
    variant,
    assigned_at,
    CAST(active_d7 AS INT) AS y,
    pre_active_days AS x
  FROM exp_users
  WHERE
    observed_days >= 7
)
SELECT
  e.variant,
  COALESCE(
    CASE
      WHEN s.signup_at IS NULL
      THEN NULL
      WHEN s.signup_at >= e.assigned_at - INTERVAL '1' DAY
      THEN 'new'
      ELSE 'existing'
    END,
    '(missing)'
  ) AS a0,
  COALESCE(CAST(s.`plan` AS STRING), '(missing)') AS a1,
  COUNT(*),
  SUM(y),
  SUM(y * y),
  SUM(x),
  SUM(x * x),
  SUM(x * y),
  VAR_POP(COALESCE(y, 0)) * COUNT(*),
  VAR_POP(COALESCE(x, 0)) * COUNT(*),
  COVAR_POP(COALESCE(x, 0), COALESCE(y, 0)) * COUNT(*)
FROM e
LEFT JOIN exp_user_attrs AS s
  ON s.user_id = e.user_id
GROUP BY
  1,
  2,
  3;

-- [50]
SELECT
  variant,
  COUNT(*),
  SUM(CAST(active_d1 AS INT)),
  SUM(CAST(active_d1 AS INT) * CAST(active_d1 AS INT)),
  SUM(pre_active_days),
  SUM(pre_active_days * pre_active_days),
  SUM(CAST(active_d1 AS INT) * pre_active_days),
  VAR_POP(COALESCE(CAST(active_d1 AS INT), 0)) * COUNT(*),
  VAR_POP(COALESCE(pre_active_days, 0)) * COUNT(*),
  COVAR_POP(COALESCE(pre_active_days, 0), COALESCE(CAST(active_d1 AS INT), 0)) * COUNT(*)
FROM exp_users
WHERE
  observed_days >= 1
GROUP BY
  variant;

-- [51]
WITH e AS (
  SELECT
    user_id,
    variant,
    assigned_at,
    CAST(active_d1 AS INT) AS y,
    pre_active_days AS x
  FROM exp_users
  WHERE
    observed_days >= 1
)
SELECT
  e.variant,
  COALESCE(
    CASE
      WHEN s.signup_at IS NULL
      THEN NULL
      WHEN s.signup_at >= e.assigned_at - INTERVAL '1' DAY
      THEN 'new'
      ELSE 'existing'
    END,
    '(missing)'
  ) AS a0,
  COALESCE(CAST(s.`plan` AS STRING), '(missing)') AS a1,
  COUNT(*),
  SUM(y),
  SUM(y * y),
  SUM(x),
  SUM(x * x),
  SUM(x * y),
  VAR_POP(COALESCE(y, 0)) * COUNT(*),
  VAR_POP(COALESCE(x, 0)) * COUNT(*),
  COVAR_POP(COALESCE(x, 0), COALESCE(y, 0)) * COUNT(*)
FROM e
LEFT JOIN exp_user_attrs AS s
  ON s.user_id = e.user_id
GROUP BY
  1,
  2,
  3;

-- [52]
SELECT
  variant,
  COUNT(*),
  SUM(CAST(COALESCE(first_goal_day < 7, FALSE) AS INT)),
  SUM(
    CAST(COALESCE(first_goal_day < 7, FALSE) AS INT) * CAST(COALESCE(first_goal_day < 7, FALSE) AS INT)
  ),
  SUM(pre_active_days),
  SUM(pre_active_days * pre_active_days),
  SUM(CAST(COALESCE(first_goal_day < 7, FALSE) AS INT) * pre_active_days),
  VAR_POP(COALESCE(CAST(COALESCE(first_goal_day < 7, FALSE) AS INT), 0)) * COUNT(*),
  VAR_POP(COALESCE(pre_active_days, 0)) * COUNT(*),
  COVAR_POP(
    COALESCE(pre_active_days, 0),
    COALESCE(CAST(COALESCE(first_goal_day < 7, FALSE) AS INT), 0)
  ) * COUNT(*)
FROM exp_users
WHERE
  observed_days >= 6
GROUP BY
  variant;

-- [53]
WITH e AS (
  SELECT
    user_id,
    variant,
    assigned_at,
    CAST(COALESCE(first_goal_day < 7, FALSE) AS INT) AS y,
    pre_active_days AS x
  FROM exp_users
  WHERE
    observed_days >= 6
)
SELECT
  e.variant,
  COALESCE(
    CASE
      WHEN s.signup_at IS NULL
      THEN NULL
      WHEN s.signup_at >= e.assigned_at - INTERVAL '1' DAY
      THEN 'new'
      ELSE 'existing'
    END,
    '(missing)'
  ) AS a0,
  COALESCE(CAST(s.`plan` AS STRING), '(missing)') AS a1,
  COUNT(*),
  SUM(y),
  SUM(y * y),
  SUM(x),
  SUM(x * x),
  SUM(x * y),
  VAR_POP(COALESCE(y, 0)) * COUNT(*),
  VAR_POP(COALESCE(x, 0)) * COUNT(*),
  COVAR_POP(COALESCE(x, 0), COALESCE(y, 0)) * COUNT(*)
FROM e
LEFT JOIN exp_user_attrs AS s
  ON s.user_id = e.user_id
GROUP BY
  1,
  2,
  3;

-- [54]
SELECT
  COUNT(sessions_d7)
FROM exp_users
WHERE
  observed_days >= 6;

-- [55]
SELECT
  MIN(v)
FROM (
  SELECT
    v,
    SUM(c) OVER (ORDER BY v NULLS LAST ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) AS cum
  FROM (
    SELECT
      sessions_d7 AS v,
      COUNT(*) AS c
    FROM exp_users
    WHERE
      observed_days >= 6 AND NOT sessions_d7 IS NULL
    GROUP BY
      1
  ) AS g
) AS w
WHERE
  cum >= 9268;

-- [56]
SELECT
  variant,
  COUNT(*),
  COUNT_IF(sessions_d7 > 15)
FROM exp_users
WHERE
  observed_days >= 6
GROUP BY
  variant;

-- [57]
SELECT
  variant,
  COUNT(*),
  SUM((
    CASE WHEN sessions_d7 > 15 THEN 15 ELSE sessions_d7 END
  )),
  SUM(
    (
      CASE WHEN sessions_d7 > 15 THEN 15 ELSE sessions_d7 END
    ) * (
      CASE WHEN sessions_d7 > 15 THEN 15 ELSE sessions_d7 END
    )
  ),
  SUM(pre_active_days),
  SUM(pre_active_days * pre_active_days),
  SUM((
    CASE WHEN sessions_d7 > 15 THEN 15 ELSE sessions_d7 END
  ) * pre_active_days),
  VAR_POP(COALESCE((
    CASE WHEN sessions_d7 > 15 THEN 15 ELSE sessions_d7 END
  ), 0)) * COUNT(*),
  VAR_POP(COALESCE(pre_active_days, 0)) * COUNT(*),
  COVAR_POP(
    COALESCE(pre_active_days, 0),
    COALESCE((
      CASE WHEN sessions_d7 > 15 THEN 15 ELSE sessions_d7 END
    ), 0)
  ) * COUNT(*)
FROM exp_users
WHERE
  observed_days >= 6
GROUP BY
  variant;

-- [58]
WITH e AS (
  SELECT
    user_id,
    variant,
    assigned_at,
    (
      CASE WHEN sessions_d7 > 15 THEN 15 ELSE sessions_d7 END
    ) AS y,
    pre_active_days AS x
  FROM exp_users
  WHERE
    observed_days >= 6
)
SELECT
  e.variant,
  COALESCE(
    CASE
      WHEN s.signup_at IS NULL
      THEN NULL
      WHEN s.signup_at >= e.assigned_at - INTERVAL '1' DAY
      THEN 'new'
      ELSE 'existing'
    END,
    '(missing)'
  ) AS a0,
  COALESCE(CAST(s.`plan` AS STRING), '(missing)') AS a1,
  COUNT(*),
  SUM(y),
  SUM(y * y),
  SUM(x),
  SUM(x * x),
  SUM(x * y),
  VAR_POP(COALESCE(y, 0)) * COUNT(*),
  VAR_POP(COALESCE(x, 0)) * COUNT(*),
  COVAR_POP(COALESCE(x, 0), COALESCE(y, 0)) * COUNT(*)
FROM e
LEFT JOIN exp_user_attrs AS s
  ON s.user_id = e.user_id
GROUP BY
  1,
  2,
  3;

-- [59]
SELECT
  variant,
  COUNT(*),
  COUNT_IF(
    (
      COALESCE(first_goal_day < 7, FALSE)
    )
    AND NOT CAST(first_goal_day AS DOUBLE) IS NULL
  )
FROM exp_users
WHERE
  observed_days >= 6
GROUP BY
  variant;

-- [60]
SELECT
  variant,
  r,
  v
FROM (
  SELECT
    variant,
    CAST(first_goal_day AS DOUBLE) AS v,
    ROW_NUMBER() OVER (PARTITION BY variant ORDER BY CAST(first_goal_day AS DOUBLE) NULLS LAST) AS r
  FROM exp_users
  WHERE
    observed_days >= 6
    AND (
      COALESCE(first_goal_day < 7, FALSE)
    )
    AND NOT CAST(first_goal_day AS DOUBLE) IS NULL
) AS q
WHERE
  (
    variant = 'checklist' AND r IN (876, 929, 981)
  )
  OR (
    variant = 'holdout' AND r IN (430, 467, 504)
  )
  OR (
    variant = 'tour' AND r IN (892, 945, 997)
  )
ORDER BY
  variant NULLS LAST,
  r NULLS LAST;

-- [61]
WITH e AS (
  SELECT
    user_id,
    variant,
    assigned_at,
    first_goal_day AS y,
    pre_active_days AS x
  FROM exp_users
  WHERE
    observed_days >= 6
)
SELECT
  e.variant,
  COALESCE(
    CASE
      WHEN s.signup_at IS NULL
      THEN NULL
      WHEN s.signup_at >= e.assigned_at - INTERVAL '1' DAY
      THEN 'new'
      ELSE 'existing'
    END,
    '(missing)'
  ) AS a0,
  COALESCE(CAST(s.`plan` AS STRING), '(missing)') AS a1,
  COUNT(*),
  SUM(y),
  SUM(y * y),
  SUM(x),
  SUM(x * x),
  SUM(x * y),
  VAR_POP(COALESCE(y, 0)) * COUNT(*),
  VAR_POP(COALESCE(x, 0)) * COUNT(*),
  COVAR_POP(COALESCE(x, 0), COALESCE(y, 0)) * COUNT(*)
FROM e
LEFT JOIN exp_user_attrs AS s
  ON s.user_id = e.user_id
GROUP BY
  1,
  2,
  3;

-- [62]
SELECT
  variant,
  COUNT(*),
  SUM(CAST(dismissed AS INT)),
  SUM(CAST(dismissed AS INT) * CAST(dismissed AS INT)),
  SUM(pre_active_days),
  SUM(pre_active_days * pre_active_days),
  SUM(CAST(dismissed AS INT) * pre_active_days),
  VAR_POP(COALESCE(CAST(dismissed AS INT), 0)) * COUNT(*),
  VAR_POP(COALESCE(pre_active_days, 0)) * COUNT(*),
  COVAR_POP(COALESCE(pre_active_days, 0), COALESCE(CAST(dismissed AS INT), 0)) * COUNT(*)
FROM exp_users
WHERE
  TRUE
GROUP BY
  variant;

-- [63]
WITH e AS (
  SELECT
    user_id,
    variant,
    assigned_at,
    CAST(dismissed AS INT) AS y,
    pre_active_days AS x
  FROM exp_users
  WHERE
    TRUE
)
SELECT
  e.variant,
  COALESCE(
    CASE
      WHEN s.signup_at IS NULL
      THEN NULL
      WHEN s.signup_at >= e.assigned_at - INTERVAL '1' DAY
      THEN 'new'
      ELSE 'existing'
    END,
    '(missing)'
  ) AS a0,
  COALESCE(CAST(s.`plan` AS STRING), '(missing)') AS a1,
  COUNT(*),
  SUM(y),
  SUM(y * y),
  SUM(x),
  SUM(x * x),
  SUM(x * y),
  VAR_POP(COALESCE(y, 0)) * COUNT(*),
  VAR_POP(COALESCE(x, 0)) * COUNT(*),
  COVAR_POP(COALESCE(x, 0), COALESCE(y, 0)) * COUNT(*)
FROM e
LEFT JOIN exp_user_attrs AS s
  ON s.user_id = e.user_id
GROUP BY
  1,
  2,
  3;

-- [64]
WITH o AS (
  SELECT
    variant,
    LEAST(observed_days, 30) AS observed,
    COUNT(*) AS n
  FROM exp_users
  WHERE
    observed_days >= 0
  GROUP BY ALL
)
SELECT
  o.variant,
  d.range AS day,
  CAST(SUM(o.n) AS BIGINT) AS n
FROM o, (
  SELECT
    id AS `range`
  FROM RANGE(0, 31)
) AS d
WHERE
  o.observed >= d.range
GROUP BY ALL;

-- [65]
SELECT
  variant,
  day,
  COUNT(*)
FROM (
  SELECT
    u.variant,
    u.observed_days,
    DATEDIFF(DAY, u.assigned_day, d.day) AS day
  FROM exp_activity_days AS d
  JOIN exp_users AS u
    USING (uk)
  WHERE
    NOT d.pre
) AS a
WHERE
  day BETWEEN 0 AND 30 AND observed_days >= day
GROUP BY ALL;

-- [66]
SELECT
  variant,
  CASE WHEN NOT first_goal_day IS NULL THEN first_goal_day ELSE observed_days END AS t,
  NOT first_goal_day IS NULL AS event,
  COUNT(*)
FROM exp_users
WHERE
  observed_days >= 0
GROUP BY ALL;

-- [67]
SELECT
  variant,
  assigned_day,
  COUNT(*),
  SUM(CAST(active_d7 AS INT))
FROM exp_users
WHERE
  observed_days >= 7
GROUP BY ALL
ORDER BY
  2 NULLS LAST;

-- [68]
DESCRIBE users;

-- [69]
SELECT
  CAST(s.`platform` AS STRING) AS segment,
  e.variant,
  COUNT(*),
  SUM(CAST(active_d7 AS INT))
FROM exp_users AS e
JOIN exp_user_attrs AS s
  USING (user_id)
WHERE
  observed_days >= 7
GROUP BY ALL;

-- [70]
DESCRIBE users;

-- [71]
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
  SUM(CAST(active_d7 AS INT))
FROM exp_users AS e
JOIN exp_user_attrs AS s
  USING (user_id)
WHERE
  observed_days >= 7
GROUP BY ALL;

-- [72]
DESCRIBE guide_events;

-- [73]
WITH s AS (
  SELECT
    uk,
    max_shown_step AS max_step
  FROM exp_guide_user
  WHERE
    guide_id = 'onboarding-tour'
)
SELECT
  r.range AS step,
  COUNT(*)
FROM exp_users AS u
LEFT JOIN s
  USING (uk), (
  SELECT
    id AS `range`
  FROM RANGE(1, 4)
) AS r
WHERE
  u.variant = 'tour' AND (
    s.max_step >= r.range OR u.completed
  )
GROUP BY
  1;

-- [74]
SELECT
  COUNT(*),
  COUNT_IF(completed)
FROM exp_users
WHERE
  variant = 'tour';

-- [75]
WITH d AS (
  SELECT
    CAST(UNIX_MICROS(g.first_completed) AS DOUBLE) / 1000000.0 - CAST(UNIX_MICROS(g.first_shown) AS DOUBLE) / 1000000.0 AS secs
  FROM exp_guide_user AS g
  JOIN exp_users AS u
    USING (uk)
  WHERE
    u.variant = 'tour'
    AND g.guide_id = 'onboarding-tour'
    AND NOT g.first_completed IS NULL
    AND NOT g.first_shown IS NULL
)
SELECT
  COUNT(*) FILTER(WHERE
    secs >= 0),
  COALESCE(SUM(secs) FILTER(WHERE
    secs >= 0), 0),
  COALESCE(SUM(secs * secs) FILTER(WHERE
    secs >= 0), 0),
  COUNT(*) FILTER(WHERE
    secs < 0)
FROM d;

-- [76]
WITH s AS (
  SELECT
    uk,
    max_shown_step AS max_step
  FROM exp_guide_user
  WHERE
    guide_id = 'onboarding-checklist'
)
SELECT
  r.range AS step,
  COUNT(*)
FROM exp_users AS u
LEFT JOIN s
  USING (uk), (
  SELECT
    id AS `range`
  FROM RANGE(1, 4)
) AS r
WHERE
  u.variant = 'checklist' AND (
    s.max_step >= r.range OR u.completed
  )
GROUP BY
  1;

-- [77]
SELECT
  COUNT(*),
  COUNT_IF(completed)
FROM exp_users
WHERE
  variant = 'checklist';

-- [78]
WITH d AS (
  SELECT
    CAST(UNIX_MICROS(g.first_completed) AS DOUBLE) / 1000000.0 - CAST(UNIX_MICROS(g.first_shown) AS DOUBLE) / 1000000.0 AS secs
  FROM exp_guide_user AS g
  JOIN exp_users AS u
    USING (uk)
  WHERE
    u.variant = 'checklist'
    AND g.guide_id = 'onboarding-checklist'
    AND NOT g.first_completed IS NULL
    AND NOT g.first_shown IS NULL
)
SELECT
  COUNT(*) FILTER(WHERE
    secs >= 0),
  COALESCE(SUM(secs) FILTER(WHERE
    secs >= 0), 0),
  COALESCE(SUM(secs * secs) FILTER(WHERE
    secs >= 0), 0),
  COUNT(*) FILTER(WHERE
    secs < 0)
FROM d;

-- [79]
WITH act AS (
  SELECT
    u.variant,
    d.day,
    LAG(d.day) OVER (PARTITION BY d.uk ORDER BY d.day NULLS LAST) AS prev
  FROM exp_activity_days AS d
  JOIN exp_users AS u
    USING (uk)
  WHERE
    NOT d.pre
), days AS (
  SELECT DISTINCT
    day
  FROM act
), arms AS (
  SELECT DISTINCT
    variant
  FROM act
), steps AS (
  SELECT
    variant,
    day,
    1 AS dau,
    0 AS wau,
    0 AS mau
  FROM act
  UNION ALL
  SELECT
    variant,
    CASE WHEN prev IS NULL OR prev + 7 <= day THEN day ELSE prev + 7 END,
    0,
    1,
    0
  FROM act
  UNION ALL
  SELECT
    variant,
    day + 7,
    0,
    -1,
    0
  FROM act
  UNION ALL
  SELECT
    variant,
    CASE WHEN prev IS NULL OR prev + 30 <= day THEN day ELSE prev + 30 END,
    0,
    0,
    1
  FROM act
  UNION ALL
  SELECT
    variant,
    day + 30,
    0,
    0,
    -1
  FROM act
  UNION ALL
  SELECT
    arms.variant,
    days.day,
    0,
    0,
    0
  FROM arms
  CROSS JOIN days
), per_day AS (
  SELECT
    variant,
    day,
    SUM(dau) AS dau,
    SUM(wau) AS wau,
    SUM(mau) AS mau
  FROM steps
  GROUP BY
    variant,
    day
), running AS (
  SELECT
    variant,
    day,
    dau,
    SUM(wau) OVER (
      PARTITION BY variant
      ORDER BY day NULLS LAST
      ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW
    ) AS wau,
    SUM(mau) OVER (
      PARTITION BY variant
      ORDER BY day NULLS LAST
      ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW
    ) AS mau
  FROM per_day
)
SELECT
  r.variant,
  r.day,
  CAST(r.dau AS BIGINT),
  CAST(r.wau AS BIGINT),
  CAST(r.mau AS BIGINT)
FROM running AS r
JOIN days
  USING (day)
WHERE
  r.mau > 0
ORDER BY
  r.day NULLS LAST,
  r.variant NULLS LAST;

-- [80]
DESCRIBE guide_events;
