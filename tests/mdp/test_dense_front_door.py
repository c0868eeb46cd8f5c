"""A user's own MDP through the dense front door (issue 16 item 4): a chain written as P[s, a, s']
with a terminal state solves in three lines; index lists, terminal states without self-loops,
float32 rows, the P[a, s, s'] layout and dense rewards are taken; MOP says it ignores rewards."""

from __future__ import annotations

import numpy as np
import pytest

from neuromop.mdp import FiniteMDP, policy_evaluation, solve_maxent, solve_mop, solve_reward


def _chain(n=5) -> np.ndarray:
    """Move right (action 0) or stay (action 1); the last state is where the walk ends."""
    P = np.zeros((n, 2, n))
    P[np.arange(n), 0, np.minimum(np.arange(n) + 1, n - 1)] = 1
    P[np.arange(n), 1, np.arange(n)] = 1
    return P


def test_a_chain_with_a_terminal_state_solves_in_three_lines():
    mdp = FiniteMDP.from_dense(_chain(), terminal=[4])
    result = solve_mop(mdp, gamma=0.9, tol=1e-12)
    # closed form: V(s) = ln(exp(gamma V(s+1)) + exp(gamma V(s))), V(4) = 0
    V = np.zeros(5)
    for s in (3, 2, 1, 0):  # V(s) = ln(e^{gV(s+1)} + e^{gV(s)}), solved for V(s) by iteration
        v = 0.0
        for _ in range(2000):
            v = np.logaddexp(0.9 * V[s + 1], 0.9 * v)
        V[s] = v
    np.testing.assert_allclose(result.V, V, atol=1e-9)


@pytest.mark.parametrize("terminal", [[4], np.array([4]), np.arange(5) == 4],
                         ids=["list", "int-array", "mask"])
def test_terminal_states_as_indices_or_a_mask(terminal):
    mdp = FiniteMDP.from_dense(_chain(), terminal=terminal)
    np.testing.assert_array_equal(mdp.terminal, np.arange(5) == 4)


@pytest.mark.parametrize("row", ["moves-on", "all-zero"])
def test_terminal_states_need_no_self_loops(row):
    P = _chain()
    P[4] = 0.0
    if row == "moves-on":
        P[4, :, 0] = 1.0  # written naturally: the episode would restart; terminal ends it
    mdp = FiniteMDP.from_dense(P, terminal=[4])
    np.testing.assert_array_equal(mdp.action_mask[4], [True, False])
    reference = FiniteMDP.from_dense(_chain(), terminal=[4])
    np.testing.assert_allclose(solve_mop(mdp).V, solve_mop(reference).V)


def test_float32_rows_renormalise_on_request_and_are_explained_otherwise():
    P = (_chain() * (1 + 3e-8)).astype(np.float64)  # rows a float32 rounding off 1
    with pytest.raises(ValueError, match=r"P\[0, 0\] sums to .* renormalize="):
        FiniteMDP.from_dense(P, terminal=[4])
    mdp = FiniteMDP.from_dense(P, terminal=[4], renormalize=1e-6)
    np.testing.assert_allclose(mdp.probs.sum(-1)[mdp.action_mask], 1.0, atol=1e-15)
    with pytest.raises(ValueError, match=r"P\[0, 0\] sums to 1.5"):
        FiniteMDP.from_dense(_chain() * 1.5, renormalize=1e-6)


def test_the_action_major_layout_is_explicit():
    P = _chain()
    with pytest.raises(ValueError, match="layout='ASS'"):
        FiniteMDP.from_dense(P.transpose(1, 0, 2), terminal=[4])
    by_action = FiniteMDP.from_dense(P.transpose(1, 0, 2), terminal=[4], layout="ASS")
    np.testing.assert_allclose(solve_mop(by_action).V,
                               solve_mop(FiniteMDP.from_dense(P, terminal=[4])).V)
    with pytest.raises(ValueError, match="layout must be one of"):
        FiniteMDP.from_dense(P, layout="SSA")


def test_a_dense_reward_goes_into_every_solver_as_from_dense_takes_it():
    P = _chain(6)
    R = np.zeros((6, 2, 6))
    R[:, 0, 5] = 1.0  # paid on reaching the end
    attached = FiniteMDP.from_dense(P, terminal=[5], reward=R)
    plain = FiniteMDP.from_dense(P, terminal=[5])
    assert plain.max_successors != plain.n_states
    by_array = solve_reward(plain, reward=R, gamma=0.9, tol=1e-12)
    np.testing.assert_allclose(by_array.V, solve_reward(attached, gamma=0.9, tol=1e-12).V)
    np.testing.assert_allclose(by_array.V[4], 1.0)  # one step from the paying move
    np.testing.assert_allclose(by_array.V[0], 0.9 ** 4)
    soft = solve_maxent(plain, reward=R, temperature=0.1, gamma=0.9, tol=1e-10)
    assert np.all(np.isfinite(soft.V))
    pe = policy_evaluation(plain, by_array.policy, R, 0.9)
    np.testing.assert_allclose(pe, by_array.V, atol=1e-9)


def test_mop_says_it_ignores_an_attached_reward():
    R = np.ones((5, 2))
    with pytest.warns(UserWarning, match="solve_mop ignores the reward"):
        solve_mop(FiniteMDP.from_dense(_chain(), terminal=[4], reward=R))
