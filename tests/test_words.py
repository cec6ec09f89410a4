"""The words of each language (guidelab/report/words/en.py, ja.py): same keys, same placeholders."""
from __future__ import annotations

import string

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
    assert {"WORDS", "CHECKS", "LEDGER_REASONS", "METHODS", "PORTFOLIO", "PREVIEW", "NOTIFY"} <= set(TABLES)
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
