"""Benchmark: neuromop variability metrics against Elephant on the same spikes, in the same run.

Data: ``--neurons`` x ``--trials`` spike trains of ``--duration`` s (doubly stochastic Poisson,
shared trial gain so counts are correlated), held as one flat spike table. For each metric the
script times

- neuromop: binning the table into counts once, then ``fano_factor``, ``cv``/``lv`` on the table,
  ``spike_count_correlation`` and ``participation_ratio`` (all vectorised);
- Elephant: building one ``neo.SpikeTrain`` per neuron x trial, then ``fanofactor`` per neuron,
  ``cv(isi(st))`` / ``lv(isi(st))`` per train; r_sc as ``correlation_coefficient`` of a
  ``BinnedSpikeTrain`` of the trials concatenated per neuron (one bin per trial), and the
  participation ratio from that binned matrix by hand (``np.cov`` + ``eigvalsh``), since
  Elephant has neither trial-wise r_sc nor a participation ratio,

and checks that the values agree. Elephant's per-train work grows linearly with the number of
trains; ``--elephant-neurons K`` runs it on the first K neurons (all trials) and extrapolates
its per-train times linearly to all neurons (reported as such in the JSON); by default it runs on
all neurons. Both sides are warmed up on tiny data first and timed once (wall clock).
Output: JSON on stdout (and ``--out FILE``).

Usage::

    python benchmarks/analysis.py --quick
    python benchmarks/analysis.py --neurons 1000 --trials 1000 --elephant-neurons 50
"""

from __future__ import annotations

import argparse
import json
import platform
import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import xarray as xr


def make_spikes(n_neurons: int, n_trials: int, duration: float, rate: float, seed: int):
    """Flat spike table (time, neuron, trial), sorted by neuron, trial and time."""
    rng = np.random.default_rng(seed)
    shared = rng.gamma(8.0, 1 / 8.0, size=(n_trials, 1))
    private = rng.gamma(4.0, 1 / 4.0, size=(n_trials, n_neurons))
    rates = rate * rng.uniform(0.5, 1.5, size=n_neurons)
    n = rng.poisson(shared * private * rates * duration).T  # (neuron, trial)
    neuron = np.repeat(np.arange(n_neurons), n.sum(axis=1))
    trial = np.repeat(np.tile(np.arange(n_trials), n_neurons), n.ravel())
    times = rng.uniform(0, duration, size=neuron.size)
    order = np.lexsort((times, trial, neuron))
    table = pd.DataFrame({"time": times[order], "neuron": neuron, "trial": trial})
    return table, n


def bin_counts(table: pd.DataFrame, n_neurons, n_trials, duration, bin_width) -> xr.Dataset:
    """Counts (trial, time, neuron) from the spike table with one ``np.bincount``."""
    n_bins = int(round(duration / bin_width))
    b = np.minimum((table["time"].to_numpy() / bin_width).astype(np.int64), n_bins - 1)
    flat = (table["trial"].to_numpy() * n_bins + b) * n_neurons + table["neuron"].to_numpy()
    counts = np.bincount(flat, minlength=n_trials * n_bins * n_neurons)
    return xr.Dataset(
        {"counts": (("trial", "time", "neuron"), counts.reshape(n_trials, n_bins, n_neurons))},
        coords={"time": (np.arange(n_bins) + 0.5) * bin_width},
        attrs={"bin_width": bin_width},
    )


def timed(fn):
    t0 = time.perf_counter()
    out = fn()
    return out, time.perf_counter() - t0


def run_neuromop(table, n_neurons, n_trials, duration, bin_width):
    import neuromop.analysis as na

    res, t = {}, {}
    ds, t["binning"] = timed(lambda: bin_counts(table, n_neurons, n_trials, duration, bin_width))
    ff, t["fano_factor"] = timed(lambda: na.fano_factor(ds, window=duration).isel(time=0).values)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # short trains -> NaN, compared below
        cv, t["cv"] = timed(lambda: na.cv(table).values)
        lv, t["lv"] = timed(lambda: na.lv(table).values)
        rsc, t["r_sc"] = timed(lambda: na.spike_count_correlation(ds).values)
    pr, t["participation_ratio"] = timed(
        lambda: float(na.participation_ratio(ds.sum("time"), sample_dims="trial",
                                             corrected=False))
    )
    prc = float(na.participation_ratio(ds.sum("time"), sample_dims="trial"))
    res.update(ff=ff, cv=cv, lv=lv, rsc=rsc, pr=pr, pr_corrected=prc)
    return res, t


def run_elephant(table, n_counts, k_neurons, n_trials, duration):
    """Elephant on the first ``k_neurons`` neurons (per-train metrics) and all neurons (r_sc)."""
    import neo
    import quantities as pq
    from elephant.conversion import BinnedSpikeTrain
    from elephant.spike_train_correlation import correlation_coefficient
    from elephant.statistics import cv, fanofactor, isi, lv

    times = table["time"].to_numpy()
    bounds = np.concatenate([[0], np.cumsum(n_counts.ravel())])  # (neuron, trial) order
    res, t = {}, {}

    def build():
        return [[neo.SpikeTrain(times[bounds[i * n_trials + j]:bounds[i * n_trials + j + 1]],
                                units="s", t_stop=duration) for j in range(n_trials)]
                for i in range(k_neurons)]

    trains, t["neo_construction"] = timed(build)
    res["ff"], t["fano_factor"] = timed(lambda: np.array([fanofactor(tr) for tr in trains]))

    def per_train(metric):
        out = np.full((k_neurons, n_trials), np.nan)
        for i in range(k_neurons):
            for j in range(n_trials):
                if len(trains[i][j]) >= 3:
                    out[i, j] = float(metric(isi(trains[i][j])))
        return out

    res["cv"], t["cv"] = timed(lambda: per_train(cv))
    res["lv"], t["lv"] = timed(lambda: per_train(lv))

    n_neurons = n_counts.shape[0]
    neuron = table["neuron"].to_numpy()
    trial = table["trial"].to_numpy()

    # trial j of a neuron occupies [2j, 2j + 1) x duration of one long train, one bin of
    # 2 x duration per trial: the gap keeps floating-point rounding from moving a spike across
    # a trial boundary (Elephant would shift it into the next bin)
    def concatenated():
        shifted = times + trial * 2 * duration
        starts = np.searchsorted(neuron, np.arange(n_neurons + 1))
        return [neo.SpikeTrain(shifted[starts[i]:starts[i + 1]], units="s",
                               t_stop=n_trials * 2 * duration) for i in range(n_neurons)]

    long_trains, t["neo_construction_concatenated"] = timed(concatenated)
    binned, t["binning"] = timed(
        lambda: BinnedSpikeTrain(long_trains, bin_size=2 * duration * pq.s, t_start=0 * pq.s,
                                 t_stop=n_trials * 2 * duration * pq.s)
    )
    res["rsc"], t["r_sc"] = timed(lambda: correlation_coefficient(binned))

    def pr_by_hand():
        lam = np.linalg.eigvalsh(np.cov(binned.to_array()))
        return float(lam.sum() ** 2 / (lam**2).sum())

    res["pr"], t["participation_ratio"] = timed(pr_by_hand)
    return res, t


def max_rel_diff(a, b):
    a, b = np.asarray(a, float), np.asarray(b, float)
    if not np.array_equal(np.isnan(a), np.isnan(b)):
        return float("inf")
    m = ~np.isnan(a)
    return float(np.max(np.abs(a[m] - b[m]) / np.maximum(np.abs(b[m]), 1e-300), initial=0.0))


def main(argv=None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--neurons", type=int, default=1000)
    parser.add_argument("--trials", type=int, default=1000)
    parser.add_argument("--duration", type=float, default=1.0, help="trial length (s)")
    parser.add_argument("--rate", type=float, default=10.0, help="mean firing rate (spikes/s)")
    parser.add_argument("--bin-width", type=float, default=0.1, help="count bin (s)")
    parser.add_argument("--elephant-neurons", type=int, default=None,
                        help="run Elephant's per-train metrics on this many neurons and "
                             "extrapolate linearly (default: all)")
    parser.add_argument("--quick", action="store_true", help="100 neurons x 100 trials")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", type=Path, default=None, help="also write the JSON here")
    args = parser.parse_args(argv)
    if args.quick:
        args.neurons, args.trials = 100, 100
    k = min(args.elephant_neurons or args.neurons, args.neurons)

    # warm-up on tiny data: imports and first-call overheads are not timed for either side
    small, small_counts = make_spikes(5, 5, args.duration, args.rate, args.seed)
    run_neuromop(small, 5, 5, args.duration, args.bin_width)
    run_elephant(small, small_counts, 5, 5, args.duration)

    table, n_counts = make_spikes(args.neurons, args.trials, args.duration, args.rate, args.seed)
    ours, t_ours = run_neuromop(table, args.neurons, args.trials, args.duration, args.bin_width)
    ref, t_ref = run_elephant(table, n_counts, k, args.trials, args.duration)

    scale = args.neurons / k  # per-train Elephant work scales with the number of trains
    per_train = ("neo_construction", "fano_factor", "cv", "lv")
    t_full = {key: (v * scale if key in per_train else v) for key, v in t_ref.items()}
    accuracy = {
        "fano_factor": max_rel_diff(ours["ff"][:k], ref["ff"]),
        "cv": max_rel_diff(ours["cv"][:k], ref["cv"]),
        "lv": max_rel_diff(ours["lv"][:k], ref["lv"]),
        "r_sc": float(np.nanmax(np.abs(ours["rsc"] - ref["rsc"]))),
        "participation_ratio": abs(ours["pr"] - ref["pr"]) / ref["pr"],
    }
    groups = {
        "fano_factor": (["binning", "fano_factor"], ["neo_construction", "fano_factor"]),
        "cv_lv": (["cv", "lv"], ["neo_construction", "cv", "lv"]),
        "r_sc_participation_ratio": (
            ["binning", "r_sc", "participation_ratio"],
            ["neo_construction_concatenated", "binning", "r_sc", "participation_ratio"],
        ),
    }
    speedups = {}
    for name, (ours_keys, ref_keys) in groups.items():
        a = sum(t_ours[key] for key in ours_keys)
        b = sum(t_full[key] for key in ref_keys)
        speedups[name] = {"neuromop_s": a, "elephant_s": b, "speedup": b / a}
    result = {
        "benchmark": "analysis",
        "sizes": {"neurons": args.neurons, "trials": args.trials, "duration_s": args.duration,
                  "spikes": int(len(table)), "elephant_neurons_run": k,
                  "elephant_extrapolated": k < args.neurons},
        "neuromop_s": t_ours,
        "elephant_s_measured": t_ref,
        "elephant_s_full_size": t_full,
        "speedup": speedups,
        "max_relative_difference": accuracy,
        "participation_ratio": {"naive": ours["pr"], "corrected": ours["pr_corrected"]},
        "machine": {"python": platform.python_version(), "processor": platform.machine()},
    }
    text = json.dumps(result, indent=2)
    print(text)
    if args.out is not None:
        from neuromop._io import write_json_atomic

        write_json_atomic(args.out, result)
    return result


if __name__ == "__main__":
    main()
