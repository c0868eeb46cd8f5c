"""``neuromop run hypothesis``: a recording -> fitted network -> controllers -> verdict."""

from __future__ import annotations

import json

import numpy as np
import pytest
import xarray as xr

from neuromop.cli import main
from neuromop.data import load, save, validate
from neuromop.fit import simulate_teacher_dataset
from neuromop.studies import HypothesisStudy, SettingsMismatchError
from neuromop.studies.hypothesis_data import hd_pseudo_trials
from neuromop.studies.hypothesis_report import referee_check, verdict

SMALL = dict(fit_seeds=2, units=6, epochs=4, patience=2, control_epochs=1, control_steps=4,
             n_boot=10, n_candidates=4)


@pytest.fixture(scope="module")
def user_file(tmp_path_factory):
    """A user's own recording: counts with two inputs and a condition, written as netCDF."""
    ds, _ = simulate_teacher_dataset(n_trials=60, n_time=10, n_units=6, n_neurons=5,
                                     bin_width=0.05, random_state=7)
    ds = ds.drop_vars("expected_counts")
    path = tmp_path_factory.mktemp("user") / "my_recording.nc"
    save(ds, path)
    return path


@pytest.fixture(scope="module")
def user_run(user_file, tmp_path_factory):
    out = tmp_path_factory.mktemp("hyp") / "run"
    code = main(["run", "hypothesis", "--budget", "smoke", "--data", str(user_file),
                 "--inputs", "u0,u1", "--condition", "condition", "--out", str(out),
                 "--no-progress"])
    assert code == 0
    return out


def test_a_users_file_runs_through_the_command(user_run):
    summary = json.loads((user_run / "summary.json").read_text())
    (session,) = summary["summary"]["sessions"]
    assert session["session"] == "my_recording"
    assert session["inputs"] == ["u0", "u1"]
    assert set(session["alive_fraction"]) == {"free", "random", "mop", "r"}
    assert session["verdict"]
    assert (user_run / "hypothesis.md").read_text().startswith("# The variability hypothesis")
    assert (user_run / "my_recording.png").exists()


def test_outputs_validate_and_go_back_into_analyze(user_run, tmp_path):
    activity = load(user_run / "my_recording_activity.nc")
    validate(activity, kind="auto")
    sources = set(activity["source"].values.tolist())
    assert sources == {"recorded", "free", "random", "mop", "r"}
    rec = activity.isel(trial=np.flatnonzero(activity["source"].values == "recorded"))
    assert set(rec["fit"].values.tolist()) == {-1}
    assert activity.sizes["trial"] == 60 * (1 + 4 * 2)  # recorded + 4 controllers x 2 fits
    comparison = load(user_run / "my_recording_comparison.nc")
    validate(comparison, kind="result")
    assert list(comparison["source"].values) == ["recorded", "free", "random", "mop", "r"]
    code = main(["analyze", "variability", str(user_run / "my_recording_activity.nc"),
                 "--condition", "source", "--out", str(tmp_path / "analysis")])
    assert code == 0


def test_a_rerun_with_the_same_settings_reuses_the_fits(user_file, user_run):
    cells = sorted((user_run / "cells").glob("*.nc"))
    stamps = [c.stat().st_mtime_ns for c in cells]
    study = HypothesisStudy.for_budget("smoke", data=str(user_file), inputs="u0,u1",
                                       condition="condition")
    study.run(user_run, progress=False)
    assert [c.stat().st_mtime_ns for c in cells] == stamps
    other = HypothesisStudy.for_budget("smoke", data=str(user_file), inputs="u0,u1",
                                       condition="condition", alpha=2.0)
    with pytest.raises(SettingsMismatchError, match="alpha"):
        other.run(user_run, progress=False)


def test_ofc_session_smoke(shared_datasets, tmp_path):
    study = HypothesisStudy.for_budget("smoke", data_root=str(shared_datasets / "padoa_ofc"),
                                       **SMALL)
    result = study.run(tmp_path / "ofc", progress=False)
    (session,) = result.summary["sessions"]
    assert session["session"] == "G180910a" and session["condition"] == "offer_pair"
    assert "referee" in session and isinstance(session["referee"]["reproduces"], bool)
    comparison = result.datasets["G180910a_comparison"]
    assert comparison.sizes["time"] == 15
    assert "offer_pair" in result.datasets["G180910a_activity"].coords


def test_head_direction_pseudo_trials():
    counts = np.arange(2 * 45 * 3).reshape(2, 45, 3)
    ds = xr.Dataset({"counts": (("trial", "time", "neuron"), counts)},
                    coords={"trial": [0, 1], "time": (np.arange(45) + 0.5) * 0.1,
                            "neuron": [0, 1, 2], "tags": ("trial", ["sleep", "wake"])},
                    attrs={"bin_width": 0.1, "units": "spikes", "source": "nwb"})
    out = hd_pseudo_trials(ds, 20)
    assert out.sizes == {"trial": 4, "time": 20, "neuron": 3}
    assert out["state"].values.tolist() == ["sleep", "sleep", "wake", "wake"]
    assert out["in_wake"].values[:, 0].tolist() == [0.0, 0.0, 1.0, 1.0]
    np.testing.assert_array_equal(out["counts"].values[1], counts[0, 20:40])
    with pytest.raises(ValueError, match="fewer than 2"):
        hd_pseudo_trials(ds, 30)


def _comparison(free_interval):
    stats = ["fano_factor", "mean_matched_fano_factor"]
    lo, hi = free_interval
    diff = np.zeros((2, 2))
    diff[1] = (lo + hi) / 2
    iv = np.zeros((2, 2, 2))
    iv[1, :, 0], iv[1, :, 1] = lo, hi
    return xr.Dataset({"difference": (("source", "statistic"), diff),
                       "difference_interval": (("source", "statistic", "bound"), iv)},
                      coords={"source": ["recorded", "free"], "statistic": stats,
                              "bound": ["low", "high"]})


def test_referee_needs_the_free_network_to_reproduce_the_recorded_fano():
    assert referee_check(_comparison((-0.05, 0.02)))["reproduces"]
    bad = referee_check(_comparison((-0.2, -0.1)))
    assert not bad["reproduces"] and "not a fair referee" in bad["text"]
    assert verdict({}, bad).startswith("no verdict")


def test_verdict_names_the_closest_controller_or_says_the_data_cannot_decide():
    fair = {"reproduces": True, "text": ""}
    undecided = {s: "not distinguishable" for s in ("fano_factor", "mean_matched_fano_factor",
                                                    "r_sc", "participation_ratio")}
    assert verdict(undecided, fair).startswith("the data cannot decide")
    mop = dict(undecided, fano_factor="mop", r_sc="mop", participation_ratio="free")
    assert verdict(mop, fair).startswith("closest to mop on 2 of 4")
    tie = dict(undecided, fano_factor="mop", r_sc="free")
    assert verdict(tie, fair).startswith("mixed")


@pytest.mark.parametrize("kwargs, match", [
    (dict(fit_seeds=0), "fit_seeds"),
    (dict(n_boot=5), "n_boot"),
    (dict(test_fraction=1.0), "test_fraction"),
    (dict(alpha=0.0), "alpha"),
    (dict(data=""), "data"),
])
def test_study_rejects_bad_settings(kwargs, match):
    with pytest.raises(ValueError, match=match):
        HypothesisStudy.for_budget("smoke", **kwargs)


def test_unknown_data_and_sessions_are_named(tmp_path, shared_datasets):
    code = main(["run", "hypothesis", "--budget", "smoke", "--data", str(tmp_path / "no.nc"),
                 "--out", str(tmp_path / "o"), "--no-progress"])
    assert code == 2
    with pytest.raises(ValueError, match="session must be among"):
        HypothesisStudy.for_budget("smoke", session="X1",
                                   data_root=str(shared_datasets / "padoa_ofc")).run(
            tmp_path / "s", progress=False)


def test_controller_recovery_smoke(tmp_path):
    from neuromop.studies import ControllerRecoveryStudy

    result = ControllerRecoveryStudy.for_budget("smoke").run(tmp_path / "rec", progress=False)
    (row,) = result.summary["rows"]
    assert row["parameter"] == "action_scale" and row["statistic"] == "participation_ratio"
    assert 0.0 <= row["coverage"] <= 1.0 and len(row["value_hat"]) == 2
    lo, hi = row["coverage_interval"]
    assert lo <= row["coverage"] <= hi
    validate(load(tmp_path / "rec" / "recovery.nc"), kind="result")
    assert (tmp_path / "rec" / "recovery.png").exists()


@pytest.mark.parametrize("kwargs, match", [
    (dict(parameters=("beta",)), "parameters"),
    (dict(statistics=("cv",)), "statistics"),
    (dict(parameters=()), "must not be empty"),
])
def test_controller_recovery_rejects_bad_settings(kwargs, match):
    from neuromop.studies import ControllerRecoveryStudy

    with pytest.raises(ValueError, match=match):
        ControllerRecoveryStudy.for_budget("smoke", **kwargs)


def test_session_input_is_the_trials_position(user_file, tmp_path):
    from neuromop.studies.hypothesis_data import add_session_input

    ds = load(user_file)
    out = add_session_input(ds)
    assert out["in_session"].dims == ("trial", "time")
    np.testing.assert_allclose(out["in_session"].values[:, 0], np.linspace(0, 1, 60))
    assert "in_session" not in ds
    code = main(["run", "hypothesis", "--budget", "smoke", "--data", str(user_file),
                 "--inputs", "u0", "--session-input", "--fit-parameter", "none",
                 "--out", str(tmp_path / "s"), "--no-progress"])
    assert code == 0
    (session,) = json.loads((tmp_path / "s" / "summary.json").read_text())["summary"][
        "sessions"]
    assert session["inputs"] == ["u0", "in_session"] and session["controller_fit"] is None


def test_head_direction_inputs_are_circular_means_per_bin():
    from neuromop.studies.hypothesis_data import add_head_direction_inputs

    counts = np.zeros((2, 40, 2), dtype=int)
    ds = xr.Dataset({"counts": (("trial", "time", "neuron"), counts)},
                    coords={"trial": [0, 1], "time": (np.arange(40) + 0.5) * 0.1,
                            "neuron": [0, 1], "tags": ("trial", ["sleep", "wake"]),
                            "start_time": ("trial", [0.0, 10.0])},
                    attrs={"bin_width": 0.1, "units": "spikes", "source": "nwb"})
    trials = hd_pseudo_trials(ds, 20)          # sleep 0-2 s, 2-4 s; wake 10-12 s, 12-14 s
    np.testing.assert_allclose(trials["start_time"].values, [0.0, 2.0, 10.0, 12.0])
    times = np.arange(10.55, 14.0, 0.01)       # tracking starts at 10.55 s: wake trial 0 goes
    angles = np.full(times.size, np.pi / 3)
    angles[times >= 13.0] = np.pi              # a turn at 13 s
    out = add_head_direction_inputs(trials, times, angles)
    assert out["state"].values.tolist() == ["sleep", "sleep", "wake"]
    wake = out.isel(trial=2)
    np.testing.assert_allclose(wake["hd_cos"].values[:10], 0.5, atol=1e-9)
    np.testing.assert_allclose(wake["hd_cos"].values[10:], -1.0, atol=1e-9)
    np.testing.assert_allclose(out["hd_sin"].isel(trial=0).values, 0.0)


def test_a_condition_with_one_trial_is_refused_before_fitting(user_file, tmp_path):
    ds = load(user_file).load()
    labels = np.zeros(ds.sizes["trial"], dtype=int)
    labels[0] = 1                                   # a condition with a single trial
    path = tmp_path / "single.nc"
    save(ds.assign_coords(block=("trial", labels)), path)
    code = main(["run", "hypothesis", "--budget", "smoke", "--data", str(path),
                 "--condition", "block", "--out", str(tmp_path / "o"), "--no-progress"])
    assert code == 2
    assert not (tmp_path / "o" / "cells").exists()
