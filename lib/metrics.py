"""Metrics as SQL: the event tables reduced, per variant, to sufficient statistics.

DuckDB reads the files in place; only per-variant counts leave SQL, so the statistics are the
same for a 1,000-row sample and a 10M-user export. Day boundaries follow the experiment's
time zone; day 0 is the local assignment day. A user whose day N is not complete at the
analysis date (``as_of``, the last complete local day) is left out of day-N metrics.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from .catalog import MetricDef
from .events import DataCheck, EventData
from .experiment import ExperimentSpec


@dataclass(frozen=True)
class ProportionCounts:
    """Sufficient statistics of a proportion metric for one variant."""

    n: int
    successes: int


@dataclass(frozen=True)
class MetricCounts:
    metric: MetricDef
    role: str  # primary | secondary | guardrail
    by_variant: dict[str, ProportionCounts]


@dataclass(frozen=True)
class ExperimentCounts:
    """Everything the statistics need, and nothing more."""

    as_of: dt.date
    assigned: dict[str, int]
    daily_assigned: list[tuple[dt.date, str, int]]
    metrics: list[MetricCounts]
    checks: list[DataCheck]


def as_of_end_utc(spec: ExperimentSpec, as_of: dt.date) -> dt.datetime:
    """The instant the analysis date ends: local midnight after ``as_of`` in the spec's zone."""
    return dt.datetime.combine(as_of + dt.timedelta(days=1), dt.time(), tzinfo=spec.tz).astimezone(dt.timezone.utc)


def default_as_of(ed: EventData, spec: ExperimentSpec) -> dt.date:
    """The last local day with any data, capped at the spec's end plus the longest metric window."""
    row = ed.con.execute(
        """SELECT max(d) FROM (
             SELECT CAST(timezone($tz, max(assigned_at)) AS DATE) d FROM assignments WHERE experiment = $exp
             UNION ALL SELECT CAST(timezone($tz, max(timestamp)) AS DATE) FROM activity
             UNION ALL SELECT CAST(timezone($tz, max(timestamp)) AS DATE) FROM guide_events)""",
        {"tz": spec.timezone, "exp": spec.id},
    ).fetchone()
    if row is None or row[0] is None:
        return spec.end or spec.start
    return row[0]


def _event_map_sql(spec: ExperimentSpec) -> str:
    """CASE expression mapping the team's event names to guidelab's (names are bound as literals)."""
    if not spec.event_names:
        return "event"
    whens = " ".join(
        f"WHEN {_lit(team)} THEN {_lit(ours)}" for team, ours in sorted(spec.event_names.items())
    )
    return f"CASE event {whens} ELSE event END"


def _lit(s: str) -> str:
    return "'" + s.replace("'", "''") + "'"


def build_user_table(ed: EventData, spec: ExperimentSpec, as_of: dt.date) -> list[DataCheck]:
    """Create the temp table ``exp_users``: one row per validly assigned user with per-user flags."""
    con = ed.con
    end = as_of_end_utc(spec, as_of)
    params = {"tz": spec.timezone, "end": end, "asof": as_of}
    variants_sql = ", ".join(_lit(k) for k in spec.variant_keys)
    guides = [g.id for g in spec.guides] or ["\x00none"]
    guides_sql = ", ".join(_lit(g) for g in guides)
    checks: list[DataCheck] = []

    con.execute("""
        CREATE OR REPLACE TEMP TABLE exp_assign AS
        SELECT user_id, variant, assigned_at FROM assignments
        WHERE experiment = $exp AND assigned_at < $end""", {"exp": spec.id, "end": end})
    total, null_ids, unknown, multi = con.execute(f"""
        SELECT count(*), count_if(user_id IS NULL), count_if(variant NOT IN ({variants_sql}) OR variant IS NULL),
               (SELECT count(*) FROM (SELECT user_id FROM exp_assign WHERE user_id IS NOT NULL
                                      GROUP BY user_id HAVING count(DISTINCT variant) > 1))
        FROM exp_assign""").fetchone()
    checks.append(DataCheck("assignments present", total > 0,
                            f"{total:,} assignment rows for experiment {spec.id!r} up to {as_of}"))
    checks.append(DataCheck("no missing user ids", null_ids == 0, f"{null_ids:,} assignment rows without a user_id"))
    checks.append(DataCheck("variants match the spec", unknown == 0,
                            f"{unknown:,} rows with a variant not in the spec ({', '.join(spec.variant_keys)})"))
    share = multi / max(total, 1)
    checks.append(DataCheck("one variant per user", share <= 0.001,
                            f"{multi:,} users assigned to more than one variant (excluded from the analysis)"))

    flags = ",\n".join(
        f"bool_or(g.ev = {_lit(e)}) AS {e}" for e in ("shown", "opened", "clicked", "dismissed", "completed"))
    day_ns = sorted({m.days for m, _ in spec.metric_defs() if m.family == "retention" and m.days is not None})
    active_cols = "".join(f", bool_or(a.day = {int(n)}) AS active_d{int(n)}" for n in day_ns)
    goal_name = spec.goal_event
    goal_names = [goal_name] if goal_name else []
    goal_names += [team for team, ours in spec.event_names.items() if ours == "goal"]
    goal_sql = ", ".join(_lit(g) for g in goal_names) or "NULL"
    con.execute(f"""
        CREATE OR REPLACE TEMP TABLE exp_users AS
        WITH u AS (
            SELECT user_id, any_value(variant) AS variant, min(assigned_at) AS assigned_at
            FROM exp_assign
            WHERE user_id IS NOT NULL AND variant IN ({variants_sql})
            GROUP BY user_id HAVING count(DISTINCT variant) = 1
        ), u2 AS (
            SELECT *, CAST(timezone($tz, assigned_at) AS DATE) AS assigned_day FROM u
        ), g AS (
            SELECT e.user_id, {_event_map_sql(spec)} AS ev
            FROM guide_events e JOIN u2 USING (user_id)
            WHERE e.guide_id IN ({guides_sql}) AND e.timestamp >= u2.assigned_at AND e.timestamp < $end
        ), gf AS (
            SELECT user_id, {flags} FROM g GROUP BY user_id
        ), a AS (
            SELECT e.user_id,
                   datediff('day', u2.assigned_day, CAST(timezone($tz, e.timestamp) AS DATE)) AS day,
                   {"e.event IN (" + goal_sql + ")" if "event" in _cols(ed, "activity") else "FALSE"} AS is_goal
            FROM activity e JOIN u2 USING (user_id)
            WHERE e.timestamp >= u2.assigned_at AND e.timestamp < $end
        ), af AS (
            SELECT user_id, min(day) FILTER (WHERE is_goal) AS first_goal_day{active_cols}
            FROM a GROUP BY user_id
        )
        SELECT u2.user_id, u2.variant, u2.assigned_at, u2.assigned_day,
               datediff('day', u2.assigned_day, $asof) AS observed_days,
               coalesce(gf.shown, FALSE) AS shown, coalesce(gf.opened, FALSE) AS opened,
               coalesce(gf.clicked, FALSE) AS clicked, coalesce(gf.dismissed, FALSE) AS dismissed,
               coalesce(gf.completed, FALSE) AS completed, af.first_goal_day
               {"".join(f", coalesce(af.active_d{n}, FALSE) AS active_d{n}" for n in day_ns)}
        FROM u2 LEFT JOIN gf USING (user_id) LEFT JOIN af USING (user_id)""", params)

    holdout_events = con.execute(f"""
        SELECT count(*) FROM exp_users u WHERE u.shown AND u.variant IN
        ({", ".join(_lit(v.key) for v in spec.variants if v.guide is None) or "NULL"})""").fetchone()[0]
    checks.append(DataCheck("holdout saw no guide", holdout_events == 0,
                            f"{holdout_events:,} holdout users have a 'shown' event for a guide of this experiment"))
    return checks


def _cols(ed: EventData, table: str) -> set[str]:
    return {r[0] for r in ed.con.execute(f"DESCRIBE {table}").fetchall()}


def metric_counts_sql(metric: MetricDef) -> tuple[str, str]:
    """(eligibility condition, success condition) over ``exp_users`` for one catalogue metric."""
    if metric.family == "guide_event":
        return "TRUE", metric.event  # type: ignore[return-value]
    if metric.family == "click_through":
        return "opened", "clicked"
    if metric.family == "goal":
        n = int(metric.days)  # type: ignore[arg-type]
        return f"observed_days >= {n - 1}", f"coalesce(first_goal_day < {n}, FALSE)"
    if metric.family == "retention":
        n = int(metric.days)  # type: ignore[arg-type]
        return f"observed_days >= {n}", f"active_d{n}"
    raise ValueError(f"no SQL for metric family {metric.family!r}")


def compute_counts(ed: EventData, spec: ExperimentSpec, as_of: dt.date | None = None) -> ExperimentCounts:
    """Run every metric of the spec and return per-variant sufficient statistics and data checks."""
    as_of = as_of or default_as_of(ed, spec)
    checks = build_user_table(ed, spec, as_of)
    con = ed.con
    assigned = {k: 0 for k in spec.variant_keys}
    for variant, n in con.execute("SELECT variant, count(*) FROM exp_users GROUP BY variant").fetchall():
        assigned[variant] = int(n)
    daily = [(d, v, int(n)) for d, v, n in con.execute(
        "SELECT assigned_day, variant, count(*) FROM exp_users GROUP BY ALL ORDER BY 1, 2").fetchall()]
    metrics = []
    for mdef, role in spec.metric_defs():
        eligible, success = metric_counts_sql(mdef)
        rows = con.execute(
            f"SELECT variant, count(*) AS n, count_if({success}) AS s FROM exp_users WHERE {eligible} GROUP BY variant"
        ).fetchall()
        by_variant = {k: ProportionCounts(0, 0) for k in spec.variant_keys}
        for variant, n, s in rows:
            by_variant[variant] = ProportionCounts(int(n), int(s))
        metrics.append(MetricCounts(mdef, role, by_variant))
    first_day = min((d for d, _, _ in daily), default=None)
    if first_day is not None and first_day < spec.start:
        checks.append(DataCheck("assignments within the schedule", False,
                                f"first assignment on {first_day}, before the experiment start {spec.start}", "warn"))
    return ExperimentCounts(as_of, assigned, daily, metrics, checks)
