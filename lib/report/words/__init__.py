"""Japanese and English words, sentences and number formats for reports and verdicts.

Every user-facing sentence is built here from data (a reason code and its numbers), so the
English and Japanese reports say the same thing. The words of each language live in one
module per language (:mod:`.en`, :mod:`.ja`: same keys, same placeholders): the verdict's
reasons (``REASONS``, by reason code), the notes on statistics (``NOTES``, by
:class:`guidelab.stats.notes.NoteCode`), the plan (``PLAN``), eligibility and throttle steps
(``ELIGIBILITY``), units, intervals and dates (``FORMS``). This module holds no sentence of its
own, only the lookup and the formatting of numbers: rates as percentages with one decimal, lifts
signed, p-values with three significant digits, plurals.
"""
from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from ...catalog import parse_metric
from ...registry import generation
from . import en, ja

if TYPE_CHECKING:
    from ...decision import Reason
    from ...plan import PlanNote
    from ...stats.notes import Note

LANGS = ("en", "ja")


def check_lang(lang: str) -> str:
    if lang not in LANGS:
        raise ValueError(f"language {lang!r}: expected one of {', '.join(LANGS)}")
    return lang


def pct(x: float | None, digits: int = 1, signed: bool = False) -> str:
    """0.182 -> '18.2%'; signed: '+7.7%'. None -> '–'."""
    if x is None:
        return "–"
    s = f"{x * 100:+.{digits}f}%" if signed else f"{x * 100:.{digits}f}%"
    return s.replace("-", "−") if signed else s


def pts(x: float | None, digits: int = 1, signed: bool = False, lang: str = "en") -> str:
    """A difference of two rates in percentage points: 0.048 -> '+4.8 pt' ('+4.8ポイント' in
    Japanese). Rates and relative lifts stay percentages (:func:`pct`). None -> '–'."""
    if x is None:
        return "–"
    s = f"{x * 100:+.{digits}f}" if signed else f"{x * 100:.{digits}f}"
    return form("pt", lang, x=s.replace("-", "−") if signed else s)


def join_list(items: Iterable[object], lang: str = "en") -> str:
    """A list in running text: 'a, b, c' in English, 'a、b、c' in Japanese (読点, no space)."""
    return form("list.separator", lang).join(str(i) for i in items)


def value(x: float | None, kind: str = "proportion") -> str:
    """A metric's value: a percentage for proportions, a number for means and ratios."""
    if x is None:
        return "–"
    return pct(x) if kind == "proportion" else f"{x:,.3g}" if abs(x) < 1000 else f"{x:,.0f}"


def prob(x: float | None) -> str:
    """A probability as a percentage that never claims certainty: '>99.9%', '<0.1%'."""
    if x is None:
        return "–"
    if x > 0.999:
        return ">99.9%"
    if x < 0.001:
        return "<0.1%"
    return pct(x)


def pval(p: float | None) -> str:
    if p is None:
        return "–"
    if p < 0.0001:
        return "< 0.0001"
    return f"{p:.3g}" if p < 0.1 else f"{p:.2f}"


def p_phrase(p: float | None, adjusted: bool = False, lang: str = "en") -> str:
    """'p = 0.024', 'p < 0.0001' (with 'adjusted' / '補正後' when Holm-adjusted)."""
    text = pval(p)
    rel = text if text.startswith("<") else f"= {text}"
    return form("p.adjusted", lang, rel=rel) if adjusted else f"p {rel}"


def capitalise(s: str) -> str:
    return s[:1].upper() + s[1:]


_NUMBERS: dict[int, str] = {}  # whole numbers already written: a verdict's sentences repeat them


def number(n: int | float | None, lang: str = "en") -> str:
    if n is None:
        return "–"
    if type(n) is int:
        text = _NUMBERS.get(n)
        if text is None:
            if len(_NUMBERS) > 4096:
                _NUMBERS.clear()
            text = _NUMBERS[n] = f"{n:,.0f}"
        return text
    return f"{n:,.0f}" if isinstance(n, int) or float(n).is_integer() else f"{n:,.1f}"


def date(d: dt.date | None, lang: str = "en") -> str:
    if d is None:
        return "–"
    return form("date", lang, date=d)


_LABELS: dict[tuple[int, str, str], str] = {}  # (registry generation, name, lang) -> label


def metric_label(name: str, lang: str = "en", capital: bool = False) -> str:
    """A metric's name in words (the catalogue's label; a name the catalogue does not know, such
    as a column of a user table, as named). Cached per registry generation: the bulk JSON of
    ``analyze-counts`` words the same few metrics hundreds of thousands of times."""
    key = (generation(), name, lang)
    label = _LABELS.get(key)
    if label is None:
        try:
            label = parse_metric(name).label(lang)
        except ValueError:
            label = name  # a column of a user table, shown as named
        if len(_LABELS) > 4096:
            _LABELS.clear()
        _LABELS[key] = label
    return capitalise(label) if capital else label


def ci_text(ci: tuple[float, float] | None, lang: str = "en", level: float = 0.95, sequential: bool = False) -> str:
    """'95% CI +2.1% to +13.6%'; an always-valid (sequential) interval says so."""
    if not ci:
        return "–"
    lo, hi = ci
    return form("ci.sequential" if sequential else "ci", lang, level=int(level * 100),
                lo=pct(lo, signed=True), hi=pct(hi, signed=True))


#: The words of each language: one module per language (``en.py``, ``ja.py``), same keys.
LANGUAGES = {"en": en, "ja": ja}
WORDS = {lang: module.WORDS for lang, module in LANGUAGES.items()}


def t(key: str, lang: str = "en") -> str:
    return WORDS[check_lang(lang)].get(key, WORDS["en"].get(key, key))


def form(key: str, lang: str = "en", **params: object) -> str:
    """The form ``key`` of ``lang`` (``FORMS``: units, intervals, dates, lists) filled with ``params``."""
    return LANGUAGES[check_lang(lang)].FORMS[key].format(**params)


def _reason(key: str, lang: str, **params: object) -> str:
    return LANGUAGES[lang].REASONS[key].format(**params)


def _days(d: float | None, lang: str) -> str:
    """'about 3 more days' / 'あと約3日': the plural follows the rounded number."""
    if d is None:
        return form("days.unknown", lang)
    d = max(0.0, float(d))
    return form("days.one" if round(d) == 1 else "days.other", lang, days=f"{d:.0f}")


def _amount(x: float | None, kind: str, lang: str = "en") -> str:
    """A harm or margin: percentage points for rates, a plain number otherwise."""
    if x is None:
        return "?"
    if kind == "proportion":
        return form("pt", lang, x=f"{x * 100:.1f}")
    return f"{x:.3g}"


def reason_text(reason: "Reason", lang: str = "en") -> str:
    """Render one decision reason as a sentence in ``lang`` from the language's ``REASONS``
    (an unknown code is shown as it is)."""
    p = reason.params
    c = reason.code
    lang = check_lang(lang)
    if c not in LANGUAGES[lang].REASONS:
        return c
    if c == "srm":
        split = "/".join(f"{k} {pct(w)}" for k, w in (p.get("weights") or {}).items())
        planned = (_reason("srm.split_assumed", lang, split=split) if p.get("weights_assumed")
                   else _reason("srm.split_planned", lang, split=split) if split else "")
        return _reason(c, lang, p=p_phrase(p["p"]), threshold=p["threshold"], planned=planned)
    if c == "data_check_failed":  # the check's English name in both languages, as the JSON names it
        check = check_forms(p["check"], p.get("check_params") or {}, "en")[0] if p["check"] in _CHECKS else p["check"]
        return _reason(c, lang, check=check)
    kind = p.get("kind", "proportion")
    sequential = bool(p.get("sequential"))
    f = _ReasonFields(p, lang, kind, sequential and c != "planned_reached_inconclusive")
    f["variant"] = p.get("variant", "")
    if c in ("primary_better", "primary_worse"):
        f["p"] = p_phrase(p["p"], True, lang)
        f["stop"] = _reason("can_stop", lang) if sequential else ""
    elif c in ("guardrail_harmed", "guardrail_not_shown_safe"):
        if p.get("ceiling") is not None:
            c = f"{c}.ceiling"
            f.update(ceiling=pct(p["ceiling"]), lower=pct(p.get("harm_lower")), upper=pct(p.get("harm_upper")))
        else:
            f.update(margin=_amount(p.get("margin"), kind, lang), lower=_amount(p.get("harm_lower"), kind, lang),
                     upper=_amount(p.get("harm_upper"), kind, lang), p=p_phrase(p.get("p"), lang=lang))
            if c == "guardrail_harmed" and p.get("harm_lower") is not None:
                c = "guardrail_harmed.bound"
    elif c == "progress":
        when, end = p.get("decision_date"), p.get("after_scheduled_end")
        f.update(share=pct(p.get("share"), 0),
                 **{k: number(p.get(k)) for k in ("n_control", "planned_control", "n_treatment", "planned_treatment")},
                 when=(_reason("progress.when", lang, date=date(dt.date.fromisoformat(when), lang),
                               days=_days(p.get("days_needed"), lang)) if when else _reason("progress.no_date", lang)),
                 late=_reason("progress.late", lang, end=date(dt.date.fromisoformat(end), lang)) if end else "")
    elif c == "best_vs_runner_up":
        f["runner_up"] = p.get("runner_up", "")
        if p.get("significant"):
            c = "best_vs_runner_up.significant"
    elif c == "inconclusive":
        f["days"] = _days(p.get("days_needed"), lang)
    return LANGUAGES[lang].REASONS[c].format_map(f)


class _ReasonFields(dict):  # type: ignore[type-arg]
    """The fields of a reason's sentence. The metric's label, its values, the lift, its interval and
    the MDE are worded when the sentence names them (``str.format_map`` asks for the missing keys):
    most sentences use a few of them, and the bulk JSON of ``analyze-counts`` words two sentences per
    group. A field whose number the reason lacks is missing (KeyError), as it was when all were made
    up front."""

    def __init__(self, params: dict[str, Any], lang: str, kind: str, sequential_ci: bool):
        super().__init__()
        self.p, self.lang, self.kind, self.sequential_ci = params, lang, kind, sequential_ci

    def __missing__(self, key: str) -> object:
        p, lang = self.p, self.lang
        if key == "metric":
            out: object = metric_label(p["metric"], lang) if "metric" in p else ""
        elif key == "value" and "rate" in p:
            out = value(p["rate"], self.kind)
        elif key == "control_value" and "rate_control" in p:
            out = value(p["rate_control"], self.kind)
        elif key == "lift" and "rel_lift" in p:
            out = pct(p["rel_lift"], signed=True)
        elif key == "ci" and "rel_ci" in p:  # planned_reached_inconclusive reads the fixed-horizon interval
            out = ci_text(p["rel_ci"], lang, sequential=self.sequential_ci)
        elif key == "mde" and "mde" in p:
            out = pct(p["mde"], signed=True)
        else:
            raise KeyError(key)
        self[key] = out
        return out


_CHECKS = en.CHECKS  # the data-check codes (every language has the same)


def ledger_reason(code: str, lang: str = "en") -> str:
    """Words for a row-ledger reason code (an unknown code as it is)."""
    return LANGUAGES[check_lang(lang)].LEDGER_REASONS.get(code, code)


def rule_sentence(mode: str, lang: str = "en") -> str:
    """One sentence on how the verdict treats daily looks in ``mode`` (fixed or sequential)."""
    return form("rule.sequential" if mode == "sequential" else "rule.fixed", lang)


def oc_sentence(figures: dict[str, Any] | None, mode: str, lang: str = "en") -> str:
    """The measured operating characteristic of the rule in ``mode``, from ``lib/oc_figures.json``:
    how often it keeps a useless guide under daily looks. Empty when no figures are published."""
    f = (figures or {}).get(mode)
    if not f or f.get("aa_keep_any_look") is None or not f.get("n_sims"):
        return ""
    forms = LANGUAGES[check_lang(lang)].FORMS
    return form("oc", lang, rate=f"{f['aa_keep_any_look'] * 100:.1f}%", n=number(f["n_sims"]),
                mode=forms.get(f"mode.{mode}", mode))


def check_forms(code: str, params: dict, lang: str = "en") -> tuple[str, str]:
    """(name, detail) of the data check ``code`` with its numbers, in ``lang``."""
    params = dict(params)
    if "as_of" in params and lang == "ja":
        params["as_of"] = date(params["as_of"], "ja")
    name, detail = LANGUAGES[check_lang(lang)].CHECKS[code]
    return name.format(**params), detail.format(**params)


def check_text(check, lang: str = "en") -> tuple[str, str]:
    """A data check's (name, detail) in ``lang``; an unknown code is shown as it is."""
    if check.code not in _CHECKS:
        return check.code, ""
    return check_forms(check.code, dict(check.params), lang)


def note_text(note: "Note", lang: str = "en") -> str:
    """One note on a statistics result (:class:`guidelab.stats.notes.Note`) as words in ``lang``:
    the template ``NOTES[code.<arms>]`` or ``NOTES[code]``, each parameter whose value has a word
    (``NOTES[<param>.<value>]``) in that word, lists joined as running text."""
    table = LANGUAGES[check_lang(lang)].NOTES
    params = dict(note.params)
    code = note.code.value
    template = table.get(f"{code}.{params['arms']}") if "arms" in params else None
    if template is None:
        template = table.get(code)
    if template is None:
        return code

    def word(name: str, v: object) -> str:
        return table.get(f"{name}.{v}", str(v))

    filled = {name: join_list((word(name, x) for x in v), lang) if isinstance(v, (tuple, list)) else word(name, v)
              for name, v in params.items()}
    return template.format(**filled)


def plan_words(lang: str = "en") -> dict[str, str]:
    """The words of the experiment plan (``PLAN``) in ``lang``."""
    return LANGUAGES[check_lang(lang)].PLAN


def plan_note_text(note: "PlanNote", lang: str = "en") -> str:
    """One note of an experiment plan (:class:`guidelab.plan.PlanNote`) in ``lang``: its
    ``PLAN["note.<code>"]`` filled with its numbers (``tuning`` as a number of users,
    ``metric_label`` the label of its ``metric``)."""
    params = dict(note.params)
    if "tuning" in params:
        params["tuning"] = number(params["tuning"])  # type: ignore[arg-type]
    if "metric" in params:
        params["metric_label"] = metric_label(str(params["metric"]), lang)
    return plan_words(lang)[f"note.{note.code.value}"].format(**params)


def eligibility_text(code: str, params: dict[str, Any], lang: str = "en") -> str:
    """One step of an eligibility check or throttle decision (its code and values) in ``lang``,
    from ``ELIGIBILITY``: counts as times/guides with their plural, a gap in minutes or hours.
    An unknown code is shown as it is."""
    table = LANGUAGES[check_lang(lang)].ELIGIBILITY
    template = table.get(code)
    if template is None:
        return code
    p = dict(params)
    if "n" in p:
        p["times"] = table["times.one" if p["n"] == 1 else "times.other"].format(n=p["n"])
    if "count" in p:
        p["guides"] = table["guides.one" if p["count"] == 1 else "guides.other"].format(n=p["count"])
    if "minutes" in p:
        m = float(p["minutes"])
        p["gap"] = table["gap.minutes"].format(minutes=m) if m < 120 else table["gap.hours"].format(hours=m / 60)
    return template.format(**p)
