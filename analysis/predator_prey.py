"""Predator–prey study (MOP paper, Fig. 4): a MOP mouse vs a reward-maximising (R) mouse.

Hypothesis: a mouse that maximises future action-state path occupancy survives the cat about as
long as a mouse paid to stay alive, but behaves far more variably: it uses many more actions
(higher action entropy) and circles the obstacle in both directions ("hide and seek"), whereas the
R mouse is nearly deterministic. A random mouse starves at home.

World and agents follow the authors' scripts (jorgeerrz/occupancy_max_paper,
``code_occupancy_max/predator_prey/gridworld_H.txt`` and ``gridworld_R.txt``): see
:mod:`neuromop.mdp.worlds.predator_prey`. MOP: alpha = 1, beta = 0, gamma = 0.98. R: +1 per step
alive (the scripts pay -1 on death, an equivalent affine change), epsilon = 0.05, gamma = 0.98.
For reference the scripts' recorded lifetimes at F = 15 (``plotting_data_predatorprey.jl``,
``life_H[3]``, ``life_R[3]``) have means 116.3 (MOP, n = 40) and 108.1 (R, n = 42) steps.

Run: ``python analysis/predator_prey.py --budget smoke|default|paper --out outputs/predator_prey``.
Writes ``predator_prey.nc`` (per agent: lifetimes, occupancy map, energy occupancy, rotations),
``predator_prey.png`` and prints a table.
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
from neuromop.analysis import survival_curve
from neuromop.mdp.rollout import energy_histogram, occupancy_map, rollout
from neuromop.mdp.solvers import solve_mop, solve_reward
from neuromop.mdp.worlds import predator_prey

#: Centre of the authors' obstacle (3, 5)-(3, 6), for counting turns around it.
OBSTACLE_CENTRE = (3.0, 5.5)


@dataclass
class Args:
    """Arguments of the study (budget presets fill them)."""

    gamma: float = 0.98
    epsilon: float = 0.05
    n_energy: int = 15
    cat_beta: float = 2.0
    n_episodes: int = 200
    n_steps: int = 2000
    tol: float = 1e-2
    seed: int = 2024
    out: Path = field(default_factory=lambda: Path("outputs/predator_prey"))


BUDGETS = {
    "smoke": dict(n_episodes=10, n_steps=200, tol=0.1),
    "default": {},
    "paper": dict(n_episodes=1000, n_steps=5000),
}


def rotations(ds: xr.Dataset, centre: tuple[float, float] = OBSTACLE_CENTRE) -> xr.DataArray:
    """Completed clockwise and anticlockwise turns of the mouse around ``centre``, per episode.

    The unwrapped polar angle of the mouse around ``centre`` is accumulated over alive steps; a
    clockwise (anticlockwise) turn is counted each time it falls (rises) a full 2 pi below
    (above) the angle at the previous counted turn. Vectorised over episodes.

    Returns
    -------
    xr.DataArray
        Dims ``(episode, direction)`` with ``direction = ["clockwise", "anticlockwise"]``.
    """
    x = ds["x"].values.astype(float) - centre[0]
    y = ds["y"].values.astype(float) - centre[1]
    alive = ~ds["terminated"].values
    step = np.diff(np.arctan2(y, x), axis=1)
    step = (step + np.pi) % (2 * np.pi) - np.pi  # wrapped angle change in (-pi, pi]
    step = np.where(alive[:, 1:], step, 0.0)
    E = x.shape[0]
    angle = np.zeros(E)
    ref = np.zeros(E)
    counts = np.zeros((E, 2), dtype=np.int64)
    for t in range(step.shape[1]):
        angle += step[:, t]
        cw = angle <= ref - 2 * np.pi
        ccw = angle >= ref + 2 * np.pi
        counts[:, 0] += cw
        counts[:, 1] += ccw
        ref = np.where(cw | ccw, angle, ref)
    return xr.DataArray(counts, dims=("episode", "direction"),
                        coords={"episode": ds["episode"].values,
                                "direction": ["clockwise", "anticlockwise"]},
                        name="rotations", attrs={"units": "completed turns",
                                                 "centre": list(centre)})


def run(args: Args) -> xr.Dataset:
    """Solve both mice, roll them out with a random mouse; return the labelled results."""
    # one seeding block: an independent child stream per agent
    seeds = np.random.SeedSequence(args.seed).spawn(3)
    world = predator_prey(n_energy=args.n_energy, cat_beta=args.cat_beta)
    mask = world.mdp.action_mask
    policies = {
        "MOP": solve_mop(world.mdp, alpha=1.0, beta=0.0, gamma=args.gamma, tol=args.tol),
        "R": solve_reward(world.mdp, epsilon=args.epsilon, gamma=args.gamma, tol=args.tol),
        "random": mask / mask.sum(axis=1, keepdims=True),
    }
    per = {}
    for (name, pol), ss in zip(policies.items(), seeds, strict=True):
        ds = rollout(world, pol, n_episodes=args.n_episodes, n_steps=args.n_steps,
                     random_state=np.random.default_rng(ss))
        alive = ~ds["terminated"]
        # the dead state is labelled (0, 0); occupancy_map bins every step before weighting
        ds = ds.assign(x=ds["x"].where(alive, 1), y=ds["y"].where(alive, 1))
        home = xr.DataArray(world.in_home(ds["x"].values, ds["y"].values),
                            dims=("episode", "time")) & alive
        per[name] = {
            "lifetime": alive.sum("time"),
            "time_at_home": float(home.sum() / alive.sum()),
            "action_entropy": float(ds["action_entropy"].where(alive).mean()),
            "occupancy": occupancy_map(ds, world),
            "survival_curve": survival_curve(ds["terminated"], dims="episode"),
            "energy_occupancy": energy_histogram(ds, capacity=args.n_energy),
            "rotations": rotations(ds),
        }
        print(f"{name:<7} lifetime mean {float(per[name]['lifetime'].mean()):7.1f} median "
              f"{float(per[name]['lifetime'].median()):6.0f}  at home "
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
    for v in out.data_vars.values():
        for key in ("parameters", "created_by", "created_at", "neuromop_version", "python"):
            v.attrs.pop(key, None)
    params = {k: (str(v) if isinstance(v, Path) else v)
              for k, v in dataclasses.asdict(args).items()}
    out.attrs.update(provenance("analysis/predator_prey.py", **params))
    return out


def plot(ds: xr.Dataset, path: Path) -> None:
    """Occupancy maps of the two mice and the survival curves."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 3, figsize=(11, 3.4))
    for ax, agent in zip(axes[:2], ("MOP", "R"), strict=True):
        occ = ds["occupancy"].sel(agent=agent)
        im = ax.imshow(np.where(occ > 0, occ, np.nan), origin="lower", cmap="viridis",
                       extent=(0.5, occ.sizes["x"] + 0.5, 0.5, occ.sizes["y"] + 0.5))
        fig.colorbar(im, ax=ax, fraction=0.046, pad=0.04)
        ax.set_title(f"{agent} mouse occupancy")
    for agent in ds["agent"].values:
        axes[2].plot(ds["time"], ds["survival_curve"].sel(agent=agent), label=str(agent))
    axes[2].set_xscale("log")
    axes[2].set_xlabel("time (steps)")
    axes[2].set_ylabel("fraction alive")
    axes[2].legend()
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)


def _table(ds: xr.Dataset) -> str:
    rot = ds["rotations"].sum("episode")
    lines = [f"{'agent':<8}{'life mean':>10}{'median':>8}{'at home':>9}{'H(a) nats':>10}"
             f"{'cw turns':>9}{'ccw turns':>10}"]
    for a in ds["agent"].values:
        life = ds["lifetime"].sel(agent=a)
        lines.append(f"{a:<8}{float(life.mean()):>10.1f}{float(life.median()):>8.0f}"
                     f"{float(ds['time_at_home'].sel(agent=a)):>9.3f}"
                     f"{float(ds['action_entropy'].sel(agent=a)):>10.3f}"
                     f"{int(rot.sel(agent=a, direction='clockwise')):>9d}"
                     f"{int(rot.sel(agent=a, direction='anticlockwise')):>10d}")
    return "\n".join(lines)


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
    write_netcdf_atomic(ds, args.out / "predator_prey.nc")
    plot(ds, args.out / "predator_prey.png")
    print(_table(ds))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
