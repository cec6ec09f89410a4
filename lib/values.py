"""One parser per kind of value: booleans, SQL literals and identifiers, user ids.

Every reader in guidelab parses these kinds of value through this module, so two commands can
never read the same cell differently (``guidelab eligible`` and ``guidelab assign`` once
disagreed on the id ``00000003``; three boolean parsers disagreed on ``t``, ``y`` and ``on``).

* **Booleans** - one vocabulary, :data:`TRUE_TOKENS` / :data:`FALSE_TOKENS`, compared after
  trimming white space and ignoring case: ``true/false``, ``t/f``, ``yes/no``, ``y/n``,
  ``on/off``, ``1/0`` (and ``1.0/0.0``, the way spreadsheets and pandas write a number column).
  :func:`parse_bool` reads one value in Python; :func:`sql_bool_case` writes the DuckDB
  expression that reads a column with the same vocabulary (the tests check that both agree on
  every token).
* **SQL** - :func:`sql_literal` quotes a string literal, :func:`sql_identifier` a column or
  table name (SQL standard quoting, as DuckDB reads it). No other code quotes SQL by hand.
* **User ids** are text, always: :func:`user_id_text` turns one cell into the id that
  :mod:`guidelab.hashing` hashes, and refuses numbers that have lost their spelling (a float
  ``3.0``). Readers read id columns as text (DuckDB ``VARCHAR``, pandas ``dtype=str``) so
  ``00000003`` keeps its zeros.
"""
from __future__ import annotations

import math
from typing import Annotated, Any

from pydantic import BeforeValidator

from .errors import GuidelabError

__all__ = [
    "TRUE_TOKENS", "FALSE_TOKENS", "BOOL_WHITESPACE", "BOOL_VOCABULARY", "BoolParseError", "parse_bool", "sql_bool_case",
    "sql_bool_is_valid", "sql_literal", "sql_identifier", "sql_exact_sum", "user_id_text", "shown", "Bool", "UserId",
]

#: Spellings of true (compared trimmed and lower-cased).
TRUE_TOKENS: tuple[str, ...] = ("true", "t", "yes", "y", "on", "1", "1.0")
#: Spellings of false (compared trimmed and lower-cased).
FALSE_TOKENS: tuple[str, ...] = ("false", "f", "no", "n", "off", "0", "0.0")
#: White space trimmed around a boolean token, the same in Python and SQL (ASCII white space, the
#: no-break space and the ideographic space that Japanese input methods type).
BOOL_WHITESPACE = " \t\n\r\f\v\u00a0\u3000"
#: The vocabulary as users read it in error messages and docs.
BOOL_VOCABULARY = "true/false, t/f, yes/no, y/n, on/off or 1/0 (any case)"

_SHOWN_MAX = 80


def shown(value: Any, limit: int = _SHOWN_MAX) -> str:
    """``repr(value)`` cut to ``limit`` characters (with the full length) for error messages."""
    text = repr(value)
    if len(text) <= limit:
        return text
    return f"{text[:limit]}… ({len(str(value)):,} characters)"


class BoolParseError(GuidelabError, ValueError):
    """A value that is not in the boolean vocabulary; the message names the field."""


def parse_bool(value: Any, field: str = "value") -> bool:
    """``value`` as a bool, by the one vocabulary of this module.

    Accepts a bool, the numbers 0 and 1, or text in :data:`TRUE_TOKENS` / :data:`FALSE_TOKENS`
    (:data:`BOOL_WHITESPACE` trimmed, any case). Anything else (including empty text and None: the caller
    decides what a missing value means) raises :class:`BoolParseError` naming ``field``.
    """
    if isinstance(value, bool):
        return value
    if isinstance(value, (int, float)) and not (isinstance(value, float) and math.isnan(value)) and value in (0, 1):
        return bool(value)
    if isinstance(value, str):
        token = value.strip(BOOL_WHITESPACE).lower()
        if token in TRUE_TOKENS:
            return True
        if token in FALSE_TOKENS:
            return False
    raise BoolParseError(f"{field}: expected a boolean ({BOOL_VOCABULARY}), got {shown(value)}")


def _bool_field(value: Any) -> bool:
    try:
        return parse_bool(value)
    except BoolParseError:
        raise ValueError(f"expected a boolean ({BOOL_VOCABULARY})") from None


#: A pydantic field type reading booleans by :func:`parse_bool` (JSON/YAML models use it, so a
#: user JSON and a user table read ``first_session: "on"`` alike).
Bool = Annotated[bool, BeforeValidator(_bool_field)]


def _user_id_field(value: Any) -> str:
    if not isinstance(value, str):
        raise ValueError('expected the user id as text, e.g. "00000003" (a number loses leading zeros)')
    if not value:
        raise ValueError("expected a user id, got empty text")
    return value


#: A pydantic field type for a user id: text only (a JSON number is refused, not converted).
UserId = Annotated[str, BeforeValidator(_user_id_field)]


def _normalised(column_sql: str) -> str:
    return f"lower(trim(CAST({column_sql} AS VARCHAR), {sql_literal(BOOL_WHITESPACE)}))"


def _token_list(tokens: tuple[str, ...]) -> str:
    return ", ".join(sql_literal(t) for t in tokens)


def sql_bool_case(column_sql: str) -> str:
    """DuckDB expression: 1 for a true token, 0 for a false token, NULL otherwise (and for NULL).

    ``column_sql`` is an SQL expression (quote a bare column with :func:`sql_identifier`).
    Same vocabulary as :func:`parse_bool`; booleans and integer columns cast to the text
    ``true``/``false``/``1``/``0``, so typed Parquet columns read the same as CSV text.
    """
    norm = _normalised(column_sql)
    return (f"CASE WHEN {norm} IN ({_token_list(TRUE_TOKENS)}) THEN 1 "
            f"WHEN {norm} IN ({_token_list(FALSE_TOKENS)}) THEN 0 END")


def sql_bool_is_valid(column_sql: str) -> str:
    """DuckDB condition: the value is NULL or in the boolean vocabulary (to count bad values)."""
    norm = _normalised(column_sql)
    return f"({column_sql} IS NULL OR {norm} IN ({_token_list(TRUE_TOKENS + FALSE_TOKENS)}))"


def sql_literal(text: str | Any) -> str:
    """``text`` as an SQL string literal: single quotes, inner quotes doubled (``it's`` -> ``'it''s'``)."""
    return "'" + str(text).replace("'", "''") + "'"


def sql_identifier(name: str) -> str:
    """``name`` as a quoted SQL identifier: double quotes, inner quotes doubled."""
    return '"' + str(name).replace('"', '""') + '"'


def sql_exact_sum(expression: str, scale: int = 12) -> str:
    """SQL: the sum of a DOUBLE ``expression`` that is the same on every run, as DOUBLE.

    A parallel ``sum`` of doubles adds in whatever order the threads finish, so its last bits can
    change between runs (and so a report's bytes). Each term is rounded to ``scale`` decimals and
    summed as DECIMAL(38, scale), which is exact, so the result does not depend on the order
    (DuckDB and Spark alike). Meant for sums of non-integer terms (y²/n, products of scores) whose
    total stays below 10^(38 - scale); integer-valued doubles already sum exactly below 2^53."""
    return f"CAST(sum(CAST({expression} AS DECIMAL(38, {int(scale)}))) AS DOUBLE)"


def user_id_text(value: Any, field: str = "user_id") -> str | None:
    """One user id cell as the text that is hashed; None for a missing cell.

    Text is kept exactly (``00000003`` stays ``00000003``). Integers (from a typed Parquet or a
    JSON number) become their decimal text. A float id has lost its spelling (``3.0``, or a
    long id rounded) and is refused, naming ``field``: export ids as text.
    """
    if value is None:
        return None
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        raise GuidelabError(f"{field}: expected a user id as text, got the boolean {value!r}")
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if math.isnan(value):
            return None
        raise GuidelabError(f"{field}: expected user ids as text, got the number {value!r}: a number column loses "
                            "leading zeros and long ids; export the ids as text")
    if hasattr(value, "item"):  # numpy scalars
        return user_id_text(value.item(), field)
    return str(value)
