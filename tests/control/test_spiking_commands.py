"""``neuromop run spiking-energy``: configuration, CLI wiring and the smoke-budget study."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
import xarray as xr

from neuromop.cli import build_parser
from neuromop.control.spiking_commands import (
    BUDGETS,
    DEFAULT_METHOD,
    format_table,
    run_spiking_energy,
)


def test_budgets_grow():
    s, d, p = (BUDGETS[k] for k in ("smoke", "default", "paper"))
    assert s.eval_steps < d.eval_steps < p.eval_steps
    assert s.target == "numpy" and s.n_exc + s.n_inh <= 100


def test_terminal_set_with_safety_matches_the_env_defaults():
    from neuromop.envs.spiking_terminal import Quiescence, Runaway

    term = BUDGETS["smoke"].terminal_set(safety=True)
    assert term.aux_names == ("energy",)
    assert [type(s) for s in term.sets][1:] == [Quiescence, Runaway]


def test_cli_parses_the_command():
    args = build_parser().parse_args(["run", "spiking-energy", "--budget", "smoke", "--seed", "3"])
    assert args.budget == "smoke" and args.seed == 3 and args.method == DEFAULT_METHOD


@pytest.mark.parametrize("kw, match", [
    (dict(budget="huge"), "budget must be one of"),
    (dict(method="magic"), "method must be one of"),
    (dict(seed=-1), "seed must be >= 0"),
])
def test_bad_arguments(kw, match):
    with pytest.raises(ValueError, match=match):
        run_spiking_energy(**kw)


def test_format_table():
    cols = ["lifetime_s", "survival", "action_entropy", "rate_hz", "fano_factor", "cv_isi",
            "r_sc", "participation_ratio"]
    table = pd.DataFrame([np.arange(8.0)], columns=cols, index=pd.Index(["MOP"],
                                                                         name="controller"))
    text = format_table(table)
    assert text.splitlines()[1].startswith("MOP") and "7.000" in text


@pytest.fixture(scope="module")
def smoke(tmp_path_factory):
    out = tmp_path_factory.mktemp("spiking_energy")
    return run_spiking_energy("smoke", out=out, seed=0), out


@pytest.mark.slow
def test_smoke_run_writes_outputs(smoke):
    result, out = smoke
    ds = xr.open_dataset(out / "spiking_energy_counts.nc")
    assert ds["counts"].dims == ("trial", "time", "neuron")
    assert set(ds["controller"].values) == {"free", "MOP", "R"}
    spikes = pd.read_csv(out / "spiking_energy_spikes.csv")
    assert len(spikes) == int(ds["counts"].sum())
    summary = json.loads((out / "spiking_energy.json").read_text())
    assert [r["controller"] for r in summary["table"]] == ["free", "MOP", "R"]
    assert (out / "spiking_energy.png").stat().st_size > 10_000


@pytest.mark.slow
def test_smoke_mop_outlives_free_and_is_more_variable_in_actions_than_r(smoke):
    # the parts of "done means" that are reliable at the smoke budget (see the notebook for
    # Fano factor and participation ratio)
    table = smoke[0]["table"]
    assert table.loc["MOP", "lifetime_s"] > 3 * table.loc["free", "lifetime_s"]
    assert table.loc["MOP", "action_entropy"] > 2 * table.loc["R", "action_entropy"]
