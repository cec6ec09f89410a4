"""Sets of days as bits: a user's active days after assignment in a few BIGINT words.

A user's active days (day 0 = the local assignment day) are stored as bitmaps, not as one row
per user and day: word ``k`` holds days ``63 k .. 63 k + 62``, day ``d`` as bit ``d mod 63``
(63 bits a word, so every value stays a positive BIGINT and no shift overflows or wraps: DuckDB
refuses ``1 << 63``, Spark/Java takes shift counts modulo 64, so every shift here is a constant
0..62 or a day known to be in range). The reduction of activity is then one aggregate per user
(``bit_or``) instead of a GROUP BY into user-days, and retention on day N, active days in a
window, DAU/WAU/MAU are bit tests, bit counts and shifts of these words. Every function returns
SQL text in DuckDB's dialect that sqlglot writes for Spark (``bit_or``, ``bit_count``,
``shiftleft`` / ``shiftright``, ``&``, ``|``).

Bit-set representation of small integer sets: Knuth, TAOCP vol. 4A, §7.1.3 ("bitwise tricks").
"""
from __future__ import annotations

WORD_BITS = 63
"""Days per BIGINT word (bit 63, the sign bit, is never used)."""


def words_for(days: int) -> int:
    """Words needed for days ``0 .. days - 1`` (at least one)."""
    return max(1, (max(int(days), 1) + WORD_BITS - 1) // WORD_BITS)


def _mask(bits: int) -> int:
    """The lowest ``bits`` bits set (0 <= bits <= 63)."""
    return (1 << bits) - 1


def bit_or_words(day: str, words: int, condition: str = "TRUE") -> list[str]:
    """Aggregates, one per word: ``bit_or`` of the rows' day bits where ``condition`` holds
    (``day``: a SQL integer expression, the rows' days, 0 .. 63 * words - 1; NULL where there is
    none). A word without rows is NULL (use :func:`word` to read it as 0)."""
    out = []
    for k in range(words):
        lo = k * WORD_BITS
        shift = f"({day} - {lo})" if lo else f"{day}"
        out.append(f"bit_or(CASE WHEN {condition} AND {day} >= {lo} AND {day} < {lo + WORD_BITS} "
                   f"THEN CAST(1 AS BIGINT) << {shift} END)")
    return out


def word(prefix: str, k: int, words: int) -> str:
    """Word ``k`` of the bitmap columns ``<prefix>0 ..``: 0 past the last word or when NULL."""
    return f"coalesce({prefix}{k}, 0)" if 0 <= k < words else "CAST(0 AS BIGINT)"


def has_day(prefix: str, words: int, day: int) -> str:
    """SQL boolean: ``day`` is in the bitmap (columns ``<prefix>0 ..``)."""
    k, b = divmod(int(day), WORD_BITS)
    if k >= words:
        return "FALSE"
    return f"(({word(prefix, k, words)} >> {b}) & 1) = 1"


def count_days(prefix: str, words: int, lo: int, hi: int) -> str:
    """SQL integer: how many days ``lo .. hi`` (inclusive) the bitmap holds."""
    terms = []
    for k in range(words):
        a, b = max(lo, k * WORD_BITS), min(hi, k * WORD_BITS + WORD_BITS - 1)
        if a > b:
            continue
        mask = _mask(b - k * WORD_BITS + 1) & ~_mask(a - k * WORD_BITS)
        terms.append(f"bit_count({word(prefix, k, words)} & {mask})")
    return "(" + " + ".join(f"CAST({t} AS INTEGER)" for t in terms) + ")" if terms else "0"


def distinct_days_aggregate(day: str, lo: int, hi: int) -> str:
    """An aggregate: the number of distinct values ``lo .. hi`` of the integer ``day`` over a
    group's rows (``count(DISTINCT day) FILTER (WHERE day BETWEEN lo AND hi)`` without a
    distinct count: a ``bit_or`` per word, then bit counts)."""
    terms = []
    for k in range(lo // WORD_BITS, hi // WORD_BITS + 1):
        a, b = max(lo, k * WORD_BITS), min(hi, k * WORD_BITS + WORD_BITS - 1)
        base = k * WORD_BITS
        shift = f"({day} - {base})" if base else f"{day}"
        terms.append(f"coalesce(CAST(bit_count(bit_or(CASE WHEN {day} BETWEEN {a} AND {b} "
                     f"THEN CAST(1 AS BIGINT) << {shift} END)) AS INTEGER), 0)")
    return "(" + " + ".join(terms) + ")" if terms else "0"


def _shifted_up(prefix: str, words: int, k: int, by: int) -> str:
    """Word ``k`` of the bitmap shifted up by ``by`` days (0 < by < 63), bits past the last word dropped."""
    keep = _mask(WORD_BITS - by)
    low = f"(({word(prefix, k, words)} & {keep}) << {by})"
    if k == 0:
        return low
    return f"({low} | ({word(prefix, k - 1, words)} >> {WORD_BITS - by}))"


def window_stages(prefix: str, words: int, widths: dict[str, int]) -> list[list[str]]:
    """Select items of successive stages (each a ``SELECT *, <items> FROM`` the stage before, the
    first over the bitmap columns ``<prefix>0 ..``) after which, for each ``name: width``
    (1 <= width <= 63), columns ``<name>0 ..`` hold the days ``d`` whose window of ``width``
    days ``d - width + 1 .. d`` holds a day of the bitmap (bits past the last word dropped).

    By doubling: the window of 2a days is that of a days OR its shift by a, and a width W
    between a = 2^j and 2a is the window of a days OR its shift by W - a (the two overlap), so
    log2(W) shifts a word instead of W - 1 (30 days: 5 instead of 29), in columns
    ``_gl_win<a>_<k>``. Knuth, TAOCP 4A, §7.1.3 (bitwise tricks: smearing bits)."""
    for width in widths.values():
        if not 1 <= width <= WORD_BITS:
            raise ValueError(f"window of {width} days: expected 1..{WORD_BITS}")
    stages: list[list[str]] = []
    current, a = prefix, 1  # columns holding the window of a days
    while True:
        items = []
        for name, width in widths.items():
            if a <= width < 2 * a:  # final: the window of a days OR its shift by width - a
                for k in range(words):
                    extra = f" | {_shifted_up(current, words, k, width - a)}" if width > a else ""
                    items.append(f"({word(current, k, words)}{extra}) AS {name}{k}")
        if 2 * a > max(widths.values(), default=0):
            if items:
                stages.append(items)
            return stages
        doubled = f"_gl_win{2 * a}_"
        items += [f"({word(current, k, words)} | {_shifted_up(current, words, k, a)}) AS {doubled}{k}"
                  for k in range(words)]
        stages.append(items)
        current, a = doubled, 2 * a


def bit_sums(word_sql: list[str], days: int) -> list[str]:
    """Aggregates: for each day ``0 .. days - 1``, how many rows have that day's bit set in the
    bitmap given as SQL words ``word_sql``."""
    out = []
    for d in range(days):
        k, b = divmod(d, WORD_BITS)
        out.append(f"CAST(sum(({word_sql[k]} >> {b}) & 1) AS BIGINT)" if k < len(word_sql) else "CAST(0 AS BIGINT)")
    return out
