"""The report's percentile section: each quantile metric's value per arm with its interval, the
users who reached the event, the difference and relative difference, and how users who never
reached the event were counted (:mod:`guidelab.stats.quantiles`). Words come from the language
files (``quantile.*``)."""
from __future__ import annotations

from typing import Any

from ..stats.quantiles import QuantileComparison
from .render import ReportContext, _interval, _m, render
from .words import metric_label, note_text, number, t, value


def _arm(estimate: float | None, ci: Any, p: float, lang: str) -> str:
    if estimate is None:
        return t("quantile.not_reached", lang).format(percentile=f"{p * 100:g}")
    if ci is None:
        return value(estimate, "quantile")
    high = "∞" if ci[1] is None else value(ci[1], "quantile")
    return f"{value(estimate, 'quantile')} ({value(ci[0], 'quantile')} … {high})"


def _diff(c: QuantileComparison) -> str:
    if c.abs_diff is None:
        return "–"
    text = value(c.abs_diff, "quantile")
    if c.abs_ci is not None:
        text += f" ({value(c.abs_ci[0], 'quantile')} … {value(c.abs_ci[1], 'quantile')})"
    return text


def quantile_section(ctx: ReportContext) -> str:
    """The percentile table, or "" when the spec has no quantile metric."""
    r, lang = ctx.result, ctx.lang
    rows, censoring = [], set()
    for m in r.metrics:
        c = m.comparison
        if not isinstance(c, QuantileComparison):
            continue
        if c.n_reached != c.n_eligible or c.n_reached_control != c.n_eligible_control or c.censoring == "reachers":
            censoring.add(c.censoring)  # users who never reached the event: say how they counted
        reached = (f"{number(c.n_reached, lang)} / {number(c.n_eligible, lang)} · "
                   f"{number(c.n_reached_control, lang)} / {number(c.n_eligible_control, lang)}")
        cells = [_m(_arm(c.estimate, c.ci, c.p, lang)), _m(_arm(c.estimate_control, c.ci_control, c.p, lang)),
                 _m(reached), _m(_diff(c)), _m(_interval(c.rel_ci))]
        rows.append({"metric": metric_label(m.metric, lang, capital=True), "role": t("role." + m.role, lang),
                     "variant": m.variant, "significant": m.significant, "cells": cells,
                     "notes": [note_text(n, lang) for n in c.notes]})
    if not rows:
        return ""
    heads = ["metric", "variant", "quantile.arm", "quantile.control", "quantile.reached", "quantile.diff", "quantile.rel"]
    readings = [t(f"quantile.{mode}", lang) for mode in ("censored", "reachers") if mode in censoring]
    return render("report/quantiles.html.j2", t=ctx.t, heads=heads, rows=rows, readings=readings,
                  method=t("quantile.method", lang))
