"""The assignment (launch) log: who was put in which arm, under which seed and version, and when.

One file (``.csv`` or ``.parquet``, by extension) with the columns :data:`LOG_COLUMNS`. It is
append-only in meaning: a row, once written, is never changed or removed. Each run rewrites the
file atomically (:func:`guidelab.fsutil.atomic_writer`: a temporary file beside it, fsync,
``os.replace``) under an exclusive ``flock`` on the log's folder (no lock file is left beside the
output), so a reader sees the old log or the new one, never half of one, and two concurrent runs
cannot lose each other's rows. A CSV log's old bytes are copied as they are and the new rows
appended batch by batch (10M ids: a few seconds, memory of one batch beyond the input).

Only users *in* the experiment are logged (``variant`` never null). One row per
``(experiment, user_id, seed, version)``:

* logging the same assignment again adds nothing (rows keep their original ``assigned_at``);
* a user logged in arm A who would now be in arm B, or now be outside the coverage, is a *move*:
  the whole run is refused (:class:`ReassignmentError`) and the log is left untouched, until the
  spec's ``version`` or ``seed`` is bumped, which starts a new assignment (new rows, old kept);
* a user outside the coverage before and inside it now (coverage raised; GrowthBook's ranges
  keep everyone already in the experiment in their arm) is simply new to the log.
"""
from __future__ import annotations

import datetime as dt
import fcntl
import io
import os
import shutil
from collections import deque
from collections.abc import Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import IO

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from .engine import connect_duckdb
from .errors import DataError, GuidelabError, clip
from .experiment import ExperimentSpec
from .fsutil import atomic_writer

LOG_SCHEMA = pa.schema([
    ("user_id", pa.string()),
    ("experiment", pa.string()),
    ("variant", pa.string()),
    ("hash_value", pa.float64()),
    ("seed", pa.string()),
    ("version", pa.int64()),
    ("assigned_at", pa.string()),  # ISO 8601, UTC, with offset: 2024-05-01T09:30:00+00:00
])
LOG_COLUMNS = tuple(LOG_SCHEMA.names)
MAX_EXAMPLES = 5


@dataclass(frozen=True)
class LogResult:
    """What one run did: rows ``added``, users ``already_logged`` (same arm), users whose move
    was refused (non-zero only on the :class:`ReassignmentError`), and users outside the coverage
    (not logged)."""

    added: int
    already_logged: int
    moved_refused: int
    path: Path
    excluded: int = 0


class ReassignmentError(GuidelabError):
    """Users already logged under this seed and version would change arm; nothing was written."""

    def __init__(self, message: str, result: LogResult, examples: list[tuple[str, str | None, str | None]]):
        super().__init__(message)
        self.result = result
        self.examples = examples


# --------------------------------------------------------------------------- file I/O


@contextmanager
def _locked(log_path: Path) -> Iterator[None]:
    """Exclusive advisory ``flock`` on the log's folder.

    A lock file beside the log would have to stay on disk forever (removing it races with a
    waiting run, which would then hold a lock on a deleted file); the folder itself always
    exists and is never replaced, so locking it leaves nothing behind. Runs writing logs in
    the same folder take turns."""
    log_path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(log_path.parent, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        os.close(fd)


def _check_format(log_path: Path) -> str:
    if log_path.suffix not in (".csv", ".parquet"):
        raise DataError(log_path, "", "unsupported assignment log: expected a .csv or .parquet file name")
    return log_path.suffix


_CSV_CONVERT = pacsv.ConvertOptions(column_types=LOG_SCHEMA, strings_can_be_null=False,
                                    quoted_strings_can_be_null=False)


def _check_csv_header(log_path: Path) -> None:
    with open(log_path, "rb") as fh:
        header = fh.readline().decode("utf-8").strip().replace('"', "").split(",")
    if tuple(header) != LOG_COLUMNS:
        raise DataError(log_path, "", f"not an assignment log: expected the columns {', '.join(LOG_COLUMNS)}, "
                                      f"found {', '.join(header)}")


def read_log(log_path: str | Path) -> pa.Table:
    """The log as a table with :data:`LOG_SCHEMA` (empty if the file does not exist yet)."""
    log_path = Path(log_path)
    fmt = _check_format(log_path)
    if not log_path.exists() or log_path.stat().st_size == 0:
        return LOG_SCHEMA.empty_table()
    try:
        if fmt == ".csv":
            _check_csv_header(log_path)
            table = pacsv.read_csv(log_path, convert_options=_CSV_CONVERT)
        else:
            table = pq.read_table(log_path)
            missing = [c for c in LOG_COLUMNS if c not in table.column_names]
            if missing:
                raise DataError(log_path, "", f"not an assignment log: missing the column(s) {', '.join(missing)}")
            table = table.select(list(LOG_COLUMNS))
        return table.cast(LOG_SCHEMA)
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError, UnicodeDecodeError) as exc:
        raise DataError(log_path, "", f"assignment log cannot be read: {str(exc).splitlines()[0]}") from None


def _csv_bytes(rows: pa.RecordBatch | pa.Table, header: bool = False) -> bytes:
    buf = io.BytesIO()
    table = rows if isinstance(rows, pa.Table) else pa.Table.from_batches([rows], schema=LOG_SCHEMA)
    pacsv.write_csv(table, buf, write_options=pacsv.WriteOptions(include_header=header))
    return buf.getvalue()


def _write_rows(fh: IO[bytes], rows: Iterable[pa.RecordBatch], header: bool) -> None:
    """Write the batches ``rows`` (:data:`LOG_SCHEMA`) as CSV to ``fh``, with or without the header line.

    The bytes are those of ``pyarrow.csv.write_csv`` on the whole table (CSV is row by row); the
    batches are formatted on every core (pyarrow releases the GIL) and written in order, with a
    bounded number in flight, so memory stays a few batches.
    """
    if header:
        fh.write(_csv_bytes(LOG_SCHEMA.empty_table(), header=True))
    workers = max(1, min(4, os.cpu_count() or 1))
    with ThreadPoolExecutor(workers) as pool:
        pending: deque[Future[bytes]] = deque()
        for batch in rows:
            pending.append(pool.submit(_csv_bytes, batch))
            if len(pending) > 2 * workers:
                fh.write(pending.popleft().result())
        while pending:
            fh.write(pending.popleft().result())


def _write_parquet(fh: IO[bytes], table: pa.Table) -> None:
    pq.write_table(table, fh)


def _rewrite(log_path: Path, new_rows: NewRows) -> None:
    """Old log + ``new_rows`` -> the log, through :func:`guidelab.fsutil.atomic_writer`.

    A CSV log's old bytes are copied verbatim, so earlier rows are preserved exactly, and the new
    rows are written batch by batch. On any failure the old log is untouched.
    """
    with atomic_writer(log_path) as fh:
        if log_path.suffix == ".csv":
            has_old = log_path.exists() and log_path.stat().st_size > 0
            if has_old:
                with open(log_path, "rb") as old:
                    shutil.copyfileobj(old, fh, 1 << 20)
                    old.seek(0, os.SEEK_END)
                    if old.tell() > 0:
                        old.seek(-1, os.SEEK_END)
                        if old.read(1) != b"\n":
                            fh.write(b"\n")
            _write_rows(fh, new_rows.batches(), header=not has_old)
        else:
            _write_parquet(fh, pa.concat_tables([read_log(log_path), new_rows.table()]))


# --------------------------------------------------------------------------- the log


def _utc_iso(now: dt.datetime | None) -> str:
    if now is None:
        now = dt.datetime.now(dt.timezone.utc)
    elif now.tzinfo is None or now.utcoffset() is None:
        raise ValueError("now must be timezone-aware (e.g. datetime.now(timezone.utc))")
    return now.astimezone(dt.timezone.utc).isoformat(timespec="seconds")


def _input_table(spec: ExperimentSpec, table: pa.Table) -> pa.Table:
    needed = ("user_id", "experiment", "variant", "hash_value")
    missing = [c for c in needed if c not in table.column_names]
    if missing:
        raise ValueError(f"assignment table lacks {', '.join(missing)}: expected the output of assign_batch")
    table = table.select(list(needed)).cast(pa.schema([LOG_SCHEMA.field(c) for c in needed]))
    others = set(table.column("experiment").unique().to_pylist()) - {spec.id}
    if others:
        raise ValueError(f"assignment table holds experiment(s) {sorted(map(str, others))}, not {clip(spec.id)}")
    return table


def _move_message(spec: ExperimentSpec, log_path: Path, n_moves: int,
                  examples: list[tuple[str, str | None, str | None]]) -> str:
    def arm(v: str | None) -> str:
        return v if v is not None else "(not in the experiment)"

    shown = "; ".join(f"{clip(uid)}: {arm(old)} -> {arm(new)}" for uid, old, new in examples)
    more = f" (and {n_moves - len(examples):,} more)" if n_moves > len(examples) else ""
    return (
        f"{log_path}: refusing to reassign {n_moves:,} user(s) of {spec.id} already logged with seed "
        f"{spec.hash_seed!r} and version {spec.version} (the variants' weights or the coverage changed, so "
        f"they would move arm): {shown}{more}. Nothing was written. To start a new assignment, bump "
        f"`version` (now {spec.version}) or change `seed` in the spec; the old rows stay in the log."
    )


def _later_duplicates(user_ids: pa.ChunkedArray) -> np.ndarray | None:
    """Mask of the rows whose id already occurred earlier in ``user_ids``; None when every id is unique.

    Vectorised: DuckDB's 64-bit ``hash`` of every id, sorted with numpy; only ids whose hash
    occurs twice (true duplicates, and the rare collision) are compared exactly, in Python.
    """
    n = len(user_ids)
    if n < 2:
        return None
    con = connect_duckdb()
    try:
        con.register("ids", pa.table({"user_id": user_ids}))
        hashes = con.sql("SELECT hash(user_id) AS h FROM ids").to_arrow_table().column("h").to_numpy()
    finally:
        con.close()
    ordered = np.sort(hashes)
    repeated = ordered[1:] == ordered[:-1]
    if not repeated.any():
        return None
    candidates = np.flatnonzero(np.isin(hashes, np.unique(ordered[1:][repeated])))
    later = np.zeros(n, dtype=bool)
    seen: set[str | None] = set()
    for position, uid in zip(candidates.tolist(), user_ids.take(pa.array(candidates)).to_pylist()):
        if uid in seen:
            later[position] = True
        else:
            seen.add(uid)
    return later if later.any() else None


def _logged_arms(log_path: Path, spec: ExperimentSpec) -> pa.Table:
    """(user_id, variant) of the log's rows of this experiment, seed and version (empty when none).

    A CSV log is read batch by batch and only those two columns of the matching rows are kept
    (every column is still converted, so a damaged log is refused as :func:`read_log` refuses it).
    """
    def matching(batch: pa.RecordBatch | pa.Table) -> pa.Table:
        keep = pc.and_(pc.and_(pc.equal(batch.column("experiment"), spec.id),
                               pc.equal(batch.column("seed"), spec.hash_seed)),
                       pc.equal(batch.column("version"), pa.scalar(spec.version, pa.int64())))
        return pa.table({"user_id": batch.column("user_id"), "variant": batch.column("variant")}).filter(keep)

    empty = pa.schema([LOG_SCHEMA.field("user_id"), LOG_SCHEMA.field("variant")]).empty_table()
    if not log_path.exists() or log_path.stat().st_size == 0:
        return empty
    if log_path.suffix != ".csv":
        return matching(read_log(log_path))
    _check_csv_header(log_path)
    parts = [empty]
    try:
        with pacsv.open_csv(log_path, convert_options=_CSV_CONVERT) as reader:
            for batch in reader:
                part = matching(batch)
                if part.num_rows:
                    parts.append(part)
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError, UnicodeDecodeError) as exc:
        raise DataError(log_path, "", f"assignment log cannot be read: {str(exc).splitlines()[0]}") from None
    return pa.concat_tables(parts)


@dataclass(frozen=True)
class NewRows:
    """The rows one run adds to the log: the ``keep`` rows of ``source`` (user_id, variant,
    hash_value; input order) with this run's experiment, seed, version and time, built one batch
    at a time so 10M rows are never held twice."""

    source: pa.Table
    keep: np.ndarray
    experiment: str
    seed: str
    version: int
    assigned_at: str
    batch_rows: int = 1 << 18

    @property
    def num_rows(self) -> int:
        return int(np.count_nonzero(self.keep))

    def batches(self) -> Iterator[pa.RecordBatch]:
        # The constant columns are built once, at the largest batch size, and sliced (no copy)
        # for each batch: repeating them per batch cost more than formatting the CSV.
        full = min(self.batch_rows, self.source.num_rows)
        experiment, seed, version, assigned_at = (
            pa.repeat(pa.scalar(value, field.type), full) for value, field in
            ((self.experiment, LOG_SCHEMA.field("experiment")), (self.seed, LOG_SCHEMA.field("seed")),
             (self.version, LOG_SCHEMA.field("version")), (self.assigned_at, LOG_SCHEMA.field("assigned_at"))))
        for start in range(0, self.source.num_rows, self.batch_rows):
            mask = self.keep[start:start + self.batch_rows]
            if not mask.any():
                continue
            part = self.source.slice(start, self.batch_rows)
            if not mask.all():
                part = part.filter(pa.array(mask))
            for b in part.to_batches():
                k = b.num_rows
                yield pa.RecordBatch.from_arrays([
                    b.column(0), experiment.slice(0, k), b.column(1), b.column(2),
                    seed.slice(0, k), version.slice(0, k), assigned_at.slice(0, k)], schema=LOG_SCHEMA)

    def table(self) -> pa.Table:
        return pa.Table.from_batches(list(self.batches()), schema=LOG_SCHEMA)


def append_assignments(spec: ExperimentSpec, table: pa.Table, log_path: str | Path,
                       now: dt.datetime | None = None) -> LogResult:
    """Append the users of ``table`` (from :func:`guidelab.abtest.assign_batch`) new to the log.

    Idempotent; refuses (:class:`ReassignmentError`, log unchanged) if any user logged under this
    experiment, seed and version would now get another arm or fall outside the coverage. A user
    who occurs several times in ``table`` counts once, by the first occurrence.

    Vectorised and streaming: duplicates are found by hashing (:func:`_later_duplicates`), the
    log is joined with the input in DuckDB only when it already holds rows of this assignment,
    and the new rows are written one batch at a time after the old log's bytes.
    """
    log_path = Path(log_path)
    _check_format(log_path)
    assigned_at = _utc_iso(now)
    incoming = _input_table(spec, table).select(["user_id", "variant", "hash_value"])
    later = _later_duplicates(incoming.column("user_id"))
    inc = incoming if later is None else incoming.filter(pa.array(~later))
    variant = inc.column("variant")
    keep = pc.is_valid(variant).to_numpy(zero_copy_only=False)
    excluded = variant.null_count
    seed, version = spec.hash_seed, spec.version
    with _locked(log_path):
        prev = _logged_arms(log_path, spec)
        already = 0
        if prev.num_rows:
            con = connect_duckdb()
            try:
                con.register("inc", inc.select(["user_id", "variant"]).append_column(
                    "rn", pa.array(np.arange(inc.num_rows, dtype=np.int64))))
                con.register("log_rows", prev)
                prev_sql = "prev AS (SELECT user_id, any_value(variant) AS variant FROM log_rows GROUP BY user_id)"
                joined = con.sql(f"""
                    WITH {prev_sql}
                    SELECT inc.rn, inc.variant IS DISTINCT FROM prev.variant AS moved
                    FROM inc JOIN prev USING (user_id)""").to_arrow_table()
                rn = joined.column("rn").to_numpy()
                n_moves = int(np.count_nonzero(joined.column("moved").to_numpy(zero_copy_only=False)))
                already = len(rn) - n_moves
                if n_moves:
                    examples: list[tuple[str, str | None, str | None]] = [tuple(r) for r in con.execute(f"""
                        WITH {prev_sql}
                        SELECT inc.user_id, prev.variant, inc.variant FROM inc JOIN prev USING (user_id)
                        WHERE inc.variant IS DISTINCT FROM prev.variant ORDER BY inc.rn LIMIT {MAX_EXAMPLES}
                    """).fetchall()]
                    result = LogResult(0, already, n_moves, log_path, excluded)
                    raise ReassignmentError(_move_message(spec, log_path, n_moves, examples), result, examples)
            finally:
                con.close()
            keep[rn] = False
        new_rows = NewRows(inc, keep, spec.id, seed, version, assigned_at)
        if new_rows.num_rows or not log_path.exists():
            _rewrite(log_path, new_rows)
    return LogResult(new_rows.num_rows, already, 0, log_path, excluded)


def assign_and_log(spec_path: str | Path, users_path: str | Path, out_path: str | Path,
                   log_path: str | Path | None, column: str = "user_id", now: dt.datetime | None = None) -> str:
    """``guidelab assign SPEC --users FILE --out FILE [--log FILE]``: assign, log, write; one summary line.

    The log is written before the output file, so a refused reassignment writes neither.
    """
    from .abtest import assign_batch, read_assignment_input, read_programme_units
    from .experiment import load_experiment
    from .ids import write_table
    from .programme import programme_for_spec

    spec = load_experiment(spec_path)
    ids, unit_ids = read_assignment_input(spec, users_path, column)
    # the programme holdout beside the spec: its users get no arm (not logged) and are marked in the output
    programme = programme_for_spec(spec_path)
    table = assign_batch(spec, ids, unit_ids, programme=programme,
                         programme_unit_ids=read_programme_units(spec, programme, users_path))
    result = append_assignments(spec, table, Path(log_path), now) if log_path is not None else None
    write_table(table, Path(out_path))
    counts = table.group_by("variant").aggregate([("user_id", "count")]).to_pylist()
    order = {k: i for i, k in enumerate(spec.variant_keys)}
    counts.sort(key=lambda r: order.get(r["variant"], len(order)))
    summary = ", ".join(f"{r['variant'] or '(not in experiment)'}: {r['user_id_count']:,}" for r in counts)
    line = f"assigned {table.num_rows:,} users of {spec.id} -> {out_path} ({summary})"
    if result is not None:
        line += (f"; log {result.path}: {result.added:,} added, {result.already_logged:,} already logged "
                 f"(seed {spec.hash_seed!r}, version {spec.version})")
    return line
