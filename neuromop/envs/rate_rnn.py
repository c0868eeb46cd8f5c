"""A chaotic rate recurrent network driven by injected currents, as a batched torch environment.

Dynamics (Euler step of size ``dt``, time constant ``tau``; Mastrogiuseppe & Moreno-Bote 2024)::

    x' = x + (dt / tau) * (-x + f(W x + V a + C c)) + noise_std * sqrt(dt / tau) * xi

(``noise_location="state"``) or, with ``noise_location="input"``, the noise ``noise_std * xi`` is
added to the input current inside ``f`` — so saturated units transmit less of it and the entropy
of the next state depends on the state (:meth:`RateRNNEnv.transition_entropy`).

with ``f`` in {tanh, relu}, ``W_ij ~ N(0, g^2 / N)`` (chaotic for ``g > 1``), input weights ``V``
(``N x M``, ``V_ij ~ N(0, 1/M)``), the action ``a`` one of ``K`` candidate current vectors
(the first is the zero vector, "no control"; the others ``N(0, action_scale^2)`` per channel),
a constant one-hot context ``c`` with input weights ``C_ij ~ N(0, context_scale^2)``, linear
readouts ``y = R x`` with ``R_ij ~ N(0, readout_scale^2 / N)`` and private Gaussian noise
``xi ~ N(0, I)``. All random parameters are drawn from ``random_state``, so two environments
with the same arguments are identical.

The Markov state is ``[x (N), c (n_contexts), auxiliaries of the terminal set]``
(see :mod:`neuromop.envs.terminal`).
"""

from __future__ import annotations

import math

import numpy as np

from neuromop._checks import FLOAT32_MAX, MAX_SIZE, check_choice, check_int, check_real
from neuromop._random import as_generator, torch_generator
from neuromop.envs.base import ModelBasedVectorEnv, as_tensor
from neuromop.envs.terminal import EnvSpec, NeverTerminal, TaskView, TerminalSet

__all__ = ["RateRNNEnv", "antithetic_candidates"]


class RateRNNEnv(ModelBasedVectorEnv):
    """Batched rate RNN controlled through a discrete set of input-current vectors.

    Parameters
    ----------
    n_neurons : int
        ``N``.
    num_envs : int
        Number of networks (agents) stepped in parallel by :meth:`reset`/:meth:`step`; all share
        the same weights.
    g : float
        Gain of the recurrent weights (``> 1`` chaotic).
    tau, dt : float
        Neuronal time constant and Euler step (same time unit; ``dt <= tau``).
    nonlinearity : {"tanh", "relu"}
        ``f``.
    n_action_channels : int, optional
        ``M``, the dimension of an action; defaults to ``N``.
    n_candidates : int
        ``K``, the number of candidate actions (including the zero action).
    action_scale : float
        Standard deviation of each channel of the random candidate actions.
    candidate_actions : array_like, shape (K, M), optional
        Explicit candidate set (overrides ``n_candidates``/``action_scale``).
    n_readouts : int
        Number of linear readouts.
    readout_scale : float
        Scale of the readout weights.
    n_contexts : int
        Size of the one-hot context input (0: none). Each episode draws a context uniformly unless
        ``context_index`` is set.
    context_scale : float
        Scale of the context input weights.
    noise_std : float
        Private noise amplitude ``sigma`` (0: deterministic). State noise has std
        ``sigma sqrt(dt/tau)`` per step; input noise has std ``sigma`` inside ``f``.
    noise_location : {"state", "input"}
        Where the private noise enters (see the module docstring).
    entropy_resolution : float, optional
        If given, transition entropies are those of the next state discretised in bins of this
        width (differential entropy minus ``N ln(resolution)``), which makes them positive for
        fine resolutions; otherwise differential entropies (which can be negative).
    terminal : TerminalSet, optional
        Terminal set (default: never terminal). It is bound to the environment's sizes.
    init_std : float
        Initial activity ``x_0 ~ N(0, init_std^2)``, clipped to the range of ``f``; initial
        states that are terminal are redrawn.
    max_episode_steps : int, optional
        Truncation horizon of :meth:`step`.
    random_state : int
        Seed of all random parameters (weights, candidate actions).

    Attributes
    ----------
    W, V, R, C : torch.Tensor
        Recurrent ``(N, N)``, action input ``(N, M)``, readout ``(n_readouts, N)`` and context
        input ``(N, n_contexts)`` weights.
    currents : torch.Tensor, shape (K, N)
        ``V a`` for every candidate action (precomputed).
    context_index : int or None
        If set, every new episode uses this context.
    """

    def __init__(self, n_neurons: int = 100, *, num_envs: int = 64, g: float = 1.5,
                 tau: float = 1.0, dt: float = 0.1, nonlinearity: str = "tanh",
                 n_action_channels: int | None = None, n_candidates: int = 16,
                 action_scale: float = 1.0, candidate_actions=None, n_readouts: int = 2,
                 readout_scale: float = 1.0, n_contexts: int = 0, context_scale: float = 1.0,
                 noise_std: float = 0.0, noise_location: str = "state",
                 entropy_resolution: float | None = None, terminal: TerminalSet | None = None,
                 init_std: float = 0.5, max_episode_steps: int | None = None,
                 random_state: int = 0) -> None:
        import torch

        self.n_neurons = check_int("n_neurons", n_neurons, low=1, high=MAX_SIZE)
        self.g = check_real("g", g, low=0.0)
        self.tau = check_real("tau", tau, low=0.0, low_inclusive=False)
        self.dt = check_real("dt", dt, low=0.0, low_inclusive=False)
        if self.dt > self.tau:
            raise ValueError(f"dt must be <= tau = {self.tau}, got {self.dt}")
        self.nonlinearity = check_choice("nonlinearity", nonlinearity, ("tanh", "relu"))
        self.n_readouts = check_int("n_readouts", n_readouts, low=0, high=MAX_SIZE)
        self.n_contexts = check_int("n_contexts", n_contexts, low=0, high=MAX_SIZE)
        self.noise_std = check_real("noise_std", noise_std, low=0.0, high=FLOAT32_MAX)
        self.noise_location = check_choice("noise_location", noise_location, ("state", "input"))
        if self.noise_location == "input" and nonlinearity == "relu":
            raise ValueError("noise_location='input' needs a smooth f; use nonlinearity='tanh'")
        self.entropy_resolution = (None if entropy_resolution is None else check_real(
            "entropy_resolution", entropy_resolution, low=0.0, low_inclusive=False))
        self.init_std = check_real("init_std", init_std, low=0.0)
        self.random_state = check_int("random_state", random_state, low=0)
        if terminal is None:
            terminal = NeverTerminal()
        if not isinstance(terminal, TerminalSet):
            raise TypeError(f"terminal must be a TerminalSet, got {type(terminal).__name__}")
        self.terminal = terminal
        n = self.n_neurons
        gen = torch_generator(self.random_state)
        self.W = torch.randn(n, n, generator=gen) * (self.g / math.sqrt(n))
        if candidate_actions is None:
            m = n if n_action_channels is None else check_int(
                "n_action_channels", n_action_channels, low=1, high=MAX_SIZE)
            k = check_int("n_candidates", n_candidates, low=1, high=MAX_SIZE)
            scale = check_real("action_scale", action_scale, low=0.0)
            cand = torch.randn(k, m, generator=gen) * scale
            cand[0] = 0.0
        else:
            cand = as_tensor("candidate_actions", candidate_actions, torch.float32)
            if cand.ndim != 2:
                raise ValueError(
                    f"candidate_actions must have shape (K, M), got {tuple(cand.shape)}"
                )
            m = int(cand.shape[1])
            if n_action_channels is not None and n_action_channels != m:
                raise ValueError(
                    f"n_action_channels={n_action_channels} does not match candidate_actions "
                    f"with {m} channels"
                )
        self.V = torch.randn(n, m, generator=gen) / math.sqrt(m)
        self.R = torch.randn(self.n_readouts, n, generator=gen) * (
            check_real("readout_scale", readout_scale, low=0.0) / math.sqrt(n))
        self.C = torch.randn(n, self.n_contexts, generator=gen) * check_real(
            "context_scale", context_scale, low=0.0)
        self.context_index = None
        self.terminal.bind(EnvSpec(n, self.n_readouts, self.n_contexts, self.dt))
        state_dim = n + self.n_contexts + self.terminal.aux_dim
        super().__init__(num_envs, state_dim, cand, max_episode_steps=max_episode_steps)
        self.currents = cand @ self.V.T
        self._a = self.dt / self.tau
        self._noise_scale = self.noise_std * (math.sqrt(self._a) if self.noise_location == "state"
                                              else 1.0)
        # per-unit std of x' when f' = 1 (input noise) or always (state noise)
        unit_std = (self._noise_scale if self.noise_location == "state"
                    else self._a * self.noise_std)
        self._offset = 0.0 if self.entropy_resolution is None else -math.log(
            self.entropy_resolution)
        if self.noise_std > 0:
            # the maximum over states for input noise (reached when no unit is saturated)
            self.noise_entropy = n * (0.5 * math.log(2 * math.pi * math.e) + math.log(unit_std)
                                      + self._offset)

    # ------------------------------------------------------------------ state layout
    def split(self, states):
        """Return ``(x, context, aux)`` views of ``states`` (last axis split)."""
        n, c = self.n_neurons, self.n_contexts
        return states[..., :n], states[..., n:n + c], states[..., n + c:]

    def view(self, x, context) -> TaskView:
        """The :class:`~neuromop.envs.terminal.TaskView` of activity ``x`` and ``context``."""
        return TaskView(activity=x, readout=x @ self.R.T, context=context)

    def activity(self, states):
        return states[..., :self.n_neurons]

    def readout(self, states):
        """Linear readouts ``R x``, shape ``(..., n_readouts)``."""
        return self.activity(states) @ self.R.T

    @property
    def time_unit(self) -> str:
        """Unit of ``dt`` and of a rollout's ``time``: ``"tau"`` (membrane time constants) when
        ``tau == 1``, else ``"a.u."`` (whatever unit ``tau`` and ``dt`` were given in)."""
        return "tau" if self.tau == 1.0 else "a.u."

    def state_variables(self, states) -> dict:
        x, ctx, aux = self.split(states)
        out = {name: aux[..., i] for i, name in enumerate(self.terminal.aux_names)}
        if self.n_readouts:
            out["readout"] = x @ self.R.T
        if self.n_contexts:
            out["context"] = ctx.argmax(dim=-1)
        return out

    def _f(self, pre):
        """Apply the nonlinearity in place.

        ``tanh`` is evaluated as ``2 sigmoid(2x) - 1``: the same function (max abs difference
        ~2e-7 in float32, below float32 resolution near 1), but ~3x faster than ``torch.tanh``
        on this class of CPU, and the activation dominates the cost of :meth:`predict`.
        """
        import torch

        if self.nonlinearity != "tanh":
            return pre.relu_()
        pre.mul_(2.0)
        torch.sigmoid(pre, out=pre)
        return pre.mul_(2.0).sub_(1.0)

    # ------------------------------------------------------------------ model
    def initial_states(self, n: int, generator):
        import torch

        n = check_int("n", n, low=1)
        out = torch.empty(n, self.state_dim)
        todo = torch.arange(n)
        for _ in range(100):
            m = int(todo.numel())
            x = torch.randn(m, self.n_neurons, generator=generator) * self.init_std
            x = x.clamp(-1.0, 1.0) if self.nonlinearity == "tanh" else x.abs()
            ctx = torch.zeros(m, self.n_contexts)
            if self.n_contexts:
                if self.context_index is None:
                    idx = torch.randint(self.n_contexts, (m,), generator=generator)
                else:
                    idx = torch.full((m,), int(self.context_index))
                ctx[torch.arange(m), idx] = 1.0
            aux = self.terminal.initial_aux(self.view(x, ctx))
            cand = torch.cat([x, ctx, aux], dim=-1)
            bad = self.is_terminal(cand)
            out[todo[~bad]] = cand[~bad]
            todo = todo[bad]
            if todo.numel() == 0:
                return out
        raise RuntimeError(
            "could not draw non-terminal initial states in 100 attempts; reduce init_std or "
            "enlarge the terminal set"
        )

    def predict(self, states, action_index=None, *, generator=None):
        """Next states under candidate actions (see :meth:`ModelBasedVectorEnv.predict`).

        ``W x`` (and the context current) is computed once per state; the precomputed candidate
        currents ``V a_k`` are broadcast over it.
        """
        import torch

        states = self._check_states(states)
        idx = self._check_predict_index(states, action_index)
        n = self.n_neurons
        x, ctx, aux = self.split(states)
        h = x @ self.W.T
        if self.n_contexts:
            h = h + ctx @ self.C.T
        if idx is None:
            lead = (states.shape[0], self.n_candidates)
            u, h_b, x_b = self.currents.unsqueeze(0), h.unsqueeze(1), x.unsqueeze(1)
        elif idx.ndim == 1:
            lead = (states.shape[0],)
            u, h_b, x_b = self.currents[idx], h, x
        else:
            lead = tuple(idx.shape)
            u, h_b, x_b = self.currents[idx], h.unsqueeze(1), x.unsqueeze(1)
        out = torch.empty(lead + (self.state_dim,), dtype=torch.float32)
        xs = out[..., :n]
        torch.add(h_b, u, out=xs)
        noisy = generator is not None and self.noise_std > 0
        if noisy and self.noise_location == "input":
            xs.add_(torch.randn(xs.shape, generator=generator), alpha=self._noise_scale)
        self._f(xs)
        # x' = x + a (f - x) = a f + (1 - a) x, with (1 - a) x computed once per state
        torch.add(x_b * (1.0 - self._a), xs, alpha=self._a, out=xs)
        if noisy and self.noise_location == "state":
            xs.add_(torch.randn(xs.shape, generator=generator), alpha=self._noise_scale)
        if self.n_contexts:
            out[..., n:n + self.n_contexts] = ctx.unsqueeze(1) if len(lead) == 2 else ctx
        if self.terminal.aux_dim:
            aux_b = aux.unsqueeze(1) if len(lead) == 2 else aux
            ctx_b = out[..., n:n + self.n_contexts]
            out[..., n + self.n_contexts:] = self.terminal.next_aux(aux_b, self.view(xs, ctx_b))
        return out

    def transition_entropy(self, states):
        """Entropy (nats) of the next state for every candidate action, shape (B, K).

        State noise: the constant ``N (0.5 ln(2 pi e s^2) - ln resolution)``. Input noise, to first
        order in ``sigma``: unit ``i`` has std ``(dt/tau) f'(h_i) sigma`` with ``h`` the noise-free
        input current, so ``H = noise_entropy + sum_i ln f'(h_i)`` — lower when units saturate.
        """
        import torch

        states = self._check_states(states)
        if self.noise_std == 0 or self.noise_location == "state":
            return super().transition_entropy(states)
        x, ctx, _ = self.split(states)
        h = x @ self.W.T
        if self.n_contexts:
            h = h + ctx @ self.C.T
        t = torch.tanh(h.unsqueeze(1) + self.currents.unsqueeze(0))
        log_slope = torch.log1p(-(t * t).clamp(max=1.0 - 1e-7)).sum(dim=-1)
        return self.noise_entropy + log_slope

    def is_terminal(self, states):
        x, ctx, aux = self.split(states)
        return self.terminal.is_terminal(self.view(x, ctx), aux)

    def extrinsic_reward(self, states):
        x, ctx, aux = self.split(states)
        return self.terminal.reward(self.view(x, ctx), aux)

    def __repr__(self) -> str:
        return (f"RateRNNEnv(n_neurons={self.n_neurons}, num_envs={self.num_envs}, g={self.g}, "
                f"dt={self.dt}, tau={self.tau}, nonlinearity={self.nonlinearity!r}, "
                f"K={self.n_candidates}, noise_std={self.noise_std}, terminal={self.terminal!r})")


def antithetic_candidates(n_candidates: int, n_channels: int, scale: float,
                          random_state=0) -> np.ndarray:
    """A zero action plus ``(K - 1) / 2`` pairs ``+v, -v`` of Gaussian actions.

    Parameters
    ----------
    n_candidates : int
        ``K``, odd and ``>= 1``.
    n_channels : int
        Channels ``M`` per action.
    scale : float
        Standard deviation of every entry of ``v``.
    random_state : int, SeedSequence or numpy.random.Generator
        Seed of the draw.

    Returns
    -------
    numpy.ndarray, shape (K, M), float32
        Row 0 is zero; rows ``2j - 1`` and ``2j`` are ``+v_j`` and ``-v_j``, so the candidate
        currents sum to zero and a uniform policy injects no mean drive.
    """
    k = check_int("n_candidates", n_candidates, low=1, high=MAX_SIZE)
    if k % 2 == 0:
        raise ValueError(f"n_candidates must be odd (zero plus +/- pairs), got {k}")
    m = check_int("n_channels", n_channels, low=1, high=MAX_SIZE)
    scale = check_real("scale", scale, low=0.0)
    v = as_generator(random_state).standard_normal(((k - 1) // 2, m)) * scale
    if not np.all(np.abs(v) <= FLOAT32_MAX):
        raise ValueError(f"scale {scale} is too large: the candidate currents overflow float32")
    out = np.zeros((k, m), dtype=np.float32)
    out[1::2], out[2::2] = v, -v
    return out
