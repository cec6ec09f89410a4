"""Aggregated counts in, verdicts out: ``guidelab analyze-counts`` (issue 9, item 6).

Many analysts only have per-variant counts from a BI tool or a warehouse. This module reads a
CSV or Parquet table of per-variant sufficient statistics with DuckDB:

* ``variant`` (text), ``users`` (units assigned to the variant),
* one column of successes per proportion metric, named after the metric,
* optional ``experiment`` and ``look``: each (experiment, look) group is analysed on its own.

The whole table is validated in one query before anything is analysed (every problem names
the file, the column, a row or group and what was expected); the numbers then leave DuckDB as
numpy arrays and each group goes through the one pure analysis of sufficient statistics
(:func:`analyze_sufficient_counts`), the same function ``guidelab analyze`` uses for a
one-row-per-user table, so both commands give the same verdict on the same counts.
``analyze-counts --jsonl`` writes the same lines for blocks of groups at once
(:mod:`guidelab.counts_bulk`, byte for byte the lines of :func:`group_json_line`).
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterator, Mapping, Sequence

import duckdb
import numpy as np

from .engine import connect_duckdb
from .errors import DataError, GuidelabError
from .experiment import StatisticsSpec
from .metrics import ProportionCounts
from .results import ExperimentResult
from .serialize import raw_default
from .values import sql_identifier, sql_literal

__all__ = ["CountsOptions", "CountsTable", "MetricRole", "analyze_counts_file", "analyze_counts_table",
           "analyze_sufficient_counts", "group_record", "parse_guardrail", "read_counts_for",
           "read_counts_table"]

MAX_VALUE_CHARS = 200  # an offending value is quoted up to this many characters
RESERVED = ("experiment", "look", "variant", "users")


@dataclass(frozen=True)
class MetricRole:
    """One proportion metric of the analysis: its column, its role and which direction is good."""

    name: str
    role: str  # "primary" | "secondary" | "guardrail"
    higher_is_better: bool = True


def parse_guardrail(text: str) -> MetricRole:
    """``NAME`` (an increase is harm) or ``NAME:down`` (a decrease is harm) -> a guardrail role."""
    name, _, direction = text.partition(":")
    name = name.strip()
    direction = direction.strip().lower()
    if not name or direction not in ("", "up", "down"):
        raise GuidelabError(f"--guardrail: expected NAME (an increase is harm) or NAME:down (a decrease is harm), "
                            f"got {_short(text)!r}")
    return MetricRole(name, "guardrail", higher_is_better=direction == "down")


@dataclass(frozen=True)
class CountsOptions:
    """What ``analyze`` / ``analyze-counts`` were asked: the first metric is primary, the rest secondary.

    ``weights``: the planned split for the sample-ratio check; None means an equal split over
    the variants found, which the result says (``methods.srm_weights_assumed``).
    ``margins``: tolerated harm per guardrail, an absolute difference of rates (0.01 = 1 point).
    ``planned_users``: per arm, the sample of a fixed-horizon design (gates efficacy and
    futility verdicts when the decision rule supports it).
    """

    control: str
    metrics: tuple[MetricRole, ...]
    margins: Mapping[str, float] = field(default_factory=dict)
    weights: Mapping[str, float] | None = None
    alpha: float = 0.05
    mde: float = 0.05
    planned_users: int | None = None
    statistics: StatisticsSpec = field(default_factory=lambda: StatisticsSpec(bayesian=False))

    @classmethod
    def build(cls, control: str, metrics: Sequence[str], guardrails: Sequence[str] = (),
              margins: Mapping[str, float] | None = None, weights: Mapping[str, float] | None = None,
              alpha: float = 0.05, mde: float = 0.05, planned_users: int | None = None,
              statistics: StatisticsSpec | None = None) -> "CountsOptions":
        """Options from command-line values, checked: names unique, margins only for guardrails."""
        if not metrics:
            raise GuidelabError("give at least one --metric (the first is the primary metric)")
        roles = [MetricRole(m, "primary" if i == 0 else "secondary") for i, m in enumerate(metrics)]
        roles += [parse_guardrail(g) for g in guardrails]
        names = [r.name for r in roles]
        dup = sorted({n for n in names if names.count(n) > 1})
        if dup:
            raise GuidelabError(f"--metric/--guardrail: {', '.join(dup)} named twice (a column has one role)")
        margins = dict(margins or {})
        guard = {r.name for r in roles if r.role == "guardrail"}
        stray = sorted(set(margins) - guard)
        if stray:
            raise GuidelabError(f"--margin: {', '.join(stray)} is not a --guardrail "
                                f"(the guardrails are {', '.join(sorted(guard)) or 'none'})")
        bad = [k for k, v in margins.items() if not (0 <= v < 1)]
        if bad:
            raise GuidelabError(f"--margin: {bad[0]}={margins[bad[0]]} is not a tolerated harm: expected an absolute "
                                "difference of rates as a fraction in [0, 1), e.g. 0.01 for one point")
        if not 0 < alpha < 1:
            raise GuidelabError(f"--alpha: expected a number between 0 and 1, got {alpha}")
        if not mde > 0:
            raise GuidelabError(f"--mde: expected a relative effect > 0 (0.05 = +5%), got {mde}")
        if planned_users is not None and planned_users <= 0:
            raise GuidelabError(f"--planned-users: expected a positive number of users per arm, got {planned_users}")
        if weights is not None:
            wbad = [k for k, v in weights.items() if not (v >= 0) or v == float("inf")]
            if wbad or not sum(weights.values()) > 0:
                raise GuidelabError("--weights: expected non-negative shares that do not all add to 0, "
                                    "e.g. control=0.2,treatment=0.8")
        return cls(control, tuple(roles), margins, dict(weights) if weights else None, alpha, mde, planned_users,
                   statistics or StatisticsSpec(bayesian=False))


# --- the one analysis of sufficient statistics -------------------------------------------------

def analyze_sufficient_counts(experiment: str, assigned: Mapping[str, int],
                              counts: Mapping[str, Mapping[str, ProportionCounts]],
                              options: CountsOptions, checks: Sequence[Any] = (), ledger: Any = None,
                              previous_users: Mapping[str, int] | None = None,
                              comparisons: Mapping[tuple[str, str], Any] | None = None,
                              accounts: Mapping[str, int] | None = None,
                              randomisation_unit: str = "user") -> ExperimentResult:
    """Statistics and verdict of one experiment (or one look) from per-variant counts (no I/O).

    ``assigned``: units per variant; ``counts``: per metric (named as in ``options.metrics``),
    per variant, (n, successes). Without ``options.weights`` the sample-ratio check assumes an
    equal split over the variants in ``assigned`` and the result says so. ``comparisons``: the
    arms' comparisons with the control, already computed (see
    :func:`guidelab.analysis.analyze_sufficient_statistics`); ``accounts`` with
    ``randomisation_unit``: accounts per variant when accounts were randomised (``counts`` then
    hold :class:`guidelab.stats.cluster.ClusterStats`).
    """
    from . import analysis

    weights_assumed = options.weights is None
    weights = ({v: 1 / len(assigned) for v in assigned} if weights_assumed
               else {v: float(options.weights.get(v, 0.0)) for v in assigned})  # type: ignore[union-attr]
    metric_stats = [analysis.MetricStatistics(m.name, m.role, counts[m.name], m.higher_is_better)
                    for m in options.metrics]
    result = analysis.analyze_sufficient_statistics(
        experiment, assigned, metric_stats, options.control, alpha=options.alpha, mde=options.mde, weights=weights,
        statistics=options.statistics, guardrail_margins=options.margins, planned_users=options.planned_users,
        data_checks=checks, ledger=ledger, previous_users=previous_users, comparisons=comparisons,
        srm_weights_assumed=weights_assumed, accounts=accounts, randomisation_unit=randomisation_unit)
    return result


def analyze_counts(assigned: Mapping[str, int], successes: Mapping[str, Mapping[str, int]], control: str, *,
                   guardrails: Sequence[str] = (), experiment: str = "experiment",
                   **options: Any) -> ExperimentResult:
    """The verdict of an experiment from counts: users per variant and, per metric, users with the event.

    ``successes``: metric -> variant -> users who converted; the first metric is primary, the
    others secondary; ``guardrails`` name metrics in ``successes`` where an increase is harm
    (``NAME:down``: a decrease is harm). ``options``: those of :meth:`CountsOptions.build`
    (``margins``, ``weights``, ``alpha``, ``mde``, ``planned_users``, ``statistics``). The same
    analysis as ``guidelab analyze-counts`` on one group.

    >>> r = analyze_counts({"a": 20000, "b": 20000}, {"converted": {"a": 2000, "b": 2300}}, "a", planned_users=20000)
    >>> r.decision.verdict, round(r.metrics[0].comparison.rel_lift, 3)
    ('KEEP', 0.15)
    """
    guard = [parse_guardrail(g).name for g in guardrails]
    opts = CountsOptions.build(control, [m for m in successes if m not in guard], guardrails, **options)
    counts = {m: {v: ProportionCounts(int(assigned[v]), int(x)) for v, x in by_variant.items()}
              for m, by_variant in successes.items()}
    return analyze_sufficient_counts(experiment, dict(assigned), counts, opts)


# --- reading and validating the table ---------------------------------------------------------

@dataclass(frozen=True)
class CountsTable:
    """A validated counts table as arrays, rows grouped: group ``g`` is ``rows[starts[g]:starts[g+1]]``."""

    path: Path
    experiment: np.ndarray  # object (str or None)
    look: np.ndarray        # object (str or None)
    variant: np.ndarray     # object (str)
    users: np.ndarray       # int64
    successes: dict[str, np.ndarray]  # metric -> int64
    starts: np.ndarray      # int64, len = groups + 1
    previous_group: np.ndarray | None = None  # int64 per group: the experiment's previous look (-1: none)

    @property
    def n_groups(self) -> int:
        return len(self.starts) - 1


def _short(value: Any) -> str:
    s = str(value)
    return s if len(s) <= MAX_VALUE_CHARS else s[:MAX_VALUE_CHARS] + "…"


def _reader(path: Path) -> tuple[str, bool]:
    name = path.name.lower()
    if name.endswith(".parquet"):
        return f"read_parquet({sql_literal(str(path))})", False
    if name.endswith((".csv", ".csv.gz", ".tsv", ".txt")):
        return f"read_csv({sql_literal(str(path))}, header=true, all_varchar=true)", True
    raise DataError(path, "", "unsupported file type: expected .csv, .csv.gz, .tsv or .parquet")


def _where(row: Any, is_csv: bool) -> str:
    """A row as the user finds it: the file's line for a CSV (header = line 1), else the row number."""
    return f"line {int(row) + 1}" if is_csv else f"row {int(row)}"


def _group_name(experiment: Any, look: Any) -> str:
    parts = []
    if experiment is not None:
        parts.append(f"experiment {_short(experiment)!r}")
    if look is not None:
        parts.append(f"look {_short(look)!r}")
    return ", ".join(parts) or "the table"


def read_counts_table(path: str | Path, metrics: Sequence[str], control: str) -> CountsTable:
    """Read and validate a counts table (see the module docstring); every problem is a DataError.

    Checked in one pass over the rows: ``variant`` present; ``users`` and each metric column
    whole numbers >= 0 (no blanks); successes <= users. Then per (experiment, look) group: no
    variant twice, the control present, at least two variants.
    """
    path = Path(path)
    if not path.is_file():
        raise DataError(path, "", "file not found")
    rel, is_csv = _reader(path)
    con = connect_duckdb()
    try:
        try:
            cols = [r[0] for r in con.execute(f"DESCRIBE SELECT * FROM {rel}").fetchall()]
        except duckdb.Error as exc:
            raise DataError(path, "", f"cannot be read as a table: {_short(str(exc).splitlines()[0])}") from None
        for col in ("variant", "users"):
            if col not in cols:
                raise DataError(path, col, f"column not found: a counts table needs columns variant, users and one "
                                           f"column of successes per metric; the columns are {_short(', '.join(cols))}")
        for m in metrics:
            if m in RESERVED:
                raise DataError(path, m, f"{m!r} is not a metric column: experiment, look, variant and users are "
                                         "reserved")
            if m not in cols:
                others = [c for c in cols if c not in RESERVED]
                raise DataError(path, m, f"unknown metric column: expected one of the table's metric columns "
                                         f"({_short(', '.join(others)) or 'none'})")
        has_exp, has_look = "experiment" in cols, "look" in cols
        text = lambda c: f"CAST({sql_identifier(c)} AS VARCHAR)"  # noqa: E731
        exp_expr = text("experiment") if has_exp else "NULL::VARCHAR"
        look_expr = text("look") if has_look else "NULL::VARCHAR"
        numeric = ["users", *metrics]
        select = [f"{exp_expr} AS _exp", f"{look_expr} AS _look", f"{text('variant')} AS _variant"]
        for i, c in enumerate(numeric):
            select += [f"{text(c)} AS _raw{i}", f"TRY_CAST({text(c)} AS DOUBLE) AS _num{i}"]
        con.execute(f"CREATE TEMP TABLE t AS SELECT row_number() OVER () AS _row, {', '.join(select)} FROM {rel}")
        _validate_rows(con, path, is_csv, numeric)
        _validate_groups(con, path, is_csv, control, has_exp or has_look)
        ints = ", ".join(f"CAST(_num{i} AS BIGINT) AS _int{i}" for i in range(len(numeric)))
        arrays = con.execute(
            "SELECT _exp, _look, _variant, " + ints + " FROM t JOIN (SELECT _exp AS ge, _look AS gl, min(_row) AS g0 "
            "FROM t GROUP BY ALL) g ON _exp IS NOT DISTINCT FROM ge AND _look IS NOT DISTINCT FROM gl "
            "ORDER BY g0, _row").fetchnumpy()
    finally:
        con.close()
    exp = np.asarray(arrays["_exp"], dtype=object)
    look = np.asarray(arrays["_look"], dtype=object)
    n = len(exp)
    if n == 0:
        raise DataError(path, "", "no rows: expected one row per variant (and per experiment and look)")
    change = np.ones(n, dtype=bool)
    if n > 1:
        change[1:] = (exp[1:] != exp[:-1]) | (look[1:] != look[:-1])
    starts = np.append(np.flatnonzero(change), n).astype(np.int64)
    previous = np.full(len(starts) - 1, -1, dtype=np.int64)
    if has_look:  # the looks of an experiment are taken in the order they appear in the file
        last: dict[Any, int] = {}
        for g, a in enumerate(starts[:-1].tolist()):
            previous[g] = last.get(exp[a], -1)
            last[exp[a]] = g
    return CountsTable(path, exp, look, np.asarray(arrays["_variant"], dtype=object),
                       np.asarray(arrays["_int0"], dtype=np.int64),
                       {m: np.asarray(arrays[f"_int{i + 1}"], dtype=np.int64) for i, m in enumerate(metrics)},
                       starts, previous)


def _validate_rows(con: duckdb.DuckDBPyConnection, path: Path, is_csv: bool, numeric: Sequence[str]) -> None:
    """One query over every row and column; raise on the first kind of problem found, with its count."""
    checks: list[tuple[str, str, str, str]] = [  # (column, condition, what is wrong, the value to quote)
        ("variant", "_variant IS NULL OR trim(_variant) = ''", "is empty: expected the variant's name", "_variant")]
    for i, c in enumerate(numeric):
        what = "users assigned to the variant" if c == "users" else f"users of the variant with {c}"
        raw, num = f"_raw{i}", f"_num{i}"
        checks += [
            (c, f"{raw} IS NULL OR trim({raw}) = ''", f"is empty: expected a whole number of {what}", raw),
            (c, f"{raw} IS NOT NULL AND trim({raw}) <> '' AND ({num} IS NULL OR NOT isfinite({num}))",
             f"is not a number: expected a whole number of {what}", raw),
            (c, f"isfinite({num}) AND {num} < 0", f"is negative: expected a whole number >= 0 of {what}", raw),
            (c, f"isfinite({num}) AND {num} <> floor({num})", f"is not a whole number: expected a count of {what}",
             raw),
            (c, f"isfinite({num}) AND {num} > 9e15", f"is too large: expected a count of {what} below 9e15", raw),
        ]
    for i, c in enumerate(numeric[1:], start=1):
        checks.append((c, f"isfinite(_num{i}) AND isfinite(_num0) AND _num{i} > _num0",
                       "exceeds users: successes cannot exceed the users of the variant", f"_raw{i} || ' > ' || _raw0"))
    parts = [f"count(*) FILTER (WHERE {cond}), arg_min({value}, _row) FILTER (WHERE {cond}), "
             f"min(_row) FILTER (WHERE {cond})" for _, cond, _, value in checks]
    row = con.execute("SELECT " + ", ".join(parts) + " FROM t").fetchone()
    for k, (col, _, message, _) in enumerate(checks):
        count, value, first = row[3 * k], row[3 * k + 1], row[3 * k + 2]
        if count:
            shown = "" if value is None or message.startswith("is empty") else f" ({_short(value)!r})"
            more = f" and {count - 1:,} more row(s)" if count > 1 else ""
            raise DataError(path, col, f"{_where(first, is_csv)}{more}: the value{shown} {message}")


def _validate_groups(con: duckdb.DuckDBPyConnection, path: Path, is_csv: bool, control: str, grouped: bool) -> None:
    """Per (experiment, look) group: each variant once, the control present, two variants or more."""
    by = "experiment and look" if grouped else "table"
    dup = con.execute(
        "SELECT _exp, _look, _variant, count(*) AS k, list(_row ORDER BY _row) AS rows, count(*) OVER () AS total "
        "FROM t GROUP BY ALL HAVING count(*) > 1 ORDER BY min(_row) LIMIT 1").fetchone()
    if dup:
        lines = " and ".join(_where(r, is_csv) for r in dup[4][:2])
        raise DataError(path, "variant", f"{_group_name(dup[0], dup[1])}: variant {_short(dup[2])!r} appears "
                                         f"{dup[3]} times ({lines}); expected one row per variant per {by}"
                                         + (f" ({dup[5] - 1:,} more such group(s))" if dup[5] > 1 else ""))
    bad = con.execute(
        f"SELECT _exp, _look, count(*) AS k, bool_or(_variant = {sql_literal(control)}) AS has_control, min(_row), "
        "count(*) OVER () AS total, list(_variant ORDER BY _row)[1:5] FROM t GROUP BY ALL "
        "HAVING NOT has_control OR count(*) < 2 ORDER BY min(_row) LIMIT 1").fetchone()
    if bad:
        more = f" ({bad[5] - 1:,} more such group(s))" if bad[5] > 1 else ""
        if not bad[3]:
            raise DataError(path, "variant", f"{_group_name(bad[0], bad[1])} (from {_where(bad[4], is_csv)}): the "
                                             f"control {_short(control)!r} is missing; the variants are "
                                             f"{_short(', '.join(bad[6]))}{more}")
        raise DataError(path, "variant", f"{_group_name(bad[0], bad[1])} (from {_where(bad[4], is_csv)}): only the "
                                         f"control: expected a control and at least one treatment{more}")


# --- groups -> results ------------------------------------------------------------------------

def analyze_counts_table(table: CountsTable, options: CountsOptions, default_experiment: str | None = None,
                         skip: Callable[[str | None, str | None], bool] | None = None, groups: range | None = None,
                         ) -> Iterator[tuple[str | None, str | None, ExperimentResult]]:
    """(experiment, look, result) per group, in the order the groups first appear in the file.

    With a ``look`` column, the users of the experiment's previous look (the previous group of
    the same experiment in the file) go to the rule as ``previous_users``, so a fixed-horizon
    design makes its efficacy/futility call once, at the first look with the planned sample.
    ``groups``: only these group indices.

    ``skip(experiment, look)``: groups for which it returns True are not analysed (e.g. later
    looks of an experiment a team has already stopped); it is asked just before each group, so
    it may depend on the results yielded so far.
    """
    names = [m.name for m in options.metrics]
    order = list(groups if groups is not None else range(table.n_groups))
    precomputed = _BlockComparisons(table, options, order)
    variants = table.variant.tolist()
    users = table.users.tolist()
    succ = {m: table.successes[m].tolist() for m in names}
    starts = table.starts.tolist()
    fallback = default_experiment or table.path.stem
    previous = table.previous_group.tolist() if table.previous_group is not None else None
    for position, g in enumerate(order):
        a, b = starts[g], starts[g + 1]
        exp, look = table.experiment[a], table.look[a]
        if skip is not None and skip(exp, look):
            continue
        vs = variants[a:b]
        us = users[a:b]
        assigned = dict(zip(vs, us))
        counts = {m: {v: ProportionCounts(u, s) for v, u, s in zip(vs, us, succ[m][a:b])} for m in names}
        prev_users = None
        if previous is not None and previous[g] >= 0:
            pa_, pb_ = starts[previous[g]], starts[previous[g] + 1]
            prev_users = dict(zip(variants[pa_:pb_], users[pa_:pb_]))
        yield exp, look, analyze_sufficient_counts(exp if exp is not None else fallback, assigned, counts, options,
                                                   previous_users=prev_users, comparisons=precomputed.get(position))


class _BlockComparisons:
    """Every treatment arm's comparison with its group's control, per metric, for blocks of
    ``block`` groups at a time (one :func:`compare_proportions_many` call per metric and block):
    the same objects :func:`compare_proportions` gives one by one, computed together."""

    def __init__(self, table: CountsTable, options: CountsOptions, order: Sequence[int], block: int = 4096):
        self.table, self.options, self.order, self.block = table, options, order, block
        self.first, self.cached = -1, []  # position of the cached block's first group, its groups' dicts
        sizes = np.diff(table.starts)
        self.group_of_row = np.repeat(np.arange(table.n_groups), sizes)
        self.is_control = table.variant == options.control
        control_rows = np.flatnonzero(self.is_control)  # validated: one control row per group
        self.control_row = np.full(table.n_groups, -1, dtype=np.int64)
        self.control_row[self.group_of_row[control_rows]] = control_rows

    def get(self, position: int) -> dict[tuple[str, str], Any]:
        start = position - position % self.block
        if start != self.first:
            self.first, self.cached = start, self._compute(self.order[start:start + self.block])
        return self.cached[position - start]

    def _compute(self, groups: Sequence[int]) -> list[dict[tuple[str, str], Any]]:
        from .stats.proportions import compare_proportions_many

        t = self.table
        g = np.asarray(groups, dtype=np.int64)
        starts, lengths = t.starts[g], t.starts[g + 1] - t.starts[g]
        slot = np.repeat(np.arange(len(g)), lengths)  # each row's place in ``groups``
        rows = np.arange(int(lengths.sum())) + np.repeat(starts - (np.cumsum(lengths) - lengths), lengths)
        treated = ~self.is_control[rows]
        rows, slot = rows[treated], slot[treated]
        control = self.control_row[self.group_of_row[rows]]
        out: list[dict[tuple[str, str], Any]] = [{} for _ in range(len(g))]
        if not rows.size:
            return out
        where = slot.tolist()
        variants = t.variant[rows].tolist()
        users_t, users_c = t.users[rows], t.users[control]
        for m in self.options.metrics:
            succ = t.successes[m.name]
            found = compare_proportions_many(succ[rows], users_t, succ[control], users_c, alpha=self.options.alpha)
            for k, v, cmp in zip(where, variants, found):
                out[k][(m.name, v)] = cmp
        return out


def _analyze_chunk(table: CountsTable, options: CountsOptions, first: int, last: int,
                   default_experiment: str | None, transform: Callable[..., Any] | None = None) -> list[Any]:
    """Groups ``first`` .. ``last - 1`` (a worker's share of :func:`analyze_counts_parallel`)."""
    groups = analyze_counts_table(table, options, default_experiment, groups=range(first, last))
    return [transform(*g) for g in groups] if transform is not None else list(groups)


def analyze_counts_parallel(table: CountsTable, options: CountsOptions, jobs: int, chunk_groups: int | None = None,
                            default_experiment: str | None = None, transform: Callable[..., Any] | None = None,
                            ) -> Iterator[Any]:
    """:func:`analyze_counts_table` over ``jobs`` processes, in chunks of groups; same results, same order.

    ``transform(experiment, look, result)`` (a module-level function, e.g. :func:`group_json_line`):
    yield what it returns instead of the tuple; with ``jobs`` > 1 it runs in the worker processes,
    so the results are rendered in parallel and only its (small) output crosses between processes.
    ``chunk_groups`` (default: a quarter of each process's share, 1,000 to 20,000 groups): groups
    per task; a table of no more groups than that is analysed in this process.
    """
    if chunk_groups is None:
        chunk_groups = max(1_000, min(20_000, -(-table.n_groups // (4 * max(1, jobs)))))
    if jobs <= 1 or table.n_groups <= chunk_groups:
        groups = analyze_counts_table(table, options, default_experiment)
        yield from (transform(*g) for g in groups) if transform is not None else groups
        return
    from concurrent.futures import ProcessPoolExecutor

    bounds = [(g, min(g + chunk_groups, table.n_groups)) for g in range(0, table.n_groups, chunk_groups)]
    with ProcessPoolExecutor(max_workers=jobs) as pool:
        futures = [pool.submit(_analyze_chunk, table, options, a, b, default_experiment or table.path.stem, transform)
                   for a, b in bounds]
        for f in futures:
            yield from f.result()


def analyze_counts_file(path: str | Path, options: CountsOptions, jobs: int = 1,
                        transform: Callable[..., Any] | None = None) -> Iterator[Any]:
    """Read, validate, then analyse every (experiment, look) group of a counts table."""
    return analyze_counts_parallel(read_counts_for(path, options), options, jobs, transform=transform)


def read_counts_for(path: str | Path, options: CountsOptions) -> CountsTable:
    """:func:`read_counts_table` with the options' metrics and control; every variant needs a share
    of ``options.weights`` when weights are given."""
    table = read_counts_table(path, [m.name for m in options.metrics], options.control)
    if options.weights is not None:
        missing = sorted(set(table.variant.tolist()) - set(options.weights))
        if missing:
            raise GuidelabError(f"--weights: no share for variant(s) {_short(', '.join(missing))} found in "
                                f"{table.path}; give every variant a share, e.g. a=0.2,b=0.8")
    return table


def group_record(experiment: str | None, look: str | None, result: ExperimentResult,
                 clean: bool = True) -> dict[str, Any]:
    """One JSON Lines record: ``experiment`` and ``look`` of the group, then the shape of ``analyze --json``.
    ``clean=False``: from :meth:`ExperimentResult.raw_dict` (not made strict-JSON safe)."""
    d = result.to_dict() if clean else result.raw_dict()
    d["experiment"] = experiment if experiment is not None else d["experiment"]
    return {"experiment": d.pop("experiment"), "look": look, **d}


#: ``json.dumps(..., ensure_ascii=False, allow_nan=False, separators=(",", ":"), default=raw_default)``
#: as one encoder: ``json.dumps`` with any option builds a new encoder per call (~15% of a line)
_LINE_ENCODER = json.JSONEncoder(ensure_ascii=False, allow_nan=False, separators=(",", ":"), default=raw_default)


def group_json_line(experiment: str | None, look: str | None, result: ExperimentResult) -> str:
    """:func:`group_record` as one line of JSON.

    The record's raw form is serialised directly when that gives the same bytes as the cleaned one
    (no NaN or infinity, which ``allow_nan=False`` refuses; dates written as ISO text as the
    cleaning writes them; tuples are lists in JSON either way; every key of these records is text);
    otherwise the cleaned record is. This skips a walk over every value.
    """
    raw = group_record(experiment, look, result, clean=False)
    try:
        return _LINE_ENCODER.encode(raw)
    except ValueError:  # NaN or infinity somewhere: the cleaning turns them into null
        pass
    return json.dumps(group_record(experiment, look, result), ensure_ascii=False, allow_nan=False,
                      separators=(",", ":"))
