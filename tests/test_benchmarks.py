"""Every benchmark script runs at a tiny size and prints its JSON (so none of them rot).

The speed targets are reported by the benchmarks themselves, never asserted here.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
TINY = {
    "analysis": ["--quick"],
    "analysis_memory": ["--quick"],
    "choice_likelihood": ["--quick", "--repeats", "2"],
    "fvi_ablation": ["--tasks", "corridor", "--seeds", "0", "1", "--budget", "smoke",
                     "--variants", "defaults", "replay_epochs=4", "--no-progress"],
    "fvi_referee": ["--seeds", "0", "1", "--epochs", "2", "--hidden", "8", "--grid-points", "11",
                    "--n-trials", "8", "--n-steps", "50", "--variants", "defaults",
                    "pre-terminal memory 20"],
    "mdp_solve": ["--quick"],
    "rnn_fit": ["--epochs", "1"],
    "fvi_tanh": ["--state-dim", "5", "--hidden", "8", "--agents", "4", "--candidates", "3",
                 "--seconds", "0.05"],
    "rnn_step": ["--n-neurons", "20", "--agents", "8", "--candidates", "4", "--seconds", "0.05"],
    "spiking_loop": ["--quick", "--target", "numpy", "--repeats", "1"],
}

# what a benchmark must report in one run, each with the named baseline it is compared with
REPORTS = {
    "analysis": {"speedup": "elephant", "binning_vs_pynapple": "pynapple",
                 "r_sc_vs_numpy": "numpy.corrcoef", "dask_peak_rss": "float64_array_nbytes",
                 "dask_memory_cases": "baseline"},
    "choice_likelihood": {"baseline": "trial_loop"},
    "fvi_ablation": {"baseline": "defaults", "rows": "replay_epochs=4 - defaults"},
    "fvi_referee": {"baseline": "defaults", "rows": "pre-terminal memory 20 - defaults"},
}


def test_every_benchmark_has_a_tiny_setting():
    assert {p.stem for p in (ROOT / "benchmarks").glob("*.py")} == set(TINY)


@pytest.mark.parametrize("name", sorted(TINY))
def test_benchmark_runs_at_a_tiny_size(name, tmp_path):
    proc = subprocess.run([sys.executable, str(ROOT / "benchmarks" / f"{name}.py"), *TINY[name]],
                          cwd=tmp_path, env=dict(os.environ, MPLBACKEND="Agg"),
                          capture_output=True, text=True, timeout=900)
    assert proc.returncode == 0, proc.stderr[-3000:]
    start = proc.stdout.index("{")
    result = json.loads(proc.stdout[start:])
    assert isinstance(result, dict)
    for key, baseline in REPORTS.get(name, {}).items():
        assert key in result, f"{name} does not report {key}"
        assert baseline in json.dumps(result[key]), f"{name}: {key} names no {baseline!r}"


def test_fvi_referee_referees_the_r_network_against_the_exact_r_solution(tmp_path):
    args = [*TINY["fvi_referee"][:-1], "pessimistic + average 10", "--controller", "R",
            "--epochs", "3"]
    proc = subprocess.run([sys.executable, str(ROOT / "benchmarks" / "fvi_referee.py"), *args],
                          cwd=tmp_path, capture_output=True, text=True, timeout=900)
    assert proc.returncode == 0, proc.stderr[-3000:]
    result = json.loads(proc.stdout[proc.stdout.index("{"):])
    assert result["settings"]["controller"] == "R"
    run = result["runs"]["pessimistic + average 10"][0]
    # the exact policy here is the epsilon-greedy R solution of the same grid
    assert 0.0 <= run["survival_exact"] <= 1.0 and run["entropy_exact"] < 1.0
    assert {"error_doomed", "error_safe", "spearman"} <= set(run)


def test_fvi_ablation_variants_change_what_they_name():
    sys.path.insert(0, str(ROOT / "benchmarks"))
    try:
        import fvi_ablation
    finally:
        sys.path.remove(str(ROOT / "benchmarks"))
    from neuromop.studies import STUDIES

    energy = STUDIES["energy"].for_budget("default")
    assert fvi_ablation._overrides("candidates x2", "default", STUDIES["energy"]) == {
        "n_candidates": 2 * energy.n_candidates}
    assert fvi_ablation._overrides("fit_iterations x2", "default", STUDIES["energy"]) == {
        "fit_iterations": 2 * energy.fit_iterations}
    with pytest.raises(ValueError, match="candidates x2.*rate-RNN"):
        fvi_ablation._overrides("candidates x2", "default", STUDIES["cartpole"])
    assert fvi_ablation._overrides("no coverage states", "default", STUDIES["cartpole"]) == {
        "coverage_states": 0}
    with pytest.raises(ValueError, match="no coverage states.*cartpole"):
        fvi_ablation._overrides("no coverage states", "default", STUDIES["energy"])
    # by default each task runs the variants it has settings for
    assert "no coverage states" not in fvi_ablation._applicable("energy", "default")
    assert "candidates x2" not in fvi_ablation._applicable("cartpole", "default")
    assert "no coverage states" in fvi_ablation._applicable("cartpole", "default")
