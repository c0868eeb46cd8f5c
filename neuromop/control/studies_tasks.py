"""More NeuroMOP studies: six shapes, mu reward sweep, corridor, cartpole, beta sweep.

Same conventions and outputs as :mod:`neuromop.control.studies` (checkpoints per controller,
``rollout_*.nc``, ``summary.json``, ``table.txt``, a figure); each configuration has
``for_budget(budget, **overrides)`` and ``run(out_dir, resume=, progress=)``.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import xarray as xr

from neuromop._io import write_netcdf_atomic
from neuromop.control.studies import _Common, _slug, train_all, write_outputs

__all__ = [
    "ShapesStudy", "readout_spread", "spread_history", "format_spread", "RewardStudy",
    "CorridorStudy", "CartpoleStudy", "BetaSweepStudy", "STUDIES",
]

_SMOKE = dict(n_neurons=40, num_envs=16, horizon=120, epochs=4, steps_per_epoch=30,
              fit_iterations=60, hidden=(64,), eval_trials=16)
_PAPER = dict(n_neurons=500, epochs=60, num_envs=256, horizon=1000, eval_trials=256)


def _common_kw(study) -> dict:
    return dict(hidden=study.hidden, gamma=study.gamma, learning_rate=study.learning_rate,
                random_state=study.seed)


def _rollouts(study, env, controllers: dict, out: Path, **kw) -> tuple[dict, dict]:
    from neuromop.control import rollout, summarize_rollout

    datasets, summary = {}, {}
    for name, ctrl in controllers.items():
        ds = rollout(env, ctrl, study.horizon, n_trials=study.eval_trials, seed=study.seed + 1,
                     **kw)
        ds.attrs["study"] = type(study).__name__
        datasets[name] = ds
        summary[name] = summarize_rollout(ds)
        write_netcdf_atomic(ds, out / f"rollout_{_slug(name)}.nc")
    return datasets, summary


def _start(out_dir) -> tuple[float, Path]:
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    return time.perf_counter(), out


@dataclass
class ShapesStudy(_Common):
    """Six shapes: terminal when the 2-D readout leaves the shape chosen by a one-hot context.

    After every training epoch the current MOP controller is rolled out for ``spread_horizon``
    steps from the same ``spread_trials`` initial states per context (drawn once from
    ``seed + 2``, with the same action-sampling seed every epoch), and the spread of the 2-D
    readout over the alive steps of each context is recorded (:func:`readout_spread`): the
    paper's "trajectory std over training", without the early crashes of training episodes.
    """

    shape_scale: float = 1.0
    context_scale: float = 1.0
    init_std: float = 0.3
    spread_trials: int = 16             # evaluation trials per context, every epoch
    spread_horizon: int = 200           # steps per evaluation trial
    BUDGET_OVERRIDES = {"smoke": dict(_SMOKE, spread_trials=8, spread_horizon=100),
                        "default": {},
                        "paper": dict(_PAPER, spread_trials=32, spread_horizon=500)}

    def make_env(self, **kw):
        from neuromop.envs import RateRNNEnv, ShapeSet

        return RateRNNEnv(self.n_neurons, num_envs=self.num_envs, g=self.g, dt=self.dt,
                          n_candidates=self.n_candidates, action_scale=self.action_scale,
                          n_readouts=2, n_contexts=6, context_scale=self.context_scale,
                          terminal=ShapeSet(self.shape_scale), init_std=self.init_std,
                          max_episode_steps=self.horizon, seed=self.seed, **kw)

    def spread_initial_states(self, env):
        """The fixed evaluation start states: ``spread_trials`` per context, context-major."""
        import torch

        from neuromop.envs import SHAPES

        gen = torch.Generator().manual_seed(self.seed + 2)
        blocks = []
        try:
            for c in range(len(SHAPES)):
                env.context_index = c
                blocks.append(env.initial_states(self.spread_trials, gen))
        finally:
            env.context_index = None
        return torch.cat(blocks)

    def evaluate_spread(self, controller, env, initial_states) -> dict:
        """Roll ``controller`` out from ``initial_states``; per-shape readout spread (dicts)."""
        from neuromop.control import rollout

        ds = rollout(env, controller, self.spread_horizon, n_trials=initial_states.shape[0],
                     seed=self.seed + 2, record_activity=False, initial_states=initial_states)
        spread = readout_spread(ds)
        return {key: dict(zip(spread["context"].values.tolist(), spread[key].values.tolist()))
                for key in ("readout_std", "alive_fraction")}

    def _train_mop(self, mop, out: Path, *, resume: bool, progress: bool) -> list[dict]:
        """Train MOP, adding the evaluation spread to every epoch record of its history."""
        from neuromop.control.training import train

        env = self.make_env()
        starts = self.spread_initial_states(env)
        kw = dict(steps_per_epoch=self.steps_per_epoch, fit_iterations=self.fit_iterations,
                  batch_size=self.batch_size, target_updates=self.target_updates,
                  seed=self.seed, checkpoint_dir=out / "mop")
        pending = {}
        if resume:
            # restore the last checkpoint: its own epoch record was saved before its evaluation
            train(mop, epochs=0, resume=True, progress=False, **kw)
            if mop.history_ and "readout_std" not in mop.history_[-1]:
                pending[mop.history_[-1]["epoch"]] = self.evaluate_spread(mop, env, starts)

        def measure(epoch: int, record: dict) -> None:
            record.update(self.evaluate_spread(mop, env, starts))

        train(mop, epochs=self.epochs, resume=resume, progress=progress, callback=measure, **kw)
        for record in mop.history_:
            if "readout_std" not in record:
                record.update(pending[record["epoch"]])
        return mop.history_

    def run(self, out_dir, *, resume: bool = True, progress: bool = True) -> dict:
        """Train MOP; roll out free and MOP in every context; per-context lifetimes.

        Also writes ``spread_history.nc`` (:func:`spread_history`, the readout std over
        training) and adds it to ``summary.json`` under ``spread_history``.
        """
        from neuromop.control import FreeController, NeuroMOPController
        from neuromop.envs import SHAPES
        from neuromop.plots.neuromop import plot_shapes_task

        t0, out = _start(out_dir)
        mop = NeuroMOPController(self.make_env(), **_common_kw(self))
        histories = {"MOP": self._train_mop(mop, out, resume=resume, progress=progress)}
        spread = spread_history(histories["MOP"], self)
        write_netcdf_atomic(spread, out / "spread_history.nc")
        env = self.make_env()
        datasets, summary = {}, {}
        for c, (shape, _) in enumerate(SHAPES):
            env.context_index = c
            ds, sm = _rollouts(self, env, {f"free {shape}": FreeController(env),
                                           f"MOP {shape}": mop}, out)
            datasets.update(ds)
            summary.update(sm)
        fig = plot_shapes_task(datasets, histories, self)
        seconds = time.perf_counter() - t0
        extra = {"spread_history": {
            "epoch": spread["epoch"].values.tolist(), "context": spread["context"].values.tolist(),
            **{k: spread[k].values.tolist() for k in ("readout_std", "alive_fraction")}}}
        fig_path, table = write_outputs(self, out, summary, histories, fig, seconds,
                                        "shapes_task.png", extra=extra)
        table += "\n" + format_spread(spread)
        return {"summary": summary, "histories": histories, "datasets": datasets,
                "spread": spread, "figure": fig_path, "table": table, "seconds": seconds}


def readout_spread(ds) -> xr.Dataset:
    """Spread of the 2-D readout over alive steps, per context, pooled over trials and time.

    Parameters
    ----------
    ds : xarray.Dataset
        Rollout of a six-shapes environment (``readout`` (trial, time, readout), ``alive``,
        ``context`` (trial, time)); a trial's context is its context at time 0.

    Returns
    -------
    xarray.Dataset
        Along ``context`` (shape names): ``readout_std`` (readout units) =
        ``sqrt(mean_axis var)``, the root mean over the two readout axes of the variance
        (ddof=1) of all alive samples of the context's trials (NaN with < 2 samples);
        ``alive_fraction``, the fraction of the context's (trial, time) points that are alive;
        ``n_trials``.
    """
    from neuromop.envs import SHAPES

    names = [name for name, _ in SHAPES]
    ro = ds["readout"].values[..., :2]
    alive = ds["alive"].values
    onehot = ds["context"].values[:, 0][:, None] == np.arange(len(names))  # (trial, context)
    w = alive[:, :, None] & onehot[:, None, :]                               # (trial, time, ctx)
    n = w.sum(axis=(0, 1)).astype(float)
    s1 = np.einsum("tsc,tsr->cr", w, ro)
    s2 = np.einsum("tsc,tsr->cr", w, ro * ro)
    with np.errstate(invalid="ignore", divide="ignore"):
        var = (s2 - s1 * s1 / n[:, None]) / (n[:, None] - 1)
        std = np.where(n >= 2, np.sqrt(np.clip(var, 0.0, None).mean(axis=1)), np.nan)
    n_trials = onehot.sum(axis=0)
    frac = n / np.maximum(n_trials * alive.shape[1], 1)
    out = xr.Dataset({"readout_std": ("context", std),
                      "alive_fraction": ("context", np.where(n_trials > 0, frac, np.nan)),
                      "n_trials": ("context", n_trials)}, coords={"context": names})
    out["readout_std"].attrs["units"] = "readout units"
    return out


def spread_history(history: list[dict], study=None) -> xr.Dataset:
    """The per-epoch readout spread of a :class:`ShapesStudy` history as ``(epoch, context)``.

    Parameters
    ----------
    history : list of dict
        Training records with ``epoch`` and the ``readout_std`` / ``alive_fraction`` dicts
        (shape name -> value) added by :meth:`ShapesStudy.evaluate_spread`.
    study : ShapesStudy, optional
        Its evaluation settings go into the provenance.

    Returns
    -------
    xarray.Dataset
        ``readout_std`` and ``alive_fraction`` with dims ``(epoch, context)``.
    """
    from neuromop._provenance import provenance

    missing = [h.get("epoch") for h in history if "readout_std" not in h]
    if not history or missing:
        raise ValueError("history must be a non-empty list of epoch records with readout_std, "
                         f"got {len(history)} records, epochs without it: {missing}")
    names = list(history[0]["readout_std"])
    data = {k: (("epoch", "context"), np.array([[h[k][c] for c in names] for h in history],
                                               dtype=float))
            for k in ("readout_std", "alive_fraction")}
    ds = xr.Dataset(data, coords={"epoch": [int(h["epoch"]) for h in history], "context": names})
    ds["readout_std"].attrs["units"] = "readout units"
    params = {} if study is None else dict(spread_trials=study.spread_trials,
                                           spread_horizon=study.spread_horizon,
                                           seed=study.seed)
    ds.attrs.update(provenance("neuromop.control.studies_tasks.spread_history", **params))
    return ds


def format_spread(spread: xr.Dataset) -> str:
    """Plain-text table: readout std (alive fraction) per context, first and last epoch."""
    first, last = spread.isel(epoch=0), spread.isel(epoch=-1)
    rows = [f"readout std over training (alive fraction), epoch {int(first['epoch'])} -> "
            f"{int(last['epoch'])}:"]
    for c in spread["context"].values:
        rows.append(f"  {c:<16}{float(first['readout_std'].sel(context=c)):.3f} "
                    f"({float(first['alive_fraction'].sel(context=c)):.2f}) -> "
                    f"{float(last['readout_std'].sel(context=c)):.3f} "
                    f"({float(last['alive_fraction'].sel(context=c)):.2f})")
    return "\n".join(rows)


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
