"""Guide text as HTML: escaped, line breaks kept, phone numbers and Japanese words not split.

Used by the preview (:mod:`guidelab.report.preview`) and the report's guide cards (:mod:`guidelab.report.render`).
The line breaks the author wrote are kept by CSS ``white-space: pre-line`` (:data:`GUIDE_TEXT_CSS`);
Japanese is broken only between phrases where the browser can (``word-break: auto-phrase``,
Chrome 119+, else ``keep-all``: only at spaces and punctuation), with ``line-break: strict``
(no small kana or prolonged-sound mark at a line start) and ``overflow-wrap: anywhere`` as the
last resort for a run longer than the box. A phone-number-like run (``+81 3-1234-5678``,
``0120-123-456``, ``(03) 1234 5678``) is wrapped in a no-break span so it never wraps mid-number.
"""
from __future__ import annotations

import re
from html import escape

__all__ = ["GUIDE_TEXT_CSS", "PHONE_RE", "guide_text_html"]

#: A phone-number-like run: optional +, digits with spaces, hyphens, dots or brackets between them,
#: 7 or more digits in all (ASCII or full-width).
PHONE_RE = re.compile(r"(?<![\w])[+＋]?[(（]?[0-9０-９](?:[0-9０-９]|[ \-‐－.()（）]{1,2}(?=[0-9０-９(（])){5,}[0-9０-９](?![\w])")

GUIDE_TEXT_CSS = (".gl-text{white-space:pre-line;word-break:keep-all;overflow-wrap:anywhere;line-break:strict}"
                  "@supports (word-break:auto-phrase){.gl-text:lang(ja){word-break:auto-phrase}}"
                  ".gl-nobr{white-space:nowrap}")


def _phone_digits(run: str) -> int:
    return sum(ch.isdigit() for ch in run)


def guide_text_html(text: str) -> str:
    """``text`` escaped for HTML, phone-like runs of 7+ digits in ``<span class="gl-nobr">``.

    Line breaks are left as they are; the element holding the text carries class ``gl-text``."""
    out, last = [], 0
    for m in PHONE_RE.finditer(text):
        if _phone_digits(m.group()) < 7:
            continue
        out.append(escape(text[last:m.start()]))
        out.append(f'<span class="gl-nobr">{escape(m.group())}</span>')
        last = m.end()
    out.append(escape(text[last:]))
    return "".join(out)
