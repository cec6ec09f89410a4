"""guidelab.report.runner: plotly.js inlined after the run gives the bytes an inline run gives;
the runner's import leaves out jsonschema's slow iri checker, not validation (both without a
kernel); `guidelab report` stopped by SIGTERM or Ctrl-C (a real process and kernel) exits
128 + the signal, keeps its partial notebook, writes no HTML, leaves no temporary file or kernel."""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

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


# --- `guidelab report` stopped by a signal -----------------------------------------------------

ROOT = Path(__file__).resolve().parent.parent
EXPERIMENT = "onboarding-tour-vs-checklist"  # the Makefile's demo experiment, on its committed sample
WAIT = 180  # seconds: generous for a loaded 2-core machine; a passing test waits a few seconds

# IPython runs the startup files of $IPYTHONDIR in the kernel before any cell (the test's own
# IPYTHONDIR, nothing in guidelab reads it): this one makes the report's analysis, or the kernel's
# start, write the kernel's pid to a file and then wait, so the signal comes at a known point.
SLOW_ANALYSIS = """\
import os, time
import guidelab

def _analysis_that_waits(*args, **kwargs):
    with open({marker!r} + ".tmp", "w") as fh:
        fh.write(str(os.getpid()))
    os.replace({marker!r} + ".tmp", {marker!r})
    time.sleep({wait})  # the stop interrupts it (KeyboardInterrupt in the kernel)

guidelab.analyze = _analysis_that_waits
"""
SLOW_START = """\
import os, time
with open({marker!r} + ".tmp", "w") as fh:
    fh.write(str(os.getpid()))
os.replace({marker!r} + ".tmp", {marker!r})
time.sleep({wait})  # the kernel never becomes ready: the stop comes while it starts
"""


def _default_sigint() -> None:
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def _start_report(tmp_path: Path, startup: str, out: Path) -> tuple[subprocess.Popen[str], Path]:
    """`guidelab report` on the demo experiment's sample in a process of its own, its kernel
    running ``startup`` (formatted with the marker file and the wait) before the notebook."""
    marker = tmp_path / "kernel.pid"
    ipython_dir = tmp_path / "ipython"
    (ipython_dir / "profile_default" / "startup").mkdir(parents=True)
    (ipython_dir / "profile_default" / "startup" / "00-stop-point.py").write_text(
        startup.format(marker=str(marker), wait=WAIT), encoding="utf-8")
    env = {**os.environ, "IPYTHONDIR": str(ipython_dir)}
    proc = subprocess.Popen(
        [sys.executable, "-m", "guidelab.cli", "report", str(ROOT / "experiments" / f"{EXPERIMENT}.yaml"),
         "--data", str(ROOT / "data" / "sample" / EXPERIMENT), "--out", str(out), "--quiet"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env,
        # Ctrl-C reaches a process whose SIGINT is not ignored (as a background job's is)
        preexec_fn=_default_sigint if signal.getsignal(signal.SIGINT) is signal.SIG_IGN else None)
    return proc, marker


def _kernel_pid(proc: subprocess.Popen[str], marker: Path) -> int:
    """The kernel's pid, once it has reached the test's stop point."""
    deadline = time.monotonic() + WAIT
    while not marker.exists():
        if proc.poll() is not None:
            pytest.fail(f"guidelab report ended ({proc.returncode}) before the stop point: {proc.communicate()}")
        if time.monotonic() > deadline:
            proc.kill()
            pytest.fail(f"the kernel did not reach the stop point in {WAIT} s: {proc.communicate()}")
        time.sleep(0.05)
    return int(marker.read_text(encoding="utf-8"))


def _running(pid: int) -> bool:
    """Whether a process is alive (a zombie left to init counts as ended)."""
    import psutil  # a dependency of ipykernel

    try:
        return psutil.Process(pid).status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False


def _stop(proc: subprocess.Popen[str], signum: int) -> tuple[str, str]:
    proc.send_signal(signum)
    try:
        return proc.communicate(timeout=WAIT)
    except subprocess.TimeoutExpired:
        proc.kill()
        pytest.fail(f"guidelab report still ran {WAIT} s after {signal.Signals(signum).name}: {proc.communicate()}")


def _previous_report(out: Path) -> dict[str, bytes]:
    """A previous run's report and result in the output folder: a stopped run leaves them as they are."""
    out.mkdir()
    files = {f"{EXPERIMENT}.html": b"<html>the previous good report</html>\n",
             f"{EXPERIMENT}.json": b'{"previous": true}\n'}
    for name, data in files.items():
        (out / name).write_bytes(data)
    return files


@pytest.mark.notebook
@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
def test_report_stopped_while_the_analysis_runs(tmp_path, signum):
    out = tmp_path / "reports"
    previous = _previous_report(out)
    proc, marker = _start_report(tmp_path, SLOW_ANALYSIS, out)
    kernel = _kernel_pid(proc, marker)
    assert _running(kernel)
    stdout, stderr = _stop(proc, signum)
    name = signal.Signals(signum).name
    notebook = out / f"{EXPERIMENT}.ipynb"
    assert proc.returncode == 128 + signum  # 143 for SIGTERM, 130 for SIGINT
    assert stdout == ""
    assert stderr.splitlines() == [
        f"guidelab report: STOPPED: {EXPERIMENT}: stopped by {name} while the report notebook ran; "
        "no HTML report written",
        f"  partial notebook: {notebook}"]  # one message, no traceback (the kernel's neither)
    # The partial notebook under the name a failed run's takes; the previous report and result
    # untouched; no hidden temporary notebook.
    assert sorted(p.name for p in out.iterdir()) == sorted([*previous, notebook.name])
    assert all((out / n).read_bytes() == data for n, data in previous.items())
    # The notebook says where the run stopped, as it says where a cell failed.
    nb = json.loads(notebook.read_text(encoding="utf-8"))
    assert nb["metadata"]["papermill"]["exception"] is True
    cells = [c for c in nb["cells"] if c["cell_type"] == "code"]
    stopped = next(i for i, c in enumerate(cells) if "guidelab.analyze(" in "".join(c["source"]))
    assert cells[stopped]["metadata"]["papermill"]["status"] == "failed"
    assert [o["ename"] for o in cells[stopped]["outputs"] if o["output_type"] == "error"][-1] == name
    assert all(c["execution_count"] is None and c["metadata"]["papermill"]["status"] == "pending"
               for c in cells[stopped + 1:])
    assert not _running(kernel)  # stopped and reaped, not orphaned


@pytest.mark.notebook
def test_report_stopped_while_the_kernel_starts(tmp_path):
    out = tmp_path / "reports"
    proc, marker = _start_report(tmp_path, SLOW_START, out)
    kernel = _kernel_pid(proc, marker)
    stdout, stderr = _stop(proc, signal.SIGTERM)
    notebook = out / f"{EXPERIMENT}.ipynb"
    assert proc.returncode == 143
    assert stderr.splitlines() == [
        f"guidelab report: STOPPED: {EXPERIMENT}: stopped by SIGTERM while the report notebook ran; "
        "no HTML report written",
        f"  partial notebook: {notebook}"]
    assert [p.name for p in out.iterdir()] == [notebook.name]
    nb = json.loads(notebook.read_text(encoding="utf-8"))
    assert nb["metadata"]["papermill"]["exception"] is True
    assert all(c.get("execution_count") is None for c in nb["cells"])  # no cell ran
    assert not _running(kernel)  # nbclient leaves a kernel stopped while it starts: guidelab does not
