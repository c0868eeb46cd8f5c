"""Per-trial value signals: soft (entropy-regularised) versus true (extrinsic) values.

For a softmax / MaxEnt agent with temperature ``tau`` acting on action values ``Q``:

- soft value ``V_soft = tau * ln sum_a exp(Q_a / tau)`` (log-sum-exp; ``-> max_a Q_a`` as
  ``tau -> 0``);
- policy ``pi_a = exp((Q_a - V_soft) / tau)`` and its entropy ``H = -sum_a pi_a ln pi_a`` (nats);
- true value of the followed policy ``V_true = sum_a pi_a Q_a`` (expected extrinsic return);
- true value of the optimum ``V_opt = max_a Q_a``; chosen value ``Q_chosen``.

The identity ``V_soft = V_true + tau * H`` links them: soft and true values differ by the
entropy bonus, so they separate only when the temperature and the choice uncertainty are large.

Two-offer economic choice (Padoa-Schioppa): offers of ``qA`` drops of juice A and ``qB`` drops of
juice B, relative value ``rho`` (1 A = rho B). Offer values in units of juice B are
``vA = rho * qA`` and ``vB = qB``; with the linear choice rule (see
:class:`neuromop.values.choice_models.RelativeValueLogit`, ``form="linear"``) choices are a
softmax over ``(vA, vB)`` with temperature ``tau = 1 / steepness``.

For a :class:`neuromop.mdp.FiniteMDP`, :func:`mdp_values` uses the package solvers
(``solve_maxent``, ``solve_reward``, ``policy_evaluation``) to give the same signals per visited
state.
"""

from __future__ import annotations

import numpy as np
import xarray as xr
from scipy.special import logsumexp

from neuromop._checks import as_array, check_finite_array, check_real
from neuromop._provenance import provenance
from neuromop.mdp.model import FiniteMDP
from neuromop.mdp.solvers import policy_evaluation, solve_maxent, solve_reward

__all__ = [
    "bandit_values",
    "dra_values",
    "mdp_values",
    "policy_entropy",
    "soft_value",
    "softmax_policy",
    "two_offer_values",
]


def _check_q(name: str, Q: object) -> np.ndarray:
    q = as_array(name, Q, dtype=float)
    if q.ndim == 0:
        raise ValueError(f"{name} must have at least one axis (actions last), got a scalar")
    if q.shape[-1] == 0:
        raise ValueError(f"{name} must hold at least one action (last axis), got shape {q.shape}")
    if np.any(np.isnan(q)) or np.any(np.isposinf(q)):
        raise ValueError(f"{name} must not contain NaN or +inf (use -inf for inadmissible actions)")
    if np.any(np.all(np.isneginf(q), axis=-1)):
        raise ValueError(f"{name} has a row where every action is -inf (no admissible action)")
    return q


def soft_value(Q: object, temperature: float) -> np.ndarray:
    """Soft value ``tau * ln sum_a exp(Q_a / tau)`` over the last axis.

    Parameters
    ----------
    Q : array_like, shape (..., n_actions)
        Action values (value units); ``-inf`` marks inadmissible actions.
    temperature : float
        ``tau > 0``, in value units.

    Returns
    -------
    numpy.ndarray, shape (...)
    """
    tau = check_real("temperature", temperature, low=0.0, low_inclusive=False)
    q = _check_q("Q", Q)
    top = q.max(axis=-1)  # shifted by the best action: no overflow at small temperatures
    return top + tau * logsumexp((q - top[..., None]) / tau, axis=-1)


def softmax_policy(Q: object, temperature: float) -> np.ndarray:
    """Softmax policy ``pi_a = exp((Q_a - V_soft) / tau)`` over the last axis (rows sum to 1)."""
    tau = check_real("temperature", temperature, low=0.0, low_inclusive=False)
    q = _check_q("Q", Q)
    z = (q - q.max(axis=-1, keepdims=True)) / tau  # <= 0: no overflow at small temperatures
    return np.exp(z - logsumexp(z, axis=-1, keepdims=True))


def policy_entropy(policy: object) -> np.ndarray:
    """Entropy ``-sum_a pi_a ln pi_a`` (nats) over the last axis; ``0 ln 0 = 0``."""
    p = check_finite_array("policy", policy)
    if np.any(p < 0) or not np.allclose(p.sum(axis=-1), 1.0, atol=1e-8):
        raise ValueError("policy must be non-negative with rows summing to 1 over the last axis")
    with np.errstate(divide="ignore", invalid="ignore"):
        terms = np.where(p > 0, p * np.log(np.where(p > 0, p, 1.0)), 0.0)
    return -terms.sum(axis=-1)


def _signals_from_q(q: np.ndarray, tau: float, chosen: np.ndarray | None) -> dict[str, np.ndarray]:
    pi = softmax_policy(q, tau)
    finite_q = np.where(np.isneginf(q), 0.0, q)
    out = {
        "value_soft": soft_value(q, tau),
        "value_true": (pi * finite_q).sum(axis=-1),
        "value_max": q.max(axis=-1),
        "policy_entropy": policy_entropy(pi),
        "policy": pi,
        "q_soft": q,
    }
    if chosen is not None:
        out["value_chosen"] = np.take_along_axis(q, chosen[:, None], axis=-1)[:, 0]
    return out


def _check_chosen(chosen: object, n_trials: int, n_actions: int,
                  name: str = "chosen") -> np.ndarray:
    c = as_array(name, chosen)
    if c.shape != (n_trials,):
        raise ValueError(f"{name} must have shape ({n_trials},), got {c.shape}")
    if c.dtype.kind not in "iu" or np.any((c < 0) | (c >= n_actions)):
        raise ValueError(f"{name} must hold integer action indices in [0, {n_actions}), "
                         f"got {c[:5]}")
    return c.astype(np.int64)


def bandit_values(Q: object, temperature: float, *, chosen: object = None,
                  trial: object = None) -> xr.Dataset:
    """Per-trial soft and true values for a softmax agent choosing among actions.

    Parameters
    ----------
    Q : array_like, shape (n_trials, n_actions)
        Action values on each trial before the choice (e.g. Q-learning values; value units).
    temperature : float
        Softmax temperature ``tau > 0`` (value units).
    chosen : array_like of int, shape (n_trials,), optional
        Index of the chosen action, giving ``value_chosen``.
    trial : array_like, optional
        Trial coordinate (default ``0..n_trials-1``).

    Returns
    -------
    xarray.Dataset
        Dims ``(trial, action)``: ``value_soft``, ``value_true`` (``sum_a pi_a Q_a``),
        ``value_max``, ``policy_entropy`` (nats), ``value_chosen`` (if ``chosen``),
        ``policy`` and ``q_soft`` (trial, action); provenance in ``attrs``.
    """
    q = _check_q("Q", Q)
    if q.ndim != 2:
        raise ValueError(f"Q must be 2-dimensional (trial, action), got shape {q.shape}")
    tau = check_real("temperature", temperature, low=0.0, low_inclusive=False)
    c = None if chosen is None else _check_chosen(chosen, q.shape[0], q.shape[1])
    sig = _signals_from_q(q, tau, c)
    return _to_dataset(sig, q.shape[0], trial,
                       provenance("neuromop.values.signals.bandit_values", temperature=tau))


def _to_dataset(sig: dict, n_trials: int, trial: object, attrs: dict) -> xr.Dataset:
    coord = np.arange(n_trials) if trial is None else as_array("trial", trial)
    if coord.shape != (n_trials,):
        raise ValueError(f"trial must have shape ({n_trials},), got {coord.shape}")
    data = {}
    for name, arr in sig.items():
        dims = ("trial", "action") if np.ndim(arr) == 2 else ("trial",)
        data[name] = (dims, np.asarray(arr))
    ds = xr.Dataset(data, coords={"trial": coord})
    ds.attrs.update(attrs)
    ds.attrs["value_units"] = "value units of the input (juice-B drops for two-offer tasks)"
    return ds


def two_offer_values(offer_a: object, offer_b: object, *, rho: float, temperature: float,
                     chosen: object = None, trial: object = None) -> xr.Dataset:
    """Soft and true values for two-offer economic choices (offer ``qA`` of A vs ``qB`` of B).

    Offer values in units of juice B are ``vA = rho * qA`` and ``vB = qB``; the agent is the
    softmax over ``(vA, vB)`` with temperature ``tau`` (the linear relative-value logit).

    Parameters
    ----------
    offer_a, offer_b : array_like, shape (n_trials,)
        Quantities offered (drops, >= 0).
    rho : float
        Relative value (1 drop of A is worth ``rho`` drops of B), > 0.
    temperature : float
        ``tau = 1 / steepness`` in juice-B units, > 0.
    chosen : array_like, shape (n_trials,), optional
        0 for A, 1 for B.
    trial : array_like, optional
        Trial coordinate.

    Returns
    -------
    xarray.Dataset
        As :func:`bandit_values` (action coordinate ``["A", "B"]``) plus ``offer_value_A``,
        ``offer_value_B``; ``attrs`` hold ``rho`` and ``temperature``.
    """
    qa = check_finite_array("offer_a", offer_a, ndim=1)
    qb = check_finite_array("offer_b", offer_b, ndim=1)
    if qa.shape != qb.shape:
        raise ValueError("offer_a and offer_b must have the same shape, got "
                         f"{qa.shape} and {qb.shape}")
    if np.any(qa < 0) or np.any(qb < 0):
        raise ValueError("offer_a and offer_b must be non-negative quantities")
    r = check_real("rho", rho, low=0.0, low_inclusive=False)
    tau = check_real("temperature", temperature, low=0.0, low_inclusive=False)
    q = np.stack([r * qa, qb], axis=1)
    c = None if chosen is None else _check_chosen(chosen, q.shape[0], 2)
    sig = _signals_from_q(q, tau, c)
    sig["offer_value_A"] = q[:, 0]
    sig["offer_value_B"] = q[:, 1]
    attrs = provenance("neuromop.values.signals.two_offer_values", rho=r, temperature=tau)
    ds = _to_dataset(sig, q.shape[0], trial, attrs)
    ds = ds.assign_coords(action=["A", "B"])
    ds.attrs.update(rho=r, temperature=tau)
    return ds


def _check_states(mdp: object, states: object) -> np.ndarray:
    """``states`` as state indices of ``mdp`` (checked to be a FiniteMDP)."""
    if not isinstance(mdp, FiniteMDP):
        raise TypeError(f"mdp must be a FiniteMDP, got {type(mdp).__name__}")
    s = as_array("states", states)
    if s.ndim != 1 or s.dtype.kind not in "iu" or np.any((s < 0) | (s >= mdp.n_states)):
        raise ValueError(f"states must be a 1-d array of state indices in [0, {mdp.n_states})")
    return s


def mdp_values(mdp, states: object, *, temperature: float, actions: object = None,
               reward: object = None, gamma: float = 0.99, tol: float = 1e-8) -> xr.Dataset:
    """Soft and true values of visited states of a :class:`neuromop.mdp.FiniteMDP`.

    Solves the MaxEnt problem (``solve_maxent``) for the soft values ``V_soft``, ``Q_soft``
    and the soft policy, evaluates the extrinsic return of that policy (``policy_evaluation``:
    ``value_true``) and of the reward-optimal policy (``solve_reward`` with ``epsilon=0``:
    ``value_opt``), then indexes them at ``states``.

    Parameters
    ----------
    mdp : neuromop.mdp.FiniteMDP
    states : array_like of int, shape (n_trials,)
        Visited state index per trial/time step.
    temperature : float
        MaxEnt temperature ``tau > 0`` (reward units).
    actions : array_like of int, optional
        Chosen action per trial, giving ``value_chosen`` (soft Q of the chosen action) and
        ``value_chosen_true`` (extrinsic Q of the chosen action under the followed policy).
    reward : array_like, optional
        Extrinsic reward (S, A) or (S, A, K); default ``mdp.reward``.
    gamma : float
        Discount factor in [0, 1).
    tol : float
        Solver tolerance.

    Returns
    -------
    xarray.Dataset
        Dims ``(trial, action)``: ``value_soft``, ``value_true``, ``value_opt``,
        ``policy_entropy``, ``q_soft``, ``policy`` (+ chosen values).
    """

    tau = check_real("temperature", temperature, low=0.0, low_inclusive=False)
    g = check_real("gamma", gamma, low=0.0, high=1.0, high_inclusive=False)
    s = _check_states(mdp, states)
    rew = mdp.reward if reward is None else as_array("reward", reward, dtype=float)
    if rew is None:
        raise ValueError("reward is required when mdp.reward is None (true values need a reward)")
    soft = solve_maxent(mdp, temperature=tau, reward=rew, gamma=g, tol=tol)
    v_true = policy_evaluation(mdp, soft.policy, rew, g)
    opt = solve_reward(mdp, epsilon=0.0, gamma=g, reward=rew, tol=tol)
    r_sa = rew if rew.ndim == 2 else (mdp.probs * rew).sum(axis=-1)
    q_true = r_sa + g * mdp.expectation(v_true)
    q_true = np.where(mdp.action_mask, q_true, -np.inf)
    sig = {
        "value_soft": soft.V[s],
        "value_true": v_true[s],
        "value_opt": opt.V[s],
        "policy_entropy": soft.action_entropy()[s],
        "q_soft": soft.Q[s],
        "policy": soft.policy[s],
    }
    if actions is not None:
        a = _check_chosen(actions, s.size, mdp.n_actions, "actions")
        if not np.all(mdp.action_mask[s, a]):
            raise ValueError("actions contains an inadmissible action for its state")
        sig["value_chosen"] = soft.Q[s, a]
        sig["value_chosen_true"] = q_true[s, a]
    attrs = provenance("neuromop.values.signals.mdp_values", temperature=tau, gamma=g,
                       mdp=getattr(mdp, "name", "mdp"))
    ds = _to_dataset(sig, s.size, None, attrs)
    return ds.assign_coords(state=("trial", s))


def dra_values(agent, mdp, states: object, *, actions: object = None, reward: object = None,
               gamma: float | None = None) -> xr.Dataset:
    """Per-trial signals of a fitted DRA agent (Patel, Acerbi & Pouget 2020).

    Parameters
    ----------
    agent : neuromop.mdp.dra.DRAAgent
        Fitted agent (``q_mean_``, ``q_std_``, ``policy_``, ``beta``).
    mdp : neuromop.mdp.FiniteMDP
        Its world (for the true value of the agent's policy).
    states : array_like of int, shape (n_trials,)
        Visited states.
    actions : array_like of int, optional
        Chosen actions (``value_chosen`` = memory mean of the chosen action).
    reward : array_like, optional
        Extrinsic reward (default ``mdp.reward``).
    gamma : float, optional
        Discount for the true value (default the agent's ``gamma``, capped at 0.999).

    Returns
    -------
    xarray.Dataset
        ``memory_mean`` and ``memory_precision`` (``1 / sigma**2``; NaN at inadmissible actions,
        inf at terminal states, which hold no memory) over (trial, action); ``value_soft``
        ``= (1 / beta) ln sum_a exp(beta qbar_a)`` (the soft value of the memory means at the
        agent's temperature ``1 / beta``), ``value_true`` (extrinsic return of ``policy_``),
        ``value_max`` (max memory mean), ``policy_entropy`` (nats), ``policy``.
    """

    for attr in ("q_mean_", "q_std_", "policy_"):
        if not hasattr(agent, attr):
            raise ValueError(f"agent must be a fitted DRAAgent (missing {attr}); call fit first")
    s = _check_states(mdp, states)
    g = min(float(agent.gamma), 0.999) if gamma is None else check_real(
        "gamma", gamma, low=0.0, high=1.0, high_inclusive=False)
    rew = mdp.reward if reward is None else as_array("reward", reward, dtype=float)
    v_true = policy_evaluation(mdp, agent.policy_, rew, g)
    qbar = agent.q_mean_[s]
    std = agent.q_std_[s]
    with np.errstate(divide="ignore"):
        precision = np.where(np.isnan(std), np.nan, 1.0 / std**2)
    beta = float(agent.beta)
    sig = {
        "memory_mean": qbar,
        "memory_precision": precision,
        "value_soft": soft_value(qbar, 1.0 / beta),
        "value_true": v_true[s],
        "value_max": qbar.max(axis=-1),
        "policy_entropy": policy_entropy(agent.policy_[s]),
        "policy": agent.policy_[s],
    }
    if actions is not None:
        a = _check_chosen(actions, s.size, mdp.n_actions, "actions")
        sig["value_chosen"] = qbar[np.arange(s.size), a]
    attrs = provenance("neuromop.values.signals.dra_values", beta=beta, gamma=g,
                       lambda_=float(agent.lambda_))
    return _to_dataset(sig, s.size, None, attrs).assign_coords(state=("trial", s))
