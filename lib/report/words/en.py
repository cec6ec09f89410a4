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
 'reading.by_account': 'Randomised by account: the intervals and tests of {adjusted} count accounts as the '
                       'independent units (delta method on per-account sums).',
 'reading.by_account.not_adjusted': 'Not adjusted for accounts (user-level, read with care): {not_adjusted}.',
 'analysis.retention_curve': 'the retention curve',
 'analysis.daily': 'the daily effects and novelty test',
 'analysis.funnels': 'the funnels',
 'analysis.segments': 'the segments',
 'analysis.surveys': 'the survey scores',
 'analysis.time_to_goal': 'the intervals of the time-to-goal curves (Kaplan-Meier)',
 'analysis.log_rank': 'the time-to-goal test (log-rank)',
 'analysis.time_to_complete': 'the time to complete',
 'analysis.stickiness': 'DAU/WAU (descriptive)',
 'analysis.survey_response_rate': 'the survey response rate (no interval shown)',
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
NOTIFY = {"headline": "{symbol} {verdict}: {name} ({experiment})",
          "open_report": "Open the report"}


#: The verdict's reasons, by reason code (guidelab.decision.REASON_CODES); a code's variants
#: (``code.variant``) and the pieces a reason is built from. Numbers arrive already formatted.
REASONS = {
    'srm': 'Sample ratio mismatch: {p} (threshold {threshold}); assignment or logging may be broken.{planned}',
    'srm.split_assumed': ' The split tested against is an assumed equal split ({split}); pass --weights if the '
                         'planned split differs.',
    'srm.split_planned': ' Planned split: {split}.',
    'data_check_failed': 'Data check failed: {check}.',
    'can_stop': ' The always-valid (sequential) interval excludes zero: you may stop now.',
    'primary_better': '{variant} raised {metric} from {control_value} to {value}, {lift} [{ci}], {p}.{stop}',
    'primary_worse': '{variant} lowered {metric} from {control_value} to {value}, {lift} [{ci}], {p}.',
    'guardrail_harmed': '{variant} harmed the guardrail {metric}: {control_value} → {value} ({p}).',
    'guardrail_harmed.bound': '{variant} harmed the guardrail {metric}: {control_value} → {value}; the always-valid '
                              'lower bound of the harm, {lower}, is beyond the tolerated {margin}.',
    'guardrail_harmed.ceiling': '{variant} harmed the guardrail {metric}: {value}, shown above its ceiling of '
                                '{ceiling} (always-valid lower bound {lower}).',
    'guardrail_not_shown_safe': '{variant}: the guardrail {metric} is not yet shown safe: {control_value} → {value}, '
                                'the harm could still be {upper} (upper bound), beyond the tolerated {margin}; keep '
                                'it only once that bound is inside the margin.',
    'guardrail_not_shown_safe.ceiling': '{variant}: the guardrail {metric} is not yet shown below its ceiling of '
                                        '{ceiling} ({value}, upper bound {upper}); keep it only once it is.',
    'guardrail_needs_ceiling': 'The guardrail {metric} only happens when a guide is shown and the control shows none, '
                               'so it cannot be compared with the control: declare its highest acceptable rate in '
                               'guardrail_ceilings.',
    'progress': '{variant}: {share} of the planned sample reached ({n_control} of {planned_control} users in the '
                'control, {n_treatment} of {planned_treatment} in {variant}); efficacy is judged once the planned '
                'sample is reached{when} Harm is checked at every look.{late}',
    'progress.when': ' (decision look expected on {date}, {days}).',
    'progress.no_date': '.',
    'progress.late': ' That is after the scheduled end ({end}): extend the schedule, or the experiment ends without '
                     'a decision.',
    'awaiting_plan': "{variant}: no planned sample can be worked out from the control's {metric}, so efficacy is not "
                     'judged yet: declare a baseline or planned_users in the spec.',
    'planned_reached_inconclusive': '{variant}: the planned sample is reached and {metric} is inconclusive ({lift}, '
                                    '{ci}): the target effect is not ruled out.',
    'win_below_mde': "{variant}'s win ({lift}) is significant but smaller than the target effect of {mde}.",
    'best_vs_runner_up': '{variant} is not shown better than the runner-up {runner_up} on {metric} ({lift}, {ci}).',
    'best_vs_runner_up.significant': '{variant} also beats the runner-up {runner_up} on {metric} ({lift}, {ci}).',
    'futile': '{variant}: the interval for the lift in {metric} ({ci}) rules out the target effect of {mde}; it is '
              'not worth running longer.',
    'inconclusive': '{variant}: {metric} is not conclusive yet ({lift}, {ci}); at the current traffic it needs '
                    '{days}.',
    'not_enough_data': '{variant}: not enough data yet for {metric}.',
}


#: Forms of numbers, dates and lists in running text, and the sentences on the verdict rule.
FORMS = {
    'pt': '{x} pt',
    'p.adjusted': 'adjusted p {rel}',
    'ci': '{level}% CI {lo} to {hi}',
    'ci.sequential': 'always-valid {level}% CI {lo} to {hi}',
    'list.separator': ', ',
    'date': '{date.day} {date:%b} {date.year}',
    'days.unknown': 'an unknown number of days',
    'days.one': 'about {days} more day',
    'days.other': 'about {days} more days',
    'mode.fixed': 'fixed',
    'mode.sequential': 'sequential',
    'rule.sequential': 'The verdict is sequential: efficacy, futility and harm are judged at every look on '
                       'always-valid intervals, so the experiment may stop early; a guide is kept only once every '
                       'guardrail is shown inside its margin (non-inferiority).',
    'rule.fixed': 'The verdict is fixed-horizon: efficacy and futility are judged once the planned sample is reached '
                  "(alpha/k across arms, the arms' weights, the metric's direction and maturation); before that it "
                  'continues with the progress, while harm to the primary metric or a guardrail is checked at every '
                  'look on always-valid intervals; a guide is kept only once every guardrail is shown inside its '
                  'margin (non-inferiority).',
    'oc': 'This rule keeps a useless guide in {rate} of experiments, read daily, measured on {n} simulations ({mode} '
          'mode).',
}


#: Notes on statistics results, by note code (guidelab.stats.notes.NoteCode); ``code.<value>`` is
#: the form of a code for one value of its ``arms`` parameter, ``<param>.<value>`` the word for a
#: parameter's value (a list parameter is a list of such values).
NOTES = {
    'arms.treatment': 'treatment arm has',
    'arms.control': 'control arm has',
    'arms.both': 'treatment and control arms have',
    'estimate.rate': 'rate',
    'estimate.mean': 'mean',
    'estimate.ratio': 'ratio',
    'estimate.adjusted_mean': 'adjusted mean',
    'figures.chance_to_beat': 'chance to beat control',
    'figures.expected_loss': 'expected loss',
    'figures.expected_loss_control': 'expected loss of the control',
    'missing.estimate': 'estimate',
    'missing.relative_lift': 'relative lift',
    'missing.standard_error': 'standard error',
    'no_users': '{arms} no users',
    'no_respondents_in_arm': '{arms} no respondents',
    'too_few_users': '{arms} fewer than 2 users: variance undefined',
    'too_few_users_unadjusted': '{arms} fewer than 2 users: variance undefined (estimates are unadjusted means)',
    'too_few_accounts': '{arms} fewer than 2 accounts: the between-account variance is undefined',
    'zero_denominator': '{arms} a zero denominator sum: ratio undefined',
    'prior_only': '{arms} no users: its posterior is the prior, so the figures reflect the prior only',
    'prior_only.both': '{arms} no users: their posteriors are the prior, so the figures reflect the prior only',
    'zero_variance_both_arms': 'both arms have zero variance (every value identical within each arm): no sampling '
                               'variability to test against',
    'zero_variance_ratio': "the delta-method variance is 0 in both arms (every user's numerator is exactly R times "
                           'their denominator): no sampling variability to test against',
    'zero_variance_outcome': 'the outcome has zero variance in both arms (every value identical within each arm): no '
                             'sampling variability to test against',
    'zero_variance_accounts': "every account's mean equals its arm's mean in both arms (zero between-account "
                              'variance): no sampling variability to test against',
    'relative_lift_undefined_control_rate_zero': 'control rate is 0: relative lift undefined',
    'control_zero': 'control {estimate} is 0: relative lift undefined',
    'control_mean_zero_unadjusted': 'the control mean is 0: relative lift undefined',
    'negative_estimate': 'a {estimate} is negative: the log ratio is undefined, so rel_ci and se_log_ratio are None',
    'treatment_zero': 'treatment {estimate} is 0: relative lift is -100% and its log-ratio interval is undefined',
    'log_ratio_variance_zero': 'the log-ratio variance is 0 or undefined: relative-lift interval undefined',
    'control_not_distinguishable_from_zero': 'the control mean is not distinguishable from 0 (its interval contains '
                                             '0): the interval of the relative lift is unbounded (Fieller)',
    'exact_test': 'small expected counts: p_value is the larger of the score and Fisher exact p-values',
    'interval_widened_to_exact_test': 'the exact test does not reject, so the intervals are widened to reach 0',
    'covariate_no_variance': 'the covariate has zero variance within both arms (no information): no adjustment, '
                             'unadjusted comparison reported (theta 0, variance_reduction 0)',
    'covariate_perfect_fit': 'the covariate explains the outcome exactly in both arms (zero residual variance): the '
                             'adjusted SE would be a spurious 0, so the unadjusted comparison is reported',
    'integration_inaccurate': 'numerical integration did not reach 1e-9: {figures} not reported',
    'credible_upper_unbounded': 'the control posterior is concentrated at 0: the upper bound of the relative lift '
                                "exceeds exp(690) and is not representable, credible interval None (use "
                                "scale='absolute')",
    'credible_inaccurate': 'the credible interval could not be computed to the required accuracy',
    'credible_lower_clamped': 'the treatment posterior is concentrated at 0: the lower bound of the relative lift is '
                              '-1 to double precision',
    'control_no_successes': 'no successes in the control: a lift relative to it is undefined',
    'days_without_matured_users': 'no matured users on day(s) {days}: skipped',
    'no_days': 'no days',
    'days_in_one_curve': 'day(s) in only one curve, left out: {days}',
    'no_step_loses_users': 'no step loses any users',
    'funnel_empty': 'no users entered the funnel',
    'steps_without_users': 'no users before step(s) {steps}: conversion undefined',
    'days_with_empty_arm': 'days with an empty arm: {days}',
    'days_skipped': 'skipped {n} day(s) with an empty arm or zero variance',
    'too_few_days': 'the trend test needs at least 3 usable days, got {n}',
    'effects_on_a_line': 'the daily effects lie exactly on a line (residual variance 0): no test possible',
    'shown_not_given': 'shown not given: response rate undefined',
    'nobody_shown': 'nobody was shown the survey: response rate undefined',
    'no_respondents': 'no respondents',
    'one_group': 'every respondent is in the same group (all promoters, all passives or all detractors) so the '
                 'trinomial standard error is 0: the interval and p-value use one pseudo-respondent added to each of '
                 'the three groups',
    'one_group_per_arm': 'in each arm every respondent is in one group so the trinomial standard error of the '
                         'difference is 0: se, ci and p_value use one pseudo-respondent added to each group of each '
                         'arm',
    'segment_left_out_no_users': 'left out of the heterogeneity test: {segment}: {arms} no users',
    'segment_left_out_few_accounts': 'left out of the heterogeneity test: {segment}: {arms} fewer than 2 accounts',
    'segment_left_out_zero_variance': 'left out of the heterogeneity test: {segment}: every rate is 0 or 1 (zero '
                                      'variance)',
    'too_few_segments': 'heterogeneity test needs at least 2 usable segments, got {n}',
    'no_units': 'no units observed yet (n = 0)',
    'missing_input': 'the {missing} is missing',
    'infinite_standard_error': 'the standard error is infinite',
    'zero_standard_error': 'the standard error is 0 (no variation in the data, e.g. every rate is 0 or 1): no '
                           'always-valid interval, keep collecting data',
    'log_ratio_undefined': 'relative lift is -100% or less: its log-ratio interval is undefined',
    'not_enough_data_sequential': 'not enough data for a sequential interval',
    'life_table_empty': 'no users in the life table',
    'no_events': 'no events: S = 1 throughout and the median is not reached',
    'survival_reaches_zero': "S reaches 0 on day {day} (everyone left had the event): Greenwood's variance is "
                             'undefined from then on, so se and the CI are None',
    'median_not_reached': 'S never falls to 0.5: median not reached',
    'variants_left_out': 'left out of the test (no users at risk on any event day): {variants}',
    'no_events_in_any_variant': 'no events in any variant: nothing to compare',
    'too_few_variants_at_risk': 'fewer than two variants with users at risk on an event day',
    'logrank_variance_zero': 'the log-rank variance is 0 (every user at risk on each event day had the event, e.g. '
                             'all on one day): no information to compare the variants',
}


#: The experiment plan (guidelab plan, PlanResult.to_text) and its notes (``note.<code>``:
#: guidelab.plan.PlanNoteCode; ``{metric_label}`` is the metric's label in this language).
PLAN = {
    'title': 'Experiment plan: {name} ({experiment})',
    'metric_line': 'Primary metric: {metric}; baseline {baseline}; MDE {mde} relative ({baseline} -> {target})',
    'split': ', split over {k} comparisons: {alpha_c:.4g} each (Bonferroni; conservative for the Holm adjustment used '
             'in the analysis)',
    'alpha_line': 'alpha {alpha:g}{split}; power {power}',
    'traffic_line': 'Traffic: {daily} users/day x coverage {coverage} = {enrolled:,.1f} enrolled/day',
    'head.fixed': 'fixed horizon',
    'head.sequential': 'sequential (look daily, N*={tuning})',
    'row.per_arm': 'Users per arm (equal split)',
    'row.arm': 'Users needed: {arm} ({role}, {weight})',
    'role.control': 'control',
    'role.treatment': 'treatment',
    'row.users': 'Users in the experiment',
    'row.enrollment': 'Enrollment days',
    'row.maturation': '+ metric maturation ({metric})',
    'row.days': 'Days to decision',
    'row.mde': 'MDE detectable in {days} days (relative)',
    'not_detectable': 'not detectable',
    'notes': 'Notes:',
    'note.bonferroni': '{k} treatments are each compared with the control, so each comparison is planned at alpha/{k} '
                       "= {alpha_c:.4g} (Bonferroni). The analysis uses Holm's adjustment, which is never less "
                       'powerful, so these numbers are conservative.',
    'note.lower_is_better': '{metric} should go down, so the plan detects a relative decrease of {mde:.1%}.',
    'note.unequal_weights': 'Arms have unequal weights: each comparison is planned at its real split, and the '
                            'experiment needs max over arms of (users the arm needs / its weight) users in total.',
    'note.maturation': '{metric_label} is known {lag} days after assignment: {lag} days of maturation are added to the '
                       'enrollment days, and a decision on day D counts users enrolled in the first D - {lag} days.',
    'note.sequential': 'Sequential: {method}, tuning N* = {tuning} users. Its interval is valid at every look, so the '
                       'team may check daily and stop as soon as it excludes 0; the column shows the horizon at which '
                       'it reaches the planned power, and a larger true effect stops earlier.',
    'note.schedule': 'The spec enrolls for {run} days ({start} to {end}); the fixed-horizon plan needs '
                     '{enroll_fixed:.1f} and the sequential plan {enroll_sequential:.1f} enrollment days.',
    'note.schedule_too_short': 'The spec enrolls for {run} days ({start} to {end}); the fixed-horizon plan needs '
                               '{enroll_fixed:.1f} and the sequential plan {enroll_sequential:.1f} enrollment days (the '
                               'schedule is too short for the fixed-horizon plan).',
    'note.nothing_matured': 'No users have matured by day {days} (the metric needs {lag} days): nothing is detectable.',
    'note.too_few_users': 'Too few users by day {days} to detect any effect with the planned power.',
}


#: Why a user would (not) see a guide (guidelab eligible: guidelab.eligibility.EligibilityCode and
#: guidelab.throttle.ThrottleCode); ``times``, ``guides`` and ``gap`` are this file's forms below.
ELIGIBILITY = {
    'times.one': '{n} time',
    'times.other': '{n} times',
    'guides.one': '{n} guide',
    'guides.other': '{n} guides',
    'gap.minutes': '{minutes:.0f} min',
    'gap.hours': '{hours:.1f} h',
    'outside_coverage': 'assignment: not in the experiment (outside its {coverage:.0%} coverage)',
    'programme_holdout': 'assignment: in the programme holdout of {programme} ({share:.2%} of users see no guide of any experiment)',
    'programme_holdout_account': 'assignment: {unit} {value} is in the programme holdout of {programme} ({share:.2%} of accounts see no guide of any experiment)',
    'programme_missing_unit': 'assignment: no {unit}: programme {programme} holds out by {unit}, and a user without one sees no guide of any experiment',
    'outside_coverage_or_empty_id': 'assignment: not in the experiment (outside its {coverage:.0%} coverage, or an '
                                    'empty user id)',
    'holdout': 'assignment: holdout: variant {variant!r} shows no guide',
    'assigned': 'assignment: variant {variant!r} shows guide {guide}',
    'experiment_not_started': 'schedule: the experiment starts on {start} ({timezone}); it is {local} there',
    'experiment_ended': 'schedule: the experiment ended on {end} ({timezone}); it is {local} there',
    'experiment_live': 'schedule: the experiment is live ({start} to {end}, {timezone})',
    'experiment_live_open': 'schedule: the experiment is live ({start} to open, {timezone})',
    'guide_no_schedule': 'schedule: guide {guide} has no schedule of its own',
    'guide_live': 'schedule: guide {guide} is live',
    'guide_not_started': 'schedule: guide {guide} starts at {start}; it is {local}',
    'guide_ended': 'schedule: guide {guide} ended at {end}; it is {local}',
    'targeting_failed': 'targeting: {condition}',
    'targeting_matched': 'targeting: matched',
    'no_targeting': 'targeting: none (everyone)',
    'no_page_view': 'trigger: no page view (the guide shows on pages {pattern})',
    'page_matches': 'trigger: page {page} matches {pattern}',
    'page_does_not_match': 'trigger: page {page} does not match {pattern}',
    'no_event': 'trigger: no event fired (the guide shows on event {event})',
    'event_fired': 'trigger: event {event} fired',
    'other_event': 'trigger: event {fired} is not {event}',
    'first_session': "trigger: this is the user's first session",
    'not_first_session': "trigger: not the user's first session (the guide shows in the first session only)",
    'delay': 'trigger: show after a delay of {seconds:g} s',
    'goal_reached': 'frequency: until_goal, and the user already reached the goal ({event})',
    'stop_event': 'frequency: stop event {event} already happened',
    'once_shown': 'frequency: once, and already shown {times}',
    'interacted': 'frequency: until_interacted, and the user already interacted with it',
    'max_total': 'frequency: already shown {times} (max_total {max})',
    'max_per_day': 'frequency: already shown {times} today (max_per_day {max})',
    'min_hours_between': 'frequency: last shown {hours:.1f} h ago (min_hours_between {min})',
    'frequency_ok': 'frequency: {mode}, shown {times} before ({today} today)',
    'throttle_exempt': 'throttle: exempt from caps and gaps',
    'throttle_priority': 'throttle: {winner} (priority {priority}) is shown instead; only the highest priority shows '
                         'at once',
    'throttle_cap': 'throttle: {guides} already shown in the last {period_hours:g} h (max {max})',
    'throttle_gap': 'throttle: last guide shown {gap} ago (min gap {min_gap_minutes:g} min)',
    'throttle_allowed': 'throttle: allowed ({count} of {max} shown in the last {period_hours:g} h)',
}


# --- Randomisation by account (issue 14): new keys, kept here to ease merging. ---
CHECKS['rows_missing_unit'] = (
    'every assigned user has the randomisation unit in {table}',
    "{n:,} rows of users without the unit attribute (e.g. account_id) ({share:.2%}; threshold {threshold:.1%}), "
    'not counted: GrowthBook never enrols them')
LEDGER_REASONS['missing_unit'] = 'user without the randomisation unit (e.g. account_id)'
WORDS.update({
    'cluster.title': 'Randomised by account',
    'cluster.intro': 'Whole accounts were randomised (unit: {unit}): users of one account see the same arm and '
                     'behave alike, so every metric is analysed with account-level variance (the delta method on '
                     'per-account sums), not as if users were independent.',
    'cluster.accounts': 'Accounts',
    'cluster.mean_size': 'Users per account',
    'cluster.accounts_tc': 'Accounts (arm / control)',
    'cluster.icc': 'ICC',
    'cluster.design_effect': 'Design effect',
    'cluster.design_effect_icc': 'Design effect from ICC',
    'cluster.effective_accounts': 'Effective accounts',
    'cluster.p_naive': 'p if users were independent',
    'cluster.note': 'ICC: intra-class correlation of the metric within accounts. Design effect: the variance of '
                    'the difference divided by what it would be if users were independent (observed, and '
                    '1 + (Σn²/N − 1)·ICC from the ICC and the account sizes). Effective accounts below about 15 '
                    'mean a few large accounts dominate and every interval is too narrow. The last column is the '
                    'naive user-level test, shown for comparison only: the verdict uses the account-level one.',
})

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
    "reason.missing_unit": "{n:,} without a {unit} (the holdout hashes it)",
    "intro_accounts": ("{share} of accounts are held out of every experiment (programme {programme}, by {unit}: "
                       "every user of a held-out account sees no guide). Compared: {n_programme:,} users in "
                       "{k_programme:,} accounts of the programme group and {n_holdout:,} users in {k_holdout:,} "
                       "accounts of the holdout, from their first guide experiment on; {n_exposed:,} of the programme "
                       "group ({exposed_share}) were assigned to a guide arm. Data as of {as_of}."),
    "heads_accounts": ["Metric", "Holdout", "Programme group", "Difference (95% CI)", "Relative (95% CI)",
                       "Per exposed user (95% CI)", "Clustering"],
    "rate_accounts": "{rate} ({users:,} users, {accounts:,} accounts)",
    "clustering": "ICC {icc}, design effect {design_effect}, effective accounts {effective}; p {p} (if users were "
                  "independent: {p_naive})",
    "method_accounts": ("Whole accounts are held out, and users of one account are correlated, so the difference is "
                        "tested on per-account sums with cluster-robust variance (the account-level delta method, "
                        "Deng, Knoblich & Lu 2018, with a small-sample factor; Fieller's interval for the relative "
                        "difference). The ICC and the design effect say how much clustering costs; the p-value as if "
                        "users were independent is shown for comparison only. No holdout user can see a guide, so the "
                        "effect per exposed user is the difference divided by the share exposed (Bloom 1984), the "
                        "share taken as known."),
    "without_row": "{n:,} users assigned to an experiment have no programme row and are not compared.",
    "no_data": "No programme data: expected the folder {path}.",
    "failed": "The programme report could not be computed: {error}",
    "interactions": "Interactions between experiments that ran at the same time",
    "int_method": ("For each pair of experiments with overlapping schedules outside one namespace, in both "
                   "directions: does the effect of one on its primary metric depend on the arm of the other? "
                   "Wald test of the differences of differences on the users in both, Holm-corrected across "
                   "all {k} tests at {alpha}. When either experiment randomises accounts, and for a ratio "
                   "metric, the variance is cluster-robust by account (by user for a ratio) with a "
                   "small-sample F reference."),
    "int_heads": ["Effect of", "by arm of", "Primary metric", "Difference of differences", "p (Holm)", ""],
    "int_none": "No two experiments ran at the same time on shared users.",
    "flag": "⚠ interaction",
    "no_flag": "none found",
    "int_status.units_differ": "the two experiments randomise different attributes: not checked",
    "int_status.no_unit_column": "the other experiment's randomisation attribute is in neither assignments nor users",
    "int_status.not_checked_kind": "this kind of primary metric is not checked",
    "int_by_unit": " (variance by {unit})",
    "int_status.zero_variance": "the metric does not vary in these cells",
    "int_status.no_shared_users": "no users in both",
    "int_status.not_enough_data": "a cell without users",
    "interacts_with": "⚠ Interacts with {others} (programme check)",
}
PLAN.update({
    'row.accounts': 'Accounts in the experiment',
    'clustering.line': "Randomised by account: design effect {design_effect:.2f}{source}, applied to every arm's users.",
    'clustering.source': ' (ICC {icc:g}, {size:g} users per account, size CV {cv:g})',
    'note.accounts_without_icc': '{experiment} is randomised by {unit}, but no ICC or design effect was given: these '
                                 'numbers assume independent users and are too small. Give --icc with '
                                 '--mean-account-size (and --cv-account-size), or --design-effect (a report of an '
                                 'earlier experiment shows both).',
})


# --- Capping and post-stratification (issue 15): new keys, kept here to ease merging. ---
CHECKS['adjust_for_unavailable'] = (
    'attributes for post-stratification available',
    'the spec post-stratifies on {attributes} (statistics.adjust_for), but there is no users table: the metrics '
    'are not post-stratified')
WORDS.update({
    'adjust.title': 'Capping and variance reduction',
    'adjust.intro': 'Post-stratified on {attributes}, attributes known at assignment: each arm\'s estimate is '
                    'the mean of its per-stratum means weighted by the strata\'s shares of users, which removes '
                    'the variance between strata (new users have no pre-period for CUPED).',
    'adjust.intro_cuped': 'Post-stratified on {attributes}, attributes known at assignment, with CUPED applied '
                          'within strata: each arm\'s estimate is the mean of its per-stratum means (adjusted by '
                          'the pre-period activity) weighted by the strata\'s shares of users.',
    'adjust.intro_capping': 'Capped metrics count each user\'s value above the cap as the cap (winsorisation), '
                            'the same cap in every arm: the comparison is of capped means, less sensitive to a '
                            'few heavy users.',
    'adjust.cap': 'Cap',
    'adjust.rule_quantile': 'p{q} of all users',
    'adjust.rule_value': 'declared',
    'adjust.capped_share': 'Users capped (arm / control)',
    'adjust.variance_reduction': 'Variance reduction',
    'adjust.strata': 'Strata',
    'adjust.collapsed': '{k} small strata pooled, {n} users',
    'adjust.ci_unadjusted': 'Difference CI without adjustment',
    'adjust.note': 'Variance reduction: 1 − the variance of the adjusted difference over that of the plain '
                   'difference of means (Miratrix, Sekhon & Yu 2013); the key metrics above use the adjusted '
                   'difference. Strata with fewer than 10 users in an arm are pooled. Cap: the quantile over '
                   'every analysed user, arms pooled, or the declared value.',
})


# --- Quantile metrics (issue 15, item 1): new keys, kept here to ease merging. ---
NOTES.update({
    'estimate.quantile': 'quantile',
    'quantile_too_few_users': '{arms} too few users for an interval of this percentile',
    'quantile_not_reached': 'not reached by {percentile}% of users ({arms} too few users reaching the event): the '
                            'quantile is not defined',
    'quantile_not_reached.treatment': 'not reached by {percentile}% of users in the treatment arm: its quantile is '
                                      'not defined',
    'quantile_not_reached.control': 'not reached by {percentile}% of users in the control arm: its quantile is not '
                                    'defined',
    'quantile_not_reached.both': 'not reached by {percentile}% of users in either arm: the quantile is not defined',
    'quantile_upper_unbounded': '{arms} too few users reaching the event for an upper bound (users who never '
                                'reached it count as later than any): the difference interval is not computed',
    'quantile_tied': "both arms' intervals lie inside one tied value (whole days or counts): no spread to measure, "
                     'the difference interval is not computed',
})
WORDS.update({
    'quantile.title': 'Percentiles',
    'quantile.arm': 'Arm (95% CI)',
    'quantile.control': 'Control (95% CI)',
    'quantile.reached': 'Reached the event (arm / control)',
    'quantile.diff': 'Difference (95% CI)',
    'quantile.rel': 'Relative (95% CI)',
    'quantile.not_reached': 'not reached by {percentile}% of users',
    'quantile.censored': "Users who never reached the event within the metric's window count as later than any "
                         'value (censored at the end of the window), so the groups compared stay the randomised '
                         'ones; a percentile is shown only when more users than that share reached the event, '
                         'otherwise “not reached by p% of users”.',
    'quantile.reachers': "Only users who reached the event within the metric's window count (the spec's "
                         'statistics.quantile_never_reached: reachers): the percentile among them. A guide that '
                         'changes who reaches the event changes this group, so the comparison is descriptive, not '
                         'randomised.',
    'quantile.method': "Each arm's 95% interval is the outer interval on ranks of Deng, Knoblich & Lu (2018): the "
                       'values at ranks np ± z√(np(1−p)), rounded outward. The difference and the relative '
                       "difference use the delta method with each arm's standard error read from the width of its "
                       'interval, (upper − lower)/(2z). Computed in SQL from the users per arm and the values at '
                       'three ranks.',
})
