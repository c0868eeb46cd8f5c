"""Variability of spike counts beyond a fitted Poisson model, as a latent log-rate noise.

Used to simulate sessions of a recorded design (``neuromop.values.design_simulator``): the
counts' extra variability is a white part plus a slow stationary AR(1) part of the log-rate.
The slow part is estimated *through* the regression that produced the fitted means: a drift
regressed out by a smooth basis (and by slow task signals) leaves only its fast remainder in
the residuals, so fitting an AR(1) to the residuals as they are finds a weak, fast process
where the recording has a strong, slow one.
"""

from __future__ import annotations

import numpy as np
from scipy.signal import lfilter

__all__: list[str] = []

#: Size of the grid of AR(1) coefficients searched (time constants up to half the session).
_N_RHO = 100


def _ar1_times(Q: np.ndarray, rho: float, axis: int = 0) -> np.ndarray:
    """``Sigma Q`` for the unit-variance AR(1) covariance ``Sigma_ts = rho^|t - s|`` over the
    time ``axis`` of ``Q``, by a forward and a backward first-order filter (no T x T matrix)."""
    fwd = lfilter([1.0], [1.0, -rho], Q, axis=axis)
    bwd = np.flip(lfilter([1.0], [1.0, -rho], np.flip(Q, axis), axis=axis), axis)
    return fwd + bwd - Q


def _lag_means(A: np.ndarray, B: np.ndarray, lags: np.ndarray,
               per_column: bool = False) -> np.ndarray:
    """Mean over t of ``(A B')_{t, t+k}`` for each lag ``k`` (A, B: (T, p)), by FFT; with
    ``per_column`` the mean of ``A[t, j] B[t+k, j]`` per column, (lag, p)."""
    T = A.shape[0]
    n = 1 << int(np.ceil(np.log2(2 * T)))
    cross = np.fft.irfft(np.conj(np.fft.rfft(A, n, axis=0)) * np.fft.rfft(B, n, axis=0), n,
                         axis=0)[lags]  # sum_t A[t, j] B[t + k, j] at row k
    cross = cross if per_column else cross.sum(axis=1)
    return cross / (T - lags).reshape((-1,) + (1,) * (cross.ndim - 1))


def _projected_ar1_lags(Q: np.ndarray | None, rho: float, lags: np.ndarray) -> np.ndarray:
    """Mean lag-``k`` covariance of a unit-variance AR(1) after the residual projection
    ``M = I - Q Q'`` (``Q`` orthonormal, or None for no projection): ``M Sigma M``, k in lags."""
    if Q is None:
        return rho ** lags.astype(float)
    G = _ar1_times(Q, rho)  # Sigma Q
    H = Q.T @ G  # Q' Sigma Q
    return (rho ** lags.astype(float) - _lag_means(Q, G, lags) - _lag_means(G, Q, lags)
            + _lag_means(Q @ H, Q, lags))


def latent_count_noise(Y: np.ndarray, mu: np.ndarray, X: np.ndarray | None = None,
                       max_lag: int | None = None) -> tuple[np.ndarray, np.ndarray, float]:
    """The counts' variability beyond the fitted Poisson means ``mu`` as a latent log-rate:
    per neuron a white SD and a slow SD, and a pooled slow AR(1) coefficient.

    Moments of a Poisson-lognormal count: with ``r = (y - mu) / mu`` the latent log-rate's
    residual autocovariance is ``C(0) = log(1 + mean(r^2 - y / mu^2))`` and ``C(k) = log(1 +
    mean(r_t r_{t+k}))`` for ``k >= 1`` (the Poisson noise is independent across trials, but
    the projection gives white noise, Poisson included, the small lag covariances
    ``-mean (Q Q')_{t,t+k}``, which are added back). Lag products of one neuron are too noisy
    to fit, so the lags ``1..max_lag`` averaged over neurons are fitted with ``A m_k(rho)``,
    the lag-``k`` covariance of a unit AR(1) *after*
    the projection onto the residual space of ``X`` (the design the means were fitted with;
    ``rho^k`` without one), over a grid of ``rho`` up to a time constant of half the session.
    ``A`` is then the slow process's variance before the regression removed its smooth part.
    Its share of the residual lag-0 variance splits each neuron's ``C(0)`` into slow and white
    parts, each scaled back through the projection. ``C(0)`` is capped at 9 (a latent SD of 3
    log units, a factor of 20 in rate), and so is each part's variance; ``r`` is capped at
    ``1e4`` so that an absurd count cannot overflow the moments.

    Parameters
    ----------
    Y, mu : numpy.ndarray
        Counts and fitted mean counts (n_trials, n_neurons).
    X : numpy.ndarray, optional
        Design matrix (n_trials, p) of the fit that gave ``mu``.
    max_lag : int, optional
        Largest lag (trials) of the pooled fit; default a quarter of the session (at least
        10): the lags of a slow process seen through a smooth detrending differ from a fast
        one's only at long lags.
    """
    T = Y.shape[0]
    mu = np.maximum(mu, 1e-9)
    r = np.minimum((Y - mu) / mu, 1e4)  # a count 10^4 times its mean is absurd, not a moment
    kept = 1.0 if X is None else 1.0 - np.shape(X)[1] / T  # of a white variance, on average
    c0 = np.minimum(np.log1p(np.maximum(np.mean(r**2 - kept * Y / mu**2, axis=0), 0.0)), 9.0)
    max_lag = max(T // 4, 10) if max_lag is None else max_lag
    lags = np.arange(0, min(max_lag, T - 2) + 1)
    ck = np.mean(np.log1p(np.maximum(_lag_means(r, r, lags[1:], per_column=True), -0.99)),
                 axis=1)
    Q = None if X is None else np.linalg.qr(np.asarray(X, float))[0]
    if Q is not None:  # white noise (Poisson included) projected: M I M = M, lags k >= 1
        ck = ck + np.mean(r**2) * _lag_means(Q, Q, lags[1:])
    rhos = np.r_[0.0, np.exp(-1.0 / np.geomspace(0.2, T / 2, _N_RHO - 1))]  # even in log time
    basis = np.array([_projected_ar1_lags(Q, rho, lags) for rho in rhos])  # (rho, lag)
    amp = np.maximum((basis[:, 1:] @ ck) / np.maximum((basis[:, 1:] ** 2).sum(1), 1e-12), 0.0)
    sse = ((ck[None, :] - amp[:, None] * basis[:, 1:]) ** 2).sum(1)
    best = int(np.argmin(sse))
    m0_slow = max(float(basis[best, 0]), 1e-3)  # share of the slow variance kept
    share = float(min(amp[best] * m0_slow / c0.mean(), 1.0)) if c0.mean() > 0 else 0.0
    slow_var = np.minimum(share * c0 / m0_slow, 9.0)
    white_var = np.minimum((1 - share) * c0 / kept, 9.0)
    return np.sqrt(white_var), np.sqrt(slow_var), float(rhos[best])


def count_score_covariance(X: np.ndarray, mu: np.ndarray, white: np.ndarray,
                           slow: np.ndarray, rho: float) -> np.ndarray:
    """Covariance of each neuron's Poisson-GLM score ``X'(y - mu)`` under the latent noise
    (n_neurons, p, p): ``X' D X + white^2 (D X)'(D X) + slow^2 (D X)' Sigma_rho (D X)`` with
    ``D = diag(mu_n)`` (Poisson noise plus a log-normal white and AR(1) latent log-rate, to
    first order). With the Fisher information ``I`` it gives the sandwich covariance of the
    coefficients, ``I^-1 S I^-1``, which a slow drift can make far larger than ``I^-1``."""
    DX = mu.T[:, :, None] * X[None]  # (N, T, p)
    poisson = np.einsum("tp,ntq->npq", X, DX)
    fast = np.einsum("ntp,ntq->npq", DX, DX)
    slow_part = np.einsum("ntp,ntq->npq", DX, _ar1_times(DX, rho, axis=1))  # (DX)' Sigma DX
    return (poisson + (white**2)[:, None, None] * fast
            + (slow**2)[:, None, None] * slow_part)
