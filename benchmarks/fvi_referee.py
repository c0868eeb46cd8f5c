"""Fitted value iteration against the exact solution of the same small problem.

A 2-neuron rate RNN (g = 2, dt = 0.1, K = 16 candidate currents of std 2, as the energy study)
with an energy budget (``EnergyBudget(0.1)``: state = two activities + the running cost, three
dimensions) is small enough to solve exactly on a grid
(:func:`neuromop.control.grid_mdp_from_env` and the tabular MOP solver). Per training variant
and root seed (the seed draws the network, the controller's weights and streams, and the
starts), a :class:`~neuromop.control.NeuroMOPController` is trained with the controller
studies' settings (30 epochs x 100 steps x 64 agents, 2 target refreshes x 200 Adam steps,
gamma = 0.9) and refereed by :func:`neuromop.control.exact_value_agreement`: rank and linear
correlation of the fitted and exact values on visited states, and the survival, activity std
(``std_*``) and action entropy (``entropy_*``, nats) of both policies from the same starts.
The exact policy dies only from starts whose activity is too high to shed (in the first few
steps), so ``late_deaths`` (episodes of the fitted policy that end
after step ``early_steps``) counts the fit's own failures. Also reported: the fitted minus exact
value of the visited states' successors, split into *doomed* ones (exact value below
``doomed_below``; a safe state is worth ~27.7 nats = ln 16 / (1 - 0.9) to MOP, ~10 steps =
1 / (1 - 0.9) to R) and safe ones.

``--controller R`` referees the epsilon-greedy survival-reward network
(:class:`~neuromop.control.RewardController`, eps = 0.05 as in the energy study) against the
exact epsilon-greedy R solution of the same grid (doomed below 7 steps by default).

The baseline is ``defaults`` (:func:`neuromop.control.train`'s own defaults at the studies'
sizes: no pre-terminal memory, which the controller studies now keep for 20 steps), run in the
same invocation with the same seeds; ``energy study`` is the energy study's training (memory of
20 steps, pessimistic targets, the average of the last 10 epochs). Each variant's mean over
seeds comes with its 95 % Student-t interval. Prints a table and JSON (``--out-json`` writes
it too)::

    python benchmarks/fvi_referee.py --seeds 0 1 2
    python benchmarks/fvi_referee.py --seeds 0 1 2 --controller R
"""

from __future__ import annotations

import argparse
import json
import platform
import time
from dataclasses import dataclass

import numpy as np
import torch
import xarray as xr
from scipy.interpolate import RegularGridInterpolator

from neuromop._intervals import interval_rows
from neuromop._io import write_json_atomic
from neuromop.control import (
    NeuroMOPController,
    RewardController,
    exact_value_agreement,
    rollout,
    train,
)
from neuromop.control.referee import grid_mdp_from_env
from neuromop.envs import EnergyBudget, RateRNNEnv
from neuromop.mdp import solve_mop, solve_reward

#: Variant name -> keyword arguments of :func:`neuromop.control.train` beyond the baseline's.
VARIANTS = {
    "defaults": {},
    "pre-terminal memory 20": {"pre_terminal_steps": 20},
    "replay all epochs": {"replay_epochs": 30},
    "average 10 epochs": {"average_epochs": 10},
    "pessimistic + average 10": {"average_epochs": 10, "pessimistic_targets": True},
    "energy study": {"pre_terminal_steps": 20, "average_epochs": 10, "pessimistic_targets": True},
}
#: Controller name -> default ``doomed_below`` (nats for MOP, steps of survival for R).
DOOMED_BELOW = {"MOP": 20.0, "R": 7.0}
TRAINING = dict(steps_per_epoch=100, fit_iterations=200, batch_size=256, target_updates=2)
METRICS = ("spearman", "pearson", "survival_fitted", "survival_exact", "late_deaths",
           "error_doomed", "error_safe", "std_fitted", "std_exact", "entropy_fitted",
           "entropy_exact")


@dataclass
class Args:
    """Settings of the benchmark (sizes of the energy study unless said)."""

    seeds: tuple[int, ...] = (0, 1, 2)   # root seeds
    controller: str = "MOP"              # "MOP" or "R" (epsilon-greedy, eps = epsilon)
    variants: tuple[str, ...] = tuple(VARIANTS)
    epochs: int = 30                     # training epochs
    hidden: tuple[int, ...] = (128, 128)  # value network
    grid_points: int = 41                # grid points per state dimension of the exact model
    n_trials: int = 256                  # rollouts of both policies
    n_steps: int = 500                   # steps per rollout
    early_steps: int = 10                # deaths up to this step count as doomed starts
    max_energy: float = 0.1              # energy budget (activity squared)
    doomed_below: float | None = None    # successors below this exact value are doomed
    #                                      (None: DOOMED_BELOW of the controller)
    gamma: float = 0.9
    epsilon: float = 0.05                # R's exploration probability


def make_env(seed: int, max_energy: float) -> RateRNNEnv:
    """The 2-neuron energy world of root seed ``seed``."""
    return RateRNNEnv(2, num_envs=64, g=2.0, dt=0.1, n_candidates=16, action_scale=2.0,
                      terminal=EnergyBudget(max_energy, 1.0), max_episode_steps=500,
                      random_state=seed)


def _axes(args: Args) -> list[np.ndarray]:
    act = np.linspace(-1.0, 1.0, args.grid_points)
    return [act, act, np.linspace(0.0, args.max_energy * 1.0001, args.grid_points)]


def _successor_errors(ctrl, states: np.ndarray, args: Args) -> dict:
    """Fitted minus exact value of the non-terminal successors of ``states``: mean over doomed
    successors (exact value below ``doomed_below``) and over safe ones."""
    env, axes = ctrl.env, _axes(args)
    mdp, grid = grid_mdp_from_env(env, axes)
    if isinstance(ctrl, NeuroMOPController):
        sol = solve_mop(mdp, alpha=ctrl.alpha, beta=0.0, gamma=ctrl.gamma, tol=1e-6)
    else:
        sol = solve_reward(mdp, epsilon=ctrl.epsilon, gamma=ctrl.gamma, tol=1e-6)
    V = np.asarray(sol.V)[: len(grid)].reshape([len(a) for a in axes])
    interp = RegularGridInterpolator(axes, V)
    with torch.no_grad():
        nxt = env.predict(torch.as_tensor(states, dtype=torch.float32))
        term = env.is_terminal(nxt).numpy()
        flat = nxt.reshape(-1, nxt.shape[-1])
        v_fit = ctrl.value(flat).numpy().astype(float).reshape(term.shape)
    lo, hi = [a[0] for a in axes], [a[-1] for a in axes]
    v_ex = interp(np.clip(flat.numpy().astype(float), lo, hi)).reshape(term.shape)
    below = DOOMED_BELOW[args.controller] if args.doomed_below is None else args.doomed_below
    doomed = (v_ex < below) & ~term
    safe = (v_ex >= below) & ~term
    diff = v_fit - v_ex
    return {"error_doomed": float(diff[doomed].mean()) if doomed.any() else np.nan,
            "error_safe": float(diff[safe].mean()) if safe.any() else np.nan}


def referee_run(variant: str, seed: int, args: Args) -> dict:
    """Train one controller and referee it; the metrics of :data:`METRICS`."""
    env = make_env(seed, args.max_energy)
    if args.controller == "MOP":
        ctrl = NeuroMOPController(env, hidden=args.hidden, gamma=args.gamma, random_state=seed)
    else:
        ctrl = RewardController(env, epsilon=args.epsilon, hidden=args.hidden, gamma=args.gamma,
                                random_state=seed)
    t0 = time.perf_counter()
    train(ctrl, epochs=args.epochs, progress=False, **TRAINING, **VARIANTS[variant])
    seconds = time.perf_counter() - t0
    agr = exact_value_agreement(ctrl, _axes(args), n_trials=args.n_trials,
                                n_steps=args.n_steps, random_state=seed)
    ds = rollout(ctrl.env, ctrl, args.n_steps, n_trials=args.n_trials, random_state=seed)
    life = ds["lifetime"].values
    alive = ds["alive"].values
    visited = np.concatenate([ds["activity"].values[alive], ds["energy"].values[alive][:, None]],
                             axis=1)
    rng = np.random.default_rng(seed)
    visited = visited[rng.choice(len(visited), min(20_000, len(visited)), replace=False)]
    return {"spearman": float(agr["spearman"]), "pearson": float(agr["pearson"]),
            "survival_fitted": float(agr["survival"].sel(policy="fitted")),
            "survival_exact": float(agr["survival"].sel(policy="exact")),
            "std_fitted": float(agr["activity_std"].sel(policy="fitted")),
            "std_exact": float(agr["activity_std"].sel(policy="exact")),
            "entropy_fitted": float(agr["action_entropy"].sel(policy="fitted")),
            "entropy_exact": float(agr["action_entropy"].sel(policy="exact")),
            "late_deaths": int(np.sum((life > args.early_steps) & (life < args.n_steps))),
            **_successor_errors(ctrl, visited, args), "train_seconds": seconds}


def run(args: Args) -> dict:
    """Every variant over every seed; rows of mean and interval, and paired differences."""
    if "defaults" not in args.variants:
        raise ValueError("variants must include defaults (the baseline)")
    if args.controller not in DOOMED_BELOW:
        raise ValueError(f"controller must be one of {sorted(DOOMED_BELOW)}, got "
                         f"{args.controller!r}")
    per = {v: [referee_run(v, s, args) for s in args.seeds] for v in args.variants}
    ds = xr.Dataset({m: (("seed", "variant"), [[per[v][i][m] for v in args.variants]
                                               for i in range(len(args.seeds))])
                     for m in METRICS},
                    coords={"seed": list(args.seeds), "variant": list(args.variants)})
    others = [v for v in args.variants if v != "defaults"]
    diff = (ds.sel(variant=others) - ds.sel(variant="defaults")).assign_coords(
        variant=[f"{v} - defaults" for v in others])  # paired: same seed, network, starts
    return {"rows": interval_rows(ds, "seed", "variant") + interval_rows(diff, "seed", "variant"),
            "runs": per}


def format_rows(rows: list[dict]) -> str:
    """One line per comparison: mean ± half-width per metric."""
    lines = []
    for comp in dict.fromkeys(r["comparison"] for r in rows):
        cells = []
        for r in (r for r in rows if r["comparison"] == comp):
            half = (r["high"] - r["low"]) / 2 if np.isfinite(r["low"]) else float("nan")
            cells.append(f"{r['metric']} {r['mean']:.3g} ± {half:.2g}")
        lines.append(f"{comp:<36}" + "; ".join(cells))
    return "\n".join(lines)


def main(argv=None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", nargs="+", type=int, default=list(Args.seeds))
    parser.add_argument("--controller", default=Args.controller, choices=list(DOOMED_BELOW))
    parser.add_argument("--variants", nargs="+", default=list(VARIANTS), choices=list(VARIANTS))
    parser.add_argument("--epochs", type=int, default=Args.epochs)
    parser.add_argument("--hidden", nargs="+", type=int, default=list(Args.hidden))
    parser.add_argument("--grid-points", type=int, default=Args.grid_points)
    parser.add_argument("--n-trials", type=int, default=Args.n_trials)
    parser.add_argument("--n-steps", type=int, default=Args.n_steps)
    parser.add_argument("--gamma", type=float, default=Args.gamma, help="discount factor")
    parser.add_argument("--out-json", default=None, help="write the JSON here too")
    parser.add_argument("--threads", type=int, default=1)
    a = parser.parse_args(argv)
    if "defaults" not in a.variants:
        parser.error("--variants must include defaults (the baseline)")
    torch.set_num_threads(a.threads)
    args = Args(seeds=tuple(a.seeds), controller=a.controller, variants=tuple(a.variants),
                epochs=a.epochs, hidden=tuple(a.hidden), grid_points=a.grid_points,
                n_trials=a.n_trials, n_steps=a.n_steps, gamma=a.gamma)
    result = run(args)
    report = {"benchmark": "fvi_referee", "baseline": "defaults", "settings": vars(args),
              "training": TRAINING, "variants": {v: VARIANTS[v] for v in args.variants},
              "threads": a.threads, "python": platform.python_version(),
              "torch": torch.__version__, **result}
    print(format_rows(result["rows"]))
    print(json.dumps(report, indent=2, default=str))
    if a.out_json:
        write_json_atomic(a.out_json, report)
    return report


if __name__ == "__main__":
    main()
