"""Typed results of an analysis, and their JSON form (the shape dashboards and CI read).

Rates, differences, lifts and intervals are fractions (0.182, not 18.2); verdicts are in
capitals; undefined numbers are ``null``, never NaN or infinity.
"""
from __future__ import annotations

import datetime as dt
import json
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .decision import Decision
from .events import DataCheck
from .fsutil import atomic_write_text
from .stats.srm import SRMResult

SCHEMA_VERSION = 1


@dataclass(frozen=True)
class MetricResult:
    """One metric compared between one treatment arm and the control.

    ``comparison`` is the estimate the verdict uses: a ProportionComparison, MeanComparison,
    RatioComparison, or a CupedComparison when CUPED adjusted it (then ``unadjusted`` holds the
    plain comparison). ``sequential`` and ``bayes`` are present when the spec selects them.
    ``significant`` is what the verdict reads: the confidence sequence excludes zero when
    sequential, otherwise the adjusted p-value is below alpha.
    """

    metric: str
    role: str
    variant: str
    control: str
    higher_is_better: bool
    randomised: bool
    comparison: Any
    p_value_adjusted: float | None
    kind: str = "proportion"
    ci_method: str = "miettinen-nurminen score (difference, relative lift); fisher exact below expected count 10"
    unadjusted: Any = None
    sequential: Any = None
    bayes: Any = None
    significant: bool | None = None

    @property
    def observed(self) -> Any:
        """The comparison of the raw (unadjusted) values."""
        return self.unadjusted if self.unadjusted is not None else self.comparison

    @property
    def value(self) -> float | None:
        o = self.observed
        return getattr(o, "rate", None) if self.kind == "proportion" else getattr(o, "estimate", None)

    @property
    def value_control(self) -> float | None:
        o = self.observed
        return getattr(o, "rate_control", None) if self.kind == "proportion" else getattr(o, "estimate_control", None)

    @property
    def rel_ci(self) -> tuple[float, float] | None:
        """The interval of the relative lift the verdict uses (sequential when selected)."""
        if self.sequential is not None:
            rel = getattr(self.sequential, "relative_ci", None)
            return tuple(rel) if rel else None
        ci = self.comparison.rel_ci
        return tuple(ci) if ci else None

    def to_dict(self) -> dict[str, Any]:
        c = self.comparison.to_dict()
        o = self.observed
        d = {
            "metric": self.metric, "role": self.role, "kind": self.kind, "variant": self.variant,
            "control": self.control, "n": c["n"], "n_control": c["n_control"],
            "successes": getattr(o, "successes", None) if self.kind == "proportion" else None,
            "successes_control": getattr(o, "successes_control", None) if self.kind == "proportion" else None,
            "rate": self.value if self.kind == "proportion" else None,
            "rate_control": self.value_control if self.kind == "proportion" else None,
            "mean": self.value if self.kind == "mean" else None,
            "mean_control": self.value_control if self.kind == "mean" else None,
            "ratio": self.value if self.kind == "ratio" else None,
            "ratio_control": self.value_control if self.kind == "ratio" else None,
            "abs_diff": c["abs_diff"], "abs_ci": c["abs_ci"], "rel_lift": c["rel_lift"], "rel_ci": c["rel_ci"],
            "p_value": c["p_value"], "p_value_adjusted": self.p_value_adjusted, "significant": self.significant,
            "status": c["status"], "note": c["note"], "higher_is_better": self.higher_is_better,
            "randomised": self.randomised, "ci_method": self.ci_method,
        }
        if self.sequential is not None:
            d["sequential"] = self.sequential.to_dict()
        if self.bayes is not None:
            d["bayes"] = self.bayes.to_dict()
        if self.unadjusted is not None:
            d["cuped"] = {"variance_reduction": c.get("variance_reduction"), "theta": c.get("theta"),
                          "abs_diff_unadjusted": c.get("abs_diff_unadjusted"),
                          "abs_ci_unadjusted": self.unadjusted.to_dict().get("abs_ci")}
        return d


@dataclass(frozen=True)
class ExperimentResult:
    experiment: str
    as_of: dt.date | None
    decision: Decision
    srm: SRMResult
    metrics: list[MetricResult]
    data_checks: list[DataCheck] = field(default_factory=list)
    assigned: dict[str, int] = field(default_factory=dict)
    daily_assigned: list[tuple[dt.date, str, int]] = field(default_factory=list)
    alpha: float = 0.05
    mde: float | None = None
    control: str | None = None
    methods: dict[str, Any] = field(default_factory=dict)
    analyses: dict[str, Any] = field(default_factory=dict)
    ledger: Any = None  # ledger.RowLedger: rows read, used and left out per table (None for a user table)

    def to_dict(self) -> dict[str, Any]:
        return _clean(self.raw_dict())

    def raw_dict(self) -> dict[str, Any]:
        """:meth:`to_dict` before its cleaning (may hold NaN, tuples and dates): for a caller that
        serialises it with a check of its own (see :func:`guidelab.counts_table.group_json_line`)."""
        return {
            "schema_version": SCHEMA_VERSION,
            "experiment": self.experiment,
            "as_of": self.as_of.isoformat() if self.as_of else None,
            "decision": self.decision.to_dict(),
            "srm": self.srm.to_dict(),
            "metrics": [m.to_dict() for m in self.metrics],
            "data_checks": [c.to_dict() for c in self.data_checks],
            "assigned": self.assigned,
            "control": self.control,
            "alpha": self.alpha,
            "mde": self.mde,
            "methods": self.methods,
            "analyses": _analyses_dict(self.analyses),
            "ledger": self.ledger.to_dict() if self.ledger is not None else None,
        }

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), ensure_ascii=False, indent=2, allow_nan=False)

    def rows(self, role: str | None = None) -> list[MetricResult]:
        return [m for m in self.metrics if role is None or m.role == role]


def _analyses_dict(analyses: dict[str, Any]) -> dict[str, Any]:
    """Deeper analyses as JSON: any object with ``to_dict`` is converted, containers recursed."""
    def conv(x: Any) -> Any:
        if hasattr(x, "to_dict"):
            return x.to_dict()
        if isinstance(x, dict):
            return {k: conv(v) for k, v in x.items()}
        return x
    return conv(analyses)


def _clean(x: Any) -> Any:
    """Make a structure strict-JSON safe: NaN/inf -> None, tuples -> lists, dates -> ISO."""
    t = type(x)  # exact built-in types first (most nodes); subclasses take the isinstance path below
    if t is str or t is int or t is bool or x is None:
        return x
    if t is float:
        return x if math.isfinite(x) else None
    if t is dict:
        return {str(k): _clean(v) for k, v in x.items()}
    if t is list or t is tuple:
        return [_clean(v) for v in x]
    if isinstance(x, float):
        return x if math.isfinite(x) else None
    if isinstance(x, dict):
        return {str(k): _clean(v) for k, v in x.items()}
    if isinstance(x, (list, tuple)):
        return [_clean(v) for v in x]
    if isinstance(x, (dt.date, dt.datetime)):
        return x.isoformat()
    return x


def write_result_json(result: ExperimentResult, out_dir: str | Path) -> Path:
    """Write ``<out_dir>/<experiment>.json`` atomically."""
    return atomic_write_text(Path(out_dir) / f"{result.experiment}.json", result.to_json() + "\n")
