"""Four-room comparison of the MOP paper (Fig. 2): MOP vs R (epsilon = 0) vs a random walker."""

from __future__ import annotations

import numpy as np
import xarray as xr

from neuromop._provenance import provenance
from neuromop.mdp.agents import random_policy

__all__ = ["compare_four_rooms", "format_table"]


# ---------------------------------------------------------------------- four-room comparison
def compare_four_rooms(capacity: int = 100, food_gain: int = 10, n_episodes: int = 10,
                       n_steps: int = 10_000, gamma: float = 0.99, seed: int = 0,
                       progress: bool = False) -> tuple[xr.Dataset, dict]:
    """MOP vs R (epsilon = 0, paid for eating as in the authors' code) vs a random walker.

    Returns
    -------
    summary : xr.Dataset
        Per agent: ``survival`` (fraction alive at the end), ``lifetime_median`` (steps),
        ``coverage`` (mean fraction of free cells visited), ``energy_levels_visited`` (fraction
        of the levels 2..capacity), ``action_entropy`` (mean, nats); plus ``occupancy`` maps
        (agent, y, x), ``survival_curve`` (agent, time) and ``energy_occupancy`` (agent, energy).
    extras : dict
        ``world`` and the per-agent rollouts.
    """
    from neuromop.analysis import survival_curve
    from neuromop.mdp.rollout import (
        arena_coverage,
        energy_histogram,
        occupancy_map,
        rollout,
    )
    from neuromop.mdp.solvers import solve_mop, solve_reward
    from neuromop.mdp.worlds import four_rooms

    world = four_rooms(capacity=capacity, food_gain=food_gain)
    seeds = np.random.SeedSequence(seed).spawn(3)
    policies = {
        "MOP": solve_mop(world.mdp, alpha=1.0, beta=0.0, gamma=gamma),
        "R": solve_reward(world.mdp, epsilon=0.0, gamma=gamma, reward=world.food_reward()),
        "random": random_policy(world.mdp),
    }
    rows, occ, surv, energy, rollouts = {}, {}, {}, {}, {}
    for (name, pol), ss in zip(policies.items(), seeds, strict=True):
        ds = rollout(world, pol, n_episodes=n_episodes, n_steps=n_steps,
                     random_state=np.random.default_rng(ss), progress=progress)
        rollouts[name] = ds
        alive = ~ds["terminated"]
        levels = np.unique(ds["energy"].values[alive.values])
        rows[name] = {
            "survival": float(alive.isel(time=-1).mean()),
            "lifetime_median": float(alive.sum("time").median()),
            "coverage": float(arena_coverage(ds, world).mean()),
            "energy_levels_visited": float(np.sum(levels >= 2) / (capacity - 1)),
            "action_entropy": float(ds["action_entropy"].where(alive).mean()),
        }
        occ[name] = occupancy_map(ds, world)
        surv[name] = survival_curve(ds.terminated, dims="episode")
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
        for key in ("parameters", "created_by", "created_at", "neuromop_version", "python"):
            v.attrs.pop(key, None)
    summary["survival"].attrs["units"] = "fraction of episodes alive at the last step"
    summary["lifetime_median"].attrs["units"] = "steps"
    summary["coverage"].attrs["units"] = "fraction of the 104 free cells"
    summary["energy_levels_visited"].attrs["units"] = "fraction of levels 2..capacity"
    summary["action_entropy"].attrs["units"] = "nats"
    summary.attrs.update(provenance(
        "neuromop.cli.mdp.compare_four_rooms", capacity=capacity, food_gain=food_gain,
        n_episodes=n_episodes, n_steps=n_steps, gamma=gamma, seed=seed,
        agents={"MOP": "alpha=1, beta=0", "R": "epsilon=0, reward 1 on food",
                "random": "uniform over A(s)"}))
    return summary, {"world": world, "rollouts": rollouts, "occupancy": occ, "survival": surv,
                     "energy": energy}


def format_table(summary: xr.Dataset) -> str:
    cols = ["survival", "lifetime_median", "coverage", "energy_levels_visited", "action_entropy"]
    head = f"{'agent':<8}" + "".join(f"{c:>23}" for c in cols)
    lines = [head, "-" * len(head)]
    for a in summary["agent"].values:
        vals = "".join(f"{float(summary[c].sel(agent=a)):>23.4g}" for c in cols)
        lines.append(f"{a:<8}{vals}")
    return "\n".join(lines)
