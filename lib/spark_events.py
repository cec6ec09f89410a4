"""The data contract read by Spark: the exports as Spark views with the same values as on DuckDB.

``guidelab ... --engine spark`` reads the tables of the data directory (a local folder, or a
folder on object storage such as ``s3a://bucket/exports/onboarding`` or ``gs://...``) with
Spark's own readers and exposes the same views as :func:`guidelab.events.open_event_data`:
every row of the source, ids as text, timestamps as instants (UTC), a zoneless timestamp read
in the spec's ``data_timezone`` or refused. The rules that decide values are the same:

* Parquet: ``spark.read.parquet`` (parts of a folder merged by column name); a UTC-adjusted
  timestamp is an instant; a zoneless one (``TIMESTAMP_NTZ``) or a ``DATE`` needs ``data_timezone``;
* CSV/TSV (``.gz`` too): every column read as text with its header, then each timestamp checked
  as on DuckDB (ISO 8601 with an offset, or zoneless with ``data_timezone``; anything else is
  an error naming the file, the column and an example);
* ``key=value`` folders (Hive partitions) become text columns; side files (``_SUCCESS``,
  ``*.crc``, dot-files) are ignored; two sources for a table are an error.

Not supported on Spark, each a :class:`~guidelab.errors.DataError` naming the file: CSV that is
not UTF-8 (CP932 is re-encoded only by the DuckDB engine; ``--encoding`` other than UTF-8),
a folder mixing CSV and Parquet parts, CSV parts with different headers.
"""
from __future__ import annotations

import urllib.parse
from pathlib import Path
from typing import Any

from .engine import EngineOptions, SparkEngine, open_engine
from .errors import DataError, clip
from .events import (
    _ENDS_IN_WORD,
    _ZONED,
    CONTRACTS,
    DATA_SUFFIXES,
    EventData,
    SourceFile,
    TableSource,
    _check_timestamps,
    _decode,
    _is_utf8,
    _missing_table,
    _read_header,
    check_columns,
    find_source,
    is_side_file,
    text_timestamp_aggregates,
)

_FILE_COL = "__guidelab_file"

SPARK_TYPE_NAMES = {"timestamp": "TIMESTAMP WITH TIME ZONE", "timestamp_ntz": "TIMESTAMP", "date": "DATE",
                    "string": "VARCHAR"}
"""Spark's column types under the DuckDB names the contract's messages use."""

NOT_ON_SPARK = "not supported on the spark engine"
_SPACE_BEFORE_OFFSET = r"\s+([+-]\d)"  # '... +0900' read as '...+0900', as on DuckDB


def is_uri(path: str | Path) -> bool:
    """An object-storage or HDFS location (``s3a://``, ``gs://``, ``abfss://``, ``hdfs://``), not a local folder."""
    return "://" in str(path) and not str(path).startswith("file://")


class RemoteDir(str):
    """A folder on object storage or HDFS, kept as its URI (``Path`` would fold ``s3a://`` into ``s3a:/``)."""

    def __truediv__(self, other: str) -> "RemoteDir":
        return RemoteDir(f"{self.rstrip('/')}/{other}")

    @property
    def name(self) -> str:
        return self.rstrip("/").rsplit("/", 1)[-1]

    def glob(self, pattern: str) -> list:  # other files of a missing table are not listed remotely
        return []


def _q(name: str) -> str:
    return "`" + name.replace("`", "``") + "`"


def _s(text: str) -> str:
    """A Spark SQL string literal (backslashes and quotes escaped the way Spark reads them)."""
    from sqlglot import exp

    return exp.Literal.string(text).sql(dialect="spark")


def open_spark_event_data(data_dir: str | Path, tables: tuple[str, ...], *, encoding: str | None,
                          data_timezone: str | None, options: EngineOptions) -> EventData:
    """The tables of ``data_dir`` as views of a :class:`~guidelab.engine.SparkEngine` (see the module doc)."""
    if encoding and not _is_utf8(encoding):
        raise DataError(data_dir, "", f"--encoding {clip(encoding)}: {NOT_ON_SPARK} (Spark reads UTF-8 CSV only): "
                                      "save the CSV files as UTF-8, or use --engine duckdb")
    remote = is_uri(data_dir)
    if not remote:
        data_dir = Path(data_dir)
        if not data_dir.is_dir():
            raise DataError(data_dir, "", "data directory not found")
    engine = open_engine(options)
    assert isinstance(engine, SparkEngine)
    ed = EventData(engine, data_dir if not remote else RemoteDir(str(data_dir).rstrip("/")))  # type: ignore[arg-type]
    try:
        for name in tables:
            source = _remote_source(engine, str(data_dir).rstrip("/"), name) if remote else _local_source(Path(data_dir), name)
            if source is None:
                if CONTRACTS[name].optional:
                    continue
                raise _missing_table(ed.data_dir, name)
            _open_table(ed, engine, name, source, data_timezone)
    except BaseException:
        ed.close()
        raise
    return ed


# --- finding the files ---------------------------------------------------------------------------
class _SparkSource:
    """A table's files as Spark reads them: one format, the folder (for partition discovery), the files."""

    def __init__(self, name: str, path: str, fmt: str, delimiter: str, files: list[str], base: str | None,
                 local: TableSource | None = None):
        self.name, self.path, self.fmt, self.delimiter, self.files, self.base, self.local = \
            name, path, fmt, delimiter, files, base, local


def _local_source(data_dir: Path, name: str) -> _SparkSource | None:
    source = find_source(data_dir, name)  # the same file rules as on DuckDB
    if source is None:
        return None
    formats = {(f.format, f.delimiter) for f in source.files}
    if len(formats) > 1:
        raise DataError(source.path, "", f"the folder mixes {' and '.join(sorted(f for f, _ in formats))} parts: "
                                         f"{NOT_ON_SPARK}: keep one format, or use --engine duckdb")
    fmt, delimiter = formats.pop()
    parts = list(source.files)
    if fmt == "csv":
        parts = _checked_csv_parts(source)
        if not parts:
            raise DataError(source.path, "", "the file is empty: expected a header line with the table's columns")
    base = str(source.path) if source.path.is_dir() else None
    return _SparkSource(name, str(source.path), fmt, delimiter, [str(p.path) for p in parts], base, source)


def _checked_csv_parts(source: TableSource) -> list[SourceFile]:
    """UTF-8 CSV parts with one header (empty parts hold no rows and are skipped)."""
    parts = []
    for part in source.files:
        bad = _decode(part.path, "utf-8")
        if bad is not None:
            raise DataError(part.path, "", f"line {bad[0]}: {bad[1]}: the file is not UTF-8 (e.g. CP932): {NOT_ON_SPARK}: "
                                           "save it as UTF-8, or use --engine duckdb (which reads CP932)")
        header = _read_header(part)
        if header:
            parts.append(SourceFile(part.path, part.format, part.delimiter, part.partition, "utf-8", None, header))
    headers = {p.header for p in parts}
    if len(headers) > 1:
        a = parts[0]
        b = next(p for p in parts if p.header != a.header)
        raise DataError(b.path, "", f"its header differs from {a.path.name}'s: CSV parts with different headers are "
                                    f"{NOT_ON_SPARK}: give every part the same columns, or use --engine duckdb")
    return parts


def _remote_source(engine: SparkEngine, base: str, name: str) -> _SparkSource | None:
    """A table on object storage or HDFS, found through Hadoop's FileSystem (the same names as locally)."""
    spark = engine.spark
    jvm = spark._jvm
    conf = spark._jsc.hadoopConfiguration()

    def hpath(p: str) -> Any:
        return jvm.org.apache.hadoop.fs.Path(p)

    try:
        fs = hpath(base).getFileSystem(conf)
        if not fs.exists(hpath(base)):
            raise DataError(base, "", "data directory not found")
        found = [c for c in (f"{base}/{name}", *(f"{base}/{name}{s}" for s in DATA_SUFFIXES)) if fs.exists(hpath(c))]
    except DataError:
        raise
    except Exception as exc:  # no credentials, no hadoop-aws on the classpath...
        first = next((ln for ln in str(exc).splitlines() if ln.strip()), type(exc).__name__)
        raise DataError(base, "", f"cannot be listed by Spark: {clip(first, 300)} (see docs/engines.md: object storage)") from None
    if len(found) > 1:
        raise DataError(base, "", f"two sources for table {name!r}: {found[0]} and {found[1]}: keep one")
    if not found:
        return None
    path = found[0]
    status = fs.getFileStatus(hpath(path))
    files: list[str] = []
    if status.isDirectory():
        it = fs.listFiles(hpath(path), True)
        while it.hasNext():
            f = it.next().getPath()
            rel = f.toString()[len(path):].strip("/").split("/")
            if any(is_side_file(c) for c in rel):
                continue
            files.append(f.toString())
    else:
        files = [path]
    kinds = set()
    for f in files:
        low = f.lower()
        suffix = next((s for s in (".csv.gz", ".tsv.gz", ".parquet", ".csv", ".tsv") if low.endswith(s)), None)
        if suffix is None:
            raise DataError(f, "", f"unexpected file in the table folder {name}/: expected .parquet, .csv, .csv.gz, "
                                   ".tsv or .tsv.gz parts")
        kinds.add(DATA_SUFFIXES[suffix])
    if not files:
        raise DataError(path, "", "the table folder holds no data files")
    if len(kinds) > 1:
        raise DataError(path, "", f"the folder mixes CSV and Parquet parts: {NOT_ON_SPARK}")
    fmt, delimiter = kinds.pop()
    return _SparkSource(name, path, fmt, delimiter or ",", files, path if status.isDirectory() else None)


# --- reading -------------------------------------------------------------------------------------
def _read(engine: SparkEngine, source: _SparkSource) -> Any:
    reader = engine.spark.read
    if source.base:
        reader = reader.option("basePath", source.base)  # key=value folders under it become columns
    try:
        if source.fmt == "parquet":
            df = reader.option("mergeSchema", "true").parquet(*source.files)
        else:
            df = (reader.option("header", "true").option("inferSchema", "false").option("sep", source.delimiter)
                  .option("quote", '"').option("escape", '"').option("multiLine", "true").option("mode", "FAILFAST")
                  .option("encoding", "UTF-8").csv(source.files))
        return df.select("*", df["_metadata.file_path"].alias(_FILE_COL))
    except Exception as exc:
        raise _spark_read_error(exc, source) from None


def _spark_read_error(exc: Exception, source: _SparkSource) -> DataError:
    text = str(exc)
    first = next((ln for ln in text.splitlines() if ln.strip()), type(exc).__name__)
    file = next((f for f in source.files if Path(f).name in text), source.path)
    return DataError(file, "", f"cannot be read by Spark: {clip(first, 300)}")


def _file_paths(source: _SparkSource) -> dict[str, Path]:
    """Spark's ``_metadata.file_path`` (a URI) -> the file as named in the data directory."""
    out: dict[str, Path] = {}
    for f in source.files:
        out[f] = Path(f)
        if not is_uri(f):
            uri = Path(f).resolve().as_uri()
            out[uri] = Path(f)
            out[urllib.parse.unquote(uri)] = Path(f)
            out["file:" + str(Path(f).resolve())] = Path(f)
    return out


def _timestamp_check(col: str, typ: str, data_timezone: str | None) -> tuple[str, str, list[str]]:
    """(DuckDB type name, Spark reading expression, aggregates) of a timestamp column: the rules of
    :func:`guidelab.events._timestamp_expr` in Spark SQL (same checks, same values)."""
    q, file = _q(col), _q(_FILE_COL)
    duck = SPARK_TYPE_NAMES.get(typ, typ.upper())
    tz = _s(data_timezone) if data_timezone else None
    if typ == "timestamp":
        return duck, q, []
    if typ == "string":
        v = f"NULLIF(trim({q}), '')"
        zoned = f"({v} RLIKE {_s(_ZONED)})"
        zoneless = f"({v} IS NOT NULL AND NOT {zoned})"
        as_zoned = f"regexp_replace(upper({v}), {_s(_SPACE_BEFORE_OFFSET)}, '$1')"
        bad = (f"({v} IS NOT NULL AND CASE WHEN {zoned} THEN try_cast({as_zoned} AS TIMESTAMP) IS NULL "
               f"ELSE try_cast({v} AS TIMESTAMP_NTZ) IS NULL OR {v} RLIKE {_s(_ENDS_IN_WORD)} END)")
        local = f"to_utc_timestamp(try_cast({v} AS TIMESTAMP_NTZ), {tz})" if tz else f"try_cast({v} AS TIMESTAMP)"
        expr = f"CASE WHEN {zoned} THEN try_cast({as_zoned} AS TIMESTAMP) ELSE {local} END"
        return duck, expr, text_timestamp_aggregates(v, file, bad, zoneless, zoned)
    if typ in ("timestamp_ntz", "date"):
        expr = f"to_utc_timestamp(CAST({q} AS TIMESTAMP_NTZ), {tz})" if tz else f"CAST({q} AS TIMESTAMP)"
        return duck, expr, [f"count({q})", f"CAST(any_value({q}) AS STRING)", f"any_value({file}) FILTER (WHERE {q} IS NOT NULL)"]
    return duck, "", []


def _open_table(ed: EventData, engine: SparkEngine, name: str, source: _SparkSource, data_timezone: str | None) -> None:
    contract = CONTRACTS[name]
    df = _read(engine, source)
    raw = f"_gl_raw_{name}"
    engine.register_dataframe(raw, df)
    types = {f.name: f.dataType.simpleString() for f in df.schema.fields if f.name != _FILE_COL}
    where = Path(source.path) if not is_uri(source.path) else RemoteDir(source.path)
    check_columns(where, contract, types)
    checks = []
    from .events import _TimestampCheck

    for col in contract.timestamps:
        if col in types:
            duck, expr, aggs = _timestamp_check(col, types[col], data_timezone)
            checks.append(_TimestampCheck(col, duck, expr, aggs))
    table = ed.tables.get(name) or (source.local if source.local is not None else TableSource(name, where, ()))  # type: ignore[arg-type]
    files = _file_paths(source)
    for ch in checks:
        if not ch.expr:
            _check_timestamps(ch, [], table, files, data_timezone)
    aggregates = ["count(*)"] + [a for ch in checks for a in ch.aggregates]
    try:
        row = engine.spark.sql(f"SELECT {', '.join(aggregates)} FROM {raw}").collect()[0]
    except Exception as exc:
        raise _spark_read_error(exc, source) from None
    values = list(row[1:])
    for ch in checks:
        _check_timestamps(ch, values[:len(ch.aggregates)], table, files, data_timezone)
        values = values[len(ch.aggregates):]
    exprs = {ch.col: ch.expr for ch in checks}
    select = []
    for col in types:
        if col in contract.ids:
            select.append(f"CAST({_q(col)} AS STRING) AS {_q(col)}")
        elif col in exprs:
            select.append(f"{exprs[col]} AS {_q(col)}")
        else:
            select.append(_q(col))
    engine.spark.sql(f"CREATE OR REPLACE TEMP VIEW {name} AS SELECT {', '.join(select)} FROM {raw}")
    engine._views.add(name)
    ed.sources[name] = where  # type: ignore[assignment]
    ed.tables[name] = table
    ed.row_counts[name] = int(row[0])
