"""The engine interface: DuckDB and Spark give the same sufficient statistics; the dialect hooks; the options.

The Spark tests (``-m spark``) share one SparkSession in ``local[2]`` (the Java already on the
machine; ``make test`` installs a headless JRE where it is missing, scripts/ensure-java) and
check that every number the statistics read - per variant n, sums, sums of squares, CUPED
covariate sums, data checks, the row ledger, retention curves, life tables and breakdown
counts - is identical on both engines for all three example experiments.
"""
from __future__ import annotations

import datetime as dt
import json
import os
import shutil
from pathlib import Path

import pytest

from guidelab.dialects import TranslationError, translate
from guidelab.engine import DuckDBEngine, EngineError, EngineOptions, read_spark_conf
from guidelab.errors import DataError
from guidelab.events import open_event_data
from guidelab.experiment import load_experiment
from guidelab.metrics import compute_counts
from guidelab.serialize import to_jsonable

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ("onboarding-tour-vs-checklist", "maintenance-banner-copy", "nps-survey-timing")
TODAY = dt.date(2026, 11, 30)


# --- options and settings ----------------------------------------------------------------------
def test_engine_options_validate():
    assert EngineOptions.of(None).engine == "duckdb"
    assert EngineOptions.of("spark", "local[1]").spark_master == "local[1]"
    with pytest.raises(EngineError, match="--engine"):
        EngineOptions("postgres")  # type: ignore[arg-type]
    with pytest.raises(EngineError, match="need --engine spark"):
        EngineOptions("duckdb", spark_master="local[2]")


def test_spark_conf_key_value_and_yaml(tmp_path):
    kv = tmp_path / "spark.conf"
    kv.write_text("# cluster\nspark.executor.memory=4g\nspark.sql.shuffle.partitions 64\n\n", encoding="utf-8")
    assert read_spark_conf(kv) == {"spark.executor.memory": "4g", "spark.sql.shuffle.partitions": "64"}
    yml = tmp_path / "spark.yaml"
    yml.write_text("spark.hadoop.fs.s3a.path.style.access: true\nspark.executor.cores: 4\n", encoding="utf-8")
    assert read_spark_conf(yml) == {"spark.hadoop.fs.s3a.path.style.access": "true", "spark.executor.cores": "4"}


@pytest.mark.parametrize("text, message", [
    ("executor.memory=4g\n", "only spark.* settings"),
    ("spark.sql.session.timeZone=Asia/Tokyo\n", "must be 'UTC'"),
    ("spark.executor.memory\n", "line 1: expected key=value"),
])
def test_spark_conf_errors_name_the_file_and_line(tmp_path, text, message):
    path = tmp_path / "bad.conf"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(EngineError, match=message) as err:
        read_spark_conf(path)
    assert str(path) in str(err.value)


def test_cli_refuses_spark_options_without_spark(tmp_path, capsys):
    from guidelab.cli import main

    code = main(["report", str(ROOT / "experiments" / f"{EXAMPLES[0]}.yaml"), "--data", str(tmp_path),
                 "--spark-master", "local[2]"])
    assert code == 2
    assert "need --engine spark" in capsys.readouterr().err


def test_cli_flags_parse():
    from guidelab.cli import build_parser

    args = build_parser().parse_args(["report", "x.yaml", "--data", "d", "--engine", "spark",
                                      "--spark-master", "spark://h:7077", "--spark-conf", "s.conf"])
    assert (args.engine, args.spark_master, args.spark_conf) == ("spark", "spark://h:7077", "s.conf")
    args = build_parser().parse_args(["publish", "--engine", "spark"])
    assert args.engine == "spark"


# --- the dialect hooks -------------------------------------------------------------------------
def test_parameters_bound_as_escaped_literals():
    when = dt.datetime(2026, 11, 2, 9, 0, tzinfo=dt.timezone(dt.timedelta(hours=9)))
    sql = translate("SELECT 1 FROM t WHERE a = $s AND b < $end AND c = $day AND d = $n",
                    {"s": "it's \\ here", "end": when, "day": dt.date(2026, 11, 2), "n": 3}, "spark")
    assert "a = 'it\\'s \\\\ here'" in sql  # Spark reads backslash escapes in literals
    assert "CAST('2026-11-02 00:00:00.000000+00:00' AS TIMESTAMP)" in sql  # the instant, in UTC
    assert "CAST('2026-11-02' AS DATE)" in sql and "d = 3" in sql
    with pytest.raises(TranslationError, match=r"\$missing"):
        translate("SELECT $missing", {}, "spark")


def test_time_zone_and_epoch_hooks():
    sql = "SELECT CAST(timezone($tz, ts) AS DATE), epoch(b) - epoch(a) FROM t"
    spark = translate(sql, {"tz": "Asia/Tokyo"}, "spark")
    assert "FROM_UTC_TIMESTAMP(ts, 'Asia/Tokyo')" in spark
    assert "CAST(UNIX_MICROS(b) AS DOUBLE) / 1000000.0" in spark and "UNIX_TIMESTAMP" not in spark  # keeps the fraction
    assert "CONVERT_TIMEZONE('Asia/Tokyo', ts)" in translate(sql, {"tz": "Asia/Tokyo"}, "snowflake")
    assert "DATETIME(ts, 'Asia/Tokyo')" in translate(sql, {"tz": "Asia/Tokyo"}, "bigquery")


def test_datediff_count_if_and_range_hooks():
    spark = translate("SELECT datediff('day', a, b), count_if(x), r.range FROM t, range(1, 4) r "
                      "WHERE g IN (SELECT unnest($ids))", {"ids": ["a", "b"]}, "spark")
    assert "DATEDIFF(DAY, a, b)" in spark and "COUNT_IF(x)" in spark
    assert "(SELECT id AS `range` FROM RANGE(1, 4)) AS r" in spark
    assert "g IN ('a', 'b')" in spark
    ordered = translate("SELECT row_number() OVER (PARTITION BY a, b) FROM t", None, "spark")
    assert "PARTITION BY a, b ORDER BY a" in ordered  # Spark needs an order; the rows are tied


# all in memory; spilled to the 64 files from the first batch; spilled once two batches were kept
@pytest.mark.parametrize("in_memory", [1 << 30, 1000, 12000])
def test_repeated_uint64_finds_each_repeated_value_once(tmp_path, in_memory):
    import numpy as np

    from guidelab.engine import repeated_uint64

    rng = np.random.default_rng(11)
    unique = rng.integers(0, 2**64, size=20_000, dtype=np.uint64, endpoint=False)
    edges = np.array([0, 1, 2**58 - 1, 2**58, 2**63, 2**64 - 1], dtype=np.uint64)  # the partitions' borders
    copies = np.concatenate([unique[:300], unique[:40], edges, edges[:3]])  # some values three times
    values = rng.permutation(np.concatenate([unique, copies]))
    expected_values, counts = np.unique(values, return_counts=True)
    expected = expected_values[counts > 1]
    assert len(expected) == 300 + 3  # the test's own data: 300 repeats plus three of the edges
    batches = np.array_split(values, 7)  # a value and its copy in different batches
    found = repeated_uint64(iter(batches), tmp_path, in_memory_values=in_memory)
    assert found.dtype == np.uint64
    np.testing.assert_array_equal(found, expected)
    assert list(tmp_path.iterdir()) == []  # its spill files are gone
    assert len(repeated_uint64(iter([]), tmp_path)) == 0
    assert len(repeated_uint64(iter([np.arange(5, dtype=np.uint64)]), tmp_path)) == 0


def test_uint64_values_reads_the_arrow_buffer_at_its_offset():
    import numpy as np
    import pyarrow as pa

    from guidelab.engine import uint64_values

    column = pa.array([1, 2**64 - 1, 7, 2**63, 5], type=pa.uint64())
    np.testing.assert_array_equal(uint64_values(column.slice(1, 3)), np.array([2**64 - 1, 7, 2**63], dtype=np.uint64))
    with pytest.raises(ValueError, match="uint64 hashes without nulls, got uint64 with 1 nulls"):
        uint64_values(pa.array([1, None], type=pa.uint64()))
    with pytest.raises(ValueError, match="got int64"):
        uint64_values(pa.array([1, 2], type=pa.int64()))


def test_duckdb_repeated_hashes_equal_the_aggregate_other_engines_run():
    """DuckDB's numpy sort gives the rows of the GROUP BY ... HAVING count(*) > 1 that Spark runs, and
    the trace records that statement."""
    from guidelab.engine import repeated_hashes_sql

    eng = DuckDBEngine()
    try:
        eng.execute("CREATE TABLE t AS SELECT (i % 997) * (i % 3) AS a, i % 5 AS b FROM range(20000) r(i)")
        hashes = "SELECT hash(a, b) AS _gl_h FROM t"
        eng.trace = []
        eng.create_repeated_hashes("rep", hashes)
        assert eng.trace == [(f"CREATE OR REPLACE TEMP TABLE rep AS {repeated_hashes_sql(hashes)}", {})]
        got = sorted(r[0] for r in eng.rows("SELECT _gl_h FROM rep"))
        want = sorted(r[0] for r in eng.rows(repeated_hashes_sql(hashes)))
        assert len(want) > 100 and got == want
        assert eng.describe("rep") == [("_gl_h", "UBIGINT")]
    finally:
        eng.close()


def test_duckdb_engine_runs_sql_as_written_and_traces():
    eng = DuckDBEngine()
    eng.trace = []
    try:
        assert eng.execute("SELECT $a + 1", {"a": 41}).fetchone() == (42,)
        eng.create_temp_table("t", "SELECT 1 AS x UNION ALL SELECT 2")
        assert eng.describe("t") == [("x", "INTEGER")]
        assert eng.rows("SELECT sum(x) FROM t") == [(3,)]
        assert eng.trace[0] == ("SELECT $a + 1", {"a": 41})
        eng.drop_temp_table("t")
        assert eng.rows("SELECT count(*) FROM duckdb_tables() WHERE table_name = 't'") == [(0,)]
        eng.drop_temp_table("t")  # already gone: nothing to do
    finally:
        eng.close()


# --- Spark ---------------------------------------------------------------------------------------
LOCAL_TEST_SPARK_CONF = {
    # Kilobytes of sample data: Spark's cost here is per statement (planning, code generation, the
    # JIT warming up), not per row. Measured on the nps sample (JVM CPU seconds, same load): 217 s
    # with whole-stage codegen off alone, 121 s with these settings.
    "spark.sql.shuffle.partitions": "1",
    "spark.sql.adaptive.enabled": "false",
    "spark.sql.codegen.wholeStage": "false",
    "spark.sql.codegen.factoryMode": "NO_CODEGEN",   # interpreted expressions: no Janino compiles
    "spark.driver.extraJavaOptions": "-XX:TieredStopAtLevel=1 -XX:+UseSerialGC",  # a short-lived JVM
}


@pytest.fixture(scope="session")
def spark():
    """One SparkSession in local[2] for every Spark test (a JVM starts once)."""
    if os.environ.get("GUIDELAB_SKIP_SPARK") == "1":
        pytest.skip("GUIDELAB_SKIP_SPARK=1")
    try:
        import pyspark  # noqa: F401
    except ImportError:
        pytest.fail("PySpark is not installed: pip install -e '.[test,spark]' (make test does), "
                    "or set GUIDELAB_SKIP_SPARK=1 to skip the Spark tests", pytrace=False)
    if shutil.which("java") is None:
        pytest.fail("no java: run scripts/ensure-java (installs a headless JRE 17), or set GUIDELAB_SKIP_SPARK=1",
                    pytrace=False)
    from guidelab.engine import spark_session

    session = spark_session("local[2]", LOCAL_TEST_SPARK_CONF)
    yield session
    session.stop()


def _everything(ed, spec) -> dict:
    """Every count the statistics and the report read, from one open data set."""
    from guidelab import breakdowns as b
    from guidelab.catalog import parse_metric
    from guidelab.timeseries import goal_life_counts, retention_curve_counts

    counts = compute_counts(ed, spec, None, TODAY)
    primary = parse_metric(spec.metrics.primary)
    out = {"counts": counts,
           "curves": retention_curve_counts(ed, spec, counts.as_of, 30),
           "goal_life": goal_life_counts(ed, spec) if spec.goal_event else None,
           "funnels": b.funnel_counts(ed, spec, counts.as_of),
           "stickiness": b.stickiness_counts(ed, spec, counts.as_of),
           "scores": b.score_counts(ed, spec, counts.as_of)}
    if primary.kind == "proportion":
        out["daily"] = b.daily_counts(ed, spec, primary)
        out["segments"] = {a: b.segment_counts(ed, spec, primary, a) for a in spec.segments}
    return out


def _on(engine: str, data_dir: Path, spec) -> dict:
    ed = open_event_data(data_dir, data_timezone=spec.data_timezone, engine=EngineOptions(engine))  # type: ignore[arg-type]
    try:
        assert ed.engine.name == engine
        return _everything(ed, spec)
    finally:
        ed.close()


@pytest.mark.spark
@pytest.mark.parametrize("example", EXAMPLES)
def test_sufficient_statistics_identical_on_duckdb_and_spark(spark, example):
    spec = load_experiment(ROOT / "experiments" / f"{example}.yaml")
    data = ROOT / "data" / "sample" / example
    duck, spk = _on("duckdb", data, spec), _on("spark", data, spec)
    c_duck, c_spark = duck.pop("counts"), spk.pop("counts")
    assert c_spark.as_of == c_duck.as_of
    assert c_spark.assigned == c_duck.assigned and sum(c_duck.assigned.values()) > 0
    assert c_spark.daily_assigned == c_duck.daily_assigned
    assert [m.metric.name for m in c_spark.metrics] == [m.metric.name for m in c_duck.metrics]
    for m_spark, m_duck in zip(c_spark.metrics, c_duck.metrics):
        assert m_spark.by_variant == m_duck.by_variant, m_duck.metric.name  # n, sums, sums of squares: exact
        assert m_spark.covariate == m_duck.covariate, m_duck.metric.name
        assert m_spark.capping == m_duck.capping, m_duck.metric.name  # statistics.capping (onboarding)
        assert m_spark.strata == m_duck.strata, m_duck.metric.name    # statistics.adjust_for (onboarding)
    assert [c.to_dict() for c in c_spark.checks] == [c.to_dict() for c in c_duck.checks]
    for t_spark, t_duck in zip(c_spark.ledger.tables, c_duck.ledger.tables, strict=True):
        assert (t_spark.table, t_spark.rows_read, t_spark.rows_used) == (t_duck.table, t_duck.rows_read, t_duck.rows_used)
        assert [(x.reason, x.rows) for x in t_spark.left_out] == [(x.reason, x.rows) for x in t_duck.left_out]
    assert spk == duck  # curves, life table, funnels, stickiness, scores, daily and segment counts


@pytest.mark.spark
def test_spark_reads_zoneless_and_offset_csv_like_duckdb(spark, tmp_path):
    """CSV timestamps zoneless (read in data_timezone), with ' +0900' and with '+09:00': the same instants."""
    import csv

    import pyarrow.parquet as pq

    src = ROOT / "data" / "sample" / "onboarding-tour-vs-checklist"
    tokyo = dt.timezone(dt.timedelta(hours=9))
    formats = {"assignments": lambda t: t.astimezone(tokyo).strftime("%Y-%m-%d %H:%M:%S"),
               "activity": lambda t: t.astimezone(tokyo).strftime("%Y-%m-%dT%H:%M:%S +0900"),
               "guide_events": lambda t: t.astimezone(tokyo).isoformat()}
    for name, fmt in formats.items():
        rows = pq.read_table(src / f"{name}.parquet").slice(0, 2000).to_pylist()
        with open(tmp_path / f"{name}.csv", "w", encoding="utf-8", newline="") as fh:
            w = csv.writer(fh)
            w.writerow(list(rows[0]))
            w.writerows([[fmt(v) if isinstance(v, dt.datetime) else v for v in r.values()] for r in rows])

    def values(engine: str) -> list:
        ed = open_event_data(tmp_path, tuple(formats), data_timezone="Asia/Tokyo",
                             engine=EngineOptions(engine))  # type: ignore[arg-type]
        try:
            return [ed.con.execute(f"SELECT count(*), epoch(min({c})), epoch(max({c})), sum(epoch({c})), "
                                   f"count(DISTINCT CAST(timezone('Asia/Tokyo', {c}) AS DATE)) FROM {t}").fetchone()
                    for t, c in (("assignments", "assigned_at"), ("activity", "timestamp"), ("guide_events", "timestamp"))]
        finally:
            ed.close()

    duck = values("duckdb")
    assert values("spark") == duck
    first = min(pq.read_table(src / "assignments.parquet").slice(0, 2000)["assigned_at"].to_pylist())
    assert duck[0][:2] == (2000, first.timestamp())  # the zoneless local times are the original instants


@pytest.mark.spark
def test_spark_refuses_cp932_csv_naming_the_file(spark, tmp_path):
    (tmp_path / "assignments.csv").write_bytes("user_id,experiment,variant,assigned_at\n"
                                               "ユーザー1,exp,a,2026-11-02T09:00:00+09:00\n".encode("cp932"))
    with pytest.raises(DataError, match="not supported on the spark engine") as err:
        open_event_data(tmp_path, ("assignments",), engine=EngineOptions("spark"))
    assert "assignments.csv" in str(err.value)
    duck = open_event_data(tmp_path, ("assignments",))  # DuckDB re-encodes it
    try:
        assert duck.con.execute("SELECT user_id FROM assignments").fetchone() == ("ユーザー1",)
    finally:
        duck.close()


@pytest.mark.spark
@pytest.mark.parametrize("value, data_timezone, expected", [
    ("2026-11-02 09:00:00", None, ("assigned_at", "without a time zone")),
    # '… America/New_York' is not read in data_timezone with its name dropped (13 hours early): refused
    ("2026-11-02 09:00:00 America/New_York", "Asia/Tokyo", ("assigned_at: 1 value(s) are not timestamps",)),
])
def test_spark_refuses_timestamps_like_duckdb(spark, tmp_path, value, data_timezone, expected):
    (tmp_path / "assignments.csv").write_text("user_id,experiment,variant,assigned_at\n"
                                              f"u1,exp,a,{value}\n", encoding="utf-8")
    messages = []
    for engine in ("duckdb", "spark"):
        with pytest.raises(DataError) as err:
            open_event_data(tmp_path, ("assignments",), data_timezone=data_timezone,
                            engine=EngineOptions(engine))  # type: ignore[arg-type]
        messages.append(str(err.value))
    assert messages[0] == messages[1]
    assert all(words in messages[0] for words in expected)


@pytest.mark.spark
def test_account_statistics_identical_on_duckdb_and_spark(spark):
    """unit: account_id: the ledger's unit column and the per-account sums (guidelab.account_stats)
    run on Spark through guidelab.dialects and give DuckDB's numbers."""
    from guidelab.account_stats import with_account_statistics

    example = "b2b-onboarding-checklist"
    spec = load_experiment(ROOT / "experiments" / f"{example}.yaml")
    out = {}
    for engine in ("duckdb", "spark"):
        ed = open_event_data(ROOT / "data" / "sample" / example, engine=EngineOptions(engine))  # type: ignore[arg-type]
        try:
            out[engine] = with_account_statistics(ed, spec, compute_counts(ed, spec, None, TODAY))
        finally:
            ed.close()
    duck, spk = out["duckdb"], out["spark"]
    assert spk.accounts == duck.accounts and sum(duck.accounts.values()) > 100
    for m_spark, m_duck in zip(spk.metrics, duck.metrics, strict=True):
        for v, s_duck in m_duck.by_variant.items():
            s_spark = m_spark.by_variant[v]
            assert (s_spark.n_accounts, s_spark.n_users) == (s_duck.n_accounts, s_duck.n_users)
            for f in ("sum_y", "sum_y2", "sum_n2", "sum_ny", "sum_n3", "sum_n4", "sum_user_y2", "sum_y2_over_n"):
                assert getattr(s_spark, f) == pytest.approx(getattr(s_duck, f), rel=1e-12), (m_duck.metric.name, v, f)


def _same(a, b, path="result"):
    """Equal JSON forms, floats to 1e-9 relative (sums over a different order on Spark)."""
    if isinstance(a, float) and isinstance(b, float):
        assert b == pytest.approx(a, rel=1e-9, abs=1e-12), path
    elif isinstance(a, dict):
        assert isinstance(b, dict) and list(a) == list(b), path
        for k in a:
            _same(a[k], b[k], f"{path}.{k}")
    elif isinstance(a, list):
        assert isinstance(b, list) and len(a) == len(b), path
        for i, (x, y) in enumerate(zip(a, b)):
            _same(x, y, f"{path}[{i}]")
    else:
        assert a == b, path


@pytest.mark.spark
@pytest.mark.parametrize("holdout", ["account", "user"])
def test_programme_analysis_identical_on_duckdb_and_spark(spark, tmp_path, holdout):
    """The programme report (accounting, per-metric counts, the account-level sums, the interaction
    check) runs on Spark through guidelab.dialects and gives DuckDB's numbers: small simulated
    programmes, one holding out accounts (tests/fixtures/programme-account, with an experiment
    randomised by account: the clustered interaction check), one users."""
    from guidelab.programme import find_programme
    from guidelab.programme_analysis import analyze_programme
    from guidelab.simulate import simulate_programme

    folder = ROOT / "tests" / "fixtures" / "programme-account" if holdout == "account" else ROOT / "experiments"
    programme = find_programme(folder)
    specs = [load_experiment(p) for p in sorted((ROOT / "experiments").glob("*.yaml"))]
    if holdout == "account":  # and one experiment randomised by account: the clustered interaction check
        specs = [s.model_copy(update={"unit": "account_id"}) if s.id == "nps-survey-timing" else s for s in specs]
    simulate_programme(programme, specs, 1500, tmp_path, seed=8)
    duck = analyze_programme(programme, specs, tmp_path, dt.date(2026, 11, 20))
    spk = analyze_programme(programme, specs, tmp_path, dt.date(2026, 11, 20), engine=EngineOptions("spark"))
    assert duck.users.holdout > 0 and duck.users.programme > 0
    assert (duck.unit is not None) == (holdout == "account")
    assert any(p.status == "ok" for p in duck.interactions)
    if holdout == "account":
        assert all(p.test is not None and p.test.cluster_unit == "account_id" for p in duck.interactions)
    _same(duck.to_dict(), spk.to_dict())


@pytest.mark.spark
def test_account_breakdowns_identical_on_duckdb_and_spark(spark):
    """unit: account_id: the per-account sums of the deeper analyses (guidelab.account_breakdowns:
    retention curve, daily effects, segments, funnels, the log-rank scores' robust variance) run on
    Spark and give DuckDB's numbers."""
    from guidelab.account_breakdowns import clustered_breakdowns, with_account_curves, with_account_life
    from guidelab.analysis import breakdown_analyses
    from guidelab.timeseries import goal_life_counts, retention_curve_counts

    example = "b2b-onboarding-checklist"
    spec = load_experiment(ROOT / "experiments" / f"{example}.yaml")
    out = {}
    for engine in ("duckdb", "spark"):
        ed = open_event_data(ROOT / "data" / "sample" / example, engine=EngineOptions(engine))  # type: ignore[arg-type]
        try:
            counts = compute_counts(ed, spec, None, TODAY)
            curves = with_account_curves(ed, spec, retention_curve_counts(ed, spec, counts.as_of, 30), 30)
            analyses = clustered_breakdowns(ed, spec, breakdown_analyses(spec, ed, counts.as_of))
            life = with_account_life(ed, spec, goal_life_counts(ed, spec))
            analyses["_life"] = {"cross": life.unit_cross, "accounts": life.n_accounts}  # type: ignore[attr-defined]
            out[engine] = (curves, json.loads(json.dumps(to_jsonable(analyses))))
        finally:
            ed.close()
    (c_duck, a_duck), (c_spark, a_spark) = out["duckdb"], out["spark"]
    assert c_spark.by_variant == c_duck.by_variant
    for v, days in c_duck.by_account.items():
        for d, s_duck in days.items():
            s_spark = c_spark.by_account[v][d]
            assert (s_spark.n_accounts, s_spark.n_users) == (s_duck.n_accounts, s_duck.n_users)
            for f in ("sum_y", "sum_y2", "sum_n2", "sum_ny", "sum_n3", "sum_n4", "sum_user_y2", "sum_y2_over_n"):
                assert getattr(s_spark, f) == pytest.approx(getattr(s_duck, f), rel=1e-12), (v, d, f)
    assert set(a_duck["account_adjustment"]["adjusted"]) >= {"daily", "segments", "funnels"}
    assert _close(a_spark, a_duck)


def _close(a, b) -> bool:
    """Nested JSON equal up to 1e-9 relative on floats (sums in another order)."""
    if isinstance(a, dict):
        assert isinstance(b, dict) and a.keys() == b.keys()
        return all(_close(a[k], b[k]) for k in a)
    if isinstance(a, list):
        assert isinstance(b, list) and len(a) == len(b)
        return all(_close(x, y) for x, y in zip(a, b))
    if isinstance(a, float):
        assert b == pytest.approx(a, rel=1e-9, abs=1e-12)
        return True
    assert a == b
    return True


@pytest.mark.spark
def test_spark_temp_tables_are_checkpointed_and_released(spark, tmp_path):
    """A temp table's plan is a scan of stored rows (its lineage cut); with a checkpoint directory
    the rows are written there. Kept last in the module: a SparkContext's checkpoint directory
    cannot be unset, and the tests above use local checkpoints."""
    from guidelab.engine import SparkEngine

    engine = SparkEngine(spark)
    try:
        engine.execute("CREATE OR REPLACE TEMP TABLE t1 AS SELECT r.range AS k, r.range % 3 AS g FROM range(0, 100) r")
        engine.execute("CREATE OR REPLACE TEMP TABLE t2 AS SELECT g, count(*) AS n FROM t1 GROUP BY g")
        plan = spark.table("t2")._jdf.queryExecution().analyzed().toString()
        assert "LogicalRDD" in plan and "Aggregate" not in plan and "Range" not in plan  # no re-planning of t1
        assert sorted(engine.execute("SELECT g, n FROM t2").fetchall()) == [(0, 34), (1, 33), (2, 33)]
        engine.execute("CREATE OR REPLACE TEMP TABLE t3 AS SELECT k FROM t1 WHERE k < 5")
        assert "t3" in engine._cached
        engine.drop_temp_table("t3")  # freed now, not at close
        assert "t3" not in engine._cached and not spark.catalog.tableExists("t3")
        engine.drop_temp_table("t3")  # already gone: nothing to do
        spark.sparkContext.setCheckpointDir(str(tmp_path / "checkpoints"))
        engine.execute("CREATE OR REPLACE TEMP TABLE t2 AS SELECT g, sum(k) AS s FROM t1 GROUP BY g")
        assert sorted(engine.execute("SELECT g, s FROM t2").fetchall()) == [(0, 1683), (1, 1617), (2, 1650)]
        assert any(p.is_file() for p in (tmp_path / "checkpoints").rglob("*"))  # written to the directory
    finally:
        engine.close()
    assert "t1" not in [t.name for t in spark.catalog.listTables()]
