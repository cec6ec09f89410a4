"""The SQL cost of a quantile metric (guidelab.quantile_metrics) on a per-user table of 1M and 10M
users: the two statements a quantile metric adds to the count stage (per arm the counts, then the
values at three ranks by row_number() over the users with a value), against the one statement of
a mean metric on the same table, in DuckDB.

    .venv/bin/python bench/bench_quantiles.py --users 1000000 10000000

Writes nothing; prints seconds (median of --repeat runs) per statement. Figures: bench/README.md.
"""
from __future__ import annotations

import argparse
import statistics
import time

from guidelab.engine import connect_duckdb
from guidelab.experiment import ExperimentSpec
from guidelab.metrics import _arm_stats
from guidelab.registry import parse_metric

SPEC = {"id": "bench-quantiles", "hypothesis": "bench", "start": "2026-10-01", "goal_event": "goal",
        "variants": [{"key": "a", "weight": 0.5}, {"key": "b", "weight": 0.5}],
        "metrics": {"primary": "goal_d7", "secondary": ["days_to_goal_d30_p50", "sessions_d7_p90", "sessions_d7"]}}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--users", type=int, nargs="+", default=[1_000_000])
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    spec = ExperimentSpec.model_validate(SPEC)
    con = connect_duckdb()
    for n in args.users:
        con.execute(f"""CREATE OR REPLACE TABLE exp_users AS
            SELECT CASE WHEN hash(i) % 2 = 0 THEN 'a' ELSE 'b' END AS variant, 40 AS observed_days,
                   CASE WHEN hash(i * 7) % 10 < 6 THEN CAST(hash(i * 3) % 30 AS INTEGER) END AS first_goal_day,
                   CAST(floor(exp(2.0 * (hash(i * 5) % 1000000) / 1000000.0 + 0.3 * (hash(i * 11) % 10))) AS BIGINT)
                       AS sessions_d7, CAST(hash(i * 13) % 5 AS BIGINT) AS pre_active_days
            FROM range({n}) t(i)""")
        for name in ("sessions_d7", "sessions_d7_p90", "days_to_goal_d30_p50"):
            m = parse_metric(name)
            times = []
            for _ in range(args.repeat):
                t0 = time.perf_counter()
                out, _ = _arm_stats(con, spec, m, cuped=False)
                times.append(time.perf_counter() - t0)
            print(f"{n:>11,} users  {name:<22} {statistics.median(times):7.3f} s  {out['a']}", flush=True)


if __name__ == "__main__":
    main()
