"""Pairwise spike-count correlations: noise (r_sc, across trials) and signal (across conditions).

Both return a labelled ``(neuron, neuron_2)`` matrix (per window time if a ``window`` is given),
computed for all pairs at once as one matrix product over trials, on numpy- or dask-backed data.
"""

from __future__ import annotations

import functools
import warnings
from collections.abc import Hashable

import numpy as np
import xarray as xr

from neuromop.analysis._covariance import (
    correlation_from_records,
    correlation_matrix,
    dask_correlation,
    merge,
    record,
)
from neuromop.analysis._reduce import _value_problems as value_problems
from neuromop.analysis._reduce import (
    activity,
    check_dims,
    check_values,
    group_moments,
    is_dask,
    kept_coords,
    sliding_window_sum,
    window_plan,
    window_sums,
    with_provenance,
)

__all__ = ["pair_values", "signal_correlation", "spike_count_correlation"]


def _second_copy(da: xr.DataArray, dim: str) -> xr.DataArray:
    """``da`` with ``dim`` (and every coordinate along it) renamed with the suffix ``_2``."""
    along = [c for c in da.coords if da[c].dims == (dim,)]
    return da.rename({dim: f"{dim}_2", **{c: f"{c}_2" for c in along if c != dim}})


def _gram(a):
    """``a.T @ a`` over the last two axes (numpy or dask)."""
    if isinstance(a, np.ndarray):  # BLAS takes a slow path on Fortran-ordered operands (7x)
        a = np.ascontiguousarray(a)
    return a.swapaxes(-1, -2) @ a


def _correlate(z: xr.DataArray, sample_dim: str, dim: str, name: str) -> xr.DataArray:
    """Pearson correlation of all pairs along ``dim`` of centred ``z`` over ``sample_dim``."""
    # one BLAS matrix product per remaining index (xr.dot goes through einsum, ~6x slower)
    cross = xr.apply_ufunc(
        _gram, z, input_core_dims=[[sample_dim, dim]], output_core_dims=[[dim, f"{dim}_2"]],
        dask="allowed",
    )
    along = [c for c in z.coords if z[c].dims == (dim,)]
    cross = cross.assign_coords({(f"{dim}_2" if c == dim else f"{c}_2"): (f"{dim}_2", z[c].values)
                                 for c in along})
    norm = np.sqrt((z * z).sum(sample_dim))
    norm = norm.where(norm > 0)
    r = cross / (norm * _second_copy(norm, dim))
    if not is_dask(r):
        silent = int(norm.isnull().sum())
        if silent:
            warnings.warn(
                f"{silent} {dim}(s) have zero count variance over {sample_dim}: their {name} "
                "values are NaN",
                RuntimeWarning,
                stacklevel=3,
            )
    return r.rename(name)


def _is_trial_coord(da: xr.DataArray, name: object) -> bool:
    """Whether ``name`` names a coordinate along ``trial`` (``False`` for unhashable names)."""
    return isinstance(name, Hashable) and name in da.coords and da[name].dims == ("trial",)


def _prepare(data, window, step, time_dim, name):
    da = activity(data, name)
    check_dims(da, ("trial", "neuron"), f"{name} dims")
    da = check_values(da, name=name, counts=False)
    extra = [d for d in da.dims if d not in ("trial", "neuron")]
    if time_dim not in da.dims and extra:
        raise ValueError(f"time_dim must be one of the {name} dims {extra} (the dims summed "
                         f"into counts), got {time_dim!r}")
    if window is None and step is None:
        if time_dim in da.dims:
            da = da.sum(time_dim, skipna=False)
    else:
        da, _ = sliding_window_sum(da, window, step, time_dim=time_dim)
    return da.astype(float)


def spike_count_correlation(
    data: xr.Dataset | xr.DataArray,
    *,
    window: float | None = None,
    step: float | None = None,
    zscore_by: str | None = None,
    time_dim: str = "time",
) -> xr.DataArray:
    """Spike-count (noise) correlation r_sc across trials for every pair of neurons.

    Parameters
    ----------
    data : xarray.DataArray, xarray.Dataset or numpy.ndarray
        Counts (or rates) with dims ``trial`` and ``neuron`` (and usually ``time``); a plain
        array is ``(trial, neuron)`` or ``(trial, time, neuron)``.
    window : float, optional
        Counting window (s). ``None`` (default, with ``step=None``) counts over the whole trial
        (the time dim is summed); otherwise r_sc is computed in every sliding window.
    step : float, optional
        Spacing of the windows (s); default one bin.
    zscore_by : str, optional
        Name of a coordinate along ``trial`` (e.g. ``"condition"``): counts are z-scored within
        each of its values before correlating across all trials, removing tuning (signal)
        differences between conditions. ``None`` correlates raw counts.
    time_dim : str, default "time"

    Returns
    -------
    xarray.DataArray
        ``r_sc`` (dimensionless) with dims ``(neuron, neuron_2)``, after the input's other dims
        (``time``: window centres, s) when windowed: symmetric, 1 on the diagonal. Neurons
        whose count never varies (within a condition, when z-scoring) have NaN rows, and a
        ``RuntimeWarning`` says how many (numpy-backed data). Lazy (dask-backed) if ``data``
        is.

    Notes
    -----
    The counts are reduced block by block over trials to their means and matrices of centred
    cross-products (per condition when z-scoring), merged with Chan et al.'s pairwise formula
    (``neuromop.analysis._covariance``): memory is O(neurons² x windows + one block) whatever
    the number of trials, for dask-backed data too (one task per chunk of trials, chunks
    windowed as they are read).
    """
    if _is_count_matrix(data, window, step, zscore_by, time_dim):
        return _matrix_rsc(data)
    da = activity(data, "data")
    check_dims(da, ("trial", "neuron"), "data dims")
    da = check_values(da, name="data", counts=False)
    extra = [d for d in da.dims if d not in ("trial", "neuron")]
    if time_dim not in da.dims and extra:
        raise ValueError(f"time_dim must be one of the data dims {extra} (the dims summed "
                         f"into counts), got {time_dim!r}")
    if da.sizes["trial"] < 2:
        raise ValueError(f"reducing over ['trial'] needs at least 2 samples, got "
                         f"{da.sizes['trial']} (sizes {dict(da.sizes)})")
    groups, n_groups = (None, 1) if zscore_by is None else _condition_groups(da, zscore_by)
    whole = window is None and step is None
    plan = None if whole else window_plan(da, window, step, time_dim=time_dim)
    summed = (time_dim,) if whole and time_dim in da.dims else ()
    rest = [d for d in da.dims if d not in ("trial", "neuron", *summed)]
    if is_dask(da):
        x = da.sum(time_dim, skipna=False) if summed else da
        x = x if plan is None else window_sums(x, plan, time_dim)
        x = _trial_blocks(x.transpose("trial", *rest, "neuron").data)
        values = dask_correlation(x, groups, n_groups)
    else:
        values, silent = _numpy_rsc(da, plan, summed, rest, time_dim, groups, n_groups)
        _warn_silent(silent, stacklevel=3)
    coords = kept_coords(da, ("trial", *summed), plan, time_dim)
    coords.update({(f"{c}_2" if c != "neuron" else "neuron_2"): (("neuron_2",), v.values)
                   for c, v in coords.items() if v.dims == ("neuron",)})
    r = xr.DataArray(values, dims=(*rest, "neuron", "neuron_2"), coords=coords, name="r_sc",
                     attrs={"long_name": "spike-count correlation", "units": "1"})
    return with_provenance(
        r, "neuromop.analysis.spike_count_correlation", window=window, step=step,
        zscore_by=zscore_by,
    )


def _is_count_matrix(data, window, step, zscore_by, time_dim) -> bool:
    """Whether ``data`` is a plain array correlated over whole trials (the fast path)."""
    return (isinstance(data, np.ndarray) and not isinstance(data, np.matrix)
            and (data.ndim == 2 or (data.ndim == 3 and time_dim == "time"))
            and window is None and step is None and zscore_by is None)


@functools.lru_cache(maxsize=8)
def _matrix_template(n_neuron: int) -> xr.DataArray:
    """An ``(neuron, neuron_2)`` array of zeros (no memory) labelled 0..n-1, copied per result
    (building the two indexes anew takes longer than a 100-neuron r_sc)."""
    labels = np.arange(n_neuron)
    return xr.DataArray(np.broadcast_to(0.0, (n_neuron, n_neuron)), dims=("neuron", "neuron_2"),
                        coords={"neuron": labels, "neuron_2": labels}, name="r_sc")


def _matrix_rsc(data: np.ndarray) -> xr.DataArray:
    """r_sc of a plain ``(trial, neuron)`` or ``(trial, time, neuron)`` array: the checks of
    :func:`neuromop.analysis._reduce.check_values` on the array itself, one Gram product, and
    the labels wrapped once."""
    if data.size == 0:
        raise ValueError(f"data must not be empty, got shape {data.shape}")
    problem = value_problems(data, counts=False)
    if problem is not None:
        raise ValueError(f"data: {problem}")
    if data.shape[0] < 2:
        raise ValueError(f"reducing over ['trial'] needs at least 2 samples, got "
                         f"{data.shape[0]} (shape {data.shape})")
    values = data if data.ndim == 2 else data.sum(axis=1)
    r = correlation_matrix(values)
    _warn_silent(int(np.count_nonzero(np.isnan(np.einsum("ii->i", r)))), stacklevel=4)
    out = _matrix_template(r.shape[0]).copy(data=r, deep=False)
    out.attrs = {"long_name": "spike-count correlation", "units": "1"}
    return with_provenance(out, "neuromop.analysis.spike_count_correlation", window=None,
                           step=None, zscore_by=None)


def _warn_silent(silent: int, stacklevel: int) -> None:
    if silent:
        warnings.warn(
            f"{silent} neuron(s) have zero count variance over trial: their r_sc values are NaN",
            RuntimeWarning,
            stacklevel=stacklevel,
        )


def _condition_groups(da: xr.DataArray, zscore_by) -> tuple[np.ndarray, int]:
    """Group index of every trial by the ``zscore_by`` coordinate, and the number of groups."""
    if not _is_trial_coord(da, zscore_by):
        raise ValueError(
            f"zscore_by must name a coordinate along 'trial', got {zscore_by!r} "
            f"(coordinates: {list(da.coords)})"
        )
    uniq, groups, sizes = np.unique(np.asarray(da[zscore_by].values), return_inverse=True,
                                    return_counts=True)
    if np.any(sizes < 2):
        raise ValueError(
            f"every {zscore_by!r} group needs >= 2 trials to z-score, got group sizes "
            f"{sizes.tolist()}"
        )
    return groups.ravel(), len(uniq)


#: Bytes of float64 samples per block of trials on numpy-backed data (at least as many trials
#: as neurons, so that the Gram products dominate the merges).
_BLOCK_BYTES = 2**26


def _numpy_rsc(da, plan, summed, rest, time_dim, groups, n_groups):
    """r_sc of numpy-backed ``da`` over blocks of trials, and the number of NaN norms."""
    n_trial = da.sizes["trial"]
    n_sets = int(np.prod([da.sizes[d] if d != time_dim or plan is None else len(plan.ends)
                          for d in rest]))
    n_neuron = da.sizes["neuron"]
    rows = max(_BLOCK_BYTES // (8 * n_sets * n_neuron), n_neuron, 1)
    plain = not summed and plan is None and not rest
    records = []
    for lo in range(0, n_trial, rows):
        hi = min(lo + rows, n_trial)
        part = da if (lo, hi) == (0, n_trial) else da.isel(trial=slice(lo, hi))
        if plain:  # (trial, neuron): the raw array, no xarray arithmetic
            block = part.transpose("trial", "neuron").data
        else:
            if summed:
                part = part.sum(time_dim, skipna=False)
            elif plan is not None:
                part = window_sums(part, plan, time_dim)
            block = part.transpose("trial", *rest, "neuron").data
        if hi - lo == n_trial and groups is None and n_sets == 1:  # one Gram product
            r = correlation_matrix(block.reshape(n_trial, n_neuron))
            break
        records.append(record(block, None if groups is None else groups[lo:hi], n_groups))
        if len(records) > 1:
            records = [merge(records)]
    else:
        r = correlation_from_records(records[0], standardize_groups=groups is not None)
    silent = int(np.count_nonzero(np.isnan(np.einsum("...ii->...i", r))))
    shape = [da.sizes[d] if d != time_dim or plan is None else len(plan.ends) for d in rest]
    return r.reshape(*shape, n_neuron, n_neuron), silent


def _trial_blocks(x):
    """``x`` (dask) with every axis but the first (trial) in one chunk; chunks of trials kept
    when they already are, else sized like the input's largest chunk (at least 32 MiB)."""
    if all(len(c) == 1 for c in x.chunks[1:]):
        return x
    largest = x.dtype.itemsize * int(np.prod([max(c) for c in x.chunks]))
    row = x.dtype.itemsize * int(np.prod(x.shape[1:]))
    rows = int(min(max(max(largest, 2**25) // max(row, 1), 1), x.shape[0]))
    return x.rechunk({0: rows, **{a: -1 for a in range(1, x.ndim)}})


def signal_correlation(
    data: xr.Dataset | xr.DataArray,
    condition: str = "condition",
    *,
    window: float | None = None,
    step: float | None = None,
    time_dim: str = "time",
) -> xr.DataArray:
    """Signal correlation: correlation across conditions of the neurons' mean counts (tuning).

    Parameters
    ----------
    data : xarray.DataArray or xarray.Dataset
        Counts (or rates) with dims ``trial`` and ``neuron``.
    condition : str, default "condition"
        Coordinate along ``trial`` defining the conditions (at least 2 distinct values).
    window, step : float, optional
        As in :func:`spike_count_correlation`.
    time_dim : str, default "time"

    Returns
    -------
    xarray.DataArray
        ``signal_correlation`` with dims ``(neuron, neuron_2[, time])``.
    """
    da = _prepare(data, window, step, time_dim, "data")
    if not _is_trial_coord(da, condition):
        raise ValueError(
            f"condition must name a coordinate along 'trial', got {condition!r} "
            f"(coordinates: {list(da.coords)})"
        )
    tuning, _, _ = group_moments(da, np.asarray(da[condition].values), "trial",
                                 group_dim=condition)
    if tuning.sizes[condition] < 2:
        raise ValueError(
            f"signal correlation needs >= 2 distinct values of {condition!r}, "
            f"got {tuning.sizes[condition]}"
        )
    z = tuning - tuning.mean(condition)
    r = _correlate(z, condition, "neuron", "signal_correlation")
    r.attrs = {"long_name": "signal correlation", "units": "1"}
    return with_provenance(
        r, "neuromop.analysis.signal_correlation", condition=condition, window=window, step=step
    )


def pair_values(r: xr.DataArray, dim: str = "neuron") -> xr.DataArray:
    """The off-diagonal values ``r[i, j]``, ``i < j``, of a pairwise matrix, along a ``pair`` dim.

    Parameters
    ----------
    r : xarray.DataArray
        A matrix with dims ``dim`` and ``f"{dim}_2"`` (e.g. from :func:`spike_count_correlation`).
    dim : str, default "neuron"

    Returns
    -------
    xarray.DataArray
        Values along ``pair`` (other dims kept), with the two neurons as coordinates.
    """
    if not isinstance(r, xr.DataArray):
        raise TypeError(f"r must be an xarray.DataArray, got {type(r).__name__}")
    check_dims(r, (dim, f"{dim}_2"), "r dims")
    n = r.sizes[dim]
    if r.sizes[f"{dim}_2"] != n:
        raise ValueError(f"r must be square over ({dim}, {dim}_2), got sizes {dict(r.sizes)}")
    i, j = np.triu_indices(n, k=1)
    return r.isel({dim: xr.DataArray(i, dims="pair"), f"{dim}_2": xr.DataArray(j, dims="pair")})
