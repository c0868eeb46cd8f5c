"""Spike tables and their binning, checked against a slow per-train np.histogram reference."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
import xarray as xr

from neuromop.data import (
    SpikeTable,
    bin_edges,
    bin_spikes,
    make_spike_table,
    sliding_window_counts,
    validate,
)

# the reference windows deliberately leave spikes out; tests of that warning use pytest.warns
pytestmark = pytest.mark.filterwarnings("ignore:.*outside the binning window:UserWarning")


def _random_table(seed: int, n_spikes: int = 3000, n_neurons: int = 7, n_trials: int = 9):
    rng = np.random.default_rng(seed)
    trial_info = pd.DataFrame(
        {"onset": rng.uniform(0.5, 1.5, n_trials), "cond": rng.choice(["x", "y"], n_trials)},
        index=pd.Index(np.arange(n_trials) * 10, name="trial"),
    )
    neuron_info = pd.DataFrame({"area": ["a"] * n_neurons},
                               index=pd.Index([f"n{i}" for i in range(n_neurons)]))
    return SpikeTable.from_arrays(
        rng.uniform(0, 3, n_spikes),
        rng.choice(neuron_info.index.to_numpy(), n_spikes),
        rng.choice(trial_info.index.to_numpy(), n_spikes),
        neuron_info=neuron_info, trial_info=trial_info, attrs={"source": "test"},
    )


def _reference(table: SpikeTable, edges: np.ndarray, align: np.ndarray) -> np.ndarray:
    """Slow reference: one np.histogram per (trial, neuron) spike train."""
    frame = table.data
    out = np.zeros((len(table.trials), edges.size - 1, len(table.neurons)), dtype=np.int64)
    for i, trial in enumerate(table.trials):
        for j, neuron in enumerate(table.neurons):
            times = frame.loc[(frame.trial == trial) & (frame.neuron == neuron), "time"].to_numpy()
            rel = times - align[i]
            rel = rel[rel < edges[-1]]  # histogram's last bin is closed; ours is half-open
            out[i, :, j] = np.histogram(rel, bins=edges)[0]
    return out


@pytest.mark.parametrize(("seed", "bin_width", "window"), [
    (0, 0.1, (-0.5, 1.0)), (1, 0.05, (-1.0, 1.5)), (2, 0.25, (0.0, 1.0)), (3, 0.3, (-0.9, 0.9)),
    (4, 0.001, (-0.2, 0.1)),
])
def test_binning_matches_histogram_reference(seed, bin_width, window):
    table = _random_table(seed)
    ds = bin_spikes(table, bin_width=bin_width, window=window, align="onset")
    edges = bin_edges(window, bin_width)
    expected = _reference(table, edges, table.trial_info["onset"].to_numpy())
    np.testing.assert_array_equal(ds.counts.values, expected)
    np.testing.assert_allclose(ds.time.values, edges[:-1] + bin_width / 2)
    assert validate(ds) == []
    assert list(ds.cond.values) == list(table.trial_info["cond"])
    assert ds.attrs["bin_width"] == bin_width and ds.attrs["units"] == "spikes"


def test_align_forms_agree():
    table = _random_table(5)
    onset = table.trial_info["onset"]
    by_name = bin_spikes(table, bin_width=0.1, window=(-0.5, 0.5), align="onset")
    by_series = bin_spikes(table, bin_width=0.1, window=(-0.5, 0.5), align=onset[::-1])
    by_array = bin_spikes(table, bin_width=0.1, window=(-0.5, 0.5), align=onset.to_numpy())
    xr.testing.assert_equal(by_name.counts, by_series.counts)
    xr.testing.assert_equal(by_name.counts, by_array.counts)


def test_selection_order_and_silent_neurons():
    table = SpikeTable.from_arrays([0.05, 0.15, 0.15], ["a", "a", "b"], [1, 1, 2],
                                   neuron_info=pd.DataFrame(index=["a", "b", "silent"]))
    ds = bin_spikes(table, bin_width=0.1, window=(0, 0.2), trials=[2, 1],
                    neurons=["silent", "b", "a"])
    assert list(ds.trial.values) == [2, 1]
    np.testing.assert_array_equal(ds.counts.values[:, :, 0], 0)
    np.testing.assert_array_equal(ds.counts.sel(trial=1, neuron="a").values, [1, 1])
    np.testing.assert_array_equal(ds.counts.sel(trial=2, neuron="b").values, [0, 1])


def test_millisecond_spikes_on_edges_land_in_upper_bin():
    # 1.655 - 1.555 is 0.09999999999999987 in floats; exact arithmetic says 0.1
    table = SpikeTable.from_arrays([1.655, 2.055], [0, 0], [0, 0],
                                   trial_info=pd.DataFrame({"on": [1.555]}, index=[0]))
    ds = bin_spikes(table, bin_width=0.1, window=(0.0, 0.6), align="on")
    np.testing.assert_array_equal(ds.counts.values[0, :, 0], [0, 1, 0, 0, 0, 1])


def test_default_window_covers_all_spikes():
    table = make_spike_table(3, 4, 1.0, rate=30.0, random_state=0)
    ds = bin_spikes(table, bin_width=0.1)
    assert int(ds.counts.sum()) == table.n_spikes


@pytest.mark.parametrize(("kwargs", "error", "match"), [
    ({"window": (0, 0.35)}, ValueError, "whole multiple of bin_width"),
    ({"window": (1, 0)}, ValueError, "stop > start"),
    ({"window": (0, 1), "align": [0.0, 1.0]}, ValueError, "one event time per selected trial"),
    ({"window": (0, 1), "align": "missing"}, ValueError, "not a column"),
    ({"window": (0, 1), "neurons": ["zzz"]}, ValueError, "unknown label"),
    ({"window": (0, 1), "bin_width": 0.0}, ValueError, "bin_width must be >"),
])
def test_bad_arguments(kwargs, error, match):
    table = _random_table(0, n_trials=3)
    kwargs = {"bin_width": 0.1, **kwargs}
    with pytest.raises(error, match=match):
        bin_spikes(table, **kwargs)


def test_nan_alignment_names_trials():
    table = _random_table(0, n_trials=3)
    with pytest.raises(ValueError, match=r"no finite event time for trial\(s\) \[10\]"):
        bin_spikes(table, bin_width=0.1, window=(0, 1), align=[0.0, np.nan, 0.0])


def test_not_a_table():
    with pytest.raises(TypeError, match="SpikeTable"):
        bin_spikes(pd.DataFrame({"time": [0.1]}), bin_width=0.1)


def test_spike_table_rejects_bad_input():
    with pytest.raises(ValueError, match="NaN/inf"):
        SpikeTable.from_arrays([0.1, np.inf], [0, 0])
    with pytest.raises(ValueError, match="shape of times"):
        SpikeTable.from_arrays([0.1, 0.2], [0])
    with pytest.raises(TypeError, match="DataFrame"):
        SpikeTable({"time": [0.1]})


def test_select_keeps_metadata():
    table = _random_table(0)
    sub = table.select(neurons=["n1", "n3"], trials=[0, 20])
    assert set(sub.data.neuron) <= {"n1", "n3"} and set(sub.data.trial) <= {0, 20}
    assert list(sub.neurons) == ["n1", "n3"] and "onset" in sub.trial_info


@pytest.mark.parametrize(("window", "step"), [(0.2, 0.1), (0.3, 0.2), (0.1, None), (0.5, 0.5)])
@pytest.mark.parametrize("chunked", [False, True])
def test_sliding_window_counts(window, step, chunked):
    ds = bin_spikes(_random_table(1), bin_width=0.1, window=(-0.5, 1.0), align="onset")
    data = ds.chunk({"trial": 4}) if chunked else ds
    out = sliding_window_counts(data, window=window, step=step)
    w, s = round(window / 0.1), round((step or 0.1) / 0.1)
    counts = ds.counts.values
    starts = range(0, counts.shape[1] - w + 1, s)
    expected = np.stack([counts[:, i:i + w].sum(axis=1) for i in starts], axis=1)
    np.testing.assert_array_equal(out.counts.values, expected)
    np.testing.assert_allclose(out.time.values, [ds.time.values[i] - 0.05 + window / 2
                                                 for i in starts])
    assert validate(out.compute()) == []
    assert out.counts.dtype.kind == "i"


def test_sliding_window_errors():
    ds = bin_spikes(_random_table(1), bin_width=0.1, window=(0, 1.0))
    with pytest.raises(ValueError, match="whole multiples"):
        sliding_window_counts(ds, window=0.25)
    with pytest.raises(ValueError, match="only 10 time bins"):
        sliding_window_counts(ds, window=2.0)


def test_sliding_window_counts_mask_windows_holding_a_nan_bin_only():
    from neuromop.data import sliding_window_counts

    counts = np.ones((2, 6, 3))
    counts[0, 2, 1] = np.nan
    ds = xr.Dataset({"counts": (("trial", "time", "neuron"), counts)},
                    coords={"time": np.arange(6) * 0.1 + 0.05}, attrs={"bin_width": 0.1})
    out = sliding_window_counts(ds, window=0.2)["counts"].values
    np.testing.assert_array_equal(out[0, :, 1], [2.0, np.nan, np.nan, 2.0, 2.0])
    np.testing.assert_array_equal(out[1], 2.0)  # other trials untouched


# ----------------------------------------------------------------- units, spikes outside
def _ms_trains(seed: int, n_trials: int = 4, n_neurons: int = 3, duration_ms: float = 3000.0):
    """Spike times in ms of ~15 Hz neurons (median ISI ~ 46 ms), as plain numbers."""
    rng = np.random.default_rng(seed)
    n = n_trials * n_neurons * 45
    return (rng.uniform(0, duration_ms, n), rng.integers(0, n_neurons, n),
            rng.integers(0, n_trials, n))


@pytest.mark.parametrize("seed", [0, 1])
def test_millisecond_looking_times_warn_and_time_unit_converts(seed):
    times, neurons, trials = _ms_trains(seed)
    with pytest.warns(UserWarning, match=r"look like milliseconds.*time_unit='ms'"):
        SpikeTable.from_arrays(times, neurons, trials)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        in_ms = SpikeTable.from_arrays(times, neurons, trials, time_unit="ms")
        as_declared = SpikeTable.from_arrays(times, neurons, trials, time_unit="s")
        in_s = SpikeTable.from_arrays(times / 1000, neurons, trials)
    np.testing.assert_allclose(in_ms.data["time"], in_s.data["time"], rtol=1e-15)
    np.testing.assert_array_equal(as_declared.data["time"], times)


@pytest.mark.parametrize(("unit", "factor"), [("ms", 1e-3), ("s", 1.0), ("us", 1e-6)])
def test_quantities_are_rescaled_not_stripped(unit, factor):
    pq = pytest.importorskip("quantities")
    times, neurons, trials = _ms_trains(2)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a quantity carries its unit: no guessing
        table = SpikeTable.from_arrays(times * pq.Quantity(1.0, unit), neurons, trials)
        listed = SpikeTable.from_arrays([t * pq.Quantity(1.0, unit) for t in times[:5]],
                                        neurons[:5])
    np.testing.assert_allclose(table.data["time"], times * factor, rtol=1e-15)
    np.testing.assert_allclose(listed.data["time"], times[:5] * factor, rtol=1e-15)


def test_neo_spike_train_keeps_its_unit():
    neo = pytest.importorskip("neo")
    train = neo.SpikeTrain([5.0, 250.0, 1200.0], units="ms", t_stop=2000.0)
    table = SpikeTable.from_arrays(train, np.zeros(3, dtype=int))
    np.testing.assert_allclose(table.data["time"], [0.005, 0.25, 1.2])


@pytest.mark.parametrize(("times", "kwargs", "error", "match"), [
    ("dimensionless", {}, ValueError, "times must be times .*convertible to s"),
    ([0.1, 0.2], {"time_unit": "min"}, ValueError, "time_unit must be one of"),
    ([0.1, 0.2], {"time_unit": 1e-3}, ValueError, "time_unit must be one of"),
    (["a", "b"], {}, TypeError, "times must be array-like of numbers"),
])
def test_bad_units(times, kwargs, error, match):
    if times == "dimensionless":
        pq = pytest.importorskip("quantities")
        times = np.array([0.1, 0.2]) * pq.dimensionless
    with pytest.raises(error, match=match):
        SpikeTable.from_arrays(times, [0, 0], **kwargs)


def test_span_beyond_declared_trial_window_warns():
    info = pd.DataFrame({"start_time": [0.0, 5.0], "stop_time": [2.0, 7.0]}, index=[0, 1])
    with pytest.warns(UserWarning, match="trial 1 spans 1500 but its trial_info"):
        SpikeTable.from_arrays([100.0, 1600.0, 10.0, 20.0], [0, 0, 0, 0], [1, 1, 0, 0],
                               trial_info=info)


@pytest.mark.parametrize(("rate", "duration", "n_trials"), [(20.0, 3.0, 10), (2.0, 1.0, 30),
                                                            (1.0, 600.0, 1), (40.0, 0.5, 5)])
def test_seconds_do_not_warn(rate, duration, n_trials):
    rng = np.random.default_rng(3)
    n = rng.poisson(rate * duration * n_trials * 4)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        SpikeTable.from_arrays(rng.uniform(0, duration, n), rng.integers(0, 4, n),
                               rng.integers(0, n_trials, n))


@pytest.mark.parametrize(("window", "align"), [((-0.5, 1.0), "onset"), ((0.0, 1.0), None),
                                               ((1.0, 2.0), None)])
def test_spikes_outside_the_window_are_counted_and_announced(window, align):
    table = _random_table(6)
    with pytest.warns(UserWarning, match="outside the binning window") as record:
        ds = bin_spikes(table, bin_width=0.1, window=window, align=align)
    event = (table.trial_info["onset"].reindex(table.data["trial"]).to_numpy() if align
             else 0.0)
    rel = table.data["time"].to_numpy() - event
    outside = int(((rel < window[0]) | (rel >= window[1])).sum())
    assert ds.attrs["n_spikes_outside"] == outside > 0
    assert ds.attrs["n_spikes_binned"] == int(ds.counts.sum()) == table.n_spikes - outside
    assert f"{outside} of {table.n_spikes} spikes" in str(record[0].message)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        quiet = bin_spikes(table, bin_width=0.1, window=window, align=align, warn_outside=False)
    assert quiet.attrs["n_spikes_outside"] == outside


def test_millisecond_spikes_in_a_seconds_window_hint_at_the_unit():
    table = SpikeTable.from_arrays(np.arange(100.0, 3000.0, 7.0), np.zeros(415), time_unit="s")
    with pytest.warns(UserWarning, match="are the spike times in ms"):
        bin_spikes(table, bin_width=0.1, window=(0.0, 3.0))


def test_no_spike_outside_the_default_window():
    table = SpikeTable.from_arrays([0.0999999999999, 0.3], [0, 0])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        ds = bin_spikes(table, bin_width=0.1)
    assert ds.attrs["n_spikes_outside"] == 0 and int(ds.counts.sum()) == 2


def test_warn_outside_must_be_a_bool():
    with pytest.raises(TypeError, match="warn_outside must be True or False"):
        bin_spikes(_random_table(0, n_trials=2), bin_width=0.1, warn_outside="no")
