"""Per-account SQL of the deeper analyses (guidelab.account_breakdowns) on 1M and 10M users, on DuckDB.

Builds ``exp_users`` (uk, user_id, variant, a 0/1 metric, assignment day over 14 days, observed
days 0..40), ``exp_assigned`` (uk, unit_id), ``exp_user_attrs`` (user_id, plan of 3 values) and
``exp_activity_users`` (uk, one BIGINT word of active-day bits) with users dealt to accounts of
log-normal sizes (as bench_account_stats.py), then times the retention-curve sums (users x 31
days), the daily sums and cross-products, and the segment sums and cross-products, and checks the
day-7 retention sums against numpy. Timings only; no test asserts on them.

    .venv/bin/python bench/bench_account_breakdowns.py                 # 1M and 10M users
    .venv/bin/python bench/bench_account_breakdowns.py --n 1000000     # quicker
"""
from __future__ import annotations

import argparse
import os
import time

import numpy as np
import pyarrow as pa
from bench_account_stats import build

from guidelab.account_breakdowns import (
    USERS_WITH_ACCOUNT,
    account_group_cross_sql,
    account_group_sums_sql,
    curve_sums_sql,
    segment_source_sql,
)
from guidelab.engine import connect_duckdb
from guidelab.stats.cluster import ClusterStats


def extend(con, account: np.ndarray, seed: int = 2) -> tuple[np.ndarray, np.ndarray]:
    """The columns the breakdowns read, on top of bench_account_stats.build's tables."""
    rng = np.random.default_rng(seed)
    n = account.size
    observed = rng.integers(0, 41, n).astype(np.int32)
    day0 = np.datetime64("2026-09-07")
    assigned_day = day0 + rng.integers(0, 14, n).astype("timedelta64[D]")
    active_p = rng.beta(2, 4, int(account.max()) + 1)[account]  # account-level activity (clustered)
    bits = np.zeros(n, dtype=np.int64)
    for d in range(31):
        bits |= (rng.random(n) < active_p).astype(np.int64) << d
    plan = np.array(["free", "pro", "team"])[rng.integers(0, 3, int(account.max()) + 1)][account]
    extra = pa.table({"uk": np.arange(n, dtype=np.int32), "user_id": np.char.add("u", np.arange(n).astype(str)),
                      "observed_days": observed, "assigned_day": assigned_day})
    con.register("extra_arrow", extra)
    con.execute("CREATE OR REPLACE TEMP TABLE exp_users AS SELECT * FROM exp_users JOIN extra_arrow USING (uk)")
    con.register("attrs_arrow", pa.table({"user_id": extra["user_id"], "plan": plan}))
    con.execute("CREATE OR REPLACE TEMP TABLE exp_user_attrs AS SELECT * FROM attrs_arrow")
    con.register("act_arrow", pa.table({"uk": np.arange(n, dtype=np.int32), "_gl_days0": bits}))
    con.execute("CREATE OR REPLACE TEMP TABLE exp_activity_users AS SELECT * FROM act_arrow")
    return observed, bits


def timed(con, sql: str) -> tuple[float, list]:
    t0 = time.perf_counter()
    rows = con.execute(sql).fetchall()
    return time.perf_counter() - t0, rows


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, action="append", help="users (repeat); default 1M and 10M")
    args = ap.parse_args()
    print(f"load average before: {os.getloadavg()}")
    for n in args.n or [1_000_000, 10_000_000]:
        con = connect_duckdb()
        t0 = time.perf_counter()
        account, variant, _ = build(con, n)
        observed, bits = extend(con, account)
        built = time.perf_counter() - t0
        t_curve, rows = timed(con, curve_sums_sql(1, 30))
        t_day, _ = timed(con, account_group_sums_sql(USERS_WITH_ACCOUNT, "TRUE", "v", "assigned_day"))
        t_day_x, _ = timed(con, account_group_cross_sql(USERS_WITH_ACCOUNT, "TRUE", "v", "assigned_day"))
        seg = segment_source_sql("s.plan")
        t_seg, _ = timed(con, account_group_sums_sql(seg, "TRUE", "v", "_gl_segment"))
        t_seg_x, _ = timed(con, account_group_cross_sql(seg, "TRUE", "v", "_gl_segment"))
        for arm in ("control", "treatment"):  # day-7 retention sums against numpy
            m = (variant == arm) & (observed >= 7)
            direct = ClusterStats.from_users(account[m], ((bits[m] >> 7) & 1).astype(float))
            got = next(r for r in rows if r[0] == arm)[1 + 70: 1 + 80]
            assert (int(got[0]), int(got[1])) == (direct.n_accounts, direct.n_users)
            assert abs(got[-1] - direct.sum_y2_over_n) <= 1e-9 * direct.sum_y2_over_n
        print(f"{n:>11,} users, {len(np.unique(account)):,} accounts: build {built:.1f} s; retention curve "
              f"(31 days) {t_curve:.2f} s; daily sums {t_day:.2f} s + cross-products {t_day_x:.2f} s; segment sums "
              f"{t_seg:.2f} s + cross-products {t_seg_x:.2f} s; day-7 sums equal numpy")
        con.close()
    print(f"load average after: {os.getloadavg()}")


if __name__ == "__main__":
    main()
