"""A two-alternative choice model that learns the block prior from which side was rewarded.

In tasks with a hidden, block-wise prior over the correct side (the IBL "biased blocks": the
stimulus appears on one side with probability 0.8 for tens of trials), the subject can track that
prior from the feedback: after each trial the side that *was* rewarded (the correct side, revealed
by the feedback whatever was chosen) updates a running estimate

    p_{t+1} = p_t + alpha (c_t - p_t),        p_0 = p0 at the start of every session,

of ``P(correct side = option 1)``, where ``c_t`` is 1 when option 1 was the rewarded side. The
choice is a logistic of the sensory evidence plus a prior-dependent bias,

    P(y_t = 1) = sigmoid( sum_j w_j f_{t j} + b + k (2 p_t - 1) ),

with evidence features ``f`` signed toward option 1. ``alpha -> 0`` (or ``k = 0``) is the static
psychometric model; ``alpha = 1`` is "repeat the last rewarded side". Because ``c_t`` does not
depend on the subject's choice, ``p_t`` is a linear filter of an exogenous sequence and the whole
likelihood is vectorised (``scipy.signal.lfilter`` per session, no loop over trials).
"""

from __future__ import annotations

import numpy as np
from scipy.signal import lfilter
from scipy.special import expit, log_expit

from neuromop._checks import check_finite_array, check_real
from neuromop._random import as_generator
from neuromop.values._choice_base import _check_y, _ChoiceModel, _session_starts

__all__ = ["PriorLearningChoiceModel"]


class PriorLearningChoiceModel(_ChoiceModel):
    """Logistic choice with a block prior learned from the rewarded side (two alternatives).

    Fitted parameters: ``alpha`` (prior learning rate, (0, 1)), ``prior_weight`` ``k`` (log-odds
    per unit of ``2 p - 1``), ``weight_j`` per evidence feature (log-odds per feature unit) and
    ``bias`` (log-odds toward option 1) when ``bias=True``.

    Parameters
    ----------
    bias : bool
        Fit a constant bias ``b``.
    p0 : float
        Prior estimate at the start of each session, in (0, 1).
    n_restarts, random_state
        Optimiser restarts and seed.

    Notes
    -----
    ``X`` has shape (n_trials, 1 + n_features): column 0 is 1 when option 1 was the rewarded
    (correct) side of the trial and 0 otherwise; the other columns are evidence features signed
    toward option 1 (e.g. a transform of right minus left contrast). ``y`` is 0/1. ``groups`` are
    session labels: the prior restarts at ``p0`` at each new label.
    """

    sequential = True

    def __init__(self, *, bias: bool = True, p0: float = 0.5, n_restarts: int = 5,
                 random_state=None):
        super().__init__(n_restarts=n_restarts, random_state=random_state)
        self.bias = bias
        self.p0 = p0

    def _n_options(self, data):
        return 2

    def _prepare(self, X, y, groups):
        check_real("p0", self.p0, low=0.0, high=1.0, low_inclusive=False, high_inclusive=False)
        x = check_finite_array("X", X)
        if x.ndim != 2 or x.shape[1] < 1:
            raise ValueError(f"X must have shape (n_trials, 1 + n_features) = [rewarded side "
                             f"(0/1), evidence features...], got {x.shape}")
        if not np.all((x[:, 0] == 0) | (x[:, 0] == 1)):
            raise ValueError("X[:, 0] (rewarded side) must be 0 or 1, got values "
                             f"{np.unique(x[:, 0])[:5].tolist()}")
        n = x.shape[0]
        yy = _check_y(y, n, 2)
        starts = _session_starts(groups, n)
        feats = x[:, 1:]
        if feats.shape[1] and np.any(np.ptp(feats, axis=0) == 0):
            raise ValueError("an evidence column of X is constant: its weight is not identifiable")
        return {"c": x[:, 0], "f": feats, "y": yy, "starts": starts, "valid": np.ones(n, bool)}

    def _spec(self, data):
        n_feat = 0 if data is None else data["f"].shape[1]
        spec = [("alpha", "logit", (0.02, 0.4)), ("prior_weight", "identity", (0.0, 2.0))]
        spec += [(f"weight_{j}", "identity", (0.5, 3.0)) for j in range(n_feat)]
        if self.bias:
            spec.append(("bias", "identity", (-0.3, 0.3)))
        return spec

    def _prior(self, alpha: float, data: dict) -> np.ndarray:
        """Estimate ``p_t`` of P(rewarded side = 1) before each trial, shape (n_trials,)."""
        c, starts = data["c"], data["starts"]
        bounds = np.r_[np.flatnonzero(starts), c.size]
        p = np.empty(c.size)
        for lo, hi in zip(bounds[:-1], bounds[1:]):  # one filter per session
            after, _ = lfilter([alpha], [1.0, -(1.0 - alpha)], c[lo:hi],
                               zi=[(1.0 - alpha) * self.p0])
            p[lo] = self.p0
            p[lo + 1:hi] = after[:-1]
        return p

    def _decision(self, theta, data):
        n_feat = data["f"].shape[1]
        p = self._prior(theta[0], data)
        x = theta[1] * (2.0 * p - 1.0) + data["f"] @ theta[2:2 + n_feat]
        if self.bias:
            x = x + theta[2 + n_feat]
        return x

    def _trial_loglik(self, theta, data):
        x = self._decision(theta, data)
        return np.where(data["y"] == 1, log_expit(x), log_expit(-x))

    def predict_proba(self, X, groups=None) -> np.ndarray:
        """``[P(0), P(1)]`` per trial (the prior does not depend on the choices)."""
        self._require_fit()
        x = self._check_input(X, reset=False)
        p1 = expit(self._decision(self._theta_, self._prepare(x, np.zeros(x.shape[0], int),
                                                              groups)))
        return np.stack([1 - p1, p1], axis=1)

    def prior(self, X, groups=None) -> np.ndarray:
        """Fitted prior estimate ``p_t`` before each trial, shape (n_trials,)."""
        self._require_fit()
        x = self._check_input(X, reset=False)
        return self._prior(self._theta_[0], self._prepare(x, np.zeros(x.shape[0], int), groups))

    def simulate(self, X, groups=None, random_state=None, params: dict | None = None):
        """Draw 0/1 choices for the trials ``X`` from the fitted model or from ``params``."""
        x = check_finite_array("X", X, ndim=2)
        data = self._prepare(x, np.zeros(x.shape[0], int), groups)
        theta = self._simulation_theta(params, data)
        p1 = expit(self._decision(theta, data))
        return (as_generator(random_state).random(p1.size) < p1).astype(np.int64)
