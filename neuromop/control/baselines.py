"""Baseline controllers that do not learn: the free network and uniformly random actions."""

from __future__ import annotations

import torch

from neuromop.control.fvi import sample_actions
from neuromop.envs.base import ModelBasedVectorEnv

__all__ = ["FreeController", "RandomController"]


class _Baseline:
    def __init__(self, env: ModelBasedVectorEnv) -> None:
        if not isinstance(env, ModelBasedVectorEnv):
            raise TypeError(f"env must be a ModelBasedVectorEnv, got {type(env).__name__}")
        self.env = env
        self.history_: list[dict] = []

    def fit(self, **kwargs):
        """Nothing to learn; returns ``self`` (for a uniform interface)."""
        return self

    def act(self, states, generator=None):
        """Sample one action index per state (long, (B,))."""
        return sample_actions(self.action_probabilities(states), generator)


class FreeController(_Baseline):
    """The free (uncontrolled) network: always the all-zero candidate action.

    Raises ``ValueError`` if the environment's candidate set has no all-zero action.
    """

    def __init__(self, env: ModelBasedVectorEnv) -> None:
        super().__init__(env)
        zero = (env.candidate_actions == 0).all(dim=1).nonzero().flatten()
        if zero.numel() == 0:
            raise ValueError("env.candidate_actions must contain an all-zero action for "
                             "FreeController, got none")
        self.zero_index = int(zero[0])

    def action_probabilities(self, states):
        """One-hot on the zero action, shape (B, K)."""
        probs = torch.zeros(states.shape[0], self.env.n_candidates)
        probs[:, self.zero_index] = 1.0
        return probs

    def act(self, states, generator=None):
        return torch.full((states.shape[0],), self.zero_index, dtype=torch.long)

    def __repr__(self) -> str:
        return "FreeController()"


class RandomController(_Baseline):
    """Uniformly random candidate actions (maximal action entropy, no look-ahead)."""

    def action_probabilities(self, states):
        """Uniform, shape (B, K)."""
        k = self.env.n_candidates
        return torch.full((states.shape[0], k), 1.0 / k)

    def __repr__(self) -> str:
        return "RandomController()"
