"""Operating characteristics of the whole decision rule under daily looks (issue 9, item 7).

A team reruns the analysis every day and stops at the first KEEP or KILL. This module measures
how often that team keeps a useless guide, kills a good one, or keeps a good one by the planned
sample, by seeded simulation through the public code path: for each scenario it writes a counts
table (``experiment`` = simulation id, ``look`` = day, cumulative users and successes per
variant for the primary metric and a guardrail) to Parquet, reads it with
:func:`guidelab.counts_table.read_counts_table` and analyses it with
:func:`guidelab.counts_table.analyze_counts_table`, exactly what ``guidelab analyze-counts``
runs. Later looks of a stopped experiment are not analysed (they do not count).

    python -m guidelab.operating_characteristics --sims 2000 --write

writes ``lib/oc_figures.json`` (read by the report's methods section) and the table in
``docs/statistics.md`` between the ``operating-characteristics`` markers.

Scenarios (two arms, 50/50; primary baseline 20%, MDE +10% relative; guardrail baseline 2% where
an increase is harm, margin 1 point; 600 users per arm per day, 28 daily looks):

* ``aa``: no effect anywhere;
* ``harm``: no effect on the primary, the guardrail up 2 points (beyond its 1-point margin);
* ``mde``: the primary up by exactly the MDE, the guardrail unchanged.

Modes: ``fixed`` (fixed horizon; ``planned_users`` = the plan's per-arm sample, reached at look
11) and ``sequential`` (always-valid; planned sample = the sequential plan's, reached at look 23).
"""
from __future__ import annotations

import argparse
import datetime as dt
import json
import math
import re
import tempfile
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from .counts_table import CountsOptions, analyze_counts_table, read_counts_table
from .experiment import StatisticsSpec

PACKAGE = Path(__file__).resolve().parent
FIGURES_PATH = PACKAGE / "oc_figures.json"
DOCS_PATH = PACKAGE.parent / "docs" / "statistics.md"
BEGIN, END = "<!-- operating-characteristics:begin -->", "<!-- operating-characteristics:end -->"
SCENARIOS = ("aa", "harm", "mde")
MODES = ("fixed", "sequential")


@dataclass(frozen=True)
class Design:
    """The simulated experiment: rates, effects, traffic and the analysis options."""

    baseline: float = 0.20
    mde: float = 0.10          # relative
    guardrail_rate: float = 0.02
    margin: float = 0.01       # tolerated guardrail harm, absolute
    harm: float = 0.02         # true guardrail increase in the harm scenario, absolute
    daily_users_per_arm: int = 600
    looks: int = 28
    alpha: float = 0.05
    power: float = 0.80

    def planned_users(self, sequential: bool) -> int:
        """Per-arm sample of the plan (the same functions as ``guidelab plan``)."""
        from .stats import power as pw

        if hasattr(pw, "users_needed"):
            return int(max(pw.users_needed(self.baseline, self.mde, alpha=self.alpha, power=self.power,
                                           sequential=sequential)))
        if sequential:
            return int(pw.sequential_sample_size_two_proportions(self.baseline, self.mde, alpha=self.alpha,
                                                                 power=self.power))
        return int(pw.sample_size_two_proportions(self.baseline, self.mde, alpha=self.alpha, power=self.power))

    def options(self, sequential: bool) -> CountsOptions:
        return CountsOptions.build("control", ["converted"], ["guardrail"], {"guardrail": self.margin},
                                   alpha=self.alpha, mde=self.mde,
                                   planned_users=self.planned_users(sequential),
                                   statistics=StatisticsSpec(sequential=sequential, bayesian=False))


def simulate_counts(scenario: str, n_sims: int, design: Design, seed: int) -> pa.Table:
    """Cumulative per-variant counts at each daily look, one experiment per simulation (vectorised).

    Rows are ordered by look, then experiment, then variant (control first), so analysing the
    groups in order replays the days; users per arm per day are Binomial(2 x daily, 1/2).
    """
    if scenario not in SCENARIOS:
        raise ValueError(f"scenario must be one of {SCENARIOS}, got {scenario!r}")
    rng = np.random.default_rng([seed, SCENARIOS.index(scenario)])
    lift = design.mde if scenario == "mde" else 0.0
    harm = design.harm if scenario == "harm" else 0.0
    p_primary = np.array([design.baseline, design.baseline * (1 + lift)])
    p_guard = np.array([design.guardrail_rate, design.guardrail_rate + harm])
    daily_total = 2 * design.daily_users_per_arm
    first = rng.binomial(daily_total, 0.5, size=(n_sims, design.looks))
    daily_users = np.stack([first, daily_total - first], axis=-1)          # (sims, looks, 2)
    daily_conv = rng.binomial(daily_users, p_primary)
    daily_guard = rng.binomial(daily_users, p_guard)
    users, conv, guard = (np.cumsum(x, axis=1) for x in (daily_users, daily_conv, daily_guard))
    # order: look, experiment, variant
    users, conv, guard = (np.transpose(x, (1, 0, 2)).reshape(-1) for x in (users, conv, guard))
    sims = np.char.add(f"{scenario}-", np.arange(n_sims).astype(str))
    experiment = np.tile(np.repeat(sims, 2), design.looks)
    look = np.repeat(np.arange(1, design.looks + 1), 2 * n_sims).astype(str)
    variant = np.tile(np.array(["control", "treatment"]), design.looks * n_sims)
    return pa.table({"experiment": experiment, "look": look, "variant": variant, "users": users,
                     "converted": conv, "guardrail": guard})


@dataclass(frozen=True)
class ScenarioOutcome:
    """What a team that stops at the first KEEP or KILL ends up with, over ``n_sims`` experiments."""

    scenario: str
    mode: str
    n_sims: int
    keep_any_look: float
    kill_any_look: float
    keep_by_plan: float
    plan_look: int          # first look at which both arms reach the planned users (by traffic)
    planned_users: int
    groups_analysed: int
    seconds: float
    cpu_seconds: float = 0.0


def run_scenario(scenario: str, mode: str, n_sims: int, design: Design = Design(), seed: int = 20261130,
                 workdir: str | Path | None = None) -> ScenarioOutcome:
    """Simulate, write the counts table, and replay the daily looks through ``analyze-counts``' code."""
    sequential = mode == "sequential"
    options = design.options(sequential)
    planned = options.planned_users or 0
    with tempfile.TemporaryDirectory(dir=workdir) as tmp:
        path = Path(tmp) / f"oc-{scenario}-{mode}.parquet"
        pq.write_table(simulate_counts(scenario, n_sims, design, seed), path)
        t0, c0 = time.perf_counter(), time.process_time()
        table = read_counts_table(path, ["converted", "guardrail"], "control")
        stopped: dict[str, tuple[str, int]] = {}
        reached: dict[str, int] = {}
        analysed = 0

        def skip(experiment: Any, look: Any) -> bool:
            return experiment in stopped

        for experiment, look, result in analyze_counts_table(table, options, skip=skip):
            analysed += 1
            day = int(look)
            if experiment not in reached and min(result.assigned.values()) >= planned:
                reached[experiment] = day
            if result.decision.verdict in ("KEEP", "KILL"):
                stopped[experiment] = (result.decision.verdict, day)
        seconds, cpu = time.perf_counter() - t0, time.process_time() - c0
    keep = [e for e, (v, _) in stopped.items() if v == "KEEP"]
    kill = [e for e, (v, _) in stopped.items() if v == "KILL"]
    by_plan = [e for e in keep if stopped[e][1] <= reached.get(e, design.looks)]
    plan_look = math.ceil(planned / design.daily_users_per_arm)
    return ScenarioOutcome(scenario, mode, n_sims, len(keep) / n_sims, len(kill) / n_sims, len(by_plan) / n_sims,
                           plan_look, planned, analysed, seconds, cpu)


def measure(n_sims: int = 2000, seed: int = 20261130, design: Design = Design(),
            modes: tuple[str, ...] = MODES, jobs: int = 1) -> dict[str, dict[str, ScenarioOutcome]]:
    """Every scenario in every mode: {mode: {scenario: outcome}}; ``jobs`` processes share the
    (scenario, mode) runs (each run is seeded on its own, so the figures do not depend on ``jobs``)."""
    tasks = [(s, mode) for mode in modes for s in SCENARIOS]
    if jobs > 1:
        from concurrent.futures import ProcessPoolExecutor

        with ProcessPoolExecutor(max_workers=jobs) as pool:
            futures = [pool.submit(run_scenario, s, mode, n_sims, design, seed) for s, mode in tasks]
            done = [f.result() for f in futures]
    else:
        done = [run_scenario(s, mode, n_sims, design, seed) for s, mode in tasks]
    out: dict[str, dict[str, ScenarioOutcome]] = {mode: {} for mode in modes}
    for o in done:
        out[o.mode][o.scenario] = o
    return out


def figures(outcomes: dict[str, dict[str, ScenarioOutcome]], measured_on: dt.date | None = None) -> dict[str, Any]:
    """The published figures (``lib/oc_figures.json``), in the format the report reads."""
    out: dict[str, Any] = {}
    for mode, by in outcomes.items():
        out[mode] = {"aa_keep_any_look": round(by["aa"].keep_any_look, 4),
                     "aa_kill_any_look": round(by["aa"].kill_any_look, 4),
                     "harm_keep": round(by["harm"].keep_any_look, 4),
                     "mde_keep_by_plan": round(by["mde"].keep_by_plan, 4),
                     "mde_kill": round(by["mde"].kill_any_look, 4),
                     "n_sims": by["aa"].n_sims}
    out["measured_on"] = (measured_on or dt.date.today()).isoformat()
    return out


def markdown_table(outcomes: dict[str, dict[str, ScenarioOutcome]], design: Design, seed: int) -> str:
    """The table for docs/statistics.md."""
    names = {"aa": "A/A (no effect)", "harm": "primary 0, guardrail +{:.0f} pt (margin {:.0f} pt)",
             "mde": "primary = MDE, guardrail safe"}
    lines = ["| scenario | mode | KEEP at any look | KILL at any look | KEEP by the planned sample | "
             "planned users per arm (look) | simulations |", "|---|---|---|---|---|---|---|"]
    for scenario in SCENARIOS:
        for mode, by in outcomes.items():
            o = by[scenario]
            label = names[scenario].format(design.harm * 100, design.margin * 100)
            lines.append(f"| {label} | {mode} | {o.keep_any_look:.2%} | {o.kill_any_look:.2%} | "
                         f"{o.keep_by_plan:.2%} | {o.planned_users:,} ({o.plan_look}) | {o.n_sims:,} |")
    d = asdict(design)
    lines.append("")
    lines.append(f"Design: baseline {d['baseline']:.0%}, MDE +{d['mde']:.0%} relative, guardrail {d['guardrail_rate']:.0%} "
                 f"(an increase is harm, margin {d['margin'] * 100:.0f} pt), {d['daily_users_per_arm']} users per arm "
                 f"per day, {d['looks']} daily looks, alpha {d['alpha']}, power {d['power']}; seed {seed}. "
                 "A team stops at the first KEEP or KILL.")
    return "\n".join(lines)


def write_outputs(outcomes: dict[str, dict[str, ScenarioOutcome]], design: Design, seed: int,
                  figures_path: Path = FIGURES_PATH, docs_path: Path | None = DOCS_PATH,
                  measured_on: dt.date | None = None) -> dict[str, Any]:
    """Write the JSON figures and (when ``docs_path``) replace the table between the markers."""
    figs = figures(outcomes, measured_on)
    figures_path.write_text(json.dumps(figs, indent=2) + "\n", encoding="utf-8")
    if docs_path is not None:
        text = docs_path.read_text(encoding="utf-8")
        block = f"{BEGIN}\n{markdown_table(outcomes, design, seed)}\n{END}"
        if BEGIN in text and END in text:
            text = re.sub(re.escape(BEGIN) + ".*?" + re.escape(END), lambda _: block, text, flags=re.S)
        else:
            text = text.rstrip("\n") + "\n\n" + block + "\n"
        docs_path.write_text(text, encoding="utf-8")
    return figs


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m guidelab.operating_characteristics",
                                 description="Measure the decision rule's error rates under 28 daily looks.")
    ap.add_argument("--sims", type=int, default=2000, help="experiments per scenario and mode (default 2000)")
    ap.add_argument("--seed", type=int, default=20261130)
    ap.add_argument("--mode", choices=MODES, action="append", help="only this mode (repeatable)")
    ap.add_argument("--jobs", type=int, default=1, help="processes (default 1)")
    ap.add_argument("--write", action="store_true", help="write lib/oc_figures.json and the docs table")
    args = ap.parse_args(argv)
    design = Design()
    t0 = time.perf_counter()
    outcomes = measure(args.sims, args.seed, design, tuple(args.mode or MODES), jobs=args.jobs)
    print(markdown_table(outcomes, design, args.seed))
    for by in outcomes.values():
        for o in by.values():
            print(f"{o.mode:>10} {o.scenario:>5}: {o.groups_analysed:,} groups in {o.seconds:.1f} s, "
                  f"{o.cpu_seconds:.1f} CPU-s ({o.groups_analysed / max(o.cpu_seconds, 1e-9):,.0f} groups per CPU-s)")
    print(f"total {time.perf_counter() - t0:.1f} s")
    if args.write:
        print(json.dumps(write_outputs(outcomes, design, args.seed)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
