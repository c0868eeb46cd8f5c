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

and checks that the values agree. In the same run it also compares (medians of ``--repeats``
calls, after a warm-up):

- binning: ``bin_spikes`` on a ``SpikeTable`` of the spikes (trial-relative times) against
  pynapple's ``TsGroup.count`` over an ``IntervalSet`` of the trials (the same spikes on one
  session clock), the counts checked equal (baseline ``pynapple.TsGroup.count``; skipped with a
  reason when pynapple is not installed);
- r_sc from the ``(trial, neuron)`` count matrix: ``spike_count_correlation`` against
  ``numpy.corrcoef`` (baseline ``numpy.corrcoef``);
- dask: the peak resident memory of one call in a fresh process (``VmHWM`` reset after the
  imports, minus the RSS before the call; the data generated chunk by chunk, never held whole)
  of ``participation_ratio``, ``spike_count_correlation`` and ``fano_factor`` on lazily
  generated Poisson counts at two sizes (``--dask-sizes``), against the size of the data as one
  float64 array (baseline ``float64_array_nbytes``), and the memory cases of
  ``benchmarks/analysis_memory.py`` (run as a subprocess, its JSON included).

Every Elephant metric is reported twice: end to end (neuromop from the
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
    python benchmarks/analysis.py --dask-sizes 2000x50x2000 4000x50x2000
"""

from __future__ import annotations

import argparse
import json
import platform
import resource
import subprocess
import sys
import tempfile
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


def paired(ours, baseline, repeats: int) -> dict:
    """Both results (after one untimed warm-up call each), then ``repeats`` timed calls of each,
    alternating ours / baseline so that a drift in the machine's speed hits both alike."""
    out = {"ours": ours(), "baseline": baseline()}
    times = {"ours": [], "baseline": []}
    for _ in range(repeats):
        for key, fn in (("ours", ours), ("baseline", baseline)):
            times[key].append(timed(fn)[1])
    a, b = np.asarray(times["ours"]), np.asarray(times["baseline"])
    return {
        "results": out,
        "timing": {"neuromop_s_median": float(np.median(a)),
                   "baseline_s_median": float(np.median(b)),
                   "speedup": float(np.median(b) / np.median(a)),
                   "speedup_median_of_pairs": float(np.median(b / a)), "repeats": repeats,
                   "neuromop_s_all": a.tolist(), "baseline_s_all": b.tolist()},
    }


def compare_binning(table, n_neurons, n_trials, duration, bin_width, repeats) -> dict:
    """``bin_spikes`` against pynapple's ``TsGroup.count`` on the same spikes."""
    try:
        import pynapple as nap
    except ImportError:
        return {"skipped": "pynapple is not installed (pip install pynapple)"}
    from neuromop.data import SpikeTable, bin_spikes

    spikes, t_table = timed(lambda: SpikeTable(table))
    # the same spikes on one session clock: trial j starts at j * (duration + 1) s
    starts = np.arange(n_trials) * (duration + 1.0)
    session = table["time"].to_numpy() + starts[table["trial"].to_numpy()]
    bounds = np.cumsum(np.bincount(table["neuron"].to_numpy(), minlength=n_neurons))[:-1]
    group, t_group = timed(lambda: nap.TsGroup(
        {k: nap.Ts(t) for k, t in enumerate(np.split(session, bounds))}))
    epochs = nap.IntervalSet(start=starts, end=starts + duration)
    run = paired(lambda: bin_spikes(spikes, bin_width=bin_width, window=(0.0, duration)),
                 lambda: group.count(bin_width, epochs), repeats)
    ours = run["results"]["ours"]["counts"].values.reshape(-1, n_neurons)
    theirs = np.asarray(run["results"]["baseline"].values)
    return {
        "baseline": "pynapple.TsGroup.count",
        "neuromop_call": "bin_spikes(SpikeTable, bin_width, window=(0, duration))",
        **run["timing"],
        "construction_s": {"SpikeTable": t_table, "pynapple.TsGroup": t_group},
        "counts_equal": bool(ours.shape == theirs.shape and np.array_equal(ours, theirs)),
        "pynapple": nap.__version__,
    }


def compare_rsc(ds: xr.Dataset, repeats: int) -> dict:
    """``spike_count_correlation`` against ``numpy.corrcoef`` on one (trial, neuron) matrix."""
    import neuromop.analysis as na

    counts = ds["counts"].sum("time")
    matrix = counts.values
    run = paired(lambda: na.spike_count_correlation(counts).values,
                 lambda: np.corrcoef(matrix, rowvar=False), repeats)
    diff = run["results"]["ours"] - run["results"]["baseline"]
    return {
        "baseline": "numpy.corrcoef",
        "neuromop_call": "spike_count_correlation(counts (trial, neuron) DataArray)",
        "shape": {"trial": int(matrix.shape[0]), "neuron": int(matrix.shape[1])},
        **run["timing"],
        "max_abs_difference": float(np.nanmax(np.abs(diff))),
    }


DASK_METRICS = ("participation_ratio", "spike_count_correlation", "fano_factor")


def dask_rss_worker(metric: str, shape: tuple[int, int, int], chunk_trials: int) -> dict:
    """In a fresh process: peak RSS of one metric on lazily generated dask counts."""
    import dask
    import dask.array as dsa

    import neuromop.analysis as na

    def data(size, chunk):
        x = dsa.random.default_rng(0).poisson(2.0, size=size, chunks=(chunk, -1, -1))
        return xr.Dataset({"counts": (("trial", "time", "neuron"), x.astype(np.int16))},
                          coords={"time": 0.005 + 0.01 * np.arange(size[1])},
                          attrs={"bin_width": 0.01})

    with dask.config.set(scheduler="threads", num_workers=2):
        getattr(na, metric)(data((8, 4, 5), 2)).compute()  # imports and first calls
        reset = reset_peak_rss()  # else the peak of the imports can hide that of the call
        base = rss_mb("VmRSS")
        _, seconds = timed(lambda: getattr(na, metric)(data(shape, chunk_trials)).compute())
    peak = rss_mb("VmHWM")
    return {"peak_rss_mb": peak, "rss_before_mb": base, "peak_rss_increase_mb": peak - base,
            "peak_reset_before_call": reset, "seconds": seconds}


def reset_peak_rss() -> bool:
    """Reset this process's peak RSS (Linux ``/proc/self/clear_refs``); whether it worked."""
    try:
        Path("/proc/self/clear_refs").write_text("5")
    except OSError:
        return False
    return True


def rss_mb(field: str) -> float:
    """``VmRSS`` (now) or ``VmHWM`` (peak) of this process in MB (``ru_maxrss`` off Linux)."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def dask_rss(sizes, chunk_trials: int | None) -> dict:
    """Peak RSS of each dask metric at each size, one fresh process per measurement."""
    runs = []
    for shape in sizes:
        chunk = chunk_trials or max(sizes[0][0] // 16, 1)  # the same chunks at every size
        array_mb = float(np.prod(shape)) * 8 / 2**20
        entry = {"shape": dict(zip(("trial", "time", "neuron"), shape, strict=True)),
                 "chunk_trials": chunk, "float64_array_mb": array_mb, "metrics": {}}
        for metric in DASK_METRICS:
            cmd = [sys.executable, __file__, "--dask-rss-worker", metric,
                   "x".join(map(str, shape)), str(chunk)]
            proc = subprocess.run(cmd, capture_output=True, text=True, timeout=3600)
            if proc.returncode != 0:
                entry["metrics"][metric] = {"error": proc.stderr[-2000:]}
                continue
            out = json.loads(proc.stdout)
            out["peak_over_array"] = out["peak_rss_mb"] / array_mb
            entry["metrics"][metric] = out
        runs.append(entry)
    growth = {}
    if len(runs) >= 2:
        for metric in DASK_METRICS:
            a, b = (r["metrics"][metric].get("peak_rss_mb") for r in (runs[0], runs[-1]))
            if a and b:
                growth[metric] = b / a
    return {"baseline": "float64_array_nbytes", "what": "peak RSS of a fresh process (MB)",
            "runs": runs, "peak_rss_ratio_largest_over_smallest": growth,
            "array_ratio_largest_over_smallest":
                runs[-1]["float64_array_mb"] / runs[0]["float64_array_mb"]}


def memory_benchmark(quick: bool) -> dict:
    """``benchmarks/analysis_memory.py`` in a subprocess (``--quick`` when ``quick``)."""
    script = Path(__file__).with_name("analysis_memory.py")
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "memory.json"
        cmd = [sys.executable, str(script), "--out", str(out), *(["--quick"] if quick else [])]
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=3600)
        if proc.returncode != 0 or not out.exists():
            return {"script": script.name, "error": proc.stderr[-2000:],
                    "returncode": proc.returncode}
        return json.loads(out.read_text())


def parse_shape(text: str) -> tuple[int, int, int]:
    parts = tuple(int(v) for v in text.lower().split("x"))
    if len(parts) != 3 or min(parts) < 2:
        raise argparse.ArgumentTypeError(f"a size is TRIALSxBINSxNEURONS (each >= 2), got {text}")
    return parts


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
    parser.add_argument("--repeats", type=int, default=7,
                        help="timed calls per side for binning and r_sc (median reported)")
    parser.add_argument("--dask-sizes", type=parse_shape, nargs="+",
                        default=[(1000, 50, 1000), (2000, 50, 1000)],
                        help="TRIALSxBINSxNEURONS of the dask peak-RSS runs")
    parser.add_argument("--dask-chunk-trials", type=int, default=None,
                        help="trials per dask chunk at every size (default: a sixteenth of the "
                             "first size's trials)")
    parser.add_argument("--quick", action="store_true",
                        help="100 neurons x 100 trials, dask sizes 400x25x400 and 800x25x400")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", type=Path, default=None, help="also write the JSON here")
    parser.add_argument("--dask-rss-worker", nargs=3, default=None, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.dask_rss_worker is not None:  # one measurement, in the fresh process dask_rss made
        metric, shape, chunk = args.dask_rss_worker
        result = dask_rss_worker(metric, parse_shape(shape), int(chunk))
        print(json.dumps(result))
        return result
    if args.quick:
        args.neurons, args.trials = 100, 100
        args.dask_sizes = [(400, 25, 400), (800, 25, 400)]
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
    binning = compare_binning(table, args.neurons, args.trials, args.duration, args.bin_width,
                              args.repeats)
    rsc = compare_rsc(bin_counts(table, args.neurons, args.trials, args.duration,
                                 args.bin_width), args.repeats)
    result = {
        "benchmark": "analysis",
        "baselines": {"fano_factor, cv_lv, r_sc_participation_ratio": "elephant",
                      "binning": "pynapple.TsGroup.count", "r_sc_matrix": "numpy.corrcoef",
                      "dask_peak_rss": "float64_array_nbytes",
                      "dask_memory_cases": "naive_float_var_over_mean (analysis_memory.py)"},
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
        "binning_vs_pynapple": binning,
        "r_sc_vs_numpy": rsc,
        "dask_peak_rss": dask_rss(args.dask_sizes, args.dask_chunk_trials),
        "dask_memory_cases": memory_benchmark(args.quick),
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
