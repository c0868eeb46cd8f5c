"""The spiking energy study: configuration, CLI wiring and the smoke-budget run."""

from __future__ import annotations

import dataclasses
import json

import numpy as np
import pandas as pd
import pytest
import xarray as xr

from neuromop.cli import build_parser
from neuromop.studies.spiking_energy import (
    ACTION_DESIGNS,
    TABLE_COLUMNS,
    SpikingEnergyStudy,
    format_table,
)


def smoke_study(**kw) -> SpikingEnergyStudy:
    return SpikingEnergyStudy.for_budget("smoke", **kw)


def test_budgets_grow():
    s, d, p = (SpikingEnergyStudy.for_budget(k) for k in ("smoke", "default", "paper"))
    assert s.eval_steps < d.eval_steps < p.eval_steps
    assert s.target == "numpy" and s.n_exc + s.n_inh <= 100


def test_terminal_set_with_safety_matches_the_env_defaults():
    from neuromop.envs.spiking.terminal import Quiescence, Runaway

    term = smoke_study().terminal_set(safety=True)
    assert term.aux_names == ("energy",)
    assert [type(s) for s in term.sets][1:] == [Quiescence, Runaway]


def test_cli_parses_the_command():
    args = build_parser().parse_args(["run", "spiking-energy", "--budget", "smoke", "--seed", "3"])
    assert args.budget == "smoke" and args.seed == 3 and args.method is None
    assert smoke_study().method == "model"  # the default method


def test_cli_takes_a_named_design():
    args = build_parser().parse_args(["run", "spiking-energy", "--design", "patterns_50ms"])
    assert args.design == "patterns_50ms" and args.budget == "default"
    assert build_parser().parse_args(["run", "spiking-energy"]).design is None


def test_cli_rejects_an_unknown_design(capsys):
    with pytest.raises(SystemExit):
        build_parser().parse_args(["run", "spiking-energy", "--design", "octants_10ms"])
    assert "invalid choice: 'octants_10ms'" in capsys.readouterr().err


@pytest.mark.parametrize("design", [None, "patterns_50ms"])
def test_a_named_design_replaces_the_budgets_actions(design):
    study = smoke_study(design=design)
    if design is None:
        assert study.pattern_groups == 0 and study.control_period == 20.0
    else:
        for key, value in ACTION_DESIGNS[design].items():
            assert getattr(study, key) == value
        assert study.pattern_groups == 16 and study.control_period == 50.0
        assert study.n_exc == smoke_study().n_exc  # the budget's sizes stay


def test_explicit_settings_win_over_the_design():
    assert smoke_study(design="patterns_50ms", amplitude=0.2).amplitude == 0.2


@pytest.mark.parametrize("kw, match", [
    (dict(design="octants_10ms"), "design must be one of"),
    (dict(method="magic"), "method must be one of"),
    (dict(seed=-1), "seed must be an int >= 0"),
    (dict(target="gpu"), "target must be one of"),
])
def test_bad_arguments(kw, match):
    with pytest.raises(ValueError, match=match):
        smoke_study(**kw)


def test_an_unknown_budget_is_rejected():
    with pytest.raises(ValueError, match="budget must be one of"):
        SpikingEnergyStudy.for_budget("huge")


def test_format_table_puts_the_fano_windows_in_order_where_the_marker_stands():
    names = [c for c in TABLE_COLUMNS if c != "fano_factor_*"]
    fano = ["fano_factor_200ms", "fano_factor_50ms", "fano_factor_100ms"]
    table = pd.DataFrame({c: [float(k), 10.0 + k] for k, c in enumerate(names + fano)},
                         index=pd.Index(["MOP", "R"], name="controller"))
    lines = format_table(table).splitlines()
    assert lines[0].split() == ["MOP", "R"]
    at = TABLE_COLUMNS.index("fano_factor_*")
    in_order = ["fano_factor_50ms", "fano_factor_100ms", "fano_factor_200ms"]
    ordered = names[:at] + in_order + names[at:]
    assert [line.split()[0] for line in lines[1:]] == ordered
    last = len(names) - 1                                   # the last shown row is names[-1]
    assert lines[-1].split()[1:] == [f"{last:.3f}", f"{10 + last:.3f}"]


@pytest.mark.parametrize("kw, match", [
    (dict(control_period=50.0), r"fano_windows\[0\] must be a whole multiple of the control "
                                r"period \(0.05 s\), got 0.02 s"),
    (dict(window=0.15), r"window must be a whole multiple of the control period \(0.02 s\)"),
    (dict(control_period=-1.0), "control_period"),
])
def test_config_rejects_count_windows_that_do_not_fit_the_control_period(kw, match):
    with pytest.raises(ValueError, match=match):
        dataclasses.replace(smoke_study(), **kw)


def test_config_accepts_windows_made_of_whole_periods():
    cfg = dataclasses.replace(smoke_study(), control_period=50.0,
                              fano_windows=(0.05, 0.1, 0.2))
    assert cfg.fano_windows == (0.05, 0.1, 0.2)


@pytest.mark.parametrize("kw, match", [
    (dict(e_groups=3), r"e_groups must divide n_exc=80"),
    (dict(e_groups=0), "e_groups must be >= 1"),
    (dict(eta=-1.0), "eta"),
])
def test_config_rejects_bad_groups_and_drive(kw, match):
    with pytest.raises(ValueError, match=match):
        dataclasses.replace(smoke_study(), **kw)


@pytest.mark.parametrize("kw, match", [
    (dict(pattern_groups=16, e_groups=2), "pattern_groups needs e_groups=1"),
    (dict(pattern_groups=6), r"pattern_groups must divide n_exc=80"),
    (dict(pattern_groups=-1), "pattern_groups must be >= 0"),
    (dict(pattern_groups=4, n_patterns=7), r"n_patterns must be <= 6"),
    (dict(pattern_groups=16, pattern_amplitude=0.0), "pattern_amplitude"),
    (dict(pattern_groups=16, pattern_seed=-2), "pattern_seed must be >= 0"),
])
def test_config_rejects_bad_patterns(kw, match):
    with pytest.raises(ValueError, match=match):
        dataclasses.replace(smoke_study(), **kw)


def test_patterned_actions_drive_groups_of_e_and_read_the_populations():
    from neuromop.envs.spiking.network import parse_targets

    cfg = dataclasses.replace(smoke_study(), pattern_groups=16, n_patterns=8,
                              pattern_amplitude=0.04)
    assert list(cfg.readouts()) == ["E", "I"]  # observation: the populations
    targets = cfg.action_targets()
    assert list(targets) == [f"P{k}" for k in range(16)] + ["I"]
    _, matrix = parse_targets("action_targets", targets, cfg.network_params(), normalise=False)
    # each E neuron in exactly one group of 5; I driven by the last component
    np.testing.assert_array_equal(matrix[:16, :80].sum(axis=0), 1.0)
    np.testing.assert_array_equal(matrix[:16].sum(axis=1), 5.0)
    assert matrix[16, 80:].all() and not matrix[16, :80].any()
    cand = cfg.candidate_actions()
    assert cand.shape == (72, 17)
    np.testing.assert_allclose(np.sort(np.unique(cand[:, :16].mean(axis=1).round(12))),
                               [-0.06, 0.0, 0.06])
    np.testing.assert_allclose(cand, cfg.candidate_actions())  # fixed by pattern_seed
    other = dataclasses.replace(cfg, pattern_seed=1).candidate_actions()
    assert not np.allclose(cand, other)


def test_config_rejects_a_non_bool_control_inh():
    with pytest.raises(TypeError, match="control_inh must be a bool"):
        dataclasses.replace(smoke_study(), control_inh=1)


def test_grouped_actions_drive_and_read_each_e_group_and_i():
    from neuromop.envs.spiking.network import parse_targets

    cfg = dataclasses.replace(smoke_study(), e_groups=2, amplitude=0.05, eta=1.1)
    cand = cfg.candidate_actions()
    assert cand.shape == (27, 3) and set(cand.ravel()) == {-0.05, 0.0, 0.05}
    assert cfg.network_params().eta == 1.1
    targets = cfg.action_targets()
    assert list(targets) == ["E0", "E1", "I"]
    labels, matrix = parse_targets("action_targets", targets, cfg.network_params(),
                                   normalise=False)
    assert labels == ["E0", "E1", "I"]
    # E0 is the first half of the E neurons, E1 the second half, then the 20 I neurons
    assert matrix[0, :40].all() and not matrix[0, 40:].any()
    assert matrix[1, 40:80].all() and not matrix[1, :40].any()
    assert matrix[2, 80:].all() and not matrix[2, :80].any()
    one = smoke_study()
    assert list(one.action_targets()) == ["E", "I"] and one.candidate_actions().shape == (9, 2)
    excitatory = dataclasses.replace(cfg, e_groups=4, control_inh=False)
    assert list(excitatory.action_targets()) == ["E0", "E1", "E2", "E3"]
    assert list(excitatory.readouts()) == ["E0", "E1", "E2", "E3", "I"]
    assert excitatory.candidate_actions().shape == (81, 4)


@pytest.fixture(scope="module")
def smoke(tmp_path_factory):
    import torch

    # module-scoped fixtures run before the per-test one-thread fixture of conftest; with two
    # torch threads on a loaded 2-core machine fitted VI ran ~5x slower
    previous = torch.get_num_threads()
    torch.set_num_threads(1)
    out = tmp_path_factory.mktemp("spiking_energy")
    try:
        yield smoke_study(seed=0).run(out, progress=False), out
    finally:
        torch.set_num_threads(previous)


@pytest.mark.slow
def test_smoke_run_writes_outputs(smoke):
    result, out = smoke
    ds = xr.open_dataset(out / "counts.nc")
    assert ds["counts"].dims == ("trial", "time", "neuron")
    assert set(ds["controller"].values) == {"free", "MOP", "R"}
    spikes = pd.read_csv(out / "spikes.csv")
    assert list(spikes.columns) == ["time", "neuron", "trial"]
    assert len(spikes) == int(ds["counts"].sum())
    summary = json.loads((out / "summary.json").read_text())
    assert [r["controller"] for r in summary["summary"]["controllers"]] == ["free", "MOP", "R"]
    assert summary["settings"]["design"] is None
    assert summary["settings"]["control_period"] == 20.0
    assert summary["provenance"]["neuromop_version"]
    assert (out / "spiking_energy.png").stat().st_size > 10_000
    assert list(result.frames["controllers"].index) == ["free", "MOP", "R"]


@pytest.mark.slow
def test_smoke_counts_validate_and_go_back_into_analyze(smoke, tmp_path):
    from neuromop.cli import main
    from neuromop.data import load, validate

    _, out = smoke
    ds = load(out / "counts.nc")
    assert validate(ds) == []  # binned counts, one activity variable, units and bin width
    assert main(["analyze", "variability", str(out / "counts.nc"), "--window", "0.04",
                 "--out", str(tmp_path)]) == 0
    report = json.loads((tmp_path / "variability.json").read_text())
    assert report["kind"] == "counts" and report["n_neurons"] == ds.sizes["neuron"]
    assert report["agent"]["n_trials"] == ds.sizes["trial"]


@pytest.mark.slow
def test_smoke_mop_outlives_free_and_is_more_variable_in_actions_than_r(smoke):
    # held at the smoke budget for seeds 0, 1 and 2 (MOP lifetime 2.0 s = all copies alive vs
    # free 0.34-0.39 s; action entropy ~1.6 vs 0.27 nats; MOP survival 1.0 vs R 0.75-0.875)
    table = smoke[0].frames["controllers"]
    assert table.loc["MOP", "lifetime_s"] > 3 * table.loc["free", "lifetime_s"]
    assert table.loc["MOP", "action_entropy"] > 2 * table.loc["R", "action_entropy"]
    assert table.loc["MOP", "survival"] >= table.loc["R", "survival"]


@pytest.mark.slow
def test_smoke_mop_and_r_are_compared_over_the_same_windows(smoke):
    table = smoke[0].frames["controllers"]
    assert table.loc["MOP", "span_s"] == table.loc["R", "span_s"] > 0
    assert table["fano_factor_rate_matched"].loc[["MOP", "R"]].notna().all()


@pytest.mark.slow
def test_smoke_dimensionality_and_correlations_are_measured_for_both_controllers(smoke):
    # Measured, not asserted as an effect at one smoke seed: participation ratio MOP > R in
    # earlier runs (smoke seeds 0-2: 19.4 / 14.2 / 14.3 vs 9.1 / 13.9 / 12.6; default seeds
    # 0-2: 13.1 / 13.2 / 15.5 vs 6.9 / 6.2 / 7.1), but the same code and seed 0 gave MOP 11.6 vs
    # R 12.7 on another machine (floating-point differences grow through the closed loop), so
    # the comparison is read over seeds (notebook, spiking-designs study), not from one run.
    table = smoke[0].frames["controllers"]
    for metric in ("participation_ratio", "r_sc"):
        values = table.loc[["MOP", "R"], metric]
        assert values.notna().all() and np.isfinite(values.astype(float)).all(), metric
    assert (table.loc[["MOP", "R"], "participation_ratio"] >= 1.0).all()
