"""Where the wall time of ``guidelab report`` goes: one run as a process, cut into phases.

    .venv/bin/python bench/bench_report_phases.py /work/bench-data/onboarding-1m
    .venv/bin/python bench/bench_report_phases.py DATA --pythonpath /tmp/before   # another copy of guidelab

The phases come from the clock of this script (process start and end) and from the times
Papermill writes into the executed notebook (notebook start and end, each cell's start and end):

* ``before the kernel``: Python start, the CLI's imports (guidelab, Papermill, nbformat), the spec
  loaded and the data folder checked, until Papermill starts;
* ``kernel start``: Papermill start to the first cell;
* ``analysis cell``: the notebook's imports (guidelab, scipy, DuckDB, plotly), the count stage
  and the statistics (``guidelab.analyze``) and the head of the report;
* ``report cells``: the other cells (sections, charts, JSON), each timed;
* ``between cells``: Papermill saving the notebook at each cell's start and end, and messages;
* ``after the kernel``: reading the executed notebook, HTML export (nbconvert), writing the files.

Wall, CPU (user + system of the CLI and its kernel, ``os.wait4``) and peak RSS (the largest
process: the kernel) are printed with the machine's load. No assertion on times.
"""
from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

SPEC = Path(__file__).resolve().parent.parent / "experiments" / "onboarding-tour-vs-checklist.yaml"


def _ts(text: str) -> float:
    return dt.datetime.fromisoformat(text).timestamp()


def run(data: Path, pythonpath: str | None) -> dict:
    with tempfile.TemporaryDirectory(prefix="guidelab-bench-phases-") as out:
        return _run(data, pythonpath, Path(out))


def _run(data: Path, pythonpath: str | None, out: Path) -> dict:
    env = dict(os.environ)
    if pythonpath:
        env["PYTHONPATH"] = pythonpath
    cmd = [sys.executable, "-m", "guidelab.cli", "report", str(SPEC), "--data", str(data), "--out", str(out), "--quiet"]
    load_before = os.getloadavg()[0]
    start = time.time()
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(proc.pid, 0)
    end = time.time()
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"guidelab report failed: {proc.stderr.read().decode()[-2000:] if proc.stderr else ''}")
    nb = json.loads(next(out.glob("*.ipynb")).read_text(encoding="utf-8"))
    pm = nb["metadata"]["papermill"]
    cells = [(c["metadata"]["papermill"], c) for c in nb["cells"] if c["metadata"].get("papermill", {}).get("start_time")]
    analysis = next(i for i, (_, c) in enumerate(cells) if "guidelab.analyze(" in "".join(c["source"]))
    durations = [m["duration"] for m, _ in cells]
    in_cells = sum(durations)
    phases = {
        "before the kernel": _ts(pm["start_time"]) - start,
        "kernel start": _ts(cells[0][0]["start_time"]) - _ts(pm["start_time"]),
        "analysis cell (imports, count stage, statistics)": durations[analysis],
        "report cells (sections, charts, JSON)": sum(durations[analysis + 1:]),
        "between cells (notebook saves, messages)": (_ts(pm["end_time"]) - _ts(cells[0][0]["start_time"])) - in_cells,
        "after the kernel (HTML export, files)": end - _ts(pm["end_time"]),
    }
    html = next(p for p in out.glob("*.html"))
    return {"wall_s": end - start, "cpu_s": usage.ru_utime + usage.ru_stime, "peak_mb": usage.ru_maxrss / 1024,
            "phases": phases, "cells": {"".join(c["source"]).splitlines()[0][:50]: m["duration"] for m, c in cells},
            "notebook_mb": next(out.glob("*.ipynb")).stat().st_size / 1e6, "html_mb": html.stat().st_size / 1e6,
            "load": (load_before, os.getloadavg()[0])}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("data", type=Path, help="an export folder written by gen_export.py")
    ap.add_argument("--pythonpath", default=None, help="import guidelab from this folder instead")
    args = ap.parse_args()
    r = run(args.data, args.pythonpath)
    print(f"# guidelab report {args.data} ({args.pythonpath or 'installed guidelab'}), load {r['load'][0]:.2f} -> "
          f"{r['load'][1]:.2f}")
    print(f"wall {r['wall_s']:.2f} s, CPU {r['cpu_s']:.2f} s (CLI + kernel), peak RSS {r['peak_mb']:,.0f} MB; "
          f"notebook {r['notebook_mb']:.1f} MB, HTML {r['html_mb']:.1f} MB")
    for name, seconds in r["phases"].items():
        print(f"  {name:50s} {seconds:7.2f} s")
    for name, seconds in r["cells"].items():
        print(f"    cell {name:50s} {seconds:7.2f} s")


if __name__ == "__main__":
    main()
