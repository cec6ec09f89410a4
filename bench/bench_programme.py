"""Time the programme report (holdout comparison + interaction check) at realistic sizes.

    .venv/bin/python bench/bench_programme.py --users 1000000 --data /work/bench-data/programme-1m

Simulates the programme's data once (``simulate_programme``, written to ``--data``; reused when
the folder exists), then times ``programme_counts`` (the holdout comparison's SQL) and
``interaction_checks`` (per pair and direction: the registry's per-user table and the per-cell
counts) separately, and reports the peak RSS. Timings are reported only; no test asserts them.
"""
from __future__ import annotations

import argparse
import resource
import time
from pathlib import Path

from guidelab.events import open_event_data
from guidelab.experiment import load_experiment
from guidelab.programme import find_programme
from guidelab.programme_analysis import interaction_checks, programme_counts
from guidelab.simulate import simulate_programme

ROOT = Path(__file__).resolve().parent.parent


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--users", type=int, default=1_000_000)
    ap.add_argument("--data", default="/work/bench-data/programme-1m")
    args = ap.parse_args()
    programme = find_programme(ROOT / "experiments")
    assert programme is not None
    specs = [load_experiment(p) for p in sorted((ROOT / "experiments").glob("*.yaml"))]
    data = Path(args.data)
    if not (data / "assignments.parquet").is_file():
        t = time.perf_counter()
        s = simulate_programme(programme, specs, args.users, data, seed=1)
        print(f"simulate_programme {args.users:,} users: {time.perf_counter() - t:.1f} s ({s.files})")
    ed = open_event_data(data)
    try:
        t = time.perf_counter()
        as_of, account, _ = programme_counts(ed, programme, specs)
        t_counts = time.perf_counter() - t
        t = time.perf_counter()
        pairs = interaction_checks(ed, specs, programme.interaction_alpha)
        t_inter = time.perf_counter() - t
    finally:
        ed.close()
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"programme_counts: {t_counts:.1f} s ({account.programme:,} programme, {account.holdout:,} holdout, as of {as_of})")
    print(f"interaction_checks: {t_inter:.1f} s ({len(pairs)} tests)")
    print(f"peak RSS {peak:,.0f} MB")


if __name__ == "__main__":
    main()
