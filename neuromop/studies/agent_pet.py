"""Agent–pet study (MOP paper, Fig. 5): an altruistic MOP agent opens the pet's fence.

Hypothesis: an agent that values the pet's next-state entropy (``beta > 0`` in the MOP objective;
the pet's random moves are the world's only stochasticity) keeps the fence open more of the
time as ``beta`` grows; a selfish agent (``beta = 0``) toggles it only by chance.

World: :func:`~neuromop.mdp.worlds.agent_pet` with ``rules="authors"`` (the authors' 5 x 5 grid,
the fence a column the pet cannot enter while closed, lever in the corner, no collisions;
``code_occupancy_max/agent_pet/gridfriendly_poly.txt`` in jorgeerrz/occupancy_max_paper). Exact
MOP (alpha = 1, gamma = 0.98) for every ``beta``; episodes of 2,000 steps from the authors' start,
fence closed; the fence-open fraction counts the fence after each step, as their ``ccount``.

Two policies are rolled out from the same solution:

- ``"exact"``: the MOP policy ``softmax(Q)``;
- ``"authors-loop"``: the policy of the authors' simulation loop, which weighs ``toggle`` exactly
  as ``stay`` (:func:`~neuromop.mdp.worlds.toggle_as_stay_policy` explains the loop variable
  behind it).

Their committed figure data (``cc0_11x10_...``: 10 episodes per beta,
:data:`~neuromop.mdp.paper.AUTHORS_OPEN`) are put beside both; a second committed set
(``fig4_longsim/cc_11x10_*``: 70 episodes per beta,
:data:`~neuromop.mdp.paper.AUTHORS_OPEN_LONGSIM`, 0.50 -> 0.67) comes from a script version that is
not in their repository and is shown for reference only.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import ClassVar

import numpy as np
import xarray as xr

from neuromop._intervals import mean_interval, reference_z
from neuromop._provenance import provenance
from neuromop._random import spawn
from neuromop.mdp.paper import (  # the authors' numbers, importable from here too
    AUTHORS_OPEN,
    AUTHORS_OPEN_LONGSIM,
)
from neuromop.mdp.rollout import rollout
from neuromop.mdp.solvers import solve_mop
from neuromop.mdp.worlds import agent_pet, toggle_as_stay_policy
from neuromop.mdp.worlds.pet import TOGGLE
from neuromop.plots.mdp import plot_agent_pet
from neuromop.studies.protocol import Study, StudyResult

__all__ = ["AgentPetStudy", "POLICIES", "format_agent_pet"]

#: Policies the study rolls out from each MOP solution.
POLICIES = ("exact", "authors-loop")


def _reference(table: dict, betas) -> np.ndarray:
    """(beta, 2) array of (mean, sem) from ``table``; NaN where the authors have no beta."""
    out = np.full((len(betas), 2), np.nan)
    for i, b in enumerate(betas):
        key = round(float(b), 6)
        if key in table:
            out[i] = table[key]
    return out


@dataclass
class AgentPetStudy(Study):
    """Exact MOP agents over ``beta`` in the authors' agent–pet world: fence-open fraction."""

    seed: int = 2024
    betas: tuple[float, ...] = tuple(AUTHORS_OPEN)
    gamma: float = 0.98
    n_trials: int = 100
    n_steps: int = 2000
    tol: float = 1e-6

    name: ClassVar[str] = "agent-pet"
    USES_TORCH: ClassVar[bool] = False
    BUDGETS: ClassVar[dict[str, dict]] = {
        "smoke": dict(betas=(0.0, 0.2), n_trials=8, n_steps=300),
        "default": {},
        "paper": dict(n_trials=1000),
    }

    def sweep(self, *, progress: bool = True) -> xr.Dataset:
        """Solve MOP for every beta and roll out both :data:`POLICIES` (one spawned stream
        per beta and policy)."""
        world = agent_pet(rules="authors")
        streams = spawn(self.seed, len(self.betas) * len(POLICIES))
        nb, npol = len(self.betas), len(POLICIES)
        size = world.layout.width
        open_frac = np.zeros((npol, nb, self.n_trials))
        entropy = np.zeros((npol, nb))
        toggles = np.zeros((npol, nb))
        pet_occ = np.zeros((npol, nb, size, size))
        for j, beta in enumerate(self.betas):
            res = solve_mop(world.mdp, beta=beta, gamma=self.gamma, tol=self.tol, stop="bound")
            for k, name in enumerate(POLICIES):
                pi = res.policy if name == "exact" else toggle_as_stay_policy(world, res)
                ds = rollout(world, pi, n_trials=self.n_trials, n_steps=self.n_steps + 1,
                             random_state=streams[j * npol + k])
                after = ds.isel(time=slice(1, None))  # the fence after each of the n_steps
                open_frac[k, j] = after["fence"].mean("time").values
                entropy[k, j] = float(ds["action_entropy"].isel(time=slice(0, -1)).mean())
                acted = ds["action"].isel(time=slice(0, -1))
                toggles[k, j] = float((acted == TOGGLE).mean()) * 1000
                x = after["pet_x"].values.ravel() - 1
                y = after["pet_y"].values.ravel() - 1
                pet_occ[k, j] = np.bincount(x * size + y, minlength=size * size).reshape(
                    size, size) / x.size
            if progress:
                print(f"beta={beta:<5} open fraction exact {open_frac[0, j].mean():.3f}, "
                      f"authors' loop {open_frac[1, j].mean():.3f}", flush=True)
        ref = _reference(AUTHORS_OPEN, self.betas)
        ref_long = _reference(AUTHORS_OPEN_LONGSIM, self.betas)
        cells = np.arange(1, size + 1)
        out = xr.Dataset(
            {"open_fraction": (("policy", "beta", "trial"), open_frac,
                               {"units": "fraction of steps with the fence open"}),
             "action_entropy": (("policy", "beta"), entropy, {"units": "nats"}),
             "toggles": (("policy", "beta"), toggles, {"units": "toggles per 1000 steps"}),
             "pet_occupancy": (("policy", "beta", "pet_x", "pet_y"), pet_occ,
                               {"units": "fraction of steps"}),
             "authors_open_mean": ("beta", ref[:, 0], {"units": "fraction of steps"}),
             "authors_open_sem": ("beta", ref[:, 1], {"units": "fraction of steps"}),
             "authors_longsim_open_mean": ("beta", ref_long[:, 0],
                                           {"units": "fraction of steps"}),
             "authors_longsim_open_sem": ("beta", ref_long[:, 1],
                                          {"units": "fraction of steps"})},
            coords={"policy": list(POLICIES), "beta": list(self.betas),
                    "trial": np.arange(self.n_trials), "pet_x": cells, "pet_y": cells},
        )
        out["beta"].attrs["long_name"] = "weight of the pet's next-state entropy"
        out.attrs["fence_cells"] = world.pen.tolist()
        out.attrs.update(provenance("neuromop.studies.AgentPetStudy.sweep",
                                    settings=self.settings()))
        return out

    def run(self, out_dir, *, resume: bool = True, progress: bool = True) -> StudyResult:
        """The sweep, ``agent_pet.nc``, ``agent_pet.png`` and the table beside the authors'."""

        started = time.perf_counter()
        out = self.prepare(out_dir, resume=resume)
        ds = self.sweep(progress=progress)
        m = mean_interval(ds["open_fraction"])
        z = agreement(ds)
        summary = {
            "open_fraction": {p: {f"beta={b:g}": float(m["mean"].sel(policy=p, beta=b))
                                  for b in self.betas} for p in POLICIES},
            "max_abs_z_vs_authors": {p: None if np.isnan(float(z.sel(policy=p))) else
                                     float(z.sel(policy=p)) for p in POLICIES},
            "rises_with_beta": {p: bool(m["mean"].sel(policy=p)[-1] > m["high"].sel(
                policy=p)[0]) for p in POLICIES},
        }
        return self.finish(out, table=format_agent_pet(ds), summary=summary, started=started,
                           datasets={"agent_pet": ds}, figures={"agent_pet": plot_agent_pet(ds)})


def agreement(ds: xr.Dataset) -> xr.DataArray:
    """Largest |z| over beta between each policy's mean open fraction and the authors' figure
    data, ``z = (mean - authors) / sqrt(sem^2 + authors_sem^2)`` (NaN when no beta matches)."""
    z = reference_z(ds["open_fraction"], ds["authors_open_mean"], ds["authors_open_sem"])
    return abs(z).max("beta", skipna=True).rename("max_abs_z")


def format_agent_pet(ds: xr.Dataset) -> str:
    """Per beta: the fence-open fraction (mean [95 % t-interval]) of both policies beside the
    authors' figure data (mean and standard error, 10 episodes)."""
    m = mean_interval(ds["open_fraction"])
    lines = [f"{'beta':>5}{'exact MOP (95 % CI)':>26}{'authors-loop (95 % CI)':>27}"
             f"{'authors (SEM)':>17}"]
    for b in ds["beta"].values:
        row = f"{float(b):>5.2f}"
        for p in ds["policy"].values:
            sel = dict(policy=p, beta=b)
            row += (f"{float(m['mean'].sel(sel)):>11.3f} [{float(m['low'].sel(sel)):.3f}, "
                    f"{float(m['high'].sel(sel)):.3f}]")
        a, s = float(ds["authors_open_mean"].sel(beta=b)), float(ds["authors_open_sem"].sel(
            beta=b))
        row += f"{a:>10.3f} ({s:.3f})" if np.isfinite(a) else f"{'-':>17}"
        lines.append(row)
    z = agreement(ds)
    lines.append("largest |z| against the authors' figure data: " + ", ".join(
        f"{p} {float(z.sel(policy=p)):.1f}" if np.isfinite(float(z.sel(policy=p))) else f"{p} -"
        for p in ds["policy"].values))
    return "\n".join(lines)
