"""Maximum-likelihood fits of the Dynamic Resource Allocator (DRA) to trial-based choices.

The DRA (Patel, Acerbi & Pouget, NeurIPS 2020; :class:`neuromop.mdp.dra.DRAAgent`) holds each
action value as a Gaussian memory ``N(qbar_a, sigma_a^2)`` and chooses by a softmax over one noisy
sample, ``pi(a | zeta) = softmax_a(beta (qbar_a + zeta_a sigma_a + w x_a + b_a))`` with
``zeta ~ N(0, I)``. After every trial (a one-step episode of a bandit):

* ``qbar_c <- qbar_c + alpha (r - qbar_c)`` for the chosen action ``c`` (expected SARSA with a
  terminal next state);
* ``sigma <- clip(sigma + eta_sigma (g - lambda (sigma / sigma_base^2 - 1 / sigma)))``, where
  ``g`` is the gradient of the expected reward ``E_zeta[sum_a pi(a|zeta) qbar_a]`` and the second
  term the gradient of ``lambda KL(N(qbar, sigma^2) || N(qbar, sigma_base^2))``.

The approximation (why the likelihood is tractable here)
--------------------------------------------------------
The agent itself estimates ``g`` by a stochastic policy gradient from simulated episodes (score
``beta zeta_b (1[a=b] - pi_b)`` times the advantage ``qbar_a - mean qbar``), so its sigma
trajectory is random and unobserved, and the exact likelihood integrates over it. This model
replaces the stochastic update by its expectation, which is exact and closed over ``zeta``:

    g_b = E_zeta[ beta zeta_b pi_b(zeta) (qbar_b - sum_a pi_a(zeta) qbar_a) ],

so ``qbar`` and ``sigma`` follow a deterministic path given the observed choices and rewards. The
choice probability is the marginal over the sampling noise, ``P(a) = E_zeta[pi(a | zeta)]``. Both
expectations are evaluated with a fixed tensor-product Gauss-Hermite rule (``n_nodes`` per
action), i.e. common "random" numbers that do not change with the parameters, so the objective is
deterministic and smooth and L-BFGS-B applies. The error of the approximation is the
sigma-trajectory noise of the real agent, which shrinks as ``n_trajectories`` (the agent's
simulated episodes per update) grows; :meth:`DRAChoiceModel.simulate` can generate data with the
real stochastic update (``sigma_updates="stochastic"``) to measure it.

The recursion is nonlinear in ``sigma``, so it runs as one loop over trial positions, vectorised
over sessions (``groups``), quadrature nodes and actions.
"""

from __future__ import annotations

import numpy as np
from numpy.polynomial.hermite_e import hermegauss
from scipy.special import expit, softmax

from neuromop._checks import check_choice, check_finite_array, check_int, check_real
from neuromop._random import as_generator
from neuromop.values._choice_base import (
    _check_y,
    _ChoiceModel,
    _reward_design,
    _session_starts,
)

__all__ = ["DRAChoiceModel"]


def _expected_policy(q, sigma, shift, beta, Z, w):
    """``E_zeta[pi(a | zeta)]`` and the expected sigma gradient ``g_b`` (both (..., K)) on the
    quadrature nodes ``Z`` (M, K) with weights ``w`` (M,); ``beta`` broadcasts against (..., 1).

    Two actions take a cheaper but identical route: ``pi_1 = f(u_1 - u_0)`` (``f`` the logistic
    function) and ``pi_b (q_b - sum_a pi_a q_a) = +-pi_0 pi_1 (q_1 - q_0)``, so no softmax over
    the action axis is formed.
    """
    if q.shape[-1] == 2:
        b = beta[..., 0]
        d = (q[..., 1] + shift[..., 1]) - (q[..., 0] + shift[..., 0])
        x = b[..., None] * (d[..., None] + Z[:, 1] * sigma[..., 1, None]
                            - Z[:, 0] * sigma[..., 0, None])        # (..., M)
        f = expit(x)
        p1 = f @ w
        ff = f * (1.0 - f)
        gap = b * (q[..., 1] - q[..., 0])
        grad = np.stack([-gap * (ff @ (w * Z[:, 0])), gap * (ff @ (w * Z[:, 1]))], axis=-1)
        return np.stack([1.0 - p1, p1], axis=-1), grad
    u = beta[..., None] * (q[..., None, :] + Z * sigma[..., None, :] + shift[..., None, :])
    pi = softmax(u, axis=-1)                              # (..., M, K)
    adv = q[..., None, :] - np.einsum("...mk,...k->...m", pi, q)[..., None]
    grad = beta * np.einsum("m,mk,...mk->...k", w, Z, pi * adv)
    return np.einsum("m,...mk->...k", w, pi), grad


def _gauss_hermite_grid(n_nodes: int, n_actions: int) -> tuple[np.ndarray, np.ndarray]:
    """Nodes (M, K) and weights (M,) of the product rule for E[f(zeta)], zeta ~ N(0, I_K)."""
    x, w = hermegauss(n_nodes)
    w = w / w.sum()
    grids = np.meshgrid(*([x] * n_actions), indexing="ij")
    wgrid = np.meshgrid(*([w] * n_actions), indexing="ij")
    nodes = np.stack([g.ravel() for g in grids], axis=1)
    weights = np.prod(np.stack([g.ravel() for g in wgrid], axis=1), axis=1)
    return nodes, weights


class DRAChoiceModel(_ChoiceModel):
    """DRA choice model for bandit / two-alternative tasks with feedback, fitted by MLE.

    Free parameters: ``lambda_`` (memory cost, reward units per nat, log scale), ``beta``
    (inverse temperature per reward unit, log scale), the value learning rate ``alpha`` when
    ``learning_rate is None``, the covariate weight ``weight`` (value units per covariate unit)
    when ``covariate`` and biases ``bias_a`` (value units) when ``bias``.

    Parameters
    ----------
    n_actions : int
        Number of actions K (2 to 4; the quadrature has ``n_nodes**K`` points).
    covariate : bool
        ``X`` carries per-action covariates ``x_a`` (e.g. stimulus contrast on each side).
    bias : bool
        Fit biases ``b_a`` for actions ``1..K-1``.
    learning_rate : float or None
        Step size ``alpha`` of the value means in (0, 1]; ``None`` fits it.
    sigma_learning_rate : float
        Step size ``eta_sigma`` of the sigma update (> 0).
    sigma_base : float
        Standard deviation of the costless memory (> 0), reward units.
    sigma_init : float, optional
        Initial sigma in each session (default ``sigma_base``).
    sigma_bounds : tuple of float
        sigma is clipped to this range after every update, as in the agent.
    q0 : float
        Initial value mean of every action in each session (reward units).
    n_nodes : int
        Gauss-Hermite nodes per action for the expectations over ``zeta``.
    n_restarts, random_state
        Optimiser restarts and their seed.

    Notes
    -----
    ``X`` has shape (n_trials, 1) or (n_trials, 1 + K): column 0 is the reward obtained after the
    choice, the others the covariates. ``groups`` are session labels: memories restart at each new
    label. See the module docstring for the likelihood approximation.
    """

    sequential = True
    _X_allows_1d = True

    def __init__(self, *, n_actions: int = 2, covariate: bool = False, bias: bool = False,
                 learning_rate: float | None = 0.2, sigma_learning_rate: float = 0.5,
                 sigma_base: float = 1.0, sigma_init: float | None = None,
                 sigma_bounds: tuple[float, float] = (0.01, 100.0), q0: float = 0.5,
                 n_nodes: int = 10, n_restarts: int = 5, random_state=None):
        super().__init__(n_restarts=n_restarts, random_state=random_state)
        self.n_actions = n_actions
        self.covariate = covariate
        self.bias = bias
        self.learning_rate = learning_rate
        self.sigma_learning_rate = sigma_learning_rate
        self.sigma_base = sigma_base
        self.sigma_init = sigma_init
        self.sigma_bounds = sigma_bounds
        self.q0 = q0
        self.n_nodes = n_nodes

    # ------------------------------------------------------------------ validation / data
    def _validate(self) -> int:
        K = check_int("n_actions", self.n_actions, low=2, high=4)
        if self.learning_rate is not None:
            check_real("learning_rate", self.learning_rate, low=0.0, high=1.0,
                       low_inclusive=False)
        check_real("sigma_learning_rate", self.sigma_learning_rate, low=0.0, low_inclusive=False)
        check_real("sigma_base", self.sigma_base, low=0.0, low_inclusive=False)
        if self.sigma_init is not None:
            check_real("sigma_init", self.sigma_init, low=0.0, low_inclusive=False)
        if not isinstance(self.sigma_bounds, tuple | list) or len(self.sigma_bounds) != 2:
            raise TypeError(f"sigma_bounds must be a (low, high) pair, got {self.sigma_bounds!r}")
        lo = check_real("sigma_bounds[0]", self.sigma_bounds[0], low=0.0, low_inclusive=False)
        check_real("sigma_bounds[1]", self.sigma_bounds[1], low=lo, low_inclusive=False)
        check_real("q0", self.q0)
        check_int("n_nodes", self.n_nodes, low=2, high=40)
        return K

    def _n_options(self, data):
        return self.n_actions

    def _prepare(self, X, y, groups):
        K = self._validate()
        x = _reward_design(X, K, self.covariate)
        n = x.shape[0]
        yy = _check_y(y, n, K)
        seg = np.cumsum(_session_starts(groups, n)) - 1
        if self.covariate and np.all(np.ptp(x[:, 1:], axis=0) == 0):
            raise ValueError("the covariate columns of X are constant: weight not identifiable")
        # trial position within its session, for the padded (session, position) layout
        starts = np.flatnonzero(np.r_[True, seg[1:] != seg[:-1]])
        pos = np.arange(n) - starts[seg]
        return {"r": x[:, 0], "cov": x[:, 1:] if self.covariate else None, "y": yy,
                "seg": seg, "pos": pos, "n_seg": int(seg.max()) + 1,
                "n_pos": int(pos.max()) + 1, "valid": np.ones(n, bool)}

    def _spec(self, data):
        spec = [("lambda_", "log", (0.02, 1.0)), ("beta", "log", (1.0, 8.0))]
        if self.learning_rate is None:
            spec.append(("alpha", "logit", (0.05, 0.6)))
        if self.covariate:
            spec.append(("weight", "identity", (0.2, 1.5)))
        if self.bias:
            spec += [(f"bias_{a}", "identity", (-0.2, 0.2)) for a in range(1, self.n_actions)]
        return spec

    def _unpack(self, theta) -> dict:
        """Natural parameters of a batch ``theta`` (B, k): each (B,), biases (B, K)."""
        theta = np.atleast_2d(np.asarray(theta, dtype=float))
        B, K = theta.shape[0], self.n_actions
        out = {"lambda_": theta[:, 0], "beta": theta[:, 1]}
        j = 2
        if self.learning_rate is None:
            out["alpha"] = theta[:, j]
            j += 1
        else:
            out["alpha"] = np.full(B, float(self.learning_rate))
        out["weight"] = theta[:, j] if self.covariate else np.zeros(B)
        j += int(self.covariate)
        out["bias"] = (np.column_stack([np.zeros(B), theta[:, j:j + K - 1]]) if self.bias
                       else np.zeros((B, K)))
        return out

    # ------------------------------------------------------------------ the recursion
    def _sigma_step(self, sigma, grad, lam):
        cost = sigma / self.sigma_base**2 - 1.0 / sigma
        lo, hi = self.sigma_bounds
        return np.clip(sigma + self.sigma_learning_rate * (grad - lam * cost), lo, hi)

    def _trajectories(self, theta, data):
        """Log choice probabilities (B, n, K), memory means and sigmas before every trial, for
        a batch of parameter vectors ``theta`` (B, k) (a single vector gives B = 1)."""
        p = self._unpack(theta)
        B = p["beta"].size
        K, G, T = self.n_actions, data["n_seg"], data["n_pos"]
        seg, pos = data["seg"], data["pos"]
        # padded (session, position) arrays; padding trials leave the state untouched
        onehot = np.zeros((G, T, K))
        rew = np.zeros((G, T))
        live = np.zeros((G, T), bool)
        onehot[seg, pos, data["y"]] = 1.0
        rew[seg, pos] = data["r"]
        live[seg, pos] = True
        shift = np.zeros((B, G, T, K)) + p["bias"][:, None, None, :]
        if self.covariate:
            shift[:, seg, pos] += p["weight"][:, None, None] * data["cov"][None]
        Z, w = _gauss_hermite_grid(int(self.n_nodes), K)  # (M, K), (M,)
        beta = p["beta"][:, None, None]                    # (B, 1, 1) against (B, G, K)
        alpha, lam = p["alpha"][:, None, None], p["lambda_"][:, None, None]
        q = np.full((B, G, K), float(self.q0))
        s0 = self.sigma_base if self.sigma_init is None else self.sigma_init
        sigma = np.full((B, G, K), float(s0))
        logP = np.empty((B, G, T, K))
        Q = np.empty((B, G, T, K))
        S = np.empty((B, G, T, K))
        for t in range(T):  # sequential: sigma(t+1) is a nonlinear function of sigma(t)
            Q[:, :, t], S[:, :, t] = q, sigma
            P, grad = _expected_policy(q, sigma, shift[:, :, t], beta, Z, w)
            logP[:, :, t] = np.log(np.maximum(P, 1e-300))
            m = live[None, :, t, None]
            q = q + m * alpha * onehot[None, :, t] * (rew[None, :, t, None] - q)
            sigma = np.where(m, self._sigma_step(sigma, grad, lam), sigma)
        return logP[:, seg, pos], Q[:, seg, pos], S[:, seg, pos]

    def _trial_loglik_batch(self, thetas, data):
        logP, *_ = self._trajectories(thetas, data)
        return logP[:, np.arange(data["y"].size), data["y"]]

    def _trial_loglik(self, theta, data):
        return self._trial_loglik_batch(theta, data)[0]

    # ------------------------------------------------------------------ public API
    def predict_proba(self, X, y, groups=None) -> np.ndarray:
        """One-step-ahead choice probabilities ``E_zeta[pi(a|zeta)]`` given the past (n, K)."""
        self._require_fit()
        x = self._check_input(X, reset=False)
        logP, *_ = self._trajectories(self._theta_, self._prepare(x, y, groups))
        return np.exp(logP[0])

    def memories(self, X, y, groups=None) -> tuple[np.ndarray, np.ndarray]:
        """Fitted memory means ``qbar`` and sigmas before each trial, each (n, K) (reward units)."""
        self._require_fit()
        x = self._check_input(X, reset=False)
        _, Q, S = self._trajectories(self._theta_, self._prepare(x, y, groups))
        return Q[0], S[0]

    def simulate(self, rewards_fn, n_trials: int, covariates=None, random_state=None,
                 params: dict | None = None, *, sigma_updates: str = "expected",
                 n_trajectories: int = 10):
        """Simulate a DRA agent on a trial-based task.

        Parameters
        ----------
        rewards_fn : callable
            ``rewards_fn(t, action, rng) -> reward`` (reward units).
        n_trials : int
            Number of trials (one session).
        covariates : array_like, shape (n_trials, K), optional
            Required when ``covariate=True``.
        random_state : None, int or numpy.random.Generator
        params : dict, optional
            Natural-unit parameters (names as in ``params_``); default the fitted ones.
        sigma_updates : {"expected", "stochastic"}
            ``"expected"`` is the model whose likelihood is fitted; ``"stochastic"`` is the real
            agent's policy-gradient update from ``n_trajectories`` simulated one-step episodes
            (score ``beta zeta_b (1[a=b] - pi_b)`` times the advantage ``qbar_a - mean qbar``).
        n_trajectories : int
            Simulated episodes per stochastic sigma update.

        Returns
        -------
        X : ndarray, shape (n_trials, 1) or (n_trials, 1 + K)
            Rewards (and covariates), ready for :meth:`fit`.
        y : ndarray of int, shape (n_trials,)
            Choices.
        """
        K = self._validate()
        n_trials = check_int("n_trials", n_trials, low=1)
        check_choice("sigma_updates", sigma_updates, ("expected", "stochastic"))
        W = check_int("n_trajectories", n_trajectories, low=1)
        if not callable(rewards_fn):
            raise TypeError(f"rewards_fn must be callable, got {type(rewards_fn).__name__}")
        theta = self._simulation_theta(params, None)
        p = {name: value[0] for name, value in self._unpack(theta).items()}
        cov = np.zeros((n_trials, K))
        if self.covariate:
            if covariates is None:
                raise ValueError("covariates (n_trials, n_actions) are required when "
                                 "covariate=True")
            cov = check_finite_array("covariates", covariates, ndim=2)
            if cov.shape != (n_trials, K):
                raise ValueError(f"covariates must have shape ({n_trials}, {K}), got {cov.shape}")
        rng = as_generator(random_state)
        Z, w = _gauss_hermite_grid(int(self.n_nodes), K)
        beta, alpha, lam = p["beta"], p["alpha"], p["lambda_"]
        q = np.full(K, float(self.q0))
        sigma = np.full(K, float(self.sigma_base if self.sigma_init is None else self.sigma_init))
        X = np.zeros((n_trials, 1 + (K if self.covariate else 0)))
        y = np.zeros(n_trials, np.int64)
        for t in range(n_trials):  # generative loop: trial t depends on t-1 (not a hot path)
            shift = p["bias"] + p["weight"] * cov[t]
            pi = softmax(beta * (q + rng.standard_normal(K) * sigma + shift))
            a = int(rng.choice(K, p=pi))
            r = float(rewards_fn(t, a, rng))
            if sigma_updates == "expected":
                _, grad = _expected_policy(q, sigma, shift, np.array([beta]), Z, w)
            else:
                zeta = rng.standard_normal((W, K))
                pis = softmax(beta * (q + zeta * sigma + shift), axis=-1)
                cdf = np.cumsum(pis, axis=1)
                acts = np.minimum((cdf < rng.random((W, 1))).sum(axis=1), K - 1)
                score = beta * zeta * (np.eye(K)[acts] - pis)
                grad = (score * (q[acts] - q.mean())[:, None]).mean(axis=0)
            q[a] += alpha * (r - q[a])
            sigma = self._sigma_step(sigma, grad, lam)
            X[t, 0], y[t] = r, a
            if self.covariate:
                X[t, 1:] = cov[t]
        return X, y

    def expected_loglik(self, theta_natural: dict, X, y, groups=None) -> float:
        """Total log-likelihood (nats) at given natural-unit parameters (no fitting)."""
        names = [s[0] for s in self._spec(None)]
        missing = sorted(set(names) - set(theta_natural))
        if missing:
            raise ValueError(f"theta_natural is missing {missing} (expected keys {names})")
        data = self._prepare(X, y, groups)
        theta = np.array([float(theta_natural[nm]) for nm in names])
        return float(self._trial_loglik(theta, data).sum())
