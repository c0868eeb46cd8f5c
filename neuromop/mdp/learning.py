"""Model-free learning from sampled transitions: soft Q-learning (MOP) and Q-learning (R agent).

Many walkers move through the world in parallel; each step yields one transition per walker and one
vectorised update of every visited (s, a) entry towards the mean target of its c transitions:

    Q(s,a) += (1 - (1 - eta) ** c) * mean_batch(y - Q(s,a)),
    eta = learning_rate / (1 + n(s,a)) ** lr_decay,

i.e. c sequential single-sample updates with step eta, where n(s, a) counts earlier samples of the
entry (polynomial step sizes with 0.5 < lr_decay <= 1 satisfy the Robbins-Monro conditions, so the
estimates converge in stochastic worlds).

* MOP (reward 0 plus entropy): y = -beta ln p(s'|s,a) + gamma V(s'), V(s) = alpha ln sum_a
  exp(Q(s,a)/alpha). Its fixed point is the Q of :func:`~neuromop.mdp.solve_mop`
  (Q = beta H(S'|s,a) + gamma E[V(s')]). Only the surprise of the sampled successor is used.
* R agent: y = r + gamma V(s'), V(s) = (1-eps) max_a Q(s,a) + eps mean_a Q(s,a); the fixed point
  is the Q of :func:`~neuromop.mdp.solve_reward`.

Terminal successors have V = 0 and walkers that reach one restart at a random non-terminal state.
Actions are drawn uniformly among admissible ones (off-policy) unless ``behavior="policy"``.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from neuromop._checks import MAX_SIZE, as_array, check_choice, check_int, check_real
from neuromop._random import as_generator
from neuromop.mdp.model import FiniteMDP
from neuromop.mdp.solvers import SolveResult, _epsilon_greedy, _softmax_policy

__all__ = ["MDPSampler", "q_learning", "soft_q_learning"]


class MDPSampler:
    """Draws successors of a :class:`FiniteMDP`, hiding the model from the learner.

    Any object with ``n_states``, ``n_actions``, ``action_mask`` (S, A), ``terminal`` (S,) and a
    ``sample(states, actions, rng)`` method with the same return values can replace it.

    Parameters
    ----------
    mdp : FiniteMDP
        The world.
    """

    def __init__(self, mdp: FiniteMDP) -> None:
        if not isinstance(mdp, FiniteMDP):
            raise TypeError(f"mdp must be a neuromop.mdp.FiniteMDP, got {type(mdp).__name__}")
        self.mdp = mdp
        self.n_states, self.n_actions = mdp.n_states, mdp.n_actions
        self.action_mask, self.terminal = mdp.action_mask, mdp.terminal
        self._cdf = np.cumsum(mdp.probs, axis=-1)

    def sample(
        self, states: np.ndarray, actions: np.ndarray, rng: np.random.Generator
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Successors of a batch of (state, action) pairs.

        Returns
        -------
        next_states : ndarray of int64, shape (n,)
        log_probs : ndarray, shape (n,)
            ln p(s'|s, a) of the sampled successors (nats).
        rewards : ndarray, shape (n,)
            Extrinsic reward r(s, a, s') (0 when the MDP has none).
        """
        states, actions = as_array("states", states), as_array("actions", actions)
        if not isinstance(rng, np.random.Generator):
            raise TypeError(f"rng must be a numpy.random.Generator, got {type(rng).__name__}")
        if states.shape != actions.shape:
            raise ValueError(f"states and actions must have the same shape, got {states.shape} "
                             f"and {actions.shape}")
        if states.dtype.kind not in "iu" or actions.dtype.kind not in "iu":
            raise TypeError(f"states and actions must be integer indices, got {states.dtype} "
                            f"and {actions.dtype}")
        if states.size and (states.min() < 0 or states.max() >= self.n_states):
            raise ValueError(f"states must be in [0, {self.n_states}), got "
                             f"{states.min()}..{states.max()}")
        if actions.size and (actions.min() < 0 or actions.max() >= self.n_actions):
            raise ValueError(f"actions must be in [0, {self.n_actions}), got "
                             f"{actions.min()}..{actions.max()}")
        cdf = self._cdf[states, actions]
        u = rng.random((states.size, 1)) * cdf[:, -1:]
        k = np.minimum((cdf <= u).sum(axis=1), cdf.shape[1] - 1)
        nxt = self.mdp.next_states[states, actions, k]
        logp = np.log(self.mdp.probs[states, actions, k])
        r = (
            np.zeros(states.size)
            if self.mdp.reward is None
            else self.mdp.reward[states, actions, k]
        )
        return nxt, logp, r


def _as_sampler(obj: object) -> Any:
    if isinstance(obj, FiniteMDP):
        return MDPSampler(obj)
    needed = ("n_states", "n_actions", "action_mask", "terminal", "sample")
    missing = [n for n in needed if not hasattr(obj, n)]
    if missing:
        raise TypeError(
            "mdp_or_sampler must be a FiniteMDP or a sampler with n_states, n_actions, "
            f"action_mask, terminal and sample(); {type(obj).__name__} lacks {missing}"
        )
    return obj


def _learn(
    sampler: Any,
    target_fn,
    behaviour_policy,
    reward_fn,
    gamma: float,
    learning_rate: float,
    lr_decay: float,
    n_steps: int,
    n_walkers: int,
    reset_prob: float,
    rng: np.random.Generator,
) -> np.ndarray:
    """Shared loop: walkers, batch-averaged updates. Returns Q (S, A) (0 at inadmissible)."""
    S, A = int(sampler.n_states), int(sampler.n_actions)
    mask = np.asarray(sampler.action_mask, dtype=bool)
    terminal = np.asarray(sampler.terminal, dtype=bool)
    starts = np.flatnonzero(~terminal)
    if starts.size == 0:
        raise ValueError("every state is terminal; nothing to learn")
    Q = np.zeros(S * A)
    samples = np.zeros(S * A)
    n_adm = mask.sum(axis=1)
    uniform_cdf = np.cumsum(mask, axis=1).astype(np.float64)
    s = rng.choice(starts, size=n_walkers)
    for _ in range(n_steps):
        cdf = (
            uniform_cdf[s]
            if behaviour_policy is None
            else np.cumsum(behaviour_policy(Q.reshape(S, A), s), axis=1)
        )
        u = rng.random((n_walkers, 1)) * cdf[:, -1:]
        a = np.minimum((cdf <= u).sum(axis=1), A - 1)
        nxt, logp, r = sampler.sample(s, a, rng)
        nxt = np.array(nxt, dtype=np.int64)
        v_next = np.where(
            terminal[nxt], 0.0, target_fn(Q.reshape(S, A)[nxt], mask[nxt], n_adm[nxt])
        )
        y = reward_fn(s, r, np.asarray(logp, dtype=np.float64)) + gamma * v_next
        idx = s * A + a
        counts = np.bincount(idx, minlength=S * A)
        err = np.bincount(idx, weights=y - Q[idx], minlength=S * A)
        hit = counts > 0
        c = counts[hit]
        step = learning_rate / (1.0 + samples[hit]) ** lr_decay
        # c sequential single-sample updates towards the batch mean target, in closed form
        Q[hit] += (1.0 - (1.0 - step) ** c) * err[hit] / c
        samples[hit] += c
        restart = terminal[nxt] | (rng.random(n_walkers) < reset_prob)
        s = nxt
        n_restart = int(restart.sum())
        if n_restart:
            s[restart] = starts[rng.integers(starts.size, size=n_restart)]
    return Q.reshape(S, A)


def _check_learning(learning_rate, lr_decay, n_steps, n_walkers, reset_prob, behavior, gamma):
    return (
        check_real("learning_rate", learning_rate, low=0.0, high=1.0, low_inclusive=False),
        check_real("lr_decay", lr_decay, low=0.0, high=1.0),
        check_int("n_steps", n_steps, low=1),
        check_int("n_walkers", n_walkers, low=1, high=MAX_SIZE),
        check_real("reset_prob", reset_prob, low=0.0, high=1.0, high_inclusive=False),
        check_choice("behavior", behavior, ["uniform", "policy"]),
        check_real("gamma", gamma, low=0.0, high=1.0, high_inclusive=False),
    )


def soft_q_learning(
    mdp_or_sampler: FiniteMDP | Any,
    alpha: float = 1.0,
    beta: float = 0.0,
    gamma: float = 0.9,
    learning_rate: float = 0.5,
    n_steps: int = 10_000,
    random_state: None | int | np.random.Generator = None,
    *,
    n_walkers: int = 64,
    lr_decay: float = 0.6,
    reset_prob: float = 0.01,
    behavior: str = "uniform",
) -> SolveResult:
    """Model-free MOP agent: soft Q-learning with reward 0 and an entropy bonus.

    Parameters
    ----------
    mdp_or_sampler : FiniteMDP or sampler
        The world, seen only through sampled transitions (see :class:`MDPSampler`).
    alpha : float
        Action-entropy weight (> 0).
    beta : float
        Successor-entropy weight (>= 0); uses the surprise -ln p(s'|s,a) of sampled successors.
    gamma : float
        Discount factor in [0, 1).
    learning_rate : float
        Initial step size in (0, 1].
    n_steps : int
        Number of batch updates (each with ``n_walkers`` transitions).
    random_state : None, int or numpy.random.Generator
        Seed.
    n_walkers : int
        Parallel walkers.
    lr_decay : float
        Exponent of the per-entry step-size decay (0 = constant).
    reset_prob : float
        Per-step probability that a walker jumps to a random non-terminal state (coverage).
    behavior : {"uniform", "policy"}
        Uniform random admissible actions, or the current softmax policy.

    Returns
    -------
    SolveResult
        ``agent="mop"``, ``Q`` on the scale of :func:`solve_mop`, softmax ``policy``;
        ``sweeps`` = ``n_steps`` and ``converged`` False (no stopping test).
    """
    sampler = _as_sampler(mdp_or_sampler)
    alpha = check_real("alpha", alpha, low=0.0, low_inclusive=False)
    beta = check_real("beta", beta, low=0.0)
    lr, decay, n_steps, n_walkers, reset, behavior, gamma = _check_learning(
        learning_rate, lr_decay, n_steps, n_walkers, reset_prob, behavior, gamma
    )
    rng = as_generator(random_state)
    mask = np.asarray(sampler.action_mask, dtype=bool)

    def soft_value(q, m, _n):
        z = np.where(m, q / alpha, -np.inf)
        top = z.max(axis=1)
        return alpha * (top + np.log(np.exp(z - top[:, None]).sum(axis=1)))

    def behave(Q, s):
        return _softmax_policy(np.where(mask[s], Q[s], -np.inf).T, alpha, mask[s].T)

    def reward(_s, _r, logp):
        return -beta * logp if beta else np.zeros_like(logp)

    Q = _learn(
        sampler,
        soft_value,
        None if behavior == "uniform" else behave,
        reward,
        gamma,
        lr,
        decay,
        n_steps,
        n_walkers,
        reset,
        rng,
    )
    terminal = np.asarray(sampler.terminal, dtype=bool)
    V = np.where(terminal, 0.0, soft_value(Q, mask, None))
    Q = np.where(mask, Q, -np.inf)
    policy = _softmax_policy(Q.T, alpha, mask.T)
    params = {
        "alpha": alpha,
        "beta": beta,
        "gamma": gamma,
        "learning_rate": lr,
        "lr_decay": decay,
        "n_walkers": n_walkers,
        "method": "soft_q_learning",
    }
    return SolveResult(V, Q, policy, n_steps, False, "mop", params)


def q_learning(
    mdp_or_sampler: FiniteMDP | Any,
    epsilon: float = 0.0,
    gamma: float = 0.9,
    learning_rate: float = 0.5,
    n_steps: int = 10_000,
    random_state: None | int | np.random.Generator = None,
    *,
    reward: str | None = "alive",
    n_walkers: int = 64,
    lr_decay: float = 0.6,
    reset_prob: float = 0.01,
    behavior: str = "uniform",
    tie_tol: float = 1e-6,
) -> SolveResult:
    """Model-free R agent: Q-learning with the epsilon-greedy mix inside the target.

    Parameters
    ----------
    mdp_or_sampler : FiniteMDP or sampler
        The world, seen only through sampled transitions.
    epsilon : float
        Exploration probability in [0, 1] used in the target and the returned policy.
    gamma : float
        Discount factor in [0, 1).
    learning_rate, n_steps, random_state, n_walkers, lr_decay, reset_prob
        As in :func:`soft_q_learning`.
    reward : ``"alive"`` or None
        ``"alive"``: +1 per step from a non-terminal state; None: the sampler's extrinsic reward.
    behavior : {"uniform", "policy"}
        Uniform random admissible actions, or the current epsilon-greedy policy.
    tie_tol : float
        Tie tolerance of the returned epsilon-greedy policy (see :func:`solve_reward`).

    Returns
    -------
    SolveResult
        ``agent="reward"``.
    """
    sampler = _as_sampler(mdp_or_sampler)
    epsilon = check_real("epsilon", epsilon, low=0.0, high=1.0)
    tie_tol = check_real("tie_tol", tie_tol, low=0.0)
    if reward is not None:
        check_choice("reward", reward, ["alive"])
    lr, decay, n_steps, n_walkers, reset, behavior, gamma = _check_learning(
        learning_rate, lr_decay, n_steps, n_walkers, reset_prob, behavior, gamma
    )
    rng = as_generator(random_state)
    mask = np.asarray(sampler.action_mask, dtype=bool)

    def mixed_value(q, m, n):
        best = np.where(m, q, -np.inf).max(axis=1)
        return (1.0 - epsilon) * best + epsilon * np.where(m, q, 0.0).sum(axis=1) / n

    def behave(Q, s):
        return _epsilon_greedy(Q[s].T, mask[s].T, epsilon, tie_tol).T

    def extrinsic(_s, r, _logp):
        return np.ones_like(r, dtype=np.float64) if reward == "alive" else np.asarray(r, float)

    Q = _learn(
        sampler,
        mixed_value,
        None if behavior == "uniform" else behave,
        extrinsic,
        gamma,
        lr,
        decay,
        n_steps,
        n_walkers,
        reset,
        rng,
    )
    terminal = np.asarray(sampler.terminal, dtype=bool)
    V = np.where(terminal, 0.0, mixed_value(Q, mask, mask.sum(axis=1)))
    policy = np.ascontiguousarray(_epsilon_greedy(Q.T, mask.T, epsilon, tie_tol).T)
    Q = np.where(mask, Q, -np.inf)
    params = {
        "epsilon": epsilon,
        "gamma": gamma,
        "learning_rate": lr,
        "lr_decay": decay,
        "n_walkers": n_walkers,
        "reward": reward or "extrinsic",
        "method": "q_learning",
    }
    return SolveResult(V, Q, policy, n_steps, False, "reward", params)
