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
 'reading.by_account': 'アカウント単位の割り当て: {adjusted}の区間と検定は、アカウントを独立な単位として計算しています（アカウント別の合計に基づくデルタ法）。',
 'reading.by_account.not_adjusted': 'アカウント単位に補正していないもの（ユーザー単位。解釈に注意）: {not_adjusted}。',
 'analysis.retention_curve': 'リテンション曲線',
 'analysis.daily': '日別の効果と目新しさ効果の検定',
 'analysis.funnels': 'ファネル',
 'analysis.segments': 'セグメント',
 'analysis.surveys': 'アンケートのスコア',
 'analysis.time_to_goal': 'ゴールまでの時間の曲線（Kaplan-Meier）の区間',
 'analysis.log_rank': 'ゴールまでの時間の検定（ログランク）',
 'analysis.time_to_complete': '完了までの時間',
 'analysis.stickiness': 'DAU/WAU（記述統計）',
 'analysis.survey_response_rate': 'アンケートの回答率（区間なし）',
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
NOTIFY = {"headline": "{symbol} {verdict}：{name}（{experiment}）",
          "open_report": "レポートを開く"}


#: The verdict's reasons, by reason code (guidelab.decision.REASON_CODES); a code's variants
#: (``code.variant``) and the pieces a reason is built from. Numbers arrive already formatted.
REASONS = {
    'srm': 'サンプル比率の不一致（SRM）：{p}（基準 {threshold}）。割り当てか計測に問題がある可能性があります。{planned}',
    'srm.split_assumed': ' 比較した割合は均等割り（{split}）と仮定したものです。計画した割合が異なる場合は --weights で指定してください。',
    'srm.split_planned': ' 計画した割合：{split}。',
    'data_check_failed': 'データチェック不合格：{check}。',
    'can_stop': ' 逐次検定の区間が0を含まないため、今すぐ停止して構いません。',
    'primary_better': '{variant} は{metric}を {control_value} から {value} に改善しました（{lift}、{ci}、{p}）。{stop}',
    'primary_worse': '{variant} は{metric}を {control_value} から {value} に悪化させました（{lift}、{ci}、{p}）。',
    'guardrail_harmed': '{variant} はガードレール指標「{metric}」を悪化させました（{control_value} → {value}、{p}）。',
    'guardrail_harmed.bound': '{variant} はガードレール指標「{metric}」を悪化させました（{control_value} → {value}、'
                              '悪化幅の常に有効な下限 {lower} が許容幅 {margin} を超過）。',
    'guardrail_harmed.ceiling': '{variant} のガードレール指標「{metric}」は {value} で、上限 {ceiling} を超えることが示されました'
                                '（常に有効な下限 {lower}）。',
    'guardrail_not_shown_safe': '{variant} のガードレール指標「{metric}」の悪化が許容幅 {margin} 以内であることはまだ示されていません'
                                '（{control_value} → {value}、悪化幅の上側限界 {upper}）。採用はそれが示されてからです。',
    'guardrail_not_shown_safe.ceiling': '{variant} のガードレール指標「{metric}」が上限 {ceiling} 未満であることはまだ示されていません'
                                        '（{value}、上側限界 {upper}）。採用はそれが示されてからです。',
    'guardrail_needs_ceiling': 'ガードレール指標「{metric}」はガイドを表示したときにしか起こらず、対照群はガイドなしのため比較できません。'
                               '仕様に guardrail_ceilings で上限を宣言してください。',
    'progress': '{variant}：計画したサンプルの {share} に到達（対照群 {n_control} / {planned_control} 人、'
                '{variant} {n_treatment} / {planned_treatment} 人）。有効性の判断は計画したサンプルに達してから行います'
                '{when}悪影響は毎日監視しています。{late}',
    'progress.when': '（判断日の見込み {date}、{days}）。',
    'progress.no_date': '。',
    'progress.late': 'この日は予定の終了日（{end}）より後です。期間を延ばさなければ、判断できないまま終わります。',
    'awaiting_plan': '{variant}：対照群の{metric}から計画サンプルを算出できないため、有効性はまだ判断しません。'
                     '仕様に baseline か planned_users を宣言してください。',
    'planned_reached_inconclusive': '{variant}：計画したサンプルに達しましたが、{metric}は結論が出ません（{lift}、{ci}）。'
                                    '最小効果の可能性も残っています。',
    'win_below_mde': '{variant} の改善（{lift}）は有意ですが、目標の最小効果 {mde} より小さい値です。',
    'best_vs_runner_up': '{variant} が次点の {runner_up} より{metric}で優れているとはまだ言えません（{lift}、{ci}）。',
    'best_vs_runner_up.significant': '{variant} は次点の {runner_up} にも{metric}で勝っています（{lift}、{ci}）。',
    'futile': '{variant} の{metric}の相対リフトの信頼区間（{ci}）は目標の最小効果 {mde} に届きません。',
    'inconclusive': '{variant} の{metric}はまだ結論が出ません（{lift}、{ci}）。現在のトラフィックでは{days}必要です。',
    'not_enough_data': '{variant} の{metric}はまだデータが足りません。',
}


#: Forms of numbers, dates and lists in running text, and the sentences on the verdict rule.
FORMS = {
    'pt': '{x}ポイント',
    'p.adjusted': '補正後 p {rel}',
    'ci': '{level}%信頼区間 {lo}〜{hi}',
    'ci.sequential': '常に有効な{level}%信頼区間 {lo}〜{hi}',
    'list.separator': '、',
    'date': '{date.year}年{date.month}月{date.day}日',
    'days.unknown': '不明な日数',
    'days.one': 'あと約{days}日',
    'days.other': 'あと約{days}日',
    'mode.fixed': '固定期間',
    'mode.sequential': '逐次',
    'rule.sequential': '判定は逐次検定です。常に有効な信頼区間で毎日判断でき、早期に停止できます。ガードレールは許容幅以内であること'
                       '（非劣性）が示されて初めて採用されます。',
    'rule.fixed': '判定は固定期間の検定です。採用・無益による中止は計画したサンプル（α/k、割付比率、指標の方向と確定待ちを含む）に'
                  '達してから行い、それまでは進捗を示して継続します。主要指標やガードレールの悪影響は常に有効な区間で毎日監視します。'
                  'ガードレールは許容幅以内であること（非劣性）が示されて初めて採用されます。',
    'oc': 'この判定ルールは、毎日確認しても効果のないガイドを実験の {rate} で採用します（{n} 回のシミュレーションで測定、{mode}モード）。',
}


#: Notes on statistics results, by note code (guidelab.stats.notes.NoteCode); ``code.<value>`` is
#: the form of a code for one value of its ``arms`` parameter, ``<param>.<value>`` the word for a
#: parameter's value (a list parameter is a list of such values).
NOTES = {
    'arms.treatment': '処置群',
    'arms.control': '対照群',
    'arms.both': '処置群と対照群の両方',
    'estimate.rate': '率',
    'estimate.mean': '平均',
    'estimate.ratio': '比率',
    'estimate.adjusted_mean': '調整済み平均',
    'figures.chance_to_beat': '対照群に勝つ確率',
    'figures.expected_loss': '期待損失',
    'figures.expected_loss_control': '対照群の期待損失',
    'missing.estimate': '推定値',
    'missing.relative_lift': '相対リフト',
    'missing.standard_error': '標準誤差',
    'no_users': '{arms}にユーザーがいません',
    'no_respondents_in_arm': '{arms}に回答者がいません',
    'too_few_users': '{arms}のユーザーが2人未満のため、分散を計算できません',
    'too_few_users_unadjusted': '{arms}のユーザーが2人未満のため、分散を計算できません（推定値は調整前の平均）',
    'too_few_accounts': '{arms}のアカウントが2未満のため、アカウント間の分散を計算できません',
    'zero_denominator': '{arms}の分母の合計が0のため、比率を計算できません',
    'prior_only': '{arms}にユーザーがいないため、事後分布は事前分布のままで、数値は事前分布だけを反映しています',
    'prior_only.both': '{arms}にユーザーがいないため、事後分布は事前分布のままで、数値は事前分布だけを反映しています',
    'zero_variance_both_arms': '両群とも分散が0です（各群で全員が同じ値）。検定に使えるばらつきがありません',
    'zero_variance_ratio': 'デルタ法の分散が両群とも0です（全ユーザーの分子が分母のちょうどR倍）。検定に使えるばらつきがありません',
    'zero_variance_outcome': '結果の分散が両群とも0です（各群で全員が同じ値）。検定に使えるばらつきがありません',
    'zero_variance_accounts': '両群とも各アカウントの平均が群の平均と等しく（アカウント間の分散が0）、検定に使えるばらつきがありません',
    'relative_lift_undefined_control_rate_zero': '対照群の率が0のため、相対リフトは定義されません',
    'control_zero': '対照群の{estimate}が0のため、相対リフトは定義されません',
    'control_mean_zero_unadjusted': '対照群の平均が0のため、相対リフトは定義されません',
    'negative_estimate': '{estimate}が負のため対数比が定義されず、rel_ci と se_log_ratio は None です',
    'treatment_zero': '処置群の{estimate}が0のため、相対リフトは-100%で、その対数比の区間は定義されません',
    'log_ratio_variance_zero': '対数比の分散が0か定義されないため、相対リフトの区間は定義されません',
    'control_not_distinguishable_from_zero': '対照群の平均が0と区別できない（区間が0を含む）ため、相対リフトの区間は有界になりません（Fieller）',
    'exact_test': '期待度数が小さいため、p値はスコア検定と Fisher の正確検定の大きい方です',
    'interval_widened_to_exact_test': '正確検定が棄却しないため、区間を0まで広げています',
    'covariate_no_variance': '共変量の分散が両群とも0です（情報なし）。調整せず、調整前の比較を示します（theta 0、variance_reduction 0）',
    'covariate_perfect_fit': '共変量が両群とも結果を完全に説明します（残差分散0）。調整後の標準誤差が見かけ上0になるため、調整前の比較を示します',
    'integration_inaccurate': '数値積分が精度1e-9に達しなかったため、{figures}は示しません',
    'credible_upper_unbounded': "対照群の事後分布が0に集中しています。相対リフトの上限が exp(690) を超えて表せないため、信用区間は None です"
                                "（scale='absolute' を使ってください）",
    'credible_inaccurate': '信用区間を必要な精度で計算できませんでした',
    'credible_lower_clamped': '処置群の事後分布が0に集中しています。相対リフトの下限は倍精度で-1です',
    'control_no_successes': '対照群に成功がないため、それに対する相対リフトは定義されません',
    'days_without_matured_users': '{days}日目は確定したユーザーがいないため、省きました',
    'no_days': '日がありません',
    'days_in_one_curve': '片方の曲線にしかない日を除きました：{days}',
    'no_step_loses_users': 'どのステップでもユーザーが減っていません',
    'funnel_empty': 'ファネルに入ったユーザーがいません',
    'steps_without_users': 'ステップ {steps} の前にユーザーがいないため、転換率は定義されません',
    'days_with_empty_arm': 'ユーザーのいない群がある日：{days}',
    'days_skipped': 'ユーザーのいない群があるか分散が0の日を{n}日省きました',
    'too_few_days': 'トレンドの検定には使える日が3日以上必要です（{n}日）',
    'effects_on_a_line': '日別の効果が完全に一直線上にあるため（残差分散0）、検定できません',
    'shown_not_given': '表示数が与えられていないため、回答率は定義されません',
    'nobody_shown': 'アンケートを表示したユーザーがいないため、回答率は定義されません',
    'no_respondents': '回答者がいません',
    'one_group': '回答者全員が同じ区分（全員が推奨者、中立者、または批判者）のため三項分布の標準誤差が0です。区間とp値は3区分それぞれに'
                 '1人の仮想回答者を加えて計算しています',
    'one_group_per_arm': '各群で回答者全員が1つの区分にいるため差の三項分布の標準誤差が0です。se、ci、p値は各群の各区分に1人の仮想回答者を'
                         '加えて計算しています',
    'segment_left_out_no_users': '異質性の検定から除外：{segment}：{arms}にユーザーがいません',
    'segment_left_out_few_accounts': '異質性の検定から除外：{segment}：{arms}のアカウントが 2 未満です',
    'segment_left_out_zero_variance': '異質性の検定から除外：{segment}：すべての率が0か1です（分散0）',
    'too_few_segments': '異質性の検定には使えるセグメントが2つ以上必要です（{n}）',
    'no_units': 'まだ観測がありません（n = 0）',
    'missing_input': '{missing}がありません',
    'infinite_standard_error': '標準誤差が無限大です',
    'zero_standard_error': '標準誤差が0です（データにばらつきがない。例：すべての率が0か1）。常に有効な区間はまだなく、データ収集を続けてください',
    'log_ratio_undefined': '相対リフトが-100%以下のため、対数比の区間は定義されません',
    'not_enough_data_sequential': '逐次検定の区間を計算するにはデータが足りません',
    'life_table_empty': '生命表にユーザーがいません',
    'no_events': 'イベントがないため、S は常に1で、中央値に達しません',
    'survival_reaches_zero': '{day}日目に S が0になります（残った全員がイベントを経験）。以降は Greenwood の分散が定義されないため、'
                             'se と信頼区間は None です',
    'median_not_reached': 'S が0.5まで下がらないため、中央値に達しません',
    'variants_left_out': '検定から除外（イベント日にリスク集合のユーザーがいない）：{variants}',
    'no_events_in_any_variant': 'どのバリアントにもイベントがないため、比較できません',
    'too_few_variants_at_risk': 'イベント日にリスク集合のユーザーがいるバリアントが2つ未満です',
    'logrank_variance_zero': 'ログランク検定の分散が0です（各イベント日にリスク集合の全員がイベントを経験。例：全員が同じ日）。バリアントを比較する情報がありません',
}


#: The experiment plan (guidelab plan, PlanResult.to_text) and its notes (``note.<code>``:
#: guidelab.plan.PlanNoteCode; ``{metric_label}`` is the metric's label in this language).
PLAN = {
    'title': '実験計画: {name}（{experiment}）',
    'metric_line': '主要指標: {metric}  ベースライン {baseline}、最小検出効果 {mde}（相対）: {baseline} → {target}',
    'split': '、{k}比較に分割して各 {alpha_c:.4g}（Bonferroni。分析で使う Holm 補正より保守的）',
    'alpha_line': '有意水準 {alpha:g}{split}、検出力 {power}',
    'traffic_line': '流入: 1日 {daily} 人 × カバレッジ {coverage} = 1日 {enrolled:,.1f} 人が実験に参加',
    'head.fixed': '固定期間の検定',
    'head.sequential': '逐次検定（毎日確認可, N*={tuning}）',
    'row.per_arm': '1群あたりの人数（均等割付）',
    'row.arm': '必要人数: {arm}（{role}, {weight}）',
    'role.control': '対照群',
    'role.treatment': '処置群',
    'row.users': '実験に必要な総ユーザー数',
    'row.enrollment': '登録にかかる日数',
    'row.maturation': '+ 指標の確定待ち（{metric}）',
    'row.days': '判断までの日数',
    'row.mde': '{days}日で検出できる最小効果（相対）',
    'not_detectable': '検出不可',
    'notes': '注記:',
    'note.bonferroni': '{k}つの処置群をそれぞれ対照群と比較するため、各比較は alpha/{k} = {alpha_c:.4g}（Bonferroni）で'
                       '計画しています。分析では検出力が同じか高い Holm 補正を使うため、この人数は保守的です。',
    'note.lower_is_better': '{metric} は低いほど良い指標なので、{mde:.1%} の相対的な減少を検出する計画です。',
    'note.unequal_weights': '割付比率が均等でないため、各比較を実際の比率で計画し、総ユーザー数は各群の（必要人数 / 比率）の最大値としています。',
    'note.maturation': '{metric_label} は割り当ての{lag}日後に確定するため、登録日数に{lag}日を加えています'
                       '（D日目の判断に使えるのは最初の D - {lag} 日間に登録したユーザーです）。',
    'note.sequential': '逐次検定: {method}、調整パラメータ N* = {tuning}。区間はすべての時点で同時に有効なので、毎日確認して 0 を'
                       '含まなくなった時点で止められます。表の値は計画した検出力に達する期間で、真の効果が大きければもっと早く止まります。',
    'note.schedule': '仕様上の登録期間は{run}日（{start}〜{end}）です。固定期間の計画では{enroll_fixed:.1f}日、'
                     '逐次検定では{enroll_sequential:.1f}日の登録が必要です。',
    'note.schedule_too_short': '仕様上の登録期間は{run}日（{start}〜{end}）です。固定期間の計画では{enroll_fixed:.1f}日、'
                               '逐次検定では{enroll_sequential:.1f}日の登録が必要です（固定期間の計画には期間が足りません）。',
    'note.nothing_matured': '{days}日目までに指標が確定するユーザーがいません（{lag}日必要）。効果は検出できません。',
    'note.too_few_users': '{days}日目までのユーザーが少なすぎて、計画した検出力ではどんな効果も検出できません。',
}


#: Why a user would (not) see a guide (guidelab eligible: guidelab.eligibility.EligibilityCode and
#: guidelab.throttle.ThrottleCode); ``times``, ``guides`` and ``gap`` are this file's forms below.
ELIGIBILITY = {
    'times.one': '{n}回',
    'times.other': '{n}回',
    'guides.one': '{n}件のガイド',
    'guides.other': '{n}件のガイド',
    'gap.minutes': '{minutes:.0f}分',
    'gap.hours': '{hours:.1f}時間',
    'outside_coverage': '割り当て：実験の対象外（カバレッジ {coverage:.0%} の外）',
    'programme_holdout': '割り当て：施策全体のホールドアウト（{programme}）に含まれます（{share:.2%} のユーザーにはどの実験のガイドも表示しません）',
    'programme_holdout_account': '割り当て：{unit} {value} は施策全体のホールドアウト（{programme}）に含まれます（{share:.2%} のアカウントにはどの実験のガイドも表示しません）',
    'programme_missing_unit': '割り当て：{unit} がありません：施策全体（{programme}）は {unit} 単位でホールドアウトするため、{unit} のないユーザーにはどの実験のガイドも表示しません',
    'outside_coverage_or_empty_id': '割り当て：実験の対象外（カバレッジ {coverage:.0%} の外、またはユーザーIDが空）',
    'holdout': '割り当て：ホールドアウト：バリアント {variant!r} ではガイドを表示しません',
    'assigned': '割り当て：バリアント {variant!r} はガイド {guide} を表示します',
    'experiment_not_started': 'スケジュール：実験の開始は {start}（{timezone}）、現地時刻は {local}',
    'experiment_ended': 'スケジュール：実験は {end}（{timezone}）に終了、現地時刻は {local}',
    'experiment_live': 'スケジュール：実験は実施中（{start}〜{end}、{timezone}）',
    'experiment_live_open': 'スケジュール：実験は実施中（{start}〜終了日なし、{timezone}）',
    'guide_no_schedule': 'スケジュール：ガイド {guide} に独自のスケジュールはありません',
    'guide_live': 'スケジュール：ガイド {guide} は公開中',
    'guide_not_started': 'スケジュール：ガイド {guide} の開始は {start}、現在 {local}',
    'guide_ended': 'スケジュール：ガイド {guide} は {end} に終了、現在 {local}',
    'targeting_failed': 'ターゲティング：{condition}',
    'targeting_matched': 'ターゲティング：一致',
    'no_targeting': 'ターゲティング：なし（全員）',
    'no_page_view': 'トリガー：ページビューなし（ガイドはページ {pattern} で表示）',
    'page_matches': 'トリガー：ページ {page} は {pattern} に一致',
    'page_does_not_match': 'トリガー：ページ {page} は {pattern} に一致しません',
    'no_event': 'トリガー：イベントなし（ガイドはイベント {event} で表示）',
    'event_fired': 'トリガー：イベント {event} が発生',
    'other_event': 'トリガー：イベント {fired} は {event} ではありません',
    'first_session': 'トリガー：ユーザーの最初のセッション',
    'not_first_session': 'トリガー：ユーザーの最初のセッションではありません（ガイドは最初のセッションでのみ表示）',
    'delay': 'トリガー：{seconds:g} 秒後に表示',
    'goal_reached': '頻度：until_goal、ユーザーは目標（{event}）に到達済み',
    'stop_event': '頻度：停止イベント {event} が発生済み',
    'once_shown': '頻度：once、すでに{times}表示済み',
    'interacted': '頻度：until_interacted、ユーザーはすでに操作済み',
    'max_total': '頻度：すでに{times}表示済み（max_total {max}）',
    'max_per_day': '頻度：今日すでに{times}表示済み（max_per_day {max}）',
    'min_hours_between': '頻度：{hours:.1f} 時間前に表示済み（min_hours_between {min}）',
    'frequency_ok': '頻度：{mode}、これまで{times}表示（今日 {today} 回）',
    'throttle_exempt': 'スロットル：上限と間隔の対象外',
    'throttle_priority': 'スロットル：代わりに {winner}（優先度 {priority}）を表示します。同時に表示するのは最も優先度の高いものだけです',
    'throttle_cap': 'スロットル：直近 {period_hours:g} 時間に{guides}を表示済み（上限 {max}）',
    'throttle_gap': 'スロットル：前回のガイド表示は{gap}前（最小間隔 {min_gap_minutes:g} 分）',
    'throttle_allowed': 'スロットル：表示可（直近 {period_hours:g} 時間の表示 {count} / {max}）',
}


# --- アカウント単位の割り当て（issue 14）：新しいキーはここに追加（マージしやすくするため）。 ---
CHECKS['rows_missing_unit'] = (
    '{table} の割り当てユーザー全員に割り当て単位あり',
    '割り当て単位の属性（account_id など）がないユーザーの行 {n:,} 行（{share:.2%}、閾値 {threshold:.1%}）は集計しません'
    '（GrowthBook はこのユーザーを実験に入れません）')
LEDGER_REASONS['missing_unit'] = '割り当て単位（account_id など）のないユーザー'
WORDS.update({
    'cluster.title': 'アカウント単位の割り当て',
    'cluster.intro': 'アカウント単位で割り当てました（unit: {unit}）。同じアカウントのユーザーは同じアームに入り、'
                     '行動も似るため、すべての指標をアカウント単位の分散（アカウントごとの合計に基づくデルタ法）で分析し、'
                     'ユーザーを独立とはみなしません。',
    'cluster.accounts': 'アカウント数',
    'cluster.mean_size': 'アカウントあたりユーザー数',
    'cluster.accounts_tc': 'アカウント数（アーム／対照）',
    'cluster.icc': '級内相関（ICC）',
    'cluster.design_effect': 'デザイン効果',
    'cluster.design_effect_icc': 'ICC からのデザイン効果',
    'cluster.effective_accounts': '実効アカウント数',
    'cluster.p_naive': 'ユーザーを独立とみなした p 値',
    'cluster.note': 'ICC：アカウント内での指標の級内相関。デザイン効果：差の分散が、ユーザーを独立とみなした場合の何倍か'
                    '（実測値と、ICC とアカウントの大きさから求めた 1 + (Σn²/N − 1)·ICC）。実効アカウント数が 15 程度を'
                    '下回るときは少数の大きなアカウントが支配しており、どの区間も狭すぎます。最後の列はユーザー単位の素朴な'
                    '検定で、比較のためだけに示しています。判定はアカウント単位の検定を使います。',
})

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
    "reason.missing_unit": "{unit} のないユーザー {n:,}人（ホールドアウトは {unit} をハッシュします）",
    "intro_accounts": ("アカウントの{share}はすべての実験から除外されています（施策 {programme}、{unit} 単位：除外された"
                       "アカウントのユーザーにはガイドを表示しません）。比較対象：施策群 {k_programme:,}アカウントの"
                       "{n_programme:,}人とホールドアウト {k_holdout:,}アカウントの {n_holdout:,}人（最初のガイド実験の"
                       "時点から）。施策群のうち {n_exposed:,}人（{exposed_share}）がガイドのあるアームに割り当てられ"
                       "ました。データ基準日：{as_of}。"),
    "heads_accounts": ["指標", "ホールドアウト", "施策群", "差（95%信頼区間）", "相対差（95%信頼区間）",
                       "接触ユーザー1人あたり（95%信頼区間）", "クラスタリング"],
    "rate_accounts": "{rate}（{users:,}人、{accounts:,}アカウント）",
    "clustering": "ICC {icc}、デザイン効果 {design_effect}、有効アカウント数 {effective}、p値 {p}（ユーザーが独立と"
                  "みなした場合：{p_naive}）",
    "method_accounts": ("アカウント単位でホールドアウトし、同じアカウントのユーザーは相関するため、差はアカウントごとの"
                        "合計にもとづくクラスターロバスト分散で検定します（アカウント単位のデルタ法、Deng, Knoblich & "
                        "Lu 2018、小標本補正つき；相対差はFiellerの区間）。ICCとデザイン効果はクラスタリングの影響の"
                        "大きさを示し、ユーザーが独立とみなした場合のp値は比較のためだけに示します。ホールドアウトの"
                        "ユーザーはガイドを見られないため、接触ユーザー1人あたりの効果はその差を接触割合で割った"
                        "ものです（Bloom 1984、割合は既知として扱います）。"),
    "without_row": "実験に割り当てられたが施策の行がないユーザー {n:,}人は比較していません。",
    "no_data": "施策のデータがありません：フォルダ {path} が必要です。",
    "failed": "施策レポートを計算できませんでした：{error}",
    "interactions": "同時期に実施された実験間の交互作用",
    "int_method": ("期間が重なり、同じネームスペースにない実験の組ごとに両方向で、一方の主要指標への効果が他方のアームに"
                   "よって変わるかを調べます。両方の実験に属するユーザーで差の差をWald検定し、全{k}検定にわたり"
                   "Holm法で補正（有意水準 {alpha}）。どちらかの実験がアカウント単位で割り当てている場合と比率指標では、"
                   "アカウント（比率指標ではユーザー）単位のクラスター頑健分散と小標本のF分布で検定します。"),
    "int_heads": ["効果の実験", "相手の実験のアーム別", "主要指標", "差の差", "p値（Holm）", ""],
    "int_none": "同時期に同じユーザーに実施された実験の組はありません。",
    "flag": "⚠ 交互作用",
    "no_flag": "なし",
    "int_status.units_differ": "2つの実験が異なる属性で割り当てているため未検定",
    "int_status.no_unit_column": "もう一方の実験の割り当て属性が assignments にも users にもありません",
    "int_status.not_checked_kind": "この種類の主要指標は未検定",
    "int_by_unit": "（{unit}単位の分散）",
    "int_status.zero_variance": "これらのセルでは指標にばらつきがない",
    "int_status.no_shared_users": "両方に属するユーザーなし",
    "int_status.not_enough_data": "ユーザーのいないセルあり",
    "interacts_with": "⚠ {others} と交互作用あり（施策チェック）",
}
PLAN.update({
    'row.accounts': '実験に必要なアカウント数',
    'clustering.line': 'アカウント単位の割り当て: デザイン効果 {design_effect:.2f}{source}。各群の人数に掛けています。',
    'clustering.source': '（ICC {icc:g}、平均 {size:g} 人/アカウント、大きさの変動係数 {cv:g}）',
    'note.accounts_without_icc': '{experiment} は {unit} 単位で割り当てますが、ICC もデザイン効果も指定されていないため、'
                                 'この人数はユーザーを独立とみなした値で、少なすぎます。--icc と --mean-account-size'
                                 '（と --cv-account-size）、または --design-effect を指定してください（以前の実験の'
                                 'レポートに両方が載っています）。',
})


# --- Capping and post-stratification (issue 15): new keys, kept here to ease merging. ---
CHECKS['adjust_for_unavailable'] = (
    '事後層別の属性が利用可能',
    '仕様は {attributes} で事後層別します（statistics.adjust_for）が、users テーブルがありません。指標は事後層別していません')
WORDS.update({
    'adjust.title': 'キャッピングと分散削減',
    'adjust.intro': '割り当て時点でわかっている属性（{attributes}）で事後層別しています。各群の推定値は、層ごとの平均を'
                    '層の人数割合で重み付けした平均で、層の間のばらつきを取り除きます（新規ユーザーには CUPED に使う'
                    '事前期間がありません）。',
    'adjust.intro_cuped': '割り当て時点でわかっている属性（{attributes}）で事後層別し、層の中で CUPED を適用しています。'
                          '各群の推定値は、層ごとの（事前期間の活動で調整した）平均を層の人数割合で重み付けした平均です。',
    'adjust.intro_capping': 'キャップ付きの指標は、上限を超えるユーザーの値を上限として数えます（ウィンザー化）。上限は'
                            'すべての群で同じで、比較するのはキャップ後の平均です。少数のヘビーユーザーに左右されにくくなります。',
    'adjust.cap': '上限',
    'adjust.rule_quantile': '全ユーザーの p{q}',
    'adjust.rule_value': '指定値',
    'adjust.capped_share': '上限を超えたユーザー（群 / 対照）',
    'adjust.variance_reduction': '分散削減率',
    'adjust.strata': '層の数',
    'adjust.collapsed': '小さな層 {k} 個（{n} 人）を統合',
    'adjust.ci_unadjusted': '調整なしの差の信頼区間',
    'adjust.note': '分散削減率：1 −（調整後の差の分散 ÷ 単純な平均の差の分散）（Miratrix, Sekhon & Yu 2013）。上の主要指標は'
                   '調整後の差を使っています。どちらかの群で 10 人未満の層はまとめています。上限：全群をまとめた分析対象'
                   'ユーザーの分位点、または指定値。',
})


# --- 分位点メトリクス（issue 15 の 1）：マージしやすいよう、新しいキーはここにまとめています。 ---
NOTES.update({
    'estimate.quantile': '分位点',
    'quantile_too_few_users': '{arms}のユーザーが少なすぎて、この分位点の区間を求められません',
    'quantile_not_reached': '{percentile}%のユーザーが到達していません（{arms}で到達したユーザーが足りません）。'
                            '分位点は定義されません',
    'quantile_not_reached.treatment': '処置群では{percentile}%のユーザーが到達していません。分位点は定義されません',
    'quantile_not_reached.control': '対照群では{percentile}%のユーザーが到達していません。分位点は定義されません',
    'quantile_not_reached.both': 'どちらの群でも{percentile}%のユーザーが到達していません。分位点は定義されません',
    'quantile_upper_unbounded': '{arms}で到達したユーザーが少なく、上限が求まりません（到達しなかったユーザーは'
                                'どの値より遅いものとして数えます）。差の区間は計算しません',
    'quantile_tied': '両群の区間が同じ値（日数や回数などの離散値）の中に収まっており、ばらつきを測れません。'
                     '差の区間は計算しません',
})
WORDS.update({
    'quantile.title': 'パーセンタイル',
    'quantile.arm': 'バリアント（95%信頼区間）',
    'quantile.control': '対照群（95%信頼区間）',
    'quantile.reached': 'イベントに到達（バリアント / 対照群）',
    'quantile.diff': '差（95%信頼区間）',
    'quantile.rel': '相対差（95%信頼区間）',
    'quantile.not_reached': '{percentile}%のユーザーが未到達',
    'quantile.censored': 'メトリクスの期間内にイベントに到達しなかったユーザーは、どの値よりも遅いもの（期間の終わりで'
                         '打ち切り）として数えるため、比較するのはランダムに割り当てた群のままです。パーセンタイルは、'
                         'その割合を超えるユーザーが到達したときだけ表示し、そうでなければ「p%のユーザーが未到達」と'
                         '示します。',
    'quantile.reachers': 'メトリクスの期間内にイベントに到達したユーザーだけを数えます（仕様の '
                         'statistics.quantile_never_reached: reachers）。その中でのパーセンタイルです。ガイドが'
                         '到達するユーザーを変えるとこの集団も変わるため、比較は記述的で、ランダム化された比較では'
                         'ありません。',
    'quantile.method': '各群の95%区間は Deng, Knoblich & Lu (2018) の順位による外側区間です（順位 np ± z√(np(1−p)) を'
                       '外側に丸めた値）。差と相対差はデルタ法で、各群の標準誤差を区間の幅 (上限 − 下限)/(2z) から'
                       '求めます。各群のユーザー数と3つの順位の値から SQL で計算します。',
})
