"""Noisy-TV study: does a MOP agent get stuck watching noise?

In the four-room world with a noisy room (x in 7..11, y in 1..5: with probability eta the chosen
action is replaced by a uniformly drawn admissible one) the MOP agent with beta > 0 values the
room's state entropy. Short-sighted agents (gamma = 0.99) spend more time there as beta grows;
far-sighted ones (gamma = 0.999) learn that the noise costs control (reaching food, survival) and
avoid it. Defaults follow the authors' published sweep (jorgeerrz/occupancy_max_paper,
gridworld_clean.jl, "Noisy TV problem"): eta = 1, capacity 100, food_gain = capacity, start
(3, 3) with full energy, 1000 steps per episode (see :mod:`neuromop.mdp.worlds.four_rooms` for
the measured numbers and why eta = 0.5 does not reproduce the gamma = 0.999 avoidance).
Time in the room is the fraction of *alive* steps (the authors also count the death step).

Run: ``python analysis/noisy_tv.py --budget smoke|default|paper --out outputs/noisy_tv``.
Writes ``noisy_tv.nc`` (time in the TV room per gamma and beta), ``noisy_tv.png`` and prints a
table.
"""

from __future__ import annotations

import argparse
import dataclasses
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import xarray as xr

from neuromop._io import write_netcdf_atomic
from neuromop._provenance import provenance
from neuromop.mdp.rollout import rollout
from neuromop.mdp.solvers import solve_mop
from neuromop.mdp.worlds import noisy_tv
from neuromop.mdp.worlds.four_rooms import TV_ROOM


@dataclass
class Args:
    """Arguments of the study (budget presets fill them)."""

    gammas: tuple[float, ...] = (0.99, 0.999)
    betas: tuple[float, ...] = (0.0, 0.1, 0.2, 0.3)
    eta: float = 1.0
    food_gain: int | None = None  # None: food fills the tank (food_gain = capacity)
    capacity: int = 100
    n_episodes: int = 50
    n_steps: int = 1000
    tol: float = 1e-2
    seed: int = 2024
    out: Path = field(default_factory=lambda: Path("outputs/noisy_tv"))


BUDGETS = {
    "smoke": dict(gammas=(0.9, 0.99), betas=(0.0, 0.3), capacity=30, n_episodes=4, n_steps=300,
                  tol=0.1),
    "default": {},
    "paper": dict(gammas=(0.99, 0.995, 0.999), betas=(0.0, 0.05, 0.1, 0.15, 0.2, 0.25, 0.3),
                  n_episodes=100, n_steps=1000),
}


def time_in_tv_room(world, ds: xr.Dataset) -> xr.DataArray:
    """Fraction of alive time steps spent in the TV room, per episode."""
    (x0, x1), (y0, y1) = TV_ROOM
    inside = (ds["x"] >= x0) & (ds["x"] <= x1) & (ds["y"] >= y0) & (ds["y"] <= y1)
    alive = ~ds["terminated"]
    return (inside & alive).sum("time") / alive.sum("time").clip(min=1)


def run(args: Args) -> xr.Dataset:
    """Solve and roll out the MOP agent for every (gamma, beta); return the labelled results."""
    # one seeding block: every rollout gets its own child stream
    seeds = np.random.SeedSequence(args.seed).spawn(len(args.gammas) * len(args.betas))
    world = noisy_tv(capacity=args.capacity, food_gain=args.food_gain, eta=args.eta)
    frac = np.zeros((len(args.gammas), len(args.betas), args.n_episodes))
    life = np.zeros_like(frac)
    for i, g in enumerate(args.gammas):
        for j, b in enumerate(args.betas):
            res = solve_mop(world.mdp, beta=b, gamma=g, tol=args.tol)
            ds = rollout(world, res, n_episodes=args.n_episodes, n_steps=args.n_steps,
                         random_state=np.random.default_rng(seeds[i * len(args.betas) + j]))
            frac[i, j] = time_in_tv_room(world, ds).values
            life[i, j] = (~ds["terminated"]).sum("time").values
            print(f"gamma={g:<6} beta={b:<5} time in TV room {frac[i, j].mean():.4f} "
                  f"(lifetime median {np.median(life[i, j]):.0f} steps)", flush=True)
    out = xr.Dataset(
        {"time_in_tv_room": (("gamma", "beta", "episode"), frac,
                             {"units": "fraction of alive steps"}),
         "lifetime": (("gamma", "beta", "episode"), life, {"units": "steps"})},
        coords={"gamma": list(args.gammas), "beta": list(args.betas),
                "episode": np.arange(args.n_episodes)},
    )
    params = {k: (str(v) if isinstance(v, Path) else v)
              for k, v in dataclasses.asdict(args).items()}
    out.attrs.update(provenance("analysis/noisy_tv.py", **params))
    return out


def plot(ds: xr.Dataset, path: Path) -> None:
    """Time in the TV room against beta, one line per gamma."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(4.5, 3.2))
    m = ds["time_in_tv_room"].mean("episode")
    for g in ds["gamma"].values:
        ax.plot(ds["beta"], m.sel(gamma=g), marker="o", label=f"gamma = {g}")
    ax.set_xlabel("beta (weight of state entropy)")
    ax.set_ylabel("time in noisy room (fraction)")
    ax.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--budget", choices=sorted(BUDGETS), default="default")
    parser.add_argument("--out", type=Path, default=None)
    parser.add_argument("--seed", type=int, default=None)
    ns = parser.parse_args(argv)
    args = Args(**BUDGETS[ns.budget])
    if ns.out is not None:
        args.out = ns.out
    if ns.seed is not None:
        args.seed = ns.seed
    ds = run(args)
    args.out.mkdir(parents=True, exist_ok=True)
    write_netcdf_atomic(ds, args.out / "noisy_tv.nc")
    plot(ds, args.out / "noisy_tv.png")
    print(ds["time_in_tv_room"].mean("episode").to_pandas().round(4).to_string())
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
