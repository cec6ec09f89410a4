"""The row ledger: every source row is used or left out with a reason; duplicates count once."""
from __future__ import annotations

import datetime as dt
import json
import shutil
from pathlib import Path

import pytest

from guidelab.analysis import analyze_experiment
from guidelab.errors import DataError
from guidelab.events import open_event_data
from guidelab.experiment import load_experiment
from guidelab.ledger import EXAMPLE_CHARS, REASONS, LeftOut, RowLedger, TableLedger
from guidelab.metrics import compute_counts, default_as_of
from guidelab.report.words import check_text

SPEC = """\
id: ledg
hypothesis: Every row is accounted for.
start: 2026-10-01
end: 2026-10-10
timezone: Asia/Tokyo
guides:
  - id: s
    type: survey
    steps:
      - title: {ja: 質問, en: Question}
        question: {kind: nps}
variants:
  - {key: control, guide: null, weight: 0.5}
  - {key: a, guide: s, weight: 0.5}
metrics:
  primary: answered
  secondary: [clicked, clicks_per_impression, retention_d1]
"""
TODAY = dt.date(2026, 10, 20)
T = "2026-10-01T10:00:00+09:00"

ASSIGNMENTS = [  # (user, experiment, variant, assigned_at, expected reason)
    ("u1", "ledg", "control", T, None),
    ("u2", "ledg", "a", T, None),
    ("u3", "ledg", "a", T, None),
    ("u2", "ledg", "a", T, "exact_duplicate"),
    ("u3", "ledg", "a", "2026-10-02T10:00:00+09:00", "repeated_assignment"),
    ("u4", "other", "a", T, "other_experiment"),
    ("", "ledg", "a", T, "missing_key"),
    ("u5", "ledg", "a", "", "missing_time"),
    ("u6", "ledg", "zzz", T, "unknown_variant"),
    ("u7", "ledg", "a", T, "multiple_arms"),
    ("u7", "ledg", "control", T, "multiple_arms"),
    ("u8", "ledg", "a", "2026-10-25T10:00:00+09:00", "future"),
    ("u9", "ledg", "a", "2026-10-15T10:00:00+09:00", "after_analysis_date"),
]
GUIDE_EVENTS = [  # (user, guide, step, event, value, timestamp, expected reason)
    ("u2", "s", "1", "shown", "", "2026-10-01T10:00:05+09:00", None),
    ("u2", "s", "1", "shown", "", "2026-10-01T10:00:05+09:00", "exact_duplicate"),
    ("u2", "s", "1", "clicked", "", "2026-10-01T10:00:06+09:00", None),
    ("u2", "s", "1", "answered", "9", "2026-10-01T10:00:07+09:00", None),
    ("u3", "s", "1", "shown", "", "2026-10-01T10:00:05+09:00", None),
    ("u3", "s", "1", "answered", "11", "2026-10-01T10:00:07+09:00", "out_of_range"),
    ("u3", "s", "1", "answered", "7.5", "2026-10-01T10:00:08+09:00", "out_of_range"),
    ("u3", "s", "0", "shown", "", "2026-10-01T10:00:09+09:00", "out_of_range"),
    ("u2", "other-guide", "1", "shown", "", "2026-10-01T10:00:05+09:00", "other_guide"),
    ("u99", "s", "1", "shown", "", "2026-10-01T10:00:05+09:00", "not_in_experiment"),
    ("", "s", "1", "shown", "", "2026-10-01T10:00:05+09:00", "missing_key"),
    ("u2", "s", "1", "opened", "", "", "missing_time"),
    ("u2", "s", "1", "shown", "", "2026-09-30T10:00:00+09:00", "before_assignment"),
    ("u2", "s", "1", "shown", "", "2026-10-13T10:00:00+09:00", "after_analysis_date"),
    ("u2", "s", "1", "shown", "", "2026-10-25T10:00:00+09:00", "future"),
    ("u2", "s", "1", "wiggled", "", "2026-10-01T10:00:09+09:00", "unknown_event"),
]
ACTIVITY = [  # (user, timestamp, expected reason)
    ("u1", "2026-10-02T09:00:00+09:00", None),
    ("u1", "2026-10-02T09:00:00+09:00", "exact_duplicate"),
    ("u2", "2026-10-02T09:00:00+09:00", None),
    ("u99", "2026-10-02T09:00:00+09:00", "not_in_experiment"),
    ("", "2026-10-02T09:00:00+09:00", "missing_key"),
    ("u1", "", "missing_time"),
    ("u1", "2026-09-20T09:00:00+09:00", "before_assignment"),
    ("u1", "2026-10-14T09:00:00+09:00", "after_analysis_date"),
    ("u1", "2026-10-26T09:00:00+09:00", "future"),
]
USERS = [  # (user, platform, expected reason)
    ("u1", "ios", None),
    ("u1", "ios", "exact_duplicate"),
    ("u2", "web", None),
    ("u2", "ios", "duplicate_user"),
    ("u99", "web", "not_in_experiment"),
    ("", "web", "missing_key"),
]


def _write(path, header, rows):
    path.write_text(header + "\n" + "".join(",".join(r) + "\n" for r in rows), encoding="utf-8")


@pytest.fixture
def spec(tmp_path):
    p = tmp_path / "ledg.yaml"
    p.write_text(SPEC, encoding="utf-8")
    return load_experiment(p)


@pytest.fixture
def export(tmp_path):
    d = tmp_path / "export"
    d.mkdir()
    _write(d / "assignments.csv", "user_id,experiment,variant,assigned_at", [r[:-1] for r in ASSIGNMENTS])
    _write(d / "guide_events.csv", "user_id,guide_id,step,event,value,timestamp", [r[:-1] for r in GUIDE_EVENTS])
    _write(d / "activity.csv", "user_id,timestamp", [r[:-1] for r in ACTIVITY])
    _write(d / "users.csv", "user_id,platform", [r[:-1] for r in USERS])
    return d


def _expected(rows):
    out: dict[str, int] = {}
    for r in rows:
        if r[-1] is not None:
            out[r[-1]] = out.get(r[-1], 0) + 1
    return out


def assert_invariant(ledger: RowLedger) -> None:
    for tl in ledger.tables:
        assert tl.rows_read == tl.rows_used + sum(x.rows for x in tl.left_out), tl.table
        assert all(x.rows > 0 and x.reason in REASONS for x in tl.left_out)
        assert all(x.example is None or len(x.example) <= EXAMPLE_CHARS for x in tl.left_out)


def _source_rows(ed, table):
    return ed.con.execute(f"SELECT count(*) FROM {table}").fetchone()[0]


def test_each_reason_on_a_handmade_export(spec, export):
    ed = open_event_data(export)
    try:
        counts = compute_counts(ed, spec, today=TODAY)
        source = {t: _source_rows(ed, t) for t in ("assignments", "guide_events", "activity", "users")}
    finally:
        ed.close()
    ledger = counts.ledger
    assert counts.as_of == dt.date(2026, 10, 11)  # spec end + 1 day (retention_d1), before today
    assert_invariant(ledger)
    for name, rows in (("assignments", ASSIGNMENTS), ("guide_events", GUIDE_EVENTS), ("activity", ACTIVITY),
                       ("users", USERS)):
        tl = ledger.table(name)
        assert tl.rows_read == len(rows) == source[name]
        assert tl.rows_used == sum(1 for r in rows if r[-1] is None)
        assert {x.reason: x.rows for x in tl.left_out} == _expected(rows), name
    # examples show the row
    dup = next(x for x in ledger.table("guide_events").left_out if x.reason == "exact_duplicate")
    assert dup.example.startswith("user_id=u2, guide_id=s, step=1, event=shown")
    # metrics read only the used rows: u2 shown once and clicked once; u3's only answer is out of range
    by = {m.metric.name: m.by_variant for m in counts.metrics}
    assert by["answered"]["a"].successes == 1 and by["answered"]["a"].n == 2
    assert by["clicks_per_impression"]["a"].sum_x == 1 and by["clicks_per_impression"]["a"].sum_y == 2
    assert counts.assigned == {"control": 1, "a": 2}
    checks = {(c.code, dict(c.params).get("table")): c for c in counts.checks}
    assert checks[("rows_exact_duplicate", "guide_events")].severity == "fail"  # 1 of 14 rows > 1%
    assert checks[("rows_future", "activity")].severity == "fail"
    assert checks[("rows_after_analysis_date", "activity")].severity == "warn"
    assert checks[("rows_out_of_range", "guide_events")].severity == "fail"
    assert ("rows_before_assignment", "activity") not in checks  # activity before assignment is normal


def test_ledger_in_result_json_and_report(spec, export):
    from guidelab.report import render
    from guidelab.report.render import ReportContext

    res = analyze_experiment(spec, export, today=TODAY)
    d = json.loads(res.to_json())["ledger"]
    assert [t["table"] for t in d["tables"]] == ["assignments", "guide_events", "activity", "users"]
    assert set(d["tables"][0]) == {"table", "source", "rows_read", "rows_used", "left_out"}
    assert set(d["tables"][0]["left_out"][0]) == {"reason", "rows", "example"}
    assert res.decision.verdict == "INVESTIGATE"
    for lang, words in (("en", "Rows read and used"), ("ja", "読み込んだ行と使用した行")):
        html = render.data_quality(ReportContext(spec, res, lang))
        assert words in html and "exact_duplicate" in html and "u99" in html


def test_table_ledger_refuses_a_broken_invariant():
    with pytest.raises(ValueError):
        TableLedger("activity", "x", 10, 5, (LeftOut("future", 4, None),))


def test_duplicated_export_gives_the_clean_numbers(tmp_path, root, banner_spec):
    clean = root / "data" / "sample" / "maintenance-banner-copy"
    dup = tmp_path / "dup"
    shutil.copytree(clean, dup)
    added = {}
    for name in ("guide_events", "activity"):
        lines = (clean / f"{name}.csv").read_text(encoding="utf-8").splitlines(keepends=True)
        extra = lines[1::10]  # every tenth row twice
        (dup / f"{name}.csv").write_text("".join(lines + extra), encoding="utf-8")
        added[name] = len(extra)
    a = analyze_experiment(banner_spec, clean)
    b = analyze_experiment(banner_spec, dup)
    assert b.as_of == a.as_of
    for ma, mb in zip(a.metrics, b.metrics):
        assert (ma.metric, ma.variant, ma.value, ma.value_control) == (mb.metric, mb.variant, mb.value, mb.value_control)
    cpi = [m for m in b.metrics if m.metric == "clicks_per_impression"]
    assert all(m.value == n.value for m, n in zip(cpi, [m for m in a.metrics if m.metric == "clicks_per_impression"]))
    assert_invariant(b.ledger)
    for name, n in added.items():
        tl = b.ledger.table(name)
        # the clean export has no copy (no hash repeats: no copies table, every row once)
        assert a.ledger.table(name).rows("exact_duplicate") == 0
        assert tl.rows("exact_duplicate") == n
        assert tl.rows_used == a.ledger.table(name).rows_used
    assert b.decision.verdict == "INVESTIGATE"
    assert any(c.code == "rows_exact_duplicate" and c.severity == "fail" for c in b.data_checks)


def _record_statements(monkeypatch) -> list[str]:
    """The SQL statements the DuckDB engine executes from now on, in order."""
    from guidelab import engine

    executed: list[str] = []
    execute = engine.DuckDBEngine.execute

    def recorded(self, sql, params=None):
        executed.append(sql)
        return execute(self, sql, params)

    monkeypatch.setattr(engine.DuckDBEngine, "execute", recorded)
    return executed


def test_activity_rows_as_a_table_or_a_view_give_the_same_analysis(tmp_path, root, banner_spec, monkeypatch):
    """Small data runs the per-row activity stage as a view through the aggregate; large data (over
    SMALL_DATA_ROWS source rows) materialises it first. Both give the same ledger and metrics, on an
    export with exact copies (the rows the per-row stage takes apart)."""
    from guidelab import ledger

    clean = root / "data" / "sample" / "maintenance-banner-copy"
    dup = tmp_path / "dup"
    shutil.copytree(clean, dup)
    lines = (clean / "activity.csv").read_text(encoding="utf-8").splitlines(keepends=True)
    (dup / "activity.csv").write_text("".join(lines + lines[1::7] + lines[1::21]), encoding="utf-8")
    executed = _record_statements(monkeypatch)
    results, kinds = [], []
    for small_rows in (10**9, 0):  # a view, then a table
        monkeypatch.setattr(ledger, "SMALL_DATA_ROWS", small_rows)
        executed.clear()
        results.append(analyze_experiment(banner_spec, dup))
        kinds.append([k for k in ("VIEW", "TABLE") if any(f"TEMP {k} ledger_activity_rows AS" in q for q in executed)])
    assert kinds == [["VIEW"], ["TABLE"]]
    a, b = results
    assert [(m.metric, m.variant, m.value, m.value_control) for m in a.metrics] == \
        [(m.metric, m.variant, m.value, m.value_control) for m in b.metrics]
    assert a.ledger == b.ledger and a.ledger.table("activity").rows("exact_duplicate") > 0


@pytest.mark.parametrize("example", ["maintenance-banner-copy", "b2b-onboarding-checklist", "nps-survey-timing",
                                     "onboarding-tour-vs-checklist"])
def test_per_user_reductions_in_user_partitions_give_the_same_analysis(tmp_path, root, monkeypatch, example):
    """Large data builds the guide events per user and exp_users in user partitions, one
    statement each. Forced on the examples (with copied rows, so that
    reasons left out fall in several partitions), every partition count gives the analysis of one
    statement: the same metrics, counts, ledger and checks."""
    import duckdb

    from guidelab import ledger

    clean = root / "data" / "sample" / example
    data = tmp_path / "data"
    shutil.copytree(clean, data)
    con = duckdb.connect()

    def read(table: str) -> tuple[Path, str]:
        src = next(clean.glob(f"{table}.*"))
        return src, "read_csv(?, all_varchar=true)" if src.suffix == ".csv" else "read_parquet(?)"

    for table in ("activity", "guide_events"):  # a row in 8 present twice
        src, reader = read(table)
        con.execute(f"CREATE OR REPLACE TABLE t AS SELECT * FROM {reader}", [str(src)])
        fmt = "(FORMAT csv, HEADER)" if src.suffix == ".csv" else "(FORMAT parquet)"
        con.execute(f"COPY (SELECT * FROM t UNION ALL SELECT * FROM t WHERE hash(COLUMNS(*)) % 8 = 0) "
                    f"TO '{data / src.name}' {fmt}")
    src, reader = read("assignments")
    users = con.execute(f"SELECT count(*) FROM {reader}", [str(src)]).fetchone()[0]
    con.close()
    spec = load_experiment(root / "experiments" / f"{example}.yaml")
    executed = _record_statements(monkeypatch)
    monkeypatch.setattr(ledger, "SMALL_DATA_ROWS", 0)  # the large-data path: a table of activity rows
    results, inserts = [], []
    for per_part in (10**9, users // 3, 1):  # 1 partition, 4, 64 (the cap)
        monkeypatch.setattr(ledger, "USERS_PER_PARTITION", per_part)
        executed.clear()
        results.append(analyze_experiment(spec, data, as_of=dt.date(2026, 11, 30), today=dt.date(2026, 11, 30)).to_dict())
        inserts.append({t: sum(1 for q in executed if f"INSERT INTO {t}" in q)
                        for t in ("ledger_guide_user", "exp_users")})
    assert inserts == [{"ledger_guide_user": 0, "exp_users": 0}, {"ledger_guide_user": 3, "exp_users": 3},
                       {"ledger_guide_user": 63, "exp_users": 63}]
    assert results[1] == results[0] and results[2] == results[0]
    assert results[0]["ledger"]["tables"]


def test_csv_tables_read_from_parquet_copies_give_the_same_analysis(tmp_path, root, banner_spec, monkeypatch):
    """Large CSV tables are read once into Parquet copies (events.CSV_COPY_BYTES): the analysis of
    an export with exact copies is the same, ledger included, as over the CSV files."""
    from guidelab import events

    clean = root / "data" / "sample" / "maintenance-banner-copy"
    dup = tmp_path / "dup"
    shutil.copytree(clean, dup)
    lines = (clean / "activity.csv").read_text(encoding="utf-8").splitlines(keepends=True)
    (dup / "activity.csv").write_text("".join(lines + lines[1::9]), encoding="utf-8")
    monkeypatch.setenv("GUIDELAB_DUCKDB_TEMP_DIR", str(tmp_path / "spill"))
    results = []
    for copy_rows in (10**9, 0):  # views over the CSV files, then Parquet copies
        monkeypatch.setattr(events, "CSV_COPY_BYTES", copy_rows)
        results.append(analyze_experiment(banner_spec, dup))
    a, b = results
    assert a.to_dict() == b.to_dict()
    assert a.ledger.table("activity").rows("exact_duplicate") > 0
    assert not list((tmp_path / "spill").glob("guidelab-csv-*"))


def test_default_as_of_never_passes_today_or_the_window(spec, export):
    ed = open_event_data(export)
    try:
        late = spec.model_copy(update={"end": None})
        assert default_as_of(ed, spec, today=dt.date(2026, 10, 14)) == dt.date(2026, 10, 11)  # end + 1 day (D1)
        # the last day with data up to today: rows dated after today never push it
        assert default_as_of(ed, late, today=dt.date(2026, 10, 14)) == dt.date(2026, 10, 14)
        assert default_as_of(ed, late, today=dt.date(2026, 10, 5)) == dt.date(2026, 10, 2)
        assert default_as_of(ed, late, today=TODAY) == dt.date(2026, 10, 15)
    finally:
        ed.close()


def test_a_guide_never_shown_is_investigate(spec, export):
    (export / "guide_events.csv").write_text("user_id,guide_id,step,event,value,timestamp\n", encoding="utf-8")
    res = analyze_experiment(spec, export, today=TODAY)
    assert res.decision.verdict == "INVESTIGATE"
    check = next(c for c in res.data_checks if c.code == "guide_never_shown")
    assert not check.passed and check.severity == "fail"
    assert "never shown" in check_text(check)[1]


def test_no_assignments_for_the_experiment_is_an_error(spec, export):
    _write(export / "assignments.csv", "user_id,experiment,variant,assigned_at", [("u1", "other", "a", T)])
    with pytest.raises(DataError, match="no assignment rows for experiment 'ledg'.*'other'"):
        analyze_experiment(spec, export, today=TODAY)


def test_a_segment_missing_from_users_is_an_error_naming_the_column(spec, export):
    seg = spec.model_copy(update={"segments": ["plan"]})
    with pytest.raises(DataError, match="plan.*column not found"):
        analyze_experiment(seg, export, today=TODAY)


TOUR_SPEC = """\
id: tourx
hypothesis: Negative durations are counted, not silently dropped.
start: 2026-10-01
timezone: Asia/Tokyo
guides:
  - id: t
    type: tour
    steps:
      - {id: one, title: {ja: 一, en: One}, placement: center}
      - {id: two, title: {ja: 二, en: Two}, placement: center}
variants:
  - {key: control, guide: null, weight: 0.5}
  - {key: a, guide: t, weight: 0.5}
metrics:
  primary: completed
"""


def test_completed_before_shown_is_counted_and_shown(tmp_path):
    from guidelab.report import render
    from guidelab.report.render import ReportContext

    p = tmp_path / "tourx.yaml"
    p.write_text(TOUR_SPEC, encoding="utf-8")
    spec = load_experiment(p)
    d = tmp_path / "export"
    d.mkdir()
    _write(d / "assignments.csv", "user_id,experiment,variant,assigned_at",
           [("u1", "tourx", "control", T), ("u2", "tourx", "a", T), ("u3", "tourx", "a", T)])
    _write(d / "guide_events.csv", "user_id,guide_id,step,event,timestamp", [
        ("u2", "t", "1", "shown", "2026-10-01T10:00:05+09:00"), ("u2", "t", "2", "completed", "2026-10-01T10:00:03+09:00"),
        ("u3", "t", "1", "shown", "2026-10-01T10:00:05+09:00"), ("u3", "t", "2", "completed", "2026-10-01T10:01:05+09:00")])
    _write(d / "activity.csv", "user_id,timestamp", [("u1", "2026-10-02T09:00:00+09:00")])
    res = analyze_experiment(spec, d, today=TODAY)
    timing = res.analyses["time_to_complete"]["a"]
    assert timing["n"] == 1 and timing["completed_before_shown"] == 1 and timing["mean_seconds"] == 60
    html = render.deeper_analyses(ReportContext(spec, res, "en"))
    assert "a: 1 users have a &#x27;completed&#x27; event before their first &#x27;shown&#x27;" in html


def test_user_table_ledger_counts_rows_without_a_variant(tmp_path):
    from guidelab.analysis import analyze_user_table

    p = tmp_path / "t.csv"
    p.write_text("g,conv\n" + "".join(f"{'a' if i % 2 else 'b'},{i % 3 == 0}\n" for i in range(40)) + ",True\n,False\n",
                 encoding="utf-8")
    res = analyze_user_table(p, "g", "a", ["conv"])
    tl = res.ledger.table("user_table")
    assert (tl.rows_read, tl.rows_used, tl.left_out) == (42, 40, (LeftOut("missing_key", 2, None),))
    assert json.loads(res.to_json())["ledger"]["tables"][0]["rows_read"] == 42


def test_segments_without_a_users_table_are_a_warning(spec, export):
    (export / "users.csv").unlink()
    seg = spec.model_copy(update={"segments": ["plan"]})
    res = analyze_experiment(seg, export, today=TODAY)
    check = next(c for c in res.data_checks if c.code == "segments_unavailable")
    assert not check.passed and check.severity == "warn" and "plan" in check_text(check)[1]
    assert res.ledger.table("users") is None


def test_local_day_sql_equals_icu_across_dst(tmp_path, monkeypatch):
    """Local days by the offset of each stretch equal ICU's per-row answer, around DST changes
    (New York, Lord Howe's 30-minute shift), in a 45-minute zone, and when too many stretches
    make it fall back to ICU per row."""
    import numpy as np
    import pyarrow as pa
    import pyarrow.parquet as pq

    from guidelab import ledger

    rng = np.random.default_rng(5)
    transitions = [dt.datetime(2026, 3, 8, 7, tzinfo=dt.timezone.utc), dt.datetime(2026, 11, 1, 6, tzinfo=dt.timezone.utc),
                   dt.datetime(2026, 4, 4, 15, tzinfo=dt.timezone.utc), dt.datetime(2026, 10, 3, 15, 30, tzinfo=dt.timezone.utc)]
    stamps = [t + dt.timedelta(seconds=int(s)) for t in transitions for s in rng.integers(-2 * 86400, 2 * 86400, 500)]
    stamps += [t + dt.timedelta(microseconds=d) for t in transitions for d in (-1, 0, 1)]
    stamps += [dt.datetime(2026, 1, 1, tzinfo=dt.timezone.utc) + dt.timedelta(seconds=int(s))
               for s in rng.integers(0, 365 * 86400, 2000)] + [None]
    pq.write_table(pa.table({"user_id": [f"u{i}" for i in range(len(stamps))],
                             "timestamp": pa.array(stamps, pa.timestamp("us", tz="UTC"))}), tmp_path / "activity.parquet")
    ed = open_event_data(tmp_path, tables=("activity",))
    try:
        for runs in (ledger.MAX_OFFSET_RUNS, 1):
            monkeypatch.setattr(ledger, "MAX_OFFSET_RUNS", runs)
            for zone in ("America/New_York", "Australia/Lord_Howe", "Asia/Kathmandu", "Asia/Tokyo"):
                expr = ledger.local_day_sql(ed, "activity", "timestamp", zone)
                dst = zone in ("America/New_York", "Australia/Lord_Howe")  # two offset changes in the year
                assert ("timezone(" in expr) == (dst and runs == 1), (zone, runs)
                bad, total = ed.con.execute(
                    f"SELECT count(*) FILTER (WHERE {expr} IS DISTINCT FROM CAST(timezone('{zone}', timestamp) AS DATE)), "
                    "count(*) FROM activity").fetchone()
                assert (bad, total) == (0, len(stamps))
    finally:
        ed.close()


# --- randomisation by account: the unit attribute comes with the assignments or the users ---

def _account_spec(tmp_path):
    p = tmp_path / "ledg.yaml"
    p.write_text(SPEC + "unit: account_id\n", encoding="utf-8")
    return load_experiment(p)


@pytest.mark.parametrize("where", ["assignments", "users"])
def test_a_user_without_the_unit_attribute_is_left_out_as_missing_unit(tmp_path, export, where):
    spec = _account_spec(tmp_path)
    accounts = {"u1": "acme", "u2": "", "u3": "globex", "u7": "acme", "u8": "acme", "u9": "acme"}
    if where == "assignments":
        rows = [(*r[:-1], accounts.get(r[0], "acme")) for r in ASSIGNMENTS]
        _write(export / "assignments.csv", "user_id,experiment,variant,assigned_at,account_id", rows)
    else:
        users = [(u, p, accounts.get(u, "acme")) for u, p, _ in USERS]
        users += [("u3", "web", "globex"), ("u7", "web", "acme"), ("u8", "web", "acme"), ("u9", "web", "acme")]
        _write(export / "users.csv", "user_id,platform,account_id", users)
    ed = open_event_data(export)
    try:
        counts = compute_counts(ed, spec, today=TODAY)
        units = dict(ed.con.execute("SELECT user_id, unit_id FROM exp_assigned").fetchall())
    finally:
        ed.close()
    assert_invariant(counts.ledger)
    tl = counts.ledger.table("assignments")
    left = {x.reason: x.rows for x in tl.left_out}
    expected = _expected(ASSIGNMENTS)
    # u2's rows: the first would be used, the duplicate stays an exact duplicate (the first reason wins)
    expected["missing_unit"] = 1
    assert left == expected
    assert units == {"u1": "acme", "u3": "globex"}
    assert counts.assigned == {"control": 1, "a": 1}
    check = next(c for c in counts.checks if c.code == "rows_missing_unit")
    assert check.severity == "fail" and dict(check.params)["n"] == 1
    assert "account" in check_text(check)[1]


def test_the_unit_attribute_in_no_table_is_an_error_naming_it(tmp_path, export):
    spec = _account_spec(tmp_path)
    ed = open_event_data(export)
    try:
        with pytest.raises(DataError, match="account_id.*assignments table or in the users table"):
            compute_counts(ed, spec, today=TODAY)
    finally:
        ed.close()


ACTIVITY_COPIES = [  # (user, timestamp, event, expected reason): rows present two or three times
    ("u1", "2026-10-02T09:00:00+09:00", "open", None),
    ("u1", "2026-10-02T09:00:00+09:00", "open", "exact_duplicate"),
    ("u1", "2026-10-02T09:00:00+09:00", "open", "exact_duplicate"),
    ("u1", "2026-10-02T09:00:00+09:00", "", None),  # differs by the event only (NULL)
    ("u1", "2026-10-02T09:00:00+09:00", "", "exact_duplicate"),
    ("u1", "2026-10-02T10:00:00+09:00", "open", None),
    ("u2", "2026-10-26T09:00:00+09:00", "open", "future"),
    ("u2", "2026-10-26T09:00:00+09:00", "open", "exact_duplicate"),
    ("u2", "2026-09-20T09:00:00+09:00", "open", "before_assignment"),
    ("u2", "2026-09-20T09:00:00+09:00", "open", "exact_duplicate"),
    ("u99", "2026-10-02T09:00:00+09:00", "open", "not_in_experiment"),  # every copy: a rule before exact_duplicate
    ("u99", "2026-10-02T09:00:00+09:00", "open", "not_in_experiment"),
    ("", "2026-10-02T09:00:00+09:00", "open", "missing_key"),
    ("", "2026-10-02T09:00:00+09:00", "open", "missing_key"),
    ("u1", "", "open", "missing_time"),
    ("u1", "", "open", "missing_time"),
    ("u3", "2026-10-03T09:00:00+09:00", "open", None),
]


def test_activity_reduction_counts_copies_like_the_per_row_view(spec, export):
    """The stored activity reduction (rows per reason and, for the rows used, per user, with each
    user's active days as bits) holds every row with the reason the per-row classification (a
    window over every column) gives it, rows present several times included."""
    _write(export / "activity.csv", "user_id,timestamp,event", [r[:-1] for r in ACTIVITY_COPIES])
    ed = open_event_data(export)
    try:
        counts = compute_counts(ed, spec, today=TODAY)
        per_row = ed.con.execute("SELECT _gl_reason, CASE WHEN _gl_reason IS NULL THEN _gl_uk END, count(*) "
                                 "FROM ledger_activity GROUP BY ALL").fetchall()
        stored = ed.con.execute("SELECT _gl_reason, uk, _gl_events FROM ledger_activity_users").fetchall()
        days = ed.con.execute("SELECT _gl_uk, list(DISTINCT datediff('day', a.assigned_day, _gl_day) ORDER BY 1) "
                              "FROM ledger_activity JOIN exp_assigned a ON a.uk = _gl_uk "
                              "WHERE _gl_reason IS NULL AND NOT _gl_pre GROUP BY 1").fetchall()
        bits = dict(ed.con.execute("SELECT uk, _gl_days0 FROM exp_activity_users").fetchall())
    finally:
        ed.close()
    assert {tuple(r[:2]): r[2] for r in stored} == {tuple(r[:2]): r[2] for r in per_row}
    assert days and {uk: sum(1 << d for d in ds) for uk, ds in days} == {uk: b for uk, b in bits.items() if b}
    tl = counts.ledger.table("activity")
    assert tl.rows_read == len(ACTIVITY_COPIES)
    assert tl.rows_used == sum(1 for r in ACTIVITY_COPIES if r[-1] is None)
    assert {x.reason: x.rows for x in tl.left_out} == _expected(ACTIVITY_COPIES)
    dup = next(x for x in tl.left_out if x.reason == "exact_duplicate")
    # the smallest text among the rows copied: u1's row without an event
    assert dup.example.startswith("user_id=u1, timestamp=") and dup.example.endswith("event=NULL")


@pytest.mark.parametrize("hash_of", ["the user", "nothing"])
def test_colliding_row_hashes_give_the_same_reductions(spec, export, monkeypatch, hash_of):
    """Rows are compared exactly wherever their hashes meet: with a hash of the user id only (every
    row of a user collides) or a constant (every row collides, across users too), the stored
    activity and guide-event reductions equal those of the real hash, row for row, and the rows of
    unassigned users are counted one by one as before."""
    from guidelab import ledger

    _write(export / "activity.csv", "user_id,timestamp,event", [r[:-1] for r in ACTIVITY_COPIES])

    def reductions():
        ed = open_event_data(export)
        try:
            counts = compute_counts(ed, spec, today=TODAY)
            return (counts.ledger,
                    sorted(ed.con.execute("SELECT * FROM ledger_activity_users").fetchall(), key=repr),
                    sorted(ed.con.execute("SELECT * FROM ledger_guide_user").fetchall(), key=repr))
        finally:
            ed.close()

    real = reductions()
    coarse = {"the user": lambda cols, alias="": f'hash({alias}"user_id")',
              "nothing": lambda cols, alias="": "hash(0)"}[hash_of]
    monkeypatch.setattr(ledger, "row_hash_sql", coarse)
    assert reductions() == real
    assert real[0].table("activity").rows("exact_duplicate") == 5
    assert real[0].table("guide_events").rows("exact_duplicate") > 0


def test_guide_event_aggregate_agrees_with_the_per_row_view(spec, export):
    """The stored guide-event reduction (per reason left out, per user and guide used; exact
    duplicates from the hash pass) gives every reason the per-row view (a window over every
    column) gives, and its per-user flags are those of the used rows of the view."""
    ed = open_event_data(export)
    try:
        compute_counts(ed, spec, today=TODAY)
        per_row = dict(ed.con.execute("SELECT _gl_reason, count(*) FROM ledger_guide_events GROUP BY 1").fetchall())
        stored = dict(ed.con.execute("SELECT _gl_reason, sum(_gl_events) FROM ledger_guide_user GROUP BY 1").fetchall())
        view_flags = ed.con.execute(
            "SELECT _gl_uk, guide_id, bool_or(event = 'shown'), bool_or(event = 'answered'), count_if(event = 'clicked') "
            "FROM ledger_guide_events WHERE _gl_reason IS NULL GROUP BY 1, 2 ORDER BY 1, 2").fetchall()
        stored_flags = ed.con.execute(
            "SELECT uk, guide_id, shown, answered, clicked_n FROM exp_guide_user ORDER BY 1, 2").fetchall()
    finally:
        ed.close()
    assert per_row.get("exact_duplicate", 0) > 0  # the fixture has copies
    assert stored == per_row
    assert view_flags and stored_flags == view_flags


def _python_assignment_reasons(rows, as_of_end, now_end):
    """The assignment rules of data/README.md in plain Python (an independent count): per row its
    reason; exact copies of a row are all but one ``exact_duplicate``; a user's remaining rows
    in two arms are ``multiple_arms``, else all but the first by (time, values) ``repeated_assignment``."""
    def when(text):
        return dt.datetime.fromisoformat(text) if text else None

    reasons: list[str | None] = []
    seen: set[tuple] = set()
    for user, exp, variant, at in rows:
        t = when(at)
        if exp == "":
            r = "missing_key"
        elif exp != "ledg":
            r = "other_experiment"
        elif user == "" or variant == "":
            r = "missing_key"
        elif t is None:
            r = "missing_time"
        elif (user, exp, variant, at) in seen:
            r = "exact_duplicate"
        elif t >= now_end:
            r = "future"
        elif t >= as_of_end:
            r = "after_analysis_date"
        elif variant not in ("control", "a"):
            r = "unknown_variant"
        else:
            r = None
        seen.add((user, exp, variant, at))
        reasons.append(r)
    ok: dict[str, list[int]] = {}
    for i, r in enumerate(reasons):
        if r is None:
            ok.setdefault(rows[i][0], []).append(i)
    for idx in ok.values():
        if len({rows[i][2] for i in idx}) > 1:
            for i in idx:
                reasons[i] = "multiple_arms"
            continue
        first = min(idx, key=lambda i: (when(rows[i][3]), rows[i]))
        for i in idx:
            if i != first:
                reasons[i] = "repeated_assignment"
    return reasons


@pytest.mark.parametrize("every_hash_repeats", [False, True])
@pytest.mark.parametrize("seed", [1, 2, 3])
def test_assignment_and_user_rules_agree_with_a_python_count(spec, export, seed, every_hash_repeats, monkeypatch):
    """Random assignments and users rows with many exact copies, repeated and two-arm users:
    the ledger gives each (user, variant) the reasons a plain Python count of the rules gives.
    Also when every hash counts as repeated (as a collision would), so every user, one row or
    several, goes through the windows instead of the one-row shortcut."""
    import random
    from collections import Counter

    from guidelab import engine
    from guidelab.ledger import now_end_utc

    if every_hash_repeats:
        monkeypatch.setattr(engine.DuckDBEngine, "create_repeated_hashes", lambda self, name, hashes_sql: self.execute(
            f"CREATE OR REPLACE TEMP TABLE {name} AS SELECT DISTINCT _gl_h FROM ({hashes_sql})"))

    rng = random.Random(seed)
    times = ["2026-10-01T10:00:00+09:00", "2026-10-02T08:00:00+09:00", "2026-10-02T08:00:00+00:00",
             "2026-10-13T10:00:00+09:00", "2026-10-25T10:00:00+09:00", ""]
    rows = [(rng.choice([f"u{rng.randrange(25)}", ""] if rng.random() < 0.05 else [f"u{rng.randrange(25)}"]),
             rng.choice(["ledg"] * 12 + ["other", ""]), rng.choice(["control"] * 5 + ["a"] * 5 + ["zzz", ""]),
             rng.choice(times)) for _ in range(150)]
    rows += [rng.choice(rows) for _ in range(60)]  # exact copies
    rows += [("u1", "ledg", "control", times[0])]  # at least one used row
    rng.shuffle(rows)
    users = [(f"u{rng.randrange(30)}", rng.choice(["ios", "web", ""])) for _ in range(80)]
    users += [rng.choice(users) for _ in range(30)]
    _write(export / "assignments.csv", "user_id,experiment,variant,assigned_at", rows)
    _write(export / "users.csv", "user_id,platform", users)
    ed = open_event_data(export)
    try:
        counts = compute_counts(ed, spec, today=TODAY)
        got = Counter(ed.con.execute("SELECT coalesce(user_id, ''), coalesce(variant, ''), _gl_reason "
                                     "FROM ledger_assignments").fetchall())
        got_users = Counter(ed.con.execute("SELECT coalesce(user_id, ''), coalesce(platform, ''), _gl_reason "
                                           "FROM ledger_users").fetchall())
        assigned = {u for u, in ed.con.execute("SELECT user_id FROM exp_assigned").fetchall()}
    finally:
        ed.close()
    as_of_end = now_end_utc(spec, counts.as_of)
    reasons = _python_assignment_reasons(rows, as_of_end, now_end_utc(spec, TODAY))
    want = Counter((u, v, r) for (u, _, v, _), r in zip(rows, reasons))
    assert got == want
    assert {"exact_duplicate", "multiple_arms", "repeated_assignment"} <= {r for _, _, r in want}
    want_users: list[tuple[str, str, str | None]] = []
    seen: set[tuple[str, str]] = set()
    for user, platform in sorted(users, key=lambda r: (r[0], r[1] == "", r[1])):  # NULLs sort last
        if user == "":
            want_users.append((user, platform, "missing_key"))
        elif user not in assigned:
            want_users.append((user, platform, "not_in_experiment"))
        elif (user, platform) in seen:
            want_users.append((user, platform, "exact_duplicate"))
        elif any(u == user for u, _ in seen):
            want_users.append((user, platform, "duplicate_user"))
        else:
            want_users.append((user, platform, None))
        seen.add((user, platform))
    assert got_users == Counter(want_users)
    assert {"exact_duplicate", "duplicate_user"} <= {r for _, _, r in want_users}


@pytest.mark.parametrize("sql_type", ["TINYINT", "INTEGER", "BIGINT", "UBIGINT", "HUGEINT", "DOUBLE", "VARCHAR"])
def test_whole_number_of_a_typed_column_equals_the_text_path(sql_type):
    """A typed column's whole-number test (one cast for integers) gives what the text path gives:
    the out-of-range rule of guide steps and survey answers reads it."""
    import duckdb

    from guidelab.ledger import _whole_number

    values = {"VARCHAR": ["1", " 2 ", "1.5", "x", "0", "-3", "", None, "1e3", "7.0"],
              "DOUBLE": [1.0, 2.5, 0.0, -3.0, None, 1e15, float("inf"), float("nan")]}.get(sql_type, [0, 1, 7, 100, None])
    con = duckdb.connect()
    con.execute(f"CREATE TABLE t (v {sql_type})")
    con.executemany("INSERT INTO t VALUES (?)", [[v] for v in values])
    typed, text = _whole_number("v", sql_type), _whole_number("v")
    rows = con.execute(f"SELECT v, {typed}, {text} FROM t").fetchall()
    assert len(rows) == len(values)
    for v, got, want in rows:
        assert (got == want) or (got != got and want != want) or (got is None and want is None), (v, got, want)
    if sql_type in ("INTEGER", "BIGINT"):
        assert "VARCHAR" not in typed  # an integer column is not read through its text


def test_pre_period_and_days_in_one_word_equal_two_aggregates(tmp_path, root, monkeypatch):
    """The activity reduction with the CUPED pre-period's days and the days after assignment in
    one bitmap word gives, user by user, the bitmaps and pre-period day counts of one aggregate each."""
    from guidelab import ledger

    spec = load_experiment(root / "experiments" / "onboarding-tour-vs-checklist.yaml")

    def reduction(merged: bool) -> list[tuple]:
        monkeypatch.setattr(ledger, "pre_period_in_day_word", lambda words, lookback, span: merged and words == 1)
        ed = open_event_data(root / "data" / "sample" / "onboarding-tour-vs-checklist")
        try:
            compute_counts(ed, spec, today=TODAY)
            return ed.con.execute("SELECT * FROM ledger_activity_users ORDER BY uk, _gl_reason").fetchall()
        finally:
            ed.close()

    one_word, two = reduction(True), reduction(False)
    assert one_word == two
    assert sum(1 for r in two if r[1] is not None) > 1000
    cols = 4  # _gl_reason, uk, _gl_events, _gl_example, then _gl_days0 and pre_active_days
    assert any(r[cols] for r in two) and any(r[cols + 1] for r in two)  # active days and pre-period days exist
