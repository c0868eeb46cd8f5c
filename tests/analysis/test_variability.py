"""Fano factor and mean-matched Fano factor: references, closed forms, invariances, bad input."""

from __future__ import annotations

import warnings

import hypothesis.extra.numpy as hnp
import numpy as np
import pytest
import xarray as xr
from hypothesis import given, settings
from hypothesis import strategies as st

from neuromop.analysis import fano_factor, mean_matched_fano_factor
from neuromop.analysis.variability import _match_keep, _weighted_slope

BIN = 0.01


def counts_array(c: np.ndarray, condition: np.ndarray | None = None) -> xr.DataArray:
    n_trial, n_time, n_neuron = c.shape
    coords = {
        "trial": np.arange(n_trial),
        "time": BIN / 2 + BIN * np.arange(n_time),
        "neuron": np.arange(n_neuron),
    }
    if condition is not None:
        coords["condition"] = ("trial", condition)
    return xr.DataArray(c, dims=("trial", "time", "neuron"), coords=coords, name="counts",
                        attrs={"bin_width": BIN})


def doubly_stochastic(rng, n_trial, n_time, n_neuron, mu_bin, gain_var):
    """Poisson counts with a per trial×neuron gamma gain of mean 1 and variance ``gain_var``."""
    shape = 1.0 / gain_var
    gain = rng.gamma(shape, 1.0 / shape, size=(n_trial, 1, n_neuron))
    return rng.poisson(gain * mu_bin * np.ones((1, n_time, 1)))


# ---------------------------------------------------------------- Fano factor
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_fano_factor_equals_elephant(seed):
    import neo
    import quantities as pq
    from elephant.statistics import fanofactor

    rng = np.random.default_rng(seed)
    n_trial, n_neuron = 12, 4
    n_spikes = rng.poisson(rng.uniform(1, 8, n_neuron), size=(n_trial, n_neuron))
    expected = []
    for j in range(n_neuron):
        trains = [
            neo.SpikeTrain(np.sort(rng.uniform(0, 1, n_spikes[i, j])) * pq.s, t_stop=1 * pq.s)
            for i in range(n_trial)
        ]
        expected.append(fanofactor(trains))
    ours = fano_factor(counts_array(n_spikes[:, None, :]), ddof=0)
    np.testing.assert_allclose(ours.isel(time=0).values, expected, rtol=1e-12, atol=0)


def test_fano_factor_poisson_is_one():
    rng = np.random.default_rng(3)
    c = rng.poisson(3.0, size=(4000, 2, 30))
    ff = fano_factor(counts_array(c))
    # sampling s.d. of one FF estimate ~ sqrt(2/n) = 0.022; the mean over 60 is much tighter
    assert abs(float(ff.mean()) - 1.0) < 0.01
    assert ff.dims == ("time", "neuron")


def test_fano_factor_doubly_stochastic_closed_form():
    rng = np.random.default_rng(4)
    mu, v = 4.0, 0.25
    c = doubly_stochastic(rng, 4000, 1, 20, mu, v)
    ff = fano_factor(counts_array(c), ddof=1)
    assert abs(float(ff.mean()) - (1 + mu * v)) < 0.05


def test_fano_factor_ddof_and_dims():
    rng = np.random.default_rng(5)
    c = rng.poisson(2.0, size=(7, 5, 3))
    ff = fano_factor(counts_array(c), dims=("trial", "time"), ddof=1)
    flat = c.reshape(-1, 3)
    np.testing.assert_allclose(ff.values, flat.var(0, ddof=1) / flat.mean(0), rtol=1e-12)
    assert ff.dims == ("neuron",)
    assert ff.attrs["created_by"] == "neuromop.analysis.fano_factor"


@pytest.mark.parametrize(("window_bins", "step_bins"), [(1, 1), (3, 1), (4, 2), (5, 5)])
def test_fano_factor_sliding_window_matches_loop(window_bins, step_bins):
    rng = np.random.default_rng(6)
    c = rng.poisson(1.5, size=(9, 12, 2))
    da = counts_array(c)
    ff = fano_factor(da, window=window_bins * BIN, step=step_bins * BIN)
    starts = range(0, 12 - window_bins + 1, step_bins)
    for k, s in enumerate(starts):
        w = c[:, s:s + window_bins].sum(1)
        np.testing.assert_allclose(ff.isel(time=k).values, w.var(0) / w.mean(0), rtol=1e-12)
        centre = (da.time.values[s] + da.time.values[s + window_bins - 1]) / 2
        assert ff.time.values[k] == pytest.approx(centre)
    assert ff.attrs["window"] == pytest.approx(window_bins * BIN)


def test_fano_factor_nan_exactly_where_mean_is_zero():
    c = np.ones((5, 2, 3), dtype=int)
    c[:, :, 1] = 0
    c[0, :, 2] = 4
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        ff = fano_factor(counts_array(c))
    assert np.isnan(ff.sel(neuron=1)).all()
    assert np.isfinite(ff.sel(neuron=[0, 2])).all()


def test_fano_factor_accepts_dataset():
    rng = np.random.default_rng(7)
    c = rng.poisson(2.0, size=(6, 3, 2))
    ds = counts_array(c).to_dataset()
    ds.attrs["bin_width"] = BIN
    xr.testing.assert_allclose(fano_factor(ds, window=2 * BIN), fano_factor(ds["counts"],
                                                                            window=2 * BIN))


@pytest.mark.parametrize(
    ("mutate", "kwargs", "error", "match"),
    [
        (lambda c: c, {"dims": "trials"}, ValueError, "available dims"),
        (lambda c: -c, {}, ValueError, ">= 0"),
        (lambda c: c + 0.5, {}, ValueError, "whole numbers"),
        (lambda c: np.where(c == c.max(), np.nan, c), {}, ValueError, "NaN"),
        (lambda c: c[:0], {}, ValueError, "empty"),
        (lambda c: c[:1], {}, ValueError, "at least 2 samples"),
        (lambda c: c, {"ddof": -1}, ValueError, "ddof"),
        (lambda c: c, {"window": 0.015}, ValueError, "multiple of the bin width"),
        (lambda c: c, {"window": 1.0}, ValueError, "longer than the data"),
        (lambda c: c, {"window": float("nan")}, ValueError, "window"),
        (lambda c: c, {"step": 1e308}, ValueError, "step must be a positive whole multiple"),
        (lambda c: c, {"window": "0.02"}, TypeError, "window must be a real number"),
    ],
)
def test_fano_factor_rejects_bad_input(mutate, kwargs, error, match):
    c = np.random.default_rng(8).poisson(2.0, size=(5, 4, 3)).astype(float)
    c[0, 0, 0] = 3.0
    with pytest.raises(error, match=match):
        fano_factor(counts_array(mutate(c)), **kwargs)


def test_fano_factor_rejects_what_is_neither_xarray_nor_an_array():
    with pytest.raises(TypeError, match="xarray.Dataset, xarray.DataArray or a 2-D/3-D numpy"):
        fano_factor([[1, 2], [3, 4]])
    with pytest.raises(ValueError, match=r"2-D \(trial, neuron\) or 3-D .* got shape \(3,\)"):
        fano_factor(np.ones(3, dtype=int))


def test_a_count_matrix_in_a_labelled_fano_factor_out():
    counts = np.random.default_rng(0).poisson(3.0, size=(200, 6))  # (trials, neurons)
    ff = fano_factor(counts)
    assert ff.dims == ("neuron",) and ff.name == "fano_factor"
    np.testing.assert_allclose(ff.values, counts.var(axis=0) / counts.mean(axis=0))
    labelled = xr.DataArray(counts, dims=("trial", "neuron"))  # no time dim, no bin width
    np.testing.assert_allclose(fano_factor(labelled).values, ff.values)


def test_a_time_dim_without_bin_width_is_fine_until_a_window_is_asked():
    counts = np.random.default_rng(1).poisson(2.0, size=(40, 5, 3))
    ff = fano_factor(counts)
    assert ff.dims == ("time", "neuron") and "window" not in ff.attrs
    with pytest.raises(ValueError, match="cannot tell the bin width"):
        fano_factor(counts, window=0.1)


def test_a_variance_over_two_epochs_warns():
    counts = xr.DataArray(np.array([[3, 4], [5, 1]]), dims=("trial", "neuron"))
    with pytest.warns(RuntimeWarning, match=r"only 2 samples .* are these really trials"):
        fano_factor(counts)


count_arrays = hnp.arrays(
    np.int64, hnp.array_shapes(min_dims=3, max_dims=3, min_side=2, max_side=6),
    elements=st.integers(0, 20),
)


@settings(max_examples=40, deadline=None)
@given(c=count_arrays, seed=st.integers(0, 2**32 - 1))
def test_fano_factor_invariant_to_trial_and_neuron_permutation(c, seed):
    rng = np.random.default_rng(seed)
    pt, pn = rng.permutation(c.shape[0]), rng.permutation(c.shape[2])
    ff = fano_factor(counts_array(c))
    ff_perm = fano_factor(counts_array(c[pt][:, :, pn]))
    np.testing.assert_allclose(ff_perm.values, ff.values[:, pn], rtol=1e-10)


@settings(max_examples=40, deadline=None)
@given(c=count_arrays, scale=st.integers(1, 5))
def test_fano_factor_scales_linearly_with_count_scale(c, scale):
    ff = fano_factor(counts_array(c)).values
    ff_scaled = fano_factor(counts_array(c * scale)).values
    np.testing.assert_allclose(ff_scaled, scale * ff, rtol=1e-10)
    # NaN exactly where the mean count is 0, finite (>= 0) elsewhere
    zero_mean = c.mean(axis=0) == 0
    assert np.array_equal(np.isnan(ff), zero_mean)
    assert np.all(ff[~zero_mean] >= 0)


# ------------------------------------------------------------ mean matching
def reference_weighted_slope(x, y, w):
    """``lscov(x, y, w)`` via an ordinary least-squares solve on sqrt(w)-scaled data."""
    sw = np.sqrt(w)
    a, b = (sw * x)[:, None], sw * y
    slope, rss = np.linalg.lstsq(a, b, rcond=None)[:2]
    mse = float(np.sum((b - a[:, 0] * slope[0]) ** 2)) / (len(x) - 1)
    return slope[0], np.sqrt(mse / np.sum(a[:, 0] ** 2))


@pytest.mark.parametrize("seed", [0, 1])
def test_weighted_slope_matches_lscov_reference(seed):
    rng = np.random.default_rng(seed)
    x, w = rng.uniform(0.1, 5, 40), rng.uniform(0.5, 3, 40)
    y = 1.7 * x + rng.normal(0, 0.5, 40)
    slope, se = _weighted_slope(x, y, w, np.ones(40, dtype=bool))
    ref_slope, ref_se = reference_weighted_slope(x, y, w)
    assert slope == pytest.approx(ref_slope, rel=1e-12)
    assert se == pytest.approx(ref_se, rel=1e-10)


def reference_match_keep(bins, target, keys):
    """Loop version of VarVsMean's shuffle-and-truncate: per row and bin keep target[b] points."""
    keep = np.zeros(bins.shape, dtype=bool)
    for row in np.ndindex(bins.shape[:-1]):
        for b in range(len(target)):
            idx = np.flatnonzero(bins[row] == b)
            chosen = idx[np.argsort(keys[row][idx], kind="stable")[: target[b]]]
            keep[row + (chosen,)] = True
    return keep


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_match_keep_matches_loop_reference(seed):
    rng = np.random.default_rng(seed)
    bins = rng.integers(0, 6, size=(3, 4, 50))
    hist = np.stack([np.bincount(r, minlength=6) for r in bins.reshape(-1, 50)])
    target = hist.min(axis=0)
    keys = rng.random(bins.shape)
    keep = _match_keep(bins, target, keys)
    np.testing.assert_array_equal(keep, reference_match_keep(bins, target, keys))


def reference_mean_matched(c, condition, k, s, repeats, bin_size, seed):
    """Slow transcription of Churchland's VarVsMean (loops), sharing the random keys."""
    n_trial, n_time, n_neuron = c.shape
    starts = list(range(0, n_time - k + 1, s))
    labels = np.unique(condition)
    mn, vr, nt = [], [], []
    for t0 in starts:
        row_m, row_v = [], []
        for g in labels:
            w = c[condition == g, t0:t0 + k].sum(1)
            row_m.extend(w.mean(0))
            row_v.extend(w.var(0, ddof=1))
        mn.append(row_m)
        vr.append(row_v)
    for g in labels:
        nt.extend([np.sum(condition == g)] * n_neuron)
    mn, vr, nt = np.array(mn), np.array(vr), np.array(nt, dtype=float)
    eps = k * BIN
    bins = np.floor(mn / bin_size).astype(int)
    nb = bins.max() + 1
    target = np.min([np.bincount(b, minlength=nb) for b in bins], axis=0)
    keys = np.random.default_rng(seed).random((repeats, len(starts), mn.shape[1]))
    keep = reference_match_keep(np.broadcast_to(bins, keys.shape), target, keys)
    out = []
    for t in range(len(starts)):
        w = nt / (mn[t] + eps) ** 2
        slopes = [reference_weighted_slope(mn[t][keep[r, t]], vr[t][keep[r, t]],
                                           w[keep[r, t]])[0] for r in range(repeats)]
        out.append((np.mean(slopes), reference_weighted_slope(mn[t], vr[t], w)[0]))
    return np.array(out), target.sum() / mn.shape[1]


def test_mean_matched_equals_slow_reference():
    rng = np.random.default_rng(11)
    c = doubly_stochastic(rng, 40, 20, 25, 0.3, 0.3)
    c[:, 10:] += rng.poisson(0.2, size=(40, 10, 25))  # a rate increase halfway
    cond = np.arange(40) % 2
    res = mean_matched_fano_factor(counts_array(c, cond), window=4 * BIN, step=2 * BIN,
                                   condition="condition", repeats=5, random_state=3)
    ref, retained = reference_mean_matched(c, cond, 4, 2, 5, 0.25, 3)
    np.testing.assert_allclose(res["fano_factor"].values, ref[:, 0], rtol=1e-10)
    np.testing.assert_allclose(res["fano_factor_all"].values, ref[:, 1], rtol=1e-10)
    assert float(res["fraction_retained"][0]) == pytest.approx(retained)
    assert res.sizes["time"] == len(range(0, 20 - 4 + 1, 2))


def test_mean_matched_fano_factor_recovers_one_plus_mu_v():
    rng = np.random.default_rng(12)
    mu, v = 2.0, 0.5  # counts per 100 ms window
    c = doubly_stochastic(rng, 300, 20, 150, mu / 10, v)
    res = mean_matched_fano_factor(counts_array(c), window=10 * BIN, step=5 * BIN,
                                   random_state=0)
    expected = 1 + mu * v
    np.testing.assert_allclose(res["fano_factor"].values, expected, rtol=0.07)
    assert np.all(res["fano_factor_low"] < res["fano_factor"])
    assert np.all(res["fano_factor_high"] > res["fano_factor"])
    assert float(res["mean_rate"].mean()) == pytest.approx(mu / 0.1, rel=0.05)


def test_mean_matching_keeps_everything_when_distributions_are_identical():
    rng = np.random.default_rng(13)
    block = rng.poisson(1.0, size=(30, 5, 40))
    c = np.concatenate([block, block, block], axis=1)  # three identical windows
    res = mean_matched_fano_factor(counts_array(c), window=5 * BIN, random_state=1)
    np.testing.assert_allclose(res["fraction_retained"].values, 1.0)
    np.testing.assert_allclose(res["fano_factor"].values, res["fano_factor_all"].values,
                               rtol=1e-12)


def test_mean_matched_is_reproducible_with_seed():
    rng = np.random.default_rng(14)
    c = rng.poisson(rng.uniform(0.1, 0.6, size=(1, 10, 60)), size=(25, 10, 60))
    a = mean_matched_fano_factor(counts_array(c), window=2 * BIN, random_state=5)
    b = mean_matched_fano_factor(counts_array(c), window=2 * BIN, random_state=5)
    xr.testing.assert_identical(a.drop_attrs(), b.drop_attrs())


@pytest.mark.parametrize(
    ("kwargs", "cond", "match"),
    [
        ({"condition": "stimulus"}, None, "coordinate along 'trial'"),
        ({"condition": "condition"}, np.r_[np.zeros(9), 1], ">= 2 trials"),
        ({"repeats": -1}, None, "repeats"),
        ({"bin_size": 0.0}, None, "bin_size"),
        ({"bin_size": 1e-9}, None, "survive mean matching"),
        ({"condition": ["condition"]}, None, "coordinate along 'trial'"),
    ],
)
def test_mean_matched_rejects_bad_input(kwargs, cond, match):
    rng = np.random.default_rng(15)
    c = rng.poisson(rng.uniform(0.5, 5, size=(1, 4, 6)), size=(10, 4, 6))
    with pytest.raises(ValueError, match=match):
        mean_matched_fano_factor(counts_array(c, cond), **kwargs)


@settings(max_examples=40, deadline=None)
@given(
    c=count_arrays,
    where=st.integers(0, 10_000),
    bad=st.sampled_from([-1.0, 0.5, np.nan, np.inf, -3.0, 2.25]),
)
def test_fano_factor_malformed_values_always_raise(c, where, bad):
    c = c.astype(float)
    c.flat[where % c.size] = bad
    with pytest.raises(ValueError, match="counts|NaN|>= 0|whole"):
        fano_factor(counts_array(c))


@pytest.mark.parametrize("broken", ["reversed", "nan", "gap"])
def test_windows_need_an_ordered_gapless_time_coordinate(broken):
    from neuromop.analysis import fano_factor
    from neuromop.data import make_spiking_dataset

    ds = make_spiking_dataset(20, 5, 10, 0.05, random_state=0)
    t = ds["time"].values.copy()
    if broken == "reversed":
        ds = ds.isel(time=slice(None, None, -1))
    elif broken == "nan":
        t[3] = np.nan
        ds = ds.assign_coords(time=t)
    else:
        t[5:] += 0.05
        ds = ds.assign_coords(time=t)
    with pytest.raises(ValueError, match="'time' coordinate must be"):
        fano_factor(ds, window=0.1)


def test_mean_matching_is_reproducible_by_default():
    from neuromop.data import make_spiking_dataset

    ds = make_spiking_dataset(60, 12, 10, 0.05, model="doubly_stochastic", gain_variance=0.3,
                              random_state=0)
    a = mean_matched_fano_factor(ds, window=0.1)
    b = mean_matched_fano_factor(ds, window=0.1)
    xr.testing.assert_identical(a.drop_attrs(), b.drop_attrs())
