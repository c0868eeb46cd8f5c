"""The per-spike arithmetic of binning equals its exact definitions, and pynapple's counts."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from neuromop.data import SpikeTable, bin_spikes
from neuromop.data.binning import _EDGE_TOL, bin_edges, bin_positions, label_positions


def exact_bins(times, edges, tolerance):
    return np.searchsorted(edges, times + tolerance, side="right") - 1


@pytest.mark.parametrize(("window", "bin_width"), [
    ((0.0, 1.0), 0.001), ((-0.5, 1.0), 0.1), ((-0.9, 0.9), 0.3), ((1e4, 1e4 + 3.0), 0.05),
    ((0.0, 2.0), 0.025),
])
def test_bin_positions_equal_searchsorted(window, bin_width):
    """On random times, times on every edge (decimal, as recorded in ms), times a rounding
    error either side of the edges, and times outside the window."""
    rng = np.random.default_rng(0)
    edges = bin_edges(window, bin_width)
    span = window[1] - window[0]
    on_edges = np.round(window[0] + bin_width * np.arange(edges.size), 9)
    times = np.concatenate([
        rng.uniform(window[0] - span, window[1] + span, 20_000),
        on_edges, np.nextafter(on_edges, -np.inf), np.nextafter(on_edges, np.inf),
        on_edges - _EDGE_TOL * bin_width, on_edges - 2 * _EDGE_TOL * bin_width,
        [window[0] - 1e6, window[1] + 1e6],
    ])
    tol = _EDGE_TOL * bin_width
    np.testing.assert_array_equal(bin_positions(times, edges, tol),
                                  np.clip(exact_bins(times, edges, tol), -1, edges.size - 1))


def test_bin_positions_far_from_zero_take_the_exact_path():
    edges = bin_edges((1e9, 1e9 + 1.0), 1e-3)
    times = 1e9 + np.round(np.random.default_rng(1).uniform(-0.1, 1.1, 5000), 3)
    np.testing.assert_array_equal(bin_positions(times, edges, 1e-12),
                                  np.clip(exact_bins(times, edges, 1e-12), -1, edges.size - 1))


@pytest.mark.parametrize("labels", [
    np.arange(7), np.array([3, 10, -4, 8]), np.array([0, 10**12]), np.array(["a", "c", "b"]),
    np.array([2.0, 0.5]),
])
def test_label_positions_equal_get_indexer(labels):
    rng = np.random.default_rng(2)
    pool = np.concatenate([labels, labels[:1]]) if labels.dtype.kind in "U" else np.concatenate(
        [labels, np.asarray([labels.max() + 1, labels.min() - 1], dtype=labels.dtype)])
    values = rng.choice(pool, 500)
    index = pd.Index(labels[::-1][: max(len(labels) - 1, 1)])
    np.testing.assert_array_equal(label_positions(pd.Series(values), index),
                                  index.get_indexer(values))


@pytest.mark.parametrize(("seed", "bin_size", "length"), [(0, 0.05, 2.0), (1, 0.001, 0.5),
                                                           (2, 0.1, 3.0)])
def test_counts_equal_pynapples_count(seed, bin_size, length):
    """The same spikes as a TsGroup over trial intervals and as a trial-relative table."""
    nap = pytest.importorskip("pynapple")
    rng = np.random.default_rng(seed)
    n_neurons, n_trials = 12, 30
    starts = np.round(np.cumsum(rng.uniform(length + 0.1, length + 1.0, n_trials)), 3)
    end = starts[-1] + length + 1.0
    trains = {k: np.sort(np.round(rng.uniform(0, end, rng.poisson(20 * end)), 4))
              for k in range(n_neurons)}
    group = nap.TsGroup({k: nap.Ts(t) for k, t in trains.items()})
    theirs = np.asarray(group.count(bin_size, nap.IntervalSet(start=starts,
                                                              end=starts + length)).values)
    times = np.concatenate(list(trains.values()))
    neurons = np.repeat(np.arange(n_neurons), [t.size for t in trains.values()])
    trial = np.searchsorted(starts, times, side="right") - 1
    keep = trial >= 0
    table = SpikeTable.from_arrays(times[keep], neurons[keep], trial[keep], time_unit="s",
                                   trial_info=pd.DataFrame({"start": starts},
                                                           index=np.arange(n_trials)))
    ours = bin_spikes(table, bin_width=bin_size, window=(0.0, length), align="start",
                      warn_outside=False)
    np.testing.assert_array_equal(ours.counts.values.reshape(-1, n_neurons), theirs)
    assert ours.attrs["n_spikes_binned"] == theirs.sum()
