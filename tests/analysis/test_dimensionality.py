"""Participation ratio (naive and sample-size corrected) and PCA spectra."""

from __future__ import annotations

import numpy as np
import pytest
import xarray as xr
from hypothesis import given, settings
from hypothesis import strategies as st

from neuromop.analysis import participation_ratio, pca_spectrum


def activity(x):
    """(trial, time, neuron) DataArray from an array of that shape."""
    return xr.DataArray(x, dims=("trial", "time", "neuron"),
                        coords={"neuron": np.arange(x.shape[2])})


def data_with_exact_covariance(eigenvalues, n, seed=0):
    """Samples whose sample covariance (ddof=1) has exactly the given eigenvalues."""
    rng = np.random.default_rng(seed)
    k = len(eigenvalues)
    x = rng.standard_normal((n, k))
    x -= x.mean(0)
    q, _ = np.linalg.qr(x)  # orthonormal, centred columns
    rot, _ = np.linalg.qr(rng.standard_normal((k, k)))
    return (q * np.sqrt((n - 1) * np.asarray(eigenvalues))) @ rot.T


def test_pr_of_four_equal_eigenvalues_is_four():
    x = data_with_exact_covariance([1, 1, 1, 1], 50)
    pr = participation_ratio(activity(x[:, None, :]), corrected=False)
    assert float(pr) == pytest.approx(4.0, rel=1e-12)
    spec = pca_spectrum(activity(x[:, None, :]))
    np.testing.assert_allclose(spec["variance"].values, 1.0, rtol=1e-12)
    np.testing.assert_allclose(spec["explained_variance_ratio"].values, 0.25, rtol=1e-12)


@pytest.mark.parametrize("eigenvalues", [[4, 1], [3, 2, 1, 0.5], [1, 0, 0]])
def test_naive_pr_closed_form(eigenvalues):
    x = data_with_exact_covariance(eigenvalues, 40, seed=1)
    lam = np.asarray(eigenvalues, dtype=float)
    pr = participation_ratio(activity(x[:, None, :]), corrected=False)
    assert float(pr) == pytest.approx(lam.sum() ** 2 / (lam**2).sum(), rel=1e-10)
    np.testing.assert_allclose(pca_spectrum(activity(x[:, None, :]))["variance"].values,
                               np.sort(lam)[::-1], atol=1e-12)


@pytest.mark.parametrize(("n_neuron", "n_sample"), [(100, 100), (200, 400), (300, 150)])
def test_iid_gaussian_naive_is_biased_and_corrected_recovers_n(n_neuron, n_sample):
    rng = np.random.default_rng(n_neuron + n_sample)
    x = rng.standard_normal((n_sample // 5, 5, n_neuron))
    naive = float(participation_ratio(activity(x), corrected=False))
    corrected = float(participation_ratio(activity(x)))
    expected_naive = n_neuron * n_sample / (n_neuron + n_sample)
    assert naive == pytest.approx(expected_naive, rel=0.03)
    assert corrected == pytest.approx(n_neuron, rel=0.05)


def test_corrected_pr_of_low_rank_population():
    """Five equal latent dims embedded in 80 neurons plus small private noise: PR ≈ 5."""
    rng = np.random.default_rng(3)
    latent = rng.standard_normal((300, 5))
    loading, _ = np.linalg.qr(rng.standard_normal((80, 5)))
    x = latent @ loading.T * 3.0
    pr = float(participation_ratio(activity(x[:, None, :])))
    naive = float(participation_ratio(activity(x[:, None, :]), corrected=False))
    assert pr == pytest.approx(5.0, rel=0.06)
    assert naive < pr


def test_per_time_pr_when_time_is_not_a_sample_dim():
    rng = np.random.default_rng(4)
    x = rng.standard_normal((60, 3, 10))
    x[:, 1] = x[:, 1, :1]  # rank one at the second time
    pr = participation_ratio(activity(x), sample_dims="trial", corrected=False)
    assert pr.dims == ("time",)
    assert float(pr.isel(time=1)) == pytest.approx(1.0, rel=1e-10)
    for t in range(3):
        lam = np.linalg.eigvalsh(np.cov(x[:, t].T))
        assert float(pr.isel(time=t)) == pytest.approx(lam.sum() ** 2 / (lam**2).sum(), rel=1e-9)


@settings(max_examples=30, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), scale=st.floats(1e-3, 1e3), shift=st.floats(-10, 10))
def test_pr_invariant_to_scale_shift_and_permutations(seed, scale, shift):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((12, 3, 6)) @ rng.standard_normal((6, 6))
    base = participation_ratio(activity(x), corrected=True)
    pt, pn = rng.permutation(12), rng.permutation(6)
    other = participation_ratio(activity(x[pt][:, :, pn] * scale + shift), corrected=True)
    assert float(other) == pytest.approx(float(base), rel=1e-8)


@pytest.mark.parametrize(
    ("kwargs", "x", "match"),
    [
        ({"sample_dims": ("trial", "bins")}, np.ones((4, 3, 2)), "available dims"),
        ({"sample_dims": "neuron"}, np.ones((4, 3, 2)), "must not be one of"),
        ({}, np.ones((1, 2, 2)), ">= 3 samples"),
        ({}, np.full((4, 3, 2), np.nan), "NaN"),
        ({}, np.ones((0, 3, 2)), "empty"),
    ],
)
def test_pr_rejects_bad_input(kwargs, x, match):
    with pytest.raises(ValueError, match=match):
        participation_ratio(activity(x), **kwargs)


def test_constant_data_gives_nan_not_error():
    pr = participation_ratio(activity(np.ones((5, 2, 3))))
    assert np.isnan(float(pr))


def test_default_samples_are_the_trials_of_a_trial_by_neuron_matrix():
    rng = np.random.default_rng(0)
    da = xr.DataArray(rng.normal(size=(300, 20)), dims=("trial", "neuron"))
    assert float(participation_ratio(da)) == pytest.approx(
        float(participation_ratio(da, sample_dims="trial")))
    with pytest.raises(ValueError, match="neither a 'trial' nor a 'time' dim"):
        participation_ratio(da.rename(trial="sample"))


def _u_statistics(x: np.ndarray) -> float:
    """Slow reference: the ratio of the averages over all distinct (i, j, k, l) of
    |x_i - x_j|^2 |x_k - x_l|^2 and ((x_i - x_j).(x_k - x_l))^2."""
    import itertools

    num = den = 0.0
    for i, j, k, m in itertools.permutations(range(x.shape[0]), 4):
        y, z = x[i] - x[j], x[k] - x[m]
        num += (y @ y) * (z @ z)
        den += (y @ z) ** 2
    return num / den


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_unbiased_estimator_is_the_fourth_order_u_statistic(seed):
    rng = np.random.default_rng(seed)
    x = rng.poisson(0.4, size=(9, 4)) + rng.normal(size=(9, 4))
    da = xr.DataArray(x, dims=("sample", "neuron"))
    np.testing.assert_allclose(float(participation_ratio(da, "sample")), _u_statistics(x),
                               rtol=1e-10)


@pytest.mark.parametrize(("n", "tolerance"), [(50, 2.5), (200, 1.0)])
def test_unbiased_estimator_recovers_the_dimension_of_sparse_poisson_counts(n, tolerance):
    """50 independent neurons at 0.05 counts per bin: PR = 50. The Gaussian (Wishart) correction
    is biased low by the counts' kurtosis (about 37 at n = 50, 46 at n = 200)."""
    rng = np.random.default_rng(7)
    x = rng.poisson(0.05, size=(300, n, 50)).astype(float)
    da = xr.DataArray(x, dims=("rep", "sample", "neuron"))
    unbiased = participation_ratio(da, "sample").median("rep")
    gaussian = participation_ratio(da, "sample", method="gaussian").median("rep")
    assert abs(float(unbiased) - 50) < tolerance
    assert float(gaussian) < 50 - 3


@pytest.mark.parametrize("draw", ["gaussian", "gamma"])
def test_both_corrections_agree_on_average_where_the_data_are_gaussian(draw):
    rng = np.random.default_rng(3)
    scale = np.sqrt(np.arange(1, 21))  # true PR = (sum s^2)^2 / sum s^4
    true = (scale**2).sum() ** 2 / (scale**4).sum()
    z = rng.normal(size=(200, 100, 20)) if draw == "gaussian" else (
        rng.gamma(2.0, size=(200, 100, 20)) - 2.0) / np.sqrt(2.0)
    da = xr.DataArray(z * scale, dims=("rep", "sample", "neuron"))
    unbiased = float(participation_ratio(da, "sample").mean("rep"))
    assert abs(unbiased - true) < 0.03 * true


def test_unbiased_estimator_matches_the_dimensionality_package():
    reference = pytest.importorskip("dimensionality")
    x = np.random.default_rng(11).poisson(0.1, size=(80, 30)).astype(float)
    da = xr.DataArray(x, dims=("sample", "neuron"))
    np.testing.assert_allclose(float(participation_ratio(da, "sample")),
                               reference.participation_ratio(x, return_all=True)["row"],
                               rtol=1e-9)


def test_unknown_method_is_refused():
    da = xr.DataArray(np.random.default_rng(0).normal(size=(10, 3)), dims=("sample", "neuron"))
    with pytest.raises(ValueError, match="method must be one of"):
        participation_ratio(da, "sample", method="wishart")
