"""Variability metrics on a dataset larger than memory, with a dask.distributed LocalCluster.

The spike counts (trial, time, neuron) are never materialised: a dask array generates them
chunk by chunk (a block of trials at a time, each block seeded from its position, so the data
are reproducible and identical whatever the scheduling). The neuromop metrics run unchanged on
the dask-backed Dataset; only the small results (per time / per neuron pair) are computed.

Budgets: ``smoke`` 400 trials x 20 bins x 40 neurons, threads only, seconds; ``default``
20 000 trials x 100 bins x 500 neurons of int32 = 4 GB of counts on a cluster whose workers may
hold 2 x 1 GB (the data are ~2x larger than the cluster's memory); ``paper`` 100 000 trials x
100 bins x 1 000 neurons = 40 GB, larger than the machine's RAM.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import ClassVar

import numpy as np

from neuromop._random import seed_int, spawn
from neuromop.studies.protocol import Study, StudyResult

__all__ = ["VariabilityDaskStudy", "make_lazy_counts"]


def make_lazy_counts(n_trials: int, n_time: int, n_neurons: int, trials_per_chunk: int, *,
                     bin_width: float, rate: float, gain_var: float, random_state=0):
    """Doubly stochastic Poisson counts as a dask-backed Dataset, generated chunk by chunk.

    Each block of trials draws from ``SeedSequence([root, first trial])`` with ``root`` the int
    seed of ``random_state``: the data do not depend on the scheduling. ``bin_width`` in s,
    ``rate`` in spikes/s, ``gain_var`` the variance of the Gamma gain of each trial x neuron
    (Fano factor ``1 + rate * window * gain_var``).
    """
    import dask.array as da
    import xarray as xr

    root = seed_int(random_state)

    def block(block_info=None):
        info = block_info[None]
        (t0, t1), _, _ = info["array-location"]
        rng = np.random.default_rng(np.random.SeedSequence([root, t0]))
        shape = 1.0 / gain_var
        gain = rng.gamma(shape, 1.0 / shape, size=(t1 - t0, 1, n_neurons))
        return rng.poisson(gain * rate * bin_width, size=(t1 - t0, n_time, n_neurons)).astype(
            np.int32)

    chunks = ((trials_per_chunk,) * (n_trials // trials_per_chunk)
              + ((n_trials % trials_per_chunk,) if n_trials % trials_per_chunk else ()),
              (n_time,), (n_neurons,))
    counts = da.map_blocks(block, chunks=chunks, dtype=np.int32)
    return xr.Dataset(
        {"counts": (("trial", "time", "neuron"), counts)},
        coords={"time": (np.arange(n_time) + 0.5) * bin_width},
        attrs={"bin_width": bin_width, "units": "spikes",
               "source": "neuromop.studies.variability_dask.make_lazy_counts"},
    )


@dataclass
class VariabilityDaskStudy(Study):
    """Fano factor, r_sc and participation ratio of lazily generated counts on a LocalCluster."""

    n_trials: int = 20_000
    n_time: int = 100
    n_neurons: int = 500
    trials_per_chunk: int = 500
    n_workers: int = 2
    memory_limit: str = "1GB"
    processes: bool = True
    bin_width: float = 0.01   # s
    rate: float = 5.0         # spikes/s
    gain_var: float = 0.2     # variance of the trial x neuron gain
    window: float = 0.05      # s

    name: ClassVar[str] = "variability-dask"
    USES_TORCH: ClassVar[bool] = False
    BUDGETS: ClassVar[dict[str, dict]] = {
        "smoke": dict(n_trials=400, n_time=20, n_neurons=40, trials_per_chunk=100, n_workers=1,
                      processes=False),
        "default": {},
        "paper": dict(n_trials=100_000, n_neurons=1_000, memory_limit="4GB"),
    }

    def run(self, out_dir, *, resume: bool = True, progress: bool = True) -> StudyResult:
        """Compute the metrics on the cluster; only the small results are materialised."""
        from dask.distributed import Client, LocalCluster

        import neuromop.analysis as na

        started = time.perf_counter()
        out = self.prepare(out_dir, resume=resume)
        ds = make_lazy_counts(self.n_trials, self.n_time, self.n_neurons, self.trials_per_chunk,
                              bin_width=self.bin_width, rate=self.rate, gain_var=self.gain_var,
                              random_state=spawn(self.seed, 1)[0])
        size_gb = ds["counts"].nbytes / 1e9
        if progress:
            print(f"dataset: {dict(ds.sizes)}, {size_gb:.2f} GB of counts, "
                  f"{ds['counts'].data.npartitions} chunks (never held in memory at once)")
        times = {}
        with LocalCluster(n_workers=self.n_workers, threads_per_worker=1,
                          memory_limit=self.memory_limit, processes=self.processes,
                          dashboard_address=None) as cluster, Client(cluster):
            t0 = time.perf_counter()
            ff = na.fano_factor(ds, window=self.window, step=self.window).mean("neuron").compute()
            times["fano_factor_s"] = time.perf_counter() - t0
            t0 = time.perf_counter()
            rsc = na.pair_values(na.spike_count_correlation(ds)).mean().compute()
            times["r_sc_s"] = time.perf_counter() - t0
            t0 = time.perf_counter()
            pr_naive = na.participation_ratio(ds, sample_dims="trial", corrected=False)
            pr = na.participation_ratio(ds, sample_dims="trial")
            pr_naive, pr = (x.mean("time").compute() for x in (pr_naive, pr))
            times["participation_ratio_s"] = time.perf_counter() - t0
        summary = {
            "sizes": dict(ds.sizes), "counts_gb": size_gb,
            "fano_factor_over_time": ff.values.tolist(),
            "fano_factor_expected": 1 + self.rate * self.window * self.gain_var,
            "rsc_mean": float(rsc),
            "participation_ratio_per_bin_naive": float(pr_naive),
            "participation_ratio_per_bin_corrected": float(pr),
            "wall_times": times,
        }
        table = (f"Fano factor over time (expected {summary['fano_factor_expected']:.3f}): "
                 f"{np.round(ff.values, 3).tolist()}\nmean r_sc {float(rsc):.4f} (independent "
                 f"neurons: 0); participation ratio per bin naive {float(pr_naive):.1f}, "
                 f"corrected {float(pr):.1f} of {self.n_neurons}\nwall times {times}")
        return self.finish(out, table=table, summary=summary, started=started)
