"""Capping and post-stratification in SQL (lib/adjustments.py): against numpy/pandas on the
per-user table, the errors for a missing users column, the JSON and the report section. That
Spark gives the same numbers is checked by tests/test_engine.py on the onboarding example, which
declares both."""
from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import numpy as np
import pytest

from guidelab.adjustments import MISSING_STRATUM
from guidelab.errors import DataError
from guidelab.events import open_event_data
from guidelab.experiment import ExperimentSpec, load_experiment
from guidelab.metrics import compute_counts
from guidelab.stats.capping import quantile_cap
from guidelab.stats.cuped import CovariateStats
from guidelab.stats.means import MeanStats

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = "onboarding-tour-vs-checklist"
DATA = ROOT / "data" / "sample" / EXAMPLE
TODAY = dt.date(2026, 11, 30)


def _spec(**statistics) -> ExperimentSpec:
    d = load_experiment(ROOT / "experiments" / f"{EXAMPLE}.yaml").model_dump()
    d["statistics"].update(statistics)
    return ExperimentSpec.model_validate(d)


def _counts_and_users(spec: ExperimentSpec, engine: str = "duckdb"):
    from guidelab.engine import EngineOptions

    ed = open_event_data(DATA, engine=EngineOptions(engine))  # type: ignore[arg-type]
    try:
        counts = compute_counts(ed, spec, None, TODAY)
        users = None
        if engine == "duckdb":
            users = ed.con.execute(
                "SELECT e.variant, e.observed_days, e.sessions_d7, e.pre_active_days, e.active_d7, s.plan, s.platform "
                "FROM exp_users e LEFT JOIN exp_user_attrs s USING (user_id)").df()
        return counts, users
    finally:
        ed.close()


@pytest.fixture(scope="module")
def adjusted():
    spec = _spec(capping={"sessions_d7": {"quantile": 0.95}}, adjust_for=["plan", "platform"])
    return spec, *_counts_and_users(spec)


def test_cap_is_the_pooled_quantile_and_the_stats_are_of_capped_values(adjusted):
    spec, counts, users = adjusted
    m = next(x for x in counts.metrics if x.metric.name == "sessions_d7")
    eligible = users[users.observed_days >= 6]
    cap = quantile_cap(eligible.sessions_d7, 0.95)
    assert cap == float(np.quantile(eligible.sessions_d7.to_numpy(float), 0.95, method="inverted_cdf"))
    assert m.capping.cap == cap and m.capping.rule == "quantile" and m.capping.level == 0.95
    for v in spec.variant_keys:
        arm = eligible[eligible.variant == v].sessions_d7.to_numpy(float)
        ref = MeanStats.from_values(np.minimum(arm, cap))
        got = m.by_variant[v]
        assert got.n == ref.n and got.sum == pytest.approx(ref.sum) and got.m2 == pytest.approx(ref.m2)
        assert m.capping.users[v] == arm.size and m.capping.capped[v] == int((arm > cap).sum())
        assert m.covariate[v].sum_y == pytest.approx(ref.sum)  # CUPED reads the capped value too
    assert sum(m.capping.capped.values()) > 0
    other = next(x for x in counts.metrics if x.metric.name == "retention_d7")
    assert other.capping is None


def test_strata_sums_match_pandas(adjusted):
    spec, counts, users = adjusted
    m = next(x for x in counts.metrics if x.metric.name == "retention_d7")
    eligible = users[users.observed_days >= 7].fillna({"plan": MISSING_STRATUM, "platform": MISSING_STRATUM})
    for (v, plan, platform), g in eligible.groupby(["variant", "plan", "platform"]):
        ref = CovariateStats.from_values(g.active_d7.astype(float), g.pre_active_days.astype(float))
        got = m.strata[v][f"plan={plan} | platform={platform}"]
        assert (got.n, got.sum_y, got.sum_x, got.sum_xy) == (ref.n, ref.sum_y, ref.sum_x, ref.sum_xy)
        assert got.m2_y == pytest.approx(ref.m2_y) and got.c_xy == pytest.approx(ref.c_xy)
    assert {v: sum(s.n for s in cells.values()) for v, cells in m.strata.items()} == \
        {v: s.n for v, s in m.by_variant.items()}  # every analysed user in one stratum


def test_absolute_cap():
    spec = _spec(capping={"sessions_d7": {"value": 3}})
    counts, users = _counts_and_users(spec)
    m = next(x for x in counts.metrics if x.metric.name == "sessions_d7")
    eligible = users[users.observed_days >= 6]
    assert m.capping.cap == 3.0 and m.capping.rule == "value"
    for v in spec.variant_keys:
        arm = eligible[eligible.variant == v].sessions_d7.to_numpy(float)
        assert m.by_variant[v].sum == pytest.approx(np.minimum(arm, 3).sum())
        assert m.capping.capped[v] == int((arm > 3).sum())


def test_adjust_for_needs_the_users_column(tmp_path):
    data = tmp_path / "d"
    shutil.copytree(DATA, data)
    spec = _spec(adjust_for=["plan", "seat_count"])
    ed = open_event_data(data)
    try:
        with pytest.raises(DataError, match="seat_count"):
            compute_counts(ed, spec, None, TODAY)
    finally:
        ed.close()
    (data / "users.parquet").unlink()  # no users table at all: a warning, nothing post-stratified
    ed = open_event_data(data)
    try:
        counts = compute_counts(ed, _spec(adjust_for=["plan"]), None, TODAY)
    finally:
        ed.close()
    check = next(c for c in counts.checks if c.code == "adjust_for_unavailable")
    assert not check.passed and check.severity == "warn"
    assert all(m.strata is None for m in counts.metrics)


def test_analysis_reports_capping_and_variance_reduction(adjusted):
    from guidelab.analysis import analyze_counts

    spec, counts, _ = adjusted
    doc = analyze_counts(spec, counts).to_dict()
    rows = {(m["metric"], m["variant"]): m for m in doc["metrics"]}
    s = rows[("sessions_d7", "tour")]
    assert s["capping"]["cap"] == counts.metrics[3].capping.cap and 0 < s["capping"]["share"] < 0.2
    ps = rows[("retention_d7", "tour")]["poststratification"]
    assert ps["strata"] == 4 and ps["with_cuped"] is True and ps["variance_reduction"] is not None
    assert "cuped" not in rows[("retention_d7", "tour")]  # the comparison is the post-stratified one
    assert doc["methods"]["adjust_for"] == ["plan", "platform"]
    assert doc["methods"]["capping"] == {"sessions_d7": {"quantile": 0.95, "value": None}}


@pytest.mark.parametrize("lang", ["en", "ja"])
def test_report_states_cap_share_and_variance_reduction(adjusted, lang):
    from guidelab.analysis import analyze_counts
    from guidelab.report.render import ReportContext, adjustments, metrics_table
    from guidelab.report.words import pct, t

    spec, counts, _ = adjusted
    result = analyze_counts(spec, counts)
    html = adjustments(ReportContext(spec, result, lang))
    assert t("adjust.title", lang) in html and "plan, platform" in html
    row = next(m for m in result.metrics if m.metric == "sessions_d7" and m.variant == "tour")
    assert pct(row.capping_json["share"], 2) in html
    assert pct(row.poststratification_json["variance_reduction"]) in html
    table = metrics_table(ReportContext(spec, result, lang))
    assert html in table
    assert t("variance_reduction", lang) not in table  # no "CUPED" column: CUPED runs within the strata here
    plain = _spec(adjust_for=[], capping={})
    assert adjustments(ReportContext(plain, analyze_counts(plain, counts), lang)) == ""
