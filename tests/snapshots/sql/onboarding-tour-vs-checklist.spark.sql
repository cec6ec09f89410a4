-- guidelab SQL for onboarding-tour-vs-checklist on data/sample (one row of activity and of guide events doubled), dialect: spark
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
CREATE TEMPORARY VIEW ledger_assignments_repeated_keys AS
SELECT
  _gl_h
FROM (
  SELECT
    HASH(user_id) AS _gl_h
  FROM assignments
)
GROUP BY
  _gl_h
HAVING
  COUNT(*) > 1;

-- [7]
-- a temp table: the Spark engine runs this CREATE's SELECT and caches it (persist + count)
CREATE TEMPORARY VIEW ledger_assignments AS
WITH r AS (
  SELECT
    *
  FROM assignments
), c AS (
  SELECT
    *,
    CASE
      WHEN experiment IS NULL
      THEN 'missing_key'
      WHEN experiment <> 'onboarding-tour-vs-checklist'
      THEN 'other_experiment'
      WHEN user_id IS NULL OR variant IS NULL
      THEN 'missing_key'
      WHEN assigned_at IS NULL
      THEN 'missing_time'
    END AS _gl_key_reason,
    CASE
      WHEN assigned_at >= CAST('2026-11-30 15:00:00.000000+00:00' AS TIMESTAMP)
      THEN 'future'
      WHEN assigned_at >= CAST('2026-10-28 15:00:00.000000+00:00' AS TIMESTAMP)
      THEN 'after_analysis_date'
      WHEN NOT variant IN ('holdout', 'tour', 'checklist')
      THEN 'unknown_variant'
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
      ORDER BY assigned_at NULLS LAST, `user_id` NULLS LAST, `experiment` NULLS LAST, `variant` NULLS LAST, `assigned_at` NULLS LAST
    ) AS _gl_row,
    RANK() OVER (
      PARTITION BY user_id
      ORDER BY assigned_at NULLS LAST, `user_id` NULLS LAST, `experiment` NULLS LAST, `variant` NULLS LAST, `assigned_at` NULLS LAST
    ) AS _gl_first,
    COUNT(*) OVER (
      PARTITION BY user_id
      ORDER BY assigned_at NULLS LAST, `user_id` NULLS LAST, `experiment` NULLS LAST, `variant` NULLS LAST, `assigned_at` NULLS LAST
    ) AS _gl_last,
    SUM(_gl_ok) OVER (
      PARTITION BY user_id
      ORDER BY assigned_at NULLS LAST, `user_id` NULLS LAST, `experiment` NULLS LAST, `variant` NULLS LAST, `assigned_at` NULLS LAST
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
  EXCEPT (_gl_key_reason, _gl_row_reason, _gl_ok, _gl_single),
  COALESCE(_gl_key_reason, _gl_row_reason) AS _gl_reason
FROM s
WHERE
  _gl_single
UNION ALL
SELECT
  n.*
  EXCEPT (_gl_key_reason, _gl_row_reason, _gl_ok, _gl_single, _gl_row, _gl_first, _gl_last, _gl_ok_upto, _gl_arm_lo, _gl_arm_hi),
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

-- [8]
DROP TABLE IF EXISTS ledger_assignments_repeated_keys;

-- [9]
SELECT
  UNIX_MICROS(MIN(`assigned_at`)),
  UNIX_MICROS(MAX(`assigned_at`))
FROM assignments;

-- [10]
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

-- [11]
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

-- [12]
DESCRIBE guide_events;

-- [13]
SELECT
  UNIX_MICROS(MIN(`timestamp`)),
  UNIX_MICROS(MAX(`timestamp`))
FROM guide_events;

-- [14]
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

-- [15]
CREATE OR REPLACE TEMPORARY VIEW ledger_guide_events AS
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
    WHEN a.uk IS NULL
    THEN 'not_in_experiment'
    WHEN r._gl_dup > 1
    THEN 'exact_duplicate'
    WHEN r.timestamp >= CAST('2026-11-30T15:00:00+00:00' AS TIMESTAMP)
    THEN 'future'
    WHEN r.timestamp < a.assigned_at
    THEN 'before_assignment'
    WHEN r.timestamp >= CAST('2026-10-28T15:00:00+00:00' AS TIMESTAMP)
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
      NOT r.step IS NULL AND COALESCE(CAST(r.step AS DOUBLE) < 1, TRUE)
    )
    THEN 'out_of_range'
  END AS _gl_reason
FROM r
LEFT JOIN exp_assigned AS a
  USING (user_id);

-- [16]
-- a temp table: the Spark engine runs this CREATE's SELECT and caches it (persist + count)
CREATE TEMPORARY VIEW ledger_guide_events_repeated_hashes AS
SELECT
  _gl_h
FROM (
  SELECT
    HASH(`user_id`, `guide_id`, `step`, `event`, `timestamp`) AS _gl_h
  FROM guide_events
)
GROUP BY
  _gl_h
HAVING
  COUNT(*) > 1;

-- [17]
SELECT
  COUNT(*)
FROM ledger_guide_events_repeated_hashes;

-- [18]
-- a temp table: the Spark engine runs this CREATE's SELECT and caches it (persist + count)
CREATE TEMPORARY VIEW ledger_guide_events_copies AS
SELECT
  `user_id`,
  `guide_id`,
  `step`,
  `event`,
  `timestamp`,
  HASH(`user_id`, `guide_id`, `step`, `event`, `timestamp`) AS _gl_h,
  CAST(COUNT(*) AS BIGINT) AS _gl_copies
FROM guide_events
WHERE
  HASH(`user_id`, `guide_id`, `step`, `event`, `timestamp`) IN (
    SELECT
      _gl_h
    FROM ledger_guide_events_repeated_hashes
  )
GROUP BY ALL;

-- [19]
DROP TABLE IF EXISTS ledger_guide_events_repeated_hashes;

-- [20]
-- a temp table: the Spark engine runs this CREATE's SELECT and caches it (persist + count)
CREATE TEMPORARY VIEW ledger_guide_rows AS
WITH r AS (
  SELECT
    *,
    CAST(TIMESTAMP_MICROS(UNIX_MICROS(`timestamp`) + 32400000000) AS DATE) AS _gl_day
  FROM (
    SELECT
      t.`user_id`,
      t.`guide_id`,
      t.`step`,
      t.`event`,
      t.`timestamp`,
      CAST(1 AS BIGINT) AS _gl_n,
      FALSE AS _gl_copy
    FROM (
      SELECT
        *,
        HASH(`user_id`, `guide_id`, `step`, `event`, `timestamp`) AS _gl_h
      FROM guide_events
    ) AS t
    LEFT JOIN (
      SELECT DISTINCT
        _gl_h
      FROM ledger_guide_events_copies
    ) AS c
      ON c._gl_h = t._gl_h
    WHERE
      c._gl_h IS NULL
    UNION ALL
    SELECT
      `user_id`,
      `guide_id`,
      `step`,
      `event`,
      `timestamp`,
      CAST(1 AS BIGINT),
      FALSE
    FROM ledger_guide_events_copies
    UNION ALL
    SELECT
      `user_id`,
      `guide_id`,
      `step`,
      `event`,
      `timestamp`,
      _gl_copies - 1,
      TRUE
    FROM ledger_guide_events_copies
    WHERE
      _gl_copies > 1
  )
), c AS (
  SELECT
    r.*,
    a.uk AS _gl_uk,
    a.assigned_day,
    CASE
      WHEN r.user_id IS NULL OR r.guide_id IS NULL OR r.event IS NULL
      THEN -1
      WHEN r.timestamp IS NULL
      THEN -2
      WHEN NOT r.guide_id IN ('onboarding-tour', 'onboarding-checklist') AND NOT FALSE
      THEN -4
      WHEN a.uk IS NULL
      THEN -5
      WHEN r._gl_copy
      THEN -6
      WHEN r.timestamp >= CAST('2026-11-30T15:00:00+00:00' AS TIMESTAMP)
      THEN -7
      WHEN r.timestamp < a.assigned_at
      THEN -8
      WHEN r.timestamp >= CAST('2026-10-28T15:00:00+00:00' AS TIMESTAMP)
      THEN -9
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
      THEN -13
      WHEN (
        NOT r.step IS NULL AND COALESCE(CAST(r.step AS DOUBLE) < 1, TRUE)
      )
      THEN -14
    END AS _gl_code
  FROM r
  LEFT JOIN exp_assigned AS a
    USING (user_id)
), e /* narrow: at 10M users these rows spill to disk (the step counted as shown is coalesce(raw_step, 1)) */ AS (
  SELECT
    COALESCE(c._gl_code, c._gl_uk) AS _gl_key,
    CASE
      WHEN c._gl_code IS NULL
      THEN CAST(CASE c.guide_id
        WHEN 'onboarding-tour'
        THEN 0
        WHEN 'onboarding-checklist'
        THEN 1
        ELSE -1
      END AS SMALLINT)
    END AS _gl_guide,
    CAST(NULL AS STRING) AS _gl_other_guide,
    CAST(c._gl_n AS INT) AS _gl_n,
    CASE
      WHEN NOT c._gl_code IS NULL
      THEN CONCAT_WS(
        ', ',
        'user_id=' || COALESCE(LEFT(CAST(c.`user_id` AS STRING), 60), 'NULL'),
        'guide_id=' || COALESCE(LEFT(CAST(c.`guide_id` AS STRING), 60), 'NULL'),
        'step=' || COALESCE(LEFT(CAST(c.`step` AS STRING), 60), 'NULL'),
        'event=' || COALESCE(LEFT(CAST(c.`event` AS STRING), 60), 'NULL'),
        'timestamp=' || COALESCE(LEFT(CAST(c.`timestamp` AS STRING), 60), 'NULL')
      )
    END AS _gl_example,
    c.timestamp,
    CAST(CASE CASE c.event
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
        ELSE c.event
      END
      WHEN 'shown'
      THEN 0
      WHEN 'opened'
      THEN 1
      WHEN 'clicked'
      THEN 2
      WHEN 'dismissed'
      THEN 3
      WHEN 'completed'
      THEN 4
      WHEN 'opted_out'
      THEN 5
      WHEN 'answered'
      THEN 6
    END AS TINYINT) AS ev,
    TRY_CAST(c.step AS INT) AS raw_step,
    CAST(DATEDIFF(DAY, c.assigned_day, c._gl_day) AS INT) AS day
  FROM c
)
SELECT
  *
FROM e;

-- [21]
-- a temp table: the Spark engine runs this CREATE's SELECT and caches it (persist + count)
CREATE TEMPORARY VIEW ledger_guide_user AS
WITH g AS (
  SELECT
    _gl_key,
    _gl_guide,
    _gl_other_guide,
    CAST(SUM(e._gl_n) AS BIGINT) AS _gl_events,
    BIT_OR(SHIFTLEFT(CAST(1 AS INT), e.ev)) AS _gl_flags,
    COUNT_IF(e.ev = 0 AND COALESCE(e.raw_step, 1) = 1) AS shown_n,
    COUNT_IF(e.ev = 2) AS clicked_n,
    MAX(e.raw_step) FILTER(WHERE
      e.ev = 0) AS max_shown_step,
    MIN(e.timestamp) FILTER(WHERE
      e.ev = 0) AS first_shown,
    MIN(e.timestamp) FILTER(WHERE
      e.ev = 4) AS first_completed,
    BOOL_OR(e.ev = 0 AND e.day < 7) AS shown_in_period
  FROM ledger_guide_rows AS e
  WHERE
    e._gl_key > 0
  GROUP BY
    _gl_key,
    _gl_guide,
    _gl_other_guide
)
SELECT
  CAST(NULL AS STRING) AS _gl_reason,
  g._gl_key AS uk,
  CASE g._gl_guide
    WHEN 0
    THEN 'onboarding-tour'
    WHEN 1
    THEN 'onboarding-checklist'
    ELSE g._gl_other_guide
  END AS guide_id,
  g._gl_events,
  CAST(NULL AS STRING) AS _gl_example,
  g._gl_guide >= 0 AS own,
  (
    (
      SHIFTRIGHT(g._gl_flags, 0)
    ) & 1
  ) = 1 AS shown,
  (
    (
      SHIFTRIGHT(g._gl_flags, 1)
    ) & 1
  ) = 1 AS opened,
  (
    (
      SHIFTRIGHT(g._gl_flags, 2)
    ) & 1
  ) = 1 AS clicked,
  (
    (
      SHIFTRIGHT(g._gl_flags, 3)
    ) & 1
  ) = 1 AS dismissed,
  (
    (
      SHIFTRIGHT(g._gl_flags, 4)
    ) & 1
  ) = 1 AS completed,
  (
    (
      SHIFTRIGHT(g._gl_flags, 5)
    ) & 1
  ) = 1 AS opted_out,
  (
    (
      SHIFTRIGHT(g._gl_flags, 6)
    ) & 1
  ) = 1 AS answered,
  g.shown_n,
  g.clicked_n,
  g.max_shown_step,
  g.first_shown,
  g.first_completed,
  g.shown_in_period,
  g._gl_flags
FROM g
UNION ALL
SELECT
  CASE e._gl_key
    WHEN -1
    THEN 'missing_key'
    WHEN -2
    THEN 'missing_time'
    WHEN -3
    THEN 'other_experiment'
    WHEN -4
    THEN 'other_guide'
    WHEN -5
    THEN 'not_in_experiment'
    WHEN -6
    THEN 'exact_duplicate'
    WHEN -7
    THEN 'future'
    WHEN -8
    THEN 'before_assignment'
    WHEN -9
    THEN 'after_analysis_date'
    WHEN -10
    THEN 'unknown_variant'
    WHEN -11
    THEN 'multiple_arms'
    WHEN -12
    THEN 'repeated_assignment'
    WHEN -13
    THEN 'unknown_event'
    WHEN -14
    THEN 'out_of_range'
    WHEN -15
    THEN 'duplicate_user'
    WHEN -16
    THEN 'missing_unit'
  END,
  NULL,
  NULL,
  CAST(SUM(e._gl_n) AS BIGINT),
  MIN(e._gl_example),
  NULL,
  NULL,
  NULL,
  NULL,
  NULL,
  NULL,
  NULL,
  NULL,
  NULL,
  NULL,
  NULL,
  NULL,
  NULL,
  NULL,
  NULL
FROM ledger_guide_rows AS e
WHERE
  e._gl_key < 0
GROUP BY
  e._gl_key;

-- [22]
DROP TABLE IF EXISTS ledger_guide_rows;

-- [23]
CREATE OR REPLACE TEMPORARY VIEW exp_guide_user AS
SELECT
  *
  EXCEPT (_gl_reason, _gl_events, _gl_example)
FROM ledger_guide_user
WHERE
  _gl_reason IS NULL;

-- [24]
CREATE OR REPLACE TEMPORARY VIEW exp_guide_events_all AS
SELECT
  *
  EXCEPT (_gl_reason, _gl_own, _gl_uk, _gl_day)
FROM ledger_guide_events
WHERE
  _gl_reason IS NULL;

-- [25]
CREATE OR REPLACE TEMPORARY VIEW exp_guide_events AS
SELECT
  *
  EXCEPT (_gl_reason, _gl_own, _gl_uk, _gl_day)
FROM ledger_guide_events
WHERE
  _gl_reason IS NULL AND _gl_own;

-- [26]
DESCRIBE activity;

-- [27]
SELECT
  UNIX_MICROS(MIN(`timestamp`)),
  UNIX_MICROS(MAX(`timestamp`))
FROM activity;

-- [28]
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

-- [29]
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
    WHEN a.uk IS NULL
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

-- [30]
SELECT
  MIN(assigned_day)
FROM exp_assigned;

-- [31]
-- a temp table: the Spark engine runs this CREATE's SELECT and caches it (persist + count)
CREATE TEMPORARY VIEW ledger_activity_repeated_hashes AS
SELECT
  _gl_h
FROM (
  SELECT
    HASH(`user_id`, `timestamp`, `event`) AS _gl_h
  FROM activity
)
GROUP BY
  _gl_h
HAVING
  COUNT(*) > 1;

-- [32]
SELECT
  COUNT(*)
FROM ledger_activity_repeated_hashes;

-- [33]
-- a temp table: the Spark engine runs this CREATE's SELECT and caches it (persist + count)
CREATE TEMPORARY VIEW ledger_activity_copies AS
SELECT
  `user_id`,
  `timestamp`,
  `event`,
  HASH(`user_id`, `timestamp`, `event`) AS _gl_h,
  CAST(COUNT(*) AS BIGINT) AS _gl_copies
FROM activity
WHERE
  HASH(`user_id`, `timestamp`, `event`) IN (
    SELECT
      _gl_h
    FROM ledger_activity_repeated_hashes
  )
GROUP BY ALL;

-- [34]
DROP TABLE IF EXISTS ledger_activity_repeated_hashes;

-- [35]
CREATE OR REPLACE TEMPORARY VIEW ledger_activity_rows AS
WITH r AS (
  SELECT
    *,
    CAST(TIMESTAMP_MICROS(UNIX_MICROS(`timestamp`) + 32400000000) AS DATE) AS _gl_day
  FROM (
    SELECT
      t.`user_id`,
      t.`timestamp`,
      t.`event`,
      CAST(1 AS BIGINT) AS _gl_n,
      FALSE AS _gl_copy
    FROM (
      SELECT
        *,
        HASH(`user_id`, `timestamp`, `event`) AS _gl_h
      FROM activity
    ) AS t
    LEFT JOIN (
      SELECT DISTINCT
        _gl_h
      FROM ledger_activity_copies
    ) AS c
      ON c._gl_h = t._gl_h
    WHERE
      c._gl_h IS NULL
    UNION ALL
    SELECT
      `user_id`,
      `timestamp`,
      `event`,
      CAST(1 AS BIGINT),
      FALSE
    FROM ledger_activity_copies
    UNION ALL
    SELECT
      `user_id`,
      `timestamp`,
      `event`,
      _gl_copies - 1,
      TRUE
    FROM ledger_activity_copies
    WHERE
      _gl_copies > 1
  )
), j AS (
  SELECT
    r.*,
    a.uk AS _gl_uk,
    a.assigned_at,
    DATEDIFF(DAY, a.assigned_day, r._gl_day) AS _gl_off
  FROM r
  LEFT JOIN exp_assigned AS a
    USING (user_id)
), c AS (
  SELECT
    r.*,
    COALESCE(r.timestamp < r.assigned_at, FALSE) AS _gl_pre,
    CASE
      WHEN r.user_id IS NULL
      THEN -1
      WHEN r.timestamp IS NULL
      THEN -2
      WHEN r._gl_uk IS NULL
      THEN -5
      WHEN r._gl_copy
      THEN -6
      WHEN r.timestamp >= CAST('2026-11-30T15:00:00+00:00' AS TIMESTAMP)
      THEN -7
      WHEN r.timestamp < r.assigned_at AND NOT (
        r._gl_off >= -14 AND r._gl_off < 0
      )
      THEN -8
      WHEN r.timestamp >= CAST('2026-10-28T15:00:00+00:00' AS TIMESTAMP)
      THEN -9
    END AS _gl_code
  FROM j AS r
), d AS (
  SELECT
    CAST(COALESCE(c._gl_code, c._gl_uk) AS INT) AS _gl_key,
    CAST(c._gl_n AS INT) AS _gl_n,
    c._gl_pre,
    CAST(c._gl_off AS INT) AS _gl_off,
    CASE
      WHEN NOT c._gl_code IS NULL
      THEN CONCAT_WS(
        ', ',
        'user_id=' || COALESCE(LEFT(CAST(c.`user_id` AS STRING), 60), 'NULL'),
        'timestamp=' || COALESCE(LEFT(CAST(c.`timestamp` AS STRING), 60), 'NULL'),
        'event=' || COALESCE(LEFT(CAST(c.`event` AS STRING), 60), 'NULL')
      )
    END AS _gl_example,
    COALESCE(c.event IN ('project_created'), FALSE) AS _gl_goal,
    FALSE AS _gl_support
  FROM c
)
SELECT
  *
FROM d;

-- [36]
-- a temp table: the Spark engine runs this CREATE's SELECT and caches it (persist + count)
CREATE TEMPORARY VIEW ledger_activity_users AS
WITH d AS (
  SELECT
    r._gl_key,
    r._gl_n,
    r._gl_pre,
    r._gl_off,
    r._gl_example,
    r._gl_key > 0 AS _gl_used,
    CASE WHEN r._gl_key > 0 AND NOT r._gl_pre THEN r._gl_off END AS day,
    CASE WHEN r._gl_key > 0 AND NOT r._gl_pre THEN 1 END AS sessions,
    CASE WHEN r._gl_key > 0 AND NOT r._gl_pre THEN r._gl_goal END AS is_goal,
    CASE WHEN r._gl_key > 0 AND NOT r._gl_pre THEN r._gl_support END AS is_support
  FROM ledger_activity_rows AS r
), g AS (
  SELECT
    d._gl_key,
    CAST(SUM(d._gl_n) AS BIGINT) AS _gl_events,
    MIN(d._gl_example) AS _gl_example,
    BIT_OR(
      CASE
        WHEN d._gl_used AND d._gl_off >= -14 AND d._gl_off < 49
        THEN SHIFTLEFT(CAST(1 AS BIGINT), (
          d._gl_off + 14
        ))
      END
    ) AS _gl_days_and_pre,
    MIN(day) FILTER(WHERE
      is_goal) AS first_goal_day,
    MIN(day) FILTER(WHERE
      is_support) AS first_support_day,
    CAST(SUM(sessions) FILTER(WHERE
      day BETWEEN 0 AND 6) AS BIGINT) AS sessions_d7
  FROM d
  GROUP BY
    d._gl_key
)
SELECT
  CASE g._gl_key
    WHEN -1
    THEN 'missing_key'
    WHEN -2
    THEN 'missing_time'
    WHEN -3
    THEN 'other_experiment'
    WHEN -4
    THEN 'other_guide'
    WHEN -5
    THEN 'not_in_experiment'
    WHEN -6
    THEN 'exact_duplicate'
    WHEN -7
    THEN 'future'
    WHEN -8
    THEN 'before_assignment'
    WHEN -9
    THEN 'after_analysis_date'
    WHEN -10
    THEN 'unknown_variant'
    WHEN -11
    THEN 'multiple_arms'
    WHEN -12
    THEN 'repeated_assignment'
    WHEN -13
    THEN 'unknown_event'
    WHEN -14
    THEN 'out_of_range'
    WHEN -15
    THEN 'duplicate_user'
    WHEN -16
    THEN 'missing_unit'
  END AS _gl_reason,
  CASE WHEN g._gl_key > 0 THEN g._gl_key END AS uk,
  g._gl_events,
  g._gl_example,
  NULLIF(SHIFTRIGHT(g._gl_days_and_pre, 14), 0) AS _gl_days0,
  COALESCE(CAST(BIT_COUNT(g._gl_days_and_pre & 16383) AS INT), 0) AS pre_active_days,
  g.first_goal_day,
  g.first_support_day,
  g.sessions_d7
FROM g;

-- [37]
CREATE OR REPLACE TEMPORARY VIEW exp_activity_users AS
SELECT
  *
  EXCEPT (_gl_reason, _gl_example)
FROM ledger_activity_users
WHERE
  _gl_reason IS NULL;

-- [38]
CREATE OR REPLACE TEMPORARY VIEW exp_activity AS
SELECT
  *
  EXCEPT (_gl_reason, _gl_pre, _gl_uk, _gl_day)
FROM ledger_activity
WHERE
  _gl_reason IS NULL AND NOT _gl_pre;

-- [39]
CREATE OR REPLACE TEMPORARY VIEW exp_activity_pre AS
SELECT
  *
  EXCEPT (_gl_reason, _gl_pre, _gl_uk, _gl_day)
FROM ledger_activity
WHERE
  _gl_reason IS NULL AND _gl_pre;

-- [40]
DESCRIBE users;

-- [41]
-- a temp table: the Spark engine runs this CREATE's SELECT and caches it (persist + count)
CREATE TEMPORARY VIEW ledger_users_repeated_keys AS
SELECT
  _gl_h
FROM (
  SELECT
    HASH(user_id) AS _gl_h
  FROM users
)
GROUP BY
  _gl_h
HAVING
  COUNT(*) > 1;

-- [42]
-- a temp table: the Spark engine runs this CREATE's SELECT and caches it (persist + count)
CREATE TEMPORARY VIEW ledger_users AS
WITH s AS (
  SELECT
    u.*,
    1 AS _gl_row,
    1 AS _gl_first,
    1 AS _gl_rank
  FROM users AS u
  LEFT JOIN ledger_users_repeated_keys AS r
    ON r._gl_h = HASH(u.user_id)
  WHERE
    r._gl_h IS NULL
  UNION ALL
  SELECT
    *,
    ROW_NUMBER() OVER (
      PARTITION BY user_id
      ORDER BY `user_id` NULLS LAST, `signup_at` NULLS LAST, `platform` NULLS LAST, `locale` NULLS LAST, `plan` NULLS LAST
    ),
    RANK() OVER (
      PARTITION BY user_id
      ORDER BY `user_id` NULLS LAST, `signup_at` NULLS LAST, `platform` NULLS LAST, `locale` NULLS LAST, `plan` NULLS LAST
    ),
    DENSE_RANK() OVER (
      PARTITION BY user_id
      ORDER BY `user_id` NULLS LAST, `signup_at` NULLS LAST, `platform` NULLS LAST, `locale` NULLS LAST, `plan` NULLS LAST
    )
  FROM users
  WHERE
    HASH(user_id) IN (
      SELECT
        _gl_h
      FROM ledger_users_repeated_keys
    )
)
SELECT
  s.*
  EXCEPT (_gl_row, _gl_first, _gl_rank),
  a.uk AS _gl_uk,
  CASE
    WHEN s.user_id IS NULL
    THEN 'missing_key'
    WHEN a.uk IS NULL
    THEN 'not_in_experiment'
    WHEN s._gl_row > s._gl_first
    THEN 'exact_duplicate'
    WHEN s._gl_rank > 1
    THEN 'duplicate_user'
  END AS _gl_reason
FROM s
LEFT JOIN exp_assigned AS a
  USING (user_id);

-- [43]
DROP TABLE IF EXISTS ledger_users_repeated_keys;

-- [44]
CREATE OR REPLACE TEMPORARY VIEW exp_user_attrs AS
SELECT
  *
  EXCEPT (_gl_reason)
FROM ledger_users
WHERE
  _gl_reason IS NULL;

-- [45]
SELECT
  COUNT(*),
  COUNT_IF(user_id IS NULL),
  COUNT_IF(NOT variant IN ('holdout', 'tour', 'checklist') OR variant IS NULL)
FROM ledger_assignments
WHERE
  experiment = 'onboarding-tour-vs-checklist'
  AND assigned_at < CAST('2026-10-28 15:00:00.000000+00:00' AS TIMESTAMP);

-- [46]
SELECT
  COUNT(DISTINCT user_id)
FROM ledger_assignments
WHERE
  _gl_reason = 'multiple_arms';

-- [47]
DESCRIBE ledger_activity_users;

-- [48]
DESCRIBE guide_events;

-- [49]
DESCRIBE users;

-- [50]
-- a temp table: the Spark engine runs this CREATE's SELECT and caches it (persist + count)
CREATE TEMPORARY VIEW exp_users AS
WITH gf AS (
  SELECT
    uk,
    BIT_OR(g._gl_flags) FILTER(WHERE
      own) AS _gl_flags,
    SUM(shown_n) FILTER(WHERE
      own) AS shown_n,
    SUM(clicked_n) FILTER(WHERE
      own) AS clicked_n,
    COUNT(*) FILTER(WHERE
      shown_in_period) AS guides_shown
  FROM exp_guide_user AS g
  WHERE
    (
      own OR shown_in_period
    )
  GROUP BY
    uk
), af /* one row per user with activity (guidelab.ledger.classify_activity) */ AS (
  SELECT
    *
  FROM exp_activity_users
)
SELECT
  u2.uk,
  u2.user_id,
  u2.variant,
  u2.assigned_at,
  u2.assigned_day,
  DATEDIFF(DAY, u2.assigned_day, CAST('2026-10-28' AS DATE)) AS observed_days,
  COALESCE((
    (
      SHIFTRIGHT(gf._gl_flags, 0)
    ) & 1
  ) = 1, FALSE) AS shown,
  COALESCE((
    (
      SHIFTRIGHT(gf._gl_flags, 1)
    ) & 1
  ) = 1, FALSE) AS opened,
  COALESCE((
    (
      SHIFTRIGHT(gf._gl_flags, 2)
    ) & 1
  ) = 1, FALSE) AS clicked,
  COALESCE((
    (
      SHIFTRIGHT(gf._gl_flags, 3)
    ) & 1
  ) = 1, FALSE) AS dismissed,
  COALESCE((
    (
      SHIFTRIGHT(gf._gl_flags, 4)
    ) & 1
  ) = 1, FALSE) AS completed,
  COALESCE((
    (
      SHIFTRIGHT(gf._gl_flags, 5)
    ) & 1
  ) = 1, FALSE) AS opted_out,
  COALESCE((
    (
      SHIFTRIGHT(gf._gl_flags, 6)
    ) & 1
  ) = 1, FALSE) AS answered,
  af.first_goal_day,
  af.first_support_day,
  COALESCE(gf.guides_shown, 0) AS guides_shown,
  CAST(COALESCE(gf.shown_n, 0) AS BIGINT) AS shown_n,
  CAST(COALESCE(gf.clicked_n, 0) AS BIGINT) AS clicked_n,
  COALESCE(af.pre_active_days, 0) AS pre_active_days,
  (
    (
      SHIFTRIGHT(COALESCE(af._gl_days0, 0), 1)
    ) & 1
  ) = 1 AS active_d1,
  (
    (
      SHIFTRIGHT(COALESCE(af._gl_days0, 0), 7)
    ) & 1
  ) = 1 AS active_d7,
  COALESCE(af.sessions_d7, 0) AS sessions_d7,
  af._gl_days0,
  ua.`platform` AS `_gl_attr_platform`,
  ua.`signup_at` AS `_gl_attr_signup_at`,
  ua.`plan` AS `_gl_attr_plan`
FROM exp_assigned AS u2
LEFT JOIN gf
  USING (uk)
LEFT JOIN af
  USING (uk)
LEFT JOIN (
  SELECT
    _gl_uk,
    `platform`,
    `signup_at`,
    `plan`
  FROM exp_user_attrs
) AS ua
  ON ua._gl_uk = u2.uk;

-- [51]
SELECT
  COUNT(*)
FROM exp_users AS u
WHERE
  u.shown AND u.variant IN ('holdout');

-- [52]
SELECT
  COUNT(*),
  COUNT_IF(shown)
FROM exp_users
WHERE
  variant IN ('tour', 'checklist');

-- [53]
DESCRIBE assignments;

-- [54]
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

-- [55]
SELECT
  _gl_reason,
  COUNT(*)
FROM ledger_assignments
GROUP BY
  1;

-- [56]
DESCRIBE guide_events;

-- [57]
SELECT
  _gl_reason,
  SUM(_gl_events),
  MIN(_gl_example)
FROM ledger_guide_user
GROUP BY
  1;

-- [58]
DESCRIBE activity;

-- [59]
SELECT
  _gl_reason,
  SUM(_gl_events),
  MIN(_gl_example)
FROM ledger_activity_users
GROUP BY
  1;

-- [60]
DESCRIBE users;

-- [61]
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

-- [62]
SELECT
  _gl_reason,
  COUNT(*)
FROM ledger_users
GROUP BY
  1;

-- [63]
SELECT
  variant,
  COUNT(*)
FROM exp_users
GROUP BY
  variant;

-- [64]
SELECT
  assigned_day,
  variant,
  COUNT(*)
FROM exp_users
GROUP BY ALL
ORDER BY
  1 NULLS LAST,
  2 NULLS LAST;

-- [65]
SELECT
  COUNT(sessions_d7)
FROM exp_users
WHERE
  observed_days >= 6;

-- [66]
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

-- [67]
SELECT
  variant,
  COUNT(*),
  COUNT_IF(sessions_d7 > 15)
FROM exp_users
WHERE
  observed_days >= 6
GROUP BY
  variant;

-- [68]
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

-- [69]
WITH h AS (
  SELECT
    variant,
    CAST(first_goal_day AS DOUBLE) AS v,
    COUNT(*) AS c
  FROM exp_users
  WHERE
    observed_days >= 6
    AND (
      COALESCE(first_goal_day < 7, FALSE)
    )
    AND NOT CAST(first_goal_day AS DOUBLE) IS NULL
  GROUP BY ALL
), cu AS (
  SELECT
    variant,
    v,
    c,
    SUM(c) OVER (
      PARTITION BY variant
      ORDER BY v NULLS LAST
      ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW
    ) AS cum
  FROM h
)
SELECT
  variant,
  v,
  cum - c,
  cum
FROM cu
WHERE
  (
    variant = 'checklist'
    AND (
      (
        cum - c < 876 AND cum >= 876
      )
      OR (
        cum - c < 929 AND cum >= 929
      )
      OR (
        cum - c < 981 AND cum >= 981
      )
    )
  )
  OR (
    variant = 'holdout'
    AND (
      (
        cum - c < 430 AND cum >= 430
      )
      OR (
        cum - c < 467 AND cum >= 467
      )
      OR (
        cum - c < 504 AND cum >= 504
      )
    )
  )
  OR (
    variant = 'tour'
    AND (
      (
        cum - c < 892 AND cum >= 892
      )
      OR (
        cum - c < 945 AND cum >= 945
      )
      OR (
        cum - c < 997 AND cum >= 997
      )
    )
  )
ORDER BY
  variant NULLS LAST,
  v NULLS LAST;

-- [70]
SELECT
  TYPEOF(pre_active_days),
  TYPEOF(CAST(active_d7 AS INT)),
  TYPEOF(CAST(active_d1 AS INT)),
  TYPEOF(CAST(COALESCE(first_goal_day < 7, FALSE) AS INT)),
  TYPEOF((
    CASE WHEN sessions_d7 > 15 THEN 15 ELSE sessions_d7 END
  )),
  TYPEOF(CAST(dismissed AS INT))
FROM exp_users
LIMIT 1;

-- [71]
WITH e AS (
  SELECT
    variant,
    pre_active_days AS x,
    COALESCE(observed_days >= 7, FALSE) AS e0,
    CASE WHEN observed_days >= 7 THEN CAST(active_d7 AS INT) END AS y0,
    COALESCE(observed_days >= 1, FALSE) AS e1,
    CASE WHEN observed_days >= 1 THEN CAST(active_d1 AS INT) END AS y1,
    COALESCE(observed_days >= 6, FALSE) AS e2,
    CASE
      WHEN observed_days >= 6
      THEN CAST(COALESCE(first_goal_day < 7, FALSE) AS INT)
    END AS y2,
    COALESCE(observed_days >= 6, FALSE) AS e3,
    CASE
      WHEN observed_days >= 6
      THEN (
        CASE WHEN sessions_d7 > 15 THEN 15 ELSE sessions_d7 END
      )
    END AS y3,
    COALESCE(TRUE, FALSE) AS e4,
    CASE WHEN TRUE THEN CAST(dismissed AS INT) END AS y4
  FROM exp_users
)
SELECT
  variant,
  COUNT(*) FILTER(WHERE
    e0),
  SUM(y0) FILTER(WHERE
    e0),
  SUM(y0 * y0) FILTER(WHERE
    e0),
  SUM(x) FILTER(WHERE
    e0),
  SUM(x * x) FILTER(WHERE
    e0),
  SUM(x * y0) FILTER(WHERE
    e0),
  NULL,
  NULL,
  NULL,
  COUNT(*) FILTER(WHERE
    e1),
  SUM(y1) FILTER(WHERE
    e1),
  SUM(y1 * y1) FILTER(WHERE
    e1),
  SUM(x) FILTER(WHERE
    e1),
  SUM(x * x) FILTER(WHERE
    e1),
  SUM(x * y1) FILTER(WHERE
    e1),
  NULL,
  NULL,
  NULL,
  COUNT(*) FILTER(WHERE
    e2),
  SUM(y2) FILTER(WHERE
    e2),
  SUM(y2 * y2) FILTER(WHERE
    e2),
  SUM(x) FILTER(WHERE
    e2),
  SUM(x * x) FILTER(WHERE
    e2),
  SUM(x * y2) FILTER(WHERE
    e2),
  NULL,
  NULL,
  NULL,
  COUNT(*) FILTER(WHERE
    e3),
  SUM(y3) FILTER(WHERE
    e3),
  SUM(y3 * y3) FILTER(WHERE
    e3),
  SUM(x) FILTER(WHERE
    e3),
  SUM(x * x) FILTER(WHERE
    e3),
  SUM(x * y3) FILTER(WHERE
    e3),
  NULL,
  NULL,
  NULL,
  COUNT(*) FILTER(WHERE
    e4),
  SUM(y4) FILTER(WHERE
    e4),
  SUM(y4 * y4) FILTER(WHERE
    e4),
  SUM(x) FILTER(WHERE
    e4),
  SUM(x * x) FILTER(WHERE
    e4),
  SUM(x * y4) FILTER(WHERE
    e4),
  NULL,
  NULL,
  NULL
FROM e
GROUP BY
  variant;

-- [72]
SELECT
  TYPEOF(pre_active_days),
  TYPEOF(CAST(active_d7 AS INT)),
  TYPEOF(CAST(active_d1 AS INT)),
  TYPEOF(CAST(COALESCE(first_goal_day < 7, FALSE) AS INT)),
  TYPEOF((
    CASE WHEN sessions_d7 > 15 THEN 15 ELSE sessions_d7 END
  )),
  TYPEOF(first_goal_day),
  TYPEOF(CAST(dismissed AS INT))
FROM exp_users
LIMIT 1;

-- [73]
WITH e AS (
  SELECT
    variant,
    assigned_at,
    `_gl_attr_signup_at`,
    `_gl_attr_plan`,
    pre_active_days AS x,
    COALESCE(observed_days >= 7, FALSE) AS e0,
    CASE WHEN observed_days >= 7 THEN CAST(active_d7 AS INT) END AS y0,
    COALESCE(observed_days >= 1, FALSE) AS e1,
    CASE WHEN observed_days >= 1 THEN CAST(active_d1 AS INT) END AS y1,
    COALESCE(observed_days >= 6, FALSE) AS e2,
    CASE
      WHEN observed_days >= 6
      THEN CAST(COALESCE(first_goal_day < 7, FALSE) AS INT)
    END AS y2,
    COALESCE(observed_days >= 6, FALSE) AS e3,
    CASE
      WHEN observed_days >= 6
      THEN (
        CASE WHEN sessions_d7 > 15 THEN 15 ELSE sessions_d7 END
      )
    END AS y3,
    COALESCE(observed_days >= 6, FALSE) AS e4,
    CASE WHEN observed_days >= 6 THEN first_goal_day END AS y4,
    COALESCE(TRUE, FALSE) AS e5,
    CASE WHEN TRUE THEN CAST(dismissed AS INT) END AS y5
  FROM exp_users
)
SELECT
  e.variant,
  COALESCE(
    CASE
      WHEN e.`_gl_attr_signup_at` IS NULL
      THEN NULL
      WHEN e.`_gl_attr_signup_at` >= e.assigned_at - INTERVAL '24' HOUR
      THEN 'new'
      ELSE 'existing'
    END,
    '(missing)'
  ) AS a0,
  COALESCE(CAST(e.`_gl_attr_plan` AS STRING), '(missing)') AS a1,
  COUNT(*) FILTER(WHERE
    e0),
  SUM(y0) FILTER(WHERE
    e0),
  SUM(y0 * y0) FILTER(WHERE
    e0),
  SUM(x) FILTER(WHERE
    e0),
  SUM(x * x) FILTER(WHERE
    e0),
  SUM(x * y0) FILTER(WHERE
    e0),
  NULL,
  NULL,
  NULL,
  COUNT(*) FILTER(WHERE
    e1),
  SUM(y1) FILTER(WHERE
    e1),
  SUM(y1 * y1) FILTER(WHERE
    e1),
  SUM(x) FILTER(WHERE
    e1),
  SUM(x * x) FILTER(WHERE
    e1),
  SUM(x * y1) FILTER(WHERE
    e1),
  NULL,
  NULL,
  NULL,
  COUNT(*) FILTER(WHERE
    e2),
  SUM(y2) FILTER(WHERE
    e2),
  SUM(y2 * y2) FILTER(WHERE
    e2),
  SUM(x) FILTER(WHERE
    e2),
  SUM(x * x) FILTER(WHERE
    e2),
  SUM(x * y2) FILTER(WHERE
    e2),
  NULL,
  NULL,
  NULL,
  COUNT(*) FILTER(WHERE
    e3),
  SUM(y3) FILTER(WHERE
    e3),
  SUM(y3 * y3) FILTER(WHERE
    e3),
  SUM(x) FILTER(WHERE
    e3),
  SUM(x * x) FILTER(WHERE
    e3),
  SUM(x * y3) FILTER(WHERE
    e3),
  NULL,
  NULL,
  NULL,
  COUNT(*) FILTER(WHERE
    e4),
  SUM(y4) FILTER(WHERE
    e4),
  SUM(y4 * y4) FILTER(WHERE
    e4),
  SUM(x) FILTER(WHERE
    e4),
  SUM(x * x) FILTER(WHERE
    e4),
  SUM(x * y4) FILTER(WHERE
    e4),
  NULL,
  NULL,
  NULL,
  COUNT(*) FILTER(WHERE
    e5),
  SUM(y5) FILTER(WHERE
    e5),
  SUM(y5 * y5) FILTER(WHERE
    e5),
  SUM(x) FILTER(WHERE
    e5),
  SUM(x * x) FILTER(WHERE
    e5),
  SUM(x * y5) FILTER(WHERE
    e5),
  NULL,
  NULL,
  NULL
FROM e
GROUP BY
  1,
  2,
  3;

-- [74]
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

-- [75]
DESCRIBE ledger_activity_users;

-- [76]
SELECT
  u.variant,
  CAST(SUM(
    CASE
      WHEN u.observed_days >= 0
      AND (
        (
          SHIFTRIGHT(COALESCE(u._gl_days0, 0), 0)
        ) & 1
      ) = 1
      THEN 1
      ELSE 0
    END
  ) AS BIGINT),
  CAST(SUM(
    CASE
      WHEN u.observed_days >= 1
      AND (
        (
          SHIFTRIGHT(COALESCE(u._gl_days0, 0), 1)
        ) & 1
      ) = 1
      THEN 1
      ELSE 0
    END
  ) AS BIGINT),
  CAST(SUM(
    CASE
      WHEN u.observed_days >= 2
      AND (
        (
          SHIFTRIGHT(COALESCE(u._gl_days0, 0), 2)
        ) & 1
      ) = 1
      THEN 1
      ELSE 0
    END
  ) AS BIGINT),
  CAST(SUM(
    CASE
      WHEN u.observed_days >= 3
      AND (
        (
          SHIFTRIGHT(COALESCE(u._gl_days0, 0), 3)
        ) & 1
      ) = 1
      THEN 1
      ELSE 0
    END
  ) AS BIGINT),
  CAST(SUM(
    CASE
      WHEN u.observed_days >= 4
      AND (
        (
          SHIFTRIGHT(COALESCE(u._gl_days0, 0), 4)
        ) & 1
      ) = 1
      THEN 1
      ELSE 0
    END
  ) AS BIGINT),
  CAST(SUM(
    CASE
      WHEN u.observed_days >= 5
      AND (
        (
          SHIFTRIGHT(COALESCE(u._gl_days0, 0), 5)
        ) & 1
      ) = 1
      THEN 1
      ELSE 0
    END
  ) AS BIGINT),
  CAST(SUM(
    CASE
      WHEN u.observed_days >= 6
      AND (
        (
          SHIFTRIGHT(COALESCE(u._gl_days0, 0), 6)
        ) & 1
      ) = 1
      THEN 1
      ELSE 0
    END
  ) AS BIGINT),
  CAST(SUM(
    CASE
      WHEN u.observed_days >= 7
      AND (
        (
          SHIFTRIGHT(COALESCE(u._gl_days0, 0), 7)
        ) & 1
      ) = 1
      THEN 1
      ELSE 0
    END
  ) AS BIGINT),
  CAST(SUM(
    CASE
      WHEN u.observed_days >= 8
      AND (
        (
          SHIFTRIGHT(COALESCE(u._gl_days0, 0), 8)
        ) & 1
      ) = 1
      THEN 1
      ELSE 0
    END
  ) AS BIGINT),
  CAST(SUM(
    CASE
      WHEN u.observed_days >= 9
      AND (
        (
          SHIFTRIGHT(COALESCE(u._gl_days0, 0), 9)
        ) & 1
      ) = 1
      THEN 1
      ELSE 0
    END
  ) AS BIGINT),
  CAST(SUM(
    CASE
      WHEN u.observed_days >= 10
      AND (
        (
          SHIFTRIGHT(COALESCE(u._gl_days0, 0), 10)
        ) & 1
      ) = 1
      THEN 1
      ELSE 0
    END
  ) AS BIGINT),
  CAST(SUM(
    CASE
      WHEN u.observed_days >= 11
      AND (
        (
          SHIFTRIGHT(COALESCE(u._gl_days0, 0), 11)
        ) & 1
      ) = 1
      THEN 1
      ELSE 0
    END
  ) AS BIGINT),
  CAST(SUM(
    CASE
      WHEN u.observed_days >= 12
      AND (
        (
          SHIFTRIGHT(COALESCE(u._gl_days0, 0), 12)
        ) & 1
      ) = 1
      THEN 1
      ELSE 0
    END
  ) AS BIGINT),
  CAST(SUM(
    CASE
      WHEN u.observed_days >= 13
      AND (
        (
          SHIFTRIGHT(COALESCE(u._gl_days0, 0), 13)
        ) & 1
      ) = 1
      THEN 1
      ELSE 0
    END
  ) AS BIGINT),
  CAST(SUM(
    CASE
      WHEN u.observed_days >= 14
      AND (
        (
          SHIFTRIGHT(COALESCE(u._gl_days0, 0), 14)
        ) & 1
      ) = 1
      THEN 1
      ELSE 0
    END
  ) AS BIGINT),
  CAST(SUM(
    CASE
      WHEN u.observed_days >= 15
      AND (
        (
          SHIFTRIGHT(COALESCE(u._gl_days0, 0), 15)
        ) & 1
      ) = 1
      THEN 1
      ELSE 0
    END
  ) AS BIGINT),
  CAST(SUM(
    CASE
      WHEN u.observed_days >= 16
      AND (
        (
          SHIFTRIGHT(COALESCE(u._gl_days0, 0), 16)
        ) & 1
      ) = 1
      THEN 1
      ELSE 0
    END
  ) AS BIGINT),
  CAST(SUM(
    CASE
      WHEN u.observed_days >= 17
      AND (
        (
          SHIFTRIGHT(COALESCE(u._gl_days0, 0), 17)
        ) & 1
      ) = 1
      THEN 1
      ELSE 0
    END
  ) AS BIGINT),
  CAST(SUM(
    CASE
      WHEN u.observed_days >= 18
      AND (
        (
          SHIFTRIGHT(COALESCE(u._gl_days0, 0), 18)
        ) & 1
      ) = 1
      THEN 1
      ELSE 0
    END
  ) AS BIGINT),
  CAST(SUM(
    CASE
      WHEN u.observed_days >= 19
      AND (
        (
          SHIFTRIGHT(COALESCE(u._gl_days0, 0), 19)
        ) & 1
      ) = 1
      THEN 1
      ELSE 0
    END
  ) AS BIGINT),
  CAST(SUM(
    CASE
      WHEN u.observed_days >= 20
      AND (
        (
          SHIFTRIGHT(COALESCE(u._gl_days0, 0), 20)
        ) & 1
      ) = 1
      THEN 1
      ELSE 0
    END
  ) AS BIGINT),
  CAST(SUM(
    CASE
      WHEN u.observed_days >= 21
      AND (
        (
          SHIFTRIGHT(COALESCE(u._gl_days0, 0), 21)
        ) & 1
      ) = 1
      THEN 1
      ELSE 0
    END
  ) AS BIGINT),
  CAST(SUM(
    CASE
      WHEN u.observed_days >= 22
      AND (
        (
          SHIFTRIGHT(COALESCE(u._gl_days0, 0), 22)
        ) & 1
      ) = 1
      THEN 1
      ELSE 0
    END
  ) AS BIGINT),
  CAST(SUM(
    CASE
      WHEN u.observed_days >= 23
      AND (
        (
          SHIFTRIGHT(COALESCE(u._gl_days0, 0), 23)
        ) & 1
      ) = 1
      THEN 1
      ELSE 0
    END
  ) AS BIGINT),
  CAST(SUM(
    CASE
      WHEN u.observed_days >= 24
      AND (
        (
          SHIFTRIGHT(COALESCE(u._gl_days0, 0), 24)
        ) & 1
      ) = 1
      THEN 1
      ELSE 0
    END
  ) AS BIGINT),
  CAST(SUM(
    CASE
      WHEN u.observed_days >= 25
      AND (
        (
          SHIFTRIGHT(COALESCE(u._gl_days0, 0), 25)
        ) & 1
      ) = 1
      THEN 1
      ELSE 0
    END
  ) AS BIGINT),
  CAST(SUM(
    CASE
      WHEN u.observed_days >= 26
      AND (
        (
          SHIFTRIGHT(COALESCE(u._gl_days0, 0), 26)
        ) & 1
      ) = 1
      THEN 1
      ELSE 0
    END
  ) AS BIGINT),
  CAST(SUM(
    CASE
      WHEN u.observed_days >= 27
      AND (
        (
          SHIFTRIGHT(COALESCE(u._gl_days0, 0), 27)
        ) & 1
      ) = 1
      THEN 1
      ELSE 0
    END
  ) AS BIGINT),
  CAST(SUM(
    CASE
      WHEN u.observed_days >= 28
      AND (
        (
          SHIFTRIGHT(COALESCE(u._gl_days0, 0), 28)
        ) & 1
      ) = 1
      THEN 1
      ELSE 0
    END
  ) AS BIGINT),
  CAST(SUM(
    CASE
      WHEN u.observed_days >= 29
      AND (
        (
          SHIFTRIGHT(COALESCE(u._gl_days0, 0), 29)
        ) & 1
      ) = 1
      THEN 1
      ELSE 0
    END
  ) AS BIGINT),
  CAST(SUM(
    CASE
      WHEN u.observed_days >= 30
      AND (
        (
          SHIFTRIGHT(COALESCE(u._gl_days0, 0), 30)
        ) & 1
      ) = 1
      THEN 1
      ELSE 0
    END
  ) AS BIGINT)
FROM exp_users AS u
GROUP BY
  u.variant;

-- [77]
SELECT
  variant,
  CASE WHEN NOT first_goal_day IS NULL THEN first_goal_day ELSE observed_days END AS t,
  NOT first_goal_day IS NULL AS event,
  COUNT(*)
FROM exp_users
WHERE
  observed_days >= 0
GROUP BY ALL;

-- [78]
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

-- [79]
DESCRIBE users;

-- [80]
DESCRIBE exp_users;

-- [81]
SELECT
  CAST(e.`_gl_attr_platform` AS STRING) AS segment,
  e.variant,
  COUNT(*),
  SUM(CAST(active_d7 AS INT))
FROM exp_users AS e
WHERE
  observed_days >= 7
GROUP BY ALL;

-- [82]
DESCRIBE users;

-- [83]
DESCRIBE exp_users;

-- [84]
SELECT
  CASE
    WHEN e.`_gl_attr_signup_at` IS NULL
    THEN NULL
    WHEN e.`_gl_attr_signup_at` >= e.assigned_at - INTERVAL '24' HOUR
    THEN 'new'
    ELSE 'existing'
  END AS segment,
  e.variant,
  COUNT(*),
  SUM(CAST(active_d7 AS INT))
FROM exp_users AS e
WHERE
  observed_days >= 7
GROUP BY ALL;

-- [85]
DESCRIBE guide_events;

-- [86]
WITH s AS (
  SELECT
    uk,
    max_shown_step AS max_step,
    CAST(UNIX_MICROS(first_completed) AS DOUBLE) / 1000000.0 - CAST(UNIX_MICROS(first_shown) AS DOUBLE) / 1000000.0 AS secs
  FROM exp_guide_user
  WHERE
    guide_id = 'onboarding-tour'
)
SELECT
  COUNT(*),
  COUNT_IF(u.completed),
  COUNT(*) FILTER(WHERE
    s.secs >= 0),
  COALESCE(SUM(s.secs) FILTER(WHERE
    s.secs >= 0), 0),
  COALESCE(SUM(s.secs * s.secs) FILTER(WHERE
    s.secs >= 0), 0),
  COUNT(*) FILTER(WHERE
    s.secs < 0),
  COUNT(*) FILTER(WHERE
    s.max_step >= 1 OR u.completed),
  COUNT(*) FILTER(WHERE
    s.max_step >= 2 OR u.completed),
  COUNT(*) FILTER(WHERE
    s.max_step >= 3 OR u.completed)
FROM exp_users AS u
LEFT JOIN s
  USING (uk)
WHERE
  u.variant = 'tour';

-- [87]
WITH s AS (
  SELECT
    uk,
    max_shown_step AS max_step,
    CAST(UNIX_MICROS(first_completed) AS DOUBLE) / 1000000.0 - CAST(UNIX_MICROS(first_shown) AS DOUBLE) / 1000000.0 AS secs
  FROM exp_guide_user
  WHERE
    guide_id = 'onboarding-checklist'
)
SELECT
  COUNT(*),
  COUNT_IF(u.completed),
  COUNT(*) FILTER(WHERE
    s.secs >= 0),
  COALESCE(SUM(s.secs) FILTER(WHERE
    s.secs >= 0), 0),
  COALESCE(SUM(s.secs * s.secs) FILTER(WHERE
    s.secs >= 0), 0),
  COUNT(*) FILTER(WHERE
    s.secs < 0),
  COUNT(*) FILTER(WHERE
    s.max_step >= 1 OR u.completed),
  COUNT(*) FILTER(WHERE
    s.max_step >= 2 OR u.completed),
  COUNT(*) FILTER(WHERE
    s.max_step >= 3 OR u.completed)
FROM exp_users AS u
LEFT JOIN s
  USING (uk)
WHERE
  u.variant = 'checklist';

-- [88]
DESCRIBE ledger_activity_users;

-- [89]
SELECT
  MAX(observed_days)
FROM exp_users;

-- [90]
WITH s0 AS (
  SELECT
    u.variant,
    u.assigned_day,
    COALESCE(u._gl_days0, 0) AS d0
  FROM exp_users AS u
), s1 AS (
  SELECT
    *,
    (
      COALESCE(d0, 0) | (
        SHIFTLEFT((
          COALESCE(d0, 0) & 4611686018427387903
        ), 1)
      )
    ) AS _gl_win2_0
  FROM s0
), s2 AS (
  SELECT
    *,
    (
      COALESCE(_gl_win2_0, 0) | (
        SHIFTLEFT((
          COALESCE(_gl_win2_0, 0) & 2305843009213693951
        ), 2)
      )
    ) AS _gl_win4_0
  FROM s1
), s3 AS (
  SELECT
    *,
    (
      COALESCE(_gl_win4_0, 0) | (
        SHIFTLEFT((
          COALESCE(_gl_win4_0, 0) & 1152921504606846975
        ), 3)
      )
    ) AS w0,
    (
      COALESCE(_gl_win4_0, 0) | (
        SHIFTLEFT((
          COALESCE(_gl_win4_0, 0) & 576460752303423487
        ), 4)
      )
    ) AS _gl_win8_0
  FROM s2
), s4 AS (
  SELECT
    *,
    (
      COALESCE(_gl_win8_0, 0) | (
        SHIFTLEFT((
          COALESCE(_gl_win8_0, 0) & 36028797018963967
        ), 8)
      )
    ) AS _gl_win16_0
  FROM s3
), s5 AS (
  SELECT
    *,
    (
      COALESCE(_gl_win16_0, 0) | (
        SHIFTLEFT((
          COALESCE(_gl_win16_0, 0) & 562949953421311
        ), 14)
      )
    ) AS m0
  FROM s4
)
SELECT
  variant,
  assigned_day,
  CAST(SUM((
    SHIFTRIGHT(d0, 0)
  ) & 1) AS BIGINT),
  CAST(SUM((
    SHIFTRIGHT(d0, 1)
  ) & 1) AS BIGINT),
  CAST(SUM((
    SHIFTRIGHT(d0, 2)
  ) & 1) AS BIGINT),
  CAST(SUM((
    SHIFTRIGHT(d0, 3)
  ) & 1) AS BIGINT),
  CAST(SUM((
    SHIFTRIGHT(d0, 4)
  ) & 1) AS BIGINT),
  CAST(SUM((
    SHIFTRIGHT(d0, 5)
  ) & 1) AS BIGINT),
  CAST(SUM((
    SHIFTRIGHT(d0, 6)
  ) & 1) AS BIGINT),
  CAST(SUM((
    SHIFTRIGHT(d0, 7)
  ) & 1) AS BIGINT),
  CAST(SUM((
    SHIFTRIGHT(d0, 8)
  ) & 1) AS BIGINT),
  CAST(SUM((
    SHIFTRIGHT(d0, 9)
  ) & 1) AS BIGINT),
  CAST(SUM((
    SHIFTRIGHT(d0, 10)
  ) & 1) AS BIGINT),
  CAST(SUM((
    SHIFTRIGHT(d0, 11)
  ) & 1) AS BIGINT),
  CAST(SUM((
    SHIFTRIGHT(d0, 12)
  ) & 1) AS BIGINT),
  CAST(SUM((
    SHIFTRIGHT(d0, 13)
  ) & 1) AS BIGINT),
  CAST(SUM((
    SHIFTRIGHT(d0, 14)
  ) & 1) AS BIGINT),
  CAST(SUM((
    SHIFTRIGHT(d0, 15)
  ) & 1) AS BIGINT),
  CAST(SUM((
    SHIFTRIGHT(d0, 16)
  ) & 1) AS BIGINT),
  CAST(SUM((
    SHIFTRIGHT(d0, 17)
  ) & 1) AS BIGINT),
  CAST(SUM((
    SHIFTRIGHT(d0, 18)
  ) & 1) AS BIGINT),
  CAST(SUM((
    SHIFTRIGHT(d0, 19)
  ) & 1) AS BIGINT),
  CAST(SUM((
    SHIFTRIGHT(d0, 20)
  ) & 1) AS BIGINT),
  CAST(SUM((
    SHIFTRIGHT(d0, 21)
  ) & 1) AS BIGINT),
  CAST(SUM((
    SHIFTRIGHT(d0, 22)
  ) & 1) AS BIGINT),
  CAST(SUM((
    SHIFTRIGHT(d0, 23)
  ) & 1) AS BIGINT),
  CAST(SUM((
    SHIFTRIGHT(d0, 24)
  ) & 1) AS BIGINT),
  CAST(SUM((
    SHIFTRIGHT(d0, 25)
  ) & 1) AS BIGINT),
  CAST(SUM((
    SHIFTRIGHT(d0, 26)
  ) & 1) AS BIGINT),
  CAST(SUM((
    SHIFTRIGHT(d0, 27)
  ) & 1) AS BIGINT),
  CAST(SUM((
    SHIFTRIGHT(w0, 0)
  ) & 1) AS BIGINT),
  CAST(SUM((
    SHIFTRIGHT(w0, 1)
  ) & 1) AS BIGINT),
  CAST(SUM((
    SHIFTRIGHT(w0, 2)
  ) & 1) AS BIGINT),
  CAST(SUM((
    SHIFTRIGHT(w0, 3)
  ) & 1) AS BIGINT),
  CAST(SUM((
    SHIFTRIGHT(w0, 4)
  ) & 1) AS BIGINT),
  CAST(SUM((
    SHIFTRIGHT(w0, 5)
  ) & 1) AS BIGINT),
  CAST(SUM((
    SHIFTRIGHT(w0, 6)
  ) & 1) AS BIGINT),
  CAST(SUM((
    SHIFTRIGHT(w0, 7)
  ) & 1) AS BIGINT),
  CAST(SUM((
    SHIFTRIGHT(w0, 8)
  ) & 1) AS BIGINT),
  CAST(SUM((
    SHIFTRIGHT(w0, 9)
  ) & 1) AS BIGINT),
  CAST(SUM((
    SHIFTRIGHT(w0, 10)
  ) & 1) AS BIGINT),
  CAST(SUM((
    SHIFTRIGHT(w0, 11)
  ) & 1) AS BIGINT),
  CAST(SUM((
    SHIFTRIGHT(w0, 12)
  ) & 1) AS BIGINT),
  CAST(SUM((
    SHIFTRIGHT(w0, 13)
  ) & 1) AS BIGINT),
  CAST(SUM((
    SHIFTRIGHT(w0, 14)
  ) & 1) AS BIGINT),
  CAST(SUM((
    SHIFTRIGHT(w0, 15)
  ) & 1) AS BIGINT),
  CAST(SUM((
    SHIFTRIGHT(w0, 16)
  ) & 1) AS BIGINT),
  CAST(SUM((
    SHIFTRIGHT(w0, 17)
  ) & 1) AS BIGINT),
  CAST(SUM((
    SHIFTRIGHT(w0, 18)
  ) & 1) AS BIGINT),
  CAST(SUM((
    SHIFTRIGHT(w0, 19)
  ) & 1) AS BIGINT),
  CAST(SUM((
    SHIFTRIGHT(w0, 20)
  ) & 1) AS BIGINT),
  CAST(SUM((
    SHIFTRIGHT(w0, 21)
  ) & 1) AS BIGINT),
  CAST(SUM((
    SHIFTRIGHT(w0, 22)
  ) & 1) AS BIGINT),
  CAST(SUM((
    SHIFTRIGHT(w0, 23)
  ) & 1) AS BIGINT),
  CAST(SUM((
    SHIFTRIGHT(w0, 24)
  ) & 1) AS BIGINT),
  CAST(SUM((
    SHIFTRIGHT(w0, 25)
  ) & 1) AS BIGINT),
  CAST(SUM((
    SHIFTRIGHT(w0, 26)
  ) & 1) AS BIGINT),
  CAST(SUM((
    SHIFTRIGHT(w0, 27)
  ) & 1) AS BIGINT),
  CAST(SUM((
    SHIFTRIGHT(m0, 0)
  ) & 1) AS BIGINT),
  CAST(SUM((
    SHIFTRIGHT(m0, 1)
  ) & 1) AS BIGINT),
  CAST(SUM((
    SHIFTRIGHT(m0, 2)
  ) & 1) AS BIGINT),
  CAST(SUM((
    SHIFTRIGHT(m0, 3)
  ) & 1) AS BIGINT),
  CAST(SUM((
    SHIFTRIGHT(m0, 4)
  ) & 1) AS BIGINT),
  CAST(SUM((
    SHIFTRIGHT(m0, 5)
  ) & 1) AS BIGINT),
  CAST(SUM((
    SHIFTRIGHT(m0, 6)
  ) & 1) AS BIGINT),
  CAST(SUM((
    SHIFTRIGHT(m0, 7)
  ) & 1) AS BIGINT),
  CAST(SUM((
    SHIFTRIGHT(m0, 8)
  ) & 1) AS BIGINT),
  CAST(SUM((
    SHIFTRIGHT(m0, 9)
  ) & 1) AS BIGINT),
  CAST(SUM((
    SHIFTRIGHT(m0, 10)
  ) & 1) AS BIGINT),
  CAST(SUM((
    SHIFTRIGHT(m0, 11)
  ) & 1) AS BIGINT),
  CAST(SUM((
    SHIFTRIGHT(m0, 12)
  ) & 1) AS BIGINT),
  CAST(SUM((
    SHIFTRIGHT(m0, 13)
  ) & 1) AS BIGINT),
  CAST(SUM((
    SHIFTRIGHT(m0, 14)
  ) & 1) AS BIGINT),
  CAST(SUM((
    SHIFTRIGHT(m0, 15)
  ) & 1) AS BIGINT),
  CAST(SUM((
    SHIFTRIGHT(m0, 16)
  ) & 1) AS BIGINT),
  CAST(SUM((
    SHIFTRIGHT(m0, 17)
  ) & 1) AS BIGINT),
  CAST(SUM((
    SHIFTRIGHT(m0, 18)
  ) & 1) AS BIGINT),
  CAST(SUM((
    SHIFTRIGHT(m0, 19)
  ) & 1) AS BIGINT),
  CAST(SUM((
    SHIFTRIGHT(m0, 20)
  ) & 1) AS BIGINT),
  CAST(SUM((
    SHIFTRIGHT(m0, 21)
  ) & 1) AS BIGINT),
  CAST(SUM((
    SHIFTRIGHT(m0, 22)
  ) & 1) AS BIGINT),
  CAST(SUM((
    SHIFTRIGHT(m0, 23)
  ) & 1) AS BIGINT),
  CAST(SUM((
    SHIFTRIGHT(m0, 24)
  ) & 1) AS BIGINT),
  CAST(SUM((
    SHIFTRIGHT(m0, 25)
  ) & 1) AS BIGINT),
  CAST(SUM((
    SHIFTRIGHT(m0, 26)
  ) & 1) AS BIGINT),
  CAST(SUM((
    SHIFTRIGHT(m0, 27)
  ) & 1) AS BIGINT)
FROM s5
GROUP BY
  variant,
  assigned_day;

-- [91]
DESCRIBE guide_events;
