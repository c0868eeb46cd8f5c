"""Benchmark: closed-loop control of the Brian2 spiking network, and batched vs sequential copies.

Measures, on the default E/I network (500 LIF neurons):

1. the same simulated time open loop (no control operation) vs with a controller in the loop at
   control periods of 1 and 5 ms, both for the callback-driven loop (``run_closed_loop``) and the
   Gymnasium ``reset``/``step`` loop (worker thread + queue hand-off); target overhead <= 15 %;
2. ``B = 64`` copies batched as blocks of one NeuronGroup (one run) vs copies simulated one after
   another (one run each), both closed loop; throughput in simulated copy-seconds per wall-clock
   second; target ratio >= 20.

Prints JSON (and writes it with ``--output``). The baseline of every ratio is measured in the same
run. Usage: ``python benchmarks/spiking_loop.py [--quick] [--target auto|numpy|cython]``.
"""

from __future__ import annotations

import argparse
import json
import platform
import sys
import time
from dataclasses import dataclass

import numpy as np


@dataclass
class Args:
    quick: bool = False
    target: str = "auto"
    repeats: int = 3
    output: str | None = None


def _policy(num_envs: int, action_dim: int, seed: int):
    """A cheap stochastic controller: one of 9 candidate current vectors per copy."""
    rng = np.random.default_rng(seed)
    candidates = np.stack(np.meshgrid([-0.02, 0.0, 0.02], [-0.02, 0.0, 0.02]), -1).reshape(-1, 2)
    return lambda obs, step: candidates[rng.integers(0, len(candidates), num_envs)][:, :action_dim]


def _best(fn, repeats: int) -> float:
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return min(times)


def bench_overhead(args: Args, period: float, sim_ms: float) -> dict:
    from neuromop.envs.spiking import SpikingVectorEnv

    n_steps = int(round(sim_ms / period))
    env = SpikingVectorEnv(1, control_period=period, warmup=0.0, max_episode_steps=n_steps,
                           target=args.target, record_spikes=False, silence_rate=1e-3,
                           runaway_rate=1e4)
    policy = _policy(1, env.action_dim, 0)

    def open_loop():  # the same run with the control operation switched off
        env._begin(0, n_steps)
        env._op.active = False
        try:
            env._run(n_steps)
        finally:
            env._op.active = True

    def callback_loop():
        env.run_closed_loop(policy, n_steps, seed=0)

    def gym_loop():
        env.reset(seed=0)
        for s in range(n_steps):
            _, _, term, trunc, _ = env.step(policy(None, s))
            if term[0] or trunc[0]:
                break

    t_compile0 = time.perf_counter()
    callback_loop()  # compiles (cython) and warms caches
    first = time.perf_counter() - t_compile0
    t_open = _best(open_loop, args.repeats)
    t_cb = _best(callback_loop, args.repeats)
    t_gym = _best(gym_loop, args.repeats)
    env.close()
    return {
        "control_period_ms": period, "simulated_ms": sim_ms, "steps": n_steps,
        "first_run_s": first, "open_loop_s": t_open, "callback_loop_s": t_cb,
        "gym_thread_loop_s": t_gym,
        "callback_overhead": t_cb / t_open - 1.0, "gym_thread_overhead": t_gym / t_open - 1.0,
        "per_step_cost_callback_us": (t_cb - t_open) / n_steps * 1e6,
        "per_step_cost_gym_us": (t_gym - t_open) / n_steps * 1e6,
    }


def bench_batch(args: Args, n_copies: int, n_sequential: int, sim_ms: float) -> dict:
    from neuromop.envs.spiking import SpikingVectorEnv

    period = 5.0
    n_steps = int(round(sim_ms / period))
    kw = dict(control_period=period, warmup=0.0, max_episode_steps=n_steps, target=args.target,
              record_spikes=False, silence_rate=1e-3, runaway_rate=1e4)
    batched = SpikingVectorEnv(n_copies, **kw)
    policy = _policy(n_copies, batched.action_dim, 1)
    batched.run_closed_loop(policy, n_steps, seed=0)  # compile / warm-up
    t_batch = _best(lambda: batched.run_closed_loop(policy, n_steps, seed=0), args.repeats)

    single = SpikingVectorEnv(1, **kw)
    policy1 = _policy(1, single.action_dim, 2)
    single.run_closed_loop(policy1, n_steps, seed=0)  # compile / warm-up

    def sequential():
        for k in range(n_sequential):
            single.run_closed_loop(policy1, n_steps, seed=k)

    t_seq = _best(sequential, max(1, args.repeats - 1))
    thr_batch = n_copies * sim_ms * 1e-3 / t_batch
    thr_seq = n_sequential * sim_ms * 1e-3 / t_seq
    return {
        "copies": n_copies, "sequential_copies_timed": n_sequential, "simulated_ms": sim_ms,
        "batched_s": t_batch, "sequential_s": t_seq,
        "batched_throughput_copy_s_per_s": thr_batch,
        "sequential_throughput_copy_s_per_s": thr_seq, "speedup": thr_batch / thr_seq,
    }


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--quick", action="store_true", help="short runs (a minute or two)")
    p.add_argument("--target", default="auto", choices=["auto", "numpy", "cython"])
    p.add_argument("--repeats", type=int, default=3)
    p.add_argument("--output", default=None, help="also write the JSON here")
    ns = p.parse_args(argv)
    args = Args(quick=ns.quick, target=ns.target, repeats=ns.repeats, output=ns.output)

    from neuromop.envs import brian_setup

    target = brian_setup.resolve_target(args.target)
    sim_ms = 300.0 if args.quick else 1000.0
    result = {
        "benchmark": "spiking_loop", "quick": args.quick, "target": target,
        "python": platform.python_version(), "network": "default E/I LIF, 400 E + 100 I",
        "overhead": [bench_overhead(args, period, sim_ms) for period in (1.0, 5.0)],
        "batch": bench_batch(args, 64, 4 if args.quick else 8, 200.0 if args.quick else 500.0),
    }
    result["targets"] = {
        "overhead_max": 0.15, "speedup_min": 20.0,
        "overhead_met_5ms": result["overhead"][1]["callback_overhead"] <= 0.15,
        "speedup_met": result["batch"]["speedup"] >= 20.0,
    }
    text = json.dumps(result, indent=2)
    print(text)
    if args.output:
        from neuromop._io import write_json_atomic

        write_json_atomic(args.output, result)
    return 0


if __name__ == "__main__":
    sys.exit(main())
