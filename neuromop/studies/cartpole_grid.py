"""Cartpole on the grid (MOP paper, Fig. 3): MOP balances while varying; R needs small epsilon.

The exact MOP agent (alpha = 1, beta = 0) and epsilon-greedy R agents (+1 per step alive) are
solved on the grid (:func:`neuromop.mdp.worlds.solve_cartpole_grid`) and rolled out in the
continuous cartpole with statistics streamed in batches
(:func:`neuromop.mdp.worlds.cartpole_statistics`): lifetime over the horizon, action entropy,
and the (x, theta) occupancy, the paper's heat maps. The hypothesis: MOP survives like the best
R agents while occupying a wider range of positions and angles; R survives only for small
epsilon.

The authors' run (``cartpole.jl`` in jorgeerrz/occupancy_max_paper): a 41^4 x 2 grid with omega
within 6 rad/s and v within 12 m/s (``CartpoleParams.preset("authors")``), gamma = 0.98, starts with
theta, omega, v and x drawn from {-0.5, ..., 0.5} x pi/180, 1,000 episodes of 100,000 steps.
:data:`~neuromop.mdp.paper.AUTHORS_CARTPOLE` holds their committed lifetimes (mean and standard
error). Their R agent adds a negligible reward to break ties between equally surviving actions
(``degeneracy_cost``, ``delta = 1e-5``); the package's R splits the greedy share among ties instead.
The ``default`` budget uses a 31^4 grid and 10,000-step episodes (a coarser grid than the authors',
so lifetimes are shorter); ``paper`` uses their sizes (a 41^4 solve takes ~3.5 minutes and 3.2 GB
per agent).
"""

from __future__ import annotations

import shutil
import time
from dataclasses import dataclass
from typing import ClassVar

import numpy as np
import xarray as xr

from neuromop._intervals import mean_interval
from neuromop._random import spawn
from neuromop.mdp.paper import (  # the authors' numbers, importable from here too
    AUTHORS_CARTPOLE,
    authors_cartpole_starts,
)
from neuromop.mdp.worlds.cartpole import CartpoleParams, solve_cartpole_grid
from neuromop.mdp.worlds.cartpole_rollout import cartpole_statistics
from neuromop.plots.mdp import plot_cartpole_grid
from neuromop.studies.protocol import Study, StudyResult, cached_cell

__all__ = ["CartpoleGridStudy"]


@dataclass
class CartpoleGridStudy(Study):
    """Exact MOP and epsilon-greedy R agents on the grid cartpole, rolled out."""

    seed: int = 2024
    n_points: int = 31  # grid points per dimension (the authors' 41)
    physics: str = "authors"  # CartpoleParams.preset name
    epsilons: tuple[float, ...] = (0.0, 0.1, 0.2, 0.3, 0.4)  # R agents' exploration
    gamma: float = 0.98
    alpha: float = 1.0
    tol: float = 1e-3  # sup-norm change of value iteration
    n_trials: int = 100
    n_steps: int = 10_000  # steps per trial (0.02 s each)
    batch_size: int = 100

    name: ClassVar[str] = "cartpole-grid"
    USES_TORCH: ClassVar[bool] = False
    BUDGETS: ClassVar[dict[str, dict]] = {
        "smoke": dict(n_points=9, epsilons=(0.0, 0.3), n_trials=6, n_steps=200, batch_size=6,
                      tol=0.05),
        "default": {},
        "paper": dict(n_points=41, epsilons=tuple(AUTHORS_CARTPOLE["R"]), n_trials=1000,
                      n_steps=100_000, batch_size=250),
    }

    def agents(self) -> list[tuple[str, str, float]]:
        """(label, solver agent, epsilon) of every agent, MOP first."""
        return [("MOP", "mop", 0.0)] + [(f"R eps={e:g}", "reward", e) for e in self.epsilons]

    def cell(self, agent: str, epsilon: float, random_state, *, progress: bool = False
             ) -> xr.Dataset:
        """Solve one agent and stream its rollout statistics."""
        params = CartpoleParams.preset(self.physics)
        sol = solve_cartpole_grid(self.n_points, agent, alpha=self.alpha, gamma=self.gamma,
                                  epsilon=epsilon, tol=self.tol, params=params,
                                  progress=progress)
        start_seed, roll_seed = spawn(random_state, 2)
        ds = cartpole_statistics(sol, self.n_trials, self.n_steps,
                                 start=authors_cartpole_starts(self.n_trials, start_seed),
                                 batch_size=self.batch_size, random_state=roll_seed,
                                 progress=progress)
        ds.attrs = {"sweeps": sol.sweeps, "converged": int(sol.converged),
                    "solve_s": sol.timings["solve_s"]}
        return ds

    def sweep(self, out=None, *, progress: bool = True) -> xr.Dataset:
        """Every agent; with ``out``, finished agents are kept in ``out/cells`` and reused by
        a rerun of the same settings."""
        agents = self.agents()
        streams = spawn(self.seed, len(agents))
        cells = []
        for (label, agent, eps), stream in zip(agents, streams, strict=True):
            path = None if out is None else out / "cells" / f"{label.replace(' ', '_')}.nc"
            cells.append(cached_cell(
                path, lambda a=agent, e=eps, st=stream: self.cell(a, e, st),
                label=lambda ds, name=label: (
                    f"{name}: lifetime {float(ds['lifetime'].mean()):.0f} of {self.n_steps} "
                    f"steps, survival {float(ds['survived'].mean()):.3f}"),
                progress=progress))
        labels = [a[0] for a in agents]
        out_ds = xr.concat(cells, dim=xr.DataArray(labels, dims="agent"))
        out_ds = out_ds.assign_coords(epsilon=("agent", [a[2] for a in agents]))
        out_ds["epsilon"].attrs["long_name"] = "R agent's exploration (0 for MOP)"
        out_ds.attrs.update(self.provenance(
            created_by="neuromop.studies.CartpoleGridStudy.sweep"))
        return out_ds

    def summary_table(self, ds: xr.Dataset) -> xr.Dataset:
        """Mean, standard error and 95 % interval over trials per agent, the spread of the
        occupied positions and angles, and the authors' mean lifetime (NaN where none)."""
        parts = {}
        for var in ("lifetime", "survived", "action_entropy"):
            m = mean_interval(ds[var].astype(float))
            for k in m.data_vars:
                parts[f"{var}_{k}"] = m[k]
        table = xr.Dataset(parts)
        occ = ds["occupancy"].sum("window")
        w = occ / occ.sum(("x", "theta"))
        for dim in ("x", "theta"):
            mean = (w * ds[dim]).sum(("x", "theta"))
            table[f"{dim}_std"] = np.sqrt((w * (ds[dim] - mean) ** 2).sum(("x", "theta")))
        table["x_std"].attrs["units"] = "m"
        table["theta_std"].attrs["units"] = "rad"
        ref = AUTHORS_CARTPOLE
        table["authors_lifetime"] = ("agent", [
            ref["MOP"][0] if a == "MOP" else ref["R"].get(float(e), (np.nan,))[0]
            for a, e in zip(ds["agent"].values, ds["epsilon"].values, strict=True)])
        return table

    def run(self, out_dir, *, resume: bool = True, progress: bool = True) -> StudyResult:
        """The sweep, ``cartpole_grid.nc``, ``cartpole_grid.png`` and the table (means with
        95 % intervals next to the authors' lifetimes)."""
        started = time.perf_counter()
        out = self.prepare(out_dir, resume=resume)
        if not resume:
            shutil.rmtree(out / "cells", ignore_errors=True)
        ds = self.sweep(out, progress=progress)
        table = self.summary_table(ds)
        frame = table.to_dataframe().reset_index()
        frame = frame[["agent", "lifetime_mean", "lifetime_low", "lifetime_high",
                       "authors_lifetime", "survived_mean", "action_entropy_mean", "x_std",
                       "theta_std"]]
        summary = {str(a): {k: float(table[k].sel(agent=a)) for k in
                            ("lifetime_mean", "lifetime_low", "lifetime_high", "survived_mean",
                             "action_entropy_mean", "x_std", "theta_std")}
                   for a in ds["agent"].values}
        summary["n_steps_authors"] = AUTHORS_CARTPOLE["n_steps"]
        text = (f"{self.n_trials} trials x {self.n_steps} steps, {self.n_points}^4 grid, "
                f"physics {self.physics!r} (authors: 1,000 x 100,000 steps, 41^4)\n"
                + frame.round(4).to_string(index=False))
        return self.finish(out, table=text, summary=summary, started=started,
                           datasets={"cartpole_grid": ds}, frames={"cartpole_grid_table": frame},
                           figures={"cartpole_grid": plot_cartpole_grid(ds, table)})
