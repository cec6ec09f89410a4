"""The verdict: KEEP, KILL, CONTINUE or INVESTIGATE, each with reasons a manager can read.

Rules, in order (also in the README, "The verdict"):

1. INVESTIGATE - sample-ratio mismatch (SRM p < 0.001) or a failed data check: the numbers
   cannot be trusted until the cause is found.
2. Per treatment arm, on the pre-registered primary metric (Holm-adjusted p across arms):
   * KILL - primary significantly worse, or a guardrail significantly worse (guardrails are
     not adjusted: a harm signal should not be diluted), or futility: the confidence interval
     of the relative lift rules out the MDE (the guide cannot plausibly reach its target);
   * KEEP - primary significantly better and no guardrail harmed;
   * CONTINUE - otherwise, with the days still needed at the observed traffic.
3. The experiment: KEEP the best arm that is KEEP; else CONTINUE if any arm still runs; else
   KILL. A significant win smaller than the MDE is still a KEEP (it beats control).
Reasons are data (a code and parameters) rendered in English or Japanese by :mod:`guidelab.i18n`.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, Literal

Verdict = Literal["KEEP", "KILL", "CONTINUE", "INVESTIGATE"]
SRM_THRESHOLD = 0.001


@dataclass(frozen=True)
class Reason:
    """One reason of a verdict: a code the i18n layer knows, and the numbers to fill in."""

    code: str
    params: dict[str, Any] = field(default_factory=dict)

    def text(self, lang: str = "en") -> str:
        from .i18n import reason_text

        return reason_text(self, lang)


@dataclass(frozen=True)
class ArmOutcome:
    variant: str
    verdict: Verdict
    reasons: tuple[Reason, ...]
    days_needed: float | None = None


@dataclass(frozen=True)
class Decision:
    verdict: Verdict
    reasons: tuple[Reason, ...]
    arm: str | None
    arms: tuple[ArmOutcome, ...]
    days_needed: float | None = None

    def to_dict(self, lang: str = "en") -> dict:
        d = {
            "verdict": self.verdict,
            "reasons": [r.text(lang) for r in self.reasons],
            "arm": self.arm,
            "days_needed": None if self.days_needed is None else round(self.days_needed, 1),
            "arms": [{"variant": a.variant, "verdict": a.verdict, "reasons": [r.text(lang) for r in a.reasons],
                      "days_needed": None if a.days_needed is None else round(a.days_needed, 1)} for a in self.arms],
            "reason_codes": [{"code": r.code, **_jsonable(r.params)} for r in self.reasons],
        }
        if lang == "en":
            d["reasons_ja"] = [r.text("ja") for r in self.reasons]
        return d


def _jsonable(params: dict[str, Any]) -> dict[str, Any]:
    return {k: (v if not isinstance(v, float) or math.isfinite(v) else None) for k, v in params.items()}


@dataclass(frozen=True)
class ComparisonView:
    """What the rules need of one metric comparison (decoupled from the stats result types)."""

    metric: str
    role: str
    variant: str
    higher_is_better: bool
    status: str
    p_value: float | None
    p_value_adjusted: float | None
    rel_lift: float | None
    rel_ci: tuple[float, float] | None
    abs_diff: float | None
    rate: float | None
    rate_control: float | None
    significant: bool | None = None   # set by the analysis (sequential or p-value); None: p_value_adjusted < alpha
    kind: str = "proportion"
    sequential: bool = False          # the interval is an always-valid confidence sequence
    abs_ci: tuple[float, float] | None = None
    margin: float = 0.0               # tolerated harm for a guardrail (absolute, same unit as the metric)


def _is_significant(p: float | None, alpha: float) -> bool:
    return p is not None and p < alpha


def _sig(c: ComparisonView, alpha: float) -> bool:
    """Significant by the method the analysis chose (sequential interval or adjusted p-value)."""
    if c.significant is not None:
        return c.significant
    return _is_significant(c.p_value_adjusted, alpha)


def harmed_beyond_margin(g: ComparisonView, alpha: float) -> bool:
    """A guardrail is harmed when it is significantly worse and, with a margin, when even the
    interval's end nearest zero lies beyond the margin (the harm is surely larger than tolerated)."""
    if g.status != "ok" or not _sig(g, alpha) or not _worse(g):
        return False
    if g.margin <= 0 or g.abs_ci is None:
        return True
    nearest = g.abs_ci[0] if not g.higher_is_better else -g.abs_ci[1]  # harm as a positive number
    return nearest > g.margin


def _worse(c: ComparisonView) -> bool:
    return c.abs_diff is not None and (c.abs_diff < 0 if c.higher_is_better else c.abs_diff > 0)


def _better(c: ComparisonView) -> bool:
    return c.abs_diff is not None and (c.abs_diff > 0 if c.higher_is_better else c.abs_diff < 0)


def decide_arm(primary: ComparisonView, guardrails: list[ComparisonView], alpha: float, mde: float,
               days_needed: float | None) -> ArmOutcome:
    """Apply rule 2 to one treatment arm."""
    reasons: list[Reason] = []
    v = primary.variant
    base = {"variant": v, "metric": primary.metric, "kind": primary.kind, "rate": primary.rate,
            "rate_control": primary.rate_control, "sequential": primary.sequential,
            "rel_lift": primary.rel_lift, "rel_ci": list(primary.rel_ci) if primary.rel_ci else None,
            "p": primary.p_value_adjusted, "alpha": alpha, "mde": mde}
    harmed = [g for g in guardrails if harmed_beyond_margin(g, alpha)]
    for g in harmed:
        reasons.append(Reason("guardrail_harmed", {"variant": v, "metric": g.metric, "kind": g.kind, "rate": g.rate,
                                                   "rate_control": g.rate_control, "p": g.p_value, "margin": g.margin}))
    if primary.status != "ok":
        return ArmOutcome(v, "KILL" if harmed else "CONTINUE",
                          tuple(reasons) + (Reason("not_enough_data", base),), days_needed)
    sig = _sig(primary, alpha)
    if sig and _worse(primary):
        return ArmOutcome(v, "KILL", (Reason("primary_worse", base), *reasons))
    if harmed:
        return ArmOutcome(v, "KILL", tuple(reasons))
    if sig and _better(primary):
        return ArmOutcome(v, "KEEP", (Reason("primary_better", base),))
    if primary.rel_ci is not None:
        lo, hi = primary.rel_ci
        futile = hi < mde if primary.higher_is_better else lo > -mde
        if futile:
            return ArmOutcome(v, "KILL", (Reason("futile", base),))
    return ArmOutcome(v, "CONTINUE", (Reason("inconclusive", {**base, "days_needed": days_needed}),), days_needed)


def decide(primary_rows: list[ComparisonView], guardrail_rows: list[ComparisonView], srm_p: float | None,
           failed_checks: list[str], alpha: float, mde: float, days_needed: dict[str, float | None]) -> Decision:
    """The experiment's verdict from its primary and guardrail comparisons, SRM and data checks."""
    arms = tuple(
        decide_arm(p, [g for g in guardrail_rows if g.variant == p.variant], alpha, mde, days_needed.get(p.variant))
        for p in primary_rows
    )
    investigate: list[Reason] = []
    if srm_p is not None and srm_p < SRM_THRESHOLD:
        investigate.append(Reason("srm", {"p": srm_p, "threshold": SRM_THRESHOLD}))
    for name in failed_checks:
        investigate.append(Reason("data_check_failed", {"check": name}))
    if investigate:
        return Decision("INVESTIGATE", tuple(investigate), None, arms)
    keep = [a for a in arms if a.verdict == "KEEP"]
    if keep:
        rel = {p.variant: (p.rel_lift if p.rel_lift is not None else -math.inf) for p in primary_rows}
        best = max(keep, key=lambda a: rel[a.variant])
        others = tuple(r for a in arms if a is not best for r in a.reasons)
        return Decision("KEEP", best.reasons + others, best.variant, arms)
    running = [a for a in arms if a.verdict == "CONTINUE"]
    if running:
        known = [a.days_needed for a in running if a.days_needed is not None]
        days = max(known) if known else None
        reasons = tuple(r for a in running for r in a.reasons) + tuple(
            r for a in arms if a.verdict == "KILL" for r in a.reasons)
        return Decision("CONTINUE", reasons, None, arms, days)
    return Decision("KILL", tuple(r for a in arms for r in a.reasons), None, arms)
