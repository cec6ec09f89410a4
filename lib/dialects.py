"""The SQL of guidelab in other dialects: DuckDB SQL translated by sqlglot, with the few hooks it needs.

guidelab's SQL is written once, in DuckDB's dialect (``lib/metrics.py``, ``lib/ledger.py``,
``lib/breakdowns.py``, ``lib/timeseries.py``), with named parameters (``$tz``). DuckDB runs it
as written; every other engine gets it through :func:`translate`: parsed by sqlglot
(https://sqlglot.com, ``read="duckdb"``), the parameters bound as literals, the hooks below
applied, and written in the target dialect. The per-dialect differences live here and only here:

* parameters -> literals (strings through :func:`guidelab.values.sql_literal`, dates and instants
  as typed literals in UTC);
* ``timezone(tz, ts)`` (an instant's local wall-clock time in ``tz``) -> Spark
  ``from_utc_timestamp(ts, tz)`` (the session time zone is UTC), BigQuery ``DATETIME(ts, tz)``,
  Snowflake ``CONVERT_TIMEZONE(tz, ts)``;
* ``epoch(ts)`` (seconds with their fraction) -> microseconds / 1e6 (sqlglot's default,
  ``unix_timestamp``, drops the fraction);
* ``range(a, b[, step]) AS r`` with column ``r.range`` -> Spark's ``range`` table (column ``id``);
* ``epoch_us(ts)`` -> ``unix_micros(ts)``; ``make_timestamptz(us)`` / ``make_timestamp(us)`` ->
  ``timestamp_micros(us)`` (Spark);
* ``x IN (SELECT unnest($list))`` -> ``x IN (literals...)``;
* ``row_number() OVER (PARTITION BY ...)`` without an order (ranks among identical rows) ->
  ordered by the partition keys (Spark requires an order; the rows are tied, as in DuckDB).

``datediff('day', a, b)``, ``count_if``, ``bool_or``, ``arg_min``, ``* EXCLUDE`` and ``GROUP BY
ALL`` are translated by sqlglot itself. Statements the engines handle themselves (``CREATE
TEMP TABLE``, ``DESCRIBE``, DuckDB's ``SET``) are recognised by :func:`statement_kind`.
"""
from __future__ import annotations

import datetime as dt
from typing import Any, Mapping

import sqlglot
from sqlglot import exp

from .errors import GuidelabError
from .values import sql_literal

SOURCE_DIALECT = "duckdb"
PRINTED_DIALECTS = ("duckdb", "spark", "bigquery", "snowflake")
"""The dialects of the committed SQL snapshots (``tests/snapshots/sql/``)."""


class TranslationError(GuidelabError):
    """A statement sqlglot cannot read or a parameter that cannot be bound."""


def parse(sql: str) -> exp.Expression:
    """One DuckDB statement as a sqlglot tree."""
    try:
        tree = sqlglot.parse_one(sql, read=SOURCE_DIALECT)
    except sqlglot.errors.ParseError as exc:
        raise TranslationError(f"sqlglot cannot read this DuckDB SQL: {str(exc).splitlines()[0]}\n{sql[:500]}") from None
    return tree


def literal(value: Any) -> exp.Expression:
    """A parameter value as a typed SQL literal: text via :func:`sql_literal`, instants in UTC."""
    if value is None:
        return exp.Null()
    if isinstance(value, bool):
        return exp.Boolean(this=value)
    if isinstance(value, (int, float)):
        return exp.Literal.number(repr(value) if isinstance(value, float) else str(value))
    if isinstance(value, dt.datetime):
        utc = value.astimezone(dt.timezone.utc) if value.tzinfo else value.replace(tzinfo=dt.timezone.utc)
        text = utc.strftime("%Y-%m-%d %H:%M:%S.%f") + "+00:00"
        return exp.cast(exp.maybe_parse(sql_literal(text), dialect=SOURCE_DIALECT), exp.DataType.build("TIMESTAMPTZ"))
    if isinstance(value, dt.date):
        return exp.cast(exp.maybe_parse(sql_literal(value.isoformat()), dialect=SOURCE_DIALECT), exp.DataType.build("DATE"))
    if isinstance(value, str):
        return exp.maybe_parse(sql_literal(value), dialect=SOURCE_DIALECT)
    if isinstance(value, (list, tuple)):
        return exp.Array(expressions=[literal(v) for v in value])
    raise TranslationError(f"cannot bind a parameter of type {type(value).__name__} as an SQL literal")


def bind_parameters(tree: exp.Expression, params: Mapping[str, Any] | None) -> exp.Expression:
    """Replace ``$name`` parameters with literals (an unknown name is an error naming it)."""
    params = params or {}

    def bind(node: exp.Expression) -> exp.Expression:
        if isinstance(node, (exp.Placeholder, exp.Parameter)):
            name = node.name
            if name not in params:
                raise TranslationError(f"SQL parameter ${name} has no value (given: {', '.join(sorted(params)) or 'none'})")
            return literal(params[name])
        return node

    return tree.transform(bind)


def _local_time(tz: exp.Expression, ts: exp.Expression, dialect: str) -> exp.Expression:
    if dialect == "spark":
        return exp.Anonymous(this="from_utc_timestamp", expressions=[ts, tz])
    if dialect == "bigquery":
        return exp.Anonymous(this="DATETIME", expressions=[ts, tz])
    if dialect == "snowflake":
        return exp.Anonymous(this="CONVERT_TIMEZONE", expressions=[tz, ts])
    return exp.Anonymous(this="timezone", expressions=[tz, ts])


def _epoch_seconds(ts: exp.Expression, dialect: str) -> exp.Expression:
    million = exp.Literal.number("1000000.0")
    if dialect == "spark":
        micros = exp.cast(exp.Anonymous(this="unix_micros", expressions=[ts]), exp.DataType.build("DOUBLE"))
    elif dialect == "bigquery":
        micros = exp.Anonymous(this="UNIX_MICROS", expressions=[ts])
    elif dialect == "snowflake":
        micros = exp.Anonymous(this="DATE_PART", expressions=[exp.var("epoch_microsecond"), ts])
    else:
        return exp.Anonymous(this="epoch", expressions=[ts])
    return exp.Div(this=micros, expression=million)


def _hooks(tree: exp.Expression, dialect: str) -> exp.Expression:
    """The per-dialect rewrites sqlglot does not do (see the module docstring)."""
    range_aliases: set[str] = set()

    def rewrite(node: exp.Expression) -> exp.Expression:
        if isinstance(node, exp.Anonymous) and node.name.lower() == "timezone" and len(node.expressions) == 2:
            return _local_time(node.expressions[0], node.expressions[1], dialect)
        if isinstance(node, exp.TimeToUnix):
            return _epoch_seconds(node.this, dialect)
        if dialect == "spark" and isinstance(node, exp.Anonymous) and len(node.expressions) == 1:
            name = node.name.lower()
            if name == "epoch_us":  # microseconds since the epoch of an instant (or a wall-clock time as UTC)
                return exp.Anonymous(this="unix_micros", expressions=[node.expressions[0]])
            if name in ("make_timestamptz", "make_timestamp"):  # microseconds -> instant (session zone UTC)
                return exp.Anonymous(this="timestamp_micros", expressions=[node.expressions[0]])
        if (isinstance(node, exp.In) and isinstance(node.args.get("query"), exp.Subquery | exp.Select)):
            query = node.args["query"]
            select = query.this if isinstance(query, exp.Subquery) else query
            if isinstance(select, exp.Select) and len(select.expressions) == 1 and not select.args.get("from_") \
                    and isinstance(select.expressions[0], (exp.Unnest, exp.Explode)) \
                    and isinstance(select.expressions[0].expressions[0] if isinstance(select.expressions[0], exp.Unnest)
                                   else select.expressions[0].this, exp.Array):
                arr = select.expressions[0]
                values = (arr.expressions[0] if isinstance(arr, exp.Unnest) else arr.this).expressions
                return exp.In(this=node.this, expressions=list(values) or [exp.Null()])
        if dialect == "spark" and isinstance(node, exp.Window) and isinstance(node.this, exp.RowNumber) \
                and not node.args.get("order") and node.args.get("partition_by"):
            node = node.copy()
            node.set("order", exp.Order(expressions=[exp.Ordered(this=p.copy()) for p in node.args["partition_by"]]))
            return node
        if dialect == "spark" and isinstance(node, exp.Table) and isinstance(node.this, exp.GenerateSeries) \
                and node.this.args.get("is_end_exclusive"):
            alias = node.alias or "range"
            range_aliases.add(alias)
            series = node.this
            bounds = [series.args["start"], series.args["end"]] + ([series.args["step"]] if series.args.get("step") else [])
            inner = exp.select(exp.alias_(exp.column("id"), exp.to_identifier("range", quoted=True))).from_(
                exp.Table(this=exp.Anonymous(this="range", expressions=bounds)))
            return exp.Subquery(this=inner, alias=exp.TableAlias(this=exp.to_identifier(alias)))
        return node

    for node in reversed(list(tree.walk())):  # children before their parents: nested calls are all rewritten
        new = rewrite(node)
        if new is not node:
            if node is tree:
                tree = new
            else:
                node.replace(new)
    return tree


def statement_kind(tree: exp.Expression) -> str:
    """``select``, ``temp_table`` (CREATE [OR REPLACE] TEMP TABLE ... AS), ``view``, ``describe``, ``set`` or ``other``."""
    if isinstance(tree, exp.Create):
        kind = (tree.args.get("kind") or "").upper()
        if kind == "TABLE" and tree.args.get("expression") is not None:
            return "temp_table"
        if kind == "VIEW":
            return "view"
    if isinstance(tree, exp.Describe):
        return "describe"
    if isinstance(tree, (exp.Set, exp.Pragma)) or (isinstance(tree, exp.Command) and str(tree.this).upper() in ("SET", "PRAGMA", "RESET")):
        return "set"
    if isinstance(tree, (exp.Select, exp.Union, exp.Intersect, exp.Except)) or isinstance(tree, exp.Query):
        return "select"
    return "other"


def translate_tree(tree: exp.Expression, params: Mapping[str, Any] | None, dialect: str) -> exp.Expression:
    """A parsed DuckDB statement bound and rewritten for ``dialect`` (still a tree)."""
    tree = bind_parameters(tree.copy(), params)
    return _hooks(tree, dialect)


def translate(sql: str, params: Mapping[str, Any] | None = None, dialect: str = "spark", pretty: bool = False,
              strict: bool = True) -> str:
    """DuckDB SQL with ``$name`` parameters as SQL of ``dialect`` with the parameters bound.

    ``dialect`` is any sqlglot dialect; ``duckdb`` gives the same statement with its parameters
    bound (as a reader of the snapshots sees it). ``strict``: a construct sqlglot cannot write
    in ``dialect`` is an error (engines that run the SQL); else sqlglot writes its best guess
    (printed SQL, e.g. for BigQuery and Snowflake, which guidelab does not run)."""
    tree = translate_tree(parse(sql), params, dialect)
    try:
        level = sqlglot.ErrorLevel.RAISE if strict else sqlglot.ErrorLevel.IGNORE
        return tree.sql(dialect=dialect, pretty=pretty, unsupported_level=level)
    except sqlglot.errors.UnsupportedError as exc:
        raise TranslationError(f"sqlglot cannot write this statement in {dialect}: {exc}\n{sql[:500]}") from None
