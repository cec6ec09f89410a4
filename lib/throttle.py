"""The global throttle: how many guides (of any experiment) one user may see, and how close together.

A policy is a small YAML file (see ``experiments/policies/throttle.yaml``)::

    max_guides_per_period: 2    # at most 2 guides ...
    period_hours: 24            # ... in any 24 hours
    min_gap_minutes: 30         # and at least 30 minutes between two guides
    priority_order: true        # several eligible at once: only the highest priority shows
    exempt: [incident-notice]   # ignore caps and gaps, still count as shown

:func:`apply_policy` decides, for the guides eligible right now (``candidates``), which may be
shown given what the user has already seen (``history``). Each decision carries the code of the
rule that decided it and its numbers (:class:`ThrottleCode`); ``reason`` is its English, from the
report's words (``ELIGIBILITY`` of guidelab/report/words/en.py). Decisions come back in the order
considered: priority (high first), then guide id.
"""
from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from enum import Enum
from pathlib import Path
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, field_validator

from .serialize import JsonField, ResultModel
from .values import Bool
from .yamlio import load_model

__all__ = [
    "Candidate",
    "SeenGuide",
    "ThrottleCode",
    "ThrottleDecision",
    "ThrottlePolicy",
    "apply_policy",
    "apply_policy_counts",
    "load_policy",
    "period_counts",
]


def _require_aware(value: dt.datetime, name: str) -> None:
    if not isinstance(value, dt.datetime) or value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"{name} must be a timezone-aware datetime, got {value!r}")


class ThrottlePolicy(BaseModel):
    """The global throttle policy; every field has a default, so ``ThrottlePolicy()`` is the usual one."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    max_guides_per_period: Annotated[int, Field(ge=1, le=1000)] = 2
    period_hours: Annotated[float, Field(gt=0, le=24 * 366)] = 24
    min_gap_minutes: Annotated[float, Field(ge=0, le=7 * 24 * 60)] = 30
    priority_order: Bool = True
    exempt: list[str] = []

    @field_validator("exempt")
    @classmethod
    def _exempt(cls, v: list[str]) -> list[str]:
        for gid in v:
            if not gid or gid != gid.strip():
                raise ValueError(f"expected guide ids, got {gid!r}")
        if len(set(v)) != len(v):
            raise ValueError("a guide id is listed twice")
        return v


class SeenGuide(BaseModel):
    """One showing of a guide to the user: when, and whether the user interacted with it."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    guide_id: str = Field(min_length=1)
    shown_at: dt.datetime
    interacted: Bool = False

    @field_validator("shown_at")
    @classmethod
    def _aware(cls, v: dt.datetime) -> dt.datetime:
        if v.tzinfo is None or v.utcoffset() is None:
            raise ValueError("expected a date and time with a UTC offset, e.g. 2026-10-01T09:00:00+09:00")
        return v


@dataclass(frozen=True)
class Candidate:
    """A guide eligible to show right now, with its priority (0-100, higher first)."""

    guide_id: str
    priority: int = 50


class ThrottleCode(str, Enum):
    """The rule that decided a :class:`ThrottleDecision` (words: ``ELIGIBILITY[code]``)."""

    EXEMPT = "throttle_exempt"
    PRIORITY = "throttle_priority"  # params: winner, priority
    CAP = "throttle_cap"  # params: count, period_hours, max
    GAP = "throttle_gap"  # params: minutes (since the last guide), min_gap_minutes
    ALLOWED = "throttle_allowed"  # params: count, max, period_hours


ThrottleParam = str | int | float


@dataclass(frozen=True)
class ThrottleDecision(ResultModel):
    """Whether one candidate guide may be shown now, with the rule that decided it (``code``
    and its numbers ``params``); ``reason`` is that in English."""

    guide_id: str
    allowed: bool
    code: ThrottleCode
    params: tuple[tuple[str, ThrottleParam], ...] = ()

    _json_fields = ("guide_id", "allowed", "reason", JsonField("code", convert=lambda c: c.value),
                    JsonField("params", convert=dict))

    @property
    def reason(self) -> str:
        from .report.words import eligibility_text

        return eligibility_text(self.code.value, dict(self.params), "en")


def load_policy(path: str | Path) -> ThrottlePolicy:
    """Load a policy YAML file; raises :class:`~guidelab.errors.SpecError` with file, field and line."""
    return load_model(ThrottlePolicy, path)


def period_counts(policy: ThrottlePolicy, history: Iterable[SeenGuide], now: dt.datetime
                  ) -> tuple[int, dt.datetime | None]:
    """Guides shown in the period ending at ``now`` (``now - period_hours < shown_at <= now``),
    and the time of the latest showing at or before ``now`` (None if none)."""
    _require_aware(now, "now")
    utc_now = now.astimezone(dt.timezone.utc)
    since = utc_now - dt.timedelta(hours=policy.period_hours)
    count, last = 0, None
    for seen in history:
        at = seen.shown_at.astimezone(dt.timezone.utc)
        if at > utc_now:
            continue
        if at > since:
            count += 1
        if last is None or at > last:
            last = at
    return count, last


def apply_policy_counts(policy: ThrottlePolicy, candidates: list[Candidate], shown_in_period: int,
                        last_shown_at: dt.datetime | None, now: dt.datetime) -> list[ThrottleDecision]:
    """:func:`apply_policy` from pre-counted history (used by the vectorised eligibility path)."""
    _require_aware(now, "now")
    exempt = set(policy.exempt)
    ordered = sorted(candidates, key=lambda c: (-c.priority, c.guide_id))
    count = shown_in_period
    last = last_shown_at.astimezone(dt.timezone.utc) if last_shown_at is not None else None
    utc_now = now.astimezone(dt.timezone.utc)
    gap = dt.timedelta(minutes=policy.min_gap_minutes)
    period = policy.period_hours
    cap = policy.max_guides_per_period
    decisions: dict[str, ThrottleDecision] = {}
    winner: Candidate | None = None

    # Exempt guides first: they ignore caps, gaps and priority, and still count as shown.
    for c in ordered:
        if c.guide_id in exempt:
            decisions[c.guide_id] = ThrottleDecision(c.guide_id, True, ThrottleCode.EXEMPT)
            count, last = count + 1, utc_now
    for c in ordered:
        if c.guide_id in exempt:
            continue
        if policy.priority_order and winner is not None:
            decisions[c.guide_id] = ThrottleDecision(
                c.guide_id, False, ThrottleCode.PRIORITY, (("winner", winner.guide_id), ("priority", winner.priority)))
            continue
        if policy.priority_order:
            winner = c
        if count >= cap:
            decisions[c.guide_id] = ThrottleDecision(
                c.guide_id, False, ThrottleCode.CAP, (("count", count), ("period_hours", period), ("max", cap)))
            continue
        if last is not None and policy.min_gap_minutes > 0 and utc_now - last < gap:
            minutes = max(utc_now - last, dt.timedelta()).total_seconds() / 60
            decisions[c.guide_id] = ThrottleDecision(
                c.guide_id, False, ThrottleCode.GAP, (("minutes", minutes), ("min_gap_minutes", policy.min_gap_minutes)))
            continue
        decisions[c.guide_id] = ThrottleDecision(
            c.guide_id, True, ThrottleCode.ALLOWED, (("count", count), ("max", cap), ("period_hours", period)))
        count, last = count + 1, utc_now
    return [decisions[c.guide_id] for c in ordered]


def apply_policy(policy: ThrottlePolicy, candidates: list[Candidate], history: list[SeenGuide],
                 now: dt.datetime) -> list[ThrottleDecision]:
    """Which of the guides eligible at ``now`` may be shown, one :class:`ThrottleDecision` per candidate.

    Rules, in order: guides listed in ``exempt`` are always allowed (and count as shown, so
    they can use up the cap or start a gap for the others). With ``priority_order``, only the
    highest-priority non-exempt candidate (ties: smallest guide id) may show; the others are
    refused naming it. That candidate, or each candidate in turn without ``priority_order``,
    is refused when ``max_guides_per_period`` guides were already shown in the last
    ``period_hours``, or when the last guide was shown less than ``min_gap_minutes`` ago;
    every guide allowed counts as shown at ``now`` for the next ones.
    """
    count, last = period_counts(policy, history, now)
    return apply_policy_counts(policy, candidates, count, last, now)
