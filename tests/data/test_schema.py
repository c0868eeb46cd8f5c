"""The dataset contract: validate() lists every violation precisely; activity_variable()."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import xarray as xr
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from neuromop.data import (
    SpikeTable,
    ValidationError,
    activity_variable,
    from_arrays,
    make_spiking_dataset,
    validate,
)


@pytest.fixture
def good() -> xr.Dataset:
    return make_spiking_dataset(6, 4, 5, 0.1, rate=20.0, random_state=0)


def test_valid_dataset_has_no_problems(good):
    assert validate(good) == []


def test_single_trial_is_valid():
    ds = from_arrays(np.ones((1, 3, 2), dtype=np.int64), bin_width=0.05)
    assert validate(ds) == []


def _drop_attr(ds, key):
    ds.attrs.pop(key)
    return ds


MALFORMED = {
    "transposed": (lambda ds: ds.transpose("time", "trial", "neuron", ...), "in that order"),
    "negative": (lambda ds: ds.assign(counts=-ds.counts), "non-negative"),
    "float_counts": (lambda ds: ds.assign(counts=ds.counts.astype(float)), "integer dtype"),
    "fractional": (lambda ds: ds.assign(counts=ds.counts + 0.5), "non-integer value"),
    "nan_rate": (
        lambda ds: ds.rename(counts="rate").assign(
            rate=ds.counts.astype(float).where(ds.trial != 0)), "NaN value"),
    "no_units": (lambda ds: _drop_attr(ds, "units"), "missing attrs ['units']"),
    "no_provenance": (lambda ds: _drop_attr(ds, "created_by"), "created_by"),
    "bad_bin_width": (lambda ds: ds.assign_attrs(bin_width=-1.0), "positive finite"),
    "irregular_time": (
        lambda ds: ds.assign_coords(time=ds.time.values * np.linspace(1, 1.5, ds.sizes["time"])),
        "regularly spaced"),
    "shifted_time": (lambda ds: ds.assign_coords(time=ds.time + 0.03), "bin centres"),
    "decreasing_time": (lambda ds: ds.assign_coords(time=-ds.time), "strictly increasing"),
    "duplicate_trials": (lambda ds: ds.assign_coords(trial=np.zeros(ds.sizes["trial"], int)),
                         "duplicate labels"),
    "empty_trials": (lambda ds: ds.isel(trial=slice(0, 0)), "'trial' is empty"),
    "no_activity": (lambda ds: ds.rename(counts="spikes"), "no activity variable"),
    "two_activity": (lambda ds: ds.assign(rate=ds.counts * 1.0), "several activity"),
    "missing_dim": (lambda ds: ds.isel(neuron=0), "missing dimension 'neuron'"),
    "no_coordinate": (lambda ds: ds.drop_vars("neuron"), "has no coordinate"),
}


@pytest.mark.parametrize("case", sorted(MALFORMED))
def test_each_violation_is_named(good, case):
    break_it, expected = MALFORMED[case]
    with pytest.raises(ValidationError) as err:
        validate(break_it(good.copy(deep=True)))
    assert any(expected in p for p in err.value.problems), err.value.problems
    assert expected in str(err.value)


def test_all_violations_reported_at_once(good):
    bad = good.assign(counts=-good.counts.astype(float) - 0.5)
    bad.attrs.pop("source")
    problems = validate(bad, raise_on_error=False)
    text = "\n".join(problems)
    for fragment in ("integer dtype", "non-negative", "missing attrs ['source']"):
        assert fragment in text
    assert isinstance(ValidationError(problems), ValueError)


@settings(max_examples=40, deadline=None)
@given(hnp.arrays(np.int64, hnp.array_shapes(min_dims=3, max_dims=3, min_side=1, max_side=4),
                  elements=st.integers(-3, 5)))
def test_negative_counts_detected_iff_present(values):
    ds = xr.Dataset(
        {"counts": (("trial", "time", "neuron"), values)},
        coords={"trial": np.arange(values.shape[0]),
                "time": 0.01 * (np.arange(values.shape[1]) + 0.5),
                "neuron": np.arange(values.shape[2])},
        attrs={"units": "spikes", "bin_width": 0.01, "source": "test", "created_by": "test"},
    )
    problems = validate(ds, raise_on_error=False)
    assert bool(problems) == bool((values < 0).any())


@settings(max_examples=20, deadline=None)
@given(st.permutations(["trial", "time", "neuron"]))
def test_dim_order_is_enforced(order):
    ds = make_spiking_dataset(2, 2, 2, 0.1, random_state=1).transpose(*order, ...)
    problems = validate(ds, raise_on_error=False)
    assert bool(problems) == (tuple(order) != ("trial", "time", "neuron"))


def test_activity_variable(good):
    assert activity_variable(good).name == "counts"
    counts = good.counts
    assert activity_variable(counts) is counts
    with pytest.raises(ValueError, match="found none"):
        activity_variable(good.drop_vars("counts"))
    with pytest.raises(ValueError, match="found several"):
        activity_variable(good.assign(rate=good.counts * 1.0))
    with pytest.raises(TypeError, match="xarray.Dataset or xarray.DataArray"):
        activity_variable(np.zeros(3))


def test_dataarray_must_be_named(good):
    assert validate(good.counts.assign_attrs(good.attrs)) == []
    with pytest.raises(ValidationError, match="must be named"):
        validate(good.counts.rename("x"))


def test_agent_kind():
    ds = xr.Dataset(
        {"action": (("trial", "time"), np.zeros((2, 3), int)),
         "terminated": (("trial", "time"), np.zeros((2, 3), bool))},
        coords={"trial": [0, 1], "time": [0.5, 1.5, 2.5]},
        attrs={"source": "agent", "created_by": "test", "bin_width": 1.0},
    )
    assert validate(ds, kind="agent") == []
    bad = ds.assign(terminated=ds.terminated.astype(int), value_true=(("time", "trial"),
                                                                      np.zeros((3, 2))))
    problems = validate(bad, kind="agent", raise_on_error=False)
    assert any("dtype bool" in p for p in problems)
    assert any("'value_true' must have leading dims" in p for p in problems)


def test_spike_kind():
    frame = pd.DataFrame({"time": [0.1, np.nan], "neuron": [0, None], "trial": [0, 0]})
    problems = validate(frame, kind="spikes", raise_on_error=False)
    assert any("NaN/inf" in p for p in problems) and any("missing label" in p for p in problems)
    assert "missing column(s) ['trial']" in validate(
        frame.drop(columns="trial"), kind="spikes", raise_on_error=False)[0]
    with pytest.raises(ValidationError, match="absent from neuron_info"):
        SpikeTable.from_arrays([0.1], [7], neuron_info=pd.DataFrame(index=[0, 1]))


def test_unknown_kind(good):
    with pytest.raises(ValueError, match="kind must be one of"):
        validate(good, kind="nope")


def test_results_are_checked_for_provenance_and_infinities():
    from neuromop.data import dataset_kind

    res = xr.Dataset({"V": ("state", np.array([0.0, np.nan, 1.0]))},
                     attrs={"created_by": "x", "neuromop_version": "0", "parameters": "{}",
                            "source": "test"})
    assert dataset_kind(res) == "result"
    assert validate(res, kind="auto") == []  # NaN is an undefined entry, allowed
    res["V"][0] = np.inf
    del res.attrs["source"]
    problems = validate(res, kind="result", raise_on_error=False)
    assert problems[0].startswith("missing attrs ['source']")
    assert problems[1] == "variable 'V' has 1 value(s) +inf"


def test_auto_kind_picks_binned_agent_or_result():
    from neuromop.data import dataset_kind

    base = {"trial": [0, 1], "time": [0.05, 0.15]}
    agent = xr.Dataset({"action": (("trial", "time"), np.zeros((2, 2), int))}, coords=base)
    assert dataset_kind(agent) == "agent"
    binned = agent.assign(counts=(("trial", "time", "neuron"), np.zeros((2, 2, 1), int)))
    assert dataset_kind(binned) == "binned"
    with pytest.raises(TypeError, match="ds must be an xarray.Dataset, got list"):
        dataset_kind([])
