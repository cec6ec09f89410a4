"""Bayesian view of a two-arm conversion-rate test: the conjugate Beta-Binomial model.

Each arm's rate gets an independent Beta(a, b) prior; after ``s`` successes out of ``n`` users its
posterior is Beta(a + s, b + n - s) (Gelman et al., *Bayesian Data Analysis*, 3rd ed., 2013,
section 2.4). From the two posteriors, with p_t the treatment rate and p_c the control rate:

* chance to beat control P(p_t > p_c),
* expected loss of shipping the treatment E[max(p_c - p_t, 0)] and of keeping the control
  E[max(p_t - p_c, 0)] (Stucchio 2015, "Bayesian A/B testing at VWO"),
* an equal-tailed credible interval for the relative lift p_t/p_c - 1 or the difference p_t - p_c.

Everything is computed deterministically (no random draws) to an absolute error of ~1e-11 or
better: a closed-form finite sum (Miller 2015, "Formulas for Bayesian A/B testing") when it is
short, otherwise Gauss-Kronrod quadrature with an error estimate (``scipy.integrate.quad`` as the
fallback where that estimate is not small enough), and root finding on the exact CDF for the
interval.

The scalar entry point :func:`beta_binomial` is a thin wrapper over vectorised helpers
(:func:`_chance_to_beat_arrays`, :func:`_expected_loss_arrays`, :func:`_credible_interval_arrays`)
so the calibration simulations exercise exactly the code that produces real results.
"""
from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from itertools import pairwise
from numbers import Real
from typing import Any, ClassVar, Literal, NamedTuple

import numpy as np
from scipy import special

from ..serialize import Interval, ResultModel
from ._common import (
    STATUS_NOT_ENOUGH_DATA,
    STATUS_OK,
    LazyScipy,
    check_alpha,
    check_arm,
    finite_or_none,
)
from .notes import Note, NoteCode, Noted, arms_code

integrate = LazyScipy("scipy.integrate")  # imported on first use (~1 s)

__all__ = ["BayesResult", "beta_binomial"]

METHOD = (
    "beta-binomial conjugate posteriors; exact chance to beat control and expected losses "
    "(Miller 2015 finite sum or error-controlled quadrature); equal-tailed credible interval "
    "by inverting the exact CDF of the lift"
)

# Miller's sum is used when every posterior parameter is at most this (one term per unit of the
# integer parameter). Its log-space terms come from SciPy's betaln, whose error grows with the
# arguments: the sum's absolute error is ~2.5e-15 x the largest parameter, <= 5e-12 here.
_MILLER_MAX_PARAM = 2_000
# Total absolute error allowed for one vectorised quadrature before falling back to quad.
_GK_TOL = 1e-11
# Integration range in normal-score space: the mass beyond |z| = 8.5 is 2e-17.
_Z_MAX = 8.5
# Relative-scale root finding works on s = log(p_t/p_c), restricted to [-_S_MAX, _S_MAX]:
# exp(690) is close to the largest double, so a quantile beyond it is not representable.
_S_MAX = 690.0
_TINY = 1e-300  # below this, Beta quantiles may underflow: work with their logs
_LOG_TINY = math.log(_TINY)

# Gauss-Kronrod 7/15 rule on [-1, 1] (QUADPACK qk15; Piessens et al. 1983). The 7 Gauss nodes
# are the odd-indexed Kronrod nodes.
_XGK = np.array([
    -0.991455371120812639206854697526329, -0.949107912342758524526189684047851,
    -0.864864423359769072789712788640926, -0.741531185599394439863864773280788,
    -0.586087235467691130294144838258730, -0.405845151377397166906606412076961,
    -0.207784955007898467600689403773245, 0.0,
    0.207784955007898467600689403773245, 0.405845151377397166906606412076961,
    0.586087235467691130294144838258730, 0.741531185599394439863864773280788,
    0.864864423359769072789712788640926, 0.949107912342758524526189684047851,
    0.991455371120812639206854697526329,
])
_WGK = np.array([
    0.022935322010529224963732008058970, 0.063092092629978553290700663189204,
    0.104790010322250183839876322541518, 0.140653259715525918745189590510238,
    0.169004726639267902826583426598550, 0.190350578064785409913256402421014,
    0.204432940075298892414161999234649, 0.209482141084727828012999174891714,
    0.204432940075298892414161999234649, 0.190350578064785409913256402421014,
    0.169004726639267902826583426598550, 0.140653259715525918745189590510238,
    0.104790010322250183839876322541518, 0.063092092629978553290700663189204,
    0.022935322010529224963732008058970,
])
_WG = np.zeros(15)
_WG[1::2] = [
    0.129484966168869693270611432679082, 0.279705391489276667901467771423780,
    0.381830050505118944950369775488975, 0.417959183673469387755102040816327,
    0.381830050505118944950369775488975, 0.279705391489276667901467771423780,
    0.129484966168869693270611432679082,
]
_N_PANELS = 17
_SQRT_2PI = math.sqrt(2.0 * math.pi)
# Kronrod nodes of _N_PANELS equal panels on s in [0, 1], shape (P, 15)
_S = ((np.arange(_N_PANELS) + 0.5)[:, None] + 0.5 * _XGK) / _N_PANELS
_Z_FULL = -_Z_MAX + 2.0 * _Z_MAX * _S  # full range: linear map to [-8.5, 8.5]
_W_FULL = np.exp(-0.5 * _Z_FULL**2) / _SQRT_2PI * (2.0 * _Z_MAX)  # phi(z) dz/ds
_S3 = 3.0 * _S**2 - 2.0 * _S**3  # truncated range: cubic map (z - z_lo)/(z_hi - z_lo)
_DS3 = 6.0 * _S * (1.0 - _S)  # its derivative


# --------------------------------------------------------------------------- validation


def _check_prior(prior: Any) -> tuple[float, float]:
    try:
        a, b = prior
    except (TypeError, ValueError):
        raise ValueError(f"prior must be a pair (a, b) of positive numbers, got {prior!r}") from None
    out = []
    for v in (a, b):
        if isinstance(v, bool) or not isinstance(v, Real) or not math.isfinite(float(v)) or float(v) <= 0:
            raise ValueError(f"prior must be a pair (a, b) of positive finite numbers, got {prior!r}")
        out.append(float(v))
    return out[0], out[1]


def _check_scale(scale: Any) -> Literal["relative", "absolute"]:
    if scale not in ("relative", "absolute"):
        raise ValueError(f"scale must be 'relative' or 'absolute', got {scale!r}")
    return scale


# --------------------------------------------------------------------------- beta helpers


def _beta_quantile(a: Any, b: Any, z: Any) -> np.ndarray:
    """Quantile of Beta(a, b) at probability Phi(z), accurate in both tails.

    For z > 0 the upper-tail inverse of 1 - Phi(z) = Phi(-z) is used, so no tail probability is
    rounded to 1.
    """
    a, b, z = np.broadcast_arrays(*(np.asarray(v, dtype=float) for v in (a, b, z)))
    out = np.empty(z.shape)
    low = z <= 0.0
    out[low] = special.betaincinv(a[low], b[low], special.ndtr(z[low]))
    up = ~low
    out[up] = special.betainccinv(a[up], b[up], special.ndtr(-z[up]))
    return out


def _beta_log_quantile(a: Any, b: Any, z: Any, q: np.ndarray) -> np.ndarray:
    """log of the quantile ``q`` = Q(Phi(z)) of Beta(a, b), also where q underflows.

    Below 1e-300, F(x) = x^a / (a B(a, b)) to double precision (the next term is relatively
    O(b x)), so log Q(u) = (log u + log a + log B(a, b)) / a. Such quantiles occur only with a
    tiny parameter a (e.g. a prior a = 0.01 and no successes: half the mass is below 1e-150).
    """
    a, b, z, q = np.broadcast_arrays(*(np.asarray(v, dtype=float) for v in (a, b, z, q)))
    with np.errstate(divide="ignore"):
        out = np.log(q)
    tiny = q < _TINY
    if tiny.any():
        at = a[tiny]
        out[tiny] = (special.log_ndtr(z[tiny]) + np.log(at) + special.betaln(at, b[tiny])) / at
    return out


def _log_beta_sd(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """sd of log p for p ~ Beta(a, b): sqrt(trigamma(a) - trigamma(a + b))."""
    return np.sqrt(special.polygamma(1, a) - special.polygamma(1, a + b))


def _beta_sd(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    s = a + b
    return np.sqrt(a * b / (s * s * (s + 1.0)))


class _LinearCdf:
    """P(X <= k*Y + d) for independent X ~ Beta(ax, bx), Y ~ Beta(ay, by) and k > 0, elementwise.

    Conditioning on one variable turns the probability into a one-dimensional integral over that
    variable's probability scale, written in normal scores u = Phi(z) so the integrand is bounded
    and the Gaussian weight makes the tails negligible:

        on Y:  P = int F_X(k*Q_Y(Phi(z)) + d) phi(z) dz
        on X:  P = int S_Y((Q_X(Phi(z)) - d)/k) phi(z) dz

    (F = regularised incomplete beta ``betainc``, S = 1 - F, Q = the inverse ``betaincinv`` /
    ``betainccinv``; Boost implementations in SciPy). The integrand is smooth
    when the conditioning variable is the narrower one; we start with the smaller sd of log p
    when d = 0 (ratios, chance to beat: the scale on which a posterior piled up at 0 is wide),
    else the smaller sd of p, and switch to the other variable for elements whose error estimate
    is too large. With d = 0 the argument k*Q is formed in log space, and below 1e-300 F and S
    use their leading power term x^a / (a B(a, b)), exact to double precision there, so
    posteriors piled up at 0 (tiny prior a, no successes) are integrated exactly; with
    ``near_one`` (k = 1, d = 0: the chance to beat) 1 - Q is also computed directly (as the
    quantile of Beta(b, a)) and used above the median, so piles at 1 are exact too. Where the
    argument of F_X (S_Y) would leave [0, 1] the integrand is exactly 0 or 1: that part is added
    in closed form and the integral runs over the rest, [z_lo, z_hi], with the cubic
    substitution z = z_lo + (z_hi - z_lo)(3s^2 - 2s^3) that smooths the power-law behaviour at a
    truncation point; on the full range |z| <= 8.5 (the mass outside is 2e-17) the map is linear.

    Gauss-Kronrod 7/15 on 17 equal panels in s with QUADPACK's error estimate; an element whose
    estimate exceeds 1e-11 with both conditionings is recomputed with adaptive
    ``scipy.integrate.quad`` (NaN if even that reports an error above 1e-9). The quantiles at the
    nodes of the full range depend only on the conditioning variable, so they are computed once
    (lazily for the second conditioning) and reused across the many (k, d) of a root search.
    """

    def __init__(self, ax: Any, bx: Any, ay: Any, by: Any, log_scale: Any = True,
                 near_one: bool = False) -> None:
        self.ax, self.bx, self.ay, self.by = (np.asarray(v, dtype=float).ravel() for v in (ax, bx, ay, by))
        # compare spreads on the log scale where log_scale (bool or per-element array), else of p
        log_scale = np.broadcast_to(np.asarray(log_scale, dtype=bool), self.ax.shape)
        spread_x = np.where(log_scale, _log_beta_sd(self.ax, self.bx), _beta_sd(self.ax, self.bx))
        spread_y = np.where(log_scale, _log_beta_sd(self.ay, self.by), _beta_sd(self.ay, self.by))
        self.on_y = np.asarray(spread_y <= spread_x)
        self.near_one = near_one
        # node quantiles for the first (False) and second (True) conditioning:
        # (q, log q, 1 - q, log(1 - q), ready); 1 - q only with near_one
        self._nodes: dict[bool, tuple[np.ndarray, ...]] = {}
        self._ensure(np.arange(self.ax.size), False)

    def __len__(self) -> int:
        return self.ax.size

    def _orientation(self, idx: np.ndarray, flip: bool) -> np.ndarray:
        return self.on_y[idx] ^ flip

    def _cond_params(self, idx: np.ndarray, on_y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        return np.where(on_y, self.ay[idx], self.ax[idx]), np.where(on_y, self.by[idx], self.bx[idx])

    def _quantiles(self, a: np.ndarray, b: np.ndarray, z: np.ndarray) -> tuple[np.ndarray, ...]:
        """(q, log q, 1 - q, log(1 - q)) of Beta(a, b) at Phi(z); 1 - q = the quantile of
        Beta(b, a) at Phi(-z), computed directly so it stays exact near 1 (only with near_one)."""
        q = _beta_quantile(a, b, z)
        out = (q, _beta_log_quantile(a, b, z, q))
        if not self.near_one:
            return out + (q, q)  # placeholders, unused
        omq = _beta_quantile(b, a, -z)
        return out + (omq, _beta_log_quantile(b, a, -z, omq))

    def _ensure(self, idx: np.ndarray, flip: bool) -> None:
        """Compute the full-range node quantiles of the elements ``idx`` if not done yet."""
        if flip not in self._nodes:
            shape = (len(self),) + _Z_FULL.shape
            arrays = [np.empty(shape) for _ in range(4 if self.near_one else 2)]
            self._nodes[flip] = (*arrays, np.zeros(len(self), dtype=bool))
        *arrays, ready = self._nodes[flip]
        todo = np.unique(idx[~ready[idx]])
        if todo.size:
            ca, cb = self._cond_params(todo, self._orientation(todo, flip))
            for arr, val in zip(arrays, self._quantiles(ca[:, None, None], cb[:, None, None], _Z_FULL[None])):
                arr[todo] = val
            ready[todo] = True

    def _node_quantiles(self, j: np.ndarray, flip: bool) -> tuple[np.ndarray, ...]:
        self._ensure(j, flip)
        arrays = self._nodes[flip][:-1]
        if not self.near_one:
            arrays = arrays + arrays
        return tuple(arr[j] for arr in arrays)

    def _integrand(self, qs: tuple[np.ndarray, ...], k: np.ndarray, d: np.ndarray,
                   idx: np.ndarray, on_y: np.ndarray) -> np.ndarray:
        """Integrand at conditioning-variable values ``qs`` = (q, log q, 1 - q, log(1 - q)),
        each of shape (len(idx), ...)."""
        q, logq, omq, logomq = qs
        shape = (-1,) + (1,) * (q.ndim - 1)
        k, d = k.reshape(shape), d.reshape(shape)
        out = np.empty(q.shape)
        for sel, sign in ((on_y, 1.0), (~on_y, -1.0)):
            if not sel.any():
                continue
            # on Y: F_X(k q + d); on X: S_Y((q - d) / k)
            a = np.broadcast_to((self.ax if sign > 0 else self.ay)[idx][sel].reshape(shape), q[sel].shape)
            b = np.broadcast_to((self.bx if sign > 0 else self.by)[idx][sel].reshape(shape), q[sel].shape)
            ks, ds, qq = k[sel], d[sel], q[sel]
            zero_d = np.broadcast_to(ds == 0.0, qq.shape)
            larg = logq[sel] + sign * np.log(ks)  # log of the argument when d == 0
            with np.errstate(over="ignore"):
                arg = np.where(zero_d, np.exp(larg), ks * qq + ds if sign > 0 else (qq - ds) / ks)
            arg = np.clip(arg, 0.0, 1.0)
            val = special.betainc(a, b, arg)
            if sign < 0:  # S = 1 - F: absolute error ~1e-16 is all we need; betaincc is ~4x slower
                val = 1.0 - val
            # below 1e-300: F(x) = x^a / (a B(a, b)) to double precision
            tiny = zero_d & (larg < _LOG_TINY)
            if tiny.any():
                at, bt = a[tiny], b[tiny]
                logf = at * larg[tiny] - np.log(at) - special.betaln(at, bt)
                val[tiny] = np.exp(logf) if sign > 0 else -np.expm1(logf)
            if self.near_one:
                # k = 1, d = 0 and q > 1/2: use 1 - q, exact near 1: F(q) = S'(1 - q) for the
                # flipped Beta(b, a), and its power term when 1 - q < 1e-300
                hi = zero_d & np.broadcast_to(ks == 1.0, qq.shape) & (qq > 0.5)
                if hi.any():
                    ah, bh, om, lom = a[hi], b[hi], omq[sel][hi], logomq[sel][hi]
                    v = special.betaincc(bh, ah, om) if sign > 0 else special.betainc(bh, ah, om)
                    low = lom < _LOG_TINY
                    if low.any():
                        logf = bh[low] * lom[low] - np.log(bh[low]) - special.betaln(bh[low], ah[low])
                        v[low] = -np.expm1(logf) if sign > 0 else np.exp(logf)
                    val[hi] = v
            out[sel] = val
        return out

    def _domain(self, k: np.ndarray, d: np.ndarray, idx: np.ndarray, on_y: np.ndarray) -> tuple[np.ndarray, ...]:
        """(base, z_lo, z_hi): outside [z_lo, z_hi] the integrand is exactly 0 or 1; ``base`` is
        the probability of the part where it is 1."""
        ca, cb = self._cond_params(idx, on_y)
        # conditioning-variable values where the argument reaches 0 and 1
        c0 = np.where(on_y, -d / k, d)
        c1 = np.where(on_y, (1.0 - d) / k, d + k)
        below = np.where(c0 > 0.0, special.betainc(ca, cb, np.clip(c0, 0.0, 1.0)), 0.0)
        above = np.where(c1 < 1.0, special.betaincc(ca, cb, np.clip(c1, 0.0, 1.0)), 0.0)
        base = np.where(on_y, above, below)
        with np.errstate(divide="ignore"):
            z_lo = np.maximum(special.ndtri(below), -_Z_MAX)
            z_hi = np.minimum(-special.ndtri(above), _Z_MAX)
        return base, z_lo, z_hi

    def _eval(self, k: np.ndarray, d: np.ndarray, idx: np.ndarray, flip: bool) -> tuple[np.ndarray, ...]:
        """(value, error estimate, base, z_lo, z_hi) by Gauss-Kronrod with one conditioning."""
        on_y = self._orientation(idx, flip)
        base, z_lo, z_hi = self._domain(k, d, idx, on_y)
        value, err = base.copy(), np.zeros(idx.shape)
        full = (z_lo <= -_Z_MAX) & (z_hi >= _Z_MAX)
        part = ~full & (z_hi > z_lo)
        if full.any():
            j = idx[full]
            g = self._integrand(self._node_quantiles(j, flip), k[full], d[full], j, on_y[full]) * _W_FULL
            value[full], err[full] = _gauss_kronrod(g)
        if part.any():
            j = idx[part]
            width = (z_hi - z_lo)[part, None, None]
            z = z_lo[part, None, None] + width * _S3
            ca, cb = self._cond_params(j, on_y[part])
            qs = self._quantiles(ca[:, None, None], cb[:, None, None], z)
            g = self._integrand(qs, k[part], d[part], j, on_y[part]) * (np.exp(-0.5 * z * z) * width * _DS3)
            v, e = _gauss_kronrod(g)
            value[part] += v / _SQRT_2PI
            err[part] = e / _SQRT_2PI
        return value, err, base, z_lo, z_hi

    def __call__(self, k: Any, d: Any = 0.0, idx: np.ndarray | None = None) -> np.ndarray:
        idx = np.arange(len(self)) if idx is None else np.asarray(idx)
        k = np.broadcast_to(np.asarray(k, dtype=float), idx.shape).copy()
        d = np.broadcast_to(np.asarray(d, dtype=float), idx.shape).copy()
        value, err, _, _, _ = self._eval(k, d, idx, False)
        bad = np.nonzero(~(err <= _GK_TOL))[0]
        if bad.size:  # try conditioning on the other variable
            v2, e2, base, z_lo, z_hi = self._eval(k[bad], d[bad], idx[bad], True)
            good = e2 <= _GK_TOL
            value[bad[good]] = v2[good]
            for i in np.nonzero(~good)[0]:  # adaptive quad as the last resort
                value[bad[i]] = base[i] + self._quad(int(idx[bad[i]]), float(k[bad[i]]), float(d[bad[i]]),
                                                     float(z_lo[i]), float(z_hi[i]))
        return np.clip(value, 0.0, 1.0)

    def _quad(self, j: int, k: float, d: float, z_lo: float, z_hi: float) -> float:
        """Adaptive ``scipy.integrate.quad`` of the integrand (second conditioning) over
        [z_lo, z_hi], one element; NaN if quad's own error estimate exceeds 1e-9."""
        jj, ka, da = np.array([j]), np.array([k]), np.array([d])
        on_y = self._orientation(jj, True)
        ca, cb = self._cond_params(jj, on_y)

        def f(z: float) -> float:
            qs = self._quantiles(ca, cb, np.array([z]))
            return float(self._integrand(qs, ka, da, jj, on_y)[0]) * math.exp(-0.5 * z * z)

        pts = np.linspace(z_lo, z_hi, _N_PANELS + 1)[1:-1]
        out = integrate.quad(f, z_lo, z_hi, points=pts, epsabs=1e-14, epsrel=1e-12, limit=500,
                             full_output=1)
        val, abserr = out[0] / _SQRT_2PI, out[1] / _SQRT_2PI
        return val if abserr <= 1e-9 else math.nan


def _gauss_kronrod(g: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Integral over s in [0, 1] and its error estimate from values g (m, P, 15) at the Kronrod
    nodes of P equal panels, with QUADPACK's qk15 error formula per panel."""
    half = 0.5 / _N_PANELS
    resk = g @ _WGK  # (m, P), per unit half-width
    resg = g @ _WG
    resasc = np.abs(g - 0.5 * resk[..., None]) @ _WGK
    err = np.abs(resk - resg)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        scaled = resasc * np.minimum(1.0, (200.0 * err / resasc) ** 1.5)
    err = np.where((resasc > 0) & (err > 0), scaled, err)
    return resk.sum(axis=1) * half, err.sum(axis=1) * half


# --------------------------------------------------------------------------- chance to beat


def _miller_sum(aA: np.ndarray, bA: np.ndarray, aB: np.ndarray, bB: np.ndarray) -> np.ndarray:
    """P(p_B > p_A) for p_A ~ Beta(aA, bA), p_B ~ Beta(aB, bB) with aB a whole number.

    Miller (2015), "Formulas for Bayesian A/B testing":
        P = sum_{i=0}^{aB-1} B(aA+i, bA+bB) / ((bB+i) B(1+i, bB) B(aA, bA)).
    Only aB must be an integer (the finite expansion of the incomplete beta I_x(aB, bB)); the
    other three parameters may be any positive reals. All terms are positive: each is formed in
    log space with ``betaln`` and they are summed with log-sum-exp per element, vectorised over a
    ragged index (chunks of <= 2M terms).
    """
    out = np.empty(aA.size)
    terms = aB.astype(np.int64)
    bounds, acc = [0], 0
    for end, t in enumerate(terms, start=1):
        acc += int(t)
        if acc >= 2_000_000:
            bounds.append(end)
            acc = 0
    if bounds[-1] != aA.size:
        bounds.append(aA.size)
    for lo, hi in pairwise(bounds):
        t = terms[lo:hi]
        grp = np.repeat(np.arange(hi - lo), t)
        starts = np.cumsum(t) - t
        i = (np.arange(int(t.sum())) - starts[grp]).astype(float)
        a_a, b_a, b_b = aA[lo:hi][grp], bA[lo:hi][grp], bB[lo:hi][grp]
        logt = (special.betaln(a_a + i, b_a + b_b) - np.log(b_b + i) - special.betaln(1.0 + i, b_b)
                - special.betaln(a_a, b_a))
        mx = np.maximum.reduceat(logt, starts)
        s = np.add.reduceat(np.exp(logt - mx[grp]), starts)
        out[lo:hi] = np.exp(mx + np.log(s))
    return out


def _chance_to_beat_arrays(a1: Any, b1: Any, a0: Any, b0: Any) -> np.ndarray:
    """P(p_t > p_c) for p_t ~ Beta(a1, b1), p_c ~ Beta(a0, b0), elementwise and exact.

    * Miller's finite sum (:func:`_miller_sum`) when every posterior parameter is <= 2,000 and
      one of them is a whole number (the shortest of the four forms is used):
          P(t > c) = S(A=c, B=t)                               [a1 whole]
                   = 1 - S(A=t, B=c)                           [a0 whole]
                   = S(A=Beta(b1, a1), B=Beta(b0, a0))         [b0 whole; 1-p swaps a and b]
                   = 1 - S(A=Beta(b0, a0), B=Beta(b1, a1))     [b1 whole]
      with S(A, B) = P(p_B > p_A). (Beyond 2,000, SciPy's ``betaln`` loses too many digits.)
    * Otherwise (large counts, non-integer priors) the integral P(p_c <= p_t) =
      int f_t(x) F_c(x) dx by :class:`_LinearCdf`, with quantiles and CDFs kept exact near both
      0 and 1 (log space, 1 - q computed directly), so even posteriors piled up within 1e-300 of
      0 or 1 (a tiny prior parameter) are resolved.

    Absolute error ~1e-11 or better on either path.
    """
    a1, b1, a0, b0 = np.broadcast_arrays(*(np.asarray(v, dtype=float) for v in (a1, b1, a0, b0)))
    shape = a1.shape
    a1, b1, a0, b0 = (v.ravel() for v in (a1, b1, a0, b0))
    cands = np.stack([a1, a0, b0, b1])  # (4, m): term counts of the four forms
    whole = cands == np.floor(cands)
    small = cands.max(axis=0) <= _MILLER_MAX_PARAM
    counts = np.where(whole, cands, np.inf)
    form = np.argmin(counts, axis=0)
    use_miller = small & whole.any(axis=0)
    out = np.empty(a1.size)

    # (aA, bA, aB, bB, complement) of each form
    forms = [
        (a0, b0, a1, b1, False),
        (a1, b1, a0, b0, True),
        (b1, a1, b0, a0, False),
        (b0, a0, b1, a1, True),
    ]
    for f, (aA, bA, aB, bB, comp) in enumerate(forms):
        sel = use_miller & (form == f)
        if sel.any():
            s = _miller_sum(aA[sel], bA[sel], aB[sel], bB[sel])
            out[sel] = 1.0 - s if comp else s
    rest = np.nonzero(~use_miller)[0]
    if rest.size:
        # P(t > c) = P(p_c <= 1 * p_t + 0)
        out[rest] = _LinearCdf(a0[rest], b0[rest], a1[rest], b1[rest], log_scale=True, near_one=True)(1.0, 0.0)
    return np.clip(out, 0.0, 1.0).reshape(shape)


# --------------------------------------------------------------------------- expected loss


def _expected_loss_arrays(a1: Any, b1: Any, a0: Any, b0: Any) -> tuple[np.ndarray, np.ndarray]:
    """(E[max(p_c - p_t, 0)], E[max(p_t - p_c, 0)]) elementwise, exact.

    Since x * Beta(x; a, b) = a/(a+b) * Beta(x; a+1, b) (because B(a+1, b) = B(a, b) a/(a+b)),
        E[p_c 1{p_c > p_t}] = a0/(a0+b0) * P(Beta(a0+1, b0) > Beta(a1, b1)),
        E[p_t 1{p_c > p_t}] = a1/(a1+b1) * P(Beta(a0, b0) > Beta(a1+1, b1)),
    and E[max(p_c - p_t, 0)] is the first minus the second (the closed form of Stucchio 2015,
    "Bayesian A/B testing at VWO"). Symmetrically for E[max(p_t - p_c, 0)]. Each probability is a
    chance to beat with shifted parameters (:func:`_chance_to_beat_arrays`), so the losses are as
    exact as those (absolute error ~1e-11); the difference is clipped at 0 against rounding.
    Identity: loss_control - loss_treatment = E[p_t] - E[p_c].
    """
    a1, b1, a0, b0 = np.broadcast_arrays(*(np.asarray(v, dtype=float) for v in (a1, b1, a0, b0)))
    m1, m0 = a1 / (a1 + b1), a0 / (a0 + b0)
    p = _chance_to_beat_arrays(
        np.stack([a0 + 1, a0, a1 + 1, a1]), np.stack([b0, b0, b1, b1]),
        np.stack([a1, a1 + 1, a0, a0 + 1]), np.stack([b1, b1, b0, b0]),
    )
    loss_treatment = np.maximum(m0 * p[0] - m1 * p[1], 0.0)
    loss_control = np.maximum(m1 * p[2] - m0 * p[3], 0.0)
    return loss_treatment, loss_control


# --------------------------------------------------------------------------- credible interval


def _find_root(f: Callable[[np.ndarray, np.ndarray], np.ndarray], x1: np.ndarray, f1: np.ndarray,
               x2: np.ndarray, f2: np.ndarray, xatol: float, fatol: float, maxiter: int = 100) -> np.ndarray:
    """Vectorised Chandrupatla (1997) bracketing root finder: inverse quadratic interpolation
    safeguarded by bisection (the algorithm of ``scipy.optimize.elementwise.find_root``, SciPy
    >= 1.15, re-implemented here for SciPy 1.13), with a secant first step.

    ``f(x, idx)`` evaluates the function of the elements ``idx`` at ``x``; [x1, x2] must bracket a
    root (f1, f2 of opposite signs or zero). Stops when |f| <= fatol or the bracket is narrower
    than xatol + 4 eps |x|. Returns NaN where it did not converge.
    """
    x1, f1, x2, f2 = (np.array(v, dtype=float) for v in (x1, f1, x2, f2))
    x3, f3 = x2.copy(), f2.copy()
    res = np.full(x1.shape, np.nan)
    # first step: secant (regula falsi) instead of Chandrupatla's bisection; stays in the bracket
    with np.errstate(divide="ignore", invalid="ignore"):
        t = np.clip(f1 / (f1 - f2), 0.01, 0.99)
    t = np.where(np.isfinite(t), t, 0.5)
    active = np.ones(x1.shape, dtype=bool)

    def check(ix: np.ndarray) -> np.ndarray:
        """Record converged elements among ``ix``; return the tolerance-based limit on t."""
        small = np.abs(f1[ix]) < np.abs(f2[ix])
        xm = np.where(small, x1[ix], x2[ix])
        fm = np.where(small, f1[ix], f2[ix])
        tol = xatol + 4.0 * np.finfo(float).eps * np.abs(xm)
        dx = np.abs(x2[ix] - x1[ix])
        done = (np.abs(fm) <= fatol) | (dx < tol) | np.isnan(fm)
        res[ix[done]] = np.where(np.isnan(fm[done]), np.nan, xm[done])
        active[ix[done]] = False
        with np.errstate(divide="ignore", invalid="ignore"):
            return 0.5 * tol / dx

    check(np.arange(x1.size))
    for _ in range(maxiter):
        ix = np.nonzero(active)[0]
        if ix.size == 0:
            break
        x = x1[ix] + t[ix] * (x2[ix] - x1[ix])
        fx = f(x, ix)
        same = np.sign(fx) == np.sign(f1[ix])
        x3[ix] = np.where(same, x1[ix], x2[ix])
        f3[ix] = np.where(same, f1[ix], f2[ix])
        x2[ix] = np.where(same, x2[ix], x1[ix])
        f2[ix] = np.where(same, f2[ix], f1[ix])
        x1[ix], f1[ix] = x, fx
        tl = check(ix)
        with np.errstate(divide="ignore", invalid="ignore"):
            xi = (x1[ix] - x2[ix]) / (x3[ix] - x2[ix])
            phi = (f1[ix] - f2[ix]) / (f3[ix] - f2[ix])
            al = (x3[ix] - x1[ix]) / (x2[ix] - x1[ix])
            iqi = ((1.0 - np.sqrt(1.0 - xi)) < phi) & (phi < np.sqrt(xi))
            tn = (f1[ix] / (f1[ix] - f2[ix]) * f3[ix] / (f3[ix] - f2[ix])
                  - al * f1[ix] / (f3[ix] - f1[ix]) * f2[ix] / (f2[ix] - f3[ix]))
        tn = np.where(iqi & np.isfinite(tn), tn, 0.5)
        t[ix] = np.clip(tn, np.minimum(tl, 0.5), np.maximum(1.0 - tl, 0.5))
    return res


def _cornish_fisher(a1: np.ndarray, b1: np.ndarray, a0: np.ndarray, b0: np.ndarray, p: np.ndarray,
                    rel: bool) -> tuple[np.ndarray, np.ndarray]:
    """Starting guess for the p-quantile of log(p_t/p_c) (rel) or p_t - p_c, and its sd.

    Cornish-Fisher expansion with the exact first four cumulants: of log p for p ~ Beta(a, b)
    they are psi^(n-1)(a) - psi^(n-1)(a+b) (polygamma); of p from the Beta skewness and kurtosis.
    Only a starting point for the exact root search.
    """
    if rel:
        k = [special.polygamma(n, a1) - special.polygamma(n, a1 + b1) for n in range(4)]
        c: Sequence[np.ndarray] = [special.polygamma(n, a0) - special.polygamma(n, a0 + b0) for n in range(4)]
        k1, k2, k3, k4 = k[0] - c[0], k[1] + c[1], k[2] - c[2], k[3] + c[3]
    else:
        def cumulants(a: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, ...]:
            s = a + b
            var = a * b / (s * s * (s + 1.0))
            skew = 2.0 * (b - a) * np.sqrt(s + 1.0) / ((s + 2.0) * np.sqrt(a * b))
            exkurt = 6.0 * ((a - b) ** 2 * (s + 1.0) - a * b * (s + 2.0)) / (a * b * (s + 2.0) * (s + 3.0))
            return a / s, var, skew * var**1.5, exkurt * var * var

        t, c = cumulants(a1, b1), cumulants(a0, b0)
        k1, k2, k3, k4 = t[0] - c[0], t[1] + c[1], t[2] - c[2], t[3] + c[3]
    sd = np.sqrt(k2)
    g1, g2 = k3 / sd**3, k4 / k2**2
    z = special.ndtri(p)
    w = z + (z * z - 1.0) * g1 / 6.0 + (z**3 - 3.0 * z) * g2 / 24.0 - (2.0 * z**3 - 5.0 * z) * g1 * g1 / 36.0
    return k1 + sd * w, sd


class _CIArrays(NamedTuple):
    low: np.ndarray  # NaN where undefined (see the flags)
    high: np.ndarray
    low_clamped: np.ndarray  # relative: lower quantile of p_t/p_c below exp(-690), reported as -1
    high_unbounded: np.ndarray  # relative: upper quantile of p_t/p_c beyond exp(690), NaN


def _credible_interval_arrays(a1: Any, b1: Any, a0: Any, b0: Any, alpha: float,
                              scale: str = "relative") -> _CIArrays:
    """Equal-tailed 1 - alpha credible interval of p_t/p_c - 1 ('relative') or p_t - p_c
    ('absolute'), elementwise, by inverting the exact CDF.

    CDF: relative  P(p_t/p_c <= r) = P(p_t <= r p_c) = int f_c(y) F_t(r y) dy   (root in log r)
         absolute  P(p_t - p_c <= d) = P(p_t <= p_c + d)
    both evaluated by :class:`_LinearCdf`. When the rates are near 1 (the two means add up to
    more than 1) the same events are written with t' = 1 - p_t ~ Beta(b1, a1) and c' = 1 - p_c,
    which doubles resolve there: P(p_t/p_c <= 1 + l) = 1 - P(t' <= (1 + l) c' - l) and
    P(p_t - p_c <= d) = P(c' <= t' + d). The alpha/2 and 1 - alpha/2 quantiles are found with
    :func:`_find_root` (|CDF - target| <= 1e-13 or the root bracketed within 1e-12). Starting
    bracket: a Cornish-Fisher guess (:func:`_cornish_fisher`) +- 0.01 sd, widened x10, x100 and
    finally to the guaranteed bracket [q_t(e)/q_c(1-e), q_t(1-e)/q_c(e)] (resp. differences)
    with e = alpha/5, whose CDF values are <= 2e < alpha/2 and >= 1 - 2e by a union bound.

    Relative scale, where the ratio is heavy-tailed because a posterior piles up at 0:
      * upper quantile of p_t/p_c beyond exp(690) (not a finite double): ``high`` NaN,
        ``high_unbounded``;
      * lower quantile below exp(-690): ``low`` = -1.0 (exact to double precision),
        ``low_clamped``.
    Both need a posterior with much of its mass below ~1e-300, i.e. a prior parameter a below
    ~0.05 and no successes; the uniform and Jeffreys priors always give finite bounds.
    """
    a1, b1, a0, b0 = (np.asarray(v, dtype=float).ravel() for v in np.broadcast_arrays(a1, b1, a0, b0))
    m = a1.size
    rel = scale == "relative"
    refl = a1 / (a1 + b1) + a0 / (a0 + b0) > 1.0  # work with 1 - p
    # working variables: X = p_t (or 1 - p_t), Y = p_c (or 1 - p_c)
    ta, tb = np.where(refl, b1, a1), np.where(refl, a1, b1)
    ca, cb = np.where(refl, b0, a0), np.where(refl, a0, b0)
    z_e = float(special.ndtri(alpha / 5.0))
    t_lo, t_hi = _beta_quantile(ta, tb, z_e), _beta_quantile(ta, tb, -z_e)
    c_lo, c_hi = _beta_quantile(ca, cb, z_e), _beta_quantile(ca, cb, -z_e)
    with np.errstate(divide="ignore", invalid="ignore"):
        if rel:  # in s = log(p_t/p_c)
            lo_hard = np.where(refl, np.log1p((c_lo - t_hi) / (1.0 - c_lo)), np.log(t_lo) - np.log(c_hi))
            hi_hard = np.where(refl, np.log1p((c_hi - t_lo) / (1.0 - c_hi)), np.log(t_hi) - np.log(c_lo))
            lo_hard, hi_hard = np.clip(lo_hard, -_S_MAX, _S_MAX), np.clip(hi_hard, -_S_MAX, _S_MAX)
        else:
            lo_hard = np.where(refl, c_lo - t_hi, t_lo - c_hi)
            hi_hard = np.where(refl, c_hi - t_lo, t_hi - c_lo)

    # the lower and upper quantile problems, stacked
    el = np.tile(np.arange(m), 2)
    tg = np.concatenate([np.full(m, alpha / 2.0), np.full(m, 1.0 - alpha / 2.0)])
    rf, lo_w, hi_w = refl[el], lo_hard[el], hi_hard[el]
    guess, sd_w = _cornish_fisher(a1[el], b1[el], a0[el], b0[el], tg, rel)
    guess = np.clip(np.nan_to_num(guess), lo_w, hi_w)
    if rel:  # P(X <= k Y + d) with X = t', Y = c' when reflected
        cdf = _LinearCdf(ta[el], tb[el], ca[el], cb[el], log_scale=~rf)
    else:  # P(p_t <= p_c + d), or P(c' <= t' + d)
        cdf = _LinearCdf(np.where(rf, ca[el], ta[el]), np.where(rf, cb[el], tb[el]),
                         np.where(rf, ta[el], ca[el]), np.where(rf, tb[el], cb[el]), log_scale=False)

    def f(x: np.ndarray, j: np.ndarray) -> np.ndarray:
        if rel:
            r = rf[j]
            val = cdf(np.exp(x), np.where(r, -np.expm1(x), 0.0), j)
            return np.where(r, 1.0 - val, val) - tg[j]
        return cdf(1.0, x, j) - tg[j]

    h = 0.01 * sd_w + 1e-12
    x1, x2 = np.maximum(guess - h, lo_w), np.minimum(guess + h, hi_w)
    allj = np.arange(2 * m)
    f1, f2 = f(x1, allj), f(x2, allj)
    # widen (x10, x100, then the guaranteed bracket) where the tight one fails
    for factor in (10.0, 100.0, None):
        left = (f1 > 0) & (x1 > lo_w)
        right = (f2 < 0) & (x2 < hi_w)
        if left.any():
            j = np.nonzero(left)[0]
            x2[j], f2[j] = x1[j], f1[j]
            x1[j] = lo_w[j] if factor is None else np.maximum(guess[j] - factor * h[j], lo_w[j])
            f1[j] = f(x1[j], j)
        if right.any():
            j = np.nonzero(right)[0]
            x1[j], f1[j] = x2[j], f2[j]
            x2[j] = hi_w[j] if factor is None else np.minimum(guess[j] + factor * h[j], hi_w[j])
            f2[j] = f(x2[j], j)
    # still not bracketed: the quantile lies beyond exp(+-690) (relative scale only)
    below, above = f1 > 0, f2 < 0
    root = np.full(2 * m, np.nan)
    ok = ~(below | above | np.isnan(f1) | np.isnan(f2))
    if ok.any():
        j = np.nonzero(ok)[0]
        root[j] = _find_root(lambda x, jj: f(x, j[jj]), x1[j], f1[j], x2[j], f2[j], xatol=1e-12, fatol=1e-13)
    if rel:
        val = np.expm1(root)
        val[below] = -1.0
        val[above] = np.nan
    else:
        val = np.clip(root, -1.0, 1.0)
    return _CIArrays(val[:m], val[m:], below[:m], above[m:])


# --------------------------------------------------------------------------- public API


@dataclass(frozen=True)
class BayesResult(Noted, ResultModel):
    """Bayesian comparison of a treatment rate p_t with a control rate p_c (Beta-Binomial).

    ``prior`` and the posteriors are Beta (a, b) pairs. ``chance_to_beat_control`` = P(p_t > p_c);
    ``expected_loss`` = E[max(p_c - p_t, 0)], the expected rate given up by shipping the
    treatment; ``expected_loss_control`` = E[max(p_t - p_c, 0)], the risk of keeping the control.
    ``credible_interval`` is the equal-tailed 1 - alpha posterior interval of the lift on
    ``scale`` ("relative": p_t/p_c - 1, "absolute": p_t - p_c). The interval is None only when
    a bound is not a finite double (see ``note``; needs a prior parameter below ~0.05 and no
    control successes; never with the uniform or Jeffreys prior).
    ``status`` is "ok" or "not_enough_data" (an arm has no users: its posterior is the prior, so
    the figures are computed but reflect the prior, not data).
    """

    prior: tuple[float, float]
    posterior_control: tuple[float, float]
    posterior_treatment: tuple[float, float]
    chance_to_beat_control: float | None
    expected_loss: float | None
    expected_loss_control: float | None
    credible_interval: Interval | None
    scale: str
    alpha: float
    status: str = STATUS_OK
    notes: tuple[Note, ...] = ()

    method: ClassVar[str] = METHOD  # the method named in the JSON form
    _json_fields = ("chance_to_beat_control", "expected_loss", "expected_loss_control", "credible_interval",
                    "scale", "prior", "method")


def beta_binomial(
    successes: int,
    n: int,
    successes_control: int,
    n_control: int,
    prior: tuple[float, float] = (1.0, 1.0),
    alpha: float = 0.05,
    scale: Literal["relative", "absolute"] = "relative",
) -> BayesResult:
    """Beta-Binomial posteriors of a treatment and a control conversion rate, and what they imply.

    Model (Gelman et al., *Bayesian Data Analysis*, 3rd ed., 2013, section 2.4): p ~ Beta(a, b)
    independently per arm with the same ``prior`` (a, b) > 0 (default uniform); the posterior is
    Beta(a + s, b + n - s).

    Methods (deterministic, no random draws; absolute error ~1e-11 or better):
      * chance_to_beat_control = P(p_t > p_c): Miller's (2015) closed-form finite sum when a
        posterior parameter is a whole number and all are <= 2,000 (e.g. the uniform prior with
        modest counts); otherwise the integral int f_t(x) F_c(x) dx by error-controlled
        Gauss-Kronrod quadrature in normal-score space, ``scipy.integrate.quad`` as fallback.
        Exact for non-integer priors and counts in the millions alike.
        See :func:`_chance_to_beat_arrays`.
      * expected_loss = E[max(p_c - p_t, 0)] and expected_loss_control = E[max(p_t - p_c, 0)]:
        closed form through Beta-function identities, as chances to beat with shifted parameters
        (Stucchio 2015, "Bayesian A/B testing at VWO"). See :func:`_expected_loss_arrays`.
      * credible_interval: equal-tailed 1 - alpha interval of p_t/p_c - 1 ('relative', default)
        or p_t - p_c ('absolute'), by root finding on the exact CDF
        P(p_t <= r p_c) = int f_c(y) F_t(r y) dy (resp. P(p_t <= p_c + d)).
        See :func:`_credible_interval_arrays`.

    Degenerate data (never NaN, inf or an exception):
      * an arm with n == 0: its posterior is the prior; the figures are computed (e.g. chance 0.5
        with both arms empty) but status is "not_enough_data" and the note says so.
      * 0 successes or all successes: the posterior is still proper (a, b > 0); nothing special.
        With the uniform or Jeffreys prior every figure is finite (a relative interval can be
        very wide, e.g. 0/10 control).
      * a posterior piled up at 0 or 1 (a prior parameter below ~0.05 and no successes or no
        failures: most of its mass within 1e-300 of the end): quantiles are handled in log space,
        so the chance to beat and the losses stay exact. On the relative scale, if the upper
        quantile of p_t/p_c exceeds exp(690) (not a finite double) the interval is None with a
        note (use scale='absolute'); a lower quantile below exp(-690) is reported as -1.0, noted.
      * a figure whose quadrature fails even the adaptive fallback is None with a note rather
        than NaN (seen only for the interval of a prior-only arm with a U-shaped prior whose
        parameters are both below ~0.05).
    """
    x1, n1 = check_arm(successes, n, "treatment")
    x0, n0 = check_arm(successes_control, n_control, "control")
    a, b = _check_prior(prior)
    alpha = check_alpha(alpha)
    scale = _check_scale(scale)

    a1, b1 = a + x1, b + (n1 - x1)
    a0, b0 = a + x0, b + (n0 - x0)
    notes: list[Note] = []
    status = STATUS_OK
    if n1 == 0 or n0 == 0:
        status = STATUS_NOT_ENOUGH_DATA
        notes.append(Note.of(NoteCode.PRIOR_ONLY, arms=arms_code(n1 == 0, n0 == 0)))

    chance = finite_or_none(_chance_to_beat_arrays(a1, b1, a0, b0))
    loss_t, loss_c = (finite_or_none(v) for v in _expected_loss_arrays(a1, b1, a0, b0))
    if chance is None or loss_t is None or loss_c is None:
        notes.append(Note.of(NoteCode.INTEGRATION_INACCURATE, figures=tuple(
            name for name, v in (("chance_to_beat", chance), ("expected_loss", loss_t),
                                 ("expected_loss_control", loss_c)) if v is None)))
    ci = _credible_interval_arrays(a1, b1, a0, b0, alpha, scale)
    lo, hi = float(ci.low[0]), float(ci.high[0])
    interval: tuple[float, float] | None = (lo, hi)
    if bool(ci.high_unbounded[0]):
        interval = None
        notes.append(Note(NoteCode.CREDIBLE_UPPER_UNBOUNDED))
    elif not (math.isfinite(lo) and math.isfinite(hi)):  # not expected; never emit NaN
        interval = None
        notes.append(Note(NoteCode.CREDIBLE_INACCURATE))
    elif bool(ci.low_clamped[0]):
        notes.append(Note(NoteCode.CREDIBLE_LOWER_CLAMPED))

    return BayesResult(
        prior=(a, b),
        posterior_control=(a0, b0),
        posterior_treatment=(a1, b1),
        chance_to_beat_control=chance,
        expected_loss=loss_t,
        expected_loss_control=loss_c,
        credible_interval=interval,
        scale=scale,
        alpha=alpha,
        status=status,
        notes=tuple(notes),
    )
