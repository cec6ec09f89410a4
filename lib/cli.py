"""The ``guidelab`` command: thin, it parses arguments and calls the library.

Exit codes: 0 success; 1 a report notebook failed (its executed notebook is kept);
2 bad input (spec, data or arguments), with one line per problem and no traceback;
128 + the signal when stopped by one: 130 for Ctrl-C (SIGINT), and 143 for SIGTERM during
``guidelab report`` (a ``kill``, a CI timeout; its partial notebook is kept, with a one-line message).
"""
from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import signal
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from .errors import GuidelabError, SpecError, Stopped, clip


def _date(s: str) -> dt.date:
    try:
        return dt.date.fromisoformat(s)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a date YYYY-MM-DD, got {clip(s)}") from None


def _weights(s: str) -> dict[str, float]:
    try:
        pairs = [p.split("=", 1) for p in s.split(",") if p]
        return {k.strip(): float(v) for k, v in pairs}
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected weights like control=0.5,treatment=0.5, got {clip(s)}") from None


def _jobs(s: str) -> int:
    """A --jobs value: a whole number of processes, at least 1."""
    try:
        n = int(s)
    except ValueError:
        n = 0
    if n < 1:
        raise argparse.ArgumentTypeError(f"expected a whole number of processes (1 or more), got {s!r}")
    return n


def default_jobs() -> int:
    """One process per CPU this process may use (at most 8): the bulk analysis is CPU-bound."""
    try:
        cpus = len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        cpus = os.cpu_count() or 1
    return max(1, min(8, cpus))


def cmd_validate(args: argparse.Namespace) -> int:
    from .experiment import load_experiment
    from .guides import load_guide
    from .yamlio import load_yaml

    paths: list[Path] = []
    for p in map(Path, args.paths):
        paths += sorted(p.glob("*.yaml")) + sorted(p.glob("*.yml")) if p.is_dir() else [p]
    if not paths:
        print("guidelab validate: no YAML files found", file=sys.stderr)
        return 2
    bad = 0
    for path in paths:
        try:
            data, _ = load_yaml(path)
            if isinstance(data, dict) and "variants" in data:
                spec = load_experiment(path)
                print(f"ok   {path}: experiment {spec.id} ({len(spec.variants)} variants, {len(spec.guides)} guides)")
                for notice in spec.notices():
                    print(f"note {path}: {notice}")
            else:
                guide = load_guide(path)
                print(f"ok   {path}: guide {guide.id} ({guide.type})")
        except SpecError as exc:
            bad += 1
            for problem in exc.problems:
                print(f"FAIL {problem}", file=sys.stderr)
    specs = []
    for path in paths:
        try:
            data, _ = load_yaml(path)
            if isinstance(data, dict) and "variants" in data:
                specs.append((path, load_experiment(path)))
        except SpecError:
            pass
    if any(spec.namespace for _, spec in specs):
        from .namespaces import check_namespaces, namespace_report

        for problem in check_namespaces(specs):
            bad += 1
            print(f"FAIL {problem}", file=sys.stderr)
        print(namespace_report(specs))
    from .programme import PROGRAMME_FILE, check_programme_ids, load_programme

    for folder in sorted({Path(a) for a in args.paths if Path(a).is_dir()}):
        pfile = folder / PROGRAMME_FILE
        if not pfile.is_file():
            continue
        try:
            programme = load_programme(pfile)
            check_programme_ids(programme, [s for _, s in specs], pfile)
            by = f" of accounts by {programme.unit}" if programme.clustered else ""
            print(f"ok   {pfile}: programme {programme.id} (holdout {programme.holdout.share:.2%}{by}, "
                  f"seed {programme.holdout.seed!r})")
        except SpecError as exc:
            bad += 1
            for problem in exc.problems:
                print(f"FAIL {problem}", file=sys.stderr)
    return 2 if bad else 0


def cmd_assign(args: argparse.Namespace) -> int:
    from .ids import start_reading_user_ids

    # the users file is parsed (pyarrow, off the GIL) while the spec's modules are imported and
    # the spec validated; its errors still come after the spec's
    ids_read = start_reading_user_ids(Path(args.users), args.column)
    from .experiment import load_experiment
    from .launchlog import assign_and_log, default_log_path
    from .progress import Progress

    progress = Progress("guidelab assign", quiet=args.quiet)
    log = None
    if not args.no_log:
        log = args.log or str(default_log_path(args.out, load_experiment(args.spec).id))
    progress.stage(f"assigning and logging to {log}" if log else f"assigning to {args.out}")
    print(assign_and_log(args.spec, args.users, args.out, log, column=args.column, ids_read=ids_read))
    progress.done("assigned")
    return 0


def cmd_convert_log(args: argparse.Namespace) -> int:
    from .launchlog import convert_log

    print(convert_log(args.log, args.to))
    return 0


def cmd_eligible(args: argparse.Namespace) -> int:
    from .eligibility import eligible_from_cli

    text, code = eligible_from_cli(args.spec, args.user, args.now, args.policy)
    print(text)
    return code


def cmd_export(args: argparse.Namespace) -> int:
    from .export import export_from_cli

    print(export_from_cli(args.spec, args.out))
    return 0


def cmd_preview(args: argparse.Namespace) -> int:
    from .report.preview import preview_from_cli

    print(preview_from_cli(args.spec, args.out))
    return 0


def cmd_simulate(args: argparse.Namespace) -> int:
    from .experiment import load_experiment
    from .simulate import simulate

    spec = load_experiment(args.spec)
    days = args.days or ((spec.end - spec.start).days + 1 if spec.end else 28)
    from .progress import Progress

    progress = Progress("guidelab simulate", quiet=args.quiet)
    progress.stage(f"simulating {args.users:,} users over {days} days")
    s = simulate(spec, args.users, days, args.out, seed=args.seed, fmt=args.format)
    progress.done("simulated")
    files = ", ".join(f"{k} {v:,} rows" for k, v in s.files.items())
    print(f"simulated {s.assigned:,} assigned users over {s.days} days of {spec.id} -> {s.out_dir} ({files})")
    return 0


def cmd_simulate_programme(args: argparse.Namespace) -> int:
    from .experiment import load_experiment
    from .programme import check_programme_ids, find_programme, load_programme
    from .simulate import simulate_programme

    experiments = Path(args.experiments)
    pfile = Path(args.programme) if getattr(args, "programme", None) else experiments / "policies" / "programme.yaml"
    programme = load_programme(pfile) if getattr(args, "programme", None) else find_programme(experiments)
    if programme is None:
        raise GuidelabError(f"{experiments}: no programme declared (expected {pfile})")
    specs = [load_experiment(p) for p in sorted(experiments.glob("*.yaml"))]
    check_programme_ids(programme, specs, pfile)
    s = simulate_programme(programme, specs, args.users, args.out, seed=args.seed, fmt=args.format)
    files = ", ".join(f"{k} {v:,} rows" for k, v in s.files.items())
    by = f", whole accounts held out by {programme.unit}" if programme.clustered else ""
    print(f"simulated {s.users:,} users of programme {programme.id} ({s.assigned:,} reached an experiment{by}) "
          f"over {s.days} days -> {s.out_dir} ({files})")
    return 0


def cmd_analyze(args: argparse.Namespace) -> int:
    from .analysis import analyze_user_table
    from .experiment import StatisticsSpec

    statistics = StatisticsSpec(correction=args.correction, sequential=args.sequential, bayesian=not args.no_bayes)
    res = analyze_user_table(args.file, args.variant, args.control, args.metric, alpha=args.alpha, mde=args.mde,
                             weights=args.weights, statistics=statistics, guardrails=args.guardrail or (),
                             margins=dict(args.margin or []), planned_users=args.planned_users,
                             cluster=args.cluster)
    if args.json:
        print(res.to_json())
        return 0
    _print_result_text(res, args.correction, res.experiment)
    return 0


def _margins(s: str) -> tuple[str, float]:
    name, sep, value = s.partition("=")
    try:
        if not sep or not name.strip():
            raise ValueError
        return name.strip(), float(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected NAME=VALUE, the tolerated harm as a difference of rates "
                                         f"(0.01 = 1 point), got {s[:200]!r}") from None


def _print_result_text(res, correction: str, heading: str) -> None:
    from .report.words import metric_label, pct, pval, reason_text

    print(f"{heading}: {res.decision.verdict}" + (f" ({res.decision.arm})" if res.decision.arm else ""))
    for r in res.decision.reasons:
        print(f"  - {reason_text(r, 'en')}")
    shares = res.methods.get("srm_weights") or {}
    split = "/".join(f"{k} {pct(v)}" for k, v in shares.items())
    against = (f"against an assumed equal split ({split}; pass --weights if the planned split differs)"
               if res.methods.get("srm_weights_assumed") else f"against the planned split ({split})")
    print(f"SRM p = {pval(res.srm.p_value)} {against}; users: " + ", ".join(f"{k} {v:,}" for k, v in res.assigned.items()))
    if res.accounts:  # randomised by account: SRM counted accounts, every metric compared by account
        print(f"randomised by {res.methods.get('randomisation_unit', 'account')}: accounts "
              + ", ".join(f"{k} {v:,}" for k, v in res.accounts.items()) + " (the SRM check counts accounts)")
    for m in res.metrics:
        c = m.comparison
        ci = f"[{pct(c.rel_ci[0], signed=True)}, {pct(c.rel_ci[1], signed=True)}]" if c.rel_ci else "[–]"
        role = "" if m.role == "primary" else f" ({m.role})"
        print(f"  {metric_label(m.metric) + role:<24} {m.variant:>12} vs {m.control:<12} {pct(m.rate):>7} vs {pct(m.rate_control):>7}"
              f"  lift {pct(c.rel_lift, signed=True):>8} {ci:<20} p={pval(c.p_value):<8} p_adj({correction})={pval(m.p_value_adjusted)}")
        cl = m.clustered_json
        if cl is not None:
            de = "–" if cl["design_effect"] is None else f"{cl['design_effect']:.2f}"
            icc = "–" if cl["icc"] is None else f"{cl['icc']:.3f}"
            print(f"  {'':<24} by account: ICC {icc}, design effect {de}, p if users were independent "
                  f"{pval(cl['p_value_naive'])}")


def cmd_analyze_counts(args: argparse.Namespace) -> int:
    from .counts_table import CountsOptions, analyze_counts_file, group_record
    from .experiment import StatisticsSpec

    statistics = StatisticsSpec(correction=args.correction, sequential=args.sequential, bayesian=args.bayes)
    options = CountsOptions.build(args.control, args.metric, args.guardrail or (), dict(args.margin or []),
                                  args.weights, alpha=args.alpha, mde=args.mde, planned_users=args.planned_users,
                                  statistics=statistics)
    if args.jsonl:  # blocks of groups at once (guidelab.counts_bulk), in the workers with --jobs
        from .counts_bulk import bulk_json_text_parallel
        from .counts_table import read_counts_for

        for text in bulk_json_text_parallel(read_counts_for(args.file, options), options, args.jobs or default_jobs()):
            sys.stdout.write(text)
        return 0
    groups = analyze_counts_file(args.file, options, jobs=args.jobs or default_jobs())
    if args.json:
        results = list(groups)
        if len(results) != 1:
            raise GuidelabError(f"--json prints one group and {args.file} has {len(results):,} (experiment, look) "
                                "groups: use --jsonl for one JSON object per line and group")
        print(json.dumps(group_record(*results[0]), ensure_ascii=False, indent=2, allow_nan=False))
        return 0
    for _experiment, look, res in groups:
        heading = res.experiment + (f" look {look}" if look is not None else "")
        _print_result_text(res, args.correction, heading)
    return 0


def _notify(url: str, experiment: str, name: str, verdict: str, summary: str, link: str, lang: str = "en") -> None:
    """Post the verdict in the report's language; a failing webhook is a warning, the reports are already written."""
    from .report.notify import post_json, verdict_message

    res = post_json(url, verdict_message(experiment, name, verdict, summary, link, lang=lang))
    if res.ok:
        print(f"notified: {url} (HTTP {res.status})")
    else:
        print(f"guidelab: warning: notification to {url} failed ({res.error}); the report is kept", file=sys.stderr)


def _link(path: Path, base_url: str | None) -> str:
    return f"{base_url.rstrip('/')}/{path.name}" if base_url else path.resolve().as_uri()


@contextmanager
def _sigterm_stops() -> Iterator[None]:
    """While the block runs, SIGTERM raises :class:`~guidelab.errors.Stopped` in the main thread,
    as Ctrl-C raises KeyboardInterrupt, so a ``kill``, a CI job's timeout or a container stopping
    unwinds the work like Ctrl-C does (the report runner keeps its partial notebook and stops
    its kernel) instead of ending the process on the spot. Only the first SIGTERM raises; more
    while that unwinds are ignored, so the clean-up (a few seconds at most: the kernel is asked
    to shut down, then terminated) is not cut short; SIGKILL still ends the process at once.
    Nothing changes where SIGTERM is not at its default (ignored, or handled by the caller) or
    outside the main thread; the previous handler is back when the block ends.
    """
    if (threading.current_thread() is not threading.main_thread()
            or signal.getsignal(signal.SIGTERM) is not signal.SIG_DFL):
        yield
        return

    def stop(signum: int, frame: object) -> None:
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        raise Stopped(signum)

    signal.signal(signal.SIGTERM, stop)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, signal.SIG_DFL)


def cmd_report(args: argparse.Namespace) -> int:
    from .engine import engine_options_from_args
    from .progress import Progress
    from .report import ReportError, run_report

    progress = Progress("guidelab report", quiet=args.quiet)
    try:
        with _sigterm_stops():
            out = run_report(args.spec, args.data, args.out, as_of=args.as_of, lang=args.lang,
                             encoding=args.encoding, progress=progress, engine=engine_options_from_args(args))
    except ReportError as exc:
        print(f"guidelab report: FAILED: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt as exc:  # SIGTERM or Ctrl-C: the partial notebook is kept, no HTML written
        stopped = exc if isinstance(exc, Stopped) else Stopped(signal.SIGINT)
        print(f"guidelab report: STOPPED: {stopped}", file=sys.stderr)
        return stopped.exit_status
    print(f"{out.experiment}: {out.verdict}")
    print(f"notebook: {out.notebook}\njson:     {out.json}")
    print(f"report:   {out.html}")
    if args.notify:
        doc = json.loads(out.json.read_text(encoding="utf-8"))
        reasons = doc["decision"]["reasons"] if args.lang == "en" else doc["decision"].get("reasons_ja") or doc["decision"]["reasons"]
        from .experiment import load_experiment

        name = load_experiment(args.spec).display_name(args.lang)
        _notify(args.notify, out.experiment, name, out.verdict, " ".join(reasons[:1]), _link(out.html, args.base_url),
                lang=args.lang)
    return 0


def cmd_publish(args: argparse.Namespace) -> int:
    from .engine import engine_options_from_args
    from .progress import Progress
    from .report.portfolio import publish

    index, entries = publish(args.experiments, args.data_root, args.out, jobs=args.jobs, lang=args.lang,
                             progress=Progress("guidelab publish", quiet=args.quiet),
                             engine=engine_options_from_args(args))
    for e in entries:
        print(f"{'ok    ' if e.status == 'ok' else 'FAILED'} {e.experiment}: {e.verdict or e.error}")
    print(f"index:    {index}")
    if args.notify:
        from .report.portfolio import parse_langs

        lang = parse_langs(args.lang)[0]
        for e in entries:
            if e.status == "ok":
                _notify(args.notify, e.experiment, e.name, e.verdict or "", e.summary,
                        _link(Path(args.out) / (e.html or "index.html"), args.base_url), lang=lang)
    return 1 if any(e.status != "ok" for e in entries) else 0


def cmd_plan(args: argparse.Namespace) -> int:
    from .plan import plan_from_cli

    try:
        text = plan_from_cli(args.spec, args.baseline, args.daily_users, args.days, lang=args.lang, as_json=args.json,
                             icc=args.icc, mean_account_size=args.mean_account_size,
                             cv_account_size=args.cv_account_size, design_effect=args.design_effect)
    except ValueError as exc:  # a bad number: said plainly, no traceback
        raise GuidelabError(str(exc)) from None
    print(text)
    return 0


def cmd_schema(args: argparse.Namespace) -> int:
    from .schemas import SCHEMA_NAMES, schema_text, write_schemas

    if args.out:
        for path in write_schemas(args.out):
            print(path)
        return 0
    if not args.name:
        print("guidelab schema: name one of: " + ", ".join(SCHEMA_NAMES), file=sys.stderr)
        return 2
    sys.stdout.write(schema_text(args.name))
    return 0


def _add_decision_options(p: argparse.ArgumentParser, guardrail_column: str) -> None:
    """The options `analyze` and `analyze-counts` share: guardrails, margins, split, alpha, MDE, plan, method."""
    p.add_argument("--guardrail", action="append", metavar="NAME[:down]",
                   help=f"{guardrail_column}: an increase is harm (NAME:down: a decrease is harm)")
    p.add_argument("--margin", action="append", type=_margins, metavar="NAME=VALUE",
                   help="tolerated harm of a guardrail, an absolute difference of rates (0.01 = 1 point)")
    p.add_argument("--weights", type=_weights, default=None,
                   help="planned split, e.g. a=0.2,b=0.8 (default: an equal split, said in the output)")
    p.add_argument("--alpha", type=float, default=0.05)
    p.add_argument("--mde", type=float, default=0.05, help="relative minimum detectable effect (0.05 = +5%%)")
    p.add_argument("--planned-users", type=int, default=None, help="planned users per arm (fixed-horizon gating)")
    p.add_argument("--correction", choices=["holm", "bh", "none"], default="holm", help="multiple-testing correction")
    p.add_argument("--sequential", action="store_true", help="always-valid confidence sequences (peeking-safe)")


def build_parser() -> argparse.ArgumentParser:
    from .engine import add_engine_arguments

    p = argparse.ArgumentParser(prog="guidelab", description="A/B test in-app guides and decide which to keep.")
    sub = p.add_subparsers(dest="command", required=True)

    v = sub.add_parser("validate", help="validate guide and experiment YAML files (exit 0 ok, 2 invalid)")
    v.add_argument("paths", nargs="+", help="YAML files or folders of them")
    v.set_defaults(func=cmd_validate)

    a = sub.add_parser("assign", help="assign users to variants (GrowthBook hash v2)")
    a.add_argument("spec")
    a.add_argument("--users", required=True, help="CSV/Parquet with a user id column, or a text file of ids")
    a.add_argument("--column", default="user_id", help="the id column (default user_id)")
    a.add_argument("--out", required=True, help="output .csv or .parquet")
    a.add_argument("--log", help="the assignment log to append to: a folder of Parquet segments, one per run (default: "
                                 "<out dir>/<id>.assignment-log/, or <out dir>/<id>.assignment-log.csv where only that "
                                 "older CSV log exists), or a .csv or .parquet file; never duplicates a row, refuses to "
                                 "move users unless the spec's version or seed is bumped")
    a.add_argument("--no-log", action="store_true", help="only write --out, keep no log")
    a.add_argument("--quiet", action="store_true", help="no progress on stderr (shown only on a terminal)")
    a.set_defaults(func=cmd_assign)

    cl = sub.add_parser("convert-log", help="copy a .csv or .parquet assignment log into a log folder (Parquet segments)")
    cl.add_argument("log", help="the .csv or .parquet assignment log (kept as it is)")
    cl.add_argument("--to", help="the new log folder (default: the log's name without its extension, "
                                 "e.g. <id>.assignment-log, which `guidelab assign` then uses by default)")
    cl.set_defaults(func=cmd_convert_log)

    el = sub.add_parser("eligible", help="which guide and variant a user gets now, and why not otherwise")
    el.add_argument("spec")
    el.add_argument("--user", required=True, help="a JSON object, a .json file, or a .csv/.parquet table of users")
    el.add_argument("--now", help="evaluation time, ISO 8601 with offset (default: now)")
    el.add_argument("--policy", help="global throttling policy YAML")
    el.set_defaults(func=cmd_eligible)

    ex = sub.add_parser("export", help="write what a front end needs: guides per locale and GrowthBook SDK JSON")
    ex.add_argument("spec")
    ex.add_argument("--out", required=True)
    ex.set_defaults(func=cmd_export)

    pv = sub.add_parser("preview", help="a static HTML page drawing each variant's guide in ja and en")
    pv.add_argument("spec")
    pv.add_argument("--out", default="reports")
    pv.set_defaults(func=cmd_preview)

    s = sub.add_parser("simulate", help="write realistic event data with the true effects of the spec")
    s.add_argument("spec")
    s.add_argument("--users", type=int, default=10_000)
    s.add_argument("--days", type=int, default=None, help="days of traffic (default: the spec's start..end)")
    s.add_argument("--out", required=True)
    s.add_argument("--seed", type=int, default=0)
    s.add_argument("--format", choices=["parquet", "csv"], default="parquet")
    s.add_argument("--quiet", action="store_true", help="no progress on stderr (shown only on a terminal)")
    s.set_defaults(func=cmd_simulate)

    sp = sub.add_parser("simulate-programme", help="write one population's event data across every experiment of "
                        "the programme, its holdout included (docs/programme.md)")
    sp.add_argument("--experiments", default="experiments", help="the experiments folder (with policies/programme.yaml)")
    sp.add_argument("--programme", default=None, metavar="FILE",
                    help="a programme file other than <experiments>/policies/programme.yaml (e.g. one holding out "
                         "accounts: tests/fixtures/programme-account/policies/programme.yaml)")
    sp.add_argument("--users", type=int, default=20000)
    sp.add_argument("--seed", type=int, default=0)
    sp.add_argument("--format", choices=["parquet", "csv"], default="parquet")
    sp.add_argument("--out", required=True)
    sp.set_defaults(func=cmd_simulate_programme)

    z = sub.add_parser("analyze", help="analyse a one-row-per-user table of boolean metrics")
    z.add_argument("file")
    z.add_argument("--variant", required=True, help="the column holding the variant")
    z.add_argument("--control", required=True, help="the control's value in that column")
    z.add_argument("--metric", required=True, action="append", help="a boolean metric column (repeat; first = primary)")
    z.add_argument("--cluster", metavar="COLUMN", default=None,
                   help="the column naming each user's account when whole accounts were randomised: every metric "
                        "is then analysed by account (cluster-robust), the sample-ratio check counts accounts")
    _add_decision_options(z, "a boolean guardrail column")
    z.add_argument("--no-bayes", action="store_true", help="leave out the Bayesian view")
    z.add_argument("--json", action="store_true", help="print the result as JSON")
    z.set_defaults(func=cmd_analyze)

    zc = sub.add_parser("analyze-counts", help="analyse a table of per-variant counts (CSV/Parquet), per experiment and look")
    zc.add_argument("file", help="columns variant, users, one column of successes per metric; optional experiment, look")
    zc.add_argument("--control", required=True, help="the control's name in the variant column")
    zc.add_argument("--metric", required=True, action="append", help="a successes column (repeat; first = primary)")
    _add_decision_options(zc, "a guardrail successes column")
    zc.add_argument("--bayes", action="store_true", help="add the Bayesian view (slow on many groups)")
    zc.add_argument("--jobs", type=_jobs, default=None,
                    help="processes sharing the groups (same output, same order; default: one per CPU)")
    fmt = zc.add_mutually_exclusive_group()
    fmt.add_argument("--json", action="store_true", help="print the result of a single group as JSON")
    fmt.add_argument("--jsonl", action="store_true", help="one JSON object per line and (experiment, look) group")
    zc.set_defaults(func=cmd_analyze_counts)

    pl = sub.add_parser("plan", help="sample size, MDE and days to a decision (fixed-horizon and sequential)")
    pl.add_argument("spec")
    pl.add_argument("--baseline", type=float, required=True, help="the control's expected rate of the primary metric, e.g. 0.2")
    pl.add_argument("--daily-users", type=float, required=True, help="users entering the experiment per day (all arms)")
    pl.add_argument("--days", type=int, default=None, help="also: the MDE detectable in this many days")
    pl.add_argument("--icc", type=float, default=None,
                    help="randomised by account: the intra-class correlation of the primary metric (with "
                         "--mean-account-size)")
    pl.add_argument("--mean-account-size", type=float, default=None, help="randomised by account: users per account")
    pl.add_argument("--cv-account-size", type=float, default=None,
                    help="randomised by account: coefficient of variation of the account sizes (default 0)")
    pl.add_argument("--design-effect", type=float, default=None,
                    help="randomised by account: the design effect itself (instead of --icc and the sizes)")
    pl.add_argument("--lang", choices=["en", "ja"], default="en")
    pl.add_argument("--json", action="store_true")
    pl.set_defaults(func=cmd_plan)

    r = sub.add_parser("report", help="run the report notebook and write HTML, notebook and JSON")
    r.add_argument("spec")
    r.add_argument("--data", required=True, help="data directory in the contract (see data/README.md)")
    r.add_argument("--as-of", type=_date, default=None, help="last complete day of data (default: last in data)")
    r.add_argument("--lang", choices=["en", "ja"], default="en")
    r.add_argument("--out", default="reports")
    r.add_argument("--encoding", default=None, help="encoding of the CSV files, e.g. cp932 (default: detected, UTF-8 else CP932)")
    r.add_argument("--notify", metavar="URL", help="post the verdict to a Slack-compatible webhook")
    r.add_argument("--base-url", help="where reports/ is served, for links in notifications (default: file URL)")
    r.add_argument("--quiet", action="store_true", help="no progress on stderr (shown only on a terminal)")
    add_engine_arguments(r)
    r.set_defaults(func=cmd_report)

    pb = sub.add_parser("publish", help="rerun every experiment in parallel and write reports/index.html")
    pb.add_argument("--experiments", default="experiments")
    pb.add_argument("--data-root", default="data", help="data/<id>/ or data/sample/<id>/ per experiment")
    pb.add_argument("--out", default="reports")
    pb.add_argument("--jobs", type=int, default=2)
    pb.add_argument("--lang", default="en", help="en, ja, or en,ja for both: <id>.html / index.html in English, "
                                                 "<id>.ja.html / index.ja.html in Japanese; each index links every language")
    pb.add_argument("--notify", metavar="URL", help="post each verdict to a Slack-compatible webhook")
    pb.add_argument("--base-url", help="where reports/ is served, for links in notifications")
    pb.add_argument("--quiet", action="store_true", help="no progress on stderr (shown only on a terminal)")
    add_engine_arguments(pb)
    pb.set_defaults(func=cmd_publish)

    sc = sub.add_parser("schema", help="print the JSON Schema of an input or output (experiment, guide, "
                                       "throttle-policy, eligibility-input, result)")
    sc.add_argument("name", nargs="?", choices=["experiment", "guide", "throttle-policy", "eligibility-input", "result"])
    sc.add_argument("--out", help="write every schema as <name>.schema.json into this folder instead")
    sc.set_defaults(func=cmd_schema)
    return p


def _pyarrow_without_pandas() -> None:
    """Let pyarrow find no pandas in this process: its first use of any array imports pandas
    (pyarrow's pandas shim: 0.6 CPU-s on a quiet machine, 2 under load), which ``guidelab assign``
    never needs. The shim tries once and remembers, so pyarrow's own pandas conversions are off for
    the rest of the process; only the ``guidelab`` command line process does this, never a library
    caller or a test calling :func:`main` with arguments."""
    if "pandas" in sys.modules:  # already imported (pyarrow has used it, or will): nothing to save
        return
    import importlib.abc

    class _NoPandas(importlib.abc.MetaPathFinder):
        def find_spec(self, name, path, target=None):  # type: ignore[no-untyped-def]
            if name == "pandas" or name.startswith("pandas."):
                raise ModuleNotFoundError("pandas is not used by guidelab assign", name=name)
            return None

    finder = _NoPandas()
    sys.meta_path.insert(0, finder)
    try:
        import pyarrow as pa

        pa.scalar(0)
    finally:
        sys.meta_path.remove(finder)


def _keep_freed_memory() -> None:
    """glibc's malloc: blocks up to 32 MB from the heap and freed memory kept for reuse (up to 256 MB)
    rather than each large numpy temporary mapped fresh from the kernel and unmapped when freed.
    The hashing of 10M ids allocates ~600 MB of short-lived block temporaries; mapped afresh, each
    page faulted in again (100k minor faults, 0.3-0.5 CPU-s of a 10M ``guidelab assign``). Arrow
    has its own allocator. A no-op where the C library is not glibc; only the command line
    process does this (``mallopt``, M_MMAP_THRESHOLD = -3, M_TRIM_THRESHOLD = -1)."""
    import ctypes

    try:
        libc = ctypes.CDLL(None)  # the process's own symbols, the C library's among them
        mallopt = libc.mallopt
        gnu_libc_version = libc.gnu_get_libc_version  # glibc only
    except (OSError, AttributeError):
        return
    del gnu_libc_version
    mallopt(-3, 32 << 20)
    mallopt(-1, 256 << 20)


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if argv is None and args.command == "assign":
        _pyarrow_without_pandas()
        # Python's cyclic garbage collector off for this one-shot process: its full passes over the
        # imported modules' objects cost ~0.2-0.5 s of 10M ids' assignment (which makes no Python
        # object per id and no cycles to speak of; the peak RSS is the same). Memory is freed by
        # reference counting as before; only the command line process does this.
        import gc

        gc.disable()
        _keep_freed_memory()
    try:
        return args.func(args)
    except GuidelabError as exc:
        for line in str(exc).splitlines():
            print(f"guidelab {args.command}: {line}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:  # the reader stopped early (e.g. `analyze-counts --jsonl | head`)
        import os

        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0


if __name__ == "__main__":
    sys.exit(main())
