"""Time guidelab's count stage on the Spark engine (``--engine spark``) on an export.

Runs :func:`guidelab.analysis.analyze_experiment` (open and check the tables, the row ledger,
every metric with CUPED, retention curves, time to goal, daily effects, segments, funnels,
stickiness, the statistics) with ``EngineOptions("spark", master, conf)`` in this process and
prints the SparkSession start-up, the count stage's wall time and the verdict, plus the
machine's load (``os.getloadavg``) before and after. Exports are written by
``bench/gen_export.py``.

    .venv/bin/python bench/bench_spark.py /work/bench-data/onboarding-1m
    .venv/bin/python bench/bench_spark.py /work/bench-data/onboarding-10m --driver-memory 8g
"""
from __future__ import annotations

import argparse
import json
import os
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SPEC = ROOT / "experiments" / "onboarding-tour-vs-checklist.yaml"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("data", help="an export folder (bench/gen_export.py)")
    ap.add_argument("--spec", default=str(SPEC))
    ap.add_argument("--master", default="local[2]")
    ap.add_argument("--driver-memory", default="6g", help="spark.driver.memory (local mode: all the work is in the driver)")
    ap.add_argument("--shuffle-partitions", default="16")
    ap.add_argument("--local-dir", default=None, help="spark.local.dir for spills (default: a temp folder)")
    args = ap.parse_args()

    from guidelab.analysis import analyze_experiment
    from guidelab.engine import EngineOptions, spark_session
    from guidelab.experiment import load_experiment

    local_dir = args.local_dir or tempfile.mkdtemp(prefix="guidelab-spark-")
    conf = {"spark.driver.memory": args.driver_memory, "spark.sql.shuffle.partitions": args.shuffle_partitions,
            "spark.local.dir": local_dir}
    load_before = os.getloadavg()
    t0 = time.perf_counter()
    spark_session(args.master, conf)
    t1 = time.perf_counter()
    spec = load_experiment(args.spec)
    result = analyze_experiment(spec, args.data, engine=EngineOptions("spark", args.master))
    t2 = time.perf_counter()
    rows = json.loads((Path(args.data) / "export.json").read_text()).get("rows") if (Path(args.data) / "export.json").is_file() else None
    print(json.dumps({"data": str(args.data), "rows": rows, "master": args.master, "conf": conf,
                      "session_start_s": round(t1 - t0, 1), "count_stage_s": round(t2 - t1, 1),
                      "verdict": result.decision.verdict, "assigned": result.assigned,
                      "load_before": [round(x, 1) for x in load_before],
                      "load_after": [round(x, 1) for x in os.getloadavg()]}, indent=1))


if __name__ == "__main__":
    main()
