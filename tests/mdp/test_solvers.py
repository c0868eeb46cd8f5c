"""Tests of neuromop.mdp.solvers against closed forms and a slow loop/dict reference."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from neuromop.mdp import FiniteMDP, make_random_mdp
from neuromop.mdp.solvers import (
    ConvergenceWarning,
    policy_evaluation,
    solve_maxent,
    solve_mop,
    solve_reward,
)


# ---------------------------------------------------------------------- worlds
def one_step_world(n_actions: np.ndarray, stochastic: bool = False, seed: int = 0) -> FiniteMDP:
    """States 0..n-1 whose every action ends in one of 3 terminal states (n, n+1, n+2)."""
    rng = np.random.default_rng(seed)
    n, A = len(n_actions), int(max(n_actions))
    S = n + 3
    P = np.zeros((S, A, S))
    for s, k in enumerate(n_actions):
        for a in range(k):
            if stochastic:
                P[s, a, n:] = rng.dirichlet(np.ones(3))
            else:
                P[s, a, n + rng.integers(3)] = 1.0
    P[n:, 0, :] = np.eye(S)[n:]
    return FiniteMDP.from_dense(P, terminal=np.arange(S) >= n)


def regular_world(S: int, A: int, K: int, seed: int = 0, noise: float = 0.0) -> FiniteMDP:
    """No terminal states; every state has A actions, each with K successors."""
    rng = np.random.default_rng(seed)
    ns = np.stack([rng.permutation(S)[:K] for _ in range(S * A)]).reshape(S, A, K)
    p = np.full((S, A, K), 1.0 / K)
    if noise:
        p = rng.dirichlet(np.ones(K), size=(S, A))
    return FiniteMDP(ns, p, np.ones((S, A), bool), np.zeros(S, bool))


def random_tree(branching: list[int], seed: int = 0) -> tuple[FiniteMDP, int]:
    """Deterministic tree: level i has the given branching (random per node); leaves terminal."""
    rng = np.random.default_rng(seed)
    children: list[list[int]] = [[]]
    frontier = [0]
    for b in branching:
        nxt = []
        for node in frontier:
            for _ in range(int(rng.integers(1, b + 1))):
                children.append([])
                children[node].append(len(children) - 1)
                nxt.append(len(children) - 1)
        frontier = nxt
    S, A = len(children), max(branching)
    leaves = [not c for c in children]

    def transition(s, a):
        if a < len(children[s]):
            return [(children[s][a], 1.0)]
        return None

    def n_paths(s):
        return 1 if leaves[s] else sum(n_paths(c) for c in children[s])

    return FiniteMDP.from_function(S, A, transition, terminal=np.array(leaves)), n_paths(0)


def random_mdp(seed: int, S: int, A: int, K: int, p_terminal: float, reward: bool) -> FiniteMDP:
    return make_random_mdp(S, A, K, p_terminal=p_terminal, reward=reward, random_state=seed)


# ---------------------------------------------------------------------- slow reference
def _table(mdp):
    out = {}
    for s in range(mdp.n_states):
        for a in range(mdp.n_actions):
            if mdp.action_mask[s, a]:
                out[(s, a)] = [
                    (
                        int(mdp.next_states[s, a, k]),
                        float(mdp.probs[s, a, k]),
                        0.0 if mdp.reward is None else float(mdp.reward[s, a, k]),
                    )
                    for k in range(mdp.max_successors)
                    if mdp.probs[s, a, k] > 0
                ]
    return out


def reference_solve(
    mdp, kind, gamma, tol, alpha=1.0, beta=0.0, epsilon=0.0, tau=1.0, max_sweeps=100_000
):
    """Plain-Python value iteration (dicts, math.log/exp) used as ground truth."""
    table = _table(mdp)
    V = [0.0] * mdp.n_states
    for sweep in range(1, max_sweeps + 1):
        new = []
        for s in range(mdp.n_states):
            if mdp.terminal[s]:
                new.append(0.0)
                continue
            qs = []
            for a in range(mdp.n_actions):
                if (s, a) not in table:
                    continue
                succ = table[(s, a)]
                ev = sum(p * V[s2] for s2, p, _ in succ)
                if kind == "mop":
                    h = -sum(p * math.log(p) for _, p, _ in succ)
                    qs.append(beta * h + gamma * ev)
                elif kind == "reward":
                    qs.append(1.0 + gamma * ev)
                else:
                    qs.append(sum(p * r for _, p, r in succ) + gamma * ev)
            if kind == "reward":
                new.append((1 - epsilon) * max(qs) + epsilon * sum(qs) / len(qs))
            else:
                scale = alpha if kind == "mop" else tau
                m = max(q / scale for q in qs)
                new.append(scale * (m + math.log(sum(math.exp(q / scale - m) for q in qs))))
        delta = max(abs(x - y) for x, y in zip(new, V))
        V = new
        if delta < tol or sweep == max_sweeps:
            return np.array(V), sweep
    raise AssertionError("unreachable")


# ---------------------------------------------------------------------- MOP closed forms
@pytest.mark.parametrize("alpha", [0.1, 1.0, 3.0])
@pytest.mark.parametrize("gamma", [0.0, 0.5, 0.99])
@pytest.mark.parametrize("n_actions", [[1, 2, 3], [9, 4, 7, 1, 5]])
def test_all_successors_terminal(alpha, gamma, n_actions):
    mdp = one_step_world(np.array(n_actions))
    res = solve_mop(mdp, alpha=alpha, gamma=gamma)
    n = len(n_actions)
    np.testing.assert_allclose(res.V[:n], alpha * np.log(n_actions), rtol=1e-12, atol=1e-12)
    assert np.all(res.V[n:] == 0.0)
    np.testing.assert_allclose(res.action_entropy()[:n], np.log(n_actions), atol=1e-12)
    assert res.converged


@pytest.mark.parametrize("alpha", [0.5, 1.0, 2.0])
@pytest.mark.parametrize("beta", [0.0, 0.3, 2.0])
def test_one_step_stochastic_closed_form(alpha, beta):
    n_actions = np.array([2, 3, 4])
    mdp = one_step_world(n_actions, stochastic=True, seed=3)
    res = solve_mop(mdp, alpha=alpha, beta=beta, gamma=0.9)
    H = mdp.successor_entropy()
    expected = [
        alpha * np.log(np.sum(np.exp(beta * H[s, :k] / alpha))) for s, k in enumerate(n_actions)
    ]
    np.testing.assert_allclose(res.V[:3], expected, rtol=1e-12)


@pytest.mark.parametrize("alpha", [0.3, 1.0])
@pytest.mark.parametrize("gamma", [0.5, 0.9, 0.99])
@pytest.mark.parametrize(("S", "A", "K"), [(5, 2, 1), (40, 9, 1), (30, 4, 3)])
def test_no_terminal_constant_actions(alpha, gamma, S, A, K):
    tol = 1e-3
    mdp = regular_world(S, A, K)
    res = solve_mop(mdp, alpha=alpha, gamma=gamma, tol=tol)
    np.testing.assert_allclose(res.V, alpha * np.log(A) / (1 - gamma), atol=tol / (1 - gamma))
    np.testing.assert_allclose(res.policy, 1.0 / A, atol=1e-12)


@pytest.mark.parametrize("beta", [0.2, 1.0])
def test_no_terminal_constant_entropy(beta):
    mdp = regular_world(12, 3, 4)  # uniform over 4 successors: H = ln 4 everywhere
    res = solve_mop(mdp, alpha=1.0, beta=beta, gamma=0.9, tol=1e-6)
    np.testing.assert_allclose(res.V, (np.log(3) + beta * np.log(4)) / 0.1, atol=1e-5)


@pytest.mark.parametrize("alpha", [1.0, 0.5])
@pytest.mark.parametrize(("branching", "seed"), [([3, 2, 4], 0), ([2, 2, 2, 2, 2], 1), ([9, 5], 2)])
def test_tree_gamma_one_counts_paths(alpha, branching, seed):
    mdp, n_paths = random_tree(branching, seed)
    res = solve_mop(mdp, alpha=alpha, gamma=1.0, tol=1e-12)
    np.testing.assert_allclose(res.V[0], alpha * np.log(n_paths), rtol=1e-12)
    assert res.converged and res.sweeps == len(branching) + 1


def test_gamma_one_without_terminal_is_refused_before_any_sweep():
    with pytest.raises(ValueError, match=r"gamma=1 makes the MOP values infinite: 4 non-termin"):
        solve_mop(regular_world(4, 2, 1), gamma=1.0)


def test_gamma_one_refuses_a_world_the_reward_agent_can_live_in_forever():
    with pytest.raises(ValueError, match=r"gamma=1 makes the reward values infinite"):
        solve_reward(regular_world(4, 2, 1), gamma=1.0)


def _stay_or_leave(p_stay: float) -> FiniteMDP:
    """State 0: action 0 stays with probability p_stay (else dies), action 1 dies; 1 terminal."""
    P = np.zeros((2, 2, 2))
    P[0, 0] = [p_stay, 1 - p_stay]
    P[0, 1] = [0.0, 1.0]
    P[1, :, 1] = 1.0
    return FiniteMDP.from_dense(P, terminal=np.array([False, True]))


def test_gamma_one_accepts_worlds_where_every_path_ends():
    # one forced action that survives with probability 1/2: V = 1 / (1 - 1/2) = 2 alive steps
    res = solve_reward(_stay_or_leave(0.5), gamma=1.0, tol=1e-12)
    np.testing.assert_allclose(res.V, [2.0, 0.0], atol=1e-9)


def test_gamma_one_refuses_a_sure_stay_action_but_not_for_an_exploring_reward_agent():
    with pytest.raises(ValueError, match=r"MOP values infinite: 1 non-terminal state"):
        solve_mop(_stay_or_leave(1.0), gamma=1.0)
    with pytest.raises(ValueError, match=r"reward values infinite"):
        solve_reward(_stay_or_leave(1.0), gamma=1.0, epsilon=0.0)
    # epsilon-greedy tries the dying action with probability epsilon/2 at every step
    res = solve_reward(_stay_or_leave(1.0), gamma=1.0, epsilon=0.5, tol=1e-12)
    np.testing.assert_allclose(res.V[0], 4.0, atol=1e-9)


def test_not_converged_warns():
    with pytest.warns(ConvergenceWarning, match=r"did not converge within max_sweeps=3"):
        res = solve_mop(regular_world(4, 2, 1), gamma=0.99, max_sweeps=3)
    assert not res.converged and res.sweeps == 3


@pytest.mark.parametrize("beta", [0.0, 0.5, 5.0])
def test_beta_irrelevant_when_deterministic(beta):
    mdp = random_mdp(7, S=30, A=4, K=1, p_terminal=0.1, reward=False)
    ref = solve_mop(mdp, beta=0.0, gamma=0.95)
    res = solve_mop(mdp, beta=beta, gamma=0.95)
    np.testing.assert_allclose(res.V, ref.V, rtol=1e-13)  # p = 1 - 1e-16 gives H ~ 1e-16
    np.testing.assert_allclose(res.policy, ref.policy, rtol=1e-13)


def test_beta_increases_value_when_stochastic():
    mdp = random_mdp(8, S=30, A=4, K=3, p_terminal=0.1, reward=False)
    values = [solve_mop(mdp, beta=b, gamma=0.9, tol=1e-8).V for b in (0.0, 0.5, 1.0)]
    live = ~mdp.terminal
    assert np.all(np.diff(np.stack(values)[:, live], axis=0) > 0)


@pytest.mark.parametrize(("alpha", "S"), [(0.01, 12), (0.001, 6)])
def test_large_values_are_safe(alpha, S):
    """gamma=0.999, tiny alpha: V/alpha spans > 1500 nats (a shared exp shift would underflow)."""
    rng = np.random.default_rng(0)
    # a random 9-action graph (huge values) plus a dead-end chain into a terminal state
    ns = np.zeros((S + 5, 9, 1), np.int64)
    mask = np.zeros((S + 5, 9), bool)
    ns[:S, :, 0] = rng.integers(0, S, (S, 9))
    mask[:S] = True
    mask[S:, 0] = True
    ns[S : S + 4, 0, 0] = np.arange(S + 1, S + 5)
    ns[S + 4, 0, 0] = S + 4
    ns[0, 0, 0] = S  # the graph can enter the chain
    term = np.zeros(S + 5, bool)
    term[S + 4] = True
    mdp = FiniteMDP(ns, mask[..., None].astype(float), mask, term)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        warnings.filterwarnings("ignore", category=ConvergenceWarning)
        res = solve_mop(mdp, alpha=alpha, gamma=0.999, tol=1e-12, max_sweeps=1500)
    assert np.all(np.isfinite(res.V)) and np.all(np.isfinite(res.policy))
    assert (res.V.max() - res.V[S + 3]) / alpha > 1500
    np.testing.assert_allclose(res.policy.sum(axis=1), 1.0, atol=1e-12)
    ref, _ = reference_solve(mdp, "mop", 0.999, 0.0, alpha=alpha, max_sweeps=1500)
    np.testing.assert_allclose(res.V, ref, rtol=1e-9, atol=1e-12)


@pytest.mark.parametrize(("alpha", "beta", "seed"), [(0.0008, 1.0, 0), (0.0005, 0.5, 1)])
def test_large_entropy_bonus_stochastic_matches_reference(alpha, beta, seed):
    """beta H / alpha ~ 1e3: shifted sums underflow in some rows; results stay exact."""
    mdp = random_mdp(seed, 12, 4, 3, p_terminal=0.15, reward=False)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        warnings.filterwarnings("ignore", category=ConvergenceWarning)
        res = solve_mop(mdp, alpha=alpha, beta=beta, gamma=0.9, tol=1e-12, max_sweeps=60)
    ref, _ = reference_solve(mdp, "mop", 0.9, 0.0, alpha=alpha, beta=beta, max_sweeps=60)
    live = ~mdp.terminal
    assert np.ptp(res.V[live]) / alpha > 1500  # beyond the range of one shared exp shift
    np.testing.assert_allclose(res.V, ref, rtol=1e-9)


def test_large_values_converge_without_warnings():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        res = solve_mop(regular_world(30, 9, 1), alpha=0.01, gamma=0.999, tol=1e-4)
    np.testing.assert_allclose(res.V, 0.01 * np.log(9) / 0.001, atol=1e-4 / 0.001)


def test_q_and_policy_consistent_with_v():
    mdp = random_mdp(11, S=40, A=5, K=3, p_terminal=0.1, reward=False)
    res = solve_mop(mdp, alpha=0.7, beta=0.4, gamma=0.95, tol=1e-9)
    H = mdp.successor_entropy()
    Q = 0.4 * H + 0.95 * mdp.expectation(res.V)
    np.testing.assert_allclose(res.Q[mdp.action_mask], Q[mdp.action_mask], rtol=1e-12)
    assert np.all(np.isneginf(res.Q[~mdp.action_mask]))
    live = ~mdp.terminal
    soft = 0.7 * np.log(np.sum(np.exp(res.Q / 0.7), axis=1))
    np.testing.assert_allclose(res.V[live], soft[live], atol=1e-7)


@settings(max_examples=25, deadline=None, derandomize=True)
@given(
    seed=st.integers(0, 2**32 - 1),
    S=st.integers(2, 7),
    A=st.integers(1, 4),
    K=st.integers(1, 3),
    alpha=st.sampled_from([0.2, 1.0, 2.5]),
    beta=st.sampled_from([0.0, 0.7]),
    gamma=st.sampled_from([0.0, 0.6, 0.95]),
)
def test_mop_matches_reference(seed, S, A, K, alpha, beta, gamma):
    mdp = random_mdp(seed, S, A, K, p_terminal=0.3, reward=False)
    res = solve_mop(mdp, alpha=alpha, beta=beta, gamma=gamma, tol=1e-6)
    ref, sweeps = reference_solve(mdp, "mop", gamma, 1e-6, alpha=alpha, beta=beta)
    np.testing.assert_allclose(res.V, ref, rtol=1e-10, atol=1e-10)
    assert abs(res.sweeps - sweeps) <= 1
    np.testing.assert_allclose(res.policy.sum(axis=1), 1.0, atol=1e-12)
    assert np.all(res.policy[~mdp.action_mask] == 0)


# ---------------------------------------------------------------------- R agent
def survival_chain(n: int, q_die: float = 0.0) -> FiniteMDP:
    """States 0..n-1 step forward (dying with prob q_die); state n-1 steps into terminal n."""
    P = np.zeros((n + 1, 1, n + 1))
    for s in range(n):
        P[s, 0, s + 1] += 1 - q_die
        P[s, 0, n] += q_die
    P[n, 0, n] = 1.0
    return FiniteMDP.from_dense(P, terminal=np.arange(n + 1) == n)


@pytest.mark.parametrize("gamma", [0.5, 0.9, 1.0])
@pytest.mark.parametrize("n", [1, 5, 20])
def test_reward_chain_survival_steps(gamma, n):
    res = solve_reward(survival_chain(n), epsilon=0.0, gamma=gamma, tol=1e-12)
    steps = n - np.arange(n)
    expected = steps if gamma == 1.0 else (1 - gamma**steps) / (1 - gamma)
    np.testing.assert_allclose(res.V[:n], expected, rtol=1e-12)
    assert res.V[n] == 0.0


@pytest.mark.parametrize("q_die", [0.1, 0.5])
def test_reward_stochastic_chain_expected_survival(q_die):
    """Each step kills with probability q_die: expected steps = sum_t (1 - q_die)^t."""
    n = 8
    res = solve_reward(survival_chain(n, q_die), gamma=1.0, tol=1e-13)
    remaining = n - np.arange(n)
    expected = (1 - (1 - q_die) ** remaining) / q_die
    np.testing.assert_allclose(res.V[:n], expected, rtol=1e-12)


@pytest.mark.parametrize("epsilon", [0.0, 0.2, 1.0])
@pytest.mark.parametrize("gamma", [0.5, 0.95])
def test_reward_epsilon_inside_backup(epsilon, gamma):
    """State 0: 'stay' (self-loop) or 'die'; V = 1 / (1 - gamma (1 - eps/2))."""
    P = np.zeros((2, 2, 2))
    P[0, 0, 0] = P[0, 1, 1] = P[1, 0, 1] = 1.0
    mdp = FiniteMDP.from_dense(P, terminal=[False, True])
    res = solve_reward(mdp, epsilon=epsilon, gamma=gamma, tol=1e-12)
    np.testing.assert_allclose(res.V[0], 1 / (1 - gamma * (1 - epsilon / 2)), rtol=1e-10)
    np.testing.assert_allclose(res.policy[0], [1 - epsilon / 2, epsilon / 2], rtol=1e-12)


@pytest.mark.parametrize("epsilon", [0.0, 0.3])
def test_reward_ties_split(epsilon):
    """Three safe actions (tied) and one deadly one."""
    P = np.zeros((4, 4, 4))
    P[0, :3, 1] = 1.0
    P[0, 3, 3] = 1.0
    P[1, 0, 2] = P[2, 0, 1] = 1.0  # a safe 2-cycle reached by the three tied actions
    P[3, 0, 3] = 1.0
    mdp = FiniteMDP.from_dense(P, terminal=[False, False, False, True])
    res = solve_reward(mdp, epsilon=epsilon, gamma=0.9, tol=1e-8)
    greedy = (1 - epsilon) / 3 + epsilon / 4
    np.testing.assert_allclose(res.policy[0], [greedy] * 3 + [epsilon / 4], rtol=1e-12)


@settings(max_examples=20, deadline=None, derandomize=True)
@given(seed=st.integers(0, 2**32 - 1), eps=st.sampled_from([0.0, 0.1, 0.5]))
def test_reward_matches_reference(seed, eps):
    mdp = random_mdp(seed, 6, 3, 2, p_terminal=0.3, reward=False)
    res = solve_reward(mdp, epsilon=eps, gamma=0.9, tol=1e-8)
    ref, _ = reference_solve(mdp, "reward", 0.9, 1e-8, epsilon=eps)
    np.testing.assert_allclose(res.V, ref, rtol=1e-10, atol=1e-10)
    np.testing.assert_allclose(res.policy.sum(axis=1), 1.0, atol=1e-12)


# ---------------------------------------------------------------------- MaxEnt
@settings(max_examples=20, deadline=None, derandomize=True)
@given(seed=st.integers(0, 2**32 - 1), tau=st.sampled_from([0.1, 1.0, 3.0]))
def test_maxent_matches_reference_and_soft_exceeds_true(seed, tau):
    mdp = random_mdp(seed, 6, 3, 2, p_terminal=0.2, reward=True)
    res = solve_maxent(mdp, temperature=tau, gamma=0.9, tol=1e-9)
    ref, _ = reference_solve(mdp, "maxent", 0.9, 1e-9, tau=tau)
    np.testing.assert_allclose(res.V, ref, rtol=1e-9, atol=1e-9)
    assert np.all(res.V_true <= res.V + 1e-7)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_maxent_zero_temperature_limit(seed):
    mdp = random_mdp(seed, 25, 4, 2, p_terminal=0.1, reward=True)
    hard = solve_reward(mdp, reward=mdp.reward, gamma=0.9, tol=1e-10)
    errors = [
        np.abs(solve_maxent(mdp, temperature=t, gamma=0.9, tol=1e-10).V - hard.V).max()
        for t in (1.0, 0.1, 0.01, 0.001)
    ]
    assert errors[-1] < 0.001 * np.log(4) / 0.1 + 1e-8
    assert np.all(np.diff(errors) < 0)
    cold = solve_maxent(mdp, temperature=1e-3, gamma=0.9, tol=1e-10)
    np.testing.assert_allclose(cold.V_true, hard.V, atol=1e-3)


def test_maxent_needs_reward():
    with pytest.raises(ValueError, match=r"solve_maxent needs an extrinsic reward"):
        solve_maxent(survival_chain(3))


@pytest.mark.parametrize("gamma", [0.0, 0.7, 0.99])
@pytest.mark.parametrize("method", ["direct", "iterative"])
def test_policy_evaluation_linear_solve(gamma, method):
    mdp = random_mdp(5, 15, 4, 3, p_terminal=0.15, reward=True)
    rng = np.random.default_rng(1)
    pi = rng.random((15, 4)) * mdp.action_mask
    pi /= pi.sum(axis=1, keepdims=True)
    V = policy_evaluation(mdp, pi, mdp.reward, gamma, tol=1e-12, method=method)
    P = np.zeros((15, 15))
    for k in range(mdp.max_successors):
        np.add.at(
            P,
            (np.arange(15)[:, None].repeat(4, 1), mdp.next_states[:, :, k]),
            pi * mdp.probs[:, :, k],
        )
    r = (pi * mdp.expected_reward()).sum(axis=1)
    live = ~mdp.terminal
    P[~live] = 0.0
    r[~live] = 0.0
    expected = np.linalg.solve(np.eye(15) - gamma * P, r)
    np.testing.assert_allclose(V, expected, rtol=1e-9, atol=1e-9)


def test_policy_evaluation_gamma_one_needs_termination():
    mdp = regular_world(5, 2, 1)
    with pytest.raises(ValueError, match=r"singular; with gamma=1 the policy must reach"):
        policy_evaluation(mdp, np.full((5, 2), 0.5), "alive", 1.0, method="direct")


# ---------------------------------------------------------------------- bad input
@pytest.mark.parametrize(
    ("call", "error", "match"),
    [
        (lambda m: solve_mop(m, gamma=-0.1), ValueError, r"gamma must be >= 0.0, got -0.1"),
        (lambda m: solve_mop(m, gamma=1.5), ValueError, r"gamma must be <= 1.0, got 1.5"),
        (lambda m: solve_mop(m, alpha=0.0), ValueError, r"alpha must be > 0.0, got 0.0"),
        (lambda m: solve_mop(m, alpha=-1), ValueError, r"alpha must be > 0.0, got -1.0"),
        (lambda m: solve_mop(m, beta=-1), ValueError, r"beta must be >= 0.0, got -1.0"),
        (lambda m: solve_mop(m, tol=0), ValueError, r"tol must be > 0.0, got 0.0"),
        (lambda m: solve_mop(m, alpha="1"), TypeError, r"alpha must be a real number"),
        (lambda m: solve_mop(m.probs), TypeError, r"mdp must be a neuromop.mdp.FiniteMDP"),
        (lambda m: solve_reward(m, epsilon=1.2), ValueError, r"epsilon must be <= 1.0, got 1.2"),
        (
            lambda m: solve_reward(m, reward=np.ones((2, 2))),
            ValueError,
            r"reward must have shape \(S, A\) = \(4, 1\), \(S, A, K\) = \(4, 1, 1\) .*got shape",
        ),
        (
            lambda m: solve_reward(m, reward="food"),
            ValueError,
            r"reward must be one of \['alive'\]",
        ),
        (
            lambda m: solve_maxent(m, temperature=0, reward="alive"),
            ValueError,
            r"temperature must be > 0.0",
        ),
        (
            lambda m: policy_evaluation(m, np.full((4, 1), 0.5), "alive", 0.9),
            ValueError,
            r"policy\[0\] sums to 0.5, expected 1",
        ),
        (
            lambda m: policy_evaluation(m, np.ones((4, 2)), "alive", 0.9),
            ValueError,
            r"policy must have shape \(S, A\) = \(4, 1\)",
        ),
    ],
)
def test_bad_arguments(call, error, match):
    with pytest.raises(error, match=match):
        call(survival_chain(3))
