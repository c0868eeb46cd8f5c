"""Four-room comparison of the MOP paper (Fig. 2): MOP vs R (epsilon = 0) vs a random walker.

Hypothesis: an agent that maximises future action-state path occupancy (MOP) survives as long
as a reward maximiser but occupies the whole arena and the whole range of energy levels,
whereas the R agent (paid for eating, as in the authors' notebook) stays at the food and a
random walker starves. R agents with epsilon = 0.45 and 0.5 (the paper's other curves) explore
more but still stay near the food.

The authors' R curves at epsilon = 0.5 (``occupations_final_paper/q_survival.dat`` in
jorgeerrz/occupancy_max_paper) show 16 of 400 episodes at food gains 3-100 shorter than the
50,000 steps. They are not deaths: every one of them ends with the arena fully covered
(``q_s_occ.dat`` = 1.0 exactly, and no full-length episode reaches 1.0), because the sampling
loop (``sample_trajectory_q`` with ``occupancies = true``) returns as soon as the agent has
visited every free cell. The package's R agent at epsilon = 0.5 does not die at those gains
either (0 of 50 at gains 3, 10 and 50); at gain 2, where the authors' agents starve (49 of
50), the package's starve as well. :func:`compare_four_rooms` runs one food gain;
:class:`FourRoomsStudy` runs several (``neuromop run four-rooms``).
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import ClassVar

import numpy as np
import xarray as xr

from neuromop._checks import check_real
from neuromop._provenance import provenance
from neuromop._random import spawn
from neuromop.analysis import lifetime, survival_curve
from neuromop.mdp.agents import random_policy
from neuromop.mdp.paper import (  # the authors' numbers, importable from here too
    AUTHORS_FOUR_ROOMS,
)
from neuromop.mdp.rollout import arena_coverage, energy_histogram, occupancy_map, rollout
from neuromop.mdp.solvers import solve_mop, solve_reward
from neuromop.mdp.worlds import four_rooms
from neuromop.plots.mdp import comparison_figure
from neuromop.studies.protocol import Study, StudyResult

__all__ = ["FourRoomsStudy", "compare_four_rooms", "format_table"]


def compare_four_rooms(capacity: int = 100, food_gain: int = 10, n_trials: int = 10,
                       n_steps: int = 10_000, gamma: float = 0.99, random_state=0,
                       progress: bool = False, *, epsilons: tuple[float, ...] = ()
                       ) -> tuple[xr.Dataset, dict]:
    """MOP vs R (epsilon = 0, paid for eating as in the authors' code) vs a random walker,
    and R agents with exploration ``epsilons`` (the paper's 0.45 and 0.5).

    Parameters
    ----------
    capacity, food_gain : int
        Largest energy level and energy gained per step on food.
    n_trials, n_steps : int
        Rollouts per agent and their length (steps).
    gamma : float
        Discount of both solvers.
    random_state : int, SeedSequence or numpy.random.Generator
        Seed of the rollouts (one spawned stream per agent).
    progress : bool
        Progress bars of the rollouts.
    epsilons : tuple of float
        Further R agents, epsilon-greedy in the backup and in behaviour (each in (0, 1]),
        labelled ``"R eps=<epsilon>"``; their rollout streams are spawned after the first three,
        so adding them leaves the MOP, R and random rollouts unchanged.

    Returns
    -------
    summary : xr.Dataset
        Per agent: ``survival`` (fraction alive at the end), ``lifetime_median`` (steps),
        ``coverage`` (mean fraction of free cells visited), ``energy_levels_visited`` (fraction
        of the levels 2..capacity), ``action_entropy`` (mean, nats); plus ``occupancy`` maps
        (agent, y, x), ``survival_curve`` (agent, time) and ``energy_occupancy`` (agent, energy).
    extras : dict
        ``world`` and the per-agent rollouts, occupancy maps, survival curves and energy
        histograms.
    """
    epsilons = tuple(check_real("epsilons", e, low=0.0, high=1.0, low_inclusive=False)
                     for e in epsilons)
    world = four_rooms(capacity=capacity, food_gain=food_gain)
    seeds = spawn(random_state, 3 + len(epsilons))
    policies = {
        "MOP": solve_mop(world.mdp, alpha=1.0, beta=0.0, gamma=gamma),
        "R": solve_reward(world.mdp, epsilon=0.0, gamma=gamma, reward=world.food_reward()),
        "random": random_policy(world.mdp),
    }
    for e in epsilons:
        policies[f"R eps={e:g}"] = solve_reward(world.mdp, epsilon=e, gamma=gamma,
                                                reward=world.food_reward())
    rows, occ, surv, energy, rollouts = {}, {}, {}, {}, {}
    for (name, pol), ss in zip(policies.items(), seeds, strict=True):
        ds = rollout(world, pol, n_trials=n_trials, n_steps=n_steps,
                     random_state=np.random.default_rng(ss), progress=progress)
        rollouts[name] = ds
        alive = ~ds["terminated"]
        levels = np.unique(ds["energy"].values[alive.values])
        coverage = arena_coverage(ds, world)
        rows[name] = {
            "survival": float(alive.isel(time=-1).mean()),
            "lifetime_median": float(lifetime(ds["terminated"])["lifetime"].median()),
            "coverage": float(coverage.mean()),
            "coverage_sem": float(coverage.std(ddof=1) / np.sqrt(n_trials))
            if n_trials > 1 else float("nan"),
            "energy_levels_visited": float(np.sum(levels >= 2) / (capacity - 1)),
            "action_entropy": float(ds["action_entropy"].where(alive).mean()),
        }
        occ[name] = occupancy_map(ds, world)
        surv[name] = survival_curve(ds.terminated, dims="trial")
        energy[name] = energy_histogram(ds, capacity=capacity)
    agents = list(rows)
    summary = xr.Dataset(
        {k: ("agent", [rows[a][k] for a in agents]) for k in rows[agents[0]]},
        coords={"agent": agents},
    )
    summary["occupancy"] = xr.concat([occ[a] for a in agents], dim="agent").assign_coords(
        agent=agents)
    summary["survival_curve"] = xr.concat([surv[a] for a in agents], dim="agent").assign_coords(
        agent=agents)
    summary["energy_occupancy"] = xr.concat([energy[a] for a in agents], dim="agent"
                                            ).assign_coords(agent=agents)
    for v in summary.data_vars.values():
        for key in ("parameters", "created_by", "created_at", "neuromop_version",
                    "neuromop_commit", "python"):
            v.attrs.pop(key, None)
    summary["survival"].attrs["units"] = "fraction of trials alive at the last step"
    summary["lifetime_median"].attrs["units"] = "steps"
    summary["coverage"].attrs["units"] = "fraction of the 104 free cells"
    summary["coverage_sem"].attrs["units"] = "fraction of the 104 free cells"
    ref = AUTHORS_FOUR_ROOMS.get(food_gain, {}) if capacity == 100 else {}  # their capacity
    nan4 = (np.nan,) * 4
    for k, name in enumerate(("coverage_mean", "coverage_sem", "energy_levels_visited",
                              "survival")):
        summary[f"authors_{name}"] = ("agent", [ref.get(a, nan4)[k] for a in agents])
    summary["energy_levels_visited"].attrs["units"] = "fraction of levels 2..capacity"
    summary["action_entropy"].attrs["units"] = "nats"
    summary.attrs.update(provenance(
        "neuromop.studies.four_rooms.compare_four_rooms", capacity=capacity,
        food_gain=food_gain, n_trials=n_trials, n_steps=n_steps, gamma=gamma,
        random_state=random_state if isinstance(random_state, int) else repr(random_state),
        agents={"MOP": "alpha=1, beta=0", "R": "epsilon=0, reward 1 on food",
                "random": "uniform over A(s)",
                **{f"R eps={e:g}": f"epsilon={e:g}, reward 1 on food" for e in epsilons}}))
    return summary, {"world": world, "rollouts": rollouts, "occupancy": occ, "survival": surv,
                     "energy": energy}


def format_table(summary: xr.Dataset) -> str:
    """The per-agent summary of :func:`compare_four_rooms` as a plain-text table, with the
    authors' values (:data:`~neuromop.mdp.paper.AUTHORS_FOUR_ROOMS`) where they recorded the food
    gain: coverage with its 95 % interval (mean ± 1.96 SEM) beside theirs (SEM), energy levels and
    survival beside theirs."""
    has_ref = "authors_coverage_mean" in summary and bool(
        np.isfinite(summary["authors_coverage_mean"]).any())
    head = (f"{'agent':<12}{'survival':>9}{'life median':>12}{'coverage (95 % CI)':>25}"
            f"{'energy levels':>14}{'H(a) nats':>10}")
    if has_ref:
        head += f"{'authors: coverage (SEM)':>25}{'levels':>8}{'survival':>9}"
    lines = [head, "-" * len(head)]
    for a in summary["agent"].values:
        v = {k: float(summary[k].sel(agent=a)) for k in summary.data_vars
             if summary[k].dims == ("agent",)}
        half = 1.96 * v.get("coverage_sem", np.nan)
        row = (f"{a:<12}{v['survival']:>9.2f}{v['lifetime_median']:>12.0f}"
               f"{v['coverage']:>10.3f} [{v['coverage'] - half:.3f}, {v['coverage'] + half:.3f}]"
               f"{v['energy_levels_visited']:>14.3f}{v['action_entropy']:>10.3f}")
        if has_ref and np.isfinite(v["authors_coverage_mean"]):
            row += (f"{v['authors_coverage_mean']:>17.3f} ({v['authors_coverage_sem']:.3f})"
                    f"{v['authors_energy_levels_visited']:>8.3f}{v['authors_survival']:>9.2f}")
        lines.append(row)
    return "\n".join(lines)


@dataclass
class FourRoomsStudy(Study):
    """The four-room comparison at several food gains (one spawned seed per gain)."""

    food_gains: tuple[int, ...] = (3, 10)
    epsilons: tuple[float, ...] = (0.45, 0.5)  # further R agents (the paper's Fig. 2 curves)
    capacity: int = 100
    gamma: float = 0.99
    n_trials: int = 50  # as the authors (50 episodes of 50,000 steps per gain)
    n_steps: int = 50_000

    name: ClassVar[str] = "four-rooms"
    USES_TORCH: ClassVar[bool] = False
    BUDGETS: ClassVar[dict[str, dict]] = {
        "smoke": dict(food_gains=(10,), epsilons=(0.5,), capacity=30, n_trials=3, n_steps=500),
        "default": {},
        "paper": dict(food_gains=(2, 3, 4, 10), n_trials=100, n_steps=50_000),
    }

    def run(self, out_dir, *, resume: bool = True, progress: bool = True) -> StudyResult:
        """Compare the agents at every food gain; ``four_rooms_gain<G>.nc`` and a figure each."""

        started = time.perf_counter()
        out = self.prepare(out_dir, resume=resume)
        datasets, figures, tables, summary = {}, {}, [], {}
        for gain, stream in zip(self.food_gains, spawn(self.seed, len(self.food_gains))):
            res, extra = compare_four_rooms(capacity=self.capacity, food_gain=gain,
                                            n_trials=self.n_trials, n_steps=self.n_steps,
                                            gamma=self.gamma, random_state=stream,
                                            progress=progress, epsilons=self.epsilons)
            datasets[f"four_rooms_gain{gain}"] = res
            figures[f"four_rooms_gain{gain}"] = comparison_figure(
                extra["occupancy"], extra["survival"], extra["energy"], extra["world"])
            tables.append(f"food gain {gain}, {self.n_trials} trials x {self.n_steps} steps\n"
                          + format_table(res))
            summary[f"gain{gain}"] = {
                str(a): {k: float(res[k].sel(agent=a)) for k in
                         ("survival", "lifetime_median", "coverage", "energy_levels_visited",
                          "action_entropy")} for a in res["agent"].values}
        return self.finish(out, table="\n\n".join(tables), summary=summary, started=started,
                           datasets=datasets, figures=figures)
