"""Continuous cartpole as a batched model-based environment (same physics as the tabular world).

The physics, constants and terminal set are those of :mod:`neuromop.mdp.worlds.cartpole`
(``CartpoleParams``: M = 1 kg, m = 0.1 kg, l = 1 m, g = 9.81 m/s^2, dt = 0.02 s explicit Euler,
forces {-40, -10, 0, 10, 40} N, terminal when ``|theta| >= 0.62`` rad or ``|x| >= 1.8`` m, angular
and cart velocities clipped to ``omega_max``/``v_max``) — but the state is continuous and a
controller (e.g. :class:`~neuromop.control.NeuroMOPController`) values it with a network instead of
a grid. State: ``(theta [rad], omega [rad/s], v [m/s], x [m])``.
"""

from __future__ import annotations

import math

from neuromop._checks import check_int, check_real
from neuromop.envs.base import ModelBasedVectorEnv
from neuromop.mdp.worlds.cartpole import CartpoleParams

__all__ = ["ContinuousCartpoleEnv"]


class ContinuousCartpoleEnv(ModelBasedVectorEnv):
    """Batched continuous cartpole with the discrete force set as candidate actions.

    Parameters
    ----------
    num_envs : int
        Number of carts stepped in parallel.
    params : neuromop.mdp.worlds.cartpole.CartpoleParams, optional
        Physical constants (defaults: the tabular world's).
    init_scale : float
        Initial states are uniform in ``[-init_scale, init_scale] * (theta_max, 1, 1, x_max)``.
    noise_std : float
        Std of Gaussian noise added to ``omega`` and ``v`` per step (0: deterministic).
    max_episode_steps : int, optional
        Truncation horizon of :meth:`step`.
    """

    def __init__(self, num_envs: int = 64, *, params=None, init_scale: float = 0.1,
                 noise_std: float = 0.0, max_episode_steps: int | None = None) -> None:
        import torch


        self.params = CartpoleParams() if params is None else params
        if not isinstance(self.params, CartpoleParams):
            raise TypeError(f"params must be a CartpoleParams, got {type(params).__name__}")
        if self.params.eta > 0:
            raise ValueError(f"params.eta={self.params.eta}: the continuous cartpole has no "
                             "half-arena noise; use eta=0 (noise_std adds Gaussian noise)")
        self.init_scale = check_real("init_scale", init_scale, low=0.0, high=1.0,
                                     high_inclusive=False)
        self.noise_std = check_real("noise_std", noise_std, low=0.0)
        self.dt = self.params.dt
        forces = torch.tensor(self.params.forces, dtype=torch.float32).unsqueeze(1)
        super().__init__(check_int("num_envs", num_envs, low=1), 4, forces,
                         max_episode_steps=max_episode_steps)
        if self.noise_std > 0:
            self.noise_entropy = math.log(2 * math.pi * math.e) + 2 * math.log(self.noise_std)

    def initial_states(self, n: int, generator):
        import torch

        p = self.params
        lims = torch.tensor([p.theta_max, 1.0, 1.0, p.x_max])
        u = torch.rand(check_int("n", n, low=1), 4, generator=generator) * 2 - 1
        return u * lims * self.init_scale

    def predict(self, states, action_index=None, *, generator=None):
        """Next states for the candidate forces (``(B, K, 4)``, ``(B, 4)`` or ``(B, J, 4)``)."""
        import torch

        states = self._check_states(states)
        idx = self._check_predict_index(states, action_index)
        p = self.params
        forces = self.candidate_actions[:, 0]
        if idx is None:
            s, f = states.unsqueeze(1), forces.unsqueeze(0)
        elif idx.ndim == 1:
            s, f = states, forces[idx]
        else:
            s, f = states.unsqueeze(1), forces[idx]
        th, w, v, x = s[..., 0], s[..., 1], s[..., 2], s[..., 3]
        a = 1.0 / (p.M + p.m)
        sin, cos = torch.sin(th), torch.cos(th)
        acc = (p.g * sin + a * cos * f - p.m * a * w ** 2 * p.l * torch.sin(2 * th) / 2) / (
            p.l * (4.0 / 3.0 - p.m * a * cos ** 2))
        acc_x = (4.0 / 3.0 * p.l * acc - p.g * sin) / cos
        new_w = w + acc * p.dt
        new_v = v + acc_x * p.dt
        if generator is not None and self.noise_std > 0:
            new_w = new_w + self.noise_std * torch.randn(new_w.shape, generator=generator)
            new_v = new_v + self.noise_std * torch.randn(new_v.shape, generator=generator)
        shape = new_w.shape
        return torch.stack([(th + w * p.dt).expand(shape), new_w.clamp(-p.omega_max, p.omega_max),
                            new_v.clamp(-p.v_max, p.v_max), (x + v * p.dt).expand(shape)], dim=-1)

    def uniform_states(self, n: int, generator):
        """``n`` draws uniform in ``|theta| < theta_max, |omega| <= omega_max, |v| <= v_max,
        |x| < x_max`` without the terminal ones (the arena's edges), shape ``(<= n, 4)``."""
        import torch

        p = self.params
        lims = torch.tensor([p.theta_max, p.omega_max, p.v_max, p.x_max])
        u = torch.rand(check_int("n", n, low=0), 4, generator=generator) * 2 - 1
        states = u * lims
        return states[~self.is_terminal(states)]

    def is_terminal(self, states):
        p = self.params
        return (states[..., 0].abs() >= p.theta_max) | (states[..., 3].abs() >= p.x_max)

    def state_variables(self, states) -> dict:
        return {"theta": states[..., 0], "x": states[..., 3]}

    def __repr__(self) -> str:
        return (f"ContinuousCartpoleEnv(num_envs={self.num_envs}, noise_std={self.noise_std}, "
                f"init_scale={self.init_scale})")
