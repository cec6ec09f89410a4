"""Reading a column of user ids (guidelab.ids): text kept as written, empty ids refused with their count."""
from __future__ import annotations

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from guidelab.errors import DataError
from guidelab.ids import read_user_ids


def test_csv_ids_are_text_with_leading_zeros(tmp_path):
    path = tmp_path / "ids.csv"
    path.write_text("user_id,plan\n007,a\n42,b\nu-1,c\n", encoding="utf-8")
    ids = read_user_ids(path)
    assert ids.type == pa.string() and ids.to_pylist() == ["007", "42", "u-1"]


@pytest.mark.parametrize("suffix", [".csv", ".parquet"])
def test_empty_ids_are_refused_with_their_count(tmp_path, suffix):
    path = tmp_path / f"ids{suffix}"
    if suffix == ".csv":
        path.write_text("user_id,plan\nu1,a\n,b\nu3,c\n,d\n", encoding="utf-8")
    else:
        pq.write_table(pa.table({"user_id": ["u1", None, "u3", None]}), path)
    with pytest.raises(DataError, match=r"user_id: 2 empty user id\(s\): every row needs an id"):
        read_user_ids(path)


def test_missing_column_names_the_columns_found(tmp_path):
    path = tmp_path / "ids.csv"
    path.write_text("uid\nu1\n", encoding="utf-8")
    with pytest.raises(DataError, match="column not found: expected an id column; found uid"):
        read_user_ids(path)


CSV_CASES = {
    "plain": "user_id,plan\nu1,a\n007,b\n",
    "quoted, delimiters and quotes inside": 'user_id,x\n" a ",1\n"b,c",2\n"d""e",3\n00123,4\n',
    "blank line": "user_id,x\nu1,1\n\nu2,2\n",
    "semicolons, CRLF, BOM": "\ufeffuser_id;x\r\nu1;1\r\nu2;2\r\n",
    "tabs, Japanese": "user_id\tx\nユーザー1\t1\n利用者,2\t2\n",
    "one column": "user_id\nu1\nu2\n",
    "ragged row": "user_id,x\nu1,1\nu2,2,3\n",
    "id column not first, long ids": "x,user_id\n1," + "u" * 300 + "\n2,🎉\n",
}


@pytest.mark.parametrize("case", sorted(CSV_CASES))
def test_csv_read_by_pyarrow_equals_duckdb(tmp_path, monkeypatch, case):
    """The pyarrow fast path for plain CSV gives DuckDB's values (or falls back to DuckDB)."""
    from guidelab import ids as ids_module

    path = tmp_path / "ids.csv"
    path.write_bytes(CSV_CASES[case].encode("utf-8"))

    def read(fast: bool):
        with monkeypatch.context() as m:
            if not fast:
                m.setattr(ids_module, "_csv_column_by_pyarrow", lambda *a, **k: None)
            try:
                return read_user_ids(path).to_pylist()
            except DataError as exc:
                return type(exc)
    assert read(True) == read(False)


def test_csv_fast_path_is_used_for_plain_files_and_counts_empty_ids(tmp_path, monkeypatch):
    from guidelab import ids as ids_module

    calls = []
    real = ids_module._csv_column_by_pyarrow
    monkeypatch.setattr(ids_module, "_csv_column_by_pyarrow", lambda *a: calls.append(r := real(*a)) or r)
    path = tmp_path / "ids.csv"
    path.write_text('user_id,plan\nu1,a\n"",b\n,c\n', encoding="utf-8")
    with pytest.raises(DataError, match=r"2 empty user id\(s\)"):  # quoted or not, as DuckDB reads them
        read_user_ids(path)
    assert calls and calls[-1] is not None
