"""Mean-matched Fano factor as the toolbox's users run it (issue 17 item 10): windows at explicit
times, the diagnostics they plot, and neurons recorded on different trials."""

from __future__ import annotations

import numpy as np
import pytest
import xarray as xr

import neuromop.analysis as A
from neuromop.data import load, save_output, validate

BW = 0.01


def _counts(n_trials=40, n_time=60, n_neurons=30, seed=1) -> xr.DataArray:
    rng = np.random.default_rng(seed)
    rates = rng.gamma(2.0, 1.0, (1, 1, n_neurons)) * 0.5
    x = rng.poisson(rates, (n_trials, n_time, n_neurons))
    return xr.DataArray(
        x, dims=("trial", "time", "neuron"),
        coords={"trial": np.arange(n_trials), "time": BW / 2 + BW * np.arange(n_time),
                "neuron": np.arange(n_neurons), "cond": ("trial", np.arange(n_trials) % 2)},
        attrs={"bin_width": BW})


def test_explicit_times_at_the_regular_centres_reproduce_the_stepped_result():
    da = _counts()
    stepped = A.mean_matched_fano_factor(da, window=0.05, step=0.05, condition="cond")
    at_times = A.mean_matched_fano_factor(da, window=0.05, times=stepped["time"].values,
                                          condition="cond")
    for name in ("fano_factor", "fano_factor_all", "mean_rate_matched"):
        np.testing.assert_array_equal(at_times[name].values, stepped[name].values)


@pytest.mark.parametrize("backend", ["numpy", "dask"])
def test_explicit_uneven_times_count_the_window_centred_on_each(backend):
    da = _counts()
    times = [0.105, 0.135, 0.405]  # 5-bin windows: centres are bin centres; uneven spacing
    data = da if backend == "numpy" else da.chunk({"trial": 10})
    out = A.mean_matched_fano_factor(data, window=0.05, times=times, condition="cond",
                                     diagnostics=True)
    np.testing.assert_allclose(out["time"].values, times)
    for i, t in enumerate(times):
        first = int(round((t - 0.025) / BW))  # the bin whose lower edge is t - window / 2
        summed = da.isel(time=slice(first, first + 5)).sum("time")
        expect = np.concatenate([summed.where(da.cond == g, drop=True).mean("trial").values
                                 for g in (0, 1)])
        np.testing.assert_allclose(out["point_mean"].isel(time=i).values, expect, rtol=1e-12)
        var = np.concatenate([summed.where(da.cond == g, drop=True).var("trial", ddof=1).values
                              for g in (0, 1)])
        np.testing.assert_allclose(out["point_variance"].isel(time=i).values, var, rtol=1e-12)


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [({"window": 0.05, "times": [0.1]}, r"times\[0\] = 0.1 s is not"),
     ({"window": 0.05, "times": [0.105], "step": 0.05}, "step or times"),
     ({"times": [0.105]}, "times needs window"),
     ({"window": 0.05, "times": [0.205, 0.105]}, "strictly increasing"),
     ({"window": 0.05, "times": [np.nan]}, "times")],
)
def test_explicit_times_off_the_grid_are_refused_naming_times(kwargs, match):
    with pytest.raises(ValueError, match=match):
        A.mean_matched_fano_factor(_counts(), **kwargs)


def test_diagnostics_are_consistent_with_the_matching_and_the_regression():
    da = _counts()
    out = A.mean_matched_fano_factor(da, window=0.05, step=0.05, condition="cond", repeats=7,
                                     diagnostics=True)
    n_points = 2 * da.sizes["neuron"]
    assert out.sizes["point"] == n_points
    assert (out["mean_histogram"].sum("mean_bin") == n_points).all()
    np.testing.assert_array_equal(out["common_histogram"].values,
                                  out["mean_histogram"].min("time").values)
    # every repeat keeps exactly the greatest common distribution at every time
    np.testing.assert_allclose(out["kept_fraction"].sum("point").values,
                               float(out["common_histogram"].sum()))
    np.testing.assert_allclose(out["fraction_retained"].values,
                               float(out["common_histogram"].sum()) / n_points)
    np.testing.assert_allclose(out["variance_minus_mean"].values,
                               (out["point_variance"] - out["point_mean"]).values)
    # the unmatched Fano factor is the weighted regression through the origin of these points
    x, y = out["point_mean"].values, out["point_variance"].values
    w = out["point_trials"].values / (x + 0.05) ** 2
    np.testing.assert_allclose(out["fano_factor_all"].values,
                               (w * x * y).sum(1) / (w * x * x).sum(1), rtol=1e-12)
    assert list(out["point_condition"].values[:2]) == [0, 0]
    assert out["point_neuron"].values[da.sizes["neuron"]] == 0


def test_diagnostics_change_nothing_else():
    da = _counts()
    plain = A.mean_matched_fano_factor(da, window=0.05, condition="cond")
    full = A.mean_matched_fano_factor(da, window=0.05, condition="cond", diagnostics=True)
    xr.testing.assert_identical(full[list(plain.data_vars)].drop_vars("mean_bin",
                                                                      errors="ignore"),
                                plain.drop_attrs(deep=False).assign_attrs(
                                    {k: full.attrs[k] for k in plain.attrs}))


def test_diagnostics_result_is_a_valid_output_that_round_trips(tmp_path):
    out = A.mean_matched_fano_factor(_counts(), window=0.05, condition="cond",
                                     diagnostics=True)
    path = save_output(out, tmp_path / "ff.nc", source="test")
    back = load(path)
    validate(back, kind="result")
    np.testing.assert_array_equal(back["kept_fraction"].values, out["kept_fraction"].values)


def test_neurons_recorded_on_different_trials_pool_one_dataset_per_neuron():
    """The toolbox's per-neuron trial sets: each neuron its own dataset (its own trials)."""
    da = _counts(n_time=15, n_neurons=30)  # 3 windows: enough points survive matching
    whole = A.mean_matched_fano_factor(da, window=0.05, bin_size=0.5, random_state=3)
    split = A.pooled_mean_matched_fano_factor(
        [da.isel(neuron=[n]) for n in range(da.sizes["neuron"])], window=0.05, bin_size=0.5,
        random_state=3)
    np.testing.assert_allclose(split["fano_factor"].values, whole["fano_factor"].values,
                               rtol=1e-12)
    # now each neuron with a different number of trials
    uneven = {f"n{n}": da.isel(neuron=[n], trial=slice(0, 10 + n)) for n in range(30)}
    out = A.pooled_mean_matched_fano_factor(uneven, window=0.05, bin_size=0.5, diagnostics=True)
    np.testing.assert_array_equal(out["point_trials"].values, 10 + np.arange(30))
    assert list(out["point_dataset"].values[:2]) == ["n0", "n1"]
    assert np.isfinite(out["fano_factor_all"]).all()
