"""Condition labels from trial metadata; the mean-matched Fano factor pooled over datasets."""

from __future__ import annotations

import numpy as np
import pytest
import xarray as xr

from neuromop.analysis import mean_matched_fano_factor
from neuromop.analysis.pooling import (
    add_condition,
    group_matched_fano_factor,
    pooled_mean_matched_fano_factor,
)
from neuromop.data import make_spiking_dataset

BIN = 0.01


def session(rng, n_trial, n_time, n_neuron, mu_bin, gain_var, n_cond, name):
    """Doubly stochastic counts (per trial x neuron gamma gain) with condition-tuned rates."""
    shape = 1.0 / gain_var
    gain = rng.gamma(shape, 1.0 / shape, size=(n_trial, 1, n_neuron))
    cond = rng.permutation(np.arange(n_trial) % n_cond)
    tuning = rng.uniform(0.5, 1.5, size=(n_cond, 1, n_neuron))
    ramp = np.ones((1, n_time, 1))
    ramp[:, n_time // 2:] = 1.6  # a rate increase halfway: matching has work to do
    c = rng.poisson(gain * mu_bin * tuning[cond] * ramp)
    return xr.DataArray(
        c, dims=("trial", "time", "neuron"), name="counts", attrs={"bin_width": BIN},
        coords={"trial": np.arange(n_trial), "time": BIN / 2 + BIN * np.arange(n_time),
                "neuron": [f"{name}{j}" for j in range(n_neuron)],
                "condition": ("trial", cond)},
    )


def slope(x, y, w):
    return np.sum(w * x * y) / np.sum(w * x * x)


def reference_pooled(sessions, k, s, repeats, bin_size, seed):
    """Loop transcription of VarVsMean over the points of all sessions (shared random keys)."""
    n_time = sessions[0].sizes["time"]
    starts = range(0, n_time - k + 1, s)
    mn, vr, nt = [], [], []
    for t0 in starts:
        row_m, row_v = [], []
        for da in sessions:
            c, cond = da.values, da["condition"].values
            for g in np.unique(cond):
                w = c[cond == g, t0:t0 + k].sum(1)
                row_m.extend(w.mean(0))
                row_v.extend(w.var(0, ddof=1))
        mn.append(row_m)
        vr.append(row_v)
    for da in sessions:
        cond = da["condition"].values
        for g in np.unique(cond):
            nt.extend([np.sum(cond == g)] * da.sizes["neuron"])
    mn, vr = np.array(mn), np.array(vr)
    nt = np.broadcast_to(np.array(nt, dtype=float), mn.shape)
    return loop_matching(mn, vr, nt, k * BIN, repeats, bin_size, seed)


def loop_matching(mn, vr, nt, eps, repeats, bin_size, seed):
    """VarVsMean's matching across the rows of ``mn``/``vr`` (rows x points) and the weighted
    slopes per row: matched (mean over repeats), unmatched, and the share of points kept."""
    bins = np.floor(mn / bin_size).astype(int)
    target = {b: min(np.sum(row == b) for row in bins) for b in np.unique(bins)}
    keys = np.random.default_rng(seed).random((repeats, *mn.shape))
    matched, unmatched = [], []
    for t in range(mn.shape[0]):
        w = nt[t] / (mn[t] + eps) ** 2
        unmatched.append(slope(mn[t], vr[t], w))
        slopes = []
        for r in range(repeats):
            keep = np.zeros(mn.shape[1], dtype=bool)
            for b, n_keep in target.items():
                idx = np.flatnonzero(bins[t] == b)
                keep[idx[np.argsort(keys[r, t, idx], kind="stable")[:n_keep]]] = True
            slopes.append(slope(mn[t][keep], vr[t][keep], w[keep]))
        matched.append(np.mean(slopes))
    return np.array(matched), np.array(unmatched), sum(target.values()) / mn.shape[1]


# ---------------------------------------------------------------- add_condition
def offers_dataset():
    return xr.Dataset(
        {"counts": (("trial", "time", "neuron"), np.ones((6, 2, 1), dtype=int))},
        coords={"trial": np.arange(6), "time": [0.005, 0.015], "neuron": ["n"],
                "offer_a": ("trial", [1, 1, 2, 2, 2, 3]),
                "offer_b": ("trial", [0, 0, 4, 4, 5, 5])},
        attrs={"bin_width": BIN},
    )


def test_add_condition_labels_offer_pairs():
    out = add_condition(offers_dataset())
    assert out["condition"].values.tolist() == [
        "offer_a=1,offer_b=0", "offer_a=1,offer_b=0", "offer_a=2,offer_b=4",
        "offer_a=2,offer_b=4", "offer_a=2,offer_b=5", "offer_a=3,offer_b=5"]
    assert out.sizes["trial"] == 6


def test_add_condition_drops_small_conditions():
    out = add_condition(offers_dataset(), min_trials=2, name="pair")
    assert out["trial"].values.tolist() == [0, 1, 2, 3]
    assert set(out["pair"].values) == {"offer_a=1,offer_b=0", "offer_a=2,offer_b=4"}


def test_add_condition_single_coordinate():
    out = add_condition(offers_dataset(), "offer_a")
    assert out["condition"].values.tolist()[-1] == "offer_a=3"


@pytest.mark.parametrize(
    ("data", "kwargs", "error", "match"),
    [
        (np.ones(3), {}, TypeError, "data must be"),
        ("ds", {"by": "juice"}, ValueError, "juice"),
        ("ds", {"by": []}, ValueError, "at least one"),
        ("ds", {"min_trials": 0}, ValueError, "min_trials"),
        ("ds", {"min_trials": 7}, ValueError, "no condition"),
        ("ds", {"name": ""}, TypeError, "name"),
    ],
)
def test_add_condition_rejects_bad_input(data, kwargs, error, match):
    data = offers_dataset() if isinstance(data, str) else data
    with pytest.raises(error, match=match):
        add_condition(data, **kwargs)


# ---------------------------------------------------------------- pooled mean-matched FF
def test_pooled_single_dataset_equals_mean_matched():
    da = session(np.random.default_rng(0), 30, 12, 15, 0.4, 0.3, 3, "a")
    kwargs = dict(window=3 * BIN, step=BIN, condition="condition", repeats=4)
    pooled = pooled_mean_matched_fano_factor([da], random_state=7, **kwargs)
    single = mean_matched_fano_factor(da, random_state=7, **kwargs)
    for key in single.data_vars:
        np.testing.assert_array_equal(pooled[key].values, single[key].values, err_msg=key)
    assert pooled["points_per_dataset"].values.tolist() == [45]


def test_pooled_equals_slow_reference_on_unequal_sessions():
    rng = np.random.default_rng(3)
    sessions = [session(rng, 40, 16, 8, 0.4, 0.3, 4, "a"),
                session(rng, 23, 16, 5, 0.3, 0.5, 2, "b"),
                session(rng, 31, 16, 11, 0.6, 0.2, 3, "c")]
    res = pooled_mean_matched_fano_factor(
        {"a": sessions[0], "b": sessions[1], "c": sessions[2]}, window=4 * BIN, step=2 * BIN,
        condition="condition", repeats=5, random_state=11)
    matched, unmatched, retained = reference_pooled(sessions, 4, 2, 5, 0.25, 11)
    np.testing.assert_allclose(res["fano_factor"].values, matched, rtol=1e-10)
    np.testing.assert_allclose(res["fano_factor_all"].values, unmatched, rtol=1e-10)
    assert float(res["fraction_retained"][0]) == pytest.approx(retained)
    assert res["points_per_dataset"].sel(dataset="b").item() == 10
    assert int(res["n_points"][0]) == 32 + 10 + 33


def test_pooled_recovers_one_plus_mu_v():
    # doubly stochastic populations: Fano factor of a window with mean count mu is 1 + mu * v
    v, rate, bw, n_times = 0.2, 20.0, 0.05, 4
    parts = [make_spiking_dataset(n_trials=150, n_neurons=40, n_times=n_times, bin_width=bw,
                                  rate=rate, model="doubly_stochastic", gain_variance=v,
                                  random_state=seed) for seed in (1, 2)]
    window = n_times * bw
    res = pooled_mean_matched_fano_factor(parts, window=window, repeats=3, random_state=0)
    mu = rate * window
    assert float(res["fano_factor_all"][0]) == pytest.approx(1 + mu * v, rel=0.15)


def test_pooled_rejects_mismatched_time_bins():
    rng = np.random.default_rng(1)
    a = session(rng, 20, 10, 4, 0.5, 0.3, 2, "a")
    b = session(rng, 20, 12, 4, 0.5, 0.3, 2, "b")
    with pytest.raises(ValueError, match="different time windows"):
        pooled_mean_matched_fano_factor([a, b], window=2 * BIN, condition="condition")


def test_pooled_names_the_bad_dataset():
    rng = np.random.default_rng(2)
    a = session(rng, 20, 10, 4, 0.5, 0.3, 2, "a")
    b = session(rng, 20, 10, 4, 0.5, 0.3, 2, "b").drop_vars("condition")
    with pytest.raises(ValueError, match="dataset 'second'.*condition"):
        pooled_mean_matched_fano_factor({"first": a, "second": b}, condition="condition")


@pytest.mark.parametrize(
    ("datasets", "error", "match"),
    [([], ValueError, "at least one"), ("counts", TypeError, "sequence or mapping"),
     (xr.DataArray([1]), TypeError, "sequence or mapping")],
)
def test_pooled_rejects_bad_container(datasets, error, match):
    with pytest.raises(error, match=match):
        pooled_mean_matched_fano_factor(datasets)


# ---------------------------------------------------------------- group_matched_fano_factor
def grouped_counts(rng, rates, fano_high=3.0, n_trial=30, n_time=20, n_neuron=25, high=1.0):
    """Two groups of trials ("A", "B"): per neuron a rate (spikes per bin) drawn from ``rates``
    of the group; neurons above ``high`` spikes per bin are gamma-Poisson with Fano factor
    ``fano_high`` (rate-dependent variability), the others Poisson."""
    blocks, labels = [], []
    for g, (lo, hi) in zip("AB", rates):
        mu = rng.uniform(lo, hi, size=(1, 1, n_neuron))
        extra = np.where(mu > high, fano_high - 1.0, 0.0)  # FF = 1 + mu * var(gain)
        var_gain = np.where(extra > 0, extra / mu, 1e-9)
        shape = 1.0 / var_gain
        gain = rng.gamma(shape, 1.0 / shape, size=(n_trial, n_time, n_neuron))
        blocks.append(rng.poisson(mu * gain))
        labels += [g] * n_trial
    c = np.concatenate(blocks)
    return xr.DataArray(
        c, dims=("trial", "time", "neuron"), name="counts", attrs={"bin_width": BIN},
        coords={"trial": np.arange(c.shape[0]), "time": BIN / 2 + BIN * np.arange(n_time),
                "neuron": np.arange(n_neuron), "group": ("trial", labels)})


def reference_group_matched(da, k, repeats, bin_size, seed):
    """Loop transcription: points are (window, neuron) pairs of each group; matching across
    groups with the keys drawn as (repeats, group, point)."""
    groups = np.unique(da["group"].values)
    mn, vr, nt = [], [], []
    for g in groups:
        c = da.values[da["group"].values == g]
        row_m, row_v = [], []
        for t0 in range(0, da.sizes["time"] - k + 1, k):
            w = c[:, t0:t0 + k].sum(1)
            row_m.extend(w.mean(0))
            row_v.extend(w.var(0, ddof=1))
        mn.append(row_m)
        vr.append(row_v)
        nt.append(c.shape[0])
    mn, vr = np.array(mn), np.array(vr)
    nt = np.broadcast_to(np.array(nt, dtype=float)[:, None], mn.shape)
    matched, unmatched, _ = loop_matching(mn, vr, nt, k * BIN, repeats, bin_size, seed)
    return matched, unmatched


def test_group_matched_equals_slow_reference():
    da = grouped_counts(np.random.default_rng(0), [(0.2, 2.0), (0.1, 1.2)], n_trial=12)
    # unequal trial numbers per group
    da = da.isel(trial=np.r_[0:12, 12:21])
    res = group_matched_fano_factor(da, "group", window=2 * BIN, repeats=7, bin_size=0.2,
                                    random_state=5)
    matched, unmatched = reference_group_matched(da, 2, 7, 0.2, 5)
    assert list(res["group"].values) == ["A", "B"]
    np.testing.assert_allclose(res["fano_factor"].values, matched, rtol=1e-12)
    np.testing.assert_allclose(res["fano_factor_all"].values, unmatched, rtol=1e-12)
    assert res.attrs["created_by"] == "neuromop.analysis.group_matched_fano_factor"


def test_group_matching_removes_a_rate_difference():
    # A fires in both regimes, B only in the Poisson one: unmatched, A looks more variable;
    # at matched means both are Poisson (Fano factor 1)
    da = grouped_counts(np.random.default_rng(1), [(0.1, 3.0), (0.1, 1.0)], n_neuron=60,
                        n_trial=80, high=1.5)
    res = group_matched_fano_factor(da, "group", window=BIN, repeats=20, bin_size=0.1,
                                    random_state=0)
    ff_all = res["fano_factor_all"].sel(group="A") - res["fano_factor_all"].sel(group="B")
    assert ff_all > 0.3
    np.testing.assert_allclose(res["fano_factor"].values, 1.0, atol=0.1)
    rate = res["mean_rate_matched"].values
    assert abs(rate[0] - rate[1]) < 0.1 * rate.mean()
    assert 0 < float(res["fraction_retained"][0]) < 1


def test_group_matched_identical_groups_keep_every_point():
    da = grouped_counts(np.random.default_rng(2), [(0.2, 1.5), (0.2, 1.5)])
    half = da.sizes["trial"] // 2
    copy = da.isel(trial=slice(0, half))
    twin = xr.concat([copy, copy.assign_coords(trial=copy["trial"] + half)], "trial")
    twin = twin.assign_coords(group=("trial", ["A"] * half + ["B"] * half))
    res = group_matched_fano_factor(twin, "group", window=BIN, random_state=0)
    assert float(res["fraction_retained"][0]) == 1.0
    np.testing.assert_allclose(res["fano_factor"].values, res["fano_factor_all"].values)
    assert res["fano_factor"].values[0] == res["fano_factor"].values[1]


@pytest.mark.parametrize("by, kw, error, match", [
    ("condition", {}, ValueError, "by must name a coordinate along 'trial'"),
    ("group", {"repeats": -1}, ValueError, "repeats"),
    ("group", {"bin_size": 0.0}, ValueError, "bin_size"),
    ("group", {"weighted": 1}, TypeError, "weighted must be a bool"),
])
def test_group_matched_rejects_bad_arguments(by, kw, error, match):
    da = grouped_counts(np.random.default_rng(3), [(0.2, 1.0), (0.2, 1.0)], n_trial=4)
    with pytest.raises(error, match=match):
        group_matched_fano_factor(da, by, **kw)


def test_group_matched_needs_two_groups():
    da = grouped_counts(np.random.default_rng(3), [(0.2, 1.0), (0.2, 1.0)], n_trial=4)
    one = da.assign_coords(group=("trial", ["A"] * da.sizes["trial"]))
    with pytest.raises(ValueError, match=">= 2 groups"):
        group_matched_fano_factor(one, "group")
