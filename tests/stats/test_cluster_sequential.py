"""Sequential mode for experiments randomised by ACCOUNT, simulated as teams run it (issue 14).

In sequential mode the always-valid bounds of a clustered comparison take the USERS of both arms
as their clock n and the clustered SE (``analysis.sequential_view``). Writing the confidence
sequence on the account clock (n_acc = n / m accounts, per-account variance s²/m, tuning N*/m)
gives the same halfwidth whenever the mean account size m is the same at every look; in a real
B2B experiment it is not: accounts join over the weeks and their colleagues arrive after them,
so m grows from look to look. These simulations check the guarantee under that drift:

* accounts of log-normal sizes (median 5, σ 1.5, 1-500 users) join on a uniform day of a
  28-day experiment; the first user of an account arrives that day, the others after an
  exponential delay (mean 5 days), some after the experiment ends;
* a 0/1 goal with account rates ~ Beta (the user-level ICC exactly ``icc``);
* a look every day on everything arrived so far: the per-account sums of each arm
  (:class:`~guidelab.stats.cluster.ArmSums`), :func:`compare_clustered_arrays` and the
  confidence sequence of :mod:`guidelab.stats.sequential` with the clock the analysis uses.

The false-positive rate is P(the sequence excludes 0 at ANY of the 28 looks) in A/A; the
coverage is P(the sequence covers the true effect at EVERY look). The naive user-level SE in the
same sequence is shown beside it. A last test runs the whole decision rule
(:func:`guidelab.analysis.analyze_sufficient_statistics`, sequential mode, by account) on a
subset of the same simulated looks and checks that its verdicts are the vectorised stops.
"""
from __future__ import annotations

import math

import numpy as np
import pytest

from guidelab.analysis import MetricStatistics, analyze_sufficient_statistics
from guidelab.experiment import StatisticsSpec
from guidelab.stats.cluster import ArmSums, ClusterStats, compare_clustered_arrays, draw_account_sizes
from guidelab.stats.sequential import DEFAULT_TUNING, _halfwidth_array

LOOKS = 28
BASELINE = 0.20
DELAY_MEAN = 5.0  # days between an account's first user and each colleague (exponential)
ALPHA = 0.05


def simulate_cumulative(rng: np.random.Generator, sims: int, n_accounts: int, icc: float, effect: float,
                        looks: int = LOOKS, delay_mean: float = DELAY_MEAN, join_days: int = LOOKS):
    """Per simulated experiment, account and look: users arrived so far and their successes.

    Returns (users, successes, treated), the first two of shape (sims, accounts, looks), the last
    (sims, accounts). Accounts join on a uniform day among the first ``join_days``. Colleagues' arrival days are drawn per account by a multinomial over the
    discretised exponential delay, successes among each day's arrivals by a binomial with the
    account's rate: exact in distribution, no user rows."""
    sizes = draw_account_sizes(rng, (sims, n_accounts))
    treated = rng.random((sims, n_accounts)) < 0.5
    start = rng.integers(0, join_days, (sims, n_accounts))
    phi = (1.0 - icc) / icc
    p = rng.beta(BASELINE * phi, (1.0 - BASELINE) * phi, (sims, n_accounts))
    if effect:
        e = effect * treated
        p = p + e * (1.0 - p) / (1.0 - BASELINE) if effect > 0 else p * (1.0 + e / BASELINE)
    edges = np.exp(-np.arange(looks + 1) / delay_mean)
    pvals = np.append(edges[:-1] - edges[1:], edges[-1])  # delay 0..looks-1 days, then "later"
    arrivals = rng.multinomial(sizes - 1, pvals)[..., :looks]  # (sims, accounts, looks)
    arrivals[..., 0] += 1  # the first user, on the account's start day
    wins = rng.binomial(arrivals, p[..., None])
    by_delay_users, by_delay_wins = np.cumsum(arrivals, -1), np.cumsum(wins, -1)
    day = np.arange(looks)
    offset = day[None, None, :] - start[..., None]  # days since the account's start, at each look
    idx = np.clip(offset, 0, looks - 1)
    users = np.where(offset >= 0, np.take_along_axis(by_delay_users, idx, -1), 0)
    successes = np.where(offset >= 0, np.take_along_axis(by_delay_wins, idx, -1), 0)
    return users, successes, treated


def arm_sums_at(users: np.ndarray, successes: np.ndarray, in_arm: np.ndarray) -> ArmSums:
    """The ten per-arm sums over the accounts present (n_k >= 1) in ``in_arm``; a 0/1 metric
    (Σv² = y)."""
    n = users.astype(float)
    y = successes.astype(float)
    w = (in_arm & (users > 0)).astype(float)
    n2 = n * n
    y2_over_n = np.divide(y * y, n, out=np.zeros_like(y), where=n > 0)
    return ArmSums(w.sum(-1), (w * n).sum(-1), (w * y).sum(-1), (w * y * y).sum(-1), (w * n2).sum(-1),
                   (w * n * y).sum(-1), (w * n2 * n).sum(-1), (w * n2 * n2).sum(-1), (w * y).sum(-1),
                   (w * y2_over_n).sum(-1))


def sequential_looks(users, successes, treated, effect: float, tuning: float = DEFAULT_TUNING):
    """Per experiment and look: (abs_diff, clustered CS halfwidth, naive CS halfwidth, users, accounts)."""
    out = []
    for d in range(users.shape[-1]):
        t = arm_sums_at(users[..., d], successes[..., d], treated)
        c = arm_sums_at(users[..., d], successes[..., d], ~treated)
        a = compare_clustered_arrays(t, c, ALPHA)
        n = t.n_users + c.n_users
        ok = (t.n_accounts >= 2) & (c.n_accounts >= 2) & np.isfinite(a.diff.se) & (a.diff.se > 0) & (n > 0)
        n_safe = np.where(ok, n, 1.0)
        hw = np.where(ok, _halfwidth_array(np.where(ok, a.diff.se, 1.0), n_safe, ALPHA, tuning), np.inf)
        hw_naive = np.where(ok, _halfwidth_array(np.where(ok, a.diff_naive.se, 1.0), n_safe, ALPHA, tuning), np.inf)
        out.append((a.diff.abs_diff, hw, hw_naive, n, t.n_accounts + c.n_accounts))
    diff, hw, hw_naive, n, k = (np.stack(x, -1) for x in zip(*out))
    return diff, hw, hw_naive, n, k


def run(seed: int, icc: float, effect: float = 0.0, sims: int = 2000, n_accounts: int = 600,
        chunk: int = 250, **simulation: float) -> dict[str, float]:
    rng = np.random.default_rng(seed)
    miss, miss_naive, users_end, m_first, m_last = [], [], [], [], []
    for _ in range(sims // chunk):
        users, successes, treated = simulate_cumulative(rng, chunk, n_accounts, icc, effect, **simulation)  # type: ignore[arg-type]
        diff, hw, hw_naive, n, k = sequential_looks(users, successes, treated, effect)
        err = np.abs(np.nan_to_num(diff, nan=0.0) - effect)
        miss.append(np.any(err > hw, -1))
        miss_naive.append(np.any(err > hw_naive, -1))
        users_end.append(n[:, -1])
        m_first.append(n[:, 6] / k[:, 6])
        m_last.append(n[:, -1] / k[:, -1])
    return {"miss": float(np.mean(np.concatenate(miss))), "miss_naive": float(np.mean(np.concatenate(miss_naive))),
            "users": float(np.mean(np.concatenate(users_end))),
            "m_day7": float(np.mean(np.concatenate(m_first))), "m_day28": float(np.mean(np.concatenate(m_last)))}


def test_simulated_looks_are_consistent_with_the_account_sums():
    """The cumulative arrivals never shrink, never exceed the account's size, and at a look the
    arm sums equal ClusterStats.from_accounts on the accounts present (an independent path)."""
    rng = np.random.default_rng(5)
    users, successes, treated = simulate_cumulative(rng, 3, 200, 0.1, 0.0)
    assert np.all(np.diff(users, axis=-1) >= 0) and np.all(np.diff(successes, axis=-1) >= 0)
    assert np.all(successes <= users)
    for s in range(3):
        for d in (3, 27):
            sel = treated[s] & (users[s, :, d] > 0)
            ref = ClusterStats.from_accounts(users[s, sel, d], successes[s, sel, d], successes[s, sel, d])
            got = arm_sums_at(users[s, :, d], successes[s, :, d], treated[s])
            for field, value in zip(ArmSums._fields, got):
                assert float(value) == pytest.approx(float(getattr(ref, field)), rel=1e-12), field
    # accounts grow after they join: the mean size at the last look is well above the first week's
    r = run(3, 0.1, sims=250, n_accounts=600)
    assert r["m_day28"] > 1.3 * r["m_day7"]


@pytest.mark.slow
@pytest.mark.parametrize("icc, n_accounts", [(0.02, 600), (0.1, 600), (0.3, 600), (0.1, 60)])
def test_aa_daily_looks_by_account_keep_the_false_positive_rate(icc, n_accounts):
    """A/A, 28 daily looks, stop at the first look whose sequence excludes 0: at most alpha
    (Monte Carlo SE ≈ 0.005 at 2,000 experiments); the same sequence on the naive user-level SE
    stops far more often. 60 accounts (≈ 800 users at the end) is a small B2B experiment."""
    r = run(20261130 + int(icc * 100) + n_accounts, icc, n_accounts=n_accounts)
    print(f"ICC {icc}, {n_accounts} accounts: any-look false positives clustered {r['miss']:.4f}, naive {r['miss_naive']:.4f}, "
          f"users at day 28 {r['users']:.0f}, mean account size day 7 {r['m_day7']:.2f} -> day 28 {r['m_day28']:.2f}")
    assert r["miss"] <= ALPHA + 2 * math.sqrt(ALPHA * (1 - ALPHA) / 2000)
    assert r["miss_naive"] > 2 * max(r["miss"], 0.01)


@pytest.mark.slow
def test_aa_when_every_account_joins_on_launch_day():
    """The strongest drift of the clock: every account joins in the first 2 days (a guide shown to
    all existing customers at launch) and colleagues trickle in for weeks (mean delay 10 days), so
    the mean account size seen still grows by about 80% after the first week."""
    r = run(20261140, 0.1, join_days=2, delay_mean=10.0)
    print(f"launch-day accounts, ICC 0.1: clustered {r['miss']:.4f}, naive {r['miss_naive']:.4f}, "
          f"mean account size day 7 {r['m_day7']:.2f} -> day 28 {r['m_day28']:.2f}")
    assert r["m_day28"] > 1.5 * r["m_day7"]
    assert r["miss"] <= ALPHA + 2 * math.sqrt(ALPHA * (1 - ALPHA) / 2000)
    assert r["miss_naive"] > 2 * max(r["miss"], 0.01)


@pytest.mark.slow
@pytest.mark.parametrize("icc", [0.1, 0.3])
def test_time_uniform_coverage_by_account_with_an_effect(icc):
    """A true effect of +3 points: the sequence covers it at every one of the 28 looks in at least
    95% of the experiments (within Monte Carlo error)."""
    r = run(20261230 + int(icc * 100), icc, effect=0.03)
    print(f"ICC {icc}: effect 0.03, time-uniform coverage clustered {1 - r['miss']:.4f}, naive {1 - r['miss_naive']:.4f}")
    assert 1 - r["miss"] >= 1 - ALPHA - 2 * math.sqrt(ALPHA * (1 - ALPHA) / 2000)


@pytest.mark.slow
def test_the_decision_rule_stops_where_the_sequence_excludes_zero():
    """The public path (analyze_sufficient_statistics, sequential mode, accounts randomised) on
    simulated daily looks: KEEP exactly where the clustered sequence's lower bound is above 0,
    a primary-worse KILL exactly where its upper bound is below 0, else no efficacy verdict; and
    the interval it reports is the vectorised one."""
    rng = np.random.default_rng(11)
    users, successes, treated = simulate_cumulative(rng, 40, 300, 0.1, 0.03)
    diff, hw, _, n, _ = sequential_looks(users, successes, treated, 0.03)
    spec = StatisticsSpec(sequential=True, bayesian=False)
    stops = {"KEEP": 0, "KILL": 0}
    for s in range(users.shape[0]):
        for d in range(3, LOOKS, 3):
            arms = {}
            for name, sel in (("t", treated[s] & (users[s, :, d] > 0)), ("c", ~treated[s] & (users[s, :, d] > 0))):
                arms[name] = ClusterStats.from_accounts(users[s, sel, d], successes[s, sel, d], successes[s, sel, d])
            result = analyze_sufficient_statistics(
                "sim", {v: a.n_users for v, a in arms.items()},
                [MetricStatistics("goal", "primary", arms)], "c", statistics=spec, mde=0.05,
                accounts={v: a.n_accounts for v, a in arms.items()}, randomisation_unit="account_id")
            row = next(r for r in result.metrics if r.role == "primary")
            lo, hi = diff[s, d] - hw[s, d], diff[s, d] + hw[s, d]
            if not math.isfinite(hw[s, d]):
                assert row.sequential is None or row.sequential.ci is None
                continue
            assert row.sequential.ci[0] == pytest.approx(lo, rel=1e-9, abs=1e-12)
            assert row.sequential.ci[1] == pytest.approx(hi, rel=1e-9, abs=1e-12)
            codes = {x.code for x in result.decision.reasons}
            assert (result.decision.verdict == "KEEP") == (lo > 0), (s, d, lo, hi, codes)
            assert ("primary_worse" in codes) == (hi < 0), (s, d, lo, hi, codes)
            if result.decision.verdict in stops:
                stops[result.decision.verdict] += 1
    assert stops["KEEP"] > 0  # the effect is found at some looks: the check above is not vacuous
