"""Maximum-likelihood choice models (scikit-learn style) for soft-value analyses.

Every model maximises the log-likelihood of the observed choices over transformed (unbounded)
parameters with L-BFGS-B from several seeded random starts, then reports

- ``params_`` (dict, natural units), ``loglik_`` (nats), ``aic_ = 2k - 2 LL``,
  ``bic_ = k ln n - 2 LL``;
- ``se_`` (delta-method standard errors from the numerical Hessian in the transformed space) and
  ``ci_`` (Wald interval in the transformed space mapped back, so it respects the bounds);
- optional percentile bootstrap intervals (their ``bootstrap`` method).

Models
------
:class:`SoftmaxChoiceModel`
    ``P(a) ∝ exp((v_a + b_a) / tau)``: MaxEnt temperature ``tau`` on given option values.
:class:`RelativeValueLogit`
    Two goods, offers ``qA``, ``qB``; Padoa-Schioppa's logistic. ``form="log"`` (standard):
    ``P(B) = 1 / (1 + exp(-(a0 + a1 ln(qB / qA))))`` reparametrised as steepness ``eta = a1`` and
    relative value ``rho = exp(-a0 / a1)``, i.e. ``P(B) = sigmoid(eta * (ln(qB / qA) - ln rho))``;
    forced choices (a zero quantity) carry no information on ``rho`` and are excluded from the
    fit (``n_forced_``). ``form="linear"``: ``P(B) = sigmoid(eta * (qB - rho qA))``, a softmax over
    the offer values ``(rho qA, qB)`` with temperature ``tau = 1 / eta`` (juice-B units).
:class:`QLearningChoiceModel`
    Delta-rule values ``Q_c <- Q_c + alpha (r - Q_c)`` for the chosen action, softmax with
    temperature ``tau`` over ``Q_a + w x_a (+ b_a)``; values reset at each new session (``groups``).
    With ``forgetting`` the values of the unchosen actions relax toward ``q0`` (F-Q learning).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy.special import expit, log_expit, logsumexp
from sklearn.base import clone

from neuromop._checks import (
    MAX_SIZE,
    as_array,
    check_bool,
    check_choice,
    check_finite_array,
    check_int,
    check_real,
)
from neuromop._random import as_generator
from neuromop._recursions import _delta_rule_values, _linear_recursion
from neuromop.values._choice_base import (
    _check_y,
    _ChoiceModel,
    _reward_design,
    _session_starts,
)
from neuromop.values.encoding import _blocked_folds

__all__ = [
    "CrossValidatedLoglik",
    "QLearningChoiceModel",
    "RelativeValueLogit",
    "SoftmaxChoiceModel",
    "compare_models",
    "cross_validated_loglik",
]

class SoftmaxChoiceModel(_ChoiceModel):
    """MaxEnt / softmax choice over given option values: ``P(a) ∝ exp((v_a + b_a) / tau)``.

    Parameters
    ----------
    bias : bool
        Fit additive biases ``b_a`` for options ``1..K-1`` (value units).
    n_restarts : int
        Random starts of the optimiser.
    random_state : None, int or numpy.random.Generator

    Notes
    -----
    ``X`` has shape (n_trials, n_options): option values (value units, ``-inf`` = unavailable);
    ``y`` is the chosen option index. Fitted ``params_["temperature"]`` is in value units.
    """

    _X_allows_neginf = True

    def __init__(self, *, bias: bool = False, n_restarts: int = 5, random_state=None):
        super().__init__(n_restarts=n_restarts, random_state=random_state)
        self.bias = bias

    def _n_options(self, data):
        return data["v"].shape[1]

    def _prepare(self, X, y, groups):
        v = as_array("X", X, dtype=float)
        if v.ndim != 2 or v.shape[1] < 2:
            raise ValueError(f"X must have shape (n_trials, n_options >= 2) (one column of "
                             f"values per option), got shape {v.shape}: "
                             f"{v.shape[-1] if v.ndim else 0} feature(s)")
        if np.any(np.isnan(v)) or np.any(np.isposinf(v)):
            raise ValueError("X (option values) must not contain NaN or +inf")
        yy = _check_y(y, v.shape[0], v.shape[1])
        if np.any(np.isneginf(v[np.arange(v.shape[0]), yy])):
            raise ValueError("y chooses an unavailable option (value -inf) on some trial")
        spread = np.ptp(np.where(np.isfinite(v), v, np.nan), axis=1)
        if np.all(np.nan_to_num(spread) == 0):
            raise ValueError("X is constant across options on every trial: the temperature is "
                             "not identifiable")
        return {"v": v, "y": yy, "valid": np.ones(v.shape[0], bool)}

    def _spec(self, data):
        scale = float(np.nanstd(np.where(np.isfinite(data["v"]), data["v"], np.nan)) or 1.0)
        spec = [("temperature", "log", (0.1 * scale, 2.0 * scale))]
        if self.bias:
            spec += [(f"bias_{a}", "identity", (-0.5 * scale, 0.5 * scale))
                     for a in range(1, data["v"].shape[1])]
        return spec

    def _utilities(self, theta, v):
        u = v.copy()
        if self.bias:
            u[:, 1:] = u[:, 1:] + theta[1:]
        return u / theta[0]

    def _trial_loglik(self, theta, data):
        z = self._utilities(theta, data["v"])
        logp = z - logsumexp(z, axis=1, keepdims=True)
        return logp[np.arange(z.shape[0]), data["y"]]

    def predict_proba(self, X) -> np.ndarray:
        """Choice probabilities, shape (n_trials, n_options)."""
        self._require_fit()
        v = self._check_input(X, reset=False)
        z = self._utilities(self._theta_, v)
        return np.exp(z - logsumexp(z, axis=1, keepdims=True))

    def simulate(self, X, random_state=None) -> np.ndarray:
        """Draw choices from the fitted model."""
        p = self.predict_proba(X)
        rng = as_generator(random_state)
        return (rng.random(p.shape[0])[:, None] > np.cumsum(p, axis=1)).sum(axis=1)


class RelativeValueLogit(_ChoiceModel):
    """Padoa-Schioppa relative-value logistic for offers of two goods.

    Parameters
    ----------
    form : {"log", "linear"}
        ``"log"``: ``P(B) = sigmoid(eta (ln(qB/qA) - ln rho))`` (the standard of Padoa-Schioppa &
        Assad 2006 and later papers, with ``a1 = eta``, ``a0 = -eta ln rho``); forced choices are
        excluded from fitting by default. ``"linear"``: ``P(B) = sigmoid(eta (qB - rho qA))``
        (softmax over
        offer values with temperature ``1 / eta``, juice-B units).
    exclude_forced : bool
        Leave out forced choices (one quantity zero) from the likelihood, so that both forms are
        compared on the same trials (in the log form they are deterministic).
    n_restarts, random_state
        Optimiser restarts and seed.

    Notes
    -----
    ``X`` has shape (n_trials, 2): quantities ``[qA, qB]`` (drops, >= 0); ``y`` is 0 for A and
    1 for B.
    Fitted ``params_``: ``rho`` (relative value, >0), ``steepness`` (>0). ``temperature_`` is
    ``1 / steepness`` for ``form="linear"``.
    """

    def __init__(self, *, form: str = "log", exclude_forced: bool = True, n_restarts: int = 5,
                 random_state=None):
        super().__init__(n_restarts=n_restarts, random_state=random_state)
        self.form = form
        self.exclude_forced = exclude_forced

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.positive_only = True  # offer quantities
        return tags

    def _n_options(self, data):
        return 2

    def _fit_data(self, data, mask=None, errors=True):
        super()._fit_data(data, mask, errors)
        self.n_forced_ = int(data["forced"].sum())
        return self

    def _prepare(self, X, y, groups):
        check_choice("form", self.form, ("log", "linear"))
        q = check_finite_array("X", X, ndim=2)
        if q.shape[1] != 2:
            raise ValueError(f"X must have shape (n_trials, 2) = [qA, qB], got shape {q.shape}: "
                             f"{q.shape[1]} feature(s)")
        if np.any(q < 0):
            raise ValueError("Negative values in data passed to X: offer quantities must be "
                             ">= 0")
        if np.any((q[:, 0] == 0) & (q[:, 1] == 0)):
            raise ValueError("X has a trial where both offers are zero")
        yy = _check_y(y, q.shape[0], 2)
        forced = (q[:, 0] == 0) | (q[:, 1] == 0)
        valid = ~forced if self.exclude_forced else np.ones(q.shape[0], bool)
        with np.errstate(divide="ignore"):
            lr = np.log(q[:, 1]) - np.log(q[:, 0])
        if np.unique(lr[valid]).size < 2:
            raise ValueError("X must contain at least two different offer ratios qB/qA among the "
                             "non-forced trials, otherwise rho and the steepness are not "
                             "identifiable")
        return {"q": q, "y": yy, "valid": valid, "logratio": lr, "forced": forced}

    def _spec(self, data):
        q = data["q"][data["valid"]]
        if self.form == "log":
            return [("rho", "log", (0.7, 4.0)), ("steepness", "log", (0.5, 5.0))]
        return [("rho", "log", (0.7, 4.0)), ("steepness", "log", (0.2, 3.0) if q.max() < 20
                                                             else (0.02, 0.3))]

    def _decision(self, theta, data):
        rho, eta = theta[0], theta[1]
        if self.form == "log":
            # forced choices (ln ratio = +-inf) are deterministic; clipped to keep logs finite
            return np.clip(eta * (data["logratio"] - np.log(rho)), -30.0, 30.0)
        return eta * (data["q"][:, 1] - rho * data["q"][:, 0])

    def _trial_loglik(self, theta, data):
        x = self._decision(theta, data)
        return np.where(data["y"] == 1, log_expit(x), log_expit(-x))

    def predict_proba(self, X) -> np.ndarray:
        """``[P(A), P(B)]`` per trial; forced choices (log form) give the non-zero offer."""
        self._require_fit()
        q = self._check_input(X, reset=False)
        data = self._prepare(q, np.zeros(q.shape[0], int), None)
        pb = expit(self._decision(self._theta_, data))
        return np.stack([1 - pb, pb], axis=1)

    def simulate(self, X, random_state=None) -> np.ndarray:
        """Draw choices (0 = A, 1 = B) from the fitted model."""
        pb = self.predict_proba(X)[:, 1]
        return (as_generator(random_state).random(pb.size) < pb).astype(np.int64)

    @property
    def temperature_(self) -> float:
        """Softmax temperature ``1 / steepness`` (juice-B units; linear form only)."""
        self._require_fit()
        if self.form != "linear":
            raise AttributeError("temperature_ is defined for form='linear' only (value units)")
        return 1.0 / self.params_["steepness"]


class QLearningChoiceModel(_ChoiceModel):
    """Delta-rule Q-learning with softmax choice.

    ``Q_c <- Q_c + alpha (r - Q_c)`` after each trial for the chosen action ``c``;
    ``P(a) ∝ exp((Q_a + w x_a + b_a) / tau)``; values start at ``q0`` in each session. With
    forgetting, every unchosen action ``u`` relaxes as ``Q_u <- Q_u + phi (q0 - Q_u)`` (Ito &
    Doya's F-Q learning when ``q0 = 0``).

    Parameters
    ----------
    n_actions : int
        Number of actions (>= 2).
    covariate : bool
        ``X`` carries per-action covariates (e.g. stimulus contrast on each side) with weight ``w``.
    bias : bool
        Fit biases ``b_a`` for actions ``1..K-1``.
    q0 : float
        Initial value of every action, and the value unchosen actions relax to with
        ``forgetting`` (reward units).
    forgetting : {"none", "equal", "free"}
        ``"none"``: unchosen values stay put (the standard delta rule). ``"equal"``: they relax
        toward ``q0`` at the learning rate (``phi = alpha``; Katahira 2015), so every value
        decays with the same time constant ``1 / alpha`` trials whether chosen or not.
        ``"free"``: their own rate ``phi`` (parameter ``forgetting``) is fitted. With two
        actions, rewards 0/1 and ``q0 = 0.5``, ``"equal"`` is
        :class:`~neuromop.values.PriorLearningChoiceModel` on the rewarded side (see the guide
        for the IBL mice, where the delta rule runs ``alpha`` and ``tau`` to 0).
    n_restarts, random_state
        Optimiser restarts and seed.

    Notes
    -----
    ``X`` has shape (n_trials, 1) or (n_trials, 1 + n_actions): column 0 is the reward obtained on
    the trial (after the choice), the remaining columns the covariates ``x_a``. The recursion is
    evaluated without a Python loop over trials: without forgetting, on the sub-sequence of
    trials where action ``a`` is chosen the update is a first-order linear filter
    (``scipy.signal.lfilter``) and values are carried forward to the other trials; with it, the
    time-varying recursion is solved in blocks of trials.
    """

    sequential = True
    _X_allows_1d = True

    def __init__(self, *, n_actions: int = 2, covariate: bool = False, bias: bool = False,
                 q0: float = 0.5, forgetting: str = "none", n_restarts: int = 5,
                 random_state=None):
        super().__init__(n_restarts=n_restarts, random_state=random_state)
        self.n_actions = n_actions
        self.covariate = covariate
        self.bias = bias
        self.q0 = q0
        self.forgetting = forgetting

    def _n_options(self, data):
        return self.n_actions

    def _prepare(self, X, y, groups):
        K = check_int("n_actions", self.n_actions, low=2, high=MAX_SIZE)
        check_real("q0", self.q0)
        check_choice("forgetting", self.forgetting, ("none", "equal", "free"))
        x = _reward_design(X, K, self.covariate)
        yy = _check_y(y, x.shape[0], K)
        n = x.shape[0]
        starts = _session_starts(groups, n)
        if self.covariate and np.all(np.ptp(x[:, 1:], axis=0) == 0):
            raise ValueError("the covariate columns of X are constant: weight not identifiable")
        return {"r": x[:, 0], "cov": x[:, 1:] if self.covariate else None, "y": yy,
                "starts": starts, "valid": np.ones(n, bool)}

    def _spec(self, data):
        spec = [("alpha", "logit", (0.05, 0.8)), ("temperature", "log", (0.05, 0.5))]
        if self.forgetting == "free":
            spec.append(("forgetting", "logit", (0.05, 0.5)))
        if self.covariate:
            spec.append(("weight", "identity", (0.5, 3.0)))
        if self.bias:
            spec += [(f"bias_{a}", "identity", (-0.2, 0.2)) for a in range(1, self.n_actions)]
        return spec

    def _forgetting_rate(self, theta) -> float:
        """Rate ``phi`` at which unchosen values relax toward ``q0``."""
        return theta[2] if self.forgetting == "free" else theta[0] * (self.forgetting == "equal")

    def _q_values(self, theta, data: dict) -> np.ndarray:
        """Values before each trial, shape (n_trials, n_actions)."""
        y, r, alpha, phi = data["y"], data["r"], theta[0], self._forgetting_rate(theta)
        if self.forgetting == "none":
            return np.stack([_delta_rule_values(r, y == a, alpha, self.q0, data["starts"])
                             for a in range(self.n_actions)], axis=1)
        coef, drive = (1 - alpha, 1 - phi), (alpha * r, phi * self.q0)  # (chosen, unchosen)
        return np.stack([_linear_recursion(np.where(y == a, *coef), np.where(y == a, *drive),
                                           self.q0, data["starts"])
                         for a in range(self.n_actions)], axis=1)

    def _utilities(self, theta, data):
        Q = self._q_values(theta, data)
        u = Q.copy()
        j = 3 if self.forgetting == "free" else 2
        if self.covariate:
            u = u + theta[j] * data["cov"]
            j += 1
        if self.bias:
            u[:, 1:] = u[:, 1:] + theta[j:j + self.n_actions - 1]
        return u / theta[1], Q

    def _trial_loglik(self, theta, data):
        z, _ = self._utilities(theta, data)
        logp = z - logsumexp(z, axis=1, keepdims=True)
        return logp[np.arange(z.shape[0]), data["y"]]

    def predict_proba(self, X, y, groups=None) -> np.ndarray:
        """One-step-ahead choice probabilities given the past choices ``y`` and rewards."""
        self._require_fit()
        x = self._check_input(X, reset=False)
        z, _ = self._utilities(self._theta_, self._prepare(x, y, groups))
        return np.exp(z - logsumexp(z, axis=1, keepdims=True))

    def values(self, X, y, groups=None) -> np.ndarray:
        """Fitted Q-values before each trial, shape (n_trials, n_actions) (reward units)."""
        self._require_fit()
        x = self._check_input(X, reset=False)
        return self._q_values(self._theta_, self._prepare(x, y, groups))

    def simulate(self, rewards_fn, n_trials: int, covariates=None, random_state=None,
                 params: dict | None = None):
        """Simulate an agent; ``rewards_fn(t, action, rng) -> reward``. Returns ``(X, y)``."""
        theta = self._simulation_theta(params, {"v": None})
        n_trials = check_int("n_trials", n_trials, low=1, high=MAX_SIZE)
        if not callable(rewards_fn):
            raise TypeError(f"rewards_fn must be callable, got {type(rewards_fn).__name__}")
        rng = as_generator(random_state)
        K = self.n_actions
        q = np.full(K, float(self.q0))
        phi = self._forgetting_rate(theta)
        X = np.zeros((n_trials, 1 + (K if self.covariate else 0)))
        y = np.zeros(n_trials, np.int64)
        for t in range(n_trials):  # generative loop: trial t depends on t-1 (not a hot path)
            u = q.copy()
            j = 3 if self.forgetting == "free" else 2
            if self.covariate:
                X[t, 1:] = covariates[t]
                u = u + theta[j] * covariates[t]
                j += 1
            if self.bias:
                u[1:] += theta[j:j + K - 1]
            p = np.exp(u / theta[1] - logsumexp(u / theta[1]))
            a = int(rng.choice(K, p=p))
            r = float(rewards_fn(t, a, rng))
            chosen = np.arange(K) == a
            q[~chosen] += phi * (self.q0 - q[~chosen])
            q[a] += theta[0] * (r - q[a])
            X[t, 0], y[t] = r, a
        return X, y


@dataclass(frozen=True)
class CrossValidatedLoglik:
    """Held-out log-likelihood (nats): ``total``, ``per_trial`` mean and each fold's total."""

    total: float
    per_trial: float
    folds: np.ndarray
    n_trials: int


def _folds(n: int, cv, groups) -> list[np.ndarray]:
    if isinstance(cv, str):
        check_choice("cv", cv, ("groups",))
        if groups is None:
            raise ValueError("cv='groups' needs groups (e.g. session labels)")
        g = np.asarray(groups)
        return [g == lab for lab in pd.unique(g)]
    return _blocked_folds(n, check_int("cv", cv, low=2, high=n))


def cross_validated_loglik(model: _ChoiceModel, X, y, *, cv=5, groups=None) -> CrossValidatedLoglik:
    """Held-out log-likelihood with contiguous trial blocks (respects slow drift).

    Parameters
    ----------
    model : choice model
        Unfitted template (it is cloned per fold).
    X, y, groups
        As for ``model.fit``.
    cv : int or "groups"
        Number of contiguous blocks, or ``"groups"`` for leave-one-group-out.

    Notes
    -----
    Sequential models (Q-learning) run their value recursion over all trials with the observed
    choices and rewards, but their parameters are fitted on the training trials only and the
    likelihood is summed over the held-out trials (one-step-ahead prediction).
    """
    if not isinstance(model, _ChoiceModel):
        raise TypeError(f"model must be a neuromop choice model, got {type(model).__name__}")
    data = model._prepare(X, y, groups)
    n = data["y"].size
    fold_ll = []
    for test in _folds(n, cv, groups):
        m = clone(model)._fit_data(data, mask=~test, errors=False)  # no Hessian per fold
        ll = m._trial_loglik(m._theta_, data)
        fold_ll.append(float(ll[test & data["valid"]].sum()))
    n_valid = int(data["valid"].sum())
    total = float(np.sum(fold_ll))
    return CrossValidatedLoglik(total, total / n_valid, np.array(fold_ll), n_valid)


def compare_models(models: dict, y, *, X=None, groups=None, cv=5,
                   progress: bool = False) -> pd.DataFrame:
    """Fit and compare choice models on the same choices.

    Parameters
    ----------
    models : dict
        ``name -> model`` (all using ``X``) or ``name -> (model, X_for_that_model)``.
    y, X, groups, cv
        Choices, shared inputs, session labels and cross-validation (see
        :func:`cross_validated_loglik`); ``cv=None`` skips cross-validation (``cv_loglik`` NaN).
    progress : bool
        Show a progress bar over the models (the model being fitted in its postfix).

    Returns
    -------
    pandas.DataFrame
        Indexed by model name: ``n_params``, ``n_trials``, ``loglik``, ``aic``, ``bic``,
        ``cv_loglik`` (held-out, nats), ``delta_bic``, ``bic_weight``, ``best_bic``.
    """
    if not isinstance(models, dict) or not models:
        raise TypeError("models must be a non-empty dict name -> model or (model, X)")
    from tqdm.auto import tqdm

    rows = {}
    bar = tqdm(models.items(), desc="choice models", unit="model",
               disable=not check_bool("progress", progress))
    for name, entry in bar:
        bar.set_postfix_str(name)
        model, Xm = entry if isinstance(entry, tuple) else (entry, X)
        if not isinstance(model, _ChoiceModel):
            raise TypeError(f"models[{name!r}] must be a neuromop choice model or (model, X), "
                            f"got {type(model).__name__}")
        if Xm is None:
            raise ValueError(f"no X for model {name!r}: pass X= or (model, X)")
        fitted = clone(model).fit(Xm, y, groups)
        cv_ll = (np.nan if cv is None
                 else cross_validated_loglik(model, Xm, y, cv=cv, groups=groups).total)
        rows[name] = {"n_params": fitted.n_params_, "n_trials": fitted.n_trials_,
                      "loglik": fitted.loglik_, "aic": fitted.aic_, "bic": fitted.bic_,
                      "cv_loglik": cv_ll, **{f"param_{k}": v for k, v in fitted.params_.items()}}
    table = pd.DataFrame.from_dict(rows, orient="index")
    table["delta_bic"] = table["bic"] - table["bic"].min()
    w = np.exp(-0.5 * table["delta_bic"])
    table["bic_weight"] = w / w.sum()
    table["best_bic"] = table["delta_bic"] == 0
    table.index.name = "model"
    return table
