"""Controllers that do not learn: the free network, uniformly random actions, and the exact grid
solution of the cartpole acting on the continuous cartpole."""

from __future__ import annotations

import torch

from neuromop.control.fvi import sample_actions
from neuromop.envs.base import ModelBasedVectorEnv

__all__ = ["ExactCartpoleController", "FreeController", "RandomController"]


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


class ExactCartpoleController(_Baseline):
    """The exact grid solution of the cartpole acting on the continuous cartpole.

    ``pi(force | x)`` is the solution's own policy at the continuous state ``x``
    (:meth:`~neuromop.mdp.worlds.CartpoleSolution.action_probabilities`: the exact value
    interpolated at the one-step successors of every force, through MOP's softmax or R's
    epsilon-greedy rule), so a rollout of it in
    :class:`~neuromop.envs.ContinuousCartpoleEnv` is the policy a fitted controller of the same
    physics and discount should approach.

    Parameters
    ----------
    env : ContinuousCartpoleEnv
        The continuous cartpole; its physics (``env.params``) must be the solution's.
    solution : CartpoleSolution
        :func:`~neuromop.mdp.worlds.solve_cartpole_grid` of ``env.params`` (no half-arena
        noise: the continuous cartpole has none).
    """

    def __init__(self, env, solution) -> None:
        from neuromop.envs.cartpole import ContinuousCartpoleEnv
        from neuromop.mdp.worlds.cartpole import CartpoleSolution

        if not isinstance(env, ContinuousCartpoleEnv):
            raise TypeError(f"env must be a ContinuousCartpoleEnv, got {type(env).__name__}")
        if not isinstance(solution, CartpoleSolution):
            raise TypeError(f"solution must be a CartpoleSolution, got "
                            f"{type(solution).__name__}")
        if solution.grid.params != env.params:
            raise ValueError("solution was solved for other physics than env's (solution: "
                             f"{solution.grid.params}, env: {env.params})")
        super().__init__(env)
        self.solution = solution

    def action_probabilities(self, states):
        """``pi(force | x)`` of the exact solution, shape (B, K) (float32)."""
        probs = self.solution.action_probabilities(
            torch.as_tensor(states).detach().cpu().numpy().astype(float))
        return torch.as_tensor(probs, dtype=torch.float32)

    def __repr__(self) -> str:
        return (f"ExactCartpoleController(agent={self.solution.agent!r}, "
                f"grid={list(self.solution.grid.n_points)}, "
                f"gamma={self.solution.params['gamma']})")
