"""The row ledger: for every table, the rows read, the rows used, and every row left out by reason.

Each source row gets one reason code (or none, when the metrics use it) in one SQL pass per
table, the first matching rule winning. The same classification feeds both the ledger and the
metrics: :func:`classify_rows` writes the temp tables ``ledger_<table>`` (every source row
plus ``_gl_reason``) and the views the metrics SQL reads (``exp_assigned``,
``exp_guide_events``, ``exp_guide_events_all``, ``exp_activity``, ``exp_activity_pre``,
``exp_user_attrs``), so what is counted and what is reported cannot drift. The reason codes
and the check thresholds are documented in ``data/README.md``.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from .serialize import ResultModel
from .catalog import GUIDE_EVENTS
from .errors import DataError
from .events import DataCheck, EventData
from .experiment import ExperimentSpec
from .values import sql_identifier, sql_literal

EXAMPLE_CHARS = 200
_VALUE_CHARS = 60

REASONS = (
    "missing_key", "missing_time", "other_experiment", "other_guide", "not_in_experiment", "exact_duplicate",
    "future", "before_assignment", "after_analysis_date", "unknown_variant", "multiple_arms", "repeated_assignment",
    "unknown_event", "out_of_range", "duplicate_user",
)
"""Every reason code, in the order the rules are applied (the first that matches a row wins)."""

IRRELEVANT = ("other_experiment", "other_guide", "not_in_experiment")
"""Rows that belong to something else (another experiment, guide or user): not a data problem."""

THRESHOLDS: dict[str, float] = {
    "exact_duplicate": 0.01,
    "future": 0.001,
    "before_assignment": 0.01,
    "out_of_range": 0.01,
    "unknown_event": 0.01,
    "missing_key": 0.01,
    "missing_time": 0.01,
    "duplicate_user": 0.01,
}
"""Share of a table's rows of this experiment (rows read minus :data:`IRRELEVANT` ones) above
which a reason fails its check (verdict INVESTIGATE); at or below it the check is a warning."""

WARN_ONLY = ("after_analysis_date",)
"""Reasons flagged as a warning whatever their share."""

_CHECKED_ELSEWHERE = {("activity", "before_assignment"),  # activity before assignment is normal
                      ("assignments", "missing_key")}     # the missing_user_ids and unknown_variants checks


@dataclass(frozen=True)
class LeftOut(ResultModel):
    """Rows of one table left out for one reason: a code, how many, and one example (≤ 200 chars)."""

    reason: str
    rows: int
    example: str | None = None


@dataclass(frozen=True)
class TableLedger(ResultModel):
    """One table: ``rows_read == rows_used + sum(left_out.rows)`` always holds."""

    table: str
    source: str
    rows_read: int
    rows_used: int
    left_out: tuple[LeftOut, ...] = ()

    def __post_init__(self) -> None:
        if self.rows_read != self.rows_used + sum(x.rows for x in self.left_out):
            raise ValueError(f"ledger of {self.table}: {self.rows_read} rows read != {self.rows_used} used + "
                             f"{sum(x.rows for x in self.left_out)} left out")

    def rows(self, reason: str) -> int:
        return sum(x.rows for x in self.left_out if x.reason == reason)

    @property
    def relevant_rows(self) -> int:
        """Rows of this experiment: rows read minus those of other experiments, guides or users."""
        return self.rows_read - sum(self.rows(r) for r in IRRELEVANT)


@dataclass(frozen=True)
class RowLedger(ResultModel):
    """The ledger of every table read for one analysis."""

    tables: tuple[TableLedger, ...]

    def table(self, name: str) -> TableLedger | None:
        return next((t for t in self.tables if t.table == name), None)


# --- SQL -----------------------------------------------------------------------------------

def _columns(ed: EventData, table: str) -> list[str]:
    return [r[0] for r in ed.con.execute(f"DESCRIBE {table}").fetchall()]


def _example_sql(cols: list[str], alias: str = "") -> str:
    """A row as text, ``user_id=42, timestamp=...``, each value cut to 60 characters."""
    parts = [f"{sql_literal(c + '=')} || coalesce(left(CAST({alias}{sql_identifier(c)} AS VARCHAR), {_VALUE_CHARS}), 'NULL')"
             for c in cols]
    return "concat_ws(', ', " + ", ".join(parts) + ")"


def _whole_number(expr: str) -> str:
    """SQL: ``expr`` (any type) as a DOUBLE when it is a whole number, else NULL."""
    d = f"TRY_CAST(trim(CAST({expr} AS VARCHAR)) AS DOUBLE)"
    return f"(CASE WHEN {d} = floor({d}) THEN {d} END)"


def _case(rules: list[tuple[str, str]]) -> str:
    return "CASE " + " ".join(f"WHEN {cond} THEN {sql_literal(reason)}" for reason, cond in rules) + " END"


def now_end_utc(spec: ExperimentSpec, today: dt.date) -> dt.datetime:
    """The instant ``today`` ends in the spec's zone: rows dated at or after it are in the future."""
    return dt.datetime.combine(today + dt.timedelta(days=1), dt.time(), tzinfo=spec.tz).astimezone(dt.timezone.utc)


def local_today(spec: ExperimentSpec) -> dt.date:
    return dt.datetime.now(spec.tz).date()


def require_assignments(ed: EventData, spec: ExperimentSpec) -> None:
    """A clear error when the assignments table has no row of this experiment."""
    n, = ed.con.execute("SELECT count(*) FROM assignments WHERE experiment = $e", {"e": spec.id}).fetchone()
    if n:
        return
    found = [r[0] for r in ed.con.execute(
        "SELECT DISTINCT left(experiment, 60) FROM assignments WHERE experiment IS NOT NULL ORDER BY 1 LIMIT 6"
    ).fetchall()]
    seen = ", ".join(repr(e) for e in found[:5]) + (", ..." if len(found) > 5 else "")
    src = ed.sources.get("assignments", ed.data_dir / "assignments")
    raise DataError(src, "experiment", f"no assignment rows for experiment {spec.id!r}: "
                                       + (f"the table holds {seen}" if found else "the table is empty"))


def classify_rows(ed: EventData, spec: ExperimentSpec, as_of_end: dt.datetime, now_end: dt.datetime) -> None:
    """Give every source row a reason code (NULL = used) and create the views the metrics read.

    ``as_of_end``: the instant the analysis date ends; ``now_end``: the instant today ends
    (rows at or after it are dated in the future).
    """
    from .metrics import event_map_sql

    params = {"exp": spec.id, "end": as_of_end, "now": now_end, "tz": spec.timezone}

    def run(sql: str, _: Any = None) -> None:  # DuckDB refuses parameters a statement does not use
        ed.con.execute(sql, {k: v for k, v in params.items() if f"${k}" in sql})

    class _Con:
        execute = staticmethod(run)
    con = _Con()
    variants_sql = ", ".join(sql_literal(k) for k in spec.variant_keys)
    guides_sql = ", ".join(sql_literal(g.id) for g in spec.guides) or "NULL"

    # assignments: one used row per user (the first of a single arm)
    cols = _columns(ed, "assignments")
    part = ", ".join(sql_identifier(c) for c in cols)
    con.execute(f"""
        CREATE OR REPLACE TEMP TABLE ledger_assignments AS
        WITH r AS (SELECT *, row_number() OVER (PARTITION BY {part}) AS _gl_dup FROM assignments),
        c AS (SELECT * EXCLUDE (_gl_dup), {_case([
            ("missing_key", "experiment IS NULL"),
            ("other_experiment", "experiment <> $exp"),
            ("missing_key", "user_id IS NULL OR variant IS NULL"),
            ("missing_time", "assigned_at IS NULL"),
            ("exact_duplicate", "_gl_dup > 1"),
            ("future", "assigned_at >= $now"),
            ("after_analysis_date", "assigned_at >= $end"),
            ("unknown_variant", f"variant NOT IN ({variants_sql})"),
        ])} AS _gl_reason FROM r),
        arms AS (SELECT user_id, count(DISTINCT variant) AS n FROM c WHERE _gl_reason IS NULL GROUP BY user_id)
        SELECT c.* EXCLUDE (_gl_reason), CASE
            WHEN c._gl_reason IS NOT NULL THEN c._gl_reason
            WHEN arms.n > 1 THEN 'multiple_arms'
            WHEN row_number() OVER (PARTITION BY c.user_id, c._gl_reason IS NULL
                                    ORDER BY c.assigned_at, {", ".join("c." + sql_identifier(x) for x in cols)}) > 1
                 THEN 'repeated_assignment' END AS _gl_reason
        FROM c LEFT JOIN arms ON c._gl_reason IS NULL AND arms.user_id = c.user_id""", params)
    con.execute("""
        CREATE OR REPLACE TEMP TABLE exp_assigned AS
        SELECT user_id, variant, assigned_at, CAST(timezone($tz, assigned_at) AS DATE) AS assigned_day
        FROM ledger_assignments WHERE _gl_reason IS NULL""", {"tz": spec.timezone})

    # guide_events: this experiment's guides after assignment (and other guides' 'shown' events
    # within the over-exposure period when that metric is measured)
    cols = _columns(ed, "guide_events")
    part = ", ".join("r." + sql_identifier(c) for c in cols)
    ev = event_map_sql(spec, "r.event")
    ox = spec.over_exposure
    over_exposure = any(m.reads_other_guides for m, _ in spec.metric_defs())
    ox_used = (f"({ev} = 'shown' AND a.user_id IS NOT NULL AND r.timestamp >= a.assigned_at "
               f"AND datediff('day', a.assigned_day, CAST(timezone($tz, r.timestamp) AS DATE)) < {int(ox.period_days)})"
               if over_exposure else "FALSE")
    out_of_range = []
    if "step" in cols:
        out_of_range.append(f"(r.step IS NOT NULL AND coalesce({_whole_number('r.step')} < 1, TRUE))")
    if "value" in cols:
        for g in spec.guides:
            scales = [s.question.scale for s in g.steps if getattr(s, "question", None) is not None and s.question.scale]
            if str(getattr(g.type, "value", g.type)) != "survey" or not scales:
                continue
            lo, hi = scales[0]
            out_of_range.append(f"(r.guide_id = {sql_literal(g.id)} AND {ev} = 'answered' AND r.value IS NOT NULL AND "
                                f"coalesce({_whole_number('r.value')} NOT BETWEEN {int(lo)} AND {int(hi)}, TRUE))")
    events_sql = ", ".join(sql_literal(e) for e in GUIDE_EVENTS)
    con.execute(f"""
        CREATE OR REPLACE TEMP TABLE ledger_guide_events AS
        WITH r AS (SELECT *, row_number() OVER (PARTITION BY {", ".join(sql_identifier(c) for c in cols)}) AS _gl_dup
                   FROM guide_events)
        SELECT r.* EXCLUDE (_gl_dup), r.guide_id IN ({guides_sql}) AS _gl_own, {_case([
            ("missing_key", "r.user_id IS NULL OR r.guide_id IS NULL OR r.event IS NULL"),
            ("missing_time", "r.timestamp IS NULL"),
            ("other_guide", f"r.guide_id NOT IN ({guides_sql}) AND NOT {ox_used}"),
            ("not_in_experiment", "a.user_id IS NULL"),
            ("exact_duplicate", "r._gl_dup > 1"),
            ("future", "r.timestamp >= $now"),
            ("before_assignment", "r.timestamp < a.assigned_at"),
            ("after_analysis_date", "r.timestamp >= $end"),
            ("unknown_event", f"r.guide_id IN ({guides_sql}) AND {ev} NOT IN ({events_sql})"),
            ("out_of_range", " OR ".join(out_of_range) or "FALSE"),
        ])} AS _gl_reason
        FROM r LEFT JOIN exp_assigned a USING (user_id)""", params)
    con.execute("CREATE OR REPLACE TEMP VIEW exp_guide_events_all AS "
                "SELECT * EXCLUDE (_gl_reason, _gl_own) FROM ledger_guide_events WHERE _gl_reason IS NULL")
    con.execute("CREATE OR REPLACE TEMP VIEW exp_guide_events AS "
                "SELECT * EXCLUDE (_gl_reason, _gl_own) FROM ledger_guide_events WHERE _gl_reason IS NULL AND _gl_own")

    # activity: after assignment, and the CUPED pre-period when CUPED is on
    cols = _columns(ed, "activity")
    lookback = int(spec.statistics.cuped_lookback_days)
    pre_used = (f"(CAST(timezone($tz, r.timestamp) AS DATE) >= a.assigned_day - INTERVAL {lookback} DAY "
                "AND CAST(timezone($tz, r.timestamp) AS DATE) < a.assigned_day)" if spec.statistics.cuped else "FALSE")
    con.execute(f"""
        CREATE OR REPLACE TEMP TABLE ledger_activity AS
        WITH r AS (SELECT *, row_number() OVER (PARTITION BY {", ".join(sql_identifier(c) for c in cols)}) AS _gl_dup
                   FROM activity)
        SELECT r.* EXCLUDE (_gl_dup), r.timestamp < a.assigned_at AS _gl_pre, {_case([
            ("missing_key", "r.user_id IS NULL"),
            ("missing_time", "r.timestamp IS NULL"),
            ("not_in_experiment", "a.user_id IS NULL"),
            ("exact_duplicate", "r._gl_dup > 1"),
            ("future", "r.timestamp >= $now"),
            ("before_assignment", f"r.timestamp < a.assigned_at AND NOT {pre_used}"),
            ("after_analysis_date", "r.timestamp >= $end"),
        ])} AS _gl_reason
        FROM r LEFT JOIN exp_assigned a USING (user_id)""", params)
    con.execute("CREATE OR REPLACE TEMP VIEW exp_activity AS SELECT * EXCLUDE (_gl_reason, _gl_pre) "
                "FROM ledger_activity WHERE _gl_reason IS NULL AND NOT _gl_pre")
    con.execute("CREATE OR REPLACE TEMP VIEW exp_activity_pre AS SELECT * EXCLUDE (_gl_reason, _gl_pre) "
                "FROM ledger_activity WHERE _gl_reason IS NULL AND _gl_pre")

    # users: one row per assigned user (the first by its values when a user has several)
    if ed.has("users"):
        cols = _columns(ed, "users")
        order = ", ".join(sql_identifier(c) for c in cols)
        con.execute(f"""
            CREATE OR REPLACE TEMP TABLE ledger_users AS
            WITH r AS (SELECT *, row_number() OVER (PARTITION BY {order}) AS _gl_dup FROM users),
            s AS (SELECT *, row_number() OVER (PARTITION BY user_id, _gl_dup > 1 ORDER BY {order}) AS _gl_rank FROM r)
            SELECT s.* EXCLUDE (_gl_dup, _gl_rank), {_case([
                ("missing_key", "s.user_id IS NULL"),
                ("not_in_experiment", "a.user_id IS NULL"),
                ("exact_duplicate", "s._gl_dup > 1"),
                ("duplicate_user", "s._gl_rank > 1"),
            ])} AS _gl_reason
            FROM s LEFT JOIN exp_assigned a USING (user_id)""")
        con.execute("CREATE OR REPLACE TEMP VIEW exp_user_attrs AS SELECT * EXCLUDE (_gl_reason) "
                    "FROM ledger_users WHERE _gl_reason IS NULL")


LEDGER_TABLES = ("assignments", "guide_events", "activity", "users")


def row_ledger(ed: EventData) -> RowLedger:
    """Count the classified rows of every table by reason (run after :func:`classify_rows`)."""
    tables = []
    for name in LEDGER_TABLES:
        if not ed.has(name):
            continue
        cols = [c for c in _columns(ed, name)]
        rows = ed.con.execute(
            f"SELECT _gl_reason, count(*), min({_example_sql(cols)}) FILTER (WHERE _gl_reason IS NOT NULL) "
            f"FROM ledger_{name} GROUP BY 1").fetchall()
        # the source's own row count (read by guidelab.events) when known: the invariant then
        # proves that the classification neither lost nor doubled a row
        read = ed.row_counts.get(name, sum(int(n) for _, n, _ in rows)) if hasattr(ed, "row_counts") else \
            sum(int(n) for _, n, _ in rows)
        used = sum(int(n) for r, n, _ in rows if r is None)
        order = {r: i for i, r in enumerate(REASONS)}
        left = tuple(LeftOut(r, int(n), _bounded(ex)) for r, n, ex in sorted(
            (x for x in rows if x[0] is not None), key=lambda x: order.get(x[0], len(order))))
        tables.append(TableLedger(name, str(ed.sources[name]), read, used, left))
    return RowLedger(tuple(tables))


def _bounded(text: str | None) -> str | None:
    if text is None or len(text) <= EXAMPLE_CHARS:
        return text
    return text[:EXAMPLE_CHARS - 1] + "…"


def ledger_checks(ledger: RowLedger) -> list[DataCheck]:
    """Data checks from the ledger: fail past :data:`THRESHOLDS`, warn below (see data/README.md)."""
    checks = []
    for tl in ledger.tables:
        base = max(tl.relevant_rows, 1)
        for x in tl.left_out:
            if x.reason in WARN_ONLY:
                checks.append(DataCheck.of("rows_" + x.reason, False, "warn", table=tl.table, n=x.rows))
                continue
            limit = THRESHOLDS.get(x.reason)
            if limit is None or (tl.table, x.reason) in _CHECKED_ELSEWHERE:
                continue
            share = x.rows / base
            checks.append(DataCheck.of("rows_" + x.reason, False, "fail" if share > limit else "warn",
                                       table=tl.table, n=x.rows, share=share, threshold=limit))
    return checks
