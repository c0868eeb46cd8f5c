"""The R network: a reward-maximising (+1 per step alive) controller by hard-max fitted VI.

Target (DESIGN.md, the epsilon-greedy mix inside the backup)::

    Q(x, a) = 1 + gamma V(x'(x, a); theta_k)   if x'(x, a) is not terminal, else 0
    y(x)    = (1 - epsilon) max_a Q(x, a) + epsilon mean_a Q(x, a)

Behaviour is epsilon-greedy on ``Q``: the greedy action with probability ``1 - epsilon`` plus a
uniformly random one with probability ``epsilon``.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch

from neuromop._checks import check_probability
from neuromop.control.fvi import FittedValueController
from neuromop.envs.base import ModelBasedVectorEnv

__all__ = ["RewardController"]


class RewardController(FittedValueController):
    """Epsilon-greedy survival-reward controller (the R network).

    Parameters
    ----------
    env : ModelBasedVectorEnv
        Environment with a ``predict`` model.
    epsilon : float
        Exploration probability in ``[0, 1]``.
    hidden, gamma, learning_rate, optimizer, activation, chunk_size, random_state, initial_value
        See :class:`~neuromop.control.fvi.FittedValueController`.
    """

    def __init__(self, env: ModelBasedVectorEnv, *, epsilon: float = 0.05,
                 hidden: Sequence[int] = (128, 128), gamma: float = 0.9,
                 learning_rate: float = 1e-3, optimizer: str = "adam", activation: str = "tanh",
                 chunk_size: int = 4096, random_state: int = 0,
                 initial_value: float | None = None) -> None:
        self.epsilon = check_probability("epsilon", epsilon)
        super().__init__(env, hidden=hidden, gamma=gamma, learning_rate=learning_rate,
                         optimizer=optimizer, activation=activation, chunk_size=chunk_size,
                         random_state=random_state, initial_value=initial_value)

    def q_values(self, values, terminal):
        """``Q(x, a)`` (B, K) from successor values and terminal flags."""
        return torch.where(terminal, torch.zeros_like(values), 1.0 + self.gamma * values)

    def _probabilities_from_successors(self, values, terminal, reward):
        q = self.q_values(values, terminal)
        k = q.shape[-1]
        greedy = torch.nn.functional.one_hot(q.argmax(dim=-1), k).to(q.dtype)
        return (1.0 - self.epsilon) * greedy + self.epsilon / k

    def _target_from_successors(self, states, values, terminal, reward):
        """``(1 - eps) max_a Q + eps mean_a Q`` for each state."""
        q = self.q_values(values, terminal)
        return (1.0 - self.epsilon) * q.max(dim=-1).values + self.epsilon * q.mean(dim=-1)

    @property
    def label(self) -> str:
        """Short name with its exploration, e.g. ``"R eps=0.05"``."""
        return f"R eps={self.epsilon:g}"

    def __repr__(self) -> str:
        return (f"RewardController(epsilon={self.epsilon}, hidden={self.hidden}, "
                f"gamma={self.gamma})")
