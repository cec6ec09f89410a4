"""The awkward-export corpus (issue 10): every case an export a real team could send, built by code.

Each case writes an export from a small seeded simulation (tests/corpus.py) and states its
outcome, computed from the change the case made:

* ``same``: the result's sufficient statistics (counts of every metric per variant, SRM counts,
  the verdict) equal the clean export's exactly; the row ledger reads every row written and
  leaves out exactly what the clean export's does, plus the case's own ledger lines
  (e.g. ``exact_duplicate`` with the number of copies added);
* ``error``: a :class:`~guidelab.errors.DataError` of a few lines naming the file(s) and the
  field, with no traceback and no long echo of a value;
* ``flagged``: the analysis runs, the ledger shows the case's reason with exactly the rows the
  case added, ``rows_read = rows_used + sum(left_out)`` holds for every table, and where a
  documented check fails the verdict is INVESTIGATE with that check.

The base exports are simulated once per session; each case writes its own copy.
"""
from __future__ import annotations

import datetime as dt
import json
import random
import re
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import corpus as C
import pyarrow as pa
import pytest

from guidelab.analysis import analyze_experiment
from guidelab.errors import DataError
from guidelab.experiment import load_experiment


# --- the case model --------------------------------------------------------------------------
@dataclass
class Export:
    """What a case wrote: the data folder, the data rows per table, and the spec to use."""

    dir: Path
    rows: dict[str, int]
    spec_path: Path | None = None
    encoding: str | None = None  # the encoding declared for the CSV files (--encoding), if any


@dataclass(frozen=True)
class Case:
    id: str
    base: str
    build: Callable[[C.Base, Path], Export]
    kind: str  # same | error | flagged | same_or_error | error_or_investigate
    names: tuple[str, ...] = ()           # error: text the message must contain (file, field, count...)
    ledger: tuple[tuple[str, str, int], ...] = ()  # (table, reason, rows this case adds to that line)
    same_stats: bool = True               # flagged: the metric counts must still equal the clean export's
    verdict: str | None = None            # flagged: INVESTIGATE when a documented check fails
    failed_check: str | None = None       # flagged: the code of the failed check
    assigned_delta: dict[str, int] = field(default_factory=dict)  # flagged: change of users per variant
    check: Callable[[str], None] | None = None  # error: a case-specific check of the message


CASES: list[Case] = []


def case(id: str, base: str, kind: str, **kw) -> Callable:
    def register(fn: Callable[[C.Base, Path], Export]) -> Callable:
        CASES.append(Case(id, base, fn, kind, **kw))
        return fn
    return register


def plain(base: C.Base, out: Path, **kw) -> Export:
    return Export(out, C.write_export(base, out, **kw))


def ts(base: C.Base, day: dt.date, hour: int, minute: int = 0) -> dt.datetime:
    """A local wall time of the experiment's zone, as a UTC instant."""
    return dt.datetime.combine(day, dt.time(hour, minute), tzinfo=base.tz).astimezone(dt.timezone.utc)


# --- SAME: the same rows in another form ------------------------------------------------------
@case("onboarding-parquet-as-csv", "onboarding", "same")
def _(b, out):
    return plain(b, out, fmt="csv")


@case("banner-csv-as-parquet", "banner", "same")
def _(b, out):
    return plain(b, out, fmt="parquet")


@case("nps-parquet-as-csv", "nps", "same")
def _(b, out):
    return plain(b, out, fmt="csv")


@case("onboarding-folder-of-parquet-parts", "onboarding", "same")
def _(b, out):
    return plain(b, out, layout="parts")


@case("banner-folder-of-csv-parts", "banner", "same")
def _(b, out):
    return plain(b, out, layout="parts")


@case("onboarding-hive-partitions-parquet", "onboarding", "same")
def _(b, out):
    return plain(b, out, layout={"guide_events": "hive", "activity": "hive"})


@case("banner-hive-partitions-csv", "banner", "same")
def _(b, out):
    return plain(b, out, layout={"guide_events": "hive", "assignments": "hive"})


@case("banner-spark-side-files-csv", "banner", "same")
def _(b, out):
    e = plain(b, out, layout="parts")
    for name in ("assignments", "guide_events", "activity", "users"):
        d = out / name
        (d / "_SUCCESS").write_bytes(b"")
        (d / ".DS_Store").write_bytes(b"\x00\x00\x00\x01Bud1\x00\x00")
        for part in sorted(d.glob("part-*.csv")):
            (d / f".{part.name}.crc").write_bytes(b"crc\x00\x12\x34\x56\x78")
    return e


@case("onboarding-spark-side-files-parquet", "onboarding", "same")
def _(b, out):
    e = plain(b, out, layout="parts")
    for name in ("assignments", "guide_events", "activity", "users"):
        d = out / name
        (d / "_SUCCESS").write_bytes(b"")
        (d / "part-00000.parquet.crc").write_bytes(b"crc\x00\x12\x34")
        (d / "._part-00000.parquet").write_bytes(b"\x00\x05\x16\x07AppleDouble junk")
        (d / ".hidden").write_text("not data\n", encoding="utf-8")
    return e


@case("banner-top-level-side-files", "banner", "same")
def _(b, out):
    e = plain(b, out)
    (out / "_SUCCESS").write_bytes(b"")
    (out / ".DS_Store").write_bytes(b"\x00\x00\x00\x01Bud1")
    (out / "export_manifest.json").write_text('{"exported_by": "warehouse"}\n', encoding="utf-8")
    return e


@case("onboarding-parquet-integer-ids", "onboarding", "same")
def _(b, out):  # a warehouse that stores ids as integers in some tables and as text in others
    ids = sorted(b.tables["users"].column("user_id").to_pylist())
    t = C.rename_ids(b.tables, {u: str(1000 + i) for i, u in enumerate(ids)})
    for name in ("assignments", "activity"):
        tbl = t[name]
        t[name] = tbl.set_column(tbl.column_names.index("user_id"), "user_id", tbl.column("user_id").cast(pa.int64()))
    return plain(b, out, tables=t)


@case("banner-utf8-bom", "banner", "same")
def _(b, out):
    return plain(b, out, style=C.CsvStyle(bom=True))


JAPANESE_NOTES = ["東京都の顧客", "大阪府・法人", "ｶﾀｶﾅ半角", "①丸数字と髙橋", "テスト〜～"]


def _with_note(tbl: pa.Table, column: str) -> pa.Table:
    return tbl.append_column(column, pa.array([JAPANESE_NOTES[i % len(JAPANESE_NOTES)] for i in range(tbl.num_rows)]))


@case("banner-cp932-excel-japanese", "banner", "same")
def _(b, out):
    t = b.copy_tables()
    t["assignments"] = _with_note(t["assignments"], "メモ")
    t["users"] = _with_note(t["users"], "会社名")
    return plain(b, out, tables=t, style=C.CsvStyle(encoding="cp932", newline="\r\n"))


@case("onboarding-csv-users-in-cp932", "onboarding", "same")
def _(b, out):
    t = b.copy_tables()
    users = _with_note(t.pop("users"), "都道府県")
    rows = C.write_export(b, out, tables=t, fmt="csv")
    rows["users"] = C.write_csv(users, out / "users.csv", b.tz, C.CsvStyle(encoding="cp932"))
    return Export(out, rows)


@case("banner-cp932-declared-encoding", "banner", "same")
def _(b, out):
    t = b.copy_tables()
    t["users"] = _with_note(t["users"], "会社名")
    e = plain(b, out, tables=t, style=C.CsvStyle(encoding="cp932"))
    e.encoding = "cp932"
    return e


@case("banner-latin1-declared-encoding", "banner", "same")
def _(b, out):  # Latin-1 bytes that would also decode, wrongly, as CP932: the declaration decides
    t = b.copy_tables()
    cities = ["Zürich", "São Paulo", "Málaga", "Besançon"]
    t["users"] = t["users"].append_column("city", pa.array([cities[i % 4] for i in range(t["users"].num_rows)]))
    e = plain(b, out, tables=t, style=C.CsvStyle(encoding="latin-1"))
    e.encoding = "latin-1"
    return e


@case("banner-gzip", "banner", "same")
def _(b, out):
    return plain(b, out, style=C.CsvStyle(gzip=True))


@case("banner-crlf", "banner", "same")
def _(b, out):
    return plain(b, out, style=C.CsvStyle(newline="\r\n"))


@case("banner-quote-every-field", "banner", "same")
def _(b, out):
    return plain(b, out, style=C.CsvStyle(quote_all=True))


@case("onboarding-shuffled-rows", "onboarding", "same")
def _(b, out):
    rng = random.Random(5)
    t = {}
    for name, tbl in b.tables.items():
        order = list(range(tbl.num_rows))
        rng.shuffle(order)
        t[name] = tbl.take(pa.array(order))
    return plain(b, out, tables=t)


@case("banner-columns-reordered", "banner", "same")
def _(b, out):
    t = {name: tbl.select(list(reversed(tbl.column_names))) for name, tbl in b.tables.items()}
    return plain(b, out, tables=t)


@case("banner-extra-unknown-columns", "banner", "same")
def _(b, out):
    t = {}
    for name, tbl in b.tables.items():
        n = tbl.num_rows
        tbl = tbl.append_column("app_version", pa.array([f"4.{i % 7}.0" for i in range(n)]))
        tbl = tbl.append_column("received_at", pa.array([f"2026-11-0{1 + i % 9} 10:00:00" for i in range(n)]))
        t[name] = tbl.append_column("score", pa.array([i % 3 for i in range(n)], type=pa.int64()))
    return plain(b, out, tables=t)


def _zero_padded_ids(b: C.Base) -> dict[str, str]:
    """Ids that are equal as numbers but not as text ('01', '001', '0001' are three users)."""
    ids = sorted(b.tables["users"].column("user_id").to_pylist())
    return {u: "0" * (1 + i % 3) + str(i // 3 + 1) for i, u in enumerate(ids)}


@case("banner-leading-zero-ids", "banner", "same")
def _(b, out):
    return plain(b, out, tables=C.rename_ids(b.tables, _zero_padded_ids(b)))


@case("onboarding-leading-zero-ids-csv", "onboarding", "same")
def _(b, out):
    return plain(b, out, tables=C.rename_ids(b.tables, _zero_padded_ids(b)), fmt="csv")


@case("banner-offsets-utc", "banner", "same")
def _(b, out):
    return plain(b, out, style=C.CsvStyle(timestamps="utc"))


@case("banner-offsets-z-suffix", "banner", "same")
def _(b, out):
    return plain(b, out, style=C.CsvStyle(timestamps="z"))


@case("banner-offsets-mixed-per-row", "banner", "same")
def _(b, out):
    return plain(b, out, style=C.CsvStyle(timestamps="mixed"))


@case("banner-space-separator", "banner", "same")
def _(b, out):
    return plain(b, out, style=C.CsvStyle(timestamps="space"))


@case("banner-fractional-seconds", "banner", "same")
def _(b, out):  # every instant 0.25 s later: no order, day or window changes
    return plain(b, out, tables=C.shift_instants(b.tables, dt.timedelta(milliseconds=250)),
                 style=C.CsvStyle(timestamps="micro"))


@case("onboarding-parquet-ns-timestamps-dictionary-ids", "onboarding", "same")
def _(b, out):
    t = {}
    for name, tbl in b.tables.items():
        fields = []
        for f in tbl.schema:
            if pa.types.is_timestamp(f.type):
                fields.append(pa.field(f.name, pa.timestamp("ns", tz="UTC")))
            elif f.name in ("guide_id", "event", "variant", "experiment"):
                fields.append(pa.field(f.name, pa.dictionary(pa.int32(), pa.string())))
            else:
                fields.append(f)
        t[name] = tbl.cast(pa.schema(fields))
    return plain(b, out, tables=t)


@case("onboarding-parquet-ms-timestamps-large-strings", "onboarding", "same")
def _(b, out):
    t = {}
    for name, tbl in b.tables.items():
        fields = [pa.field(f.name, pa.timestamp("ms", tz="UTC")) if pa.types.is_timestamp(f.type)
                  else pa.field(f.name, pa.large_string()) if pa.types.is_string(f.type) else f
                  for f in tbl.schema]
        t[name] = tbl.cast(pa.schema(fields))
    return plain(b, out, tables=t)


@case("banner-zoneless-with-declared-data-timezone", "banner", "same")
def _(b, out):  # every 4th timestamp without a zone: local wall time, as the spec declares
    e = plain(b, out, style=C.CsvStyle(timestamps="local"))
    for name in ("assignments", "guide_events", "activity"):
        C.write_csv(b.tables[name], out / f"{name}.csv", b.tz,
                    timestamp_override=lambda i, col, v: C.format_instant(v, "naive", b.tz) if (
                        col in ("assigned_at", "timestamp") and i % 4 == 0) else None)
    e.spec_path = C.spec_with(b, out.parent, f"data_timezone: {b.spec.timezone}")
    return e


def _duplicate(tbl: pa.Table, rows: list[int], copies: int = 1) -> pa.Table:
    return pa.concat_tables([tbl] + [tbl.take(pa.array(rows))] * copies)


def _used_rows(b: C.Base, table: str) -> list[int]:
    """Indexes of ``table`` rows of assigned users dated from assignment to the end of the analysis date."""
    from guidelab.metrics import as_of_end_utc

    end = as_of_end_utc(b.spec, b.as_of)
    assigned = {r["user_id"]: r["assigned_at"] for r in b.tables["assignments"].to_pylist()}
    guides = {g.id for g in b.spec.guides}
    out = []
    for i, r in enumerate(b.tables[table].to_pylist()):
        at = assigned.get(r["user_id"])
        if at is None or not (at <= r["timestamp"] < end):
            continue
        if table == "guide_events" and r["guide_id"] not in guides:
            continue
        out.append(i)
    return out


@case("banner-exact-duplicate-guide-events", "banner", "same", ledger=(("guide_events", "exact_duplicate", 7),))
def _(b, out):
    t = b.copy_tables()
    t["guide_events"] = _duplicate(t["guide_events"], _used_rows(b, "guide_events")[10:17])
    return plain(b, out, tables=t)


@case("onboarding-exact-duplicate-activity-thrice", "onboarding", "same",
      ledger=(("activity", "exact_duplicate", 5 * 2 + 3),))
def _(b, out):  # five rows three times (two extra copies each), three rows twice
    t = b.copy_tables()
    used = _used_rows(b, "activity")
    tbl = _duplicate(t["activity"], used[20:25], copies=2)
    t["activity"] = _duplicate(tbl, used[40:43])
    return plain(b, out, tables=t)


@case("onboarding-exact-duplicate-assignments", "onboarding", "same",
      ledger=(("assignments", "exact_duplicate", 6),))
def _(b, out):
    t = b.copy_tables()
    t["assignments"] = _duplicate(t["assignments"], list(range(100, 106)))
    return plain(b, out, tables=t)


@case("banner-overlapping-parts-duplicate-rows", "banner", "same", ledger=(("guide_events", "exact_duplicate", 4),))
def _(b, out):  # a re-export: the last 4 used rows of part 0 again at the start of part 1
    e = plain(b, out, layout={"guide_events": "parts"})
    parts = C.split(b.tables["guide_events"], 3)
    used = set(_used_rows(b, "guide_events"))
    tail = [i for i in range(parts[0].num_rows) if i in used][-4:]
    C.write_csv(pa.concat_tables([b.tables["guide_events"].take(pa.array(tail)), parts[1]]),
                out / "guide_events" / "part-00001.csv", b.tz)
    e.rows["guide_events"] += 4
    return e


# --- SAME or a clear refusal -------------------------------------------------------------------
@case("onboarding-csv-and-parquet-parts-in-one-folder", "onboarding", "same_or_error", names=("guide_events",))
def _(b, out):
    e = plain(b, out)
    (out / "guide_events.parquet").unlink()
    p0, p1 = C.split(b.tables["guide_events"], 2)
    C.write_parquet(p0, out / "guide_events" / "part-00000.parquet")
    C.write_csv(p1, out / "guide_events" / "part-00001.csv", b.tz)
    return e


# --- ERROR: a clear error -----------------------------------------------------------------------
@case("onboarding-two-sources-parquet-and-csv", "onboarding", "error",
      names=("assignments.parquet", "assignments.csv"))
def _(b, out):
    e = plain(b, out)
    C.write_csv(b.tables["assignments"].slice(0, 300), out / "assignments.csv", b.tz)  # an old export left beside
    return e


@case("banner-two-sources-file-and-folder", "banner", "error", names=("guide_events.csv",),
      check=lambda msg: _assert(msg.count("guide_events") >= 2, "the message names the file and the folder"))
def _(b, out):
    e = plain(b, out)
    C.write_csv(b.tables["guide_events"].slice(0, 100), out / "guide_events" / "part-00000.csv", b.tz)
    return e


@case("banner-two-sources-csv-and-csv-gz", "banner", "error", names=("activity.csv", "activity.csv.gz"))
def _(b, out):
    e = plain(b, out)
    C.write_csv(b.tables["activity"], out / "activity.csv.gz", b.tz, C.CsvStyle(gzip=True))
    return e


NAIVE_ROWS = (3, 50, 51, 400, 777)


@case("banner-mixed-zoned-and-zoneless", "banner", "error", names=("guide_events.csv", "timestamp", "5"),
      check=lambda msg: _assert(any(re.search(r"2026-1[01]-\d\dT\d\d:\d\d:\d\d(?![+\-Z\d])", line)
                                    for line in msg.splitlines()), "the message quotes a zoneless example"))
def _(b, out):
    e = plain(b, out)
    C.write_csv(b.tables["guide_events"], out / "guide_events.csv", b.tz,
                timestamp_override=lambda i, col, v: C.format_instant(v, "naive", b.tz)
                if col == "timestamp" and i in NAIVE_ROWS else None)
    return e


@case("onboarding-parquet-zoneless-timestamps", "onboarding", "error", names=("activity.parquet", "timestamp"))
def _(b, out):
    e = plain(b, out)
    tbl = b.tables["activity"]
    i = tbl.column_names.index("timestamp")
    C.write_parquet(tbl.set_column(i, "timestamp", tbl.column("timestamp").cast(pa.timestamp("us"))),
                    out / "activity.parquet")
    return e


@case("banner-missing-required-column", "banner", "error", names=("activity.csv", "timestamp"))
def _(b, out):
    e = plain(b, out)
    tbl = b.tables["activity"]
    C.write_csv(tbl.rename_columns(["ts" if c == "timestamp" else c for c in tbl.column_names]),
                out / "activity.csv", b.tz)
    return e


@case("banner-unparsable-timestamps", "banner", "error",
      names=("assignments.csv", "assigned_at", "3", "2026-13-45T10:00:00+09:00"))
def _(b, out):
    e = plain(b, out)
    C.write_csv(b.tables["assignments"], out / "assignments.csv", b.tz,
                timestamp_override=lambda i, col, v: "2026-13-45T10:00:00+09:00"
                if col == "assigned_at" and i in (7, 8, 9) else None)
    return e


HUGE = 200_000


@case("banner-200k-character-timestamp", "banner", "error", names=("guide_events.csv", "timestamp"))
def _(b, out):
    e = plain(b, out)
    C.write_csv(b.tables["guide_events"], out / "guide_events.csv", b.tz,
                timestamp_override=lambda i, col, v: "x" * HUGE if col == "timestamp" and i == 5 else None)
    return e


@case("banner-stray-file-in-table-folder", "banner", "error", names=("notes.txt",))
def _(b, out):
    e = plain(b, out, layout={"guide_events": "parts"})
    (out / "guide_events" / "notes.txt").write_text("export of 2026-11-05, ask Taro\n", encoding="utf-8")
    return e


@case("banner-header-only-assignments", "banner", "error", names=("assignments.csv",))
def _(b, out):
    e = plain(b, out)
    (out / "assignments.csv").write_text("user_id,experiment,variant,assigned_at\n", encoding="utf-8")
    e.rows["assignments"] = 0
    return e


@case("banner-binary-not-utf8-nor-cp932", "banner", "error", names=("assignments.csv",))
def _(b, out):
    e = plain(b, out)
    rng = random.Random(9)
    junk = bytes([0xFF, 0xFE, 0x80, 0xFD, 0xA0]) + bytes(rng.randrange(256) for _ in range(4000))
    (out / "assignments.csv").write_bytes(b"user_id,experiment,variant,assigned_at\n" + junk)
    return e


@case("onboarding-missing-table", "onboarding", "error", names=("activity",))
def _(b, out):
    e = plain(b, out)
    (out / "activity.parquet").unlink()
    return e


@case("banner-zero-byte-file", "banner", "error", names=("guide_events.csv",))
def _(b, out):
    e = plain(b, out)
    (out / "guide_events.csv").write_bytes(b"")
    return e


@case("onboarding-truncated-parquet", "onboarding", "error", names=("assignments.parquet",))
def _(b, out):
    e = plain(b, out)
    p = out / "assignments.parquet"
    p.write_bytes(p.read_bytes()[: p.stat().st_size // 2])
    return e


RAGGED_ROW = 120  # data row index: the file's line 122 (line 1 is the header)


@case("banner-ragged-csv-row", "banner", "error", names=("activity.csv", str(RAGGED_ROW + 2)))
def _(b, out):
    e = plain(b, out)
    lines = (out / "activity.csv").read_text(encoding="utf-8").splitlines(keepends=True)
    lines[RAGGED_ROW + 1] = lines[RAGGED_ROW + 1].rstrip("\n") + ",extra,fields\n"
    (out / "activity.csv").write_text("".join(lines), encoding="utf-8")
    return e


@case("banner-truncated-gzip", "banner", "error", names=("activity.csv.gz",))
def _(b, out):
    e = plain(b, out, style=C.CsvStyle(gzip=True))
    p = out / "activity.csv.gz"
    p.write_bytes(p.read_bytes()[: p.stat().st_size // 2])
    return e


@case("banner-declared-utf8-but-file-is-cp932", "banner", "error", names=("users.csv", "utf-8"))
def _(b, out):
    e = plain(b, out)
    C.write_csv(_with_note(b.tables["users"], "会社名"), out / "users.csv", b.tz, C.CsvStyle(encoding="cp932"))
    e.encoding = "utf-8"
    return e


@case("onboarding-users-without-segment-column", "onboarding", "error", names=("users.parquet", "platform"))
def _(b, out):  # the spec's segments name `platform`: missing from users, an error at the start
    e = plain(b, out)
    C.write_parquet(b.tables["users"].drop_columns(["platform"]), out / "users.parquet")
    return e


@case("banner-utf16-text-export", "banner", "error", names=("users.csv",))
def _(b, out):  # Excel's "Unicode text": UTF-16 with a BOM and tabs
    e = plain(b, out)
    text = C.csv_bytes(b.tables["users"], b.tz).decode("utf-8").replace(",", "\t")
    (out / "users.csv").write_bytes(text.encode("utf-16"))
    return e


# --- an empty table: a clear error or a failed check that says so ----------------------------------
@case("onboarding-header-only-activity", "onboarding", "error_or_investigate", names=("activity",))
def _(b, out):
    e = plain(b, out)
    C.write_parquet(b.tables["activity"].slice(0, 0), out / "activity.parquet")
    e.rows["activity"] = 0
    return e


# --- FLAGGED: rows left out, each on a ledger line ------------------------------------------------
@case("banner-events-before-assignment", "banner", "flagged", ledger=(("guide_events", "before_assignment", 6),))
def _(b, out):
    t = b.copy_tables()
    rows = [{"user_id": u["user_id"], "guide_id": guide_of_user(b, u), "step": 1,
             "event": C.team_event(b, "shown"), "timestamp": u["assigned_at"] - dt.timedelta(hours=2)}
            for u in C.first_users(b, 6)]
    t["guide_events"] = C.add_rows(t["guide_events"], rows)
    return plain(b, out, tables=t)


def guide_of_user(b: C.Base, assignment: dict) -> str:
    return C.guide_of(b, assignment["variant"])


@case("onboarding-events-after-analysis-date", "onboarding", "flagged",
      ledger=(("guide_events", "after_analysis_date", 5),))
def _(b, out):
    t = b.copy_tables()
    rows = [{"user_id": u["user_id"], "guide_id": C.guide_of(b, "tour"), "step": 1,
             "event": C.team_event(b, "clicked"), "timestamp": ts(b, b.as_of + dt.timedelta(days=2), 12, i)}
            for i, u in enumerate(C.first_users(b, 5, "tour"))]
    t["guide_events"] = C.add_rows(t["guide_events"], rows)
    return plain(b, out, tables=t)


@case("onboarding-activity-after-analysis-date", "onboarding", "flagged",
      ledger=(("activity", "after_analysis_date", 4),))
def _(b, out):
    t = b.copy_tables()
    rows = [{"user_id": u["user_id"], "timestamp": ts(b, b.as_of + dt.timedelta(days=1), 0, 30 + i),
             "event": "project_created"} for i, u in enumerate(C.first_users(b, 4))]
    t["activity"] = C.add_rows(t["activity"], rows)
    return plain(b, out, tables=t)


@case("banner-future-dated-activity", "banner", "flagged", ledger=(("activity", "future", 4),))
def _(b, out):
    t = b.copy_tables()
    rows = [{"user_id": u["user_id"], "timestamp": ts(b, dt.date(2099, 1, 1), 9, i), "event": "app_session"}
            for i, u in enumerate(C.first_users(b, 4))]
    t["activity"] = C.add_rows(t["activity"], rows)
    return plain(b, out, tables=t, fmt="parquet")


def _new_assignments(b: C.Base, k: int, **override) -> list[dict]:
    start = ts(b, b.spec.start, 12)
    rows = [{"user_id": f"corpus-new-{i:04d}", "experiment": b.spec.id, "variant": b.spec.variant_keys[i % 2],
             "assigned_at": start + dt.timedelta(minutes=i)} for i in range(k)]
    return [{**r, **override} for r in rows]


@case("banner-missing-assigned-at", "banner", "flagged", ledger=(("assignments", "missing_time", 5),))
def _(b, out):
    t = b.copy_tables()
    t["assignments"] = C.add_rows(t["assignments"], _new_assignments(b, 5, assigned_at=None))
    return plain(b, out, tables=t)


@case("onboarding-missing-user-id-csv", "onboarding", "flagged", ledger=(("assignments", "missing_key", 3),))
def _(b, out):
    t = b.copy_tables()
    t["assignments"] = C.add_rows(t["assignments"], _new_assignments(b, 3, user_id=None))
    return plain(b, out, tables=t, fmt="csv")


@case("banner-missing-event-time", "banner", "flagged", ledger=(("guide_events", "missing_time", 4),))
def _(b, out):
    t = b.copy_tables()
    rows = [{"user_id": u["user_id"], "guide_id": guide_of_user(b, u), "step": 1,
             "event": C.team_event(b, "clicked"), "timestamp": None} for u in C.first_users(b, 4)]
    t["guide_events"] = C.add_rows(t["guide_events"], rows)
    return plain(b, out, tables=t)


@case("onboarding-events-missing-user-id", "onboarding", "flagged", ledger=(("guide_events", "missing_key", 3),))
def _(b, out):
    t = b.copy_tables()
    rows = [{"user_id": None, "guide_id": C.guide_of(b, "tour"), "step": 1, "event": C.team_event(b, "shown"),
             "timestamp": ts(b, b.spec.start, 14, i)} for i in range(3)]
    t["guide_events"] = C.add_rows(t["guide_events"], rows)
    return plain(b, out, tables=t)


@case("banner-unknown-variant", "banner", "flagged", ledger=(("assignments", "unknown_variant", 4),),
      verdict="INVESTIGATE", failed_check="unknown_variants")
def _(b, out):
    t = b.copy_tables()
    t["assignments"] = C.add_rows(t["assignments"], _new_assignments(b, 4, variant="specific-v0"))
    return plain(b, out, tables=t)


@case("banner-200k-character-variant", "banner", "flagged", ledger=(("assignments", "unknown_variant", 1),),
      verdict="INVESTIGATE", failed_check="unknown_variants")
def _(b, out):
    t = b.copy_tables()
    t["assignments"] = C.add_rows(t["assignments"], _new_assignments(b, 1, variant="v" * HUGE))
    return plain(b, out, tables=t)


@case("onboarding-user-in-two-arms", "onboarding", "flagged", ledger=(("assignments", "multiple_arms", 8),),
      same_stats=False, verdict="INVESTIGATE", failed_check="multiple_variants", assigned_delta={"tour": -4})
def _(b, out):  # 4 tour users also logged in the checklist arm a minute later: 4 of ~900 users > 0.1%
    t = b.copy_tables()
    rows = [{**u, "variant": "checklist", "assigned_at": u["assigned_at"] + dt.timedelta(minutes=1)}
            for u in C.first_users(b, 4, "tour")]
    t["assignments"] = C.add_rows(t["assignments"], rows)
    return plain(b, out, tables=t)


@case("banner-other-experiment-assignments", "banner", "flagged", ledger=(("assignments", "other_experiment", 9),))
def _(b, out):  # the same users, also in another experiment of the team
    t = b.copy_tables()
    rows = [{**u, "experiment": "pricing-page-test", "variant": "control"} for u in C.first_users(b, 9)]
    t["assignments"] = C.add_rows(t["assignments"], rows)
    return plain(b, out, tables=t, fmt="parquet")


@case("banner-other-guides-events", "banner", "flagged", ledger=(("guide_events", "other_guide", 8),))
def _(b, out):
    t = b.copy_tables()
    rows = [{"user_id": u["user_id"], "guide_id": "other-guide-99", "step": 1, "event": C.team_event(b, "shown"),
             "timestamp": u["assigned_at"] + dt.timedelta(minutes=5)} for u in C.first_users(b, 8)]
    t["guide_events"] = C.add_rows(t["guide_events"], rows)
    return plain(b, out, tables=t, fmt="parquet")


@case("onboarding-events-of-unassigned-users", "onboarding", "flagged",
      ledger=(("guide_events", "not_in_experiment", 6),))
def _(b, out):
    t = b.copy_tables()
    rows = [{"user_id": f"ghost-{i:06d}", "guide_id": C.guide_of(b, "tour"), "step": 1,
             "event": C.team_event(b, "shown"), "timestamp": ts(b, b.spec.start, 15, i)} for i in range(6)]
    t["guide_events"] = C.add_rows(t["guide_events"], rows)
    return plain(b, out, tables=t)


@case("banner-unknown-event-name", "banner", "flagged", ledger=(("guide_events", "unknown_event", 5),))
def _(b, out):
    t = b.copy_tables()
    rows = [{"user_id": u["user_id"], "guide_id": guide_of_user(b, u), "step": 1, "event": "banner_hover",
             "timestamp": u["assigned_at"] + dt.timedelta(minutes=1)} for u in C.first_users(b, 5)]
    t["guide_events"] = C.add_rows(t["guide_events"], rows)
    return plain(b, out, tables=t, fmt="parquet")


def _survey_answers(b: C.Base, k: int, value) -> list[dict]:
    """``answered`` events of ``value`` from users shown the survey who did not answer."""
    ge = b.tables["guide_events"].to_pylist()
    answered = {r["user_id"] for r in ge if r["event"] == "answered"}
    from guidelab.metrics import as_of_end_utc

    last = as_of_end_utc(b.spec, b.as_of) - dt.timedelta(minutes=5)  # answers well inside the analysis window
    shown = sorted({(r["user_id"], r["guide_id"], r["timestamp"]) for r in ge
                    if r["event"] == "shown" and r["guide_id"].startswith("nps-") and r["user_id"] not in answered
                    and r["timestamp"] < last})
    return [{"user_id": u, "guide_id": g, "step": 1, "event": "answered", "value": value,
             "timestamp": at + dt.timedelta(seconds=40)} for u, g, at in shown[:k]]


@case("nps-score-11", "nps", "flagged", ledger=(("guide_events", "out_of_range", 3),), same_stats=False)
def _(b, out):
    t = b.copy_tables()
    t["guide_events"] = C.add_rows(t["guide_events"], _survey_answers(b, 3, 11))
    return plain(b, out, tables=t)


@case("nps-score-minus-1-csv", "nps", "flagged", ledger=(("guide_events", "out_of_range", 2),), same_stats=False)
def _(b, out):
    t = b.copy_tables()
    t["guide_events"] = C.add_rows(t["guide_events"], _survey_answers(b, 2, -1))
    return plain(b, out, tables=t, fmt="csv")


@case("nps-score-7.5-csv", "nps", "flagged", ledger=(("guide_events", "out_of_range", 2),), same_stats=False)
def _(b, out):
    t = b.copy_tables()
    tbl = t["guide_events"]
    tbl = tbl.set_column(tbl.column_names.index("value"), "value", tbl.column("value").cast(pa.float64()))
    t["guide_events"] = C.add_rows(tbl, _survey_answers(b, 2, 7.5))
    e = plain(b, out, tables=t, fmt="csv")
    text = (out / "guide_events.csv").read_text(encoding="utf-8")  # integers stay integers: '7.0' -> '7'
    (out / "guide_events.csv").write_text(re.sub(r",(\d+)\.0,", r",\1,", text), encoding="utf-8")
    return e


@case("onboarding-empty-guide-events", "onboarding", "flagged", same_stats=False, verdict="INVESTIGATE",
      failed_check="shown")  # the check that says the guide was never shown
def _(b, out):
    e = plain(b, out)
    C.write_parquet(b.tables["guide_events"].slice(0, 0), out / "guide_events.parquet")
    e.rows["guide_events"] = 0
    return e


# --- running the cases ---------------------------------------------------------------------------
def _assert(cond: bool, what: str) -> None:
    assert cond, what


@pytest.fixture(scope="session")
def corpus_work(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("export-corpus")


@pytest.fixture(scope="session")
def bases(corpus_work):
    """The simulated bases, built on first use (each once per session)."""
    cache: dict[str, C.Base] = {}

    def get(key: str) -> C.Base:
        if key not in cache:
            cache[key] = C.build_base(key, corpus_work)
        return cache[key]
    return get


@dataclass
class Clean:
    export: Export
    result: object
    doc: dict
    stats: dict


@pytest.fixture(scope="session")
def clean(bases, corpus_work):
    """Each base's clean export (its usual format) and its reference result, computed once."""
    cache: dict[str, Clean] = {}

    def get(key: str) -> Clean:
        if key not in cache:
            b = bases(key)
            e = plain(b, corpus_work / f"clean-{key}")
            result = analyze_experiment(b.spec, e.dir, as_of=b.as_of)
            doc = result.to_dict()
            cache[key] = Clean(e, result, doc, C.sufficient_statistics(doc))
        return cache[key]
    return get


def _analyze(b: C.Base, e: Export):
    spec = load_experiment(e.spec_path) if e.spec_path else b.spec
    declared = {"encoding": e.encoding} if e.encoding else {}
    return analyze_experiment(spec, e.dir, as_of=b.as_of, **declared)


def _left_out_lines(ledger: dict) -> dict[tuple[str, str], int]:
    return {(t["table"], x["reason"]): int(x["rows"]) for t in ledger["tables"] for x in t.get("left_out", [])}


def assert_ledger_accounts(ledger: dict, rows_written: dict[str, int]) -> None:
    """Every row read is used or on a ledger line; every row written is read; examples are short."""
    for t in ledger["tables"]:
        lines = t.get("left_out", [])
        assert t["rows_read"] == t["rows_used"] + sum(int(x["rows"]) for x in lines), t
        for x in lines:
            assert int(x["rows"]) > 0, x
            assert len(json.dumps(x.get("example"), ensure_ascii=False, default=str)) <= 400, \
                f"{t['table']}/{x['reason']}: example longer than ~300 characters"
    for name, n in rows_written.items():
        if name == "users" and not any(t["table"] == "users" for t in ledger["tables"]):
            continue
        assert C.ledger_table(ledger, name)["rows_read"] == n, f"{name}: read {C.ledger_table(ledger, name)['rows_read']}, written {n}"


def assert_clear_error(msg: str, names: tuple[str, ...]) -> None:
    """A few lines, no traceback, no long echo of a value, naming what the case names."""
    lines = msg.splitlines()
    assert 1 <= len(lines) <= 6, f"{len(lines)} lines: {msg[:500]}"
    assert "Traceback" not in msg and 'File "' not in msg, msg[:500]
    assert len(msg) <= 1500, f"{len(msg)} characters: {msg[:300]}..."
    longest = max((len(m.group(0)) for m in re.finditer(r"(.)\1*", msg)), default=0)
    assert longest <= 300, f"a run of {longest} equal characters: a value is echoed in full"
    for token in names:
        assert token in msg, f"the message does not name {token!r}: {msg}"


@dataclass
class Outcome:
    export: Export
    result: object = None
    error: Exception | None = None


@pytest.fixture(scope="session")
def outcome(bases, corpus_work):
    """Each case's export and what the analysis made of it, computed once for both tests of the case."""
    cache: dict[str, Outcome] = {}

    def get(case: Case) -> Outcome:
        if case.id not in cache:
            b = bases(case.base)
            e = case.build(b, corpus_work / "cases" / case.id / "data")
            try:
                cache[case.id] = Outcome(e, result=_analyze(b, e))
            except Exception as exc:  # judged by the tests
                cache[case.id] = Outcome(e, error=exc)
        return cache[case.id]
    return get


def _result(o: Outcome):
    if o.error is not None:
        raise o.error
    return o.result


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_awkward_export(case: Case, outcome, clean):
    """The outcome: the clean export's numbers, a clear error, or the documented verdict."""
    o = outcome(case)
    if case.kind == "error":
        assert isinstance(o.error, DataError), f"expected a DataError, got {o.error!r}" if o.error else \
            "expected a DataError, the analysis ran"
        assert_clear_error(str(o.error), case.names)
        if case.check:
            case.check(str(o.error))
        return
    if case.kind in ("same_or_error", "error_or_investigate") and isinstance(o.error, DataError):
        assert_clear_error(str(o.error), case.names)
        return
    result = _result(o)
    doc = result.to_dict()
    if case.kind == "error_or_investigate":
        assert doc["decision"]["verdict"] == "INVESTIGATE", doc["decision"]
        failed = [c for c in doc["data_checks"] if not c["passed"] and c["severity"] == "fail"]
        assert any(any(n in json.dumps(c) for n in case.names) for c in failed), failed
        return
    ref = clean(case.base)
    stats = C.sufficient_statistics(doc)
    if case.kind in ("same", "same_or_error"):
        assert stats == ref.stats
    elif case.same_stats:
        assert {k: v for k, v in stats.items() if k != "verdict"} == \
               {k: v for k, v in ref.stats.items() if k != "verdict"}
    if case.assigned_delta:
        want = dict(ref.doc["assigned"])
        for v, d in case.assigned_delta.items():
            want[v] += d
        assert doc["assigned"] == want
    if case.verdict:
        assert doc["decision"]["verdict"] == case.verdict, doc["decision"]
    if case.failed_check:
        failed = [c for c in doc["data_checks"] if not c["passed"] and c["severity"] == "fail"]
        assert any(case.failed_check in (c.get("code") or "") for c in failed), failed
    for c in doc["data_checks"]:
        assert len(c["detail"]) <= 600, f"check {c['code']}: detail of {len(c['detail'])} characters"


LEDGER_CASES = [c for c in CASES if c.kind != "error"]


@pytest.mark.parametrize("case", LEDGER_CASES, ids=[c.id for c in LEDGER_CASES])
def test_awkward_export_ledger(case: Case, outcome, clean):
    """The row ledger: every row written is read, and used or left out on a line with its reason."""
    o = outcome(case)
    if case.kind in ("same_or_error", "error_or_investigate") and isinstance(o.error, DataError):
        return  # refused with a clear error (judged by test_awkward_export): nothing was read
    result = _result(o)
    ledger = C.ledger_of(result)
    assert_ledger_accounts(ledger, o.export.rows)
    if case.kind == "error_or_investigate":
        return
    ref_lines = _left_out_lines(C.ledger_of(clean(case.base).result))
    lines = _left_out_lines(ledger)
    want = dict(ref_lines)
    for table, reason, rows in case.ledger:
        want[(table, reason)] = want.get((table, reason), 0) + rows
    if case.kind in ("same", "same_or_error") or case.same_stats:
        assert lines == want, "ledger lines differ from the clean export's plus this case's"
    else:
        for table, reason, _ in case.ledger:
            assert lines.get((table, reason), 0) == want[(table, reason)], (table, reason, lines)
    assert len(json.dumps(ledger, ensure_ascii=False, default=str)) <= 20_000


def test_future_rows_do_not_move_the_default_analysis_date(bases, tmp_path):
    """Rows dated in 2099 are flagged; the default analysis date stays the last local day of real data."""
    b = bases("banner")
    t = b.copy_tables()
    t["activity"] = C.add_rows(t["activity"], [{"user_id": u["user_id"], "timestamp": ts(b, dt.date(2099, 1, 1), 9),
                                                "event": "app_session"} for u in C.first_users(b, 3)])
    e = plain(b, tmp_path / "data", tables=t)
    last_day = max(v.astimezone(b.tz).date() for name in ("assignments", "guide_events", "activity")
                   for f in b.tables[name].schema if f.name in ("assigned_at", "timestamp")
                   for v in b.tables[name].column(f.name).to_pylist())
    result = analyze_experiment(b.spec, e.dir)
    assert result.as_of == min(last_day, b.spec.end)  # the banner's metrics have no day window
    assert C.left_out(C.ledger_of(result), "activity", "future") == 3


def test_corpus_is_large_and_mixed():
    kinds = {k: sum(c.kind.startswith(k) for c in CASES) for k in ("same", "error", "flagged")}
    assert len(CASES) >= 40 and min(kinds.values()) >= 8, kinds
    assert {c.base for c in CASES} == {"onboarding", "banner", "nps"}


# --- the clean exports, against an independent count --------------------------------------------
@pytest.mark.parametrize("key", ["onboarding", "banner", "nps"])
def test_clean_export_matches_an_independent_count(key, bases, clean):
    """Users per arm and the guide events of the clean export, counted in Python from the rows written."""
    from collections import Counter

    from guidelab.metrics import as_of_end_utc

    b, ref = bases(key), clean(key)
    want_assigned = Counter(r["variant"] for r in b.tables["assignments"].to_pylist())
    assert ref.doc["assigned"] == {v: want_assigned.get(v, 0) for v in b.spec.variant_keys}
    assert ref.doc["srm"]["counts"] == ref.doc["assigned"]
    # share of users with each guide event after assignment, up to the end of the analysis date
    end = as_of_end_utc(b.spec, b.as_of)
    assigned = {r["user_id"]: (r["variant"], r["assigned_at"]) for r in b.tables["assignments"].to_pylist()}
    guides = {g.id for g in b.spec.guides}
    canonical = {team: ours for team, ours in b.spec.event_names.items()}
    users_with: dict[str, set] = {}
    for r in b.tables["guide_events"].to_pylist():
        v, at = assigned[r["user_id"]]
        if r["guide_id"] in guides and at <= r["timestamp"] < end:
            users_with.setdefault(canonical.get(r["event"], r["event"]), set()).add(r["user_id"])
    checked = 0
    for m in ref.doc["metrics"]:
        if m["metric"] in ("clicked", "opened", "dismissed", "answered", "opted_out", "completed") and m["successes"] is not None:
            got = sum(1 for u in users_with.get(m["metric"], ()) if assigned[u][0] == m["variant"])
            assert m["successes"] == got, m["metric"]
            assert m["n"] == want_assigned[m["variant"]]
            checked += 1
    assert checked or key == "onboarding"
    ledger = C.ledger_of(ref.result)
    assert_ledger_accounts(ledger, ref.export.rows)
    listed = {t["table"] for t in ledger["tables"]}
    for name, tbl in b.tables.items():
        if name not in listed:
            continue
        rows = tbl.to_pylist()
        dups = len(rows) - len({tuple(sorted(r.items())) for r in rows})
        assert C.left_out(ledger, name, "exact_duplicate") == dups, name


# --- the command line: a few lines, exit code 2, no traceback --------------------------------------
def _user_table(path: Path, variants: tuple[str, str], metric_values: tuple[str, str], n: int = 400,
                encoding: str = "utf-8", extra_rows: tuple[str, ...] = ()) -> None:
    """A one-row-per-user table: user i in variant i % 2, metric true for every 3rd (control) / 2nd user."""
    lines = ["user_id,variant,converted"]
    for i in range(n):
        v = variants[i % 2]
        hit = (i % 3 == 0) if i % 2 == 0 else (i % 4 == 1)
        lines.append(f"{i:06d},{v},{metric_values[0] if hit else metric_values[1]}")
    lines += extra_rows
    path.write_bytes(("\r\n".join(lines) + "\r\n").encode(encoding))


def _cli(capsys, *argv: str) -> tuple[int, str, str]:
    from guidelab.cli import main

    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_cli_analyze_header_only_exits_2_in_a_few_lines(tmp_path):
    p = tmp_path / "empty-export.csv"
    p.write_text("user_id,variant,converted\n", encoding="utf-8")
    proc = subprocess.run([sys.executable, "-m", "guidelab.cli", "analyze", str(p), "--variant", "variant",
                           "--control", "a", "--metric", "converted"], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 2, proc.stderr
    assert_clear_error(proc.stderr.strip(), ("empty-export.csv",))
    assert "(none)" not in proc.stderr, "a header-only table must say it has no rows"


def test_cli_analyze_200k_value_is_not_echoed(tmp_path, capsys):
    p = tmp_path / "t.csv"
    _user_table(p, ("a", "b"), ("true", "false"), extra_rows=(f"999999,a,{'y' * HUGE}",))
    code, out, err = _cli(capsys, "analyze", str(p), "--variant", "variant", "--control", "a", "--metric", "converted")
    assert code == 2
    assert_clear_error(err.strip(), ("t.csv", "converted"))


def test_cli_analyze_cp932_japanese_variants_same_as_utf8(tmp_path, capsys):
    utf8, sjis = tmp_path / "utf8.csv", tmp_path / "sjis.csv"
    _user_table(utf8, ("対照群", "新しい文言"), ("true", "false"))
    _user_table(sjis, ("対照群", "新しい文言"), ("true", "false"), encoding="cp932")
    docs = []
    for p in (utf8, sjis):
        code, out, err = _cli(capsys, "analyze", str(p), "--variant", "variant", "--control", "対照群",
                              "--metric", "converted", "--json")
        assert code == 0, err
        docs.append(json.loads(out))
    assert docs[0]["assigned"] == docs[1]["assigned"] == {"対照群": 200, "新しい文言": 200}
    assert [(m["n"], m["successes"]) for m in docs[0]["metrics"]] == [(m["n"], m["successes"]) for m in docs[1]["metrics"]]


@pytest.mark.parametrize("spelling", [("t", "f"), ("yes", "no"), ("y", "n"), ("on", "off"), ("1", "0"),
                                      ("TRUE", "False")])
def test_cli_analyze_one_boolean_parser(tmp_path, capsys, spelling):
    p = tmp_path / "t.csv"
    _user_table(p, ("a", "b"), spelling)
    code, out, err = _cli(capsys, "analyze", str(p), "--variant", "variant", "--control", "a",
                          "--metric", "converted", "--json")
    assert code == 0, err
    m = json.loads(out)["metrics"][0]
    # control: users 0, 2, 4... true when i % 3 == 0 (67 of 200); treatment: i % 4 == 1 (100 of 200)
    assert (m["n"], m["successes"], m["n_control"], m["successes_control"]) == (200, 100, 200, 67)


def test_cli_report_data_error_exits_2_before_a_kernel_starts(bases, tmp_path, capsys, monkeypatch):
    """`guidelab report` on an export with two sources for a table: exit 2 in a few lines, no notebook run."""
    import papermill

    def no_kernel(*args, **kwargs):
        raise AssertionError("guidelab report started the notebook on data that break the reading rules")

    monkeypatch.setattr(papermill, "execute_notebook", no_kernel)
    b = bases("banner")
    out = tmp_path / "data"
    plain(b, out)
    C.write_parquet(b.tables["assignments"], out / "assignments.parquet")
    code, _, err = _cli(capsys, "report", str(b.spec_path), "--data", str(out), "--as-of", b.as_of.isoformat(),
                        "--out", str(tmp_path / "reports"))
    assert code == 2, err
    assert_clear_error(err.strip(), ("assignments.csv", "assignments.parquet"))
