"""Reading a column of user ids and writing tables, by file extension, through DuckDB/Arrow."""
from __future__ import annotations

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
