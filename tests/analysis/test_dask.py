"""Every metric gives the numpy result on a small chunked (dask-backed) dataset."""

from __future__ import annotations

import dask
import numpy as np
import pytest
import xarray as xr

import neuromop.analysis as na


@pytest.fixture(scope="module")
def ds():
    rng = np.random.default_rng(0)
    gain = rng.gamma(4.0, 0.25, size=(40, 1, 12))
    c = rng.poisson(gain * rng.uniform(0.2, 1.5, size=(1, 1, 12)) * np.ones((1, 16, 1)))
    return xr.Dataset(
        {"counts": (("trial", "time", "neuron"), c)},
        coords={"time": 0.005 + 0.01 * np.arange(16), "condition": ("trial", np.arange(40) % 2)},
        attrs={"bin_width": 0.01},
    )


CASES = [
    ("fano_factor", {}),
    ("fano_factor", {"window": 0.04, "step": 0.02, "ddof": 1}),
    ("fano_factor", {"dims": ("trial", "time")}),
    ("mean_matched_fano_factor", {"window": 0.04, "condition": "condition", "random_state": 1}),
    ("spike_count_correlation", {}),
    ("spike_count_correlation", {"zscore_by": "condition", "window": 0.08, "step": 0.04}),
    ("signal_correlation", {}),
    ("participation_ratio", {}),
    ("participation_ratio", {"sample_dims": "trial", "corrected": False}),
    ("pca_spectrum", {}),
]


@pytest.mark.parametrize(("name", "kwargs"), CASES)
def test_dask_equals_numpy(ds, name, kwargs):
    chunked = ds.chunk({"trial": 15, "time": 5, "neuron": 7})
    with dask.config.set(scheduler="synchronous"):
        lazy = getattr(na, name)(chunked, **kwargs)
        eager = getattr(na, name)(ds, **kwargs)
        xr.testing.assert_allclose(lazy.compute().drop_attrs(), eager.drop_attrs(), rtol=1e-10)


@pytest.mark.parametrize("name", ["fano_factor", "spike_count_correlation", "participation_ratio"])
def test_dask_result_is_lazy(ds, name):
    out = getattr(na, name)(ds.chunk({"trial": 10}))
    assert out.chunks is not None


def test_bad_counts_raise_when_dask_result_is_computed(ds):
    bad = ds.copy()
    bad["counts"] = bad["counts"] - 5
    out = na.fano_factor(bad.chunk({"trial": 10}))
    with pytest.raises(ValueError, match=">= 0"):
        out.compute(scheduler="synchronous")


def test_agent_metrics_on_dask():
    rng = np.random.default_rng(1)
    a = xr.DataArray(rng.integers(0, 4, size=(30, 20)), dims=("trial", "time"))
    term = xr.DataArray(rng.random((30, 20)) < 0.1, dims=("trial", "time"))
    xr.testing.assert_allclose(na.action_entropy(a.chunk({"trial": 7}), n_actions=4).compute(),
                               na.action_entropy(a, n_actions=4), rtol=1e-12)
    xr.testing.assert_allclose(na.survival_curve(term.chunk({"trial": 7})).compute(),
                               na.survival_curve(term), rtol=1e-12)
    xr.testing.assert_equal(na.lifetime(term.chunk({"trial": 7})).compute().drop_attrs(),
                            na.lifetime(term).drop_attrs())


def test_larger_than_memory_study_runs_at_smoke_budget(tmp_path):
    """The variability-dask study (LocalCluster, lazily generated data) at its smoke budget."""
    from neuromop.studies import VariabilityDaskStudy

    result = VariabilityDaskStudy.for_budget("smoke").run(tmp_path, progress=False)
    summary = result.summary
    assert (tmp_path / "summary.json").exists()
    # doubly stochastic counts: Fano factor 1 + mu v; independent neurons: r_sc ~ 0
    np.testing.assert_allclose(summary["fano_factor_over_time"], summary["fano_factor_expected"],
                               atol=0.05)
    assert abs(summary["rsc_mean"]) < 0.02
    assert summary["participation_ratio_per_bin_corrected"] > summary[
        "participation_ratio_per_bin_naive"]
