"""Private helpers shared by every analysis: input resolution, named-dim reductions, provenance.

Everything here works on numpy- and dask-backed xarray objects alike: reductions use xarray's
own (dask-aware) methods, value checks on dask data are attached lazily to every chunk so that
they cost no extra pass over a dataset larger than memory.
"""

from __future__ import annotations

import numbers
from collections.abc import Hashable, Iterable
from typing import Any

import numpy as np
import xarray as xr

from neuromop._provenance import provenance
from neuromop.data.schema import activity_variable

__all__ = [
    "activity",
    "bin_width_of",
    "check_time",
    "check_dims",
    "check_values",
    "group_moments",
    "is_dask",
    "reduce_dims",
    "sliding_window_sum",
    "with_provenance",
]

_REDUCTIONS = ("mean", "var", "std", "sum")


def activity(data: xr.Dataset | xr.DataArray, name: str = "data") -> xr.DataArray:
    """Return the activity DataArray of ``data`` (its single activity variable for a Dataset).

    The Dataset's ``bin_width`` attribute is copied onto the returned DataArray when the variable
    itself does not carry one, so that windows in seconds can be converted to bins.
    """
    if not isinstance(data, xr.Dataset | xr.DataArray):
        raise TypeError(
            f"{name} must be an xarray.Dataset or xarray.DataArray, got {type(data).__name__}"
        )
    da = activity_variable(data)
    if isinstance(data, xr.Dataset) and "bin_width" in data.attrs and "bin_width" not in da.attrs:
        da = da.copy(deep=False)
        da.attrs = {**da.attrs, "bin_width": data.attrs["bin_width"]}
    return da


def is_dask(da: xr.DataArray) -> bool:
    """Whether ``da`` is backed by a dask array."""
    return da.chunks is not None


def check_dims(
    da: xr.DataArray, dims: Hashable | Iterable[Hashable], name: str = "dims"
) -> tuple[Hashable, ...]:
    """Return ``dims`` as a tuple of dims of ``da``, or raise naming the available dims.

    Parameters
    ----------
    da : xarray.DataArray
        The data the dims refer to.
    dims : str or iterable of str
        One dim name or several.
    name : str
        Argument name used in error messages.
    """
    if isinstance(dims, str) or not isinstance(dims, Iterable):
        dims = (dims,)
    dims = tuple(dims)
    if not dims:
        raise ValueError(f"{name} must name at least one dim, got an empty sequence")
    missing = [d for d in dims if d not in da.dims]
    if missing:
        raise ValueError(
            f"{name} must name dims of the data; {missing} not found "
            f"(available dims: {list(da.dims)})"
        )
    if len(set(dims)) != len(dims):
        raise ValueError(f"{name} must not repeat a dim, got {list(dims)}")
    return dims


def _value_problems(values: np.ndarray, counts: bool) -> str | None:
    if values.dtype.kind not in "biuf":
        return f"expected real numbers, got dtype {values.dtype}"
    if values.dtype.kind == "f":
        bad = int(values.size - np.count_nonzero(np.isfinite(values)))
        if bad:
            return f"got {bad} NaN/inf value(s)"
    if counts:
        if values.dtype.kind != "b" and np.any(values < 0):
            return f"spike counts must be >= 0, got minimum {values.min()}"
        if values.dtype.kind == "f" and np.any(values != np.round(values)):
            return "spike counts must be whole numbers, got non-integer values"
    return None


def _check_block(block: np.ndarray, name: str, counts: bool) -> np.ndarray:
    problem = _value_problems(block, counts)
    if problem is not None:
        raise ValueError(f"{name}: {problem}")
    return block


def check_values(da: xr.DataArray, *, name: str = "data", counts: bool = False) -> xr.DataArray:
    """Check that ``da`` is finite (and holds non-negative whole numbers if ``counts``).

    numpy-backed data are checked now; dask-backed data get the check attached to every chunk,
    so the ``ValueError`` is raised when the result is computed, without an extra pass.
    Empty data raise at once.
    """
    if da.size == 0:
        raise ValueError(f"{name} must not be empty, got sizes {dict(da.sizes)}")
    if is_dask(da):
        checked = da.data.map_blocks(_BlockCheck(name, counts), dtype=da.dtype)
        return da.copy(data=checked)
    problem = _value_problems(np.asarray(da.values), counts)
    if problem is not None:
        raise ValueError(f"{name}: {problem}")
    return da


class _BlockCheck:
    """Picklable per-chunk value check for dask workers."""

    def __init__(self, name: str, counts: bool):
        self.name, self.counts = name, counts

    def __call__(self, block: np.ndarray) -> np.ndarray:
        return _check_block(block, self.name, self.counts)


def reduce_dims(
    da: xr.DataArray,
    how: str,
    dims: Hashable | Iterable[Hashable],
    *,
    ddof: int = 0,
    min_size: int = 1,
    name: str = "dims",
) -> xr.DataArray:
    """Reduce ``da`` over named ``dims`` with ``how`` in ``("mean", "var", "std", "sum")``.

    Parameters
    ----------
    da : xarray.DataArray
        Finite data (numpy- or dask-backed).
    how : str
        The reduction.
    dims : str or iterable of str
        Dims reduced over; validated with :func:`check_dims`.
    ddof : int
        Delta degrees of freedom for ``var``/``std``.
    min_size : int
        Minimum number of elements reduced over (e.g. 2 for a variance); smaller raises.
    name : str
        Argument name of ``dims`` in error messages.
    """
    if how not in _REDUCTIONS:
        raise ValueError(f"how must be one of {list(_REDUCTIONS)}, got {how!r}")
    dims = check_dims(da, dims, name)
    n = int(np.prod([da.sizes[d] for d in dims]))
    if n < min_size:
        raise ValueError(
            f"reducing over {list(dims)} needs at least {min_size} samples, got {n} "
            f"(sizes {dict(da.sizes)})"
        )
    if how in ("var", "std"):
        return getattr(da, how)(dims, ddof=ddof, skipna=False)
    return getattr(da, how)(dims, skipna=False)


def group_moments(
    da: xr.DataArray, labels: np.ndarray, dim: str = "trial", *, ddof: int = 0,
    group_dim: str = "group",
) -> tuple[xr.DataArray, xr.DataArray, xr.DataArray]:
    """Per-group mean, variance and centred data along ``dim``, without ``groupby``.

    Groups are given by ``labels`` (one per element of ``dim``); the reductions are products with
    a one-hot (group x dim) matrix, which dask evaluates blockwise (``groupby`` on dask data is
    much slower). The variance is two-pass (centred data) for accuracy.

    Returns
    -------
    mean, var : xarray.DataArray
        Over ``group_dim`` (coordinate: the sorted unique labels) and the other dims.
    centred : xarray.DataArray
        ``da`` minus its group mean, same dims as ``da``.
    """
    uniq, inverse = np.unique(np.asarray(labels), return_inverse=True)
    onehot = np.zeros((len(uniq), da.sizes[dim]))
    onehot[inverse, np.arange(da.sizes[dim])] = 1.0
    size = onehot.sum(axis=1)
    if np.any(size - ddof < 1):
        raise ValueError(
            f"every group along {dim!r} needs more than {ddof} element(s); group sizes "
            f"{dict(zip(uniq.tolist(), size.astype(int).tolist()))}"
        )
    g = xr.DataArray(onehot, dims=(group_dim, dim), coords={group_dim: uniq})
    n = xr.DataArray(size, dims=group_dim, coords={group_dim: uniq})
    x = da.astype(float)
    mean = xr.dot(g, x, dim=dim) / n
    centred = x - xr.dot(g, mean, dim=group_dim)
    var = xr.dot(g, centred**2, dim=dim) / (n - ddof)
    return mean, var, centred


def bin_width_of(da: xr.DataArray, time_dim: str = "time") -> float:
    """Bin width (s) of ``da``: its ``bin_width`` attr, else the spacing of the time coordinate."""
    if "bin_width" in da.attrs:
        value = da.attrs["bin_width"]
        if isinstance(value, numbers.Real | np.generic) and float(value) > 0:
            return float(value)
        raise ValueError(f"data attrs['bin_width'] must be a positive number (s), got {value!r}")
    if time_dim in da.coords and da.sizes[time_dim] >= 2:
        steps = np.diff(np.asarray(da[time_dim].values, dtype=float))
        if np.all(steps > 0) and np.allclose(steps, steps[0], rtol=1e-6):
            return float(steps[0])
    raise ValueError(
        "cannot tell the bin width: set data.attrs['bin_width'] (s) or give a uniformly spaced "
        f"'{time_dim}' coordinate"
    )


def check_time(da: xr.DataArray, time_dim: str = "time") -> None:
    """``ValueError`` unless the ``time_dim`` coordinate (if any) is finite and strictly
    increasing: windows of whole bins need bins in order, or their labels and sums would be
    silently wrong."""
    if time_dim not in da.coords or da.sizes[time_dim] < 2:
        return
    t = np.asarray(da[time_dim].values, dtype=float)
    if not np.all(np.isfinite(t)):
        raise ValueError(f"the '{time_dim}' coordinate must be finite, got NaN/inf at index "
                         f"{int(np.flatnonzero(~np.isfinite(t))[0])}")
    steps = np.diff(t)
    if np.any(steps <= 0):
        i = int(np.flatnonzero(steps <= 0)[0])
        raise ValueError(f"the '{time_dim}' coordinate must be strictly increasing, got "
                         f"{t[i]} then {t[i + 1]} s at index {i}; sort the data by time")


def _bins(value: float, bin_width: float, name: str) -> int:
    ratio = value / bin_width
    k = int(round(ratio))
    if k < 1 or abs(ratio - k) > 1e-6 * max(1.0, ratio):
        raise ValueError(
            f"{name} must be a positive whole multiple of the bin width {bin_width} s, "
            f"got {value} s"
        )
    return k


def sliding_window_sum(
    da: xr.DataArray,
    window: float | None,
    step: float | None = None,
    *,
    time_dim: str = "time",
) -> tuple[xr.DataArray, float]:
    """Sum ``da`` over sliding windows along ``time_dim``.

    Parameters
    ----------
    da : xarray.DataArray
        Binned counts with a ``time_dim`` coordinate in seconds (bin centres).
    window : float or None
        Window length (s), a whole multiple of the bin width; ``None`` keeps single bins.
    step : float or None
        Distance between window starts (s), a multiple of the bin width; default one bin.
    time_dim : str
        Name of the time dim.

    Returns
    -------
    summed : xarray.DataArray
        Window sums; the time coordinate is each window's centre (s).
    window : float
        The window length actually used (s).
    """
    check_dims(da, time_dim, "time_dim")
    bw = bin_width_of(da, time_dim)
    check_time(da, time_dim)
    if window is None and step is None:
        return da, bw
    k = 1 if window is None else _bins(float(window), bw, "window")
    s = 1 if step is None else _bins(float(step), bw, "step")
    nt = da.sizes[time_dim]
    if k > nt:
        raise ValueError(f"window ({k} bins) is longer than the data ({nt} bins along {time_dim})")
    # window sums as differences of one cumulative sum: O(n), and few dask tasks (a rolling
    # window view followed by a strided selection explodes the dask graph). Exact for integer
    # counts; for floats the relative error is ~1e-16 x (trial length / window).
    if da.dtype.kind in "biu":
        da = da.astype(np.int64)
    csum = da.cumsum(time_dim, skipna=False) if da.dtype.kind == "f" else da.cumsum(time_dim)
    ends = np.arange(k - 1, nt, s)
    starts = ends - k + 1
    lower = csum.isel({time_dim: np.maximum(starts - 1, 0)}).drop_vars(time_dim, errors="ignore")
    lower = lower * xr.DataArray((starts > 0).astype(lower.dtype), dims=time_dim)
    summed = csum.isel({time_dim: ends}).drop_vars(time_dim, errors="ignore") - lower
    if time_dim in da.coords:
        t = np.asarray(da[time_dim].values, dtype=float)
        span = t[ends] - t[starts]
        gap = np.flatnonzero(~np.isclose(span, (k - 1) * bw, rtol=1e-6, atol=1e-9))
        if gap.size:
            raise ValueError(f"the '{time_dim}' coordinate must be spaced by the bin width "
                             f"{bw} s within every window, but the window starting at "
                             f"{t[starts[gap[0]]]} s spans a gap ({span[gap[0]]:g} s over {k} "
                             "bins); choose window/step so that no window straddles it")
        summed = summed.assign_coords({time_dim: (t[ends] + t[starts]) / 2})
    summed.attrs = {**da.attrs}
    return summed, k * bw


def with_provenance(obj: xr.DataArray | xr.Dataset, function: str, **params: Any):
    """Attach the provenance record of ``function`` called with ``params`` to ``obj.attrs``."""
    obj.attrs.update(provenance(function, **params))
    return obj
