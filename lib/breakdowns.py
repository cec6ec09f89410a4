"""Breakdowns in SQL over ``exp_users``: by assignment day, by segment, by tour step, by score.

Run after :func:`guidelab.metrics.build_user_table`; like the metrics, only counts per
variant (and day, segment, step or score) leave SQL.
"""
from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from .catalog import MetricDef
from .events import DataCheck, EventData
from .experiment import ExperimentSpec
from .metrics import event_map_sql, metric_counts_sql
from .values import sql_identifier

NEW_USER = "new_user"  # derived segment: signed up within 24 hours before assignment
_COLUMN = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,63}$")


@dataclass(frozen=True)
class FunnelCounts:
    guide: str
    steps: list[str]
    entered: int            # users assigned to the variant
    reached: list[int]      # users with a 'shown' event at each step
    completed: int
    seconds_sum: float = 0.0     # time from first shown to completed, over users who completed
    seconds_sum_sq: float = 0.0
    timed: int = 0               # users with both a first 'shown' and a 'completed'
    completed_before_shown: int = 0  # users whose 'completed' precedes their first 'shown' (negative time: not timed)


def daily_counts(ed: EventData, spec: ExperimentSpec, metric: MetricDef) -> dict[str, list[tuple[dt.date, int, int]]]:
    """Per variant and local assignment day: (day, eligible users, successes) of a proportion metric."""
    eligible, value = metric_counts_sql(metric, spec)
    rows = ed.con.execute(
        f"SELECT variant, assigned_day, count(*), sum({value}) FROM exp_users WHERE {eligible} "
        "GROUP BY ALL ORDER BY 2").fetchall()
    out: dict[str, list[tuple[dt.date, int, int]]] = {k: [] for k in spec.variant_keys}
    for v, day, n, s in rows:
        out[v].append((day, int(n), int(s or 0)))
    return out


def require_segments(ed: EventData, spec: ExperimentSpec) -> list[DataCheck]:
    """A segment named in the spec must be a column of the users table (``new_user``: ``signup_at``).

    A users table without the column is an error naming it; no users table at all (it is
    optional) gives a warning that the spec's segments cannot be shown.
    """
    from .errors import DataError

    if not spec.segments:
        return []
    if not ed.has("users"):
        return [DataCheck.of("segments_unavailable", False, "warn", segments=", ".join(spec.segments))]
    cols = {r[0] for r in ed.con.execute("DESCRIBE users").fetchall()}
    for attribute in spec.segments:
        column = attribute_column(attribute)
        if column not in cols:
            shown = ", ".join(sorted(c[:60] for c in cols)[:20])
            raise DataError(ed.sources["users"], column,
                            f"column not found for the spec's segment {attribute!r}: the users table has {shown}")
    return []


USER_ATTRIBUTE_PREFIX = "_gl_attr_"
"""``exp_users`` carries the users-table columns that the spec's segments and strata read, each as
``_gl_attr_<column>`` (joined once when it is built: :func:`guidelab.metrics.build_user_table`)."""


def attribute_column(attribute: str) -> str:
    """The users-table column a segment or stratum attribute reads (``new_user``: ``signup_at``)."""
    return "signup_at" if attribute == NEW_USER else attribute


def user_attribute_columns(ed: EventData, spec: ExperimentSpec) -> list[str]:
    """The users-table columns that ``exp_users`` carries: those of ``segments`` and
    ``statistics.adjust_for`` that the users table has (a missing one is
    :func:`require_segments`' error), in the spec's order, each once."""
    if not ed.has("users"):
        return []
    cols = {r[0] for r in ed.con.execute("DESCRIBE users").fetchall()}
    wanted = [attribute_column(a) for a in [*spec.segments, *spec.statistics.adjust_for] if _COLUMN.match(a)]
    return [c for c in dict.fromkeys(wanted) if c in cols]


def attribute_value_sql(attribute: str) -> str:
    """SQL: a user's value of a segment or stratum attribute as text, over ``e`` (exp_users,
    which carries the column: :data:`USER_ATTRIBUTE_PREFIX`); NULL without a users row.
    ``new_user``: signed up within 24 hours before the assignment (hours, not a calendar day:
    exact in any time zone, and DuckDB subtracts them from an instant without its calendar, 3x faster)."""
    if attribute == NEW_USER:
        signup = "e." + sql_identifier(USER_ATTRIBUTE_PREFIX + "signup_at")
        return (f"CASE WHEN {signup} IS NULL THEN NULL WHEN {signup} >= e.assigned_at - INTERVAL 24 HOUR "
                "THEN 'new' ELSE 'existing' END")
    return f"CAST(e.{sql_identifier(USER_ATTRIBUTE_PREFIX + attribute)} AS VARCHAR)"


def segment_sql(ed: EventData, attribute: str) -> str | None:
    """SQL: a user's segment value as text, over ``e`` (:func:`users_with_attribute_sql`); None
    when the users table lacks the attribute's column (``new_user``: ``signup_at``)."""
    if not _COLUMN.match(attribute) or not ed.has("users"):
        return None
    if attribute_column(attribute) not in {r[0] for r in ed.con.execute("DESCRIBE users").fetchall()}:
        return None
    return attribute_value_sql(attribute)


def users_with_attribute_sql(ed: EventData, attribute: str) -> str:
    """SQL: ``exp_users``, with the attribute's users column (:data:`USER_ATTRIBUTE_PREFIX`). It
    carries those of the spec's segments and strata; another (a notebook's own breakdown) is joined."""
    column = USER_ATTRIBUTE_PREFIX + attribute_column(attribute)
    if column in {r[0] for r in ed.con.execute("DESCRIBE exp_users").fetchall()}:
        return "exp_users"
    return (f"(SELECT e.*, s.{sql_identifier(attribute_column(attribute))} AS {sql_identifier(column)} "
            "FROM exp_users e LEFT JOIN exp_user_attrs s ON s._gl_uk = e.uk)")


def segment_counts(ed: EventData, spec: ExperimentSpec, metric: MetricDef,
                   attribute: str) -> dict[str, dict[str, tuple[int, int]]] | None:
    """Per segment value and variant: (eligible users, successes). None when the attribute is absent."""
    seg = segment_sql(ed, attribute)
    if seg is None:
        return None
    eligible, value = metric_counts_sql(metric, spec)
    rows = ed.con.execute(
        f"""SELECT {seg} AS segment, e.variant, count(*), sum({value})
            FROM {users_with_attribute_sql(ed, attribute)} e WHERE {eligible} GROUP BY ALL""").fetchall()
    out: dict[str, dict[str, tuple[int, int]]] = {}
    for segment, v, n, s in rows:
        if segment is None:
            continue
        out.setdefault(str(segment), {})[v] = (int(n), int(s or 0))
    return dict(sorted(out.items()))


def funnel_counts(ed: EventData, spec: ExperimentSpec, as_of: dt.date) -> dict[str, FunnelCounts]:
    """Users reaching each step of each multi-step guide (tour, checklist), per variant."""
    if "step" not in {r[0] for r in ed.con.execute("DESCRIBE guide_events").fetchall()}:
        return {}
    out: dict[str, FunnelCounts] = {}
    for key in spec.variant_keys:
        guide = spec.guide_for(key)
        if guide is None or len(guide.steps) < 2:
            continue
        k = len(guide.steps)
        # one aggregate over the arm's users and their row of this guide (exp_guide_user: one row per
        # user and guide, guidelab.ledger.classify_rows): the users reaching each step (a later step
        # or completing passes the earlier ones), the users completing, and the time from first
        # shown to completed of those with both (a completion before the first 'shown' not timed)
        reached_sql = ", ".join(f"count(*) FILTER (WHERE s.max_step >= {i} OR u.completed)" for i in range(1, k + 1))
        entered, completed, n_t, s1, s2, negative, *counts = ed.con.execute(
            f"""WITH s AS (SELECT uk, max_shown_step AS max_step,
                                  epoch(first_completed) - epoch(first_shown) AS secs
                           FROM exp_guide_user WHERE guide_id = $gid)
                SELECT count(*), count_if(u.completed), count(*) FILTER (WHERE s.secs >= 0),
                       coalesce(sum(s.secs) FILTER (WHERE s.secs >= 0), 0),
                       coalesce(sum(s.secs * s.secs) FILTER (WHERE s.secs >= 0), 0),
                       count(*) FILTER (WHERE s.secs < 0), {reached_sql}
                FROM exp_users u LEFT JOIN s USING (uk) WHERE u.variant = $v""",
            {"v": key, "gid": guide.id}).fetchone()
        steps = [st.id or f"step-{i}" for i, st in enumerate(guide.steps, 1)]
        counts = [int(n) for n in counts]
        out[key] = FunnelCounts(guide.id, steps, int(entered), counts, int(completed), float(s1), float(s2), int(n_t),
                                   int(negative))
    return out


def survey_ids(spec: ExperimentSpec) -> list[str]:
    """The ids of the spec's survey guides (the ``$ids`` parameter of :func:`first_scores_sql`)."""
    return [g.id for g in spec.guides if g.type == "survey"]


def first_scores_sql(spec: ExperimentSpec) -> str:
    """SQL: per user, the first answer to a survey guide ``$ids`` (``user_id``, ``score``)."""
    return f"""SELECT g.user_id, arg_min(TRY_CAST(g.value AS INTEGER), g.timestamp) AS score
              FROM exp_guide_events g JOIN exp_users u USING (user_id)
              WHERE g.guide_id IN (SELECT unnest($ids)) AND g.value IS NOT NULL
                AND {event_map_sql(spec, "g.event")} = 'answered'
              GROUP BY g.user_id"""


def score_counts(ed: EventData, spec: ExperimentSpec, as_of: dt.date) -> dict[str, tuple[list[int], int]]:
    """Survey answers 0..10 per variant (one per user, the first), and users shown the survey."""
    if "value" not in {r[0] for r in ed.con.execute("DESCRIBE guide_events").fetchall()}:
        return {}
    ids = survey_ids(spec)
    if not ids:
        return {}
    rows = ed.con.execute(
        f"""WITH a AS (
              {first_scores_sql(spec)})
            SELECT u.variant, a.score, count(*) FROM a JOIN exp_users u USING (user_id)
            WHERE a.score BETWEEN 0 AND 10 GROUP BY ALL""", {"ids": ids}).fetchall()
    shown = dict(ed.con.execute("SELECT variant, count_if(shown) FROM exp_users GROUP BY 1").fetchall())
    out: dict[str, tuple[list[int], int]] = {}
    for key in spec.variant_keys:
        if spec.guide_for(key) is None or spec.guide_for(key).id not in ids:
            continue
        scores = [0] * 11
        for v, score, n in rows:
            if v == key:
                scores[int(score)] = int(n)
        out[key] = (scores, int(shown.get(key, 0)))
    return out


def stickiness_counts(ed: EventData, spec: ExperimentSpec, as_of: dt.date) -> dict[str, list[tuple[dt.date, int, int, int]]]:
    """Per variant and local calendar day: DAU, WAU (7 days to that day), MAU (30 days), among the
    users already assigned by that day; activity after assignment only.

    Days are those with activity in any variant; a variant has a row on a day when it has a user
    active in the 30 days to it. Computed without a range join, a distinct count or a row per
    user and day: each user's active days are a bitmap (``exp_users._gl_days<k>``, day 0 = the
    assignment day, :mod:`guidelab.daybits`); the days whose W-day window holds an active day
    are that bitmap OR its shifts by 1 .. W-1 days (by doubling: :func:`guidelab.daybits.window_stages`). Users of one arm and assignment day share
    the calendar, so per (arm, assignment day) the users with each bit set are summed in SQL,
    and each bit position is then the calendar day assignment day + position.
    """
    from .daybits import bit_sums, window_stages
    from .ledger import activity_day_words

    words = activity_day_words(ed)
    span = ed.con.execute("SELECT max(observed_days) FROM exp_users").fetchone()[0]
    span = min(int(span or 0) + 1, words * 63)
    d = [f"coalesce(u._gl_days{k}, 0) AS d{k}" for k in range(words)]
    # the 7- and 30-day windows (w<k>, m<k>) by doubling shifts, a stage each (daybits.window_stages)
    stage_items = window_stages("d", words, {"w": 7, "m": 30})
    stages = "".join(f", s{i} AS (SELECT *, {', '.join(items)} FROM s{i - 1})"
                     for i, items in enumerate(stage_items, start=1))
    last = len(stage_items)
    sums = [*bit_sums([f"d{k}" for k in range(words)], span), *bit_sums([f"w{k}" for k in range(words)], span),
            *bit_sums([f"m{k}" for k in range(words)], span)]
    rows = ed.con.execute(
        f"""WITH s0 AS (SELECT u.variant, u.assigned_day, {", ".join(d)}
                       FROM exp_users u){stages}
            SELECT variant, assigned_day, {", ".join(sums)} FROM s{last} GROUP BY variant, assigned_day""").fetchall()
    per_day: dict[tuple[str, dt.date], list[int]] = {}
    for v, day0, *counts in rows:
        for i in range(span):
            dau, wau, mau = int(counts[i]), int(counts[span + i]), int(counts[2 * span + i])
            if dau or wau or mau:
                acc = per_day.setdefault((v, day0 + dt.timedelta(days=i)), [0, 0, 0])
                acc[0] += dau
                acc[1] += wau
                acc[2] += mau
    active_days = sorted({day for (_, day), c in per_day.items() if c[0] > 0})
    out: dict[str, list[tuple[dt.date, int, int, int]]] = {k: [] for k in spec.variant_keys}
    for day in active_days:
        for v in sorted(out):
            dau, wau, mau = per_day.get((v, day), (0, 0, 0))
            if mau > 0:
                out[v].append((day, dau, wau, mau))
    return out
