"""The metric catalogue: the names a spec may use. Each metric is declared once, in the metric
registry (:mod:`guidelab.registry`; the list with kinds, directions and labels is in
``docs/metrics.md``); this module keeps the names callers import.
"""
from __future__ import annotations

from .registry import GUIDE_EVENTS, MAX_DAYS, MetricDef, parse_metric

__all__ = ["GUIDE_EVENTS", "MAX_DAYS", "MetricDef", "parse_metric"]
