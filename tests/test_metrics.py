"""Metrics SQL checked against an independent computation in plain Python (zoneinfo, no SQL)."""
from __future__ import annotations

import datetime as dt
from collections import defaultdict
from typing import Any

import numpy as np
import pyarrow.parquet as pq
import pytest

from guidelab.events import open_event_data
from guidelab.metrics import ProportionCounts, compute_counts
from guidelab.stats.quantiles import QuantileStats


def _python_counts(spec, data_dir, as_of: dt.date) -> dict[str, dict[str, tuple[int, int]]]:
    """Per-variant (n, successes) for every metric of the spec, computed row by row in Python."""
    tz = spec.tz
    end = dt.datetime.combine(as_of + dt.timedelta(days=1), dt.time(), tzinfo=tz)
    mapping = dict(spec.event_names)
    assign = pq.read_table(data_dir / "assignments.parquet").to_pylist()
    users = {}
    for r in assign:
        if r["experiment"] == spec.id and r["assigned_at"] < end:
            users[r["user_id"]] = (r["variant"], r["assigned_at"])
    day0 = {u: at.astimezone(tz).date() for u, (_, at) in users.items()}
    guides = {g.id for g in spec.guides}
    flags = defaultdict(set)
    event_counts = defaultdict(lambda: defaultdict(int))
    for r in pq.read_table(data_dir / "guide_events.parquet").to_pylist():
        u = r["user_id"]
        if u in users and r["guide_id"] in guides and users[u][1] <= r["timestamp"] < end:
            ev = mapping.get(r["event"], r["event"])
            flags[u].add(ev)
            if ev != "shown" or (r.get("step") or 1) == 1:  # impressions: the guide's first step shown
                event_counts[u][ev] += 1
    active = defaultdict(set)
    sessions = defaultdict(lambda: defaultdict(int))
    pre_days = defaultdict(set)
    first_goal: dict[str, int] = {}
    lookback = spec.statistics.cuped_lookback_days
    for r in pq.read_table(data_dir / "activity.parquet").to_pylist():
        u = r["user_id"]
        if u in users and r["timestamp"] < users[u][1]:
            d = (r["timestamp"].astimezone(tz).date() - day0[u]).days
            if -lookback <= d < 0:
                pre_days[u].add(d)
        if u in users and users[u][1] <= r["timestamp"] < end:
            d = (r["timestamp"].astimezone(tz).date() - day0[u]).days
            active[u].add(d)
            sessions[u][d] += 1
            if r["event"] == spec.goal_event:
                first_goal[u] = min(first_goal.get(u, 10**9), d)
    out: dict[str, dict[str, Any]] = {}
    for mdef, _ in spec.metric_defs():
        if mdef.kind == "quantile":  # per-user values, then numpy's order statistics (QuantileStats.from_values)
            assert mdef.family == "days_to_goal", mdef.name  # the one quantile metric of the example
            values = {k: [] for k in spec.variant_keys}
            for u, (variant, _) in users.items():
                if (as_of - day0[u]).days >= mdef.days - 1:
                    values[variant].append(first_goal[u] if first_goal.get(u, 10**9) < mdef.days else np.inf)
            out[mdef.name] = {k: QuantileStats.from_values(v, mdef.quantile, spec.alpha,
                                                           spec.statistics.quantile_never_reached)
                              for k, v in values.items()}
            continue
        counts = {k: [0, 0, 0, 0, 0, 0] for k in spec.variant_keys}  # n, Σy, Σy², Σx, Σx², Σxy
        rows: list[tuple[str, int, int]] = []
        for u, (variant, _) in users.items():
            observed = (as_of - day0[u]).days
            x = len(pre_days[u])
            if mdef.family == "guide_event":
                ok, y = True, int(mdef.event in flags[u])
            elif mdef.family == "click_through":
                ok, y = "opened" in flags[u], int("clicked" in flags[u])
            elif mdef.family == "goal":
                ok, y = observed >= mdef.days - 1, int(first_goal.get(u, 10**9) < mdef.days)
            elif mdef.family == "retention":
                ok, y = observed >= mdef.days, int(mdef.days in active[u])
            elif mdef.family == "sessions":
                ok, y = observed >= mdef.days - 1, sum(c for d, c in sessions[u].items() if 0 <= d < mdef.days)
            elif mdef.family == "active_days":
                ok, y = observed >= mdef.days, sum(1 for d in active[u] if 1 <= d <= mdef.days)
            else:  # clicks_per_impression: numerator clicks, denominator impressions
                ok, y, x = True, event_counts[u]["clicked"], event_counts[u]["shown"]
            if ok:
                rows.append((variant, x, y))
        rule = spec.statistics.capping.get(mdef.name)  # capping: the pooled quantile (numpy) or the value
        if rule is not None and rows:
            cap = rule.value if rule.value is not None else \
                np.quantile([y for _, _, y in rows], rule.quantile, method="inverted_cdf")
            rows = [(v, x, min(y, float(cap))) for v, x, y in rows]
        for variant, x, y in rows:
            for i, v in enumerate((1, y, y * y, x, x * x, x * y)):
                counts[variant][i] += v
        out[mdef.name] = {k: tuple(v) for k, v in counts.items()}
    return out


def _sql_tuple(mc, variant):
    """The same six sums from the SQL result, whatever the metric's kind."""
    a = mc.by_variant[variant]
    cov = mc.covariate[variant] if mc.covariate else None
    if mc.metric.kind == "ratio":
        return (a.n, a.sum_x, a.sum_x2, a.sum_y, a.sum_y2, a.sum_xy)
    if mc.metric.kind == "proportion":
        y, y2 = a.successes, a.successes
    else:
        y, y2 = a.sum, a.sum_sq
    if cov is None:
        return (a.n, y, y2)
    assert (cov.n, cov.sum_y, cov.sum_y2) == (a.n, y, y2)
    return (a.n, y, y2, cov.sum_x, cov.sum_x2, cov.sum_xy)


@pytest.mark.parametrize("as_of_offset", [20, 12])
def test_sql_counts_equal_python_counts(simulated_onboarding, onboarding_spec, as_of_offset):
    as_of = onboarding_spec.start + dt.timedelta(days=as_of_offset)
    ed = open_event_data(simulated_onboarding)
    try:
        counts = compute_counts(ed, onboarding_spec, as_of)
    finally:
        ed.close()
    expected = _python_counts(onboarding_spec, simulated_onboarding, as_of)
    quantiles = [m for m in counts.metrics if m.metric.kind == "quantile"]
    assert quantiles  # days_to_goal_d7_p25 in the example spec
    for m in quantiles:
        assert m.by_variant == expected[m.metric.name], m.metric.name
    got = {m.metric.name: {k: _sql_tuple(m, k) for k in m.by_variant} for m in counts.metrics if m not in quantiles}
    for name, by_variant in got.items():
        for k, sums in by_variant.items():
            e = expected[name][k][:len(sums)]
            assert tuple(float(v) for v in sums) == tuple(float(v) for v in e), (name, k)
    assert any(m.metric.kind == "mean" for m in counts.metrics)
    assert counts.metrics[0].covariate is not None  # CUPED is on in the example spec
    assert sum(c.sum_x for c in counts.metrics[0].covariate.values()) > 0  # pre-period activity exists
    assert all(c.passed for c in counts.checks if c.severity == "fail")
    # Day-7 retention only counts users with 7 complete days: fewer than all assigned.
    r7 = next(m for m in counts.metrics if m.metric.name == "retention_d7")
    assert sum(c.n for c in r7.by_variant.values()) < sum(counts.assigned.values())


def test_default_as_of_is_last_day_of_data(simulated_onboarding, onboarding_spec):
    ed = open_event_data(simulated_onboarding)
    try:
        counts = compute_counts(ed, onboarding_spec)
    finally:
        ed.close()
    assert counts.as_of == onboarding_spec.start + dt.timedelta(days=20)


def _write_csv(path, header, rows):
    path.write_text(header + "\n" + "\n".join(rows) + "\n", encoding="utf-8")


@pytest.fixture
def tiny_dir(tmp_path, onboarding_spec):
    """Hand-made data: three users whose every metric is worked out by hand below."""
    d = tmp_path / "tiny"
    d.mkdir()
    exp = onboarding_spec.id
    _write_csv(d / "assignments.csv", "user_id,experiment,variant,assigned_at", [
        f"001,{exp},holdout,2026-10-01T23:30:00+09:00",   # local day 2026-10-01
        f"002,{exp},tour,2026-10-01T15:00:00Z",            # = 2026-10-02 00:00 JST: day 0 is Oct 2
        f"003,{exp},checklist,2026-10-03T10:00:00+09:00",
        "004,other-exp,tour,2026-10-01T10:00:00+09:00",   # another experiment: ignored
    ])
    _write_csv(d / "guide_events.csv", "user_id,guide_id,step,event,timestamp", [
        "002,onboarding-tour,1,tour_step_viewed,2026-10-02T00:00:05+09:00",
        "002,onboarding-tour,1,tour_opened,2026-10-02T00:00:09+09:00",
        "002,onboarding-tour,1,tour_cta_clicked,2026-10-02T00:00:30+09:00",
        "002,onboarding-tour,1,tour_opened,2026-10-01T23:00:00+09:00",     # before assignment: ignored
        "003,onboarding-checklist,1,tour_step_viewed,2026-10-03T10:00:05+09:00",
        "003,some-other-guide,1,tour_cta_clicked,2026-10-03T10:00:10+09:00",  # not this experiment's guide
    ])
    _write_csv(d / "activity.csv", "user_id,timestamp,event", [
        "001,2026-10-02T08:00:00+09:00,app_session",          # day 1
        "001,2026-10-08T23:59:59+09:00,app_session",          # day 7 (last second of the local day)
        "002,2026-10-09T00:00:01+09:00,app_session",          # day 7 for 002 (day 0 = Oct 2)
        "002,2026-10-02T09:00:00+09:00,project_created",      # goal on day 0
        "003,2026-10-11T09:00:00+09:00,project_created",      # goal on day 8: outside goal_d7
    ])
    return d


def test_hand_worked_example(tiny_dir, onboarding_spec):
    ed = open_event_data(tiny_dir)
    try:
        counts = compute_counts(ed, onboarding_spec, dt.date(2026, 10, 11))
    finally:
        ed.close()
    assert counts.assigned == {"holdout": 1, "tour": 1, "checklist": 1}
    m = {x.metric.name: x.by_variant for x in counts.metrics}
    # Day 7 complete for 001 (Oct 8) and 002 (Oct 9), and 003 (Oct 10) by Oct 11.
    assert m["retention_d7"] == {"holdout": ProportionCounts(1, 1), "tour": ProportionCounts(1, 1),
                                 "checklist": ProportionCounts(1, 0)}
    assert m["retention_d1"]["holdout"] == ProportionCounts(1, 1)
    assert m["retention_d1"]["tour"] == ProportionCounts(1, 0)
    assert m["goal_d7"] == {"holdout": ProportionCounts(1, 0), "tour": ProportionCounts(1, 1),
                            "checklist": ProportionCounts(1, 0)}
    # as_of one day earlier: 003's day 7 (Oct 10) is complete, day 8 goal not yet in the data.
    ed = open_event_data(tiny_dir)
    try:
        early = compute_counts(ed, onboarding_spec, dt.date(2026, 10, 8))
    finally:
        ed.close()
    r7 = next(x for x in early.metrics if x.metric.name == "retention_d7").by_variant
    assert r7["holdout"] == ProportionCounts(1, 1)       # Oct 8 is 001's day 7 and it has ended
    assert r7["tour"] == ProportionCounts(0, 0)          # 002's day 7 is Oct 9: not yet complete
    assert r7["checklist"] == ProportionCounts(0, 0)


def test_missing_zone_is_an_error_naming_file_and_column(tiny_dir, onboarding_spec):
    from guidelab.errors import DataError

    p = tiny_dir / "activity.csv"
    p.write_text("user_id,timestamp\n001,2026-10-02T08:00:00\n", encoding="utf-8")
    before = p.read_bytes()
    with pytest.raises(DataError) as e:
        open_event_data(tiny_dir)
    assert "activity.csv" in str(e.value) and "timestamp" in str(e.value) and "time zone" in str(e.value)
    assert p.read_bytes() == before  # source data never modified


def test_missing_table_and_column_errors(tiny_dir):
    from guidelab.errors import DataError

    (tiny_dir / "guide_events.csv").unlink()
    with pytest.raises(DataError, match="missing table 'guide_events'"):
        open_event_data(tiny_dir)
    _write_csv(tiny_dir / "guide_events.csv", "user_id,guide,event,timestamp", [])
    with pytest.raises(DataError, match="guide_id"):
        open_event_data(tiny_dir)


def test_data_checks_flag_unknown_variant_and_multi_assignment(tiny_dir, onboarding_spec):
    exp = onboarding_spec.id
    with open(tiny_dir / "assignments.csv", "a", encoding="utf-8") as fh:
        fh.write(f"005,{exp},mystery,2026-10-02T10:00:00+09:00\n")
        fh.write(f"001,{exp},tour,2026-10-02T10:00:00+09:00\n")
    ed = open_event_data(tiny_dir)
    try:
        counts = compute_counts(ed, onboarding_spec, dt.date(2026, 10, 11))
    finally:
        ed.close()
    failed = {c.code for c in counts.checks if not c.passed}
    assert {"unknown_variants", "multiple_variants"} <= failed
    assert counts.assigned["holdout"] == 0  # 001 excluded: two variants


def test_retention_curve_and_life_table_sql_equal_python(simulated_onboarding, onboarding_spec):
    """Per-day SQL reductions (retention curve, time-to-goal life table) against a row-by-row count."""
    from guidelab.metrics import build_user_table
    from guidelab.timeseries import goal_life_counts, retention_curve_counts

    spec, as_of = onboarding_spec, onboarding_spec.start + dt.timedelta(days=15)
    ed = open_event_data(simulated_onboarding)
    try:
        build_user_table(ed, spec, as_of)
        curve = retention_curve_counts(ed, spec, as_of, horizon=30)
        life = goal_life_counts(ed, spec)
    finally:
        ed.close()
    tz = spec.tz
    end = dt.datetime.combine(as_of + dt.timedelta(days=1), dt.time(), tzinfo=tz)
    users = {r["user_id"]: (r["variant"], r["assigned_at"]) for r in
             pq.read_table(simulated_onboarding / "assignments.parquet").to_pylist() if r["assigned_at"] < end}
    day0 = {u: at.astimezone(tz).date() for u, (_, at) in users.items()}
    active, goal = defaultdict(set), {}
    for r in pq.read_table(simulated_onboarding / "activity.parquet").to_pylist():
        u = r["user_id"]
        if u in users and users[u][1] <= r["timestamp"] < end:
            d = (r["timestamp"].astimezone(tz).date() - day0[u]).days
            active[u].add(d)
            if r["event"] == spec.goal_event:
                goal[u] = min(goal.get(u, 10**9), d)
    for variant in spec.variant_keys:
        members = [u for u, (v, _) in users.items() if v == variant]
        expected = {}
        for d in range(0, 31):
            matured = [u for u in members if (as_of - day0[u]).days >= d]
            if matured:
                expected[d] = (len(matured), sum(1 for u in matured if d in active[u]))
        assert curve.by_variant[variant] == expected
        durations = {u: (goal[u], True) if u in goal else ((as_of - day0[u]).days, False) for u in members}
        rows = life.by_variant[variant]
        for t, at_risk, events in rows:
            assert at_risk == sum(1 for d, _ in durations.values() if d >= t)
            assert events == sum(1 for d, e in durations.values() if d == t and e)
        assert sum(e for _, _, e in rows) == len(goal.keys() & set(members))


def test_centred_moments_of_integer_sums_are_exact():
    """Counts have exact integer sums: the centred moments come out exact (no cancellation at a
    1e9 offset, and the same bits on every run, unlike a parallel var_pop)."""
    from guidelab.metrics import _centred

    a = [10**9 + k for k in (0, 1, 2, 3)]
    b = [2 * k for k in (0, 1, 2, 3)]
    m2_a, m2_b, c_ab = _centred([None, None, None], 4, sum(a), sum(b), sum(x * x for x in a),
                                sum(x * x for x in b), sum(x * y for x, y in zip(a, b)))
    assert (m2_a, m2_b, c_ab) == (5.0, 20.0, 10.0)


def test_integer_valued_reads_the_sql_types_and_skips_the_centred_aggregates_only_for_integers():
    """Integer-typed values need no var_pop/covar_pop (their sums give the moments exactly);
    doubles, decimals, booleans and an empty table keep them."""
    import duckdb

    from guidelab.metrics import _centred, centred_sql, integer_valued

    con = duckdb.connect()
    con.execute("CREATE TABLE exp_users AS SELECT range::INTEGER AS i, range::BIGINT AS b, range / 2 AS d, "
                "CAST(range AS DECIMAL(9, 2)) AS m, range % 2 = 0 AS f FROM range(5)")
    assert integer_valued(con, ["i", "b", "i * b", "CASE WHEN i > 2 THEN 2 ELSE i END", "CAST(f AS INTEGER)",
                                "d", "m", "f", "CASE WHEN i > 2 THEN 2.5 ELSE i END"]) == \
        [True, True, True, True, True, False, False, False, False]
    con.execute("CREATE TABLE empty AS SELECT * FROM exp_users LIMIT 0")
    assert integer_valued(con, ["i"], table="empty") == [False]
    assert centred_sql("i", "b", exact=True) == "NULL, NULL, NULL"
    # the exact path and DuckDB's var_pop give the same moments on integers
    exact = con.execute("SELECT count(*), sum(i), sum(b), sum(i*i), sum(b*b), sum(i*b), "
                        f"{centred_sql('i', 'b', exact=True)} FROM exp_users").fetchone()
    pop = con.execute(f"SELECT {centred_sql('i', 'b', exact=False, where='i >= 0')} FROM exp_users").fetchone()
    n, *sums = exact[:6]
    assert _centred(list(exact[6:]), n, *sums) == pytest.approx(pop)
    assert _centred([None, None, None], 5, 1.5, 2, 3, 4, 5) == (None, None, None)  # not integers, no moments


def test_day_columns_read_from_the_bitmaps_equal_their_aggregates(simulated_onboarding, onboarding_spec, monkeypatch):
    """A registry column with ``active_on_day`` (retention's ``active_dN``) read as a bit of the
    active-day bitmaps equals its declared aggregate ``bool_or(day = N)`` over the activity rows, for
    days in the first word, at its edges, past it and past the data."""
    import dataclasses

    from guidelab import metrics
    from guidelab.registry import UserColumn

    days = (0, 1, 7, 20, 62, 63, 64, 130, 365)
    real = metrics.user_columns

    def exp_users(from_bits: bool) -> list[tuple]:
        def columns(defs):
            out = dict(real(defs))
            for n in days:
                out[f"active_d{n}"] = UserColumn(f"active_d{n}", "activity", f"bool_or(day = {n})", "FALSE", active_on_day=n)
            return {k: c if from_bits else dataclasses.replace(c, active_on_day=None) for k, c in out.items()}
        monkeypatch.setattr(metrics, "user_columns", columns)
        ed = open_event_data(simulated_onboarding)
        try:
            compute_counts(ed, onboarding_spec, onboarding_spec.start + dt.timedelta(days=20))
            cols = ", ".join(f"active_d{n}" for n in days)
            return ed.con.execute(f"SELECT uk, {cols} FROM exp_users ORDER BY uk").fetchall()
        finally:
            ed.close()

    bits, aggregates = exp_users(True), exp_users(False)
    assert bits == aggregates
    assert len(bits) > 1000
    assert sum(r[1] for r in bits) > 0 and sum(r[3] for r in bits) > 0  # days 0 and 7 have active users
