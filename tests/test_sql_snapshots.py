"""The SQL each dialect gets for one example, committed so that a change to the SQL shows in review.

For the onboarding example on its committed sample, every statement :func:`compute_counts` and
the breakdowns run is recorded (``Engine.trace``) and written as DuckDB runs it (with its
parameters) and as :mod:`guidelab.dialects` translates it for Spark (what the Spark engine
runs), BigQuery and Snowflake (printed only: guidelab does not run those). The test fails when
any of them changes. After an intended change to the SQL, refresh and review the diff::

    GUIDELAB_UPDATE_SNAPSHOTS=1 .venv/bin/python -m pytest tests/test_sql_snapshots.py
    git diff tests/snapshots/sql/
"""
from __future__ import annotations

import datetime as dt
import json
import os
import textwrap
from pathlib import Path

import pytest

from guidelab.analysis import CURVE_HORIZON_DAYS, breakdown_analyses
from guidelab.dialects import PRINTED_DIALECTS, parse, statement_kind, translate
from guidelab.events import open_event_data
from guidelab.experiment import load_experiment
from guidelab.metrics import compute_counts
from guidelab.timeseries import goal_life_counts, retention_curve_counts

ROOT = Path(__file__).resolve().parent.parent
SNAPSHOTS = Path(__file__).resolve().parent / "snapshots" / "sql"
EXAMPLE = "onboarding-tour-vs-checklist"
TODAY = dt.date(2026, 11, 30)  # fixed: the 'now' parameter depends on it


def _param_text(value: object) -> str:
    return value.isoformat() if isinstance(value, (dt.date, dt.datetime)) else value  # type: ignore[return-value]


def sample_with_copies(folder: Path) -> Path:
    """The committed sample with the first row of activity and of guide events doubled: without a
    copy the exact-duplicate SQL is skipped (``ledger.build_exact_copies``), and it must show."""
    import shutil

    import pyarrow as pa
    import pyarrow.parquet as pq

    shutil.copytree(ROOT / "data" / "sample" / EXAMPLE, folder)
    for table in ("activity", "guide_events"):
        rows = pq.read_table(folder / f"{table}.parquet")
        pq.write_table(pa.concat_tables([rows, rows.slice(0, 1)]), folder / f"{table}.parquet")
    return folder


def recorded_statements() -> list[tuple[str, dict]]:
    import tempfile

    spec = load_experiment(ROOT / "experiments" / f"{EXAMPLE}.yaml")
    with tempfile.TemporaryDirectory() as tmp:
        return _recorded_statements(spec, sample_with_copies(Path(tmp) / EXAMPLE))


def _recorded_statements(spec, data: Path) -> list[tuple[str, dict]]:
    ed = open_event_data(data, data_timezone=spec.data_timezone)
    ed.engine.trace = []
    try:
        counts = compute_counts(ed, spec, None, TODAY)
        retention_curve_counts(ed, spec, counts.as_of, CURVE_HORIZON_DAYS)
        goal_life_counts(ed, spec)
        breakdown_analyses(spec, ed, counts.as_of)
        return list(ed.engine.trace)
    finally:
        ed.close()


def render(statements: list[tuple[str, dict]], dialect: str, data: str = "data/sample") -> str:
    head = (f"-- guidelab SQL for {EXAMPLE} on {data}, dialect: {dialect}\n"
            f"-- {'as DuckDB runs it, parameters beside it' if dialect == 'duckdb' else 'translated by guidelab.dialects (sqlglot), parameters bound'}\n"
            "-- refresh: GUIDELAB_UPDATE_SNAPSHOTS=1 pytest tests/test_sql_snapshots.py\n")
    parts = [head]
    for i, (sql, params) in enumerate(statements, 1):
        if dialect == "duckdb":
            shown = {k: _param_text(v) for k, v in sorted(params.items())}
            body = textwrap.dedent(sql).strip()
            parts.append(f"\n-- [{i}] params: {json.dumps(shown, ensure_ascii=False) if shown else '{}'}\n{body};\n")
        else:
            note = ""
            if dialect == "spark" and statement_kind(parse(sql)) == "temp_table":
                note = "-- a temp table: the Spark engine runs this CREATE's SELECT and caches it (persist + count)\n"
            parts.append(f"\n-- [{i}]\n{note}{translate(sql, params, dialect, pretty=True, strict=dialect == 'spark')};\n")
    return "".join(parts)


@pytest.fixture(scope="module")
def statements() -> list[tuple[str, dict]]:
    return recorded_statements()


def test_trace_records_the_metric_statements(statements):
    sqls = [s for s, _ in statements]
    assert any("CREATE OR REPLACE TEMP TABLE exp_users" in s for s in sqls)
    assert any("ledger_activity" in s for s in sqls)
    assert any("TEMP TABLE ledger_activity_copies" in s for s in sqls)  # the exact-duplicate SQL shows
    assert len(sqls) > 20


@pytest.mark.parametrize("dialect", PRINTED_DIALECTS)
def test_sql_snapshot(statements, dialect):
    path = SNAPSHOTS / f"{EXAMPLE}.{dialect}.sql"
    text = render(statements, dialect, "data/sample (one row of activity and of guide events doubled)")
    if os.environ.get("GUIDELAB_UPDATE_SNAPSHOTS") == "1":
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    assert path.is_file(), f"{path} missing: run GUIDELAB_UPDATE_SNAPSHOTS=1 pytest tests/test_sql_snapshots.py"
    expected = path.read_text(encoding="utf-8")
    if text != expected:
        a, b = expected.splitlines(), text.splitlines()
        first = next((i for i, (x, y) in enumerate(zip(a, b)) if x != y), min(len(a), len(b)))
        pytest.fail(f"the {dialect} SQL changed ({path.name}, first difference at line {first + 1}: "
                    f"{a[first] if first < len(a) else '<end>'!r} -> {b[first] if first < len(b) else '<end>'!r}); "
                    "if intended: GUIDELAB_UPDATE_SNAPSHOTS=1 pytest tests/test_sql_snapshots.py, and review git diff")


# --- randomised by account: the statements that carry the unit and sum per account ---
ACCOUNT_EXAMPLE = "b2b-onboarding-checklist"


def recorded_account_statements() -> list[tuple[str, dict]]:
    """The statements of the account example that differ from a user-randomised analysis: the
    assignments ledger with the unit column, exp_assigned with unit_id, and every per-account sum."""
    from guidelab.account_stats import with_account_statistics

    spec = load_experiment(ROOT / "experiments" / f"{ACCOUNT_EXAMPLE}.yaml")
    ed = open_event_data(ROOT / "data" / "sample" / ACCOUNT_EXAMPLE, data_timezone=spec.data_timezone)
    ed.engine.trace = []
    try:
        with_account_statistics(ed, spec, compute_counts(ed, spec, None, TODAY))
        return [(s, p) for s, p in ed.engine.trace if "_gl_unit" in s or "_gl_account" in s]
    finally:
        ed.close()


@pytest.fixture(scope="module")
def account_statements() -> list[tuple[str, dict]]:
    return recorded_account_statements()


@pytest.mark.parametrize("dialect", PRINTED_DIALECTS)
def test_account_sql_snapshot(account_statements, dialect):
    assert len(account_statements) == 2 + 1 + 3  # ledger, exp_assigned, accounts per arm, one sum per metric
    path = SNAPSHOTS / f"{ACCOUNT_EXAMPLE}.{dialect}.sql"
    text = render(account_statements, dialect).replace(EXAMPLE, ACCOUNT_EXAMPLE, 1)
    if os.environ.get("GUIDELAB_UPDATE_SNAPSHOTS") == "1":
        path.write_text(text, encoding="utf-8")
    assert path.is_file(), f"{path} missing: run GUIDELAB_UPDATE_SNAPSHOTS=1 pytest tests/test_sql_snapshots.py"
    assert text == path.read_text(encoding="utf-8"), \
        f"the {dialect} SQL of {path.name} changed: if intended, GUIDELAB_UPDATE_SNAPSHOTS=1 and review git diff"


def recorded_account_breakdown_statements() -> list[tuple[str, dict]]:
    """The per-account statements of the account example's deeper analyses (guidelab.account_breakdowns):
    retention curve, daily effects, segments and funnel sums and cross-products."""
    from guidelab.account_breakdowns import clustered_breakdowns, with_account_curves

    spec = load_experiment(ROOT / "experiments" / f"{ACCOUNT_EXAMPLE}.yaml")
    ed = open_event_data(ROOT / "data" / "sample" / ACCOUNT_EXAMPLE, data_timezone=spec.data_timezone)
    try:
        counts = compute_counts(ed, spec, None, TODAY)
        user_level = breakdown_analyses(spec, ed, counts.as_of)
        ed.engine.trace = []
        with_account_curves(ed, spec, retention_curve_counts(ed, spec, counts.as_of, CURVE_HORIZON_DAYS),
                            CURVE_HORIZON_DAYS)
        clustered_breakdowns(ed, spec, user_level)
        return [(s, p) for s, p in ed.engine.trace if "_gl_account" in s]
    finally:
        ed.close()


@pytest.fixture(scope="module")
def account_breakdown_statements() -> list[tuple[str, dict]]:
    return recorded_account_breakdown_statements()


@pytest.mark.parametrize("dialect", PRINTED_DIALECTS)
def test_account_breakdown_sql_snapshot(account_breakdown_statements, dialect):
    """Also a cheap Spark check of that SQL: it must translate strictly (guidelab.dialects); the
    numbers on Spark: tests/test_engine.py::test_account_breakdowns_identical_on_duckdb_and_spark."""
    statements = account_breakdown_statements
    assert len(statements) == 1 + 2 + 2 * 2 + 2 + 1  # curve; daily sums + cross; 2 segments x (sums + cross); funnel; time
    path = SNAPSHOTS / f"{ACCOUNT_EXAMPLE}.breakdowns.{dialect}.sql"
    text = render(statements, dialect).replace(EXAMPLE, ACCOUNT_EXAMPLE, 1)
    if os.environ.get("GUIDELAB_UPDATE_SNAPSHOTS") == "1":
        path.write_text(text, encoding="utf-8")
    assert path.is_file(), f"{path} missing: run GUIDELAB_UPDATE_SNAPSHOTS=1 pytest tests/test_sql_snapshots.py"
    assert text == path.read_text(encoding="utf-8"), \
        f"the {dialect} SQL of {path.name} changed: if intended, GUIDELAB_UPDATE_SNAPSHOTS=1 and review git diff"
