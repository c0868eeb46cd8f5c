"""Benchmark: peak memory of the Fano factors against a naive numpy reference, in the same run.

Data: int16 spike counts ``(trial, time, neuron)`` (Poisson, 2 spikes per bin on average, four
conditions along ``trial``) at two sizes (``--sizes``). For each size the script measures the
peak of the memory allocated during one call (``tracemalloc``, which also counts numpy's array
buffers; the input itself is allocated before and is not included), divided by the input's
``nbytes``, of

- the baseline ``naive_float_var_over_mean``: ``c = counts.astype(float)``;
  ``c.var(axis=0, ddof=1) / c.mean(axis=0)`` (what a straightforward script does);
- ``fano_factor`` over trials (bins as they are, and 50 ms windows every 10 ms, ``ddof=1``);
- ``mean_matched_fano_factor`` (50 ms windows, the conditions as points, bins of 1 spike);
- the same three neuromop calls on a dask-backed copy (chunks of ``--chunk-trials`` trials,
  computed with the threaded scheduler; the peak then depends on the chunk size),

with the wall time of each call, and checks that ``fano_factor`` agrees with the baseline.
Every function is first run on tiny data, so imports and first-call allocations are not
counted.

Then ``spike_count_correlation`` (r_sc over whole trials, and in 100 ms windows every 50 ms)
on dask-backed counts generated chunk by chunk (``--rsc-sizes``, chunks of
``--rsc-chunk-trials`` trials, never held whole), each case in a fresh subprocess: the peak
resident set size (``ru_maxrss``) of the process, and its growth over the RSS after imports and
a warm-up call; bounded memory means these stay flat as the trials grow. ``--rsc-big`` measures
2,000 and 8,000 trials x 50 bins x 500 neurons (minutes). Output: JSON on stdout (and
``--out FILE``).

Usage::

    python benchmarks/analysis_memory.py --quick
    python benchmarks/analysis_memory.py --sizes 200x200x50 1000x400x100
    python benchmarks/analysis_memory.py --quick --rsc-big
"""

from __future__ import annotations

import argparse
import gc
import json
import platform
import resource
import subprocess
import sys
import time
import tracemalloc
from pathlib import Path

import numpy as np
import xarray as xr

BIN = 0.01  # s


def make_counts(shape: tuple[int, int, int], seed: int) -> xr.DataArray:
    """Poisson int16 counts with a ``condition`` coordinate (4 conditions) along ``trial``."""
    n_trial, n_time, _ = shape
    counts = np.random.default_rng(seed).poisson(2.0, size=shape).astype(np.int16)
    return xr.DataArray(
        counts, dims=("trial", "time", "neuron"), name="counts",
        coords={"time": BIN / 2 + BIN * np.arange(n_time),
                "condition": ("trial", np.arange(n_trial) % 4)},
        attrs={"bin_width": BIN},
    )


def naive_fano(counts: np.ndarray) -> np.ndarray:
    """The baseline: float copy, ``ddof=1`` variance over trials, divided by the mean."""
    c = counts.astype(float)
    with np.errstate(invalid="ignore", divide="ignore"):
        return c.var(axis=0, ddof=1) / c.mean(axis=0)


def peak(fn):
    """Result, peak traced allocation during ``fn()`` (bytes) and wall time (s)."""
    gc.collect()
    tracemalloc.start()
    t0 = time.perf_counter()
    try:
        out = fn()
        if hasattr(out, "compute"):
            out = out.compute()
    finally:
        _, top = tracemalloc.get_traced_memory()
        tracemalloc.stop()
    return out, top, time.perf_counter() - t0


def calls(da: xr.DataArray) -> dict:
    """The measured calls on ``da`` (numpy- or dask-backed)."""
    import neuromop.analysis as na

    return {
        "fano_factor": lambda: na.fano_factor(da, ddof=1),
        "fano_factor_windowed": lambda: na.fano_factor(da, window=5 * BIN, step=BIN, ddof=1),
        "mean_matched_fano_factor": lambda: na.mean_matched_fano_factor(
            da, window=5 * BIN, condition="condition", bin_size=1.0, random_state=0),
    }


def measure(shape, chunk_trials: int, seed: int) -> dict:
    import dask

    da = make_counts(shape, seed)
    nbytes = da.nbytes
    ratio, seconds = {}, {}
    ref, top, seconds["naive_float_var_over_mean"] = peak(lambda: naive_fano(da.values))
    ratio["naive_float_var_over_mean"] = top / nbytes
    ours = {}
    for name, fn in calls(da).items():
        ours[name], top, seconds[name] = peak(fn)
        ratio[name] = top / nbytes
    chunked = da.chunk({"trial": chunk_trials})
    with dask.config.set(scheduler="threads", num_workers=2):
        for name, fn in calls(chunked).items():
            out, top, seconds[f"{name}_dask"] = peak(fn)
            ratio[f"{name}_dask"] = top / nbytes
            if name == "fano_factor":
                ours["fano_factor_dask"] = out
    diff = {
        key: float(np.nanmax(np.abs(ours[key].values - ref) / ref))
        for key in ("fano_factor", "fano_factor_dask")
    }
    base = ratio["naive_float_var_over_mean"]
    return {
        "shape": {"trial": shape[0], "time": shape[1], "neuron": shape[2]},
        "input_bytes": int(nbytes),
        "dask_chunk_trials": chunk_trials,
        "peak_over_input": ratio,
        "baseline_peak_over_ours": {key: base / val for key, val in ratio.items() if val > 0},
        "seconds": seconds,
        "max_relative_difference_to_baseline": diff,
    }


def warm_up(seed: int) -> None:
    """Imports and first calls on tiny data (numpy and dask), so that they are not counted."""
    import dask

    small = make_counts((16, 12, 40), seed)
    naive_fano(small.values)
    with dask.config.set(scheduler="threads", num_workers=2):
        for da in (small, small.chunk({"trial": 4})):
            for fn in calls(da).values():
                out = fn()
                if hasattr(out, "compute"):
                    out.compute()


def lazy_counts(shape: tuple[int, int, int], chunk_trials: int, seed: int) -> xr.DataArray:
    """Dask-backed Poisson int16 counts (rate 2 per bin, a shared gain per trial so that r_sc is
    not 0), each chunk of trials generated from its own seed when it is computed."""
    import dask.array as dsa

    n_trial, n_time, n_neuron = shape

    def chunk(block_info=None):
        info = block_info[None]
        lo, hi = info["array-location"][0]
        rng = np.random.default_rng([seed, lo])
        gain = rng.gamma(10.0, 0.1, size=(hi - lo, 1, 1))
        return rng.poisson(2.0 * gain, size=(hi - lo, n_time, n_neuron)).astype(np.int16)

    data = dsa.map_blocks(chunk, chunks=(dsa.core.normalize_chunks(chunk_trials, (n_trial,))[0],
                                         (n_time,), (n_neuron,)), dtype=np.int16,
                          meta=np.empty((0, 0, 0), dtype=np.int16))
    return xr.DataArray(
        data, dims=("trial", "time", "neuron"), name="counts",
        coords={"time": BIN / 2 + BIN * np.arange(n_time),
                "condition": ("trial", np.arange(n_trial) % 4)},
        attrs={"bin_width": BIN},
    )


RSC_CASES = {
    "r_sc_whole_trial_dask": {},
    "r_sc_windowed_dask": {"window": 10 * BIN, "step": 5 * BIN},
}


def rss_bytes() -> int:
    """Peak resident set size of this process so far (bytes; ``ru_maxrss`` is in KiB here)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


def rsc_case(shape, chunk_trials: int, case: str, seed: int) -> dict:
    """One r_sc case, meant to run alone in a fresh process: peak RSS after a warm-up, and
    during the call."""
    import dask

    import neuromop.analysis as na

    kwargs = RSC_CASES[case]
    with dask.config.set(scheduler="threads", num_workers=2):
        na.spike_count_correlation(lazy_counts((16, shape[1], 8), 4, seed), **kwargs).compute()
        gc.collect()
        before = rss_bytes()
        t0 = time.perf_counter()
        r = na.spike_count_correlation(lazy_counts(shape, chunk_trials, seed), **kwargs)
        r = r.compute()
        seconds = time.perf_counter() - t0
    peak_rss = rss_bytes()
    pairs = r.values[..., ~np.eye(shape[2], dtype=bool)]
    return {"case": case, "peak_rss_bytes": peak_rss, "rss_growth_bytes": peak_rss - before,
            "result_bytes": int(r.nbytes), "seconds": seconds,
            "mean_offdiagonal_r_sc": float(np.nanmean(pairs))}


def measure_rsc(shape, chunk_trials: int, seed: int) -> dict:
    """Every r_sc case at ``shape``, each in its own subprocess (a fresh peak RSS)."""
    cases = {}
    for case in RSC_CASES:
        text = subprocess.run(
            [sys.executable, __file__, "--rsc-case", case, "--rsc-sizes", "x".join(map(str, shape)),
             "--rsc-chunk-trials", str(chunk_trials), "--seed", str(seed)],
            check=True, capture_output=True, text=True).stdout
        cases[case] = json.loads(text)
    n_trial, n_time, n_neuron = shape
    return {"shape": {"trial": n_trial, "time": n_time, "neuron": n_neuron},
            "float64_input_bytes": 8 * n_trial * n_time * n_neuron,
            "dask_chunk_trials": chunk_trials, "cases": cases}


def parse_shape(text: str) -> tuple[int, int, int]:
    parts = tuple(int(v) for v in text.lower().split("x"))
    if len(parts) != 3 or min(parts) < 2:
        raise argparse.ArgumentTypeError(f"a size is TRIALSxBINSxNEURONS (each >= 2), got {text}")
    return parts


def main(argv=None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", type=parse_shape, nargs="+",
                        default=[(200, 200, 50), (1000, 400, 100)],
                        help="TRIALSxBINSxNEURONS of each measured array")
    parser.add_argument("--chunk-trials", type=int, default=None,
                        help="trials per dask chunk (default: an eighth of the trials)")
    parser.add_argument("--quick", action="store_true", help="sizes 40x30x40 and 80x60x40")
    parser.add_argument("--rsc-sizes", type=parse_shape, nargs="+",
                        default=[(500, 50, 200), (2000, 50, 200)],
                        help="TRIALSxBINSxNEURONS of each dask r_sc measurement")
    parser.add_argument("--rsc-chunk-trials", type=int, default=250,
                        help="trials per dask chunk of the r_sc measurements")
    parser.add_argument("--rsc-big", action="store_true",
                        help="r_sc at 2000x50x500 and 8000x50x500 (minutes)")
    parser.add_argument("--rsc-case", choices=sorted(RSC_CASES), default=None,
                        help=argparse.SUPPRESS)  # internal: one r_sc case in this process
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", type=Path, default=None, help="also write the JSON here")
    args = parser.parse_args(argv)
    if args.rsc_case is not None:  # the child process of measure_rsc
        out = rsc_case(args.rsc_sizes[0], args.rsc_chunk_trials, args.rsc_case, args.seed)
        print(json.dumps(out))
        return out
    if args.quick:
        args.sizes = [(40, 30, 40), (80, 60, 40)]
    if args.rsc_big:
        args.rsc_sizes = [(2000, 50, 500), (8000, 50, 500)]

    warm_up(args.seed)
    runs = [measure(shape, args.chunk_trials or max(shape[0] // 8, 2), args.seed)
            for shape in args.sizes]
    rsc_runs = [measure_rsc(shape, args.rsc_chunk_trials, args.seed) for shape in args.rsc_sizes]
    result = {
        "benchmark": "analysis_memory",
        "what": "peak traced allocation during one call / input nbytes (input not included)",
        "baseline": "naive_float_var_over_mean",
        "runs": runs,
        "r_sc_dask_peak_rss": {
            "what": "peak RSS of a fresh process computing r_sc on lazily generated dask counts "
                    "(threaded scheduler, 2 workers); growth = over the RSS after a warm-up call",
            "runs": rsc_runs,
        },
        "machine": {"python": platform.python_version(), "processor": platform.machine(),
                    "numpy": np.__version__},
    }
    text = json.dumps(result, indent=2)
    print(text)
    if args.out is not None:
        from neuromop._io import write_json_atomic

        write_json_atomic(args.out, result)
    return result


if __name__ == "__main__":
    main()
