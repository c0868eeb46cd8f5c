"""Tests of neuromop.mdp.model.FiniteMDP: construction paths, validation, entropy, expectation."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from neuromop.mdp import FiniteMDP


def _chain_dense() -> np.ndarray:
    """3 states, 2 actions; state 2 terminal; action 1 of state 0 is a coin flip to 1 or 2."""
    P = np.zeros((3, 2, 3))
    P[0, 0, 1] = 1.0
    P[0, 1, 1] = 0.5
    P[0, 1, 2] = 0.5
    P[1, 0, 2] = 1.0
    P[2, 0, 2] = 1.0
    return P


def _valid_arrays() -> dict[str, np.ndarray]:
    mdp = FiniteMDP.from_dense(_chain_dense(), terminal=[False, False, True])
    return {
        "next_states": mdp.next_states.copy(),
        "probs": mdp.probs.copy(),
        "action_mask": mdp.action_mask.copy(),
        "terminal": mdp.terminal.copy(),
    }


def test_from_dense_sparse_layout():
    mdp = FiniteMDP.from_dense(_chain_dense(), terminal=[False, False, True], name="chain")
    assert (mdp.n_states, mdp.n_actions, mdp.max_successors) == (3, 2, 2)
    assert mdp.next_states.dtype == np.int64 and mdp.probs.dtype == np.float64
    np.testing.assert_array_equal(mdp.action_mask, [[True, True], [True, False], [True, False]])
    np.testing.assert_array_equal(mdp.next_states[0, 1], [1, 2])
    np.testing.assert_array_equal(mdp.next_states[1, 1], [0, 0])  # padding
    assert not mdp.is_deterministic
    assert "chain" in repr(mdp)


def test_successor_entropy_and_expectation():
    mdp = FiniteMDP.from_dense(_chain_dense(), terminal=[False, False, True])
    H = mdp.successor_entropy()
    np.testing.assert_allclose(H, [[0.0, np.log(2)], [0.0, 0.0], [0.0, 0.0]])
    assert not np.signbit(H).any()
    E = mdp.expectation(np.array([10.0, 1.0, 3.0]))
    np.testing.assert_allclose(E, [[1.0, 2.0], [3.0, 0.0], [3.0, 0.0]])


def test_expectation_matches_dense_product():
    rng = np.random.default_rng(0)
    P = rng.random((6, 3, 6)) * (rng.random((6, 3, 6)) < 0.5)
    P[:, :, 0] += 0.1
    P /= P.sum(-1, keepdims=True)
    mdp = FiniteMDP.from_dense(P)
    v = rng.normal(size=6)
    np.testing.assert_allclose(mdp.expectation(v), P @ v)
    H_ref = -np.sum(np.where(P > 0, P * np.log(np.where(P > 0, P, 1)), 0.0), axis=-1)
    np.testing.assert_allclose(mdp.successor_entropy(), H_ref)


def test_from_function_merges_duplicates_and_rewards():
    def transition(s, a):
        if s == 0 and a == 0:
            return [(1, 0.25), (1, 0.25), (2, 0.5)]
        if a == 0:
            return [(2, 1.0)]
        return None

    mdp = FiniteMDP.from_function(
        3, 2, transition, terminal=[2], reward=lambda s, a, s2: float(s2), action_labels=("go", "x")
    )
    np.testing.assert_array_equal(mdp.next_states[0, 0], [1, 2])
    np.testing.assert_allclose(mdp.probs[0, 0], [0.5, 0.5])
    np.testing.assert_allclose(mdp.successor_entropy()[0, 0], np.log(2))
    np.testing.assert_allclose(mdp.expected_reward()[0, 0], 1.5)
    assert mdp.terminal.tolist() == [False, False, True]
    assert mdp.action_mask[2].tolist() == [True, False]
    assert mdp.action_labels == ("go", "x")


def test_from_arrays_infers_mask_and_broadcasts_reward():
    ns = np.array([[[1], [0]], [[1], [1]]])
    p = np.array([[[1.0], [0.0]], [[1.0], [1.0]]])
    mdp = FiniteMDP.from_arrays(ns, p, reward=np.ones((2, 2)))
    np.testing.assert_array_equal(mdp.action_mask, [[True, False], [True, True]])
    assert mdp.reward.shape == (2, 2, 1)


def test_state_labels_multiindex():
    labels = pd.MultiIndex.from_product([[1], [1, 2, 3]], names=["x", "energy"])
    mdp = FiniteMDP.from_dense(_chain_dense(), terminal=[False, False, True], state_labels=labels)
    assert mdp.state_labels.names == ["x", "energy"]


# ---------------------------------------------------------------------- bad input
def _break(field, fn):
    arrays = _valid_arrays()
    arrays[field] = fn(arrays[field])
    return arrays


@pytest.mark.parametrize(
    ("arrays", "error", "match"),
    [
        (
            _break("probs", lambda p: p * np.where(np.arange(2) == 1, 0.9, 1.0)[None, :, None]),
            ValueError,
            r"probs\[0, 1\] sums to 0\.9, expected 1",
        ),
        (
            _break("next_states", lambda n: np.where(n == 2, 7, n)),
            ValueError,
            r"next_states\[0, 1, 1\] = 7 is out of range \[0, 3\)",
        ),
        (
            _break("action_mask", lambda m: np.where(np.arange(3)[:, None] == 1, False, m)),
            ValueError,
            r"probs\[1, 0\] sums to 1, expected 0 because action 0 is not admissible in state 1",
        ),
        (
            _break("next_states", lambda n: n.astype(float)),
            TypeError,
            r"next_states must be an integer array",
        ),
        (
            _break("probs", lambda p: np.where(p == 0.5, np.array([1.5, -0.5])[None, None, :], p)),
            ValueError,
            r"probs\[0, 1, 1\] = -0\.5 is negative",
        ),
        (
            _break("probs", lambda p: p[:, :, :1]),
            ValueError,
            r"probs must have the shape of next_states",
        ),
        (
            _break("terminal", lambda t: np.array([True, False, True])),
            ValueError,
            r"terminal state 0 is not absorbing: action 0 leaves it with probability 1",
        ),
        (
            _break("terminal", lambda t: t[:2]),
            ValueError,
            r"terminal must have shape \(S,\) = \(3,\)",
        ),
    ],
)
def test_invalid_arrays(arrays, error, match):
    with pytest.raises(error, match=match):
        FiniteMDP(**arrays)


def test_state_without_action():
    P = _chain_dense()
    P[1] = 0.0
    with pytest.raises(ValueError, match=r"non-terminal state 1 has no admissible action"):
        FiniteMDP.from_dense(P, terminal=[False, False, True])


def test_duplicate_successors_rejected_by_constructor():
    arrays = _valid_arrays()
    arrays["next_states"][0, 1] = [1, 1]
    with pytest.raises(ValueError, match=r"next_states\[0, 1\] lists successor 1 more than once"):
        FiniteMDP(**arrays)


@pytest.mark.parametrize(
    ("reward", "match"),
    [
        (np.zeros((3, 3)), r"reward must have shape \(S, A, K\) = \(3, 2, 2\) or \(S, A\)"),
        (np.full((3, 2), np.nan), r"reward must be finite"),
    ],
)
def test_bad_reward(reward, match):
    with pytest.raises(ValueError, match=match):
        FiniteMDP(**_valid_arrays(), reward=reward)


def test_from_function_errors():
    with pytest.raises(ValueError, match=r"transition\(0, 0\) returned no successors"):
        FiniteMDP.from_function(2, 1, lambda s, a: [])
    with pytest.raises(ValueError, match=r"transition\(0, 0\) gave successor 5"):
        FiniteMDP.from_function(2, 1, lambda s, a: [(5, 1.0)])
    with pytest.raises(TypeError, match=r"unknown keyword argument\(s\) \['colour'\]"):
        FiniteMDP.from_function(2, 1, lambda s, a: [(s, 1.0)], colour="red")


def test_bad_labels():
    with pytest.raises(ValueError, match=r"state_labels must have length S = 3"):
        FiniteMDP(**_valid_arrays(), state_labels=pd.Index([0, 1]))
    with pytest.raises(ValueError, match=r"action_labels must be 2 strings"):
        FiniteMDP(**_valid_arrays(), action_labels=("a",))


def test_expectation_shape_error():
    mdp = FiniteMDP(**_valid_arrays())
    with pytest.raises(ValueError, match=r"values must have shape \(S,\) = \(3,\)"):
        mdp.expectation(np.zeros(4))


@pytest.mark.parametrize("n_successors", [1, 3])
def test_make_random_mdp_is_valid_and_seeded(n_successors):
    from neuromop.mdp import make_random_mdp

    a = make_random_mdp(20, 4, n_successors, p_terminal=0.3, reward=True, random_state=3)
    b = make_random_mdp(20, 4, n_successors, p_terminal=0.3, reward=True, random_state=3)
    np.testing.assert_array_equal(a.probs, b.probs)
    assert a.terminal.any() and (a.action_mask.sum(1) >= 1).all()
    assert (a.action_mask[a.terminal].sum(1) == 1).all()


def test_make_random_mdp_rejects_bad_sizes():
    from neuromop.mdp import make_random_mdp

    with pytest.raises(ValueError, match="n_states must be >= 1"):
        make_random_mdp(0, 2, 1)
