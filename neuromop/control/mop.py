"""NeuroMOP: a maximum-occupancy controller of a model-based environment by fitted value iteration.

The controller learns ``V(x; theta)`` with (Mastrogiuseppe & Moreno-Bote 2024; DESIGN.md)::

    y(x) = alpha * ln sum_a exp( (gamma V(x'(x, a); theta_k) + beta H + mu r(x'(x, a))) / alpha )

over the candidate actions ``a`` of the environment, with ``V = 0`` for terminal successors,
``H = H(S' | x, a)`` the entropy of the transition (``env.transition_entropy``; a constant
``env.noise_entropy`` unless the noise is state dependent) and ``r`` the extrinsic reward
(``env.extrinsic_reward``). ``theta_{k+1} = argmin sum_x (V(x; theta) - y(x))^2`` over visited
states, with ``theta_k`` frozen during iteration ``k``. The policy is

    pi(a | x) ∝ exp( (gamma V(x'(x, a)) + beta H(x, a) + mu r(x'(x, a))) / alpha ).

With ``alpha = 1, beta = mu = 0`` this is exactly ``y = ln sum_a exp(gamma V(x'))``.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch

from neuromop._checks import check_real
from neuromop.control.fvi import FittedValueController
from neuromop.envs.base import ModelBasedVectorEnv

__all__ = ["NeuroMOPController"]


class NeuroMOPController(FittedValueController):
    """Maximum Occupancy Principle controller (soft fitted value iteration).

    Parameters
    ----------
    env : ModelBasedVectorEnv
        Environment with a ``predict`` model.
    hidden : sequence of int
        Hidden widths of the value network.
    gamma : float
        Discount factor in ``[0, 1)``.
    alpha : float
        Weight of action entropy (temperature, > 0).
    beta : float
        Weight of state (transition-noise) entropy, ``>= 0``.
    mu : float
        Weight of the extrinsic reward.
    learning_rate, optimizer, activation, chunk_size, random_state, initial_value
        See :class:`~neuromop.control.fvi.FittedValueController`.
    """

    def __init__(self, env: ModelBasedVectorEnv, *, hidden: Sequence[int] = (128, 128),
                 gamma: float = 0.9, alpha: float = 1.0, beta: float = 0.0, mu: float = 0.0,
                 learning_rate: float = 1e-3, optimizer: str = "adam", activation: str = "tanh",
                 chunk_size: int = 4096, random_state: int = 0,
                 initial_value: float | None = None) -> None:
        self.alpha = check_real("alpha", alpha, low=0.0, low_inclusive=False)
        self.beta = check_real("beta", beta, low=0.0)
        self.mu = check_real("mu", mu)
        super().__init__(env, hidden=hidden, gamma=gamma, learning_rate=learning_rate,
                         optimizer=optimizer, activation=activation, chunk_size=chunk_size,
                         random_state=random_state, initial_value=initial_value)

    def _value_scale(self) -> float:
        # value of a safe state: (alpha ln K + beta H) / (1 - gamma)
        per_step = self.alpha * torch.log(torch.tensor(float(self.env.n_candidates))).item()
        per_step += self.beta * self.env.noise_entropy
        return max(abs(per_step), 1.0) / (1.0 - self.gamma)

    def _logits(self, states, values, reward):
        logits = (self.gamma * values + self.mu * reward) / self.alpha
        if self.beta:
            ent = torch.cat([self.env.transition_entropy(states[i:i + self.chunk_size])
                             for i in range(0, states.shape[0], self.chunk_size)])
            logits = logits + self.beta * ent / self.alpha
        return logits

    def action_probabilities(self, states):
        """``pi(a|x)``: softmax over candidates of ``(gamma V(x') + beta H + mu r) / alpha``."""
        values, _, reward = self.successor_values(states)
        return torch.softmax(self._logits(states, values, reward), dim=-1)

    def _target_from_successors(self, states, values, terminal, reward):
        """``alpha ln sum_a exp((gamma V(x') + beta H + mu r(x')) / alpha)`` for each state."""
        return self.alpha * torch.logsumexp(self._logits(states, values, reward), dim=-1)

    @property
    def label(self) -> str:
        """Short name with the parameters that set the behaviour, e.g. ``"MOP beta=0.02"``
        (alpha and mu only when they differ from 1 and 0)."""
        out = f"MOP beta={self.beta:g}"
        if self.alpha != 1.0:
            out += f" alpha={self.alpha:g}"
        if self.mu:
            out += f" mu={self.mu:g}"
        return out

    def __repr__(self) -> str:
        return (f"NeuroMOPController(hidden={self.hidden}, gamma={self.gamma}, alpha={self.alpha}, "
                f"beta={self.beta}, mu={self.mu})")
