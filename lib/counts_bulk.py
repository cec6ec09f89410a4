"""``guidelab analyze-counts --jsonl`` on many groups: the statistics of a block of groups at once.

:func:`guidelab.counts_table.analyze_counts_table` analyses one (experiment, look) group at a time
through the one analysis of sufficient statistics and writes its line from the result objects.
That costs ~0.7 ms a group, most of it in building and walking objects, not in statistics. This
module writes the SAME lines (byte for byte, ``tests/test_counts_bulk.py``) for blocks of groups:

* every comparison of the block by :func:`guidelab.stats.proportions.compare_proportions_many`,
  the always-valid halfwidths by the sequential module's own array kernel
  (:func:`guidelab.stats.sequential._halfwidth_array`), one call per metric and family size;
* per group, the few remaining scalar steps in the order the per-group path takes them (Holm by
  :func:`guidelab.stats.multiplicity.adjust`, the plan by
  :func:`guidelab.stats.power.control_users_fixed`, the SRM statistic term by term and
  ``scipy.special.chdtrc``), and the verdict by THE rule, :func:`guidelab.decision.decide`, on
  the same :class:`~guidelab.decision.ComparisonView` and :class:`~guidelab.decision.Progress`
  values the per-group path builds;
* the line from a template of its shape: numbers written as ``json`` writes them (``repr``), the
  verdict from its own JSON form.

A group outside what the block path covers (an arm without users, a standard error of 0 or read
from an interval, a bound that is not finite, a zero weight, a control rate of 0 or 1 without
``--planned-users`` (no plan), a guardrail margin relative to the control, more than 7 variants,
the Bayesian view) is analysed by the per-group path: same bytes, only slower. :data:`STATS`
counts both kinds of group in this process.
"""
from __future__ import annotations

import dataclasses
import json
import math
from typing import Any, Callable, Iterator, Sequence

import numpy as np
from scipy.special import chdtrc

from .counts_table import (
    _LINE_ENCODER,
    CountsOptions,
    CountsTable,
    analyze_sufficient_counts,
    group_json_line,
)
from .decision import (
    ComparisonView,
    Decision,
    Progress,
    _days_json,
    decide,
    default_guardrail_margin,
)
from .metrics import ProportionCounts
from .report.words import reason_text
from .stats._common import check_alpha, z_two_sided
from .stats.multiplicity import adjust
from .stats.notes import notes_json
from .stats.power import _z_power, control_users_fixed, sequential_control_users_many, treatment_users
from .stats.proportions import compare_proportions_many
from .stats.sequential import METHOD as SEQUENTIAL_METHOD
from .stats.sequential import _halfwidth_array

__all__ = ["BLOCK_GROUPS", "STATS", "bulk_json_lines", "bulk_json_lines_parallel", "bulk_json_text_parallel"]

BLOCK_GROUPS = 4096
#: groups written by the block path and by the per-group path (this process), for tests and benchmarks
STATS = {"block": 0, "per_group": 0}

_text: Callable[[str], str] = json.encoder.encode_basestring  # type: ignore[attr-defined]  # json's own, as the encoder uses it
_float_repr = float.__repr__
_int_repr = int.__repr__


def _maker(cls: type) -> Callable[..., Any]:
    """A constructor of the frozen dataclass ``cls`` from ALL its fields, in order, without its
    ``__init__`` (one ``object.__setattr__`` per field: more than the statistics of a view)."""
    names = tuple(f.name for f in dataclasses.fields(cls))
    new = object.__new__

    def make(*values: Any) -> Any:
        if len(values) != len(names):
            raise TypeError(f"{cls.__name__}: expected {len(names)} values, got {len(values)}")
        obj = new(cls)
        obj.__dict__.update(zip(names, values))
        return obj
    return make


_new_view = _maker(ComparisonView)
_new_progress = _maker(Progress)


class _PerGroup(Exception):
    """This group leaves the block path: analyse it by the per-group path."""


def _f(x: float) -> str:
    """A finite float as ``json`` writes it (non-finite: the group goes to the per-group path)."""
    if x - x != 0.0:  # NaN or infinity
        raise _PerGroup
    return _float_repr(x)


def _fn(x: float | None) -> str:
    return "null" if x is None else _f(float(x))


def _b(x: bool) -> str:
    return "true" if x else "false"


class _Run:
    """What every group of one run shares: the options resolved once."""

    def __init__(self, options: CountsOptions, fallback_name: str):
        from .analysis import PROPORTION_METHOD, _normal_quantile, _statistics_json

        self.o = options
        self.fallback_name = fallback_name
        st = options.statistics
        self.ok = not st.bayesian and not st.cuped
        self.mode = "sequential" if st.sequential else "fixed"
        self.sequential = st.sequential
        self.tuning = st.sequential_tuning
        self.tuning_json = _LINE_ENCODER.encode(st.sequential_tuning)
        self.correction = st.correction
        self.alpha = options.alpha
        self.mde = options.mde
        self.primary = options.metrics[0]
        self.secondary = [m for m in options.metrics if m.role == "secondary"]
        self.guardrails = [m for m in options.metrics if m.role == "guardrail"]
        self.n_sec = len(self.secondary)
        self.ci_method = _text(PROPORTION_METHOD + ("; sequential" if self.sequential else ""))
        self.z_one_sided = _normal_quantile(1 - self.alpha)
        self.control = options.control
        self.control_json = _text(options.control)
        # resolved guardrail margins (absolute: the same for every group)
        self.margins: dict[str, float] = {}
        resolved: dict[str, dict[str, Any]] = {}
        for m in self.guardrails:
            if m.name in options.margins:
                margin, source = float(options.margins[m.name]), "spec"
            else:
                value, unit = default_guardrail_margin(m.name, "", "proportion")
                if unit != "absolute":
                    self.ok = False  # relative to the control's rate: per group, left to the per-group path
                margin, source = value, "default"
            self.margins[m.name] = margin
            resolved[m.name] = {"margin": margin, "source": source, "ceiling": None}
        self.resolved = resolved
        head = {**_statistics_json(st), "mode": self.mode, "power": 0.8, "guardrails": resolved}
        self.methods_head = _LINE_ENCODER.encode(head)[:-1] + ',"planned":{'
        self.methods_mid = ('},"baseline":null,"planned_users":' + _LINE_ENCODER.encode(options.planned_users)
                            + ',"srm_weights":')
        self.tail_head = ('],"data_checks":[],"assigned":{')
        self.tail_mid = ('},"control":' + self.control_json + ',"alpha":' + _f(float(self.alpha)) + ',"mde":'
                         + _f(float(self.mde)) + ',"methods":')
        self.shapes: dict[tuple[str, ...], Any] = {}
        self.power = 0.8
        self.z_power = _z_power(self.power)
        self.z_totals: dict[int, float] = {}

    def shape(self, variants: tuple[str, ...]) -> Any:
        """Per tuple of variants (in file order): the SRM split, the plan's ratios, the JSON of the split."""
        got = self.shapes.get(variants)
        if got is not None:
            return got
        o = self.o
        assumed = o.weights is None
        weights = ({v: 1 / len(variants) for v in variants} if assumed
                   else {v: float(o.weights.get(v, 0.0)) for v in variants})  # type: ignore[union-attr]
        ok = all(type(w) is float and math.isfinite(w) and w > 0 for w in weights.values()) and len(variants) < 8
        weight_sum = sum(weights.values())
        total = sum(weights.values()) or 1.0
        shares = {k: float(v) / total for k, v in weights.items()}
        split = _LINE_ENCODER.encode(shares) + ',"srm_weights_assumed":' + _b(assumed) + "}"
        keys = {v: _text(v) for v in variants}
        ratio = {v: weights[v] / weights[self.control] for v in variants} if ok else {}
        got = (ok, weights, weight_sum, split, keys, ratio, assumed)
        self.shapes[variants] = got
        return got

    def z_total(self, arms: int) -> float:
        z = self.z_totals.get(arms)
        if z is None:
            z = self.z_totals[arms] = z_two_sided(check_alpha(self.alpha) / arms) + self.z_power
        return z


def _halfwidths(se: np.ndarray, n: np.ndarray, alphas: np.ndarray, tuning: float) -> np.ndarray:
    """:func:`_halfwidth_array` with one alpha per element (one call per distinct alpha)."""
    out = np.full(se.shape, np.nan)
    with np.errstate(all="ignore"):
        for a in np.unique(alphas).tolist():
            sel = alphas == a
            out[sel] = _halfwidth_array(se[sel], n[sel], a, tuning)
    return out


def bulk_json_lines(table: CountsTable, options: CountsOptions, groups: Sequence[int] | range | None = None,
                    default_experiment: str | None = None) -> Iterator[str]:
    """One JSON line per group (without the newline), equal to ``group_json_line`` of the per-group path."""
    run = _Run(options, default_experiment or table.path.stem)
    order = list(groups if groups is not None else range(table.n_groups))
    for start in range(0, len(order), BLOCK_GROUPS):
        yield from _block(table, run, order[start:start + BLOCK_GROUPS])


def _per_group(table: CountsTable, run: _Run, g: int) -> str:
    """The per-group path for group ``g`` (what ``analyze_counts_table`` + ``group_json_line`` write)."""
    STATS["per_group"] += 1
    t = table
    a, b = int(t.starts[g]), int(t.starts[g + 1])
    exp, look = t.experiment[a], t.look[a]
    vs = t.variant[a:b].tolist()
    us = t.users[a:b].tolist()
    assigned = dict(zip(vs, us))
    counts = {m.name: {v: ProportionCounts(u, s) for v, u, s in zip(vs, us, t.successes[m.name][a:b].tolist())}
              for m in run.o.metrics}
    prev_users = None
    if t.previous_group is not None and t.previous_group[g] >= 0:
        p = int(t.previous_group[g])
        pa, pb = int(t.starts[p]), int(t.starts[p + 1])
        prev_users = dict(zip(t.variant[pa:pb].tolist(), t.users[pa:pb].tolist()))
    result = analyze_sufficient_counts(exp if exp is not None else run.fallback_name, assigned, counts, run.o,
                                       previous_users=prev_users)
    return group_json_line(exp, look, result)


def _block(table: CountsTable, run: _Run, groups: list[int]) -> list[str]:
    t = table
    if not run.ok:
        return [_per_group(t, run, g) for g in groups]
    g = np.asarray(groups, dtype=np.int64)
    starts, lengths = t.starts[g], t.starts[g + 1] - t.starts[g]
    rows = np.arange(int(lengths.sum())) + np.repeat(starts - (np.cumsum(lengths) - lengths), lengths)
    slot = np.repeat(np.arange(len(g)), lengths)
    is_control = t.variant[rows] == run.control
    ctrl_of_slot = np.full(len(g), -1, dtype=np.int64)
    ctrl_of_slot[slot[is_control]] = rows[is_control]
    tr = rows[~is_control]            # treatment rows of the block, in group and file order
    tslot = slot[~is_control]
    crow = ctrl_of_slot[tslot]
    arms_of_slot = lengths - 1        # validated: one control per group
    arms = arms_of_slot[tslot]
    n_t, n_c = t.users[tr], t.users[crow]
    n_all = (n_t + n_c).astype(float)
    alpha = run.alpha
    cmps: dict[str, list[Any]] = {}
    for m in run.o.metrics:
        s = t.successes[m.name]
        cmps[m.name] = compare_proportions_many(s[tr], n_t, s[crow], n_c, alpha=alpha)
    # always-valid halfwidths: the primary's family is the arms (alpha / arms), the secondary
    # metrics' the arms times the secondary metrics, a guardrail's itself
    seq_metrics = run.o.metrics if run.sequential else (run.primary,)
    half_abs: dict[str, list[float]] = {}
    half_rel: dict[str, list[float]] = {}
    alpha_of: dict[str, np.ndarray] = {}
    for m in seq_metrics:
        k = arms if m.role == "primary" else arms * run.n_sec if m.role == "secondary" else np.ones_like(arms)
        alphas = alpha / np.maximum(1, k)
        if m.role == "guardrail":
            alphas = np.full(len(arms), alpha / 1)
        alpha_of[m.name] = alphas
        cl = cmps[m.name]
        se_abs = np.array([c.se_abs_diff if c.status == "ok" else np.nan for c in cl], dtype=float)
        se_log = np.array([np.nan if c.se_log_ratio is None else c.se_log_ratio for c in cl], dtype=float)
        half_abs[m.name] = _halfwidths(se_abs, n_all, alphas, run.tuning).tolist()
        half_rel[m.name] = _halfwidths(se_log, n_all, alphas, run.tuning).tolist()
    # the guardrails' always-valid multipliers (SE 1) at alpha, and at 2 alpha (sequential upper bound)
    ones = np.ones(len(arms))
    with np.errstate(all="ignore"):
        cs1 = _halfwidth_array(ones, n_all, alpha, run.tuning).tolist() if run.guardrails else []
        cs2 = (_halfwidth_array(ones, n_all, 2 * alpha, run.tuning).tolist()
               if run.guardrails and run.sequential else [])
    alpha_lists = {k: v.tolist() for k, v in alpha_of.items()}
    srm = _srm_block(t, run, groups)
    plan = _sequential_plan(t, run, tr, tslot, crow, arms, cmps[run.primary.name]) if (
        run.sequential and run.o.planned_users is None) else []
    out: list[str] = []
    tslot_l = tslot.tolist()
    first_of_slot = np.searchsorted(tslot, np.arange(len(g))).tolist()
    for i, grp in enumerate(groups):
        j0 = first_of_slot[i]
        j1 = first_of_slot[i + 1] if i + 1 < len(groups) else len(tslot_l)
        try:
            line = _group_line(t, run, grp, i, j0, j1, cmps, half_abs, half_rel, alpha_lists, cs1, cs2, srm, plan)
            STATS["block"] += 1
        except _PerGroup:
            line = _per_group(t, run, grp)
        out.append(line)
    return out


def _sequential_plan(t: CountsTable, run: _Run, tr: np.ndarray, tslot: np.ndarray, crow: np.ndarray,
                     arms: np.ndarray, primary: list[Any]) -> list[int]:
    """Per treatment row of the block: the control users of the sequential plan (``users_needed(...,
    sequential=True)`` of the per-group path: alpha / arms, the weights' ratio, the primary's direction),
    by :func:`guidelab.stats.power.sequential_control_users_many`; -1 where no plan exists."""
    effect = run.mde if run.primary.higher_is_better else -run.mde
    p0 = np.array([np.nan if c.rate_control is None else c.rate_control for c in primary], dtype=float)
    p1 = p0 * (1.0 + effect)
    alphas = check_alpha(run.alpha) / np.maximum(1, arms)
    ratio = np.full(len(tr), np.nan)
    variant = t.variant
    group_variants: dict[int, tuple[str, ...]] = {}
    for j, (row, slot, ctrl) in enumerate(zip(tr.tolist(), tslot.tolist(), crow.tolist())):
        vs = group_variants.get(slot)
        if vs is None:
            k = int(np.searchsorted(t.starts, row, side="right")) - 1
            vs = group_variants[slot] = tuple(variant[t.starts[k]:t.starts[k + 1]].tolist())
        ok, weights = run.shape(vs)[:2]
        if ok:
            ratio[j] = weights[variant[row]] / weights[variant[ctrl]]
    with np.errstate(invalid="ignore"):
        valid = (0.0 < p0) & (p0 < 1.0) & (0.0 < p1) & (p1 < 1.0) & (ratio > 0) & np.isfinite(ratio) & (
            alphas < run.power)
    out = np.full(len(tr), -1, dtype=np.int64)
    idx = np.flatnonzero(valid)
    if idx.size:
        out[idx] = sequential_control_users_many(p0[idx], effect, alphas[idx], run.power, run.tuning, ratio[idx])
    return out.tolist()  # type: ignore[no-any-return]


def _srm_block(t: CountsTable, run: _Run, groups: list[int]) -> tuple[list[float], list[float]]:
    """Pearson's statistic of every group of the block, term by term as :func:`guidelab.stats.srm.srm_test`
    adds them (fewer than 8 variants, every weight > 0; NaN for another group), and its p-value
    (``chdtrc``, elementwise over the block)."""
    stats, dfs = [], []
    variant, users = t.variant, t.users
    for a, b in zip(t.starts[groups].tolist(), t.starts[np.asarray(groups) + 1].tolist()):
        ok, weights, weight_sum = run.shape(tuple(variant[a:b].tolist()))[:3]
        us = users[a:b].tolist()
        if not ok or sum(us) == 0:
            stats.append(math.nan)
            dfs.append(1)
            continue
        total_f = 0.0
        for u in us:
            total_f += float(u)
        stat = 0.0
        for w, u in zip(weights.values(), us):
            e = total_f * (w / weight_sum)
            stat += (float(u) - e) * (float(u) - e) / e
        stats.append(stat)
        dfs.append(b - a - 1)
    return stats, chdtrc(np.asarray(dfs), np.asarray(stats)).tolist()


def _group_line(t: CountsTable, run: _Run, grp: int, i: int, j0: int, j1: int, cmps: dict[str, list[Any]],
                half_abs: dict[str, list[float]], half_rel: dict[str, list[float]],
                alpha_of: dict[str, list[float]], cs1: list[float], cs2: list[float],
                srm: tuple[list[float], list[float]], plan: list[int]) -> str:
    a, b = int(t.starts[grp]), int(t.starts[grp + 1])
    variants = tuple(t.variant[a:b].tolist())
    users = t.users[a:b].tolist()
    ok, weights, weight_sum, split_json, keys, ratio, _assumed = run.shape(variants)
    if not ok:
        raise _PerGroup
    control = run.control
    arms = j1 - j0
    alpha, tuning, sequential = run.alpha, run.tuning, run.sequential
    treat = [v for v in variants if v != control]
    # --- every comparison of the group, in the per-group path's order (metric, then arm) ---
    per_metric: dict[str, list[Any]] = {}
    for m in run.o.metrics:
        cl = cmps[m.name][j0:j1]
        for c in cl:
            if c.status != "ok":
                raise _PerGroup
        per_metric[m.name] = cl
    # --- families, adjusted p-values, significance, sequential views (as compare_all) ---
    rows: list[tuple[Any, ...]] = []  # (metric role, variant, cmp, p_adjusted, significant, seq or None, j)
    fam_primary = [(run.primary, v, c, j0 + k) for k, (v, c) in enumerate(zip(treat, per_metric[run.primary.name]))]
    fam_secondary = [(m, v, c, j0 + k) for m in run.secondary for k, (v, c) in enumerate(zip(treat, per_metric[m.name]))]
    fam_guard = [(m, v, c, j0 + k) for m in run.guardrails for k, (v, c) in enumerate(zip(treat, per_metric[m.name]))]
    for family, is_guard in ((fam_primary, False), (fam_secondary, False), (fam_guard, True)):
        raw = [c.p_value for _, _, c, _ in family]
        adjusted = raw if is_guard else adjust(raw, run.correction)
        for (m, v, c, j), p in zip(family, adjusted):
            seq = None
            if sequential:
                seq = _seq(c, half_abs[m.name][j], half_rel[m.name][j], alpha_of[m.name][j])
                significant = seq[2]
            else:
                significant = p is not None and p < alpha
            rows.append((m, v, c, p, significant, seq, j))
    n_primary = len(fam_primary)
    # --- views for the rule ---
    primary_views = []
    progress: dict[str, Progress] = {}
    prev = None
    if t.previous_group is not None and t.previous_group[grp] >= 0:
        pg = int(t.previous_group[grp])
        pa, pb = int(t.starts[pg]), int(t.starts[pg + 1])
        prev = dict(zip(t.variant[pa:pb].tolist(), t.users[pa:pb].tolist()))
    planned_json = []
    for (m, v, c, p, significant, seq, j) in rows[:n_primary]:
        hib = m.higher_is_better
        s = seq if seq is not None else _seq(c, half_abs[m.name][j], half_rel[m.name][j], alpha / max(1, arms))
        ci, rel_ci = s[0], s[1]
        lower = -ci[1] if hib else ci[0]
        upper = -ci[0] if hib else ci[1]
        view_rel = rel_ci if seq is not None else c.rel_ci
        primary_views.append(_new_view(
            m.name, "primary", v, hib, "ok", c.p_value, p, c.rel_lift, (view_rel[0], view_rel[1]) if view_rel else None,
            c.abs_diff, c.rate,
            c.rate_control, significant, "proportion", seq is not None, ci if seq is not None else c.abs_ci, 0.0,
            lower, upper, None, True, rel_ci))
        # the plan and the progress (as analysis._progress with no daily counts)
        if run.o.planned_users is not None:
            need_c = need_t = run.o.planned_users
        else:
            p0 = c.rate_control
            r = ratio[v]
            effect = run.mde if hib else -run.mde
            if sequential:  # the sequential plan of the block (its search, all groups in step)
                need_c = plan[j]
                if need_c < 0:
                    raise _PerGroup  # no plan: the per-group path says so
                need_t = treatment_users(need_c, r)
            else:
                p1 = p0 * (1.0 + effect)
                if not (0.0 < p0 < 1.0 and 0.0 < p1 < 1.0):
                    raise _PerGroup  # no plan: the per-group path says so
                need_c = control_users_fixed(p0, p1, run.z_total(arms), r)
                need_t = treatment_users(need_c, r)
        nt, nc = c.n, c.n_control
        matured = nt >= need_t and nc >= need_c
        first = None
        if prev is not None and matured:
            first = not (int(prev.get(v, 0)) >= need_t and int(prev.get(control, 0)) >= need_c)
        days = 0.0 if matured else None
        pr = _new_progress(need_t, need_c, nt, nc, days, None, first, None)
        progress[v] = pr
        share = pr.share
        planned_json.append(keys[v] + ':{"control":' + _int_repr(need_c) + ',"treatment":' + _int_repr(need_t)
                            + ',"share":' + _fn(share) + ',"decision_look":'
                            + ("null" if first is None else _b(first)) + ',"decision_date":null}')
    guard_views = []
    for (m, v, c, p, significant, seq, j) in rows:
        if m.role != "guardrail":
            continue
        hib = m.higher_is_better
        ct, cc = c.successes, c.successes_control
        nt, nc = c.n, c.n_control
        pt, pc = (ct + 1) / (nt + 2), (cc + 1) / (nc + 2)
        diff = pt - pc
        se = math.sqrt(pt * (1 - pt) / (nt + 2) + pc * (1 - pc) / (nc + 2))
        harm = -diff if hib else diff
        z_up = run.z_one_sided if not sequential else cs2[j]
        lower, upper = harm - cs1[j] * se, harm + z_up * se
        abs_ci = seq[0] if seq is not None else c.abs_ci
        rel = seq[1] if seq is not None else c.rel_ci
        guard_views.append(_new_view(
            m.name, "guardrail", v, hib, "ok", c.p_value, p, c.rel_lift, (rel[0], rel[1]) if rel else None,
            c.abs_diff, c.rate, c.rate_control, significant, "proportion", seq is not None, tuple(abs_ci),
            run.margins[m.name], lower, upper, None, True, None))
    # --- SRM (as srm_test for fewer than 8 variants, all weights > 0; the p-value for the block) ---
    total = sum(users)
    stat, srm_p = srm[0][i], srm[1][i]
    if total == 0 or srm_p != srm_p:
        raise _PerGroup
    df = len(variants) - 1
    # --- the verdict: THE rule ---
    arm_comparison = None
    if arms > 1:
        from .analysis import MetricStatistics, _arm_comparison

        pm = run.primary
        succ = t.successes[pm.name][a:b].tolist()
        ms = MetricStatistics(pm.name, "primary", {v: ProportionCounts(u, s) for v, u, s in zip(variants, users, succ)},
                              pm.higher_is_better)
        arm_comparison = _arm_comparison(ms, [], alpha, arms, run.mode, tuning)
    decision = decide(primary_views, guard_views, srm_p, [], alpha, run.mde,
                      {v: p_.days_needed for v, p_ in progress.items()}, mode=run.mode, progress=progress,
                      arm_comparison=arm_comparison)
    if any(r.code == "srm" for r in decision.reasons):
        from .analysis import _with_srm_split

        decision, _ = _with_srm_split(decision, {}, weights, run.o.weights is None)
    decision_json = _decision_json(decision)
    # --- the line ---
    exp, look = t.experiment[a], t.look[a]
    parts = ['{"experiment":', _text(exp if exp is not None else run.fallback_name), ',"look":',
             "null" if look is None else _text(look), ',"schema_version":1,"as_of":null,"decision":', decision_json,
             ',"srm":{"p_value":', _f(srm_p), ',"counts":{',
             ",".join(keys[v] + ":" + _int_repr(u) for v, u in zip(variants, users)), '},"expected":{',
             ",".join(keys[v] + ":" + _f(total * weights[v] / weight_sum) for v in variants),
             '},"statistic":', _f(stat), ',"df":', _int_repr(df), '},"metrics":[']
    ctrl = run.control_json
    metric_rows = []
    for (m, v, c, p, significant, seq, _j) in rows:
        abs_ci, rel_ci, rel = c.abs_ci, c.rel_ci, c.rel_lift
        values = (c.rate, c.rate_control, c.abs_diff, abs_ci[0], abs_ci[1], c.p_value, p)
        check = sum(values)  # a Python float when every value is one; NaN or infinity when one is
        if type(check) is not float or check - check != 0.0:
            raise _PerGroup
        if c.notes:
            notes = ',"note":' + _text(c.note) + ',"notes":' + _LINE_ENCODER.encode(notes_json(c.notes))
        else:
            notes = ',"note":null,"notes":[]'
        if seq is not None:
            sci, srel, stop, salpha = seq
            sequential_json = (',"sequential":{"ci":[' + _f(sci[0]) + "," + _f(sci[1]) + '],"relative_ci":'
                               + ("null" if srel is None else "[" + _f(srel[0]) + "," + _f(srel[1]) + "]")
                               + ',"can_stop":' + _b(stop) + ',"alpha":' + _f(salpha) + ',"tuning":' + run.tuning_json
                               + ',"method":' + _SEQ_METHOD + ',"note":null,"notes":[]}')
        else:
            sequential_json = ""
        metric_rows.append(_ROW % (
            _text(m.name), m.role, keys[v], ctrl, c.n, c.n_control, c.successes, c.successes_control, *values[:5],
            "null" if rel is None else _f(rel), "null" if rel_ci is None else "[" + _f(rel_ci[0]) + "," + _f(rel_ci[1]) + "]",
            values[5], values[6], _b(significant), notes, _b(m.higher_is_better), run.ci_method, sequential_json))
    parts.append(",".join(metric_rows))
    parts += [run.tail_head, ",".join(keys[v] + ":" + _int_repr(u) for v, u in zip(variants, users)), run.tail_mid,
              run.methods_head, ",".join(planned_json), run.methods_mid, split_json, ',"analyses":{},"ledger":null}']
    return "".join(parts)


_SEQ_METHOD = _text(SEQUENTIAL_METHOD)
#: one metric row of the line (MetricResult._json_fields for a proportion): floats by %r (their repr)
_ROW = ('{"metric":%s,"role":"%s","kind":"proportion","variant":%s,"control":%s,"n":%d,"n_control":%d,"successes":%d,'
        '"successes_control":%d,"rate":%r,"rate_control":%r,"mean":null,"mean_control":null,"ratio":null,'
        '"ratio_control":null,"abs_diff":%r,"abs_ci":[%r,%r],"rel_lift":%s,"rel_ci":%s,'
        '"p_value":%r,"p_value_adjusted":%r,"significant":%s,"status":"ok"%s,"higher_is_better":%s,"randomised":true,'
        '"ci_method":%s%s}')
_KEYS: dict[str, str] = {}
_LAYOUTS: dict[tuple[str, ...], list[str]] = {}  # the keys of a reason's params -> '{"code":"...","k1":', ',"k2":', ...


def _key(k: str) -> str:
    """``"k":`` as ``json`` writes a text key."""
    out = _KEYS.get(k)
    if out is None:
        if type(k) is not str:
            raise _PerGroup  # json writes other keys its own way
        out = _KEYS[k] = _text(k) + ":"
    return out


def _value(v: Any) -> str:
    """A reason's parameter as ``json`` writes it (floats by ``repr``, tuples as lists); NaN,
    infinity or another type: the per-group path."""
    t = type(v)
    if t is float:
        out = _float_repr(v)
        if out[-1] > "9":  # 'nan', 'inf', '-inf'
            raise _PerGroup
        return out
    if t is str:
        return _text(v)
    if v is None:
        return "null"
    if t is bool:
        return "true" if v else "false"
    if t is int:
        return _int_repr(v)
    if t is list or t is tuple:
        return "[" + ",".join(map(_value, v)) + "]"
    if t is dict:
        return "{" + ",".join(_key(k) + _value(x) for k, x in v.items()) + "}"
    raise _PerGroup


def _days(days: float | None) -> str:
    return "null" if days is None else _fn(_days_json(days))


def _decision_json(d: Decision) -> str:
    """The JSON form of a :class:`~guidelab.decision.Decision` (its ``_json_fields`` and its arms'):
    each reason worded once per language (as the memo of ``decision._texts`` does), its codes and
    numbers as ``{"code": ..., **params}``."""
    said: dict[int, str] = {}

    def en(reasons: tuple[Any, ...]) -> str:
        out = []
        for r in reasons:
            text = said.get(id(r))
            if text is None:
                text = said[id(r)] = _text(reason_text(r, "en"))
            out.append(text)
        return ",".join(out)

    arms = ",".join('{"variant":' + _text(a.variant) + ',"verdict":"' + a.verdict + '","reasons":[' + en(a.reasons)
                    + '],"days_needed":' + _days(a.days_needed) + "}" for a in d.arms)
    codes = []
    for r in d.reasons:
        params = r.params
        layout = (r.code, *params)
        keys = _LAYOUTS.get(layout)
        if keys is None:  # '{"code":"<code>","<k1>":', ',"<k2>":', ...
            if "code" in params:
                raise _PerGroup  # {"code": ..., **params} would take the parameter's value
            keys = ['{"code":' + _text(r.code)] + ["," + _key(k) for k in layout[1:]]
            if len(keys) > 1:
                keys[0] += keys.pop(1)
            _LAYOUTS[layout] = keys
        if params:
            codes.append("".join(map(str.__add__, keys, map(_value, params.values()))) + "}")
        else:
            codes.append(keys[0] + "}")
    return "".join(('{"mode":', _text(d.mode), ',"verdict":"', d.verdict, '","reasons":[', en(d.reasons),
                    '],"arm":', "null" if d.arm is None else _text(d.arm), ',"days_needed":', _days(d.days_needed),
                    ',"arms":[', arms, '],"reason_codes":[', ",".join(codes), '],"reasons_ja":[',
                    ",".join(_text(reason_text(r, "ja")) for r in d.reasons), "]}"))


def _seq(c: Any, half: float, half_r: float, alpha_k: float) -> tuple[Any, ...]:
    """(ci, relative ci, can stop, alpha) of :func:`guidelab.analysis.sequential_view` for a regular
    comparison (finite estimates, standard errors > 0, lift > -100%); otherwise the per-group path."""
    if not half > 0.0 or half - half != 0.0:
        raise _PerGroup
    est, rel = c.abs_diff, c.rel_lift
    lo, hi = est - half, est + half
    relative = None
    if rel is not None and c.se_log_ratio is None and c.rel_ci is not None:
        raise _PerGroup  # the standard error read from the interval (analysis._standard_errors)
    if rel is not None and c.se_log_ratio is not None and c.se_log_ratio != 0.0:
        if half_r - half_r != 0.0 or not half_r > 0.0:
            raise _PerGroup
        if rel > -1.0:
            centre = math.log1p(rel)
            if not centre + half_r < 709.0:
                raise _PerGroup
            relative = (math.expm1(centre - half_r), math.expm1(centre + half_r))
    return (lo, hi), relative, bool(0.0 < lo or 0.0 > hi), alpha_k


_WORKER: tuple[CountsTable, CountsOptions, str] | None = None  # a worker process's table and options


def _init_worker(table: CountsTable, options: CountsOptions, name: str) -> None:
    global _WORKER
    _WORKER = (table, options, name)


def _chunk_text(first: int, last: int) -> str:
    """Groups ``first`` .. ``last - 1`` of the worker's table, as JSON Lines text (one string: one
    copy between the processes)."""
    assert _WORKER is not None
    table, options, name = _WORKER
    return "".join(line + "\n" for line in bulk_json_lines(table, options, range(first, last), name))


def bulk_json_text_parallel(table: CountsTable, options: CountsOptions, jobs: int, chunk_groups: int | None = None,
                            default_experiment: str | None = None) -> Iterator[str]:
    """:func:`bulk_json_lines` as JSON Lines text (each line ends with a newline), in pieces of up to
    ``chunk_groups`` groups (default 2 blocks), over ``jobs`` processes: same text, same order. The
    table goes to each worker once (at its start); at most two pieces per worker are in flight, so
    memory stays bounded whatever the number of groups."""
    name = default_experiment or table.path.stem
    chunk_groups = chunk_groups or 2 * BLOCK_GROUPS
    if jobs <= 1 or table.n_groups <= chunk_groups:
        run = _Run(options, name)
        for start in range(0, table.n_groups, BLOCK_GROUPS):
            lines = _block(table, run, list(range(start, min(start + BLOCK_GROUPS, table.n_groups))))
            yield "".join(line + "\n" for line in lines)
        return
    from collections import deque
    from concurrent.futures import Future, ProcessPoolExecutor

    bounds = deque((g, min(g + chunk_groups, table.n_groups)) for g in range(0, table.n_groups, chunk_groups))
    with ProcessPoolExecutor(max_workers=jobs, initializer=_init_worker, initargs=(table, options, name)) as pool:
        pending: deque[Future[str]] = deque()
        while bounds or pending:
            while bounds and len(pending) < 2 * jobs:
                pending.append(pool.submit(_chunk_text, *bounds.popleft()))
            yield pending.popleft().result()


def bulk_json_lines_parallel(table: CountsTable, options: CountsOptions, jobs: int,
                             chunk_groups: int | None = None, default_experiment: str | None = None) -> Iterator[str]:
    """:func:`bulk_json_text_parallel` line by line (without the newlines)."""
    for text in bulk_json_text_parallel(table, options, jobs, chunk_groups, default_experiment):
        yield from text.split("\n")[:-1]  # not splitlines: U+2028 and the like may stand in a JSON text
