"""export_experiment: the GrowthBook payload evaluates in the SDK exactly as guidelab assigns,
and guides.json carries every locale's text unchanged."""
from __future__ import annotations

import json

import pytest

growthbook = pytest.importorskip("growthbook")

from guidelab.abtest import assign, assign_batch
from guidelab.experiment import NamespaceSpec, load_experiment
from guidelab.export import export_experiment, export_from_cli

IDS = (["", "0", "🎉", "ユーザー123", "user🎉42", "山田太郎", "a" * 300]
       + [f"u-{i}" for i in range(2000)] + [f"利用者{i}" for i in range(600)] + [f"😀{i}🇯🇵" for i in range(600)])
SPECS = ["onboarding-tour-vs-checklist", "maintenance-banner-copy", "nps-survey-timing"]


def _load(root, name):
    return load_experiment(root / "experiments" / f"{name}.yaml")


def _check_sdk_agrees(spec, out_dir):
    guides_path, gb_path = export_experiment(spec, out_dir)
    assert gb_path == out_dir / spec.id / "growthbook.json"
    assert guides_path == out_dir / spec.id / "guides.json"
    payload = json.loads(gb_path.read_text(encoding="utf-8"))
    assert list(payload["features"]) == [spec.id]
    batch = assign_batch(spec, IDS).column("variant").to_pylist()
    enrolled = 0
    for uid, expected in zip(IDS, batch):
        gb = growthbook.GrowthBook(attributes={"id": uid}, features=payload["features"])
        res = gb.eval_feature(spec.id)
        assert res.value == expected == assign(spec, uid).variant, uid
        if expected is None:
            assert res.source == "defaultValue"
        else:
            enrolled += 1
            assert res.source == "experiment"
            assert res.experimentResult.inExperiment and res.experimentResult.key == expected
            assert res.experimentResult.hashUsed
        gb.destroy()
    assert len(IDS) >= 3000 and 0 < enrolled
    return enrolled


@pytest.mark.parametrize("name", SPECS)
def test_growthbook_payload_matches_assign(tmp_path, root, name):
    spec = _load(root, name)
    assert _check_sdk_agrees(spec, tmp_path) == sum(1 for u in IDS if u)  # everyone but ""


def test_growthbook_payload_with_coverage(tmp_path, root):
    spec = _load(root, SPECS[0]).model_copy(update={"coverage": 0.35, "seed": "custom-seed"})
    enrolled = _check_sdk_agrees(spec, tmp_path)
    assert 0.25 * len(IDS) < enrolled < 0.45 * len(IDS)
    rule = json.loads((tmp_path / spec.id / "growthbook.json").read_text())["features"][spec.id]["rules"][0]
    assert rule["seed"] == "custom-seed" and rule["coverage"] == 0.35 and rule["hashVersion"] == 2
    assert "namespace" not in rule


def test_growthbook_payload_with_namespace_and_coverage(tmp_path, root):
    spec = _load(root, SPECS[1]).model_copy(update={
        "coverage": 0.8, "namespace": NamespaceSpec(id="home", range=(0.2, 0.7))})
    enrolled = _check_sdk_agrees(spec, tmp_path)
    assert 0.3 * len(IDS) < enrolled < 0.5 * len(IDS)
    rule = json.loads((tmp_path / spec.id / "growthbook.json").read_text())["features"][spec.id]["rules"][0]
    assert rule["namespace"] == ["home", 0.2, 0.7]
    assert rule["variations"] == spec.variant_keys == [m["key"] for m in rule["meta"]]
    assert rule["weights"] == [v.weight for v in spec.variants]


def _texts(obj):
    """Every string anywhere in a JSON value."""
    if isinstance(obj, str):
        yield obj
    elif isinstance(obj, dict):
        for v in obj.values():
            yield from _texts(v)
    elif isinstance(obj, list):
        for v in obj:
            yield from _texts(v)


@pytest.mark.parametrize("name", SPECS)
def test_guides_json_round_trips_every_locale(tmp_path, root, name):
    spec = _load(root, name)
    guides_path, _ = export_experiment(spec, tmp_path)
    raw = guides_path.read_text(encoding="utf-8")
    assert "\\u" not in raw  # ensure_ascii=False: Japanese is written as UTF-8
    data = json.loads(raw)
    assert raw == json.dumps(data, ensure_ascii=False, sort_keys=True, indent=2) + "\n"  # keys sorted
    assert data["experiment"] == spec.id and set(data["variants"]) == set(spec.variant_keys)
    for v in spec.variants:
        exported = data["variants"][v.key]["guide"]
        guide = spec.guide_for(v.key)
        if guide is None:
            assert exported is None
            continue
        assert exported["type"] == guide.type and exported["priority"] == guide.priority
        assert exported["goal_event"] == guide.goal_event
        assert exported["trigger"]["on"] == guide.trigger.on
        assert exported["frequency"]["mode"] == guide.frequency.mode
        assert set(exported["content"]) == set(guide.locales) >= {"ja", "en"}
        for lang in guide.locales:
            steps = exported["content"][lang]["steps"]
            assert len(steps) == len(guide.steps)
            for got, step in zip(steps, guide.steps):
                assert got["title"] == (step.title[lang] if step.title else None)
                assert got["body"] == (step.body[lang] if step.body else None)
                assert got["target"] == step.target
                assert [b["label"] for b in got["buttons"]] == [b.label[lang] for b in step.buttons]
                assert [b["url"] for b in got["buttons"]] == [b.url for b in step.buttons]
                assert (got["question"] is None) == (step.question is None)
    # the Japanese text is there exactly, unescaped (e.g. quotes, emoji, full-width brackets)
    ja = {t for g in spec.guides for s in g.steps for t in (s.title, s.body) if t is not None for t in [t["ja"]]}
    assert ja <= set(_texts(data))


def test_guides_json_targeting_schedule(tmp_path, root):
    spec = _load(root, SPECS[0])
    data = json.loads(export_experiment(spec, tmp_path)[0].read_text(encoding="utf-8"))
    tour = data["variants"]["tour"]["guide"]
    assert tour["targeting"]["all"][1] == {"attribute": "plan", "in": ["free", "trial"]}
    assert tour["content"]["ja"]["steps"][0]["title"] == "ようこそ！🎉"
    assert tour["content"]["en"]["steps"][1]["body"] == "Press “New project” and give it a name."
    assert tour["content"]["ja"]["steps"][1]["target"] == "#new-project-button"
    banner = json.loads(export_experiment(_load(root, SPECS[1]), tmp_path)[0].read_text())
    sched = banner["variants"]["specific"]["guide"]["schedule"]
    assert sched["start"].startswith("2026-11-02T00:00:00+09:00") and sched["timezone"] == "Asia/Tokyo"


def test_export_from_cli(tmp_path, root):
    msg = export_from_cli(root / "experiments" / f"{SPECS[2]}.yaml", tmp_path)
    assert SPECS[2] in msg and "growthbook.json" in msg and "guides.json" in msg
    assert (tmp_path / SPECS[2] / "guides.json").is_file()
    # re-export replaces the files atomically, leaving no temporaries behind
    export_from_cli(root / "experiments" / f"{SPECS[2]}.yaml", tmp_path)
    assert sorted(p.name for p in (tmp_path / SPECS[2]).iterdir()) == ["growthbook.json", "guides.json"]


def test_guides_json_carries_the_stop_rule(tmp_path, root):
    text = (root / "experiments" / "onboarding-tour-vs-checklist.yaml").read_text(encoding="utf-8")
    text = text.replace("frequency: {mode: until_interacted, max_total: 3, min_hours_between: 24}",
                        "frequency: {mode: until_interacted, max_total: 3, until_goal: true, stop_events: [account_deleted]}")
    (tmp_path / "spec").mkdir()
    path = tmp_path / "spec" / "onboarding-tour-vs-checklist.yaml"
    path.write_text(text, encoding="utf-8")
    guides_path, _ = export_experiment(load_experiment(path), tmp_path / "out")
    data = json.loads(guides_path.read_text(encoding="utf-8"))
    found = [g for v in data["variants"].values() if (g := v.get("guide")) and g["frequency"].get("until_goal")]
    assert len(found) == 1
    tour = found[0]
    assert tour["stop_on_events"] == ["project_created", "account_deleted"]
    assert tour["frequency"]["stop_events"] == ["account_deleted"]
    others = [g for v in data["variants"].values() if (g := v.get("guide")) and g is not tour]
    assert all(g["stop_on_events"] == [] for g in others)


def test_growthbook_payload_with_an_account_unit(tmp_path, root):
    """unit: account_id exports hashAttribute account_id, and the SDK then agrees with assign."""
    spec = _load(root, SPECS[0]).model_copy(update={"unit": "account_id", "coverage": 0.9})
    export_experiment(spec, tmp_path)
    payload = json.loads((tmp_path / spec.id / "growthbook.json").read_text(encoding="utf-8"))
    assert payload["features"][spec.id]["rules"][0]["hashAttribute"] == "account_id"
    users = [f"u-{i}" for i in range(1500)]
    accounts = [None if i % 50 == 0 else f"会社-{i % 173}" for i in range(1500)]
    batch = assign_batch(spec, users, accounts).column("variant").to_pylist()
    for uid, acc, expected in zip(users, accounts, batch):
        attrs = {"id": uid} if acc is None else {"id": uid, "account_id": acc}
        gb = growthbook.GrowthBook(attributes=attrs, features=payload["features"])
        assert gb.eval_feature(spec.id).value == expected == assign(spec, uid, acc).variant, (uid, acc)
        gb.destroy()
    assert sum(v is not None for v in batch) > 1000


def _programme(share=0.1, unit="user"):
    from guidelab.programme import ProgrammeSpec

    return ProgrammeSpec.model_validate({"id": "gp", "start": "2026-01-01", "metrics": ["retention_d7"], "unit": unit,
                                         "holdout": {"share": share, "seed": "gp-holdout"}})


@pytest.mark.parametrize("namespace", [None, NamespaceSpec(id="home", range=(0.2, 0.9))])
def test_growthbook_payload_with_programme_holdout_matches_assign_and_sdk(tmp_path, root, namespace):
    """The holdout as GrowthBook filters (and the namespace as a filter beside it): the SDK returns
    null for every holdout user, the same arm as assign for everyone else, and the programme
    feature says holdout exactly for the users guidelab holds out."""
    from guidelab.programme import in_holdout_batch

    programme = _programme()
    spec = _load(root, "onboarding-tour-vs-checklist").model_copy(update={"coverage": 0.9, "namespace": namespace})
    _, gb_path = export_experiment(spec, tmp_path, programme)
    payload = json.loads(gb_path.read_text(encoding="utf-8"))
    assert sorted(payload["features"]) == sorted([spec.id, "gp"])
    rule = payload["features"][spec.id]["rules"][0]
    assert "namespace" not in rule and rule["filters"][0]["ranges"] == [[0.1, 1]]
    assert len(rule["filters"]) == (2 if namespace else 1)
    table = assign_batch(spec, IDS, programme=programme)
    expected = table.column("variant").to_pylist()
    held = in_holdout_batch(programme, IDS).tolist()
    assert table.column("programme_holdout").to_pylist() == held
    in_ns = 0
    for uid, want, h in zip(IDS, expected, held):
        gb = growthbook.GrowthBook(attributes={"id": uid}, features=payload["features"])
        assert gb.eval_feature(spec.id).value == want == assign(spec, uid, programme=programme).variant, uid
        arm = gb.eval_feature("gp").value
        if uid != "":  # GrowthBook enrols no empty id in any feature
            assert arm == ("holdout" if h else "programme"), uid
        in_ns += want is not None
        gb.destroy()
    assert 0 < sum(held) < len(IDS) and in_ns > 0
    assert all(w is None for w, h in zip(expected, held) if h)


def test_export_from_cli_finds_the_programme(tmp_path, root):
    import shutil

    (tmp_path / "experiments" / "policies").mkdir(parents=True)
    shutil.copy(root / "experiments" / "nps-survey-timing.yaml", tmp_path / "experiments")
    shutil.copy(root / "experiments" / "policies" / "programme.yaml", tmp_path / "experiments" / "policies")
    text = export_from_cli(tmp_path / "experiments" / "nps-survey-timing.yaml", tmp_path / "out")
    assert "programme holdout 5.00% (guide-programme)" in text
    payload = json.loads((tmp_path / "out" / "nps-survey-timing" / "growthbook.json").read_text(encoding="utf-8"))
    assert payload["features"]["nps-survey-timing"]["rules"][0]["filters"][0]["seed"] == "guide-programme-holdout"


@pytest.mark.parametrize("spec_unit", ["user", "account_id"])
def test_account_programme_holdout_matches_assign_and_sdk(tmp_path, root, spec_unit):
    """A programme holding out accounts (unit: account_id): the filter and the programme feature
    hash account_id in the SDK; an experiment randomised by user or by account loses whole
    accounts; users without an account see no guide (the SDK filters them) and get no programme
    arm; everyone else gets the arm assign gives."""
    from guidelab.programme import in_holdout_batch

    programme = _programme(0.2, "account_id")
    spec = _load(root, "onboarding-tour-vs-checklist").model_copy(update={"coverage": 0.9, "unit": spec_unit})
    _, gb_path = export_experiment(spec, tmp_path, programme)
    payload = json.loads(gb_path.read_text(encoding="utf-8"))
    rule = payload["features"][spec.id]["rules"][0]
    assert rule["filters"][0]["attribute"] == "account_id"
    assert payload["features"]["gp"]["rules"][0]["hashAttribute"] == "account_id"
    users = [f"u-{i}" for i in range(2000)]
    accounts = [None if i % 40 == 0 else ("" if i % 97 == 0 else f"会社-{i % 211}") for i in range(2000)]
    if spec_unit == "user":
        table = assign_batch(spec, users, programme=programme, programme_unit_ids=accounts)
    else:
        table = assign_batch(spec, users, accounts, programme=programme)
    expected = table.column("variant").to_pylist()
    held = in_holdout_batch(programme, accounts).tolist()
    assert table.column("programme_holdout").to_pylist() == held
    by_account: dict = {}
    for uid, acc, want, h in zip(users, accounts, expected, held):
        attrs = {"id": uid} if acc is None else {"id": uid, "account_id": acc}
        gb = growthbook.GrowthBook(attributes=attrs, features=payload["features"])
        scalar = (assign(spec, uid, programme=programme, programme_unit_id=acc) if spec_unit == "user"
                  else assign(spec, uid, acc, programme=programme))
        assert gb.eval_feature(spec.id).value == want == scalar.variant, (uid, acc)
        arm = gb.eval_feature("gp").value
        assert arm == (None if not acc else "holdout" if h else "programme"), (uid, acc)
        if acc:
            by_account.setdefault(acc, set()).add(h)
        gb.destroy()
    assert all(len(v) == 1 for v in by_account.values())  # whole accounts in or out
    assert 0 < sum(next(iter(v)) for v in by_account.values()) < len(by_account)
    assert all(w is None for w, h in zip(expected, held) if h)
    assert sum(w is not None for w in expected) > 1000
