"""The report: everything that turns analysis results into words, pages and charts.

The analysis (``guidelab.analysis``, ``guidelab.abtest``) returns typed results made of numbers,
codes and parameters; this package alone turns them into sentences and HTML:

* :mod:`guidelab.report.words` - number formats and the sentences of the verdict reasons, data
  checks and readings; the words of each language live in one file per language
  (``words/en.py``, ``words/ja.py``).
* :mod:`guidelab.report.templating` - the Jinja2 environment (autoescaping) and the page templates
  (``templates/*.html.j2``) of the report body, the guide preview and the portfolio index.
* :mod:`guidelab.report.render` - the report sections the notebook displays, from an
  :class:`~guidelab.results.ExperimentResult`; :mod:`guidelab.report.plots` - its charts.
* :mod:`guidelab.report.preview`, :mod:`guidelab.report.portfolio`, :mod:`guidelab.report.notify`
  - the guide preview page, the portfolio index and the Slack message.
* :mod:`guidelab.report.runner` - ``guidelab report``: runs the report notebook with Papermill and
  exports it as one offline HTML file (its public names are importable from here).
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any

__all__ = ["NOTEBOOK_DIR", "REPORT_NOTEBOOK", "TEMPLATE_DIR", "ReportError", "ReportOutput", "export_html",
           "notebook_path", "report_name", "run_report"]

if TYPE_CHECKING:
    from .runner import (
        NOTEBOOK_DIR,
        REPORT_NOTEBOOK,
        TEMPLATE_DIR,
        ReportError,
        ReportOutput,
        export_html,
        notebook_path,
        report_name,
        run_report,
    )


def __getattr__(name: str) -> Any:
    """The runner's names, imported on first use: the words and templates stay light to import
    (the JSON of ``analyze-counts`` uses the words without loading nbformat)."""
    if name in __all__:
        from . import runner

        return getattr(runner, name)
    raise AttributeError(f"module 'guidelab.report' has no attribute {name!r}")
