"""More NeuroMOP studies: six shapes, mu reward sweep, corridor, cartpole, beta sweep.

Same conventions and outputs as :mod:`neuromop.control.studies` (checkpoints per controller,
``rollout_*.nc``, ``summary.json``, ``table.txt``, a figure); each configuration has
``for_budget(budget, **overrides)`` and ``run(out_dir, resume=, progress=)``.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np
import xarray as xr

from neuromop.control.studies import (
    _PAPER,
    _SMOKE,
    _Common,
    _common_kw,
    _rollouts,
    _start,
    train_all,
    write_outputs,
)
from neuromop.control.studies_shapes import (
    SPREAD_KEYS,
    ShapesStudy,
    antithetic_candidates,
    format_spread,
    readout_spread,
    shape_fill_std,
    spread_history,
)

__all__ = [
    "ShapesStudy", "antithetic_candidates", "readout_spread", "shape_fill_std", "SPREAD_KEYS",
    "spread_history", "format_spread", "RewardStudy",
    "CorridorStudy", "CartpoleStudy", "BetaSweepStudy", "STUDIES",
]

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
        from neuromop.plots.neuromop import plot_reward_task

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
    """Two rooms joined by a narrow corridor in readout space; action entropy along the path."""

    room_offset: float = 0.5
    room_half: float = 0.25
    corridor_half: float = 0.08
    init_std: float = 0.3
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
        from neuromop.plots.neuromop import plot_corridor_task

        t0, out = _start(out_dir)
        mop = NeuroMOPController(self.make_env(), **_common_kw(self))
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
        from neuromop.plots.neuromop import plot_cartpole_task

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
    saturate (:meth:`~neuromop.envs.RateRNNEnv.transition_entropy`); ``beta > 0`` rewards
    non-saturating, noise-transmitting states. Entropies are of the next state discretised at
    ``entropy_resolution``.

    Measured at the default budget (seed 0): beta = 0 / 0.005 / 0.02 gave lifetimes 446 / 408 /
    231 steps, saturation 0.010 / 0.009 / 0.051, activity std 0.204 / 0.205 / 0.268, action
    dimensionality 11.0 / 11.5 / 11.1, action entropy 2.77 / 2.71 / 1.63 nats. The entropy
    term's sign is right (``H = H_0 + sum_i ln f'(h_i)``), but ``H_0`` is ~480 nats per step
    here, so ``beta = 0.02`` adds a near-constant 9.6 nats per step and raises the value scale
    from 28 to 124 nats; that this coarsens the fitted survival values is a hypothesis, untested.
    """

    half_width: float = 0.6
    noise_std: float = 0.3
    entropy_resolution: float = 1e-3
    betas: tuple[float, ...] = (0.0, 0.005, 0.02)
    saturation_level: float = 0.8
    BUDGET_OVERRIDES = {"smoke": dict(_SMOKE, betas=(0.0, 0.02)), "default": {},
                        "paper": _PAPER}

    def make_env(self):
        from neuromop.envs import RateRNNEnv, SquareBox

        return RateRNNEnv(self.n_neurons, num_envs=self.num_envs, g=self.g, dt=self.dt,
                          n_candidates=self.n_candidates, action_scale=self.action_scale,
                          noise_std=self.noise_std, noise_location="input",
                          entropy_resolution=self.entropy_resolution,
                          terminal=SquareBox((0, 1), self.half_width),
                          max_episode_steps=self.horizon, seed=self.seed)

    def run(self, out_dir, *, resume: bool = True, progress: bool = True) -> dict:
        """Train one MOP controller per ``beta``; saturation, std and action dimensionality."""
        from neuromop.analysis import participation_ratio
        from neuromop.control import NeuroMOPController
        from neuromop.plots.neuromop import plot_beta_sweep

        t0, out = _start(out_dir)
        ctrls = {f"MOP beta={b:g}": NeuroMOPController(self.make_env(), beta=b,
                                                       **_common_kw(self)) for b in self.betas}
        histories = train_all(self, ctrls, out, resume=resume, progress=progress)
        env = self.make_env()
        datasets, summary = _rollouts(self, env, ctrls, out)
        for name, ds in datasets.items():
            alive = ds["alive"].values
            act = ds["activity"].values[alive]
            summary[name]["saturation"] = float((np.abs(act) > self.saturation_level).mean())
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
        table += "\n" + "\n".join(
            f"{k}: saturation {v['saturation']:.3f}, action dimensionality "
            f"{v['action_dimensionality']:.1f}" for k, v in summary.items())
        return {"summary": summary, "histories": histories, "datasets": datasets,
                "figure": fig_path, "table": table, "seconds": seconds}


def _registry() -> dict:
    from neuromop.control.studies import EnergyStudy, SquareStudy

    return {"energy": EnergyStudy, "square": SquareStudy, "shapes": ShapesStudy,
            "reward": RewardStudy, "corridor": CorridorStudy, "cartpole": CartpoleStudy,
            "beta-sweep": BetaSweepStudy}


#: The NeuroMOP task studies by name (``neuromop run NAME``, ``analysis/neuromop_tasks.py``).
STUDIES = _registry()
