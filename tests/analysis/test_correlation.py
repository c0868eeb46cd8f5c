"""Spike-count and signal correlations against numpy references, invariances and bad input."""

from __future__ import annotations

import numpy as np
import pytest
import xarray as xr
from hypothesis import given, settings
from hypothesis import strategies as st

from neuromop.analysis import pair_values, signal_correlation, spike_count_correlation

BIN = 0.01


def counts_array(c, condition=None):
    coords = {"time": BIN / 2 + BIN * np.arange(c.shape[1]), "neuron": 100 + np.arange(c.shape[2]),
              "area": ("neuron", np.where(np.arange(c.shape[2]) % 2, "OFC", "M1"))}
    if condition is not None:
        coords["condition"] = ("trial", condition)
    return xr.DataArray(c, dims=("trial", "time", "neuron"), coords=coords,
                        attrs={"bin_width": BIN})


def correlated_counts(rng, n_trial, n_neuron, rho, n_time=4):
    """Counts driven by a shared latent: pairwise count correlation ≈ rho for high rates."""
    shared = rng.standard_normal((n_trial, 1, 1))
    private = rng.standard_normal((n_trial, 1, n_neuron))
    latent = np.sqrt(rho) * shared + np.sqrt(1 - rho) * private
    return np.round(np.clip(50 + 7 * latent, 0, None) * np.ones((1, n_time, 1))).astype(int)


def test_whole_trial_rsc_equals_corrcoef():
    rng = np.random.default_rng(0)
    c = rng.poisson(3.0, size=(40, 6, 5))
    r = spike_count_correlation(counts_array(c))
    np.testing.assert_allclose(r.values, np.corrcoef(c.sum(1).T), rtol=1e-12, atol=1e-14)
    assert r.dims == ("neuron", "neuron_2")
    np.testing.assert_array_equal(r["area_2"].values, r["area"].values)


def test_zscored_rsc_equals_reference():
    rng = np.random.default_rng(1)
    cond = np.arange(60) % 3
    c = rng.poisson(2.0 + cond[:, None, None], size=(60, 5, 4))
    r = spike_count_correlation(counts_array(c, cond), zscore_by="condition")
    total = c.sum(1).astype(float)
    z = np.empty_like(total)
    for g in range(3):
        m = cond == g
        z[m] = (total[m] - total[m].mean(0)) / total[m].std(0)
    np.testing.assert_allclose(r.values, np.corrcoef(z.T), rtol=1e-12, atol=1e-14)


def test_zscoring_removes_signal_correlation():
    """Tuned but conditionally independent neurons: raw r_sc is large, z-scored r_sc ≈ 0."""
    rng = np.random.default_rng(2)
    cond = np.repeat(np.arange(4), 300)
    c = rng.poisson(1.0 + 3.0 * cond[:, None, None], size=(1200, 1, 6))
    raw = pair_values(spike_count_correlation(counts_array(c, cond)))
    z = pair_values(spike_count_correlation(counts_array(c, cond), zscore_by="condition"))
    assert float(raw.mean()) > 0.5
    assert abs(float(z.mean())) < 0.03
    sig = pair_values(signal_correlation(counts_array(c, cond)))
    np.testing.assert_allclose(sig.values, 1.0, atol=0.02)


def test_rsc_recovers_latent_correlation():
    c = correlated_counts(np.random.default_rng(3), 3000, 5, 0.3)
    r = pair_values(spike_count_correlation(counts_array(c)))
    # s.e. of one r at n = 3000 is ~0.017: each pair within 4 s.e., their mean within 0.02
    np.testing.assert_allclose(r.values, 0.3, atol=0.07)
    assert float(r.mean()) == pytest.approx(0.3, abs=0.02)


def test_windowed_rsc_has_time_dim_and_matches_loop():
    rng = np.random.default_rng(4)
    c = rng.poisson(2.0, size=(30, 8, 3))
    r = spike_count_correlation(counts_array(c), window=4 * BIN, step=2 * BIN)
    assert r.dims == ("time", "neuron", "neuron_2") and r.sizes["time"] == 3
    for k, s in enumerate(range(0, 5, 2)):
        np.testing.assert_allclose(r.isel(time=k).values, np.corrcoef(c[:, s:s + 4].sum(1).T),
                                   rtol=1e-12, atol=1e-14)


def test_pair_values_takes_upper_triangle():
    r = spike_count_correlation(counts_array(np.random.default_rng(5).poisson(3, (20, 2, 4))))
    pairs = pair_values(r)
    assert pairs.sizes["pair"] == 6
    i, j = np.triu_indices(4, 1)
    np.testing.assert_array_equal(pairs.values, r.values[i, j])
    np.testing.assert_array_equal(pairs["neuron"].values, 100 + i)
    np.testing.assert_array_equal(pairs["neuron_2"].values, 100 + j)


def test_silent_neuron_gives_nan_row_and_warning():
    c = np.random.default_rng(6).poisson(3, (20, 2, 3))
    c[:, :, 1] = 2
    with pytest.warns(RuntimeWarning, match="1 neuron"):
        r = spike_count_correlation(counts_array(c))
    assert np.isnan(r.sel(neuron=101)).all()
    assert np.isfinite(r.sel(neuron=[100, 102], neuron_2=[100, 102])).all()


@settings(max_examples=30, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), scale=st.integers(1, 4), shift=st.integers(0, 5))
def test_rsc_invariant_to_permutation_scale_and_shift(seed, scale, shift):
    rng = np.random.default_rng(seed)
    c = rng.poisson(4.0, size=(15, 2, 4)) + rng.integers(0, 3, size=(15, 1, 1))
    c[0, 0, :] += 1 + np.arange(4)  # no constant neuron
    r = spike_count_correlation(counts_array(c)).values
    pt, pn = rng.permutation(15), rng.permutation(4)
    r2 = spike_count_correlation(counts_array(c[pt][:, :, pn] * scale + shift)).values
    np.testing.assert_allclose(r2, r[np.ix_(pn, pn)], rtol=1e-9, atol=1e-12)


@pytest.mark.parametrize(
    ("mutate", "kwargs", "match"),
    [
        (lambda c: c[:1], {}, "at least 2 samples"),
        (lambda c: c, {"zscore_by": "stimulus"}, "coordinate along 'trial'"),
        (lambda c: np.where(c == c.max(), np.nan, c), {}, "NaN"),
        (lambda c: c[:0], {}, "empty"),
    ],
)
def test_rsc_rejects_bad_input(mutate, kwargs, match):
    c = np.random.default_rng(7).poisson(3, (10, 2, 3)).astype(float)
    with pytest.raises(ValueError, match=match):
        spike_count_correlation(counts_array(mutate(c)), **kwargs)


def test_rsc_rejects_missing_dims_and_single_trial_condition():
    c = np.random.default_rng(8).poisson(3, (10, 2, 3))
    with pytest.raises(ValueError, match="available dims"):
        spike_count_correlation(counts_array(c).rename(neuron="unit"))
    with pytest.raises(ValueError, match=">= 2 trials"):
        spike_count_correlation(counts_array(c, np.r_[np.zeros(9), 1]), zscore_by="condition")
    with pytest.raises(ValueError, match=">= 2 distinct"):
        signal_correlation(counts_array(c, np.zeros(10)))


def test_a_misspelt_time_dim_is_an_error_not_per_bin_correlations():
    from neuromop.analysis import spike_count_correlation
    from neuromop.data import make_spiking_dataset

    ds = make_spiking_dataset(20, 5, 10, 0.05, random_state=0)
    with pytest.raises(ValueError, match="time_dim must be one of"):
        spike_count_correlation(ds, time_dim="tme")
