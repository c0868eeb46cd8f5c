"""More NeuroMOP studies: mu reward sweep, corridor, cartpole, beta sweep.

Same conventions and outputs as :mod:`neuromop.studies.rate_rnn` (checkpoints per controller,
``rollout_*.nc``, ``summary.json``, ``table.txt``, a figure); each configuration has
``for_budget(budget, **overrides)`` and ``run(out_dir, resume=, progress=)``.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np
import xarray as xr

from neuromop.envs.rate_rnn import antithetic_candidates
from neuromop.studies.rate_rnn import (
    _PAPER,
    _SMOKE,
    _Common,
    _common_kw,
    _rollouts,
    _start,
    train_all,
    write_outputs,
)

__all__ = ["BetaSweepStudy", "CartpoleStudy", "CorridorStudy", "RewardStudy",
           "entropy_by_region", "format_beta_table", "inner_occupancy", "input_drive_statistics"]


@dataclass
class RewardStudy(_Common):
    """Square confinement plus an extrinsic reward ``mu`` inside an inner square (mu sweep)."""

    half_width: float = 0.5
    inner_half_width: float = 0.2
    mus: tuple[float, ...] = (0.0, 1.0, 4.0)
    BUDGET_OVERRIDES = {"smoke": dict(_SMOKE, mus=(0.0, 4.0)), "default": {}, "paper": _PAPER}

    def make_env(self):
        from neuromop.envs import InnerSquareReward, RateRNNEnv, SquareBox

        task = (SquareBox((0, 1), self.half_width)
                | InnerSquareReward((0, 1), self.inner_half_width, mu=1.0))
        return RateRNNEnv(self.n_neurons, num_envs=self.num_envs, g=self.g, dt=self.dt,
                          n_candidates=self.n_candidates, action_scale=self.action_scale,
                          terminal=task, max_episode_steps=self.horizon, seed=self.seed)

    def run(self, out_dir, *, resume: bool = True, progress: bool = True) -> dict:
        """Train one MOP controller per ``mu``; occupancy of the inner square."""
        from neuromop.control import NeuroMOPController
        from neuromop.plots.tasks import plot_reward_task

        t0, out = _start(out_dir)
        ctrls = {f"MOP mu={mu:g}": NeuroMOPController(self.make_env(), mu=mu, **_common_kw(self))
                 for mu in self.mus}
        histories = train_all(self, ctrls, out, resume=resume, progress=progress)
        datasets, summary = _rollouts(self, self.make_env(), ctrls, out)
        for name, ds in datasets.items():
            summary[name]["inner_occupancy"] = inner_occupancy(ds, self.inner_half_width)
        fig = plot_reward_task(datasets, histories, self)
        seconds = time.perf_counter() - t0
        fig_path, table = write_outputs(self, out, summary, histories, fig, seconds,
                                        "reward_task.png")
        table += "\ninner-square occupancy: " + ", ".join(
            f"{k}: {v['inner_occupancy']:.3f}" for k, v in summary.items())
        return {"summary": summary, "histories": histories, "datasets": datasets,
                "figure": fig_path, "table": table, "seconds": seconds}


def inner_occupancy(ds, half_width: float) -> float:
    """Fraction of alive time points with neurons 0 and 1 inside ``|x| <= half_width``."""
    act = ds["activity"].values[..., :2]
    alive = ds["alive"].values
    inside = (np.abs(act) <= half_width).all(axis=-1)
    return float(inside[alive].mean()) if alive.any() else float("nan")


@dataclass
class CorridorStudy(_Common):
    """Two rooms joined by a narrow corridor in readout space; action entropy along the path.

    ``initial_value = 0.0``: training starts from the uninformed controller (uniformly random
    currents), so the per-epoch ``termination_rate`` of the training history shows the lifetime
    growing with training. Measured at the default budget (seed 0): 0.27 terminations per
    agent-step in the first epoch (random currents live 3.3 steps), 0.002 in the second, 0 from
    the third on; MOP then lives 500 of 500 steps, with action entropy 2.65 nats in the left
    room, 2.21 in the corridor and 2.13 in the right room. At the smoke budget (seeds 0-2) the
    first epoch's rate was 0.20-0.27 and the last one's 0.
    """

    room_offset: float = 0.5
    room_half: float = 0.25
    corridor_half: float = 0.08
    init_std: float = 0.3
    initial_value: float | None = 0.0   # V at the start of training (None: optimistic)
    BUDGET_OVERRIDES = {"smoke": _SMOKE, "default": {}, "paper": _PAPER}

    def make_env(self):
        from neuromop.envs import Corridor, RateRNNEnv

        return RateRNNEnv(self.n_neurons, num_envs=self.num_envs, g=self.g, dt=self.dt,
                          n_candidates=self.n_candidates, action_scale=self.action_scale,
                          n_readouts=2, terminal=Corridor(self.room_offset, self.room_half,
                                                          self.corridor_half),
                          init_std=self.init_std, max_episode_steps=self.horizon, seed=self.seed)

    def run(self, out_dir, *, resume: bool = True, progress: bool = True) -> dict:
        """Train MOP; roll out free / random / MOP; action entropy per region."""
        from neuromop.control import FreeController, NeuroMOPController, RandomController
        from neuromop.plots.tasks import plot_corridor_task

        t0, out = _start(out_dir)
        mop = NeuroMOPController(self.make_env(), initial_value=self.initial_value,
                                 **_common_kw(self))
        histories = train_all(self, {"MOP": mop}, out, resume=resume, progress=progress)
        env = self.make_env()
        datasets, summary = _rollouts(self, env, {"free": FreeController(env),
                                                  "random": RandomController(env), "MOP": mop},
                                      out)
        summary["MOP"]["entropy_by_region"] = entropy_by_region(datasets["MOP"], env.terminal)
        fig = plot_corridor_task(datasets, histories, self)
        seconds = time.perf_counter() - t0
        fig_path, table = write_outputs(self, out, summary, histories, fig, seconds,
                                        "corridor_task.png")
        table += "\nMOP action entropy by region: " + ", ".join(
            f"{k}: {v:.3f}" for k, v in summary["MOP"]["entropy_by_region"].items())
        return {"summary": summary, "histories": histories, "datasets": datasets,
                "figure": fig_path, "table": table, "seconds": seconds}


def entropy_by_region(ds, corridor) -> dict[str, float]:
    """Mean action entropy (nats) of alive steps in the left room, the corridor, the right room."""
    import torch

    alive = ds["alive"].values[:, :-1]
    region = corridor.region(torch.as_tensor(ds["readout"].values[:, :-1])).numpy()
    ent = ds["action_entropy"].values[:, :-1]
    out = {}
    for code, name in ((0, "left room"), (1, "corridor"), (2, "right room")):
        m = alive & (region == code)
        out[name] = float(ent[m].mean()) if m.any() else float("nan")
    return out


@dataclass
class CartpoleStudy:
    """Continuous cartpole balanced by NeuroMOP and an R network (physics of the grid world)."""

    num_envs: int = 64
    horizon: int = 500
    gamma: float = 0.98
    epsilon: float = 0.05
    hidden: tuple[int, ...] = (64, 64)
    learning_rate: float = 1e-3
    epochs: int = 15
    steps_per_epoch: int = 100
    fit_iterations: int = 200
    batch_size: int = 256
    target_updates: int = 2
    eval_trials: int = 64
    noise_std: float = 0.0
    seed: int = 0
    BUDGET_OVERRIDES = {
        "smoke": dict(num_envs=16, horizon=150, epochs=5, steps_per_epoch=50, fit_iterations=80,
                      hidden=(32, 32), eval_trials=16),
        "default": {},
        "paper": dict(epochs=60, num_envs=256, horizon=1000, eval_trials=256, hidden=(128, 128)),
    }
    for_budget = classmethod(_Common.for_budget.__func__)

    def make_env(self):
        from neuromop.envs import ContinuousCartpoleEnv

        return ContinuousCartpoleEnv(self.num_envs, noise_std=self.noise_std,
                                     max_episode_steps=self.horizon)

    def run(self, out_dir, *, resume: bool = True, progress: bool = True) -> dict:
        """Train MOP and R; roll out random / MOP / R; theta-x occupancy."""
        from neuromop.control import NeuroMOPController, RandomController, RewardController
        from neuromop.plots.tasks import plot_cartpole_task

        t0, out = _start(out_dir)
        kw = _common_kw(self)
        ctrls = {"MOP": NeuroMOPController(self.make_env(), **kw),
                 "R": RewardController(self.make_env(), epsilon=self.epsilon, **kw)}
        histories = train_all(self, ctrls, out, resume=resume, progress=progress)
        env = self.make_env()
        datasets, summary = _rollouts(self, env, {"random": RandomController(env), **ctrls}, out)
        fig = plot_cartpole_task(datasets, histories, self)
        seconds = time.perf_counter() - t0
        fig_path, table = write_outputs(self, out, summary, histories, fig, seconds,
                                        "cartpole_task.png")
        return {"summary": summary, "histories": histories, "datasets": datasets,
                "figure": fig_path, "table": table, "seconds": seconds}


@dataclass
class BetaSweepStudy(_Common):
    """Square confinement with private input noise: MOP with state-entropy weight ``beta``.

    Input noise passes through ``tanh``, so the entropy of the next state is lower where units
    saturate (:meth:`~neuromop.envs.RateRNNEnv.transition_entropy`):
    ``H = H_0 + sum_i ln f'(h_i)`` with ``h = W x + V a`` the noise-free input. ``beta > 0``
    rewards inputs that stay in the non-saturating range of ``f``. Entropies are of the next
    state discretised at ``entropy_resolution``. Besides lifetime, activity std and action
    dimensionality, each rollout reports (:func:`input_drive_statistics`) activity saturation
    (fraction of ``|x| > saturation_level``), input saturation (fraction of
    ``|tanh(h)| > saturation_level``), ``log_gain`` (mean ``sum_i ln f'(h_i)`` per step, nats:
    the part of the beta term that depends on state and action) and the fraction of steps on
    which the zero current was chosen.

    Why the candidates are antithetic and of moderate size: ``ln f'(h) = ln(1 - tanh(h)^2)`` is
    concave, so adding a random current ``u`` lowers ``sum_i ln f'(h_i + u_i)`` on average (by
    about half its curvature times ``u_i^2``); only the first-order part ``-2 sum_i tanh(h_i) u_i``
    can favour a non-zero current. Under a random policy (seed 0) the zero current had the highest
    entropy in 100 % of visited states for Gaussian candidates of std 2 (143 nats above the others
    on average), 100 % for antithetic std 1.0 (39 nats), 99 % for std 0.5 and 41 % for std 0.3.
    With the former default (16 Gaussian candidates of std 2) beta = 0.02 made the controller
    choose the zero current 61 % of the time: "beta > 0" meant "do not act", the free g = 2 network
    saturated and left the square (lifetimes 446 / 408 / 231 for beta = 0 / 0.005 / 0.02). With
    antithetic std 0.3 (beta = 0 / 0.1 / 0.3) the currents barely steer (MOP survival <= 8 %) and
    the pooled saturation flipped sign between seeds, following lifetime rather than beta.

    Default: 17 antithetic candidates of std ``action_scale = 1.0`` (as in the six-shapes task),
    beta = 0 / 0.005 / 0.02. Measured at the default budget (~150 s per seed on 2 shared cores):

    - seed 0: lifetime 325 / 339 / 305 steps (survival 0.28 / 0.34 / 0.36), input saturation
      0.378 / 0.368 / 0.352, log gain -106.9 / -104.5 / -101.0 nats, activity saturation
      0.038 / 0.038 / 0.046, activity std 0.269 / 0.274 / 0.265, zero current 0.06 / 0.07 / 0.15;
    - seed 1: lifetime 130 / 112 / 107 (survival 0 for all), input saturation 0.373 / 0.360 /
      0.340, log gain -106.3 / -102.4 / -97.1 nats, activity saturation 0.036 / 0.032 / 0.039,
      activity std 0.252 / 0.242 / 0.253, zero current 0.06 / 0.08 / 0.15.

    So beta moves the quantity it rewards -- input saturation falls and ``log_gain`` rises
    monotonically in both seeds -- partly by choosing the zero current more often; occupancy
    *in activity space* (saturation of ``x``, std) shows no consistent direction. The constant
    ``H_0`` (~480 nats at this resolution) dominates the beta term, which makes survival worth
    more per step as beta grows. At the smoke budget (40 neurons, 4 short epochs) the direction
    is not reliable (``log_gain`` rose with beta = 0.02 in 2 of 4 seeds), so no test asserts it.
    """

    half_width: float = 0.6
    noise_std: float = 0.3
    entropy_resolution: float = 1e-3
    n_candidates: int = 17
    action_scale: float = 1.0
    antithetic: bool = True
    betas: tuple[float, ...] = (0.0, 0.005, 0.02)
    saturation_level: float = 0.8
    BUDGET_OVERRIDES = {"smoke": dict(_SMOKE, betas=(0.0, 0.02)), "default": {},
                        "paper": _PAPER}

    def make_env(self):
        from neuromop.envs import RateRNNEnv, SquareBox

        cand = (antithetic_candidates(self.n_candidates, self.n_neurons, self.action_scale,
                                      self.seed) if self.antithetic else None)
        return RateRNNEnv(self.n_neurons, num_envs=self.num_envs, g=self.g, dt=self.dt,
                          n_candidates=self.n_candidates, action_scale=self.action_scale,
                          candidate_actions=cand, noise_std=self.noise_std,
                          noise_location="input", entropy_resolution=self.entropy_resolution,
                          terminal=SquareBox((0, 1), self.half_width),
                          max_episode_steps=self.horizon, seed=self.seed)

    def run(self, out_dir, *, resume: bool = True, progress: bool = True) -> dict:
        """Train one MOP controller per ``beta``; saturation, std and action dimensionality."""
        from neuromop.analysis import participation_ratio
        from neuromop.control import NeuroMOPController
        from neuromop.plots.tasks import plot_beta_sweep

        t0, out = _start(out_dir)
        ctrls = {f"MOP beta={b:g}": NeuroMOPController(self.make_env(), beta=b,
                                                       **_common_kw(self)) for b in self.betas}
        histories = train_all(self, ctrls, out, resume=resume, progress=progress)
        env = self.make_env()
        datasets, summary = _rollouts(self, env, ctrls, out)
        for name, ds in datasets.items():
            summary[name].update(input_drive_statistics(env, ds, self.saturation_level))
            alive = ds["alive"].values
            chosen = ds["action"].values[:, :-1][alive[:, :-1]]
            currents = env.currents.numpy()[chosen]
            summary[name]["action_dimensionality"] = (
                float(participation_ratio(xr.DataArray(currents, dims=("sample", "neuron")),
                                          sample_dims="sample"))
                if len(currents) >= 4 else float("nan"))
        fig = plot_beta_sweep(datasets, summary, self)
        seconds = time.perf_counter() - t0
        fig_path, table = write_outputs(self, out, summary, histories, fig, seconds,
                                        "beta_sweep.png")
        table += "\n" + format_beta_table(summary)
        return {"summary": summary, "histories": histories, "datasets": datasets,
                "figure": fig_path, "table": table, "seconds": seconds}


def input_drive_statistics(env, ds, level: float = 0.8) -> dict[str, float]:
    """Saturation of the activity and of the input drive along a rate-RNN rollout.

    Parameters
    ----------
    env : RateRNNEnv
        The environment of the rollout (its ``W``, context weights and candidate currents).
    ds : xarray.Dataset
        A :func:`~neuromop.control.rollout` dataset with ``activity`` of all neurons.
    level : float
        Saturation level in ``(0, 1)`` of ``|x|`` and of ``|tanh(h)|``.

    Returns
    -------
    dict
        ``saturation``: fraction of ``|x| > level`` over alive time points and neurons;
        ``input_saturation``: fraction of ``|tanh(h)| > level`` with ``h = W x + C c + u_a`` the
        noise-free input of the step taken from each alive state; ``log_gain``: mean over those
        steps of ``sum_i ln(1 - tanh(h_i)^2)`` (nats per step; the state-dependent part of the
        transition entropy); ``zero_action_fraction``: fraction of those steps whose chosen
        current is zero. NaN where there are no such samples.
    """
    from neuromop._checks import check_real

    level = check_real("level", level, low=0.0, high=1.0, low_inclusive=False,
                       high_inclusive=False)
    if "activity" not in ds or ds.sizes["neuron"] != env.n_neurons:
        raise ValueError("ds must hold the activity of all "
                         f"{env.n_neurons} neurons (rollout with neurons=None)")
    act = ds["activity"].values
    alive = ds["alive"].values
    action = ds["action"].values[:, :-1]
    stepped = alive[:, :-1] & (action >= 0)
    x = act[:, :-1][stepped]                                     # (samples, N)
    a = action[stepped]
    h = x @ env.W.numpy().T + env.currents.numpy()[a]
    if env.n_contexts:
        h += env.C.numpy().T[ds["context"].values[:, :-1][stepped]]
    t = np.tanh(h)
    zero = np.flatnonzero(~env.currents.numpy().any(axis=1))
    nan = float("nan")
    return {
        "saturation": float((np.abs(act[alive]) > level).mean()) if alive.any() else nan,
        "input_saturation": float((np.abs(t) > level).mean()) if len(a) else nan,
        "log_gain": float(np.log1p(-np.minimum(t * t, 1.0 - 1e-7)).sum(axis=1).mean())
        if len(a) else nan,
        "zero_action_fraction": float(np.isin(a, zero).mean()) if len(a) else nan,
    }


def format_beta_table(summary: dict) -> str:
    """One line per controller: activity and input saturation, log gain, zero-current share."""
    head = (f"{'controller':<20}{'sat |x|':>9}{'sat input':>11}{'sum ln fp':>12}"
            f"{'zero a':>8}{'action PR':>11}")
    rows = [head, "-" * len(head)]
    for name, s in summary.items():
        rows.append(f"{name:<20}{s['saturation']:>9.3f}{s['input_saturation']:>11.3f}"
                    f"{s['log_gain']:>12.1f}{s['zero_action_fraction']:>8.2f}"
                    f"{s['action_dimensionality']:>11.1f}")
    return "\n".join(rows)
