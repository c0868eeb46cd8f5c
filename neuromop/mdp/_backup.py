"""Shared machinery of the exact tabular solvers: argument checks, the sparse expectation
operator, convergence reporting, policies from Q, and the reward table."""

from __future__ import annotations

import warnings

import numpy as np
import scipy.sparse as sp

from neuromop._checks import as_array, check_choice, check_int, check_real
from neuromop.mdp.model import FiniteMDP

try:  # the compiled kernel behind ``csr_matrix @ vector``, called without per-call checks
    from scipy.sparse._sparsetools import csr_matvec as _csr_matvec
except ImportError:  # pragma: no cover - private scipy module moved
    _csr_matvec = None


class ConvergenceWarning(RuntimeWarning):
    """Value iteration stopped at ``max_sweeps`` before the sup-norm change fell below ``tol``."""


#: Stopping rules of the value iterations: the authors' per-sweep change, or a bound on the
#: distance to the fixed point.
STOP_RULES = ("change", "bound")


def stop_tolerance(stop: object, tol: float, gamma: float) -> float:
    """The sup-norm change of V between sweeps below which a solver stops.

    ``stop="change"``: ``tol`` itself (the authors' rule; V may then lie up to
    ``tol * gamma / (1 - gamma)`` from the fixed point). ``stop="bound"``: ``tol (1 - gamma) /
    gamma``, so that the contraction bound ``change * gamma / (1 - gamma)`` on the distance to
    the fixed point is below ``tol`` (the soft and hard backups are gamma-contractions in the
    sup norm); needs ``gamma < 1``.
    """
    check_choice("stop", stop, list(STOP_RULES))
    if stop == "change" or gamma == 0.0:
        return tol
    if gamma >= 1.0:
        raise ValueError("stop='bound' needs gamma < 1: the bound change * gamma / (1 - gamma) "
                         "on the distance to the fixed point is infinite at gamma = 1; use "
                         "stop='change'")
    return tol * (1.0 - gamma) / gamma


def _check_mdp(mdp: object) -> FiniteMDP:
    if not isinstance(mdp, FiniteMDP):
        raise TypeError(f"mdp must be a neuromop.mdp.FiniteMDP, got {type(mdp).__name__}")
    return mdp


def _check_common(gamma: object, tol: object, max_sweeps: object) -> tuple[float, float, int]:
    return (
        check_real("gamma", gamma, low=0.0, high=1.0),
        check_real("tol", tol, low=0.0, low_inclusive=False),
        check_int("max_sweeps", max_sweeps, low=1),
    )


class _Expect:
    """E[v(s') | s, a] in action-major layout (A, S) by one sparse matrix-vector product."""

    def __init__(self, mdp: FiniteMDP) -> None:
        S, A, K = mdp.probs.shape
        self.shape = (A, S)
        self.mask = np.ascontiguousarray(mdp.action_mask.T)
        p = mdp.probs.transpose(1, 0, 2)  # (A, S, K)
        nz = p > 0
        rows = np.broadcast_to(np.arange(A * S).reshape(A, S, 1), p.shape)[nz]
        self.P = sp.csr_matrix(
            (p[nz], (rows, mdp.next_states.transpose(1, 0, 2)[nz])), shape=(A * S, S)
        )
        self.P.sum_duplicates()
        self.P.data = self.P.data.astype(np.float64, copy=False)

    def __call__(self, v: np.ndarray, out: np.ndarray) -> np.ndarray:
        _matvec(self.P, v, out.reshape(-1))  # ``out`` is C-contiguous (A, S): a view
        return out


def _matvec(M: sp.csr_matrix, x: np.ndarray, out: np.ndarray) -> np.ndarray:
    """``out[:] = M @ x`` for a float64 CSR matrix, without allocation or dispatch overhead."""
    if _csr_matvec is None:  # pragma: no cover
        out[...] = M @ x
        return out
    out.fill(0.0)
    _csr_matvec(M.shape[0], M.shape[1], M.indptr, M.indices, M.data, x, out)
    return out


def _finish(
    name: str, gamma: float, delta: float, tol: float, sweeps: int, max_sweeps: int
) -> bool:
    converged = bool(delta < tol)
    if converged:
        return True
    message = (
        f"{name} did not converge within max_sweeps={max_sweeps} sweeps: the last sup-norm "
        f"change of V was {delta:.3g}, above tol={tol:g}"
    )
    if gamma == 1.0:
        raise RuntimeError(
            message + ". With gamma=1 values are finite only if every path reaches a terminal "
            "state; use gamma < 1 or raise max_sweeps"
        )
    warnings.warn(message + "; raise max_sweeps or tol", ConvergenceWarning, stacklevel=3)
    return converged


def _softmax_policy(QT: np.ndarray, scale: float, mask: np.ndarray) -> np.ndarray:
    """pi(a|s) = softmax_a(Q/scale) over admissible actions; returns (S, A)."""
    Z = QT / scale
    Z -= Z.max(axis=0)
    np.exp(Z, out=Z)
    Z[~mask] = 0.0
    Z /= Z.sum(axis=0)
    return np.ascontiguousarray(Z.T)


def _epsilon_greedy(QT: np.ndarray, mask: np.ndarray, epsilon: float, tie_tol: float) -> np.ndarray:
    """Epsilon-greedy policy (A, S) with the greedy share split evenly among tied actions."""
    Q = np.where(mask, QT, -np.inf)
    best = Q.max(axis=0)
    greedy = (Q >= best - tie_tol * (1.0 + np.abs(best))) & mask
    return (1.0 - epsilon) * greedy / greedy.sum(axis=0) + epsilon * mask / mask.sum(axis=0)


def _reward_table(mdp: FiniteMDP, reward: object, default: str) -> tuple[np.ndarray, str]:
    """Expected reward r(s, a) as (S, A), 0 at terminal and inadmissible (s, a)."""
    S, A = mdp.n_states, mdp.n_actions
    if reward is None:
        reward = mdp.reward if mdp.reward is not None else default
    if isinstance(reward, str):
        check_choice("reward", reward, ["alive"])
        r = np.ones((S, A))
        label = "alive"
    else:
        arr = as_array("reward", reward)
        if arr.dtype.kind not in "biuf":
            raise TypeError(f"reward must be a real-valued array, got dtype {arr.dtype}")
        K = mdp.max_successors
        if arr.shape == (S, A, S) and K != S:  # dense r(s, a, s'), as from_dense takes it
            arr = np.take_along_axis(arr, mdp.next_states, axis=-1)
        if arr.shape not in {(S, A), (S, A, K)}:
            raise ValueError(
                f"reward must have shape (S, A) = {(S, A)}, (S, A, K) = {(S, A, K)} (per "
                f"successor slot) or (S, A, S) = {(S, A, S)} (dense), got shape {arr.shape}"
            )
        if not np.all(np.isfinite(arr)):
            raise ValueError("reward must be finite, got NaN/inf value(s)")
        r = mdp.expected_reward(arr.astype(np.float64))
        label = "array"
    r = np.where(mdp.action_mask & ~mdp.terminal[:, None], r, 0.0)
    return r, label
