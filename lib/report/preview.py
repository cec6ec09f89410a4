"""A static HTML preview of every variant's guide, drawn as a user would see it, per language.

One self-contained page: inline CSS, no script, nothing fetched from the network. Each variant
gets a row of mock app frames (header, sidebar, main area) per language:

* modal: a centred dialog over a dimmed backdrop;
* tooltip / tour: one frame per step, a bubble with an arrow pointing at the step's target
  (placement top/bottom/left/right; ``center`` or no target: a centred bubble), a step counter;
* banner: a bar across the top of the frame;
* checklist: a floating panel with its items and progress ``0/N``;
* survey: one frame per step; NPS 0-10 buttons, 1-5 stars or poll options as radio buttons;
* holdout (no guide): a frame saying no guide is shown.

Every guide element has stable hooks for tests and tooling: ``.gl-guide.gl-guide-<type>`` (or
``.gl-guide-none`` for a holdout) with ``data-variant``, ``data-lang`` and ``data-step``, inside
``.gl-app`` (the app's viewport) of a ``figure.gl-frame``.

The HTML is the Jinja2 template ``templates/preview.html.j2`` (its macros draw the pieces), rendered
with autoescape: all user text (titles, bodies, labels, options, selectors, URLs, names) is escaped
as :func:`html.escape` does. A ``url`` button is a ``<button>`` whose URL is shown in its ``title``
attribute; the page has no links at all, so no ``javascript:`` href can be produced.
"""
from __future__ import annotations

from collections.abc import Iterable
from functools import lru_cache, partial
from pathlib import Path
from typing import Any

from markupsafe import Markup

from ..experiment import ExperimentSpec, load_experiment
from ..fsutil import atomic_write_text
from ..guides import Button, Guide, LocalizedText, Step
from . import templating
from .guidetext import GUIDE_TEXT_CSS, guide_text_html
from .words import LANGUAGES

__all__ = ["PREVIEW_CSS", "preview_from_cli", "preview_html", "write_preview"]

FONT_STACK = ("'Hiragino Sans','Hiragino Kaku Gothic ProN','Noto Sans CJK JP','Noto Sans JP','Yu Gothic',"
              "Meiryo,system-ui,sans-serif")

# Words of the mock app and of the page itself (not user text). Unknown languages use English.
UI: dict[str, dict[str, str]] = {lang: module.PREVIEW for lang, module in LANGUAGES.items()}

PRIMARY_ACTIONS = {"next", "complete", "url"}

PREVIEW_CSS = """
*{box-sizing:border-box}
body.gl-preview{font-family:{FONT};color:#1b1b1b;margin:16px 20px;line-height:1.5;background:#fafafa}
.gl-preview h1{font-size:1.5em;margin:.2em 0}.gl-preview h2{font-size:1.2em;margin:1.4em 0 .3em;border-bottom:1px solid #ddd}
.gl-preview h3{font-size:1em;margin:.8em 0 .3em;color:#444}
.gl-meta{color:#555;font-size:.9em}
.gl-frames{display:flex;flex-wrap:wrap;gap:16px}
.gl-frame{margin:0;width:600px}
.gl-frame figcaption{font-size:.8em;color:#555;margin-bottom:3px;white-space:nowrap;overflow:hidden;text-overflow:ellipsis}
.gl-app{position:relative;width:600px;height:380px;overflow:hidden;border:1px solid #bbb;border-radius:8px;background:#fff;
  display:flex;flex-direction:column;box-shadow:0 1px 4px rgba(0,0,0,.12);font-size:13px}
.gl-app-header{height:44px;flex:none;display:flex;align-items:center;gap:12px;padding:0 12px;background:#1f2a44;color:#fff}
.gl-app-logo{font-weight:700;letter-spacing:.04em}
.gl-app-search{flex:1;max-width:220px;height:26px;border-radius:13px;background:#3a4763;color:#b9c2d6;padding:3px 12px;font-size:12px}
.gl-app-new{margin-left:auto;background:#0072B2;border-radius:5px;padding:4px 10px;font-size:12px}
.gl-app-body{flex:1;display:flex;min-height:0}
.gl-app-side{width:130px;flex:none;background:#f1f3f7;border-right:1px solid #dde1ea;padding:10px 0}
.gl-app-side div{padding:6px 14px;color:#445}
.gl-app-side div:first-child{background:#e1e7f2;font-weight:600}
.gl-app-main{flex:1;padding:16px;position:relative}
.gl-app-main .bar{height:12px;border-radius:6px;background:#eceef2;margin:10px 0}
.gl-app-main .card{display:inline-block;width:130px;height:70px;border-radius:8px;background:#f4f5f8;border:1px solid #e6e8ee;margin:8px 8px 0 0}
.gl-backdrop{position:absolute;inset:0;background:rgba(20,24,35,.55)}
.gl-guide{background:#fff;color:#1b1b1b;border-radius:10px;box-shadow:0 6px 24px rgba(0,0,0,.28);padding:14px 16px}
.gl-guide .gl-title{display:block;font-size:15px;font-weight:700;margin-bottom:4px;overflow-wrap:anywhere}
.gl-guide .gl-body{margin:0 0 8px;color:#333;overflow-wrap:anywhere}
.gl-buttons{display:flex;flex-wrap:wrap;gap:6px;justify-content:flex-end;align-items:center}
.gl-btn{font:inherit;font-size:12px;border-radius:5px;padding:4px 12px;border:1px solid #0072B2;background:#fff;color:#0072B2;cursor:default}
.gl-btn.primary{background:#0072B2;color:#fff}
.gl-btn .ext{font-size:10px;margin-left:3px}
.gl-counter{margin-right:auto;font-size:12px;color:#666}
.gl-guide-modal{position:absolute;left:50%;top:50%;transform:translate(-50%,-50%);width:340px;max-height:320px;overflow:auto}
.gl-guide-banner{flex:none;border-radius:0;box-shadow:none;background:#fff4d6;border-bottom:2px solid #e0a800;padding:8px 12px;
  display:flex;flex-wrap:wrap;align-items:center;gap:4px 12px}
.gl-guide-banner .gl-title{display:inline;font-size:13px;margin:0}.gl-guide-banner .gl-body{margin:0;flex:1 1 200px}
.gl-guide-banner .gl-buttons{flex:none}
.gl-target{display:inline-block;white-space:nowrap;max-width:170px;overflow:hidden;text-overflow:ellipsis;background:#0072B2;color:#fff;
  border-radius:5px;padding:5px 12px;font-size:12px;outline:3px solid #ffb000;outline-offset:3px}
.gl-anchor{position:absolute;z-index:2}
.gl-anchor.p-bottom{top:64px;left:365px;transform:translateX(-50%)}
.gl-anchor.p-top{top:318px;left:365px;transform:translateX(-50%)}
.gl-anchor.p-left{top:190px;right:14px;transform:translateY(-50%)}
.gl-anchor.p-right{top:190px;left:146px;transform:translateY(-50%)}
.gl-bubble{position:absolute;width:250px;max-height:190px;overflow:auto;padding:10px 12px}
.gl-bubble .gl-title{font-size:14px}
.gl-arrow{position:absolute;width:0;height:0;border:9px solid transparent}
.p-bottom .gl-bubble{top:100%;left:50%;transform:translateX(-50%);margin-top:14px}
.p-bottom .gl-arrow{top:100%;left:50%;margin-left:-9px;margin-top:-4px;border-bottom-color:#fff;border-top-width:0}
.p-top .gl-bubble{bottom:100%;left:50%;transform:translateX(-50%);margin-bottom:14px}
.p-top .gl-arrow{bottom:100%;left:50%;margin-left:-9px;margin-bottom:-4px;border-top-color:#fff;border-bottom-width:0}
.p-left .gl-bubble{right:100%;top:50%;transform:translateY(-50%);margin-right:14px}
.p-left .gl-arrow{right:100%;top:50%;margin-top:-9px;margin-right:-4px;border-left-color:#fff;border-right-width:0}
.p-right .gl-bubble{left:100%;top:50%;transform:translateY(-50%);margin-left:14px}
.p-right .gl-arrow{left:100%;top:50%;margin-top:-9px;margin-left:-4px;border-right-color:#fff;border-left-width:0}
.gl-arrow{z-index:3;filter:drop-shadow(0 0 1px rgba(0,0,0,.35))}
.gl-bubble.p-center{position:absolute;left:50%;top:50%;transform:translate(-50%,-50%);width:300px;max-height:320px}
.gl-guide-checklist,.gl-guide-survey{position:absolute;right:12px;bottom:12px;width:270px;max-height:calc(100% - 68px);overflow:auto}
.gl-progress{display:flex;align-items:center;gap:8px;font-size:12px;color:#555;margin-bottom:6px}
.gl-progress .track{flex:1;height:6px;border-radius:3px;background:#e3e6ec}
.gl-items{list-style:none;margin:0;padding:0}
.gl-items li{display:flex;gap:8px;padding:6px 0;border-top:1px solid #eee}
.gl-items .box{flex:none;width:16px;height:16px;border:2px solid #8a94a6;border-radius:50%;margin-top:2px}
.gl-items .gl-title{font-size:13px;margin:0}.gl-items .gl-body{margin:0;font-size:12px;color:#555}
.gl-nps{display:flex;gap:3px;margin:4px 0 2px}
.gl-nps span{flex:1;text-align:center;border:1px solid #9aa7bd;border-radius:4px;font-size:11px;padding:3px 0}
.gl-scale{display:flex;justify-content:space-between;font-size:10px;color:#666;margin-bottom:8px}
.gl-stars{font-size:24px;color:#c9a227;letter-spacing:4px;margin:2px 0 8px}
.gl-poll{margin:4px 0 8px}.gl-poll label{display:block;padding:2px 0}
.gl-guide-none{position:absolute;left:50%;top:50%;transform:translate(-50%,-50%);width:300px;text-align:center;padding:14px;
  border:2px dashed #8a94a6;border-radius:10px;background:rgba(255,255,255,.92);color:#445}
""".replace("{FONT}", FONT_STACK)


def _ui(lang: str, key: str) -> str:
    return UI.get(lang, UI["en"]).get(key) or UI["en"][key]


def _text(value: LocalizedText | None, lang: str) -> str | None:
    return None if value is None else value.get(lang)


@lru_cache(maxsize=1)
def _macros() -> Any:
    """The macros of ``templates/preview.html.j2`` (each returns escaped, safe HTML)."""
    return templating.environment().get_template("preview.html.j2",
                                                 globals={"primary_actions": PRIMARY_ACTIONS}).module


def _button(b: Button, lang: str) -> str:
    return _macros().button(b, b.label.get(lang))


def _question(step: Step, lang: str, uid: str) -> str:
    q = step.question
    if q is None:
        return ""
    return _macros().question(q.kind, partial(_ui, lang), uid, [o.get(lang) for o in (q.options or [])])


def _content(step: Step, lang: str, uid: str, counter: str = "", buttons: Iterable[Button] | None = None) -> str:
    """Title, body, question and buttons of one step (every user text escaped)."""
    title, body = _text(step.title, lang), _text(step.body, lang)
    btns = Markup("".join(_button(b, lang) for b in (step.buttons if buttons is None else buttons)))
    return _macros().content(None if title is None else Markup(guide_text_html(title)),
                             None if body is None else Markup(guide_text_html(body)),
                             Markup(_question(step, lang, uid)), btns, counter)


def _attrs(kind: str, variant: str, lang: str, step: int, extra: str = "") -> str:
    return _macros().attrs(kind, variant, lang, step, extra)


def _target_label(selector: str) -> str:
    words = selector.strip().lstrip("#.").replace("-", " ").replace("_", " ")
    return words or selector


def _app(lang: str, overlay: str = "", banner: str = "") -> str:
    return _macros().app(partial(_ui, lang), Markup(overlay), Markup(banner))


def _frame(caption: str | Markup, app: str, variant: str, lang: str, step: int) -> str:
    return _macros().frame(caption, Markup(app), variant, lang, step)


def _default_tour_buttons(i: int, n: int) -> list[Button]:
    actions = (["back"] if i > 0 else []) + (["next"] if i < n - 1 else ["complete"])
    return [Button(label={la: words.PREVIEW["button." + a] for la, words in LANGUAGES.items()}, action=a)
            for a in actions]


def _frames(guide: Guide | None, variant: str, lang: str) -> list[str]:
    """The mock app frames (one per step for tooltip, tour and survey) of one variant in one language."""
    m, ui = _macros(), partial(_ui, lang)
    if guide is None:
        note = m.holdout(variant, lang, ui("holdout"))
        return [_frame(ui("no_guide"), _app(lang, overlay=note), variant, lang, 0)]
    kind, steps, n = guide.type, guide.steps, len(guide.steps)
    name = guide.display_name(lang)
    uid = f"{variant}-{lang}"
    if kind == "modal":
        overlay = m.dialog("dialog", _attrs("modal", variant, lang, 0), Markup(_content(steps[0], lang, uid)), True)
        return [_frame(m.caption(name, "modal", None, 0, n, None, None), _app(lang, overlay=overlay), variant, lang, 0)]
    if kind == "banner":
        banner = m.dialog("region", _attrs("banner", variant, lang, 0), Markup(_content(steps[0], lang, uid)))
        return [_frame(m.caption(name, "banner", None, 0, n, None, None), _app(lang, banner=banner), variant, lang, 0)]
    if kind == "checklist":
        items = [(None if s.title is None else Markup(guide_text_html(s.title.get(lang))),
                  None if s.body is None else Markup(guide_text_html(s.body.get(lang))),
                  Markup(_question(s, lang, f"{uid}-{i}")),
                  Markup("".join(_button(b, lang) for b in s.buttons)) if s.buttons else "")
                 for i, s in enumerate(steps)]
        panel = m.checklist(_attrs("checklist", variant, lang, 0), name, n, items)
        return [_frame(m.caption(name, "checklist", None, 0, n, None, None), _app(lang, overlay=panel), variant, lang, 0)]
    frames = []
    for i, step in enumerate(steps):
        counter = f"{i + 1}/{n}" if kind == "tour" or n > 1 else ""
        if kind == "survey":
            panel = m.dialog("dialog", _attrs("survey", variant, lang, i), Markup(_content(step, lang, f"{uid}-{i}", counter)))
            frames.append(_frame(m.caption(name, kind, ui, i, n, None, None), _app(lang, overlay=panel), variant, lang, i))
            continue
        buttons = step.buttons if step.buttons or kind != "tour" else _default_tour_buttons(i, n)
        body = Markup(_content(step, lang, f"{uid}-{i}", counter, buttons))
        placement = step.placement if step.target is not None else "center"
        caption = m.caption(name, kind, ui, i, n, step.target, placement)
        if placement == "center":
            overlay = m.dialog("dialog", _attrs(kind, variant, lang, i, "gl-bubble p-center "), body, True)
            if step.target is not None:  # centred anyway; still show where the target is
                overlay = m.target_below(_target_label(step.target)) + overlay
        else:
            overlay = m.anchored(placement, step.target or "", _target_label(step.target or ""),
                                 _attrs(kind, variant, lang, i, "gl-bubble "), body)
        frames.append(_frame(caption, _app(lang, overlay=overlay), variant, lang, i))
    return frames


def preview_html(spec: ExperimentSpec, langs: Iterable[str] = ("ja", "en")) -> str:
    """One static, self-contained HTML page drawing every variant's guide in every language."""
    langs = list(langs)
    m, ui_en = _macros(), partial(_ui, "en")
    sections = []
    for v in spec.variants:
        guide = spec.guide_for(v.key)
        blocks = [(lang, _ui(lang, "lang_name"), Markup("".join(_frames(guide, v.key, lang)))) for lang in langs]
        sections.append(m.section(ui_en, v, v.key == spec.control_key, guide, blocks))
    return str(m.page(_ui("en", "title"), spec.display_name("en"), [(la, spec.display_name(la)) for la in langs],
                      spec.id, _ui("en", "note"), Markup(PREVIEW_CSS + GUIDE_TEXT_CSS), sections))


def write_preview(spec: ExperimentSpec, out_dir: str | Path, langs: Iterable[str] = ("ja", "en")) -> Path:
    """Write ``<out_dir>/<id>.preview.html`` atomically; returns its path."""
    return atomic_write_text(Path(out_dir) / f"{spec.id}.preview.html", preview_html(spec, langs))


def preview_from_cli(spec_path: str | Path, out_dir: str | Path) -> str:
    """Load and validate a spec, write its preview; returns the written file's path.

    ``out`` ending in ``.html`` is the file itself; anything else is a folder that receives
    ``<id>.preview.html``."""
    spec = load_experiment(spec_path)
    if str(out_dir).lower().endswith((".html", ".htm")):
        return str(atomic_write_text(Path(out_dir), preview_html(spec, ("ja", "en"))))
    return str(write_preview(spec, out_dir))
