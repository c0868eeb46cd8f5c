"""``neuromop mdp …`` commands: solve a world, roll out an agent, compare agents in the four rooms.

- ``neuromop mdp solve WORLD --agent {mop,reward,maxent,dra}`` writes V, Q and the policy
  (labelled netCDF);
- ``neuromop mdp rollout WORLD --agent … --trials N --steps T --out DIR`` writes the rollout
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

from neuromop.cli._common import add_overwrite_flag, check_free
from neuromop.mdp.agents import AGENTS, WORLD_NAMES, build_world, result_dataset, solve_agent

__all__ = ["register"]


# ---------------------------------------------------------------------- handlers
def _solve(args: argparse.Namespace) -> int:
    out = args.out or Path("outputs") / f"{args.world}_{args.agent}_solution.nc"
    check_free([out], args.overwrite)
    from neuromop.data.io import save_output

    t0 = time.perf_counter()
    if args.world == "cartpole":
        from neuromop.mdp.worlds.cartpole import solve_cartpole_grid

        if args.agent not in ("mop", "reward"):
            raise ValueError("the cartpole grid supports --agent mop or reward")
        if args.stop != "change":
            raise ValueError("the cartpole grid solver supports --stop change only")
        sol = solve_cartpole_grid(args.n_points, args.agent, alpha=args.alpha, beta=args.beta,
                                  gamma=args.gamma if args.gamma is not None else 0.98,
                                  epsilon=args.epsilon, params=_cartpole_params(args),
                                  tol=args.tol if args.tol is not None else 1e-3, progress=True)
        ds, sweeps, converged = sol.to_dataset(), sol.sweeps, sol.converged
    else:
        world = build_world(args.world, args.capacity, args.food_gain, _tv_eta(args))
        res = solve_agent(world, args.agent, **_agent_kwargs(args))
        ds = result_dataset(getattr(world, "mdp", world), res)
        sweeps, converged = res.sweeps, res.converged
    save_output(ds, out, source=f"neuromop mdp solve {args.world}")
    print(f"{args.world} {args.agent}: {sweeps} sweeps, converged={converged}, "
          f"{time.perf_counter() - t0:.2f} s -> {out}")
    return 0


def _tv_eta(args: argparse.Namespace) -> float:
    return 1.0 if args.eta is None else args.eta


def _cartpole_params(args: argparse.Namespace):
    from neuromop.mdp.worlds.cartpole import CartpoleParams

    return CartpoleParams.preset(args.physics, eta=0.0 if args.eta is None else args.eta)


def _agent_kwargs(args: argparse.Namespace) -> dict:
    return dict(alpha=args.alpha, beta=args.beta,
                gamma=args.gamma if args.gamma is not None else 0.99, epsilon=args.epsilon,
                temperature=args.temperature, tol=args.tol if args.tol is not None else 1e-2,
                reward=args.reward, dra_episodes=args.dra_episodes, random_state=args.seed,
                stop=args.stop)


def _rollout(args: argparse.Namespace) -> int:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from neuromop.data.io import save_output
    from neuromop.plots import save_figure
    from neuromop.plots.mdp import plot_cartpole_episode, plot_occupancy, plot_survival

    out = args.out or Path("outputs") / f"{args.world}_{args.agent}"
    check_free([out / "rollout.nc", out / "rollout.png"], args.overwrite)
    if args.world == "cartpole":
        from neuromop.mdp.worlds.cartpole import solve_cartpole_grid
        from neuromop.mdp.worlds.cartpole_rollout import simulate_cartpole

        if args.agent not in ("mop", "reward"):
            raise ValueError("the cartpole grid supports --agent mop or reward")
        sol = solve_cartpole_grid(args.n_points, args.agent, alpha=args.alpha, beta=args.beta,
                                  gamma=args.gamma if args.gamma is not None else 0.98,
                                  epsilon=args.epsilon, params=_cartpole_params(args),
                                  tol=args.tol if args.tol is not None else 1e-3, progress=True)
        ds = simulate_cartpole(sol, args.trials, args.steps, random_state=args.seed)
        fig, axes = plt.subplots(2, 1, figsize=(6, 4), sharex=True)
        plot_cartpole_episode(ds, 0, axes)
        summary = f"median lifetime {float(ds.lifetime.median()):.0f} steps"
    else:
        from neuromop.analysis import lifetime, survival_curve
        from neuromop.mdp.rollout import occupancy_map, rollout

        world = build_world(args.world, args.capacity, args.food_gain, _tv_eta(args))
        res = solve_agent(world, args.agent, **_agent_kwargs(args))
        start = getattr(world, "start_state", 0)
        ds = rollout(world, res, start=start, n_trials=args.trials, n_steps=args.steps,
                     random_state=args.seed, progress=True)
        has_xy = "x" in ds and "y" in ds
        fig, axes = plt.subplots(1, 2 if has_xy else 1, figsize=(9 if has_xy else 5, 3.8))
        axes = np.atleast_1d(axes)
        if has_xy:
            plot_occupancy(occupancy_map(ds, world), world, ax=axes[0], log=True,
                           title=f"{args.agent} occupancy")
        surv = survival_curve(ds.terminated, dims="trial")
        plot_survival({args.agent: surv}, ax=axes[-1], title="survival")
        life = lifetime(ds.terminated)["lifetime"]
        summary = f"median lifetime {float(life.median()):.0f} of {args.steps} steps"
    fig.tight_layout()
    save_output(ds, out / "rollout.nc", source=f"neuromop mdp rollout {args.world}")
    save_figure(fig, out / "rollout.png", dpi=110)
    print(f"{args.world} {args.agent}: {args.trials} trials, {summary} -> {out}")
    return 0


def _compare(args: argparse.Namespace) -> int:
    import matplotlib

    matplotlib.use("Agg")
    from neuromop.data.io import save_output
    from neuromop.plots import save_figure
    from neuromop.plots.mdp import comparison_figure

    t0 = time.perf_counter()
    from neuromop.studies.four_rooms import compare_four_rooms, format_table

    check_free([args.out / "four_rooms_comparison.nc", args.out / "four_rooms_comparison.png"],
               args.overwrite)

    summary, extra = compare_four_rooms(
        capacity=args.capacity, food_gain=args.food_gain, n_trials=args.trials,
        n_steps=args.steps, gamma=args.gamma if args.gamma is not None else 0.99,
        random_state=args.seed, progress=not args.quiet, epsilons=tuple(args.epsilons))
    out = args.out
    save_output(summary, out / "four_rooms_comparison.nc", source="neuromop mdp compare")
    fig = comparison_figure(extra["occupancy"], extra["survival"], extra["energy"], extra["world"])
    save_figure(fig, out / "four_rooms_comparison.png", dpi=110)
    print(f"Four-room world (food gain {args.food_gain}, capacity {args.capacity}), "
          f"{args.trials} trials x {args.steps} steps")
    print(format_table(summary))
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
    p.add_argument("--eta", type=float, default=None,
                   help="noisy TV: probability that the executed action is drawn uniformly "
                        "(default 1, the authors' published sweep: no control in the room); "
                        "cartpole: probability that the force is replaced by 0 N on x > 0 "
                        "(the stochastic half arena; default 0)")
    p.add_argument("--n-points", type=_positive_int, default=21,
                   help="cartpole: grid points per dimension (default 21; the authors' Fig. 3 "
                        "run is 41 with --physics authors)")
    p.add_argument("--physics", choices=("package", "authors", "authors-half-arena"),
                   default="package",
                   help="cartpole: velocity limits (package: omega, v within 3; authors: "
                        "within 6 rad/s and 12 m/s; authors-half-arena: 3 rad/s and 6 m/s)")


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
    p.add_argument("--stop", choices=["change", "bound"], default="change",
                   help="stop when a sweep changes V by < tol (change, the authors' rule), or when "
                        "V is provably within tol of the fixed point (bound; gamma < 1)")
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
    add_overwrite_flag(p)
    p.set_defaults(func=_solve)

    p = sub.add_parser("rollout", help="solve and roll out an agent; write netCDF + PNG",
                       description="Solve an agent, simulate trials and write rollout.nc and "
                                   "rollout.png to --out.")
    _world_args(p)
    _agent_args(p)
    p.add_argument("--trials", type=_positive_int, default=10, help="rollouts (default 10)")
    p.add_argument("--steps", type=_positive_int, default=1000)
    p.add_argument("--out", type=Path, default=None, help="folder (default outputs/WORLD_AGENT)")
    add_overwrite_flag(p)
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
    p.add_argument("--trials", type=_positive_int, default=10, help="rollouts (default 10)")
    p.add_argument("--steps", type=_positive_int, default=10_000)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--epsilons", type=float, nargs="*", default=[0.45, 0.5],
                   help="further R agents' exploration (default 0.45 0.5, the paper's curves; "
                        "none: --epsilons with no value)")
    p.add_argument("--quiet", action="store_true", help="no progress bars")
    p.add_argument("--out", type=Path, default=Path("outputs/four_rooms"))
    add_overwrite_flag(p)
    p.set_defaults(func=_compare)
