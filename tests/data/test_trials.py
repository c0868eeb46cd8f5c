"""Cutting a continuous session into trials, checked against a slow per-window loop."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

from neuromop.data import SpikeTable, bin_spikes, cut_trials


def _session(seed: int, n_spikes: int = 2000, n_neurons: int = 5, duration: float = 100.0):
    rng = np.random.default_rng(seed)
    times = rng.uniform(0.0, duration, n_spikes)
    neurons = rng.choice([f"n{i}" for i in range(n_neurons)], n_spikes)
    info = pd.DataFrame({"area": ["ofc"] * n_neurons},
                        index=[f"n{i}" for i in range(n_neurons)])
    return SpikeTable.from_arrays(times, neurons, neuron_info=info, attrs={"source": "test"},
                                  time_unit="s")


def _loop_reference(times, neurons, anchors, lo, hi):
    """Slow reference: every window, every spike; (time relative to the anchor, neuron, trial)."""
    rows = []
    for k, (a, l, h) in enumerate(zip(anchors, lo, hi)):
        for t, n in zip(times, neurons):
            if l <= t - a < h:
                rows.append((t - a, n, k))
    inside = {i for i, t in enumerate(times)
              for a, l, h in zip(anchors, lo, hi) if l <= t - a < h}
    frame = pd.DataFrame(rows, columns=["time", "neuron", "trial"])
    return frame.sort_values(["trial", "time"]).reset_index(drop=True), len(times) - len(inside)


def _sorted(table: SpikeTable) -> pd.DataFrame:
    return table.data[["time", "neuron", "trial"]].sort_values(["trial", "time"]).reset_index(
        drop=True)


@pytest.mark.parametrize(("seed", "n_events", "window"), [
    (0, 10, (-0.5, 1.0)),
    (1, 30, (-2.0, 6.0)),   # windows overlap: spikes appear in several trials
    (2, 5, (0.0, 0.25)),
    (3, 1, (-10.0, 10.0)),
])
def test_events_match_loop_reference(seed, n_events, window):
    table = _session(seed)
    events = np.sort(np.random.default_rng(seed + 100).uniform(5.0, 95.0, n_events))
    out = cut_trials(table, events=events, window=window)
    times, neurons = table.data["time"].to_numpy(), table.data["neuron"].to_numpy()
    expected, outside = _loop_reference(times, neurons, events, [window[0]] * n_events,
                                        [window[1]] * n_events)
    pd.testing.assert_frame_equal(_sorted(out), expected, check_dtype=False)
    assert out.attrs["n_spikes_outside"] == outside
    assert out.attrs["n_spikes_session"] == table.n_spikes
    np.testing.assert_allclose(out.trial_info["event_time"], events)
    np.testing.assert_allclose(out.trial_info["start_time"], events + window[0])
    assert list(out.neurons) == list(table.neurons) and "area" in out.neuron_info


@pytest.mark.parametrize(("seed", "bounds"), [
    (4, [(0.0, 10.0), (20.0, 25.0), (50.0, 99.0)]),
    (5, [(10.0, 30.0), (20.0, 40.0), (35.0, 36.0)]),   # overlapping intervals
    (6, [(99.5, 120.0)]),
])
def test_intervals_match_loop_reference(seed, bounds):
    table = _session(seed)
    bounds = np.asarray(bounds)
    out = cut_trials(table, intervals=bounds)
    times, neurons = table.data["time"].to_numpy(), table.data["neuron"].to_numpy()
    expected, outside = _loop_reference(times, neurons, bounds[:, 0], np.zeros(len(bounds)),
                                        bounds[:, 1] - bounds[:, 0])
    pd.testing.assert_frame_equal(_sorted(out), expected, check_dtype=False)
    assert out.attrs["n_spikes_outside"] == outside
    np.testing.assert_allclose(out.trial_info[["start_time", "stop_time"]].to_numpy(), bounds)


def test_overlapping_windows_duplicate_spikes():
    table = SpikeTable.from_arrays([1.0, 1.5, 3.0, 9.0], [0, 0, 1, 0])
    out = cut_trials(table, events=[1.2, 1.4], window=(-0.5, 0.5))
    assert out.n_spikes == 4 and out.attrs["n_spikes_outside"] == 2
    np.testing.assert_allclose(_sorted(out)["time"], [-0.2, 0.3, -0.4, 0.1])


def test_interval_table_keeps_labels_and_metadata():
    intervals = pd.DataFrame({"start": [0.0, 40.0], "end": [5.0, 45.0], "cond": ["a", "b"]},
                             index=["t1", "t2"])
    out = cut_trials(_session(7), intervals=intervals)
    assert list(out.trials) == ["t1", "t2"] and list(out.trial_info["cond"]) == ["a", "b"]


def test_event_series_names_trials_and_column():
    events = pd.Series([10.0, 20.0], index=[7, 9], name="stimulus_on")
    out = cut_trials(_session(8), events=events, window=(-1, 1))
    assert list(out.trials) == [7, 9]
    np.testing.assert_allclose(out.trial_info["stimulus_on"], [10.0, 20.0])


def test_arrays_give_the_table_result():
    table = _session(9)
    kwargs = {"events": [10.0, 50.0], "window": (-1.0, 2.0)}
    from_table = cut_trials(table, **kwargs)
    from_arrays = cut_trials(table.data["time"].to_numpy(), neurons=table.data["neuron"],
                             **kwargs)
    pd.testing.assert_frame_equal(from_arrays.data, from_table.data)
    single = cut_trials(table.data["time"].to_numpy(), **kwargs)
    assert set(single.neurons) == {0} and single.n_spikes == from_table.n_spikes


def test_quantities_are_converted_to_seconds():
    pq = pytest.importorskip("quantities")
    table = _session(10)
    in_s = cut_trials(table, events=[10.0, 50.0], window=(-1.0, 2.0))
    in_ms = cut_trials(table, events=np.array([10.0, 50.0]) * 1000 * pq.ms,
                       window=np.array([-1000.0, 2000.0]) * pq.ms)
    pd.testing.assert_frame_equal(in_ms.data, in_s.data)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_whole_millisecond_times_follow_exact_arithmetic(seed):
    # spikes and events on a 1-ms grid: windows edges are hit exactly; [start, stop) decides
    rng = np.random.default_rng(seed)
    spikes_ms = np.unique(rng.integers(0, 20_000, 3000))
    events_ms = rng.choice(spikes_ms, 20) + rng.integers(-5, 5, 20)
    lo_ms, hi_ms = -300, 700
    out = cut_trials(spikes_ms / 1000, events=events_ms / 1000, window=(lo_ms / 1000,
                                                                          hi_ms / 1000))
    rel = spikes_ms[None, :] - events_ms[:, None]
    expected = ((rel >= lo_ms) & (rel < hi_ms)).sum(axis=1)
    got = out.data.groupby("trial").size().reindex(range(20), fill_value=0).to_numpy()
    np.testing.assert_array_equal(got, expected)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # every kept spike lands in a bin
        ds = bin_spikes(out, bin_width=0.001, window=(lo_ms / 1000, hi_ms / 1000))
    np.testing.assert_array_equal(ds.counts.sum(("time", "neuron")).values, expected)


def test_bin_spikes_keeps_the_cut_report():
    out = cut_trials(_session(11), events=[20.0, 60.0], window=(0.0, 1.0))
    ds = bin_spikes(out, bin_width=0.1, window=(0.0, 1.0))
    assert ds.attrs["n_spikes_outside"] == 0
    assert ds.attrs["n_spikes_outside_trials"] == out.attrs["n_spikes_outside"] > 0
    assert int(ds.counts.sum()) == out.n_spikes


@pytest.mark.parametrize(("kwargs", "error", "match"), [
    ({}, ValueError, "exactly one of events"),
    ({"events": [1.0], "intervals": [(0, 1)]}, ValueError, "exactly one of events"),
    ({"events": [1.0]}, ValueError, "window .* is required"),
    ({"intervals": [(0, 1)], "window": (0, 1)}, ValueError, "window applies to events only"),
    ({"events": [1.0], "window": (1, 0)}, ValueError, "window must be finite with stop > start"),
    ({"events": [1.0], "window": (0, 1, 2)}, ValueError, "window must be a pair"),
    ({"events": [1.0, np.nan], "window": (0, 1)}, ValueError, "events must be finite"),
    ({"events": [[1.0]], "window": (0, 1)}, ValueError, "events must be 1-dimensional"),
    ({"intervals": [(0, 1), (3, 2)]}, ValueError, r"stop > start, got \(3.0, 2.0\) at row 1"),
    ({"intervals": [0, 1, 2]}, ValueError, r"intervals must have shape \(n_trials, 2\)"),
    ({"intervals": pd.DataFrame({"a": [0.0], "b": [1.0]})}, ValueError, "start_time/stop_time"),
    ({"events": pd.Series([1.0, 2.0], index=[0, 0]), "window": (0, 1)}, ValueError,
     "trial labels must be unique"),
])
def test_bad_arguments(kwargs, error, match):
    with pytest.raises(error, match=match):
        cut_trials(_session(0, n_spikes=50), **kwargs)


@pytest.mark.parametrize(("session", "kwargs", "error", "match"), [
    (SpikeTable.from_arrays([0.1, 0.2], [0, 0], [0, 1]), {}, ValueError,
     "one continuous session"),
    (SpikeTable.from_arrays([0.1], [0]), {"neurons": [0]}, ValueError, "neurons must be None"),
    ("abc", {}, TypeError, "table_or_times must be"),
    (pd.DataFrame({"time": [0.1]}), {}, TypeError, "table_or_times must be"),
    (np.array([0.1, np.inf]), {}, ValueError, "table_or_times must be finite"),
])
def test_bad_sessions(session, kwargs, error, match):
    with pytest.raises(error, match=match):
        cut_trials(session, events=[0.0], window=(0, 1), **kwargs)
