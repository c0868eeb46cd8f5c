"""Participation ratio and PCA spectrum on dask: the numpy result, in bounded memory."""

from __future__ import annotations

import dask
import numpy as np
import pytest
import xarray as xr
from dask.callbacks import Callback

from neuromop.analysis import participation_ratio, pca_spectrum
from neuromop.analysis.dimensionality import _merge, _moments


def sample_data(mean: float, seed: int = 0) -> xr.DataArray:
    """(trial, time, neuron) float data: correlated, heavy-tailed, around ``mean``."""
    rng = np.random.default_rng(seed)
    latent = rng.standard_normal((48, 6, 3)) @ rng.standard_normal((3, 14))
    noise = rng.gamma(0.5, 1.0, size=(48, 6, 14))
    return xr.DataArray(mean + latent + noise, dims=("trial", "time", "neuron"),
                        coords={"neuron": np.arange(14), "time": np.arange(6) * 0.1})


def reference_pr(x: np.ndarray, method: str) -> float:
    """The estimators written out directly on the centred (n, N) samples."""
    n = x.shape[0]
    y = x - x.mean(0)
    s = y.T @ y / (n - 1)
    a, b = np.trace(s) ** 2, np.sum(s**2)
    if method == "gaussian":
        m = n - 1
        t2 = m * (m * b - a) / ((m - 1) * (m + 2))
        return (a - 2 * t2 / m) / t2
    t4 = np.sum(np.sum(y**2, axis=1) ** 2)
    big_a, big_b, f = (n - 1) ** 2 * a, (n - 1) ** 2 * b, 1 / ((n - 1) * (n - 2))
    return ((big_a - n * t4 / (n - 2) + f * (2 * big_b - big_a))
            / (big_b - n * t4 / (n - 2) + f * big_a))


@pytest.mark.parametrize("method", ["unbiased", "gaussian"])
@pytest.mark.parametrize("mean", [0.0, 1e4])
@pytest.mark.parametrize("chunks", [{"trial": 5}, {"trial": 7, "time": 4, "neuron": 5}])
def test_dask_pr_equals_numpy_pr(method, mean, chunks):
    da = sample_data(mean)
    eager = participation_ratio(da, method=method)
    with dask.config.set(scheduler="synchronous"):
        lazy = participation_ratio(da.chunk(chunks), method=method)
        assert lazy.chunks is not None
        lazy = float(lazy.compute())
    assert lazy == pytest.approx(float(eager), rel=1e-10)
    x = da.values.reshape(-1, da.sizes["neuron"])
    assert float(eager) == pytest.approx(reference_pr(x - mean, method), rel=1e-10)


@pytest.mark.parametrize("method", ["unbiased", "gaussian"])
def test_dask_pr_per_kept_dim_equals_numpy(method):
    da = sample_data(3.0, seed=1)
    eager = participation_ratio(da, sample_dims="trial", method=method)
    with dask.config.set(scheduler="synchronous"):
        lazy = participation_ratio(da.chunk({"trial": 9, "time": 4}), sample_dims="trial",
                                   method=method).compute()
    xr.testing.assert_allclose(lazy.drop_attrs(), eager.drop_attrs(), rtol=1e-10)


def test_dask_pca_spectrum_equals_numpy():
    da = sample_data(1e4, seed=2)
    eager = pca_spectrum(da)
    with dask.config.set(scheduler="synchronous"):
        lazy = pca_spectrum(da.chunk({"trial": 6})).compute()
    xr.testing.assert_allclose(lazy.drop_attrs(), eager.drop_attrs(), rtol=1e-9, atol=1e-9)


def test_merged_moments_equal_moments_of_all_samples():
    rng = np.random.default_rng(3)
    x = 50.0 + rng.standard_normal((2, 31, 5)) * rng.uniform(0.1, 3.0, size=5)
    whole = _moments(x, 1)
    merged = _merge(_moments(x[:, :4], 1), _merge(_moments(x[:, 4:20], 1),
                                                  _moments(x[:, 20:], 1)))
    assert merged.n == whole.n
    for name in ("mean", "scatter", "third", "fourth"):
        np.testing.assert_allclose(getattr(merged, name), getattr(whole, name), rtol=1e-11,
                                   atol=1e-9, err_msg=name)


class HeldMemory(Callback):
    """Peak bytes of the task results the (synchronous) scheduler holds at once."""

    def __init__(self):
        super().__init__()
        self.peak = 0

    def _posttask(self, key, result, dsk, state, worker_id):
        held = sum(getattr(value, "nbytes", 0) for value in state["cache"].values())
        self.peak = max(self.peak, held)


@pytest.mark.parametrize("method", ["unbiased", "gaussian"])
def test_dask_pr_holds_a_few_chunks_not_the_array(method):
    """The samples are reduced block by block: the scheduler never holds more than a few chunks
    (holding every chunk until a second pass, or gathering them with ``.values``, fails)."""
    import dask.array as dsa

    x = dsa.random.default_rng(4).poisson(2.0, size=(64, 10, 20), chunks=(4, 10, 20))
    da = xr.DataArray(x.astype(float), dims=("trial", "time", "neuron"))
    with dask.config.set(scheduler="synchronous"), HeldMemory() as probe:
        float(participation_ratio(da, method=method))
        float(pca_spectrum(da)["variance"].sum())
    whole = da.nbytes
    assert 0 < probe.peak < whole / 4
