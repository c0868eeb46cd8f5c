"""Benchmark: closed-loop control of the Brian2 spiking network, and batched vs sequential copies.

Measures, on the default E/I network (500 LIF neurons):

1. the same simulated time open loop (no control operation) vs with a controller in the loop at
   control periods of 1 and 5 ms, both for the callback-driven loop (``run_closed_loop``) and the
   Gymnasium ``reset``/``step`` loop (worker thread + queue hand-off); target overhead <= 15 %;
2. ``B = 64`` copies batched as blocks of one NeuronGroup (one run) vs copies simulated one after
   another (one compiled single-copy network reused, one run each), both closed loop; throughput
   in simulated copy-seconds per wall-clock second; target ratio >= 20. Also on the network the
   energy task's agents train on (``batch_task_network``: 80 E + 20 I, p = 0.5, the task's
   control period, targets and readouts), and for copies with independent connectivity
   (``batch_independent``): one batched network of 64 realisations vs one network built per
   realisation, construction included on both sides;
3. where the time goes: open-loop cost per neuron and time step of the single and the batched
   network, the fixed cost of one ``Network.run`` call, and Brian's per-object profile -- the
   ratio of the per-step costs bounds the batched speedup once the per-run cost is amortised.

The controller is a cheap stochastic policy (-0.02, 0 or +0.02 nA per target, drawn in advance),
so that the overhead measured is the environment's. Variants are timed interleaved (minimum of
``--repeats``), in wall-clock time and in CPU time of the process (keys ending ``_cpu``; less
sensitive to other processes on a shared machine). The machine load (``os.getloadavg``) is
recorded before and after.

Prints JSON (and writes it with ``--output``). The baseline of every ratio is measured in the same
run. Usage: ``python benchmarks/spiking_loop.py [--quick] [--target auto|numpy|cython]``.

Measured on this machine (2 cores, cython target; moved here from the library docstrings):

- a control period costs ~20 us for one copy, most of it the fixed cost of ~12 numpy calls on
  the caches Brian leaves, so the overhead is ~12 % at a 1 ms period and ~5 % at 5 ms; the
  worker-thread hand-off of the Gymnasium loop adds ~30 us per step on top;
- ``frozen_gc`` cuts Brian's fixed cost per ``Network.run`` (a full ``gc.collect()``) from
  ~0.1 s to ~0.02 s of CPU;
- a Brian time step costs ~2 us of Python dispatch per code object plus the per-neuron work.
  For one copy the dispatch dominates (~13.5 us of CPU per step, ~27 ns per neuron-step); for
  64 copies the per-neuron work does (~135 us per step, ~4.2 ns per neuron-step: state update
  ~1/3, external drive ~1/4, synapses ~1/5, threshold ~1/5). Batching B copies is therefore at
  most ``B x 13.5 / 135`` (~6.4 for B = 64) times faster per simulated step, plus the amortised
  fixed cost per run: 10x measured with 200 ms episodes. The energy task's smaller copies (80 E
  + 20 I, p = 0.5) leave the dispatch a larger share: 64 of them gave 25x the throughput of
  sequential copies (1 s episodes, ``batch_task_network``).
"""

from __future__ import annotations

import argparse
import json
import math
import os
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


def _policy(num_envs: int, action_dim: int, seed: int, n_steps: int):
    """A cheap stochastic controller: -0.02, 0 or +0.02 nA into each target, per copy and step."""
    rng = np.random.default_rng(seed)
    levels = np.array([-0.02, 0.0, 0.02])
    choice = np.ascontiguousarray(levels[rng.integers(0, 3, (n_steps + 1, num_envs, action_dim))])
    return lambda obs, step: choice[step]


def _timed(fns: dict, repeats: int) -> dict:
    """Minimum wall-clock and process CPU time (s) of each function, calls interleaved.

    Interleaving (a, b, c, a, b, c, ...) exposes every variant to the same machine load; the CPU
    time of the process is less sensitive to other processes than the wall-clock time.
    """
    out = {name: {"wall_s": math.inf, "cpu_s": math.inf} for name in fns}
    for _ in range(repeats):
        for name, fn in fns.items():
            w0, c0 = time.perf_counter(), time.process_time()
            fn()
            w, c = time.perf_counter() - w0, time.process_time() - c0
            out[name]["wall_s"] = min(out[name]["wall_s"], w)
            out[name]["cpu_s"] = min(out[name]["cpu_s"], c)
    return out


def _open_loop(env, n_steps: int, *, profile: bool = False) -> dict | None:
    """One open-loop episode (the control operation switched off); Brian's per-object profile
    (s per object) if ``profile``."""
    import brian2 as b2

    env._begin(0, n_steps)
    env._op.active = False
    try:
        if not profile:
            env._run(n_steps)
            return None
        duration = (env.warmup_steps + n_steps) * env.control_period + env.params.dt
        env.network.run(duration * b2.ms, namespace={}, profile=True)
        return {name: float(t) for name, t in env.network.profiling_info}
    finally:
        env._op.active = True


def bench_cost(args: Args, n_copies: int, sim_ms: float) -> dict:
    """Open-loop cost per neuron and time step, single vs batched, and the fixed cost per run."""
    from neuromop.envs.spiking import SpikingVectorEnv

    period, out = 5.0, {}
    long_steps, short_steps = int(round(sim_ms / period)), 1
    for B in (1, n_copies):
        env = SpikingVectorEnv(B, control_period=period, warmup=0.0, max_episode_steps=long_steps,
                               target=args.target, record_spikes=False, silence_rate=1e-3,
                               runaway_rate=1e4, verbose=False)
        _open_loop(env, short_steps)  # compile / warm-up
        t = _timed({"long": lambda: _open_loop(env, long_steps),  # noqa: B023
                    "short": lambda: _open_loop(env, short_steps)}, args.repeats)  # noqa: B023
        steps_per_period = round(period / env.params.dt)
        res = {"copies": B, "neurons": B * env.params.n_neurons, "synapses": env.n_synapses}
        for clock in ("wall", "cpu"):
            sfx = "" if clock == "wall" else "_cpu"
            t_long, t_short = t["long"][f"{clock}_s"], t["short"][f"{clock}_s"]
            per_step = (t_long - t_short) / ((long_steps - short_steps) * steps_per_period)
            res[f"per_time_step_us{sfx}"] = per_step * 1e6
            res[f"per_neuron_step_ns{sfx}"] = per_step / (B * env.params.n_neurons) * 1e9
            res[f"fixed_cost_per_run_s{sfx}"] = t_short - per_step * (
                short_steps * steps_per_period + 1)
        prof = _open_loop(env, long_steps, profile=True)
        n_dt = long_steps * steps_per_period + 1
        res["profile_per_time_step_us"] = {k: v / n_dt * 1e6 for k, v in sorted(
            prof.items(), key=lambda kv: -kv[1])}
        out[f"B{B}"] = res
    one, many = out["B1"], out[f"B{n_copies}"]
    for sfx in ("", "_cpu"):
        # the batched speedup once the per-run cost is amortised (B single steps : 1 batched)
        out[f"per_step_speedup_bound{sfx}"] = (n_copies * one[f"per_time_step_us{sfx}"]
                                               / many[f"per_time_step_us{sfx}"])
    return out


def bench_overhead(args: Args, period: float, sim_ms: float) -> dict:
    from neuromop.envs.spiking import SpikingVectorEnv

    n_steps = int(round(sim_ms / period))
    env = SpikingVectorEnv(1, control_period=period, warmup=0.0, max_episode_steps=n_steps,
                           target=args.target, record_spikes=False, silence_rate=1e-3,
                           runaway_rate=1e4)
    policy = _policy(1, env.action_dim, 0, n_steps)

    def open_loop():  # the same run with the control operation switched off
        _open_loop(env, n_steps)

    def callback_loop():
        env.run_closed_loop(policy, n_steps, random_state=0)

    def gym_loop():
        env.reset(seed=0)
        for s in range(n_steps):
            _, _, term, trunc, _ = env.step(policy(None, s))
            if term[0] or trunc[0]:
                break

    t_compile0 = time.perf_counter()
    callback_loop()  # compiles (cython) and warms caches
    first = time.perf_counter() - t_compile0
    t = _timed({"open": open_loop, "callback": callback_loop, "gym": gym_loop}, args.repeats)
    env.close()
    out = {"control_period_ms": period, "simulated_ms": sim_ms, "steps": n_steps,
           "first_run_s": first}
    for clock in ("wall", "cpu"):
        t_open, t_cb, t_gym = (t[k][f"{clock}_s"] for k in ("open", "callback", "gym"))
        sfx = "" if clock == "wall" else "_cpu"
        out.update({
            f"open_loop_s{sfx}": t_open, f"callback_loop_s{sfx}": t_cb,
            f"gym_thread_loop_s{sfx}": t_gym,
            f"callback_overhead{sfx}": t_cb / t_open - 1.0,
            f"gym_thread_overhead{sfx}": t_gym / t_open - 1.0,
            f"per_step_cost_callback_us{sfx}": (t_cb - t_open) / n_steps * 1e6,
            f"per_step_cost_gym_us{sfx}": (t_gym - t_open) / n_steps * 1e6,
        })
    return out


def _throughputs(t: dict, n_copies: int, n_sequential: int, sim_ms: float, what: str) -> dict:
    """Times (``batched_<what>``, ``sequential_<what>``), throughputs in simulated copy-seconds
    per second and their ratio (``speedup``) of a batched vs sequential timing from ``_timed``."""
    out = {"copies": n_copies, "sequential_copies_timed": n_sequential, "simulated_ms": sim_ms}
    for clock in ("wall", "cpu"):
        sfx = "" if clock == "wall" else "_cpu"
        t_batch, t_seq = t["batched"][f"{clock}_s"], t["sequential"][f"{clock}_s"]
        thr_batch = n_copies * sim_ms * 1e-3 / t_batch
        thr_seq = n_sequential * sim_ms * 1e-3 / t_seq
        out.update({
            f"batched_{what}{sfx}": t_batch, f"sequential_{what}{sfx}": t_seq,
            f"batched_throughput_copy_s_per_s{sfx}": thr_batch,
            f"sequential_throughput_copy_s_per_s{sfx}": thr_seq,
            f"speedup{sfx}": thr_batch / thr_seq,
        })
    return out


def bench_batch(args: Args, n_copies: int, n_sequential: int, sim_ms: float, *,
                env_kw: dict | None = None) -> dict:
    """``n_copies`` batched copies vs ``n_sequential`` copies one after another, closed loop at a
    5 ms control period on the default network, or with the environment arguments ``env_kw``
    (network ``params``, ``control_period``, ``action_targets``, ``readouts``)."""
    from neuromop.envs.spiking import SpikingVectorEnv

    kw = {"control_period": 5.0, **(env_kw or {})}
    n_steps = int(round(sim_ms / kw["control_period"]))
    kw.update(warmup=0.0, max_episode_steps=n_steps, target=args.target, record_spikes=False,
              silence_rate=1e-3, runaway_rate=1e4)
    batched = SpikingVectorEnv(n_copies, **kw)
    policy = _policy(n_copies, batched.action_dim, 1, n_steps)
    batched.run_closed_loop(policy, n_steps, random_state=0)  # compile / warm-up

    single = SpikingVectorEnv(1, **kw)
    policy1 = _policy(1, single.action_dim, 2, n_steps)
    single.run_closed_loop(policy1, n_steps, random_state=0)  # compile / warm-up

    def sequential():
        for k in range(n_sequential):
            single.run_closed_loop(policy1, n_steps, random_state=k)

    t = _timed({"batched": lambda: batched.run_closed_loop(policy, n_steps, random_state=0),
                "sequential": sequential}, args.repeats)
    out = _throughputs(t, n_copies, n_sequential, sim_ms, "s")
    out.update(neurons_per_copy=single.params.n_neurons, synapses_per_copy=single.n_synapses,
               control_period_ms=kw["control_period"], action_dim=single.action_dim)
    return out


def bench_batch_task(args: Args, n_copies: int, n_sequential: int, sim_ms: float) -> dict:
    """:func:`bench_batch` on the network the energy task's agents train on (``neuromop run
    spiking-energy --budget default``: its network, control period, action targets and
    readouts)."""
    from neuromop.studies import SpikingEnergyStudy

    cfg = SpikingEnergyStudy.for_budget("default")
    out = bench_batch(args, n_copies, n_sequential, sim_ms, env_kw=dict(
        params=cfg.network_params(), control_period=cfg.control_period,
        action_targets=cfg.action_targets(), readouts=cfg.readouts()))
    out["network"] = f"energy task, {cfg.n_exc} E + {cfg.n_inh} I, p = {cfg.p_connect}"
    return out


def bench_independent(args: Args, n_copies: int, n_sequential: int, sim_ms: float) -> dict:
    """Copies with *independent connectivity* (one network realisation each): one batched
    network with ``same_connectivity=False`` vs one single-copy network per realisation, built
    and run one after another. A realisation's synapses are fixed once its network has run, so
    the sequential way must build (and load the compiled code of) a network per copy; both sides
    are timed from construction to the end of the closed-loop episode, after a warm-up build
    that compiles the code (the cython cache is then reused)."""
    from neuromop.envs.spiking import SpikingVectorEnv

    period = 5.0
    n_steps = int(round(sim_ms / period))
    kw = dict(control_period=period, warmup=0.0, max_episode_steps=n_steps, target=args.target,
              record_spikes=False, silence_rate=1e-3, runaway_rate=1e4, verbose=False)
    policy = _policy(n_copies, 2, 1, n_steps)
    policy1 = _policy(1, 2, 2, n_steps)

    def batched(seed=0):
        env = SpikingVectorEnv(n_copies, network_random_state=seed, same_connectivity=False, **kw)
        env.run_closed_loop(policy, n_steps, random_state=0)

    def one(seed):
        env = SpikingVectorEnv(1, network_random_state=seed, **kw)
        env.run_closed_loop(policy1, n_steps, random_state=seed)

    def sequential():
        for k in range(n_sequential):
            one(1000 + k)

    batched(999)  # compile / warm-up of both sizes
    one(999)
    t = _timed({"batched": batched, "sequential": sequential}, args.repeats)
    return _throughputs(t, n_copies, n_sequential, sim_ms, "build_and_run_s")


def _brian_version() -> str:
    import brian2

    return brian2.__version__


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--quick", action="store_true", help="short runs (a minute or two)")
    p.add_argument("--target", default="auto", choices=["auto", "numpy", "cython"])
    p.add_argument("--repeats", type=int, default=3)
    p.add_argument("--output", default=None, help="also write the JSON here")
    ns = p.parse_args(argv)
    args = Args(quick=ns.quick, target=ns.target, repeats=ns.repeats, output=ns.output)

    from neuromop.envs.spiking import setup as brian_setup

    target = brian_setup.resolve_target(args.target)
    sim_ms = 300.0 if args.quick else 1000.0
    load_before = os.getloadavg()
    result = {
        "benchmark": "spiking_loop", "quick": args.quick, "target": target,
        "python": platform.python_version(), "brian2": _brian_version(),
        "network": "default E/I LIF, 400 E + 100 I", "cpu_count": os.cpu_count(),
        "overhead": [bench_overhead(args, period, sim_ms) for period in (1.0, 5.0)],
        "batch": bench_batch(args, 64, 4 if args.quick else 8, 200.0 if args.quick else 500.0),
        "batch_task_network": bench_batch_task(args, 64, 8 if args.quick else 16,
                                               1000.0 if args.quick else 2500.0),
        "batch_independent": bench_independent(args, 64, 4 if args.quick else 8,
                                               200.0 if args.quick else 500.0),
        "cost": bench_cost(args, 64, 100.0 if args.quick else 250.0),
    }
    result["load_average_before"] = list(load_before)
    result["load_average_after"] = list(os.getloadavg())
    result["targets"] = {
        "overhead_max": 0.15, "speedup_min": 20.0,
        "overhead_met_1ms": result["overhead"][0]["callback_overhead"] <= 0.15,
        "overhead_met_5ms": result["overhead"][1]["callback_overhead"] <= 0.15,
        "speedup_met": result["batch"]["speedup"] >= 20.0,
        "speedup_met_task_network": result["batch_task_network"]["speedup"] >= 20.0,
        "speedup_met_independent": result["batch_independent"]["speedup"] >= 20.0,
    }
    text = json.dumps(result, indent=2)
    print(text)
    if args.output:
        from neuromop._io import write_json_atomic

        write_json_atomic(args.output, result)
    return 0


if __name__ == "__main__":
    sys.exit(main())
