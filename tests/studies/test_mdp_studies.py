"""The exact-MOP studies (four rooms, noisy TV, predator-prey) at the smoke budget."""

from __future__ import annotations

import pytest
import xarray as xr

from neuromop.studies import FourRoomsStudy, NoisyTVStudy, PredatorPreyStudy


def test_four_rooms_study_smoke(tmp_path):
    result = FourRoomsStudy.for_budget("smoke").run(tmp_path, progress=False)
    ds = xr.load_dataset(tmp_path / "four_rooms_gain10.nc")
    assert list(ds.agent.values) == ["MOP", "R", "random"]
    assert (tmp_path / "four_rooms_gain10.png").stat().st_size > 0
    assert float(ds.coverage.sel(agent="MOP")) > float(ds.coverage.sel(agent="R"))
    assert "coverage" in result.table
    assert result.summary["gain10"]["MOP"]["coverage"] == pytest.approx(
        float(ds.coverage.sel(agent="MOP")))


def test_noisy_tv_study_smoke(tmp_path):
    result = NoisyTVStudy.for_budget("smoke").run(tmp_path, progress=False)
    ds = xr.load_dataset(tmp_path / "noisy_tv.nc")
    assert ds.time_in_tv_room.dims == ("gamma", "beta", "trial")
    assert ((ds.time_in_tv_room >= 0) & (ds.time_in_tv_room <= 1)).all()
    assert (tmp_path / "noisy_tv.png").exists()
    assert set(result.summary["time_in_tv_room"]) == {"gamma=0.9", "gamma=0.99"}


def test_predator_prey_study_smoke(tmp_path):
    result = PredatorPreyStudy.for_budget("smoke").run(tmp_path, progress=False)
    ds = xr.load_dataset(tmp_path / "predator_prey.nc")
    assert list(ds.agent.values) == ["MOP", "R", "random"]
    assert ds.rotations.dims == ("agent", "trial", "direction")
    # the MOP mouse acts far more variably than the R mouse (also at the smoke budget)
    assert result.summary["MOP"]["action_entropy"] > 2 * result.summary["R"]["action_entropy"]


@pytest.mark.parametrize("budget", ["smoke", "default", "paper"])
@pytest.mark.parametrize("cls", [FourRoomsStudy, NoisyTVStudy, PredatorPreyStudy])
def test_budgets_are_valid_configurations(cls, budget):
    study = cls.for_budget(budget)
    assert study.budget == budget
