"""The verdict: KEEP, KILL, CONTINUE or INVESTIGATE, each with reasons a manager can read.

The rule is safe when the team reads the verdict at every daily run (issue 9; the error rates
are measured by simulation, ``docs/statistics.md``). In order (also in the README, "The verdict"):

1. INVESTIGATE - sample-ratio mismatch (SRM p < 0.001) or a failed data check.
2. Per treatment arm, in both modes, at any look (always-valid bounds, so looking daily is safe):
   * KILL - the primary metric is shown worse (its always-valid (1 - alpha/k) interval excludes
     0 on the bad side), or a guardrail is shown harmed beyond its margin (the always-valid
     (1 - alpha) lower bound of the harm exceeds the margin, or the ceiling).
3. Efficacy and futility, by mode:
   * ``fixed`` (default): only once the planned sample is reached (:class:`Progress`); before,
     CONTINUE with the share of the planned users and the date of the decision look. From then
     on: the Holm-adjusted test at alpha and the (1 - alpha) interval of the lift.
   * ``sequential``: at any look, on the confidence sequences (alpha/k across arms).
   * KEEP - the primary is significantly better AND every guardrail is shown safe (its one-sided
     (1 - alpha) upper bound of harm is inside its margin: a non-inferiority test, Schultzberg,
     Ankargren & Frånberg 2024); a better primary with a guardrail not yet shown safe is CONTINUE,
     naming the guardrail. KILL (futility) - the interval of the relative lift rules out the MDE.
     Otherwise CONTINUE.
4. The experiment: KEEP the best arm that is KEEP (with a comparison of the best arm and the
   runner-up, and a note when the win is smaller than the MDE); else CONTINUE if any arm still
   runs; else KILL.
Reasons are data (a code and parameters); the report says them in English or Japanese
(:mod:`guidelab.report.words`).
"""
from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass, field
from typing import Any, Callable, Literal, Mapping, Sequence

from .serialize import JsonField, ResultModel, raw_converter, to_jsonable

Verdict = Literal["KEEP", "KILL", "CONTINUE", "INVESTIGATE"]
Mode = Literal["fixed", "sequential"]
SRM_THRESHOLD = 0.001

#: The default tolerated harm of a guardrail of each kind, when the spec gives no explicit
#: ``guardrail_margins`` entry and the metric's registry entry declares no ``guardrail_margin``
#: (:mod:`guidelab.registry`): (value, unit). "absolute": a difference of rates (0.01 = 1
#: percentage point); "relative": a share of the control's value (means, ratios). Documented in
#: docs/statistics.md and experiments/README.md.
KIND_MARGIN_DEFAULTS: dict[str, tuple[float, str]] = {
    "proportion": (0.01, "absolute"),      # any rate used as a guardrail (retention, goal, ...)
    "mean": (0.02, "relative"),            # sessions / active days per user: 2% of the control's mean
    "ratio": (0.02, "relative"),
    "quantile": (0.05, "relative"),        # a percentile of a time or count: 5% of the control's quantile
}


def guardrail_margin_defaults() -> dict[str, tuple[float, str]]:
    """Every default margin: the registry entries' (by metric name or family), then by kind."""
    from .registry import guardrail_margins

    return {**guardrail_margins(), **KIND_MARGIN_DEFAULTS}


#: The built-in defaults as one table (metric name or family, then kind): dismissed 2 pt,
#: opted_out 0.5 pt, support 0.5 pt, over_exposed 2 pt, other rates 1 pt, means and ratios 2%.
GUARDRAIL_MARGIN_DEFAULTS: dict[str, tuple[float, str]] = guardrail_margin_defaults()


def default_guardrail_margin(name: str, family: str, kind: str) -> tuple[float, str]:
    """(value, unit) of the default margin for a guardrail: by metric name, family, then kind."""
    table = guardrail_margin_defaults()
    for key in (name, family, kind):
        if key in table:
            return table[key]
    return table["proportion"]


#: Every code a :class:`Reason` can carry (each has a sentence in every language of the report:
#: ``REASONS`` of guidelab/report/words/en.py and ja.py, tests/test_words.py).
REASON_CODES: tuple[str, ...] = (
    "srm", "data_check_failed", "primary_better", "primary_worse", "guardrail_harmed", "guardrail_not_shown_safe",
    "guardrail_needs_ceiling", "progress", "awaiting_plan", "planned_reached_inconclusive", "win_below_mde",
    "best_vs_runner_up", "futile", "inconclusive", "not_enough_data",
)


@dataclass(frozen=True)
class Reason(ResultModel):
    """One reason of a verdict: a code and the numbers to fill in. Data, not words: the report
    says it in English or Japanese (:func:`guidelab.report.words.reason_text`)."""

    code: str
    params: dict[str, Any] = field(default_factory=dict)

    _json_fields = ("code", "params")


def _texts(lang: str) -> Callable[[tuple[Reason, ...]], list[str]]:
    """The reasons as sentences in ``lang``, for the JSON form (the report's words say them)."""
    def say(reasons: tuple[Reason, ...]) -> list[str]:
        from .report.words import reason_text

        out = []
        for r in reasons:  # a Reason shared by the verdict and its arm is worded once (memo on the Reason)
            said = r.__dict__.setdefault("_said", {})
            if lang not in said:
                said[lang] = reason_text(r, lang)
            out.append(said[lang])
        return out
    return say


def _days_json(days: float | None) -> float | None:
    return None if days is None else round(days, 1)


def _reason_codes(reasons: tuple[Reason, ...]) -> list[dict[str, Any]]:
    return [{"code": r.code, **to_jsonable(r.params)} for r in reasons]


def _reason_codes_raw(reasons: tuple[Reason, ...]) -> list[dict[str, Any]]:
    return [{"code": r.code, **r.params} for r in reasons]


raw_converter(_reason_codes, _reason_codes_raw)


@dataclass(frozen=True)
class ArmOutcome(ResultModel):
    variant: str
    verdict: Verdict
    reasons: tuple[Reason, ...]
    days_needed: float | None = None

    _json_fields = ("variant", "verdict", JsonField("reasons", convert=_texts("en")),
                    JsonField("days_needed", convert=_days_json))


@dataclass(frozen=True)
class Decision(ResultModel):
    """The verdict of an experiment, the reasons for it (codes and numbers), and each arm's own.

    Its JSON form carries the reasons as sentences too, in English (``reasons``) and Japanese
    (``reasons_ja``), with the codes and numbers (``reason_codes``) for dashboards.
    """

    verdict: Verdict
    reasons: tuple[Reason, ...]
    arm: str | None
    arms: tuple[ArmOutcome, ...]
    days_needed: float | None = None
    mode: Mode = "fixed"

    _json_fields = ("mode", "verdict", JsonField("reasons", convert=_texts("en")), "arm",
                    JsonField("days_needed", convert=_days_json), "arms",
                    JsonField("reason_codes", "reasons", _reason_codes),
                    JsonField("reasons_ja", "reasons", _texts("ja")))


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
    # Bounds in HARM units (positive = worse), filled by the analysis (guidelab.analysis._view):
    harm_lower: float | None = None   # always-valid (1 - alpha) lower bound of the harm: shown harmed if > threshold
    harm_upper: float | None = None   # one-sided (1 - alpha) upper bound of the harm, in the mode's method:
    #                                   shown safe (non-inferior) if < threshold
    ceiling: float | None = None      # guide-only guardrail against a no-guide control: harm = the arm's own
    #                                   rate, threshold = this ceiling (instead of the difference and margin)
    judgeable: bool = True            # False: guide-only guardrail vs a no-guide control without a ceiling
    av_rel_ci: tuple[float, float] | None = None  # primary: always-valid (1 - alpha/k) interval of the relative lift


@dataclass(frozen=True)
class Progress:
    """One treatment-vs-control comparison against its planned sample (fixed-horizon gate).

    ``planned_*``: users each arm needs (:func:`guidelab.stats.power.users_needed`, the function
    `guidelab plan` uses), None when no plan can be made (then efficacy verdicts wait for a
    declared baseline or planned sample); ``n_*``: users whose primary metric has matured.
    The fixed-horizon test is read once, at the decision look; a team that keeps looking after it
    is judged on the always-valid intervals, so the extra looks cannot add false wins.
    """

    planned_treatment: int | None
    planned_control: int | None
    n_treatment: int
    n_control: int
    days_needed: float | None = None
    decision_date: dt.date | None = None
    decision_look: bool | None = None  # True: the first look with the planned sample; False: a later look
    #                                    (judged on always-valid intervals); None: unknown, taken as the first
    scheduled_end: dt.date | None = None  # the spec's last day: a decision look after it is flagged

    @property
    def share(self) -> float | None:
        """Share of the planned sample reached (the less advanced arm), None without a plan."""
        if not self.planned_treatment or not self.planned_control:
            return None
        return min(self.n_treatment / self.planned_treatment, self.n_control / self.planned_control)

    @property
    def reached(self) -> bool:
        s = self.share
        return s is not None and s >= 1.0


def _is_significant(p: float | None, alpha: float) -> bool:
    return p is not None and p < alpha


def _sig(c: ComparisonView, alpha: float) -> bool:
    """Significant by the method the analysis chose (sequential interval or adjusted p-value)."""
    if c.significant is not None:
        return c.significant
    return _is_significant(c.p_value_adjusted, alpha)


def _threshold(g: ComparisonView) -> float:
    return g.ceiling if g.ceiling is not None else g.margin


def harmed_beyond_margin(g: ComparisonView, alpha: float) -> bool:
    """Shown harmed: the always-valid lower bound of the harm lies beyond the margin (or ceiling).

    Views without bounds (built by hand) fall back to: significantly worse and, with a margin, the
    interval's end nearest zero beyond the margin.
    """
    if not g.judgeable or (g.status != "ok" and g.ceiling is None):
        return False
    if g.harm_lower is not None:
        return g.harm_lower > _threshold(g)
    if not _sig(g, alpha) or not _worse(g):
        return False
    if g.margin <= 0 or g.abs_ci is None:
        return True
    nearest = g.abs_ci[0] if not g.higher_is_better else -g.abs_ci[1]  # harm as a positive number
    return nearest > g.margin


def shown_safe(g: ComparisonView) -> bool:
    """Non-inferiority: the one-sided upper bound of the harm is inside the margin (or ceiling)."""
    if not g.judgeable or g.harm_upper is None:
        return False
    return g.harm_upper < _threshold(g)


def _worse(c: ComparisonView) -> bool:
    return c.abs_diff is not None and (c.abs_diff < 0 if c.higher_is_better else c.abs_diff > 0)


def _better(c: ComparisonView) -> bool:
    return c.abs_diff is not None and (c.abs_diff > 0 if c.higher_is_better else c.abs_diff < 0)


def _shown_worse_any_look(c: ComparisonView) -> bool:
    """Primary harm on the always-valid interval (alpha/k): safe to act on at any look."""
    return c.harm_lower is not None and c.harm_lower > 0


def _guardrail_params(v: str, g: ComparisonView) -> dict[str, Any]:
    return {"variant": v, "metric": g.metric, "kind": g.kind, "rate": g.rate, "rate_control": g.rate_control,
            "p": g.p_value, "margin": g.margin, "ceiling": g.ceiling, "harm_lower": g.harm_lower,
            "harm_upper": g.harm_upper, "higher_is_better": g.higher_is_better}


def decide_arm(primary: ComparisonView, guardrails: list[ComparisonView], alpha: float, mde: float,
               days_needed: float | None, mode: Mode = "fixed", progress: Progress | None = None) -> ArmOutcome:
    """Apply rules 2 and 3 to one treatment arm. ``progress`` None: no gate (views built by hand)."""
    v = primary.variant
    base = {"variant": v, "metric": primary.metric, "kind": primary.kind, "rate": primary.rate,
            "rate_control": primary.rate_control, "sequential": primary.sequential,
            "rel_lift": primary.rel_lift, "rel_ci": list(primary.rel_ci) if primary.rel_ci else None,
            "p": primary.p_value_adjusted, "alpha": alpha, "mde": mde, "higher_is_better": primary.higher_is_better}
    share = progress.share if progress is not None else None
    if progress is not None:
        base.update(share=share, n_treatment=progress.n_treatment, n_control=progress.n_control,
                    planned_treatment=progress.planned_treatment,
                    planned_control=progress.planned_control, days_needed=days_needed,
                    decision_date=progress.decision_date.isoformat() if progress.decision_date else None,
                    after_scheduled_end=progress.scheduled_end.isoformat() if progress.decision_date and
                    progress.scheduled_end and progress.decision_date > progress.scheduled_end else None)
    harmed = [Reason("guardrail_harmed", _guardrail_params(v, g)) for g in guardrails if harmed_beyond_margin(g, alpha)]
    if primary.status != "ok":
        return ArmOutcome(v, "KILL" if harmed else "CONTINUE",
                          tuple(harmed) + (Reason("not_enough_data", base),), days_needed)
    # 2. harm, at any look (always-valid)
    if _shown_worse_any_look(primary):
        return ArmOutcome(v, "KILL", (Reason("primary_worse", base), *harmed))
    if harmed:
        return ArmOutcome(v, "KILL", tuple(harmed))
    # 3. the fixed-horizon gate: no efficacy or futility verdict before the planned sample
    gated = mode == "fixed" and progress is not None
    if gated and not (share is not None and share >= 1.0):  # not progress.reached
        code = "awaiting_plan" if share is None else "progress"
        return ArmOutcome(v, "CONTINUE", (Reason(code, base),), days_needed)
    sig = _sig(primary, alpha)
    rel_ci = primary.rel_ci
    late = gated and progress.decision_look is False
    if late:  # after the decision look: only always-valid evidence counts
        sig = primary.harm_upper is not None and primary.harm_upper < 0
        rel_ci = primary.av_rel_ci
    if sig and _worse(primary):
        return ArmOutcome(v, "KILL", (Reason("primary_worse", base), *harmed))
    if sig and _better(primary):
        unsafe = [g for g in guardrails if not shown_safe(g)] if progress is not None or any(
            g.harm_upper is not None or not g.judgeable for g in guardrails) else []
        if unsafe:
            return ArmOutcome(v, "CONTINUE", (Reason("primary_better", base), *(
                Reason("guardrail_not_shown_safe" if g.judgeable else "guardrail_needs_ceiling",
                       _guardrail_params(v, g)) for g in unsafe)), days_needed)
        extra = ()
        lift = primary.rel_lift
        if lift is not None and abs(lift) < mde:
            extra = (Reason("win_below_mde", base),)
        return ArmOutcome(v, "KEEP", (Reason("primary_better", base), *extra))
    if rel_ci is not None:
        lo, hi = rel_ci
        futile = hi < mde if primary.higher_is_better else lo > -mde
        if futile:
            return ArmOutcome(v, "KILL", (Reason("futile", base),))
    code = "planned_reached_inconclusive" if gated else "inconclusive"
    return ArmOutcome(v, "CONTINUE", (Reason(code, {**base, "days_needed": days_needed, "late": late}),), days_needed)


def _goodness(p: ComparisonView) -> float:
    if p.rel_lift is None:
        return -math.inf
    return p.rel_lift if p.higher_is_better else -p.rel_lift


def _days(days_needed: Mapping[str, float | None], progress: Mapping[str, Progress] | None, v: str) -> float | None:
    if v in days_needed:
        return days_needed[v]
    pr = None if progress is None else progress.get(v)
    return None if pr is None else pr.days_needed


def decide(primary_rows: list[ComparisonView], guardrail_rows: list[ComparisonView], srm_p: float | None,
           failed_checks: Sequence[Any], alpha: float, mde: float, days_needed: dict[str, float | None],
           mode: Mode = "fixed", progress: Mapping[str, Progress] | None = None,
           arm_comparison: Callable[[str, str], Reason | None] | None = None) -> Decision:
    """The experiment's verdict from its primary and guardrail comparisons, SRM and data checks.

    ``progress`` (per treatment arm) turns on the fixed-horizon gate in ``mode`` "fixed";
    ``arm_comparison(best, runner_up)`` returns the reason comparing the two best arms when the
    verdict is KEEP among several arms.
    """
    arms = tuple(
        decide_arm(p, [g for g in guardrail_rows if g.variant == p.variant], alpha, mde,
                   _days(days_needed, progress, p.variant), mode, None if progress is None else progress.get(p.variant))
        for p in primary_rows
    )
    investigate: list[Reason] = []
    if srm_p is not None and srm_p < SRM_THRESHOLD:
        investigate.append(Reason("srm", {"p": srm_p, "threshold": SRM_THRESHOLD}))
    for check in failed_checks:  # a DataCheck (its code and numbers) or the name of a check
        investigate.append(Reason("data_check_failed", {"check": check} if isinstance(check, str) else
                                  {"check": check.code, "check_params": dict(check.params)}))
    if investigate:
        return Decision("INVESTIGATE", tuple(investigate), None, arms, mode=mode)
    keep = [a for a in arms if a.verdict == "KEEP"]
    if keep:
        good = {p.variant: _goodness(p) for p in primary_rows}
        best = max(keep, key=lambda a: good[a.variant])
        extra: tuple[Reason, ...] = ()
        others = [a for a in arms if a is not best]
        if others and arm_comparison is not None:
            runner = max(others, key=lambda a: good[a.variant])
            r = arm_comparison(best.variant, runner.variant)
            extra = (r,) if r is not None else ()
        rest = tuple(r for a in others for r in a.reasons)
        return Decision("KEEP", best.reasons + extra + rest, best.variant, arms, mode=mode)
    running = [a for a in arms if a.verdict == "CONTINUE"]
    if running:
        known = [a.days_needed for a in running if a.days_needed is not None]
        days = max(known) if known else None
        reasons = tuple(r for a in running for r in a.reasons) + tuple(
            r for a in arms if a.verdict == "KILL" for r in a.reasons)
        return Decision("CONTINUE", reasons, None, arms, days, mode=mode)
    return Decision("KILL", tuple(r for a in arms for r in a.reasons), None, arms, mode=mode)
