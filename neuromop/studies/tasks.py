"""More NeuroMOP studies: mu reward sweep, corridor, continuous cartpole, beta sweep.

Same protocol and outputs as :mod:`neuromop.studies.rate_rnn` (checkpoints per controller,
``rollout_*.nc``, ``summary.json``, ``table.txt``, a figure).
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import ClassVar

import numpy as np
import xarray as xr

from neuromop._checks import check_int, check_real
from neuromop.analysis import participation_ratio
from neuromop.envs import ContinuousCartpoleEnv, Corridor, InnerSquareReward, SquareBox
from neuromop.envs.rate_rnn import antithetic_candidates
from neuromop.plots.tasks import (
    plot_beta_sweep,
    plot_cartpole_task,
    plot_corridor_task,
    plot_reward_task,
)
from neuromop.studies.protocol import StudyResult
from neuromop.studies.rate_rnn import PAPER, SMOKE, ControlStudy, RateRNNStudy, format_table

__all__ = ["BetaSweepStudy", "CartpoleStudy", "CorridorStudy", "RewardStudy",
           "corridor_entropy_contrast", "entropy_by_region", "format_beta_table",
           "inner_occupancy", "input_drive_statistics", "room_crossings"]


@dataclass
class RewardStudy(RateRNNStudy):
    """Square confinement plus an extrinsic reward ``mu`` inside an inner square (mu sweep).

    One MOP controller per ``mus`` entry; the table adds each one's occupancy of the inner
    square (:func:`inner_occupancy`). ``action_scale = 1.0`` as in
    :class:`~neuromop.studies.SquareStudy`: with currents of std 2 every controller survives
    every training episode from the first epoch, so lifetime over epochs shows nothing.
    """

    half_width: float = 0.5
    inner_half_width: float = 0.2
    action_scale: float = 1.0
    mus: tuple[float, ...] = (0.0, 0.1, 0.5)    # the paper's values (smoke: 0 and 4)

    name: ClassVar[str] = "reward"
    BUDGETS: ClassVar[dict[str, dict]] = {"smoke": dict(SMOKE, mus=(0.0, 4.0)), "default": {},
                                          "paper": PAPER}

    def terminal(self):

        return (SquareBox((0, 1), self.half_width)
                | InnerSquareReward((0, 1), self.inner_half_width, mu=1.0))

    def run(self, out_dir, *, resume: bool = True, progress: bool = True) -> StudyResult:
        """Train one MOP controller per ``mu``; occupancy of the inner square."""
        from neuromop.control import NeuroMOPController

        started = time.perf_counter()
        out = self.prepare(out_dir, resume=resume)
        ctrls = {f"MOP mu={mu:g}": NeuroMOPController(self.make_env(), mu=mu,
                                                      **self.controller_kwargs())
                 for mu in self.mus}
        histories = self.train_all(ctrls, out, resume=resume, progress=progress)
        datasets, metrics = self.rollouts(self.make_env(), ctrls)
        named = dict(zip(metrics, datasets.values()))
        for name, ds in named.items():
            metrics[name]["inner_occupancy"] = inner_occupancy(ds, self.inner_half_width)
        fig = plot_reward_task(named, metrics, histories, self)
        table = format_table(metrics) + "\ninner-square occupancy: " + ", ".join(
            f"{k}: {v['inner_occupancy']:.3f}" for k, v in metrics.items())
        return self.result(out, started=started, datasets=datasets, metrics=metrics,
                           histories=histories, figure=fig, table=table)


def inner_occupancy(ds, half_width: float) -> float:
    """Fraction of alive time points with neurons 0 and 1 inside ``|x| <= half_width``."""
    act = ds["activity"].values[..., :2]
    alive = ds["alive"].values
    inside = (np.abs(act) <= half_width).all(axis=-1)
    return float(inside[alive].mean()) if alive.any() else float("nan")


@dataclass
class CorridorStudy(RateRNNStudy):
    """Two rooms joined by a narrow corridor in readout space; action entropy along the path.

    ``initial_value = 0.0``: training starts from the uninformed controller (uniformly random
    currents), so the per-epoch ``termination_rate`` of the training history shows what
    training adds. The table adds MOP's action entropy in the left room, the corridor and the
    right room (:func:`entropy_by_region`), the corridor's minus the rooms'
    (``entropy_corridor_minus_rooms``, :func:`corridor_entropy_contrast`) and the room-to-room
    crossings per trial of every controller (:func:`room_crossings`).
    """

    room_offset: float = 0.5
    room_half: float = 0.25
    corridor_half: float = 0.08
    init_std: float = 0.3
    initial_value: float | None = 0.0   # V at the start of training (None: optimistic)

    name: ClassVar[str] = "corridor"

    def terminal(self):

        return Corridor(self.room_offset, self.room_half, self.corridor_half)

    def env_kwargs(self) -> dict:
        return {**super().env_kwargs(), "n_readouts": 2, "init_std": self.init_std}

    def run(self, out_dir, *, resume: bool = True, progress: bool = True) -> StudyResult:
        """Train MOP; roll out free / random / MOP; action entropy per region."""
        from neuromop.control import FreeController, NeuroMOPController, RandomController

        started = time.perf_counter()
        out = self.prepare(out_dir, resume=resume)
        mop = NeuroMOPController(self.make_env(), initial_value=self.initial_value,
                                 **self.controller_kwargs())
        histories = self.train_all({"MOP": mop}, out, resume=resume, progress=progress)
        env = self.make_env()
        datasets, metrics = self.rollouts(env, {"free": FreeController(env),
                                                "random": RandomController(env), "MOP": mop})
        named = dict(zip(metrics, datasets.values()))
        metrics["MOP"]["entropy_by_region"] = entropy_by_region(named["MOP"], env.terminal)
        metrics["MOP"]["entropy_corridor_minus_rooms"] = corridor_entropy_contrast(
            named["MOP"], env.terminal)
        for name, ds in named.items():
            metrics[name]["room_crossings"] = room_crossings(ds, env.terminal)
        fig = plot_corridor_task(named, metrics, histories, self)
        table = (format_table(metrics) + "\nMOP action entropy by region: " + ", ".join(
            f"{k}: {v:.3f}" for k, v in metrics["MOP"]["entropy_by_region"].items())
            + "\nroom-to-room crossings per trial: " + ", ".join(
                f"{k}: {v['room_crossings']:.2f}" for k, v in metrics.items()))
        return self.result(out, started=started, datasets=datasets, metrics=metrics,
                           histories=histories, figure=fig, table=table)


def _entropy_and_region(ds, corridor):
    """Action entropy (nats) and region code (0 left, 1 corridor, 2 right, -1 outside) of the
    alive steps of a corridor rollout, flattened."""
    import torch

    alive = ds["alive"].values[:, :-1]
    region = corridor.region(torch.as_tensor(ds["readout"].values[:, :-1])).numpy()
    return ds["action_entropy"].values[:, :-1][alive], region[alive]


def entropy_by_region(ds, corridor) -> dict[str, float]:
    """Mean action entropy (nats) of alive steps in the left room, the corridor, the right room."""
    ent, region = _entropy_and_region(ds, corridor)
    out = {}
    for code, name in ((0, "left room"), (1, "corridor"), (2, "right room")):
        m = region == code
        out[name] = float(ent[m].mean()) if m.any() else float("nan")
    return out


def corridor_entropy_contrast(ds, corridor) -> float:
    """Mean action entropy (nats) of alive steps in the corridor minus that of alive steps in
    either room (pooled); negative when the agent acts less variably in the narrow passage.
    NaN when the rollout visits only the corridor or only the rooms."""
    ent, region = _entropy_and_region(ds, corridor)
    inside, rooms = region == 1, (region == 0) | (region == 2)
    if not (inside.any() and rooms.any()):
        return float("nan")
    return float(ent[inside].mean() - ent[rooms].mean())


def room_crossings(ds, corridor) -> float:
    """Mean number of room-to-room crossings per trial (alive steps of a corridor rollout).

    A crossing is a visit to one room after the last room visited was the other one (the
    corridor in between does not count as a room); a trial that never leaves its room has 0.
    """
    import torch

    alive = ds["alive"].values
    region = corridor.region(torch.as_tensor(ds["readout"].values)).numpy()
    room = np.where(alive & (region != 1) & (region >= 0), region, -1)  # 0 left, 2 right
    # carry the last room visited forward along time, then count its changes
    idx = np.where(room >= 0, np.arange(room.shape[1]), 0)
    last = np.maximum.accumulate(idx, axis=1)
    seen = np.maximum.accumulate(room >= 0, axis=1)
    carried = np.where(seen, np.take_along_axis(room, last, axis=1), -1)
    changes = (carried[:, 1:] != carried[:, :-1]) & (carried[:, :-1] >= 0)
    return float(changes.sum(axis=1).mean())


@dataclass
class CartpoleStudy(ControlStudy):
    """Continuous cartpole balanced by NeuroMOP and an R network (physics of the grid world).

    Both controllers train on the states their agents visit plus ``coverage_states`` states
    drawn uniformly from the arena each epoch (:func:`~neuromop.control.train`). Every
    controller's row adds the spread of its (x, theta) occupancy, ``x_std`` (m) and
    ``theta_std`` (rad), the standard deviations over all alive steps.

    With ``referee_points > 0`` the exact MOP solution of the same physics and discount on a
    grid of ``referee_points`` per dimension (:func:`~neuromop.mdp.worlds.solve_cartpole_grid`)
    acts as one more controller, ``exact MOP``
    (:class:`~neuromop.control.ExactCartpoleController`), from the same starts, and the trained
    MOP's row adds ``value_spearman_exact`` (rank correlation of its value with the exact one
    on the states it visits) and ``value_excess_exact`` (its mean value minus the exact one,
    nats).
    """

    horizon: int = 1000                 # steps per episode and rollout (the paper's)
    gamma: float = 0.98
    epsilon: float = 0.05
    hidden: tuple[int, ...] = (64, 64)
    noise_std: float = 0.0
    referee_points: int = 21            # grid points per dimension of the exact referee; 0: none
    coverage_states: int = 6400         # uniform states added to each epoch's training set
                                        # (as many as num_envs * steps_per_epoch visited)

    name: ClassVar[str] = "cartpole"
    OPTIONS: ClassVar[dict[str, dict]] = {
        **ControlStudy.OPTIONS,
        "referee_points": dict(type=int, metavar="N",
                               help="grid points per dimension of the exact MOP solution that "
                                    "acts as the 'exact MOP' controller and referees the "
                                    "trained MOP's value (default 21: about 10 s; 0: none)"),
        "coverage_states": dict(type=int, metavar="N",
                                help="states drawn uniformly from the arena and added to each "
                                     "epoch's training set (default: the budget's, as many as "
                                     "the agents visit, 6400; 0: visited states only)"),
    }
    BUDGETS: ClassVar[dict[str, dict]] = {
        "smoke": dict(num_envs=16, horizon=150, epochs=5, steps_per_epoch=50, fit_iterations=80,
                      hidden=(32, 32), eval_trials=16, referee_points=9, coverage_states=800),
        "default": {},
        "paper": dict(epochs=60, num_envs=256, horizon=1000, eval_trials=256, hidden=(128, 128),
                      coverage_states=25600),
    }

    def __post_init__(self) -> None:
        super().__post_init__()
        check_int("referee_points", self.referee_points, low=0)
        check_int("coverage_states", self.coverage_states, low=0)
        if self.referee_points and self.noise_std:
            raise ValueError(f"referee_points={self.referee_points} needs noise_std=0 (the exact "
                             f"grid solution is of the deterministic cartpole), got "
                             f"noise_std={self.noise_std}; set referee_points=0")
        if self.referee_points in (1, 2):
            raise ValueError(f"referee_points must be 0 (no referee) or >= 3, got "
                             f"{self.referee_points}")

    def train_kwargs(self) -> dict:
        """:meth:`ControlStudy.train_kwargs` and ``coverage_states``."""
        return {**super().train_kwargs(), "coverage_states": self.coverage_states}

    def make_env(self, **overrides):

        kw = {"noise_std": self.noise_std, "max_episode_steps": self.horizon, **overrides}
        return ContinuousCartpoleEnv(kw.pop("num_envs", self.num_envs), **kw)

    def run(self, out_dir, *, resume: bool = True, progress: bool = True) -> StudyResult:
        """Train MOP and R; roll out random / untrained MOP / MOP / R (/ exact MOP); theta-x
        occupancy."""
        from neuromop.control import (
            ExactCartpoleController,
            NeuroMOPController,
            RandomController,
            RewardController,
            cartpole_value_comparison,
        )
        from neuromop.mdp.worlds import solve_cartpole_grid

        started = time.perf_counter()
        out = self.prepare(out_dir, resume=resume)
        kw = self.controller_kwargs()
        ctrls = {"MOP": NeuroMOPController(self.make_env(), **kw),
                 "R": RewardController(self.make_env(), epsilon=self.epsilon, **kw)}
        histories = self.train_all(ctrls, out, resume=resume, progress=progress)
        env = self.make_env()
        untrained = NeuroMOPController(self.make_env(), **kw)  # one-step lookahead only
        exact = {}
        if self.referee_points:
            solution = solve_cartpole_grid(self.referee_points, "mop", gamma=self.gamma,
                                           params=env.params)
            exact["exact MOP"] = ExactCartpoleController(env, solution)
        datasets, metrics = self.rollouts(env, {"random": RandomController(env),
                                                "untrained MOP": untrained, **ctrls, **exact})
        for name, ds in zip(metrics, datasets.values()):  # (x, theta) occupancy's spread
            alive = ds["alive"].values
            metrics[name]["x_std"] = float(ds["x"].values[alive].std())
            metrics[name]["theta_std"] = float(ds["theta"].values[alive].std())
        table = format_table(metrics)
        ds = datasets["rollout_mop"]
        states = ds["activity"].values[ds["alive"].values]
        if exact and len(states) >= 2:
            compared = cartpole_value_comparison(ctrls["MOP"], solution, states)
            metrics["MOP"]["value_spearman_exact"] = compared["spearman"]
            metrics["MOP"]["value_excess_exact"] = compared["value_excess"]
            table += (f"\nMOP's value against the exact one ({self.referee_points}^4 grid) on the "
                      f"{len(states)} states it visits:\n  rank correlation "
                      f"{compared['spearman']:.2f}; mean {compared['value_fitted_mean']:.1f} "
                      f"against {compared['value_exact_mean']:.1f} nats")
        named = dict(zip(metrics, datasets.values()))
        fig = plot_cartpole_task(named, metrics, histories, self)
        return self.result(out, started=started, datasets=datasets, metrics=metrics,
                           histories=histories, figure=fig, table=table)


@dataclass
class BetaSweepStudy(RateRNNStudy):
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
    about half its curvature times ``u_i^2``); only the first-order part
    ``-2 sum_i tanh(h_i) u_i`` can favour a non-zero current. With strong Gaussian candidates
    the zero current has the highest next-state entropy almost everywhere, and ``beta > 0``
    then means "do not act". Default: 17 antithetic candidates of std ``action_scale = 1.0``
    (as in the six-shapes task), beta = 0 / 0.005 / 0.02. The constant ``H_0`` dominates the
    beta term, which makes survival worth more per step as beta grows. The measured effects
    (and why no test asserts a direction at the smoke budget) are in
    ``notebooks/neuromop_tasks.py``.
    """

    half_width: float = 0.6
    noise_std: float = 0.3
    entropy_resolution: float = 1e-3
    n_candidates: int = 17
    action_scale: float = 1.0
    antithetic: bool = True
    betas: tuple[float, ...] = (0.0, 0.005, 0.02)
    saturation_level: float = 0.8

    name: ClassVar[str] = "beta-sweep"
    BUDGETS: ClassVar[dict[str, dict]] = {"smoke": dict(SMOKE, betas=(0.0, 0.02)), "default": {},
                                          "paper": PAPER}

    def terminal(self):

        return SquareBox((0, 1), self.half_width)

    def env_kwargs(self) -> dict:
        streams = self.random_streams()
        cand = (antithetic_candidates(self.n_candidates, self.n_neurons, self.action_scale,
                                      streams["extra"]) if self.antithetic else None)
        return {**super().env_kwargs(), "candidate_actions": cand, "noise_std": self.noise_std,
                "noise_location": "input", "entropy_resolution": self.entropy_resolution}

    def run(self, out_dir, *, resume: bool = True, progress: bool = True) -> StudyResult:
        """Train one MOP controller per ``beta``; saturation, std and action dimensionality."""
        from neuromop.control import NeuroMOPController

        started = time.perf_counter()
        out = self.prepare(out_dir, resume=resume)
        ctrls = {f"MOP beta={b:g}": NeuroMOPController(self.make_env(), beta=b,
                                                       **self.controller_kwargs())
                 for b in self.betas}
        histories = self.train_all(ctrls, out, resume=resume, progress=progress)
        env = self.make_env()
        datasets, metrics = self.rollouts(env, ctrls)
        named = dict(zip(metrics, datasets.values()))
        for name, ds in named.items():
            metrics[name].update(input_drive_statistics(env, ds, self.saturation_level))
            alive = ds["alive"].values
            chosen = ds["action"].values[:, :-1][alive[:, :-1]]
            currents = env.currents.numpy()[chosen]
            metrics[name]["action_dimensionality"] = (
                float(participation_ratio(xr.DataArray(currents, dims=("sample", "neuron")),
                                          sample_dims="sample"))
                if len(currents) >= 4 else float("nan"))
        fig = plot_beta_sweep(named, metrics, histories, self)
        table = format_table(metrics) + "\n" + format_beta_table(metrics)
        return self.result(out, started=started, datasets=datasets, metrics=metrics,
                           histories=histories, figure=fig, table=table)


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
