"""guidelab.counts_bulk: the block path of ``analyze-counts --jsonl`` writes the same bytes as the
per-group path (``analyze_counts_table`` + ``group_json_line``) on every kind of group."""
from __future__ import annotations

import json

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from guidelab import counts_bulk
from guidelab.counts_bulk import bulk_json_lines, bulk_json_lines_parallel
from guidelab.counts_table import CountsOptions, analyze_counts_table, group_json_line, read_counts_table
from guidelab.experiment import StatisticsSpec

METRICS = ["conv", "sec", "dismissed"]


def _table(path, groups: int, seed: int, shares=(0.25, 0.25, 0.25, 0.25)):
    """Groups of 2-4 variants: mostly regular counts (30 to 200,000 users per arm, lifts from -50% to
    +50% on the primary, a guardrail moved up or down by 0-3 points), some with a broken split, and
    about one in ten degenerate (no users in an arm, no or only successes, 1-5 users); three looks
    per experiment with growing counts."""
    rng = np.random.default_rng(seed)
    rows = {k: [] for k in ("experiment", "look", "variant", "users", *METRICS)}
    for g in range(groups):
        k = int(rng.choice([2, 2, 2, 3, 4]))
        variants = ["a", "b", "c", "d"][:k]
        w = np.array(shares[:k]) / sum(shares[:k])
        size = int(rng.choice([30, 300, 3000, 30000, 200000])) * (1 + g % 3)
        base, d0 = rng.uniform(0.02, 0.4), rng.uniform(0.01, 0.1)
        lift = float(rng.choice([0.0, 0.0, 0.03, 0.2, -0.2, 0.5, -0.5]))
        harm = float(rng.choice([0.0, 0.0, 0.005, 0.02, -0.02, 0.03]))
        skew = 1.3 if rng.random() < 0.05 else 1.0
        edge = rng.random() < 0.1
        for i, v in enumerate(variants):
            n = int(rng.binomial(size, w[i])) if i else int(rng.binomial(size, w[i]) * skew)
            conv = int(rng.binomial(n, min(base * (1 + lift) if i else base, 1.0)))
            sec = int(rng.binomial(n, 0.3))
            dis = int(rng.binomial(n, min(max(d0 + (harm if i else 0.0), 0.0), 1.0)))
            if edge:
                kind = int(rng.integers(0, 4))
                n = [0, int(rng.integers(1, 6)), n, n][kind]
                conv = [0, min(conv, n), 0, n][kind]
                sec, dis = min(sec, n), min(dis, n)
            rows["experiment"].append(f"e{g // 3}")
            rows["look"].append(str(g % 3 + 1))
            rows["variant"].append(v)
            rows["users"].append(n)
            rows["conv"].append(conv)
            rows["sec"].append(sec)
            rows["dismissed"].append(dis)
    pq.write_table(pa.table(rows), path)
    return path


def _per_group_lines(table, opts):
    return [group_json_line(*g) for g in analyze_counts_table(table, opts)]


CASES = [
    # sequential, weights, planned users, metrics, guardrails, margins, correction
    (False, None, None, ["conv", "sec"], ["dismissed"], {"dismissed": 0.01}, "holm"),
    (True, None, None, ["conv", "sec"], ["dismissed"], {"dismissed": 0.01}, "holm"),
    (False, {"a": 0.4, "b": 0.2, "c": 0.2, "d": 0.2}, 5000, ["conv"], ["dismissed:down"], {}, "holm"),
    (True, {"a": 0.4, "b": 0.2, "c": 0.2, "d": 0.2}, 5000, ["conv", "sec"], ["dismissed"], {}, "bh"),
    (False, None, 20000, ["conv"], [], {}, "bh"),
    (True, None, None, ["conv"], ["sec:down", "dismissed"], {"sec": 0.02}, "none"),
    (False, None, None, ["sec", "conv"], ["dismissed"], {"dismissed": 0.0}, "holm"),
]


@pytest.mark.parametrize("case", CASES, ids=[f"case{i}" for i in range(len(CASES))])
def test_block_path_writes_the_per_group_bytes(tmp_path, case):
    sequential, weights, planned, metrics, guardrails, margins, correction = case
    shares = (0.4, 0.2, 0.2, 0.2) if weights else (0.25, 0.25, 0.25, 0.25)
    path = _table(tmp_path / "counts.parquet", 240, seed=len(metrics) * 10 + sequential + 3 * bool(weights),
                  shares=shares)
    names = metrics + [g.split(":")[0] for g in guardrails]
    table = read_counts_table(path, names, "a")
    opts = CountsOptions.build("a", metrics, guardrails, margins, weights, planned_users=planned,
                               statistics=StatisticsSpec(sequential=sequential, bayesian=False, correction=correction))
    reference = _per_group_lines(table, opts)
    before = dict(counts_bulk.STATS)
    lines = list(bulk_json_lines(table, opts))
    block = counts_bulk.STATS["block"] - before["block"]
    assert len(lines) == len(reference) == 240
    mismatched = [i for i, (x, y) in enumerate(zip(lines, reference)) if x != y]
    assert not mismatched, (mismatched[:5], lines[mismatched[0]][:300] if mismatched else "")
    # the block path really wrote most groups (the degenerate ones go through the per-group path),
    # with every kind of verdict among them
    assert block + counts_bulk.STATS["per_group"] - before["per_group"] == 240
    assert block >= 150
    parsed = [json.loads(x) for x in reference]
    verdicts = {r["decision"]["verdict"] for r in parsed}
    assert {"CONTINUE", "INVESTIGATE"} <= verdicts and len(verdicts) >= 3
    assert any(len(r["decision"]["arms"]) == 3 for r in parsed)


def test_block_path_covers_kill_keep_and_several_arms(tmp_path):
    """The regular groups (written by the block path) include every verdict, harm on a guardrail
    (up and down), KEEP among several arms (best vs runner-up) and later looks."""
    path = _table(tmp_path / "counts.parquet", 360, seed=5)
    table = read_counts_table(path, METRICS, "a")
    opts = CountsOptions.build("a", ["conv"], ["dismissed", "sec:down"], {"dismissed": 0.01},
                               statistics=StatisticsSpec(bayesian=False), planned_users=3000)
    run = counts_bulk._Run(opts, "x")
    lines, kinds = [], set()
    for g in range(table.n_groups):
        try:
            lines.append(counts_bulk._block(table, run, [g])[0])
        except counts_bulk._PerGroup:  # pragma: no cover - _block catches it
            raise
    reference = _per_group_lines(table, opts)
    assert lines == reference
    for x in reference:
        r = json.loads(x)
        kinds.add(r["decision"]["verdict"])
        kinds.update(c["code"] for c in r["decision"]["reason_codes"])
    assert {"KEEP", "KILL", "CONTINUE", "INVESTIGATE", "guardrail_harmed", "best_vs_runner_up", "primary_better",
            "progress", "srm"} <= kinds


def test_parallel_block_path_gives_the_same_lines_in_order(tmp_path):
    path = _table(tmp_path / "counts.parquet", 90, seed=8)
    table = read_counts_table(path, METRICS, "a")
    opts = CountsOptions.build("a", ["conv"], ["dismissed"], statistics=StatisticsSpec(bayesian=False))
    serial = list(bulk_json_lines(table, opts))
    assert list(bulk_json_lines_parallel(table, opts, jobs=2, chunk_groups=20)) == serial
    assert serial == _per_group_lines(table, opts)


def test_bayesian_view_goes_through_the_per_group_path(tmp_path):
    path = _table(tmp_path / "counts.parquet", 12, seed=9)
    table = read_counts_table(path, METRICS, "a")
    opts = CountsOptions.build("a", ["conv"], statistics=StatisticsSpec(bayesian=True))
    before = counts_bulk.STATS["block"]
    assert list(bulk_json_lines(table, opts)) == _per_group_lines(table, opts)
    assert counts_bulk.STATS["block"] == before


def test_cli_jsonl_writes_the_per_group_lines(tmp_path, capsys):
    from guidelab.cli import main

    path = _table(tmp_path / "counts.parquet", 30, seed=4)
    main(["analyze-counts", str(path), "--control", "a", "--metric", "conv", "--guardrail", "dismissed",
          "--margin", "dismissed=0.01", "--jsonl", "--jobs", "1"])
    out = capsys.readouterr().out.splitlines()
    table = read_counts_table(path, ["conv", "dismissed"], "a")
    opts = CountsOptions.build("a", ["conv"], ["dismissed"], {"dismissed": 0.01},
                               statistics=StatisticsSpec(bayesian=False))
    assert out == _per_group_lines(table, opts)


def test_names_with_quotes_backslashes_and_japanese_are_written_as_json_writes_them(tmp_path):
    names = ['ex"p\\1', "実験\u2028二", "tab\there"]
    rows = {"experiment": [], "look": [], "variant": [], "users": [], "conv": []}
    for e, name in enumerate(names):
        for v, n, x in (("a", 5000, 500), ("b\u00e9", 5000, 560 + e)):
            rows["experiment"].append(name)
            rows["look"].append(f"2026-11-{e + 1:02d}")
            rows["variant"].append(v)
            rows["users"].append(n)
            rows["conv"].append(x)
    path = tmp_path / "names.parquet"
    pq.write_table(pa.table(rows), path)
    table = read_counts_table(path, ["conv"], "a")
    opts = CountsOptions.build("a", ["conv"], statistics=StatisticsSpec(bayesian=False))
    before = counts_bulk.STATS["block"]
    lines = list(bulk_json_lines_parallel(table, opts, jobs=1))
    assert counts_bulk.STATS["block"] - before == 3
    assert lines == _per_group_lines(table, opts)
    assert [json.loads(x)["experiment"] for x in lines] == names
