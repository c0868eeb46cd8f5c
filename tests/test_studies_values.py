"""The value/choice-model study scripts run end to end on the smoke budget."""

from __future__ import annotations

import importlib.util
import sys
import warnings
from pathlib import Path

import pandas as pd
import pytest

ROOT = Path(__file__).resolve().parents[1]


def load(name: str):
    spec = importlib.util.spec_from_file_location(f"study_{name}", ROOT / "analysis" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up here
    spec.loader.exec_module(module)
    return module


def test_ibl_choice_models_smoke(shared_datasets, tmp_path, capsys):
    path = shared_datasets / "ibl_behavior" / "ibl_trials_11_sessions.csv"
    if not path.exists():
        pytest.skip(f"{path} not found")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # flagged non-identified parameters
        code = load("ibl_choice_models").main(["--budget", "smoke", "--out", str(tmp_path),
                                               "--data", str(path)])
    assert code == 0
    table = pd.read_csv(tmp_path / "ibl_choice_models.csv", index_col="model")
    assert list(table.index) == ["static_softmax", "q_learning", "prior_learning", "dra"]
    assert table["n_trials"].eq(160).all()
    assert (table["cv_loglik"] < 0).all() and table["best_bic"].sum() == 1
    assert "prior_learning" in (tmp_path / "ibl_choice_models.md").read_text()
    assert "cv_loglik" in capsys.readouterr().out


def test_ibl_choice_models_missing_data_exits_cleanly(tmp_path, capsys):
    code = load("ibl_choice_models").main(["--budget", "smoke", "--out", str(tmp_path),
                                           "--data", str(tmp_path / "absent.csv")])
    assert code == 0
    assert "not found" in capsys.readouterr().out


@pytest.mark.parametrize("budget", ["smoke", "default", "paper"])
def test_budgets_are_valid_arguments(budget):
    module = load("ibl_choice_models")
    module.Args(budget=budget)
    assert set(module.BUDGETS[budget]) == {"max_sessions", "max_trials", "n_restarts", "n_nodes"}
