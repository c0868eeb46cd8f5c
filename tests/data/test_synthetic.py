"""Synthetic populations recover their closed-form ground truth."""

from __future__ import annotations

import numpy as np
import pytest
import xarray as xr

from neuromop.data import make_spike_table, make_spiking_dataset, validate


@pytest.mark.parametrize(("model", "kwargs"), [
    ("poisson", {}), ("poisson", {"n_latents": 2, "n_conditions": 3}),
    ("doubly_stochastic", {"gain_variance": 0.5, "correlation": 0.05}),
    ("gamma_renewal", {"gamma_shape": 3.0, "gain_variance": 0.1}),
])
def test_valid_and_reproducible(model, kwargs):
    a = make_spiking_dataset(5, 4, 6, 0.05, model=model, random_state=3, **kwargs)
    b = make_spiking_dataset(5, 4, 6, 0.05, model=model, random_state=3, **kwargs)
    c = make_spiking_dataset(5, 4, 6, 0.05, model=model, random_state=4, **kwargs)
    assert validate(a) == []
    xr.testing.assert_equal(a, b)
    assert not np.array_equal(a.counts.values, c.counts.values)
    assert a.attrs["created_by"] == "neuromop.data.make_spiking_dataset"


def _fano(counts: np.ndarray) -> np.ndarray:
    return counts.var(axis=0, ddof=1) / counts.mean(axis=0)


def test_poisson_fano_factor_is_one():
    ds = make_spiking_dataset(3000, 20, 4, 0.05, rate=40.0, random_state=0)
    ff = _fano(ds.counts.values.reshape(3000, -1))  # every (time, neuron) cell
    assert ff.mean() == pytest.approx(1.0, abs=0.01)
    np.testing.assert_allclose(ds.expected_fano_factor.values, 1.0)


@pytest.mark.parametrize("v", [0.1, 0.5])
def test_doubly_stochastic_fano_factor_is_one_plus_mu_v(v):
    ds = make_spiking_dataset(4000, 20, 10, 0.05, rate=20.0, model="doubly_stochastic",
                              gain_variance=v, random_state=1)
    window = ds.counts.values.sum(axis=1)                       # 0.5 s counts, mean 10
    mu = 10.0
    assert _fano(window).mean() == pytest.approx(1 + mu * v, rel=0.04)
    per_bin = _fano(ds.counts.values[:, 0, :]).mean()
    assert per_bin == pytest.approx(float(ds.expected_fano_factor.mean()), rel=0.03)
    assert ds.gain.values.mean() == pytest.approx(1.0, abs=0.02)
    assert ds.gain.values.var() == pytest.approx(v, rel=0.05)


@pytest.mark.parametrize("target", [0.05, 0.2])
def test_spike_count_correlation_hits_target(target):
    ds = make_spiking_dataset(6000, 12, 10, 0.05, rate=20.0, model="doubly_stochastic",
                              gain_variance=0.4, correlation=target, random_state=2)
    r = np.corrcoef(ds.counts.values.sum(axis=1).T)
    off = r[~np.eye(12, dtype=bool)]
    assert ds.attrs["expected_r_sc"] == pytest.approx(target, rel=1e-9)
    assert off.mean() == pytest.approx(target, abs=0.03)


def test_unreachable_correlation_is_rejected():
    with pytest.raises(ValueError, match="unreachable.*maximum is"):
        make_spiking_dataset(10, 3, 2, 0.05, rate=5.0, model="doubly_stochastic",
                             gain_variance=0.1, correlation=0.9)


@pytest.mark.parametrize("k", [1, 3, 5])
def test_latent_dimensionality(k):
    ds = make_spiking_dataset(400, 30, 25, 0.05, rate=40.0, n_latents=k, random_state=4)
    assert ds.attrs["latent_participation_ratio"] == pytest.approx(k, rel=1e-9)
    loadings = ds.latent_loadings.values
    assert np.linalg.matrix_rank(loadings) == k
    mu = 40.0 * 0.05
    x = ds.counts.values.reshape(-1, 30).astype(float)
    cov = np.cov(x.T)
    expected = mu**2 * loadings @ loadings.T                     # off-diagonal closed form
    off = ~np.eye(30, dtype=bool)
    slope = (cov[off] @ expected[off]) / (expected[off] @ expected[off])
    assert slope == pytest.approx(1.0, abs=0.1)                  # covariances as predicted
    np.testing.assert_allclose(np.diag(cov), mu + mu**2 * (loadings**2).sum(1), rtol=0.1)
    assert (1 + np.abs(loadings).sum(1).max() * np.sqrt(3)) <= 1.5 + 1e-12


def test_conditions_modulate_rates():
    ds = make_spiking_dataset(300, 5, 10, 0.1, rate=10.0, n_conditions=3, random_state=5)
    assert list(np.unique(ds.condition.values)) == [0, 1, 2]
    by_cond = ds.counts.mean("time").groupby("condition").mean().values / 0.1
    truth = ds.expected_count.groupby("condition").mean().values / 0.1
    np.testing.assert_allclose(by_cond, truth, rtol=0.15)


@pytest.mark.parametrize("shape", [1.0, 2.0, 4.0])
def test_gamma_renewal_isi_statistics(shape):
    table = make_spike_table(40, 25, 5.0, rate=20.0, model="gamma_renewal", gamma_shape=shape,
                             random_state=6)
    frame = table.data.sort_values(["trial", "neuron", "time"])
    same = (np.diff(frame.trial.to_numpy()) == 0) & (np.diff(frame.neuron.to_numpy()) == 0)
    isi = np.diff(frame.time.to_numpy())[same]
    assert isi.std() / isi.mean() == pytest.approx(1 / np.sqrt(shape), rel=0.03)
    pair_same = same[1:] & same[:-1]                             # consecutive ISIs, one train
    i1, i2 = np.diff(frame.time.to_numpy())[:-1], np.diff(frame.time.to_numpy())[1:]
    lv = np.mean(3 * ((i1 - i2) / (i1 + i2))[pair_same] ** 2)
    assert lv == pytest.approx(3 / (2 * shape + 1), rel=0.05)
    assert table.n_spikes / (40 * 25 * 5.0) == pytest.approx(20.0, rel=0.02)
    assert table.attrs["isi_cv"] == pytest.approx(1 / np.sqrt(shape))
    assert table.data.time.between(0, 5.0, inclusive="left").all()


def test_gamma_renewal_counts_fano_factor():
    ds = make_spiking_dataset(1500, 10, 40, 0.05, rate=20.0, model="gamma_renewal",
                              gamma_shape=4.0, random_state=7)
    ff = _fano(ds.counts.values.sum(axis=1)).mean()              # 2 s windows, 40 spikes
    assert ff == pytest.approx(0.25, abs=0.04)                   # CV^2 = 1/k for long windows


def test_per_neuron_rates():
    rates = np.array([0.0, 5.0, 50.0])
    table = make_spike_table(200, 3, 1.0, rate=rates, random_state=8)
    per_neuron = table.data.groupby("neuron").size().reindex(range(3), fill_value=0) / 200
    np.testing.assert_allclose(per_neuron.to_numpy(), rates, rtol=0.05)


@pytest.mark.parametrize(("kwargs", "match"), [
    ({"model": "poisson", "gain_variance": 0.2}, "must be 0 for model='poisson'"),
    ({"model": "doubly_stochastic"}, "needs gain_variance > 0"),
    ({"correlation": 0.1}, "set gain_variance > 0"),
    ({"model": "gamma_renewal", "n_latents": 1}, "n_latents must be 0"),
    ({"model": "lif"}, "model must be one of"),
    ({"rate": [1.0, 2.0]}, "one value per neuron"),
    ({"rate": -1.0}, "must be finite and >= 0"),
])
def test_bad_arguments(kwargs, match):
    with pytest.raises(ValueError, match=match):
        make_spiking_dataset(4, 3, 2, 0.05, **kwargs)
