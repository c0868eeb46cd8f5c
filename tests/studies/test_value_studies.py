"""The value and choice-model studies at the smoke budget."""

from __future__ import annotations

import warnings

import pandas as pd
import pytest

from neuromop.studies import (
    IBLChoiceModelsStudy,
    ValueCalibrationStudy,
    ValueRecoveryStudy,
    ValuesOFCStudy,
)


def test_ibl_choice_models_smoke(shared_datasets, tmp_path):
    path = shared_datasets / "ibl_behavior" / "ibl_trials_11_sessions.csv"
    if not path.exists():
        pytest.skip(f"{path} not found")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # flagged non-identified parameters
        result = IBLChoiceModelsStudy.for_budget("smoke", data=str(path)).run(
            tmp_path, progress=False)
    table = pd.read_csv(tmp_path / "choice_models.csv", index_col="model")
    assert list(table.index) == ["static_softmax", "q_learning", "q_learning_forgetting",
                                 "q_learning_free_forgetting", "prior_learning", "dra",
                                 "psychometric", "psychometric_stimulus_prior",
                                 "psychometric_action_kernel", "psychometric_both"]
    assert table["n_trials"].eq(160).all()
    assert (table["cv_loglik"] < 0).all() and table["best_bic"].sum() == 1
    assert "prior_learning" in (tmp_path / "ibl_choice_models.md").read_text()
    assert "cv_loglik" in result.table


def test_ibl_choice_models_missing_data_is_a_clear_error(tmp_path):
    study = IBLChoiceModelsStudy.for_budget("smoke", data=str(tmp_path / "absent.csv"))
    with pytest.raises(FileNotFoundError, match="absent.csv"):
        study.run(tmp_path / "out")
    assert not (tmp_path / "out").exists()  # nothing written


def test_value_recovery_smoke_parts(tmp_path):
    result = ValueRecoveryStudy.for_budget("smoke", parts=("comparison",)).run(
        tmp_path, progress=False)
    assert set(result.summary) == {"model_comparison"}
    assert 0 <= result.summary["model_comparison"]["ofc_pairs/log"] <= 1


def test_value_recovery_rejects_an_unknown_part():
    with pytest.raises(ValueError, match="parts must be one of"):
        ValueRecoveryStudy.for_budget("smoke", parts=("everything",))


@pytest.mark.parametrize("budget", ["smoke", "default", "paper"])
@pytest.mark.parametrize("cls", [IBLChoiceModelsStudy, ValueRecoveryStudy, ValuesOFCStudy])
def test_budgets_are_valid_configurations(cls, budget):
    assert cls.for_budget(budget).budget == budget


def test_value_calibration_smoke(tmp_path):
    result = ValueCalibrationStudy.for_budget("smoke").run(tmp_path, progress=False)
    ds = result.datasets["value_calibration"]
    assert set(ds["simulator"].values) == {"two_offer", "bandit"}
    assert ds["verdict_count"].sum("verdict").values.min() == 2  # n_sessions per encoding
    assert (tmp_path / "value_calibration.png").exists()
    assert "correct_soft" in result.table
    # resume: the cached cells give the same numbers
    again = ValueCalibrationStudy.for_budget("smoke").run(tmp_path, progress=False)
    assert again.summary == result.summary


@pytest.mark.parametrize("cls", [ValueCalibrationStudy, ValuesOFCStudy])
def test_value_studies_refuse_an_unknown_population_statistic(cls):
    with pytest.raises(ValueError, match="population_statistic"):
        cls.for_budget("smoke", population_statistic="median")


def test_value_calibration_rejects_an_unknown_simulator():
    with pytest.raises(ValueError, match="simulators must be one of"):
        ValueCalibrationStudy.for_budget("smoke", simulators=("drift",))


@pytest.mark.parametrize("budget", ["smoke", "default", "paper"])
def test_value_calibration_budgets_are_valid(budget):
    assert ValueCalibrationStudy.for_budget(budget).budget == budget


def test_value_calibration_with_the_linear_shift_null(tmp_path):
    study = ValueCalibrationStudy.for_budget("smoke", simulators=("bandit",),
                                             nulls=["linear_shift"])
    assert study.nulls == ("linear_shift",)
    ds = study.run(tmp_path, progress=False).datasets["value_calibration"]
    assert ds["verdict_count"].sum("verdict").values.min() == 2
    assert '"nulls": ["linear_shift"]' in ds.attrs["parameters"]
    # the figure says which test its verdicts came from
    from neuromop.plots.values import plot_value_calibration

    fig = plot_value_calibration(ds)
    assert "nulls: linear_shift, gate: max_z" in fig._suptitle.get_text()


def test_value_calibration_with_harris_bound(tmp_path):
    study = ValueCalibrationStudy.for_budget("smoke", simulators=("bandit",), n_null=38,
                                             nulls=["linear_shift"],
                                             linear_shift_p="conservative")
    ds = study.run(tmp_path, progress=False).datasets["value_calibration"]
    assert ds.attrs["linear_shift_p"] == "conservative"
    assert '"linear_shift_p": "conservative"' in ds.attrs["parameters"]
    assert ds["verdict_count"].sum("verdict").values.min() == 2


@pytest.mark.parametrize(("settings", "match"), [
    (dict(n_null=19), r"n_null must be even \(2 h\), got 19"),
    (dict(n_null=20), r"smallest p is 1/\(1 \+ n_null / 2\)\); use n_null >= 38"),
    (dict(n_null=38, linear_shift_p="exact"), "linear_shift_p must be one of"),
])
def test_value_calibration_checks_harris_bound_before_simulating(tmp_path, settings, match):
    with pytest.raises(ValueError, match=match):
        ValueCalibrationStudy.for_budget("smoke", nulls=["linear_shift"],
                                         **{"linear_shift_p": "conservative", **settings})


def test_value_calibration_rejects_a_string_of_nulls():
    with pytest.raises(TypeError, match="nulls must be a sequence"):
        ValueCalibrationStudy.for_budget("smoke", nulls="shift")
