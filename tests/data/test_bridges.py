"""Bridges from neo and pynapple: the same numbers as Elephant and as pynapple's own binning."""

from __future__ import annotations

import sys

import numpy as np
import pandas as pd
import pytest

from neuromop.analysis import cv, fano_factor
from neuromop.data import bin_spikes, from_neo, from_pynapple

neo = pytest.importorskip("neo")
pq = pytest.importorskip("quantities")
pytestmark = pytest.mark.filterwarnings("ignore:The 'copy' argument in Quantity")  # elephant

DURATION = 2.0  # s, every segment


def _block(seed: int, n_trials: int = 12, n_neurons: int = 4, unit: str = "s",
           t_offset: float = 0.0) -> neo.Block:
    """Poisson-like trains of neurons with different rates; segment k spans
    [k * t_offset, k * t_offset + DURATION) s, times written in ``unit``."""
    rng = np.random.default_rng(seed)
    scale = {"s": 1.0, "ms": 1e3}[unit]
    block = neo.Block(name="test block")
    for k in range(n_trials):
        seg = neo.Segment(name=f"trial {k}", condition="ab"[k % 2])
        t0 = k * t_offset
        for j in range(n_neurons):
            n = rng.poisson((5.0 + 10.0 * j) * DURATION)
            times = np.sort(rng.uniform(t0, t0 + DURATION, n))
            seg.spiketrains.append(neo.SpikeTrain(
                times * scale, units=unit, t_start=t0 * scale, t_stop=(t0 + DURATION) * scale,
                name=f"unit{j}", unit_id=100 + j, area="ofc"))
        block.segments.append(seg)
    return block


@pytest.mark.parametrize("unit", ["s", "ms"])
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_fano_factor_of_a_neo_block_equals_elephant(seed, unit):
    es = pytest.importorskip("elephant.statistics")
    block = _block(seed, unit=unit)
    table = from_neo(block)
    counts = bin_spikes(table, bin_width=DURATION, window=(0.0, DURATION))
    ours = fano_factor(counts, dims="trial").isel(time=0)
    names = [st.name for st in block.segments[0].spiketrains]
    theirs = [es.fanofactor([seg.spiketrains[j] for seg in block.segments])
              for j in range(len(names))]
    assert list(ours.neuron.values) == names
    np.testing.assert_allclose(ours.values, theirs, rtol=1e-12)


@pytest.mark.parametrize("unit", ["s", "ms"])
@pytest.mark.parametrize("seed", [3, 4])
def test_isi_cv_of_a_neo_block_equals_elephant(seed, unit):
    es = pytest.importorskip("elephant.statistics")
    block = _block(seed, n_trials=5, unit=unit)
    ours = cv(from_neo(block, neuron_key="unit_id"))
    theirs = np.array([[es.cv(es.isi(st)) for st in seg.spiketrains]
                       for seg in block.segments]).T  # (neuron, trial)
    assert list(ours.neuron.values) == [100, 101, 102, 103]
    np.testing.assert_allclose(ours.transpose("neuron", "trial").values, theirs, rtol=1e-10)


@pytest.mark.parametrize("t_offset", [0.0, 3.5])
def test_millisecond_trains_give_the_seconds_table(t_offset):
    in_s = from_neo(_block(5, unit="s", t_offset=t_offset))
    in_ms = from_neo(_block(5, unit="ms", t_offset=t_offset))
    np.testing.assert_allclose(in_ms.data["time"], in_s.data["time"], rtol=1e-12, atol=1e-15)
    pd.testing.assert_frame_equal(in_ms.data[["neuron", "trial"]], in_s.data[["neuron", "trial"]])
    pd.testing.assert_frame_equal(in_ms.trial_info, in_s.trial_info)
    assert in_ms.attrs["time_units_in"] == "ms" and in_s.attrs["time_units_in"] == "s"
    np.testing.assert_allclose(in_s.trial_info["start_time"], np.arange(12) * t_offset)


def test_aligned_counts_of_consecutive_segments():
    table = from_neo(_block(6, t_offset=3.5))
    aligned = bin_spikes(table, bin_width=0.5, window=(0.0, DURATION), align="start_time")
    assert aligned.attrs["n_spikes_outside"] == 0
    assert int(aligned.counts.sum()) == table.n_spikes
    assert list(aligned.condition.values) == list("ab" * 6)


@pytest.mark.parametrize(("key", "expected"), [
    (None, ["unit0", "unit1", "unit2", "unit3"]), ("unit_id", [100, 101, 102, 103])])
def test_neuron_labels_and_metadata(key, expected):
    table = from_neo(_block(7, n_trials=2), neuron_key=key)
    assert list(table.neurons) == expected
    assert (table.neuron_info["area"] == "ofc").all()
    assert list(table.trial_info["name"]) == ["trial 0", "trial 1"]


def test_unnamed_trains_are_labelled_by_position():
    trains = [neo.SpikeTrain([0.1, 0.2], units="s", t_stop=1.0) for _ in range(3)]
    table = from_neo(trains)
    assert list(table.neurons) == [0, 1, 2] and list(table.trials) == [0]
    assert table.n_spikes == 6


def test_trains_as_trials_of_one_neuron_match_elephant():
    es = pytest.importorskip("elephant.statistics")
    trains = _block(8).segments[0].spiketrains[:1] + [
        seg.spiketrains[0] for seg in _block(9).segments]
    table = from_neo(list(trains), trial_dim="spiketrain")
    assert list(table.neurons) == ["unit0"] and len(table.trials) == len(trains)
    counts = bin_spikes(table, bin_width=DURATION, window=(0.0, DURATION))
    ff = float(fano_factor(counts, dims="trial").squeeze())
    assert ff == pytest.approx(es.fanofactor(list(trains)), rel=1e-12)


@pytest.mark.parametrize(("obj", "kwargs", "error", "match"), [
    ("not neo", {}, TypeError, "obj must be a neo"),
    ([], {}, TypeError, "obj must be a neo"),
    (None, {"trial_dim": "neuron"}, ValueError, "trial_dim must be one of"),
    (None, {"neuron_key": "channel"}, ValueError, "neuron_key 'channel' is not an annotation"),
    (None, {"neuron_key": 3}, TypeError, "neuron_key must be"),
    (None, {"trial_dim": "spiketrain"}, ValueError, "needs one Segment"),
])
def test_from_neo_bad_arguments(obj, kwargs, error, match):
    with pytest.raises(error, match=match):
        from_neo(_block(0, n_trials=2) if obj is None else obj, **kwargs)


@pytest.mark.parametrize(("function", "package"), [(from_neo, "neo"),
                                                   (from_pynapple, "pynapple")])
def test_missing_optional_package_says_how_to_install(monkeypatch, function, package):
    monkeypatch.setitem(sys.modules, package, None)  # import now raises ImportError
    with pytest.raises(ImportError, match=f"pip install {package}"):
        function(object())


# ---------------------------------------------------------------------------- pynapple
def _tsgroup(seed: int, duration: float = 60.0):
    nap = pytest.importorskip("pynapple")
    rng = np.random.default_rng(seed)
    keys = [2, 5, 11]
    trains = {k: nap.Ts(np.sort(rng.uniform(0.0, duration, rng.poisson(8.0 * duration))))
              for k in keys}
    return nap.TsGroup(trains, metadata={"area": ["ofc", "ofc", "v1"]})


@pytest.mark.parametrize(("seed", "bin_size", "starts", "length"), [
    (0, 0.1, [1.0, 10.0, 20.5], 2.0),
    (1, 0.05, [0.0, 3.0, 7.25, 30.0], 1.5),
    (2, 0.25, [5.0, 40.0], 10.0),
])
def test_tsgroup_and_epochs_give_pynapples_counts(seed, bin_size, starts, length):
    nap = pytest.importorskip("pynapple")
    group = _tsgroup(seed)
    starts = np.asarray(starts)
    epochs = nap.IntervalSet(start=starts, end=starts + length,
                             metadata={"cond": list("xy" * len(starts))[:len(starts)]})
    table = from_pynapple(group, epochs=epochs)
    ours = bin_spikes(table, bin_width=bin_size, window=(0.0, length))
    theirs = group.count(bin_size, epochs)
    assert ours.attrs["n_spikes_outside"] == 0
    np.testing.assert_array_equal(ours.counts.values.reshape(-1, 3), np.asarray(theirs.values))
    assert list(ours.neuron.values) == [2, 5, 11]
    assert list(table.trial_info["cond"]) == list(epochs.metadata["cond"])
    np.testing.assert_allclose(table.trial_info["start_time"], starts)
    inside = sum(int(np.asarray(group.restrict(epochs)[k].t).size) for k in group.index)
    assert table.n_spikes == inside
    assert table.attrs["n_spikes_outside"] == sum(len(group[k]) for k in group.index) - inside


def test_tsgroup_without_epochs_is_one_session_trial():
    group = _tsgroup(3)
    table = from_pynapple(group)
    assert list(table.trials) == [0] and list(table.neurons) == [2, 5, 11]
    assert list(table.neuron_info["area"]) == ["ofc", "ofc", "v1"]
    np.testing.assert_allclose(table.neuron_info["rate"], group.metadata["rate"])
    for k in group.index:
        np.testing.assert_array_equal(table.data.loc[table.data.neuron == k, "time"],
                                      group[k].t)
    assert table.trial_info["start_time"].iloc[0] == pytest.approx(group.time_support.start[0])


@pytest.mark.parametrize(("kwargs", "match"), [
    ({"tsgroup": {0: [0.1]}}, "tsgroup must be a pynapple.TsGroup"),
    ({"epochs": [(0.0, 1.0)]}, "epochs must be a pynapple.IntervalSet"),
])
def test_from_pynapple_bad_arguments(kwargs, match):
    kwargs = {"tsgroup": _tsgroup(0), **kwargs}
    with pytest.raises(TypeError, match=match):
        from_pynapple(**kwargs)


@pytest.mark.data
def test_recorded_session_agrees_with_pynapple_and_the_nwb_loader(shared_datasets):
    import warnings

    nap = pytest.importorskip("pynapple")
    from neuromop.data import load_nwb

    path = shared_datasets / "pynapple_hd" / "A2929-200711.nwb"
    if not path.is_file():
        pytest.skip(f"{path} not found")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # pynwb and pynapple on the file's metadata
        data = nap.load_file(str(path))
        units, epochs = data["units"], data["epochs"]
        nwb = load_nwb(path, epochs="all")
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # real ADn/CA1 spikes in s: no unit warning, none left out
        table = from_pynapple(units, epochs=epochs)
        ours = bin_spikes(table, bin_width=1.0, window=(0.0, 600.0))
        loader = bin_spikes(nwb, bin_width=1.0, window=(0.0, 600.0), align="start_time")
    assert table.n_spikes == nwb.n_spikes == 98_794
    np.testing.assert_array_equal(ours.counts.values.reshape(-1, 15),
                                  np.asarray(units.count(1.0, epochs).values))
    np.testing.assert_array_equal(ours.counts.values, loader.counts.values)
    assert list(table.neuron_info["location"].unique()) == ["adn", "ca1"]
