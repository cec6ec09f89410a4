"""What capping and post-stratification add to the count stage (issue 15), on an export of
``bench/gen_export.py``: the count stage once without them (``compute_counts``: the per-user table
and every metric), then, on the same per-user table, the cap of each mean metric (count, cap,
users above it) and the per-(arm, stratum) sums of every proportion and mean metric for
``adjust_for: [new_user, plan]``, each timed (median of ``--repeat``).

    .venv/bin/python bench/bench_adjustments.py /work/bench-data/onboarding-1m
"""
from __future__ import annotations

import argparse
import statistics
import time
from pathlib import Path

from guidelab.events import open_event_data
from guidelab.experiment import ExperimentSpec, load_experiment
from guidelab.metrics import _capping, compute_counts, metric_counts_sql

ROOT = Path(__file__).resolve().parents[1]
SPEC = ROOT / "experiments" / "onboarding-tour-vs-checklist.yaml"


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("data", type=Path)
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    d = load_experiment(SPEC).model_dump()
    d["statistics"].update(adjust_for=[], capping={})
    plain = ExperimentSpec.model_validate(d)
    d["statistics"].update(adjust_for=["new_user", "plan"], capping={"sessions_d7": {"quantile": 0.99}})
    adjusted = ExperimentSpec.model_validate(d)
    ed = open_event_data(args.data)
    try:
        t = time.perf_counter()
        counts = compute_counts(ed, plain)
        base = time.perf_counter() - t
        users = ed.con.execute("SELECT count(*) FROM exp_users").fetchone()[0]
        from guidelab.adjustments import strata_stats

        cap_t, strata_t = [], []
        for _ in range(args.repeat):
            t = time.perf_counter()
            for m, _role in adjusted.metric_defs():
                _capping(ed.con, adjusted, m)
            cap_t.append(time.perf_counter() - t)
            t = time.perf_counter()
            for m, _role in adjusted.metric_defs():
                if m.kind != "ratio":
                    strata_stats(ed.con, adjusted, *metric_counts_sql(m, adjusted))
            strata_t.append(time.perf_counter() - t)
    finally:
        ed.close()
    print(f"{args.data.name}: {users:,} assigned users, {len(counts.metrics)} metrics")
    print(f"count stage without adjustments: {base:.1f} s")
    print(f"capping (sessions_d7 at p99: count, cap, users above): {statistics.median(cap_t):.2f} s")
    print(f"strata sums (new_user x plan, {sum(1 for m, _ in adjusted.metric_defs() if m.kind != 'ratio')} metrics): "
          f"{statistics.median(strata_t):.2f} s")


if __name__ == "__main__":
    main()
