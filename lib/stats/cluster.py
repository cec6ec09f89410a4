"""Two-arm comparison when the randomisation unit is an ACCOUNT (a customer company), not a user.

B2B teams randomise whole accounts: every user of an account sees the same arm. Users of one
account are correlated (same company, same habits, a guide one colleague sees changes what the
others do), so a user-level test that treats them as independent underestimates the variance and
multiplies false wins. The per-user metric of an arm is then a RATIO of two account-level sums,

    Ȳ = Σ_k y_k / Σ_k n_k        (n_k users and metric total y_k of account k)

and its variance comes from the delta method with the ACCOUNT as the independent unit (Deng,
Knoblich & Lu 2018, "Applying the Delta Method in Metric Analytics: A Practical Guide with Novel
Ideas", KDD, sec. 3):

    var(Ȳ) ≈ f · Σ_k (y_k - Ȳ n_k)² / N²,   N = Σn_k

Σ(y_k - Ȳn_k)²/N² is the CR0 cluster-robust sandwich variance of an intercept-only OLS (Liang &
Zeger 1986): statsmodels ``OLS(v, 1).fit(cov_type='cluster', cov_kwds={'groups': account,
'use_correction': False})`` on the user rows; its default ``use_correction=True`` multiplies by
G/(G-1) · (N-1)/(N-p) over all G accounts of the regression. Deng et al. use f = K/(K-1). The
residuals y_k - Ȳn_k are shrunk where an account holds a large share h_k = n_k/N of the users
(its leverage), so CR0 underestimates, and with the heavy-tailed account sizes of B2B products
(a few accounts of hundreds of users among many of one to five) K/(K-1) does not repair it: in
the simulations of docs/statistics.md the A/A false-positive rate was 0.056-0.063 with 500
accounts per arm and up to 0.089 with Pareto sizes (0.050-0.058 and 0.045-0.062 with f). We therefore take f so that the variance is unbiased under a one-way
random-effects working model, Var(y_k - μn_k) ∝ w_k = (1-ρ)n_k + ρn_k² with ρ the pooled ANOVA
ICC below (Bell & McCaffrey 2002, "Bias reduction in standard errors for linear regression with
multi-stage samples", Survey Methodology 28:169-181, make the sandwich unbiased under a working
model in the same way; CR2). With r = (I - n1ᵀ/N)e, E Σr_k² = Σw(1 + Σn²/N²) - 2Σn_k w_k/N, so

    f = Σw / (Σw (1 + Σn²/N²) - 2 Σn_k w_k / N),  Σw = (1-ρ)N + ρΣn², Σn_k w_k = (1-ρ)Σn² + ρΣn³

which is exactly K/(K-1) when all accounts have the same size (whatever ρ), so it reduces to Deng
et al.'s formula there. ρ is clipped to [0, 1] (0 where the ICC is undefined). The arms are
independent (accounts are randomised), so var(Ȳ₁ - Ȳ₀) = var(Ȳ₁) + var(Ȳ₀), with a Wald z
interval and two-sided z-test; the relative lift Ȳ₁/Ȳ₀ - 1 gets Fieller's interval (Fieller
1954) from the same two variances, {q: (Ȳ₁ - qȲ₀)² <= z²(var₁ + q²var₀)} - 1, because the
log-ratio delta interval of the other metrics under-covered here (0.932 at ICC 0.3: a few large
accounts skew the arm means); see :func:`_fieller_arrays`.

Effective number of accounts: the Satterthwaite degrees of freedom of var(Ȳ₁ - Ȳ₀) under the
same working model, (Σ_arms Σw/N²)² / Σ_arms Σw²/N⁴ (Carter, Schnepel & Steigerwald 2017,
"Asymptotic behavior of a t-test robust to cluster heterogeneity", Rev Econ Stat 99:698-709,
call it G*). When a few large accounts dominate, G* is small and every normal-theory interval,
this one included, is too narrow; the calibration table shows where that starts.

Sufficient statistics (:class:`ClusterStats`), per arm: one SQL ``GROUP BY variant, account``
then ``GROUP BY variant``::

    WITH acc AS (SELECT variant, account_id, CAST(COUNT(*) AS DOUBLE) AS n,
                        SUM(CAST(v AS DOUBLE)) AS y, SUM(CAST(v AS DOUBLE) * v) AS q
                 FROM per_user GROUP BY variant, account_id)
    SELECT variant, COUNT(*) AS n_accounts, SUM(n) AS n_users, SUM(y) AS sum_y,
           SUM(y * y) AS sum_y2, SUM(n * n) AS sum_n2, SUM(n * y) AS sum_ny,
           SUM(n * n * n) AS sum_n3, SUM(n * n * n * n) AS sum_n4,
           SUM(q) AS sum_user_y2, SUM(y * y / n) AS sum_y2_over_n
    FROM acc GROUP BY variant

(the casts keep the powers of n from overflowing integers and y * y / n from being an integer
division in dialects that have one; ``n_users`` comes back as a whole DOUBLE, which
:class:`ClusterStats` accepts). Run on DuckDB in the tests. For a
0/1 metric Σv² = Σv.

Intra-class correlation: the one-way ANOVA estimator (Fisher 1925; Donner & Koval 1980,
Biometrics 36:19-25; for binary data Ridout, Demétrio & Firth 1999, Biometrics 55:137-148)

    ICC = (MSB - MSW) / (MSB + (n₀ - 1) MSW),
    MSB = (Σ y_k²/n_k - (Σy)²/N) / (K - 1),   MSW = (Σv² - Σ y_k²/n_k) / (N - K),
    n₀ = (N - Σ n_k²/N) / (K - 1)

(pooled over the two arms with arm means removed: sums of squares add, df K - 2 and N - K, and
n₀ = (N - Σ_arms Σn_k²/N_arm) / (K - 2)). It can be negative (reported as is).

Design effect (variance under account randomisation / variance if users were independent):

* observed: var_delta / var_naive with var_naive = s²/N, s² the user-level sample variance
  (per arm and for the difference); this is the quantity the naive test gets wrong;
* from an ICC: DE = 1 + (Σn_k²/N - 1)·ICC = 1 + ((1 + CV²)·m̄ - 1)·ICC, m̄ the mean account size
  and CV the coefficient of variation (population SD / mean) of the account sizes (Kish 1965,
  Survey Sampling, sec. 5.4 for equal sizes 1 + (m̄ - 1)ICC; Eldridge, Ashby & Kerry 2006, Int J
  Epidemiol 35:1292-1300 for unequal sizes). It is exact for the ratio estimator under an
  exchangeable correlation with common variance, whatever the sizes.

:func:`users_needed_clustered` inflates the users a user-randomised test needs
(:func:`guidelab.stats.power.users_needed`) by that design effect, for ``guidelab plan``.

:func:`draw_account_sizes` and :func:`simulate_account_sums` generate per-account sufficient
statistics directly (no user rows), exact in distribution for the two models they describe, so a
simulation of 10,000 experiments with 600 accounts takes a fraction of a second.

Numerical note: Σ(y_k - Ȳn_k)² is formed from raw sums (Σy² - 2ȲΣny + Ȳ²Σn²) and clipped at 0 as
in :mod:`.ratio` (below 1e-10 of Σy² + Ȳ²Σn² it counts as 0); this loses digits only when the per-account totals are huge next to their spread
(coefficient of variation of y_k - Ȳn_k below ~1e-5), which per-account sums of guide metrics are not.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, NamedTuple

import numpy as np

from ._common import (
    CANCELLATION_RTOL,
    COMMON_JSON,
    CONSISTENCY_RTOL,
    STATUS_NOT_ENOUGH_DATA,
    STATUS_OK,
    EstimateComparison,
    LogRatioArrays,
    NormalDiffArrays,
    arm_shortfall,
    centred_ss,
    check_alpha,
    check_count,
    check_real,
    check_stats,
    finite_or_none,
    log_ratio_arrays,
    normal_diff_arrays,
    point_lift,
    z_two_sided,
)
from .notes import Note, NoteCode
from .power import _check_positive, _finite

__all__ = [
    "ClusterStats", "ClusterComparison", "compare_clustered", "ClusterArrays", "compare_clustered_arrays",
    "icc_anova", "design_effect_from_icc", "ClusteredSampleSize", "users_needed_clustered",
    "AccountSums", "ArmSums", "draw_account_sizes", "simulate_account_sums", "arm_sums",
]

METHOD_CLUSTER = "cluster_delta_method"

_SUM_FIELDS = ("sum_y", "sum_y2", "sum_n2", "sum_ny", "sum_n3", "sum_n4", "sum_user_y2", "sum_y2_over_n")


# --------------------------------------------------------------------------- sufficient statistics


def _le(a: float, b: float) -> bool:
    """a <= b up to summation rounding (relative margin CONSISTENCY_RTOL of the larger magnitude)."""
    return a <= b + CONSISTENCY_RTOL * max(abs(a), abs(b), 1.0)


@dataclass(frozen=True)
class ClusterStats:
    """Per-arm sufficient statistics of a per-user metric when ACCOUNTS are randomised.

    With n_k the users and y_k the metric total of account k (users without activity count, with
    value 0): ``n_accounts`` = K, ``n_users`` = Σn_k, ``sum_y`` = Σy_k, ``sum_y2`` = Σy_k²,
    ``sum_n2`` = Σn_k², ``sum_ny`` = Σn_k·y_k, ``sum_n3`` = Σn_k³, ``sum_n4`` = Σn_k⁴,
    ``sum_user_y2`` = Σ over users of v² and ``sum_y2_over_n`` = Σy_k²/n_k. The SQL is in the
    module docstring; :meth:`from_accounts` and :meth:`from_users` build it from arrays.

    Raises ValueError for non-finite values, negative counts, fewer users than accounts (every
    account in the table has at least one user), non-zero sums with no accounts, and sums no data
    can produce (Cauchy-Schwarz, n_k >= 1) beyond rounding.
    """

    n_accounts: int
    n_users: int
    sum_y: float
    sum_y2: float
    sum_n2: float
    sum_ny: float
    sum_n3: float
    sum_n4: float
    sum_user_y2: float
    sum_y2_over_n: float

    def __post_init__(self) -> None:
        k = check_count(self.n_accounts, "n_accounts")
        n = check_count(self.n_users, "n_users")
        vals = {f: check_real(getattr(self, f), f) for f in _SUM_FIELDS}
        if n < k:
            raise ValueError(f"n_users ({n}) must be >= n_accounts ({k}): every account has at least one user")
        if k == 0:
            if n != 0 or any(v != 0.0 for v in vals.values()):
                raise ValueError(f"ClusterStats has n_accounts == 0 but non-zero sums: {vals}")
        else:
            _check_consistent(k, n, vals)
        object.__setattr__(self, "n_accounts", k)
        object.__setattr__(self, "n_users", n)
        for f, v in vals.items():
            object.__setattr__(self, f, v)

    @classmethod
    def from_accounts(cls, users: Any, totals: Any, user_sq_totals: Any) -> ClusterStats:
        """From per-account arrays: users n_k (whole numbers >= 1), metric totals y_k and the sums of
        squared user values Σv² per account (= y_k for a 0/1 metric)."""
        n = np.asarray(users).ravel()
        y = np.asarray(totals, dtype=float).ravel()
        q = np.asarray(user_sq_totals, dtype=float).ravel()
        if n.size and (not np.all(np.isfinite(n.astype(float))) or np.any(n < 1) or np.any(n != np.round(n))):
            raise ValueError("users per account must be whole numbers >= 1")
        if not n.shape == y.shape == q.shape:
            raise ValueError(f"users, totals and user_sq_totals must have one value per account, "
                             f"got {n.size}, {y.size} and {q.size}")
        nf = n.astype(float)
        n2 = nf * nf
        return cls(int(n.size), int(n.astype(np.int64).sum()), float(y.sum()), float(np.dot(y, y)),
                   float(n2.sum()), float(np.dot(nf, y)), float(np.dot(n2, nf)), float(np.dot(n2, n2)),
                   float(q.sum()), float(np.sum(y * y / nf)) if n.size else 0.0)

    @classmethod
    def from_users(cls, account: Any, values: Any) -> ClusterStats:
        """From one row per user: the account of each user and the user's metric value."""
        a = np.asarray(account).ravel()
        v = np.asarray(values, dtype=float).ravel()
        if a.shape != v.shape:
            raise ValueError(f"account and values must have the same length, got {a.size} and {v.size}")
        _, inv = np.unique(a, return_inverse=True)
        return cls.from_accounts(np.bincount(inv), np.bincount(inv, weights=v), np.bincount(inv, weights=v * v))

    def to_arrays(self) -> ArmSums:
        """The same sums as 0-d arrays, the input of :func:`compare_clustered_arrays`."""
        return ArmSums(*(np.asarray(float(getattr(self, f))) for f in ArmSums._fields))

    @property
    def mean(self) -> float | None:
        """Per-user mean (or proportion) Σy / Σn; None without users."""
        return self.sum_y / self.n_users if self.n_users > 0 else None

    @property
    def mean_account_size(self) -> float | None:
        return self.n_users / self.n_accounts if self.n_accounts > 0 else None

    @property
    def cv_account_size(self) -> float | None:
        """Coefficient of variation of the account sizes (population SD / mean)."""
        if self.n_accounts == 0:
            return None
        m = self.n_users / self.n_accounts
        return math.sqrt(max(self.sum_n2 / self.n_accounts - m * m, 0.0)) / m


def _check_consistent(k: int, n: int, v: dict[str, float]) -> None:
    """Sums that no data with K >= 1 accounts of >= 1 user each can produce raise ValueError."""
    sy, sy2, sn2, sny, sn3, sn4 = (v[f] for f in ("sum_y", "sum_y2", "sum_n2", "sum_ny", "sum_n3", "sum_n4"))
    if not (_le(float(n), sn2) and _le(n * n / k, sn2) and _le(sn2, float(n) * n)):
        raise ValueError(
            f"inconsistent sums: sum_n2 ({sn2!r}) must lie in [max(n_users, n_users**2 / n_accounts), "
            f"n_users**2] = [{max(n, n * n / k)!r}, {float(n) * n!r}]"
        )
    if not (_le(sn2, sn3) and _le(sn3, sn4) and _le(sn2 * sn2, n * sn3) and _le(sn3 * sn3, sn2 * sn4)
            and _le(sn4, float(n) ** 4)):
        raise ValueError(
            "inconsistent sums: need sum_n2 <= sum_n3 <= sum_n4 <= n_users**4, sum_n2**2 <= n_users * sum_n3 "
            "and sum_n3**2 <= sum_n2 * sum_n4 (account sizes are >= 1)"
        )
    if sy2 < 0 or not _le(sy * sy, k * sy2):
        raise ValueError("inconsistent sums: sum_y**2 exceeds n_accounts * sum_y2 (or sum_y2 < 0)")
    if not _le(sny * sny, sn2 * sy2):
        raise ValueError("inconsistent sums: sum_ny**2 exceeds sum_n2 * sum_y2")
    su2, sq_n = v["sum_user_y2"], v["sum_y2_over_n"]
    if not (_le(sy * sy / n, sq_n) and _le(sq_n, su2) and _le(sq_n, sy2)):
        raise ValueError(
            "inconsistent sums: need sum_y**2 / n_users <= sum_y2_over_n <= min(sum_user_y2, sum_y2) "
            "(between- and within-account sums of squares are >= 0, n_k >= 1)"
        )


class ArmSums(NamedTuple):
    """The fields of :class:`ClusterStats` as arrays (one element per simulated experiment)."""

    n_accounts: np.ndarray
    n_users: np.ndarray
    sum_y: np.ndarray
    sum_y2: np.ndarray
    sum_n2: np.ndarray
    sum_ny: np.ndarray
    sum_n3: np.ndarray
    sum_n4: np.ndarray
    sum_user_y2: np.ndarray
    sum_y2_over_n: np.ndarray


# --------------------------------------------------------------------------- vectorised cores


class _IccArrays(NamedTuple):
    icc: np.ndarray  # NaN where undefined
    msb: np.ndarray
    msw: np.ndarray
    n0: np.ndarray


def _icc_arrays(arms: list[ArmSums]) -> _IccArrays:
    """ANOVA ICC pooled within the given arms, elementwise (module docstring).

    SSB_arm = Σy²/n - (Σy)²/N, SSW_arm = Σv² - Σy²/n (both cancellation-guarded), pooled:
    MSB = ΣSSB / (K - J), MSW = ΣSSW / (N - K), n₀ = (N - Σ_arms Σn²/N_arm) / (K - J).
    NaN where K - J < 1, N - K < 1 or MSB + (n₀ - 1)MSW <= 0.
    """
    ssb: Any = 0.0
    ssw: Any = 0.0
    kk: Any = 0.0
    nn: Any = 0.0
    sn: Any = 0.0
    for a in arms:
        nf = np.asarray(a.n_users, dtype=float)
        su2, sq_n = np.asarray(a.sum_user_y2, dtype=float), np.asarray(a.sum_y2_over_n, dtype=float)
        with np.errstate(divide="ignore", invalid="ignore"):
            ssb = ssb + np.where(nf > 0, centred_ss(sq_n, a.sum_y, nf), 0.0)
            w = su2 - sq_n  # within-account SS, guarded like a centred sum of squares
            ssw = ssw + np.where(w <= CANCELLATION_RTOL * su2, 0.0, w)
            sn = sn + np.where(nf > 0, np.asarray(a.sum_n2, dtype=float) / nf, 0.0)
        kk, nn = kk + np.asarray(a.n_accounts, dtype=float), nn + nf
    j = float(len(arms))
    with np.errstate(divide="ignore", invalid="ignore"):
        df_b, df_w = kk - j, nn - kk
        msb = np.where(df_b >= 1, ssb / df_b, np.nan)
        msw = np.where(df_w >= 1, ssw / df_w, np.nan)
        n0 = np.where(df_b >= 1, (nn - sn) / df_b, np.nan)
        den = msb + (n0 - 1.0) * msw
        icc = np.where(den > 0, (msb - msw) / den, np.nan)
    return _IccArrays(icc, msb, msw, n0)


class _ArmVariance(NamedTuple):
    mean: np.ndarray  # Σy/N, NaN where N == 0
    var: np.ndarray  # corrected delta-method variance, NaN where K < 2
    factor: np.ndarray  # f, the small-sample factor applied to Σ(y_k - Ȳn_k)²/N²
    weight: np.ndarray  # Σw_k/N² and Σw_k²/N⁴ (working model), for the effective accounts
    weight_sq: np.ndarray


def _arm_variance(a: ArmSums, rho: Any) -> _ArmVariance:
    """Ȳ = Σy/N and var(Ȳ) = f·Σ(y_k - Ȳn_k)²/N², elementwise, with the working-model factor
    f = Σw / (Σw(1 + Σn²/N²) - 2Σnw/N), w_k = (1-ρ)n_k + ρn_k² (module docstring)."""
    k = np.asarray(a.n_accounts, dtype=float)
    n = np.asarray(a.n_users, dtype=float)
    sy, sy2, sny = (np.asarray(x, dtype=float) for x in (a.sum_y, a.sum_y2, a.sum_ny))
    sn2, sn3, sn4 = (np.asarray(x, dtype=float) for x in (a.sum_n2, a.sum_n3, a.sum_n4))
    r = np.asarray(rho, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        mean = np.where(n > 0, sy / n, np.nan)
        q = sy2 - 2.0 * mean * sny + mean * mean * sn2  # Σ(y_k - Ȳn_k)²
        q = np.where(q <= CANCELLATION_RTOL * (sy2 + mean * mean * sn2), 0.0, q)
        sw = (1.0 - r) * n + r * sn2
        snw = (1.0 - r) * sn2 + r * sn3
        sw2 = (1.0 - r) ** 2 * sn2 + 2.0 * r * (1.0 - r) * sn3 + r * r * sn4
        den = sw * (1.0 + sn2 / (n * n)) - 2.0 * snw / n
        ok = (k >= 2.0) & (den > 0.0)
        f = np.where(ok, sw / den, np.nan)
        var = np.where(ok, f * q / (n * n), np.nan)
        return _ArmVariance(mean, var, f, sw / (n * n), sw2 / n**4)


def _naive_var_arrays(n: Any, sum_y: Any, sum_user_y2: Any) -> np.ndarray:
    """s²/N with s² the user-level sample variance (ddof=1): the variance of the mean if users were
    independent. NaN where N < 2."""
    nf = np.asarray(n, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(nf >= 2, centred_ss(sum_user_y2, sum_y, nf) / ((nf - 1.0) * nf), np.nan)


def _fieller_arrays(m1: Any, v1: Any, m0: Any, v0: Any, z: float) -> LogRatioArrays:
    """Relative lift m1/m0 - 1 with Fieller's interval, elementwise (Fieller 1954, J R Stat Soc B
    16:175-185): the set of q with (m1 - q·m0)² <= z²(v1 + q²v0), i.e. the roots of
    (m0² - z²v0)q² - 2m1m0·q + (m1² - z²v1) = 0,

        q = (m1m0 ± z·sqrt(v1(m0² - z²v0) + v0m1²)) / (m0² - z²v0),

    minus 1. Bounded only when m0² > z²v0 (the control mean is distinguishable from 0); NaN
    otherwise. ``se_log_ratio`` is the delta-method SE of log(m1/m0) (NaN unless both means > 0),
    reported for reference. Fieller covers better than the log-ratio delta interval when a few
    large accounts skew the arm means (docs/statistics.md: 0.947 against 0.932 for a proportion at
    ICC 0.3)."""
    m1, v1, m0, v0 = (np.asarray(x, dtype=float) for x in (m1, v1, m0, v0))
    log = log_ratio_arrays(m1, v1, m0, v0, z)
    with np.errstate(divide="ignore", invalid="ignore"):
        a = m0 * m0 - z * z * v0
        ok = (a > 0.0) & np.isfinite(v1) & np.isfinite(v0)
        root = z * np.sqrt(np.where(ok, v1 * a + v0 * m1 * m1, 0.0))
        low = np.where(ok, (m1 * m0 - root) / a - 1.0, np.nan)
        high = np.where(ok, (m1 * m0 + root) / a - 1.0, np.nan)
    return LogRatioArrays(log.rel_lift, log.se_log_ratio, low, high)


class ClusterArrays(NamedTuple):
    """Elementwise output of :func:`compare_clustered_arrays` (NaN where undefined)."""

    mean: np.ndarray
    mean_control: np.ndarray
    var_mean: np.ndarray  # corrected delta-method variance of each arm's mean
    var_mean_control: np.ndarray
    diff: NormalDiffArrays  # abs_diff, se, ci_low, ci_high, p_value
    rel: LogRatioArrays  # rel_lift, se_log_ratio, ci_low, ci_high (Fieller)
    icc: np.ndarray  # pooled ANOVA ICC
    effective_accounts: np.ndarray  # Satterthwaite df of the variance under the working model
    var_naive: np.ndarray  # s²/N per arm as if users were independent
    var_naive_control: np.ndarray
    design_effect: np.ndarray  # (var + var_control) / (var_naive + var_naive_control)
    diff_naive: NormalDiffArrays  # the user-level z-test (for comparison only)


def compare_clustered_arrays(treatment: ArmSums, control: ArmSums, alpha: float = 0.05) -> ClusterArrays:
    """The vectorised core of :func:`compare_clustered` (same method, no validation): every field
    of the two :class:`ArmSums` may be an array (broadcast together). The scalar function calls
    it, so calibration simulations exercise the code that produces real results."""
    z = z_two_sided(alpha)
    icc = _icc_arrays([treatment, control]).icc
    rho = np.clip(np.nan_to_num(icc, nan=0.0), 0.0, 1.0)  # working-model ICC: 0 where undefined
    t, c = _arm_variance(treatment, rho), _arm_variance(control, rho)
    diff = normal_diff_arrays(t.mean, t.var, c.mean, c.var, z)
    rel = _fieller_arrays(t.mean, t.var, c.mean, c.var, z)
    w1 = _naive_var_arrays(treatment.n_users, treatment.sum_y, treatment.sum_user_y2)
    w0 = _naive_var_arrays(control.n_users, control.sum_y, control.sum_user_y2)
    with np.errstate(divide="ignore", invalid="ignore"):
        de = np.where(w1 + w0 > 0, (t.var + c.var) / (w1 + w0), np.nan)
        g = (t.weight + c.weight) ** 2 / (t.weight_sq + c.weight_sq)
        g = np.where(np.isfinite(t.var) & np.isfinite(c.var), g, np.nan)
    return ClusterArrays(t.mean, c.mean, t.var, c.var, diff, rel, icc, g, w1, w0, de,
                         normal_diff_arrays(t.mean, w1, c.mean, w0, z))


# --------------------------------------------------------------------------- public API


@dataclass(frozen=True)
class ClusterComparison(EstimateComparison):
    """Treatment vs control on a per-user metric with ACCOUNTS randomised: difference, relative lift,
    CIs and p-value from the account-level delta method, plus what clustering costs.

    ``n``/``n_control`` are users, ``n_accounts*`` accounts; ``estimate*`` the per-user means
    (proportions for a 0/1 metric) Σy/Σn and ``se_estimate*`` their clustered standard errors.
    ``icc`` is the pooled ANOVA intra-class correlation (may be negative); ``design_effect`` the
    observed variance ratio of the difference, clustered / as if users were independent;
    ``design_effect_from_icc`` the model value 1 + (Σn²/N - 1)·max(ICC, 0) on both arms' sizes;
    ``mean_account_size`` and ``cv_account_size`` describe both arms' accounts together;
    ``effective_accounts`` is the Satterthwaite degrees of freedom of the variance (Carter,
    Schnepel & Steigerwald 2017 effective number of clusters): few (below ~15) means a few large
    accounts dominate and the interval is too narrow (docs/statistics.md, "Experiments randomised
    by account"); ``se_abs_diff_naive`` and ``p_value_naive`` are the (wrong) user-level z-test,
    for comparison only. ``status`` is "ok" or "not_enough_data"; ``note`` explains any None.
    """

    n_accounts: int
    n_accounts_control: int
    icc: float | None = None
    design_effect: float | None = None
    design_effect_from_icc: float | None = None
    mean_account_size: float | None = None
    cv_account_size: float | None = None
    effective_accounts: float | None = None
    se_abs_diff_naive: float | None = None
    p_value_naive: float | None = None

    _json_fields = COMMON_JSON + ("n_accounts", "n_accounts_control", "icc", "design_effect", "design_effect_from_icc",
                                   "mean_account_size", "cv_account_size", "effective_accounts", "se_abs_diff_naive",
                                   "p_value_naive")


def compare_clustered(treatment: ClusterStats, control: ClusterStats, alpha: float = 0.05) -> ClusterComparison:
    """Compare a per-user metric (mean, or proportion of a 0/1 metric) between arms randomised by ACCOUNT.

    Methods (formulas and references in the module docstring):
      * per arm Ȳ = Σy_k/Σn_k with the account-level delta-method variance (Deng, Knoblich & Lu
        2018) = the CR0 cluster-robust variance times the small-sample factor f, which makes it
        unbiased under a one-way random-effects working model with the pooled ANOVA ICC
        (Bell & McCaffrey 2002's principle; f = K/(K-1) for equal account sizes);
      * abs_diff = Ȳ₁ - Ȳ₀, Wald interval ± z·sqrt(var₁ + var₀), two-sided z-test on the same SE
        (abs_ci excludes 0 exactly when p_value < alpha); rel_lift = Ȳ₁/Ȳ₀ - 1 with Fieller's
        interval (Fieller 1954; None when the control's interval contains 0, as it is then
        unbounded) and the delta-method SE of the log ratio for reference;
      * the pooled ANOVA ICC (Donner & Koval 1980), the observed design effect (clustered / naive
        variance of the difference), the model design effect from the ICC and the sizes (Eldridge,
        Ashby & Kerry 2006), the effective number of accounts and the naive user-level z-test.

    Degenerate data (never NaN, inf or an exception): fewer than 2 accounts in an arm, or zero
    between-account variance in both arms, give status "not_enough_data" with the point estimates
    kept; a control mean of 0 leaves rel_lift None.
    """
    check_stats(treatment, ClusterStats, "treatment")
    check_stats(control, ClusterStats, "control")
    alpha = check_alpha(alpha)
    t, c = treatment, control
    arr = compare_clustered_arrays(t.to_arrays(), c.to_arrays(), alpha)
    m1, m0 = t.mean, c.mean
    v1, v0 = finite_or_none(arr.var_mean), finite_or_none(arr.var_mean_control)
    k_all, n_all = t.n_accounts + c.n_accounts, t.n_users + c.n_users
    extra: dict[str, Any] = {"icc": finite_or_none(arr.icc), "design_effect": finite_or_none(arr.design_effect),
                             "se_abs_diff_naive": finite_or_none(arr.diff_naive.se), "p_value_naive": finite_or_none(arr.diff_naive.p_value)}
    if k_all > 0:
        m_bar = n_all / k_all
        extra["mean_account_size"] = m_bar
        extra["cv_account_size"] = math.sqrt(max((t.sum_n2 + c.sum_n2) / k_all - m_bar * m_bar, 0.0)) / m_bar
        if extra["icc"] is not None:
            extra["design_effect_from_icc"] = 1.0 + ((t.sum_n2 + c.sum_n2) / n_all - 1.0) * max(extra["icc"], 0.0)
    abs_diff = None if m1 is None or m0 is None else m1 - m0
    base = dict(n=t.n_users, n_control=c.n_users, n_accounts=t.n_accounts, n_accounts_control=c.n_accounts,
                estimate=m1, estimate_control=m0, alpha=alpha, method=METHOD_CLUSTER, **extra)

    def not_enough(note: Note) -> ClusterComparison:
        return ClusterComparison(
            **base, se_estimate=None if v1 is None else math.sqrt(v1),
            se_estimate_control=None if v0 is None else math.sqrt(v0),
            abs_diff=abs_diff, abs_ci=None, se_abs_diff=None,
            rel_lift=point_lift(m1, m0), rel_ci=None, se_log_ratio=None,
            p_value=None, status=STATUS_NOT_ENOUGH_DATA, notes=(note,),
        )

    if t.n_accounts < 2 or c.n_accounts < 2:
        return not_enough(
            arm_shortfall(NoteCode.TOO_FEW_ACCOUNTS, t.n_accounts < 2, c.n_accounts < 2)
        )
    if v1 == 0.0 and v0 == 0.0:
        return not_enough(
            Note(NoteCode.ZERO_VARIANCE_ACCOUNTS)
        )
    notes: list[Note] = []
    rel_lift, rel_ci, se_log = point_lift(m1, m0), None, finite_or_none(arr.rel.se_log_ratio)
    lo, hi = finite_or_none(arr.rel.ci_low), finite_or_none(arr.rel.ci_high)
    if m0 == 0.0:
        notes.append(Note.of(NoteCode.CONTROL_ZERO, estimate="mean"))
    elif lo is None or hi is None:
        notes.append(Note(NoteCode.CONTROL_NOT_DISTINGUISHABLE_FROM_ZERO))
    else:
        rel_ci = (lo, hi)
    d = arr.diff
    return ClusterComparison(
        **base, se_estimate=math.sqrt(v1), se_estimate_control=math.sqrt(v0),  # type: ignore[arg-type]
        abs_diff=float(d.abs_diff), abs_ci=(float(d.ci_low), float(d.ci_high)), se_abs_diff=float(d.se),
        rel_lift=rel_lift, rel_ci=rel_ci, se_log_ratio=se_log, effective_accounts=finite_or_none(arr.effective_accounts),
        p_value=float(d.p_value), status=STATUS_OK, notes=tuple(notes),
    )


def icc_anova(stats: ClusterStats) -> float | None:
    """One arm's ANOVA intra-class correlation (Donner & Koval 1980; formula in the module docstring).

    None with fewer than 2 accounts, when every account has one user (no within-account
    information), or when the data have no variance at all. May be negative.
    """
    check_stats(stats, ClusterStats, "stats")
    return finite_or_none(_icc_arrays([stats.to_arrays()]).icc)


def design_effect_from_icc(icc: float, mean_account_size: float, cv_account_size: float = 0.0) -> float:
    """1 + ((1 + CV²)·m̄ - 1)·ICC: the variance inflation of a per-user mean when accounts of mean
    size m̄ (CV = population SD / mean of the sizes) are randomised instead of users (Kish 1965 for
    CV = 0; Eldridge, Ashby & Kerry 2006 for unequal sizes). ICC in [0, 1), m̄ >= 1, CV >= 0."""
    rho = _finite(icc, "icc")
    if not 0.0 <= rho < 1.0:
        raise ValueError(f"icc must be in [0, 1), got {icc!r}")
    m = _check_positive(mean_account_size, "mean_account_size")
    if m < 1.0:
        raise ValueError(f"mean_account_size must be >= 1 (users per account), got {mean_account_size!r}")
    cv = _check_positive(cv_account_size, "cv_account_size", allow_zero=True)
    return 1.0 + ((1.0 + cv * cv) * m - 1.0) * rho


@dataclass(frozen=True)
class ClusteredSampleSize:
    """Users and accounts ONE arm needs when accounts are randomised (:func:`users_needed_clustered`)."""

    users: int
    accounts: int
    design_effect: float
    users_if_independent: int


def users_needed_clustered(users_if_independent: int, icc: float, mean_account_size: float,
                           cv_account_size: float = 0.0) -> ClusteredSampleSize:
    """Inflate the users one arm needs under user randomisation (an element of
    :func:`guidelab.stats.power.users_needed`) for account randomisation:

        users = ceil(users_if_independent · DE),  DE = :func:`design_effect_from_icc`,
        accounts = ceil(users / m̄).

    Standard cluster-trial planning (Donner & Klar 2000, Design and Analysis of Cluster
    Randomization Trials, ch. 5; Eldridge, Ashby & Kerry 2006 for unequal sizes). It relies on
    the normal approximation, i.e. on many accounts: the calibration in docs/statistics.md holds
    from about 500 accounts per arm for heavy-tailed sizes; plan more accounts below that.
    """
    n = check_count(users_if_independent, "users_if_independent")
    if n < 1:
        raise ValueError(f"users_if_independent must be >= 1, got {users_if_independent!r}")
    de = design_effect_from_icc(icc, mean_account_size, cv_account_size)
    users = max(n, math.ceil(n * de - 1e-9))
    return ClusteredSampleSize(users=users, accounts=math.ceil(users / float(mean_account_size) - 1e-9),
                               design_effect=de, users_if_independent=n)


# --------------------------------------------------------------------------- simulation helpers


class AccountSums(NamedTuple):
    """Per-account sufficient statistics: users n_k, metric total y_k, sum of squared user values."""

    users: np.ndarray
    totals: np.ndarray
    user_sq_totals: np.ndarray


def draw_account_sizes(rng: np.random.Generator, shape: Any, *, distribution: str = "lognormal",
                       median: float = 5.0, sigma: float = 1.5, pareto_shape: float = 1.1,
                       max_size: int = 500) -> np.ndarray:
    """Account sizes (users per account) in 1..max_size, as int64 of ``shape``.

    "lognormal": ceil(exp(N(log median, sigma²))) clipped; "pareto": floor(U^(-1/pareto_shape)),
    a discrete Pareto with P(size >= s) ≈ s^-pareto_shape, clipped. Both give many one- and few-user
    accounts and a tail of large ones, like B2B customer bases.
    """
    if distribution == "lognormal":
        raw = np.ceil(np.exp(rng.normal(math.log(median), sigma, size=shape)))
    elif distribution == "pareto":
        raw = np.floor(rng.uniform(0.0, 1.0, size=shape) ** (-1.0 / pareto_shape))
    else:
        raise ValueError(f"distribution must be 'lognormal' or 'pareto', got {distribution!r}")
    return np.clip(raw, 1, max_size).astype(np.int64)


def simulate_account_sums(rng: np.random.Generator, users: Any, *, kind: str, mean: float, icc: float,
                          sd: float = 1.0, effect: Any = 0.0, size_slope: float = 0.0) -> AccountSums:
    """Per-account sufficient statistics drawn directly (exact in distribution, no user rows).

    ``users``: array of account sizes (any shape, >= 1). ``effect``: the true absolute effect on
    the per-user mean, broadcast against ``users`` (0 for control accounts, e.g. ``effect * treated``).

    * kind "proportion": account rates p_k ~ Beta(mean·φ, (1-mean)·φ), φ = (1-icc)/icc, so the
      user-level ICC of the 0/1 values is exactly ``icc``; y_k ~ Binomial(n_k, p_k') and Σv² = y_k.
      An effect e moves p to p + e(1-p)/(1-mean) (e > 0) or p(1 + e/mean) (e < 0): the mean rate
      moves by exactly e and every rate stays in [0, 1].
    * kind "mean": v = μ_k + ε, μ_k = mean + effect + size_slope·log(n_k) + u_k,
      u_k ~ N(0, icc·sd²), ε ~ N(0, (1-icc)·sd²). Per account S = Σε ~ N(0, n σ_w²) and
      Σε² = S²/n + σ_w² χ²_{n-1} (independent of S), so y_k = n μ_k + S and
      Σv² = n μ_k² + 2μ_k S + Σε² exactly. ``size_slope`` makes larger accounts differ (a stress
      test for the ratio estimator; with a slope the ICC is no longer exactly ``icc``).
    """
    n = np.asarray(users, dtype=np.int64)
    nf = n.astype(float)
    e = np.broadcast_to(np.asarray(effect, dtype=float), n.shape)
    rho = float(icc)
    if not 0.0 < rho < 1.0:
        raise ValueError(f"icc must be in (0, 1), got {icc!r}")
    if kind == "proportion":
        if not 0.0 < mean < 1.0:
            raise ValueError(f"a proportion's mean must be in (0, 1), got {mean!r}")
        phi = (1.0 - rho) / rho
        p = rng.beta(mean * phi, (1.0 - mean) * phi, size=n.shape)
        p = np.where(e > 0, p + e * (1.0 - p) / (1.0 - mean), p * (1.0 + np.minimum(e, 0.0) / mean))
        y = rng.binomial(n, np.clip(p, 0.0, 1.0)).astype(float)
        return AccountSums(n, y, y.copy())
    if kind == "mean":
        sigma_w = math.sqrt(1.0 - rho) * sd
        mu = mean + e + size_slope * np.log(nf) + rng.normal(0.0, math.sqrt(rho) * sd, size=n.shape)
        s = rng.normal(0.0, 1.0, size=n.shape) * np.sqrt(nf) * sigma_w
        within = s * s / nf + sigma_w * sigma_w * rng.gamma((nf - 1.0) / 2.0, 2.0)
        return AccountSums(n, nf * mu + s, nf * mu * mu + 2.0 * mu * s + within)
    raise ValueError(f"kind must be 'proportion' or 'mean', got {kind!r}")


def arm_sums(accounts: AccountSums, in_arm: Any) -> ArmSums:
    """Sum per-account statistics over the accounts (last axis) where ``in_arm`` is True: what the
    SQL of the module docstring returns for one arm, for many simulated experiments at once."""
    w = np.asarray(in_arm, dtype=float)
    n = accounts.users.astype(float)
    y = accounts.totals
    n2 = n * n
    return ArmSums(w.sum(-1), (w * n).sum(-1), (w * y).sum(-1), (w * y * y).sum(-1), (w * n2).sum(-1),
                   (w * n * y).sum(-1), (w * n2 * n).sum(-1), (w * n2 * n2).sum(-1),
                   (w * accounts.user_sq_totals).sum(-1), (w * y * y / n).sum(-1))
