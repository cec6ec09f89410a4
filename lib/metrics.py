"""Metrics as SQL: the event tables reduced, per variant, to sufficient statistics.

DuckDB reads the files in place; only per-variant counts leave SQL, so the statistics are the
same for a 1,000-row sample and a 10M-user export. Day boundaries follow the experiment's
time zone; day 0 is the local assignment day. A user whose day N is not complete at the
analysis date (``as_of``, the last complete local day) is left out of day-N metrics.
"""
from __future__ import annotations

import dataclasses
import datetime as dt
import re
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

from . import daybits
from .catalog import GUIDE_EVENTS, MetricDef
from .events import DataCheck, EventData
from .experiment import ExperimentSpec
from .registry import UserColumn, per_user_sql, user_columns, window_days
from .values import sql_identifier, sql_literal


@dataclass(frozen=True)
class ProportionCounts:
    """Sufficient statistics of a proportion metric for one variant."""

    n: int
    successes: int


@dataclass(frozen=True)
class MetricCounts:
    """Per-variant sufficient statistics of one metric.

    ``by_variant`` holds ProportionCounts, MeanStats, RatioStats or QuantileStats by the metric's kind;
    ``covariate`` holds CovariateStats (outcome and pre-period covariate) when CUPED is on.
    """

    metric: MetricDef
    role: str  # primary | secondary | guardrail
    by_variant: dict[str, Any]
    covariate: dict[str, Any] | None = None
    capping: Any = None   # adjustments.CappingSummary when statistics.capping caps this metric
    strata: dict[str, dict[str, Any]] | None = None  # variant -> stratum -> CovariateStats (statistics.adjust_for)


@dataclass(frozen=True)
class ExperimentCounts:
    """Everything the statistics need, and nothing more."""

    as_of: dt.date
    assigned: dict[str, int]
    daily_assigned: list[tuple[dt.date, str, int]]
    metrics: list[MetricCounts]
    checks: list[DataCheck]
    curves: Any = None        # timeseries.CurveCounts: retention by day since assignment
    goal_life: Any = None     # timeseries.LifeCounts: time to the goal event
    ledger: Any = None        # ledger.RowLedger: rows read, used and left out, per table
    accounts: Any = None      # accounts per variant when the spec randomises by account (guidelab.account_stats)


def as_of_end_utc(spec: ExperimentSpec, as_of: dt.date) -> dt.datetime:
    """The instant the analysis date ends: local midnight after ``as_of`` in the spec's zone."""
    return dt.datetime.combine(as_of + dt.timedelta(days=1), dt.time(), tzinfo=spec.tz).astimezone(dt.timezone.utc)


def longest_window_days(spec: ExperimentSpec) -> int:
    """The longest metric window of the spec in days (day-N metrics, over-exposure period)."""
    windows = [window_days(m, spec) for m, _ in spec.metric_defs()]
    return max((int(w) for w in windows if w is not None), default=0)


def default_as_of(ed: EventData, spec: ExperimentSpec, today: dt.date | None = None) -> dt.date:
    """The last local day with data, never past ``today`` (in the spec's zone) nor past the spec's
    end plus its longest metric window. ``today`` defaults to the current local date."""
    from .ledger import local_today, now_end_utc

    today = today or local_today(spec)
    row = ed.con.execute(
        """SELECT max(d) FROM (
             SELECT CAST(timezone($tz, max(assigned_at)) AS DATE) d FROM assignments
               WHERE experiment = $exp AND assigned_at < $now
             UNION ALL SELECT CAST(timezone($tz, max(timestamp)) AS DATE) FROM activity WHERE timestamp < $now
             UNION ALL SELECT CAST(timezone($tz, max(timestamp)) AS DATE) FROM guide_events WHERE timestamp < $now)""",
        {"tz": spec.timezone, "exp": spec.id, "now": now_end_utc(spec, today)},
    ).fetchone()
    last = row[0] if row is not None and row[0] is not None else (spec.end or spec.start)
    caps = [today] + ([spec.end + dt.timedelta(days=longest_window_days(spec))] if spec.end else [])
    return min([last, *caps])


def event_map_sql(spec: ExperimentSpec, column: str = "event") -> str:
    """CASE expression mapping the team's event names in ``column`` to guidelab's (names bound as literals)."""
    if not spec.event_names:
        return column
    whens = " ".join(
        f"WHEN {sql_literal(team)} THEN {sql_literal(ours)}" for team, ours in sorted(spec.event_names.items())
    )
    return f"CASE {column} {whens} ELSE {column} END"


def build_user_table(ed: EventData, spec: ExperimentSpec, as_of: dt.date,
                     today: dt.date | None = None) -> list[DataCheck]:
    """Create the temp table ``exp_users``: one row per validly assigned user with per-user flags.

    Rows are first classified by :func:`guidelab.ledger.classify_rows` (the row ledger); the
    metrics read only the rows it marks as used.
    """
    from .breakdowns import USER_ATTRIBUTE_PREFIX, user_attribute_columns
    from .ledger import (
        UserPart,
        activity_day_words,
        classify_rows,
        create_by_user_partition,
        local_today,
        now_end_utc,
        require_assignments,
    )

    con = ed.con
    end = as_of_end_utc(spec, as_of)
    require_assignments(ed, spec)
    extra = user_columns([m for m, _ in spec.metric_defs()])  # the columns the spec's metrics need
    # the registry's activity columns are aggregated in the activity reduction itself (one pass)
    classify_rows(ed, spec, end, now_end_utc(spec, today or local_today(spec)),
                  {c.name: c.aggregate for c in extra.values() if c.source == "activity" and c.active_on_day is None})
    variants_sql = ", ".join(sql_literal(k) for k in spec.variant_keys)
    checks: list[DataCheck] = []

    total, null_ids, unknown = con.execute(f"""
        SELECT count(*), count_if(user_id IS NULL), count_if(variant NOT IN ({variants_sql}) OR variant IS NULL)
        FROM ledger_assignments WHERE experiment = $exp AND assigned_at < $end""",  # every source row is there
        {"exp": spec.id, "end": end}).fetchone()
    multi = con.execute("SELECT count(DISTINCT user_id) FROM ledger_assignments "
                        "WHERE _gl_reason = 'multiple_arms'").fetchone()[0]
    checks.append(DataCheck.of("assignments_present", total > 0, n=total, experiment=spec.id, as_of=as_of))
    checks.append(DataCheck.of("missing_user_ids", null_ids == 0, n=null_ids))
    checks.append(DataCheck.of("unknown_variants", unknown == 0, n=unknown, variants=", ".join(spec.variant_keys)))
    share = multi / max(total, 1)
    checks.append(DataCheck.of("multiple_variants", share <= 0.001, n=multi))

    guide_cols = "".join(f", {c.aggregate} AS {c.name}" for c in extra.values() if c.source == "guide_events")
    # the bitmaps of active days (guidelab.daybits) ride along: the curves and stickiness then read
    # exp_users alone, with no second join of the per-user activity to the users
    words = activity_day_words(ed)
    day_words = "".join(f", af._gl_days{k}" for k in range(words))

    def extra_value(c: UserColumn) -> str:
        if c.active_on_day is not None:  # a bit of the active days (daybits.has_day reads a missing word as 0)
            return daybits.has_day("af._gl_days", words, c.active_on_day)
        return f"coalesce({'gx' if c.source == 'guide_events' else 'af'}.{c.name}, {c.default})"
    extra_select = "".join(f", {extra_value(c)} AS {c.name}" for c in extra.values())
    # one aggregate of the user's guides: the flags and counts over this experiment's guides (own),
    # and the guides shown within the over-exposure period (any guide); the flags as one integer,
    # bit i for GUIDE_EVENTS[i] (ledger_guide_user._gl_flags): one bit_or, not a bool_or each
    flags = ", ".join(f"coalesce(((gf._gl_flags >> {i}) & 1) = 1, FALSE) AS {e}" for i, e in enumerate(GUIDE_EVENTS))
    has_step = "step" in _cols(ed, "guide_events")
    # the users-table columns of the segments and strata, joined here once (each breakdown and the
    # strata then read exp_users alone; in time about even with a join per query: bench/README.md)
    attrs = user_attribute_columns(ed, spec)
    attr_select = "".join(f", ua.{sql_identifier(c)} AS {sql_identifier(USER_ATTRIBUTE_PREFIX + c)}" for c in attrs)

    def attrs_join(part: UserPart) -> str:
        if not attrs:
            return ""
        cols = ", ".join(sql_identifier(c) for c in attrs)
        return f" LEFT JOIN (SELECT _gl_uk, {cols} FROM exp_user_attrs{part.where('_gl_uk')}) ua ON ua._gl_uk = u2.uk"

    def users_of(part: UserPart) -> str:  # the users of one partition (all of them below 20M source rows)
        # a registry column over single guide events (hours_to_complete): its own pass over them, with
        # each event's seconds since the assignment (secs) and day since the local assignment day (day)
        gx = f"""gx AS (
            SELECT uk{guide_cols} FROM (
                SELECT e._gl_uk AS uk, {event_map_sql(spec, "e.event")} AS ev,
                       {"coalesce(TRY_CAST(e.step AS INTEGER), 1)" if has_step else "1"} AS step,
                       epoch(e.timestamp) - epoch(ga.assigned_at) AS secs,
                       datediff('day', ga.assigned_day, e._gl_day) AS day
                FROM ledger_guide_events e JOIN exp_assigned ga ON ga.uk = e._gl_uk
                WHERE e._gl_reason IS NULL AND e._gl_own{part.and_("e._gl_uk")}) g
            GROUP BY uk
        ), """ if guide_cols else ""
        return f"""
        WITH {gx}gf AS (
            SELECT uk, bit_or(g._gl_flags) FILTER (WHERE own) AS _gl_flags, sum(shown_n) FILTER (WHERE own) AS shown_n,
                   sum(clicked_n) FILTER (WHERE own) AS clicked_n, count(*) FILTER (WHERE shown_in_period) AS guides_shown
            FROM exp_guide_user g WHERE (own OR shown_in_period){part.and_("g.uk")} GROUP BY uk
        ), af AS (SELECT * FROM exp_activity_users{part.where("uk")})  -- one row per user with activity (guidelab.ledger.classify_activity)
        SELECT u2.uk, u2.user_id, u2.variant, u2.assigned_at, u2.assigned_day,
               datediff('day', u2.assigned_day, $asof) AS observed_days,
               {flags}, af.first_goal_day, af.first_support_day,
               coalesce(gf.guides_shown, 0) AS guides_shown,
               CAST(coalesce(gf.shown_n, 0) AS BIGINT) AS shown_n, CAST(coalesce(gf.clicked_n, 0) AS BIGINT) AS clicked_n,
               coalesce(af.pre_active_days, 0) AS pre_active_days{extra_select}{day_words}{attr_select}
        FROM exp_assigned u2 LEFT JOIN gf USING (uk) LEFT JOIN af USING (uk)
             {"LEFT JOIN gx USING (uk)" if guide_cols else ""}{attrs_join(part)}{part.where("u2.uk")}"""

    create_by_user_partition(ed, "exp_users", users_of, {"asof": as_of})

    holdout_events = con.execute(f"""
        SELECT count(*) FROM exp_users u WHERE u.shown AND u.variant IN
        ({", ".join(sql_literal(v.key) for v in spec.variants if v.guide is None) or "NULL"})""").fetchone()[0]
    checks.append(DataCheck.of("holdout_exposed", holdout_events == 0, n=holdout_events))
    guide_arms = ", ".join(sql_literal(v.key) for v in spec.variants if v.guide is not None)
    if guide_arms:  # an empty guide_events table (or one without this guide) must not read as "no effect yet"
        in_arms, shown = con.execute(f"SELECT count(*), count_if(shown) FROM exp_users WHERE variant IN ({guide_arms})").fetchone()
        checks.append(DataCheck.of("guide_never_shown", shown > 0 or in_arms == 0, n=int(in_arms), shown=int(shown or 0)))
    activity_rows = ed.row_counts.get("activity")
    if activity_rows is None:
        activity_rows = con.execute("SELECT count(*) FROM activity").fetchone()[0]
    checks.append(DataCheck.of("activity_present", activity_rows > 0, n=int(activity_rows)))
    return checks


def _cols(ed: EventData, table: str) -> set[str]:
    return {r[0] for r in ed.con.execute(f"DESCRIBE {table}").fetchall()}


def metric_counts_sql(metric: MetricDef, spec: ExperimentSpec | None = None) -> tuple[str, str]:
    """(eligibility condition, per-user value) over ``exp_users`` for one catalogue metric: its
    registry entry's SQL (:func:`guidelab.registry.per_user_sql`).

    The value is 0/1 for proportions and a count for means; ratios use :func:`ratio_sql`.
    """
    sql = per_user_sql(metric, spec)
    if sql.value is None:
        raise ValueError(f"metric {metric.name!r} is a {metric.kind}: no single per-user value (see ratio_sql)")
    return sql.eligible, sql.value


def ratio_sql(metric: MetricDef, spec: ExperimentSpec | None = None) -> tuple[str, str, str]:
    """(eligibility, numerator, denominator) per user for a ratio metric (its registry entry's SQL)."""
    sql = per_user_sql(metric, spec)
    if sql.numerator is None or sql.denominator is None:
        raise ValueError(f"metric {metric.name!r} is a {metric.kind}: no ratio SQL")
    return sql.eligible, sql.numerator, sql.denominator


def _centred(values: list[Any], n: int, sum_a: Any, sum_b: Any, sum_aa: Any, sum_bb: Any,
             sum_ab: Any) -> tuple[float | None, float | None, float | None]:
    """Centred moments (M2 of a, M2 of b, co-moment) of one arm.

    Integer-valued metrics (every metric today: counts and 0/1 flags) have exact integer sums, so
    the moments are computed exactly (``(n sum_aa - sum_a^2) / n`` in integers): no cancellation,
    and the same bits on every run. Otherwise DuckDB's var_pop/covar_pop times n (Welford-stable,
    but a parallel aggregation may differ in the last bit between runs); all None when any is
    NULL (then the raw sums decide).
    """
    sums = (sum_a or 0, sum_b or 0, sum_aa or 0, sum_bb or 0, sum_ab or 0)
    if n > 0 and all(isinstance(v, int) for v in sums):
        a, b, aa, bb, ab = sums
        return (float(Fraction(n * aa - a * a, n)), float(Fraction(n * bb - b * b, n)),
                float(Fraction(n * ab - a * b, n)))
    if any(v is None for v in values):
        return None, None, None
    return tuple(max(float(v), 0.0) if i < 2 else float(v) for i, v in enumerate(values))  # type: ignore[return-value]


_INTEGER_TYPE = re.compile(r"u?(tiny|small|big|huge)?int(eger)?", re.I)


def integer_valued(con: Any, exprs: list[str], table: str = "exp_users") -> list[bool]:
    """Whether each SQL expression over ``table`` has an integer type (DuckDB's ``INTEGER``,
    ``BIGINT``..., Spark's ``int``, ``bigint``...), from one ``typeof`` probe of one row.

    Sums of such values are exact integers, so :func:`_centred` computes the centred moments from
    them and the query needs no ``var_pop``/``covar_pop`` (a third of the CPU of the stratified
    sums at 1M users). An empty table, or any other type, answers False (the aggregates run)."""
    if not exprs:
        return []
    row = con.execute(f"SELECT {', '.join(f'typeof({e})' for e in exprs)} FROM {table} LIMIT 1").fetchone()
    if row is None:
        return [False] * len(exprs)
    return [bool(_INTEGER_TYPE.fullmatch(str(t).strip())) for t in row]


def centred_sql(a: str, b: str, exact: bool, where: str = "") -> str:
    """SQL: the centred moments of ``a`` and ``b`` (M2 of a, M2 of b, co-moment; NULL as 0 like
    the sums), ``FILTER (WHERE where)`` when given; three NULLs when ``exact`` (integer values:
    :func:`_centred` computes them exactly from the sums)."""
    if exact:
        return "NULL, NULL, NULL"
    f = f" FILTER (WHERE {where})" if where else ""
    n = f"count(*){f}"
    return (f"var_pop(coalesce({a}, 0)){f}*{n}, var_pop(coalesce({b}, 0)){f}*{n}, "
            f"covar_pop(coalesce({a}, 0), coalesce({b}, 0)){f}*{n}")


def _arm_stats(con, spec: ExperimentSpec, mdef: MetricDef, cuped: bool,
               value: str | None = None) -> tuple[dict[str, Any], dict[str, Any] | None]:
    """Run one metric's SQL: sufficient statistics per variant (and covariate sums for CUPED).
    ``value``: the per-user value to use instead of the registry's (the capped value)."""
    from .stats.ratio import RatioStats

    keys = spec.variant_keys
    if mdef.kind == "quantile":  # order statistics per arm (guidelab.quantile_metrics)
        from .quantile_metrics import quantile_arm_stats

        return dict(quantile_arm_stats(con, spec, mdef)), None
    if mdef.kind == "ratio":
        eligible, x, y = ratio_sql(mdef, spec)
        rows = con.execute(
            f"SELECT variant, count(*), sum({x}), sum({y}), sum({x}*{x}), sum({y}*{y}), sum({x}*{y}), "
            f"{centred_sql(x, y, all(integer_valued(con, [x, y])))} "
            f"FROM exp_users WHERE {eligible} GROUP BY variant").fetchall()
        out = {k: RatioStats(0, 0.0, 0.0, 0.0, 0.0, 0.0) for k in keys}
        for v, n, sx, sy, sx2, sy2, sxy, *centred in rows:
            out[v] = RatioStats(int(n), float(sx or 0), float(sy or 0), float(sx2 or 0), float(sy2 or 0), float(sxy or 0),
                                *_centred(centred, int(n), sx, sy, sx2, sy2, sxy))
        return out, None
    return _arm_stats_many(con, spec, [(mdef, cuped, value)])[0]


def covariate_sums_sql(con: Any, metrics: list[tuple[str, str]]) -> tuple[str, str]:
    """SQL for the covariate sums of several metrics, each ``(eligible, value)`` over ``exp_users``:
    (the per-user select items ``e<i>`` (eligible) and ``y<i>`` (value when eligible), and per
    metric the 9 aggregates n, Σy, Σy², Σx, Σx², Σxy and the centred moments
    (:func:`centred_sql`), ``FILTER (WHERE e<i>)``, with ``x`` the CUPED covariate
    ``pre_active_days``). Read back by :func:`covariate_stats_of`."""
    per_user = ", ".join(f"coalesce({eligible}, FALSE) AS e{i}, CASE WHEN {eligible} THEN {value} END AS y{i}"
                         for i, (eligible, value) in enumerate(metrics))
    integer = integer_valued(con, ["pre_active_days", *(value for _, value in metrics)])
    sums = ", ".join(
        f"count(*) FILTER (WHERE e{i}), sum(y{i}) FILTER (WHERE e{i}), sum(y{i}*y{i}) FILTER (WHERE e{i}), "
        f"sum(x) FILTER (WHERE e{i}), sum(x*x) FILTER (WHERE e{i}), sum(x*y{i}) FILTER (WHERE e{i}), "
        f"{centred_sql(f'y{i}', 'x', integer[0] and integer[i + 1], where=f'e{i}')}"
        for i in range(len(metrics)))
    return per_user, sums


def covariate_stats_of(row: Any, i: int) -> Any:
    """The CovariateStats of metric ``i`` from a result row's aggregates of :func:`covariate_sums_sql`
    (those starting at the row's first element); None when the metric has no eligible user there."""
    from .stats.cuped import CovariateStats

    n, sy, sy2, sx, sx2, sxy, *centred = row[9 * i:9 * (i + 1)]
    n = int(n)
    if n == 0:
        return None
    m2_y, m2_x, c_xy = _centred(centred, n, sy or 0, sx or 0, sy2 or 0, sx2 or 0, sxy or 0)
    return CovariateStats(n=n, sum_x=float(sx or 0), sum_y=float(sy or 0), sum_x2=float(sx2 or 0),
                          sum_y2=float(sy2 or 0), sum_xy=float(sxy or 0), m2_x=m2_x, m2_y=m2_y, c_xy=c_xy)


def _arm_stats_many(con: Any, spec: ExperimentSpec,
                    metrics: list[tuple[MetricDef, bool, str | None]]) -> list[tuple[dict[str, Any], dict[str, Any] | None]]:
    """:func:`_arm_stats` of several proportion and mean metrics, each ``(metric, cuped, value)``,
    in one ``GROUP BY variant`` over ``exp_users``: each metric's sums are aggregates
    ``FILTER (WHERE`` its eligibility ``)`` (:func:`covariate_sums_sql`: the same sums, over the
    same users, as its own query with that ``WHERE``; an arm without an eligible user keeps zeros)."""
    from .stats.cuped import CovariateStats
    from .stats.means import MeanStats

    if not metrics:
        return []
    keys = spec.variant_keys
    sources = []
    for mdef, _, value in metrics:
        eligible, yv = metric_counts_sql(mdef, spec)
        sources.append((eligible, f"({value})" if value is not None else yv))
    per_user, sums = covariate_sums_sql(con, sources)
    rows = con.execute(f"WITH e AS (SELECT variant, pre_active_days AS x, {per_user} FROM exp_users) "
                       f"SELECT variant, {sums} FROM e GROUP BY variant").fetchall()
    outs: list[tuple[dict[str, Any], dict[str, Any] | None]] = []
    for i, (mdef, cuped, _) in enumerate(metrics):
        out: dict[str, Any] = ({k: ProportionCounts(0, 0) for k in keys} if mdef.kind == "proportion"
                               else {k: MeanStats(0, 0.0, 0.0) for k in keys})
        cov = {k: CovariateStats(0, 0.0, 0.0, 0.0, 0.0, 0.0) for k in keys} if cuped else None
        for row in rows:
            stats = covariate_stats_of(row[1:], i)
            if stats is None:  # no eligible user in this arm: its own query had no row
                continue
            out[row[0]] = (ProportionCounts(stats.n, int(stats.sum_y)) if mdef.kind == "proportion"
                           else MeanStats(stats.n, stats.sum_y, stats.sum_y2, stats.m2_y))
            if cov is not None:
                cov[row[0]] = stats
        outs.append((out, cov))
    return outs


def _capping(con: Any, spec: ExperimentSpec, mdef: MetricDef) -> tuple[Any, str | None]:
    """(CappingSummary, the capped per-user value SQL) of a metric ``statistics.capping`` caps, else (None, None)."""
    rule = spec.statistics.capping.get(mdef.name)
    if rule is None:
        return None, None
    from .adjustments import CappingSummary, cap_of, capped_counts, capped_sql

    eligible, raw = metric_counts_sql(mdef, spec)
    cap = cap_of(con, rule, eligible, raw)
    users, above = capped_counts(con, eligible, raw, cap, spec.variant_keys)
    level = float(rule.quantile if rule.quantile is not None else rule.value)  # type: ignore[arg-type]
    summary = CappingSummary("quantile" if rule.quantile is not None else "value", level, cap, users, above)
    return summary, capped_sql(raw, cap)


def compute_counts(ed: EventData, spec: ExperimentSpec, as_of: dt.date | None = None,
                   today: dt.date | None = None) -> ExperimentCounts:
    """Run every metric of the spec and return per-variant sufficient statistics, data checks and
    the row ledger. ``today`` (the spec's local date; default: now) bounds the default analysis
    date and marks later rows as dated in the future."""
    from .breakdowns import require_segments
    from .ledger import ledger_checks, row_ledger

    segment_checks = require_segments(ed, spec)  # a segment column missing from users: an error before anything
    if spec.statistics.adjust_for:  # a column missing from users: an error; no users table: a warning
        from .adjustments import require_adjust_for

        segment_checks = segment_checks + require_adjust_for(ed, spec)
    as_of = as_of or default_as_of(ed, spec, today)
    checks = build_user_table(ed, spec, as_of, today) + segment_checks
    ledger = row_ledger(ed)
    checks += ledger_checks(ledger)
    con = ed.con
    assigned = {k: 0 for k in spec.variant_keys}
    for variant, n in con.execute("SELECT variant, count(*) FROM exp_users GROUP BY variant").fetchall():
        assigned[variant] = int(n)
    daily = [(d, v, int(n)) for d, v, n in con.execute(
        "SELECT assigned_day, variant, count(*) FROM exp_users GROUP BY ALL ORDER BY 1, 2").fetchall()]
    metrics = []
    stratified: dict[int, tuple[str, str]] = {}  # metric position -> (eligible, value) of its strata sums
    batched: dict[int, tuple[MetricDef, bool, str | None]] = {}  # proportions and means: one query for all
    for mdef, role in spec.metric_defs():
        capping, value = _capping(con, spec, mdef)
        cuped = spec.statistics.cuped and mdef.kind != "ratio"
        by_variant: dict[str, Any] = {}
        cov = None
        if mdef.kind in ("proportion", "mean"):
            batched[len(metrics)] = (mdef, cuped, value)  # filled in below
        else:
            by_variant, cov = _arm_stats(con, spec, mdef, cuped, value)
        if spec.statistics.adjust_for and mdef.kind != "ratio" and ed.has("users"):
            eligible, raw = metric_counts_sql(mdef, spec)
            stratified[len(metrics)] = (eligible, f"({value})" if value is not None else raw)
        metrics.append(MetricCounts(mdef, role, by_variant, cov, capping, None))
    for i, (by_variant, cov) in zip(batched, _arm_stats_many(con, spec, list(batched.values()))):
        metrics[i] = dataclasses.replace(metrics[i], by_variant=by_variant, covariate=cov)
    if stratified:  # every metric's strata sums in one query (over exp_users, which carries the users' columns)
        from .adjustments import strata_stats_many

        for i, strata in zip(stratified, strata_stats_many(con, spec, list(stratified.values()))):
            metrics[i] = dataclasses.replace(metrics[i], strata=strata)
    first_day = min((d for d, _, _ in daily), default=None)
    if first_day is not None and first_day < spec.start:
        checks.append(DataCheck.of("before_start", False, "warn", first=first_day, start=spec.start))
    return ExperimentCounts(as_of, assigned, daily, metrics, checks, ledger=ledger)
