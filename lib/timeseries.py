"""Per-day SQL reductions over ``exp_users``: retention curves and time-to-goal life tables.

Run after :func:`guidelab.metrics.build_user_table`. Only counts per variant and day leave
SQL: users whose day d is complete (the curve's denominator), users active on day d, and, for
time to goal, users reaching the goal on day d or leaving observation (censored) after day d.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from .daybits import has_day
from .events import EventData
from .experiment import ExperimentSpec
from .ledger import activity_day_words


@dataclass(frozen=True)
class CurveCounts:
    """Per variant: day -> (users whose day is complete, users active that day)."""

    by_variant: dict[str, dict[int, tuple[int, int]]]


@dataclass(frozen=True)
class LifeCounts:
    """Per variant: sorted (day, users at risk at the start of the day, users with the goal that day)."""

    by_variant: dict[str, list[tuple[int, int, int]]]

    def tables(self) -> dict[str, Any]:
        """Per variant with users: its :class:`guidelab.stats.survival.LifeTable`."""
        from .stats.survival import LifeTable

        return {v: LifeTable(tuple(t for t, _, _ in rows), tuple(r for _, r, _ in rows), tuple(e for _, _, e in rows))
                for v, rows in self.by_variant.items() if rows}


def retention_curve_counts(ed: EventData, spec: ExperimentSpec, as_of: dt.date, horizon: int = 30) -> CurveCounts:
    """Matured users and active users for days 0..horizon, per variant (day 0 = assignment day)."""
    con = ed.con
    horizon = int(horizon)
    matured = con.execute(  # users per arm and observed days (capped at the horizon), then summed per day
        f"""WITH o AS (SELECT variant, least(observed_days, {horizon}) AS observed, count(*) AS n
                       FROM exp_users WHERE observed_days >= 0 GROUP BY ALL)
            SELECT o.variant, d.range AS day, CAST(sum(o.n) AS BIGINT) AS n
            FROM o, range(0, {horizon + 1}) d
            WHERE o.observed >= d.range GROUP BY ALL""").fetchall()
    # active users per day: the day bits of each user's activity (guidelab.ledger.classify_activity),
    # counted per arm among the users whose day is complete
    words = activity_day_words(ed)
    sums = ", ".join(f"CAST(sum(CASE WHEN u.observed_days >= {d} AND {has_day('u._gl_days', words, d)} THEN 1 ELSE 0 END) "
                     f"AS BIGINT)" for d in range(horizon + 1))
    per_arm = con.execute(f"SELECT u.variant, {sums} FROM exp_users u GROUP BY u.variant").fetchall()
    active = [(row[0], d, n) for row in per_arm for d, n in enumerate(row[1:]) if n]
    out: dict[str, dict[int, tuple[int, int]]] = {k: {} for k in spec.variant_keys}
    act = {(v, int(d)): int(c) for v, d, c in active}
    for v, d, n in matured:
        out[v][int(d)] = (int(n), act.get((v, int(d)), 0))
    return CurveCounts({k: dict(sorted(v.items())) for k, v in out.items()})


#: Each user's day of leaving the time-to-goal observation (the goal's day, else the last observed
#: day) and whether it was the goal, over ``exp_users`` (also summed per account: guidelab.account_breakdowns).
GOAL_TIME_SQL = "CASE WHEN first_goal_day IS NOT NULL THEN first_goal_day ELSE observed_days END"
GOAL_EVENT_SQL = "first_goal_day IS NOT NULL"


def goal_life_counts(ed: EventData, spec: ExperimentSpec) -> LifeCounts:
    """Time to the goal event in days: a life table per variant (censored at the analysis date)."""
    rows = ed.con.execute(
        f"""SELECT variant, {GOAL_TIME_SQL} AS t, {GOAL_EVENT_SQL} AS event, count(*)
           FROM exp_users WHERE observed_days >= 0 GROUP BY ALL""").fetchall()
    out: dict[str, list[tuple[int, int, int]]] = {}
    for key in spec.variant_keys:
        durations = sorted({int(t) for v, t, _, _ in rows if v == key})
        at_risk_total = sum(int(c) for v, _, _, c in rows if v == key)
        table = []
        leaving = 0
        for t in durations:
            at_risk = at_risk_total - leaving
            events = sum(int(c) for v, tt, e, c in rows if v == key and int(tt) == t and e)
            gone = sum(int(c) for v, tt, _, c in rows if v == key and int(tt) == t)
            table.append((t, at_risk, events))
            leaving += gone
        out[key] = table
    return LifeCounts(out)
