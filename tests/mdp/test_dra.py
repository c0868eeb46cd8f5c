"""Tests of the DRA agent: memory precision goes where it matters, returns improve."""

from __future__ import annotations

import numpy as np
import pytest

from neuromop.mdp import FiniteMDP
from neuromop.mdp.dra import DRAAgent

SIGMA_BASE = 5.0


def two_stage_task() -> FiniteMDP:
    """State 0 chooses state 1 (a0) or 2 (a1). In state 1, a0 pays 10 and a1 pays 0 (the choice
    matters); in state 2 both actions pay 5 (the choice is irrelevant). State 3 is terminal."""

    def transition(s, a):
        if s == 0:
            return [(1 if a == 0 else 2, 1.0)]
        return [(3, 1.0)]

    def reward(s, a, s2):
        return {1: 10.0 if a == 0 else 0.0, 2: 5.0}.get(s, 0.0)

    return FiniteMDP.from_function(4, 2, transition, terminal=[3], reward=reward)


@pytest.fixture(scope="module", params=[("A", 0), ("A", 1), ("Q", 2), ("R", 3)])
def fitted(request):
    gradient, seed = request.param
    agent = DRAAgent(
        learning_rate=0.1,
        sigma_learning_rate=0.1,
        lambda_=0.2,
        beta=1.0,
        sigma_base=SIGMA_BASE,
        gradient=gradient,
        n_trajectories=10,
        random_state=seed,
    )
    return agent.fit(two_stage_task(), n_episodes=500, max_steps=10, start=0)


def test_memory_goes_to_states_that_matter(fitted):
    sigma = fitted.q_std_
    assert sigma[1].mean() < 0.7 * SIGMA_BASE  # the choice that matters is stored precisely
    assert sigma[0].mean() < 0.8 * SIGMA_BASE
    np.testing.assert_allclose(sigma[2], SIGMA_BASE, rtol=0.1)  # irrelevant: stays at base
    assert sigma[3, 0] == 0.0 and np.isnan(sigma[3, 1])


def test_values_and_policy(fitted):
    np.testing.assert_allclose(fitted.q_mean_[1], [10.0, 0.0], atol=0.5)
    assert fitted.q_mean_[0, 0] > fitted.q_mean_[0, 1]
    np.testing.assert_allclose(fitted.policy_.sum(axis=1), 1.0, atol=1e-12)
    assert fitted.policy_[3, 1] == 0.0
    assert fitted.policy_[1, 0] > 0.9
    assert np.all(fitted.action_entropy() >= 0)


def test_to_result_for_rollouts(fitted):
    res = fitted.to_result()
    assert res.agent == "dra" and res.policy is not fitted.policy_
    np.testing.assert_array_equal(res.policy, fitted.policy)
    expected_v0 = np.dot(fitted.policy_[0], fitted.q_mean_[0])
    np.testing.assert_allclose(res.V[0], expected_v0)
    assert res.V[3] == 0.0


def test_returns_improve(fitted):
    assert fitted.returns_.shape == (500,)
    assert fitted.returns_[-100:].mean() > fitted.returns_[:100].mean() + 1.0
    assert fitted.returns_[-100:].mean() > 9.0
    assert fitted.cost_.shape == (500,) and np.all(fitted.cost_ >= 0)


def test_reproducible_with_seed():
    a = DRAAgent(random_state=7).fit(two_stage_task(), n_episodes=20, max_steps=5)
    b = DRAAgent(random_state=7).fit(two_stage_task(), n_episodes=20, max_steps=5)
    np.testing.assert_array_equal(a.q_std_, b.q_std_)
    np.testing.assert_array_equal(a.returns_, b.returns_)


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"learning_rate": 0.0}, ValueError, r"learning_rate must be > 0.0"),
        ({"beta": -1.0}, ValueError, r"beta must be > 0.0"),
        ({"lambda_": -0.1}, ValueError, r"lambda_ must be >= 0.0"),
        ({"sigma_base": 0}, ValueError, r"sigma_base must be > 0.0"),
        ({"gradient": "B"}, ValueError, r"gradient must be one of \['A', 'Q', 'R'\]"),
        ({"n_trajectories": 0}, ValueError, r"n_trajectories must be >= 1"),
    ],
)
def test_bad_parameters(kwargs, error, match):
    with pytest.raises(error, match=match):
        DRAAgent(**kwargs).fit(two_stage_task(), n_episodes=1)


def test_bad_fit_arguments():
    with pytest.raises(TypeError, match=r"mdp must be a neuromop.mdp.FiniteMDP"):
        DRAAgent().fit(np.zeros((2, 2)))
    with pytest.raises(ValueError, match=r"start states must be in \[0, 4\)"):
        DRAAgent().fit(two_stage_task(), n_episodes=1, start=9)
    with pytest.raises(RuntimeError, match=r"not fitted"):
        DRAAgent().expected_policy()
