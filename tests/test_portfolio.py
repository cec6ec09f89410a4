"""guidelab publish (parallel reruns, portfolio index) and --notify (Slack-compatible webhook)."""
from __future__ import annotations

import json
import shutil
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path

import pytest

from guidelab.cli import main
from guidelab.report.notify import post_json, verdict_message
from guidelab.report.portfolio import publish

ROOT = Path(__file__).resolve().parent.parent
pytestmark = pytest.mark.notebook


class _Hook(BaseHTTPRequestHandler):
    received: list = []
    status = 200

    def do_POST(self):  # noqa: N802
        body = self.rfile.read(int(self.headers["Content-Length"]))
        type(self).received.append((self.headers["Content-Type"], json.loads(body)))
        self.send_response(type(self).status)
        self.end_headers()

    def log_message(self, *args):
        pass


@pytest.fixture
def webhook():
    """A local webhook on 127.0.0.1 that records what it receives."""
    handler = type("Hook", (_Hook,), {"received": [], "status": 200})
    server = HTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield handler, f"http://127.0.0.1:{server.server_address[1]}/hook"
    server.shutdown()
    server.server_close()


@pytest.fixture
def workspace(tmp_path):
    """Both example experiments plus one whose data break its notebook, and one with no data."""
    exp = tmp_path / "experiments"
    exp.mkdir()
    for p in (ROOT / "experiments").glob("*.yaml"):
        shutil.copy(p, exp / p.name)
    broken = (ROOT / "experiments/maintenance-banner-copy.yaml").read_text(encoding="utf-8")
    (exp / "broken-banner.yaml").write_text(broken.replace("id: maintenance-banner-copy", "id: broken-banner")
                                            .replace("start: 2026-11-02", "start: 2026-11-10"), encoding="utf-8")
    (exp / "no-data.yaml").write_text(broken.replace("id: maintenance-banner-copy", "id: no-data"), encoding="utf-8")
    data = tmp_path / "data"
    shutil.copytree(ROOT / "data/sample", data / "sample")
    shutil.copytree(data / "sample/maintenance-banner-copy", data / "broken-banner")
    (data / "broken-banner/guide_events.csv").write_text("user_id,guide_id\n", encoding="utf-8")  # breaks the contract
    return exp, data, tmp_path / "reports"


def test_publish_runs_all_in_parallel_and_keeps_going(workspace):
    exp, data, out = workspace
    index, entries = publish(exp, data, out, jobs=2, lang="ja")
    by_id = {e.experiment: e for e in entries}
    assert {k: v.status for k, v in by_id.items()} == {
        "maintenance-banner-copy": "ok", "onboarding-tour-vs-checklist": "ok", "nps-survey-timing": "ok",
        "b2b-onboarding-checklist": "ok", "broken-banner": "failed", "no-data": "failed"}
    html = index.read_text(encoding="utf-8")
    # newest first: broken-banner (starts 2026-11-10) before the banner (11-02) before onboarding (10-01)
    order = [html.index(x) for x in ("broken-banner", "maintenance-banner-copy.ja.html", "onboarding-tour-vs-checklist.ja.html")]
    assert order == sorted(order)
    # Japanese files are named <id>.ja.html / <id>.ja.ipynb / index.ja.html: English ones are never overwritten
    assert index.name == "index.ja.html" and not (out / "index.html").exists()
    assert 'href="broken-banner.ja.ipynb"' in html and (out / "broken-banner.ja.ipynb").is_file()
    assert "missing column" in (out / "broken-banner.ja.ipynb").read_text(encoding="utf-8")
    assert 'href="onboarding-tour-vs-checklist.ja.html"' in html and (out / "onboarding-tour-vs-checklist.ja.html").is_file()
    assert not (out / "onboarding-tour-vs-checklist.html").exists()
    assert "採用" in html and "ガイド実験ポートフォリオ" in html
    ok = by_id["onboarding-tour-vs-checklist"]
    assert ok.lift is not None and ok.lift_ci[0] < ok.lift < ok.lift_ci[1]
    assert by_id["no-data"].notebook is None and "no data" in by_id["no-data"].error


def test_publish_cli_exit_code_and_notify(workspace, webhook, capsys):
    exp, data, out = workspace
    handler, url = webhook
    code = main(["publish", "--experiments", str(exp), "--data-root", str(data), "--out", str(out), "--jobs", "2",
                 "--notify", url, "--base-url", "https://reports.example.com/guides"])
    assert code == 1  # two experiments failed: CI notices, the others still published
    assert (out / "index.html").is_file()
    texts = [payload["text"] for _, payload in handler.received]
    assert len(texts) == 4 and all("https://reports.example.com/guides/" in t for t in texts)  # one per published
    assert all(ct.startswith("application/json") for ct, _ in handler.received)


def test_report_notify_posts_verdict_and_link(tmp_path, webhook):
    handler, url = webhook
    spec = ROOT / "experiments/maintenance-banner-copy.yaml"
    assert main(["report", str(spec), "--data", str(ROOT / "data/sample/maintenance-banner-copy"), "--out",
                 str(tmp_path), "--notify", url]) == 0
    (_, payload), = handler.received
    assert payload["text"].startswith("✔ KEEP") and "maintenance-banner-copy" in payload["text"]
    assert (tmp_path / "maintenance-banner-copy.html").as_uri() in payload["text"]
    assert payload["blocks"][0]["type"] == "header"


def test_report_in_japanese_keeps_the_english_report_and_notifies_in_japanese(tmp_path, webhook):
    handler, url = webhook
    spec, data = ROOT / "experiments/maintenance-banner-copy.yaml", ROOT / "data/sample/maintenance-banner-copy"
    assert main(["report", str(spec), "--data", str(data), "--out", str(tmp_path), "--quiet"]) == 0
    english = (tmp_path / "maintenance-banner-copy.html").read_bytes()
    assert main(["report", str(spec), "--data", str(data), "--out", str(tmp_path), "--lang", "ja", "--notify", url]) == 0
    assert (tmp_path / "maintenance-banner-copy.html").read_bytes() == english  # not overwritten
    ja = (tmp_path / "maintenance-banner-copy.ja.html").read_text(encoding="utf-8")
    assert '<html lang="ja"' in ja and (tmp_path / "maintenance-banner-copy.ja.ipynb").is_file()
    (_, payload), = handler.received
    assert payload["text"].startswith("✔ 採用：") and "KEEP" not in payload["text"]
    assert "レポートを開く" in payload["blocks"][2]["text"]["text"] and "Open the report" not in json.dumps(payload)
    assert (tmp_path / "maintenance-banner-copy.ja.html").as_uri() in payload["text"]


@pytest.mark.parametrize("failure", ["http-500", "refused"])
def test_failing_webhook_never_loses_the_report(tmp_path, webhook, failure, capsys):
    handler, url = webhook
    if failure == "http-500":
        handler.status = 500
    else:
        url = "http://127.0.0.1:9/hook"  # nothing listens on the discard port
    spec = ROOT / "experiments/maintenance-banner-copy.yaml"
    code = main(["report", str(spec), "--data", str(ROOT / "data/sample/maintenance-banner-copy"), "--out",
                 str(tmp_path), "--notify", url])
    assert code == 0
    assert (tmp_path / "maintenance-banner-copy.html").stat().st_size > 1_000_000
    assert json.loads((tmp_path / "maintenance-banner-copy.json").read_text())["decision"]["verdict"] == "KEEP"
    assert "notification to" in capsys.readouterr().err


@pytest.mark.parametrize("lang, verdict, word, link", [("en", "KILL", "✖ KILL: ", "Open the report"),
                                                       ("ja", "KILL", "✖ 中止：", "レポートを開く"),
                                                       ("ja", "CONTINUE", "↻ 継続：", "レポートを開く")])
def test_message_follows_the_report_language(lang, verdict, word, link):
    msg = verdict_message("x", "名前", verdict, "理由", "file:///r.html", lang=lang)
    assert msg["text"].startswith(word) and msg["blocks"][0]["text"]["text"].startswith(word)
    assert f"|{link}>" in msg["blocks"][2]["text"]["text"]


def test_message_escapes_user_text():
    msg = verdict_message("x", "<@channel> name", "KEEP", "a <!here> b & c", "file:///r.html")
    assert "&lt;!here&gt;" in msg["blocks"][1]["text"]["text"]
    assert post_json("ftp://x", msg).ok is False
