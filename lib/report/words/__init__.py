"""Japanese and English words, sentences and number formats for reports and verdicts.

Every user-facing sentence is built here from data (a reason code and its numbers), so the
English and Japanese reports say the same thing. Numbers: rates as percentages with one
decimal, lifts signed, p-values with three significant digits.
"""
from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

from ...catalog import parse_metric

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


def metric_label(name: str, lang: str = "en", capital: bool = False) -> str:
    try:
        label = parse_metric(name).label(lang)
    except ValueError:
        label = name  # a column of a user table, shown as named
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


WORDS = {
    "en": {
        "KEEP": "KEEP", "KILL": "KILL", "CONTINUE": "CONTINUE", "INVESTIGATE": "INVESTIGATE",
        "verdict_hint.KEEP": "Keep the winning guide and roll it out.",
        "verdict_hint.KILL": "Stop the guide: it harms or cannot reach its goal.",
        "verdict_hint.CONTINUE": "Keep the experiment running: not enough evidence yet.",
        "verdict_hint.INVESTIGATE": "Do not decide yet: the data need checking first.",
        "decision": "Decision", "reasons": "Why", "key_metrics": "Key metrics", "metric": "Metric",
        "variant": "Variant", "control": "Control", "users": "Users", "rate": "Rate", "lift": "Relative lift",
        "abs_diff": "Difference", "ci": "95% CI", "p_value": "p-value", "p_adjusted": "p (Holm)",
        "role.primary": "primary", "role.secondary": "secondary", "role.guardrail": "guardrail",
        "charts": "Charts", "traffic": "Daily assignments", "srm": "Sample ratio (SRM) check",
        "data_quality": "Data quality", "guides": "Guides under test", "methods": "Methods",
        "as_of": "Data as of", "period": "Period", "hypothesis": "Hypothesis", "holdout": "holdout (no guide)",
        "passed": "passed", "failed": "FAILED", "warning": "warning", "expected": "expected", "observed": "observed",
        "date": "Date", "assigned_users": "Assigned users", "rate_axis": "Rate (%)", "lift_axis": "Relative lift vs control (%)",
        "days_needed": "Estimated days still needed", "not_applicable": "not applicable",
        "seq_ci": "Always-valid CI (lift)", "can_stop": "Stop now?", "yes": "yes", "not_yet": "not yet",
        "chance_to_beat": "Chance to beat control", "expected_loss": "Expected loss (rate)",
        "credible_interval": "95% credible interval (relative lift)",
        "variance_reduction": "CUPED variance reduction", "more_methods": "Sequential, Bayesian and CUPED views",
        "chart.rates": "Rate per variant (95% CI)", "chart.lift": "Relative lift vs control (95% CI)",
        "chart.retention_curve": "Active users by day since assignment (95% CI; matured users only)",
        "chart.time_to_goal": "Users who have not reached the goal yet (Kaplan-Meier)",
        "days_since_assignment": "Days since assignment", "not_yet_goal_axis": "Not yet reached the goal (%)",
        "reading.retention": "On day {day}, {best} kept {rate} of its users active, against {control_rate} for {control}.",
        "reading.time_to_goal": "Time to the goal differs between variants: log-rank {p}.",
        "reading.time_to_goal_same": "No difference in time to the goal between variants is detected (log-rank {p}).",
        "chart.daily": "Difference in {metric} by assignment day (cumulative with 95% CI, and per day)",
        "chart.funnel": "Users reaching each step (share of assigned users)", "chart.nps": "Survey scores (0–10)",
        "cumulative": "cumulative", "per_day": "per day", "assignment_day": "Assignment day",
        "diff_axis": "Difference vs control (percentage points)", "reach_axis": "Reached (%)", "step": "Step",
        "score": "Score", "share_respondents": "Share of respondents (%)",
        "segments": "Effect by segment", "deeper": "Deeper analyses",
        "chart.stickiness": "Stickiness: DAU/WAU by day",
        "reading.time_to_complete": "{variant}: completing takes {mean} s on average (95% CI {lo}–{hi} s, {n} users).",
        "reading.completed_before_shown": "{variant}: {n} users have a 'completed' event before their first 'shown' (a negative time): left out of the time to complete.",
        "reading.stickiness": "Average DAU/WAU over complete weeks: {values} (descriptive, no test).", "segment": "Segment", "heterogeneity": "Heterogeneity (Cochran's Q)",
        "reading.novelty.novelty": "{variant}: the daily effect shrinks over time (slope {slope} pt/day, p = {p}): a novelty effect; judge on later days.",
        "reading.novelty.primacy": "{variant}: the daily effect grows over time (slope {slope} pt/day, p = {p}): users need time to adapt (primacy).",
        "reading.novelty.stable": "{variant}: no trend in the daily effect (p = {p}): no sign of novelty or primacy.",
        "reading.funnel": "{variant}: {completion} of assigned users complete the {guide}; the largest drop is at step \u201c{step}\u201d ({share} of those who reached it leave).",
        "funnel.completed": "Completed",
        "reading.heterogeneity.yes": "{variant}: the effect differs between {attribute} segments (Q test p = {p}).",
        "reading.heterogeneity.no": "{variant}: no evidence that the effect differs between {attribute} segments (Q test p = {p}).",
        "segment_warning": "Segments are for understanding, not for picking winners: a segment chosen after looking at the data is exploratory, and only a significant heterogeneity test supports saying the effect differs by segment.",
        "reading.nps": "{variant}: NPS {nps} [{lo}, {hi}] from {n} answers; response rate {rate}.",
        "ledger": "Rows read and used", "table": "Table", "rows_read": "Rows read", "rows_used": "Rows used",
        "left_out": "Left out", "reason": "Reason", "rows": "Rows", "example": "Example",
        "other_findings": "Also", "action.KEEP": "Keep {arm}.", "action.KILL": "Stop the guide.",
        "action.CONTINUE": "Keep the experiment running.", "action.INVESTIGATE": "Check the data before deciding.",
        "sequential_status": "Sequential testing",
        "stop_now": "the primary metric's always-valid interval excludes zero: the experiment may be stopped now.",
        "keep_running": "the always-valid interval still includes zero: keep the experiment running (looking daily is fine).",
        "table_note": "Rates are shares of users; means are per user. Lift = relative change vs control. Bold rows are significant by the method in use. Expected loss = the rate you stand to lose, on average, by choosing the variant if it is in fact worse.",
    },
    "ja": {
        "KEEP": "採用", "KILL": "中止", "CONTINUE": "継続", "INVESTIGATE": "要調査",
        "verdict_hint.KEEP": "勝ったガイドを採用し、全体に展開してください。",
        "verdict_hint.KILL": "このガイドは中止してください（悪影響があるか、目標に届きません）。",
        "verdict_hint.CONTINUE": "実験を続けてください（まだ判断に十分な証拠がありません）。",
        "verdict_hint.INVESTIGATE": "まだ判断しないでください（先にデータの確認が必要です）。",
        "decision": "判定", "reasons": "理由", "key_metrics": "主要指標", "metric": "指標",
        "variant": "バリアント", "control": "対照群", "users": "ユーザー数", "rate": "率", "lift": "相対リフト",
        "abs_diff": "差", "ci": "95%信頼区間", "p_value": "p値", "p_adjusted": "p値（Holm補正）",
        "role.primary": "主要", "role.secondary": "副次", "role.guardrail": "ガードレール",
        "charts": "グラフ", "traffic": "日別割り当て数", "srm": "サンプル比率（SRM）チェック",
        "data_quality": "データ品質", "guides": "テスト対象のガイド", "methods": "手法",
        "as_of": "データ基準日", "period": "期間", "hypothesis": "仮説", "holdout": "ホールドアウト（ガイドなし）",
        "passed": "合格", "failed": "不合格", "warning": "注意", "expected": "期待値", "observed": "実測値",
        "date": "日付", "assigned_users": "割り当てユーザー数", "rate_axis": "率（%）", "lift_axis": "対照群比の相対リフト（%）",
        "days_needed": "判断までに必要な推定日数", "not_applicable": "該当なし",
        "seq_ci": "常に有効な信頼区間（リフト）", "can_stop": "今停止できるか", "yes": "はい", "not_yet": "まだ",
        "chance_to_beat": "対照群に勝つ確率", "expected_loss": "期待損失（率）",
        "credible_interval": "95%信用区間（相対リフト）",
        "variance_reduction": "CUPED分散削減率", "more_methods": "逐次検定・ベイズ・CUPED の結果",
        "chart.rates": "バリアント別の率（95%信頼区間）", "chart.lift": "対照群比の相対リフト（95%信頼区間）",
        "chart.retention_curve": "割り当て後の日数別アクティブ率（95%信頼区間、経過済みユーザーのみ）",
        "chart.time_to_goal": "まだ目標に達していないユーザーの割合（カプラン・マイヤー）",
        "days_since_assignment": "割り当てからの日数", "not_yet_goal_axis": "目標未達成（%）",
        "reading.retention": "{day}日目のアクティブ率は {best} が {rate}、{control} は {control_rate} でした。",
        "reading.time_to_goal": "目標達成までの時間はバリアント間で異なります（ログランク検定 {p}）。",
        "reading.time_to_goal_same": "目標達成までの時間にバリアント間の差は検出されません（ログランク検定 {p}）。",
        "chart.daily": "割り当て日別の{metric}の差（累積と95%信頼区間、および日別）",
        "chart.funnel": "各ステップに到達したユーザー（割り当てユーザーに対する割合）", "chart.nps": "アンケートのスコア（0〜10）",
        "cumulative": "累積", "per_day": "日別", "assignment_day": "割り当て日",
        "diff_axis": "対照群との差（ポイント）", "reach_axis": "到達率（%）", "step": "ステップ",
        "score": "スコア", "share_respondents": "回答者の割合（%）",
        "segments": "セグメント別の効果", "deeper": "詳細な分析",
        "chart.stickiness": "定着度：日別の DAU/WAU",
        "reading.time_to_complete": "{variant}：完了までの平均時間は {mean} 秒（95%信頼区間 {lo}〜{hi} 秒、{n} 人）。",
        "reading.completed_before_shown": "{variant}：{n} 人は最初の 'shown' より前に 'completed' があります（負の時間）。完了までの時間から除外しました。",
        "reading.stickiness": "完全な週での DAU/WAU の平均：{values}（記述統計、検定なし）。", "segment": "セグメント", "heterogeneity": "異質性（Cochran の Q）",
        "reading.novelty.novelty": "{variant}：日別の効果が時間とともに小さくなっています（傾き {slope} ポイント/日、p = {p}）。目新しさ効果の可能性があり、後半の日で判断してください。",
        "reading.novelty.primacy": "{variant}：日別の効果が時間とともに大きくなっています（傾き {slope} ポイント/日、p = {p}）。慣れるまで時間がかかる効果（プライマシー）の可能性があります。",
        "reading.novelty.stable": "{variant}：日別の効果に傾向はありません（p = {p}）。目新しさ効果やプライマシーの兆候はありません。",
        "reading.funnel": "{variant}：割り当てユーザーの {completion} が{guide}を完了しました。最も離脱が大きいのはステップ「{step}」です（到達者の {share} が離脱）。",
        "funnel.completed": "完了",
        "reading.heterogeneity.yes": "{variant}：{attribute} のセグメント間で効果が異なります（Q 検定 p = {p}）。",
        "reading.heterogeneity.no": "{variant}：{attribute} のセグメント間で効果が異なる証拠はありません（Q 検定 p = {p}）。",
        "segment_warning": "セグメントは理解のためのもので、勝者選びには使えません。データを見た後に選んだセグメントは探索的な結果であり、異質性検定が有意な場合にのみ「セグメントによって効果が異なる」と言えます。",
        "reading.nps": "{variant}：NPS {nps} [{lo}, {hi}]（回答 {n} 件）、回答率 {rate}。",
        "ledger": "読み込んだ行と使用した行", "table": "テーブル", "rows_read": "読み込んだ行", "rows_used": "使用した行",
        "left_out": "除外", "reason": "理由", "rows": "行数", "example": "例",
        "other_findings": "その他", "action.KEEP": "{arm} を採用してください。", "action.KILL": "このガイドは中止してください。",
        "action.CONTINUE": "実験を続けてください。", "action.INVESTIGATE": "判断の前にデータを確認してください。",
        "sequential_status": "逐次検定",
        "stop_now": "主要指標の常に有効な区間が0を含みません。今すぐ実験を停止して構いません。",
        "keep_running": "常に有効な区間がまだ0を含みます。実験を続けてください（毎日確認しても問題ありません）。",
        "table_note": "率はユーザーの割合、平均は1人あたりの値です。リフトは対照群に対する相対変化です。太字の行は使用中の手法で有意です。期待損失は、実際には劣っていた場合にそのバリアントを選ぶことで平均して失う率です。",
    },
}


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


_CHECKS = {
    "assignments_present": (("assignments present", "{n:,} assignment rows for experiment {experiment!r} up to {as_of}"),
                            ("割り当てデータあり", "実験 {experiment} の割り当て {n:,} 行（{as_of}まで）")),
    "missing_user_ids": (("no missing user ids", "{n:,} assignment rows without a user_id"),
                         ("ユーザーIDの欠損なし", "user_id のない割り当て行：{n:,} 行")),
    "unknown_variants": (("variants match the spec", "{n:,} rows with a variant not in the spec ({variants})"),
                         ("バリアントが仕様と一致", "仕様にないバリアントの行：{n:,} 行（仕様：{variants}）")),
    "multiple_variants": (("one variant per user", "{n:,} users assigned to more than one variant (excluded from the analysis)"),
                          ("1ユーザー1バリアント", "複数のバリアントに割り当てられたユーザー：{n:,} 人（分析から除外）")),
    "holdout_exposed": (("holdout saw no guide", "{n:,} holdout users have a 'shown' event for a guide of this experiment"),
                        ("ホールドアウトにガイド表示なし", "この実験のガイドが表示されたホールドアウトのユーザー：{n:,} 人")),
    "guide_never_shown": (("guide shown", "{shown:,} of {n:,} users in the arms with a guide were shown it (none: the guide "
                                    "was never shown, or its 'shown' events are missing from guide_events)"),
                    ("ガイドが表示された", "ガイドのある群のユーザー {n:,} 人のうち {shown:,} 人に表示（0 人ならガイドが一度も"
                                        "表示されていないか、guide_events に表示イベントがありません）")),
    "activity_present": (("activity present", "{n:,} rows in the activity table"),
                         ("アクティビティデータあり", "activity テーブルの行：{n:,} 行")),
    "before_start": (("assignments within the schedule", "first assignment on {first}, before the experiment start {start}"),
                     ("割り当てが実験期間内", "最初の割り当て {first} が実験開始日 {start} より前です")),
    "missing_variant": (("no missing variant", "{n:,} rows without a value in {column!r} (left out)"),
                        ("バリアントの欠損なし", "{column} が空の行：{n:,} 行（除外）")),
    "missing_values": (("no missing values in {column}", "{n:,} empty values left out"),
                       ("{column} の欠損", "空の値 {n:,} 件を除外")),
    "segments_unavailable": (("segments available", "the spec splits by {segments}, but there is no users table: "
                                                    "no effect by segment is shown"),
                             ("セグメントが利用可能", "仕様は {segments} で分けますが、users テーブルがありません。セグメント別の効果は表示しません")),
    "rows_exact_duplicate": (("no duplicate rows in {table}", "{n:,} exact duplicate rows ({share:.2%} of this "
                              "experiment's rows; threshold {threshold:.1%}), counted once"),
                             ("{table} に重複行なし", "完全に重複した行：{n:,} 行（この実験の行の {share:.2%}、基準 {threshold:.1%}）。1 回として数えています")),
    "rows_future": (("no {table} rows dated in the future", "{n:,} rows dated after today ({share:.2%}; "
                     "threshold {threshold:.1%}), not counted"),
                    ("{table} に未来の日付の行なし", "今日より後の日付の行：{n:,} 行（{share:.2%}、基準 {threshold:.1%}）。数えていません")),
    "rows_before_assignment": (("no {table} rows before assignment", "{n:,} rows dated before the user's "
                                "assignment ({share:.2%}; threshold {threshold:.1%}), not counted"),
                               ("{table} に割り当て前の行なし", "ユーザーの割り当てより前の行：{n:,} 行（{share:.2%}、基準 {threshold:.1%}）。数えていません")),
    "rows_after_analysis_date": (("no {table} rows after the analysis date", "{n:,} rows dated after the "
                                  "analysis date, not counted"),
                                 ("{table} に基準日より後の行なし", "基準日より後の行：{n:,} 行。数えていません")),
    "rows_out_of_range": (("{table} values in range", "{n:,} rows with a value out of range ({share:.2%}; "
                           "threshold {threshold:.1%}), not counted"),
                          ("{table} の値が範囲内", "範囲外の値を持つ行：{n:,} 行（{share:.2%}、基準 {threshold:.1%}）。数えていません")),
    "rows_unknown_event": (("{table} event names known", "{n:,} rows with an event name outside the contract "
                            "({share:.2%}; threshold {threshold:.1%}), not counted"),
                           ("{table} のイベント名が既知", "契約にないイベント名の行：{n:,} 行（{share:.2%}、基準 {threshold:.1%}）。数えていません")),
    "rows_missing_key": (("no missing keys in {table}", "{n:,} rows without a user, guide, event, experiment or "
                          "variant ({share:.2%}; threshold {threshold:.1%}), not counted"),
                         ("{table} にキーの欠損なし", "ユーザー・ガイド・イベント・実験・バリアントのない行：{n:,} 行（{share:.2%}、基準 {threshold:.1%}）。数えていません")),
    "rows_missing_time": (("no missing times in {table}", "{n:,} rows without a timestamp ({share:.2%}; "
                           "threshold {threshold:.1%}), not counted"),
                          ("{table} に時刻の欠損なし", "時刻のない行：{n:,} 行（{share:.2%}、基準 {threshold:.1%}）。数えていません")),
    "rows_duplicate_user": (("one row per user in {table}", "{n:,} further rows of users already listed "
                             "({share:.2%}; threshold {threshold:.1%}); the first row per user is used"),
                            ("{table} が 1 ユーザー 1 行", "同じユーザーの 2 行目以降：{n:,} 行（{share:.2%}、基準 {threshold:.1%}）。各ユーザーの最初の行を使用")),
}

LEDGER_REASONS = {
    "exact_duplicate": ("exact duplicate (counted once)", "完全な重複（1 回として数える）"),
    "other_experiment": ("another experiment's assignment", "別の実験の割り当て"),
    "other_guide": ("a guide not in this experiment", "この実験にないガイド"),
    "not_in_experiment": ("user not assigned to this experiment", "この実験に割り当てられていないユーザー"),
    "before_assignment": ("dated before the user's assignment", "ユーザーの割り当てより前"),
    "after_analysis_date": ("dated after the analysis date", "基準日より後"),
    "future": ("dated in the future (after today)", "未来の日付（今日より後）"),
    "missing_key": ("missing user, guide, event, experiment or variant", "ユーザー・ガイド・イベント・実験・バリアントの欠損"),
    "missing_time": ("missing timestamp", "時刻の欠損"),
    "unknown_variant": ("variant not in the spec", "仕様にないバリアント"),
    "multiple_arms": ("user in several arms", "複数のバリアントに割り当てられたユーザー"),
    "repeated_assignment": ("later assignment of the same user and arm (the first counts)",
                            "同じユーザーと同じバリアントの 2 回目以降の割り当て（最初を使用）"),
    "unknown_event": ("event name outside the contract", "契約にないイベント名"),
    "out_of_range": ("value out of range (score, step)", "範囲外の値（スコア、ステップ）"),
    "duplicate_user": ("further row of a user already listed", "同じユーザーの 2 行目以降"),
}


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
