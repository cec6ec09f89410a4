"""What the headless-Chromium tests share: where Chromium is, how it starts, and the tofu check.

Uses the system Chromium (Debian package ``chromium``); Playwright's own browsers are never
downloaded. ``scripts/ensure-browser`` installs it; ``GUIDELAB_SKIP_BROWSER=1`` skips the tests.
"""
from __future__ import annotations

import shutil

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
LAUNCH_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
               "--disable-component-update", "--disable-sync"]

# Tofu test: a character drawn (in the element's font stack) exactly like an unassigned code point
# has no glyph in any installed font. CDP glyph counts cannot tell, since .notdef counts as a glyph.
TOFU_JS = """([sel, chars]) => {
  const cs = getComputedStyle(document.querySelector(sel));
  const c = document.createElement('canvas'); c.width = 64; c.height = 48;
  const g = c.getContext('2d');
  const draw = ch => { g.clearRect(0, 0, 64, 48); g.font = `${cs.fontWeight} 32px ${cs.fontFamily}`;
                       g.textBaseline = 'top'; g.fillText(ch, 4, 4); return g.getImageData(0, 0, 64, 48).data.join(); };
  const notdef = draw('\\u{10FFFD}');
  return chars.filter(ch => draw(ch) === notdef);
}"""


def tofu(page, selector: str, text: str) -> list[str]:
    """The characters of text that would show as tofu in selector's font stack."""
    return page.evaluate(TOFU_JS, [selector, sorted({ch for ch in text if not ch.isspace()})])


def screenshot(target, path, attempts: int = 3, **kw) -> None:
    """``target.screenshot(path=...)`` (a page or a locator), tried again when Chromium answers
    'Unable to capture screenshot': headless Chromium sometimes fails a capture on a loaded machine
    (its compositor has no frame ready; seen once in a full test run), which says nothing about the page."""
    import time

    from playwright.sync_api import Error

    for attempt in range(attempts):
        try:
            target.screenshot(path=str(path), **kw)
            return
        except Error as exc:
            if "Unable to capture screenshot" not in str(exc) or attempt == attempts - 1:
                raise
            time.sleep(0.5)
