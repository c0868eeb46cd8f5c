"""The interface between model-based environments (:mod:`neuromop.envs`) and controllers.

A *model-based vector environment* is a batched torch environment that, besides the Gymnasium
``reset``/``step`` API, exposes its one-step world model through
:meth:`~ModelBasedVectorEnv.predict`: the next states of a batch of states under **all** ``K``
candidate actions at once. Controllers in
:mod:`neuromop.control` (NeuroMOP fitted value iteration, the R network, free and random baselines)
only use the members defined here, so any environment that subclasses
:class:`ModelBasedVectorEnv` (the rate RNN, a learned one-step model of a spiking network, the
continuous cartpole, ...) can be controlled by them.

State convention
----------------
A state is a flat float tensor of length ``state_dim`` holding the *full Markov state*: the neural
(or physical) variables first, followed by any auxiliaries that terminal sets need (e.g. a
context one-hot, a running energy). :meth:`~ModelBasedVectorEnv.activity` extracts the neural part
and :meth:`~ModelBasedVectorEnv.state_variables` names the auxiliaries for rollouts.

Autoreset
---------
:meth:`~ModelBasedVectorEnv.step` follows the ``gymnasium.vector`` *next-step* autoreset mode: the
step on which an environment terminates (or is truncated) returns the terminal observation itself
(``terminated=True``); on the *next* call to ``step`` that environment ignores its action, is reset
to a fresh initial state, and returns ``reward=0``, ``terminated=truncated=False``. The boolean
mask of environments reset in a call is ``info["autoreset"]``; ``info["final_obs"]`` holds, for
environments that finished on this call, their terminal observation (equal to ``obs``), with the
mask ``info["_final_obs"]``; ``info["episode_length"]`` the number of steps taken in the current
episode.
"""

from __future__ import annotations

import abc
from collections.abc import Mapping
from typing import Any

import numpy as np

from neuromop._checks import MAX_SIZE, as_array, check_int
from neuromop._random import torch_generator

__all__ = ["ModelBasedVectorEnv", "as_gymnasium_env"]


def as_tensor(name: str, value: object, dtype=None):
    """``value`` as a torch tensor, or ``TypeError`` naming the argument when it is not
    array-like (``None``, objects, text, ragged lists)."""
    import torch

    if isinstance(value, torch.Tensor):
        return value if dtype is None else value.to(dtype)
    arr = as_array(name, value)
    if arr.dtype.kind not in "biuf":
        raise TypeError(f"{name} must be a tensor or array of numbers, got dtype {arr.dtype}")
    return torch.as_tensor(arr, dtype=dtype)


class ModelBasedVectorEnv(abc.ABC):
    """Abstract batched torch environment with an explicit one-step model.

    Subclasses call ``super().__init__`` with the sizes and the candidate action set and implement
    :meth:`initial_states`, :meth:`predict` and :meth:`is_terminal`; they may override
    :meth:`extrinsic_reward`, :meth:`transition`, :meth:`activity`, :meth:`state_variables` and
    :attr:`noise_entropy`.

    Parameters
    ----------
    num_envs : int
        Number of environments (agents) stepped in parallel.
    state_dim : int
        Length of the full Markov state vector.
    candidate_actions : torch.Tensor, shape (K, action_dim)
        The discrete set of actions (e.g. input-current vectors) controllers choose from.
    max_episode_steps : int, optional
        Truncation horizon of :meth:`step` in steps; ``None`` means episodes end only on
        termination.

    Attributes
    ----------
    num_envs, state_dim : int
    action_dim : int
        Length of one candidate action vector.
    n_candidates : int
        ``K``, the number of candidate actions.
    candidate_actions : torch.Tensor
    states : torch.Tensor, shape (num_envs, state_dim)
        Current states (after :meth:`reset`).
    """

    #: Differential entropy (nats) of the transition noise p(s'|s,a), the same for every (s, a);
    #: 0 for deterministic dynamics. Used by the beta (state-entropy) term of MOP controllers.
    noise_entropy: float = 0.0

    def __init__(self, num_envs: int, state_dim: int, candidate_actions, *,
                 max_episode_steps: int | None = None) -> None:
        import torch

        self.num_envs = check_int("num_envs", num_envs, low=1, high=MAX_SIZE)
        self.state_dim = check_int("state_dim", state_dim, low=1, high=MAX_SIZE)
        cand = as_tensor("candidate_actions", candidate_actions, torch.float32)
        if cand.ndim != 2 or cand.shape[0] < 1:
            raise ValueError(
                "candidate_actions must have shape (K, action_dim) with K >= 1, "
                f"got {tuple(cand.shape)}"
            )
        if not bool(torch.isfinite(cand).all()):
            raise ValueError("candidate_actions must be finite, got NaN/inf values")
        self.candidate_actions = cand
        self.n_candidates = int(cand.shape[0])
        self.action_dim = int(cand.shape[1])
        self.max_episode_steps = (
            None if max_episode_steps is None
            else check_int("max_episode_steps", max_episode_steps, low=1, high=MAX_SIZE)
        )
        self.states = None
        self._needs_reset = None
        self._elapsed = None
        self._generator = None

    # ------------------------------------------------------------------ model (subclasses)
    @abc.abstractmethod
    def initial_states(self, n: int, generator) -> Any:
        """Return ``n`` initial states, shape ``(n, state_dim)``, drawn with ``generator``."""

    @abc.abstractmethod
    def predict(self, states, action_index=None, *, generator=None):
        """Next states of ``states`` under candidate actions.

        Parameters
        ----------
        states : torch.Tensor, shape (B, state_dim)
        action_index : torch.Tensor of long, optional
            ``None``: all ``K`` candidates, result ``(B, K, state_dim)``. Shape ``(B,)``: one action
            per state, result ``(B, state_dim)``. Shape ``(B, J)``: ``J`` actions per state, result
            ``(B, J, state_dim)``.
        generator : torch.Generator, optional
            ``None`` gives the noise-free mean next state; a generator adds the private transition
            noise drawn from it.

        Notes
        -----
        Implementations must compute the action-independent part of the dynamics (e.g. ``W x``)
        once per state and broadcast the ``K`` candidate inputs, never ``K`` copies of it.
        """

    @abc.abstractmethod
    def is_terminal(self, states):
        """Boolean tensor of shape ``states.shape[:-1]``: whether each state is terminal."""

    def uniform_states(self, n: int, generator):
        """``n`` states drawn uniformly from the env's bounded state space (non-terminal ones
        only, so possibly fewer), shape ``(<= n, state_dim)``, for fitted value iteration's
        coverage of states no agent visits (:func:`~neuromop.control.train`'s
        ``coverage_states``). Envs whose state space has no natural bounded box do not
        define it."""
        raise NotImplementedError(f"{type(self).__name__} has no bounded state space to draw "
                                  "uniform states from")

    def extrinsic_reward(self, states):
        """Extrinsic reward of arriving in ``states``, shape ``states.shape[:-1]`` (default 0)."""
        import torch

        return torch.zeros(states.shape[:-1], dtype=states.dtype, device=states.device)

    def transition_entropy(self, states):
        """Entropy (nats) of p(s' | s, a) for every candidate action, shape (B, K).

        Default: the constant :attr:`noise_entropy`. Environments whose noise is shaped by the
        state (e.g. noise passed through a saturating nonlinearity) override this.
        """
        import torch

        return torch.full((states.shape[0], self.n_candidates), float(self.noise_entropy))

    def transition(self, states, action_index, generator):
        """Sample the next states of a real step (default: :meth:`predict` with noise)."""
        return self.predict(states, action_index, generator=generator)

    def activity(self, states):
        """The neural (or physical) part of ``states``, shape ``(..., n_units)`` (default: all)."""
        return states

    @property
    def time_unit(self) -> str:
        """Unit of ``dt`` and of a rollout's ``time``: ``"s"`` for an env with a ``dt`` (the
        cartpole's physics step), ``"steps"`` for one without; the rate RNN overrides it."""
        return "s" if hasattr(self, "dt") else "steps"

    def state_variables(self, states) -> dict[str, Any]:
        """Named auxiliary quantities of ``states`` for rollouts (e.g. ``energy``, ``readout``).

        Returns a dict of tensors with leading shape ``states.shape[:-1]``; empty by default.
        """
        return {}

    # ------------------------------------------------------------------ gymnasium-style API
    def reset(self, *, seed: int | None = None, options: dict | None = None):
        """Reset all environments.

        Parameters
        ----------
        seed : int, optional
            Seeds the environment's torch generator (initial states and transition noise).
        options : dict, optional
            ``{"states": tensor (num_envs, state_dim)}`` starts from the given states instead of
            sampling them.

        Returns
        -------
        states : torch.Tensor, shape (num_envs, state_dim)
        info : dict
        """
        import torch

        if seed is not None or self._generator is None:
            self._generator = torch_generator(seed, name="seed")
        if options is not None and not isinstance(options, Mapping):
            raise TypeError(f"options must be a dict or None, got {type(options).__name__}")
        options = {} if options is None else dict(options)
        unknown = set(options) - {"states"}
        if unknown:
            raise ValueError(f"options may only contain 'states', got keys {sorted(unknown)}")
        if "states" in options:
            states = as_tensor("options['states']", options["states"], torch.float32).clone()
            if tuple(states.shape) != (self.num_envs, self.state_dim):
                raise ValueError(
                    f"options['states'] must have shape {(self.num_envs, self.state_dim)}, "
                    f"got {tuple(states.shape)}"
                )
        else:
            states = self.initial_states(self.num_envs, self._generator)
        self.states = states
        self._needs_reset = torch.zeros(self.num_envs, dtype=torch.bool)
        self._elapsed = torch.zeros(self.num_envs, dtype=torch.long)
        return states.clone(), {"episode_length": self._elapsed.clone()}

    def step(self, action_index):
        """Advance every environment by one step (next-step autoreset; see module docstring).

        Parameters
        ----------
        action_index : torch.Tensor of long, shape (num_envs,)
            Index into ``candidate_actions`` for each environment.

        Returns
        -------
        obs : torch.Tensor, shape (num_envs, state_dim)
        reward : torch.Tensor, shape (num_envs,)
            :meth:`extrinsic_reward` of the new states (0 for environments being reset).
        terminated, truncated : torch.Tensor of bool, shape (num_envs,)
        info : dict
        """
        import torch

        if self.states is None:
            raise RuntimeError("call reset() before step()")
        action_index = self._check_action_index(action_index)
        nxt = self.transition(self.states, action_index, self._generator)
        reward = self.extrinsic_reward(nxt)
        terminated = self.is_terminal(nxt)
        self._elapsed = self._elapsed + 1
        if self.max_episode_steps is None:
            truncated = torch.zeros(self.num_envs, dtype=torch.bool)
        else:
            truncated = (self._elapsed >= self.max_episode_steps) & ~terminated
        resetting = self._needs_reset
        if bool(resetting.any()):
            n = int(resetting.sum())
            nxt[resetting] = self.initial_states(n, self._generator)
            reward[resetting] = 0.0
            terminated[resetting] = False
            truncated[resetting] = False
            self._elapsed[resetting] = 0
        finished = terminated | truncated
        self.states = nxt
        self._needs_reset = finished.clone()
        info = {
            "autoreset": resetting.clone(),
            "final_obs": nxt.clone(),
            "_final_obs": finished.clone(),
            "episode_length": self._elapsed.clone(),
        }
        return nxt.clone(), reward, terminated, truncated, info

    @property
    def elapsed_steps(self):
        """Long tensor (num_envs,): steps taken in each environment's current episode."""
        if self._elapsed is None:
            raise RuntimeError("call reset() first")
        return self._elapsed.clone()

    @property
    def pending_reset(self):
        """Bool mask (num_envs,): environments whose next :meth:`step` resets them."""
        if self._needs_reset is None:
            raise RuntimeError("call reset() first")
        return self._needs_reset.clone()

    def get_state(self) -> dict:
        """Snapshot of the dynamic state (states, RNG, episode counters) for checkpoints."""
        if self.states is None:
            raise RuntimeError("call reset() before get_state()")
        return {"states": self.states.clone(), "needs_reset": self._needs_reset.clone(),
                "elapsed": self._elapsed.clone(), "rng": self._generator.get_state()}

    def set_state(self, state: dict) -> None:
        """Restore a snapshot taken by :meth:`get_state`."""
        import torch

        states = torch.as_tensor(state["states"], dtype=torch.float32)
        if tuple(states.shape) != (self.num_envs, self.state_dim):
            raise ValueError(f"state['states'] must have shape {(self.num_envs, self.state_dim)}, "
                             f"got {tuple(states.shape)}")
        if self._generator is None:
            self._generator = torch.Generator()
        self._generator.set_state(state["rng"])
        self.states = states.clone()
        self._needs_reset = state["needs_reset"].clone()
        self._elapsed = state["elapsed"].clone()

    def _check_action_index(self, action_index):
        import torch

        idx = as_tensor("action_index", action_index)
        if idx.dtype not in (torch.int64, torch.int32, torch.int16, torch.int8, torch.uint8):
            raise TypeError(f"action_index must be an integer tensor, got dtype {idx.dtype}")
        if tuple(idx.shape) != (self.num_envs,):
            raise ValueError(
                f"action_index must have shape ({self.num_envs},), got {tuple(idx.shape)}"
            )
        if idx.numel() and (int(idx.min()) < 0 or int(idx.max()) >= self.n_candidates):
            raise ValueError(
                f"action_index must lie in [0, {self.n_candidates - 1}], "
                f"got values in [{int(idx.min())}, {int(idx.max())}]"
            )
        return idx.long()

    def _check_states(self, states, name: str = "states"):
        """Return ``states`` as a float tensor of shape (B, state_dim), or raise."""
        import torch

        if isinstance(states, np.ndarray):
            states = torch.from_numpy(states)
        if not isinstance(states, torch.Tensor):
            raise TypeError(f"{name} must be a torch.Tensor, got {type(states).__name__}")
        if states.ndim != 2 or states.shape[-1] != self.state_dim:
            raise ValueError(
                f"{name} must have shape (B, {self.state_dim}), got {tuple(states.shape)}"
            )
        return states.to(torch.float32)

    def _check_predict_index(self, states, action_index):
        """Validate the ``action_index`` argument of :meth:`predict` (None, (B,) or (B, J))."""
        import torch

        if action_index is None:
            return None
        idx = as_tensor("action_index", action_index)
        if idx.dtype.is_floating_point or idx.dtype == torch.bool:
            raise TypeError(f"action_index must be an integer tensor, got dtype {idx.dtype}")
        if idx.ndim not in (1, 2) or idx.shape[0] != states.shape[0]:
            raise ValueError(
                f"action_index must have shape (B,) or (B, J) with B={states.shape[0]}, "
                f"got {tuple(idx.shape)}"
            )
        if idx.numel() and (int(idx.min()) < 0 or int(idx.max()) >= self.n_candidates):
            raise ValueError(f"action_index must lie in [0, {self.n_candidates - 1}]")
        return idx.long()


def as_gymnasium_env(env: ModelBasedVectorEnv):
    """Wrap a one-environment :class:`ModelBasedVectorEnv` as a single ``gymnasium.Env``.

    Observations are float32 numpy vectors of length ``state_dim``; the action space is
    ``Discrete(K)`` (indices into ``candidate_actions``). Episodes end on termination or
    truncation; the caller resets (standard single-environment Gymnasium semantics).

    Parameters
    ----------
    env : ModelBasedVectorEnv
        An environment with ``num_envs == 1``.
    """
    import gymnasium
    import numpy as np
    import torch

    if not isinstance(env, ModelBasedVectorEnv):
        raise TypeError(f"env must be a ModelBasedVectorEnv, got {type(env).__name__}")
    if env.num_envs != 1:
        raise ValueError(f"env must have num_envs=1 for a single Gymnasium env, got {env.num_envs}")

    class _Single(gymnasium.Env):
        metadata = {"render_modes": []}

        def __init__(self) -> None:
            self.vector_env = env
            self.observation_space = gymnasium.spaces.Box(-np.inf, np.inf, (env.state_dim,),
                                                          dtype=np.float32)
            self.action_space = gymnasium.spaces.Discrete(env.n_candidates)

        def reset(self, *, seed=None, options=None):
            super().reset(seed=seed)
            obs, info = env.reset(seed=seed, options=options)
            return obs[0].numpy(), {}

        def step(self, action):
            if not self.action_space.contains(action):
                raise ValueError(f"action must be an int in [0, {env.n_candidates - 1}], "
                                 f"got {action!r}")
            obs, rew, term, trunc, _ = env.step(torch.tensor([int(action)]))
            return obs[0].numpy(), float(rew[0]), bool(term[0]), bool(trunc[0]), {}

    return _Single()
