"""Noisy-TV study (MOP paper): does a MOP agent get stuck watching noise?

In the four-room world with a noisy room (x in 7..11, y in 1..5: with probability ``eta`` the
chosen action is replaced by a uniformly drawn admissible one) the MOP agent with ``beta > 0``
values the room's state entropy. Short-sighted agents (gamma = 0.99) spend more time there as
beta grows; far-sighted ones (gamma = 0.999) learn that the noise costs control (reaching food,
survival) and avoid it. Defaults follow the authors' published sweep
(jorgeerrz/occupancy_max_paper, gridworld_clean.jl, "Noisy TV problem"): eta = 1, capacity
100, food_gain = capacity, start (3, 3) with full energy, 1000 steps per trial. Time in the
room is the fraction of *alive* steps (the authors also count the death step).

The authors' committed sweep (``tv_room/time_room_betas_..._time_1000.dat`` and
``survival_room_...``: 100 episodes per (gamma, beta)) is
:data:`~neuromop.mdp.paper.AUTHORS_NOISY_TV`; the table and the figure put the package's means with
95 % t-intervals beside their means and standard errors. Their survival counts the start position
(1,001 for a full episode), the package's lifetime the alive steps (at most ``n_steps``).
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
from neuromop.mdp.paper import (  # the authors' numbers, importable from here too
    AUTHORS_NOISY_TV,
    AUTHORS_NOISY_TV_BETAS,
)
from neuromop.mdp.rollout import rollout
from neuromop.mdp.solvers import solve_mop
from neuromop.mdp.worlds import noisy_tv
from neuromop.mdp.worlds.four_rooms import TV_ROOM
from neuromop.plots.mdp import plot_noisy_tv
from neuromop.studies.protocol import Study, StudyResult

__all__ = ["NoisyTVStudy", "agreement", "format_noisy_tv", "time_in_tv_room"]


def _authors_grid(gammas, betas) -> np.ndarray:
    """(gamma, beta, 4) array of the authors' (time mean, sem, survival mean, sem); NaN where
    they have no cell."""
    out = np.full((len(gammas), len(betas), 4), np.nan)
    for i, g in enumerate(gammas):
        for j, b in enumerate(betas):
            key = round(float(b), 6)
            if float(g) in AUTHORS_NOISY_TV and key in AUTHORS_NOISY_TV_BETAS:
                k = AUTHORS_NOISY_TV_BETAS.index(key)
                out[i, j] = [col[k] for col in AUTHORS_NOISY_TV[float(g)]]
    return out


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
    gammas: tuple[float, ...] = (0.99, 0.995, 0.999)
    betas: tuple[float, ...] = AUTHORS_NOISY_TV_BETAS
    eta: float = 1.0
    food_gain: int | None = None  # None: food fills the tank (food_gain = capacity)
    capacity: int = 100
    n_trials: int = 100
    n_steps: int = 1000
    tol: float = 1e-2

    name: ClassVar[str] = "noisy-tv"
    USES_TORCH: ClassVar[bool] = False
    BUDGETS: ClassVar[dict[str, dict]] = {
        "smoke": dict(gammas=(0.9, 0.99), betas=(0.0, 0.3), capacity=30, n_trials=4,
                      n_steps=300, tol=0.1),
        "default": {},
        "paper": dict(gammas=(0.95, 0.99, 0.995, 0.999), n_trials=1000),
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
        ref = _authors_grid(self.gammas, self.betas)
        for k, (name, units) in enumerate((("time_in_tv_room", "fraction of positions"),
                                           ("survival", "positions (1001 = full episode)"))):
            out[f"authors_{name}_mean"] = (("gamma", "beta"), ref[..., 2 * k], {"units": units})
            out[f"authors_{name}_sem"] = (("gamma", "beta"), ref[..., 2 * k + 1],
                                          {"units": units})
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
        summary["max_abs_z_vs_authors"] = {f"gamma={g:g}": agreement(ds.sel(gamma=g))
                                           for g in self.gammas}
        return self.finish(out, table=format_noisy_tv(ds), summary=summary, started=started,
                           datasets={"noisy_tv": ds}, figures={"noisy_tv": plot_noisy_tv(ds)})


def agreement(ds: xr.Dataset) -> float | None:
    """Largest |z| of the time in the TV room against the authors' cells,
    ``z = (mean - authors) / sqrt(sem^2 + authors_sem^2)``, over the cells where either
    standard error is positive (None when there is none)."""
    from neuromop._intervals import reference_z

    z = abs(reference_z(ds["time_in_tv_room"], ds["authors_time_in_tv_room_mean"],
                        ds["authors_time_in_tv_room_sem"]))
    return None if int(z.count()) == 0 else float(z.max(skipna=True))


def format_noisy_tv(ds: xr.Dataset) -> str:
    """Per (gamma, beta): time in the TV room and lifetime (mean [95 % t-interval]) beside the
    authors' means (standard errors)."""
    from neuromop._intervals import mean_interval

    t, life = mean_interval(ds["time_in_tv_room"]), mean_interval(ds["lifetime"])
    lines = [f"{'gamma':>6}{'beta':>6}{'time in room (95 % CI)':>26}{'authors (SEM)':>16}"
             f"{'lifetime (95 % CI)':>24}{'authors (SEM)':>16}"]
    for g in ds["gamma"].values:
        for b in ds["beta"].values:
            sel = dict(gamma=g, beta=b)
            row = f"{float(g):>6g}{float(b):>6.2f}"
            for m, key, fmt in ((t, "time_in_tv_room", ".3f"), (life, "survival", ".0f")):
                row += (f"{float(m['mean'].sel(sel)):>10{fmt}} [{float(m['low'].sel(sel)):{fmt}}"
                        f", {float(m['high'].sel(sel)):{fmt}}]")
                a = float(ds[f"authors_{key}_mean"].sel(sel))
                e = float(ds[f"authors_{key}_sem"].sel(sel))
                row += f"{a:>9{fmt}} ({e:{fmt}})" if np.isfinite(a) else f"{'-':>16}"
            lines.append(row)
    return "\n".join(lines)
