"""Benchmark: ``guidelab analyze`` on a one-row-per-user table, wide (400 boolean columns x 8,000
rows) or long (10M rows x 3 metrics), timed as whole processes.

    .venv/bin/python bench/bench_analyze_columns.py                              # 400 x 8,000 CSV
    .venv/bin/python bench/bench_analyze_columns.py --rows 10000000 --columns 3 --format parquet

Writes a seeded table (``user_id``, ``variant`` control/treatment, boolean columns ``m000``... in
the spellings true/false, with 1% empty cells) to ``--data-dir`` (kept for the next run), then
times, median of ``--repeat`` runs each:

* ``guidelab analyze FILE --variant variant --control control --metric m000 ... --json`` as a
  whole process: wall, CPU (user + system, all threads) and peak RSS;
* the count stage alone (:func:`guidelab.analysis.user_table_counts`: read, validate every column,
  count) in a fresh process, after the imports, so the import overhead is not in it.

``--pythonpath DIR`` times another copy of the package (a ``guidelab`` folder in DIR), e.g. an
older commit unpacked with ``git archive``, for before/after figures on the same data.
No assertions on timings; the script checks that the counts are those written.
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _process import load_average, median_runs  # noqa: E402

COUNT_STAGE = """
import json, sys, time
from guidelab.analysis import user_table_counts
t, c = time.perf_counter(), time.process_time()
users, per_metric, _ = user_table_counts(sys.argv[1], "variant", sys.argv[2].split(","))
wall, cpu = time.perf_counter() - t, time.process_time() - c
print(json.dumps({"wall": wall, "cpu": cpu, "users": users,
                  "successes": sum(c.successes for m in per_metric.values() for c in m.values())}))
"""


def make_table(path: Path, rows: int, columns: int, seed: int = 7) -> dict[str, int]:
    """Write the table; return the users per variant and the total of true cells (to check the counts)."""
    rng = np.random.default_rng(seed)
    variant = np.where(rng.random(rows) < 0.5, "control", "treatment")
    data: dict[str, pa.Array] = {"user_id": pa.array([f"u{i:09d}" for i in range(rows)]), "variant": pa.array(variant)}
    true_cells = 0
    for j in range(columns):
        flags = rng.random(rows) < 0.3
        empty = rng.random(rows) < 0.01
        true_cells += int((flags & ~empty).sum())
        if path.suffix == ".parquet":
            data[f"m{j:03d}"] = pa.array(flags, mask=empty)
        else:
            data[f"m{j:03d}"] = pa.array(np.where(flags, "true", "false"), mask=empty)
    table = pa.table(data)
    tmp = path.with_name(path.name + ".tmp")
    if path.suffix == ".parquet":
        pq.write_table(table, tmp, row_group_size=1_000_000)
    else:
        pacsv.write_csv(table, tmp)
    tmp.replace(path)
    return {"control": int((variant == "control").sum()), "treatment": int((variant == "treatment").sum()),
            "true_cells": true_cells}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=8_000)
    parser.add_argument("--columns", type=int, default=400)
    parser.add_argument("--format", choices=("csv", "parquet"), default="csv")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--data-dir", default=os.environ.get("GUIDELAB_BENCH_DATA", "/tmp/guidelab-bench"))
    parser.add_argument("--pythonpath", default=None, help="import guidelab from this folder instead")
    parser.add_argument("--no-cli", action="store_true", help="time the count stage only")
    args = parser.parse_args(argv)

    data_dir = Path(args.data_dir)
    data_dir.mkdir(parents=True, exist_ok=True)
    path = data_dir / f"users_{args.rows}x{args.columns}.{args.format}"
    meta_path = path.with_name(path.name + ".json")
    if not path.exists() or not meta_path.exists():
        meta_path.write_text(json.dumps(make_table(path, args.rows, args.columns)))
    expected = json.loads(meta_path.read_text())
    metrics = [f"m{j:03d}" for j in range(args.columns)]
    env = dict(os.environ)
    if args.pythonpath:
        env["PYTHONPATH"] = args.pythonpath
    print(f"# analyze benchmark: {args.rows:,} rows x {args.columns} boolean columns ({args.format}), "
          f"{os.cpu_count()} CPUs, median of {args.repeat}; load average before: {load_average()}")
    print(f"# guidelab from {args.pythonpath or 'the installed package'}")

    stage, runs = median_runs([sys.executable, "-c", COUNT_STAGE, str(path), ",".join(metrics)], args.repeat, env)
    inner = [json.loads(r.stdout[r.stdout.rindex('{"wall"'):].splitlines()[0]) for r in runs]  # after any progress bar
    ok = all(got["users"] == {"control": expected["control"], "treatment": expected["treatment"]}
             and got["successes"] == expected["true_cells"] for got in inner)
    print(f"count stage (user_table_counts, in a fresh process after imports): "
          f"wall {statistics.median(x['wall'] for x in inner):.2f} s, CPU {statistics.median(x['cpu'] for x in inner):.2f} s; "
          f"that process: peak RSS {stage.peak_mb:,.0f} MB; counts {'as written' if ok else 'WRONG'}")
    if not args.no_cli:
        cmd = [sys.executable, "-m", "guidelab.cli", "analyze", str(path), "--variant", "variant",
               "--control", "control", "--json"]
        for m in metrics:
            cmd += ["--metric", m]
        cli, _ = median_runs(cmd, args.repeat, env)
        print(f"guidelab analyze (whole process): wall {cli.wall_s:.2f} s, CPU {cli.cpu_s:.2f} s, "
              f"peak RSS {cli.peak_mb:,.0f} MB")
    print(f"# load average after: {load_average()}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
