"""Would this user see a guide right now, and if not, why?

:func:`evaluate_user` walks the steps a guide SDK takes, recording one reason per step
(several for targeting) as a code and its values (:class:`Step`; ``reasons`` is their English, from
the report's words), and stops at the first step that fails:

1. assignment (:func:`guidelab.abtest.assign`): outside the coverage, or a holdout variant
   (``guide: null``), means no guide;
2. schedule: the experiment's ``start``..``end`` dates (inclusive, in its ``timezone``) and the
   guide's own ``schedule``;
3. targeting (:func:`guidelab.guides.evaluate_targeting`);
4. trigger: the page path matches the glob / the event is the trigger's event / this is the
   first session; the trigger's delay becomes ``show_after_seconds``;
5. frequency, from the user's history of this guide: the stop rules first (``until_goal``: the
   user has not done the guide's ``goal_event``; ``stop_events``: none of them done, from the
   user's ``done_events``), then ``once`` (never shown), ``until_interacted`` (no interaction
   yet), ``max_total``, ``max_per_day`` (calendar day of ``now`` in the experiment's time zone)
   and ``min_hours_between``;
6. the global throttle policy, if given (:mod:`guidelab.throttle`), over the whole history.

:func:`evaluate_table` does the same for a user table (assignment vectorised with
:func:`guidelab.abtest.assign_batch`) and gives the same results row by row. Its optional
history columns are the summary :func:`summarize_history` computes from a history list.
"""
from __future__ import annotations

import datetime as dt
import json
import math
from dataclasses import dataclass, field, replace
from enum import Enum
from pathlib import Path
from typing import Any, Union

import pandas as pd
from pydantic import BaseModel, ConfigDict, field_validator

from .abtest import assign, assign_batch
from .errors import DataError, GuidelabError, clip
from .experiment import ExperimentSpec, load_experiment
from .guides import Guide, evaluate_targeting, schedule_is_live
from .serialize import JsonField, ResultModel
from .throttle import (
    Candidate,
    SeenGuide,
    ThrottleCode,
    ThrottlePolicy,
    apply_policy_counts,
    load_policy,
    period_counts,
)
from .values import Bool, BoolParseError, UserId, parse_bool, user_id_text
from .yamlio import validate_as

__all__ = [
    "HISTORY_COLUMNS",
    "TABLE_COLUMNS",
    "Eligibility",
    "HistorySummary",
    "PageContext",
    "UserContext",
    "eligible_from_cli",
    "evaluate_table",
    "evaluate_user",
    "experiment_window",
    "summarize_history",
]

#: Columns of a user table that are not attributes.
TABLE_COLUMNS = ("user_id", "signup_at", "page", "event", "first_session")
#: Optional history columns of a user table (see :class:`HistorySummary`).
HISTORY_COLUMNS = ("seen_count", "seen_today", "last_seen_at", "interacted", "guides_in_period", "last_guide_at",
                   "done_events")
#: Separator of event names in a table's ``done_events`` column.
DONE_EVENTS_SEPARATOR = "|"


def _require_aware(value: Any, name: str) -> None:
    if not isinstance(value, dt.datetime) or value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"{name} must be a timezone-aware datetime, got {value!r}")


class PageContext(BaseModel):
    """What is happening now: the page being viewed, the event just fired, first session or not."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    page: str | None = None
    event: str | None = None
    first_session: Bool = False


class UserContext(BaseModel):
    """One user, as a guide SDK would see them at the moment of deciding."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    user_id: UserId
    attributes: dict[str, Any] = {}
    signup_at: dt.datetime | None = None
    context: PageContext = PageContext()
    history: list[SeenGuide] = []
    done_events: list[str] = []
    """Product events the user has already done (a guide's goal_event, stop_events)."""

    @field_validator("signup_at")
    @classmethod
    def _aware(cls, v: dt.datetime | None) -> dt.datetime | None:
        if v is not None and (v.tzinfo is None or v.utcoffset() is None):
            raise ValueError("expected a date and time with a UTC offset, e.g. 2026-10-01T09:00:00+09:00")
        return v


@dataclass(frozen=True)
class HistorySummary:
    """What the decision needs from the history. Per guide: ``seen_count`` (all showings),
    ``seen_today`` (on the calendar day of ``now`` in the experiment's zone), ``last_seen_at``,
    ``interacted`` (ever). Across all guides: ``guides_in_period`` (showings in the throttle
    period ending at ``now``) and ``last_guide_at`` (latest showing at or before ``now``)."""

    seen_count: int = 0
    seen_today: int = 0
    last_seen_at: dt.datetime | None = None
    interacted: bool = False
    guides_in_period: int = 0
    last_guide_at: dt.datetime | None = None
    done_events: frozenset[str] = frozenset()


def summarize_history(history: list[SeenGuide], guide_id: str | None, now: dt.datetime, tz: dt.tzinfo,
                      policy: ThrottlePolicy | None = None) -> HistorySummary:
    """The :class:`HistorySummary` of a history list for ``guide_id`` at ``now``."""
    mine = [h for h in history if h.guide_id == guide_id]
    today = now.astimezone(tz).date()
    count, last_any = period_counts(policy or ThrottlePolicy(), history, now)
    return HistorySummary(
        seen_count=len(mine),
        seen_today=sum(1 for h in mine if h.shown_at.astimezone(tz).date() == today),
        last_seen_at=max((h.shown_at for h in mine), default=None),
        interacted=any(h.interacted for h in mine),
        guides_in_period=count,
        last_guide_at=last_any,
    )


class EligibilityCode(str, Enum):
    """The reason of one step of :func:`evaluate_user` (words: ``ELIGIBILITY[code]``); the
    global throttle's step carries a :class:`~guidelab.throttle.ThrottleCode`."""

    OUTSIDE_COVERAGE = "outside_coverage"  # coverage
    OUTSIDE_COVERAGE_OR_EMPTY_ID = "outside_coverage_or_empty_id"  # coverage
    PROGRAMME_HOLDOUT = "programme_holdout"  # programme, share
    PROGRAMME_HOLDOUT_ACCOUNT = "programme_holdout_account"  # programme, share, unit, value
    PROGRAMME_MISSING_UNIT = "programme_missing_unit"  # programme, unit
    HOLDOUT = "holdout"  # variant
    ASSIGNED = "assigned"  # variant, guide
    EXPERIMENT_NOT_STARTED = "experiment_not_started"  # start, timezone, local
    EXPERIMENT_ENDED = "experiment_ended"  # end, timezone, local
    EXPERIMENT_LIVE = "experiment_live"  # start, end, timezone
    EXPERIMENT_LIVE_OPEN = "experiment_live_open"  # start, timezone
    GUIDE_NO_SCHEDULE = "guide_no_schedule"  # guide
    GUIDE_LIVE = "guide_live"  # guide
    GUIDE_NOT_STARTED = "guide_not_started"  # guide, start, local
    GUIDE_ENDED = "guide_ended"  # guide, end, local
    TARGETING_FAILED = "targeting_failed"  # condition: the failed condition as guides.evaluate_targeting states it
    TARGETING_MATCHED = "targeting_matched"
    NO_TARGETING = "no_targeting"
    NO_PAGE_VIEW = "no_page_view"  # pattern
    PAGE_MATCHES = "page_matches"  # page, pattern
    PAGE_DOES_NOT_MATCH = "page_does_not_match"  # page, pattern
    NO_EVENT = "no_event"  # event
    EVENT_FIRED = "event_fired"  # event
    OTHER_EVENT = "other_event"  # fired, event
    FIRST_SESSION = "first_session"
    NOT_FIRST_SESSION = "not_first_session"
    DELAY = "delay"  # seconds
    GOAL_REACHED = "goal_reached"  # event
    STOP_EVENT = "stop_event"  # event
    ONCE_SHOWN = "once_shown"  # n
    INTERACTED = "interacted"
    MAX_TOTAL = "max_total"  # n, max
    MAX_PER_DAY = "max_per_day"  # n, max
    MIN_HOURS_BETWEEN = "min_hours_between"  # hours, min
    FREQUENCY_OK = "frequency_ok"  # mode, n, today


StepParam = Union[str, int, float]


@dataclass(frozen=True)
class Step:
    """One step's reason: an :class:`EligibilityCode` or :class:`~guidelab.throttle.ThrottleCode`
    value and its values."""

    code: str
    params: tuple[tuple[str, StepParam], ...] = ()

    @classmethod
    def of(cls, code: EligibilityCode | ThrottleCode, **params: StepParam) -> Step:
        return cls(code.value, tuple(params.items()))

    def as_json(self) -> dict[str, Any]:
        return {"code": self.code, **dict(self.params)}


def _english(steps: list[Step]) -> list[str]:
    from .report.words import eligibility_text

    return [eligibility_text(s.code, dict(s.params), "en") for s in steps]


@dataclass
class Eligibility(ResultModel):
    user_id: str
    experiment: str
    variant: str | None
    guide_id: str | None
    eligible: bool
    steps: list[Step] = field(default_factory=list)
    show_after_seconds: float | None = None

    _json_typed = False
    # ``reasons``: the steps in English (as before the codes); ``reason_codes``: the steps as codes
    _json_fields = ("user_id", "experiment", "variant", "guide_id", "eligible", JsonField("reasons", "steps", _english),
                    "show_after_seconds", JsonField("reason_codes", "steps", lambda s: [x.as_json() for x in s]))

    @property
    def reasons(self) -> list[str]:
        """The reason of each step in English."""
        return _english(self.steps)


def experiment_window(spec: ExperimentSpec) -> tuple[dt.datetime, dt.datetime | None]:
    """[start, end) of the experiment as aware datetimes: start-date midnight to the midnight
    after the end date, in the experiment's time zone (end None when open)."""
    tz = spec.tz
    start = dt.datetime.combine(spec.start, dt.time(0), tzinfo=tz)
    end = dt.datetime.combine(spec.end + dt.timedelta(days=1), dt.time(0), tzinfo=tz) if spec.end else None
    return start, end


def _experiment_schedule_reason(spec: ExperimentSpec, now: dt.datetime) -> tuple[bool, Step]:
    start, end = experiment_window(spec)
    utc = dt.timezone.utc
    local = now.astimezone(spec.tz).strftime("%Y-%m-%d %H:%M")
    if now.astimezone(utc) < start.astimezone(utc):
        return False, Step.of(EligibilityCode.EXPERIMENT_NOT_STARTED, start=str(spec.start), timezone=spec.timezone,
                              local=local)
    if end is not None and now.astimezone(utc) >= end.astimezone(utc):
        return False, Step.of(EligibilityCode.EXPERIMENT_ENDED, end=str(spec.end), timezone=spec.timezone, local=local)
    if spec.end is None:
        return True, Step.of(EligibilityCode.EXPERIMENT_LIVE_OPEN, start=str(spec.start), timezone=spec.timezone)
    return True, Step.of(EligibilityCode.EXPERIMENT_LIVE, start=str(spec.start), end=str(spec.end),
                         timezone=spec.timezone)


def _guide_schedule_reason(guide: Guide, now: dt.datetime) -> tuple[bool, Step]:
    sched = guide.schedule
    if sched is None:
        return True, Step.of(EligibilityCode.GUIDE_NO_SCHEDULE, guide=guide.id)
    if schedule_is_live(sched, now):
        return True, Step.of(EligibilityCode.GUIDE_LIVE, guide=guide.id)
    utc = dt.timezone.utc
    zone = sched.tz or utc
    local = now.astimezone(zone).isoformat(timespec="minutes")
    if sched.start is not None and now.astimezone(utc) < sched.start.astimezone(utc):
        return False, Step.of(EligibilityCode.GUIDE_NOT_STARTED, guide=guide.id, start=sched.start.isoformat(),
                              local=local)
    return False, Step.of(EligibilityCode.GUIDE_ENDED, guide=guide.id, end=sched.end.isoformat(),  # type: ignore[union-attr]
                          local=local)


def _trigger_reason(guide: Guide, ctx: PageContext) -> tuple[bool, Step]:
    trig = guide.trigger
    if trig.on == "page_view":
        pattern = str(trig.page)
        if ctx.page is None:
            return False, Step.of(EligibilityCode.NO_PAGE_VIEW, pattern=pattern)
        if trig.matches_page(ctx.page):
            return True, Step.of(EligibilityCode.PAGE_MATCHES, page=ctx.page, pattern=pattern)
        return False, Step.of(EligibilityCode.PAGE_DOES_NOT_MATCH, page=ctx.page, pattern=pattern)
    if trig.on == "event":
        event = str(trig.event)
        if ctx.event is None:
            return False, Step.of(EligibilityCode.NO_EVENT, event=event)
        if ctx.event == trig.event:
            return True, Step.of(EligibilityCode.EVENT_FIRED, event=ctx.event)
        return False, Step.of(EligibilityCode.OTHER_EVENT, fired=ctx.event, event=event)
    if ctx.first_session:
        return True, Step.of(EligibilityCode.FIRST_SESSION)
    return False, Step.of(EligibilityCode.NOT_FIRST_SESSION)


def _frequency_reasons(guide: Guide, h: HistorySummary, now: dt.datetime) -> tuple[bool, Step]:
    f = guide.frequency
    if f.until_goal and guide.goal_event in h.done_events:
        return False, Step.of(EligibilityCode.GOAL_REACHED, event=str(guide.goal_event))
    stopped = [e for e in f.stop_events if e in h.done_events]
    if stopped:
        return False, Step.of(EligibilityCode.STOP_EVENT, event=stopped[0])
    if f.mode == "once" and h.seen_count > 0:
        return False, Step.of(EligibilityCode.ONCE_SHOWN, n=h.seen_count)
    if f.mode == "until_interacted" and h.interacted:
        return False, Step.of(EligibilityCode.INTERACTED)
    if f.max_total is not None and h.seen_count >= f.max_total:
        return False, Step.of(EligibilityCode.MAX_TOTAL, n=h.seen_count, max=f.max_total)
    if f.max_per_day is not None and h.seen_today >= f.max_per_day:
        return False, Step.of(EligibilityCode.MAX_PER_DAY, n=h.seen_today, max=f.max_per_day)
    if f.min_hours_between is not None and h.last_seen_at is not None:
        elapsed = (now.astimezone(dt.timezone.utc) - h.last_seen_at.astimezone(dt.timezone.utc)).total_seconds() / 3600
        if elapsed < f.min_hours_between:
            return False, Step.of(EligibilityCode.MIN_HOURS_BETWEEN, hours=max(elapsed, 0), min=f.min_hours_between)
    return True, Step.of(EligibilityCode.FREQUENCY_OK, mode=f.mode, n=h.seen_count, today=h.seen_today)


def _decide(spec: ExperimentSpec, user_id: str, variant: str | None, guide: Guide | None,
            experiment_live: tuple[bool, Step], attributes: dict[str, Any], signup_at: dt.datetime | None,
            ctx: PageContext, summary: HistorySummary, now: dt.datetime,
            policy: ThrottlePolicy | None) -> Eligibility:
    """Steps 1-6 for one user whose assignment is known; shared by the scalar and table paths."""
    out = Eligibility(user_id, spec.id, variant, guide.id if guide else None, False)
    r = out.steps
    if variant is None:
        r.append(Step.of(EligibilityCode.OUTSIDE_COVERAGE_OR_EMPTY_ID if user_id == "" else EligibilityCode.OUTSIDE_COVERAGE,
                         coverage=spec.coverage))
        return out
    if guide is None:
        r.append(Step.of(EligibilityCode.HOLDOUT, variant=variant))
        return out
    r.append(Step.of(EligibilityCode.ASSIGNED, variant=variant, guide=guide.id))
    for ok, why in (experiment_live, _guide_schedule_reason(guide, now)):
        r.append(why)
        if not ok:
            return out
    ok, why_not = evaluate_targeting(guide.targeting, attributes, now, signup_at)
    if not ok:
        r.extend(Step.of(EligibilityCode.TARGETING_FAILED, condition=w) for w in why_not)
        return out
    r.append(Step.of(EligibilityCode.TARGETING_MATCHED if guide.targeting is not None else EligibilityCode.NO_TARGETING))
    for ok, why in (_trigger_reason(guide, ctx), _frequency_reasons(guide, summary, now)):
        r.append(why)
        if not ok:
            return out
    if policy is not None:
        (decision,) = apply_policy_counts(policy, [Candidate(guide.id, guide.priority)],
                                          summary.guides_in_period, summary.last_guide_at, now)
        r.append(Step(decision.code.value, decision.params))
        if not decision.allowed:
            return out
    out.eligible = True
    out.show_after_seconds = float(guide.trigger.delay_seconds)
    if guide.trigger.delay_seconds:
        r.append(Step.of(EligibilityCode.DELAY, seconds=guide.trigger.delay_seconds))
    return out


def _holdout_reason(e: Eligibility, programme: Any, unit_value: str | None = None) -> Eligibility:
    """Say why a programme-holdout user is not in the experiment (instead of "outside the coverage"):
    in the holdout, with the account when the programme holds out accounts; or, for an account
    holdout, no value of the unit attribute to hash (the SDK filters the user out)."""
    if programme.clustered and not unit_value:
        e.steps[:1] = [Step.of(EligibilityCode.PROGRAMME_MISSING_UNIT, programme=programme.id, unit=programme.unit)]
    elif programme.clustered:
        e.steps[:1] = [Step.of(EligibilityCode.PROGRAMME_HOLDOUT_ACCOUNT, programme=programme.id,
                               share=programme.holdout.share, unit=programme.unit, value=unit_value)]
    else:
        e.steps[:1] = [Step.of(EligibilityCode.PROGRAMME_HOLDOUT, programme=programme.id, share=programme.holdout.share)]
    return e


def evaluate_user(spec: ExperimentSpec, user: UserContext, now: dt.datetime,
                  policy: ThrottlePolicy | None = None, programme: Any = None) -> Eligibility:
    """Whether ``user`` would be shown this experiment's guide at ``now`` (aware), and why.
    ``programme`` (:class:`guidelab.programme.ProgrammeSpec`): its holdout's users see no guide."""
    _require_aware(now, "now")
    unit = user.attributes.get(spec.unit) if spec.clustered else None  # e.g. account_id: the hashed attribute
    p_unit = user.attributes.get(programme.unit) if programme is not None and programme.clustered else None
    p_unit = None if p_unit is None else str(p_unit)
    a = assign(spec, user.user_id, None if unit is None else str(unit), programme=programme, programme_unit_id=p_unit) \
        if spec.clustered else assign(spec, user.user_id, programme=programme, programme_unit_id=p_unit)
    guide = spec.guide_for(a.variant) if a.variant is not None else None
    summary = summarize_history(list(user.history), guide.id if guide else None, now, spec.tz, policy)
    summary = replace(summary, done_events=frozenset(user.done_events))
    e = _decide(spec, user.user_id, a.variant, guide, _experiment_schedule_reason(spec, now),
                dict(user.attributes), user.signup_at, user.context, summary, now, policy)
    if a.variant is None and programme is not None and programme.applies_to(spec) and user.user_id:
        from .programme import in_holdout

        held_unit = (None if unit is None else str(unit)) if programme.unit == spec.unit else p_unit
        if in_holdout(programme, user.user_id, held_unit):
            return _holdout_reason(e, programme, None if not programme.clustered else held_unit)
    return e


# --- the table path ------------------------------------------------------------------------
def _missing(v: Any) -> bool:
    return v is None or v is pd.NA or v is pd.NaT or (isinstance(v, float) and math.isnan(v))


def _py(v: Any) -> Any:
    """A pandas/numpy cell as a plain Python value (NaN/NA -> None)."""
    if _missing(v):
        return None
    if isinstance(v, pd.Timestamp):
        return v.to_pydatetime()
    if hasattr(v, "item") and not isinstance(v, (str, bytes)):
        try:
            return v.item()
        except (ValueError, AttributeError):
            return v
    return v


def _aware_column(df: pd.DataFrame, col: str, source: str) -> list[dt.datetime | None]:
    out: list[dt.datetime | None] = []
    for i, v in enumerate(df[col].tolist()):
        v = _py(v)
        if isinstance(v, str):
            try:
                v = dt.datetime.fromisoformat(v.strip())
            except ValueError:
                raise DataError(source, col, f"row {i + 1}: expected an ISO date and time, got {clip(v)}") from None
        if v is not None and (not isinstance(v, dt.datetime) or v.tzinfo is None or v.utcoffset() is None):
            raise DataError(source, col, f"row {i + 1}: expected a date and time with a UTC offset, got {clip(v)}")
        out.append(v)
    return out


def _bool(v: Any, col: str, row: int, source: str) -> bool:
    """A boolean cell by :func:`guidelab.values.parse_bool`; a missing (or empty) cell is false."""
    v = _py(v)
    if v is None or (isinstance(v, str) and not v.strip()):
        return False
    try:
        return parse_bool(v, f"row {row + 1}")
    except BoolParseError as exc:
        raise DataError(source, col, str(exc)) from None


def _user_ids(users: pd.DataFrame, source: str) -> list[str]:
    """The user_id column as text (:func:`guidelab.values.user_id_text`); an empty id is an error."""
    ids = []
    for i, v in enumerate(users["user_id"].tolist()):
        try:
            text = user_id_text(_py(v), f"row {i + 1}")
        except GuidelabError as exc:
            raise DataError(source, "user_id", str(exc)) from None
        if text is None or text == "":
            raise DataError(source, "user_id", f"row {i + 1}: empty user id: every row needs an id")
        ids.append(text)
    return ids


def read_user_table(path: str | Path) -> pd.DataFrame:
    """A .csv or .parquet user table for :func:`evaluate_table`, with ``user_id`` read as text.

    CSV ids are read exactly as written (``00000003`` stays ``00000003``; ``NA`` is an id, not
    a missing value); the other columns keep pandas' types so attributes compare as numbers.
    """
    path = Path(path)
    if path.suffix.lower() == ".parquet":
        return pd.read_parquet(path)
    df = pd.read_csv(path, dtype={"user_id": str})
    if "user_id" in df.columns:
        raw = pd.read_csv(path, usecols=["user_id"], dtype=str, na_filter=False)["user_id"]
        df["user_id"] = raw.where(raw != "", None).to_numpy(dtype=object)
    return df


def evaluate_table(spec: ExperimentSpec, users: pd.DataFrame, now: dt.datetime,
                   policy: ThrottlePolicy | None = None, *, source: str = "users", programme: Any = None) -> pd.DataFrame:
    """:func:`evaluate_user` for every row of a user table; same results, row by row.

    Columns: ``user_id`` (required), ``signup_at``, ``page``, ``event``, ``first_session``
    (optional), optional history columns :data:`HISTORY_COLUMNS` (the :class:`HistorySummary`
    of the user's history for their variant's guide; missing means never seen), and every other
    column is a user attribute (missing values fail their conditions). ``done_events`` holds the
    product events the user has done, separated by ``|`` (stop rules). Returns user_id,
    experiment, variant, guide_id, eligible, reasons (a list per row), show_after_seconds.
    """
    _require_aware(now, "now")
    if "user_id" not in users.columns:
        raise DataError(source, "user_id", "missing column: expected one row per user with a user_id")
    n = len(users)
    ids = _user_ids(users, source)
    units = None
    if spec.clustered:  # the unit attribute column (e.g. account_id) is hashed; a user without one is not enrolled
        if spec.unit not in users.columns:
            raise DataError(source, spec.unit, f"missing column: {spec.id} is randomised by {spec.unit}, so each "
                                               f"user's {spec.unit} is needed")
        units = [None if (u := _py(v)) is None else str(u) for v in users[spec.unit].tolist()]
    p_units = None
    if programme is not None and programme.clustered and programme.applies_to(spec):
        if programme.unit == spec.unit:
            p_units = units
        elif programme.unit not in users.columns:
            raise DataError(source, programme.unit, f"missing column: programme {programme.id} holds out by "
                                                    f"{programme.unit}, so each user's {programme.unit} is needed")
        else:
            p_units = [None if (u := _py(v)) is None else str(u) for v in users[programme.unit].tolist()]
    assigned_table = assign_batch(spec, ids, units, programme=programme,
                                  programme_unit_ids=None if programme is None or programme.unit == spec.unit
                                  else p_units)
    assigned = assigned_table.column("variant").to_pylist()
    held = (assigned_table.column("programme_holdout").to_pylist() if "programme_holdout" in assigned_table.column_names
            else [False] * n)
    live = _experiment_schedule_reason(spec, now)
    guides = {v.key: spec.guide_for(v.key) for v in spec.variants}

    def col(name: str, default: Any = None) -> list[Any]:
        return [_py(v) for v in users[name].tolist()] if name in users.columns else [default] * n

    signup = _aware_column(users, "signup_at", source) if "signup_at" in users.columns else [None] * n
    pages, events = col("page"), col("event")
    first = [_bool(v, "first_session", i, source) for i, v in enumerate(col("first_session"))]
    seen_count = [int(v) if v is not None else 0 for v in col("seen_count")]
    seen_today = [int(v) if v is not None else 0 for v in col("seen_today")]
    interacted = [_bool(v, "interacted", i, source) for i, v in enumerate(col("interacted"))]
    in_period = [int(v) if v is not None else 0 for v in col("guides_in_period")]
    last_seen = _aware_column(users, "last_seen_at", source) if "last_seen_at" in users.columns else [None] * n
    last_any = _aware_column(users, "last_guide_at", source) if "last_guide_at" in users.columns else [None] * n
    done = [frozenset() if v is None else frozenset(e.strip() for e in str(v).split(DONE_EVENTS_SEPARATOR) if e.strip())
            for v in col("done_events")]
    attr_cols = [c for c in users.columns if c not in TABLE_COLUMNS and c not in HISTORY_COLUMNS]
    attr_values = {c: col(c) for c in attr_cols}

    rows = []
    for i in range(n):
        variant = assigned[i]
        guide = guides.get(variant) if variant is not None else None
        ctx = PageContext(page=None if pages[i] is None else str(pages[i]),
                          event=None if events[i] is None else str(events[i]), first_session=first[i])
        summary = HistorySummary(seen_count[i], seen_today[i], last_seen[i], interacted[i], in_period[i], last_any[i],
                                 done[i])
        attributes = {c: attr_values[c][i] for c in attr_cols}
        e = _decide(spec, ids[i], variant, guide, live, attributes, signup[i], ctx, summary, now, policy)
        if held[i] and ids[i]:
            e = _holdout_reason(e, programme, p_units[i] if p_units is not None else None)
        rows.append(e.to_dict())
    names = ["user_id", "experiment", "variant", "guide_id", "eligible", "reasons", "show_after_seconds"]
    # variant and guide_id stay None (not NaN) for users without a guide; the delay is NaN then.
    return pd.DataFrame({
        name: pd.Series([r[name] for r in rows], dtype={"eligible": bool, "show_after_seconds": float}.get(name, object),
                        index=users.index)
        for name in names
    })


# --- command line ----------------------------------------------------------------------------
def _parse_now(now: str | None) -> dt.datetime:
    if now is None:
        return dt.datetime.now(dt.timezone.utc)
    try:
        value = dt.datetime.fromisoformat(now.strip())
    except ValueError:
        raise GuidelabError(f"--now: expected an ISO date and time such as 2026-10-05T09:00:00+09:00, got {clip(now)}") from None
    if value.tzinfo is None:
        raise GuidelabError(f"--now: {clip(now)} has no UTC offset; write it like 2026-10-05T09:00:00+09:00")
    return value


def _format_one(e: Eligibility) -> str:
    head = (f"user {e.user_id}: experiment {e.experiment}, variant {e.variant or '-'}, guide {e.guide_id or '-'}: "
            + (f"ELIGIBLE (show after {e.show_after_seconds:g} s)" if e.eligible else "NOT ELIGIBLE"))
    return "\n".join([head, *(f"  - {r}" for r in e.reasons)])


def eligible_from_cli(spec_path: str, user_arg: str, now: str | None, policy_path: str | None) -> tuple[str, int]:
    """``guidelab eligible SPEC --user FILE|JSON [--now ISO] [--policy FILE]``: (text, exit code 0).

    ``--user`` is a JSON object (inline or a ``.json`` file) shaped like :class:`UserContext`,
    or a ``.csv`` / ``.parquet`` user table for :func:`evaluate_table` (printed as CSV with the
    reasons joined by `` | ``). Input problems raise :class:`~guidelab.errors.GuidelabError`.
    """
    from .programme import programme_for_spec

    spec = load_experiment(spec_path)
    programme = programme_for_spec(spec_path)  # the programme holdout beside the spec, if declared
    policy = load_policy(policy_path) if policy_path else None
    at = _parse_now(now)
    arg = user_arg.strip()
    if arg.startswith("{"):
        source, text = "--user", arg
    else:
        path = Path(user_arg)
        if not path.is_file():
            raise GuidelabError(f"--user: {clip(user_arg)} is neither a JSON object nor an existing "
                                ".json, .csv or .parquet file")
        suffix = path.suffix.lower()
        if suffix in (".csv", ".parquet"):
            try:
                df = read_user_table(path)
            except Exception as exc:  # noqa: BLE001 - any reader failure is a bad input file
                raise DataError(path, "", f"could not read the user table: {exc}") from None
            table = evaluate_table(spec, df, at, policy, source=str(path), programme=programme)
            shown = table.assign(reasons=table["reasons"].map(" | ".join))
            summary = f"# {int(table['eligible'].sum())} of {len(table)} users eligible at {at.isoformat()}\n"
            return summary + shown.to_csv(index=False), 0
        if suffix != ".json":
            raise GuidelabError(f"--user: {path}: expected a .json, .csv or .parquet file")
        source = str(path)
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise DataError(path, "", f"could not read: {exc}") from None
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise DataError(source, "", f"invalid JSON at line {exc.lineno} column {exc.colno}: {exc.msg}") from None
    if not isinstance(data, dict):
        raise DataError(source, "", "expected a JSON object with user_id, attributes, signup_at, context, history")
    stray = [k for k in data if k not in UserContext.model_fields]
    if stray:
        raise DataError(source, ", ".join(map(str, stray)),
                        f"unknown field: a user is {{user_id, attributes, signup_at, context, history}}; "
                        f"user attributes such as {stray[0]!r} go under \"attributes\", e.g. "
                        f'{{"user_id": "u1", "attributes": {{"{stray[0]}": "…"}}}} '
                        "(docs/inputs.md; guidelab schema eligibility-input)")
    user = validate_as(UserContext, data, source)
    return _format_one(evaluate_user(spec, user, at, policy, programme)), 0
