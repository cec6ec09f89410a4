"""The data contract: a team's exported tables, read by DuckDB in place, checked, exposed as views.

Tables (each one file ``<name>.parquet``, ``<name>.csv``, ``.csv.gz``, ``.tsv`` or one folder
``<name>/`` of such parts, Hive ``key=value`` partitions included) in one data directory; the
reading rules are in ``data/README.md``:

* ``assignments`` - user_id, experiment, variant, assigned_at (and the spec's unit attribute, e.g.
  account_id, when it randomises by account: here or in ``users``; see :mod:`guidelab.ledger`)
* ``guide_events`` - user_id, guide_id, step (optional), event, timestamp
* ``activity`` - user_id, timestamp, event (optional: product event name, e.g. the goal)
* ``users`` (optional) - user_id, signup_at (optional), any attributes

Every timestamp must carry a zone (ISO 8601 with an offset in CSV; a UTC-adjusted timestamp in
Parquet) unless the spec's ``data_timezone`` names the zone of zoneless ones. CSV is read
exactly as written (every column as text, no dialect sniffing), UTF-8 or CP932 (detected) or
a declared encoding. Source files are only read, never written (a non-UTF-8 CSV is copied to a
temporary UTF-8 file). A broken contract raises
:class:`~guidelab.errors.DataError` naming the file, the column and what was expected.
"""
from __future__ import annotations

import codecs
import contextlib
import csv
import gzip
import os
import re
import tempfile
import urllib.parse
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Callable, Iterable, Literal

import duckdb

from .engine import DuckDBEngine, Engine, EngineOptions, connect_duckdb
from .errors import DataError, GuidelabError, clip
from .serialize import JsonField, ResultModel
from .values import sql_identifier, sql_literal

Severity = Literal["fail", "warn", "info"]


@dataclass(frozen=True)
class TableContract:
    name: str
    required: tuple[str, ...]
    timestamps: tuple[str, ...]
    ids: tuple[str, ...] = ("user_id",)
    optional: bool = False


CONTRACTS = {
    "assignments": TableContract("assignments", ("user_id", "experiment", "variant", "assigned_at"), ("assigned_at",),
                                 ids=("user_id", "experiment", "variant")),
    "guide_events": TableContract("guide_events", ("user_id", "guide_id", "event", "timestamp"), ("timestamp",),
                                  ids=("user_id", "guide_id", "event")),
    "activity": TableContract("activity", ("user_id", "timestamp"), ("timestamp",)),
    "users": TableContract("users", ("user_id",), ("signup_at",), optional=True),
}

@dataclass(frozen=True)
class DataCheck(ResultModel):
    """One data-quality check: ``fail`` makes the verdict INVESTIGATE; ``warn``/``info`` are shown.

    Data, not words: a ``code`` and its ``params``. The report says the check in English or
    Japanese (:func:`guidelab.report.words.check_text`); the JSON form carries the English name
    and detail for dashboards (``name``, ``detail``), said by the same words.
    """

    code: str
    passed: bool
    severity: Severity = "fail"
    params: tuple[tuple[str, object], ...] = ()

    _json_fields = (JsonField("name", "code_and_params", lambda c: _say_check(c, 0)), JsonField("code", convert=lambda c: c or None),
                    "passed", "severity", JsonField("detail", "code_and_params", lambda c: _say_check(c, 1)))

    @classmethod
    def of(cls, code: str, passed: bool, severity: Severity = "fail", **params: object) -> "DataCheck":
        """A check from its code and numbers."""
        return cls(code, passed, severity, tuple(params.items()))

    @property
    def code_and_params(self) -> tuple[str, dict[str, object]]:
        return self.code, dict(self.params)


def _say_check(code_and_params: tuple[str, dict[str, object]], part: int) -> str:
    """The English name (0) or detail (1) of a check, for its JSON form."""
    from .report.words import check_forms

    return check_forms(*code_and_params, "en")[part]


@dataclass(frozen=True)
class SourceFile:
    """One data file of a table: its format, the Hive partition values of its folders, how it is read."""

    path: Path                      # the file as found in the data directory
    format: Literal["parquet", "csv"]
    delimiter: str = ","
    partition: tuple[tuple[str, str | None], ...] = ()   # (key, value) of `key=value` folders, outermost first
    encoding: str = "utf-8"         # of a CSV file: detected (UTF-8, else CP932) or declared
    read_path: Path | None = None   # a UTF-8 copy in a temporary folder when the file is not UTF-8
    header: tuple[str, ...] = ()    # a CSV file's column names


@dataclass(frozen=True)
class TableSource:
    """Where a table came from: one file, or one folder of parts (see ``data/README.md``)."""

    name: str
    path: Path
    files: tuple[SourceFile, ...]

    @property
    def formats(self) -> tuple[str, ...]:
        return tuple(sorted({f.format for f in self.files}))


@dataclass
class EventData:
    """An engine (:mod:`guidelab.engine`) with one view per table of the contract, and where each came from.

    Each view holds every row of its source, typed (ids text, timestamps TIMESTAMPTZ), never
    filtered. ``sources[name]`` is the file or folder read; ``tables[name]`` lists its parts.
    ``con`` is the engine under its old name: every SQL statement goes through its
    ``execute(sql, params)``, on DuckDB (default) or Spark alike.
    """

    engine: Engine
    data_dir: Path
    sources: dict[str, Path] = field(default_factory=dict)
    tables: dict[str, TableSource] = field(default_factory=dict)
    row_counts: dict[str, int] = field(default_factory=dict)
    _tempdir: tempfile.TemporaryDirectory | None = field(default=None, repr=False)
    _spill_dir: tempfile.TemporaryDirectory | None = field(default=None, repr=False)
    _copies_dir: tempfile.TemporaryDirectory | None = field(default=None, repr=False)
    _made_dirs: list[Path] = field(default_factory=list, repr=False)  # folders made for the copies, deepest first

    @property
    def con(self) -> Engine:
        """The engine (DuckDB-compatible: ``execute(sql, params).fetchall()``)."""
        return self.engine

    def has(self, table: str) -> bool:
        return table in self.sources

    def rows_read(self, table: str) -> int:
        """Rows of the table's source (every one of them is in the view)."""
        if table not in self.row_counts:
            raise KeyError(f"table {table!r} was not read")
        return self.row_counts[table]

    def close(self) -> None:
        self.engine.close()
        if self._tempdir is not None:
            self._tempdir.cleanup()
            self._tempdir = None
        if self._copies_dir is not None:
            self._copies_dir.cleanup()
            self._copies_dir = None
        if self._spill_dir is not None:
            self._spill_dir.cleanup()
            self._spill_dir = None
        _remove_empty_folders(self._made_dirs)
        self._made_dirs = []


def _remove_empty_folders(folders: list[Path]) -> None:
    """Remove the folders guidelab made (deepest first) that are empty again; leave any other."""
    for folder in folders:
        try:
            folder.rmdir()
        except OSError:
            return


# --- DuckDB's memory, spill folder and threads --------------------------------------------------
MEMORY_LIMIT_ENV = "GUIDELAB_DUCKDB_MEMORY_LIMIT"
TEMP_DIR_ENV = "GUIDELAB_DUCKDB_TEMP_DIR"
THREADS_ENV = "GUIDELAB_DUCKDB_THREADS"
DEFAULT_MEMORY_LIMIT = "1200MB"
"""DuckDB's default memory limit for guidelab on large data: what the analysis may hold before
it spills to disk. With Python, Arrow and the notebook around it, a 10M-user analysis (≈ 135M
source rows) then peaks under 2 GB: ``guidelab report`` 1.64 GB, 150 s (1GB: count stage alone
1.42 GB, 168 s; 1400MB: 1.88 GB, too close to 2 GB; bench/README.md, tenth session)."""
SMALL_DATA_MEMORY_LIMIT = "640MB"
SMALL_DATA_ROWS = 20_000_000
"""Without ``GUIDELAB_DUCKDB_MEMORY_LIMIT``, data of at most this many source rows (all tables)
gets :data:`SMALL_DATA_MEMORY_LIMIT` instead: a 1M-user export (≈ 14M rows) then peaks at 0.88 GB
(768MB: 1.01–1.06 GB, over the 1 GB goal; 640MB costs ≈ 10% more CPU in spilling, bench/README.md);
on a 10M-user export a small limit makes the count stage spill several times more (768MB: over
25 minutes against about 4), so larger data keeps :data:`DEFAULT_MEMORY_LIMIT`. Sizes between 20M
and 135M rows are not measured: they keep the default."""

DISABLED_OPTIMIZERS = "build_side_probe_side"
"""DuckDB optimizers turned off on guidelab's data connections. ``build_side_probe_side`` swaps
a join's sides when it estimates the left one smaller; after the ledger's UNION ALL of unique
rows and copies (``guidelab.ledger.deduplicated_sql``) it misjudges the 10M activity rows as the
smaller side and builds its hash table on them instead of on the 1M assigned users (spilling at
the memory limit): 7.4 against 3.4 CPU-s for that statement at 1M users. guidelab's SQL writes
every join with the table to hash (the assigned users, a reduction) on the right, so the
written order is the one wanted (bench/README.md, sixth session). A DuckDB without that
optimizer (before 1.1) is left as it is."""

_MEMORY = re.compile(r"^\s*\d+(\.\d+)?\s*(B|KB|MB|GB|TB|KIB|MIB|GIB|TIB)\s*$", re.I)


@dataclass(frozen=True)
class DuckDBSettings:
    """How guidelab's DuckDB connections are bounded (see :func:`duckdb_settings`)."""

    memory_limit: str = DEFAULT_MEMORY_LIMIT
    temp_directory: str | None = None   # None: a new folder under the system temp dir per connection
    threads: int | None = None          # None: DuckDB's default (the machine's cores)
    memory_limit_set: bool = False      # True: from the environment (no adjustment to the data's size)

    def memory_limit_for(self, source_rows: int) -> str:
        """The memory limit for data of ``source_rows`` rows: the environment's when set, else
        :data:`SMALL_DATA_MEMORY_LIMIT` up to :data:`SMALL_DATA_ROWS` rows, else the default."""
        if self.memory_limit_set or source_rows > SMALL_DATA_ROWS:
            return self.memory_limit
        return SMALL_DATA_MEMORY_LIMIT

    def config(self, temp_directory: str) -> dict[str, Any]:
        cfg: dict[str, Any] = {"memory_limit": self.memory_limit, "temp_directory": temp_directory}
        if self.threads is not None:
            cfg["threads"] = self.threads
        return cfg


def duckdb_settings(environ: Any = None) -> DuckDBSettings:
    """DuckDB limits from the environment, checked:

    * ``GUIDELAB_DUCKDB_MEMORY_LIMIT`` (default ``1200MB``, and ``640MB`` once the data is known to
      hold at most 20M rows: :meth:`DuckDBSettings.memory_limit_for`): DuckDB's ``memory_limit``,
      e.g. ``4GB``; past it, joins, aggregates, sorts and temp tables spill to the temp directory;
    * ``GUIDELAB_DUCKDB_TEMP_DIR``: where they spill (DuckDB's ``temp_directory``); default a new
      folder ``guidelab-duckdb-*`` under the system temp dir (``TMPDIR``), removed when the data
      is closed; never the working directory;
    * ``GUIDELAB_DUCKDB_THREADS``: DuckDB's ``threads`` (default: one per core).
    """
    env = os.environ if environ is None else environ
    memory_set = bool((env.get(MEMORY_LIMIT_ENV) or "").strip())
    memory = (env.get(MEMORY_LIMIT_ENV) or DEFAULT_MEMORY_LIMIT).strip()
    if not _MEMORY.match(memory):
        raise GuidelabError(f"{MEMORY_LIMIT_ENV}={clip(memory)}: expected a size such as 1GB, 512MB or 4GiB")
    temp = (env.get(TEMP_DIR_ENV) or "").strip() or None
    threads_text = (env.get(THREADS_ENV) or "").strip()
    threads = None
    if threads_text:
        if not threads_text.isdigit() or int(threads_text) < 1:
            raise GuidelabError(f"{THREADS_ENV}={clip(threads_text)}: expected a whole number of threads, at least 1")
        threads = int(threads_text)
    return DuckDBSettings(memory.replace(" ", ""), temp, threads, memory_set)


# --- finding a table's files ---------------------------------------------------------------
DATA_SUFFIXES: dict[str, tuple[Literal["parquet", "csv"], str]] = {
    ".parquet": ("parquet", ""), ".csv": ("csv", ","), ".csv.gz": ("csv", ","),
    ".tsv": ("csv", "\t"), ".tsv.gz": ("csv", "\t")}
"""The file types of a table, longest suffix first where one ends another."""

SIDE_FILE_NAMES = frozenset({"Thumbs.db", "desktop.ini", "Icon\r"})
"""Files the operating system drops into folders; ignored like ``_SUCCESS``, ``*.crc`` and dot-files."""

HIVE_NULL = "__HIVE_DEFAULT_PARTITION__"


def _data_suffix(name: str) -> str | None:
    low = name.lower()
    return next((s for s in (".csv.gz", ".tsv.gz", ".parquet", ".csv", ".tsv") if low.endswith(s)), None)


def is_side_file(name: str) -> bool:
    """Files and folders Spark, Hive and the OS write beside the data: ``_SUCCESS``, ``_committed_*``,
    ``_started_*``, ``_temporary/``, ``*.crc``, ``.DS_Store`` and other dot-files, ``Thumbs.db``."""
    return name.startswith((".", "_")) or name.lower().endswith(".crc") or name in SIDE_FILE_NAMES


def find_source(data_dir: Path, name: str) -> TableSource | None:
    """Locate a table: one file ``name.parquet|.csv|.csv.gz|.tsv|.tsv.gz`` or one folder ``name/`` of parts.

    Two sources for one table are an error naming both. A folder (also one named like a file,
    ``name.parquet/``, as Spark writes) is read recursively: ``key=value`` folders (Hive
    partitions) add a text column ``key``; side files are ignored; any other file is an error.
    """
    data_dir = Path(data_dir)
    found = [p for p in (data_dir / name, *(data_dir / f"{name}{s}" for s in DATA_SUFFIXES)) if p.exists()]
    if len(found) > 1:
        raise DataError(data_dir, "", f"two sources for table {name!r}: {found[0].name} and {found[1].name}"
                        + (f" (and {len(found) - 2} more)" if len(found) > 2 else "")
                        + ": keep one (a table is one file or one folder of parts)")
    if not found:
        return None
    path = found[0]
    if path.is_file():
        suffix = _data_suffix(path.name) or ".parquet"
        fmt, delim = DATA_SUFFIXES[suffix]
        return TableSource(name, path, (SourceFile(path, fmt, delim or ","),))
    return TableSource(name, path, _folder_parts(path))


def _folder_parts(folder: Path) -> tuple[SourceFile, ...]:
    parts: list[SourceFile] = []
    for root, dirs, files in os.walk(folder):
        dirs[:] = sorted(d for d in dirs if not is_side_file(d))
        rel = Path(root).relative_to(folder)
        partition = tuple(_partition_value(c) for c in rel.parts if "=" in c)
        for f in sorted(files):
            if is_side_file(f):
                continue
            p = Path(root) / f
            suffix = _data_suffix(f)
            if suffix is None:
                raise DataError(p, "", f"unexpected file in the table folder {folder.name}/: expected .parquet, .csv, "
                                       ".csv.gz, .tsv or .tsv.gz parts (side files such as _SUCCESS, *.crc and "
                                       "dot-files are ignored); move it out of the folder")
            fmt, delim = DATA_SUFFIXES[suffix]
            parts.append(SourceFile(p, fmt, delim or ",", partition))
    if not parts:
        raise DataError(folder, "", "the table folder holds no data files: expected .parquet, .csv, .csv.gz, "
                                    ".tsv or .tsv.gz parts")
    keys = {tuple(k for k, _ in f.partition) for f in parts}
    if len(keys) > 1:
        a, b = parts[0], next(f for f in parts if tuple(k for k, _ in f.partition) != tuple(k for k, _ in parts[0].partition))
        raise DataError(folder, "", f"parts are partitioned by different keys: {a.path.relative_to(folder)} and "
                                    f"{b.path.relative_to(folder)}: every part must sit under the same key=value folders")
    return tuple(parts)


def _partition_value(component: str) -> tuple[str, str | None]:
    key, value = component.split("=", 1)
    value = urllib.parse.unquote(value)
    return key, None if value == HIVE_NULL else value


# --- CSV encodings ---------------------------------------------------------------------------
_CHUNK = 1 << 22


def _open_bytes(path: Path) -> Any:
    return gzip.open(path, "rb") if path.name.lower().endswith(".gz") else open(path, "rb")


def _decode(path: Path, encoding: str, out: Path | None = None) -> tuple[int, str] | None:
    """Decode ``path`` strictly in ``encoding``, in chunks so a large file never sits in memory,
    writing a UTF-8 copy to ``out`` when given. None when it decodes; else (line, reason) of the
    first bytes that are not ``encoding``."""
    decoder = codecs.getincrementaldecoder(encoding)("strict")
    newlines = 0
    try:
        with _open_bytes(path) as src, (open(out, "wb") if out is not None else contextlib.nullcontext()) as dst:
            while chunk := src.read(_CHUNK):
                try:
                    text = decoder.decode(chunk)
                except UnicodeDecodeError as exc:
                    return newlines + chunk[:max(exc.start, 0)].count(b"\n") + 1, \
                        f"bytes {exc.object[exc.start:exc.start + 4]!r} are not {encoding}"
                except UnicodeError as exc:  # e.g. a UTF-16 file without its BOM
                    return newlines + 1, f"not {encoding}: {exc}"
                if dst is not None:
                    dst.write(text.encode("utf-8"))
                newlines += chunk.count(b"\n")
            tail = decoder.decode(b"", final=True)
            if dst is not None:
                dst.write(tail.encode("utf-8"))
    except UnicodeDecodeError as exc:
        return newlines + 1, f"the file ends inside a {encoding} character ({exc.reason})"
    except (OSError, EOFError) as exc:
        raise DataError(path, "", f"cannot be read: {exc}") from None
    return None


def _is_utf8(encoding: str) -> bool:
    return codecs.lookup(encoding).name in ("utf-8", "utf-8-sig")


def _as_utf8(part: SourceFile, declared: str | None, out: Callable[[], Path]) -> SourceFile:
    """``part`` with its encoding, and a UTF-8 copy to read when it is not UTF-8 (one pass over the
    bytes to check UTF-8; one more to convert a CP932 or declared file)."""
    if declared:
        try:
            codecs.lookup(declared)
        except LookupError:
            raise GuidelabError(f"--encoding: unknown encoding {clip(declared)}: expected e.g. utf-8 or cp932") from None
        bad = _decode(part.path, declared) if _is_utf8(declared) else _decode(part.path, declared, target := out())
        if bad:
            raise DataError(part.path, "", f"line {bad[0]}: {bad[1]}: the file is not in the declared encoding {declared}")
        return replace(part, encoding=declared) if _is_utf8(declared) else replace(part, encoding=declared, read_path=target)
    bad = _decode(part.path, "utf-8")
    if bad is None:
        return replace(part, encoding="utf-8")
    if _decode(part.path, "cp932", target := out()) is None:
        return replace(part, encoding="cp932", read_path=target)
    raise DataError(part.path, "", f"line {bad[0]}: {bad[1]}, and the file is not CP932/Shift_JIS either: "
                                   "save it as UTF-8, or name its encoding with --encoding")


def utf8_copy(path: Path, tmp_dir: Path, encoding: str | None = None) -> Path:
    """``path`` itself when it is UTF-8 text, else a UTF-8 copy in ``tmp_dir`` (CP932 detected, or
    ``encoding``); for readers of one CSV file outside the data contract (``guidelab analyze``)."""
    delimiter = "\t" if path.name.lower().endswith((".tsv", ".tsv.gz")) else ","
    part = _as_utf8(SourceFile(path, "csv", delimiter), encoding, lambda: tmp_dir / f"utf8-{path.name.removesuffix('.gz')}")
    return part.read_path or path


def _read_header(part: SourceFile) -> tuple[str, ...] | None:
    """The column names of a CSV part (None for a file without a single line)."""
    target = part.read_path or part.path
    opener = gzip.open if target.name.lower().endswith(".gz") else open
    with opener(target, "rt", encoding="utf-8-sig", newline="") as fh:
        try:
            row = next(csv.reader(fh, delimiter=part.delimiter, quotechar='"', doublequote=True, strict=True), None)
        except csv.Error as exc:
            raise DataError(part.path, "", f"line 1: the header cannot be read: {exc}") from None
    if not row:
        return None
    for i, col in enumerate(row):
        if col == "":
            raise DataError(part.path, "", f"line 1: column {i + 1} of the header has no name")
    dup = next((c for i, c in enumerate(row) if c in row[:i]), None)
    if dup is not None:
        raise DataError(part.path, dup, "line 1: the header names this column twice")
    return tuple(row)


# --- reading -------------------------------------------------------------------------------------
_FILE_COL = "__guidelab_file"
"""A column DuckDB fills with each row's file (to name the file in an error); not in the views."""


def _file_list(parts: list[SourceFile]) -> str:
    return "[" + ", ".join(sql_literal(str(p.read_path or p.path)) for p in parts) + "]"


def _group_sql(parts: list[SourceFile], as_text: bool) -> str:
    """SQL reading parts that share a format, a header and partition values, with those values as columns."""
    first = parts[0]
    if first.format == "parquet":
        reader = f"read_parquet({_file_list(parts)}, union_by_name=true, hive_partitioning=false, filename={sql_literal(_FILE_COL)})"
        select = f"CAST(COLUMNS(* EXCLUDE ({sql_identifier(_FILE_COL)})) AS VARCHAR), {sql_identifier(_FILE_COL)}" if as_text else "*"
    else:
        columns = ", ".join(f"{sql_literal(c)}: 'VARCHAR'" for c in first.header)
        reader = (f"read_csv({_file_list(parts)}, header=true, auto_detect=false, columns={{{columns}}}, "
                  f"delim={sql_literal(first.delimiter)}, quote='\"', escape='\"', strict_mode=true, null_padding=false, "
                  f"hive_partitioning=false, filename={sql_literal(_FILE_COL)})")
        select = "*"
    consts = "".join(f", {'NULL' if v is None else sql_literal(v)}::VARCHAR AS {sql_identifier(k)}" for k, v in first.partition)
    return f"SELECT {select}{consts} FROM {reader}"


def _relation_sql(con: duckdb.DuckDBPyConnection, source: TableSource) -> str:
    """One SQL relation with every row of every part (UNION ALL BY NAME); a mixed CSV/Parquet folder is read as text."""
    groups: dict[tuple, list[SourceFile]] = {}
    for part in source.files:
        if part.format == "csv" and not part.header:
            continue  # a CSV part without a single line holds no rows
        groups.setdefault((part.format, part.delimiter, part.header, part.partition), []).append(part)
    if not groups:
        raise DataError(source.path, "", "the file is empty: expected a header line with the table's columns")
    as_text = len({k[0] for k in groups}) > 1
    selects = []
    for (fmt, _, header, partition), parts in groups.items():
        if partition:
            cols = set(header) if fmt == "csv" else set(_describe(con, f"SELECT * FROM read_parquet({_file_list(parts[:1])}, hive_partitioning=false)", parts[0].path))
            clash = next((k for k, _ in partition if k in cols), None)
            if clash:
                raise DataError(parts[0].path, clash, f"the column is both in the file and in its folder name "
                                                      f"({clash}=...): keep one")
        selects.append(_group_sql(parts, as_text))
    return selects[0] if len(selects) == 1 else " UNION ALL BY NAME ".join(f"({s})" for s in selects)


def _describe(con: duckdb.DuckDBPyConnection, sql: str, path: Path) -> dict[str, str]:
    try:
        rows = con.execute(f"DESCRIBE {sql}").fetchall()
    except duckdb.Error as exc:
        raise _read_error(exc, path, {}) from None
    return {r[0]: r[1] for r in rows}


def _read_error(exc: Exception, path: Path, by_read_path: dict[str, Path]) -> DataError:
    """A DataError naming the file, the line and DuckDB's reason (not its list of possible fixes)."""
    text = str(exc)
    m_file = re.search(r"^\s*file = (.+)$", text, re.M)
    file = by_read_path.get(m_file.group(1).strip(), Path(m_file.group(1).strip())) if m_file else path
    m_line = re.search(r"CSV Error on Line: (\d+)", text)
    if m_line:
        body = text.split("Possible fixes:")[0].split("Possible Solution:")[0]
        original = re.search(r"Original Line: (.*)", body)
        reason_lines = [ln.strip() for ln in body.splitlines()[1:] if ln.strip() and not ln.startswith("Original Line")]
        reason = reason_lines[-1] if reason_lines else "the line does not fit the header"
        shown = f" ({clip(original.group(1))})" if original else ""
        return DataError(file, "", f"line {m_line.group(1)}: {reason}{shown}")
    first = next((ln for ln in text.splitlines() if ln.strip()), text)
    first = re.sub(r"^[A-Za-z ]*Error: ", "", first)
    if len(first) > 300:
        first = f"{first[:300]}… ({len(first):,} characters)"
    return DataError(file, "", f"cannot be read: {first}")


_ZONED = r"\d{1,2}:\d{2}(:\d{2}([.,]\d+)?)?\s*(Z|z|UTC|[+-]\d{2}(:?\d{2})?)$"
"""A timestamp text that ends with its zone: ``…09:00:00+09:00``, ``…09:00Z``, ``…09:00:00 +0900``."""

_ENDS_IN_WORD = r"[A-Za-z]$"
"""A text that is not zoned by :data:`_ZONED` yet ends in a letter: a zone by name (``… JST``,
``… Asia/Tokyo``) or a word (``infinity``). DuckDB's TIMESTAMP cast reads such a value and drops
the name, so reading it in ``data_timezone`` would shift it: it is refused as not a timestamp."""

_NAIVE_TYPES = ("TIMESTAMP", "TIMESTAMP_NS", "TIMESTAMP_MS", "TIMESTAMP_S", "DATE")


def _zoned_sql(v: str, cast: str = "CAST") -> str:
    """A text with its zone as TIMESTAMPTZ: '… +0900' and '…z' as DuckDB reads them (``cast``: CAST or TRY_CAST)."""
    return f"{cast}(regexp_replace(upper({v}), '\\s+([+-]\\d)', '\\1') AS TIMESTAMPTZ)"


def _local_sql(v: str, data_timezone: str | None, cast: str = "CAST") -> str:
    """A zoneless time as TIMESTAMPTZ: read in ``data_timezone``, or a plain cast (an error) without one."""
    return (f"timezone({sql_literal(data_timezone)}, {cast}({v} AS TIMESTAMP))" if data_timezone
            else f"{cast}({v} AS TIMESTAMPTZ)")


def _is_zoned_type(typ: str) -> bool:
    """TIMESTAMP WITH TIME ZONE in any precision (DuckDB names the nanosecond one TIMESTAMPTZ_NS)."""
    return typ == "TIMESTAMP WITH TIME ZONE" or typ.startswith("TIMESTAMPTZ")


@dataclass
class _TimestampCheck:
    """A timestamp column's reading expression and the aggregates that check it (one query per table)."""

    col: str
    typ: str
    expr: str
    aggregates: list[str]


def text_timestamp_aggregates(v: str, file: str, bad: str, zoneless: str, zoned: str) -> list[str]:
    """The checks of a text timestamp column, in the order the readers unpack them: unreadable
    values (count, an example, its file), zoneless values (likewise), values with a zone (count,
    an example). The conditions are SQL of the engine at hand (DuckDB or Spark)."""
    return [f"count_if({bad})", f"any_value({v}) FILTER (WHERE {bad})", f"any_value({file}) FILTER (WHERE {bad})",
            f"count_if({zoneless})", f"any_value({v}) FILTER (WHERE {zoneless})",
            f"any_value({file}) FILTER (WHERE {zoneless})",
            f"count_if({zoned})", f"any_value({v}) FILTER (WHERE {zoned})"]


def _timestamp_expr(col: str, typ: str, data_timezone: str | None) -> _TimestampCheck:
    """How a timestamp column is read, and what to count to check it. Never shifts a time:
    a value with an offset keeps it; a value without one is read in ``data_timezone`` or is an error."""
    q = sql_identifier(col)
    file = sql_identifier(_FILE_COL)
    if _is_zoned_type(typ):
        return _TimestampCheck(col, typ, q if typ == "TIMESTAMP WITH TIME ZONE" else f"CAST({q} AS TIMESTAMPTZ)", [])
    if typ == "VARCHAR":
        v = f"NULLIF(trim({q}), '')"
        zoned = f"regexp_matches({v}, {sql_literal(_ZONED)})"
        zoneless = f"{v} IS NOT NULL AND NOT {zoned}"
        bad = (f"{v} IS NOT NULL AND CASE WHEN {zoned} THEN {_zoned_sql(v, 'TRY_CAST')} IS NULL "
               f"ELSE TRY_CAST({v} AS TIMESTAMP) IS NULL OR regexp_matches({v}, {sql_literal(_ENDS_IN_WORD)}) END")
        expr = f"CASE WHEN {zoned} THEN {_zoned_sql(v)} ELSE {_local_sql(v, data_timezone)} END"
        return _TimestampCheck(col, typ, expr, text_timestamp_aggregates(v, file, bad, zoneless, zoned))
    if typ in _NAIVE_TYPES:
        return _TimestampCheck(col, typ, _local_sql(q, data_timezone), [f"count({q})", f"CAST(any_value({q}) AS VARCHAR)", f"any_value({file}) FILTER (WHERE {q} IS NOT NULL)"])
    return _TimestampCheck(col, typ, "", [])


def _check_timestamps(check: _TimestampCheck, values: list, source: TableSource, files: dict[str, Path],
                      data_timezone: str | None) -> None:
    """Raise the DataError a timestamp column deserves, from the aggregates of the table's one query."""
    col, typ = check.col, check.typ

    def where(f: object) -> Path:
        return files.get(str(f), source.path) if f is not None else source.path

    if typ == "VARCHAR":
        n_bad, ex_bad, f_bad, n_zoneless, ex_zoneless, f_zoneless, n_zoned, ex_zoned = values
        if n_bad:
            raise DataError(where(f_bad), col, f"{n_bad:,} value(s) are not timestamps, e.g. {clip(ex_bad)}: "
                                               "expected ISO 8601 such as 2026-10-01T09:00:00+09:00")
        if n_zoneless and not data_timezone:
            mixed = f", while {n_zoned:,} carry one (e.g. {clip(ex_zoned)})" if n_zoned else ""
            raise DataError(where(f_zoneless), col,
                            f"{n_zoneless:,} value(s) without a time zone, e.g. {clip(ex_zoneless)}{mixed}: a zoneless "
                            "time is never guessed (it would shift users across days); export ISO 8601 with an offset "
                            "such as 2026-10-01T09:00:00+09:00, or declare the zone of zoneless values with "
                            "data_timezone: in the experiment spec")
    elif typ in _NAIVE_TYPES:
        n, example, f = values
        if n and not data_timezone:
            raise DataError(where(f), col, f"{n:,} timestamps have no time zone (type {typ}), e.g. {clip(example)}: "
                                           "expected a UTC-adjusted timestamp (TIMESTAMP WITH TIME ZONE) in Parquet, "
                                           "or declare their zone with data_timezone: in the experiment spec")
    elif not _is_zoned_type(typ):
        raise DataError(source.path, col, f"expected a timestamp with a time zone, found type {typ}")


def _prepare_csv(source: TableSource, encoding: str | None, tempdir: Callable[[], Path]) -> TableSource:
    """Check each CSV part's encoding, make UTF-8 copies of the others, read the headers."""
    if all(f.format != "csv" for f in source.files):
        return source
    parts = []
    for i, part in enumerate(source.files):
        if part.format == "csv":
            suffix = "tsv" if part.delimiter == "\t" else "csv"
            part = _as_utf8(part, encoding, lambda i=i, suffix=suffix: tempdir() / f"{source.name}-{i}.{suffix}")
            part = replace(part, header=_read_header(part) or ())
        parts.append(part)
    return replace(source, files=tuple(parts))


def check_sources(data_dir: str | Path, tables: tuple[str, ...] = ("assignments", "guide_events", "activity", "users")) -> None:
    """Apply the file rules only (one source per table, no unexpected file, required tables present),
    without reading a row: a quick check before a long run (``guidelab report``)."""
    data_dir = Path(data_dir)
    if not data_dir.is_dir():
        raise DataError(data_dir, "", "data directory not found")
    for name in tables:
        if find_source(data_dir, name) is None and not CONTRACTS[name].optional:
            raise _missing_table(data_dir, name)


RESERVED_PREFIX = "_gl_"
"""Column names beginning with this (in any case) are guidelab's working columns in its SQL
(``_gl_day``, ``_gl_n``, ``_gl_uk``...): a table's own column of such a name would be read in
their place, so it is refused."""


def check_columns(path: str | Path, contract: TableContract, cols: Iterable[str]) -> None:
    """Raise the DataError a table's columns deserve: a required column missing, or a column named
    like one of guidelab's working columns (:data:`RESERVED_PREFIX`)."""
    names = list(cols)
    missing = [c for c in contract.required if c not in names]
    if missing:
        raise DataError(path, missing[0], f"missing column: expected columns {', '.join(contract.required)}; "
                                          f"found {clip(', '.join(names) or 'none')[1:-1]}")
    reserved = [c for c in names if c.lower().startswith(RESERVED_PREFIX)]
    if reserved:
        raise DataError(path, reserved[0], f"reserved column name: names beginning with {RESERVED_PREFIX} are "
                                           f"guidelab's working columns; rename or drop it in the export "
                                           f"(found {clip(', '.join(reserved))[1:-1]})")


def _missing_table(data_dir: Path, name: str) -> DataError:
    others = sorted(p.name for p in data_dir.glob(f"{name}.*"))
    seen = f" (found {', '.join(others)}, which is not a supported type)" if others else ""
    return DataError(data_dir / f"{name}.parquet", "",
                     f"missing table {name!r}: expected {name}.parquet, {name}.csv (or .csv.gz, .tsv) or a folder "
                     f"{name}/ with columns {', '.join(CONTRACTS[name].required)}{seen}")


def open_event_data(data_dir: str | Path, tables: tuple[str, ...] = ("assignments", "guide_events", "activity", "users"),
                    *, encoding: str | None = None, data_timezone: str | None = None,
                    engine: EngineOptions | str | None = None) -> EventData:
    """Open the tables of ``data_dir`` as views of an engine after checking the contract.

    Each view holds every row of its source: ids as text, timestamps as TIMESTAMPTZ (a
    zoneless timestamp is read in ``data_timezone``, or is an error). ``encoding`` names the
    encoding of the CSV files (default: UTF-8, else CP932, detected per file). The reading
    rules are in ``data/README.md``; a broken one raises :class:`DataError`, never a half-read table.
    ``engine``: DuckDB (default) reads the files itself as below; ``spark`` reads them with
    Spark (:mod:`guidelab.spark_events`, the same rules where Spark can apply them).
    """
    options = EngineOptions.of(engine)
    if options.engine == "spark":
        from .spark_events import open_spark_event_data

        return open_spark_event_data(data_dir, tables, encoding=encoding, data_timezone=data_timezone, options=options)
    data_dir = Path(data_dir)
    if not data_dir.is_dir():
        raise DataError(data_dir, "", "data directory not found")
    settings = duckdb_settings()
    spill = settings.temp_directory
    owned_spill = None
    if spill is None:  # a folder of our own under the system temp dir, removed on close
        owned_spill = tempfile.TemporaryDirectory(prefix="guidelab-duckdb-")
        spill = owned_spill.name
    con = connect_duckdb(settings.config(spill))
    con.execute("SET TimeZone = 'UTC'")
    try:
        con.execute(f"SET disabled_optimizers = {sql_literal(DISABLED_OPTIMIZERS)}")
    except duckdb.Error:  # a DuckDB without that optimizer: it keeps the written join order anyway
        pass
    ed = EventData(DuckDBEngine(con), data_dir, _spill_dir=owned_spill)

    def tempdir() -> Path:
        if ed._tempdir is None:
            ed._tempdir = tempfile.TemporaryDirectory(prefix="guidelab-")
        return Path(ed._tempdir.name)

    try:
        for name in tables:
            _open_table(ed, name, encoding, data_timezone, tempdir, spill)
        limit = settings.memory_limit_for(sum(ed.row_counts.values()))
        if limit != settings.memory_limit:  # sized to the data, now that its rows are counted
            con.execute(f"SET memory_limit = {sql_literal(limit)}")
    except BaseException:
        ed.close()
        raise
    return ed


CSV_COPY_BYTES = 8 << 20
"""A CSV table of at least this many bytes (about 200,000 activity rows) is read once into a
typed Parquet copy under DuckDB's temp directory, removed when the data is closed, and the
analysis reads the copy: the count stage reads the activity 4 times, and each read of a CSV parses
every field and each timestamp's zone again (at 1M users, 10M activity rows: 6.2 CPU-s a read of
the CSV against 0.6 of the copy; bench/README.md, eighth session). The same pass screens the
timestamps, so the table's checks read the copy too. Smaller tables keep a view over the CSV."""


def _csv_bytes(source: TableSource) -> int:
    return sum(Path(f.read_path or f.path).stat().st_size for f in source.files if f.format == "csv")


def _typed_parquet_copy(ed: EventData, name: str, rel: str, cols: dict[str, str], contract: Any,
                        data_timezone: str | None, source: TableSource, files: dict[str, Path],
                        spill: str) -> tuple[str, int] | None:
    """Read a CSV table once into Parquet under ``spill``: the typed columns (what the view over the
    CSV gives) and, per timestamp column, whether each value is unreadable and whether it has no zone.
    Returns the SQL reading the typed columns back and the rows, or None (the copy removed) when a
    timestamp would fail the table's checks, or when no folder for the copy can be made under
    ``spill``: the caller then reads the CSV itself (its checks give their usual message).

    Each value is trimmed, tested for a zone (one regex) and cast (``TRY_CAST``) once, in nested
    projections; a value is unreadable exactly when it is not empty and its cast is NULL, which is
    what the checks count (``_timestamp_expr``)."""
    if ed._copies_dir is None:
        made = [p for p in (Path(spill), *Path(spill).parents) if not p.exists()]  # DuckDB makes it only to spill
        try:
            Path(spill).mkdir(parents=True, exist_ok=True)
            ed._copies_dir = tempfile.TemporaryDirectory(prefix="guidelab-csv-", dir=spill)
        except OSError:  # the copy only saves time: read the CSV itself, as a smaller table is read
            _remove_empty_folders(made)
            return None
        ed._made_dirs = made
    path = Path(ed._copies_dir.name) / f"{name}.parquet"
    stamps = [c for c in contract.timestamps if c in cols]
    trimmed = ", ".join(f"NULLIF(trim({sql_identifier(c)}), '') AS _gl_v{i}" for i, c in enumerate(stamps))
    zoned = ", ".join(f"regexp_matches(_gl_v{i}, {sql_literal(_ZONED)}) AS _gl_z{i}" for i in range(len(stamps)))
    cast = ", ".join(
        f"CASE WHEN _gl_z{i} THEN {_zoned_sql(f'_gl_v{i}', 'TRY_CAST')} "
        f"WHEN regexp_matches(_gl_v{i}, {sql_literal(_ENDS_IN_WORD)}) THEN NULL "
        f"ELSE {_local_sql(f'_gl_v{i}', data_timezone, 'TRY_CAST')} END AS _gl_t{i}" for i in range(len(stamps)))
    typed = []
    for col in cols:
        q = sql_identifier(col)
        if col in stamps:
            typed.append(f"_gl_t{stamps.index(col)} AS {q}")
        elif col in contract.ids:
            typed.append(f"CAST({q} AS VARCHAR) AS {q}")
        else:
            typed.append(q)
    flags = [f"_gl_v{i} IS NOT NULL AND _gl_t{i} IS NULL AS _gl_bad{i}, _gl_v{i} IS NOT NULL AND NOT _gl_z{i} AS _gl_zoneless{i}"
             for i in range(len(stamps))]
    sql = f"SELECT * FROM {rel}"
    for layer in (trimmed, zoned, cast):
        if layer:
            sql = f"SELECT *, {layer} FROM ({sql})"
    sql = f"SELECT {', '.join(typed + flags)} FROM ({sql})"
    target = sql_literal(str(path))
    try:
        ed.con.execute(f"COPY ({sql}) TO {target} (FORMAT parquet)")
    except duckdb.IOException as exc:
        if ed._copies_dir.name not in str(exc) and "No space left" not in str(exc):  # reading the CSV failed
            raise _read_error(exc, source.path, files) from None
        reason = ("No space left on device" if "No space left" in str(exc)
                  else clip(next((ln for ln in str(exc).splitlines() if ln.strip()), str(exc))))
        raise GuidelabError(f"{source.path}: its Parquet copy could not be written under {spill}: {reason}\n"
                            f"  set {TEMP_DIR_ENV} to a folder with room (about a fifth of the CSV's size)") from None
    except duckdb.Error as exc:
        raise _read_error(exc, source.path, files) from None
    counts = [f"count_if(_gl_bad{i}), count_if(_gl_zoneless{i})" for i in range(len(stamps))]
    row = ed.con.execute(f"SELECT {', '.join(['count(*)', *counts])} FROM read_parquet({target})").fetchone()
    if any(row[1 + 2 * i] or (row[2 + 2 * i] and not data_timezone) for i in range(len(stamps))):
        path.unlink()
        return None
    return f"SELECT {', '.join(sql_identifier(c) for c in cols)} FROM read_parquet({target})", int(row[0])


def _open_table(ed: EventData, name: str, encoding: str | None, data_timezone: str | None,
                tempdir: Callable[[], Path], spill: str | None = None) -> None:
    contract = CONTRACTS[name]
    con = ed.con
    source = find_source(ed.data_dir, name)
    if source is None:
        if contract.optional:
            return
        raise _missing_table(ed.data_dir, name)
    source = _prepare_csv(source, encoding, tempdir)
    files = {str(f.read_path or f.path): f.path for f in source.files}
    rel = f"({_relation_sql(con, source)})"
    cols = {c: t for c, t in _describe(con, f"SELECT * FROM {rel}", source.path).items() if c != _FILE_COL}
    check_columns(source.path, contract, cols)
    checks = [_timestamp_expr(c, cols[c], data_timezone) for c in contract.timestamps if c in cols]
    for ch in checks:
        if not ch.expr:
            _check_timestamps(ch, [], source, files, data_timezone)
    if (spill is not None and any(f.format == "csv" for f in source.files) and all(ch.typ == "VARCHAR" for ch in checks)
            and _csv_bytes(source) >= CSV_COPY_BYTES):
        copied = _typed_parquet_copy(ed, name, rel, cols, contract, data_timezone, source, files, spill)
        if copied is not None:
            typed, rows = copied
            con.execute(f"CREATE VIEW {name} AS {typed}")
            ed.sources[name] = source.path
            ed.tables[name] = source
            ed.row_counts[name] = rows
            return
    aggregates = ["count(*)"] + [a for ch in checks for a in ch.aggregates]
    try:
        row = con.execute(f"SELECT {', '.join(aggregates)} FROM {rel}").fetchone()
    except duckdb.Error as exc:
        raise _read_error(exc, source.path, files) from None
    values = list(row[1:])
    for ch in checks:
        _check_timestamps(ch, values[:len(ch.aggregates)], source, files, data_timezone)
        values = values[len(ch.aggregates):]
    exprs = {ch.col: ch.expr for ch in checks}
    select = []
    for col in cols:
        q = sql_identifier(col)
        if col in contract.ids:
            select.append(f"CAST({q} AS VARCHAR) AS {q}")
        elif col in exprs:
            select.append(f"{exprs[col]} AS {q}")
        else:
            select.append(q)
    con.execute(f"CREATE VIEW {name} AS SELECT {', '.join(select)} FROM {rel}")
    ed.sources[name] = source.path
    ed.tables[name] = source
    ed.row_counts[name] = int(row[0])
