"""Choice models whose policy comes from solving a :class:`neuromop.mdp.FiniteMDP`.

The likelihood of observed ``(state, action)`` pairs is ``sum_t ln pi_theta(a_t | s_t)`` where
``pi_theta`` is the optimal policy of an agent solved exactly on the world for parameters
``theta`` (one solve per likelihood evaluation; meant for tabular worlds of up to a few
thousand states). The MLE machinery (restarts, Hessian CIs, AIC/BIC, cross-validation,
:func:`~neuromop.values.choice_models.compare_models`) is shared with
:mod:`neuromop.values.choice_models`.

Agents
------
``"maxent"``
    Soft-Q agent with the extrinsic reward, parameter ``temperature`` (reward units).
``"mop"``
    Maximum Occupancy agent (no extrinsic reward) with ``alpha = 1`` and the state-entropy
    weight ``beta``. Only the ratio ``beta / alpha`` shapes a MOP policy (scaling both scales
    ``V`` and leaves ``pi`` unchanged), so ``alpha`` is fixed and ``beta`` means ``beta / alpha``.
"""

from __future__ import annotations

import numpy as np

from neuromop._checks import as_array, check_choice, check_finite_array, check_real
from neuromop._random import as_generator
from neuromop.mdp.model import FiniteMDP
from neuromop.mdp.solvers import solve_maxent, solve_mop
from neuromop.values.choice_models import _check_y, _ChoiceModel

__all__ = ["MDPChoiceModel"]


class MDPChoiceModel(_ChoiceModel):
    """Maximum-likelihood fit of a MaxEnt or MOP agent's parameters to state-action choices.

    Parameters
    ----------
    mdp : neuromop.mdp.FiniteMDP
        The world the choices were made in.
    agent : {"maxent", "mop"}
        Which agent generates the policy.
    reward : array_like, optional
        Extrinsic reward for ``"maxent"`` (default ``mdp.reward``).
    gamma : float
        Discount factor in [0, 1).
    n_restarts, random_state
        Optimiser restarts and seed.

    Notes
    -----
    ``X`` is the array of visited states (n_trials,), ``y`` the actions taken there.
    """

    _X_dtype = "numeric"  # integer state indices stay integers
    _X_allows_1d = True

    def __init__(self, mdp=None, *, agent: str = "maxent", reward=None, gamma: float = 0.9,
                 n_restarts: int = 3, random_state=None):
        super().__init__(n_restarts=n_restarts, random_state=random_state)
        self.mdp = mdp
        self.agent = agent
        self.reward = reward
        self.gamma = gamma

    def _check_self(self):

        if not isinstance(self.mdp, FiniteMDP):
            raise TypeError(f"mdp must be a neuromop.mdp.FiniteMDP, got {type(self.mdp).__name__}")
        check_choice("agent", self.agent, ("maxent", "mop"))
        check_real("gamma", self.gamma, low=0.0, high=1.0, high_inclusive=False)
        if self.agent == "maxent" and self.reward is None and self.mdp.reward is None:
            raise ValueError("agent='maxent' needs an extrinsic reward: pass reward= or use an "
                             "MDP with a reward")

    def _n_options(self, data):
        return self.mdp.n_actions

    def _states(self, X) -> np.ndarray:
        s = as_array("X", X)
        if s.ndim == 2 and s.shape[1] == 1:
            s = s[:, 0]
        if s.ndim != 1 or s.dtype.kind not in "iu":
            raise ValueError(f"X must be a 1-d array of integer state indices, got shape {s.shape} "
                             f"and dtype {s.dtype}")
        if np.any((s < 0) | (s >= self.mdp.n_states)):
            raise ValueError(f"X must hold state indices in [0, {self.mdp.n_states})")
        return s

    def _prepare(self, X, y, groups):
        self._check_self()
        s = self._states(X)
        a = _check_y(y, s.size, self.mdp.n_actions)
        if not np.all(self.mdp.action_mask[s, a]):
            bad = int(np.flatnonzero(~self.mdp.action_mask[s, a])[0])
            raise ValueError(f"y[{bad}] = {a[bad]} is not admissible in state {s[bad]}")
        valid = ~self.mdp.terminal[s]
        return {"s": s, "y": a, "valid": valid}

    def _spec(self, data):
        if self.agent == "maxent":
            scale = float(np.nanstd(self._reward_array()) or 1.0)
            return [("temperature", "log", (0.1 * scale, 2.0 * scale))]
        return [("beta", "log", (0.05, 2.0))]

    def _reward_array(self):
        if self.reward is None:
            return np.asarray(self.mdp.reward, float)
        return check_finite_array("reward", self.reward)

    def policy(self, theta) -> np.ndarray:
        """Policy (S, A) of the agent for natural parameters ``theta``."""

        if self.agent == "maxent":
            res = solve_maxent(self.mdp, temperature=float(theta[0]), reward=self._reward_array(),
                               gamma=self.gamma, tol=1e-9)
        else:
            res = solve_mop(self.mdp, alpha=1.0, beta=float(theta[0]), gamma=self.gamma, tol=1e-9)
        return res.policy

    def _trial_loglik(self, theta, data):
        pi = self.policy(theta)
        with np.errstate(divide="ignore"):
            return np.log(pi[data["s"], data["y"]])

    def predict_proba(self, X) -> np.ndarray:
        """Action probabilities in the visited states, shape (n_trials, n_actions)."""
        self._require_fit()
        self._check_self()
        s = self._states(self._check_input(X, reset=False))
        return self.policy(self._theta_)[s]

    def simulate(self, states, params: dict, random_state=None) -> np.ndarray:
        """Draw actions in ``states`` from the agent with natural ``params``."""
        self._check_self()
        if params is None:
            raise TypeError("params must be a dict of the agent's parameters, got None")
        s = as_array("states", states)
        if s.dtype.kind not in "iu" or np.any((s < 0) | (s >= self.mdp.n_states)):
            raise ValueError(f"states must be state indices in [0, {self.mdp.n_states})")
        pi = self.policy(self._simulation_theta(params, None))[s]
        rng = as_generator(random_state)
        return (rng.random(pi.shape[0])[:, None] > np.cumsum(pi, axis=1)).sum(axis=1)
