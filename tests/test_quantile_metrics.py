"""Quantile metrics end to end (guidelab.quantile_metrics): the SQL's counts and order statistics
against numpy on the per-user values and against the raw guide events row by row, censored and
restricted to reachers; the spec's rules; the result JSON; the report section in both languages."""
from __future__ import annotations

import datetime as dt
from collections import defaultdict

import numpy as np
import pyarrow.parquet as pq
import pytest

from guidelab.catalog import parse_metric
from guidelab.events import open_event_data
from guidelab.experiment import ExperimentSpec, dump_spec_dict
from guidelab.metrics import compute_counts
from guidelab.stats.quantiles import QuantileStats

QUANTILES = ["days_to_goal_d7_p25", "days_to_goal_d7_p50", "sessions_d7_p90", "hours_to_complete_d3_p50",
             "hours_to_complete_d3_p10"]


def _spec(spec: ExperimentSpec, never_reached: str = "censored", **changes) -> ExperimentSpec:
    d = dump_spec_dict(spec)
    d["metrics"] = {"primary": "retention_d1", "secondary": QUANTILES, "guardrails": []}
    d.pop("guardrail_ceilings", None)
    d["statistics"] = {**d["statistics"], "quantile_never_reached": never_reached}
    d.update(changes)
    return ExperimentSpec.model_validate(d)


def _hours_to_complete(spec, data_dir, as_of, days):
    """Per user of the experiment: hours from the assignment to the first 'completed' event of the
    spec's own guides on local days 0..days-1 (None: none), from the raw Parquet files."""
    tz = spec.tz
    end = dt.datetime.combine(as_of + dt.timedelta(days=1), dt.time(), tzinfo=tz)
    users = {r["user_id"]: r["assigned_at"] for r in pq.read_table(data_dir / "assignments.parquet").to_pylist()
             if r["experiment"] == spec.id and r["assigned_at"] < end}
    guides = {g.id for g in spec.guides}
    first = defaultdict(lambda: None)
    for r in pq.read_table(data_dir / "guide_events.parquet").to_pylist():
        u, ts = r["user_id"], r["timestamp"]
        if u not in users or r["guide_id"] not in guides or not users[u] <= ts < end:
            continue
        if spec.event_names.get(r["event"], r["event"]) != "completed":
            continue
        if (ts.astimezone(tz).date() - users[u].astimezone(tz).date()).days >= days:
            continue
        hours = (ts - users[u]).total_seconds() / 3600
        first[u] = hours if first[u] is None else min(first[u], hours)
    return users, first


@pytest.mark.parametrize("never_reached", ["censored", "reachers"])
def test_sql_equals_numpy_on_the_per_user_values(onboarding_spec, simulated_onboarding, never_reached):
    spec = _spec(onboarding_spec, never_reached)
    as_of = spec.start + dt.timedelta(days=12)
    ed = open_event_data(simulated_onboarding)
    try:
        counts = compute_counts(ed, spec, as_of)
        rows = ed.con.execute("SELECT user_id, variant, observed_days, first_goal_day, sessions_d7, "
                              "hours_to_complete_d3 FROM exp_users").fetchall()
    finally:
        ed.close()
    users, hours = _hours_to_complete(spec, simulated_onboarding, as_of, 3)
    assert {r[0] for r in rows} == set(users)
    for user_id, *_, h in rows:  # the per-user column of the new guide-event pass, row by row
        assert (h is None and hours[user_id] is None) or h == pytest.approx(hours[user_id], abs=1e-6), user_id
    by = {m.metric.name: m.by_variant for m in counts.metrics}
    for name in QUANTILES:
        m = parse_metric(name)
        for variant in spec.variant_keys:
            arm = [r for r in rows if r[1] == variant]
            if m.family == "days_to_goal":
                eligible = [r for r in arm if r[2] >= 6]
                values = [r[3] if r[3] is not None and r[3] < 7 else np.inf for r in eligible]
            elif m.family == "sessions":
                values = [r[4] for r in arm if r[2] >= 6]
            else:
                values = [r[5] if r[5] is not None else np.inf for r in arm if r[2] >= 2]
            censoring = never_reached if m.may_be_unreached else "censored"
            expected = QuantileStats.from_values(values, m.quantile, spec.alpha, censoring)
            got = by[name][variant]
            assert got == expected, (name, variant)
            # and the point estimate is numpy's inverted-CDF quantile of the values ranked
            x = np.asarray(values, dtype=float)
            ranked = x[np.isfinite(x)] if censoring == "reachers" else np.where(np.isinf(x), 1e300, x)
            q = np.quantile(ranked, m.quantile, method="inverted_cdf") if ranked.size else None
            assert got.value == (None if q is None or q >= 1e300 else q), (name, variant)
    holdout = by["hours_to_complete_d3_p50"]["holdout"]
    assert holdout.n_reached == 0 and holdout.value is None  # no guide, no completion: never reached
    assert by["hours_to_complete_d3_p10"]["tour"].value is not None


def _analyse(spec, data_dir):
    """Statistics and verdict from the counts (no deeper analyses: they do not read quantile metrics)."""
    from guidelab.analysis import analyze_counts

    ed = open_event_data(data_dir)
    try:
        return analyze_counts(spec, compute_counts(ed, spec, spec.start + dt.timedelta(days=12)))
    finally:
        ed.close()


def test_analysis_json_and_report(onboarding_spec, simulated_onboarding):
    from guidelab.report.quantiles import quantile_section
    from guidelab.report.render import ReportContext
    from guidelab.schemas import ResultDocument

    spec = _spec(onboarding_spec)
    result = _analyse(spec, simulated_onboarding)
    doc = result.to_dict()
    ResultDocument.model_validate(doc)  # the published result schema accepts it
    rows = {(m["metric"], m["variant"]): m for m in doc["metrics"]}
    p25 = rows[("days_to_goal_d7_p25", "tour")]
    assert p25["kind"] == "quantile" and p25["quantile"]["p"] == 0.25 and p25["quantile"]["censoring"] == "censored"
    assert p25["randomised"] is True and p25["higher_is_better"] is False
    assert p25["quantile"]["n_reached"] < p25["quantile"]["n_eligible"] == p25["n"]
    # 109 of the holdout's 395 reached the goal (27.6%): the p25's upper rank is among the censored
    assert p25["quantile"]["ci_control"][1] is None and p25["abs_diff"] == -2.0 and p25["abs_ci"] is None
    assert [n["code"] for n in p25["notes"]] == ["quantile_upper_unbounded"] and p25["notes"][0]["arms"] == "control"
    p90 = rows[("sessions_d7_p90", "tour")]
    assert p90["abs_ci"] is not None and p90["rel_ci"] is not None and p90["p_value_adjusted"] >= p90["p_value"]
    assert p90["quantile"]["n_reached"] == p90["quantile"]["n_eligible"] == p90["n"]
    med = rows[("days_to_goal_d7_p50", "tour")]  # about a third reach the goal within 7 days
    assert med["quantile"]["estimate"] is None and med["abs_diff"] is None
    assert [n["code"] for n in med["notes"]] == ["quantile_not_reached"] and med["notes"][0]["percentile"] == 50
    for lang, words in (("en", ("Percentiles", "not reached by 50% of users", "censored at the end of the window",
                                "Deng, Knoblich &amp; Lu (2018)", "25th percentile of days to the goal")),
                        ("ja", ("パーセンタイル", "50%のユーザーが未到達", "打ち切り", "目標達成までの日数（7日以内）の中央値"))):
        html = quantile_section(ReportContext(spec, result, lang))
        for w in words:
            assert w in html, (lang, w)
    reachers = _analyse(_spec(onboarding_spec, "reachers"), simulated_onboarding)
    rows = {(m.metric, m.variant): m for m in reachers.metrics}
    assert rows[("days_to_goal_d7_p50", "tour")].randomised is False  # among reachers: descriptive
    assert rows[("sessions_d7_p90", "tour")].randomised is True  # every user has a value
    assert "statistics.quantile_never_reached: reachers" in quantile_section(ReportContext(spec, reachers, "en"))


def test_spec_rules(onboarding_spec):
    d = dump_spec_dict(onboarding_spec)
    d["metrics"] = {**d["metrics"], "primary": "days_to_goal_d7_p50"}
    with pytest.raises(ValueError, match="quantile metric; a quantile can be a secondary metric or a guardrail"):
        ExperimentSpec.model_validate(d)
    d = dump_spec_dict(onboarding_spec)
    d["statistics"] = {**d["statistics"], "quantile_never_reached": "dropped"}
    with pytest.raises(ValueError, match="quantile_never_reached"):
        ExperimentSpec.model_validate(d)
    d = dump_spec_dict(onboarding_spec)
    d["metrics"] = {**d["metrics"], "secondary": ["days_to_goal_d7"]}
    with pytest.raises(ValueError, match="name a percentile of it, e.g. days_to_goal_d7_p50"):
        ExperimentSpec.model_validate(d)
    d["metrics"] = {**d["metrics"], "secondary": ["retention_d7_p50"]}
    with pytest.raises(ValueError, match="'retention_d7' has no quantiles"):
        ExperimentSpec.model_validate(d)
    d = dump_spec_dict(onboarding_spec)
    d.update(unit="account_id", goal_event=None)
    d["statistics"] = {**d["statistics"], "capping": {}, "adjust_for": []}  # per-user adjustments: refused by account too
    d["metrics"] = {**d["metrics"], "secondary": ["sessions_d7_p50"]}
    with pytest.raises(ValueError, match="intervals assume independent users"):
        ExperimentSpec.model_validate(d)


def test_names_labels_and_schema_pattern():
    import re

    from guidelab import registry
    from guidelab.schemas import schema

    m = parse_metric("sessions_d7_p90")
    assert (m.kind, m.family, m.days, m.quantile, m.base_name, m.maturation_days) == ("quantile", "sessions", 7, 0.9,
                                                                                      "sessions_d7", 7)
    assert m.label("en") == "90th percentile of sessions per user in 7 days"
    assert parse_metric("days_to_goal_d30_p50").label("ja") == "目標達成までの日数（30日以内）の中央値"
    assert parse_metric("days_to_goal_d30_p50").requires == "goal_event"
    assert parse_metric("hours_to_complete_d7_p90").guide_only
    pattern = schema("experiment")["$defs"]["MetricsSpec"]["properties"]["secondary"]["items"]["pattern"]
    assert pattern == registry.metric_name_regex()
    for name in ["sessions_d7_p90", "active_days_d14_p50", "days_to_goal_d30_p50", "hours_to_complete_d7_p99"]:
        parse_metric(name)
        assert re.match(pattern, name), name
    for name in ["days_to_goal_d30", "goal_d7_p50", "sessions_d7_p100", "sessions_d7_p"]:
        assert not re.match(pattern, name), name
        with pytest.raises(ValueError):
            parse_metric(name)
    from guidelab.decision import default_guardrail_margin

    assert default_guardrail_margin("sessions_d7_p90", "sessions", "quantile") == (0.05, "relative")


@pytest.mark.parametrize("slower, verdict_blocked", [(1.02, False), (1.5, True)])
def test_quantile_guardrail_against_its_default_margin(slower, verdict_blocked):
    """A p90 of hours to the goal as a guardrail (lower is better): the default margin is 5% of the
    control's quantile; 2% slower on 20,000 users per arm is shown inside it, 50% slower is harm."""
    from guidelab.analysis import MetricStatistics, analyze_sufficient_statistics
    from guidelab.metrics import ProportionCounts

    rng = np.random.default_rng(4)
    c = QuantileStats.from_values(rng.lognormal(3, 1, 20000), 0.9)
    t = QuantileStats.from_values(rng.lognormal(3, 1, 20000) * slower, 0.9)
    metrics = [MetricStatistics("goal_d7", "primary", {"c": ProportionCounts(20000, 4000), "t": ProportionCounts(20000, 4600)}),
               MetricStatistics("days_to_goal_d7_p90", "guardrail", {"c": c, "t": t}, higher_is_better=False,
                                kind="quantile", family="days_to_goal")]
    result = analyze_sufficient_statistics("x", {"c": 20000, "t": 20000}, metrics, "c", planned_users=20000)
    guard = result.methods["guardrails"]["days_to_goal_d7_p90"]
    assert guard["source"] == "default" and guard["margin"] == pytest.approx(0.05 * c.value)
    row = next(r for r in result.metrics if r.role == "guardrail")
    assert row.kind == "quantile" and row.value == t.value and row.to_dict()["quantile"]["p"] == 0.9
    assert (result.decision.verdict != "KEEP") is verdict_blocked, result.decision.reasons
