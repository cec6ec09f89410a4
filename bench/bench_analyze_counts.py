"""Benchmark: ``guidelab analyze-counts`` on many (experiment, look) groups.

    .venv/bin/python bench/bench_analyze_counts.py [--groups 100000] [--seed 1] [--sequential] [--block-path]

Writes a deterministic counts table (two variants per group, a primary metric ``converted``
and a guardrail ``dismissed``; seeded numpy) to a temporary Parquet file, then times the three
stages of the command separately: reading and validating the table (DuckDB), analysing every
group (the decision), and writing one JSON line per group. Timings are reported only.
"""
from __future__ import annotations

import argparse
import io
import os
import tempfile
import time
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from guidelab.counts_table import CountsOptions, analyze_counts_parallel, group_json_line, read_counts_table
from guidelab.experiment import StatisticsSpec


def make_counts_table(groups: int, seed: int = 1) -> pa.Table:
    """Two rows (a, b) per group; users 500-50,000 per arm; conversion ~10%, dismissals ~5%."""
    rng = np.random.default_rng(seed)
    total = rng.integers(1_000, 100_000, size=groups)
    first = rng.binomial(total, 0.5)
    users = np.stack([first, total - first], axis=1)
    conv = rng.binomial(users, [0.10, 0.103])
    dis = rng.binomial(users, [0.05, 0.05])
    exp = np.repeat(np.char.add("exp-", np.arange(groups).astype(str)), 2)
    return pa.table({"experiment": exp, "look": np.full(2 * groups, "1"),
                     "variant": np.tile(["a", "b"], groups), "users": users.ravel(),
                     "converted": conv.ravel(), "dismissed": dis.ravel()})


def _cpu() -> float:
    """CPU seconds of this process and of its finished child processes (the workers of --jobs)."""
    import resource

    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--groups", type=int, default=100_000)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--sequential", action="store_true")
    ap.add_argument("--jobs", type=int, default=1)
    ap.add_argument("--cli-path", action="store_true",
                    help="also time the per-group path rendering JSON lines in the workers (what `analyze-counts "
                         "--jsonl` ran before the block path)")
    ap.add_argument("--block-path", action="store_true",
                    help="also time the block path (guidelab.counts_bulk, what `analyze-counts --jsonl` runs) and "
                         "check that it writes the same bytes as the per-group path")
    args = ap.parse_args()
    options = CountsOptions.build("a", ["converted"], ["dismissed"], {"dismissed": 0.01},
                                  statistics=StatisticsSpec(sequential=args.sequential, bayesian=False))
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "counts.parquet"
        pq.write_table(make_counts_table(args.groups, args.seed), path)
        c0 = time.process_time()
        t0 = time.perf_counter()
        table = read_counts_table(path, ["converted", "dismissed"], "a")
        t1 = time.perf_counter()
        results = list(analyze_counts_parallel(table, options, args.jobs))
        t2 = time.perf_counter()
        c2 = time.process_time()
        out = io.StringIO()
        for exp, look, res in results:
            out.write(group_json_line(exp, look, res) + "\n")
        t3 = time.perf_counter()
        if args.cli_path:
            c4 = _cpu()
            t4 = time.perf_counter()
            lines = sum(len(line) + 1 for line in analyze_counts_parallel(table, options, args.jobs,
                                                                          transform=group_json_line))
            t5 = time.perf_counter()
            cli_cpu = _cpu() - c4
            assert lines == out.tell(), "the CLI path wrote other lines"
        if args.block_path:
            import hashlib

            from guidelab.counts_bulk import STATS, bulk_json_lines_parallel

            c6 = _cpu()
            t6 = time.perf_counter()
            digest = hashlib.sha256()
            for line in bulk_json_lines_parallel(table, options, args.jobs):
                digest.update((line + "\n").encode())
            t7 = time.perf_counter()
            block_cpu = _cpu() - c6
            same = digest.hexdigest() == hashlib.sha256(out.getvalue().encode()).hexdigest()
    verdicts: dict[str, int] = {}
    for _, _, r in results:
        verdicts[r.decision.verdict] = verdicts.get(r.decision.verdict, 0) + 1
    total = t3 - t0
    print(f"groups: {table.n_groups:,} ({'sequential' if args.sequential else 'fixed-horizon'}, jobs {args.jobs}); "
          f"verdicts {verdicts}")
    print(f"read + validate (DuckDB): {t1 - t0:8.2f} s")
    print(f"analyse every group:      {t2 - t1:8.2f} s  ({table.n_groups / (t2 - t1):,.0f} groups/s)")
    print(f"JSON lines:               {t3 - t2:8.2f} s  ({out.tell() / 1e6:,.1f} MB)")
    print(f"total:                    {total:8.2f} s  ({table.n_groups / total:,.0f} groups/s)")
    if args.cli_path:
        print(f"analyse + JSON lines as the CLI does: {t5 - t4:8.2f} s  ({table.n_groups / (t5 - t4):,.0f} groups/s); "
              f"CPU {cli_cpu:.2f} s in this process and its workers ({table.n_groups / cli_cpu:,.0f} groups per "
              f"CPU-second; load average now {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs)")
    if args.block_path:
        print(f"block path (analyze-counts --jsonl): {t7 - t6:8.2f} s  ({table.n_groups / (t7 - t6):,.0f} groups/s); "
              f"CPU {block_cpu:.2f} s in this process and its workers; same bytes as the per-group path: {same}; "
              f"groups by the block path in this process: {STATS['block']:,}, per group: {STATS['per_group']:,}; "
              f"load average now {os.getloadavg()[0]:.1f}")
        if not same:
            raise SystemExit("the block path wrote other bytes")
    if args.jobs == 1:
        print(f"CPU time of read + analyse (this process): {c2 - c0:.2f} s ({table.n_groups / (c2 - c0):,.0f} groups "
              f"per CPU-second; load average now {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs)")


if __name__ == "__main__":
    main()
