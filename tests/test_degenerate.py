"""Degenerate data through the whole chain: finite JSON and a report, never NaN, inf or a crash."""
from __future__ import annotations

import json

import pytest

from guidelab.analysis import analyze_experiment, analyze_user_table
from guidelab.experiment import load_experiment
from guidelab.report import render
from guidelab.report.render import ReportContext

SPEC = """\
id: tiny
hypothesis: Degenerate data must not break anything.
start: 2026-10-01
timezone: Asia/Tokyo
guides:
  - id: b
    type: banner
    steps:
      - title: {ja: お知らせ, en: Notice}
variants:
  - {key: control, guide: null, weight: 0.34}
  - {key: a, guide: b, weight: 0.33}
  - {key: empty, guide: b, weight: 0.33}
metrics:
  primary: retention_d7
  secondary: [clicked, sessions_d7, clicks_per_impression, goal_d1]
  guardrails: [dismissed]
guardrail_ceilings: {dismissed: 0.3}
goal_event: signup
statistics: {sequential: true, bayesian: true, cuped: true, correction: bh}
"""


def _data(d, rows_assign, rows_events, rows_activity):
    d.mkdir()
    (d / "assignments.csv").write_text("user_id,experiment,variant,assigned_at\n" + "".join(
        f"{u},tiny,{v},2026-10-01T10:00:00+09:00\n" for u, v in rows_assign), encoding="utf-8")
    (d / "guide_events.csv").write_text("user_id,guide_id,step,event,timestamp\n" + "".join(
        f"{u},b,1,{e},2026-10-01T10:00:05+09:00\n" for u, e in rows_events), encoding="utf-8")
    (d / "activity.csv").write_text("user_id,timestamp,event\n" + "".join(
        f"{u},{ts},session\n" for u, ts in rows_activity), encoding="utf-8")
    return d


@pytest.fixture
def spec(tmp_path):
    p = tmp_path / "tiny.yaml"
    p.write_text(SPEC, encoding="utf-8")
    return load_experiment(p)


@pytest.mark.parametrize("case", ["empty-arm-and-immature", "all-success", "no-data-at-all-for-metrics"])
def test_whole_chain_stays_finite(tmp_path, spec, case):
    if case == "empty-arm-and-immature":  # 'empty' has no users; day 7 is not complete for anyone
        d = _data(tmp_path / case, [("1", "control"), ("2", "a")], [("2", "shown")], [("1", "2026-10-02T09:00:00+09:00")])
    elif case == "all-success":  # every user retained on day 7 and clicked
        users = [(str(i), "control" if i % 2 else "a") for i in range(6)]
        d = _data(tmp_path / case, users, [(u, e) for u, _ in users for e in ("shown", "clicked")],
                  [(u, "2026-10-08T09:00:00+09:00") for u, _ in users])
    else:  # assignments only
        d = _data(tmp_path / case, [("1", "control"), ("2", "a"), ("3", "empty")], [], [])
    res = analyze_experiment(spec, d)
    text = json.dumps(res.to_dict(), allow_nan=False)  # raises on NaN or infinity
    assert res.decision.verdict in {"KEEP", "KILL", "CONTINUE", "INVESTIGATE"}
    for m in res.to_dict()["metrics"]:
        if m["status"] != "ok":
            assert m["p_value"] is None or 0 <= m["p_value"] <= 1
    assert "NaN" not in text and "Infinity" not in text
    for lang in ("en", "ja"):
        ctx = ReportContext(spec, res, lang)
        html = render.decision_banner(ctx) + render.metrics_table(ctx) + render.charts(ctx) + render.data_quality(ctx)
        assert "nan" not in html.lower().replace("nanum", "")


def test_user_table_with_an_all_zero_arm(tmp_path):
    p = tmp_path / "t.csv"
    p.write_text("g,conv\n" + "".join(f"{'a' if i % 2 else 'b'},{1 if i % 2 else 0}\n" for i in range(40)),
                 encoding="utf-8")
    res = analyze_user_table(p, "g", "a", ["conv"])
    json.dumps(res.to_dict(), allow_nan=False)
    assert res.metrics[0].comparison.rel_lift == -1.0
