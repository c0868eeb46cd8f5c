"""Probit curves in a scaled root trial count, fitted by Jeffreys-penalised (Firth) maximum
likelihood with non-negative slopes.

Private helpers of :func:`neuromop.values.power_curve`: ``P(success | s) = Phi(a + b s)``
fitted to ``k`` successes of ``m`` at each length ``s``. The penalty keeps the estimates
finite when the counts separate (every short session wrong, every long one right; Kosmidis &
Firth, Biometrika 2021); :func:`_refine` runs the same fit batched over bootstrap replicates.
"""

from __future__ import annotations

import numpy as np
from scipy.optimize import minimize
from scipy.stats import norm

__all__: list[str] = []


def _penalised_nll(theta: np.ndarray, s: np.ndarray, k: np.ndarray, m: np.ndarray
                   ) -> np.ndarray:
    """Minus the Jeffreys-penalised binomial log-likelihood of the probit curve.

    ``theta`` (..., 2) holds intercepts and slopes, ``k`` (..., L) the correct counts of the
    ``L`` lengths ``s`` (scaled root trial counts) with ``m`` sessions each; returns (...)."""
    eta = theta[..., :1] + theta[..., 1:] * s
    p = np.clip(norm.cdf(eta), 1e-12, 1 - 1e-12)
    loglik = np.sum(k * np.log(p) + (m - k) * np.log1p(-p), axis=-1)
    w = m * norm.pdf(eta) ** 2 / (p * (1 - p))
    det = w.sum(-1) * (w * s * s).sum(-1) - (w * s).sum(-1) ** 2
    with np.errstate(divide="ignore", invalid="ignore"):
        pen = np.where(det > 0, 0.5 * np.log(np.where(det > 0, det, 1.0)), -np.inf)
    return -(loglik + pen)


def _newton(theta: np.ndarray, s, k, m, iters: int) -> np.ndarray:
    """Damped Newton (Levenberg-Marquardt) steps on finite-difference derivatives, batched
    over the leading axis of ``theta`` (B, 2) and ``k`` (B, L)."""
    h = 1e-4
    lam = np.full(theta.shape[0], 1e-3)
    f = _penalised_nll(theta, s, k, m)
    e = np.eye(2) * h
    for _ in range(iters):
        fp = np.stack([_penalised_nll(theta + e[i], s, k, m) for i in range(2)], -1)
        fm = np.stack([_penalised_nll(theta - e[i], s, k, m) for i in range(2)], -1)
        g = (fp - fm) / (2 * h)
        H = np.empty(theta.shape + (2,))
        H[:, 0, 0] = (fp[:, 0] - 2 * f + fm[:, 0]) / h**2
        H[:, 1, 1] = (fp[:, 1] - 2 * f + fm[:, 1]) / h**2
        H[:, 0, 1] = H[:, 1, 0] = (_penalised_nll(theta + e[0] + e[1], s, k, m) - fp[:, 0]
                                   - fp[:, 1] + f) / h**2
        H = H + lam[:, None, None] * np.eye(2)
        ok = np.isfinite(H).all((1, 2)) & np.isfinite(g).all(1) & (np.linalg.det(H) > 0)
        step = np.zeros_like(theta)
        step[ok] = -np.linalg.solve(H[ok], g[ok][..., None])[..., 0]
        new = theta + step
        f_new = _penalised_nll(new, s, k, m)
        better = ok & (f_new < f)
        theta = np.where(better[:, None], new, theta)
        f = np.where(better, f_new, f)
        lam = np.where(better, np.maximum(lam / 10, 1e-9), lam * 10)
        if np.all(np.abs(step[better]) < 1e-9) and better.any() or np.all(lam > 1e8):
            break
    return theta


def _refine(theta: np.ndarray, s, k, m, iters: int = 60) -> np.ndarray:
    """Damped Newton steps batched over replicates; a replicate whose likelihood is flat or
    infinite (no weight at two lengths) keeps its start (see :func:`_newton`)."""
    with np.errstate(invalid="ignore", over="ignore"):
        return _flatten_falling(_newton(theta, s, k, m, iters), k, m)


def _flatten_falling(theta: np.ndarray, k: np.ndarray, m: np.ndarray) -> np.ndarray:
    """Rows of ``theta`` (B, 2) whose slope is negative become the flat curve at the pooled
    rate ``(sum k + 1/2) / (sum m + 1)`` (the Jeffreys estimate of one binomial).

    More trials cannot make a test less powerful, nor the identifiability rule shut, so a
    falling fitted curve is sampling noise of a flat one (with two lengths it passes through
    both rates, and a second-length dip would otherwise promise that power falls)."""
    theta = np.array(theta, dtype=float, copy=True)
    m = np.broadcast_to(m, k.shape)
    falling = theta[:, 1] < 0
    if falling.any():
        rate = (k[falling].sum(-1) + 0.5) / (m[falling].sum(-1) + 1.0)
        theta[falling] = np.column_stack([norm.ppf(rate), np.zeros(rate.size)])
    return theta


def _fit(s: np.ndarray, k: np.ndarray, m: np.ndarray) -> np.ndarray:
    """Intercept and slope (>= 0, see :func:`_flatten_falling`) of the probit curve on the
    scaled root trial count ``s``."""
    rate = (k.sum() + 0.5) / (m.sum() + 1.0)
    best = None
    for slope in (0.0, 2.0):  # two starts: a flat curve and a rising one
        start = np.array([norm.ppf(rate) - slope * s.mean(), slope])
        res = minimize(lambda t: float(_penalised_nll(t, s, k, m)), start,
                       method="Nelder-Mead",
                       options={"xatol": 1e-7, "fatol": 1e-10, "maxiter": 4000})
        if best is None or res.fun < best.fun:
            best = res
    return _flatten_falling(best.x[None], k[None], m[None])[0]
