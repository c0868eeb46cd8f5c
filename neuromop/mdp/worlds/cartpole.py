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
    check_choice,
    check_finite_array,
    check_int,
    check_probability,
    check_real,
)
from neuromop._provenance import provenance
from neuromop._random import as_generator

__all__ = [
    "CartpoleParams",
    "CartpoleGrid",
    "CartpoleSolution",
    "cartpole_step",
    "solve_cartpole_grid",
    "simulate_cartpole",
]

_DIMS = ("theta", "omega", "v", "x")


@dataclass(frozen=True)
class CartpoleParams:
    """Physical and grid constants (SI units: kg, m, s, N, rad).

    ``omega`` and ``v`` are clipped to ``[-omega_max, omega_max]`` and ``[-v_max, v_max]``.
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

    def __post_init__(self) -> None:
        for name in ("M", "m", "l", "g", "dt", "theta_max", "x_max", "omega_max", "v_max"):
            check_real(name, getattr(self, name), low=0.0, low_inclusive=False)
        if len(self.forces) < 1:
            raise ValueError("forces must list at least one force (N)")


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

        Q(s, a) = r + gamma * V(step(s, a)) with V interpolated (r = 1 for R, 0 for MOP).
        """
        s = np.atleast_2d(states)
        forces = np.asarray(self.grid.params.forces)
        nxt = cartpole_step(s[:, None, :], forces[None, :], self.grid.params)
        vals = self.value(nxt.reshape(-1, 4)).reshape(len(s), len(forces))
        r = 1.0 if self.agent == "reward" else 0.0
        q = r + self.params["gamma"] * vals
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
    gamma: float = 0.98,
    epsilon: float = 0.0,
    tol: float = 1e-3,
    max_sweeps: int = 10_000,
    params: CartpoleParams | None = None,
    progress: bool = False,
) -> CartpoleSolution:
    """Solve the grid cartpole by value iteration with multilinear interpolation.

    MOP (beta = 0, deterministic world): ``V(s) = alpha ln sum_a exp(gamma V(s'_a) / alpha)``.
    R: ``Q(s, a) = 1 + gamma V(s'_a)``, ``V = (1 - eps) max_a Q + eps mean_a Q``. Terminal states
    and terminal successors have value 0. Iteration starts from V = 0 and stops when the sup-norm
    change is below ``tol``.

    Parameters
    ----------
    n_points : int or 4 ints
        Grid points per dimension (theta, omega, v, x); 41 gives the paper's 41^4 x 2 states.
    agent : {"mop", "reward"}
    alpha : float
        MOP action-entropy weight (> 0).
    gamma : float
        Discount factor in [0, 1).
    epsilon : float
        R agent's exploration in the backup and behaviour, in [0, 1].
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
    r = 1.0 if agent == "reward" else 0.0
    bar = None
    if progress:
        from tqdm.auto import tqdm

        bar = tqdm(total=max_sweeps, desc=f"cartpole {agent} VI", unit="sweep")
    converged, sweeps = False, 0
    for sweeps in range(1, max_sweeps + 1):  # noqa: B007 - sweeps is reported
        q = r + gamma * (P @ v32).astype(np.float64).reshape(A, -1).T
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
    q = r + gamma * (P @ v32).astype(np.float64).reshape(A, -1).T
    hyper = {"alpha": alpha, "gamma": gamma, "epsilon": epsilon, "tol": tol}
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


def simulate_cartpole(
    solution: CartpoleSolution | None,
    n_trials: int = 10,
    n_steps: int = 1000,
    *,
    start: np.ndarray | None = None,
    params: CartpoleParams | None = None,
    random_state: object = None,
) -> xr.Dataset:
    """Roll out a solved agent (or a uniformly random one) in the continuous cartpole.

    Parameters
    ----------
    solution : CartpoleSolution or None
        None gives the random policy (uniform over forces).
    n_trials, n_steps : int
    start : array_like, shape (4,), optional
        Initial ``(theta, omega, v, x)``; the upright rest state by default.
    params : CartpoleParams, optional
        Physics for the random policy (the solution's otherwise).
    random_state : None, int or numpy Generator

    Returns
    -------
    xr.Dataset
        Dims ``(trial, time)``: ``theta``, ``omega``, ``v``, ``x``, ``action``, ``force``
        (``action`` -1 and ``force`` NaN once a trial has terminated), ``action_entropy``
        (nats), ``terminated``; ``lifetime`` per trial (steps alive).
    """
    n_trials = check_int("n_trials", n_trials, low=1, high=MAX_SIZE)
    n_steps = check_int("n_steps", n_steps, low=1, high=MAX_SIZE)
    _ = check_int("n_trials x n_steps", n_trials * n_steps, high=MAX_SIZE)
    rng = as_generator(random_state)
    if solution is not None and not isinstance(solution, CartpoleSolution):
        raise TypeError(f"solution must be a CartpoleSolution or None, got "
                        f"{type(solution).__name__}")
    if params is not None and not isinstance(params, CartpoleParams):
        raise TypeError(f"params must be a CartpoleParams, got {type(params).__name__}")
    p = solution.grid.params if solution is not None else (params or CartpoleParams())
    forces = np.asarray(p.forces)
    A = len(forces)
    if start is None:
        s = np.zeros((n_trials, 4))
    else:
        s0 = check_finite_array("start", start, ndim=1)
        if s0.shape != (4,):
            raise ValueError(f"start must be one state (theta, omega, v, x) of shape (4,), got "
                             f"shape {s0.shape}")
        s = np.tile(s0, (n_trials, 1))
    traj = np.zeros((n_trials, n_steps, 4))
    actions = np.full((n_trials, n_steps), -1, dtype=np.int64)
    ent = np.zeros((n_trials, n_steps))
    dead = _is_terminal(s, p)
    term = np.zeros((n_trials, n_steps), dtype=bool)
    for t in range(n_steps):
        traj[:, t] = s
        term[:, t] = dead
        alive = ~dead
        if not alive.any():
            continue
        if solution is None:
            probs = np.full((int(alive.sum()), A), 1.0 / A)
        else:
            probs = solution.action_probabilities(s[alive])
        u = rng.random(len(probs))
        a = np.minimum((np.cumsum(probs, axis=1) < u[:, None]).sum(axis=1), A - 1)
        actions[alive, t] = a
        logp = np.log(probs, out=np.zeros_like(probs), where=probs > 0)
        ent[alive, t] = -(probs * logp).sum(axis=1)
        s[alive] = cartpole_step(s[alive], forces[a], p)
        dead = dead | _is_terminal(s, p)
    ds = xr.Dataset(
        {
            "theta": (("trial", "time"), traj[..., 0], {"units": "rad"}),
            "omega": (("trial", "time"), traj[..., 1], {"units": "rad/s"}),
            "v": (("trial", "time"), traj[..., 2], {"units": "m/s"}),
            "x": (("trial", "time"), traj[..., 3], {"units": "m"}),
            "action": (("trial", "time"), actions),
            "force": (("trial", "time"), np.where(actions >= 0, forces[np.maximum(actions, 0)],
                                                    np.nan), {"units": "N"}),
            "action_entropy": (("trial", "time"), ent, {"units": "nats"}),
            "terminated": (("trial", "time"), term),
        },
        coords={"trial": np.arange(n_trials), "time": np.arange(n_steps) * p.dt},
    )
    ds["time"].attrs["units"] = "s"
    ds["lifetime"] = ("trial", (~term).sum(axis=1))
    ds["lifetime"].attrs["units"] = "steps"
    ds.attrs.update(provenance("neuromop.mdp.worlds.cartpole.simulate_cartpole",
                               agent=None if solution is None else solution.agent,
                               n_trials=n_trials, n_steps=n_steps,
                               random_state=(random_state if isinstance(random_state, int)
                                             else None)))
    return ds
