"""The static guide preview (guidelab.report.preview): what the HTML holds, then how it looks in headless Chromium.

The browser part uses the system Chromium (Debian package ``chromium``) offline; Playwright's own
browsers are never downloaded. Run ``scripts/ensure-browser`` to install it;
``GUIDELAB_SKIP_BROWSER=1`` skips.
"""
from __future__ import annotations

import re
from html import escape
from pathlib import Path

import pytest
from browser_support import screenshot, tofu

from guidelab.experiment import ExperimentSpec, dump_spec_dict, load_experiment
from guidelab.report.preview import preview_from_cli, preview_html, write_preview

ROOT = Path(__file__).resolve().parent.parent
EXPERIMENTS = ROOT / "experiments"
SPECS = sorted(p.stem for p in EXPERIMENTS.glob("*.yaml"))
LANGS = ("ja", "en")
EVIL = "<img src=x onerror=alert(1)><script>alert(2)</script>"
# A src/href attribute of a real tag (escaped text has &lt; instead of <) loading from a URL.
EXTERNAL_LOAD = re.compile(r"""<[a-zA-Z][^>]*\s(?:src|href)\s*=\s*["']?\s*(?:https?:)?//""", re.IGNORECASE)
CJK_CHAR = re.compile(r"[\u3000-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uff00-\uffef]")
CJK_FAMILIES = ("Noto Sans CJK", "Noto Serif CJK", "Noto Sans JP", "Noto Serif JP", "IPA", "Source Han",
                "Hiragino", "Yu Gothic", "Meiryo", "TakaoGothic", "VL Gothic", "WenQuanYi", "Droid Sans Fallback")


def _step_texts(spec: ExperimentSpec, lang: str) -> list[str]:
    out = []
    for g in spec.guides:
        for s in g.steps:
            out += [t.get(lang) for t in (s.title, s.body) if t is not None]
            out += [b.label.get(lang) for b in s.buttons]
            if s.question is not None and s.question.options:
                out += [o.get(lang) for o in s.question.options]
    return out


def all_types_spec() -> ExperimentSpec:
    """The onboarding spec with guides of the types the examples lack: modal, tooltip (every
    placement), rating and poll surveys, and a one-step tour step without target."""
    data = dump_spec_dict(load_experiment(EXPERIMENTS / "onboarding-tour-vs-checklist.yaml"))

    def t(ja, en):
        return {"ja": ja, "en": en}

    data["simulation"] = None
    data["guides"] = [
        {"id": "hello-modal", "type": "modal", "steps": [{
            "title": t("新機能のお知らせ", "What's new"), "body": t("ダッシュボードが新しくなりました。", "The dashboard is new."),
            "buttons": [{"label": t("詳しく", "Learn more"), "action": "url", "url": "https://example.com/new?a=1&b=2"},
                        {"label": t("閉じる", "Close"), "action": "dismiss"}]}]},
        {"id": "tips", "type": "tooltip", "steps": [
            {"target": "#new-project-button", "placement": p, "title": t(f"ヒント {p}", f"Tip {p}"),
             "body": t("ここから始めます。", "Start here."),
             "buttons": [{"label": t("次へ", "Next") if p != "right" else t("完了", "Done"),
                          "action": "next" if p != "right" else "complete"}]}
            for p in ("top", "bottom", "left", "right")]},
        {"id": "rate-us", "type": "survey", "steps": [
            {"title": t("評価してください", "Rate us"), "question": {"kind": "rating"}},
            {"title": t("どれを使いますか？", "Which do you use?"),
             "question": {"kind": "poll", "options": [t("ボード", "Board"), t("リスト", "List"), t("カレンダー", "Calendar")]}}]},
    ]
    data["variants"] = [
        {"key": "holdout", "guide": None, "weight": 0.25},
        {"key": "modal", "guide": "hello-modal", "weight": 0.25},
        {"key": "tooltip", "guide": "tips", "weight": 0.25},
        {"key": "survey", "guide": "rate-us", "weight": 0.25},
    ]
    data["id"] = "all-guide-types"
    return ExperimentSpec.model_validate(data)


def _specs() -> dict[str, ExperimentSpec]:
    out = {s: load_experiment(EXPERIMENTS / f"{s}.yaml") for s in SPECS}
    out["all-guide-types"] = all_types_spec()
    return out


ALL_SPECS = _specs()


# ------------------------------------------------------------------------------------ the HTML

@pytest.mark.parametrize("key", list(ALL_SPECS))
def test_every_text_in_both_languages_escaped_and_nothing_external(key):
    spec = ALL_SPECS[key]
    html = preview_html(spec, LANGS)
    for lang in LANGS:
        for text in _step_texts(spec, lang):
            assert escape(text) in html, f"{lang}: {text!r} missing from the preview"
    for v in spec.variants:
        g = spec.guide_for(v.key)
        cls = "gl-guide-none" if g is None else f"gl-guide-{g.type}"
        for lang in LANGS:
            assert re.search(rf'class="[^"]*\b{cls}\b[^"]*" data-variant="{v.key}" data-lang="{lang}"', html), (v.key, lang)
    assert "<script" not in html.lower()
    assert not EXTERNAL_LOAD.search(html), EXTERNAL_LOAD.search(html)
    assert "javascript:" not in html.lower()
    assert " href=" not in html and "<a " not in html  # no links at all
    # Every URL of a url button is shown only in a title attribute.
    for url in re.findall(r"https?://[^\s\"'<>]+", html):
        assert re.search(rf'title="{re.escape(url)}"', html), url


def test_url_button_shows_its_url_in_the_title():
    html = preview_html(ALL_SPECS["all-guide-types"])
    assert 'title="https://example.com/new?a=1&amp;b=2"' in html
    m = re.search(r'<button[^>]*title="https://status\.example\.com/"[^>]*>', preview_html(ALL_SPECS["maintenance-banner-copy"]))
    assert m and 'data-action="url"' in m.group(0)


def test_every_guide_shape_is_drawn():
    html = preview_html(ALL_SPECS["all-guide-types"], ["en"])
    assert 'class="gl-backdrop"' in html and 'role="dialog" class="gl-guide gl-guide-modal"' in html
    for p in ("top", "bottom", "left", "right"):
        assert f'class="gl-anchor p-{p}"' in html
    assert html.count('<span class="gl-arrow">') == 4
    assert "☆☆☆☆☆" in html and html.count('type="radio"') == 3
    assert ">1/2<" in html and ">2/2<" in html  # survey step counter
    tour = preview_html(ALL_SPECS["onboarding-tour-vs-checklist"], ["en"])
    assert all(f">{i}/3<" in tour for i in (1, 2, 3)), "tour step counters"
    assert 'gl-bubble p-center' in tour  # the welcome step is centred
    assert '<span class="gl-count">0/3</span>' in tour  # checklist progress
    assert "No guide is shown" in tour
    nps = preview_html(ALL_SPECS["nps-survey-timing"], ["ja"])
    assert all(f"<span>{n}</span>" in nps for n in range(11)) and "非常にそう思う" in nps
    banner = preview_html(ALL_SPECS["maintenance-banner-copy"], ["en"])
    assert banner.count('class="gl-guide gl-guide-banner"') == 2


def test_malicious_text_is_shown_as_text():
    data = dump_spec_dict(ALL_SPECS["onboarding-tour-vs-checklist"])
    data["name"] = {"ja": EVIL, "en": EVIL}
    data["variants"][0]["description"] = EVIL
    step = data["guides"][0]["steps"][0]
    step["title"] = {"ja": EVIL, "en": EVIL}
    step["buttons"][0]["label"] = {"ja": EVIL, "en": EVIL}
    data["guides"][0]["steps"][1]["target"] = EVIL
    data["guides"][1]["name"] = {"ja": EVIL, "en": EVIL}
    html = preview_html(ExperimentSpec.model_validate(data))
    assert "<img" not in html and "<script" not in html and "onerror=alert" not in html.replace("onerror=alert(1)&gt;", "")
    assert escape(EVIL) in html
    assert html.count(escape(EVIL)) >= 8


def test_write_preview_and_cli(tmp_path):
    spec = ALL_SPECS["maintenance-banner-copy"]
    out = write_preview(spec, tmp_path / "out")
    assert out == tmp_path / "out" / "maintenance-banner-copy.preview.html"
    assert out.read_text(encoding="utf-8") == preview_html(spec)
    assert [p.name for p in out.parent.iterdir()] == [out.name]  # no temporary file left behind
    path = preview_from_cli(EXPERIMENTS / "nps-survey-timing.yaml", tmp_path)
    assert isinstance(path, str) and Path(path).name == "nps-survey-timing.preview.html"
    assert "ご意見をお聞かせください" in Path(path).read_text(encoding="utf-8")


# ------------------------------------------------------------------------------- in Chromium

# Every guide element, its box and the box of its frame's app viewport (page coordinates).
BOXES_JS = """() => [...document.querySelectorAll('.gl-guide, .gl-guide-none')].map(el => {
  const app = el.closest('.gl-app'), b = el.getBoundingClientRect(), a = app ? app.getBoundingClientRect() : null;
  const vis = getComputedStyle(el);
  return {variant: el.dataset.variant, lang: el.dataset.lang, step: el.dataset.step, cls: el.className,
          box: [b.left, b.top, b.width, b.height], app: a && [a.left, a.top, a.width, a.height],
          visible: vis.visibility !== 'hidden' && vis.display !== 'none' && +vis.opacity > 0};
})"""


@pytest.mark.browser
@pytest.mark.parametrize("key", list(ALL_SPECS))
def test_preview_in_chromium(browser, tmp_path, key):
    spec = ALL_SPECS[key]
    html = write_preview(spec, tmp_path)
    own = html.resolve().as_uri()
    context = browser.new_context(offline=True, viewport={"width": 1280, "height": 900}, service_workers="block")
    blocked, dialogs, errors = [], [], []

    def route(r):
        if r.request.url.split("#", 1)[0] == own:
            r.continue_()
        else:
            blocked.append(r.request.url)
            r.abort()

    context.route("**/*", route)
    try:
        page = context.new_page()
        page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.on("console", lambda m: m.type == "error" and errors.append(m.text))
        page.goto(own, wait_until="load")
        shot = tmp_path / f"{key}.png"
        screenshot(page, shot, full_page=True)
        assert not blocked, f"the preview requested: {blocked}"
        assert not dialogs and not errors, (dialogs, errors)

        boxes = page.evaluate(BOXES_JS)
        for v in spec.variants:
            for lang in LANGS:
                mine = [b for b in boxes if b["variant"] == v.key and b["lang"] == lang]
                g = spec.guide_for(v.key)
                expected = 1 if g is None or g.type in ("modal", "banner", "checklist") else len(g.steps)
                assert len(mine) == expected, (v.key, lang, mine)
                for b in mine:
                    x, y, w, h = b["box"]
                    ax, ay, aw, ah = b["app"]
                    assert b["visible"] and w > 20 and h > 20, b
                    assert ax - 1 <= x and ay - 1 <= y and x + w <= ax + aw + 1 and y + h <= ay + ah + 1, \
                        f"guide outside its frame: {b}"

        # Japanese guide text is drawn with a CJK font, and nothing (Japanese, emoji, stars) is tofu.
        ja_sel = '.gl-lang[data-lang="ja"] .gl-guide'
        ja_text = "".join(page.locator(ja_sel).all_inner_texts())
        assert len(CJK_CHAR.findall(ja_text)) > 5, ja_text
        missing = tofu(page, ja_sel, ja_text)
        assert not missing, f"no glyph for {missing}"
        cdp = context.new_cdp_session(page)
        cdp.send("DOM.enable")
        cdp.send("CSS.enable")
        root = cdp.send("DOM.getDocument", {"depth": -1})["root"]["nodeId"]
        node = cdp.send("DOM.querySelector", {"nodeId": root, "selector": f"{ja_sel} .gl-title"})["nodeId"]
        fonts = cdp.send("CSS.getPlatformFontsForNode", {"nodeId": node})["fonts"]
        assert any(any(n in f["familyName"] for n in CJK_FAMILIES) for f in fonts), fonts
        cdp.detach()

        data = shot.read_bytes()
        assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) > 20_000, len(data)
        assert len(set(data[len(data) // 4:])) > 200, "screenshot looks blank"
    finally:
        context.close()


def test_preview_out_ending_in_html_writes_that_file(tmp_path, root):
    from guidelab.cli import main

    out = tmp_path / "sub" / "x.html"
    assert main(["preview", str(root / "experiments" / "nps-survey-timing.yaml"), "--out", str(out)]) == 0
    assert out.is_file() and out.read_text(encoding="utf-8").lstrip().lower().startswith("<!doctype html")
    assert main(["preview", str(root / "experiments" / "nps-survey-timing.yaml"), "--out", str(tmp_path / "d")]) == 0
    assert (tmp_path / "d" / "nps-survey-timing.preview.html").is_file()


PHONE_BODY = {"ja": "お困りのときはサポートへ。\n直通電話：+81 3-1234-5678（平日9時〜18時）\nフリーダイヤル 0120-123-456 まで",
              "en": "Need help?\nCall +81 3-1234-5678 (weekdays)"}


def _phone_spec() -> ExperimentSpec:
    data = dump_spec_dict(load_experiment(EXPERIMENTS / "maintenance-banner-copy.yaml"))
    data["guides"][0]["steps"][0]["body"] = PHONE_BODY
    return ExperimentSpec.model_validate(data)


def test_guide_text_keeps_line_breaks_and_phone_numbers_whole():
    from guidelab.report.guidetext import guide_text_html

    assert guide_text_html("a\nb <x>") == "a\nb &lt;x&gt;"
    assert guide_text_html("直通電話：+81 3-1234-5678（平日）") == '直通電話：<span class="gl-nobr">+81 3-1234-5678</span>（平日）'
    assert guide_text_html("v2.3.0, 12 34") == "v2.3.0, 12 34"  # too few digits: not a phone number
    html = preview_html(_phone_spec())
    assert '<span class="gl-nobr">+81 3-1234-5678</span>' in html and "white-space:pre-line" in html
    assert "word-break:keep-all" in html and "line-break:strict" in html


@pytest.mark.browser
def test_line_breaks_and_phone_numbers_in_chromium(browser, tmp_path):
    path = tmp_path / "phone.html"
    path.write_text(preview_html(_phone_spec()), encoding="utf-8")
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    try:
        page.goto(path.as_uri())
        body = page.locator('.gl-lang[data-lang="ja"] .gl-body', has_text="直通電話").first
        # three authored lines: at least three line boxes, each phone number on one line box
        lines = body.evaluate("e => { const r = document.createRange(); r.selectNodeContents(e);"
                              " return new Set([...r.getClientRects()].map(x => Math.round(x.top))).size; }")
        assert lines >= 3
        spans = body.locator(".gl-nobr")
        assert spans.count() == 2
        for i in range(2):
            assert spans.nth(i).evaluate("e => e.getClientRects().length") == 1
        assert body.evaluate("e => getComputedStyle(e).whiteSpace") == "pre-line"
        screenshot(body, tmp_path / "phone.png")
    finally:
        page.close()
