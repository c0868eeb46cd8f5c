"""End-to-end NeuroMOP studies (energy budget, square confinement): train, roll out, tabulate.

Each study trains a :class:`~neuromop.control.NeuroMOPController` and one or more
:class:`~neuromop.control.RewardController` (R networks) on the same fixed rate RNN, rolls out the
free network, the trained controllers (and a random controller) from the same initial states, and
writes into ``out_dir``:

- ``<name>/checkpoint.pt`` — per-epoch training checkpoints (a rerun resumes from them);
- ``rollout_<name>.nc`` — the rollout datasets (DESIGN.md schema);
- ``summary.json`` — configuration, per-controller metrics and training histories;
- ``table.txt`` — the comparison table also printed by the CLI;
- a figure (``energy_task.png`` / ``square_task.png``).

Budgets: ``smoke`` (seconds, for tests), ``default`` (a few minutes on 2 CPU cores),
``paper`` (larger networks and longer training).
"""

from __future__ import annotations

import dataclasses
import json
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from neuromop._checks import check_choice
from neuromop._io import atomic_path, write_json_atomic, write_netcdf_atomic

__all__ = ["EnergyStudy", "SquareStudy", "run_study", "format_table", "make_env", "BUDGETS"]

BUDGETS = ("smoke", "default", "paper")


@dataclass
class _Common:
    """Arguments shared by the rate-RNN studies (see the field comments for units)."""

    n_neurons: int = 100
    g: float = 2.0                      # recurrent gain (chaotic > 1)
    dt: float = 0.1                     # Euler step, units of tau
    n_candidates: int = 16              # K candidate current vectors (incl. zero)
    action_scale: float = 2.0           # std of each candidate current
    num_envs: int = 64                  # agents trained in parallel
    horizon: int = 500                  # steps per episode (truncation) and per rollout
    gamma: float = 0.9
    hidden: tuple[int, ...] = (128, 128)
    learning_rate: float = 1e-3
    epochs: int = 15
    steps_per_epoch: int = 100
    fit_iterations: int = 200
    batch_size: int = 256
    target_updates: int = 2
    eval_trials: int = 64
    seed: int = 0

    @classmethod
    def for_budget(cls, budget: str, **overrides):
        """Configuration of a budget, with keyword overrides."""
        check_choice("budget", budget, BUDGETS)
        base = dict(cls.BUDGET_OVERRIDES.get(budget, {}))
        base.update(overrides)
        return cls(**base)


@dataclass
class EnergyStudy(_Common):
    """Energy-budget task: terminal when the running activity cost exceeds ``max_energy``."""

    max_energy: float = 0.1
    energy_time_constant: float = 1.0   # units of tau
    epsilon: float = 0.05
    BUDGET_OVERRIDES = {
        "smoke": dict(n_neurons=40, num_envs=16, horizon=120, epochs=4, steps_per_epoch=30,
                      fit_iterations=60, hidden=(64,), eval_trials=16),
        "default": {},
        "paper": dict(n_neurons=500, epochs=60, num_envs=256, horizon=1000, eval_trials=256),
    }


@dataclass
class SquareStudy(_Common):
    """Square confinement: terminal when neurons 0 and 1 leave ``|x| <= half_width``."""

    half_width: float = 0.5
    epsilons: tuple[float, ...] = field(default=(0.0, 0.05, 0.2))
    BUDGET_OVERRIDES = {
        "smoke": dict(n_neurons=40, num_envs=16, horizon=120, epochs=4, steps_per_epoch=30,
                      fit_iterations=60, hidden=(64,), eval_trials=16, epsilons=(0.0, 0.2)),
        "default": {},
        "paper": dict(n_neurons=500, epochs=60, num_envs=256, horizon=1000, eval_trials=256,
                      epsilons=(0.0, 0.01, 0.05, 0.1, 0.2)),
    }


_SMOKE = dict(n_neurons=40, num_envs=16, horizon=120, epochs=4, steps_per_epoch=30,
              fit_iterations=60, hidden=(64,), eval_trials=16)
_PAPER = dict(n_neurons=500, epochs=60, num_envs=256, horizon=1000, eval_trials=256)


def _common_kw(study) -> dict:
    return dict(hidden=study.hidden, gamma=study.gamma, learning_rate=study.learning_rate,
                random_state=study.seed)


def _rollouts(study, env, controllers: dict, out: Path, **kw) -> tuple[dict, dict]:
    """Roll out each controller for ``study.horizon`` steps; write ``rollout_<name>.nc``."""
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


def _terminal(study):
    from neuromop.envs import EnergyBudget, SquareBox

    if isinstance(study, EnergyStudy):
        return EnergyBudget(study.max_energy, study.energy_time_constant)
    return SquareBox((0, 1), study.half_width)


def make_env(study, **overrides):
    """The rate-RNN environment of an energy/square study configuration."""
    from neuromop.envs import RateRNNEnv

    kw = dict(num_envs=study.num_envs, g=study.g, dt=study.dt, n_candidates=study.n_candidates,
              action_scale=study.action_scale, terminal=_terminal(study),
              max_episode_steps=study.horizon, seed=study.seed)
    kw.update(overrides)
    return RateRNNEnv(study.n_neurons, **kw)


def _controllers(study):
    from neuromop.control import NeuroMOPController, RewardController

    common = dict(hidden=study.hidden, gamma=study.gamma, learning_rate=study.learning_rate,
                  random_state=study.seed)
    out = {"MOP": NeuroMOPController(make_env(study), **common)}
    eps = (study.epsilon,) if isinstance(study, EnergyStudy) else study.epsilons
    for e in eps:
        name = "R" if len(eps) == 1 else f"R eps={e:g}"
        out[name] = RewardController(make_env(study), epsilon=e, **common)
    return out


def train_all(study, controllers: dict, out: Path, *, resume: bool, progress: bool) -> dict:
    """Train every learning controller with the study's loop settings; return histories."""
    from neuromop.control.fvi import train

    histories = {}
    for name, ctrl in controllers.items():
        train(ctrl, epochs=study.epochs, steps_per_epoch=study.steps_per_epoch,
              fit_iterations=study.fit_iterations, batch_size=study.batch_size,
              target_updates=study.target_updates, seed=study.seed,
              checkpoint_dir=out / _slug(name), resume=resume, progress=progress)
        histories[name] = ctrl.history_
    return histories


def write_outputs(study, out: Path, summary: dict, histories: dict, fig, seconds: float,
                  figure_name: str, extra: dict | None = None) -> tuple[Path, str]:
    """Write ``summary.json``, ``table.txt`` and the figure atomically; return (figure, table)."""
    from neuromop.plots import save_figure

    write_json_atomic(out / "summary.json", {
        "study": type(study).__name__, "config": _jsonable(dataclasses.asdict(study)),
        "summary": summary, "histories": histories, "seconds": seconds, **(extra or {})})
    table = format_table(summary)
    with atomic_path(out / "table.txt") as tmp:
        tmp.write_text(table + "\n")
    fig_path = save_figure(fig, out / figure_name)
    return fig_path, table


def run_study(study, out_dir, *, resume: bool = True, progress: bool = True) -> dict:
    """Train, roll out and compare free / random / MOP / R controllers; write outputs.

    Parameters
    ----------
    study : EnergyStudy, SquareStudy or one of :mod:`neuromop.studies.tasks`
        Configuration (see :meth:`EnergyStudy.for_budget`).
    out_dir : path-like
        Output folder (created).
    resume : bool
        Continue training from checkpoints in ``out_dir`` when present.
    progress : bool
        Show tqdm progress bars.

    Returns
    -------
    dict
        ``summary`` (controller name -> metrics dict), ``histories``, ``datasets`` (name ->
        rollout ``xr.Dataset``), ``figure`` (path), ``table`` (str), ``seconds``.
    """
    from neuromop.control import FreeController, RandomController, rollout, summarize_rollout

    if hasattr(study, "run"):
        return study.run(out_dir, resume=resume, progress=progress)
    if not isinstance(study, EnergyStudy | SquareStudy):
        raise TypeError(f"study must be a study configuration, got {type(study).__name__}")
    t0 = time.perf_counter()
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    controllers = _controllers(study)
    histories = train_all(study, controllers, out, resume=resume, progress=progress)
    env = make_env(study)
    evaluated = {"free": FreeController(env), "random": RandomController(env), **controllers}
    datasets, summary = {}, {}
    for name, ctrl in evaluated.items():
        ds = rollout(env, ctrl, study.horizon, n_trials=study.eval_trials, seed=study.seed + 1)
        ds.attrs["study"] = type(study).__name__
        datasets[name] = ds
        summary[name] = summarize_rollout(ds)
        write_netcdf_atomic(ds, out / f"rollout_{_slug(name)}.nc")
    if isinstance(study, EnergyStudy):
        summary["MOP"]["entropy_by_distance"] = entropy_by_distance(datasets["MOP"],
                                                                    study.max_energy)
    from neuromop.plots.tasks import plot_energy_task, plot_square_task

    energy = isinstance(study, EnergyStudy)
    fig = (plot_energy_task if energy else plot_square_task)(datasets, summary, histories, study)
    seconds = time.perf_counter() - t0
    fig_path, table = write_outputs(study, out, summary, histories, fig, seconds,
                                    "energy_task.png" if energy else "square_task.png")
    return {"summary": summary, "histories": histories, "datasets": datasets,
            "figure": fig_path, "table": table, "seconds": seconds}


def entropy_by_distance(ds, max_energy: float, n_bins: int = 6) -> dict[str, list[float]]:
    """Mean action entropy in bins of the distance to the energy threshold (alive steps).

    Bin edges are quantiles of the distance ``max_energy - E`` over alive steps, so every bin
    holds data; returns ``{"distance": bin centres, "entropy": means, "count": sizes}``.
    """
    alive = ds["alive"].values[:, :-1]
    dist = max_energy - ds["energy"].values[:, :-1][alive]
    ent = ds["action_entropy"].values[:, :-1][alive]
    if dist.size < n_bins:
        return {"distance": [], "entropy": [], "count": []}
    edges = np.unique(np.quantile(dist, np.linspace(0, 1, n_bins + 1)))
    which = np.clip(np.searchsorted(edges, dist, side="right") - 1, 0, len(edges) - 2)
    centres, means, counts = [], [], []
    for b in range(len(edges) - 1):
        m = which == b
        if m.any():
            centres.append(float(np.median(dist[m])))
            means.append(float(ent[m].mean()))
            counts.append(int(m.sum()))
    return {"distance": centres, "entropy": means, "count": counts}


def format_table(summary: dict) -> str:
    """Plain-text table of lifetime, action entropy, activity std and participation ratio."""
    head = (f"{'controller':<20}{'lifetime':>10}{'± sem':>8}{'survival':>10}"
            f"{'H(a) nats':>11}{'act. std':>10}{'PR':>8}")
    rows = [head, "-" * len(head)]
    for name, s in summary.items():
        rows.append(f"{name:<20}{s['lifetime']:>10.1f}{s['lifetime_sem']:>8.1f}"
                    f"{s['survival']:>10.2f}{s['action_entropy']:>11.3f}"
                    f"{s.get('activity_std', float('nan')):>10.3f}"
                    f"{s.get('participation_ratio', float('nan')):>8.1f}")
    return "\n".join(rows)


def _slug(name: str) -> str:
    return name.lower().replace(" ", "_").replace("=", "")


def _jsonable(obj):
    return json.loads(json.dumps(obj, default=str))
