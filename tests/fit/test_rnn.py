"""Rate-RNN estimator: recovery of a known (chaotic) teacher, baselines, errors, resume."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.stats
import torch
import xarray as xr

from neuromop.envs import RateRNNEnv
from neuromop.fit.baselines import (
    LinearDynamicalBaseline,
    PSTHBaseline,
    per_neuron_r2,
    poisson_bits_per_spike,
    simulate_rate_rnn,
    simulate_teacher_dataset,
    variability_summary,
)
from neuromop.fit.env import env_from_fit
from neuromop.fit.rnn import RateRNNRegressor, fit_rate_rnn

INPUTS = ["u0", "u1"]


def _small(n_trials=24, n_time=12, **kw):
    ds, _ = simulate_teacher_dataset(n_trials=n_trials, n_time=n_time, n_units=4, n_neurons=5,
                                     random_state=3, **kw)
    return ds


def _quick(**kw):
    params = dict(n_units=4, max_epochs=3, batch_size=8, random_state=0)
    params.update(kw)
    return RateRNNRegressor(**params)


# ---------------------------------------------------------------------- recovery (CI size)
NOISE_INPUTS = [f"u{i}" for i in range(6)]


@pytest.fixture(scope="module")
def chaotic_fit():
    """Teacher g=1.5 (chaotic) driven by 6 white-noise inputs, Poisson observations.

    Persistently exciting inputs make the connectivity identifiable; with two pulse inputs only
    the held-out predictions are recovered, not the spectrum (see the module report).
    """
    ds, teacher = simulate_teacher_dataset(n_trials=235, n_time=50, n_units=16, n_neurons=24,
                                           g=1.5, noise=0.0, x0_std=0.05, n_inputs=6,
                                           input_kind="noise", random_state=0)
    train, test = ds.isel(trial=slice(0, 199)), ds.isel(trial=slice(199, None))
    model = RateRNNRegressor(16, tau=0.1, learning_rate=0.02, max_epochs=300, patience=60,
                             batch_size=64, infer_initial_state=False, random_state=0)
    model.fit(train, NOISE_INPUTS)
    return model, teacher, train, test


def test_teacher_is_chaotic(chaotic_fit):
    _, teacher, _, _ = chaotic_fit
    assert np.max(np.abs(np.linalg.eigvals(teacher["W"]))) > 1.3


def test_heldout_fit_beats_baselines(chaotic_fit):
    model, _, train, test = chaotic_fit
    rnn = model.score(test)
    psth = PSTHBaseline("condition").fit(train).score(test)
    lds = LinearDynamicalBaseline(8).fit(train, NOISE_INPUTS).score(test)
    oracle = poisson_bits_per_spike(test["counts"].values, test["expected_counts"].values)
    assert rnn > psth + 0.02
    assert rnn > lds + 0.02
    assert rnn > 0.85 * oracle


def test_heldout_rates_track_teacher_rates(chaotic_fit):
    model, _, _, test = chaotic_fit
    pred = model.predict(test)["rate"].values * model.bin_width_
    r2 = per_neuron_r2(test["expected_counts"].values, pred)
    assert np.median(r2) > 0.6


def test_spectral_radius_recovered(chaotic_fit):
    model, teacher, _, _ = chaotic_fit
    true_radius = np.max(np.abs(np.linalg.eigvals(teacher["W"])))
    fit_radius = np.max(np.abs(model.spectrum()))
    # measured: 2.02 vs 1.82 (the bulk is inflated: mean |eigenvalue| 1.24 vs 0.97)
    assert abs(fit_radius - true_radius) / true_radius < 0.2


@pytest.mark.parametrize("metric,rtol", [("fano_factor", 0.1), ("participation_ratio", 0.15),
                                         ("mean_rate", 0.05)])
def test_sampled_variability_matches_data(chaotic_fit, metric, rtol):
    model, _, _, test = chaotic_fit
    data = variability_summary(test["counts"].values)[metric]
    sim = variability_summary(model.sample(test, random_state=1)["counts"].values)[metric]
    assert sim == pytest.approx(data, rel=rtol)


@pytest.mark.slow
@pytest.mark.parametrize("g", [0.8, 1.5])
def test_pulse_input_heldout_fit_near_oracle(g):
    ds, _ = simulate_teacher_dataset(n_trials=240, g=g, noise=0.0, x0_std=0.05, random_state=1)
    train, test = ds.isel(trial=slice(0, 200)), ds.isel(trial=slice(200, None))
    model = fit_rate_rnn(train, INPUTS, n_units=16, learning_rate=0.02, max_epochs=200,
                         patience=40, batch_size=64, infer_initial_state=False, random_state=0)
    oracle = poisson_bits_per_spike(test["counts"].values, test["expected_counts"].values)
    assert model.score(test) > 0.85 * oracle
    assert model.score(test) > PSTHBaseline("condition").fit(train).score(test)


# ---------------------------------------------------------------------- references
def test_torch_dynamics_match_numpy_reference():
    ds = _small()
    model = _quick(max_epochs=1).fit(ds, INPUTS)
    z = model.latent_trajectories(ds)
    u = np.stack([ds[v].values for v in INPUTS], axis=-1)
    x0 = np.repeat(model.x0_.mean(0, keepdims=True), ds.sizes["trial"], axis=0)
    x_ref, lam_ref = simulate_rate_rnn(model.W_, model.B_, model.c_, model.C_, model.d_, u, x0,
                                       alpha=model.alpha_)
    np.testing.assert_allclose(z, x_ref, atol=1e-5)
    np.testing.assert_allclose(model.predict(ds)["rate"].values * model.bin_width_, lam_ref,
                               rtol=1e-4)


def test_substeps_equal_finer_reference():
    ds = _small()
    model = _quick(max_epochs=1, dt=ds.attrs["bin_width"] / 4).fit(ds, INPUTS)
    assert model.n_substeps_ == 4
    u = np.stack([ds[v].values for v in INPUTS], axis=-1)
    x0 = np.repeat(model.x0_.mean(0, keepdims=True), ds.sizes["trial"], axis=0)
    x_ref, _ = simulate_rate_rnn(model.W_, model.B_, model.c_, model.C_, model.d_, u, x0,
                                 alpha=model.alpha_, n_substeps=4)
    np.testing.assert_allclose(model.latent_trajectories(ds), x_ref, atol=1e-5)


def test_bits_per_spike_matches_scipy():
    rng = np.random.default_rng(0)
    lam = rng.uniform(0.2, 3.0, (7, 5, 3))
    y = rng.poisson(lam)
    null = np.broadcast_to(y.mean(axis=(0, 1)), y.shape)
    ll = scipy.stats.poisson.logpmf(y, lam).sum() - scipy.stats.poisson.logpmf(y, null).sum()
    assert poisson_bits_per_spike(y, lam) == pytest.approx(ll / (y.sum() * np.log(2)))


def test_psth_baseline_is_condition_mean():
    ds = _small()
    psth = PSTHBaseline("condition").fit(ds)
    pred = psth.predict(ds)["rate"].values * ds.attrs["bin_width"]
    first = ds["condition"].values[0]
    same = ds["counts"].values[ds["condition"].values == first].mean(axis=0)
    np.testing.assert_allclose(pred[0], np.maximum(same, 1e-3))


def test_lds_recovers_noise_free_linear_system():
    rng = np.random.default_rng(0)
    a = np.array([[0.9, -0.2], [0.2, 0.9]])
    u = rng.normal(size=(30, 20, 1))
    z = np.zeros((30, 20, 2))
    z[:, 0] = 1.0
    for t in range(19):
        z[:, t + 1] = z[:, t] @ a.T + u[:, t] @ np.array([[1.0, 0.5]])
    y = z @ rng.normal(size=(2, 6)) + 3.0
    ds = xr.Dataset({"activity": (("trial", "time", "neuron"), y),
                     "u": (("trial", "time"), u[..., 0])}, attrs={"bin_width": 0.01})
    lds = LinearDynamicalBaseline(2, ridge=0.0, observation="gaussian").fit(ds, ["u"])
    np.testing.assert_allclose(np.sort_complex(np.linalg.eigvals(lds.A_)),
                               np.sort_complex(np.linalg.eigvals(a)), atol=1e-8)
    assert lds.score(ds) == pytest.approx(1.0, abs=1e-8)


# ---------------------------------------------------------------------- contract
def test_predict_and_sample_follow_contract():
    ds = _small()
    model = _quick().fit(ds, INPUTS)
    pred = model.predict(ds)
    assert pred["rate"].dims == ("trial", "time", "neuron")
    assert pred.attrs["units"] == "Hz" and pred.attrs["bin_width"] == ds.attrs["bin_width"]
    assert "parameters" in pred.attrs
    np.testing.assert_array_equal(pred["condition"].values, ds["condition"].values)
    s1, s2 = model.sample(ds, random_state=5), model.sample(ds, random_state=5)
    np.testing.assert_array_equal(s1["counts"].values, s2["counts"].values)
    assert s1["counts"].dtype.kind == "i"
    assert set(model.history_) == {"epoch", "train_loss", "val_loss"}
    assert 0 <= model.best_epoch_ < 3
    assert len(model.train_trials_) + len(model.val_trials_) == ds.sizes["trial"]


def test_gaussian_observation_scores_r2():
    ds = _small()
    rate = ds["counts"].astype(float).rename("rate")
    gds = xr.Dataset({"rate": rate, **{v: ds[v] for v in INPUTS}}, attrs=ds.attrs)
    model = _quick(observation="gaussian").fit(gds, INPUTS)
    pred = model.predict(gds)["activity"].values
    y = gds["rate"].values
    ref = 1 - np.sum((y - pred) ** 2) / np.sum((y - y.mean(axis=(0, 1))) ** 2)
    assert model.score(gds) == pytest.approx(ref, rel=1e-6)


def test_fitted_initial_states_used_for_training_trials():
    ds = _small()
    model = _quick(max_epochs=2).fit(ds, INPUTS)
    train = ds.isel(trial=model.train_trials_)
    z = model.latent_trajectories(train, initial_state="fitted")
    np.testing.assert_allclose(z[:, 0], model.x0_, atol=1e-6)
    with pytest.raises(ValueError, match="training trials"):
        model.latent_trajectories(ds, initial_state="fitted")


def test_env_from_fit_reproduces_fitted_dynamics():
    ds = _small()
    model = _quick(nonlinearity="tanh").fit(ds, INPUTS)
    env = env_from_fit(model, num_envs=3, n_candidates=4)
    assert isinstance(env, RateRNNEnv)
    assert env.fitted_model is model
    states, _ = env.reset(seed=0)
    x = env.activity(states)
    nxt = env.activity(env.predict(states, torch.zeros(3, dtype=torch.long)))
    w, c, a = model.W_, model.c_, model.alpha_
    ref = x.numpy() + a * (-x.numpy() + np.tanh(x.numpy() @ w.T + c))
    np.testing.assert_allclose(nxt.numpy(), ref, atol=1e-5)


# ---------------------------------------------------------------------- errors
def test_too_few_trials_for_split():
    with pytest.raises(ValueError, match="held-out split"):
        _quick().fit(_small(n_trials=2), INPUTS)


def test_nan_counts_rejected():
    ds = _small()
    counts = ds["counts"].values.astype(float)
    counts[0, 0, 0] = np.nan
    ds["counts"] = (("trial", "time", "neuron"), counts)
    with pytest.raises(ValueError, match="finite"):
        _quick().fit(ds, INPUTS)


def test_unknown_input_named():
    with pytest.raises(ValueError, match="'stim'"):
        _quick().fit(_small(), ["stim"])


def test_input_with_wrong_dims_named():
    ds = _small()
    ds["bad"] = ("trial", np.zeros(ds.sizes["trial"]))
    with pytest.raises(ValueError, match="'bad' must have dims"):
        _quick().fit(ds, ["bad"])


def test_predict_with_mismatched_inputs():
    ds = _small()
    model = _quick().fit(ds, INPUTS)
    with pytest.raises(ValueError, match="'u1'"):
        model.predict(ds.drop_vars("u1"))


@pytest.mark.parametrize("kw,match", [({"n_units": 0}, "n_units"),
                                      ({"validation_fraction": 1.0}, "validation_fraction"),
                                      ({"observation": "binomial"}, "observation"),
                                      ({"resume": True}, "checkpoint_dir")])
def test_bad_parameters(kw, match):
    with pytest.raises((TypeError, ValueError), match=match):
        _quick(**kw).fit(_small(), INPUTS)


def test_poisson_needs_counts():
    ds = _small().rename({"counts": "rate"})
    with pytest.raises(ValueError, match="gaussian"):
        _quick().fit(ds, INPUTS)


# ---------------------------------------------------------------------- checkpoint / resume
@pytest.mark.parametrize("infer", [True, False])
def test_resume_equals_uninterrupted(tmp_path, infer):
    ds = _small()
    kw = dict(max_epochs=6, infer_initial_state=infer, input_noise=0.1, patience=100)
    ref = _quick(**kw).fit(ds, INPUTS)
    _quick(**dict(kw, max_epochs=3), checkpoint_dir=tmp_path).fit(ds, INPUTS)
    res = _quick(**kw, checkpoint_dir=tmp_path, resume=True).fit(ds, INPUTS)
    np.testing.assert_array_equal(res.W_, ref.W_)
    np.testing.assert_array_equal(res.x0_, ref.x0_)
    assert res.history_ == ref.history_ and res.best_epoch_ == ref.best_epoch_


def test_resume_after_callback_interrupt(tmp_path):
    ds = _small()
    ref = _quick(max_epochs=5, patience=100).fit(ds, INPUTS)
    first = _quick(max_epochs=5, patience=100, checkpoint_dir=tmp_path)
    first.fit(ds, INPUTS, callback=lambda epoch, history: epoch == 1)
    assert len(first.history_["epoch"]) == 2
    res = _quick(max_epochs=5, patience=100, checkpoint_dir=tmp_path, resume=True).fit(ds, INPUTS)
    np.testing.assert_array_equal(res.W_, ref.W_)


def test_resume_refuses_different_parameters(tmp_path):
    ds = _small()
    _quick(checkpoint_dir=tmp_path).fit(ds, INPUTS)
    with pytest.raises(ValueError, match="learning_rate"):
        _quick(learning_rate=0.5, checkpoint_dir=tmp_path, resume=True).fit(ds, INPUTS)


class _Payload:
    """Unpickling this runs code: the file a hostile user hands in."""

    def __reduce__(self):
        import os

        return (os.system, ("echo ran > ran_payload.txt",))


def test_load_refuses_a_file_that_would_run_code(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    torch.save({"params": {}, "fitted": _Payload()}, tmp_path / "model.pt")
    with pytest.raises(ValueError, match="cannot be read safely"):
        RateRNNRegressor.load(tmp_path / "model.pt")
    assert not (tmp_path / "ran_payload.txt").exists()


def test_saved_model_round_trips_through_the_safe_loader(tmp_path):
    ds = _small()
    model = _quick(nonlinearity="tanh").fit(ds, INPUTS)
    model.save(tmp_path / "model.pt")
    again = RateRNNRegressor.load(tmp_path / "model.pt")
    np.testing.assert_array_equal(again.W_, model.W_)
    np.testing.assert_allclose(again.predict(ds)["rate"].values, model.predict(ds)["rate"].values)
    assert again.inputs_ == model.inputs_


def test_data_of_another_bin_width_are_refused():
    ds = _small()
    model = _quick(nonlinearity="tanh").fit(ds, INPUTS)
    other = ds.assign_attrs(bin_width=2 * ds.attrs["bin_width"])
    with pytest.raises(ValueError, match="fitted bin width"):
        model.predict(other)
