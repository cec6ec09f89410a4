"""The programme report's numbers: every guide together against the holdout, and the
interaction check between experiments that ran at the same time on the same users.

Both read one folder of event data holding the whole programme (``data/README.md``, "The
programme folder"): the ``assignments`` of every experiment plus the programme feature's rows
(``experiment = <programme id>``, ``variant`` ``holdout`` or ``programme``, at the user's first
evaluation), ``activity`` and ``guide_events``. Only sufficient statistics leave SQL.

**The programme effect** (:func:`programme_counts`, :func:`analyze_programme`). The comparison
is randomised: the programme group (``programme``) against the holdout, both recorded at the
same moment, so it is an intent-to-treat effect of the whole programme on every user it reached
(Newcombe/Miettinen-Nurminen intervals of :func:`guidelab.stats.proportions.compare_proportions`,
difference and relative difference). Comparing only the *exposed* users (those assigned to a
guide arm of some experiment) with the whole holdout would compare a selected group with a
random one. Instead, since no holdout user can be exposed, the effect on the exposed is the
intent-to-treat effect divided by the share of the programme group that was exposed (Bloom
1984, "Accounting for no-shows in experimental evaluation designs", Evaluation Review 8:225;
the instrumental-variable estimate with one-sided non-compliance, Angrist, Imbens & Rubin 1996):
users who only ever landed in no-guide control arms are unaffected. Its interval is the
intent-to-treat interval divided by that share (the share, estimated on many users, is taken
as known; stated in the report).

Day boundaries follow the programme's ``timezone``: day 0 is the local day of the user's
programme row; ``retention_d<N>`` = active on day N (users whose day N is complete at
``as_of``), ``goal_d<N>`` = the programme's ``goal_event`` on days 0..N-1 (users with N
complete days), as the metric registry defines them for an experiment.

**An account holdout** (programme ``unit: account_id``). Whole accounts are held out, and the
users of one account are correlated, so the comparison is the cluster-robust one of
:func:`guidelab.stats.cluster.compare_clustered` on per-account sums (one ``GROUP BY arm,
account`` and one ``GROUP BY arm`` in SQL, :func:`guidelab.account_stats.account_sums_sql`):
the account-level delta method (Deng, Knoblich & Lu 2018) with its small-sample factor, Fieller's
interval for the relative difference, the ICC, the design effect and the naive user-level
p-value for comparison. The account of a user is the unit column of the programme rows in
``assignments`` or, when they lack it, of the ``users`` table; a programme row without one is
left out as ``missing_unit``. The recorded arm must be the hash of the account.

**Engines.** The SQL is written once (DuckDB dialect) and runs on any
:class:`guidelab.engine.Engine` (Spark through :mod:`guidelab.dialects`); the hash check of the
recorded arms runs in Python on the distinct hashed values and goes back as a small table.

**The interaction check** (:func:`interaction_checks`). For every pair of experiments whose
schedules overlap and that are not in one namespace (namespace-exclusive pairs share no user),
in both directions: A's primary metric per cell (A's arm x B's arm) over the users assigned to
both, from the registry's per-user SQL of A (:func:`guidelab.metrics.build_user_table`), tested
by :func:`guidelab.stats.interaction.interaction_test` (a rate) or ``interaction_test_means``;
when either experiment randomises accounts, or the primary is a ratio, by
``interaction_test_clustered`` on per-account (per-user for a ratio) sums; Holm across every test of the
programme; a pair is flagged when either direction is significant after correction.
"""
from __future__ import annotations

import datetime as dt
import itertools
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .catalog import parse_metric
from .events import EventData, open_event_data
from .experiment import ExperimentSpec
from .programme import HOLDOUT_ARM, PROGRAMME_ARM, ProgrammeSpec, in_holdout_batch
from .serialize import Interval, JsonField, ResultModel
from .stats.cluster import ClusterComparison, ClusterStats, compare_clustered
from .stats.interaction import InteractionTest, interaction_test, interaction_test_clustered, interaction_test_means
from .stats.multiplicity import holm
from .stats.proportions import ProportionComparison, compare_proportions
from .values import sql_exact_sum, sql_identifier, sql_literal

__all__ = [
    "PairInteraction",
    "ProgrammeMetric",
    "ProgrammeResult",
    "UserAccount",
    "analyze_programme",
    "programme_comparison_by_account",
    "interaction_checks",
    "overlapping_pairs",
    "programme_counts",
]

#: reasons a user with a programme row is left out of the comparison, in the order they apply
LEFT_OUT_REASONS = ("unknown_arm", "multiple_arms", "missing_unit", "holdout_assigned", "arm_not_hash")


@dataclass(frozen=True)
class UserAccount(ResultModel):
    """Every user with a programme row: in the comparison (holdout, programme group, of whom
    exposed) or left out with a counted reason (``left_out``: reason -> users). With an account
    holdout, ``accounts_holdout`` / ``accounts_programme`` count the accounts behind them (None,
    and absent from the JSON, for a user holdout)."""

    holdout: int
    programme: int
    exposed: int
    left_out: tuple[tuple[str, int], ...]
    assigned_without_programme_row: int
    accounts_holdout: int | None = None
    accounts_programme: int | None = None

    _json_fields = ("holdout", "programme", "exposed", "left_out", "assigned_without_programme_row",
                    JsonField("accounts_holdout", omit_none=True), JsonField("accounts_programme", omit_none=True))

    @property
    def total(self) -> int:
        return self.holdout + self.programme + sum(n for _, n in self.left_out)


@dataclass(frozen=True)
class ProgrammeMetric(ResultModel):
    """One metric: the programme group against the holdout (``itt``), the exposed users' own
    rate (descriptive), and the effect per exposed user (Bloom: itt / exposed share). ``itt`` is a
    :class:`ProportionComparison` for a user holdout, a :class:`ClusterComparison` (accounts,
    ICC, design effect, naive p-value) for an account holdout."""

    metric: str
    itt: ProportionComparison | ClusterComparison
    exposed_users: int
    exposed_successes: int
    exposed_share: float | None
    exposed_effect: float | None
    exposed_ci: Interval | None


@dataclass(frozen=True)
class PairInteraction(ResultModel):
    """Whether ``experiment_a``'s effect on its primary metric depends on ``experiment_b``'s arm."""

    experiment_a: str
    experiment_b: str
    metric: str
    status: str                    # ok | units_differ | no_unit_column | not_checked_kind | no_shared_users | not_enough_data | zero_variance
    test: InteractionTest | None
    p_adjusted: float | None
    flagged: bool


@dataclass(frozen=True)
class ProgrammeResult(ResultModel):
    programme: str
    as_of: dt.date
    holdout_share: float
    users: UserAccount
    metrics: tuple[ProgrammeMetric, ...]
    interactions: tuple[PairInteraction, ...]
    alpha: float
    interaction_alpha: float
    unit: str | None = None  # the holdout's unit attribute (account_id); None: users

    _json_fields = ("programme", "as_of", "holdout_share", JsonField("unit", omit_none=True), "users", "metrics",
                    "interactions", "alpha", "interaction_alpha")

    def flagged_experiments(self) -> dict[str, list[str]]:
        """experiment -> the experiments it interacts with (flagged pairs, both sides)."""
        out: dict[str, list[str]] = {}
        for p in self.interactions:
            if p.flagged:
                out.setdefault(p.experiment_a, []).append(p.experiment_b)
                out.setdefault(p.experiment_b, []).append(p.experiment_a)
        return {k: sorted(set(v)) for k, v in sorted(out.items())}


def _guide_arms_sql(specs: list[ExperimentSpec]) -> str:
    parts = []
    for s in specs:
        arms = [v.key for v in s.variants if v.guide is not None]
        if arms:
            parts.append(f"(experiment = {sql_literal(s.id)} AND variant IN ({', '.join(map(sql_literal, arms))}))")
    return " OR ".join(parts) or "FALSE"


def _as_of(ed: EventData, programme: ProgrammeSpec, today: dt.date | None = None) -> dt.date:
    """The last local day with activity, never past today (the programme's local date), as an
    experiment's default analysis date is."""
    today = today or dt.datetime.now(programme.tz).date()
    row = ed.con.execute("SELECT CAST(timezone($tz, max(timestamp)) AS DATE) FROM activity",
                         {"tz": programme.timezone}).fetchone()
    last = row[0] if row and row[0] is not None else programme.start
    return min(last, today)


def _attribute_source(ed: EventData, unit: str) -> tuple[str, str, str] | None:
    """(column of ``r``, join, expression) giving each user's value of the attribute ``unit``,
    for a query over ``r``, the rows of ``assignments`` grouped by user: the column of those rows,
    else the ``users`` table's (smallest non-empty value of a user listed several times); None
    when neither table has the column."""
    q = sql_identifier(unit)
    if unit in [c for c, _ in ed.con.describe("assignments")]:
        return f", min(nullif(CAST({q} AS VARCHAR), '')) AS unit_value", "", "r.unit_value"
    if ed.has("users") and unit in [c for c, _ in ed.con.describe("users")]:
        join = (f" LEFT JOIN (SELECT user_id, min(nullif(CAST({q} AS VARCHAR), '')) AS unit_value FROM users "
                f"WHERE user_id IS NOT NULL GROUP BY user_id) pu ON pu.user_id = r.user_id")
        return "", join, "pu.unit_value"
    return None


def _unit_source(ed: EventData, programme: ProgrammeSpec) -> tuple[str, str, str]:
    """:func:`_attribute_source` of each programme row's account. User holdout: the user id.
    Neither table having the column is an error naming both."""
    from .errors import DataError

    if not programme.clustered:
        return "", "", "r.user_id"
    found = _attribute_source(ed, programme.unit)
    if found is not None:
        return found
    src = ed.sources.get("assignments", ed.data_dir / "assignments")
    raise DataError(src, programme.unit, f"programme {programme.id} holds out by {programme.unit} (unit: "
                                         f"{programme.unit}): expected a column {programme.unit} in the assignments "
                                         "table or in the users table")


def programme_counts(ed: EventData, programme: ProgrammeSpec, specs: list[ExperimentSpec],
                     as_of: dt.date | None = None
                     ) -> tuple[dt.date, UserAccount, dict[str, dict[str, tuple[int, int]]]]:
    """SQL: the user accounting and, per metric, ``{group: (users, successes)}`` for the groups
    ``holdout``, ``programme`` and ``exposed`` (the programme group's users assigned to a guide arm).
    (With an account holdout the analysis also reads each arm's per-account sums, computed beside.)"""
    return _programme_counts(ed, programme, specs, as_of)[:3]


def _programme_counts(ed: EventData, programme: ProgrammeSpec, specs: list[ExperimentSpec],
                      as_of: dt.date | None = None):
    import pyarrow as pa

    con = ed.con
    as_of = as_of or _as_of(ed, programme)
    end = dt.datetime.combine(as_of + dt.timedelta(days=1), dt.time(), tzinfo=programme.tz).astimezone(dt.timezone.utc)
    members = [s for s in specs if programme.applies_to(s)]
    ids = ", ".join(sql_literal(s.id) for s in members) or "NULL"
    arms = f"({sql_literal(HOLDOUT_ARM)}, {sql_literal(PROGRAMME_ARM)})"
    unit_col, unit_join, unit_expr = _unit_source(ed, programme)
    missing = f"WHEN {unit_expr} IS NULL THEN 'missing_unit' " if programme.clustered else ""
    con.create_temp_table("prog_rows", f"""
        WITH r AS (
            SELECT user_id, count(DISTINCT variant) AS arms, min(variant) AS arm, min(assigned_at) AS entered_at,
                   bool_or(variant IS NULL OR variant NOT IN {arms}) AS unknown{unit_col}
            FROM assignments
            WHERE experiment = $pid AND user_id IS NOT NULL AND user_id <> '' AND assigned_at < $end
            GROUP BY user_id
        ), g AS (
            SELECT DISTINCT user_id FROM assignments WHERE ({_guide_arms_sql(members)}) AND assigned_at < $end
        )
        SELECT r.user_id, r.arm, r.entered_at, CAST(timezone($tz, r.entered_at) AS DATE) AS entry_day,
               CASE WHEN r.unknown THEN 'unknown_arm' WHEN r.arms > 1 THEN 'multiple_arms' {missing}
                    WHEN r.arm = {sql_literal(HOLDOUT_ARM)} AND g.user_id IS NOT NULL THEN 'holdout_assigned'
                    END AS reason,
               g.user_id IS NOT NULL AS exposed, {unit_expr} AS hash_key
        FROM r LEFT JOIN g ON g.user_id = r.user_id{unit_join}""",
                         {"pid": programme.id, "end": end, "tz": programme.timezone})
    # the recorded arm must be the hash's (of the user id or the account): a user recorded in the
    # wrong arm is left out, counted. The hash runs here, on the distinct values, and goes back as a table.
    keys = [r[0] for r in con.execute("SELECT DISTINCT hash_key FROM prog_rows WHERE reason IS NULL").fetchall()]
    keys.sort()
    key_arr = pa.array(keys, type=pa.string())
    con.register_arrow("prog_hash", pa.table({"hash_key": key_arr,
                                              "held": pa.array(in_holdout_batch(programme, key_arr), type=pa.bool_())}))
    con.create_temp_table("prog_users", f"""
        SELECT p.user_id, p.arm, p.entered_at, p.entry_day, p.exposed, p.hash_key,
               CASE WHEN p.reason IS NOT NULL THEN p.reason
                    WHEN (p.arm = {sql_literal(HOLDOUT_ARM)}) <> h.held THEN 'arm_not_hash' END AS reason
        FROM prog_rows p LEFT JOIN prog_hash h ON h.hash_key = p.hash_key""")
    counts = dict(con.execute("SELECT coalesce(reason, arm), count(*) FROM prog_users GROUP BY coalesce(reason, arm)"
                              ).fetchall())
    exposed = con.execute("SELECT count(*) FROM prog_users WHERE reason IS NULL AND arm = $a AND exposed",
                          {"a": PROGRAMME_ARM}).fetchone()[0]
    without = con.execute(f"""
        SELECT count(DISTINCT a.user_id) FROM assignments a ANTI JOIN prog_users p ON p.user_id = a.user_id
        WHERE a.experiment IN ({ids}) AND a.assigned_at < $end""", {"end": end}).fetchone()[0]
    n_accounts: dict[str, int] = {}
    if programme.clustered:
        n_accounts = {arm: int(k) for arm, k in con.execute(
            "SELECT arm, count(DISTINCT hash_key) FROM prog_users WHERE reason IS NULL GROUP BY arm").fetchall()}
    account = UserAccount(int(counts.get(HOLDOUT_ARM, 0)), int(counts.get(PROGRAMME_ARM, 0)), int(exposed),
                          tuple((r, int(counts[r])) for r in LEFT_OUT_REASONS if counts.get(r)), int(without),
                          n_accounts.get(HOLDOUT_ARM, 0) if programme.clustered else None,
                          n_accounts.get(PROGRAMME_ARM, 0) if programme.clustered else None)
    con.create_temp_table("prog_days", f"""
        SELECT u.user_id, u.arm, u.exposed, u.hash_key, datediff('day', u.entry_day, $asof) AS observed_days,
               datediff('day', u.entry_day, CAST(timezone($tz, a.timestamp) AS DATE)) AS day,
               {"a.event = $goal" if programme.goal_event else "FALSE"} AS is_goal
        FROM prog_users u LEFT JOIN activity a
             ON a.user_id = u.user_id AND a.timestamp >= u.entered_at AND a.timestamp < $end
        WHERE u.reason IS NULL""", {"asof": as_of, "tz": programme.timezone, "end": end,
                                    **({"goal": programme.goal_event} if programme.goal_event else {})})
    out: dict[str, dict[str, tuple[int, int]]] = {}
    clustered: dict[str, dict[str, ClusterStats]] = {}
    for name in programme.metrics:
        m = parse_metric(name)
        n_days = int(m.days)  # type: ignore[arg-type]
        if m.entry.family == "retention":
            eligible, value = f"observed_days >= {n_days}", f"bool_or(day = {n_days})"
        else:
            eligible, value = (f"observed_days >= {n_days - 1}",
                               f"coalesce(min(day) FILTER (WHERE is_goal) < {n_days}, FALSE)")
        per_user = f"""SELECT user_id, any_value(arm) AS arm, any_value(exposed) AS exposed,
                              any_value(hash_key) AS account, CAST({value} AS INTEGER) AS y
                       FROM prog_days WHERE {eligible} GROUP BY user_id"""
        groups = {HOLDOUT_ARM: (0, 0), PROGRAMME_ARM: (0, 0), "exposed": (0, 0)}
        for arm, n, x, n_exp, x_exp in con.execute(f"""
                SELECT arm, count(*), sum(y), count_if(exposed), sum(y) FILTER (WHERE exposed)
                FROM ({per_user}) pu GROUP BY arm""").fetchall():
            groups[arm] = (int(n), int(x or 0))
            if arm == PROGRAMME_ARM:
                groups["exposed"] = (int(n_exp), int(x_exp or 0))
        out[name] = groups
        if programme.clustered:
            from .account_stats import account_sums_sql, cluster_stats_rows

            sql = account_sums_sql(eligible="TRUE", value="y", source=f"({per_user})", variant="arm", account="account")
            clustered[name] = cluster_stats_rows(con.execute(sql).fetchall())
    return as_of, account, out, clustered


def overlapping_pairs(specs: list[ExperimentSpec], as_of: dt.date | None = None) -> list[tuple[ExperimentSpec, ExperimentSpec]]:
    """Pairs of experiments that ran at the same time (schedules overlap; an open end runs to
    ``as_of`` or forever) and can share users (not both in one namespace), sorted by id."""
    far = as_of or dt.date.max
    out = []
    for a, b in itertools.combinations(sorted(specs, key=lambda s: s.id), 2):
        if a.start > (b.end or far) or b.start > (a.end or far):
            continue
        if a.namespace is not None and b.namespace is not None and a.namespace.id == b.namespace.id:
            continue  # one namespace: disjoint ranges never share a user (overlaps are a validation error)
        out.append((a, b))
    return out


def _cells(ed: EventData, a: ExperimentSpec, b: ExperimentSpec) -> tuple[str, list[str], list[str], dict[str, Any]]:
    """A's primary per (A arm, B arm) over the users in both: (status, arms_a, arms_b, tables).

    ``tables``: ``users`` and, for a proportion, ``successes``; for a mean ``sums`` and
    ``sums_of_squares`` (row i = A's arm i, column j = B's arm j). When either experiment
    randomises an attribute (accounts) or the primary is a ratio, the keyword arguments of
    :func:`guidelab.stats.interaction.interaction_test_clustered` instead (``clustered`` set):
    per-unit sums in SQL, see :func:`_unit_cells`."""
    from .errors import DataError
    from .metrics import build_user_table, default_as_of, metric_counts_sql

    mdef = parse_metric(a.metrics.primary)
    if mdef.kind not in ("proportion", "mean", "ratio"):
        return "not_checked_kind", [], [], {}
    units = {s.unit for s in (a, b) if s.clustered}
    if len(units) > 1:
        return "units_differ", [], [], {}
    try:
        build_user_table(ed, a, default_as_of(ed, a))
    except DataError:
        return "no_shared_users", [], [], {}
    arms_a = [a.control_key] + a.treatment_keys
    arms_b = [b.control_key] + b.treatment_keys
    if units or mdef.kind == "ratio":
        return _unit_cells(ed, a, b, mdef, units.pop() if units else "user", arms_a, arms_b)
    eligible, yv = metric_counts_sql(mdef, a)
    b_arms = ", ".join(map(sql_literal, b.variant_keys))
    rows = ed.con.execute(f"""
        WITH b AS (
            SELECT user_id, min(variant) AS b_variant FROM assignments
            WHERE experiment = $b AND variant IN ({b_arms}) GROUP BY user_id HAVING count(DISTINCT variant) = 1
        )
        SELECT u.variant, b.b_variant, count(*), sum({yv}), sum(CAST({yv} AS DOUBLE) * ({yv}))
        FROM exp_users u JOIN b USING (user_id) WHERE {eligible} GROUP BY ALL""", {"b": b.id}).fetchall()
    if not rows:
        return "no_shared_users", [], [], {}
    names = ("users", "successes") if mdef.kind == "proportion" else ("users", "sums", "sums_of_squares")
    tables: dict[str, Any] = {k: [[0] * len(arms_b) for _ in arms_a] for k in names}
    for va, vb, cnt, total, squares in rows:
        i, j = arms_a.index(va), arms_b.index(vb)
        tables["users"][i][j] = int(cnt)
        if mdef.kind == "proportion":
            tables["successes"][i][j] = int(total or 0)
        else:
            tables["sums"][i][j], tables["sums_of_squares"][i][j] = float(total or 0), float(squares or 0)
    return "ok", arms_a, arms_b, tables


def _double(v: float) -> str:
    """A float as an SQL literal read as DOUBLE by every dialect (exponent form: Spark reads 0.5 as DECIMAL)."""
    return format(float(v), ".17e")


def _unit_cells(ed: EventData, a: ExperimentSpec, b: ExperimentSpec, mdef: Any, unit: str,
                arms_a: list[str], arms_b: list[str]) -> tuple[str, list[str], list[str], dict[str, Any]]:
    """The cluster-robust interaction's sufficient statistics, in SQL (any engine).

    One row per (unit, A arm, B arm) with the users, X and Y summed (``ia_units``: X = users and
    Y = the metric for a proportion or a mean; the ratio's denominator and numerator for a ratio);
    then per cell the users, units, X and Y; over units the cross-products of their per-cell sums
    (a self-join on the unit: at most cells² rows per unit); and per contrast the sum of the fourth
    powers of each unit's contribution, with the cell estimates as literals. The unit is A's
    randomisation attribute (``exp_assigned.unit_id``), else B's (its assignments' column, else the
    ``users`` table's), else the user. A user without a value of the attribute is not in the table."""
    from .metrics import metric_counts_sql, ratio_sql
    from .stats.interaction import interaction_contrast_weights

    con = ed.con
    if mdef.kind == "ratio":
        eligible, y, x = ratio_sql(mdef, a)
    else:
        (eligible, y), x = metric_counts_sql(mdef, a), "1"
    b_arms = ", ".join(map(sql_literal, b.variant_keys))
    b_unit, b_join = "", ""
    source = "exp_users"
    if unit == "user":
        key = "s.user_id"
    elif a.clustered:
        source, key = "(SELECT e.*, ea.unit_id AS _gl_a_unit FROM exp_users e JOIN exp_assigned ea USING (uk))", "s._gl_a_unit"
    else:  # B's attribute, from B's assignment rows or the users table
        found = _attribute_source(ed, unit)
        if found is None:
            return "no_unit_column", [], [], {}
        b_unit, b_join, key = found
    con.create_temp_table("ia_units", f"""
        WITH b AS (
            SELECT user_id, min(variant) AS b_variant{b_unit} FROM assignments
            WHERE experiment = $b AND variant IN ({b_arms}) GROUP BY user_id HAVING count(DISTINCT variant) = 1
        )
        SELECT {key} AS unit_key, s.variant AS a_arm, r.b_variant AS b_arm, count(*) AS users,
               sum(CAST({x} AS DOUBLE)) AS x, sum(CAST({y} AS DOUBLE)) AS y
        FROM {source} s JOIN b r ON r.user_id = s.user_id{b_join}
        WHERE ({eligible}) AND {key} IS NOT NULL
        GROUP BY 1, 2, 3""", {"b": b.id})
    cell_of = {(va, vb): i * len(arms_b) + j for i, va in enumerate(arms_a) for j, vb in enumerate(arms_b)}
    n_cells = len(cell_of)
    users, units, xs, ys = ([0.0] * n_cells for _ in range(4))
    for va, vb, n, k, sx, sy in con.execute(
            "SELECT a_arm, b_arm, sum(users), count(*), sum(x), sum(y) FROM ia_units GROUP BY 1, 2").fetchall():
        c = cell_of[(va, vb)]
        users[c], units[c], xs[c], ys[c] = int(n), int(k), float(sx or 0), float(sy or 0)
    if not any(users):
        return "no_shared_users", arms_a, arms_b, {}
    g, = con.execute("SELECT count(DISTINCT unit_key) FROM ia_units").fetchone()
    import numpy as np

    cross = {k: np.zeros((n_cells, n_cells)) for k in ("cross_xx", "cross_xy", "cross_yy")}
    for pa_, pb, qa, qb, xx, xy, yy in con.execute("""
            SELECT p.a_arm, p.b_arm, q.a_arm, q.b_arm, sum(p.x * q.x), sum(p.x * q.y), sum(p.y * q.y)
            FROM ia_units p JOIN ia_units q ON p.unit_key = q.unit_key GROUP BY 1, 2, 3, 4""").fetchall():
        c, d = cell_of[(pa_, pb)], cell_of[(qa, qb)]
        cross["cross_xx"][c, d], cross["cross_xy"][c, d], cross["cross_yy"][c, d] = float(xx), float(xy), float(yy)

    def table(v: list[float]) -> list[list[float]]:
        return [v[i * len(arms_b):(i + 1) * len(arms_b)] for i in range(len(arms_a))]

    out: dict[str, Any] = dict(users=table(users), units=table(units), numerators=table(ys), denominators=table(xs),
                               n_units=int(g), kind=mdef.kind, cluster_unit=unit, clustered=True, **cross)
    if all(v > 0 for v in xs):
        r, weights = interaction_contrast_weights(out["numerators"], out["denominators"])
        scale = float(sum(xs))  # contributions times X: O(1) and above, so exact decimal sums keep them
        terms = []
        for l_, w in enumerate(weights):
            cases = " ".join(f"WHEN a_arm = {sql_literal(va)} AND b_arm = {sql_literal(vb)} THEN "
                             f"{_double(w[c] * scale)} * (y - {_double(r[c])} * x)"
                             for (va, vb), c in cell_of.items() if w[c] != 0)
            terms.append(f"{sql_exact_sum(f'CASE {cases} ELSE 0.0 END')} AS c{l_}")
        sums = ", ".join(sql_exact_sum(f"c{l_} * c{l_} * c{l_} * c{l_}") for l_ in range(len(weights)))
        out["fourth_moments"] = [float(v) / scale ** 4 for v in con.execute(
            f"SELECT {sums} FROM (SELECT unit_key, {', '.join(terms)} FROM ia_units GROUP BY unit_key) t").fetchone()]
    return "ok", arms_a, arms_b, out


def interaction_checks(ed: EventData, specs: list[ExperimentSpec], alpha: float = 0.05,
                       as_of: dt.date | None = None) -> tuple[PairInteraction, ...]:
    """Every overlapping pair, both directions, Holm-corrected across all of them at ``alpha``."""
    tests: list[tuple[ExperimentSpec, ExperimentSpec, str, InteractionTest | None]] = []
    for a, b in overlapping_pairs(specs, as_of):
        for first, second in ((a, b), (b, a)):
            status, arms_a, arms_b, t = _cells(ed, first, second)
            test = None
            if status == "ok" and t.pop("clustered", False):
                test = interaction_test_clustered(**t, arms_a=arms_a, arms_b=arms_b, alpha=alpha)
            elif status == "ok" and "successes" in t:
                test = interaction_test(t["successes"], t["users"], arms_a, arms_b, alpha)
            elif status == "ok":
                test = interaction_test_means(t["sums"], t["sums_of_squares"], t["users"], arms_a, arms_b, alpha)
            if test is not None and test.status != "ok":
                status = test.status
            tests.append((first, second, status, test))
    adjusted = holm([t.p_value if t is not None else None for *_, t in tests])
    return tuple(PairInteraction(first.id, second.id, first.metrics.primary, status, test, p_adj,
                                 p_adj is not None and p_adj < alpha)
                 for (first, second, status, test), p_adj in zip(tests, adjusted))


def analyze_programme(programme: ProgrammeSpec, specs: list[ExperimentSpec], data_dir: str | Path,
                      as_of: dt.date | None = None, engine: Any = None) -> ProgrammeResult:
    """The programme report's numbers from the programme folder (see the module docstring)."""
    ed = open_event_data(data_dir, engine=engine)
    try:
        as_of, account, counts, by_account = _programme_counts(ed, programme, specs, as_of)
        interactions = interaction_checks(ed, specs, programme.interaction_alpha, as_of)
    finally:
        ed.close()
    metrics = []
    for name, groups in counts.items():
        n1, x1 = groups[PROGRAMME_ARM]
        n0, x0 = groups[HOLDOUT_ARM]
        itt: ProportionComparison | ClusterComparison
        if programme.clustered:
            itt = programme_comparison_by_account(by_account[name], programme.alpha)
        else:
            itt = compare_proportions(x1, n1, x0, n0, programme.alpha)
        ne, xe = groups["exposed"]
        share = ne / n1 if n1 else None
        effect = itt.abs_diff / share if itt.abs_diff is not None and share else None
        ci = (itt.abs_ci[0] / share, itt.abs_ci[1] / share) if itt.abs_ci is not None and share else None
        metrics.append(ProgrammeMetric(name, itt, ne, xe, share, effect, ci))
    return ProgrammeResult(programme.id, as_of, programme.holdout.share, account, tuple(metrics), interactions,
                           programme.alpha, programme.interaction_alpha, programme.unit if programme.clustered else None)


def programme_comparison_by_account(by_arm: dict[str, ClusterStats], alpha: float = 0.05) -> ClusterComparison:
    """The programme group against the holdout when whole accounts are held out: the per-account
    sums of each arm (``{"programme": ..., "holdout": ...}``, :class:`ClusterStats`) compared by
    :func:`guidelab.stats.cluster.compare_clustered` (cluster-robust delta method; an arm without
    accounts counts as empty)."""
    empty = ClusterStats(0, 0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0)
    return compare_clustered(by_arm.get(PROGRAMME_ARM, empty), by_arm.get(HOLDOUT_ARM, empty), alpha)
