"""Operating characteristics of the verdict under 28 daily looks (issue 9, item 7), seeded.

Runs :mod:`guidelab.operating_characteristics` (the script that writes lib/oc_figures.json and
the table in docs/statistics.md) with 2,000 simulated experiments per scenario and mode, through
the public code path of ``guidelab analyze-counts``; a team stops at its first KEEP or KILL.
"""
from __future__ import annotations

import datetime as dt
import json

import pytest

from guidelab import operating_characteristics as oc

N_SIMS = 2000
SEED = 20261130


@pytest.fixture(scope="module")
def outcomes():
    return oc.measure(N_SIMS, SEED, oc.Design(), jobs=2)


@pytest.mark.slow
@pytest.mark.parametrize("mode", oc.MODES)
def test_decision_error_rates_under_daily_looks(outcomes, mode):
    by = outcomes[mode]
    for o in by.values():
        assert o.n_sims == N_SIMS
    assert by["aa"].keep_any_look <= 0.05, by["aa"]
    assert by["harm"].keep_any_look <= 0.05, by["harm"]
    assert by["mde"].keep_by_plan >= 0.80 - 0.03, by["mde"]
    assert by["mde"].kill_any_look <= 0.05, by["mde"]


@pytest.mark.slow
def test_published_figures_are_what_the_script_writes(outcomes, tmp_path):
    docs = tmp_path / "statistics.md"
    docs.write_text(f"# x\n\n{oc.BEGIN}\nold\n{oc.END}\n\nafter\n", encoding="utf-8")
    figs = oc.write_outputs(outcomes, oc.Design(), SEED, tmp_path / "oc.json", docs, dt.date(2026, 11, 30))
    on_disk = json.loads((tmp_path / "oc.json").read_text(encoding="utf-8"))
    assert on_disk == figs
    assert set(on_disk) == {"fixed", "sequential", "measured_on"} and on_disk["measured_on"] == "2026-11-30"
    for mode in oc.MODES:
        assert set(on_disk[mode]) == {"aa_keep_any_look", "aa_kill_any_look", "harm_keep", "mde_keep_by_plan",
                                      "mde_kill", "n_sims"}
        assert on_disk[mode]["n_sims"] == N_SIMS
        assert on_disk[mode]["aa_keep_any_look"] == round(outcomes[mode]["aa"].keep_any_look, 4)
    text = docs.read_text(encoding="utf-8")
    assert "old" not in text and text.endswith("after\n") and "| A/A (no effect) | fixed |" in text


def test_simulated_counts_are_cumulative_and_seeded():
    d = oc.Design(looks=3, daily_users_per_arm=50)
    t = oc.simulate_counts("mde", 4, d, seed=1).to_pylist()
    assert t == oc.simulate_counts("mde", 4, d, seed=1).to_pylist()
    assert len(t) == 3 * 4 * 2 and [r["look"] for r in t[:8]] == ["1"] * 8
    first = [r for r in t if r["experiment"] == "mde-0" and r["variant"] == "treatment"]
    assert [r["look"] for r in first] == ["1", "2", "3"]
    assert all(a["users"] <= b["users"] and a["converted"] <= b["converted"] for a, b in zip(first, first[1:]))
    assert all(0 <= r["converted"] <= r["users"] and 0 <= r["guardrail"] <= r["users"] for r in t)
    assert sum(r["users"] for r in t if r["look"] == "1") == 4 * 100


def test_small_run_through_the_public_path_counts_each_stopped_experiment_once():
    o = oc.run_scenario("harm", "sequential", 12, oc.Design(looks=4, daily_users_per_arm=2000), seed=3)
    assert o.n_sims == 12 and 0 <= o.keep_any_look + o.kill_any_look <= 1
    assert o.groups_analysed <= 12 * 4
    assert o.keep_by_plan <= o.keep_any_look
