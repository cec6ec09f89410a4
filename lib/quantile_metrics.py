"""Quantile metrics as SQL: per arm the users counted and the values at a few ranks.

A quantile metric (``days_to_goal_d30_p50``, ``sessions_d7_p90``: see ``docs/metrics.md``) reduces
to :class:`guidelab.stats.quantiles.QuantileStats` in two statements over ``exp_users``, written
once in DuckDB's dialect (Spark runs them through :mod:`guidelab.dialects`):

1. per variant, the eligible users and those with a value (the metric's ``reached`` condition);
2. per variant, the values at the ranks :func:`guidelab.stats.quantiles.quantile_ranks` gives for
   that count (the point estimate and the two ends of its interval): the users with a value
   counted per distinct value, and those counts summed in value order; rank r holds the value
   whose run of tied users covers r, an exact order statistic on every engine (the same as
   ``row_number()`` over the users ordered by value, with a sort of the distinct values only).

Only these counts and at most three values per arm leave SQL. Users who never reached the event
count as later than any value (``censored``) or are left out (``reachers``), as the spec's
``statistics.quantile_never_reached`` says; a metric whose every eligible user has a value
(``sessions_d7_p90``) is the same either way.
"""
from __future__ import annotations

from typing import Any

from .catalog import MetricDef
from .experiment import ExperimentSpec
from .registry import per_user_sql
from .stats.quantiles import Censoring, QuantileStats
from .values import sql_literal


def censoring_of(mdef: MetricDef, spec: ExperimentSpec) -> Censoring:
    """How never-reached users count for this metric: the spec's setting for a time to an event,
    ``censored`` (everyone has a value, so nothing is censored) otherwise."""
    return spec.statistics.quantile_never_reached if mdef.may_be_unreached else "censored"


def quantile_arm_stats(con: Any, spec: ExperimentSpec, mdef: MetricDef) -> dict[str, QuantileStats]:
    """Run a quantile metric's SQL over ``exp_users``: :class:`QuantileStats` per variant."""
    if mdef.quantile is None:
        raise ValueError(f"metric {mdef.name!r} is not a quantile metric")
    sql = per_user_sql(mdef, spec)
    if sql.value is None:
        raise ValueError(f"metric {mdef.name!r}: a quantile metric needs a per-user value")
    value = f"CAST({sql.value} AS DOUBLE)"
    reached = f"({sql.reached}) AND {value} IS NOT NULL" if sql.reached else f"{value} IS NOT NULL"
    censoring = censoring_of(mdef, spec)
    p, alpha = mdef.quantile, float(spec.alpha)
    counts = {k: (0, 0) for k in spec.variant_keys}
    for variant, n, n_reached in con.execute(
            f"SELECT variant, count(*), count_if({reached}) FROM exp_users WHERE {sql.eligible} GROUP BY variant"
    ).fetchall():
        counts[variant] = (int(n), int(n_reached or 0))
    wanted = {v: QuantileStats.wanted_ranks(n, r, p, alpha, censoring) for v, (n, r) in counts.items()}
    values: dict[str, dict[int, float]] = {v: {} for v in counts}
    # the value at rank r is the one whose run of tied users (c of them, ending at rank cum) holds r:
    # the users counted per distinct value and the counts accumulated in value order, so the sort
    # is over the distinct values (a few dozen days or sessions), not every user
    where = " OR ".join(f"(variant = {sql_literal(v)} AND ({' OR '.join(f'(cum - c < {k} AND cum >= {k})' for k in ranks)}))"
                        for v, ranks in sorted(wanted.items()) if ranks)
    if where:
        runs = con.execute(
            f"""WITH h AS (SELECT variant, {value} AS v, count(*) AS c
                           FROM exp_users WHERE {sql.eligible} AND {reached} GROUP BY ALL),
                cu AS (SELECT variant, v, c, sum(c) OVER (PARTITION BY variant ORDER BY v
                                                          ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) AS cum
                       FROM h)
                SELECT variant, v, cum - c, cum FROM cu WHERE {where} ORDER BY variant, v""").fetchall()
        for variant, v, before, upto in runs:
            for rank in wanted[variant]:
                if int(before) < rank <= int(upto):
                    values[variant][rank] = float(v)
    return {v: QuantileStats.from_rank_values(p, alpha, censoring, n, r, values[v]) for v, (n, r) in counts.items()}
