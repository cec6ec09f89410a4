"""Slack-compatible webhook notifications: the verdict and a link, posted after the report exists.

A webhook that fails (refused, times out, answers an error) is reported as a warning and never
touches the report files: notification is the last step, after every file is written.
"""
from __future__ import annotations

import json
import urllib.error
import urllib.request
from dataclasses import dataclass

from .render import SYMBOL


@dataclass(frozen=True)
class NotifyResult:
    ok: bool
    status: int | None
    error: str | None = None


def verdict_message(experiment: str, name: str, verdict: str, summary: str, link: str, lang: str = "en") -> dict:
    """A Slack incoming-webhook payload in the report's language: ``text`` for any client, ``blocks`` for Slack.

    The verdict word and the link label follow ``lang`` (``✔ 採用`` / ``レポートを開く`` in
    Japanese), as the report does; ``summary`` is passed in that language by the caller."""
    from .words import LANGUAGES, check_lang, t

    check_lang(lang)
    word = t(verdict, lang) if verdict else verdict
    words = LANGUAGES[lang].NOTIFY
    headline = words["headline"].format(symbol=SYMBOL.get(verdict, ""), verdict=word, name=name, experiment=experiment)
    open_label = words["open_report"]
    return {
        "text": f"{headline}\n{summary}\n{link}",
        "blocks": [
            {"type": "header", "text": {"type": "plain_text", "text": headline[:150]}},
            {"type": "section", "text": {"type": "mrkdwn", "text": _mrkdwn_escape(summary)[:2900]}},
            {"type": "section", "text": {"type": "mrkdwn", "text": f"<{link}|{open_label}>"}},
        ],
    }


def _mrkdwn_escape(text: str) -> str:
    """Slack mrkdwn control characters (user text must not become links or mentions)."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def post_json(url: str, payload: dict, timeout: float = 10.0) -> NotifyResult:
    """POST ``payload`` as JSON; never raises for network or HTTP errors."""
    if not url.startswith(("http://", "https://")):
        return NotifyResult(False, None, f"webhook URL must start with http:// or https://, got {url!r}")
    data = json.dumps(payload, ensure_ascii=False).encode("utf-8")
    req = urllib.request.Request(url, data=data, method="POST",
                                 headers={"Content-Type": "application/json; charset=utf-8"})
    try:
        with urllib.request.urlopen(req, timeout=timeout) as resp:  # noqa: S310 (user-configured URL)
            return NotifyResult(200 <= resp.status < 300, resp.status)
    except urllib.error.HTTPError as exc:
        return NotifyResult(False, exc.code, f"HTTP {exc.code} {exc.reason}")
    except (urllib.error.URLError, OSError, TimeoutError) as exc:
        return NotifyResult(False, None, str(getattr(exc, "reason", exc)))
