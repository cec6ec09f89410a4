"""Per-account sufficient statistics (SQL) for a spec randomised by account, and the analysis on them.

The SQL sums are checked against an independent computation (pandas group-by over the per-user
values, then :meth:`ClusterStats.from_users`), and the analysis against :func:`compare_clustered`
on those, on the committed sample of the B2B example (accounts of varied sizes, ICC 0.1).
"""
from __future__ import annotations

import datetime as dt
import json
import math

import numpy as np
import pandas as pd
import pytest

from guidelab.account_stats import AccountRatioStats, with_account_statistics
from guidelab.analysis import analyze_counts
from guidelab.events import open_event_data
from guidelab.experiment import load_experiment
from guidelab.metrics import compute_counts, metric_counts_sql, ratio_sql
from guidelab.stats.cluster import ClusterStats, compare_clustered
from guidelab.stats.ratio import compare_ratios
from guidelab.stats.srm import srm_test

EXAMPLE = "b2b-onboarding-checklist"
TODAY = dt.date(2026, 11, 30)


@pytest.fixture(scope="module")
def b2b(root):
    """(spec, user-level counts, account-level counts, per-user frame of every metric value)."""
    spec = load_experiment(root / "experiments" / f"{EXAMPLE}.yaml")
    ed = open_event_data(root / "data" / "sample" / EXAMPLE)
    try:
        counts = compute_counts(ed, spec, None, TODAY)
        by_account = with_account_statistics(ed, spec, counts)
        cols = []
        for m, _ in spec.metric_defs():
            eligible, v = metric_counts_sql(m, spec)
            cols.append(f"CASE WHEN {eligible} THEN CAST({v} AS DOUBLE) END AS {m.name}")
        frame = ed.con.execute(f"SELECT u.variant, a.unit_id, {', '.join(cols)} FROM exp_users u "
                               "JOIN exp_assigned a USING (uk)").df()
    finally:
        ed.close()
    return spec, counts, by_account, frame


def test_sql_sums_equal_a_pandas_group_by(b2b):
    spec, counts, by_account, frame = b2b
    assert spec.clustered and spec.unit == "account_id"
    for m in by_account.metrics:
        for v in spec.variant_keys:
            rows = frame[(frame.variant == v) & frame[m.metric.name].notna()]
            direct = ClusterStats.from_users(rows.unit_id.to_numpy(), rows[m.metric.name].to_numpy())
            got = m.by_variant[v]
            assert isinstance(got, ClusterStats)
            assert (got.n_accounts, got.n_users) == (direct.n_accounts, direct.n_users)
            for f in ("sum_y", "sum_y2", "sum_n2", "sum_ny", "sum_n3", "sum_n4", "sum_user_y2", "sum_y2_over_n"):
                assert getattr(got, f) == pytest.approx(getattr(direct, f), rel=1e-12), (m.metric.name, v, f)
            # the same users as the user-level statistics of this metric
            assert got.n_users == counts.metrics[[x.metric.name for x in counts.metrics].index(m.metric.name)] \
                .by_variant[v].n
        assert m.covariate is None


def test_accounts_per_arm_are_distinct_accounts_and_each_account_has_one_arm(b2b):
    spec, _, by_account, frame = b2b
    assert by_account.accounts == {v: frame[frame.variant == v].unit_id.nunique() for v in spec.variant_keys}
    assert frame.groupby("unit_id").variant.nunique().max() == 1
    sizes = frame.groupby("unit_id").size()
    assert sizes.min() == 1 and sizes.max() >= 20  # varied sizes, as simulated


def test_analysis_uses_the_clustered_comparison_and_counts_accounts_for_srm(b2b):
    spec, _, by_account, frame = b2b
    result = analyze_counts(spec, by_account)
    assert result.accounts == by_account.accounts
    assert result.srm == srm_test(by_account.accounts, spec.weights)  # the randomised units
    primary = next(r for r in result.metrics if r.role == "primary")
    t, c = (by_account.metrics[0].by_variant[k] for k in ("checklist", "control"))
    assert primary.comparison == compare_clustered(t, c, alpha=spec.alpha)
    assert primary.bayes is None  # Beta-Binomial assumes independent users
    assert primary.value == pytest.approx(t.sum_y / t.n_users) and primary.value_control == pytest.approx(c.mean)
    doc = json.loads(result.to_json())
    assert doc["accounts"] == by_account.accounts and doc["methods"]["randomisation_unit"] == "account_id"
    cl = doc["metrics"][0]["clustered"]
    assert cl["n_accounts"] == t.n_accounts and cl["n_accounts_control"] == c.n_accounts
    assert cl["icc"] == pytest.approx(primary.comparison.icc) and cl["design_effect"] > 1
    # Clustering widens the interval: the naive user-level SE is smaller by about sqrt(design effect).
    assert primary.comparison.se_abs_diff == pytest.approx(cl["se_abs_diff_naive"] * math.sqrt(cl["design_effect"]))


def test_the_planned_sample_is_inflated_by_the_design_effect(b2b):
    from guidelab.stats.cluster import users_needed_clustered
    from guidelab.stats.power import users_needed

    spec, _, by_account, _ = b2b
    result = analyze_counts(spec, by_account)
    primary = next(r for r in result.metrics if r.role == "primary")
    cmp = primary.comparison
    need = users_needed(cmp.estimate_control, spec.mde, alpha=spec.alpha, power=spec.power, ratio=1.0,
                        kind="proportion")
    expected = users_needed_clustered(need[0], max(cmp.icc, 0.0), cmp.mean_account_size, cmp.cv_account_size).users
    planned = result.methods["planned"]["checklist"]
    assert planned["control"] == expected > need[0]


def test_user_randomised_specs_are_unchanged(root):
    spec = load_experiment(root / "experiments" / "nps-survey-timing.yaml")
    ed = open_event_data(root / "data" / "sample" / spec.id)
    try:
        counts = compute_counts(ed, spec, None, TODAY)
        assert with_account_statistics(ed, spec, counts) is counts
    finally:
        ed.close()
    assert analyze_counts(spec, counts).accounts is None
    assert "accounts" not in json.loads(analyze_counts(spec, counts).to_json())


def test_ratio_metrics_use_accounts_as_delta_method_units(tmp_path, root):
    """A ratio (clicks per impression) by account: per-account totals, compared by the delta method."""
    from guidelab.simulate import simulate

    spec = load_experiment(root / "experiments" / f"{EXAMPLE}.yaml")
    spec = spec.model_copy(update={"metrics": spec.metrics.model_copy(update={"secondary": ["clicks_per_impression"]})})
    simulate(spec, users=1500, days=10, out_dir=tmp_path, seed=3)
    ed = open_event_data(tmp_path)
    try:
        counts = with_account_statistics(ed, spec, compute_counts(ed, spec, None, TODAY))
        eligible, x, y = ratio_sql(counts.metrics[1].metric, spec)
        frame = ed.con.execute(f"SELECT u.variant, a.unit_id, {x} AS x, {y} AS y FROM exp_users u "
                               f"JOIN exp_assigned a USING (uk) WHERE {eligible}").df()
    finally:
        ed.close()
    ratio = counts.metrics[1].by_variant
    acc = frame.groupby(["variant", "unit_id"])[["x", "y"]].sum().reset_index()
    for v in spec.variant_keys:
        a = acc[acc.variant == v]
        assert isinstance(ratio[v], AccountRatioStats)
        assert ratio[v].n == len(a) and ratio[v].sum_x == pytest.approx(a.x.sum())
        assert ratio[v].sum_xy == pytest.approx(float(np.dot(a.x, a.y)))
        assert ratio[v].n_users == int((frame.variant == v).sum()) > ratio[v].n  # users behind the accounts
    result = analyze_counts(spec, counts)
    row = next(r for r in result.metrics if r.metric == "clicks_per_impression")
    by_accounts = compare_ratios(ratio["checklist"], ratio["control"], alpha=spec.alpha)
    c = row.comparison
    assert (c.abs_diff, c.abs_ci, c.rel_ci, c.p_value) == (by_accounts.abs_diff, by_accounts.abs_ci,
                                                            by_accounts.rel_ci, by_accounts.p_value)
    assert (c.n, c.n_control) == (ratio["checklist"].n_users, ratio["control"].n_users)  # the report's "Users"
    assert (c.n_accounts, c.n_accounts_control) == (ratio["checklist"].n, ratio["control"].n)
    assert row.clustered_json == {"n_accounts": ratio["checklist"].n, "n_accounts_control": ratio["control"].n}
    assert "accounts as units" in row.ci_method
    assert isinstance(frame, pd.DataFrame)


def test_the_account_result_validates_against_the_result_schema(b2b):
    import jsonschema

    from guidelab.schemas import schema

    spec, _, by_account, _ = b2b
    doc = json.loads(analyze_counts(spec, by_account).to_json())
    jsonschema.validate(doc, schema("result"))
    assert set(doc["metrics"][0]["clustered"]) >= {"n_accounts", "icc", "design_effect", "effective_accounts"}
