"""In-app guides (modal, tooltip, banner, tour, checklist, survey): the YAML schema and its rules.

A guide is written in YAML, either inside an experiment spec's ``guides:`` list or alone in a
file (:func:`load_guide`). Every rule lives in a pydantic validator, so a :class:`Guide`
nested in another model (``ExperimentSpec.guides``) is checked exactly like a standalone one,
and every problem is reported through :mod:`guidelab.yamlio` with file, field path
(``steps[1].buttons[0].url``) and line.

Rules that need several fields (a tour needs 2 steps, a ``back`` button cannot be on the
first step, every text has every listed locale, ...) raise errors located at the offending
field, not at the guide as a whole.

Besides the models this module has two pure functions used by the simulator and the report:
:func:`evaluate_targeting` (does a user match, and if not why) and :func:`schedule_is_live`.

User text is kept exactly as written (no stripping, no normalisation, no HTML escaping; the
report escapes what it renders).
"""
from __future__ import annotations

import datetime as dt
import fnmatch
import math
import numbers
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, Literal, get_args
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from packaging.specifiers import InvalidSpecifier, Specifier
from packaging.version import InvalidVersion, Version
from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    RootModel,
    ValidationError,
    field_validator,
    model_validator,
)
from pydantic_core import InitErrorDetails, PydanticCustomError

from .errors import clip
from .yamlio import load_model

__all__ = [
    "GuideType", "GUIDE_TYPES", "Placement", "ButtonAction", "QuestionKind", "TriggerOn",
    "FrequencyMode", "LocalizedText", "Button", "Question", "Step", "Range", "Condition",
    "Targeting", "Trigger", "Schedule", "Frequency", "Guide", "load_guide",
    "evaluate_targeting", "evaluate_condition", "schedule_is_live", "parse_version",
    "parse_version_spec", "VersionSpec", "days_since", "check_http_url", "TEXT_LIMITS", "MAX_STEPS", "MAX_BUTTONS",
]

# --- choices -------------------------------------------------------------------------------
GuideType = Literal["modal", "tooltip", "banner", "tour", "checklist", "survey"]
Placement = Literal["top", "bottom", "left", "right", "center"]
ButtonAction = Literal["next", "back", "dismiss", "complete", "url"]
QuestionKind = Literal["nps", "rating", "poll"]
TriggerOn = Literal["page_view", "event", "first_session"]
FrequencyMode = Literal["once", "until_interacted", "every_time"]

GUIDE_TYPES: tuple[str, ...] = get_args(GuideType)
#: Steps each guide type needs: (minimum, maximum or None).
STEP_COUNTS: dict[str, tuple[int, int | None]] = {
    "modal": (1, 1), "banner": (1, 1), "tooltip": (1, None),
    "tour": (2, None), "checklist": (2, None), "survey": (1, None),
}
#: Size limits of a guide's text, in characters (Unicode code points, as ``len()`` counts them):
#: far above what fits on a guide (the example guides use at most 37 in a title, 74 in a body and
#: 20 in a label), low enough that a pasted document or a runaway template is caught at
#: ``validate``, before it reaches the product, the preview or the report. See experiments/README.md.
TEXT_LIMITS: dict[str, int] = {"name": 200, "title": 200, "body": 5_000, "label": 80, "option": 200}
#: At most this many steps in any guide (a tour or checklist longer than this is not read through).
MAX_STEPS = 20
#: At most this many buttons on one step.
MAX_BUTTONS = 5
DEFAULT_LOCALES: tuple[str, ...] = ("ja", "en")
REQUIRED_LOCALES: tuple[str, ...] = ("ja", "en")

#: The one rule for ids that become file names or parts of them (experiment ids, variant keys,
#: guide and step ids): lower-case ASCII letters, digits, '-' and '_', starting with a letter or
#: digit, at most 63 characters - no path separators, dots, spaces or case-only differences.
SLUG_PATTERN = r"^[a-z0-9][a-z0-9_-]{0,62}$"
_SLUG_RE = re.compile(SLUG_PATTERN)
#: Names Windows reserves for devices, with or without an extension: never a file name.
_DEVICE_NAMES = frozenset({"con", "prn", "aux", "nul", *(f"{p}{i}" for p in ("com", "lpt") for i in range(1, 10))})
#: BCP 47-like tags: ``ja``, ``en``, ``pt-BR``, ``zh-Hant``.
_LOCALE_RE = re.compile(r"^[a-z]{2,3}(-[A-Za-z0-9]{2,8})*$")
_CONTROL_RE = re.compile(r"[\x00-\x1f\x7f]")
_VERSION_OPS = ("~=", "==", "!=", "<=", ">=", "<", ">")


def _one_of(options: tuple[str, ...]):
    """A before-validator: ``expected one of a, b, c`` instead of pydantic's wording."""

    def check(value: Any) -> Any:
        if not isinstance(value, str) or value not in options:
            raise ValueError(f"expected one of {', '.join(options)}")
        return value

    return BeforeValidator(check)


def slug_problem(value: Any) -> str | None:
    """What is wrong with ``value`` as an id (:data:`SLUG_PATTERN`), or None when it is a valid one."""
    if not isinstance(value, str) or not _SLUG_RE.match(value):
        return ("expected an id of 1-63 characters a-z, 0-9, '-' and '_', starting with a letter or digit "
                "(it becomes part of file names)")
    if value in _DEVICE_NAMES:
        return f"{value!r} is a device name on Windows, never a file name: expected another id"
    return None


def _check_slug(value: Any) -> Any:
    problem = slug_problem(value)
    if problem:
        raise ValueError(problem)
    return value


def _check_name(what: str, max_len: int):
    def check(value: Any) -> Any:
        if not isinstance(value, str) or not value.strip():
            raise ValueError(f"expected {what} (a non-empty string)")
        if value != value.strip() or _CONTROL_RE.search(value):
            raise ValueError(f"expected {what} without surrounding spaces or control characters")
        if len(value) > max_len:
            raise ValueError(f"expected {what} of at most {max_len} characters")
        return value

    return BeforeValidator(check)


def _is_number(value: Any) -> bool:
    return isinstance(value, numbers.Real) and not isinstance(value, bool)


def _check_number(value: Any) -> Any:
    if not _is_number(value) or not math.isfinite(value):
        raise ValueError("expected a number")
    return value


def _check_positive_int(value: Any) -> Any:
    if not isinstance(value, numbers.Integral) or isinstance(value, bool) or value < 1:
        raise ValueError("expected a positive whole number")
    return int(value)


def _check_scalar(value: Any) -> Any:
    if isinstance(value, bool) or isinstance(value, str) or (_is_number(value) and math.isfinite(value)):
        return value
    raise ValueError("expected a string, a number or true/false")


def _check_priority(value: Any) -> Any:
    if not isinstance(value, numbers.Integral) or isinstance(value, bool) or not 0 <= value <= 100:
        raise ValueError("expected a whole number from 0 to 100")
    return int(value)


#: An id that becomes (part of) a file name; the pattern is repeated for the JSON Schema.
Slug = Annotated[str, Field(pattern=SLUG_PATTERN), BeforeValidator(_check_slug)]
EventName = Annotated[str, _check_name("a product event name", 200)]
AttributeName = Annotated[str, _check_name("a user attribute name", 100)]
Number = Annotated[int | float, BeforeValidator(_check_number)]
PositiveInt = Annotated[int, BeforeValidator(_check_positive_int)]
Scalar = Annotated[str | int | float | bool, BeforeValidator(_check_scalar)]


# --- errors located at a field ---------------------------------------------------------------
_NOTHING: Any = object()


class _Errors:
    """Collects problems found by a model validator, each at a location inside the model.

    Raised as a ``ValidationError``, which pydantic re-locates under the model's own path, so
    a rule checked in :class:`Guide` still names ``steps[2].buttons[0].action``.
    """

    def __init__(self) -> None:
        self.items: list[InitErrorDetails] = []

    def add(self, loc: tuple[Any, ...], message: str, value: Any = _NOTHING, *, missing: bool = False) -> None:
        if value is _NOTHING:
            value = {}  # a mapping: yamlio adds no "(got ...)" after the message
        elif isinstance(value, BaseModel):
            value = value.model_dump(mode="json")
        elif isinstance(value, list):
            value = [v.model_dump(mode="json") if isinstance(v, BaseModel) else v for v in value]
        elif isinstance(value, (dt.date, dt.datetime)):
            value = value.isoformat()
        # "missing" errors are not followed by "(got None)" in yamlio's messages.
        kind = "missing" if missing else "guide_rule"
        self.items.append(InitErrorDetails(
            type=PydanticCustomError(kind, "{message}", {"message": message}), loc=loc, input=value,
        ))

    def raise_if_any(self, title: str) -> None:
        if self.items:
            raise ValidationError.from_exception_data(title, self.items)


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


# --- text ----------------------------------------------------------------------------------
class LocalizedText(RootModel[dict[str, str]]):
    """Text in several languages: ``{ja: "ようこそ", en: "Welcome"}``.

    Keys are locale tags (``ja``, ``en``, ``pt-BR``); every text is non-empty after stripping,
    and is kept exactly as written. Which locales are required is decided by the guide
    (``Guide.locales``).
    """

    model_config = ConfigDict(frozen=True)
    root: dict[str, str]

    @model_validator(mode="before")
    @classmethod
    def _check(cls, data: Any) -> Any:
        if isinstance(data, LocalizedText):
            return data.root
        if not isinstance(data, Mapping):
            raise ValueError('expected text per locale, e.g. {ja: "ようこそ", en: "Welcome"}')
        if not data:
            raise ValueError('expected at least one locale, e.g. {ja: "ようこそ", en: "Welcome"}')
        errors = _Errors()
        for key, text in data.items():
            if not isinstance(key, str) or not _LOCALE_RE.match(key):
                errors.add((str(key),), "expected a locale code such as ja, en or pt-BR", key)
            elif text is None:
                errors.add((key,), f"missing text for locale {key!r}", missing=True)
            elif not isinstance(text, str):
                errors.add((key,), f"expected the {key!r} text as a string (quote it)", text)
            elif not text.strip():
                errors.add((key,), f"empty text for locale {key!r}", text)
        errors.raise_if_any("LocalizedText")
        return dict(data)

    def get(self, lang: str, fallback: str | None = "en") -> str:
        """The text in ``lang``, else in ``fallback``, else in the first locale given."""
        if lang in self.root:
            return self.root[lang]
        if fallback is not None and fallback in self.root:
            return self.root[fallback]
        return next(iter(self.root.values()))

    @property
    def locales(self) -> list[str]:
        return list(self.root)

    def __getitem__(self, lang: str) -> str:
        return self.root[lang]

    def __contains__(self, lang: object) -> bool:
        return lang in self.root

    def __hash__(self) -> int:
        return hash(tuple(self.root.items()))


# --- guide parts ---------------------------------------------------------------------------
def check_http_url(value: str) -> str:
    """Accept only absolute ``http://`` or ``https://`` URLs with a host (no javascript:, data:, relative)."""
    expected = "expected an http(s) URL such as https://example.com/help"
    if not isinstance(value, str) or not value or len(value) > 2048 or re.search(r"[\s\\]", value) \
            or _CONTROL_RE.search(value):
        raise ValueError(expected)
    try:
        parts = urlsplit(value)
        host = parts.hostname
    except ValueError:
        raise ValueError(expected) from None
    if parts.scheme.lower() not in ("http", "https") or not host:
        raise ValueError(expected)
    return value


class Button(_Model):
    """A button on a step. ``url`` is required for, and only allowed with, ``action: url``."""

    label: LocalizedText
    action: Annotated[ButtonAction, _one_of(get_args(ButtonAction))]
    url: str | None = None

    @field_validator("url", mode="before")
    @classmethod
    def _url(cls, v: Any) -> Any:
        return None if v is None else check_http_url(v)

    @model_validator(mode="after")
    def _url_iff_action(self) -> "Button":
        errors = _Errors()
        if self.action == "url" and self.url is None:
            errors.add(("url",), "required when action is url: expected an http(s) URL", missing=True)
        elif self.action != "url" and self.url is not None:
            errors.add(("url",), f"only used with action: url (this button's action is {self.action})", self.url)
        errors.raise_if_any("Button")
        return self


class Question(_Model):
    """A survey question: ``nps`` (0-10), ``rating`` (1-5) or ``poll`` (one of 2-10 options)."""

    kind: Annotated[QuestionKind, _one_of(get_args(QuestionKind))]
    options: list[LocalizedText] | None = None

    @model_validator(mode="after")
    def _options(self) -> "Question":
        errors = _Errors()
        if self.kind == "poll":
            if self.options is None:
                errors.add(("options",), "required for a poll: expected 2 to 10 options", missing=True)
            elif not 2 <= len(self.options) <= 10:
                errors.add(("options",), f"expected 2 to 10 options for a poll, got {len(self.options)}",
                           self.options)
        elif self.options is not None:
            errors.add(("options",), f"only a poll has options (this question is {self.kind})", self.options)
        errors.raise_if_any("Question")
        return self

    @property
    def scale(self) -> tuple[int, int] | None:
        """The answer range for nps (0, 10) and rating (1, 5); None for a poll."""
        return {"nps": (0, 10), "rating": (1, 5)}.get(self.kind)


class Step(_Model):
    """One step (screen, tooltip, checklist item or survey question) of a guide.

    ``id`` is optional in YAML; inside a :class:`Guide` it is always set (``step-1``,
    ``step-2``... by position when not given).
    """

    id: Slug | None = None
    title: LocalizedText | None = None
    body: LocalizedText | None = None
    target: str | None = None
    placement: Annotated[Placement, _one_of(get_args(Placement))] = "bottom"
    buttons: list[Button] = []
    complete_event: EventName | None = None
    question: Question | None = None

    @field_validator("target", mode="before")
    @classmethod
    def _target(cls, v: Any) -> Any:
        if v is None:
            return v
        if not isinstance(v, str) or not v.strip() or _CONTROL_RE.search(v) or len(v) > 1000:
            raise ValueError("expected a CSS selector such as '#new-project' (one line, at most 1000 characters)")
        return v

    @model_validator(mode="after")
    def _has_text(self) -> "Step":
        if self.title is None and self.body is None:
            errors = _Errors()
            errors.add(("title",), "expected a title or a body (or both)", missing=True)
            errors.raise_if_any("Step")
        return self


# --- targeting -----------------------------------------------------------------------------
class Range(_Model):
    """Numeric bounds; any of gt, gte, lt, lte (at least one, not gt with gte nor lt with lte)."""

    gt: Number | None = None
    gte: Number | None = None
    lt: Number | None = None
    lte: Number | None = None

    @model_validator(mode="after")
    def _bounds(self) -> "Range":
        errors = _Errors()
        _check_bounds(self.gt, self.gte, self.lt, self.lte, (), errors)
        errors.raise_if_any("Range")
        return self

    def describe(self) -> str:
        return _describe_bounds(self.gt, self.gte, self.lt, self.lte)

    def contains(self, x: float) -> bool:
        return _in_bounds(x, self.gt, self.gte, self.lt, self.lte)


def _check_bounds(gt, gte, lt, lte, loc: tuple, errors: _Errors) -> None:
    if gt is None and gte is None and lt is None and lte is None:
        errors.add(loc, "expected at least one bound: gt, gte, lt or lte", missing=True)
        return
    if gt is not None and gte is not None:
        errors.add(loc + ("gte",), "use gt or gte, not both", gte)
    if lt is not None and lte is not None:
        errors.add(loc + ("lte",), "use lt or lte, not both", lte)
    low = gt if gt is not None else gte
    high = lt if lt is not None else lte
    if low is not None and high is not None:
        empty = low > high or (low == high and (gt is not None or lt is not None))
        if empty:
            field = "lt" if lt is not None else "lte"
            errors.add(loc + (field,), f"no value can match {_describe_bounds(gt, gte, lt, lte)}", high)


def _describe_bounds(gt, gte, lt, lte) -> str:
    parts = []
    for op, bound in ((">", gt), (">=", gte), ("<", lt), ("<=", lte)):
        if bound is not None:
            parts.append(f"{op} {_fmt_number(bound)}")
    return " and ".join(parts)


def _in_bounds(x, gt, gte, lt, lte) -> bool:
    return ((gt is None or x > gt) and (gte is None or x >= gte)
            and (lt is None or x < lt) and (lte is None or x <= lte))


def _fmt_number(x: Any) -> str:
    return str(int(x)) if isinstance(x, float) and x.is_integer() else str(x)


def parse_version(value: str) -> Version:
    """A version as the app reports it: ``2.3``, ``2.3.0``, ``v2.3.1``, ``2.4.0-beta.1`` (= 2.4.0b1).

    Parsed by :class:`packaging.version.Version` (PEP 440 spellings; the usual semver ones such as
    ``2.4.0-rc.1`` normalise to ``2.4.0rc1``). Build metadata (``+build.5``) is dropped, as
    semver ignores it for ordering. Raises ``packaging.version.InvalidVersion``.
    """
    return Version(Version(value.strip()).public)


_COMPARE = {
    "==": lambda a, b: a == b, "!=": lambda a, b: a != b, ">=": lambda a, b: a >= b,
    "<=": lambda a, b: a <= b, ">": lambda a, b: a > b, "<": lambda a, b: a < b,
}


@dataclass(frozen=True)
class VersionSpec:
    """A parsed version comparison; see :func:`parse_version_spec`."""

    text: str
    clauses: tuple[tuple[str, str], ...]

    def contains(self, version: str | Version) -> bool:
        """Whether ``version`` satisfies every clause. Raises ``InvalidVersion`` for a non-version."""
        v = parse_version(version) if isinstance(version, str) else Version(version.public)
        for op, target in self.clauses:
            if op in _COMPARE and not target.endswith(".*"):
                if not _COMPARE[op](v, Version(target)):
                    return False
            elif not Specifier(op + target).contains(v, prereleases=True):
                return False
        return True


def parse_version_spec(spec: str) -> VersionSpec:
    """A comparison such as ``>=2.3.0``, ``>=2.3,<3``, ``==2.3.*``, ``!=2.5.1`` or ``~=2.3``.

    Clauses are separated by commas and all must hold. ``v`` prefixes are allowed
    (``>=v2.3``). ``==, !=, <, <=, >, >=`` follow the plain version order, in which a
    pre-release comes before its release: ``2.3.0rc1 < 2.3.0 < 2.3.1``, ``2.3 == 2.3.0``,
    ``2.10.0 > 2.9.1`` (unlike PEP 440 specifiers, ``<2.3.0`` includes ``2.3.0rc1`` and
    pre-releases are never excluded). ``==2.3.*`` and ``~=2.3`` keep their PEP 440 meaning,
    pre-releases included. A bare version (``2.3.0``) is refused as ambiguous.
    Raises ``ValueError`` saying what was expected.
    """
    expected = "expected a version comparison such as '>=2.3.0' or '>=2.3,<3' (quote it in YAML)"
    if not isinstance(spec, str) or not spec.strip():
        raise ValueError(expected)
    clauses = []
    for clause in (c.strip() for c in spec.split(",")):
        op = next((o for o in _VERSION_OPS if clause.startswith(o)), None)
        if op is None:
            raise ValueError(f"{expected}; {clip(clause)} has no operator (write ==2.3.0 or >=2.3.0)")
        target = clause[len(op):].strip()
        if target[:1] in ("v", "V"):
            target = target[1:]
        try:
            Specifier(op + target)  # validates the operator/version pair (e.g. ~= needs 2 parts)
            if op in _COMPARE and not target.endswith(".*"):
                target = str(Version(target))
        except (InvalidSpecifier, InvalidVersion):
            raise ValueError(f"{expected}; {clip(clause)} is not one") from None
        if "+" in target:
            raise ValueError(f"{expected}; {clip(clause)}: build metadata (+...) is ignored, leave it out")
        clauses.append((op, target))
    return VersionSpec(spec, tuple(clauses))


class Condition(_Model):
    """One targeting test, on a user attribute or on the days since signup.

    Exactly one kind of test per condition::

        {attribute: plan, equals: free}
        {attribute: country, in: [JP, US]}
        {attribute: browser, not_in: [ie]}
        {attribute: seats, gte: 1, lte: 10}          # numeric range: any of gt/gte/lt/lte
        {attribute: app_version, version: ">=2.3.0"} # version order, see parse_version_spec
        {days_since_signup: {lte: 7}}                # whole days since signup_at (day 0 = first 24 h)

    Comparisons are exact: strings are case-sensitive, numbers compare as numbers, a string is
    never equal to a number, and true/false only equal true/false.
    """

    model_config = ConfigDict(extra="forbid", frozen=True, validate_by_name=True, validate_by_alias=True,
                              serialize_by_alias=True)

    attribute: AttributeName | None = None
    equals: Scalar | None = None
    in_: list[Scalar] | None = Field(None, alias="in")
    not_in: list[Scalar] | None = None
    gt: Number | None = None
    gte: Number | None = None
    lt: Number | None = None
    lte: Number | None = None
    version: str | None = None
    days_since_signup: Range | None = None

    @field_validator("in_", "not_in")
    @classmethod
    def _list(cls, v: list | None, info) -> list | None:
        if v is None:
            return v
        name = "in" if info.field_name == "in_" else info.field_name
        if not v:
            raise ValueError(f"expected at least one value in {name}")
        if any(isinstance(x, bool) for x in v) and any(isinstance(x, str) for x in v):
            # YAML 1.1 reads NO, yes, off... as booleans: [JP, NO] arrives as ['JP', False].
            errors = _Errors()
            for i, x in enumerate(v):
                if isinstance(x, bool):
                    errors.add((i,), "YAML read this as true/false; quote it (e.g. 'NO') if you meant text", x)
            errors.raise_if_any("Condition")
        return v

    @field_validator("version", mode="before")
    @classmethod
    def _version(cls, v: Any) -> Any:
        if v is None:
            return v
        if not isinstance(v, str):
            raise ValueError("expected a version comparison such as '>=2.3.0' (quote it in YAML)")
        parse_version_spec(v)
        return v

    @model_validator(mode="after")
    def _one_test(self) -> "Condition":
        errors = _Errors()
        tests = self.tests
        if self.days_since_signup is not None:
            if self.attribute is not None:
                errors.add(("attribute",), "days_since_signup is a condition of its own: remove attribute",
                           self.attribute)
            for name in tests:
                if name != "days_since_signup":
                    errors.add((name.split("/")[0],), "days_since_signup is a condition of its own: "
                               "write this test as a separate condition")
        else:
            if self.attribute is None:
                errors.add(("attribute",), "expected the user attribute to test, e.g. attribute: plan "
                           "(or a days_since_signup condition)", missing=True)
            if not tests and "equals" in self.model_fields_set:
                errors.add(("equals",), "expected a string, a number or true/false (null cannot be tested)")
            elif not tests:
                errors.add((), "expected a test: equals, in, not_in, gt/gte/lt/lte, version or days_since_signup")
            elif len(tests) > 1:
                errors.add((), f"expected one test per condition, got {' and '.join(tests)}: "
                           "write one condition for each")
            elif tests == ["gt/gte/lt/lte"]:
                _check_bounds(self.gt, self.gte, self.lt, self.lte, (), errors)
        errors.raise_if_any("Condition")
        return self

    @property
    def tests(self) -> list[str]:
        """The kinds of test given: equals, in, not_in, gt/gte/lt/lte, version, days_since_signup."""
        out = []
        if self.equals is not None:
            out.append("equals")
        if self.in_ is not None:
            out.append("in")
        if self.not_in is not None:
            out.append("not_in")
        if any(b is not None for b in (self.gt, self.gte, self.lt, self.lte)):
            out.append("gt/gte/lt/lte")
        if self.version is not None:
            out.append("version")
        if self.days_since_signup is not None:
            out.append("days_since_signup")
        return out

    def describe(self) -> str:
        """The test in words, e.g. ``country in JP, US`` or ``days since signup <= 7``."""
        if self.days_since_signup is not None:
            return f"days since signup {self.days_since_signup.describe()}"
        return f"{self.attribute} {_expectation(self)}"


class Targeting(_Model):
    """Who sees the guide: every ``all`` condition and, if given, at least one ``any`` condition."""

    all: list[Condition] = []
    any: list[Condition] = []

    @model_validator(mode="before")
    @classmethod
    def _only_all_any(cls, data: Any) -> Any:
        # A condition written straight under targeting (``targeting: {version: ">= 3.2"}``) would
        # otherwise be an "unknown field" with no hint of the shape expected.
        if isinstance(data, Mapping):
            stray = [k for k in data if k not in ("all", "any")]
            if stray:
                errors = _Errors()
                for key in stray:
                    errors.add((str(key),), "targeting takes lists of conditions under all: or any:, e.g. "
                                            "targeting: {all: [{attribute: app_version, version: '>=3.2'}]}")
                errors.raise_if_any("Targeting")
        return data

    @model_validator(mode="after")
    def _not_empty(self) -> "Targeting":
        if not self.all and not self.any:
            errors = _Errors()
            errors.add((), "expected at least one condition under all or any (or leave targeting out)")
            errors.raise_if_any("Targeting")
        return self


# --- when and how often ----------------------------------------------------------------------
class Trigger(_Model):
    """What shows the guide: a page view (``page`` glob), a product ``event``, or the first session."""

    on: Annotated[TriggerOn, _one_of(get_args(TriggerOn))]
    page: str | None = None
    event: EventName | None = None
    delay_seconds: Annotated[float, BeforeValidator(_check_number), Field(ge=0)] = 0.0

    @model_validator(mode="before")
    @classmethod
    def _yaml_on(cls, data: Any) -> Any:
        # YAML 1.1 reads the key `on` as the boolean true.
        if isinstance(data, Mapping) and any(k is True for k in data) and "on" not in data:
            data = {("on" if k is True else k): v for k, v in data.items()}
        return data

    @field_validator("page", mode="before")
    @classmethod
    def _page(cls, v: Any) -> Any:
        if v is None:
            return v
        if not isinstance(v, str) or not v.startswith("/") or re.search(r"\s", v) or len(v) > 2000:
            raise ValueError("expected a path glob starting with '/', such as /dashboard*")
        return v

    @model_validator(mode="after")
    def _fields_for_on(self) -> "Trigger":
        errors = _Errors()
        if self.on == "page_view" and self.page is None:
            errors.add(("page",), "required for on: page_view (a path glob such as /dashboard*)", missing=True)
        if self.on != "page_view" and self.page is not None:
            errors.add(("page",), f"only used with on: page_view (this trigger is on: {self.on})", self.page)
        if self.on == "event" and self.event is None:
            errors.add(("event",), "required for on: event (the product event name)", missing=True)
        if self.on != "event" and self.event is not None:
            errors.add(("event",), f"only used with on: event (this trigger is on: {self.on})", self.event)
        errors.raise_if_any("Trigger")
        return self

    def matches_page(self, path: str) -> bool:
        """Whether a page path (query and fragment ignored) matches ``page``; ``*`` also matches '/'."""
        if self.page is None:
            return False
        path = path.split("#", 1)[0].split("?", 1)[0]
        return fnmatch.fnmatchcase(path, self.page)


def _check_tz(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, TypeError):
        raise ValueError(f"unknown time zone {clip(name)}: expected an IANA name such as Asia/Tokyo or UTC") from None


class Schedule(_Model):
    """When the guide may show: from ``start`` to ``end``, both inclusive, either may be left out.

    A time without a UTC offset is local time in ``timezone`` (required then); a time with an
    offset (``2026-10-01T09:00:00+09:00``) stands for itself. After validation ``start`` and
    ``end`` are always timezone-aware. A local time that does not exist (skipped by a daylight
    saving change) is an error; an ambiguous one (repeated) means the first occurrence.
    """

    start: dt.datetime | None = None
    end: dt.datetime | None = None
    timezone: str | None = None

    @field_validator("start", "end", mode="before")
    @classmethod
    def _datetime(cls, v: Any) -> Any:
        expected = "expected a date and time such as 2026-10-01T09:00:00"
        if v is None or isinstance(v, dt.datetime):
            return v
        if isinstance(v, dt.date) or (isinstance(v, str) and re.fullmatch(r"\s*\d{4}-\d{2}-\d{2}\s*", v)):
            raise ValueError(f"{expected} (a date alone is ambiguous: give the time too)")
        if not isinstance(v, str):
            raise ValueError(expected)
        return v

    @field_validator("timezone")
    @classmethod
    def _tz(cls, v: str | None) -> str | None:
        if v is not None:
            _check_tz(v)
        return v

    @model_validator(mode="after")
    def _aware_and_ordered(self) -> "Schedule":
        errors = _Errors()
        if self.start is None and self.end is None:
            errors.add((), "expected start, end or both (or leave schedule out)")
        zone = ZoneInfo(self.timezone) if self.timezone else None
        resolved: dict[str, dt.datetime | None] = {}
        for name in ("start", "end"):
            value: dt.datetime | None = getattr(self, name)
            if value is not None and value.tzinfo is None:
                if zone is None:
                    errors.add((name,), "has no UTC offset: add timezone (e.g. Asia/Tokyo) or write the offset, "
                               "e.g. 2026-10-01T09:00:00+09:00", value)
                    value = None
                else:
                    aware = value.replace(tzinfo=zone, fold=0)
                    back = aware.astimezone(dt.timezone.utc).astimezone(zone).replace(tzinfo=None)
                    if back != value:
                        errors.add((name,), f"this local time does not exist in {self.timezone} "
                                   "(the clocks skip it)", value)
                        value = None
                    else:
                        value = aware
            resolved[name] = value
        start, end = resolved["start"], resolved["end"]
        utc = dt.timezone.utc
        if start is not None and end is not None and end.astimezone(utc) <= start.astimezone(utc):
            errors.add(("end",), f"expected end after start ({start.isoformat()})", end)
        errors.raise_if_any("Schedule")
        # The model is frozen; normalising during validation is the one place we set fields.
        object.__setattr__(self, "start", start)
        object.__setattr__(self, "end", end)
        return self

    @property
    def tz(self) -> dt.tzinfo | None:
        """The schedule's zone: ``timezone`` if given, else the offset of start (or end)."""
        if self.timezone:
            return ZoneInfo(self.timezone)
        return (self.start or self.end).tzinfo if (self.start or self.end) else None


class Frequency(_Model):
    """How often one user may see the guide.

    ``once``: at most one showing (caps are refused as contradictory). ``until_interacted``:
    again on later triggers until the user clicks, dismisses or completes. ``every_time``: on
    every trigger. Caps are optional positive whole numbers.

    Stop rules, with any mode (Intercom's "stop when the user meets a condition"):
    ``until_goal: true`` stops the guide for good once the user has done the guide's
    ``goal_event``; ``stop_events`` lists further product events after which it stops (e.g.
    ``subscription_cancelled``). :meth:`stop_events_for` gives the full list.
    """

    mode: Annotated[FrequencyMode, _one_of(get_args(FrequencyMode))] = "once"
    max_per_day: PositiveInt | None = None
    max_total: PositiveInt | None = None
    min_hours_between: PositiveInt | None = None
    until_goal: bool = False
    stop_events: list[EventName] = []

    def stop_events_for(self, goal_event: str | None) -> list[str]:
        """The events after which the guide is not shown again: the goal (when ``until_goal``), then ``stop_events``."""
        events = [goal_event] if self.until_goal and goal_event else []
        return events + [e for e in self.stop_events if e not in events]

    @model_validator(mode="after")
    def _caps(self) -> "Frequency":
        errors = _Errors()
        if self.mode == "once":
            for name in ("max_per_day", "max_total", "min_hours_between"):
                if getattr(self, name) is not None:
                    errors.add((name,), "not used with mode: once (the guide shows at most once); "
                               "use until_interacted or every_time", getattr(self, name))
        if self.max_per_day is not None and self.max_total is not None and self.max_per_day > self.max_total:
            errors.add(("max_per_day",), f"expected at most max_total ({self.max_total})", self.max_per_day)
        for i, event in enumerate(self.stop_events):
            if event in self.stop_events[:i]:
                errors.add(("stop_events", i), f"event {event!r} is listed twice", event)
        errors.raise_if_any("Frequency")
        return self


# --- the guide -----------------------------------------------------------------------------
class Guide(_Model):
    """An in-app guide. See the module docstring and ``experiments/README.md`` for the YAML."""

    id: Slug
    type: Annotated[GuideType, _one_of(GUIDE_TYPES)]
    name: LocalizedText | None = None
    locales: list[str] = list(DEFAULT_LOCALES)
    steps: list[Step]
    targeting: Targeting | None = None
    trigger: Trigger = Trigger(on="page_view", page="/*")  # default: any page view
    schedule: Schedule | None = None
    frequency: Frequency = Frequency()
    priority: Annotated[int, BeforeValidator(_check_priority)] = 50
    goal_event: EventName | None = None

    @model_validator(mode="before")
    @classmethod
    def _default_step_ids(cls, data: Any) -> Any:
        """Steps without an id get ``step-<position>`` (1-based)."""
        if not isinstance(data, Mapping) or not isinstance(data.get("steps"), list):
            return data
        steps = []
        for i, step in enumerate(data["steps"], start=1):
            if isinstance(step, Mapping) and step.get("id") is None:
                step = {**step, "id": f"step-{i}"}
            elif isinstance(step, Step) and step.id is None:
                step = step.model_copy(update={"id": f"step-{i}"})
            steps.append(step)
        return {**data, "steps": steps}

    @field_validator("locales")
    @classmethod
    def _locales(cls, v: list[str]) -> list[str]:
        errors = _Errors()
        for i, code in enumerate(v):
            if not _LOCALE_RE.match(code):
                errors.add((i,), "expected a locale code such as ja, en or pt-BR", code)
            elif code in v[:i]:
                errors.add((i,), f"locale {code!r} is listed twice", code)
        errors.raise_if_any("Guide")
        missing = [code for code in REQUIRED_LOCALES if code not in v]
        if missing:
            raise ValueError(f"missing locale {', '.join(repr(m) for m in missing)}: "
                             f"expected {' and '.join(REQUIRED_LOCALES)} among the locales")
        return v

    @model_validator(mode="after")
    def _rules(self) -> "Guide":
        errors = _Errors()
        self._check_steps(errors)
        self._check_locales(errors)
        self._check_text_sizes(errors)
        if self.frequency.until_goal and self.goal_event is None:
            errors.add(("frequency", "until_goal"), "needs the guide's goal_event (the product event that ends it), "
                       "e.g. goal_event: project_created", True)
        errors.raise_if_any("Guide")
        return self

    def _check_steps(self, errors: _Errors) -> None:
        kind, steps = self.type, self.steps
        low, high = STEP_COUNTS[kind]
        n = len(steps)
        if high == low and n != low:
            errors.add(("steps",), f"a {kind} has exactly {low} step, got {n}", list(steps))
        elif n < low:
            errors.add(("steps",), f"a {kind} needs at least {low} step{'s' if low > 1 else ''}, got {n}",
                       list(steps))
        elif n > MAX_STEPS:
            errors.add(("steps",), f"a guide has at most {MAX_STEPS} steps, got {n}: split it into several guides")
        first_seen: dict[str, int] = {}
        for i, step in enumerate(steps):
            at = ("steps", i)
            if step.id in first_seen:
                hint = "; a step without an id is named step-<position>" if re.fullmatch(r"step-\d+", step.id) else ""
                errors.add(at + ("id",), f"duplicate step id {step.id!r} (also steps[{first_seen[step.id]}]); "
                           f"expected ids unique within the guide{hint}", step.id)
            else:
                first_seen[step.id] = i
            if step.target is None:
                if kind == "tooltip":
                    errors.add(at + ("target",), "required for tooltip steps: expected a CSS selector "
                               "such as '#new-project'", missing=True)
                elif kind == "tour" and step.placement != "center":
                    errors.add(at + ("target",), "required for tour steps unless placement is center: "
                               "expected a CSS selector such as '#new-project'", missing=True)
            if kind == "checklist" and step.complete_event is None:
                errors.add(at + ("complete_event",), "required for checklist steps: expected the product "
                           "event that ticks the item", missing=True)
            if kind != "checklist" and step.complete_event is not None:
                errors.add(at + ("complete_event",), f"only checklist steps have complete_event "
                           f"(this guide is a {kind})", step.complete_event)
            if kind == "survey" and step.question is None:
                errors.add(at + ("question",), "required for survey steps: expected a question "
                           "(kind: nps, rating or poll)", missing=True)
            if kind != "survey" and step.question is not None:
                errors.add(at + ("question",), f"only survey steps ask a question (this guide is a {kind})",
                           step.question)
            if len(step.buttons) > MAX_BUTTONS:
                errors.add(at + ("buttons",), f"a step has at most {MAX_BUTTONS} buttons, got {len(step.buttons)}")
            for j, button in enumerate(step.buttons):
                if button.action == "back" and i == 0:
                    errors.add(at + ("buttons", j, "action"), "a back button cannot be on the first step",
                               button.action)
                if button.action == "next" and i == n - 1:
                    errors.add(at + ("buttons", j, "action"), "a next button cannot be on the last step "
                               "(use complete or dismiss)", button.action)

    def _check_text_sizes(self, errors: _Errors) -> None:
        for loc, text in self.iter_texts():
            kind = "option" if "options" in loc else loc[-1]
            limit = TEXT_LIMITS[kind]
            for code, value in text.root.items():
                if len(value) > limit:
                    # No "(got ...)": the text is too long to echo.
                    article = "an" if kind[0] in "aeiou" else "a"
                    errors.add(loc + (code,), f"too long: {article} {kind} has at most {limit:,} characters, "
                               f"got {len(value):,}")

    def _check_locales(self, errors: _Errors) -> None:
        wanted = self.locales
        for loc, text in self.iter_texts():
            missing = [code for code in wanted if code not in text.root]
            if missing:
                errors.add(loc, ("missing locale " if len(missing) == 1 else "missing locales ")
                           + ", ".join(repr(m) for m in missing), text.root)
            for code in text.root:
                if code not in wanted:
                    errors.add(loc + (code,), f"locale {code!r} is not in locales ({', '.join(wanted)}): "
                               "add it there or remove this text", text.root[code])

    def iter_texts(self) -> Iterator[tuple[tuple[Any, ...], LocalizedText]]:
        """Every user-facing text with its location, e.g. ``(("steps", 0, "title"), text)``."""
        if self.name is not None:
            yield ("name",), self.name
        for i, step in enumerate(self.steps):
            for field in ("title", "body"):
                text = getattr(step, field)
                if text is not None:
                    yield ("steps", i, field), text
            for j, button in enumerate(step.buttons):
                yield ("steps", i, "buttons", j, "label"), button.label
            if step.question is not None and step.question.options:
                for k, option in enumerate(step.question.options):
                    yield ("steps", i, "question", "options", k), option

    def display_name(self, lang: str = "en") -> str:
        """The guide's name in ``lang`` (falling back to English), or its id."""
        return self.name.get(lang) if self.name is not None else self.id

    @property
    def step_ids(self) -> list[str]:
        return [s.id for s in self.steps]  # type: ignore[misc]  # always set inside a Guide


def load_guide(path: str | Path) -> Guide:
    """Load a standalone guide YAML file; raises :class:`~guidelab.errors.SpecError` on any problem."""
    return load_model(Guide, path)


# --- evaluation ----------------------------------------------------------------------------
def _require_aware(value: dt.datetime, name: str) -> None:
    if not isinstance(value, dt.datetime) or value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"{name} must be a timezone-aware datetime, got {value!r}")


def _fmt(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return repr(value)
    return _fmt_number(value) if _is_number(value) else repr(value)


def _plain(value: Any) -> str:
    return value if isinstance(value, str) else _fmt(value)


def _same(a: Any, b: Any) -> bool:
    """Equality without coercion: bools only equal bools, strings only strings, numbers numerically."""
    if isinstance(a, bool) or isinstance(b, bool):
        return isinstance(a, bool) and isinstance(b, bool) and a == b
    if isinstance(a, str) or isinstance(b, str):
        return isinstance(a, str) and isinstance(b, str) and a == b
    return _is_number(a) and _is_number(b) and a == b


def _is_missing(value: Any) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


def _expectation(cond: Condition) -> str:
    if cond.equals is not None:
        return f"= {_fmt(cond.equals)}"
    if cond.in_ is not None:
        return f"in {', '.join(_plain(v) for v in cond.in_)}"
    if cond.not_in is not None:
        return f"not in {', '.join(_plain(v) for v in cond.not_in)}"
    if cond.version is not None:
        return f"version {cond.version}"
    return _describe_bounds(cond.gt, cond.gte, cond.lt, cond.lte)


def days_since(signup_at: dt.datetime, now: dt.datetime) -> int:
    """Whole days elapsed since signup: 0 during the first 24 hours, 1 during the next 24, ...

    Both datetimes must be timezone-aware; their zones do not matter (elapsed time is absolute).
    """
    _require_aware(signup_at, "signup_at")
    _require_aware(now, "now")
    # Through UTC: Python subtracts two datetimes of the same zone by wall clock, ignoring DST.
    return (now.astimezone(dt.timezone.utc) - signup_at.astimezone(dt.timezone.utc)) // dt.timedelta(days=1)


def evaluate_condition(condition: Condition, attributes: Mapping[str, Any], now: dt.datetime,
                       signup_at: dt.datetime | None = None) -> tuple[bool, str | None]:
    """Whether one condition holds; if not, a sentence saying why. See :func:`evaluate_targeting`."""
    if condition.days_since_signup is not None:
        rng = condition.days_since_signup
        if signup_at is None and isinstance(attributes.get("signup_at"), dt.datetime):
            signup_at = attributes["signup_at"]
        if signup_at is None:
            return False, f"signup_at is missing (needed for days since signup {rng.describe()})"
        days = days_since(signup_at, now)
        if days < 0:
            return False, f"signup_at ({signup_at.isoformat()}) is after now ({now.isoformat()})"
        if rng.contains(days):
            return True, None
        return False, f"days since signup is {days}, expected {rng.describe()}"

    name = condition.attribute
    value = attributes.get(name) if name is not None else None
    if _is_missing(value):
        return False, f"{name} is missing (expected {_expectation(condition)})"
    shown = _fmt(value)

    if condition.equals is not None:
        if _same(value, condition.equals):
            return True, None
        return False, f"{name} is {shown}, expected {_fmt(condition.equals)}"
    if condition.in_ is not None:
        if any(_same(value, v) for v in condition.in_):
            return True, None
        return False, f"{name} is {shown}, expected one of {', '.join(_plain(v) for v in condition.in_)}"
    if condition.not_in is not None:
        if not any(_same(value, v) for v in condition.not_in):
            return True, None
        return False, f"{name} is {shown}, expected none of {', '.join(_plain(v) for v in condition.not_in)}"
    if condition.version is not None:
        spec = parse_version_spec(condition.version)
        if not isinstance(value, str):
            return False, f"{name} is {shown}, expected a version string matching {condition.version}"
        try:
            version = parse_version(value)
        except InvalidVersion:
            return False, f"{name} is {shown}, which is not a version (expected {condition.version})"
        # Pre-releases are compared like any version: 2.4.0b1 >= 2.3.0, 2.3.0rc1 < 2.3.0.
        if spec.contains(version):
            return True, None
        return False, f"{name} is {shown}, expected {condition.version}"
    bounds = _describe_bounds(condition.gt, condition.gte, condition.lt, condition.lte)
    if not _is_number(value):
        return False, f"{name} is {shown}, expected a number {bounds}"
    if _in_bounds(value, condition.gt, condition.gte, condition.lt, condition.lte):
        return True, None
    return False, f"{name} is {shown}, expected {bounds}"


def evaluate_targeting(targeting: Targeting | None, attributes: Mapping[str, Any], now: dt.datetime,
                       signup_at: dt.datetime | None = None) -> tuple[bool, list[str]]:
    """Whether a user matches ``targeting``, and why not: one sentence per failed condition.

    ``attributes`` are the user's attributes (``{"plan": "free", "country": "JP"}``); a missing
    attribute (absent, None or NaN) fails its condition whatever the test, ``not_in`` included.
    ``days_since_signup`` uses ``signup_at`` (or ``attributes["signup_at"]`` if that is a
    datetime) and ``now``, both timezone-aware. Reasons of failed ``any`` conditions are
    reported, prefixed ``any:``, only when none of them matched. No targeting matches everyone.
    """
    _require_aware(now, "now")
    if signup_at is not None:
        _require_aware(signup_at, "signup_at")
    if targeting is None:
        return True, []
    reasons: list[str] = []
    for cond in targeting.all:
        ok, why = evaluate_condition(cond, attributes, now, signup_at)
        if not ok:
            reasons.append(why or cond.describe())
    if targeting.any:
        results = [evaluate_condition(cond, attributes, now, signup_at) for cond in targeting.any]
        if not any(ok for ok, _ in results):
            reasons.extend(f"any: {why}" for _, why in results)
    return not reasons, reasons


def schedule_is_live(schedule: Schedule | None, at: dt.datetime) -> bool:
    """Whether ``at`` (timezone-aware) falls within the schedule, start and end inclusive.

    No schedule is always live; a missing start or end leaves that side open.
    """
    _require_aware(at, "at")
    if schedule is None:
        return True
    # Compare in UTC: datetimes sharing a zone compare by wall clock, ignoring fold and DST.
    at = at.astimezone(dt.timezone.utc)
    if schedule.start is not None and at < schedule.start.astimezone(dt.timezone.utc):
        return False
    if schedule.end is not None and at > schedule.end.astimezone(dt.timezone.utc):
        return False
    return True
