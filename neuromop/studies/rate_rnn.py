"""NeuroMOP on a chaotic rate RNN: the shared machinery, the energy and the square studies.

Each study trains a :class:`~neuromop.control.NeuroMOPController` (and, where the task has
one, :class:`~neuromop.control.RewardController` R networks) on the same fixed rate RNN, rolls
out the free network, the trained controllers and a random controller from the same initial
states, and writes into its output folder:

- ``<controller>/checkpoint.pt`` -- per-epoch training checkpoints (a rerun with the same
  settings resumes from them);
- ``rollout_<controller>.nc`` -- the rollout datasets (``(trial, time, neuron)``);
- ``summary.json`` -- per-controller metrics (``summary["controllers"]``), training histories
  (``summary["histories"]``), settings and provenance;
- ``table.txt`` -- the comparison table the CLI prints; a figure (``<name>_task.png``).

Random streams (spawned from ``seed``): ``network`` (weights and candidate currents),
``training`` (initial value-network weights and the training loop) and ``evaluation`` (initial
states, actions and noise of the rollouts; the same for every controller).
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import ClassVar

import numpy as np

from neuromop._checks import check_int, check_real
from neuromop.envs import EnergyBudget, RateRNNEnv, SquareBox
from neuromop.plots.tasks import plot_energy_task, plot_square_task
from neuromop.studies.protocol import Study, StudyResult

__all__ = ["ControlStudy", "EnergyStudy", "RateRNNStudy", "SquareStudy", "entropy_by_distance",
           "format_table", "slug"]

#: Budget overrides shared by the rate-RNN studies.
SMOKE = dict(n_neurons=40, num_envs=16, horizon=120, epochs=4, steps_per_epoch=30,
             fit_iterations=60, hidden=(64,), eval_trials=16)
PAPER = dict(n_neurons=500, epochs=60, num_envs=256, horizon=1000, eval_trials=256)


@dataclass
class ControlStudy(Study):
    """Settings of every study that trains controllers by fitted value iteration."""

    num_envs: int = 64                  # agents trained in parallel
    horizon: int = 500                  # steps per episode (truncation) and per rollout
    gamma: float = 0.9
    hidden: tuple[int, ...] = (128, 128)
    learning_rate: float = 1e-3
    optimizer: str = "adam"             # "adam", "sgd" or "rmsprop"
    epochs: int = 30                    # 15 left training short: see benchmarks/fvi_ablation.py
    steps_per_epoch: int = 100
    fit_iterations: int = 200
    batch_size: int = 256
    target_updates: int = 2
    replay_epochs: int = 1              # epochs whose visited states form the training set
    pre_terminal_steps: int = 20        # steps before each termination kept in the training
                                        # set (see benchmarks/fvi_referee.py)
    average_epochs: int = 1             # trained network = weight average of the last epochs
    pessimistic_targets: bool = False   # targets: min over the current and previous target net
    final_learning_rate: float | None = None  # cosine-annealed to this at the last epoch
    eval_trials: int = 64

    STREAMS: ClassVar[tuple[str, ...]] = ("network", "training", "evaluation", "extra")
    REPLICABLE: ClassVar[bool] = True
    OPTIONS: ClassVar[dict[str, dict]] = {
        "epochs": dict(type=int, metavar="N",
                       help="training epochs of every controller (default: the budget's, 30; "
                            "the energy MOP's survival rose from 0.81 at 30 to 0.92 at 90 with "
                            "a constant learning rate; annealed: 0.90 at 30, 0.89 at 60)"),
        "replay_epochs": dict(type=int, metavar="N",
                              help="epochs whose visited states form the training set "
                                   "(default: the budget's, 1)"),
        "final_learning_rate": dict(
            type=float, metavar="LR",
            help="anneal every controller's learning rate (1e-3) along half a cosine to LR at "
                 "the last epoch; 1e-3 keeps it constant (default: the study's, constant but "
                 "on the energy task, which anneals to 1e-4)"),
    }
    #: Training sizes that must be positive ints (``pre_terminal_steps`` may be 0).
    POSITIVE: ClassVar[tuple[str, ...]] = (
        "num_envs", "horizon", "epochs", "steps_per_epoch", "fit_iterations", "batch_size",
        "target_updates", "replay_epochs", "average_epochs", "eval_trials")

    def __post_init__(self) -> None:
        super().__post_init__()
        for name in self.POSITIVE:
            check_int(name, getattr(self, name), low=1)
        check_int("pre_terminal_steps", self.pre_terminal_steps, low=0)
        if self.final_learning_rate is not None:
            check_real("final_learning_rate", self.final_learning_rate, low=0.0,
                       high=self.learning_rate, low_inclusive=False)

    # ------------------------------------------------------------------ building blocks
    def make_env(self, **overrides):
        """A fresh environment of the task."""
        raise NotImplementedError

    def controller_kwargs(self) -> dict:
        """Keyword arguments shared by the learning controllers."""
        return dict(hidden=self.hidden, gamma=self.gamma, learning_rate=self.learning_rate,
                    optimizer=self.optimizer, random_state=self.random_streams()["training"])

    def train_all(self, controllers: dict, out: Path, *, resume: bool,
                  progress: bool) -> dict[str, list[dict]]:
        """Train every controller (checkpoints in ``out/<controller>``); their histories."""
        from neuromop.control import train

        histories = {}
        for name, ctrl in controllers.items():
            train(ctrl, epochs=self.epochs, checkpoint_dir=out / slug(name), resume=resume,
                  progress=progress, **self.train_kwargs())
            histories[name] = ctrl.history_
        return histories

    def train_kwargs(self) -> dict:
        """The study's settings of :func:`~neuromop.control.train` (epochs, checkpoints and
        progress aside)."""
        return dict(steps_per_epoch=self.steps_per_epoch, fit_iterations=self.fit_iterations,
                    batch_size=self.batch_size, target_updates=self.target_updates,
                    replay_epochs=self.replay_epochs, pre_terminal_steps=self.pre_terminal_steps,
                    average_epochs=self.average_epochs,
                    pessimistic_targets=self.pessimistic_targets,
                    final_learning_rate=self.final_learning_rate,
                    random_state=self.random_streams()["training"])

    def rollouts(self, env, controllers: dict, **kw) -> tuple[dict, dict]:
        """Roll every controller out for ``horizon`` steps from the same initial states.

        Returns ``(datasets, metrics)``: ``rollout_<controller>`` -> dataset and controller
        name -> :func:`~neuromop.control.summarize_rollout`.
        """
        from neuromop.control import rollout, summarize_rollout

        datasets, metrics = {}, {}
        for name, ctrl in controllers.items():
            ds = rollout(env, ctrl, self.horizon, n_trials=self.eval_trials,
                         random_state=self.random_streams()["evaluation"], **kw)
            ds.attrs["study"] = self.name
            ds.attrs["controller_name"] = name
            datasets[f"rollout_{slug(name)}"] = ds
            metrics[name] = summarize_rollout(ds)
        return datasets, metrics

    def result(self, out: Path, *, started: float, datasets: dict, metrics: dict,
               histories: dict, figure, table: str | None = None,
               extra: dict | None = None) -> StudyResult:
        """Write the outputs of a rate-RNN study and return its :class:`StudyResult`."""
        summary = {"controllers": metrics, "histories": histories, **(extra or {})}
        text = format_table(metrics) if table is None else table
        return self.finish(out, table=text, summary=summary, started=started,
                           datasets=datasets,
                           figures={f"{self.name.replace('-', '_')}_task": figure})


@dataclass
class RateRNNStudy(ControlStudy):
    """Settings of the studies on a chaotic rate RNN (see the field comments for units)."""

    n_neurons: int = 100
    g: float = 2.0                      # recurrent gain (chaotic > 1)
    dt: float = 0.1                     # Euler step, units of tau
    n_candidates: int = 16              # K candidate current vectors (incl. zero)
    action_scale: float = 2.0           # std of each candidate current

    BUDGETS: ClassVar[dict[str, dict]] = {"smoke": SMOKE, "default": {}, "paper": PAPER}
    OPTIONS: ClassVar[dict[str, dict]] = {
        **ControlStudy.OPTIONS,
        "n_candidates": dict(type=int, metavar="K",
                             help="candidate currents per step (default: the study's, 16 on "
                                  "the energy task, where 32 raised MOP's survival over "
                                  "seeds 0-2 from 0.80 to 0.91 at about twice the run time)"),
    }

    def terminal(self):
        """The task's terminal set."""
        raise NotImplementedError

    def env_kwargs(self) -> dict:
        """Keyword arguments of the task's :class:`~neuromop.envs.RateRNNEnv`."""
        return dict(num_envs=self.num_envs, g=self.g, dt=self.dt, n_candidates=self.n_candidates,
                    action_scale=self.action_scale, terminal=self.terminal(),
                    max_episode_steps=self.horizon,
                    random_state=self.random_streams()["network"])

    def make_env(self, **overrides):
        """A fresh environment of the task (the same network on every call)."""

        return RateRNNEnv(self.n_neurons, **{**self.env_kwargs(), **overrides})


def _controllers(study, epsilons) -> dict:
    from neuromop.control import NeuroMOPController, RewardController

    out = {"MOP": NeuroMOPController(study.make_env(), **study.controller_kwargs())}
    for e in epsilons:
        name = "R" if len(epsilons) == 1 else f"R eps={e:g}"
        out[name] = RewardController(study.make_env(), epsilon=e, **study.controller_kwargs())
    return out


def _baselines(study, env) -> dict:
    """Free network, random currents and an untrained MOP controller.

    The untrained MOP controller (the value network as initialised: optimistic, the same value
    for every non-terminal state) already avoids states that end on the next step through the
    exact one-step model; what it lacks is what training adds, so a task whose effect it
    already shows needs no training for it.
    """
    from neuromop.control import FreeController, NeuroMOPController, RandomController

    return {"free": FreeController(env), "random": RandomController(env),
            "untrained MOP": NeuroMOPController(study.make_env(), **study.controller_kwargs())}


@dataclass
class EnergyStudy(RateRNNStudy):
    """Energy-budget task: terminal when the running activity cost exceeds ``max_energy``.

    Free / random / MOP / R (``epsilon``-greedy); the table adds MOP's action entropy in bins
    of the distance to the threshold (:func:`entropy_by_distance`); its nearest and farthest
    bins (a sixth of the alive steps each) are the metrics ``entropy_near_threshold`` and
    ``entropy_far_from_threshold`` (nats).
    """

    max_energy: float = 0.1
    energy_time_constant: float = 1.0   # units of tau
    epsilon: float = 0.05
    average_epochs: int = 10            # R's fit collapses from epoch to epoch without these
    pessimistic_targets: bool = True    # two (benchmarks/fvi_ablation.py; guide: control)
    final_learning_rate: float | None = 1e-4  # annealed: MOP 0.80 -> 0.90 over seeds 0-2

    name: ClassVar[str] = "energy"

    def terminal(self):

        return EnergyBudget(self.max_energy, self.energy_time_constant)

    def run(self, out_dir, *, resume: bool = True, progress: bool = True) -> StudyResult:
        """Train MOP and R, roll out free / random / MOP / R, write the outputs."""

        started = time.perf_counter()
        out = self.prepare(out_dir, resume=resume)
        controllers = _controllers(self, (self.epsilon,))
        histories = self.train_all(controllers, out, resume=resume, progress=progress)
        env = self.make_env()
        datasets, metrics = self.rollouts(env, {**_baselines(self, env), **controllers})
        ebd = entropy_by_distance(datasets["rollout_mop"], self.max_energy)
        metrics["MOP"]["entropy_by_distance"] = ebd
        if ebd["entropy"]:  # the sixths of alive steps nearest to and farthest from threshold
            metrics["MOP"]["entropy_near_threshold"] = ebd["entropy"][0]
            metrics["MOP"]["entropy_far_from_threshold"] = ebd["entropy"][-1]
        named = dict(zip(metrics, datasets.values()))
        fig = plot_energy_task(named, metrics, histories, self)
        pairs = ", ".join(f"{d:.3f}:{h:.2f}" for d, h in zip(ebd["distance"], ebd["entropy"]))
        table = (format_table(metrics) + "\nMOP action entropy by distance to threshold "
                 f"(distance:nats): {pairs}")
        return self.result(out, started=started, datasets=datasets, metrics=metrics,
                           histories=histories, figure=fig, table=table)


@dataclass
class SquareStudy(RateRNNStudy):
    """Square confinement: terminal when neurons 0 and 1 leave ``|x| <= half_width``.

    MOP against epsilon-greedy R networks, one per ``epsilons`` entry, and an untrained MOP
    controller. ``action_scale = 1.0`` (the other tasks: 2.0): with currents of std 2 the
    untrained controller's one-step lookahead through the exact model already keeps every
    start inside (survival 1.0 on seeds 0-2, as the trained one), so training showed nothing;
    with std 1 it survives 0.81, 0.64 and 0.97 of 64 starts (seeds 0-2) and training has work
    to do (std 0.5: 0.02; guide: control).
    """

    half_width: float = 0.5
    action_scale: float = 1.0
    epsilons: tuple[float, ...] = field(default=(0.0, 0.05, 0.2))

    name: ClassVar[str] = "square"
    BUDGETS: ClassVar[dict[str, dict]] = {
        "smoke": dict(SMOKE, epsilons=(0.0, 0.2)),
        "default": {},
        "paper": dict(PAPER, epsilons=(0.0, 0.01, 0.05, 0.1, 0.2)),
    }

    def terminal(self):

        return SquareBox((0, 1), self.half_width)

    def run(self, out_dir, *, resume: bool = True, progress: bool = True) -> StudyResult:
        """Train MOP and the R networks, roll out free / random / MOP / R, write the outputs."""

        started = time.perf_counter()
        out = self.prepare(out_dir, resume=resume)
        controllers = _controllers(self, tuple(self.epsilons))
        histories = self.train_all(controllers, out, resume=resume, progress=progress)
        env = self.make_env()
        datasets, metrics = self.rollouts(env, {**_baselines(self, env), **controllers})
        named = dict(zip(metrics, datasets.values()))
        fig = plot_square_task(named, metrics, histories, self)
        return self.result(out, started=started, datasets=datasets, metrics=metrics,
                           histories=histories, figure=fig)


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
    counts = np.bincount(which, minlength=len(edges) - 1)
    sums = np.bincount(which, weights=ent, minlength=len(edges) - 1)
    kept = np.flatnonzero(counts)
    centres = [float(np.median(dist[which == b])) for b in kept]
    return {"distance": centres, "entropy": (sums[kept] / counts[kept]).tolist(),
            "count": counts[kept].astype(int).tolist()}


def format_table(metrics: dict) -> str:
    """Plain-text table of lifetime, action entropy, activity std and participation ratio."""
    head = (f"{'controller':<20}{'lifetime':>10}{'± sem':>8}{'survival':>10}"
            f"{'H(a) nats':>11}{'act. std':>10}{'PR':>8}")
    rows = [head, "-" * len(head)]
    for name, s in metrics.items():
        rows.append(f"{name:<20}{s['lifetime']:>10.1f}{s['lifetime_sem']:>8.1f}"
                    f"{s['survival']:>10.2f}{s['action_entropy']:>11.3f}"
                    f"{s.get('activity_std', float('nan')):>10.3f}"
                    f"{s.get('participation_ratio', float('nan')):>8.1f}")
    return "\n".join(rows)


def slug(name: str) -> str:
    """A file-name form of a controller name (``"R eps=0.2"`` -> ``"r_eps0.2"``)."""
    return name.lower().replace(" ", "_").replace("=", "")
