"""HTML fragments of the experiment report, called by the notebook (which stays thin).

Everything a user wrote (guide titles and bodies, spec names, hypothesis, variant keys) is
escaped with :func:`html.escape` before it reaches the page. The verdict is shown by word
and symbol, not by colour alone.
"""
from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from html import escape
from pathlib import Path
from typing import Any

from . import plots
from ..experiment import ExperimentSpec, load_experiment
from .guidetext import GUIDE_TEXT_CSS, guide_text_html
from .words import (check_lang, check_text, reason_text, date, join_list, metric_label, number, oc_sentence, p_phrase, pct, prob, pts, pval,
                   rule_sentence, t, value)
from ..results import ExperimentResult, write_result_json

SYMBOL = {"KEEP": "✔", "KILL": "✖", "CONTINUE": "↻", "INVESTIGATE": "⚠"}  # symbols common fonts cover
COLOUR = {"KEEP": "#0b6e4f", "KILL": "#a4161a", "CONTINUE": "#8a5a00", "INVESTIGATE": "#5a189a"}

CSS = """
<style>
.gl-report{font-family:'Hiragino Sans','Hiragino Kaku Gothic ProN','Noto Sans CJK JP','Noto Sans JP','Yu Gothic',Meiryo,system-ui,sans-serif;
  color:#1b1b1b;max-width:1100px;line-height:1.55}
.gl-report h1{font-size:1.6em;margin:.2em 0}.gl-report h2{font-size:1.25em;margin:1.2em 0 .4em;border-bottom:1px solid #ddd}
.gl-meta{color:#555;font-size:.92em}
.gl-banner{border-left:10px solid;padding:14px 18px;margin:12px 0;border-radius:6px;background:#f7f7f7}
.gl-verdict{font-size:1.7em;font-weight:700;letter-spacing:.03em}
.gl-banner ul{margin:.4em 0 0 1.2em;padding:0}
.gl-summary{font-size:1.08em;margin:.5em 0}
.gl-table{border-collapse:collapse;font-size:.9em;margin:.4em 0}
.gl-table th,.gl-table td{border-bottom:1px solid #e3e3e3;padding:5px 9px;text-align:right;white-space:nowrap}
.gl-table th:first-child,.gl-table td:first-child,.gl-table td.l,.gl-table th.l{text-align:left}
.gl-table tr.sig td{font-weight:600}
.gl-ledger td.ex{white-space:normal;word-break:break-all;max-width:32em}
.gl-ok{color:#0b6e4f}.gl-bad{color:#a4161a}.gl-warn{color:#8a5a00}
.gl-guides{display:flex;flex-wrap:wrap;gap:14px}
.gl-guide{border:1px solid #ccc;border-radius:8px;padding:10px 14px;min-width:260px;max-width:340px;background:#fff;box-shadow:0 1px 3px rgba(0,0,0,.08)}
.gl-guide .step{border-top:1px dashed #ddd;padding-top:6px;margin-top:6px}
.gl-guide .btn{display:inline-block;border:1px solid #0072B2;color:#0072B2;border-radius:4px;padding:1px 8px;margin:2px 4px 0 0;font-size:.85em}
.gl-small{font-size:.85em;color:#555}
.gl-reading{margin:.2em 0 1em;color:#333}
.gl-warning{background:#fff4e5;border-left:4px solid #8a5a00;padding:6px 10px}
</style>
"""


@dataclass(frozen=True)
class ReportContext:
    spec: ExperimentSpec
    result: ExperimentResult
    lang: str


def build_context(spec_path: str | Path, data_dir: str | Path, as_of: str | dt.date | None = None,
                  lang: str = "en", encoding: str | None = None) -> ReportContext:
    """Load the spec, analyse the data, and keep what the report shows."""
    from ..abtest import analyze

    check_lang(lang)
    spec = load_experiment(spec_path)
    as_of_date = dt.date.fromisoformat(as_of) if isinstance(as_of, str) and as_of else (as_of or None)
    result = analyze(spec, data_dir, as_of_date, encoding=encoding)  # type: ignore[arg-type]
    return ReportContext(spec, result, lang)


def head(ctx: ReportContext) -> str:
    """Styles, plotly.js (once) and the title block."""
    s, r, lang = ctx.spec, ctx.result, ctx.lang
    period = f"{date(s.start, lang)} – {date(s.end, lang)}" if s.end else date(s.start, lang)
    return (CSS + plots.plotlyjs_script() +
            f'<div class="gl-report"><h1>{escape(s.display_name(lang))}</h1>'
            f'<div class="gl-meta">{escape(s.id)} · {t("period", lang)}: {escape(period)} · '
            f'{t("as_of", lang)}: {escape(date(r.as_of, lang))} · {escape(s.timezone)}</div>'
            f'<p class="gl-meta"><b>{t("hypothesis", lang)}:</b> {escape(s.hypothesis_text(lang))}</p></div>')


def decision_banner(ctx: ReportContext) -> str:
    """Verdict (word and symbol, not colour alone), one paragraph with the numbers, then the rest."""
    d, lang = ctx.result.decision, ctx.lang
    colour = COLOUR[d.verdict]
    arm = f" — {escape(d.arm)}" if d.arm else ""
    summary = decision_summary(ctx.result, lang)
    others = "".join(f"<li>{escape(reason_text(r, lang))}</li>" for r in d.reasons[1:])
    others_html = f'<div style="margin-top:.5em"><b>{t("other_findings", lang)}</b><ul>{others}</ul></div>' if others else ""
    days = ""
    if (ctx.result.methods or {}).get("sequential"):
        primary = [m for m in ctx.result.metrics if m.role == "primary" and m.sequential is not None]
        stop = any(m.sequential.can_stop for m in primary)
        days += f'<div><b>{t("sequential_status", lang)}:</b> {escape(t("stop_now" if stop else "keep_running", lang))}</div>'
    if d.verdict == "CONTINUE" and d.days_needed is not None:
        days += f'<div class="gl-small">{t("days_needed", lang)}: {d.days_needed:.0f}</div>'
    return (f'<div class="gl-report"><div class="gl-banner" role="status" style="border-color:{colour}">'
            f'<div class="gl-verdict" style="color:{colour}">{SYMBOL[d.verdict]} {t(d.verdict, lang)}{arm}</div>'
            f'<p class="gl-summary">{escape(summary)}</p>{others_html}{days}</div></div>')


def decision_summary(result: ExperimentResult, lang: str = "en") -> str:
    """One plain-language paragraph: the main finding with its numbers, then what to do."""
    d = result.decision
    first = reason_text(d.reasons[0], lang) if d.reasons else ""
    action = t("action." + d.verdict, lang).format(arm=d.arm or "")
    return f"{first} {action}".strip()


def metrics_table(ctx: ReportContext) -> str:
    """The key metrics (fixed-horizon), then a second table for the methods the spec selected."""
    r, lang = ctx.result, ctx.lang
    methods = r.methods or {}
    seq, bayes, cuped = methods.get("sequential"), methods.get("bayesian"), methods.get("cuped")
    head_cells = ["metric", "variant", "users", "rate", "control", "abs_diff", "lift", "ci", "p_value", "p_adjusted"]
    rows, extra_rows = [], []
    for m in r.metrics:
        c = m.comparison
        role = t("role." + m.role, lang)
        label = (f'<td>{escape(metric_label(m.metric, lang, capital=True))} '
                 f'<span class="gl-small">({escape(role)})</span></td><td class="l">{escape(m.variant)}</td>')
        diff = pts(c.abs_diff, signed=True, lang=lang) if m.kind == "proportion" else value(c.abs_diff, m.kind)
        cells = [
            label, f"<td>{number(c.n)}</td>", f"<td>{value(m.value, m.kind)}</td>",
            f'<td>{value(m.value_control, m.kind)} <span class="gl-small">(n={number(c.n_control)})</span></td>',
            f"<td>{diff}</td>", f"<td>{pct(c.rel_lift, signed=True)}</td>",
            f"<td>{_interval(c.rel_ci)}</td>", f"<td>{pval(c.p_value)}</td>", f"<td>{pval(m.p_value_adjusted)}</td>",
        ]
        rows.append(f'<tr class="{"sig" if m.significant else ""}">{"".join(cells)}</tr>')
        extra = [label]
        if seq:
            sv = m.sequential
            stop = "–" if sv is None else ("✔ " + t("yes", lang) if sv.can_stop else t("not_yet", lang))
            extra += [f"<td>{_interval(sv.relative_ci if sv else None)}</td>", f"<td>{stop}</td>"]
        if bayes:
            b = m.bayes
            extra += [f"<td>{prob(b.chance_to_beat_control) if b else '–'}</td>",
                      f"<td>{pct(b.expected_loss, 2) if b else '–'}</td>",
                      f"<td>{_interval(b.credible_interval) if b else '–'}</td>"]
        if cuped:
            vr = getattr(c, "variance_reduction", None) if m.unadjusted is not None else None
            extra += [f"<td>{pct(vr) if vr is not None else '–'}</td>"]
        extra_rows.append(f"<tr>{''.join(extra)}</tr>")
    ths = "".join(f"<th>{t(h, lang)}</th>" for h in head_cells)
    html = (f'<div class="gl-report"><h2>{t("key_metrics", lang)}</h2><div style="overflow-x:auto">'
            f'<table class="gl-table"><thead><tr>{ths}</tr></thead><tbody>{"".join(rows)}</tbody></table></div>')
    extra_heads = (["seq_ci", "can_stop"] if seq else []) + (["chance_to_beat", "expected_loss", "credible_interval"] if bayes else []) + \
        (["variance_reduction"] if cuped else [])
    if extra_heads:
        ths = "".join(f"<th>{t(h, lang)}</th>" for h in ["metric", "variant", *extra_heads])
        html += (f'<h3>{t("more_methods", lang)}</h3><div style="overflow-x:auto"><table class="gl-table"><thead>'
                 f'<tr>{ths}</tr></thead><tbody>{"".join(extra_rows)}</tbody></table></div>')
    return html + f'<p class="gl-small">{escape(t("table_note", lang))}</p></div>'


def _interval(ci: Any) -> str:
    if not ci:
        return "–"
    return f"{pct(ci[0], signed=True)} … {pct(ci[1], signed=True)}"


def _interval_pts(ci: Any, lang: str) -> str:
    """An interval of a difference of rates, in percentage points."""
    if not ci:
        return "–"
    return f"{pts(ci[0], signed=True, lang=lang)} … {pts(ci[1], signed=True, lang=lang)}"


def charts(ctx: ReportContext) -> str:
    r, lang = ctx.result, ctx.lang
    parts = [plots.figure_html(plots.rates_figure(r, lang), "gl-rates"),
             plots.figure_html(plots.lift_figure(r, lang), "gl-lift")]
    curve = plots.retention_curve_figure(r, lang)
    if curve is not None:
        parts.append(plots.figure_html(curve, "gl-retention"))
        reading = retention_reading(r, lang)
        if reading:
            parts.append(f'<p class="gl-small">{escape(reading)}</p>')
    ttg = plots.time_to_goal_figure(r, lang)
    if ttg is not None:
        parts.append(plots.figure_html(ttg, "gl-timetogoal"))
        lr = r.analyses["time_to_goal"]["log_rank"]
        if lr.p_value is not None:
            key = "reading.time_to_goal" if lr.p_value < r.alpha else "reading.time_to_goal_same"
            parts.append(f'<p class="gl-small">{escape(t(key, lang).format(p=p_phrase(lr.p_value, lang=lang)))}</p>')
    if r.daily_assigned:
        parts.append(plots.figure_html(plots.traffic_figure(r, lang), "gl-traffic"))
    return f'<div class="gl-report"><h2>{t("charts", lang)}</h2>{"".join(parts)}</div>'


MIN_CURVE_USERS = 100


def primary_day(metric: str) -> int | None:
    """The day a day-N metric looks at (retention_d7 -> 7), else None."""
    from ..catalog import parse_metric

    m = parse_metric(metric)
    return m.days if m.family == "retention" else None


def retention_reading(r: ExperimentResult, lang: str) -> str | None:
    """One line on the curve: the latest day with enough matured users in every arm."""
    curves = (r.analyses or {}).get("retention_curve") or {}
    if r.control not in curves:
        return None
    by_day = {v: {p.day: p for p in c.points if p.status == "ok"} for v, c in curves.items()}
    days = [d for d in by_day[r.control] if d >= 1 and all(
        d in pts and pts[d].n >= MIN_CURVE_USERS for pts in by_day.values())]
    if not days:
        return None
    primary = next((m for m in r.metrics if m.role == "primary"), None)
    preferred = primary_day(primary.metric) if primary else None
    day = preferred if preferred in days else max(days)
    best = max((v for v in by_day if v != r.control), key=lambda v: by_day[v][day].rate, default=None)
    if best is None:
        return None
    return t("reading.retention", lang).format(day=day, best=best, rate=pct(by_day[best][day].rate),
                                                control=r.control, control_rate=pct(by_day[r.control][day].rate))


def deeper_analyses(ctx: ReportContext) -> str:
    """Daily effects and novelty, tour funnels, segments and surveys: each a chart or table and a reading."""
    r, lang = ctx.result, ctx.lang
    a = r.analyses or {}
    parts: list[str] = []
    fig = plots.daily_figure(r, lang)
    if fig is not None:
        parts.append(plots.figure_html(fig, "gl-daily"))
        for v, view in a["daily"]["by_variant"].items():
            nv = view["novelty"]
            if nv.classification:
                parts.append(_reading(t("reading.novelty." + nv.classification, lang).format(
                    variant=v, slope=f"{(nv.slope or 0) * 100:+.3f}", p=pval(nv.p_value))))
    labels = {v: funnel_step_labels(ctx.spec, v, lang) for v in a.get("funnels", {})}
    fig = plots.funnel_figure(r, lang, labels)
    if fig is not None:
        parts.append(plots.figure_html(fig, "gl-funnel"))
        for v, f in a["funnels"].items():
            drop = funnel_largest_leave(f)
            guide = ctx.spec.guide_for(v)
            if drop is not None and guide is not None:
                step, share = drop
                parts.append(_reading(t("reading.funnel", lang).format(
                    variant=v, completion=pct(f.completion), guide=guide.display_name(lang) if hasattr(guide, "display_name") else guide.id,
                    step=labels[v].get(step, step), share=pct(share))))
            timing = a.get("time_to_complete", {}).get(v)
            if timing and timing["mean_seconds"] is not None and timing["ci"]:
                parts.append(_reading(t("reading.time_to_complete", lang).format(
                    variant=v, mean=f"{timing['mean_seconds']:.0f}", lo=f"{timing['ci'][0]:.0f}",
                    hi=f"{timing['ci'][1]:.0f}", n=number(timing["n"]))))
            if timing and timing.get("completed_before_shown"):
                parts.append(_reading(t("reading.completed_before_shown", lang).format(
                    variant=v, n=number(timing["completed_before_shown"]))))
    fig = plots.stickiness_figure(r, lang)
    if fig is not None:
        parts.append(plots.figure_html(fig, "gl-stickiness"))
        means = join_list((f"{v} {pct(x.mean_dau_wau)}" for v, x in a["stickiness"].items() if x.mean_dau_wau is not None), lang)
        if means:
            parts.append(_reading(t("reading.stickiness", lang).format(values=means)))
    if "segments" in a:
        parts.append(segments_table(ctx))
    fig = plots.nps_figure(r, lang)
    if fig is not None:
        parts.append(plots.figure_html(fig, "gl-nps"))
        for v, res in a["surveys"]["by_variant"].items():
            if res.nps is not None and res.ci:
                parts.append(_reading(t("reading.nps", lang).format(
                    variant=v, nps=f"{res.nps * 100:+.0f}", lo=f"{res.ci[0] * 100:+.0f}", hi=f"{res.ci[1] * 100:+.0f}",
                    n=number(res.n), rate=pct(res.response_rate))))
    if not parts:
        return ""
    return f'<div class="gl-report"><h2>{t("deeper", lang)}</h2>{"".join(parts)}</div>'


def _reading(text: str) -> str:
    return f'<p class="gl-reading">{escape(text)}</p>'


def funnel_step_labels(spec: ExperimentSpec, variant: str, lang: str) -> dict[str, str]:
    """Funnel step id -> the step's title in ``lang`` (its id when untitled); "completed" -> "Completed"/"完了"."""
    guide = spec.guide_for(variant)
    labels = {"completed": t("funnel.completed", lang)}
    for i, st in enumerate(guide.steps if guide is not None else [], 1):
        key = st.id or f"step-{i}"
        labels[key] = st.title.get(lang) if st.title is not None else key
    return labels


def funnel_largest_leave(f: Any) -> tuple[str, float] | None:
    """The guide step users most often leave at: (step id, share of those who reached it and went
    no further), over the real steps only. A funnel step's ``dropped`` users are those who
    reached the step *before* it; the first step's drop (never shown) and the last step's exit
    into "completed" are attributed accordingly, so "completed" itself is never a step."""
    best: tuple[str, float] | None = None
    steps = list(f.steps)
    for before, step in zip(steps, steps[1:]):
        if step.drop_share is None or step.dropped <= 0:
            continue
        if best is None or step.drop_share > best[1]:  # ties: the earliest step
            best = (before.name, step.drop_share)
    return best


def segments_table(ctx: ReportContext) -> str:
    r, lang = ctx.result, ctx.lang
    seg = r.analyses["segments"]
    rows, readings = [], []
    for attribute, by_variant in seg["by_attribute"].items():
        for v, an in by_variant.items():
            for seg_value, c in an.segments.items():
                rows.append(f'<tr><td class="l">{escape(attribute)} = {escape(seg_value)}</td><td class="l">{escape(v)}</td>'
                            f"<td>{number(c.n)}</td><td>{pct(c.rate)}</td><td>{pct(c.rate_control)}</td>"
                            f"<td>{pts(c.abs_diff, signed=True, lang=lang)}</td><td>{_interval_pts(c.abs_ci, lang)}</td>"
                            f"<td>{pval(an.adjusted_p_values.get(seg_value))}</td></tr>")
            if an.q_p_value is not None:
                key = "reading.heterogeneity.yes" if an.heterogeneity_significant else "reading.heterogeneity.no"
                readings.append(_reading(t(key, lang).format(variant=v, attribute=attribute, p=pval(an.q_p_value))))
    heads = ["segment", "variant", "users", "rate", "control", "abs_diff", "ci", "p_adjusted"]
    ths = "".join(f"<th>{t(h, lang)}</th>" for h in heads)
    return (f'<h3>{t("segments", lang)} ({escape(metric_label(seg["metric"], lang))})</h3>'
            f'<p class="gl-warning">⚠ {escape(t("segment_warning", lang))}</p>'
            f'<div style="overflow-x:auto"><table class="gl-table"><thead><tr>{ths}</tr></thead>'
            f'<tbody>{"".join(rows)}</tbody></table></div>{"".join(readings)}')


def guides_preview(ctx: ReportContext) -> str:
    s, lang = ctx.spec, ctx.lang
    cards = []
    for v in s.variants:
        g = s.guide_for(v.key)
        if g is None:
            cards.append(f'<div class="gl-guide"><b>{escape(v.key)}</b> · {t("holdout", lang)}</div>')
            continue
        steps = []
        for i, st in enumerate(g.steps, 1):
            buttons = "".join(f'<span class="btn">{escape(b.label.get(lang))}</span>' for b in (st.buttons or []))
            title = guide_text_html(st.title.get(lang)) if st.title else ""
            body = guide_text_html(st.body.get(lang)) if getattr(st, "body", None) else ""
            steps.append(f'<div class="step"><span class="gl-small">{i}/{len(g.steps)}</span> <b class="gl-text">{title}</b>'
                         f'<div class="gl-text">{body}</div>{buttons}</div>')
        cards.append(f'<div class="gl-guide"><b>{escape(v.key)}</b> · {escape(str(g.type.value if hasattr(g.type, "value") else g.type))} '
                     f'<span class="gl-small">({escape(g.id)})</span>{"".join(steps)}</div>')
    return (f'<style>{GUIDE_TEXT_CSS}</style>'
            f'<div class="gl-report"><h2>{t("guides", lang)}</h2><div class="gl-guides">{"".join(cards)}</div></div>')


def data_quality(ctx: ReportContext) -> str:
    r, lang = ctx.result, ctx.lang
    srm = r.srm
    exp = srm.expected or {}
    srm_rows = "".join(
        f'<tr><td class="l">{escape(v)}</td><td>{number(n)}</td><td>{number(round(exp.get(v, 0)))}</td></tr>'
        for v, n in srm.counts.items())
    srm_ok = srm.p_value is None or srm.p_value >= 0.001
    checks = "".join(
        f'<tr><td class="l">{escape(check_text(c, lang)[0])}</td><td class="{"gl-ok" if c.passed else ("gl-bad" if c.severity == "fail" else "gl-warn")}">'
        f'{"✔ " + t("passed", lang) if c.passed else ("✖ " + t("failed", lang) if c.severity == "fail" else "⚠ " + t("warning", lang))}'
        f'</td><td class="l">{escape(check_text(c, lang)[1])}</td></tr>' for c in r.data_checks)
    return (f'<div class="gl-report"><h2>{t("data_quality", lang)}</h2>'
            f'<h3>{t("srm", lang)}: <span class="{"gl-ok" if srm_ok else "gl-bad"}">{"✔" if srm_ok else "✖"} '
            f'p = {pval(srm.p_value)}</span></h3>'
            f'<table class="gl-table"><thead><tr><th>{t("variant", lang)}</th><th>{t("observed", lang)}</th>'
            f'<th>{t("expected", lang)}</th></tr></thead><tbody>{srm_rows}</tbody></table>'
            f'<table class="gl-table"><tbody>{checks}</tbody></table>{ledger_table(r.ledger, lang)}</div>')


def ledger_table(ledger, lang: str = "en") -> str:
    """The row ledger: per table, rows read and used, and each reason rows were left out for."""
    from .words import ledger_reason

    if ledger is None:
        return ""
    rows = []
    for tl in ledger.tables:
        rows.append(f'<tr><td class="l"><b>{escape(tl.table)}</b></td><td>{number(tl.rows_read)}</td>'
                    f'<td>{number(tl.rows_used)}</td><td class="l" colspan="3"></td></tr>')
        for x in tl.left_out:
            rows.append(f'<tr><td class="l"></td><td></td><td></td><td class="l">{escape(ledger_reason(x.reason, lang))}'
                        f' <span class="gl-small">({escape(x.reason)})</span></td><td>{number(x.rows)}</td>'
                        f'<td class="l ex gl-small">{escape(x.example or "")}</td></tr>')
    head = "".join(f"<th>{t(k, lang)}</th>" for k in ("table", "rows_read", "rows_used", "left_out", "rows", "example"))
    return (f'<h3>{t("ledger", lang)}</h3><table class="gl-table gl-ledger"><thead><tr>{head}</tr></thead>'
            f'<tbody>{"".join(rows)}</tbody></table>')


METHODS = {
    "en": ("Each metric is a share of users. Differences use a Wald interval with unpooled variance; the relative "
           "lift uses a log-ratio interval; p-values are two-sided Wald tests consistent with the difference interval. "
           "The primary metric is pre-registered; p-values are Holm-adjusted across arms (primary) and across arms and "
           "metrics (secondary); guardrails are not adjusted. The sample-ratio check is a chi-square test against the "
           "spec's weights (flagged below p = 0.001). Day-N metrics count only users whose day N has ended by the "
           "data date, in the experiment's time zone. Significance level α = {alpha}; target effect (MDE) {mde}."),
    "ja": ("各指標はユーザーの割合です。差はプールしない分散による Wald 区間、相対リフトは対数比の区間、p値は差の区間と"
           "整合する両側 Wald 検定です。主要指標は事前登録され、p値は主要指標ではバリアント間、副次指標ではバリアントと指標の"
           "全体で Holm 補正しています（ガードレールは補正しません）。サンプル比率チェックは設定した比率に対するカイ二乗検定です"
           "（p < 0.001 で警告）。N日目の指標は、実験のタイムゾーンでN日目が基準日までに終わったユーザーだけを数えます。"
           "有意水準 α = {alpha}、目標効果（MDE）{mde}。"),
}


OC_FIGURES = Path(__file__).resolve().parents[1] / "oc_figures.json"


def oc_figures(path: Path = OC_FIGURES) -> dict | None:
    """The measured operating characteristics of the decision rule (written by
    ``python -m guidelab.operating_characteristics --write``), None when absent or unreadable."""
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def methods(ctx: ReportContext) -> str:
    r, lang = ctx.result, ctx.lang
    mode = (r.methods or {}).get("mode") or ("sequential" if (r.methods or {}).get("sequential") else "fixed")
    text = " ".join(x for x in (METHODS[lang].format(alpha=r.alpha, mde=pct(r.mde, signed=True)),
                                rule_sentence(mode, lang), oc_sentence(oc_figures(), mode, lang)) if x)
    return f'<div class="gl-report"><h2>{t("methods", lang)}</h2><p class="gl-small">{escape(text)}</p></div>'


def save_json(ctx: ReportContext, output_dir: str | Path) -> Path:
    """Write the result JSON beside the report."""
    return write_result_json(ctx.result, output_dir)
