"""A deterministic, realistic export of the onboarding example for the count-stage benchmark.

Writes ``assignments``, ``guide_events``, ``activity`` and ``users`` as Parquet (the data contract
of :mod:`guidelab.events`, the shape ``guidelab simulate`` writes) for
``experiments/onboarding-tour-vs-checklist.yaml``:

* users arrive uniformly over the 28 days of the experiment (2026-10-01..28, Asia/Tokyo), 20% holdout,
  40% tour, 40% checklist;
* activity: about 10 rows per user - a session on the assignment day, sessions on later days with
  a decaying daily chance (1.6 sessions per active day on average), the goal event
  ``project_created`` for about a third of the users in their first week, and a 14-day pre-period
  for existing users (the CUPED covariate); data runs to 2026-11-04 (the end plus 7 days);
* guide events: about 3 per exposed user (the team's names of ``event_names``: step views 1..3,
  opened, CTA clicked, closed, finished), a few shown events of other guides;
* a few exact duplicate rows (0.1% of activity, 0.2% of guide events) so the row ledger has work.

Vectorised numpy, seeded: the same ``--users`` and ``--seed`` give the same rows. Users are made
in chunks of 1M (each chunk its own seeded stream), so 10M users need about 2 GB of memory.

    .venv/bin/python bench/gen_export.py --users 1000000 --out /work/bench-data/onboarding-1m
"""
from __future__ import annotations

import argparse
import datetime as dt
import json
import shutil
import time
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

EXPERIMENT = "onboarding-tour-vs-checklist"
START_UTC = int(dt.datetime(2026, 9, 30, 15, tzinfo=dt.timezone.utc).timestamp())  # 2026-10-01 00:00 JST
DAY = 86_400
ASSIGN_DAYS = 28
DATA_DAYS = 35          # local days 0..34: 2026-10-01 .. 2026-11-04
CHUNK = 1_000_000
PRE_DAYS = 14


def _ts(epoch_s: np.ndarray) -> pa.Array:
    return pa.array(epoch_s.astype("int64") * 1_000_000, type=pa.timestamp("us", tz="UTC"))


def _ids(idx: np.ndarray) -> pa.Array:
    """``u`` + 9 digits, built in Arrow (no Python strings)."""
    import pyarrow.compute as pc

    digits = pc.utf8_lpad(pc.cast(pa.array(idx, type=pa.int64()), pa.string()), 9, "0")
    return pc.binary_join_element_wise("u", digits, "")


def chunk_tables(first: int, n: int, seed: int) -> dict[str, pa.Table]:
    """The rows of users ``first .. first + n - 1`` (their own seeded stream)."""
    rng = np.random.default_rng([seed, first])
    uid = np.arange(first, first + n, dtype=np.int64)
    arrival = rng.integers(0, ASSIGN_DAYS, n)
    assigned = START_UTC + arrival * DAY + rng.integers(8 * 3600, 23 * 3600, n)
    arm = np.searchsorted([0.2, 0.6], rng.random(n), side="right")  # 0 holdout, 1 tour, 2 checklist
    variants = np.array(["holdout", "tour", "checklist"], dtype=object)
    new_user = rng.random(n) < 0.6
    signup = np.where(new_user, assigned - rng.integers(60, 3600, n), assigned - rng.integers(2, 400, n) * DAY)
    ids = _ids(uid)
    users = pa.table({"user_id": ids, "signup_at": _ts(signup),
                      "platform": pa.array(np.where(rng.random(n) < 0.55, "web", "mobile").astype(object), pa.string()),
                      "locale": pa.array(np.where(rng.random(n) < 0.7, "ja", "en").astype(object), pa.string()),
                      "plan": pa.array(np.where(rng.random(n) < 0.8, "free", "trial").astype(object), pa.string())})
    assignments = pa.table({"user_id": ids, "experiment": pa.array([EXPERIMENT] * n, pa.string()),
                            "variant": pa.array(variants[arm], pa.string()), "assigned_at": _ts(assigned)})

    # activity: day 0, later days with a decaying chance, extra sessions, goal, pre-period
    engaged = rng.random(n) < 0.3
    horizon = DATA_DAYS - 1 - arrival
    lift = np.where(arm == 1, 1.12, np.where(arm == 2, 1.04, 1.0))
    day = np.arange(1, DATA_DAYS)
    base = 0.12 + 0.30 * np.exp(-(day - 1) / 4.0)                       # 0.42 on day 1, ~0.12 later
    p = np.minimum(base[None, :] * np.where(engaged, 1.8, 0.7)[:, None] * lift[:, None], 0.95)
    hit = (rng.random((n, len(day))) < p) & (day[None, :] <= horizon[:, None])
    u_idx, d_idx = np.nonzero(hit)
    act_user = np.concatenate([np.arange(n), u_idx])
    act_day = np.concatenate([np.zeros(n, dtype=np.int64), d_idx + 1])
    act_ts = np.where(act_day == 0, assigned[act_user],
                      START_UTC + (arrival[act_user] + act_day) * DAY + rng.integers(7 * 3600, 22 * 3600, len(act_user)))
    extra = rng.poisson(np.where(engaged[act_user], 0.9, 0.45))
    rep = np.repeat(np.arange(len(act_user)), extra)
    offs = (np.arange(len(rep)) - np.repeat(np.cumsum(extra) - extra, extra) + 1) * 60
    act_user = np.concatenate([act_user, act_user[rep]])
    act_ts = np.concatenate([act_ts, act_ts[rep] + offs])
    pre_hit = (~new_user)[:, None] & (rng.random((n, PRE_DAYS)) < np.where(engaged, 0.35, 0.12)[:, None])
    pu, pd = np.nonzero(pre_hit)
    pre_ts = assigned[pu] - (pd + 1) * DAY - rng.integers(0, 3600, len(pu))
    goal = rng.random(n) < np.where(arm == 0, 0.30, np.where(arm == 1, 0.36, 0.33))
    goal_day = rng.integers(0, 7, n)
    gi = np.flatnonzero(goal & (goal_day <= horizon))
    goal_ts = np.where(goal_day[gi] == 0, assigned[gi] + 600,
                       START_UTC + (arrival[gi] + goal_day[gi]) * DAY + rng.integers(8 * 3600, 22 * 3600, len(gi)))
    a_user = np.concatenate([act_user, pu, gi])
    a_ts = np.concatenate([act_ts, pre_ts, goal_ts])
    a_goal = np.concatenate([np.zeros(len(act_user) + len(pu), bool), np.ones(len(gi), bool)])
    dup = np.flatnonzero(rng.random(len(a_user)) < 0.001)
    a_user, a_ts, a_goal = (np.concatenate([x, x[dup]]) for x in (a_user, a_ts, a_goal))
    event = pa.array(np.where(a_goal, "project_created", "app_session").astype(object), pa.string())
    activity = pa.table({"user_id": ids.take(pa.array(a_user)), "timestamp": _ts(a_ts), "event": event})

    # guide events (the team's names): exposed users of the two guide arms
    shown = (arm > 0) & (rng.random(n) < 0.9)
    opened = shown & (rng.random(n) < 0.65)
    step2 = opened & (rng.random(n) < 0.75)
    step3 = step2 & (rng.random(n) < 0.7)
    clicked = opened & (rng.random(n) < 0.4)
    completed = step3 & (rng.random(n) < 0.8)
    dismissed = shown & ~completed & (rng.random(n) < 0.25)
    pace = 1 + rng.integers(0, 6, n)
    rows = [(shown, "tour_step_viewed", 1, 3), (opened, "tour_opened", 1, 5), (clicked, "tour_cta_clicked", 1, 20),
            (step2, "tour_step_viewed", 2, 40), (step3, "tour_step_viewed", 3, 80), (dismissed, "tour_closed", 1, 100),
            (completed, "tour_finished", 3, 120)]
    guides = np.array([None, "onboarding-tour", "onboarding-checklist"], dtype=object)
    g_user, g_event, g_step, g_ts, g_guide = [], [], [], [], []
    for mask, name, step, offset in rows:
        i = np.flatnonzero(mask)
        g_user.append(i), g_event.append(np.full(len(i), name, dtype=object)), g_step.append(np.full(len(i), step))
        g_ts.append(assigned[i] + offset * pace[i]), g_guide.append(guides[arm[i]])
    other = np.flatnonzero(rng.random(n) < 0.05)
    g_user.append(other), g_event.append(np.full(len(other), "tour_step_viewed", dtype=object))
    g_step.append(np.ones(len(other), dtype=np.int64)), g_ts.append(assigned[other] + rng.integers(3600, 5 * DAY, len(other)))
    g_guide.append(np.array([f"other-guide-{k}" for k in range(1, 6)], dtype=object)[rng.integers(0, 5, len(other))])
    cols = [np.concatenate(c) for c in (g_user, g_event, g_step, g_ts, g_guide)]
    dup = np.flatnonzero(rng.random(len(cols[0])) < 0.002)
    g_user, g_event, g_step, g_ts, g_guide = (np.concatenate([c, c[dup]]) for c in cols)
    guide_events = pa.table({"user_id": ids.take(pa.array(g_user)), "guide_id": pa.array(g_guide, pa.string()),
                             "step": pa.array(g_step, pa.int32()), "event": pa.array(g_event, pa.string()),
                             "timestamp": _ts(g_ts)})
    return {"assignments": assignments, "guide_events": guide_events, "activity": activity, "users": users}


def generate(users: int, out: Path, seed: int = 1) -> dict[str, int]:
    """Write the four tables of ``users`` users into ``out`` (replaced); rows per table."""
    tmp = out.with_name(out.name + ".tmp")
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    writers: dict[str, pq.ParquetWriter] = {}
    rows: dict[str, int] = {}
    for first in range(0, users, CHUNK):
        for name, tbl in chunk_tables(first, min(CHUNK, users - first), seed).items():
            if name not in writers:
                writers[name] = pq.ParquetWriter(tmp / f"{name}.parquet", tbl.schema, compression="zstd")
            writers[name].write_table(tbl, row_group_size=1 << 20)
            rows[name] = rows.get(name, 0) + tbl.num_rows
    for w in writers.values():
        w.close()
    (tmp / "export.json").write_text(json.dumps({"users": users, "seed": seed, "rows": rows}, indent=2))
    shutil.rmtree(out, ignore_errors=True)
    tmp.rename(out)
    return rows


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--users", type=int, default=1_000_000)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--out", type=Path, default=None, help="default: /work/bench-data/onboarding-<users>")
    args = ap.parse_args()
    out = args.out or Path(f"/work/bench-data/onboarding-{args.users}")
    t0 = time.perf_counter()
    rows = generate(args.users, out, args.seed)
    print(f"{out}: {rows} in {time.perf_counter() - t0:.1f} s")


if __name__ == "__main__":
    main()
