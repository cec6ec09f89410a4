"""The portfolio index without running notebooks: each arm's verdict, the interval it used, both languages."""
from __future__ import annotations

import datetime as dt

import pytest

from guidelab.report.portfolio import ArmSummary, PortfolioEntry, _primary_interval, index_html, parse_langs

EVIL = "<img src=x onerror=alert(1)>"


def entry(**kw) -> PortfolioEntry:
    base = dict(experiment="support-tour", name="Support tour: a long name " * 3, status="ok", verdict="KILL",
                primary_metric="retention_d7", lift=-0.05, lift_ci=(-0.09, -0.01), variant="tour",
                start=dt.date(2026, 10, 1), end=dt.date(2026, 10, 28), as_of="2026-10-28",
                html="support-tour.html", notebook="support-tour.ipynb",
                summary="tour raised support contacts within 7 days from 3.1% to 4.5%, +44.0% " * 2,
                arms=(ArmSummary("tour", "KILL", 0.44, (0.21, 0.71), "sequential", "tour raised support contacts"),
                      ArmSummary("checklist", "CONTINUE", 0.02, (-0.03, 0.08), "sequential")),
                reports=(("en", "support-tour.html"), ("ja", "support-tour.ja.html")))
    base.update(kw)
    return PortfolioEntry(**base)


def test_every_arm_shows_its_verdict_a_killed_arm_included():
    html = index_html([entry(verdict="CONTINUE")], "en")
    assert "✖ KILL</span> <b>tour</b>" in html
    assert "↻ CONTINUE</span> <b>checklist</b>" in html
    assert "+44.0% </span>" not in html and "+44.0%</span> [+21.0%, +71.0%]" in html


def test_the_interval_quoted_is_the_one_the_verdict_used():
    seq = {"rel_ci": [0.01, 0.3], "sequential": {"relative_ci": [-0.02, 0.35]}}
    assert _primary_interval(seq) == ((-0.02, 0.35), "sequential")
    assert _primary_interval({"rel_ci": [0.01, 0.3]}) == ((0.01, 0.3), "fixed")
    assert _primary_interval({"rel_ci": None, "sequential": {"relative_ci": None}}) == (None, "sequential")
    en, ja = index_html([entry()], "en"), index_html([entry()], "ja")
    assert "sequential 95% CS" in en and "逐次95%信頼系列" in ja
    fixed = index_html([entry(arms=(ArmSummary("tour", "KEEP", 0.1, (0.02, 0.2), "fixed"),))], "en")
    assert "95% CI" in fixed and "sequential" not in fixed


def test_the_index_links_each_language_own_language_first():
    en, ja = index_html([entry()], "en"), index_html([entry()], "ja")
    assert en.index('href="support-tour.html"') < en.index('href="support-tour.ja.html"')
    assert ja.index('href="support-tour.ja.html"') < ja.index('href="support-tour.html"')
    assert ">日本語</a>" in en and ">English</a>" in ja and '<html lang="ja">' in ja


def test_user_text_is_escaped():
    html = index_html([entry(name=EVIL, summary=EVIL, arms=(ArmSummary(EVIL, "KEEP", 0.1, None, "fixed", EVIL),))], "en")
    assert EVIL not in html and "&lt;img" in html


@pytest.mark.parametrize("value, expected", [("en", ["en"]), ("ja", ["ja"]), ("en,ja", ["en", "ja"]),
                                             ("ja, en", ["ja", "en"]), ("en,en", ["en"])])
def test_parse_langs(value, expected):
    assert parse_langs(value) == expected


@pytest.mark.parametrize("value", ["", "fr", "en,fr"])
def test_parse_langs_refuses(value):
    from guidelab.errors import GuidelabError

    with pytest.raises(GuidelabError, match="expected en, ja or en,ja"):
        parse_langs(value)


@pytest.mark.browser
@pytest.mark.parametrize("lang", ["en", "ja"])
def test_the_index_fits_a_1280px_laptop_screen(browser, tmp_path, lang):
    long_variant = "variant-with-a-rather-long-key-name"
    entries = [entry(experiment=f"exp-{i}", arms=entry().arms + (ArmSummary(long_variant, "KEEP", 0.123, (0.05, 0.2), "fixed"),))
               for i in range(6)] + [entry(experiment="broken", status="failed", verdict=None, arms=(), reports=(),
                                           html=None, error="guidelab report: FAILED: " + "x" * 300)]
    path = tmp_path / "index.html"
    path.write_text(index_html(entries, lang), encoding="utf-8")
    page = browser.new_page(viewport={"width": 1280, "height": 800})
    try:
        page.goto(path.as_uri())
        scroll, client = page.evaluate("[document.documentElement.scrollWidth, document.documentElement.clientWidth]")
        assert scroll <= client == 1280
        # every column's right edge on screen, the report links included
        right = page.evaluate("Math.max(...[...document.querySelectorAll('th, td, a')].map(e => e.getBoundingClientRect().right))")
        assert right <= 1280
        assert page.locator("a[hreflang=ja]").first.is_visible()
    finally:
        page.close()


# ------------------------------------------------------------------ the programme section


@pytest.fixture(scope="module")
def programme_outcome(tmp_path_factory):
    """The programme report on the committed sample, with an interaction flag planted in its
    result (the flag's statistics are tested in tests/test_programme_analysis.py)."""
    from dataclasses import replace
    from pathlib import Path

    from guidelab.report.portfolio import run_programme

    root = Path(__file__).resolve().parent.parent
    out = tmp_path_factory.mktemp("reports")
    outcome = run_programme(root / "experiments", sorted((root / "experiments").glob("*.yaml")), root / "data", out)
    assert outcome is not None and outcome.problem is None and (out / "programme.json").is_file()
    first, *rest = outcome.result.interactions
    flagged = replace(outcome.result, interactions=(replace(first, flagged=True), *rest))
    return replace(outcome, result=flagged), out


@pytest.mark.parametrize("lang", ["en", "ja"])
def test_programme_section_shows_every_metric_and_the_interaction_flags(programme_outcome, lang):
    outcome, _ = programme_outcome
    html = index_html([entry(experiment="maintenance-banner-copy"), entry(experiment="onboarding-tour-vs-checklist")],
                      lang, outcome)
    w = {"en": ("The guide programme against its holdout", "Interacts with nps-survey-timing", "⚠ interaction"),
         "ja": ("ガイド施策全体とホールドアウトの比較", "nps-survey-timing と交互作用あり", "⚠ 交互作用")}[lang]
    assert all(text in html for text in w)
    assert html.count("gl-interaction") == 1  # only the flagged experiment's row (onboarding ran alone)
    r = outcome.result
    for m in r.metrics:
        assert f"({m.itt.successes_control:,}/{m.itt.n_control:,})" in html
        assert f"({m.itt.successes:,}/{m.itt.n:,})" in html
    assert f"{r.users.holdout:,}" in html and f"{r.users.programme:,}" in html


def test_programme_problems_are_said_and_escaped():
    from guidelab.report.portfolio import ProgrammeOutcome

    html = index_html([entry()], "en", ProgrammeOutcome("gp", problem="failed", detail=EVIL))
    assert EVIL not in html and "&lt;img" in html and "could not be computed" in html
    html = index_html([entry()], "ja", ProgrammeOutcome("gp", problem="no_data", detail="data/gp"))
    assert "施策のデータがありません" in html
    assert "gl-programme" not in index_html([entry()], "en", None)


def test_report_banner_reads_the_flags_of_programme_json(programme_outcome, tmp_path):
    import json

    from guidelab.report.render import programme_flags

    _, out = programme_outcome
    assert programme_flags(out, "maintenance-banner-copy") == ()  # the sample has no true interaction
    doc = json.loads((out / "programme.json").read_text(encoding="utf-8"))
    doc["interactions"][1]["flagged"] = True
    (tmp_path / "programme.json").write_text(json.dumps(doc), encoding="utf-8")
    assert programme_flags(tmp_path, "maintenance-banner-copy") == ("nps-survey-timing",)
    assert programme_flags(tmp_path, "nps-survey-timing") == ("maintenance-banner-copy",)
    assert programme_flags(tmp_path, "onboarding-tour-vs-checklist") == ()
    assert programme_flags(tmp_path / "missing", "x") == ()


@pytest.fixture(scope="module")
def account_outcome(tmp_path_factory):
    """The programme report of a programme holding out accounts (tests/fixtures/programme-account)
    on simulated data."""
    from pathlib import Path

    from guidelab.experiment import load_experiment
    from guidelab.programme import find_programme
    from guidelab.report.portfolio import run_programme
    from guidelab.simulate import simulate_programme

    root = Path(__file__).resolve().parent.parent
    tmp = tmp_path_factory.mktemp("account-programme")
    fixture = root / "tests" / "fixtures" / "programme-account"
    programme = find_programme(fixture)
    spec_paths = sorted((root / "experiments").glob("*.yaml"))
    simulate_programme(programme, [load_experiment(p) for p in spec_paths], 2000, tmp / "data" / programme.id, seed=2)
    outcome = run_programme(fixture, spec_paths, tmp / "data", tmp / "out")
    assert outcome is not None and outcome.problem is None, outcome
    return outcome, tmp / "out"


@pytest.mark.parametrize("lang", ["en", "ja"])
def test_account_programme_section_shows_accounts_icc_and_design_effect(account_outcome, lang):
    """The section says accounts and users per arm, and per metric the ICC, the design effect and
    the naive p-value beside the clustered one; programme.json carries the unit and the accounts."""
    import json

    outcome, out = account_outcome
    doc = json.loads((out / "programme.json").read_text(encoding="utf-8"))
    assert doc["unit"] == "account_id" and doc["users"]["accounts_holdout"] > 0
    assert all("icc" in m["itt"] and "design_effect" in m["itt"] for m in doc["metrics"])
    html = index_html([entry(experiment="maintenance-banner-copy")], lang, outcome)
    r, u = outcome.result, outcome.result.users
    words = {"en": ("accounts are held out", f"{u.accounts_holdout:,} accounts of the holdout", "design effect",
                    "Clustering"),
             "ja": ("アカウントの", f"ホールドアウト {u.accounts_holdout:,}アカウント", "デザイン効果", "クラスタリング")}[lang]
    assert all(w in html for w in words), words
    c = r.metrics[0].itt
    unit = {"en": f"{c.n_accounts:,} accounts)", "ja": f"{c.n_accounts:,}アカウント）"}[lang]
    assert unit in html and f"{c.design_effect:.2f}" in html
