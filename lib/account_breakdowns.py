"""Per-account sums, in SQL, for the deeper analyses of an experiment randomised by account.

:mod:`guidelab.breakdowns` and :mod:`guidelab.timeseries` count users per variant and group (a
segment value, an assignment day, a funnel step, a day since assignment); when whole accounts are
randomised (``unit: account_id``) users of one account are correlated, so the same groups are
summed per ACCOUNT first and then per variant and group, into the :class:`ClusterStats` sums of
:mod:`guidelab.stats.cluster` (one ``GROUP BY variant, group, account`` and one ``GROUP BY
variant, group``), and, where groups are combined (segments, days), into the cross-products
between groups over accounts (:class:`guidelab.stats.cluster_groups.GroupCrossSums`, a self-join
of the per-account rows on variant and account). Only sums leave SQL.

The SQL is written once here, in DuckDB's dialect like the rest of guidelab's SQL, and runs on any
engine (Spark translates it through :mod:`guidelab.dialects`). The per-user rows are each
breakdown's own definition (the segment of :func:`guidelab.breakdowns.segment_counts`, the steps
and completion times of :func:`guidelab.breakdowns.funnel_counts`, the activity bits of
:func:`guidelab.timeseries.retention_curve_counts`, the first answer of
:func:`guidelab.breakdowns.score_counts`) with the account of each user (``exp_assigned.unit_id``).
What stays user-level is named in :data:`NOT_ADJUSTED` and in the result's
``analyses.account_adjustment``; never silently.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from .daybits import has_day
from .events import EventData
from .experiment import ExperimentSpec
from .stats.cluster import ClusterStats
from .stats.cluster_groups import GroupCrossSums
from .timeseries import GOAL_EVENT_SQL, GOAL_TIME_SQL, CurveCounts, LifeCounts
from .values import sql_exact_sum

__all__ = ["account_group_sums_sql", "account_group_cross_sql", "grouped_account_stats", "segment_source_sql",
           "funnel_source_sql", "completion_time_source_sql", "curve_sums_sql", "nps_source_sql", "USERS_WITH_ACCOUNT", "AccountCurveCounts",
           "AccountLifeCounts", "with_account_curves", "with_account_life", "clustered_breakdowns", "NOT_ADJUSTED"]

USERS_WITH_ACCOUNT = "(SELECT e.*, a.unit_id AS _gl_account FROM exp_users e JOIN exp_assigned a USING (uk))"

_EMPTY = ClusterStats(0, 0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0)


def _per_account(source: str, eligible: str, value: str, group: str, exact: bool = False) -> str:
    v = f"coalesce(CAST({value} AS DOUBLE), 0.0)"
    y, q = (sql_exact_sum(v, EXACT_SCALE), sql_exact_sum(f"{v} * {v}", EXACT_SCALE)) if exact else (f"sum({v})",
                                                                                                  f"sum({v} * {v})")
    return f"""SELECT variant, {group} AS _gl_group, _gl_account, CAST(count(*) AS DOUBLE) AS n, {y} AS y,
                   {q} AS q
            FROM {source} u
            WHERE {eligible}
            GROUP BY 1, 2, 3"""


#: Decimals kept by the exact sums of a non-integer value (seconds): their squares summed over a
#: million accounts stay inside DECIMAL(38, 6).
EXACT_SCALE = 6


def account_group_sums_sql(source: str, eligible: str, value: str, group: str, exact: bool = False) -> str:
    """SQL: per variant and group, the 10 fields of :class:`ClusterStats` of the per-user ``value``
    (a missing value counts 0) over the rows of ``source`` meeting ``eligible``. ``source``: one
    row per user (or per user and group) with ``variant`` and ``_gl_account`` columns; ``group``:
    an expression over it. The casts keep powers of n from overflowing and y*y/n from being an
    integer division (as :func:`guidelab.account_stats.account_sums_sql`). ``exact``: a value that
    is not a whole number (seconds) is summed exactly (:func:`guidelab.values.sql_exact_sum`) at every
    step, so the result is the same on every run; whole-number values sum exactly as doubles."""
    def total(term: str) -> str:
        return sql_exact_sum(term, EXACT_SCALE) if exact else f"sum({term})"

    return f"""
        WITH acc AS (
            {_per_account(source, eligible, value, group, exact)})
        SELECT variant, _gl_group, count(*) AS n_accounts, sum(n) AS n_users, {total('y')} AS sum_y,
               {total('y * y')} AS sum_y2, sum(n * n) AS sum_n2, {total('n * y')} AS sum_ny, sum(n * n * n) AS sum_n3,
               sum(n * n * n * n) AS sum_n4, {total('q')} AS sum_user_y2, {sql_exact_sum('y * y / n')} AS sum_y2_over_n
        FROM acc GROUP BY variant, _gl_group ORDER BY variant, _gl_group"""


def account_group_cross_sql(source: str, eligible: str, value: str, group: str) -> str:
    """SQL: per variant and pair of groups (g, h), Σ_k y_kg·y_kh, Σ_k y_kg·n_kh and Σ_k n_kg·n_kh
    over the accounts with users in both (the per-account rows of :func:`account_group_sums_sql`
    joined to themselves on variant and account)."""
    return f"""
        WITH acc AS (
            {_per_account(source, eligible, value, group)})
        SELECT g.variant, g._gl_group, h._gl_group, sum(g.y * h.y), sum(g.y * h.n), sum(g.n * h.n)
        FROM acc g JOIN acc h ON g.variant = h.variant AND g._gl_account = h._gl_account
        GROUP BY 1, 2, 3"""


def grouped_account_stats(ed: EventData, spec: ExperimentSpec, source: str, eligible: str, value: str, group: str,
                          cross: bool = False, params: dict[str, Any] | None = None, exact: bool = False,
                          ) -> tuple[dict[str, dict[Any, ClusterStats]], dict[str, GroupCrossSums]]:
    """Run :func:`account_group_sums_sql` (and, with ``cross``, :func:`account_group_cross_sql`):
    ``{variant: {group: ClusterStats}}`` (groups in SQL order, NULL groups left out) and
    ``{variant: GroupCrossSums}`` over the same groups (as text)."""
    stats: dict[str, dict[Any, ClusterStats]] = {k: {} for k in spec.variant_keys}
    for v, g, k, n, *rest in ed.con.execute(account_group_sums_sql(source, eligible, value, group, exact),
                                            params).fetchall():
        if v in stats and g is not None:
            stats[v][g] = ClusterStats(int(k), int(round(float(n))), *(float(x or 0) for x in rest))
    crosses: dict[str, GroupCrossSums] = {}
    if cross:
        rows: dict[str, list[tuple]] = {k: [] for k in spec.variant_keys}
        for v, g, h, yy, yn, nn in ed.con.execute(account_group_cross_sql(source, eligible, value, group),
                                                  params).fetchall():
            if v in rows and g is not None and h is not None:
                rows[v].append((str(g), str(h), yy, yn, nn))
        crosses = {v: GroupCrossSums.from_rows([str(g) for g in stats[v]], r) for v, r in rows.items()}
    return stats, crosses


def empty_stats() -> ClusterStats:
    """The sums of an arm without users in a group."""
    return _EMPTY


def segment_source_sql(ed: EventData, attribute: str, seg: str) -> str:
    """Per user: the columns of ``exp_users``, the account and the segment (``seg``: an expression
    over ``e``, :func:`guidelab.breakdowns.segment_sql`; NULL for a user without a users row, a
    group left out as in :func:`grouped_account_stats`)."""
    from .breakdowns import users_with_attribute_sql

    return (f"(SELECT e.*, a.unit_id AS _gl_account, {seg} AS _gl_segment "
            f"FROM {users_with_attribute_sql(ed, attribute)} e JOIN exp_assigned a USING (uk))")


def funnel_source_sql(steps: int) -> str:
    """Per user of variant ``$v`` and step 1 .. ``steps`` + 1 (the last: completed): the account,
    ``_gl_step``, ``_gl_prev`` (reached the step before; TRUE for the first) and ``_gl_reached``
    (reached this step, or completed; as :func:`guidelab.breakdowns.funnel_counts`). Guide ``$gid``."""
    k = int(steps)
    return f"""(SELECT u.variant, a.unit_id AS _gl_account, r.range AS _gl_step,
                CASE WHEN r.range = 1 THEN TRUE
                     ELSE coalesce(s.max_step, 0) >= r.range - 1 OR coalesce(u.completed, FALSE) END AS _gl_prev,
                CASE WHEN r.range <= {k} THEN coalesce(s.max_step, 0) >= r.range OR coalesce(u.completed, FALSE)
                     ELSE coalesce(u.completed, FALSE) END AS _gl_reached
         FROM exp_users u JOIN exp_assigned a USING (uk)
              LEFT JOIN (SELECT uk, max_shown_step AS max_step FROM exp_guide_user WHERE guide_id = $gid) s USING (uk),
              range(1, {k + 2}) r
         WHERE u.variant = $v)"""


def curve_sums_sql(words: int, horizon: int) -> str:
    """SQL: per variant, for every day d = 0 .. ``horizon``, the 10 fields of :class:`ClusterStats`
    of being active on day d among the users whose day d is complete (the activity bits of
    :func:`guidelab.timeseries.retention_curve_counts`), in columns ``k{d}, n{d}, ...``.

    One ``GROUP BY variant, account`` with a users and an active column per day (a wide row per
    account, not a row per user and day), then per variant the sums over the accounts with
    matured users that day; a 0/1 value has Σv² = y."""
    days = range(int(horizon) + 1)
    inner = ", ".join(
        f"CAST(sum(CASE WHEN u.observed_days >= {d} THEN 1 ELSE 0 END) AS DOUBLE) AS n{d}, "
        f"CAST(sum(CASE WHEN u.observed_days >= {d} AND {has_day('u._gl_days', words, d)} THEN 1 ELSE 0 END) "
        f"AS DOUBLE) AS y{d}" for d in days)
    outer = ", ".join(
        f"sum(CASE WHEN n{d} > 0 THEN 1 ELSE 0 END), sum(n{d}), sum(y{d}), sum(y{d} * y{d}), sum(n{d} * n{d}), "
        f"sum(n{d} * y{d}), sum(n{d} * n{d} * n{d}), sum(n{d} * n{d} * n{d} * n{d}), sum(y{d}), "
        f"{sql_exact_sum(f'CASE WHEN n{d} > 0 THEN y{d} * y{d} / n{d} ELSE 0 END')}" for d in days)
    return f"""
        WITH acc AS (
            SELECT u.variant, a.unit_id AS _gl_account, {inner}
            FROM exp_users u JOIN exp_assigned a USING (uk)
            WHERE u.observed_days >= 0
            GROUP BY 1, 2)
        SELECT variant, {outer}
        FROM acc GROUP BY variant ORDER BY variant"""


def completion_time_source_sql() -> str:
    """Per user of variant ``$v`` who saw and completed guide ``$gid`` (not before it was shown):
    the account and ``_gl_secs``, the seconds from first shown to completed (as
    :func:`guidelab.breakdowns.funnel_counts` times them)."""
    return """(SELECT u.variant, a.unit_id AS _gl_account, epoch(g.first_completed) - epoch(g.first_shown) AS _gl_secs
         FROM exp_guide_user g JOIN exp_users u USING (uk) JOIN exp_assigned a USING (uk)
         WHERE u.variant = $v AND g.guide_id = $gid AND g.first_completed IS NOT NULL AND g.first_shown IS NOT NULL
           AND epoch(g.first_completed) - epoch(g.first_shown) >= 0)"""


def nps_source_sql(first_scores: str) -> str:
    """Per respondent (first answer 0..10, ``first_scores``: rows ``user_id``, ``score``): the account
    and ``_gl_nps`` = +1 (9-10), 0 (7-8), -1 (0-6)."""
    return f"""(SELECT u.variant, x.unit_id AS _gl_account,
                CASE WHEN f.score >= 9 THEN 1 WHEN f.score >= 7 THEN 0 ELSE -1 END AS _gl_nps
         FROM ({first_scores}) f JOIN exp_users u USING (user_id) JOIN exp_assigned x USING (uk)
         WHERE f.score BETWEEN 0 AND 10)"""


def day_key(day: Any) -> Any:
    """Assignment days come back as dates (DuckDB) or datetimes (some engines): the date."""
    return day.date() if isinstance(day, dt.datetime) else day


#: The deeper analyses that stay user-level when accounts are randomised, and why (shown in the
#: report and in the JSON's ``analyses.account_adjustment``).
NOT_ADJUSTED = {
    "time_to_goal": "the Kaplan-Meier curves' intervals (Greenwood) treat users as independent; the log-rank "
                    "test is clustered (robust score variance by account)",
    "stickiness": "DAU/WAU and DAU/MAU are descriptive ratios without intervals",
    "survey_response_rate": "shown without an interval",
}


def clustered_breakdowns(ed: EventData, spec: ExperimentSpec, user_level: dict[str, Any],
                         curves: dict[str, Any] | None = None) -> dict[str, Any]:
    """The deeper analyses of :func:`guidelab.analysis.breakdown_analyses` (``user_level``) with
    accounts as units: daily effects and novelty, segments, funnels and survey scores are replaced
    by their clustered versions (:mod:`guidelab.stats.cluster_groups`) on per-account sums from SQL;
    ``account_adjustment`` says what was adjusted and what was not (:data:`NOT_ADJUSTED`), also
    of ``curves`` (the analyses of :func:`guidelab.analysis.curve_analyses`: the retention curve
    is adjusted when its per-account sums were computed, time to goal is not). A spec randomised by user: ``user_level`` unchanged."""
    if not spec.clustered:
        return user_level
    from .breakdowns import first_scores_sql, segment_sql, survey_ids
    from .catalog import parse_metric
    from .metrics import metric_counts_sql
    from .stats.cluster_groups import (
        METHOD_CLUSTERED_BREAKDOWN,
        clustered_funnel,
        clustered_mean,
        compare_nps_clustered,
        daily_effects_clustered,
        nps_clustered,
        segment_effects_clustered,
    )

    out = dict(user_level)
    adjusted: list[str] = []
    primary = parse_metric(spec.metrics.primary)
    control = spec.control_key
    correction = spec.statistics.correction if spec.statistics.correction != "none" else "holm"
    if primary.kind == "proportion":
        eligible, value = metric_counts_sql(primary, spec)
        if "daily" in user_level:
            stats, cross = grouped_account_stats(ed, spec, USERS_WITH_ACCOUNT, eligible, value, "assigned_day", cross=True)
            days = sorted({day_key(d) for arms in stats.values() for d in arms})
            by_day = {v: {day_key(d): s for d, s in arms.items()} for v, arms in stats.items()}
            views = {}
            for v in spec.treatment_keys:
                effects, novelty = daily_effects_clustered(
                    days, [by_day[v].get(d, _EMPTY) for d in days], [by_day[control].get(d, _EMPTY) for d in days],
                    _with_groups(cross[v], days), _with_groups(cross[control], days), alpha=spec.alpha)
                views[v] = {"effects": effects, "novelty": novelty}
            out["daily"] = {"metric": primary.name, "by_variant": views}
            adjusted.append("daily")
        if "segments" in user_level:
            segments = {}
            for attribute in user_level["segments"]["by_attribute"]:
                seg = segment_sql(ed, attribute)
                if seg is None:
                    continue
                stats, cross = grouped_account_stats(ed, spec, segment_source_sql(ed, attribute, seg), eligible, value, "_gl_segment",
                                                     cross=True)
                names = sorted({str(g) for arms in stats.values() for g in arms})
                st = {v: {str(g): s for g, s in arms.items()} for v, arms in stats.items()}
                segments[attribute] = {
                    v: segment_effects_clustered(
                        {n: (st[v].get(n, _EMPTY), st[control].get(n, _EMPTY)) for n in names},
                        _with_groups(cross[v], names), _with_groups(cross[control], names), alpha=spec.alpha,
                        correction=correction)
                    for v in spec.treatment_keys}
            out["segments"] = {"metric": primary.name, "by_attribute": segments}
            adjusted.append("segments")
    if "funnels" in user_level:
        funnels = {}
        for v, f in user_level["funnels"].items():
            guide = spec.guide_for(v)
            assert guide is not None  # a funnel exists only for a variant with a multi-step guide
            k = len(guide.steps)
            params = {"v": v, "gid": guide.id}
            reach, _ = grouped_account_stats(ed, spec, funnel_source_sql(k), "TRUE",
                                             "CASE WHEN _gl_reached THEN 1 ELSE 0 END", "_gl_step", params=params)
            conv, _ = grouped_account_stats(ed, spec, funnel_source_sql(k), "_gl_prev",
                                            "CASE WHEN _gl_reached THEN 1 ELSE 0 END", "_gl_step", params=params)
            steps = range(1, k + 2)
            funnels[v] = clustered_funnel(f.step_names, [reach[v].get(i, _EMPTY) for i in steps],
                                          [conv[v].get(i, _EMPTY) for i in steps], alpha=spec.alpha)
        out["funnels"] = funnels
        adjusted.append("funnels")
        if "time_to_complete" in user_level:
            timings = {}
            for v, timing in user_level["time_to_complete"].items():
                guide = spec.guide_for(v)
                assert guide is not None
                st, _ = grouped_account_stats(ed, spec, completion_time_source_sql(), "TRUE", "_gl_secs", "'all'",
                                              params={"v": v, "gid": guide.id}, exact=True)  # fractional seconds
                r = clustered_mean(st[v].get("all", _EMPTY), alpha=spec.alpha)
                if r.n != timing["n"]:
                    raise AssertionError(f"time to complete of {v}: {r.n} users by account, {timing['n']} by user")
                timings[v] = {**timing, "ci": list(r.ci) if r.ci else None, "n_accounts": r.n_accounts,
                              "method": METHOD_CLUSTERED_BREAKDOWN}
            out["time_to_complete"] = timings
            adjusted.append("time_to_complete")
    if "surveys" in user_level:
        source = nps_source_sql(first_scores_sql(spec))
        stats, _ = grouped_account_stats(ed, spec, source, "TRUE", "_gl_nps", "'all'", params={"ids": survey_ids(spec)})
        st = {v: arms.get("all", _EMPTY) for v, arms in stats.items()}
        by_variant = {v: nps_clustered(r, st[v], alpha=spec.alpha) for v, r in user_level["surveys"]["by_variant"].items()}
        entry: dict[str, Any] = {"by_variant": by_variant}
        if control in by_variant:
            entry["comparisons"] = {v: compare_nps_clustered(r, by_variant[control], st[v], st[control], alpha=spec.alpha)
                                    for v, r in by_variant.items() if v != control}
        out["surveys"] = entry
        adjusted.append("surveys")
    present = {**(curves or {}), **user_level}
    retention = (curves or {}).get("retention_curve") or {}
    if retention:
        if all(hasattr(c, "accounts") for c in retention.values()):
            adjusted.insert(0, "retention_curve")
        else:
            raise ValueError("the retention curves of an experiment randomised by account were computed per user")
    time_to_goal = (curves or {}).get("time_to_goal")
    if time_to_goal:
        if time_to_goal["log_rank"].clustered_by is None:
            raise ValueError("the log-rank test of an experiment randomised by account was computed per user")
        adjusted.append("log_rank")
    out["account_adjustment"] = {"unit": spec.unit, "adjusted": adjusted,
                                 "not_adjusted": {k: why for k, why in NOT_ADJUSTED.items() if _present(k, present)}}
    return out


def _present(key: str, analyses: dict[str, Any]) -> bool:
    if key == "survey_response_rate":
        return "surveys" in analyses
    return key in analyses


def _with_groups(cross: GroupCrossSums, groups: list[Any]) -> GroupCrossSums:
    """``cross`` over exactly ``groups`` (as text): groups the arm has no users in get zero rows."""
    names = [str(g) for g in groups]
    idx = {g: i for i, g in enumerate(cross.groups)}
    rows = [(g, h, cross.syy[idx[g], idx[h]], cross.syn[idx[g], idx[h]], cross.snn[idx[g], idx[h]])
            for g in names if g in idx for h in names if h in idx]
    return GroupCrossSums.from_rows(names, rows)


@dataclass(frozen=True)
class AccountCurveCounts(CurveCounts):
    """:class:`guidelab.timeseries.CurveCounts` plus, per variant and day, the :class:`ClusterStats`
    of being active that day among the matured users (n_k: matured users of account k)."""

    by_account: dict[str, dict[int, ClusterStats]] = field(default_factory=dict)


def with_account_curves(ed: EventData, spec: ExperimentSpec, curves: CurveCounts, horizon: int) -> CurveCounts:
    """``curves`` with the per-account sums of every day's retention (:func:`curve_sums_sql`) when
    the spec randomises accounts; otherwise ``curves`` unchanged."""
    if not spec.clustered:
        return curves
    from .ledger import activity_day_words

    by_account: dict[str, dict[int, ClusterStats]] = {k: {} for k in spec.variant_keys}
    for v, *sums in ed.con.execute(curve_sums_sql(activity_day_words(ed), horizon)).fetchall():
        if v not in by_account:
            continue
        for d in range(int(horizon) + 1):
            k, n, *rest = sums[10 * d: 10 * d + 10]
            if k:
                by_account[v][d] = ClusterStats(int(k), int(round(float(n))), *(float(x or 0) for x in rest))
    return AccountCurveCounts(curves.by_variant, by_account=by_account)


@dataclass(frozen=True)
class AccountLifeCounts(LifeCounts):
    """:class:`guidelab.timeseries.LifeCounts` plus the robust variance of the log-rank scores by
    account: ``unit_cross`` (k x k, the variants in ``by_variant``'s order of tables with users)
    = sum over accounts of U_k U_k^T, and ``n_accounts``."""

    unit_cross: tuple[tuple[float, ...], ...] = ()
    n_accounts: int = 0


def with_account_life(ed: EventData, spec: ExperimentSpec, life: LifeCounts) -> LifeCounts:
    """``life`` with the per-account sums of the log-rank scores when the spec randomises accounts.

    Each user's scores depend only on (variant, day, event) (:func:`guidelab.stats.survival.
    logrank_unit_scores`, from the life tables): they go to the engine as a small table, are joined
    to the users (the same day and event as :func:`guidelab.timeseries.goal_life_counts`), summed
    per account, and only the k x k sums of products over accounts come back. Every user must find
    its row (checked)."""
    if not spec.clustered:
        return life
    import pyarrow as pa

    from .stats.survival import logrank_unit_scores

    tables = life.tables()
    if len(tables) < 2:
        return life
    names, rows = logrank_unit_scores(tables)
    k = len(names)
    columns: dict[str, Any] = {"variant": pa.array([r[0] for r in rows], pa.string()),
                               "t": pa.array([r[1] for r in rows], pa.int64()),
                               "event": pa.array([r[2] for r in rows], pa.bool_())}
    for j in range(k):
        columns[f"u{j}"] = pa.array([r[3][j] for r in rows], pa.float64())
    ed.con.register_arrow("_gl_logrank_scores", pa.table(columns))
    sums = ", ".join(f"{sql_exact_sum(f's.u{j}')} AS u{j}" for j in range(k))  # the same bits on every run
    products = ", ".join(sql_exact_sum(f"u{i} * u{j}") for i in range(k) for j in range(k))
    row = ed.con.execute(f"""
        WITH p AS (
            SELECT _gl_account, variant, CAST({GOAL_TIME_SQL} AS BIGINT) AS t, {GOAL_EVENT_SQL} AS event
            FROM {USERS_WITH_ACCOUNT} u WHERE observed_days >= 0),
        a AS (
            SELECT p._gl_account, count(*) AS users, {sums}
            FROM p JOIN _gl_logrank_scores s ON s.variant = p.variant AND s.t = p.t AND s.event = p.event
            GROUP BY p._gl_account)
        SELECT count(*), sum(users), {products} FROM a""").fetchone()
    accounts, users, *cross = row
    expected = sum(tb.n for tb in tables.values())
    if int(users or 0) != expected:
        raise AssertionError(f"log-rank scores by account cover {users} users, the life tables {expected}")
    matrix = tuple(tuple(float(cross[i * k + j] or 0.0) for j in range(k)) for i in range(k))
    return AccountLifeCounts(life.by_variant, unit_cross=matrix, n_accounts=int(accounts or 0))
