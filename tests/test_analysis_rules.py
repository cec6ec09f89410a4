"""The decision glue on sufficient statistics: analyze_sufficient_statistics, the planned-sample gate,
guardrail bounds against independent computations, and one truth with `guidelab plan`."""
from __future__ import annotations

import datetime as dt
import math

import pytest
from statsmodels.stats.proportion import confint_proportions_2indep, proportion_confint

from guidelab.analysis import MetricStatistics, _guardrail_bounds, analyze_sufficient_statistics
from guidelab.errors import SpecError
from guidelab.experiment import ExperimentSpec, StatisticsSpec, dump_spec_dict
from guidelab.metrics import ProportionCounts
from guidelab.plan import plan_experiment
from guidelab.report.words import reason_text
from guidelab.stats.means import MeanStats
from guidelab.stats.power import sample_size_two_proportions, users_needed
from guidelab.stats.sequential import sequential_interval

NO_BAYES = StatisticsSpec(bayesian=False)


def prop(**arms):
    return {k: ProportionCounts(n, s) for k, (n, s) in arms.items()}


def run(primary, guardrails=(), control="c", **kw):
    metrics = [MetricStatistics("clicked", "primary", primary)]
    metrics += [MetricStatistics(name, "guardrail", counts, higher_is_better=False, family="guide_event",
                                 guide_only=True) for name, counts in guardrails]
    assigned = {v: c.n for v, c in primary.items()}
    kw.setdefault("statistics", NO_BAYES)
    return analyze_sufficient_statistics("t", assigned, metrics, control, **kw)


def test_the_issue_case_three_arms_needs_the_plans_sample():
    """3 equal arms, p0 0.2, MDE 10%: the plan needs 7,880 per arm (alpha/2); 6,507 is not enough."""
    n = 6507
    counts = prop(c=(n, 1301), a=(n, 1500), b=(n, 1420))
    r = run(counts, mde=0.1, baseline=0.2)
    planned = r.methods["planned"]
    assert planned["a"]["control"] == planned["b"]["control"] == sample_size_two_proportions(
        0.2, 0.1, alpha=0.025) == 7880
    assert r.decision.verdict == "CONTINUE" and {x.code for x in r.decision.reasons} == {"progress"}
    r2 = run(prop(c=(7880, 1576), a=(7880, 1810), b=(7880, 1600)), mde=0.1, baseline=0.2)
    assert r2.decision.verdict == "KEEP" and r2.decision.arm == "a"


def test_days_needed_and_plan_are_one_truth(onboarding_spec):
    """The gate's planned sample equals `guidelab plan` at the observed baseline, weights and alpha/k."""
    d = dump_spec_dict(onboarding_spec)
    d.pop("simulation")
    spec = ExperimentSpec.model_validate(d)
    p0 = 0.224
    counts = prop(holdout=(1000, 224), tour=(2000, 460), checklist=(2000, 470))
    daily = [(dt.date(2026, 10, 1) + dt.timedelta(days=i), v, n) for i in range(10)
             for v, n in (("holdout", 100), ("tour", 200), ("checklist", 200))]
    r = analyze_sufficient_statistics("x", {"holdout": 1000, "tour": 2000, "checklist": 2000},
                                      [MetricStatistics("retention_d7", "primary", counts, maturation_days=7)],
                                      "holdout", alpha=spec.alpha, mde=spec.mde, power=spec.power,
                                      weights=spec.weights, statistics=NO_BAYES, daily_assigned=daily,
                                      as_of=dt.date(2026, 10, 10))
    plan = plan_experiment(spec, p0, 500)
    for c in plan.comparisons:
        assert r.methods["planned"][c.treatment]["control"] == c.n_control_fixed
        assert r.methods["planned"][c.treatment]["treatment"] == c.n_treatment_fixed
    # days: the control needs n_control_fixed at 100 a day, plus 7 days of maturation
    need = plan.comparisons[0].n_control_fixed
    assert r.decision.days_needed == pytest.approx((need - 1000) / 100 + 7)
    assert plan.lag_days == 7


def test_sequential_mode_plans_the_sequential_sample_and_stops_early():
    seq = StatisticsSpec(bayesian=False, sequential=True)
    counts = prop(c=(3000, 600), t=(3000, 780))
    r = run(counts, mde=0.1, statistics=seq)
    assert r.decision.verdict == "KEEP"
    assert r.methods["planned"]["t"]["control"] == users_needed(0.2, 0.1, sequential=True)[0]
    fixed = run(counts, mde=0.1)
    assert fixed.decision.verdict == "CONTINUE" and fixed.decision.reasons[0].code == "progress"


def test_mean_primary_gets_a_planned_sample():
    rows = {"c": MeanStats(400, 2000.0, 2000.0 * 5 + 399 * 4.0), "t": MeanStats(400, 2100.0, 2100.0 * 5.25 + 399 * 4.0)}
    r = analyze_sufficient_statistics("m", {"c": 400, "t": 400}, [MetricStatistics("sessions_d7", "primary", rows,
                                      kind="mean", maturation_days=7)], "c", mde=0.05, statistics=NO_BAYES)
    var = rows["c"].variance
    assert r.methods["planned"]["t"]["control"] == users_needed(5.0, 0.05, kind="mean", variance=var)[0]
    assert r.decision.reasons[0].code == "progress"


def test_an_arm_without_data_still_counts_in_the_family():
    counts = prop(c=(7880, 1576), a=(7880, 1810), b=(0, 0))
    r = run({k: v for k, v in counts.items()}, mde=0.1)
    assert r.methods["planned"]["a"]["control"] == sample_size_two_proportions(0.2, 0.1, alpha=0.025)


def test_guardrail_bounds_match_independent_intervals():
    t, c = ProportionCounts(2000, 230), ProportionCounts(2000, 200)
    r = run(prop(c=(2000, 400), t=(2000, 420)), [("dismissed", {"c": c, "t": t})])
    row = next(m for m in r.metrics if m.role == "guardrail")
    lower, upper = _guardrail_bounds(row, t, c, "fixed", 0.05, 5000, None)
    # one-sided 95% upper bound = the upper end of the two-sided 90% Agresti-Caffo interval
    lo90, hi90 = confint_proportions_2indep(230, 2000, 200, 2000, method="agresti-caffo", alpha=0.10)
    assert upper == pytest.approx(hi90, rel=1e-9)
    # always-valid lower bound = the confidence sequence at alpha around the Agresti-Caffo estimate
    pt, pc = 231 / 2002, 201 / 2002
    se = math.sqrt(pt * (1 - pt) / 2002 + pc * (1 - pc) / 2002)
    cs = sequential_interval(pt - pc, se, 4000, alpha=0.05, tuning=5000)
    assert lower == pytest.approx(cs.ci[0], rel=1e-9)
    # against a ceiling: the arm's own rate, Wilson bounds
    lower, upper = _guardrail_bounds(row, t, c, "fixed", 0.05, 5000, 0.2)
    assert upper == pytest.approx(proportion_confint(230, 2000, alpha=0.10, method="wilson")[1], rel=1e-9)


def test_guardrails_block_keep_until_shown_safe_and_kill_beyond_margin():
    win = prop(c=(8000, 1600), t=(8000, 1900))
    safe = prop(c=(8000, 800), t=(8000, 790))
    assert run(win, [("dismissed", safe)], mde=0.1).decision.verdict == "KEEP"
    # +1 point: not shown inside a 0.5 point margin, not shown beyond it either
    unsure = prop(c=(8000, 800), t=(8000, 880))
    d = run(win, [("dismissed", unsure)], mde=0.1, guardrail_margins={"dismissed": 0.005}).decision
    assert d.verdict == "CONTINUE" and d.reasons[1].code == "guardrail_not_shown_safe"
    harmed = prop(c=(8000, 800), t=(8000, 1200))
    d = run(win, [("dismissed", harmed)], mde=0.1).decision
    assert d.verdict == "KILL" and d.reasons[0].code == "guardrail_harmed"
    assert r_margin(run(win, [("dismissed", safe)], mde=0.1)) == {"margin": 0.02, "source": "default", "ceiling": None}


def r_margin(result):
    return result.methods["guardrails"]["dismissed"]


def test_guide_only_guardrail_against_a_holdout():
    win = prop(h=(8000, 1600), t=(8000, 1900))
    dismissed = prop(h=(8000, 0), t=(8000, 1600))
    d = run(win, [("dismissed", dismissed)], control="h", mde=0.1, no_guide_arms=["h"]).decision
    assert d.verdict == "CONTINUE" and d.reasons[1].code == "guardrail_needs_ceiling"
    d = run(win, [("dismissed", dismissed)], control="h", mde=0.1, no_guide_arms=["h"],
            guardrail_ceilings={"dismissed": 0.25}).decision
    assert d.verdict == "KEEP"
    d = run(win, [("dismissed", dismissed)], control="h", mde=0.1, no_guide_arms=["h"],
            guardrail_ceilings={"dismissed": 0.15}).decision
    assert d.verdict == "KILL" and "ceiling" in reason_text(d.reasons[0], "en")


def test_keep_among_arms_compares_best_and_runner_up_with_numbers():
    counts = prop(c=(8000, 1600), a=(8000, 1900), b=(8000, 1880))
    d = run(counts, mde=0.1).decision
    assert d.verdict == "KEEP" and d.arm == "a"
    r = next(x for x in d.reasons if x.code == "best_vs_runner_up")
    assert r.params["runner_up"] == "b" and r.params["significant"] is False
    assert r.params["rel_lift"] == pytest.approx(1900 / 1880 - 1)


def test_validate_explains_a_guide_only_guardrail_against_a_holdout(tmp_path):
    from guidelab.experiment import load_experiment

    text = """\
id: exp-one
hypothesis: A banner helps.
start: 2026-10-01
guides:
  - id: banner-a
    type: banner
    steps:
      - title: {ja: お知らせ, en: Notice}
variants:
  - {key: holdout, guide: null, weight: 0.5}
  - {key: treatment, guide: banner-a, weight: 0.5}
metrics:
  primary: goal_d7
  guardrails: [dismissed]
goal_event: signup
"""
    p = tmp_path / "exp-one.yaml"
    p.write_text(text, encoding="utf-8")
    with pytest.raises(SpecError) as e:
        load_experiment(p)
    msg = str(e.value)
    assert "'dismissed'" in msg and "'holdout'" in msg and "guardrail_ceilings" in msg
    p.write_text(text + "guardrail_ceilings: {dismissed: 0.3}\n", encoding="utf-8")
    assert load_experiment(p).guardrail_ceilings == {"dismissed": 0.3}


def test_a_decision_look_after_the_scheduled_end_is_said_plainly():
    """At 100 users per arm a day the planned 6,507 per arm (p0 0.2, MDE 10%) lies weeks past a
    28-day schedule: the CONTINUE reason must say so in both languages, not only 'keep running'."""
    import datetime as dt

    from guidelab.analysis import MetricStatistics, analyze_sufficient_statistics
    from guidelab.metrics import ProportionCounts

    start = dt.date(2026, 10, 1)
    daily = [(start + dt.timedelta(days=d), v, 100) for d in range(10) for v in ("c", "t")]
    metrics = [MetricStatistics("clicked", "primary", {"c": ProportionCounts(1000, 200), "t": ProportionCounts(1000, 215)})]

    def progress_reason(end):
        result = analyze_sufficient_statistics("x", {"c": 1000, "t": 1000}, metrics, "c", mde=0.1,
                                               daily_assigned=daily, as_of=start + dt.timedelta(days=9),
                                               scheduled_end=end)
        assert result.decision.verdict == "CONTINUE"
        return result.decision.reasons[0]

    late = progress_reason(start + dt.timedelta(days=27))
    assert late.code == "progress" and late.params["after_scheduled_end"] == "2026-10-28"
    assert "after the scheduled end" in reason_text(late, "en") and "予定の終了日" in reason_text(late, "ja")
    on_time = progress_reason(start + dt.timedelta(days=120))
    assert on_time.params["after_scheduled_end"] is None and "scheduled end" not in reason_text(on_time, "en")
