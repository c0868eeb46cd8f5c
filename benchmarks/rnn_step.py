"""Benchmark: rate-RNN next-state predictions per second, broadcast vs naive; one training epoch.

Measures, in the same run and on the same network (N=500 tanh, 256 agents x 16 candidates):

- ``broadcast``: :meth:`RateRNNEnv.predict` — ``W x`` once per agent, the 16 candidate currents
  broadcast onto it;
- ``naive`` (the baseline): every (agent, candidate) pair as its own state row, i.e. the state
  repeated 16 times and ``W x`` computed 4096 times;
- the wall time of one NeuroMOP training epoch at the energy study's default settings.

Prints JSON (and writes it with ``--out``). Usage: ``python benchmarks/rnn_step.py [--threads 2]``.
"""

from __future__ import annotations

import argparse
import json
import math
import platform
import time

import torch

from neuromop._io import write_json_atomic
from neuromop.control import NeuroMOPController, train
from neuromop.envs import RateRNNEnv
from neuromop.studies import EnergyStudy


def naive_predict(env: RateRNNEnv, states: torch.Tensor) -> torch.Tensor:
    """Next states of every (state, candidate) pair with the state repeated K times."""
    k = env.n_candidates
    x = states.repeat_interleave(k, dim=0)                  # (B*K, N): K copies of each state
    u = env.currents.repeat(states.shape[0], 1)             # (B*K, N)
    pre = x @ env.W.T + u                                   # W x computed B*K times
    nxt = x + env.dt / env.tau * (-x + torch.tanh(pre))
    return nxt.view(states.shape[0], k, -1)


def _emit(result: dict, out) -> dict:
    """Print ``result`` as JSON and write it to ``out`` too (when given); return it."""
    print(json.dumps(result, indent=2))
    if out:
        write_json_atomic(out, result)
    return result


def _machine() -> dict:
    """Python, torch, CPU count and the 1-minute load average (NaN where unknown)."""
    import os

    return {"python": platform.python_version(), "torch": torch.__version__,
            "cpu_count": os.cpu_count(),
            "load_average_1min": os.getloadavg()[0] if hasattr(os, "getloadavg") else math.nan}


def _rate(fn, n_pred: int, min_seconds: float) -> tuple[float, int]:
    fn()  # warm-up
    reps, t0 = 0, time.perf_counter()
    while True:
        fn()
        reps += 1
        elapsed = time.perf_counter() - t0
        if elapsed >= min_seconds:
            return reps * n_pred / elapsed, reps


def main(argv=None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--n-neurons", type=int, default=500)
    parser.add_argument("--agents", type=int, default=256)
    parser.add_argument("--candidates", type=int, default=16)
    parser.add_argument("--seconds", type=float, default=3.0, help="min time per measurement")
    parser.add_argument("--out", default=None, help="write the JSON here too")
    args = parser.parse_args(argv)
    torch.set_num_threads(args.threads)

    env = RateRNNEnv(args.n_neurons, num_envs=args.agents, n_candidates=args.candidates, g=2.0,
                     random_state=0)
    states = env.initial_states(args.agents, torch.Generator().manual_seed(0))
    n_pred = args.agents * args.candidates
    fast = env.predict(states)
    slow = naive_predict(env, states)
    max_err = float((fast - slow).abs().max())
    with torch.no_grad():
        rate_fast, reps_fast = _rate(lambda: env.predict(states), n_pred, args.seconds)
        rate_naive, reps_naive = _rate(lambda: naive_predict(env, states), n_pred, args.seconds)

    study = EnergyStudy.for_budget("default")
    ctrl = NeuroMOPController(study.make_env(), hidden=study.hidden, gamma=study.gamma,
                              random_state=0)
    t0 = time.perf_counter()
    train(ctrl, epochs=1, steps_per_epoch=study.steps_per_epoch,
          fit_iterations=study.fit_iterations, batch_size=study.batch_size,
          target_updates=study.target_updates, progress=False)
    epoch_seconds = time.perf_counter() - t0

    result = {
        "benchmark": "rnn_step",
        "threads": args.threads,
        "n_neurons": args.n_neurons,
        "agents": args.agents,
        "candidates": args.candidates,
        "predictions_per_second": rate_fast,
        "baseline_naive_predictions_per_second": rate_naive,
        "speedup_vs_naive": rate_fast / rate_naive,
        "max_abs_difference": max_err,
        "target_predictions_per_second": 1.0e6,
        "meets_target": rate_fast >= 1.0e6,
        "repeats": {"broadcast": reps_fast, "naive": reps_naive},
        "epoch_seconds_energy_default": epoch_seconds,
        "epoch_settings": {"n_neurons": study.n_neurons, "num_envs": study.num_envs,
                           "steps_per_epoch": study.steps_per_epoch,
                           "fit_iterations": study.fit_iterations,
                           "target_updates": study.target_updates},
        "machine": _machine(),
    }
    return _emit(result, args.out)


if __name__ == "__main__":
    main()
