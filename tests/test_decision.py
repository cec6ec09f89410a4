"""The verdict rules, one scenario per rule, in both languages."""
from __future__ import annotations

import datetime as dt

import pytest

from guidelab.decision import (
    GUARDRAIL_MARGIN_DEFAULTS,
    ComparisonView,
    Progress,
    Reason,
    decide,
    default_guardrail_margin,
)
from guidelab.report.words import reason_text


def view(variant="b", metric="retention_d7", role="primary", p=0.5, rel=0.0, ci=(-0.1, 0.1), higher=True,
         status="ok", rate=0.2, rate_control=0.2):
    diff = None if rate is None or rate_control is None else rate - rate_control
    return ComparisonView(metric, role, variant, higher, status, p, p, rel, ci, diff, rate, rate_control)


def run(primary, guardrails=(), srm_p=0.5, failed=(), mde=0.05, days=None):
    return decide(list(primary), list(guardrails), srm_p, list(failed), 0.05, mde, days or {})


def test_keep_when_primary_significantly_better():
    d = run([view(p=0.001, rel=0.08, ci=(0.03, 0.13), rate=0.216, rate_control=0.2)])
    assert d.verdict == "KEEP" and d.arm == "b"
    assert "raised" in reason_text(d.reasons[0], "en") and "21.6%" in reason_text(d.reasons[0], "en")
    assert "改善" in reason_text(d.reasons[0], "ja")


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
    assert "12" in reason_text(d.reasons[0], "en") and "12" in reason_text(d.reasons[0], "ja")


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


def guard(variant="b", metric="dismissed", lower=-0.01, upper=0.01, margin=0.02, ceiling=None, judgeable=True,
          rate=0.25, rate_control=0.25):
    """A guardrail view with its harm bounds (positive = worse), as the analysis builds it."""
    return ComparisonView(metric, "guardrail", variant, False, "ok", 0.5, 0.5, 0.0, None, rate - rate_control,
                          rate, rate_control, None, "proportion", False, None, margin, lower, upper, ceiling, judgeable)


WIN = dict(p=0.001, rel=0.08, ci=(0.03, 0.13), rate=0.216, rate_control=0.2)


def reached(variant="b", n=1000):
    return {variant: Progress(n, n, n, n, 0.0, dt.date(2026, 1, 1))}


def gated(primary, guardrails=(), progress=None, mode="fixed", mde=0.05, comparison=None):
    return decide(list(primary), list(guardrails), 0.5, [], 0.05, mde, {}, mode=mode,
                  progress=progress if progress is not None else reached(), arm_comparison=comparison)


def test_guardrail_kill_needs_harm_beyond_the_margin_on_the_always_valid_bound():
    # harm shown (+1 to +3 pt) but within a 5 pt margin: not a KILL; its upper bound 3 < 5: safe, KEEP
    assert gated([view(**WIN)], [guard(lower=0.01, upper=0.03, margin=0.05)]).verdict == "KEEP"
    d = gated([view(**WIN)], [guard(lower=0.01, upper=0.03, margin=0.005)])
    assert d.verdict == "KILL" and d.reasons[0].code == "guardrail_harmed"
    assert "beyond the tolerated 0.5 pt" in reason_text(d.reasons[0], "en") and "許容幅" in reason_text(d.reasons[0], "ja")


def test_keep_needs_every_guardrail_shown_safe():
    safe = guard(metric="dismissed", lower=-0.02, upper=0.01, margin=0.02)
    open_ = guard(metric="opted_out", lower=-0.02, upper=0.015, margin=0.005)
    d = gated([view(**WIN)], [safe, open_])
    assert d.verdict == "CONTINUE"
    codes = [r.code for r in d.reasons]
    assert codes == ["primary_better", "guardrail_not_shown_safe"]
    text = reason_text(d.reasons[1], "en")
    assert "“don't show again” rate" in text and "not yet shown safe" in text and "1.5 pt" in text
    assert "まだ示されていません" in reason_text(d.reasons[1], "ja")
    assert gated([view(**WIN)], [safe]).verdict == "KEEP"


def test_guide_only_guardrail_against_a_holdout_is_judged_on_its_ceiling():
    under = guard(lower=0.20, upper=0.26, ceiling=0.30, rate=0.23, rate_control=0.0)
    assert gated([view(**WIN)], [under]).verdict == "KEEP"
    over = guard(lower=0.32, upper=0.38, ceiling=0.30, rate=0.35, rate_control=0.0)
    d = gated([view(**WIN)], [over])
    assert d.verdict == "KILL" and "ceiling of 30.0%" in reason_text(d.reasons[0], "en") and "上限" in reason_text(d.reasons[0], "ja")
    close = guard(lower=0.25, upper=0.31, ceiling=0.30, rate=0.28, rate_control=0.0)
    assert gated([view(**WIN)], [close]).verdict == "CONTINUE"
    blind = guard(lower=None, upper=None, judgeable=False, rate=0.28, rate_control=0.0)
    d = gated([view(**WIN)], [blind])
    assert d.verdict == "CONTINUE" and d.reasons[1].code == "guardrail_needs_ceiling"
    assert "guardrail_ceilings" in reason_text(d.reasons[1], "en") and "guardrail_ceilings" in reason_text(d.reasons[1], "ja")


def test_fixed_horizon_gate_continues_with_progress_before_the_planned_sample():
    half = {"b": Progress(2000, 2000, 1000, 1100, 6.4, dt.date(2026, 3, 8))}
    d = gated([view(**WIN)], progress=half)
    assert d.verdict == "CONTINUE" and d.reasons[0].code == "progress" and d.days_needed == pytest.approx(6.4)
    en, ja = reason_text(d.reasons[0], "en"), reason_text(d.reasons[0], "ja")
    assert "50% of the planned sample" in en and "8 Mar 2026" in en and "1,000 of 2,000" in en
    assert "50%" in ja and "2026年3月8日" in ja
    # futility waits too, and so does a significantly worse primary on the fixed test alone
    assert gated([view(p=0.4, rel=0.01, ci=(-0.02, 0.04))], progress=half).verdict == "CONTINUE"
    # the same numbers in sequential mode are judged now
    assert gated([view(**WIN)], progress=half, mode="sequential").verdict == "KEEP"


def test_no_plan_means_no_efficacy_verdict_in_fixed_mode():
    d = gated([view(**WIN)], progress={"b": Progress(None, None, 10, 10)})
    assert d.verdict == "CONTINUE" and d.reasons[0].code == "awaiting_plan"
    assert "baseline" in reason_text(d.reasons[0], "en") and "baseline" in reason_text(d.reasons[0], "ja")


def test_harm_stops_at_any_look_on_always_valid_bounds():
    half = {"b": Progress(2000, 2000, 1000, 1000, 6.0)}
    worse = ComparisonView("retention_d7", "primary", "b", True, "ok", 0.001, 0.001, -0.1, (-0.15, -0.05), -0.02,
                           0.18, 0.2, True, harm_lower=0.005)
    assert gated([worse], progress=half).verdict == "KILL"
    not_shown = ComparisonView("retention_d7", "primary", "b", True, "ok", 0.01, 0.01, -0.1, (-0.15, -0.05), -0.02,
                               0.18, 0.2, True, harm_lower=-0.001)
    assert gated([not_shown], progress=half).verdict == "CONTINUE"  # fixed test alone does not stop early
    assert gated([view(**WIN)], [guard(lower=0.03, upper=0.05)], progress=half).verdict == "KILL"


def test_planned_sample_reached_but_inconclusive_continues_and_says_so():
    d = gated([view(p=0.2, rel=0.04, ci=(-0.02, 0.10))])
    assert d.verdict == "CONTINUE" and d.reasons[0].code == "planned_reached_inconclusive"
    assert "planned sample is reached" in reason_text(d.reasons[0], "en") and "計画したサンプル" in reason_text(d.reasons[0], "ja")


def test_significant_win_smaller_than_the_mde_says_so():
    d = gated([view(p=0.001, rel=0.03, ci=(0.01, 0.05), rate=0.206, rate_control=0.2)], mde=0.05)
    assert d.verdict == "KEEP" and [r.code for r in d.reasons] == ["primary_better", "win_below_mde"]
    assert "smaller than the target effect of +5.0%" in reason_text(d.reasons[1], "en") and "最小効果" in reason_text(d.reasons[1], "ja")
    assert [r.code for r in gated([view(**WIN)]).reasons] == ["primary_better"]


def test_keep_among_arms_compares_the_best_with_the_runner_up():
    a = view("tour", p=0.001, rel=0.15, ci=(0.08, 0.22), rate=0.23, rate_control=0.2)
    b = view("checklist", p=0.01, rel=0.06, ci=(0.01, 0.11), rate=0.212, rate_control=0.2)
    seen = []

    def compare(best, runner):
        seen.append((best, runner))
        return Reason("best_vs_runner_up", {"variant": best, "runner_up": runner, "metric": "retention_d7",
                                            "rel_lift": 0.085, "rel_ci": [-0.01, 0.19], "p": 0.08, "significant": False})
    progress = {**reached("tour"), **reached("checklist")}
    d = gated([b, a], progress=progress, comparison=compare)
    assert d.verdict == "KEEP" and d.arm == "tour" and seen == [("tour", "checklist")]
    assert d.reasons[1].code == "best_vs_runner_up"
    assert "not shown better than the runner-up checklist" in reason_text(d.reasons[1], "en")
    assert "次点の checklist" in reason_text(d.reasons[1], "ja")


def test_lower_is_better_best_arm_is_the_largest_decrease():
    a = view("a", metric="dismissed", p=0.001, rel=-0.3, ci=(-0.4, -0.2), higher=False, rate=0.175, rate_control=0.25)
    b = view("b", metric="dismissed", p=0.001, rel=-0.1, ci=(-0.15, -0.05), higher=False, rate=0.225, rate_control=0.25)
    d = gated([b, a], progress={**reached("a"), **reached("b")})
    assert d.verdict == "KEEP" and d.arm == "a"


def test_default_margins_live_in_one_table():
    assert default_guardrail_margin("dismissed", "guide_event", "proportion") == (0.02, "absolute")
    assert default_guardrail_margin("support_d7", "support", "proportion") == GUARDRAIL_MARGIN_DEFAULTS["support"]
    assert default_guardrail_margin("sessions_d7", "sessions", "mean") == (0.02, "relative")
    assert default_guardrail_margin("retention_d7", "retention", "proportion") == (0.01, "absolute")
