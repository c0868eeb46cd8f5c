"""Benchmark the learning choice models' likelihood: F-Q learning (Q-learning with forgetting)
evaluated without a loop over trials, against a plain Python trial loop measured in the same run.

The data are IBL-sized by default (11 sessions of 710 trials, two actions, rewards 0/1, one
contrast covariate per side) and simulated by the model itself, so no dataset is needed. Each
variant's log-likelihood at the generating parameters is checked against the loop's.

Run: ``python benchmarks/choice_likelihood.py [--quick] [--out results.json]`` (prints JSON).
"""

from __future__ import annotations

import argparse
import json
import platform
import time
from pathlib import Path

import numpy as np

from neuromop._io import write_json_atomic
from neuromop.values import QLearningChoiceModel

PARAMS = {"alpha": 0.3, "temperature": 0.2, "weight": 1.0, "bias_1": 0.1}


def loop_loglik(X, y, groups, params: dict, forgetting: str, q0: float = 0.5) -> float:
    """The F-Q learner's log-likelihood with a Python loop over trials (the baseline)."""
    alpha, tau = params["alpha"], params["temperature"]
    phi = {"none": 0.0, "equal": alpha}.get(forgetting, params.get("forgetting", 0.0))
    bias = np.array([0.0, params["bias_1"]])
    total, q = 0.0, None
    for t in range(len(y)):
        if t == 0 or groups[t] != groups[t - 1]:
            q = np.full(2, q0)
        u = (q + params["weight"] * X[t, 1:] + bias) / tau
        total += u[y[t]] - np.logaddexp(u[0], u[1])
        a = y[t]
        q[1 - a] += phi * (q0 - q[1 - a])
        q[a] += alpha * (X[t, 0] - q[a])
    return float(total)


def _simulate(forgetting: str, n_sessions: int, n_trials: int, seed: int):
    rng = np.random.default_rng(seed)
    params = dict(PARAMS, **({"forgetting": 0.1} if forgetting == "free" else {}))
    model = QLearningChoiceModel(covariate=True, bias=True, forgetting=forgetting)
    n = n_sessions * n_trials
    cov = rng.uniform(0, 1, (n, 2))
    X, y = model.simulate(lambda t, a, r: float(r.random() < (0.8 if a == (t // 60) % 2 else 0.2)),
                          n, covariates=cov, random_state=rng, params=params)
    return model, params, X, y, np.repeat(np.arange(n_sessions), n_trials)


def _best_of(repeats: int, fn, *args) -> float:
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn(*args)
        times.append(time.perf_counter() - t0)
    return min(times)


def run(n_sessions: int, n_trials: int, repeats: int, seed: int) -> dict:
    rows = {}
    for forgetting in ("none", "equal", "free"):
        model, params, X, y, groups = _simulate(forgetting, n_sessions, n_trials, seed)
        data = model._prepare(X, y, groups)
        theta = np.array([params[name] for name, _, _ in model._spec(data)])
        fast = float(model._trial_loglik(theta, data).sum())
        slow = loop_loglik(X, y, groups, params, forgetting)
        t_fast = _best_of(repeats, model._trial_loglik, theta, data)
        t_loop = _best_of(max(1, repeats // 5), loop_loglik, X, y, groups, params, forgetting)
        rows[forgetting] = {"vectorised_s": t_fast, "trial_loop_s": t_loop,
                            "speedup_vs_trial_loop": t_loop / t_fast,
                            "loglik_difference": abs(fast - slow)}
    return rows


def main(argv=None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="2 sessions of 100 trials")
    parser.add_argument("--sessions", type=int, default=11, help="sessions (default 11)")
    parser.add_argument("--trials", type=int, default=710, help="trials per session")
    parser.add_argument("--repeats", type=int, default=20, help="timings per variant (best of)")
    parser.add_argument("--seed", type=int, default=0, help="seed of the simulated data")
    parser.add_argument("--out", type=Path, default=None, help="write the JSON here as well")
    args = parser.parse_args(argv)
    sessions, trials = (2, 100) if args.quick else (args.sessions, args.trials)
    result = {"settings": {"sessions": sessions, "trials_per_session": trials,
                           "repeats": args.repeats, "seed": args.seed,
                           "machine": platform.platform()},
              "baseline": "trial_loop (plain Python, one trial at a time)",
              "variants": run(sessions, trials, args.repeats, args.seed)}
    text = json.dumps(result, indent=2)
    if args.out is not None:
        write_json_atomic(args.out, result)
    print(text)
    return result


if __name__ == "__main__":
    main()
