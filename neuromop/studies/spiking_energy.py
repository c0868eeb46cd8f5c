"""Free / MOP / R control of a Brian2 spiking network under an energy budget.

Pipeline (:meth:`SpikingEnergyStudy.run`):

1. build the E/I LIF network (:class:`~neuromop.envs.spiking.SpikingVectorEnv`) and collect
   transitions under random candidate currents (batched copies, no energy budget);
2. fit the one-step observation model and wrap it with the task's terminal sets
   (``SpikingEnergyBudget | Quiescence | Runaway``) as a model env;
3. train the MOP controller -- ``method="model"``: :class:`~neuromop.control.NeuroMOPController`
   by fitted value iteration on the learned model; ``method="softq"``:
   :class:`~neuromop.control.SoftQController` in closed loop on the network; ``method="both"``:
   both, soft Q-learning given the wall-clock seconds the model-based MOP took -- and the R
   controller (:class:`~neuromop.control.RewardController`, +1 per step alive,
   epsilon-greedy) on the learned model;
4. run free / MOP / R in one closed-loop run on the real network with the energy budget
   (copies split into one group per controller) and tabulate lifetime, action entropy, Fano
   factors, CV of ISIs, r_sc and participation ratio
   (:func:`~neuromop.analysis.variability_table`).

Outputs: ``counts.nc`` (counts, observations, actions, energy, lifetimes; dims
``(trial, time, neuron)`` with a ``controller`` coordinate), ``spikes.csv`` (the spike table),
``controllers.csv`` (the variability table), ``summary.json`` (the table, timings, fit
quality, settings, provenance), ``table.txt`` and ``spiking_energy.png``.

Action designs (:data:`ACTION_DESIGNS`) are named overrides of the action settings: how a
controller can act decides how its action entropy shows up in spike counts
(:mod:`neuromop.studies.spiking_designs` compares them over seeds).
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass
from typing import ClassVar

import numpy as np

from neuromop._checks import check_choice, check_int, check_real
from neuromop.analysis import variability_table
from neuromop.envs.spiking import (
    Quiescence,
    Runaway,
    SpikingEnergyBudget,
    SpikingNetworkParams,
    SpikingVectorEnv,
    balanced_patterns,
    energy_candidate_actions,
    patterned_candidate_actions,
)
from neuromop.plots.spiking import plot_spiking_energy
from neuromop.studies.protocol import Study, StudyResult

__all__ = ["ACTION_DESIGNS", "METHODS", "SpikingEnergyStudy", "format_table"]

#: How the MOP controller is learned (see the module docstring).
METHODS = ("model", "softq", "both")

#: Named action designs: overrides of :class:`SpikingEnergyStudy` fields (the count windows
#: follow the control period).
ACTION_DESIGNS = {
    # currents into the whole E and I populations every 20 ms (the default; 9 candidates)
    "population_20ms": dict(e_groups=1, control_inh=True, control_period=20.0, amplitude=0.06,
                            fano_windows=(0.02, 0.06, 0.1, 0.2)),
    # each half of E and I driven separately every 50 ms (27 candidates)
    "halves_50ms": dict(e_groups=2, control_inh=True, control_period=50.0, amplitude=0.1,
                        fano_windows=(0.05, 0.1, 0.2, 0.5)),
    # four E quarters, no I current, every 50 ms (81 candidates: ~3x the value iteration)
    "quarters_50ms": dict(e_groups=4, control_inh=False, control_period=50.0, amplitude=0.1,
                          fano_windows=(0.05, 0.1, 0.2, 0.5)),
    # the default's population currents, each combined with one of 8 balanced patterns that move
    # 0.06 nA between 16 groups of E neurons (72 candidates)
    "patterns_20ms": dict(e_groups=1, control_inh=True, control_period=20.0, amplitude=0.06,
                          pattern_groups=16, n_patterns=8, pattern_amplitude=0.06,
                          fano_windows=(0.02, 0.06, 0.1, 0.2)),
    # the same every 50 ms at 0.1 nA (the quarters' timing and strength; 72 candidates)
    "patterns_50ms": dict(e_groups=1, control_inh=True, control_period=50.0, amplitude=0.1,
                          pattern_groups=16, n_patterns=8, pattern_amplitude=0.1,
                          fano_windows=(0.05, 0.1, 0.2, 0.5)),
}

_DEFAULT = dict(collect_copies=64, collect_episodes=2, collect_steps=150, fvi_epochs=40,
                fvi_steps=50, fvi_iterations=150, softq_copies=64, softq_episodes=8,
                softq_steps=150, eval_copies=16, eval_steps=250, target="auto")
_PAPER = dict(n_exc=400, n_inh=100, p_connect=0.1, collect_copies=64, collect_episodes=4,
              collect_steps=250, fvi_epochs=60, fvi_steps=60, fvi_iterations=200,
              softq_copies=64, softq_episodes=16, softq_steps=250, eval_copies=32,
              eval_steps=500, target="auto")


@dataclass
class SpikingEnergyStudy(Study):
    """Settings of the spiking energy task (network, task, learning and evaluation sizes).

    Network: ``n_exc``/``n_inh`` LIF neurons, connection probability ``p_connect``, external
    Poisson drive ``eta`` (times the threshold rate). Task:
    ``SpikingEnergyBudget(max_energy, energy_time_constant, energy_threshold)`` on the mean rate
    of all neurons; control period ``control_period`` ms. Actions are currents of
    ``-amplitude``, 0 or ``+amplitude`` nA into each of ``e_groups`` equal groups of E neurons
    and, with ``control_inh``, into the I population (every combination:
    ``3 ** (e_groups + control_inh)`` candidates); the observation is the filtered rate of each
    E group and of I. With ``pattern_groups > 0`` (needs ``e_groups=1``) E is instead driven as
    that many equal groups: each candidate is a population level for E and I combined with one
    of ``n_patterns`` balanced patterns (drawn with ``pattern_seed``) that add
    ``+pattern_amplitude`` nA to half of the groups and ``-pattern_amplitude`` nA to the other
    half (``9 * n_patterns`` candidates); the observation stays the E and I population rates.
    ``design`` names one of :data:`ACTION_DESIGNS` (applied by :meth:`for_budget`).

    Learning: ``collect_*`` random-action data, ``fvi_*`` fitted value iteration on the learned
    model with successors' auxiliaries at the ``risk_quantile`` z-score of the period rate (see
    :class:`~neuromop.fit.SpikingModelEnv`), ``softq_*`` closed-loop soft Q-learning.
    Evaluation: ``eval_copies`` copies per controller for ``eval_steps`` periods; count
    statistics at ``window`` and ``fano_windows`` (s, whole multiples of the control period).
    """

    n_exc: int = 80
    n_inh: int = 20
    p_connect: float = 0.5
    eta: float = 0.9
    e_groups: int = 1
    control_inh: bool = True
    pattern_groups: int = 0
    n_patterns: int = 8
    pattern_amplitude: float = 0.06           # nA
    pattern_seed: int = 0
    control_period: float = 20.0              # ms
    amplitude: float = 0.06                   # nA
    max_energy: float = 0.6                   # spikes per neuron
    energy_threshold: float = 10.0            # Hz
    energy_time_constant: float = 0.5         # s
    gamma: float = 0.95
    epsilon: float = 0.05
    hidden: tuple[int, ...] = (64, 64)
    collect_copies: int = 32
    collect_episodes: int = 1
    collect_steps: int = 100
    model_epochs: int = 200
    fvi_agents: int = 64
    fvi_epochs: int = 20
    fvi_steps: int = 40
    fvi_iterations: int = 100
    fvi_target_updates: int = 5
    fvi_replay_epochs: int = 2
    risk_quantile: float = 3.0
    softq_copies: int = 32
    softq_episodes: int = 4
    softq_steps: int = 100
    eval_copies: int = 8
    eval_steps: int = 100
    window: float = 0.1                       # s
    fano_windows: tuple[float, ...] = (0.02, 0.06, 0.1, 0.2)   # s
    silence_rate: float = 0.5                 # Hz
    runaway_rate: float = 250.0               # Hz
    target: str = "numpy"
    method: str = "model"
    design: str | None = None

    name: ClassVar[str] = "spiking-energy"
    BUDGETS: ClassVar[dict[str, dict]] = {"smoke": {}, "default": _DEFAULT, "paper": _PAPER}
    STREAMS: ClassVar[tuple[str, ...]] = ("collection", "model", "mop", "reward", "softq",
                                          "evaluation", "matching")
    OPTIONS: ClassVar[dict[str, dict]] = {
        "method": dict(choices=METHODS, help="how MOP is learned: fitted VI on a learned "
                       "one-step model, model-free soft Q-learning in closed loop, or both"),
        "design": dict(choices=tuple(ACTION_DESIGNS),
                       help="named action design (default: the budget's)"),
        "target": dict(choices=("auto", "numpy", "cython"),
                       help="Brian2 code-generation target (default: the budget's)"),
    }

    @classmethod
    def for_budget(cls, budget: str = "default", **overrides):
        """The budget's configuration; ``design=NAME`` applies :data:`ACTION_DESIGNS` [NAME]
        under the other overrides."""
        design = overrides.get("design")
        if design is not None:
            check_choice("design", design, tuple(ACTION_DESIGNS))
            overrides = {**ACTION_DESIGNS[design], **overrides}
        return super().for_budget(budget, **overrides)

    def __post_init__(self) -> None:
        super().__post_init__()
        check_choice("method", self.method, METHODS)
        check_choice("target", self.target, ("auto", "numpy", "cython"))
        if self.design is not None:
            check_choice("design", self.design, tuple(ACTION_DESIGNS))
        # count windows are built from whole control periods (the count bin of the evaluation)
        period = check_real("control_period", self.control_period, low=0.0,
                            low_inclusive=False) / 1000.0
        groups = check_int("e_groups", self.e_groups, low=1)
        if self.n_exc % groups:
            raise ValueError(f"e_groups must divide n_exc={self.n_exc} (equal groups), "
                             f"got {groups}")
        if not isinstance(self.control_inh, bool):
            raise TypeError(f"control_inh must be a bool, got {self.control_inh!r}")
        pattern_groups = check_int("pattern_groups", self.pattern_groups, low=0)
        if pattern_groups:
            if groups != 1:
                raise ValueError(f"pattern_groups needs e_groups=1 (patterns split E "
                                 f"themselves), got e_groups={groups}")
            if self.n_exc % pattern_groups:
                raise ValueError(f"pattern_groups must divide n_exc={self.n_exc} (equal "
                                 f"groups), got {pattern_groups}")
            self.candidate_actions()  # checks n_patterns, pattern_amplitude, pattern_seed
        self.network_params()  # checks the network fields (sizes, p_connect, eta)
        self.terminal_set()  # checks the energy budget
        for name, w in [("window", self.window)] + [
                (f"fano_windows[{i}]", w) for i, w in enumerate(self.fano_windows)]:
            w = check_real(name, w, low=0.0, low_inclusive=False)
            if w < period - 1e-12 or abs(w / period - round(w / period)) > 1e-9:
                raise ValueError(f"{name} must be a whole multiple of the control period "
                                 f"({period:g} s), got {w:g} s")

    # ------------------------------------------------------------------ the task
    def network_params(self):
        """The :class:`~neuromop.envs.spiking.SpikingNetworkParams` of this configuration."""

        return SpikingNetworkParams(n_exc=self.n_exc, n_inh=self.n_inh, p_connect=self.p_connect,
                                    eta=self.eta)

    def readouts(self) -> dict:
        """Observed populations: each E group (label ``E`` or ``E0``, ``E1``, ...), then I."""
        if self.e_groups == 1:
            return {"E": "E", "I": "I"}
        return {**self._e_groups("E", self.e_groups), "I": "I"}

    def _e_groups(self, prefix: str, n_groups: int) -> dict:
        """``n_groups`` equal, consecutive groups of E neurons labelled ``<prefix>0, 1, ...``."""
        size = self.n_exc // n_groups
        return {f"{prefix}{k}": ("E", list(range(k * size, (k + 1) * size)))
                for k in range(n_groups)}

    def action_targets(self) -> dict:
        """Action components: each E group (``P0``, ``P1``, ... with ``pattern_groups``), then
        the I population if ``control_inh``."""
        if self.pattern_groups:
            targets = {**self._e_groups("P", self.pattern_groups), "I": "I"}
        else:
            targets = self.readouts()
        if not self.control_inh:
            del targets["I"]
        return targets

    def candidate_actions(self) -> np.ndarray:
        """The candidate currents (nA), one column per action target: every combination of 3
        levels, or with ``pattern_groups`` the population levels times ``n_patterns`` balanced
        patterns (:func:`~neuromop.envs.spiking.patterned_candidate_actions`)."""

        if not self.pattern_groups:
            return energy_candidate_actions(self.amplitude, 3,
                                            n_targets=len(self.action_targets()))
        seed = check_int("pattern_seed", self.pattern_seed, low=0)
        patterns = balanced_patterns(self.n_patterns, self.pattern_groups, seed)
        return patterned_candidate_actions(self.amplitude, self.pattern_amplitude, patterns,
                                           control_inh=self.control_inh)

    def terminal_set(self, *, safety: bool = False):
        """The task's energy budget; with ``safety``, ``| Quiescence | Runaway`` as the env."""

        energy = SpikingEnergyBudget(self.max_energy, self.energy_time_constant,
                                     self.energy_threshold)
        if not safety:
            return energy
        return energy | Quiescence(self.silence_rate) | Runaway(self.runaway_rate)

    def make_env(self, copies: int, terminal, max_steps: int):
        """A :class:`~neuromop.envs.spiking.SpikingVectorEnv` of ``copies`` copies."""

        return SpikingVectorEnv(copies, self.network_params(),
                                control_period=self.control_period,
                                action_targets=self.action_targets(), readouts=self.readouts(),
                                terminal=terminal, max_episode_steps=max_steps,
                                target=self.target, silence_rate=self.silence_rate,
                                runaway_rate=self.runaway_rate, verbose=True, warmup=100.0)

    # ------------------------------------------------------------------ the pipeline
    def train_model_based(self, *, progress: bool = False) -> dict:
        """Steps 1-3 for the learned-model method: data, model, MOP and R controllers, timings."""
        from neuromop.control import NeuroMOPController, RewardController
        from neuromop.fit import SpikingModelEnv, SpikingObservationModel, collect_transitions

        cand = self.candidate_actions()
        streams = self.random_streams()
        times = {}
        t0 = time.perf_counter()
        collector = self.make_env(self.collect_copies, None, self.collect_steps)
        transitions = collect_transitions(collector, cand, n_episodes=self.collect_episodes,
                                          n_steps=self.collect_steps,
                                          random_state=streams["collection"])
        times["collect_s"] = time.perf_counter() - t0
        t0 = time.perf_counter()
        model = SpikingObservationModel(max_epochs=self.model_epochs,
                                        random_state=streams["model"]).fit(transitions)
        times["model_fit_s"] = time.perf_counter() - t0
        menv = SpikingModelEnv(model, cand, self.terminal_set(safety=True),
                               control_period=self.control_period,
                               initial_obs=transitions.initial_obs, num_envs=self.fvi_agents,
                               risk_quantile=self.risk_quantile)
        fit_kw = dict(epochs=self.fvi_epochs, steps_per_epoch=self.fvi_steps,
                      fit_iterations=self.fvi_iterations, target_updates=self.fvi_target_updates,
                      replay_epochs=self.fvi_replay_epochs, progress=progress)
        t0 = time.perf_counter()
        mop = NeuroMOPController(menv, hidden=self.hidden, gamma=self.gamma,
                                 random_state=streams["mop"])
        mop.fit(**fit_kw)
        times["mop_fvi_s"] = time.perf_counter() - t0
        t0 = time.perf_counter()
        reward = RewardController(menv, epsilon=self.epsilon, hidden=self.hidden,
                                  gamma=self.gamma, random_state=streams["reward"])
        reward.fit(**fit_kw)
        times["r_fvi_s"] = time.perf_counter() - t0
        return {"candidates": cand, "transitions": transitions, "model": model,
                "model_env": menv, "mop": mop, "reward": reward, "times": times,
                "model_score": model.score(transitions)}

    def train_soft_q(self, state_dim: int, *, time_budget: float | None = None,
                     progress: bool = False):
        """Closed-loop soft Q-learning (``softq_episodes`` episodes, or ``time_budget`` s)."""
        from neuromop.control import SoftQController

        cand = self.candidate_actions()
        env = self.make_env(self.softq_copies, self.terminal_set(), self.softq_steps)
        ctrl = SoftQController(state_dim, cand, hidden=self.hidden, gamma=self.gamma,
                               random_state=self.random_streams()["softq"])
        t0 = time.perf_counter()
        if time_budget is None:
            ctrl.fit(env, n_episodes=self.softq_episodes, n_steps=self.softq_steps,
                     progress=progress)
        else:
            ctrl.fit(env, time_budget=time_budget, n_steps=self.softq_steps, progress=progress)
        return ctrl, time.perf_counter() - t0

    def evaluate(self, controllers: dict, candidates):
        """Step 4: all controllers in one closed-loop run with the energy budget.

        Returns ``(dataset, spike table, variability table)``; controlled networks are compared
        over the same time windows, the free network (which dies early under the budget) over
        its own alive span.
        """
        from neuromop.control import run_controllers

        streams = self.random_streams()
        env = self.make_env(self.eval_copies * len(controllers), self.terminal_set(),
                            self.eval_steps)
        ds, spikes = run_controllers(env, controllers, candidates, self.eval_steps,
                                     random_state=streams["evaluation"])
        common = [label for label, ctrl in controllers.items() if ctrl is not None]
        table = variability_table(ds, spikes, window=self.window, fano_windows=self.fano_windows,
                                  common=common, random_state=streams["matching"])
        return ds, spikes, table

    def run(self, out_dir, *, resume: bool = True, progress: bool = True) -> StudyResult:
        """Steps 1-4 and the outputs (see the module docstring).

        The run is one pass (no checkpoints): ``resume`` only checks that a folder holding an
        earlier run has the same settings.
        """

        started = time.perf_counter()
        out = self.prepare(out_dir, resume=resume)
        trained = self.train_model_based(progress=progress)
        times = dict(trained["times"])
        controllers = {"free": None, "MOP": trained["mop"], "R": trained["reward"]}
        fit = {"model_score": trained["model_score"],
               # scaled squared Bellman residuals ((V - target) / value_scale)^2, last 5 epochs
               "mop_bellman_loss": _last(trained["mop"].history_, "loss"),
               "r_bellman_loss": _last(trained["reward"].history_, "loss"),
               "mop_model_lifetime_steps": _last(trained["mop"].history_, "lifetime"),
               "r_model_lifetime_steps": _last(trained["reward"].history_, "lifetime")}
        if self.method != "model":
            state_dim = trained["model_env"].state_dim
            if self.method == "softq":
                softq, times["softq_s"] = self.train_soft_q(state_dim, progress=progress)
                controllers["MOP"] = softq
            else:  # both, at equal wall time
                budget_s = times["collect_s"] + times["model_fit_s"] + times["mop_fvi_s"]
                times["model_based_mop_s"] = budget_s
                softq, times["softq_s"] = self.train_soft_q(state_dim, time_budget=budget_s,
                                                            progress=progress)
                controllers = {"free": None, "MOP": trained["mop"], "MOP_softq": softq,
                               "R": trained["reward"]}
            fit.update(softq_td_loss=_last(softq.history_, "loss"),
                       softq_train_lifetime_steps=_last(softq.history_, "lifetime"),
                       softq_episodes=len(softq.history_),
                       softq_transitions=int(sum(h["transitions"] for h in softq.history_)))
        t0 = time.perf_counter()
        ds, spikes, table = self.evaluate(controllers, trained["candidates"])
        times["evaluate_s"] = time.perf_counter() - t0
        times["total_s"] = time.perf_counter() - started
        fig = plot_spiking_energy(ds, spikes, table, max_energy=self.max_energy)
        summary = {"controllers": table.reset_index().to_dict(orient="records"),
                   "times_s": times, "fit": fit}
        return self.finish(out, table=format_table(table), summary=summary, started=started,
                           datasets={"counts": ds},
                           frames={"controllers": table, "spikes": spikes},
                           figures={"spiking_energy": fig})


def _last(history: list[dict], key: str, n: int = 5) -> float:
    """Mean of ``key`` over the last ``n`` records of a training history (NaN-free)."""
    vals = [h[key] for h in history[-n:] if not math.isnan(h[key])]
    return float(sum(vals) / len(vals)) if vals else math.nan


#: Rows of :func:`format_table` (the columns of the variability table that are shown); the
#: ``fano_factor_<ms>ms`` columns of the configured windows go where ``"fano_factor_*"`` stands.
TABLE_COLUMNS = ("lifetime_s", "survival", "action_entropy", "rate_hz", "span_s",
                 "trials_analysed", "rate_hz_analysed", "fano_factor_*",
                 "mean_matched_fano_factor", "fano_factor_rate_matched", "cv_isi", "r_sc",
                 "participation_ratio")


def format_table(table) -> str:
    """The per-controller table as aligned text, one row per metric, one column per controller."""
    fano = sorted((c for c in table.columns
                   if c.startswith("fano_factor_") and c.endswith("ms")),
                  key=lambda c: float(c[len("fano_factor_"):-2]))
    cols = [c for name in TABLE_COLUMNS
            for c in (fano if name == "fano_factor_*" else [name]) if c in table.columns]
    width = max(len(c) for c in cols) + 2
    lines = [f"{'':<26}" + "".join(f"{str(label):>{width}}" for label in table.index)]
    for c in cols:
        lines.append(f"{c:<26}" + "".join(f"{float(v):>{width}.3f}" for v in table[c]))
    return "\n".join(lines)
