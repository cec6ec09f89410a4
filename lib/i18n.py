"""Japanese and English words, sentences and number formats for reports and verdicts.

Every user-facing sentence is built here from data (a reason code and its numbers), so the
English and Japanese reports say the same thing. Numbers: rates as percentages with one
decimal, lifts signed, p-values with three significant digits.
"""
from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

from .catalog import parse_metric

if TYPE_CHECKING:
    from .decision import Reason

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
        "reading.stickiness": "Average DAU/WAU over complete weeks: {values} (descriptive, no test).", "segment": "Segment", "heterogeneity": "Heterogeneity (Cochran's Q)",
        "reading.novelty.novelty": "{variant}: the daily effect shrinks over time (slope {slope} pt/day, p = {p}): a novelty effect; judge on later days.",
        "reading.novelty.primacy": "{variant}: the daily effect grows over time (slope {slope} pt/day, p = {p}): users need time to adapt (primacy).",
        "reading.novelty.stable": "{variant}: no trend in the daily effect (p = {p}): no sign of novelty or primacy.",
        "reading.funnel": "{variant}: {completion} of assigned users complete the {guide}; the largest drop is at step \u201c{step}\u201d ({share} of those who reached it leave).",
        "reading.heterogeneity.yes": "{variant}: the effect differs between {attribute} segments (Q test p = {p}).",
        "reading.heterogeneity.no": "{variant}: no evidence that the effect differs between {attribute} segments (Q test p = {p}).",
        "segment_warning": "Segments are for understanding, not for picking winners: a segment chosen after looking at the data is exploratory, and only a significant heterogeneity test supports saying the effect differs by segment.",
        "reading.nps": "{variant}: NPS {nps} [{lo}, {hi}] from {n} answers; response rate {rate}.",
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
        "reading.stickiness": "完全な週での DAU/WAU の平均：{values}（記述統計、検定なし）。", "segment": "セグメント", "heterogeneity": "異質性（Cochran の Q）",
        "reading.novelty.novelty": "{variant}：日別の効果が時間とともに小さくなっています（傾き {slope} ポイント/日、p = {p}）。目新しさ効果の可能性があり、後半の日で判断してください。",
        "reading.novelty.primacy": "{variant}：日別の効果が時間とともに大きくなっています（傾き {slope} ポイント/日、p = {p}）。慣れるまで時間がかかる効果（プライマシー）の可能性があります。",
        "reading.novelty.stable": "{variant}：日別の効果に傾向はありません（p = {p}）。目新しさ効果やプライマシーの兆候はありません。",
        "reading.funnel": "{variant}：割り当てユーザーの {completion} が{guide}を完了しました。最も離脱が大きいのはステップ「{step}」です（到達者の {share} が離脱）。",
        "reading.heterogeneity.yes": "{variant}：{attribute} のセグメント間で効果が異なります（Q 検定 p = {p}）。",
        "reading.heterogeneity.no": "{variant}：{attribute} のセグメント間で効果が異なる証拠はありません（Q 検定 p = {p}）。",
        "segment_warning": "セグメントは理解のためのもので、勝者選びには使えません。データを見た後に選んだセグメントは探索的な結果であり、異質性検定が有意な場合にのみ「セグメントによって効果が異なる」と言えます。",
        "reading.nps": "{variant}：NPS {nps} [{lo}, {hi}]（回答 {n} 件）、回答率 {rate}。",
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


def reason_text(reason: "Reason", lang: str = "en") -> str:
    """Render one decision reason as a sentence in ``lang``."""
    p = reason.params
    c = reason.code
    m = metric_label(p["metric"], lang) if "metric" in p else ""
    v = p.get("variant", "")
    ja = check_lang(lang) == "ja"
    if c == "srm":
        return (f"サンプル比率の不一致（SRM）：{p_phrase(p['p'])}（基準 {p['threshold']}）。割り当てか計測に問題がある可能性があります。"
                if ja else f"Sample ratio mismatch: {p_phrase(p['p'])} (threshold {p['threshold']}); assignment or logging may be broken.")
    if c == "data_check_failed":
        return f"データチェック不合格：{p['check']}。" if ja else f"Data check failed: {p['check']}."
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
        return (f"{v} はガードレール指標「{m}」を悪化させました（{value(p['rate_control'], p.get('kind', 'proportion'))} → {value(p['rate'], p.get('kind', 'proportion'))}、{p_phrase(p['p'], lang='ja')}"
                + (f"、許容幅 {pct(p['margin'])} を超過）。" if p.get("margin") else "）。")
                if ja else
                f"{v} harmed the guardrail {m}: {value(p['rate_control'], p.get('kind', 'proportion'))} → {value(p['rate'], p.get('kind', 'proportion'))} ({p_phrase(p['p'])})"
                + (f", beyond the tolerated {pct(p['margin'])}." if p.get("margin") else "."))
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
                            ("割り当てデータあり", "実験 {experiment} の割り当て {n:,} 行（{as_of} まで）")),
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
}


def check_forms(code: str, params: dict, lang: str = "en") -> tuple[str, str]:
    """(name, detail) of the data check ``code`` with its numbers, in ``lang``."""
    params = dict(params)
    if "as_of" in params and lang == "ja":
        params["as_of"] = date(params["as_of"], "ja")
    name, detail = _CHECKS[code][1 if check_lang(lang) == "ja" else 0]
    return name.format(**params), detail.format(**params)


def check_text(check, lang: str = "en") -> tuple[str, str]:
    """A data check's (name, detail) in ``lang``; unknown codes fall back to the English words."""
    if check.code not in _CHECKS:
        return check.name, check.detail
    return check_forms(check.code, dict(check.params), lang)
