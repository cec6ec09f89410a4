"""The metric registry: the built-in catalogue, and a metric added by one entry (parsed, labelled,
validated in a spec, planned, its per-user columns built and its SQL checked against a plain-Python
computation)."""
from __future__ import annotations

import datetime as dt
import math
from collections import defaultdict
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from guidelab import registry
from guidelab.catalog import parse_metric
from guidelab.events import open_event_data
from guidelab.experiment import ExperimentSpec, dump_spec_dict
from guidelab.ledger import activity_day_words
from guidelab.metrics import ProportionCounts, compute_counts, metric_counts_sql
from guidelab.registry import MetricEntry, PerUserSQL, UserColumn

DOCS = Path(__file__).resolve().parent.parent / "docs" / "metrics.md"


# --------------------------------------------------------------------------- throwaway metrics


def _early_active_sql(m, spec):
    n = int(m.days)
    return PerUserSQL(f"observed_days >= {n}", f"CAST(early_active_d{n} AS INTEGER)")


EARLY_ACTIVE = MetricEntry(
    family="early_active", days=(1, 30), kind="proportion", example="early_active_d3",
    labels={"en": "back within {days} days", "ja": "{days}日以内の再訪率"},
    sql=_early_active_sql,
    columns=lambda m: (UserColumn(f"early_active_d{m.days}", "activity", f"bool_or(day BETWEEN 1 AND {m.days})",
                                  "FALSE"),),
    description="active on any of days 1..N after assignment; users with N complete days")

STEPS_SHOWN = MetricEntry(
    family="steps_shown", name="steps_shown", kind="mean", guide_only=True, guardrail_margin=(0.05, "relative"),
    labels={"en": "guide steps seen per user", "ja": "1人あたりの表示ステップ数"},
    sql=lambda m, spec: PerUserSQL("TRUE", "steps_shown"),
    columns=lambda m: (UserColumn("steps_shown", "guide_events", "count(DISTINCT step) FILTER (WHERE ev = 'shown')",
                                  "0"),),
    description="distinct steps of the guide shown to the user")


@pytest.fixture
def throwaway_metrics():
    """Two metrics of a test's own, registered for the test only: a day family over activity and
    a fixed name over guide events."""
    with registry.registered(EARLY_ACTIVE, STEPS_SHOWN) as added:
        yield added


def _spec_with(spec: ExperimentSpec, primary: str, secondary: list[str]) -> ExperimentSpec:
    d = dump_spec_dict(spec)
    d["metrics"] = {"primary": primary, "secondary": secondary, "guardrails": []}
    d.pop("guardrail_ceilings", None)
    return ExperimentSpec.model_validate(d)


def test_throwaway_metric_is_parsed_and_labelled(throwaway_metrics):
    m = parse_metric("early_active_d3")
    assert (m.family, m.days, m.kind, m.maturation_days, m.higher_is_better) == ("early_active", 3, "proportion", 3, True)
    assert m.label("en") == "back within 3 days" and m.label("ja") == "3日以内の再訪率"
    s = parse_metric("steps_shown")
    assert (s.kind, s.guide_only, s.maturation_days, s.label("ja")) == ("mean", True, 0, "1人あたりの表示ステップ数")
    with pytest.raises(ValueError, match=r"metric 'early_active_d31': the window must be 1\.\.30 days"):
        parse_metric("early_active_d31")
    with pytest.raises(ValueError, match=r"early_active_d<N> \(e\.g\. early_active_d3\) or steps_shown$"):
        parse_metric("nonsense")

    from guidelab.report.words import metric_label

    assert metric_label("early_active_d3", "ja") == "3日以内の再訪率"
    assert metric_label("early_active_d3", "en", capital=True) == "Back within 3 days"


def test_throwaway_metric_in_the_schema_and_the_guardrail_defaults(throwaway_metrics):
    import re

    from guidelab.decision import default_guardrail_margin
    from guidelab.schemas import schema

    primary = schema("experiment")["$defs"]["MetricsSpec"]["properties"]["primary"]
    assert re.match(primary["pattern"], "early_active_d3") and re.match(primary["pattern"], "steps_shown")
    assert "early_active_d<N>" in primary["description"]
    assert default_guardrail_margin("steps_shown", "steps_shown", "mean") == (0.05, "relative")
    assert default_guardrail_margin("early_active_d3", "early_active", "proportion") == (0.01, "absolute")


def test_schema_pattern_matches_the_parser():
    import re

    from guidelab.schemas import schema

    pattern = schema("experiment")["$defs"]["MetricsSpec"]["properties"]["guardrails"]["items"]["pattern"]
    assert pattern == registry.metric_name_regex()
    for name in ["shown", "answered", "click_through", "over_exposed", "goal_d7", "retention_d0", "sessions_d365",
                 "active_days_d14", "support_d1", "clicks_per_impression"]:
        parse_metric(name)
        assert re.match(pattern, name), name
    for name in ["nonsense", "retention_d", "retention_d1000", "Shown", "goal_d7x", "steps_shown"]:
        assert not re.match(pattern, name), name
        with pytest.raises(ValueError):
            parse_metric(name)


def test_throwaway_metric_is_gone_after_the_fixture():
    with registry.registered(EARLY_ACTIVE):
        assert parse_metric("early_active_d2").days == 2
    with pytest.raises(ValueError, match="unknown metric 'early_active_d2'"):
        parse_metric("early_active_d2")
    assert EARLY_ACTIVE not in registry.entries()


def test_throwaway_metric_in_a_spec_and_a_plan(throwaway_metrics, onboarding_spec):
    from guidelab.plan import plan_experiment

    spec = _spec_with(onboarding_spec, "early_active_d3", ["steps_shown"])
    assert [m.name for m, _ in spec.metric_defs()] == ["early_active_d3", "steps_shown"]
    plan = plan_experiment(spec, baseline_rate=0.3, daily_users=500)
    assert plan.metric_label == "back within 3 days"
    assert plan.lag_days == 3  # the entry's maturation: day N
    assert plan.days_to_decision_fixed == math.ceil(plan.enrollment_days_fixed - 1e-9) + 3
    assert "3日以内の再訪率" in plan.to_text("ja")


def _python_reference(spec, data_dir, as_of):
    """early_active_d3 (n, successes) and steps_shown (n, sum, sum of squares) per variant, row by row."""
    tz = spec.tz
    end = dt.datetime.combine(as_of + dt.timedelta(days=1), dt.time(), tzinfo=tz)
    users = {r["user_id"]: (r["variant"], r["assigned_at"])
             for r in pq.read_table(data_dir / "assignments.parquet").to_pylist()
             if r["experiment"] == spec.id and r["assigned_at"] < end}
    day0 = {u: at.astimezone(tz).date() for u, (_, at) in users.items()}
    active = defaultdict(set)
    for r in pq.read_table(data_dir / "activity.parquet").to_pylist():
        u = r["user_id"]
        if u in users and users[u][1] <= r["timestamp"] < end:
            active[u].add((r["timestamp"].astimezone(tz).date() - day0[u]).days)
    guides = {g.id for g in spec.guides}
    steps = defaultdict(set)
    for r in pq.read_table(data_dir / "guide_events.parquet").to_pylist():
        u = r["user_id"]
        if (u in users and r["guide_id"] in guides and users[u][1] <= r["timestamp"] < end
                and spec.event_names.get(r["event"], r["event"]) == "shown"):
            steps[u].add(r["step"] if r["step"] is not None else 1)
    early = {k: [0, 0] for k in spec.variant_keys}
    shown = {k: [0, 0, 0] for k in spec.variant_keys}
    for u, (variant, _) in users.items():
        if (as_of - day0[u]).days >= 3:
            early[variant][0] += 1
            early[variant][1] += int(any(1 <= d <= 3 for d in active[u]))
        y = len(steps[u])
        shown[variant] = [shown[variant][0] + 1, shown[variant][1] + y, shown[variant][2] + y * y]
    return early, shown


def test_throwaway_metric_sql_equals_python(throwaway_metrics, onboarding_spec, simulated_onboarding):
    from guidelab.analysis import analyze_counts

    spec = _spec_with(onboarding_spec, "early_active_d3", ["steps_shown", "retention_d1"])
    cols = registry.user_columns([m for m, _ in spec.metric_defs()])
    assert list(cols) == ["active_d1", "early_active_d3", "steps_shown"]  # catalogue order, then days
    assert metric_counts_sql(parse_metric("early_active_d3"), spec) == ("observed_days >= 3",
                                                                        "CAST(early_active_d3 AS INTEGER)")
    as_of = spec.start + dt.timedelta(days=12)
    ed = open_event_data(simulated_onboarding)
    try:
        counts = compute_counts(ed, spec, as_of)
        built = [r[0] for r in ed.con.execute("DESCRIBE exp_users").fetchall()]
        words = activity_day_words(ed)
    finally:
        ed.close()
    # the base columns, then what the metrics asked for, then the active-day bitmaps the curves read,
    # then the users columns of the spec's segments and strata (breakdowns.user_attribute_columns)
    attrs = [f"_gl_attr_{c}" for c in dict.fromkeys(
        "signup_at" if a == "new_user" else a for a in [*spec.segments, *spec.statistics.adjust_for])]
    assert built == [*registry.BASE_USER_COLUMNS, *cols, *(f"_gl_days{k}" for k in range(words)), *attrs]
    assert words >= 1 and attrs
    early, shown = _python_reference(spec, simulated_onboarding, as_of)
    by = {m.metric.name: m.by_variant for m in counts.metrics}
    assert by["early_active_d3"] == {k: ProportionCounts(*v) for k, v in early.items()}
    assert {k: (s.n, s.sum, s.sum_sq) for k, s in by["steps_shown"].items()} == {k: tuple(v) for k, v in shown.items()}
    assert sum(v[1] for v in early.values()) > 0 and shown["tour"][1] > shown["tour"][0]  # a tour has several steps
    assert shown["holdout"][1] == 0

    result = analyze_counts(spec, counts)
    rows = [r for r in result.metrics if r.metric == "early_active_d3"]
    assert {r.variant for r in rows} == set(spec.treatment_keys) and all(r.kind == "proportion" for r in rows)
    assert {r.kind for r in result.metrics if r.metric == "steps_shown"} == {"mean"}


# --------------------------------------------------------------------------- the built-in catalogue


def test_builtin_catalogue():
    names = [e.pattern for e in registry.entries()]
    assert names == ["shown", "opened", "clicked", "dismissed", "completed", "opted_out", "answered",
                     "click_through", "clicks_per_impression", "over_exposed", "goal_d<N>", "retention_d<N>",
                     "sessions_d<N>", "active_days_d<N>", "support_d<N>", "days_to_goal_d<N>",
                     "hours_to_complete_d<N>"]  # the last two: quantile metrics only (<pattern>_p<NN>)
    for e in registry.entries():
        assert e.labels["en"] and e.labels["ja"] and e.labels["en"] != e.labels["ja"], e.pattern
        assert e.description, e.pattern
    assert parse_metric("retention_d0").curve_day == 0 and parse_metric("goal_d7").curve_day is None
    assert parse_metric("goal_d7").requires == "goal_event" and parse_metric("support_d3").requires == "support_event"
    assert parse_metric("over_exposed").reads_other_guides and not parse_metric("shown").reads_other_guides


def test_user_columns_of_builtin_metrics():
    defs = [parse_metric(n) for n in ("sessions_d7", "retention_d7", "goal_d7", "retention_d1", "active_days_d3",
                                      "retention_d7", "clicked")]
    cols = registry.user_columns(defs)
    assert list(cols) == ["active_d1", "active_d7", "sessions_d7", "active_days_d3"]
    assert cols["active_d7"] == UserColumn("active_d7", "activity", "bool_or(day = 7)", "FALSE", active_on_day=7)
    assert cols["sessions_d7"].aggregate == "CAST(sum(sessions) FILTER (WHERE day BETWEEN 0 AND 6) AS BIGINT)"
    assert registry.user_columns([parse_metric("shown")]) == {}


def test_register_refuses_clashes_and_bad_entries():
    sql = lambda m, spec: PerUserSQL("TRUE", "1")  # noqa: E731
    labels = {"en": "x", "ja": "エックス"}
    with pytest.raises(ValueError, match="already registered"):
        registry.register(MetricEntry(family="x", name="shown", kind="proportion", labels=labels, sql=sql, description="x"))
    with pytest.raises(ValueError, match="already registered"):
        registry.register(MetricEntry(family="goal", days=(1, 2), kind="proportion", labels=labels, sql=sql,
                                      description="x"))
    with pytest.raises(ValueError, match="clashes"):
        registry.register(MetricEntry(family="x", name="goal_d3", kind="proportion", labels=labels, sql=sql,
                                      description="x"))
    with pytest.raises(ValueError, match="exactly one of name and days"):
        MetricEntry(family="x", kind="proportion", labels=labels, sql=sql, description="x")
    with pytest.raises(ValueError, match="kind must be"):
        MetricEntry(family="x", name="x", kind="median", labels=labels, sql=sql, description="x")
    with pytest.raises(ValueError, match="lower-case identifiers"):
        MetricEntry(family="x; DROP", name="x", kind="mean", labels=labels, sql=sql, description="x")
    with pytest.raises(ValueError, match="SQL identifier"):
        UserColumn("x y", "activity", "count(DISTINCT day)", "0")
    with pytest.raises(ValueError, match="source must be"):
        UserColumn("x", "users", "count(DISTINCT day)", "0")
    with pytest.raises(ValueError, match="active_on_day needs"):
        UserColumn("x", "guide_events", "bool_or(day = 1)", "FALSE", active_on_day=1)
    with pytest.raises(ValueError, match="active_on_day needs"):
        UserColumn("x", "activity", "bool_or(day = -1)", "FALSE", active_on_day=-1)
    with pytest.raises(ValueError, match="'en' and 'ja'"):
        MetricEntry(family="x", name="x", kind="proportion", labels={"en": "x"}, sql=sql, description="x")
    base = MetricEntry(family="y", name="y", kind="proportion", labels=labels, sql=sql, description="y",
                       columns=lambda m: (UserColumn("shown", "guide_events", "bool_or(TRUE)", "FALSE"),))
    with registry.registered(base), pytest.raises(ValueError, match="base column"):
        registry.user_columns([parse_metric("y")])
    assert len(registry.entries()) == 17


def test_required_spec_field_named_by_the_entry(onboarding_spec):
    d = dump_spec_dict(onboarding_spec)
    d["metrics"] = {"primary": "retention_d7", "secondary": ["support_d7", "goal_d7"], "guardrails": []}
    d.pop("guardrail_ceilings", None)
    d["goal_event"] = None
    with pytest.raises(ValueError, match="goal_event: a goal_d<N> metric is used"):
        ExperimentSpec.model_validate(d)
    d["goal_event"] = "project_created"
    with pytest.raises(ValueError, match="support_event: a support_d<N> metric is used"):
        ExperimentSpec.model_validate(d)


def test_docs_carry_the_generated_catalogue():
    text = DOCS.read_text(encoding="utf-8")
    assert registry.catalogue_markdown() in text, "docs/metrics.md: paste registry.catalogue_markdown() output"
