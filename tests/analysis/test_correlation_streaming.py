"""r_sc streamed over blocks of trials: dask equals numpy, bounded memory, large-mean accuracy."""

from __future__ import annotations

import dask
import dask.array as dsa
import numpy as np
import pytest
import xarray as xr
from dask.callbacks import Callback

import neuromop.analysis.correlation as correlation
from neuromop.analysis import spike_count_correlation
from neuromop.analysis._covariance import correlation_from_records, merge, record

BIN = 0.01


def counts(n_trial=48, n_time=12, n_neuron=9, seed=0, silent=None):
    rng = np.random.default_rng(seed)
    cond = np.arange(n_trial) % 3
    gain = rng.gamma(5.0, 0.2, size=(n_trial, 1, 1))
    c = rng.poisson(gain * (1.0 + cond[:, None, None]), size=(n_trial, n_time, n_neuron))
    if silent is not None:
        c[:, :, silent] = 2
    return xr.DataArray(
        c, dims=("trial", "time", "neuron"), name="counts",
        coords={"time": BIN / 2 + BIN * np.arange(n_time), "neuron": 10 + np.arange(n_neuron),
                "condition": ("trial", cond)},
        attrs={"bin_width": BIN},
    )


CASES = [
    {},
    {"zscore_by": "condition"},
    {"window": 4 * BIN, "step": 2 * BIN},
    {"window": 4 * BIN, "step": 2 * BIN, "zscore_by": "condition"},
]
CHUNKS = [{"trial": 7}, {"trial": 10, "time": 5, "neuron": 4}]


@pytest.mark.parametrize("chunks", CHUNKS, ids=["trials", "all-dims"])
@pytest.mark.parametrize("kwargs", CASES, ids=["whole", "zscore", "windowed", "windowed-zscore"])
def test_dask_equals_numpy(kwargs, chunks):
    da = counts()
    eager = spike_count_correlation(da, **kwargs)
    lazy = spike_count_correlation(da.chunk(chunks), **kwargs)
    assert lazy.chunks is not None
    with dask.config.set(scheduler="synchronous"):
        xr.testing.assert_allclose(lazy.compute(), eager, rtol=1e-12, atol=1e-13)
    assert lazy.dims == eager.dims and lazy.attrs["created_by"] == eager.attrs["created_by"]


@pytest.mark.parametrize("kwargs", CASES[:2], ids=["whole", "zscore"])
def test_silent_neuron_nan_rows_same_on_dask(kwargs):
    da = counts(silent=3)
    with pytest.warns(RuntimeWarning, match="1 neuron"):
        eager = spike_count_correlation(da, **kwargs)
    with dask.config.set(scheduler="synchronous"):
        lazy = spike_count_correlation(da.chunk({"trial": 9}), **kwargs).compute()
    np.testing.assert_array_equal(np.isnan(lazy.values), np.isnan(eager.values))
    assert np.isnan(lazy.sel(neuron=13)).all() and np.isnan(lazy.sel(neuron_2=13)).all()
    np.testing.assert_allclose(lazy.values, eager.values, rtol=1e-12, atol=1e-13)


def test_nan_in_dask_data_raises_when_computed():
    da = counts().astype(float)
    da[5, 2, 1] = np.nan
    lazy = spike_count_correlation(da.chunk({"trial": 8}))
    with pytest.raises(ValueError, match="NaN"):
        lazy.compute(scheduler="synchronous")


def test_numpy_blocks_of_trials_equal_one_block(monkeypatch):
    da = counts(n_trial=60, seed=3)
    expected = [spike_count_correlation(da, **kwargs) for kwargs in CASES]
    monkeypatch.setattr(correlation, "_BLOCK_BYTES", 8 * 9 * 8)  # a handful of trials a block
    for kwargs, want in zip(CASES, expected):
        xr.testing.assert_allclose(spike_count_correlation(da, **kwargs), want, rtol=1e-12,
                                   atol=1e-13)


def test_merged_records_equal_one_record_with_empty_groups():
    rng = np.random.default_rng(4)
    x = rng.normal(5.0, 2.0, size=(40, 3, 6))
    groups = np.repeat([0, 1, 2, 1], 10)  # group 2 only in the third quarter
    full = record(x, groups, 3)
    parts = merge(record(x[lo:lo + 10], groups[lo:lo + 10], 3) for lo in range(0, 40, 10))
    np.testing.assert_array_equal(parts.n, full.n)
    np.testing.assert_allclose(parts.mean, full.mean, rtol=1e-13)
    np.testing.assert_allclose(parts.m2, full.m2, rtol=1e-12, atol=1e-10)
    r = correlation_from_records(parts, standardize_groups=True)
    assert r.shape == (3, 6, 6)
    np.testing.assert_allclose(np.diagonal(r, axis1=1, axis2=2), 1.0)


@pytest.mark.parametrize("offset", [1e6, 1e9])
def test_large_mean_is_accurate(offset):
    """Counts (or rates) riding on a huge common offset: the block means are removed before any
    product, so r_sc keeps ~1e-10 accuracy where sum-of-squares formulas lose every digit."""
    rng = np.random.default_rng(5)
    latent = rng.normal(size=(400, 1))
    small = latent + rng.normal(size=(400, 6))
    data = offset + small
    truth = np.corrcoef((data - offset).T)  # the offset comes off exactly (Sterbenz)
    da = xr.DataArray(data, dims=("trial", "neuron"))
    np.testing.assert_allclose(spike_count_correlation(data).values, truth, atol=1e-10)
    with dask.config.set(scheduler="synchronous"):
        lazy = spike_count_correlation(da.chunk({"trial": 37})).values
    np.testing.assert_allclose(lazy, truth, atol=1e-10)


class _HeldBytes(Callback):
    """Largest total size of the results a local dask scheduler holds at once, and the number
    of tasks run."""

    def __init__(self):
        super().__init__()
        self.peak, self.tasks = 0, 0

    def _posttask(self, key, result, dsk, state, worker_id):
        self.tasks += 1
        self.peak = max(self.peak, sum(_nbytes(v) for v in state["cache"].values()))


def _nbytes(value) -> int:
    if isinstance(value, tuple | list):
        return sum(_nbytes(v) for v in value)
    return int(getattr(value, "nbytes", 0))


def _generated(n_trial: int, chunk: int = 40, n_time: int = 10, n_neuron: int = 30):
    """Counts generated chunk by chunk when computed (never held whole)."""

    def make(block_info=None):
        lo, hi = block_info[None]["array-location"][0]
        rng = np.random.default_rng(lo)
        return rng.poisson(2.0, size=(hi - lo, n_time, n_neuron)).astype(np.int16)

    data = dsa.map_blocks(make, chunks=((chunk,) * (n_trial // chunk), (n_time,), (n_neuron,)),
                          dtype=np.int16, meta=np.empty((0, 0, 0), dtype=np.int16))
    return xr.DataArray(data, dims=("trial", "time", "neuron"),
                        coords={"time": BIN / 2 + BIN * np.arange(n_time),
                                "condition": ("trial", np.arange(n_trial) % 2)},
                        attrs={"bin_width": BIN})


@pytest.mark.parametrize("kwargs", [{}, {"window": 4 * BIN, "step": 2 * BIN, "zscore_by":
                                         "condition"}], ids=["whole", "windowed-zscore"])
def test_dask_memory_is_flat_in_trials(kwargs):
    """The data held at once does not grow with the number of trials: 8x the trials (and
    chunks) keep the scheduler's peak within a few chunks and records, far below the input."""
    peaks = []
    for n_trial in (160, 1280):
        with _HeldBytes() as held:
            lazy = spike_count_correlation(_generated(n_trial), **kwargs)
            assert held.tasks == 0  # nothing computed before asked
            with dask.config.set(scheduler="synchronous"):
                lazy.compute()
        peaks.append(held.peak)
    full = 1280 * 10 * 30 * 8  # the float64 input at the larger size
    assert peaks[1] <= 1.25 * peaks[0] + 4096
    assert peaks[1] < full / 4
