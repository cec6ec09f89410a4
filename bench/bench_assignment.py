"""Benchmark: assigning a column of user ids to variants (GrowthBook hash v2).

    .venv/bin/python bench/bench_assignment.py [--n 10000000] [--loop-n 200000]

Times ``hash_v2_batch`` + ``choose_variation_batch`` (best of ``--repeat``) on ids
"u" + zero-padded numbers, as a pyarrow array and as a Python list, with and without
~1% Japanese ids; times a per-user Python loop of ``choose_variation(hash_v2(...))``
on a subsample and extrapolates it linearly to ``--n``; checks batch == scalar on a
random 100k subsample; reports peak RSS. No assertions on timings.

``--cli`` times ``guidelab assign`` as whole processes instead (wall, CPU, peak RSS; median of
``--repeat``): on a CSV of ``--n`` ids written to ``--data-dir``, without the log (``--no-log``),
with a new log, and again on that log (every user already logged). ``--log-kind folder`` (default:
the log folder of Parquet segments) or ``csv`` (a ``.csv`` log, the format before the folder).
``--pythonpath DIR`` times another copy of the package (before/after figures; a copy from before
the log folder needs ``--log-kind csv``).
"""
from __future__ import annotations

import argparse
import os
import platform
import resource
import shutil
import sys
import time
from datetime import date
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

sys.path.insert(0, str(Path(__file__).resolve().parent))

from guidelab.hashing import bucket_ranges, choose_variation, choose_variation_batch, hash_v2, hash_v2_batch

SEED = "onboarding-tour-vs-checklist"
RANGES = bucket_ranges(3, 0.9, [0.2, 0.3, 0.5])


def _rss_mb(field: str) -> float:
    """VmRSS / VmHWM (peak) of this process in MB, from /proc (Linux)."""
    try:
        with open("/proc/self/status") as fh:
            for line in fh:
                if line.startswith(field + ":"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


_PEAK_MB = 0.0  # process-wide peak RSS, kept across resets of the kernel's mark


def _reset_peak() -> bool:
    """Reset the peak-RSS mark (Linux >= 4.0: write 5 to /proc/self/clear_refs)."""
    global _PEAK_MB
    _PEAK_MB = max(_PEAK_MB, _rss_mb("VmHWM"))
    try:
        with open("/proc/self/clear_refs", "w") as fh:
            fh.write("5")
        return True
    except OSError:
        return False


def make_ids(n: int, japanese_share: float) -> pa.Array:
    """'u' + 9-digit zero-padded numbers; ``japanese_share`` of them 'ユーザー<number>'."""
    numbers = pc.cast(pa.array(np.arange(n, dtype=np.int64)), pa.string())
    ids = pc.binary_join_element_wise(pa.scalar("u"), pc.utf8_lpad(numbers, 9, "0"), "")
    if japanese_share:
        mask = pa.array(np.random.default_rng(1).random(n) < japanese_share)
        japanese = pc.binary_join_element_wise(pa.scalar("ユーザー"), numbers, "")
        ids = pc.if_else(mask, japanese, ids)
    return ids


def time_batch(values, repeat: int) -> tuple[float, float, np.ndarray]:
    """Best wall time of hash + choose over ``repeat`` runs, the extra peak RSS (MB)."""
    best, extra = float("inf"), 0.0
    variation = np.empty(0)
    for _ in range(repeat):
        base = _rss_mb("VmRSS")
        _reset_peak()
        t0 = time.perf_counter()
        variation = choose_variation_batch(hash_v2_batch(SEED, values), RANGES)
        best = min(best, time.perf_counter() - t0)
        extra = max(extra, _rss_mb("VmHWM") - base)
        del variation
        variation = None
    variation = choose_variation_batch(hash_v2_batch(SEED, values), RANGES)
    return best, extra, variation


def time_loop(ids: list[str]) -> float:
    t0 = time.perf_counter()
    for uid in ids:
        choose_variation(hash_v2(SEED, uid), RANGES)
    return time.perf_counter() - t0


def verify(ids: pa.Array, variation: np.ndarray, k: int = 100_000) -> int:
    """Compare batch hashes and variants with the scalar functions on ``k`` random ids."""
    rng = np.random.default_rng(2)
    positions = rng.choice(len(ids), min(k, len(ids)), replace=False)
    sample = ids.take(pa.array(positions)).to_pylist()
    hashes = hash_v2_batch(SEED, ids)
    bad = 0
    for pos, uid in zip(positions.tolist(), sample):
        h = hash_v2(SEED, uid)
        bad += (hashes[pos] != h) or (variation[pos] != choose_variation(h, RANGES))
    return bad


SPEC = Path(__file__).resolve().parent.parent / "experiments" / "onboarding-tour-vs-checklist.yaml"


def cli_benchmark(n: int, repeat: int, data_dir: Path, pythonpath: str | None, log_kind: str = "folder") -> int:
    """``guidelab assign`` with and without its log, as whole processes."""
    from _process import load_average, median_runs, run_process

    data_dir.mkdir(parents=True, exist_ok=True)
    users = data_dir / f"ids_{n}.csv"
    if not users.exists():
        tmp = users.with_name(users.name + ".tmp")
        pacsv.write_csv(pa.table({"user_id": make_ids(n, 0.0)}), tmp)
        tmp.replace(users)
    env = dict(os.environ)
    if pythonpath:
        env["PYTHONPATH"] = pythonpath
    out = data_dir / "assigned.parquet"
    log = data_dir / ("assignment-log" if log_kind == "folder" else "assignment-log.csv")
    base = [sys.executable, "-m", "guidelab.cli", "assign", str(SPEC), "--users", str(users), "--out", str(out), "--quiet"]

    def no_log() -> None:
        if log.is_dir():
            shutil.rmtree(log)
        log.unlink(missing_ok=True)

    print(f"# guidelab assign, {n:,} ids (CSV), {os.cpu_count()} CPUs, median of {repeat}; "
          f"guidelab from {pythonpath or 'the installed package'}; load average before: {load_average()}")
    plain, _ = median_runs([*base, "--no-log"], repeat, env)
    logged, _ = median_runs([*base, "--log", str(log)], repeat, env, before_each=no_log)
    again = run_process([*base, "--log", str(log)], env)
    if log.is_dir():
        import pyarrow.parquet as pq

        segments = sorted(log.glob("part-*.parquet"))
        rows = sum(pq.ParquetFile(p).metadata.num_rows for p in segments)
        size = sum(p.stat().st_size for p in segments)
    else:
        with open(log, "rb") as fh:
            rows = sum(chunk.count(b"\n") for chunk in iter(lambda: fh.read(1 << 24), b"")) - 1
        size = log.stat().st_size
    print("| run | wall | CPU (user+sys) | peak RSS |")
    print("|---|---:|---:|---:|")
    for label, r in (("--no-log", plain), (f"new {log_kind} log", logged), ("again, all already logged (1 run)", again)):
        print(f"| {label} | {r.wall_s:.2f} s | {r.cpu_s:.2f} s | {r.peak_mb:,.0f} MB |")
    print(f"log: {rows:,} rows, {size / 1e6:,.0f} MB; {again.stdout.strip()[-120:]}")
    print(f"# load average after: {load_average()}")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=10_000_000, help="ids per column")
    parser.add_argument("--loop-n", type=int, default=200_000, help="ids timed in the Python loop")
    parser.add_argument("--repeat", type=int, default=3, help="best of this many runs")
    parser.add_argument("--cli", action="store_true", help="time `guidelab assign` (with and without --log) as processes")
    parser.add_argument("--data-dir", default=os.environ.get("GUIDELAB_BENCH_DATA", "/tmp/guidelab-bench"))
    parser.add_argument("--pythonpath", default=None, help="with --cli: import guidelab from this folder instead")
    parser.add_argument("--log-kind", choices=("folder", "csv"), default="folder",
                        help="with --cli: the log folder (default) or a .csv log")
    args = parser.parse_args(argv)
    n = args.n
    if args.cli:
        return cli_benchmark(n, args.repeat, Path(args.data_dir), args.pythonpath, args.log_kind)

    print(f"# assignment benchmark, {date.today()}, {os.cpu_count()} CPUs, "
          f"{platform.processor() or platform.machine()}, Python {platform.python_version()}, "
          f"numpy {np.__version__}, pyarrow {pa.__version__}")
    print(f"# n = {n:,} ids, seed {SEED!r}, ranges {RANGES}")
    rows = []
    for label, share in (("ASCII ids", 0.0), ("~1% Japanese ids", 0.01)):
        ids = make_ids(n, share)
        non_ascii = len(ids) - pc.sum(pc.string_is_ascii(ids)).as_py()
        t_arrow, mem_arrow, variation = time_batch(ids, args.repeat)
        bad = verify(ids, variation)
        id_list = ids.to_pylist()
        t_list, mem_list, variation_list = time_batch(id_list, args.repeat)
        bad += int((variation_list != variation).sum())
        loop_ids = id_list[: args.loop_n]
        t_loop = time_loop(loop_ids)
        t_loop_full = t_loop * n / len(loop_ids)
        rows.append((label, non_ascii, t_arrow, mem_arrow, t_list, mem_list, t_loop, t_loop_full, bad))
        del id_list, loop_ids, variation_list

    print()
    print(f"| ids | non-ASCII | batch from Arrow | batch from list | Python loop ({args.loop_n:,} measured) "
          f"| loop extrapolated to {n:,} | speedup (Arrow / list) | mismatches in 100k |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|")
    for label, non_ascii, ta, ma, tl, ml, tloop, tfull, bad in rows:
        print(f"| {label} | {non_ascii:,} | {ta:.3f} s (+{ma:,.0f} MB) | {tl:.3f} s (+{ml:,.0f} MB) "
              f"| {tloop:.2f} s | {tfull:.1f} s | {tfull / ta:,.0f}x / {tfull / tl:,.0f}x | {bad} |")
    print()
    print("(+MB: peak RSS above the RSS before the call, i.e. the batch path's working memory;")
    print(" Python-loop time for all ids is extrapolated linearly from the measured subsample.)")
    peak = max(_PEAK_MB, _rss_mb("VmHWM"))
    print(f"process peak RSS: {peak:,.0f} MB (includes the {n:,}-string Python list and the Arrow columns)")
    return 1 if any(r[-1] for r in rows) else 0


if __name__ == "__main__":
    sys.exit(main())
