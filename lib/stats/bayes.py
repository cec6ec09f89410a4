"""Bayesian view of a two-arm conversion-rate test: the conjugate Beta-Binomial model.

Each arm's rate gets an independent Beta(a, b) prior; after ``s`` successes out of ``n`` users its
posterior is Beta(a + s, b + n - s) (Gelman et al., *Bayesian Data Analysis*, 3rd ed., 2013,
section 2.4). From the two posteriors, with p_t the treatment rate and p_c the control rate:

* chance to beat control P(p_t > p_c),
* expected loss of shipping the treatment E[max(p_c - p_t, 0)] and of keeping the control
  E[max(p_t - p_c, 0)] (Stucchio 2015, "Bayesian A/B testing at VWO"),
* an equal-tailed credible interval for the relative lift p_t/p_c - 1 or the difference p_t - p_c.

Everything is computed deterministically (no random draws) and to ~1e-12 absolute: a closed-form
finite sum (Miller 2015, "Formulas for Bayesian A/B testing") when it is short, otherwise
Gauss-Kronrod quadrature with an error estimate (and ``scipy.integrate.quad`` as the fallback
where that estimate is not small enough), and root finding on the exact CDF for the interval.

The scalar entry point :func:`beta_binomial` is a thin wrapper over vectorised helpers
(:func:`_chance_to_beat_arrays`, :func:`_expected_loss_arrays`, :func:`_credible_interval_arrays`)
so the calibration simulations exercise exactly the code that produces real results.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from numbers import Real
from typing import Any, Callable, Literal, NamedTuple

import numpy as np
from scipy import integrate, special

from .proportions import STATUS_NOT_ENOUGH_DATA, STATUS_OK, _check_alpha, _check_arm, _finite_or_none

__all__ = ["BayesResult", "beta_binomial"]

METHOD = (
    "beta-binomial conjugate posteriors; exact chance to beat control and expected losses "
    "(Miller 2015 finite sum or error-controlled quadrature); equal-tailed credible interval "
    "by inverting the exact CDF of the lift"
)

# Miller's sum has one term per unit of an integer posterior parameter; beyond this many terms
# the quadrature (a few hundred special-function calls) is cheaper, so it is used instead.
_MILLER_MAX_TERMS = 5_000
# Total absolute error allowed for one vectorised quadrature before falling back to quad.
_GK_TOL = 1e-11
# Bounds of the integration in normal-score space: the mass beyond |z| = 8.5 is 2e-17.
_Z_MAX = 8.5
# Relative-scale root finding works on s = log(p_t/p_c), restricted to [-_S_MAX, _S_MAX]:
# exp(690) is close to the largest double, so a quantile beyond it is not representable.
_S_MAX = 690.0

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
# Node positions as fractions of the integration range: 17 equal panels x 15 Kronrod nodes.
_TAU = ((np.arange(_N_PANELS) + 0.5)[:, None] + 0.5 * _XGK) / _N_PANELS  # (P, 15)
_Z_NODES = -_Z_MAX + 2.0 * _Z_MAX * _TAU  # nodes over the full range [-8.5, 8.5]
_SQRT_2PI = math.sqrt(2.0 * math.pi)


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


def _check_scale(scale: Any) -> str:
    if scale not in ("relative", "absolute"):
        raise ValueError(f"scale must be 'relative' or 'absolute', got {scale!r}")
    return scale


# --------------------------------------------------------------------------- beta helpers


def _beta_quantile(a: np.ndarray, b: np.ndarray, z: np.ndarray) -> np.ndarray:
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


def _beta_sd(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    s = a + b
    return np.sqrt(a * b / (s * s * (s + 1.0)))


# --------------------------------------------------------------------------- exact P(X <= kY + d)


class _LinearCdf:
    """P(X <= k*Y + d) for independent X ~ Beta(ax, bx), Y ~ Beta(ay, by) and k > 0, elementwise.

    Conditioning on one variable turns the probability into a one-dimensional integral over that
    variable's probability scale, written in normal scores u = Phi(z) so the integrand is bounded
    and the Gaussian weight makes the tails negligible:

        on Y:  P = int F_X(k*Q_Y(Phi(z)) + d) phi(z) dz
        on X:  P = int S_Y((Q_X(Phi(z)) - d)/k) phi(z) dz

    (F = regularised incomplete beta ``betainc``, S = 1 - F = ``betaincc``, Q = its inverse). We
    condition on the variable with the smaller (scaled) spread, which makes the integrand vary
    no faster than Phi(z). Where the argument of F_X (S_Y) would leave [0, 1] the integrand is
    exactly 0 or 1, so that part is added in closed form and the integral runs only over the rest
    (no kink inside the range), intersected with |z| <= 8.5 (the mass outside is 2e-17).
    Gauss-Kronrod 7/15 on 17 equal panels; elements whose QUADPACK-style error estimate exceeds
    1e-11 are recomputed with adaptive ``scipy.integrate.quad`` on the same integrand.

    The quantiles at the nodes of the full range depend only on the conditioning variable, so
    they are computed once and reused across the many (k, d) of a root search.
    """

    def __init__(self, ax: Any, bx: Any, ay: Any, by: Any, k_ref: Any = 1.0) -> None:
        self.ax, self.bx, self.ay, self.by = (np.asarray(v, dtype=float).ravel() for v in (ax, bx, ay, by))
        k_ref = np.broadcast_to(np.asarray(k_ref, dtype=float), self.ax.shape)
        self.on_y = np.asarray(k_ref * _beta_sd(self.ay, self.by) <= _beta_sd(self.ax, self.bx))
        self.ca = np.where(self.on_y, self.ay, self.ax)  # conditioning variable
        self.cb = np.where(self.on_y, self.by, self.bx)
        self.q = _beta_quantile(self.ca[:, None, None], self.cb[:, None, None], _Z_NODES[None])

    def __len__(self) -> int:
        return self.ax.size

    def _integrand(self, q: np.ndarray, k: np.ndarray, d: np.ndarray, idx: np.ndarray) -> np.ndarray:
        """Integrand at conditioning-variable values q (shape (len(idx), ...))."""
        shape = (-1,) + (1,) * (q.ndim - 1)
        k, d = k.reshape(shape), d.reshape(shape)
        on_y = self.on_y[idx]
        out = np.empty(q.shape)
        if on_y.any():
            a, b = self.ax[idx][on_y].reshape(shape), self.bx[idx][on_y].reshape(shape)
            out[on_y] = special.betainc(a, b, np.clip(k[on_y] * q[on_y] + d[on_y], 0.0, 1.0))
        on_x = ~on_y
        if on_x.any():
            a, b = self.ay[idx][on_x].reshape(shape), self.by[idx][on_x].reshape(shape)
            out[on_x] = special.betaincc(a, b, np.clip((q[on_x] - d[on_x]) / k[on_x], 0.0, 1.0))
        return out

    def _domain(self, k: np.ndarray, d: np.ndarray, idx: np.ndarray) -> tuple[np.ndarray, ...]:
        """(closed-form part, z_lo, z_hi): the integrand is 0 below z_lo and 1 above z_hi (on Y),
        resp. 1 below z_lo and 0 above z_hi (on X); ``base`` is the probability where it is 1."""
        on_y = self.on_y[idx]
        ca, cb = self.ca[idx], self.cb[idx]
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

    def __call__(self, k: Any, d: Any = 0.0, idx: np.ndarray | None = None) -> np.ndarray:
        idx = np.arange(len(self)) if idx is None else np.asarray(idx)
        k = np.broadcast_to(np.asarray(k, dtype=float), idx.shape).copy()
        d = np.broadcast_to(np.asarray(d, dtype=float), idx.shape).copy()
        base, z_lo, z_hi = self._domain(k, d, idx)
        value, err = base.copy(), np.zeros(idx.shape)
        full = (z_lo <= -_Z_MAX) & (z_hi >= _Z_MAX)
        part = ~full & (z_hi > z_lo)
        for sel in (full, part):
            if not sel.any():
                continue
            if sel is full:
                z, q = _Z_NODES[None], self.q[idx[sel]]
            else:
                z = z_lo[sel, None, None] + (z_hi - z_lo)[sel, None, None] * _TAU
                q = _beta_quantile(self.ca[idx[sel], None, None], self.cb[idx[sel], None, None], z)
            g = self._integrand(q, k[sel], d[sel], idx[sel]) * (np.exp(-0.5 * z * z) / _SQRT_2PI)
            half = (z_hi - z_lo)[sel] / (2.0 * _N_PANELS)
            v, e = _gauss_kronrod(g, half)
            value[sel] += v
            err[sel] = e
        for i in np.nonzero(~(err <= _GK_TOL))[0]:
            value[i] = base[i] + self._quad(int(idx[i]), float(k[i]), float(d[i]), float(z_lo[i]), float(z_hi[i]))
        return np.clip(value, 0.0, 1.0)

    def _quad(self, j: int, k: float, d: float, z_lo: float, z_hi: float) -> float:
        """Adaptive ``scipy.integrate.quad`` of the same integrand over [z_lo, z_hi], one element."""
        jj, ka, da = np.array([j]), np.array([k]), np.array([d])
        ca, cb = self.ca[j], self.cb[j]

        def f(z: float) -> float:
            q = _beta_quantile(ca, cb, np.array([z]))
            return float(self._integrand(q, ka, da, jj)[0]) * math.exp(-0.5 * z * z)

        pts = np.linspace(z_lo, z_hi, _N_PANELS + 1)[1:-1]
        val, _ = integrate.quad(f, z_lo, z_hi, points=pts, epsabs=1e-14, epsrel=1e-12, limit=500)
        return val / _SQRT_2PI


def _gauss_kronrod(g: np.ndarray, half: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Integral and error estimate from values g (m, P, 15) at the Kronrod nodes of P equal
    panels of half-width ``half`` (m,), with QUADPACK's qk15 error formula per panel."""
    resk = g @ _WGK  # (m, P), per unit half-width
    resg = g @ _WG
    resasc = np.abs(g - 0.5 * resk[..., None]) @ _WGK
    err = np.abs(resk - resg)
    with np.errstate(divide="ignore", invalid="ignore"):
        scaled = resasc * np.minimum(1.0, (200.0 * err / resasc) ** 1.5)
    err = np.where((resasc > 0) & (err > 0), scaled, err)
    return resk.sum(axis=1) * half, err.sum(axis=1) * half


# --------------------------------------------------------------------------- chance to beat


def _miller_sum(aA: np.ndarray, bA: np.ndarray, aB: np.ndarray, bB: np.ndarray, terms: np.ndarray) -> np.ndarray:
    """P(p_B > p_A) for p_A ~ Beta(aA, bA), p_B ~ Beta(aB, bB) with aB = terms a whole number.

    Miller (2015), "Formulas for Bayesian A/B testing":
        P = sum_{i=0}^{aB-1} B(aA+i, bA+bB) / ((bB+i) B(1+i, bB) B(aA, bA)).
    Only aB must be an integer (the finite expansion of the incomplete beta I_x(aB, bB)); the
    other three parameters may be any positive reals. All terms are positive: summed in log space
    (log-sum-exp within each element), vectorised over a ragged index.
    """
    out = np.empty(aA.size)
    # chunks of at most ~2M terms to bound memory
    bounds = [0]
    acc = 0
    for i, t in enumerate(terms):
        acc += int(t)
        if acc >= 2_000_000:
            bounds.append(i + 1)
            acc = 0
    if bounds[-1] != aA.size:
        bounds.append(aA.size)
    for lo, hi in zip(bounds[:-1], bounds[1:]):
        t = terms[lo:hi].astype(np.int64)
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

    Miller's finite sum (:func:`_miller_sum`) is used whenever one of the four posterior
    parameters is a whole number <= 5,000 (the shortest such sum is taken), via the identities
        P(t > c) = S(A=c, B=t)                                   [a1 whole]
                 = 1 - S(A=t, B=c)                               [a0 whole]
                 = S(A=Beta(b1, a1), B=Beta(b0, a0))             [b0 whole; 1-p swaps a and b]
                 = 1 - S(A=Beta(b0, a0), B=Beta(b1, a1))         [b1 whole]
    where S(A, B) = P(p_B > p_A). Otherwise (large counts, non-integer priors) it is the integral
    P(p_c <= p_t) = int f_t(x) F_c(x) dx, computed by :class:`_LinearCdf` to ~1e-12.
    """
    a1, b1, a0, b0 = np.broadcast_arrays(*(np.asarray(v, dtype=float) for v in (a1, b1, a0, b0)))
    shape = a1.shape
    a1, b1, a0, b0 = (v.ravel() for v in (a1, b1, a0, b0))
    cands = np.stack([a1, a0, b0, b1])  # (4, m): term counts of the four forms
    whole = (cands == np.floor(cands)) & (cands <= _MILLER_MAX_TERMS)
    counts = np.where(whole, cands, np.inf)
    form = np.argmin(counts, axis=0)
    use_miller = np.isfinite(counts.min(axis=0))
    out = np.empty(a1.size)

    # (aA, bA, aB, bB, complement) for each form
    forms = [
        (a0, b0, a1, b1, False),
        (a1, b1, a0, b0, True),
        (b1, a1, b0, a0, False),
        (b0, a0, b1, a1, True),
    ]
    for f, (aA, bA, aB, bB, comp) in enumerate(forms):
        sel = use_miller & (form == f)
        if sel.any():
            s = _miller_sum(aA[sel], bA[sel], aB[sel], bB[sel], aB[sel])
            out[sel] = 1.0 - s if comp else s
    rest = ~use_miller
    if rest.any():
        # P(p_c <= 1 * p_t + 0)
        out[rest] = _LinearCdf(a0[rest], b0[rest], a1[rest], b1[rest])(1.0, 0.0)
    return np.clip(out, 0.0, 1.0).reshape(shape)


# --------------------------------------------------------------------------- expected loss


def _expected_loss_arrays(a1: Any, b1: Any, a0: Any, b0: Any) -> tuple[np.ndarray, np.ndarray]:
    """(E[max(p_c - p_t, 0)], E[max(p_t - p_c, 0)]) elementwise, exact.

    Since x * Beta(x; a, b) = a/(a+b) * Beta(x; a+1, b) (B(a+1, b) = B(a, b) a/(a+b)),
        E[p_c 1{p_c > p_t}] = a0/(a0+b0) * P(Beta(a0+1, b0) > Beta(a1, b1)),
        E[p_t 1{p_c > p_t}] = a1/(a1+b1) * P(Beta(a0, b0) > Beta(a1+1, b1)),
    and E[max(p_c - p_t, 0)] is the first minus the second (Stucchio 2015, "Bayesian A/B testing
    at VWO", section 4). Symmetrically for E[max(p_t - p_c, 0)]. Each probability is a chance to
    beat with shifted parameters (:func:`_chance_to_beat_arrays`), so the losses are as exact as
    those (absolute error ~1e-12); the difference is clipped at 0 against rounding. Identity:
    loss_control - loss_treatment = E[p_t] - E[p_c].
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
    """Vectorised Chandrupatla (1997) bracketing root finder (inverse quadratic interpolation
    safeguarded by bisection; the algorithm of ``scipy.optimize.elementwise.find_root``).

    ``f(x, idx)`` evaluates the function of the elements ``idx`` at ``x``; [x1, x2] must bracket a
    root (f1, f2 of opposite signs or zero). Returns NaN where it did not converge.
    """
    x1, f1, x2, f2 = (np.array(v, dtype=float) for v in (x1, f1, x2, f2))
    x3, f3 = x2.copy(), f2.copy()
    res = np.full(x1.shape, np.nan)
    t = np.full(x1.shape, 0.5)
    active = np.ones(x1.shape, dtype=bool)

    def check(ix: np.ndarray) -> np.ndarray:
        """Record converged elements among ``ix``; return the tolerance-based t-limit."""
        small = np.abs(f1[ix]) < np.abs(f2[ix])
        xm = np.where(small, x1[ix], x2[ix])
        fm = np.where(small, f1[ix], f2[ix])
        tol = xatol + 4.0 * np.finfo(float).eps * np.abs(xm)
        dx = np.abs(x2[ix] - x1[ix])
        done = (np.abs(fm) <= fatol) | (dx < tol)
        res[ix[done]] = xm[done]
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


class _CIArrays(NamedTuple):
    low: np.ndarray  # NaN where not representable (see below)
    high: np.ndarray
    low_clamped: np.ndarray  # relative scale: lower quantile below exp(-690) - 1, reported as -1
    high_unbounded: np.ndarray  # relative scale: upper quantile beyond exp(690) - 1, NaN


def _credible_interval_arrays(a1: Any, b1: Any, a0: Any, b0: Any, alpha: float,
                              scale: str = "relative") -> _CIArrays:
    """Equal-tailed 1 - alpha credible interval of p_t/p_c - 1 ('relative') or p_t - p_c
    ('absolute'), elementwise, by inverting the exact CDF.

    CDF: relative  P(p_t/p_c <= r) = P(p_t <= r p_c)   (root in s = log r)
         absolute  P(p_t - p_c <= d) = P(p_t <= p_c + d)
    both evaluated by :class:`_LinearCdf` to ~1e-12 and solved for alpha/2 and 1 - alpha/2 with
    :func:`_find_root` (|CDF - target| <= 1e-13 or the root bracketed within 1e-12). Starting
    bracket: the normal approximation (exact mean and variance of log p, i.e. digamma/trigamma,
    for 'relative'; of p for 'absolute') +- 0.05 sd; where that does not bracket, the guaranteed
    bracket [q_t(e) / q_c(1-e), q_t(1-e) / q_c(e)] with e = alpha/5 (resp. differences), whose
    CDF values are <= 2e < alpha/2 and >= 1 - 2e by a union bound.

    Relative scale: the ratio is heavy-tailed when a posterior piles up at 0. If the upper
    quantile of p_t/p_c exceeds exp(690) (not representable) ``high`` is NaN and
    ``high_unbounded`` True; if the lower quantile is below exp(-690) ``low`` is -1.0 (exact to
    double precision) and ``low_clamped`` True.
    """
    a1, b1, a0, b0 = (np.asarray(v, dtype=float).ravel() for v in np.broadcast_arrays(a1, b1, a0, b0))
    m = a1.size
    eps = alpha / 5.0
    z_e = float(special.ndtri(eps))
    qt_lo, qt_hi = _beta_quantile(a1, b1, z_e), _beta_quantile(a1, b1, -z_e)
    qc_lo, qc_hi = _beta_quantile(a0, b0, z_e), _beta_quantile(a0, b0, -z_e)
    targets = np.concatenate([np.full(m, alpha / 2.0), np.full(m, 1.0 - alpha / 2.0)])
    zq = np.concatenate([np.full(m, special.ndtri(alpha / 2.0)), np.full(m, special.ndtri(1.0 - alpha / 2.0))])
    rel = scale == "relative"
    with np.errstate(divide="ignore"):
        if rel:
            mean = special.digamma(a1) - special.digamma(a1 + b1) - special.digamma(a0) + special.digamma(a0 + b0)
            sd = np.sqrt(special.polygamma(1, a1) - special.polygamma(1, a1 + b1)
                         + special.polygamma(1, a0) - special.polygamma(1, a0 + b0))
            lo_hard = np.clip(np.log(qt_lo) - np.log(qc_hi), -_S_MAX, _S_MAX)
            hi_hard = np.clip(np.log(qt_hi) - np.log(qc_lo), -_S_MAX, _S_MAX)
        else:
            mean = a1 / (a1 + b1) - a0 / (a0 + b0)
            sd = np.hypot(_beta_sd(a1, b1), _beta_sd(a0, b0))
            lo_hard, hi_hard = qt_lo - qc_hi, qt_hi - qc_lo
    mean2, sd2 = np.tile(mean, 2), np.tile(sd, 2)
    lo_hard2, hi_hard2 = np.tile(lo_hard, 2), np.tile(hi_hard, 2)
    k_ref = np.exp(np.clip(mean2, -_S_MAX, _S_MAX)) if rel else np.ones(2 * m)
    cdf = _LinearCdf(np.tile(a1, 2), np.tile(b1, 2), np.tile(a0, 2), np.tile(b0, 2), k_ref)

    def f(x: np.ndarray, idx: np.ndarray) -> np.ndarray:
        if rel:
            return cdf(np.exp(x), 0.0, idx) - targets[idx]
        return cdf(1.0, x, idx) - targets[idx]

    guess = np.clip(mean2 + zq * sd2, lo_hard2, hi_hard2)
    h = 0.05 * sd2 + 1e-12
    x1, x2 = np.maximum(guess - h, lo_hard2), np.minimum(guess + h, hi_hard2)
    allix = np.arange(2 * m)
    f1, f2 = f(x1, allix), f(x2, allix)
    # widen to the guaranteed bracket where the tight one fails
    left = f1 > 0
    if left.any():
        ix = np.nonzero(left)[0]
        x2[ix], f2[ix] = x1[ix], f1[ix]
        x1[ix] = lo_hard2[ix]
        f1[ix] = f(x1[ix], ix)
    right = (f2 < 0) & ~left
    if right.any():
        ix = np.nonzero(right)[0]
        x1[ix], f1[ix] = x2[ix], f2[ix]
        x2[ix] = hi_hard2[ix]
        f2[ix] = f(x2[ix], ix)
    # relative scale only: the quantile may lie beyond the representable range
    below = f1 > 0  # CDF already above target at the lowest s: quantile < exp(-690)
    above = f2 < 0  # CDF still below target at the highest s: quantile > exp(690)
    ok = ~(below | above)
    root = np.full(2 * m, np.nan)
    if ok.any():
        ix = np.nonzero(ok)[0]
        root[ix] = _find_root(lambda x, j: f(x, ix[j]), x1[ix], f1[ix], x2[ix], f2[ix],
                              xatol=1e-12, fatol=1e-13)
    if rel:
        val = np.expm1(root)
        val[below] = -1.0
        val[above] = np.nan
    else:
        val = np.clip(root, -1.0, 1.0)
    return _CIArrays(val[:m], val[m:], below[:m], above[m:])


# --------------------------------------------------------------------------- public API


@dataclass(frozen=True)
class BayesResult:
    """Bayesian comparison of a treatment rate p_t with a control rate p_c (Beta-Binomial).

    ``prior`` and the posteriors are Beta (a, b) pairs. ``chance_to_beat_control`` = P(p_t > p_c);
    ``expected_loss`` = E[max(p_c - p_t, 0)], the expected rate given up by shipping the
    treatment; ``expected_loss_control`` = E[max(p_t - p_c, 0)], the risk of keeping the control.
    ``credible_interval`` is the equal-tailed 1 - alpha posterior interval of the lift on
    ``scale`` ("relative": p_t/p_c - 1, "absolute": p_t - p_c), or None when a bound is not
    representable (see ``note``). ``status`` is "ok" or "not_enough_data" (an arm has no users:
    its posterior is the prior, so every figure reflects the prior, not data).
    """

    prior: tuple[float, float]
    posterior_control: tuple[float, float]
    posterior_treatment: tuple[float, float]
    chance_to_beat_control: float
    expected_loss: float
    expected_loss_control: float
    credible_interval: tuple[float, float] | None
    scale: str
    alpha: float
    status: str = STATUS_OK
    note: str | None = None

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready: plain floats, interval as [lo, hi] or None (never NaN/inf)."""
        ci = self.credible_interval
        interval = None
        if ci is not None:
            lo, hi = _finite_or_none(ci[0]), _finite_or_none(ci[1])
            interval = None if lo is None or hi is None else [lo, hi]
        return {
            "chance_to_beat_control": _finite_or_none(self.chance_to_beat_control),
            "expected_loss": _finite_or_none(self.expected_loss),
            "expected_loss_control": _finite_or_none(self.expected_loss_control),
            "credible_interval": interval,
            "scale": self.scale,
            "prior": [float(self.prior[0]), float(self.prior[1])],
            "method": METHOD,
        }


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

    Model (Gelman et al., BDA3, 2013, section 2.4): p ~ Beta(a, b) independently per arm with the
    same ``prior`` (a, b) > 0 (default uniform); posterior Beta(a + s, b + n - s).

    Methods (deterministic, no random draws; absolute error ~1e-12):
      * chance_to_beat_control = P(p_t > p_c): Miller's (2015) closed-form finite sum when a
        posterior parameter is a whole number <= 5,000 (e.g. the uniform prior with modest
        counts), else the integral int f_t(x) F_c(x) dx by error-controlled Gauss-Kronrod
        quadrature in normal-score space, with ``scipy.integrate.quad`` as fallback; exact for
        non-integer priors and counts in the millions alike. See :func:`_chance_to_beat_arrays`.
      * expected_loss = E[max(p_c - p_t, 0)] and expected_loss_control = E[max(p_t - p_c, 0)]:
        closed form through Beta-function identities, as chances to beat with shifted parameters
        (Stucchio 2015, "Bayesian A/B testing at VWO"). See :func:`_expected_loss_arrays`.
      * credible_interval: equal-tailed 1 - alpha interval of p_t/p_c - 1 ('relative', default)
        or p_t - p_c ('absolute'), by root finding on the exact CDF
        P(p_t <= r p_c) = int f_c(y) F_t(r y) dy (resp. P(p_t <= p_c + d)).
        See :func:`_credible_interval_arrays`.

    Degenerate data (never NaN, inf or an exception):
      * an arm with n == 0: its posterior is the prior; figures are computed (e.g. 0.5 chance to
        beat with both arms empty) but status is "not_enough_data" and the note says so.
      * 0 successes or all successes: the posterior is proper (prior a, b > 0), nothing special.
      * relative scale with a control posterior piled up at 0 (tiny prior a and no control
        successes): if the upper quantile of p_t/p_c is beyond exp(690) the interval is None,
        with a note. A treatment posterior piled up at 0 can give a lower bound of -1.0
        (the quantile is within 1e-300 of -1), noted.
    """
    x1, n1 = _check_arm(successes, n, "treatment")
    x0, n0 = _check_arm(successes_control, n_control, "control")
    a, b = _check_prior(prior)
    alpha = _check_alpha(alpha)
    scale = _check_scale(scale)

    a1, b1 = a + x1, b + (n1 - x1)
    a0, b0 = a + x0, b + (n0 - x0)
    notes: list[str] = []
    status = STATUS_OK
    if n1 == 0 or n0 == 0:
        status = STATUS_NOT_ENOUGH_DATA
        empty = [name for name, m in (("treatment", n1), ("control", n0)) if m == 0]
        notes.append(
            f"{' and '.join(empty)} arm{'s have' if len(empty) == 2 else ' has'} no users: "
            "its posterior is the prior, so the figures reflect the prior only"
        )

    chance = float(_chance_to_beat_arrays(a1, b1, a0, b0))
    loss_t, loss_c = _expected_loss_arrays(a1, b1, a0, b0)
    ci = _credible_interval_arrays(a1, b1, a0, b0, alpha, scale)
    lo, hi = float(ci.low[0]), float(ci.high[0])
    interval: tuple[float, float] | None = (lo, hi)
    if bool(ci.high_unbounded[0]):
        interval = None
        notes.append(
            "the control posterior is concentrated at 0: the upper bound of the relative lift "
            "exceeds exp(690) and is not representable, so the credible interval is None "
            "(use scale='absolute')"
        )
    elif not (math.isfinite(lo) and math.isfinite(hi)):  # not expected; never emit NaN
        interval = None
        notes.append("the credible interval could not be computed")
    elif bool(ci.low_clamped[0]):
        notes.append("the treatment posterior is concentrated at 0: the lower bound of the "
                     "relative lift is -1 to double precision")

    return BayesResult(
        prior=(a, b),
        posterior_control=(a0, b0),
        posterior_treatment=(a1, b1),
        chance_to_beat_control=chance,
        expected_loss=float(loss_t),
        expected_loss_control=float(loss_c),
        credible_interval=interval,
        scale=scale,
        alpha=alpha,
        status=status,
        note="; ".join(notes) or None,
    )
