"""Reading rules of lib/events.py: every awkward export is read whole, or refused with a clear error.

Each test builds its files in ``tmp_path`` (no committed binaries) and checks either the exact
rows that reach the view or the words of the error (file, line or column, count, example).
"""
from __future__ import annotations

import datetime as dt
import gzip

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from guidelab.errors import DataError, GuidelabError, SpecError, bound_message, clip
from guidelab.events import find_source, is_side_file, open_event_data
from guidelab.report.words import check_text

UTC = dt.timezone.utc
JST = dt.timezone(dt.timedelta(hours=9))
EXP = "onboarding-tour-vs-checklist"

ASSIGN_HEADER = "user_id,experiment,variant,assigned_at"
ASSIGN_ROWS = [f"001,{EXP},holdout,2026-10-01T10:00:00+09:00",
               f"002,{EXP},tour,2026-10-02T00:30:00+09:00",
               f"003,{EXP},checklist,2026-10-03T10:00:00+09:00"]


def _csv(path, header, rows, encoding="utf-8", newline="\n"):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes((newline.join([header, *rows]) + newline).encode(encoding))
    return path


@pytest.fixture
def export(tmp_path):
    """A minimal clean export in CSV: three assignments, three guide events, two activity rows."""
    d = tmp_path / "export"
    _csv(d / "assignments.csv", ASSIGN_HEADER, ASSIGN_ROWS)
    _csv(d / "guide_events.csv", "user_id,guide_id,step,event,timestamp", [
        "002,onboarding-tour,1,tour_step_viewed,2026-10-02T00:30:05+09:00",
        "002,onboarding-tour,1,tour_cta_clicked,2026-10-02T00:30:30+09:00",
        "003,onboarding-checklist,1,tour_step_viewed,2026-10-03T10:00:05+09:00"])
    _csv(d / "activity.csv", "user_id,timestamp,event", [
        "001,2026-10-02T08:00:00+09:00,app_session",
        "002,2026-10-09T00:00:01+09:00,project_created"])
    return d


def _rows(ed, table, cols="*", order="1"):
    return ed.con.execute(f"SELECT {cols} FROM {table} ORDER BY {order}").fetchall()


def _error(data_dir, **kw) -> str:
    with pytest.raises(DataError) as exc:
        open_event_data(data_dir, **kw).close()
    return str(exc.value)


# --- one source per table -------------------------------------------------------------------
def test_clean_csv_export_is_read_whole_with_text_ids(export):
    ed = open_event_data(export)
    try:
        assert ed.has("assignments") and not ed.has("users")
        assert ed.sources["assignments"] == export / "assignments.csv"
        assert [ed.rows_read(t) for t in ("assignments", "guide_events", "activity")] == [3, 3, 2]
        assert _rows(ed, "assignments", "user_id, assigned_at") == [
            ("001", dt.datetime(2026, 10, 1, 1, tzinfo=UTC)), ("002", dt.datetime(2026, 10, 1, 15, 30, tzinfo=UTC)),
            ("003", dt.datetime(2026, 10, 3, 1, tzinfo=UTC))]
        assert {r[1] for r in ed.con.execute("DESCRIBE assignments").fetchall()} == {"VARCHAR", "TIMESTAMP WITH TIME ZONE"}
    finally:
        ed.close()
    with pytest.raises(KeyError):
        ed.rows_read("users")


def test_rows_with_empty_keys_or_times_reach_the_view_unfiltered(export):
    with open(export / "assignments.csv", "a", encoding="utf-8") as fh:
        fh.write(f"004,{EXP},tour,\n,{EXP},tour,2026-10-02T10:00:00+09:00\n004,{EXP},tour,   \n")
    ed = open_event_data(export)
    try:
        assert ed.rows_read("assignments") == 6
        assert ed.con.execute("SELECT count(*), count(assigned_at), count(user_id) FROM assignments").fetchone() == (6, 4, 5)
    finally:
        ed.close()


@pytest.mark.parametrize("second", ["assignments.parquet", "assignments/", "assignments.csv.gz", "assignments.tsv"])
def test_two_sources_for_one_table_are_an_error_naming_both(export, second):
    if second.endswith("/"):
        _csv(export / "assignments" / "part-0.csv", ASSIGN_HEADER, ASSIGN_ROWS[:1])
    elif second.endswith(".parquet"):
        pq.write_table(pa.table({"user_id": ["009"]}), export / second)
    else:
        (export / second).write_bytes(b"")
    msg = _error(export)
    assert "two sources for table 'assignments'" in msg
    assert "assignments.csv" in msg and second.rstrip("/") in msg.replace("assignments.csv and", "")


def test_missing_table_names_what_was_found(export):
    (export / "activity.csv").rename(export / "activity.xlsx")
    msg = _error(export)
    assert "missing table 'activity'" in msg and "activity.xlsx" in msg


def test_gzip_and_tsv_single_files(export):
    src = (export / "activity.csv").read_bytes()
    (export / "activity.csv").unlink()
    (export / "activity.csv.gz").write_bytes(gzip.compress(src))
    tsv = (export / "guide_events.csv").read_text(encoding="utf-8").replace(",", "\t")
    (export / "guide_events.csv").unlink()
    (export / "guide_events.tsv").write_text(tsv, encoding="utf-8")
    ed = open_event_data(export)
    try:
        assert ed.rows_read("activity") == 2 and ed.rows_read("guide_events") == 3
        assert _rows(ed, "guide_events", "event")[0] == ("tour_cta_clicked",)
    finally:
        ed.close()


# --- folders of parts ----------------------------------------------------------------------
def _parquet_part(path, users, ts, **extra):
    path.parent.mkdir(parents=True, exist_ok=True)
    cols = {"user_id": users, "timestamp": pa.array(ts, pa.timestamp("us", tz="UTC")), **extra}
    pq.write_table(pa.table(cols), path)


def test_hive_partitioned_folder_with_side_files(export):
    (export / "activity.csv").unlink()
    folder = export / "activity"
    t = dt.datetime(2026, 10, 2, tzinfo=UTC)
    _parquet_part(folder / "dt=2026-10-02" / "part-00000-abc.c000.snappy.parquet", ["001", "002"], [t, t])
    _parquet_part(folder / "dt=2026-10-03" / "part-00000-def.c000.snappy.parquet", ["003"], [t])
    _parquet_part(folder / f"dt={'__HIVE_DEFAULT_PARTITION__'}" / "part-0.parquet", ["004"], [t])
    for side in ("_SUCCESS", "_committed_123", "_started_123", ".DS_Store", "Thumbs.db",
                 "dt=2026-10-02/.part-00000-abc.c000.snappy.parquet.crc", "dt=2026-10-02/part-0.crc",
                 "_temporary/0/part-9.parquet"):
        (folder / side).parent.mkdir(parents=True, exist_ok=True)
        (folder / side).write_bytes(b"not data")
    ed = open_event_data(export)
    try:
        assert ed.sources["activity"] == folder
        assert len(ed.tables["activity"].files) == 3
        assert ed.rows_read("activity") == 4
        assert _rows(ed, "activity", "user_id, dt") == [("001", "2026-10-02"), ("002", "2026-10-02"),
                                                       ("003", "2026-10-03"), ("004", None)]
    finally:
        ed.close()


def test_spark_folder_named_like_a_file_and_nested_plain_folders(export):
    (export / "activity.csv").unlink()
    _csv(export / "activity.csv" / "2026" / "10" / "part-00000.csv", "user_id,timestamp", ["001,2026-10-02T08:00:00Z"])
    _csv(export / "activity.csv" / "2026" / "11" / "part-00000.csv", "user_id,timestamp", ["002,2026-11-02T08:00:00Z"])
    ed = open_event_data(export)
    try:
        assert ed.rows_read("activity") == 2
        assert _rows(ed, "activity", "user_id") == [("001",), ("002",)]
    finally:
        ed.close()


def test_unexpected_file_in_a_table_folder_is_an_error_naming_it(export):
    (export / "activity.csv").unlink()
    _csv(export / "activity" / "part-0.csv", "user_id,timestamp", ["001,2026-10-02T08:00:00Z"])
    (export / "activity" / "notes.xlsx").write_bytes(b"PK")
    msg = _error(export)
    assert "notes.xlsx" in msg and "unexpected file" in msg


def test_empty_folder_and_inconsistent_partitions_are_errors(export):
    (export / "activity.csv").unlink()
    (export / "activity").mkdir()
    (export / "activity" / "_SUCCESS").write_bytes(b"")
    assert "no data files" in _error(export)
    _csv(export / "activity" / "dt=1" / "a.csv", "user_id,timestamp", ["001,2026-10-02T08:00:00Z"])
    _csv(export / "activity" / "b.csv", "user_id,timestamp", ["002,2026-10-02T08:00:00Z"])
    msg = _error(export)
    assert "different keys" in msg and "a.csv" in msg and "b.csv" in msg


def test_partition_key_also_in_the_file_is_an_error(export):
    (export / "activity.csv").unlink()
    _csv(export / "activity" / "user_id=001" / "a.csv", "user_id,timestamp", ["001,2026-10-02T08:00:00Z"])
    msg = _error(export)
    assert "user_id" in msg and "folder name" in msg


def test_csv_and_parquet_parts_are_read_together(export):
    """Both parts reach the view, typed by the same rules (the Parquet part's numeric ids become text)."""
    (export / "activity.csv").unlink()
    _csv(export / "activity" / "part-0.csv", "user_id,timestamp,event",
         ["001,2026-10-02T08:00:00+09:00,app_session", "002,2026-10-02T09:00:00+09:00,"])
    _parquet_part(export / "activity" / "part-1.parquet", [3, 4],
                  [dt.datetime(2026, 10, 2, tzinfo=UTC), dt.datetime(2026, 10, 3, 12, tzinfo=UTC)], step=[1, 2])
    ed = open_event_data(export)
    try:
        assert ed.tables["activity"].formats == ("csv", "parquet")
        assert ed.rows_read("activity") == 4
        assert _rows(ed, "activity", "user_id, timestamp, event, step") == [
            ("001", dt.datetime(2026, 10, 1, 23, tzinfo=UTC), "app_session", None),
            ("002", dt.datetime(2026, 10, 2, 0, tzinfo=UTC), None, None),
            ("3", dt.datetime(2026, 10, 2, tzinfo=UTC), None, "1"),
            ("4", dt.datetime(2026, 10, 3, 12, tzinfo=UTC), None, "2")]
    finally:
        ed.close()


def test_side_file_names():
    assert all(is_side_file(n) for n in ("_SUCCESS", "_committed_1", "_started_1", ".DS_Store", "x.parquet.crc",
                                         "Thumbs.db", ".hidden", "_temporary"))
    assert not any(is_side_file(n) for n in ("part-0.parquet", "data.csv", "success.csv"))


# --- CSV as written ------------------------------------------------------------------------
def test_utf8_bom_and_crlf(export):
    _csv(export / "assignments.csv", ASSIGN_HEADER, ASSIGN_ROWS, encoding="utf-8-sig", newline="\r\n")
    ed = open_event_data(export)
    try:
        assert [r[0] for r in ed.con.execute("DESCRIBE assignments").fetchall()][0] == "user_id"
        assert _rows(ed, "assignments", "user_id, variant") == [("001", "holdout"), ("002", "tour"), ("003", "checklist")]
    finally:
        ed.close()


def test_cp932_from_japanese_excel_is_detected_and_never_modified(export):
    rows = ["001,2026-10-02T08:00:00+09:00,プロジェクト作成", "002,2026-10-02T09:00:00+09:00,ログイン①"]
    p = _csv(export / "activity.csv", "user_id,timestamp,event", rows, encoding="cp932", newline="\r\n")
    before = p.read_bytes()
    with pytest.raises(UnicodeDecodeError):
        before.decode("utf-8")
    ed = open_event_data(export)
    try:
        assert ed.tables["activity"].files[0].encoding == "cp932"
        assert _rows(ed, "activity", "event") == [("プロジェクト作成",), ("ログイン①",)]
    finally:
        ed.close()
    assert p.read_bytes() == before
    ed = open_event_data(export, encoding="cp932")  # declared
    try:
        assert ed.rows_read("activity") == 2
    finally:
        ed.close()


def test_cp932_gzip_part_in_a_folder(export):
    (export / "activity.csv").unlink()
    body = "user_id,timestamp,event\r\n001,2026-10-02T08:00:00+09:00,設定画面\r\n".encode("cp932")
    (export / "activity").mkdir()
    (export / "activity" / "part-0.csv.gz").write_bytes(gzip.compress(body))
    _csv(export / "activity" / "part-1.csv", "user_id,timestamp,event", ["002,2026-10-02T09:00:00+09:00,設定画面"])
    ed = open_event_data(export)
    try:
        assert [f.encoding for f in ed.tables["activity"].files] == ["cp932", "utf-8"]
        assert _rows(ed, "activity", "user_id, event") == [("001", "設定画面"), ("002", "設定画面")]
    finally:
        ed.close()


def test_neither_utf8_nor_cp932_names_file_and_line(export):
    p = export / "activity.csv"
    p.write_bytes(b"user_id,timestamp\n001,2026-10-02T08:00:00Z\n002,\x82\xff\xfe\n")
    msg = _error(export)
    assert "activity.csv" in msg and "line 3" in msg and "--encoding" in msg
    msg = _error(export, encoding="utf-8")
    assert "line 3" in msg and "declared encoding utf-8" in msg
    with pytest.raises(GuidelabError, match="unknown encoding"):
        open_event_data(export, encoding="no-such-codec")


def test_header_only_csv_is_an_empty_table_and_an_empty_file_an_error(export):
    _csv(export / "guide_events.csv", "user_id,guide_id,step,event,timestamp", [])
    ed = open_event_data(export)
    try:
        assert ed.rows_read("guide_events") == 0
        assert _rows(ed, "guide_events") == []
    finally:
        ed.close()
    (export / "guide_events.csv").write_bytes(b"")
    msg = _error(export)
    assert "guide_events.csv" in msg and "empty" in msg


@pytest.mark.parametrize("line, reason", [
    ("004,{exp},tour,2026-10-02T10:00:00+09:00,extra", "Expected Number of Columns: 4 Found: 5"),
    ("004,{exp}", "Expected Number of Columns: 4 Found: 2"),
    ('004,{exp},"tour,2026-10-02T10:00:00+09:00', "unterminated quote"),
])
def test_malformed_line_names_file_line_and_reason(export, line, reason):
    rows = [*ASSIGN_ROWS, line.format(exp=EXP), *ASSIGN_ROWS]
    _csv(export / "assignments.csv", ASSIGN_HEADER, rows)
    msg = _error(export)
    assert "assignments.csv" in msg and "line 5" in msg and reason in msg
    assert "Possible fixes" not in msg and len(msg.splitlines()) <= 2


def test_a_hash_line_is_data_not_a_comment(export):
    """No dialect sniffing: a row starting with '#' is a row, never a silently skipped comment."""
    _csv(export / "assignments.csv", ASSIGN_HEADER, [*ASSIGN_ROWS, f"#005,{EXP},tour,2026-10-02T10:00:00+09:00"])
    ed = open_event_data(export)
    try:
        assert ed.rows_read("assignments") == 4
    finally:
        ed.close()


def test_duplicate_or_empty_header_names(export):
    _csv(export / "activity.csv", "user_id,timestamp,user_id", ["001,2026-10-02T08:00:00Z,001"])
    assert "names this column twice" in _error(export)
    _csv(export / "activity.csv", "user_id,timestamp,", ["001,2026-10-02T08:00:00Z,x"])
    assert "column 3 of the header has no name" in _error(export)


def test_missing_column_error(export):
    _csv(export / "guide_events.csv", "user_id,guide,event,timestamp", [])
    msg = _error(export)
    assert "guide_events.csv" in msg and "guide_id" in msg and "missing column" in msg


# --- time that is never shifted ----------------------------------------------------------
def test_mixed_zoned_and_zoneless_is_an_error_naming_file_column_count_example(export):
    _csv(export / "activity.csv", "user_id,timestamp", [
        "001,2026-10-02T08:00:00+09:00", "002,2026-10-02T23:30:00", "003,2026-10-02T09:00:00+09:00",
        "004,2026-10-02 23:45:00"])
    msg = _error(export)
    assert "activity.csv" in msg and "timestamp" in msg
    assert "2 value(s) without a time zone" in msg and "while 2 carry one" in msg
    assert "2026-10-02T23:30:00" in msg or "2026-10-02 23:45:00" in msg
    assert "data_timezone" in msg


def test_mixed_zones_in_a_folder_name_the_part(export):
    (export / "activity.csv").unlink()
    _csv(export / "activity" / "part-0.csv", "user_id,timestamp", ["001,2026-10-02T08:00:00+09:00"])
    _csv(export / "activity" / "part-1.csv", "user_id,timestamp", ["002,2026-10-02T08:00:00"])
    msg = _error(export)
    assert "part-1.csv" in msg and "1 value(s) without a time zone" in msg


def test_data_timezone_reads_zoneless_values_as_local_time(export):
    _csv(export / "activity.csv", "user_id,timestamp", [
        "001,2026-10-02T08:00:00+09:00", "002,2026-10-02T23:30:00", "003,2026-10-02T00:00:00Z"])
    ed = open_event_data(export, data_timezone="Asia/Tokyo")
    try:
        assert _rows(ed, "activity", "user_id, timestamp") == [
            ("001", dt.datetime(2026, 10, 1, 23, tzinfo=UTC)),
            ("002", dt.datetime(2026, 10, 2, 14, 30, tzinfo=UTC)),   # 23:30 in Tokyo, not 23:30 UTC
            ("003", dt.datetime(2026, 10, 2, 0, tzinfo=UTC))]
    finally:
        ed.close()


def test_a_date_without_time_is_not_mistaken_for_an_offset(export):
    """'2026-10-01' ends in '-01', which an offset-only pattern would read as UTC-1."""
    _csv(export / "activity.csv", "user_id,timestamp", ["001,2026-10-01"])
    assert "without a time zone" in _error(export)


def test_unparsable_timestamp(export):
    _csv(export / "activity.csv", "user_id,timestamp", ["001,2026-10-02T08:00:00+09:00", "002,yesterday"])
    msg = _error(export)
    assert "1 value(s) are not timestamps" in msg and "'yesterday'" in msg


def test_parquet_timestamp_without_zone(export):
    (export / "activity.csv").unlink()
    naive = pa.array([dt.datetime(2026, 10, 2, 23, 30)], pa.timestamp("us"))
    pq.write_table(pa.table({"user_id": ["001"], "timestamp": naive}), export / "activity.parquet")
    msg = _error(export)
    assert "activity.parquet" in msg and "timestamp" in msg and "1 timestamps have no time zone" in msg
    ed = open_event_data(export, data_timezone="Asia/Tokyo")
    try:
        assert _rows(ed, "activity", "timestamp") == [(dt.datetime(2026, 10, 2, 14, 30, tzinfo=UTC),)]
    finally:
        ed.close()


def test_spec_data_timezone_is_validated(tmp_path, root):
    from guidelab.experiment import load_experiment

    text = (root / "experiments" / f"{EXP}.yaml").read_text(encoding="utf-8")
    p = tmp_path / f"{EXP}.yaml"
    p.write_text(text + "\ndata_timezone: Asia/Tokyo\n", encoding="utf-8")
    assert load_experiment(p).data_timezone == "Asia/Tokyo"
    p.write_text(text + "\ndata_timezone: Mars/Olympus\n", encoding="utf-8")
    with pytest.raises(SpecError, match="unknown time zone 'Mars/Olympus'"):
        load_experiment(p)


# --- empty tables (issue 10, item 5) -------------------------------------------------------
def test_empty_guide_events_is_investigate_with_guide_never_shown(export, onboarding_spec):
    from guidelab.analysis import analyze_experiment

    _csv(export / "guide_events.csv", "user_id,guide_id,step,event,timestamp", [])
    result = analyze_experiment(onboarding_spec, export, dt.date(2026, 10, 11))
    check = next(c for c in result.data_checks if c.code == "guide_never_shown")
    assert not check.passed and "0 of 2 users" in check_text(check)[1]
    assert "ガイド" in check_text(check, "ja")[0]
    assert result.decision.verdict == "INVESTIGATE"


def test_empty_activity_is_a_failed_check(export, onboarding_spec):
    from guidelab.analysis import analyze_experiment

    _csv(export / "activity.csv", "user_id,timestamp", [])
    result = analyze_experiment(onboarding_spec, export, dt.date(2026, 10, 11))
    check = next(c for c in result.data_checks if c.code == "activity_present")
    assert not check.passed
    assert result.decision.verdict == "INVESTIGATE"


def test_clean_export_passes_the_new_checks(export, onboarding_spec):
    from guidelab.analysis import analyze_experiment

    result = analyze_experiment(onboarding_spec, export, dt.date(2026, 10, 11))
    assert {c.code: c.passed for c in result.data_checks if c.code in ("guide_never_shown", "activity_present")} == \
        {"guide_never_shown": True, "activity_present": True}


# --- bounded messages (issue 10, item 6) -----------------------------------------------------
def test_clip_quotes_at_most_200_characters():
    huge = "x" * 200_000
    out = clip(huge)
    assert out.startswith("'xxx") and "(200,000 characters)" in out and len(out) < 240
    assert clip("short") == "'short'" and clip(3) == "3"
    assert len(bound_message("y" * 200_000)) < 700
    assert len(str(GuidelabError("bad: " + "z" * 200_000))) < 700


def test_an_error_quoting_a_200000_character_value_stays_short(export):
    _csv(export / "activity.csv", "user_id,timestamp", ["001,2026-10-02T08:00:00+09:00", "002," + "9" * 200_000])
    msg = _error(export)
    assert "activity.csv" in msg and "(200,000 characters)" in msg and len(msg) < 1000
    _csv(export / "activity.csv", "user_id,timestamp", ["001,2026-10-02T08:00:00+09:00," + "q" * 200_000])
    msg = _error(export)
    assert "activity.csv" in msg and "line 2" in msg and len(msg) < 1000


def test_a_200000_character_spec_value_stays_short(tmp_path, root):
    from guidelab.experiment import load_experiment

    text = (root / "experiments" / f"{EXP}.yaml").read_text(encoding="utf-8")
    p = tmp_path / f"{EXP}.yaml"
    p.write_text(text + f"\ndata_timezone: {'A' * 200_000}\n", encoding="utf-8")
    with pytest.raises(SpecError) as exc:
        load_experiment(p)
    assert len(str(exc.value)) < 1500 and "200,000 characters" in str(exc.value)


def test_find_source_is_none_without_a_table(tmp_path):
    assert find_source(tmp_path, "users") is None


def test_duckdb_reads_nothing_twice(export):
    """The view re-reads the source: counting it again gives rows_read (no row lost, none doubled)."""
    ed = open_event_data(export)
    try:
        for t in ("assignments", "guide_events", "activity"):
            assert ed.con.execute(f"SELECT count(*) FROM {t}").fetchone()[0] == ed.rows_read(t)
    finally:
        ed.close()
    assert isinstance(duckdb.__version__, str)


def test_header_only_table_to_analyze_is_a_clear_error(tmp_path):
    from guidelab.analysis import analyze_user_table

    p = _csv(tmp_path / "users.csv", "variant,converted", [])
    with pytest.raises(DataError, match="no rows"):
        analyze_user_table(p, "variant", "control", ["converted"])


def test_parquet_rows_read_and_text_ids(export):
    (export / "assignments.csv").unlink()
    pq.write_table(pa.table({"user_id": ["00000003", None], "experiment": [EXP, EXP], "variant": ["tour", "tour"],
                             "assigned_at": pa.array([dt.datetime(2026, 10, 2, tzinfo=UTC), None],
                                                     pa.timestamp("us", tz="UTC"))}), export / "assignments.parquet")
    ed = open_event_data(export)
    try:
        assert ed.rows_read("assignments") == 2
        assert _rows(ed, "assignments", "user_id", "1 NULLS LAST") == [("00000003",), (None,)]
    finally:
        ed.close()


def test_zone_spellings(export):
    _csv(export / "activity.csv", "user_id,timestamp", [
        "001,2026-10-02T08:00:00z", "002,2026-10-02 08:00:00 +0900", "003,2026-10-02 08:00:00.5+09", "004,2026-10-02 08:00 UTC",
        "005,  2026-10-02T08:00:00+09:00  "])
    ed = open_event_data(export)
    try:
        assert _rows(ed, "activity", "timestamp", order="user_id") == [
            (dt.datetime(2026, 10, 2, 8, tzinfo=UTC),), (dt.datetime(2026, 10, 1, 23, tzinfo=UTC),),
            (dt.datetime(2026, 10, 1, 23, 0, 0, 500000, tzinfo=UTC),), (dt.datetime(2026, 10, 2, 8, tzinfo=UTC),),
            (dt.datetime(2026, 10, 1, 23, tzinfo=UTC),)]
    finally:
        ed.close()


def test_nanosecond_parquet_timestamps(export):
    (export / "activity.csv").unlink()
    ts = pa.array([1_790_000_000_123_456_000], pa.timestamp("ns", tz="UTC"))
    naive = pa.array([1_790_000_000_123_456_789], pa.timestamp("ns"))
    pq.write_table(pa.table({"user_id": ["001"], "timestamp": ts}), export / "activity.parquet")
    ed = open_event_data(export)
    try:
        assert _rows(ed, "activity", "timestamp")[0][0] == dt.datetime(2026, 9, 21, 14, 13, 20, 123456, tzinfo=UTC)
    finally:
        ed.close()
    pq.write_table(pa.table({"user_id": ["001"], "timestamp": naive}), export / "activity.parquet")
    assert "have no time zone" in _error(export)


def test_utf16_from_excel_is_refused_unless_declared(export):
    """Excel's 'Unicode text' is UTF-16: not guessed (its bytes are neither UTF-8 nor CP932), read when declared."""
    rows = ["001,2026-10-02T08:00:00+09:00,設定", "002,2026-10-02T09:00:00+09:00,ログイン"]
    _csv(export / "activity.csv", "user_id,timestamp,event", rows, encoding="utf-16", newline="\r\n")
    msg = _error(export)
    assert "activity.csv" in msg and "not CP932" in msg and "--encoding" in msg
    assert "assignments.csv" in _error(export, encoding="utf-16")  # a declared encoding holds for every CSV file
    for name in ("assignments.csv", "guide_events.csv"):
        text = (export / name).read_text(encoding="utf-8")
        (export / name).write_bytes(text.encode("utf-16"))
    ed = open_event_data(export, encoding="utf-16")
    try:
        assert _rows(ed, "activity", "user_id, event") == [("001", "設定"), ("002", "ログイン")]
        assert ed.rows_read("assignments") == 3
    finally:
        ed.close()


def test_analyze_reads_a_cp932_table(tmp_path):
    from guidelab.analysis import user_table_counts

    rows = [f"{i},{'ツアー' if i % 2 else '対照'},{'yes' if i % 3 == 0 else 'no'}" for i in range(60)]
    utf8 = _csv(tmp_path / "u8.csv", "user_id,variant,converted", rows)
    sjis = _csv(tmp_path / "sjis.csv", "user_id,variant,converted", rows, encoding="cp932", newline="\r\n")
    got = user_table_counts(sjis, "variant", ["converted"])
    assert got[:2] == user_table_counts(utf8, "variant", ["converted"])[:2]
    assert set(got[0]) == {"ツアー", "対照"}


def test_report_refuses_two_sources_before_running_the_notebook(export, root, tmp_path):
    from guidelab.report import run_report

    pq.write_table(pa.table({"user_id": ["009"]}), export / "assignments.parquet")
    with pytest.raises(DataError, match="two sources"):
        run_report(root / "experiments" / f"{EXP}.yaml", export, tmp_path / "reports")
    assert not (tmp_path / "reports" / f"{EXP}.ipynb").exists()


def test_duckdb_memory_limit_temp_dir_and_threads(tmp_path, monkeypatch):
    """DuckDB is bounded explicitly: a memory limit, a spill folder under the system temp dir
    (never the working directory, removed on close), both and the threads set by environment."""
    import tempfile
    from pathlib import Path

    from guidelab.errors import GuidelabError
    from guidelab.events import duckdb_settings

    sample = Path(__file__).resolve().parents[1] / "data" / "sample" / "onboarding-tour-vs-checklist"
    for name in ("GUIDELAB_DUCKDB_MEMORY_LIMIT", "GUIDELAB_DUCKDB_TEMP_DIR", "GUIDELAB_DUCKDB_THREADS"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)

    def current(ed):
        return ed.con.execute("SELECT current_setting('memory_limit'), current_setting('temp_directory'), "
                              "current_setting('threads')").fetchone()

    ed = open_event_data(sample)
    try:
        memory, spill, _ = current(ed)
        assert memory == "610.3 MiB"  # 640MB (10^6 bytes each), as DuckDB shows it: small data
        assert Path(spill).parent == Path(tempfile.gettempdir()) and Path(spill).name.startswith("guidelab-duckdb-")
        assert Path(spill).is_dir() and tmp_path not in Path(spill).parents
        # joins hash the side guidelab writes on the right (the assigned users), not DuckDB's guess
        assert "build_side_probe_side" in ed.con.execute("SELECT current_setting('disabled_optimizers')").fetchone()[0]
    finally:
        ed.close()
    assert not Path(spill).exists()
    monkeypatch.setenv("GUIDELAB_DUCKDB_MEMORY_LIMIT", "512MB")
    monkeypatch.setenv("GUIDELAB_DUCKDB_TEMP_DIR", str(tmp_path / "spill"))
    monkeypatch.setenv("GUIDELAB_DUCKDB_THREADS", "1")
    ed = open_event_data(sample)
    try:
        assert current(ed) == ("488.2 MiB", str(tmp_path / "spill"), 1)
    finally:
        ed.close()
    monkeypatch.setenv("GUIDELAB_DUCKDB_MEMORY_LIMIT", "2GB")  # set: kept whatever the data's size
    assert duckdb_settings().memory_limit_for(10) == "2GB"
    monkeypatch.delenv("GUIDELAB_DUCKDB_MEMORY_LIMIT")
    assert duckdb_settings().memory_limit_for(20_000_000) == "640MB"  # not set: sized to the data
    assert duckdb_settings().memory_limit_for(20_000_001) == "1200MB"
    for name, value in (("GUIDELAB_DUCKDB_MEMORY_LIMIT", "lots"), ("GUIDELAB_DUCKDB_THREADS", "0")):
        monkeypatch.setenv(name, value)
        with pytest.raises(GuidelabError, match=name):
            duckdb_settings()
        monkeypatch.setenv(name, "1" if "THREADS" in name else "1GB")


def test_a_large_csv_table_is_read_once_into_a_parquet_copy(tmp_path, monkeypatch):
    """Past CSV_COPY_BYTES bytes a CSV table's typed view is written once to Parquet under DuckDB's
    temp folder and read from there: the same columns, types and rows as the view over the CSV;
    the copy is gone when the data is closed; a copy that cannot be written names the file and
    the folder."""
    from pathlib import Path

    from guidelab import events

    sample = Path(__file__).resolve().parents[1] / "data" / "sample" / "maintenance-banner-copy"  # CSV files
    spill = tmp_path / "spill"  # not made yet: the copy makes it
    monkeypatch.setenv("GUIDELAB_DUCKDB_TEMP_DIR", str(spill))
    tables = ("assignments", "guide_events", "activity", "users")

    def read(ed):
        out = {}
        for name in tables:
            out[name] = (ed.con.execute(f"DESCRIBE {name}").fetchall(),
                         sorted(ed.con.execute(f"SELECT * FROM {name}").fetchall(), key=repr))
        return out

    ed = open_event_data(sample)
    try:
        assert not list(spill.glob("guidelab-csv-*"))  # small tables: views over the CSV files
        over_csv = read(ed)
    finally:
        ed.close()
    monkeypatch.setattr(events, "CSV_COPY_BYTES", 0)
    ed = open_event_data(sample)
    try:
        (copies,) = spill.glob("guidelab-csv-*")
        assert sorted(p.name for p in copies.iterdir()) == sorted(f"{t}.parquet" for t in tables)
        for name in tables:
            view = ed.con.execute("SELECT sql FROM duckdb_views() WHERE view_name = ?", [name]).fetchone()[0]
            assert "read_parquet" in view and "read_csv" not in view
        assert read(ed) == over_csv and len(over_csv["activity"][1]) > 1000
        assert ed.row_counts["activity"] == len(over_csv["activity"][1])
    finally:
        ed.close()
    assert not copies.exists()

    execute = events.DuckDBEngine.execute

    def disk_full(self, sql, params=None):
        if sql.startswith("COPY ("):  # DuckDB names the file it could not write
            target = sql.rsplit(" TO '", 1)[1].split("'")[0]
            raise duckdb.IOException(f'IO Error: Async write failed for range [offset=27, size=280735]: '
                                     f'{{"exception_message":"Could not write file \\"{target}\\": No space left on device"}}')
        return execute(self, sql, params)

    monkeypatch.setattr(events.DuckDBEngine, "execute", disk_full)
    with pytest.raises(GuidelabError) as err:
        open_event_data(sample)
    text = str(err.value)
    assert "assignments.csv: its Parquet copy could not be written under" in text and "No space left on device\n" in text
    assert "GUIDELAB_DUCKDB_TEMP_DIR" in text and "Traceback" not in text
    assert not list(spill.glob("guidelab-csv-*"))  # removed with the data that failed to open


@pytest.mark.parametrize("rows, kw", [
    (["001,2026-10-02T08:00:00+09:00", "002,yesterday"], {}),                           # unreadable
    (["001,2026-10-02T08:00:00+09:00", "002,2026-10-02T23:30:00"], {}),                  # mixed, no zone given
    (["001,2026-10-02T08:00:00+09:00", "002,2026-10-02 23:45", "003,junk"], {"data_timezone": "Asia/Tokyo"}),
])
def test_the_parquet_copy_refuses_the_same_timestamps_with_the_same_words(export, tmp_path, monkeypatch, rows, kw):
    """The copy's one pass screens each timestamp; one that the checks refuse sends them to the CSV,
    for the same message, and leaves no copy behind."""
    from guidelab import events

    _csv(export / "activity.csv", "user_id,timestamp", rows)
    monkeypatch.setenv("GUIDELAB_DUCKDB_TEMP_DIR", str(tmp_path / "spill"))
    over_csv = _error(export, **kw)
    monkeypatch.setattr(events, "CSV_COPY_BYTES", 0)
    assert _error(export, **kw) == over_csv
    assert not list((tmp_path / "spill").glob("guidelab-csv-*/*"))


def test_a_csv_the_copy_cannot_read_gets_the_words_of_the_view(export, tmp_path, monkeypatch):
    """DuckDB refuses a gzip stream followed by padding (Python's gzip check takes it): an error
    while the copy reads the CSV is a read error naming the file, as over the CSV, not a failure to
    write the copy."""

    from guidelab import events

    (export / "activity.csv").unlink()
    (export / "activity.csv.gz").write_bytes(gzip.compress(b"user_id,timestamp\n001,2026-10-02T08:00:00Z\n") + b"\0" * 64)
    monkeypatch.setenv("GUIDELAB_DUCKDB_TEMP_DIR", str(tmp_path / "spill"))
    outcomes = []
    for copy_bytes in (10**12, 0):
        monkeypatch.setattr(events, "CSV_COPY_BYTES", copy_bytes)
        try:
            ed = open_event_data(export)
        except GuidelabError as exc:
            outcomes.append((type(exc).__name__, str(exc)))
        else:  # a DuckDB that reads such a stream: then both read the same rows
            outcomes.append(("read", _rows(ed, "activity")))
            ed.close()
    assert outcomes[0] == outcomes[1]
    assert outcomes[0][0] != "DataError" or "activity.csv.gz: cannot be read" in outcomes[0][1]


def test_no_folder_for_the_copy_reads_the_csv_itself_and_made_folders_go(export, tmp_path, monkeypatch):
    """The copy only saves time: with no folder for it (a path under a file), the CSV is read
    itself; a temp folder guidelab had to make is removed again on close, parents included."""
    from guidelab import events

    monkeypatch.setattr(events, "CSV_COPY_BYTES", 0)
    (tmp_path / "a-file").write_text("")
    got = []
    for spill in (tmp_path / "a-file" / "spill", tmp_path / "new" / "a" / "spill"):
        monkeypatch.setenv("GUIDELAB_DUCKDB_TEMP_DIR", str(spill))
        ed = open_event_data(export)
        try:
            view = ed.con.execute("SELECT sql FROM duckdb_views() WHERE view_name = 'activity'").fetchone()[0]
            got.append((_rows(ed, "activity"), "read_parquet" in view))
        finally:
            ed.close()
    assert got[0][0] == got[1][0] and len(got[0][0]) == 2
    assert [g[1] for g in got] == [False, True]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a-file", "export"]


@pytest.mark.parametrize("column", ["_gl_v0", "_GL_day", "_gl_n"])
@pytest.mark.parametrize("copy_bytes", [10**12, 0])
def test_a_column_named_like_guidelabs_working_columns_is_refused(export, tmp_path, monkeypatch, column, copy_bytes):
    """guidelab's SQL adds working columns named _gl_*; a table's own column of such a name would be
    read in their place (a timestamp taken from another column, a count doubled), so it is refused."""
    from guidelab import events

    monkeypatch.setattr(events, "CSV_COPY_BYTES", copy_bytes)
    monkeypatch.setenv("GUIDELAB_DUCKDB_TEMP_DIR", str(tmp_path / "spill"))
    _csv(export / "activity.csv", f"user_id,timestamp,{column}", ["001,2026-10-02T08:00:00+09:00,2030-01-01T00:00:00Z"])
    text = _error(export)
    assert text.startswith(f"{export / 'activity.csv'}: {column}: reserved column name: names beginning with _gl_")


@pytest.mark.parametrize("value", ["2026-10-02 08:00:00 JST", "2026-10-02T08:00:00 America/New_York", "infinity"])
@pytest.mark.parametrize("copy_bytes", [10**12, 0])
def test_a_zone_by_name_is_refused_not_read_in_data_timezone(export, tmp_path, monkeypatch, value, copy_bytes):
    """DuckDB's TIMESTAMP cast reads '… America/New_York' and drops the name: read in data_timezone,
    08:00 New York would become 08:00 Tokyo, 13 hours early. A zoneless-looking value that ends in a
    word is refused as not a timestamp, over the CSV and from its copy alike."""
    from guidelab import events

    monkeypatch.setattr(events, "CSV_COPY_BYTES", copy_bytes)
    monkeypatch.setenv("GUIDELAB_DUCKDB_TEMP_DIR", str(tmp_path / "spill"))
    _csv(export / "activity.csv", "user_id,timestamp", ["001,2026-10-02T08:00:00+09:00", f"002,{value}"])
    text = _error(export, data_timezone="Asia/Tokyo")
    assert text.startswith(f"{export / 'activity.csv'}: timestamp: 1 value(s) are not timestamps, e.g. {value!r}")


def test_the_parquet_copy_reads_zones_and_local_times_like_the_view(export, tmp_path, monkeypatch):
    from guidelab import events

    _csv(export / "activity.csv", "user_id,timestamp", [
        "001,2026-10-02T08:00:00+09:00", "002,2026-10-02T23:30:00", "003, 2026-10-02T00:00:00z ",
        "004,2026-10-02 09:00:00 +0900", "005,", "006,2026-03-29 02:30:00"])
    monkeypatch.setenv("GUIDELAB_DUCKDB_TEMP_DIR", str(tmp_path / "spill"))
    got = []
    for copy_bytes in (10**12, 0):
        monkeypatch.setattr(events, "CSV_COPY_BYTES", copy_bytes)
        ed = open_event_data(export, data_timezone="Europe/Berlin")  # 02:30 on 2026-03-29 does not exist there
        try:
            view = ed.con.execute("SELECT sql FROM duckdb_views() WHERE view_name = 'activity'").fetchone()[0]
            got.append((_rows(ed, "activity", "user_id, timestamp"), ed.rows_read("activity"), "read_parquet" in view))
        finally:
            ed.close()
    assert got[0][:2] == got[1][:2] and [g[2] for g in got] == [False, True]
    assert got[0][0][4] == ("005", None) and got[0][1] == 6
