"""The metric registry: every metric of the catalogue, declared once.

A metric (``click_through``) or a family of metrics with a day count (``retention_d<N>``) is
ONE :class:`MetricEntry`: its name or name pattern, its kind (which sufficient statistics it
reduces to), its per-user SQL over the per-user table ``exp_users``, the per-user columns it
needs built from the per-user reductions of activity and guide events, its direction, its
maturation lag, whether only a shown guide can produce it and whether it compares randomised
groups, the spec field it needs, and its labels in English and Japanese. Everything else reads
the entry through :func:`parse_metric` and the :class:`MetricDef` it returns:

* the spec validates metric names and required spec fields (:mod:`guidelab.experiment`);
* the SQL builds the columns of :func:`user_columns` and runs :func:`per_user_sql`
  (:mod:`guidelab.metrics`, :mod:`guidelab.breakdowns`);
* the plan and the analysis read ``kind``, ``maturation_days``, ``higher_is_better``,
  ``guide_only`` and ``randomised``; the verdict reads the default guardrail margin
  (:func:`guardrail_margins`); the report reads ``label(lang)`` and ``curve_day``;
* the simulator's ground truth (``truth.json``) lists the registered metrics (:func:`entries`);
* the spec's JSON Schema gives the names as a pattern (:func:`metric_name_regex`), and
  ``docs/metrics.md`` carries the table of :func:`catalogue_markdown` (tests keep both current).

How to add a metric: ``docs/metrics.md``. In short, one :func:`register` call at the end of this
module (or, for a throwaway metric in a test, the :func:`registered` context manager) plus a test
that checks its SQL against an independent computation.

The per-user table ``exp_users`` has one row per validly assigned user and always these
columns (:data:`BASE_USER_COLUMNS`): ``uk`` (a dense integer user key, the join key of the per-user
reductions), ``variant``, ``assigned_day``, ``observed_days`` (complete
local days since the assignment day at the analysis date), the guide event flags (``shown``,
``opened``, ... as booleans), ``first_goal_day`` and ``first_support_day`` (day of the first goal
/ support event, NULL if none), ``guides_shown`` (distinct guides shown within the over-exposure
period), ``shown_n`` / ``clicked_n`` (impressions and clicks), ``pre_active_days`` (CUPED
covariate). A metric that needs more declares :class:`UserColumn` s, aggregates over one user's
rows of a per-user reduction:

* ``activity``: the user's activity after assignment, one row per activity row (an aggregate
  should not depend on the grain: ``bool_or``, ``min``, ``max``, ``sum(sessions)``, distinct days
  through :func:`guidelab.daybits.distinct_days_aggregate` (a distinct count over 10M rows is
  slow); never ``count(*)``), columns ``day`` (days since the local assignment day), ``sessions``
  (activity rows the row stands for: 1), ``is_goal`` and ``is_support`` (the row is a goal /
  support event). It runs in the same aggregate as the row ledger of activity
  (:func:`guidelab.ledger.classify_activity`), which also sees the CUPED pre-period's rows and
  the rows left out: on those rows every one of these columns is NULL, which aggregates skip (so
  an aggregate must also ignore NULL rows: no ``count(*)``, no ``coalesce`` of ``day``);
* ``guide_events``: one row per event of the experiment's own guides, columns ``ev`` (guidelab's
  event name), ``step``, ``secs`` (seconds since the assignment instant) and ``day`` (days since
  the local assignment day).

Quantile metrics ``<base>_p<NN>`` (kind ``quantile``): the p-quantile of the per-user value of an
entry of kind ``quantile`` (a time to an event some users never reach: its :class:`PerUserSQL`
gives ``reached``) or of a mean entry with ``quantiles=True``; see :func:`parse_metric` and
``docs/metrics.md``.
"""
from __future__ import annotations

import contextlib
import re
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Callable, Iterator, Literal, Mapping

from .daybits import distinct_days_aggregate

if TYPE_CHECKING:  # the spec imports this module: no import at run time
    from .experiment import ExperimentSpec

__all__ = [
    "BASE_USER_COLUMNS",
    "GUIDE_EVENTS",
    "MAX_DAYS",
    "MetricDef",
    "MetricEntry",
    "PerUserSQL",
    "UserColumn",
    "catalogue_markdown",
    "entries",
    "entry_of",
    "guardrail_margins",
    "metric_name_regex",
    "metric_patterns",
    "parse_metric",
    "per_user_sql",
    "register",
    "registered",
    "user_columns",
    "window_days",
]

Kind = Literal["proportion", "mean", "ratio", "quantile"]
Source = Literal["activity", "guide_events"]

GUIDE_EVENTS = ("shown", "opened", "clicked", "dismissed", "completed", "opted_out", "answered")
MAX_DAYS = 365

_IDENTIFIER = re.compile(r"^[a-z][a-z0-9_]{0,62}$")

#: Columns every ``exp_users`` table has, whatever the metrics (see the module docstring).
BASE_USER_COLUMNS = ("uk", "user_id", "variant", "assigned_at", "assigned_day", "observed_days", *GUIDE_EVENTS,
                     "first_goal_day", "first_support_day", "guides_shown", "shown_n", "clicked_n",
                     "pre_active_days")


# --------------------------------------------------------------------------- the declarations


@dataclass(frozen=True)
class UserColumn:
    """A per-user column of ``exp_users`` a metric needs beyond :data:`BASE_USER_COLUMNS`.

    ``aggregate`` is a SQL aggregate over one user's rows of the ``source`` reduction (its columns
    unqualified, e.g. ``bool_or(day = 7)`` over activity); ``default`` is the value of a user
    without rows there (``FALSE``, ``0``). ``active_on_day``: the column is ``bool_or(day = N)``
    over activity, which the user's bitmap of active days (:mod:`guidelab.daybits`) already holds,
    so ``exp_users`` reads bit N instead of adding an aggregate to the activity reduction (an
    aggregate over 10M rows costs ~0.1 s at 1M users; ``tests/test_metrics.py`` checks both agree).
    """

    name: str
    source: Source
    aggregate: str
    default: str
    active_on_day: int | None = None

    def __post_init__(self) -> None:
        if not _IDENTIFIER.match(self.name):
            raise ValueError(f"per-user column {self.name!r}: expected a lower-case SQL identifier")
        if self.source not in ("activity", "guide_events"):
            raise ValueError(f"per-user column {self.name!r}: source must be 'activity' or 'guide_events'")
        if self.active_on_day is not None and (self.source != "activity" or self.active_on_day < 0):
            raise ValueError(f"per-user column {self.name!r}: active_on_day needs source 'activity' and a day >= 0")


@dataclass(frozen=True)
class PerUserSQL:
    """A metric as SQL over ``exp_users``: the users counted (``eligible``, a condition) and the
    per-user ``value`` (0/1 for a proportion, a number for a mean), or for a ratio the per-user
    ``numerator`` and ``denominator`` (summed per arm; delta method). A quantile metric gives its
    per-user ``value`` and ``reached``, the condition under which a user has one (None: every
    eligible user has a value; a user who never reached the event is censored or left out, as the
    spec's ``statistics.quantile_never_reached`` says)."""

    eligible: str
    value: str | None = None
    numerator: str | None = None
    denominator: str | None = None
    reached: str | None = None  # a quantile metric: the condition for having a value (None: every eligible user)


def _no_columns(m: "MetricDef") -> tuple[UserColumn, ...]:
    return ()


def _days_or_zero(m: "MetricDef") -> int:
    return int(m.days) if m.days is not None else 0


@dataclass(frozen=True, eq=False)  # an entry is compared by identity (its functions and labels are not values)
class MetricEntry:
    """One metric, or one family ``<family>_d<N>`` of metrics, of the registry.

    Exactly one of ``name`` (a fixed name, e.g. ``click_through``; several fixed names may share a
    ``family``, like the guide events) and ``days`` (``(lo, hi)``: the family's names are
    ``<family>_d<N>`` with lo <= N <= hi) is given.

    ``sql(metric, spec)`` -> :class:`PerUserSQL` (``spec`` may be None: defaults apply);
    ``columns(metric)``: the :class:`UserColumn` s it needs; ``labels``: ``{"en": ..., "ja": ...}``,
    ``str.format`` templates over ``name``, ``days`` and ``event``; ``maturation(metric)``: days
    after the assignment day before a user's value is final; ``window(metric, spec)``: days of
    data after assignment it reads (the spec's default analysis date allows for the longest);
    ``requires``: the spec field that must be set when the metric is used (``goal_event``);
    ``reads_other_guides``: it needs other guides' events (the row ledger keeps them);
    ``curve_day``: the metric is the retention curve at day N (the report reads the curve there);
    ``guardrail_margin``: its default tolerated harm as a guardrail, ``(value, "absolute" |
    "relative")``, when the spec gives none (None: the default of its kind,
    :data:`guidelab.decision.KIND_MARGIN_DEFAULTS`);
    ``event``: the guide event a guide-event metric counts; ``days_error``: the message for a day
    count out of range (``{lo}``, ``{hi}``); ``example``: a name shown in the unknown-metric
    message; ``description``: one line for the catalogue in ``docs/metrics.md``.
    """

    family: str
    kind: Kind
    labels: Mapping[str, str]
    sql: Callable[["MetricDef", "ExperimentSpec | None"], PerUserSQL]
    description: str
    name: str | None = None
    days: tuple[int, int] | None = None
    event: str | None = None
    columns: Callable[["MetricDef"], tuple[UserColumn, ...]] = _no_columns
    higher_is_better: bool = True
    guide_only: bool = False
    randomised: bool = True
    maturation: Callable[["MetricDef"], int] = _days_or_zero
    window: Callable[["MetricDef", "ExperimentSpec"], int | None] | None = None
    requires: str | None = None
    reads_other_guides: bool = False
    curve_day: bool = False
    guardrail_margin: tuple[float, str] | None = None
    days_error: str = "the window must be {lo}..{hi} days"
    example: str | None = None
    quantiles: bool = False  # a mean entry whose per-user value also has quantile metrics <name>_p<NN>

    def __post_init__(self) -> None:
        if not _IDENTIFIER.match(self.family) or (self.name is not None and not _IDENTIFIER.match(self.name)):
            raise ValueError(f"metric entry {self.family!r}: family and name must be lower-case identifiers")
        if self.kind not in ("proportion", "mean", "ratio", "quantile"):
            raise ValueError(f"metric entry {self.family!r}: kind must be proportion, mean, ratio or quantile, "
                             f"not {self.kind!r}")
        if self.quantiles and self.kind != "mean":
            raise ValueError(f"metric entry {self.family!r}: only a mean entry declares quantiles "
                             "(a quantile entry always has them)")
        if (self.name is None) == (self.days is None):
            raise ValueError(f"metric entry {self.family!r}: give exactly one of name and days")
        if set(self.labels) != {"en", "ja"}:
            raise ValueError(f"metric entry {self.family!r}: labels must have exactly 'en' and 'ja'")

    @property
    def pattern(self) -> str:
        """The name, or the family's name pattern (``retention_d<N>``)."""
        return self.name if self.name is not None else f"{self.family}_d<N>"

    def parse(self, name: str) -> "MetricDef | None":
        """The metric ``name`` of this entry, None when the name is not of this entry; a day count
        out of range raises ValueError."""
        if self.name is not None:
            return MetricDef(name, self.family, event=self.event, higher_is_better=self.higher_is_better) \
                if name == self.name else None
        m = re.match(rf"^{re.escape(self.family)}_d(\d{{1,3}})$", name)
        if m is None:
            return None
        days, (lo, hi) = int(m.group(1)), self.days  # type: ignore[misc]
        if not lo <= days <= hi:
            raise ValueError(f"metric {name!r}: " + self.days_error.format(lo=lo, hi=hi))
        return MetricDef(name, self.family, days=days, higher_is_better=self.higher_is_better)


# --------------------------------------------------------------------------- a parsed metric


@dataclass(frozen=True)
class MetricDef:
    """A metric of the catalogue, parsed from its name: what it is (``name``, ``family``, and
    ``event`` / ``days`` when the entry has them); everything else is read from its
    :class:`MetricEntry` (:func:`entry_of`)."""

    name: str
    family: str
    event: str | None = None          # guide event of a guide-event metric
    days: int | None = None           # N of a <family>_d<N> metric
    higher_is_better: bool = True
    percentile: int | None = None     # NN of a quantile metric <base>_p<NN> (the p-quantile, p = NN / 100)

    @property
    def entry(self) -> MetricEntry:
        return entry_of(self)

    @property
    def kind(self) -> Kind:
        """Which sufficient statistics the metric reduces to, and so which test applies."""
        return "quantile" if self.percentile is not None else self.entry.kind

    @property
    def base_name(self) -> str:
        """The name without a quantile's ``_p<NN>`` (``sessions_d7_p90`` -> ``sessions_d7``)."""
        return self.name if self.percentile is None else self.name[: -len(f"_p{self.percentile}")]

    @property
    def quantile(self) -> float | None:
        """p of a quantile metric (0.5 for ``_p50``), else None."""
        return None if self.percentile is None else self.percentile / 100

    @property
    def may_be_unreached(self) -> bool:
        """A quantile metric of a time to an event that some users never reach (``days_to_goal``):
        the spec's ``statistics.quantile_never_reached`` decides how they count."""
        return self.percentile is not None and self.entry.kind == "quantile"

    def label(self, lang: str = "en") -> str:
        """Its name in words, ``ja`` or ``en`` (any other language: English)."""
        template = self.entry.labels["ja" if lang == "ja" else "en"]
        base = template.format(name=self.base_name, days=self.days, event=self.event)
        return base if self.percentile is None else quantile_label(base, self.percentile, lang)

    @property
    def maturation_days(self) -> int:
        """Days after the assignment day before a user's value is final: N for every ``*_d<N>``
        metric (retention, goal, support, sessions, active days: the analysis counts a user once
        day N is complete), 0 for metrics known as they happen (guide events, click-through,
        clicks per impression, over-exposure). The ONE maturation rule: `guidelab plan` and the
        analysis' days still needed both read it."""
        return int(self.entry.maturation(self))

    @property
    def guide_only(self) -> bool:
        """True for metrics only a shown guide can produce (guide events, click-through, clicks per
        impression): in a ``guide: null`` holdout they are 0 by construction, so they cannot be
        compared with a holdout (see ``guardrail_ceilings`` in ``experiments/README.md``)."""
        return self.entry.guide_only

    @property
    def randomised(self) -> bool:
        """False for metrics conditioned on a post-assignment event (click_through)."""
        return self.entry.randomised

    @property
    def reads_other_guides(self) -> bool:
        """True when the metric needs other guides' events (over-exposure)."""
        return self.entry.reads_other_guides

    @property
    def curve_day(self) -> int | None:
        """The day of the retention curve this metric is (retention_d7 -> 7), else None."""
        return self.days if self.entry.curve_day else None

    @property
    def requires(self) -> str | None:
        """The spec field that must be set when this metric is used (``goal_event``), or None."""
        return self.entry.requires


# --------------------------------------------------------------------------- the registry

_ENTRIES: list[MetricEntry] = []
_GENERATION = [0]  # bumped whenever an entry is added or removed: caches of parsed names key on it


def generation() -> int:
    """A number that changes whenever the registry changes (for caches of what it parses)."""
    return _GENERATION[0]


def entries() -> tuple[MetricEntry, ...]:
    """Every registered entry, in registration order (the order of the catalogue)."""
    return tuple(_ENTRIES)


def register(entry: MetricEntry) -> MetricEntry:
    """Add an entry; a name or family clashing with a registered one raises ValueError."""
    for other in _ENTRIES:
        if entry.name is not None and other.name == entry.name:
            raise ValueError(f"metric {entry.name!r} is already registered")
        if entry.days is not None and other.days is not None and other.family == entry.family:
            raise ValueError(f"metric family {entry.pattern!r} is already registered")
        clash = (entry.name is not None and other.days is not None and _quiet_parse(other, entry.name)) or \
                (other.name is not None and entry.days is not None and _quiet_parse(entry, other.name))
        if clash:
            raise ValueError(f"metric {entry.pattern!r} clashes with the registered {other.pattern!r}")
    _ENTRIES.append(entry)
    _GENERATION[0] += 1
    return entry


def _quiet_parse(entry: MetricEntry, name: str) -> bool:
    try:
        return entry.parse(name) is not None
    except ValueError:
        return True


@contextlib.contextmanager
def registered(*new: MetricEntry) -> Iterator[tuple[MetricEntry, ...]]:
    """Register entries for the duration of a ``with`` block (tests, experiments with a metric
    of their own); they are removed afterwards."""
    added: list[MetricEntry] = []
    try:
        for e in new:
            added.append(register(e))
        yield tuple(added)
    finally:
        for e in added:
            _ENTRIES.remove(e)
            _GENERATION[0] += 1


def entry_of(metric: MetricDef) -> MetricEntry:
    """The entry a parsed metric belongs to."""
    for e in _ENTRIES:
        if (e.name == metric.base_name) if e.name is not None else (e.family == metric.family and metric.days is not None):
            return e
    raise ValueError(f"metric {metric.name!r} (family {metric.family!r}) is not registered")


def metric_patterns() -> list[str]:
    """The accepted names as the unknown-metric message lists them (``goal_d<N> (e.g. goal_d7)``)."""
    out = []
    for e in _ENTRIES:
        if e.kind != "quantile":
            out.append(e.pattern + (f" (e.g. {e.example})" if e.example else ""))
        if e.quantiles or e.kind == "quantile":
            out.append(f"{e.pattern}_p<NN>" + (f" (e.g. {e.example})" if e.kind == "quantile" and e.example else ""))
    return out


def metric_name_regex() -> str:
    """A regular expression every catalogue name matches (day counts not range-checked): the
    ``pattern`` of a metric name in the spec's JSON Schema, so an editor flags unknown names."""
    alternatives = []
    for e in _ENTRIES:
        base = re.escape(e.name) if e.name is not None else re.escape(e.family) + r"_d[0-9]{1,3}"
        suffix = "_p[0-9]{1,2}" if e.kind == "quantile" else "(?:_p[0-9]{1,2})?" if e.quantiles else ""
        alternatives.append(base + suffix)
    return "^(?:" + "|".join(alternatives) + ")$"


def parse_metric(name: str) -> MetricDef:
    """Parse a metric name of the catalogue or raise ValueError saying what is accepted.

    A quantile metric is ``<base>_p<NN>`` (NN 1..99): the p-quantile (p = NN/100) of the per-user
    value of a quantile entry (``days_to_goal_d30_p50``) or of a mean entry that declares
    ``quantiles`` (``sessions_d7_p90``)."""
    for e in _ENTRIES:
        m = e.parse(name)
        if m is not None:
            if e.kind == "quantile":
                raise ValueError(f"metric {name!r} is a time to an event: name a percentile of it, e.g. "
                                 f"{name}_p50 (median) or {name}_p90")
            return m
    q = _QUANTILE_SUFFIX.match(name)
    if q is not None:
        base, nn = q.group(1), q.group(2)
        for e in _ENTRIES:
            m = e.parse(base)
            if m is not None:
                if e.kind != "quantile" and not e.quantiles:
                    raise ValueError(f"metric {name!r}: {base!r} has no quantiles (a quantile metric is "
                                     f"<base>_p<NN> of a per-user value: {', '.join(quantile_patterns())})")
                if nn.startswith("0") or not 1 <= int(nn) <= 99:
                    raise ValueError(f"metric {name!r}: the percentile must be 1..99 without a leading zero "
                                     f"(p50 = median, p90, p95)")
                return replace(m, name=name, percentile=int(nn))
    accepted = metric_patterns()
    raise ValueError(f"unknown metric {name!r}: expected one of {', '.join(accepted[:-1])} or {accepted[-1]}")


_QUANTILE_SUFFIX = re.compile(r"^(.+)_p([0-9]{1,2})$")

#: The words of a quantile metric's label: the median, or the NN-th percentile, of its base label.
QUANTILE_LABELS = {
    "en": {"median": "median {base}", "other": "{nn}th percentile of {base}"},
    "ja": {"median": "{base}の中央値", "other": "{base}の{nn}パーセンタイル"},
}


def quantile_label(base: str, percentile: int, lang: str = "en") -> str:
    """The label of the ``percentile``-th percentile of a metric labelled ``base``."""
    words = QUANTILE_LABELS["ja" if lang == "ja" else "en"]
    return (words["median"] if percentile == 50 else words["other"]).format(base=base, nn=percentile)


def quantile_patterns() -> list[str]:
    """The name patterns of the quantile metrics (``sessions_d<N>_p<NN>``, ...)."""
    return [f"{e.pattern}_p<NN>" for e in _ENTRIES if e.kind == "quantile" or e.quantiles]


def per_user_sql(metric: MetricDef, spec: "ExperimentSpec | None" = None) -> PerUserSQL:
    """The metric's SQL over ``exp_users`` (the spec supplies settings such as the over-exposure rule)."""
    return metric.entry.sql(metric, spec)


def user_columns(metrics: "list[MetricDef] | tuple[MetricDef, ...]") -> dict[str, UserColumn]:
    """The per-user columns beyond :data:`BASE_USER_COLUMNS` that ``metrics`` need, by name, in
    catalogue order (then by day count): what the per-user table builder computes."""
    order = {e: i for i, e in enumerate(_ENTRIES)}
    ordered = sorted(set(metrics), key=lambda m: (order[m.entry], m.days or 0, m.name))
    out: dict[str, UserColumn] = {}
    for m in ordered:
        for c in m.entry.columns(m):
            if c.name in BASE_USER_COLUMNS:
                raise ValueError(f"metric {m.name!r}: column {c.name!r} is a base column of exp_users")
            if c.name in out and out[c.name] != c:
                raise ValueError(f"metric {m.name!r}: column {c.name!r} is declared twice, differently")
            out[c.name] = c
    return out


def guardrail_margins() -> dict[str, tuple[float, str]]:
    """The default guardrail margins the entries declare, by metric name (a fixed-name entry) or by
    family (a ``<family>_d<N>`` entry): :func:`guidelab.decision.default_guardrail_margin` looks
    a guardrail up by name, then family, then kind."""
    return {(e.name or e.family): e.guardrail_margin for e in _ENTRIES if e.guardrail_margin is not None}


def window_days(metric: MetricDef, spec: "ExperimentSpec") -> int | None:
    """Days of data after assignment the metric reads (N, or the spec's over-exposure period)."""
    e = metric.entry
    return e.window(metric, spec) if e.window is not None else metric.days


def _margin_text(e: MetricEntry, kind: str | None = None) -> str:
    from .decision import KIND_MARGIN_DEFAULTS

    kind = kind or e.kind
    own = e.guardrail_margin if kind == e.kind else None  # a mean entry's margin is not its quantiles'
    value, unit = own or KIND_MARGIN_DEFAULTS[kind]
    text = f"{value * 100:g} pt" if unit == "absolute" else f"{value:.0%} of the control's value"
    return text if own is not None else f"{text} (default of a {kind})"


def catalogue_markdown() -> str:
    """The catalogue as a Markdown table (``docs/metrics.md`` carries it; a test keeps it current)."""
    rows = ["| metric | kind | direction | matures | guide only | randomised | needs | guardrail margin | label (en) "
            "| label (ja) | what it measures |",
            "|---|---|---|---|---|---|---|---|---|---|---|"]
    for e in _ENTRIES:
        en = e.labels["en"].format(name=e.name, days="N", event=e.event)
        ja = e.labels["ja"].format(name=e.name, days="N", event=e.event)
        if e.name is not None:
            lag = e.maturation(e.parse(e.name))  # type: ignore[arg-type]
            matures = "at once" if lag == 0 else f"{lag} days"
        else:
            lag = e.maturation(MetricDef(f"{e.family}_d7", e.family, days=7))
            matures = "day N" if lag == 7 else f"{lag} days (N = 7)"
        span = f" (N {e.days[0]}..{e.days[1]})" if e.days else ""
        direction = "higher is better" if e.higher_is_better else "lower is better"
        if e.kind != "quantile":
            cells = [f"`{e.pattern}`" + span, e.kind, direction, matures,
                     "yes" if e.guide_only else "", "yes" if e.randomised else "no",
                     f"`{e.requires}`" if e.requires else "", _margin_text(e), en, ja, e.description]
            rows.append("| " + " | ".join(c.replace("|", "\\|") for c in cells) + " |")
        if e.kind == "quantile" or e.quantiles:  # its quantile metrics <pattern>_p<NN>
            what = e.description if e.kind == "quantile" else f"the p-quantile (p = NN/100) of {e.pattern}"
            cells = [f"`{e.pattern}_p<NN>`" + span + " (NN 1..99)", "quantile", direction, matures,
                     "yes" if e.guide_only else "",
                     "yes" + (" (censored); no among reachers" if e.kind == "quantile" else "") if e.randomised else "no",
                     f"`{e.requires}`" if e.requires else "", _margin_text(e, "quantile"),
                     quantile_label(en, 0, "en").replace("0th", "NNth"), quantile_label(ja, 0, "ja").replace("の0パ", "のNNパ"),
                     what]
            rows.append("| " + " | ".join(c.replace("|", "\\|") for c in cells) + " |")
    return "\n".join(rows) + "\n"


# --------------------------------------------------------------------------- the built-in catalogue
# The order below is the order of the catalogue (error messages, docs, per-user columns).

_GUIDE_EVENT_LABELS = {
    "shown": ("shown rate", "表示率", "a guide step shown"),
    "opened": ("open rate", "開封率", "the guide opened"),
    "clicked": ("click rate", "クリック率", "a call to action clicked"),
    "dismissed": ("dismiss rate", "クローズ率", "the guide closed without acting"),
    "completed": ("completion rate", "完了率", "the guide (every step) completed"),
    "opted_out": ("\u201cdon't show again\u201d rate", "「今後表示しない」率", "\u201cdon't show again\u201d chosen"),
    "answered": ("survey response rate", "アンケート回答率", "the survey answered"),
}


_GUIDE_EVENT_MARGINS = {
    "dismissed": (0.02, "absolute"),   # a dismissal is the normal way to close a guide
    "opted_out": (0.005, "absolute"),  # "don't show again" loses the channel for good
}


def _guide_event_sql(m: MetricDef, spec: "ExperimentSpec | None") -> PerUserSQL:
    return PerUserSQL("TRUE", f"CAST({m.event} AS INTEGER)")


for _event, (_en, _ja, _what) in _GUIDE_EVENT_LABELS.items():
    register(MetricEntry(
        family="guide_event", name=_event, event=_event, kind="proportion", labels={"en": _en, "ja": _ja},
        sql=_guide_event_sql, guide_only=True, higher_is_better=_event not in ("dismissed", "opted_out"),
        guardrail_margin=_GUIDE_EVENT_MARGINS.get(_event),
        description=f"{_what}: share of assigned users (a no-guide holdout counts, with no events)"))

register(MetricEntry(
    family="click_through", name="click_through", kind="proportion",
    labels={"en": "click-through among openers", "ja": "開封者のクリック率"},
    sql=lambda m, spec: PerUserSQL("opened", "CAST(clicked AS INTEGER)"),
    guide_only=True, randomised=False,
    description="clicked among users who opened the guide (conditioned on opening: descriptive, not randomised)"))

register(MetricEntry(
    family="clicks_per_impression", name="clicks_per_impression", kind="ratio",
    labels={"en": "clicks per impression", "ja": "表示1回あたりのクリック数"},
    sql=lambda m, spec: PerUserSQL("TRUE", numerator="clicked_n", denominator="shown_n"),
    guide_only=True,
    description="guide click events / impressions (first step shown), summed per arm; delta method"))


def _over_exposed_sql(m: MetricDef, spec: "ExperimentSpec | None") -> PerUserSQL:
    from .experiment import OverExposureSpec

    ox = spec.over_exposure if spec is not None else OverExposureSpec()
    return PerUserSQL(f"observed_days >= {int(ox.period_days) - 1}", f"CAST(guides_shown > {int(ox.max_guides)} AS INTEGER)")


register(MetricEntry(
    family="over_exposed", name="over_exposed", kind="proportion",
    labels={"en": "over-exposed users (too many guides)", "ja": "過剰表示されたユーザー（ガイド数過多）"},
    sql=_over_exposed_sql, higher_is_better=False, reads_other_guides=True,
    guardrail_margin=(0.02, "absolute"),  # too many guides in a week
    window=lambda m, spec: int(spec.over_exposure.period_days),
    description="shown more than over_exposure.max_guides distinct guides (any guide) in the first "
                "over_exposure.period_days days"))


def _first_day_sql(column: str) -> Callable[[MetricDef, "ExperimentSpec | None"], PerUserSQL]:
    def sql(m: MetricDef, spec: "ExperimentSpec | None") -> PerUserSQL:
        n = int(m.days)  # type: ignore[arg-type]
        return PerUserSQL(f"observed_days >= {n - 1}", f"CAST(coalesce({column} < {n}, FALSE) AS INTEGER)")
    return sql


register(MetricEntry(
    family="goal", days=(1, MAX_DAYS), kind="proportion", example="goal_d7",
    labels={"en": "goal reached within {days} days", "ja": "{days}日以内の目標達成率"},
    sql=_first_day_sql("first_goal_day"), requires="goal_event", days_error="goal window must be {lo}..{hi} days",
    description="the goal event (spec goal_event) on days 0..N-1 after assignment; users with N complete days"))


def _retention_sql(m: MetricDef, spec: "ExperimentSpec | None") -> PerUserSQL:
    n = int(m.days)  # type: ignore[arg-type]
    return PerUserSQL(f"observed_days >= {n}", f"CAST(active_d{n} AS INTEGER)")


register(MetricEntry(
    family="retention", days=(0, MAX_DAYS), kind="proportion", example="retention_d7",
    labels={"en": "day-{days} retention", "ja": "{days}日後リテンション"},
    sql=_retention_sql, curve_day=True, days_error="retention day must be {lo}..{hi}",
    columns=lambda m: (UserColumn(f"active_d{int(m.days)}", "activity", f"bool_or(day = {int(m.days)})", "FALSE",  # type: ignore[arg-type]
                                  active_on_day=int(m.days)),),  # type: ignore[arg-type]
    description="active on day N after assignment (day 0 = the local assignment day); users whose day N is complete"))


def _sessions_sql(m: MetricDef, spec: "ExperimentSpec | None") -> PerUserSQL:
    n = int(m.days)  # type: ignore[arg-type]
    return PerUserSQL(f"observed_days >= {n - 1}", f"sessions_d{n}")


register(MetricEntry(
    family="sessions", days=(1, MAX_DAYS), kind="mean", quantiles=True,
    labels={"en": "sessions per user in {days} days", "ja": "{days}日間の1人あたりセッション数"},
    sql=_sessions_sql,
    columns=lambda m: (UserColumn(f"sessions_d{int(m.days)}", "activity",  # type: ignore[arg-type]
                                  f"CAST(sum(sessions) FILTER (WHERE day BETWEEN 0 AND {int(m.days) - 1}) AS BIGINT)",
                                  "0"),),  # type: ignore[arg-type]
    description="activity rows (sessions) on days 0..N-1 per user; users with N complete days"))


def _active_days_sql(m: MetricDef, spec: "ExperimentSpec | None") -> PerUserSQL:
    n = int(m.days)  # type: ignore[arg-type]
    return PerUserSQL(f"observed_days >= {n}", f"active_days_d{n}")


register(MetricEntry(
    family="active_days", days=(1, MAX_DAYS), kind="mean", quantiles=True,
    labels={"en": "active days per user in {days} days", "ja": "{days}日間の1人あたりアクティブ日数"},
    sql=_active_days_sql,
    columns=lambda m: (UserColumn(f"active_days_d{int(m.days)}", "activity",  # type: ignore[arg-type]
                                  distinct_days_aggregate("day", 1, int(m.days)), "0"),),  # type: ignore[arg-type]
    description="distinct active days among days 1..N per user; users with N complete days"))

register(MetricEntry(
    family="support", days=(1, MAX_DAYS), kind="proportion", higher_is_better=False,
    labels={"en": "support contacts within {days} days", "ja": "{days}日以内のサポート問い合わせ率"},
    sql=_first_day_sql("first_support_day"), requires="support_event",
    guardrail_margin=(0.005, "absolute"),  # support contacts cost money
    description="the support event (spec support_event) on days 0..N-1 after assignment; users with N complete days"))


# --------------------------------------------------------------------------- quantile metrics
# Times to an event, summarised by a percentile only (``days_to_goal_d30_p50``); the mean families
# above with ``quantiles=True`` also have them (``sessions_d7_p90``). Users who never reach the
# event within the window have no value (``reached``): censored at the window's end or left out,
# as the spec's ``statistics.quantile_never_reached`` says (docs/statistics.md).


def _days_to_goal_sql(m: MetricDef, spec: "ExperimentSpec | None") -> PerUserSQL:
    n = int(m.days)  # type: ignore[arg-type]
    return PerUserSQL(f"observed_days >= {n - 1}", "first_goal_day",
                      reached=f"coalesce(first_goal_day < {n}, FALSE)")


register(MetricEntry(
    family="days_to_goal", days=(1, MAX_DAYS), kind="quantile", example="days_to_goal_d30_p50",
    labels={"en": "days to the goal (within {days} days)", "ja": "目標達成までの日数（{days}日以内）"},
    sql=_days_to_goal_sql, requires="goal_event", higher_is_better=False,
    days_error="goal window must be {lo}..{hi} days",
    description="whole days from the local assignment day to the first goal event (0 = the assignment day), "
                "users with N complete days; a user without the goal on days 0..N-1 never reached it"))


def _hours_to_complete_sql(m: MetricDef, spec: "ExperimentSpec | None") -> PerUserSQL:
    n = int(m.days)  # type: ignore[arg-type]
    return PerUserSQL(f"observed_days >= {n - 1}", f"hours_to_complete_d{n}",
                      reached=f"hours_to_complete_d{n} IS NOT NULL")


register(MetricEntry(
    family="hours_to_complete", days=(1, MAX_DAYS), kind="quantile", guide_only=True, higher_is_better=False,
    labels={"en": "hours to complete the guide (within {days} days)", "ja": "ガイド完了までの時間（{days}日以内）"},
    sql=_hours_to_complete_sql, days_error="the window must be {lo}..{hi} days",
    columns=lambda m: (UserColumn(f"hours_to_complete_d{int(m.days)}", "guide_events",  # type: ignore[arg-type]
                                  f"min(secs) FILTER (WHERE ev = 'completed' AND day < {int(m.days)}) / 3600.0",  # type: ignore[arg-type]
                                  "CAST(NULL AS DOUBLE)"),),
    description="hours from the assignment to the first completion of the experiment's guide, users with N "
                "complete days; a user without a completion on days 0..N-1 never reached it"))
