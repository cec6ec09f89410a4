"""The data contract: a team's exported tables, read by DuckDB in place, checked, exposed as views.

Tables (each ``<name>.parquet``, ``<name>.csv`` or a folder ``<name>/`` of such files) in one
data directory; see ``data/README.md``:

* ``assignments`` - user_id, experiment, variant, assigned_at
* ``guide_events`` - user_id, guide_id, step (optional), event, timestamp
* ``activity`` - user_id, timestamp, event (optional: product event name, e.g. the goal)
* ``users`` (optional) - user_id, signup_at (optional), any attributes

Every timestamp must carry a zone (ISO 8601 with an offset in CSV; a UTC-adjusted timestamp in
Parquet). Source files are only read, never written. A broken contract raises
:class:`~guidelab.errors.DataError` naming the file, the column and what was expected.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

import duckdb

from .errors import DataError
from .values import sql_identifier, sql_literal

Severity = Literal["fail", "warn", "info"]


@dataclass(frozen=True)
class TableContract:
    name: str
    required: tuple[str, ...]
    timestamps: tuple[str, ...]
    ids: tuple[str, ...] = ("user_id",)
    optional: bool = False


CONTRACTS = {
    "assignments": TableContract("assignments", ("user_id", "experiment", "variant", "assigned_at"), ("assigned_at",),
                                 ids=("user_id", "experiment", "variant")),
    "guide_events": TableContract("guide_events", ("user_id", "guide_id", "event", "timestamp"), ("timestamp",),
                                  ids=("user_id", "guide_id", "event")),
    "activity": TableContract("activity", ("user_id", "timestamp"), ("timestamp",)),
    "users": TableContract("users", ("user_id",), ("signup_at",), optional=True),
}

_ZONE_SUFFIX = r"(Z|z|[+-]\d{2}(:?\d{2})?)$"


@dataclass(frozen=True)
class DataCheck:
    """One data-quality check: ``fail`` makes the verdict INVESTIGATE; ``warn``/``info`` are shown.

    ``code`` and ``params`` let :mod:`guidelab.i18n` say the check in English or Japanese;
    ``name`` and ``detail`` are the English words (kept in the JSON for dashboards).
    """

    name: str
    passed: bool
    detail: str
    severity: Severity = "fail"
    code: str = ""
    params: tuple[tuple[str, object], ...] = ()

    @classmethod
    def of(cls, code: str, passed: bool, severity: Severity = "fail", **params: object) -> "DataCheck":
        """A check from its code and numbers; its English name and detail come from :mod:`guidelab.i18n`."""
        from .i18n import check_forms

        name, detail = check_forms(code, params, "en")
        return cls(name, passed, detail, severity, code, tuple(params.items()))

    def text(self, lang: str = "en") -> tuple[str, str]:
        """(name, detail) in ``lang``."""
        from .i18n import check_text

        return check_text(self, lang)

    def to_dict(self) -> dict:
        return {"name": self.name, "code": self.code or None, "passed": self.passed, "severity": self.severity,
                "detail": self.detail}


@dataclass
class EventData:
    """A DuckDB connection with one view per table of the contract, and where each came from."""

    con: duckdb.DuckDBPyConnection
    data_dir: Path
    sources: dict[str, Path] = field(default_factory=dict)

    def has(self, table: str) -> bool:
        return table in self.sources

    def close(self) -> None:
        self.con.close()


def find_source(data_dir: Path, name: str) -> tuple[Path, str] | None:
    """Locate a table: ``name.parquet``, ``name.csv`` (also .csv.gz) or a folder ``name/`` of files."""
    for suffix, fmt in ((".parquet", "parquet"), (".csv", "csv"), (".csv.gz", "csv")):
        p = data_dir / f"{name}{suffix}"
        if p.is_file():
            return p, fmt
    folder = data_dir / name
    if folder.is_dir():
        if any(folder.glob("*.parquet")):
            return folder, "parquet"
        if any(folder.glob("*.csv")) or any(folder.glob("*.csv.gz")):
            return folder, "csv"
    return None


def _reader(path: Path, fmt: str, id_columns: tuple[str, ...] = ()) -> str:
    """SQL table function reading ``path``; ids are forced to text so '00123' keeps its zeros."""
    target = str(path / ("*.parquet" if fmt == "parquet" else "*.csv*")) if path.is_dir() else str(path)
    lit = sql_literal(target)
    if fmt == "parquet":
        return f"read_parquet({lit})"
    types = ", ".join(f"{sql_literal(c)}: 'VARCHAR'" for c in id_columns)
    return f"read_csv({lit}, header=true" + (f", types={{{types}}}" if types else "") + ")"


def _columns(con: duckdb.DuckDBPyConnection, relation_sql: str, path: Path) -> dict[str, str]:
    try:
        rows = con.execute(f"DESCRIBE SELECT * FROM {relation_sql}").fetchall()
    except duckdb.Error as exc:
        raise DataError(path, "", f"cannot be read as a table: {str(exc).splitlines()[0]}") from None
    return {r[0]: r[1] for r in rows}


def open_event_data(data_dir: str | Path, tables: tuple[str, ...] = ("assignments", "guide_events", "activity", "users")) -> EventData:
    """Open the tables of ``data_dir`` as DuckDB views after checking the contract."""
    data_dir = Path(data_dir)
    if not data_dir.is_dir():
        raise DataError(data_dir, "", "data directory not found")
    con = duckdb.connect(":memory:")
    con.execute("SET TimeZone = 'UTC'")
    ed = EventData(con, data_dir)
    for name in tables:
        contract = CONTRACTS[name]
        found = find_source(data_dir, name)
        if found is None:
            if contract.optional:
                continue
            raise DataError(data_dir / f"{name}.parquet", "",
                            f"missing table {name!r}: expected {name}.parquet, {name}.csv or a folder {name}/ "
                            f"with columns {', '.join(contract.required)}")
        path, fmt = found
        probe = _columns(con, _reader(path, fmt), path)
        ids = tuple(c for c in contract.ids if c in probe)
        rel = _reader(path, fmt, ids)
        cols = _columns(con, rel, path)
        missing = [c for c in contract.required if c not in cols]
        if missing:
            raise DataError(path, missing[0], f"missing column: expected columns {', '.join(contract.required)}; "
                                              f"found {', '.join(cols) or 'none'}")
        select = []
        for col, typ in cols.items():
            q = sql_identifier(col)
            if col in contract.ids:
                select.append(f"CAST({q} AS VARCHAR) AS {q}")
            elif col in contract.timestamps:
                select.append(_timestamp_expr(con, rel, path, col, typ))
            else:
                select.append(q)
        con.execute(f"CREATE VIEW {name} AS SELECT {', '.join(select)} FROM {rel}")
        ed.sources[name] = path
    return ed


def _timestamp_expr(con: duckdb.DuckDBPyConnection, rel: str, path: Path, col: str, typ: str) -> str:
    """Check that a timestamp column carries a zone and return the expression that reads it."""
    q = sql_identifier(col)
    if typ == "TIMESTAMP WITH TIME ZONE":
        return q
    if typ == "VARCHAR":
        bad = con.execute(
            f"SELECT count(*), any_value({q}) FROM {rel} WHERE {q} IS NOT NULL AND NOT regexp_matches(trim({q}), ?)",
            [_ZONE_SUFFIX]).fetchone()
        if bad and bad[0]:
            raise DataError(path, col, f"{bad[0]} value(s) without a time zone, e.g. {bad[1]!r}: expected ISO 8601 "
                                       "with an offset such as 2026-10-01T09:00:00+09:00")
        unparsable = con.execute(
            f"SELECT count(*), any_value({q}) FROM {rel} WHERE {q} IS NOT NULL AND TRY_CAST(trim({q}) AS TIMESTAMPTZ) IS NULL"
        ).fetchone()
        if unparsable and unparsable[0]:
            raise DataError(path, col, f"{unparsable[0]} value(s) are not timestamps, e.g. {unparsable[1]!r}: "
                                       "expected ISO 8601 such as 2026-10-01T09:00:00+09:00")
        return f"CAST(trim({q}) AS TIMESTAMPTZ) AS {q}"
    if typ.startswith("TIMESTAMP"):
        raise DataError(path, col, f"timestamps have no time zone (type {typ}): expected ISO 8601 with an offset "
                                   "(2026-10-01T09:00:00+09:00) in CSV, or a UTC-adjusted timestamp in Parquet")
    raise DataError(path, col, f"expected a timestamp with a time zone, found type {typ}")


ZONE_SUFFIX_PATTERN = re.compile(_ZONE_SUFFIX)
