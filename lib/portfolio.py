"""Publish every experiment: rerun the reports in parallel and write ``reports/index.html``.

Each experiment runs as its own ``guidelab report`` process (its own kernel), so one failing
notebook cannot break the others; it shows as failed with a link to its executed notebook.
"""
from __future__ import annotations

import datetime as dt
import json
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from html import escape
from pathlib import Path

from .errors import GuidelabError, SpecError
from .experiment import ExperimentSpec, load_experiment
from .fsutil import atomic_write_text
from .i18n import check_lang, date, metric_label, pct, t
from .render import COLOUR, CSS, SYMBOL


@dataclass(frozen=True)
class PortfolioEntry:
    experiment: str
    name: str
    status: str                    # ok | failed
    verdict: str | None
    primary_metric: str | None
    lift: float | None
    lift_ci: tuple[float, float] | None
    variant: str | None
    start: dt.date | None
    end: dt.date | None
    as_of: str | None
    html: str | None               # link relative to the index
    notebook: str | None
    error: str | None = None
    summary: str = ""


def find_data_dir(spec_id: str, data_root: Path) -> Path | None:
    """``<data_root>/<id>/`` or, for the committed sample, ``<data_root>/sample/<id>/``."""
    for candidate in (data_root / spec_id, data_root / "sample" / spec_id):
        if candidate.is_dir():
            return candidate
    return None


def _run_one(spec_path: Path, data_root: Path, out_dir: Path, lang: str) -> PortfolioEntry:
    try:
        spec: ExperimentSpec | None = load_experiment(spec_path)
    except SpecError as exc:
        return PortfolioEntry(spec_path.stem, spec_path.stem, "failed", None, None, None, None, None, None, None,
                              None, None, None, str(exc))
    assert spec is not None
    base = dict(experiment=spec.id, name=spec.display_name(lang), start=spec.start, end=spec.end)
    data = find_data_dir(spec.id, data_root)
    if data is None:
        return PortfolioEntry(**base, status="failed", verdict=None, primary_metric=spec.metrics.primary, lift=None,
                              lift_ci=None, variant=None, as_of=None, html=None, notebook=None,
                              error=f"no data: expected {data_root / spec.id}/ or {data_root / 'sample' / spec.id}/")
    proc = subprocess.run([sys.executable, "-m", "guidelab.cli", "report", str(spec_path), "--data", str(data),
                           "--out", str(out_dir), "--lang", lang], capture_output=True, text=True)
    nb = out_dir / f"{spec.id}.ipynb"
    if proc.returncode != 0:
        err = (proc.stderr.strip().splitlines() or ["failed"])[0]
        return PortfolioEntry(**base, status="failed", verdict=None, primary_metric=spec.metrics.primary, lift=None,
                              lift_ci=None, variant=None, as_of=None, html=None,
                              notebook=nb.name if nb.is_file() else None, error=err)
    doc = json.loads((out_dir / f"{spec.id}.json").read_text(encoding="utf-8"))
    decision = doc["decision"]
    primary = [m for m in doc["metrics"] if m.get("role") == "primary"]
    chosen = next((m for m in primary if m["variant"] == decision.get("arm")), None) or \
        max(primary, key=lambda m: m["rel_lift"] if m["rel_lift"] is not None else float("-inf"), default=None)
    summary = decision["reasons"][0] if decision["reasons"] and lang == "en" else \
        (decision.get("reasons_ja") or decision["reasons"] or [""])[0]
    return PortfolioEntry(**base, status="ok", verdict=decision["verdict"], primary_metric=spec.metrics.primary,
                          lift=chosen["rel_lift"] if chosen else None,
                          lift_ci=tuple(chosen["rel_ci"]) if chosen and chosen["rel_ci"] else None,
                          variant=chosen["variant"] if chosen else None, as_of=doc.get("as_of"),
                          html=f"{spec.id}.html", notebook=nb.name, summary=summary)


def publish(experiments_dir: str | Path = "experiments", data_root: str | Path = "data",
            out_dir: str | Path = "reports", jobs: int = 2, lang: str = "en") -> tuple[Path, list[PortfolioEntry]]:
    """Rerun every ``experiments/*.yaml`` with up to ``jobs`` in parallel; write the index."""
    check_lang(lang)
    experiments_dir, data_root, out_dir = Path(experiments_dir), Path(data_root), Path(out_dir)
    specs = sorted(experiments_dir.glob("*.yaml")) + sorted(experiments_dir.glob("*.yml"))
    if not specs:
        raise GuidelabError(f"{experiments_dir}: no experiment specs (*.yaml) found")
    if jobs < 1:
        raise GuidelabError(f"--jobs must be at least 1, got {jobs}")
    out_dir.mkdir(parents=True, exist_ok=True)
    with ThreadPoolExecutor(max_workers=jobs) as pool:
        entries = list(pool.map(lambda p: _run_one(p, data_root, out_dir, lang), specs))
    entries.sort(key=lambda e: (e.start or dt.date.min, e.experiment), reverse=True)  # newest first
    index = atomic_write_text(out_dir / "index.html", index_html(entries, lang))
    return index, entries


def index_html(entries: list[PortfolioEntry], lang: str = "en") -> str:
    """The portfolio page: one row per experiment, newest first; every field escaped."""
    ja = lang == "ja"
    heads = (["実験", "状態", "判定", "主要指標", "リフト（95%信頼区間）", "期間", "データ基準日", "レポート"] if ja else
             ["Experiment", "Status", "Verdict", "Primary metric", "Lift (95% CI)", "Dates", "Data as of", "Report"])
    rows = []
    for e in entries:
        if e.status == "ok":
            v = e.verdict or ""
            verdict = f'<span style="color:{COLOUR.get(v, "#333")};font-weight:700">{SYMBOL.get(v, "")} {escape(t(v, lang))}</span>'
            status = f'<span class="gl-ok">✔ {"完了" if ja else "ok"}</span>'
            link = f'<a href="{escape(e.html or "")}">{"開く" if ja else "open"}</a>'
        else:
            verdict = "–"
            status = f'<span class="gl-bad">✖ {"失敗" if ja else "failed"}</span>'
            link = (f'<a href="{escape(e.notebook)}">{"実行済みノートブック" if ja else "executed notebook"}</a>'
                    if e.notebook else "–")
            link += f'<div class="gl-small">{escape(e.error or "")}</div>'
        lift = "–"
        if e.lift is not None:
            ci = f" [{pct(e.lift_ci[0], signed=True)}, {pct(e.lift_ci[1], signed=True)}]" if e.lift_ci else ""
            lift = f"{escape(e.variant or '')}: {pct(e.lift, signed=True)}{ci}"
        dates = f"{date(e.start, lang)} – {date(e.end, lang)}" if e.end else date(e.start, lang)
        rows.append(
            f'<tr><td class="l"><b>{escape(e.name)}</b><div class="gl-small">{escape(e.experiment)}</div>'
            f'<div class="gl-small">{escape(e.summary)}</div></td>'
            f"<td>{status}</td><td>{verdict}</td>"
            f'<td class="l">{escape(metric_label(e.primary_metric, lang, capital=True)) if e.primary_metric else "–"}</td>'
            f"<td>{lift}</td><td>{escape(dates)}</td><td>{escape(e.as_of or '–')}</td><td class=\"l\">{link}</td></tr>")
    title = "ガイド実験ポートフォリオ" if ja else "Guide experiments portfolio"
    generated = f'{"件数" if ja else "Experiments"}: {len(entries)}'
    ths = "".join(f"<th>{h}</th>" for h in heads)
    return (f'<!DOCTYPE html><html lang="{lang}"><head><meta charset="utf-8"><title>{title}</title>'
            f'<meta name="viewport" content="width=device-width, initial-scale=1">{CSS}</head><body>'
            f'<div class="gl-report" style="max-width:1400px;margin:20px auto"><h1>{title}</h1>'
            f'<div class="gl-meta">{generated}</div><table class="gl-table" style="width:100%"><thead><tr>{ths}</tr>'
            f'</thead><tbody>{"".join(rows)}</tbody></table></div></body></html>\n')
