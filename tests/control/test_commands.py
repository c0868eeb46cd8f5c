"""``neuromop run energy|square`` at the smoke budget."""

from __future__ import annotations

import json

import pytest
import torch

from neuromop.cli import build_parser, main


@pytest.fixture(autouse=True)
def _restore_torch_threads():
    previous = torch.get_num_threads()
    yield
    torch.set_num_threads(previous)


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
    summary = json.loads((out / "summary.json").read_text())["summary"]
    assert summary["MOP"]["lifetime"] > 2 * summary["free"]["lifetime"]
    assert summary["MOP"]["action_entropy"] > summary["R"]["action_entropy"]
    ebd = summary["MOP"]["entropy_by_distance"]
    # entropy closest to the threshold is below the entropy farthest from it
    assert ebd["entropy"][0] < ebd["entropy"][-1]


def test_rerun_resumes_from_checkpoints(energy_run, capsys):
    _, out = energy_run
    before = json.loads((out / "summary.json").read_text())["histories"]["MOP"]
    assert main(["run", "energy", "--budget", "smoke", "--out", str(out), "--no-progress"]) == 0
    after = json.loads((out / "summary.json").read_text())["histories"]["MOP"]
    assert [h["lifetime"] for h in after] == [h["lifetime"] for h in before]
    assert "wall time" in capsys.readouterr().out


def test_run_group_lists_tasks():
    text = build_parser().parse_args(["run", "energy", "--budget", "smoke"])
    assert text.budget == "smoke" and callable(text.func)


def test_bad_arguments_exit_with_code_2(tmp_path, capsys):
    assert main(["run", "energy", "--seed", "-1", "--out", str(tmp_path)]) == 2
    assert "--seed" in capsys.readouterr().err


def test_square_smoke_mop_stays_inside_and_greedy_r_with_large_epsilon_leaves(tmp_path):
    previous = torch.get_num_threads()
    code = main(["run", "square", "--budget", "smoke", "--out", str(tmp_path), "--no-progress"])
    torch.set_num_threads(previous)
    assert code == 0
    summary = json.loads((tmp_path / "summary.json").read_text())["summary"]
    assert summary["MOP"]["survival"] >= 0.9
    assert summary["MOP"]["lifetime"] > 3 * summary["free"]["lifetime"]
    assert summary["R eps=0.2"]["survival"] < summary["MOP"]["survival"]
    assert summary["MOP"]["action_entropy"] > summary["R eps=0.2"]["action_entropy"]


def _smoke(task: str, out) -> dict:
    previous = torch.get_num_threads()
    code = main(["run", task, "--budget", "smoke", "--out", str(out), "--no-progress"])
    torch.set_num_threads(previous)
    assert code == 0
    return json.loads((out / "summary.json").read_text())


def test_shapes_smoke_mop_survives_in_every_context(tmp_path):
    from neuromop.envs import SHAPES

    summary = _smoke("shapes", tmp_path)["summary"]
    for shape, _ in SHAPES:
        assert summary[f"MOP {shape}"]["survival"] >= 0.9, shape
        assert summary[f"MOP {shape}"]["lifetime"] > summary[f"free {shape}"]["lifetime"], shape


def test_reward_smoke_mu_moves_occupancy_into_the_inner_square(tmp_path):
    summary = _smoke("reward", tmp_path)["summary"]
    assert summary["MOP mu=4"]["inner_occupancy"] > summary["MOP mu=0"]["inner_occupancy"] + 0.2
    assert summary["MOP mu=4"]["action_entropy"] < summary["MOP mu=0"]["action_entropy"]


def test_corridor_smoke_low_entropy_in_the_corridor(tmp_path):
    summary = _smoke("corridor", tmp_path)["summary"]
    assert summary["MOP"]["lifetime"] > 3 * summary["free"]["lifetime"]
    regions = summary["MOP"]["entropy_by_region"]
    assert regions["corridor"] < regions["left room"]


def test_cartpole_smoke_lifetime_grows_with_training(tmp_path):
    result = _smoke("cartpole", tmp_path)
    summary, hist = result["summary"], result["histories"]["MOP"]
    assert summary["MOP"]["lifetime"] > 2 * summary["random"]["lifetime"]
    assert hist[-1]["lifetime"] > 2 * hist[0]["lifetime"]


def test_beta_sweep_smoke_state_entropy_reduces_saturation(tmp_path):
    summary = _smoke("beta-sweep", tmp_path)["summary"]
    assert 0 <= summary["MOP beta=0.02"]["saturation"] < summary["MOP beta=0"]["saturation"]
    assert summary["MOP beta=0.02"]["activity_std"] > summary["MOP beta=0"]["activity_std"]
