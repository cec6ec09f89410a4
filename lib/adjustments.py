"""Capping and post-stratification in SQL (issue 15): the cap of a mean metric and the
per-(arm, stratum) sufficient statistics, over the per-user table ``exp_users``.

* Capping (``statistics.capping``): the cap is the exact empirical quantile of the metric over
  every analysed user, arms pooled (:func:`guidelab.stats.capping.cap_rank`), or the declared
  value; the metric's per-user value becomes ``CASE WHEN v > cap THEN cap ELSE v END`` in every
  statistic (means, CUPED, strata), and the users above the cap are counted per arm.
* Post-stratification (``statistics.adjust_for``; without a users table: a warning, no
  post-stratification): one row per arm and stratum (the cell of the
  declared users-table attributes; ``new_user`` as in the segments; a user without a users row or
  with NULL is in the stratum ``(missing)``), with n, Σy, Σy², Σx, Σx², Σxy of the outcome y and
  the CUPED covariate x, for :func:`guidelab.stats.poststrat.compare_poststratified`.

The SQL is engine-neutral (DuckDB as written, Spark through :mod:`guidelab.dialects`); only
counts and sums leave it.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from .errors import DataError
from .events import DataCheck
from .experiment import CappingSpec, ExperimentSpec
from .serialize import ResultModel
from .values import sql_identifier

__all__ = ["CappingSummary", "MISSING_STRATUM", "cap_of", "capped_sql", "capped_counts", "require_adjust_for",
           "strata_stats", "strata_stats_many"]

MISSING_STRATUM = "(missing)"
STRATUM_SEPARATOR = " | "


@dataclass(frozen=True)
class CappingSummary(ResultModel):
    """How a mean metric was capped: the rule (``quantile`` or ``value``) and its level, the cap
    applied (None: no user had a value), and per arm the users analysed and the users capped
    (their value was above the cap)."""

    rule: str
    level: float
    cap: float | None
    users: dict[str, int]
    capped: dict[str, int]

    def share(self, variant: str) -> float | None:
        n = self.users.get(variant, 0)
        return self.capped.get(variant, 0) / n if n else None


def _number_sql(x: float) -> str:
    """A numeric literal: an integer as an integer (integer sums stay exact), else a DOUBLE."""
    if float(x).is_integer() and abs(x) < 2**53:
        return str(int(x))
    return f"CAST({float(x)!r} AS DOUBLE)"


def cap_of(con: Any, capping: CappingSpec, eligible: str, value: str) -> float | None:
    """The cap of a metric: the declared value, or the exact quantile of ``value`` over the
    eligible users of ``exp_users`` (all arms), None when no user has a value."""
    from .stats.capping import cap_rank

    if capping.value is not None:
        return float(capping.value)
    n = con.execute(f"SELECT count({value}) FROM exp_users WHERE {eligible}").fetchone()[0]
    if not n:
        return None
    k = cap_rank(float(capping.quantile), int(n))  # type: ignore[arg-type]
    row = con.execute(f"""
        SELECT min(v) FROM (
            SELECT v, sum(c) OVER (ORDER BY v ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) AS cum
            FROM (SELECT {value} AS v, count(*) AS c FROM exp_users WHERE {eligible} AND {value} IS NOT NULL
                  GROUP BY 1) g) w
        WHERE cum >= {k}""").fetchone()
    return None if row is None or row[0] is None else float(row[0])


def capped_sql(value: str, cap: float | None) -> str:
    """The per-user value with the cap applied (NULL stays NULL)."""
    if cap is None:
        return value
    c = _number_sql(cap)
    return f"CASE WHEN {value} > {c} THEN {c} ELSE {value} END"


def capped_counts(con: Any, eligible: str, value: str, cap: float | None, variants: list[str]) -> tuple[dict[str, int], dict[str, int]]:
    """(users analysed, users above the cap) per arm."""
    above = f"count_if({value} > {_number_sql(cap)})" if cap is not None else "0"
    rows = con.execute(f"SELECT variant, count(*), {above} FROM exp_users WHERE {eligible} GROUP BY variant").fetchall()
    users, capped = dict.fromkeys(variants, 0), dict.fromkeys(variants, 0)
    for v, n, k in rows:
        users[v], capped[v] = int(n), int(k or 0)
    return users, capped


def require_adjust_for(ed: Any, spec: ExperimentSpec) -> list[DataCheck]:
    """``statistics.adjust_for`` needs the users table with each attribute's column (``new_user``:
    ``signup_at``): a missing column is an error naming the file and the column; no users table at
    all (it is optional, as for the segments) is a warning, and the metrics are not post-stratified."""
    from .breakdowns import attribute_column

    attrs = spec.statistics.adjust_for
    if not attrs:
        return []
    if not ed.has("users"):
        return [DataCheck.of("adjust_for_unavailable", False, "warn", attributes=", ".join(attrs))]
    cols = {r[0] for r in ed.con.execute("DESCRIBE users").fetchall()}
    for attribute in attrs:
        column = attribute_column(attribute)
        if column not in cols:
            shown = ", ".join(sorted(c[:60] for c in cols)[:20])
            raise DataError(ed.sources["users"], column, f"column not found for statistics.adjust_for "
                                                         f"{attribute!r}: the users table has {shown}")
    return []


def strata_stats(con: Any, spec: ExperimentSpec, eligible: str, value: str) -> dict[str, dict[str, Any]]:
    """Per arm and stratum of ``statistics.adjust_for``: the CovariateStats of ``value`` (y) and
    the CUPED covariate ``pre_active_days`` (x), over the eligible users of ``exp_users``."""
    return strata_stats_many(con, spec, [(eligible, value)])[0]


def strata_stats_many(con: Any, spec: ExperimentSpec,
                      metrics: list[tuple[str, str]]) -> list[dict[str, dict[str, Any]]]:
    """:func:`strata_stats` of several metrics, each ``(eligible, value)``, in one query.

    Each user's stratum is built once from the columns exp_users carries; each metric's sums are
    aggregates ``FILTER (WHERE`` its eligibility ``)`` in the same ``GROUP BY variant, stratum``
    (the same sums, over the same users, as one query per metric: a stratum where a metric has
    no eligible user is left out of that metric, as its own ``WHERE`` would)."""
    from .breakdowns import USER_ATTRIBUTE_PREFIX, attribute_column, attribute_value_sql
    from .metrics import covariate_stats_of, covariate_sums_sql

    if not metrics:
        return []
    attrs = spec.statistics.adjust_for
    cells = ", ".join(f"coalesce({attribute_value_sql(a)}, '{MISSING_STRATUM}') AS a{i}" for i, a in enumerate(attrs))
    groups = ", ".join(str(i + 2) for i in range(len(attrs)))
    # exp_users carries each attribute's users column (breakdowns.user_attribute_columns): no join here
    carried = ", ".join(dict.fromkeys(sql_identifier(USER_ATTRIBUTE_PREFIX + attribute_column(a)) for a in attrs))
    per_user, sums = covariate_sums_sql(con, metrics)
    rows = con.execute(f"""
        WITH e AS (SELECT variant, assigned_at, {carried}, pre_active_days AS x, {per_user} FROM exp_users)
        SELECT e.variant, {cells}, {sums}
        FROM e GROUP BY 1, {groups}""").fetchall()
    k = len(attrs)
    outs: list[dict[str, dict[str, Any]]] = []
    for i in range(len(metrics)):
        out: dict[str, dict[str, Any]] = {v: {} for v in spec.variant_keys}
        for row in sorted(rows, key=lambda r: tuple(str(c) for c in r[:k + 1])):
            v, labels = row[0], row[1:k + 1]
            stats = covariate_stats_of(row[k + 1:], i)
            if stats is None:  # no eligible user of this metric in this stratum
                continue
            key = STRATUM_SEPARATOR.join(f"{a}={lab}" for a, lab in zip(attrs, labels))
            out.setdefault(v, {})[key] = stats
        outs.append(out)
    return outs
