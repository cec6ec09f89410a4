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
from .stats.proportions import ProportionComparison
from .stats.srm import SRMResult

SCHEMA_VERSION = 1


@dataclass(frozen=True)
class MetricResult:
    """One metric compared between one treatment arm and the control."""

    metric: str
    role: str
    variant: str
    control: str
    higher_is_better: bool
    randomised: bool
    comparison: ProportionComparison
    p_value_adjusted: float | None
    ci_method: str = "wald-unpooled (difference), log-ratio (relative lift)"

    def to_dict(self) -> dict[str, Any]:
        c = self.comparison.to_dict()
        return {
            "metric": self.metric, "role": self.role, "variant": self.variant, "control": self.control,
            "n": c["n"], "n_control": c["n_control"], "successes": c["successes"],
            "successes_control": c["successes_control"], "rate": c["rate"], "rate_control": c["rate_control"],
            "abs_diff": c["abs_diff"], "abs_ci": c["abs_ci"], "rel_lift": c["rel_lift"], "rel_ci": c["rel_ci"],
            "p_value": c["p_value"], "p_value_adjusted": self.p_value_adjusted,
            "status": c["status"], "note": c["note"], "higher_is_better": self.higher_is_better,
            "randomised": self.randomised, "ci_method": self.ci_method,
        }


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

    def to_dict(self) -> dict[str, Any]:
        return _clean({
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
        })

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), ensure_ascii=False, indent=2, allow_nan=False)

    def rows(self, role: str | None = None) -> list[MetricResult]:
        return [m for m in self.metrics if role is None or m.role == role]


def _clean(x: Any) -> Any:
    """Make a structure strict-JSON safe: NaN/inf -> None, tuples -> lists, dates -> ISO."""
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
