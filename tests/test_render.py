"""Report fragments: user content is escaped everywhere; both languages render."""
from __future__ import annotations

import datetime as dt

import pytest

from guidelab import render
from guidelab.experiment import load_experiment

EVIL = "<script>alert('x')</script>"


@pytest.fixture
def evil_ctx(tmp_path, root, simulated_onboarding):
    text = (root / "experiments/onboarding-tour-vs-checklist.yaml").read_text(encoding="utf-8")
    text = text.replace('title: {ja: "ようこそ！🎉", en: "Welcome! 🎉"}', f'title: {{ja: "{EVIL}", en: "{EVIL}"}}')
    text = text.replace("  New users who are walked", f"  {EVIL} New users who are walked")
    p = tmp_path / "onboarding-tour-vs-checklist.yaml"
    p.write_text(text, encoding="utf-8")
    assert EVIL in load_experiment(p).guides[0].steps[0].title.get("en")
    return lambda lang: render.build_context(p, simulated_onboarding, None, lang)


@pytest.mark.parametrize("lang", ["en", "ja"])
def test_guide_text_and_spec_fields_are_escaped(evil_ctx, lang):
    ctx = evil_ctx(lang)
    html = "".join(f(ctx) for f in (render.head, render.decision_banner, render.metrics_table, render.guides_preview,
                                    render.data_quality, render.methods))
    assert EVIL not in html
    assert "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt;" in html


def test_languages_differ_and_japanese_is_kept(simulated_onboarding, root):
    spec = root / "experiments/onboarding-tour-vs-checklist.yaml"
    en = render.build_context(spec, simulated_onboarding, dt.date(2026, 10, 21), "en")
    ja = render.build_context(spec, simulated_onboarding, "2026-10-21", "ja")
    assert "Key metrics" in render.metrics_table(en) and "主要指標" in render.metrics_table(ja)
    assert "ようこそ！🎉" in render.guides_preview(ja)
    assert "2026年10月21日" in render.head(ja)
    assert render.decision_banner(ja) != render.decision_banner(en)


def test_differences_of_rates_are_percentage_points():
    from guidelab.i18n import pct, pts

    assert pts(0.048, signed=True) == "+4.8 pt" and pts(-0.25, signed=True) == "−25.0 pt"
    assert pts(0.25, lang="ja") == "25.0ポイント" and pts(None) == "–"
    assert pct(0.048, signed=True) == "+4.8%"  # rates and relative lifts stay percent
