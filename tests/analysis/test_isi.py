"""CV, CV2, LV, LvR: equal to Elephant, closed forms of renewal processes, tables, bad input."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
import xarray as xr
from hypothesis import given, settings
from hypothesis import strategies as st

from neuromop.analysis import cv, cv2, lv, lvr


def elephant_value(metric: str, intervals_s: np.ndarray) -> float:
    import quantities as pq
    from elephant import statistics as es

    if metric == "lvr":  # Elephant works in ms with R = 5 ms
        return float(es.lvr(intervals_s * 1000.0 * pq.ms, R=5 * pq.ms))
    return float(getattr(es, metric)(intervals_s))


OURS = {"cv": cv, "cv2": cv2, "lv": lv, "lvr": lvr}


@pytest.mark.parametrize("metric", ["cv", "cv2", "lv", "lvr"])
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_single_train_equals_elephant(metric, seed):
    rng = np.random.default_rng(seed)
    intervals = rng.gamma(rng.uniform(0.5, 4), 0.02, size=rng.integers(2, 60))
    assert OURS[metric](intervals) == pytest.approx(elephant_value(metric, intervals),
                                                    rel=1e-12, abs=0)


def random_table(rng, n_neuron=4, n_trial=3, max_spikes=12) -> pd.DataFrame:
    rows = []
    for n in range(n_neuron):
        for t in range(n_trial):
            k = rng.integers(0, max_spikes)
            times = np.sort(rng.uniform(0, 2.0, k))
            rows.append(pd.DataFrame({"time": times, "neuron": f"u{n}", "trial": t}))
    return pd.concat(rows).sample(frac=1.0, random_state=int(rng.integers(1000)))


@pytest.mark.parametrize("metric", ["cv", "cv2", "lv", "lvr"])
@pytest.mark.parametrize("seed", [3, 4])
def test_table_equals_elephant_per_train(metric, seed):
    rng = np.random.default_rng(seed)
    table = random_table(rng)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        ours = OURS[metric](table)
    assert ours.dims == ("neuron", "trial")
    for (neuron, trial), group in table.groupby(["neuron", "trial"]):
        intervals = np.diff(np.sort(group["time"].to_numpy()))
        got = float(ours.sel(neuron=neuron, trial=trial))
        if intervals.size < 2:
            assert np.isnan(got)
        else:
            assert got == pytest.approx(elephant_value(metric, intervals), rel=1e-12, abs=0)


def test_table_without_trial_column_and_spiketable_duck_type():
    rng = np.random.default_rng(5)
    table = pd.DataFrame({"time": np.sort(rng.uniform(0, 10, 300)),
                          "neuron": rng.integers(0, 3, 300)})

    class Table:
        def to_dataframe(self):
            return table

    out = lv(Table())
    assert out.dims == ("neuron",)
    for n in range(3):
        intervals = np.diff(table.loc[table.neuron == n, "time"].to_numpy())
        assert float(out.sel(neuron=n)) == pytest.approx(lv(intervals), rel=1e-12)


def test_short_trains_give_nan_and_one_warning():
    table = pd.DataFrame({"time": [0.1, 0.2, 0.4, 0.1, 0.3], "neuron": [0, 0, 0, 1, 1],
                          "trial": [0, 0, 0, 0, 0]})
    with pytest.warns(RuntimeWarning, match="1 of 2 spike trains have fewer than 3 spikes"):
        out = cv2(table)
    assert np.isnan(float(out.sel(neuron=1, trial=0)))
    assert np.isfinite(float(out.sel(neuron=0, trial=0)))


def test_missing_neuron_trial_combination_is_nan():
    table = pd.DataFrame({"time": [0.1, 0.2, 0.4, 0.1, 0.3, 0.6], "neuron": [0, 0, 0, 1, 1, 1],
                          "trial": [0, 0, 0, 1, 1, 1]})
    with pytest.warns(RuntimeWarning, match="2 of 4"):
        out = lv(table)
    assert np.isnan(out.sel(neuron=0, trial=1)) and np.isnan(out.sel(neuron=1, trial=0))


@pytest.mark.parametrize("metric", ["cv", "cv2", "lv"])
def test_poisson_process_gives_one(metric):
    intervals = np.random.default_rng(6).exponential(0.05, size=200_000)
    assert OURS[metric](intervals) == pytest.approx(1.0, abs=0.01)


@pytest.mark.parametrize("k", [0.5, 2.0, 4.0])
def test_gamma_renewal_closed_forms(k):
    intervals = np.random.default_rng(7).gamma(k, 0.01 / k, size=400_000)
    assert cv(intervals) == pytest.approx(1 / np.sqrt(k), rel=0.01)
    assert lv(intervals) == pytest.approx(3 / (2 * k + 1), rel=0.01)


def test_lvr_with_zero_refractoriness_is_lv():
    intervals = np.random.default_rng(8).gamma(2.0, 0.02, size=100)
    assert lvr(intervals, R=0.0) == pytest.approx(lv(intervals), rel=1e-12)


@settings(max_examples=50, deadline=None)
@given(
    intervals=st.lists(st.floats(1e-3, 10.0), min_size=2, max_size=40),
    scale=st.floats(1e-3, 1e3),
)
def test_unit_invariance(intervals, scale):
    x = np.array(intervals)
    for f in (cv, cv2, lv):
        assert f(x * scale) == pytest.approx(f(x), rel=1e-9, abs=1e-12)
    assert lvr(x * scale, R=0.005 * scale) == pytest.approx(lvr(x, R=0.005), rel=1e-9, abs=1e-12)


@settings(max_examples=30, deadline=None)
@given(seed=st.integers(0, 2**32 - 1))
def test_table_row_order_does_not_matter(seed):
    rng = np.random.default_rng(seed)
    table = random_table(rng, max_spikes=8)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        a = cv(table)
        b = cv(table.sample(frac=1.0, random_state=int(rng.integers(1000))))
    xr.testing.assert_allclose(a.drop_attrs(), b.drop_attrs())


@pytest.mark.parametrize(
    ("intervals", "match"),
    [
        ([0.1], "at least 2 intervals"),
        ([], "at least 2 intervals"),
        ([0.1, -0.2, 0.3], "> 0"),
        ([0.1, 0.0, 0.3], "> 0"),
        ([0.1, np.nan, 0.3], "finite"),
        (np.ones((3, 2)), "1-dimensional"),
    ],
)
@pytest.mark.parametrize("metric", ["cv", "cv2", "lv", "lvr"])
def test_single_train_rejects_bad_input(metric, intervals, match):
    with pytest.raises(ValueError, match=match):
        OURS[metric](intervals)


def test_table_rejects_repeated_spike_times_and_missing_columns():
    dup = pd.DataFrame({"time": [0.1, 0.1, 0.3], "neuron": [0, 0, 0]})
    with pytest.raises(ValueError, match="repeated spike times"):
        cv(dup)
    with pytest.raises(ValueError, match="missing \\['neuron'\\]"):
        cv(pd.DataFrame({"time": [0.1, 0.2]}))


@pytest.mark.parametrize(("bad", "error"), [(-1.0, ValueError), ("5ms", TypeError)])
def test_lvr_rejects_bad_r(bad, error):
    with pytest.raises(error, match="R"):
        lvr([0.1, 0.2, 0.3], R=bad)


@pytest.mark.parametrize("name", ["cv", "cv2", "lv"])
def test_a_real_spike_table_goes_in_and_poisson_trains_give_one(name):
    import neuromop.analysis as na
    from neuromop.data import make_spike_table

    table = make_spike_table(2, 3, 60.0, rate=20.0, random_state=0)   # ~1200 spikes per train
    out = getattr(na, name)(table)
    assert out.dims == ("neuron", "trial") and out.shape == (3, 2)
    np.testing.assert_allclose(out.values, 1.0, atol=0.1)


def test_lvr_takes_a_real_spike_table():
    import neuromop.analysis as na
    from neuromop.data import make_spike_table

    out = na.lvr(make_spike_table(2, 3, 10.0, rate=20.0, random_state=0))
    assert out.shape == (3, 2) and np.isfinite(out.values).all()


@pytest.mark.parametrize("metric", ["cv", "cv2", "lv", "lvr"])
@pytest.mark.parametrize("scale", [1e-200, 1e150, 1e300])
def test_metrics_are_scale_free_without_overflow(metric, scale):
    import neuromop.analysis as na

    x = np.random.default_rng(3).exponential(size=40)
    fn = getattr(na, metric)
    kw = {"R": 0.005 * scale} if metric == "lvr" else {}
    ref = fn(x, **({"R": 0.005} if metric == "lvr" else {}))
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no overflow warning, no NaN
        got = fn(x * scale, **kw)
    assert np.isfinite(got)
    np.testing.assert_allclose(got, ref, rtol=1e-12)


def test_lvr_takes_quantities_in_any_time_unit_like_elephant():
    import quantities as pq
    from elephant.statistics import lvr as elephant_lvr

    x = np.random.default_rng(4).exponential(0.05, 60)
    ms = x * 1000 * pq.ms
    assert lvr(ms) == pytest.approx(float(elephant_lvr(ms)), rel=1e-12)
    assert lvr(ms) == pytest.approx(lvr(x), rel=1e-12)
    assert lvr(x, R=5 * pq.ms) == pytest.approx(lvr(x), rel=1e-12)


def test_lvr_warns_when_plain_intervals_look_like_milliseconds():
    x = np.random.default_rng(5).exponential(50.0, 60)  # ms, given as plain numbers
    with pytest.warns(UserWarning, match=r"median interval is .* pass R=5"):
        lvr(x)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        lvr(x, R=5)  # the unit is said: no warning


@pytest.mark.parametrize("metric", ["cv", "cv2", "lv", "lvr"])
def test_one_interval_train_is_nan_with_a_warning_not_zero(metric):
    """Issue 17 item 11: a train of two spikes (one interval) has no regularity to measure. In a
    table it gives NaN and a warning (Elephant's cv gives 0.0, a 'perfectly regular' train); one
    train given alone is refused."""
    import neuromop.analysis as A

    fn = getattr(A, metric)
    table = pd.DataFrame({"time": [0.1, 0.25, 0.1, 0.2, 0.35, 0.6], "neuron": [0, 0, 1, 1, 1, 1]})
    with pytest.warns(RuntimeWarning, match="1 of 2 spike trains have fewer than 3 spikes"):
        out = fn(table)
    assert np.isnan(float(out.sel(neuron=0)))
    assert np.isfinite(float(out.sel(neuron=1)))
    with pytest.raises(ValueError, match="at least 2 intervals"):
        fn(np.array([0.15]))


def test_elephant_gives_zero_cv_for_one_interval_where_neuromop_refuses():
    elephant = pytest.importorskip("elephant.statistics")
    assert elephant.cv([0.15]) == 0.0  # the difference neuromop.analysis.isi's docstring states
