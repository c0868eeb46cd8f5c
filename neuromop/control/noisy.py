"""MOP and R controllers whose backups average over the noise of a learned stochastic model.

:class:`~neuromop.control.NeuroMOPController` and :class:`~neuromop.control.RewardController`
evaluate the value of *one* successor per action: the model env's noise-free mean (or, for
:class:`~neuromop.fit.spiking_model.SpikingModelEnv`, its risk-quantile successor). For a
stochastic spiking network the MOP backup is an expectation over the next state::

    Q(x, a) = gamma E_{x' ~ p(.|x, a)}[V(x') 1(x' not terminal)]
    V(x)    = alpha ln sum_a exp(Q(x, a) / alpha)

and the R backup ``Q(x, a) = E[1(x' not terminal) (1 + gamma V(x'))]``. The controllers here
estimate these expectations with ``noise_samples`` successors drawn from the model
(``env.predict(states, generator=...)``) with a generator re-seeded with
``noise_random_state`` on every call, so that evaluating the same batch twice gives the same
estimate (common random numbers across fitted-VI iterations). With ``noise_samples=0`` they
reduce exactly to their parents. The expectation is the exact MOP backup, but with few samples
rare terminal overshoots are under-weighted; the risk-quantile planner of
:class:`~neuromop.fit.SpikingModelEnv` is the default of ``neuromop run spiking-energy`` (the
spiking notebook compares the two).

``initial_value`` (of the parents) sets where ``V`` starts: nats for MOP, steps for R.
"""

from __future__ import annotations

import torch

from neuromop._checks import MAX_SIZE, check_int
from neuromop._random import torch_generator
from neuromop.control.mop import NeuroMOPController
from neuromop.control.reward import RewardController

__all__ = ["NoisyNeuroMOPController", "NoisyRewardController"]


class _NoiseAveraged:
    """Mixin: successor values averaged over ``noise_samples`` model samples."""

    def _init_noise(self, noise_samples: int, noise_random_state: int) -> None:
        self.noise_samples = check_int("noise_samples", noise_samples, low=0, high=MAX_SIZE)
        self.noise_random_state = check_int("noise_random_state", noise_random_state, low=0)

    def successor_values(self, states, net=None):
        """Noise-averaged successor values, terminal probabilities and rewards.

        Returns
        -------
        values : torch.Tensor (B, K)
            ``E[V(x') 1(x' not terminal)]`` over ``noise_samples`` draws (the parent's noise-free
            values if ``noise_samples == 0``).
        terminal : torch.Tensor (B, K)
            Probability that the successor is terminal (float; bool if ``noise_samples == 0``).
        reward : torch.Tensor (B, K)
            Mean extrinsic reward of the successors.
        """
        return super().successor_values(states, net)

    def _successors(self, states, nets):
        if self.noise_samples == 0:
            return super()._successors(states, nets)
        gen = torch_generator(self.noise_random_state)
        v_sum = t_sum = r_sum = None
        with torch.no_grad():
            for _ in range(self.noise_samples):
                outs_v, outs_t, outs_r = [], [], []
                for start in range(0, states.shape[0], self.chunk_size):
                    nxt = self.env.predict(states[start:start + self.chunk_size], generator=gen)
                    term = self.env.is_terminal(nxt)
                    outs_v.append(torch.stack([net(nxt).masked_fill(term, 0.0) for net in nets]))
                    outs_t.append(term.to(states.dtype))
                    outs_r.append(self.env.extrinsic_reward(nxt))
                v, t, r = torch.cat(outs_v, dim=1), torch.cat(outs_t), torch.cat(outs_r)
                v_sum = v if v_sum is None else v_sum + v
                t_sum = t if t_sum is None else t_sum + t
                r_sum = r if r_sum is None else r_sum + r
        n = float(self.noise_samples)
        return v_sum / n, t_sum / n, r_sum / n


class NoisyNeuroMOPController(_NoiseAveraged, NeuroMOPController):
    """MOP fitted value iteration with the backup averaged over model noise.

    Parameters
    ----------
    env : ModelBasedVectorEnv
        Environment whose ``predict(states, generator=g)`` samples successors.
    noise_samples : int
        Successor samples per action and state (``0``: the noise-free parent).
    noise_random_state : int
        Seed of the common random numbers.
    initial_value : float, optional
        Initial ``V`` (nats) set through the output bias; default: the parent's optimistic start.
    **kwargs
        :class:`~neuromop.control.NeuroMOPController` parameters (``hidden``, ``gamma``,
        ``alpha``, ``beta``, ``mu``, ``learning_rate``, ``random_state`` ...).
    """

    def __init__(self, env, *, noise_samples: int = 8, noise_random_state: int = 0,
                 initial_value: float | None = None, **kwargs) -> None:
        super().__init__(env, initial_value=initial_value, **kwargs)
        self._init_noise(noise_samples, noise_random_state)

    @property
    def label(self) -> str:
        """``"noisy "`` and the :class:`~neuromop.control.NeuroMOPController` label."""
        return "noisy " + super().label

    def __repr__(self) -> str:
        return (f"NoisyNeuroMOPController(noise_samples={self.noise_samples}, "
                f"hidden={self.hidden}, gamma={self.gamma}, alpha={self.alpha})")


class NoisyRewardController(_NoiseAveraged, RewardController):
    """R fitted value iteration with ``Q = E[1(not terminal)(1 + gamma V(x'))]`` over model noise.

    Parameters are those of :class:`NoisyNeuroMOPController` with the
    :class:`~neuromop.control.RewardController` keyword arguments (``epsilon`` ...).
    """

    def __init__(self, env, *, noise_samples: int = 8, noise_random_state: int = 0,
                 initial_value: float | None = None, **kwargs) -> None:
        super().__init__(env, initial_value=initial_value, **kwargs)
        self._init_noise(noise_samples, noise_random_state)

    def q_values(self, values, terminal):
        """``(1 - P(terminal)) + gamma E[V(x') 1(not terminal)]`` (B, K)."""
        if terminal.dtype == torch.bool:
            return super().q_values(values, terminal)
        return (1.0 - terminal) + self.gamma * values

    @property
    def label(self) -> str:
        """``"noisy "`` and the :class:`~neuromop.control.RewardController` label."""
        return "noisy " + super().label

    def __repr__(self) -> str:
        return (f"NoisyRewardController(noise_samples={self.noise_samples}, "
                f"epsilon={self.epsilon}, hidden={self.hidden}, gamma={self.gamma})")
