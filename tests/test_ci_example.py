"""The example CI workflow (examples/ci/guidelab.yml): its run steps work on the committed sample."""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path

import pytest

from guidelab.yamlio import load_yaml

ROOT = Path(__file__).resolve().parent.parent
WORKFLOW = ROOT / "examples" / "ci" / "guidelab.yml"
SKIPPED = ("Install guidelab", "Fetch the export")  # need the network or the team's warehouse


def _workflow() -> dict:
    data, _ = load_yaml(WORKFLOW)
    return data


def test_the_workflow_is_scheduled_keeps_reports_and_posts_to_slack():
    wf = _workflow()
    assert wf["on"]["schedule"][0]["cron"] and "workflow_dispatch" in wf["on"]
    steps = wf["jobs"]["publish"]["steps"]
    uses = [s.get("uses", "") for s in steps]
    assert any(u.startswith("actions/upload-artifact@") for u in uses)
    assert any(u.startswith("actions/upload-pages-artifact@") for u in uses)
    assert wf["jobs"]["pages"]["steps"][0]["uses"].startswith("actions/deploy-pages@")
    publish = next(s for s in steps if s.get("name") == "Publish the reports")
    assert "guidelab publish" in publish["run"] and "--notify" in publish["run"]
    assert publish["env"]["SLACK_WEBHOOK_URL"] == "${{ secrets.SLACK_WEBHOOK_URL }}"
    assert (ROOT / "docs" / "ci.md").read_text(encoding="utf-8").count("examples/ci/guidelab.yml") >= 1


class _Hook(BaseHTTPRequestHandler):
    received: list = []

    def do_POST(self):  # noqa: N802
        type(self).received.append(json.loads(self.rfile.read(int(self.headers["Content-Length"]))))
        self.send_response(200)
        self.end_headers()

    def log_message(self, *args):
        pass


@pytest.mark.notebook
def test_the_run_steps_work_on_the_sample(tmp_path):
    wf = _workflow()
    repo = tmp_path / "team-repo"
    shutil.copytree(ROOT / "experiments", repo / "experiments")
    env_block = {k: str(v) for k, v in wf["env"].items() if "${{" not in str(v)}
    shutil.copytree(ROOT / "data" / "sample", repo / env_block["GUIDELAB_DATA"])
    handler = type("Hook", (_Hook,), {"received": []})
    server = HTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    env = {**os.environ, **env_block, "LANGS": "en",  # one language keeps the test short; publish --lang en,ja is tested elsewhere
           "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}",
           "SLACK_WEBHOOK_URL": f"http://127.0.0.1:{server.server_address[1]}/hook",
           "PAGES_URL": "https://team.example.github.io/experiments"}
    ran = []
    try:
        for step in wf["jobs"]["publish"]["steps"]:
            if "run" not in step or step.get("name") in SKIPPED:
                continue
            proc = subprocess.run(["bash", "-eo", "pipefail", "-c", step["run"]], cwd=repo, env=env,
                                  capture_output=True, text=True, timeout=1800)
            assert proc.returncode == 0, (step["name"], proc.stdout, proc.stderr)
            ran.append(step["name"])
    finally:
        server.shutdown()
        server.server_close()
    assert ran == ["Validate the experiment specs", "Publish the reports"]
    reports = repo / env_block["REPORTS"]
    assert (reports / "index.html").is_file()
    for spec in (repo / "experiments").glob("*.yaml"):
        assert (reports / f"{spec.stem}.html").is_file()
    texts = [p["text"] for p in handler.received]
    n_specs = len(list((repo / "experiments").glob("*.yaml")))
    assert len(texts) == n_specs and all("https://team.example.github.io/experiments/" in t for t in texts)
