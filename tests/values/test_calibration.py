"""Verdict calibration, Wilson intervals, Benjamini-Hochberg and the pooled permutation p-values."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.stats import false_discovery_control

from neuromop._latent_noise import latent_count_noise as _residual_noise
from neuromop.values import (
    VERDICTS,
    benjamini_hochberg,
    design_calibration,
    design_simulator,
    power_curve,
    simulate_bandit_value_population,
    simulate_value_population,
    verdict_calibration,
    wilson_interval,
)
from neuromop.values._population_tests import _pool_pvalues


def test_wilson_interval_matches_closed_forms():
    lo, hi = wilson_interval(0, 10)
    z2 = 1.959963984540054**2
    assert lo == pytest.approx(0.0, abs=1e-12)
    assert hi == pytest.approx(z2 / (10 + z2))
    lo, hi = wilson_interval(5, 10)
    assert (lo + hi) / 2 == pytest.approx(0.5)
    assert lo == pytest.approx(0.2365931, rel=1e-6)  # the textbook value


def test_benjamini_hochberg_matches_scipy():
    p = np.random.default_rng(0).uniform(size=50) ** 3
    np.testing.assert_allclose(benjamini_hochberg(p), false_discovery_control(p, method="bh"))


def test_pool_pvalues_match_a_loop():
    rng = np.random.default_rng(1)
    obs = rng.normal(size=4)
    null = np.round(rng.normal(size=(9, 4)), 1)  # with ties
    p_obs, p_null = _pool_pvalues(obs, null)
    pool = np.vstack([obs, null])
    for j in range(4):
        for i in range(10):
            want = np.sum(pool[:, j] >= pool[i, j]) / 10
            got = p_obs[j] if i == 0 else p_null[i - 1, j]
            assert got == pytest.approx(want)


def _bandit(enc, rng):
    return simulate_bandit_value_population(encoding=enc, n_trials=200, n_neurons=12,
                                            random_state=rng)


@pytest.fixture(scope="module")
def calibration():
    return verdict_calibration(_bandit, encodings=("none", "soft"), n_sessions=4,
                               compare_kwargs={"n_null": 19, "alpha": 0.05}, random_state=0)


def test_calibration_is_a_labelled_confusion_matrix(calibration):
    res = calibration
    assert list(res["verdict"].values) == list(VERDICTS)
    np.testing.assert_array_equal(res["verdict_count"].sum("verdict"), [4, 4])
    np.testing.assert_allclose(res["verdict_rate"].sum("verdict"), 1.0)
    assert np.all(res["verdict_rate_low"] <= res["verdict_rate"])
    assert np.all(res["verdict_rate"] <= res["verdict_rate_high"])
    assert res.attrs["created_by"].endswith("verdict_calibration")
    assert int(res["n_false_positive"]) > 0


def test_calibration_is_seeded(calibration):
    again = verdict_calibration(_bandit, encodings=("none", "soft"), n_sessions=4,
                                compare_kwargs={"n_null": 19, "alpha": 0.05}, random_state=0)
    np.testing.assert_array_equal(again["verdict_count"], calibration["verdict_count"])


def test_calibration_checks_its_arguments():
    with pytest.raises(ValueError, match="encodings"):
        verdict_calibration(_bandit, encodings=("both",))
    with pytest.raises(ValueError, match="random_state"):
        verdict_calibration(_bandit, compare_kwargs={"random_state": 0})
    with pytest.raises(TypeError, match="simulate"):
        verdict_calibration("bandit")


@pytest.fixture(scope="module")
def recorded():
    return simulate_value_population(encoding="soft", design="separable", n_neurons=30,
                                     n_trials=300, random_state=3)


def test_design_simulator_recovers_the_recorded_gains(recorded):
    sim = design_simulator(recorded, base=["chosen"])
    truth = np.abs(recorded["gain_soft"].values)
    assert np.corrcoef(sim.gains, truth)[0, 1] > 0.9
    ds = sim("true", np.random.default_rng(0))
    np.testing.assert_allclose(np.abs(ds["gain_true"]), sim.gains)
    assert np.all(ds["gain_soft"] == 0)
    assert ds.sizes["trial"] == 300 and sim.base == ["chosen"]
    none = sim("none", np.random.default_rng(0))
    assert np.all(none["gain_soft"] == 0) and np.all(none["gain_true"] == 0)


@pytest.mark.parametrize("encoding", ["soft", "none"])
def test_design_simulator_gains_carry_the_populations_energy_not_its_noise(encoding):
    # sum of squared gains over 12 recordings (20 neurons, 30 % untuned, gain 0.08): per-neuron
    # variance subtraction floored at 0 gave 1.24 times the truth's energy on tuned and a
    # third of the tuned energy on untuned populations (40 recordings); the shrinkage that
    # keeps the population's noncentrality gave 1.00 and 0.03 of it
    # its standard error covered the recording's own energy 36 of 40 times at 1.96 SE
    energy, truth, covered = [], [], 0
    for seed in range(12):
        rec = simulate_value_population(encoding=encoding, n_trials=300, n_neurons=20,
                                        gain=0.08, random_state=3000 + seed)
        sim = design_simulator(rec, base=["chosen"])
        energy.append(np.sum(sim.gains ** 2))
        assert sim.gain_energy == pytest.approx(energy[-1])
        truth.append(np.sum(rec["gain_soft"].values ** 2 + rec["gain_true"].values ** 2))
        covered += abs(sim.gain_energy - truth[-1]) <= 1.96 * sim.gain_energy_se
    tuned = 20 * 0.7 * 0.08**2 * (1 + 1 / 12)  # E[g^2] of uniform [0.5, 1.5] * 0.08
    assert covered >= 9
    if encoding == "soft":
        assert np.mean(energy) / np.mean(truth) == pytest.approx(1.0, abs=0.25)
    else:
        assert np.mean(energy) < 0.2 * tuned


def test_design_simulator_takes_contiguous_stretches_and_refuses_longer_sessions(recorded):
    sim = design_simulator(recorded, base=["chosen"], n_trials=100)
    ds = sim("soft", np.random.default_rng(1))
    soft = recorded["value_soft"].values
    z = (soft - soft.mean()) / soft.std()
    got = ds["value_soft"].values
    assert any(np.allclose(got, z[s:s + 100]) for s in range(201))
    with pytest.raises(ValueError, match="n_trials"):
        design_simulator(recorded, n_trials=301)


def test_design_calibration_discounts_the_linear_shift_nulls_edges(recorded):
    kw = {"n_null": 19, "alpha": 0.05, "null": ("linear_shift",)}
    res = design_calibration(recorded, base=["chosen"], n_trials=[100, 300],
                             encodings=("soft",), n_sessions=2, compare_kwargs=kw,
                             random_state=0)
    assert res.attrs["untested_trials"] == 20  # 2 ceil(19 / 2): the shifts' edges
    curve = power_curve(res, n_boot=9, random_state=0)
    assert curve.attrs["untested_trials"] == 20
    assert float(curve["trials_for_power_fitted"].sel(encoding="soft")) == pytest.approx(
        float(res["trials_for_power_fitted"].sel(encoding="soft")), nan_ok=True)


def test_design_calibration_reports_power_per_length(recorded):
    res = design_calibration(recorded, base=["chosen"], n_trials=[60, 300],
                             encodings=("soft", "none"), n_sessions=3,
                             compare_kwargs={"n_null": 19, "alpha": 0.05}, random_state=0)
    assert list(res["n_trials"].values) == [60, 300]
    assert res.attrs["untested_trials"] == 0  # the circular-shift null tests every trial
    assert res["verdict_count"].dims == ("n_trials", "encoding", "verdict")
    assert float(res["correct_rate"].sel(n_trials=300, encoding="soft")) >= 2 / 3
    t = res["trials_for_power"].sel(encoding="soft")
    assert np.isnan(t) or t in (60, 300)
    # two lengths: the power curve is fitted and says where 80 % is reached
    status = str(res["power_extrapolation"].sel(encoding="soft").item())
    assert status in ("within simulated lengths", "extrapolated", "plateaus below the target",
                      "not rising")
    assert str(res["power_extrapolation"].sel(encoding="none").item()) == "not applicable"
    assert res["trials_for_power_fitted"].attrs["units"] == "trials"
    low, mid, high = (float(res[v]) for v in ("value_gain_energy_low", "value_gain_energy",
                                               "value_gain_energy_high"))
    assert 0 <= low <= mid < high


def test_design_calibration_gives_each_session_its_stretch_of_the_pseudo_sessions(recorded):
    """A recording-length pseudo-session sampler is cut to each simulated session's trials."""
    seen = []
    full = np.arange(300.0)

    def sampler(rng):
        return {"soft": full + rng.normal(size=300), "true": full[::-1].copy()}

    def spy(rng):
        out = sampler(rng)
        seen.append(out["true"])
        return out

    kw = {"n_null": 4, "alpha": 0.2, "null": ("shift", "pseudo"), "pseudo_sampler": spy}
    res = design_calibration(recorded, base=["chosen"], n_trials=[60], encodings=("soft",),
                             n_sessions=2, compare_kwargs=kw, random_state=0)
    assert int(res["verdict_count"].sum()) == 2 and len(seen) == 8  # 4 draws x 2 sessions
    from neuromop.values.calibration import _on_recorded_trials

    sim = design_simulator(recorded, base=["chosen"], n_trials=60)
    ds = sim("soft", np.random.default_rng(2))
    cut = _on_recorded_trials(kw, ds)["pseudo_sampler"](np.random.default_rng(0))
    np.testing.assert_array_equal(cut["true"], full[::-1][ds["recording_trial"].values])
    assert cut["soft"].shape == (60,)
    short = _on_recorded_trials({"pseudo_sampler": lambda rng: {"soft": np.zeros(10)}}, ds)
    with pytest.raises(ValueError, match="recording's trials"):
        short["pseudo_sampler"](np.random.default_rng(0))


def _lognormal_poisson(rng, n, n_neurons, mean, white, slow, rho):
    """Counts with a latent log-rate: white noise plus a stationary AR(1), E[rate] = mean."""
    z = rng.standard_normal((n, n_neurons))
    ar = np.empty_like(z)
    ar[0] = z[0]
    for t in range(1, n):
        ar[t] = rho * ar[t - 1] + np.sqrt(1 - rho**2) * z[t]
    eta = np.log(mean) + slow * ar + white * rng.standard_normal(z.shape) - (white**2
                                                                            + slow**2) / 2
    return rng.poisson(np.exp(eta)).astype(float)


def test_residual_noise_recovers_white_and_slow_parts():
    rng = np.random.default_rng(0)
    mu = np.full((3000, 40), 5.0)
    Y = _lognormal_poisson(rng, 3000, 40, 5.0, white=0.3, slow=0.3, rho=0.9)
    white, slow, rho = _residual_noise(Y, mu)
    assert np.median(white) == pytest.approx(0.3, abs=0.05)
    assert np.median(slow) == pytest.approx(0.3, abs=0.05)
    assert rho == pytest.approx(0.9, abs=0.05)


def test_lag_means_by_fft_match_a_loop():
    from neuromop._latent_noise import _lag_means

    rng = np.random.default_rng(3)
    A, B, lags = rng.normal(size=(37, 4)), rng.normal(size=(37, 4)), np.arange(0, 30, 3)
    loop = np.array([[np.mean(A[:37 - k, j] * B[k:, j]) for j in range(4)] for k in lags])
    np.testing.assert_allclose(_lag_means(A, B, lags, per_column=True), loop, atol=1e-12)
    np.testing.assert_allclose(_lag_means(A, B, lags), loop.sum(axis=1), atol=1e-12)


def test_score_covariance_matches_the_dense_formula():
    from neuromop._latent_noise import count_score_covariance

    rng = np.random.default_rng(5)
    T, rho = 40, 0.8
    X = np.column_stack([np.ones(T), rng.normal(size=(T, 2))])
    mu = rng.uniform(0.5, 5.0, (T, 3))
    white, slow = np.array([0.1, 0.3, 0.0]), np.array([0.2, 0.0, 0.5])
    sigma = rho ** np.abs(np.subtract.outer(np.arange(T), np.arange(T)))
    dense = [X.T @ np.diag(m) @ X + w**2 * X.T @ np.diag(m**2) @ X
             + s**2 * X.T @ np.diag(m) @ sigma @ np.diag(m) @ X
             for m, w, s in zip(mu.T, white, slow)]
    np.testing.assert_allclose(count_score_covariance(X, mu, white, slow, rho), dense,
                               rtol=1e-10)


def test_residual_noise_finds_a_slow_drift_through_the_fits_detrending():
    # the bandit simulator's drift (SD 0.25, time constant 80 trials) in a 300-trial session
    # whose means were fitted with a smooth basis: the residuals hold a fifth of its variance.
    # Seeds 0-3: SD 0.26, 0.26, 0.32, 0.34, time constant 94, 87, 150, 150 (the grid's edge,
    # half the session; there the slow SD comes out high); naive SD 0.11, time constant ~5
    from neuromop.values._glm import fit_poisson_glm
    from neuromop.values.encoding import _dct_basis

    rng = np.random.default_rng(0)
    Y = _lognormal_poisson(rng, 300, 200, 5.0, white=0.2, slow=0.25, rho=np.exp(-1 / 80))
    X = np.column_stack([np.ones(300), _dct_basis(300, 3)])
    mu = np.exp(X @ fit_poisson_glm(X, Y))
    white, slow, rho = _residual_noise(Y, mu, X)
    assert np.sqrt(np.mean(slow**2)) == pytest.approx(0.25, abs=0.06)
    assert np.log(rho) == pytest.approx(-1 / 80, abs=0.008)  # time constant 45 to 220 trials
    assert np.sqrt(np.mean(white**2)) == pytest.approx(0.2, abs=0.03)
    # fitted as if the residuals were the process, the drift is weak and fast
    _, slow_naive, rho_naive = _residual_noise(Y, mu)
    assert np.sqrt(np.mean(slow_naive**2)) < 0.15 and rho_naive < 0.95


def test_residual_noise_is_near_zero_for_poisson_counts():
    rng = np.random.default_rng(1)
    Y = rng.poisson(5.0, size=(2000, 40)).astype(float)
    white, slow, _ = _residual_noise(Y, np.full(Y.shape, 5.0))
    assert np.sqrt(np.median(white**2 + slow**2)) < 0.05


def test_design_simulator_reproduces_the_recordings_overdispersion():
    rec = simulate_bandit_value_population(encoding="none", n_trials=400, n_neurons=20,
                                           drift=0.0, gain_noise=0.3, random_state=2)
    with_noise = design_simulator(rec)("none", np.random.default_rng(0))
    poisson = design_simulator(rec, residual_noise=False)("none", np.random.default_rng(0))

    def excess(ds):  # Var / mean per neuron, over trials, then the median
        y = ds["counts"].sum("time").values.astype(float)
        return float(np.median(y.var(0) / y.mean(0)))

    assert excess(poisson) == pytest.approx(1.0, abs=0.15)
    assert excess(with_noise) == pytest.approx(excess(rec), rel=0.2)
    assert excess(rec) > 1.3
    with pytest.raises(TypeError, match="residual_noise"):
        design_simulator(rec, residual_noise="yes")


def test_gain_energy_holds_when_the_signals_are_collinear():
    # the OFC-like design (r(soft, true) = 0.999): measured as |b|^2, the coefficients' noise
    # along the signals' difference swamped the signal and the debiased energy was 0 on 10 of
    # 10 recordings (truth 0.34); on the predictor's scale, b' R b, shrunk by the Wald
    # statistics, it averaged 0.88 times the truth's
    energy, truth = [], []
    for seed in range(6):
        rec = simulate_value_population(encoding="soft", design="ofc", n_trials=300,
                                        n_neurons=20, gain=0.15, random_state=seed)
        energy.append(design_simulator(rec, base=["chosen"]).gain_energy)
        truth.append(np.sum(rec["gain_soft"].values ** 2))
    assert np.mean(energy) / np.mean(truth) == pytest.approx(1.0, abs=0.3)
    assert min(energy) > 0


def test_energy_threshold_keeps_the_strong_neurons_and_the_total():
    from neuromop.values.calibration import _energy_threshold

    raw = np.array([0.20, 0.01, 0.012, 0.008, 0.0])
    v = np.full(5, 0.01)
    energy = float(raw.sum() - v.sum())  # 0.18
    lam = _energy_threshold(raw, v, energy)
    g2 = np.maximum(raw - lam * v, 0.0)
    assert lam >= 1 and g2.sum() == pytest.approx(energy)
    assert g2[0] > 0.17 and np.all(g2[1:] == 0)  # noise-level neurons are zeroed
    assert _energy_threshold(raw, v, 0.0) == np.inf


def test_gain_energy_gives_no_gain_to_a_neuron_with_infinite_variance():
    # an absurd count (1e300) makes a neuron's noise variance infinite; its gain is 0 and the
    # others', the energy and its error stay finite (the fuzz suite found a NaN gain here)
    from neuromop.values.calibration import _gain_energy

    rng = np.random.default_rng(0)
    X = np.column_stack([np.ones(50), rng.standard_normal((50, 2))])
    X[:, 1:] = (X[:, 1:] - X[:, 1:].mean(0)) / X[:, 1:].std(0)
    beta = rng.normal(0.0, 0.3, (3, 4))
    white = np.array([np.inf, 0.2, 0.2, np.nan])
    gains, energy, se = _gain_energy(X, beta, np.exp(X @ beta), (white, np.zeros(4), 0.5))
    assert gains[0] == 0 and gains[3] == 0
    assert np.all(np.isfinite(gains)) and np.isfinite(energy) and np.isfinite(se)
