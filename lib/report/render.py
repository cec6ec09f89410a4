"""HTML sections of the experiment report, called by the notebook (which stays thin).

The sections display an analysis, they do not run it: the notebook analyses the experiment
(:func:`guidelab.analyze`) and hands the result to :class:`ReportContext`. Each section is a
Jinja2 template (``templates/report/*.html.j2``) rendered with autoescape by
:mod:`guidelab.report.templating`, so everything a user wrote (guide titles and bodies, spec
names, hypothesis, variant keys) is escaped; numbers arrive formatted by :mod:`.words`. The
verdict is shown by word and symbol, not by colour alone.
"""
from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any, Callable

from markupsafe import Markup

from ..experiment import ExperimentSpec
from ..results import ExperimentResult, write_result_json
from . import plots, templating
from .guidetext import GUIDE_TEXT_CSS, guide_text_html
from .words import (
    LANGUAGES,
    check_lang,
    check_text,
    date,
    join_list,
    metric_label,
    number,
    oc_sentence,
    p_phrase,
    pct,
    prob,
    pts,
    pval,
    reason_text,
    rule_sentence,
    t,
    value,
)

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
    """What the report shows: the spec, the analysis result and the language. ``plotlyjs``:
    ``"inline"`` (default) puts plotly.js in the head; ``"deferred"`` a placeholder that
    ``guidelab report`` replaces with plotly.js after the run (:func:`.plots.inline_plotlyjs`)."""

    spec: ExperimentSpec
    result: ExperimentResult
    lang: str
    interacts_with: tuple[str, ...] = ()  # experiments the programme's interaction check flagged with this one
    plotlyjs: str = "inline"

    def __post_init__(self) -> None:
        check_lang(self.lang)
        if self.plotlyjs not in plots.PLOTLYJS_MODES:
            raise ValueError(f"plotlyjs must be one of {', '.join(plots.PLOTLYJS_MODES)}, not {self.plotlyjs!r}")

    @property
    def t(self) -> Callable[[str], str]:
        """The words of the report's language: ``ctx.t("key_metrics")``."""
        return partial(t, lang=self.lang)


def render(template: str, **context: Any) -> str:
    """A section from its template, as plain text (HTML) for the notebook to display."""
    return str(templating.render(template, **context))


def _m(text: str) -> Markup:
    """A number or interval formatted by :mod:`.words` (no user text): printed as it is."""
    return Markup(text)


def head(ctx: ReportContext) -> str:
    """Styles, plotly.js (once) and the title block."""
    s, r, lang = ctx.spec, ctx.result, ctx.lang
    period = f"{date(s.start, lang)} – {date(s.end, lang)}" if s.end else date(s.start, lang)
    return render("report/head.html.j2", t=ctx.t, css=Markup(CSS), plotlyjs=Markup(plots.plotlyjs_script(ctx.plotlyjs)),
                  name=s.display_name(lang), id=s.id, period=period, as_of=date(r.as_of, lang), timezone=s.timezone,
                  hypothesis=s.hypothesis_text(lang))


def decision_banner(ctx: ReportContext) -> str:
    """Verdict (word and symbol, not colour alone), one paragraph with the numbers, then the rest."""
    d, lang = ctx.result.decision, ctx.lang
    sequential_status = None
    if (ctx.result.methods or {}).get("sequential"):
        primary = [m for m in ctx.result.metrics if m.role == "primary" and m.sequential is not None]
        stop = any(m.sequential.can_stop for m in primary)
        sequential_status = t("stop_now" if stop else "keep_running", lang)
    days = f"{d.days_needed:.0f}" if d.verdict == "CONTINUE" and d.days_needed is not None else None
    from .words import LANGUAGES

    interaction = (LANGUAGES[lang].PROGRAMME["interacts_with"].format(others=", ".join(ctx.interacts_with))
                   if ctx.interacts_with else None)
    return render("report/banner.html.j2", t=ctx.t, colour=COLOUR[d.verdict], symbol=SYMBOL[d.verdict],
                  verdict=d.verdict, arm=d.arm, summary=decision_summary(ctx.result, lang),
                  others=[reason_text(r, lang) for r in d.reasons[1:]], sequential_status=sequential_status,
                  days_needed=days, interaction=interaction)


def programme_flags(output_dir: str | Path, experiment: str) -> tuple[str, ...]:
    """The experiments the programme's interaction check flagged with ``experiment``, read from
    ``<output_dir>/programme.json`` (written by ``guidelab publish`` before the reports); ``()``
    when there is no such file or no flag."""
    path = Path(output_dir) / "programme.json"
    if not path.is_file():
        return ()
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return ()
    others = {p["experiment_b"] if p["experiment_a"] == experiment else p["experiment_a"]
              for p in doc.get("interactions", []) if p.get("flagged") and experiment in (p["experiment_a"], p["experiment_b"])}
    return tuple(sorted(others))


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
    cuped = cuped and not methods.get("adjust_for")  # with adjust_for: CUPED within strata, see adjustments()
    heads = ["metric", "variant", "users", "rate", "control", "abs_diff", "lift", "ci", "p_value", "p_adjusted"]
    rows = []
    for m in r.metrics:
        c = m.comparison
        diff = pts(c.abs_diff, signed=True, lang=lang) if m.kind == "proportion" else value(c.abs_diff, m.kind)
        cells = [_m(number(c.n)), _m(value(m.value, m.kind)),
                 _m(f'{value(m.value_control, m.kind)} <span class="gl-small">(n={number(c.n_control)})</span>'),
                 _m(diff), _m(pct(c.rel_lift, signed=True)), _m(_interval(c.rel_ci)), _m(pval(c.p_value)),
                 _m(pval(m.p_value_adjusted))]
        extra: list[Any] = []
        if seq:
            sv = m.sequential
            stop = "–" if sv is None else ("✔ " + t("yes", lang) if sv.can_stop else t("not_yet", lang))
            extra += [_m(_interval(sv.relative_ci if sv else None)), stop]
        if bayes:
            b = m.bayes
            extra += [_m(prob(b.chance_to_beat_control) if b else "–"), _m(pct(b.expected_loss, 2) if b else "–"),
                      _m(_interval(b.credible_interval) if b else "–")]
        if cuped:
            vr = getattr(c, "variance_reduction", None) if m.unadjusted is not None else None
            extra += [_m(pct(vr) if vr is not None else "–")]
        rows.append({"metric": metric_label(m.metric, lang, capital=True), "role": t("role." + m.role, lang),
                     "variant": m.variant, "significant": m.significant, "cells": cells, "extra": extra})
    extra_heads = (["seq_ci", "can_stop"] if seq else []) + (["chance_to_beat", "expected_loss", "credible_interval"] if bayes else []) + \
        (["variance_reduction"] if cuped else [])
    from .quantiles import quantile_section  # percentiles (issue 15): their own section

    return (render("report/metrics.html.j2", t=ctx.t, heads=heads, rows=rows, extra_heads=extra_heads)
            + clustering(ctx) + quantile_section(ctx) + adjustments(ctx))


def adjustments(ctx: ReportContext) -> str:
    """Capping and post-stratification (issue 15): per capped or post-stratified metric and arm, the
    cap with the share of users capped (arm / control), and the variance reduction achieved with
    the strata used (and collapsed). Empty when the spec uses neither."""
    r, lang = ctx.result, ctx.lang
    methods = r.methods or {}
    attrs, caps = methods.get("adjust_for") or [], methods.get("capping") or {}
    if not attrs and not caps:
        return ""
    intro = []
    if attrs:
        key = "adjust.intro_cuped" if methods.get("cuped") else "adjust.intro"
        intro.append(t(key, lang).format(attributes=", ".join(str(a) for a in attrs)))
    if caps:
        intro.append(t("adjust.intro_capping", lang))
    rows = []
    for m in r.metrics:
        cap, ps = m.capping_json, m.poststratification_json
        if cap is None and ps is None:
            continue
        cells = [_m("–")] * 5
        if cap is not None:
            rule = (t("adjust.rule_quantile", lang).format(q=f"{cap['level'] * 100:g}") if cap["rule"] == "quantile"
                    else t("adjust.rule_value", lang))
            cells[0] = _m(f"{value(cap['cap'], 'mean') if cap['cap'] is not None else '–'} "
                          f'<span class="gl-small">({rule})</span>')
            cells[1] = _m(f"{pct(cap['share'], 2) if cap['share'] is not None else '–'} / "
                          f"{pct(cap['share_control'], 2) if cap['share_control'] is not None else '–'}")
        if ps is not None:
            vr = ps["variance_reduction"]
            cells[2] = _m(pct(round(vr, 3) + 0.0) if vr is not None else "–")  # + 0.0: never "-0.0%"
            cells[3] = _m(f"{number(ps['strata'], lang)}"
                          + (f' <span class="gl-small">({t("adjust.collapsed", lang).format(k=ps["strata_collapsed"], n=number(ps["users_collapsed"], lang))})</span>'
                             if ps["strata_collapsed"] else ""))
            cells[4] = _m(_interval_abs(ps["abs_ci_unadjusted"], m.kind, lang))
        rows.append({"metric": metric_label(m.metric, lang, capital=True), "role": t("role." + m.role, lang),
                     "variant": m.variant, "cells": cells})
    heads = ["metric", "variant", "adjust.cap", "adjust.capped_share", "adjust.variance_reduction", "adjust.strata",
             "adjust.ci_unadjusted"]
    return render("report/adjustments.html.j2", t=ctx.t, intro=intro, heads=heads, rows=rows)


def _interval_abs(ci: Any, kind: str, lang: str) -> str:
    """An interval of a difference: points for rates, the metric's unit otherwise."""
    if not ci:
        return "–"
    if kind == "proportion":
        return _interval_pts(ci, lang)
    return f"{value(ci[0], kind)} … {value(ci[1], kind)}"


def clustering(ctx: ReportContext) -> str:
    """Randomised by account: accounts and users per arm, and per metric the intra-class
    correlation, the design effect (observed, and from the ICC), the effective number of accounts
    and the naive user-level p-value beside the one used. Empty when users were randomised."""
    r, lang = ctx.result, ctx.lang
    if not r.accounts:
        return ""
    arms = [{"variant": v, "accounts": _m(number(r.accounts.get(v, 0), lang)), "users": _m(number(n, lang)),
             "mean_size": _m(f"{n / r.accounts[v]:.1f}" if r.accounts.get(v) else "–")}
            for v, n in r.assigned.items()]
    rows = []
    for m in r.metrics:
        c = m.clustered_json
        if c is None:
            cells = [_m("–")] * 6
        else:
            cells = [_m(f"{number(c['n_accounts'], lang)} / {number(c['n_accounts_control'], lang)}"),
                     _m(_fixed(c.get("icc"), 3)), _m(_fixed(c.get("design_effect"), 2)),
                     _m(_fixed(c.get("design_effect_from_icc"), 2)), _m(_fixed(c.get("effective_accounts"), 0)),
                     _m(pval(c.get("p_value_naive")))]
        rows.append({"metric": metric_label(m.metric, lang, capital=True), "role": t("role." + m.role, lang),
                     "variant": m.variant, "cells": cells})
    unit = str((r.methods or {}).get("randomisation_unit", "account"))
    heads = ["metric", "variant", "cluster.accounts_tc", "cluster.icc", "cluster.design_effect",
             "cluster.design_effect_icc", "cluster.effective_accounts", "cluster.p_naive"]
    return render("report/clustering.html.j2", t=ctx.t, intro=t("cluster.intro", lang).format(unit=unit),
                  arms=arms, heads=heads, rows=rows)


def _fixed(x: float | None, digits: int) -> str:
    return "–" if x is None else f"{x:.{digits}f}"


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
    parts: list[tuple[str, Any]] = [("figure", Markup(plots.figure_html(plots.rates_figure(r, lang), "gl-rates"))),
                                    ("figure", Markup(plots.figure_html(plots.lift_figure(r, lang), "gl-lift")))]
    curve = plots.retention_curve_figure(r, lang)
    if curve is not None:
        parts.append(("figure", Markup(plots.figure_html(curve, "gl-retention"))))
        reading = retention_reading(r, lang)
        if reading:
            parts.append(("gl-small", reading))
    ttg = plots.time_to_goal_figure(r, lang)
    if ttg is not None:
        parts.append(("figure", Markup(plots.figure_html(ttg, "gl-timetogoal"))))
        lr = r.analyses["time_to_goal"]["log_rank"]
        if lr.p_value is not None:
            key = "reading.time_to_goal" if lr.p_value < r.alpha else "reading.time_to_goal_same"
            parts.append(("gl-small", t(key, lang).format(p=p_phrase(lr.p_value, lang=lang))))
    if r.daily_assigned:
        parts.append(("figure", Markup(plots.figure_html(plots.traffic_figure(r, lang), "gl-traffic"))))
    return render("report/charts.html.j2", t=ctx.t, heading="charts", parts=parts)


MIN_CURVE_USERS = 100


def primary_day(metric: str) -> int | None:
    """The day a day-N metric looks at (retention_d7 -> 7), else None."""
    from ..catalog import parse_metric

    m = parse_metric(metric)
    return m.curve_day


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
    parts: list[tuple[str, Any]] = []
    if "account_adjustment" in a:
        parts.extend(_reading(text) for text in account_adjustment_readings(a["account_adjustment"], lang))
    fig = plots.daily_figure(r, lang)
    if fig is not None:
        parts.append(("figure", Markup(plots.figure_html(fig, "gl-daily"))))
        for v, view in a["daily"]["by_variant"].items():
            nv = view["novelty"]
            if nv.classification:
                parts.append(_reading(t("reading.novelty." + nv.classification, lang).format(
                    variant=v, slope=f"{(nv.slope or 0) * 100:+.3f}", p=pval(nv.p_value))))
    labels = {v: funnel_step_labels(ctx.spec, v, lang) for v in a.get("funnels", {})}
    fig = plots.funnel_figure(r, lang, labels)
    if fig is not None:
        parts.append(("figure", Markup(plots.figure_html(fig, "gl-funnel"))))
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
        parts.append(("figure", Markup(plots.figure_html(fig, "gl-stickiness"))))
        means = join_list((f"{v} {pct(x.mean_dau_wau)}" for v, x in a["stickiness"].items() if x.mean_dau_wau is not None), lang)
        if means:
            parts.append(_reading(t("reading.stickiness", lang).format(values=means)))
    if "segments" in a:
        parts.append(("figure", Markup(segments_table(ctx))))
    fig = plots.nps_figure(r, lang)
    if fig is not None:
        parts.append(("figure", Markup(plots.figure_html(fig, "gl-nps"))))
        for v, res in a["surveys"]["by_variant"].items():
            if res.nps is not None and res.ci:
                parts.append(_reading(t("reading.nps", lang).format(
                    variant=v, nps=f"{res.nps * 100:+.0f}", lo=f"{res.ci[0] * 100:+.0f}", hi=f"{res.ci[1] * 100:+.0f}",
                    n=number(res.n), rate=pct(res.response_rate))))
    if not parts:
        return ""
    return render("report/charts.html.j2", t=ctx.t, heading="deeper", parts=parts)


def account_adjustment_readings(adj: Mapping[str, Any], lang: str) -> list[str]:
    """When accounts are randomised: which deeper analyses count accounts as units, and which are
    still user-level (``analyses.account_adjustment``, :mod:`guidelab.account_breakdowns`)."""
    out = []
    if adj.get("adjusted"):
        out.append(t("reading.by_account", lang).format(
            adjusted=join_list((t("analysis." + k, lang) for k in adj["adjusted"]), lang)))
    if adj.get("not_adjusted"):
        out.append(t("reading.by_account.not_adjusted", lang).format(
            not_adjusted=join_list((t("analysis." + k, lang) for k in adj["not_adjusted"]), lang)))
    return out


def _reading(text: str) -> tuple[str, str]:
    """A sentence reading a chart (escaped by the template)."""
    return ("gl-reading", text)


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


def _rate(c: Any, control: bool = False) -> float | None:
    """A segment's rate: a proportion comparison's ``rate``, a clustered comparison's ``estimate``."""
    if hasattr(c, "rate"):
        return c.rate_control if control else c.rate
    return c.estimate_control if control else c.estimate


def segments_table(ctx: ReportContext) -> str:
    r, lang = ctx.result, ctx.lang
    seg = r.analyses["segments"]
    rows, readings = [], []
    for attribute, by_variant in seg["by_attribute"].items():
        for v, an in by_variant.items():
            for seg_value, c in an.segments.items():
                rows.append({"attribute": attribute, "value": seg_value, "variant": v, "cells": [
                    _m(number(c.n)), _m(pct(_rate(c))), _m(pct(_rate(c, control=True))), _m(pts(c.abs_diff, signed=True, lang=lang)),
                    _m(_interval_pts(c.abs_ci, lang)), _m(pval(an.adjusted_p_values.get(seg_value)))]})
            if an.q_p_value is not None:
                key = "reading.heterogeneity.yes" if an.heterogeneity_significant else "reading.heterogeneity.no"
                readings.append(t(key, lang).format(variant=v, attribute=attribute, p=pval(an.q_p_value)))
    heads = ["segment", "variant", "users", "rate", "control", "abs_diff", "ci", "p_adjusted"]
    return render("report/segments.html.j2", t=ctx.t, metric=metric_label(seg["metric"], lang), heads=heads,
                  rows=rows, readings=readings)


def guides_preview(ctx: ReportContext) -> str:
    s, lang = ctx.spec, ctx.lang
    cards = []
    for v in s.variants:
        g = s.guide_for(v.key)
        if g is None:
            cards.append({"variant": v.key, "guide": None})
            continue
        steps = [{"title": Markup(guide_text_html(st.title.get(lang))) if st.title else "",
                  "body": Markup(guide_text_html(st.body.get(lang))) if getattr(st, "body", None) else "",
                  "buttons": [b.label.get(lang) for b in (st.buttons or [])]} for st in g.steps]
        cards.append({"variant": v.key, "guide": g.id, "steps": steps,
                      "type": str(g.type)})
    return render("report/guides.html.j2", t=ctx.t, guide_css=Markup(GUIDE_TEXT_CSS), cards=cards)


def data_quality(ctx: ReportContext) -> str:
    r, lang = ctx.result, ctx.lang
    srm = r.srm
    exp = srm.expected or {}
    checks = []
    for c in r.data_checks:
        name, detail = check_text(c, lang)
        css = "gl-ok" if c.passed else ("gl-bad" if c.severity == "fail" else "gl-warn")
        status = ("✔ " + t("passed", lang) if c.passed else
                  ("✖ " + t("failed", lang) if c.severity == "fail" else "⚠ " + t("warning", lang)))
        checks.append({"name": name, "detail": detail, "css": css, "status": status})
    return render("report/data_quality.html.j2", t=ctx.t, srm_ok=srm.p_value is None or srm.p_value >= 0.001,
                  srm_p=_m(pval(srm.p_value)),
                  srm_rows=[(v, _m(number(n)), _m(number(round(exp.get(v, 0))))) for v, n in srm.counts.items()],
                  checks=checks, ledger=Markup(ledger_table(r.ledger, lang)))


def ledger_table(ledger, lang: str = "en") -> str:
    """The row ledger: per table, rows read and used, and each reason rows were left out for."""
    from .words import ledger_reason

    if ledger is None:
        return ""
    tables = [{"table": tl.table, "rows_read": _m(number(tl.rows_read)), "rows_used": _m(number(tl.rows_used)),
               "left_out": [{"words": ledger_reason(x.reason, lang), "reason": x.reason, "rows": _m(number(x.rows)),
                             "example": x.example or ""} for x in tl.left_out]} for tl in ledger.tables]
    return render("report/ledger.html.j2", t=partial(t, lang=lang), tables=tables)


METHODS = {lang: module.METHODS for lang, module in LANGUAGES.items()}


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
    return render("report/methods.html.j2", t=ctx.t, text=text)


def save_json(ctx: ReportContext, output_dir: str | Path) -> Path:
    """Write the result JSON beside the report."""
    return write_result_json(ctx.result, output_dir)
