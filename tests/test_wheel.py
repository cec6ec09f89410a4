"""The built wheel carries what it needs: installed in a fresh virtual environment, outside the
repository, ``guidelab report`` and ``guidelab publish`` write their HTML.

The wheel is built from a copy of the sources (the repository is left as it is) with ``uv build``
when uv is on the PATH, else ``pip wheel``; it is installed with the lock (``constraints.txt``)
into a new virtual environment (uv, else venv + pip; both reuse their download caches), and the
commands run from a temporary directory holding a copy of ``experiments/`` and the committed
sample, with nothing of the repository on ``sys.path``.
"""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.wheel

ROOT = Path(__file__).resolve().parent.parent
SOURCES = ("pyproject.toml", "README.md", "lib")  # what the build reads (pyproject: package-dir, readme)
SMALLEST = "nps-survey-timing"  # the report run on its own
PUBLISHED = (SMALLEST, "maintenance-banner-copy")  # publish runs these (CSV and Parquet data), the index and the programme


def _run(cmd: list[str], cwd: Path, env: dict[str, str] | None = None, timeout: int = 900) -> str:
    proc = subprocess.run([str(c) for c in cmd], cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout)
    assert proc.returncode == 0, f"{' '.join(map(str, cmd))} exited {proc.returncode}\n{proc.stdout}\n{proc.stderr}"
    return proc.stdout


def _build_wheel(tmp: Path) -> Path:
    src, dist = tmp / "src", tmp / "dist"
    src.mkdir()
    for name in SOURCES:
        if (ROOT / name).is_dir():
            shutil.copytree(ROOT / name, src / name, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
        else:
            shutil.copy2(ROOT / name, src / name)
    uv = shutil.which("uv")
    if uv:
        _run([uv, "build", "--quiet", "--wheel", "--out-dir", dist, src], tmp)
    else:
        _run([sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "--wheel-dir", dist, src], tmp)
    wheels = list(dist.glob("guidelab-*.whl"))
    assert len(wheels) == 1, wheels
    return wheels[0]


def _fresh_venv(tmp: Path, wheel: Path) -> Path:
    venv = tmp / "venv"
    uv = shutil.which("uv")
    if uv:
        _run([uv, "venv", "--quiet", "--python", sys.executable, venv], tmp)
        python = venv / "bin" / "python"
        _run([uv, "pip", "install", "--quiet", "--python", python, "-c", ROOT / "constraints.txt", wheel], tmp)
    else:
        _run([sys.executable, "-m", "venv", venv], tmp)
        python = venv / "bin" / "python"
        _run([python, "-m", "pip", "install", "--quiet", "-c", ROOT / "constraints.txt", wheel], tmp)
    return venv


def test_the_wheel_installed_elsewhere_writes_reports(tmp_path):
    wheel = _build_wheel(tmp_path)
    venv = _fresh_venv(tmp_path, wheel)
    team = tmp_path / "team"  # a team's repository: specs and an export, no guidelab sources
    shutil.copytree(ROOT / "experiments", team / "experiments",  # two experiments: what is packaged, not every report
                    ignore=lambda d, names: [n for n in names if n.endswith(".yaml") and Path(d).name == "experiments"
                                             and n[:-5] not in PUBLISHED])
    shutil.copytree(ROOT / "data" / "sample", team / "data" / "sample")
    env = {k: v for k, v in os.environ.items() if k not in ("VIRTUAL_ENV", "PYTHONPATH", "PYTHONHOME")}
    env["PATH"] = f"{venv / 'bin'}{os.pathsep}{env.get('PATH', '')}"
    env["VIRTUAL_ENV"] = str(venv)

    where = json.loads(_run([venv / "bin" / "python", "-c",
                             "import json, guidelab, guidelab.report as r; "
                             "print(json.dumps([guidelab.__file__, str(r.notebook_path())]))"], team, env))
    site = venv.resolve()
    assert all(Path(p).resolve().is_relative_to(site) for p in where), where  # the installed copy, not lib/

    guidelab = venv / "bin" / "guidelab"
    _run([guidelab, "report", f"experiments/{SMALLEST}.yaml", "--data", f"data/sample/{SMALLEST}",
          "--out", "one", "--quiet"], team, env)
    html = (team / "one" / f"{SMALLEST}.html").read_text(encoding="utf-8")
    assert html.startswith("<!DOCTYPE html>") and "plotly" in html and "</html>" in html
    assert json.loads((team / "one" / f"{SMALLEST}.json").read_text(encoding="utf-8"))["experiment"] == SMALLEST

    _run([guidelab, "publish", "--jobs", "2", "--quiet"], team, env)
    reports = team / "reports"
    index = (reports / "index.html").read_text(encoding="utf-8")
    assert sorted(p.stem for p in (team / "experiments").glob("*.yaml")) == sorted(PUBLISHED)
    for name in PUBLISHED:
        assert (reports / f"{name}.html").stat().st_size > 100_000, name
        assert f"{name}.html" in index
    programme = json.loads((reports / "programme.json").read_text(encoding="utf-8"))  # the programme section ran
    assert programme["programme"] == "guide-programme" and programme["metrics"]
