"""analyze on a one-row-per-user table: counts by DuckDB equal a direct count; booleans in every spelling."""
from __future__ import annotations

import json

import numpy as np
import pytest

from guidelab.analysis import analyze_user_table
from guidelab.errors import DataError, GuidelabError
from guidelab.stats.proportions import compare_proportions


def _table(tmp_path, spelling=("True", "False"), n=3000, seed=0):
    rng = np.random.default_rng(seed)
    variant = rng.choice(["gate_30", "gate_40"], size=n)
    r1 = rng.random(n) < np.where(variant == "gate_30", 0.45, 0.44)
    r7 = rng.random(n) < np.where(variant == "gate_30", 0.19, 0.18)
    t, f = spelling
    lines = ["userid,version,sum_gamerounds,retention_1,retention_7"]
    for i in range(n):
        lines.append(f"{i},{variant[i]},{rng.integers(0, 50)},{t if r1[i] else f},{t if r7[i] else f}")
    p = tmp_path / "cookie_cats.csv"
    p.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return p, variant, r1, r7


@pytest.mark.parametrize("spelling", [("True", "False"), ("true", "false"), ("1", "0"), ("yes", "no")])
def test_counts_and_stats_match_direct_computation(tmp_path, spelling):
    p, variant, r1, r7 = _table(tmp_path, spelling)
    res = analyze_user_table(p, "version", "gate_30", ["retention_1", "retention_7"])
    assert res.assigned == {"gate_30": int((variant == "gate_30").sum()), "gate_40": int((variant == "gate_40").sum())}
    by_metric = {m.metric: m for m in res.metrics}
    for name, flags in (("retention_1", r1), ("retention_7", r7)):
        t, c = variant == "gate_40", variant == "gate_30"
        direct = compare_proportions(int(flags[t].sum()), int(t.sum()), int(flags[c].sum()), int(c.sum()))
        assert by_metric[name].comparison == direct
    assert by_metric["retention_1"].role == "primary" and by_metric["retention_7"].role == "secondary"
    json.dumps(res.to_dict(), allow_nan=False)


def test_parquet_input(tmp_path):
    import pyarrow as pa
    import pyarrow.parquet as pq

    p = tmp_path / "t.parquet"
    pq.write_table(pa.table({"g": ["a", "b"] * 50, "conv": [True, False, False, True] * 25}), p)
    res = analyze_user_table(p, "g", "a", ["conv"])
    assert res.assigned == {"a": 50, "b": 50}
    assert res.metrics[0].comparison.successes == 25


def test_bad_boolean_names_file_column_and_value(tmp_path):
    p = tmp_path / "bad.csv"
    p.write_text("g,conv\na,True\nb,maybe\n", encoding="utf-8")
    with pytest.raises(DataError) as e:
        analyze_user_table(p, "g", "a", ["conv"])
    assert "bad.csv" in str(e.value) and "conv" in str(e.value) and "'maybe'" in str(e.value)


def test_unknown_control_and_column(tmp_path):
    p, *_ = _table(tmp_path, n=50)
    with pytest.raises(DataError, match="control 'gate_99' not found"):
        analyze_user_table(p, "version", "gate_99", ["retention_1"])
    with pytest.raises(DataError, match="column not found"):
        analyze_user_table(p, "version", "gate_30", ["retention_30"])


def test_empty_values_are_left_out(tmp_path):
    p = tmp_path / "gaps.csv"
    p.write_text("g,conv\na,1\na,\nb,0\nb,1\n", encoding="utf-8")
    res = analyze_user_table(p, "g", "a", ["conv"])
    c = res.metrics[0].comparison
    assert (c.n_control, c.successes_control, c.n, c.successes) == (1, 1, 2, 1)


def test_dau_wau_is_none_before_the_first_complete_week():
    import datetime as dt

    from guidelab.analysis import stickiness_summary

    start = dt.date(2026, 10, 1)
    rows = [(start + dt.timedelta(days=i), 10, 10 + 5 * i, 10 + 5 * i) for i in range(9)]
    s = stickiness_summary(rows, start)
    assert s.dau_wau[:6] == (None,) * 6  # day 0 would read 10/10 = 100%
    assert s.dau_wau[6:] == (10 / 40, 10 / 45, 10 / 50)
    assert s.mean_dau_wau == pytest.approx((10 / 40 + 10 / 45 + 10 / 50) / 3)
    assert set(s.dau_mau) == {None} and s.mean_dau_mau is None


def test_no_relative_figure_against_a_control_rate_of_zero():
    """Dismissals in a no-guide holdout are 0 by construction: no relative lift, interval or
    credible interval may be quoted against that rate (issue 9: never +2,479,879%)."""
    from guidelab.analysis import MetricStatistics, analyze_sufficient_statistics
    from guidelab.experiment import StatisticsSpec
    from guidelab.metrics import ProportionCounts

    metrics = [MetricStatistics("clicked", "primary", {"c": ProportionCounts(4000, 800), "t": ProportionCounts(4000, 880)}),
               MetricStatistics("dismissed", "secondary", {"c": ProportionCounts(4000, 0), "t": ProportionCounts(4000, 600)},
                                higher_is_better=False)]
    result = analyze_sufficient_statistics("x", {"c": 4000, "t": 4000}, metrics, "c",
                                           statistics=StatisticsSpec(bayesian=True))
    row = next(r for r in result.metrics if r.metric == "dismissed")
    assert row.comparison.rel_lift is None and row.rel_ci is None
    assert row.bayes.credible_interval is None and "undefined" in row.bayes.note
    primary = next(r for r in result.metrics if r.metric == "clicked")
    assert primary.bayes.credible_interval is not None


def test_wide_table_counts_every_column_like_parse_bool(tmp_path):
    """60 metric columns in mixed spellings, empty cells and rows without a variant: the counts of
    the one-pass validation equal a direct count with :func:`guidelab.values.parse_bool`."""
    from guidelab.analysis import user_table_counts
    from guidelab.values import FALSE_TOKENS, TRUE_TOKENS, parse_bool

    rng = np.random.default_rng(11)
    n, k = 500, 60
    tokens = [*TRUE_TOKENS, *FALSE_TOKENS, "TRUE", " No ", "\u3000yes", ""]
    cells = rng.choice(tokens, size=(n, k))
    variants = rng.choice(["a", "b", "c", ""], size=n, p=[0.4, 0.4, 0.15, 0.05])
    names = [f"m{j}" for j in range(k)]
    lines = ["g," + ",".join(names)] + [f"{variants[i]}," + ",".join(cells[i]) for i in range(n)]
    p = tmp_path / "wide.csv"
    p.write_text("\n".join(lines) + "\n", encoding="utf-8")
    users, per_metric, checks = user_table_counts(p, "g", names)
    assert users == {v: int((variants == v).sum()) for v in ("a", "b", "c")}
    for j, name in enumerate(names):
        for v in users:
            rows = [cells[i, j] for i in range(n) if variants[i] == v and cells[i, j] != ""]
            assert (per_metric[name][v].n, per_metric[name][v].successes) == (len(rows), sum(map(parse_bool, rows)))
    assert dict(next(c for c in checks if c.code == "missing_variant").params)["n"] == int((variants == "").sum())


def test_bad_boolean_example_is_the_first_in_the_file_of_the_first_bad_column(tmp_path):
    p = tmp_path / "bad.csv"
    p.write_text("g,conv,other\na,1,perhaps\nb,nope,1\na,maybe,1\n" + "b,0,1\n" * 3000 + "a,zzz,1\n", encoding="utf-8")
    with pytest.raises(DataError, match=r"bad.csv: conv: 3 value\(s\) are not booleans, e.g. 'nope': expected"):
        analyze_user_table(p, "g", "a", ["conv", "other"])
    with pytest.raises(DataError, match=r"bad.csv: other: 1 value\(s\) are not booleans, e.g. 'perhaps': expected"):
        analyze_user_table(p, "g", "a", ["other", "conv"])


# --- --cluster: a one-row-per-user table of an experiment randomised by account ---

def _account_table(tmp_path, n_accounts=300, seed=3):
    """Accounts of 1-60 users, each wholly in one arm, with an account-level conversion propensity."""
    rng = np.random.default_rng(seed)
    sizes = np.minimum(np.ceil(np.exp(rng.normal(1.2, 1.0, n_accounts))), 60).astype(int)
    arm = rng.choice(["control", "treat"], size=n_accounts)
    propensity = 1 / (1 + np.exp(-(-1.0 + rng.normal(0, 0.9, n_accounts))))
    account = np.repeat([f"acc-{k:04d}" for k in range(n_accounts)], sizes)
    variant = np.repeat(arm, sizes)
    converted = rng.random(sizes.sum()) < np.repeat(propensity, sizes)
    rows = [f"{i},{variant[i]},{account[i]},{'true' if converted[i] else 'false'}" for i in range(sizes.sum())]
    rows[0] = rows[0].replace(account[0], "")  # one user without an account: left out, counted
    p = tmp_path / "b2b.csv"
    p.write_text("user_id,arm,account,converted\n" + "\n".join(rows) + "\n", encoding="utf-8")
    return p, account, variant, converted


def test_cluster_column_analyses_by_account(tmp_path):
    from guidelab.stats.cluster import ClusterStats, compare_clustered
    from guidelab.stats.srm import srm_test

    p, account, variant, converted = _account_table(tmp_path)
    res = analyze_user_table(p, "arm", "control", ["converted"], cluster="account")
    keep = np.arange(len(account)) > 0
    stats = {v: ClusterStats.from_users(account[keep & (variant == v)], converted[keep & (variant == v)])
             for v in ("control", "treat")}
    row = res.metrics[0]
    direct = compare_clustered(stats["treat"], stats["control"])  # numpy sums: equal up to summation order
    for f in ("n", "n_control", "n_accounts", "n_accounts_control", "abs_diff", "se_abs_diff", "p_value", "rel_lift",
              "icc", "design_effect", "effective_accounts", "p_value_naive"):
        assert getattr(row.comparison, f) == pytest.approx(getattr(direct, f), rel=1e-9), f
    assert row.comparison.abs_ci == pytest.approx(direct.abs_ci, rel=1e-9)
    accounts = {v: len(set(account[keep & (variant == v)])) for v in ("control", "treat")}
    assert res.accounts == accounts and res.srm.counts == srm_test(accounts, {"control": 0.5, "treat": 0.5}).counts
    assert res.assigned == {v: int((keep & (variant == v)).sum()) for v in ("control", "treat")}
    naive = compare_proportions(int(converted[keep & (variant == "treat")].sum()), int((keep & (variant == "treat")).sum()),
                                int(converted[keep & (variant == "control")].sum()), int((keep & (variant == "control")).sum()))
    assert row.comparison.se_abs_diff > 1.5 * (naive.abs_ci[1] - naive.abs_ci[0]) / (2 * 1.96)  # clustering widens
    tl = res.ledger.tables[0]
    assert (tl.rows_read, tl.rows_used, [(x.reason, x.rows) for x in tl.left_out]) == \
        (len(account), len(account) - 1, [("missing_unit", 1)])
    doc = json.loads(res.to_json())
    assert doc["metrics"][0]["clustered"]["icc"] > 0.05 and doc["methods"]["randomisation_unit"] == "account"


def test_cluster_column_errors_are_plain(tmp_path):
    p, *_ = _account_table(tmp_path)
    with pytest.raises(DataError, match="column not found"):
        analyze_user_table(p, "arm", "control", ["converted"], cluster="nope")
    with pytest.raises(GuidelabError, match="must not be the variant or a metric column"):
        analyze_user_table(p, "arm", "control", ["converted"], cluster="converted")
    lines = p.read_text(encoding="utf-8").splitlines()
    accounts = [line.split(",")[2] for line in lines]
    i = next(i for i in range(2, len(lines)) if accounts[i] == accounts[i - 1] and ",control," in lines[i])
    lines[i] = lines[i].replace(",control,", ",treat,")  # one user of a control account moved to the treatment
    p.write_text("\n".join(lines) + "\n", encoding="utf-8")
    with pytest.raises(DataError, match="appear in more than one variant"):
        analyze_user_table(p, "arm", "control", ["converted"], cluster="account")
