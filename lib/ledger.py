"""The row ledger: for every table, the rows read, the rows used, and every row left out by reason.

Each source row gets one reason code (or none, when the metrics use it), the first matching rule
winning. The same classification feeds both the ledger and the metrics: :func:`classify_rows`
writes the temp tables ``ledger_assignments`` and ``ledger_users`` (every source row plus
``_gl_reason``) and, for the two large tables, one aggregate each that is both the ledger's
count and the metrics' reduction: ``ledger_activity_users`` (per reason left out, and per user
used: rows, active days as bitmaps, pre-period days, first goal/support day, the registry's
activity columns; :func:`classify_activity`) and ``ledger_guide_user`` (per reason left out, and
per user and guide used). What the metrics SQL reads: ``exp_assigned`` (with a dense integer user
key ``uk``), ``exp_activity_users``, ``exp_guide_user``, ``exp_user_attrs``. The per-row
classifications of activity and guide events stay views (``ledger_activity``,
``ledger_guide_events``; ``exp_activity``, ``exp_activity_pre``, ``exp_guide_events``,
``exp_guide_events_all``) with the same reasons, so what is counted and what is reported cannot
drift. Exact duplicates of activity and guide events are found by a hash of every column,
compared exactly where a hash repeats (:func:`build_exact_copies`), not by a window over whole
tables; those of assignments and users (one row per user: small) by one sort of each user's rows
by every column, which also gives the ``multiple_arms``, ``repeated_assignment`` and
``duplicate_user`` rules. Beyond 20M source rows the guide events per user and ``exp_users`` are
built in user partitions (:func:`create_by_user_partition`). The reason codes and
the check thresholds are documented in ``data/README.md``. Local days come from
:func:`local_day_sql` (no per-row time-zone lookup, none inside a join condition).
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any, Callable, Mapping

from . import daybits
from .catalog import GUIDE_EVENTS
from .errors import DataError
from .events import SMALL_DATA_ROWS, DataCheck, EventData
from .experiment import ExperimentSpec
from .serialize import ResultModel
from .values import sql_identifier, sql_literal

EXAMPLE_CHARS = 200
_VALUE_CHARS = 60

REASONS = (
    "missing_key", "missing_time", "other_experiment", "other_guide", "not_in_experiment", "exact_duplicate",
    "future", "before_assignment", "after_analysis_date", "unknown_variant", "multiple_arms", "repeated_assignment",
    "unknown_event", "out_of_range", "duplicate_user", "missing_unit",
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
    "missing_unit": 0.01,
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


_INTEGER_TYPES = frozenset({"TINYINT", "SMALLINT", "INTEGER", "BIGINT", "HUGEINT", "UTINYINT", "USMALLINT",
                            "UINTEGER", "UBIGINT", "UHUGEINT", "INT", "BYTE", "SHORT", "LONG"})
"""Integer column types, as DuckDB's and Spark's ``DESCRIBE`` write them (upper-cased)."""


def _whole_number(expr: str, sql_type: str = "VARCHAR") -> str:
    """SQL: ``expr`` as a DOUBLE when it is a whole number, else NULL. ``sql_type``: the column's
    type from ``DESCRIBE``. An integer column is cast once; any other type goes through its text
    (trimmed, read as a number, tested against its floor), which at 2.4M guide events cost three
    casts to text and back a row (1M users: the guide rows statement 1.56 -> ~1.3 CPU-s)."""
    if sql_type.strip().upper() in _INTEGER_TYPES:
        return f"CAST({expr} AS DOUBLE)"
    d = f"TRY_CAST(trim(CAST({expr} AS VARCHAR)) AS DOUBLE)"
    return f"(CASE WHEN {d} = floor({d}) THEN {d} END)"


def _case(rules: list[tuple[str, str]]) -> str:
    return "CASE " + " ".join(f"WHEN {cond} THEN {sql_literal(reason)}" for reason, cond in rules) + " END"


def _case_codes(rules: list[tuple[str, str]]) -> str:
    """:func:`_case` with each reason as its code, ``-1 - position in REASONS`` (an integer group
    key beside the positive user keys; :func:`_reason_of_code` reads it back)."""
    return "CASE " + " ".join(f"WHEN {cond} THEN {-1 - REASONS.index(reason)}" for reason, cond in rules) + " END"


def _reason_of_code(key: str) -> str:
    """SQL: the reason of a key of :func:`_case_codes` (NULL for a user key)."""
    return f"CASE {key} " + " ".join(f"WHEN {-1 - i} THEN {sql_literal(r)}" for i, r in enumerate(REASONS)) + " END"


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


_BUCKET_US = 900_000_000
"""15 minutes in microseconds: every UTC offset in use is a multiple of it, and zones change
offset at whole minutes, so a zone's offset is checked at the start and end of these buckets."""

MAX_OFFSET_RUNS = 64
MAX_BUCKETS = 400_000


def local_day_sql(ed: EventData, table: str, column: str, timezone: str) -> str:
    """SQL for the local date (in ``timezone``) of ``table.column``, cheap per row.

    ``CAST(timezone(tz, ts) AS DATE)`` asks ICU for every row (seconds per 10M rows). The zone's
    UTC offset is instead read once per 15-minute bucket over the column's range (from ICU, so
    the days are the same as ICU's); over that range the offset changes a few times (DST), so
    each row's day is its UTC instant plus the offset of its stretch, in integer arithmetic.
    Falls back to ICU per row when an offset changes inside a bucket, the range holds more
    than :data:`MAX_OFFSET_RUNS` stretches or spans more than :data:`MAX_BUCKETS` buckets
    (about 11 years).
    """
    con = ed.con
    q = sql_identifier(column)
    ts = f"epoch_us({q})"
    exact = f"CAST(timezone({sql_literal(timezone)}, {q}) AS DATE)"
    # min and max of the column itself, not of epoch_us per row (the same instants): DuckDB then
    # reads them from Parquet's row-group statistics instead of scanning (10M-user export:
    # activity 1.63 -> 0.002 s)
    lo, hi = con.execute(f"SELECT epoch_us(min({q})), epoch_us(max({q})) FROM {table}").fetchone()
    if lo is None:
        return exact
    first = lo - lo % _BUCKET_US
    if (hi - first) // _BUCKET_US > MAX_BUCKETS:  # data over more than ~11 years: ICU per row
        return exact
    runs = con.execute(
        f"""WITH b AS (SELECT range AS b FROM range({first}, {hi + 1}, {_BUCKET_US})),
            o AS (SELECT b, epoch_us(timezone($tz, make_timestamptz(b))) - b AS o0,
                         epoch_us(timezone($tz, make_timestamptz(b + {_BUCKET_US - 1}))) - b - {_BUCKET_US - 1} AS o1
                  FROM b),
            r AS (SELECT b, o0, o1, lag(o0) OVER (ORDER BY b) AS prev FROM o)
            SELECT b, o0, o1 FROM r WHERE prev IS NULL OR prev <> o0 OR o0 <> o1 ORDER BY b""",
        {"tz": timezone}).fetchall()
    if len(runs) > MAX_OFFSET_RUNS or any(o0 != o1 for _, o0, o1 in runs):
        return exact
    cases = " ".join(f"WHEN {ts} < {int(runs[i + 1][0])} THEN {int(runs[i][1])}" for i in range(len(runs) - 1))
    offset = f"(CASE {cases} ELSE {int(runs[-1][1])} END)" if cases else f"{int(runs[0][1])}"
    return f"CAST(make_timestamp({ts} + {offset}) AS DATE)"


def classify_rows(ed: EventData, spec: ExperimentSpec, as_of_end: dt.datetime, now_end: dt.datetime,
                  activity_columns: Mapping[str, str] | None = None) -> None:
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
    unit = unit_source_sql(ed, spec, cols)
    # One sort: a user's rows ordered by (assigned_at, every column). Identical rows are peers,
    # so the copies are the peers after the first (row_number > rank: what a window over every
    # column gives). A row passing the per-row rules is "ok"; ok rows are identical to their
    # first copy, which is used unless the user's ok rows hold two arms (multiple_arms) or an
    # ok row comes earlier (repeated_assignment: ok rows in earlier peer groups, i.e. up to the
    # row's peers (the default RANGE frame) less its own peers). No tie order matters. Only the
    # users on several rows go through the windows (at 1M users: 1.3-1.5 -> 0.5-0.65 CPU-s).
    row_rules = [
        ("missing_key", "experiment IS NULL"),
        ("other_experiment", "experiment <> $exp"),
        ("missing_key", "user_id IS NULL OR variant IS NULL"),
        ("missing_time", "assigned_at IS NULL"),
        ("future", "assigned_at >= $now"),
        ("after_analysis_date", "assigned_at >= $end"),
        ("unknown_variant", f"variant NOT IN ({variants_sql})"),
        *unit.rules,
    ]
    w = f"PARTITION BY user_id ORDER BY assigned_at, {part}"
    # the users on several rows, by the hashes of their ids that repeat (a numpy sort on DuckDB,
    # instead of a GROUP BY of every id: 1M ids, ~0.1 against ~0.3 s); an id whose hash merely
    # collides goes through the windows too, which give a user on one row what the shortcut does
    repeated = "ledger_assignments_repeated_keys"
    ed.con.create_repeated_hashes(repeated, "SELECT hash(user_id) AS _gl_h FROM assignments")
    con.execute(f"""
        CREATE OR REPLACE TEMP TABLE ledger_assignments AS
        WITH r AS (SELECT *{unit.column} FROM assignments{unit.join}),
        c AS (SELECT *, {_case(row_rules[:4])} AS _gl_key_reason, {_case(row_rules[4:])} AS _gl_row_reason FROM r),
        o AS (SELECT *, CASE WHEN _gl_key_reason IS NULL AND _gl_row_reason IS NULL THEN 1 ELSE 0 END AS _gl_ok FROM c),
        s AS (SELECT o.*, k._gl_h IS NULL AS _gl_single FROM o LEFT JOIN {repeated} k ON k._gl_h = hash(o.user_id)),
        n AS (SELECT *, row_number() OVER ({w}) AS _gl_row, rank() OVER ({w}) AS _gl_first,
                     count(*) OVER ({w}) AS _gl_last, sum(_gl_ok) OVER ({w}) AS _gl_ok_upto,
                     min(CASE WHEN _gl_ok = 1 THEN variant END) OVER (PARTITION BY user_id) AS _gl_arm_lo,
                     max(CASE WHEN _gl_ok = 1 THEN variant END) OVER (PARTITION BY user_id) AS _gl_arm_hi
              FROM s WHERE NOT _gl_single)
        -- a user on one row (almost every user): no copy, no second arm, no earlier row, so no window
        SELECT s.* EXCLUDE (_gl_key_reason, _gl_row_reason, _gl_ok, _gl_single{unit.exclude}),
               coalesce(_gl_key_reason, _gl_row_reason) AS _gl_reason
        FROM s WHERE _gl_single
        UNION ALL
        SELECT n.* EXCLUDE (_gl_key_reason, _gl_row_reason, _gl_ok, _gl_single, _gl_row, _gl_first, _gl_last, _gl_ok_upto,
                            _gl_arm_lo, _gl_arm_hi{unit.exclude}), CASE
            WHEN _gl_key_reason IS NOT NULL THEN _gl_key_reason
            WHEN _gl_row > _gl_first THEN 'exact_duplicate'
            WHEN _gl_row_reason IS NOT NULL THEN _gl_row_reason
            WHEN _gl_arm_lo <> _gl_arm_hi THEN 'multiple_arms'
            WHEN _gl_ok_upto - (_gl_last - _gl_first + 1) > 0 THEN 'repeated_assignment' END AS _gl_reason
        FROM n""", params)
    ed.con.drop_temp_table(repeated)
    # uk: a dense integer key per assigned user, so the per-user reductions join and group on
    # integers instead of the text ids (numbered in user_id order: deterministic)
    con.execute(f"""
        CREATE OR REPLACE TEMP TABLE exp_assigned AS
        SELECT CAST(row_number() OVER (ORDER BY user_id) AS INTEGER) AS uk, user_id, variant, assigned_at,
               {local_day_sql(ed, "assignments", "assigned_at", spec.timezone)} AS assigned_day{unit.assigned}
        FROM ledger_assignments WHERE _gl_reason IS NULL""")

    # guide_events: this experiment's guides after assignment (and other guides' 'shown' events
    # within the over-exposure period when that metric is measured)
    types = dict(ed.con.describe("guide_events"))
    cols = list(types)
    part = ", ".join("r." + sql_identifier(c) for c in cols)
    ev = event_map_sql(spec, "r.event")
    ox = spec.over_exposure
    over_exposure = any(m.reads_other_guides for m, _ in spec.metric_defs())
    ox_used = (f"({ev} = 'shown' AND a.uk IS NOT NULL AND r.timestamp >= a.assigned_at "
               f"AND datediff('day', a.assigned_day, r._gl_day) < {int(ox.period_days)})"
               if over_exposure else "FALSE")
    out_of_range = []
    if "step" in cols:
        out_of_range.append(f"(r.step IS NOT NULL AND coalesce({_whole_number('r.step', types['step'])} < 1, TRUE))")
    if "value" in cols:
        for g in spec.guides:
            scales = [s.question.scale for s in g.steps if getattr(s, "question", None) is not None and s.question.scale]
            if g.type != "survey" or not scales:
                continue
            lo, hi = scales[0]
            out_of_range.append(f"(r.guide_id = {sql_literal(g.id)} AND {ev} = 'answered' AND r.value IS NOT NULL AND "
                                f"coalesce({_whole_number('r.value', types['value'])} NOT BETWEEN {int(lo)} AND {int(hi)}, TRUE))")
    events_sql = ", ".join(sql_literal(e) for e in GUIDE_EVENTS)
    instants = {"$now": f"TIMESTAMPTZ {sql_literal(now_end.isoformat())}",
                "$end": f"TIMESTAMPTZ {sql_literal(as_of_end.isoformat())}"}

    def guide_rules(duplicate: str, codes: bool = False) -> str:
        rule_list = [
            ("missing_key", "r.user_id IS NULL OR r.guide_id IS NULL OR r.event IS NULL"),
            ("missing_time", "r.timestamp IS NULL"),
            ("other_guide", f"r.guide_id NOT IN ({guides_sql}) AND NOT {ox_used}"),
            ("not_in_experiment", "a.uk IS NULL"),
            ("exact_duplicate", duplicate),
            ("future", "r.timestamp >= $now"),
            ("before_assignment", "r.timestamp < a.assigned_at"),
            ("after_analysis_date", "r.timestamp >= $end"),
            ("unknown_event", f"r.guide_id IN ({guides_sql}) AND {ev} NOT IN ({events_sql})"),
            ("out_of_range", " OR ".join(out_of_range) or "FALSE"),
        ]
        sql = _case_codes(rule_list) if codes else _case(rule_list)
        for name, value in instants.items():
            sql = sql.replace(name, value)
        return sql

    day_sql = local_day_sql(ed, "guide_events", "timestamp", spec.timezone)
    # the per-row classification, a view (the survey scores and inspection read it)
    con.execute(f"""
        CREATE OR REPLACE TEMP VIEW ledger_guide_events AS
        WITH r AS (SELECT *, row_number() OVER (PARTITION BY {", ".join(sql_identifier(c) for c in cols)}) AS _gl_dup,
                          {day_sql} AS _gl_day
                   FROM guide_events)
        SELECT r.* EXCLUDE (_gl_dup), r.guide_id IN ({guides_sql}) AS _gl_own, a.uk AS _gl_uk,
               {guide_rules("r._gl_dup > 1")} AS _gl_reason
        FROM r LEFT JOIN exp_assigned a USING (user_id)""")
    # what is stored: one aggregate, per reason left out and, for the rows used, per user and guide
    # (exp_guide_user: the guide event flags, impressions, clicks, the last step shown, the
    # first shown and completed instants, shown within the over-exposure period); the same
    # reasons as the view (exact duplicates from build_exact_copies, no window)
    copies = build_exact_copies(ed, "guide_events", cols)
    has_step = "step" in cols
    flags = ", ".join(f"((g._gl_flags >> {i}) & 1) = 1 AS {x}" for i, x in enumerate(GUIDE_EVENTS))
    shown, clicked, completed = (GUIDE_EVENTS.index(x) for x in ("shown", "clicked", "completed"))
    # a used row's guide as a small integer: this experiment's i-th guide i, another guide -1 with
    # its id in _gl_other_guide (used only with the over-exposure metric; NULL otherwise): the
    # aggregate below groups on integers (1M users: the statement ~15% faster than on the text id)
    codes = [(i, sql_literal(g.id)) for i, g in enumerate(spec.guides)]
    guide_code = (f"CAST(CASE c.guide_id {' '.join(f'WHEN {g} THEN {i}' for i, g in codes)} ELSE -1 END AS SMALLINT)"
                  if codes else "CAST(-1 AS SMALLINT)")
    other_guide = (f"CASE WHEN c._gl_code IS NULL AND c.guide_id NOT IN ({guides_sql}) THEN c.guide_id END"
                   if over_exposure else "CAST(NULL AS VARCHAR)")
    guide_id = (f"CASE g._gl_guide {' '.join(f'WHEN {i} THEN {g}' for i, g in codes)} ELSE g._gl_other_guide END"
                if codes else "g._gl_other_guide")
    con.execute(f"""
        CREATE OR REPLACE TEMP TABLE ledger_guide_rows AS
        WITH r AS (SELECT *, {day_sql} AS _gl_day FROM ({deduplicated_sql("guide_events", cols, copies)})),
        c AS (
            SELECT r.*, a.uk AS _gl_uk, a.assigned_day, {guide_rules("r._gl_copy", codes=True)} AS _gl_code
            FROM r LEFT JOIN exp_assigned a USING (user_id)),
        e AS (
            SELECT coalesce(c._gl_code, c._gl_uk) AS _gl_key,
                   CASE WHEN c._gl_code IS NULL THEN {guide_code} END AS _gl_guide, {other_guide} AS _gl_other_guide,
                   CAST(c._gl_n AS INTEGER) AS _gl_n, CASE WHEN c._gl_code IS NOT NULL THEN {_example_sql(cols, "c.")} END AS _gl_example,
                   c.timestamp,
                   CAST({event_code_sql(event_map_sql(spec, "c.event"))} AS TINYINT) AS ev,
                   {"TRY_CAST(c.step AS INTEGER)" if has_step else "CAST(NULL AS INTEGER)"} AS raw_step,
                   CAST(datediff('day', c.assigned_day, c._gl_day) AS INTEGER) AS day
            FROM c)  -- narrow: at 10M users these rows spill to disk (the step counted as shown is coalesce(raw_step, 1))
        SELECT * FROM e""")
    # the aggregate in its own statement: at 10M users the join's hash table (every assigned
    # user) and the aggregate's (a row per user and guide) do not fit the memory limit together.
    # The rows used, per user and guide, carry no example text (a text aggregate state per group:
    # ~10% of the statement at 1M users, and memory at 10M); the rows left out, per reason, are
    # their own branch (with the first partition), read from the same table.
    def guide_user_of(part: UserPart) -> str:
        used = f"""
        WITH g AS (
            SELECT _gl_key, _gl_guide, _gl_other_guide, CAST(sum(e._gl_n) AS BIGINT) AS _gl_events,
                   bit_or(CAST(1 AS INTEGER) << e.ev) AS _gl_flags,
                   count_if(e.ev = {shown} AND coalesce(e.raw_step, 1) = 1) AS shown_n, count_if(e.ev = {clicked}) AS clicked_n,
                   max(e.raw_step) FILTER (WHERE e.ev = {shown}) AS max_shown_step,
                   min(e.timestamp) FILTER (WHERE e.ev = {shown}) AS first_shown,
                   min(e.timestamp) FILTER (WHERE e.ev = {completed}) AS first_completed,
                   bool_or(e.ev = {shown} AND e.day < {int(spec.over_exposure.period_days)}) AS shown_in_period
            FROM ledger_guide_rows e WHERE e._gl_key > 0{part.and_("e._gl_key")} GROUP BY _gl_key, _gl_guide, _gl_other_guide)
        SELECT CAST(NULL AS VARCHAR) AS _gl_reason, g._gl_key AS uk, {guide_id} AS guide_id, g._gl_events,
               CAST(NULL AS VARCHAR) AS _gl_example, g._gl_guide >= 0 AS own, {flags}, g.shown_n, g.clicked_n,
               g.max_shown_step, g.first_shown, g.first_completed, g.shown_in_period, g._gl_flags
        FROM g"""
        if part.index:
            return used
        return used + f"""
        UNION ALL
        SELECT {_reason_of_code("e._gl_key")}, NULL, NULL, CAST(sum(e._gl_n) AS BIGINT), min(e._gl_example), NULL,
               {", ".join("NULL" for _ in GUIDE_EVENTS)}, NULL, NULL, NULL, NULL, NULL, NULL, NULL
        FROM ledger_guide_rows e WHERE e._gl_key < 0 GROUP BY e._gl_key"""
    create_by_user_partition(ed, "ledger_guide_user", guide_user_of)
    ed.con.drop_temp_table("ledger_guide_rows")  # read by that aggregate only
    con.execute("CREATE OR REPLACE TEMP VIEW exp_guide_user AS SELECT * EXCLUDE (_gl_reason, _gl_events, _gl_example) "
                "FROM ledger_guide_user WHERE _gl_reason IS NULL")
    con.execute("CREATE OR REPLACE TEMP VIEW exp_guide_events_all AS "
                "SELECT * EXCLUDE (_gl_reason, _gl_own, _gl_uk, _gl_day) FROM ledger_guide_events WHERE _gl_reason IS NULL")
    con.execute("CREATE OR REPLACE TEMP VIEW exp_guide_events AS "
                "SELECT * EXCLUDE (_gl_reason, _gl_own, _gl_uk, _gl_day) FROM ledger_guide_events WHERE _gl_reason IS NULL AND _gl_own")

    # activity: after assignment, and the CUPED pre-period when CUPED is on
    classify_activity(ed, spec, as_of_end, now_end, activity_columns)

    # users: one row per assigned user (the first by its values when a user has several)
    if ed.has("users"):
        cols = _columns(ed, "users")
        order = ", ".join(sql_identifier(c) for c in cols)
        # one sort: a user's rows ordered by every column, so identical rows are peers; the copies
        # are the peers after the first (row_number > rank), and dense_rank numbers the distinct
        # rows (the same as a window over every column, then one over the user's other rows)
        # Only users whose id's hash repeats (a few, found by sorting the hashes:
        # Engine.create_repeated_hashes) go through the window; the others are on one row.
        w = f"PARTITION BY user_id ORDER BY {order}"
        repeated = "ledger_users_repeated_keys"
        ed.con.create_repeated_hashes(repeated, "SELECT hash(user_id) AS _gl_h FROM users")
        con.execute(f"""
            CREATE OR REPLACE TEMP TABLE ledger_users AS
            WITH s AS (SELECT u.*, 1 AS _gl_row, 1 AS _gl_first, 1 AS _gl_rank
                       FROM users u LEFT JOIN {repeated} r ON r._gl_h = hash(u.user_id) WHERE r._gl_h IS NULL
                       UNION ALL
                       SELECT *, row_number() OVER ({w}), rank() OVER ({w}), dense_rank() OVER ({w})
                       FROM users WHERE hash(user_id) IN (SELECT _gl_h FROM {repeated}))
            SELECT s.* EXCLUDE (_gl_row, _gl_first, _gl_rank), a.uk AS _gl_uk, {_case([
                ("missing_key", "s.user_id IS NULL"),
                ("not_in_experiment", "a.uk IS NULL"),
                ("exact_duplicate", "s._gl_row > s._gl_first"),
                ("duplicate_user", "s._gl_rank > 1"),
            ])} AS _gl_reason
            FROM s LEFT JOIN exp_assigned a USING (user_id)""")
        ed.con.drop_temp_table(repeated)
        # exp_user_attrs keeps the user key _gl_uk: the segments and strata join it on integers
        con.execute("CREATE OR REPLACE TEMP VIEW exp_user_attrs AS SELECT * EXCLUDE (_gl_reason) "
                    "FROM ledger_users WHERE _gl_reason IS NULL")


def rows_pipelined(ed: EventData) -> bool:
    """Whether the activity's per-row stage (``ledger_activity_rows``) is a view that its
    aggregate runs through (TRUE up to :data:`SMALL_DATA_ROWS` source rows,
    a 1M-user export) or a table. A view writes no 10M-row table to read it back once (1M users,
    one thread: 5.8-6.8 -> 4.8-5.7 CPU-s for the activity's two statements); at 10M users the
    join's hash table (every assigned user) and the aggregate's (a row per user) do not fit the
    memory limit together, so larger data keeps the table. (The guide events' stage, a quarter
    of the rows, showed no gain as a view: it stays a table.)"""
    return sum(getattr(ed, "row_counts", {}).values()) <= SMALL_DATA_ROWS


USERS_PER_PARTITION = 5_000_000
"""Beyond :data:`SMALL_DATA_ROWS` source rows, the per-user reductions whose hash tables spill at
DuckDB's memory limit, the guide events per user (``ledger_guide_user``) and ``exp_users``, run as
one statement per partition of about this many assigned users (:func:`user_partitions`). At 10M
users and a 1GB limit, 4 parts: ``ledger_guide_user`` 18.3 -> 14.3 s, ``exp_users`` 19.2 -> 17.7 s,
the count stage 186 -> 165 s (profiles back to back). At 1200MB (the default now) 2 parts beat 4:
``exp_users`` 12.7 against 16.4 s, the count stage 130.6 against 135.1 s (bench/README.md, tenth
session). The activity per user stays one statement: each part would rescan its 100M-row input
(4 parts: 29.5 s against 17-23 s). One UNION ALL of the parts runs them at once (24.4 s against
20.4 s)."""


@dataclass(frozen=True)
class UserPart:
    """One partition of the users by their integer key (``uk``, or a reduction's ``_gl_key``:
    negative for a reason left out): the rows whose key ``& (count - 1)`` is ``index``. With
    ``count`` 1 it is every row and adds no predicate to the SQL."""
    index: int = 0
    count: int = 1

    def test(self, key: str) -> str:
        return f"({key} & {self.count - 1}) = {self.index}"

    def where(self, key: str) -> str:
        """`` WHERE`` this partition's test, to follow a FROM clause ('' for all)."""
        return f" WHERE {self.test(key)}" if self.count > 1 else ""

    def and_(self, key: str) -> str:
        """`` AND`` this partition's test, to extend a WHERE clause ('' for all)."""
        return f" AND {self.test(key)}" if self.count > 1 else ""


def user_partitions(ed: EventData) -> list[UserPart]:
    """The user partitions of the per-user reductions: one (every user) for data of at most
    :data:`SMALL_DATA_ROWS` source rows and on engines other than DuckDB (Spark partitions on its
    own), else a power of two giving at most :data:`USERS_PER_PARTITION` assigned users each."""
    if rows_pipelined(ed) or getattr(ed.con, "name", "") != "duckdb":
        return [UserPart()]
    users = ed.con.execute("SELECT count(*) FROM exp_assigned").fetchone()[0]
    count = 1
    while count * USERS_PER_PARTITION < users and count < 64:
        count *= 2
    return [UserPart(i, count) for i in range(count)]


def create_by_user_partition(ed: EventData, name: str, select_of: Callable[[UserPart], str],
                             params: Mapping[str, Any] | None = None) -> None:
    """Create the temp table ``name`` from ``select_of(part)`` for each of :func:`user_partitions`:
    the first part creates it, the others are inserted (each part's statement reads the rows of its
    users only, so the table holds each row once)."""
    for i, part in enumerate(user_partitions(ed)):
        head = f"CREATE OR REPLACE TEMP TABLE {name} AS" if i == 0 else f"INSERT INTO {name}"
        select = select_of(part)
        body = select.lstrip("\n")  # an indented statement keeps its indent (the trace dedents it)
        indent = body[:len(body) - len(body.lstrip(" "))]
        sql = f"\n{indent}{head}\n{body}" if select.startswith("\n") else f"{head} {select}"
        ed.con.execute(sql, params)


def event_code_sql(event: str) -> str:
    """SQL: a guide event's position in :data:`GUIDE_EVENTS` (NULL for any other name), so the
    per-user-and-guide aggregate compares small integers and keeps every event flag in one
    ``bit_or`` instead of one ``bool_or`` of text per event."""
    return f"CASE {event} " + " ".join(f"WHEN {sql_literal(x)} THEN {i}" for i, x in enumerate(GUIDE_EVENTS)) + " END"


def row_hash_sql(cols: list[str], alias: str = "") -> str:
    """SQL: a hash of every column of a row (NULLs included), to find rows that may be copies."""
    return f"hash({', '.join(alias + sql_identifier(c) for c in cols)})"


def build_exact_copies(ed: EventData, table: str, cols: list[str]) -> str | None:
    """Create ``ledger_<table>_copies``: the rows whose hash of every column repeats, grouped on
    every column (exactly: rows that only share a hash stay apart), with their number of copies
    ``_gl_copies``. Usually a few thousand rows: the exact-duplicate rule needs no window over
    the whole table, only the hashes that repeat (:meth:`Engine.create_repeated_hashes`) and then
    the rows that have them. Returns the table's name; None when no hash repeats (no row has a
    copy: no second pass over the table, and :func:`deduplicated_sql` takes every row once)."""
    name = f"ledger_{table}_copies"
    col_sql = ", ".join(sql_identifier(c) for c in cols)
    h = row_hash_sql(cols)
    repeated = f"ledger_{table}_repeated_hashes"
    ed.con.create_repeated_hashes(repeated, f"SELECT {h} AS _gl_h FROM {table}")
    if ed.con.execute(f"SELECT count(*) FROM {repeated}").fetchone()[0] == 0:
        ed.con.drop_temp_table(repeated)
        return None
    ed.con.execute(f"""
        CREATE OR REPLACE TEMP TABLE {name} AS
        SELECT {col_sql}, {h} AS _gl_h, CAST(count(*) AS BIGINT) AS _gl_copies
        FROM {table} WHERE {h} IN (SELECT _gl_h FROM {repeated}) GROUP BY ALL""")
    ed.con.drop_temp_table(repeated)
    return name


def deduplicated_sql(table: str, cols: list[str], copies: str | None) -> str:
    """SQL: ``table``'s rows with ``_gl_n`` (rows this row stands for) and ``_gl_copy`` (TRUE: the
    2nd and later copies of a row present several times, counted by ``_gl_n``).

    Each row not in ``copies`` (:func:`build_exact_copies`) once, then each row of ``copies``
    once as itself and once standing for its other copies. Copies are identical, so every rule
    gives them the same reason; the exact-duplicate rule then takes all copies but one, which is
    what ``row_number() OVER (PARTITION BY every column) > 1`` gives, without the window.
    ``copies`` None (no row has a copy): every row once."""
    col_sql = ", ".join(sql_identifier(c) for c in cols)
    if copies is None:
        return f"SELECT {col_sql}, CAST(1 AS BIGINT) AS _gl_n, FALSE AS _gl_copy FROM {table}"
    t_cols = ", ".join("t." + sql_identifier(c) for c in cols)
    return f"""SELECT {t_cols}, CAST(1 AS BIGINT) AS _gl_n, FALSE AS _gl_copy
                   FROM (SELECT *, {row_hash_sql(cols)} AS _gl_h FROM {table}) t
                   LEFT JOIN (SELECT DISTINCT _gl_h FROM {copies}) c ON c._gl_h = t._gl_h WHERE c._gl_h IS NULL
                   UNION ALL SELECT {col_sql}, CAST(1 AS BIGINT), FALSE FROM {copies}
                   UNION ALL SELECT {col_sql}, _gl_copies - 1, TRUE FROM {copies} WHERE _gl_copies > 1"""


def classify_activity(ed: EventData, spec: ExperimentSpec, as_of_end: dt.datetime, now_end: dt.datetime,
                      activity_columns: Mapping[str, str] | None = None) -> None:
    """Classify the activity rows and reduce them, in one aggregate, to one row per reason and,
    for the rows used, per user (``ledger_activity_users``).

    A used user's row holds: ``_gl_events`` (rows), ``_gl_days<k>`` (the user's active days after
    assignment as bitmaps, :mod:`guidelab.daybits`, day 0 = the local assignment day),
    ``pre_active_days`` (distinct active days in the CUPED pre-period), ``first_goal_day`` /
    ``first_support_day``, and ``activity_columns`` (name -> an aggregate of the metric registry
    over the rows, columns ``day``, ``sessions``, ``is_goal``, ``is_support``: NULL on
    pre-period rows; each row stands for one activity row). The rows left out have one row per
    reason with their count and the smallest example. The per-row classification stays the view
    ``ledger_activity`` (same reasons; ``tests/test_ledger.py`` checks they agree).
    """
    con = ed.con
    cols = _columns(ed, "activity")
    lookback = int(spec.statistics.cuped_lookback_days)
    day_sql = local_day_sql(ed, "activity", "timestamp", spec.timezone)
    # _gl_day: each row's local day, computed once per row (the pre-period rule, the
    # reduction and the metrics read it; no time-zone cast in a join condition)
    pre_used = (f"(r._gl_day >= a.assigned_day - INTERVAL {lookback} DAY AND r._gl_day < a.assigned_day)"
                if spec.statistics.cuped else "FALSE")
    pre_offsets = f"(r._gl_off >= -{lookback} AND r._gl_off < 0)" if spec.statistics.cuped else "FALSE"
    goal_names = ([spec.goal_event] if spec.goal_event else []) + \
        [team for team, ours in spec.event_names.items() if ours == "goal"]
    support_names = ([spec.support_event] if spec.support_event else []) + \
        [team for team, ours in spec.event_names.items() if ours == "support"]

    def named(names: list[str]) -> str:
        if "event" not in cols or not names:
            return "FALSE"
        return f"coalesce(c.event IN ({', '.join(sql_literal(n) for n in names)}), FALSE)"

    literal = {"$now": f"TIMESTAMPTZ {sql_literal(now_end.isoformat())}",
               "$end": f"TIMESTAMPTZ {sql_literal(as_of_end.isoformat())}"}

    def rules(duplicate: str, codes: bool = False, pre: str = pre_used) -> str:
        rule_list = [
            ("missing_key", "r.user_id IS NULL"),
            ("missing_time", "r.timestamp IS NULL"),
            ("not_in_experiment", "a.uk IS NULL"),
            ("exact_duplicate", duplicate),
            ("future", "r.timestamp >= $now"),
            ("before_assignment", f"r.timestamp < a.assigned_at AND NOT {pre}"),
            ("after_analysis_date", "r.timestamp >= $end"),
        ]
        sql = _case_codes(rule_list) if codes else _case(rule_list)
        for name, value in literal.items():
            sql = sql.replace(name, value)
        return sql

    # the per-row classification, for inspection (its reasons are those of the reduction below)
    con.execute(f"""
        CREATE OR REPLACE TEMP VIEW ledger_activity AS
        WITH r AS (SELECT *, row_number() OVER (PARTITION BY {", ".join(sql_identifier(c) for c in cols)}) AS _gl_dup,
                          {day_sql} AS _gl_day
                   FROM activity)
        SELECT r.* EXCLUDE (_gl_dup), r.timestamp < a.assigned_at AS _gl_pre, a.uk AS _gl_uk,
               {rules("r._gl_dup > 1")} AS _gl_reason
        FROM r LEFT JOIN exp_assigned a USING (user_id)""")

    # the bitmaps cover days 0 .. the analysis date minus the first assignment day (a used row
    # is after its user's assignment and before the analysis date ends)
    as_of = as_of_end.astimezone(spec.tz).date() - dt.timedelta(days=1)
    first_day = con.execute("SELECT min(assigned_day) FROM exp_assigned").fetchone()[0]
    span = (as_of - first_day).days + 1 if first_day is not None else 1
    words = daybits.words_for(span)
    copies = build_exact_copies(ed, "activity", cols)
    registry_cols = "".join(f", {agg} AS {name}" for name, agg in (activity_columns or {}).items())
    # day_aggregates: the aggregates over the rows that give the active days and pre-period days;
    # day_cols: the reduction's columns read from them (_gl_days<k>, pre_active_days)
    if pre_period_in_day_word(words, lookback, span):
        # The pre-period's days and the days after assignment in one word, day d as bit lookback + d
        # (a used row is in the pre-period exactly when its day is negative, -lookback .. -1): one
        # aggregate instead of two over every row (1M users: the statement ~7% faster).
        day_aggregates = (f"bit_or(CASE WHEN d._gl_used AND d._gl_off >= -{lookback} "
                          f"AND d._gl_off < {daybits.WORD_BITS - lookback} "
                          f"THEN CAST(1 AS BIGINT) << (d._gl_off + {lookback}) END) AS _gl_days_and_pre")
        day_cols = (f"nullif(g._gl_days_and_pre >> {lookback}, 0) AS _gl_days0, "
                    f"coalesce(CAST(bit_count(g._gl_days_and_pre & {(1 << lookback) - 1}) AS INTEGER), 0) AS pre_active_days")
    else:
        post = "(d._gl_used AND NOT d._gl_pre)"
        pre = "(d._gl_used AND d._gl_pre)"
        bits = ", ".join(f"{agg} AS _gl_days{k}" for k, agg in enumerate(daybits.bit_or_words("d._gl_off", words, post)))
        pre_count = " + ".join(f"coalesce(CAST(bit_count({agg}) AS INTEGER), 0)"
                               for agg in daybits.bit_or_words("(-1 - d._gl_off)", daybits.words_for(lookback), pre))
        day_aggregates = f"{bits}, ({pre_count}) AS pre_active_days"
        day_cols = ", ".join(f"g._gl_days{k}" for k in range(words)) + ", g.pre_active_days"
    pipelined = rows_pipelined(ed)
    # one integer group key: a used row's user key (>= 1), or its reason's code (< 0, _case_codes)
    con.execute(f"""
        CREATE OR REPLACE TEMP {"VIEW" if pipelined else "TABLE"} ledger_activity_rows AS
        WITH r AS (SELECT *, {day_sql} AS _gl_day FROM ({deduplicated_sql("activity", cols, copies)})),
        j AS (
            SELECT r.*, a.uk AS _gl_uk, a.assigned_at,
                   datediff('day', a.assigned_day, r._gl_day) AS _gl_off
            FROM r LEFT JOIN exp_assigned a USING (user_id)),
        c AS (  -- the rules of the view, with the pre-period as day offsets (the same days, integer compares)
            SELECT r.*, coalesce(r.timestamp < r.assigned_at, FALSE) AS _gl_pre,
                   {rules("r._gl_copy", codes=True, pre=pre_offsets).replace("a.uk", "r._gl_uk")
                    .replace("a.assigned_at", "r.assigned_at")} AS _gl_code
            FROM j r),
        d AS (  -- what the aggregate needs, narrow (at 10M users these 100M rows spill to disk)
            SELECT CAST(coalesce(c._gl_code, c._gl_uk) AS INTEGER) AS _gl_key, CAST(c._gl_n AS INTEGER) AS _gl_n,
                   c._gl_pre, CAST(c._gl_off AS INTEGER) AS _gl_off,
                   CASE WHEN c._gl_code IS NOT NULL THEN {_example_sql(cols, "c.")} END AS _gl_example,
                   {named(goal_names)} AS _gl_goal, {named(support_names)} AS _gl_support
            FROM c)
        SELECT * FROM d""")
    # One aggregate of the rows used (per user) and left out (per reason, with an example). Reading a
    # per-row table twice instead, once per kind (as the guide events do), was slower at 10M users:
    # the 100M-row table is on disk by then (the statement 7.6 -> 17.6 s, bench/README.md).
    con.execute(f"""
        CREATE OR REPLACE TEMP TABLE ledger_activity_users AS
        WITH d AS (  -- day, sessions, is_goal, is_support: the registry's columns, NULL on the pre-period's rows
            SELECT r._gl_key, r._gl_n, r._gl_pre, r._gl_off, r._gl_example, r._gl_key > 0 AS _gl_used,
                   CASE WHEN r._gl_key > 0 AND NOT r._gl_pre THEN r._gl_off END AS day,
                   CASE WHEN r._gl_key > 0 AND NOT r._gl_pre THEN 1 END AS sessions,
                   CASE WHEN r._gl_key > 0 AND NOT r._gl_pre THEN r._gl_goal END AS is_goal,
                   CASE WHEN r._gl_key > 0 AND NOT r._gl_pre THEN r._gl_support END AS is_support
            FROM ledger_activity_rows r),
        g AS (
            SELECT d._gl_key, CAST(sum(d._gl_n) AS BIGINT) AS _gl_events,
                   min(d._gl_example) AS _gl_example,
                   {day_aggregates},
                   min(day) FILTER (WHERE is_goal) AS first_goal_day,
                   min(day) FILTER (WHERE is_support) AS first_support_day{registry_cols}
            FROM d GROUP BY d._gl_key)
        SELECT {_reason_of_code("g._gl_key")} AS _gl_reason, CASE WHEN g._gl_key > 0 THEN g._gl_key END AS uk,
               g._gl_events, g._gl_example, {day_cols}, g.first_goal_day, g.first_support_day{
               "".join(f", g.{name}" for name in (activity_columns or {}))}
        FROM g""")
    if not pipelined:
        ed.con.drop_temp_table("ledger_activity_rows")  # read by that aggregate only
    con.execute("CREATE OR REPLACE TEMP VIEW exp_activity_users AS SELECT * EXCLUDE (_gl_reason, _gl_example) "
                "FROM ledger_activity_users WHERE _gl_reason IS NULL")
    con.execute("CREATE OR REPLACE TEMP VIEW exp_activity AS SELECT * EXCLUDE (_gl_reason, _gl_pre, _gl_uk, _gl_day) "
                "FROM ledger_activity WHERE _gl_reason IS NULL AND NOT _gl_pre")
    con.execute("CREATE OR REPLACE TEMP VIEW exp_activity_pre AS SELECT * EXCLUDE (_gl_reason, _gl_pre, _gl_uk, _gl_day) "
                "FROM ledger_activity WHERE _gl_reason IS NULL AND _gl_pre")


def pre_period_in_day_word(words: int, lookback: int, span: int) -> bool:
    """Whether the activity reduction keeps a user's CUPED pre-period days and the days after
    assignment in one bitmap word (the bitmaps fit one word with the ``lookback`` days before
    them), read back as ``_gl_days0`` and ``pre_active_days``; otherwise each has its aggregate."""
    return words == 1 and lookback + span <= daybits.WORD_BITS


def activity_day_words(ed: EventData) -> int:
    """How many ``_gl_days<k>`` bitmap words ``exp_activity_users`` has."""
    return sum(1 for r in ed.con.execute("DESCRIBE ledger_activity_users").fetchall() if r[0].startswith("_gl_days"))


@dataclass(frozen=True)
class _UnitSQL:
    """SQL fragments carrying the randomisation unit into the assignments ledger (empty for users)."""

    column: str = ""      # the select item adding ``_gl_unit`` to the assignment rows
    join: str = ""        # a join to the users table when the attribute is there
    rules: tuple[tuple[str, str], ...] = ()
    exclude: str = ""     # helper columns of the join, not kept
    assigned: str = ""    # ``unit_id`` of exp_assigned


def unit_source_sql(ed: EventData, spec: ExperimentSpec, assignment_cols: list[str]) -> _UnitSQL:
    """Where the unit attribute of an account-randomised spec comes from (``data/README.md``).

    The assignments table's column named like the unit (``account_id``) when it has one, else the
    users table's (a user listed several times: the smallest non-empty value). A row without a
    value is left out as ``missing_unit``: GrowthBook never enrols a user whose hash attribute is
    empty. Neither table having the column is an error naming both. Users randomised: no SQL.
    """
    if not spec.clustered:
        return _UnitSQL()
    q = sql_identifier(spec.unit)
    rules = (("missing_unit", "_gl_unit IS NULL OR _gl_unit = ''"),)
    assigned = ", _gl_unit AS unit_id"
    if spec.unit in assignment_cols:
        return _UnitSQL(column=f", CAST({q} AS VARCHAR) AS _gl_unit", rules=rules, assigned=assigned)
    if ed.has("users") and spec.unit in _columns(ed, "users"):
        join = (f" LEFT JOIN (SELECT user_id AS _gl_unit_user, min(nullif(CAST({q} AS VARCHAR), '')) AS _gl_unit "
                f"FROM users WHERE user_id IS NOT NULL GROUP BY user_id) _gl_u ON _gl_u._gl_unit_user = assignments.user_id")
        return _UnitSQL(join=join, rules=rules, exclude=", _gl_unit_user", assigned=assigned)
    src = ed.sources.get("assignments", ed.data_dir / "assignments")
    raise DataError(src, spec.unit, f"{spec.id} is randomised by {spec.unit} (unit: {spec.unit}): expected a column "
                                    f"{spec.unit} in the assignments table or in the users table")


LEDGER_TABLES = ("assignments", "guide_events", "activity", "users")


def row_ledger(ed: EventData) -> RowLedger:
    """Count the classified rows of every table by reason (run after :func:`classify_rows`)."""
    tables = []
    for name in LEDGER_TABLES:
        if not ed.has(name):
            continue
        cols = [c for c in _columns(ed, name)]
        if name == "activity":  # activity is stored reduced per reason and user (classify_activity)
            rows = ed.con.execute("SELECT _gl_reason, sum(_gl_events), min(_gl_example) FROM ledger_activity_users "
                                  "GROUP BY 1").fetchall()
        elif name == "guide_events":  # stored reduced per reason, user and guide (classify_rows)
            rows = ed.con.execute("SELECT _gl_reason, sum(_gl_events), min(_gl_example) FROM ledger_guide_user "
                                  "GROUP BY 1").fetchall()
        else:  # the example text only of rows left out (an aggregate's FILTER still builds it for every row)
            examples = dict(ed.con.execute(f"SELECT _gl_reason, min({_example_sql(cols)}) FROM ledger_{name} "
                                           "WHERE _gl_reason IS NOT NULL GROUP BY 1").fetchall())
            rows = [(r, n, examples.get(r)) for r, n in
                    ed.con.execute(f"SELECT _gl_reason, count(*) FROM ledger_{name} GROUP BY 1").fetchall()]
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
