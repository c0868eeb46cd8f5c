"""Predator-prey study (MOP paper, Fig. 4): a MOP mouse vs a reward-maximising (R) mouse.

Hypothesis: a mouse that maximises future action-state path occupancy survives the cat about as
long as a mouse paid to stay alive, but behaves far more variably: it uses many more actions
(higher action entropy) and circles the obstacle in both directions ("hide and seek"), whereas
the R mouse is nearly deterministic. A random mouse starves at home.

World and agents follow the authors' scripts (jorgeerrz/occupancy_max_paper,
``code_occupancy_max/predator_prey/gridworld_H.txt`` and ``gridworld_R.txt``): see
:mod:`neuromop.mdp.worlds.predator_prey`. MOP: alpha = 1, beta = 0, gamma = 0.98. R: +1 per step
alive (the scripts pay -1 on death, an equivalent affine change), epsilon = 0.05, gamma = 0.98. The
scripts' recorded lifetimes at F = 15 (``plotting_data_predatorprey.jl``, ``life_H[3]``,
``life_R[3]``) have means 116.3 (MOP, n = 40) and 108.1 (R, n = 42) steps; the F sweep (F = 13..20,
:data:`~neuromop.mdp.paper.AUTHORS_FOOD_SWEEP`) puts the package's lifetimes, with 95 % intervals,
beside the authors' means and standard errors (their samples are small, 26-58 lives per F), and the
fraction of clockwise turns beside theirs (:data:`~neuromop.mdp.paper.AUTHORS_CLOCKWISE`). Turns are
counted by :func:`rotations`, not by the authors' rule (crossings of the obstacle column, with a
carry-over between their 500-step epochs); both measure the sense of circling the obstacle. Their
lifetimes come from runs with rebirth at home after death; the package's are independent episodes.

Why the package's MOP mouse outlives theirs at large F: their value iteration gives a mouse
that eats with energy left the successor energy 1 (the world module's (i)), so their values
make eating early look nearly fatal and their mouse arrives at the food late. With
``authors_conventions`` (default) the sweep adds a MOP mouse acting on their values through
their simulator's rule (:func:`~neuromop.mdp.worlds.predator_prey.authors_simulation_policy`)
(the comparison at F = 15 adds the same mouse: its energy occupancy is 0.007 in total variation
from their MOP mouse's, the package's MOP mouse 0.077) and an R mouse with their epsilon for each
F (0.03-0.065,
:data:`~neuromop.mdp.paper.AUTHORS_R_EPSILON`; the package's R uses one ``epsilon``), both in the
package's world, beside the package's mice.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import ClassVar

import numpy as np
import xarray as xr

from neuromop._provenance import provenance
from neuromop._random import spawn
from neuromop.analysis import lifetime, survival_curve
from neuromop.mdp.agents import random_policy
from neuromop.mdp.paper import (  # the authors' numbers, importable from here too
    AUTHORS_CLOCKWISE,
    AUTHORS_ENERGY_OCCUPANCY,
    AUTHORS_FOOD_SWEEP,
    AUTHORS_R_EPSILON,
)
from neuromop.mdp.rollout import (  # rotations: importable from here too
    energy_histogram,
    occupancy_map,
    rollout,
    rotations,
)
from neuromop.mdp.solvers import solve_mop, solve_reward
from neuromop.mdp.worlds import predator_prey
from neuromop.mdp.worlds.predator_prey import authors_simulation_policy, authors_value_model
from neuromop.plots.mdp import plot_predator_prey, plot_predator_prey_food_sweep
from neuromop.studies.protocol import Study, StudyResult

__all__ = ["OBSTACLE_CENTRE", "PredatorPreyStudy", "SWEEP_AGENTS", "format_table", "rotations"]


#: The mice of the F sweep: the package's MOP and R mice, and (``authors_conventions``) a MOP
#: mouse acting on the values of the authors' value iteration and an R mouse with the authors'
#: epsilon for that F (:data:`~neuromop.mdp.paper.AUTHORS_R_EPSILON`), in the same world.
SWEEP_AGENTS = ("MOP", "R", "MOP, authors' values", "R, authors' epsilon")


#: Centre of the authors' obstacle (3, 5)-(3, 6), for counting turns around it.
OBSTACLE_CENTRE = (3.0, 5.5)


def format_table(ds: xr.Dataset) -> str:
    """Per agent: lifetime mean and median, time at home, action entropy, turns and, where the
    authors recorded it, the total-variation distance of the energy occupancy from theirs."""
    rot = ds["rotations"].sum("trial")
    lines = [f"{'agent':<21}{'life mean':>10}{'median':>8}{'at home':>9}{'H(a) nats':>10}"
             f"{'cw turns':>9}{'ccw turns':>10}{'energy TV vs authors':>22}"]
    for a in ds["agent"].values:
        life = ds["lifetime"].sel(agent=a)
        tv = "-"
        if "authors_energy_occupancy" in ds:
            ref = ds["authors_energy_occupancy"].sel(agent=a)
            if bool(ref.notnull().all()):
                tv = f"{0.5 * float(abs(ds['energy_occupancy'].sel(agent=a) - ref).sum()):.3f}"
        lines.append(f"{a:<21}{float(life.mean()):>10.1f}{float(life.median()):>8.0f}"
                     f"{float(ds['time_at_home'].sel(agent=a)):>9.3f}"
                     f"{float(ds['action_entropy'].sel(agent=a)):>10.3f}"
                     f"{int(rot.sel(agent=a, direction='clockwise')):>9d}"
                     f"{int(rot.sel(agent=a, direction='anticlockwise')):>10d}{tv:>22}")
    return "\n".join(lines)


@dataclass
class PredatorPreyStudy(Study):
    """MOP, R and random mice against the cat: lifetimes, occupancy, energy, turns."""

    seed: int = 2024
    gamma: float = 0.98
    epsilon: float = 0.05
    n_energy: int = 15
    cat_beta: float = 2.0
    n_trials: int = 200
    n_steps: int = 2000
    tol: float = 1e-2
    food_gains: tuple[int, ...] = tuple(AUTHORS_FOOD_SWEEP)  # F sweep (energy levels)
    authors_conventions: bool = True  # F sweep: also the mice of the authors' conventions

    name: ClassVar[str] = "predator-prey"
    USES_TORCH: ClassVar[bool] = False
    BUDGETS: ClassVar[dict[str, dict]] = {
        "smoke": dict(n_trials=10, n_steps=200, tol=0.1, food_gains=(13, 15)),
        "default": {},
        "paper": dict(n_trials=1000, n_steps=5000),
    }

    def compare(self, *, progress: bool = True) -> xr.Dataset:
        """Solve both mice, roll them out with a random mouse (one spawned stream each)."""
        world = predator_prey(n_energy=self.n_energy, cat_beta=self.cat_beta)
        policies = {
            "MOP": solve_mop(world.mdp, alpha=1.0, beta=0.0, gamma=self.gamma, tol=self.tol),
            "R": solve_reward(world.mdp, epsilon=self.epsilon, gamma=self.gamma, tol=self.tol),
            "random": random_policy(world.mdp),
        }
        streams = spawn(self.seed, 3)
        if self.authors_conventions:  # a stream spawned apart: the other rollouts are unchanged
            policies["MOP, authors' values"] = authors_simulation_policy(world, solve_mop(
                authors_value_model(world), alpha=1.0, beta=0.0, gamma=self.gamma,
                tol=self.tol))
            streams.append(spawn(self.seed, 4)[3])
        per = {}
        for (name, pol), stream in zip(policies.items(), streams, strict=True):
            ds = rollout(world, pol, n_trials=self.n_trials, n_steps=self.n_steps,
                         random_state=stream)
            alive = ~ds["terminated"]
            # the dead state is labelled (0, 0); occupancy_map bins every step before weighting
            ds = ds.assign(x=ds["x"].where(alive, 1), y=ds["y"].where(alive, 1))
            home = xr.DataArray(world.in_home(ds["x"].values, ds["y"].values),
                                dims=("trial", "time")) & alive
            per[name] = {
                "lifetime": lifetime(ds["terminated"])["lifetime"],
                "time_at_home": float(home.sum() / alive.sum()),
                "action_entropy": float(ds["action_entropy"].where(alive).mean()),
                "occupancy": occupancy_map(ds, world),
                "survival_curve": survival_curve(ds["terminated"], dims="trial"),
                "energy_occupancy": energy_histogram(ds, capacity=self.n_energy),
                "rotations": rotations(ds),
            }
            if progress:
                print(f"{name:<7} lifetime mean {float(per[name]['lifetime'].mean()):7.1f} "
                      f"median {float(per[name]['lifetime'].median()):6.0f}  at home "
                      f"{per[name]['time_at_home']:.3f}  action entropy "
                      f"{per[name]['action_entropy']:.3f} nats", flush=True)
        agents = list(per)

        def stack(key):
            return xr.concat([per[a][key].drop_vars(
                [c for c in per[a][key].coords if c not in per[a][key].dims]) for a in agents],
                dim="agent").assign_coords(agent=agents)

        out = xr.Dataset(
            {"lifetime": stack("lifetime").assign_attrs(units="steps"),
             "time_at_home": ("agent", [per[a]["time_at_home"] for a in agents],
                              {"units": "fraction of alive steps"}),
             "action_entropy": ("agent", [per[a]["action_entropy"] for a in agents],
                                {"units": "nats"}),
             "occupancy": stack("occupancy").assign_attrs(units="fraction of alive steps"),
             "survival_curve": stack("survival_curve"),
             "energy_occupancy": stack("energy_occupancy"),
             "rotations": stack("rotations").assign_attrs(units="completed turns")},
        )
        ref = np.full((len(agents), self.n_energy), np.nan)
        if self.n_energy == len(AUTHORS_ENERGY_OCCUPANCY["MOP"]):  # their F = 15
            for k, a in enumerate(agents):
                theirs = {"MOP": "MOP", "R": "R", "MOP, authors' values": "MOP"}.get(a)
                if theirs is not None:
                    ref[k] = AUTHORS_ENERGY_OCCUPANCY[theirs]
        out["authors_energy_occupancy"] = (("agent", "energy"), ref,
                                           {"units": "fraction of alive steps"})
        for v in out.data_vars.values():
            for key in ("parameters", "created_by", "created_at", "neuromop_version",
                        "neuromop_commit", "python"):
                v.attrs.pop(key, None)
        out.attrs.update(provenance("neuromop.studies.PredatorPreyStudy.compare",
                                    settings=self.settings()))
        return out

    def food_sweep(self, *, progress: bool = True) -> xr.Dataset:
        """MOP and R mice at every food gain F of ``food_gains`` (one spawned stream per F and
        agent): lifetimes, action entropy and the fraction of clockwise turns, with the authors'
        mean lifetimes where they recorded them. With ``authors_conventions`` a third mouse acts on
        the values of the authors' value iteration
        (:func:`~neuromop.mdp.worlds.predator_prey.authors_value_model`, through
        :func:`~neuromop.mdp.worlds.predator_prey.authors_simulation_policy`) and an R mouse uses
        their epsilon for that F (:data:`~neuromop.mdp.paper.AUTHORS_R_EPSILON`, ``epsilon`` where
        they have none), in the same world (their streams are spawned apart, so the rollouts of the
        first two are unchanged)."""
        agents = list(SWEEP_AGENTS[:4 if self.authors_conventions else 2])
        streams = spawn(spawn(self.seed, 2)[1], 2 * len(self.food_gains))
        extra = spawn(spawn(self.seed, 3)[2], 2 * len(self.food_gains))
        life = np.zeros((len(self.food_gains), len(agents), self.n_trials))
        entropy = np.zeros((len(self.food_gains), len(agents)))
        clockwise = np.full((2, len(self.food_gains), len(agents)), np.nan)  # angle, theirs
        for i, F in enumerate(self.food_gains):
            world = predator_prey(n_energy=F, cat_beta=self.cat_beta)
            pols = [solve_mop(world.mdp, alpha=1.0, beta=0.0, gamma=self.gamma, tol=self.tol),
                    solve_reward(world.mdp, epsilon=self.epsilon, gamma=self.gamma,
                                 tol=self.tol)]
            runs = [streams[2 * i], streams[2 * i + 1]]
            if self.authors_conventions:
                theirs = solve_mop(authors_value_model(world), alpha=1.0, beta=0.0,
                                   gamma=self.gamma, tol=self.tol)
                pols += [authors_simulation_policy(world, theirs),
                         solve_reward(world.mdp, epsilon=AUTHORS_R_EPSILON.get(F, self.epsilon),
                                      gamma=self.gamma, tol=self.tol)]
                runs += [extra[2 * i], extra[2 * i + 1]]
            for k, (pol, stream) in enumerate(zip(pols, runs, strict=True)):
                ds = rollout(world, pol, n_trials=self.n_trials, n_steps=self.n_steps,
                             random_state=stream)
                alive = ~ds["terminated"]
                life[i, k] = lifetime(ds["terminated"])["lifetime"].values
                entropy[i, k] = float(ds["action_entropy"].where(alive).mean())
                placed = ds.assign(x=ds["x"].where(alive, 1), y=ds["y"].where(alive, 1))
                for r, rule in enumerate(("angle", "authors")):
                    turns = rotations(placed, rule=rule).sum("trial")
                    total = float(turns.sum())
                    if total > 0:
                        clockwise[r, i, k] = float(turns.sel(direction="clockwise")) / total
            if progress:
                print(f"F={F}: lifetime " + ", ".join(
                    f"{a} {life[i, k].mean():.1f}" for k, a in enumerate(agents)) + " steps",
                    flush=True)
        ref = np.full((len(self.food_gains), len(agents), 2), np.nan)
        ref_cw = np.full((len(self.food_gains), len(agents), 2), np.nan)
        for i, F in enumerate(self.food_gains):  # the authors' MOP mouse used their values
            theirs = [0, 1, 0, 1][:len(agents)]
            if F in AUTHORS_FOOD_SWEEP:
                ref[i] = [AUTHORS_FOOD_SWEEP[F][k][:2] for k in theirs]
            if F in AUTHORS_CLOCKWISE:
                ref_cw[i] = [AUTHORS_CLOCKWISE[F][k] for k in theirs]
        dims = ("food_gain", "agent")
        out = xr.Dataset(
            {"lifetime": (dims + ("trial",), life, {"units": "steps"}),
             "action_entropy": (dims, entropy, {"units": "nats"}),
             "clockwise_fraction": (dims, clockwise[0],
                                    {"units": "fraction of completed turns around the "
                                              "obstacle"}),
             "clockwise_fraction_authors_rule": (
                 dims, clockwise[1], {"units": "fraction of turns, the authors' crossing rule"}),
             "authors_lifetime_mean": (dims, ref[..., 0], {"units": "steps"}),
             "authors_lifetime_sem": (dims, ref[..., 1], {"units": "steps"}),
             "authors_clockwise_mean": (dims, ref_cw[..., 0],
                                        {"units": "fraction of rotations (their rule)"}),
             "authors_clockwise_sem": (dims, ref_cw[..., 1],
                                       {"units": "fraction of rotations (their rule)"})},
            coords={"food_gain": list(self.food_gains), "agent": agents,
                    "trial": np.arange(self.n_trials)},
        )
        out["food_gain"].attrs["long_name"] = "energy levels F (food refills to F)"
        out.attrs.update(provenance("neuromop.studies.PredatorPreyStudy.food_sweep",
                                    settings=self.settings()))
        return out

    def run(self, out_dir, *, resume: bool = True, progress: bool = True) -> StudyResult:
        """The comparison, ``predator_prey.nc``, ``predator_prey.png`` and the table; the F
        sweep, ``predator_prey_food_sweep.nc`` and ``.png``."""

        started = time.perf_counter()
        out = self.prepare(out_dir, resume=resume)
        ds = self.compare(progress=progress)
        sweep = self.food_sweep(progress=progress) if self.food_gains else None
        summary = {str(a): {"lifetime_mean": float(ds["lifetime"].sel(agent=a).mean()),
                            "lifetime_median": float(ds["lifetime"].sel(agent=a).median()),
                            "time_at_home": float(ds["time_at_home"].sel(agent=a)),
                            "action_entropy": float(ds["action_entropy"].sel(agent=a))}
                   for a in ds["agent"].values}
        datasets, figures = {"predator_prey": ds}, {"predator_prey": plot_predator_prey(ds)}
        table = format_table(ds)
        if sweep is not None:
            datasets["predator_prey_food_sweep"] = sweep
            figures["predator_prey_food_sweep"] = plot_predator_prey_food_sweep(sweep)
            table += "\n\n" + format_food_sweep(sweep)
            summary["food_sweep"] = {
                f"F={F}": {str(a): float(sweep["lifetime"].sel(food_gain=F, agent=a).mean())
                           for a in sweep["agent"].values} for F in self.food_gains}
            summary["lifetime_max_abs_z_vs_authors"] = lifetime_agreement(sweep)
        return self.finish(out, table=table, summary=summary, started=started,
                           datasets=datasets, figures=figures)


def lifetime_agreement(sweep: xr.Dataset) -> dict[str, float | None]:
    """Per mouse of the F sweep, the largest |z| over F between its mean lifetime and the
    authors' (``z = (mean - theirs) / sqrt(sem^2 + their_sem^2)``; None without a match)."""
    from neuromop._intervals import reference_z

    z = abs(reference_z(sweep["lifetime"], sweep["authors_lifetime_mean"],
                        sweep["authors_lifetime_sem"])).max("food_gain", skipna=True)
    return {str(a): (None if np.isnan(v) else float(v))
            for a, v in zip(sweep["agent"].values, z.values, strict=True)}


def format_food_sweep(sweep: xr.Dataset) -> str:
    """The F sweep as text: mean lifetime with 95 % t-interval per agent, the authors' mean
    and standard error, the action entropy and the clockwise fraction."""
    from neuromop._intervals import mean_interval

    m = mean_interval(sweep["lifetime"])
    lines = [f"{'F':>3} {'agent':<21}{'lifetime (95 % CI)':>24}{'authors (SEM)':>17}"
             f"{'H(a) nats':>11}{'cw (angle)':>11}{'cw (their rule)':>16}{'authors (SEM)':>17}"]
    for F in sweep["food_gain"].values:
        for a in sweep["agent"].values:
            sel = dict(food_gain=F, agent=a)
            lines.append(
                f"{int(F):>3} {a:<21}{float(m['mean'].sel(sel)):>10.1f} "
                f"[{float(m['low'].sel(sel)):6.1f}, {float(m['high'].sel(sel)):6.1f}]"
                f"{float(sweep['authors_lifetime_mean'].sel(sel)):>10.1f} "
                f"({float(sweep['authors_lifetime_sem'].sel(sel)):4.1f})"
                f"{float(sweep['action_entropy'].sel(sel)):>11.3f}"
                f"{float(sweep['clockwise_fraction'].sel(sel)):>11.3f}"
                f"{float(sweep['clockwise_fraction_authors_rule'].sel(sel)):>16.3f}"
                + (f"{float(sweep['authors_clockwise_mean'].sel(sel)):>10.3f} "
                   f"({float(sweep['authors_clockwise_sem'].sel(sel)):.3f})"
                   if "authors_clockwise_mean" in sweep else ""))
    lines.append("largest |z| of the lifetime against the authors': " + ", ".join(
        f"{a} {'-' if v is None else f'{v:.1f}'}" for a, v in lifetime_agreement(sweep).items()))
    return "\n".join(lines)
