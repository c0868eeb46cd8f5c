"""Benchmark: neuromop variability metrics against Elephant on the same spikes, in the same run.

Data: ``--neurons`` x ``--trials`` spike trains of ``--duration`` s (doubly stochastic Poisson,
shared trial gain so counts are correlated), held as one flat spike table. For each metric the
script times

- neuromop: binning the table into counts once, then ``fano_factor``, ``cv``/``lv`` on the table,
  ``spike_count_correlation`` and ``participation_ratio`` (all vectorised);
- Elephant: building one ``neo.SpikeTrain`` per neuron x trial (shared by every metric), then
  ``fanofactor`` per neuron, ``cv(isi(st))`` / ``lv(isi(st))`` per train; for r_sc, per trial a
  ``BinnedSpikeTrain`` of that trial's trains with one bin over the trial, the counts stacked
  over trials and correlated across trials (``np.corrcoef``), and the participation ratio from
  the same count matrix by hand (``np.cov`` + ``eigvalsh``), since Elephant has neither a
  trial-wise r_sc nor a participation ratio,

and checks that the values agree. Every metric is reported twice: end to end (neuromop from the
spike table, Elephant including the neo construction) and compute only (neuromop without the
table -> counts binning, Elephant without building the neo SpikeTrains). Elephant's per-train
work grows linearly with the number of trains; ``--elephant-neurons K`` runs it on the first K
neurons (all trials) and extrapolates to all neurons — per-train steps linearly, the per-trial
binning by the smaller of a linear and an affine (two sizes) extrapolation, the correlation /
eigen-decomposition measured at full size — and the JSON says which number was obtained how.
By default it runs on all neurons. Both sides are warmed up on tiny data first and timed once
(wall clock). Output: JSON on stdout (and ``--out FILE``).

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

    # r_sc / participation ratio, the natural Elephant workflow on the same per-trial trains:
    # per trial, one BinnedSpikeTrain of that trial's trains with one bin over the trial ->
    # counts (neuron,); stack over trials; correlate across trials (Elephant has no trial-wise
    # r_sc, and its correlation_coefficient is np.corrcoef over bins anyway)
    def counts_per_trial(k):
        return np.stack([
            BinnedSpikeTrain([trains[i][j] for i in range(k)], n_bins=1, t_start=0 * pq.s,
                             t_stop=duration * pq.s).to_array()[:, 0]
            for j in range(n_trials)
        ], axis=1)

    counts, t["binning_per_trial"] = timed(lambda: counts_per_trial(k_neurons))
    if not np.array_equal(counts, n_counts[:k_neurons]):
        raise AssertionError("Elephant's per-trial counts differ from the generated counts")
    half = max(k_neurons // 2, 1)
    if half < k_neurons:  # a second size, for an affine (not purely linear) extrapolation
        _, t["binning_per_trial_half_neurons"] = timed(lambda: counts_per_trial(half))
    res["rsc"], t["r_sc"] = timed(lambda: np.corrcoef(counts))
    res["pr"], t["participation_ratio"] = timed(lambda: pr_by_hand(counts))
    res["k_half"] = half
    return res, t


def pr_by_hand(counts):
    """Naive participation ratio of a (neuron, trial) count matrix: np.cov + eigvalsh."""
    lam = np.linalg.eigvalsh(np.cov(counts))
    return float(lam.sum() ** 2 / (lam**2).sum())


def elephant_full_size(t_ref, n_counts, k, half, n_neurons):
    """Elephant timings at all neurons, measured where possible, else extrapolated.

    Per-train steps (neo construction, Fano factor, CV, LV) scale linearly with the number of
    trains. The per-trial binning is one BinnedSpikeTrain call per trial over k trains, so its
    cost is affine in k: extrapolated linearly and through its two measured sizes (k/2 and k
    neurons), keeping the smaller of the two (timings on a loaded machine are noisy). The
    correlation and eigen-decomposition run at full size on the full (neuron, trial) count
    matrix, which equals what the per-trial binning produces (checked on the k neurons run).
    """
    if k == n_neurons:
        return dict(t_ref), {key: "measured" for key in t_ref}
    scale = n_neurons / k
    out, how = {}, {}
    for key in ("neo_construction", "fano_factor", "cv", "lv"):
        out[key], how[key] = t_ref[key] * scale, f"linear extrapolation x {scale:g}"
    t_k, t_h = t_ref["binning_per_trial"], t_ref.get("binning_per_trial_half_neurons")
    out["binning_per_trial"] = t_k * scale
    how["binning_per_trial"] = f"linear extrapolation x {scale:g}"
    if t_h is not None and half < k:
        slope = max((t_k - t_h) / (k - half), 0.0)
        affine = t_k + slope * (n_neurons - k)
        if affine < out["binning_per_trial"]:  # keep the smaller (conservative) estimate
            out["binning_per_trial"] = affine
            how["binning_per_trial"] = f"affine extrapolation from {half} and {k} neurons"
        else:
            how["binning_per_trial"] += (f" (smaller than the affine extrapolation from {half} "
                                         f"and {k} neurons, {affine:.3g} s)")
    _, out["r_sc"] = timed(lambda: np.corrcoef(n_counts))
    _, out["participation_ratio"] = timed(lambda: pr_by_hand(n_counts))
    how["r_sc"] = how["participation_ratio"] = "measured at full size on the full count matrix"
    return out, how


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
    import neuromop.analysis as na

    ours, t_ours = run_neuromop(table, args.neurons, args.trials, args.duration, args.bin_width)
    ref, t_ref = run_elephant(table, n_counts, k, args.trials, args.duration)

    t_full, how = elephant_full_size(t_ref, n_counts, k, ref["k_half"], args.neurons)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        pr_k = float(na.participation_ratio(
            bin_counts(table, args.neurons, args.trials, args.duration, args.bin_width)
            .isel(neuron=slice(k)).sum("time"), sample_dims="trial", corrected=False))
    accuracy = {
        "fano_factor": max_rel_diff(ours["ff"][:k], ref["ff"]),
        "cv": max_rel_diff(ours["cv"][:k], ref["cv"]),
        "lv": max_rel_diff(ours["lv"][:k], ref["lv"]),
        "r_sc": float(np.nanmax(np.abs(ours["rsc"][:k, :k] - ref["rsc"]))),
        "participation_ratio": abs(pr_k - ref["pr"]) / ref["pr"],
        "participation_ratio_all_neurons": abs(ours["pr"] - pr_by_hand(n_counts))
        / pr_by_hand(n_counts),
    }
    # (neuromop end to end, neuromop compute, Elephant end to end, Elephant compute)
    groups = {
        "fano_factor": (["binning", "fano_factor"], ["fano_factor"],
                        ["neo_construction", "fano_factor"], ["fano_factor"]),
        "cv_lv": (["cv", "lv"], ["cv", "lv"], ["neo_construction", "cv", "lv"], ["cv", "lv"]),
        "r_sc_participation_ratio": (
            ["binning", "r_sc", "participation_ratio"], ["r_sc", "participation_ratio"],
            ["neo_construction", "binning_per_trial", "r_sc", "participation_ratio"],
            ["binning_per_trial", "r_sc", "participation_ratio"],
        ),
    }
    speedups = {}
    for name, (ours_keys, ours_compute, ref_keys, ref_compute) in groups.items():
        a = sum(t_ours[key] for key in ours_keys)
        ac = sum(t_ours[key] for key in ours_compute)
        b = sum(t_full[key] for key in ref_keys)
        bc = sum(t_full[key] for key in ref_compute)
        speedups[name] = {
            "neuromop_s": a, "elephant_s": b, "speedup": b / a,
            "neuromop_compute_s": ac, "elephant_compute_s": bc, "speedup_compute": bc / ac,
            "neuromop_steps": ours_keys, "elephant_steps": ref_keys,
            "neuromop_compute_steps": ours_compute, "elephant_compute_steps": ref_compute,
        }
    result = {
        "benchmark": "analysis",
        "sizes": {"neurons": args.neurons, "trials": args.trials, "duration_s": args.duration,
                  "spikes": int(len(table)), "elephant_neurons_run": k,
                  "elephant_extrapolated": k < args.neurons},
        "neuromop_s": t_ours,
        "elephant_s_measured": t_ref,
        "elephant_s_full_size": t_full,
        "elephant_full_size_method": how,
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
