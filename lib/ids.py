"""Reading a column of user ids and writing tables, by file extension, through DuckDB/Arrow."""
from __future__ import annotations

from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from .engine import connect_duckdb
from .errors import DataError
from .values import sql_identifier, sql_literal


def read_user_ids(path: Path, column: str = "user_id", *, allow_null: bool = False) -> pa.ChunkedArray:
    """User ids as text (leading zeros kept) from CSV, Parquet, or a plain list (.txt, one id a line).

    ``allow_null``: empty values are kept as nulls (for a unit attribute such as ``account_id``,
    where a user without one is simply not in the experiment) instead of being an error."""
    if not path.is_file():
        raise DataError(path, "", "file not found")
    lit = sql_literal(path)
    con = connect_duckdb()
    try:
        if path.suffix == ".txt":
            rel = f"read_csv({lit}, header=false, columns={{'user_id': 'VARCHAR'}}, delim='\\x01', quote='')"
            column = "user_id"
        elif path.suffix == ".parquet":
            rel = f"read_parquet({lit})"
        else:
            rel = f"read_csv({lit}, header=true, all_varchar=true)"
        if path.suffix not in (".txt", ".parquet") and not allow_null:
            fast = _csv_column_by_pyarrow(con, path, column)
            if fast is not None:
                if fast.null_count:
                    raise DataError(path, column, f"{fast.null_count:,} empty user id(s): every row needs an id")
                return fast
        types = {r[0]: r[1] for r in con.execute(f"DESCRIBE SELECT * FROM {rel}").fetchall()}
        cols = list(types)
        if column not in cols:
            raise DataError(path, column, f"column not found: expected an id column; found {', '.join(cols)}")
        if types[column] in ("FLOAT", "DOUBLE") or types[column].startswith("DECIMAL"):
            raise DataError(path, column, f"user ids are numbers of type {types[column]}: a number column loses "
                                          "leading zeros and long ids; export the ids as text")
        q = sql_identifier(column)
        if allow_null:
            return con.sql(f"SELECT CAST({q} AS VARCHAR) AS v FROM {rel}").to_arrow_table().column("v")
        # One pass over the file: the ids, then their nulls counted in Arrow (a separate
        # count(*) query parsed a 10M-row CSV a second time).
        ids = con.sql(f"SELECT CAST({q} AS VARCHAR) AS user_id FROM {rel}").to_arrow_table().column("user_id")
        if ids.null_count:
            raise DataError(path, column, f"{ids.null_count:,} empty user id(s): every row needs an id")
        return ids
    except duckdb.Error as exc:
        raise DataError(path, "", f"cannot be read: {str(exc).splitlines()[0]}") from None
    finally:
        con.close()


def start_reading_user_ids(path: Path, column: str = "user_id") -> Future[pa.ChunkedArray]:
    """:func:`read_user_ids` of ``path`` started on a thread of its own; its result or its error comes
    with the future's ``result()``. ``guidelab assign`` starts it before importing and validating
    the spec (pydantic, a single core's work), so that pyarrow parses the CSV on the other core
    meanwhile; the errors still come in the same order (the spec's first, then the file's)."""
    pool = ThreadPoolExecutor(1, thread_name_prefix="read-user-ids")
    try:
        return pool.submit(read_user_ids, path, column)
    finally:
        pool.shutdown(wait=False)  # the thread ends with the read


def _csv_column_by_pyarrow(con: duckdb.DuckDBPyConnection, path: Path, column: str) -> pa.ChunkedArray | None:
    """One column of a plain CSV file as DuckDB's ``read_csv(header=true, all_varchar=true)`` reads it,
    parsed by pyarrow instead (multi-threaded, about a third of DuckDB's CPU for 10M ids, same values).

    DuckDB's sniffer still decides the dialect; pyarrow reads only files it describes as plain: a
    header, a one-character delimiter, ``"`` quotes (doubled inside a quoted value, RFC 4180; where the
    sniffer saw no such value it reports no escape, and a doubled quote after its sample is then read
    as one quote where DuckDB would refuse the file), or no quoting; no comment character, no skipped
    lines. Empty values, quoted or not, are null, and blank lines are
    skipped, as in DuckDB; the columns get DuckDB's names (a missing ``column`` is the same error).
    Anything else, or any row pyarrow cannot
    parse (a ragged row, invalid UTF-8), returns None and DuckDB reads the file as before.
    """
    try:
        rows = con.execute("SELECT Delimiter, Quote, Escape, Comment, SkipRows, HasHeader, Columns "
                           f"FROM sniff_csv({sql_literal(path)})").fetchall()
    except duckdb.Error:
        return None
    if len(rows) != 1:
        return None
    delimiter, quote, escape, comment, skip_rows, has_header, columns = rows[0]
    names = [c["name"] for c in columns]
    plain_quotes = (quote, escape) in (('"', '"'), ('"', "(empty)"), ("(empty)", "(empty)"))
    if not (len(delimiter) == 1 and plain_quotes and comment == "(empty)" and skip_rows == 0 and has_header):
        return None
    if column not in names:
        raise DataError(path, column, f"column not found: expected an id column; found {', '.join(names)}")
    try:
        table = pacsv.read_csv(
            path,
            read_options=pacsv.ReadOptions(column_names=names, skip_rows=1),
            parse_options=pacsv.ParseOptions(delimiter=delimiter, quote_char='"' if quote == '"' else False,
                                             double_quote=True, ignore_empty_lines=True),
            convert_options=pacsv.ConvertOptions(include_columns=[column], column_types={column: pa.string()},
                                                 strings_can_be_null=True, quoted_strings_can_be_null=True,
                                                 null_values=[""]))
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError, pa.ArrowTypeError, UnicodeDecodeError, OSError):
        return None
    return table.column(column)


def write_table(table: pa.Table, path: Path) -> Path:
    """Write ``table`` as .parquet or .csv (by extension), atomically."""
    return commit_table(write_table_temp(table, path), path)


def check_output_path(path: Path) -> None:
    """Refuse an output name :func:`write_table` cannot write (before any work is done)."""
    if path.suffix not in (".parquet", ".csv"):
        raise DataError(path, "", "unsupported output: expected a .csv or .parquet file name")


def write_table_temp(table: pa.Table, path: Path) -> Path:
    """The first half of :func:`write_table`: ``table`` written to ``.<name>.tmp`` beside ``path``."""
    check_output_path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    if path.suffix == ".parquet":
        pq.write_table(table, tmp)
    else:
        pacsv.write_csv(table, tmp)
    return tmp


def commit_table(tmp: Path, path: Path) -> Path:
    """The second half of :func:`write_table`: the finished temporary file replaces ``path``."""
    tmp.replace(path)
    return path
