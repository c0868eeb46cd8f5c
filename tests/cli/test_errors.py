"""Bad input to the CLI gives one line and exit code 2, never a traceback."""

from __future__ import annotations

import numpy as np
import pytest
import xarray as xr

from neuromop.cli import main


def _counts_file(path, *, nan=False):
    counts = np.random.default_rng(0).poisson(2.0, size=(20, 6, 4)).astype(float)
    if nan:
        counts[0, 1, 2] = np.nan
    ds = xr.Dataset({"counts": (("trial", "time", "neuron"), counts)},
                    coords={"time": np.arange(6) * 0.1 + 0.05}, attrs={"bin_width": 0.1})
    ds.to_netcdf(path, engine="h5netcdf")
    return path


def _empty(tmp_path):
    path = tmp_path / "empty.nc"
    path.write_bytes(b"")
    return ["analyze", "variability", str(path), "--out", str(tmp_path / "o")]


def _text(tmp_path):
    path = tmp_path / "notes.nc"
    path.write_text("not a netCDF file\n")
    return ["analyze", "variability", str(path), "--out", str(tmp_path / "o")]


def _truncated(tmp_path):
    path = _counts_file(tmp_path / "full.nc")
    path.write_bytes(path.read_bytes()[:300])
    return ["analyze", "variability", str(path), "--out", str(tmp_path / "o")]


def _missing(tmp_path):
    return ["analyze", "variability", str(tmp_path / "absent.nc")]


def _infinite_window(tmp_path):
    return ["analyze", "variability", str(_counts_file(tmp_path / "c.nc")), "--window", "inf",
            "--out", str(tmp_path / "o")]


def _out_is_a_file(tmp_path):
    (tmp_path / "taken").write_text("x")
    return ["run", "energy", "--budget", "smoke", "--out", str(tmp_path / "taken"),
            "--no-progress"]


def _corrupt_checkpoint(tmp_path):
    (tmp_path / "o" / "mop").mkdir(parents=True)
    (tmp_path / "o" / "mop" / "checkpoint.pt").write_bytes(b"\x80\x04garbage")
    return ["run", "energy", "--budget", "smoke", "--out", str(tmp_path / "o"), "--no-progress"]


def _gamma_above_one(tmp_path):
    return ["mdp", "solve", "recycling", "--agent", "mop", "--gamma", "1.5",
            "--out", str(tmp_path / "s.nc")]


def _zero_tolerance(tmp_path):
    return ["mdp", "solve", "recycling", "--agent", "mop", "--tol", "0",
            "--out", str(tmp_path / "s.nc")]


def _nan_counts_values(tmp_path):
    return ["analyze", "values", str(_counts_file(tmp_path / "n.nc", nan=True)),
            "--out", str(tmp_path / "o")]


def _fit_on_a_text_file(tmp_path):
    path = tmp_path / "data.nc"
    path.write_text("1,2,3\n")
    return ["fit", "rnn", str(path), "--out", str(tmp_path / "o"), "--epochs", "1"]


def _solve_over_an_earlier_result(tmp_path):
    out = tmp_path / "s.nc"
    assert main(["mdp", "solve", "recycling", "--agent", "mop", "--out", str(out)]) == 0
    return ["mdp", "solve", "recycling", "--agent", "mop", "--out", str(out)]


CASES = {f.__name__.lstrip("_"): f for f in (
    _solve_over_an_earlier_result,
    _empty, _text, _truncated, _missing, _infinite_window, _out_is_a_file, _corrupt_checkpoint,
    _gamma_above_one, _zero_tolerance, _nan_counts_values, _fit_on_a_text_file)}


@pytest.mark.parametrize("case", sorted(CASES))
def test_bad_input_gives_one_line_and_exit_code_2(case, tmp_path, capsys, monkeypatch):
    monkeypatch.delenv("NEUROMOP_DEBUG", raising=False)
    assert main(CASES[case](tmp_path)) == 2
    err = capsys.readouterr().err
    lines = [line for line in err.splitlines() if line.startswith("neuromop:")]
    assert len(lines) == 1 and lines[0].startswith("neuromop: error: "), err
    assert "Traceback" not in err and "looks like a bug" not in err


def test_overwrite_replaces_an_earlier_result(tmp_path):
    out = tmp_path / "s.nc"
    args = ["mdp", "solve", "recycling", "--agent", "mop", "--out", str(out)]
    assert main(args) == 0
    assert main(args + ["--overwrite"]) == 0
