"""Every experiment notebook runs through `guidelab report` on the committed sample (CI reruns them)."""
from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest

from guidelab.report import ReportError, run_report

pytestmark = pytest.mark.notebook
ROOT = Path(__file__).resolve().parent.parent
EXPERIMENTS, SAMPLE = ROOT / "experiments", ROOT / "data" / "sample"
ROW_KEYS = {"metric", "variant", "control", "n", "n_control", "successes", "successes_control", "rate",
            "rate_control", "abs_diff", "abs_ci", "rel_lift", "rel_ci", "p_value", "p_value_adjusted"}


@pytest.mark.parametrize("spec_path", sorted(EXPERIMENTS.glob("*.yaml")), ids=lambda p: p.stem)
def test_report_on_committed_sample(spec_path, tmp_path):
    data = SAMPLE / spec_path.stem
    assert data.is_dir(), f"no committed sample for {spec_path.stem}"
    before = {p.name: p.read_bytes() for p in data.iterdir()}
    out = run_report(spec_path, data, tmp_path / "reports", lang="en")
    html = out.html.read_text(encoding="utf-8")
    doc = json.loads(out.json.read_text(encoding="utf-8"))
    # JSON: the documented shape, fractions not percentages, capital verdicts.
    assert doc["experiment"] == spec_path.stem and re.match(r"\d{4}-\d{2}-\d{2}$", doc["as_of"])
    assert doc["decision"]["verdict"] in {"KEEP", "KILL", "CONTINUE", "INVESTIGATE"} and doc["decision"]["reasons"]
    assert set(doc["srm"]) >= {"p_value", "counts"}
    assert doc["metrics"] and all(ROW_KEYS <= set(m) for m in doc["metrics"])
    assert all(0 <= m["rate"] <= 1 for m in doc["metrics"] if m["rate"] is not None)
    # The row ledger: every table, every row used or left out with a reason.
    assert [t["table"] for t in doc["ledger"]["tables"]][:3] == ["assignments", "guide_events", "activity"]
    assert all(t["rows_read"] == t["rows_used"] + sum(x["rows"] for x in t["left_out"]) for t in doc["ledger"]["tables"])
    assert "Rows read and used" in html
    # HTML: verdict on top, no code, plotly.js once, nothing fetched from the network.
    assert doc["decision"]["verdict"] in html
    assert html.count("Plotly.newPlot") >= 2
    assert len(re.findall(r"plotly\.js v\d", html)) == 1
    assert not re.search(r"<script[^>]+src=", html) and "<link" not in html.split("<body", 1)[0].lower().replace(
        "<link rel=\"icon\"", "")
    assert "render.ReportContext" not in html and "Traceback" not in html
    assert out.notebook.is_file()
    # Source data untouched.
    assert before == {p.name: p.read_bytes() for p in data.iterdir()}


def test_same_inputs_same_report(tmp_path):
    spec = EXPERIMENTS / "maintenance-banner-copy.yaml"
    data = SAMPLE / "maintenance-banner-copy"
    a = run_report(spec, data, tmp_path / "a", lang="ja")
    b = run_report(spec, data, tmp_path / "b", lang="ja")
    assert a.json.read_bytes() == b.json.read_bytes()
    assert a.html.read_bytes() == b.html.read_bytes()


def test_failing_run_keeps_its_notebook_with_the_error(tmp_path):
    spec = EXPERIMENTS / "maintenance-banner-copy.yaml"
    data = tmp_path / "data"
    shutil.copytree(SAMPLE / "maintenance-banner-copy", data)
    # A zoneless timestamp passes the quick file check before the run and fails inside the notebook.
    activity = data / "activity.csv"
    lines = activity.read_text(encoding="utf-8").splitlines()
    lines[1] = lines[1].replace("+09:00", "")
    activity.write_text("\n".join(lines) + "\n", encoding="utf-8")
    out = tmp_path / "reports"
    with pytest.raises(ReportError) as e:
        run_report(spec, data, out)
    nb = out / "maintenance-banner-copy.ipynb"
    assert e.value.notebook == nb and nb.is_file()
    assert "without a time zone" in nb.read_text(encoding="utf-8")
    assert not (out / "maintenance-banner-copy.html").exists()
    assert not list(out.glob(".*"))  # no temporary files left behind
