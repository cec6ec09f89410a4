"""The programme holdout: declared once, validated, carved out of every experiment exactly as the
GrowthBook SDK does it from the exported payload."""
from __future__ import annotations

import json

import numpy as np
import pytest

from guidelab.abtest import assign, assign_batch
from guidelab.errors import SpecError
from guidelab.experiment import NamespaceSpec, load_experiment
from guidelab.hashing import hash_v2, hash_v2_buckets
from guidelab.programme import (
    ProgrammeSpec,
    check_programme_ids,
    find_programme,
    in_holdout,
    in_holdout_batch,
    load_programme,
    programme_for_spec,
)

IDS = ["", "0", "🎉", "ユーザー123", "山田太郎"] + [f"u-{i}" for i in range(4000)] + [f"利用者{i}" for i in range(500)]


def _programme(**kw):
    base = dict(id="gp", start="2026-01-01", holdout={"share": 0.1, "seed": "gp-holdout"},
                metrics=["retention_d7"])
    return ProgrammeSpec.model_validate({**base, **kw})


def test_example_programme_loads(root):
    p = find_programme(root / "experiments")
    assert p is not None and p.id == "guide-programme" and p.holdout.share == 0.05
    assert programme_for_spec(root / "experiments" / "nps-survey-timing.yaml") == p
    specs = [load_experiment(f) for f in sorted((root / "experiments").glob("*.yaml"))]
    check_programme_ids(p, specs, root / "experiments" / "policies" / "programme.yaml")
    # every user-randomised example is in the programme; the account-randomised one (b2b) starts
    # before it, as the holdout hashes user ids and is not combined with account randomisation yet
    assert all(p.applies_to(s) for s in specs if not s.clustered)
    assert not any(p.applies_to(s) for s in specs if s.clustered)


def test_no_programme_file_is_none(tmp_path):
    assert find_programme(tmp_path) is None


@pytest.mark.parametrize("bad, field", [
    ({"holdout": {"share": 0.6, "seed": "x"}}, "holdout.share"),
    ({"holdout": {"share": 0.05001, "seed": "x"}}, "holdout.share"),
    ({"holdout": {"share": 0.05}}, "holdout.seed"),
    ({"metrics": ["click_through"]}, "metrics"),
    ({"metrics": ["goal_d7"]}, "goal_event"),
    ({"id": "Bad Id"}, "id"),
    ({"timezone": "Mars/Base"}, "timezone"),
])
def test_invalid_programme_names_file_and_field(tmp_path, bad, field):
    import yaml

    data = {"id": "gp", "start": "2026-01-01", "holdout": {"share": 0.05, "seed": "s"}, **bad}
    path = tmp_path / "programme.yaml"
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    with pytest.raises(SpecError) as exc:
        load_programme(path)
    assert "programme.yaml" in str(exc.value) and field.split(".")[0] in str(exc.value)


def test_programme_id_must_differ_from_experiments(root):
    spec = load_experiment(root / "experiments" / "nps-survey-timing.yaml")
    with pytest.raises(SpecError, match="also an experiment id"):
        check_programme_ids(_programme(id=spec.id), [spec], "p.yaml")
    with pytest.raises(SpecError, match="seed of its own"):
        check_programme_ids(_programme(holdout={"share": 0.1, "seed": spec.hash_seed}), [spec], "p.yaml")


def test_in_holdout_is_the_hash_below_the_share():
    p = _programme()
    held = in_holdout_batch(p, IDS)
    assert held.tolist() == [in_holdout(p, u) for u in IDS]
    assert held.tolist() == [u == "" or hash_v2("gp-holdout", u) < 0.1 for u in IDS]
    assert abs(held.mean() - 0.1) < 0.02
    buckets = hash_v2_buckets(["other-seed", "gp-holdout"], IDS)  # as assign_batch passes them
    assert in_holdout_batch(p, IDS, buckets=buckets[1]).tolist() == held.tolist()


def test_holdout_users_enter_no_experiment_and_others_keep_their_arm(root):
    p = _programme()
    for name in ("onboarding-tour-vs-checklist", "nps-survey-timing"):
        spec = load_experiment(root / "experiments" / f"{name}.yaml")
        plain = assign_batch(spec, IDS).column("variant").to_pylist()
        table = assign_batch(spec, IDS, programme=p)
        with_p = table.column("variant").to_pylist()
        held = table.column("programme_holdout").to_pylist()
        assert held == in_holdout_batch(p, IDS).tolist()
        for uid, a, b, h in zip(IDS, plain, with_p, held):
            assert b == (None if h else a), uid  # carved out before the ranges; nobody else moves
            assert assign(spec, uid, programme=p).variant == b
        assert "programme_holdout" not in assign_batch(spec, IDS).column_names  # unchanged without it


def test_holdout_does_not_apply_to_experiments_started_before_it(root):
    spec = load_experiment(root / "experiments" / "nps-survey-timing.yaml")
    late = _programme(start="2027-01-01")
    assert not late.applies_to(spec)
    table = assign_batch(spec, IDS, programme=late)
    assert table.column("variant").to_pylist() == assign_batch(spec, IDS).column("variant").to_pylist()
    assert "programme_holdout" not in table.column_names


def test_every_experiment_sees_the_same_holdout(root):
    """One cut for the whole programme: a held-out user is out of every experiment at once."""
    p = _programme()
    held = np.array(in_holdout_batch(p, IDS))
    for f in sorted((root / "experiments").glob("*.yaml")):
        spec = load_experiment(f).model_copy(update={"namespace": NamespaceSpec(id="ns", range=(0.0, 0.7))})
        accounts = IDS if spec.clustered else None  # randomised by account: one account per user here
        v = assign_batch(spec, IDS, accounts, programme=p).column("variant").to_pylist()
        assert all(x is None for x, h in zip(v, held) if h)
        assert json.dumps(sorted({x for x in v if x})) == json.dumps(sorted(spec.variant_keys))


def test_example_validates_against_the_programme_schema(root):
    import jsonschema

    from guidelab.schemas import schema
    from guidelab.yamlio import load_yaml

    data, _ = load_yaml(root / "experiments" / "policies" / "programme.yaml")
    data = json.loads(json.dumps(data, default=str))
    data["simulation"]["retention"] = {str(k): v for k, v in data["simulation"]["retention"].items()}
    jsonschema.validate(data, schema("programme"))
    data["holdout"]["shares"] = 0.1
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(data, schema("programme"))
