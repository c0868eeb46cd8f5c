"""Roll out any solved agent in any finite world, vectorised over trials.

A rollout samples, at every time step and for all trials at once, an action from ``pi(.|s)``
and a successor from ``p(.|s, a)`` by a cumulative-probability search. Results are
``xr.Dataset`` objects with dims ``(trial, time)`` following the package's dataset contract.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import xarray as xr

from neuromop._checks import MAX_SIZE, check_bool, check_choice, check_int
from neuromop._provenance import provenance
from neuromop._random import as_generator
from neuromop.mdp.model import FiniteMDP

__all__ = ["rollout", "occupancy_map", "arena_coverage", "energy_histogram", "rotations"]


def _unpack(world: object) -> tuple[FiniteMDP, object | None]:
    if isinstance(world, FiniteMDP):
        return world, None
    mdp = getattr(world, "mdp", None)
    if isinstance(mdp, FiniteMDP):
        return mdp, world
    raise TypeError(
        f"mdp must be a FiniteMDP or a world with an .mdp attribute, got {type(world).__name__}"
    )


def _check_policy(policy: object, mdp: FiniteMDP) -> tuple[np.ndarray, str | None]:
    agent = getattr(policy, "agent", None)
    arr = getattr(policy, "policy", policy)
    try:
        pi = np.asarray(arr, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise TypeError(
            f"policy must be an (S, A) array or a SolveResult, got {type(policy).__name__}"
        ) from exc
    shape = (mdp.n_states, mdp.n_actions)
    if pi.shape != shape:
        raise ValueError(f"policy must have shape (S, A) = {shape}, got shape {pi.shape}")
    if not np.all(np.isfinite(pi)) or np.any(pi < 0):
        raise ValueError("policy must hold finite non-negative probabilities")
    sums = pi.sum(axis=1)
    bad = np.flatnonzero(np.abs(sums - 1.0) > 1e-6)
    if bad.size:
        s = int(bad[0])
        raise ValueError(f"policy[{s}] sums to {sums[s]:.8g}, expected 1")
    bad = np.argwhere((pi > 0) & ~mdp.action_mask)
    if bad.size:
        s, a = (int(i) for i in bad[0])
        raise ValueError(
            f"policy[{s}, {a}] = {pi[s, a]:.3g} puts mass on an inadmissible action"
        )
    return pi, agent


def _sample(cum: np.ndarray, u: np.ndarray) -> np.ndarray:
    """Index of the first entry of each row of ``cum`` exceeding ``u * cum[:, -1]``."""
    x = u * cum[:, -1]
    return (cum <= x[:, None]).sum(axis=1)


def rollout(  # noqa: C901
    mdp: object,
    policy: object,
    start: int | np.ndarray | None = None,
    n_trials: int = 10,
    n_steps: int = 1000,
    random_state: object = None,
    progress: bool = False,
) -> xr.Dataset:
    """Simulate trials of an agent in a finite world.

    Parameters
    ----------
    mdp : FiniteMDP or world
        The world (a world object such as :class:`~neuromop.mdp.worlds.GridWorld` provides its
        default start state and its ``.mdp``).
    policy : SolveResult or ndarray, shape (S, A)
        pi(a|s) (e.g. ``result.policy``).
    start : int or ndarray of int, shape (n_trials,), optional
        Start state index (one for all trials or one per trial); the world's start state when
        omitted.
    n_trials, n_steps : int
        Number of trials and of time steps per trial.
    random_state : None, int or numpy Generator
        Seed of the sampling.
    progress : bool
        Show a tqdm progress bar over time steps.

    Returns
    -------
    xr.Dataset
        Dims ``(trial, time)``: ``state`` (index before the step), ``action`` (index; -1 at
        terminal states, where the only move is the no-op), ``action_entropy`` (nats, H of
        pi(.|state)), ``terminated`` (state is terminal); one variable per level of
        ``mdp.state_labels`` (e.g. ``x``, ``y``, ``energy``). ``attrs`` carry provenance.
    """
    mdp, world = _unpack(mdp)
    pi, agent = _check_policy(policy, mdp)
    n_trials = check_int("n_trials", n_trials, low=1, high=MAX_SIZE)
    n_steps = check_int("n_steps", n_steps, low=1, high=MAX_SIZE)
    check_int("n_trials x n_steps", n_trials * n_steps, high=MAX_SIZE)
    rng = as_generator(random_state)
    if start is None:
        if world is None or not hasattr(world, "start_state"):
            raise ValueError("start is required when mdp is a bare FiniteMDP")
        start = world.start_state
    s0 = np.asarray(start)
    if s0.dtype.kind not in "iu":
        raise TypeError(f"start must be an integer state index, got {start!r}")
    s = np.broadcast_to(s0.astype(np.int64), (n_trials,)).copy() if s0.ndim == 0 or (
        s0.shape == (n_trials,)) else None
    if s is None:
        raise ValueError(f"start must be a scalar or have shape ({n_trials},), got {s0.shape}")
    if np.any((s < 0) | (s >= mdp.n_states)):
        raise ValueError(f"start states must be in [0, {mdp.n_states}), got {start!r}")

    cum_pi = np.cumsum(pi, axis=1)
    logp = np.log(pi, out=np.zeros_like(pi), where=pi > 0)
    state_entropy = -(pi * logp).sum(axis=1)
    deterministic = mdp.max_successors == 1
    ns = mdp.next_states
    cum_p = None if deterministic else np.cumsum(mdp.probs, axis=2)
    states = np.empty((n_trials, n_steps), dtype=np.int64)
    actions = np.empty((n_trials, n_steps), dtype=np.int64)
    steps = range(n_steps)
    if progress:
        from tqdm.auto import tqdm

        steps = tqdm(steps, desc=f"rollout {mdp.name}", unit="step", mininterval=0.5)
    for t in steps:
        states[:, t] = s
        a = _sample(cum_pi[s], rng.random(n_trials))
        actions[:, t] = a
        if deterministic:
            s = ns[s, a, 0]
        else:
            k = _sample(cum_p[s, a], rng.random(n_trials))
            s = ns[s, a, k]
    term = mdp.terminal[states]
    actions[term] = -1
    data = {
        "state": (("trial", "time"), states),
        "action": (("trial", "time"), actions),
        "action_entropy": (("trial", "time"), np.where(term, 0.0, state_entropy[states]),
                           {"units": "nats"}),
        "terminated": (("trial", "time"), term),
    }
    labels = mdp.state_labels
    if isinstance(labels, pd.MultiIndex):
        for name in labels.names:
            level = labels.get_level_values(name).to_numpy()
            data[str(name)] = (("trial", "time"), level[states])
    elif isinstance(labels, pd.Index):
        data[str(labels.name or "state_label")] = (("trial", "time"), labels.to_numpy()[states])
    ds = xr.Dataset(data, coords={"trial": np.arange(n_trials), "time": np.arange(n_steps)})
    ds["time"].attrs["units"] = "steps"
    if mdp.action_labels is not None:
        ds.attrs["action_labels"] = ",".join(mdp.action_labels)
    ds.attrs.update(provenance(
        "neuromop.mdp.rollout.rollout", world=mdp.name, agent=agent, n_trials=n_trials,
        n_steps=n_steps, start=s0,
        random_state=random_state if isinstance(random_state, int) else None,
        agent_params=getattr(policy, "params", None),
    ))
    ds.attrs["world"] = mdp.name
    ds.attrs["agent"] = str(agent)
    return ds


def _check_xy(ds: xr.Dataset) -> None:
    if not isinstance(ds, xr.Dataset):
        raise TypeError(f"ds must be an xarray Dataset from rollout, got {type(ds).__name__}")
    missing = [v for v in ("x", "y", "terminated") if v not in ds]
    if missing:
        raise ValueError(f"ds lacks variable(s) {missing}; roll out in a world with (x, y) labels")
    if ds.sizes.get("trial", 0) == 0 or ds.sizes.get("time", 0) == 0:
        raise ValueError(f"ds must hold at least one trial and one time step, got sizes "
                         f"{dict(ds.sizes)}")
    for name in ("x", "y", "terminated"):
        da = ds[name]
        if da.dims != ("trial", "time"):
            raise ValueError(f"ds[{name!r}] must have dims ('trial', 'time') as a rollout, got "
                             f"{da.dims}")
        kinds, what = ("b", "booleans") if name == "terminated" else ("iu", "integer cells")
        if da.dtype.kind not in kinds:
            raise ValueError(f"ds[{name!r}] must hold {what}, got dtype {da.dtype}")


def _check_world(world: object) -> None:
    if not hasattr(world, "layout"):
        raise TypeError(f"world must be a GridWorld, got {type(world).__name__}")


def occupancy_map(ds: xr.Dataset, world: object | None = None, *, alive_only: bool = True,
                  per_trial: bool = False) -> xr.DataArray:
    """Fraction of time steps spent in each grid cell.

    Parameters
    ----------
    ds : xr.Dataset
        A rollout with ``x`` and ``y`` variables.
    world : GridWorld, optional
        Fixes the grid size (otherwise the largest x, y visited).
    alive_only : bool
        Count only time steps before termination.
    per_trial : bool
        Return one map per trial (dims ``trial, y, x``) instead of the pooled map.

    Returns
    -------
    xr.DataArray
        Dims ``(y, x)`` (1-based coordinates); sums to 1 (per trial with ``per_trial``).
    """
    _check_xy(ds)
    if world is not None:
        _check_world(world)
    check_bool("alive_only", alive_only)
    check_bool("per_trial", per_trial)
    x = ds["x"].values.astype(np.int64)
    y = ds["y"].values.astype(np.int64)
    w = (~ds["terminated"].values if alive_only else np.ones(x.shape, bool)).astype(float)
    W = world.layout.width if world is not None else int(x.max())
    H = world.layout.height if world is not None else int(y.max())
    E = x.shape[0]
    # Steps off the grid (e.g. an absorbing dead state labelled (0, 0)) carry no weight.
    on_grid = (x >= 1) & (x <= W) & (y >= 1) & (y <= H)
    w = w * on_grid
    x, y = np.clip(x, 1, W), np.clip(y, 1, H)
    flat = (np.arange(E)[:, None] * H + (y - 1)) * W + (x - 1)
    counts = np.bincount(flat.ravel(), weights=w.ravel(), minlength=E * H * W).reshape(E, H, W)
    if not per_trial:
        counts = counts.sum(axis=0)
    total = counts.sum(axis=(-2, -1), keepdims=True)
    occ = np.divide(counts, total, out=np.zeros_like(counts), where=total > 0)
    dims = ("trial", "y", "x") if per_trial else ("y", "x")
    coords = {"y": np.arange(1, H + 1), "x": np.arange(1, W + 1)}
    if per_trial:
        coords["trial"] = ds["trial"].values
    return xr.DataArray(occ, dims=dims, coords=coords, name="occupancy",
                        attrs={"units": "fraction of time steps", "alive_only": int(alive_only),
                               **provenance("neuromop.mdp.rollout.occupancy_map",
                                            world=ds.attrs.get("world"))})


def arena_coverage(ds: xr.Dataset, world: object) -> xr.DataArray:
    """Fraction of the world's free cells visited in each trial (before termination).

    Returns
    -------
    xr.DataArray
        Dim ``trial``, values in [0, 1].
    """
    _check_xy(ds)
    _check_world(world)
    occ = occupancy_map(ds, world, per_trial=True)
    n_free = world.layout.n_cells
    visited = (occ.values > 0).sum(axis=(1, 2))
    return xr.DataArray(visited / n_free, dims=("trial",),
                        coords={"trial": ds["trial"].values}, name="coverage",
                        attrs={"units": "fraction of free cells", "n_free_cells": n_free})


def energy_histogram(ds: xr.Dataset, capacity: int | None = None) -> xr.DataArray:
    """Fraction of alive time steps spent at each energy level.

    Returns
    -------
    xr.DataArray
        Dim ``energy`` (levels 1..capacity).
    """
    if not isinstance(ds, xr.Dataset) or "energy" not in ds:
        raise ValueError("ds must be a rollout Dataset with an 'energy' variable")
    e = ds["energy"].values.astype(np.int64)
    alive = ~ds["terminated"].values
    cap = int(e.max()) if capacity is None else check_int("capacity", capacity, low=1)
    counts = np.bincount(e[alive].ravel(), minlength=cap + 1)[1:cap + 1].astype(float)
    total = counts.sum()
    frac = counts / total if total > 0 else counts
    return xr.DataArray(frac, dims=("energy",), coords={"energy": np.arange(1, cap + 1)},
                        name="energy_occupancy", attrs={"units": "fraction of alive steps"})


def rotations(ds: xr.Dataset, centre: tuple[float, float] = (3.0, 5.5), *,
              rule: str = "angle") -> xr.DataArray:
    """Clockwise and anticlockwise turns of an agent around an obstacle, per trial.

    Parameters
    ----------
    ds : xr.Dataset
        A :func:`rollout` of a grid world: ``x``, ``y`` (cells) and ``terminated`` over
        ``(trial, time)``. Only alive steps count.
    centre : (x, y)
        Centre of the obstacle (cells); the default is the predator-prey obstacle (3, 5)-(3, 6).
    rule : {"angle", "authors"}
        ``"angle"``: the unwrapped polar angle around ``centre`` is accumulated; a clockwise
        (anticlockwise) turn is counted each time it falls (rises) a full 2 pi below (above) the
        angle at the previous counted turn. ``"authors"``: the rule of the MOP paper authors'
        predator-prey script (``gridworld_H.txt``, ``maxwell_d``): a crossing is a move from the
        obstacle's column (x = round(centre x); theirs also requires an arena row, which in their
        world every cell of the column the agent can cross from is) to the side opposite the
        one the agent came from; two successive crossings at different rows make
        half a turn, clockwise when ``(y_cross - y_previous) * side > 0`` (side +1 right, -1
        left); a crossing at the same row as the previous one drops an unpaired half turn; full
        turns are pairs of half turns of one sense. (Their script drops only the clockwise half
        turn, a typo ``rota2cl``, and carries counts over between its 500-step epochs; both
        senses are treated alike here and a trial is counted whole.)

    Returns
    -------
    xr.DataArray
        Dims ``(trial, direction)`` with ``direction = ["clockwise", "anticlockwise"]``
        (completed turns).
    """
    _check_xy(ds)
    try:
        c = np.asarray(centre, dtype=float)
    except (TypeError, ValueError):
        raise TypeError(f"centre must be two numbers (x, y), got {centre!r}") from None
    if c.shape != (2,) or not np.all(np.isfinite(c)):
        raise ValueError(f"centre must be two finite numbers (x, y), got {centre!r}")
    rule = check_choice("rule", rule, ("angle", "authors"))
    alive = ~ds["terminated"].values
    x, y = ds["x"].values.astype(float), ds["y"].values.astype(float)
    counts = (_angle_turns if rule == "angle" else _crossing_turns)(x, y, alive, c)
    return xr.DataArray(counts, dims=("trial", "direction"),
                        coords={"trial": ds["trial"].values,
                                "direction": ["clockwise", "anticlockwise"]},
                        name="rotations", attrs={"units": "completed turns", "rule": rule,
                                                 "centre": c.tolist()})


def _angle_turns(x, y, alive, c) -> np.ndarray:
    step = np.diff(np.arctan2(y - c[1], x - c[0]), axis=1)
    step = (step + np.pi) % (2 * np.pi) - np.pi  # wrapped angle change in (-pi, pi]
    step = np.where(alive[:, 1:], step, 0.0)
    n = x.shape[0]
    angle, ref = np.zeros(n), np.zeros(n)
    counts = np.zeros((n, 2), dtype=np.int64)
    for t in range(step.shape[1]):  # the reference angle depends on earlier turns
        angle += step[:, t]
        cw, ccw = angle <= ref - 2 * np.pi, angle >= ref + 2 * np.pi
        counts[:, 0] += cw
        counts[:, 1] += ccw
        ref = np.where(cw | ccw, angle, ref)
    return counts


def _crossing_turns(x, y, alive, c) -> np.ndarray:
    column = round(c[0])
    n, T = x.shape
    side = np.sign(x[:, 0] - column)  # 0 on the column itself: set when it first leaves it
    last_row = np.zeros(n)  # row of the previous crossing (0: none yet)
    halves = np.zeros((n, 2), dtype=np.int64)
    for t in range(1, T):
        ok = alive[:, t] & alive[:, t - 1]
        on_column = ok & (x[:, t - 1] == column)
        crossed = on_column & ((x[:, t] - column) * side == -1)
        row = y[:, t - 1]
        side = np.where(crossed, x[:, t] - column, side)
        sense = (row - last_row) * side
        counted = crossed & (last_row > 0)
        halves[:, 0] += counted & (sense > 0)
        halves[:, 1] += counted & (sense < 0)
        same = counted & (sense == 0)
        halves[same] = (halves[same] // 2) * 2  # an unpaired half turn is dropped
        last_row = np.where(crossed, row, last_row)
        side = np.where(on_column & (side == 0), x[:, t] - column, side)
    return halves // 2
