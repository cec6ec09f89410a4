"""Deterministic assignment of users to experiment variants: GrowthBook hash version 2.

This module reimplements, bit for bit, the bucketing used by GrowthBook's SDKs
(reference: the GrowthBook Python SDK ``growthbook`` 4.0.0, ``growthbook/core.py``:
``fnv1a32``, ``gbhash(seed, value, 2)``, ``getBucketRanges`` / ``_normalized_weights``,
``chooseVariation`` and ``inRange``; they mirror the JS SDK). It does not import the
SDK, which is only a test dependency; ``tests/test_hashing.py`` checks every function
against it.

The method:

1. ``fnv1a32`` is 32-bit FNV-1a (offset basis ``0x811C9DC5``, prime ``0x01000193``)
   over the string's **UTF-16 code units** (what JavaScript's ``charCodeAt`` yields),
   so an astral character such as an emoji contributes its two surrogates. For ASCII
   text the code units are the bytes.
2. ``hash_v2(seed, value) = fnv1a32(str(fnv1a32(seed + value))) % 10000 / 10000``,
   a float in ``[0, 1)`` on a grid of 1/10000.
3. ``bucket_ranges`` cuts ``[0, 1)`` into one ``[start, start + coverage * weight)``
   range per variation, starts being the cumulative weights.
4. ``choose_variation`` returns the first range containing the hash, ``-1`` if none
   (the user is outside the experiment's coverage).

``hash_v2_batch`` and ``choose_variation_batch`` do the same for a whole column of
ids with numpy (10 million ASCII ids from Arrow in about 0.1-0.2 s on 2 cores, see
``bench/README.md``): the FNV state after the seed is computed once, the ids' code
units are folded in column by column with wrapping ``uint32`` arithmetic, and the
second round hashes the decimal string of a ``uint32`` with a table for its leading
digits plus five arithmetic digit steps.
"""
from __future__ import annotations

import functools
import math
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Callable, Iterable, Sequence

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

__all__ = [
    "fnv1a32",
    "hash_v2",
    "bucket_ranges",
    "choose_variation",
    "hash_v2_batch",
    "hash_v2_buckets",
    "choose_variation_batch",
    "variation_table",
    "empty_rows",
]

FNV_OFFSET_BASIS = 0x811C9DC5
FNV_PRIME = 0x01000193
_MASK32 = 0xFFFFFFFF
_P32 = np.uint32(FNV_PRIME)

# Weight vectors whose sum falls outside this band are replaced with equal weights
# (GrowthBook SDK: WEIGHT_SUM_MIN / WEIGHT_SUM_MAX).
_WEIGHT_SUM_MIN = 0.99
_WEIGHT_SUM_MAX = 1.01

_CHUNK_ROWS = 1 << 18  # rows per block of the batch path (a few MB of temporaries)
_THREADS = 2
_PY_TAIL_ROWS = 32  # below this many rows still active, finish them in Python

# --------------------------------------------------------------------------- scalar


def _fnv_continue(h: int, text: str) -> int:
    """Continue a 32-bit FNV-1a state ``h`` over the UTF-16 code units of ``text``."""
    if text.isascii():
        for b in text.encode("ascii"):
            h = ((h ^ b) * FNV_PRIME) & _MASK32
        return h
    data = text.encode("utf-16-le", "surrogatepass")  # lone surrogates, like JS strings
    for i in range(0, len(data), 2):
        h = ((h ^ (data[i] | (data[i + 1] << 8))) * FNV_PRIME) & _MASK32
    return h


def fnv1a32(text: str) -> int:
    """32-bit FNV-1a hash of ``text`` over its UTF-16 code units.

    Same as GrowthBook's ``fnv1a32`` (Python SDK ``growthbook.core.fnv1a32``; the JS
    SDK loops over ``charCodeAt``): characters outside the Basic Multilingual Plane
    hash as their two surrogate code units, never as a code point or as UTF-8.
    ASCII strings take a fast path over their bytes (identical code units).
    """
    return _fnv_continue(FNV_OFFSET_BASIS, text)


def hash_v2(seed: str, value: str) -> float:
    """GrowthBook hash version 2 of ``value`` under ``seed``: a float in ``[0, 1)``.

    ``fnv1a32(str(fnv1a32(seed + value))) % 10000 / 10000``, exactly GrowthBook's
    ``gbhash(seed, value, 2)``. The seed is the experiment's ``seed`` (GrowthBook falls
    back to the experiment key) and the value the user's hash attribute, e.g. its id.
    """
    n = fnv1a32(str(fnv1a32(seed + value)))
    return (n % 10000) / 10000


def _weights_to_use(n_variations: int, weights: Sequence[float] | None) -> list[float]:
    """The weights bucketing uses: ``weights`` if valid, else equal weights.

    The rule of GrowthBook's ``_is_valid_weight_vector``/``_normalized_weights``: one
    finite, non-negative real number (not a bool) per variation, summing to within
    [0.99, 1.01]. Unlike the SDK, which accepts only a ``list`` of ``int``/``float``,
    any sequence (tuple, numpy array) is read, and numpy scalars count as the numbers
    they hold; for plain Python numbers the outcome is the SDK's.
    """
    equal = [1 / n_variations for _ in range(n_variations)] if n_variations >= 1 else []
    if weights is None or isinstance(weights, (str, bytes)):
        return equal
    try:
        items = list(weights)
    except TypeError:
        return equal
    if len(items) != n_variations:
        return equal
    values: list[float] = []
    for w in items:
        if isinstance(w, (bool, np.bool_)):
            return equal
        if isinstance(w, (int, float)):
            values.append(w)
        elif isinstance(w, (np.integer, np.floating)):
            values.append(w.item())
        else:
            return equal
    try:
        if not all(math.isfinite(w) and w >= 0 for w in values):
            return equal
        if not _WEIGHT_SUM_MIN <= sum(values) <= _WEIGHT_SUM_MAX:
            return equal
    except OverflowError:  # ints too large for a float
        return equal
    return values


def bucket_ranges(
    n_variations: int, coverage: float = 1.0, weights: Sequence[float] | None = None
) -> list[tuple[float, float]]:
    """Per-variation hash ranges ``[start, start + coverage * weight)``.

    Identical floats to GrowthBook's ``getBucketRanges``: ``coverage`` is clamped to
    ``[0, 1]``; invalid weights (wrong length, negative, non-finite, sum outside
    [0.99, 1.01]) fall back to equal weights ``1 / n``; starts are the running sum of
    the weights, accumulated in the same order, so every bound is the same double.
    Lowering coverage shrinks each range from its end, so users stay in their variation
    when coverage is raised later.
    """
    if coverage < 0:
        coverage = 0
    if coverage > 1:
        coverage = 1
    cumulative: float = 0
    ranges: list[tuple[float, float]] = []
    for w in _weights_to_use(n_variations, weights):
        start = cumulative
        cumulative += w
        ranges.append((float(start), float(start + coverage * w)))
    return ranges


def choose_variation(n: float, ranges: Sequence[tuple[float, float]]) -> int:
    """Index of the first range with ``start <= n < end``, or ``-1`` if there is none.

    GrowthBook's ``chooseVariation`` / ``inRange``; ``-1`` means "not in the experiment".
    """
    for i, (start, end) in enumerate(ranges):
        if start <= n < end:
            return i
    return -1


# ---------------------------------------------------------------------------- batch


def _decimal_fnv_masked(x: np.ndarray) -> np.ndarray:
    """fnv1a32 of ``str(v)`` for each uint32 ``v`` (general method, used for tables).

    Digits from the most significant; positions before a number's first digit are
    skipped (no leading zeros; ``0`` is the single digit "0").
    """
    x = x.astype(np.uint32)
    h = np.full(x.shape, FNV_OFFSET_BASIS, dtype=np.uint32)
    for k in range(9, -1, -1):
        p = np.uint32(10**k)
        digit = (x // p) % np.uint32(10)
        stepped = (h ^ (digit + np.uint32(48))) * _P32
        active = x >= p if k else np.ones(x.shape, dtype=bool)
        np.copyto(h, stepped, where=active)
    return h


_DECIMAL_TABLE: np.ndarray | None = None


def _decimal_table() -> np.ndarray:
    """``T[v] = fnv1a32(str(v))`` for ``v < 100000`` (400 KB, built once)."""
    global _DECIMAL_TABLE
    if _DECIMAL_TABLE is None:
        _DECIMAL_TABLE = _decimal_fnv_masked(np.arange(100_000, dtype=np.uint32))
    return _DECIMAL_TABLE


def _decimal_fnv(x: np.ndarray) -> np.ndarray:
    """fnv1a32 of the decimal string of each uint32 in ``x`` (second round of hash v2).

    ``x = q * 100000 + r``: the state after the digits of ``q`` comes from a table,
    then the five digits of ``r`` (zero-padded, since ``q > 0``) are folded in
    arithmetically. Rows with ``q == 0`` (``x < 100000``) are looked up directly.
    """
    table = _decimal_table()
    q = x // np.uint32(100_000)
    r = x - q * np.uint32(100_000)
    h = np.take(table, q)
    d = np.empty_like(r)
    for p in (10_000, 1_000, 100, 10):
        np.floor_divide(r, np.uint32(p), out=d)
        r -= d * np.uint32(p)
        d += np.uint32(48)
        h ^= d
        h *= _P32
    r += np.uint32(48)
    h ^= r
    h *= _P32
    small = np.flatnonzero(q == 0)
    if small.size:
        h[small] = table[x[small]]
    return h


def _fold_python(h: int, units: np.ndarray, prime: int = FNV_PRIME, mask: int = _MASK32) -> int:
    for u in units.tolist():
        h = ((h ^ u) * prime) & mask
    return h


def _fold(h0: int | Sequence[int], data: np.ndarray, starts: np.ndarray, lengths: np.ndarray,
          prime: np.unsignedinteger = _P32) -> np.ndarray:
    """FNV-1a states after folding rows of code units into the initial state ``h0``.

    ``prime``: ``np.uint32(FNV_PRIME)`` (32-bit FNV-1a, GrowthBook's) or ``np.uint64`` of the
    64-bit FNV prime (:func:`fnv1a64_utf8_batch`); the states have its dtype. ``h0`` may be a
    sequence of ``k`` initial states (several seeds): the rows are read once and the result has
    shape ``(k, n)``, one row of states per initial state; for one ``int`` it has shape ``(n,)``.

    Row ``i`` is ``data[starts[i] : starts[i] + lengths[i]]`` (uint8 bytes of ASCII
    text, or uint16 UTF-16 units). Equal-length contiguous rows are a reshaped view
    processed column by column; otherwise rows are ordered by decreasing length so the
    rows still active at column ``j`` are a prefix (no masking, work = total units),
    and the last few very long rows are finished in Python.
    """
    single = isinstance(h0, (int, np.integer))
    initial = [int(h0)] if single else [int(v) for v in h0]  # type: ignore[union-attr]
    k = len(initial)
    n = starts.shape[0]
    h = np.empty((k, n), dtype=prime.dtype)
    h[:] = np.array(initial, dtype=prime.dtype)[:, None]
    lmax = int(lengths.max()) if n else 0
    if lmax == 0:
        return h[0] if single else h
    lmin = int(lengths.min())
    s0 = int(starts[0])
    if lmin == lmax and n >= _PY_TAIL_ROWS and bool((np.diff(starts) == lmax).all()):
        mat = data[s0 : s0 + n * lmax].reshape(n, lmax)
        column = np.empty(n, dtype=prime.dtype) if k > 1 else None
        for j in range(lmax):
            if column is None:
                h[0] ^= mat[:, j]
            else:  # the strided column of units converted once for all the states
                np.copyto(column, mat[:, j])
                h ^= column
            h *= prime
        return h[0] if single else h
    if lmin == lmax:
        order = None
        st, ln = starts.astype(np.int64, copy=False), lengths
        counts = None
    else:
        key = (lmax - lengths).astype(np.uint16 if lmax < 65536 else np.int64)
        order = np.argsort(key, kind="stable")  # decreasing length, radix sort
        st = starts[order].astype(np.int64, copy=False)
        ln = lengths[order]
        # counts[j] = number of rows longer than j (a prefix of the ordered rows)
        counts = np.searchsorted(-ln, -np.arange(lmax), side="left")
    idx = np.empty(n, dtype=np.int64)
    mask = (1 << (8 * prime.itemsize)) - 1
    for j in range(lmax):
        c = n if counts is None else int(counts[j])
        if c == 0:
            break
        if c < _PY_TAIL_ROWS:
            for i in range(c):
                s, e = int(st[i]) + j, int(st[i]) + int(ln[i])
                for r in range(k):
                    h[r, i] = _fold_python(int(h[r, i]), data[s:e], int(prime), mask)
            break
        np.add(st[:c], j, out=idx[:c])
        hc = h[:, :c]
        hc ^= np.take(data, idx[:c])
        hc *= prime
    if order is not None:
        out = np.empty_like(h)
        out[:, order] = h
        h = out
    return h[0] if single else h


def _utf16_units(data: np.ndarray, offsets: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """UTF-16 code units of contiguous rows of UTF-8 ``data`` and the rows' unit offsets.

    Rows are ``data[offsets[i] : offsets[i + 1]]``. The block is decoded and re-encoded
    once by Python's codecs (which also rejects invalid UTF-8); a row's first unit is
    the number of units before it: one per non-continuation byte, plus one more per
    4-byte sequence (a surrogate pair).
    """
    lo, hi = int(offsets[0]), int(offsets[-1])
    raw = data[lo:hi]
    try:
        text = str(memoryview(raw), "utf-8")
    except UnicodeDecodeError as exc:
        raise ValueError(f"Arrow string data is not valid UTF-8: {exc}") from None
    units = np.frombuffer(text.encode("utf-16-le", "surrogatepass"), dtype="<u2")
    per_byte = ((raw & 0xC0) != 0x80).view(np.uint8) + (raw >= 0xF0).view(np.uint8)
    cum = np.zeros(hi - lo + 1, dtype=np.int32 if hi - lo < 2**31 else np.int64)
    np.cumsum(per_byte, dtype=cum.dtype, out=cum[1:])
    return units, cum[offsets - lo]


def _gather_rows(
    data: np.ndarray, starts: np.ndarray, lengths: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """The given rows' bytes, made contiguous, and their new offsets."""
    lengths = lengths.astype(np.int64)
    offsets = np.zeros(lengths.size + 1, dtype=np.int64)
    np.cumsum(lengths, out=offsets[1:])
    shift = np.repeat(starts.astype(np.int64) - offsets[:-1], lengths)
    return data[np.arange(int(offsets[-1]), dtype=np.int64) + shift], offsets


def _block_tasks(block: Callable[[int, int], None], n: int) -> list[Callable[[], None]]:
    """``block(a, b)`` over ``[0, n)`` in slices of ``_CHUNK_ROWS`` rows, as tasks for :func:`_run_tasks`."""
    return [functools.partial(block, a, min(a + _CHUNK_ROWS, n)) for a in range(0, n, _CHUNK_ROWS)]


def _run_tasks(tasks: Sequence[Callable[[], None]]) -> None:
    """Run ``tasks`` on ``_THREADS`` threads (numpy releases the GIL in its loops); the first
    exception, in task order, is raised. The blocks of every chunk of a column go to one pool:
    a CSV read by pyarrow arrives in chunks of ~80k rows, each smaller than one block."""
    if len(tasks) <= 1:
        for task in tasks:
            task()
        return
    with ThreadPoolExecutor(_THREADS) as pool:
        for f in [pool.submit(task) for task in tasks]:
            f.result()


def _run_blocks(block: Callable[[int, int], None], n: int) -> None:
    """Call ``block(a, b)`` over ``[0, n)`` in slices of ``_CHUNK_ROWS`` rows, 2 threads."""
    _run_tasks(_block_tasks(block, n))


def _bucket_tasks(seed_states: Sequence[int], arr: pa.Array, out: np.ndarray) -> list[Callable[[], None]]:
    """Tasks (:func:`_run_tasks`) writing the hash v2 bucket of every row of a null-free
    (large_)string array under each seed state into ``out`` (uint16, shape ``(k, len(arr))``):
    ``fnv1a32(str(fnv1a32(seed + row))) % 10000``. The rows' units are folded once for all the
    states (:func:`_fold`)."""
    n = len(arr)
    if n == 0:
        return []
    k = len(seed_states)
    off_type = "<i8" if pa.types.is_large_string(arr.type) else "<i4"
    bufs = arr.buffers()
    offsets = np.frombuffer(bufs[1], dtype=off_type)[arr.offset : arr.offset + n + 1]
    data = np.frombuffer(bufs[2], dtype=np.uint8) if bufs[2] is not None else np.zeros(0, np.uint8)

    def block(a: int, b: int) -> None:
        starts = offsets[a:b]
        lengths = offsets[a + 1 : b + 1] - starts
        lo, hi = int(offsets[a]), int(offsets[b])
        if hi == lo or int(data[lo:hi].max()) < 0x80:
            h1 = _fold(seed_states, data, starts, lengths)
        else:
            ascii_rows = pc.string_is_ascii(arr.slice(a, b - a)).to_numpy(zero_copy_only=False)
            other = np.flatnonzero(~ascii_rows)
            if other.size * 4 > b - a:  # mostly non-ASCII: decode the whole block
                units, unit_offsets = _utf16_units(data, offsets[a : b + 1])
                h1 = _fold(seed_states, units, unit_offsets[:-1], np.diff(unit_offsets))
            else:  # a few non-ASCII rows: bytes for the rest, UTF-16 for those
                h1 = np.empty((k, b - a), dtype=np.uint32)
                rows = np.flatnonzero(ascii_rows)
                h1[:, rows] = _fold(seed_states, data, starts[rows], lengths[rows])
                sub_data, sub_offsets = _gather_rows(data, starts[other], lengths[other])
                units, unit_offsets = _utf16_units(sub_data, sub_offsets)
                h1[:, other] = _fold(seed_states, units, unit_offsets[:-1], np.diff(unit_offsets))
        h2 = _decimal_fnv(h1.reshape(-1))
        h2 -= (h2 // np.uint32(10_000)) * np.uint32(10_000)
        out[:, a:b] = h2.reshape(k, b - a)

    return _block_tasks(block, n)


def _buckets_python(seed_states: Sequence[int], values: Sequence[Any], labels: Any = None) -> np.ndarray:
    """Slow, exact fallback for inputs Arrow cannot hold (e.g. lone surrogates)."""
    out = np.empty((len(seed_states), len(values)), dtype=np.uint16)
    for r, state in enumerate(seed_states):
        out[r] = _map_python_ids(lambda v, state=state: fnv1a32(str(_fnv_continue(state, v))) % 10000, values, labels)
    return out


def _map_python_ids(hash_one: Callable[[str], float], values: Sequence[Any], labels: Any = None) -> np.ndarray:
    """``hash_one`` over ids held in Python, with the same null and type errors as the Arrow path."""
    out = np.empty(len(values), dtype=np.float64)
    for i, v in enumerate(values):
        if v is None or (isinstance(v, float) and math.isnan(v)):
            raise ValueError(_null_message(i, labels))
        if not isinstance(v, str):
            raise TypeError(f"user id at position {i} is {type(v).__name__}, expected str")
        out[i] = hash_one(v)
    return out


def _null_message(pos: int, labels: Any = None) -> str:
    where = f"position {pos}"
    if labels is not None:
        where += f" (index label {labels[pos]!r})"
    return f"null user id at {where}: every id must be a non-null string"


_ARROW_ERRORS = (pa.ArrowInvalid, pa.ArrowTypeError, UnicodeEncodeError, OverflowError)


def _as_arrow(values: Any) -> tuple[pa.Array | pa.ChunkedArray | None, Any, Any]:
    """``(arrow array or None, python fallback sequence, index labels)`` for ``values``."""
    if isinstance(values, (pa.Array, pa.ChunkedArray)):
        return values, None, None
    module = type(values).__module__
    if module.startswith("pandas"):
        labels = None
        index = getattr(values, "index", None)
        if index is not None and not _is_default_index(index):
            labels = index
        try:
            return pa.array(values, from_pandas=True), None, labels
        except _ARROW_ERRORS:
            return None, list(values), labels
    if isinstance(values, np.ndarray):
        if values.ndim != 1:
            raise TypeError(f"expected a 1-d array of ids, got shape {values.shape}")
        if values.dtype.kind not in "UO":
            raise TypeError(f"expected string ids, got a numpy array of {values.dtype}")
        try:
            return pa.array(values, type=pa.large_string(), from_pandas=True), None, None
        except _ARROW_ERRORS:
            return None, values.tolist(), None
    if isinstance(values, (str, bytes)):
        raise TypeError("expected a column of ids, got a single string")
    if not isinstance(values, (list, tuple)):
        values = list(values)
    try:
        return pa.array(values, type=pa.large_string()), None, None
    except _ARROW_ERRORS:
        return None, values, None


def _is_default_index(index: Any) -> bool:
    try:
        import pandas as pd

        return isinstance(index, pd.RangeIndex) and index.start == 0 and index.step == 1
    except Exception:  # pragma: no cover - pandas always present with a pandas object
        return True


def _string_chunks(arr: pa.Array | pa.ChunkedArray) -> list[pa.Array]:
    chunks = arr.chunks if isinstance(arr, pa.ChunkedArray) else [arr]
    return [c for c in chunks if len(c)]


def _first_null(arr: pa.Array | pa.ChunkedArray) -> int:
    mask = pc.is_null(arr)
    if isinstance(mask, pa.ChunkedArray):
        mask = mask.combine_chunks()
    return int(np.argmax(mask.to_numpy(zero_copy_only=False)))


def _is_string_type(t: pa.DataType) -> bool:
    is_view = getattr(pa.types, "is_string_view", lambda _t: False)
    return pa.types.is_string(t) or pa.types.is_large_string(t) or is_view(t)


def _checked_arrow(arr: pa.Array | pa.ChunkedArray, labels: Any) -> pa.Array | pa.ChunkedArray | None:
    """Validate a column of ids: None when empty; a dictionary of strings as it is; any other
    string type as string/large_string. Nulls raise ValueError, non-strings TypeError."""
    if isinstance(arr, pa.ChunkedArray) and arr.num_chunks == 0:
        return None
    if pa.types.is_null(arr.type):
        if len(arr):
            raise ValueError(_null_message(0, labels))
        return None
    if arr.null_count:
        raise ValueError(_null_message(_first_null(arr), labels))
    if pa.types.is_dictionary(arr.type):
        if not _is_string_type(arr.type.value_type):
            raise TypeError(f"expected string ids, got Arrow type {arr.type}")
        return arr
    if not _is_string_type(arr.type):
        raise TypeError(f"expected string ids, got Arrow type {arr.type}")
    if not (pa.types.is_string(arr.type) or pa.types.is_large_string(arr.type)):
        arr = arr.cast(pa.large_string())
    return arr


def _fold_chunks(arr: pa.Array | pa.ChunkedArray,
                 tasks: Callable[[pa.Array, np.ndarray], list[Callable[[], None]]]) -> np.ndarray:
    """Run the tasks ``tasks(chunk, out_slice)`` of every chunk of a string column, in one pool,
    into one float64 array."""
    out = np.empty(len(arr), dtype=np.float64)
    todo: list[Callable[[], None]] = []
    pos = 0
    for chunk in _string_chunks(arr):
        todo += tasks(chunk, out[pos : pos + len(chunk)])
        pos += len(chunk)
    _run_tasks(todo)
    return out


def hash_v2_batch(seed: str, values: Iterable[str] | Any) -> np.ndarray:
    """GrowthBook hash version 2 of every id in a column, as a float64 numpy array.

    ``values`` may be a list or tuple of ``str``, a 1-d numpy array of ``str`` or
    ``object``, a pandas Series/Index of strings, or a pyarrow ``Array`` /
    ``ChunkedArray`` of strings (``string``, ``large_string``, ``string_view`` or
    dictionary-encoded). Element ``i`` equals ``hash_v2(seed, values[i])`` exactly.

    Null ids (``None``, Arrow nulls, pandas missing values) raise ``ValueError``
    naming the position of the first one; non-string items raise ``TypeError``.
    The empty string is hashed like any id, but note that GrowthBook never buckets a
    user whose hash attribute is empty (it is not in the experiment): that rule is
    the caller's. Arrow string data must be valid UTF-8 (Arrow's own invariant).

    Method: the FNV-1a state after ``seed`` is computed once and each id's code units
    are folded in with wrapping uint32 numpy arithmetic, straight from the Arrow data
    buffer (ASCII rows: the bytes; other rows: UTF-8 decoded to UTF-16 units in numpy);
    the second round hashes ``str(h)`` arithmetically. Work runs in blocks of 256k rows
    on two threads.
    """
    return hash_v2_buckets([seed], values)[0] / 10_000.0


def hash_v2_buckets(seeds: Sequence[str], values: Iterable[str] | Any) -> np.ndarray:
    """GrowthBook hash version 2 of every id under each of ``seeds``, as whole buckets: a ``uint16``
    array of shape ``(len(seeds), n)`` holding ``fnv1a32(str(fnv1a32(seed + id))) % 10000``, so that
    ``bucket / 10000 == hash_v2(seed, id)`` exactly (both are the double nearest the quotient).

    Same inputs, errors and method as :func:`hash_v2_batch` (which is this divided by 10000), but
    the ids' bytes are read once for all the seeds (an experiment's seed and a programme holdout's
    hash the same ids), and the buckets let a caller look up each of the 10,000 possible hashes'
    variation once (:func:`variation_table`) instead of comparing 10M doubles with every range.
    """
    states = [_fnv_continue(FNV_OFFSET_BASIS, seed) for seed in seeds]
    arr, fallback, labels = _as_arrow(values)
    if arr is None:
        return _buckets_python(states, fallback, labels)
    arr = _checked_arrow(arr, labels)
    if arr is None:
        return np.empty((len(states), 0), dtype=np.uint16)
    if pa.types.is_dictionary(arr.type):  # hash each distinct id once
        chunks = arr.chunks if isinstance(arr, pa.ChunkedArray) else [arr]
        parts = []
        for c in chunks:
            dictionary = c.dictionary
            if dictionary.null_count:
                parts.append(hash_v2_buckets(seeds, c.cast(c.type.value_type)))
                continue
            codes = c.indices.to_numpy(zero_copy_only=False)
            parts.append(np.take(hash_v2_buckets(seeds, dictionary), codes, axis=1))
        return np.concatenate(parts, axis=1) if parts else np.empty((len(states), 0), dtype=np.uint16)
    out = np.empty((len(states), len(arr)), dtype=np.uint16)
    tasks: list[Callable[[], None]] = []
    pos = 0
    for chunk in _string_chunks(arr):
        tasks += _bucket_tasks(states, chunk, out[:, pos : pos + len(chunk)])
        pos += len(chunk)
    _run_tasks(tasks)
    return out


def empty_rows(values: pa.Array | pa.ChunkedArray) -> np.ndarray | None:
    """Which values of a string column are the empty string (a numpy bool array; null is not
    empty), or None when none is, the usual case (no mask is built). GrowthBook never enrolls a
    user whose hashed value is empty; the callers apply that rule.

    A (large_)string chunk without nulls is checked on its offsets (an empty value is two equal
    offsets); anything else through ``binary_length``."""
    chunks = values.chunks if isinstance(values, pa.ChunkedArray) else [values]
    parts: list[np.ndarray] = []
    found = False
    for chunk in chunks:
        n = len(chunk)
        if pa.types.is_dictionary(chunk.type):
            chunk = chunk.cast(chunk.type.value_type)
        if (pa.types.is_string(chunk.type) or pa.types.is_large_string(chunk.type)) and not chunk.null_count:
            off_type = "<i8" if pa.types.is_large_string(chunk.type) else "<i4"
            offsets = np.frombuffer(chunk.buffers()[1], dtype=off_type)[chunk.offset : chunk.offset + n + 1]
            empty = offsets[1:] == offsets[:-1]
        else:
            lengths = pc.binary_length(chunk)  # byte length: no scan of the characters
            empty = pc.fill_null(pc.equal(lengths, 0), False).to_numpy(zero_copy_only=False)
        found = found or bool(empty.any())
        parts.append(empty)
    if not found:
        return None
    return np.concatenate(parts)


def variation_table(ranges: Sequence[tuple[float, float]]) -> np.ndarray:
    """``choose_variation(b / 10000, ranges)`` for every bucket ``b`` of :func:`hash_v2_buckets`
    (an int64 array of 10,000): ``variation_table(ranges)[buckets]`` equals
    ``choose_variation_batch(buckets / 10000, ranges)`` exactly, the same doubles being compared."""
    return choose_variation_batch(np.arange(10_000, dtype=np.uint16) / 10_000.0, ranges)


def choose_variation_batch(
    hashes: np.ndarray, ranges: Sequence[tuple[float, float]]
) -> np.ndarray:
    """``choose_variation`` for every hash: an int64 array of variation indexes or ``-1``.

    The first range with ``start <= hash < end`` wins, comparing float64 values exactly
    as the scalar does.
    """
    h = np.asarray(hashes, dtype=np.float64)
    out = np.full(h.shape, -1, dtype=np.int64)
    if h.ndim != 1:
        out.reshape(-1)[:] = choose_variation_batch(h.reshape(-1), ranges)
        return out
    bounds = [(float(start), float(end)) for start, end in ranges]

    def block(a: int, b: int) -> None:
        hb, ob = h[a:b], out[a:b]
        inside = np.empty(hb.shape, dtype=bool)
        below_end = np.empty(hb.shape, dtype=bool)
        for i in range(len(bounds) - 1, -1, -1):  # later ranges first: the first wins
            np.greater_equal(hb, bounds[i][0], out=inside)
            np.less(hb, bounds[i][1], out=below_end)
            inside &= below_end
            np.copyto(ob, i, where=inside)

    _run_blocks(block, h.shape[0])
    return out


# ------------------------------------------------------------------ hash v1, namespaces
#
# GrowthBook namespaces (mutual exclusion): a user is in namespace ``(id, start, end)`` when
# ``start <= hash_v1("__" + id, user_id) < end`` (SDK ``inNamespace``; hash version 1 is
# ``fnv1a32(value + seed) % 1000 / 1000`` -- note the value comes first, unlike v2).

__all__ += ["hash_v1", "hash_v1_batch", "in_namespace", "in_namespace_batch"]


def hash_v1(seed: str, value: str) -> float:
    """GrowthBook hash version 1: ``fnv1a32(value + seed) % 1000 / 1000``, a float in ``[0, 1)``.

    Exactly the SDK's ``gbhash(seed, value, 1)`` (used for namespaces).
    """
    return (fnv1a32(value + seed) % 1000) / 1000


def in_namespace(user_id: str, ns_id: str, start: float, end: float) -> bool:
    """Whether ``user_id`` falls in ``[start, end)`` of namespace ``ns_id``: the SDK's ``inNamespace``."""
    n = hash_v1("__" + ns_id, user_id)
    return start <= n < end


def _fold_string_array_v1(seed: str, arr: pa.Array, out: np.ndarray) -> list[Callable[[], None]]:
    """Tasks (:func:`_run_tasks`) writing hash v1 of every row of a null-free (large_)string array into ``out``."""
    n = len(arr)
    if n == 0:
        return []
    off_type = "<i8" if pa.types.is_large_string(arr.type) else "<i4"
    bufs = arr.buffers()
    offsets = np.frombuffer(bufs[1], dtype=off_type)[arr.offset : arr.offset + n + 1]
    data = np.frombuffer(bufs[2], dtype=np.uint8) if bufs[2] is not None else np.zeros(0, np.uint8)
    suffix = seed.encode("utf-16-le", "surrogatepass")
    suffix_units = [suffix[i] | (suffix[i + 1] << 8) for i in range(0, len(suffix), 2)]

    def block(a: int, b: int) -> None:
        starts = offsets[a:b]
        lengths = offsets[a + 1 : b + 1] - starts
        lo, hi = int(offsets[a]), int(offsets[b])
        if hi == lo or int(data[lo:hi].max()) < 0x80:
            h = _fold(FNV_OFFSET_BASIS, data, starts, lengths)
        else:
            units, unit_offsets = _utf16_units(data, offsets[a : b + 1])
            h = _fold(FNV_OFFSET_BASIS, units, unit_offsets[:-1], np.diff(unit_offsets))
        for u in suffix_units:  # the seed comes after the value in hash v1
            h ^= np.uint32(u)
            h *= _P32
        h -= (h // np.uint32(1000)) * np.uint32(1000)
        np.divide(h, 1000.0, out=out[a:b])

    return _block_tasks(block, n)


def hash_v1_batch(seed: str, values: Iterable[str] | Any) -> np.ndarray:
    """``hash_v1(seed, v)`` for every id of a column, as float64; same inputs and errors as
    :func:`hash_v2_batch` (lists, numpy, pandas, Arrow; nulls raise ``ValueError``)."""
    arr, fallback, labels = _as_arrow(values)
    if arr is None:
        return _map_python_ids(lambda v: hash_v1(seed, v), fallback, labels)
    arr = _checked_arrow(arr, labels)
    if arr is None:
        return np.empty(0, dtype=np.float64)
    if pa.types.is_dictionary(arr.type):
        arr = _checked_arrow(arr.cast(arr.type.value_type), labels)
    return _fold_chunks(arr, lambda chunk, out: _fold_string_array_v1(seed, chunk, out))


def in_namespace_batch(user_ids: Iterable[str] | Any, ns_id: str, start: float, end: float) -> np.ndarray:
    """:func:`in_namespace` for every id of a column: a boolean numpy array."""
    n = hash_v1_batch("__" + ns_id, user_ids)
    return (n >= float(start)) & (n < float(end))


# ------------------------------------------------------------------ 64-bit keys for joins
#
# Not part of GrowthBook: a fast 64-bit key per id, so that two columns of ids can be matched
# by sorting integers (the assignment log's duplicate and re-run checks) instead of hashing text.
# Equal ids always get equal keys; unequal ids rarely do (a collision), so callers compare the
# text wherever the keys match.

__all__ += ["fnv1a64_utf8_batch"]

FNV64_OFFSET_BASIS = 0xCBF29CE484222325
FNV64_PRIME = 0x100000001B3
_P64 = np.uint64(FNV64_PRIME)


def fnv1a64_utf8_batch(values: pa.Array | pa.ChunkedArray) -> np.ndarray:
    """64-bit FNV-1a (offset basis ``0xCBF29CE484222325``, prime ``0x100000001B3``; Fowler, Noll,
    Vo, IETF draft-eastlake-fnv) of the UTF-8 bytes of every string of a null-free Arrow column, as
    a ``uint64`` numpy array. Same method as :func:`hash_v2_batch` (bytes folded column by column
    in wrapping integer arithmetic, blocks of 256k rows on two threads), over bytes, not UTF-16."""
    arr = _checked_arrow(values, None)
    if arr is None:
        return np.empty(0, dtype=np.uint64)
    if pa.types.is_dictionary(arr.type):
        arr = _checked_arrow(arr.cast(arr.type.value_type), None)
    out = np.empty(len(arr), dtype=np.uint64)
    tasks: list[Callable[[], None]] = []
    pos = 0
    for chunk in _string_chunks(arr):
        n = len(chunk)
        off_type = "<i8" if pa.types.is_large_string(chunk.type) else "<i4"
        bufs = chunk.buffers()
        offsets = np.frombuffer(bufs[1], dtype=off_type)[chunk.offset : chunk.offset + n + 1]
        data = np.frombuffer(bufs[2], dtype=np.uint8) if bufs[2] is not None else np.zeros(0, np.uint8)
        dest = out[pos : pos + n]

        def block(a: int, b: int, offsets: np.ndarray = offsets, data: np.ndarray = data,
                  dest: np.ndarray = dest) -> None:
            starts = offsets[a:b]
            dest[a:b] = _fold(FNV64_OFFSET_BASIS, data, starts, offsets[a + 1 : b + 1] - starts, _P64)

        tasks += _block_tasks(block, n)
        pos += n
    _run_tasks(tasks)
    return out
