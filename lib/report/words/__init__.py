"""Japanese and English words, sentences and number formats for reports and verdicts.

Every user-facing sentence is built here from data (a reason code and its numbers), so the
English and Japanese reports say the same thing. The words of each language live in one
module per language (:mod:`.en`, :mod:`.ja`: same keys, same placeholders); the verdict's
reason sentences (:func:`reason_text`) are still written here, both languages side by side. Numbers: rates as percentages with one
decimal, lifts signed, p-values with three significant digits.
"""
from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

from ...catalog import parse_metric
from ...registry import generation
from . import en, ja

if TYPE_CHECKING:
    from ...decision import Reason

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
    s = s.replace("-", "−") if signed else s
    return f"{s}ポイント" if lang == "ja" else f"{s} pt"


def join_list(items: Any, lang: str = "en") -> str:
    """A list in running text: 'a, b, c' in English, 'a、b、c' in Japanese (読点, no space)."""
    return ("、" if lang == "ja" else ", ").join(str(i) for i in items)


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
    if adjusted:
        return f"補正後 p {rel}" if lang == "ja" else f"adjusted p {rel}"
    return f"p {rel}"


def capitalise(s: str) -> str:
    return s[:1].upper() + s[1:]


def number(n: int | float | None, lang: str = "en") -> str:
    if n is None:
        return "–"
    return f"{n:,.0f}" if isinstance(n, int) or float(n).is_integer() else f"{n:,.1f}"


def date(d: dt.date | None, lang: str = "en") -> str:
    if d is None:
        return "–"
    if lang == "ja":
        return f"{d.year}年{d.month}月{d.day}日"
    return d.strftime("%d %b %Y").lstrip("0")


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


def ci_text(ci: Any, lang: str = "en", level: float = 0.95, sequential: bool = False) -> str:
    """'95% CI +2.1% to +13.6%'; an always-valid (sequential) interval says so."""
    if not ci:
        return "–"
    lo, hi = ci
    if lang == "ja":
        kind = "常に有効な" if sequential else ""
        return f"{kind}{int(level * 100)}%信頼区間 {pct(lo, signed=True)}〜{pct(hi, signed=True)}"
    kind = "always-valid " if sequential else ""
    return f"{kind}{int(level * 100)}% CI {pct(lo, signed=True)} to {pct(hi, signed=True)}"


#: The words of each language: one module per language (``en.py``, ``ja.py``), same keys.
LANGUAGES = {"en": en, "ja": ja}
WORDS = {lang: module.WORDS for lang, module in LANGUAGES.items()}


def t(key: str, lang: str = "en") -> str:
    return WORDS[check_lang(lang)].get(key, WORDS["en"].get(key, key))


def _days(d: Any, lang: str) -> str:
    if d is None:
        return "an unknown number of days" if lang == "en" else "不明な日数"
    d = max(0.0, float(d))
    return (f"about {d:.0f} more day{'s' if round(d) != 1 else ''}" if lang == "en" else f"あと約{d:.0f}日")


def _amount(x: Any, kind: str, lang: str = "en") -> str:
    """A harm or margin: percentage points for rates, a plain number otherwise."""
    if x is None:
        return "?"
    if kind == "proportion":
        return f"{x * 100:.1f}ポイント" if lang == "ja" else f"{x * 100:.1f} pt"
    return f"{x:.3g}"


def reason_text(reason: "Reason", lang: str = "en") -> str:
    """Render one decision reason as a sentence in ``lang``."""
    p = reason.params
    c = reason.code
    m = metric_label(p["metric"], lang) if "metric" in p else ""
    v = p.get("variant", "")
    ja = check_lang(lang) == "ja"
    if c == "srm":
        split = "/".join(f"{k} {pct(w)}" for k, w in (p.get("weights") or {}).items())
        if p.get("weights_assumed"):
            split_ja, split_en = (f" 比較した割合は均等割り（{split}）と仮定したものです。計画した割合が異なる場合は --weights で指定してください。",
                                  f" The split tested against is an assumed equal split ({split}); "
                                  "pass --weights if the planned split differs.")
        else:
            split_ja, split_en = ((f" 計画した割合：{split}。", f" Planned split: {split}.") if split else ("", ""))
        return (f"サンプル比率の不一致（SRM）：{p_phrase(p['p'])}（基準 {p['threshold']}）。割り当てか計測に問題がある可能性があります。{split_ja}"
                if ja else f"Sample ratio mismatch: {p_phrase(p['p'])} (threshold {p['threshold']}); assignment or logging may be broken.{split_en}")
    if c == "data_check_failed":  # the check's English name in both languages, as the JSON names it
        check = check_forms(p["check"], p.get("check_params") or {}, "en")[0] if p["check"] in _CHECKS else p["check"]
        return f"データチェック不合格：{check}。" if ja else f"Data check failed: {check}."
    seq_en = " The always-valid (sequential) interval excludes zero: you may stop now." if p.get("sequential") else ""
    seq_ja = " 逐次検定の区間が0を含まないため、今すぐ停止して構いません。" if p.get("sequential") else ""
    if c == "primary_better":
        return (f"{v} は{m}を {value(p['rate_control'], p.get('kind', 'proportion'))} から {value(p['rate'], p.get('kind', 'proportion'))} に改善しました"
                f"（{pct(p['rel_lift'], signed=True)}、{ci_text(p['rel_ci'], 'ja', sequential=bool(p.get('sequential')))}、{p_phrase(p['p'], True, 'ja')}）。{seq_ja}"
                if ja else
                f"{v} raised {m} from {value(p['rate_control'], p.get('kind', 'proportion'))} to {value(p['rate'], p.get('kind', 'proportion'))}, {pct(p['rel_lift'], signed=True)} "
                f"[{ci_text(p['rel_ci'], sequential=bool(p.get('sequential')))}], {p_phrase(p['p'], True)}.{seq_en}")
    if c == "primary_worse":
        return (f"{v} は{m}を {value(p['rate_control'], p.get('kind', 'proportion'))} から {value(p['rate'], p.get('kind', 'proportion'))} に悪化させました"
                f"（{pct(p['rel_lift'], signed=True)}、{ci_text(p['rel_ci'], 'ja', sequential=bool(p.get('sequential')))}、{p_phrase(p['p'], True, 'ja')}）。"
                if ja else
                f"{v} lowered {m} from {value(p['rate_control'], p.get('kind', 'proportion'))} to {value(p['rate'], p.get('kind', 'proportion'))}, {pct(p['rel_lift'], signed=True)} "
                f"[{ci_text(p['rel_ci'], sequential=bool(p.get('sequential')))}], {p_phrase(p['p'], True)}.")
    if c == "guardrail_harmed":
        kind = p.get("kind", "proportion")
        if p.get("ceiling") is not None:
            return (f"{v} のガードレール指標「{m}」は {value(p['rate'], kind)} で、上限 {pct(p['ceiling'])} を超えることが示されました"
                    f"（常に有効な下限 {pct(p.get('harm_lower'))}）。"
                    if ja else
                    f"{v} harmed the guardrail {m}: {value(p['rate'], kind)}, shown above its ceiling of "
                    f"{pct(p['ceiling'])} (always-valid lower bound {pct(p.get('harm_lower'))}).")
        bound = p.get("harm_lower")
        return (f"{v} はガードレール指標「{m}」を悪化させました（{value(p['rate_control'], kind)} → {value(p['rate'], kind)}"
                + (f"、悪化幅の常に有効な下限 {_amount(bound, kind, 'ja')} が許容幅 {_amount(p.get('margin'), kind, 'ja')} を超過）。"
                   if bound is not None else f"、{p_phrase(p['p'], lang='ja')}）。")
                if ja else
                f"{v} harmed the guardrail {m}: {value(p['rate_control'], kind)} → {value(p['rate'], kind)}"
                + (f"; the always-valid lower bound of the harm, {_amount(bound, kind)}, is beyond the tolerated "
                   f"{_amount(p.get('margin'), kind)}." if bound is not None else f" ({p_phrase(p['p'])})."))
    if c == "guardrail_not_shown_safe":
        kind = p.get("kind", "proportion")
        if p.get("ceiling") is not None:
            return (f"{v} のガードレール指標「{m}」が上限 {pct(p['ceiling'])} 未満であることはまだ示されていません"
                    f"（{value(p['rate'], kind)}、上側限界 {pct(p.get('harm_upper'))}）。採用はそれが示されてからです。"
                    if ja else
                    f"{v}: the guardrail {m} is not yet shown below its ceiling of {pct(p['ceiling'])} "
                    f"({value(p['rate'], kind)}, upper bound {pct(p.get('harm_upper'))}); keep it only once it is.")
        return (f"{v} のガードレール指標「{m}」の悪化が許容幅 {_amount(p.get('margin'), kind, 'ja')} 以内であることはまだ示されていません"
                f"（{value(p['rate_control'], kind)} → {value(p['rate'], kind)}、悪化幅の上側限界 {_amount(p.get('harm_upper'), kind, 'ja')}）。"
                "採用はそれが示されてからです。"
                if ja else
                f"{v}: the guardrail {m} is not yet shown safe: {value(p['rate_control'], kind)} → {value(p['rate'], kind)}, "
                f"the harm could still be {_amount(p.get('harm_upper'), kind)} (upper bound), beyond the tolerated "
                f"{_amount(p.get('margin'), kind)}; keep it only once that bound is inside the margin.")
    if c == "guardrail_needs_ceiling":
        return (f"ガードレール指標「{m}」はガイドを表示したときにしか起こらず、対照群はガイドなしのため比較できません。"
                "仕様に guardrail_ceilings で上限を宣言してください。"
                if ja else
                f"The guardrail {m} only happens when a guide is shown and the control shows none, so it cannot be "
                "compared with the control: declare its highest acceptable rate in guardrail_ceilings.")
    if c == "progress":
        share, when = p.get("share"), p.get("decision_date")
        return (f"{v}：計画したサンプルの {pct(share, 0)} に到達（対照群 {number(p.get('n_control'))} / {number(p.get('planned_control'))} 人、"
                f"{v} {number(p.get('n_treatment'))} / {number(p.get('planned_treatment'))} 人）。"
                f"有効性の判断は計画したサンプルに達してから行います"
                + (f"（判断日の見込み {date(dt.date.fromisoformat(when), 'ja')}、{_days(p.get('days_needed'), 'ja')}）。" if when else "。")
                + "悪影響は毎日監視しています。"
                + (f"この日は予定の終了日（{date(dt.date.fromisoformat(p['after_scheduled_end']), 'ja')}）より後です。"
                   "期間を延ばさなければ、判断できないまま終わります。" if p.get("after_scheduled_end") else "")
                if ja else
                f"{v}: {pct(share, 0)} of the planned sample reached ({number(p.get('n_control'))} of "
                f"{number(p.get('planned_control'))} users in the control, {number(p.get('n_treatment'))} of "
                f"{number(p.get('planned_treatment'))} in {v}); efficacy is judged once the planned sample is reached"
                + (f" (decision look expected on {date(dt.date.fromisoformat(when))}, {_days(p.get('days_needed'), 'en')})."
                   if when else ".") + " Harm is checked at every look."
                + (f" That is after the scheduled end ({date(dt.date.fromisoformat(p['after_scheduled_end']))}): "
                   "extend the schedule, or the experiment ends without a decision." if p.get("after_scheduled_end") else ""))
    if c == "awaiting_plan":
        return (f"{v}：対照群の{m}から計画サンプルを算出できないため、有効性はまだ判断しません。仕様に baseline か planned_users を宣言してください。"
                if ja else
                f"{v}: no planned sample can be worked out from the control's {m}, so efficacy is not judged yet: "
                "declare a baseline or planned_users in the spec.")
    if c == "planned_reached_inconclusive":
        return (f"{v}：計画したサンプルに達しましたが、{m}は結論が出ません（{pct(p['rel_lift'], signed=True)}、{ci_text(p['rel_ci'], 'ja')}）。"
                "最小効果の可能性も残っています。"
                if ja else
                f"{v}: the planned sample is reached and {m} is inconclusive ({pct(p['rel_lift'], signed=True)}, "
                f"{ci_text(p['rel_ci'])}): the target effect is not ruled out.")
    if c == "win_below_mde":
        return (f"{v} の改善（{pct(p['rel_lift'], signed=True)}）は有意ですが、目標の最小効果 {pct(p['mde'], signed=True)} より小さい値です。"
                if ja else
                f"{v}'s win ({pct(p['rel_lift'], signed=True)}) is significant but smaller than the target effect of "
                f"{pct(p['mde'], signed=True)}.")
    if c == "best_vs_runner_up":
        ru = p.get("runner_up", "")
        ci = ci_text(p['rel_ci'], 'ja' if ja else 'en', sequential=bool(p.get('sequential')))
        if p.get("significant"):
            return (f"{v} は次点の {ru} にも{m}で勝っています（{pct(p['rel_lift'], signed=True)}、{ci}）。"
                    if ja else f"{v} also beats the runner-up {ru} on {m} ({pct(p['rel_lift'], signed=True)}, {ci}).")
        return (f"{v} が次点の {ru} より{m}で優れているとはまだ言えません（{pct(p['rel_lift'], signed=True)}、{ci}）。"
                if ja else f"{v} is not shown better than the runner-up {ru} on {m} ({pct(p['rel_lift'], signed=True)}, {ci}).")
    if c == "futile":
        return (f"{v} の{m}の相対リフトの信頼区間（{ci_text(p['rel_ci'], 'ja', sequential=bool(p.get('sequential')))}）は目標の最小効果 {pct(p['mde'], signed=True)} に届きません。"
                if ja else
                f"{v}: the interval for the lift in {m} ({ci_text(p['rel_ci'], sequential=bool(p.get('sequential')))}) rules out the target effect of "
                f"{pct(p['mde'], signed=True)}; it is not worth running longer.")
    if c == "inconclusive":
        return (f"{v} の{m}はまだ結論が出ません（{pct(p['rel_lift'], signed=True)}、{ci_text(p['rel_ci'], 'ja', sequential=bool(p.get('sequential')))}）。"
                f"現在のトラフィックでは{_days(p.get('days_needed'), 'ja')}必要です。"
                if ja else
                f"{v}: {m} is not conclusive yet ({pct(p['rel_lift'], signed=True)}, {ci_text(p['rel_ci'], sequential=bool(p.get('sequential')))}); "
                f"at the current traffic it needs {_days(p.get('days_needed'), 'en')}.")
    if c == "not_enough_data":
        return (f"{v} の{m}はまだデータが足りません。" if ja else f"{v}: not enough data yet for {m}.")
    return c


_CHECKS = {code: (en.CHECKS[code], ja.CHECKS[code]) for code in en.CHECKS}  # code -> ((name, detail) en, ja)

LEDGER_REASONS = {code: (en.LEDGER_REASONS[code], ja.LEDGER_REASONS[code]) for code in en.LEDGER_REASONS}


def ledger_reason(code: str, lang: str = "en") -> str:
    """Words for a row-ledger reason code."""
    words = LEDGER_REASONS.get(code)
    return code if words is None else words[1 if check_lang(lang) == "ja" else 0]


def rule_sentence(mode: str, lang: str = "en") -> str:
    """One sentence on how the verdict treats daily looks in ``mode`` (fixed or sequential)."""
    if check_lang(lang) == "ja":
        if mode == "sequential":
            return ("判定は逐次検定です。常に有効な信頼区間で毎日判断でき、早期に停止できます。ガードレールは許容幅以内であること"
                    "（非劣性）が示されて初めて採用されます。")
        return ("判定は固定期間の検定です。採用・無益による中止は計画したサンプル（α/k、割付比率、指標の方向と確定待ちを含む）に"
                "達してから行い、それまでは進捗を示して継続します。主要指標やガードレールの悪影響は常に有効な区間で毎日監視します。"
                "ガードレールは許容幅以内であること（非劣性）が示されて初めて採用されます。")
    if mode == "sequential":
        return ("The verdict is sequential: efficacy, futility and harm are judged at every look on always-valid "
                "intervals, so the experiment may stop early; a guide is kept only once every guardrail is shown "
                "inside its margin (non-inferiority).")
    return ("The verdict is fixed-horizon: efficacy and futility are judged once the planned sample is reached "
            "(alpha/k across arms, the arms' weights, the metric's direction and maturation); before that it "
            "continues with the progress, while harm to the primary metric or a guardrail is checked at every look "
            "on always-valid intervals; a guide is kept only once every guardrail is shown inside its margin "
            "(non-inferiority).")


def oc_sentence(figures: dict | None, mode: str, lang: str = "en") -> str:
    """The measured operating characteristic of the rule in ``mode``, from ``lib/oc_figures.json``:
    how often it keeps a useless guide under daily looks. Empty when no figures are published."""
    f = (figures or {}).get(mode)
    if not f or f.get("aa_keep_any_look") is None or not f.get("n_sims"):
        return ""
    rate = f"{f['aa_keep_any_look'] * 100:.1f}%"
    n = number(f["n_sims"])
    if check_lang(lang) == "ja":
        return (f"この判定ルールは、毎日確認しても効果のないガイドを実験の {rate} で採用します"
                f"（{n} 回のシミュレーションで測定、{'逐次' if mode == 'sequential' else '固定期間'}モード）。")
    return (f"This rule keeps a useless guide in {rate} of experiments, read daily, measured on {n} simulations "
            f"({mode} mode).")


def check_forms(code: str, params: dict, lang: str = "en") -> tuple[str, str]:
    """(name, detail) of the data check ``code`` with its numbers, in ``lang``."""
    params = dict(params)
    if "as_of" in params and lang == "ja":
        params["as_of"] = date(params["as_of"], "ja")
    name, detail = _CHECKS[code][1 if check_lang(lang) == "ja" else 0]
    return name.format(**params), detail.format(**params)


def check_text(check, lang: str = "en") -> tuple[str, str]:
    """A data check's (name, detail) in ``lang``; an unknown code is shown as it is."""
    if check.code not in _CHECKS:
        return check.code, ""
    return check_forms(check.code, dict(check.params), lang)
