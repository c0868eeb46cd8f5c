"""Maximum-likelihood machinery shared by the choice models (see :mod:`.choice_models`).

Parameters are optimised in an unbounded space (``log`` for positive, ``logit`` for (0, 1),
``half_logit`` for (0, 0.5) parameters such as lapse rates) by L-BFGS-B from several seeded
random starts; standard errors come from the numerical Hessian (delta method) and Wald intervals
are mapped back through the transform.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping

import numpy as np
import pandas as pd
from scipy.optimize import minimize
from scipy.special import expit, logit
from sklearn.base import BaseEstimator, clone
from sklearn.exceptions import NotFittedError
from sklearn.utils import check_array

from neuromop._checks import as_array, check_finite_array, check_int, check_real
from neuromop._random import as_generator

_Z95 = 1.959963984540054


class _ChoiceModel(BaseEstimator):
    """Shared MLE machinery. Subclasses define ``_spec``, ``_prepare``, ``_trial_loglik`` and
    ``_n_options``.

    ``get_params``, ``set_params`` and ``sklearn.base.clone`` come from scikit-learn's
    ``BaseEstimator``; inputs follow scikit-learn's contract (dense real arrays, the same
    number of columns at fit and predict time, ``NotFittedError`` before ``fit``), and fitted
    models carry ``n_features_in_`` and ``classes_`` (the option indices ``0..K-1``).
    """

    sequential = False  # True when the likelihood of a trial depends on earlier trials
    _X_dtype = np.float64  # dtype X is converted to ("numeric" keeps integer state indices)
    _X_allows_neginf = False  # -inf marks an unavailable option (SoftmaxChoiceModel)
    _X_allows_1d = False  # a single-column X may be given as a vector

    def __init__(self, *, n_restarts: int = 5, random_state=None):
        self.n_restarts = n_restarts
        self.random_state = random_state

    # -- to be provided by subclasses --------------------------------------------------
    def _spec(self, data) -> list[tuple[str, str, tuple[float, float]]]:
        """(name, transform in {'log','logit','half_logit','identity'}, init range in natural
        units)."""
        raise NotImplementedError

    def _prepare(self, X, y, groups) -> dict:
        raise NotImplementedError

    def _trial_loglik(self, theta: np.ndarray, data: dict) -> np.ndarray:
        raise NotImplementedError

    def _n_options(self, data: dict) -> int:
        raise NotImplementedError

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.target_tags.required = True  # choices are the data being modelled
        tags.input_tags.allow_nan = False
        return tags

    def __sklearn_is_fitted__(self) -> bool:
        return hasattr(self, "params_")

    def _check_input(self, X, *, reset: bool) -> np.ndarray:
        """scikit-learn's input contract for ``X``: dense, real, at least one row and column,
        finite (or ``-inf`` where options may be unavailable); ``reset`` records
        ``n_features_in_`` (fit), otherwise the column count must match it. Returns a 2-D array;
        the task-specific meaning of the columns is checked by ``_prepare``."""
        try:
            x = check_array(X, dtype=self._X_dtype, ensure_2d=not self._X_allows_1d,
                            ensure_all_finite=not self._X_allows_neginf, input_name="X")
        except (TypeError, ValueError) as err:  # name the argument in scikit-learn's message
            raise type(err)(f"X of {type(self).__name__}: {err}") from None
        if x.ndim == 1:
            x = x[:, None]
        if self._X_allows_neginf and (np.any(np.isnan(x)) or np.any(np.isposinf(x))):
            raise ValueError("Input X contains NaN or +inf (an unavailable option is -inf)")
        if reset:
            self.n_features_in_ = x.shape[1]
        elif x.shape[1] != self.n_features_in_:
            raise ValueError(f"X has {x.shape[1]} features, but {type(self).__name__} is "
                             f"expecting {self.n_features_in_} features as input")
        return x

    # -- transforms ---------------------------------------------------------------------
    @staticmethod
    def _to_natural(u: np.ndarray, transforms: list[str]) -> np.ndarray:
        out = np.array(u, dtype=float)
        for i, t in enumerate(transforms):
            if t == "log":
                out[..., i] = np.exp(u[..., i])
            elif t == "logit":
                out[..., i] = expit(u[..., i])
            elif t == "half_logit":
                out[..., i] = 0.5 * expit(u[..., i])
        return out

    @staticmethod
    def _to_unbounded(theta: np.ndarray, transforms: list[str]) -> np.ndarray:
        out = np.array(theta, dtype=float)
        for i, t in enumerate(transforms):
            if t == "log":
                out[..., i] = np.log(theta[..., i])
            elif t == "logit":
                out[..., i] = logit(theta[..., i])
            elif t == "half_logit":
                out[..., i] = logit(2.0 * theta[..., i])
        return out

    # -- fitting --------------------------------------------------------------------------
    def _check_common(self):
        check_int("n_restarts", self.n_restarts, low=1)

    def _fit_data(self, data: dict, mask: np.ndarray | None = None, errors: bool = True):
        """Fit on the usable trials (of ``mask``); ``errors=False`` skips the Hessian and its
        standard errors (``se_`` NaN), which held-out scoring does not need."""
        self._check_common()
        spec = self._spec(data)
        names = [s[0] for s in spec]
        transforms = [s[1] for s in spec]
        use = data["valid"] if mask is None else data["valid"] & mask
        n_used = int(use.sum())
        if n_used < len(spec) + 1:
            raise ValueError(f"need more than {len(spec)} usable trials to fit, got {n_used} "
                             "sample(s)")

        def negll(u):
            # unbounded search (a box makes L-BFGS-B's first projected step jump to a corner
            # where the likelihood is flat); transformed parameters are clipped only for safety
            ll = self._trial_loglik(self._to_natural(np.clip(u, -30.0, 30.0), transforms), data)
            val = -float(ll[use].sum())
            return val if np.isfinite(val) else 1e300

        batched = self._batched_negll(data, use, transforms)
        objective, jac = negll, None
        if batched is not None:  # value and forward-difference gradient in one batched pass
            def objective(u):
                u = np.asarray(u, float)
                step = _FD_STEP * np.maximum(1.0, np.abs(u))
                vals = batched(np.vstack([u, u + np.diag(step)]))
                return vals[0], (vals[1:] - vals[0]) / step
            jac = True

        rng = as_generator(self.random_state)
        for name, _, (lo, hi) in spec:
            if not (np.isfinite(lo) and np.isfinite(hi) and np.isfinite(hi - lo)):
                raise ValueError(f"{type(self).__name__}: the data give {name} a start range "
                                 f"[{lo:.3g}, {hi:.3g}]; the values in X (or the reward) are "
                                 "too large to fit")
        best = None
        for _ in range(self.n_restarts):
            theta0 = np.array([rng.uniform(*s[2]) for s in spec])
            u0 = self._to_unbounded(theta0, transforms)
            res = minimize(objective, u0, method="L-BFGS-B", jac=jac)
            if best is None or res.fun < best.fun:
                best = res
        u_hat = np.clip(best.x, -30.0, 30.0)
        theta = self._to_natural(u_hat, transforms)
        self.params_ = dict(zip(names, theta.tolist()))
        self.param_names_ = names
        self.loglik_ = -float(best.fun)
        self.n_trials_ = n_used
        k = len(names)
        self.n_params_ = k
        self.aic_ = 2 * k - 2 * self.loglik_
        self.bic_ = k * np.log(n_used) - 2 * self.loglik_
        self.converged_ = bool(best.success)
        self.classes_ = np.arange(self._n_options(data))
        self._theta_ = theta
        self._transforms_ = transforms
        if not errors:
            self.hessian_, self.se_ = None, dict.fromkeys(names, np.nan)
            self.ci_ = dict.fromkeys(names, (np.nan, np.nan))
            return self
        evaluate = batched if batched is not None else (  # the Hessian's points at once
            lambda points: np.array([negll(u) for u in points]))
        self._hessian_errors(evaluate, u_hat, names, transforms)
        return self

    def _batched_negll(self, data: dict, use: np.ndarray, transforms: list[str]):
        """``f(U) -> (B,)`` negative log-likelihoods of B unbounded parameter vectors in one
        pass, when the model has ``_trial_loglik_batch(thetas (B, k), data) -> (B, n)``."""
        if not hasattr(self, "_trial_loglik_batch"):
            return None

        def f(U):
            th = self._to_natural(np.clip(np.atleast_2d(U), -30.0, 30.0), transforms)
            vals = -self._trial_loglik_batch(th, data)[:, use].sum(axis=1)
            return np.where(np.isfinite(vals), vals, 1e300)

        return f

    def _hessian_errors(self, evaluate, u_hat, names, transforms):
        """Central-difference Hessian of the negative log-likelihood at ``u_hat``;
        ``evaluate(points (P, k)) -> (P,)`` gives it at every point the differences need."""
        k = len(u_hat)
        h = 1e-4 * np.maximum(1.0, np.abs(u_hat))
        e = np.diag(h)
        points, where = [u_hat], {}
        for i in range(k):
            where[i, i] = len(points)
            points += [u_hat + e[i], u_hat - e[i]]
            for j in range(i + 1, k):
                where[i, j] = len(points)
                points += [u_hat + e[i] + e[j], u_hat + e[i] - e[j], u_hat - e[i] + e[j],
                           u_hat - e[i] - e[j]]
        f = evaluate(np.array(points))
        H = np.empty((k, k))
        for (i, j), a in where.items():
            if i == j:
                val = (f[a] - 2 * f[0] + f[a + 1]) / h[i] ** 2
            else:
                val = (f[a] - f[a + 1] - f[a + 2] + f[a + 3]) / (4 * h[i] * h[j])
            H[i, j] = H[j, i] = val
        self.hessian_ = H
        eig = np.linalg.eigvalsh(H)
        if np.any(eig <= 0):
            warnings.warn(
                f"{type(self).__name__}: the Hessian at the optimum is not positive definite "
                f"(eigenvalues {eig}); standard errors and intervals are NaN (parameter not "
                "identified by these data)", RuntimeWarning, stacklevel=3)
            se_u = np.full(k, np.nan)
        else:
            se_u = np.sqrt(np.diag(np.linalg.inv(H)))
        with np.errstate(over="ignore"):  # a huge se maps to an infinite bound, as it should
            lo = self._to_natural(u_hat - _Z95 * se_u, transforms)
            hi = self._to_natural(u_hat + _Z95 * se_u, transforms)
        theta = self._to_natural(u_hat, transforms)
        # d(natural)/d(unbounded) of each transform (delta method)
        slope = {"log": lambda v: v, "logit": lambda v: v * (1 - v),
                 "half_logit": lambda v: v * (1 - 2 * v), "identity": lambda v: 1.0}
        jac = np.array([slope[t](theta[i]) for i, t in enumerate(transforms)])
        self.se_ = dict(zip(names, (jac * se_u).tolist()))
        self.ci_ = {n: (float(a), float(b)) for n, a, b in zip(names, lo, hi)}

    def fit(self, X, y, groups=None):
        """Fit by maximum likelihood.

        Parameters
        ----------
        X : array_like
            Trial inputs (see the class docstring).
        y : array_like of int, shape (n_trials,)
            Chosen option index per trial.
        groups : array_like, shape (n_trials,), optional
            Session/block labels (sequential models reset their state at each new label).

        Returns
        -------
        self
        """
        if y is None:
            raise ValueError(f"{type(self).__name__} requires y to be passed, but the target y "
                             "is None (y holds the chosen option of every trial)")
        x = self._check_input(X, reset=True)
        return self._fit_data(self._prepare(x, y, groups))

    def _require_fit(self):
        if not self.__sklearn_is_fitted__():
            raise NotFittedError(f"{type(self).__name__} is not fitted; call fit(X, y) first")

    def predict(self, X, *args, **kwargs) -> np.ndarray:
        """Most probable option per trial, shape (n_trials,): the argmax of ``predict_proba``,
        which takes the same arguments (sequential models also need the past choices)."""
        self._require_fit()
        return np.argmax(self.predict_proba(X, *args, **kwargs), axis=1)

    def _simulation_theta(self, params, data) -> np.ndarray:
        """Parameters of a simulation: the fitted ones (``params=None``) or ``params``, a
        mapping with one finite number per name of ``_spec(data)``."""
        if params is None:
            self._require_fit()
            return self._theta_
        names = [spec[0] for spec in self._spec(data)]
        if not isinstance(params, Mapping):
            raise TypeError(f"params must be a dict with keys {names}, got {params!r}")
        missing = sorted(set(names) - set(params))
        if missing:
            raise ValueError(f"params is missing {missing} (expected keys {names})")
        return np.array([check_real(f"params[{name!r}]", params[name]) for name in names])

    def loglik_trials(self, X, y, groups=None) -> np.ndarray:
        """Per-trial log-likelihood (nats) under the fitted parameters; NaN for excluded trials."""
        self._require_fit()
        data = self._prepare(self._check_input(X, reset=False), y, groups)
        ll = self._trial_loglik(self._theta_, data)
        return np.where(data["valid"], ll, np.nan)

    def score(self, X, y, groups=None) -> float:
        """Mean log-likelihood per usable trial (nats; higher is better)."""
        return float(np.nanmean(self.loglik_trials(X, y, groups)))

    def bootstrap(self, X, y, groups=None, *, n_boot: int = 200, level: float = 0.95,
                  random_state=None) -> dict:
        """Percentile bootstrap intervals; sets and returns ``bootstrap_ci_``.

        Trials are resampled with replacement (non-sequential models); sequential models
        resample whole ``groups`` (sessions), which must then be given.
        """
        self._require_fit()
        n_boot = check_int("n_boot", n_boot, low=2)
        level = check_real("level", level, low=0.0, high=1.0, low_inclusive=False,
                           high_inclusive=False)
        rng = as_generator(random_state)
        Xa, ya = np.asarray(X), np.asarray(y)
        draws = []
        if self.sequential:
            if groups is None:
                raise ValueError("groups (sessions) are required to bootstrap a sequential model")
            g = as_array("groups", groups)
            labels = pd.unique(g)
            for _ in range(n_boot):
                pick = rng.choice(labels, size=labels.size, replace=True)
                idx = np.concatenate([np.flatnonzero(g == lab) for lab in pick])
                newg = np.concatenate([np.full((g == lab).sum(), i) for i, lab in enumerate(pick)])
                draws.append(clone(self).fit(Xa[idx], ya[idx], newg)._theta_)
        else:
            n = ya.shape[0]
            for _ in range(n_boot):
                idx = rng.integers(0, n, n)
                gi = None if groups is None else np.asarray(groups)[idx]
                draws.append(clone(self).fit(Xa[idx], ya[idx], gi)._theta_)
        draws = np.array(draws)
        q = [(1 - level) / 2, (1 + level) / 2]
        lo, hi = np.quantile(draws, q, axis=0)
        self.bootstrap_ci_ = {n: (float(a), float(b)) for n, a, b in zip(self.param_names_, lo, hi)}
        return self.bootstrap_ci_


#: Relative forward-difference step of batched gradients (scipy's default, sqrt(eps)).
_FD_STEP = float(np.sqrt(np.finfo(float).eps))


def _check_y(y, n_trials: int | None, n_options: int | None = None) -> np.ndarray:
    arr = as_array("y", y)
    if arr.ndim != 1:
        raise ValueError(f"y must be 1-dimensional (one choice per trial), got shape {arr.shape}")
    if n_trials is not None and arr.shape[0] != n_trials:
        raise ValueError(f"y must have {n_trials} entries (one per row of X), got {arr.shape[0]}")
    if arr.dtype.kind == "f" and np.all(np.isfinite(arr)) and np.all(arr == np.round(arr)):
        arr = arr.astype(np.int64)
    if arr.dtype.kind not in "iu":
        raise TypeError(f"Unknown label type: y must hold integer option indices, got dtype "
                        f"{arr.dtype}")
    if np.any(arr < 0) or (n_options is not None and np.any(arr >= n_options)):
        raise ValueError(f"y must hold option indices in [0, {n_options}), got range "
                         f"[{arr.min()}, {arr.max()}]")
    return arr.astype(np.int64)


def _session_starts(groups, n_trials: int) -> np.ndarray:
    """Bool (n_trials,): True where a session starts (``groups`` labels each trial; None = one)."""
    if groups is None:
        starts = np.zeros(n_trials, bool)
        starts[0] = True
        return starts
    g = as_array("groups", groups)
    if g.shape != (n_trials,):
        raise ValueError(f"groups must have shape ({n_trials},) (one label per trial), "
                         f"got {g.shape}")
    return np.r_[True, g[1:] != g[:-1]]


def _reward_design(X, n_actions: int, covariate: bool) -> np.ndarray:
    """Validate ``X`` = [reward, (covariate per action)] of learning choice models -> 2-D array."""

    x = check_finite_array("X", X)
    if x.ndim == 1:
        x = x[:, None]
    want = 1 + n_actions if covariate else 1
    if x.ndim != 2 or x.shape[1] != want:
        raise ValueError(f"X must have shape (n_trials, {want}) = [reward"
                         f"{', covariates x_a' if covariate else ''}], got {x.shape}")
    return x
