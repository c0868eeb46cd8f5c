"""Conditions from trial metadata, the mean-matched Fano factor pooled over recordings, and Fano
factors of groups of trials compared at matched mean counts.

Churchland et al. (2010) pool every neuron × condition of many separately recorded datasets into
one regression of variance on mean. Different sessions have different trials (and often different
conditions), so they cannot be stacked into one ``(trial, time, neuron)`` array; the mean-matched
Fano factor only needs, per neuron × condition, the mean and variance of the windowed count and
the number of trials, so :func:`pooled_mean_matched_fano_factor` computes those per dataset and
runs the matching and regression on their union.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Mapping, Sequence

import numpy as np
import xarray as xr
from numpy.typing import ArrayLike

from neuromop._checks import check_bool, check_int, check_real
from neuromop._random import as_generator
from neuromop.analysis._reduce import with_provenance
from neuromop.analysis.variability import (
    MAX_REPEATS,
    matched_regression,
    point_labels,
    point_statistics,
)

__all__ = ["add_condition", "group_matched_fano_factor", "pooled_mean_matched_fano_factor"]


def add_condition(
    data: xr.Dataset | xr.DataArray,
    by: Hashable | Iterable[Hashable] = ("offer_a", "offer_b"),
    *,
    name: str = "condition",
    min_trials: int = 1,
) -> xr.Dataset | xr.DataArray:
    """Label each trial with the combination of trial coordinates ``by`` (e.g. the offer pair).

    Parameters
    ----------
    data : xarray.Dataset or xarray.DataArray
        Data with a ``trial`` dim and the coordinates ``by`` along it.
    by : str or iterable of str, default ("offer_a", "offer_b")
        Trial coordinates whose joint values define a condition.
    name : str, default "condition"
        Name of the new trial coordinate; its values are strings such as
        ``"offer_a=1,offer_b=3"``.
    min_trials : int, default 1
        Trials of conditions with fewer trials than this are dropped (e.g. 2 for a ``ddof=1``
        variance within each condition).

    Returns
    -------
    xarray.Dataset or xarray.DataArray
        ``data`` restricted to the kept trials, with the coordinate ``name`` along ``trial``;
        ``attrs["conditions"]`` records ``by`` and ``min_trials``.

    Raises
    ------
    TypeError
        ``data`` is not an xarray object.
    ValueError
        No ``trial`` dim, a ``by`` entry that is not a coordinate along ``trial``, or no
        condition with ``min_trials`` trials.
    """
    if not isinstance(data, xr.Dataset | xr.DataArray):
        raise TypeError(f"data must be an xarray.Dataset or DataArray, got {type(data).__name__}")
    if "trial" not in data.dims:
        raise ValueError(f"data must have a 'trial' dim, got dims {list(data.dims)}")
    if data.sizes["trial"] == 0:
        raise ValueError("data must have at least one trial, got an empty 'trial' dim")
    by = [by] if isinstance(by, str) or not isinstance(by, Iterable) else list(by)
    if not by:
        raise ValueError("by must name at least one trial coordinate, got an empty sequence")
    bad = [b for b in by if b not in data.coords or data[b].dims != ("trial",)]
    if bad:
        along = [c for c in data.coords if data[c].dims == ("trial",)]
        raise ValueError(f"by must name coordinates along 'trial'; {bad} are not (available: "
                         f"{along})")
    if not isinstance(name, str) or not name:
        raise TypeError(f"name must be a non-empty str, got {name!r}")
    min_trials = check_int("min_trials", min_trials, low=1)
    columns = [np.asarray(data[b].values) for b in by]
    labels = np.array([",".join(f"{b}={v}" for b, v in zip(by, row)) for row in zip(*columns)],
                      dtype=object)
    _, inverse, sizes = np.unique(labels.astype(str), return_inverse=True, return_counts=True)
    keep = sizes[inverse] >= min_trials
    if not keep.any():
        raise ValueError(f"no condition of {by} has >= {min_trials} trials "
                         f"(largest has {int(sizes.max())})")
    out = data.assign_coords({name: ("trial", labels)}).isel(trial=np.flatnonzero(keep))
    out.attrs = {**data.attrs, "conditions": f"{name} = {by} (min_trials={min_trials})"}
    return out


def _named(datasets) -> tuple[list[str], list]:
    if isinstance(datasets, Mapping):
        names, items = [str(k) for k in datasets], list(datasets.values())
    elif isinstance(datasets, Sequence) and not isinstance(datasets, str | xr.Dataset
                                                             | xr.DataArray):
        items = list(datasets)
        names = [str(getattr(d, "attrs", {}).get("session", i)) for i, d in enumerate(items)]
    else:
        raise TypeError("datasets must be a sequence or mapping of xarray Datasets/DataArrays, "
                        f"got {type(datasets).__name__}")
    if not items:
        raise ValueError("datasets must hold at least one dataset, got none")
    return names, items


def pooled_mean_matched_fano_factor(
    datasets: Sequence[xr.Dataset | xr.DataArray] | Mapping[str, xr.Dataset | xr.DataArray],
    *,
    window: float | None = None,
    step: float | None = None,
    condition: str | None = None,
    repeats: int = 10,
    bin_size: float = 0.25,
    weighted: bool = True,
    random_state: None | int | np.random.Generator = 0,
    times: ArrayLike | None = None,
    diagnostics: bool = False,
) -> xr.Dataset:
    """Mean-matched Fano factor over time with the neuron × condition points of many datasets.

    Each dataset (e.g. one recording session, with its own trials and neurons) contributes its
    neuron × condition points — mean and ``ddof=1`` variance of the windowed count across that
    condition's trials, and the trial count for the regression weight — and the matching and
    weighted regression of :func:`neuromop.analysis.mean_matched_fano_factor` run on all points
    together, as in Churchland et al. (2010). With one dataset the result equals
    ``mean_matched_fano_factor`` with the same seed.

    Parameters
    ----------
    datasets : sequence or mapping of xarray.Dataset / DataArray
        Spike counts ``(trial, time, neuron)``, all with the same time bins (same window centres
        after windowing). A mapping's keys (or each Dataset's ``attrs["session"]``) name them.
    window, step, condition, repeats, bin_size, weighted, random_state, times, diagnostics
        As in :func:`neuromop.analysis.mean_matched_fano_factor`; ``condition`` must be a trial
        coordinate of every dataset (see :func:`add_condition`). Datasets of one neuron each
        give the toolbox's per-neuron trial sets (neurons recorded on different trials).

    Returns
    -------
    xarray.Dataset
        The variables of ``mean_matched_fano_factor`` over ``time``; ``n_points`` is the pooled
        number of neuron × condition points, and ``points_per_dataset`` (dim ``dataset``) says
        where they came from. With ``diagnostics``, the per-point variables are labelled by
        ``point_dataset`` as well as ``point_neuron`` and ``point_condition``.

    Raises
    ------
    TypeError
        ``datasets`` is not a sequence/mapping.
    ValueError
        No datasets, time bins that differ between datasets, or any error of
        ``mean_matched_fano_factor`` (naming the offending dataset).
    """
    repeats = check_int("repeats", repeats, low=0, high=MAX_REPEATS)
    bin_size = check_real("bin_size", bin_size, low=0.0, low_inclusive=False)
    if not isinstance(weighted, bool):
        raise TypeError(f"weighted must be a bool, got {weighted!r}")
    diagnostics = check_bool("diagnostics", diagnostics)
    rng = as_generator(random_state)
    names, items = _named(datasets)
    xs, ys, trials, points, labels = [], [], [], [], []
    centres = used = None
    for label, item in zip(names, items):  # one per recording session: not a hot path
        try:
            x, y, n, t, w = point_statistics(item, window=window, step=step, condition=condition,
                                             times=times)
            if diagnostics:
                labels.append(point_labels(item, condition))
        except TypeError as err:
            raise TypeError(f"dataset {label!r}: {err}") from err
        except ValueError as err:
            raise ValueError(f"dataset {label!r}: {err}") from err
        if centres is None:
            centres, used = t, w
        elif t.shape != centres.shape or not np.allclose(t, centres, atol=1e-9) or w != used:
            raise ValueError(
                f"dataset {label!r} has different time windows than {names[0]!r}: "
                f"{t.size} windows of {w} s from {t[0] if t.size else None} s vs {centres.size} "
                f"of {used} s from {centres[0]} s; bin every dataset with the same window and "
                "bin width"
            )
        xs.append(x)
        ys.append(y)
        trials.append(n)
        points.append(x.shape[1])
    result = matched_regression(np.concatenate(xs, axis=1), np.concatenate(ys, axis=1),
                                np.concatenate(trials), centres, used, repeats=repeats,
                                bin_size=bin_size, weighted=weighted, rng=rng,
                                diagnostics=diagnostics)
    if diagnostics:
        result = result.assign_coords(
            point_dataset=("point", np.repeat(names, points)),
            point_neuron=("point", np.concatenate([n for n, _ in labels])),
            point_condition=("point", np.concatenate([c for _, c in labels])))
    result["points_per_dataset"] = xr.DataArray(np.array(points), dims="dataset",
                                                coords={"dataset": names})
    result.attrs["n_datasets"] = len(items)
    return with_provenance(
        result, "neuromop.analysis.pooled_mean_matched_fano_factor", datasets=names,
        window=window, step=step, condition=condition, repeats=repeats, bin_size=bin_size,
        weighted=weighted,
        random_state=(
            "Generator" if isinstance(random_state, np.random.Generator) else random_state
        ),
        times=None if times is None else np.asarray(times, dtype=float).tolist(),
        diagnostics=diagnostics,
    )


def group_matched_fano_factor(
    counts: xr.Dataset | xr.DataArray,
    by: str,
    *,
    window: float | None = None,
    step: float | None = None,
    repeats: int = 10,
    bin_size: float = 0.25,
    weighted: bool = True,
    random_state: None | int | np.random.Generator = 0,
) -> xr.Dataset:
    """Fano factor of each group of trials (e.g. controller, epoch) at matched mean counts.

    Fano factors depend on the firing rate (refractoriness makes counts sub-Poisson at high
    rates; near-silent neurons give ~1 whatever the process), so groups firing at different rates
    cannot be compared directly. This applies Churchland et al.'s (2010) mean matching *across
    groups* instead of across times: every (window, neuron) pair of a group is a point (mean
    and ``ddof=1`` variance of its count across the group's trials); the histograms of the
    points' means are reduced to their greatest common distribution (the per-bin minimum over
    groups) by ``repeats`` random down-selections, and each group's Fano factor is the
    weighted regression slope of variance on mean through its kept points (weights
    ``n_trials / (mean + eps)²``, ``eps = 1 spike/s × window``), averaged over repeats.

    Parameters
    ----------
    counts : xarray.DataArray or xarray.Dataset
        Spike counts with dims ``trial``, ``time``, ``neuron``; all groups share the time bins.
    by : str
        Coordinate along ``trial`` whose values define the groups (>= 2 groups, each with
        >= 2 trials).
    window, step : float, optional
        Counting window and spacing (s), as in :func:`neuromop.analysis.mean_matched_fano_factor`
        (default one bin; ``step`` defaults to ``window``).
    repeats : int, default 10
        Random matchings (at most ``MAX_REPEATS``); 0 skips matching (only the unmatched
        ``fano_factor_all``).
    bin_size : float, default 0.25
        Histogram bin width of the mean counts (spikes); use a fraction of the typical mean
        count (e.g. 0.05 when means are ~0.1-1 spike per window).
    weighted : bool, default True
        Weighted (as in the paper) or ordinary least-squares regression.
    random_state : None, int or numpy.random.Generator, default 0
        Seed of the matching (reproducible by default, as the toolbox seeds itself; ``None``
        draws fresh entropy).

    Returns
    -------
    xarray.Dataset
        Over the dim ``by`` (one entry per group, sorted): ``fano_factor`` (matched) with
        ``fano_factor_low`` / ``fano_factor_high`` (±2 SE), ``fano_factor_all`` (unmatched) with
        its limits, ``mean_rate`` and ``mean_rate_matched`` (spikes/s), ``fraction_retained``
        (share of each group's points kept, the same for all groups) and ``n_points``.

    Raises
    ------
    ValueError
        ``by`` is not a coordinate along ``trial``, fewer than 2 groups, a group with fewer
        than 2 trials, bad counts or windows.
    MeanMatchingError
        (a ``ValueError``) fewer than 5 points per group survive the matching (the groups'
        mean distributions barely overlap).
    """
    if not isinstance(counts, xr.Dataset | xr.DataArray):
        raise TypeError(f"counts must be an xarray.Dataset or DataArray, got "
                        f"{type(counts).__name__}")
    if not isinstance(by, str) or by not in counts.coords or counts[by].dims != ("trial",):
        along = [c for c in counts.coords if counts[c].dims == ("trial",)]
        raise ValueError(f"by must name a coordinate along 'trial', got {by!r} "
                         f"(available: {along})")
    repeats = check_int("repeats", repeats, low=0, high=MAX_REPEATS)
    bin_size = check_real("bin_size", bin_size, low=0.0, low_inclusive=False)
    if not isinstance(weighted, bool):
        raise TypeError(f"weighted must be a bool, got {weighted!r}")
    labels = np.unique(np.asarray(counts[by].values))  # the order of point_statistics
    if labels.size < 2:
        raise ValueError(f"by={by!r} must define >= 2 groups of trials, got {labels.tolist()}")
    rng = as_generator(random_state)
    x, y, n, _, used = point_statistics(counts, window=window, step=step, condition=by)
    n_times, n_groups = x.shape[0], labels.size

    def per_group(a):  # (time, group x neuron) -> (group, time x neuron)
        return a.reshape(n_times, n_groups, -1).transpose(1, 0, 2).reshape(n_groups, -1)

    x, y = per_group(x), per_group(y)
    # one trial count per group: it scales the group's weights, not its slope
    trials = np.broadcast_to(n.reshape(n_groups, -1)[:, :1], x.shape)
    result = matched_regression(x, y, trials, np.arange(n_groups), used, repeats=repeats,
                                bin_size=bin_size, weighted=weighted, rng=rng)
    result = result.rename(time=by).assign_coords({by: labels})
    result[by].attrs = {}
    return with_provenance(
        result, "neuromop.analysis.group_matched_fano_factor", by=by, window=window, step=step,
        repeats=repeats, bin_size=bin_size, weighted=weighted,
        random_state=(
            "Generator" if isinstance(random_state, np.random.Generator) else random_state
        ),
    )
