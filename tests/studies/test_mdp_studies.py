"""The exact-MOP studies (four rooms, noisy TV, predator-prey, half arena) at the smoke budget."""

from __future__ import annotations

import numpy as np
import pytest
import xarray as xr

from neuromop.data import validate
from neuromop.mdp.paper import AUTHORS_CARTPOLE, authors_cartpole_starts
from neuromop.studies import (
    AgentPetStudy,
    CartpoleGridStudy,
    FourRoomsStudy,
    HalfArenaStudy,
    MOPFiguresStudy,
    NoisyTVStudy,
    PredatorPreyStudy,
)
from neuromop.studies.agent_pet import agreement as agent_pet_agreement
from neuromop.studies.four_rooms import compare_four_rooms, format_table
from neuromop.studies.half_arena import (
    AUTHORS_HALF_ARENA,
    authors_half_arena_starts,
    mean_interval,
)
from neuromop.studies.noisy_tv import agreement as noisy_tv_agreement


def test_four_rooms_study_smoke(tmp_path):
    result = FourRoomsStudy.for_budget("smoke").run(tmp_path, progress=False)
    ds = xr.load_dataset(tmp_path / "four_rooms_gain10.nc")
    assert list(ds.agent.values) == ["MOP", "R", "random", "R eps=0.5"]
    assert (tmp_path / "four_rooms_gain10.png").stat().st_size > 0
    # exploration spreads the R agent: more actions, not less food-bound than greedy R
    assert (float(ds.action_entropy.sel(agent="R eps=0.5"))
            > float(ds.action_entropy.sel(agent="R")))
    assert float(ds.coverage.sel(agent="MOP")) > float(ds.coverage.sel(agent="R"))
    assert "coverage" in result.table
    assert result.summary["gain10"]["MOP"]["coverage"] == pytest.approx(
        float(ds.coverage.sel(agent="MOP")))


def test_four_rooms_table_puts_the_authors_values_beside_the_package_s():
    s, _ = compare_four_rooms(capacity=100, food_gain=10, n_trials=3, n_steps=400,
                              random_state=1, epsilons=(0.45,))
    assert float(s["authors_coverage_mean"].sel(agent="R eps=0.45")) == 0.7658
    assert float(s["authors_coverage_mean"].sel(agent="MOP")) == 1.0
    table = format_table(s)
    assert "authors: coverage (SEM)" in table and "0.766 (0.020)" in table
    # the authors' numbers belong to their capacity (100) only
    other, _ = compare_four_rooms(capacity=30, food_gain=10, n_trials=2, n_steps=200,
                                  random_state=1)
    assert other["authors_coverage_mean"].isnull().all()
    assert "authors" not in format_table(other)


def test_noisy_tv_study_smoke(tmp_path):
    result = NoisyTVStudy.for_budget("smoke").run(tmp_path, progress=False)
    ds = xr.load_dataset(tmp_path / "noisy_tv.nc")
    assert ds.time_in_tv_room.dims == ("gamma", "beta", "trial")
    assert ((ds.time_in_tv_room >= 0) & (ds.time_in_tv_room <= 1)).all()
    assert (tmp_path / "noisy_tv.png").exists()
    assert set(result.summary["time_in_tv_room"]) == {"gamma=0.9", "gamma=0.99"}
    # the authors' committed cells sit beside the package's where their sweep has them
    assert float(ds.authors_time_in_tv_room_mean.sel(gamma=0.99, beta=0.3)) == 0.8216
    assert ds.authors_time_in_tv_room_mean.sel(gamma=0.9).isnull().all()
    assert "authors (SEM)" in result.table


def test_noisy_tv_agreement_with_the_authors_cells():
    ds = xr.Dataset(
        {"time_in_tv_room": (("beta", "trial"), [[0.1, 0.2, 0.3], [0.5, 0.5, 0.5]]),
         "authors_time_in_tv_room_mean": ("beta", [0.2, 0.5]),
         "authors_time_in_tv_room_sem": ("beta", [0.0, 0.0])},
        coords={"beta": [0.0, 0.1]})
    sem = np.std([0.1, 0.2, 0.3], ddof=1) / np.sqrt(3)
    assert noisy_tv_agreement(ds) == pytest.approx(0.0)
    assert noisy_tv_agreement(ds.assign(authors_time_in_tv_room_mean=("beta", [0.3, 0.5]))
                              ) == pytest.approx(0.1 / sem)
    # a cell with no spread on either side says nothing (0/0), not infinite disagreement
    assert noisy_tv_agreement(ds.isel(beta=[1])) is None


def test_agent_pet_study_smoke(tmp_path):
    result = AgentPetStudy.for_budget("smoke").run(tmp_path, progress=False)
    ds = xr.load_dataset(tmp_path / "agent_pet.nc")
    validate(ds, kind="auto")
    assert ds["open_fraction"].dims == ("policy", "beta", "trial")
    assert list(ds["policy"].values) == ["exact", "authors-loop"]
    assert ((ds["open_fraction"] >= 0) & (ds["open_fraction"] <= 1)).all()
    np.testing.assert_allclose(ds["pet_occupancy"].sum(("pet_x", "pet_y")), 1.0)
    assert float(ds["authors_open_mean"].sel(beta=0.2)) == 0.8448
    # valuing the pet's entropy keeps the fence open longer, under both policies
    mean = ds["open_fraction"].mean("trial")
    assert (mean.sel(beta=0.2) > mean.sel(beta=0.0)).all()
    assert result.summary["rises_with_beta"]["exact"]
    assert "authors (SEM)" in result.table
    assert (tmp_path / "agent_pet.png").stat().st_size > 0


def test_agent_pet_default_reproduces_the_authors_figure_only_with_their_loop():
    ds = AgentPetStudy.for_budget("default", betas=(0.1, 0.6, 1.0), n_trials=200).sweep(
        progress=False)
    z = agent_pet_agreement(ds)
    # the authors' loop lies within 3 combined standard errors of their data at every beta;
    # the exact policy does not (measured: at beta = 0.6 and 1 it keeps the fence open
    # 0.993-0.997 of the time against their 0.982-0.987 with standard errors of 0.003)
    assert float(z.sel(policy="authors-loop")) < 3
    assert float(z.sel(policy="exact")) > 3


def test_predator_prey_study_smoke(tmp_path):
    result = PredatorPreyStudy.for_budget("smoke").run(tmp_path, progress=False)
    ds = xr.load_dataset(tmp_path / "predator_prey.nc")
    assert list(ds.agent.values) == ["MOP", "R", "random", "MOP, authors' values"]
    # the authors' energy occupancy (F = 15) sits beside the package's where they recorded it
    assert ds["authors_energy_occupancy"].sel(agent="random").isnull().all()
    np.testing.assert_allclose(ds["authors_energy_occupancy"].sel(agent="R").sum(), 1.0,
                               atol=1e-4)
    assert "energy TV vs authors" in result.table
    assert ds.rotations.dims == ("agent", "trial", "direction")
    # the MOP mouse acts far more variably than the R mouse (also at the smoke budget)
    assert result.summary["MOP"]["action_entropy"] > 2 * result.summary["R"]["action_entropy"]
    sweep = xr.load_dataset(tmp_path / "predator_prey_food_sweep.nc")
    validate(sweep, kind="auto")
    assert sweep["lifetime"].dims == ("food_gain", "agent", "trial")
    assert list(sweep["agent"].values) == ["MOP", "R", "MOP, authors' values",
                                           "R, authors' epsilon"]
    # the authors' mice are compared with the authors' MOP and R lifetimes
    np.testing.assert_array_equal(
        sweep["authors_lifetime_mean"].sel(agent="MOP, authors' values"),
        sweep["authors_lifetime_mean"].sel(agent="MOP"))
    assert set(result.summary["lifetime_max_abs_z_vs_authors"]) == set(sweep["agent"].values)
    assert list(sweep["food_gain"].values) == [13, 15]
    assert float(sweep["authors_lifetime_mean"].sel(food_gain=15, agent="MOP")) == 116.3
    assert float(sweep["authors_clockwise_mean"].sel(food_gain=15, agent="R")) == 0.944
    assert sweep["clockwise_fraction_authors_rule"].dims == ("food_gain", "agent")
    assert (sweep["action_entropy"].sel(agent="MOP") > sweep["action_entropy"].sel(agent="R")
            ).all()
    assert (tmp_path / "predator_prey_food_sweep.png").stat().st_size > 0
    assert "authors" in result.table and set(result.summary["food_sweep"]) == {"F=13", "F=15"}


def test_predator_prey_authors_conventions_leave_the_package_mice_unchanged():
    kw = dict(food_gains=(13,), n_trials=6, n_steps=150)
    with_theirs = PredatorPreyStudy.for_budget("smoke", **kw).food_sweep(progress=False)
    without = PredatorPreyStudy.for_budget("smoke", authors_conventions=False,
                                           **kw).food_sweep(progress=False)
    assert list(without["agent"].values) == ["MOP", "R"]
    np.testing.assert_array_equal(with_theirs["lifetime"].sel(agent=["MOP", "R"]).values,
                                  without["lifetime"].values)


@pytest.mark.parametrize("budget", ["smoke", "default", "paper"])
@pytest.mark.parametrize("cls", [FourRoomsStudy, NoisyTVStudy, PredatorPreyStudy,
                                 AgentPetStudy, HalfArenaStudy, CartpoleGridStudy])
def test_budgets_are_valid_configurations(cls, budget):
    study = cls.for_budget(budget)
    assert study.budget == budget


def test_half_arena_study_smoke_writes_readable_outputs_and_resumes(tmp_path, capsys):
    study = HalfArenaStudy.for_budget("smoke")
    result = study.run(tmp_path, progress=True)
    ds = xr.load_dataset(tmp_path / "half_arena.nc")
    validate(ds, kind="auto")
    assert ds["fraction_noisy_half"].dims == ("beta", "eta", "trial")
    assert ds["occupancy"].dims == ("beta", "eta", "window", "x", "theta")
    assert ((ds["fraction_noisy_half"] >= 0) & (ds["fraction_noisy_half"] <= 1)).all()
    assert (tmp_path / "half_arena.png").stat().st_size > 0
    assert "authors_fraction" in result.table
    assert set(result.summary["rises_then_falls"]) == {"beta=0", "beta=1"}
    assert len(list((tmp_path / "cells").glob("*.nc"))) == 4
    capsys.readouterr()
    # a rerun of the same settings reuses every finished cell and gives the same numbers
    again = study.run(tmp_path, progress=True)
    assert "MOP beta" not in capsys.readouterr().out
    assert again.summary["fraction_noisy_half"] == result.summary["fraction_noisy_half"]


def test_half_arena_rerun_with_other_settings_is_refused(tmp_path):
    HalfArenaStudy.for_budget("smoke").run(tmp_path, progress=False)
    with pytest.raises(ValueError, match="other settings"):
        HalfArenaStudy.for_budget("smoke", seed=1).run(tmp_path, progress=False)
    fresh = HalfArenaStudy.for_budget("smoke", seed=1).run(tmp_path, resume=False,
                                                            progress=False)
    assert fresh.summary["fraction_noisy_half"]


def test_authors_starts_and_reference_table():
    s = authors_half_arena_starts(500, 1.8, random_state=0)
    assert np.all(s[:, 3] == -0.9)
    assert np.allclose(np.unique(np.round(np.degrees(s[:, :3]), 6)), np.arange(-5, 6) / 10)
    for key in ("fraction", "lifetime"):
        for beta in (0.0, 1.0):
            for column in AUTHORS_HALF_ARENA[key][beta]:
                assert len(column) == len(AUTHORS_HALF_ARENA["eta"])


def test_mean_interval_matches_a_t_interval():
    values = xr.DataArray(np.array([[1.0, 2.0, 3.0, 4.0], [2.0, 2.0, 2.0, 2.0]]),
                          dims=("beta", "trial"))
    m = mean_interval(values)
    assert float(m["mean"][0]) == 2.5
    half = 3.182446305284263 * np.std([1, 2, 3, 4], ddof=1) / 2  # t(0.975, 3)
    assert float(m["high"][0] - m["mean"][0]) == pytest.approx(half)
    assert float(m["sem"][1]) == 0.0


def test_cartpole_grid_study_smoke(tmp_path):
    result = CartpoleGridStudy.for_budget("smoke").run(tmp_path, progress=False)
    ds = xr.load_dataset(tmp_path / "cartpole_grid.nc")
    validate(ds, kind="auto")
    assert list(ds["agent"].values) == ["MOP", "R eps=0", "R eps=0.3"]
    assert ds["lifetime"].dims == ("agent", "trial")
    assert (tmp_path / "cartpole_grid.png").stat().st_size > 0
    # MOP chooses its forces far more variably than the greedy R agent (also at smoke size)
    assert result.summary["MOP"]["action_entropy_mean"] > 10 * result.summary["R eps=0"][
        "action_entropy_mean"]
    assert "authors_lifetime" in result.table


def test_cartpole_authors_starts_and_reference():
    s = authors_cartpole_starts(300, random_state=1)
    assert s.shape == (300, 4)
    assert np.abs(np.degrees(s)).max() == pytest.approx(0.5)
    assert set(AUTHORS_CARTPOLE["R"]) == {0.0, 0.05, 0.1, 0.15, 0.2, 0.25, 0.3, 0.35, 0.4}


def test_mop_figures_runs_one_figure_through_the_cli_and_resumes(tmp_path, capsys):
    from neuromop.cli import main

    out = tmp_path / "figs"
    assert main(["run", "mop-figures", "--figure", "5", "--budget", "smoke", "--out", str(out),
                 "--no-progress"]) == 0
    printed = capsys.readouterr().out
    assert "authors-loop" in printed
    report = (out / "mop_figures.md").read_text()
    assert "## Figure 5" in report and "## Figure 2" not in report
    assert "![agent-pet: agent_pet](agent-pet/agent_pet.png)" in report
    assert (out / "agent-pet" / "agent_pet.png").stat().st_size > 0
    validate(xr.load_dataset(out / "agent-pet" / "agent_pet.nc"), kind="auto")
    first = (out / "agent-pet" / "table.txt").read_text()
    # the same settings resume study by study; other settings are refused
    assert main(["run", "mop-figures", "--figure", "5", "--budget", "smoke", "--out", str(out),
                 "--no-progress"]) == 0
    assert (out / "agent-pet" / "table.txt").read_text() == first
    with pytest.raises(ValueError, match="other settings"):
        MOPFiguresStudy.for_budget("smoke", figure="5", seed=3).run(out, progress=False)


def test_mop_figures_maps_every_figure_to_its_studies():
    study = MOPFiguresStudy.for_budget("smoke", figure="all")
    assert [s.name for s in study.studies()] == [
        "four-rooms", "noisy-tv", "cartpole-grid", "cartpole-half-arena", "predator-prey",
        "agent-pet"]
    assert all(s.budget == "smoke" and s.seed == 2024 for s in study.studies())
    assert [s.name for s in MOPFiguresStudy(figure="3").studies()] == [
        "cartpole-grid", "cartpole-half-arena"]
    with pytest.raises(ValueError, match="figure"):
        MOPFiguresStudy(figure="6")


def test_half_arena_cli_takes_the_authors_conventions(tmp_path):
    import json

    from neuromop.cli import main

    out = tmp_path / "ha"
    assert main(["run", "cartpole-half-arena", "--budget", "smoke", "--convention", "authors",
                 "--dead-entropy", "--out", str(out), "--no-progress"]) == 0
    settings = json.loads((out / "summary.json").read_text())["settings"]
    assert settings["convention"] == "authors" and settings["dead_entropy"] is True
    ds = xr.load_dataset(out / "half_arena.nc")
    validate(ds, kind="auto")
