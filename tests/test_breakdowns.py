"""Breakdown SQL (by day, segment, step) against row-by-row counts in Python."""
from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict

import pyarrow.parquet as pq
import pytest

from guidelab.breakdowns import daily_counts, funnel_counts, segment_counts
from guidelab.catalog import parse_metric
from guidelab.events import open_event_data
from guidelab.metrics import build_user_table


def test_daily_segment_and_funnel_counts(simulated_onboarding, onboarding_spec):
    spec = onboarding_spec
    as_of = spec.start + dt.timedelta(days=20)
    metric = parse_metric("goal_d7")
    ed = open_event_data(simulated_onboarding)
    try:
        build_user_table(ed, spec, as_of)
        daily = daily_counts(ed, spec, metric)
        seg_platform = segment_counts(ed, spec, metric, "platform")
        seg_new = segment_counts(ed, spec, metric, "new_user")
        # exp_users carries the columns of the spec's segments and strata; another one is joined
        carried = {r[0] for r in ed.con.execute("DESCRIBE exp_users").fetchall() if r[0].startswith("_gl_attr_")}
        assert "locale" not in spec.segments + spec.statistics.adjust_for
        seg_locale = segment_counts(ed, spec, metric, "locale")
        funnels = funnel_counts(ed, spec, as_of)
        assert segment_counts(ed, spec, metric, "no_such_column") is None
        assert segment_counts(ed, spec, metric, "x; DROP TABLE users") is None
    finally:
        ed.close()
    tz = spec.tz
    end = dt.datetime.combine(as_of + dt.timedelta(days=1), dt.time(), tzinfo=tz)
    users = {r["user_id"]: r for r in pq.read_table(simulated_onboarding / "assignments.parquet").to_pylist()
             if r["assigned_at"] < end}
    day0 = {u: r["assigned_at"].astimezone(tz).date() for u, r in users.items()}
    goal = {}
    for r in pq.read_table(simulated_onboarding / "activity.parquet").to_pylist():
        u = r["user_id"]
        if u in users and users[u]["assigned_at"] <= r["timestamp"] < end and r["event"] == spec.goal_event:
            goal[u] = min(goal.get(u, 99), (r["timestamp"].astimezone(tz).date() - day0[u]).days)
    eligible = {u for u in users if (as_of - day0[u]).days >= 6}
    hit = {u for u in eligible if goal.get(u, 99) < 7}
    # by assignment day
    expected = defaultdict(list)
    per = Counter((users[u]["variant"], day0[u]) for u in eligible)
    wins = Counter((users[u]["variant"], day0[u]) for u in hit)
    for (v, d), n in sorted(per.items(), key=lambda x: x[0][1]):
        expected[v].append((d, n, wins[(v, d)]))
    assert {k: v for k, v in daily.items() if v} == dict(expected)
    # by segment
    people = {r["user_id"]: r for r in pq.read_table(simulated_onboarding / "users.parquet").to_pylist()}
    exp_platform = defaultdict(dict)
    for (v, p), n in Counter((users[u]["variant"], people[u]["platform"]) for u in eligible).items():
        exp_platform[p][v] = (n, sum(1 for u in hit if users[u]["variant"] == v and people[u]["platform"] == p))
    assert seg_platform == dict(sorted(exp_platform.items()))
    assert carried == {"_gl_attr_platform", "_gl_attr_signup_at", "_gl_attr_plan"}
    exp_locale = defaultdict(dict)
    for (v, loc), n in Counter((users[u]["variant"], people[u]["locale"]) for u in eligible).items():
        exp_locale[loc][v] = (n, sum(1 for u in hit if users[u]["variant"] == v and people[u]["locale"] == loc))
    assert seg_locale == dict(sorted(exp_locale.items()))

    def is_new(u):
        return "new" if people[u]["signup_at"] >= users[u]["assigned_at"] - dt.timedelta(days=1) else "existing"

    assert sum(n for arms in seg_new.values() for n, _ in arms.values()) == len(eligible)
    assert seg_new["new"]["tour"][0] == sum(1 for u in eligible if users[u]["variant"] == "tour" and is_new(u) == "new")
    # funnels: users reaching each step (a later step or completion passes the earlier ones)
    mapping = dict(spec.event_names)
    max_step, completed, first = {}, set(), {}
    for r in pq.read_table(simulated_onboarding / "guide_events.parquet").to_pylist():
        u = r["user_id"]
        if u not in users or not users[u]["assigned_at"] <= r["timestamp"] < end:
            continue
        ev = mapping.get(r["event"], r["event"])
        if ev == "shown":
            max_step[u] = max(max_step.get(u, 0), r["step"])
        if ev == "completed":
            completed.add(u)
        if ev in ("shown", "completed"):
            first[u, ev] = min(first.get((u, ev), r["timestamp"]), r["timestamp"])
    timed_funnels = 0
    for v, fc in funnels.items():
        members = [u for u in users if users[u]["variant"] == v]
        assert fc.entered == len(members)
        for k in range(1, len(fc.steps) + 1):
            assert fc.reached[k - 1] == sum(1 for u in members if max_step.get(u, 0) >= k or u in completed)
        assert fc.completed == sum(1 for u in members if u in completed)
        # the time from first shown to completed, of the users with both
        secs = [(first[u, "completed"] - first[u, "shown"]).total_seconds() for u in members
                if (u, "shown") in first and (u, "completed") in first]
        assert fc.timed == sum(1 for x in secs if x >= 0)
        assert fc.completed_before_shown == sum(1 for x in secs if x < 0)
        assert fc.seconds_sum == pytest.approx(sum(x for x in secs if x >= 0), rel=1e-9)
        assert fc.seconds_sum_sq == pytest.approx(sum(x * x for x in secs if x >= 0), rel=1e-9)
        timed_funnels += fc.timed > 0
    assert timed_funnels == 2  # the test's own data: both guides have timed users


def test_stickiness_counts_equal_python(simulated_onboarding, onboarding_spec):
    from guidelab.breakdowns import stickiness_counts

    spec = onboarding_spec
    as_of = spec.start + dt.timedelta(days=20)
    ed = open_event_data(simulated_onboarding)
    try:
        build_user_table(ed, spec, as_of)
        sticky = stickiness_counts(ed, spec, as_of)
    finally:
        ed.close()
    tz = spec.tz
    end = dt.datetime.combine(as_of + dt.timedelta(days=1), dt.time(), tzinfo=tz)
    users = {r["user_id"]: r for r in pq.read_table(simulated_onboarding / "assignments.parquet").to_pylist()
             if r["assigned_at"] < end}
    active = defaultdict(set)  # (variant, day) -> users
    for r in pq.read_table(simulated_onboarding / "activity.parquet").to_pylist():
        u = r["user_id"]
        if u in users and users[u]["assigned_at"] <= r["timestamp"] < end:
            active[(users[u]["variant"], r["timestamp"].astimezone(tz).date())].add(u)
    for v, rows in sticky.items():
        for day, dau, wau, mau in rows:
            def window(n, v=v, day=day):
                return set().union(*(active[(v, day - dt.timedelta(days=k))] for k in range(n)))
            assert (dau, wau, mau) == (len(active[(v, day)]), len(window(7)), len(window(30)))


_STICKINESS_RANGE_JOIN = """
    WITH act AS (
        SELECT DISTINCT e.user_id, u.variant, CAST(timezone($tz, e.timestamp) AS DATE) AS day
        FROM exp_activity e JOIN exp_users u USING (user_id)),
    days AS (SELECT DISTINCT day FROM act)
    SELECT a.variant, d.day,
           count(DISTINCT a.user_id) FILTER (WHERE a.day = d.day) AS dau,
           count(DISTINCT a.user_id) FILTER (WHERE a.day > d.day - 7) AS wau,
           count(DISTINCT a.user_id) AS mau
    FROM days d JOIN act a ON a.day <= d.day AND a.day > d.day - 30
    GROUP BY ALL ORDER BY 2, 1"""
"""The straightforward stickiness (a range join of days against 30-day windows, distinct counts):
guidelab's query until the count stage was made to scale; kept here as the reference."""


def _sticky_export(path, spec, seed):
    """A small export with the cases stickiness must get right: gaps longer than 7 and 30 days,
    activity around local (Tokyo) and UTC midnight, several rows per day, activity before
    assignment and after the analysis date, an arm that stops being active, days without any."""
    import numpy as np
    import pyarrow as pa

    rng = np.random.default_rng(seed)
    tz = spec.tz
    start = dt.datetime.combine(spec.start, dt.time(), tzinfo=tz)
    users, variants, assigned = [], [], []
    act_user, act_ts = [], []
    for i in range(80):
        u = f"u{i:03d}"
        v = ("holdout", "tour", "checklist")[i % 3]
        first_days = 4 if v == "holdout" else 28
        a = start + dt.timedelta(days=int(rng.integers(0, first_days)), seconds=int(rng.integers(0, 86400)))
        users.append(u), variants.append(v), assigned.append(a)
        last = 10 if v == "holdout" else 60  # the holdout goes quiet: its last days have no 30-day window
        days = sorted(set(rng.choice(np.arange(-5, last), size=int(rng.integers(0, 9)), replace=False).tolist()))
        for d in days:
            base = dt.datetime.combine((a + dt.timedelta(days=int(d))).astimezone(tz).date(), dt.time(), tzinfo=tz)
            for _ in range(int(rng.integers(1, 4))):
                # around local midnight (00:00 and 23:59 JST) and UTC midnight (09:00 JST)
                sec = int(rng.choice([0, 59, 86340, 86399, 9 * 3600 - 1, 9 * 3600, int(rng.integers(0, 86400))]))
                act_user.append(u), act_ts.append(base + dt.timedelta(seconds=sec))
    utc = pa.timestamp("us", tz="UTC")
    pq.write_table(pa.table({"user_id": users, "experiment": [spec.id] * len(users), "variant": variants,
                             "assigned_at": pa.array(assigned, utc)}), path / "assignments.parquet")
    pq.write_table(pa.table({"user_id": users[:1], "guide_id": ["onboarding-tour"], "step": pa.array([1], pa.int32()),
                             "event": ["tour_step_viewed"], "timestamp": pa.array([assigned[0]], utc)}),
                   path / "guide_events.parquet")
    pq.write_table(pa.table({"user_id": act_user, "timestamp": pa.array(act_ts, utc),
                             "event": ["app_session"] * len(act_user)}), path / "activity.parquet")


def test_stickiness_equals_the_range_join_and_python(tmp_path, onboarding_spec):
    """The difference-array stickiness equals the range join with distinct counts, row for row
    (which days and arms have a row, and DAU/WAU/MAU), and a set-by-set count in Python."""
    from guidelab.breakdowns import stickiness_counts

    spec = onboarding_spec
    as_of = spec.start + dt.timedelta(days=55)
    for seed in (1, 2, 3):
        path = tmp_path / f"s{seed}"
        path.mkdir()
        _sticky_export(path, spec, seed)
        ed = open_event_data(path)
        try:
            build_user_table(ed, spec, as_of, today=as_of + dt.timedelta(days=30))
            sticky = stickiness_counts(ed, spec, as_of)
            reference = ed.con.execute(_STICKINESS_RANGE_JOIN, {"tz": spec.timezone}).fetchall()
        finally:
            ed.close()
        flat = sorted((v, d, dau, wau, mau) for v, rows in sticky.items() for d, dau, wau, mau in rows)
        assert flat == sorted(tuple(r) for r in reference)
        assert all(rows == sorted(rows) for rows in sticky.values())  # by day
        assert max(d for d, *_ in sticky["holdout"]) < max(d for _, d, *_ in flat)  # the case is exercised
        # Python: users active per (arm, local day), from the rows after assignment up to the analysis date
        tz = spec.tz
        end = dt.datetime.combine(as_of + dt.timedelta(days=1), dt.time(), tzinfo=tz)
        assigned = {r["user_id"]: r for r in pq.read_table(path / "assignments.parquet").to_pylist()}
        active = defaultdict(set)
        for r in pq.read_table(path / "activity.parquet").to_pylist():
            a = assigned[r["user_id"]]
            if a["assigned_at"] <= r["timestamp"] < end:
                active[(a["variant"], r["timestamp"].astimezone(tz).date())].add(r["user_id"])
        days = sorted({d for _, d in active})
        expected = []
        for v in spec.variant_keys:
            for day in days:
                def window(n, v=v, day=day, active=active):
                    return set().union(*(active[(v, day - dt.timedelta(days=k))] for k in range(n)))
                if window(30):
                    expected.append((v, day, len(active[(v, day)]), len(window(7)), len(window(30))))
        assert flat == sorted(expected)
