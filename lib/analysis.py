"""The chain from data to verdict: events -> metric counts (SQL) -> statistics -> decision.

Two entry points: :func:`analyze_experiment` for an experiment spec and a data directory in
the contract, and :func:`analyze_user_table` for a one-row-per-user table (the form public
A/B data sets and warehouse exports take).
"""
from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Mapping, Sequence

import duckdb

from .decision import ComparisonView, decide
from .errors import DataError, GuidelabError
from .events import DataCheck, open_event_data
from .experiment import ExperimentSpec
from .metrics import ExperimentCounts, ProportionCounts, compute_counts
from .results import ExperimentResult, MetricResult
from .stats.multiplicity import holm
from .stats.power import days_to_decision
from .stats.proportions import compare_proportions
from .stats.srm import srm_test


def _view(r: MetricResult) -> ComparisonView:
    c = r.comparison
    return ComparisonView(r.metric, r.role, r.variant, r.higher_is_better, c.status, c.p_value, r.p_value_adjusted,
                          c.rel_lift, tuple(c.rel_ci) if c.rel_ci else None, c.abs_diff, c.rate, c.rate_control)


def compare_all(metric_counts: Sequence[tuple[str, str, bool, bool, Mapping[str, ProportionCounts]]],
                control: str, alpha: float) -> list[MetricResult]:
    """Compare every treatment arm with the control on every metric; Holm within each family.

    Families: the primary metric across arms; the secondary metrics across arms and metrics.
    Guardrails are not adjusted (a harm signal must not be diluted).
    """
    rows: list[MetricResult] = []
    for name, role, higher, randomised, by_variant in metric_counts:
        c = by_variant[control]
        for variant, t in by_variant.items():
            if variant == control:
                continue
            cmp = compare_proportions(t.successes, t.n, c.successes, c.n, alpha=alpha)
            rows.append(MetricResult(name, role, variant, control, higher, randomised, cmp, None))
    out: list[MetricResult] = []
    for role in ("primary", "secondary", "guardrail"):
        family = [r for r in rows if r.role == role]
        adjusted = holm([r.comparison.p_value for r in family]) if role != "guardrail" \
            else [r.comparison.p_value for r in family]
        for r, p in zip(family, adjusted):
            out.append(MetricResult(r.metric, r.role, r.variant, r.control, r.higher_is_better, r.randomised,
                                    r.comparison, p))
    return out


def _daily_rate(daily: list[tuple[dt.date, str, int]], variant: str, last_days: int = 7) -> float:
    days = sorted({d for d, _, _ in daily})[-last_days:]
    if not days:
        return 0.0
    return sum(n for d, v, n in daily if v == variant and d in days) / len(days)


def _days_needed(spec_mde: float, alpha: float, power: float, counts: ExperimentCounts, control: str,
                 primary_rows: list[MetricResult]) -> dict[str, float | None]:
    """Extra days until the primary metric reaches the planned sample size, at the observed traffic."""
    out: dict[str, float | None] = {}
    primary = next(m for m in counts.metrics if m.role == "primary")
    lag = primary.metric.days or 0
    for r in primary_rows:
        p0 = r.comparison.rate_control
        daily = min(_daily_rate(counts.daily_assigned, r.variant), _daily_rate(counts.daily_assigned, control))
        n_now = min(counts.assigned.get(r.variant, 0), counts.assigned.get(control, 0))
        if p0 is None or not 0 < p0 < 1:
            out[r.variant] = None
            continue
        extra = days_to_decision(p0, spec_mde, n_now, daily, alpha=alpha, power=power)
        if extra is None:
            out[r.variant] = None
        else:
            matured = min(r.comparison.n, r.comparison.n_control)
            pending_lag = lag if matured < min(counts.assigned.get(r.variant, 0), counts.assigned.get(control, 0)) else 0
            out[r.variant] = float(extra) + (lag if extra > 0 else pending_lag)
    return out


def analyze_counts(spec: ExperimentSpec, counts: ExperimentCounts) -> ExperimentResult:
    """Statistics and verdict from an experiment's sufficient statistics (no I/O)."""
    control = spec.control_key
    metric_counts = [(m.metric.name, m.role, m.metric.higher_is_better, m.metric.randomised, m.by_variant)
                     for m in counts.metrics]
    rows = compare_all(metric_counts, control, spec.alpha)
    srm = srm_test(counts.assigned, spec.weights)
    primary = [r for r in rows if r.role == "primary"]
    days = _days_needed(spec.mde, spec.alpha, spec.power, counts, control, primary)
    failed = [c.name for c in counts.checks if not c.passed and c.severity == "fail"]
    decision = decide([_view(r) for r in primary], [_view(r) for r in rows if r.role == "guardrail"],
                      srm.p_value, failed, spec.alpha, spec.mde, days)
    return ExperimentResult(spec.id, counts.as_of, decision, srm, rows, counts.checks, counts.assigned,
                            counts.daily_assigned, spec.alpha, spec.mde, control)


def analyze_experiment(spec: ExperimentSpec, data_dir: str | Path, as_of: dt.date | None = None) -> ExperimentResult:
    """Analyse one experiment on the tables in ``data_dir`` (see ``data/README.md``)."""
    ed = open_event_data(data_dir)
    try:
        counts = compute_counts(ed, spec, as_of)
    finally:
        ed.close()
    return analyze_counts(spec, counts)


# --- one row per user ---------------------------------------------------------------------
_TRUE = ("true", "t", "1", "1.0", "yes", "y")
_FALSE = ("false", "f", "0", "0.0", "no", "n")


def _reader_for(path: Path) -> str:
    lit = "'" + str(path).replace("'", "''") + "'"
    name = path.name.lower()
    if name.endswith(".parquet"):
        return f"read_parquet({lit})"
    if name.endswith((".csv", ".csv.gz", ".tsv", ".txt")):
        return f"read_csv({lit}, header=true, all_varchar=true)"
    raise DataError(path, "", "unsupported file type: expected .csv, .csv.gz, .tsv or .parquet")


def _q(col: str) -> str:
    return '"' + col.replace('"', '""') + '"'


def user_table_counts(path: str | Path, variant_column: str, metrics: Sequence[str]) -> tuple[dict[str, int], dict[str, dict[str, ProportionCounts]], list[DataCheck]]:
    """Per-variant users and (n, successes) per boolean metric column, computed by DuckDB."""
    path = Path(path)
    if not path.is_file():
        raise DataError(path, "", "file not found")
    con = duckdb.connect(":memory:")
    try:
        rel = _reader_for(path)
        try:
            cols = [r[0] for r in con.execute(f"DESCRIBE SELECT * FROM {rel}").fetchall()]
        except duckdb.Error as exc:
            raise DataError(path, "", f"cannot be read as a table: {str(exc).splitlines()[0]}") from None
        for col in (variant_column, *metrics):
            if col not in cols:
                raise DataError(path, col, f"column not found: expected one of {', '.join(cols)}")
        if len(set(metrics)) != len(metrics):
            raise GuidelabError("--metric: a column is named twice")
        con.execute(f"CREATE VIEW t AS SELECT * FROM {rel}")
        checks: list[DataCheck] = []
        null_variant = con.execute(f"SELECT count(*) FROM t WHERE {_q(variant_column)} IS NULL").fetchone()[0]
        checks.append(DataCheck("no missing variant", null_variant == 0,
                                f"{null_variant:,} rows without a value in {variant_column!r} (left out)", "warn"))
        truthy = ", ".join(f"'{v}'" for v in _TRUE)
        falsy = ", ".join(f"'{v}'" for v in _FALSE)
        exprs, parsed = [], {}
        for col in metrics:
            norm = f"lower(trim(CAST({_q(col)} AS VARCHAR)))"
            bad = con.execute(
                f"SELECT count(*), any_value(CAST({_q(col)} AS VARCHAR)) FROM t WHERE {_q(col)} IS NOT NULL "
                f"AND {norm} NOT IN ({truthy}, {falsy})").fetchone()
            if bad[0]:
                raise DataError(path, col, f"{bad[0]:,} value(s) are not booleans, e.g. {bad[1]!r}: expected "
                                           "True/False, true/false, 1/0 or yes/no")
            parsed[col] = f"CASE WHEN {norm} IN ({truthy}) THEN 1 WHEN {norm} IN ({falsy}) THEN 0 END"
            exprs.append(f"count({parsed[col]}) AS {_q('n_' + col)}, coalesce(sum({parsed[col]}), 0) AS {_q('s_' + col)}")
        rows = con.execute(
            f"SELECT CAST({_q(variant_column)} AS VARCHAR) AS v, count(*) AS users, {', '.join(exprs)} FROM t "
            f"WHERE {_q(variant_column)} IS NOT NULL GROUP BY 1 ORDER BY 1").fetchall()
    finally:
        con.close()
    users = {r[0]: int(r[1]) for r in rows}
    per_metric: dict[str, dict[str, ProportionCounts]] = {m: {} for m in metrics}
    for r in rows:
        for i, m in enumerate(metrics):
            per_metric[m][r[0]] = ProportionCounts(int(r[2 + 2 * i]), int(r[3 + 2 * i]))
    for m in metrics:
        missing = sum(users[v] - per_metric[m][v].n for v in users)
        if missing:
            checks.append(DataCheck(f"no missing values in {m}", True, f"{missing:,} empty values left out", "info"))
    return users, per_metric, checks


def analyze_user_table(path: str | Path, variant_column: str, control: str, metrics: Sequence[str],
                       alpha: float = 0.05, mde: float = 0.05, weights: Mapping[str, float] | None = None,
                       experiment: str | None = None) -> ExperimentResult:
    """Analyse a one-row-per-user table: the first metric is primary, the others secondary.

    SRM is tested against ``weights`` (default: an equal split over the variants found).
    """
    if not metrics:
        raise GuidelabError("analyze: give at least one --metric column")
    users, per_metric, checks = user_table_counts(path, variant_column, metrics)
    if control not in users:
        raise DataError(path, variant_column, f"control {control!r} not found: the variants are "
                                              f"{', '.join(users) or '(none)'}")
    if len(users) < 2:
        raise DataError(path, variant_column, "only one variant found: expected a control and at least one treatment")
    weights = dict(weights) if weights else {v: 1 / len(users) for v in users}
    metric_counts = [(m, "primary" if i == 0 else "secondary", True, True, per_metric[m]) for i, m in enumerate(metrics)]
    rows = compare_all(metric_counts, control, alpha)
    srm = srm_test(users, weights)
    primary = [r for r in rows if r.role == "primary"]
    failed = [c.name for c in checks if not c.passed and c.severity == "fail"]
    decision = decide([_view(r) for r in primary], [], srm.p_value, failed, alpha, mde, {})
    return ExperimentResult(experiment or Path(path).stem, None, decision, srm, rows, checks, users, [], alpha, mde,
                            control)
