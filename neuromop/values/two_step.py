"""The two-step task (Daw et al., 2011): hybrid model-based / model-free choice, per-trial values.

Task
----
On every trial the agent chooses one of two first-stage actions ``a``; action 0 leads to
second-stage state 0 with probability ``p_common`` (a *common* transition) and to state 1
otherwise (*rare*), action 1 the other way round. In the second-stage state ``s`` it chooses one
of two actions ``b`` and is rewarded (1) with probability ``p[s, b]``; the four probabilities
drift as independent Gaussian random walks reflected at the bounds
(:func:`two_step_reward_probabilities`).

Model
-----
:class:`TwoStepChoiceModel` is the hybrid learner of Daw et al. (2011, Neuron 69:1204), with
temperatures in value units (``tau = 1 / beta``)::

    Q2(s, b)  <- Q2(s, b) + alpha2 (r - Q2(s, b))                          second stage
    Q1(a)     <- Q1(a) + alpha1 (Q2(s, b) - Q1(a)) + alpha1 lambda (r - Q2(s, b))   (TD(lambda))
    QMB(a)    =  sum_s P(s | a) max_b Q2(s, b)                             model-based
    u(a)      =  w QMB(a) + (1 - w) Q1(a) + persev [a == previous first-stage action]
    P(a)      ∝  exp(u(a) / tau1),    P(b | s) ∝ exp(Q2(s, b) / tau2)

``Q2`` in the ``Q1`` update is the value before its own update, so the first-stage update is
``Q1 <- Q1 + alpha1 ((1 - lambda) Q2(s, b) + lambda r - Q1)``: a delta rule on a known target,
which the likelihood evaluates without a Python loop over trials (as
:class:`~neuromop.values.QLearningChoiceModel`). The likelihood of a trial is that of *both*
choices; ``predict_proba`` gives the first-stage choice probabilities.

Values
------
:func:`two_step_values` gives, per trial, the soft and true values of the first-stage choice
(the softmax over ``u`` with ``tau1``: ``V_soft = tau1 log sum_a exp(u_a / tau1)``,
``V_true = sum_a pi_a u_a``), the model-free, model-based and net action values, the choice
entropy and the soft and true values of the second-stage state reached — learned values that
change trial by trial, ready for :func:`~neuromop.values.compare_value_encodings` as
``behaviour``.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd
import xarray as xr
from scipy.special import logsumexp

from neuromop._checks import MAX_SIZE, check_choice, check_finite_array, check_int, check_real
from neuromop._provenance import provenance
from neuromop._random import as_generator
from neuromop._recursions import _delta_rule_values
from neuromop.values._choice_base import (
    _check_y,
    _ChoiceModel,
    _session_starts,
)
from neuromop.values.signals import _signals_from_q, _to_dataset, soft_value, softmax_policy

__all__ = [
    "TwoStepChoiceModel",
    "two_step_pseudo_sampler",
    "two_step_reward_probabilities",
    "two_step_stay_probabilities",
    "two_step_values",
]

#: Parameters of the full hybrid model, in the order of ``params_``.
_HYBRID = ("alpha1", "alpha2", "eligibility", "temperature1", "temperature2", "perseveration",
           "w")


def two_step_reward_probabilities(n_trials: int, *, step_sd: float = 0.025,
                                  bounds: tuple[float, float] = (0.25, 0.75),
                                  random_state=None) -> np.ndarray:
    """Drifting reward probabilities of the four second-stage actions (Daw et al., 2011).

    Parameters
    ----------
    n_trials : int
        Number of trials.
    step_sd : float
        Standard deviation of each trial's Gaussian step (probability units), >= 0.
    bounds : (float, float)
        Reflecting bounds, ``0 <= low < high <= 1``.
    random_state : None, int or numpy.random.Generator

    Returns
    -------
    numpy.ndarray, shape (n_trials, 2, 2)
        ``p[t, s, b]``: probability of reward for action ``b`` in second-stage state ``s``;
        starts uniform in ``bounds``.
    """
    n_trials = check_int("n_trials", n_trials, low=1, high=MAX_SIZE)
    step_sd = check_real("step_sd", step_sd, low=0.0)
    b = check_finite_array("bounds", bounds, ndim=1)
    if b.shape != (2,) or not 0.0 <= b[0] < b[1] <= 1.0:
        raise ValueError(f"bounds must be (low, high) with 0 <= low < high <= 1, got {bounds!r}")
    lo, hi = float(b[0]), float(b[1])
    rng = as_generator(random_state)
    p = np.empty((n_trials, 2, 2))
    p[0] = rng.uniform(lo, hi, (2, 2))
    steps = rng.normal(0.0, step_sd, (n_trials - 1, 2, 2))
    width = hi - lo
    for t in range(1, n_trials):  # reflection makes the walk nonlinear (not a hot path)
        x = (p[t - 1] + steps[t - 1] - lo) % (2 * width)
        p[t] = lo + np.where(x > width, 2 * width - x, x)
    return p


def _two_step_design(X) -> np.ndarray:
    """Validate ``X`` = [second-stage state, second-stage action, reward] -> 2-D float array."""
    x = check_finite_array("X", X)
    if x.ndim != 2 or x.shape[1] != 3:
        raise ValueError("X must have shape (n_trials, 3) = [second-stage state (0/1), "
                         f"second-stage action (0/1), reward], got {x.shape}")
    for j, name in ((0, "second-stage state"), (1, "second-stage action")):
        if not np.all(np.isin(x[:, j], (0.0, 1.0))):
            raise ValueError(f"column {j} of X ({name}) must hold 0 or 1, got values "
                             f"{np.unique(x[:, j])[:5].tolist()}")
    return x


class TwoStepChoiceModel(_ChoiceModel):
    """Hybrid model-based / model-free learner of the two-step task (Daw et al., 2011).

    Parameters
    ----------
    model : {"hybrid", "model_free", "model_based"}
        ``"hybrid"`` fits the weight ``w`` of the model-based values; ``"model_free"`` fixes
        ``w = 0`` and ``"model_based"`` fixes ``w = 1`` (then ``alpha1`` and the eligibility
        trace do not enter the likelihood and are not fitted).
    eligibility : float or None
        Eligibility trace ``lambda`` of the model-free first-stage update: fitted when None,
        fixed to the given value in ``[0, 1]`` otherwise (``lambda = 1``: TD(1)).
    perseveration : bool
        Fit a first-stage perseveration bonus ``persev`` (value units; > 0 repeats the last
        first-stage action, < 0 alternates).
    p_common : float
        Probability of the common transition, known to the agent (``0.5 < p_common < 1``).
    q0 : float
        Initial value of every action at the start of each session (reward units).
    n_restarts : int
        Random starts of the optimiser.
    random_state : None, int or numpy.random.Generator

    Notes
    -----
    ``X`` has shape (n_trials, 3): the second-stage state reached (0 or 1), the second-stage
    action (0 or 1) and the reward; ``y`` is the first-stage action (0 or 1). ``groups`` labels
    sessions (values reset to ``q0`` and the perseveration memory is cleared at each new
    label). Fitted ``params_`` hold ``alpha1``, ``alpha2`` (learning rates), ``eligibility``
    (``lambda``), ``temperature1``, ``temperature2`` (value units), ``perseveration`` (value
    units) and ``w`` -- those the options leave free. The log-likelihood of a trial is the sum of
    its two choices' log-probabilities (nats).
    """

    sequential = True

    def __init__(self, *, model: str = "hybrid", eligibility: float | None = None,
                 perseveration: bool = True, p_common: float = 0.7, q0: float = 0.5,
                 n_restarts: int = 5, random_state=None):
        super().__init__(n_restarts=n_restarts, random_state=random_state)
        self.model = model
        self.eligibility = eligibility
        self.perseveration = perseveration
        self.p_common = p_common
        self.q0 = q0

    def _n_options(self, data):
        return 2

    def _check_options(self):
        check_choice("model", self.model, ("hybrid", "model_free", "model_based"))
        if self.eligibility is not None:
            check_real("eligibility", self.eligibility, low=0.0, high=1.0)
        if not isinstance(self.perseveration, (bool, np.bool_)):
            raise TypeError(f"perseveration must be a bool, got {self.perseveration!r}")
        check_real("p_common", self.p_common, low=0.5, high=1.0, low_inclusive=False,
                   high_inclusive=False)
        check_real("q0", self.q0)

    def _prepare(self, X, y, groups):
        self._check_options()
        x = _two_step_design(X)
        yy = _check_y(y, x.shape[0], 2)
        n = x.shape[0]
        return {"s2": x[:, 0].astype(np.int64), "b": x[:, 1].astype(np.int64), "r": x[:, 2],
                "y": yy, "starts": _session_starts(groups, n), "valid": np.ones(n, bool)}

    def _spec(self, data):
        self._check_options()
        spec = []
        if self.model != "model_based":
            spec.append(("alpha1", "logit", (0.1, 0.8)))
        spec.append(("alpha2", "logit", (0.1, 0.8)))
        if self.model != "model_based" and self.eligibility is None:
            spec.append(("eligibility", "logit", (0.2, 0.8)))
        spec += [("temperature1", "log", (0.1, 0.5)), ("temperature2", "log", (0.1, 0.5))]
        if self.perseveration:
            spec.append(("perseveration", "identity", (-0.05, 0.1)))
        if self.model == "hybrid":
            spec.append(("w", "logit", (0.2, 0.8)))
        return spec

    def _full(self, theta) -> dict[str, float]:
        """All seven parameters: the free ones from ``theta``, the others fixed by options."""
        free = dict(zip((s[0] for s in self._spec(None)), np.asarray(theta, float).tolist()))
        fixed = {"alpha1": 0.0, "eligibility": (0.0 if self.eligibility is None
                                                else float(self.eligibility)),
                 "perseveration": 0.0, "w": {"model_free": 0.0, "model_based": 1.0}.get(
                     self.model, 0.5)}
        return {name: free.get(name, fixed.get(name)) for name in _HYBRID}

    def _learn(self, par: dict, data: dict) -> dict[str, np.ndarray]:
        """Values before each trial: ``q2`` (trial, state, action), ``q1``, ``qmb``, ``u``."""
        s2, b, r, y, starts = data["s2"], data["b"], data["r"], data["y"], data["starts"]
        n = y.size
        q2 = np.empty((n, 2, 2))
        for s in range(2):
            for a in range(2):
                q2[:, s, a] = _delta_rule_values(r, (s2 == s) & (b == a), par["alpha2"],
                                                 self.q0, starts)
        q2_chosen = q2[np.arange(n), s2, b]
        target = (1.0 - par["eligibility"]) * q2_chosen + par["eligibility"] * r
        q1 = np.stack([_delta_rule_values(target, y == a, par["alpha1"], self.q0, starts)
                       for a in range(2)], axis=1)
        best = q2.max(axis=2)  # (trial, state)
        pc = float(self.p_common)
        qmb = np.stack([pc * best[:, 0] + (1 - pc) * best[:, 1],
                        pc * best[:, 1] + (1 - pc) * best[:, 0]], axis=1)
        prev = np.r_[-1, y[:-1]]
        prev[starts] = -1
        repeat = (prev[:, None] == np.arange(2)[None, :]).astype(float)
        u = par["w"] * qmb + (1 - par["w"]) * q1 + par["perseveration"] * repeat
        return {"q2": q2, "q1": q1, "qmb": qmb, "u": u}

    def _trial_loglik(self, theta, data):
        par = self._full(theta)
        v = self._learn(par, data)
        n = data["y"].size
        z1 = v["u"] / par["temperature1"]
        ll1 = z1[np.arange(n), data["y"]] - logsumexp(z1, axis=1)
        z2 = v["q2"][np.arange(n), data["s2"]] / par["temperature2"]
        ll2 = z2[np.arange(n), data["b"]] - logsumexp(z2, axis=1)
        return ll1 + ll2

    def predict_proba(self, X, y, groups=None) -> np.ndarray:
        """First-stage choice probabilities given the past (``y`` = the first-stage actions)."""
        self._require_fit()
        data = self._prepare(self._check_input(X, reset=False), y, groups)
        par = self._full(self._theta_)
        return softmax_policy(self._learn(par, data)["u"], par["temperature1"])

    def simulate(self, n_trials: int, *, reward_probabilities=None, params: dict | None = None,
                 random_state=None) -> tuple[np.ndarray, np.ndarray]:
        """Simulate the agent on the task; returns ``(X, y)`` in the format of ``fit``.

        Parameters
        ----------
        n_trials : int
            Number of trials (one session).
        reward_probabilities : array_like, shape (n_trials, 2, 2), optional
            ``p[t, s, b]`` (default: :func:`two_step_reward_probabilities` drawn from
            ``random_state``).
        params : dict, optional
            Values of the free parameters (default: the fitted ones).
        random_state : None, int or numpy.random.Generator
        """
        self._check_options()
        theta = self._simulation_theta(params, None)
        par = self._full(theta)
        n_trials = check_int("n_trials", n_trials, low=1, high=MAX_SIZE)
        rng = as_generator(random_state)
        if reward_probabilities is None:
            p = two_step_reward_probabilities(n_trials, random_state=rng)
        else:
            p = check_finite_array("reward_probabilities", reward_probabilities)
            if p.shape != (n_trials, 2, 2) or np.any((p < 0) | (p > 1)):
                raise ValueError(f"reward_probabilities must be probabilities of shape "
                                 f"({n_trials}, 2, 2), got shape {p.shape}")
        pc = float(self.p_common)
        q1 = np.full(2, float(self.q0))
        q2 = np.full((2, 2), float(self.q0))
        X = np.zeros((n_trials, 3))
        y = np.zeros(n_trials, np.int64)
        prev = -1
        for t in range(n_trials):  # generative loop: trial t depends on t-1 (not a hot path)
            best = q2.max(axis=1)
            qmb = np.array([pc * best[0] + (1 - pc) * best[1], pc * best[1] + (1 - pc) * best[0]])
            u = par["w"] * qmb + (1 - par["w"]) * q1 + par["perseveration"] * (np.arange(2) == prev)
            a = int(rng.random() < softmax_policy(u, par["temperature1"])[1])
            s = a if rng.random() < pc else 1 - a
            c = int(rng.random() < softmax_policy(q2[s], par["temperature2"])[1])
            r = float(rng.random() < p[t, s, c])
            q1[a] += par["alpha1"] * ((1 - par["eligibility"]) * q2[s, c]
                                      + par["eligibility"] * r - q1[a])
            q2[s, c] += par["alpha2"] * (r - q2[s, c])
            X[t], y[t], prev = (s, c, r), a, a
        return X, y


def two_step_stay_probabilities(X, y, groups=None, *, p_common: float = 0.7) -> pd.DataFrame:
    """Probability of repeating the first-stage action after each outcome × transition.

    The classic signature of the two-step task: a model-free learner repeats rewarded actions
    whatever the transition (a main effect of reward), a model-based one repeats after a
    rewarded common or an unrewarded rare transition (a reward × transition interaction).

    Parameters
    ----------
    X, y, groups
        As :meth:`TwoStepChoiceModel.fit` (the first trial of each session has no previous
        trial and is not counted).
    p_common : float
        Probability of the common transition (action 0 -> state 0 is common when > 0.5).

    Returns
    -------
    pandas.DataFrame
        Index ``rewarded`` (False/True), columns ``common`` and ``rare``: stay probability
        after such a trial; ``attrs['n']`` holds the counts of trials behind each cell.
    """
    x = _two_step_design(X)
    yy = _check_y(y, x.shape[0], 2)
    check_real("p_common", p_common, low=0.5, high=1.0, low_inclusive=False,
               high_inclusive=False)
    starts = _session_starts(groups, yy.size)
    prev_ok = ~starts[1:]
    stay = (yy[1:] == yy[:-1])[prev_ok]
    common = (x[:-1, 0] == yy[:-1])[prev_ok]
    rewarded = (x[:-1, 2] > 0)[prev_ok]
    table = pd.DataFrame(index=pd.Index([False, True], name="rewarded"),
                         columns=["common", "rare"], dtype=float)
    counts = table.copy()
    for rew in (False, True):
        for col, com in (("common", True), ("rare", False)):
            sel = (rewarded == rew) & (common == com)
            counts.loc[rew, col] = sel.sum()
            table.loc[rew, col] = stay[sel].mean() if sel.any() else np.nan
    table.attrs["n"] = counts.astype(int).to_dict()
    return table


def two_step_values(model: TwoStepChoiceModel, X, y, groups=None, *, params: dict | None = None,
                    trial=None) -> xr.Dataset:
    """Per-trial learned soft and true values of a :class:`TwoStepChoiceModel`.

    Parameters
    ----------
    model : TwoStepChoiceModel
        A fitted model, or any model when ``params`` are given.
    X, y, groups
        The trials, as for ``model.fit`` (values before each trial's choice).
    params : dict, optional
        Values of the model's free parameters (default: the fitted ones), e.g. the generating
        parameters of a simulated agent.
    trial : array_like, optional
        Trial coordinate (default ``0..n_trials-1``).

    Returns
    -------
    xarray.Dataset
        Dims ``(trial, action)``: first-stage ``value_soft``, ``value_true``, ``value_max``,
        ``value_chosen``, ``policy_entropy`` (nats), ``policy`` and ``q_soft`` (the utilities
        ``u`` the softmax acts on), as :func:`~neuromop.values.bandit_values` with
        ``temperature1``; ``q_model_free``, ``q_model_based`` (trial, action); second-stage
        ``value_soft_stage2`` and ``value_true_stage2`` of the state reached (with
        ``temperature2``), ``state2``, ``action2``, ``reward`` and ``common`` (the transition
        was common). Value units are reward units. ``attrs``: the fitted parameters and
        provenance.
    """
    if not isinstance(model, TwoStepChoiceModel):
        raise TypeError(f"model must be a TwoStepChoiceModel, got {type(model).__name__}")
    if params is None:
        model._require_fit()
        data = model._prepare(model._check_input(X, reset=False), y, groups)
    else:
        data = model._prepare(_two_step_design(X), y, groups)
    par = model._full(model._simulation_theta(params, data))
    v = model._learn(par, data)
    n = data["y"].size
    sig = _signals_from_q(v["u"], par["temperature1"], data["y"])
    q2 = v["q2"][np.arange(n), data["s2"]]
    sig.update(q_model_free=v["q1"], q_model_based=v["qmb"],
               value_soft_stage2=soft_value(q2, par["temperature2"]),
               value_true_stage2=(softmax_policy(q2, par["temperature2"]) * q2).sum(axis=1),
               state2=data["s2"], action2=data["b"], reward=data["r"],
               common=data["s2"] == data["y"])
    attrs = provenance("neuromop.values.two_step_values", model=model.model,
                       p_common=float(model.p_common), **par)
    ds = _to_dataset(sig, n, trial, attrs)
    ds.attrs["value_units"] = "reward units"
    return ds


def two_step_pseudo_sampler(model: TwoStepChoiceModel, n_trials: int, *, signals=None):
    """Pseudo-sessions of a fitted two-step model, for ``compare_value_encodings(null="pseudo")``.

    Each call re-simulates a session of ``n_trials`` with the fitted parameters on newly drawn
    reward probabilities and returns its per-trial values: signals with the same slow learning
    dynamics as the recorded ones but unrelated to the recorded neurons.

    Parameters
    ----------
    model : TwoStepChoiceModel
        A fitted model.
    n_trials : int
        Trials of the recorded session.
    signals : dict, optional
        ``{"soft": name, "true": name}`` variables of :func:`two_step_values` (default
        ``value_soft`` and ``value_true``).

    Returns
    -------
    callable
        ``sampler(rng) -> {"soft": array, "true": array}``.
    """
    if not isinstance(model, TwoStepChoiceModel):
        raise TypeError(f"model must be a TwoStepChoiceModel, got {type(model).__name__}")
    model._require_fit()
    n_trials = check_int("n_trials", n_trials, low=2, high=MAX_SIZE)
    if signals is None:
        signals = {"soft": "value_soft", "true": "value_true"}
    if not isinstance(signals, Mapping) or set(signals) != {"soft", "true"}:
        raise ValueError(f"signals must be a dict with exactly the keys 'soft' and 'true', "
                         f"got {signals!r}")

    def sampler(rng):
        X, y = model.simulate(n_trials, random_state=rng)
        ds = two_step_values(model, X, y)
        return {key: ds[name].values for key, name in signals.items()}

    return sampler
