"""The assignment (launch) log: who was put in which arm, under which seed and version, and when.

Three layouts, all with the columns :data:`LOG_COLUMNS`, chosen by the path:

* **a log folder** (the default, ``<out dir>/<id>.assignment-log/``; any path without a file
  extension, or ending in ``.assignment-log``): one immutable Parquet *segment* per run that added
  rows, ``part-000001.parquet``, ``part-000002.parquet``, ... Appending writes only the new segment
  (a temporary file in the folder, fsync, then a hard link to its final name, which fails rather
  than replace an existing segment, then a folder fsync), so no old byte is ever rewritten and a
  reader sees a segment whole or not at all. The constant columns of a segment (experiment, seed,
  version, assigned_at) and the variant are Arrow dictionaries: a few bytes per segment, not 10M
  copies of a string. Read the log with :func:`read_log` or any Parquet reader
  (``duckdb: FROM 'folder/*.parquet'``, ``pandas.read_parquet('folder')``).
* **a ``.csv`` file** (the format before the log folder; still read and appended): each run copies
  the old bytes verbatim and appends the new rows to a temporary file that replaces the log
  atomically. :func:`convert_log` (``guidelab convert-log``) turns one into a log folder.
* **a ``.parquet`` file**: rewritten whole, atomically, on each run (small logs only).

The file or folder is written under an exclusive ``flock`` on the log's parent folder (no lock
file is left beside it), so two concurrent runs take turns and cannot lose each other's rows.

Only users *in* the experiment are logged (``variant`` never null). One row per
``(experiment, user_id, seed, version)``:

* logging the same assignment again adds nothing (rows keep their original ``assigned_at``);
* a user logged in arm A who would now be in arm B, or now be outside the coverage, is a *move*:
  the whole run is refused (:class:`ReassignmentError`) and the log is left untouched, until the
  spec's ``version`` or ``seed`` is bumped, which starts a new assignment (new rows, old kept);
* a user outside the coverage before and inside it now (coverage raised; GrowthBook's ranges
  keep everyone already in the experiment in their arm) is simply new to the log.

Matching ids (duplicates in the input, and the input against the rows already logged) uses a
64-bit FNV-1a key per id (:func:`guidelab.hashing.fnv1a64_utf8_batch`) and numpy sorts; the text
of two ids is compared wherever their keys match, so a key collision never merges two users.
"""
from __future__ import annotations

import datetime as dt
import fcntl
import io
import os
import re
import shutil
import tempfile
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

from .errors import DataError, GuidelabError, clip
from .experiment import ExperimentSpec
from .fsutil import _default_mode, _fsync_dir, atomic_writer
from .hashing import fnv1a64_utf8_batch

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

_CODE = pa.int8()  # dictionary indices of a segment's constant columns and of the variant
# A segment of a log folder: LOG_SCHEMA with the repeated columns as dictionaries.
SEGMENT_SCHEMA = pa.schema([
    ("user_id", pa.string()),
    ("experiment", pa.dictionary(_CODE, pa.string())),
    ("variant", pa.dictionary(pa.int16(), pa.string())),
    ("hash_value", pa.float64()),
    ("seed", pa.dictionary(_CODE, pa.string())),
    ("version", pa.dictionary(_CODE, pa.int64())),
    ("assigned_at", pa.dictionary(_CODE, pa.string())),
], metadata={b"guidelab": b"assignment log segment, format 1"})
SEGMENT_NAME = re.compile(r"part-(\d{6,})\.parquet")
FOLDER_SUFFIXES = ("", ".assignment-log")


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
    """``".csv"``, ``".parquet"`` (one file) or ``""`` (a log folder of Parquet segments)."""
    if log_path.suffix in (".csv", ".parquet") and not log_path.is_dir():
        return log_path.suffix
    if log_path.is_dir() or log_path.suffix in FOLDER_SUFFIXES:
        if log_path.exists() and not log_path.is_dir():
            raise DataError(log_path, "", "not an assignment log folder: a file has this name")
        return ""
    raise DataError(log_path, "", "unsupported assignment log: expected a log folder (a name without an extension, "
                                  "or ending in .assignment-log), or a .csv or .parquet file name")


def _segments(folder: Path) -> list[Path]:
    """The segments of a log folder, oldest first (none if it does not exist). Names starting with
    a dot (temporary files of a run in progress or interrupted) are skipped; anything else that is
    not ``part-NNNNNN.parquet`` means the folder is not an assignment log."""
    if not folder.is_dir():
        return []
    numbered = []
    for p in folder.iterdir():
        if p.name.startswith("."):
            continue
        m = SEGMENT_NAME.fullmatch(p.name)
        if m is None or not p.is_file():
            raise DataError(folder, "", f"not an assignment log folder: {clip(p.name)} is not a segment "
                                        "(part-NNNNNN.parquet)")
        numbered.append((int(m.group(1)), p))
    return [p for _, p in sorted(numbered)]


def default_log_path(out_path: str | Path, experiment_id: str) -> Path:
    """The log ``guidelab assign`` uses without ``--log``: the folder ``<out dir>/<id>.assignment-log``,
    or, for a project that has only the older ``<out dir>/<id>.assignment-log.csv``, that CSV file
    (so one assignment is never split over two logs; :func:`convert_log` moves it to a folder)."""
    folder = Path(out_path).parent / f"{experiment_id}.assignment-log"
    legacy = folder.with_name(folder.name + ".csv")
    if not folder.exists() and legacy.is_file():
        return legacy
    return folder


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
    if fmt == "":
        parts = [_read_parquet(p, LOG_COLUMNS).cast(LOG_SCHEMA) for p in _segments(log_path)]
        return pa.concat_tables(parts) if parts else LOG_SCHEMA.empty_table()
    if not log_path.exists() or log_path.stat().st_size == 0:
        return LOG_SCHEMA.empty_table()
    if fmt == ".parquet":
        return _read_parquet(log_path, LOG_COLUMNS).cast(LOG_SCHEMA)
    try:
        _check_csv_header(log_path)
        return pacsv.read_csv(log_path, convert_options=_CSV_CONVERT).cast(LOG_SCHEMA)
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError, UnicodeDecodeError) as exc:
        raise DataError(log_path, "", f"assignment log cannot be read: {str(exc).splitlines()[0]}") from None


def _read_parquet(path: Path, columns: Iterable[str]) -> pa.Table:
    """``columns`` of a Parquet log file or segment, in that order; a column may be a dictionary of
    the type :data:`LOG_SCHEMA` gives it (a segment's), any other type is cast to that type."""
    columns = list(columns)
    try:
        names = pq.read_schema(path).names
        missing = [c for c in columns if c not in names]
        if missing:
            raise DataError(path, "", f"not an assignment log: missing the column(s) {', '.join(missing)}")
        table = pq.read_table(path, columns=columns).select(columns)
        for i, name in enumerate(columns):
            want, got = LOG_SCHEMA.field(name).type, table.schema.field(i).type
            if (got.value_type if pa.types.is_dictionary(got) else got) != want:
                table = table.set_column(i, name, table.column(i).cast(want))
        return table
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError, pa.ArrowTypeError, OSError) as exc:
        raise DataError(path, "", f"assignment log cannot be read: {str(exc).splitlines()[0]}") from None


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


SEGMENT_BATCH_ROWS = 1 << 20  # rows per row group of a segment
_END = object()


def _read_ahead(items: Iterable[pa.Table]) -> Iterator[pa.Table]:
    """The items of ``items`` in order, the next one built on a thread while the caller uses the
    current one: a segment's next row group is selected from the input (Arrow's filter) while the
    current one is encoded and compressed (the Parquet writer); both release the GIL."""
    it = iter(items)
    with ThreadPoolExecutor(1) as pool:
        upcoming = pool.submit(next, it, _END)
        while True:
            item = upcoming.result()
            if item is _END:
                return
            upcoming = pool.submit(next, it, _END)
            yield item  # type: ignore[misc]


def _write_segment(folder: Path, parts: Iterable[pa.Table]) -> Path:
    """Add the rows of ``parts`` (tables of one schema, :data:`SEGMENT_SCHEMA` or another dictionary
    encoding of :data:`LOG_SCHEMA`) to the log folder as its next segment, atomically, without
    touching the others.

    The segment is written to a temporary file in the folder (a name starting with a dot, which
    readers skip), fsynced, then hard-linked to ``part-<n+1>.parquet``: a link never replaces an
    existing file, so even a writer that ignored the lock could not overwrite a segment. The
    temporary name is removed and the folder fsynced. On any failure no segment is added.
    """
    folder.mkdir(parents=True, exist_ok=True)
    existing = _segments(folder)
    number = int(SEGMENT_NAME.fullmatch(existing[-1].name).group(1)) + 1 if existing else 1  # type: ignore[union-attr]
    target = folder / f"part-{number:06d}.parquet"
    fd, tmp = tempfile.mkstemp(prefix=f".{target.stem}.", suffix=".tmp", dir=folder)
    try:
        with os.fdopen(fd, "wb") as fh:
            _write_segment_rows(fh, parts)
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, _default_mode())
        try:
            os.link(tmp, target)
        except FileExistsError:
            raise GuidelabError(f"{target}: a segment with this name appeared while the log was locked; "
                                "another program writes into this folder") from None
        except OSError:  # a file system without hard links: rename (the lock keeps the name free)
            if target.exists():
                raise
            os.rename(tmp, target)
    finally:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
    _fsync_dir(folder)
    return target


def _write_segment_rows(fh: IO[bytes], parts: Iterable[pa.Table]) -> None:
    """The segment's Parquet bytes: row groups of :data:`SEGMENT_BATCH_ROWS`, dictionary pages for the
    dictionary columns, snappy (the ids: 95 MB for 9.5M; zstd would take a third of that for 0.6
    CPU-s more) but ``hash_value`` (random doubles) uncompressed, no statistics. Deterministic for
    given rows. An empty ``parts`` writes an empty file of :data:`SEGMENT_SCHEMA`."""
    compression = {name: "snappy" for name in LOG_COLUMNS} | {"hash_value": "none"}
    writer = None
    try:
        for part in parts:
            if writer is None:
                dictionaries = [f.name for f in part.schema if pa.types.is_dictionary(f.type)]
                writer = pq.ParquetWriter(fh, part.schema, compression=compression, write_statistics=False,
                                          use_dictionary=dictionaries)
            writer.write_table(part, row_group_size=SEGMENT_BATCH_ROWS)
        if writer is None:
            writer = pq.ParquetWriter(fh, SEGMENT_SCHEMA, compression=compression, write_statistics=False)
    finally:
        if writer is not None:
            writer.close()


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
    table = table.select(list(needed))
    wanted = pa.schema([LOG_SCHEMA.field(c) for c in needed])
    if table.schema != wanted:
        table = table.cast(wanted)
    experiment = table.column("experiment")
    same = pc.fill_null(pc.equal(experiment, spec.id), False)  # a comparison, not a hash table of 10M strings
    if not pc.all(same).as_py():
        others = set(experiment.filter(pc.invert(same)).unique().to_pylist())
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


def _later_duplicates(user_ids: pa.ChunkedArray, keys: np.ndarray) -> np.ndarray | None:
    """Mask of the rows whose id already occurred earlier in ``user_ids``; None when every id is unique.

    Vectorised: the ids' 64-bit keys (``keys``, :func:`guidelab.hashing.fnv1a64_utf8_batch`) are
    sorted with numpy; only ids whose key occurs twice (true duplicates, and the rare collision)
    are compared exactly, in Python.
    """
    n = len(user_ids)
    if n < 2:
        return None
    ordered = np.sort(keys)
    repeated = ordered[1:] == ordered[:-1]
    if not repeated.any():
        return None
    candidates = np.flatnonzero(np.isin(keys, np.unique(ordered[1:][repeated])))
    later = np.zeros(n, dtype=bool)
    seen: set[str | None] = set()
    for position, uid in zip(candidates.tolist(), user_ids.take(pa.array(candidates)).to_pylist()):
        if uid in seen:
            later[position] = True
        else:
            seen.add(uid)
    return later if later.any() else None


@dataclass(frozen=True)
class IdKeys:
    """A column of user ids as the log matches them: each id's 64-bit FNV-1a key
    (:func:`guidelab.hashing.fnv1a64_utf8_batch`) and the mask of the rows whose id occurred
    earlier in the column (:func:`_later_duplicates`; None when every id is unique)."""

    keys: np.ndarray
    later: np.ndarray | None


def id_keys(user_ids: pa.ChunkedArray | pa.Array) -> IdKeys:
    """:class:`IdKeys` of a column of ids. It depends on the ids only, so :func:`assign_and_log`
    computes it while the users are being assigned and passes it to :func:`append_assignments`."""
    column = user_ids if isinstance(user_ids, pa.ChunkedArray) else pa.chunked_array([user_ids])
    keys = fnv1a64_utf8_batch(column)
    return IdKeys(keys, _later_duplicates(column, keys))


def _equals(column: pa.ChunkedArray, value: object) -> np.ndarray:
    """``column == value`` as a numpy bool array (null: False); a dictionary column is compared
    through its dictionary (a few values), not row by row."""
    parts = []
    for chunk in column.chunks:
        if pa.types.is_dictionary(chunk.type) and not chunk.null_count:
            in_dict = pc.fill_null(pc.equal(chunk.dictionary, pa.scalar(value, chunk.type.value_type)), False)
            parts.append(in_dict.to_numpy(zero_copy_only=False)[chunk.indices.to_numpy()])
        else:
            if pa.types.is_dictionary(chunk.type):
                chunk = chunk.cast(chunk.type.value_type)
            eq = pc.fill_null(pc.equal(chunk, pa.scalar(value, chunk.type)), False)
            parts.append(eq.to_numpy(zero_copy_only=False))
    return np.concatenate(parts) if parts else np.zeros(0, dtype=bool)


def _code_type(keys: tuple[str, ...]) -> type[np.integer]:
    return np.int8 if len(keys) < 127 else np.int16


def _variant_codes(variant: pa.ChunkedArray | pa.Array, keys: tuple[str, ...]) -> np.ndarray:
    """Each row's variant as the index of its key in ``keys`` (int8, int16 beyond 126 keys): -1 for null (not in the
    experiment), ``len(keys)`` for a value that is not a key (a variant the spec no longer has)."""
    chunks = variant.chunks if isinstance(variant, pa.ChunkedArray) else [variant]
    out = np.empty(len(variant), dtype=_code_type(keys))
    pos = 0
    for chunk in chunks:
        n = len(chunk)
        if pa.types.is_dictionary(chunk.type):
            mapping = _variant_codes(chunk.dictionary, keys)
            codes = mapping[chunk.indices.fill_null(0).to_numpy()]
        else:
            codes = np.full(n, len(keys), dtype=out.dtype)
            for i, key in enumerate(keys):
                codes[pc.fill_null(pc.equal(chunk, key), False).to_numpy(zero_copy_only=False)] = i
        if chunk.null_count:
            codes[chunk.is_null().to_numpy(zero_copy_only=False)] = -1
        out[pos:pos + n] = codes
        pos += n
    return out


def _logged_arms(log_path: Path, spec: ExperimentSpec) -> pa.Table:
    """(user_id, variant) of the log's rows of this experiment, seed and version (empty when none);
    ``variant`` is a string or, from a log folder, a dictionary column.

    A log folder's segments are read two columns plus the (dictionary-encoded) experiment, seed
    and version; a CSV log is read batch by batch and only those two columns of the matching rows
    are kept (every column is still converted, so a damaged log is refused as :func:`read_log`
    refuses it).
    """
    def matching(batch: pa.RecordBatch | pa.Table) -> pa.Table:
        if isinstance(batch, pa.RecordBatch):
            batch = pa.Table.from_batches([batch])
        keep = (_equals(batch.column("experiment"), spec.id) & _equals(batch.column("seed"), spec.hash_seed)
                & _equals(batch.column("version"), spec.version))
        rows = pa.table({"user_id": batch.column("user_id"), "variant": batch.column("variant")})
        return rows if keep.all() else rows.filter(pa.array(keep))

    columns = ("user_id", "variant", "experiment", "seed", "version")
    fmt = _check_format(log_path)
    if fmt == "":
        parts = [matching(_read_parquet(p, columns)) for p in _segments(log_path)]
        parts = [p for p in parts if p.num_rows]
        if len({p.schema for p in parts}) > 1:  # e.g. a converted segment (variant as text) beside new ones
            parts = [p.cast(pa.schema([LOG_SCHEMA.field("user_id"), LOG_SCHEMA.field("variant")])) for p in parts]
        return pa.concat_tables(parts) if parts else _ARMS_SCHEMA.empty_table()
    if not log_path.exists() or log_path.stat().st_size == 0:
        return _ARMS_SCHEMA.empty_table()
    if fmt == ".parquet":
        return matching(_read_parquet(log_path, columns))
    _check_csv_header(log_path)
    parts = [_ARMS_SCHEMA.empty_table()]
    try:
        with pacsv.open_csv(log_path, convert_options=_CSV_CONVERT) as reader:
            for batch in reader:
                part = matching(batch)
                if part.num_rows:
                    parts.append(part)
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError, UnicodeDecodeError) as exc:
        raise DataError(log_path, "", f"assignment log cannot be read: {str(exc).splitlines()[0]}") from None
    return pa.concat_tables(parts)


_ARMS_SCHEMA = pa.schema([LOG_SCHEMA.field("user_id"), LOG_SCHEMA.field("variant")])


def _mask(rows: np.ndarray, n: int) -> pa.Array:
    mask = np.zeros(n, dtype=bool)
    mask[rows] = True
    return pa.array(mask)


def _flat(column: pa.ChunkedArray | pa.Array) -> pa.Array:
    """One contiguous array (large offsets beyond 1 GB of text), for fast random ``take``."""
    if isinstance(column, pa.Array):
        return column
    if column.nbytes > (1 << 30) and pa.types.is_string(column.type):
        column = column.cast(pa.large_string())
    return column.combine_chunks()


def _match_logged(inc_ids: pa.ChunkedArray, inc_keys: np.ndarray, kept: np.ndarray,
                  log_ids: pa.ChunkedArray) -> tuple[np.ndarray, np.ndarray]:
    """``(input rows, log rows)`` of the input ids that are in the log, input rows ascending, each
    with the first log row of its id. ``inc_ids`` hold no duplicates; ``kept``: the input rows in
    the experiment.

    Fast path: the log's ids are exactly the first kept input ids, in order (the same users file
    run again, or with new users at its end): one vectorised comparison. Otherwise the 64-bit keys
    of both sides are argsorted (two threads) and merged (``searchsorted`` of sorted keys), and the
    text of every pair of equal keys is compared; keys that occur more than once in the log (the
    same id logged twice, or a collision) are resolved exactly in Python.
    """
    m = len(log_ids)
    none = np.zeros(0, dtype=np.int64)
    if m == 0 or len(inc_ids) == 0:
        return none, none
    if m <= kept.size:
        in_experiment = inc_ids if kept.size == len(inc_ids) else inc_ids.filter(_mask(kept, len(inc_ids)))
        if pc.all(pc.fill_null(pc.equal(in_experiment.slice(0, m), log_ids), False)).as_py():
            return kept[:m], np.arange(m, dtype=np.int64)
    log_keys = fnv1a64_utf8_batch(log_ids)
    with ThreadPoolExecutor(1) as pool:  # numpy sorts without the GIL
        log_sorting = pool.submit(np.argsort, log_keys, kind="stable")
        inc_order = np.argsort(inc_keys)
        log_order = log_sorting.result()
    sorted_log = log_keys[log_order]
    del log_keys
    sorted_inc = inc_keys[inc_order]
    at = np.minimum(np.searchsorted(sorted_log, sorted_inc), m - 1)  # sorted needles: a merge
    hit = sorted_log[at] == sorted_inc
    log_row_of = np.full(len(inc_ids), -1, dtype=np.int64)  # by input row
    log_row_of[inc_order[hit]] = log_order[at[hit]]
    del sorted_inc, at, hit, inc_order
    repeated = sorted_log[1:] == sorted_log[:-1]
    ambiguous = np.unique(sorted_log[1:][repeated]) if repeated.any() else None
    del sorted_log
    log_flat = _flat(log_ids)
    if ambiguous is not None:  # keys logged more than once: first log row of the exact id
        log_rows = np.flatnonzero(np.isin(fnv1a64_utf8_batch(log_flat), ambiguous))
        first: dict[str, int] = {}
        for row, uid in zip(log_rows.tolist(), log_flat.take(pa.array(log_rows)).to_pylist()):
            first.setdefault(uid, row)
        inc_rows = np.flatnonzero(np.isin(inc_keys, ambiguous))
        for row, uid in zip(inc_rows.tolist(), inc_ids.take(pa.array(inc_rows)).to_pylist()):
            log_row_of[row] = first.get(uid, -1)
    inc_rows = np.flatnonzero(log_row_of >= 0)
    log_rows = log_row_of[inc_rows]
    same = pc.equal(inc_ids.take(pa.array(inc_rows)), log_flat.take(pa.array(log_rows)))
    exact = pc.fill_null(same, False).to_numpy(zero_copy_only=False)
    return inc_rows[exact], log_rows[exact]


@dataclass(frozen=True)
class NewRows:
    """The rows one run adds to the log: the ``keep`` rows of ``source`` (user_id, variant,
    hash_value; input order) with this run's experiment, seed, version and time, built one batch
    at a time so 10M rows are never held twice. ``codes``: each source row's variant as an index
    of ``keys`` (for a log folder's dictionary column)."""

    source: pa.Table
    keep: np.ndarray
    experiment: str
    seed: str
    version: int
    assigned_at: str
    codes: np.ndarray | None = None
    keys: tuple[str, ...] = ()
    batch_rows: int = 1 << 18

    @property
    def num_rows(self) -> int:
        return int(np.count_nonzero(self.keep))

    def _constants(self, full: int) -> list[pa.Scalar]:
        return [pa.scalar(value, field.type) for value, field in
                ((self.experiment, LOG_SCHEMA.field("experiment")), (self.seed, LOG_SCHEMA.field("seed")),
                 (self.version, LOG_SCHEMA.field("version")), (self.assigned_at, LOG_SCHEMA.field("assigned_at")))]

    def batches(self) -> Iterator[pa.RecordBatch]:
        # The constant columns are built once, at the largest batch size, and sliced (no copy)
        # for each batch: repeating them per batch cost more than formatting the CSV.
        full = min(self.batch_rows, self.source.num_rows)
        experiment, seed, version, assigned_at = (pa.repeat(c, full) for c in self._constants(full))
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

    def segment_batches(self, batch_rows: int = 1 << 20) -> Iterator[pa.Table]:
        """The rows as tables of :data:`SEGMENT_SCHEMA`: the constant columns are dictionaries of one
        value over int8 zeros (one buffer, sliced), the variant a dictionary of ``keys``."""
        if self.codes is None:
            raise ValueError("NewRows.segment_batches needs the variant codes")
        full = min(batch_rows, self.source.num_rows)
        zeros = pa.array(np.zeros(full, dtype=np.int8))
        experiment, seed, version, assigned_at = (
            pa.DictionaryArray.from_arrays(zeros, pa.array([c.as_py()], c.type)) for c in self._constants(full))
        keys = pa.array(list(self.keys), pa.string())
        source = self.source.select(["user_id", "hash_value"])  # the variant comes from the codes
        for start in range(0, source.num_rows, batch_rows):
            mask = self.keep[start:start + batch_rows]
            if not mask.any():
                continue
            part = source.slice(start, batch_rows)
            codes = self.codes[start:start + batch_rows]
            if not mask.all():
                part = part.filter(pa.array(mask))
                codes = codes[mask]
            k = part.num_rows
            variant = pa.DictionaryArray.from_arrays(pa.array(codes.astype(np.int16)), keys)
            yield pa.Table.from_arrays([
                part.column("user_id"), experiment.slice(0, k), variant,
                part.column("hash_value"), seed.slice(0, k), version.slice(0, k), assigned_at.slice(0, k)],
                schema=SEGMENT_SCHEMA)

    def table(self) -> pa.Table:
        return pa.Table.from_batches(list(self.batches()), schema=LOG_SCHEMA)


def append_assignments(spec: ExperimentSpec, table: pa.Table, log_path: str | Path,
                       now: dt.datetime | None = None, *, variant_codes: np.ndarray | None = None,
                       user_keys: IdKeys | None = None) -> LogResult:
    """Append the users of ``table`` (from :func:`guidelab.abtest.assign_batch`) new to the log.

    Idempotent; refuses (:class:`ReassignmentError`, log unchanged) if any user logged under this
    experiment, seed and version would now get another arm or fall outside the coverage. A user
    who occurs several times in ``table`` counts once, by the first occurrence.

    Vectorised and streaming: duplicates are found by 64-bit keys (:func:`_later_duplicates`), the
    log's rows of this assignment are matched with the input by :func:`_match_logged`, and the
    new rows are written as one new segment (log folder) or after the old log's bytes (CSV).
    ``variant_codes``: :func:`_variant_codes` of ``table``'s variant column, and ``user_keys``:
    :func:`id_keys` of its user_id column, if already computed.
    """
    log_path = Path(log_path)
    fmt = _check_format(log_path)
    assigned_at = _utc_iso(now)
    keys = tuple(spec.variant_keys)
    incoming = _input_table(spec, table).select(["user_id", "variant", "hash_value"])
    codes = variant_codes if variant_codes is not None else _variant_codes(incoming.column("variant"), keys)
    if user_keys is None:
        user_keys = id_keys(incoming.column("user_id"))
    elif len(user_keys.keys) != incoming.num_rows:
        raise ValueError(f"user_keys: {len(user_keys.keys):,} keys for {incoming.num_rows:,} rows")
    inc_keys, later = user_keys.keys, user_keys.later
    inc = incoming
    if later is not None:
        inc, codes, inc_keys = incoming.filter(pa.array(~later)), codes[~later], inc_keys[~later]
    keep = codes >= 0
    excluded = int(inc.num_rows - np.count_nonzero(keep))
    seed, version = spec.hash_seed, spec.version
    with _locked(log_path):
        prev = _logged_arms(log_path, spec)
        already = 0
        if prev.num_rows:
            rows, log_rows = _match_logged(inc.column("user_id"), inc_keys, np.flatnonzero(keep), prev.column("user_id"))
            logged_variant = prev.column("variant")
            if not (len(log_rows) == prev.num_rows and (log_rows[:1] == 0).all() and (np.diff(log_rows) == 1).all()):
                logged_variant = logged_variant.take(pa.array(log_rows))  # else: every log row, in order
            moved = codes[rows] != _variant_codes(logged_variant, keys)
            n_moves = int(np.count_nonzero(moved))
            already = len(rows) - n_moves
            if n_moves:
                first = np.flatnonzero(moved)[:MAX_EXAMPLES]
                olds = logged_variant.take(pa.array(first))
                if pa.types.is_dictionary(olds.type):
                    olds = olds.cast(olds.type.value_type)
                examples: list[tuple[str, str | None, str | None]] = list(zip(
                    inc.column("user_id").take(pa.array(rows[first])).to_pylist(), olds.to_pylist(),
                    inc.column("variant").take(pa.array(rows[first])).to_pylist()))
                result = LogResult(0, already, n_moves, log_path, excluded)
                raise ReassignmentError(_move_message(spec, log_path, n_moves, examples), result, examples)
            keep[rows] = False
        new_rows = NewRows(inc, keep, spec.id, seed, version, assigned_at, codes, keys)
        if fmt == "":
            if new_rows.num_rows:
                _write_segment(log_path, _read_ahead(new_rows.segment_batches(SEGMENT_BATCH_ROWS)))
            else:
                log_path.mkdir(parents=True, exist_ok=True)
        elif new_rows.num_rows or not log_path.exists():
            _rewrite(log_path, new_rows)
    return LogResult(new_rows.num_rows, already, 0, log_path, excluded)


def convert_log(source: str | Path, folder: str | Path | None = None) -> str:
    """``guidelab convert-log LOG [--to FOLDER]``: copy a ``.csv`` or ``.parquet`` assignment log into a
    log folder (default: the same name without its extension) as its first segment; one summary line.

    Every row is kept as it is, in order (the values read back by :func:`read_log` are equal);
    the source file is not modified or removed. The folder must not hold segments yet.
    """
    source = Path(source)
    if _check_format(source) == "":
        raise DataError(source, "", "already a log folder: give the .csv or .parquet log to convert")
    if not source.is_file():
        raise DataError(source, "", "file not found")
    target = Path(folder) if folder is not None else source.with_suffix("")
    if _check_format(target) != "":
        raise DataError(target, "", "the target must be a log folder (a name without an extension)")
    with _locked(target):
        if _segments(target):
            raise DataError(target, "", "the log folder already holds segments: convert into a new folder")
        rows = read_log(source)
        if rows.num_rows:  # the repeated columns as dictionaries (int32 indices: any number of values)
            _write_segment(target, [pa.table({name: pc.dictionary_encode(rows.column(name))
                                              if name not in ("user_id", "hash_value") else rows.column(name)
                                              for name in LOG_COLUMNS})])
        else:
            target.mkdir(parents=True, exist_ok=True)
    return (f"converted {source} ({rows.num_rows:,} rows) -> {target}/ (the source file is kept; "
            f"`guidelab assign` uses {target.name} by default once it exists)")


def assign_and_log(spec_path: str | Path, users_path: str | Path, out_path: str | Path,
                   log_path: str | Path | None, column: str = "user_id", now: dt.datetime | None = None,
                   *, ids_read: Future[pa.ChunkedArray] | None = None) -> str:
    """``guidelab assign SPEC --users FILE --out FILE [--log PATH]``: assign, log, write; one summary line.

    The output is written to its temporary file while the log is checked and written (two cores),
    and put in place only after the log: a refused reassignment writes neither. ``ids_read``: the
    ids of ``users_path`` (``column``) being read already (:func:`guidelab.ids.start_reading_user_ids`).
    """
    from .abtest import assign_batch_indexed, read_assignment_input, read_programme_units
    from .experiment import load_experiment
    from .ids import check_output_path, commit_table, write_table_temp
    from .programme import programme_for_spec

    spec = load_experiment(spec_path)
    out = Path(out_path)
    check_output_path(out)
    if log_path is not None:
        _check_format(Path(log_path))
    ids, unit_ids = read_assignment_input(spec, users_path, column, ids_read)
    # the programme holdout beside the spec: its users get no arm (not logged) and are marked in the output
    programme = programme_for_spec(spec_path)
    result = None
    with ThreadPoolExecutor(2) as pool:
        # the log's keys of the ids (and their duplicates) depend on the ids only: computed while
        # the users are assigned (the assignment's own work is partly single-threaded)
        keying = pool.submit(id_keys, ids) if log_path is not None else None
        table, codes = assign_batch_indexed(spec, ids, unit_ids, programme=programme,
                                            programme_unit_ids=read_programme_units(spec, programme, users_path))
        user_keys = keying.result() if keying is not None else None
        writing = pool.submit(write_table_temp, table, out)
        try:
            if log_path is not None:
                result = append_assignments(spec, table, Path(log_path), now, variant_codes=codes,
                                            user_keys=user_keys)
        except BaseException:
            try:
                writing.result().unlink(missing_ok=True)
            except Exception:
                pass
            raise
        commit_table(writing.result(), out)
    counts = np.bincount(codes.astype(np.int64) + 1, minlength=len(spec.variants) + 2)
    parts = [(key, int(counts[i + 1])) for i, key in enumerate(spec.variant_keys)] + [(None, int(counts[0]))]
    summary = ", ".join(f"{key or '(not in experiment)'}: {n:,}" for key, n in parts if n)
    line = f"assigned {table.num_rows:,} users of {spec.id} -> {out_path} ({summary})"
    if result is not None:
        line += (f"; log {result.path}: {result.added:,} added, {result.already_logged:,} already logged "
                 f"(seed {spec.hash_seed!r}, version {spec.version})")
    return line
