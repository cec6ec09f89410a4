-- guidelab SQL for onboarding-tour-vs-checklist on data/sample, dialect: duckdb
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

-- [6] params: {"end": "2026-10-28T15:00:00+00:00", "exp": "onboarding-tour-vs-checklist", "now": "2026-11-30T15:00:00+00:00"}
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

-- [7] params: {}
SELECT min(epoch_us("assigned_at")), max(epoch_us("assigned_at")) FROM assignments;

-- [8] params: {"tz": "Asia/Tokyo"}
WITH b AS (SELECT range AS b FROM range(1790809200000000, 1793195974000001, 900000000)),
            o AS (SELECT b, epoch_us(timezone($tz, make_timestamptz(b))) - b AS o0,
                         epoch_us(timezone($tz, make_timestamptz(b + 899999999))) - b - 899999999 AS o1
                  FROM b),
            r AS (SELECT b, o0, o1, lag(o0) OVER (ORDER BY b) AS prev FROM o)
            SELECT b, o0, o1 FROM r WHERE prev IS NULL OR prev <> o0 OR o0 <> o1 ORDER BY b;

-- [9] params: {}
CREATE OR REPLACE TEMP TABLE exp_assigned AS
SELECT CAST(row_number() OVER (ORDER BY user_id) AS INTEGER) AS uk, user_id, variant, assigned_at,
       CAST(make_timestamp(epoch_us("assigned_at") + 32400000000) AS DATE) AS assigned_day
FROM ledger_assignments WHERE _gl_reason IS NULL;

-- [10] params: {}
DESCRIBE guide_events;

-- [11] params: {}
SELECT min(epoch_us("timestamp")), max(epoch_us("timestamp")) FROM guide_events;

-- [12] params: {"tz": "Asia/Tokyo"}
WITH b AS (SELECT range AS b FROM range(1790809200000000, 1793196090000001, 900000000)),
            o AS (SELECT b, epoch_us(timezone($tz, make_timestamptz(b))) - b AS o0,
                         epoch_us(timezone($tz, make_timestamptz(b + 899999999))) - b - 899999999 AS o1
                  FROM b),
            r AS (SELECT b, o0, o1, lag(o0) OVER (ORDER BY b) AS prev FROM o)
            SELECT b, o0, o1 FROM r WHERE prev IS NULL OR prev <> o0 OR o0 <> o1 ORDER BY b;

-- [13] params: {"end": "2026-10-28T15:00:00+00:00", "now": "2026-11-30T15:00:00+00:00"}
CREATE OR REPLACE TEMP TABLE ledger_guide_events AS
WITH r AS (SELECT *, row_number() OVER (PARTITION BY "user_id", "guide_id", "step", "event", "timestamp") AS _gl_dup,
                  CAST(make_timestamp(epoch_us("timestamp") + 32400000000) AS DATE) AS _gl_day
           FROM guide_events)
SELECT r.* EXCLUDE (_gl_dup), r.guide_id IN ('onboarding-tour', 'onboarding-checklist') AS _gl_own, a.uk AS _gl_uk, CASE WHEN r.user_id IS NULL OR r.guide_id IS NULL OR r.event IS NULL THEN 'missing_key' WHEN r.timestamp IS NULL THEN 'missing_time' WHEN r.guide_id NOT IN ('onboarding-tour', 'onboarding-checklist') AND NOT FALSE THEN 'other_guide' WHEN a.user_id IS NULL THEN 'not_in_experiment' WHEN r._gl_dup > 1 THEN 'exact_duplicate' WHEN r.timestamp >= $now THEN 'future' WHEN r.timestamp < a.assigned_at THEN 'before_assignment' WHEN r.timestamp >= $end THEN 'after_analysis_date' WHEN r.guide_id IN ('onboarding-tour', 'onboarding-checklist') AND CASE r.event WHEN 'app_session' THEN 'activity' WHEN 'tour_closed' THEN 'dismissed' WHEN 'tour_cta_clicked' THEN 'clicked' WHEN 'tour_finished' THEN 'completed' WHEN 'tour_opened' THEN 'opened' WHEN 'tour_step_viewed' THEN 'shown' ELSE r.event END NOT IN ('shown', 'opened', 'clicked', 'dismissed', 'completed', 'opted_out', 'answered') THEN 'unknown_event' WHEN (r.step IS NOT NULL AND coalesce((CASE WHEN TRY_CAST(trim(CAST(r.step AS VARCHAR)) AS DOUBLE) = floor(TRY_CAST(trim(CAST(r.step AS VARCHAR)) AS DOUBLE)) THEN TRY_CAST(trim(CAST(r.step AS VARCHAR)) AS DOUBLE) END) < 1, TRUE)) THEN 'out_of_range' END AS _gl_reason
FROM r LEFT JOIN exp_assigned a USING (user_id);

-- [14] params: {}
CREATE OR REPLACE TEMP VIEW exp_guide_events_all AS SELECT * EXCLUDE (_gl_reason, _gl_own, _gl_uk, _gl_day) FROM ledger_guide_events WHERE _gl_reason IS NULL;

-- [15] params: {}
CREATE OR REPLACE TEMP VIEW exp_guide_events AS SELECT * EXCLUDE (_gl_reason, _gl_own, _gl_uk, _gl_day) FROM ledger_guide_events WHERE _gl_reason IS NULL AND _gl_own;

-- [16] params: {}
DESCRIBE activity;

-- [17] params: {}
SELECT min(epoch_us("timestamp")), max(epoch_us("timestamp")) FROM activity;

-- [18] params: {"tz": "Asia/Tokyo"}
WITH b AS (SELECT range AS b FROM range(1789598700000000, 1793196081000001, 900000000)),
            o AS (SELECT b, epoch_us(timezone($tz, make_timestamptz(b))) - b AS o0,
                         epoch_us(timezone($tz, make_timestamptz(b + 899999999))) - b - 899999999 AS o1
                  FROM b),
            r AS (SELECT b, o0, o1, lag(o0) OVER (ORDER BY b) AS prev FROM o)
            SELECT b, o0, o1 FROM r WHERE prev IS NULL OR prev <> o0 OR o0 <> o1 ORDER BY b;

-- [19] params: {}
CREATE OR REPLACE TEMP VIEW ledger_activity AS
WITH r AS (SELECT *, row_number() OVER (PARTITION BY "user_id", "timestamp", "event") AS _gl_dup,
                  CAST(make_timestamp(epoch_us("timestamp") + 32400000000) AS DATE) AS _gl_day
           FROM activity)
SELECT r.* EXCLUDE (_gl_dup), r.timestamp < a.assigned_at AS _gl_pre, a.uk AS _gl_uk, CASE WHEN r.user_id IS NULL THEN 'missing_key' WHEN r.timestamp IS NULL THEN 'missing_time' WHEN a.user_id IS NULL THEN 'not_in_experiment' WHEN r._gl_dup > 1 THEN 'exact_duplicate' WHEN r.timestamp >= TIMESTAMPTZ '2026-11-30T15:00:00+00:00' THEN 'future' WHEN r.timestamp < a.assigned_at AND NOT (r._gl_day >= a.assigned_day - INTERVAL 14 DAY AND r._gl_day < a.assigned_day) THEN 'before_assignment' WHEN r.timestamp >= TIMESTAMPTZ '2026-10-28T15:00:00+00:00' THEN 'after_analysis_date' END AS _gl_reason
FROM r LEFT JOIN exp_assigned a USING (user_id);

-- [20] params: {}
CREATE OR REPLACE TEMP TABLE ledger_activity_days AS
SELECT _gl_reason, _gl_uk AS uk, _gl_day AS day, coalesce(_gl_pre, FALSE) AS pre, count(*) AS events,
       bool_or(coalesce(event IN ('project_created'), FALSE)) AS goal, bool_or(FALSE) AS support,
       min(CASE WHEN _gl_reason IS NOT NULL THEN concat_ws(', ', 'user_id=' || coalesce(left(CAST("user_id" AS VARCHAR), 60), 'NULL'), 'timestamp=' || coalesce(left(CAST("timestamp" AS VARCHAR), 60), 'NULL'), 'event=' || coalesce(left(CAST("event" AS VARCHAR), 60), 'NULL')) END) AS example
FROM ledger_activity GROUP BY ALL;

-- [21] params: {}
CREATE OR REPLACE TEMP VIEW exp_activity_days AS SELECT uk, day, pre, events, goal, support FROM ledger_activity_days WHERE _gl_reason IS NULL;

-- [22] params: {}
CREATE OR REPLACE TEMP VIEW exp_activity AS SELECT * EXCLUDE (_gl_reason, _gl_pre, _gl_uk, _gl_day) FROM ledger_activity WHERE _gl_reason IS NULL AND NOT _gl_pre;

-- [23] params: {}
CREATE OR REPLACE TEMP VIEW exp_activity_pre AS SELECT * EXCLUDE (_gl_reason, _gl_pre, _gl_uk, _gl_day) FROM ledger_activity WHERE _gl_reason IS NULL AND _gl_pre;

-- [24] params: {}
DESCRIBE users;

-- [25] params: {}
CREATE OR REPLACE TEMP TABLE ledger_users AS
WITH r AS (SELECT *, row_number() OVER (PARTITION BY "user_id", "signup_at", "platform", "locale", "plan") AS _gl_dup FROM users),
s AS (SELECT *, row_number() OVER (PARTITION BY user_id, _gl_dup > 1 ORDER BY "user_id", "signup_at", "platform", "locale", "plan") AS _gl_rank FROM r)
SELECT s.* EXCLUDE (_gl_dup, _gl_rank), CASE WHEN s.user_id IS NULL THEN 'missing_key' WHEN a.user_id IS NULL THEN 'not_in_experiment' WHEN s._gl_dup > 1 THEN 'exact_duplicate' WHEN s._gl_rank > 1 THEN 'duplicate_user' END AS _gl_reason
FROM s LEFT JOIN exp_assigned a USING (user_id);

-- [26] params: {}
CREATE OR REPLACE TEMP VIEW exp_user_attrs AS SELECT * EXCLUDE (_gl_reason) FROM ledger_users WHERE _gl_reason IS NULL;

-- [27] params: {"end": "2026-10-28T15:00:00+00:00", "exp": "onboarding-tour-vs-checklist"}
SELECT count(*), count_if(user_id IS NULL), count_if(variant NOT IN ('holdout', 'tour', 'checklist') OR variant IS NULL)
FROM ledger_assignments WHERE experiment = $exp AND assigned_at < $end;

-- [28] params: {}
SELECT count(DISTINCT user_id) FROM ledger_assignments WHERE _gl_reason = 'multiple_arms';

-- [29] params: {}
DESCRIBE guide_events;

-- [30] params: {}
CREATE OR REPLACE TEMP TABLE exp_guide_user AS
WITH e AS (
    SELECT g._gl_uk AS uk, g.guide_id, g._gl_own AS own, g.timestamp, CASE g.event WHEN 'app_session' THEN 'activity' WHEN 'tour_closed' THEN 'dismissed' WHEN 'tour_cta_clicked' THEN 'clicked' WHEN 'tour_finished' THEN 'completed' WHEN 'tour_opened' THEN 'opened' WHEN 'tour_step_viewed' THEN 'shown' ELSE g.event END AS ev,
           TRY_CAST(g.step AS INTEGER) AS raw_step,
           coalesce(TRY_CAST(g.step AS INTEGER), 1) AS step,
           datediff('day', a.assigned_day, g._gl_day) AS day
    FROM ledger_guide_events g JOIN exp_assigned a ON a.uk = g._gl_uk
    WHERE g._gl_reason IS NULL)
SELECT uk, guide_id, bool_or(own) AS own, bool_or(e.ev = 'shown') AS shown, bool_or(e.ev = 'opened') AS opened, bool_or(e.ev = 'clicked') AS clicked, bool_or(e.ev = 'dismissed') AS dismissed, bool_or(e.ev = 'completed') AS completed, bool_or(e.ev = 'opted_out') AS opted_out, bool_or(e.ev = 'answered') AS answered,
       count_if(e.ev = 'shown' AND e.step = 1) AS shown_n, count_if(e.ev = 'clicked') AS clicked_n,
       max(e.raw_step) FILTER (WHERE e.ev = 'shown') AS max_shown_step,
       min(e.timestamp) FILTER (WHERE e.ev = 'shown') AS first_shown,
       min(e.timestamp) FILTER (WHERE e.ev = 'completed') AS first_completed,
       bool_or(e.ev = 'shown' AND e.day < 7) AS shown_in_period
FROM e GROUP BY uk, guide_id;

-- [31] params: {}
DESCRIBE guide_events;

-- [32] params: {"asof": "2026-10-28"}
CREATE OR REPLACE TEMP TABLE exp_users AS
        WITH gf AS (
            SELECT uk, bool_or(g.shown) AS shown,
bool_or(g.opened) AS opened,
bool_or(g.clicked) AS clicked,
bool_or(g.dismissed) AS dismissed,
bool_or(g.completed) AS completed,
bool_or(g.opted_out) AS opted_out,
bool_or(g.answered) AS answered, sum(shown_n) AS shown_n, sum(clicked_n) AS clicked_n
            FROM exp_guide_user g WHERE own GROUP BY uk
        ), ox AS (
            SELECT uk, count(*) AS guides_shown FROM exp_guide_user WHERE shown_in_period GROUP BY uk
        ), a AS (  -- the pre-period's days count as pre_active_days; every other column is NULL on them
            SELECT d.uk, d.pre AS pre_day,
                   CASE WHEN NOT d.pre THEN datediff('day', u2.assigned_day, d.day) END AS day,
                   CASE WHEN NOT d.pre THEN d.events END AS sessions,  -- the activity rows of the day (registry aggregates sum it)
                   CASE WHEN NOT d.pre THEN d.goal END AS is_goal,  -- the registry's names (docs/metrics.md)
                   CASE WHEN NOT d.pre THEN d.support END AS is_support
            FROM exp_activity_days d JOIN exp_assigned u2 USING (uk)
        ), af AS (
            SELECT uk, count_if(pre_day) AS pre_active_days, min(day) FILTER (WHERE is_goal) AS first_goal_day,
                   min(day) FILTER (WHERE is_support) AS first_support_day, bool_or(day = 1) AS active_d1, bool_or(day = 7) AS active_d7, CAST(sum(sessions) FILTER (WHERE day BETWEEN 0 AND 6) AS BIGINT) AS sessions_d7
            FROM a GROUP BY uk
        )
        SELECT u2.uk, u2.user_id, u2.variant, u2.assigned_at, u2.assigned_day,
               datediff('day', u2.assigned_day, $asof) AS observed_days,
               coalesce(gf.shown, FALSE) AS shown, coalesce(gf.opened, FALSE) AS opened,
               coalesce(gf.clicked, FALSE) AS clicked, coalesce(gf.dismissed, FALSE) AS dismissed,
               coalesce(gf.completed, FALSE) AS completed, coalesce(gf.opted_out, FALSE) AS opted_out,
               coalesce(gf.answered, FALSE) AS answered, af.first_goal_day, af.first_support_day,
               coalesce(ox.guides_shown, 0) AS guides_shown,
               CAST(coalesce(gf.shown_n, 0) AS BIGINT) AS shown_n, CAST(coalesce(gf.clicked_n, 0) AS BIGINT) AS clicked_n,
               coalesce(af.pre_active_days, 0) AS pre_active_days, coalesce(af.active_d1, FALSE) AS active_d1, coalesce(af.active_d7, FALSE) AS active_d7, coalesce(af.sessions_d7, 0) AS sessions_d7
        FROM exp_assigned u2 LEFT JOIN gf USING (uk) LEFT JOIN af USING (uk)
             LEFT JOIN ox USING (uk);

-- [33] params: {}
SELECT count(*) FROM exp_users u WHERE u.shown AND u.variant IN
('holdout');

-- [34] params: {}
SELECT count(*), count_if(shown) FROM exp_users WHERE variant IN ('tour', 'checklist');

-- [35] params: {}
DESCRIBE assignments;

-- [36] params: {}
SELECT _gl_reason, min(concat_ws(', ', 'user_id=' || coalesce(left(CAST("user_id" AS VARCHAR), 60), 'NULL'), 'experiment=' || coalesce(left(CAST("experiment" AS VARCHAR), 60), 'NULL'), 'variant=' || coalesce(left(CAST("variant" AS VARCHAR), 60), 'NULL'), 'assigned_at=' || coalesce(left(CAST("assigned_at" AS VARCHAR), 60), 'NULL'))) FROM ledger_assignments WHERE _gl_reason IS NOT NULL GROUP BY 1;

-- [37] params: {}
SELECT _gl_reason, count(*) FROM ledger_assignments GROUP BY 1;

-- [38] params: {}
DESCRIBE guide_events;

-- [39] params: {}
SELECT _gl_reason, min(concat_ws(', ', 'user_id=' || coalesce(left(CAST("user_id" AS VARCHAR), 60), 'NULL'), 'guide_id=' || coalesce(left(CAST("guide_id" AS VARCHAR), 60), 'NULL'), 'step=' || coalesce(left(CAST("step" AS VARCHAR), 60), 'NULL'), 'event=' || coalesce(left(CAST("event" AS VARCHAR), 60), 'NULL'), 'timestamp=' || coalesce(left(CAST("timestamp" AS VARCHAR), 60), 'NULL'))) FROM ledger_guide_events WHERE _gl_reason IS NOT NULL GROUP BY 1;

-- [40] params: {}
SELECT _gl_reason, count(*) FROM ledger_guide_events GROUP BY 1;

-- [41] params: {}
DESCRIBE activity;

-- [42] params: {}
SELECT _gl_reason, sum(events), min(example) FROM ledger_activity_days GROUP BY 1;

-- [43] params: {}
DESCRIBE users;

-- [44] params: {}
SELECT _gl_reason, min(concat_ws(', ', 'user_id=' || coalesce(left(CAST("user_id" AS VARCHAR), 60), 'NULL'), 'signup_at=' || coalesce(left(CAST("signup_at" AS VARCHAR), 60), 'NULL'), 'platform=' || coalesce(left(CAST("platform" AS VARCHAR), 60), 'NULL'), 'locale=' || coalesce(left(CAST("locale" AS VARCHAR), 60), 'NULL'), 'plan=' || coalesce(left(CAST("plan" AS VARCHAR), 60), 'NULL'))) FROM ledger_users WHERE _gl_reason IS NOT NULL GROUP BY 1;

-- [45] params: {}
SELECT _gl_reason, count(*) FROM ledger_users GROUP BY 1;

-- [46] params: {}
SELECT variant, count(*) FROM exp_users GROUP BY variant;

-- [47] params: {}
SELECT assigned_day, variant, count(*) FROM exp_users GROUP BY ALL ORDER BY 1, 2;

-- [48] params: {}
SELECT variant, count(*), sum(CAST(active_d7 AS INTEGER)), sum(CAST(active_d7 AS INTEGER)*CAST(active_d7 AS INTEGER)), sum(pre_active_days), sum(pre_active_days*pre_active_days), sum(CAST(active_d7 AS INTEGER)*pre_active_days), var_pop(coalesce(CAST(active_d7 AS INTEGER), 0))*count(*), var_pop(coalesce(pre_active_days, 0))*count(*), covar_pop(coalesce(pre_active_days, 0), coalesce(CAST(active_d7 AS INTEGER), 0))*count(*) FROM exp_users WHERE observed_days >= 7 GROUP BY variant;

-- [49] params: {}
WITH e AS (SELECT user_id, variant, assigned_at, CAST(active_d7 AS INTEGER) AS y, pre_active_days AS x
           FROM exp_users WHERE observed_days >= 7)
SELECT e.variant, coalesce(CASE WHEN s.signup_at IS NULL THEN NULL WHEN s.signup_at >= e.assigned_at - INTERVAL 1 DAY THEN 'new' ELSE 'existing' END, '(missing)') AS a0, coalesce(CAST(s."plan" AS VARCHAR), '(missing)') AS a1, count(*), sum(y), sum(y*y), sum(x), sum(x*x), sum(x*y),
       var_pop(coalesce(y, 0))*count(*), var_pop(coalesce(x, 0))*count(*),
       covar_pop(coalesce(x, 0), coalesce(y, 0))*count(*)
FROM e LEFT JOIN exp_user_attrs s ON s.user_id = e.user_id
GROUP BY 1, 2, 3;

-- [50] params: {}
SELECT variant, count(*), sum(CAST(active_d1 AS INTEGER)), sum(CAST(active_d1 AS INTEGER)*CAST(active_d1 AS INTEGER)), sum(pre_active_days), sum(pre_active_days*pre_active_days), sum(CAST(active_d1 AS INTEGER)*pre_active_days), var_pop(coalesce(CAST(active_d1 AS INTEGER), 0))*count(*), var_pop(coalesce(pre_active_days, 0))*count(*), covar_pop(coalesce(pre_active_days, 0), coalesce(CAST(active_d1 AS INTEGER), 0))*count(*) FROM exp_users WHERE observed_days >= 1 GROUP BY variant;

-- [51] params: {}
WITH e AS (SELECT user_id, variant, assigned_at, CAST(active_d1 AS INTEGER) AS y, pre_active_days AS x
           FROM exp_users WHERE observed_days >= 1)
SELECT e.variant, coalesce(CASE WHEN s.signup_at IS NULL THEN NULL WHEN s.signup_at >= e.assigned_at - INTERVAL 1 DAY THEN 'new' ELSE 'existing' END, '(missing)') AS a0, coalesce(CAST(s."plan" AS VARCHAR), '(missing)') AS a1, count(*), sum(y), sum(y*y), sum(x), sum(x*x), sum(x*y),
       var_pop(coalesce(y, 0))*count(*), var_pop(coalesce(x, 0))*count(*),
       covar_pop(coalesce(x, 0), coalesce(y, 0))*count(*)
FROM e LEFT JOIN exp_user_attrs s ON s.user_id = e.user_id
GROUP BY 1, 2, 3;

-- [52] params: {}
SELECT variant, count(*), sum(CAST(coalesce(first_goal_day < 7, FALSE) AS INTEGER)), sum(CAST(coalesce(first_goal_day < 7, FALSE) AS INTEGER)*CAST(coalesce(first_goal_day < 7, FALSE) AS INTEGER)), sum(pre_active_days), sum(pre_active_days*pre_active_days), sum(CAST(coalesce(first_goal_day < 7, FALSE) AS INTEGER)*pre_active_days), var_pop(coalesce(CAST(coalesce(first_goal_day < 7, FALSE) AS INTEGER), 0))*count(*), var_pop(coalesce(pre_active_days, 0))*count(*), covar_pop(coalesce(pre_active_days, 0), coalesce(CAST(coalesce(first_goal_day < 7, FALSE) AS INTEGER), 0))*count(*) FROM exp_users WHERE observed_days >= 6 GROUP BY variant;

-- [53] params: {}
WITH e AS (SELECT user_id, variant, assigned_at, CAST(coalesce(first_goal_day < 7, FALSE) AS INTEGER) AS y, pre_active_days AS x
           FROM exp_users WHERE observed_days >= 6)
SELECT e.variant, coalesce(CASE WHEN s.signup_at IS NULL THEN NULL WHEN s.signup_at >= e.assigned_at - INTERVAL 1 DAY THEN 'new' ELSE 'existing' END, '(missing)') AS a0, coalesce(CAST(s."plan" AS VARCHAR), '(missing)') AS a1, count(*), sum(y), sum(y*y), sum(x), sum(x*x), sum(x*y),
       var_pop(coalesce(y, 0))*count(*), var_pop(coalesce(x, 0))*count(*),
       covar_pop(coalesce(x, 0), coalesce(y, 0))*count(*)
FROM e LEFT JOIN exp_user_attrs s ON s.user_id = e.user_id
GROUP BY 1, 2, 3;

-- [54] params: {}
SELECT count(sessions_d7) FROM exp_users WHERE observed_days >= 6;

-- [55] params: {}
SELECT min(v) FROM (
    SELECT v, sum(c) OVER (ORDER BY v ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) AS cum
    FROM (SELECT sessions_d7 AS v, count(*) AS c FROM exp_users WHERE observed_days >= 6 AND sessions_d7 IS NOT NULL
          GROUP BY 1) g) w
WHERE cum >= 9268;

-- [56] params: {}
SELECT variant, count(*), count_if(sessions_d7 > 15) FROM exp_users WHERE observed_days >= 6 GROUP BY variant;

-- [57] params: {}
SELECT variant, count(*), sum((CASE WHEN sessions_d7 > 15 THEN 15 ELSE sessions_d7 END)), sum((CASE WHEN sessions_d7 > 15 THEN 15 ELSE sessions_d7 END)*(CASE WHEN sessions_d7 > 15 THEN 15 ELSE sessions_d7 END)), sum(pre_active_days), sum(pre_active_days*pre_active_days), sum((CASE WHEN sessions_d7 > 15 THEN 15 ELSE sessions_d7 END)*pre_active_days), var_pop(coalesce((CASE WHEN sessions_d7 > 15 THEN 15 ELSE sessions_d7 END), 0))*count(*), var_pop(coalesce(pre_active_days, 0))*count(*), covar_pop(coalesce(pre_active_days, 0), coalesce((CASE WHEN sessions_d7 > 15 THEN 15 ELSE sessions_d7 END), 0))*count(*) FROM exp_users WHERE observed_days >= 6 GROUP BY variant;

-- [58] params: {}
WITH e AS (SELECT user_id, variant, assigned_at, (CASE WHEN sessions_d7 > 15 THEN 15 ELSE sessions_d7 END) AS y, pre_active_days AS x
           FROM exp_users WHERE observed_days >= 6)
SELECT e.variant, coalesce(CASE WHEN s.signup_at IS NULL THEN NULL WHEN s.signup_at >= e.assigned_at - INTERVAL 1 DAY THEN 'new' ELSE 'existing' END, '(missing)') AS a0, coalesce(CAST(s."plan" AS VARCHAR), '(missing)') AS a1, count(*), sum(y), sum(y*y), sum(x), sum(x*x), sum(x*y),
       var_pop(coalesce(y, 0))*count(*), var_pop(coalesce(x, 0))*count(*),
       covar_pop(coalesce(x, 0), coalesce(y, 0))*count(*)
FROM e LEFT JOIN exp_user_attrs s ON s.user_id = e.user_id
GROUP BY 1, 2, 3;

-- [59] params: {}
SELECT variant, count(*), count_if((coalesce(first_goal_day < 7, FALSE)) AND CAST(first_goal_day AS DOUBLE) IS NOT NULL) FROM exp_users WHERE observed_days >= 6 GROUP BY variant;

-- [60] params: {}
SELECT variant, r, v FROM (SELECT variant, CAST(first_goal_day AS DOUBLE) AS v, row_number() OVER (PARTITION BY variant ORDER BY CAST(first_goal_day AS DOUBLE)) AS r FROM exp_users WHERE observed_days >= 6 AND (coalesce(first_goal_day < 7, FALSE)) AND CAST(first_goal_day AS DOUBLE) IS NOT NULL) q WHERE (variant = 'checklist' AND r IN (876, 929, 981)) OR (variant = 'holdout' AND r IN (430, 467, 504)) OR (variant = 'tour' AND r IN (892, 945, 997)) ORDER BY variant, r;

-- [61] params: {}
WITH e AS (SELECT user_id, variant, assigned_at, first_goal_day AS y, pre_active_days AS x
           FROM exp_users WHERE observed_days >= 6)
SELECT e.variant, coalesce(CASE WHEN s.signup_at IS NULL THEN NULL WHEN s.signup_at >= e.assigned_at - INTERVAL 1 DAY THEN 'new' ELSE 'existing' END, '(missing)') AS a0, coalesce(CAST(s."plan" AS VARCHAR), '(missing)') AS a1, count(*), sum(y), sum(y*y), sum(x), sum(x*x), sum(x*y),
       var_pop(coalesce(y, 0))*count(*), var_pop(coalesce(x, 0))*count(*),
       covar_pop(coalesce(x, 0), coalesce(y, 0))*count(*)
FROM e LEFT JOIN exp_user_attrs s ON s.user_id = e.user_id
GROUP BY 1, 2, 3;

-- [62] params: {}
SELECT variant, count(*), sum(CAST(dismissed AS INTEGER)), sum(CAST(dismissed AS INTEGER)*CAST(dismissed AS INTEGER)), sum(pre_active_days), sum(pre_active_days*pre_active_days), sum(CAST(dismissed AS INTEGER)*pre_active_days), var_pop(coalesce(CAST(dismissed AS INTEGER), 0))*count(*), var_pop(coalesce(pre_active_days, 0))*count(*), covar_pop(coalesce(pre_active_days, 0), coalesce(CAST(dismissed AS INTEGER), 0))*count(*) FROM exp_users WHERE TRUE GROUP BY variant;

-- [63] params: {}
WITH e AS (SELECT user_id, variant, assigned_at, CAST(dismissed AS INTEGER) AS y, pre_active_days AS x
           FROM exp_users WHERE TRUE)
SELECT e.variant, coalesce(CASE WHEN s.signup_at IS NULL THEN NULL WHEN s.signup_at >= e.assigned_at - INTERVAL 1 DAY THEN 'new' ELSE 'existing' END, '(missing)') AS a0, coalesce(CAST(s."plan" AS VARCHAR), '(missing)') AS a1, count(*), sum(y), sum(y*y), sum(x), sum(x*x), sum(x*y),
       var_pop(coalesce(y, 0))*count(*), var_pop(coalesce(x, 0))*count(*),
       covar_pop(coalesce(x, 0), coalesce(y, 0))*count(*)
FROM e LEFT JOIN exp_user_attrs s ON s.user_id = e.user_id
GROUP BY 1, 2, 3;

-- [64] params: {}
WITH o AS (SELECT variant, least(observed_days, 30) AS observed, count(*) AS n
                       FROM exp_users WHERE observed_days >= 0 GROUP BY ALL)
            SELECT o.variant, d.range AS day, CAST(sum(o.n) AS BIGINT) AS n
            FROM o, range(0, 31) d
            WHERE o.observed >= d.range GROUP BY ALL;

-- [65] params: {}
SELECT variant, day, count(*) FROM (
              SELECT u.variant, u.observed_days, datediff('day', u.assigned_day, d.day) AS day
              FROM exp_activity_days d JOIN exp_users u USING (uk) WHERE NOT d.pre) a
            WHERE day BETWEEN 0 AND 30 AND observed_days >= day GROUP BY ALL;

-- [66] params: {}
SELECT variant,
                  CASE WHEN first_goal_day IS NOT NULL THEN first_goal_day ELSE observed_days END AS t,
                  first_goal_day IS NOT NULL AS event, count(*)
           FROM exp_users WHERE observed_days >= 0 GROUP BY ALL;

-- [67] params: {}
SELECT variant, assigned_day, count(*), sum(CAST(active_d7 AS INTEGER)) FROM exp_users WHERE observed_days >= 7 GROUP BY ALL ORDER BY 2;

-- [68] params: {}
DESCRIBE users;

-- [69] params: {}
SELECT CAST(s."platform" AS VARCHAR) AS segment, e.variant, count(*), sum(CAST(active_d7 AS INTEGER))
            FROM exp_users e JOIN exp_user_attrs s USING (user_id) WHERE observed_days >= 7 GROUP BY ALL;

-- [70] params: {}
DESCRIBE users;

-- [71] params: {}
SELECT CASE WHEN s.signup_at IS NULL THEN NULL WHEN s.signup_at >= e.assigned_at - INTERVAL 1 DAY THEN 'new' ELSE 'existing' END AS segment, e.variant, count(*), sum(CAST(active_d7 AS INTEGER))
            FROM exp_users e JOIN exp_user_attrs s USING (user_id) WHERE observed_days >= 7 GROUP BY ALL;

-- [72] params: {}
DESCRIBE guide_events;

-- [73] params: {"gid": "onboarding-tour", "v": "tour"}
WITH s AS (SELECT uk, max_shown_step AS max_step FROM exp_guide_user WHERE guide_id = $gid)
                SELECT r.range AS step, count(*) FROM exp_users u LEFT JOIN s USING (uk), range(1, 4) r
                WHERE u.variant = $v AND (s.max_step >= r.range OR u.completed) GROUP BY 1;

-- [74] params: {"v": "tour"}
SELECT count(*), count_if(completed) FROM exp_users WHERE variant = $v;

-- [75] params: {"gid": "onboarding-tour", "v": "tour"}
WITH d AS (
                  SELECT epoch(g.first_completed) - epoch(g.first_shown) AS secs
                  FROM exp_guide_user g JOIN exp_users u USING (uk)
                  WHERE u.variant = $v AND g.guide_id = $gid AND g.first_completed IS NOT NULL
                    AND g.first_shown IS NOT NULL)
                SELECT count(*) FILTER (WHERE secs >= 0), coalesce(sum(secs) FILTER (WHERE secs >= 0), 0),
                       coalesce(sum(secs * secs) FILTER (WHERE secs >= 0), 0), count(*) FILTER (WHERE secs < 0) FROM d;

-- [76] params: {"gid": "onboarding-checklist", "v": "checklist"}
WITH s AS (SELECT uk, max_shown_step AS max_step FROM exp_guide_user WHERE guide_id = $gid)
                SELECT r.range AS step, count(*) FROM exp_users u LEFT JOIN s USING (uk), range(1, 4) r
                WHERE u.variant = $v AND (s.max_step >= r.range OR u.completed) GROUP BY 1;

-- [77] params: {"v": "checklist"}
SELECT count(*), count_if(completed) FROM exp_users WHERE variant = $v;

-- [78] params: {"gid": "onboarding-checklist", "v": "checklist"}
WITH d AS (
                  SELECT epoch(g.first_completed) - epoch(g.first_shown) AS secs
                  FROM exp_guide_user g JOIN exp_users u USING (uk)
                  WHERE u.variant = $v AND g.guide_id = $gid AND g.first_completed IS NOT NULL
                    AND g.first_shown IS NOT NULL)
                SELECT count(*) FILTER (WHERE secs >= 0), coalesce(sum(secs) FILTER (WHERE secs >= 0), 0),
                       coalesce(sum(secs * secs) FILTER (WHERE secs >= 0), 0), count(*) FILTER (WHERE secs < 0) FROM d;

-- [79] params: {}
WITH act AS (
              SELECT u.variant, d.day, lag(d.day) OVER (PARTITION BY d.uk ORDER BY d.day) AS prev
              FROM exp_activity_days d JOIN exp_users u USING (uk) WHERE NOT d.pre),
            days AS (SELECT DISTINCT day FROM act),
            arms AS (SELECT DISTINCT variant FROM act),
            steps AS (
              SELECT variant, day, 1 AS dau, 0 AS wau, 0 AS mau FROM act
              UNION ALL SELECT variant, CASE WHEN prev IS NULL OR prev + 7 <= day THEN day ELSE prev + 7 END,
                               0, 1, 0 FROM act
              UNION ALL SELECT variant, day + 7, 0, -1, 0 FROM act
              UNION ALL SELECT variant, CASE WHEN prev IS NULL OR prev + 30 <= day THEN day ELSE prev + 30 END,
                               0, 0, 1 FROM act
              UNION ALL SELECT variant, day + 30, 0, 0, -1 FROM act
              UNION ALL SELECT arms.variant, days.day, 0, 0, 0 FROM arms CROSS JOIN days),
            per_day AS (SELECT variant, day, sum(dau) AS dau, sum(wau) AS wau, sum(mau) AS mau
                        FROM steps GROUP BY variant, day),
            running AS (
              SELECT variant, day, dau,
                     sum(wau) OVER (PARTITION BY variant ORDER BY day ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) AS wau,
                     sum(mau) OVER (PARTITION BY variant ORDER BY day ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) AS mau
              FROM per_day)
            SELECT r.variant, r.day, CAST(r.dau AS BIGINT), CAST(r.wau AS BIGINT), CAST(r.mau AS BIGINT)
            FROM running r JOIN days USING (day) WHERE r.mau > 0 ORDER BY r.day, r.variant;

-- [80] params: {}
DESCRIBE guide_events;
