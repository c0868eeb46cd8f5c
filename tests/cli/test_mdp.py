"""``neuromop mdp`` commands through the real CLI entry point."""

from __future__ import annotations

import json

import numpy as np
import pytest
import xarray as xr

from neuromop.cli import main
from neuromop.data import load, validate


def test_mdp_help_lists_the_commands(capsys):
    with pytest.raises(SystemExit) as exc:
        main(["mdp", "--help"])
    assert exc.value.code == 0
    out = capsys.readouterr().out
    assert "solve" in out and "rollout" in out and "compare" in out


@pytest.mark.parametrize("agent", ["mop", "reward", "maxent"])
def test_solve_writes_labelled_netcdf(tmp_path, agent):
    out = tmp_path / "sol.nc"
    assert main(["mdp", "solve", "four_rooms", "--agent", agent, "--capacity", "20",
                 "--out", str(out)]) == 0
    ds = xr.load_dataset(out)
    assert ds.V.dims == ("state",) and ds.Q.dims == ("state", "action")
    assert ds.sizes["state"] == 104 * 20
    assert "x" in ds.coords and "energy" in ds.coords
    np.testing.assert_allclose(ds.policy.sum("action"), 1.0)
    assert ds.attrs["created_by"] == f"neuromop.mdp.solve[{agent}]"
    assert validate(load(out), kind="result") == []


def test_solve_recycling_and_cartpole(tmp_path):
    assert main(["mdp", "solve", "recycling", "--agent", "reward", "--gamma", "0.9",
                 "--out", str(tmp_path / "r.nc")]) == 0
    assert list(xr.load_dataset(tmp_path / "r.nc").battery.values) == ["high", "low"]
    assert main(["mdp", "solve", "cartpole", "--n-points", "7", "--tol", "0.1",
                 "--out", str(tmp_path / "c.nc")]) == 0
    assert xr.load_dataset(tmp_path / "c.nc").V.dims == ("theta", "omega", "v", "x")


def test_rollout_writes_netcdf_and_png(tmp_path):
    assert main(["mdp", "rollout", "four_rooms", "--agent", "mop", "--capacity", "20",
                 "--trials", "3", "--steps", "100", "--out", str(tmp_path)]) == 0
    ds = xr.load_dataset(tmp_path / "rollout.nc")
    assert ds.state.dims == ("trial", "time") and ds.sizes["trial"] == 3
    assert (tmp_path / "rollout.png").stat().st_size > 0
    assert validate(load(tmp_path / "rollout.nc"), kind="agent") == []
    report_dir = tmp_path / "report"
    assert main(["analyze", "variability", str(tmp_path / "rollout.nc"),
                 "--out", str(report_dir)]) == 0
    report = json.loads((report_dir / "variability.json").read_text())
    assert report["kind"] == "agent" and report["agent"]["n_trials"] == 3
    assert report["agent"]["action_entropy_empirical"] > 0


def test_compare_prints_table_and_saves(tmp_path, capsys):
    assert main(["mdp", "compare", "--capacity", "30", "--trials", "2", "--steps", "300",
                 "--quiet", "--out", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert "coverage" in out and "MOP" in out and "random" in out
    ds = xr.load_dataset(tmp_path / "four_rooms_comparison.nc")
    assert ds.occupancy.dims == ("agent", "y", "x")
    assert (tmp_path / "four_rooms_comparison.png").exists()


@pytest.mark.parametrize(
    ("argv", "message"),
    [(["mdp", "solve", "four_rooms", "--alpha", "0"], "alpha"),
     (["mdp", "solve", "four_rooms", "--gamma", "-0.5"], "gamma"),
     (["mdp", "solve", "cartpole", "--agent", "maxent", "--n-points", "5"], "cartpole"),
     (["mdp", "rollout", "cartpole", "--agent", "maxent", "--n-points", "5"], "cartpole"),
     (["mdp", "solve", "cartpole", "--eta", "1.5", "--n-points", "5"], "eta")],
)
def test_bad_input_is_one_clear_line(argv, message, capsys):
    assert main(argv + ["--capacity", "5"] if argv[2] != "cartpole" else argv) == 2
    assert message in capsys.readouterr().err


def test_solve_dra_learns_a_policy(tmp_path, capsys):
    out = tmp_path / "dra.nc"
    assert main(["mdp", "solve", "recycling", "--agent", "dra", "--dra-episodes", "2",
                 "--gamma", "0.9", "--out", str(out)]) == 0
    # DRA learns without a stopping test: the CLI reports it as DRAAgent.to_result() does
    assert "2 sweeps, converged=False" in capsys.readouterr().out
    ds = xr.load_dataset(out)
    np.testing.assert_allclose(ds.policy.sum("action"), 1.0)
    assert float(ds.policy.sel(state=0, action="recharge")) == 0.0


def test_cartpole_half_arena_from_the_command_line(tmp_path, capsys):
    out = tmp_path / "half.nc"
    assert main(["mdp", "solve", "cartpole", "--n-points", "5", "--eta", "0.4", "--beta", "1",
                 "--physics", "authors-half-arena", "--gamma", "0.9", "--out", str(out)]) == 0
    params = json.loads(xr.load_dataset(out).attrs["parameters"])
    assert params["beta"] == 1.0
    assert params["physics"]["eta"] == 0.4 and params["physics"]["v_max"] == 6.0
