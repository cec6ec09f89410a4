-- guidelab SQL for onboarding-tour-vs-checklist on data/sample, dialect: duckdb
-- as DuckDB runs it, parameters beside it
-- refresh: GUIDELAB_UPDATE_SNAPSHOTS=1 pytest tests/test_sql_snapshots.py

-- [1] params: {}
DESCRIBE users;

-- [2] params: {"exp": "onboarding-tour-vs-checklist", "now": "2026-11-30T15:00:00+00:00", "tz": "Asia/Tokyo"}
SELECT max(d) FROM (
             SELECT CAST(timezone($tz, max(assigned_at)) AS DATE) d FROM assignments
               WHERE experiment = $exp AND assigned_at < $now
             UNION ALL SELECT CAST(timezone($tz, max(timestamp)) AS DATE) FROM activity WHERE timestamp < $now
             UNION ALL SELECT CAST(timezone($tz, max(timestamp)) AS DATE) FROM guide_events WHERE timestamp < $now);

-- [3] params: {"e": "onboarding-tour-vs-checklist"}
SELECT count(*) FROM assignments WHERE experiment = $e;

-- [4] params: {}
DESCRIBE assignments;

-- [5] params: {"end": "2026-10-28T15:00:00+00:00", "exp": "onboarding-tour-vs-checklist", "now": "2026-11-30T15:00:00+00:00"}
CREATE OR REPLACE TEMP TABLE ledger_assignments AS
WITH r AS (SELECT *, row_number() OVER (PARTITION BY "user_id", "experiment", "variant", "assigned_at") AS _gl_dup FROM assignments),
c AS (SELECT * EXCLUDE (_gl_dup), CASE WHEN experiment IS NULL THEN 'missing_key' WHEN experiment <> $exp THEN 'other_experiment' WHEN user_id IS NULL OR variant IS NULL THEN 'missing_key' WHEN assigned_at IS NULL THEN 'missing_time' WHEN _gl_dup > 1 THEN 'exact_duplicate' WHEN assigned_at >= $now THEN 'future' WHEN assigned_at >= $end THEN 'after_analysis_date' WHEN variant NOT IN ('holdout', 'tour', 'checklist') THEN 'unknown_variant' END AS _gl_reason FROM r),
arms AS (SELECT user_id, count(DISTINCT variant) AS n FROM c WHERE _gl_reason IS NULL GROUP BY user_id)
SELECT c.* EXCLUDE (_gl_reason), CASE
    WHEN c._gl_reason IS NOT NULL THEN c._gl_reason
    WHEN arms.n > 1 THEN 'multiple_arms'
    WHEN row_number() OVER (PARTITION BY c.user_id, c._gl_reason IS NULL
                            ORDER BY c.assigned_at, c."user_id", c."experiment", c."variant", c."assigned_at") > 1
         THEN 'repeated_assignment' END AS _gl_reason
FROM c LEFT JOIN arms ON c._gl_reason IS NULL AND arms.user_id = c.user_id;

-- [6] params: {"tz": "Asia/Tokyo"}
CREATE OR REPLACE TEMP TABLE exp_assigned AS
SELECT user_id, variant, assigned_at, CAST(timezone($tz, assigned_at) AS DATE) AS assigned_day
FROM ledger_assignments WHERE _gl_reason IS NULL;

-- [7] params: {}
DESCRIBE guide_events;

-- [8] params: {"end": "2026-10-28T15:00:00+00:00", "now": "2026-11-30T15:00:00+00:00"}
CREATE OR REPLACE TEMP TABLE ledger_guide_events AS
WITH r AS (SELECT *, row_number() OVER (PARTITION BY "user_id", "guide_id", "step", "event", "timestamp") AS _gl_dup
           FROM guide_events)
SELECT r.* EXCLUDE (_gl_dup), r.guide_id IN ('onboarding-tour', 'onboarding-checklist') AS _gl_own, CASE WHEN r.user_id IS NULL OR r.guide_id IS NULL OR r.event IS NULL THEN 'missing_key' WHEN r.timestamp IS NULL THEN 'missing_time' WHEN r.guide_id NOT IN ('onboarding-tour', 'onboarding-checklist') AND NOT FALSE THEN 'other_guide' WHEN a.user_id IS NULL THEN 'not_in_experiment' WHEN r._gl_dup > 1 THEN 'exact_duplicate' WHEN r.timestamp >= $now THEN 'future' WHEN r.timestamp < a.assigned_at THEN 'before_assignment' WHEN r.timestamp >= $end THEN 'after_analysis_date' WHEN r.guide_id IN ('onboarding-tour', 'onboarding-checklist') AND CASE r.event WHEN 'app_session' THEN 'activity' WHEN 'tour_closed' THEN 'dismissed' WHEN 'tour_cta_clicked' THEN 'clicked' WHEN 'tour_finished' THEN 'completed' WHEN 'tour_opened' THEN 'opened' WHEN 'tour_step_viewed' THEN 'shown' ELSE r.event END NOT IN ('shown', 'opened', 'clicked', 'dismissed', 'completed', 'opted_out', 'answered') THEN 'unknown_event' WHEN (r.step IS NOT NULL AND coalesce((CASE WHEN TRY_CAST(trim(CAST(r.step AS VARCHAR)) AS DOUBLE) = floor(TRY_CAST(trim(CAST(r.step AS VARCHAR)) AS DOUBLE)) THEN TRY_CAST(trim(CAST(r.step AS VARCHAR)) AS DOUBLE) END) < 1, TRUE)) THEN 'out_of_range' END AS _gl_reason
FROM r LEFT JOIN exp_assigned a USING (user_id);

-- [9] params: {}
CREATE OR REPLACE TEMP VIEW exp_guide_events_all AS SELECT * EXCLUDE (_gl_reason, _gl_own) FROM ledger_guide_events WHERE _gl_reason IS NULL;

-- [10] params: {}
CREATE OR REPLACE TEMP VIEW exp_guide_events AS SELECT * EXCLUDE (_gl_reason, _gl_own) FROM ledger_guide_events WHERE _gl_reason IS NULL AND _gl_own;

-- [11] params: {}
DESCRIBE activity;

-- [12] params: {"end": "2026-10-28T15:00:00+00:00", "now": "2026-11-30T15:00:00+00:00", "tz": "Asia/Tokyo"}
CREATE OR REPLACE TEMP TABLE ledger_activity AS
WITH r AS (SELECT *, row_number() OVER (PARTITION BY "user_id", "timestamp", "event") AS _gl_dup
           FROM activity)
SELECT r.* EXCLUDE (_gl_dup), r.timestamp < a.assigned_at AS _gl_pre, CASE WHEN r.user_id IS NULL THEN 'missing_key' WHEN r.timestamp IS NULL THEN 'missing_time' WHEN a.user_id IS NULL THEN 'not_in_experiment' WHEN r._gl_dup > 1 THEN 'exact_duplicate' WHEN r.timestamp >= $now THEN 'future' WHEN r.timestamp < a.assigned_at AND NOT (CAST(timezone($tz, r.timestamp) AS DATE) >= a.assigned_day - INTERVAL 14 DAY AND CAST(timezone($tz, r.timestamp) AS DATE) < a.assigned_day) THEN 'before_assignment' WHEN r.timestamp >= $end THEN 'after_analysis_date' END AS _gl_reason
FROM r LEFT JOIN exp_assigned a USING (user_id);

-- [13] params: {}
CREATE OR REPLACE TEMP VIEW exp_activity AS SELECT * EXCLUDE (_gl_reason, _gl_pre) FROM ledger_activity WHERE _gl_reason IS NULL AND NOT _gl_pre;

-- [14] params: {}
CREATE OR REPLACE TEMP VIEW exp_activity_pre AS SELECT * EXCLUDE (_gl_reason, _gl_pre) FROM ledger_activity WHERE _gl_reason IS NULL AND _gl_pre;

-- [15] params: {}
DESCRIBE users;

-- [16] params: {}
CREATE OR REPLACE TEMP TABLE ledger_users AS
WITH r AS (SELECT *, row_number() OVER (PARTITION BY "user_id", "signup_at", "platform", "locale", "plan") AS _gl_dup FROM users),
s AS (SELECT *, row_number() OVER (PARTITION BY user_id, _gl_dup > 1 ORDER BY "user_id", "signup_at", "platform", "locale", "plan") AS _gl_rank FROM r)
SELECT s.* EXCLUDE (_gl_dup, _gl_rank), CASE WHEN s.user_id IS NULL THEN 'missing_key' WHEN a.user_id IS NULL THEN 'not_in_experiment' WHEN s._gl_dup > 1 THEN 'exact_duplicate' WHEN s._gl_rank > 1 THEN 'duplicate_user' END AS _gl_reason
FROM s LEFT JOIN exp_assigned a USING (user_id);

-- [17] params: {}
CREATE OR REPLACE TEMP VIEW exp_user_attrs AS SELECT * EXCLUDE (_gl_reason) FROM ledger_users WHERE _gl_reason IS NULL;

-- [18] params: {"end": "2026-10-28T15:00:00+00:00", "exp": "onboarding-tour-vs-checklist"}
CREATE OR REPLACE TEMP TABLE exp_assign AS
SELECT user_id, variant, assigned_at FROM assignments
WHERE experiment = $exp AND assigned_at < $end;

-- [19] params: {}
SELECT count(*), count_if(user_id IS NULL), count_if(variant NOT IN ('holdout', 'tour', 'checklist') OR variant IS NULL)
FROM exp_assign;

-- [20] params: {}
SELECT count(DISTINCT user_id) FROM ledger_assignments WHERE _gl_reason = 'multiple_arms';

-- [21] params: {}
DESCRIBE guide_events;

-- [22] params: {}
DESCRIBE activity;

-- [23] params: {}
DESCRIBE activity;

-- [24] params: {"asof": "2026-10-28", "tz": "Asia/Tokyo"}
CREATE OR REPLACE TEMP TABLE exp_users AS
        WITH u2 AS (
            SELECT user_id, variant, assigned_at, assigned_day FROM exp_assigned
        ), g AS (
            SELECT e.user_id, CASE event WHEN 'app_session' THEN 'activity' WHEN 'tour_closed' THEN 'dismissed' WHEN 'tour_cta_clicked' THEN 'clicked' WHEN 'tour_finished' THEN 'completed' WHEN 'tour_opened' THEN 'opened' WHEN 'tour_step_viewed' THEN 'shown' ELSE event END AS ev,
                   coalesce(TRY_CAST(e.step AS INTEGER), 1) AS step
            FROM exp_guide_events e JOIN u2 USING (user_id)
        ), gf AS (
            SELECT user_id, bool_or(g.ev = 'shown') AS shown,
bool_or(g.ev = 'opened') AS opened,
bool_or(g.ev = 'clicked') AS clicked,
bool_or(g.ev = 'dismissed') AS dismissed,
bool_or(g.ev = 'completed') AS completed,
bool_or(g.ev = 'opted_out') AS opted_out,
bool_or(g.ev = 'answered') AS answered, count_if(g.ev = 'shown' AND g.step = 1) AS shown_n,  -- an impression: the guide (its first step) shown
                    count_if(g.ev = 'clicked') AS clicked_n
            FROM g GROUP BY user_id
        ), pre AS (
            SELECT e.user_id, count(DISTINCT CAST(timezone($tz, e.timestamp) AS DATE)) AS pre_active_days
            FROM exp_activity_pre e JOIN u2 USING (user_id)
            GROUP BY e.user_id
        ), a AS (
            SELECT e.user_id,
                   datediff('day', u2.assigned_day, CAST(timezone($tz, e.timestamp) AS DATE)) AS day,
                   e.event IN ('project_created') AS is_goal,
                   e.event IN (NULL) AS is_support
            FROM exp_activity e JOIN u2 USING (user_id)
        ), af AS (
            SELECT user_id, min(day) FILTER (WHERE is_goal) AS first_goal_day,
                   min(day) FILTER (WHERE is_support) AS first_support_day, bool_or(a.day = 1) AS active_d1, bool_or(a.day = 7) AS active_d7, count(*) FILTER (WHERE a.day BETWEEN 0 AND 6) AS sessions_d7
            FROM a GROUP BY user_id
        ), ox AS (
            SELECT e.user_id, count(DISTINCT e.guide_id) AS guides_shown
            FROM exp_guide_events_all e JOIN u2 USING (user_id)
            WHERE CASE event WHEN 'app_session' THEN 'activity' WHEN 'tour_closed' THEN 'dismissed' WHEN 'tour_cta_clicked' THEN 'clicked' WHEN 'tour_finished' THEN 'completed' WHEN 'tour_opened' THEN 'opened' WHEN 'tour_step_viewed' THEN 'shown' ELSE event END = 'shown'
              AND datediff('day', u2.assigned_day, CAST(timezone($tz, e.timestamp) AS DATE)) < 7
            GROUP BY e.user_id
        )
        SELECT u2.user_id, u2.variant, u2.assigned_at, u2.assigned_day,
               datediff('day', u2.assigned_day, $asof) AS observed_days,
               coalesce(gf.shown, FALSE) AS shown, coalesce(gf.opened, FALSE) AS opened,
               coalesce(gf.clicked, FALSE) AS clicked, coalesce(gf.dismissed, FALSE) AS dismissed,
               coalesce(gf.completed, FALSE) AS completed, coalesce(gf.opted_out, FALSE) AS opted_out,
               coalesce(gf.answered, FALSE) AS answered, af.first_goal_day, af.first_support_day,
               coalesce(ox.guides_shown, 0) AS guides_shown,
               coalesce(gf.shown_n, 0) AS shown_n, coalesce(gf.clicked_n, 0) AS clicked_n,
               coalesce(pre.pre_active_days, 0) AS pre_active_days
               , coalesce(af.active_d1, FALSE) AS active_d1, coalesce(af.active_d7, FALSE) AS active_d7
               , coalesce(af.sessions_d7, 0) AS sessions_d7

        FROM u2 LEFT JOIN gf USING (user_id) LEFT JOIN af USING (user_id) LEFT JOIN pre USING (user_id)
             LEFT JOIN ox USING (user_id);

-- [25] params: {}
SELECT count(*) FROM exp_users u WHERE u.shown AND u.variant IN
('holdout');

-- [26] params: {}
SELECT count(*), count_if(shown) FROM exp_users WHERE variant IN ('tour', 'checklist');

-- [27] params: {}
DESCRIBE assignments;

-- [28] params: {}
SELECT _gl_reason, count(*), min(concat_ws(', ', 'user_id=' || coalesce(left(CAST("user_id" AS VARCHAR), 60), 'NULL'), 'experiment=' || coalesce(left(CAST("experiment" AS VARCHAR), 60), 'NULL'), 'variant=' || coalesce(left(CAST("variant" AS VARCHAR), 60), 'NULL'), 'assigned_at=' || coalesce(left(CAST("assigned_at" AS VARCHAR), 60), 'NULL'))) FILTER (WHERE _gl_reason IS NOT NULL) FROM ledger_assignments GROUP BY 1;

-- [29] params: {}
DESCRIBE guide_events;

-- [30] params: {}
SELECT _gl_reason, count(*), min(concat_ws(', ', 'user_id=' || coalesce(left(CAST("user_id" AS VARCHAR), 60), 'NULL'), 'guide_id=' || coalesce(left(CAST("guide_id" AS VARCHAR), 60), 'NULL'), 'step=' || coalesce(left(CAST("step" AS VARCHAR), 60), 'NULL'), 'event=' || coalesce(left(CAST("event" AS VARCHAR), 60), 'NULL'), 'timestamp=' || coalesce(left(CAST("timestamp" AS VARCHAR), 60), 'NULL'))) FILTER (WHERE _gl_reason IS NOT NULL) FROM ledger_guide_events GROUP BY 1;

-- [31] params: {}
DESCRIBE activity;

-- [32] params: {}
SELECT _gl_reason, count(*), min(concat_ws(', ', 'user_id=' || coalesce(left(CAST("user_id" AS VARCHAR), 60), 'NULL'), 'timestamp=' || coalesce(left(CAST("timestamp" AS VARCHAR), 60), 'NULL'), 'event=' || coalesce(left(CAST("event" AS VARCHAR), 60), 'NULL'))) FILTER (WHERE _gl_reason IS NOT NULL) FROM ledger_activity GROUP BY 1;

-- [33] params: {}
DESCRIBE users;

-- [34] params: {}
SELECT _gl_reason, count(*), min(concat_ws(', ', 'user_id=' || coalesce(left(CAST("user_id" AS VARCHAR), 60), 'NULL'), 'signup_at=' || coalesce(left(CAST("signup_at" AS VARCHAR), 60), 'NULL'), 'platform=' || coalesce(left(CAST("platform" AS VARCHAR), 60), 'NULL'), 'locale=' || coalesce(left(CAST("locale" AS VARCHAR), 60), 'NULL'), 'plan=' || coalesce(left(CAST("plan" AS VARCHAR), 60), 'NULL'))) FILTER (WHERE _gl_reason IS NOT NULL) FROM ledger_users GROUP BY 1;

-- [35] params: {}
SELECT variant, count(*) FROM exp_users GROUP BY variant;

-- [36] params: {}
SELECT assigned_day, variant, count(*) FROM exp_users GROUP BY ALL ORDER BY 1, 2;

-- [37] params: {}
SELECT variant, count(*), sum(CAST(active_d7 AS INTEGER)), sum(CAST(active_d7 AS INTEGER)*CAST(active_d7 AS INTEGER)), sum(pre_active_days), sum(pre_active_days*pre_active_days), sum(CAST(active_d7 AS INTEGER)*pre_active_days), var_pop(coalesce(CAST(active_d7 AS INTEGER), 0))*count(*), var_pop(coalesce(pre_active_days, 0))*count(*), covar_pop(coalesce(pre_active_days, 0), coalesce(CAST(active_d7 AS INTEGER), 0))*count(*) FROM exp_users WHERE observed_days >= 7 GROUP BY variant;

-- [38] params: {}
SELECT variant, count(*), sum(CAST(active_d1 AS INTEGER)), sum(CAST(active_d1 AS INTEGER)*CAST(active_d1 AS INTEGER)), sum(pre_active_days), sum(pre_active_days*pre_active_days), sum(CAST(active_d1 AS INTEGER)*pre_active_days), var_pop(coalesce(CAST(active_d1 AS INTEGER), 0))*count(*), var_pop(coalesce(pre_active_days, 0))*count(*), covar_pop(coalesce(pre_active_days, 0), coalesce(CAST(active_d1 AS INTEGER), 0))*count(*) FROM exp_users WHERE observed_days >= 1 GROUP BY variant;

-- [39] params: {}
SELECT variant, count(*), sum(CAST(coalesce(first_goal_day < 7, FALSE) AS INTEGER)), sum(CAST(coalesce(first_goal_day < 7, FALSE) AS INTEGER)*CAST(coalesce(first_goal_day < 7, FALSE) AS INTEGER)), sum(pre_active_days), sum(pre_active_days*pre_active_days), sum(CAST(coalesce(first_goal_day < 7, FALSE) AS INTEGER)*pre_active_days), var_pop(coalesce(CAST(coalesce(first_goal_day < 7, FALSE) AS INTEGER), 0))*count(*), var_pop(coalesce(pre_active_days, 0))*count(*), covar_pop(coalesce(pre_active_days, 0), coalesce(CAST(coalesce(first_goal_day < 7, FALSE) AS INTEGER), 0))*count(*) FROM exp_users WHERE observed_days >= 6 GROUP BY variant;

-- [40] params: {}
SELECT variant, count(*), sum(sessions_d7), sum(sessions_d7*sessions_d7), sum(pre_active_days), sum(pre_active_days*pre_active_days), sum(sessions_d7*pre_active_days), var_pop(coalesce(sessions_d7, 0))*count(*), var_pop(coalesce(pre_active_days, 0))*count(*), covar_pop(coalesce(pre_active_days, 0), coalesce(sessions_d7, 0))*count(*) FROM exp_users WHERE observed_days >= 6 GROUP BY variant;

-- [41] params: {}
SELECT variant, count(*), sum(CAST(dismissed AS INTEGER)), sum(CAST(dismissed AS INTEGER)*CAST(dismissed AS INTEGER)), sum(pre_active_days), sum(pre_active_days*pre_active_days), sum(CAST(dismissed AS INTEGER)*pre_active_days), var_pop(coalesce(CAST(dismissed AS INTEGER), 0))*count(*), var_pop(coalesce(pre_active_days, 0))*count(*), covar_pop(coalesce(pre_active_days, 0), coalesce(CAST(dismissed AS INTEGER), 0))*count(*) FROM exp_users WHERE TRUE GROUP BY variant;

-- [42] params: {}
SELECT u.variant, d.range AS day, count(*) AS n
            FROM exp_users u, range(0, 31) d
            WHERE u.observed_days >= d.range GROUP BY ALL;

-- [43] params: {"tz": "Asia/Tokyo"}
WITH a AS (
              SELECT DISTINCT e.user_id,
                     datediff('day', u.assigned_day, CAST(timezone($tz, e.timestamp) AS DATE)) AS day
              FROM exp_activity e JOIN exp_users u USING (user_id))
            SELECT u.variant, a.day, count(*) FROM a JOIN exp_users u USING (user_id)
            WHERE a.day BETWEEN 0 AND 30 AND u.observed_days >= a.day GROUP BY ALL;

-- [44] params: {}
SELECT variant,
                  CASE WHEN first_goal_day IS NOT NULL THEN first_goal_day ELSE observed_days END AS t,
                  first_goal_day IS NOT NULL AS event, count(*)
           FROM exp_users WHERE observed_days >= 0 GROUP BY ALL;

-- [45] params: {}
SELECT variant, assigned_day, count(*), sum(CAST(active_d7 AS INTEGER)) FROM exp_users WHERE observed_days >= 7 GROUP BY ALL ORDER BY 2;

-- [46] params: {}
DESCRIBE users;

-- [47] params: {}
SELECT CAST(s."platform" AS VARCHAR) AS segment, e.variant, count(*), sum(CAST(active_d7 AS INTEGER))
            FROM exp_users e JOIN exp_user_attrs s USING (user_id) WHERE observed_days >= 7 GROUP BY ALL;

-- [48] params: {}
DESCRIBE users;

-- [49] params: {}
SELECT CASE WHEN s.signup_at IS NULL THEN NULL WHEN s.signup_at >= e.assigned_at - INTERVAL 1 DAY THEN 'new' ELSE 'existing' END AS segment, e.variant, count(*), sum(CAST(active_d7 AS INTEGER))
            FROM exp_users e JOIN exp_user_attrs s USING (user_id) WHERE observed_days >= 7 GROUP BY ALL;

-- [50] params: {}
DESCRIBE guide_events;

-- [51] params: {"gid": "onboarding-tour", "v": "tour"}
WITH s AS (
                  SELECT g.user_id, max(TRY_CAST(g.step AS INTEGER)) AS max_step
                  FROM exp_guide_events g JOIN exp_users u USING (user_id)
                  WHERE u.variant = $v AND g.guide_id = $gid AND CASE g.event WHEN 'app_session' THEN 'activity' WHEN 'tour_closed' THEN 'dismissed' WHEN 'tour_cta_clicked' THEN 'clicked' WHEN 'tour_finished' THEN 'completed' WHEN 'tour_opened' THEN 'opened' WHEN 'tour_step_viewed' THEN 'shown' ELSE g.event END = 'shown'
                  GROUP BY g.user_id)
                SELECT r.range AS step, count(*) FROM exp_users u LEFT JOIN s USING (user_id), range(1, 4) r
                WHERE u.variant = $v AND (s.max_step >= r.range OR u.completed) GROUP BY 1;

-- [52] params: {"v": "tour"}
SELECT count(*), count_if(completed) FROM exp_users WHERE variant = $v;

-- [53] params: {"gid": "onboarding-tour", "v": "tour"}
WITH e AS (
                  SELECT g.user_id, min(g.timestamp) FILTER (WHERE CASE g.event WHEN 'app_session' THEN 'activity' WHEN 'tour_closed' THEN 'dismissed' WHEN 'tour_cta_clicked' THEN 'clicked' WHEN 'tour_finished' THEN 'completed' WHEN 'tour_opened' THEN 'opened' WHEN 'tour_step_viewed' THEN 'shown' ELSE g.event END = 'shown') AS first_shown,
                         min(g.timestamp) FILTER (WHERE CASE g.event WHEN 'app_session' THEN 'activity' WHEN 'tour_closed' THEN 'dismissed' WHEN 'tour_cta_clicked' THEN 'clicked' WHEN 'tour_finished' THEN 'completed' WHEN 'tour_opened' THEN 'opened' WHEN 'tour_step_viewed' THEN 'shown' ELSE g.event END = 'completed') AS done
                  FROM exp_guide_events g JOIN exp_users u USING (user_id)
                  WHERE u.variant = $v AND g.guide_id = $gid
                  GROUP BY g.user_id),
                d AS (SELECT epoch(done) - epoch(first_shown) AS secs FROM e WHERE done IS NOT NULL AND first_shown IS NOT NULL)
                SELECT count(*) FILTER (WHERE secs >= 0), coalesce(sum(secs) FILTER (WHERE secs >= 0), 0),
                       coalesce(sum(secs * secs) FILTER (WHERE secs >= 0), 0), count(*) FILTER (WHERE secs < 0) FROM d;

-- [54] params: {"gid": "onboarding-checklist", "v": "checklist"}
WITH s AS (
                  SELECT g.user_id, max(TRY_CAST(g.step AS INTEGER)) AS max_step
                  FROM exp_guide_events g JOIN exp_users u USING (user_id)
                  WHERE u.variant = $v AND g.guide_id = $gid AND CASE g.event WHEN 'app_session' THEN 'activity' WHEN 'tour_closed' THEN 'dismissed' WHEN 'tour_cta_clicked' THEN 'clicked' WHEN 'tour_finished' THEN 'completed' WHEN 'tour_opened' THEN 'opened' WHEN 'tour_step_viewed' THEN 'shown' ELSE g.event END = 'shown'
                  GROUP BY g.user_id)
                SELECT r.range AS step, count(*) FROM exp_users u LEFT JOIN s USING (user_id), range(1, 4) r
                WHERE u.variant = $v AND (s.max_step >= r.range OR u.completed) GROUP BY 1;

-- [55] params: {"v": "checklist"}
SELECT count(*), count_if(completed) FROM exp_users WHERE variant = $v;

-- [56] params: {"gid": "onboarding-checklist", "v": "checklist"}
WITH e AS (
                  SELECT g.user_id, min(g.timestamp) FILTER (WHERE CASE g.event WHEN 'app_session' THEN 'activity' WHEN 'tour_closed' THEN 'dismissed' WHEN 'tour_cta_clicked' THEN 'clicked' WHEN 'tour_finished' THEN 'completed' WHEN 'tour_opened' THEN 'opened' WHEN 'tour_step_viewed' THEN 'shown' ELSE g.event END = 'shown') AS first_shown,
                         min(g.timestamp) FILTER (WHERE CASE g.event WHEN 'app_session' THEN 'activity' WHEN 'tour_closed' THEN 'dismissed' WHEN 'tour_cta_clicked' THEN 'clicked' WHEN 'tour_finished' THEN 'completed' WHEN 'tour_opened' THEN 'opened' WHEN 'tour_step_viewed' THEN 'shown' ELSE g.event END = 'completed') AS done
                  FROM exp_guide_events g JOIN exp_users u USING (user_id)
                  WHERE u.variant = $v AND g.guide_id = $gid
                  GROUP BY g.user_id),
                d AS (SELECT epoch(done) - epoch(first_shown) AS secs FROM e WHERE done IS NOT NULL AND first_shown IS NOT NULL)
                SELECT count(*) FILTER (WHERE secs >= 0), coalesce(sum(secs) FILTER (WHERE secs >= 0), 0),
                       coalesce(sum(secs * secs) FILTER (WHERE secs >= 0), 0), count(*) FILTER (WHERE secs < 0) FROM d;

-- [57] params: {"tz": "Asia/Tokyo"}
WITH act AS (
              SELECT DISTINCT e.user_id, u.variant, CAST(timezone($tz, e.timestamp) AS DATE) AS day
              FROM exp_activity e JOIN exp_users u USING (user_id)),
            days AS (SELECT DISTINCT day FROM act)
            SELECT a.variant, d.day,
                   count(DISTINCT a.user_id) FILTER (WHERE a.day = d.day) AS dau,
                   count(DISTINCT a.user_id) FILTER (WHERE a.day > d.day - 7) AS wau,
                   count(DISTINCT a.user_id) AS mau
            FROM days d JOIN act a ON a.day <= d.day AND a.day > d.day - 30
            GROUP BY ALL ORDER BY 2;

-- [58] params: {}
DESCRIBE guide_events;
