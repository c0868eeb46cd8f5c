"""``neuromop fit rnn``: files written, report contents, resume, clear errors."""

from __future__ import annotations

import json

import numpy as np
import pytest

from neuromop.cli import main
from neuromop.data.io import save
from neuromop.fit.baselines import simulate_teacher_dataset
from neuromop.fit.rnn import RateRNNRegressor


@pytest.fixture
def dataset_path(tmp_path):
    ds, _ = simulate_teacher_dataset(n_trials=30, n_time=12, n_units=4, n_neurons=5,
                                     random_state=2)
    return save(ds.drop_vars("expected_counts"), tmp_path / "data.nc")


def _argv(path, out, *extra):
    return ["fit", "rnn", str(path), "--units", "4", "--epochs", "3", "--out", str(out),
            "--seed", "1", "--inputs", "u0", "u1", "--condition", "condition", "--no-progress",
            *extra]


def test_fit_rnn_writes_model_report_and_figures(dataset_path, tmp_path):
    out = tmp_path / "fit"
    assert main(_argv(dataset_path, out)) == 0
    for name in ("model.pt", "report.json", "report.md", "fit_loss.png", "fit_spectrum.png",
                 "fit_r2.png", "fit_variability.png", "checkpoint/rnn_fit_checkpoint.pt"):
        assert (out / name).is_file(), name
    report = json.loads((out / "report.json").read_text())
    assert report["heldout"]["metric"] == "bits_per_spike"
    assert report["heldout"]["n_test_trials"] == 6
    assert len(report["per_neuron_r2"]["rnn"]) == 5
    assert set(report["variability"]) == {"data", "rnn_sample", "rnn_sample_no_noise"}
    model = RateRNNRegressor.load(out / "model.pt")
    assert report["spectrum"]["radius"] == pytest.approx(np.max(np.abs(model.spectrum())),
                                                         rel=1e-6)
    assert "| rnn |" in (out / "report.md").read_text()


def test_fit_rnn_resume_continues(dataset_path, tmp_path):
    out = tmp_path / "fit"
    assert main(_argv(dataset_path, out)) == 0
    argv = _argv(dataset_path, out, "--resume")
    argv[argv.index("--epochs") + 1] = "5"
    assert main(argv) == 0
    report = json.loads((out / "report.json").read_text())
    assert report["history"]["epoch"] == [0, 1, 2, 3, 4]


def test_fit_rnn_does_not_silently_redo_an_interrupted_fit(dataset_path, tmp_path, capsys):
    """Issue 18 item 12: a fit killed before its outputs leaves a checkpoint; rerunning without
    --resume stops and says how to go on, instead of retraining from epoch 0 over it."""
    out = tmp_path / "fit"
    assert main(_argv(dataset_path, out)) == 0
    (out / "model.pt").unlink()  # as a kill between the last checkpoint and the outputs
    (out / "report.json").unlink()
    checkpoint = out / "checkpoint" / "rnn_fit_checkpoint.pt"
    before = checkpoint.read_bytes()
    assert main(_argv(dataset_path, out)) == 2
    err = capsys.readouterr().err
    assert "--resume" in err and "--overwrite" in err and "Traceback" not in err
    assert checkpoint.read_bytes() == before
    assert main(_argv(dataset_path, out, "--resume")) == 0
    assert main(_argv(dataset_path, out, "--overwrite")) == 0


def test_fit_rnn_removes_what_a_killed_writer_left(dataset_path, tmp_path):
    out = tmp_path / "fit"
    out.mkdir()
    orphan = out / ".fit_spectrum.png.tmp-1bx1b8sk.png"  # as a kill -9 mid-write leaves it
    orphan.write_bytes(b"half a png")
    assert main(_argv(dataset_path, out, "--resume")) == 0
    assert not orphan.exists()


def test_fit_rnn_loaded_model_predicts_like_fitted(dataset_path, tmp_path):
    from neuromop.data.io import load

    out = tmp_path / "fit"
    assert main(_argv(dataset_path, out)) == 0
    model = RateRNNRegressor.load(out / "model.pt")
    ds = load(dataset_path)
    rate = model.predict(ds)["rate"].values
    assert rate.shape == (30, 12, 5) and np.all(rate > 0)


def test_fit_rnn_missing_file_is_clear_error(tmp_path, capsys):
    assert main(_argv(tmp_path / "nope.nc", tmp_path / "o")) == 2
    assert "does not exist" in capsys.readouterr().err


def test_fit_rnn_unknown_input_is_clear_error(dataset_path, tmp_path, capsys):
    argv = _argv(dataset_path, tmp_path / "o")
    argv[argv.index("u1")] = "stimulus"
    assert main(argv) == 2
    assert "'stimulus'" in capsys.readouterr().err


def test_fit_rnn_gaussian_reports_no_spike_count_metrics(dataset_path, tmp_path):
    out = tmp_path / "fit"
    assert main(_argv(dataset_path, out, "--observation", "gaussian")) == 0
    report = json.loads((out / "report.json").read_text())
    assert report["heldout"]["metric"] == "r2"
    assert report["variability"] == {}
    assert "need Poisson observations" in (out / "report.md").read_text()
    assert not (out / "fit_variability.png").exists()
