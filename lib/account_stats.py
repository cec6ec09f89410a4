"""Per-account sufficient statistics, in SQL, for experiments randomised by account (``unit: account_id``).

When the spec's unit is an attribute, users of one account share an arm and are correlated, so a
metric's per-variant statistics are not user sums but the per-account sums and cross-products
:class:`guidelab.stats.cluster.ClusterStats` needs (formulas in :mod:`guidelab.stats.cluster`):
one ``GROUP BY variant, account`` and then one ``GROUP BY variant`` over the same per-user values
the metric registry declares (:func:`guidelab.registry.per_user_sql`) on ``exp_users``. The
account of each user is ``exp_assigned.unit_id`` (:func:`guidelab.ledger.unit_source_sql`).

The SQL is written once, in DuckDB's dialect like the rest of guidelab's SQL, and runs on any
:class:`guidelab.engine.Engine` (Spark translates it through :mod:`guidelab.dialects`). Only
sums per variant leave SQL. Kept apart from :mod:`guidelab.metrics` (user-level counts) so the
two stages stay one home each.

* proportions and means: :class:`ClusterStats` per variant (compared by
  :func:`guidelab.stats.cluster.compare_clustered`);
* ratios (numerator / denominator, e.g. clicks per impression): the accounts are the units of the
  delta method, so the per-variant :class:`AccountRatioStats` are the ratio's sums over accounts
  (Deng, Knoblich & Lu 2018, sec. 3: a ratio of per-account totals), compared by
  :func:`guidelab.stats.ratio.compare_ratios`; their ``n`` counts accounts.
"""
from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

from .experiment import ExperimentSpec
from .metrics import ExperimentCounts, metric_counts_sql, ratio_sql
from .stats.cluster import ClusterStats
from .stats.ratio import RatioStats
from .values import sql_exact_sum

__all__ = ["AccountRatioStats", "account_sums_sql", "cluster_stats_rows", "account_ratio_sql", "accounts_per_variant_sql",
           "with_account_statistics"]

_USERS_WITH_ACCOUNT = "(SELECT e.*, a.unit_id AS _gl_account FROM exp_users e JOIN exp_assigned a USING (uk))"


@dataclass(frozen=True)
class AccountRatioStats(RatioStats):
    """:class:`RatioStats` whose units are accounts (``n`` = accounts, sums = per-account totals);
    ``n_users``: the users behind them (what the report counts; the variance uses accounts)."""

    n_users: int = 0


def account_sums_sql(eligible: str, value: str, source: str = _USERS_WITH_ACCOUNT, variant: str = "variant",
                     account: str = "_gl_account") -> str:
    """SQL: per variant, the 10 fields of :class:`ClusterStats` of the per-user ``value`` over the
    users meeting ``eligible`` (a missing value counts 0, as in the user-level sums). ``source``:
    one row per user with the ``variant`` and ``account`` columns (default: ``exp_users`` with its
    account). The casts keep the powers of n from overflowing integers and y*y/n from being an
    integer division."""
    v = f"coalesce(CAST({value} AS DOUBLE), 0.0)"
    return f"""
        WITH acc AS (
            SELECT {variant} AS variant, {account} AS _gl_account, CAST(count(*) AS DOUBLE) AS n, sum({v}) AS y,
                   sum({v} * {v}) AS q
            FROM {source} u
            WHERE {eligible}
            GROUP BY 1, 2)
        SELECT variant, count(*) AS n_accounts, sum(n) AS n_users, sum(y) AS sum_y, sum(y * y) AS sum_y2,
               sum(n * n) AS sum_n2, sum(n * y) AS sum_ny, sum(n * n * n) AS sum_n3, sum(n * n * n * n) AS sum_n4,
               sum(q) AS sum_user_y2, {sql_exact_sum('y * y / n')} AS sum_y2_over_n
        FROM acc GROUP BY variant ORDER BY variant"""


def cluster_stats_rows(rows: list[tuple]) -> dict[str, ClusterStats]:
    """``{variant: ClusterStats}`` from the rows of :func:`account_sums_sql`."""
    out = {}
    for v, k, n, *rest in rows:
        out[v] = ClusterStats(int(k), int(round(float(n))), *(float(x or 0) for x in rest))
    return out


def account_ratio_sql(eligible: str, numerator: str, denominator: str) -> str:
    """SQL: per variant, the :class:`RatioStats` sums with ACCOUNTS as units: accounts, Σx_k, Σy_k,
    Σx_k², Σy_k², Σx_k·y_k of the per-account totals x_k (numerator) and y_k (denominator), and
    the users behind them."""
    x = f"coalesce(CAST({numerator} AS DOUBLE), 0.0)"
    y = f"coalesce(CAST({denominator} AS DOUBLE), 0.0)"
    return f"""
        WITH acc AS (
            SELECT variant, _gl_account, sum({x}) AS x, sum({y}) AS y, count(*) AS users
            FROM {_USERS_WITH_ACCOUNT} u
            WHERE {eligible}
            GROUP BY variant, _gl_account)
        SELECT variant, count(*), sum(x), sum(y), sum(x * x), sum(y * y), sum(x * y), sum(users)
        FROM acc GROUP BY variant ORDER BY variant"""


def accounts_per_variant_sql() -> str:
    """SQL: accounts per variant among the analysed users."""
    return f"SELECT variant, count(DISTINCT _gl_account) FROM {_USERS_WITH_ACCOUNT} u GROUP BY variant ORDER BY variant"


def _empty(kind: str) -> Any:
    if kind == "ratio":
        return AccountRatioStats(0, 0.0, 0.0, 0.0, 0.0, 0.0)
    return ClusterStats(0, 0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0)


def with_account_statistics(ed: Any, spec: ExperimentSpec, counts: ExperimentCounts) -> ExperimentCounts:
    """``counts`` with every metric's per-variant statistics replaced by per-account ones (and no
    CUPED covariate: the adjustment is user-level), plus the accounts per variant. Run on the open
    event data after :func:`guidelab.metrics.compute_counts` (it reads ``exp_users`` and
    ``exp_assigned``). A spec randomised by user: ``counts`` unchanged."""
    if not spec.clustered:
        return counts
    con = ed.con
    keys = spec.variant_keys
    accounts = dict.fromkeys(keys, 0)
    for v, k in con.execute(accounts_per_variant_sql()).fetchall():
        if v in accounts:
            accounts[v] = int(k)
    metrics = []
    for m in counts.metrics:
        mdef = m.metric
        out = {k: _empty(mdef.kind) for k in keys}
        if mdef.kind == "ratio":
            eligible, x, y = ratio_sql(mdef, spec)
            for v, k, sx, sy, sx2, sy2, sxy, users in con.execute(account_ratio_sql(eligible, x, y)).fetchall():
                if v in out:
                    out[v] = AccountRatioStats(int(k), float(sx or 0), float(sy or 0), float(sx2 or 0),
                                               float(sy2 or 0), float(sxy or 0), n_users=int(users or 0))
        else:
            eligible, value = metric_counts_sql(mdef, spec)
            found = cluster_stats_rows(con.execute(account_sums_sql(eligible, value)).fetchall())
            out.update({v: st for v, st in found.items() if v in out})
        metrics.append(replace(m, by_variant=out, covariate=None))
    return replace(counts, metrics=metrics, accounts=accounts)
