"""Where guidelab's SQL runs: an :class:`Engine` interface, DuckDB embedded (the default) and Spark.

The SQL is written once, in DuckDB's dialect with ``$name`` parameters (``lib/metrics.py``,
``lib/ledger.py``, ``lib/breakdowns.py``, ``lib/timeseries.py``). Every statement reaches the
data through ``EventData.con``, which is an :class:`Engine`:

* :class:`DuckDBEngine` runs it as written, in-process (what ``guidelab`` always did);
* :class:`SparkEngine` translates it with sqlglot (:mod:`guidelab.dialects`, where every
  dialect difference lives) and runs it on a SparkSession (``--spark-master``, default
  ``local[2]``; ``spark.*`` settings from ``--spark-conf FILE``), for data beyond one machine.

The interface is DuckDB-compatible on purpose: ``engine.execute(sql, params).fetchall()`` /
``.fetchone()``, so a module that computes from the tables does not know which engine runs it.
How each engine reads the exports is in :mod:`guidelab.events` (DuckDB) and
:mod:`guidelab.spark_events` (Spark). See ``docs/engines.md``.
"""
from __future__ import annotations

import os
import re
from abc import ABC, abstractmethod
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterable, Literal, Mapping, Sequence

import numpy as np

from .errors import GuidelabError, clip

EngineName = Literal["duckdb", "spark"]
ENGINES: tuple[str, ...] = ("duckdb", "spark")
DEFAULT_SPARK_MASTER = "local[2]"

SPARK_DEFAULTS: dict[str, str] = {
    "spark.sql.session.timeZone": "UTC",                        # instants are UTC; local days come from the spec's zone
    "spark.sql.sources.partitionColumnTypeInference.enabled": "false",  # key=value folders are text, as on DuckDB
    "spark.sql.parquet.inferTimestampNTZ.enabled": "true",      # zoneless Parquet timestamps stay zoneless (checked)
    "spark.ui.showConsoleProgress": "false",
    "spark.ui.enabled": "false",
    "spark.sql.shuffle.partitions": "8",
    "spark.sql.adaptive.enabled": "true",
}
"""Settings every guidelab SparkSession gets unless the settings file names them (the time zone
and the partition typing are forced: the numbers depend on them)."""

FORCED_SPARK_SETTINGS = ("spark.sql.session.timeZone", "spark.sql.sources.partitionColumnTypeInference.enabled")


class EngineError(GuidelabError):
    """An engine cannot start, or a setting is wrong (names the setting or file)."""


@dataclass(frozen=True)
class EngineOptions:
    """Which engine computes from the exports, and how Spark is reached.

    ``spark_conf``: a file of ``spark.*`` settings, ``key=value`` lines (``#`` comments) or a
    YAML mapping; ``spark_master``: ``local[2]`` (default), ``spark://host:7077``, ``yarn``...
    """

    engine: EngineName = "duckdb"
    spark_master: str | None = None
    spark_conf: str | None = None

    def __post_init__(self) -> None:
        if self.engine not in ENGINES:
            raise EngineError(f"--engine: expected one of {', '.join(ENGINES)}, got {clip(self.engine)}")
        if self.engine != "spark" and (self.spark_master or self.spark_conf):
            raise EngineError("--spark-master and --spark-conf need --engine spark")

    @classmethod
    def of(cls, value: "EngineOptions | str | None", spark_master: str | None = None,
           spark_conf: str | None = None) -> "EngineOptions":
        if isinstance(value, EngineOptions):
            return value
        return cls(value or "duckdb", spark_master or None, spark_conf or None)  # type: ignore[arg-type]


class Result:
    """Rows of a statement, read like a DuckDB result: ``fetchall()``, ``fetchone()``."""

    def __init__(self, rows: Sequence[tuple], columns: Sequence[str] = ()):
        self._rows = list(rows)
        self._next = 0
        self.columns = list(columns)

    def fetchall(self) -> list[tuple]:
        rows, self._next = self._rows[self._next:], len(self._rows)
        return rows

    def fetchone(self) -> tuple | None:
        if self._next >= len(self._rows):
            return None
        self._next += 1
        return self._rows[self._next - 1]


class Engine(ABC):
    """The interface guidelab's SQL runs against (DuckDB dialect in, rows out).

    ``execute`` runs one statement with named parameters; ``create_temp_table`` /
    ``create_temp_view`` make a relation from a query; ``register_files`` makes a source table
    of data files; ``describe`` lists a relation's columns; ``close`` frees everything.
    ``trace``, when a list, receives every ``(sql, params)`` executed (for the SQL snapshots).
    """

    name: str = ""
    trace: list[tuple[str, dict[str, Any]]] | None = None

    @abstractmethod
    def execute(self, sql: str, params: Mapping[str, Any] | None = None) -> Any:
        """Run one DuckDB-dialect statement; the result has ``fetchall()`` and ``fetchone()``."""

    def rows(self, sql: str, params: Mapping[str, Any] | None = None) -> list[tuple]:
        return [tuple(r) for r in self.execute(sql, params).fetchall()]

    def create_temp_table(self, name: str, sql: str, params: Mapping[str, Any] | None = None) -> None:
        """A temporary table ``name`` holding the rows of ``sql`` (computed once)."""
        self.execute(f"CREATE OR REPLACE TEMP TABLE {name} AS {sql}", params)

    def create_temp_view(self, name: str, sql: str, params: Mapping[str, Any] | None = None) -> None:
        self.execute(f"CREATE OR REPLACE TEMP VIEW {name} AS {sql}", params)

    def drop_temp_table(self, name: str) -> None:
        """Free the temporary table ``name`` once no later statement reads it (its memory, or
        what it spilled, is given back at once rather than when the connection closes)."""
        self.execute(f"DROP TABLE IF EXISTS {name}")

    def create_repeated_hashes(self, name: str, hashes_sql: str) -> None:
        """A temporary table ``name`` of one column ``_gl_h``: each value the query ``hashes_sql``
        (one 64-bit hash column ``_gl_h``, a row per source row) gives more than once, listed once.
        Here one aggregate, ``GROUP BY _gl_h HAVING count(*) > 1`` (what Spark runs);
        :class:`DuckDBEngine` finds the same values by sorting the streamed hashes instead."""
        self.create_temp_table(name, repeated_hashes_sql(hashes_sql))

    @abstractmethod
    def register_files(self, name: str, paths: Sequence[str], fmt: Literal["parquet", "csv"],
                       options: Mapping[str, str] | None = None) -> None:
        """A view ``name`` over data files (Parquet, or CSV read as text with a header)."""

    @abstractmethod
    def register_arrow(self, name: str, table: Any) -> None:
        """A temporary view ``name`` over a small in-memory Arrow table (values computed in Python,
        e.g. hashes, that a later statement joins)."""

    def describe(self, relation: str) -> list[tuple[str, str]]:
        """(column, type) of a table or view, in order."""
        return [(r[0], r[1]) for r in self.execute(f"DESCRIBE {relation}").fetchall()]

    @abstractmethod
    def close(self) -> None: ...

    def _traced(self, sql: str, params: Mapping[str, Any] | None) -> None:
        if self.trace is not None:
            self.trace.append((sql, dict(params or {})))


def repeated_hashes_sql(hashes_sql: str) -> str:
    """SQL: the values of the ``_gl_h`` column of ``hashes_sql`` found on more than one row."""
    return f"SELECT _gl_h FROM ({hashes_sql}) GROUP BY _gl_h HAVING count(*) > 1"


_PARTITION_BITS = 6
_PARTITION_EDGES = np.arange(1, 1 << _PARTITION_BITS, dtype=np.uint64) << np.uint64(64 - _PARTITION_BITS)


def _repeats_of_sorted(values: np.ndarray) -> np.ndarray:
    """The values of a sorted array that occur more than once, each once (sorted)."""
    again = values[1:][values[1:] == values[:-1]]
    if len(again) < 2:
        return again
    return again[np.concatenate(([True], again[1:] != again[:-1]))]


def uint64_values(column: Any) -> np.ndarray:
    """An Arrow ``uint64`` array without nulls as a numpy view of its buffer. pyarrow's
    ``to_numpy`` and ``pa.array`` import pandas (half a second of CPU) to look for pandas objects."""
    import pyarrow as pa

    if column.type != pa.uint64() or column.null_count:
        raise ValueError(f"expected uint64 hashes without nulls, got {column.type} with {column.null_count} nulls")
    return np.frombuffer(column.buffers()[1], dtype=np.uint64, count=len(column), offset=column.offset * 8)


IN_MEMORY_HASHES = 16 << 20
""":func:`repeated_uint64` keeps up to this many values in memory (128 MB: a 1M-user export's 10M
activity rows) and spills larger streams. At 10M values in memory 0.2-0.4 s against 0.74 s through
the 64 files (bench/README.md, tenth and thirteenth sessions)."""


def repeated_uint64(batches: Iterable[np.ndarray], spill_dir: str | Path,
                    in_memory_values: int = IN_MEMORY_HASHES) -> np.ndarray:
    """The values of a stream of ``uint64`` arrays found more than once (sorted, each once), by
    sorting: each batch is sorted as it arrives and cut by its top 6 bits into 64 parts; then each
    part, the sorted runs of all batches, is sorted alone. Equal values fall in the same part, so a
    value repeated across batches is found. The parts stay in memory while the stream holds at most
    ``in_memory_values`` values, else they go to 64 files under ``spill_dir``, so memory stays at
    three batches and two 64ths of the values (a 100M-row table: 800 MB on disk, ~50 MB in memory).
    Two threads sort (numpy releases the GIL), the batches while the stream is read (10M values in
    memory: one sort after the stream 0.37-0.67 s, the parts 0.21-0.36 s; 100M values through the
    files alone: 7.1 -> 3.9 s); DuckDB's hash aggregate of 10M distinct values with ``HAVING
    count(*) > 1`` takes about 2.5 CPU-s (bench/README.md)."""
    import tempfile
    from collections import deque
    from concurrent.futures import Future, ThreadPoolExecutor

    def sorted_parts(values: np.ndarray) -> list[np.ndarray]:
        values = np.sort(values)
        return np.split(values, np.searchsorted(values, _PARTITION_EDGES))

    def repeats_in_file(path: str) -> np.ndarray:
        values = np.fromfile(path, dtype=np.uint64)
        values.sort()
        os.unlink(path)
        return _repeats_of_sorted(values)

    def repeats_in_memory(runs: list[np.ndarray]) -> np.ndarray:
        values = np.concatenate(runs) if runs else np.empty(0, dtype=np.uint64)
        values.sort()
        return _repeats_of_sorted(values)

    held: list[list[np.ndarray]] = []  # each part's sorted runs, while nothing is spilled
    count = 0
    # the files' contents and the result do not depend on the threads: parts are written in order
    with tempfile.TemporaryDirectory(prefix="guidelab-repeats-", dir=spill_dir) as folder, \
            ThreadPoolExecutor(max_workers=2) as pool:
        files: list[Any] = []
        sorting: deque[Future[list[np.ndarray]]] = deque()

        def keep(parts: list[np.ndarray]) -> None:
            nonlocal held, files
            if not files and count > in_memory_values:  # from now on, every part goes to its file
                files = [open(Path(folder) / f"part-{k:02d}", "wb") for k in range(1 << _PARTITION_BITS)]
                for runs in held:
                    write(runs)
                held = []
            if files:
                write(parts)
            else:
                held.append(parts)

        def write(parts: list[np.ndarray]) -> None:
            for k, part in enumerate(parts):
                if len(part):
                    part.tofile(files[k])
        try:
            for batch in batches:
                batch = np.asarray(batch, dtype=np.uint64)
                count += len(batch)
                sorting.append(pool.submit(sorted_parts, batch))
                while len(sorting) > 2:
                    keep(sorting.popleft().result())
            while sorting:
                keep(sorting.popleft().result())
        finally:
            for f in files:
                f.close()
        if not files:
            found = pool.map(repeats_in_memory, [[runs[k] for runs in held] for k in range(1 << _PARTITION_BITS)])
        else:
            found = pool.map(repeats_in_file, [f.name for f in files])
        return np.concatenate(list(found))


def connect_duckdb(config: Mapping[str, Any] | None = None) -> Any:
    """An in-memory DuckDB connection with its progress bar off: DuckDB draws the bar on stdout once a
    query runs over 2 s, inside ``--json``/``--jsonl`` output and summaries (a per-connection setting,
    so every connection guidelab opens comes from here)."""
    import duckdb

    con = duckdb.connect(":memory:", config=dict(config or {}))
    try:
        con.execute("SET enable_progress_bar = false")
    except duckdb.Error:  # inside a Jupyter kernel DuckDB refuses the setting without ipywidgets; no stdout bar there
        pass
    return con


class DuckDBEngine(Engine):
    """DuckDB in-process: runs the SQL as written. Anything else (``sql``, ``register``...) is
    the DuckDB connection's own."""

    name = "duckdb"

    def __init__(self, con: Any = None):
        self.con = con if con is not None else connect_duckdb()
        self.trace = None

    def execute(self, sql: str, params: Mapping[str, Any] | None = None) -> Any:
        if self.trace is not None:
            self._traced(sql, params)
        return self.con.execute(sql, params) if params else self.con.execute(sql)

    def register_files(self, name: str, paths: Sequence[str], fmt: Literal["parquet", "csv"],
                       options: Mapping[str, str] | None = None) -> None:
        from .values import sql_literal

        files = "[" + ", ".join(sql_literal(p) for p in paths) + "]"
        reader = f"read_parquet({files})" if fmt == "parquet" else f"read_csv({files}, header=true, all_varchar=true)"
        self.con.execute(f"CREATE OR REPLACE VIEW {name} AS SELECT * FROM {reader}")

    def register_arrow(self, name: str, table: Any) -> None:
        self.con.register(name, table)

    def create_repeated_hashes(self, name: str, hashes_sql: str) -> None:
        """:meth:`Engine.create_repeated_hashes` by :func:`repeated_uint64`: the hashes streamed
        out in Arrow batches and sorted by numpy, spilling to DuckDB's temp directory (the
        system's when it has none), instead of a hash aggregate over every row (at 1M users
        2.8 against 1.5 CPU-s; at 10M 32 against 13 CPU-s, bench/README.md). The trace records
        the aggregate the other engines run: the same rows."""
        import pyarrow as pa

        self._traced(f"CREATE OR REPLACE TEMP TABLE {name} AS {repeated_hashes_sql(hashes_sql)}", None)
        spill = self.con.execute("SELECT current_setting('temp_directory')").fetchall()[0][0]
        if not spill or not os.path.isabs(spill) or not os.path.isdir(spill):
            import tempfile

            spill = tempfile.gettempdir()  # never the working directory (DuckDB's default '.tmp')
        relation = self.con.sql(hashes_sql)
        reader = relation.to_arrow_reader(1 << 20) if hasattr(relation, "to_arrow_reader") \
            else relation.fetch_arrow_reader(1 << 20)
        found = repeated_uint64((uint64_values(b.column(0)) for b in reader), spill)
        found = pa.table({"_gl_h": pa.Array.from_buffers(pa.uint64(), len(found), [None, pa.py_buffer(found)])})
        view = f"{name}_found"
        self.con.register(view, found)
        try:
            self.con.execute(f"CREATE OR REPLACE TEMP TABLE {name} AS SELECT _gl_h FROM {view}")
        finally:
            self.con.unregister(view)

    def close(self) -> None:
        self.con.close()

    def __getattr__(self, attr: str) -> Any:  # the DuckDB connection's other methods
        if attr == "con":
            raise AttributeError(attr)
        return getattr(self.con, attr)


# --- Spark -------------------------------------------------------------------------------------
def read_spark_conf(path: str | Path) -> dict[str, str]:
    """``spark.*`` settings from a file: ``key=value`` (or ``key value``) lines with ``#``
    comments, as in ``spark-defaults.conf``, or a YAML mapping (``.yaml``/``.yml``)."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise EngineError(f"{path}: --spark-conf cannot be read: {exc}") from None
    settings: dict[str, str] = {}
    if path.suffix.lower() in (".yaml", ".yml"):
        import yaml

        try:
            data = yaml.safe_load(text) or {}
        except yaml.YAMLError as exc:
            raise EngineError(f"{path}: --spark-conf is not valid YAML: {str(exc).splitlines()[0]}") from None
        if not isinstance(data, dict):
            raise EngineError(f"{path}: --spark-conf: expected a mapping of spark.* settings")
        items = [(str(k), v) for k, v in data.items()]
        for key, value in items:
            if isinstance(value, (dict, list)) or value is None:
                raise EngineError(f"{path}: {clip(key)}: expected a single value")
            settings[key] = str(value).lower() if isinstance(value, bool) else str(value)
    else:
        for i, line in enumerate(text.splitlines(), 1):
            line = line.strip()
            if not line or line.startswith("#"):
                continue
            m = re.match(r"^([^\s=]+)\s*(?:=|\s)\s*(.*)$", line)
            if not m or not m.group(2):
                raise EngineError(f"{path}: line {i}: expected key=value, got {clip(line)}")
            settings[m.group(1)] = m.group(2).strip()
    for key in settings:
        if not key.startswith("spark."):
            raise EngineError(f"{path}: {clip(key)}: only spark.* settings are read from --spark-conf")
    for key in FORCED_SPARK_SETTINGS:
        if key in settings and settings[key] != SPARK_DEFAULTS[key]:
            raise EngineError(f"{path}: {key} must be {SPARK_DEFAULTS[key]!r} for guidelab (the numbers depend on it)")
    return settings


def spark_session(master: str | None = None, conf: Mapping[str, str] | None = None) -> Any:
    """A SparkSession (the active one is reused: one JVM per process) with guidelab's settings."""
    try:
        from pyspark.sql import SparkSession
    except ImportError:
        raise EngineError("--engine spark needs PySpark: pip install 'guidelab[spark]' (and a Java 17+ runtime)") from None
    settings = {**SPARK_DEFAULTS, **(conf or {})}
    builder = SparkSession.builder.appName(settings.pop("spark.app.name", "guidelab"))
    builder = builder.master(master or settings.pop("spark.master", None) or DEFAULT_SPARK_MASTER)
    settings.pop("spark.master", None)
    for key, value in settings.items():
        builder = builder.config(key, value)
    try:
        session = builder.getOrCreate()
    except Exception as exc:  # py4j / JVM start-up failures: no Java, a bad master URL...
        first = next((ln for ln in str(exc).splitlines() if ln.strip()), repr(exc))
        raise EngineError(f"Spark did not start (master {master or DEFAULT_SPARK_MASTER}): {clip(first, 300)}; "
                          "is Java 17+ installed (java -version)?") from None
    for key in FORCED_SPARK_SETTINGS:  # a reused session gets them too
        session.conf.set(key, SPARK_DEFAULTS[key])
    session.sparkContext.setLogLevel(os.environ.get("GUIDELAB_SPARK_LOG_LEVEL", "ERROR"))
    return session


class SparkEngine(Engine):
    """Spark SQL through a SparkSession: each DuckDB statement translated by sqlglot.

    Temporary tables are checkpointed DataFrames registered as temporary views: computed once,
    kept in memory and on disk, and with their lineage cut, so that a statement over
    ``exp_users`` plans a scan of stored rows instead of re-analysing the plans of every table
    it was built from (with ``persist`` each statement re-planned the whole chain: 2.4x the JVM
    CPU on the nps example). Where the session has a checkpoint directory (``spark.checkpoint.dir``,
    e.g. on object storage) the checkpoint is written there and survives the loss of an executor;
    otherwise it is a local checkpoint in the executors' storage (Spark's ``localCheckpoint``),
    and a lost executor fails the run, which can simply be rerun. DuckDB's own settings
    (``SET memory_limit`` ...) have no meaning on Spark and are skipped. ``close`` drops this
    engine's views and stored data, and leaves the session (and its JVM) for the next engine
    of the process unless ``stop_session``.
    """

    name = "spark"

    def __init__(self, session: Any = None, *, master: str | None = None, conf: Mapping[str, str] | None = None,
                 stop_session: bool = False):
        self.spark = session if session is not None else spark_session(master, conf)
        self.trace = None
        self._views: set[str] = set()
        self._cached: dict[str, Any] = {}
        self._stop_session = stop_session
        self.last_sql: str = ""

    # translation
    def translate(self, sql: str, params: Mapping[str, Any] | None = None) -> str:
        from .dialects import translate

        return translate(sql, params, "spark")

    def execute(self, sql: str, params: Mapping[str, Any] | None = None) -> Result:
        from .dialects import parse, statement_kind, translate_tree

        self._traced(sql, params)
        tree = parse(sql)
        kind = statement_kind(tree)
        if kind == "set":
            return Result([])
        if kind == "describe":
            from sqlglot import exp

            target = tree.this
            schema = (self.spark.table(target.sql(dialect="spark")).schema if isinstance(target, exp.Table)
                      else self._sql(translate_tree(target, params, "spark").sql(dialect="spark")).schema)
            return Result([(f.name, f.dataType.simpleString(), "YES" if f.nullable else "NO") for f in schema.fields])
        if kind == "temp_table":
            name = tree.this.name
            select = translate_tree(tree.args["expression"], params, "spark").sql(dialect="spark")
            self._materialise(name, select)
            return Result([])
        spark_sql = translate_tree(tree, params, "spark").sql(dialect="spark")
        if kind == "view":
            self._views.add(tree.this.name)
        self.last_sql = spark_sql
        df = self._sql(spark_sql)
        if kind != "select":
            return Result([])
        return Result([tuple(r) for r in df.collect()], df.columns)

    def _sql(self, spark_sql: str) -> Any:
        try:
            return self.spark.sql(spark_sql)
        except Exception as exc:
            name = type(exc).__name__
            if "AnalysisException" in name or "ParseException" in name or "SparkRuntimeException" in name \
                    or "ArithmeticException" in name or "Py4J" in name:
                first = next((ln for ln in str(exc).splitlines() if ln.strip()), name)
                raise EngineError(f"Spark could not run a statement: {clip(first, 400)}\n  SQL: {spark_sql[:800]}") from None
            raise

    def _materialise(self, name: str, select_sql: str) -> None:
        from pyspark import StorageLevel

        df = self._sql(select_sql)
        if self.spark.sparkContext.getCheckpointDir():
            stored = df.checkpoint(eager=True)  # computed once, here; written to the checkpoint directory
        else:
            stored = df.localCheckpoint(eager=True, storageLevel=StorageLevel.MEMORY_AND_DISK)
        old = self._cached.pop(name, None)
        stored.createOrReplaceTempView(name)
        if old is not None:
            _release(old)
        self._cached[name] = stored
        self._views.add(name)

    def create_temp_table(self, name: str, sql: str, params: Mapping[str, Any] | None = None) -> None:
        self.execute(f"CREATE OR REPLACE TEMP TABLE {name} AS {sql}", params)

    def register_files(self, name: str, paths: Sequence[str], fmt: Literal["parquet", "csv"],
                       options: Mapping[str, str] | None = None) -> None:
        reader = self.spark.read
        for k, v in (options or {}).items():
            reader = reader.option(k, v)
        if fmt == "parquet":
            df = reader.parquet(*paths)
        else:
            df = reader.option("header", "true").option("inferSchema", "false").csv(list(paths))
        self.register_dataframe(name, df)

    def register_arrow(self, name: str, table: Any) -> None:
        """Spark: a DataFrame from the Arrow table (PySpark 4 reads Arrow directly), stored like a temp table."""
        df = self.spark.createDataFrame(table)
        old = self._cached.pop(name, None)
        stored = df.localCheckpoint(eager=True)
        stored.createOrReplaceTempView(name)
        if old is not None:
            _release(old)
        self._cached[name] = stored
        self._views.add(name)

    def drop_temp_table(self, name: str) -> None:
        old = self._cached.pop(name, None)
        if old is not None:
            _release(old)
        self.spark.catalog.dropTempView(name)
        self._views.discard(name)

    def register_dataframe(self, name: str, df: Any) -> None:
        df.createOrReplaceTempView(name)
        self._views.add(name)

    def describe(self, relation: str) -> list[tuple[str, str]]:
        return [(f.name, f.dataType.simpleString()) for f in self.spark.table(relation).schema.fields]

    def close(self) -> None:
        for df in self._cached.values():
            _release(df)
        self._cached.clear()
        for view in self._views:
            try:
                self.spark.catalog.dropTempView(view)
            except Exception:
                pass
        self._views.clear()
        if self._stop_session:
            self.spark.stop()


def _release(df: Any) -> None:
    """Free the stored blocks of a checkpointed DataFrame now (Spark would on garbage collection)."""
    try:
        df._jdf.queryExecution().analyzed().rdd().unpersist(False)
    except Exception:
        pass


def open_engine(options: EngineOptions | str | None = None) -> Engine:
    """A new engine from the options (``--engine``, ``--spark-master``, ``--spark-conf``)."""
    options = EngineOptions.of(options)
    if options.engine == "spark":
        conf = read_spark_conf(options.spark_conf) if options.spark_conf else {}
        return SparkEngine(master=options.spark_master, conf=conf)
    return DuckDBEngine()


def add_engine_arguments(parser: Any) -> None:
    """``--engine``, ``--spark-master``, ``--spark-conf`` on a command that computes from exports."""
    parser.add_argument("--engine", choices=list(ENGINES), default="duckdb",
                        help="where the SQL runs: duckdb (embedded, default) or spark (pip install 'guidelab[spark]')")
    parser.add_argument("--spark-master", metavar="URL", default=None,
                        help=f"Spark master with --engine spark: local[N], spark://host:7077, yarn (default {DEFAULT_SPARK_MASTER})")
    parser.add_argument("--spark-conf", metavar="FILE", default=None,
                        help="spark.* settings with --engine spark: key=value lines or a YAML mapping")


def engine_options_from_args(args: Any) -> EngineOptions:
    return EngineOptions.of(getattr(args, "engine", None), getattr(args, "spark_master", None),
                            getattr(args, "spark_conf", None))

