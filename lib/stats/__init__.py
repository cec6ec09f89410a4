"""Statistics for A/B tests of in-app guides, from sufficient statistics (counts) only.

Pure functions, no I/O: two-proportion comparisons, sample ratio mismatch, multiplicity
adjustment and power / sample size.
"""
from .multiplicity import adjust, benjamini_hochberg, holm
from .power import days_to_decision, power_two_proportions, sample_size_two_proportions
from .proportions import ProportionComparison, compare_proportions, proportion_ci
from .srm import SRMResult, srm_test

__all__ = [
    "ProportionComparison",
    "compare_proportions",
    "proportion_ci",
    "SRMResult",
    "srm_test",
    "holm",
    "benjamini_hochberg",
    "adjust",
    "sample_size_two_proportions",
    "power_two_proportions",
    "days_to_decision",
]
