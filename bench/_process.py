"""Timing whole processes for the bench scripts: wall time, CPU time and peak RSS of one command."""
from __future__ import annotations

import os
import statistics
import subprocess
import tempfile
import time
from dataclasses import dataclass


@dataclass(frozen=True)
class ProcessRun:
    wall_s: float
    cpu_s: float  # user + system, all threads
    peak_mb: float  # the child's maximum resident set size
    stdout: str


def run_process(cmd: list[str], env: dict[str, str] | None = None) -> ProcessRun:
    """Run ``cmd`` to the end; its own rusage (``os.wait4``), not that of other children."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        t0 = time.perf_counter()
        proc = subprocess.Popen(cmd, env=env, stdout=out, stderr=err)
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - t0
        proc.returncode = code = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        stdout, stderr = out.read().decode(errors="replace"), err.read().decode(errors="replace")
    if code != 0:
        raise RuntimeError(f"{' '.join(cmd[:4])}... exited {code}: {stderr[-2000:]}")
    return ProcessRun(wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024, stdout)


def median_runs(cmd: list[str], repeat: int, env: dict[str, str] | None = None,
                before_each=None) -> tuple[ProcessRun, list[ProcessRun]]:
    """Median wall, CPU and peak RSS over ``repeat`` runs (``before_each()`` runs before every one)."""
    runs = []
    for _ in range(repeat):
        if before_each is not None:
            before_each()
        runs.append(run_process(cmd, env))
    med = ProcessRun(statistics.median(r.wall_s for r in runs), statistics.median(r.cpu_s for r in runs),
                     statistics.median(r.peak_mb for r in runs), runs[-1].stdout)
    return med, runs


def load_average() -> str:
    one, five, fifteen = os.getloadavg()
    return f"{one:.2f}, {five:.2f}, {fifteen:.2f}"
