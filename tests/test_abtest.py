"""assign (one user) and assign_batch (a column) agree with each other and with the GrowthBook SDK."""
from __future__ import annotations

import growthbook
import pyarrow as pa
import pytest

from guidelab.abtest import assign, assign_batch

IDS = ["", "0", "00123", "ユーザー123", "user🎉42", "山田太郎", "a" * 300] + [f"u-{i}" for i in range(3000)] + \
      [f"利用者{i}" for i in range(500)]


def _sdk(spec, uid):
    exp = growthbook.Experiment(key=spec.id, variations=spec.variant_keys, weights=[v.weight for v in spec.variants],
                                coverage=spec.coverage, seed=spec.hash_seed, hashVersion=2)
    res = growthbook.GrowthBook(attributes={"id": uid}).run(exp)
    return res.value if res.inExperiment else None


@pytest.mark.parametrize("spec_name", ["onboarding_spec", "banner_spec"])
def test_scalar_batch_and_sdk_agree(request, spec_name):
    spec = request.getfixturevalue(spec_name)
    table = assign_batch(spec, IDS)
    batch = dict(zip(table.column("user_id").to_pylist(), zip(table.column("variant").to_pylist(),
                                                               table.column("hash_value").to_pylist())))
    for uid in IDS:
        one = assign(spec, uid)
        assert batch[uid] == (one.variant, one.hash_value)
        assert one.variant == _sdk(spec, uid), uid
    assert assign(spec, "").variant is None


def test_partial_coverage_matches_sdk(onboarding_spec):
    spec = onboarding_spec.model_copy(update={"coverage": 0.3})
    table = assign_batch(spec, pa.array(IDS))
    variants = table.column("variant").to_pylist()
    assert 0 < variants.count(None) < len(IDS)
    for uid, v in zip(IDS, variants):
        assert v == _sdk(spec, uid)


def test_assignment_is_deterministic_and_seeded(onboarding_spec):
    a = assign_batch(onboarding_spec, IDS)
    b = assign_batch(onboarding_spec, list(IDS))
    assert a.equals(b)
    reseeded = onboarding_spec.model_copy(update={"seed": "another-seed"})
    assert assign_batch(reseeded, IDS).column("variant") != a.column("variant")
