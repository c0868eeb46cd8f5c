"""Value signals: closed forms, the soft/true identity, and a slow reference for MDP values."""

from __future__ import annotations

import math

import numpy as np
import pytest

from neuromop.values.signals import (
    bandit_values,
    mdp_values,
    policy_entropy,
    soft_value,
    softmax_policy,
    two_offer_values,
)


@pytest.mark.parametrize("tau", [0.05, 0.5, 3.0])
def test_soft_value_matches_explicit_sum(tau):
    q = np.array([[1.0, 2.0, -0.5], [0.0, 0.0, 0.0]])
    ref = [tau * math.log(sum(math.exp(v / tau) for v in row)) for row in q]
    np.testing.assert_allclose(soft_value(q, tau), ref, rtol=1e-12)


def test_soft_value_tends_to_max_and_inadmissible_actions_get_zero_probability():
    q = np.array([[1.0, 3.0, -np.inf]])
    assert soft_value(q, 1e-4)[0] == pytest.approx(3.0, abs=1e-6)
    pi = softmax_policy(q, 1.0)
    assert pi[0, 2] == 0.0
    assert pi.sum() == pytest.approx(1.0)


@pytest.mark.parametrize("tau", [0.3, 1.0, 2.5])
def test_soft_equals_true_plus_temperature_times_entropy(tau):
    rng = np.random.default_rng(0)
    qa, qb = rng.integers(0, 6, 50), rng.integers(0, 11, 50)
    ds = two_offer_values(qa, qb, rho=2.0, temperature=tau)
    np.testing.assert_allclose(ds["value_soft"], ds["value_true"] + tau * ds["policy_entropy"],
                               rtol=1e-10)
    assert np.all(ds["value_soft"] >= ds["value_max"] - 1e-12)
    assert np.all(ds["value_true"] <= ds["value_max"] + 1e-12)
    np.testing.assert_allclose(ds["offer_value_A"], 2.0 * qa)


def test_two_offer_policy_is_logistic_in_value_difference():
    ds = two_offer_values([1.0], [3.0], rho=2.5, temperature=0.5)
    pb = 1.0 / (1.0 + math.exp(-(3.0 - 2.5) / 0.5))
    assert float(ds["policy"][0, 1]) == pytest.approx(pb, rel=1e-12)
    assert float(ds["policy_entropy"][0]) == pytest.approx(
        -(pb * math.log(pb) + (1 - pb) * math.log(1 - pb)), rel=1e-12)


def test_bandit_chosen_value_and_coordinates():
    q = np.array([[0.1, 0.9], [0.5, 0.2]])
    ds = bandit_values(q, 0.2, chosen=[1, 1], trial=[10, 11])
    np.testing.assert_allclose(ds["value_chosen"], [0.9, 0.2])
    assert list(ds["trial"].values) == [10, 11]
    assert ds.attrs["created_by"].endswith("bandit_values")


def test_policy_entropy_uniform():
    assert policy_entropy(np.full((1, 4), 0.25))[0] == pytest.approx(math.log(4))


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"offer_a": [1, 2], "offer_b": [1], "rho": 1.0, "temperature": 1.0},
         ValueError, "same shape"),
        ({"offer_a": [1], "offer_b": [1], "rho": -1.0, "temperature": 1.0}, ValueError, "rho"),
        ({"offer_a": [1], "offer_b": [1], "rho": 1.0, "temperature": 0.0},
         ValueError, "temperature"),
        ({"offer_a": [-1], "offer_b": [1], "rho": 1.0, "temperature": 1.0},
         ValueError, "non-negative"),
        ({"offer_a": [1], "offer_b": [1], "rho": 1.0, "temperature": 1.0, "chosen": [2]},
         ValueError, "chosen"),
    ],
)
def test_two_offer_values_rejects_bad_input(kwargs, error, match):
    qa, qb = kwargs.pop("offer_a"), kwargs.pop("offer_b")
    with pytest.raises(error, match=match):
        two_offer_values(qa, qb, **kwargs)


def test_soft_value_rejects_all_inadmissible_row():
    with pytest.raises(ValueError, match="every action is -inf"):
        soft_value([[-np.inf, -np.inf]], 1.0)


def _chain_mdp():
    from neuromop.mdp.model import FiniteMDP

    # 3 states, 2 actions: "left"/"right" on a chain, state 2 rewarding; deterministic moves
    S, A = 3, 2
    P = np.zeros((S, A, S))
    for s in range(S):
        P[s, 0, max(s - 1, 0)] = 1.0
        P[s, 1, min(s + 1, S - 1)] = 1.0
    R = np.zeros((S, A))
    R[2, :] = 1.0
    return FiniteMDP.from_dense(P, reward=R), P, R


def _slow_maxent(P, R, tau, gamma, n_iter=3000):
    S, A, _ = P.shape
    V = np.zeros(S)
    for _ in range(n_iter):
        Q = np.array([[R[s, a] + gamma * sum(P[s, a, t] * V[t] for t in range(S))
                       for a in range(A)] for s in range(S)])
        V = np.array([tau * math.log(sum(math.exp(Q[s, a] / tau) for a in range(A)))
                      for s in range(S)])
    pi = np.exp((Q - V[:, None]) / tau)
    Pp = np.einsum("sa,sat->st", pi, P)
    v_true = np.linalg.solve(np.eye(S) - gamma * Pp, (pi * R).sum(axis=1))
    return V, v_true


def test_mdp_values_match_slow_soft_value_iteration():
    pytest.importorskip("neuromop.mdp.solvers")
    mdp, P, R = _chain_mdp()
    tau, gamma = 0.5, 0.9
    ds = mdp_values(mdp, np.array([0, 1, 2, 2]), temperature=tau, gamma=gamma,
                    actions=np.array([1, 1, 0, 1]))
    V, v_true = _slow_maxent(P, R, tau, gamma)
    np.testing.assert_allclose(ds["value_soft"], V[[0, 1, 2, 2]], atol=1e-4)
    np.testing.assert_allclose(ds["value_true"], v_true[[0, 1, 2, 2]], atol=1e-4)
    assert np.all(ds["value_opt"].values >= ds["value_true"].values - 1e-6)
    assert np.all(ds["value_soft"].values >= ds["value_true"].values)


def test_dra_values_memory_signals():
    pytest.importorskip("neuromop.mdp.dra")
    from neuromop.mdp.dra import DRAAgent
    from neuromop.values.signals import dra_values

    mdp, P, R = _chain_mdp()
    agent = DRAAgent(beta=2.0, gamma=0.9, n_trajectories=2, n_policy_samples=50,
                     random_state=0).fit(mdp, n_episodes=20, max_steps=20)
    states = np.array([0, 1, 2])
    ds = dra_values(agent, mdp, states, actions=np.array([1, 1, 0]))
    np.testing.assert_allclose(ds["memory_mean"], agent.q_mean_[states])
    np.testing.assert_allclose(ds["memory_precision"], 1.0 / agent.q_std_[states] ** 2)
    ref = [0.5 * math.log(sum(math.exp(2.0 * q) for q in agent.q_mean_[s])) for s in states]
    np.testing.assert_allclose(ds["value_soft"], ref, rtol=1e-10)
    np.testing.assert_allclose(ds["value_chosen"], agent.q_mean_[states, [1, 1, 0]])


def test_dra_values_needs_fitted_agent():
    pytest.importorskip("neuromop.mdp.dra")
    from neuromop.mdp.dra import DRAAgent
    from neuromop.values.signals import dra_values

    mdp, _, _ = _chain_mdp()
    with pytest.raises(ValueError, match="fitted"):
        dra_values(DRAAgent(), mdp, np.array([0]))
