"""The simulator: deterministic, in the contract, and its estimates agree with its declared truth."""
from __future__ import annotations

import hashlib
import json
import math

import pytest


from guidelab.analysis import analyze_experiment
from guidelab.simulate import simulate


def _digest(d):
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(d.iterdir())}


def test_same_seed_same_files(tmp_path, banner_spec):
    a, b = tmp_path / "a", tmp_path / "b"
    simulate(banner_spec, 800, 5, a, seed=3, fmt="csv")
    simulate(banner_spec, 800, 5, b, seed=3, fmt="csv")
    assert _digest(a) == _digest(b)
    c = tmp_path / "c"
    simulate(banner_spec, 800, 5, c, seed=4, fmt="csv")
    assert _digest(a) != _digest(c)


def test_csv_timestamps_carry_the_experiment_offset(tmp_path, banner_spec):
    simulate(banner_spec, 50, 2, tmp_path, seed=1, fmt="csv")
    first = (tmp_path / "assignments.csv").read_text(encoding="utf-8").splitlines()[1]
    assert first.strip('"').endswith("+09:00")


def test_assignments_agree_with_the_hash(simulated_onboarding, onboarding_spec):
    import pyarrow.parquet as pq

    from guidelab.abtest import assign

    rows = pq.read_table(simulated_onboarding / "assignments.parquet").to_pylist()
    for r in rows[:500]:
        assert assign(onboarding_spec, r["user_id"]).variant == r["variant"]


@pytest.mark.parametrize("spec_name, days, arm", [("onboarding_spec", 28, "tour"), ("banner_spec", 14, "specific")])
def test_estimates_cover_the_truth(tmp_path, request, spec_name, days, arm):
    """Every metric's per-arm estimate lies within 4 standard errors of the declared truth."""
    spec = request.getfixturevalue(spec_name)
    out = tmp_path / "big"
    simulate(spec, users=30000, days=days, out_dir=out, seed=5)
    truth = json.loads((out / "truth.json").read_text())["expected"]
    res = analyze_experiment(spec, out)
    checked = 0
    for m in res.metrics:
        o = m.observed
        arms = ((m.variant, o.n, m.value, getattr(o, "se_estimate", None)),
                (m.control, o.n_control, m.value_control, getattr(o, "se_estimate_control", None)))
        for variant, n, estimate, se in arms:
            p = truth[variant][m.metric]
            if m.kind == "proportion":
                se = math.sqrt(max(p * (1 - p), 1e-12) / n)
            assert abs(estimate - p) < 4 * se + 1e-9, (m.metric, variant, estimate, p, se)
            checked += 1
    assert checked >= 6
    # The true effects are large (+15% D7 retention for the tour, +40% clicks): the verdict keeps them.
    assert res.decision.verdict == "KEEP" and res.decision.arm == arm
