"""Notes on statistics results: codes and numbers, not words.

A result whose statistic is None, or computed by a fallback, says why in ``notes``: a tuple of
:class:`Note` (a :class:`NoteCode` and its parameters). The words live with the report, one file
per language (``NOTES`` of guidelab/report/words/en.py and ja.py, said by
:func:`guidelab.report.words.note_text`); every code has a sentence in each language
(tests/test_words.py). A result's ``note`` (and the ``note`` key of its JSON form) is the English
of its notes joined by "; ", as before the notes became codes.

Parameters are numbers, identifiers and lists of them; a parameter whose value is a code (``arms``:
"treatment", "control" or "both"; ``estimate``: "rate", "mean", ...) is worded by the language file.

    >>> Note.of(NoteCode.TOO_FEW_DAYS, n=2).as_json()
    {'code': 'too_few_days', 'n': 2}
"""
from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from enum import Enum
from typing import Any, ClassVar, Union

from ..serialize import JsonField

__all__ = ["NOTES_JSON", "Note", "NoteCode", "NoteParam", "Noted", "arms_code", "notes_json", "notes_text"]


class NoteCode(str, Enum):
    """Every code a statistics result's note can carry."""

    # an arm without data (param ``arms``: treatment, control or both)
    NO_USERS = "no_users"
    NO_RESPONDENTS_IN_ARM = "no_respondents_in_arm"
    TOO_FEW_USERS = "too_few_users"
    TOO_FEW_USERS_UNADJUSTED = "too_few_users_unadjusted"
    TOO_FEW_ACCOUNTS = "too_few_accounts"
    ZERO_DENOMINATOR = "zero_denominator"
    PRIOR_ONLY = "prior_only"
    # no variability to test against
    ZERO_VARIANCE_BOTH_ARMS = "zero_variance_both_arms"
    ZERO_VARIANCE_RATIO = "zero_variance_ratio"
    ZERO_VARIANCE_OUTCOME = "zero_variance_outcome"
    ZERO_VARIANCE_ACCOUNTS = "zero_variance_accounts"
    # the relative lift (param ``estimate``: rate, mean, ratio, adjusted_mean)
    CONTROL_RATE_ZERO = "relative_lift_undefined_control_rate_zero"
    CONTROL_ZERO = "control_zero"
    CONTROL_MEAN_ZERO_UNADJUSTED = "control_mean_zero_unadjusted"
    NEGATIVE_ESTIMATE = "negative_estimate"
    TREATMENT_ZERO = "treatment_zero"
    LOG_RATIO_VARIANCE_ZERO = "log_ratio_variance_zero"
    CONTROL_NOT_DISTINGUISHABLE_FROM_ZERO = "control_not_distinguishable_from_zero"
    # proportions: small counts
    EXACT_TEST = "exact_test"
    INTERVAL_WIDENED = "interval_widened_to_exact_test"
    # CUPED fallbacks
    COVARIATE_NO_VARIANCE = "covariate_no_variance"
    COVARIATE_PERFECT_FIT = "covariate_perfect_fit"
    # Bayesian figures (param ``figures``: chance_to_beat, expected_loss, expected_loss_control)
    INTEGRATION_INACCURATE = "integration_inaccurate"
    CREDIBLE_UPPER_UNBOUNDED = "credible_upper_unbounded"
    CREDIBLE_INACCURATE = "credible_inaccurate"
    CREDIBLE_LOWER_CLAMPED = "credible_lower_clamped"
    CONTROL_NO_SUCCESSES = "control_no_successes"
    # retention curves and funnels
    DAYS_WITHOUT_MATURED_USERS = "days_without_matured_users"
    NO_DAYS = "no_days"
    DAYS_IN_ONE_CURVE = "days_in_one_curve"
    NO_STEP_LOSES_USERS = "no_step_loses_users"
    FUNNEL_EMPTY = "funnel_empty"
    STEPS_WITHOUT_USERS = "steps_without_users"
    # daily effects and the novelty trend
    DAYS_WITH_EMPTY_ARM = "days_with_empty_arm"
    DAYS_SKIPPED = "days_skipped"
    TOO_FEW_DAYS = "too_few_days"
    EFFECTS_ON_A_LINE = "effects_on_a_line"
    # NPS
    SHOWN_NOT_GIVEN = "shown_not_given"
    NOBODY_SHOWN = "nobody_shown"
    NO_RESPONDENTS = "no_respondents"
    ONE_GROUP = "one_group"
    ONE_GROUP_PER_ARM = "one_group_per_arm"
    # segments (param ``segment``)
    SEGMENT_LEFT_OUT_NO_USERS = "segment_left_out_no_users"
    SEGMENT_LEFT_OUT_ZERO_VARIANCE = "segment_left_out_zero_variance"
    SEGMENT_LEFT_OUT_FEW_ACCOUNTS = "segment_left_out_few_accounts"
    TOO_FEW_SEGMENTS = "too_few_segments"
    # sequential intervals (param ``missing``: estimate, relative_lift, standard_error)
    NO_UNITS = "no_units"
    MISSING_INPUT = "missing_input"
    INFINITE_STANDARD_ERROR = "infinite_standard_error"
    ZERO_STANDARD_ERROR = "zero_standard_error"
    LOG_RATIO_UNDEFINED = "log_ratio_undefined"
    NOT_ENOUGH_DATA_SEQUENTIAL = "not_enough_data_sequential"
    # survival
    LIFE_TABLE_EMPTY = "life_table_empty"
    NO_EVENTS = "no_events"
    SURVIVAL_REACHES_ZERO = "survival_reaches_zero"
    MEDIAN_NOT_REACHED = "median_not_reached"
    VARIANTS_LEFT_OUT = "variants_left_out"
    NO_EVENTS_IN_ANY_VARIANT = "no_events_in_any_variant"
    TOO_FEW_VARIANTS_AT_RISK = "too_few_variants_at_risk"
    LOGRANK_VARIANCE_ZERO = "logrank_variance_zero"
    # quantile metrics (guidelab.stats.quantiles; param ``percentile``: p as a percentage)
    QUANTILE_TOO_FEW_USERS = "quantile_too_few_users"
    QUANTILE_NOT_REACHED = "quantile_not_reached"
    QUANTILE_UPPER_UNBOUNDED = "quantile_upper_unbounded"
    QUANTILE_TIED = "quantile_tied"


#: A note's parameter: a number, an identifier (a day, a step name, a code) or a tuple of them.
NoteParam = Union[str, int, float, tuple[Union[str, int, float], ...]]


@dataclass(frozen=True)
class Note:
    """One note: a :class:`NoteCode` and its parameters (``(name, value)`` pairs, in order)."""

    code: NoteCode
    params: tuple[tuple[str, NoteParam], ...] = ()

    @classmethod
    def of(cls, code: NoteCode, **params: NoteParam) -> Note:
        return cls(code, tuple(params.items()))

    @property
    def values(self) -> dict[str, NoteParam]:
        return dict(self.params)

    def as_json(self) -> dict[str, Any]:
        """``{"code": ..., **params}`` (tuples as lists)."""
        return {"code": self.code.value, **{k: list(v) if isinstance(v, tuple) else v for k, v in self.params}}


class Noted:
    """A result with ``notes``: its ``note`` is their English. In JSON a ``notes`` field is the
    ``note`` key (English) followed by the ``notes`` key (codes), :mod:`guidelab.serialize`."""

    notes: tuple[Note, ...]

    _notes_json: ClassVar[Callable[[tuple[Note, ...]], list[dict[str, Any]]]]  # set below: the notes' JSON

    @property
    def note(self) -> str | None:
        """The English of :attr:`notes` ("; "-joined), None without notes."""
        return notes_text(self.notes)


def arms_code(treatment: bool, control: bool) -> str:
    """The ``arms`` parameter of a note on arms without data: "both", "treatment" or "control"."""
    return "both" if treatment and control else "treatment" if treatment else "control"


def notes_text(notes: Iterable[Note]) -> str | None:
    """The English of ``notes`` joined by "; " (None for none): a result's ``note``. The words are
    the report's (:func:`guidelab.report.words.note_text`)."""
    notes = tuple(notes)
    if not notes:
        return None
    from ..report.words import note_text

    return "; ".join(note_text(n, "en") for n in notes)


def notes_json(notes: tuple[Note, ...]) -> list[dict[str, Any]]:
    """The JSON form of ``notes``: ``[{"code": ..., **params}, ...]``."""
    return [n.as_json() for n in notes]


Noted._notes_json = staticmethod(notes_json)

#: The JSON key of a result's notes as codes, for a ``_json_fields`` list (after ``"note"``).
NOTES_JSON = JsonField("notes", convert=notes_json)
