"""The words of each language (guidelab/report/words/en.py, ja.py): same keys, same placeholders."""
from __future__ import annotations

import re
import string
from pathlib import Path

import pytest

from guidelab.report.words import LANGUAGES, en, ja

TABLES = [name for name in dir(en) if name.isupper()]


def placeholders(text: str) -> set[str]:
    """The ``{field}`` names of a format string (``{n:,}`` -> ``n``)."""
    return {field.split(".")[0].split("[")[0] for _, field, _, _ in string.Formatter().parse(text) if field}


def leaves(value, path=()):
    """(path, text) of every string in a table (dicts by key, tuples and lists by position)."""
    if isinstance(value, str):
        yield path, value
    elif isinstance(value, dict):
        for k, v in value.items():
            yield from leaves(v, (*path, k))
    elif isinstance(value, (list, tuple)):
        for i, v in enumerate(value):
            yield from leaves(v, (*path, i))


def test_both_languages_have_the_same_tables():
    assert TABLES == [name for name in dir(ja) if name.isupper()]
    assert {"WORDS", "CHECKS", "LEDGER_REASONS", "METHODS", "PORTFOLIO", "PREVIEW", "NOTIFY", "REASONS",
            "FORMS"} <= set(TABLES)
    assert set(LANGUAGES) == {"en", "ja"}


@pytest.mark.parametrize("table", TABLES)
def test_same_keys_and_placeholders(table):
    en_leaves, ja_leaves = dict(leaves(getattr(en, table))), dict(leaves(getattr(ja, table)))
    assert en_leaves.keys() == ja_leaves.keys(), f"{table}: keys differ: {en_leaves.keys() ^ ja_leaves.keys()}"
    for path, text in en_leaves.items():
        assert placeholders(text) == placeholders(ja_leaves[path]), f"{table}{list(path)}: placeholders differ"


def test_the_check_detects_a_missing_placeholder():
    assert placeholders("{variant}: {n:,} users") == {"variant", "n"}
    assert placeholders("{variant}：{n:,} 人") != placeholders("{variant}：人")


def test_no_words_outside_the_words_files():
    """The tables the report reads are the language files' own objects, not copies."""
    from guidelab.report import portfolio, preview, render, words

    assert words.WORDS["ja"] is ja.WORDS and preview.UI["en"] is en.PREVIEW
    assert portfolio._WORDS["ja"] is ja.PORTFOLIO and render.METHODS["en"] is en.METHODS


LIB = Path(__file__).resolve().parents[1] / "lib"


def _codes_in_source(pattern: str) -> set[str]:
    """Codes written as literals in the library's source (``Reason("code"``, ``"a" if x else "b"``)."""
    return {m for path in LIB.rglob("*.py") for m in re.findall(pattern, path.read_text(encoding="utf-8"))}


def test_every_reason_code_has_a_sentence_in_both_languages():
    """Each code a verdict's Reason can carry is a key of REASONS (ja has the same keys, above),
    and the list of codes is complete: every ``Reason("...")`` literal of the library is in it."""
    from guidelab.decision import REASON_CODES, Reason
    from guidelab.report.words import reason_text

    assert set(REASON_CODES) <= en.REASONS.keys()
    written = _codes_in_source(r'Reason\(\s*"([a-z_]+)"') | _codes_in_source(r'code = "([a-z_]+)"')
    assert written and written <= set(REASON_CODES), written - set(REASON_CODES)
    params = {"metric": "goal_d7", "variant": "B", "rate": 0.2, "rate_control": 0.18, "rel_lift": 0.11,
              "rel_ci": (0.01, 0.2), "p": 0.01, "mde": 0.05, "threshold": 0.001, "check": "missing_user_ids",
              "check_params": {"n": 3}, "share": 0.5, "decision_date": "2026-10-21", "runner_up": "C"}
    for code in REASON_CODES:
        for lang in LANGUAGES:
            text = reason_text(Reason(code, params), lang)
            assert text != code and "{" not in text, (code, lang, text)


def test_a_reasons_variants_and_pieces_belong_to_a_code():
    """A REASONS key is a code or ``code.variant`` of one (no orphan sentences)."""
    from guidelab.decision import REASON_CODES

    assert {key.split(".")[0] for key in en.REASONS} <= {*REASON_CODES, "can_stop"}


def test_reason_sentences_come_from_the_language_files(monkeypatch):
    """reason_text fills the template of its language: change the template, the sentence follows."""
    from guidelab.decision import Reason
    from guidelab.report.words import reason_text

    monkeypatch.setitem(ja.REASONS, "not_enough_data", "「{metric}」／{variant}")
    assert reason_text(Reason("not_enough_data", {"metric": "goal_d7", "variant": "B"}), "ja").endswith("」／B")
    assert reason_text(Reason("not_enough_data", {"metric": "goal_d7", "variant": "B"}), "en").startswith("B: ")


def test_no_sentence_literals_in_the_words_module():
    """guidelab/report/words/__init__.py formats and looks up; it has no Japanese text of its own
    (outside docstrings and comments, which name examples) and no English sentence (error messages
    for the programmer aside)."""
    import ast

    source = (LIB / "report" / "words" / "__init__.py").read_text(encoding="utf-8")
    tree = ast.parse(source)
    docstrings = {id(node.body[0].value) for node in ast.walk(tree)
                  if isinstance(node, (ast.Module, ast.FunctionDef, ast.ClassDef)) and node.body
                  and isinstance(node.body[0], ast.Expr) and isinstance(node.body[0].value, ast.Constant)}
    raised = {id(n) for r in ast.walk(tree) if isinstance(r, ast.Raise) for n in ast.walk(r)}
    literals = [n.value for n in ast.walk(tree) if isinstance(n, ast.Constant) and isinstance(n.value, str)
                and id(n) not in docstrings | raised]
    assert not [s for s in literals if re.search(r"[\u3040-\u30ff\u4e00-\u9fff]", s)]
    assert not [s for s in literals if len(s.split()) >= 4], "an English sentence in words/__init__.py"


def _sample_params(code):
    """Parameters of each kind a note of ``code`` can carry (every placeholder filled)."""
    values = {"arms": "both", "estimate": "adjusted_mean", "figures": ("chance_to_beat", "expected_loss_control"),
              "missing": "relative_lift", "days": (3, 4), "steps": ("'a'", "'b'"), "variants": ("x", "y"),
              "segment": "mobile", "n": 2, "day": 5, "percentile": 90}
    return {name: values[name] for name in placeholders(en.NOTES[code.value])}


def test_every_note_code_has_words_in_both_languages():
    """Each NoteCode a statistics result can carry is a key of NOTES in en.py (ja.py has the same
    keys and placeholders, above), and says itself in each language with every placeholder filled
    and every coded parameter (arms, estimate, figures, missing) in words."""
    from guidelab.report.words import note_text
    from guidelab.stats.notes import Note, NoteCode

    assert {c.value for c in NoteCode} <= en.NOTES.keys()
    for code in NoteCode:
        for lang in LANGUAGES:
            text = note_text(Note.of(code, **_sample_params(code)), lang)
            assert text != code.value and "{" not in text, (code, lang, text)
            assert not re.search(r"adjusted_mean|relative_lift|chance_to_beat|expected_loss_control", text), text
        if "arms" in _sample_params(code):
            for arms in ("treatment", "control", "both"):
                assert "{" not in note_text(Note.of(code, **{**_sample_params(code), "arms": arms}), "ja")


def test_notes_keys_are_codes_or_words_of_parameters():
    """A NOTES key is a code, ``code.<arms>`` or ``<param>.<value>`` (no orphan sentences)."""
    from guidelab.stats.notes import NoteCode

    codes = {c.value for c in NoteCode}
    for key in en.NOTES:
        head = key.split(".")[0]
        assert head in codes or head in {"arms", "estimate", "figures", "missing"}, key


def test_english_note_is_the_words_of_the_codes():
    """A result's ``note`` (and the JSON's) is the English of its codes, from en.py."""
    from guidelab.stats.notes import NoteCode
    from guidelab.stats.proportions import compare_proportions

    res = compare_proportions(0, 0, 3, 10)
    assert [n.code for n in res.notes] == [NoteCode.NO_USERS]
    assert res.note == "treatment arm has no users"
    assert res.to_dict()["note"] == res.note
    from guidelab.report.words import note_text

    assert note_text(res.notes[0], "ja") == "処置群にユーザーがいません"


def test_no_note_sentences_in_the_statistics():
    """Statistics results carry note codes: no English note built in lib/stats or the analysis."""
    for path in [*(LIB / "stats").glob("*.py"), LIB / "analysis.py", LIB / "results.py"]:
        text = path.read_text(encoding="utf-8")
        assert not re.search(r'\bnote\s*=\s*f?"', text), path
        assert not re.search(r'notes\.(append|insert)\((0, )?f?"', text), path


def test_every_plan_note_code_has_words_in_both_languages():
    """Each PlanNoteCode is a ``note.<code>`` of PLAN (ja has the same keys and placeholders)."""
    from guidelab.plan import PlanNote, PlanNoteCode
    from guidelab.report.words import plan_note_text

    values = {"k": 2, "alpha_c": 0.025, "metric": "goal_d7", "mde": 0.1, "lag": 7, "method": "m", "tuning": 1000,
              "run": 28, "start": "2026-10-01", "end": "2026-10-28", "enroll_fixed": 12.5, "enroll_sequential": 9.1,
              "days": 5, "experiment": "b2b-onboarding-checklist", "unit": "account_id"}
    for code in PlanNoteCode:
        assert f"note.{code.value}" in en.PLAN
        names = placeholders(en.PLAN[f"note.{code.value}"])
        names = names - {"metric_label"} | ({"metric"} if "metric_label" in names else set())
        for lang in LANGUAGES:
            text = plan_note_text(PlanNote.of(code, **{n: values[n] for n in names}), lang)
            assert "{" not in text, (code, lang)
    assert {k[5:] for k in en.PLAN if k.startswith("note.")} == {c.value for c in PlanNoteCode}


def test_every_eligibility_and_throttle_code_has_words_in_both_languages():
    """Each EligibilityCode and ThrottleCode is a key of ELIGIBILITY (ja: same keys, placeholders)."""
    from guidelab.eligibility import EligibilityCode
    from guidelab.report.words import eligibility_text
    from guidelab.throttle import ThrottleCode

    values = {"coverage": 0.5, "variant": "b", "guide": "g", "start": "2026-10-01", "end": "2026-10-28",
              "timezone": "Asia/Tokyo", "local": "2026-10-02 09:00", "condition": "plan is 'pro'", "pattern": "/x*",
              "page": "/y", "event": "e", "fired": "f", "seconds": 2.0, "n": 1, "max": 3, "hours": 1.5, "min": 4,
              "mode": "once", "today": 0, "winner": "w", "priority": 60, "count": 2, "period_hours": 24.0,
              "minutes": 150.0, "min_gap_minutes": 30.0, "programme": "guide-programme", "share": 0.05,
              "unit": "account_id", "value": "acct-1"}
    codes = [c.value for c in EligibilityCode] + [c.value for c in ThrottleCode]
    for code in codes:
        names = placeholders(en.ELIGIBILITY[code]) - {"times", "guides", "gap"}
        for lang in LANGUAGES:
            text = eligibility_text(code, {n: values[n] for n in names | ({"minutes"} if code == "throttle_gap" else set())
                                           | ({"count"} if code == "throttle_cap" else set()) | ({"n"} if "times" in placeholders(en.ELIGIBILITY[code]) else set())},
                                    lang)
            assert text != code and "{" not in text, (code, lang)
    forms = {"times.one", "times.other", "guides.one", "guides.other", "gap.minutes", "gap.hours"}
    assert set(en.ELIGIBILITY) == set(codes) | forms
    assert eligibility_text("throttle_gap", {"minutes": 150.0, "min_gap_minutes": 30.0}) == (
        "throttle: last guide shown 2.5 h ago (min gap 30 min)")


def test_metric_label_cache_follows_the_registry():
    """Labels are cached per registry generation: a metric registered later is worded by its label."""
    from guidelab.registry import MetricEntry, registered
    from guidelab.report.words import metric_label

    assert metric_label("bulk_probe_metric") == "bulk_probe_metric"  # not in the catalogue: as named
    entry = MetricEntry(family="bulk_probe_metric", kind="proportion", name="bulk_probe_metric",
                        labels={"en": "probe rate", "ja": "プローブ率"}, sql=lambda metric, spec: None,
                        description="a metric registered by this test")
    with registered(entry):
        assert metric_label("bulk_probe_metric") == "probe rate"
        assert metric_label("bulk_probe_metric", "ja") == "プローブ率"
    assert metric_label("bulk_probe_metric") == "bulk_probe_metric"
