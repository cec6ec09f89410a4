"""Day bitmaps (guidelab.daybits) evaluated by DuckDB against sets of days in Python."""
from __future__ import annotations

import random

import duckdb
import pytest

from guidelab import daybits


def _words(days: set[int], words: int) -> list[int]:
    out = [0] * words
    for d in days:
        out[d // daybits.WORD_BITS] |= 1 << (d % daybits.WORD_BITS)
    return out


@pytest.mark.parametrize("words", [1, 2, 3])
def test_window_stages_equal_the_windows_of_python_sets(words):
    """Doubling shifts give, for every width 1 .. 63, the days whose window holds a day of the
    set: word by word, across word borders, bits past the last word dropped."""
    rng = random.Random(words)
    span = words * daybits.WORD_BITS
    sets = [set(), {0}, {span - 1}, {62, 63} & set(range(span)), set(range(span))]
    sets += [{d for d in range(span) if rng.random() < p} for p in (0.02, 0.1, 0.5) for _ in range(8)]
    widths = {"w1": 1, "w2": 2, "w3": 3, "w7": 7, "w8": 8, "w30": 30, "w31": 31, "w32": 32, "w33": 33, "w63": 63}
    con = duckdb.connect()
    con.execute(f"CREATE TABLE b (i INTEGER, {', '.join(f'd{k} BIGINT' for k in range(words))})")
    con.executemany(f"INSERT INTO b VALUES (?{', ?' * words})", [[i, *_words(s, words)] for i, s in enumerate(sets)])
    stages = daybits.window_stages("d", words, widths)
    assert len(stages) == 6  # 1 -> 2 -> 4 -> 8 -> 16 -> 32, then 63 = the window of 32 OR its shift by 31
    sql = "WITH s0 AS (SELECT * FROM b)" + "".join(
        f", s{i} AS (SELECT *, {', '.join(items)} FROM s{i - 1})" for i, items in enumerate(stages, start=1))
    cols = [f"{name}{k}" for name in widths for k in range(words)]
    rows = con.execute(f"{sql} SELECT i, {', '.join(cols)} FROM s{len(stages)} ORDER BY i").fetchall()
    for i, *got in rows:
        for j, (name, width) in enumerate(widths.items()):
            expected = {d for d in range(span) if any(d - k in sets[i] for k in range(width))}
            assert got[j * words:(j + 1) * words] == _words(expected, words), (i, name)


def test_window_stages_refuse_a_window_past_a_word():
    with pytest.raises(ValueError, match="window of 64 days"):
        daybits.window_stages("d", 1, {"m": 64})
    assert daybits.window_stages("d", 1, {}) == []
