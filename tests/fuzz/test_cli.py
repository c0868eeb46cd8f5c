"""Bad invocations of every command group: one line and exit code 2, never a traceback.

Each case is ``(argv, expected exit code)``; ``{name}`` in an argument is replaced by the path of
an input file of :func:`inputs` (malformed or not) or ``{tmp}`` by the case's own folder. A
handler error must print exactly one ``neuromop: error: ...`` line (not an internal exception
such as ``KeyError``, and without the "looks like a bug" hint); an argparse error its usage and
one ``error:`` line; a valid call exits 0. No case trains a model: every ``run`` and ``fit``
case fails at parsing or validation, before any training.
"""

from __future__ import annotations

import json
import re

import numpy as np
import pytest
import xarray as xr

from neuromop.cli import main
from neuromop.data import make_spiking_dataset, save
from neuromop.fit import simulate_teacher_dataset
from neuromop.studies import STUDIES
from neuromop.values import simulate_value_population

USAGE = 2  # argparse's exit code for a bad command line (SystemExit)
#: Exceptions whose name in an error line means a bug, not an answer to the user.
INTERNAL = ("KeyError", "IndexError", "AttributeError", "ZeroDivisionError", "NameError",
            "UnboundLocalError", "UFuncTypeError", "object is not", "unhashable")


@pytest.fixture(scope="module")
def inputs(tmp_path_factory) -> dict[str, str]:
    """Input files, valid and malformed, shared by the cases (written once)."""
    root = tmp_path_factory.mktemp("cli_inputs")
    counts = make_spiking_dataset(12, 6, 8, 0.05, n_conditions=2, random_state=0)
    files = {"counts": save(counts, root / "counts.nc")}

    def raw(name: str, ds: xr.Dataset):
        path = root / f"{name}.nc"
        ds.to_netcdf(path, engine="h5netcdf")
        files[name] = path

    c = counts["counts"]
    raw("nan_counts", counts.assign(counts=c.astype(float).where(c.trial != 3)))
    raw("negative", counts.assign(counts=-c - 1))
    raw("one_trial", counts.isel(trial=[0]))
    raw("solution", xr.Dataset({"V": ("state", np.zeros(4))}))
    values = simulate_value_population(n_neurons=4, n_trials=40, random_state=1)
    files["values"] = save(values.drop_vars(["offer_A", "offer_B"]), root / "values.nc")
    raw("other_trials", xr.Dataset({"value_soft": ("trial", np.arange(40.0))},
                                   coords={"trial": np.arange(40) + 100}))
    teacher, _ = simulate_teacher_dataset(n_trials=12, n_time=6, n_units=3, n_neurons=4,
                                          random_state=3)
    files["teacher"] = save(teacher, root / "teacher.nc")
    (root / "empty.nc").write_bytes(b"")
    (root / "text.nc").write_text("not a netCDF file\n")
    (root / "truncated.nc").write_bytes(files["counts"].read_bytes()[:300])
    (root / "folder").mkdir()
    (root / "a_file").write_text("x")
    for name in ("empty", "text", "truncated", "folder", "a_file"):
        files[name] = root / name if name in ("folder", "a_file") else root / f"{name}.nc"
    files["missing"] = root / "missing.nc"
    return {k: str(v) for k, v in files.items()}


SOLVE = ["mdp", "solve"]
ROLL = ["mdp", "rollout"]
VAR = ["analyze", "variability", "{counts}", "--out", "{tmp}/v"]
VAL = ["analyze", "values", "{values}", "--n-null", "9", "--alpha", "0.1", "--out", "{tmp}/o"]
FIT = ["fit", "rnn", "{teacher}", "--out", "{tmp}/f", "--no-progress", "--epochs", "1"]
#: (id, argv, exit code, folders/files that exist before the call (relative to {tmp}))
CASES = [
    # ---- top level
    ("no-arguments", [], USAGE),
    ("unknown-group", ["bogus"], USAGE),
    ("group-without-command", ["mdp"], USAGE),
    # ---- mdp solve
    ("solve-valid", [*SOLVE, "recycling", "--out", "{tmp}/s.nc"], 0),
    ("solve-unknown-world", [*SOLVE, "bogus"], USAGE),
    ("solve-missing-world", [*SOLVE], USAGE),
    ("solve-unknown-agent", [*SOLVE, "recycling", "--agent", "bogus"], USAGE),
    ("solve-unknown-flag", [*SOLVE, "recycling", "--bogus", "1"], USAGE),
    ("solve-gamma-above-one", [*SOLVE, "recycling", "--gamma", "1.5", "--out", "{tmp}/s.nc"], 2),
    ("solve-gamma-nan", [*SOLVE, "recycling", "--gamma", "nan", "--out", "{tmp}/s.nc"], 2),
    ("solve-gamma-negative", [*SOLVE, "recycling", "--gamma", "-0.1", "--out", "{tmp}/s.nc"], 2),
    ("solve-gamma-text", [*SOLVE, "recycling", "--gamma", "high"], USAGE),
    ("solve-alpha-zero", [*SOLVE, "recycling", "--alpha", "0", "--out", "{tmp}/s.nc"], 2),
    ("solve-alpha-inf", [*SOLVE, "recycling", "--alpha", "inf", "--out", "{tmp}/s.nc"], 2),
    ("solve-beta-negative", [*SOLVE, "recycling", "--beta", "-1", "--out", "{tmp}/s.nc"], 2),
    ("solve-tol-zero", [*SOLVE, "recycling", "--tol", "0", "--out", "{tmp}/s.nc"], 2),
    ("solve-tol-nan", [*SOLVE, "recycling", "--tol", "nan", "--out", "{tmp}/s.nc"], 2),
    ("solve-epsilon-two", [*SOLVE, "recycling", "--agent", "reward", "--epsilon", "2",
                           "--out", "{tmp}/s.nc"], 2),
    ("solve-temperature-zero", [*SOLVE, "recycling", "--agent", "maxent", "--temperature", "0",
                                "--out", "{tmp}/s.nc"], 2),
    ("solve-temperature-huge", [*SOLVE, "recycling", "--agent", "maxent", "--temperature",
                                "1e308", "--out", "{tmp}/s.nc"], 2),  # V overflows float64
    ("solve-capacity-zero", [*SOLVE, "four_rooms", "--capacity", "0"], USAGE),
    ("solve-capacity-text", [*SOLVE, "four_rooms", "--capacity", "lots"], USAGE),
    ("solve-capacity-one", [*SOLVE, "four_rooms", "--capacity", "1", "--out", "{tmp}/s.nc"], 2),
    ("solve-food-gain-negative", [*SOLVE, "four_rooms", "--capacity", "3", "--food-gain", "-5",
                                  "--out", "{tmp}/s.nc"], 2),
    ("solve-eta-two", [*SOLVE, "noisy_tv", "--capacity", "3", "--eta", "2",
                       "--out", "{tmp}/s.nc"], 2),
    ("solve-eta-nan", [*SOLVE, "noisy_tv", "--capacity", "3", "--eta", "nan",
                       "--out", "{tmp}/s.nc"], 2),
    ("solve-n-points-zero", [*SOLVE, "cartpole", "--n-points", "0"], USAGE),
    ("solve-n-points-two", [*SOLVE, "cartpole", "--n-points", "2", "--out", "{tmp}/s.nc"], 2),
    ("solve-cartpole-maxent", [*SOLVE, "cartpole", "--agent", "maxent", "--n-points", "3",
                               "--out", "{tmp}/s.nc"], 2),
    ("solve-dra-episodes-zero", [*SOLVE, "recycling", "--dra-episodes", "0"], USAGE),
    ("solve-dra-seed-negative", [*SOLVE, "recycling", "--agent", "dra", "--dra-episodes", "2",
                                 "--seed", "-1", "--out", "{tmp}/s.nc"], 2),
    ("solve-reward-unknown", [*SOLVE, "recycling", "--reward", "gold"], USAGE),
    ("solve-out-exists", [*SOLVE, "recycling", "--out", "{tmp}/taken.nc"], 2, ["taken.nc"]),
    ("solve-out-is-a-folder", [*SOLVE, "recycling", "--out", "{tmp}/dir", "--overwrite"], 2,
     ["dir/x"]),
    ("solve-out-below-a-file", [*SOLVE, "recycling", "--out", "{a_file}/s.nc"], 2),
    ("solve-out-unwritable", [*SOLVE, "recycling", "--out", "/proc/neuromop_fuzz.nc"], 2),
    # ---- mdp rollout
    ("rollout-valid", [*ROLL, "recycling", "--trials", "2", "--steps", "5",
                       "--out", "{tmp}/r"], 0),
    ("rollout-cartpole-valid", [*ROLL, "cartpole", "--n-points", "5", "--trials", "2",
                                "--steps", "5", "--out", "{tmp}/r"], 0),
    ("rollout-trials-zero", [*ROLL, "recycling", "--trials", "0"], USAGE),
    ("rollout-trials-negative", [*ROLL, "recycling", "--trials", "-3"], USAGE),
    ("rollout-steps-fraction", [*ROLL, "recycling", "--steps", "1.5"], USAGE),
    ("rollout-gamma-two", [*ROLL, "recycling", "--trials", "2", "--steps", "5", "--gamma", "2",
                           "--out", "{tmp}/r"], 2),
    ("rollout-out-is-a-file", [*ROLL, "recycling", "--trials", "2", "--steps", "5",
                               "--out", "{a_file}"], 2),
    ("rollout-out-taken", [*ROLL, "recycling", "--out", "{tmp}/r"], 2, ["r/rollout.nc"]),
    # ---- mdp compare
    ("compare-trials-zero", ["mdp", "compare", "--trials", "0"], USAGE),
    ("compare-steps-text", ["mdp", "compare", "--steps", "many"], USAGE),
    ("compare-gamma-above-one", ["mdp", "compare", "--capacity", "3", "--gamma", "1.5",
                                 "--trials", "1", "--steps", "3", "--quiet", "--out", "{tmp}/c"],
     2),
    ("compare-food-gain-negative", ["mdp", "compare", "--capacity", "3", "--food-gain", "-1",
                                    "--trials", "1", "--steps", "3", "--quiet",
                                    "--out", "{tmp}/c"], 2),
    ("compare-out-taken", ["mdp", "compare", "--out", "{tmp}/c"], 2,
     ["c/four_rooms_comparison.nc"]),
    # ---- analyze variability
    ("variability-valid", [*VAR, "--repeats", "2"], 0),
    ("variability-missing-file", ["analyze", "variability", "{missing}", "--out", "{tmp}/v"], 2),
    ("variability-empty-file", ["analyze", "variability", "{empty}", "--out", "{tmp}/v"], 2),
    ("variability-text-file", ["analyze", "variability", "{text}", "--out", "{tmp}/v"], 2),
    ("variability-truncated", ["analyze", "variability", "{truncated}", "--out", "{tmp}/v"], 2),
    ("variability-a-folder", ["analyze", "variability", "{folder}", "--out", "{tmp}/v"], 2),
    ("variability-no-dataset", ["analyze", "variability"], USAGE),
    ("variability-window-zero", [*VAR, "--window", "0"], 2),
    ("variability-window-negative", [*VAR, "--window", "-0.1"], 2),
    ("variability-window-inf", [*VAR, "--window", "inf"], 2),
    ("variability-window-nan", [*VAR, "--window", "nan"], 2),
    ("variability-window-huge", [*VAR, "--window", "1e300"], 2),
    ("variability-window-not-a-multiple", [*VAR, "--window", "0.07"], 2),
    ("variability-window-text", [*VAR, "--window", "wide"], USAGE),
    ("variability-step-zero", [*VAR, "--step", "0"], 2),
    ("variability-step-negative", [*VAR, "--step", "-1"], 2),
    ("variability-repeats-negative", [*VAR, "--repeats", "-5"], 2),
    ("variability-repeats-fraction", [*VAR, "--repeats", "2.5"], USAGE),
    ("variability-condition-unknown", [*VAR, "--condition", "bogus"], 2),
    ("variability-var-unknown", [*VAR, "--var", "bogus"], 2),
    ("variability-var-a-coordinate", [*VAR, "--var", "condition"], 2),
    ("variability-seed-negative", [*VAR, "--seed", "-1"], 2),
    ("variability-nan-counts", ["analyze", "variability", "{nan_counts}", "--out", "{tmp}/v"], 2),
    ("variability-negative-counts", ["analyze", "variability", "{negative}",
                                     "--out", "{tmp}/v"], 2),
    ("variability-one-trial", ["analyze", "variability", "{one_trial}", "--out", "{tmp}/v"], 2),
    ("variability-no-activity", ["analyze", "variability", "{solution}", "--out", "{tmp}/v"], 2),
    ("variability-out-is-a-file", ["analyze", "variability", "{counts}", "--out", "{a_file}"],
     2),
    ("variability-out-taken", [*VAR], 2, ["v/variability.json"]),
    # ---- analyze values
    ("values-valid", [*VAL], 0),
    ("values-no-input", ["analyze", "values", "--out", "{tmp}/o"], 2),
    ("values-dataset-and-session", [*VAL, "--padoa-session", "G180910a"], 2),
    ("values-no-out", ["analyze", "values", "{values}"], USAGE),
    ("values-missing-file", ["analyze", "values", "{missing}", "--out", "{tmp}/o"], 2),
    ("values-text-file", ["analyze", "values", "{text}", "--out", "{tmp}/o"], 2),
    ("values-n-null-zero", [*VAL, "--n-null", "0"], 2),
    ("values-alpha-two", [*VAL, "--alpha", "2"], 2),
    ("values-alpha-nan", [*VAL, "--alpha", "nan"], 2),
    ("values-window-reversed", [*VAL, "--window", "0.6", "0.1"], 2),
    ("values-window-one-value", [*VAL, "--window", "0.1"], USAGE),
    ("values-soft-unknown", [*VAL, "--soft", "bogus"], 2),
    ("values-behaviour-missing", [*VAL, "--behaviour", "{missing}"], 2),
    ("values-behaviour-other-trials", [*VAL, "--behaviour", "{other_trials}"], 2),
    ("values-unknown-session", ["analyze", "values", "--padoa-session", "bogus",
                                "--data-root", "{folder}", "--out", "{tmp}/o"], 2),
    ("values-nan-counts", ["analyze", "values", "{nan_counts}", "--out", "{tmp}/o"], 2),
    # ---- fit rnn (every case fails before training)
    ("fit-missing-file", ["fit", "rnn", "{missing}", "--out", "{tmp}/f"], 2),
    ("fit-text-file", ["fit", "rnn", "{text}", "--out", "{tmp}/f"], 2),
    ("fit-no-out", ["fit", "rnn", "{teacher}"], USAGE),
    ("fit-test-fraction-zero", [*FIT, "--test-fraction", "0"], 2),
    ("fit-test-fraction-above-one", [*FIT, "--test-fraction", "1.5"], 2),
    ("fit-test-fraction-nan", [*FIT, "--test-fraction", "nan"], 2),
    ("fit-units-zero", [*FIT, "--units", "0"], 2),
    ("fit-units-text", [*FIT, "--units", "many"], USAGE),
    ("fit-epochs-negative", [*FIT, "--epochs", "-1"], 2),
    ("fit-tau-zero", [*FIT, "--tau", "0"], 2),
    ("fit-tau-nan", [*FIT, "--tau", "nan"], 2),
    ("fit-lr-zero", [*FIT, "--lr", "0"], 2),
    ("fit-lr-inf", [*FIT, "--lr", "inf"], 2),
    ("fit-patience-zero", [*FIT, "--patience", "0"], 2),
    ("fit-input-noise-negative", [*FIT, "--input-noise", "-1"], 2),
    ("fit-inputs-unknown", [*FIT, "--inputs", "bogus"], 2),
    ("fit-observation-unknown", [*FIT, "--observation", "binomial"], USAGE),
    ("fit-seed-negative", [*FIT, "--seed", "-1"], 2),
    ("fit-nan-counts", ["fit", "rnn", "{nan_counts}", "--out", "{tmp}/f", "--epochs", "1"], 2),
    ("fit-out-taken", [*FIT], 2, ["f/model.pt"]),
    # ---- run NAME (every case fails before training)
    ("run-unknown-study", ["run", "bogus"], USAGE),
    ("run-budget-unknown", ["run", "energy", "--budget", "huge"], USAGE),
    ("run-threads-text", ["run", "energy", "--threads", "all"], USAGE),
    ("run-seed-negative", ["run", "energy", "--seed", "-1", "--out", "{tmp}/run"], 2),
    ("run-method-unknown", ["run", "spiking-energy", "--method", "magic"], USAGE),
    ("run-out-is-a-file", ["run", "energy", "--budget", "smoke", "--out", "{a_file}",
                           "--no-progress"], 2),
    ("run-out-unwritable", ["run", "energy", "--budget", "smoke", "--out", "/proc/nm_fuzz",
                            "--no-progress"], 2),
    ("run-corrupt-settings", ["run", "energy", "--budget", "smoke", "--out", "{tmp}/run",
                              "--no-progress"], 2, ["run/settings.json"]),
    ("run-other-settings", ["run", "energy", "--budget", "smoke", "--out", "{tmp}/run",
                            "--no-progress"], 2, ["run/settings.json:other"]),
    *[(f"run-{name}-threads-zero", ["run", name, "--threads", "0", "--out", "{tmp}/run"], 2)
      for name in STUDIES],
    ("run-referee-points-negative", ["run", "cartpole", "--referee-points", "-1", "--out",
                                     "{tmp}/run"], 2),
    ("run-referee-points-two", ["run", "cartpole", "--referee-points", "2", "--out",
                                "{tmp}/run"], 2),
    ("run-referee-points-text", ["run", "cartpole", "--referee-points", "fine"], USAGE),
    ("run-coverage-states-negative", ["run", "cartpole", "--coverage-states", "-5", "--out",
                                      "{tmp}/run"], 2),
    ("run-final-lr-text", ["run", "energy", "--final-learning-rate", "low"], USAGE),
    ("run-final-lr-nan", ["run", "energy", "--final-learning-rate", "nan", "--out",
                          "{tmp}/run"], 2),
    ("run-final-lr-zero", ["run", "square", "--final-learning-rate", "0", "--out",
                           "{tmp}/run"], 2),
    ("run-final-lr-above-initial", ["run", "cartpole", "--final-learning-rate", "1", "--out",
                                    "{tmp}/run"], 2),
]


#: Cases that fail today (strict xfail: remove the entry with the fix).
KNOWN: dict[str, str] = {}
PARAMS = [pytest.param(c, id=c[0], marks=[pytest.mark.xfail(strict=True, reason=KNOWN[c[0]])]
                       if c[0] in KNOWN else []) for c in CASES]


def _prepare(tmp, entries) -> None:
    for entry in entries:
        name, _, kind = entry.partition(":")
        path = tmp / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if kind == "other":  # the settings record of a run with other settings
            path.write_text(json.dumps({"study": "energy", "neuromop_version": "0",
                                        "settings": {"seed": 99}}))
        else:
            path.write_text("x")


def _call(argv) -> int:
    try:
        return main(argv)
    except SystemExit as exc:  # argparse: usage errors exit through SystemExit
        return exc.code


@pytest.mark.parametrize("case", PARAMS)
def test_bad_invocation_gives_one_line_and_exit_code(case, inputs, tmp_path, capsys,
                                                     monkeypatch):
    _, argv, expected, *existing = case
    monkeypatch.delenv("NEUROMOP_DEBUG", raising=False)
    monkeypatch.chdir(tmp_path)  # default --out folders land here
    _prepare(tmp_path, existing[0] if existing else [])
    argv = [a.format(tmp=tmp_path, **inputs) for a in argv]
    code = _call(argv)
    out, err = capsys.readouterr()
    assert "Traceback" not in out + err, err
    assert code == expected, f"exit code {code}, expected {expected}; stderr: {err}"
    if expected == 0:
        return
    if code == USAGE and re.search(r"^usage: ", err, re.M) and "neuromop: error:" not in err:
        errors = [line for line in err.splitlines() if re.match(r"^neuromop[\w -]*: error: ", line)]
    else:
        errors = [line for line in err.splitlines() if line.startswith("neuromop:")]
        assert all(line.startswith("neuromop: error: ") for line in errors), err
    assert len(errors) == 1, err
    assert "looks like a bug" not in err, err
    assert not any(name in errors[0] for name in INTERNAL), errors[0]


def test_the_table_is_large_enough():
    assert len(CASES) >= 60
