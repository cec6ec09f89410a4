"""Breakdown SQL (by day, segment, step) against row-by-row counts in Python."""
from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict

import pyarrow.parquet as pq

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

    def is_new(u):
        return "new" if people[u]["signup_at"] >= users[u]["assigned_at"] - dt.timedelta(days=1) else "existing"

    assert sum(n for arms in seg_new.values() for n, _ in arms.values()) == len(eligible)
    assert seg_new["new"]["tour"][0] == sum(1 for u in eligible if users[u]["variant"] == "tour" and is_new(u) == "new")
    # funnels: users reaching each step (a later step or completion passes the earlier ones)
    mapping = dict(spec.event_names)
    max_step, completed = {}, set()
    for r in pq.read_table(simulated_onboarding / "guide_events.parquet").to_pylist():
        u = r["user_id"]
        if u not in users or not users[u]["assigned_at"] <= r["timestamp"] < end:
            continue
        ev = mapping.get(r["event"], r["event"])
        if ev == "shown":
            max_step[u] = max(max_step.get(u, 0), r["step"])
        if ev == "completed":
            completed.add(u)
    for v, fc in funnels.items():
        members = [u for u in users if users[u]["variant"] == v]
        assert fc.entered == len(members)
        for k in range(1, len(fc.steps) + 1):
            assert fc.reached[k - 1] == sum(1 for u in members if max_step.get(u, 0) >= k or u in completed)
        assert fc.completed == sum(1 for u in members if u in completed)


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
