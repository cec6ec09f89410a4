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
