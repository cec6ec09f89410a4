"""Synthetic event data with a known truth, written in guidelab's data contract.

The truth comes from the spec's ``simulation`` section: per-variant probabilities of seeing,
opening, clicking, dismissing and completing the guide, of reaching the goal, and a relative
retention uplift on a control retention curve. Users arrive uniformly over the days, are
assigned by the real hash (so the data agree with :func:`guidelab.abtest.assign`), and their
daily activity follows the curve with a two-class engagement mixture (so days correlate, as in
real products) whose mean is exactly the declared probability. ``truth.json`` records the
expected value of every catalogue metric so tests and demos can compare estimates with truth.
"""
from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from .abtest import assign_batch
from .errors import GuidelabError
from .experiment import ExperimentSpec, SimulationSpec, VariantTruth
from .fsutil import atomic_write_bytes

ENGAGED_SHARE = 0.3
ENGAGED_FACTOR = 2.0
SESSION_ENGAGED_FACTOR = 1.5      # extra sessions on an active day, mean-1 mixture with casual users
SESSION_CASUAL_FACTOR = (1 - ENGAGED_SHARE * 1.5) / (1 - ENGAGED_SHARE)
PRE_ENGAGED_FACTOR = 2.0          # pre-period activity, mean-1 mixture: engaged users are active more
PRE_CASUAL_FACTOR = (1 - ENGAGED_SHARE * 2.0) / (1 - ENGAGED_SHARE)
SECONDS_PER_DAY = 86_400


@dataclass(frozen=True)
class SimulationSummary:
    out_dir: Path
    users: int
    assigned: int
    days: int
    files: dict[str, int]  # table -> rows


def retention_probability(curve: dict[int, float], day: int | np.ndarray) -> np.ndarray:
    """Control's P(active on day d): log-log interpolation between the curve's anchor days."""
    days = np.asarray(day, dtype=float)
    xs = np.log(np.array(sorted(curve), dtype=float))
    ys = np.log(np.clip(np.array([curve[k] for k in sorted(curve)], dtype=float), 1e-9, 1))
    out = np.exp(np.interp(np.log(np.maximum(days, 1.0)), xs, ys))
    return np.where(days <= 0, 1.0, out)


def class_activity(sim: SimulationSpec, day: int, lift: float | np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """P(active on ``day``) for engaged and casual users; their mix has mean q_day * (1 + lift) exactly."""
    q = float(retention_probability(sim.retention, day)) * (1 + np.asarray(lift, dtype=float))
    q_eng = np.minimum(1.0, q * ENGAGED_FACTOR)
    q_cas = np.clip((q - ENGAGED_SHARE * q_eng) / (1 - ENGAGED_SHARE), 0, 1)
    return q_eng, q_cas


def novelty_multiplier(sim: SimulationSpec, day_since_start: np.ndarray) -> np.ndarray:
    """Extra engagement of the first days of a guide, decaying with the given half-life."""
    return 1.0 + sim.novelty_boost * 0.5 ** (np.asarray(day_since_start, dtype=float) / sim.novelty_half_life_days)


def _event_name_writer(spec: ExperimentSpec) -> dict[str, str]:
    """Canonical name -> the team's name, when the spec maps one (first mapping wins)."""
    out: dict[str, str] = {}
    for team, ours in spec.event_names.items():
        out.setdefault(ours, team)
    return out


def _default_simulation(spec: ExperimentSpec) -> SimulationSpec:
    variants = {}
    for v in spec.variants:
        variants[v.key] = VariantTruth(open=0.5 if v.guide else 0.0, click=0.3 if v.guide else 0.0)
    return SimulationSpec(variants=variants)


def simulate(spec: ExperimentSpec, users: int, days: int, out_dir: str | Path, seed: int = 0,
             fmt: str = "parquet") -> SimulationSummary:
    """Write assignments, guide_events, activity, users tables and truth.json into ``out_dir``."""
    if users < 1 or days < 1:
        raise GuidelabError(f"simulate: --users and --days must be >= 1 (got {users}, {days})")
    if fmt not in ("parquet", "csv"):
        raise GuidelabError(f"simulate: format must be parquet or csv, got {fmt!r}")
    sim = spec.simulation or _default_simulation(spec)
    rng = np.random.default_rng(seed)
    tz = spec.tz
    names = _event_name_writer(spec)
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)

    # Arrivals: uniform days, uniform local time of day; ids stable for a given seed.
    ids = np.array([f"u{seed:03d}-{i:07d}" for i in range(users)], dtype=object)
    arrival_day = np.sort(rng.integers(0, days, size=users))
    seconds = rng.integers(8 * 3600, 23 * 3600, size=users)  # people use products by day
    start_local = dt.datetime.combine(spec.start, dt.time(), tzinfo=tz)
    day_starts_utc = np.array(
        [int((start_local + dt.timedelta(days=int(d))).astimezone(dt.timezone.utc).timestamp()) for d in range(days + 1)]
    )  # per local day, so DST shifts are honoured
    assigned_epoch = day_starts_utc[arrival_day] + seconds

    table = assign_batch(spec, pa.array(ids.tolist(), type=pa.string()))
    variant = np.array(table.column("variant").to_pylist(), dtype=object)
    inexp = np.array([v is not None for v in variant])
    ids, arrival_day, assigned_epoch, variant = ids[inexp], arrival_day[inexp], assigned_epoch[inexp], variant[inexp]
    n = len(ids)
    last_day = days - 1

    # Per-user truth arrays.
    def per_user(attr: str) -> np.ndarray:
        lut = {k: getattr(sim.variants[k], attr) for k in spec.variant_keys}
        return np.array([lut[v] for v in variant], dtype=float)

    has_guide = np.array([spec.guide_for(v) is not None for v in variant])
    steps_of = {k: (len(g.steps) if (g := spec.guide_for(k)) else 0) for k in spec.variant_keys}
    guide_of = {k: (g.id if (g := spec.guide_for(k)) else None) for k in spec.variant_keys}
    novelty = novelty_multiplier(sim, arrival_day)

    shown = has_guide & (rng.random(n) < per_user("shown"))
    opened = shown & (rng.random(n) < np.minimum(1, per_user("open") * novelty))
    clicked = opened & (rng.random(n) < np.minimum(1, per_user("click") * novelty))
    dismissed = shown & ~clicked & (rng.random(n) < per_user("dismiss"))
    completed = clicked & (rng.random(n) < per_user("complete"))

    engaged = rng.random(n) < ENGAGED_SHARE
    new_user = rng.random(n) < 0.6
    extra_shown = np.where(shown, rng.poisson(per_user("impressions")), 0)

    ge_rows: dict[str, list] = {"user_id": [], "guide_id": [], "step": [], "event": [], "timestamp": []}
    offsets = {"shown": 3, "opened": 5, "clicked": 20, "dismissed": 25, "completed": 90}
    jitter = rng.integers(0, 60, n)  # one per user, so each user's events keep their order
    for event, mask in (("shown", shown), ("opened", opened), ("clicked", clicked),
                        ("dismissed", dismissed), ("completed", completed)):
        idx = np.flatnonzero(mask)
        ge_rows["user_id"] += ids[idx].tolist()
        ge_rows["guide_id"] += [guide_of[v] for v in variant[idx]]
        ge_rows["step"] += [steps_of[v] if event == "completed" else 1 for v in variant[idx]]
        ge_rows["event"] += [names.get(event, event)] * len(idx)
        ge_rows["timestamp"] += (assigned_epoch[idx] + offsets[event] * (1 + jitter[idx] // 10)).tolist()

    # Repeat impressions (the guide shown again later, e.g. on the next page views).
    rep = np.repeat(np.arange(n), extra_shown)
    if len(rep):
        k = np.concatenate([np.arange(1, c + 1) for c in extra_shown[extra_shown > 0]])
        ge_rows["user_id"] += ids[rep].tolist()
        ge_rows["guide_id"] += [guide_of[v] for v in variant[rep]]
        ge_rows["step"] += [1] * len(rep)
        ge_rows["event"] += [names.get("shown", "shown")] * len(rep)
        ge_rows["timestamp"] += (assigned_epoch[rep] + 120 + k * 300).tolist()

    # Goal: within the window, on a uniform day, if that day is inside the data.
    goal_hit = rng.random(n) < per_user("goal")
    goal_day = rng.integers(0, sim.goal_window_days, size=n)
    goal_ok = goal_hit & (arrival_day + goal_day <= last_day)

    # Activity: day 0 at assignment; day d >= 1 with the engagement mixture around q_d * (1 + lift).
    lift = per_user("retention_lift")
    extra_rate = (sim.sessions_per_active_day - 1) * (1 + per_user("sessions_lift")) * \
        np.where(engaged, SESSION_ENGAGED_FACTOR, SESSION_CASUAL_FACTOR)
    horizon = last_day - arrival_day  # days observable per user
    max_h = int(horizon.max()) if n else 0
    act_user: list[np.ndarray] = [np.arange(n)]
    act_time: list[np.ndarray] = [assigned_epoch]
    for d in range(1, max_h + 1):
        q_eng, q_cas = class_activity(sim, d, lift)
        p = np.where(engaged, q_eng, q_cas)
        hit = (horizon >= d) & (rng.random(n) < p)
        idx = np.flatnonzero(hit)
        act_user.append(idx)
        act_time.append(day_starts_utc[arrival_day[idx] + d] + rng.integers(7 * 3600, 23 * 3600, len(idx)))
    act_idx = np.concatenate(act_user)
    act_ts = np.concatenate(act_time)
    # More than one session on an active day (means per user: sessions_d<N>).
    extra = rng.poisson(extra_rate[act_idx]) if sim.sessions_per_active_day > 1 else np.zeros(len(act_idx), int)
    rep = np.repeat(np.arange(len(act_idx)), extra)
    if len(rep):
        offs = np.concatenate([np.arange(1, c + 1) for c in extra[extra > 0]]) * 60  # same local day
        act_idx = np.concatenate([act_idx, act_idx[rep]])
        act_ts = np.concatenate([act_ts, act_ts[rep] + offs])
    # Before assignment: existing users' activity in the pre-period (the CUPED covariate).
    pre_idx_l, pre_ts_l = [], []
    for d in range(1, sim.pre_period_days + 1):
        p = sim.pre_period_activity * np.where(engaged, PRE_ENGAGED_FACTOR, PRE_CASUAL_FACTOR)
        hit = ~new_user & (rng.random(n) < np.minimum(p, 1))
        idx = np.flatnonzero(hit)
        pre_idx_l.append(idx)
        pre_ts_l.append(assigned_epoch[idx] - d * SECONDS_PER_DAY - rng.integers(0, 3600, len(idx)))
    if pre_idx_l:
        act_idx = np.concatenate([act_idx, *pre_idx_l])
        act_ts = np.concatenate([act_ts, *pre_ts_l])
    goal_idx = np.flatnonzero(goal_ok)
    goal_ts = np.where(goal_day[goal_idx] == 0, assigned_epoch[goal_idx] + 600,
                       day_starts_utc[arrival_day[goal_idx] + goal_day[goal_idx]] + rng.integers(8 * 3600, 22 * 3600, len(goal_idx)))
    activity_name = names.get("activity", "session")
    goal_name = spec.goal_event or names.get("goal", "goal")
    activity = {
        "user_id": np.concatenate([ids[act_idx], ids[goal_idx]]).tolist(),
        "timestamp": np.concatenate([act_ts, goal_ts]).tolist(),
        "event": [activity_name] * len(act_idx) + [goal_name] * len(goal_idx),
    }

    # Users: signup before or at assignment; segments for later analyses.
    signup_epoch = np.where(new_user, assigned_epoch - rng.integers(60, 3600, n),
                            assigned_epoch - rng.integers(2, 400, n) * SECONDS_PER_DAY)
    users_tbl = {
        "user_id": ids.tolist(),
        "signup_at": signup_epoch.tolist(),
        "platform": np.where(rng.random(n) < 0.7, "web", "mobile").tolist(),
        "locale": np.where(rng.random(n) < 0.6, "ja", "en").tolist(),
        "plan": np.where(rng.random(n) < 0.8, "free", "pro").tolist(),
    }
    assignments = {
        "user_id": ids.tolist(),
        "experiment": [spec.id] * n,
        "variant": variant.tolist(),
        "assigned_at": assigned_epoch.tolist(),
    }

    tables = {
        "assignments": _to_table(assignments, ["assigned_at"], sort=("assigned_at", "user_id")),
        "guide_events": _to_table(ge_rows, ["timestamp"], sort=("timestamp", "user_id", "event")),
        "activity": _to_table(activity, ["timestamp"], sort=("timestamp", "user_id", "event")),
        "users": _to_table(users_tbl, ["signup_at"], sort=("user_id",)),
    }
    files = {}
    for name, tbl in tables.items():
        _write_table(tbl, out / f"{name}.{fmt}", spec.timezone)
        files[name] = tbl.num_rows
    truth = expected_metrics(spec, sim, arrival_day_distribution=np.bincount(arrival_day, minlength=days) / max(n, 1))
    atomic_write_bytes(out / "truth.json", json.dumps(
        {"experiment": spec.id, "seed": seed, "users": users, "days": days,
         "start": spec.start.isoformat(), "as_of": (spec.start + dt.timedelta(days=last_day)).isoformat(),
         "expected": truth}, indent=2, ensure_ascii=False, sort_keys=True).encode())
    return SimulationSummary(out, users, n, days, files)


def expected_metrics(spec: ExperimentSpec, sim: SimulationSpec, arrival_day_distribution: np.ndarray) -> dict:
    """True expected value of each catalogue metric per variant (what estimates should hit)."""
    days = np.arange(len(arrival_day_distribution))
    m = novelty_multiplier(sim, days)
    out: dict[str, dict[str, float]] = {}
    for key in spec.variant_keys:
        t = sim.variants[key]
        g = spec.guide_for(key) is not None
        w = arrival_day_distribution
        shown = t.shown if g else 0.0
        p_open = float(np.sum(w * np.minimum(1, t.open * m)))
        p_open_click = float(np.sum(w * np.minimum(1, t.open * m) * np.minimum(1, t.click * m)))
        opened = shown * p_open
        clicked = shown * p_open_click
        row = {
            "shown": shown,
            "opened": opened,
            "clicked": clicked,
            "dismissed": t.dismiss * (shown - clicked),
            "completed": clicked * t.complete,
            "click_through": (p_open_click / p_open) if p_open > 0 else 0.0,
        }
        row["clicks_per_impression"] = clicked / (shown * (1 + t.impressions)) if shown > 0 else 0.0

        def q_day(d: int) -> float:
            return float(retention_probability(sim.retention, d)) * (1 + t.retention_lift)

        def g_day(d: int) -> float:
            return t.goal / sim.goal_window_days if d < sim.goal_window_days else 0.0

        for d in (1, 7, 14, 30):
            row[f"retention_d{d}"] = 1 - (1 - q_day(d)) * (1 - g_day(d))  # a goal event is activity too
            row[f"goal_d{d}"] = t.goal * min(d, sim.goal_window_days) / sim.goal_window_days
            # Sessions on days 0..d-1: day 0 is active by construction; goal rows are sessions too.
            # Engagement drives both activity and sessions per day, so average within each class.
            sessions = 0.0
            for share, factor, cls in ((ENGAGED_SHARE, SESSION_ENGAGED_FACTOR, 0), (1 - ENGAGED_SHARE, SESSION_CASUAL_FACTOR, 1)):
                per_day = 1 + (sim.sessions_per_active_day - 1) * (1 + t.sessions_lift) * factor
                active = 1 + sum(float(class_activity(sim, k, t.retention_lift)[cls]) for k in range(1, d))
                sessions += share * per_day * active
            row[f"sessions_d{d}"] = sessions + row[f"goal_d{d}"]
            row[f"active_days_d{d}"] = sum(1 - (1 - q_day(k)) * (1 - g_day(k)) for k in range(1, d + 1))
        out[key] = {k: round(v, 10) for k, v in row.items()}
    return out


def _to_table(cols: dict[str, list], epoch_cols: list[str], sort: tuple[str, ...]) -> pa.Table:
    arrays = {}
    for name, values in cols.items():
        if name in epoch_cols:
            arrays[name] = pa.array(np.asarray(values, dtype="int64") * 1_000_000, type=pa.timestamp("us", tz="UTC"))
        elif name == "step":
            arrays[name] = pa.array(values, type=pa.int32())
        else:
            arrays[name] = pa.array(values, type=pa.string())
    tbl = pa.table(arrays)
    return tbl.sort_by([(c, "ascending") for c in sort])


def _write_table(tbl: pa.Table, path: Path, timezone: str) -> None:
    """Write Parquet (UTC instants) or CSV (ISO 8601 with the experiment zone's offset), atomically."""
    tmp = path.with_name(f".{path.name}.tmp")
    if path.suffix == ".parquet":
        pq.write_table(tbl, tmp, compression="zstd")
    else:
        import pyarrow.compute as pc
        cols = {}
        for name in tbl.column_names:
            col = tbl.column(name)
            if pa.types.is_timestamp(col.type):
                local = col.cast(pa.timestamp("s", tz=timezone))
                text = pc.strftime(local, format="%Y-%m-%dT%H:%M:%S%z")
                col = pc.replace_substring_regex(text, pattern=r"([+-]\d{2})(\d{2})$", replacement=r"\1:\2")
            cols[name] = col
        pacsv.write_csv(pa.table(cols), tmp)
    tmp.replace(path)
