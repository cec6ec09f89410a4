"""The verdict rules, one scenario per rule, in both languages."""
from __future__ import annotations

import pytest

from guidelab.decision import ComparisonView, decide


def view(variant="b", metric="retention_d7", role="primary", p=0.5, rel=0.0, ci=(-0.1, 0.1), higher=True,
         status="ok", rate=0.2, rate_control=0.2):
    diff = None if rate is None or rate_control is None else rate - rate_control
    return ComparisonView(metric, role, variant, higher, status, p, p, rel, ci, diff, rate, rate_control)


def run(primary, guardrails=(), srm_p=0.5, failed=(), mde=0.05, days=None):
    return decide(list(primary), list(guardrails), srm_p, list(failed), 0.05, mde, days or {})


def test_keep_when_primary_significantly_better():
    d = run([view(p=0.001, rel=0.08, ci=(0.03, 0.13), rate=0.216, rate_control=0.2)])
    assert d.verdict == "KEEP" and d.arm == "b"
    assert "raised" in d.reasons[0].text("en") and "21.6%" in d.reasons[0].text("en")
    assert "改善" in d.reasons[0].text("ja")


def test_kill_when_primary_significantly_worse():
    d = run([view(p=0.002, rel=-0.08, ci=(-0.13, -0.03), rate=0.184, rate_control=0.2)])
    assert d.verdict == "KILL" and d.reasons[0].code == "primary_worse"


def test_kill_when_guardrail_harmed_even_if_primary_wins():
    g = view(metric="dismissed", role="guardrail", p=0.01, higher=False, rate=0.3, rate_control=0.25)
    d = run([view(p=0.001, rel=0.08, ci=(0.03, 0.13), rate=0.216, rate_control=0.2)], [g])
    assert d.verdict == "KILL" and d.reasons[0].code == "guardrail_harmed"


def test_guardrail_improvement_is_not_harm():
    g = view(metric="dismissed", role="guardrail", p=0.01, higher=False, rate=0.2, rate_control=0.25)
    d = run([view(p=0.001, rel=0.08, ci=(0.03, 0.13), rate=0.216, rate_control=0.2)], [g])
    assert d.verdict == "KEEP"


def test_kill_for_futility_when_ci_rules_out_mde():
    d = run([view(p=0.4, rel=0.01, ci=(-0.02, 0.04))], mde=0.05)
    assert d.verdict == "KILL" and d.reasons[0].code == "futile"


def test_continue_with_days_needed():
    d = run([view(p=0.2, rel=0.04, ci=(-0.02, 0.10))], days={"b": 12.3})
    assert d.verdict == "CONTINUE" and d.days_needed == pytest.approx(12.3)
    assert "12" in d.reasons[0].text("en") and "12" in d.reasons[0].text("ja")


@pytest.mark.parametrize("srm_p, failed", [(0.0001, ()), (0.5, ("variants match the spec",))])
def test_investigate_beats_everything(srm_p, failed):
    d = run([view(p=0.001, rel=0.08, ci=(0.03, 0.13), rate=0.216, rate_control=0.2)], srm_p=srm_p, failed=failed)
    assert d.verdict == "INVESTIGATE"


def test_srm_at_threshold_is_not_investigate():
    assert run([view()], srm_p=0.001).verdict != "INVESTIGATE"


def test_multi_arm_keeps_the_best_winner_and_reports_the_others():
    a = view("tour", p=0.001, rel=0.15, ci=(0.08, 0.22), rate=0.23, rate_control=0.2)
    b = view("checklist", p=0.01, rel=0.06, ci=(0.01, 0.11), rate=0.212, rate_control=0.2)
    d = run([b, a])
    assert d.verdict == "KEEP" and d.arm == "tour"
    assert {x.variant for x in d.arms} == {"tour", "checklist"}


def test_kill_only_when_every_arm_is_killed():
    worse = view("a", p=0.001, rel=-0.1, ci=(-0.15, -0.05), rate=0.18, rate_control=0.2)
    open_ = view("b", p=0.3, rel=0.03, ci=(-0.03, 0.09))
    assert run([worse, open_]).verdict == "CONTINUE"
    assert run([worse]).verdict == "KILL"


def test_not_enough_data_continues():
    d = run([view(status="not_enough_data", p=None, rel=None, ci=None, rate=None, rate_control=None)])
    assert d.verdict == "CONTINUE" and d.arms[0].reasons[-1].code == "not_enough_data"


def test_lower_is_better_primary():
    d = run([view(metric="dismissed", p=0.001, rel=-0.2, ci=(-0.3, -0.1), higher=False, rate=0.2, rate_control=0.25)])
    assert d.verdict == "KEEP"


def test_to_dict_shape():
    d = run([view(p=0.001, rel=0.08, ci=(0.03, 0.13), rate=0.216, rate_control=0.2)]).to_dict()
    assert d["verdict"] == "KEEP" and isinstance(d["reasons"], list) and d["reasons_ja"]


def test_guardrail_margin_tolerates_small_harm_but_not_large():
    from guidelab.decision import ComparisonView

    def guard(diff, ci, margin):
        return ComparisonView("dismissed", "guardrail", "b", False, "ok", 0.001, 0.001, diff / 0.25, None, diff,
                              0.25 + diff, 0.25, None, "proportion", False, ci, margin)

    win = view(p=0.001, rel=0.08, ci=(0.03, 0.13), rate=0.216, rate_control=0.2)
    # +2 pt more dismissals, CI [+1, +3] pt: beyond a 0 margin, inside a 5 pt margin, beyond a 0.5 pt margin
    assert run([win], [guard(0.02, (0.01, 0.03), 0.0)]).verdict == "KILL"
    assert run([win], [guard(0.02, (0.01, 0.03), 0.05)]).verdict == "KEEP"
    d = run([win], [guard(0.02, (0.01, 0.03), 0.005)])
    assert d.verdict == "KILL" and "beyond the tolerated 0.5 pt" in d.reasons[0].text("en")
    assert "許容幅 0.5ポイント" in d.reasons[0].text("ja")
