"""GrowthBook namespaces: mutual exclusion between experiments.

Experiments that name the same namespace (``namespace: {id, range: [start, end]}``) never
share a user as long as their ranges are disjoint: a user is in the namespace range when
``start <= hash_v1("__" + id, user_id) < end`` (see :func:`guidelab.hashing.in_namespace`).
This module checks a set of specs for overlapping ranges and reports what is still free.

``specs`` arguments accept experiment specs, ``(file, spec)`` pairs, or a mapping
``{file: spec}``; the file, when given, is named in problems and reports (else the
experiment id).
"""
from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

from .errors import Problem
from .experiment import ExperimentSpec

__all__ = ["Allocation", "allocations", "check_namespaces", "free_ranges", "namespace_report"]

SpecsArg = (
    Iterable[ExperimentSpec]
    | Iterable[tuple[str | Path, ExperimentSpec]]
    | Mapping[str | Path, ExperimentSpec]
)


@dataclass(frozen=True)
class Allocation:
    """One experiment's slice ``[start, end)`` of a namespace."""

    namespace: str
    start: float
    end: float
    experiment: str
    file: str | None = None

    @property
    def label(self) -> str:
        return f"{self.experiment} ({self.file})" if self.file else self.experiment


def _entries(specs: SpecsArg) -> list[tuple[str | None, ExperimentSpec]]:
    items = specs.items() if isinstance(specs, Mapping) else specs
    out: list[tuple[str | None, ExperimentSpec]] = []
    for item in items:
        if isinstance(item, ExperimentSpec):
            out.append((None, item))
        elif isinstance(item, tuple) and len(item) == 2 and isinstance(item[1], ExperimentSpec):
            out.append((str(item[0]) if item[0] is not None else None, item[1]))
        else:
            raise TypeError(f"expected ExperimentSpec or (file, ExperimentSpec), got {type(item).__name__}")
    return out


def allocations(specs: SpecsArg) -> dict[str, list[Allocation]]:
    """Every namespaced experiment, grouped by namespace id (sorted), each list sorted by range."""
    by_ns: dict[str, list[Allocation]] = {}
    for file, spec in _entries(specs):
        ns = spec.namespace
        if ns is None:
            continue
        by_ns.setdefault(ns.id, []).append(Allocation(ns.id, float(ns.range[0]), float(ns.range[1]), spec.id, file))
    return {k: sorted(v, key=lambda a: (a.start, a.end, a.experiment)) for k, v in sorted(by_ns.items())}


def _fmt(x: float) -> str:
    return f"{x:g}"


def _interval(a: float, b: float) -> str:
    return f"[{_fmt(a)}, {_fmt(b)})"


def check_namespaces(specs: SpecsArg) -> list[Problem]:
    """One problem per pair of experiments whose ranges overlap within the same namespace.

    The problem is filed against the first experiment's file (or id) under the field
    ``namespace.range`` and names the other experiment, its file and the overlapping
    interval. Ranges that merely touch (``[0, 0.5)`` and ``[0.5, 1)``) do not overlap.
    """
    problems: list[Problem] = []
    for ns_id, allocs in allocations(specs).items():
        for i, a in enumerate(allocs):
            for b in allocs[i + 1 :]:
                lo, hi = max(a.start, b.start), min(a.end, b.end)
                if lo < hi:
                    problems.append(Problem(
                        a.file or a.experiment,
                        "namespace.range",
                        f"experiment {a.experiment!r} uses {_interval(a.start, a.end)} of namespace {ns_id!r}, "
                        f"which overlaps {_interval(b.start, b.end)} of experiment {b.experiment!r}"
                        f"{f' ({b.file})' if b.file else ''} on {_interval(lo, hi)}: users there would be in "
                        f"both; expected disjoint ranges (free: "
                        f"{', '.join(_interval(s, e) for s, e in _free(allocs)) or 'none'})",
                    ))
    return problems


def _free(allocs: list[Allocation]) -> list[tuple[float, float]]:
    free: list[tuple[float, float]] = []
    cursor = 0.0
    for a in sorted(allocs, key=lambda x: (x.start, x.end)):
        if a.start > cursor:
            free.append((cursor, a.start))
        cursor = max(cursor, a.end)
    if cursor < 1.0:
        free.append((cursor, 1.0))
    return free


def free_ranges(specs: SpecsArg, namespace_id: str) -> list[tuple[float, float]]:
    """The parts of ``[0, 1)`` of ``namespace_id`` no experiment uses, sorted.

    A namespace no spec uses is entirely free: ``[(0.0, 1.0)]``.
    """
    return _free(allocations(specs).get(namespace_id, []))


def namespace_report(specs: SpecsArg) -> str:
    """Plain text: per namespace its allocations (overlaps marked) and free ranges."""
    entries = _entries(specs)
    by_ns = allocations(entries)
    lines: list[str] = []
    if not by_ns:
        lines.append("no experiment uses a namespace")
    for ns_id, allocs in by_ns.items():
        lines.append(f"namespace {ns_id}:")
        for i, a in enumerate(allocs):
            clash = [b.experiment for j, b in enumerate(allocs)
                     if j != i and max(a.start, b.start) < min(a.end, b.end)]
            mark = f"  OVERLAPS {', '.join(clash)}" if clash else ""
            lines.append(f"  {_interval(a.start, a.end):<16} {a.end - a.start:>7.1%}  {a.label}{mark}")
        free = _free(allocs)
        total = sum(e - s for s, e in free)
        lines.append(f"  free: {', '.join(_interval(s, e) for s, e in free) or 'none'} ({total:.1%})")
    outside = [(f, s) for f, s in entries if s.namespace is None]
    if outside:
        lines.append("not in a namespace: " + ", ".join(f"{s.id} ({f})" if f else s.id for f, s in outside))
    return "\n".join(lines) + "\n"
