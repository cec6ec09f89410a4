"""The assignment (launch) log: who was put in which arm, under which seed and version, and when.

One file (``.csv`` or ``.parquet``, by extension) with the columns :data:`LOG_COLUMNS`. It is
append-only in meaning: a row, once written, is never changed or removed. Each run rewrites the
file atomically (a temporary file beside it, fsync, ``os.replace``) under an exclusive
``flock`` on the log's folder (no lock file is left beside the output), so a reader sees the old log or the new one, never half of one, and
two concurrent runs cannot lose each other's rows.

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
import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import IO

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from .errors import DataError, GuidelabError, clip
from .experiment import ExperimentSpec
from .fsutil import atomic_replace

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


def read_log(log_path: str | Path) -> pa.Table:
    """The log as a table with :data:`LOG_SCHEMA` (empty if the file does not exist yet)."""
    log_path = Path(log_path)
    fmt = _check_format(log_path)
    if not log_path.exists() or log_path.stat().st_size == 0:
        return LOG_SCHEMA.empty_table()
    try:
        if fmt == ".csv":
            with open(log_path, "rb") as fh:
                header = fh.readline().decode("utf-8").strip().replace('"', "").split(",")
            if tuple(header) != LOG_COLUMNS:
                raise DataError(log_path, "", f"not an assignment log: expected the columns {', '.join(LOG_COLUMNS)}, "
                                              f"found {', '.join(header)}")
            table = pacsv.read_csv(
                log_path,
                convert_options=pacsv.ConvertOptions(column_types=LOG_SCHEMA, strings_can_be_null=False,
                                                     quoted_strings_can_be_null=False),
            )
        else:
            table = pq.read_table(log_path)
            missing = [c for c in LOG_COLUMNS if c not in table.column_names]
            if missing:
                raise DataError(log_path, "", f"not an assignment log: missing the column(s) {', '.join(missing)}")
            table = table.select(list(LOG_COLUMNS))
        return table.cast(LOG_SCHEMA)
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError, UnicodeDecodeError) as exc:
        raise DataError(log_path, "", f"assignment log cannot be read: {str(exc).splitlines()[0]}") from None


def _write_rows(fh: IO[bytes], rows: pa.Table, header: bool) -> None:
    """Write ``rows`` as CSV to ``fh`` (with or without the header line)."""
    pacsv.write_csv(rows, fh, write_options=pacsv.WriteOptions(include_header=header))


def _write_parquet(fh: IO[bytes], table: pa.Table) -> None:
    pq.write_table(table, fh)


def _fsync_dir(path: Path) -> None:
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def _rewrite(log_path: Path, new_rows: pa.Table) -> None:
    """Old log + ``new_rows`` -> temporary file beside the log -> fsync -> ``os.replace``.

    A CSV log's old bytes are copied verbatim, so earlier rows are preserved exactly. On any
    failure the temporary file is removed and the old log is untouched.
    """
    fd, tmp = tempfile.mkstemp(prefix=f".{log_path.name}.", suffix=".tmp", dir=log_path.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            if log_path.suffix == ".csv":
                has_old = log_path.exists() and log_path.stat().st_size > 0
                if has_old:
                    with open(log_path, "rb") as old:
                        shutil.copyfileobj(old, fh)
                        old.seek(0, os.SEEK_END)
                        if old.tell() > 0:
                            old.seek(-1, os.SEEK_END)
                            if old.read(1) != b"\n":
                                fh.write(b"\n")
                _write_rows(fh, new_rows, header=not has_old)
            else:
                _write_parquet(fh, pa.concat_tables([read_log(log_path), new_rows]))
            fh.flush()
            os.fsync(fh.fileno())
        atomic_replace(tmp, log_path)
    except BaseException:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        raise
    _fsync_dir(log_path.parent)


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


def append_assignments(spec: ExperimentSpec, table: pa.Table, log_path: str | Path,
                       now: dt.datetime | None = None) -> LogResult:
    """Append the users of ``table`` (from :func:`guidelab.abtest.assign_batch`) new to the log.

    Idempotent; refuses (:class:`ReassignmentError`, log unchanged) if any user logged under this
    experiment, seed and version would now get another arm or fall outside the coverage.
    """
    log_path = Path(log_path)
    _check_format(log_path)
    assigned_at = _utc_iso(now)
    incoming = _input_table(spec, table)
    seed, version = spec.hash_seed, spec.version
    with _locked(log_path):
        log = read_log(log_path)
        con = duckdb.connect(":memory:")
        try:
            con.register("incoming_raw", incoming.append_column("rn", pa.array(np.arange(incoming.num_rows, dtype=np.int64))))
            con.register("log_raw", log)
            # One row per user (first occurrence), input order kept through the row number.
            con.execute("""
                CREATE TEMP TABLE inc AS
                SELECT user_id, variant, hash_value, rn FROM (
                    SELECT *, row_number() OVER (PARTITION BY user_id ORDER BY rn) AS k
                    FROM incoming_raw
                ) WHERE k = 1
            """).fetchall()
            con.execute("""
                CREATE TEMP TABLE prev AS
                SELECT user_id, any_value(variant) AS variant FROM log_raw
                WHERE experiment = ? AND seed = ? AND version = ? GROUP BY user_id
            """, [spec.id, seed, version]).fetchall()
            n_moves = con.execute("""
                SELECT count(*) FROM inc JOIN prev USING (user_id)
                WHERE inc.variant IS DISTINCT FROM prev.variant
            """).fetchall()[0][0]
            examples: list[tuple[str, str | None, str | None]] = []
            if n_moves:
                examples = [tuple(r) for r in con.execute(f"""
                    SELECT inc.user_id, prev.variant, inc.variant FROM inc JOIN prev USING (user_id)
                    WHERE inc.variant IS DISTINCT FROM prev.variant ORDER BY inc.rn LIMIT {MAX_EXAMPLES}
                """).fetchall()]
            already = con.execute("SELECT count(*) FROM inc JOIN prev USING (user_id) "
                                  "WHERE inc.variant = prev.variant").fetchall()[0][0]
            excluded = con.execute("SELECT count(*) FROM inc WHERE variant IS NULL").fetchall()[0][0]
            if n_moves:
                result = LogResult(0, already, n_moves, log_path, excluded)
                raise ReassignmentError(_move_message(spec, log_path, n_moves, examples), result, examples)
            new_rows = con.sql("""
                SELECT inc.user_id, ? AS experiment, inc.variant, inc.hash_value, ? AS seed,
                       CAST(? AS BIGINT) AS version, ? AS assigned_at
                FROM inc ANTI JOIN prev USING (user_id)
                WHERE inc.variant IS NOT NULL ORDER BY inc.rn
            """, params=[spec.id, seed, version, assigned_at]).to_arrow_table()
        finally:
            con.close()
        new_rows = new_rows.cast(LOG_SCHEMA)
        if new_rows.num_rows or not log_path.exists():
            _rewrite(log_path, new_rows)
    return LogResult(new_rows.num_rows, already, 0, log_path, excluded)


def assign_and_log(spec_path: str | Path, users_path: str | Path, out_path: str | Path,
                   log_path: str | Path | None, column: str = "user_id", now: dt.datetime | None = None) -> str:
    """``guidelab assign SPEC --users FILE --out FILE [--log FILE]``: assign, log, write; one summary line.

    The log is written before the output file, so a refused reassignment writes neither.
    """
    from .abtest import assign_batch
    from .experiment import load_experiment
    from .ids import read_user_ids, write_table

    spec = load_experiment(spec_path)
    ids = read_user_ids(Path(users_path), column)
    table = assign_batch(spec, ids)
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
