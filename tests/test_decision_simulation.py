"""A quick seeded check of the whole decision rule under 28 daily looks, both modes (issue 9).

The full operating-characteristics suite (2,000 experiments per scenario) lives in
tests/test_operating_characteristics.py; this one runs a few hundred experiments through
:func:`guidelab.analysis.analyze_sufficient_statistics` to check the rule is in the right region.
A team reads the verdict every day and stops at the first KEEP or KILL.
"""
from __future__ import annotations

import numpy as np
import pytest

from guidelab.analysis import MetricStatistics, analyze_sufficient_statistics
from guidelab.experiment import StatisticsSpec
from guidelab.metrics import ProportionCounts
from guidelab.stats.power import users_needed

P0, MDE, G0, MARGIN, LOOKS, PLAN_DAY = 0.2, 0.1, 0.10, 0.02, 28, 20


def simulate(mode: str, lift: float, guardrail_harm: float, sims: int, seed: int) -> dict[str, float]:
    """Shares of experiments with KEEP at any look, KILL at any look, KEEP by the planned sample."""
    st = StatisticsSpec(sequential=mode == "sequential", bayesian=False)
    daily = int(np.ceil(users_needed(P0, MDE, sequential=mode == "sequential")[0] / PLAN_DAY))
    rng = np.random.default_rng(seed)
    keep = kill = keep_by_plan = 0
    for _ in range(sims):
        n = np.zeros(2, int)
        s_primary = np.zeros(2, int)
        s_guard = np.zeros(2, int)
        previous, previous_share = None, 0.0
        for day in range(1, LOOKS + 1):
            n += daily
            s_primary += rng.binomial(daily, [P0, P0 * (1 + lift)])
            s_guard += rng.binomial(daily, [G0, G0 + guardrail_harm])
            metrics = [
                MetricStatistics("clicked", "primary", {"c": ProportionCounts(int(n[0]), int(s_primary[0])),
                                                        "t": ProportionCounts(int(n[1]), int(s_primary[1]))}),
                MetricStatistics("dismissed", "guardrail", {"c": ProportionCounts(int(n[0]), int(s_guard[0])),
                                                            "t": ProportionCounts(int(n[1]), int(s_guard[1]))},
                                 higher_is_better=False, family="guide_event"),
            ]
            result = analyze_sufficient_statistics(
                "sim", {"c": int(n[0]), "t": int(n[1])}, metrics, "c", alpha=0.05, mde=MDE, statistics=st,
                guardrail_margins={"dismissed": MARGIN}, previous_users=previous)
            verdict = result.decision.verdict
            previous = {"c": int(n[0]), "t": int(n[1])}
            if verdict in ("KEEP", "KILL"):
                keep += verdict == "KEEP"
                kill += verdict == "KILL"
                # by the planned sample: at or before the first look that has it
                keep_by_plan += verdict == "KEEP" and previous_share < 1
                break
            previous_share = result.methods["planned"]["t"]["share"] or 0.0
    return {"keep": keep / sims, "kill": kill / sims, "keep_by_plan": keep_by_plan / sims}


@pytest.mark.slow
@pytest.mark.parametrize("mode", ["fixed", "sequential"])
def test_daily_looks_keep_the_decision_error_rates(mode):
    sims = 300
    aa = simulate(mode, 0.0, 0.0, sims, seed=11)
    assert aa["keep"] <= 0.05
    harmed = simulate(mode, 0.0, 0.03, sims, seed=12)  # guardrail +3 pt, margin 2 pt
    assert harmed["keep"] <= 0.05
    effect = simulate(mode, MDE, 0.0, sims, seed=13)
    assert effect["kill"] <= 0.05
    # planned power 0.80 times the chance the guardrail is shown safe (about 0.985 here): about 0.79. At 300
    # experiments the binomial SE is 0.024, so this quick check allows two SEs below the 0.77; the
    # 2,000-experiment suite (tests/test_operating_characteristics.py) holds the rule to 0.77 itself.
    assert effect["keep_by_plan"] >= 0.77 - 2 * (0.79 * 0.21 / sims) ** 0.5
