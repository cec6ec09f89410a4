"""The Jinja2 environment every HTML page and fragment of guidelab is rendered with.

* Autoescape is on: every value a template prints is escaped unless it is :class:`Markup`
  (HTML built by another template, a chart, the CSS). Values are escaped like
  :func:`html.escape` (``'`` -> ``&#x27;``, ``"`` -> ``&quot;``), the form the pages always had.
* Templates live in ``templates/*.html.j2``, written one element a line for reading; the loader
  joins the lines of a template with their indentation removed (a template's output is one line,
  the form the pages always had), so a space that matters is written inside a line.

    >>> print(render_string("<b>{{ name }}</b>", name="<script>alert('x')</script>"))
    <b>&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt;</b>
"""
from __future__ import annotations

import html as _html
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable

import jinja2
from markupsafe import Markup

if TYPE_CHECKING:
    from ..results import ExperimentResult
    from ..serialize import ResultModel

TEMPLATES = Path(__file__).resolve().parent / "templates"


def _finalize(value: Any) -> Any:
    """Escape as :func:`html.escape` does (quotes as ``&quot;``/``&#x27;``); Markup passes as it is."""
    if isinstance(value, Markup) or hasattr(value, "__html__"):
        return value
    return Markup(_html.escape(str(value)))


class CompactLoader(jinja2.FileSystemLoader):
    """Loads ``*.html.j2`` templates with each line stripped and the lines joined (no newlines)."""

    def get_source(self, environment: jinja2.Environment, template: str) -> tuple[str, str, Callable[[], bool]]:
        source, filename, uptodate = super().get_source(environment, template)
        if template.endswith(".html.j2"):
            source = "".join(line.strip() for line in source.splitlines())
        return source, filename, uptodate


@lru_cache(maxsize=1)
def environment() -> jinja2.Environment:
    """The one environment (autoescaping, strict undefined, templates of this package)."""
    env = jinja2.Environment(loader=CompactLoader(str(TEMPLATES)), autoescape=True, finalize=_finalize,
                             undefined=jinja2.StrictUndefined, keep_trailing_newline=True)
    return env


def render(template: str, **context: Any) -> Markup:
    """Render ``templates/<template>`` with ``context``; the result is safe HTML."""
    return Markup(environment().get_template(template).render(**context))


def render_string(source: str, **context: Any) -> str:
    """Render a template given as text (through the same autoescaping environment)."""
    return environment().from_string(source).render(**context)


def markup(text: str) -> Markup:
    """Mark HTML built by guidelab itself (a chart, formatted numbers, the CSS) as safe to print."""
    return Markup(text)


def _cell(value: Any) -> str:
    if value is None:
        return "–"
    if isinstance(value, float):
        return f"{value:.4g}"
    if isinstance(value, (list, tuple)) and len(value) == 2 and all(isinstance(v, float) for v in value):
        return f"[{value[0]:.4g}, {value[1]:.4g}]"
    return str(value)


def model_table(model: "ResultModel") -> str:
    """A result model as a two-column table (field, value) of its flattened JSON form (Jupyter)."""
    from ..serialize import flatten

    rows = [(k, _cell(v)) for k, v in flatten(model.to_dict()).items()]
    return str(render("model_table.html.j2", title=type(model).__name__, rows=rows))


#: The columns of an experiment's table in Jupyter: (heading, key of the flattened metric JSON).
EXPERIMENT_COLUMNS = (("metric", "metric"), ("role", "role"), ("variant", "variant"), ("users", "n"),
                      ("value", "value"), ("control", "value_control"), ("difference", "abs_diff"),
                      ("relative lift", "rel_lift"), ("lift interval", "rel_ci"), ("p", "p_value"),
                      ("p adjusted", "p_value_adjusted"), ("significant", "significant"))


def experiment_table(result: "ExperimentResult") -> str:
    """An experiment's result in Jupyter: the verdict with its reasons, then one row per metric and arm."""
    from .words import pct, pval, reason_text

    rows = []
    for m in result.metrics:
        c = m.comparison
        value = (lambda x: pct(x)) if m.kind == "proportion" else (lambda x: "–" if x is None else f"{x:.4g}")
        ci = c.rel_ci
        rows.append([m.metric, m.role, m.variant, f"{c.n:,}", value(m.value), value(m.value_control),
                     value(c.abs_diff) if m.kind != "proportion" else pct(c.abs_diff, signed=True),
                     pct(c.rel_lift, signed=True),
                     "–" if not ci else f"[{pct(ci[0], signed=True)}, {pct(ci[1], signed=True)}]",
                     pval(c.p_value), pval(m.p_value_adjusted), "yes" if m.significant else "no"])
    d = result.decision
    return str(render("experiment_table.html.j2", experiment=result.experiment, verdict=d.verdict, arm=d.arm,
                      as_of=result.as_of.isoformat() if result.as_of else None,
                      reasons=[reason_text(r, "en") for r in d.reasons],
                      heads=[h for h, _ in EXPERIMENT_COLUMNS], rows=rows))
