"""Exact tabular solvers: Maximum Occupancy (MOP), reward-maximising (R) and MaxEnt agents.

All solvers run synchronous value iteration from V = 0 and stop when the sup-norm change of V
between two sweeps is below ``tol`` (``stop="change"``, the authors' rule) or when the
contraction bound on the distance to the fixed point, change x gamma / (1 - gamma), is
(``stop="bound"``). Each sweep is vectorised over states, actions and successors
(one Python loop over sweeps). Arrays are laid out action-major, shape (A, S), so reductions over
actions are element-wise operations on contiguous rows.

MOP (Ramírez-Ruiz et al., Nat. Commun. 2024), reward -alpha ln pi(a|s) - beta ln p(s'|s,a):

    V(s) = alpha ln sum_{a in A(s)} exp((beta H(S'|s,a) + gamma E[V(s')]) / alpha),
    pi(a|s) = exp((Q(s,a) - V(s)) / alpha),  Q(s,a) = beta H(S'|s,a) + gamma E[V(s')].

The soft backups (MOP, MaxEnt) use one shared exponent shift per sweep, so single-successor
(deterministic) entries factorise: exp(gamma V(s')/alpha) is computed once per state and summed over
actions by a sparse matrix-vector product; only stochastic (s, a) entries need an exponential of
their own. Rows whose shifted sum underflows (values spread over more than ~700 nats) are
recomputed exactly with their own maximum, so results stay exact for large V and gamma -> 1.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import scipy.sparse as sp
import scipy.sparse.linalg as spla

from neuromop._checks import as_array, check_choice, check_real
from neuromop.mdp._backup import (  # noqa: F401 (_epsilon_greedy, _softmax_policy: learning.py)
    ConvergenceWarning,
    _check_common,
    _check_mdp,
    _epsilon_greedy,
    _Expect,
    _finish,
    _matvec,
    _reward_table,
    _softmax_policy,
    stop_tolerance,
)
from neuromop.mdp.endless import closed_set, refuse_endless_paths
from neuromop.mdp.model import FiniteMDP

__all__ = [
    "ConvergenceWarning",
    "SolveResult",
    "policy_evaluation",
    "solve_maxent",
    "solve_mop",
    "solve_reward",
]

ConvergenceWarning.__module__ = __name__  # public here; defined with the machinery that raises it

_TINY = 1e-280  # below this a shifted exp-sum is recomputed with a per-row maximum


@dataclass(frozen=True)
class SolveResult:
    """Solution of a finite MDP for one agent.

    Attributes
    ----------
    V : ndarray, shape (S,)
        State values (0 at terminal states), in reward units (nats for MOP).
    Q : ndarray, shape (S, A)
        Action values; ``-inf`` at inadmissible actions.
    policy : ndarray, shape (S, A)
        pi(a|s); rows sum to 1 over admissible actions, 0 elsewhere.
    sweeps : int
        Number of value-iteration sweeps performed.
    converged : bool
        Whether the stopping rule was met: the last sweep changed V by less than ``tol`` (sup
        norm; ``stop="change"``), or the bound ``change * gamma / (1 - gamma)`` on the distance
        to the fixed point fell below ``tol`` (``stop="bound"``).
    agent : str
        ``"mop"``, ``"reward"`` or ``"maxent"``.
    params : dict
        Parameters of the solve (alpha, beta, gamma, tol, epsilon, temperature, ...).
    V_true : ndarray, shape (S,), optional
        MaxEnt: extrinsic (true) discounted return of the induced policy.
    """

    V: np.ndarray
    Q: np.ndarray
    policy: np.ndarray
    sweeps: int
    converged: bool
    agent: str
    params: dict[str, Any] = field(default_factory=dict)
    V_true: np.ndarray | None = None

    def action_entropy(self) -> np.ndarray:
        """Entropy of pi(.|s) per state, in nats; shape (S,)."""
        p = self.policy
        logp = np.log(p, out=np.zeros_like(p), where=p > 0)
        return 0.0 - (p * logp).sum(axis=1)

    def __repr__(self) -> str:
        return (
            f"SolveResult(agent={self.agent!r}, n_states={self.V.shape[0]}, sweeps={self.sweeps}, "
            f"converged={self.converged}, params={self.params})"
        )


# ---------------------------------------------------------------------- soft value iteration
def _soft_iteration(
    mdp: FiniteMDP, bonus: np.ndarray, gamma: float, scale_tol: float, max_sweeps: int
) -> tuple[np.ndarray, int, float]:
    """Sweeps of u(s) = ln sum_a exp(bonus(s,a) + gamma E[u(s')]), u = 0 at terminal states.

    Every term is computed as exp(exponent - C) with one shared shift
    C = gamma max u + max bonus - headroom, so exponents stay <= headroom (~700) and no sum can
    overflow. Single-successor entries factorise, exp(bonus(s,a) - b_det) * w(s') with
    w(s') = exp(gamma u(s') + b_det - C), so they cost S exponentials in total; stochastic entries
    (and single-successor ones whose factor would underflow) get one exponential each. A term is
    lost only when it is below e^-745 while rows whose total falls below ``_TINY`` (e^-644) are
    recomputed exactly with their own maximum, so no row loses a relevant term.
    """
    S, A, K = mdp.probs.shape
    live = mdp.action_mask & ~mdp.terminal[:, None]
    n_succ = np.count_nonzero(mdp.probs > 0, axis=-1)
    det = live & (n_succ == 1)
    bmax = float(bonus[live].max()) if live.any() else 0.0
    b_det = float(bonus[det].max()) if det.any() else 0.0
    factor = det & (bonus - b_det > -600.0)
    indiv = live & ~factor
    # factorised entries: M[s, s'] = sum_a exp(bonus(s,a) - b_det); terminal rows -> dummy S
    ds, da = np.nonzero(factor)
    succ = np.take_along_axis(mdp.next_states, np.argmax(mdp.probs, -1)[..., None], -1)[..., 0]
    term = np.flatnonzero(mdp.terminal)
    M = sp.csr_matrix(
        (
            np.concatenate([np.exp(bonus[ds, da] - b_det), np.ones(term.size)]),
            (np.concatenate([ds, term]), np.concatenate([succ[ds, da], np.full(term.size, S)])),
        ),
        shape=(S, S + 1),
    )
    M.sum_duplicates()
    M.data = M.data.astype(np.float64, copy=False)
    # individual entries: one row each in P_sto, summed into their state with bincount
    ss, sa = np.nonzero(indiv)
    p = mdp.probs[ss, sa]
    nz = p > 0
    P_sto = sp.csr_matrix(
        (
            p[nz],
            (
                np.broadcast_to(np.arange(ss.size)[:, None], p.shape)[nz],
                mdp.next_states[ss, sa][nz],
            ),
        ),
        shape=(ss.size, S),
    )
    b_sto = bonus[ss, sa] - bmax
    # exact fallback: per-row logsumexp from the same sparse pieces
    succ_det = np.where(factor, succ, S)
    bonus_det = np.where(factor, bonus, 0.0)
    u_ext = np.full(S + 1, -np.inf)
    is_bad = np.zeros(S, dtype=bool)
    pos = np.zeros(S, dtype=np.int64)
    ev_sto = np.zeros(ss.size)
    total = np.empty(S)
    # exponents may reach `headroom`: sums of <= A terms then stay below the float64 maximum
    headroom = 705.0 - np.log(A)
    keep = (~mdp.terminal).astype(np.float64)
    u = np.zeros(S)
    new = np.empty(S)
    w = np.ones(S + 1)
    diff = np.empty(S)
    delta = np.inf
    sweeps = 0
    with np.errstate(divide="ignore", under="ignore"):
        for sweeps in range(1, max_sweeps + 1):  # noqa: B007
            g_max = gamma * float(np.maximum.reduce(u)) - headroom  # C = g_max + bmax
            np.multiply(u, gamma, out=w[:S])
            w[:S] -= g_max + (bmax - b_det)
            np.exp(w[:S], out=w[:S])
            _matvec(M, w, total)
            if ss.size:
                _matvec(P_sto, u, ev_sto)
                z = ev_sto * gamma
                z += b_sto
                z -= g_max
                np.exp(z, out=z)
                total += np.bincount(ss, weights=z, minlength=S)
            np.log(total, out=new)
            new += g_max + bmax
            if (
                np.minimum.reduce(total) < _TINY
            ):  # the shared shift underflowed: exact per-row maximum
                bad = np.flatnonzero((total < _TINY) & ~mdp.terminal)
                u_ext[:S] = u
                Z = np.where(
                    succ_det[bad] < S, bonus_det[bad] + gamma * u_ext[succ_det[bad]], -np.inf
                )
                if ss.size:
                    is_bad[bad] = True
                    pos[bad] = np.arange(bad.size)
                    e = np.flatnonzero(is_bad[ss])
                    Z[pos[ss[e]], sa[e]] = bonus[ss[e], sa[e]] + gamma * ev_sto[e]
                    is_bad[bad] = False
                m = Z.max(axis=1)
                new[bad] = m + np.log(np.exp(Z - m[:, None]).sum(axis=1))
            new *= keep
            np.subtract(new, u, out=diff)
            np.abs(diff, out=diff)
            delta = float(np.maximum.reduce(diff))
            u, new = new, u
            if delta < scale_tol:
                break
    return u, sweeps, delta


# ---------------------------------------------------------------------- MOP
def solve_mop(
    mdp: FiniteMDP,
    alpha: float = 1.0,
    beta: float = 0.0,
    gamma: float = 0.99,
    tol: float = 1e-2,
    max_sweeps: int = 100_000,
    stop: str = "change",
) -> SolveResult:
    """Solve the Maximum Occupancy (MOP) agent by soft value iteration.

    Parameters
    ----------
    mdp : FiniteMDP
        The world.
    alpha : float
        Weight of action entropy (> 0); V is in nats times alpha.
    beta : float
        Weight of successor-state entropy (>= 0); it matters only for stochastic transitions.
    gamma : float
        Discount factor in [0, 1]. With gamma = 1 a world in which the agent can avoid every
        terminal state forever while choosing among actions gives infinite values: refused at
        once with a ``ValueError``.

    Warns
    -----
    UserWarning
        When ``mdp`` carries a reward: MOP has no extrinsic reward, so it is ignored.
    tol : float
        Stop when the sup-norm change of V between sweeps is below ``tol`` (nats); see ``stop``.
    max_sweeps : int
        Maximum number of sweeps; a ``ConvergenceWarning`` is issued when reached (gamma < 1).
    stop : {"change", "bound"}, default "change"
        ``"change"`` stops when one sweep changes V by less than ``tol`` (the authors' rule: V
        may then lie up to ``tol * gamma / (1 - gamma)`` from the fixed point); ``"bound"``
        stops when that bound itself is below ``tol`` (needs ``gamma < 1``).

    Returns
    -------
    SolveResult
        ``V`` (S,), ``Q = beta H + gamma E[V]`` (S, A), softmax ``policy`` (S, A).
    """
    mdp = _check_mdp(mdp)
    alpha = check_real("alpha", alpha, low=0.0, low_inclusive=False)
    beta = check_real("beta", beta, low=0.0)
    if mdp.reward is not None:
        warnings.warn(f"solve_mop ignores the reward attached to MDP {mdp.name!r}: the MOP agent "
                      "maximises action (and state) path entropy only; solve_reward or "
                      "solve_maxent use the reward", UserWarning, stacklevel=2)
    gamma, tol, max_sweeps = _check_common(gamma, tol, max_sweeps)
    tol_stop = stop_tolerance(stop, tol, gamma)
    H = mdp.successor_entropy()
    if gamma == 1.0:
        closed = closed_set(mdp, mdp.action_mask)
        choice = mdp.action_mask.sum(axis=1) > 1
        if beta > 0:
            choice |= ((H > 0) & mdp.action_mask).any(axis=1)
        if (closed & choice).any():
            refuse_endless_paths(mdp, "MOP", closed,
                                  "and gain action or state entropy at every step")
    u, sweeps, delta = _soft_iteration(mdp, beta * H / alpha, gamma, tol_stop / alpha,
                                       max_sweeps)
    mask = np.ascontiguousarray(mdp.action_mask.T)
    converged = _finish("solve_mop", gamma, alpha * delta, tol_stop, sweeps, max_sweeps)
    V = alpha * u
    QT = np.ascontiguousarray((gamma * mdp.expectation(V) + beta * H).T)
    QT[~mask] = -np.inf
    policy = _softmax_policy(QT, alpha, mask)
    params = {"alpha": alpha, "beta": beta, "gamma": gamma, "tol": tol, "max_sweeps": max_sweeps,
              "stop": stop}
    return SolveResult(V, np.ascontiguousarray(QT.T), policy, sweeps, converged, "mop", params)


# ---------------------------------------------------------------------- R agent
def solve_reward(
    mdp: FiniteMDP,
    epsilon: float = 0.0,
    gamma: float = 0.99,
    reward: np.ndarray | str | None = None,
    tol: float = 1e-2,
    max_sweeps: int = 100_000,
    tie_tol: float = 1e-9,
    stop: str = "change",
) -> SolveResult:
    """Solve the reward-maximising (R) agent with the epsilon-greedy mix inside the backup.

    ``Q(s,a) = r(s,a) + gamma E[V(s')]``, ``V(s) = (1-eps) max_a Q + eps mean_{a in A(s)} Q``,
    with V = 0 at terminal states.

    Parameters
    ----------
    mdp : FiniteMDP
        The world.
    epsilon : float
        Exploration probability in [0, 1].
    gamma : float
        Discount factor in [0, 1].
    reward : array (S, A), (S, A, K) or (S, A, S), ``"alive"`` or None
        Extrinsic reward: r(s, a), per successor slot r(s, a, k) (as ``mdp.reward`` stores it)
        or dense r(s, a, s') (as :meth:`FiniteMDP.from_dense` takes it; when K equals S the
        shapes coincide and the array is read as slots: convert a dense one with
        ``np.take_along_axis(R, mdp.next_states, axis=-1)``). ``None`` uses ``mdp.reward`` or,
        when the world has none, ``"alive"``: +1 per step alive (0 once terminal).
    tol : float
        Sup-norm stopping tolerance on V (reward units).
    max_sweeps : int
        Maximum number of sweeps.
    tie_tol : float
        Actions with ``Q >= max Q - tie_tol * (1 + |max Q|)`` are tied; the greedy share
        ``1 - epsilon`` is split evenly among them.
    stop : {"change", "bound"}, default "change"
        Stopping rule, as in :func:`solve_mop`.

    Returns
    -------
    SolveResult
        ``policy`` is the epsilon-greedy behaviour policy.
    """
    mdp = _check_mdp(mdp)
    epsilon = check_real("epsilon", epsilon, low=0.0, high=1.0)
    gamma, tol, max_sweeps = _check_common(gamma, tol, max_sweeps)
    tie_tol = check_real("tie_tol", tie_tol, low=0.0)
    tol_stop = stop_tolerance(stop, tol, gamma)
    r, label = _reward_table(mdp, reward, "alive")
    if gamma == 1.0 and epsilon < 1.0:
        # greedy (epsilon = 0): one paying action that stays suffices; epsilon > 0 tries every
        # action, so all of them must stay and pay
        closed = closed_set(mdp, mdp.action_mask & (r > 0), every=epsilon > 0)
        refuse_endless_paths(mdp, "reward", closed, "and collect positive reward at every step")
    ex = _Expect(mdp)
    S, A = mdp.n_states, mdp.n_actions
    rT = np.ascontiguousarray(r.T)
    inv_n = 1.0 / ex.mask.sum(axis=0)
    keep = (~mdp.terminal).astype(np.float64)
    V = np.zeros(S)
    new = np.empty(S)
    work = np.empty(S)
    QT = np.empty((A, S))
    inadmissible = np.where(ex.mask, 0.0, -np.inf)
    Qmax = np.empty((A, S))
    delta = np.inf
    sweeps = 0
    for sweeps in range(1, max_sweeps + 1):  # noqa: B007
        ex(V, QT)  # 0 at inadmissible (s, a), as is rT
        QT *= gamma
        QT += rT
        np.add(QT, inadmissible, out=Qmax)
        np.max(Qmax, axis=0, out=new)
        new *= 1.0 - epsilon
        if epsilon > 0:
            np.sum(QT, axis=0, out=work)
            work *= epsilon * inv_n
            new += work
        new *= keep
        np.subtract(new, V, out=work)
        np.abs(work, out=work)
        delta = float(work.max())
        V, new = new, V
        if delta < tol_stop:
            break
    converged = _finish("solve_reward", gamma, delta, tol_stop, sweeps, max_sweeps)
    ex(V, QT)
    QT *= gamma
    QT += rT
    QT[~ex.mask] = -np.inf
    policy = _epsilon_greedy(QT, ex.mask, epsilon, tie_tol)
    params = {
        "epsilon": epsilon,
        "gamma": gamma,
        "tol": tol,
        "max_sweeps": max_sweeps,
        "reward": label,
        "tie_tol": tie_tol,
        "stop": stop,
    }
    return SolveResult(
        V,
        np.ascontiguousarray(QT.T),
        np.ascontiguousarray(policy.T),
        sweeps,
        converged,
        "reward",
        params,
    )


# ---------------------------------------------------------------------- MaxEnt
def solve_maxent(
    mdp: FiniteMDP,
    temperature: float = 1.0,
    reward: np.ndarray | str | None = None,
    gamma: float = 0.99,
    tol: float = 1e-6,
    max_sweeps: int = 100_000,
    stop: str = "change",
) -> SolveResult:
    """Solve a maximum-entropy (soft-Q) agent with an extrinsic reward.

    ``Q(s,a) = r(s,a) + gamma E[V_soft(s')]``, ``V_soft(s) = tau ln sum_a exp(Q(s,a)/tau)``,
    ``pi = softmax(Q/tau)``; ``V_true`` is the extrinsic discounted return of ``pi``
    (:func:`policy_evaluation`).

    Parameters
    ----------
    mdp : FiniteMDP
        The world.
    temperature : float
        tau > 0, in reward units; tau -> 0 recovers hard-max value iteration.
    reward : array (S, A), (S, A, K) or (S, A, S), ``"alive"`` or None
        Extrinsic reward, in the shapes of :func:`solve_reward`; ``None`` uses ``mdp.reward``
        (required then).
    gamma : float
        Discount factor in [0, 1].
    tol : float
        Sup-norm stopping tolerance on V_soft (reward units).
    max_sweeps : int
        Maximum number of sweeps.
    stop : {"change", "bound"}, default "change"
        Stopping rule, as in :func:`solve_mop`.

    Returns
    -------
    SolveResult
        ``V`` is the soft value, ``V_true`` the extrinsic value of the induced policy.
    """
    mdp = _check_mdp(mdp)
    tau = check_real("temperature", temperature, low=0.0, low_inclusive=False)
    gamma, tol, max_sweeps = _check_common(gamma, tol, max_sweeps)
    if reward is None and mdp.reward is None:
        raise ValueError(
            f"solve_maxent needs an extrinsic reward: MDP {mdp.name!r} has none, pass reward="
        )
    tol_stop = stop_tolerance(stop, tol, gamma)
    r, label = _reward_table(mdp, reward, "alive")
    with np.errstate(over="ignore", invalid="ignore", under="ignore"):
        u, sweeps, delta = _soft_iteration(mdp, r / tau, gamma, tol_stop / tau, max_sweeps)
        delta *= tau
        V = tau * u
        mask = np.ascontiguousarray(mdp.action_mask.T)
        QT = np.ascontiguousarray((gamma * mdp.expectation(V) + r).T)
        QT[~mask] = -np.inf
        policy = _softmax_policy(QT, tau, mask)
    if not (np.all(np.isfinite(V)) and np.all(np.isfinite(policy))):
        raise ValueError(
            f"temperature={tau:g} takes the soft values out of float64 range (reward/temperature "
            f"up to {np.max(np.abs(r)) / tau:.3g}, temperature x log(n_actions) / (1 - gamma) = "
            f"{tau * np.log(max(mdp.n_actions, 2)) / max(1.0 - gamma, 1e-300):.3g}); choose a "
            "temperature closer to the reward scale")
    converged = _finish("solve_maxent", gamma, delta, tol_stop, sweeps, max_sweeps)
    V_true = policy_evaluation(mdp, policy, r, gamma, tol=min(tol, 1e-8))
    params = {
        "temperature": tau,
        "gamma": gamma,
        "tol": tol,
        "max_sweeps": max_sweeps,
        "reward": label,
        "stop": stop,
    }
    return SolveResult(
        V, np.ascontiguousarray(QT.T), policy, sweeps, converged, "maxent", params, V_true
    )


# ---------------------------------------------------------------------- evaluation
def policy_evaluation(
    mdp: FiniteMDP,
    policy: np.ndarray,
    reward: np.ndarray | str | None = None,
    gamma: float = 0.99,
    tol: float = 1e-10,
    max_sweeps: int = 1_000_000,
    method: str = "auto",
) -> np.ndarray:
    """Discounted extrinsic value of a fixed policy, V = r_pi + gamma P_pi V (V = 0 at terminals).

    Parameters
    ----------
    mdp : FiniteMDP
        The world.
    policy : array_like, shape (S, A)
        pi(a|s): non-negative, rows sum to 1, no mass on inadmissible actions.
    reward : array (S, A), (S, A, K) or (S, A, S), ``"alive"`` or None
        Extrinsic reward, in the shapes of :func:`solve_reward`; ``None`` uses ``mdp.reward`` or,
        when the world has none, ``"alive"``.
    gamma : float
        Discount factor in [0, 1].
    tol : float
        Sup-norm tolerance of the iterative method.
    max_sweeps : int
        Maximum sweeps of the iterative method.
    method : {"auto", "direct", "iterative"}
        ``"direct"`` solves the sparse linear system (I - gamma P_pi) V = r_pi; ``"iterative"``
        runs sweeps; ``"auto"`` is direct up to 200,000 states.

    Returns
    -------
    ndarray, shape (S,)
        The value of every state in reward units.
    """
    mdp = _check_mdp(mdp)
    gamma, tol, max_sweeps = _check_common(gamma, tol, max_sweeps)
    check_choice("method", method, ["auto", "direct", "iterative"])
    S, A, K = mdp.probs.shape
    pi = as_array("policy", policy, dtype=np.float64)
    if pi.shape != (S, A):
        raise ValueError(f"policy must have shape (S, A) = {(S, A)}, got shape {pi.shape}")
    if not np.all(np.isfinite(pi)) or np.any(pi < -1e-12):
        raise ValueError("policy must contain finite, non-negative probabilities")
    sums = pi.sum(axis=1)
    bad = np.flatnonzero(np.abs(sums - 1.0) > 1e-6)
    if bad.size:
        raise ValueError(f"policy[{bad[0]}] sums to {sums[bad[0]]:.6g}, expected 1")
    bad = np.argwhere(~mdp.action_mask & (pi > 1e-12))
    if bad.size:
        s, a = (int(i) for i in bad[0])
        raise ValueError(
            f"policy[{s}, {a}] = {pi[s, a]:.3g} but action {a} is not admissible in state {s}"
        )
    r, _ = _reward_table(mdp, reward, "alive")
    r_pi = (pi * r).sum(axis=1)
    live = ~mdp.terminal
    if method == "auto":
        method = "direct" if S <= 200_000 else "iterative"
    if method == "direct":
        weight = (pi[:, :, None] * mdp.probs) * live[:, None, None]
        rows = np.broadcast_to(np.arange(S)[:, None, None], (S, A, K))
        nz = weight > 0
        P = sp.csr_matrix((weight[nz], (rows[nz], mdp.next_states[nz])), shape=(S, S))
        system = (sp.identity(S, format="csr") - gamma * P).tocsc()
        with warnings.catch_warnings():
            warnings.simplefilter("error", spla.MatrixRankWarning)
            try:
                V = spla.spsolve(system, r_pi)
            except (spla.MatrixRankWarning, RuntimeError) as exc:
                raise ValueError(
                    "policy_evaluation: I - gamma P_pi is singular; with gamma=1 the policy must "
                    "reach a terminal state with probability 1"
                ) from exc
        if not np.all(np.isfinite(V)):
            raise ValueError(
                "policy_evaluation gave non-finite values; with gamma=1 the policy must reach a "
                "terminal state with probability 1"
            )
        return np.asarray(V, dtype=np.float64) * live
    ex = _Expect(mdp)
    piT = np.ascontiguousarray(pi.T)
    QT = np.empty((A, S))
    V = np.zeros(S)
    delta = np.inf
    sweeps = 0
    for sweeps in range(1, max_sweeps + 1):  # noqa: B007
        ex(V, QT)
        QT *= piT
        new = (r_pi + gamma * QT.sum(axis=0)) * live
        delta = float(np.abs(new - V).max())
        V = new
        if delta < tol:
            break
    _finish("policy_evaluation", gamma, delta, tol, sweeps, max_sweeps)
    return V
