"""Rollouts of solved grid-cartpole agents: whole trajectories, or statistics streamed in batches.

:func:`simulate_cartpole` keeps every state of every trial (``n_trials x n_steps x 4`` floats),
which suits plots of a few episodes. :func:`cartpole_statistics` runs the paper's long
evaluations (1,000 trials of 100,000 steps) in bounded memory: trials advance in batches and
only per-trial summaries, the number of trials alive per step and an (x, theta) occupancy
histogram per time window are kept.

In the half arena (``CartpoleParams.eta > 0``) the executed force is the chosen one, or 0 N
with probability ``eta`` while the cart is on the noisy half of the track.
"""

from __future__ import annotations

import numpy as np
import xarray as xr

from neuromop._checks import MAX_SIZE, check_finite_array, check_int
from neuromop._provenance import provenance
from neuromop._random import as_generator
from neuromop.mdp.worlds.cartpole import (
    CartpoleParams,
    CartpoleSolution,
    _is_terminal,
    cartpole_step,
    noise_probability,
)

__all__ = ["cartpole_statistics", "simulate_cartpole"]


def _physics(solution, params) -> CartpoleParams:
    if solution is not None and not isinstance(solution, CartpoleSolution):
        raise TypeError(f"solution must be a CartpoleSolution or None, got "
                        f"{type(solution).__name__}")
    if params is not None and not isinstance(params, CartpoleParams):
        raise TypeError(f"params must be a CartpoleParams, got {type(params).__name__}")
    if solution is not None:
        if params is not None and params != solution.grid.params:
            raise ValueError("params differs from the physics the solution was solved for; "
                             "pass params=None to use the solution's")
        return solution.grid.params
    return params or CartpoleParams()


def _start_states(start, n_trials: int, p: CartpoleParams) -> np.ndarray:
    """(n_trials, 4) initial states from None (upright at rest), one state or one per trial."""
    if start is None:
        return np.zeros((n_trials, 4))
    s0 = check_finite_array("start", start)
    if s0.shape == (4,):
        s0 = np.tile(s0, (n_trials, 1))
    elif s0.shape != (n_trials, 4):
        raise ValueError(f"start must be one state (theta, omega, v, x) of shape (4,) or one per "
                         f"trial of shape ({n_trials}, 4), got shape {s0.shape}")
    dead = _is_terminal(s0, p)
    if dead.any():
        raise ValueError(f"start must lie inside the arena (|theta| < {p.theta_max} rad, "
                         f"|x| < {p.x_max} m); trials {np.flatnonzero(dead)[:5].tolist()} start "
                         "terminal")
    return s0.copy()


def _act(solution, s: np.ndarray, p: CartpoleParams, rng: np.random.Generator):
    """Sample forces for alive states ``s``: (chosen index, executed force, entropy, replaced)."""
    forces = np.asarray(p.forces, dtype=float)
    A = len(forces)
    if solution is None:
        probs = np.full((len(s), A), 1.0 / A)
    else:
        probs = solution.action_probabilities(s)
    u = rng.random(len(probs))
    a = np.minimum((np.cumsum(probs, axis=1) < u[:, None]).sum(axis=1), A - 1)
    logp = np.log(probs, out=np.zeros_like(probs), where=probs > 0)
    ent = -(probs * logp).sum(axis=1)
    force = forces[a]
    replaced = np.zeros(len(s), dtype=bool)
    if p.eta > 0:
        replaced = rng.random(len(s)) < noise_probability(s, p)
        force = np.where(replaced, 0.0, force)
    return a, force, ent, replaced


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
    start : array_like, shape (4,) or (n_trials, 4), optional
        Initial ``(theta [rad], omega [rad/s], v [m/s], x [m])``; the upright rest state by
        default.
    params : CartpoleParams, optional
        Physics for the random policy (the solution's otherwise).
    random_state : None, int or numpy Generator

    Returns
    -------
    xr.Dataset
        Dims ``(trial, time)``: ``theta``, ``omega``, ``v``, ``x``, ``action`` (the chosen
        force's index), ``force`` (the executed force: 0 N where the half arena's noise replaced
        it; ``action`` -1 and ``force`` NaN once a trial has terminated), ``replaced``,
        ``action_entropy`` (nats), ``terminated``; ``lifetime`` per trial (steps alive).

    See Also
    --------
    cartpole_statistics : the same rollout in bounded memory, keeping statistics only.
    """
    n_trials = check_int("n_trials", n_trials, low=1, high=MAX_SIZE)
    n_steps = check_int("n_steps", n_steps, low=1, high=MAX_SIZE)
    _ = check_int("n_trials x n_steps", n_trials * n_steps, high=MAX_SIZE)
    p = _physics(solution, params)
    s = _start_states(start, n_trials, p)
    rng = as_generator(random_state)
    traj = np.zeros((n_trials, n_steps, 4))
    actions = np.full((n_trials, n_steps), -1, dtype=np.int64)
    force = np.full((n_trials, n_steps), np.nan)
    replaced = np.zeros((n_trials, n_steps), dtype=bool)
    ent = np.zeros((n_trials, n_steps))
    dead = _is_terminal(s, p)
    term = np.zeros((n_trials, n_steps), dtype=bool)
    for t in range(n_steps):
        traj[:, t] = s
        term[:, t] = dead
        alive = ~dead
        if not alive.any():
            continue
        a, f, h, rep = _act(solution, s[alive], p, rng)
        actions[alive, t], force[alive, t], ent[alive, t], replaced[alive, t] = a, f, h, rep
        s[alive] = cartpole_step(s[alive], f, p)
        dead = dead | _is_terminal(s, p)
    ds = xr.Dataset(
        {
            "theta": (("trial", "time"), traj[..., 0], {"units": "rad"}),
            "omega": (("trial", "time"), traj[..., 1], {"units": "rad/s"}),
            "v": (("trial", "time"), traj[..., 2], {"units": "m/s"}),
            "x": (("trial", "time"), traj[..., 3], {"units": "m"}),
            "action": (("trial", "time"), actions),
            "force": (("trial", "time"), force, {"units": "N"}),
            "replaced": (("trial", "time"), replaced),
            "action_entropy": (("trial", "time"), ent, {"units": "nats"}),
            "terminated": (("trial", "time"), term),
        },
        coords={"trial": np.arange(n_trials), "time": np.arange(n_steps) * p.dt},
    )
    ds["time"].attrs["units"] = "s"
    ds["lifetime"] = ("trial", (~term).sum(axis=1))
    ds["lifetime"].attrs["units"] = "steps"
    ds.attrs.update(provenance("neuromop.mdp.worlds.cartpole_rollout.simulate_cartpole",
                               agent=None if solution is None else solution.agent,
                               n_trials=n_trials, n_steps=n_steps, eta=p.eta,
                               random_state=(random_state if isinstance(random_state, int)
                                             else None)))
    return ds


def cartpole_statistics(
    solution: CartpoleSolution | None,
    n_trials: int = 100,
    n_steps: int = 10_000,
    *,
    start: np.ndarray | None = None,
    params: CartpoleParams | None = None,
    batch_size: int = 256,
    n_windows: int = 10,
    x_bins: int = 40,
    theta_bins: int = 40,
    random_state: object = None,
    progress: bool = False,
) -> xr.Dataset:
    """Roll out an agent and keep statistics only, in memory bounded by ``batch_size``.

    The same dynamics and policy as :func:`simulate_cartpole`; trials run ``batch_size`` at a
    time, so memory does not grow with ``n_steps`` (beyond one integer per step for the number
    of trials alive) or with ``n_trials`` (beyond a few numbers per trial).

    Parameters
    ----------
    solution : CartpoleSolution or None
        None gives the random policy.
    n_trials, n_steps : int
        Trials and steps per trial (the horizon).
    start : array_like, shape (4,) or (n_trials, 4), optional
        Initial ``(theta [rad], omega [rad/s], v [m/s], x [m])``; upright at rest by default.
    params : CartpoleParams, optional
        Physics for the random policy (the solution's otherwise).
    batch_size : int
        Trials advanced together (memory ~ 1 kB per trial in the batch). The random draws
        depend on it: the same seed with another ``batch_size`` gives other (equally valid)
        trials.
    n_windows : int
        Equal time windows of the occupancy histogram (``n_windows <= n_steps``).
    x_bins, theta_bins : int
        Bins of the occupancy histogram over ``[-x_max, x_max]`` and ``[-theta_max,
        theta_max]``.
    random_state : None, int or numpy Generator
    progress : bool
        A tqdm bar over trials.

    Returns
    -------
    xr.Dataset
        Per ``trial``: ``lifetime`` (steps alive, at most ``n_steps``), ``survived`` (alive at
        the horizon), ``fraction_noisy_half`` (fraction of the alive steps with the cart on the
        noisy half, ``x > 0`` for ``noisy_half="right"``, also when ``eta = 0``),
        ``action_entropy`` (mean over alive steps, nats), ``replaced_fraction`` (fraction of
        the forces replaced by 0 N). Per ``time``: ``n_alive``. ``occupancy`` over
        ``(window, x, theta)``: counts of alive steps per bin (coordinates are bin centres).
        ``attrs`` hold the provenance and ``peak_batch_bytes`` (the per-batch state arrays).
    """
    n_trials = check_int("n_trials", n_trials, low=1, high=MAX_SIZE)
    n_steps = check_int("n_steps", n_steps, low=1, high=MAX_SIZE)
    batch_size = check_int("batch_size", batch_size, low=1, high=MAX_SIZE)
    n_windows = check_int("n_windows", n_windows, low=1, high=n_steps)
    x_bins = check_int("x_bins", x_bins, low=1, high=10_000)
    theta_bins = check_int("theta_bins", theta_bins, low=1, high=10_000)
    p = _physics(solution, params)
    starts = _start_states(start, n_trials, p)
    rng = as_generator(random_state)
    life = np.zeros(n_trials, dtype=np.int64)
    on_noisy = np.zeros(n_trials, dtype=np.int64)
    ent_sum = np.zeros(n_trials)
    n_replaced = np.zeros(n_trials, dtype=np.int64)
    n_alive = np.zeros(n_steps, dtype=np.int64)
    n_cells = x_bins * theta_bins
    occupancy = np.zeros(n_windows * n_cells, dtype=np.int64)
    bar = None
    if progress:
        from tqdm.auto import tqdm

        bar = tqdm(total=n_trials, desc="cartpole rollout", unit="trial")
    for lo in range(0, n_trials, batch_size):
        s = starts[lo:lo + batch_size].copy()
        idx = np.arange(lo, lo + len(s))
        alive = ~_is_terminal(s, p)
        pending = []  # flat occupancy bins, flushed every few hundred steps
        for t in range(n_steps):
            if not alive.any():
                break
            sa, ia = s[alive], idx[alive]
            n_alive[t] += len(ia)
            life[ia] += 1
            noisy = sa[:, 3] > 0 if p.noisy_half == "right" else sa[:, 3] < 0
            on_noisy[ia] += noisy
            ix = np.clip(((sa[:, 3] + p.x_max) / (2 * p.x_max) * x_bins).astype(np.int64), 0,
                         x_bins - 1)
            it = np.clip(((sa[:, 0] + p.theta_max) / (2 * p.theta_max) * theta_bins)
                         .astype(np.int64), 0, theta_bins - 1)
            pending.append((t * n_windows) // n_steps * n_cells + ix * theta_bins + it)
            if len(pending) >= 256:
                occupancy += np.bincount(np.concatenate(pending), minlength=occupancy.size)
                pending = []
            _, f, h, rep = _act(solution, sa, p, rng)
            ent_sum[ia] += h
            n_replaced[ia] += rep
            s[alive] = cartpole_step(sa, f, p)
            alive[alive] = ~_is_terminal(s[alive], p)
        if pending:
            occupancy += np.bincount(np.concatenate(pending), minlength=occupancy.size)
        if bar is not None:
            bar.update(len(s))
    if bar is not None:
        bar.close()
    steps = np.maximum(life, 1)
    x_edges = np.linspace(-p.x_max, p.x_max, x_bins + 1)
    t_edges = np.linspace(-p.theta_max, p.theta_max, theta_bins + 1)
    w_edges = np.arange(n_windows + 1) * n_steps / n_windows
    ds = xr.Dataset(
        {
            "lifetime": ("trial", life, {"units": "steps"}),
            "survived": ("trial", life >= n_steps),
            "fraction_noisy_half": ("trial", np.where(life > 0, on_noisy / steps, np.nan),
                                    {"units": "fraction of alive steps",
                                     "noisy_half": p.noisy_half}),
            "action_entropy": ("trial", np.where(life > 0, ent_sum / steps, np.nan),
                               {"units": "nats"}),
            "replaced_fraction": ("trial", np.where(life > 0, n_replaced / steps, np.nan)),
            "n_alive": ("time", n_alive, {"units": "trials"}),
            "occupancy": (("window", "x", "theta"),
                          occupancy.reshape(n_windows, x_bins, theta_bins),
                          {"units": "alive steps"}),
        },
        coords={
            "trial": np.arange(n_trials),
            "time": ("time", np.arange(n_steps) * p.dt, {"units": "s"}),
            "window": ("window", (w_edges[:-1] + w_edges[1:]) / 2 * p.dt,
                       {"units": "s", "long_name": "window centre"}),
            "x": ("x", (x_edges[:-1] + x_edges[1:]) / 2, {"units": "m"}),
            "theta": ("theta", (t_edges[:-1] + t_edges[1:]) / 2, {"units": "rad"}),
        },
    )
    ds.attrs.update(provenance(
        "neuromop.mdp.worlds.cartpole_rollout.cartpole_statistics",
        agent=None if solution is None else solution.agent, n_trials=n_trials, n_steps=n_steps,
        batch_size=batch_size, eta=p.eta, noisy_half=p.noisy_half,
        random_state=random_state if isinstance(random_state, int) else None,
        peak_batch_bytes=int(min(batch_size, n_trials) * (4 + 5 * 4 + 5 * 16 * 3) * 8)))
    return ds
