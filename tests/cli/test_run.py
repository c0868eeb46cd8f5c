"""``neuromop run NAME``: every study is a command; energy and square end to end at smoke."""

from __future__ import annotations

import json

import pytest
import torch

from neuromop.cli import build_parser, main


@pytest.fixture(scope="module")
def energy_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("energy")
    previous = torch.get_num_threads()
    code = main(["run", "energy", "--budget", "smoke", "--out", str(out), "--no-progress"])
    torch.set_num_threads(previous)
    return code, out


def test_energy_smoke_writes_outputs(energy_run, capsys):
    code, out = energy_run
    assert code == 0
    for name in ("summary.json", "table.txt", "energy_task.png", "rollout_mop.nc",
                 "rollout_free.nc", "rollout_r.nc", "mop/checkpoint.pt"):
        assert (out / name).exists(), name
    table = (out / "table.txt").read_text()
    for row in ("free", "random", "MOP", "R"):
        assert any(line.startswith(row) for line in table.splitlines())


def test_energy_smoke_mop_outlives_the_free_network(energy_run):
    _, out = energy_run
    summary = json.loads((out / "summary.json").read_text())["summary"]["controllers"]
    assert summary["MOP"]["lifetime"] > 2 * summary["free"]["lifetime"]
    assert summary["MOP"]["action_entropy"] > summary["R"]["action_entropy"]
    ebd = summary["MOP"]["entropy_by_distance"]
    # entropy closest to the threshold is below the entropy farthest from it
    assert ebd["entropy"][0] < ebd["entropy"][-1]


@pytest.mark.parametrize("controller", ["mop", "r", "free", "random"])
def test_energy_rollouts_validate_and_go_back_into_analyze(energy_run, controller, tmp_path,
                                                           capsys):
    from neuromop.data import load, validate

    _, out = energy_run
    path = out / f"rollout_{controller}.nc"
    assert validate(load(path), kind="auto") == []
    assert main(["analyze", "variability", str(path), "--out", str(tmp_path)]) == 0
    report = json.loads((tmp_path / "variability.json").read_text())
    assert report["kind"] == "rates" and report["variable"] == "activity"
    summary = json.loads((out / "summary.json").read_text())["summary"]["controllers"]
    name = {"mop": "MOP", "r": "R", "free": "free", "random": "random"}[controller]
    # the report's lifetime is the study's
    assert report["agent"]["lifetime_mean"] == pytest.approx(summary[name]["lifetime"])
    assert (tmp_path / "across_trial_std.png").exists()


def test_rerun_resumes_from_checkpoints(energy_run, capsys):
    _, out = energy_run
    before = json.loads((out / "summary.json").read_text())["summary"]["histories"]["MOP"]
    assert main(["run", "energy", "--budget", "smoke", "--out", str(out), "--no-progress"]) == 0
    after = json.loads((out / "summary.json").read_text())["summary"]["histories"]["MOP"]
    assert [h["lifetime"] for h in after] == [h["lifetime"] for h in before]
    assert "wall time" in capsys.readouterr().out


def test_run_group_lists_tasks():
    text = build_parser().parse_args(["run", "energy", "--budget", "smoke"])
    assert text.budget == "smoke" and callable(text.func)


def test_bad_arguments_exit_with_code_2(tmp_path, capsys):
    assert main(["run", "energy", "--seed", "-1", "--out", str(tmp_path)]) == 2
    assert "--seed" in capsys.readouterr().err


def test_square_smoke_training_helps_mop_and_greedy_r_with_large_epsilon_leaves(tmp_path):
    # Smoke budget (4 epochs, 40 neurons), seed 0. Checked on seeds 0-3: MOP outlives the
    # untrained controller (seed 3: both survive every start) and R eps=0.2 on every one.
    previous = torch.get_num_threads()
    code = main(["run", "square", "--budget", "smoke", "--out", str(tmp_path), "--no-progress"])
    torch.set_num_threads(previous)
    assert code == 0
    summary = json.loads((tmp_path / "summary.json").read_text())["summary"]["controllers"]
    assert summary["MOP"]["lifetime"] > summary["untrained MOP"]["lifetime"]
    assert summary["MOP"]["survival"] > summary["untrained MOP"]["survival"]
    assert summary["MOP"]["lifetime"] > 3 * summary["free"]["lifetime"]
    assert summary["R eps=0.2"]["survival"] < summary["MOP"]["survival"]
    assert summary["MOP"]["action_entropy"] > summary["R eps=0.2"]["action_entropy"]


def test_every_study_is_a_run_command():
    from neuromop.studies import STUDIES

    for name in STUDIES:
        args = build_parser().parse_args(["run", name, "--budget", "smoke"])
        assert args.budget == "smoke" and callable(args.func)


def test_a_rerun_with_other_settings_stops_with_a_clear_error(energy_run, capsys):
    _, out = energy_run
    assert main(["run", "energy", "--budget", "smoke", "--seed", "5", "--out", str(out),
                 "--no-progress"]) == 2
    err = capsys.readouterr().err
    assert "other settings" in err and "seed: 0 there, 5 now" in err and "--no-resume" in err


def test_study_options_reach_the_configuration():
    args = build_parser().parse_args(["run", "spiking-energy", "--method", "softq",
                                      "--design", "halves_50ms"])
    assert (args.method, args.design) == ("softq", "halves_50ms")


@pytest.mark.parametrize("study", ["value-calibration", "values-ofc"])
def test_value_studies_take_the_population_statistic_from_the_command_line(study, capsys):
    from neuromop.studies import STUDIES

    args = build_parser().parse_args(["run", study, "--budget", "smoke",
                                      "--population-statistic", "sum"])
    overrides = {k: getattr(args, k) for k in STUDIES[study].OPTIONS
                 if getattr(args, k) is not None}  # as the handler does: unset flags keep defaults
    configured = STUDIES[study].for_budget("smoke", **overrides)
    assert (configured.population_statistic, configured.intersection_test) == ("sum", "max_z")
    assert STUDIES[study].for_budget("smoke").population_statistic == "auto"
    args = build_parser().parse_args(["run", study, "--intersection-test", "any"])
    assert STUDIES[study].for_budget("smoke", intersection_test=args.intersection_test
                                     ).intersection_test == "any"
    with pytest.raises(SystemExit):
        build_parser().parse_args(["run", study, "--population-statistic", "median"])
    assert "invalid choice: 'median'" in capsys.readouterr().err


@pytest.mark.parametrize("task", ["energy", "cartpole", "corridor"])
def test_controller_studies_take_epochs_replay_and_learning_rate_from_the_command_line(task):
    from neuromop.studies import STUDIES

    args = build_parser().parse_args(["run", task, "--budget", "smoke", "--epochs", "7",
                                      "--replay-epochs", "4", "--final-learning-rate", "2e-4"])
    overrides = {k: getattr(args, k) for k in STUDIES[task].OPTIONS
                 if getattr(args, k) is not None}  # as the handler does
    study = STUDIES[task].for_budget("smoke", **overrides)
    assert (study.epochs, study.replay_epochs, study.final_learning_rate) == (7, 4, 2e-4)


def test_a_final_learning_rate_above_the_initial_one_is_refused_by_name(tmp_path, capsys):
    out = tmp_path / "run"
    assert main(["run", "corridor", "--final-learning-rate", "0.01", "--out", str(out)]) == 2
    assert "final_learning_rate" in capsys.readouterr().err
    assert not out.exists()


def test_a_training_size_below_one_is_refused_before_anything_is_written(tmp_path, capsys):
    out = tmp_path / "run"
    assert main(["run", "energy", "--epochs", "0", "--out", str(out)]) == 2
    assert "epochs must be >= 1, got 0" in capsys.readouterr().err
    assert not out.exists()


def test_value_calibration_takes_its_nulls_from_the_command_line(capsys):
    from neuromop.studies import STUDIES

    cls = STUDIES["value-calibration"]
    args = build_parser().parse_args(["run", "value-calibration", "--nulls", "linear_shift",
                                      "pseudo"])
    assert cls.for_budget("smoke", nulls=args.nulls).nulls == ("linear_shift", "pseudo")
    assert cls.for_budget("smoke").nulls == ("shift", "pseudo")
    with pytest.raises(SystemExit):
        build_parser().parse_args(["run", "value-calibration", "--nulls", "block"])
    assert "invalid choice: 'block'" in capsys.readouterr().err


def test_value_calibration_takes_harris_bound_from_the_command_line():
    from neuromop.studies import STUDIES

    cls = STUDIES["value-calibration"]
    args = build_parser().parse_args(["run", "value-calibration", "--nulls", "linear_shift",
                                      "--linear-shift-p", "conservative", "--n-null", "198"])
    study = cls.for_budget("default", nulls=args.nulls, linear_shift_p=args.linear_shift_p,
                           n_null=args.n_null)
    assert (study.linear_shift_p, study.n_null) == ("conservative", 198)


@pytest.mark.parametrize(("task", "k"), [("energy", 32), ("square", 32), ("shapes", 33)])
def test_rate_rnn_studies_take_the_candidate_count_from_the_command_line(task, k):
    from neuromop.studies import STUDIES

    args = build_parser().parse_args(["run", task, "--n-candidates", str(k)])
    study = STUDIES[task].for_budget("smoke", n_candidates=args.n_candidates)
    assert study.n_candidates == k and study.make_env().n_candidates == k
    assert build_parser().parse_args(["run", task]).n_candidates is None  # the study's own
