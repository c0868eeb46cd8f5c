"""Noisy-TV study (MOP paper): does a MOP agent get stuck watching noise?

In the four-room world with a noisy room (x in 7..11, y in 1..5: with probability ``eta`` the
chosen action is replaced by a uniformly drawn admissible one) the MOP agent with ``beta > 0``
values the room's state entropy. Short-sighted agents (gamma = 0.99) spend more time there as
beta grows; far-sighted ones (gamma = 0.999) learn that the noise costs control (reaching food,
survival) and avoid it. Defaults follow the authors' published sweep
(jorgeerrz/occupancy_max_paper, gridworld_clean.jl, "Noisy TV problem"): eta = 1, capacity
100, food_gain = capacity, start (3, 3) with full energy, 1000 steps per trial. Time in the
room is the fraction of *alive* steps (the authors also count the death step).
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import ClassVar

import numpy as np
import xarray as xr

from neuromop._provenance import provenance
from neuromop._random import spawn
from neuromop.analysis import lifetime
from neuromop.mdp.rollout import rollout
from neuromop.mdp.solvers import solve_mop
from neuromop.mdp.worlds import noisy_tv
from neuromop.mdp.worlds.four_rooms import TV_ROOM
from neuromop.plots.mdp import plot_noisy_tv
from neuromop.studies.protocol import Study, StudyResult

__all__ = ["NoisyTVStudy", "time_in_tv_room"]


def time_in_tv_room(ds: xr.Dataset) -> xr.DataArray:
    """Fraction of alive time steps spent in the TV room, per trial of a four-room rollout."""
    (x0, x1), (y0, y1) = TV_ROOM
    inside = (ds["x"] >= x0) & (ds["x"] <= x1) & (ds["y"] >= y0) & (ds["y"] <= y1)
    alive = ~ds["terminated"]
    return (inside & alive).sum("time") / alive.sum("time").clip(min=1)


@dataclass
class NoisyTVStudy(Study):
    """MOP agents for every (gamma, beta): time in the noisy room and lifetime."""

    seed: int = 2024
    gammas: tuple[float, ...] = (0.99, 0.999)
    betas: tuple[float, ...] = (0.0, 0.1, 0.2, 0.3)
    eta: float = 1.0
    food_gain: int | None = None  # None: food fills the tank (food_gain = capacity)
    capacity: int = 100
    n_trials: int = 50
    n_steps: int = 1000
    tol: float = 1e-2

    name: ClassVar[str] = "noisy-tv"
    USES_TORCH: ClassVar[bool] = False
    BUDGETS: ClassVar[dict[str, dict]] = {
        "smoke": dict(gammas=(0.9, 0.99), betas=(0.0, 0.3), capacity=30, n_trials=4,
                      n_steps=300, tol=0.1),
        "default": {},
        "paper": dict(gammas=(0.99, 0.995, 0.999),
                      betas=(0.0, 0.05, 0.1, 0.15, 0.2, 0.25, 0.3), n_trials=100, n_steps=1000),
    }

    def sweep(self, *, progress: bool = True) -> xr.Dataset:
        """Solve and roll out the MOP agent for every (gamma, beta) (one spawned stream each)."""
        streams = spawn(self.seed, len(self.gammas) * len(self.betas))
        world = noisy_tv(capacity=self.capacity, food_gain=self.food_gain, eta=self.eta)
        frac = np.zeros((len(self.gammas), len(self.betas), self.n_trials))
        life = np.zeros_like(frac)
        for i, g in enumerate(self.gammas):
            for j, b in enumerate(self.betas):
                res = solve_mop(world.mdp, beta=b, gamma=g, tol=self.tol)
                ds = rollout(world, res, n_trials=self.n_trials, n_steps=self.n_steps,
                             random_state=streams[i * len(self.betas) + j])
                frac[i, j] = time_in_tv_room(ds).values
                life[i, j] = lifetime(ds["terminated"])["lifetime"].values
                if progress:
                    print(f"gamma={g:<6} beta={b:<5} time in TV room {frac[i, j].mean():.4f} "
                          f"(lifetime median {np.median(life[i, j]):.0f} steps)", flush=True)
        out = xr.Dataset(
            {"time_in_tv_room": (("gamma", "beta", "trial"), frac,
                                 {"units": "fraction of alive steps"}),
             "lifetime": (("gamma", "beta", "trial"), life, {"units": "steps"})},
            coords={"gamma": list(self.gammas), "beta": list(self.betas),
                    "trial": np.arange(self.n_trials)},
        )
        out.attrs.update(provenance("neuromop.studies.NoisyTVStudy.sweep",
                                    settings=self.settings()))
        return out

    def run(self, out_dir, *, resume: bool = True, progress: bool = True) -> StudyResult:
        """The sweep, ``noisy_tv.nc``, ``noisy_tv.png`` and the table of mean time in the room."""

        started = time.perf_counter()
        out = self.prepare(out_dir, resume=resume)
        ds = self.sweep(progress=progress)
        mean = ds["time_in_tv_room"].mean("trial")
        summary = {"time_in_tv_room": {f"gamma={g:g}": dict(zip(
            [f"beta={b:g}" for b in self.betas], mean.sel(gamma=g).values.tolist()))
            for g in self.gammas}}
        return self.finish(out, table=mean.to_pandas().round(4).to_string(), summary=summary,
                           started=started, datasets={"noisy_tv": ds},
                           figures={"noisy_tv": plot_noisy_tv(ds)})
