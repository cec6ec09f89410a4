"""Per-account sufficient statistics (guidelab.account_stats) on 1M and 10M users, on DuckDB.

Builds ``exp_users`` (uk, variant, a 0/1 metric) and ``exp_assigned`` (uk, unit_id) with users
dealt to accounts of log-normal sizes (median 5, sigma 1.5, 1..500, as the calibration), then
times the per-account SQL of one metric (:func:`account_sums_sql`) and of the accounts per arm,
and checks the sums against numpy (ClusterStats.from_users) on the same rows. Timings only;
no test asserts on them.

    .venv/bin/python bench/bench_account_stats.py                 # 1M and 10M users
    .venv/bin/python bench/bench_account_stats.py --n 1000000     # quicker
"""
from __future__ import annotations

import argparse
import os
import time

import numpy as np

from guidelab.account_stats import account_sums_sql, accounts_per_variant_sql, cluster_stats_rows
from guidelab.engine import connect_duckdb
from guidelab.stats.cluster import ClusterStats, compare_clustered, draw_account_sizes


def build(con, n: int, seed: int = 1) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    sizes = draw_account_sizes(rng, n // 5 + 1000, median=5.0, sigma=1.5)
    sizes = sizes[: int(np.searchsorted(np.cumsum(sizes), n)) + 1]
    sizes[-1] -= int(sizes.sum()) - n
    sizes = sizes[sizes > 0]
    account = np.repeat(np.arange(sizes.size), sizes)
    arm_of_account = rng.random(sizes.size) < 0.5
    variant = np.where(arm_of_account[account], "treatment", "control")
    rate = rng.beta(0.1 * 9, 0.9 * 9, size=sizes.size)  # ICC 0.1 around 10%
    value = (rng.random(n) < rate[account]).astype(np.int32)
    import pyarrow as pa

    users = pa.table({"uk": np.arange(n, dtype=np.int32), "variant": variant, "v": value})
    assigned = pa.table({"uk": np.arange(n, dtype=np.int32), "unit_id": np.char.add("acct-", account.astype(str))})
    con.register("users_arrow", users)
    con.register("assigned_arrow", assigned)
    con.execute("CREATE OR REPLACE TEMP TABLE exp_users AS SELECT * FROM users_arrow")
    con.execute("CREATE OR REPLACE TEMP TABLE exp_assigned AS SELECT * FROM assigned_arrow")
    return account, variant, value


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, action="append", help="users (repeat); default 1M and 10M")
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    print(f"load average before: {os.getloadavg()}")
    for n in args.n or [1_000_000, 10_000_000]:
        con = connect_duckdb()
        t0 = time.perf_counter()
        account, variant, value = build(con, n)
        built = time.perf_counter() - t0
        best = best_k = float("inf")
        for _ in range(args.repeat):
            t0 = time.perf_counter()
            rows = con.execute(account_sums_sql("TRUE", "v")).fetchall()
            best = min(best, time.perf_counter() - t0)
            t0 = time.perf_counter()
            con.execute(accounts_per_variant_sql()).fetchall()
            best_k = min(best_k, time.perf_counter() - t0)
        sql = cluster_stats_rows(rows)
        for arm in ("control", "treatment"):
            m = variant == arm
            direct = ClusterStats.from_users(account[m], value[m])
            assert (sql[arm].n_accounts, sql[arm].n_users) == (direct.n_accounts, direct.n_users)
            assert abs(sql[arm].sum_y2_over_n - direct.sum_y2_over_n) <= 1e-9 * direct.sum_y2_over_n
        cmp = compare_clustered(sql["treatment"], sql["control"])
        print(f"{n:>11,} users, {len(np.unique(account)):,} accounts: build {built:.1f} s; per-account sums of one "
              f"metric {best:.2f} s, accounts per arm {best_k:.2f} s (best of {args.repeat}); "
              f"ICC {cmp.icc:.3f}, design effect {cmp.design_effect:.1f}; sums equal numpy")
        con.close()
    print(f"load average after: {os.getloadavg()}")


if __name__ == "__main__":
    main()
