"""``neuromop run spiking-energy``: free / MOP / R control of a Brian2 spiking network under an
energy budget, with the variability metrics used on recordings.

Pipeline (:func:`run_spiking_energy`):

1. build the E/I LIF network (:class:`~neuromop.envs.SpikingVectorEnv`) and collect transitions
   under random candidate currents (batched copies, no energy budget);
2. fit the one-step observation model and wrap it with the task's terminal sets
   (``EnergyBudget | Quiescence | Runaway``) as a model env;
3. train the MOP controller -- ``method="model"``: :class:`~neuromop.control.NeuroMOPController`
   by fitted value iteration on the learned model (the default, see below); ``method="softq"``:
   :class:`~neuromop.control.soft_q.SoftQController` in closed loop on the network -- and the R
   controller (:class:`~neuromop.control.RewardController`, +1 per step alive, epsilon-greedy)
   on the learned model;
4. run free / MOP / R in one closed-loop run on the real network with the energy budget
   (copies split in three groups) and tabulate lifetime, action entropy, Fano factor, CV of ISIs,
   r_sc and participation ratio (:func:`~neuromop.analysis.tables.variability_table`).

Outputs in ``--out``: ``spiking_energy_counts.nc`` (counts, observations, actions, energy,
lifetimes; dims (trial, time, neuron) with a ``controller`` coordinate),
``spiking_energy_spikes.csv`` (spike table), ``spiking_energy_table.csv`` / ``.json`` (the
table, timings and settings) and
``spiking_energy.png``.
"""

from __future__ import annotations

import dataclasses
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from neuromop._checks import check_choice, check_int, check_real
from neuromop.studies.spiking_designs import design_config

__all__ = ["BUDGETS", "DEFAULT_METHOD", "METHODS", "SpikingEnergyConfig", "evaluate",
           "format_table", "run_spiking_energy", "train_model_based", "train_soft_q"]

METHODS = ("model", "softq")
#: The MOP method used when none is given. Measured at the default budget (seed 0, amplitude
#: 0.06 nA, 16 evaluation copies x 5 s on the real network, machine load ~4.5 on 2 cores):
#: learned model + fitted VI (208 s: collection 10 s, model fit 4 s, value iteration 195 s)
#: lived 4.69 s on average with 14/16 copies alive at 5 s; soft Q-learning given the same 208 s
#: (16 closed-loop episodes, ~120k transitions) lived 2.38 s with 3/16 alive. The model-based
#: learner is kept as default: it satisfies the energy constraint far more reliably at equal
#: training time, and its model is reused by the R baseline (``analysis/spiking_energy.py``
#: reruns the comparison).
DEFAULT_METHOD = "model"


@dataclass(frozen=True)
class SpikingEnergyConfig:
    """Settings of the spiking energy task (network, task, learning and evaluation sizes).

    Network: ``n_exc``/``n_inh`` LIF neurons, connection probability ``p_connect``, external
    Poisson drive ``eta`` (times the threshold rate). Task:
    ``EnergyBudget(budget, threshold_rate, tau_energy)`` on the mean rate of all neurons; control
    period ``control_period`` ms. Actions are currents of ``-amplitude``, 0 or ``+amplitude`` nA
    into each of ``e_groups`` equal groups of E neurons and, with ``control_inh``, into the I
    population (every combination: ``3 ** (e_groups + control_inh)`` candidates); the
    observation is the filtered rate of each E group and of I. More groups let a controller
    modulate them independently, at 3x the candidates (and value-iteration time) per group.
    With ``pattern_groups > 0`` (needs ``e_groups=1``) E is instead driven as that many equal
    groups: each candidate is a population level for E and I combined with one of
    ``n_patterns`` balanced patterns (drawn with ``pattern_seed``) that add
    ``+pattern_amplitude`` nA to half of the groups and ``-pattern_amplitude`` nA to the other
    half (``9 * n_patterns`` candidates); the observation stays the E and I population rates.

    The default design -- currents into the whole E and I populations, 0.06 nA (6 mV with
    R_m = 100 MOhm, against a 10 mV reset-to-threshold gap) every 20 ms, 9 candidates -- is the
    one under which MOP's participation ratio exceeded R's in every measured run (smoke and
    default budgets, seeds 0-2). 0.06 nA lets actions change spike counts by more than their Poisson
    noise: at 0.03 nA even a uniformly random policy raised the 100 ms Fano factor only from
    0.94 to 0.98 (16 copies x 2 s, no budget), at 0.06 nA to 1.14. Its Fano factors do not
    favour MOP (R's higher at matched rates in 3/3 default runs). Longer, stronger actions into
    four E quarters (``DESIGNS["quarters_50ms"]``) give the mirror image: MOP's Fano factor above
    R's in 3/3 seeds, its participation ratio below R's in 3/3
    (:mod:`neuromop.studies.spiking_designs`).

    Learning: ``collect_*`` random-action data, ``fvi_*`` fitted value iteration on the learned
    model with successors' auxiliaries at the ``risk_quantile`` z-score of the period rate (see
    :class:`~neuromop.fit.spiking_model.SpikingModelEnv`), ``softq_*`` closed-loop soft
    Q-learning. Evaluation: ``eval_copies`` copies per controller for ``eval_steps`` periods.
    """

    n_exc: int = 80
    n_inh: int = 20
    p_connect: float = 0.5
    eta: float = 0.9
    e_groups: int = 1
    control_inh: bool = True
    pattern_groups: int = 0
    n_patterns: int = 8
    pattern_amplitude: float = 0.06
    pattern_seed: int = 0
    control_period: float = 20.0
    amplitude: float = 0.06
    budget: float = 0.6
    threshold_rate: float = 10.0
    tau_energy: float = 0.5
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
    window: float = 0.1
    fano_windows: tuple[float, ...] = (0.02, 0.06, 0.1, 0.2)
    silence_rate: float = 0.5
    runaway_rate: float = 250.0
    target: str = "numpy"

    def __post_init__(self) -> None:
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
        for name, w in [("window", self.window)] + [
                (f"fano_windows[{i}]", w) for i, w in enumerate(self.fano_windows)]:
            w = check_real(name, w, low=0.0, low_inclusive=False)
            if w < period - 1e-12 or abs(w / period - round(w / period)) > 1e-9:
                raise ValueError(f"{name} must be a whole multiple of the control period "
                                 f"({period:g} s), got {w:g} s")

    def network_params(self):
        """The :class:`~neuromop.envs.SpikingNetworkParams` of this configuration."""
        from neuromop.envs.spiking.network import SpikingNetworkParams

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
        """Action components: each E group (``P0``, ``P1``, ... with ``pattern_groups``), then the
        I population if ``control_inh``."""
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
        patterns (:func:`~neuromop.envs.spiking.designs.patterned_candidate_actions`)."""
        from neuromop.envs.spiking.designs import (
            balanced_patterns,
            energy_candidate_actions,
            patterned_candidate_actions,
        )

        if not self.pattern_groups:
            return energy_candidate_actions(self.amplitude, 3,
                                            n_targets=len(self.action_targets()))
        seed = check_int("pattern_seed", self.pattern_seed, low=0)
        patterns = balanced_patterns(self.n_patterns, self.pattern_groups, seed)
        return patterned_candidate_actions(self.amplitude, self.pattern_amplitude, patterns,
                                           control_inh=self.control_inh)

    def terminal_set(self, *, safety: bool = False):
        """``EnergyBudget`` of the task; with ``safety``, ``| Quiescence | Runaway`` as the env."""
        from neuromop.envs.spiking.terminal import EnergyBudget, Quiescence, Runaway

        energy = EnergyBudget(self.budget, self.threshold_rate, self.tau_energy)
        if not safety:
            return energy
        return energy | Quiescence(self.silence_rate) | Runaway(self.runaway_rate)


#: Named sizes: ``smoke`` (numpy target, < 1 min of simulation), ``default`` and ``paper``.
BUDGETS = {
    "smoke": SpikingEnergyConfig(),
    "default": SpikingEnergyConfig(collect_copies=64, collect_episodes=2, collect_steps=150,
                                   fvi_epochs=40, fvi_steps=50, fvi_iterations=150,
                                   softq_copies=64, softq_episodes=8, softq_steps=150,
                                   eval_copies=16, eval_steps=250, target="auto"),
    "paper": SpikingEnergyConfig(n_exc=400, n_inh=100, p_connect=0.1, collect_copies=64,
                                 collect_episodes=4, collect_steps=250, fvi_epochs=60,
                                 fvi_steps=60, fvi_iterations=200, softq_copies=64,
                                 softq_episodes=16, softq_steps=250, eval_copies=32,
                                 eval_steps=500, target="auto"),
}


def _env(cfg: SpikingEnergyConfig, copies: int, terminal, max_steps: int):
    from neuromop.envs.spiking import SpikingVectorEnv

    return SpikingVectorEnv(copies, cfg.network_params(), control_period=cfg.control_period,
                            action_targets=cfg.action_targets(), readouts=cfg.readouts(),
                            terminal=terminal, max_episode_steps=max_steps, target=cfg.target,
                            silence_rate=cfg.silence_rate, runaway_rate=cfg.runaway_rate,
                            verbose=True, warmup=100.0)


def train_model_based(cfg: SpikingEnergyConfig, seed: int, *, progress: bool = False) -> dict:
    """Steps 1-3 for the learned-model method: data, model, MOP and R controllers, timings."""
    from neuromop.control import NeuroMOPController, RewardController
    from neuromop.fit.spiking_model import (
        SpikingModelEnv,
        SpikingObservationModel,
        collect_transitions,
    )

    cand = cfg.candidate_actions()
    seeds = np.random.SeedSequence(seed).generate_state(4)
    times = {}
    t0 = time.perf_counter()
    collector = _env(cfg, cfg.collect_copies, None, cfg.collect_steps)
    transitions = collect_transitions(collector, cand, n_episodes=cfg.collect_episodes,
                                      n_steps=cfg.collect_steps, seed=int(seeds[0]))
    times["collect_s"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    model = SpikingObservationModel(max_epochs=cfg.model_epochs,
                                    random_state=int(seeds[1]) % 2**31).fit(transitions)
    times["model_fit_s"] = time.perf_counter() - t0
    menv = SpikingModelEnv(model, cand, cfg.terminal_set(safety=True),
                           control_period=cfg.control_period, initial_obs=transitions.initial_obs,
                           num_envs=cfg.fvi_agents, risk_quantile=cfg.risk_quantile)
    fit_kw = dict(epochs=cfg.fvi_epochs, steps_per_epoch=cfg.fvi_steps,
                  fit_iterations=cfg.fvi_iterations, target_updates=cfg.fvi_target_updates,
                  replay_epochs=cfg.fvi_replay_epochs, progress=progress)
    t0 = time.perf_counter()
    mop = NeuroMOPController(menv, hidden=cfg.hidden, gamma=cfg.gamma,
                             random_state=int(seeds[2]) % 2**31)
    mop.fit(**fit_kw)
    times["mop_fvi_s"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    reward = RewardController(menv, epsilon=cfg.epsilon, hidden=cfg.hidden, gamma=cfg.gamma,
                              random_state=int(seeds[3]) % 2**31)
    reward.fit(**fit_kw)
    times["r_fvi_s"] = time.perf_counter() - t0
    return {"candidates": cand, "transitions": transitions, "model": model, "model_env": menv,
            "mop": mop, "reward": reward, "times": times,
            "model_score": model.score(transitions)}


def train_soft_q(cfg: SpikingEnergyConfig, seed: int, state_dim: int, *,
                 time_budget: float | None = None, progress: bool = False):
    """Closed-loop soft Q-learning on the energy task (episodes, or a wall-clock budget)."""
    from neuromop.control.soft_q import SoftQController

    cand = cfg.candidate_actions()
    env = _env(cfg, cfg.softq_copies, cfg.terminal_set(), cfg.softq_steps)
    ctrl = SoftQController(state_dim, cand, hidden=cfg.hidden, gamma=cfg.gamma,
                           random_state=seed % 2**31)
    t0 = time.perf_counter()
    if time_budget is None:
        ctrl.fit(env, n_episodes=cfg.softq_episodes, n_steps=cfg.softq_steps, progress=progress)
    else:
        ctrl.fit(env, time_budget=time_budget, n_steps=cfg.softq_steps, progress=progress)
    return ctrl, time.perf_counter() - t0


def evaluate(cfg: SpikingEnergyConfig, controllers: dict, candidates, seed: int):
    """Step 4: all controllers in one closed-loop run with the energy budget."""
    from neuromop.analysis.tables import variability_table
    from neuromop.control.rollout import run_controllers

    env = _env(cfg, cfg.eval_copies * len(controllers), cfg.terminal_set(), cfg.eval_steps)
    ds, spikes = run_controllers(env, controllers, candidates, cfg.eval_steps, seed=seed)
    # controlled networks are compared over the same time windows; the free network (which
    # dies early under the budget) over its own alive span
    common = [label for label, ctrl in controllers.items() if ctrl is not None]
    table = variability_table(ds, spikes, window=cfg.window, fano_windows=cfg.fano_windows,
                              common=common, seed=seed)
    return ds, spikes, table


def run_spiking_energy(budget: str = "smoke", *, out=None, seed: int = 0,
                       method: str = DEFAULT_METHOD, design: str | None = None,
                       target: str | None = None, progress: bool = False) -> dict:
    """Run the whole energy study (see the module docstring) and write its outputs.

    Parameters
    ----------
    budget : {"smoke", "default", "paper"}
        Size of the run (:data:`BUDGETS`).
    out : path-like, optional
        Output folder; ``None`` writes nothing.
    seed : int
        Seed of everything (data, model, controllers, evaluation).
    method : {"model", "softq"}
        How the MOP controller is learned.
    design : str, optional
        A named action design (a key of :data:`~neuromop.studies.spiking_designs.DESIGNS`)
        replacing the budget's; ``None`` keeps the budget's (the default design).
    target : {"auto", "numpy", "cython"}, optional
        Override the Brian2 target of the budget.
    progress : bool
        Progress bars while training.

    Returns
    -------
    dict
        ``table`` (pandas.DataFrame, one row per controller), ``dataset``, ``spikes``,
        ``times`` (s per stage), ``model_score``, ``config``, ``design`` (its name, or
        ``None``) and ``paths`` (written files).
    """
    from neuromop._io import atomic_path, write_json_atomic, write_netcdf_atomic
    from neuromop._provenance import provenance

    check_choice("budget", budget, tuple(BUDGETS))
    check_choice("method", method, METHODS)
    seed = check_int("seed", seed, low=0)
    cfg = BUDGETS[budget] if design is None else design_config(budget, design)
    if target is not None:
        cfg = dataclasses.replace(cfg, target=check_choice("target", target,
                                                           ("auto", "numpy", "cython")))
    t_start = time.perf_counter()
    trained = train_model_based(cfg, seed, progress=progress)
    times = dict(trained["times"])
    mop = trained["mop"]
    if method == "softq":
        mop, times["softq_s"] = train_soft_q(cfg, seed, trained["model_env"].state_dim,
                                             progress=progress)
    t0 = time.perf_counter()
    ds, spikes, table = evaluate(cfg, {"free": None, "MOP": mop, "R": trained["reward"]},
                                 trained["candidates"], seed)
    times["evaluate_s"] = time.perf_counter() - t0
    times["total_s"] = time.perf_counter() - t_start
    settings = dataclasses.asdict(cfg)
    ds.attrs.update(provenance("neuromop run spiking-energy", budget=budget, seed=seed,
                               method=method, design=design, config=settings))
    result = {"table": table, "dataset": ds, "spikes": spikes, "times": times,
              "model_score": trained["model_score"], "config": settings, "design": design,
              "paths": {}}
    if out is not None:
        from neuromop.plots import save_figure
        from neuromop.plots.spiking import plot_spiking_energy

        out = Path(out)
        out.mkdir(parents=True, exist_ok=True)
        paths = {"counts": out / "spiking_energy_counts.nc",
                 "spikes": out / "spiking_energy_spikes.csv",
                 "table": out / "spiking_energy_table.csv",
                 "summary": out / "spiking_energy.json", "figure": out / "spiking_energy.png"}
        write_netcdf_atomic(ds, paths["counts"])
        with atomic_path(paths["spikes"]) as tmp:
            spikes.to_csv(tmp, index=False)
        with atomic_path(paths["table"]) as tmp:
            table.to_csv(tmp)
        write_json_atomic(paths["summary"], {
            "table": table.reset_index().to_dict(orient="records"), "times_s": times,
            "model_score": trained["model_score"], "budget": budget, "seed": seed,
            "method": method, "design": design, "config": settings})
        fig = plot_spiking_energy(ds, spikes, table, budget=cfg.budget)
        save_figure(fig, paths["figure"])
        result["paths"] = {k: str(v) for k, v in paths.items()}
    return result


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




