"""Every study script in ``analysis/`` runs end to end at the smoke budget and writes results.

Scripts whose study has more specific smoke tests elsewhere are listed in ``TESTED_ELSEWHERE``
(their ``--help`` still runs here).
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
TESTED_ELSEWHERE = {
    "four_rooms": "tests/studies/test_mdp_studies.py",
    "noisy_tv": "tests/studies/test_mdp_studies.py",
    "agent_pet": "tests/studies/test_mdp_studies.py",
    "mop_figures": "tests/studies/test_mdp_studies.py",
    "variability_dask": "tests/analysis/test_dask.py",
    "ibl_choice_models": "tests/studies/test_value_studies.py",
    "spiking_energy": "tests/studies/test_spiking_energy.py",
    "spiking_designs": "tests/studies/test_spiking_designs.py",
}
NEEDS_SHARED_DATA = {"ofc_rnn_variability", "values_ofc", "hypothesis"}
ALL_SCRIPTS = sorted((ROOT / "analysis").glob("*.py"))
SCRIPTS = [p for p in ALL_SCRIPTS if p.stem not in TESTED_ELSEWHERE]


def _run(script: Path, args: list[str], cwd: Path, env: dict) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, str(script), *args], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=900)


@pytest.mark.parametrize("script", ALL_SCRIPTS, ids=[p.stem for p in ALL_SCRIPTS])
def test_script_documents_its_arguments(script: Path, tmp_path: Path) -> None:
    proc = _run(script, ["--help"], tmp_path, dict(os.environ))
    assert proc.returncode == 0, proc.stderr[-2000:]
    for flag in ("--budget", "--out", "--seed", "--no-resume"):
        assert flag in proc.stdout, flag


@pytest.mark.parametrize("script", SCRIPTS, ids=[p.stem for p in SCRIPTS])
def test_study_runs_at_smoke_budget(script: Path, tmp_path: Path, request) -> None:
    env = dict(os.environ, MPLBACKEND="Agg")
    if script.stem in NEEDS_SHARED_DATA:
        env["NEUROMOP_DATA"] = str(request.getfixturevalue("shared_datasets"))
    out = tmp_path / "out"
    proc = _run(script, ["--budget", "smoke", "--out", str(out), "--no-progress"], tmp_path, env)
    assert proc.returncode == 0, f"{script.name}:\n{proc.stdout[-2000:]}\n{proc.stderr[-4000:]}"
    for name in ("summary.json", "table.txt", "settings.json"):
        assert (out / name).exists(), name
