"""Run an experiment's report notebook with Papermill and export it as one offline HTML file.

``run_report`` writes ``<out>/<id>.ipynb`` (the executed notebook), ``<out>/<id>.html`` (code
hidden, plotly.js inlined once, nothing fetched from the network) and ``<out>/<id>.json``
(written by the notebook through the library); in Japanese the report and notebook are
``<id>.ja.html`` and ``<id>.ja.ipynb`` (:func:`report_name`), so both languages coexist. Every file is replaced atomically. A failing
run still writes its executed notebook, with the error in it, and raises ReportError.
"""
from __future__ import annotations

import datetime as dt
import json
import os
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from ..engine import EngineOptions, read_spark_conf
from ..errors import GuidelabError
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


def _keep_failed_notebook(tmp_nb: Path, final_nb: Path) -> None:
    """A failed run's executed notebook, with plotly.js back in it when it can be read; as it is otherwise."""
    atomic_replace(tmp_nb, final_nb)
    try:
        nb = nbformat.read(final_nb, as_version=4)
        _inline_plotlyjs_in_outputs(nb)
        atomic_write_text(final_nb, nbformat.writes(nb))
    except Exception:  # a half-written notebook is kept as Papermill left it
        pass


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
    fd, tmp_name = tempfile.mkstemp(prefix=f".{spec.id}.", suffix=".ipynb", dir=out_dir)
    os.close(fd)
    tmp_nb = Path(tmp_name)
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
    progress.stage(f"running the report notebook for {spec.id} ({lang})")
    try:
        pm.execute_notebook(str(notebook_path()), str(tmp_nb), parameters=params, kernel_name=kernel_name,
                            cwd=str(NOTEBOOK_DIR), progress_bar=False, log_output=False,
                            execution_timeout=timeout, request_save_on_cell_execute=True,
                            extra_arguments=["--IPKernelApp.log_level=ERROR"])
    except pm.PapermillExecutionError as exc:
        if tmp_nb.exists():
            _keep_failed_notebook(tmp_nb, final_nb)
        raise ReportError(f"{spec.id}: the report notebook failed in cell {exc.exec_count}: {exc.ename}: "
                          f"{exc.evalue}\n  executed notebook with the error: {final_nb}", final_nb) from None
    except BaseException:
        if tmp_nb.exists() and tmp_nb.stat().st_size > 0:
            _keep_failed_notebook(tmp_nb, final_nb)
        else:
            tmp_nb.unlink(missing_ok=True)
        raise
    atomic_replace(tmp_nb, final_nb)
    progress.stage("exporting HTML")
    nb = nbformat.read(final_nb, as_version=4)
    html = inline_plotlyjs(export_html(nb, spec.display_name(lang), lang))
    _inline_plotlyjs_in_outputs(nb)
    atomic_write_text(final_nb, nbformat.writes(nb))
    html_path = atomic_write_text(out_dir / report_name(spec.id, lang), html)
    json_path = out_dir / f"{spec.id}.json"
    verdict = json.loads(json_path.read_text(encoding="utf-8"))["decision"]["verdict"]
    progress.done("report written")
    return ReportOutput(spec.id, html_path, final_nb, json_path, verdict)
