"""Controllers: Bellman targets and policies against brute-force computations."""

from __future__ import annotations

import math

import pytest
import torch

from neuromop.control import (
    FreeController,
    NeuroMOPController,
    RandomController,
    RewardController,
    ValueNetwork,
)
from neuromop.control.fvi import sample_actions
from neuromop.envs import EnergyBudget, InnerSquareReward, RateRNNEnv, SquareBox


def _env(noise_std: float = 0.0, location: str = "state") -> RateRNNEnv:
    task = SquareBox((0, 1), 0.45) | InnerSquareReward((0, 1), 0.2, mu=1.0)
    return RateRNNEnv(6, num_envs=8, n_candidates=4, action_scale=1.5, noise_std=noise_std,
                      noise_location=location, entropy_resolution=1e-3, terminal=task,
                      init_std=0.3, random_state=4)


def _reference_entropy(env, state, k):
    """Entropy of the discretised next state, written unit by unit (float64)."""
    x = state[:env.n_neurons].double().numpy()
    h = env.W.double().numpy() @ x + env.currents[k].double().numpy()
    a = env.dt / env.tau
    total = 0.0
    for i in range(env.n_neurons):
        std = (env.noise_std * math.sqrt(a) if env.noise_location == "state"
               else a * env.noise_std * (1 - math.tanh(h[i]) ** 2))
        total += 0.5 * math.log(2 * math.pi * math.e * std**2) - math.log(1e-3)
    return total


def _brute_force_successors(ctrl, states):
    """(B, K) successor values (0 if terminal) and rewards, one state and action at a time."""
    env, net = ctrl.env, ctrl.value_net_
    vals = torch.zeros(states.shape[0], env.n_candidates)
    rews = torch.zeros_like(vals)
    terms = torch.zeros_like(vals, dtype=torch.bool)
    for b in range(states.shape[0]):
        for k in range(env.n_candidates):
            nxt = env.predict(states[b:b + 1], torch.tensor([k]))
            terms[b, k] = bool(env.is_terminal(nxt)[0])
            with torch.no_grad():
                vals[b, k] = 0.0 if terms[b, k] else float(net(nxt)[0])
            rews[b, k] = float(env.extrinsic_reward(nxt)[0])
    return vals, rews, terms


def _states(env, n=12):
    states = env.initial_states(n, torch.Generator().manual_seed(1))
    states[:3, 0] = 0.44  # near the wall: some successors are terminal
    return states


@pytest.mark.parametrize(("alpha", "beta", "mu", "noise", "location"),
                         [(1.0, 0.0, 0.0, 0.0, "state"), (0.5, 0.0, 2.0, 0.0, "state"),
                          (2.0, 0.3, 0.5, 0.2, "state"), (1.0, 0.05, 0.0, 0.3, "input")])
def test_mop_target_and_policy_match_brute_force(alpha, beta, mu, noise, location):
    env = _env(noise, location)
    ctrl = NeuroMOPController(env, hidden=(16,), gamma=0.8, alpha=alpha, beta=beta, mu=mu,
                              random_state=2)
    states = _states(env)
    vals, rews, terms = _brute_force_successors(ctrl, states)
    assert terms.any() and (~terms).any()
    for b in range(states.shape[0]):
        h = [_reference_entropy(env, states[b], k) if noise else 0.0
             for k in range(env.n_candidates)]
        terms_b = [math.exp((0.8 * float(vals[b, k]) + beta * h[k] + mu * float(rews[b, k]))
                            / alpha) for k in range(env.n_candidates)]
        expected = alpha * math.log(sum(terms_b))
        assert float(ctrl.bellman_target(states[b:b + 1])[0]) == pytest.approx(expected, rel=1e-5)
        probs = ctrl.action_probabilities(states[b:b + 1])[0]
        w = torch.tensor(terms_b)
        torch.testing.assert_close(probs, w / w.sum(), rtol=1e-5, atol=1e-6)


def test_all_terminal_successors_give_log_k():
    env = _env()
    ctrl = NeuroMOPController(env, hidden=(8,), gamma=0.9, random_state=0)
    states = _states(env, 2)
    states[:, 0] = 5.0  # far outside: every successor stays outside the square
    assert env.is_terminal(env.predict(states)).all()
    torch.testing.assert_close(ctrl.bellman_target(states), torch.full((2,), math.log(4)))


@pytest.mark.parametrize("epsilon", [0.0, 0.1, 1.0])
def test_reward_target_and_epsilon_greedy_policy(epsilon):
    env = _env()
    ctrl = RewardController(env, epsilon=epsilon, hidden=(16,), gamma=0.7, random_state=3)
    states = _states(env)
    vals, _, terms = _brute_force_successors(ctrl, states)
    q = torch.where(terms, torch.zeros_like(vals), 1 + 0.7 * vals)
    expected = (1 - epsilon) * q.max(dim=1).values + epsilon * q.mean(dim=1)
    torch.testing.assert_close(ctrl.bellman_target(states), expected, rtol=1e-5, atol=1e-5)
    probs = ctrl.action_probabilities(states)
    greedy = q.argmax(dim=1)
    torch.testing.assert_close(probs[torch.arange(len(states)), greedy],
                               torch.full((len(states),), 1 - epsilon + epsilon / 4))
    torch.testing.assert_close(probs.sum(dim=1), torch.ones(len(states)))


def test_free_and_random_controllers():
    env = _env()
    states = _states(env, 5)
    free = FreeController(env)
    assert free.act(states).tolist() == [0] * 5
    torch.testing.assert_close(RandomController(env).action_probabilities(states),
                               torch.full((5, 4), 0.25))
    no_zero = RateRNNEnv(4, candidate_actions=torch.ones(3, 4), random_state=0)
    with pytest.raises(ValueError, match="zero action"):
        FreeController(no_zero)


def test_sample_actions_frequencies():
    probs = torch.tensor([[0.1, 0.6, 0.3]]).expand(40000, -1)
    idx = sample_actions(probs, torch.Generator().manual_seed(0))
    freq = torch.bincount(idx, minlength=3).float() / 40000
    torch.testing.assert_close(freq, probs[0], atol=0.01, rtol=0)


def test_value_network_init_ignores_global_rng():
    torch.manual_seed(1)
    a = ValueNetwork(5, (7,), random_state=3)
    torch.manual_seed(2)
    b = ValueNetwork(5, (7,), random_state=3)
    for pa, pb in zip(a.parameters(), b.parameters()):
        assert torch.equal(pa, pb)


def test_optimistic_initial_value():
    env = RateRNNEnv(5, num_envs=2, terminal=EnergyBudget(0.2), n_candidates=8, random_state=0)
    ctrl = NeuroMOPController(env, hidden=(4,), gamma=0.9)
    states = env.initial_states(3, torch.Generator().manual_seed(0))
    values = ctrl.value(states)
    # V starts near ln K / (1 - gamma), the value of a never-terminating agent
    assert torch.allclose(values, torch.full((3,), math.log(8) / 0.1), rtol=0.5)


@pytest.mark.parametrize("cls", [NeuroMOPController, RewardController])
def test_initial_value_is_exact_everywhere(cls):
    env = _env()
    ctrl = cls(env, hidden=(4,), gamma=0.9, initial_value=2.5)
    torch.testing.assert_close(ctrl.value(_states(env)), torch.full((12,), 2.5))


def test_uninformed_mop_start_is_the_random_controller():
    env = _env()
    states = _states(env)
    _, _, terminal = _brute_force_successors(NeuroMOPController(env, hidden=(4,)), states)
    assert terminal.any()  # some successors are terminal, yet all actions are equally likely
    probs = NeuroMOPController(env, hidden=(4,), initial_value=0.0).action_probabilities(states)
    torch.testing.assert_close(probs, RandomController(env).action_probabilities(states))


@pytest.mark.parametrize(
    ("kwargs", "error"),
    [({"gamma": 1.0}, ValueError), ({"initial_value": float("nan")}, ValueError),
     ({"alpha": 0.0}, ValueError), ({"beta": -1.0}, ValueError),
     ({"optimizer": "lbfgs"}, ValueError), ({"hidden": (0,)}, ValueError)],
)
def test_bad_controller_arguments(kwargs, error):
    with pytest.raises(error):
        NeuroMOPController(_env(), **kwargs)


def test_env_type_checked():
    with pytest.raises(TypeError, match="env"):
        NeuroMOPController("env")


def test_input_noise_entropy_matches_empirical_spread():
    env = RateRNNEnv(5, num_envs=1, n_candidates=3, noise_std=0.02, noise_location="input",
                     g=3.0, init_std=1.0, random_state=1)
    state = env.initial_states(1, torch.Generator().manual_seed(2))
    many = state.expand(20000, -1)
    idx = torch.full((20000,), 2)
    samples = env.predict(many, idx, generator=torch.Generator().manual_seed(0))
    std = samples.std(dim=0)
    h = state @ env.W.T + env.currents[2]
    expected = env.dt / env.tau * 0.02 * (1 - torch.tanh(h[0]) ** 2)
    torch.testing.assert_close(std, expected, rtol=0.05, atol=0)
    ent = env.transition_entropy(state)[0, 2]
    gauss = 0.5 * torch.log(2 * math.pi * math.e * expected.double() ** 2).sum()
    assert float(ent) == pytest.approx(float(gauss), rel=1e-4)
    # saturated units carry less noise: entropy is below the unsaturated maximum
    assert float(ent) < env.noise_entropy


def test_building_controllers_leaves_the_global_torch_rng_alone():
    from neuromop.control import RewardController, SoftQController

    env = RateRNNEnv(5, num_envs=2, terminal=EnergyBudget(0.2), n_candidates=8, random_state=0)
    before = torch.random.get_rng_state()
    NeuroMOPController(env, hidden=(8, 8))
    RewardController(env, hidden=(8,))
    SoftQController(4, torch.zeros(3, 2).numpy(), hidden=(8,))
    assert torch.equal(torch.random.get_rng_state(), before)
