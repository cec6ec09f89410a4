"""Statistics for A/B tests of in-app guides, from sufficient statistics (counts and sums) only.

Pure functions, no I/O, one module per family (references in each docstring and in
``docs/statistics.md``):

* :mod:`.proportions` - difference and relative lift of two rates (Miettinen-Nurminen score test and
  intervals, Fisher's exact test for small counts), scalar and vectorised;
* :mod:`.means` - Welch's t for means per user; :mod:`.ratio` - delta method for ratio metrics;
* :mod:`.cuped` - regression adjustment with a pre-assignment covariate;
* :mod:`.sequential` - always-valid confidence sequences (look daily, stop early);
* :mod:`.bayes` - Beta-Binomial posteriors: chance to beat control, expected loss;
* :mod:`.srm` - sample-ratio mismatch; :mod:`.multiplicity` - Holm, Benjamini-Hochberg;
* :mod:`.power` - sample size, power, MDE and days to a decision (fixed and sequential).
"""
from .bayes import BayesResult, beta_binomial
from .cuped import CovariateStats, CupedComparison, compare_cuped
from .means import MeanComparison, MeanStats, compare_means
from .multiplicity import adjust, benjamini_hochberg, holm
from .power import (
    days_to_decision,
    mde_for_sample_size,
    power_two_proportions,
    sample_size_two_proportions,
    sequential_power_two_proportions,
    sequential_sample_size_two_proportions,
)
from .proportions import (
    ProportionArrays,
    ProportionComparison,
    compare_proportions,
    compare_proportions_arrays,
    compare_proportions_many,
    proportion_ci,
)
from .ratio import RatioComparison, RatioStats, compare_ratios
from .sequential import SequentialResult, confidence_sequence_halfwidth, sequential_interval, sequential_relative_interval
from .srm import SRMResult, srm_test

__all__ = [
    "ProportionComparison", "compare_proportions", "proportion_ci",
    "ProportionArrays", "compare_proportions_arrays", "compare_proportions_many",
    "MeanStats", "MeanComparison", "compare_means",
    "RatioStats", "RatioComparison", "compare_ratios",
    "CovariateStats", "CupedComparison", "compare_cuped",
    "SequentialResult", "confidence_sequence_halfwidth", "sequential_interval", "sequential_relative_interval",
    "BayesResult", "beta_binomial",
    "SRMResult", "srm_test",
    "holm", "benjamini_hochberg", "adjust",
    "sample_size_two_proportions", "power_two_proportions", "days_to_decision", "mde_for_sample_size",
    "sequential_sample_size_two_proportions", "sequential_power_two_proportions",
]
