"""Tests of the model-free learners: they converge to the exact solvers' fixed points."""

from __future__ import annotations

import numpy as np
import pytest

from neuromop.mdp import FiniteMDP, make_random_mdp, solve_mop, solve_reward
from neuromop.mdp.learning import MDPSampler, q_learning, soft_q_learning

STEPS = {"n_steps": 1500, "n_walkers": 512}


def random_mdp(seed: int, S: int, A: int, K: int, p_terminal: float, reward: bool) -> FiniteMDP:
    return make_random_mdp(S, A, K, p_terminal=p_terminal, reward=reward, random_state=seed)


def _max_q_error(learned, exact, mdp):
    m = mdp.action_mask
    return np.abs(learned.Q[m] - exact.Q[m]).max()


@pytest.mark.parametrize(
    ("seed", "K", "beta"), [(0, 2, 0.5), (1, 2, 0.0), (2, 1, 0.0), (3, 3, 1.0)]
)
def test_soft_q_learning_converges_to_solve_mop(seed, K, beta):
    mdp = random_mdp(seed, 6, 3, K, p_terminal=0.2, reward=False)
    exact = solve_mop(mdp, alpha=1.0, beta=beta, gamma=0.9, tol=1e-10)
    learned = soft_q_learning(mdp, alpha=1.0, beta=beta, gamma=0.9, random_state=seed, **STEPS)
    scale = np.abs(exact.Q[mdp.action_mask]).max()
    assert _max_q_error(learned, exact, mdp) < 0.01 * scale + 0.02
    np.testing.assert_allclose(learned.policy, exact.policy, atol=0.01)
    np.testing.assert_allclose(learned.policy.sum(axis=1), 1.0, atol=1e-12)
    assert learned.agent == "mop" and learned.params["method"] == "soft_q_learning"


@pytest.mark.parametrize(("seed", "epsilon"), [(0, 0.0), (1, 0.2), (4, 1.0)])
def test_q_learning_converges_to_solve_reward(seed, epsilon):
    mdp = random_mdp(seed, 6, 3, 2, p_terminal=0.2, reward=False)
    exact = solve_reward(mdp, epsilon=epsilon, gamma=0.9, tol=1e-10)
    learned = q_learning(mdp, epsilon=epsilon, gamma=0.9, random_state=seed, **STEPS)
    assert _max_q_error(learned, exact, mdp) < 0.05
    np.testing.assert_allclose(learned.V, exact.V, atol=0.05)


def test_q_learning_extrinsic_reward():
    mdp = random_mdp(5, 6, 3, 2, p_terminal=0.2, reward=True)
    exact = solve_reward(mdp, reward=mdp.reward, gamma=0.9, tol=1e-10)
    learned = q_learning(mdp, reward=None, gamma=0.9, random_state=0, **STEPS)
    assert _max_q_error(learned, exact, mdp) < 0.1


def test_on_policy_behaviour_converges():
    mdp = random_mdp(6, 6, 3, 2, p_terminal=0.2, reward=False)
    exact = solve_mop(mdp, alpha=0.5, gamma=0.8, tol=1e-10)
    learned = soft_q_learning(mdp, alpha=0.5, gamma=0.8, behavior="policy", random_state=1, **STEPS)
    assert _max_q_error(learned, exact, mdp) < 0.05


def test_custom_sampler_and_seed():
    mdp = random_mdp(7, 5, 2, 2, p_terminal=0.2, reward=False)

    class Counting(MDPSampler):
        calls = 0

        def sample(self, states, actions, rng):
            Counting.calls += 1
            return super().sample(states, actions, rng)

    a = soft_q_learning(Counting(mdp), n_steps=50, random_state=3)
    b = soft_q_learning(mdp, n_steps=50, random_state=3)
    assert Counting.calls == 50
    np.testing.assert_array_equal(a.Q, b.Q)


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"gamma": 1.0}, ValueError, r"gamma must be < 1.0, got 1.0"),
        ({"learning_rate": 0.0}, ValueError, r"learning_rate must be > 0.0"),
        ({"n_walkers": 0}, ValueError, r"n_walkers must be >= 1"),
        ({"alpha": 0}, ValueError, r"alpha must be > 0.0"),
        ({"behavior": "greedy"}, ValueError, r"behavior must be one of \['uniform', 'policy'\]"),
    ],
)
def test_bad_arguments(kwargs, error, match):
    with pytest.raises(error, match=match):
        soft_q_learning(random_mdp(0, 4, 2, 1, 0.2, False), n_steps=5, **kwargs)


def test_bad_sampler():
    with pytest.raises(
        TypeError, match=r"lacks \['n_actions', 'action_mask', 'terminal', 'sample'\]"
    ):
        q_learning(type("S", (), {"n_states": 3})())


@pytest.mark.parametrize("states, actions, match", [
    ([-1], [0], "states must be in"),
    ([0], [99], "actions must be in"),
])
def test_sampler_refuses_indices_out_of_range(states, actions, match):
    from neuromop.mdp import MDPSampler, make_random_mdp

    sampler = MDPSampler(make_random_mdp(4, 2, 2, random_state=0))
    with pytest.raises(ValueError, match=match):
        sampler.sample(np.array(states), np.array(actions), np.random.default_rng(0))
