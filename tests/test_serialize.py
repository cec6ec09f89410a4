"""The one serializer of the result models (guidelab.serialize): JSON, DataFrame, Jupyter table."""
from __future__ import annotations

import dataclasses
import doctest
import importlib
import json
import math

import pandas as pd
import pytest

import guidelab
from guidelab.serialize import Interval, JsonField, ResultModel, finite, flatten, interval, to_jsonable
from guidelab.stats import compare_proportions, sequential_interval, srm_test


@dataclasses.dataclass(frozen=True)
class Sample(ResultModel):
    n: int
    rate: float | None
    ci: Interval | None
    pair: tuple[float, float] | None = None
    note: str | None = None


def test_conversion_follows_the_annotation():
    d = Sample(10, float("nan"), (0.1, float("inf")), (0.1, float("inf"))).to_dict()
    assert d == {"n": 10, "rate": None, "ci": None, "pair": [0.1, None], "note": None}
    json.dumps(d, allow_nan=False)


def test_to_jsonable_handles_numpy_dates_and_nesting():
    import datetime as dt

    import numpy as np

    x = {1: (np.int64(3), np.float64("nan"), dt.date(2026, 1, 2)), "m": Sample(1, 0.5, (0.1, 0.9))}
    assert to_jsonable(x) == {"1": [3, None, "2026-01-02"],
                              "m": {"n": 1, "rate": 0.5, "ci": [0.1, 0.9], "pair": None, "note": None}}
    assert finite(math.inf) is None and interval((0.0, None)) is None


def test_json_fields_choose_order_sources_and_omissions():
    @dataclasses.dataclass(frozen=True)
    class Wrapped(ResultModel):
        inner: Sample
        extra: float | None = None
        _json_fields = (JsonField("n", "inner.n"), JsonField("extra", omit_none=True), "inner")

    assert list(Wrapped(Sample(2, 0.1, None)).to_dict()) == ["n", "inner"]
    assert list(Wrapped(Sample(2, 0.1, None), 1.5).to_dict()) == ["n", "extra", "inner"]  # in the declared order


def test_stats_results_keep_their_json_form():
    c = compare_proportions(230, 2000, 200, 2000)
    d = c.to_dict()
    assert list(d)[:4] == ["n", "successes", "n_control", "successes_control"] and d["codes"] == []
    assert type(d["n"]) is int and len(d["abs_ci"]) == 2
    s = srm_test({"a": 1000, "b": 1100}, {"a": 0.5, "b": 0.5})
    assert list(s.to_dict()) == ["p_value", "counts", "expected", "statistic", "df"]
    q = sequential_interval(0.04, 0.01, 8400, tuning=3000).to_dict()
    assert list(q) == ["ci", "can_stop", "tuning", "method", "alpha", "halfwidth", "status", "note", "notes"]


def test_no_hand_written_to_dict_is_left():
    """Every result model serializes through ResultModel.to_dict (one serializer)."""
    modules = ["guidelab.results", "guidelab.decision", "guidelab.events", "guidelab.ledger", "guidelab.analysis",
               "guidelab.plan", "guidelab.eligibility", "guidelab.throttle"] + [
        f"guidelab.stats.{m}" for m in ("proportions", "means", "ratio", "cuped", "srm", "bayes", "sequential",
                                         "nps", "survival", "novelty", "curves", "segments", "cluster")]
    models = 0
    for name in modules:
        for obj in vars(importlib.import_module(name)).values():
            if isinstance(obj, type) and obj is not ResultModel and "to_dict" in vars(obj):
                pytest.fail(f"{name}.{obj.__name__} defines its own to_dict")
            if isinstance(obj, type) and issubclass(obj, ResultModel) and obj is not ResultModel:
                models += 1
    assert models >= 30


def test_experiment_result_as_frame_and_html():
    r = guidelab.analyze_counts({"a": 5000, "b": 5000}, {"conv": {"a": 500, "b": 600}, "dis": {"a": 50, "b": 52}},
                                "a", guardrails=["dis"], planned_users=5000)
    frame = r.to_pandas()
    assert isinstance(frame, pd.DataFrame) and list(frame["metric"]) == ["conv", "dis"]
    assert {"rel_ci_low", "rel_ci_high", "p_value_adjusted"} <= set(frame.columns)
    html = r._repr_html_()
    assert "<table" in html and r.decision.verdict in html and "conv" in html
    assert json.loads(r.to_json()) == r.to_dict()


def test_html_of_a_model_is_escaped():
    html = Sample(1, 0.5, None, note="<script>alert('x')</script>")._repr_html_()
    assert "<script>" not in html and "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt;" in html


def test_flatten_splits_intervals():
    assert flatten({"rel_ci": [0.1, 0.2], "bayes": {"credible_interval": [0.0, 1.0]}}) == {
        "rel_ci_low": 0.1, "rel_ci_high": 0.2, "bayes.credible_interval_low": 0.0, "bayes.credible_interval_high": 1.0}


@pytest.mark.parametrize("module", ["guidelab", "guidelab.serialize", "guidelab.counts_table",
                                    "guidelab.report.templating"])
def test_docstrings_run(module):
    """The public API's docstring examples run as doctests."""
    result = doctest.testmod(importlib.import_module(module), optionflags=doctest.NORMALIZE_WHITESPACE)
    assert result.attempted > 0 and result.failed == 0


def test_public_api_names_resolve_and_are_documented():
    for name in guidelab.__all__:
        obj = getattr(guidelab, name)
        assert obj.__doc__, f"guidelab.{name} has no docstring"
    with pytest.raises(AttributeError):
        guidelab.no_such_name  # noqa: B018


def test_a_notes_field_is_note_in_english_then_notes_as_codes():
    """A statistics result's ``notes`` (codes) appear in JSON as ``note`` (their English, as
    before the codes) followed by ``notes`` ([{code, ...params}])."""
    from guidelab.stats.notes import Note, NoteCode, Noted

    @dataclasses.dataclass(frozen=True)
    class Noting(Noted, ResultModel):
        n: int
        notes: tuple[Note, ...] = ()
        alpha: float = 0.05

    d = Noting(3, (Note.of(NoteCode.TOO_FEW_DAYS, n=2), Note(NoteCode.NO_DAYS))).to_dict()
    assert list(d) == ["n", "note", "notes", "alpha"]
    assert d["note"] == "the trend test needs at least 3 usable days, got 2; no days"
    assert d["notes"] == [{"code": "too_few_days", "n": 2}, {"code": "no_days"}]
    assert Noting(1).to_dict() == {"n": 1, "note": None, "notes": [], "alpha": 0.05}


def _raw_json(model):
    from guidelab.serialize import raw_default

    return json.dumps(model.raw_form(), ensure_ascii=False, allow_nan=False, separators=(",", ":"),
                      default=raw_default)


def _clean_json(model):
    return json.dumps(model.to_dict(), ensure_ascii=False, allow_nan=False, separators=(",", ":"))


def test_raw_form_gives_the_json_of_to_dict_or_refuses():
    """The raw form (nested values left for json to walk) serialises to the same text as to_dict, and
    a NaN left in a nested value makes json refuse it rather than write something else."""
    import datetime as dt

    import numpy as np

    @dataclasses.dataclass(frozen=True)
    class Holder(ResultModel):
        inner: Sample
        items: list
        extra: dict
        when: dt.date | None = None

    ok = Holder(Sample(3, 0.25, (0.1, 0.4), (0.2, 0.3), "é"), [Sample(1, None, None), (1, 2.5)],
                {"a": {"b": [np.float64(0.5), np.int64(7), np.bool_(True)], "c": dt.date(2026, 1, 2)}, "日本": "語"},
                dt.date(2026, 3, 4))
    assert _raw_json(ok) == _clean_json(ok)
    assert Sample(1, math.nan, (0.1, math.inf)).raw_form() == Sample(1, math.nan, (0.1, math.inf)).to_dict()
    bad = Holder(Sample(1, 0.5, None), [], {"x": [math.nan]})
    with pytest.raises(ValueError):
        _raw_json(bad)
    assert _clean_json(bad).endswith('"extra":{"x":[null]},"when":null}')


def test_raw_form_of_an_analysis_result_is_its_json():
    from guidelab.counts_table import analyze_counts

    for kw in ({}, {"planned_users": 1000}, {"weights": {"a": 0.2, "b": 0.8}}):
        r = analyze_counts({"a": 1000, "b": 1300}, {"conv": {"a": 100, "b": 160}, "dismissed": {"a": 0, "b": 9}},
                           "a", guardrails=["dismissed"], **kw)
        assert _raw_json(r) == _clean_json(r)
