"""The English words of guidelab's report, CLI and pages: every display word of one language.

The other language's file (``ja.py``) has the same keys and the same ``{placeholders}``
(tests/test_words.py). Sentences fill their placeholders with ``str.format``.
"""


#: Words of the report: headings, table heads, verdicts, readings.
WORDS = {'KEEP': 'KEEP',
 'KILL': 'KILL',
 'CONTINUE': 'CONTINUE',
 'INVESTIGATE': 'INVESTIGATE',
 'verdict_hint.KEEP': 'Keep the winning guide and roll it out.',
 'verdict_hint.KILL': 'Stop the guide: it harms or cannot reach its goal.',
 'verdict_hint.CONTINUE': 'Keep the experiment running: not enough evidence yet.',
 'verdict_hint.INVESTIGATE': 'Do not decide yet: the data need checking first.',
 'decision': 'Decision',
 'reasons': 'Why',
 'key_metrics': 'Key metrics',
 'metric': 'Metric',
 'variant': 'Variant',
 'control': 'Control',
 'users': 'Users',
 'rate': 'Rate',
 'lift': 'Relative lift',
 'abs_diff': 'Difference',
 'ci': '95% CI',
 'p_value': 'p-value',
 'p_adjusted': 'p (Holm)',
 'role.primary': 'primary',
 'role.secondary': 'secondary',
 'role.guardrail': 'guardrail',
 'charts': 'Charts',
 'traffic': 'Daily assignments',
 'srm': 'Sample ratio (SRM) check',
 'data_quality': 'Data quality',
 'guides': 'Guides under test',
 'methods': 'Methods',
 'as_of': 'Data as of',
 'period': 'Period',
 'hypothesis': 'Hypothesis',
 'holdout': 'holdout (no guide)',
 'passed': 'passed',
 'failed': 'FAILED',
 'warning': 'warning',
 'expected': 'expected',
 'observed': 'observed',
 'date': 'Date',
 'assigned_users': 'Assigned users',
 'rate_axis': 'Rate (%)',
 'lift_axis': 'Relative lift vs control (%)',
 'days_needed': 'Estimated days still needed',
 'not_applicable': 'not applicable',
 'seq_ci': 'Always-valid CI (lift)',
 'can_stop': 'Stop now?',
 'yes': 'yes',
 'not_yet': 'not yet',
 'chance_to_beat': 'Chance to beat control',
 'expected_loss': 'Expected loss (rate)',
 'credible_interval': '95% credible interval (relative lift)',
 'variance_reduction': 'CUPED variance reduction',
 'more_methods': 'Sequential, Bayesian and CUPED views',
 'chart.rates': 'Rate per variant (95% CI)',
 'chart.lift': 'Relative lift vs control (95% CI)',
 'chart.retention_curve': 'Active users by day since assignment (95% CI; matured users only)',
 'chart.time_to_goal': 'Users who have not reached the goal yet (Kaplan-Meier)',
 'days_since_assignment': 'Days since assignment',
 'not_yet_goal_axis': 'Not yet reached the goal (%)',
 'reading.retention': 'On day {day}, {best} kept {rate} of its users active, against {control_rate} for {control}.',
 'reading.time_to_goal': 'Time to the goal differs between variants: log-rank {p}.',
 'reading.time_to_goal_same': 'No difference in time to the goal between variants is detected (log-rank {p}).',
 'chart.daily': 'Difference in {metric} by assignment day (cumulative with 95% CI, and per day)',
 'chart.funnel': 'Users reaching each step (share of assigned users)',
 'chart.nps': 'Survey scores (0–10)',
 'cumulative': 'cumulative',
 'per_day': 'per day',
 'assignment_day': 'Assignment day',
 'diff_axis': 'Difference vs control (percentage points)',
 'reach_axis': 'Reached (%)',
 'step': 'Step',
 'score': 'Score',
 'share_respondents': 'Share of respondents (%)',
 'segments': 'Effect by segment',
 'deeper': 'Deeper analyses',
 'chart.stickiness': 'Stickiness: DAU/WAU by day',
 'reading.time_to_complete': '{variant}: completing takes {mean} s on average (95% CI {lo}–{hi} s, {n} users).',
 'reading.completed_before_shown': "{variant}: {n} users have a 'completed' event before their first 'shown' (a "
                                   'negative time): left out of the time to complete.',
 'reading.stickiness': 'Average DAU/WAU over complete weeks: {values} (descriptive, no test).',
 'segment': 'Segment',
 'heterogeneity': "Heterogeneity (Cochran's Q)",
 'reading.novelty.novelty': '{variant}: the daily effect shrinks over time (slope {slope} pt/day, p = {p}): a '
                            'novelty effect; judge on later days.',
 'reading.novelty.primacy': '{variant}: the daily effect grows over time (slope {slope} pt/day, p = {p}): users need '
                            'time to adapt (primacy).',
 'reading.novelty.stable': '{variant}: no trend in the daily effect (p = {p}): no sign of novelty or primacy.',
 'reading.funnel': '{variant}: {completion} of assigned users complete the {guide}; the largest drop is at step '
                   '“{step}” ({share} of those who reached it leave).',
 'funnel.completed': 'Completed',
 'reading.heterogeneity.yes': '{variant}: the effect differs between {attribute} segments (Q test p = {p}).',
 'reading.heterogeneity.no': '{variant}: no evidence that the effect differs between {attribute} segments (Q test p '
                             '= {p}).',
 'segment_warning': 'Segments are for understanding, not for picking winners: a segment chosen after looking at the '
                    'data is exploratory, and only a significant heterogeneity test supports saying the effect '
                    'differs by segment.',
 'reading.nps': '{variant}: NPS {nps} [{lo}, {hi}] from {n} answers; response rate {rate}.',
 'ledger': 'Rows read and used',
 'table': 'Table',
 'rows_read': 'Rows read',
 'rows_used': 'Rows used',
 'left_out': 'Left out',
 'reason': 'Reason',
 'rows': 'Rows',
 'example': 'Example',
 'other_findings': 'Also',
 'action.KEEP': 'Keep {arm}.',
 'action.KILL': 'Stop the guide.',
 'action.CONTINUE': 'Keep the experiment running.',
 'action.INVESTIGATE': 'Check the data before deciding.',
 'sequential_status': 'Sequential testing',
 'stop_now': "the primary metric's always-valid interval excludes zero: the experiment may be stopped now.",
 'keep_running': 'the always-valid interval still includes zero: keep the experiment running (looking daily is '
                 'fine).',
 'table_note': 'Rates are shares of users; means are per user. Lift = relative change vs control. Bold rows are '
               'significant by the method in use. Expected loss = the rate you stand to lose, on average, by '
               'choosing the variant if it is in fact worse.'}


#: Data checks by code: (name, detail).
CHECKS = {'assignments_present': ('assignments present', '{n:,} assignment rows for experiment {experiment!r} up to {as_of}'),
 'missing_user_ids': ('no missing user ids', '{n:,} assignment rows without a user_id'),
 'unknown_variants': ('variants match the spec', '{n:,} rows with a variant not in the spec ({variants})'),
 'multiple_variants': ('one variant per user',
                       '{n:,} users assigned to more than one variant (excluded from the analysis)'),
 'holdout_exposed': ('holdout saw no guide',
                     "{n:,} holdout users have a 'shown' event for a guide of this experiment"),
 'guide_never_shown': ('guide shown',
                       '{shown:,} of {n:,} users in the arms with a guide were shown it (none: the guide was never '
                       "shown, or its 'shown' events are missing from guide_events)"),
 'activity_present': ('activity present', '{n:,} rows in the activity table'),
 'before_start': ('assignments within the schedule',
                  'first assignment on {first}, before the experiment start {start}'),
 'missing_variant': ('no missing variant', '{n:,} rows without a value in {column!r} (left out)'),
 'missing_values': ('no missing values in {column}', '{n:,} empty values left out'),
 'segments_unavailable': ('segments available',
                          'the spec splits by {segments}, but there is no users table: no effect by segment is '
                          'shown'),
 'rows_exact_duplicate': ('no duplicate rows in {table}',
                          "{n:,} exact duplicate rows ({share:.2%} of this experiment's rows; threshold "
                          '{threshold:.1%}), counted once'),
 'rows_future': ('no {table} rows dated in the future',
                 '{n:,} rows dated after today ({share:.2%}; threshold {threshold:.1%}), not counted'),
 'rows_before_assignment': ('no {table} rows before assignment',
                            "{n:,} rows dated before the user's assignment ({share:.2%}; threshold {threshold:.1%}), "
                            'not counted'),
 'rows_after_analysis_date': ('no {table} rows after the analysis date',
                              '{n:,} rows dated after the analysis date, not counted'),
 'rows_out_of_range': ('{table} values in range',
                       '{n:,} rows with a value out of range ({share:.2%}; threshold {threshold:.1%}), not counted'),
 'rows_unknown_event': ('{table} event names known',
                        '{n:,} rows with an event name outside the contract ({share:.2%}; threshold '
                        '{threshold:.1%}), not counted'),
 'rows_missing_key': ('no missing keys in {table}',
                      '{n:,} rows without a user, guide, event, experiment or variant ({share:.2%}; threshold '
                      '{threshold:.1%}), not counted'),
 'rows_missing_time': ('no missing times in {table}',
                       '{n:,} rows without a timestamp ({share:.2%}; threshold {threshold:.1%}), not counted'),
 'rows_duplicate_user': ('one row per user in {table}',
                         '{n:,} further rows of users already listed ({share:.2%}; threshold {threshold:.1%}); the '
                         'first row per user is used')}


#: Why rows were left out, by code.
LEDGER_REASONS = {'exact_duplicate': 'exact duplicate (counted once)',
 'other_experiment': "another experiment's assignment",
 'other_guide': 'a guide not in this experiment',
 'not_in_experiment': 'user not assigned to this experiment',
 'before_assignment': "dated before the user's assignment",
 'after_analysis_date': 'dated after the analysis date',
 'future': 'dated in the future (after today)',
 'missing_key': 'missing user, guide, event, experiment or variant',
 'missing_time': 'missing timestamp',
 'unknown_variant': 'variant not in the spec',
 'multiple_arms': 'user in several arms',
 'repeated_assignment': 'later assignment of the same user and arm (the first counts)',
 'unknown_event': 'event name outside the contract',
 'out_of_range': 'value out of range (score, step)',
 'duplicate_user': 'further row of a user already listed'}


#: The methods paragraph of the report ({alpha}, {mde}).
METHODS = ('Each metric is a share of users. Differences use a Wald interval with unpooled variance; the relative lift uses a '
 'log-ratio interval; p-values are two-sided Wald tests consistent with the difference interval. The primary metric '
 'is pre-registered; p-values are Holm-adjusted across arms (primary) and across arms and metrics (secondary); '
 "guardrails are not adjusted. The sample-ratio check is a chi-square test against the spec's weights (flagged below "
 "p = 0.001). Day-N metrics count only users whose day N has ended by the data date, in the experiment's time zone. "
 'Significance level α = {alpha}; target effect (MDE) {mde}.')


#: The portfolio index.
PORTFOLIO = {'heads': ['Experiment',
           'Verdict per arm: primary lift (interval the verdict used)',
           'Primary metric',
           'Dates · data as of',
           'Reports'],
 'title': 'Guide experiments portfolio',
 'count': 'Experiments',
 'failed': 'failed',
 'notebook': 'executed notebook',
 'sequential': 'sequential 95% CS',
 'fixed': '95% CI',
 'overall': 'Overall',
 'as_of': 'data as of'}


#: The guide preview page and its mock app.
PREVIEW = {'lang_name': 'English',
 'holdout': 'No guide is shown in this variant (holdout).',
 'nps_low': 'Not at all likely',
 'nps_high': 'Extremely likely',
 'rating': '{n} of 5 stars',
 'control': 'control',
 'variant': 'Variant',
 'step': 'step',
 'no_guide': 'no guide',
 'nav1': 'Dashboard',
 'nav2': 'Projects',
 'nav3': 'Members',
 'nav4': 'Settings',
 'search': 'Search',
 'new_project': '+ New project',
 'title': 'Guide preview',
 'note': 'Static preview: buttons do nothing; a link button shows its URL on hover.',
 'target': 'target',
 'placement': 'placement',
 'button.back': 'Back',
 'button.next': 'Next',
 'button.complete': 'Done'}


#: The Slack message.
NOTIFY = {"open_report": "Open the report"}


#: The programme section of the portfolio page: every guide together against the holdout, and
#: the interaction check between experiments that ran at the same time.
PROGRAMME = {
    "title": "The guide programme against its holdout",
    "intro": ("{share} of users are held out of every experiment (programme {programme}). Compared: "
              "{n_programme:,} users of the programme group and {n_holdout:,} of the holdout, from their first "
              "guide experiment on; {n_exposed:,} of the programme group ({exposed_share}) were assigned to a "
              "guide arm. Data as of {as_of}."),
    "heads": ["Metric", "Holdout", "Programme group", "Difference (95% CI)", "Relative (95% CI)",
              "Per exposed user (95% CI)"],
    "method": ("The programme group and the holdout are split by the hash, so their difference is the effect of "
               "the whole programme on every user it reached (intent to treat; Miettinen–Nurminen score "
               "intervals). No holdout user can see a guide, so the effect per exposed user is that difference "
               "divided by the share exposed (Bloom 1984), the share taken as known."),
    "left_out": "Left out of the comparison: {reasons}.",
    "reason.unknown_arm": "{n:,} with an arm other than holdout or programme",
    "reason.multiple_arms": "{n:,} recorded in both arms",
    "reason.holdout_assigned": "{n:,} holdout users with a guide-arm assignment (the holdout leaked)",
    "reason.arm_not_hash": "{n:,} whose recorded arm is not the holdout hash's",
    "without_row": "{n:,} users assigned to an experiment have no programme row and are not compared.",
    "no_data": "No programme data: expected the folder {path}.",
    "failed": "The programme report could not be computed: {error}",
    "interactions": "Interactions between experiments that ran at the same time",
    "int_method": ("For each pair of experiments with overlapping schedules outside one namespace, in both "
                   "directions: does the effect of one on its primary metric depend on the arm of the other? "
                   "Wald test of the differences of differences on the users in both, Holm-corrected across "
                   "all {k} tests at {alpha}."),
    "int_heads": ["Effect of", "by arm of", "Primary metric", "Difference of differences", "p (Holm)", ""],
    "int_none": "No two experiments ran at the same time on shared users.",
    "flag": "⚠ interaction",
    "no_flag": "none found",
    "int_status.not_a_proportion": "primary metric is not a rate: not checked",
    "int_status.no_shared_users": "no users in both",
    "int_status.not_enough_data": "a cell without users",
    "interacts_with": "⚠ Interacts with {others} (programme check)",
}
