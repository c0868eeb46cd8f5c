"""``neuromop analyze values`` end to end on a simulated dataset file."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import xarray as xr

from neuromop.cli import main
from neuromop.data import save
from neuromop.values.simulation import simulate_value_population


@pytest.fixture(scope="module")
def dataset_file(tmp_path_factory):
    path = tmp_path_factory.mktemp("values") / "sim.nc"
    save(simulate_value_population(encoding="true", design="separable", n_neurons=30,
                                   random_state=2), path)
    return path


@pytest.fixture(scope="module")
def cli_run(dataset_file, tmp_path_factory):
    out = tmp_path_factory.mktemp("report")
    code = main(["analyze", "values", str(dataset_file), "--out", str(out), "--n-null", "19",
                 "--alpha", "0.05"])
    return code, out


def test_cli_writes_report(cli_run):
    code, out = cli_run
    assert code == 0
    for name in ("values_report.md", "values_neurons.csv", "values_population.csv",
                 "values_choice_models.csv", "values_result.nc", "values_unique_variance.png",
                 "values_signals.png", "values_psychometric.png"):
        assert (out / name).is_file(), name
    pop = pd.read_csv(out / "values_population.csv", index_col=0)
    assert list(pop.index) == ["any", "soft", "true"]
    res = xr.open_dataset(out / "values_result.nc", engine="h5netcdf")
    assert res.attrs["verdict"] == "true"
    res.close()
    assert "Verdict: true" in (out / "values_report.md").read_text()


def test_report_gives_the_entropy_to_value_ratio_of_a_true_population(cli_run):
    _, out = cli_run
    line = next(x for x in (out / "values_report.md").read_text().splitlines()
                if "entropy-to-value weight ratio" in x)
    ratio = float(line.split("true coding 0): ")[1].split()[0])
    assert abs(ratio) < 0.5  # true coding: 0 (soft coding would give the temperature, ~2)


def test_cli_generic_signals_without_offers(tmp_path, capsys):
    ds = simulate_value_population(encoding="soft", n_neurons=20, random_state=3)
    ds = ds.drop_vars(["offer_A", "offer_B"])
    path = tmp_path / "generic.nc"
    save(ds, path)
    code = main(["analyze", "values", str(path), "--out", str(tmp_path / "r"), "--n-null", "19",
                 "--alpha", "0.05", "--base", "chosen"])
    assert code == 0
    assert "verdict:" in capsys.readouterr().out
    assert not (tmp_path / "r" / "values_choice_models.csv").exists()


@pytest.mark.parametrize(("flag", "nulls"), [([], ["linear_shift"]),
                                             (["--shift-null", "shift"], ["shift"])])
def test_cli_shift_null_reaches_the_result(tmp_path, flag, nulls):
    ds = simulate_value_population(encoding="soft", n_neurons=10, n_trials=100,
                                   random_state=3).drop_vars(["offer_A", "offer_B"])
    path = tmp_path / "generic.nc"
    save(ds, path)
    assert main(["analyze", "values", str(path), "--out", str(tmp_path / "r"), "--n-null", "19",
                 "--alpha", "0.05", *flag]) == 0
    res = xr.open_dataset(tmp_path / "r" / "values_result.nc", engine="h5netcdf")
    assert res["null"].values.tolist() == nulls
    res.close()


def test_cli_conservative_linear_shift_p_reaches_the_result(tmp_path, capsys):
    ds = simulate_value_population(encoding="soft", n_neurons=10, n_trials=100,
                                   random_state=3).drop_vars(["offer_A", "offer_B"])
    path = tmp_path / "generic.nc"
    save(ds, path)
    args = ["analyze", "values", str(path), "--out", str(tmp_path / "r"), "--alpha", "0.2",
            "--linear-shift-p", "conservative"]
    assert main([*args, "--n-null", "19"]) == 2  # odd: not every shift -> a clear error
    assert "n_null must be even" in capsys.readouterr().err
    assert main([*args, "--n-null", "18"]) == 0
    res = xr.open_dataset(tmp_path / "r" / "values_result.nc", engine="h5netcdf")
    assert '"linear_shift_p": "conservative"' in res.attrs["parameters"]
    # Harris's bound: p-values are multiples of 1 / (1 + 9)
    p = res["p_unique"].values
    np.testing.assert_allclose(p * 10, np.rint(p * 10), atol=1e-9)
    res.close()
    assert "p-values: Harris's bound" in (tmp_path / "r" / "values_report.md").read_text()


def test_cli_directional_statistic_reaches_the_result_and_its_provenance(tmp_path):
    ds = simulate_value_population(encoding="soft", design="separable", n_neurons=20,
                                   random_state=3).drop_vars(["offer_A", "offer_B"])
    path = tmp_path / "soft.nc"
    save(ds, path)
    code = main(["analyze", "values", str(path), "--out", str(tmp_path / "r"), "--n-null", "19",
                 "--alpha", "0.05", "--base", "chosen", "--population-statistic",
                 "directional"])
    assert code == 0
    res = xr.open_dataset(tmp_path / "r" / "values_result.nc", engine="h5netcdf")
    assert res.attrs["verdict"] == "soft"
    assert '"population_statistic": "directional"' in res.attrs["parameters"]
    res.close()


def test_cli_missing_variable_is_a_clear_error(tmp_path, capsys):
    ds = simulate_value_population(n_neurons=5, n_trials=40, random_state=4)
    ds = ds.drop_vars(["offer_A", "offer_B", "value_true"])
    path = tmp_path / "bad.nc"
    save(ds, path)
    code = main(["analyze", "values", str(path), "--out", str(tmp_path / "r"), "--n-null", "19",
                 "--alpha", "0.05"])
    assert code == 2
    assert "'value_true' not found" in capsys.readouterr().err


def test_cli_needs_exactly_one_source(tmp_path, capsys):
    assert main(["analyze", "values", "--out", str(tmp_path)]) == 2
    assert "exactly one" in capsys.readouterr().err


def test_cli_missing_file(tmp_path, capsys):
    assert main(["analyze", "values", str(tmp_path / "nope.nc"), "--out", str(tmp_path)]) == 2
    assert "not found" in capsys.readouterr().err


def test_numbers_in_csv_match_result(cli_run):
    _, out = cli_run
    neurons = pd.read_csv(out / "values_neurons.csv", index_col=0)
    res = xr.open_dataset(out / "values_result.nc", engine="h5netcdf")
    np.testing.assert_allclose(neurons["delta_d2_soft"].values,
                               res["delta_d2"].sel(signal="soft").values)
    res.close()


def test_cli_power_sessions_write_the_power_and_the_trials_needed(tmp_path, capsys):
    from neuromop.data import load, validate

    ds = simulate_value_population(encoding="soft", design="separable", n_neurons=15,
                                   n_trials=120, random_state=4)
    path = tmp_path / "short.nc"
    save(ds, path)
    out = tmp_path / "r"
    code = main(["analyze", "values", str(path), "--out", str(out), "--n-null", "19",
                 "--alpha", "0.05", "--power-sessions", "3"])
    assert code == 0, capsys.readouterr().err
    power = load(out / "values_power.nc")
    validate(power, kind="result")
    assert list(power["n_trials"].values) == [60, 120]  # half and full length
    assert set(power["power_extrapolation"].values) <= {
        "within simulated lengths", "extrapolated", "plateaus below the target", "not rising",
        "not estimable", "not applicable"}
    assert (out / "values_power.png").is_file()
    text = (out / "values_report.md").read_text()
    assert "Trials for a correct verdict 80 % of the time" in text
    assert "trials_for_power_fitted" in text
    note = next(x for x in text.splitlines() if x.startswith("- power for this design"))
    assert "a correct 'soft' verdict 80 % of the time needs" in note
    assert "value-signal strength sum g^2 = " in note
    assert float(power["value_gain_energy_low"]) <= float(power["value_gain_energy"])


def test_cli_power_without_pseudo_sessions_counts_the_tested_trials(tmp_path, capsys):
    from neuromop.data import load

    ds = simulate_value_population(encoding="soft", design="separable", n_neurons=15,
                                   n_trials=120, random_state=4)
    path = tmp_path / "generic.nc"
    save(ds.drop_vars(["offer_A", "offer_B"]), path)  # no offers: no pseudo-sessions
    out = tmp_path / "r"
    code = main(["analyze", "values", str(path), "--out", str(out), "--n-null", "19",
                 "--alpha", "0.05", "--base", "chosen", "--power-sessions", "3"])
    assert code == 0, capsys.readouterr().err
    power = load(out / "values_power.nc")
    assert power.attrs["untested_trials"] == 20  # linear shifts of up to 10 trials each way
    text = (out / "values_report.md").read_text()
    assert "power curve in sqrt(trials - 20), the trials the null tests" in text


def test_cli_link_softplus_is_recorded_in_the_result(tmp_path, capsys):
    ds = simulate_value_population(encoding="soft", design="separable", n_neurons=10,
                                   n_trials=100, random_state=5)
    path = tmp_path / "s.nc"
    save(ds, path)
    code = main(["analyze", "values", str(path), "--out", str(tmp_path / "r"), "--n-null", "19",
                 "--alpha", "0.05", "--link", "softplus"])
    assert code == 0, capsys.readouterr().err
    res = xr.open_dataset(tmp_path / "r" / "values_result.nc", engine="h5netcdf")
    assert res.attrs["link"] == "softplus"
    res.close()
    with pytest.raises(SystemExit) as exc:  # argparse: usage message, exit status 2
        main(["analyze", "values", str(path), "--out", str(tmp_path / "q"), "--link",
              "identity"])
    assert exc.value.code == 2
    assert "invalid choice: 'identity'" in capsys.readouterr().err


def test_a_report_that_breaks_the_contract_writes_nothing(tmp_path):
    from neuromop.data.schema import ValidationError
    from neuromop.studies.reports import write_value_report
    from neuromop.values import value_report

    ds = simulate_value_population(encoding="soft", n_neurons=8, n_trials=80, random_state=6)
    report = value_report(ds, n_null=19, alpha=0.05, power_sessions=1, random_state=0)
    bad = report["power"].copy()
    bad["trials_for_power_fitted"] = bad["trials_for_power_fitted"].fillna(np.inf)
    report["power"] = bad
    with pytest.raises(ValidationError, match=r"\+inf"):
        write_value_report(report, tmp_path / "r", "bad")
    assert not (tmp_path / "r").exists() or not any((tmp_path / "r").iterdir())


@pytest.fixture()
def power_test_arguments(monkeypatch):
    """The ``compare_kwargs`` the report hands its power simulations, once it has run."""
    import neuromop.values.report as report_module

    seen = {}
    real = report_module.design_calibration

    def spy(*args, **kwargs):
        seen.update(kwargs["compare_kwargs"])
        return real(*args, **kwargs)

    monkeypatch.setattr(report_module, "design_calibration", spy)
    return seen


def test_report_power_simulations_use_the_statistic_and_nulls_of_the_recordings_test(
        power_test_arguments):
    import neuromop.values.report as report_module

    seen = power_test_arguments
    ds = simulate_value_population(encoding="soft", n_neurons=8, n_trials=80, random_state=6)
    report = report_module.value_report(ds, n_null=19, alpha=0.05, power_sessions=1,
                                        random_state=0)
    # a two-offer recording is tested with pseudo-sessions, so "auto" is the directional one
    assert report["result"].attrs["population_statistic"] == "directional"
    assert seen["population_statistic"] == "directional"
    # and its nulls: the larger p of shifts and pseudo-sessions (shifts alone were laxer)
    assert tuple(seen["null"]) == ("shift", "pseudo") and callable(seen["pseudo_sampler"])
    assert any(note.startswith("population statistic: directional ('auto'")
               for note in report["notes"])
    # the default gate, passed on to the power simulations and named with its p-value
    assert seen["intersection_test"] == "max_z"
    p_gate = float(report["result"]["p_intersection"])
    assert (f"gate 'neither signal adds': the largest standardised statistic of the "
            f"any/soft/true tests (max_z), p = {p_gate:.3g}") in report["notes"]


@pytest.fixture(scope="module")
def bandit_recording():
    from neuromop.values.bandit_population import simulate_bandit_value_population

    return simulate_bandit_value_population(encoding="soft", n_trials=120, n_neurons=6,
                                            gain=0.5, random_state=3)


def test_report_tests_any_task_with_the_pseudo_sampler_given(bandit_recording,
                                                            power_test_arguments):
    import neuromop.values.report as report_module
    from neuromop.values.bandit_population import bandit_pseudo_sampler

    seen = power_test_arguments
    sampler = bandit_pseudo_sampler(120, alpha=bandit_recording.attrs["alpha"],
                                    temperature=bandit_recording.attrs["temperature"])
    report = report_module.value_report(bandit_recording, n_null=19, alpha=0.05,
                                        power_sessions=1, pseudo_sampler=sampler,
                                        random_state=0)
    # the recording is tested against both nulls, so "auto" resolves to the directional test
    assert list(report["result"]["null"].values) == ["shift", "pseudo"]
    assert report["result"].attrs["population_statistic"] == "directional"
    # and the power simulations are tested as the recording is, with the same sampler
    assert tuple(seen["null"]) == ("shift", "pseudo") and seen["pseudo_sampler"] is sampler
    assert "pseudo-sessions: from the sampler given (pseudo_sampler)" in report["notes"]


def test_report_without_a_sampler_says_its_nulls_are_circular_shifts_alone(bandit_recording):
    from neuromop.values import value_report

    # 120 trials are too few for linear shifts of up to 40 trials (n_null 79): circular
    report = value_report(bandit_recording, n_null=79, alpha=0.05, random_state=0)
    assert list(report["result"]["null"].values) == ["shift"]
    assert any(note.startswith("nulls: circular shifts alone") for note in report["notes"])
    forced = value_report(bandit_recording, n_null=19, alpha=0.05, shift_null="shift",
                          random_state=0)
    assert list(forced["result"]["null"].values) == ["shift"]


def test_report_without_a_sampler_uses_linear_shifts_when_the_session_allows(
        bandit_recording, power_test_arguments):
    import neuromop.values.report as report_module

    seen = power_test_arguments
    report = report_module.value_report(bandit_recording, n_null=19, alpha=0.05,
                                        power_sessions=1, random_state=0)
    assert list(report["result"]["null"].values) == ["linear_shift"]
    assert report["result"].attrs["population_statistic"] == "directional"
    assert ("nulls: linear shifts of up to 10 trials (the central 100 trials are tested; "
            "p-values: Harris's large-shift approximation)") in report["notes"]
    # the power simulations are tested alike, at lengths the linear shift can take
    assert tuple(seen["null"]) == ("linear_shift",)
    assert report["power"]["n_trials"].values.tolist() == [60, 120]
    with pytest.raises(ValueError, match="shift_null must be one of"):
        report_module.value_report(bandit_recording, shift_null="block")
