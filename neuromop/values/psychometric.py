"""Psychometric choice with lapses, a fitted contrast nonlinearity and learned history terms.

The model of two-alternative visual decisions (left/right, IBL-style) that behavioural papers
fit before any value analysis::

    P(right) = gamma_R + (1 - gamma_L - gamma_R) sigmoid(eta)
    eta      = w (c_R^p - c_L^p) + b + k_s (2 p_t - 1) + k_a a_t

- ``gamma_L``, ``gamma_R``: lapse rates (choices made whatever the stimulus), each in (0, 0.5);
- ``p``: contrast exponent (``c^p``; 0.4-0.5 for mice), fitted or fixed;
- ``p_t``: a block prior learned from the side that was *rewarded* (the stimulus side, revealed
  by feedback): ``p_{t+1} = p_t + alpha_s (c_t - p_t)``, ``p_0 = 0.5`` per session;
- ``a_t``: an **action kernel** -- an exponential trace of the subject's own past choices,
  ``a_{t+1} = a_t + alpha_a ((2 y_t - 1) - a_t)``, ``a_0 = 0`` per session (time constant
  ``1 / alpha_a`` trials; Findling et al. (2025) report that such a prior from past actions
  explains IBL mice better than one from past stimuli). ``k_a > 0`` repeats recent choices
  (perseveration), ``< 0`` alternates.

Given the observed choices and stimuli both traces are linear filters of known sequences, so the
likelihood is evaluated without a loop over trials (``scipy.signal.lfilter`` per session).
"""

from __future__ import annotations

import numpy as np
from scipy.special import expit

from neuromop._checks import check_choice, check_finite_array, check_real
from neuromop._random import as_generator
from neuromop._recursions import _delta_rule_values
from neuromop.values._choice_base import (
    _check_y,
    _ChoiceModel,
    _session_starts,
)

__all__ = ["PsychometricChoiceModel"]

_PRIORS = ("none", "stimulus", "action", "both")


class PsychometricChoiceModel(_ChoiceModel):
    """Two-alternative psychometric choice with lapses, contrast exponent and history terms.

    Parameters
    ----------
    prior : {"none", "stimulus", "action", "both"}
        History terms: a block prior learned from the rewarded side (``"stimulus"``), an action
        kernel over the subject's own past choices (``"action"``), both, or none (the static
        psychometric curve).
    lapses : bool
        Fit the lapse rates ``lapse_left`` and ``lapse_right`` (each in (0, 0.5)).
    contrast_power : float or None
        Exponent ``p`` of the contrast transform ``c^p``: fitted when None, fixed otherwise
        (> 0).
    n_restarts : int
        Random starts of the optimiser.
    random_state : None, int or numpy.random.Generator

    Notes
    -----
    ``X`` has shape (n_trials, 3): contrast on the left, contrast on the right (>= 0; 0 when the
    stimulus is on the other side) and the rewarded side (1 = right, 0 = left). ``y`` is 1 for a
    right choice, 0 for left. ``groups`` labels sessions (both traces restart at each label).
    Fitted ``params_``: ``contrast_weight`` ``w`` (log-odds per unit of ``c^p``), ``bias``
    (log-odds toward right), ``contrast_power`` (if fitted), ``lapse_left``, ``lapse_right``,
    ``stimulus_rate`` ``alpha_s`` and ``stimulus_weight`` ``k_s``, ``action_rate`` ``alpha_a``
    and ``action_weight`` ``k_a`` (as the options select).
    """

    sequential = True

    def __init__(self, *, prior: str = "action", lapses: bool = True,
                 contrast_power: float | None = None, n_restarts: int = 5, random_state=None):
        super().__init__(n_restarts=n_restarts, random_state=random_state)
        self.prior = prior
        self.lapses = lapses
        self.contrast_power = contrast_power

    def _n_options(self, data):
        return 2

    def _check_options(self):
        check_choice("prior", self.prior, _PRIORS)
        if not isinstance(self.lapses, (bool, np.bool_)):
            raise TypeError(f"lapses must be a bool, got {self.lapses!r}")
        if self.contrast_power is not None:
            check_real("contrast_power", self.contrast_power, low=0.0, low_inclusive=False,
                       high=10.0)

    def _prepare(self, X, y, groups):
        self._check_options()
        x = check_finite_array("X", X)
        if x.ndim != 2 or x.shape[1] != 3:
            raise ValueError("X must have shape (n_trials, 3) = [contrast left, contrast right, "
                             f"rewarded side (1 = right)], got {x.shape}")
        if np.any(x[:, :2] < 0):
            raise ValueError("the contrasts in X[:, 0] and X[:, 1] must be >= 0")
        if not np.all(np.isin(x[:, 2], (0.0, 1.0))):
            raise ValueError("X[:, 2] (rewarded side) must be 0 (left) or 1 (right), got values "
                             f"{np.unique(x[:, 2])[:5].tolist()}")
        n = x.shape[0]
        yy = _check_y(y, n, 2)
        return {"cl": x[:, 0], "cr": x[:, 1], "side": x[:, 2], "y": yy,
                "starts": _session_starts(groups, n), "valid": np.ones(n, bool)}

    def _spec(self, data):
        self._check_options()
        spec = [("contrast_weight", "identity", (1.0, 5.0)), ("bias", "identity", (-0.3, 0.3))]
        if self.contrast_power is None:
            spec.append(("contrast_power", "log", (0.3, 0.8)))
        if self.lapses:
            spec += [("lapse_left", "half_logit", (0.01, 0.1)),
                     ("lapse_right", "half_logit", (0.01, 0.1))]
        if self.prior in ("stimulus", "both"):
            spec += [("stimulus_rate", "logit", (0.05, 0.4)),
                     ("stimulus_weight", "identity", (0.0, 1.5))]
        if self.prior in ("action", "both"):
            spec += [("action_rate", "logit", (0.05, 0.4)),
                     ("action_weight", "identity", (0.0, 1.5))]
        return spec

    def _named(self, theta) -> dict[str, float]:
        par = dict(zip((s[0] for s in self._spec(None)), np.asarray(theta, float).tolist()))
        par.setdefault("contrast_power", self.contrast_power)
        return par

    def _traces(self, par: dict, data: dict) -> tuple[np.ndarray, np.ndarray]:
        """Block prior ``p_t`` and action trace ``a_t`` before each trial."""
        starts, n = data["starts"], data["y"].size
        every = np.ones(n, bool)
        p = (_delta_rule_values(data["side"], every, par["stimulus_rate"], 0.5, starts)
             if "stimulus_rate" in par else np.full(n, 0.5))
        a = (_delta_rule_values(2.0 * data["y"] - 1.0, every, par["action_rate"], 0.0, starts)
             if "action_rate" in par else np.zeros(n))
        return p, a

    def _eta(self, par: dict, data: dict) -> np.ndarray:
        """Log-odds of a right choice before the lapses."""
        p, a = self._traces(par, data)
        power = par["contrast_power"]
        return (par["contrast_weight"] * (data["cr"] ** power - data["cl"] ** power) + par["bias"]
                + par.get("stimulus_weight", 0.0) * (2.0 * p - 1.0)
                + par.get("action_weight", 0.0) * a)

    @staticmethod
    def _lapse(par: dict, eta):
        gl, gr = par.get("lapse_left", 0.0), par.get("lapse_right", 0.0)
        return gr + (1.0 - gl - gr) * expit(eta)

    def _p_right(self, par: dict, data: dict) -> np.ndarray:
        return self._lapse(par, self._eta(par, data))

    def _trial_loglik(self, theta, data):
        p1 = np.clip(self._p_right(self._named(theta), data), 1e-300, 1.0 - 1e-16)
        return np.where(data["y"] == 1, np.log(p1), np.log1p(-p1))

    def predict_proba(self, X, y, groups=None) -> np.ndarray:
        """``[P(left), P(right)]`` per trial given the past choices ``y`` (the action kernel)."""
        self._require_fit()
        data = self._prepare(self._check_input(X, reset=False), y, groups)
        p1 = self._p_right(self._named(self._theta_), data)
        return np.stack([1.0 - p1, p1], axis=1)

    def traces(self, X, y, groups=None) -> dict[str, np.ndarray]:
        """Fitted ``block_prior`` ``p_t`` and ``action_trace`` ``a_t`` before each trial."""
        self._require_fit()
        data = self._prepare(self._check_input(X, reset=False), y, groups)
        p, a = self._traces(self._named(self._theta_), data)
        return {"block_prior": p, "action_trace": a}

    def simulate(self, X, groups=None, *, params: dict | None = None,
                 random_state=None) -> np.ndarray:
        """Draw choices (1 = right) for the trials ``X``, trial by trial (the action kernel
        feeds on the simulated choices), from the fitted model or ``params``."""
        self._check_options()
        x = check_finite_array("X", X, ndim=2)
        data = self._prepare(x, np.zeros(x.shape[0], int), groups)
        par = self._named(self._simulation_theta(params, data))
        rng = as_generator(random_state)
        n = x.shape[0]
        y = np.zeros(n, np.int64)
        alpha_a = par.get("action_rate")
        if alpha_a is None:  # no dependence on own choices: one vectorised draw
            return (rng.random(n) < self._p_right(par, data)).astype(np.int64)
        # everything but the action term, then the trace fed by the drawn choices
        eta0 = self._eta(dict(par, action_weight=0.0), data)
        a = 0.0
        for t in range(n):  # generative loop (not a hot path)
            if data["starts"][t]:
                a = 0.0
            y[t] = int(rng.random() < self._lapse(par, eta0[t] + par["action_weight"] * a))
            a += alpha_a * ((2.0 * y[t] - 1.0) - a)
        return y
