"""Plotly figures for the report, drawn offline: plotly.js is embedded once per report.

Colours are the Okabe-Ito palette (safe for the common colour-vision deficiencies); every
chart labels its axes and units and shows the numbers on hover. Figure div ids are fixed
so the same data give the same HTML.
"""
from __future__ import annotations

from typing import TYPE_CHECKING

import plotly.graph_objects as go
from plotly.offline import get_plotlyjs

from .words import form, metric_label, t

if TYPE_CHECKING:
    from ..results import ExperimentResult

OKABE_ITO = ["#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442", "#000000"]
FONT = "'Hiragino Sans', 'Hiragino Kaku Gothic ProN', 'Noto Sans CJK JP', 'Noto Sans JP', 'Yu Gothic', Meiryo, system-ui, sans-serif"
CONFIG = {"displaylogo": False, "responsive": True, "modeBarButtonsToRemove": ["select2d", "lasso2d"]}


#: What the report's head holds instead of plotly.js while ``guidelab report`` runs the notebook
#: (``ReportContext(plotlyjs="deferred")``): the runner puts plotly.js in its place, in the HTML and
#: in the executed notebook, once the run is over (:func:`inline_plotlyjs`). plotly.js is ~4.6 MB;
#: without it the notebook Papermill saves after every cell, reads back and converts stays small.
PLOTLYJS_PLACEHOLDER = '<script type="text/javascript">/* guidelab: plotly.js */</script>'
PLOTLYJS_MODES = ("inline", "deferred")


def plotlyjs_script(mode: str = "inline") -> str:
    """plotly.js as one inline <script>: include it once, before the first figure. ``mode``
    ``"deferred"`` gives :data:`PLOTLYJS_PLACEHOLDER` instead (see :func:`inline_plotlyjs`)."""
    if mode not in PLOTLYJS_MODES:
        raise ValueError(f"plotlyjs must be one of {', '.join(PLOTLYJS_MODES)}, not {mode!r}")
    if mode == "deferred":
        return PLOTLYJS_PLACEHOLDER
    return f'<script type="text/javascript">{get_plotlyjs()}</script>'


def inline_plotlyjs(text: str) -> str:
    """``text`` (a report's HTML, or an output of its notebook) with the first
    :data:`PLOTLYJS_PLACEHOLDER` replaced by plotly.js: the bytes ``plotlyjs_script("inline")``
    would have put there. User text cannot forge the placeholder: it is HTML-escaped."""
    return text.replace(PLOTLYJS_PLACEHOLDER, plotlyjs_script("inline"), 1)


def colour_map(variants: list[str]) -> dict[str, str]:
    return {v: OKABE_ITO[i % len(OKABE_ITO)] for i, v in enumerate(variants)}


def _layout(fig: go.Figure, title: str, x_title: str, y_title: str, height: int = 380) -> go.Figure:
    fig.update_layout(title=title, font_family=FONT, height=height, template="plotly_white",
                      margin=dict(l=70, r=30, t=60, b=60), legend_title_text="",
                      xaxis_title=x_title, yaxis_title=y_title)
    return fig


def rates_figure(result: ExperimentResult, lang: str = "en") -> go.Figure:
    """Rate per variant and metric with 95% error bars (Wilson interval per arm)."""
    from ..stats.proportions import proportion_ci

    variants = list(result.assigned)
    colours = colour_map(variants)
    metrics = list(dict.fromkeys(m.metric for m in result.metrics if m.kind == "proportion"))
    fig = go.Figure()
    for v in variants:
        xs, ys, lo, hi, text = [], [], [], [], []
        for name in metrics:
            row = next((m for m in result.metrics if m.metric == name and (m.variant == v or m.control == v)), None)
            if row is None:
                continue
            c = row.observed
            n, s = (c.n, c.successes) if row.variant == v else (c.n_control, c.successes_control)
            if not n:
                continue
            rate = s / n
            ci_lo, ci_hi = proportion_ci(s, n)
            xs.append(metric_label(name, lang, capital=True))
            ys.append(rate * 100)
            lo.append((rate - ci_lo) * 100)
            hi.append((ci_hi - rate) * 100)
            text.append(f"{s:,} / {n:,}")
        fig.add_bar(name=v, x=xs, y=ys, marker_color=colours[v], text=[f"{y:.1f}%" for y in ys],
                    textposition="outside", customdata=text,
                    error_y=dict(type="data", symmetric=False, array=hi, arrayminus=lo, color="#444"),
                    hovertemplate=f"%{{x}}<br>{v}: %{{y:.2f}}%<br>%{{customdata}}<extra></extra>")
    fig.update_layout(barmode="group")
    return _layout(fig, t("chart.rates", lang), t("metric", lang), t("rate_axis", lang))


def lift_figure(result: ExperimentResult, lang: str = "en") -> go.Figure:
    """Relative lift of each treatment over control, with its 95% interval (a forest plot)."""
    variants = list(result.assigned)
    colours = colour_map(variants)
    fig = go.Figure()
    for v in [v for v in variants if v != result.control]:
        rows = [m for m in result.metrics if m.variant == v and m.comparison.rel_lift is not None and m.rel_ci]
        if not rows:
            continue
        ys = [metric_label(m.metric, lang, capital=True) for m in rows]
        xs = [m.comparison.rel_lift * 100 for m in rows]
        lo = [max(0.0, (m.comparison.rel_lift - m.rel_ci[0]) * 100) for m in rows]
        hi = [max(0.0, (m.rel_ci[1] - m.comparison.rel_lift) * 100) for m in rows]
        p = [m.p_value_adjusted if m.p_value_adjusted is not None else m.comparison.p_value for m in rows]
        fig.add_scatter(name=v, x=xs, y=ys, mode="markers", orientation="h",
                        marker=dict(color=colours[v], size=11, symbol="diamond"),
                        error_x=dict(type="data", symmetric=False, array=hi, arrayminus=lo, color=colours[v]),
                        customdata=[f"{q:.3g}" if q is not None else "–" for q in p],
                        hovertemplate=f"{v} · %{{y}}<br>%{{x:+.1f}}%<br>p = %{{customdata}}<extra></extra>")
    fig.add_vline(x=0, line_dash="dash", line_color="#555")
    return _layout(fig, t("chart.lift", lang), t("lift_axis", lang), "",
                   height=max(300, 90 + 60 * len({m.metric for m in result.metrics})))


def traffic_figure(result: ExperimentResult, lang: str = "en") -> go.Figure:
    """Users assigned per day and variant."""
    variants = list(result.assigned)
    colours = colour_map(variants)
    fig = go.Figure()
    for v in variants:
        pts = [(d, n) for d, vv, n in result.daily_assigned if vv == v]
        fig.add_scatter(name=v, x=[d.isoformat() for d, _ in pts], y=[n for _, n in pts], mode="lines+markers",
                        line=dict(color=colours[v]), hovertemplate=f"{v}<br>%{{x}}: %{{y:,}}<extra></extra>")
    return _layout(fig, t("traffic", lang), t("date", lang), t("assigned_users", lang), height=320)


def _rgba(hex_colour: str, alpha: float) -> str:
    h = hex_colour.lstrip("#")
    return f"rgba({int(h[0:2], 16)}, {int(h[2:4], 16)}, {int(h[4:6], 16)}, {alpha})"


def retention_curve_figure(result: ExperimentResult, lang: str = "en") -> go.Figure | None:
    """Share of users active on each day since assignment, matured users only, with 95% bands."""
    curves = (result.analyses or {}).get("retention_curve")
    if not curves:
        return None
    colours = colour_map(list(result.assigned))
    fig = go.Figure()
    for v, curve in curves.items():
        pts = [p for p in curve.points if p.status == "ok" and p.day >= 1 and p.ci is not None]
        if not pts:
            continue
        x = [p.day for p in pts]
        fig.add_scatter(x=x + x[::-1], y=[p.ci[1] * 100 for p in pts] + [p.ci[0] * 100 for p in pts][::-1],
                        fill="toself", fillcolor=_rgba(colours[v], 0.15), line=dict(width=0), hoverinfo="skip",
                        showlegend=False, name=f"{v} CI")
        fig.add_scatter(x=x, y=[p.rate * 100 for p in pts], name=v, mode="lines+markers",
                        line=dict(color=colours[v]), customdata=[[p.active, p.n] for p in pts],
                        hovertemplate=f"{v} · D%{{x}}: %{{y:.1f}}%<br>%{{customdata[0]:,}} / %{{customdata[1]:,}}<extra></extra>")
    return _layout(fig, t("chart.retention_curve", lang), t("days_since_assignment", lang), t("rate_axis", lang))


def time_to_goal_figure(result: ExperimentResult, lang: str = "en") -> go.Figure | None:
    """Kaplan-Meier: share of users who have not reached the goal yet, by day since assignment."""
    ttg = (result.analyses or {}).get("time_to_goal")
    if not ttg:
        return None
    colours = colour_map(list(result.assigned))
    fig = go.Figure()
    for v, km in ttg["kaplan_meier"].items():
        pts = [(t_, s_) for t_, s_ in zip(km.times, km.survival) if s_ is not None]
        if not pts:
            continue
        x = [0] + [t_ + 1 for t_, _ in pts]  # S after day t applies from the start of day t+1
        y = [100.0] + [s_ * 100 for _, s_ in pts]
        fig.add_scatter(x=x, y=y, name=v, mode="lines", line=dict(color=colours[v], shape="hv"),
                        hovertemplate=f"{v} · D%{{x}}: %{{y:.1f}}%<extra></extra>")
    return _layout(fig, t("chart.time_to_goal", lang), t("days_since_assignment", lang), t("not_yet_goal_axis", lang))


def daily_figure(result: ExperimentResult, lang: str = "en") -> go.Figure | None:
    """Cumulative difference by assignment day (with 95% CI) and each day's own difference."""
    daily = (result.analyses or {}).get("daily")
    if not daily:
        return None
    colours = colour_map(list(result.assigned))
    fig = go.Figure()
    for v, view in daily["by_variant"].items():
        pts = [d for d in view["effects"].days if d.cumulative.abs_diff is not None and d.cumulative.abs_ci]
        if not pts:
            continue
        x = [str(d.day) for d in pts]
        fig.add_scatter(x=x + x[::-1], y=[d.cumulative.abs_ci[1] * 100 for d in pts] +
                        [d.cumulative.abs_ci[0] * 100 for d in pts][::-1], fill="toself",
                        fillcolor=_rgba(colours[v], 0.15), line=dict(width=0), hoverinfo="skip", showlegend=False)
        fig.add_scatter(x=x, y=[d.cumulative.abs_diff * 100 for d in pts], mode="lines", name=f"{v} ({t('cumulative', lang)})",
                        line=dict(color=colours[v]), hovertemplate=f"{v} · %{{x}}: {form('pt', lang, x='%{y:+.2f}')}<extra></extra>")
        dd = [d for d in pts if d.daily.abs_diff is not None]
        fig.add_scatter(x=[str(d.day) for d in dd], y=[d.daily.abs_diff * 100 for d in dd], mode="markers",
                        name=f"{v} ({t('per_day', lang)})", marker=dict(color=colours[v], symbol="circle-open", size=7),
                        hovertemplate=f"{v} · %{{x}}: {form('pt', lang, x='%{y:+.2f}')}<extra></extra>")
    fig.add_hline(y=0, line_dash="dash", line_color="#555")
    return _layout(fig, t("chart.daily", lang).format(metric=metric_label(daily["metric"], lang)),
                   t("assignment_day", lang), t("diff_axis", lang))


def funnel_figure(result: ExperimentResult, lang: str = "en",
                  step_labels: dict[str, dict[str, str]] | None = None) -> go.Figure | None:
    """Share of assigned users reaching each step of the tour or checklist, per variant.

    ``step_labels``: per variant, step id -> label (the step's title in the report's language)."""
    funnels = (result.analyses or {}).get("funnels")
    if not funnels:
        return None
    colours = colour_map(list(result.assigned))
    fig = go.Figure()
    for v, f in funnels.items():
        labels = (step_labels or {}).get(v, {})
        names = [labels.get(st.name, st.name) for st in f.steps]
        fig.add_bar(name=v, x=[(st.reach_rate or 0) * 100 for st in f.steps], y=names, orientation="h",
                    marker_color=colours[v], customdata=[[st.reached, f.entered] for st in f.steps],
                    text=[f"{(st.reach_rate or 0) * 100:.1f}%" for st in f.steps], textposition="outside",
                    hovertemplate=f"{v} · %{{y}}: %{{x:.1f}}%<br>%{{customdata[0]:,}} / %{{customdata[1]:,}}<extra></extra>")
    fig.update_layout(barmode="group", yaxis=dict(autorange="reversed"))
    return _layout(fig, t("chart.funnel", lang), t("reach_axis", lang), t("step", lang),
                   height=max(320, 80 + 45 * max(len(f.steps) for f in funnels.values()) * len(funnels)))


def nps_figure(result: ExperimentResult, lang: str = "en") -> go.Figure | None:
    """Distribution of survey scores 0-10 per variant (share of respondents)."""
    surveys = (result.analyses or {}).get("surveys")
    if not surveys:
        return None
    colours = colour_map(list(result.assigned))
    fig = go.Figure()
    for v, r in surveys["by_variant"].items():
        if not r.distribution:
            continue
        fig.add_bar(name=v, x=list(range(11)), y=[p * 100 for p in r.distribution], marker_color=colours[v],
                    hovertemplate=f"{v} · %{{x}}: %{{y:.1f}}%<extra></extra>")
    fig.update_layout(barmode="group")
    return _layout(fig, t("chart.nps", lang), t("score", lang), t("share_respondents", lang))


def stickiness_figure(result: ExperimentResult, lang: str = "en") -> go.Figure | None:
    """DAU/WAU by day per variant (how many of the week's active users come back each day)."""
    st = (result.analyses or {}).get("stickiness")
    if not st:
        return None
    colours = colour_map(list(result.assigned))
    fig = go.Figure()
    for v, s_ in st.items():
        pts = [(d, x) for d, x in zip(s_.days, s_.dau_wau) if x is not None]
        fig.add_scatter(x=[d.isoformat() for d, _ in pts], y=[x * 100 for _, x in pts], name=v, mode="lines",
                        line=dict(color=colours[v]), hovertemplate=f"{v} · %{{x}}: %{{y:.1f}}%<extra></extra>")
    return _layout(fig, t("chart.stickiness", lang), t("date", lang), "DAU/WAU (%)", height=320)


def figure_html(fig: go.Figure, div_id: str) -> str:
    """A figure as an HTML fragment that draws with the plotly.js already on the page."""
    return fig.to_html(full_html=False, include_plotlyjs=False, div_id=div_id, config=CONFIG)
