"""The MDP study scripts run end to end on the smoke budget and write their results."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest
import xarray as xr

ROOT = Path(__file__).resolve().parents[1]


def load(name: str):
    spec = importlib.util.spec_from_file_location(f"study_{name}", ROOT / "analysis" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up here
    spec.loader.exec_module(module)
    return module


def test_four_rooms_study_smoke(tmp_path, capsys):
    assert load("four_rooms").main(["--budget", "smoke", "--out", str(tmp_path)]) == 0
    ds = xr.load_dataset(tmp_path / "gain_10" / "four_rooms_comparison.nc")
    assert list(ds.agent.values) == ["MOP", "R", "random"]
    assert (tmp_path / "gain_10" / "four_rooms_comparison.png").stat().st_size > 0
    assert float(ds.coverage.sel(agent="MOP")) > float(ds.coverage.sel(agent="R"))
    assert "coverage" in capsys.readouterr().out


def test_noisy_tv_study_smoke(tmp_path):
    assert load("noisy_tv").main(["--budget", "smoke", "--out", str(tmp_path)]) == 0
    ds = xr.load_dataset(tmp_path / "noisy_tv.nc")
    assert ds.time_in_tv_room.dims == ("gamma", "beta", "episode")
    assert ((ds.time_in_tv_room >= 0) & (ds.time_in_tv_room <= 1)).all()
    assert (tmp_path / "noisy_tv.png").exists()


@pytest.mark.parametrize("budget", ["smoke", "default", "paper"])
def test_budgets_are_valid_arguments(budget):
    for name in ("four_rooms", "noisy_tv"):
        module = load(name)
        module.Args(**module.BUDGETS[budget])
