"""``neuromop analyze variability`` end to end on a small netCDF file."""

from __future__ import annotations

import json

import numpy as np
import pytest
import xarray as xr

import neuromop.analysis as na
from neuromop.cli import main


def write_dataset(path, *, overlap=True, seed=0):
    rng = np.random.default_rng(seed)
    n_trial, n_time, n_neuron = 60, 40, 80
    base = rng.uniform(0.05, 0.6, n_neuron)
    boost = np.where(np.arange(n_time) >= 20, 1.3 if overlap else 40.0, 1.0)
    gain = rng.gamma(4.0, 0.25, size=(n_trial, 1, n_neuron))
    c = rng.poisson(gain * base * boost[None, :, None])
    ds = xr.Dataset(
        {"counts": (("trial", "time", "neuron"), c)},
        coords={"time": 0.005 + 0.01 * np.arange(n_time) - 0.2,
                "condition": ("trial", np.arange(n_trial) % 3)},
        attrs={"bin_width": 0.01},
    )
    ds.to_netcdf(path, engine="h5netcdf")
    return ds


def test_variability_command_writes_table_figures_and_json(tmp_path, capsys):
    ds = write_dataset(tmp_path / "session.nc")
    rc = main(["analyze", "variability", str(tmp_path / "session.nc"), "--out",
               str(tmp_path / "out"), "--window", "0.05", "--seed", "3"])
    assert rc == 0
    printed = capsys.readouterr().out
    assert "FF matched" in printed and "participation ratio" in printed
    for name in ("fano_factor.png", "pca_spectrum.png", "rsc_histogram.png"):
        assert (tmp_path / "out" / name).stat().st_size > 1000
    summary = json.loads((tmp_path / "out" / "variability.json").read_text())
    expected = na.mean_matched_fano_factor(ds, window=0.05, condition="condition",
                                           random_state=3)
    np.testing.assert_allclose(summary["fano_factor_matched"], expected["fano_factor"].values,
                               rtol=1e-12)
    assert summary["participation_ratio"] == pytest.approx(float(na.participation_ratio(ds)))
    pairs = na.pair_values(na.spike_count_correlation(ds, zscore_by="condition"))
    assert summary["rsc_mean"] == pytest.approx(float(pairs.mean()))
    assert summary["condition"] == "condition" and summary["notes"] == []


def test_a_rate_rnn_rollout_is_analysed_in_units_of_tau(tmp_path, capsys):
    from neuromop.control import RandomController, rollout
    from neuromop.envs import RateRNNEnv
    from neuromop.plots.variability import plot_across_trial_std

    env = RateRNNEnv(6, num_envs=4, random_state=0)
    rollout(env, RandomController(env), 20, random_state=0).to_netcdf(tmp_path / "r.nc",
                                                                    engine="h5netcdf")
    assert main(["analyze", "variability", str(tmp_path / "r.nc"), "--out",
                 str(tmp_path / "out")]) == 0
    summary = json.loads((tmp_path / "out" / "variability.json").read_text())
    assert summary["time_units"] == "tau"
    report = na.variability_report(xr.open_dataset(tmp_path / "r.nc", engine="h5netcdf"))
    fig = plot_across_trial_std(report["std_over_time"])
    assert fig.axes[0].get_xlabel() == "time (tau)"


def test_variability_command_explains_when_matching_is_impossible(tmp_path, capsys):
    write_dataset(tmp_path / "jump.nc", overlap=False)
    rc = main(["analyze", "variability", str(tmp_path / "jump.nc"), "--out",
               str(tmp_path / "out"), "--window", "0.1"])
    assert rc == 0
    assert "mean matching impossible" in capsys.readouterr().out
    assert json.loads((tmp_path / "out" / "variability.json").read_text())[
        "fano_factor_matched"] is None


@pytest.mark.parametrize(
    ("args", "message"),
    [(["missing.nc"], "not found"), (["session.nc", "--window", "0.015"], "multiple of")],
)
def test_variability_command_reports_bad_input_in_one_line(tmp_path, capsys, args, message):
    write_dataset(tmp_path / "session.nc")
    args = [str(tmp_path / args[0]), *args[1:]]
    rc = main(["analyze", "variability", *args, "--out", str(tmp_path / "o")])
    assert rc == 2
    assert message in capsys.readouterr().err
