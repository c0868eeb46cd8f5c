"""Pairwise spike-count correlations: noise (r_sc, across trials) and signal (across conditions).

Both return a labelled ``(neuron, neuron_2)`` matrix (per window time if a ``window`` is given),
computed for all pairs at once as one matrix product over trials, on numpy- or dask-backed data.
"""

from __future__ import annotations

import warnings
from collections.abc import Hashable

import numpy as np
import xarray as xr

from neuromop.analysis._reduce import (
    activity,
    check_dims,
    check_values,
    group_moments,
    is_dask,
    reduce_dims,
    sliding_window_sum,
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
    data : xarray.DataArray or xarray.Dataset
        Counts (or rates) with dims ``trial`` and ``neuron`` (and usually ``time``).
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
        ``r_sc`` with dims ``(neuron, neuron_2[, time])``: symmetric, 1 on the diagonal. Neurons
        whose count never varies (within a condition, when z-scoring) have NaN rows, and a
        ``RuntimeWarning`` says how many (numpy-backed data).
    """
    da = _prepare(data, window, step, time_dim, "data")
    reduce_dims(da, "mean", "trial", min_size=2)  # validates the trial count
    if zscore_by is None:
        z = da - da.mean("trial")
    else:
        if not _is_trial_coord(da, zscore_by):
            raise ValueError(
                f"zscore_by must name a coordinate along 'trial', got {zscore_by!r} "
                f"(coordinates: {list(da.coords)})"
            )
        labels = np.asarray(da[zscore_by].values)
        sizes = np.unique(labels, return_counts=True)[1]
        if np.any(sizes < 2):
            raise ValueError(
                f"every {zscore_by!r} group needs >= 2 trials to z-score, got group sizes "
                f"{sizes.tolist()}"
            )
        _, var, centred = group_moments(da, labels, "trial")
        std = np.sqrt(var)
        scale = xr.dot(
            xr.DataArray(labels[:, None] == var["group"].values[None, :],
                         dims=("trial", "group")).astype(float),
            1.0 / std.where(std > 0, np.inf),
            dim="group",
        )
        z = centred * scale  # constant neurons in a group contribute 0
    r = _correlate(z, "trial", "neuron", "r_sc")
    r.attrs = {"long_name": "spike-count correlation", "units": "1"}
    return with_provenance(
        r, "neuromop.analysis.spike_count_correlation", window=window, step=step,
        zscore_by=zscore_by,
    )


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
