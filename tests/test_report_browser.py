"""The HTML report in a real browser (headless Chromium through Playwright), with the network off.

A manager opens the file from a shared drive, perhaps offline: it must not ask the network for
anything, every chart must draw, the console must stay clean, Japanese must not be tofu, the
verdict comes first (word and symbol, not colour alone) and user text is never executed.

Uses the system Chromium (Debian package ``chromium``); Playwright's own browsers are never
downloaded. Run ``scripts/ensure-browser`` to install it; ``GUIDELAB_SKIP_BROWSER=1`` skips.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from browser_support import screenshot as take_screenshot
from browser_support import tofu

from guidelab.report import ReportOutput, run_report

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parent.parent
EXPERIMENTS, SAMPLE = ROOT / "experiments", ROOT / "data" / "sample"
SPECS = sorted(p.stem for p in EXPERIMENTS.glob("*.yaml"))
LANGS = ("en", "ja")
ALL = [(s, lang) for s in SPECS for lang in LANGS]
JA = [(s, "ja") for s in SPECS]
TIMEOUT_MS = 15_000
MAX_BYTES = 6 * 1024 * 1024

VERDICT_WORDS = {"en": {"KEEP": "KEEP", "KILL": "KILL", "CONTINUE": "CONTINUE", "INVESTIGATE": "INVESTIGATE"},
                 "ja": {"KEEP": "採用", "KILL": "中止", "CONTINUE": "継続", "INVESTIGATE": "要調査"}}
SYMBOLS = {"KEEP": "✔", "KILL": "✖", "CONTINUE": "↻", "INVESTIGATE": "⚠"}
CJK_FAMILIES = ("Noto Sans CJK", "Noto Serif CJK", "Noto Sans JP", "Noto Serif JP", "IPA", "Source Han",
                "Hiragino", "Yu Gothic", "Meiryo", "TakaoGothic", "VL Gothic", "WenQuanYi", "Droid Sans Fallback")
CJK_CHAR = re.compile(r"[\u3000-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uff00-\uffef]")
EVIL = "<img src=x onerror=alert(1)><script>alert(2)</script>"

# Every chart div is drawn by plotly.js: has its SVG and at least one mark with a real path.
CHARTS_DRAWN_JS = """() => {
  const divs = [...document.querySelectorAll('div.plotly-graph-div')];
  return divs.length > 0 && divs.every(d => d.classList.contains('js-plotly-plot') && d.querySelector('svg.main-svg') &&
    [...d.querySelectorAll('.barlayer .point path, .scatterlayer path.point, .scatterlayer path.js-line')]
      .some(p => (p.getAttribute('d') || '').length > 2));
}"""
CHARTS_STATE_JS = """() => [...document.querySelectorAll('div.plotly-graph-div')].map(d => ({
  id: d.id, drawn: d.classList.contains('js-plotly-plot'), svgs: d.querySelectorAll('svg.main-svg').length,
  marks: [...d.querySelectorAll('.barlayer .point path, .scatterlayer path.point, .scatterlayer path.js-line')]
    .filter(p => (p.getAttribute('d') || '').length > 2).length,
  top: d.getBoundingClientRect().top + window.scrollY}))"""


@dataclass
class Opened:
    """One report open in its own offline browser context, with everything the page did recorded."""
    report: ReportOutput
    lang: str
    context: Any
    page: Any
    blocked: list[str] = field(default_factory=list)        # non-file requests (aborted)
    local_files: list[str] = field(default_factory=list)    # file:// requests other than the report itself
    console: list[str] = field(default_factory=list)        # console errors/warnings and uncaught page errors
    dialogs: list[str] = field(default_factory=list)
    charts: list[dict] = field(default_factory=list)
    charts_error: str | None = None
    screenshot: Path | None = None


def open_report(browser, html: Path, report: ReportOutput | None = None, lang: str = "en",
                screenshot: Path | None = None) -> Opened:
    """Open ``html`` via file:// in an offline context that refuses every non-file request."""
    context = browser.new_context(offline=True, viewport={"width": 1280, "height": 900}, locale=lang,
                                  service_workers="block")
    page = context.new_page()
    o = Opened(report, lang, context, page)  # type: ignore[arg-type]
    own = html.resolve().as_uri()

    def route(r):
        url = r.request.url
        if url.startswith("file://"):
            if url.split("#", 1)[0] != own:
                o.local_files.append(url)
            r.continue_()
        else:
            o.blocked.append(f"{r.request.method} {url}")
            r.abort()

    context.route("**/*", route)
    page.on("console", lambda m: m.type in ("error", "warning") and o.console.append(
        f"console.{m.type}: {m.text} @ {m.location.get('url', '')[:80]}:{m.location.get('lineNumber')}"))
    page.on("pageerror", lambda e: o.console.append(f"pageerror: {e}"))

    def dialog(d):
        o.dialogs.append(f"{d.type}: {d.message}")
        d.dismiss()

    page.on("dialog", dialog)
    page.goto(own, wait_until="load", timeout=TIMEOUT_MS * 2)
    try:
        page.wait_for_function(CHARTS_DRAWN_JS, timeout=TIMEOUT_MS)
    except Exception as exc:  # the chart test reports it; the others still run on the page
        o.charts_error = str(exc).splitlines()[0]
    o.charts = page.evaluate(CHARTS_STATE_JS)
    if screenshot is not None:
        take_screenshot(page, screenshot, full_page=True)
        o.screenshot = screenshot
    return o



def offline_problems(o: Opened) -> list[str]:
    return [f"network request attempted: {u}" for u in o.blocked] + \
           [f"other local file loaded (not self-contained): {u}" for u in o.local_files]


# --------------------------------------------------------------------------------------- fixtures

@pytest.fixture(scope="module")
def reports(tmp_path_factory) -> dict[tuple[str, str], ReportOutput]:
    """Both example experiments x en/ja, built once on the committed sample."""
    out = {}
    for spec, lang in ALL:
        out[spec, lang] = run_report(EXPERIMENTS / f"{spec}.yaml", SAMPLE / spec,
                                     tmp_path_factory.mktemp(f"report-{spec}-{lang}"), lang=lang)
    return out


@pytest.fixture(scope="module")
def opened(request, browser, reports):
    """Indirectly parametrized with (spec id, lang): the report open in the browser, once per module."""
    spec, lang = request.param
    rep = reports[spec, lang]
    o = open_report(browser, rep.html, rep, lang, screenshot=rep.html.with_suffix(f".{lang}.png"))
    yield o
    o.context.close()


def _ids(p):
    return f"{p[0]}-{p[1]}"


each_report = pytest.mark.parametrize("opened", ALL, indirect=True, ids=_ids)
each_ja_report = pytest.mark.parametrize("opened", JA, indirect=True, ids=_ids)


# ------------------------------------------------------------------------------------------ tests

@each_report
def test_nothing_is_fetched_from_the_network(opened):
    problems = offline_problems(opened)
    assert not problems, "the report tried to load resources from outside the file:\n  " + "\n  ".join(problems)


@each_report
def test_every_chart_draws(opened):
    html = opened.report.html.read_text(encoding="utf-8")
    in_html = re.findall(r'<div[^>]*class="plotly-graph-div"[^>]*id="(gl-[a-z]+)"', html)
    shown = "\n  ".join(map(str, opened.charts))
    assert opened.charts_error is None, f"charts did not all draw within {TIMEOUT_MS} ms: {opened.charts_error}\n  {shown}"
    assert len(in_html) >= 2 and {"gl-rates", "gl-lift"} <= set(in_html), in_html
    assert [c["id"] for c in opened.charts] == in_html, shown
    for c in opened.charts:
        assert c["drawn"] and c["svgs"] >= 1 and c["marks"] > 0, f"chart not drawn: {c}"


@each_report
def test_console_is_clean(opened):
    assert not opened.console, "console errors/warnings:\n  " + "\n  ".join(opened.console)


@each_report
def test_hovering_a_bar_shows_its_number(opened):
    page = opened.page
    page.locator("#gl-rates").scroll_into_view_if_needed()
    boxes = [b for b in (p.bounding_box() for p in page.locator("#gl-rates .barlayer .point path").all()) if b]
    assert boxes, "no bars in the rates chart"
    b = max(boxes, key=lambda b: b["width"] * b["height"])
    page.mouse.move(b["x"] + b["width"] / 2, b["y"] + b["height"] / 2)
    label = page.locator("#gl-rates .hoverlayer .hovertext")
    label.first.wait_for(state="visible", timeout=5_000)
    text = label.first.text_content() or ""
    assert re.search(r"\d+(?:\.\d+)?\s*%", text), f"hover label has no percentage: {text!r}"
    page.mouse.move(0, 0)


@each_report
def test_decision_comes_first_in_words_and_symbol(opened):
    page, lang, verdict = opened.page, opened.lang, opened.report.verdict
    banner = page.locator(".gl-banner")
    assert banner.count() == 1
    # The block right after the title block is the banner.
    order = page.evaluate("""() => {
      const blocks = [...document.querySelectorAll('.gl-report')];
      return [blocks.findIndex(b => b.querySelector('h1')), blocks.findIndex(b => b.querySelector('.gl-banner'))];
    }""")
    assert order[0] >= 0 and order[1] == order[0] + 1, f"title block #{order[0]}, banner block #{order[1]}"
    top = banner.bounding_box()["y"]
    assert top > page.locator("h1").bounding_box()["y"]
    assert top < page.locator("table.gl-table").first.bounding_box()["y"], "banner is below the metrics table"
    assert all(top < c["top"] for c in opened.charts), f"banner below a chart: {opened.charts}"
    text = page.locator(".gl-verdict").inner_text()
    word = VERDICT_WORDS[lang][verdict]
    assert word in text and SYMBOLS[verdict] in text, f"verdict {verdict}: banner says {text!r}"
    assert not any(w in text for v, w in VERDICT_WORDS[lang].items() if v != verdict)
    assert not tofu(page, ".gl-verdict", SYMBOLS[verdict] + word), f"verdict {text!r} is drawn with tofu"


def _platform_fonts(cdp, selector: str) -> tuple[str, list[dict]]:
    """Fonts Chromium actually used for the text of every element matching selector (and descendants)."""
    root = cdp.send("DOM.getDocument", {"depth": -1})["root"]["nodeId"]
    node_ids = cdp.send("DOM.querySelectorAll", {"nodeId": root, "selector": f"{selector}, {selector} *"})["nodeIds"]
    fonts: dict[str, int] = {}
    for nid in node_ids:
        for f in cdp.send("CSS.getPlatformFontsForNode", {"nodeId": nid})["fonts"]:
            fonts[f["familyName"]] = fonts.get(f["familyName"], 0) + f["glyphCount"]
    return selector, [{"familyName": k, "glyphCount": v} for k, v in fonts.items()]


@each_ja_report
def test_japanese_is_drawn_with_a_japanese_font(opened):
    page = opened.page
    cdp = opened.context.new_cdp_session(page)
    try:
        cdp.send("DOM.enable")
        cdp.send("CSS.enable")
        for selector in ("h1", ".gl-banner"):
            text = page.locator(selector).first.inner_text()
            cjk = len(CJK_CHAR.findall(text))
            assert cjk > 0, f"no Japanese in {selector}: {text!r}"
            _, fonts = _platform_fonts(cdp, selector)
            cjk_glyphs = sum(f["glyphCount"] for f in fonts if any(n in f["familyName"] for n in CJK_FAMILIES))
            assert cjk_glyphs >= cjk, (f"{selector} {text[:60]!r}: {cjk} Japanese characters but only {cjk_glyphs} "
                                       f"glyphs from a CJK font (tofu?); fonts used: {fonts}")
            missing = tofu(page, selector, text)
            assert not missing, f"{selector}: no font has {missing} (tofu); fonts used: {fonts}"
    finally:
        cdp.detach()


def test_user_text_is_shown_not_run(browser, tmp_path):
    text = (EXPERIMENTS / "onboarding-tour-vs-checklist.yaml").read_text(encoding="utf-8")
    evil_text = text.replace('title: {ja: "ようこそ！🎉", en: "Welcome! 🎉"}', f'title: {{ja: "{EVIL}", en: "{EVIL}"}}')
    assert evil_text != text, "the example spec changed: update this test's replacement"
    spec = tmp_path / "onboarding-tour-vs-checklist.yaml"
    spec.write_text(evil_text, encoding="utf-8")
    rep = run_report(spec, SAMPLE / "onboarding-tour-vs-checklist", tmp_path / "r", lang="en")
    o = open_report(browser, rep.html, rep, "en", screenshot=tmp_path / "evil.png")
    try:
        assert not o.dialogs, f"user text ran as script: {o.dialogs}"
        # User text may sit inside a chart's JSON (a funnel step title) only escaped (\u003c), never as markup.
        scripts = o.page.evaluate("() => [...document.scripts].filter(s => s.textContent.includes('<img src=x') "
                                  "|| s.textContent.includes('<script>alert')).length")
        assert scripts == 0, "a <script> element carries the injected markup unescaped"
        assert o.page.locator("img[src=x]").count() == 0
        literal = o.page.locator(".gl-guide b", has_text=EVIL)
        assert literal.count() >= 1 and literal.first.is_visible(), "the guide title is not shown as literal text"
        assert not offline_problems(o), offline_problems(o)
    finally:
        o.context.close()


@pytest.mark.parametrize("key", ALL, ids=_ids)
def test_self_contained_and_small(reports, key):
    html_path = reports[key].html
    size = html_path.stat().st_size
    assert size <= MAX_BYTES, f"{html_path.name}: {size / 1e6:.1f} MB > 6 MB"
    html = html_path.read_text(encoding="utf-8")
    assert len(re.findall(r"plotly\.js v\d", html)) == 1, "plotly.js is not inlined exactly once"
    assert not re.search(r"""<(?:script|img|iframe|link)[^>]+(?:src|href)\s*=\s*["']?(?:https?:)?//""", html, re.I)


@each_report
def test_no_tofu_in_any_verdict_symbol_or_guide_text(opened):
    """Every verdict symbol, and all guide text (Japanese, emoji) in the preview, have glyphs."""
    page = opened.page
    symbols = "".join(SYMBOLS.values())
    assert not tofu(page, ".gl-verdict", symbols), f"a verdict symbol would draw as a box: {symbols}"
    preview = page.inner_text(".gl-guides")
    missing = tofu(page, ".gl-guides", preview)
    assert not missing, f"guide preview characters without a glyph: {missing}"
