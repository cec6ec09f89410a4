"""Time guidelab's count stage against one hand-written DuckDB query, as whole processes.

For each export (written by ``bench/gen_export.py``) this runs, in the same session, each job
``--repeat`` times as its own process and reports the median wall time and the median peak RSS
(``ru_maxrss`` of that child, from ``os.wait4``):

* ``count``: guidelab's full count stage, what ``guidelab report`` computes before rendering:
  :func:`guidelab.analysis.analyze_experiment` (open and check the tables, the row ledger, every
  metric with CUPED, retention curves, time to goal, daily effects, segments, funnels,
  stickiness, and the statistics on the counts, which take milliseconds);
* ``duckdb_d1_d7``: one hand-written DuckDB query for D1/D7 retention per variant on the same
  files (no checks, no ledger): the floor for what the count stage could cost;
* ``report`` (``--report``): ``guidelab report`` end to end (notebook, HTML), at the sizes given.

A job that runs past ``--timeout`` seconds is killed and reported as not finished.

    .venv/bin/python bench/bench_count_stage.py /work/bench-data/onboarding-1m --report
    .venv/bin/python bench/bench_count_stage.py /work/bench-data/onboarding-10m --timeout 300
"""
from __future__ import annotations

import argparse
import json
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SPEC = ROOT / "experiments" / "onboarding-tour-vs-checklist.yaml"

COUNT_STAGE = """
import sys
from guidelab.analysis import analyze_experiment
from guidelab.experiment import load_experiment
result = analyze_experiment(load_experiment(sys.argv[1]), sys.argv[2])
print(result.decision.verdict, sorted(result.analyses))
"""

D1_D7 = """
import sys, duckdb
d = sys.argv[2]
con = duckdb.connect()
rows = con.execute(f'''
    WITH a AS (
        SELECT user_id, variant, CAST(timezone('Asia/Tokyo', assigned_at) AS DATE) AS day0
        FROM read_parquet('{d}/assignments.parquet') WHERE experiment = 'onboarding-tour-vs-checklist'),
    act AS (
        SELECT a.user_id, bool_or(datediff('day', a.day0, CAST(timezone('Asia/Tokyo', e.timestamp) AS DATE)) = 1) AS d1,
               bool_or(datediff('day', a.day0, CAST(timezone('Asia/Tokyo', e.timestamp) AS DATE)) = 7) AS d7
        FROM read_parquet('{d}/activity.parquet') e JOIN a USING (user_id)
        WHERE e.timestamp >= TIMESTAMPTZ '2026-09-30 15:00:00+00' GROUP BY a.user_id)
    SELECT a.variant, count(*) FILTER (WHERE a.day0 <= DATE '2026-11-03') AS n1,
           count_if(act.d1 AND a.day0 <= DATE '2026-11-03') AS d1,
           count(*) FILTER (WHERE a.day0 <= DATE '2026-10-28') AS n7,
           count_if(act.d7 AND a.day0 <= DATE '2026-10-28') AS d7
    FROM a LEFT JOIN act USING (user_id) GROUP BY 1 ORDER BY 1''').fetchall()
print(rows)
"""


def run_once(argv: list[str], timeout: float, env: dict[str, str] | None = None) -> tuple[float | None, float, str, float]:
    """(seconds or None when killed at the timeout, peak RSS in GB, last output line, CPU seconds
    (user + system, all threads of the process and its children that it waited for)) of one process."""
    t0 = time.perf_counter()
    proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, start_new_session=True,
                            env=env)
    deadline = t0 + timeout
    killed = False
    while True:
        pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
        if pid:
            break
        if time.perf_counter() > deadline and not killed:
            os.killpg(proc.pid, signal.SIGKILL)
            killed = True
        time.sleep(0.05)
    seconds = time.perf_counter() - t0
    out = proc.stdout.read().decode(errors="replace").strip().splitlines() if proc.stdout else []
    proc.returncode = os.waitstatus_to_exitcode(status)
    if not killed and proc.returncode != 0:
        raise SystemExit(f"{argv[:3]} failed ({proc.returncode}):\n" + "\n".join(out[-30:]))
    cpu = usage.ru_utime + usage.ru_stime
    return (None if killed else seconds), usage.ru_maxrss / 1024 / 1024, (out[-1] if out else ""), cpu


def load() -> str:
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("data", nargs="+", type=Path, help="export folders written by gen_export.py")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--timeout", type=float, default=600)
    ap.add_argument("--report", action="store_true", help="also time `guidelab report` end to end")
    ap.add_argument("--jobs", default="count,duckdb_d1_d7", help="comma-separated: count, duckdb_d1_d7")
    ap.add_argument("--json", type=Path, help="append the figures to this JSON-lines file")
    args = ap.parse_args()
    py = sys.executable
    guidelab = str(Path(py).with_name("guidelab"))
    for data in args.data:
        users = json.loads((data / "export.json").read_text())["users"] if (data / "export.json").exists() else None
        jobs = {"count": [py, "-c", COUNT_STAGE, str(SPEC), str(data)],
                "duckdb_d1_d7": [py, "-c", D1_D7, str(SPEC), str(data)]}
        chosen = [j for j in args.jobs.split(",") if j]
        if args.report:
            out_dir = tempfile.mkdtemp(prefix="guidelab-bench-report-")
            jobs["report"] = [guidelab, "report", str(SPEC), "--data", str(data), "--out", out_dir, "--quiet"]
            chosen.append("report")
        for name in chosen:
            runs = []
            before = load()
            for _ in range(args.repeat):
                runs.append(run_once(jobs[name], args.timeout))
                if runs[-1][0] is None:
                    break  # a job that does not finish is not run again
            secs = [s for s, _, _, _ in runs if s is not None]
            rss = statistics.median(r for _, r, _, _ in runs)
            cpu = statistics.median(c for _, _, _, c in runs)
            figure = {"data": str(data), "users": users, "job": name, "runs": len(runs),
                      "median_s": round(statistics.median(secs), 2) if len(secs) == len(runs) else None,
                      "times_s": [None if s is None else round(s, 2) for s, _, _, _ in runs],
                      "cpu_s": round(cpu, 2), "peak_rss_gb": round(rss, 2), "load_before": before, "load_after": load(),
                      "output": runs[-1][2][:160]}
            shown = f"{figure['median_s']} s" if figure["median_s"] is not None else f"did not finish in {args.timeout:.0f} s"
            print(f"{data.name:>20} {name:>14}: {shown}, {figure['cpu_s']} CPU-s, peak {figure['peak_rss_gb']} GB "
                  f"(runs {figure['times_s']}, load {before} -> {figure['load_after']})", flush=True)
            if args.json:
                with args.json.open("a") as fh:
                    fh.write(json.dumps(figure) + "\n")


if __name__ == "__main__":
    main()
