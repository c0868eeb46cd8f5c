"""Behavioural variability of agents: action entropy, occupancy entropy, lifetimes and survival.

Agent datasets have dims ``(trial or episode, time)`` with variables such as ``action`` (integer
labels), ``policy`` (probabilities along an ``action`` dim), ``state`` and ``terminated`` (bool).
Entropies are in nats by default (``base=2`` gives bits). All functions accept numpy- or
dask-backed DataArrays.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable

import numpy as np
import xarray as xr

from neuromop._checks import as_array, check_int, check_real
from neuromop.analysis._reduce import (
    check_dims,
    check_values,
    is_dask,
    kept_coords,
    with_provenance,
)

__all__ = ["action_entropy", "lifetime", "occupancy_entropy", "restricted_mean_lifetime",
           "survival_curve"]


def _as_dataarray(value: object, name: str) -> xr.DataArray:
    if not isinstance(value, xr.DataArray):
        raise TypeError(f"{name} must be an xarray.DataArray, got {type(value).__name__}")
    if value.size == 0:
        raise ValueError(f"{name} must not be empty, got sizes {dict(value.sizes)}")
    return value


def _log(p: xr.DataArray, base: float | None) -> xr.DataArray:
    logp = np.log(p.where(p > 0, 1.0))  # 0 log 0 = 0
    return logp if base is None else logp / np.log(base)


def _check_base(base: float | None) -> float | None:
    if base is None:
        return None
    base = check_real("base", base, low=0.0, low_inclusive=False)
    if base == 1.0:
        raise ValueError("base must differ from 1, got 1.0")
    return base


def _entropy_block(values: np.ndarray, axes: tuple[int, ...], n_labels: int | None,
                   base: float | None, message: str) -> np.ndarray:
    """Plug-in entropy of the labels over ``axes`` at every position of the other axes.

    Sort-based: each row's labels are sorted and the runs of equal labels counted, so memory
    and time depend on the number of labels, never on their values (no histogram over the
    label range).
    """
    kept = [a for a in range(values.ndim) if a not in axes]
    rows = np.transpose(values, kept + list(axes)).reshape(-1, int(np.prod(
        [values.shape[a] for a in axes])))
    if n_labels is not None and rows.size and int(rows.max()) >= n_labels:
        raise ValueError(message.format(seen=int(rows.max())))
    rows = np.sort(rows, axis=1)
    new = np.ones(rows.shape, dtype=bool)
    new[:, 1:] = rows[:, 1:] != rows[:, :-1]
    first = np.flatnonzero(new)  # first element of every run of equal labels (row-major)
    p = np.diff(first, append=rows.size) / rows.shape[1]
    logp = np.log(p) if base is None else np.log(p) / np.log(base)
    entropy = -np.bincount(first // rows.shape[1], weights=p * logp, minlength=rows.shape[0])
    return entropy.reshape([values.shape[a] for a in kept])


def _check_labels(labels: xr.DataArray, name: str, hint: str) -> None:
    """Refuse values that cannot be integer labels (negative or fractional), saying what to pass
    instead (``hint``); dask data are checked lazily by :func:`check_values`."""
    if is_dask(labels) or labels.dtype.kind not in "fc":
        return
    x = np.asarray(labels.values)
    finite = x[np.isfinite(x)]
    if finite.size and (finite.min() < 0 or np.any(finite != np.round(finite))):
        raise ValueError(f"{name} must be labels: non-negative whole numbers, got values such as "
                         f"{finite[(finite < 0) | (finite != np.round(finite))][0]!r}; {hint}")


def _label_entropy(labels: xr.DataArray, dims, n_labels: int | None, base, name: str,
                   label_dim: str, hint: str = "") -> xr.DataArray:
    """Entropy of the empirical distribution of integer labels over ``dims`` (plug-in)."""
    _check_labels(labels, name, hint)
    dims = check_dims(labels, dims, f"{name} dims")
    labels = check_values(labels, name=name, counts=True)
    if labels.dtype.kind == "f" or labels.dtype.kind == "b":
        labels = labels.astype(np.int64)
    if n_labels is not None:
        n_labels = check_int(f"n_{label_dim}s", n_labels, low=1)
    axes = tuple(sorted(labels.get_axis_num(d) for d in dims))
    args = {"axes": axes, "n_labels": n_labels, "base": base,
            "message": f"{name} holds label {{seen}}, but n_{label_dim}s is {n_labels}"}
    if is_dask(labels):  # the pooled dims in one chunk each; lazily, block by block
        data = labels.data.rechunk(dict.fromkeys(axes, -1))
        values = data.map_blocks(_entropy_block, **args, drop_axis=axes, dtype=np.float64)
    else:
        values = _entropy_block(np.asarray(labels.data), **args)
    return xr.DataArray(values, dims=[d for d in labels.dims if d not in dims],
                        coords=kept_coords(labels, dims))


def action_entropy(
    data: xr.DataArray,
    *,
    dims: Hashable | Iterable[Hashable] = ("trial", "time"),
    action_dim: str = "action",
    n_actions: int | None = None,
    base: float | None = None,
) -> xr.DataArray:
    """Entropy of an agent's actions.

    Parameters
    ----------
    data : xarray.DataArray
        Either integer action labels ``0 … n_actions-1`` (e.g. dims ``(trial, time)``): the
        entropy of their empirical distribution over ``dims`` is returned (plug-in estimate); or
        policy probabilities with an ``action_dim`` dim (summing to 1 along it): the entropy of
        each policy ``-Σ_a π(a) ln π(a)`` is returned, keeping every other dim.
    dims : str or tuple of str, default ("trial", "time")
        Dims pooled for the empirical distribution of labels (ignored for probabilities).
    action_dim : str, default "action"
        Name of the action dim of probability input.
    n_actions : int, optional
        Number of possible actions (labels), checked against the labels; default the largest
        label + 1. Labels may be any non-negative integers: the entropy is computed from the
        labels that occur, whatever their range.
    base : float, optional
        Logarithm base; ``None`` gives nats.

    Returns
    -------
    xarray.DataArray
        ``action_entropy`` (nats, or bits for ``base=2``).
    """
    data = _as_dataarray(data, "data")
    base = _check_base(base)
    if not isinstance(action_dim, str):
        raise TypeError(f"action_dim must be a dim name (str), got {type(action_dim).__name__}")
    if action_dim in data.dims:
        p = check_values(data, name="policy probabilities", counts=False)
        if not is_dask(p):
            if float(p.min()) < 0 or not np.allclose(p.sum(action_dim), 1.0, atol=1e-6):
                raise ValueError(
                    f"policy probabilities must be >= 0 and sum to 1 along {action_dim!r}"
                )
        out = -(p * _log(p, base)).sum(action_dim)
        params = {"input": "probabilities", "action_dim": action_dim}
    else:
        out = _label_entropy(
            data, dims, n_actions, base, "actions", "action",
            hint=f"for policy probabilities, action_dim must name their action dim "
                 f"(got {action_dim!r}; data has dims {tuple(data.dims)})")
        params = {"input": "labels", "dims": list(check_dims(data, dims)), "n_actions": n_actions}
    out = out.rename("action_entropy")
    out.attrs = {"long_name": "action entropy", "units": "nats" if base is None else f"log{base:g}"}
    return with_provenance(out, "neuromop.analysis.action_entropy", base=base, **params)


def occupancy_entropy(
    states: xr.DataArray,
    *,
    dims: Hashable | Iterable[Hashable] = ("trial", "time"),
    n_states: int | None = None,
    feature_dim: str | None = None,
    bins: int = 10,
    range: tuple[float, float] | None = None,  # noqa: A002 - numpy's name for it
    base: float | None = None,
) -> xr.DataArray:
    """Entropy of the empirical state-occupancy distribution over ``dims``.

    Parameters
    ----------
    states : xarray.DataArray
        Integer state labels (e.g. dims ``(trial, time)``); or, with ``feature_dim``, continuous
        states (e.g. neural activity with dims ``(trial, time, neuron)``) that are discretised on
        a regular grid of ``bins`` per feature before counting joint occupancy.
    dims : str or tuple of str, default ("trial", "time")
        Dims pooled into one occupancy histogram; other dims are kept.
    n_states : int, optional
        Number of possible states for label input; default the largest label + 1.
    feature_dim : str, optional
        Dim holding the coordinates of continuous states.
    bins : int, default 10
        Bins per feature for continuous states.
    range : (float, float), optional
        Grid limits for continuous states; default the data's min and max.
    base : float, optional
        Logarithm base; ``None`` gives nats.

    Returns
    -------
    xarray.DataArray
        ``occupancy_entropy`` (plug-in; at most ``log(n_states)`` or ``n_features·log(bins)``).
    """
    states = _as_dataarray(states, "states")
    base = _check_base(base)
    if feature_dim is None:
        out = _label_entropy(
            states, dims, n_states, base, "states", "state",
            hint="for continuous states, pass feature_dim naming the dim of their features "
                 f"(data has dims {tuple(states.dims)})")
        n_total = n_states
    else:
        (feature_dim,) = check_dims(states, feature_dim, "feature_dim")
        bins = check_int("bins", bins, low=1)
        x = check_values(states, name="states", counts=False).astype(float)
        if range is None:
            lo, hi = float(x.min()), float(x.max())
        else:
            if not isinstance(range, (tuple, list)) or len(range) != 2:
                raise TypeError(f"range must be a (low, high) pair of numbers, got {range!r}")
            lo, hi = (check_real("range", v) for v in range)
        if not hi > lo:
            raise ValueError(f"range must satisfy low < high, got ({lo}, {hi})")
        cell = np.clip(np.floor((x - lo) / (hi - lo) * bins), 0, bins - 1).astype(np.int64)
        n_feat = states.sizes[feature_dim]
        n_total = bins**n_feat
        if n_total > 2**40:
            raise ValueError(
                f"{bins} bins over {n_feat} features give {n_total} cells; reduce bins or features"
            )
        weights = xr.DataArray(bins ** np.arange(n_feat - 1, -1, -1, dtype=np.int64),
                               dims=feature_dim)
        flat = (cell * weights).sum(feature_dim)
        _, codes = np.unique(np.asarray(flat.values), return_inverse=True)  # only visited cells
        codes = flat.copy(data=codes.reshape(flat.shape))
        out = _label_entropy(codes, dims, None, base, "states", "state")
    out = out.rename("occupancy_entropy")
    out.attrs = {"long_name": "occupancy entropy",
                 "units": "nats" if base is None else f"log{base:g}"}
    return with_provenance(out, "neuromop.analysis.occupancy_entropy", n_states=n_total,
                           feature_dim=feature_dim, bins=bins, base=base)


def _terminated(terminated: object, time_dim: str) -> xr.DataArray:
    term = _as_dataarray(terminated, "terminated")
    check_dims(term, time_dim, "time_dim")
    if term.dtype.kind != "b":
        if term.dtype.kind not in "iuf" or not is_dask(term) and not bool(
            np.isin(np.asarray(term.values), [0, 1]).all()
        ):
            raise ValueError(
                f"terminated must be boolean (or 0/1), got dtype {term.dtype} with other values"
            )
        term = term.astype(bool)
    return term


def lifetime(terminated: xr.DataArray, *, time_dim: str = "time") -> xr.Dataset:
    """Lifetime of each episode: the number of steps before the first terminal step.

    Parameters
    ----------
    terminated : xarray.DataArray of bool
        True at steps where the episode is in (or enters) a terminal state, e.g. dims
        ``(episode, time)``.
    time_dim : str, default "time"

    Returns
    -------
    xarray.Dataset
        ``lifetime`` (steps; the index of the first True, i.e. 0 if terminated at the first step)
        and ``censored`` (True when the episode never terminated; its lifetime is then the
        episode length, a lower bound).
    """
    term = _terminated(terminated, time_dim)
    n = term.sizes[time_dim]
    ever = term.any(time_dim)
    first = term.argmax(time_dim)
    out = xr.Dataset({"lifetime": xr.where(ever, first, n), "censored": ~ever})
    out["lifetime"].attrs = {"units": "steps", "long_name": "steps before termination"}
    return with_provenance(out, "neuromop.analysis.lifetime", time_dim=time_dim)


def survival_curve(
    terminated: xr.DataArray,
    *,
    dims: Hashable | Iterable[Hashable] = "trial",
    time_dim: str = "time",
) -> xr.DataArray:
    """Fraction of episodes still alive (not yet terminated) at each time step.

    Parameters
    ----------
    terminated : xarray.DataArray of bool
        As in :func:`lifetime`.
    dims : str or tuple of str, default "trial"
        Episode dims averaged over.
    time_dim : str, default "time"

    Returns
    -------
    xarray.DataArray
        ``survival`` over ``time_dim``: ``S(t) = P(no termination at steps <= t)``, non-increasing.
        Episodes all have the same length, so there is no censoring before the end.
    """
    term = _terminated(terminated, time_dim)
    dims = check_dims(term, dims, "dims")
    if time_dim in dims:
        raise ValueError(f"dims must not include time_dim {time_dim!r}")
    dead = term.astype(np.int64).cumsum(time_dim) > 0
    out = (1.0 - dead.mean(dims)).rename("survival")
    out.attrs = {"long_name": "survival probability", "units": "1"}
    return with_provenance(out, "neuromop.analysis.survival_curve", dims=list(dims),
                           time_dim=time_dim)


def _episodes(value: object, name: str, dim: Hashable) -> xr.DataArray:
    """A DataArray of per-episode values; a 1-D array or list is read along ``dim``."""
    if not isinstance(value, xr.DataArray):
        arr = as_array(name, value)
        if arr.ndim != 1:
            raise ValueError(f"{name} must be an xarray.DataArray or a 1-D array of episodes, "
                             f"got shape {arr.shape}")
        value = xr.DataArray(arr, dims=(dim,))
    value = _as_dataarray(value, name)
    if value.ndim == 1 and dim not in value.dims:
        value = value.rename({value.dims[0]: dim})
    return value


def _like_lifetimes(value: object, name: str, life: xr.DataArray, dim: Hashable,
                    kinds: str) -> xr.DataArray:
    """``value`` per episode with the dims and shape of ``life`` and a dtype kind in ``kinds``."""
    out = _episodes(value, name, dim)
    if out.dtype.kind not in kinds:
        expected = "boolean" if kinds == "b" else "numbers of steps"
        raise TypeError(f"{name} must be {expected}, got dtype {out.dtype}")
    if out.shape != life.shape or set(out.dims) != set(life.dims):
        raise ValueError(f"{name} must have the dims and shape of lifetimes "
                         f"({life.dims}, {life.shape}), got {out.dims}, {out.shape}")
    return out.transpose(*life.dims)


def restricted_mean_lifetime(
    lifetimes: object,
    censored: object = None,
    *,
    horizon: float | None = None,
    entry: object = None,
    dim: str = "trial",
) -> xr.Dataset:
    """Restricted mean lifetime and survival from episodes that may not have ended.

    Episodes still running when observation stops (the end of a training epoch, of a rollout)
    are *censored*: their lifetime is only known to exceed the length observed. The
    Kaplan-Meier estimate ``S(t) = prod_{t_i <= t} (1 - d_i / n_i)`` (``d_i`` episodes ending
    at ``t_i``, ``n_i`` observed for at least ``t_i`` steps) uses them, and the restricted mean
    lifetime is its area up to the horizon, ``RMST(h) = int_0^h S(t) dt``: the mean of
    ``min(lifetime, h)``, finite even when no episode ends. Without censoring it equals
    ``mean(min(lifetimes, horizon))`` exactly.

    Parameters
    ----------
    lifetimes : xarray.DataArray or array_like
        Steps each episode lived (ended or not), non-negative, along ``dim`` (a 1-D array is
        read as ``dim``).
    censored : same shape as ``lifetimes`` (bool), optional
        True for episodes that had not ended (their lifetime is a lower bound). ``None``: none.
    horizon : float, optional
        Restriction time h (steps, > 0). Default: the longest lifetime observed (``S`` is
        held at its last value beyond the last observation when h is larger).
    entry : same shape as ``lifetimes``, optional
        Age (steps, ``0 <= entry <= lifetime``) at which each episode came under observation
        (left truncation, e.g. episodes already running when a training epoch starts). An
        episode is at risk at age ``t`` only when ``entry < t``: without it, episodes seen
        because they lived long are over-represented (length bias). ``None``: all from 0.
    dim : str, default "trial"
        The episode dim reduced over.

    Returns
    -------
    xarray.Dataset
        ``restricted_mean_lifetime`` (steps), ``survival`` (``S(h)``, the fraction expected
        to live beyond the horizon), ``n_ended`` and ``n_censored``, over the other dims.
    """
    if not isinstance(dim, str) or not dim:
        raise TypeError(f"dim must be the name of the episode dim (a non-empty str), got "
                        f"{dim!r}")
    life = _episodes(lifetimes, "lifetimes", dim)
    if dim not in life.dims:
        raise ValueError(f"dim {dim!r} is not a dim of lifetimes (dims {life.dims})")
    if life.sizes[dim] == 0:
        raise ValueError(f"lifetimes must hold at least one episode along {dim!r}")
    if life.dtype.kind not in "iuf":
        raise TypeError(f"lifetimes must be numbers of steps, got dtype {life.dtype}")
    values = np.asarray(life.values, dtype=float)
    if not np.all(np.isfinite(values)) or np.any(values < 0):
        raise ValueError("lifetimes must be finite and non-negative (steps)")
    cens = (xr.zeros_like(life, dtype=bool) if censored is None
            else _like_lifetimes(censored, "censored", life, dim, "b"))
    start = (xr.zeros_like(life, dtype=float) if entry is None
             else _like_lifetimes(entry, "entry", life, dim, "iuf").astype(float))
    if (not np.all(np.isfinite(start.values)) or np.any(start.values < 0)
            or np.any(start.values > values)):
        raise ValueError("entry must be finite, >= 0 and <= the episode's lifetime (steps)")
    if horizon is None:
        h = float(values.max())
    else:
        h = check_real("horizon", horizon, low=0.0, low_inclusive=False)

    def reduce(t: np.ndarray, c: np.ndarray, e: np.ndarray) -> np.ndarray:
        t, c = t.astype(float), c.astype(bool)
        times, d = np.unique(t[~c & (t <= h)], return_counts=True)
        # at risk at age t_i: not gone (t >= t_i) and observed from before t_i (entry < t_i;
        # entry 0 is observed from the start, age 0 included)
        late = np.sort(e[e > 0])
        n_at = ((t.size - np.searchsorted(np.sort(t), times, side="left"))
                - (late.size - np.searchsorted(late, times, side="left")))
        s = np.cumprod(1.0 - d / n_at)
        grid = np.concatenate([[0.0], times, [h]])
        area = float(np.sum(np.concatenate([[1.0], s]) * np.diff(grid)))
        return np.array([area, s[-1] if s.size else 1.0, float((~c).sum()), float(c.sum())])

    out = xr.apply_ufunc(reduce, life.astype(float), cens, start,
                         input_core_dims=[[dim], [dim], [dim]],
                         output_core_dims=[["_stat"]], vectorize=True)
    ds = xr.Dataset({
        "restricted_mean_lifetime": out.isel(_stat=0).assign_attrs(
            units="steps", long_name=f"restricted mean lifetime up to {h:g} steps"),
        "survival": out.isel(_stat=1).assign_attrs(
            units="1", long_name=f"Kaplan-Meier survival beyond {h:g} steps"),
        "n_ended": out.isel(_stat=2).astype(np.int64),
        "n_censored": out.isel(_stat=3).astype(np.int64),
    })
    ds.attrs["horizon"] = h
    return with_provenance(ds, "neuromop.analysis.restricted_mean_lifetime", dim=str(dim),
                           horizon=h)
