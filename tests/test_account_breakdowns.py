"""Per-account SQL of the deeper analyses (guidelab.account_breakdowns) for a spec randomised by account.

The SQL sums are checked against an independent computation (per-user rows read from the event
data, a pandas/numpy group-by, then ClusterStats.from_users / GroupCrossSums.from_users) on the
committed sample of the B2B example, and on a synthetic table for the NPS source; a spec randomised
by user keeps its user-level analyses unchanged.
"""
from __future__ import annotations

import datetime as dt
import json

import duckdb
import numpy as np
import pandas as pd
import pytest

from guidelab.account_breakdowns import (
    USERS_WITH_ACCOUNT,
    AccountCurveCounts,
    account_group_cross_sql,
    account_group_sums_sql,
    clustered_breakdowns,
    nps_source_sql,
    with_account_curves,
)
from guidelab.analysis import CURVE_HORIZON_DAYS, analyze_counts, breakdown_analyses
from guidelab.daybits import has_day
from guidelab.events import open_event_data
from guidelab.experiment import load_experiment
from guidelab.ledger import activity_day_words
from guidelab.metrics import compute_counts, metric_counts_sql
from guidelab.stats.cluster import ClusterStats
from guidelab.stats.cluster_groups import GroupCrossSums, clustered_mean, clustered_rate
from guidelab.timeseries import retention_curve_counts

EXAMPLE = "b2b-onboarding-checklist"
TODAY = dt.date(2026, 11, 30)
_FIELDS = ("sum_y", "sum_y2", "sum_n2", "sum_ny", "sum_n3", "sum_n4", "sum_user_y2", "sum_y2_over_n")


def _same(got: ClusterStats, want: ClusterStats) -> None:
    assert (got.n_accounts, got.n_users) == (want.n_accounts, want.n_users)
    for f in _FIELDS:
        assert getattr(got, f) == pytest.approx(getattr(want, f), rel=1e-12), f


@pytest.fixture(scope="module")
def b2b(root):
    """(spec, analyses: user-level breakdowns, clustered breakdowns, curve counts, per-user frame)."""
    spec = load_experiment(root / "experiments" / f"{EXAMPLE}.yaml")
    ed = open_event_data(root / "data" / "sample" / EXAMPLE)
    try:
        counts = compute_counts(ed, spec, None, TODAY)
        user_curves = retention_curve_counts(ed, spec, counts.as_of, CURVE_HORIZON_DAYS)
        curves = with_account_curves(ed, spec, user_curves, CURVE_HORIZON_DAYS)
        user_level = breakdown_analyses(spec, ed, counts.as_of)
        curve_an = analyze_counts(spec, counts.__class__(**{**counts.__dict__, "curves": curves})).analyses
        clustered = clustered_breakdowns(ed, spec, user_level, curve_an)
        eligible, value = metric_counts_sql(spec.metric_defs()[0][0], spec)
        words = activity_day_words(ed)
        frame = ed.con.execute(
            f"""SELECT u.variant, a.unit_id, u.assigned_day, u.observed_days, u.eligible, u.value, s.plan,
                       coalesce(g.max_shown_step, 0) AS max_step, coalesce(u.completed, FALSE) AS completed, g.secs,
                       CASE WHEN {has_day('act._gl_days', words, 7)} THEN 1 ELSE 0 END AS active7
                FROM (SELECT *, CASE WHEN {eligible} THEN 1 ELSE 0 END AS eligible, CAST({value} AS DOUBLE) AS value
                      FROM exp_users) u JOIN exp_assigned a USING (uk) JOIN exp_user_attrs s ON s.user_id = u.user_id
                     LEFT JOIN exp_activity_users act USING (uk)
                     LEFT JOIN (SELECT uk, max_shown_step, epoch(first_completed) - epoch(first_shown) AS secs
                                FROM exp_guide_user WHERE guide_id = 'company-setup-checklist') g
                     USING (uk)""").df()
    finally:
        ed.close()
    frame["assigned_day"] = frame.assigned_day.map(lambda x: x.date() if hasattr(x, "date") else x)
    return spec, user_level, clustered, user_curves, curves, curve_an, frame


def test_daily_sums_and_cross_products_equal_a_group_by(b2b):
    spec, user_level, clustered, *_, frame = b2b
    f = frame[frame.eligible == 1]
    views = clustered["daily"]["by_variant"]["checklist"]
    for d in views["effects"].days:
        for arm, got in (("checklist", d.daily.n), ("control", d.daily.n_control)):
            rows = f[(f.variant == arm) & (f.assigned_day == d.day)]
            assert got == len(rows)
        rows_t = f[(f.variant == "checklist") & (f.assigned_day == d.day)]
        direct = ClusterStats.from_users(rows_t.unit_id.to_numpy(), rows_t.value.fillna(0).to_numpy())
        assert d.daily.estimate == pytest.approx(direct.mean, rel=1e-12)
        assert d.daily.n_accounts == direct.n_accounts
    # the user-level daily counts are the same users
    user_days = user_level["daily"]["by_variant"]["checklist"]["effects"].days
    assert [(u.daily.n, u.daily.successes) for u in user_days] == \
        [(c.daily.n, round(c.daily.estimate * c.daily.n)) for c in views["effects"].days]
    assert views["novelty"].method.startswith("accounts as units")


def test_segment_sums_equal_a_group_by_and_plan_segments_do_not_share_accounts(b2b):
    spec, user_level, clustered, *_, frame = b2b
    assert spec.segments == ["plan", "platform"]
    f = frame[frame.eligible == 1]
    an = clustered["segments"]["by_attribute"]["plan"]["checklist"]
    user = user_level["segments"]["by_attribute"]["plan"]["checklist"]
    assert list(an.segments) == list(user.segments)
    for name, c in an.segments.items():
        t = f[(f.variant == "checklist") & (f.plan == name)]
        direct = ClusterStats.from_users(t.unit_id.to_numpy(), t.value.fillna(0).to_numpy())
        assert (c.n, c.n_accounts) == (direct.n_users, direct.n_accounts)
        assert c.estimate == pytest.approx(direct.mean, rel=1e-12)
        assert c.n == user.segments[name].n and c.estimate == pytest.approx(user.segments[name].rate)
    assert an.method.startswith("accounts as units") and an.q_df == len(an.segments) - 1 - len(an.excluded)


def test_funnel_counts_equal_the_user_funnel_and_intervals_are_per_account(b2b):
    spec, user_level, clustered, *_, frame = b2b
    f = clustered["funnels"]["checklist"]
    u = user_level["funnels"]["checklist"]
    assert [(s.name, s.reached, s.previous) for s in f.steps] == [(s.name, s.reached, s.previous) for s in u.steps]
    rows = frame[frame.variant == "checklist"]
    reached2 = ((rows.max_step >= 2) | rows.completed).astype(float).to_numpy()
    direct = ClusterStats.from_users(rows.unit_id.to_numpy(), reached2)
    assert f.steps[1].reach_ci == pytest.approx(clustered_rate(direct).ci, rel=1e-12)
    prev = (rows.max_step >= 1) | rows.completed
    conv = ClusterStats.from_users(rows.unit_id[prev].to_numpy(), reached2[prev.to_numpy()])
    assert f.steps[1].conversion_ci == pytest.approx(clustered_rate(conv).ci, rel=1e-12)
    assert f.n_accounts == rows.unit_id.nunique()


def test_time_to_complete_interval_is_the_clustered_mean_of_the_timed_users(b2b):
    spec, user_level, clustered, *_, frame = b2b
    rows = frame[(frame.variant == "checklist") & (frame.secs >= 0)]
    direct = ClusterStats.from_users(rows.unit_id.to_numpy(), rows.secs.to_numpy())
    got, user = clustered["time_to_complete"]["checklist"], user_level["time_to_complete"]["checklist"]
    assert got["n"] == user["n"] == direct.n_users and got["n_accounts"] == direct.n_accounts
    assert got["mean_seconds"] == pytest.approx(direct.mean, rel=1e-12)
    assert got["ci"] == pytest.approx(list(clustered_mean(direct).ci), rel=1e-12)


def test_retention_curve_sums_equal_a_group_by(b2b):
    spec, _, clustered, user_curves, curves, curve_an, frame = b2b
    assert isinstance(curves, AccountCurveCounts)
    assert curves.by_variant == user_curves.by_variant
    for v in spec.variant_keys:
        rows = frame[(frame.variant == v) & (frame.observed_days >= 7)]
        direct = ClusterStats.from_users(rows.unit_id.to_numpy(), rows.active7.astype(float).to_numpy())
        _same(curves.by_account[v][7], direct)
        assert curves.by_variant[v][7] == (direct.n_users, int(direct.sum_y))
        point = curve_an["retention_curve"][v].points[7]
        assert point.ci == pytest.approx(clustered_rate(direct).ci, rel=1e-12)


def test_account_adjustment_says_what_is_adjusted_and_what_is_not(b2b):
    _, _, clustered, *_ = b2b
    adj = clustered["account_adjustment"]
    assert adj["unit"] == "account_id"
    assert adj["adjusted"] == ["retention_curve", "daily", "segments", "funnels", "time_to_complete"]
    assert set(adj["not_adjusted"]) == {"stickiness"}  # no time to goal in this fixture
    json.dumps({k: v for k, v in clustered.items() if k == "account_adjustment"})


def test_user_randomised_specs_keep_their_user_level_analyses(root):
    spec = load_experiment(root / "experiments" / "onboarding-tour-vs-checklist.yaml")
    assert not spec.clustered
    marker = {"segments": object()}
    assert clustered_breakdowns(None, spec, marker) is marker  # type: ignore[arg-type]
    curves = object()
    assert with_account_curves(None, spec, curves, 30) is curves  # type: ignore[arg-type]


def test_group_sums_and_cross_sql_on_a_synthetic_table_and_the_nps_source():
    rng = np.random.default_rng(3)
    n = 3000
    account = rng.integers(0, 150, n)
    variant = np.where(account % 2 == 0, "a", "b")
    group = rng.integers(0, 3, n)
    value = rng.normal(account % 5, 1.0)
    con = duckdb.connect()
    con.register("t_df", pd.DataFrame({"variant": variant, "_gl_account": account, "g": group, "v": value}))
    con.execute("CREATE TABLE t AS SELECT * FROM t_df")
    sums = con.execute(account_group_sums_sql("t", "TRUE", "v", "g")).fetchall()
    for var, g, k, nu, *rest in sums:
        sel = (variant == var) & (group == g)
        _same(ClusterStats(int(k), int(nu), *rest), ClusterStats.from_users(account[sel], value[sel]))
    cross = con.execute(account_group_cross_sql("t", "TRUE", "v", "g")).fetchall()
    for var in ("a", "b"):
        sel = variant == var
        want = GroupCrossSums.from_users(group[sel], account[sel], value[sel])
        got = GroupCrossSums.from_rows(want.groups, [r[1:] for r in cross if r[0] == var])
        np.testing.assert_allclose(got.syy, want.syy, rtol=1e-12)
        np.testing.assert_allclose(got.syn, want.syn, rtol=1e-12)
        np.testing.assert_allclose(got.snn, want.snn, rtol=1e-12)
    # NPS: first answers 0..10 -> +1 / 0 / -1 per respondent, with the account of each user
    scores = rng.integers(-1, 12, 400)
    con.register("s_df", pd.DataFrame({"user_id": [f"u{i}" for i in range(400)], "score": scores}))
    con.register("u_df", pd.DataFrame({"user_id": [f"u{i}" for i in range(400)], "uk": np.arange(400),
                                       "variant": np.where(np.arange(400) % 2 == 0, "a", "b")}))
    con.register("x_df", pd.DataFrame({"uk": np.arange(400), "unit_id": [f"acc{i % 37}" for i in range(400)]}))
    con.execute("CREATE TABLE exp_users AS SELECT * FROM u_df; CREATE TABLE exp_assigned AS SELECT * FROM x_df")
    rows = con.execute(f"SELECT variant, _gl_account, _gl_nps FROM {nps_source_sql('SELECT * FROM s_df')} ORDER BY 1").fetchall()
    ok = (scores >= 0) & (scores <= 10)
    assert len(rows) == int(ok.sum())
    want = np.where(scores[ok] >= 9, 1, np.where(scores[ok] >= 7, 0, -1))
    got = {r[1:] for r in rows}
    assert sum(r[2] for r in rows) == int(want.sum()) and {r[2] for r in rows} <= {-1, 0, 1} and got
    assert USERS_WITH_ACCOUNT.startswith("(SELECT e.*")


def test_log_rank_scores_by_account_equal_statsmodels_score_residuals_summed_in_pandas(root):
    """The per-account sums of the log-rank scores (SQL join of the (variant, day, event) scores,
    GROUP BY account) equal statsmodels' Cox score residuals at beta = 0 (Breslow ties) summed per
    account in pandas; the analysis reports the robust log-rank on them, with the naive p beside."""
    from statsmodels.duration.hazard_regression import PHReg

    from guidelab.account_breakdowns import AccountLifeCounts, with_account_life
    from guidelab.analysis import analyze_experiment
    from guidelab.stats.survival import log_rank_clustered
    from guidelab.timeseries import goal_life_counts

    spec = load_experiment(root / "experiments" / f"{EXAMPLE}.yaml")
    ed = open_event_data(root / "data" / "sample" / EXAMPLE)
    try:
        compute_counts(ed, spec, None, TODAY)
        life = with_account_life(ed, spec, goal_life_counts(ed, spec))
        users = ed.con.execute("""SELECT u.variant, a.unit_id, u.first_goal_day, u.observed_days FROM exp_users u
                                  JOIN exp_assigned a USING (uk) WHERE u.observed_days >= 0""").df()
    finally:
        ed.close()
    assert isinstance(life, AccountLifeCounts) and life.n_accounts == users.unit_id.nunique()
    event = users.first_goal_day.notna().to_numpy()
    t = np.where(event, users.first_goal_day.fillna(0), users.observed_days).astype(float)
    names = list(life.tables())
    for i, name in enumerate(names):
        z = (users.variant == name).to_numpy(float)[:, None]
        resid = np.asarray(PHReg(t, z, status=event.astype(float), ties="breslow").score_residuals(np.zeros(1)))[:, 0]
        per_account = pd.Series(resid).groupby(users.unit_id.to_numpy()).sum()
        assert life.unit_cross[i][i] == pytest.approx(float((per_account ** 2).sum()), rel=1e-9)
    result = analyze_experiment(spec, root / "data" / "sample" / EXAMPLE, today=TODAY)
    lr = result.analyses["time_to_goal"]["log_rank"]
    want = log_rank_clustered(life.tables(), life.unit_cross, life.n_accounts, "account_id")
    assert lr.clustered_by == "account_id" and lr.p_value == pytest.approx(want.p_value, rel=1e-12)
    assert lr.p_value_naive is not None and lr.p_value > lr.p_value_naive  # correlated users: less evidence
    assert "log_rank" in result.analyses["account_adjustment"]["adjusted"]


def test_an_account_randomised_analysis_gives_the_same_bits_on_every_run(root):
    """Per-account sums of non-integer terms (y²/n, log-rank scores) are summed exactly, so the
    parallel engine's order of addition cannot change the result's JSON between runs."""
    from guidelab.analysis import analyze_experiment

    spec = load_experiment(root / "experiments" / f"{EXAMPLE}.yaml")
    runs = {analyze_experiment(spec, root / "data" / "sample" / EXAMPLE, today=TODAY).to_json() for _ in range(4)}
    assert len(runs) == 1
