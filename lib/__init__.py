"""guidelab: A/B test in-app guides and decide, with sound statistics, which to keep.

The data flow is one way: spec -> assignment -> events -> metrics (SQL) -> sufficient
statistics -> tests -> decision -> report. See ``../shared/ARCHITECTURE.md`` and the README.

What an analyst imports (``import guidelab``):

* :func:`load_spec` - an experiment spec (``experiments/<id>.yaml``), validated;
* :func:`assign`, :func:`assign_batch` - the variant of a user, as a GrowthBook SDK assigns it;
* :func:`analyze` - the verdict of an experiment from its event tables; :func:`analyze_table` -
  from a one-row-per-user table; :func:`analyze_counts` - from counts per variant;
* :func:`compare_proportions`, :func:`compare_means`, :func:`srm_test` - single comparisons;
* :func:`plan` - sample size and days to a decision; :func:`run_report` - the HTML report.

Every result is a typed model with ``to_dict()``/``to_json()`` (the JSON the CLI prints),
``to_pandas()`` and a readable table in Jupyter:

>>> import guidelab
>>> result = guidelab.analyze_counts({"control": 20000, "tour": 20000},
...                                  {"completed_goal": {"control": 2000, "tour": 2300}},
...                                  control="control", planned_users=20000)
>>> result.decision.verdict
'KEEP'
>>> frame = result.to_pandas()
>>> frame[["metric", "variant", "rate", "rate_control", "rel_lift"]].round(3).to_string(index=False)
'        metric variant  rate  rate_control  rel_lift\\ncompleted_goal    tour 0.115           0.1      0.15'
>>> "<table" in result._repr_html_()
True
>>> c = guidelab.compare_proportions(successes=230, n=2000, successes_control=200, n_control=2000)
>>> round(c.abs_diff, 4), round(c.to_dict()["rel_lift"], 3), len(c.to_dict()["abs_ci"])
(0.015, 0.15, 2)
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

#: public name -> (module, attribute); imported on first use, so ``import guidelab`` stays light
_PUBLIC = {
    "load_spec": ("guidelab.experiment", "load_experiment"),
    "ExperimentSpec": ("guidelab.experiment", "ExperimentSpec"),
    "assign": ("guidelab.abtest", "assign"),
    "assign_batch": ("guidelab.abtest", "assign_batch"),
    "analyze": ("guidelab.abtest", "analyze"),
    "analyze_table": ("guidelab.analysis", "analyze_user_table"),
    "analyze_counts": ("guidelab.counts_table", "analyze_counts"),
    "compare_proportions": ("guidelab.stats.proportions", "compare_proportions"),
    "compare_means": ("guidelab.stats.means", "compare_means"),
    "srm_test": ("guidelab.stats.srm", "srm_test"),
    "plan": ("guidelab.plan", "plan_experiment"),
    "run_report": ("guidelab.report.runner", "run_report"),
    "ExperimentResult": ("guidelab.results", "ExperimentResult"),
    "MetricResult": ("guidelab.results", "MetricResult"),
    "ResultModel": ("guidelab.serialize", "ResultModel"),
}

__all__ = sorted(_PUBLIC)

if TYPE_CHECKING:
    from .abtest import analyze, assign, assign_batch
    from .analysis import analyze_user_table as analyze_table
    from .counts_table import analyze_counts
    from .experiment import ExperimentSpec
    from .experiment import load_experiment as load_spec
    from .plan import plan_experiment as plan
    from .report.runner import run_report
    from .results import ExperimentResult, MetricResult
    from .serialize import ResultModel
    from .stats.means import compare_means
    from .stats.proportions import compare_proportions
    from .stats.srm import srm_test


def __getattr__(name: str) -> Any:
    if name not in _PUBLIC:
        raise AttributeError(f"module 'guidelab' has no attribute {name!r}")
    from importlib import import_module

    module, attr = _PUBLIC[name]
    value = getattr(import_module(module), attr)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_PUBLIC))
