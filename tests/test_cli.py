"""The guidelab command: exit codes, messages, and the files it writes."""
from __future__ import annotations

import json
import subprocess
import sys

import pyarrow.parquet as pq

from guidelab.abtest import assign
from guidelab.cli import main


def test_validate_examples_ok(root, capsys):
    assert main(["validate", str(root / "experiments")]) == 0
    assert "ok" in capsys.readouterr().out


def test_validate_notes_a_cap_for_a_metric_the_spec_does_not_use(tmp_path, root, capsys):
    text = (root / "experiments/onboarding-tour-vs-checklist.yaml").read_text(encoding="utf-8")
    assert "    sessions_d7: {quantile: 0.99}\n" in text
    spec = tmp_path / "onboarding-tour-vs-checklist.yaml"
    spec.write_text(text.replace("    sessions_d7: {quantile: 0.99}\n",
                                 "    sessions_d7: {quantile: 0.99}\n    sessions_d14: {value: 40}\n"), encoding="utf-8")
    assert main(["validate", str(spec)]) == 0  # accepted, and pointed out
    out = capsys.readouterr().out
    assert "note" in out and "sessions_d14 is not among this spec's metrics" in out and "sessions_d7 " not in out


def test_validate_bad_file_exits_2_with_field_and_line(tmp_path, capsys):
    p = tmp_path / "bad.yaml"
    p.write_text("id: bad\ntype: popup\nsteps: []\n", encoding="utf-8")
    assert main(["validate", str(p)]) == 2
    err = capsys.readouterr().err
    assert "bad.yaml:2" in err and "type" in err


def test_assign_writes_ids_variants_and_hashes(tmp_path, root, onboarding_spec):
    users = tmp_path / "users.csv"
    ids = ["00123", "ユーザー1", "user🎉", "u-42"] + [f"u{i}" for i in range(200)]
    users.write_text("user_id\n" + "\n".join(ids) + "\n", encoding="utf-8")
    out = tmp_path / "assigned.parquet"
    assert main(["assign", str(root / "experiments/onboarding-tour-vs-checklist.yaml"), "--users", str(users),
                 "--out", str(out)]) == 0
    assert (tmp_path / "onboarding-tour-vs-checklist.assignment-log" / "part-000001.parquet").is_file()  # the launch log, by default
    rows = pq.read_table(out).to_pylist()
    assert [r["user_id"] for r in rows] == ids  # order and leading zeros kept
    from guidelab.programme import find_programme, in_holdout

    programme = find_programme(root / "experiments")  # declared beside the spec: its holdout applies
    for r in rows:
        a = assign(onboarding_spec, r["user_id"], programme=programme)
        assert (r["variant"], r["hash_value"], r["experiment"]) == (a.variant, a.hash_value, onboarding_spec.id)
        assert r["programme_holdout"] == in_holdout(programme, r["user_id"])
    assert any(r["programme_holdout"] for r in rows) and not all(r["programme_holdout"] for r in rows)


def test_simulate_then_analyze_json(tmp_path, root, capsys):
    spec = root / "experiments/maintenance-banner-copy.yaml"
    assert main(["simulate", str(spec), "--users", "400", "--days", "3", "--out", str(tmp_path / "d"), "--seed", "1"]) == 0
    table = tmp_path / "per_user.csv"
    table.write_text("variant,converted\n" + "\n".join(
        f"{'A' if i % 2 else 'B'},{'true' if i % 3 == 0 else 'false'}" for i in range(300)) + "\n", encoding="utf-8")
    capsys.readouterr()
    assert main(["analyze", str(table), "--variant", "variant", "--control", "A", "--metric", "converted", "--json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert set(doc) >= {"experiment", "as_of", "decision", "srm", "metrics"}
    assert doc["decision"]["verdict"] in {"KEEP", "KILL", "CONTINUE", "INVESTIGATE"}
    row = doc["metrics"][0]
    for key in ("metric", "variant", "control", "n", "n_control", "successes", "successes_control", "rate",
                "rate_control", "abs_diff", "abs_ci", "rel_lift", "rel_ci", "p_value", "p_value_adjusted"):
        assert key in row
    assert 0 <= row["rate"] <= 1 and len(row["abs_ci"]) == 2


def test_analyze_bad_input_exits_2_without_traceback(tmp_path):
    p = tmp_path / "t.csv"
    p.write_text("v,c\na,1\n", encoding="utf-8")
    proc = subprocess.run([sys.executable, "-m", "guidelab.cli", "analyze", str(p), "--variant", "v", "--control", "a",
                           "--metric", "nope"], capture_output=True, text=True)
    assert proc.returncode == 2
    assert "Traceback" not in proc.stderr and "nope" in proc.stderr


def test_launch_commands(tmp_path, root, capsys):
    """eligible, export, preview, assign --log and namespace checks, through the command line."""
    banner = (root / "experiments/maintenance-banner-copy.yaml").read_text(encoding="utf-8")
    for name, rng in (("ns-a", "[0, 0.6]"), ("ns-b", "[0.5, 1]")):
        (tmp_path / f"{name}.yaml").write_text(
            banner.replace("id: maintenance-banner-copy", f"id: {name}")
            .replace("control: generic", f"control: generic\nnamespace: {{id: banners, range: {rng}}}"), encoding="utf-8")
    assert main(["validate", str(tmp_path / "ns-a.yaml"), str(tmp_path / "ns-b.yaml")]) == 2
    assert "overlaps" in capsys.readouterr().err
    spec = str(root / "experiments/onboarding-tour-vs-checklist.yaml")
    assert main(["eligible", spec, "--user", str(root / "tests/fixtures/eligibility/user.json"),
                 "--now", "2026-10-05T10:00:00+09:00"]) == 0
    assert "ELIGIBLE" in capsys.readouterr().out
    assert main(["export", spec, "--out", str(tmp_path / "export")]) == 0
    assert json.loads((tmp_path / "export/onboarding-tour-vs-checklist/growthbook.json").read_text())["features"]
    assert main(["preview", spec, "--out", str(tmp_path)]) == 0
    assert "ようこそ" in (tmp_path / "onboarding-tour-vs-checklist.preview.html").read_text(encoding="utf-8")
    users = tmp_path / "users.csv"
    users.write_text("user_id\n" + "\n".join(f"u{i}" for i in range(50)) + "\n", encoding="utf-8")
    log = tmp_path / "assignments.log.csv"
    for _ in range(2):
        assert main(["assign", spec, "--users", str(users), "--out", str(tmp_path / "a.csv"), "--log", str(log)]) == 0
    from guidelab.programme import find_programme, in_holdout

    held = sum(in_holdout(find_programme(root / "experiments"), f"u{i}") for i in range(50))
    # header + each user once, but the programme holdout's users, who enter no experiment
    assert len(log.read_text(encoding="utf-8").splitlines()) == 1 + 50 - held


def test_assign_by_account_reads_the_unit_column(tmp_path, root, capsys):
    from guidelab.experiment import load_experiment

    spec_path = root / "experiments/b2b-onboarding-checklist.yaml"
    spec = load_experiment(spec_path)
    users = tmp_path / "users.csv"
    rows = [(f"u{i}", "" if i % 40 == 0 else f"00{i % 37}") for i in range(300)]
    users.write_text("user_id,account_id\n" + "".join(f"{u},{a}\n" for u, a in rows), encoding="utf-8")
    out = tmp_path / "assigned.parquet"
    for extra in (["--no-log"], []):
        assert main(["assign", str(spec_path), "--users", str(users), "--out", str(out), *extra]) == 0
        got = pq.read_table(out).to_pylist()
        assert [(r["user_id"], r["account_id"] or "") for r in got] == rows  # leading zeros kept
        for r in got:
            assert r["variant"] == assign(spec, r["user_id"], r["account_id"]).variant
            assert (r["variant"] is None) == (not r["account_id"])  # no account: not enrolled
    capsys.readouterr()
    (tmp_path / "no-account.csv").write_text("user_id\nu1\n", encoding="utf-8")
    assert main(["assign", str(spec_path), "--users", str(tmp_path / "no-account.csv"), "--out", str(out),
                 "--no-log"]) == 2
    assert "needs the column account_id" in capsys.readouterr().err


def test_analyze_cluster_prints_accounts_and_design_effect(tmp_path, capsys):
    rows = ["user_id,arm,account,converted"]
    for k in range(60):
        arm = "a" if k % 2 else "b"
        rows += [f"u{k}-{i},{arm},acc{k},{'yes' if (k * 7 + i) % 5 < 2 + k % 3 else 'no'}" for i in range(1 + k % 9)]
    p = tmp_path / "t.csv"
    p.write_text("\n".join(rows) + "\n", encoding="utf-8")
    assert main(["analyze", str(p), "--variant", "arm", "--control", "a", "--metric", "converted",
                 "--cluster", "account"]) == 0
    out = capsys.readouterr().out
    assert "randomised by account: accounts" in out and "design effect" in out
    assert main(["analyze", str(p), "--variant", "arm", "--control", "a", "--metric", "converted",
                 "--cluster", "account", "--json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["accounts"] == {"a": 30, "b": 30} and doc["metrics"][0]["clustered"]["n_accounts"] == 30
    assert main(["analyze", str(p), "--variant", "arm", "--control", "a", "--metric", "converted",
                 "--cluster", "nope"]) == 2
    assert "--cluster: column not found" in capsys.readouterr().err


def test_analyze_counts_jobs_default_to_the_cpus_and_refuse_zero(monkeypatch, capsys):
    """--jobs defaults to one process per usable CPU (at most 8); 0 or text is an argument error."""
    import pytest

    from guidelab import cli

    monkeypatch.setattr(cli.os, "sched_getaffinity", lambda pid: set(range(3)), raising=False)
    assert cli.default_jobs() == 3
    monkeypatch.setattr(cli.os, "sched_getaffinity", lambda pid: set(range(64)), raising=False)
    assert cli.default_jobs() == 8
    args = cli.build_parser().parse_args(["analyze-counts", "c.csv", "--control", "a", "--metric", "m"])
    assert args.jobs is None
    for bad in ("0", "two"):
        with pytest.raises(SystemExit):
            cli.build_parser().parse_args(["analyze-counts", "c.csv", "--control", "a", "--metric", "m", "--jobs", bad])
        assert "expected a whole number of processes" in capsys.readouterr().err


def test_assign_in_an_account_programme_reads_the_account_column(tmp_path, root, capsys):
    """A programme holding out accounts beside a spec randomised by user: `guidelab assign` reads
    account_id from the users file and holds out whole accounts (and users without one); a users
    file without the column is an error naming it."""
    import shutil

    from guidelab.experiment import load_experiment
    from guidelab.programme import find_programme

    (tmp_path / "exp" / "policies").mkdir(parents=True)
    shutil.copy(root / "experiments" / "nps-survey-timing.yaml", tmp_path / "exp")
    shutil.copy(root / "tests" / "fixtures" / "programme-account" / "policies" / "programme.yaml",
                tmp_path / "exp" / "policies")
    users = tmp_path / "users.csv"
    rows = [(f"u{i}", "" if i % 25 == 0 else f"acct-{i % 31}") for i in range(300)]
    users.write_text("user_id,account_id\n" + "\n".join(f"{u},{a}" for u, a in rows) + "\n", encoding="utf-8")
    out = tmp_path / "assigned.parquet"
    assert main(["assign", str(tmp_path / "exp" / "nps-survey-timing.yaml"), "--users", str(users), "--out", str(out),
                 "--no-log"]) == 0
    got = pq.read_table(out).to_pylist()
    spec = load_experiment(tmp_path / "exp" / "nps-survey-timing.yaml")
    programme = find_programme(tmp_path / "exp")
    held_accounts = set()
    for r, (uid, acc) in zip(got, rows):
        a = assign(spec, uid, programme=programme, programme_unit_id=acc or None)
        assert (r["user_id"], r["variant"], r["account_id"] or "") == (uid, a.variant, acc)
        if r["programme_holdout"] and acc:
            held_accounts.add(acc)
        if not acc:
            assert r["programme_holdout"] and r["variant"] is None
    assert held_accounts and all(r["variant"] is None for r in got if r["account_id"] in held_accounts)
    users.write_text("user_id\nu1\n", encoding="utf-8")
    assert main(["assign", str(tmp_path / "exp" / "nps-survey-timing.yaml"), "--users", str(users), "--out", str(out),
                 "--no-log"]) != 0
    assert "holds out by account_id" in capsys.readouterr().err


def test_assign_reports_the_spec_error_before_the_users_file(tmp_path, capsys):
    """The users file is read while the spec is validated; a bad spec is still the error shown."""
    bad = tmp_path / "bad.yaml"
    bad.write_text("id: x\nvariants: 3\n", encoding="utf-8")
    assert main(["assign", str(bad), "--users", str(tmp_path / "missing.csv"), "--out", str(tmp_path / "a.csv")]) == 2
    err = capsys.readouterr().err
    assert "bad.yaml" in err and "missing.csv" not in err


def test_assign_reports_a_missing_users_file(tmp_path, root, capsys):
    spec = root / "experiments/onboarding-tour-vs-checklist.yaml"
    assert main(["assign", str(spec), "--users", str(tmp_path / "missing.csv"), "--out", str(tmp_path / "a.csv")]) == 2
    assert "missing.csv: file not found" in capsys.readouterr().err
    assert not (tmp_path / "a.csv").exists()


def test_assign_as_its_own_process_matches_the_library(tmp_path, root):
    """`guidelab assign` run as a process (no pandas, cyclic GC off, malloc tuned: only there) writes
    what main([...]) in this process writes, byte for byte."""
    users = tmp_path / "users.csv"
    users.write_text("user_id\n" + "\n".join(["00123", "ユーザー1", "user🎉"] + [f"u{i}" for i in range(3000)]) + "\n",
                     encoding="utf-8")
    spec = str(root / "experiments/onboarding-tour-vs-checklist.yaml")
    proc = subprocess.run([sys.executable, "-m", "guidelab.cli", "assign", spec, "--users", str(users),
                           "--out", str(tmp_path / "p.parquet"), "--log", str(tmp_path / "p-log")],
                          capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    assert main(["assign", spec, "--users", str(users), "--out", str(tmp_path / "m.parquet"), "--no-log"]) == 0
    assert (tmp_path / "p.parquet").read_bytes() == (tmp_path / "m.parquet").read_bytes()
    assert pq.read_table(tmp_path / "p-log").num_rows > 0
