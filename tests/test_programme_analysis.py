"""The programme report's numbers: user accounting and per-group counts against an independent
pandas computation on the committed sample, leaks and wrong arms counted, the interaction check
(pairs, cells, Holm, flags) on simulated data with and without a true interaction."""
from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path
from zoneinfo import ZoneInfo

import pandas as pd
import pytest

from guidelab.errors import DataError
from guidelab.events import open_event_data
from guidelab.experiment import NamespaceSpec, load_experiment
from guidelab.programme import ProgrammeSimulation, SimulatedInteraction, find_programme, in_holdout_batch
from guidelab.programme_analysis import analyze_programme, overlapping_pairs, programme_counts
from guidelab.simulate import simulate_programme
from guidelab.stats.proportions import compare_proportions

ROOT = Path(__file__).resolve().parent.parent
SAMPLE = ROOT / "data" / "sample" / "guide-programme"
AS_OF = dt.date(2026, 11, 20)


@pytest.fixture(scope="module")
def programme():
    return find_programme(ROOT / "experiments")


@pytest.fixture(scope="module")
def specs():
    return [load_experiment(p) for p in sorted((ROOT / "experiments").glob("*.yaml"))]


def _pandas_counts(data: Path, programme, specs, as_of):
    """The same numbers from the raw files with pandas: day boundaries in the programme's zone."""
    tz = ZoneInfo(programme.timezone)
    a = pd.read_parquet(data / "assignments.parquet")
    act = pd.read_parquet(data / "activity.parquet")
    end = pd.Timestamp(dt.datetime.combine(as_of + dt.timedelta(days=1), dt.time(), tzinfo=tz))
    a = a[a.assigned_at < end]
    prog = a[a.experiment == programme.id].groupby("user_id").agg(arm=("variant", "first"), t=("assigned_at", "min"))
    guide = set()
    for s in specs:
        arms = {v.key for v in s.variants if v.guide is not None}
        guide |= set(a[(a.experiment == s.id) & a.variant.isin(arms)].user_id)
    prog["exposed"] = prog.index.isin(guide)
    prog["day0"] = prog.t.dt.tz_convert(tz).dt.date
    act = act[act.timestamp < end].merge(prog, left_on="user_id", right_index=True)
    act = act[act.timestamp >= act.t]
    act["day"] = (act.timestamp.dt.tz_convert(tz).dt.date - act.day0).apply(lambda d: d.days)
    observed = (pd.Timestamp(as_of) - pd.to_datetime(prog.day0)).dt.days
    out = {}
    for n_days in (7, 30):
        ok = prog[observed >= n_days]
        active = set(act[act.day == n_days].user_id)
        out[f"retention_d{n_days}"] = {arm: (len(g), int(g.index.isin(active).sum())) for arm, g in ok.groupby("arm")}
    ok = prog[observed >= 6]
    goals = act[(act.event == programme.goal_event) & (act.day < 7)]
    out["goal_d7"] = {arm: (len(g), int(g.index.isin(set(goals.user_id)).sum())) for arm, g in ok.groupby("arm")}
    exposed = ok[ok.exposed & (ok.arm == "programme")]
    out["goal_d7"]["exposed"] = (len(exposed), int(exposed.index.isin(set(goals.user_id)).sum()))
    return prog, out


def test_counts_match_pandas_on_the_sample(programme, specs):
    ed = open_event_data(SAMPLE)
    try:
        as_of, account, counts = programme_counts(ed, programme, specs, AS_OF)
    finally:
        ed.close()
    prog, ref = _pandas_counts(SAMPLE, programme, specs, AS_OF)
    assert as_of == AS_OF
    assert account.total == len(prog) and account.left_out == () and account.assigned_without_programme_row == 0
    assert account.holdout == int((prog.arm == "holdout").sum())
    assert account.exposed == int((prog.exposed & (prog.arm == "programme")).sum())
    for metric, groups in ref.items():
        for arm, nx in groups.items():
            assert counts[metric][arm] == nx, (metric, arm)
    # the recorded arm is the hash's for every user of the sample
    assert (prog.arm == "holdout").tolist() == in_holdout_batch(programme, list(prog.index)).tolist()


def test_programme_effect_uses_the_proportion_comparison(programme, specs):
    r = analyze_programme(programme, specs, SAMPLE, as_of=AS_OF)
    assert [m.metric for m in r.metrics] == programme.metrics
    for m in r.metrics:
        c = m.itt
        ref = compare_proportions(c.successes, c.n, c.successes_control, c.n_control, programme.alpha)
        assert c == ref
        assert m.exposed_share == pytest.approx(m.exposed_users / c.n)
        assert m.exposed_effect == pytest.approx(c.abs_diff / m.exposed_share)
        assert m.exposed_ci[0] == pytest.approx(c.abs_ci[0] / m.exposed_share)
    assert [(p.experiment_a, p.experiment_b) for p in r.interactions] == [
        ("maintenance-banner-copy", "nps-survey-timing"), ("nps-survey-timing", "maintenance-banner-copy")]
    assert r.to_json()  # one JSON form


def test_leaked_holdout_and_wrong_arms_are_left_out_and_counted(tmp_path, programme, specs):
    data = tmp_path / "p"
    shutil.copytree(SAMPLE, data)
    a = pd.read_parquet(data / "assignments.parquet")
    prog = a[a.experiment == programme.id]
    held = prog[prog.variant == "holdout"].user_id.iloc[:3].tolist()
    other = prog[prog.variant == "holdout"].user_id.iloc[3:5].tolist()  # held out by the hash
    leak = pd.DataFrame({"user_id": held, "experiment": "nps-survey-timing", "variant": "week1",
                         "assigned_at": prog.set_index("user_id").loc[held, "assigned_at"].array})
    a.loc[a.user_id.isin(other) & (a.experiment == programme.id), "variant"] = "programme"  # recorded wrongly
    pd.concat([a, leak]).to_parquet(data / "assignments.parquet")
    ed = open_event_data(data)
    try:
        _, account, _ = programme_counts(ed, programme, specs, AS_OF)
    finally:
        ed.close()
    assert dict(account.left_out) == {"holdout_assigned": 3, "arm_not_hash": 2}
    end = pd.Timestamp(dt.datetime.combine(AS_OF + dt.timedelta(days=1), dt.time(), tzinfo=ZoneInfo(programme.timezone)))
    assert account.total == prog[prog.assigned_at < end].user_id.nunique()  # every user accounted for


def test_overlapping_pairs(specs):
    by = {s.id: s for s in specs}
    pairs = overlapping_pairs(specs)
    assert [(a.id, b.id) for a, b in pairs] == [("maintenance-banner-copy", "nps-survey-timing")]
    ns = [s.model_copy(update={"namespace": NamespaceSpec(id="home", range=r)})
          for s, r in ((by["maintenance-banner-copy"], (0, 0.5)), (by["nps-survey-timing"], (0.5, 1)))]
    assert overlapping_pairs(ns) == []  # one namespace: never the same users
    open_end = by["onboarding-tour-vs-checklist"].model_copy(update={"end": None})
    assert len(overlapping_pairs([open_end, by["nps-survey-timing"]])) == 1


@pytest.mark.slow
def test_a_true_interaction_is_flagged_in_both_experiments(tmp_path, programme, specs):
    """Users in banner `specific` who also got the nps `week1` survey click half as often: the
    check flags the pair (Holm across both directions), and names both experiments."""
    sim = ProgrammeSimulation(reach=0.9, interactions=[SimulatedInteraction(
        experiments=("maintenance-banner-copy", "nps-survey-timing"), arms=("specific", "week1"), multiplier=0.3)])
    p = programme.model_copy(update={"simulation": sim})
    simulate_programme(p, specs, 60000, tmp_path / "d", seed=11)
    r = analyze_programme(p, specs, tmp_path / "d", as_of=AS_OF)
    banner = next(i for i in r.interactions if i.experiment_a == "maintenance-banner-copy")
    assert banner.flagged and banner.test.contrasts[0] < 0
    assert r.flagged_experiments() == {"maintenance-banner-copy": ["nps-survey-timing"],
                                       "nps-survey-timing": ["maintenance-banner-copy"]}


def test_a_mean_primary_is_checked_on_its_cell_sums(programme, specs):
    """Banner's primary switched to a mean (sessions_d7): the check tests the cell means; the cells
    (users, sums, sums of squares) equal a pandas grouping of the registry's per-user table joined
    with nps's assignments; a ratio primary is listed as not checked."""
    from guidelab.metrics import build_user_table, default_as_of
    from guidelab.programme_analysis import interaction_checks

    by = {s.id: s for s in specs}
    banner = by["maintenance-banner-copy"]
    mean = banner.model_copy(update={"metrics": banner.metrics.model_copy(update={"primary": "sessions_d7"})})
    nps = by["nps-survey-timing"]
    ed = open_event_data(SAMPLE)
    try:
        checks = interaction_checks(ed, [mean, nps], as_of=AS_OF)
        build_user_table(ed, mean, default_as_of(ed, mean))
        users = ed.con.execute("SELECT user_id, variant, sessions_d7 FROM exp_users WHERE observed_days >= 6").df()
        b = ed.con.execute("SELECT user_id, variant AS b_variant FROM assignments WHERE experiment = $e",
                           {"e": nps.id}).df()
    finally:
        ed.close()
    one = next(c for c in checks if c.experiment_a == mean.id)
    assert one.status == "ok" and one.test.kind == "mean" and one.test.successes == ()
    b = b[b.b_variant.isin(nps.variant_keys)].groupby("user_id").filter(lambda g: g.b_variant.nunique() == 1)
    b = b.drop_duplicates("user_id")
    cells = users.merge(b, on="user_id").assign(sq=lambda d: d.sessions_d7.astype(float) ** 2)
    grouped = cells.groupby(["variant", "b_variant"]).agg(n=("user_id", "size"), s=("sessions_d7", "sum"), q=("sq", "sum"))
    arms_a, arms_b = one.test.arms_a, one.test.arms_b
    for i, va in enumerate(arms_a):
        for j, vb in enumerate(arms_b):
            row = grouped.loc[(va, vb)]
            assert one.test.users[i][j] == row.n and one.test.sums[i][j] == pytest.approx(row.s)
            assert one.test.sums_of_squares[i][j] == pytest.approx(row.q)
    assert sum(map(sum, one.test.users)) > 100 and one.test.p_value is not None
    ratio = banner.model_copy(update={"metrics": banner.metrics.model_copy(update={"primary": "clicks_per_impression"})})
    ed = open_event_data(SAMPLE)
    try:
        statuses = {c.experiment_a: c.status for c in interaction_checks(ed, [ratio, nps], as_of=AS_OF)}
    finally:
        ed.close()
    assert statuses[ratio.id] == "ok" and statuses[nps.id] in ("ok", "not_enough_data")


def _unit_tables(df: pd.DataFrame, arms_a, arms_b):
    """pandas: the cluster-robust interaction's inputs from one row per user (unit, a, b, x, y)."""
    import numpy as np

    cells = [(va, vb) for va in arms_a for vb in arms_b]
    per = df.groupby(["unit", "a", "b"]).agg(n=("x", "size"), x=("x", "sum"), y=("y", "sum")).reset_index()
    wide_x = per.pivot_table(index="unit", columns=["a", "b"], values="x", fill_value=0.0).reindex(columns=cells, fill_value=0.0)
    wide_y = per.pivot_table(index="unit", columns=["a", "b"], values="y", fill_value=0.0).reindex(columns=cells, fill_value=0.0)
    xs, ys = wide_x.to_numpy(float), wide_y.to_numpy(float)
    by_cell = per.groupby(["a", "b"]).agg(users=("n", "sum"), units=("unit", "nunique"), x=("x", "sum"), y=("y", "sum"))

    def table(col):
        return [[float(by_cell.loc[(va, vb), col]) if (va, vb) in by_cell.index else 0.0 for vb in arms_b] for va in arms_a]

    r = ys.sum(0) / xs.sum(0)
    contrasts = []
    for i in range(1, len(arms_a)):
        for j in range(1, len(arms_b)):
            c = np.zeros((len(arms_a), len(arms_b)))
            c[i, j], c[i, 0], c[0, j], c[0, 0] = 1, -1, -1, 1
            contrasts.append(c.ravel())
    contributions = (ys - xs * r) / xs.sum(0) @ np.array(contrasts).T
    return dict(users=[[int(v) for v in row] for row in table("users")], units=[[int(v) for v in row] for row in table("units")],
                numerators=table("y"), denominators=table("x"), cross_xx=xs.T @ xs, cross_xy=xs.T @ ys,
                cross_yy=ys.T @ ys, n_units=int(per.unit.nunique()), fourth_moments=(contributions ** 4).sum(0))


def test_interaction_of_a_ratio_primary_is_checked_by_user(specs):
    """A ratio primary (clicks per impression): cell estimates are ratios of sums, the variance is
    cluster-robust with users as units; every input equals pandas on the registry's per-user table."""
    from guidelab.catalog import parse_metric
    from guidelab.metrics import build_user_table, default_as_of, ratio_sql
    from guidelab.programme_analysis import interaction_checks
    from guidelab.stats.interaction import interaction_test_clustered

    by = {s.id: s for s in specs}
    banner, nps = by["maintenance-banner-copy"], by["nps-survey-timing"]
    ratio = banner.model_copy(update={"metrics": banner.metrics.model_copy(update={"primary": "clicks_per_impression"})})
    ed = open_event_data(SAMPLE)
    try:
        checks = interaction_checks(ed, [ratio, nps], as_of=AS_OF)
        build_user_table(ed, ratio, default_as_of(ed, ratio))
        eligible, num, den = ratio_sql(parse_metric("clicks_per_impression"), ratio)
        users = ed.con.execute(f"SELECT user_id, variant AS a, CAST({num} AS DOUBLE) AS y, CAST({den} AS DOUBLE) AS x "
                               f"FROM exp_users WHERE {eligible}").df()
        b = ed.con.execute("SELECT user_id, variant AS b FROM assignments WHERE experiment = $e", {"e": nps.id}).df()
    finally:
        ed.close()
    one = next(c for c in checks if c.experiment_a == ratio.id)
    assert one.status == "ok" and one.test.kind == "ratio" and one.test.cluster_unit == "user"
    b = b[b.b.isin(nps.variant_keys)].groupby("user_id").filter(lambda g: g.b.nunique() == 1).drop_duplicates("user_id")
    df = users.merge(b, on="user_id").assign(unit=lambda d: d.user_id)
    expected = interaction_test_clustered(**_unit_tables(df, one.test.arms_a, one.test.arms_b), kind="ratio",
                                          cluster_unit="user", arms_a=one.test.arms_a, arms_b=one.test.arms_b)
    assert one.test.users == expected.users and one.test.units == expected.users  # one unit per user
    assert sum(one.test.denominators, ()) == pytest.approx(sum(expected.denominators, ()))
    assert sum(one.test.sums, ()) == pytest.approx(sum(expected.sums, ()))
    assert one.test.p_value == pytest.approx(expected.p_value, rel=1e-9)
    assert one.test.effective_units == pytest.approx(expected.effective_units, rel=1e-9)


@pytest.fixture(scope="module")
def account_pair(tmp_path_factory, account_programme, specs):
    """The programme simulated with nps-survey-timing randomised by account (whole accounts per arm)."""
    acc = [s.model_copy(update={"unit": "account_id"}) if s.id == "nps-survey-timing" else s for s in specs]
    out = tmp_path_factory.mktemp("programme-account-pair")
    simulate_programme(account_programme, acc, 5000, out, seed=5)
    return acc, out


def test_interaction_with_an_account_randomised_experiment_is_clustered_by_account(account_pair, account_programme):
    """Either direction of a pair where one experiment randomises accounts: the cells' units are
    accounts (A's own attribute, or B's from its assignments), and the test equals the statistics
    computed from pandas per-account sums of the registry's per-user values."""
    from guidelab.catalog import parse_metric
    from guidelab.metrics import build_user_table, default_as_of, metric_counts_sql
    from guidelab.programme_analysis import interaction_checks
    from guidelab.stats.interaction import interaction_test_clustered

    specs, data = account_pair
    by = {s.id: s for s in specs}
    ed = open_event_data(data)
    try:
        checks = {c.experiment_a: c for c in interaction_checks(ed, specs, as_of=AS_OF)}
        frames = {}
        for a_id in ("maintenance-banner-copy", "nps-survey-timing"):
            a = by[a_id]
            build_user_table(ed, a, default_as_of(ed, a))
            eligible, value = metric_counts_sql(parse_metric(a.metrics.primary), a)
            frames[a_id] = ed.con.execute(f"SELECT user_id, variant AS a, CAST({value} AS DOUBLE) AS y FROM exp_users "
                                          f"WHERE {eligible}").df()
        assignments = pd.read_parquet(data / "assignments.parquet")
    finally:
        ed.close()
    account = assignments.dropna(subset=["account_id"]).groupby("user_id").account_id.min()
    for a_id, b_id in (("maintenance-banner-copy", "nps-survey-timing"), ("nps-survey-timing", "maintenance-banner-copy")):
        got = checks[a_id]
        assert got.status == "ok" and got.test.cluster_unit == "account_id" and got.test.effective_units is not None
        b = assignments[assignments.experiment == b_id]
        b = b[b.variant.isin(by[b_id].variant_keys)].groupby("user_id").filter(lambda g: g.variant.nunique() == 1)
        b = b.drop_duplicates("user_id")[["user_id", "variant"]].rename(columns={"variant": "b"})
        df = frames[a_id].merge(b, on="user_id").assign(x=1.0, unit=lambda d: d.user_id.map(account))
        expected = interaction_test_clustered(**_unit_tables(df.dropna(subset=["unit"]), got.test.arms_a, got.test.arms_b),
                                              kind=got.test.kind, arms_a=got.test.arms_a, arms_b=got.test.arms_b)
        assert got.test.users == expected.users and got.test.units == expected.units
        assert sum(map(sum, got.test.units)) < sum(map(sum, got.test.users))  # accounts, not users
        assert got.test.p_value == pytest.approx(expected.p_value, rel=1e-9)
        assert got.test.effective_units == pytest.approx(expected.effective_units, rel=1e-9)


def test_interaction_of_experiments_randomising_different_attributes_is_not_checked(account_pair):
    from guidelab.programme_analysis import interaction_checks

    specs, data = account_pair
    other = [s.model_copy(update={"unit": "team_id"}) if s.id == "maintenance-banner-copy" else s for s in specs]
    ed = open_event_data(data)
    try:
        statuses = {c.experiment_a: c.status for c in interaction_checks(ed, other, as_of=AS_OF)}
    finally:
        ed.close()
    assert statuses["maintenance-banner-copy"] == statuses["nps-survey-timing"] == "units_differ"


# --- a programme holding out accounts (tests/fixtures/programme-account) ---------------------------
ACCOUNT_PROGRAMME = ROOT / "tests" / "fixtures" / "programme-account"


@pytest.fixture(scope="module")
def account_programme():
    return find_programme(ACCOUNT_PROGRAMME)


@pytest.fixture(scope="module")
def account_data(tmp_path_factory, account_programme, specs):
    out = tmp_path_factory.mktemp("programme-account")
    simulate_programme(account_programme, specs, 5000, out, seed=5)
    return out


def _pandas_goal_users(data: Path, programme, as_of) -> pd.DataFrame:
    """Per user of the programme (pandas, from the raw files): arm, account and goal_d7 (0/1)
    among users with 7 complete days."""
    tz = ZoneInfo(programme.timezone)
    a = pd.read_parquet(data / "assignments.parquet")
    act = pd.read_parquet(data / "activity.parquet")
    end = pd.Timestamp(dt.datetime.combine(as_of + dt.timedelta(days=1), dt.time(), tzinfo=tz))
    a = a[(a.assigned_at < end) & (a.experiment == programme.id)]
    prog = a.groupby("user_id").agg(arm=("variant", "first"), t=("assigned_at", "min"), account=("account_id", "min"))
    prog["day0"] = prog.t.dt.tz_convert(tz).dt.date
    prog = prog[(pd.Timestamp(as_of) - pd.to_datetime(prog.day0)).dt.days >= 6]
    goals = act[(act.event == programme.goal_event) & (act.timestamp < end)].merge(prog, left_on="user_id",
                                                                                   right_index=True)
    goals = goals[(goals.timestamp >= goals.t)
                  & ((goals.timestamp.dt.tz_convert(tz).dt.date - goals.day0).apply(lambda d: d.days) < 7)]
    prog["y"] = prog.index.isin(set(goals.user_id)).astype(float)
    return prog


def test_account_holdout_is_whole_accounts_in_the_simulated_data(account_data, account_programme, specs):
    a = pd.read_parquet(account_data / "assignments.parquet")
    prog = a[a.experiment == account_programme.id]
    assert prog.groupby("account_id").variant.nunique().max() == 1  # every account in one arm
    held = set(prog[prog.variant == "holdout"].account_id)
    assert held and in_holdout_batch(account_programme, sorted(held)).all()
    guide_rows = a[(a.experiment != account_programme.id) & a.account_id.isin(held)]
    assert guide_rows.empty  # no user of a held-out account entered any experiment


def test_account_holdout_compares_by_account_with_cluster_robust_variance(account_data, account_programme, specs):
    """goal_d7 by account: the per-account sums equal numpy's from a pandas per-user table; the
    comparison is compare_clustered on them; each arm's variance is statsmodels' CR0
    cluster-robust variance of the mean times the small-sample factor f of docs/statistics.md."""
    import numpy as np
    import statsmodels.api as sm

    from guidelab.stats.cluster import ClusterStats, compare_clustered

    r = analyze_programme(account_programme, specs, account_data, as_of=AS_OF)
    assert r.unit == "account_id" and r.to_dict()["unit"] == "account_id"
    u = r.users
    assert u.accounts_holdout > 30 and u.accounts_programme > 100 and u.left_out == ()
    assert u.to_dict()["accounts_holdout"] == u.accounts_holdout
    m = next(x for x in r.metrics if x.metric == "goal_d7")
    users = _pandas_goal_users(account_data, account_programme, AS_OF)
    stats = {arm: ClusterStats.from_users(g.account.to_numpy(), g.y.to_numpy()) for arm, g in users.groupby("arm")}
    c = m.itt
    assert (c.n, c.n_control) == (stats["programme"].n_users, stats["holdout"].n_users)
    assert (c.n_accounts, c.n_accounts_control) == (stats["programme"].n_accounts, stats["holdout"].n_accounts)
    ref = compare_clustered(stats["programme"], stats["holdout"], account_programme.alpha)
    assert c.abs_diff == pytest.approx(ref.abs_diff, rel=1e-12) and c.p_value == pytest.approx(ref.p_value, rel=1e-9)
    assert c.abs_ci == pytest.approx(ref.abs_ci, rel=1e-9)
    rho = min(max(c.icc, 0.0), 1.0)
    for arm, se in (("programme", c.se_estimate), ("holdout", c.se_estimate_control)):
        g = users[users.arm == arm]
        fit = sm.OLS(g.y.to_numpy(), np.ones(len(g))).fit(cov_type="cluster", cov_kwds={
            "groups": pd.factorize(g.account)[0], "use_correction": False})
        n = g.groupby("account").size().to_numpy().astype(float)
        w = (1 - rho) * n + rho * n * n
        big_n = n.sum()
        f = w.sum() / (w.sum() * (1 + (n * n).sum() / big_n ** 2) - 2 * (n * w).sum() / big_n)
        assert fit.params[0] == pytest.approx(g.y.mean(), rel=1e-12)
        assert se ** 2 == pytest.approx(fit.cov_params()[0, 0] * f, rel=1e-9), arm
    assert c.p_value_naive == pytest.approx(compare_proportions(
        int(users[users.arm == "programme"].y.sum()), c.n, int(users[users.arm == "holdout"].y.sum()),
        c.n_control).p_value, abs=0.05)  # the naive z-test, not the score test: close, not equal
    assert m.exposed_effect == pytest.approx(c.abs_diff / m.exposed_share)


def test_account_holdout_counts_missing_accounts_and_wrong_arms(tmp_path, account_data, account_programme, specs):
    """Programme rows without an account are left out as missing_unit; an account recorded in the
    wrong arm (against the hash of the account) as arm_not_hash; every user accounted for. The
    account may also come from the users table instead of the assignments."""
    data = tmp_path / "p"
    shutil.copytree(account_data, data)
    a = pd.read_parquet(data / "assignments.parquet")
    is_prog = a.experiment == account_programme.id
    prog_users = a[is_prog].user_id.tolist()
    blank = prog_users[:7]  # the earliest: assigned before AS_OF
    a.loc[is_prog & a.user_id.isin(blank), "account_id"] = None
    wrong_account = a[is_prog & (a.variant == "holdout") & ~a.user_id.isin(blank)].account_id.iloc[0]
    flipped = a.loc[is_prog & (a.account_id == wrong_account)].user_id.tolist()
    a.loc[is_prog & (a.account_id == wrong_account), "variant"] = "programme"
    a.to_parquet(data / "assignments.parquet")
    ed = open_event_data(data)
    try:
        _, account, _ = programme_counts(ed, account_programme, specs, AS_OF)
    finally:
        ed.close()
    assert dict(account.left_out) == {"missing_unit": 7, "arm_not_hash": len(flipped)}
    end = pd.Timestamp(dt.datetime.combine(AS_OF + dt.timedelta(days=1), dt.time(),
                                           tzinfo=ZoneInfo(account_programme.timezone)))
    assert account.total == a[is_prog & (a.assigned_at < end)].user_id.nunique()  # every user accounted for
    # the same accounts from a users table
    users = a[is_prog][["user_id", "account_id"]].drop_duplicates("user_id")
    users.to_parquet(data / "users.parquet")
    a.drop(columns="account_id").to_parquet(data / "assignments.parquet")
    ed = open_event_data(data)
    try:
        _, from_users, _ = programme_counts(ed, account_programme, specs, AS_OF)
    finally:
        ed.close()
    assert from_users == account
    (data / "users.parquet").unlink()
    ed = open_event_data(data)
    try:
        with pytest.raises(DataError, match="expected a column account_id"):
            programme_counts(ed, account_programme, specs, AS_OF)
    finally:
        ed.close()


def programme_aa_rates(reps: int = 4000, accounts: int = 1000, share: float = 0.2, icc: float = 0.1,
                       seed: int = 2026) -> dict[str, float]:
    """A/A of the programme comparison by account: a customer base of ``accounts`` log-normal-sized
    accounts (median 4, sigma 1.2, at most 300 users), a 30% goal rate with the given ICC (Beta
    account rates, :func:`guidelab.stats.cluster.simulate_account_sums`), split per replicate by
    the real holdout hash of the account ids under its own seed; no effect. Returns the rejection
    rates at alpha 0.05 of the clustered comparison the report uses
    (:func:`programme_comparison_by_account`), of the user-level Miettinen-Nurminen test of a user
    holdout (:func:`compare_proportions`) and of the naive user-level z-test."""
    import numpy as np
    import pyarrow as pa

    from guidelab.programme import HoldoutSpec, ProgrammeSpec
    from guidelab.programme_analysis import programme_comparison_by_account
    from guidelab.stats.cluster import ClusterStats, arm_sums, draw_account_sizes, simulate_account_sums

    rng = np.random.default_rng(seed)
    sizes = draw_account_sizes(rng, (reps, accounts), median=4.0, sigma=1.2, max_size=300)
    sums = simulate_account_sums(rng, sizes, kind="proportion", mean=0.3, icc=icc)
    ids = pa.array([f"acct-{i:05d}" for i in range(accounts)], type=pa.string())
    base = ProgrammeSpec.model_validate({"id": "aa", "start": "2026-01-01", "unit": "account_id", "metrics": ["goal_d7"],
                                         "goal_event": "g", "holdout": {"share": share, "seed": "aa-0"}})
    held = np.stack([in_holdout_batch(base.model_copy(update={"holdout": HoldoutSpec(share=share, seed=f"aa-{r}")}),
                                      ids) for r in range(reps)])
    arms = {"holdout": arm_sums(sums, held), "programme": arm_sums(sums, ~held)}
    clustered = naive_mn = naive_z = 0
    for r in range(reps):
        stats = {arm: ClusterStats(int(a.n_accounts[r]), int(a.n_users[r]), *(float(getattr(a, f)[r])
                                   for f in a._fields[2:])) for arm, a in arms.items()}
        c = programme_comparison_by_account(stats, 0.05)
        clustered += c.p_value is not None and c.p_value < 0.05
        naive_z += c.p_value_naive is not None and c.p_value_naive < 0.05
        p, h = stats["programme"], stats["holdout"]
        mn = compare_proportions(int(round(p.sum_y)), p.n_users, int(round(h.sum_y)), h.n_users, 0.05)
        naive_mn += mn.p_value is not None and mn.p_value < 0.05
    return {"clustered": clustered / reps, "naive_mn": naive_mn / reps, "naive_z": naive_z / reps}


@pytest.mark.slow
def test_aa_of_the_programme_comparison_by_account_is_calibrated():
    """4,000 A/A programmes (1,000 accounts, 20% held out by the account hash, ICC 0.1): the
    clustered comparison rejects within [0.04, 0.06] (Monte Carlo SE 0.0034); the user-level tests
    that treat users as independent are visibly inflated."""
    rates = programme_aa_rates()
    assert 0.04 <= rates["clustered"] <= 0.06, rates
    assert rates["naive_mn"] > 0.15 and rates["naive_z"] > 0.15, rates


if __name__ == "__main__":  # the figures of docs/programme.md
    import time

    t0 = time.process_time()
    for icc in (0.02, 0.1, 0.3):
        print(icc, programme_aa_rates(icc=icc), f"{time.process_time() - t0:.0f} s CPU")
