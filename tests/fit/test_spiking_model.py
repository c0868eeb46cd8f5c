"""The learned one-step model of a spiking network and its model env (numpy Brian2 target)."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from neuromop.analysis.tables import variability_table
from neuromop.control import NeuroMOPController, RandomController
from neuromop.control.rollout import run_controllers
from neuromop.envs.spiking import SpikingVectorEnv
from neuromop.envs.spiking.designs import (
    energy_candidate_actions,
)
from neuromop.envs.spiking.network import SpikingNetworkParams
from neuromop.envs.spiking.terminal import SpikingEnergyBudget
from neuromop.fit.spiking_model import (
    SpikingModelEnv,
    SpikingObservationModel,
    Transitions,
    collect_transitions,
)

TINY = SpikingNetworkParams(n_exc=80, n_inh=20, p_connect=0.5)
PERIOD = 20.0  # ms
CAND = energy_candidate_actions(0.03, 3)


@pytest.fixture(scope="module")
def env():
    # an energy budget that is never reached: auxiliaries are tracked, copies stay alive
    return SpikingVectorEnv(6, TINY, control_period=PERIOD, target="numpy", verbose=False,
                            terminal=SpikingEnergyBudget(1e6, threshold=5.0, time_constant=0.5),
                            max_episode_steps=30)


@pytest.fixture(scope="module")
def transitions(env):
    return collect_transitions(env, CAND, n_episodes=1, n_steps=30, random_state=3)


def synthetic(n=1500, seed=0, obs_sd=0.5, rate_sd=2.0):
    """Linear-Gaussian transitions with known mean and noise (an independent reference)."""
    rng = np.random.default_rng(seed)
    obs = rng.uniform(2, 20, (n, 2))
    idx = rng.integers(0, len(CAND), n)
    act = CAND[idx]
    drift = np.stack([100 * act[:, 0] - 50 * act[:, 1], 30 * act[:, 0]], 1)
    nxt = obs + drift + rng.normal(0, obs_sd, (n, 2))
    rate = 10 + 200 * act[:, 0] + rng.normal(0, rate_sd, n)
    aux = np.zeros((n, 1))
    return Transitions(obs=obs, action=act, action_index=idx, next_obs=nxt, rate=rate, aux=aux,
                       next_aux=aux, terminal=np.zeros(n, bool), initial_obs=obs[:50])


@pytest.fixture(scope="module")
def fitted():
    return SpikingObservationModel(hidden=(32, 32), max_epochs=60, patience=5,
                                   learning_rate=1e-2, batch_size=128,
                                   random_state=0).fit(synthetic())


def model_env(model, **kw):
    term = SpikingEnergyBudget(0.6, threshold=10.0, time_constant=0.5)
    return SpikingModelEnv(model, CAND, term, control_period=PERIOD,
                           initial_obs=np.full((4, 2), 8.0), num_envs=16, **kw)


def test_transitions_follow_the_rate_filter(env, transitions):
    # next_obs = lam obs + (1 - lam) inst and the period rate is the E/I-weighted inst rate
    lam = math.exp(-PERIOD / env.tau_obs)
    inst = (transitions.next_obs - lam * transitions.obs) / (1 - lam)
    total = inst @ np.array([TINY.n_exc, TINY.n_inh]) / TINY.n_neurons
    np.testing.assert_allclose(total, transitions.rate, atol=1e-6)
    assert len(transitions) == 6 * 29
    np.testing.assert_array_equal(transitions.action, CAND[transitions.action_index])


def test_transitions_energy_matches_the_budget_update(transitions):
    decay = math.exp(-PERIOD * 1e-3 / 0.5)
    expected = decay * transitions.aux[:, 0] + np.maximum(transitions.rate - 5.0, 0) * 0.02
    np.testing.assert_allclose(transitions.next_aux[:, 0], expected, atol=1e-9)


def test_model_recovers_linear_gaussian_dynamics(fitted):
    test = synthetic(n=500, seed=1)
    obs = torch.as_tensor(test.obs, dtype=torch.float32)
    mean, sd = fitted.predict_distribution(obs, torch.as_tensor(CAND, dtype=torch.float32))
    act = CAND
    true_next = (test.obs[:, None, :] + np.stack([100 * act[:, 0] - 50 * act[:, 1],
                                                  30 * act[:, 0]], 1)[None])
    np.testing.assert_allclose(mean[..., :2].numpy(), true_next, atol=0.5)
    np.testing.assert_allclose(mean[..., 2].numpy(), (10 + 200 * act[:, 0])[None].repeat(500, 0),
                               atol=1.0)
    assert abs(float(sd[..., :2].mean()) - 0.5) < 0.1
    assert abs(float(sd[..., 2].mean()) - 2.0) < 0.3
    assert fitted.score(test)["r2_next_obs"] > 0.95


def test_model_fit_is_seeded_and_stops_early():
    data = synthetic(n=300)
    kw = dict(hidden=(16,), max_epochs=400, patience=2, learning_rate=3e-2, random_state=5)
    a = SpikingObservationModel(**kw).fit(data)
    b = SpikingObservationModel(**kw).fit(data)
    obs = torch.tensor([[5.0, 6.0]])
    cand = torch.as_tensor(CAND, dtype=torch.float32)
    torch.testing.assert_close(a.predict_distribution(obs, cand), b.predict_distribution(obs, cand))
    assert len(a.history_) < 400 and a.best_epoch_ == len(a.history_) - 3


def test_model_on_real_network_beats_persistence(transitions):
    model = SpikingObservationModel(hidden=(16,), max_epochs=60, random_state=0).fit(transitions)
    score = model.score(transitions)
    assert score["r2_next_obs"] > score["r2_persistence"]


def test_predict_all_candidates_matches_indexed(fitted):
    menv = model_env(fitted)
    states = menv.initial_states(5, torch.Generator().manual_seed(0))
    states[:, 2] = torch.linspace(0, 0.5, 5)
    full = menv.predict(states)
    idx = torch.tensor([0, 3, 8, 4, 1])
    torch.testing.assert_close(menv.predict(states, idx), full[torch.arange(5), idx])
    pairs = torch.tensor([[1, 2]] * 5)
    torch.testing.assert_close(menv.predict(states, pairs), full[:, 1:3])
    assert full.shape == (5, len(CAND), 3)


@pytest.mark.parametrize("nodes, tol", [(8, 2e-3), (32, 5e-4)])
def test_mean_energy_is_the_expectation_over_rate_noise(fitted, nodes, tol):
    # closed form: E[max(X - c, 0)] = (mu - c) Phi(d) + sd phi(d), d = (mu - c) / sd
    from scipy.stats import norm

    menv = model_env(fitted, quadrature_nodes=nodes)
    states = torch.tensor([[8.0, 9.0, 0.3]])
    mean, sd = fitted.predict_distribution(states[:, :2], menv.candidate_actions)
    mu, s = mean[0, :, 2].double().numpy(), sd[0, :, 2].double().numpy()
    d = (mu - 10.0) / s
    exact = math.exp(-0.02 / 0.5) * 0.3 + ((mu - 10.0) * norm.cdf(d) + s * norm.pdf(d)) * 0.02
    got = menv.predict(states)[0, :, 2].double().numpy()
    np.testing.assert_allclose(got, exact, atol=tol)


def test_risk_quantile_uses_the_upper_rate_quantile(fitted):
    menv = model_env(fitted, risk_quantile=2.0)
    states = torch.tensor([[8.0, 9.0, 0.1]])
    mean, sd = fitted.predict_distribution(states[:, :2], menv.candidate_actions)
    q = (mean[0, :, 2] + 2.0 * sd[0, :, 2]).clamp(min=0)
    expected = math.exp(-0.02 / 0.5) * 0.1 + (q - 10.0).clamp(min=0) * 0.02
    torch.testing.assert_close(menv.predict(states)[0, :, 2], expected)


def test_noisy_predict_is_seeded(fitted):
    menv = model_env(fitted)
    s = menv.initial_states(3, torch.Generator().manual_seed(1))
    a = menv.predict(s, generator=torch.Generator().manual_seed(2))
    b = menv.predict(s, generator=torch.Generator().manual_seed(2))
    torch.testing.assert_close(a, b)
    assert not torch.allclose(a, menv.predict(s))


def test_mop_on_model_avoids_the_expensive_action_near_the_budget(fitted):
    menv = model_env(fitted, risk_quantile=2.0)
    ctrl = NeuroMOPController(menv, hidden=(32,), gamma=0.9, random_state=0)
    ctrl.fit(epochs=4, steps_per_epoch=10, fit_iterations=30, target_updates=3, progress=False)
    probs = ctrl.action_probabilities(torch.tensor([[8.0, 9.0, 0.0], [8.0, 9.0, 0.55]]))
    expensive = int(np.argmax(CAND[:, 0] - CAND[:, 1]))  # +E, -I: the highest rate
    assert float(probs[1, expensive]) < 1e-3 < float(probs[0, expensive])


@pytest.mark.parametrize("bad, match", [
    (dict(candidate_actions=np.zeros((3, 3))), "candidate_actions must have 2 columns"),
    (dict(initial_obs=np.zeros((3, 5))), "initial_obs must have 2 columns"),
])
def test_model_env_checks_shapes(fitted, bad, match):
    kw = dict(candidate_actions=CAND, initial_obs=np.ones((2, 2)))
    kw.update(bad)
    with pytest.raises(ValueError, match=match):
        SpikingModelEnv(fitted, kw["candidate_actions"], SpikingEnergyBudget(1.0),
                        control_period=PERIOD, initial_obs=kw["initial_obs"])


def test_model_env_needs_a_fitted_model():
    with pytest.raises(TypeError, match="fitted SpikingObservationModel"):
        SpikingModelEnv(SpikingObservationModel(), CAND, SpikingEnergyBudget(1.0),
                        control_period=5.0, initial_obs=np.ones((2, 2)))


def test_collect_checks_action_dimension(env):
    with pytest.raises(ValueError, match="candidate_actions must have shape"):
        collect_transitions(env, np.zeros((4, 3)), n_steps=5)


def test_run_controllers_on_the_real_network(env, fitted):
    menv = model_env(fitted)
    ds, spikes = run_controllers(env, {"free": None, "random": RandomController(menv)}, CAND, 10,
                                 random_state=0)
    assert list(ds["controller"].values) == ["free"] * 3 + ["random"] * 3
    assert (ds["action_index"].values[:3] == -1).all()
    np.testing.assert_allclose(ds["action_entropy"].values[3:], math.log(len(CAND)), rtol=1e-6)
    # the currents applied are the chosen candidates
    np.testing.assert_allclose(ds["action"].values[3:], CAND[ds["action_index"].values[3:]])
    table = variability_table(ds, spikes, window=0.1)
    assert table.loc["random", "action_entropy"] == pytest.approx(math.log(9), rel=1e-6)
    assert table.loc["free", "lifetime_steps"] == 10
    assert np.isfinite(table.loc["random", ["fano_factor", "cv_isi", "participation_ratio"]]
                       .astype(float)).all()


def test_run_controllers_checks_group_sizes(env):
    with pytest.raises(ValueError, match="multiple of len"):
        run_controllers(env, {"a": None, "b": None, "c": None, "d": None}, CAND, 5)
