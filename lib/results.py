"""Typed results of an analysis, and their JSON form (the shape dashboards and CI read).

Rates, differences, lifts and intervals are fractions (0.182, not 18.2); verdicts are in
capitals; undefined numbers are ``null``, never NaN or infinity.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar, Union

from .decision import Decision
from .events import DataCheck
from .fsutil import atomic_write_text
from .ledger import RowLedger
from .serialize import JsonField, ResultModel, finite, flatten, interval
from .stats.bayes import BayesResult
from .stats.cluster import ClusterComparison
from .stats.cuped import CupedComparison
from .stats.means import MeanComparison
from .stats.notes import notes_json
from .stats.poststrat import StratifiedComparison
from .stats.proportions import ProportionComparison
from .stats.quantiles import QuantileComparison
from .stats.ratio import AccountRatioComparison, RatioComparison
from .stats.srm import SRMResult

if TYPE_CHECKING:
    from .analysis import SequentialView

SCHEMA_VERSION = 1


#: The comparison behind a metric result: its type follows the metric's kind (and CUPED).
Comparison = Union[ProportionComparison, MeanComparison, RatioComparison, CupedComparison, ClusterComparison,
                   StratifiedComparison, QuantileComparison]


def _cuped_json(m: "MetricResult") -> dict[str, float | list[float] | None] | None:
    """What CUPED did to a comparison (None when it did not adjust it)."""
    if m.unadjusted is None or not isinstance(m.comparison, CupedComparison):
        return None
    c = m.comparison
    return {"variance_reduction": finite(getattr(c, "variance_reduction", None)), "theta": finite(getattr(c, "theta", None)),
            "abs_diff_unadjusted": finite(getattr(c, "abs_diff_unadjusted", None)),
            "abs_ci_unadjusted": interval(m.unadjusted.abs_ci)}


@dataclass(frozen=True)
class MetricResult(ResultModel):
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
    comparison: Comparison
    p_value_adjusted: float | None
    kind: str = "proportion"
    ci_method: str = "miettinen-nurminen score (difference, relative lift); fisher exact below expected count 10"
    unadjusted: Comparison | None = None
    sequential: SequentialView | None = None
    bayes: BayesResult | None = None
    significant: bool | None = None
    capping: Any = None  # guidelab.adjustments.CappingSummary when the metric was capped (statistics.capping)

    _json_fields = (
        "metric", "role", "kind", "variant", "control",
        JsonField("n", "comparison.n", int), JsonField("n_control", "comparison.n_control", int),
        "successes", "successes_control", "rate", "rate_control", "mean", "mean_control", "ratio", "ratio_control",
        JsonField("abs_diff", "comparison.abs_diff", finite), JsonField("abs_ci", "comparison.abs_ci", interval),
        JsonField("rel_lift", "comparison.rel_lift", finite), JsonField("rel_ci", "comparison.rel_ci", interval),
        JsonField("p_value", "comparison.p_value", finite), "p_value_adjusted", "significant",
        JsonField("status", "comparison.status"), JsonField("note", "comparison.note"),
        JsonField("notes", "comparison.notes", notes_json),
        "higher_is_better", "randomised", "ci_method",
        JsonField("sequential", omit_none=True), JsonField("bayes", omit_none=True),
        JsonField("cuped", "cuped_json", omit_none=True),
        JsonField("clustered", "clustered_json", omit_none=True),
        JsonField("capping", "capping_json", omit_none=True),
        JsonField("poststratification", "poststratification_json", omit_none=True),
        JsonField("quantile", "quantile_json", omit_none=True),
    )

    @property
    def observed(self) -> Comparison:
        """The comparison of the raw (unadjusted) values."""
        return self.unadjusted if self.unadjusted is not None else self.comparison

    @property
    def value(self) -> float | None:
        """The treatment's rate (proportions) or estimate (means, ratios), unadjusted."""
        o = self.observed  # a proportion compared by account (ClusterComparison) has its rate as ``estimate``
        return getattr(o, "rate", getattr(o, "estimate", None)) if self.kind == "proportion" else getattr(o, "estimate", None)

    @property
    def value_control(self) -> float | None:
        o = self.observed
        return (getattr(o, "rate_control", getattr(o, "estimate_control", None)) if self.kind == "proportion"
                else getattr(o, "estimate_control", None))

    def _of_kind(self, kind: str, value: float | None) -> float | None:
        return finite(value) if self.kind == kind else None

    @property
    def successes(self) -> int | None:
        """Users with the event in the treatment arm (proportions only)."""
        return getattr(self.observed, "successes", None) if self.kind == "proportion" else None

    @property
    def successes_control(self) -> int | None:
        return getattr(self.observed, "successes_control", None) if self.kind == "proportion" else None

    @property
    def rate(self) -> float | None:
        return self._of_kind("proportion", self.value)

    @property
    def rate_control(self) -> float | None:
        return self._of_kind("proportion", self.value_control)

    @property
    def mean(self) -> float | None:
        return self._of_kind("mean", self.value)

    @property
    def mean_control(self) -> float | None:
        return self._of_kind("mean", self.value_control)

    @property
    def ratio(self) -> float | None:
        return self._of_kind("ratio", self.value)

    @property
    def ratio_control(self) -> float | None:
        return self._of_kind("ratio", self.value_control)

    @property
    def cuped_json(self) -> dict[str, float | list[float] | None] | None:
        return _cuped_json(self)

    @property
    def capping_json(self) -> dict[str, Any] | None:
        """How the metric was capped (None when it was not): the rule and its level, the cap, and
        the users above it in this arm and in the control (count and share)."""
        c = self.capping
        if c is None:
            return None
        return {"rule": c.rule, "level": finite(c.level), "cap": finite(c.cap),
                "capped": int(c.capped.get(self.variant, 0)), "capped_control": int(c.capped.get(self.control, 0)),
                "share": finite(c.share(self.variant)), "share_control": finite(c.share(self.control))}

    @property
    def poststratification_json(self) -> dict[str, Any] | None:
        """What post-stratification did (None when the metric was not post-stratified): the variance
        reduction against the plain comparison, the strata used and collapsed, the CUPED slope
        within strata when combined, and the unadjusted difference and interval."""
        c = self.comparison
        if not isinstance(c, StratifiedComparison):
            return None
        return {"variance_reduction": finite(c.variance_reduction), "strata": int(c.strata),
                "strata_collapsed": int(c.strata_collapsed), "users_collapsed": int(c.users_collapsed),
                "with_cuped": c.theta is not None, "theta": finite(c.theta),
                "abs_diff_unadjusted": finite(c.abs_diff_unadjusted),
                "abs_ci_unadjusted": interval(self.unadjusted.abs_ci) if self.unadjusted is not None else None}

    @property
    def clustered_json(self) -> dict[str, Any] | None:
        """What randomising by account did to this comparison (None when users were randomised):
        accounts per arm, the ICC, the observed and model design effects, the account sizes, the
        effective number of accounts and the naive user-level p-value (docs/statistics.md)."""
        c = self.comparison
        if isinstance(c, AccountRatioComparison):  # a ratio by account: accounts, no ICC
            return {"n_accounts": int(c.n_accounts), "n_accounts_control": int(c.n_accounts_control)}
        if not isinstance(c, ClusterComparison):
            return None
        return {"n_accounts": int(c.n_accounts), "n_accounts_control": int(c.n_accounts_control),
                "icc": finite(c.icc), "design_effect": finite(c.design_effect),
                "design_effect_from_icc": finite(c.design_effect_from_icc),
                "mean_account_size": finite(c.mean_account_size), "cv_account_size": finite(c.cv_account_size),
                "effective_accounts": finite(c.effective_accounts), "se_abs_diff_naive": finite(c.se_abs_diff_naive),
                "p_value_naive": finite(c.p_value_naive)}

    @property
    def quantile_json(self) -> dict[str, Any] | None:
        """A quantile metric (kind "quantile"): p, how never-reached users counted, each arm's
        quantile (``estimate``/``estimate_control`` at the top level) with its interval (an end
        null: unbounded or undefined), and the users who reached the event (None otherwise)."""
        c = self.comparison
        if not isinstance(c, QuantileComparison):
            return None
        return {"p": c.p, "censoring": c.censoring, "estimate": finite(c.estimate),
                "estimate_control": finite(c.estimate_control),
                "ci": None if c.ci is None else [finite(c.ci[0]), finite(c.ci[1])],
                "ci_control": None if c.ci_control is None else [finite(c.ci_control[0]), finite(c.ci_control[1])],
                "n_eligible": int(c.n_eligible), "n_eligible_control": int(c.n_eligible_control),
                "n_reached": int(c.n_reached), "n_reached_control": int(c.n_reached_control)}

    @property
    def rel_ci(self) -> tuple[float, float] | None:
        """The interval of the relative lift the verdict uses (sequential when selected)."""
        ci = self.sequential.relative_ci if self.sequential is not None else self.comparison.rel_ci
        return (ci[0], ci[1]) if ci else None


@dataclass(frozen=True)
class ExperimentResult(ResultModel):
    """The analysis of one experiment: the verdict, the sample-ratio check, every metric per arm,
    the data checks, the deeper analyses and the row ledger.

    ``to_dict()``/``to_json()`` give the JSON the dashboards read (``analyze --json``, the report's
    ``<id>.json``); ``to_pandas()`` one row per metric and arm; in Jupyter it shows as a table.
    """

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
    methods: dict[str, Any] = field(default_factory=dict)   # the statistics settings used (JSON-ready)
    analyses: dict[str, Any] = field(default_factory=dict)  # deeper analyses by name: result models in dicts
    ledger: RowLedger | None = None  # rows read, used and left out per table
    accounts: dict[str, int] | None = None  # accounts per arm when the spec randomises by account

    schema_version: ClassVar[int] = SCHEMA_VERSION
    _json_fields = ("schema_version", "experiment", "as_of", "decision", "srm", "metrics", "data_checks", "assigned",
                    JsonField("accounts", omit_none=True),
                    "control", "alpha", "mde", "methods", "analyses", "ledger")

    def raw_dict(self) -> dict[str, Any]:
        """The raw JSON form (:meth:`ResultModel.raw_form`): serialise it with
        ``json.dumps(..., allow_nan=False, default=guidelab.serialize.raw_default)``; on ValueError
        (a NaN or infinity in a nested value) serialise :meth:`to_dict` instead."""
        return self.raw_form()

    def rows(self, role: str | None = None) -> list[MetricResult]:
        return [m for m in self.metrics if role is None or m.role == role]

    def frame_rows(self) -> list[dict[str, Any]]:
        """One row per metric and treatment arm (the JSON form of each, flattened)."""
        return [flatten(m.to_dict()) for m in self.metrics]

    def _repr_html_(self) -> str:
        from .report.templating import experiment_table

        return experiment_table(self)


def write_result_json(result: ExperimentResult, out_dir: str | Path) -> Path:
    """Write ``<out_dir>/<experiment>.json`` atomically."""
    return atomic_write_text(Path(out_dir) / f"{result.experiment}.json", result.to_json() + "\n")
