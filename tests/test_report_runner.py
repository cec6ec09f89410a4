"""guidelab.report.runner without a kernel: plotly.js inlined after the run gives the bytes an
inline run gives; the runner's import leaves out jsonschema's slow iri checker, not validation."""
from __future__ import annotations

import subprocess
import sys

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_output

from guidelab.report import plots
from guidelab.report.runner import _inline_plotlyjs_in_outputs, export_html

EVIL = "<script>alert('x')</script> /* guidelab: plotly.js */"


def _notebook(head: str) -> nbformat.NotebookNode:
    """A report-shaped notebook: a removed markdown cell, a head with plotly.js, a figure."""
    fig = plots.figure_html(plots.go.Figure(plots.go.Bar(x=["a", "b"], y=[1, 2])), "gl-test")
    cells = [new_markdown_cell("# removed", id="c0", metadata={"tags": ["remove-cell"]}),
             new_code_cell("display(HTML(render.head(ctx)))", id="c1", outputs=[
                 new_output("display_data", data={"text/html": head, "text/plain": "<HTML>"})]),
             new_code_cell("display(HTML(render.charts(ctx)))", id="c2", outputs=[
                 new_output("display_data", data={"text/html": f"<p>{EVIL}</p>{fig}", "text/plain": "<HTML>"}),
                 new_output("stream", name="stderr", text="a warning\n")])]
    return new_notebook(cells=cells, metadata={"language_info": {"name": "python"}})


@pytest.mark.parametrize("lang", ["en", "ja"])
def test_deferred_plotlyjs_gives_the_same_html_and_notebook(lang):
    inline = _notebook(f"<style>p{{}}</style>{plots.plotlyjs_script('inline')}<h1>Report</h1>")
    deferred = _notebook(f"<style>p{{}}</style>{plots.plotlyjs_script('deferred')}<h1>Report</h1>")
    assert plots.PLOTLYJS_PLACEHOLDER in deferred.cells[1].outputs[0].data["text/html"]
    assert len(nbformat.writes(deferred)) < len(nbformat.writes(inline)) - 1_000_000
    html = plots.inline_plotlyjs(export_html(deferred, "T", lang))
    assert html == export_html(inline, "T", lang)
    assert html.count(plots.get_plotlyjs()) == 1
    _inline_plotlyjs_in_outputs(deferred)
    assert nbformat.writes(deferred) == nbformat.writes(inline)


def test_placeholder_and_modes():
    assert plots.plotlyjs_script("deferred") == plots.PLOTLYJS_PLACEHOLDER
    assert plots.inline_plotlyjs("x" + plots.PLOTLYJS_PLACEHOLDER) == "x" + plots.plotlyjs_script()
    assert plots.inline_plotlyjs("no placeholder") == "no placeholder"
    with pytest.raises(ValueError, match="plotlyjs must be one of inline, deferred"):
        plots.plotlyjs_script("cdn")


def test_runner_import_skips_the_iri_checker_but_validates_notebooks():
    code = ("import sys\n"
            "import guidelab.report.runner\n"
            "import nbformat, nbformat.v4 as v4\n"
            "assert 'jsonschema' in sys.modules and 'rfc3987_syntax' not in sys.modules\n"
            "nbformat.validate(v4.new_notebook())\n"
            "bad = v4.new_notebook(); bad.cells.append({'cell_type': 'code'})\n"
            "try:\n    nbformat.validate(bad)\nexcept nbformat.ValidationError:\n    print('invalid refused')\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "invalid refused"
