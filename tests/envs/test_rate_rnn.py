"""Tests of the rate-RNN environment against slow reference implementations."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from neuromop.envs import EnergyBudget, ModelBasedVectorEnv, RateRNNEnv, SquareBox, as_gymnasium_env


def _reference_step(env: RateRNNEnv, x, ctx, a_index):
    """Euler step written neuron by neuron in float64 (independent of the vectorised code)."""
    W, V, C = env.W.double().numpy(), env.V.double().numpy(), env.C.double().numpy()
    a = env.candidate_actions[a_index].double().numpy()
    f = math.tanh if env.nonlinearity == "tanh" else (lambda z: max(z, 0.0))
    out = np.empty(env.n_neurons)
    for i in range(env.n_neurons):
        cur = sum(W[i, j] * x[j] for j in range(env.n_neurons))
        cur += sum(V[i, m] * a[m] for m in range(len(a)))
        cur += sum(C[i, c] * ctx[c] for c in range(len(ctx)))
        out[i] = x[i] + env.dt / env.tau * (-x[i] + f(cur))
    return out


@pytest.mark.parametrize("nonlinearity", ["tanh", "relu"])
def test_euler_step_matches_reference_loop(nonlinearity):
    env = RateRNNEnv(12, num_envs=3, g=1.8, dt=0.2, nonlinearity=nonlinearity,
                     n_action_channels=4, n_candidates=5, n_contexts=3, random_state=3)
    states = env.initial_states(3, torch.Generator().manual_seed(0))
    nxt = env.predict(states)
    for b in range(3):
        x = states[b, :12].double().numpy()
        ctx = states[b, 12:15].double().numpy()
        for k in range(5):
            ref = _reference_step(env, x, ctx, k)
            np.testing.assert_allclose(nxt[b, k, :12].numpy(), ref, atol=1e-5)
    # context is carried unchanged
    torch.testing.assert_close(nxt[:, :, 12:15], states[:, None, 12:15].expand(3, 5, 3))


def test_predict_index_forms_and_step_agree():
    env = RateRNNEnv(30, num_envs=4, terminal=EnergyBudget(10.0), random_state=1)
    states, _ = env.reset(seed=5)
    full = env.predict(states)
    idx = torch.tensor([0, 3, 7, 15])
    torch.testing.assert_close(env.predict(states, idx), full[torch.arange(4), idx])
    idx2 = torch.tensor([[1, 2], [0, 0], [5, 9], [15, 14]])
    torch.testing.assert_close(env.predict(states, idx2),
                               full[torch.arange(4)[:, None], idx2])
    obs, reward, term, trunc, _ = env.step(idx)
    torch.testing.assert_close(obs, full[torch.arange(4), idx])
    assert reward.shape == (4,) and not term.any() and not trunc.any()


def test_zero_candidate_is_free_network():
    env = RateRNNEnv(20, num_envs=2, random_state=0)
    assert torch.all(env.candidate_actions[0] == 0)
    assert torch.all(env.currents[0] == 0)


def _lyapunov(g: float, steps: int = 1500, eps: float = 1e-4) -> float:
    """Largest Lyapunov exponent (per tau) by renormalised twin trajectories (Benettin)."""
    env = RateRNNEnv(200, num_envs=2, g=g, random_state=0, init_std=0.5)
    x = env.initial_states(1, torch.Generator().manual_seed(0))
    zero = torch.zeros(1, dtype=torch.long)
    for _ in range(300):  # settle on the attractor
        x = env.predict(x, zero)
    d = torch.randn(x.shape, generator=torch.Generator().manual_seed(1))
    y = x + eps * d / d.norm()
    total = 0.0
    for _ in range(steps):
        x, y = env.predict(x, zero), env.predict(y, zero)
        dist = float((y - x).norm())
        total += math.log(dist / eps)
        y = x + (y - x) * (eps / dist)
    return total / (steps * env.dt / env.tau)


def test_chaotic_for_g_above_one_and_stable_below():
    assert _lyapunov(3.0) > 0.05  # positive largest Lyapunov exponent: chaos
    assert _lyapunov(0.5) < -0.2  # contracting towards the fixed point 0


def test_same_seed_same_network_and_noisy_trajectories():
    a = RateRNNEnv(25, num_envs=3, noise_std=0.3, random_state=7)
    b = RateRNNEnv(25, num_envs=3, noise_std=0.3, random_state=7)
    c = RateRNNEnv(25, num_envs=3, noise_std=0.3, random_state=8)
    assert torch.equal(a.W, b.W) and torch.equal(a.candidate_actions, b.candidate_actions)
    assert not torch.equal(a.W, c.W)
    sa, _ = a.reset(seed=11)
    sb, _ = b.reset(seed=11)
    act = torch.tensor([1, 2, 3])
    for _ in range(10):
        sa, *_ = a.step(act)
        sb, *_ = b.step(act)
    assert torch.equal(sa, sb)


def test_private_noise_has_the_documented_std():
    env = RateRNNEnv(50, num_envs=1, noise_std=0.4, dt=0.1, random_state=0)
    states = env.initial_states(1, torch.Generator().manual_seed(0)).expand(4000, -1)
    mean = env.predict(states, torch.zeros(4000, dtype=torch.long))
    noisy = env.predict(states, torch.zeros(4000, dtype=torch.long),
                        generator=torch.Generator().manual_seed(3))
    std = float((noisy - mean).std())
    assert std == pytest.approx(0.4 * math.sqrt(0.1), rel=0.02)
    assert env.noise_entropy == pytest.approx(
        0.5 * 50 * math.log(2 * math.pi * math.e * 0.4**2 * 0.1))


def test_next_step_autoreset():
    env = RateRNNEnv(10, num_envs=2, terminal=SquareBox((0, 1), 0.3), init_std=0.05, random_state=0)
    states, _ = env.reset(seed=0)
    terminal = states.clone()
    terminal[0, 0] = 0.9  # env 0 will stay outside the square after one Euler step
    env.states = terminal
    obs, _, term, _, info = env.step(torch.zeros(2, dtype=torch.long))
    assert term.tolist() == [True, False] and info["_final_obs"].tolist() == [True, False]
    obs, reward, term, trunc, info = env.step(torch.zeros(2, dtype=torch.long))
    assert info["autoreset"].tolist() == [True, False]
    assert not term[0] and reward[0] == 0 and info["episode_length"][0] == 0
    assert obs[0, :2].abs().max() <= 0.3


def test_truncation():
    env = RateRNNEnv(10, num_envs=2, max_episode_steps=3, random_state=0)
    env.reset(seed=0)
    flags = [bool(env.step(torch.zeros(2, dtype=torch.long))[3][0]) for _ in range(3)]
    assert flags == [False, False, True]


def test_initial_states_are_not_terminal():
    env = RateRNNEnv(10, num_envs=64, terminal=SquareBox((0, 1), 0.2), init_std=0.3, random_state=0)
    states, _ = env.reset(seed=0)
    assert not env.is_terminal(states).any()


def test_is_a_model_based_env_and_gymnasium_adapter():
    from gymnasium.utils.env_checker import check_env

    env = RateRNNEnv(8, num_envs=1, terminal=EnergyBudget(0.5), max_episode_steps=20,
                     random_state=0)
    assert isinstance(env, ModelBasedVectorEnv)
    single = as_gymnasium_env(env)
    check_env(single, skip_render_check=True)
    obs, _ = single.reset(seed=0)
    assert obs.shape == (9,) and obs.dtype == np.float32


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"nonlinearity": "sigmoid"}, ValueError, "nonlinearity"),
        ({"dt": 2.0}, ValueError, "dt"),
        ({"n_neurons": 0}, ValueError, "n_neurons"),
        ({"terminal": "energy"}, TypeError, "terminal"),
        ({"terminal": SquareBox((0, 50))}, ValueError, "n_neurons"),
    ],
)
def test_bad_arguments_raise(kwargs, error, match):
    kw = {"n_neurons": 10} | kwargs
    with pytest.raises(error, match=match):
        RateRNNEnv(**kw)


def test_bad_step_and_predict_inputs_raise():
    env = RateRNNEnv(10, num_envs=2, random_state=0)
    with pytest.raises(RuntimeError, match="reset"):
        env.step(torch.zeros(2, dtype=torch.long))
    env.reset(seed=0)
    with pytest.raises(ValueError, match="action_index"):
        env.step(torch.zeros(3, dtype=torch.long))
    with pytest.raises(TypeError, match="action_index"):
        env.step(torch.zeros(2))
    with pytest.raises(ValueError, match="action_index"):
        env.step(torch.tensor([0, 16]))
    with pytest.raises(ValueError, match="states"):
        env.predict(torch.zeros(2, 11))


def test_continuous_cartpole_matches_the_tabular_physics():
    from neuromop.envs import ContinuousCartpoleEnv
    from neuromop.mdp.worlds.cartpole import CartpoleParams, cartpole_step

    env = ContinuousCartpoleEnv(num_envs=4)
    states = env.initial_states(50, torch.Generator().manual_seed(0)) * 5
    states = states.clamp(-0.6, 0.6)
    nxt = env.predict(states)
    ref = np.stack([cartpole_step(states.double().numpy(), f, CartpoleParams())
                    for f in (-40.0, -10.0, 0.0, 10.0, 40.0)], axis=1)
    np.testing.assert_allclose(nxt.numpy(), ref, rtol=1e-4, atol=1e-5)
    assert env.is_terminal(torch.tensor([[0.62, 0, 0, 0], [0, 0, 0, -1.8], [0.6, 0, 0, 1.7]])
                           ).tolist() == [True, True, False]
