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
counted. Output: JSON on stdout (and ``--out FILE``).

Usage::

    python benchmarks/analysis_memory.py --quick
    python benchmarks/analysis_memory.py --sizes 200x200x50 1000x400x100
"""

from __future__ import annotations

import argparse
import gc
import json
import platform
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
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", type=Path, default=None, help="also write the JSON here")
    args = parser.parse_args(argv)
    if args.quick:
        args.sizes = [(40, 30, 40), (80, 60, 40)]

    warm_up(args.seed)
    runs = [measure(shape, args.chunk_trials or max(shape[0] // 8, 2), args.seed)
            for shape in args.sizes]
    result = {
        "benchmark": "analysis_memory",
        "what": "peak traced allocation during one call / input nbytes (input not included)",
        "baseline": "naive_float_var_over_mean",
        "runs": runs,
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
