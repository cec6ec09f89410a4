"""Run an experiment's report notebook with Papermill and export it as one offline HTML file.

``run_report`` writes ``<out>/<id>.ipynb`` (the executed notebook), ``<out>/<id>.html`` (code
hidden, plotly.js inlined once, nothing fetched from the network) and ``<out>/<id>.json``
(written by the notebook through the library); in Japanese the report and notebook are
``<id>.ja.html`` and ``<id>.ja.ipynb`` (:func:`report_name`), so both languages coexist. Every file is replaced atomically. A failing
run still writes its executed notebook, with the error in it, and raises ReportError; a run stopped
by Ctrl-C (or by SIGTERM, which the command line turns into :class:`~guidelab.errors.Stopped`)
keeps its partial notebook under the same name, says where it stopped in it, writes no HTML and
raises Stopped (a KeyboardInterrupt). No hidden temporary notebook is left behind either way.
"""
from __future__ import annotations

import datetime as dt
import functools
import json
import os
import signal
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from ..engine import EngineOptions, read_spark_conf
from ..errors import GuidelabError, Stopped, signal_name
from ..events import check_sources
from ..experiment import load_experiment
from ..fsutil import atomic_replace, atomic_write_text
from ..spark_events import is_uri
from .plots import inline_plotlyjs
from .words import check_lang


def _import_nbformat_without_iri_checker() -> None:
    """Import nbformat without jsonschema's ``iri`` format checker.

    nbformat imports jsonschema, whose format module imports ``rfc3987_syntax`` when it is
    installed (jupyter-events pulls it in through ``jsonschema[format-nongpl]``), and
    rfc3987-syntax 1.1.0 builds ~40 Earley parsers at import: 2-3 CPU-s, the largest single
    cost of ``guidelab report`` outside the notebook (python-jsonschema/jsonschema#1428,
    #1521). Nothing here checks the ``iri`` formats (nbformat's schemas use no ``format``;
    no format checker is passed), so the module is hidden while jsonschema loads (an import
    of it raises ImportError, which jsonschema expects) and is importable again afterwards.
    A process that has already imported jsonschema is left as it is.
    """
    if "jsonschema" in sys.modules or "rfc3987_syntax" in sys.modules:
        import nbformat  # noqa: F401
        return
    sys.modules["rfc3987_syntax"] = None  # type: ignore[assignment]
    try:
        import nbformat  # noqa: F401
    finally:
        if sys.modules.get("rfc3987_syntax", 0) is None:
            del sys.modules["rfc3987_syntax"]


_import_nbformat_without_iri_checker()
import nbformat  # noqa: E402  (after the function above)

if TYPE_CHECKING:
    from ..progress import Progress

PACKAGE_DIR = Path(__file__).resolve().parents[1]  # the guidelab package (lib/)
#: The report and plan notebooks ship inside the package (package data); the repository's
#: ``notebooks/`` holds links to them for JupyterLab, so there is one copy.
NOTEBOOK_DIR = PACKAGE_DIR / "notebooks"
TEMPLATE_DIR = Path(__file__).resolve().parent / "templates"  # the nbconvert template guidelab_report
REPORT_NOTEBOOK = "experiment_report.ipynb"


class ReportError(GuidelabError):
    """The notebook failed; ``notebook`` is the executed notebook holding the error."""

    def __init__(self, message: str, notebook: Path):
        self.notebook = notebook
        super().__init__(message)


@dataclass(frozen=True)
class ReportOutput:
    experiment: str
    html: Path
    notebook: Path
    json: Path
    verdict: str


def report_name(experiment: str, lang: str = "en", suffix: str = ".html") -> str:
    """The file name of a report in a language: ``<id>.html`` in English, ``<id>.<lang>.html``
    otherwise (``<id>.ja.html``), so reports in both languages live side by side. The same rule
    names the executed notebook (``<id>.ipynb``, ``<id>.ja.ipynb``) and the index
    (``index.html``, ``index.ja.html``). The result JSON (``<id>.json``) holds the reasons in
    both languages and has one name."""
    return f"{experiment}{suffix}" if lang == "en" else f"{experiment}.{lang}{suffix}"


def notebook_path(name: str = REPORT_NOTEBOOK) -> Path:
    path = NOTEBOOK_DIR / name
    if not path.is_file():
        raise GuidelabError(f"{path}: notebook not found: the guidelab installation is incomplete (reinstall it)")
    return path


def export_html(nb: nbformat.NotebookNode, title: str, lang: str = "en") -> str:
    """The executed notebook as HTML: inputs, prompts, stderr and removed cells left out."""
    from nbconvert import HTMLExporter
    from nbconvert.preprocessors import TagRemovePreprocessor
    from traitlets.config import Config

    cfg = Config()
    cfg.TagRemovePreprocessor.remove_cell_tags = {"remove-cell", "injected-parameters", "parameters"}
    cfg.TagRemovePreprocessor.enabled = True
    cfg.HTMLExporter.exclude_input = True
    cfg.HTMLExporter.exclude_input_prompt = True
    cfg.HTMLExporter.exclude_output_prompt = True
    cfg.HTMLExporter.language_code = lang  # <html lang="ja"> for Japanese reports
    exporter = HTMLExporter(config=cfg, template_name="guidelab_report",
                            extra_template_basedirs=[str(TEMPLATE_DIR)])
    exporter.register_preprocessor(TagRemovePreprocessor(config=cfg), enabled=True)
    nb = nbformat.from_dict(json.loads(json.dumps(nb)))  # a copy we may prune
    for cell in nb.cells:
        if cell.cell_type == "code":
            cell.outputs = [o for o in cell.get("outputs", []) if not (o.get("output_type") == "stream" and o.get("name") == "stderr")]
    nb.metadata["title"] = title
    body, _ = exporter.from_notebook_node(nb, resources={"metadata": {"name": title}, "language_code": lang})
    return body


def _inline_plotlyjs_in_outputs(nb: nbformat.NotebookNode) -> None:
    """Put plotly.js back where the notebook ran with ``plotlyjs="deferred"``: the executed
    notebook keeps the outputs an inline run gives."""
    for cell in nb.cells:
        for out in cell.get("outputs", []):
            data = out.get("data") or {}
            if isinstance(data.get("text/html"), str):
                data["text/html"] = inline_plotlyjs(data["text/html"])


def _keep_failed_notebook(tmp_nb: Path, final_nb: Path, stopped_by: int | None = None) -> None:
    """A failed run's executed notebook, with plotly.js back in it when it can be read; as it is otherwise.

    ``stopped_by``: the run was stopped by this signal, and the notebook says so where the run
    stopped (:func:`_mark_stopped`)."""
    atomic_replace(tmp_nb, final_nb)
    try:
        nb = nbformat.read(final_nb, as_version=4)
        _inline_plotlyjs_in_outputs(nb)
        if stopped_by is not None:
            _mark_stopped(nb, stopped_by)
        atomic_write_text(final_nb, nbformat.writes(nb))
    except Exception:  # a half-written notebook is kept as Papermill left it
        pass


def _mark_stopped(nb: nbformat.NotebookNode, signum: int) -> None:
    """Record in a partial notebook that the run was stopped by a signal, as a failed cell records its error.

    The last cell Papermill started gets an error output naming the signal, and its and the
    notebook's Papermill metadata say it failed (``status: failed``, ``exception: true``), the
    marks Papermill gives a cell that raised. Papermill marks every cell it started as completed
    when the run ends, whatever ended it, so the stopped cell is the last one with a start time;
    with no cell started (stopped while the kernel started), only the notebook is marked.
    """
    started = [c for c in nb.cells if (c.get("metadata", {}).get("papermill") or {}).get("start_time")]
    text = (f"guidelab report was stopped by {signal_name(signum)} while this cell ran: "
            "its output may be incomplete and the cells below did not run")
    if started and started[-1].cell_type == "code":
        cell = started[-1]
        cell.outputs.append(nbformat.v4.new_output("error", ename=signal_name(signum), evalue=text, traceback=[text]))
        cell.metadata.papermill.update(status="failed", exception=True)
        for later in nb.cells[nb.cells.index(cell) + 1:]:  # as after a failed cell: never run, still pending
            if "papermill" in later.get("metadata", {}) and not later.metadata.papermill.get("start_time"):
                later.metadata.papermill["status"] = "pending"
    nb.metadata.setdefault("papermill", {})["exception"] = True


#: Seconds a stopped run waits for the kernel to answer the interrupt of its running cell
#: before the kernel is killed (see :func:`_papermill_engine`).
STOP_WAIT = 3.0


@functools.cache
def _papermill_engine() -> str:
    """The name of guidelab's Papermill engine, registered on first use (Papermill is imported here).

    It is Papermill's nbclient engine with one change: a run stopped in this process
    (KeyboardInterrupt, or :class:`~guidelab.errors.Stopped` on SIGTERM) stops its kernel
    cleanly. nbclient alone shuts the kernel down while its cell still runs: the kernel finishes
    the cell (the whole analysis) or is terminated 2.5 s later without its clean-up, and its
    late reply meets a closed socket and prints a traceback. Here the running cell is
    interrupted first (KeyboardInterrupt inside the kernel, so the analysis closes its data and
    removes its temporary folders) and its reply collected by nbclient's own tasks, up to
    :data:`STOP_WAIT` seconds, so the kernel is idle when nbclient shuts it down; a kernel that
    does not answer is killed at once. A kernel stopped while it starts, which nbclient leaves
    running, is killed too. Runs that are not stopped go exactly as with Papermill's engine.
    """
    import asyncio

    from jupyter_core.utils import ensure_event_loop, run_sync
    from papermill.clientwrap import PapermillNotebookClient
    from papermill.engines import NBClientEngine, papermill_engines
    from papermill.log import logger
    from papermill.utils import merge_kwargs, remove_args

    def kernel_tasks() -> list[asyncio.Task[object]]:
        """The pending asyncio tasks of nbclient and jupyter_client on this thread's loop (none
        where a loop already runs in this thread: nbclient then runs on another thread's)."""
        try:
            asyncio.get_running_loop()
            return []
        except RuntimeError:
            pass
        tasks = []
        for task in asyncio.all_tasks(ensure_event_loop()):
            frame = getattr(task.get_coro(), "cr_frame", None)
            module = frame.f_globals.get("__name__", "") if frame is not None else ""
            if not task.done() and module.split(".")[0] in {"nbclient", "jupyter_client"}:
                tasks.append(task)
        return tasks

    def settle(wait_for: list[asyncio.Future[object]], timeout: float | None,
               before: list[asyncio.Task[object]] | None = None) -> None:
        """Run the loop until ``wait_for`` is done (up to ``timeout`` seconds), then cancel the
        kernel tasks still pending and collect the outcome of every one, so none is left pending
        and no exception unretrieved (asyncio would print it, a cell's traceback, when collected).
        ``before``: the kernel tasks pending when the run was stopped (default: now)."""
        loop = ensure_event_loop()
        before = kernel_tasks() if before is None else before
        if wait_for and timeout:
            loop.run_until_complete(asyncio.wait(wait_for, timeout=timeout))
        after = kernel_tasks()
        for task in after:
            task.cancel()
        every = {*before, *after, *wait_for}
        if every:
            loop.run_until_complete(asyncio.gather(*every, return_exceptions=True))

    class StoppableNotebookClient(PapermillNotebookClient):  # type: ignore[misc]
        def execute(self, **kwargs: object) -> object:
            try:
                return super().execute(**kwargs)
            except KeyboardInterrupt:
                if self.km is not None and self.km.has_kernel:  # stopped while the kernel started
                    self.shutdown_kernel = "immediate"
                    settle([], None)
                    self._cleanup_kernel()
                raise

        def papermill_execute_cells(self) -> None:
            try:
                super().papermill_execute_cells()
            except KeyboardInterrupt:
                self._interrupt_running_cell()
                raise

        def _interrupt_running_cell(self) -> None:
            reply = self.task_poll_for_reply
            busy = reply is not None and not reply.done()  # the kernel has not answered the cell yet
            pending = kernel_tasks()
            try:
                if busy and self.km is not None and pending:
                    run_sync(self.km.interrupt_kernel)()
                    settle([reply], STOP_WAIT, pending)
                    busy = not reply.done() or reply.cancelled()
                else:
                    settle([], None)
            except Exception:  # a best effort: the kernel is killed below
                busy = True
            if busy:
                self.shutdown_kernel = "immediate"

    class StoppableEngine(NBClientEngine):  # type: ignore[misc]
        @classmethod
        def execute_managed_notebook(cls, nb_man: object, kernel_name: str, log_output: bool = False,
                                     stdout_file: object = None, stderr_file: object = None,
                                     start_timeout: int = 60, execution_timeout: int | None = None,
                                     **kwargs: object) -> object:
            # NBClientEngine.execute_managed_notebook (papermill 2.7) with the client above
            kwargs = remove_args(["input_path"], **kwargs)
            safe_kwargs = remove_args(["timeout", "startup_timeout"], **kwargs)
            final_kwargs = merge_kwargs(safe_kwargs, timeout=execution_timeout or kwargs.get("timeout"),
                                        startup_timeout=start_timeout, kernel_name=kernel_name, log=logger,
                                        log_output=log_output, stdout_file=stdout_file, stderr_file=stderr_file)
            return StoppableNotebookClient(nb_man, **final_kwargs).execute()

    papermill_engines.register("guidelab", StoppableEngine)
    return "guidelab"


def run_report(spec_path: str | Path, data_dir: str | Path, out_dir: str | Path = "reports",
               as_of: dt.date | str | None = None, lang: str = "en", kernel_name: str = "python3",
               timeout: int = 600, encoding: str | None = None,
               progress: "Progress | None" = None, engine: "EngineOptions | None" = None) -> ReportOutput:
    """Execute the report notebook for one experiment and write its HTML, notebook and JSON.

    ``encoding`` names the CSV files' encoding (default: detected, UTF-8 or CP932); ``engine``
    where the SQL runs (default DuckDB; Spark with its master and settings file).
    """
    import papermill as pm

    from ..progress import Progress

    progress = progress or Progress(enabled=False)
    check_lang(lang)
    spec_path, out_dir = Path(spec_path).resolve(), Path(out_dir).resolve()
    spec = load_experiment(spec_path)  # fail fast, before a kernel starts, on a bad spec
    engine = EngineOptions.of(engine)
    remote = engine.engine == "spark" and is_uri(data_dir)  # object storage: Spark lists it
    if not remote:
        data_dir = Path(data_dir).resolve()
        if not data_dir.is_dir():
            raise GuidelabError(f"{data_dir}: data directory not found")
        check_sources(data_dir)  # two sources for a table, a stray file: refused before a kernel starts
    if engine.spark_conf:
        read_spark_conf(engine.spark_conf)  # a bad settings file: refused before a kernel starts
    out_dir.mkdir(parents=True, exist_ok=True)
    as_of_str = as_of.isoformat() if isinstance(as_of, dt.date) else as_of
    final_nb = out_dir / report_name(spec.id, lang, ".ipynb")
    # plotly.js (~4.6 MB) goes into the HTML and the notebook after the run, not through the
    # kernel, Papermill's save after every cell and nbconvert (see plots.inline_plotlyjs).
    params = {"spec_path": str(spec_path), "data_dir": str(data_dir), "as_of": as_of_str, "lang": lang,
              "output_dir": str(out_dir), "plotlyjs": "deferred"}
    if encoding:
        params["encoding"] = encoding
    if engine.engine != "duckdb":  # the default engine adds no parameter (same notebook as before)
        params["engine"] = engine.engine
        if engine.spark_master:
            params["spark_master"] = engine.spark_master
        if engine.spark_conf:
            params["spark_conf"] = str(Path(engine.spark_conf).resolve())
    fd, tmp_name = tempfile.mkstemp(prefix=f".{spec.id}.", suffix=".ipynb", dir=out_dir)
    tmp_nb = Path(tmp_name)
    ran = False  # the notebook ran to its end (a stop after that comes while the HTML is exported)
    try:
        os.close(fd)
        progress.stage(f"running the report notebook for {spec.id} ({lang})")
        pm.execute_notebook(str(notebook_path()), str(tmp_nb), parameters=params, kernel_name=kernel_name,
                            cwd=str(NOTEBOOK_DIR), progress_bar=False, log_output=False,
                            execution_timeout=timeout, request_save_on_cell_execute=True,
                            extra_arguments=["--IPKernelApp.log_level=ERROR"], engine_name=_papermill_engine())
        ran = True
        progress.stage("exporting HTML")
        nb = nbformat.read(tmp_nb, as_version=4)
        html = inline_plotlyjs(export_html(nb, spec.display_name(lang), lang))
        _inline_plotlyjs_in_outputs(nb)
        atomic_write_text(final_nb, nbformat.writes(nb))
        tmp_nb.unlink()
    except pm.PapermillExecutionError as exc:
        if tmp_nb.exists():
            _keep_failed_notebook(tmp_nb, final_nb)
        raise ReportError(f"{spec.id}: the report notebook failed in cell {exc.exec_count}: {exc.ename}: "
                          f"{exc.evalue}\n  executed notebook with the error: {final_nb}", final_nb) from None
    except KeyboardInterrupt as exc:  # Ctrl-C, or SIGTERM where the caller turns it into Stopped
        signum = exc.signum if isinstance(exc, Stopped) else signal.SIGINT
        kept = tmp_nb.exists() and tmp_nb.stat().st_size > 0
        if kept:
            _keep_failed_notebook(tmp_nb, final_nb, stopped_by=None if ran else signum)
        else:
            tmp_nb.unlink(missing_ok=True)
        notebook = final_nb if kept or (ran and final_nb.exists()) else None
        stage = "while the HTML report was exported" if ran else "while the report notebook ran"
        where = f"\n  {'executed' if ran else 'partial'} notebook: {notebook}" if notebook else ""
        raise Stopped(signum, f"{spec.id}: stopped by {signal_name(signum)} {stage}; no HTML report written{where}",
                      notebook) from None
    except BaseException:
        if tmp_nb.exists() and tmp_nb.stat().st_size > 0:
            _keep_failed_notebook(tmp_nb, final_nb)
        else:
            tmp_nb.unlink(missing_ok=True)
        raise
    html_path = atomic_write_text(out_dir / report_name(spec.id, lang), html)
    json_path = out_dir / f"{spec.id}.json"
    verdict = json.loads(json_path.read_text(encoding="utf-8"))["decision"]["verdict"]
    progress.done("report written")
    return ReportOutput(spec.id, html_path, final_nb, json_path, verdict)
