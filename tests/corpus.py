"""Builder of the awkward-export corpus (tests/test_export_corpus.py): exports written by code, never committed.

A *base* is a small deterministic simulation (``guidelab.simulate``) of one example experiment,
held in memory as Arrow tables with UTC instants. Every case of the corpus writes its own
export from a base: the same rows in another form (CSV instead of Parquet, parts, Hive
partitions, Spark side files, BOM, CP932, gzip, CRLF, other offsets...), or the rows with a
known change (rows added, a column broken, a file added). The writer returns the number of
data rows it wrote per table, so a case's expectation is computed from the mutation itself,
never read back from the code under test.
"""
from __future__ import annotations

import csv
import datetime as dt
import gzip
import io
import json
import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterable
from zoneinfo import ZoneInfo

import pyarrow as pa
import pyarrow.parquet as pq

ROOT = Path(__file__).resolve().parent.parent
EXPERIMENTS = ROOT / "experiments"
TABLES = ("assignments", "guide_events", "activity", "users")
UTC = dt.timezone.utc

# (experiment id, users, days, seed): small enough for a fast corpus, large enough for every metric.
BASES = {
    "onboarding": ("onboarding-tour-vs-checklist", 900, 9, 21),
    "banner": ("maintenance-banner-copy", 700, 5, 22),
    "nps": ("nps-survey-timing", 600, 9, 23),
}
# The form each base's clean export takes: both formats are covered by the clean exports.
CLEAN_FORMAT = {"onboarding": "parquet", "banner": "csv", "nps": "parquet"}


@dataclass
class Base:
    """One simulated experiment: its spec, analysis date and tables (UTC instants) in memory."""

    key: str
    spec_path: Path
    spec: Any
    as_of: dt.date
    tables: dict[str, pa.Table]
    _csv_cache: dict = field(default_factory=dict, repr=False)

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.spec.timezone)

    def copy_tables(self) -> dict[str, pa.Table]:
        return dict(self.tables)


def build_base(key: str, work: Path) -> Base:
    """Simulate one example experiment into ``work`` (Parquet) and load its tables."""
    from guidelab.experiment import load_experiment
    from guidelab.simulate import simulate

    exp_id, users, days, seed = BASES[key]
    spec_path = EXPERIMENTS / f"{exp_id}.yaml"
    spec = load_experiment(spec_path)
    out = work / f"sim-{key}"
    simulate(spec, users=users, days=days, out_dir=out, seed=seed, fmt="parquet")
    truth = json.loads((out / "truth.json").read_text(encoding="utf-8"))
    tables = {name: pq.read_table(out / f"{name}.parquet") for name in TABLES}
    return Base(key, spec_path, spec, dt.date.fromisoformat(truth["as_of"]), tables)


# --- timestamps as text ----------------------------------------------------------------------
def format_instant(value: dt.datetime | None, style: str, tz: ZoneInfo, row: int = 0) -> str:
    """One instant as CSV text.

    ``local`` 2026-10-01T09:00:00+09:00 (the experiment's zone), ``utc`` ...+00:00, ``z`` ...Z,
    ``space`` a space instead of the T, ``micro`` with microseconds, ``mixed`` local/utc/z by
    row, ``naive`` local wall time without a zone (a broken contract unless the spec declares it).
    """
    if value is None:
        return ""
    if style == "mixed":
        style = ("local", "utc", "z")[row % 3]
    if style == "local":
        return value.astimezone(tz).isoformat(timespec="seconds")
    if style == "utc":
        return value.astimezone(UTC).isoformat(timespec="seconds")
    if style == "z":
        return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    if style == "space":
        return value.astimezone(tz).isoformat(sep=" ", timespec="seconds")
    if style == "micro":
        return value.astimezone(tz).isoformat(timespec="microseconds")
    if style == "naive":
        return value.astimezone(tz).replace(tzinfo=None).isoformat(timespec="seconds")
    raise ValueError(style)


# --- writers ---------------------------------------------------------------------------------
@dataclass(frozen=True)
class CsvStyle:
    """How a CSV file is written: the timestamp form, encoding, BOM, line ends, quoting, gzip."""

    timestamps: str = "local"
    encoding: str = "utf-8"
    bom: bool = False
    newline: str = "\n"
    quote_all: bool = False
    gzip: bool = False


def csv_bytes(tbl: pa.Table, tz: ZoneInfo, style: CsvStyle = CsvStyle(),
              timestamp_override: Callable[[int, str, Any], str | None] | None = None) -> bytes:
    """The table as CSV bytes; ``timestamp_override(row, column, value)`` may replace a cell's text."""
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator=style.newline,
                   quoting=csv.QUOTE_ALL if style.quote_all else csv.QUOTE_MINIMAL)
    w.writerow(tbl.column_names)
    ts_cols = {f.name for f in tbl.schema if pa.types.is_timestamp(f.type)}
    cols = [tbl.column(c).to_pylist() for c in tbl.column_names]
    for i in range(tbl.num_rows):
        row = []
        for name, values in zip(tbl.column_names, cols):
            v = values[i]
            text = None
            if timestamp_override is not None:
                text = timestamp_override(i, name, v)
            if text is None:
                if name in ts_cols:
                    text = format_instant(v, style.timestamps, tz, i)
                else:
                    text = "" if v is None else str(v)
            row.append(text)
        w.writerow(row)
    data = buf.getvalue().encode(style.encoding)
    if style.bom:
        data = b"\xef\xbb\xbf" + data
    if style.gzip:
        data = gzip.compress(data, mtime=0)
    return data


def write_csv(tbl: pa.Table, path: Path, tz: ZoneInfo, style: CsvStyle = CsvStyle(), **kw: Any) -> int:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(csv_bytes(tbl, tz, style, **kw))
    return tbl.num_rows


def write_parquet(tbl: pa.Table, path: Path) -> int:
    path.parent.mkdir(parents=True, exist_ok=True)
    pq.write_table(tbl, path)
    return tbl.num_rows


def split(tbl: pa.Table, parts: int) -> list[pa.Table]:
    """``parts`` consecutive slices covering every row once."""
    n = tbl.num_rows
    bounds = [round(i * n / parts) for i in range(parts + 1)]
    return [tbl.slice(bounds[i], bounds[i + 1] - bounds[i]) for i in range(parts)]


def write_table(base: Base, out: Path, name: str, tbl: pa.Table, fmt: str, layout: str = "file",
                style: CsvStyle = CsvStyle(), parts: int = 3) -> int:
    """Write one table as ``name.fmt``, or a folder of parts (``parts``) or Hive partitions (``hive``)."""
    ext = ".parquet" if fmt == "parquet" else (".csv.gz" if style.gzip else ".csv")

    def one(t: pa.Table, path: Path) -> int:
        if fmt == "parquet":
            return write_parquet(t, path)
        if t is base.tables.get(name):  # an unchanged table: its CSV text is written once per style
            key = (name, style)
            if key not in base._csv_cache:
                base._csv_cache[key] = csv_bytes(t, base.tz, style)
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(base._csv_cache[key])
            return t.num_rows
        return write_csv(t, path, base.tz, style)

    if layout == "file":
        return one(tbl, out / f"{name}{ext}")
    if layout == "parts":
        return sum(one(t, out / name / f"part-{i:05d}{ext}") for i, t in enumerate(split(tbl, parts)))
    if layout == "hive":  # name/dt=YYYY-MM-DD/part-00000.ext by the local day of the row's first timestamp
        ts_col = next(f.name for f in tbl.schema if pa.types.is_timestamp(f.type))
        days = [v.astimezone(base.tz).date().isoformat() if v else "none" for v in tbl.column(ts_col).to_pylist()]
        written = 0
        for day in sorted(set(days)):
            mask = pa.array([d == day for d in days])
            written += one(tbl.filter(mask), out / name / f"dt={day}" / f"part-00000{ext}")
        return written
    raise ValueError(layout)


def write_export(base: Base, out: Path, tables: dict[str, pa.Table] | None = None, fmt: str | None = None,
                 layout: str | dict[str, str] = "file", style: CsvStyle = CsvStyle(),
                 formats: dict[str, str] | None = None) -> dict[str, int]:
    """Write every table of an export; returns the data rows written per table."""
    tables = base.tables if tables is None else tables
    out.mkdir(parents=True, exist_ok=True)
    rows = {}
    for name, tbl in tables.items():
        f = (formats or {}).get(name) or fmt or CLEAN_FORMAT[base.key]
        lay = layout.get(name, "file") if isinstance(layout, dict) else layout
        rows[name] = write_table(base, out, name, tbl, f, lay, style)
    return rows


# --- table edits -----------------------------------------------------------------------------
def add_rows(tbl: pa.Table, rows: Iterable[dict]) -> pa.Table:
    """The table with ``rows`` appended (missing columns are null)."""
    rows = [{c: r.get(c) for c in tbl.column_names} for r in rows]
    return pa.concat_tables([tbl, pa.Table.from_pylist(rows, schema=tbl.schema)])


def first_users(base: Base, k: int, variant: str | None = None) -> list[dict]:
    """The first ``k`` assignment rows (by user id), optionally of one variant, as dicts."""
    if "sorted_assignments" not in base._csv_cache:
        base._csv_cache["sorted_assignments"] = sorted(base.tables["assignments"].to_pylist(), key=lambda r: r["user_id"])
    rows = base._csv_cache["sorted_assignments"]
    return [r for r in rows if variant is None or r["variant"] == variant][:k]


def team_event(base: Base, ours: str) -> str:
    """The name the product logs for one of guidelab's events (the spec's ``event_names``)."""
    for team, canonical in base.spec.event_names.items():
        if canonical == ours:
            return team
    return ours


def guide_of(base: Base, variant: str) -> str:
    g = base.spec.guide_for(variant)
    assert g is not None
    return g.id


def rename_ids(tables: dict[str, pa.Table], mapping: dict[str, str]) -> dict[str, pa.Table]:
    out = {}
    for name, tbl in tables.items():
        i = tbl.column_names.index("user_id")
        ids = pa.array([mapping.get(u, u) for u in tbl.column("user_id").to_pylist()], type=pa.string())
        out[name] = tbl.set_column(i, "user_id", ids)
    return out


def shift_instants(tables: dict[str, pa.Table], delta: dt.timedelta) -> dict[str, pa.Table]:
    """Every timestamp of every table moved by ``delta`` (a sub-second shift keeps every day and order)."""
    out = {}
    for name, tbl in tables.items():
        for f in tbl.schema:
            if pa.types.is_timestamp(f.type):
                vals = [None if v is None else v + delta for v in tbl.column(f.name).to_pylist()]
                tbl = tbl.set_column(tbl.column_names.index(f.name), f.name, pa.array(vals, type=f.type))
        out[name] = tbl
    return out


def spec_with(base: Base, work: Path, extra_yaml: str) -> Path:
    """A copy of the base's spec with ``extra_yaml`` appended (same id, so same file name)."""
    d = work / "spec"
    d.mkdir(parents=True, exist_ok=True)
    p = d / base.spec_path.name
    p.write_text(base.spec_path.read_text(encoding="utf-8").rstrip("\n") + "\n" + extra_yaml + "\n", encoding="utf-8")
    return p


def copy_tree(src: Path, dst: Path) -> Path:
    shutil.copytree(src, dst)
    return dst


# --- results ---------------------------------------------------------------------------------
def sufficient_statistics(doc: dict) -> dict:
    """What must not change when an export changes form: counts of every metric per variant, SRM counts."""
    metrics = sorted(
        (m["metric"], m["variant"], m["n"], m["n_control"], m["successes"], m["successes_control"],
         m["mean"], m["mean_control"], m["ratio"], m["ratio_control"])
        for m in doc["metrics"])
    return {"as_of": doc["as_of"], "assigned": doc["assigned"], "srm_counts": doc["srm"].get("counts"),
            "metrics": metrics, "verdict": doc["decision"]["verdict"]}


def ledger_of(result: Any) -> dict:
    """The row ledger of a result as JSON: ``{"tables": [{"table", "source", "rows_read", ...}]}``."""
    doc = result.to_dict()
    if "ledger" in doc and doc["ledger"] is not None:
        return doc["ledger"]
    ledger = getattr(result, "ledger", None)
    assert ledger is not None, "the result has no row ledger (ExperimentResult.ledger / JSON 'ledger')"
    return ledger.to_dict()


def ledger_table(ledger: dict, table: str) -> dict:
    for t in ledger["tables"]:
        if t["table"] == table:
            return t
    raise AssertionError(f"no ledger entry for table {table!r}: {[t['table'] for t in ledger['tables']]}")


def left_out(ledger: dict, table: str, reason: str) -> int:
    """Rows of ``table`` left out for ``reason`` (0 when the ledger has no such line)."""
    t = ledger_table(ledger, table)
    return sum(int(x["rows"]) for x in t.get("left_out", []) if x["reason"] == reason)


def ledger_example(ledger: dict, table: str, reason: str) -> Any:
    t = ledger_table(ledger, table)
    for x in t.get("left_out", []):
        if x["reason"] == reason:
            return x.get("example")
    return None
