"""``neuromop mdp …`` commands: solve a world, roll out an agent, compare agents in the four rooms.

- ``neuromop mdp solve WORLD --agent {mop,reward,maxent,dra}`` writes V, Q and the policy
  (labelled netCDF);
- ``neuromop mdp rollout WORLD --agent … --episodes N --steps T --out DIR`` writes the rollout
  (netCDF) and a figure (PNG);
- ``neuromop mdp compare`` runs the four-room comparison of the MOP paper: MOP vs R (epsilon = 0)
  vs a random walker (survival, arena coverage, energy levels visited), printed as a table and
  saved as a figure and a netCDF file.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np
import xarray as xr

from neuromop._provenance import provenance

__all__ = ["register", "build_world", "solve_agent", "result_dataset", "compare_four_rooms"]

WORLD_NAMES = ("four_rooms", "noisy_tv", "predator_prey", "agent_pet", "recycling", "cartpole")
AGENTS = ("mop", "reward", "maxent", "dra")


# ---------------------------------------------------------------------- building blocks
def build_world(name: str, capacity: int = 100, food_gain: int = 10, eta: float = 1.0):
    """Return the world object (or FiniteMDP) called ``name`` with the given parameters."""
    from neuromop.mdp import worlds

    if name == "four_rooms":
        return worlds.four_rooms(capacity=capacity, food_gain=food_gain)
    if name == "noisy_tv":
        return worlds.four_rooms(capacity=capacity, food_gain=food_gain, noisy_tv=True, eta=eta)
    if name == "predator_prey":
        return worlds.predator_prey()
    if name == "agent_pet":
        return worlds.agent_pet()
    if name == "recycling":
        return worlds.recycling_robot()
    raise ValueError(f"WORLD must be one of {list(WORLD_NAMES)}, got {name!r}")


def _mdp_of(world):
    return getattr(world, "mdp", world)


def _reward_for(world, kind: str):
    mdp = _mdp_of(world)
    if kind == "auto":
        if hasattr(world, "food_reward"):
            return world.food_reward()
        return None if mdp.reward is not None else "alive"
    if kind == "food":
        if not hasattr(world, "food_reward"):
            raise ValueError(f"--reward food needs a world with food, not {mdp.name!r}")
        return world.food_reward()
    return "alive" if kind == "alive" else None


def solve_agent(world, agent: str, *, alpha=1.0, beta=0.0, gamma=0.99, epsilon=0.0,
                temperature=1.0, tol=1e-2, reward="auto", dra_episodes=300, seed=0):
    """Solve (or, for DRA, train) ``agent`` in ``world``; return a result with V, Q, policy."""
    from neuromop.mdp.solvers import solve_maxent, solve_mop, solve_reward

    mdp = _mdp_of(world)
    if agent == "mop":
        return solve_mop(mdp, alpha=alpha, beta=beta, gamma=gamma, tol=tol)
    r = _reward_for(world, reward)
    if agent == "reward":
        return solve_reward(mdp, epsilon=epsilon, gamma=gamma, reward=r, tol=tol)
    if agent == "maxent":
        return solve_maxent(mdp, temperature=temperature, reward=r, gamma=gamma, tol=tol)
    if agent == "dra":
        from neuromop.mdp.dra import DRAAgent

        start = getattr(world, "start_state", None)
        dra = DRAAgent(gamma=gamma, random_state=seed).fit(mdp, n_episodes=dra_episodes,
                                                           start=start, reward=r)
        return dra.to_result()  # a learner with no stopping test: converged is False
    raise ValueError(f"--agent must be one of {list(AGENTS)}, got {agent!r}")


def result_dataset(mdp, res) -> xr.Dataset:
    """V, Q and policy of a tabular result as a labelled ``xr.Dataset`` (state labels as coords)."""
    coords = {"state": np.arange(mdp.n_states),
              "action": list(mdp.action_labels or range(mdp.n_actions))}
    labels = mdp.state_labels
    if labels is not None:
        names = labels.names if hasattr(labels, "names") else [labels.name]
        for name in names:
            coords[str(name)] = ("state", np.asarray(labels.get_level_values(name)))
    ds = xr.Dataset(
        {"V": ("state", res.V), "Q": (("state", "action"), res.Q),
         "policy": (("state", "action"), res.policy),
         "action_entropy": ("state", res.action_entropy(), {"units": "nats"}),
         "terminal": ("state", mdp.terminal)},
        coords=coords,
    )
    if getattr(res, "V_true", None) is not None:
        ds["V_true"] = ("state", res.V_true)
    ds.attrs.update(provenance(f"neuromop.mdp.solve[{res.agent}]", world=mdp.name,
                               sweeps=res.sweeps, converged=res.converged, **res.params))
    return ds


def _random_policy(mdp) -> np.ndarray:
    m = mdp.action_mask.astype(float)
    return m / m.sum(axis=1, keepdims=True)


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
        "random": _random_policy(world.mdp),
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
        "neuromop.mdp.commands.compare_four_rooms", capacity=capacity, food_gain=food_gain,
        n_episodes=n_episodes, n_steps=n_steps, gamma=gamma, seed=seed,
        agents={"MOP": "alpha=1, beta=0", "R": "epsilon=0, reward 1 on food",
                "random": "uniform over A(s)"}))
    return summary, {"world": world, "rollouts": rollouts, "occupancy": occ, "survival": surv,
                     "energy": energy}


def _table(summary: xr.Dataset) -> str:
    cols = ["survival", "lifetime_median", "coverage", "energy_levels_visited", "action_entropy"]
    head = f"{'agent':<8}" + "".join(f"{c:>23}" for c in cols)
    lines = [head, "-" * len(head)]
    for a in summary["agent"].values:
        vals = "".join(f"{float(summary[c].sel(agent=a)):>23.4g}" for c in cols)
        lines.append(f"{a:<8}{vals}")
    return "\n".join(lines)


# ---------------------------------------------------------------------- handlers
def _save_fig(fig, path: Path) -> None:
    import matplotlib.pyplot as plt

    from neuromop._io import atomic_path

    with atomic_path(path) as tmp:
        fig.savefig(tmp, dpi=110, format="png")
    plt.close(fig)


def _solve(args: argparse.Namespace) -> int:
    from neuromop._io import write_netcdf_atomic

    t0 = time.perf_counter()
    if args.world == "cartpole":
        from neuromop.mdp.worlds.cartpole import solve_cartpole_grid

        if args.agent not in ("mop", "reward"):
            raise ValueError("the cartpole grid supports --agent mop or reward")
        sol = solve_cartpole_grid(args.n_points, args.agent, alpha=args.alpha,
                                  gamma=args.gamma if args.gamma is not None else 0.98,
                                  epsilon=args.epsilon, tol=args.tol if args.tol else 1e-3,
                                  progress=True)
        ds, sweeps, converged = sol.to_dataset(), sol.sweeps, sol.converged
    else:
        world = build_world(args.world, args.capacity, args.food_gain, args.eta)
        res = solve_agent(world, args.agent, **_agent_kwargs(args))
        ds, sweeps, converged = result_dataset(_mdp_of(world), res), res.sweeps, res.converged
    out = args.out or Path("outputs") / f"{args.world}_{args.agent}_solution.nc"
    write_netcdf_atomic(ds, out)
    print(f"{args.world} {args.agent}: {sweeps} sweeps, converged={converged}, "
          f"{time.perf_counter() - t0:.2f} s -> {out}")
    return 0


def _agent_kwargs(args: argparse.Namespace) -> dict:
    return dict(alpha=args.alpha, beta=args.beta,
                gamma=args.gamma if args.gamma is not None else 0.99, epsilon=args.epsilon,
                temperature=args.temperature, tol=args.tol if args.tol else 1e-2,
                reward=args.reward, dra_episodes=args.dra_episodes, seed=args.seed)


def _rollout(args: argparse.Namespace) -> int:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from neuromop._io import write_netcdf_atomic
    from neuromop.plots.mdp import plot_cartpole_episode, plot_occupancy, plot_survival

    out = args.out or Path("outputs") / f"{args.world}_{args.agent}"
    if args.world == "cartpole":
        from neuromop.mdp.worlds.cartpole import simulate_cartpole, solve_cartpole_grid

        sol = solve_cartpole_grid(args.n_points, args.agent if args.agent != "maxent" else "mop",
                                  gamma=args.gamma if args.gamma is not None else 0.98,
                                  epsilon=args.epsilon, progress=True)
        ds = simulate_cartpole(sol, args.episodes, args.steps, random_state=args.seed)
        fig, axes = plt.subplots(2, 1, figsize=(6, 4), sharex=True)
        plot_cartpole_episode(ds, 0, axes)
        summary = f"median lifetime {float(ds.lifetime.median()):.0f} steps"
    else:
        from neuromop.analysis import survival_curve
        from neuromop.mdp.rollout import occupancy_map, rollout

        world = build_world(args.world, args.capacity, args.food_gain, args.eta)
        res = solve_agent(world, args.agent, **_agent_kwargs(args))
        start = getattr(world, "start_state", 0)
        ds = rollout(world, res, start=start, n_episodes=args.episodes, n_steps=args.steps,
                     random_state=args.seed, progress=True)
        has_xy = "x" in ds and "y" in ds
        fig, axes = plt.subplots(1, 2 if has_xy else 1, figsize=(9 if has_xy else 5, 3.8))
        axes = np.atleast_1d(axes)
        if has_xy:
            plot_occupancy(occupancy_map(ds, world), world, ax=axes[0], log=True,
                           title=f"{args.agent} occupancy")
        surv = survival_curve(ds.terminated, dims="episode")
        plot_survival({args.agent: surv}, ax=axes[-1], title="survival")
        alive = (~ds.terminated).sum("time")
        summary = f"median lifetime {float(alive.median()):.0f} of {args.steps} steps"
    fig.tight_layout()
    write_netcdf_atomic(ds, out / "rollout.nc")
    _save_fig(fig, out / "rollout.png")
    print(f"{args.world} {args.agent}: {args.episodes} episodes, {summary} -> {out}")
    return 0


def _compare(args: argparse.Namespace) -> int:
    import matplotlib

    matplotlib.use("Agg")
    from neuromop._io import write_netcdf_atomic
    from neuromop.plots.mdp import comparison_figure

    t0 = time.perf_counter()
    summary, extra = compare_four_rooms(
        capacity=args.capacity, food_gain=args.food_gain, n_episodes=args.episodes,
        n_steps=args.steps, gamma=args.gamma if args.gamma is not None else 0.99,
        seed=args.seed, progress=not args.quiet)
    out = args.out
    write_netcdf_atomic(summary, out / "four_rooms_comparison.nc")
    fig = comparison_figure(extra["occupancy"], extra["survival"], extra["energy"], extra["world"])
    _save_fig(fig, out / "four_rooms_comparison.png")
    print(f"Four-room world (food gain {args.food_gain}, capacity {args.capacity}), "
          f"{args.episodes} episodes x {args.steps} steps")
    print(_table(summary))
    print(f"({time.perf_counter() - t0:.1f} s) -> {out}/four_rooms_comparison.{{nc,png}}")
    return 0


# ---------------------------------------------------------------------- parsers
def _positive_int(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be a positive integer, got {text}")
    return value


def _world_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("world", metavar="WORLD", choices=WORLD_NAMES,
                   help=f"one of {', '.join(WORLD_NAMES)}")
    p.add_argument("--capacity", type=_positive_int, default=100,
                   help="four rooms: largest energy level (default 100)")
    p.add_argument("--food-gain", type=int, default=10, help="four rooms: energy per food step")
    p.add_argument("--eta", type=float, default=1.0,
                   help="noisy TV: probability that the executed action is drawn uniformly "
                        "(default 1, the authors' published sweep: no control in the room)")
    p.add_argument("--n-points", type=_positive_int, default=21,
                   help="cartpole: grid points per dimension (default 21)")


def _agent_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--agent", choices=AGENTS, default="mop")
    p.add_argument("--alpha", type=float, default=1.0, help="MOP action-entropy weight")
    p.add_argument("--beta", type=float, default=0.0, help="MOP state-entropy weight")
    p.add_argument("--gamma", type=float, default=None,
                   help="discount (default 0.99; cartpole 0.98)")
    p.add_argument("--epsilon", type=float, default=0.0, help="R agent exploration")
    p.add_argument("--temperature", type=float, default=1.0, help="MaxEnt temperature")
    p.add_argument("--tol", type=float, default=None,
                   help="sup-norm tolerance (default 1e-2; cartpole 1e-3)")
    p.add_argument("--reward", choices=("auto", "food", "alive"), default="auto",
                   help="extrinsic reward for R/MaxEnt/DRA (auto: food where the world has "
                        "food, else the world's reward or +1 per step alive)")
    p.add_argument("--dra-episodes", type=_positive_int, default=300,
                   help="DRA learning episodes")
    p.add_argument("--seed", type=int, default=0)


def register(group) -> None:
    """Add the ``mdp solve``, ``mdp rollout`` and ``mdp compare`` commands."""
    sub = group("mdp")
    p = sub.add_parser("solve", help="solve an agent in a world; write V, Q, policy (netCDF)",
                       description="Solve an agent exactly (DRA: learn) and write V, Q and the "
                                   "policy with labelled coordinates to netCDF.")
    _world_args(p)
    _agent_args(p)
    p.add_argument("--out", type=Path, default=None,
                   help="netCDF file (default outputs/WORLD_AGENT_solution.nc)")
    p.set_defaults(func=_solve)

    p = sub.add_parser("rollout", help="solve and roll out an agent; write netCDF + PNG",
                       description="Solve an agent, simulate episodes and write rollout.nc and "
                                   "rollout.png to --out.")
    _world_args(p)
    _agent_args(p)
    p.add_argument("--episodes", type=_positive_int, default=10)
    p.add_argument("--steps", type=_positive_int, default=1000)
    p.add_argument("--out", type=Path, default=None, help="folder (default outputs/WORLD_AGENT)")
    p.set_defaults(func=_rollout)

    p = sub.add_parser("compare", help="four rooms: MOP vs R vs random walker (table + figure)",
                       description="The MOP paper's four-room comparison: MOP (alpha=1, beta=0) "
                                   "vs R (epsilon=0) vs a random walker. As in the authors' "
                                   "notebook (jorgeerrz/occupancy_max_paper, gridworld_clean.jl: "
                                   "reachable_rewards, optimal_policy_q) the R agent earns 1 per "
                                   "step on a food cell while alive (not +1 per step alive, under "
                                   "which every surviving policy ties at epsilon=0) and splits "
                                   "its greedy share evenly among tied best actions. Prints "
                                   "survival, arena coverage and energy levels visited; writes "
                                   "four_rooms_comparison.nc and .png to --out.")
    p.add_argument("--capacity", type=_positive_int, default=100)
    p.add_argument("--food-gain", type=int, default=10)
    p.add_argument("--gamma", type=float, default=None, help="discount (default 0.99)")
    p.add_argument("--episodes", type=_positive_int, default=10)
    p.add_argument("--steps", type=_positive_int, default=10_000)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--quiet", action="store_true", help="no progress bars")
    p.add_argument("--out", type=Path, default=Path("outputs/four_rooms"))
    p.set_defaults(func=_compare)
