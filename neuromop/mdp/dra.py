"""Dynamic Resource Allocator (DRA): action values held as Gaussian memories of limited precision.

Patel, Acerbi & Pouget (NeurIPS 2020), "Dynamic allocation of limited memory resources in
reinforcement learning". Each action value is a Gaussian memory N(qbar(s,a), sigma(s,a)^2).

* Acting: draw zeta(a) ~ N(0, 1) for every action and choose by
  pi(a|s, zeta) = softmax_a(beta * (qbar(s,a) + zeta(a) sigma(s,a))) over the admissible actions.
* Values: expected SARSA on the means,
  qbar(s,a) += eta_q * (r + gamma * sum_b pi(b|s', zeta') qbar(s',b) - qbar(s,a)) (no bootstrap
  into terminal states).
* Precision: after every episode, a stochastic gradient with respect to sigma of
  E[reward] - lambda * sum_{s,a} KL(N(qbar, sigma^2) || N(qbar, sigma_base^2)), from
  ``n_trajectories`` simulated episodes (vectorised). The score of the sampled action is
  d ln pi(a|s) / d sigma(s,b) = beta * zeta(b) * (1[a=b] - pi(b|s)); it is weighted by the advantage
  qbar(s,a) - mean_b qbar(s,b) (``gradient="A"``), by qbar(s,a) (``"Q"``) or by the episode return
  (``"R"``, REINFORCE). The KL gradient is sigma/sigma_base^2 - 1/sigma.

The update rules follow the paper and the authors' public code; this implementation is written for
:class:`~neuromop.mdp.FiniteMDP` worlds with state-dependent action sets.
"""

from __future__ import annotations

import numpy as np
from sklearn.base import BaseEstimator

from neuromop._checks import MAX_SIZE, as_array, check_choice, check_int, check_real
from neuromop._random import as_generator
from neuromop.mdp.model import FiniteMDP
from neuromop.mdp.solvers import SolveResult

__all__ = ["DRAAgent"]


def _softmax_masked(x: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """Row-wise softmax of ``x`` (..., A) restricted to ``mask``."""
    z = np.where(mask, x, -np.inf)
    z = z - z.max(axis=-1, keepdims=True)
    np.exp(z, out=z)
    return z / z.sum(axis=-1, keepdims=True)


def _sample_rows(p: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """One index per row of the probability table ``p`` (n, m) by an inverse-CDF search."""
    cdf = np.cumsum(p, axis=-1)
    u = rng.random((p.shape[0], 1)) * cdf[:, -1:]
    return np.minimum((cdf <= u).sum(axis=-1), p.shape[-1] - 1)


class DRAAgent(BaseEstimator):
    """Dynamic Resource Allocator agent learning from episodes on a finite MDP.

    Parameters
    ----------
    learning_rate : float
        Step size eta_q of the expected-SARSA update of the means qbar, in (0, 1].
    sigma_learning_rate : float
        Step size of the stochastic-gradient update of sigma (> 0).
    lambda_ : float
        Weight of the KL memory cost (>= 0), in reward units per nat.
    beta : float
        Inverse temperature of the softmax over noisy value samples (> 0), per reward unit.
    sigma_base : float
        Standard deviation of the free (costless) memory (> 0), in reward units.
    sigma_init : float, optional
        Initial sigma of every memory; defaults to ``sigma_base``. A low initial sigma is a
        large initial resource budget.
    gamma : float
        Discount factor in [0, 1].
    n_trajectories : int
        Simulated episodes per sigma update (vectorised).
    gradient : {"A", "Q", "R"}
        Weight of the score in the sigma gradient: advantage, action value or episode return.
    sigma_bounds : tuple of float
        sigma is clipped to this range after every update.
    n_policy_samples : int
        Monte Carlo samples of zeta used to compute the expected policy ``policy_``.
    random_state : None, int or numpy.random.Generator
        Seed of all randomness.

    Attributes
    ----------
    q_mean_ : ndarray, shape (S, A)
        Learned means qbar; ``-inf`` at inadmissible actions.
    q_std_ : ndarray, shape (S, A)
        Learned memory noise sigma; 0 at terminal states (no memory), ``nan`` at inadmissible
        actions.
    policy_ : ndarray, shape (S, A)
        Expected policy E_zeta[pi(a|s, zeta)]; rows sum to 1 over admissible actions.
    returns_ : ndarray, shape (n_episodes,)
        Undiscounted return of every learning episode.
    episode_lengths_ : ndarray of int, shape (n_episodes,)
        Number of steps of every learning episode.
    cost_ : ndarray, shape (n_episodes,)
        Memory cost lambda * sum KL after every sigma update.
    """

    def __init__(
        self,
        learning_rate: float = 0.2,
        sigma_learning_rate: float = 0.1,
        lambda_: float = 0.1,
        beta: float = 1.0,
        sigma_base: float = 5.0,
        sigma_init: float | None = None,
        gamma: float = 1.0,
        n_trajectories: int = 10,
        gradient: str = "A",
        sigma_bounds: tuple[float, float] = (0.01, 100.0),
        n_policy_samples: int = 1000,
        random_state: None | int | np.random.Generator = None,
    ) -> None:
        self.learning_rate = learning_rate
        self.sigma_learning_rate = sigma_learning_rate
        self.lambda_ = lambda_
        self.beta = beta
        self.sigma_base = sigma_base
        self.sigma_init = sigma_init
        self.gamma = gamma
        self.n_trajectories = n_trajectories
        self.gradient = gradient
        self.sigma_bounds = sigma_bounds
        self.n_policy_samples = n_policy_samples
        self.random_state = random_state

    # ------------------------------------------------------------------ helpers
    def _validate(self) -> None:
        check_real("learning_rate", self.learning_rate, low=0.0, high=1.0, low_inclusive=False)
        check_real("sigma_learning_rate", self.sigma_learning_rate, low=0.0, low_inclusive=False)
        check_real("lambda_", self.lambda_, low=0.0)
        check_real("beta", self.beta, low=0.0, low_inclusive=False)
        check_real("sigma_base", self.sigma_base, low=0.0, low_inclusive=False)
        if self.sigma_init is not None:
            check_real("sigma_init", self.sigma_init, low=0.0, low_inclusive=False)
        check_real("gamma", self.gamma, low=0.0, high=1.0)
        check_int("n_trajectories", self.n_trajectories, low=1)
        check_choice("gradient", self.gradient, ["A", "Q", "R"])
        check_int("n_policy_samples", self.n_policy_samples, low=1)
        lo, hi = self.sigma_bounds
        check_real("sigma_bounds[0]", lo, low=0.0, low_inclusive=False)
        check_real("sigma_bounds[1]", hi, low=lo, low_inclusive=False)

    def _rewards(self, mdp: FiniteMDP, reward: np.ndarray | str | None) -> np.ndarray:
        """Reward table (S, A, K), 0 from terminal states."""
        S, A, K = mdp.probs.shape
        if reward is None:
            reward = mdp.reward if mdp.reward is not None else "alive"
        if isinstance(reward, str):
            check_choice("reward", reward, ["alive"])
            table = np.ones((S, A, K))
        else:
            table = as_array("reward", reward, dtype=np.float64)
            if table.shape == (S, A):
                table = np.broadcast_to(table[:, :, None], (S, A, K))
            if table.shape != (S, A, K) or not np.all(np.isfinite(table)):
                raise ValueError(
                    f"reward must be a finite array of shape (S, A) = {(S, A)} or (S, A, K) = "
                    f"{(S, A, K)}, got shape {table.shape}"
                )
        return np.where(mdp.terminal[:, None, None], 0.0, table)

    def _start_states(self, mdp: FiniteMDP, start: object) -> np.ndarray:
        if start is None:
            states = np.flatnonzero(~mdp.terminal)
            if states.size == 0:
                raise ValueError("every state of the MDP is terminal; nothing to learn")
            return states
        states = np.atleast_1d(as_array("start", start))
        if states.dtype.kind not in "iu" or states.ndim != 1 or states.size == 0:
            raise TypeError(f"start must be a state index or a sequence of them, got {start!r}")
        if states.min() < 0 or states.max() >= mdp.n_states:
            raise ValueError(f"start states must be in [0, {mdp.n_states}), got {states.tolist()}")
        return states.astype(np.int64)

    def _step_env(self, mdp, rewards, s, a, rng):
        k = _sample_rows(mdp.probs[s, a], rng)
        return mdp.next_states[s, a, k], rewards[s, a, k]

    # ------------------------------------------------------------------ learning
    def fit(
        self,
        mdp: FiniteMDP,
        n_episodes: int = 500,
        max_steps: int = 1000,
        *,
        start: int | np.ndarray | None = None,
        reward: np.ndarray | str | None = None,
    ) -> DRAAgent:
        """Learn qbar and sigma from ``n_episodes`` episodes.

        Parameters
        ----------
        mdp : FiniteMDP
            The world.
        n_episodes : int
            Number of learning episodes; sigma is updated after each.
        max_steps : int
            Episodes are truncated after this many steps.
        start : int or array of int, optional
            Start state(s); each episode starts in one drawn uniformly. Default: any non-terminal
            state.
        reward : array (S, A) or (S, A, K), ``"alive"`` or None
            Extrinsic reward; ``None`` uses ``mdp.reward`` or +1 per step alive.

        Returns
        -------
        DRAAgent
            ``self``, with the fitted attributes set.
        """
        if not isinstance(mdp, FiniteMDP):
            raise TypeError(f"mdp must be a neuromop.mdp.FiniteMDP, got {type(mdp).__name__}")
        self._validate()
        n_episodes = check_int("n_episodes", n_episodes, low=1, high=MAX_SIZE)
        max_steps = check_int("max_steps", max_steps, low=1, high=MAX_SIZE)
        rng = as_generator(self.random_state)
        rewards = self._rewards(mdp, reward)
        starts = self._start_states(mdp, start)
        S, A = mdp.n_states, mdp.n_actions
        mask = mdp.action_mask
        q = np.zeros((S, A))
        sigma0 = self.sigma_base if self.sigma_init is None else self.sigma_init
        sigma = np.full((S, A), float(sigma0))
        memories = mask & ~mdp.terminal[:, None]  # terminal states hold no value memory
        returns = np.zeros(n_episodes)
        lengths = np.zeros(n_episodes, dtype=np.int64)
        costs = np.zeros(n_episodes)
        beta, gamma, eta = float(self.beta), float(self.gamma), float(self.learning_rate)
        for episode in range(n_episodes):
            s = int(rng.choice(starts))
            p = _softmax_masked(beta * (q[s] + rng.standard_normal(A) * sigma[s]), mask[s])
            total, t = 0.0, 0
            while t < max_steps and not mdp.terminal[s]:
                a = int(_sample_rows(p[None], rng)[0])
                s2, r = self._step_env(mdp, rewards, np.array([s]), np.array([a]), rng)
                s2, r = int(s2[0]), float(r[0])
                total += r
                t += 1
                if mdp.terminal[s2]:
                    target = r
                else:
                    zeta = rng.standard_normal(A)
                    p = _softmax_masked(beta * (q[s2] + zeta * sigma[s2]), mask[s2])
                    target = r + gamma * float(np.dot(p[mask[s2]], q[s2][mask[s2]]))
                q[s, a] += eta * (target - q[s, a])
                s = s2
            returns[episode] = total
            lengths[episode] = t
            sigma = self._update_sigma(mdp, rewards, starts, q, sigma, max_steps, rng)
            costs[episode] = self._cost(sigma, memories)
        self.q_mean_ = np.where(mask, q, -np.inf)
        self.q_std_ = np.where(memories, sigma, np.where(mask, 0.0, np.nan))
        self.returns_ = returns
        self.episode_lengths_ = lengths
        self.cost_ = costs
        self.policy_ = self.expected_policy(rng)
        return self

    def _cost(self, sigma: np.ndarray, mask: np.ndarray) -> float:
        """lambda * sum of KL(N(q, sigma^2) || N(q, sigma_base^2)) over the memories in ``mask``."""
        ratio = (sigma / self.sigma_base) ** 2
        kl = 0.5 * (ratio - 1.0 - np.log(ratio))
        return float(self.lambda_ * kl[mask].sum())

    def _update_sigma(self, mdp, rewards, starts, q, sigma, max_steps, rng) -> np.ndarray:
        """One stochastic-gradient step on sigma from ``n_trajectories`` parallel episodes."""
        S, A = q.shape
        W = int(self.n_trajectories)
        mask = mdp.action_mask
        beta = float(self.beta)
        qm = np.where(mask, q, 0.0)
        mean_q = qm.sum(axis=1) / mask.sum(axis=1)
        grad = np.zeros(S * A)
        per_walker = np.zeros((W, S * A)) if self.gradient == "R" else None
        totals = np.zeros(W)
        s = rng.choice(starts, size=W)
        alive = ~mdp.terminal[s]
        walkers = np.arange(W)
        for _ in range(max_steps):
            if not alive.any():
                break
            idx = walkers[alive]
            st = s[idx]
            zeta = rng.standard_normal((idx.size, A))
            p = _softmax_masked(beta * (q[st] + zeta * sigma[st]), mask[st])
            a = _sample_rows(p, rng)
            score = beta * zeta * (np.eye(A)[a] - p) * mask[st]
            flat = (st[:, None] * A + np.arange(A)).ravel()
            if self.gradient == "R":
                np.add.at(per_walker, (np.repeat(idx, A), flat), score.ravel())
            else:
                weight = q[st, a] - (mean_q[st] if self.gradient == "A" else 0.0)
                contrib = (score * weight[:, None]).ravel()
                grad += np.bincount(flat, weights=contrib, minlength=S * A)
            s2, r = self._step_env(mdp, rewards, st, a, rng)
            totals[idx] += r
            s[idx] = s2
            alive[idx] = ~mdp.terminal[s2]
        if self.gradient == "R":
            grad = totals @ per_walker
        grad = grad.reshape(S, A) / W
        grad_cost = sigma / self.sigma_base**2 - 1.0 / sigma
        new = sigma + self.sigma_learning_rate * (grad - self.lambda_ * grad_cost)
        lo, hi = self.sigma_bounds
        return np.where(mask & ~mdp.terminal[:, None], np.clip(new, lo, hi), sigma)

    # ------------------------------------------------------------------ inference
    def expected_policy(self, random_state: None | int | np.random.Generator = None) -> np.ndarray:
        """E_zeta[softmax(beta (qbar + zeta sigma))] per state by Monte Carlo, shape (S, A)."""
        if not hasattr(self, "q_mean_"):
            raise RuntimeError("DRAAgent is not fitted; call fit(mdp, ...) first")
        rng = as_generator(self.random_state if random_state is None else random_state)
        mask = np.isfinite(self.q_mean_)
        q = np.where(mask, self.q_mean_, 0.0)
        sigma = np.where(mask, self.q_std_, 0.0)
        S, A = q.shape
        total = np.zeros((S, A))
        n = int(self.n_policy_samples)
        chunk = max(1, min(n, 2_000_000 // max(1, S * A)))
        done = 0
        while done < n:
            m = min(chunk, n - done)
            zeta = rng.standard_normal((m, S, A))
            total += _softmax_masked(self.beta * (q + zeta * sigma), mask).sum(axis=0)
            done += m
        return total / n

    agent = "dra"

    @property
    def policy(self) -> np.ndarray:
        """The expected policy ``policy_`` (S, A), so the agent can be rolled out like a solve."""
        if not hasattr(self, "policy_"):
            raise RuntimeError("DRAAgent is not fitted; call fit(mdp, ...) first")
        return self.policy_

    def to_result(self):
        """The fitted agent as a :class:`~neuromop.mdp.SolveResult` (``agent="dra"``).

        ``V`` is sum_a policy_(a|s) qbar(s, a) (0 at terminal states), ``Q`` is ``q_mean_``;
        ``sweeps`` holds the number of learning episodes and ``converged`` is False.
        """

        policy = self.policy
        V = np.where(policy > 0, policy * np.where(np.isfinite(self.q_mean_), self.q_mean_, 0), 0)
        params = {k: v for k, v in self.get_params().items() if k != "random_state"}
        return SolveResult(
            V.sum(axis=1),
            self.q_mean_.copy(),
            policy.copy(),
            len(self.returns_),
            False,
            "dra",
            params,
        )

    def action_entropy(self) -> np.ndarray:
        """Entropy of the expected policy per state, in nats; shape (S,)."""
        p = self.policy_
        logp = np.log(p, out=np.zeros_like(p), where=p > 0)
        return 0.0 - (p * logp).sum(axis=1)
