"""Synthetic event data with a known truth, written in guidelab's data contract.

The truth comes from the spec's ``simulation`` section: per-variant probabilities of seeing,
opening, clicking, dismissing and completing the guide, of reaching the goal, and a relative
retention uplift on a control retention curve. Users arrive uniformly over the days, are
assigned by the real hash (so the data agree with :func:`guidelab.abtest.assign`), and their
daily activity follows the curve with a two-class engagement mixture (so days correlate, as in
real products) whose mean is exactly the declared probability. ``truth.json`` records the
expected value of every catalogue metric so tests and demos can compare estimates with truth.

Also simulated: funnels of 2+ step guides (a ``shown`` event per step reached, completion at
the last step), survey answers with an NPS score (``answered`` events, ``value`` column),
"don't show again" opt-outs, support contacts (activity rows named by ``support_event``),
other live guides shown to the same users (over-exposure) and per-segment retention lifts.
Randomness for these (and for the users' platform, locale and plan) comes from a separate
stream per feature, so turning one feature on leaves every other draw unchanged.
"""
from __future__ import annotations

import datetime as dt
import itertools
import json
import math
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from .abtest import assign_batch
from .errors import GuidelabError, clip
from .experiment import AccountSimulationSpec, ExperimentSpec, SimulationSpec, VariantTruth
from .fsutil import atomic_write_bytes
from .registry import entries as registry_entries

if TYPE_CHECKING:
    from .programme import ProgrammeSimulation, ProgrammeSpec

ENGAGED_SHARE = 0.3
ENGAGED_FACTOR = 2.0
SESSION_ENGAGED_FACTOR = 1.5      # extra sessions on an active day, mean-1 mixture with casual users
SESSION_CASUAL_FACTOR = (1 - ENGAGED_SHARE * 1.5) / (1 - ENGAGED_SHARE)
PRE_ENGAGED_FACTOR = 2.0          # pre-period activity, mean-1 mixture: engaged users are active more
PRE_CASUAL_FACTOR = (1 - ENGAGED_SHARE * 2.0) / (1 - ENGAGED_SHARE)
SECONDS_PER_DAY = 86_400
OTHER_GUIDE_POOL = 30              # ids other-guide-1..30 of the other live guides


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


def _stream(seed: int, name: str) -> np.random.Generator:
    """An independent random stream per feature, so enabling one feature leaves the others' draws
    (and the data of specs without it) unchanged."""
    return np.random.default_rng([seed, zlib.crc32(name.encode())])


def _segment_combos(sim: SimulationSpec) -> list[tuple[float, dict[str, str], float]]:
    """Every combination of simulated attributes: (share of users, values, retention-lift multiplier)."""
    attrs = SimulationSpec.SEGMENT_ATTRIBUTES
    out = []
    for values in itertools.product(*(list(v.items()) for v in attrs.values())):
        share, mult, combo = 1.0, 1.0, {}
        for attr, (value, p) in zip(attrs, values):
            share *= p
            combo[attr] = value
            mult *= sim.segment_lift.get(attr, {}).get(value, 1.0)
        out.append((share, combo, mult))
    return out


def _effective_lift(lift: float | np.ndarray, mult: float | np.ndarray) -> np.ndarray:
    """A variant's retention lift scaled by the user's segment multiplier (activity stays >= 0)."""
    return np.maximum(np.asarray(lift, dtype=float) * mult, -1.0)


def _support_name(spec: ExperimentSpec) -> str | None:
    return spec.support_event or _event_name_writer(spec).get("support")


def _survey_question(spec: ExperimentSpec, key: str) -> str | None:
    """The question kind of the survey shown to arm ``key`` (first step), or None if no survey."""
    g = spec.guide_for(key)
    if g is None or g.type != "survey":
        return None
    q = g.steps[0].question
    return q.kind if q is not None else None


def simulate(spec: ExperimentSpec, users: int, days: int, out_dir: str | Path, seed: int = 0,
             fmt: str = "parquet") -> SimulationSummary:
    """Write assignments, guide_events, activity, users tables and truth.json into ``out_dir``."""
    if users < 1 or days < 1:
        raise GuidelabError(f"simulate: --users and --days must be >= 1 (got {users}, {days})")
    if fmt not in ("parquet", "csv"):
        raise GuidelabError(f"simulate: format must be parquet or csv, got {clip(fmt)}")
    sim = spec.simulation or _default_simulation(spec)
    rng = np.random.default_rng(seed)
    tz = spec.tz
    names = _event_name_writer(spec)
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    period = spec.over_exposure.period_days

    # Arrivals: uniform days, uniform local time of day; ids stable for a given seed.
    ids = np.array([f"u{seed:03d}-{i:07d}" for i in range(users)], dtype=object)
    arrival_day = np.sort(rng.integers(0, days, size=users))
    seconds = rng.integers(8 * 3600, 23 * 3600, size=users)  # people use products by day
    start_local = dt.datetime.combine(spec.start, dt.time(), tzinfo=tz)
    day_starts_utc = np.array(
        [int((start_local + dt.timedelta(days=int(d))).astimezone(dt.timezone.utc).timestamp())
         for d in range(days + period + 1)]
    )  # per local day, so DST shifts are honoured
    data_end = day_starts_utc[days]  # end of the last local day of data
    assigned_epoch = day_starts_utc[arrival_day] + seconds

    account, account_u = simulated_accounts(spec, sim, users, seed) if spec.clustered else (None, None)
    table = assign_batch(spec, pa.array(ids.tolist(), type=pa.string()),
                         None if account is None else pa.array(account.tolist(), type=pa.string()))
    variant = np.array(table.column("variant").to_pylist(), dtype=object)
    inexp = np.array([v is not None for v in variant])
    ids, arrival_day, assigned_epoch, variant = ids[inexp], arrival_day[inexp], assigned_epoch[inexp], variant[inexp]
    if account is not None and account_u is not None:
        account, account_u = account[inexp], account_u[inexp]
    n = len(ids)
    last_day = days - 1

    # Per-user truth arrays.
    def per_user(attr: str) -> np.ndarray:
        lut = {k: getattr(sim.variants[k], attr) for k in spec.variant_keys}
        return np.array([lut[v] for v in variant], dtype=float)

    has_guide = np.array([spec.guide_for(v) is not None for v in variant])
    steps_of = {k: (len(g.steps) if (g := spec.guide_for(k)) else 0) for k in spec.variant_keys}
    guide_of = {k: (g.id if (g := spec.guide_for(k)) else None) for k in spec.variant_keys}
    question_of = {k: _survey_question(spec, k) for k in spec.variant_keys}
    n_steps = np.array([steps_of[v] for v in variant], dtype=int)
    is_survey = np.array([question_of[v] is not None for v in variant], dtype=bool)
    any_survey = any(q is not None for q in question_of.values())
    novelty = novelty_multiplier(sim, arrival_day)

    shown = has_guide & (rng.random(n) < per_user("shown"))
    opened = shown & (rng.random(n) < np.minimum(1, per_user("open") * novelty))
    clicked = opened & (rng.random(n) < np.minimum(1, per_user("click") * novelty))
    dismissed = shown & ~clicked & (rng.random(n) < per_user("dismiss"))
    u_complete = rng.random(n)

    engaged = rng.random(n) < _account_probability(np.full(n, ENGAGED_SHARE), account_u, sim)
    new_user = rng.random(n) < 0.6
    extra_shown = np.where(shown, rng.poisson(per_user("impressions")), 0)

    # Funnel of tours and checklists (2+ steps): openers go on to each next step with
    # P = step_continue; completion is decided at the last step. One-step guides: given a click.
    fun = _stream(seed, "funnel")
    max_k = int(n_steps.max()) if n else 0
    reach = shown.astype(int)  # last step reached (0 = not shown)
    if max_k >= 2:
        cont = per_user("step_continue")
        alive = opened & (n_steps >= 2)
        for k in range(2, max_k + 1):
            alive = alive & (n_steps >= k) & (fun.random(n) < cont)
            reach = np.where(alive, k, reach)
        step_gaps = np.cumsum(fun.integers(20, 61, size=(n, max_k - 1)), axis=1)  # seconds after step 1
        finish_gap = fun.integers(5, 31, n)
    multi = n_steps >= 2
    completed = np.where(multi, (reach == n_steps) & shown, clicked) & (u_complete < per_user("complete"))

    opt = _stream(seed, "opt_out")
    opted_out = shown & (opt.random(n) < per_user("opt_out"))
    extra_shown = np.where(opted_out, 0, extra_shown)  # "don't show again" is honoured

    srv = _stream(seed, "survey")
    answered = shown & is_survey & (srv.random(n) < per_user("respond"))
    score = np.zeros(n, dtype=int)
    u_score = srv.random(n)
    for k in spec.variant_keys:
        if question_of[k] is not None:
            cdf = np.cumsum(sim.variants[k].nps_distribution)
            mask = variant == k
            score[mask] = np.minimum(np.searchsorted(cdf, u_score[mask], side="right"), 10)

    ge_rows: dict[str, list] = {"user_id": [], "guide_id": [], "step": [], "event": [], "timestamp": []}
    if any_survey:
        ge_rows["value"] = []

    def add_events(idx: np.ndarray, event: str, ts: np.ndarray, step: np.ndarray | int = 1,
                   guide: list | None = None, value: list | None = None) -> None:
        ge_rows["user_id"] += ids[idx].tolist()
        ge_rows["guide_id"] += guide if guide is not None else [guide_of[v] for v in variant[idx]]
        ge_rows["step"] += np.broadcast_to(np.asarray(step), idx.shape).tolist()
        ge_rows["event"] += [names.get(event, event)] * len(idx)
        ge_rows["timestamp"] += np.asarray(ts).tolist()
        if any_survey:
            ge_rows["value"] += value if value is not None else [None] * len(idx)

    offsets = {"shown": 3, "opened": 5, "clicked": 20, "dismissed": 25, "opted_out": 30, "answered": 40,
               "completed": 90}
    jitter = rng.integers(0, 60, n)  # one per user, so each user's events keep their order
    pace = 1 + jitter // 10
    for event, mask in (("shown", shown), ("opened", opened), ("clicked", clicked), ("dismissed", dismissed),
                        ("opted_out", opted_out), ("completed", completed & ~multi)):
        idx = np.flatnonzero(mask)
        add_events(idx, event, assigned_epoch[idx] + offsets[event] * pace[idx],
                   step=n_steps[idx] if event == "completed" else 1)
    if max_k >= 2:  # later steps of a funnel, then completion at the last step
        first = assigned_epoch + offsets["shown"] * pace
        for k in range(2, max_k + 1):
            idx = np.flatnonzero(reach >= k)
            add_events(idx, "shown", first[idx] + step_gaps[idx, k - 2], step=k)
        idx = np.flatnonzero(completed & multi)
        last = first[idx] + step_gaps[idx, n_steps[idx] - 2]
        add_events(idx, "completed", last + finish_gap[idx], step=n_steps[idx])
    idx = np.flatnonzero(answered)
    add_events(idx, "answered", assigned_epoch[idx] + offsets["answered"] * pace[idx],
               value=[int(score[i]) if question_of[variant[i]] == "nps" else None for i in idx])

    # Other live guides (not this experiment's): distinct guides shown in the over-exposure
    # period (local days 0..period-1 after assignment), events after the data's end dropped.
    oth = _stream(seed, "other_guides")
    if sim.other_guides_per_user > 0 and n:
        count = np.minimum(oth.poisson(sim.other_guides_per_user, n), OTHER_GUIDE_POOL)
        who = np.flatnonzero(count > 0)
        order = np.argsort(oth.random((len(who), OTHER_GUIDE_POOL)), axis=1)
        pick = np.arange(OTHER_GUIDE_POOL)[None, :] < count[who][:, None]
        o_user = np.repeat(who, count[who])
        o_guide = order[pick] + 1
        span = day_starts_utc[arrival_day[o_user] + period] - assigned_epoch[o_user]
        o_ts = assigned_epoch[o_user] + 60 + oth.integers(0, np.maximum(span - 60, 1))
        keep = o_ts < data_end
        add_events(o_user[keep], "shown", o_ts[keep],
                   guide=[f"other-guide-{int(g)}" for g in o_guide[keep]])

    # Goal: within the window, on a uniform day, if that day is inside the data.
    goal_hit = rng.random(n) < _account_probability(per_user("goal"), account_u, sim)
    goal_day = rng.integers(0, sim.goal_window_days, size=n)
    goal_ok = goal_hit & (arrival_day + goal_day <= last_day)

    # Segments (users table) drawn up front: they may change the retention lift.
    att = _stream(seed, "attributes")
    attrs_of = SimulationSpec.SEGMENT_ATTRIBUTES
    user_attrs: dict[str, np.ndarray] = {}
    for attr in ("platform", "locale", "plan"):
        (first, share), (second, _) = attrs_of[attr].items()
        user_attrs[attr] = np.where(att.random(n) < share, first, second)
    user_attrs["new_user"] = np.where(new_user, "new", "existing")

    # Activity: day 0 at assignment; day d >= 1 with the engagement mixture around q_d * (1 + lift).
    lift = per_user("retention_lift")
    if sim.segment_lift:
        mult = np.ones(n)
        for attr, by_value in sim.segment_lift.items():
            for value, m in by_value.items():
                mult[user_attrs[attr] == value] *= m
        lift = _effective_lift(lift, mult)
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

    def window_rows(ok: np.ndarray, day: np.ndarray, day0_offset: int, gen: np.random.Generator):
        """Rows of a once-per-user product event (goal, support contact) on its drawn day."""
        idx = np.flatnonzero(ok)
        ts = np.where(day[idx] == 0, assigned_epoch[idx] + day0_offset,
                      day_starts_utc[arrival_day[idx] + day[idx]] + gen.integers(8 * 3600, 22 * 3600, len(idx)))
        return idx, ts

    goal_idx, goal_ts = window_rows(goal_ok, goal_day, 600, rng)
    activity_name = names.get("activity", "session")
    goal_name = spec.goal_event or names.get("goal", "goal")
    product = [(goal_idx, goal_ts, goal_name)]
    support_name = _support_name(spec)
    if support_name is not None:
        sup = _stream(seed, "support")
        sup_hit = sup.random(n) < per_user("support")
        sup_day = sup.integers(0, sim.goal_window_days, size=n)
        sup_idx, sup_ts = window_rows(sup_hit & (arrival_day + sup_day <= last_day), sup_day, 900, sup)
        product.append((sup_idx, sup_ts, support_name))

    # Repeat impressions (the guide shown again later, e.g. on the next page views), none at or
    # after a stop event of the user's guide (frequency.until_goal: its goal_event; stop_events).
    stop_names = {k: set(g.frequency.stop_events_for(g.goal_event)) if (g := spec.guide_for(k)) else set()
                  for k in spec.variant_keys}
    stop_ts = np.full(n, np.iinfo(np.int64).max, dtype=np.int64)
    for p_idx, p_ts, p_name in product:
        stops = np.array([p_name in stop_names[v] for v in variant[p_idx]], dtype=bool)
        np.minimum.at(stop_ts, p_idx[stops], np.asarray(p_ts, dtype=np.int64)[stops])
    rep = np.repeat(np.arange(n), extra_shown)
    if len(rep):
        k = np.concatenate([np.arange(1, c + 1) for c in extra_shown[extra_shown > 0]])
        rep_ts = assigned_epoch[rep] + 120 + k * 300
        keep = rep_ts < stop_ts[rep]
        add_events(rep[keep], "shown", rep_ts[keep])
    activity = {
        "user_id": np.concatenate([ids[act_idx], *(ids[i] for i, _, _ in product)]).tolist(),
        "timestamp": np.concatenate([act_ts, *(t for _, t, _ in product)]).tolist(),
        "event": [activity_name] * len(act_idx) + [e for i, _, name in product for e in [name] * len(i)],
    }

    # Users: signup before or at assignment; segments for later analyses.
    signup_epoch = np.where(new_user, assigned_epoch - rng.integers(60, 3600, n),
                            assigned_epoch - rng.integers(2, 400, n) * SECONDS_PER_DAY)
    users_tbl = {
        "user_id": ids.tolist(),
        "signup_at": signup_epoch.tolist(),
        "platform": user_attrs["platform"].tolist(),
        "locale": user_attrs["locale"].tolist(),
        "plan": user_attrs["plan"].tolist(),
    }
    assignments = {
        "user_id": ids.tolist(),
        "experiment": [spec.id] * n,
        "variant": variant.tolist(),
        "assigned_at": assigned_epoch.tolist(),
    }
    if account is not None:  # the SDK's tracking callback logs the hash attribute with the assignment
        assignments[spec.unit] = account.tolist()

    tables = {
        "assignments": _to_table(assignments, ["assigned_at"], sort=("assigned_at", "user_id")),
        "guide_events": _to_table(ge_rows, ["timestamp"], sort=("timestamp", "user_id", "event", "guide_id", "step")),
        "activity": _to_table(activity, ["timestamp"], sort=("timestamp", "user_id", "event")),
        "users": _to_table(users_tbl, ["signup_at"], sort=("user_id",)),
    }
    files = {}
    for name, tbl in tables.items():
        _write_table(tbl, out / f"{name}.{fmt}", spec.timezone)
        files[name] = tbl.num_rows
    truth = expected_truth(spec, sim, arrival_day_distribution=np.bincount(arrival_day, minlength=days) / max(n, 1))
    atomic_write_bytes(out / "truth.json", json.dumps(
        {"experiment": spec.id, "seed": seed, "users": users, "days": days,
         "start": spec.start.isoformat(), "as_of": (spec.start + dt.timedelta(days=last_day)).isoformat(),
         **truth}, indent=2, ensure_ascii=False, sort_keys=True).encode())
    return SimulationSummary(out, users, n, days, files)


#: The day counts of the ``<family>_d<N>`` metrics whose truth ``truth.json`` gives.
TRUTH_DAYS = (1, 7, 14, 30)


def truth_metric_names() -> list[str]:
    """The metrics ``truth.json`` can give, read from the metric registry: every fixed name and
    every ``<family>_d<N>`` family at :data:`TRUTH_DAYS` (in range), quantile metrics left out. The formulas below give the
    built-in ones (a test checks every built-in entry has one); a metric without a formula
    under the simulation model is left out."""
    names = []
    for e in registry_entries():
        if e.kind == "quantile":  # percentiles of a time to an event: no truth under the model (yet)
            continue
        if e.name is not None:
            names.append(e.name)
        else:
            names += [f"{e.family}_d{d}" for d in TRUTH_DAYS if e.days[0] <= d <= e.days[1]]  # type: ignore[index]
    return names


def _activity_truth(sim: SimulationSpec, t: VariantTruth, lift: float, support: float) -> dict[str, float]:
    """Expected activity metrics of users with retention lift ``lift`` (engagement mixture exact).

    Goal and support-contact rows are activity rows too: they make a day active and count as
    sessions, independently of the engagement class.
    """
    w = sim.goal_window_days

    def q_mix(d: int) -> float:  # the mixture's P(active on day d), as simulated (clipping included)
        q_eng, q_cas = class_activity(sim, d, lift)
        return float(ENGAGED_SHARE * q_eng + (1 - ENGAGED_SHARE) * q_cas)

    def active(d: int) -> float:
        g, s = (t.goal / w, support / w) if d < w else (0.0, 0.0)
        return 1 - (1 - q_mix(d)) * (1 - g) * (1 - s)

    row: dict[str, float] = {}
    for d in TRUTH_DAYS:
        in_window = min(d, w) / w
        row[f"retention_d{d}"] = active(d)
        # Sessions on days 0..d-1: day 0 is active by construction; goal and support rows are
        # sessions too. Engagement drives both activity and sessions per day: average per class.
        sessions = 0.0
        for share, factor, cls in ((ENGAGED_SHARE, SESSION_ENGAGED_FACTOR, 0), (1 - ENGAGED_SHARE, SESSION_CASUAL_FACTOR, 1)):
            per_day = 1 + (sim.sessions_per_active_day - 1) * (1 + t.sessions_lift) * factor
            days_active = 1 + sum(float(class_activity(sim, k, lift)[cls]) for k in range(1, d))
            sessions += share * per_day * days_active
        row[f"sessions_d{d}"] = sessions + (t.goal + support) * in_window
        row[f"active_days_d{d}"] = sum(active(k) for k in range(1, d + 1))
    return row


def _expected_repeats(spec: ExperimentSpec, sim: SimulationSpec, key: str, support: float) -> float:
    """Expected repeat impressions of arm ``key``'s guide per shown user, with its stop rules.

    Repeats number X ~ Poisson(impressions) at 120 + 300 k seconds after assignment (k = 1..X).
    A stop event ends them: the goal on day 0 lands at +600 s (P = goal / goal_window_days) and
    stops repeats k >= 2; a support contact on day 0 at +900 s stops repeats k >= 3. Goal and
    support are drawn independently of the guide's events, so
    E[kept] = lam - p_goal P(X >= 2) - P(goal or support on day 0) E[(X - 2)+]."""
    lam = sim.variants[key].impressions
    guide = spec.guide_for(key)
    if guide is None:
        return lam
    stops = set(guide.frequency.stop_events_for(guide.goal_event))
    goal_name = spec.goal_event or _event_name_writer(spec).get("goal", "goal")
    support_name = _support_name(spec)
    p_goal = sim.variants[key].goal / sim.goal_window_days if goal_name in stops else 0.0
    p_support = support / sim.goal_window_days if support_name is not None and support_name in stops else 0.0
    if p_goal == 0 and p_support == 0:
        return lam
    p0, p1 = math.exp(-lam), lam * math.exp(-lam)
    at_least_2 = 1 - p0 - p1
    beyond_2 = lam - 2 + 2 * p0 + p1  # E[(X - 2)+]
    p_either = 1 - (1 - p_goal) * (1 - p_support)
    return lam - p_goal * at_least_2 - p_either * beyond_2


def _poisson_tail(mean: float, at_least: int, cap: int) -> float:
    """P(min(X, cap) >= at_least) for X ~ Poisson(mean)."""
    if at_least <= 0:
        return 1.0
    if at_least > cap:
        return 0.0
    pmf, cdf = math.exp(-mean), 0.0
    for k in range(at_least):
        cdf += pmf
        pmf *= mean / (k + 1)
    return max(0.0, 1.0 - cdf)


def expected_truth(spec: ExperimentSpec, sim: SimulationSpec, arrival_day_distribution: np.ndarray) -> dict:
    """The truth.json content: ``expected`` (every catalogue metric per variant), ``funnel``
    (reach per step and completion, shares of assigned users, for arms with a guide), ``nps``
    (arms with an NPS survey) and ``segments`` (retention per attribute value and variant)."""
    days = np.arange(len(arrival_day_distribution))
    m = novelty_multiplier(sim, days)
    w = arrival_day_distribution
    combos = _segment_combos(sim)
    support_on = _support_name(spec) is not None
    max_guides = spec.over_exposure.max_guides
    others = sim.other_guides_per_user
    expected: dict[str, dict[str, float]] = {}
    funnel: dict[str, dict] = {}
    nps: dict[str, dict[str, float]] = {}
    segments: dict[str, dict[str, dict[str, dict[str, float]]]] = {
        attr: {value: {} for value in values} for attr, values in SimulationSpec.SEGMENT_ATTRIBUTES.items()}
    for key in spec.variant_keys:
        t = sim.variants[key]
        guide = spec.guide_for(key)
        g = guide is not None
        k_steps = len(guide.steps) if guide is not None else 0
        shown = t.shown if g else 0.0
        p_open = float(np.sum(w * np.minimum(1, t.open * m)))
        p_open_click = float(np.sum(w * np.minimum(1, t.open * m) * np.minimum(1, t.click * m)))
        opened = shown * p_open
        clicked = shown * p_open_click
        reached = [shown] + [opened * t.step_continue ** (k - 1) for k in range(2, k_steps + 1)]
        completed = (reached[-1] if k_steps >= 2 else clicked) * t.complete
        question = _survey_question(spec, key)
        support = t.support if support_on else 0.0
        row = {
            "shown": shown,
            "opened": opened,
            "clicked": clicked,
            "dismissed": t.dismiss * (shown - clicked),
            "completed": completed,
            "opted_out": shown * t.opt_out,
            "answered": shown * t.respond if question is not None else 0.0,
            "click_through": (p_open_click / p_open) if p_open > 0 else 0.0,
            # own guide (if shown) + distinct other guides (Poisson, capped at the pool) > max
            "over_exposed": shown * _poisson_tail(others, max_guides, OTHER_GUIDE_POOL)
            + (1 - shown) * _poisson_tail(others, max_guides + 1, OTHER_GUIDE_POOL),
        }
        # Impressions: first-step shows and their repeats (none after an opt-out); later tour steps are not impressions.
        impressions = shown * (1 + _expected_repeats(spec, sim, key, support) * (1 - t.opt_out))
        row["clicks_per_impression"] = clicked / impressions if shown > 0 else 0.0
        for d in TRUTH_DAYS:
            row[f"goal_d{d}"] = t.goal * min(d, sim.goal_window_days) / sim.goal_window_days
            row[f"support_d{d}"] = support * min(d, sim.goal_window_days) / sim.goal_window_days
        by_lift: dict[float, dict[str, float]] = {}
        for _share, _combo, mult in combos:
            lift = float(_effective_lift(t.retention_lift, mult))
            if lift not in by_lift:
                by_lift[lift] = _activity_truth(sim, t, lift, support)
        act_keys = list(next(iter(by_lift.values())))
        for name in act_keys:
            row[name] = sum(share * by_lift[float(_effective_lift(t.retention_lift, mult))][name]
                            for share, _, mult in combos)
        for attr, values in SimulationSpec.SEGMENT_ATTRIBUTES.items():
            for value in values:
                sel = [(share, mult) for share, combo, mult in combos if combo[attr] == value]
                total = sum(s for s, _ in sel)
                segments[attr][value][key] = {
                    f"retention_d{d}": round(sum(s * by_lift[float(_effective_lift(t.retention_lift, mu))][
                        f"retention_d{d}"] for s, mu in sel) / total, 10) for d in TRUTH_DAYS}
        expected[key] = {name: round(row[name], 10) for name in truth_metric_names() if name in row}
        if g:
            funnel[key] = {"reached": [round(r, 10) for r in reached], "completed": round(completed, 10)}
        if question == "nps":
            p = t.nps_distribution
            nps[key] = {"nps": round(sum(p[9:]) - sum(p[:7]), 10), "response_rate": round(t.respond, 10)}
    return {"expected": expected, "funnel": funnel, "nps": nps, "segments": segments}


def simulated_accounts(spec: ExperimentSpec, sim: SimulationSpec, users: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """(account id per user, the account's latent uniform per user) for a spec randomised by account.

    Sizes: :func:`guidelab.stats.cluster.draw_account_sizes` (log-normal, ``sim.accounts``), drawn
    until they hold ``users`` (the last account cut to fit); users are dealt to accounts in
    order, after a seeded shuffle, so accounts mix arrival days. Each account has one uniform
    u_k: its users' goal and engagement probabilities are Beta quantiles at u_k
    (:func:`_account_probability`), which makes them correlated within the account.
    """
    return draw_simulated_accounts(sim.accounts, users, seed)


def draw_simulated_accounts(acc: AccountSimulationSpec, users: int, seed: int,
                            stream: str = "accounts") -> tuple[np.ndarray, np.ndarray]:
    """The accounts of :func:`simulated_accounts` from the account settings alone (also the
    programme simulator's, with its own random stream)."""
    from .stats.cluster import draw_account_sizes

    gen = _stream(seed, stream)
    sizes: list[int] = []
    total = 0
    while total < users:
        batch = draw_account_sizes(gen, max(16, users // max(int(acc.median_users), 1)), median=acc.median_users,
                                   sigma=acc.sigma, max_size=acc.max_users)
        for k in batch.tolist():
            sizes.append(min(int(k), users - total))
            total += sizes[-1]
            if total >= users:
                break
    of_user = np.repeat(np.arange(len(sizes)), sizes)
    of_user = of_user[gen.permutation(users)]
    u = gen.random(len(sizes))
    ids = np.array([f"acct{seed:03d}-{k:05d}" for k in range(len(sizes))], dtype=object)
    return ids[of_user], u[of_user]


def _account_probability(p: np.ndarray, account_u: np.ndarray | None, sim: "SimulationSpec | float") -> np.ndarray:
    """Per-user probabilities ``p`` (users randomised: unchanged), or by account the quantile at the
    account's u_k of Beta(p·φ, (1-p)·φ), φ = (1 - icc)/icc: its mean is p (the truth is unchanged)
    and two users of one account then share their rate, so their 0/1 outcomes have ICC ``icc``."""
    if account_u is None:
        return p
    from scipy.stats import beta

    icc = sim if isinstance(sim, float) else sim.accounts.icc
    phi = (1.0 - icc) / icc
    q = np.clip(p, 1e-9, 1 - 1e-9)
    out = beta.ppf(account_u, q * phi, (1.0 - q) * phi)
    return np.where((p <= 0) | (p >= 1), p, out)


def _to_table(cols: dict[str, list], epoch_cols: list[str], sort: tuple[str, ...]) -> pa.Table:
    arrays = {}
    for name, values in cols.items():
        if name in epoch_cols:
            arrays[name] = pa.array(np.asarray(values, dtype="int64") * 1_000_000, type=pa.timestamp("us", tz="UTC"))
        elif name in ("step", "value"):
            arrays[name] = pa.array(values, type=pa.int32())
        else:
            arrays[name] = pa.array(values, type=pa.string())
    tbl = pa.table(arrays)
    return tbl.sort_by([(c, "ascending") for c in sort])


def _write_table(tbl: pa.Table, path: Path, timezone: str) -> None:
    """Write Parquet (UTC instants) or CSV (ISO 8601 with the experiment zone's offset), atomically."""
    tmp = path.with_name(f".{path.name}.tmp")
    if path.suffix == ".parquet":
        pq.write_table(tbl, tmp, compression="zstd", compression_level=19)
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


# ------------------------------------------------------------------------------ the programme


def _icc(sim: "ProgrammeSimulation") -> float:
    return float((sim.accounts or AccountSimulationSpec()).icc)


def simulate_programme(programme: "ProgrammeSpec", specs: list[ExperimentSpec], users: int, out_dir: str | Path,
                       seed: int = 0, fmt: str = "parquet") -> SimulationSummary:
    """One population across every experiment of the programme, holdout included: the data the
    programme report and the interaction check read (``data/README.md``, "The programme folder").

    Users arrive uniformly over the programme's days (``start`` to the last experiment's end). A
    user reaches each experiment running on their arrival day with probability
    ``simulation.reach``; users reaching at least one get a programme assignment row
    (``experiment = <programme id>``, arm ``holdout`` or ``programme`` by the real hash), and,
    unless held out, a row per experiment reached in the arm the real hash gives
    (:func:`guidelab.abtest.assign_batch` with the programme). Guide events follow each arm's
    ``simulation`` truth of its spec (shown, opened, clicked, dismissed, completed, answered);
    a declared ``interactions`` entry multiplies the click and answer probabilities of one arm
    for users in a given arm of another experiment. Daily activity for 30 days after arrival
    follows the programme's retention curve (engaged/casual mixture as in :func:`simulate`),
    lifted by the product of ``1 + retention_lift`` of the user's guide arms; the goal event
    (the programme's ``goal_event``) within ``goal_window_days`` has probability ``goal`` times
    the product of each guide arm's goal probability over its control's. Holdout users and
    users in control arms only follow the programme's baseline.

    A programme holding out accounts (``unit: account_id``) deals the users to accounts
    (``simulation.accounts``: log-normal sizes, as :func:`simulate` does for an experiment), holds
    out whole accounts by the real hash, makes goal and engagement correlated within an account
    (Beta account rates with the given ICC, the means unchanged) and writes the account column on
    every assignment row; experiments randomised by the same attribute are assigned by it.
    """
    from .programme import HOLDOUT_ARM, PROGRAMME_ARM, ProgrammeSimulation, in_holdout_batch

    if users < 1:
        raise GuidelabError(f"simulate-programme: --users must be >= 1 (got {users})")
    if fmt not in ("parquet", "csv"):
        raise GuidelabError(f"simulate-programme: format must be parquet or csv, got {clip(fmt)}")
    sim = programme.simulation or ProgrammeSimulation()
    specs = [s for s in specs if programme.applies_to(s)]
    rng = np.random.default_rng(seed)
    tz = programme.tz
    last = max([s.end or (s.start + dt.timedelta(days=27)) for s in specs] or [programme.start])
    days = (last - programme.start).days + 1
    horizon = 31
    ids = np.array([f"p{seed:03d}-{i:07d}" for i in range(users)], dtype=object)
    id_arr = pa.array(ids.tolist(), type=pa.string())
    arrival_day = np.sort(rng.integers(0, days, size=users))
    seconds = rng.integers(8 * 3600, 22 * 3600, size=users)
    start_local = dt.datetime.combine(programme.start, dt.time(), tzinfo=tz)
    day_starts = np.array([int((start_local + dt.timedelta(days=d)).astimezone(dt.timezone.utc).timestamp())
                           for d in range(days + horizon + 1)])
    arrival = day_starts[arrival_day] + seconds
    arrival_date = np.array([programme.start + dt.timedelta(days=int(d)) for d in arrival_day])
    account: np.ndarray | None = None
    account_u: np.ndarray | None = None
    account_arr: pa.Array | None = None
    if programme.clustered:  # whole accounts held out: users dealt to accounts, outcomes correlated within them
        acc_sim = sim.accounts or AccountSimulationSpec()
        account, account_u = draw_simulated_accounts(acc_sim, users, seed, stream="programme-accounts")
        account_arr = pa.array(account.tolist(), type=pa.string())
    held = in_holdout_batch(programme, id_arr if account_arr is None else account_arr)

    reached_any = np.zeros(users, dtype=bool)
    retention_factor = np.ones(users)
    goal_factor = np.ones(users)
    arms: dict[str, np.ndarray] = {}
    a_rows: dict[str, list] = {"user_id": [], "experiment": [], "variant": [], "assigned_at": []}
    g_rows: dict[str, list] = {"user_id": [], "guide_id": [], "event": [], "timestamp": [], "step": [], "value": []}
    reach_rng = _stream(seed, "programme-reach")
    for spec in sorted(specs, key=lambda s: s.id):
        running = np.array([spec.start <= d <= (spec.end or last) for d in arrival_date])
        reached = running & (reach_rng.random(users) < sim.reach)
        reached_any |= reached
        if spec.clustered and (not programme.clustered or spec.unit != programme.unit):
            raise GuidelabError(f"simulate-programme: {spec.id} is randomised by {spec.unit}; the simulator deals users "
                                f"to accounts only for a programme with unit: {spec.unit}")
        if spec.clustered:
            table = assign_batch(spec, id_arr, account_arr, programme=programme)
        else:
            table = assign_batch(spec, id_arr, programme=programme,
                                 programme_unit_ids=account_arr if programme.clustered else None)
        variant = np.array(table.column("variant").to_pylist(), dtype=object)
        variant[~reached] = None
        arms[spec.id] = variant
        truth = (spec.simulation or _default_simulation(spec)).variants
        control = truth[spec.control_key]
        for key in spec.variant_keys:
            who = np.flatnonzero(variant == key)
            a_rows["user_id"] += ids[who].tolist()
            a_rows["experiment"] += [spec.id] * len(who)
            a_rows["variant"] += [key] * len(who)
            a_rows["assigned_at"] += (arrival[who] + 1).tolist()
            guide = spec.guide_for(key)
            if guide is None:
                continue
            t = truth[key]
            retention_factor[who] *= 1 + t.retention_lift
            if control.goal > 0:
                goal_factor[who] *= t.goal / control.goal
    # guide events after every arm is known (interactions read the other experiment's arm)
    ev_rng = _stream(seed, "programme-guide-events")
    for spec in sorted(specs, key=lambda s: s.id):
        truth = (spec.simulation or _default_simulation(spec)).variants
        for key in spec.variant_keys:
            guide = spec.guide_for(key)
            who = np.flatnonzero(arms[spec.id] == key)
            if guide is None or not len(who):
                continue
            t = truth[key]
            mult = np.ones(len(who))
            for inter in sim.interactions:
                if inter.experiments[0] == spec.id and inter.arms[0] == key and inter.experiments[1] in arms:
                    mult *= np.where(arms[inter.experiments[1]][who] == inter.arms[1], inter.multiplier, 1.0)
            t0 = arrival[who] + 60
            shown = ev_rng.random(len(who)) < t.shown
            opened = shown & (ev_rng.random(len(who)) < t.open)
            clicked = opened & (ev_rng.random(len(who)) < np.minimum(1.0, t.click * mult))
            dismissed = shown & ~clicked & (ev_rng.random(len(who)) < t.dismiss)
            completed = clicked & (ev_rng.random(len(who)) < t.complete)
            survey = guide.type == "survey"
            answered = shown & survey & (ev_rng.random(len(who)) < np.minimum(1.0, t.respond * mult))
            scores = ev_rng.choice(11, size=len(who), p=np.array(t.nps_distribution) / sum(t.nps_distribution))
            for event, mask, offset in (("shown", shown, 0), ("opened", opened, 5), ("clicked", clicked, 10),
                                        ("dismissed", dismissed, 15), ("completed", completed, 20),
                                        ("answered", answered, 25)):
                idx = np.flatnonzero(mask)
                g_rows["user_id"] += ids[who[idx]].tolist()
                g_rows["guide_id"] += [guide.id] * len(idx)
                g_rows["event"] += [event] * len(idx)
                g_rows["timestamp"] += (t0[idx] + offset).tolist()
                g_rows["step"] += [len(guide.steps) if event == "completed" else 1] * len(idx)
                g_rows["value"] += scores[idx].tolist() if event == "answered" else [None] * len(idx)

    # the programme arm of every user who reached an experiment (the programme feature's tracking)
    who = np.flatnonzero(reached_any)
    a_rows["user_id"] += ids[who].tolist()
    a_rows["experiment"] += [programme.id] * len(who)
    a_rows["variant"] += [HOLDOUT_ARM if h else PROGRAMME_ARM for h in held[who]]
    a_rows["assigned_at"] += arrival[who].tolist()
    if account is not None:  # the SDK's tracking callback logs the hash attribute with each assignment
        user_index = {u: i for i, u in enumerate(ids.tolist())}
        a_rows[programme.unit] = [account[user_index[u]] for u in a_rows["user_id"]]

    # activity: day 0 (the arrival) and days 1..30, engaged/casual mixture, lifted per user
    act_rng = _stream(seed, "programme-activity")
    engaged = act_rng.random(users) < _account_probability(np.full(users, ENGAGED_SHARE), account_u, _icc(sim))
    act: dict[str, list] = {"user_id": [], "timestamp": [], "event": []}
    act["user_id"] += ids.tolist()
    act["timestamp"] += arrival.tolist()
    act["event"] += ["session"] * users
    for d in range(1, horizon):
        q = float(retention_probability(sim.retention, d)) * retention_factor
        q_eng = np.minimum(1.0, q * ENGAGED_FACTOR)
        q_cas = np.clip((q - ENGAGED_SHARE * q_eng) / (1 - ENGAGED_SHARE), 0, 1)
        active = act_rng.random(users) < np.where(engaged, q_eng, q_cas)
        idx = np.flatnonzero(active)
        act["user_id"] += ids[idx].tolist()
        act["timestamp"] += (day_starts[arrival_day[idx] + d] + act_rng.integers(8 * 3600, 22 * 3600, len(idx))).tolist()
        act["event"] += ["session"] * len(idx)
    if programme.goal_event:
        goal = act_rng.random(users) < _account_probability(np.minimum(1.0, sim.goal * goal_factor), account_u, _icc(sim))
        gday = act_rng.integers(0, sim.goal_window_days, users)
        idx = np.flatnonzero(goal)
        act["user_id"] += ids[idx].tolist()
        act["timestamp"] += np.maximum(arrival[idx] + 120, day_starts[arrival_day[idx] + gday[idx]] + 12 * 3600).tolist()
        act["event"] += [programme.goal_event] * len(idx)

    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    suffix = ".parquet" if fmt == "parquet" else ".csv"
    tables = {
        "assignments": _to_table(a_rows, ["assigned_at"], ("experiment", "assigned_at", "user_id")),
        "guide_events": _to_table(g_rows, ["timestamp"], ("timestamp", "user_id", "guide_id", "event")),
        "activity": _to_table(act, ["timestamp"], ("timestamp", "user_id", "event")),
    }
    files = {}
    for name, tbl in tables.items():
        _write_table(tbl, out / f"{name}{suffix}", programme.timezone)
        files[name] = tbl.num_rows
    truth = {"programme": programme.id, "users": users, "seed": seed, "holdout_share": programme.holdout.share,
             "reach": sim.reach, "interactions": [i.model_dump(mode="json") for i in sim.interactions]}
    if account is not None:
        truth.update(unit=programme.unit, accounts=int(len(set(account.tolist()))),
                     account_simulation=(sim.accounts or AccountSimulationSpec()).model_dump(mode="json"))
    atomic_write_bytes(out / "truth.json", (json.dumps(truth, indent=2, sort_keys=True) + "\n").encode())
    return SimulationSummary(out, users, int(reached_any.sum()), days, files)
