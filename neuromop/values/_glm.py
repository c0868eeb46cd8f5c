"""Numerical core of :func:`~neuromop.values.encoding.compare_value_encodings`.

Vectorised Poisson GLMs over neurons (Newton with a ridge prior), Gaussian ridge fits,
blocked cross-validation, slow-drift cosine regressors, collinearity diagnostics, partial
correlations and cross-validated ridge decoding.
"""

from __future__ import annotations

import numpy as np
from scipy.special import expit, gammaln

from neuromop._checks import check_finite_array, check_int, check_real

__all__ = ["collinearity", "fit_poisson_glm"]


# ----------------------------------------------------------------------------- GLM core
def fit_poisson_glm(X: np.ndarray, Y: np.ndarray, *, l2: float = 1.0, max_iter: int = 50,
                    tol: float = 1e-6, beta0: np.ndarray | None = None,
                    link: str = "log") -> np.ndarray:
    """Poisson GLM for many neurons sharing one design, by Newton's method (log link) or
    Fisher scoring (softplus link).

    Parameters
    ----------
    X : numpy.ndarray, shape (n_trials, n_features)
        Design; column 0 must be the intercept (it is not penalised).
    Y : numpy.ndarray, shape (n_trials, n_neurons)
        Counts.
    l2 : float
        Ridge penalty on the non-intercept coefficients (a Gaussian prior of unit precision
        on standardised regressors): keeps quasi-separable data (a silent neuron in part of
        the session) finite and barely shrinks real effects at hundreds of trials.
    max_iter, tol
        Newton iterations and tolerance on the largest coefficient change.
    beta0 : numpy.ndarray, shape (n_features, n_neurons), optional
        Warm start.
    link : {"log", "softplus"}
        ``"log"``: mean count ``exp(X beta)`` (multiplicative tuning); ``"softplus"``: mean
        count ``log(1 + exp(X beta))`` — tuning that is linear in the signal above a soft
        threshold (rectified-linear-like, the form of many value-coding neurons), which a log
        link can only approximate with curvature that looks like a second signal.

    Returns
    -------
    numpy.ndarray, shape (n_features, n_neurons)
        Coefficients (log-rate per unit of each column for the log link; counts per unit,
        above threshold, for the softplus link).
    """
    X = check_finite_array("X", X, ndim=2)
    Y = check_finite_array("Y", Y, ndim=2)
    T, p = X.shape
    if Y.shape[0] != T:
        raise ValueError(f"Y must have one row per row of X ({T}), got shape {Y.shape}")
    if np.any(Y < 0):
        raise ValueError("Y must hold non-negative counts, got negative values")
    l2 = check_real("l2", l2, low=0.0)
    max_iter = check_int("max_iter", max_iter, low=1)
    tol = check_real("tol", tol, low=0.0, low_inclusive=False)
    if link not in ("log", "softplus"):
        raise ValueError(f"link must be one of ['log', 'softplus'], got {link!r}")
    N = Y.shape[1]
    if beta0 is None:
        beta = np.zeros((p, N))
        m = Y.mean(axis=0) + 1e-3
        beta[0] = np.log(m) if link == "log" else np.log(np.expm1(m))
    else:
        beta = check_finite_array("beta0", beta0, ndim=2)
        if beta.shape != (p, N):
            raise ValueError(f"beta0 must have shape (n_features, n_neurons) = {(p, N)}, got "
                             f"{beta.shape}")
        beta = beta.copy()
    XX = (X[:, :, None] * X[:, None, :]).reshape(T, p * p)
    pen = np.full(p, float(l2))
    pen[0] = 0.0
    for _ in range(max_iter):
        if link == "log":
            mu = np.exp(np.clip(X @ beta, -30.0, 30.0))
            w, r = mu, Y - mu
        else:  # Fisher scoring: weight sigma^2 / mu, score (y / mu - 1) sigma
            eta = np.clip(X @ beta, -30.0, 1e6)
            mu = np.maximum(np.logaddexp(0.0, eta), 1e-10)
            sig = expit(eta)
            w, r = sig**2 / mu, (Y / mu - 1.0) * sig
        H = (XX.T @ w).T.reshape(N, p, p) + np.diag(pen)
        g = (X.T @ r).T - (pen[:, None] * beta).T
        step = np.linalg.solve(H, g[:, :, None])[:, :, 0].T
        big = np.abs(step).max(axis=0)
        step = step * np.minimum(1.0, 5.0 / np.maximum(big, 1e-300))  # damp wild first steps
        beta = beta + step
        if big.max() < tol:
            break
    if not np.all(np.isfinite(beta)):
        raise ValueError("the Poisson GLM fit overflowed (non-finite weights): rescale X")
    return beta


def _ridge_gauss(X, Y, l2):
    p = X.shape[1]
    pen = np.full(p, float(l2))
    pen[0] = 0.0
    return np.linalg.solve(X.T @ X + np.diag(pen), X.T @ Y)


def _mean_count(eta: np.ndarray, family: str) -> np.ndarray:
    if family == "poisson-softplus":
        return np.maximum(np.logaddexp(0.0, np.clip(eta, -30.0, 1e6)), 1e-10)
    return np.exp(np.clip(eta, -30.0, 30.0))


def _heldout(X, Y, test, family, beta0=None):
    """Fit on ~test, return held-out log-lik and deviance per neuron, and the coefficients.
    ``family``: "poisson" (log link), "poisson-softplus" or "gaussian"."""
    tr = ~test
    if family.startswith("poisson"):
        link = "softplus" if family == "poisson-softplus" else "log"
        beta = fit_poisson_glm(X[tr], Y[tr], beta0=beta0, link=link)
        mu = _mean_count(X[test] @ beta, family)
        y = Y[test]
        ll = (y * np.log(mu) - mu - gammaln(y + 1.0)).sum(axis=0)
        with np.errstate(divide="ignore", invalid="ignore"):
            ylogy = np.where(y > 0, y * np.log(np.where(y > 0, y, 1.0) / mu), 0.0)
        dev = 2.0 * (ylogy - (y - mu)).sum(axis=0)
        return ll, dev, beta
    beta = _ridge_gauss(X[tr], Y[tr], 1e-3 * tr.sum())
    resid_tr = Y[tr] - X[tr] @ beta
    var = np.maximum(resid_tr.var(axis=0), 1e-12)
    r = Y[test] - X[test] @ beta
    ll = (-0.5 * np.log(2 * np.pi * var) - r**2 / (2 * var)).sum(axis=0)
    return ll, (r**2).sum(axis=0), beta


def _cv(X, Y, folds, family, warm=None):
    ll = np.zeros(Y.shape[1])
    dev = np.zeros(Y.shape[1])
    betas = []
    for i, test in enumerate(folds):
        a, d, b = _heldout(X, Y, test, family, None if warm is None else warm[i])
        ll += a
        dev += d
        betas.append(b)
    return ll, dev, betas


def _blocked_folds(n: int, k: int) -> list[np.ndarray]:
    """``k`` contiguous test masks over ``n`` samples (blocks keep temporal order)."""
    edges = np.linspace(0, n, k + 1).round().astype(int)
    out = []
    for i in range(k):
        m = np.zeros(n, bool)
        m[edges[i]:edges[i + 1]] = True
        out.append(m)
    return out


def _dct_basis(n: int, k: int) -> np.ndarray:
    t = (np.arange(n) + 0.5) / n
    return np.stack([np.cos(np.pi * j * t) for j in range(1, k + 1)], axis=1).reshape(n, k)


def _z(x: np.ndarray) -> np.ndarray:
    return (x - x.mean(axis=0)) / x.std(axis=0)


def _residualize(target: np.ndarray, design: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Least-squares fit of ``target`` (n,) or (n, m) on ``design``; returns (fitted, residual)."""
    coef, *_ = np.linalg.lstsq(design, target, rcond=None)
    fitted = design @ coef
    return fitted, target - fitted


# --------------------------------------------------------------------------- diagnostics
def collinearity(signals: np.ndarray, base: np.ndarray | None = None) -> dict:
    """Collinearity diagnostics of two (or more) signals given base covariates.

    Parameters
    ----------
    signals : numpy.ndarray, shape (n_trials, n_signals)
    base : numpy.ndarray, shape (n_trials, n_base), optional
        Other non-constant regressors (no intercept column).

    Returns
    -------
    dict
        ``corr`` (signal correlation matrix), ``partial_corr`` (given ``base``), ``vif`` (per
        signal, in the full design), ``condition_number`` (of the standardised design with
        intercept).
    """
    S = check_finite_array("signals", signals, ndim=2)
    if S.shape[0] < 3 or S.shape[1] < 2:
        raise ValueError(f"signals must have shape (n_trials >= 3, n_signals >= 2), got {S.shape}")
    B = np.zeros((S.shape[0], 0)) if base is None else check_finite_array("base", base, ndim=2)
    if B.shape[0] != S.shape[0]:
        raise ValueError(f"base must have one row per trial ({S.shape[0]}), got shape {B.shape}")
    for name, arr in (("signals", S), ("base", B)):
        spread = np.ptp(arr, axis=0) if arr.size else np.ones(0)
        if np.any(spread == 0) or not np.all(np.isfinite(spread)):
            raise ValueError(f"{name} must vary across trials in every column within float "
                             f"range, got column spreads {spread.tolist()}")
    Z = np.column_stack([_z(S), _z(B)]) if B.shape[1] else _z(S)
    ones = np.ones((S.shape[0], 1))
    corr = np.corrcoef(S, rowvar=False)
    _, rs = _residualize(S, np.column_stack([ones, B]))
    pcorr = np.corrcoef(rs, rowvar=False)
    vif = []
    for j in range(S.shape[1]):
        others = np.column_stack([ones, np.delete(Z, j, axis=1)])
        _, res = _residualize(Z[:, j], others)
        r2 = 1.0 - res.var() / Z[:, j].var()
        vif.append(np.inf if r2 >= 1.0 - 1e-15 else 1.0 / (1.0 - r2))
    cond = float(np.linalg.cond(np.column_stack([ones, Z])))
    if not (np.all(np.isfinite(corr)) and np.all(np.isfinite(pcorr)) and np.isfinite(cond)):
        raise ValueError("signals and base are too large (or too degenerate) for the "
                         "diagnostics: their correlations are not finite; rescale them")
    return {"corr": corr, "partial_corr": pcorr, "vif": np.array(vif), "condition_number": cond}


def _partial_corr(Yt: np.ndarray, x: np.ndarray, others: np.ndarray) -> np.ndarray:
    _, ry = _residualize(Yt, others)
    _, rx = _residualize(x, others)
    num = rx @ ry
    den = np.sqrt((rx**2).sum() * (ry**2).sum(axis=0))
    return np.where(den > 0, num / np.where(den > 0, den, 1.0), 0.0)


# ------------------------------------------------------------------------------ decoding
_LAMBDAS = np.logspace(-2, 4, 13)


def _decoder_folds(F: np.ndarray, folds) -> list[tuple]:
    """Per-fold standardised features and their SVD (independent of the decoded target)."""
    out = []
    for test in folds:
        tr = ~test
        mu_f = F[tr].mean(axis=0)
        sd_f = F[tr].std(axis=0)
        sd_f[sd_f == 0] = 1.0
        U, s, Vt = np.linalg.svd((F[tr] - mu_f) / sd_f, full_matrices=False)
        out.append((tr, test, U, s, Vt, (F[test] - mu_f) / sd_f))
    return out


def _decode_r2(cache: list[tuple], targets: np.ndarray) -> np.ndarray:
    """Cross-validated ridge decoding R² of each column of ``targets``.

    ``cache`` comes from :func:`_decoder_folds`. The penalty is chosen per fold and target by
    generalised cross-validation on the training trials (closed form through the SVD, so many
    targets — e.g. null shifts — cost little).
    """
    n, m = targets.shape
    pred = np.zeros((n, m))
    for tr, test, U, s, Vt, Fte in cache:
        mu_t = targets[tr].mean(axis=0)
        Ttr = targets[tr] - mu_t
        UtT = U.T @ Ttr  # (r, m)
        best = best_pred = None
        for lam in _LAMBDAS:
            d = s**2 / (s**2 + lam)
            fit = U @ (d[:, None] * UtT)
            gcv = ((Ttr - fit) ** 2).sum(axis=0) / (tr.sum() - d.sum()) ** 2
            pr = Fte @ (Vt.T @ ((s / (s**2 + lam))[:, None] * UtT)) + mu_t
            if best is None:
                best, best_pred = gcv, pr
            else:
                better = gcv < best
                best = np.where(better, gcv, best)
                best_pred = np.where(better[None, :], pr, best_pred)
        pred[test] = best_pred
    sst = ((targets - targets.mean(axis=0)) ** 2).sum(axis=0)
    return 1.0 - ((targets - pred) ** 2).sum(axis=0) / sst
