"""guidelab.hashing must reproduce GrowthBook's hash version 2 bucketing bit for bit.

The reference is the installed GrowthBook Python SDK (a test-only dependency): its
``gbhash``/``getBucketRanges``/``chooseVariation`` and, end to end, ``GrowthBook.run``.
"""
from __future__ import annotations

import math
import random

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest

growthbook = pytest.importorskip("growthbook")
from growthbook import core as gbcore  # noqa: E402

from guidelab import hashing  # noqa: E402
from guidelab.hashing import (  # noqa: E402
    bucket_ranges,
    choose_variation,
    choose_variation_batch,
    empty_rows,
    fnv1a32,
    hash_v2,
    hash_v2_batch,
    hash_v2_buckets,
    variation_table,
)

SEEDS = ["", "onboarding-tour-vs-checklist", "実験-チェックリスト", "seed🎉"]


def _id_corpus() -> list[str]:
    """>= 5,000 ids of every shape that matters for UTF-16 hashing."""
    rng = random.Random(20240611)
    alphabet = (
        "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.:@/ "
        "ユーザー日本語テスト漢字かなカナ" "éüßñ€" "🎉😀👍🏽𝄞🇯🇵"
    )
    ids: list[str] = ["", "0", "00", "1", "a", "🎉", "ユ", "\u00e9", "\U0010ffff", "\uffff"]
    ids += [f"u{i:07d}" for i in range(0, 1500, 1)]  # ASCII, equal length
    ids += [str(i) for i in range(1, 3_000_000, 2999)]  # digits only, 1-7 chars
    ids += [f"ユーザー{i}" for i in range(800)]  # Japanese
    ids += [f"user🎉{i}" for i in range(800)]  # emoji: astral, 2 UTF-16 units
    ids += [f"{i}@example.jp" for i in range(300)]
    for _ in range(1200):  # mixed, random lengths including 0
        n = rng.choice([0, 1, 2, 3, 5, 8, 13, 21, 34, 55])
        ids.append("".join(rng.choice(alphabet) for _ in range(n)))
    ids += ["x" * 5_000, "ユ" * 2_000, "🎉" * 1_000, "a" * 257 + "🎉" + "b" * 300]
    ids += ["user-" + "0" * k for k in range(40)]  # a run of increasing lengths
    assert len(ids) >= 5_000
    return ids


IDS = _id_corpus()


def _containers(ids: list[str]) -> dict[str, object]:
    third = len(ids) // 3
    out: dict[str, object] = {
        "list": list(ids),
        "tuple": tuple(ids),
        "numpy-object": np.array(ids, dtype=object),
        "numpy-str": np.array(ids),
        "pandas": pd.Series(ids),
        "pandas-object": pd.Series(ids, dtype=object),
        "pandas-categorical": pd.Series(ids, dtype="category"),
        "arrow": pa.array(ids),
        "arrow-large": pa.array(ids, type=pa.large_string()),
        "arrow-sliced": pa.array(["pad"] * 7 + ids + ["pad"]).slice(7, len(ids)),
        "arrow-chunked": pa.chunked_array([ids[:third], ids[third : 2 * third], [], ids[2 * third :]]),
        "arrow-dictionary": pa.array(ids).dictionary_encode(),
    }
    if hasattr(pa, "string_view"):
        out["arrow-string-view"] = pa.array(ids).cast(pa.string_view())
    return out


# ------------------------------------------------------------------------ vectors

# FNV-1a 32 reference values (Landon Curt Noll's FNV test suite); ASCII, so identical
# over bytes and UTF-16 units.
FNV_REFERENCE = {"": 0x811C9DC5, "a": 0xE40C292C, "foobar": 0xBF9CF968}

# Hash version 2 vectors published in GrowthBook's SDK test suite
# (growthbook/growthbook packages/sdk-js/test/cases.json): the "hash" section and the
# "bucket" of experiment results with hashVersion 2.
GROWTHBOOK_V2_CASES = [
    ("seed", "a", 0.0505),
    ("seed", "b", 0.2696),
    ("foo", "ab", 0.2575),
    ("foo", "def", 0.2019),
    ("89123klj", "8952klfjas09ujkasdf", 0.124),
    ("90850943850283058242805", "123", 0.7516),
    ("()**(%$##$%#$#", '___)((*":&', 0.0128),
    ("feature", "123", 0.5231),
    ("feature-exp", "d123", 0.6468),
    ("feature-exp", "i123", 0.9943),
]

# Non-ASCII literals recorded from the installed SDK (growthbook 4.0.0,
# gbhash(seed, value, 2)); not published by GrowthBook.
SDK_RECORDED_V2 = [
    ("", "\u00e9", 0.8917),
    ("", "🎉", 0.9562),
    ("実験", "ユーザー123", 0.7218),
    ("exp", "user🎉42", 0.0495),
]


@pytest.mark.parametrize(("text", "expected"), FNV_REFERENCE.items())
def test_fnv1a32_reference_values(text, expected):
    assert fnv1a32(text) == expected == gbcore.fnv1a32(text)


def test_fnv1a32_hashes_utf16_code_units():
    # "🎉" is U+1F389: UTF-16 D83C DF89 — neither the code point nor UTF-8 bytes.
    h = 0x811C9DC5
    for unit in (0xD83C, 0xDF89):
        h = ((h ^ unit) * 0x01000193) & 0xFFFFFFFF
    assert fnv1a32("🎉") == h == gbcore.fnv1a32("🎉")
    # lone surrogates are code units too, as in JavaScript strings
    assert fnv1a32("\ud83c" + "\udf89") == h


@pytest.mark.parametrize(("seed", "value", "expected"), GROWTHBOOK_V2_CASES + SDK_RECORDED_V2)
def test_hash_v2_known_vectors(seed, value, expected):
    assert hash_v2(seed, value) == expected
    assert gbcore.gbhash(seed, value, 2) == expected
    assert hash_v2_batch(seed, [value])[0] == expected


@pytest.mark.parametrize("seed", SEEDS)
def test_hash_v2_equals_sdk_for_every_id(seed):
    expected = [gbcore.gbhash(seed, v, 2) for v in IDS]
    assert [hash_v2(seed, v) for v in IDS] == expected


@pytest.mark.parametrize("seed", SEEDS)
def test_hash_v2_batch_equals_scalar_for_every_container(seed):
    expected = np.array([hash_v2(seed, v) for v in IDS])
    for name, values in _containers(IDS).items():
        got = hash_v2_batch(seed, values)
        assert got.dtype == np.float64 and got.shape == (len(IDS),), name
        mismatch = np.flatnonzero(got != expected)
        assert mismatch.size == 0, f"{name}: first mismatch at {mismatch[:5]} {IDS[mismatch[0]]!r}"


@pytest.mark.parametrize("chunk_rows", [97, 1000])
def test_hash_v2_batch_blocks_and_threads(monkeypatch, chunk_rows):
    """Small blocks force the multi-block, two-thread path and every per-block case."""
    monkeypatch.setattr(hashing, "_CHUNK_ROWS", chunk_rows)
    rng = random.Random(chunk_rows)
    mostly_ascii = [f"u{i:06d}" for i in range(6000)]
    for i in rng.sample(range(6000), 60):  # 1%: "a few non-ASCII rows" path
        mostly_ascii[i] = rng.choice(["ユーザー", "user🎉", "é"]) + str(i)
    for ids in (mostly_ascii, IDS):
        expected = np.array([hash_v2("exp", v) for v in ids])
        assert np.array_equal(hash_v2_batch("exp", pa.array(ids)), expected)
        assert np.array_equal(hash_v2_batch("exp", ids), expected)


def test_hash_v2_buckets_several_seeds_in_one_pass(monkeypatch):
    """Each row of the buckets is the scalar hash of its seed times 10000, for every container and
    for a chunked Arrow column whose chunks are smaller than a block (blocks of all chunks share one
    pool); divided by 10000 it is the same double as hash_v2_batch."""
    monkeypatch.setattr(hashing, "_CHUNK_ROWS", 700)
    seeds = ["exp", "gp-holdout", "実験"]
    expected = np.array([[round(hash_v2(s, v) * 10_000) for v in IDS] for s in seeds])
    containers = _containers(IDS)
    containers["chunked, 37 chunks"] = pa.chunked_array([pa.array(IDS[i:i + 150]) for i in range(0, len(IDS), 150)])
    for name, values in containers.items():
        got = hash_v2_buckets(seeds, values)
        assert got.dtype == np.uint16 and got.shape == (3, len(IDS)), name
        assert np.array_equal(got, expected), name
        assert np.array_equal(got[1] / 10_000.0, hash_v2_batch("gp-holdout", values)), name
    assert hash_v2_buckets(seeds, []).shape == (3, 0)


def test_variation_table_is_choose_variation_of_every_bucket():
    for ranges in (bucket_ranges(3, 0.9, [0.2, 0.3, 0.5]), bucket_ranges(2, 1.0), bucket_ranges(4, 0.37, [0.1, 0.2, 0.3, 0.4])):
        table = variation_table(ranges)
        assert table.tolist() == [choose_variation(b / 10_000, ranges) for b in range(10_000)]
        buckets = hash_v2_buckets(["exp"], IDS)[0]
        assert np.array_equal(table[buckets], choose_variation_batch(hash_v2_batch("exp", IDS), ranges))


def test_empty_rows():
    assert empty_rows(pa.array(["a", "b"])) is None
    assert empty_rows(pa.chunked_array([], pa.string())) is None
    mixed = pa.chunked_array([pa.array(["a", "", None]), pa.array(["x", ""], pa.large_string()).cast(pa.string())])
    assert empty_rows(mixed).tolist() == [False, True, False, False, True]  # null is not empty
    assert empty_rows(pa.array(["", "b", ""]).slice(1)).tolist() == [False, True]
    assert empty_rows(pa.array(["a", "", "a"]).dictionary_encode()).tolist() == [False, True, False]


def test_hash_v2_batch_large_column_subsample():
    """600k ids (> 2 default blocks), ~1% Japanese/emoji, variable lengths."""
    rng = np.random.default_rng(7)
    n = 600_000
    ids = [f"u{i}" for i in range(n)]
    for i in rng.choice(n, n // 100, replace=False).tolist():
        ids[i] = ("ユーザー" if i % 2 else "user🎉") + str(i)
    got = hash_v2_batch("large", pa.array(ids))
    assert np.array_equal(got, hash_v2_batch("large", ids))
    for i in rng.choice(n, 20_000, replace=False).tolist():
        assert got[i] == hash_v2("large", ids[i]), ids[i]


def test_second_round_decimal_strings():
    """The arithmetic str(uint32) round, incl. digit-count boundaries and small values."""
    edges = [0, 1, 9, 10, 99, 100, 9_999, 10_000, 99_999, 100_000, 100_001, 999_999,
             1_000_000, 99_999_999, 100_000_000, 999_999_999, 1_000_000_000, 2**31, 2**32 - 1]
    values = edges + np.random.default_rng(3).integers(0, 2**32, 20_000).tolist()
    values += list(range(0, 200_000, 7))
    x = np.array(values, dtype=np.uint32)
    expected = np.array([fnv1a32(str(v)) for v in values], dtype=np.uint32)
    assert np.array_equal(hashing._decimal_fnv(x), expected)


# ---------------------------------------------------------------- bucket ranges

COVERAGES = [0, 0.3, 0.5, 1, 1.0, 0.999, -0.1, 1.5]
WEIGHTS = [
    None,
    [0.5, 0.5],
    [0.4, 0.6],
    [1 / 3, 1 / 3, 1 / 3],
    [0.3334, 0.3333, 0.3333],
    [0.2, 0.3, 0.5],
    [0.1, 0.2, 0.3, 0.4],
    [0.3, 0.3, 0.3],  # sums to 0.9: equal weights
    [0.335, 0.335, 0.335],  # sums to 1.005: accepted as is
    [0.4, 0.7],  # sums to 1.1
    [0.34, 0.34, 0.335],  # sums to 1.015: just outside
    [0.33, 0.33, 0.325],  # sums to 0.985: just outside
    [0.33, 0.33, 0.331],  # sums to 0.991: just inside
    [0.6, 0.5, -0.1],  # negative
    [0.5, float("nan"), 0.5],
    [1, 0],
    [True, False],
    [],
]


@pytest.mark.parametrize("coverage", COVERAGES)
@pytest.mark.parametrize("weights", WEIGHTS, ids=repr)
@pytest.mark.parametrize("n", [0, 1, 2, 3, 4])
def test_bucket_ranges_equal_sdk(n, coverage, weights):
    expected = gbcore.getBucketRanges(n, coverage, None if weights is None else list(weights))
    got = bucket_ranges(n, coverage, weights)
    assert [(float(a).hex(), float(b).hex()) for a, b in expected] == [
        (a.hex(), b.hex()) for a, b in got
    ]


def test_bucket_ranges_accept_tuples_and_arrays_as_lists():
    for w in ([0.2, 0.3, 0.5], [0.3334, 0.3333, 0.3333]):
        expected = gbcore.getBucketRanges(3, 0.7, w)
        assert bucket_ranges(3, 0.7, tuple(w)) == expected
        assert bucket_ranges(3, 0.7, np.array(w)) == expected


def test_bucket_ranges_published_cases():
    # GrowthBook cases.json "getBucketRange" / JS SDK unit tests
    assert bucket_ranges(2, 1) == [(0, 0.5), (0.5, 1)]
    assert bucket_ranges(2, 0.5) == [(0, 0.25), (0.5, 0.75)]
    assert bucket_ranges(2, 0) == [(0, 0), (0.5, 0.5)]
    assert bucket_ranges(2, -0.2) == [(0, 0), (0.5, 0.5)]
    assert bucket_ranges(2, 1.5) == [(0, 0.5), (0.5, 1)]
    assert bucket_ranges(2, 1, [0.4, 0.1]) == [(0, 0.5), (0.5, 1)]
    assert bucket_ranges(2, 0.1, [0.4, 0.6]) == [(0, 0.4 * 0.1), (0.4, 0.4 + 0.6 * 0.1)]


# --------------------------------------------------------------- choose variation

RANGE_SETS = [
    [(0, 0.5), (0.5, 1)],
    [(0, 0.25), (0.5, 0.75)],
    [(0, 0.5), (0.5, 0.5), (0.5, 1)],  # zero-width range is skipped
    [(0.5, 1.0), (0.0, 0.6)],  # overlapping: the first match wins
    [],
    bucket_ranges(3, 0.3, [0.2, 0.3, 0.5]),
]


@pytest.mark.parametrize("ranges", RANGE_SETS, ids=repr)
def test_choose_variation_scalar_and_batch_equal_sdk(ranges):
    grid = [0, 0.2, 0.25, 0.4, 0.5, 0.55, 0.6, 0.75, 0.8, 0.9999, 1.0, -0.0, 0.06, 0.26]
    grid += (np.arange(10_000) / 10_000).tolist()
    expected = [gbcore.chooseVariation(x, ranges) for x in grid]
    assert [choose_variation(x, ranges) for x in grid] == expected
    got = choose_variation_batch(np.array(grid), ranges)
    assert got.dtype == np.int64
    assert got.tolist() == expected


# --------------------------------------------------------------------- end to end

E2E_IDS = [v for v in IDS if v][:3_000] + [f"ユーザー{i}" for i in range(800, 1100)] + [
    f"user🎉{i}" for i in range(800, 1100)
]


def _sdk_run(uid, seed, coverage, weights):
    exp = growthbook.Experiment(
        key="guide-exp", variations=[0, 1, 2], weights=list(weights),
        coverage=coverage, seed=seed, hashVersion=2,
    )
    return growthbook.GrowthBook(attributes={"id": uid}).run(exp)


@pytest.mark.parametrize(
    ("seed", "coverage", "weights"),
    [
        ("guide-exp", 1.0, [1 / 3, 1 / 3, 1 / 3]),
        ("実験-チェックリスト", 1.0, [0.2, 0.3, 0.5]),
        ("tour-2024", 0.4, [0.5, 0.25, 0.25]),
    ],
)
def test_end_to_end_matches_growthbook_run(seed, coverage, weights):
    ranges = bucket_ranges(3, coverage, weights)
    batch_hash = hash_v2_batch(seed, pa.array(E2E_IDS))
    batch_var = choose_variation_batch(batch_hash, ranges)
    excluded = 0
    for i, uid in enumerate(E2E_IDS):
        res = _sdk_run(uid, seed, coverage, weights)
        h = hash_v2(seed, uid)
        v = choose_variation(h, ranges)
        assert res.hashValue == uid
        assert res.inExperiment == (v >= 0), uid
        assert batch_hash[i] == h and batch_var[i] == v, uid
        if v >= 0:
            assert res.variationId == v and res.bucket == h, uid
        else:
            excluded += 1
    if coverage < 1:
        assert 0.4 * len(E2E_IDS) < excluded < 0.8 * len(E2E_IDS)
    else:
        assert excluded == 0


def test_raising_coverage_keeps_included_users_in_their_variation():
    seed, weights = "rollout", [0.2, 0.3, 0.5]
    hashes = hash_v2_batch(seed, E2E_IDS)
    previous = None
    for coverage in (0.1, 0.25, 0.5, 0.9, 1.0):
        variation = choose_variation_batch(hashes, bucket_ranges(3, coverage, weights))
        sdk = []
        for uid in E2E_IDS[:: 7]:
            r = _sdk_run(uid, seed, coverage, weights)
            sdk.append(r.variationId if r.inExperiment else -1)
        assert variation[:: 7].tolist() == sdk
        if previous is not None:
            kept = previous >= 0
            assert np.array_equal(variation[kept], previous[kept])
            assert (variation >= 0).sum() >= kept.sum()
        previous = variation
    assert (previous >= 0).all()


# --------------------------------------------------------------------- bad input


@pytest.mark.parametrize(
    ("values", "position"),
    [
        (["a", "b", None, "d", None], 2),
        (np.array(["a", None], dtype=object), 1),
        (np.array(["a", "b", float("nan")], dtype=object), 2),
        (pd.Series(["a", None, "c"]), 1),
        (pd.Series(["a", "b", None], dtype="string"), 2),
        (pa.array([None, "x"]), 0),
        (pa.chunked_array([["a", "b"], ["c", None]]), 3),
        (pa.array(["a", None, "b"]).dictionary_encode(), 1),
        ([None], 0),
        (["a", "\ud800", None], 2),  # not representable in Arrow: Python fallback path
    ],
)
def test_null_id_raises_with_position(values, position):
    with pytest.raises(ValueError, match=rf"position {position}\b"):
        hash_v2_batch("s", values)


def test_null_message_names_pandas_label():
    with pytest.raises(ValueError, match=r"position 1 \(index label 'bob'\)"):
        hash_v2_batch("s", pd.Series(["x", None], index=["ann", "bob"]))


def test_non_string_ids_raise_type_error():
    with pytest.raises(TypeError, match="position 1"):
        hash_v2_batch("s", ["a", 5])
    with pytest.raises(TypeError):
        hash_v2_batch("s", np.arange(3))
    with pytest.raises(TypeError):
        hash_v2_batch("s", pa.array([1, 2]))
    with pytest.raises(TypeError):
        hash_v2_batch("s", "abc")


def test_lone_surrogates_and_empty_inputs():
    ids = ["a", "\ud83c", "\udf89x", "ok"]
    assert hash_v2_batch("s", ids).tolist() == [gbcore.gbhash("s", v, 2) for v in ids]
    for empty in ([], (), np.array([], dtype=object), pa.array([], pa.string()),
                  pa.chunked_array([], pa.string()), pd.Series([], dtype=object)):
        out = hash_v2_batch("s", empty)
        assert out.dtype == np.float64 and out.shape == (0,)
    assert choose_variation_batch(np.array([]), bucket_ranges(2)).shape == (0,)
    assert math.isclose(hash_v2("s", ""), gbcore.gbhash("s", "", 2))


# ------------------------------------------------------- randomisation by account


def _account_corpus() -> tuple[list[str], list[str | None]]:
    """Users of accounts of varied sizes (ids of every shape), and some users without an account."""
    rng = random.Random(14)
    users, accounts = [], []
    pool = [f"acct-{i:05d}" for i in range(400)] + ["", "株式会社テスト", "🎉corp", "00123"]
    for i in range(3000):
        users.append(f"u{i}" if i % 3 else f"ユーザー{i}")
        accounts.append(None if i % 97 == 0 else rng.choice(pool))
    return users, accounts


@pytest.mark.parametrize(("coverage", "namespace"), [(1.0, None), (0.6, ("home", 0.1, 0.7))])
def test_account_unit_matches_growthbook_hash_attribute(coverage, namespace):
    """unit: account_id hashes the account (GrowthBook hashAttribute): every user of an account
    gets its arm; a user without one is never enrolled, as in the SDK."""
    from guidelab.abtest import assign, assign_batch
    from guidelab.experiment import ExperimentSpec, NamespaceSpec

    spec = ExperimentSpec.model_validate({
        "id": "b2b-checklist", "hypothesis": "h", "start": "2026-10-01", "unit": "account_id",
        "coverage": coverage, "namespace": None if namespace is None else NamespaceSpec(id=namespace[0],
                                                                                       range=namespace[1:]),
        "variants": [{"key": "control", "weight": 0.5}, {"key": "checklist", "weight": 0.5}],
        "metrics": {"primary": "goal_d7"}, "goal_event": "invited"})
    users, accounts = _account_corpus()
    batch = assign_batch(spec, users, accounts)
    assert batch.column("account_id").to_pylist() == accounts
    got = batch.column("variant").to_pylist()
    arm_of_account: dict[str, str | None] = {}
    for uid, acc, v in zip(users, accounts, got):
        exp = growthbook.Experiment(key=spec.id, variations=spec.variant_keys, weights=list(spec.weights.values()),
                                    coverage=coverage, seed=spec.hash_seed, hashVersion=2,
                                    hashAttribute="account_id", namespace=namespace)
        attrs = {"id": uid} if acc is None else {"id": uid, "account_id": acc}
        res = growthbook.GrowthBook(attributes=attrs).run(exp)
        sdk = res.value if res.inExperiment else None
        assert v == sdk == assign(spec, uid, unit_id=acc).variant, (uid, acc)
        if acc is not None:
            assert arm_of_account.setdefault(acc, v) == v  # one arm per account
        else:
            assert v is None
    assert {v for v in got} >= {"control", "checklist"}


def test_account_unit_needs_the_attribute():
    from guidelab.abtest import assign_batch
    from guidelab.experiment import ExperimentSpec

    base = {"id": "b2b", "hypothesis": "h", "start": "2026-10-01",
            "variants": [{"key": "control", "weight": 0.5}, {"key": "t", "weight": 0.5}],
            "metrics": {"primary": "retention_d1"}}
    spec = ExperimentSpec.model_validate({**base, "unit": "account_id"})
    with pytest.raises(ValueError, match="randomised by account_id"):
        assign_batch(spec, ["u1"])
    with pytest.raises(ValueError, match="1 values for 2 users"):
        assign_batch(spec, ["u1", "u2"], ["a"])
    with pytest.raises(ValueError, match="randomised by user"):
        assign_batch(ExperimentSpec.model_validate(base), ["u1"], ["a"])


def test_fnv1a64_utf8_batch_matches_the_definition():
    """64-bit FNV-1a over UTF-8 bytes (the log's join keys), against a direct Python loop."""
    import random

    import pyarrow as pa

    from guidelab.hashing import fnv1a64_utf8_batch

    def reference(text: str) -> int:
        h = 0xCBF29CE484222325
        for b in text.encode("utf-8"):
            h = ((h ^ b) * 0x100000001B3) & 0xFFFFFFFFFFFFFFFF
        return h

    rng = random.Random(5)
    values = ["", "a", "00123", "ユーザー123", "user🎉42", "x" * 300] + [
        "".join(rng.choice("ab0あ🎉") for _ in range(rng.randint(0, 40))) for _ in range(2000)]
    assert reference("a") == 0xAF63DC4C8601EC8C  # the published test vector
    expected = [reference(v) for v in values]
    for column in (pa.array(values), pa.array(values, pa.large_string()),
                   pa.chunked_array([pa.array(values[:7]), pa.array(values[7:])]),
                   pa.array(["pad"] + values).slice(1)):
        assert fnv1a64_utf8_batch(column).tolist() == expected
    same_length = [f"u{i:09d}" for i in range(500)]  # the equal-length fast path
    assert fnv1a64_utf8_batch(pa.array(same_length)).tolist() == [reference(v) for v in same_length]
