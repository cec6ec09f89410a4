"""One serializer for every result model: ``to_dict()``/JSON, ``to_pandas()`` and ``_repr_html_``.

Result models are frozen dataclasses that inherit :class:`ResultModel`. Their JSON form is
derived from the fields and their annotations, in one place, instead of a hand-written
``to_dict`` per class:

* the keys are the dataclass fields in declaration order (a ``notes`` field, the codes of a
  statistics result's notes, as ``note``, their English, then ``notes``), unless the class lists them in
  ``_json_fields`` (names of fields, properties or class constants, or :class:`JsonField` for a
  key read from another attribute or converted by a function);
* the annotation of a field chooses its conversion: ``float`` -> a finite float or ``null``
  (never NaN or infinity), ``int`` -> int, ``bool`` -> bool, :data:`Interval` -> ``[lo, hi]`` or
  ``null`` when a bound is undefined; anything else (nested models, tuples, dicts, dates, numpy
  scalars) by :func:`to_jsonable`: models by their own form, tuples as lists, dates as ISO text.

The sentences some JSON documents carry (the verdict's reasons, the data checks' names) are not
made here: a :class:`JsonField` names a function of the report's words (``guidelab.report.words``)
that says a code and its parameters.

    >>> from dataclasses import dataclass
    >>> @dataclass(frozen=True)
    ... class Example(ResultModel):
    ...     n: int
    ...     rate: float | None
    ...     ci: Interval | None
    >>> Example(10, float("nan"), (0.1, float("inf"))).to_dict()
    {'n': 10, 'rate': None, 'ci': None}
    >>> Example(10, 0.25, (0.1, 0.4)).to_json(indent=None)
    '{"n": 10, "rate": 0.25, "ci": [0.1, 0.4]}'
"""
from __future__ import annotations

import dataclasses
import datetime as dt
import json
import math
import operator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Callable, ClassVar

if TYPE_CHECKING:
    import pandas as pd

#: A two-sided interval (lower, upper). In JSON: ``[lo, hi]``, or ``null`` when either bound is
#: undefined (None, NaN or infinite): half an interval is never reported.
Interval = tuple[float, float]


@dataclass(frozen=True)
class JsonField:
    """One key of a model's JSON form: ``key``, read from attribute ``source`` (a dotted path;
    default: the key), converted by ``convert`` (default: by the attribute's annotation or value)."""

    key: str
    source: str | None = None
    convert: Callable[[Any], Any] | None = None
    omit_none: bool = False  # leave the key out when the attribute is None


def finite(x: Any) -> float | None:
    """A plain float, or None for None, NaN and infinity."""
    if x is None:
        return None
    x = float(x)
    return x if math.isfinite(x) else None


def interval(ci: Any) -> list[float] | None:
    """``[lo, hi]`` with finite bounds, else None."""
    if ci is None:
        return None
    lo, hi = finite(ci[0]), finite(ci[1])
    return None if lo is None or hi is None else [lo, hi]


def _identity(x: Any) -> Any:
    return x


def to_jsonable(x: Any) -> Any:
    """Any value as strict JSON: models by their form, NaN/inf -> None, tuples -> lists,
    dates -> ISO text, numpy scalars -> Python numbers, dict keys -> str."""
    t = type(x)  # exact built-in types first (most nodes)
    if t is str or t is int or t is bool or x is None:
        return x
    if t is float:
        return x if math.isfinite(x) else None
    if t is dict:
        return {str(k): to_jsonable(v) for k, v in x.items()}
    if t is list or t is tuple:
        return [to_jsonable(v) for v in x]
    if isinstance(x, ResultModel):
        return x.to_dict()
    if isinstance(x, bool):
        return bool(x)
    if isinstance(x, int):
        return int(x)
    if isinstance(x, float):
        return x if math.isfinite(x) else None
    if isinstance(x, dict):
        return {str(k): to_jsonable(v) for k, v in x.items()}
    if isinstance(x, (list, tuple)):
        return [to_jsonable(v) for v in x]
    if isinstance(x, (dt.date, dt.datetime)):
        return x.isoformat()
    item = getattr(x, "item", None)  # numpy scalars
    if item is not None and getattr(x, "shape", None) == ():
        return to_jsonable(item())
    if dataclasses.is_dataclass(x) and not isinstance(x, type):
        return {f.name: to_jsonable(getattr(x, f.name)) for f in dataclasses.fields(x)}
    return x


def _strip_optional(annotation: str) -> str:
    a = annotation.replace(" ", "")
    for suffix in ("|None",):
        if a.endswith(suffix):
            a = a[: -len(suffix)]
    if a.startswith("None|"):
        a = a[5:]
    if a.startswith("Optional[") and a.endswith("]"):
        a = a[9:-1]
    return a


_BY_ANNOTATION: dict[str, Callable[[Any], Any]] = {
    "float": finite, "int": int, "bool": bool, "str": _identity, "Interval": interval,
}


def _converter(annotation: Any) -> Callable[[Any], Any]:
    if isinstance(annotation, str):
        return _BY_ANNOTATION.get(_strip_optional(annotation), to_jsonable)
    return to_jsonable


def _getter(path: str) -> Callable[[Any], Any]:
    parts = path.split(".")
    if len(parts) == 1:
        return operator.attrgetter(path)

    def get(obj: Any) -> Any:
        for p in parts:
            if obj is None:
                return None
            obj = getattr(obj, p)
        return obj
    return get


def _plan(cls: type) -> tuple[tuple[str, Callable[[Any], Any], Callable[[Any], Any], bool], ...]:
    """(key, getter, converter, omit_none) per JSON key of ``cls``, built once per class."""
    types = {f.name: f.type for f in dataclasses.fields(cls)} if dataclasses.is_dataclass(cls) else {}
    spec = getattr(cls, "_json_fields", None)
    if not spec:  # the fields in order; a ``notes`` field (codes) is ``note`` (their English) then ``notes``
        notes = JsonField("notes", convert=getattr(cls, "_notes_json", None))
        spec = tuple(key for name in types for key in (("note", notes) if name == "notes" else (name,)))
    if not getattr(cls, "_json_typed", True):  # values as they are (made strict-JSON safe), not by annotation
        types = {}
    plan = []
    for entry in spec:
        f = entry if isinstance(entry, JsonField) else JsonField(entry)
        source = f.source or f.key
        convert = f.convert or (_converter(types[source]) if source in types else to_jsonable)
        plan.append((f.key, _getter(source), convert, f.omit_none))
    return tuple(plan)


def _raw_value(x: Any) -> Any:
    """The raw form of a value: as it is (``json`` walks containers; models and dates go to
    :func:`raw_default`)."""
    return x


#: converter -> its raw counterpart (what it does, minus the walk that makes values strict JSON)
_RAW_CONVERTERS: dict[Any, Callable[[Any], Any]] = {to_jsonable: _raw_value}


def raw_converter(convert: Callable[[Any], Any], raw: Callable[[Any], Any]) -> Callable[[Any], Any]:
    """Declare ``raw`` the raw form of the converter ``convert`` (see :meth:`ResultModel.raw_form`)."""
    _RAW_CONVERTERS[convert] = raw
    return convert


def raw_default(x: Any) -> Any:
    """``default=`` of ``json.dumps`` for raw forms: models by their raw form, dates as ISO text,
    anything else as :func:`to_jsonable` makes it."""
    if isinstance(x, ResultModel):
        return x.raw_form()
    out = to_jsonable(x)
    if out is x:
        raise TypeError(f"Object of type {type(x).__name__} is not JSON serializable")
    return out


def _compile(cls: type, raw: bool = False) -> Callable[[Any], dict[str, Any]]:
    """The JSON form of ``cls`` as one generated function (a dict display, no loop per field):
    the bulk JSON of ``analyze-counts`` serializes hundreds of thousands of models.
    ``raw``: the raw form (:meth:`ResultModel.raw_form`)."""
    env: dict[str, Any] = {}
    plan = _plan(cls)
    if raw:
        plan = tuple((key, get, _RAW_CONVERTERS.get(convert, convert), omit) for key, get, convert, omit in plan)
    lines = ["def to_dict(self):"]
    head = 0  # keys before the first omit_none key go in one dict display; the rest one by one, in order
    while head < len(plan) and not plan[head][3]:
        head += 1
    for i, (_key, get, convert, _omit_none) in enumerate(plan):
        env[f"g{i}"], env[f"c{i}"] = get, convert
        lines.append(f"    v{i} = g{i}(self)")
    lines.append("    d = {" + ", ".join(f"{plan[i][0]!r}: None if v{i} is None else c{i}(v{i})" for i in range(head)) + "}")
    for i in range(head, len(plan)):
        key, omit_none = plan[i][0], plan[i][3]
        if omit_none:
            lines += [f"    if v{i} is not None:", f"        d[{key!r}] = c{i}(v{i})"]
        else:
            lines.append(f"    d[{key!r}] = None if v{i} is None else c{i}(v{i})")
    lines.append("    return d")
    exec("\n".join(lines), env)  # noqa: S102 - source built from the class's own field names
    return env["to_dict"]


class ResultModel:
    """Base of the typed result models: one JSON form (:meth:`to_dict`, :meth:`to_json`), a
    DataFrame (:meth:`to_pandas`) and a readable table in Jupyter (``_repr_html_``).

    A subclass may set ``_json_fields`` (see the module docstring), ``_json_typed = False`` (values
    converted as they are, not by annotation: an int in a float field stays an int) and override
    :meth:`frame_rows` (the rows of its DataFrame; default: one row of the flattened JSON form).
    """

    _json_fields: ClassVar[tuple[str | JsonField, ...] | None] = None
    _json_typed: ClassVar[bool] = True
    _json_form: ClassVar[Callable[[Any], dict[str, Any]] | None] = None  # compiled per class on first use
    _raw_json_form: ClassVar[Callable[[Any], dict[str, Any]] | None] = None  # the raw form (raw_form), likewise

    def to_dict(self) -> dict[str, Any]:
        """The JSON form: plain ints/floats/strings/lists/dicts, None where undefined (never NaN/inf)."""
        cls = type(self)
        form = cls.__dict__.get("_json_form")
        if form is None:  # compiled once per class, on first use
            form = _compile(cls)
            cls._json_form = form
        return form(self)

    def raw_form(self) -> dict[str, Any]:
        """The JSON form without the walk that makes nested values strict JSON: typed fields are
        converted as in :meth:`to_dict`, other values are left as they are for ``json.dumps(...,
        allow_nan=False, default=raw_default)`` to walk in C. Gives the same JSON text as
        :meth:`to_dict` whenever that call succeeds (a NaN or infinity left in a nested value makes
        it raise ValueError: then serialise :meth:`to_dict`, which writes them as null). Dict keys
        must be text (as every key of these models is); ``to_dict`` would write a key ``True`` as
        ``"True"``, ``json`` as ``"true"``."""
        cls = type(self)
        form = cls.__dict__.get("_raw_json_form")
        if form is None:
            form = _compile(cls, raw=True)
            cls._raw_json_form = form
        return form(self)

    def to_json(self, indent: int | None = 2) -> str:
        """:meth:`to_dict` as JSON text (UTF-8 characters kept, never NaN)."""
        return json.dumps(self.to_dict(), ensure_ascii=False, indent=indent, allow_nan=False)

    def frame_rows(self) -> list[dict[str, Any]]:
        """The rows of :meth:`to_pandas`: one row of the flattened JSON form, nested keys joined by dots."""
        return [flatten(self.to_dict())]

    def to_pandas(self) -> "pd.DataFrame":
        """A DataFrame of :meth:`frame_rows` (intervals split into ``*_low``/``*_high`` columns)."""
        import pandas as pd

        return pd.DataFrame(self.frame_rows())

    def _repr_html_(self) -> str:
        """A readable table in Jupyter, rendered by the report's autoescaping Jinja environment."""
        from .report.templating import model_table

        return model_table(self)


def flatten(d: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    """Nested dicts to dotted keys; two-number lists (intervals) to ``<key>_low``/``<key>_high``.

    >>> flatten({"a": {"b": 1}, "ci": [0.1, 0.2], "tags": ["x"]})
    {'a.b': 1, 'ci_low': 0.1, 'ci_high': 0.2, 'tags': ['x']}
    """
    out: dict[str, Any] = {}
    for k, v in d.items():
        key = f"{prefix}{k}"
        if isinstance(v, dict):
            out.update(flatten(v, key + "."))
        elif (isinstance(v, list) and len(v) == 2 and all(type(b) is float for b in v)
              and (k.endswith("ci") or k.endswith("interval"))):
            out[key + "_low"], out[key + "_high"] = v
        else:
            out[key] = v
    return out
