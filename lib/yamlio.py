"""Safe YAML loading that remembers the line of every field, and pydantic errors made readable.

YAML is parsed with ``yaml.SafeLoader`` only (no arbitrary objects), with the scalars of the
YAML 1.2 core schema (what editors and the YAML language server use): only ``true``/``false``
are booleans (``yes``, ``no``, ``on``, ``off``, ``y``, ``n`` stay strings, so ``equals: NO`` is the
text "NO" and ``on: page_view`` a key named "on"), ``017`` is the integer 17 (octal is ``0o17``)
and ``1:20`` is text. Dates written as ``2026-10-01`` are still read as dates. Duplicate keys,
which YAML would silently overwrite, are an error. Validation errors from pydantic are turned into
:class:`~guidelab.errors.SpecError` problems naming file, field path, line and expectation.
"""
from __future__ import annotations

import re
from pathlib import Path
from typing import Any, TypeVar

import yaml
from pydantic import BaseModel, ValidationError

from .errors import Problem, SpecError, clip

Path_ = tuple[Any, ...]
M = TypeVar("M", bound=BaseModel)


def format_field_path(path: Path_) -> str:
    """``("variants", 1, "weight")`` -> ``variants[1].weight``."""
    out = ""
    for part in path:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += ("." if out else "") + str(part)
    return out


def _walk(node: yaml.Node, path: Path_, lines: dict[Path_, int], seen: set[int] | None = None) -> None:
    lines[path] = node.start_mark.line + 1
    # Each node is walked once: an alias (``*x``) is not expanded again, so recursive
    # aliases cannot recurse forever and "billion laughs" documents stay linear.
    seen = set() if seen is None else seen
    if id(node) in seen:
        return
    seen.add(id(node))
    if isinstance(node, yaml.MappingNode):
        for key_node, value_node in node.value:
            if not isinstance(key_node, yaml.ScalarNode):
                continue  # complex keys are rejected when the document is constructed
            key = key_node.value
            lines.setdefault(path + (key,), key_node.start_mark.line + 1)
            _walk(value_node, path + (key,), lines, seen)
            lines[path + (key,)] = key_node.start_mark.line + 1
    elif isinstance(node, yaml.SequenceNode):
        for i, item in enumerate(node.value):
            _walk(item, path + (i,), lines, seen)


class _UniqueKeyLoader(yaml.SafeLoader):
    """SafeLoader that refuses duplicate mapping keys."""

    def construct_mapping(self, node, deep=False):  # type: ignore[override]
        seen: dict[Any, int] = {}
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=deep)
            try:
                hash(key)
            except TypeError:
                raise yaml.constructor.ConstructorError(
                    None, None, "expected a plain key (a list or mapping cannot be a key)", key_node.start_mark,
                ) from None
            if key in seen:
                raise yaml.constructor.ConstructorError(
                    None, None,
                    f"duplicate key {key!r} (first on line {seen[key]})",
                    key_node.start_mark,
                )
            seen[key] = key_node.start_mark.line + 1
        return super().construct_mapping(node, deep=deep)

    def construct_yaml_timestamp(self, node):  # type: ignore[override]
        # PyYAML raises a bare ValueError for date-shaped text that is no date (2026-13-01).
        # Keep the text; the model then reports it at its field and line.
        try:
            return super().construct_yaml_timestamp(node)
        except ValueError:
            return self.construct_scalar(node)


_UniqueKeyLoader.add_constructor("tag:yaml.org,2002:timestamp", _UniqueKeyLoader.construct_yaml_timestamp)

# YAML 1.2 core schema resolvers for booleans, integers and floats (PyYAML implements YAML 1.1,
# where yes/no/on/off are booleans, 017 is octal and 1:20 is sexagesimal).
_YAML12_BOOL = re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$")
_YAML12_INT = re.compile(r"^(?:[-+]?[0-9]+|0o[0-7]+|0x[0-9a-fA-F]+)$")
_YAML12_FLOAT = re.compile(r"^(?:[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?"
                           r"|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$")
_UniqueKeyLoader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers
            if tag not in ("tag:yaml.org,2002:bool", "tag:yaml.org,2002:int", "tag:yaml.org,2002:float")]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
_UniqueKeyLoader.add_implicit_resolver("tag:yaml.org,2002:bool", _YAML12_BOOL, list("tTfF"))
_UniqueKeyLoader.add_implicit_resolver("tag:yaml.org,2002:int", _YAML12_INT, list("-+0123456789"))
_UniqueKeyLoader.add_implicit_resolver("tag:yaml.org,2002:float", _YAML12_FLOAT, list("-+0123456789."))


def _construct_yaml12_bool(loader: yaml.SafeLoader, node: yaml.ScalarNode) -> bool:
    return loader.construct_scalar(node).lower() == "true"


def _construct_yaml12_int(loader: yaml.SafeLoader, node: yaml.ScalarNode) -> int:
    text = loader.construct_scalar(node)
    if text.startswith("0o"):
        return int(text[2:], 8)
    if text.startswith("0x"):
        return int(text[2:], 16)
    return int(text, 10)


_UniqueKeyLoader.add_constructor("tag:yaml.org,2002:bool", _construct_yaml12_bool)
_UniqueKeyLoader.add_constructor("tag:yaml.org,2002:int", _construct_yaml12_int)


def load_yaml(path: str | Path) -> tuple[Any, dict[Path_, int]]:
    """Load one YAML document safely; return the data and a map field path -> line number."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise SpecError.single(path, "", "file not found") from None
    except UnicodeDecodeError as exc:
        raise SpecError.single(path, "", f"expected UTF-8 text ({exc.reason} at byte {exc.start})") from None
    loader = _UniqueKeyLoader(text)
    try:
        node = loader.get_single_node()
        if node is None:
            raise SpecError.single(path, "", "the file is empty: expected a YAML mapping")
        lines: dict[Path_, int] = {}
        _walk(node, (), lines)
        data = loader.construct_document(node)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else None
        raise SpecError.single(path, "", f"invalid YAML: {exc.problem or exc}", line) from None
    except (yaml.YAMLError, ValueError, TypeError, RecursionError) as exc:
        raise SpecError.single(path, "", f"invalid YAML: {exc}") from None
    finally:
        loader.dispose()
    return data, lines


def line_for(lines: dict[Path_, int], loc: Path_) -> int | None:
    """The line of the deepest known prefix of ``loc``."""
    for end in range(len(loc), -1, -1):
        line = lines.get(tuple(loc[:end]))
        if line is not None:
            return line
    return None


def problems_from_validation(exc: ValidationError, file: str | Path, lines: dict[Path_, int],
                             prefix: Path_ = ()) -> list[Problem]:
    """Turn pydantic's errors into problems with field path, line and what was expected."""
    problems = []
    for err in exc.errors(include_url=False):
        # Drop union/discriminator tags pydantic inserts (e.g. 'function-after[...]').
        loc = prefix + tuple(p for p in err["loc"] if not (isinstance(p, str) and ("[" in p or p.startswith("function-"))))
        msg = err["msg"]
        if msg.startswith("Value error, "):
            msg = msg[len("Value error, "):]
        if err["type"] not in ("missing", "extra_forbidden") and "input" in err and not isinstance(err["input"], (dict, list)):
            msg = f"{msg} (got {clip(err['input'])})"
        if err["type"] == "extra_forbidden":
            msg = "unknown field (check the spelling; see the spec reference)"
        problems.append(Problem(str(file), format_field_path(loc), msg, line_for(lines, loc)))
    return problems


def validate_as(model: type[M], data: Any, file: str | Path, lines: dict[Path_, int] | None = None,
                context: dict | None = None) -> M:
    """Validate ``data`` as ``model`` or raise a SpecError listing every problem."""
    try:
        return model.model_validate(data, context=context)
    except ValidationError as exc:
        raise SpecError(problems_from_validation(exc, file, lines or {})) from None


def load_model(model: type[M], path: str | Path, context: dict | None = None) -> M:
    """Load a YAML file and validate it as ``model``."""
    data, lines = load_yaml(path)
    return validate_as(model, data, path, lines, context)
