"""Every study script in ``analysis/`` runs end to end at the smoke budget and writes results.

Scripts with their own, more specific smoke tests are listed in ``TESTED_ELSEWHERE``.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
TESTED_ELSEWHERE = {
    "four_rooms": "tests/test_studies_mdp.py",
    "noisy_tv": "tests/test_studies_mdp.py",
    "variability_dask": "tests/analysis/test_dask.py",
    "ibl_choice_models": "tests/test_studies_values.py",
    "spiking_energy": "tests/studies/test_spiking_energy.py",
    "spiking_designs": "tests/studies/test_spiking_designs.py",
}
NEEDS_SHARED_DATA = {"ofc_rnn_variability", "values_ofc"}
SCRIPTS = sorted(p for p in (ROOT / "analysis").glob("*.py") if p.stem not in TESTED_ELSEWHERE)


@pytest.mark.parametrize("script", SCRIPTS, ids=[p.stem for p in SCRIPTS])
def test_study_runs_at_smoke_budget(script: Path, tmp_path: Path, request) -> None:
    env = dict(os.environ, MPLBACKEND="Agg")
    if script.stem in NEEDS_SHARED_DATA:
        env["NEUROMOP_DATA"] = str(request.getfixturevalue("shared_datasets"))
    out = tmp_path / "out"
    proc = subprocess.run(
        [sys.executable, str(script), "--budget", "smoke", "--out", str(out)],
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=900,
    )
    assert proc.returncode == 0, f"{script.name}:\n{proc.stdout[-2000:]}\n{proc.stderr[-4000:]}"
    written = [p for p in out.rglob("*") if p.is_file()]
    assert written, f"{script.name} wrote nothing to --out"
