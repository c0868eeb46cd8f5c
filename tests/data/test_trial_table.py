"""load_trial_table: a user's trial table and spike times become trial-aligned counts."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from neuromop.data import load_trial_table, validate


@pytest.fixture
def session():
    rng = np.random.default_rng(0)
    n = 30
    trials = pd.DataFrame(
        {"choice_time": np.arange(n) * 2.0 + 1.0 + rng.uniform(0, 0.3, n),
         "choice": rng.integers(0, 2, n), "rewarded": rng.random(n) < 0.5,
         "transition": np.where(rng.random(n) < 0.7, "common", "rare")},
        index=pd.Index(np.arange(100, 100 + n), name="trial"))
    times = np.sort(rng.uniform(0, 2.0 * n + 2, 3000))
    neurons = rng.choice(["u1", "u2", "u7"], times.size)
    return trials, times, neurons


def test_counts_match_a_brute_force_count(session):
    trials, times, neurons = session
    ds = load_trial_table(trials, times, neurons, event="choice_time", window=(-0.5, 1.0),
                          bin_width=0.25, session="day1")
    validate(ds)
    assert ds.counts.dims == ("trial", "time", "neuron")
    assert list(ds.trial.values) == list(trials.index)
    for k, t0 in enumerate(trials.choice_time):
        for j, unit in enumerate(ds.neuron.values):
            edges = t0 + np.arange(-0.5, 1.0 + 1e-9, 0.25)
            brute = np.histogram(times[neurons == unit], edges)[0]
            np.testing.assert_array_equal(ds.counts.values[k, :, j], brute)


def test_the_table_columns_become_trial_coordinates(session):
    trials, times, neurons = session
    ds = load_trial_table(trials, times, neurons, event="choice_time", window=(-0.5, 1.0),
                          bin_width=0.25, session="day1")
    np.testing.assert_array_equal(ds.choice.values, trials.choice.values)
    np.testing.assert_array_equal(ds.rewarded.values, trials.rewarded.values)
    assert set(ds.transition.values) == {"common", "rare"}
    assert set(ds.session.values) == {"day1"} and ds.attrs["align"] == "choice_time"
    np.testing.assert_allclose(ds.start_time, trials.choice_time - 0.5)


def test_missing_event_times_are_refused_by_row(session):
    trials, times, neurons = session
    trials = trials.copy()
    trials.loc[103, "choice_time"] = np.nan
    with pytest.raises(ValueError, match=r"rows \[103\]"):
        load_trial_table(trials, times, neurons, event="choice_time", window=(-0.5, 1.0),
                         bin_width=0.25)


def test_bad_columns_and_labels_are_named(session):
    trials, times, neurons = session
    with pytest.raises(ValueError, match="event must name a column"):
        load_trial_table(trials, times, neurons, event="go", window=(0, 1), bin_width=0.5)
    with pytest.raises(ValueError, match="spike_neurons"):
        load_trial_table(trials, times, neurons[:-1], event="choice_time", window=(0, 1),
                         bin_width=0.5)
    odd = trials.assign(extra=[object()] * len(trials))
    with pytest.raises(TypeError, match="column 'extra'"):
        load_trial_table(odd, times, neurons, event="choice_time", window=(0, 1),
                         bin_width=0.5)
