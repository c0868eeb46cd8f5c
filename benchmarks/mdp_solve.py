"""Benchmark the exact solvers: the four-room MOP solve and the 31^4 x 2 cartpole grid.

Each is timed against a straightforward loop/dict implementation (the style of the authors' Julia
notebooks, written here in plain Python) measured in the same run on a small instance and
extrapolated per state-sweep (time per state per sweep x states x sweeps of the fast solver).

Targets (issue 2): four rooms, 10,400 states, tol 1e-2: < 0.1 s; cartpole 31^4 x 2 states,
tol 1e-3: < 3 min on 2 cores.

Run: ``python benchmarks/mdp_solve.py [--quick] [--out results.json]`` (prints JSON otherwise).
"""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import time
from pathlib import Path

import numpy as np

from neuromop._io import write_json_atomic
from neuromop.mdp.solvers import solve_mop
from neuromop.mdp.worlds import four_rooms
from neuromop.mdp.worlds.cartpole import CartpoleGrid, cartpole_step, solve_cartpole_grid


# ---------------------------------------------------------------- loop/dict baselines
def loop_mop_sweeps(world, n_sweeps: int, gamma: float = 0.99) -> float:
    """Soft value iteration with Python loops over states/actions and dict successors.

    Returns the time per state per sweep (s).
    """
    mdp = world.mdp
    succ = {}
    for s in range(mdp.n_states):
        succ[s] = [int(mdp.next_states[s, a, 0]) for a in range(mdp.n_actions)
                   if mdp.action_mask[s, a]]
    terminal = {s for s in range(mdp.n_states) if mdp.terminal[s]}
    V = dict.fromkeys(range(mdp.n_states), 0.0)
    t0 = time.perf_counter()
    for _ in range(n_sweeps):
        new = {}
        for s, nxt in succ.items():
            if s in terminal:
                new[s] = 0.0
                continue
            z = sum(math.exp(gamma * V[n]) for n in nxt)
            new[s] = math.log(z)
        V = new
    return (time.perf_counter() - t0) / (n_sweeps * mdp.n_states)


def loop_cartpole_sweep(n_points: int, gamma: float = 0.98) -> float:
    """One MOP sweep of the grid cartpole with Python loops and per-successor interpolation.

    Returns the time per grid state per sweep (s).
    """
    grid = CartpoleGrid(n_points)
    p = grid.params
    axes = grid.axes
    n = grid.n_points
    V = np.zeros(n)
    states = grid.grid_states()
    terminal = grid.terminal_mask()
    t0 = time.perf_counter()
    new = np.zeros(grid.n_grid)
    for i in range(grid.n_grid):
        if terminal[i]:
            continue
        z = 0.0
        for f in p.forces:
            nxt = cartpole_step(states[i], f, p)
            if abs(nxt[0]) >= p.theta_max or abs(nxt[3]) >= p.x_max:
                v = 0.0
            else:
                lo, fr = [], []
                for d in range(4):
                    ax = axes[d]
                    pos = (min(max(nxt[d], ax[0]), ax[-1]) - ax[0]) / (ax[1] - ax[0])
                    k = min(int(pos), len(ax) - 2)
                    lo.append(k)
                    fr.append(pos - k)
                v = 0.0
                for corner in range(16):
                    w = 1.0
                    idx = []
                    for d in range(4):
                        bit = (corner >> d) & 1
                        w *= fr[d] if bit else 1.0 - fr[d]
                        idx.append(lo[d] + bit)
                    v += w * V[tuple(idx)]
            z += math.exp(gamma * v)
        new[i] = math.log(z)
    return (time.perf_counter() - t0) / grid.n_grid


# ---------------------------------------------------------------- benchmark
def bench_four_rooms(repeats: int) -> dict:
    world = four_rooms()
    times, cpu = [], []
    res = None
    for _ in range(repeats):
        t0, c0 = time.perf_counter(), time.process_time()
        res = solve_mop(world.mdp, alpha=1.0, beta=0.0, gamma=0.99, tol=1e-2)
        times.append(time.perf_counter() - t0)
        cpu.append(time.process_time() - c0)
    small = four_rooms(capacity=10)
    per = loop_mop_sweeps(small, n_sweeps=5)
    base = per * world.mdp.n_states * res.sweeps
    best = min(times)
    return {
        "name": "four_rooms_mop", "n_states": world.mdp.n_states, "tol": 1e-2, "gamma": 0.99,
        "sweeps": res.sweeps, "seconds_min": best, "seconds_median": float(np.median(times)),
        "cpu_seconds_min": min(cpu),
        "baseline": "Python loop/dict soft VI, timed on 1,040 states (capacity 10) for 5 sweeps",
        "baseline_seconds_per_state_sweep": per, "baseline_seconds_extrapolated": base,
        "speedup": base / best, "target_seconds": 0.1, "meets_target": best < 0.1,
    }


def bench_cartpole(n_points: int, baseline_points: int) -> dict:
    t0, c0 = time.perf_counter(), time.process_time()
    sol = solve_cartpole_grid(n_points, "mop", gamma=0.98, tol=1e-3)
    total, cpu = time.perf_counter() - t0, time.process_time() - c0
    per = loop_cartpole_sweep(baseline_points)
    base = per * sol.grid.n_grid * sol.sweeps
    return {
        "name": "cartpole_grid_mop", "n_points": n_points, "n_states": sol.grid.n_states,
        "n_grid_alive": sol.grid.n_grid, "tol": 1e-3, "gamma": 0.98, "sweeps": sol.sweeps,
        "converged": sol.converged, "seconds_total": total, "cpu_seconds_total": cpu,
        "seconds_build": sol.timings["build_s"], "seconds_sweeps": sol.timings["solve_s"],
        "nnz": sol.timings["nnz"],
        "baseline": f"Python loop soft VI with per-successor interpolation, timed on a "
                    f"{baseline_points}^4 grid for one sweep",
        "baseline_seconds_per_state_sweep": per, "baseline_seconds_extrapolated": base,
        "speedup": base / total, "target_seconds": 180.0, "meets_target": total < 180.0,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true",
                        help="small cartpole grid (15^4) and one repeat")
    parser.add_argument("--out", type=Path, default=None, help="JSON file (default: print)")
    args = parser.parse_args(argv)
    results = {
        "machine": {"python": platform.python_version(), "processor": platform.processor(),
                    "numpy": np.__version__, "load_average_1min": os.getloadavg()[0]},
        "quick": args.quick,
        "four_rooms": bench_four_rooms(1 if args.quick else 5),
        "cartpole": bench_cartpole(15 if args.quick else 31, 5 if args.quick else 7),
    }
    if args.out is not None:
        write_json_atomic(args.out, results)
    print(json.dumps(results, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
