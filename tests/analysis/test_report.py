"""``variability_report`` on what the package writes: counts, rates and agent variables."""

from __future__ import annotations

import numpy as np
import pytest
import xarray as xr

from neuromop.analysis import participation_ratio, variability_report
from neuromop.data import make_spiking_dataset


def _rates(n_trials=12, n_times=30, n_neurons=6, dead_after=None, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n_trials, n_times, n_neurons)) + np.linspace(0, 1, n_times)[None, :, None]
    ds = xr.Dataset(
        {"activity": (("trial", "time", "neuron"), x)},
        coords={"trial": np.arange(n_trials), "time": 0.1 * np.arange(n_times),
                "neuron": np.arange(n_neurons)},
        attrs={"units": "a.u.", "bin_width": 0.1, "source": "test", "created_by": "test"})
    if dead_after is not None:
        term = np.arange(n_times)[None, :] >= np.asarray(dead_after)[:, None]
        ds["terminated"] = (("trial", "time"), term)
    return ds


def test_rates_are_analysed_as_rates_with_a_numpy_reference():
    ds = _rates()
    report = variability_report(ds)
    x = ds["activity"].values
    assert report["kind"] == "rates" and "fano" not in report
    np.testing.assert_allclose(report["std_over_time"].values, x.std(axis=0, ddof=1).mean(-1))
    s = report["summary"]
    np.testing.assert_allclose(s["temporal_std_mean"], x.std(axis=1).mean())
    resid = (x - x.mean(axis=0)).reshape(-1, x.shape[-1])
    r = np.corrcoef(resid, rowvar=False)[np.triu_indices(x.shape[-1], 1)]
    np.testing.assert_allclose(s["corr_mean"], r.mean())
    flat = xr.DataArray(x.reshape(-1, x.shape[-1]), dims=("sample", "neuron"))
    np.testing.assert_allclose(s["participation_ratio"],
                               float(participation_ratio(flat, "sample")))
    assert any("not spike counts" in n for n in report["notes"])


def test_rates_leave_out_the_time_points_after_termination():
    dead_after = np.array([5, 30, 30, 12] * 3)
    ds = _rates(dead_after=dead_after)
    report = variability_report(ds)
    alive = ~ds["terminated"].values
    assert report["summary"]["n_samples"] == int(alive.sum())
    np.testing.assert_array_equal(report["std_over_time"]["n_alive"].values, alive.sum(0))
    x = np.where(alive[..., None], ds["activity"].values, np.nan)
    np.testing.assert_allclose(report["std_over_time"].values,
                               np.nanstd(x, axis=0, ddof=1).mean(-1))
    assert report["agent"]["lifetime_mean"] == pytest.approx(
        np.minimum(dead_after, 30).mean())


def test_counts_keep_the_fano_factor_report():
    ds = make_spiking_dataset(40, 8, 20, 0.05, random_state=0)
    report = variability_report(ds, window=0.1)
    assert report["kind"] == "counts"
    assert {"fano", "rsc_pairs", "spectrum"} <= set(report)
    assert report["summary"]["variable"] == "counts"


def test_agent_variables_alone_give_lifetimes_and_entropies():
    rng = np.random.default_rng(1)
    action = rng.integers(0, 4, size=(50, 40))
    ds = xr.Dataset({"action": (("trial", "time"), action),
                     "state": (("trial", "time"), rng.integers(0, 3, size=(50, 40))),
                     "terminated": (("trial", "time"), np.zeros((50, 40), bool))},
                    coords={"trial": np.arange(50), "time": np.arange(40.0)})
    report = variability_report(ds)
    agent = report["agent"]
    p = np.bincount(action.ravel()) / action.size
    assert report["kind"] == "agent"
    np.testing.assert_allclose(agent["action_entropy_empirical"], -(p * np.log(p)).sum())
    assert agent["survival"] == 1.0 and agent["lifetime_mean"] == 40
    assert agent["n_distinct_states"] == 3


def test_a_solution_over_states_is_refused_with_what_it_holds():
    ds = xr.Dataset({"V": ("state", np.zeros(4)), "policy": (("state", "action"), np.ones((4, 2)))})
    with pytest.raises(ValueError, match=r"no activity variable .* \['V', 'policy'\]"):
        variability_report(ds)


def test_var_picks_a_variable_and_names_the_choices_when_wrong():
    ds = _rates()
    ds["other"] = ds["activity"] * 2
    report = variability_report(ds, var="other")
    assert report["summary"]["variable"] == "other"
    with pytest.raises(ValueError, match=r"var must name a data variable .* got 'nope'"):
        variability_report(ds, var="nope")
    ds["rate"] = np.abs(ds["activity"])
    with pytest.raises(ValueError, match=r"several activity variables \['rate', 'activity'\]"):
        variability_report(ds)
