"""Time of one rate-RNN training epoch (BPTT) at a stated size; prints JSON.

Size: 200 trials x 50 bins x 24 neurons, 16 units, 2 inputs, batch 64 (4 gradient steps per
epoch). Baseline measured in the same run: one epoch of the same network with torch's default
thread count (the estimator uses one thread by default).

Run: ``python benchmarks/rnn_fit.py [--epochs 10] [--out FILE.json]``.
"""

from __future__ import annotations

import argparse
import json
import platform
import time

import torch

from neuromop._io import write_json_atomic
from neuromop.fit.baselines import simulate_teacher_dataset
from neuromop.fit.rnn import RateRNNRegressor


def epoch_time(ds, epochs: int, num_threads) -> float:
    """Mean wall time (s) of one epoch over ``epochs`` epochs (after the first, as warm-up)."""
    marks = []
    model = RateRNNRegressor(16, tau=0.1, max_epochs=epochs + 1, patience=10_000, batch_size=64,
                             random_state=0, num_threads=num_threads)
    model.fit(ds, ["u0", "u1"], callback=lambda e, h: marks.append(time.perf_counter()))
    return (marks[-1] - marks[0]) / (len(marks) - 1)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=10)
    parser.add_argument("--out", default=None)
    ns = parser.parse_args(argv)
    ds, _ = simulate_teacher_dataset(n_trials=250, n_time=50, n_units=16, n_neurons=24,
                                     random_state=0)
    one = epoch_time(ds, ns.epochs, 1)
    default = epoch_time(ds, ns.epochs, None)
    result = {"benchmark": "rnn_fit_epoch", "n_trials_train": 200, "n_time": 50,
              "n_neurons": 24, "n_units": 16, "batch_size": 64,
              "epoch_s_one_thread": one, f"epoch_s_{torch.get_num_threads()}_threads": default,
              "speedup_vs_default_threads": default / one, "python": platform.python_version(),
              "torch": torch.__version__}
    print(json.dumps(result, indent=2))
    if ns.out:
        write_json_atomic(ns.out, result)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
