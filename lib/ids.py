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


def read_user_ids(path: Path, column: str = "user_id") -> pa.ChunkedArray:
    """User ids as text (leading zeros kept) from CSV, Parquet, or a plain list (.txt, one id a line)."""
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
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    if path.suffix == ".parquet":
        pq.write_table(table, tmp)
    elif path.suffix == ".csv":
        pacsv.write_csv(table, tmp)
    else:
        raise DataError(path, "", "unsupported output: expected a .csv or .parquet file name")
    tmp.replace(path)
    return path
