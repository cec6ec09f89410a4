"""The chain from data to verdict: events -> metric counts (SQL) -> statistics -> decision.

Two entry points: :func:`analyze_experiment` for an experiment spec and a data directory in
the contract, and :func:`analyze_user_table` for a one-row-per-user table (the form public
A/B data sets and warehouse exports take).
"""
from __future__ import annotations

import datetime as dt
import math
import tempfile
from dataclasses import dataclass, replace
from pathlib import Path
from statistics import NormalDist
from typing import Any, Mapping, Sequence

import duckdb

from .decision import ComparisonView, decide
from .errors import DataError, GuidelabError
from .events import DataCheck, open_event_data, utf8_copy
from .experiment import ExperimentSpec, StatisticsSpec
from .metrics import ExperimentCounts, ProportionCounts, compute_counts
from .results import ExperimentResult, MetricResult
from .stats.bayes import beta_binomial
from .stats.cuped import compare_cuped
from .stats.means import compare_means
from .stats.multiplicity import adjust
from .stats.power import days_to_decision
from .stats.proportions import compare_proportions
from .stats.ratio import compare_ratios
from .stats.sequential import sequential_interval, sequential_relative_interval
from .stats.srm import srm_test


def _view(r: MetricResult, margins: Mapping[str, float] | None = None) -> ComparisonView:
    c = r.comparison
    p_adj = r.p_value_adjusted
    abs_ci = r.sequential.ci if r.sequential is not None else c.abs_ci
    return ComparisonView(r.metric, r.role, r.variant, r.higher_is_better, c.status, c.p_value, p_adj,
                          c.rel_lift, r.rel_ci, c.abs_diff, r.value, r.value_control, r.significant, r.kind,
                          r.sequential is not None, tuple(abs_ci) if abs_ci else None,
                          float((margins or {}).get(r.metric, 0.0)))


@dataclass(frozen=True)
class SequentialView:
    """Always-valid intervals of one comparison: the difference and the relative lift."""

    ci: tuple[float, float] | None
    relative_ci: tuple[float, float] | None
    can_stop: bool
    alpha: float
    tuning: float
    note: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {"ci": list(self.ci) if self.ci else None,
                "relative_ci": list(self.relative_ci) if self.relative_ci else None,
                "can_stop": self.can_stop, "alpha": self.alpha, "tuning": self.tuning,
                "method": "asymptotic confidence sequence (Waudby-Smith et al. 2024)", "note": self.note}


def _standard_errors(cmp: Any, z: float) -> tuple[float | None, float | None]:
    """(SE of the difference, SE of the log ratio), read from the comparison or its intervals."""
    se_abs = getattr(cmp, "se_abs_diff", None)
    se_log = getattr(cmp, "se_log_ratio", None)
    if se_abs is None and cmp.abs_ci is not None:
        se_abs = (cmp.abs_ci[1] - cmp.abs_ci[0]) / (2 * z)
    if se_log is None and cmp.rel_ci is not None and cmp.rel_ci[0] > -1:
        se_log = (math.log1p(cmp.rel_ci[1]) - math.log1p(cmp.rel_ci[0])) / (2 * z)
    return se_abs, se_log


def sequential_view(cmp: Any, alpha: float, tuning: float) -> SequentialView:
    """Confidence sequences for a comparison at this look (valid at every look)."""
    z = NormalDist().inv_cdf(1 - cmp.alpha / 2)
    se_abs, se_log = _standard_errors(cmp, z)
    n = (cmp.n or 0) + (cmp.n_control or 0)
    if cmp.status != "ok" or cmp.abs_diff is None or se_abs is None:
        return SequentialView(None, None, False, alpha, tuning, "not enough data for a sequential interval")
    absolute = sequential_interval(cmp.abs_diff, se_abs, n, alpha=alpha, tuning=tuning)
    relative = None
    if cmp.rel_lift is not None and se_log is not None:
        relative = sequential_relative_interval(cmp.rel_lift, se_log, n, alpha=alpha, tuning=tuning)
    return SequentialView(absolute.ci, relative.ci if relative else None, absolute.can_stop, alpha, tuning,
                          absolute.note)


def _compare(kind: str, t: Any, c: Any, alpha: float) -> tuple[Any, str]:
    if kind == "proportion":
        return compare_proportions(t.successes, t.n, c.successes, c.n, alpha=alpha), \
            "wald-unpooled (difference), log-ratio (relative lift)"
    if kind == "mean":
        return compare_means(t, c, alpha=alpha), "welch-t (difference), delta-method log-ratio (relative lift)"
    if kind == "ratio":
        return compare_ratios(t, c, alpha=alpha), "delta method with covariance (Deng et al. 2018)"
    raise ValueError(f"unknown metric kind {kind!r}")


MetricInput = tuple[str, str, bool, bool, Mapping[str, Any]]


def compare_all(metric_counts: Sequence[MetricInput], control: str, alpha: float,
                statistics: StatisticsSpec | None = None, kinds: Mapping[str, str] | None = None,
                covariates: Mapping[str, Mapping[str, Any] | None] | None = None) -> list[MetricResult]:
    """Compare every treatment arm with the control on every metric, with the spec's methods.

    Multiplicity: the primary metric across arms is one family, the secondary metrics across
    arms and metrics another (Holm or Benjamini-Hochberg); guardrails are not adjusted (a harm
    signal must not be diluted). Sequential intervals use alpha split evenly over the family
    (Bonferroni), the always-valid analogue of that correction.
    """
    st = statistics or StatisticsSpec()
    rows: list[MetricResult] = []
    for name, role, higher, randomised, by_variant in metric_counts:
        kind = (kinds or {}).get(name, "proportion")
        c = by_variant[control]
        cov = (covariates or {}).get(name)
        for variant, t in by_variant.items():
            if variant == control:
                continue
            cmp, method = _compare(kind, t, c, alpha)
            unadjusted = None
            if st.cuped and cov is not None and kind in ("proportion", "mean"):
                unadjusted = cmp
                cmp = compare_cuped(cov[variant], cov[control], alpha=alpha)
                method = "cuped regression adjustment (Deng et al. 2013), normal interval"
            bayes = None
            if st.bayesian and kind == "proportion":
                bayes = beta_binomial(t.successes, t.n, c.successes, c.n, prior=tuple(st.prior), alpha=alpha)
                if not higher and bayes.chance_to_beat_control is not None:  # lower is better (dismissals)
                    bayes = replace(bayes, chance_to_beat_control=1.0 - bayes.chance_to_beat_control,
                                    expected_loss=bayes.expected_loss_control,
                                    expected_loss_control=bayes.expected_loss)
            rows.append(MetricResult(name, role, variant, control, higher, randomised, cmp, None, kind, method,
                                     unadjusted, None, bayes))
    out: list[MetricResult] = []
    for role in ("primary", "secondary", "guardrail"):
        family = [r for r in rows if r.role == role]
        raw = [r.comparison.p_value for r in family]
        adjusted = raw if role == "guardrail" else adjust(raw, st.correction)
        k = max(1, len(family)) if role != "guardrail" else 1
        for r, p in zip(family, adjusted):
            seq = sequential_view(r.comparison, alpha / k, st.sequential_tuning) if st.sequential else None
            significant = seq.can_stop if seq is not None else (p is not None and p < alpha)
            out.append(replace(r, p_value_adjusted=p, sequential=seq, significant=significant,
                               ci_method=r.ci_method + ("; sequential" if seq else "")))
    return out


def _daily_rate(daily: list[tuple[dt.date, str, int]], variant: str, last_days: int = 7) -> float:
    days = sorted({d for d, _, _ in daily})[-last_days:]
    if not days:
        return 0.0
    return sum(n for d, v, n in daily if v == variant and d in days) / len(days)


def _days_needed(spec: ExperimentSpec, counts: ExperimentCounts, control: str,
                 primary_rows: list[MetricResult]) -> dict[str, float | None]:
    """Extra days until the primary metric reaches the planned sample size, at the observed traffic.

    Proportions only (the plan needs the control's rate); sequential designs use the larger
    sequential sample size. Day-N metrics add N days for the last users to mature.
    """
    out: dict[str, float | None] = {}
    primary = next(m for m in counts.metrics if m.role == "primary")
    lag = primary.metric.days or 0
    st = spec.statistics
    for r in primary_rows:
        p0 = r.value_control if r.kind == "proportion" else None
        daily = min(_daily_rate(counts.daily_assigned, r.variant), _daily_rate(counts.daily_assigned, control))
        n_now = min(counts.assigned.get(r.variant, 0), counts.assigned.get(control, 0))
        if p0 is None or not 0 < p0 < 1 or not 0 < p0 * (1 + spec.mde) < 1:
            out[r.variant] = None
            continue
        if st.sequential:
            from .stats.power import sequential_sample_size_two_proportions

            k = max(1, len(primary_rows))
            need = sequential_sample_size_two_proportions(p0, spec.mde, alpha=spec.alpha / k, power=spec.power,
                                                          tuning=st.sequential_tuning)
            extra = 0.0 if n_now >= need else (None if daily <= 0 else (need - n_now) / daily)
        else:
            extra = days_to_decision(p0, spec.mde, n_now, daily, alpha=spec.alpha, power=spec.power)
        if extra is None:
            out[r.variant] = None
        else:
            matured = min(r.comparison.n or 0, r.comparison.n_control or 0)
            pending_lag = lag if matured < n_now else 0
            out[r.variant] = float(extra) + (lag if extra > 0 else pending_lag)
    return out


def analyze_counts(spec: ExperimentSpec, counts: ExperimentCounts) -> ExperimentResult:
    """Statistics and verdict from an experiment's sufficient statistics (no I/O)."""
    control = spec.control_key
    metric_counts = [(m.metric.name, m.role, m.metric.higher_is_better, m.metric.randomised, m.by_variant)
                     for m in counts.metrics]
    kinds = {m.metric.name: m.metric.kind for m in counts.metrics}
    covariates = {m.metric.name: m.covariate for m in counts.metrics}
    rows = compare_all(metric_counts, control, spec.alpha, spec.statistics, kinds, covariates)
    srm = srm_test(counts.assigned, spec.weights)
    primary = [r for r in rows if r.role == "primary"]
    days = _days_needed(spec, counts, control, primary)
    failed = [c.name for c in counts.checks if not c.passed and c.severity == "fail"]
    decision = decide([_view(r) for r in primary],
                      [_view(r, spec.guardrail_margins) for r in rows if r.role == "guardrail"],
                      srm.p_value, failed, spec.alpha, spec.mde, days)
    return ExperimentResult(spec.id, counts.as_of, decision, srm, rows, counts.checks, counts.assigned,
                            counts.daily_assigned, spec.alpha, spec.mde, control,
                            spec.statistics.model_dump(mode="json"), curve_analyses(spec, counts))


def analyze_experiment(spec: ExperimentSpec, data_dir: str | Path, as_of: dt.date | None = None,
                       encoding: str | None = None) -> ExperimentResult:
    """Analyse one experiment on the tables in ``data_dir`` (see ``data/README.md``).

    ``encoding`` names the CSV files' encoding (default: detected, UTF-8 or CP932); zoneless
    timestamps are read in the spec's ``data_timezone`` (default: they are an error).
    """
    from .timeseries import goal_life_counts, retention_curve_counts

    ed = open_event_data(data_dir, encoding=encoding, data_timezone=spec.data_timezone)
    try:
        counts = compute_counts(ed, spec, as_of)
        counts = replace(counts, curves=retention_curve_counts(ed, spec, counts.as_of, CURVE_HORIZON_DAYS),
                          goal_life=goal_life_counts(ed, spec) if spec.goal_event else None)
        breakdowns = breakdown_analyses(spec, ed, counts.as_of)
    finally:
        ed.close()
    result = analyze_counts(spec, counts)
    return replace(result, analyses={**result.analyses, **breakdowns})


@dataclass(frozen=True)
class Stickiness:
    """DAU/WAU and DAU/MAU of one variant: the daily series and their means over complete windows."""

    days: tuple[dt.date, ...]
    dau_wau: tuple[float | None, ...]
    dau_mau: tuple[float | None, ...]
    mean_dau_wau: float | None
    mean_dau_mau: float | None

    def to_dict(self) -> dict[str, Any]:
        return {"days": [d.isoformat() for d in self.days], "dau_wau": list(self.dau_wau),
                "dau_mau": list(self.dau_mau), "mean_dau_wau": self.mean_dau_wau, "mean_dau_mau": self.mean_dau_mau}


def stickiness_summary(rows: Sequence[tuple[dt.date, int, int, int]], start: dt.date) -> Stickiness:
    """Ratios per day; the means use only days whose 7- (30-) day window lies inside the experiment."""
    days = tuple(d for d, *_ in rows)
    wau = tuple(dau / w if w else None for _, dau, w, _ in rows)
    mau = tuple(dau / m if m else None for _, dau, _, m in rows)
    full_w = [x for (d, *_), x in zip(rows, wau) if x is not None and (d - start).days >= 6]
    full_m = [x for (d, *_), x in zip(rows, mau) if x is not None and (d - start).days >= 29]
    return Stickiness(days, wau, mau, sum(full_w) / len(full_w) if full_w else None,
                      sum(full_m) / len(full_m) if full_m else None)


def breakdown_analyses(spec: ExperimentSpec, ed: Any, as_of: dt.date) -> dict[str, Any]:
    """Daily effects and novelty, segments, tour funnels and survey scores (issue-5 analyses).

    Runs on the ``exp_users`` table of an open connection; only counts leave SQL.
    """
    from .breakdowns import daily_counts, funnel_counts, score_counts, segment_counts, stickiness_counts
    from .catalog import parse_metric
    from .stats.curves import funnel, time_to_complete
    from .stats.novelty import daily_effects, novelty_test
    from .stats.nps import NPSCounts, compare_nps, nps
    from .stats.segments import segment_effects

    out: dict[str, Any] = {}
    primary = parse_metric(spec.metrics.primary)
    control = spec.control_key
    if primary.kind == "proportion":
        daily = daily_counts(ed, spec, primary)
        days = sorted({d for rows in daily.values() for d, _, _ in rows})
        by_day = {v: {d: (n, s_) for d, n, s_ in rows} for v, rows in daily.items()}
        views = {}
        for v in spec.treatment_keys:
            if len(days) < 2:
                break
            t = [by_day[v].get(d, (0, 0)) for d in days]
            c = [by_day[control].get(d, (0, 0)) for d in days]
            effects = daily_effects(days, [x[1] for x in t], [x[0] for x in t], [x[1] for x in c], [x[0] for x in c],
                                    alpha=spec.alpha)
            views[v] = {"effects": effects, "novelty": novelty_test(effects)}
        if views:
            out["daily"] = {"metric": primary.name, "by_variant": views}
        segments = {}
        for attribute in spec.segments:
            seg = segment_counts(ed, spec, primary, attribute)
            if not seg:
                continue
            segments[attribute] = {
                v: segment_effects({value: (*arms.get(v, (0, 0))[::-1], *arms.get(control, (0, 0))[::-1])
                                    for value, arms in seg.items()}, alpha=spec.alpha,
                                   correction=spec.statistics.correction if spec.statistics.correction != "none" else "holm")
                for v in spec.treatment_keys}
        if segments:
            out["segments"] = {"metric": primary.name, "by_attribute": segments}
    funnels, timings = {}, {}
    for v, fc in funnel_counts(ed, spec, as_of).items():
        steps = [*fc.steps, "completed"]
        reached = [*fc.reached, min(fc.completed, fc.reached[-1]) if fc.reached else fc.completed]
        funnels[v] = funnel(steps, reached, fc.entered, alpha=spec.alpha)
        mean, ci = time_to_complete(fc.seconds_sum, fc.seconds_sum_sq, fc.timed, alpha=spec.alpha)
        timings[v] = {"n": fc.timed, "mean_seconds": mean, "ci": list(ci) if ci else None}
    if funnels:
        out["funnels"] = funnels
        out["time_to_complete"] = timings
    sticky = stickiness_counts(ed, spec, as_of)
    if any(sticky.values()):
        out["stickiness"] = {v: stickiness_summary(rows, spec.start) for v, rows in sticky.items()}
    scores = score_counts(ed, spec, as_of)
    if scores:
        counts_by_variant = {v: NPSCounts(tuple(sc), shown) for v, (sc, shown) in scores.items()}
        entry: dict[str, Any] = {"by_variant": {v: nps(c, alpha=spec.alpha) for v, c in counts_by_variant.items()}}
        base = counts_by_variant.get(control)
        if base is not None:
            entry["comparisons"] = {v: compare_nps(c, base, alpha=spec.alpha)
                                   for v, c in counts_by_variant.items() if v != control}
        out["surveys"] = entry
    return out


CURVE_HORIZON_DAYS = 30


def curve_analyses(spec: ExperimentSpec, counts: ExperimentCounts) -> dict[str, Any]:
    """Retention curves (D0..D30, matured users only) and time to goal (Kaplan-Meier, log-rank)."""
    from .stats.curves import retention_curve
    from .stats.survival import LifeTable, kaplan_meier, log_rank

    out: dict[str, Any] = {}
    if counts.curves is not None:
        out["retention_curve"] = {
            v: retention_curve(list(d), [n for n, _ in d.values()], [a for _, a in d.values()], alpha=spec.alpha)
            for v, d in counts.curves.by_variant.items()}
    if counts.goal_life is not None:
        tables = {v: LifeTable(tuple(t for t, _, _ in rows), tuple(r for _, r, _ in rows), tuple(e for _, _, e in rows))
                  for v, rows in counts.goal_life.by_variant.items() if rows}
        if tables:
            out["time_to_goal"] = {"kaplan_meier": {v: kaplan_meier(tb, alpha=spec.alpha) for v, tb in tables.items()},
                                   "log_rank": log_rank(tables)}
    return out


# --- one row per user ---------------------------------------------------------------------
_TRUE = ("true", "t", "1", "1.0", "yes", "y")
_FALSE = ("false", "f", "0", "0.0", "no", "n")


def _reader_for(path: Path, read_path: Path | None = None) -> str:
    lit = "'" + str(read_path or path).replace("'", "''") + "'"
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
    tmp = tempfile.TemporaryDirectory(prefix="guidelab-")
    try:
        is_csv = path.name.lower().endswith((".csv", ".csv.gz", ".tsv", ".tsv.gz", ".txt"))
        rel = _reader_for(path, utf8_copy(path, Path(tmp.name)) if is_csv else None)
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
        if con.execute("SELECT count(*) FROM t").fetchone()[0] == 0:
            raise DataError(path, "", "the table has no rows (a header only): there is nothing to analyse")
        checks: list[DataCheck] = []
        null_variant = con.execute(f"SELECT count(*) FROM t WHERE {_q(variant_column)} IS NULL").fetchone()[0]
        checks.append(DataCheck.of("missing_variant", null_variant == 0, "warn", n=null_variant, column=variant_column))
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
        tmp.cleanup()
    users = {r[0]: int(r[1]) for r in rows}
    per_metric: dict[str, dict[str, ProportionCounts]] = {m: {} for m in metrics}
    for r in rows:
        for i, m in enumerate(metrics):
            per_metric[m][r[0]] = ProportionCounts(int(r[2 + 2 * i]), int(r[3 + 2 * i]))
    for m in metrics:
        missing = sum(users[v] - per_metric[m][v].n for v in users)
        if missing:
            checks.append(DataCheck.of("missing_values", True, "info", n=missing, column=m))
    return users, per_metric, checks


def analyze_user_table(path: str | Path, variant_column: str, control: str, metrics: Sequence[str],
                       alpha: float = 0.05, mde: float = 0.05, weights: Mapping[str, float] | None = None,
                       experiment: str | None = None, statistics: StatisticsSpec | None = None) -> ExperimentResult:
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
    rows = compare_all(metric_counts, control, alpha, statistics)
    srm = srm_test(users, weights)
    primary = [r for r in rows if r.role == "primary"]
    failed = [c.name for c in checks if not c.passed and c.severity == "fail"]
    decision = decide([_view(r) for r in primary], [], srm.p_value, failed, alpha, mde, {})
    return ExperimentResult(experiment or Path(path).stem, None, decision, srm, rows, checks, users, [], alpha, mde,
                            control, (statistics or StatisticsSpec()).model_dump(mode="json"))
