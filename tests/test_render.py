"""Report fragments: user content is escaped everywhere; both languages render."""
from __future__ import annotations

import datetime as dt

import pytest

import guidelab
from guidelab.experiment import load_experiment
from guidelab.report import render

EVIL = "<script>alert('x')</script>"


def context(spec_path, data_dir, as_of, lang):
    """What the notebook does: analyse (guidelab.analyze), then hand the result to the report."""
    spec = guidelab.load_spec(spec_path)
    return render.ReportContext(spec, guidelab.analyze(spec, data_dir, as_of), lang)


@pytest.fixture
def evil_ctx(tmp_path, root, simulated_onboarding):
    text = (root / "experiments/onboarding-tour-vs-checklist.yaml").read_text(encoding="utf-8")
    text = text.replace('title: {ja: "ようこそ！🎉", en: "Welcome! 🎉"}', f'title: {{ja: "{EVIL}", en: "{EVIL}"}}')
    text = text.replace("  New users who are walked", f"  {EVIL} New users who are walked")
    p = tmp_path / "onboarding-tour-vs-checklist.yaml"
    p.write_text(text, encoding="utf-8")
    assert EVIL in load_experiment(p).guides[0].steps[0].title.get("en")
    return lambda lang: context(p, simulated_onboarding, None, lang)


@pytest.mark.parametrize("lang", ["en", "ja"])
def test_guide_text_and_spec_fields_are_escaped(evil_ctx, lang):
    ctx = evil_ctx(lang)
    html = "".join(f(ctx) for f in (render.head, render.decision_banner, render.metrics_table, render.guides_preview,
                                    render.data_quality, render.methods))
    assert EVIL not in html
    assert "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt;" in html


def test_languages_differ_and_japanese_is_kept(simulated_onboarding, root):
    spec = root / "experiments/onboarding-tour-vs-checklist.yaml"
    en = context(spec, simulated_onboarding, dt.date(2026, 10, 21), "en")
    ja = context(spec, simulated_onboarding, "2026-10-21", "ja")
    assert "Key metrics" in render.metrics_table(en) and "主要指標" in render.metrics_table(ja)
    assert "ようこそ！🎉" in render.guides_preview(ja)
    assert "2026年10月21日" in render.head(ja)
    assert render.decision_banner(ja) != render.decision_banner(en)


def test_methods_state_the_rule_and_its_measured_operating_characteristic(simulated_onboarding, root, tmp_path,
                                                                           monkeypatch):
    spec = root / "experiments/onboarding-tour-vs-checklist.yaml"
    figures = tmp_path / "oc.json"
    figures.write_text('{"fixed": {"aa_keep_any_look": 0.0213, "n_sims": 2000}}', encoding="utf-8")
    monkeypatch.setattr(render, "OC_FIGURES", figures)
    monkeypatch.setattr(render.oc_figures, "__defaults__", (figures,))
    en = render.methods(context(spec, simulated_onboarding, None, "en"))
    ja = render.methods(context(spec, simulated_onboarding, None, "ja"))
    assert "keeps a useless guide in 2.1% of experiments, read daily, measured on 2,000 simulations" in en
    assert "fixed-horizon" in en and "non-inferiority" in en
    assert "2.1%" in ja and "2,000 回のシミュレーション" in ja and "非劣性" in ja
    figures.write_text("not json", encoding="utf-8")
    assert "useless guide" not in render.methods(context(spec, simulated_onboarding, None, "en"))


def test_differences_of_rates_are_percentage_points():
    from guidelab.report.words import pct, pts

    assert pts(0.048, signed=True) == "+4.8 pt" and pts(-0.25, signed=True) == "−25.0 pt"
    assert pts(0.25, lang="ja") == "25.0ポイント" and pts(None) == "–"
    assert pct(0.048, signed=True) == "+4.8%"  # rates and relative lifts stay percent


def test_funnel_steps_are_labelled_by_title_and_completed_is_not_a_step(onboarding_spec):
    from guidelab.report.render import funnel_largest_leave, funnel_step_labels
    from guidelab.stats.curves import funnel

    guide = onboarding_spec.guide_for("tour")
    ids = [st.id for st in guide.steps]
    labels = funnel_step_labels(onboarding_spec, "tour", "ja")
    assert [labels[i] for i in ids] == [st.title.get("ja") for st in guide.steps]
    assert labels["completed"] == "完了" and funnel_step_labels(onboarding_spec, "tour", "en")["completed"] == "Completed"
    # entered 1000; 900 see step 1 (100 never shown: not a step drop); then 600, 500; 200 complete
    f = funnel([*ids, "completed"], [900, 600, 500, 200], 1000)
    assert f.largest_relative_drop.step == "completed"  # what the report used to print
    assert funnel_largest_leave(f) == (ids[-1], 0.6)  # 300 of the 500 who reached the last step left there
    g = funnel([*ids, "completed"], [900, 300, 290, 280], 1000)
    assert funnel_largest_leave(g) == (ids[0], 600 / 900)


def test_japanese_lists_use_the_ideographic_comma():
    from guidelab.report.words import join_list

    assert join_list(["holdout 46.5%", "modal 48.0%"], "ja") == "holdout 46.5%、modal 48.0%"
    assert join_list(["a", "b"], "en") == "a, b"
    import inspect

    import guidelab.report.words as i18n

    source = inspect.getsource(i18n)
    assert " まで" not in source and "、 " not in source


@pytest.mark.parametrize("lang, text", [("en", "Interacts with nps-survey-timing"), ("ja", "nps-survey-timing と交互作用あり")])
def test_the_banner_shows_a_programme_interaction_flag(simulated_onboarding, root, lang, text):
    import dataclasses

    ctx = context(root / "experiments/onboarding-tour-vs-checklist.yaml", simulated_onboarding, None, lang)
    assert text not in render.decision_banner(ctx)
    flagged = dataclasses.replace(ctx, interacts_with=("nps-survey-timing",))
    assert text in render.decision_banner(flagged)
