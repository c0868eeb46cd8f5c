"""Variability table of closed-loop runs: analysis spans and count statistics (synthetic data)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import xarray as xr

from neuromop.analysis.tables import analysis_spans, variability_table

WIDTH = 0.02  # s, one control period per bin


def synthetic_run(lifetimes: dict[str, list[int]], n_time=20, n_neurons=6, seed=0):
    """A run_controllers-like dataset with Poisson counts and given lifetimes (periods)."""
    rng = np.random.default_rng(seed)
    labels = [lab for lab, life in lifetimes.items() for _ in life]
    life = np.concatenate([np.asarray(v) for v in lifetimes.values()])
    n_trials = life.size
    lam = rng.uniform(0.1, 0.6, n_neurons)
    counts = rng.poisson(lam, (n_trials, n_time, n_neurons)).astype(np.int32)
    alive = np.arange(n_time)[None, :] < life[:, None]
    ds = xr.Dataset(
        {"counts": (("trial", "time", "neuron"), counts),
         "lifetime": ("trial", life.astype(np.int64)),
         "terminated": (("trial", "time"), ~alive),
         "population_rate": (("trial", "time"), counts.mean(-1) / WIDTH),
         "action_entropy": (("trial", "time"), np.where(alive, 1.0, np.nan))},
        coords={"trial": np.arange(n_trials), "time": (np.arange(n_time) + 0.5) * WIDTH,
                "neuron": np.arange(n_neurons), "population": ("neuron", ["E"] * n_neurons),
                "controller": ("trial", labels)},
        attrs={"bin_width": WIDTH})
    t, b, n = np.nonzero(counts)
    reps = counts[t, b, n]
    offset = rng.uniform(0.0, WIDTH, reps.sum())  # distinct times inside each bin
    spikes = pd.DataFrame({"time": np.repeat(b * WIDTH, reps) + offset,
                           "neuron": np.repeat(n, reps), "trial": np.repeat(t, reps)})
    return ds, spikes


LIVES = {"A": [20, 20, 20, 20], "B": [3, 12, 16, 20]}


@pytest.mark.parametrize("common, expected", [
    # B: half of 4 trials must live; the 2nd longest lifetime is 16 bins -> 16 bins (window 2)
    (None, {"A": (16, [0, 1, 2, 3]), "B": (16, [6, 7])}),
    (["A"], {"A": (20, [0, 1, 2, 3]), "B": (16, [6, 7])}),
])
def test_analysis_spans(common, expected):
    ds, _ = synthetic_run(LIVES)
    spans = analysis_spans(ds, 2 * WIDTH, common=common)
    assert {k: (n, t.tolist()) for k, (n, t) in spans.items()} == expected


def test_analysis_spans_min_fraction():
    ds, _ = synthetic_run(LIVES)
    n_bins, trials = analysis_spans(ds, 2 * WIDTH, min_fraction=1.0, common=[])["B"]
    assert n_bins == 2 and trials.tolist() == [4, 5, 6, 7]


def test_analysis_spans_rejects_unknown_controllers():
    ds, _ = synthetic_run(LIVES)
    with pytest.raises(ValueError, match="common must name controllers"):
        analysis_spans(ds, WIDTH, common=["C"])


@pytest.mark.parametrize("window_bins", [1, 3, 5])
def test_fano_factors_match_a_numpy_reference(window_bins):
    ds, spikes = synthetic_run(LIVES, n_time=30)
    w = window_bins * WIDTH
    table = variability_table(ds, spikes, window=0.1, fano_windows=(w,), common=["A", "B"])
    n_bins, trials = analysis_spans(ds, 0.1, common=["A", "B"])["B"]
    c = ds["counts"].values[trials, :n_bins]
    n_win = n_bins // window_bins
    c = c[:, :n_win * window_bins].reshape(len(trials), n_win, window_bins, -1).sum(2)
    with np.errstate(invalid="ignore", divide="ignore"):
        ff = c.var(0) / c.mean(0)
    assert table.loc["B", f"fano_factor_{round(w * 1e3)}ms"] == pytest.approx(np.nanmean(ff))
    assert table.loc["B", "span_s"] == pytest.approx(n_bins * WIDTH)
    assert table.loc["B", "trials_analysed"] == len(trials)


def test_table_columns_and_poisson_values():
    ds, spikes = synthetic_run({"A": [40] * 30, "B": [40] * 30}, n_time=40, n_neurons=60)
    table = variability_table(ds, spikes, window=0.1)
    # independent Poisson counts: Fano factors near 1, and the participation ratio of a diagonal
    # covariance with variances proportional to the rates: (sum lam)^2 / sum lam^2
    lam = np.random.default_rng(0).uniform(0.1, 0.6, 60)  # the rates drawn by synthetic_run
    assert table["fano_factor"].between(0.85, 1.15).all()
    assert table["mean_matched_fano_factor"].between(0.85, 1.15).all()
    assert table["fano_factor_rate_matched"].between(0.85, 1.15).all()
    pr = lam.sum() ** 2 / (lam**2).sum()
    np.testing.assert_allclose(table["participation_ratio"], pr, rtol=0.1)
    assert (table["lifetime_steps"] == 40).all() and (table["survival"] == 1).all()


def test_rate_matched_fano_factor_is_the_group_matching_of_the_common_controllers():
    from neuromop._random import spawn
    from neuromop.analysis import group_matched_fano_factor

    ds, spikes = synthetic_run({"A": [30] * 12, "B": [30] * 10, "C": [8] * 6}, n_time=30,
                               n_neurons=40)
    table = variability_table(ds, spikes, window=0.1, common=["A", "B"], match_bin_size=0.1,
                              random_state=3)
    spans = analysis_spans(ds, 0.1, common=["A", "B"])
    trials = np.concatenate([spans["A"][1], spans["B"][1]])
    counts = ds["counts"].isel(trial=trials, time=slice(0, spans["A"][0]))
    # the matching across controllers uses the last of one spawned stream per controller + 1
    ref = group_matched_fano_factor(counts, "controller", window=0.1, repeats=20,
                                    bin_size=0.1, random_state=spawn(3, 4)[-1])["fano_factor"]
    np.testing.assert_allclose(table.loc[["A", "B"], "fano_factor_rate_matched"], ref.values)
    assert np.isnan(table.loc["C", "fano_factor_rate_matched"])  # not compared: own span
    alone = variability_table(ds, spikes, window=0.1, common=["A"])
    assert alone["fano_factor_rate_matched"].isna().all()  # nothing to match against


@pytest.mark.parametrize("kw, match", [(dict(window=0.03), "window must be a multiple"),
                                       (dict(fano_windows=(0.05,)), "fano_windows must be"),
                                       (dict(neurons="X"), "neurons must name"),
                                       (dict(match_bin_size=0.0), "match_bin_size")])
def test_table_errors(kw, match):
    ds, spikes = synthetic_run(LIVES)
    with pytest.raises(ValueError, match=match):
        variability_table(ds, spikes, **kw)
