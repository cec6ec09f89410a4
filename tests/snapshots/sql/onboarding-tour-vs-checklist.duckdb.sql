-- guidelab SQL for onboarding-tour-vs-checklist on data/sample (one row of activity and of guide events doubled), dialect: duckdb
-- as DuckDB runs it, parameters beside it
-- refresh: GUIDELAB_UPDATE_SNAPSHOTS=1 pytest tests/test_sql_snapshots.py

-- [1] params: {}
DESCRIBE users;

-- [2] params: {}
DESCRIBE users;

-- [3] params: {"exp": "onboarding-tour-vs-checklist", "now": "2026-11-30T15:00:00+00:00", "tz": "Asia/Tokyo"}
SELECT max(d) FROM (
             SELECT CAST(timezone($tz, max(assigned_at)) AS DATE) d FROM assignments
               WHERE experiment = $exp AND assigned_at < $now
             UNION ALL SELECT CAST(timezone($tz, max(timestamp)) AS DATE) FROM activity WHERE timestamp < $now
             UNION ALL SELECT CAST(timezone($tz, max(timestamp)) AS DATE) FROM guide_events WHERE timestamp < $now);

-- [4] params: {"e": "onboarding-tour-vs-checklist"}
SELECT count(*) FROM assignments WHERE experiment = $e;

-- [5] params: {}
DESCRIBE assignments;

-- [6] params: {}
CREATE OR REPLACE TEMP TABLE ledger_assignments_repeated_keys AS SELECT _gl_h FROM (SELECT hash(user_id) AS _gl_h FROM assignments) GROUP BY _gl_h HAVING count(*) > 1;

-- [7] params: {"end": "2026-10-28T15:00:00+00:00", "exp": "onboarding-tour-vs-checklist", "now": "2026-11-30T15:00:00+00:00"}
CREATE OR REPLACE TEMP TABLE ledger_assignments AS
WITH r AS (SELECT * FROM assignments),
c AS (SELECT *, CASE WHEN experiment IS NULL THEN 'missing_key' WHEN experiment <> $exp THEN 'other_experiment' WHEN user_id IS NULL OR variant IS NULL THEN 'missing_key' WHEN assigned_at IS NULL THEN 'missing_time' END AS _gl_key_reason, CASE WHEN assigned_at >= $now THEN 'future' WHEN assigned_at >= $end THEN 'after_analysis_date' WHEN variant NOT IN ('holdout', 'tour', 'checklist') THEN 'unknown_variant' END AS _gl_row_reason FROM r),
o AS (SELECT *, CASE WHEN _gl_key_reason IS NULL AND _gl_row_reason IS NULL THEN 1 ELSE 0 END AS _gl_ok FROM c),
s AS (SELECT o.*, k._gl_h IS NULL AS _gl_single FROM o LEFT JOIN ledger_assignments_repeated_keys k ON k._gl_h = hash(o.user_id)),
n AS (SELECT *, row_number() OVER (PARTITION BY user_id ORDER BY assigned_at, "user_id", "experiment", "variant", "assigned_at") AS _gl_row, rank() OVER (PARTITION BY user_id ORDER BY assigned_at, "user_id", "experiment", "variant", "assigned_at") AS _gl_first,
             count(*) OVER (PARTITION BY user_id ORDER BY assigned_at, "user_id", "experiment", "variant", "assigned_at") AS _gl_last, sum(_gl_ok) OVER (PARTITION BY user_id ORDER BY assigned_at, "user_id", "experiment", "variant", "assigned_at") AS _gl_ok_upto,
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

-- [8] params: {}
DROP TABLE IF EXISTS ledger_assignments_repeated_keys;

-- [9] params: {}
SELECT epoch_us(min("assigned_at")), epoch_us(max("assigned_at")) FROM assignments;

-- [10] params: {"tz": "Asia/Tokyo"}
WITH b AS (SELECT range AS b FROM range(1790809200000000, 1793195974000001, 900000000)),
            o AS (SELECT b, epoch_us(timezone($tz, make_timestamptz(b))) - b AS o0,
                         epoch_us(timezone($tz, make_timestamptz(b + 899999999))) - b - 899999999 AS o1
                  FROM b),
            r AS (SELECT b, o0, o1, lag(o0) OVER (ORDER BY b) AS prev FROM o)
            SELECT b, o0, o1 FROM r WHERE prev IS NULL OR prev <> o0 OR o0 <> o1 ORDER BY b;

-- [11] params: {}
CREATE OR REPLACE TEMP TABLE exp_assigned AS
SELECT CAST(row_number() OVER (ORDER BY user_id) AS INTEGER) AS uk, user_id, variant, assigned_at,
       CAST(make_timestamp(epoch_us("assigned_at") + 32400000000) AS DATE) AS assigned_day
FROM ledger_assignments WHERE _gl_reason IS NULL;

-- [12] params: {}
DESCRIBE guide_events;

-- [13] params: {}
SELECT epoch_us(min("timestamp")), epoch_us(max("timestamp")) FROM guide_events;

-- [14] params: {"tz": "Asia/Tokyo"}
WITH b AS (SELECT range AS b FROM range(1790809200000000, 1793196090000001, 900000000)),
            o AS (SELECT b, epoch_us(timezone($tz, make_timestamptz(b))) - b AS o0,
                         epoch_us(timezone($tz, make_timestamptz(b + 899999999))) - b - 899999999 AS o1
                  FROM b),
            r AS (SELECT b, o0, o1, lag(o0) OVER (ORDER BY b) AS prev FROM o)
            SELECT b, o0, o1 FROM r WHERE prev IS NULL OR prev <> o0 OR o0 <> o1 ORDER BY b;

-- [15] params: {}
CREATE OR REPLACE TEMP VIEW ledger_guide_events AS
WITH r AS (SELECT *, row_number() OVER (PARTITION BY "user_id", "guide_id", "step", "event", "timestamp") AS _gl_dup,
                  CAST(make_timestamp(epoch_us("timestamp") + 32400000000) AS DATE) AS _gl_day
           FROM guide_events)
SELECT r.* EXCLUDE (_gl_dup), r.guide_id IN ('onboarding-tour', 'onboarding-checklist') AS _gl_own, a.uk AS _gl_uk,
       CASE WHEN r.user_id IS NULL OR r.guide_id IS NULL OR r.event IS NULL THEN 'missing_key' WHEN r.timestamp IS NULL THEN 'missing_time' WHEN r.guide_id NOT IN ('onboarding-tour', 'onboarding-checklist') AND NOT FALSE THEN 'other_guide' WHEN a.uk IS NULL THEN 'not_in_experiment' WHEN r._gl_dup > 1 THEN 'exact_duplicate' WHEN r.timestamp >= TIMESTAMPTZ '2026-11-30T15:00:00+00:00' THEN 'future' WHEN r.timestamp < a.assigned_at THEN 'before_assignment' WHEN r.timestamp >= TIMESTAMPTZ '2026-10-28T15:00:00+00:00' THEN 'after_analysis_date' WHEN r.guide_id IN ('onboarding-tour', 'onboarding-checklist') AND CASE r.event WHEN 'app_session' THEN 'activity' WHEN 'tour_closed' THEN 'dismissed' WHEN 'tour_cta_clicked' THEN 'clicked' WHEN 'tour_finished' THEN 'completed' WHEN 'tour_opened' THEN 'opened' WHEN 'tour_step_viewed' THEN 'shown' ELSE r.event END NOT IN ('shown', 'opened', 'clicked', 'dismissed', 'completed', 'opted_out', 'answered') THEN 'unknown_event' WHEN (r.step IS NOT NULL AND coalesce(CAST(r.step AS DOUBLE) < 1, TRUE)) THEN 'out_of_range' END AS _gl_reason
FROM r LEFT JOIN exp_assigned a USING (user_id);

-- [16] params: {}
CREATE OR REPLACE TEMP TABLE ledger_guide_events_repeated_hashes AS SELECT _gl_h FROM (SELECT hash("user_id", "guide_id", "step", "event", "timestamp") AS _gl_h FROM guide_events) GROUP BY _gl_h HAVING count(*) > 1;

-- [17] params: {}
SELECT count(*) FROM ledger_guide_events_repeated_hashes;

-- [18] params: {}
CREATE OR REPLACE TEMP TABLE ledger_guide_events_copies AS
SELECT "user_id", "guide_id", "step", "event", "timestamp", hash("user_id", "guide_id", "step", "event", "timestamp") AS _gl_h, CAST(count(*) AS BIGINT) AS _gl_copies
FROM guide_events WHERE hash("user_id", "guide_id", "step", "event", "timestamp") IN (SELECT _gl_h FROM ledger_guide_events_repeated_hashes) GROUP BY ALL;

-- [19] params: {}
DROP TABLE IF EXISTS ledger_guide_events_repeated_hashes;

-- [20] params: {}
CREATE OR REPLACE TEMP TABLE ledger_guide_rows AS
WITH r AS (SELECT *, CAST(make_timestamp(epoch_us("timestamp") + 32400000000) AS DATE) AS _gl_day FROM (SELECT t."user_id", t."guide_id", t."step", t."event", t."timestamp", CAST(1 AS BIGINT) AS _gl_n, FALSE AS _gl_copy
           FROM (SELECT *, hash("user_id", "guide_id", "step", "event", "timestamp") AS _gl_h FROM guide_events) t
           LEFT JOIN (SELECT DISTINCT _gl_h FROM ledger_guide_events_copies) c ON c._gl_h = t._gl_h WHERE c._gl_h IS NULL
           UNION ALL SELECT "user_id", "guide_id", "step", "event", "timestamp", CAST(1 AS BIGINT), FALSE FROM ledger_guide_events_copies
           UNION ALL SELECT "user_id", "guide_id", "step", "event", "timestamp", _gl_copies - 1, TRUE FROM ledger_guide_events_copies WHERE _gl_copies > 1)),
c AS (
    SELECT r.*, a.uk AS _gl_uk, a.assigned_day, CASE WHEN r.user_id IS NULL OR r.guide_id IS NULL OR r.event IS NULL THEN -1 WHEN r.timestamp IS NULL THEN -2 WHEN r.guide_id NOT IN ('onboarding-tour', 'onboarding-checklist') AND NOT FALSE THEN -4 WHEN a.uk IS NULL THEN -5 WHEN r._gl_copy THEN -6 WHEN r.timestamp >= TIMESTAMPTZ '2026-11-30T15:00:00+00:00' THEN -7 WHEN r.timestamp < a.assigned_at THEN -8 WHEN r.timestamp >= TIMESTAMPTZ '2026-10-28T15:00:00+00:00' THEN -9 WHEN r.guide_id IN ('onboarding-tour', 'onboarding-checklist') AND CASE r.event WHEN 'app_session' THEN 'activity' WHEN 'tour_closed' THEN 'dismissed' WHEN 'tour_cta_clicked' THEN 'clicked' WHEN 'tour_finished' THEN 'completed' WHEN 'tour_opened' THEN 'opened' WHEN 'tour_step_viewed' THEN 'shown' ELSE r.event END NOT IN ('shown', 'opened', 'clicked', 'dismissed', 'completed', 'opted_out', 'answered') THEN -13 WHEN (r.step IS NOT NULL AND coalesce(CAST(r.step AS DOUBLE) < 1, TRUE)) THEN -14 END AS _gl_code
    FROM r LEFT JOIN exp_assigned a USING (user_id)),
e AS (
    SELECT coalesce(c._gl_code, c._gl_uk) AS _gl_key,
           CASE WHEN c._gl_code IS NULL THEN CAST(CASE c.guide_id WHEN 'onboarding-tour' THEN 0 WHEN 'onboarding-checklist' THEN 1 ELSE -1 END AS SMALLINT) END AS _gl_guide, CAST(NULL AS VARCHAR) AS _gl_other_guide,
           CAST(c._gl_n AS INTEGER) AS _gl_n, CASE WHEN c._gl_code IS NOT NULL THEN concat_ws(', ', 'user_id=' || coalesce(left(CAST(c."user_id" AS VARCHAR), 60), 'NULL'), 'guide_id=' || coalesce(left(CAST(c."guide_id" AS VARCHAR), 60), 'NULL'), 'step=' || coalesce(left(CAST(c."step" AS VARCHAR), 60), 'NULL'), 'event=' || coalesce(left(CAST(c."event" AS VARCHAR), 60), 'NULL'), 'timestamp=' || coalesce(left(CAST(c."timestamp" AS VARCHAR), 60), 'NULL')) END AS _gl_example,
           c.timestamp,
           CAST(CASE CASE c.event WHEN 'app_session' THEN 'activity' WHEN 'tour_closed' THEN 'dismissed' WHEN 'tour_cta_clicked' THEN 'clicked' WHEN 'tour_finished' THEN 'completed' WHEN 'tour_opened' THEN 'opened' WHEN 'tour_step_viewed' THEN 'shown' ELSE c.event END WHEN 'shown' THEN 0 WHEN 'opened' THEN 1 WHEN 'clicked' THEN 2 WHEN 'dismissed' THEN 3 WHEN 'completed' THEN 4 WHEN 'opted_out' THEN 5 WHEN 'answered' THEN 6 END AS TINYINT) AS ev,
           TRY_CAST(c.step AS INTEGER) AS raw_step,
           CAST(datediff('day', c.assigned_day, c._gl_day) AS INTEGER) AS day
    FROM c)  -- narrow: at 10M users these rows spill to disk (the step counted as shown is coalesce(raw_step, 1))
SELECT * FROM e;

-- [21] params: {}
CREATE OR REPLACE TEMP TABLE ledger_guide_user AS
WITH g AS (
    SELECT _gl_key, _gl_guide, _gl_other_guide, CAST(sum(e._gl_n) AS BIGINT) AS _gl_events,
           bit_or(CAST(1 AS INTEGER) << e.ev) AS _gl_flags,
           count_if(e.ev = 0 AND coalesce(e.raw_step, 1) = 1) AS shown_n, count_if(e.ev = 2) AS clicked_n,
           max(e.raw_step) FILTER (WHERE e.ev = 0) AS max_shown_step,
           min(e.timestamp) FILTER (WHERE e.ev = 0) AS first_shown,
           min(e.timestamp) FILTER (WHERE e.ev = 4) AS first_completed,
           bool_or(e.ev = 0 AND e.day < 7) AS shown_in_period
    FROM ledger_guide_rows e WHERE e._gl_key > 0 GROUP BY _gl_key, _gl_guide, _gl_other_guide)
SELECT CAST(NULL AS VARCHAR) AS _gl_reason, g._gl_key AS uk, CASE g._gl_guide WHEN 0 THEN 'onboarding-tour' WHEN 1 THEN 'onboarding-checklist' ELSE g._gl_other_guide END AS guide_id, g._gl_events,
       CAST(NULL AS VARCHAR) AS _gl_example, g._gl_guide >= 0 AS own, ((g._gl_flags >> 0) & 1) = 1 AS shown, ((g._gl_flags >> 1) & 1) = 1 AS opened, ((g._gl_flags >> 2) & 1) = 1 AS clicked, ((g._gl_flags >> 3) & 1) = 1 AS dismissed, ((g._gl_flags >> 4) & 1) = 1 AS completed, ((g._gl_flags >> 5) & 1) = 1 AS opted_out, ((g._gl_flags >> 6) & 1) = 1 AS answered, g.shown_n, g.clicked_n,
       g.max_shown_step, g.first_shown, g.first_completed, g.shown_in_period, g._gl_flags
FROM g
UNION ALL
SELECT CASE e._gl_key WHEN -1 THEN 'missing_key' WHEN -2 THEN 'missing_time' WHEN -3 THEN 'other_experiment' WHEN -4 THEN 'other_guide' WHEN -5 THEN 'not_in_experiment' WHEN -6 THEN 'exact_duplicate' WHEN -7 THEN 'future' WHEN -8 THEN 'before_assignment' WHEN -9 THEN 'after_analysis_date' WHEN -10 THEN 'unknown_variant' WHEN -11 THEN 'multiple_arms' WHEN -12 THEN 'repeated_assignment' WHEN -13 THEN 'unknown_event' WHEN -14 THEN 'out_of_range' WHEN -15 THEN 'duplicate_user' WHEN -16 THEN 'missing_unit' END, NULL, NULL, CAST(sum(e._gl_n) AS BIGINT), min(e._gl_example), NULL,
       NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL
FROM ledger_guide_rows e WHERE e._gl_key < 0 GROUP BY e._gl_key;

-- [22] params: {}
DROP TABLE IF EXISTS ledger_guide_rows;

-- [23] params: {}
CREATE OR REPLACE TEMP VIEW exp_guide_user AS SELECT * EXCLUDE (_gl_reason, _gl_events, _gl_example) FROM ledger_guide_user WHERE _gl_reason IS NULL;

-- [24] params: {}
CREATE OR REPLACE TEMP VIEW exp_guide_events_all AS SELECT * EXCLUDE (_gl_reason, _gl_own, _gl_uk, _gl_day) FROM ledger_guide_events WHERE _gl_reason IS NULL;

-- [25] params: {}
CREATE OR REPLACE TEMP VIEW exp_guide_events AS SELECT * EXCLUDE (_gl_reason, _gl_own, _gl_uk, _gl_day) FROM ledger_guide_events WHERE _gl_reason IS NULL AND _gl_own;

-- [26] params: {}
DESCRIBE activity;

-- [27] params: {}
SELECT epoch_us(min("timestamp")), epoch_us(max("timestamp")) FROM activity;

-- [28] params: {"tz": "Asia/Tokyo"}
WITH b AS (SELECT range AS b FROM range(1789598700000000, 1793196081000001, 900000000)),
            o AS (SELECT b, epoch_us(timezone($tz, make_timestamptz(b))) - b AS o0,
                         epoch_us(timezone($tz, make_timestamptz(b + 899999999))) - b - 899999999 AS o1
                  FROM b),
            r AS (SELECT b, o0, o1, lag(o0) OVER (ORDER BY b) AS prev FROM o)
            SELECT b, o0, o1 FROM r WHERE prev IS NULL OR prev <> o0 OR o0 <> o1 ORDER BY b;

-- [29] params: {}
CREATE OR REPLACE TEMP VIEW ledger_activity AS
WITH r AS (SELECT *, row_number() OVER (PARTITION BY "user_id", "timestamp", "event") AS _gl_dup,
                  CAST(make_timestamp(epoch_us("timestamp") + 32400000000) AS DATE) AS _gl_day
           FROM activity)
SELECT r.* EXCLUDE (_gl_dup), r.timestamp < a.assigned_at AS _gl_pre, a.uk AS _gl_uk,
       CASE WHEN r.user_id IS NULL THEN 'missing_key' WHEN r.timestamp IS NULL THEN 'missing_time' WHEN a.uk IS NULL THEN 'not_in_experiment' WHEN r._gl_dup > 1 THEN 'exact_duplicate' WHEN r.timestamp >= TIMESTAMPTZ '2026-11-30T15:00:00+00:00' THEN 'future' WHEN r.timestamp < a.assigned_at AND NOT (r._gl_day >= a.assigned_day - INTERVAL 14 DAY AND r._gl_day < a.assigned_day) THEN 'before_assignment' WHEN r.timestamp >= TIMESTAMPTZ '2026-10-28T15:00:00+00:00' THEN 'after_analysis_date' END AS _gl_reason
FROM r LEFT JOIN exp_assigned a USING (user_id);

-- [30] params: {}
SELECT min(assigned_day) FROM exp_assigned;

-- [31] params: {}
CREATE OR REPLACE TEMP TABLE ledger_activity_repeated_hashes AS SELECT _gl_h FROM (SELECT hash("user_id", "timestamp", "event") AS _gl_h FROM activity) GROUP BY _gl_h HAVING count(*) > 1;

-- [32] params: {}
SELECT count(*) FROM ledger_activity_repeated_hashes;

-- [33] params: {}
CREATE OR REPLACE TEMP TABLE ledger_activity_copies AS
SELECT "user_id", "timestamp", "event", hash("user_id", "timestamp", "event") AS _gl_h, CAST(count(*) AS BIGINT) AS _gl_copies
FROM activity WHERE hash("user_id", "timestamp", "event") IN (SELECT _gl_h FROM ledger_activity_repeated_hashes) GROUP BY ALL;

-- [34] params: {}
DROP TABLE IF EXISTS ledger_activity_repeated_hashes;

-- [35] params: {}
CREATE OR REPLACE TEMP VIEW ledger_activity_rows AS
WITH r AS (SELECT *, CAST(make_timestamp(epoch_us("timestamp") + 32400000000) AS DATE) AS _gl_day FROM (SELECT t."user_id", t."timestamp", t."event", CAST(1 AS BIGINT) AS _gl_n, FALSE AS _gl_copy
           FROM (SELECT *, hash("user_id", "timestamp", "event") AS _gl_h FROM activity) t
           LEFT JOIN (SELECT DISTINCT _gl_h FROM ledger_activity_copies) c ON c._gl_h = t._gl_h WHERE c._gl_h IS NULL
           UNION ALL SELECT "user_id", "timestamp", "event", CAST(1 AS BIGINT), FALSE FROM ledger_activity_copies
           UNION ALL SELECT "user_id", "timestamp", "event", _gl_copies - 1, TRUE FROM ledger_activity_copies WHERE _gl_copies > 1)),
j AS (
    SELECT r.*, a.uk AS _gl_uk, a.assigned_at,
           datediff('day', a.assigned_day, r._gl_day) AS _gl_off
    FROM r LEFT JOIN exp_assigned a USING (user_id)),
c AS (  -- the rules of the view, with the pre-period as day offsets (the same days, integer compares)
    SELECT r.*, coalesce(r.timestamp < r.assigned_at, FALSE) AS _gl_pre,
           CASE WHEN r.user_id IS NULL THEN -1 WHEN r.timestamp IS NULL THEN -2 WHEN r._gl_uk IS NULL THEN -5 WHEN r._gl_copy THEN -6 WHEN r.timestamp >= TIMESTAMPTZ '2026-11-30T15:00:00+00:00' THEN -7 WHEN r.timestamp < r.assigned_at AND NOT (r._gl_off >= -14 AND r._gl_off < 0) THEN -8 WHEN r.timestamp >= TIMESTAMPTZ '2026-10-28T15:00:00+00:00' THEN -9 END AS _gl_code
    FROM j r),
d AS (  -- what the aggregate needs, narrow (at 10M users these 100M rows spill to disk)
    SELECT CAST(coalesce(c._gl_code, c._gl_uk) AS INTEGER) AS _gl_key, CAST(c._gl_n AS INTEGER) AS _gl_n,
           c._gl_pre, CAST(c._gl_off AS INTEGER) AS _gl_off,
           CASE WHEN c._gl_code IS NOT NULL THEN concat_ws(', ', 'user_id=' || coalesce(left(CAST(c."user_id" AS VARCHAR), 60), 'NULL'), 'timestamp=' || coalesce(left(CAST(c."timestamp" AS VARCHAR), 60), 'NULL'), 'event=' || coalesce(left(CAST(c."event" AS VARCHAR), 60), 'NULL')) END AS _gl_example,
           coalesce(c.event IN ('project_created'), FALSE) AS _gl_goal, FALSE AS _gl_support
    FROM c)
SELECT * FROM d;

-- [36] params: {}
CREATE OR REPLACE TEMP TABLE ledger_activity_users AS
WITH d AS (  -- day, sessions, is_goal, is_support: the registry's columns, NULL on the pre-period's rows
    SELECT r._gl_key, r._gl_n, r._gl_pre, r._gl_off, r._gl_example, r._gl_key > 0 AS _gl_used,
           CASE WHEN r._gl_key > 0 AND NOT r._gl_pre THEN r._gl_off END AS day,
           CASE WHEN r._gl_key > 0 AND NOT r._gl_pre THEN 1 END AS sessions,
           CASE WHEN r._gl_key > 0 AND NOT r._gl_pre THEN r._gl_goal END AS is_goal,
           CASE WHEN r._gl_key > 0 AND NOT r._gl_pre THEN r._gl_support END AS is_support
    FROM ledger_activity_rows r),
g AS (
    SELECT d._gl_key, CAST(sum(d._gl_n) AS BIGINT) AS _gl_events,
           min(d._gl_example) AS _gl_example,
           bit_or(CASE WHEN d._gl_used AND d._gl_off >= -14 AND d._gl_off < 49 THEN CAST(1 AS BIGINT) << (d._gl_off + 14) END) AS _gl_days_and_pre,
           min(day) FILTER (WHERE is_goal) AS first_goal_day,
           min(day) FILTER (WHERE is_support) AS first_support_day, CAST(sum(sessions) FILTER (WHERE day BETWEEN 0 AND 6) AS BIGINT) AS sessions_d7
    FROM d GROUP BY d._gl_key)
SELECT CASE g._gl_key WHEN -1 THEN 'missing_key' WHEN -2 THEN 'missing_time' WHEN -3 THEN 'other_experiment' WHEN -4 THEN 'other_guide' WHEN -5 THEN 'not_in_experiment' WHEN -6 THEN 'exact_duplicate' WHEN -7 THEN 'future' WHEN -8 THEN 'before_assignment' WHEN -9 THEN 'after_analysis_date' WHEN -10 THEN 'unknown_variant' WHEN -11 THEN 'multiple_arms' WHEN -12 THEN 'repeated_assignment' WHEN -13 THEN 'unknown_event' WHEN -14 THEN 'out_of_range' WHEN -15 THEN 'duplicate_user' WHEN -16 THEN 'missing_unit' END AS _gl_reason, CASE WHEN g._gl_key > 0 THEN g._gl_key END AS uk,
       g._gl_events, g._gl_example, nullif(g._gl_days_and_pre >> 14, 0) AS _gl_days0, coalesce(CAST(bit_count(g._gl_days_and_pre & 16383) AS INTEGER), 0) AS pre_active_days, g.first_goal_day, g.first_support_day, g.sessions_d7
FROM g;

-- [37] params: {}
CREATE OR REPLACE TEMP VIEW exp_activity_users AS SELECT * EXCLUDE (_gl_reason, _gl_example) FROM ledger_activity_users WHERE _gl_reason IS NULL;

-- [38] params: {}
CREATE OR REPLACE TEMP VIEW exp_activity AS SELECT * EXCLUDE (_gl_reason, _gl_pre, _gl_uk, _gl_day) FROM ledger_activity WHERE _gl_reason IS NULL AND NOT _gl_pre;

-- [39] params: {}
CREATE OR REPLACE TEMP VIEW exp_activity_pre AS SELECT * EXCLUDE (_gl_reason, _gl_pre, _gl_uk, _gl_day) FROM ledger_activity WHERE _gl_reason IS NULL AND _gl_pre;

-- [40] params: {}
DESCRIBE users;

-- [41] params: {}
CREATE OR REPLACE TEMP TABLE ledger_users_repeated_keys AS SELECT _gl_h FROM (SELECT hash(user_id) AS _gl_h FROM users) GROUP BY _gl_h HAVING count(*) > 1;

-- [42] params: {}
CREATE OR REPLACE TEMP TABLE ledger_users AS
WITH s AS (SELECT u.*, 1 AS _gl_row, 1 AS _gl_first, 1 AS _gl_rank
           FROM users u LEFT JOIN ledger_users_repeated_keys r ON r._gl_h = hash(u.user_id) WHERE r._gl_h IS NULL
           UNION ALL
           SELECT *, row_number() OVER (PARTITION BY user_id ORDER BY "user_id", "signup_at", "platform", "locale", "plan"), rank() OVER (PARTITION BY user_id ORDER BY "user_id", "signup_at", "platform", "locale", "plan"), dense_rank() OVER (PARTITION BY user_id ORDER BY "user_id", "signup_at", "platform", "locale", "plan")
           FROM users WHERE hash(user_id) IN (SELECT _gl_h FROM ledger_users_repeated_keys))
SELECT s.* EXCLUDE (_gl_row, _gl_first, _gl_rank), a.uk AS _gl_uk, CASE WHEN s.user_id IS NULL THEN 'missing_key' WHEN a.uk IS NULL THEN 'not_in_experiment' WHEN s._gl_row > s._gl_first THEN 'exact_duplicate' WHEN s._gl_rank > 1 THEN 'duplicate_user' END AS _gl_reason
FROM s LEFT JOIN exp_assigned a USING (user_id);

-- [43] params: {}
DROP TABLE IF EXISTS ledger_users_repeated_keys;

-- [44] params: {}
CREATE OR REPLACE TEMP VIEW exp_user_attrs AS SELECT * EXCLUDE (_gl_reason) FROM ledger_users WHERE _gl_reason IS NULL;

-- [45] params: {"end": "2026-10-28T15:00:00+00:00", "exp": "onboarding-tour-vs-checklist"}
SELECT count(*), count_if(user_id IS NULL), count_if(variant NOT IN ('holdout', 'tour', 'checklist') OR variant IS NULL)
FROM ledger_assignments WHERE experiment = $exp AND assigned_at < $end;

-- [46] params: {}
SELECT count(DISTINCT user_id) FROM ledger_assignments WHERE _gl_reason = 'multiple_arms';

-- [47] params: {}
DESCRIBE ledger_activity_users;

-- [48] params: {}
DESCRIBE guide_events;

-- [49] params: {}
DESCRIBE users;

-- [50] params: {"asof": "2026-10-28"}
CREATE OR REPLACE TEMP TABLE exp_users AS
WITH gf AS (
    SELECT uk, bit_or(g._gl_flags) FILTER (WHERE own) AS _gl_flags, sum(shown_n) FILTER (WHERE own) AS shown_n,
           sum(clicked_n) FILTER (WHERE own) AS clicked_n, count(*) FILTER (WHERE shown_in_period) AS guides_shown
    FROM exp_guide_user g WHERE (own OR shown_in_period) GROUP BY uk
), af AS (SELECT * FROM exp_activity_users)  -- one row per user with activity (guidelab.ledger.classify_activity)
SELECT u2.uk, u2.user_id, u2.variant, u2.assigned_at, u2.assigned_day,
       datediff('day', u2.assigned_day, $asof) AS observed_days,
       coalesce(((gf._gl_flags >> 0) & 1) = 1, FALSE) AS shown, coalesce(((gf._gl_flags >> 1) & 1) = 1, FALSE) AS opened, coalesce(((gf._gl_flags >> 2) & 1) = 1, FALSE) AS clicked, coalesce(((gf._gl_flags >> 3) & 1) = 1, FALSE) AS dismissed, coalesce(((gf._gl_flags >> 4) & 1) = 1, FALSE) AS completed, coalesce(((gf._gl_flags >> 5) & 1) = 1, FALSE) AS opted_out, coalesce(((gf._gl_flags >> 6) & 1) = 1, FALSE) AS answered, af.first_goal_day, af.first_support_day,
       coalesce(gf.guides_shown, 0) AS guides_shown,
       CAST(coalesce(gf.shown_n, 0) AS BIGINT) AS shown_n, CAST(coalesce(gf.clicked_n, 0) AS BIGINT) AS clicked_n,
       coalesce(af.pre_active_days, 0) AS pre_active_days, ((coalesce(af._gl_days0, 0) >> 1) & 1) = 1 AS active_d1, ((coalesce(af._gl_days0, 0) >> 7) & 1) = 1 AS active_d7, coalesce(af.sessions_d7, 0) AS sessions_d7, af._gl_days0, ua."platform" AS "_gl_attr_platform", ua."signup_at" AS "_gl_attr_signup_at", ua."plan" AS "_gl_attr_plan"
FROM exp_assigned u2 LEFT JOIN gf USING (uk) LEFT JOIN af USING (uk)
      LEFT JOIN (SELECT _gl_uk, "platform", "signup_at", "plan" FROM exp_user_attrs) ua ON ua._gl_uk = u2.uk;

-- [51] params: {}
SELECT count(*) FROM exp_users u WHERE u.shown AND u.variant IN
('holdout');

-- [52] params: {}
SELECT count(*), count_if(shown) FROM exp_users WHERE variant IN ('tour', 'checklist');

-- [53] params: {}
DESCRIBE assignments;

-- [54] params: {}
SELECT _gl_reason, min(concat_ws(', ', 'user_id=' || coalesce(left(CAST("user_id" AS VARCHAR), 60), 'NULL'), 'experiment=' || coalesce(left(CAST("experiment" AS VARCHAR), 60), 'NULL'), 'variant=' || coalesce(left(CAST("variant" AS VARCHAR), 60), 'NULL'), 'assigned_at=' || coalesce(left(CAST("assigned_at" AS VARCHAR), 60), 'NULL'))) FROM ledger_assignments WHERE _gl_reason IS NOT NULL GROUP BY 1;

-- [55] params: {}
SELECT _gl_reason, count(*) FROM ledger_assignments GROUP BY 1;

-- [56] params: {}
DESCRIBE guide_events;

-- [57] params: {}
SELECT _gl_reason, sum(_gl_events), min(_gl_example) FROM ledger_guide_user GROUP BY 1;

-- [58] params: {}
DESCRIBE activity;

-- [59] params: {}
SELECT _gl_reason, sum(_gl_events), min(_gl_example) FROM ledger_activity_users GROUP BY 1;

-- [60] params: {}
DESCRIBE users;

-- [61] params: {}
SELECT _gl_reason, min(concat_ws(', ', 'user_id=' || coalesce(left(CAST("user_id" AS VARCHAR), 60), 'NULL'), 'signup_at=' || coalesce(left(CAST("signup_at" AS VARCHAR), 60), 'NULL'), 'platform=' || coalesce(left(CAST("platform" AS VARCHAR), 60), 'NULL'), 'locale=' || coalesce(left(CAST("locale" AS VARCHAR), 60), 'NULL'), 'plan=' || coalesce(left(CAST("plan" AS VARCHAR), 60), 'NULL'))) FROM ledger_users WHERE _gl_reason IS NOT NULL GROUP BY 1;

-- [62] params: {}
SELECT _gl_reason, count(*) FROM ledger_users GROUP BY 1;

-- [63] params: {}
SELECT variant, count(*) FROM exp_users GROUP BY variant;

-- [64] params: {}
SELECT assigned_day, variant, count(*) FROM exp_users GROUP BY ALL ORDER BY 1, 2;

-- [65] params: {}
SELECT count(sessions_d7) FROM exp_users WHERE observed_days >= 6;

-- [66] params: {}
SELECT min(v) FROM (
    SELECT v, sum(c) OVER (ORDER BY v ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) AS cum
    FROM (SELECT sessions_d7 AS v, count(*) AS c FROM exp_users WHERE observed_days >= 6 AND sessions_d7 IS NOT NULL
          GROUP BY 1) g) w
WHERE cum >= 9268;

-- [67] params: {}
SELECT variant, count(*), count_if(sessions_d7 > 15) FROM exp_users WHERE observed_days >= 6 GROUP BY variant;

-- [68] params: {}
SELECT variant, count(*), count_if((coalesce(first_goal_day < 7, FALSE)) AND CAST(first_goal_day AS DOUBLE) IS NOT NULL) FROM exp_users WHERE observed_days >= 6 GROUP BY variant;

-- [69] params: {}
WITH h AS (SELECT variant, CAST(first_goal_day AS DOUBLE) AS v, count(*) AS c
                           FROM exp_users WHERE observed_days >= 6 AND (coalesce(first_goal_day < 7, FALSE)) AND CAST(first_goal_day AS DOUBLE) IS NOT NULL GROUP BY ALL),
                cu AS (SELECT variant, v, c, sum(c) OVER (PARTITION BY variant ORDER BY v
                                                          ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) AS cum
                       FROM h)
                SELECT variant, v, cum - c, cum FROM cu WHERE (variant = 'checklist' AND ((cum - c < 876 AND cum >= 876) OR (cum - c < 929 AND cum >= 929) OR (cum - c < 981 AND cum >= 981))) OR (variant = 'holdout' AND ((cum - c < 430 AND cum >= 430) OR (cum - c < 467 AND cum >= 467) OR (cum - c < 504 AND cum >= 504))) OR (variant = 'tour' AND ((cum - c < 892 AND cum >= 892) OR (cum - c < 945 AND cum >= 945) OR (cum - c < 997 AND cum >= 997))) ORDER BY variant, v;

-- [70] params: {}
SELECT typeof(pre_active_days), typeof(CAST(active_d7 AS INTEGER)), typeof(CAST(active_d1 AS INTEGER)), typeof(CAST(coalesce(first_goal_day < 7, FALSE) AS INTEGER)), typeof((CASE WHEN sessions_d7 > 15 THEN 15 ELSE sessions_d7 END)), typeof(CAST(dismissed AS INTEGER)) FROM exp_users LIMIT 1;

-- [71] params: {}
WITH e AS (SELECT variant, pre_active_days AS x, coalesce(observed_days >= 7, FALSE) AS e0, CASE WHEN observed_days >= 7 THEN CAST(active_d7 AS INTEGER) END AS y0, coalesce(observed_days >= 1, FALSE) AS e1, CASE WHEN observed_days >= 1 THEN CAST(active_d1 AS INTEGER) END AS y1, coalesce(observed_days >= 6, FALSE) AS e2, CASE WHEN observed_days >= 6 THEN CAST(coalesce(first_goal_day < 7, FALSE) AS INTEGER) END AS y2, coalesce(observed_days >= 6, FALSE) AS e3, CASE WHEN observed_days >= 6 THEN (CASE WHEN sessions_d7 > 15 THEN 15 ELSE sessions_d7 END) END AS y3, coalesce(TRUE, FALSE) AS e4, CASE WHEN TRUE THEN CAST(dismissed AS INTEGER) END AS y4 FROM exp_users) SELECT variant, count(*) FILTER (WHERE e0), sum(y0) FILTER (WHERE e0), sum(y0*y0) FILTER (WHERE e0), sum(x) FILTER (WHERE e0), sum(x*x) FILTER (WHERE e0), sum(x*y0) FILTER (WHERE e0), NULL, NULL, NULL, count(*) FILTER (WHERE e1), sum(y1) FILTER (WHERE e1), sum(y1*y1) FILTER (WHERE e1), sum(x) FILTER (WHERE e1), sum(x*x) FILTER (WHERE e1), sum(x*y1) FILTER (WHERE e1), NULL, NULL, NULL, count(*) FILTER (WHERE e2), sum(y2) FILTER (WHERE e2), sum(y2*y2) FILTER (WHERE e2), sum(x) FILTER (WHERE e2), sum(x*x) FILTER (WHERE e2), sum(x*y2) FILTER (WHERE e2), NULL, NULL, NULL, count(*) FILTER (WHERE e3), sum(y3) FILTER (WHERE e3), sum(y3*y3) FILTER (WHERE e3), sum(x) FILTER (WHERE e3), sum(x*x) FILTER (WHERE e3), sum(x*y3) FILTER (WHERE e3), NULL, NULL, NULL, count(*) FILTER (WHERE e4), sum(y4) FILTER (WHERE e4), sum(y4*y4) FILTER (WHERE e4), sum(x) FILTER (WHERE e4), sum(x*x) FILTER (WHERE e4), sum(x*y4) FILTER (WHERE e4), NULL, NULL, NULL FROM e GROUP BY variant;

-- [72] params: {}
SELECT typeof(pre_active_days), typeof(CAST(active_d7 AS INTEGER)), typeof(CAST(active_d1 AS INTEGER)), typeof(CAST(coalesce(first_goal_day < 7, FALSE) AS INTEGER)), typeof((CASE WHEN sessions_d7 > 15 THEN 15 ELSE sessions_d7 END)), typeof(first_goal_day), typeof(CAST(dismissed AS INTEGER)) FROM exp_users LIMIT 1;

-- [73] params: {}
WITH e AS (SELECT variant, assigned_at, "_gl_attr_signup_at", "_gl_attr_plan", pre_active_days AS x, coalesce(observed_days >= 7, FALSE) AS e0, CASE WHEN observed_days >= 7 THEN CAST(active_d7 AS INTEGER) END AS y0, coalesce(observed_days >= 1, FALSE) AS e1, CASE WHEN observed_days >= 1 THEN CAST(active_d1 AS INTEGER) END AS y1, coalesce(observed_days >= 6, FALSE) AS e2, CASE WHEN observed_days >= 6 THEN CAST(coalesce(first_goal_day < 7, FALSE) AS INTEGER) END AS y2, coalesce(observed_days >= 6, FALSE) AS e3, CASE WHEN observed_days >= 6 THEN (CASE WHEN sessions_d7 > 15 THEN 15 ELSE sessions_d7 END) END AS y3, coalesce(observed_days >= 6, FALSE) AS e4, CASE WHEN observed_days >= 6 THEN first_goal_day END AS y4, coalesce(TRUE, FALSE) AS e5, CASE WHEN TRUE THEN CAST(dismissed AS INTEGER) END AS y5 FROM exp_users)
SELECT e.variant, coalesce(CASE WHEN e."_gl_attr_signup_at" IS NULL THEN NULL WHEN e."_gl_attr_signup_at" >= e.assigned_at - INTERVAL 24 HOUR THEN 'new' ELSE 'existing' END, '(missing)') AS a0, coalesce(CAST(e."_gl_attr_plan" AS VARCHAR), '(missing)') AS a1, count(*) FILTER (WHERE e0), sum(y0) FILTER (WHERE e0), sum(y0*y0) FILTER (WHERE e0), sum(x) FILTER (WHERE e0), sum(x*x) FILTER (WHERE e0), sum(x*y0) FILTER (WHERE e0), NULL, NULL, NULL, count(*) FILTER (WHERE e1), sum(y1) FILTER (WHERE e1), sum(y1*y1) FILTER (WHERE e1), sum(x) FILTER (WHERE e1), sum(x*x) FILTER (WHERE e1), sum(x*y1) FILTER (WHERE e1), NULL, NULL, NULL, count(*) FILTER (WHERE e2), sum(y2) FILTER (WHERE e2), sum(y2*y2) FILTER (WHERE e2), sum(x) FILTER (WHERE e2), sum(x*x) FILTER (WHERE e2), sum(x*y2) FILTER (WHERE e2), NULL, NULL, NULL, count(*) FILTER (WHERE e3), sum(y3) FILTER (WHERE e3), sum(y3*y3) FILTER (WHERE e3), sum(x) FILTER (WHERE e3), sum(x*x) FILTER (WHERE e3), sum(x*y3) FILTER (WHERE e3), NULL, NULL, NULL, count(*) FILTER (WHERE e4), sum(y4) FILTER (WHERE e4), sum(y4*y4) FILTER (WHERE e4), sum(x) FILTER (WHERE e4), sum(x*x) FILTER (WHERE e4), sum(x*y4) FILTER (WHERE e4), NULL, NULL, NULL, count(*) FILTER (WHERE e5), sum(y5) FILTER (WHERE e5), sum(y5*y5) FILTER (WHERE e5), sum(x) FILTER (WHERE e5), sum(x*x) FILTER (WHERE e5), sum(x*y5) FILTER (WHERE e5), NULL, NULL, NULL
FROM e GROUP BY 1, 2, 3;

-- [74] params: {}
WITH o AS (SELECT variant, least(observed_days, 30) AS observed, count(*) AS n
                       FROM exp_users WHERE observed_days >= 0 GROUP BY ALL)
            SELECT o.variant, d.range AS day, CAST(sum(o.n) AS BIGINT) AS n
            FROM o, range(0, 31) d
            WHERE o.observed >= d.range GROUP BY ALL;

-- [75] params: {}
DESCRIBE ledger_activity_users;

-- [76] params: {}
SELECT u.variant, CAST(sum(CASE WHEN u.observed_days >= 0 AND ((coalesce(u._gl_days0, 0) >> 0) & 1) = 1 THEN 1 ELSE 0 END) AS BIGINT), CAST(sum(CASE WHEN u.observed_days >= 1 AND ((coalesce(u._gl_days0, 0) >> 1) & 1) = 1 THEN 1 ELSE 0 END) AS BIGINT), CAST(sum(CASE WHEN u.observed_days >= 2 AND ((coalesce(u._gl_days0, 0) >> 2) & 1) = 1 THEN 1 ELSE 0 END) AS BIGINT), CAST(sum(CASE WHEN u.observed_days >= 3 AND ((coalesce(u._gl_days0, 0) >> 3) & 1) = 1 THEN 1 ELSE 0 END) AS BIGINT), CAST(sum(CASE WHEN u.observed_days >= 4 AND ((coalesce(u._gl_days0, 0) >> 4) & 1) = 1 THEN 1 ELSE 0 END) AS BIGINT), CAST(sum(CASE WHEN u.observed_days >= 5 AND ((coalesce(u._gl_days0, 0) >> 5) & 1) = 1 THEN 1 ELSE 0 END) AS BIGINT), CAST(sum(CASE WHEN u.observed_days >= 6 AND ((coalesce(u._gl_days0, 0) >> 6) & 1) = 1 THEN 1 ELSE 0 END) AS BIGINT), CAST(sum(CASE WHEN u.observed_days >= 7 AND ((coalesce(u._gl_days0, 0) >> 7) & 1) = 1 THEN 1 ELSE 0 END) AS BIGINT), CAST(sum(CASE WHEN u.observed_days >= 8 AND ((coalesce(u._gl_days0, 0) >> 8) & 1) = 1 THEN 1 ELSE 0 END) AS BIGINT), CAST(sum(CASE WHEN u.observed_days >= 9 AND ((coalesce(u._gl_days0, 0) >> 9) & 1) = 1 THEN 1 ELSE 0 END) AS BIGINT), CAST(sum(CASE WHEN u.observed_days >= 10 AND ((coalesce(u._gl_days0, 0) >> 10) & 1) = 1 THEN 1 ELSE 0 END) AS BIGINT), CAST(sum(CASE WHEN u.observed_days >= 11 AND ((coalesce(u._gl_days0, 0) >> 11) & 1) = 1 THEN 1 ELSE 0 END) AS BIGINT), CAST(sum(CASE WHEN u.observed_days >= 12 AND ((coalesce(u._gl_days0, 0) >> 12) & 1) = 1 THEN 1 ELSE 0 END) AS BIGINT), CAST(sum(CASE WHEN u.observed_days >= 13 AND ((coalesce(u._gl_days0, 0) >> 13) & 1) = 1 THEN 1 ELSE 0 END) AS BIGINT), CAST(sum(CASE WHEN u.observed_days >= 14 AND ((coalesce(u._gl_days0, 0) >> 14) & 1) = 1 THEN 1 ELSE 0 END) AS BIGINT), CAST(sum(CASE WHEN u.observed_days >= 15 AND ((coalesce(u._gl_days0, 0) >> 15) & 1) = 1 THEN 1 ELSE 0 END) AS BIGINT), CAST(sum(CASE WHEN u.observed_days >= 16 AND ((coalesce(u._gl_days0, 0) >> 16) & 1) = 1 THEN 1 ELSE 0 END) AS BIGINT), CAST(sum(CASE WHEN u.observed_days >= 17 AND ((coalesce(u._gl_days0, 0) >> 17) & 1) = 1 THEN 1 ELSE 0 END) AS BIGINT), CAST(sum(CASE WHEN u.observed_days >= 18 AND ((coalesce(u._gl_days0, 0) >> 18) & 1) = 1 THEN 1 ELSE 0 END) AS BIGINT), CAST(sum(CASE WHEN u.observed_days >= 19 AND ((coalesce(u._gl_days0, 0) >> 19) & 1) = 1 THEN 1 ELSE 0 END) AS BIGINT), CAST(sum(CASE WHEN u.observed_days >= 20 AND ((coalesce(u._gl_days0, 0) >> 20) & 1) = 1 THEN 1 ELSE 0 END) AS BIGINT), CAST(sum(CASE WHEN u.observed_days >= 21 AND ((coalesce(u._gl_days0, 0) >> 21) & 1) = 1 THEN 1 ELSE 0 END) AS BIGINT), CAST(sum(CASE WHEN u.observed_days >= 22 AND ((coalesce(u._gl_days0, 0) >> 22) & 1) = 1 THEN 1 ELSE 0 END) AS BIGINT), CAST(sum(CASE WHEN u.observed_days >= 23 AND ((coalesce(u._gl_days0, 0) >> 23) & 1) = 1 THEN 1 ELSE 0 END) AS BIGINT), CAST(sum(CASE WHEN u.observed_days >= 24 AND ((coalesce(u._gl_days0, 0) >> 24) & 1) = 1 THEN 1 ELSE 0 END) AS BIGINT), CAST(sum(CASE WHEN u.observed_days >= 25 AND ((coalesce(u._gl_days0, 0) >> 25) & 1) = 1 THEN 1 ELSE 0 END) AS BIGINT), CAST(sum(CASE WHEN u.observed_days >= 26 AND ((coalesce(u._gl_days0, 0) >> 26) & 1) = 1 THEN 1 ELSE 0 END) AS BIGINT), CAST(sum(CASE WHEN u.observed_days >= 27 AND ((coalesce(u._gl_days0, 0) >> 27) & 1) = 1 THEN 1 ELSE 0 END) AS BIGINT), CAST(sum(CASE WHEN u.observed_days >= 28 AND ((coalesce(u._gl_days0, 0) >> 28) & 1) = 1 THEN 1 ELSE 0 END) AS BIGINT), CAST(sum(CASE WHEN u.observed_days >= 29 AND ((coalesce(u._gl_days0, 0) >> 29) & 1) = 1 THEN 1 ELSE 0 END) AS BIGINT), CAST(sum(CASE WHEN u.observed_days >= 30 AND ((coalesce(u._gl_days0, 0) >> 30) & 1) = 1 THEN 1 ELSE 0 END) AS BIGINT) FROM exp_users u GROUP BY u.variant;

-- [77] params: {}
SELECT variant, CASE WHEN first_goal_day IS NOT NULL THEN first_goal_day ELSE observed_days END AS t, first_goal_day IS NOT NULL AS event, count(*)
           FROM exp_users WHERE observed_days >= 0 GROUP BY ALL;

-- [78] params: {}
SELECT variant, assigned_day, count(*), sum(CAST(active_d7 AS INTEGER)) FROM exp_users WHERE observed_days >= 7 GROUP BY ALL ORDER BY 2;

-- [79] params: {}
DESCRIBE users;

-- [80] params: {}
DESCRIBE exp_users;

-- [81] params: {}
SELECT CAST(e."_gl_attr_platform" AS VARCHAR) AS segment, e.variant, count(*), sum(CAST(active_d7 AS INTEGER))
            FROM exp_users e WHERE observed_days >= 7 GROUP BY ALL;

-- [82] params: {}
DESCRIBE users;

-- [83] params: {}
DESCRIBE exp_users;

-- [84] params: {}
SELECT CASE WHEN e."_gl_attr_signup_at" IS NULL THEN NULL WHEN e."_gl_attr_signup_at" >= e.assigned_at - INTERVAL 24 HOUR THEN 'new' ELSE 'existing' END AS segment, e.variant, count(*), sum(CAST(active_d7 AS INTEGER))
            FROM exp_users e WHERE observed_days >= 7 GROUP BY ALL;

-- [85] params: {}
DESCRIBE guide_events;

-- [86] params: {"gid": "onboarding-tour", "v": "tour"}
WITH s AS (SELECT uk, max_shown_step AS max_step,
                                  epoch(first_completed) - epoch(first_shown) AS secs
                           FROM exp_guide_user WHERE guide_id = $gid)
                SELECT count(*), count_if(u.completed), count(*) FILTER (WHERE s.secs >= 0),
                       coalesce(sum(s.secs) FILTER (WHERE s.secs >= 0), 0),
                       coalesce(sum(s.secs * s.secs) FILTER (WHERE s.secs >= 0), 0),
                       count(*) FILTER (WHERE s.secs < 0), count(*) FILTER (WHERE s.max_step >= 1 OR u.completed), count(*) FILTER (WHERE s.max_step >= 2 OR u.completed), count(*) FILTER (WHERE s.max_step >= 3 OR u.completed)
                FROM exp_users u LEFT JOIN s USING (uk) WHERE u.variant = $v;

-- [87] params: {"gid": "onboarding-checklist", "v": "checklist"}
WITH s AS (SELECT uk, max_shown_step AS max_step,
                                  epoch(first_completed) - epoch(first_shown) AS secs
                           FROM exp_guide_user WHERE guide_id = $gid)
                SELECT count(*), count_if(u.completed), count(*) FILTER (WHERE s.secs >= 0),
                       coalesce(sum(s.secs) FILTER (WHERE s.secs >= 0), 0),
                       coalesce(sum(s.secs * s.secs) FILTER (WHERE s.secs >= 0), 0),
                       count(*) FILTER (WHERE s.secs < 0), count(*) FILTER (WHERE s.max_step >= 1 OR u.completed), count(*) FILTER (WHERE s.max_step >= 2 OR u.completed), count(*) FILTER (WHERE s.max_step >= 3 OR u.completed)
                FROM exp_users u LEFT JOIN s USING (uk) WHERE u.variant = $v;

-- [88] params: {}
DESCRIBE ledger_activity_users;

-- [89] params: {}
SELECT max(observed_days) FROM exp_users;

-- [90] params: {}
WITH s0 AS (SELECT u.variant, u.assigned_day, coalesce(u._gl_days0, 0) AS d0
                       FROM exp_users u), s1 AS (SELECT *, (coalesce(d0, 0) | ((coalesce(d0, 0) & 4611686018427387903) << 1)) AS _gl_win2_0 FROM s0), s2 AS (SELECT *, (coalesce(_gl_win2_0, 0) | ((coalesce(_gl_win2_0, 0) & 2305843009213693951) << 2)) AS _gl_win4_0 FROM s1), s3 AS (SELECT *, (coalesce(_gl_win4_0, 0) | ((coalesce(_gl_win4_0, 0) & 1152921504606846975) << 3)) AS w0, (coalesce(_gl_win4_0, 0) | ((coalesce(_gl_win4_0, 0) & 576460752303423487) << 4)) AS _gl_win8_0 FROM s2), s4 AS (SELECT *, (coalesce(_gl_win8_0, 0) | ((coalesce(_gl_win8_0, 0) & 36028797018963967) << 8)) AS _gl_win16_0 FROM s3), s5 AS (SELECT *, (coalesce(_gl_win16_0, 0) | ((coalesce(_gl_win16_0, 0) & 562949953421311) << 14)) AS m0 FROM s4)
            SELECT variant, assigned_day, CAST(sum((d0 >> 0) & 1) AS BIGINT), CAST(sum((d0 >> 1) & 1) AS BIGINT), CAST(sum((d0 >> 2) & 1) AS BIGINT), CAST(sum((d0 >> 3) & 1) AS BIGINT), CAST(sum((d0 >> 4) & 1) AS BIGINT), CAST(sum((d0 >> 5) & 1) AS BIGINT), CAST(sum((d0 >> 6) & 1) AS BIGINT), CAST(sum((d0 >> 7) & 1) AS BIGINT), CAST(sum((d0 >> 8) & 1) AS BIGINT), CAST(sum((d0 >> 9) & 1) AS BIGINT), CAST(sum((d0 >> 10) & 1) AS BIGINT), CAST(sum((d0 >> 11) & 1) AS BIGINT), CAST(sum((d0 >> 12) & 1) AS BIGINT), CAST(sum((d0 >> 13) & 1) AS BIGINT), CAST(sum((d0 >> 14) & 1) AS BIGINT), CAST(sum((d0 >> 15) & 1) AS BIGINT), CAST(sum((d0 >> 16) & 1) AS BIGINT), CAST(sum((d0 >> 17) & 1) AS BIGINT), CAST(sum((d0 >> 18) & 1) AS BIGINT), CAST(sum((d0 >> 19) & 1) AS BIGINT), CAST(sum((d0 >> 20) & 1) AS BIGINT), CAST(sum((d0 >> 21) & 1) AS BIGINT), CAST(sum((d0 >> 22) & 1) AS BIGINT), CAST(sum((d0 >> 23) & 1) AS BIGINT), CAST(sum((d0 >> 24) & 1) AS BIGINT), CAST(sum((d0 >> 25) & 1) AS BIGINT), CAST(sum((d0 >> 26) & 1) AS BIGINT), CAST(sum((d0 >> 27) & 1) AS BIGINT), CAST(sum((w0 >> 0) & 1) AS BIGINT), CAST(sum((w0 >> 1) & 1) AS BIGINT), CAST(sum((w0 >> 2) & 1) AS BIGINT), CAST(sum((w0 >> 3) & 1) AS BIGINT), CAST(sum((w0 >> 4) & 1) AS BIGINT), CAST(sum((w0 >> 5) & 1) AS BIGINT), CAST(sum((w0 >> 6) & 1) AS BIGINT), CAST(sum((w0 >> 7) & 1) AS BIGINT), CAST(sum((w0 >> 8) & 1) AS BIGINT), CAST(sum((w0 >> 9) & 1) AS BIGINT), CAST(sum((w0 >> 10) & 1) AS BIGINT), CAST(sum((w0 >> 11) & 1) AS BIGINT), CAST(sum((w0 >> 12) & 1) AS BIGINT), CAST(sum((w0 >> 13) & 1) AS BIGINT), CAST(sum((w0 >> 14) & 1) AS BIGINT), CAST(sum((w0 >> 15) & 1) AS BIGINT), CAST(sum((w0 >> 16) & 1) AS BIGINT), CAST(sum((w0 >> 17) & 1) AS BIGINT), CAST(sum((w0 >> 18) & 1) AS BIGINT), CAST(sum((w0 >> 19) & 1) AS BIGINT), CAST(sum((w0 >> 20) & 1) AS BIGINT), CAST(sum((w0 >> 21) & 1) AS BIGINT), CAST(sum((w0 >> 22) & 1) AS BIGINT), CAST(sum((w0 >> 23) & 1) AS BIGINT), CAST(sum((w0 >> 24) & 1) AS BIGINT), CAST(sum((w0 >> 25) & 1) AS BIGINT), CAST(sum((w0 >> 26) & 1) AS BIGINT), CAST(sum((w0 >> 27) & 1) AS BIGINT), CAST(sum((m0 >> 0) & 1) AS BIGINT), CAST(sum((m0 >> 1) & 1) AS BIGINT), CAST(sum((m0 >> 2) & 1) AS BIGINT), CAST(sum((m0 >> 3) & 1) AS BIGINT), CAST(sum((m0 >> 4) & 1) AS BIGINT), CAST(sum((m0 >> 5) & 1) AS BIGINT), CAST(sum((m0 >> 6) & 1) AS BIGINT), CAST(sum((m0 >> 7) & 1) AS BIGINT), CAST(sum((m0 >> 8) & 1) AS BIGINT), CAST(sum((m0 >> 9) & 1) AS BIGINT), CAST(sum((m0 >> 10) & 1) AS BIGINT), CAST(sum((m0 >> 11) & 1) AS BIGINT), CAST(sum((m0 >> 12) & 1) AS BIGINT), CAST(sum((m0 >> 13) & 1) AS BIGINT), CAST(sum((m0 >> 14) & 1) AS BIGINT), CAST(sum((m0 >> 15) & 1) AS BIGINT), CAST(sum((m0 >> 16) & 1) AS BIGINT), CAST(sum((m0 >> 17) & 1) AS BIGINT), CAST(sum((m0 >> 18) & 1) AS BIGINT), CAST(sum((m0 >> 19) & 1) AS BIGINT), CAST(sum((m0 >> 20) & 1) AS BIGINT), CAST(sum((m0 >> 21) & 1) AS BIGINT), CAST(sum((m0 >> 22) & 1) AS BIGINT), CAST(sum((m0 >> 23) & 1) AS BIGINT), CAST(sum((m0 >> 24) & 1) AS BIGINT), CAST(sum((m0 >> 25) & 1) AS BIGINT), CAST(sum((m0 >> 26) & 1) AS BIGINT), CAST(sum((m0 >> 27) & 1) AS BIGINT) FROM s5 GROUP BY variant, assigned_day;

-- [91] params: {}
DESCRIBE guide_events;
