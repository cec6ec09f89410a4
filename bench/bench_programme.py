"""Time the programme report (holdout comparison + interaction check) at realistic sizes.

    .venv/bin/python bench/bench_programme.py --users 1000000 --data /work/bench-data/programme-1m
    .venv/bin/python bench/bench_programme.py --users 200000 --data /work/bench-data/programme-accounts-200k \
        --programme tests/fixtures/programme-account/policies/programme.yaml --no-interactions

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
from guidelab.programme import find_programme, load_programme
from guidelab.programme_analysis import _programme_counts, interaction_checks
from guidelab.simulate import simulate_programme

ROOT = Path(__file__).resolve().parent.parent


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--users", type=int, default=1_000_000)
    ap.add_argument("--data", default="/work/bench-data/programme-1m")
    ap.add_argument("--programme", default=None, help="a programme file (default: experiments/policies/programme.yaml)")
    ap.add_argument("--no-interactions", action="store_true", help="time the holdout comparison only")
    args = ap.parse_args()
    programme = load_programme(args.programme) if args.programme else find_programme(ROOT / "experiments")
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
        as_of, account, _, _ = _programme_counts(ed, programme, specs)  # with the per-account sums of an account holdout
        t_counts = time.perf_counter() - t
        t = time.perf_counter()
        pairs = () if args.no_interactions else interaction_checks(ed, specs, programme.interaction_alpha)
        t_inter = time.perf_counter() - t
    finally:
        ed.close()
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    accounts = f", {account.accounts_programme:,} + {account.accounts_holdout:,} accounts" if programme.clustered else ""
    print(f"programme_counts: {t_counts:.1f} s ({account.programme:,} programme, {account.holdout:,} holdout{accounts}, "
          f"as of {as_of})")
    print(f"interaction_checks: {t_inter:.1f} s ({len(pairs)} tests)")
    print(f"peak RSS {peak:,.0f} MB")


if __name__ == "__main__":
    main()
