"""Benchmark: the value network's successor passes with ``InferenceTanh`` vs ``torch.tanh``.

Fitted value iteration spends most of its time evaluating the value network on every
candidate successor of every replayed state (no gradients). Measured in the same run, on the
same network (the energy study's default: 100 neurons + energy, hidden (128, 128), tanh) and the
same states (``--agents`` x ``--candidates`` successors):

- ``inference_tanh``: :class:`~neuromop.control.fvi.ValueNetwork` as the package builds it
  (hidden activations ``2 sigmoid(2x) - 1`` in place when there are no gradients);
- ``torch_tanh`` (the baseline): the same weights with ``torch.tanh`` activations;

and the largest absolute difference of their values. Prints JSON (and writes it with
``--out``). Usage: ``python benchmarks/fvi_tanh.py [--threads 1]``.
"""

from __future__ import annotations

import argparse
import copy

import torch

# the same timing loop as the other per-second benchmark (run as a script: benchmarks/ is on
# the path)
from rnn_step import _emit, _machine  # noqa: E402
from rnn_step import _rate as _per_second  # noqa: E402
from torch import nn

from neuromop.control.fvi import InferenceTanh, ValueNetwork


def main(argv=None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", type=int, default=1,
                        help="torch threads (the studies run with 1)")
    parser.add_argument("--state-dim", type=int, default=101)
    parser.add_argument("--hidden", type=int, nargs="+", default=[128, 128])
    parser.add_argument("--agents", type=int, default=1024)
    parser.add_argument("--candidates", type=int, default=16)
    parser.add_argument("--seconds", type=float, default=3.0, help="min time per measurement")
    parser.add_argument("--out", default=None, help="write the JSON here too")
    args = parser.parse_args(argv)
    torch.set_num_threads(args.threads)

    net = ValueNetwork(args.state_dim, tuple(args.hidden), "tanh", random_state=0).eval()
    baseline = copy.deepcopy(net)
    for i, layer in enumerate(baseline.mlp):
        if isinstance(layer, InferenceTanh):
            baseline.mlp[i] = nn.Tanh()
    gen = torch.Generator().manual_seed(0)
    states = torch.randn(args.agents, args.candidates, args.state_dim, generator=gen)
    n_values = args.agents * args.candidates
    with torch.no_grad():
        max_diff = float((net(states) - baseline(states)).abs().max())
        fast, reps_fast = _per_second(lambda: net(states), n_values, args.seconds)
        slow, reps_slow = _per_second(lambda: baseline(states), n_values, args.seconds)
    result = {
        "benchmark": "fvi_tanh",
        "threads": args.threads,
        "state_dim": args.state_dim,
        "hidden": args.hidden,
        "successors": n_values,
        "values_per_second": fast,
        "baseline_torch_tanh_values_per_second": slow,
        "speedup_vs_torch_tanh": fast / slow,
        "max_abs_difference": max_diff,
        "repeats": {"inference_tanh": reps_fast, "torch_tanh": reps_slow},
        "machine": _machine(),
    }
    return _emit(result, args.out)


if __name__ == "__main__":
    main()
