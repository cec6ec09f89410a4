"""Namespaces (mutual exclusion): hash v1 and inNamespace as in the GrowthBook SDK, assignment
outside a namespace range, disjoint experiments never sharing a user, overlap checks."""
from __future__ import annotations

import numpy as np
import pyarrow as pa
import pytest

growthbook = pytest.importorskip("growthbook")
from growthbook import core as gbcore

from guidelab.abtest import assign, assign_batch
from guidelab.experiment import NamespaceSpec
from guidelab.hashing import hash_v1, hash_v1_batch, in_namespace, in_namespace_batch
from guidelab.namespaces import check_namespaces, free_ranges, namespace_report

IDS = (["", "0", "🎉", "ユ", "山田太郎", "a" * 300, "🎉" * 50, "x🎉y"]
       + [f"u-{i}" for i in range(2000)] + [f"ユーザー{i}" for i in range(700)]
       + [f"user🎉{i}" for i in range(700)] + [f"利用者😀{i}@example.jp" for i in range(200)])
NAMESPACES = [("onboarding", 0.0, 0.5), ("guides", 0.25, 0.75), ("名前空間🎉", 0.5, 1.0), ("x", 0.333, 0.334)]
SPEC_NAMESPACES = [ns for ns in NAMESPACES if ns[0].isascii()] + [("home.v2", 0.5, 1.0)]  # spec ids are ASCII


def _ns(spec, ns_id, start, end):
    return spec.model_copy(update={"namespace": NamespaceSpec(id=ns_id, range=(start, end))})


def test_corpus_size():
    assert len(IDS) >= 3000


@pytest.mark.parametrize("seed", ["", "__onboarding", "__名前空間🎉", "seed😀"])
def test_hash_v1_matches_sdk(seed):
    ref = np.array([gbcore.gbhash(seed, uid, 1) for uid in IDS])
    assert [hash_v1(seed, uid) for uid in IDS] == ref.tolist()
    assert np.array_equal(hash_v1_batch(seed, IDS), ref)
    assert np.array_equal(hash_v1_batch(seed, pa.chunked_array([IDS[:5], IDS[5:]])), ref)
    assert np.array_equal(hash_v1_batch(seed, np.array(IDS, dtype=object)), ref)
    ascii_only = [u for u in IDS if u.isascii()]
    assert hash_v1_batch(seed, ascii_only).tolist() == [gbcore.gbhash(seed, u, 1) for u in ascii_only]


def test_hash_v1_batch_rejects_nulls():
    with pytest.raises(ValueError, match="position 1"):
        hash_v1_batch("s", ["a", None])


@pytest.mark.parametrize("ns", NAMESPACES)
def test_in_namespace_matches_sdk(ns):
    ref = [gbcore.inNamespace(uid, ns) for uid in IDS]
    assert [in_namespace(uid, *ns) for uid in IDS] == ref
    assert in_namespace_batch(IDS, *ns).tolist() == ref
    assert 0 < sum(ref) < len(IDS)


def _sdk(spec, uid):
    ns = spec.namespace
    exp = growthbook.Experiment(key=spec.id, variations=spec.variant_keys,
                                weights=[v.weight for v in spec.variants], coverage=spec.coverage,
                                seed=spec.hash_seed, hashVersion=2,
                                namespace=(ns.id, ns.range[0], ns.range[1]) if ns else None)
    res = growthbook.GrowthBook(attributes={"id": uid}).run(exp)
    return res.value if res.inExperiment else None


@pytest.mark.parametrize("ns", SPEC_NAMESPACES)
@pytest.mark.parametrize("coverage", [1.0, 0.6])
def test_assign_with_namespace_matches_sdk(onboarding_spec, ns, coverage):
    spec = _ns(onboarding_spec.model_copy(update={"coverage": coverage}), *ns)
    table = assign_batch(spec, IDS)
    batch = table.column("variant").to_pylist()
    hashes = table.column("hash_value").to_pylist()
    for uid, v, h in zip(IDS, batch, hashes):
        one = assign(spec, uid)
        assert (one.variant, one.hash_value) == (v, h), uid
        assert v == _sdk(spec, uid), uid
    inside = in_namespace_batch(IDS, *ns)
    assert all(v is None for v, i in zip(batch, inside) if not i)
    assert any(v is not None for v in batch)


def test_disjoint_ranges_never_share_a_user(onboarding_spec, banner_spec):
    ids = [f"member-{i}" for i in range(19_000)] + [f"会員{i}" for i in range(700)] + [f"🎉{i}" for i in range(300)]
    assert len(ids) >= 20_000
    a = _ns(onboarding_spec, "home", 0.0, 0.4)
    b = _ns(banner_spec, "home", 0.4, 1.0)
    in_a = np.array([v is not None for v in assign_batch(a, ids).column("variant").to_pylist()])
    in_b = np.array([v is not None for v in assign_batch(b, ids).column("variant").to_pylist()])
    assert not (in_a & in_b).any()
    assert (in_a | in_b).all()  # full coverage and the ranges tile [0, 1): everyone is in one
    assert 0.35 < in_a.mean() < 0.45
    # without the namespace the two experiments share most users
    plain = assign_batch(banner_spec, ids).column("variant").to_pylist()
    assert (in_a & np.array([v is not None for v in plain])).any()


def test_overlap_detection_names_both_and_the_overlap(onboarding_spec, banner_spec):
    a = _ns(onboarding_spec, "home", 0.0, 0.5)
    b = _ns(banner_spec, "home", 0.4, 0.8)
    problems = check_namespaces([("experiments/a.yaml", a), ("experiments/b.yaml", b)])
    assert len(problems) == 1
    p = problems[0]
    assert p.file == "experiments/a.yaml" and p.field == "namespace.range"
    for needle in ("onboarding-tour-vs-checklist", "maintenance-banner-copy", "experiments/b.yaml",
                   "[0.4, 0.5)", "'home'"):
        assert needle in p.message, needle
    # plain specs and mappings are accepted too; the id stands in for the file
    assert check_namespaces([a, b])[0].file == a.id
    assert len(check_namespaces({"a.yaml": a, "b.yaml": b})) == 1


def test_no_problem_for_touching_ranges_other_namespaces_or_none(onboarding_spec, banner_spec):
    a = _ns(onboarding_spec, "home", 0.0, 0.5)
    assert check_namespaces([a, _ns(banner_spec, "home", 0.5, 1.0)]) == []
    assert check_namespaces([a, _ns(banner_spec, "other", 0.0, 1.0)]) == []
    assert check_namespaces([a, banner_spec]) == []
    assert check_namespaces([]) == []


def test_free_ranges(onboarding_spec, banner_spec):
    specs = [_ns(onboarding_spec, "home", 0.1, 0.3), _ns(banner_spec, "home", 0.5, 0.6)]
    assert free_ranges(specs, "home") == [(0.0, 0.1), (0.3, 0.5), (0.6, 1.0)]
    assert free_ranges(specs, "unused") == [(0.0, 1.0)]
    full = [_ns(onboarding_spec, "home", 0.0, 0.7), _ns(banner_spec, "home", 0.5, 1.0)]
    assert free_ranges(full, "home") == []


def test_namespace_report(onboarding_spec, banner_spec, root):
    from guidelab.experiment import load_experiment

    nps = load_experiment(root / "experiments" / "nps-survey-timing.yaml")
    specs = [("a.yaml", _ns(onboarding_spec, "home", 0.0, 0.5)), ("b.yaml", _ns(banner_spec, "home", 0.4, 0.8)),
             ("c.yaml", nps)]
    text = namespace_report(specs)
    assert "namespace home:" in text
    assert "onboarding-tour-vs-checklist (a.yaml)" in text and "maintenance-banner-copy (b.yaml)" in text
    assert "OVERLAPS" in text
    assert "free: [0.8, 1)" in text
    assert "not in a namespace: nps-survey-timing (c.yaml)" in text
    assert namespace_report([nps]).startswith("no experiment uses a namespace")
