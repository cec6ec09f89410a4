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
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from markupsafe import Markup

from ..errors import GuidelabError, SpecError
from ..experiment import ExperimentSpec, load_experiment
from ..fsutil import atomic_write_text
from ..progress import Progress
from .render import COLOUR, CSS, SYMBOL
from .runner import report_name
from .templating import render
from .words import LANGS, LANGUAGES, date, metric_label, pct, pts, t


@dataclass(frozen=True)
class ArmSummary:
    """One treatment arm on the primary metric: its own verdict and the interval that verdict used
    (the always-valid confidence sequence when the experiment is sequential, else the fixed-horizon one)."""

    variant: str
    verdict: str
    lift: float | None
    lift_ci: tuple[float, float] | None
    interval: str                  # sequential | fixed
    reason: str = ""


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
    html: str | None               # link relative to the index (the report in the index's language)
    notebook: str | None
    error: str | None = None
    summary: str = ""
    arms: tuple[ArmSummary, ...] = ()
    reports: tuple[tuple[str, str], ...] = ()   # (language, file) of every report written


def find_data_dir(spec_id: str, data_root: Path) -> Path | None:
    """``<data_root>/<id>/`` or, for the committed sample, ``<data_root>/sample/<id>/``."""
    for candidate in (data_root / spec_id, data_root / "sample" / spec_id):
        if candidate.is_dir():
            return candidate
    return None


def _primary_interval(m: dict) -> tuple[tuple[float, float] | None, str]:
    """The relative-lift interval the verdict used: sequential when the row has one."""
    seq = m.get("sequential")
    if seq is not None:
        ci = seq.get("relative_ci")
        return (tuple(ci) if ci and None not in ci else None), "sequential"
    ci = m.get("rel_ci")
    return (tuple(ci) if ci and None not in ci else None), "fixed"


def _run_one(spec_path: Path, data_root: Path, out_dir: Path, lang: str, engine_args: tuple[str, ...] = ()) -> PortfolioEntry:
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
                           "--out", str(out_dir), "--lang", lang, "--quiet", *engine_args], capture_output=True, text=True)
    nb = out_dir / report_name(spec.id, lang, ".ipynb")
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
    reasons_ja = decision.get("reasons_ja") or decision["reasons"]
    summary = decision["reasons"][0] if decision["reasons"] and lang == "en" else (reasons_ja or [""])[0]
    arm_verdicts = {a["variant"]: a for a in decision.get("arms", [])}
    arms = []
    for m in primary:
        ci, interval = _primary_interval(m)
        a = arm_verdicts.get(m["variant"], {})
        # Arm reasons are written in English in the JSON; the index quotes them in English only.
        arms.append(ArmSummary(m["variant"], a.get("verdict") or decision["verdict"], m["rel_lift"], ci, interval,
                               (a.get("reasons") or [""])[0] if lang == "en" else ""))
    chosen_ci = _primary_interval(chosen)[0] if chosen else None
    return PortfolioEntry(**base, status="ok", verdict=decision["verdict"], primary_metric=spec.metrics.primary,
                          lift=chosen["rel_lift"] if chosen else None, lift_ci=chosen_ci,
                          variant=chosen["variant"] if chosen else None, as_of=doc.get("as_of"),
                          html=report_name(spec.id, lang), notebook=nb.name, summary=summary, arms=tuple(arms),
                          reports=((lang, report_name(spec.id, lang)),))


def _merge_languages(runs: list[PortfolioEntry]) -> PortfolioEntry:
    """One entry per experiment from its runs in several languages: the first language's entry,
    linking every language's report; failed if any language failed."""
    first = runs[0]
    failed = next((r for r in runs if r.status != "ok"), None)
    if failed is not None:
        return failed
    return replace(first, reports=tuple(pair for r in runs for pair in r.reports))


def parse_langs(value: str | list[str] | tuple[str, ...]) -> list[str]:
    """``"en"``, ``"ja"``, ``"en,ja"`` (or a list) -> the languages, each once, in order."""
    items = value.split(",") if isinstance(value, str) else list(value)
    langs: list[str] = []
    for item in (i.strip() for i in items):
        if item not in LANGS:
            raise GuidelabError(f"--lang: expected en, ja or en,ja, got {value!r}")
        if item not in langs:
            langs.append(item)
    if not langs:
        raise GuidelabError(f"--lang: expected en, ja or en,ja, got {value!r}")
    return langs


def publish(experiments_dir: str | Path = "experiments", data_root: str | Path = "data",
            out_dir: str | Path = "reports", jobs: int = 2, lang: str | list[str] = "en",
            progress: Progress | None = None, engine: Any = None) -> tuple[Path, list[PortfolioEntry]]:
    """Rerun every ``experiments/*.yaml`` in each language asked (``"en"``, ``"ja"`` or
    ``"en,ja"``), with up to ``jobs`` in parallel; write one index per language
    (``index.html``, ``index.ja.html``) linking every language's report. Returns the first
    language's index and its entries. ``engine`` (:class:`guidelab.engine.EngineOptions`) is
    passed to every ``guidelab report`` run."""
    from ..engine import EngineOptions

    options = EngineOptions.of(engine)
    engine_args: tuple[str, ...] = ()
    if options.engine != "duckdb":
        engine_args = ("--engine", options.engine)
        engine_args += ("--spark-master", options.spark_master) if options.spark_master else ()
        engine_args += ("--spark-conf", str(Path(options.spark_conf).resolve())) if options.spark_conf else ()
    langs = parse_langs(lang)
    experiments_dir, data_root, out_dir = Path(experiments_dir), Path(data_root), Path(out_dir)
    specs = sorted(experiments_dir.glob("*.yaml")) + sorted(experiments_dir.glob("*.yml"))
    if not specs:
        raise GuidelabError(f"{experiments_dir}: no experiment specs (*.yaml) found")
    if jobs < 1:
        raise GuidelabError(f"--jobs must be at least 1, got {jobs}")
    out_dir.mkdir(parents=True, exist_ok=True)
    progress = progress or Progress(enabled=False)
    jobs_list = [(p, la) for p in specs for la in langs]
    done = [0]

    def run(job: tuple[Path, str]) -> PortfolioEntry:
        entry = _run_one(job[0], data_root, out_dir, job[1], engine_args)
        done[0] += 1
        progress.stage(f"{entry.experiment} ({job[1]}) {entry.status} [{done[0]}/{len(jobs_list)}]")
        return entry

    # the programme first: its programme.json carries the interaction flags the reports show
    (out_dir / "programme.json").unlink(missing_ok=True)  # never a stale check
    programme = run_programme(experiments_dir, specs, data_root, out_dir, progress, options)
    progress.stage(f"running {len(jobs_list)} report(s) with {jobs} job(s)")
    with ThreadPoolExecutor(max_workers=jobs) as pool:
        runs = list(pool.map(run, jobs_list))
    first_index: tuple[Path, list[PortfolioEntry]] | None = None
    for la in langs:
        per_spec = [[r for (p, l2), r in zip(jobs_list, runs) if p == spec and l2 == la] +
                    [r for (p, l2), r in zip(jobs_list, runs) if p == spec and l2 != la] for spec in specs]
        entries = [_merge_languages(group) for group in per_spec]
        entries.sort(key=lambda e: (e.start or dt.date.min, e.experiment), reverse=True)  # newest first
        index = atomic_write_text(out_dir / report_name("index", la), index_html(entries, la, programme))
        if first_index is None:
            first_index = (index, entries)
    progress.done("published")
    assert first_index is not None
    return first_index


_INDEX_CSS = """<style>
.gl-portfolio{max-width:1240px;margin:16px auto;padding:0 12px;box-sizing:border-box}
.gl-portfolio .gl-table{width:100%;table-layout:fixed}
.gl-portfolio .gl-table th,.gl-portfolio .gl-table td{white-space:normal;overflow-wrap:anywhere;vertical-align:top;text-align:left}
.gl-portfolio .gl-table th{font-size:.92em}
.gl-portfolio col.c-exp{width:34%}.gl-portfolio col.c-arms{width:36%}.gl-portfolio col.c-metric{width:10%}
.gl-portfolio col.c-dates{width:11%}.gl-portfolio col.c-links{width:9%}
.gl-arms{list-style:none;margin:0;padding:0}.gl-arms li{margin:0 0 4px}
.gl-nowrap{white-space:nowrap}
.gl-portfolio :lang(ja){line-break:strict}
@supports (word-break:auto-phrase){.gl-portfolio th:lang(ja),.gl-portfolio td:lang(ja){word-break:auto-phrase}}
</style>"""

_WORDS = {lang: module.PORTFOLIO for lang, module in LANGUAGES.items()}
_PROGRAMME_WORDS = {lang: module.PROGRAMME for lang, module in LANGUAGES.items()}


@dataclass(frozen=True)
class ProgrammeOutcome:
    """What the portfolio page shows of the programme: its result, or why there is none
    (``problem``: ``no_data`` with the expected folder, or ``failed`` with the error)."""

    programme_id: str
    result: Any = None                # guidelab.programme_analysis.ProgrammeResult
    problem: str | None = None
    detail: str = ""


def run_programme(experiments_dir: Path, spec_paths: list[Path], data_root: Path, out_dir: Path,
                  progress: Progress | None = None, engine: Any = None) -> ProgrammeOutcome | None:
    """The programme report of ``experiments_dir/policies/programme.yaml`` on
    ``<data_root>/<programme id>/`` (or ``<data_root>/sample/<id>/``), written to
    ``<out_dir>/programme.json``; None when no programme is declared. ``engine``: an
    :class:`guidelab.engine.EngineOptions` (DuckDB by default; ``--engine spark`` runs the same SQL on Spark)."""
    from ..programme import check_programme_ids, find_programme
    from ..programme_analysis import analyze_programme

    try:
        programme = find_programme(experiments_dir)
    except SpecError as exc:
        return ProgrammeOutcome("programme", problem="failed", detail=str(exc))
    if programme is None:
        return None
    specs = []
    for p in spec_paths:
        try:
            specs.append(load_experiment(p))
        except SpecError:
            continue  # shown as failed in its own row
    data = find_data_dir(programme.id, data_root)
    if data is None:
        return ProgrammeOutcome(programme.id, problem="no_data", detail=str(data_root / programme.id))
    if progress is not None:
        progress.stage(f"programme {programme.id}: holdout comparison and interaction check")
    try:
        check_programme_ids(programme, specs, experiments_dir / "policies" / "programme.yaml")
        result = analyze_programme(programme, specs, data, engine=engine)
    except GuidelabError as exc:
        return ProgrammeOutcome(programme.id, problem="failed", detail=str(exc).splitlines()[0])
    atomic_write_text(out_dir / "programme.json", result.to_json() + "\n")
    return ProgrammeOutcome(programme.id, result=result)


def programme_view(outcome: ProgrammeOutcome | None, lang: str) -> dict[str, Any] | None:
    """The programme section's words and rows, in ``lang`` (plain text; the template escapes it)."""
    if outcome is None:
        return None
    w = _PROGRAMME_WORDS[lang]
    if outcome.result is None:
        key = "no_data" if outcome.problem == "no_data" else "failed"
        return {"w": w, "problem": w[key].format(path=outcome.detail, error=outcome.detail)}
    r = outcome.result
    u = r.users
    share = next((m.exposed_share for m in r.metrics if m.exposed_share is not None), None)
    by_account = r.unit is not None
    if by_account:
        intro = w["intro_accounts"].format(
            share=pct(r.holdout_share), programme=r.programme, unit=r.unit, n_programme=u.programme,
            k_programme=u.accounts_programme or 0, n_holdout=u.holdout, k_holdout=u.accounts_holdout or 0,
            n_exposed=u.exposed, exposed_share=pct(share), as_of=date(r.as_of, lang))
    else:
        intro = w["intro"].format(share=pct(r.holdout_share), programme=r.programme, n_programme=u.programme,
                                  n_holdout=u.holdout, n_exposed=u.exposed, exposed_share=pct(share),
                                  as_of=date(r.as_of, lang))
    notes = []
    if u.left_out:
        notes.append(w["left_out"].format(reasons="; ".join(w[f"reason.{k}"].format(n=n, unit=r.unit or "user")
                                                            for k, n in u.left_out)))
    if u.assigned_without_programme_row:
        notes.append(w["without_row"].format(n=u.assigned_without_programme_row))

    def rate(n: int, x: int) -> str:
        return f"{pct(x / n) if n else '–'} ({x:,}/{n:,})"

    def ci(lo_hi: Any, fmt: Any) -> str:
        return f" [{fmt(lo_hi[0])}, {fmt(lo_hi[1])}]" if lo_hi else ""

    def diff(x: float | None) -> str:
        return pts(x, signed=True, lang=lang)

    def rel(x: float | None) -> str:
        return pct(x, signed=True)

    def rate_accounts(mean: float | None, users: int, accounts: int) -> str:
        return w["rate_accounts"].format(rate=pct(mean) if mean is not None else "–", users=users, accounts=accounts)

    def num(x: float | None, fmt: str = ".3g") -> str:
        return "–" if x is None else format(x, fmt)

    rows = []
    for m in r.metrics:
        c = m.itt
        if by_account:
            rows.append([metric_label(m.metric, lang, capital=True),
                         rate_accounts(c.estimate_control, c.n_control, c.n_accounts_control),
                         rate_accounts(c.estimate, c.n, c.n_accounts),
                         diff(c.abs_diff) + ci(c.abs_ci, diff), rel(c.rel_lift) + ci(c.rel_ci, rel),
                         diff(m.exposed_effect) + ci(m.exposed_ci, diff),
                         w["clustering"].format(icc=num(c.icc, ".3f"), design_effect=num(c.design_effect, ".2f"),
                                                effective=num(c.effective_accounts, ".0f"), p=num(c.p_value),
                                                p_naive=num(c.p_value_naive))])
            continue
        rows.append([metric_label(m.metric, lang, capital=True), rate(c.n_control, c.successes_control),
                     rate(c.n, c.successes), diff(c.abs_diff) + ci(c.abs_ci, diff), rel(c.rel_lift) + ci(c.rel_ci, rel),
                     diff(m.exposed_effect) + ci(m.exposed_ci, diff)])
    k = sum(1 for p in r.interactions if p.test is not None and p.test.p_value is not None)
    int_rows = []
    for p in r.interactions:
        test = p.test
        if p.status != "ok" or test is None or test.contrasts is None:
            shown, p_text = w.get(f"int_status.{p.status}", p.status), "–"
        else:
            shown = ", ".join(_contrast_text(d, se, test.kind, lang) for d, se in zip(test.contrasts, test.contrast_se or ()))
            if test.cluster_unit is not None:
                shown += w["int_by_unit"].format(unit=test.cluster_unit)
            p_text = f"{p.p_adjusted:.3g}" if p.p_adjusted is not None else "–"
        int_rows.append({"a": p.experiment_a, "b": p.experiment_b, "metric": metric_label(p.metric, lang, capital=True),
                         "contrast": shown, "p": p_text, "flagged": p.flagged})
    return {"w": w, "problem": None, "title": w["title"], "intro": intro, "notes": notes, "rows": rows,
            "heads": w["heads_accounts"] if by_account else w["heads"],
            "method": w["method_accounts"] if by_account else w["method"],
            "int_rows": int_rows, "int_method": w["int_method"].format(k=k, alpha=r.interaction_alpha),
            "flags": r.flagged_experiments()}
def _contrast_text(d: float, se: float, kind: str, lang: str) -> str:
    """A difference of differences ± its 95% half-width: points for a rate, the metric's unit for a mean."""
    if kind == "proportion":
        return f"{pts(d, signed=True, lang=lang)} ± {pts(1.959964 * se, lang=lang)}"
    return f"{d:+.3g} ± {1.959964 * se:.3g}"


_LANG_NAMES = {"en": "English", "ja": "日本語"}


def index_html(entries: list[PortfolioEntry], lang: str = "en", programme: ProgrammeOutcome | None = None) -> str:
    """The portfolio page (``templates/portfolio_index.html.j2``): one row per experiment, newest
    first, each treatment arm with its own verdict and the primary lift with the interval its
    verdict used; every field escaped. Fits a 1280 px screen (fixed column widths, text wraps).
    With a ``programme`` outcome: the programme section (every guide against the holdout, the
    interaction check) and a flag on each experiment that interacts with another."""
    view = programme_view(programme, lang)
    flags = (view or {}).get("flags") or {}
    pw = _PROGRAMME_WORDS[lang]

    def interacts(e: PortfolioEntry) -> str:
        others = flags.get(e.experiment)
        return pw["interacts_with"].format(others=", ".join(others)) if others else ""

    def links(e: PortfolioEntry) -> list[tuple[str, str]]:
        return [(la, f) for la, f in e.reports if la == lang] + [(la, f) for la, f in e.reports if la != lang]

    def dates(e: PortfolioEntry) -> str:
        return f"{date(e.start, lang)} – {date(e.end, lang)}" if e.end else date(e.start, lang)

    html = render("portfolio_index.html.j2", lang=lang, w=_WORDS[lang], entries=entries,
                  css=Markup(CSS + _INDEX_CSS), colour=COLOUR, symbol=SYMBOL, lang_names=_LANG_NAMES,
                  t=lambda key: t(key, lang), pct=lambda x: Markup(pct(x, signed=True)),
                  metric_label=lambda m: metric_label(m, lang, capital=True), links=links, dates=dates,
                  programme=view, interacts=interacts)
    return str(html) + "\n"
