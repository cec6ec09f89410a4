"""Experiment planning: numbers against independent closed forms, statsmodels and simulation."""
from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest
from scipy.stats import norm
from statsmodels.stats.power import NormalIndPower

from guidelab.experiment import ExperimentSpec, dump_spec_dict
from guidelab.plan import (
    PlanResult,
    days_for_metric_lag,
    mde_days_curve,
    plan_experiment,
    plan_from_cli,
)
from guidelab.stats.power import power_two_proportions, sequential_power_two_proportions

ROOT = Path(__file__).resolve().parent.parent
EXPERIMENTS = ROOT / "experiments"
ONBOARDING = EXPERIMENTS / "onboarding-tour-vs-checklist.yaml"
BANNER = EXPERIMENTS / "maintenance-banner-copy.yaml"


def n_closed_form(p0, mde, alpha, power, ratio=1.0):
    """Control users: (z_{1-a/2} + z_power)^2 (p0 q0 + p1 q1 / ratio) / (p1 - p0)^2, written independently."""
    p1 = p0 * (1 + mde)
    return (norm.isf(alpha / 2) + norm.ppf(power)) ** 2 * (p0 * (1 - p0) + p1 * (1 - p1) / ratio) / (p1 - p0) ** 2


def n_statsmodels(p0, mde, alpha, power, ratio=1.0):
    """The same from NormalIndPower: common-variance form sigma^2 = (p0 q0 + p1 q1 / r) / (1 + 1 / r),
    one rejection tail at alpha / 2 (the closed form ignores the far tail)."""
    p1 = p0 * (1 + mde)
    sigma = math.sqrt((p0 * (1 - p0) + p1 * (1 - p1) / ratio) / (1 + 1 / ratio))
    return NormalIndPower().solve_power(effect_size=abs(p1 - p0) / sigma, alpha=alpha / 2, power=power,
                                        ratio=ratio, alternative="larger")


def cs_halfwidth(se, n_total, alpha, tuning=5000):
    rho2 = (-2 * math.log(alpha) + math.log(-2 * math.log(alpha) + 1)) / tuning
    return se * math.sqrt(n_total) * math.sqrt(
        2 * (n_total * rho2 + 1) / (n_total**2 * rho2) * math.log(math.sqrt(n_total * rho2 + 1) / alpha))


def seq_n_bruteforce(p0, mde, alpha, power, ratio=1.0, tuning=5000):
    """Smallest n0 with Phi((delta - h)/SE) + Phi((-delta - h)/SE) >= power, by a vectorised scan."""
    p1 = p0 * (1 + mde)
    n = np.arange(1, 2_000_000, dtype=float)
    se = np.sqrt(p0 * (1 - p0) / n + p1 * (1 - p1) / (ratio * n))
    N = n * (1 + ratio)
    rho2 = (-2 * math.log(alpha) + math.log(-2 * math.log(alpha) + 1)) / tuning
    h = se * np.sqrt(2 * (N * rho2 + 1) / (N * rho2) * np.log(np.sqrt(N * rho2 + 1) / alpha))
    d = abs(p1 - p0)
    pw = norm.cdf((d - h) / se) + norm.cdf((-d - h) / se)
    return int(n[np.argmax(pw >= power)])


def make_spec(base: ExperimentSpec, **changes) -> ExperimentSpec:
    """A validated copy of ``base`` with top-level fields replaced (simulation block dropped)."""
    d = dump_spec_dict(base)
    d.pop("simulation", None)
    metrics = changes.pop("metrics", None)
    if metrics is not None:
        d["metrics"] = {**d["metrics"], **metrics}
    d.update(changes)
    return ExperimentSpec.model_validate(d)


# --------------------------------------------------------------------------- two arms


def test_two_arm_plan_matches_closed_forms(banner_spec):
    p0, daily = 0.10, 2000
    plan = plan_experiment(banner_spec, p0, daily)
    assert isinstance(plan, PlanResult)
    raw = n_closed_form(p0, 0.15, 0.05, 0.8)
    assert plan.n_per_arm_fixed == math.ceil(raw)
    assert raw == pytest.approx(n_statsmodels(p0, 0.15, 0.05, 0.8), rel=1e-6)
    assert plan.n_per_arm_sequential == seq_n_bruteforce(p0, 0.15, 0.05, 0.8)
    assert plan.n_per_arm_sequential > plan.n_per_arm_fixed
    assert (plan.comparisons_count, plan.alpha_per_comparison, plan.correction) == (1, 0.05, None)
    assert [a.needed_fixed for a in plan.arms] == [plan.n_per_arm_fixed] * 2
    assert plan.users_fixed == 2 * plan.n_per_arm_fixed
    assert plan.users_sequential == 2 * plan.n_per_arm_sequential
    assert plan.lag_days == 0
    assert plan.enrollment_days_fixed == pytest.approx(plan.users_fixed / daily)
    assert plan.days_to_decision_fixed == math.ceil(plan.users_fixed / daily)
    assert plan.days_to_decision_sequential == math.ceil(plan.users_sequential / daily)
    assert plan.target_rate == pytest.approx(0.115)
    assert plan.days is None and plan.mde_fixed_at_days is None


def test_coverage_scales_days(banner_spec):
    full = plan_experiment(banner_spec, 0.1, 1000)
    half = plan_experiment(make_spec(banner_spec, coverage=0.5), 0.1, 1000)
    assert half.users_fixed == full.users_fixed
    assert half.daily_enrolled == 500.0
    assert half.enrollment_days_fixed == pytest.approx(2 * full.enrollment_days_fixed)


def test_decrease_metric_plans_a_drop(banner_spec):
    spec = make_spec(banner_spec, metrics={"primary": "dismissed", "secondary": ["opened"], "guardrails": ["clicked"]},
                     guardrail_margins={})
    plan = plan_experiment(spec, 0.3, 1000, days=10)
    assert plan.mde == pytest.approx(-0.15)
    assert plan.n_per_arm_fixed == math.ceil(n_closed_form(0.3, -0.15, 0.05, 0.8))
    assert plan.mde_fixed_at_days < 0
    assert any("should go down" in n for n in plan.notes)


# --------------------------------------------------------------------------- several arms, weights


def test_multi_arm_alpha_split_and_weights(onboarding_spec):
    """holdout 20% control, tour 40%, checklist 40%: alpha / 2, each comparison at ratio 2."""
    p0, daily = 0.22, 500
    plan = plan_experiment(onboarding_spec, p0, daily)
    assert plan.comparisons_count == 2 and plan.correction == "bonferroni"
    assert plan.alpha_per_comparison == pytest.approx(0.025)
    assert plan.n_per_arm_fixed == math.ceil(n_closed_form(p0, 0.1, 0.025, 0.8))
    assert plan.n_per_arm_sequential == seq_n_bruteforce(p0, 0.1, 0.025, 0.8)
    nc = n_closed_form(p0, 0.1, 0.025, 0.8, ratio=2.0)
    assert nc == pytest.approx(n_statsmodels(p0, 0.1, 0.025, 0.8, ratio=2.0), rel=1e-6)
    arms = {a.key: a for a in plan.arms}
    assert arms["holdout"].role == "control" and arms["tour"].role == "treatment"
    assert arms["holdout"].needed_fixed == math.ceil(nc)
    assert arms["tour"].needed_fixed == arms["checklist"].needed_fixed == math.ceil(2 * math.ceil(nc))
    assert plan.users_fixed == math.ceil(math.ceil(nc) / 0.2 - 1e-9)
    ncs = seq_n_bruteforce(p0, 0.1, 0.025, 0.8, ratio=2.0)
    assert arms["holdout"].needed_sequential == ncs
    assert plan.users_sequential == math.ceil(ncs / 0.2 - 1e-9)
    for a in plan.arms:  # following the plan gives every arm at least what it needs
        assert a.assigned_fixed >= a.needed_fixed and a.assigned_sequential >= a.needed_sequential
    # the real split needs fewer users than equal arms sized for the smallest weight
    assert plan.users_fixed < plan.n_per_arm_fixed / 0.2
    assert "Bonferroni" in plan.to_text() and "Holm" in plan.to_text()


def test_unequal_treatment_weights_take_the_max_over_arms(onboarding_spec):
    variants = [{"key": "holdout", "guide": None, "weight": 0.5},
                {"key": "tour", "guide": "onboarding-tour", "weight": 0.3},
                {"key": "checklist", "guide": "onboarding-checklist", "weight": 0.2}]
    spec = make_spec(onboarding_spec, variants=variants)
    p0 = 0.22
    plan = plan_experiment(spec, p0, 500)
    expected = {}
    for key, w in (("tour", 0.3), ("checklist", 0.2)):
        r = w / 0.5
        nc = math.ceil(n_closed_form(p0, 0.1, 0.025, 0.8, ratio=r))
        nt = math.ceil(r * nc - 1e-9)
        expected[key] = (nc, nt, math.ceil(max(nc / 0.5, nt / w) - 1e-9))
    arms = {a.key: a for a in plan.arms}
    assert arms["holdout"].needed_fixed == max(v[0] for v in expected.values())
    assert arms["tour"].needed_fixed == expected["tour"][1]
    assert arms["checklist"].needed_fixed == expected["checklist"][1]
    assert plan.users_fixed == max(v[2] for v in expected.values()) == expected["checklist"][2]
    assert plan.users_fixed == max(math.ceil(a.needed_fixed / a.weight - 1e-9) for a in plan.arms)


def test_three_treatments_split_alpha_by_three(onboarding_spec):
    guides = dump_spec_dict(onboarding_spec)["guides"]
    variants = [{"key": "holdout", "guide": None, "weight": 0.25},
                {"key": "tour", "guide": guides[0]["id"], "weight": 0.25},
                {"key": "checklist", "guide": guides[1]["id"], "weight": 0.25},
                {"key": "tour2", "guide": guides[0]["id"], "weight": 0.25}]
    plan = plan_experiment(make_spec(onboarding_spec, variants=variants), 0.22, 500)
    assert plan.alpha_per_comparison == pytest.approx(0.05 / 3)
    assert plan.n_per_arm_fixed == math.ceil(n_closed_form(0.22, 0.1, 0.05 / 3, 0.8))
    assert plan.users_fixed == 4 * plan.n_per_arm_fixed


# --------------------------------------------------------------------------- lag and days


@pytest.mark.parametrize("metric,lag", [("retention_d7", 7), ("retention_d30", 30), ("retention_d0", 0),
                                        ("goal_d14", 14), ("clicked", 0), ("click_through", 0), ("dismissed", 0)])
def test_days_for_metric_lag(metric, lag):
    assert days_for_metric_lag(metric) == lag


def test_lag_added_to_days(onboarding_spec):
    plan = plan_experiment(onboarding_spec, 0.22, 500)
    assert plan.lag_days == 7
    assert plan.days_to_decision_fixed == math.ceil(plan.users_fixed / 500) + 7
    assert plan.days_to_decision_sequential == math.ceil(plan.users_sequential / 500) + 7
    assert any("maturation" in n for n in plan.notes)
    goal = plan_experiment(make_spec(onboarding_spec, metrics={"primary": "goal_d14", "secondary": ["retention_d1"]}),
                           0.3, 500)
    assert goal.lag_days == 14


@pytest.mark.parametrize("spec_name,p0,daily", [("banner", 0.1, 2000), ("onboarding", 0.22, 500),
                                                ("onboarding", 0.22, 3000)])
def test_days_mde_round_trip(spec_name, p0, daily, banner_spec, onboarding_spec):
    spec = banner_spec if spec_name == "banner" else onboarding_spec
    plan = plan_experiment(spec, p0, daily)
    for kind in ("fixed", "sequential"):
        d = getattr(plan, f"days_to_decision_{kind}")
        at_d = plan_experiment(spec, p0, daily, days=d)
        before = plan_experiment(spec, p0, daily, days=d - 1)
        m_d, m_before = getattr(at_d, f"mde_{kind}_at_days"), getattr(before, f"mde_{kind}_at_days")
        assert 0 < m_d <= spec.mde < m_before  # the planned day detects the MDE, a day earlier does not
        # and the MDE at day d needs exactly the users matured by day d
        back = plan_experiment(make_spec(spec, mde=m_d), p0, daily)
        matured = (d - plan.lag_days) * daily * spec.coverage
        users = getattr(back, f"users_{kind}")
        wc = spec.weights[spec.control_key]
        assert matured - 1 <= users <= matured + 2 / wc + 2


def test_mde_at_days_matches_power(onboarding_spec):
    plan = plan_experiment(onboarding_spec, 0.22, 500, days=40)
    nc = (40 - 7) * 500 * 0.2
    assert power_two_proportions(0.22, plan.mde_fixed_at_days, nc, alpha=0.025, ratio=2.0) == \
        pytest.approx(0.8, abs=1e-9)
    assert sequential_power_two_proportions(0.22, plan.mde_sequential_at_days, nc, alpha=0.025, ratio=2.0) == \
        pytest.approx(0.8, abs=1e-9)
    assert plan.mde_sequential_at_days > plan.mde_fixed_at_days
    assert [c.mde_fixed_at_days for c in plan.comparisons] == [plan.mde_fixed_at_days] * 2


def test_nothing_detectable_before_maturation(onboarding_spec):
    plan = plan_experiment(onboarding_spec, 0.22, 500, days=7)
    assert plan.mde_fixed_at_days is None and plan.mde_sequential_at_days is None
    assert "not detectable" in plan.to_text()
    json.dumps(plan.to_dict(), allow_nan=False)


def test_mde_days_curve_agrees_with_plan(onboarding_spec):
    rows = mde_days_curve(onboarding_spec, 0.22, 500)
    assert len(rows) >= 5
    at_spec = next(r for r in rows if r["mde"] == pytest.approx(onboarding_spec.mde))
    plan = plan_experiment(onboarding_spec, 0.22, 500)
    assert at_spec["days_fixed"] == plan.days_to_decision_fixed
    assert at_spec["days_sequential"] == plan.days_to_decision_sequential
    days = [r["days_fixed"] for r in sorted(rows, key=lambda r: r["mde"])]
    assert days == sorted(days, reverse=True)
    assert all(r["days_sequential"] >= r["days_fixed"] for r in rows)


# --------------------------------------------------------------------------- output and validation


def test_to_dict_and_text(onboarding_spec):
    plan = plan_experiment(onboarding_spec, 0.22, 500, days=28)
    d = json.loads(json.dumps(plan.to_dict(), allow_nan=False))
    assert d["users_fixed"] == plan.users_fixed and d["days"] == 28
    assert [a["key"] for a in d["arms"]] == ["holdout", "tour", "checklist"]
    assert d["sequential_method"].startswith("asymptotic confidence sequence")
    text = plan.to_text()
    assert f"{plan.users_fixed:,}" in text and f"{plan.users_sequential:,}" in text
    assert "Days to decision" in text and "MDE detectable in 28 days" in text
    ja = plan.to_text("ja")
    assert "判断までの日数" in ja and "7日後リテンション" in ja
    with pytest.raises(ValueError, match="language"):
        plan.to_text("fr")


def test_plan_from_cli():
    text = plan_from_cli(str(ONBOARDING), 0.22, 500, 28, "en", False)
    assert text.startswith("Experiment plan:")
    out = json.loads(plan_from_cli(BANNER, 0.1, 2000, None, "ja", True))
    assert out["experiment_id"] == "maintenance-banner-copy" and out["days"] is None


@pytest.mark.parametrize("kwargs,match", [
    (dict(baseline_rate=0.0, daily_users=500), "baseline_rate"),
    (dict(baseline_rate=1.2, daily_users=500), "baseline_rate"),
    (dict(baseline_rate=0.2, daily_users=0), "daily_users"),
    (dict(baseline_rate=0.2, daily_users=500, days=0), "days"),
    (dict(baseline_rate=0.2, daily_users=500, days=2.5), "days"),
    (dict(baseline_rate=0.95, daily_users=500), "outside"),  # +10% of 95% is above 100%
])
def test_invalid(onboarding_spec, kwargs, match):
    with pytest.raises(ValueError, match=match):
        plan_experiment(onboarding_spec, **kwargs)


# --------------------------------------------------------------------------- simulation

N_SIMS = 20_000  # Monte Carlo SE of 80% power: 0.0028
Z = norm.isf


def _sim_power(seed, n_c, n_t, p0, p1, alpha, sequential):
    rng = np.random.default_rng(seed)
    x0, x1 = rng.binomial(n_c, p0, N_SIMS), rng.binomial(n_t, p1, N_SIMS)
    r0, r1 = x0 / n_c, x1 / n_t
    se = np.sqrt(r0 * (1 - r0) / n_c + r1 * (1 - r1) / n_t)  # unpooled Wald, as the analysis
    half = cs_halfwidth(se, n_c + n_t, alpha) if sequential else Z(alpha / 2) * se
    return float(np.mean(np.abs(r1 - r0) > half))


@pytest.mark.slow
def test_simulated_power_matches_plan(banner_spec, onboarding_spec):
    figures = []
    two = plan_experiment(banner_spec, 0.2, 1000)
    fixed = _sim_power(20240801, two.n_per_arm_fixed, two.n_per_arm_fixed, 0.2, 0.23, 0.05, False)
    seq = _sim_power(20240802, two.n_per_arm_sequential, two.n_per_arm_sequential, 0.2, 0.23, 0.05, True)
    figures.append(f"2 arms, p 0.20 -> 0.23: fixed n={two.n_per_arm_fixed}/arm power {fixed:.4f}; "
                   f"sequential n={two.n_per_arm_sequential}/arm power {seq:.4f}")
    assert abs(fixed - 0.8) <= 0.03 and abs(seq - 0.8) <= 0.03

    # unequal split, alpha / 2: holdout (20%) vs tour (40%) at the plan's per-arm numbers
    multi = plan_experiment(onboarding_spec, 0.22, 500)
    arms = {a.key: a for a in multi.arms}
    fixed_m = _sim_power(20240803, arms["holdout"].needed_fixed, arms["tour"].needed_fixed, 0.22, 0.242, 0.025, False)
    seq_m = _sim_power(20240804, arms["holdout"].needed_sequential, arms["tour"].needed_sequential, 0.22, 0.242,
                       0.025, True)
    figures.append(f"holdout 20% vs tour 40%, alpha 0.025, p 0.22 -> 0.242: fixed {arms['holdout'].needed_fixed}"
                   f"+{arms['tour'].needed_fixed} power {fixed_m:.4f}; sequential {arms['holdout'].needed_sequential}"
                   f"+{arms['tour'].needed_sequential} power {seq_m:.4f}")
    print("\n" + "\n".join(figures))
    assert abs(fixed_m - 0.8) <= 0.03 and abs(seq_m - 0.8) <= 0.03


# --------------------------------------------------------------------------- notebook


@pytest.mark.notebook
def test_plan_notebook_runs(tmp_path):
    import nbformat
    import papermill as pm

    src = ROOT / "notebooks" / "plan_experiment.ipynb"
    nb = nbformat.read(src, as_version=4)
    assert all(c.get("id") for c in nb.cells)
    assert all(not c.get("outputs") and not c.get("execution_count") for c in nb.cells if c.cell_type == "code")
    assert "parameters" in nb.cells[1].metadata.get("tags", [])
    out = tmp_path / "plan_out.ipynb"
    pm.execute_notebook(str(src), str(out), kernel_name="python3", cwd=str(src.parent), progress_bar=False,
                        parameters={"spec_path": str(ONBOARDING), "baseline_rate": 0.22, "daily_users": 500,
                                    "days": None, "lang": "ja"},
                        extra_arguments=["--IPKernelApp.log_level=ERROR"])
    ran = nbformat.read(out, as_version=4)
    text = "".join(o.get("text", "") for c in ran.cells if c.cell_type == "code" for o in c.get("outputs", []))
    assert "実験計画" in text and "判断までの日数" in text
    mimes = {k for c in ran.cells if c.cell_type == "code" for o in c.get("outputs", []) for k in o.get("data", {})}
    assert "application/vnd.plotly.v1+json" in mimes and "text/html" in mimes


@pytest.mark.notebook
@pytest.mark.parametrize("cwd", ["root", "notebooks"])
def test_plan_notebook_defaults_work_from_the_root_and_from_notebooks(tmp_path, cwd):
    import papermill as pm

    src = ROOT / "notebooks" / "plan_experiment.ipynb"
    out = tmp_path / "plan_out.ipynb"
    pm.execute_notebook(str(src), str(out), kernel_name="python3", progress_bar=False,
                        cwd=str(ROOT if cwd == "root" else src.parent),
                        extra_arguments=["--IPKernelApp.log_level=ERROR"])  # no parameters: the defaults
    assert out.is_file()


# --------------------------------------------------------------------------- randomised by account

B2B = EXPERIMENTS / "b2b-onboarding-checklist.yaml"


@pytest.fixture(scope="module")
def b2b_spec():
    from guidelab.experiment import load_experiment

    return load_experiment(B2B)


@pytest.mark.parametrize(("icc", "m", "cv"), [(0.05, 5.0, 0.0), (0.1, 5.0, 1.4), (0.3, 40.0, 2.0)])
def test_account_plan_inflates_every_arm_by_the_design_effect(b2b_spec, icc, m, cv):
    from guidelab.plan import Clustering

    plain = plan_experiment(b2b_spec.model_copy(update={"unit": "user"}), 0.2, 200, days=60)
    plan = plan_experiment(b2b_spec, 0.2, 200, days=60, clustering=Clustering(icc, m, cv))
    de = 1 + ((1 + cv * cv) * m - 1) * icc  # Eldridge, Ashby & Kerry 2006, written independently
    assert plan.design_effect == pytest.approx(de)
    for a, b in zip(plan.arms, plain.arms):
        assert a.needed_fixed == math.ceil(b.needed_fixed * de - 1e-9)
        assert a.needed_sequential == math.ceil(b.needed_sequential * de - 1e-9)
    assert plan.n_per_arm_fixed == math.ceil(plain.n_per_arm_fixed * de - 1e-9)
    assert plan.users_fixed == 2 * plan.arms[0].needed_fixed
    assert plan.accounts_fixed == math.ceil(plan.users_fixed / m - 1e-9)
    assert plan.days_to_decision_fixed > plain.days_to_decision_fixed
    # the MDE at 60 days is that of users / DE independent users: power 0.8 there
    nc = (60 - 7) * 200 * 0.5 / de
    assert power_two_proportions(0.2, plan.mde_fixed_at_days, nc, alpha=0.05) == pytest.approx(0.8, abs=1e-9)


def test_a_given_design_effect_is_applied_as_it_is(b2b_spec):
    from guidelab.plan import Clustering

    plain = plan_experiment(b2b_spec.model_copy(update={"unit": "user"}), 0.2, 200)
    plan = plan_experiment(b2b_spec, 0.2, 200, clustering=Clustering(given_design_effect=1.7))
    assert [a.needed_fixed for a in plan.arms] == [math.ceil(a.needed_fixed * 1.7 - 1e-9) for a in plain.arms]
    assert plan.accounts_fixed is None and plan.icc is None
    d = plan.to_dict()
    assert d["design_effect"] == 1.7 and "accounts_fixed" not in d
    assert "design effect 1.70" in plan.to_text() and "デザイン効果 1.70" in plan.to_text("ja")


def test_account_options_from_the_cli(b2b_spec, capsys):
    from guidelab.cli import main

    out = json.loads(plan_from_cli(B2B, 0.2, 200, as_json=True, icc=0.1, mean_account_size=5, cv_account_size=1.4))
    assert out["design_effect"] == pytest.approx(1 + (2.96 * 5 - 1) * 0.1) and out["accounts_fixed"] > 0
    assert "no ICC or design effect was given" in plan_from_cli(B2B, 0.2, 200)
    assert "design_effect" not in json.loads(plan_from_cli(BANNER, 0.2, 200, as_json=True))  # users: as before
    for argv, words in ((["--design-effect", "2", "--icc", "0.1"], "not both"),
                        (["--icc", "0.1"], "needs the mean account size"),
                        (["--design-effect", "0.5"], "number >= 1"),
                        (["--icc", "1.2", "--mean-account-size", "4"], "icc must be in [0, 1)")):
        assert main(["plan", str(B2B), "--baseline", "0.2", "--daily-users", "200", *argv]) == 2
        err = capsys.readouterr().err
        assert words in err and "Traceback" not in err
    assert main(["plan", str(BANNER), "--baseline", "0.2", "--daily-users", "200", "--design-effect", "2"]) == 2
    assert "randomises users" in capsys.readouterr().err
