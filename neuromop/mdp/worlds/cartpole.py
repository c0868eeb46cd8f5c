"""Cartpole on a grid: exact MOP and R value iteration with multilinear interpolation.

The world of the MOP paper (Ramírez-Ruiz et al., Nat. Commun. 2024, Fig. 3): a pole of length
``l`` on a cart, forces {-40, -10, 0, 10, 40} N, explicit Euler steps of ``dt`` seconds, and the
agent dies when ``|theta| >= 0.62`` rad or ``|x| >= 1.8`` m. Values live on a regular grid over
``(theta, omega, v, x)``; the value of a successor state is the multilinear interpolation of the
16 surrounding grid values (0 at terminal grid points and for terminal successors).

State count. The authors' notebook (``cartpole/cartpole.jl`` in jorgeerrz/occupancy_maximization)
multiplies the grid by an alive/dead flag ``u in {1, 2}`` (``sizeu = 2``), so an ``n^4`` grid has
``2 n^4`` states; "41^4 x 2" means this. The dead layer is absorbing with value 0 for both agents
(one no-op action, no reward), so it is represented implicitly: only alive values are stored and
iterated, and :attr:`CartpoleGrid.n_states` reports ``2 n^4``.

Speed. For every alive interior state and force the 16 corner indices and weights are computed once
and stored as a float32 CSR matrix (corners with zero weight or at terminal grid points are
dropped); a sweep is one sparse mat-vec plus a log-sum-exp (MOP) or max (R) over the 5 forces.
Memory: about 8 bytes per stored corner, i.e. ~0.5 GB for 31^4 and ~1.6 GB for 41^4.

Half arena. With ``CartpoleParams(eta=...)`` the force is replaced by 0 N with probability
``eta`` on one half of the track; the expectation over the two successors and MOP's state-entropy
term ``beta H(S'|s,a)`` reuse the same deterministic matrix (see :func:`solve_cartpole_grid`).
Rollouts live in :mod:`neuromop.mdp.worlds.cartpole_rollout`.
"""

from __future__ import annotations

import numbers
import time
from dataclasses import asdict, dataclass, field

import numpy as np
import scipy.sparse as sp
import xarray as xr

from neuromop._checks import (
    MAX_SIZE,
    check_bool,
    check_choice,
    check_int,
    check_probability,
    check_real,
)
from neuromop._provenance import provenance

__all__ = [
    "CartpoleParams",
    "CartpoleGrid",
    "CartpoleSolution",
    "cartpole_step",
    "noise_probability",
    "solve_cartpole_grid",
]

_DIMS = ("theta", "omega", "v", "x")


@dataclass(frozen=True)
class CartpoleParams:
    """Physical and grid constants (SI units: kg, m, s, N, rad) and the half-arena action noise.

    ``omega`` and ``v`` are clipped to ``[-omega_max, omega_max]`` and ``[-v_max, v_max]``
    (in the step and on the grid alike).

    ``eta`` makes the world stochastic as in the MOP paper's "stochastic half arena" (Fig. 3):
    while the cart is on the noisy half of the track (``x > 0`` for ``noisy_half="right"``,
    ``x < 0`` for ``"left"``) the chosen force is replaced by no force (0 N) with probability
    ``eta``; elsewhere the world is deterministic. ``eta = 0`` (the default) is the
    deterministic cartpole. :meth:`preset` gives the authors' settings by name.
    """

    M: float = 1.0
    m: float = 0.1
    l: float = 1.0
    g: float = 9.81
    dt: float = 0.02
    forces: tuple[float, ...] = (-40.0, -10.0, 0.0, 10.0, 40.0)
    theta_max: float = 0.62
    x_max: float = 1.8
    omega_max: float = 3.0
    v_max: float = 3.0
    eta: float = 0.0
    noisy_half: str = "right"

    def __post_init__(self) -> None:
        for name in ("M", "m", "l", "g", "dt", "theta_max", "x_max", "omega_max", "v_max"):
            check_real(name, getattr(self, name), low=0.0, low_inclusive=False)
        if len(self.forces) < 1:
            raise ValueError("forces must list at least one force (N)")
        check_probability("eta", self.eta)
        check_choice("noisy_half", self.noisy_half, ("right", "left"))
        if self.eta > 0 and 0.0 not in tuple(float(f) for f in self.forces):
            raise ValueError(f"eta={self.eta} replaces the chosen force by 0 N on the noisy half, "
                             f"so forces must include 0.0; got forces={self.forces}")

    @classmethod
    def preset(cls, name: str, **overrides) -> CartpoleParams:
        """Named settings of the MOP paper's authors (jorgeerrz/occupancy_max_paper).

        Parameters
        ----------
        name : {"package", "authors", "authors-half-arena"}
            ``"package"``: the defaults (omega within 3 rad/s, v within 3 m/s).
            ``"authors"``: the 41^4 x 2 run behind Fig. 3 (``h_value_..._maxv_12.0_maxw_6``:
            omega within 6 rad/s, v within 12 m/s; a wider, harder grid).
            ``"authors-half-arena"``: the stochastic half arena (``ip_eta`` in ``cartpole.jl``:
            omega within 3 rad/s, v within 6 m/s, noise on ``x > 0``; set ``eta``).
        **overrides
            Fields to change on top of the preset (e.g. ``eta=0.4``).

        Returns
        -------
        CartpoleParams
        """
        name = check_choice("name", name, ("package", "authors", "authors-half-arena"))
        base = {"package": {}, "authors": dict(omega_max=6.0, v_max=12.0),
                "authors-half-arena": dict(omega_max=3.0, v_max=6.0, noisy_half="right")}[name]
        return cls(**{**base, **overrides})


def cartpole_step(state: np.ndarray, force: np.ndarray | float, params: CartpoleParams
                  ) -> np.ndarray:
    """One explicit-Euler step of the cartpole (the authors' equations of motion).

    Parameters
    ----------
    state : ndarray, shape (..., 4)
        ``(theta [rad], omega [rad/s], v [m/s], x [m])``.
    force : float or ndarray broadcastable to ``state[..., 0]``
        Force on the cart in N.
    params : CartpoleParams

    Returns
    -------
    ndarray, shape (..., 4)
        The next state; omega and v are clipped to their grid ranges.
    """
    p = params
    th, w, v, x = state[..., 0], state[..., 1], state[..., 2], state[..., 3]
    a = 1.0 / (p.M + p.m)
    sin, cos = np.sin(th), np.cos(th)
    acc = (p.g * sin + a * cos * force - p.m * a * w**2 * p.l * np.sin(2 * th) / 2) / (
        p.l * (4.0 / 3.0 - p.m * a * cos**2)
    )
    acc_x = (4.0 / 3.0 * p.l * acc - p.g * sin) / cos
    out = np.empty(np.broadcast_shapes(state.shape, np.shape(force) + (4,)))
    out[..., 0] = th + w * p.dt
    out[..., 1] = np.clip(w + acc * p.dt, -p.omega_max, p.omega_max)
    out[..., 2] = np.clip(v + acc_x * p.dt, -p.v_max, p.v_max)
    out[..., 3] = x + v * p.dt
    return out


def _is_terminal(state: np.ndarray, p: CartpoleParams) -> np.ndarray:
    eps = 1e-12
    return (np.abs(state[..., 0]) >= p.theta_max - eps) | (np.abs(state[..., 3]) >= p.x_max - eps)


def noise_probability(state: np.ndarray, params: CartpoleParams) -> np.ndarray:
    """Probability that the chosen force is replaced by 0 N, per state.

    Parameters
    ----------
    state : ndarray, shape (..., 4)
        ``(theta [rad], omega [rad/s], v [m/s], x [m])``.
    params : CartpoleParams

    Returns
    -------
    ndarray, shape state.shape[:-1]
        ``params.eta`` on the noisy half of the track (``x > 0`` or ``x < 0``), 0 elsewhere.
    """
    x = state[..., 3]
    noisy = x > 0 if params.noisy_half == "right" else x < 0
    return np.where(noisy, params.eta, 0.0)


def _binary_entropy(p: np.ndarray) -> np.ndarray:
    """Entropy in nats of a two-outcome distribution (p, 1 - p); 0 at p in {0, 1}."""
    p = np.asarray(p, dtype=float)
    out = np.zeros_like(p)
    inner = (p > 0) & (p < 1)
    q = p[inner]
    out[inner] = -(q * np.log(q) + (1 - q) * np.log1p(-q))
    return out


def _noise_terms(eta_s: np.ndarray, agent: str, hyper: dict, params: CartpoleParams):
    """What the half arena adds to every backup of states with noise ``eta_s``, computed once:
    ``None`` where no state is noisy, else ``(a0, eta (N, 1), bonus (N, A) or None)``.

    With probability ``eta_s[i]`` the force is replaced by 0 N (index ``a0``); a MOP agent with
    ``beta > 0`` also collects ``beta H(S' | s, a)``: the binary entropy of ``eta`` for every
    force but 0 N, whose two outcomes coincide (``convention="package"``), or for every force
    (``convention="authors"``: the entropy of the listed outcome probabilities, as
    ``prob_transition`` in the authors' ``cartpole.jl``).
    """
    if not np.any(eta_s > 0):
        return None
    a0 = [float(f) for f in params.forces].index(0.0)
    bonus = None
    if agent == "mop" and hyper["beta"] > 0:
        bonus = np.repeat(_binary_entropy(eta_s)[:, None], len(params.forces), axis=1)
        if hyper["convention"] == "package":
            bonus[:, a0] = 0.0
        bonus *= hyper["beta"]
    return a0, eta_s[:, None], bonus


def _action_values(succ: np.ndarray, terms, agent: str, gamma: float) -> np.ndarray:
    """Q(s, a) from ``succ[i, a] = V(step(s_i, force_a))`` and :func:`_noise_terms`: the
    expected successor value ``(1 - eta) succ[:, a] + eta succ[:, a0]`` plus the entropy bonus."""
    r = 1.0 if agent == "reward" else 0.0
    if terms is None:
        return r + gamma * succ
    a0, e, bonus = terms
    q = r + gamma * ((1 - e) * succ + e * succ[:, a0:a0 + 1])
    return q if bonus is None else q + bonus


def _successor_values(P, v32: np.ndarray, n_actions: int, dead) -> np.ndarray:
    """``succ[i, a] = E[V(step(s_i, force_a))]`` (R, A), plus the dead layer's value if any."""
    succ = (P @ v32).astype(np.float64).reshape(n_actions, -1).T
    return succ if dead is None else succ + dead


def _dead_layer_values(grid, rows: np.ndarray, P, hyper: dict):
    """(R, A) value of the terminal part of each successor under the authors' dead layer:
    the interpolation weight lost to terminal corners times ``beta H(eta) / (1 - gamma)`` when
    the successor lies on the noisy half, else 0; ``None`` when nothing is collected."""
    params = grid.params
    if hyper["beta"] <= 0 or not 0 < params.eta < 1:
        return None
    worth = hyper["beta"] * float(_binary_entropy(params.eta)) / (1 - hyper["gamma"])
    A, R = len(params.forces), len(rows)
    lost = (1.0 - np.asarray(P.sum(axis=1)).ravel()).reshape(A, R).T
    states = grid.grid_states()[rows]
    noisy = np.stack([noise_probability(cartpole_step(states, f, params), params) > 0
                      for f in params.forces], axis=1)
    return np.clip(lost, 0.0, 1.0) * noisy * worth


@dataclass(frozen=True, eq=False)
class CartpoleGrid:
    """A regular grid over ``(theta, omega, v, x)`` with ``n_points`` per dimension."""

    n_points: tuple[int, int, int, int]
    params: CartpoleParams = field(default_factory=CartpoleParams)

    def __post_init__(self) -> None:
        n = self.n_points
        if isinstance(n, numbers.Integral):
            n = (n,) * 4
        elif isinstance(n, tuple | list | np.ndarray):
            n = tuple(n)
        else:
            raise TypeError(f"n_points must be an int or 4 ints (theta, omega, v, x), got {n!r}")
        if len(n) != 4:
            raise ValueError(f"n_points must be an int or 4 ints (theta, omega, v, x), got {n!r}")
        n = tuple(check_int("n_points", k, low=3, high=MAX_SIZE) for k in n)
        check_int("the grid size (product of n_points)", int(np.prod(n, dtype=object)),
                  high=MAX_SIZE)
        object.__setattr__(self, "n_points", n)

    @property
    def axes(self) -> tuple[np.ndarray, ...]:
        """Grid coordinates of theta (rad), omega (rad/s), v (m/s), x (m)."""
        p = self.params
        lims = (p.theta_max, p.omega_max, p.v_max, p.x_max)
        return tuple(np.linspace(-L, L, k) for L, k in zip(lims, self.n_points, strict=True))

    @property
    def n_grid(self) -> int:
        """Number of grid points (alive layer)."""
        return int(np.prod(self.n_points))

    @property
    def n_states(self) -> int:
        """Nominal state count ``2 x n_grid`` (alive and dead layers, as in the authors' code)."""
        return 2 * self.n_grid

    def grid_states(self) -> np.ndarray:
        """All grid points as an array of shape (n_grid, 4), C order (theta slowest)."""
        mesh = np.meshgrid(*self.axes, indexing="ij")
        return np.stack([m.ravel() for m in mesh], axis=1)

    def terminal_mask(self) -> np.ndarray:
        """Boolean (n_grid,): grid points with |theta| >= theta_max or |x| >= x_max."""
        return _is_terminal(self.grid_states(), self.params)

    def corners(self, points: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Multilinear interpolation corners of continuous states.

        Parameters
        ----------
        points : ndarray, shape (N, 4)

        Returns
        -------
        indices : ndarray of int32, shape (N, 16)
            Flat grid indices of the 16 corners.
        weights : ndarray of float32, shape (N, 16)
            Interpolation weights (sum 1); all 0 for terminal points and at terminal corners.
        """
        N = points.shape[0]
        base = np.zeros(N, dtype=np.int64)
        lo = np.empty((N, 4), dtype=np.int64)
        frac = np.empty((N, 4))
        strides = np.cumprod((1,) + self.n_points[::-1])[::-1][1:]
        for d, ax in enumerate(self.axes):
            k = len(ax)
            pos = (np.clip(points[:, d], ax[0], ax[-1]) - ax[0]) / (ax[1] - ax[0])
            i0 = np.clip(np.floor(pos).astype(np.int64), 0, k - 2)
            lo[:, d] = i0
            frac[:, d] = pos - i0
            base += i0 * strides[d]
        bits = (np.arange(16)[:, None] >> np.arange(4)[None, :]) & 1  # (16, 4)
        idx = base[:, None] + (bits * strides[None, :]).sum(axis=1)[None, :]
        w = np.ones((N, 16))
        for d in range(4):
            w *= np.where(bits[None, :, d] == 1, frac[:, d, None], 1.0 - frac[:, d, None])
        # corners at terminal grid points (theta or x at the edge) hold value 0
        cth = lo[:, None, 0] + bits[None, :, 0]
        cx = lo[:, None, 3] + bits[None, :, 3]
        dead_corner = (cth == 0) | (cth == self.n_points[0] - 1) | (cx == 0) | (
            cx == self.n_points[3] - 1)
        w[dead_corner] = 0.0
        w[_is_terminal(points, self.params)] = 0.0
        return idx.astype(np.int32), w.astype(np.float32)

    def transition_matrix(self, rows: np.ndarray) -> sp.csr_matrix:
        """CSR matrix (A * len(rows), n_grid) of interpolation weights of successors.

        Row ``a * len(rows) + i`` (action-major) holds the weights of the successor of grid state
        ``rows[i]`` under force ``a``. Built one force at a time so that the temporary memory is
        one block (41^4 grid: about 2 GB in total).
        """
        states = self.grid_states()[rows]
        R = len(rows)
        data, indices, counts = [], [], []
        for f in self.params.forces:
            idx, w = self.corners(cartpole_step(states, f, self.params))
            keep = w != 0
            counts.append(keep.sum(axis=1))
            data.append(w[keep])
            indices.append(idx[keep])
            del idx, w, keep
        indptr = np.zeros(R * len(self.params.forces) + 1, dtype=np.int64)
        np.cumsum(np.concatenate(counts), out=indptr[1:])
        if indptr[-1] < np.iinfo(np.int32).max:
            indptr = indptr.astype(np.int32)
        return sp.csr_matrix((np.concatenate(data), np.concatenate(indices), indptr),
                             shape=(R * len(self.params.forces), self.n_grid))


@dataclass(frozen=True, eq=False)
class CartpoleSolution:
    """Result of :func:`solve_cartpole_grid`.

    Attributes
    ----------
    grid : CartpoleGrid
    V : ndarray, shape n_points
        Values at grid points (0 at terminal grid points).
    Q : ndarray, shape n_points + (A,)
        Action values at grid points (0 at terminal points).
    policy : ndarray, shape n_points + (A,)
        pi(force | grid state); uniform at terminal points.
    sweeps, converged, agent, params
        Value-iteration bookkeeping and parameters (alpha, gamma, epsilon, tol).
    timings : dict
        ``build_s`` (interpolation matrix) and ``solve_s`` (sweeps) in seconds.
    """

    grid: CartpoleGrid
    V: np.ndarray
    Q: np.ndarray
    policy: np.ndarray
    sweeps: int
    converged: bool
    agent: str
    params: dict
    timings: dict

    def value(self, states: np.ndarray) -> np.ndarray:
        """Interpolated value at continuous states (N, 4); 0 at terminal states."""
        idx, w = self.grid.corners(np.atleast_2d(states))
        return (self.V.ravel()[idx] * w).sum(axis=1)

    def action_probabilities(self, states: np.ndarray) -> np.ndarray:
        """pi(force | state) at continuous states (N, 4), from the exact one-step successors.

        Q(s, a) = r + gamma * E[V(s')] with V interpolated (r = 1 for R, 0 for MOP) and, in the
        half arena, the expectation over the replaced force and MOP's ``beta`` entropy term.
        """
        s = np.atleast_2d(states)
        p = self.grid.params
        forces = np.asarray(p.forces)
        nxt = cartpole_step(s[:, None, :], forces[None, :], p)
        vals = self.value(nxt.reshape(-1, 4)).reshape(len(s), len(forces))
        terms = _noise_terms(noise_probability(s, p), self.agent, self.params, p)
        q = _action_values(vals, terms, self.agent, self.params["gamma"])
        return _policy_from_q(q, self.agent, self.params)

    def to_dataset(self) -> xr.Dataset:
        """V, Q and policy as a labelled ``xr.Dataset`` with provenance."""
        coords = {d: a for d, a in zip(_DIMS, self.grid.axes, strict=True)}
        coords["force"] = np.asarray(self.grid.params.forces)
        ds = xr.Dataset(
            {
                "V": (_DIMS, self.V),
                "Q": (_DIMS + ("force",), self.Q),
                "policy": (_DIMS + ("force",), self.policy),
            },
            coords=coords,
        )
        ds["theta"].attrs["units"] = "rad"
        ds["omega"].attrs["units"] = "rad/s"
        ds["v"].attrs["units"] = "m/s"
        ds["x"].attrs["units"] = "m"
        ds["force"].attrs["units"] = "N"
        ds.attrs.update(provenance("neuromop.mdp.worlds.cartpole.solve_cartpole_grid",
                                   agent=self.agent, n_points=self.grid.n_points,
                                   n_states=self.grid.n_states, sweeps=self.sweeps,
                                   converged=self.converged, physics=asdict(self.grid.params),
                                   **self.params))
        return ds


def _policy_from_q(q: np.ndarray, agent: str, params: dict) -> np.ndarray:
    if agent == "mop":
        z = (q - q.max(axis=-1, keepdims=True)) / params["alpha"]  # <= 0: no overflow
        e = np.exp(z)
        return e / e.sum(axis=-1, keepdims=True)
    best = q >= q.max(axis=-1, keepdims=True) - 1e-9
    greedy = best / best.sum(axis=-1, keepdims=True)
    eps = params["epsilon"]
    return (1 - eps) * greedy + eps / q.shape[-1]


def solve_cartpole_grid(
    n_points: int | tuple[int, int, int, int] = 21,
    agent: str = "mop",
    *,
    alpha: float = 1.0,
    beta: float = 0.0,
    gamma: float = 0.98,
    epsilon: float = 0.0,
    convention: str = "package",
    dead_entropy: bool = False,
    tol: float = 1e-3,
    max_sweeps: int = 10_000,
    params: CartpoleParams | None = None,
    progress: bool = False,
) -> CartpoleSolution:
    """Solve the grid cartpole by value iteration with multilinear interpolation.

    MOP: ``V(s) = alpha ln sum_a exp((beta H(S'|s,a) + gamma E[V(s') | s, a]) / alpha)``; in the
    deterministic world (``params.eta = 0``) H = 0 and ``E[V(s')] = V(s'_a)``. In the half arena
    the force is replaced by 0 N with probability ``eta`` on the noisy half (see
    :class:`CartpoleParams`). R: ``Q(s, a) = 1 + gamma E[V(s')]``,
    ``V = (1 - eps) max_a Q + eps mean_a Q``. Terminal states and terminal successors have value
    0. Iteration starts from V = 0 and stops when the sup-norm change is below ``tol``.

    Parameters
    ----------
    n_points : int or 4 ints
        Grid points per dimension (theta, omega, v, x); 41 gives the paper's 41^4 x 2 states.
    agent : {"mop", "reward"}
    alpha : float
        MOP action-entropy weight (> 0).
    beta : float
        MOP state-entropy weight (>= 0; nats); matters only where the world is stochastic.
    gamma : float
        Discount factor in [0, 1).
    epsilon : float
        R agent's exploration in the backup and behaviour, in [0, 1].
    convention : {"package", "authors"}
        Entropy of the successor of the 0 N force on the noisy half: 0 (``"package"``: both
        outcomes are the same state) or the binary entropy of ``eta`` like every other force
        (``"authors"``, as their ``prob_transition``).
    dead_entropy : bool
        ``False`` (default): terminal states are worth 0 (the paper's rule). ``True``: the
        authors' dead layer, which keeps moving and collects ``beta H(eta)`` per step while on
        the noisy half, approximated by a dead cart that stays where it died: a death on the
        noisy half is worth ``beta H(eta) / (1 - gamma)`` (MOP only; the successor's side
        decides, the interpolation weight lost to terminal corners is the probability).
    tol : float
        Sup-norm stopping tolerance (> 0).
    max_sweeps : int
    params : CartpoleParams, optional
    progress : bool
        Show a tqdm progress bar over sweeps.

    Returns
    -------
    CartpoleSolution
    """
    agent = check_choice("agent", agent, ("mop", "reward"))
    alpha = check_real("alpha", alpha, low=0.0, low_inclusive=False)
    gamma = check_real("gamma", gamma, low=0.0, high=1.0, high_inclusive=False)
    epsilon = check_probability("epsilon", epsilon)
    beta = check_real("beta", beta, low=0.0)
    convention = check_choice("convention", convention, ("package", "authors"))
    dead_entropy = check_bool("dead_entropy", dead_entropy)
    tol = check_real("tol", tol, low=0.0, low_inclusive=False)
    max_sweeps = check_int("max_sweeps", max_sweeps, low=1)
    if params is not None and not isinstance(params, CartpoleParams):
        raise TypeError(f"params must be a CartpoleParams, got {type(params).__name__}")
    grid = CartpoleGrid(n_points, params or CartpoleParams())
    A = len(grid.params.forces)
    t0 = time.perf_counter()
    rows = np.flatnonzero(~grid.terminal_mask())
    P = grid.transition_matrix(rows)
    build_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    V = np.zeros(grid.n_grid)
    v32 = np.zeros(grid.n_grid, dtype=np.float32)
    hyper = {"alpha": alpha, "beta": beta, "gamma": gamma, "epsilon": epsilon,
             "convention": convention, "tol": tol}
    terms = _noise_terms(noise_probability(grid.grid_states()[rows], grid.params), agent, hyper,
                         grid.params)
    dead = _dead_layer_values(grid, rows, P, hyper) if dead_entropy and agent == "mop" else None
    hyper["dead_entropy"] = dead_entropy
    bar = None
    if progress:
        from tqdm.auto import tqdm

        bar = tqdm(total=max_sweeps, desc=f"cartpole {agent} VI", unit="sweep")
    converged, sweeps = False, 0
    for sweeps in range(1, max_sweeps + 1):  # noqa: B007 - sweeps is reported
        q = _action_values(_successor_values(P, v32, A, dead), terms, agent, gamma)
        if agent == "mop":
            qmax = q.max(axis=1)
            new = qmax + alpha * np.log(np.exp((q - qmax[:, None]) / alpha).sum(axis=1))
        else:
            new = (1 - epsilon) * q.max(axis=1) + epsilon * q.mean(axis=1)
        delta = float(np.max(np.abs(new - V[rows])))
        V[rows] = new
        v32[rows] = new
        if not np.isfinite(delta) or not np.all(np.isfinite(v32[rows])):
            break  # overflow: reported below
        if bar is not None:
            bar.update(1)
            bar.set_postfix(delta=f"{delta:.2e}")
        if delta < tol:
            converged = True
            break
    if bar is not None:
        bar.close()
    solve_s = time.perf_counter() - t0
    if not np.all(np.isfinite(v32)):
        raise ValueError(f"value iteration overflowed float32 with alpha={alpha}, gamma={gamma}: "
                         "lower alpha (values grow like alpha ln K / (1 - gamma))")
    q = _action_values(_successor_values(P, v32, A, dead), terms, agent, gamma)
    Q = np.zeros((grid.n_grid, A))
    Q[rows] = q
    pol = np.full((grid.n_grid, A), 1.0 / A)
    pol[rows] = _policy_from_q(q, agent, hyper)
    shape = grid.n_points
    return CartpoleSolution(
        grid=grid, V=V.reshape(shape), Q=Q.reshape(shape + (A,)), policy=pol.reshape(shape + (A,)),
        sweeps=sweeps, converged=converged, agent=agent, params=hyper,
        timings={"build_s": build_s, "solve_s": solve_s, "nnz": int(P.nnz)},
    )
