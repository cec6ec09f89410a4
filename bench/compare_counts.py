"""Check that two versions of guidelab count the same: every sufficient statistic, curve, life
table, daily and segment count, funnel, stickiness row, survey score, data check and row-ledger
entry, on one spec and data directory.

Runs this file once per code tree (``--before`` is a folder holding a ``guidelab`` package, put
first on ``PYTHONPATH``; the other run uses the installed one) and compares the results as text:

    git archive main lib notebooks | tar -x -C /tmp/before && ln -s /tmp/before/lib /tmp/before-pkg/guidelab
    .venv/bin/python bench/compare_counts.py experiments/onboarding-tour-vs-checklist.yaml \\
        /work/bench-data/onboarding-100k --before /tmp/before-pkg
"""
from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

TODAY = dt.date(2026, 11, 30)


def dump(spec_path: str, data: str) -> dict[str, str]:
    from guidelab import breakdowns, metrics, timeseries
    from guidelab.events import open_event_data
    from guidelab.experiment import load_experiment

    spec = load_experiment(spec_path)
    ed = open_event_data(data, data_timezone=spec.data_timezone)
    try:
        c = metrics.compute_counts(ed, spec, None, TODAY)
        out = {"counts": repr(c), "curves": repr(timeseries.retention_curve_counts(ed, spec, c.as_of, 30)),
               "life": repr(timeseries.goal_life_counts(ed, spec))}
        for mdef, _ in spec.metric_defs():
            if mdef.kind != "proportion":
                continue
            out["daily " + mdef.name] = repr(breakdowns.daily_counts(ed, spec, mdef))
            for a in sorted({*spec.segments, "platform", "new_user"}):
                seg = breakdowns.segment_counts(ed, spec, mdef, a)  # arms in a fixed order: a dict's order is not a count
                out[f"segment {a} {mdef.name}"] = repr(seg and {k: dict(sorted(v.items())) for k, v in seg.items()})
        out["funnels"] = repr(breakdowns.funnel_counts(ed, spec, c.as_of))
        out["stickiness"] = repr(breakdowns.stickiness_counts(ed, spec, c.as_of))
        out["scores"] = repr(breakdowns.score_counts(ed, spec, c.as_of))
    finally:
        ed.close()
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("spec")
    ap.add_argument("data")
    ap.add_argument("--before", help="folder with the other version's guidelab package")
    ap.add_argument("--dump", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.dump:
        Path(args.dump).write_text(json.dumps(dump(args.spec, args.data)))
        return
    with tempfile.TemporaryDirectory() as tmp:
        results = []
        for name, path in (("before", args.before), ("after", None)):
            env = dict(os.environ)
            if path:
                env["PYTHONPATH"] = path + os.pathsep + env.get("PYTHONPATH", "")
            out = Path(tmp) / f"{name}.json"
            subprocess.run([sys.executable, __file__, args.spec, args.data, "--dump", str(out)], env=env, check=True)
            results.append(json.loads(out.read_text()))
    before, after = results
    differ = [k for k in sorted(set(before) | set(after)) if before.get(k) != after.get(k)]
    for k in differ:
        print(f"DIFFERS: {k}\n  before: {before.get(k, '')[:400]}\n  after:  {after.get(k, '')[:400]}")
    print(f"{len(before)} results compared: " + ("identical" if not differ else f"{len(differ)} differ"))
    sys.exit(1 if differ else 0)


if __name__ == "__main__":
    main()
