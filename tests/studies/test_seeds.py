"""A controller study over root seeds: per-seed runs, the summary over seeds, the CLI flag."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch
import xarray as xr
from scipy import stats

from neuromop.cli import main
from neuromop.data import load, validate
from neuromop.studies import CorridorStudy
from neuromop.studies.protocol import SettingsMismatchError
from neuromop.studies.seeds import (
    format_seed_table,
    run_over_seeds,
    scalar_metrics,
    seed_dataset,
    seed_summary,
)


@pytest.fixture(scope="module")
def corridor_seeds(tmp_path_factory):
    out = tmp_path_factory.mktemp("corridor_seeds")
    previous = torch.get_num_threads()
    torch.set_num_threads(1)
    study = CorridorStudy.for_budget("smoke", epochs=2)
    result = run_over_seeds(study, (0, 1, 2), out, progress=False)
    torch.set_num_threads(previous)
    return result, out, study


def test_each_seed_is_the_study_run_with_that_seed(corridor_seeds):
    result, out, _ = corridor_seeds
    ds = result.datasets["seeds"]
    assert ds["seed"].values.tolist() == [0, 1, 2]
    assert ds["controller"].values.tolist() == ["free", "random", "MOP"]
    for s in (0, 1, 2):
        run = json.loads((out / f"seed_{s}" / "summary.json").read_text())
        assert run["settings"]["seed"] == s
        for c, metrics in run["summary"]["controllers"].items():
            assert float(ds["lifetime"].sel(seed=s, controller=c)) == metrics["lifetime"]
            assert float(ds["room_crossings"].sel(seed=s, controller=c)) == (
                metrics["room_crossings"])
    # different root seeds are different networks: the free network's lifetimes differ
    assert len(set(ds["lifetime"].sel(controller="free").values.tolist())) > 1
    # training histories per epoch; the untrained baselines have none
    assert ds["history_lifetime_restricted"].dims == ("seed", "controller", "epoch")
    assert np.isfinite(ds["history_lifetime_restricted"].sel(controller="MOP")).all()
    assert np.isnan(ds["history_lifetime_restricted"].sel(controller="free")).all()


def test_summary_is_the_mean_and_student_t_interval_over_seeds(corridor_seeds):
    result, _, _ = corridor_seeds
    frame = result.frames["seeds_table"]
    ds = result.datasets["seeds"]
    row = frame[(frame["comparison"] == "MOP") & (frame["metric"] == "lifetime")].iloc[0]
    values = ds["lifetime"].sel(controller="MOP").values
    half = stats.t.ppf(0.975, 2) * values.std(ddof=1) / np.sqrt(3)
    assert row["mean"] == pytest.approx(values.mean())
    assert (row["low"], row["high"]) == pytest.approx((values.mean() - half, values.mean() + half))
    assert row["n_seeds"] == 3
    diff = frame[(frame["comparison"] == "MOP - free") & (frame["metric"] == "lifetime")]
    paired = values - ds["lifetime"].sel(controller="free").values
    assert diff.iloc[0]["mean"] == pytest.approx(paired.mean())
    # a metric only MOP reports has no paired difference and no rows for the others
    region = frame[frame["metric"] == "entropy_by_region_corridor"]
    assert set(region["comparison"]) == {"MOP"}


def test_outputs_validate_and_read_back(corridor_seeds):
    result, out, _ = corridor_seeds
    back = load(out / "seeds.nc")
    validate(back, kind="result")
    xr.testing.assert_allclose(back[["lifetime", "survival"]],
                               result.datasets["seeds"][["lifetime", "survival"]])
    prov = json.loads(back.attrs["parameters"])
    assert prov["seeds"] == [0, 1, 2] and prov["budget"] == "smoke"
    assert (out / "corridor_seeds.png").stat().st_size > 0
    assert "corridor over seeds 0, 1, 2" in (out / "table.txt").read_text()
    assert (out / "seeds_table.csv").exists()
    # every per-seed rollout goes into neuromop analyze
    assert main(["analyze", "variability", str(out / "seed_1" / "rollout_mop.nc"),
                 "--out", str(out / "analysis")]) == 0


def test_resumes_only_the_same_seeds(corridor_seeds):
    _, out, study = corridor_seeds
    again = run_over_seeds(study, (0, 1, 2), out, progress=False)  # all checkpoints reused
    assert again.summary["rows"] == corridor_seeds[0].summary["rows"]
    with pytest.raises(SettingsMismatchError, match="seeds"):
        run_over_seeds(study, (0, 1), out, progress=False)


@pytest.mark.parametrize("seeds, error, match", [
    ((0,), ValueError, "at least 2"),
    ((1, 1), ValueError, "distinct"),
    ((0, -1), ValueError, "seeds"),
    ("01", TypeError, "sequence of ints"),
    ((0, 1.5), TypeError, "seeds"),
])
def test_bad_seeds_are_refused_before_anything_is_written(tmp_path, seeds, error, match):
    with pytest.raises(error, match=match):
        run_over_seeds(CorridorStudy.for_budget("smoke"), seeds, tmp_path / "x")
    assert not (tmp_path / "x").exists()


def test_scalar_metrics_flattens_dicts_and_drops_lists_and_standard_errors():
    got = scalar_metrics({"MOP": {"lifetime": 3, "lifetime_sem": 0.5, "ok": True,
                                  "entropy_by_region": {"left room": 1.0, "corridor": 0.5},
                                  "entropy_by_distance": {"distance": [0.1], "entropy": [2.0]}}})
    assert got == {"MOP": {"lifetime": 3.0, "entropy_by_region_left_room": 1.0,
                           "entropy_by_region_corridor": 0.5}}


def test_seed_dataset_refuses_runs_of_other_controllers():
    from neuromop.studies.protocol import StudyResult

    a = StudyResult("x", {}, "", {"controllers": {"MOP": {"lifetime": 1.0}}})
    b = StudyResult("x", {}, "", {"controllers": {"R": {"lifetime": 1.0}}})
    with pytest.raises(ValueError, match="must share their settings"):
        seed_dataset({0: a, 1: b})


def test_table_prints_mean_and_half_width_and_the_paired_differences():
    from neuromop.studies.protocol import StudyResult

    runs = {s: StudyResult("x", {}, "", {"controllers": {
        "MOP": {"lifetime": 10.0 + s}, "R": {"lifetime": 5.0}}}) for s in (0, 1, 2)}
    frame = seed_summary(seed_dataset(runs))
    text = format_seed_table(frame, title="t")
    half = stats.t.ppf(0.975, 2) * 1.0 / np.sqrt(3)
    assert f"11 ± {half:.2g}" in text
    assert "MOP - R" in text and f"6 ± {half:.2g}" in text


def test_the_title_names_the_settings_that_differ_from_the_budget(corridor_seeds):
    result, out, _ = corridor_seeds
    assert "(budget smoke, epochs=2, 3 runs)" in (out / "table.txt").read_text()
    assert "seed=" not in (out / "table.txt").read_text().splitlines()[0]


def test_cli_seeds_flag(tmp_path, capsys):
    code = main(["run", "corridor", "--budget", "smoke", "--seeds", "0", "1",
                 "--out", str(tmp_path / "c"), "--no-progress"])
    assert code == 0
    printed = capsys.readouterr().out
    assert "corridor over seeds 0, 1" in printed and "paired difference" in printed
    assert (tmp_path / "c" / "seed_0" / "rollout_mop.nc").exists()


def test_cli_seed_and_seeds_exclude_each_other(tmp_path, capsys):
    with pytest.raises(SystemExit) as exc:
        main(["run", "corridor", "--budget", "smoke", "--seed", "1", "--seeds", "0", "1",
              "--out", str(tmp_path / "c")])
    assert exc.value.code == 2
    assert "not allowed with argument" in capsys.readouterr().err
    assert not (tmp_path / "c").exists()


def test_cli_negative_seeds_exit_with_code_2(tmp_path, capsys):
    assert main(["run", "corridor", "--seeds", "0", "-1", "--out", str(tmp_path / "c")]) == 2
    assert "--seeds" in capsys.readouterr().err
    assert not (tmp_path / "c").exists()


def test_studies_without_controllers_take_no_seeds_flag(tmp_path, capsys):
    with pytest.raises(SystemExit):
        main(["run", "four-rooms", "--seeds", "0", "1", "--out", str(tmp_path / "f")])
    assert "unrecognized arguments: --seeds" in capsys.readouterr().err
