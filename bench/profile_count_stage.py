"""Time every SQL statement of the count stage: CPU (all threads) and wall, worst first.

Runs :func:`guidelab.analysis.analyze_experiment` once in this process (what
``bench_count_stage.py`` times as ``count``) with each statement the DuckDB engine executes
timed (``time.process_time`` counts DuckDB's threads too, so the CPU column stays comparable
on a shared machine where wall time does not), and prints the totals, the process's peak RSS
and the ``--top`` costliest statements.

    .venv/bin/python bench/profile_count_stage.py /work/bench-data/onboarding-1m --top 25
"""
from __future__ import annotations

import argparse
import re
import resource
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
SPEC = ROOT / "experiments" / "onboarding-tour-vs-checklist.yaml"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("data", type=Path, help="an export folder written by gen_export.py")
    ap.add_argument("--spec", type=Path, default=SPEC)
    ap.add_argument("--top", type=int, default=25, help="statements to print")
    args = ap.parse_args()

    from guidelab import engine

    timings: list[tuple[float, float, str]] = []
    execute = engine.DuckDBEngine.execute

    def timed(self: Any, sql: str, params: Any = None) -> Any:
        cpu, wall = time.process_time(), time.perf_counter()
        result = execute(self, sql, params)
        timings.append((time.process_time() - cpu, time.perf_counter() - wall, sql))
        return result

    engine.DuckDBEngine.execute = timed  # type: ignore[method-assign]
    repeated = engine.DuckDBEngine.create_repeated_hashes

    def timed_repeated(self: Any, name: str, hashes_sql: str) -> None:  # numpy's sort, not a statement
        cpu, wall = time.process_time(), time.perf_counter()
        repeated(self, name, hashes_sql)
        timings.append((time.process_time() - cpu, time.perf_counter() - wall, f"[repeated hashes, numpy] {hashes_sql}"))

    engine.DuckDBEngine.create_repeated_hashes = timed_repeated  # type: ignore[method-assign]
    from guidelab.analysis import analyze_experiment
    from guidelab.experiment import load_experiment

    load = " ".join(Path("/proc/loadavg").read_text().split()[:3])
    cpu0, wall0 = time.process_time(), time.perf_counter()
    analyze_experiment(load_experiment(args.spec), args.data)
    cpu, wall = time.process_time() - cpu0, time.perf_counter() - wall0
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024 / 1024
    print(f"count stage: {wall:.1f} s wall, {cpu:.1f} CPU-s ({sum(t[0] for t in timings):.1f} in {len(timings)} "
          f"SQL statements, {sum(t[1] for t in timings):.1f} s wall), peak RSS {rss:.2f} GB, load {load} -> "
          + " ".join(Path("/proc/loadavg").read_text().split()[:3]))
    print("   CPU-s   wall-s  statement")
    for c, w, sql in sorted(timings, reverse=True)[:args.top]:
        one_line = re.sub(r"\s+", " ", sql).strip()[:130]
        print(f"{c:8.2f} {w:8.2f}  {one_line}")


if __name__ == "__main__":
    main()
