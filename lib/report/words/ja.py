"""The Japanese words of guidelab's report, CLI and pages: every display word of one language.

The other language's file (``en.py``) has the same keys and the same ``{placeholders}``
(tests/test_words.py). Sentences fill their placeholders with ``str.format``.
"""


#: Words of the report: headings, table heads, verdicts, readings.
WORDS = {'KEEP': '採用',
 'KILL': '中止',
 'CONTINUE': '継続',
 'INVESTIGATE': '要調査',
 'verdict_hint.KEEP': '勝ったガイドを採用し、全体に展開してください。',
 'verdict_hint.KILL': 'このガイドは中止してください（悪影響があるか、目標に届きません）。',
 'verdict_hint.CONTINUE': '実験を続けてください（まだ判断に十分な証拠がありません）。',
 'verdict_hint.INVESTIGATE': 'まだ判断しないでください（先にデータの確認が必要です）。',
 'decision': '判定',
 'reasons': '理由',
 'key_metrics': '主要指標',
 'metric': '指標',
 'variant': 'バリアント',
 'control': '対照群',
 'users': 'ユーザー数',
 'rate': '率',
 'lift': '相対リフト',
 'abs_diff': '差',
 'ci': '95%信頼区間',
 'p_value': 'p値',
 'p_adjusted': 'p値（Holm補正）',
 'role.primary': '主要',
 'role.secondary': '副次',
 'role.guardrail': 'ガードレール',
 'charts': 'グラフ',
 'traffic': '日別割り当て数',
 'srm': 'サンプル比率（SRM）チェック',
 'data_quality': 'データ品質',
 'guides': 'テスト対象のガイド',
 'methods': '手法',
 'as_of': 'データ基準日',
 'period': '期間',
 'hypothesis': '仮説',
 'holdout': 'ホールドアウト（ガイドなし）',
 'passed': '合格',
 'failed': '不合格',
 'warning': '注意',
 'expected': '期待値',
 'observed': '実測値',
 'date': '日付',
 'assigned_users': '割り当てユーザー数',
 'rate_axis': '率（%）',
 'lift_axis': '対照群比の相対リフト（%）',
 'days_needed': '判断までに必要な推定日数',
 'not_applicable': '該当なし',
 'seq_ci': '常に有効な信頼区間（リフト）',
 'can_stop': '今停止できるか',
 'yes': 'はい',
 'not_yet': 'まだ',
 'chance_to_beat': '対照群に勝つ確率',
 'expected_loss': '期待損失（率）',
 'credible_interval': '95%信用区間（相対リフト）',
 'variance_reduction': 'CUPED分散削減率',
 'more_methods': '逐次検定・ベイズ・CUPED の結果',
 'chart.rates': 'バリアント別の率（95%信頼区間）',
 'chart.lift': '対照群比の相対リフト（95%信頼区間）',
 'chart.retention_curve': '割り当て後の日数別アクティブ率（95%信頼区間、経過済みユーザーのみ）',
 'chart.time_to_goal': 'まだ目標に達していないユーザーの割合（カプラン・マイヤー）',
 'days_since_assignment': '割り当てからの日数',
 'not_yet_goal_axis': '目標未達成（%）',
 'reading.retention': '{day}日目のアクティブ率は {best} が {rate}、{control} は {control_rate} でした。',
 'reading.time_to_goal': '目標達成までの時間はバリアント間で異なります（ログランク検定 {p}）。',
 'reading.time_to_goal_same': '目標達成までの時間にバリアント間の差は検出されません（ログランク検定 {p}）。',
 'chart.daily': '割り当て日別の{metric}の差（累積と95%信頼区間、および日別）',
 'chart.funnel': '各ステップに到達したユーザー（割り当てユーザーに対する割合）',
 'chart.nps': 'アンケートのスコア（0〜10）',
 'cumulative': '累積',
 'per_day': '日別',
 'assignment_day': '割り当て日',
 'diff_axis': '対照群との差（ポイント）',
 'reach_axis': '到達率（%）',
 'step': 'ステップ',
 'score': 'スコア',
 'share_respondents': '回答者の割合（%）',
 'segments': 'セグメント別の効果',
 'deeper': '詳細な分析',
 'chart.stickiness': '定着度：日別の DAU/WAU',
 'reading.time_to_complete': '{variant}：完了までの平均時間は {mean} 秒（95%信頼区間 {lo}〜{hi} 秒、{n} 人）。',
 'reading.completed_before_shown': "{variant}：{n} 人は最初の 'shown' より前に 'completed' があります（負の時間）。完了までの時間から除外しました。",
 'reading.stickiness': '完全な週での DAU/WAU の平均：{values}（記述統計、検定なし）。',
 'segment': 'セグメント',
 'heterogeneity': '異質性（Cochran の Q）',
 'reading.novelty.novelty': '{variant}：日別の効果が時間とともに小さくなっています（傾き {slope} ポイント/日、p = {p}）。目新しさ効果の可能性があり、後半の日で判断してください。',
 'reading.novelty.primacy': '{variant}：日別の効果が時間とともに大きくなっています（傾き {slope} ポイント/日、p = '
                            '{p}）。慣れるまで時間がかかる効果（プライマシー）の可能性があります。',
 'reading.novelty.stable': '{variant}：日別の効果に傾向はありません（p = {p}）。目新しさ効果やプライマシーの兆候はありません。',
 'reading.funnel': '{variant}：割り当てユーザーの {completion} が{guide}を完了しました。最も離脱が大きいのはステップ「{step}」です（到達者の {share} が離脱）。',
 'funnel.completed': '完了',
 'reading.heterogeneity.yes': '{variant}：{attribute} のセグメント間で効果が異なります（Q 検定 p = {p}）。',
 'reading.heterogeneity.no': '{variant}：{attribute} のセグメント間で効果が異なる証拠はありません（Q 検定 p = {p}）。',
 'segment_warning': 'セグメントは理解のためのもので、勝者選びには使えません。データを見た後に選んだセグメントは探索的な結果であり、異質性検定が有意な場合にのみ「セグメントによって効果が異なる」と言えます。',
 'reading.nps': '{variant}：NPS {nps} [{lo}, {hi}]（回答 {n} 件）、回答率 {rate}。',
 'ledger': '読み込んだ行と使用した行',
 'table': 'テーブル',
 'rows_read': '読み込んだ行',
 'rows_used': '使用した行',
 'left_out': '除外',
 'reason': '理由',
 'rows': '行数',
 'example': '例',
 'other_findings': 'その他',
 'action.KEEP': '{arm} を採用してください。',
 'action.KILL': 'このガイドは中止してください。',
 'action.CONTINUE': '実験を続けてください。',
 'action.INVESTIGATE': '判断の前にデータを確認してください。',
 'sequential_status': '逐次検定',
 'stop_now': '主要指標の常に有効な区間が0を含みません。今すぐ実験を停止して構いません。',
 'keep_running': '常に有効な区間がまだ0を含みます。実験を続けてください（毎日確認しても問題ありません）。',
 'table_note': '率はユーザーの割合、平均は1人あたりの値です。リフトは対照群に対する相対変化です。太字の行は使用中の手法で有意です。期待損失は、実際には劣っていた場合にそのバリアントを選ぶことで平均して失う率です。'}


#: Data checks by code: (name, detail).
CHECKS = {'assignments_present': ('割り当てデータあり', '実験 {experiment} の割り当て {n:,} 行（{as_of}まで）'),
 'missing_user_ids': ('ユーザーIDの欠損なし', 'user_id のない割り当て行：{n:,} 行'),
 'unknown_variants': ('バリアントが仕様と一致', '仕様にないバリアントの行：{n:,} 行（仕様：{variants}）'),
 'multiple_variants': ('1ユーザー1バリアント', '複数のバリアントに割り当てられたユーザー：{n:,} 人（分析から除外）'),
 'holdout_exposed': ('ホールドアウトにガイド表示なし', 'この実験のガイドが表示されたホールドアウトのユーザー：{n:,} 人'),
 'guide_never_shown': ('ガイドが表示された',
                       'ガイドのある群のユーザー {n:,} 人のうち {shown:,} 人に表示（0 人ならガイドが一度も表示されていないか、guide_events に表示イベントがありません）'),
 'activity_present': ('アクティビティデータあり', 'activity テーブルの行：{n:,} 行'),
 'before_start': ('割り当てが実験期間内', '最初の割り当て {first} が実験開始日 {start} より前です'),
 'missing_variant': ('バリアントの欠損なし', '{column} が空の行：{n:,} 行（除外）'),
 'missing_values': ('{column} の欠損', '空の値 {n:,} 件を除外'),
 'segments_unavailable': ('セグメントが利用可能', '仕様は {segments} で分けますが、users テーブルがありません。セグメント別の効果は表示しません'),
 'rows_exact_duplicate': ('{table} に重複行なし', '完全に重複した行：{n:,} 行（この実験の行の {share:.2%}、基準 {threshold:.1%}）。1 回として数えています'),
 'rows_future': ('{table} に未来の日付の行なし', '今日より後の日付の行：{n:,} 行（{share:.2%}、基準 {threshold:.1%}）。数えていません'),
 'rows_before_assignment': ('{table} に割り当て前の行なし', 'ユーザーの割り当てより前の行：{n:,} 行（{share:.2%}、基準 {threshold:.1%}）。数えていません'),
 'rows_after_analysis_date': ('{table} に基準日より後の行なし', '基準日より後の行：{n:,} 行。数えていません'),
 'rows_out_of_range': ('{table} の値が範囲内', '範囲外の値を持つ行：{n:,} 行（{share:.2%}、基準 {threshold:.1%}）。数えていません'),
 'rows_unknown_event': ('{table} のイベント名が既知', '契約にないイベント名の行：{n:,} 行（{share:.2%}、基準 {threshold:.1%}）。数えていません'),
 'rows_missing_key': ('{table} にキーの欠損なし',
                      'ユーザー・ガイド・イベント・実験・バリアントのない行：{n:,} 行（{share:.2%}、基準 {threshold:.1%}）。数えていません'),
 'rows_missing_time': ('{table} に時刻の欠損なし', '時刻のない行：{n:,} 行（{share:.2%}、基準 {threshold:.1%}）。数えていません'),
 'rows_duplicate_user': ('{table} が 1 ユーザー 1 行',
                         '同じユーザーの 2 行目以降：{n:,} 行（{share:.2%}、基準 {threshold:.1%}）。各ユーザーの最初の行を使用')}


#: Why rows were left out, by code.
LEDGER_REASONS = {'exact_duplicate': '完全な重複（1 回として数える）',
 'other_experiment': '別の実験の割り当て',
 'other_guide': 'この実験にないガイド',
 'not_in_experiment': 'この実験に割り当てられていないユーザー',
 'before_assignment': 'ユーザーの割り当てより前',
 'after_analysis_date': '基準日より後',
 'future': '未来の日付（今日より後）',
 'missing_key': 'ユーザー・ガイド・イベント・実験・バリアントの欠損',
 'missing_time': '時刻の欠損',
 'unknown_variant': '仕様にないバリアント',
 'multiple_arms': '複数のバリアントに割り当てられたユーザー',
 'repeated_assignment': '同じユーザーと同じバリアントの 2 回目以降の割り当て（最初を使用）',
 'unknown_event': '契約にないイベント名',
 'out_of_range': '範囲外の値（スコア、ステップ）',
 'duplicate_user': '同じユーザーの 2 行目以降'}


#: The methods paragraph of the report ({alpha}, {mde}).
METHODS = ('各指標はユーザーの割合です。差はプールしない分散による Wald 区間、相対リフトは対数比の区間、p値は差の区間と整合する両側 Wald '
 '検定です。主要指標は事前登録され、p値は主要指標ではバリアント間、副次指標ではバリアントと指標の全体で Holm 補正しています（ガードレールは補正しません）。サンプル比率チェックは設定した比率に対するカイ二乗検定です（p < '
 '0.001 で警告）。N日目の指標は、実験のタイムゾーンでN日目が基準日までに終わったユーザーだけを数えます。有意水準 α = {alpha}、目標効果（MDE）{mde}。')


#: The portfolio index.
PORTFOLIO = {'heads': ['実験', 'アームごとの判定：主要指標のリフト（判定に用いた区間）', '主要指標', '期間・データ基準日', 'レポート'],
 'title': 'ガイド実験ポートフォリオ',
 'count': '件数',
 'failed': '失敗',
 'notebook': '実行済みノートブック',
 'sequential': '逐次95%信頼系列',
 'fixed': '95%信頼区間',
 'overall': '全体',
 'as_of': 'データ基準日'}


#: The guide preview page and its mock app.
PREVIEW = {'lang_name': '日本語',
 'holdout': 'このバリアントではガイドは表示されません（ホールドアウト）。',
 'nps_low': 'まったく思わない',
 'nps_high': '非常にそう思う',
 'rating': '5段階中{n}',
 'control': '対照群',
 'variant': 'バリアント',
 'step': 'ステップ',
 'no_guide': 'ガイドなし',
 'nav1': 'ダッシュボード',
 'nav2': 'プロジェクト',
 'nav3': 'メンバー',
 'nav4': '設定',
 'search': '検索',
 'new_project': '+ 新規プロジェクト',
 'title': 'ガイドのプレビュー',
 'note': '静的なプレビューです。ボタンは動作しません。リンクのボタンはマウスを重ねると URL が表示されます。',
 'target': 'ターゲット',
 'placement': '表示位置',
 'button.back': '戻る',
 'button.next': '次へ',
 'button.complete': '完了'}


#: The Slack message.
NOTIFY = {"open_report": "レポートを開く"}


#: The programme section of the portfolio page: every guide together against the holdout, and
#: the interaction check between experiments that ran at the same time.
PROGRAMME = {
    "title": "ガイド施策全体とホールドアウトの比較",
    "intro": ("ユーザーの{share}はすべての実験から除外されています（施策 {programme}）。比較対象：施策群 "
              "{n_programme:,}人とホールドアウト {n_holdout:,}人（最初のガイド実験の時点から）。施策群のうち "
              "{n_exposed:,}人（{exposed_share}）がガイドのあるアームに割り当てられました。データ基準日：{as_of}。"),
    "heads": ["指標", "ホールドアウト", "施策群", "差（95%信頼区間）", "相対差（95%信頼区間）",
              "接触ユーザー1人あたり（95%信頼区間）"],
    "method": ("施策群とホールドアウトはハッシュで分けられているため、その差は施策全体が到達したユーザー全体への効果です"
               "（ITT、Miettinen–Nurminenのスコア区間）。ホールドアウトのユーザーはガイドを見られないため、"
               "接触ユーザー1人あたりの効果はその差を接触割合で割ったものです（Bloom 1984、割合は既知として扱います）。"),
    "left_out": "比較から除外：{reasons}。",
    "reason.unknown_arm": "holdout・programme 以外のアーム {n:,}人",
    "reason.multiple_arms": "両方のアームに記録 {n:,}人",
    "reason.holdout_assigned": "ガイドのあるアームに割り当てられたホールドアウトのユーザー {n:,}人（ホールドアウトの漏れ）",
    "reason.arm_not_hash": "記録されたアームがホールドアウトのハッシュと異なる {n:,}人",
    "without_row": "実験に割り当てられたが施策の行がないユーザー {n:,}人は比較していません。",
    "no_data": "施策のデータがありません：フォルダ {path} が必要です。",
    "failed": "施策レポートを計算できませんでした：{error}",
    "interactions": "同時期に実施された実験間の交互作用",
    "int_method": ("期間が重なり、同じネームスペースにない実験の組ごとに両方向で、一方の主要指標への効果が他方のアームに"
                   "よって変わるかを調べます。両方の実験に属するユーザーで差の差をWald検定し、全{k}検定にわたり"
                   "Holm法で補正（有意水準 {alpha}）。"),
    "int_heads": ["効果の実験", "相手の実験のアーム別", "主要指標", "差の差", "p値（Holm）", ""],
    "int_none": "同時期に同じユーザーに実施された実験の組はありません。",
    "flag": "⚠ 交互作用",
    "no_flag": "なし",
    "int_status.not_a_proportion": "主要指標が率ではないため未検定",
    "int_status.no_shared_users": "両方に属するユーザーなし",
    "int_status.not_enough_data": "ユーザーのいないセルあり",
    "interacts_with": "⚠ {others} と交互作用あり（施策チェック）",
}
