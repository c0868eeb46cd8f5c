"""Private helpers shared by every analysis: input resolution, named-dim reductions, provenance.

Everything here works on numpy- and dask-backed xarray objects alike: reductions use xarray's
own (dask-aware) methods, value checks on dask data are attached lazily to every chunk so that
they cost no extra pass over a dataset larger than memory. For numpy-backed counts,
:func:`streamed_moments` computes means and variances block by block, so that the temporaries
stay a fraction of the input's size.
"""

from __future__ import annotations

import numbers
from collections.abc import Hashable, Iterable
from typing import Any, NamedTuple

import numpy as np
import xarray as xr

from neuromop._checks import check_real
from neuromop._provenance import provenance
from neuromop.data.schema import activity_variable

__all__ = [
    "WindowPlan",
    "activity",
    "bin_width_of",
    "check_time",
    "check_dims",
    "check_values",
    "group_moments",
    "is_dask",
    "kept_coords",
    "reduce_dims",
    "sliding_window_sum",
    "streamed_moments",
    "window_plan",
    "window_sums",
    "with_provenance",
]

_REDUCTIONS = ("mean", "var", "std", "sum")


#: Dims of a plain numpy array, by its number of dims.
_NUMPY_DIMS = {2: ("trial", "neuron"), 3: ("trial", "time", "neuron")}


def activity(data: xr.Dataset | xr.DataArray, name: str = "data") -> xr.DataArray:
    """Return the activity DataArray of ``data`` (its single activity variable for a Dataset).

    The Dataset's ``bin_width`` attribute is copied onto the returned DataArray when the variable
    itself does not carry one, so that windows in seconds can be converted to bins. A plain
    numpy array is labelled by its number of dims: ``(trial, neuron)`` or
    ``(trial, time, neuron)`` (no bin width: windows in seconds then need an xarray input).
    """
    if isinstance(data, np.ndarray) and not isinstance(data, np.matrix):
        dims = _NUMPY_DIMS.get(data.ndim)
        if dims is None:
            raise ValueError(f"{name} as a numpy array must be 2-D (trial, neuron) or 3-D "
                             f"(trial, time, neuron), got shape {data.shape}; label other "
                             "layouts with xarray.DataArray(data, dims=...)")
        return xr.DataArray(data, dims=dims, name="counts" if data.dtype.kind in "iub" else
                            "activity",
                            coords={d: np.arange(data.shape[i]) for i, d in enumerate(dims)
                                    if d != "time"})
    if not isinstance(data, xr.Dataset | xr.DataArray):
        raise TypeError(
            f"{name} must be an xarray.Dataset, xarray.DataArray or a 2-D/3-D numpy array, "
            f"got {type(data).__name__}"
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


def _flat_blocks(values: np.ndarray, size: int = 2**20):
    """Yield views of ``values`` of at most about ``size`` elements that together cover it."""
    if values.flags.c_contiguous or values.flags.f_contiguous:
        flat = values.ravel(order="K")  # a view
        for lo in range(0, flat.size, size):
            yield flat[lo:lo + size]
        return
    axis = int(np.argmax(values.shape))
    step = max(1, size * values.shape[axis] // max(values.size, 1))
    moved = np.moveaxis(values, axis, 0)
    for lo in range(0, moved.shape[0], step):
        yield moved[lo:lo + step]


def _value_problems(values: np.ndarray, counts: bool) -> str | None:
    """What is wrong with ``values``, without temporaries the size of ``values``."""
    if values.dtype.kind not in "biuf":
        return f"expected real numbers, got dtype {values.dtype}"
    if values.size == 0 or values.dtype.kind == "b":
        return None
    low, high = values.min(), values.max()  # NaN propagates; no temporary arrays
    if values.dtype.kind == "f" and not (np.isfinite(low) and np.isfinite(high)):
        bad = sum(int(b.size - np.count_nonzero(np.isfinite(b))) for b in _flat_blocks(values))
        return f"got {bad} NaN/inf value(s)"
    if counts:
        if low < 0:
            return f"spike counts must be >= 0, got minimum {low}"
        if values.dtype.kind == "f" and any(np.any(b != np.round(b))
                                            for b in _flat_blocks(values)):
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
    value = check_real(name, value)  # a finite real number, or an error naming it
    ratio = value / bin_width
    k = int(round(ratio)) if np.isfinite(ratio) else 0
    if k < 1 or abs(ratio - k) > 1e-6 * max(1.0, ratio):
        raise ValueError(
            f"{name} must be a positive whole multiple of the bin width {bin_width} s, "
            f"got {value} s"
        )
    return k


class WindowPlan(NamedTuple):
    """Sliding windows along time: bin indices of each window's first and last bin."""

    starts: np.ndarray
    ends: np.ndarray
    window: float | None  # window length used (s); None: bins of unknown width, as they are
    identity: bool  # no window and no step given: the bins as they are


def window_plan(
    da: xr.DataArray, window: float | None, step: float | None = None, *, time_dim: str = "time"
) -> WindowPlan:
    """Check ``window``/``step`` against ``da``'s time bins and return the windows' bin indices.

    Parameters are those of :func:`sliding_window_sum`; raises the same errors.
    """
    if window is None and step is None:  # the bins as they are: no time dim or width needed
        if time_dim not in da.dims:
            return WindowPlan(np.arange(0), np.arange(0), None, True)
        check_time(da, time_dim)
        try:
            bw = bin_width_of(da, time_dim)
        except ValueError:
            bw = None
        nt = da.sizes[time_dim]
        return WindowPlan(np.arange(nt), np.arange(nt), bw, True)
    check_dims(da, time_dim, "time_dim")
    bw = bin_width_of(da, time_dim)
    check_time(da, time_dim)
    nt = da.sizes[time_dim]
    k = 1 if window is None else _bins(window, bw, "window")
    s = 1 if step is None else _bins(step, bw, "step")
    if k > nt:
        raise ValueError(f"window ({k} bins) is longer than the data ({nt} bins along {time_dim})")
    ends = np.arange(k - 1, nt, min(s, nt))  # a step past the data: one window (int dtype)
    starts = ends - k + 1
    if time_dim in da.coords:
        t = np.asarray(da[time_dim].values, dtype=float)
        span = t[ends] - t[starts]
        gap = np.flatnonzero(~np.isclose(span, (k - 1) * bw, rtol=1e-6, atol=1e-9))
        if gap.size:
            raise ValueError(f"the '{time_dim}' coordinate must be spaced by the bin width "
                             f"{bw} s within every window, but the window starting at "
                             f"{t[starts[gap[0]]]} s spans a gap ({span[gap[0]]:g} s over {k} "
                             "bins); choose window/step so that no window straddles it")
    return WindowPlan(starts, ends, k * bw, False)


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
    plan = window_plan(da, window, step, time_dim=time_dim)
    if plan.identity:
        return da, plan.window
    return window_sums(da, plan, time_dim), plan.window


def window_sums(da: xr.DataArray, plan: WindowPlan, time_dim: str = "time") -> xr.DataArray:
    """Window sums of ``da`` (numpy or dask) along ``time_dim`` for the windows of ``plan``
    (:func:`sliding_window_sum` without the checks)."""
    starts, ends = plan.starts, plan.ends
    # window sums as differences of one cumulative sum: O(n), and few dask tasks (a rolling
    # window view followed by a strided selection explodes the dask graph). Exact for integer
    # counts; for floats the relative error is ~1e-16 x (trial length / window).
    if da.dtype.kind in "biu":
        da = da.astype(np.int64)
    csum = da.cumsum(time_dim, skipna=False) if da.dtype.kind == "f" else da.cumsum(time_dim)
    lower = csum.isel({time_dim: np.maximum(starts - 1, 0)}).drop_vars(time_dim, errors="ignore")
    lower = lower * xr.DataArray((starts > 0).astype(lower.dtype), dims=time_dim)
    summed = csum.isel({time_dim: ends}).drop_vars(time_dim, errors="ignore") - lower
    if time_dim in da.coords:
        t = np.asarray(da[time_dim].values, dtype=float)
        summed = summed.assign_coords({time_dim: (t[ends] + t[starts]) / 2})
    summed.attrs = {**da.attrs}
    return summed


def kept_coords(
    da: xr.DataArray, dims: Iterable[Hashable], plan: WindowPlan | None = None,
    time_dim: str = "time",
) -> dict[Hashable, xr.Variable]:
    """The coordinates of ``da`` windowed by ``plan`` and reduced over ``dims``, as xarray's
    reductions of :func:`sliding_window_sum`'s output keep them (without touching the data)."""
    dims = set(dims)
    coords = {name: c.variable for name, c in da.coords.items() if not dims & set(c.dims)}
    if plan is None or plan.identity:
        return coords
    timed = {name: c for name, c in coords.items() if time_dim in c.dims}
    for name in timed:
        del coords[name]
    if time_dim in dims:
        return coords
    # windowed coordinates: the windowing of sliding_window_sum applied to a skeleton that
    # holds only them (its size is that of those coordinates, not of the data)
    skel_dims = [d for d in da.dims if d == time_dim or any(d in c.dims for c in timed.values())]
    skeleton = xr.DataArray(np.zeros([da.sizes[d] for d in skel_dims], dtype=np.int8),
                            dims=skel_dims, coords=timed)
    windowed = window_sums(skeleton, plan, time_dim)
    coords.update({name: c.variable for name, c in windowed.coords.items()})
    return coords


def _as_int(block: np.ndarray) -> np.ndarray:
    """``block`` if its integers fit int64 arithmetic, else as int64 (counts: whole numbers)."""
    return block if np.can_cast(block.dtype, np.int64) else block.astype(np.int64)


def _window_block(block: np.ndarray, axis: int, starts: np.ndarray, ends: np.ndarray):
    """Window sums (int64) of ``block`` along ``axis``; ``starts``/``ends`` index its bins.
    Short, evenly spaced windows add strided views; others take differences of a cumulative
    sum."""
    block = _as_int(block)
    n_win, k = len(starts), int(ends[0] - starts[0] + 1)
    step = int(starts[1] - starts[0]) if n_win > 1 else 1
    even = n_win < 3 or bool(np.all(np.diff(starts) == step))  # explicit times may be uneven
    lead = (slice(None),) * axis
    if even and k * n_win <= 4 * block.shape[axis]:
        out = np.zeros(block.shape[:axis] + (n_win,) + block.shape[axis + 1:], dtype=np.int64)
        for j in range(starts[0], starts[0] + k):
            out += block[lead + (slice(j, j + (n_win - 1) * step + 1, step),)]
        return out
    csum = block.astype(np.int64)
    np.cumsum(csum, axis=axis, out=csum)
    out = np.take(csum, ends, axis=axis)
    inner = np.flatnonzero(starts > 0)
    if inner.size:
        out[lead + (inner,)] -= np.take(csum, starts[inner] - 1, axis=axis)
    return out


class _Blocks:
    """Blocks of (windowed) counts along one axis, each of at most about ``budget`` bins."""

    def __init__(self, values, time_axis, plan, take, budget):
        self.values, self.time_axis, self.plan, self.take = values, time_axis, plan, take
        shape = list(values.shape)
        if take is not None:
            shape[take[0]] = len(take[1])
        self.n_bins = int(np.prod(shape))
        self.windowed = plan is not None and not plan.identity
        self.out_shape = list(shape)
        if self.windowed:
            self.out_shape[time_axis] = len(plan.ends)
        self.shape, self.budget = shape, budget

    def length(self, axis: int) -> int:
        """Number of output entries along ``axis`` per block (at least 1)."""
        per_entry = self.n_bins // max(self.shape[axis], 1)
        if self.windowed and axis == self.time_axis:
            k = int(self.plan.ends[0] - self.plan.starts[0] + 1)
            s = int(self.plan.starts[1] - self.plan.starts[0]) if len(self.plan.ends) > 1 else k
            return max(1, (self.budget // max(per_entry, 1) - k) // s + 1)
        return max(1, self.budget // max(per_entry, 1))

    def cost(self, axis: int) -> int:
        """Bins read by a block of one output entry along ``axis``."""
        per_entry = self.n_bins // max(self.shape[axis], 1)
        if self.windowed and axis == self.time_axis:
            return per_entry * int(self.plan.ends[0] - self.plan.starts[0] + 1)
        return per_entry

    def ranges(self, axis: int):
        size, step = self.out_shape[axis], self.length(axis)
        return [(lo, min(lo + step, size)) for lo in range(0, size, step)]

    def get(self, axis: int, lo: int, hi: int) -> np.ndarray:
        """The block of entries ``lo:hi`` along ``axis``: windowed counts (integers)."""
        index = [slice(None)] * self.values.ndim
        rows = None if self.take is None else self.take[1]
        starts, ends = (None, None) if not self.windowed else (self.plan.starts, self.plan.ends)
        if self.windowed and axis == self.time_axis:
            first, last = starts[lo], ends[hi - 1] + 1
            index[axis] = slice(first, last)
            starts, ends = starts[lo:hi] - first, ends[lo:hi] - first
        elif self.take is not None and axis == self.take[0]:
            rows = rows[lo:hi]
        else:
            index[axis] = slice(lo, hi)
        block = self.values[tuple(index)]
        if rows is not None:
            block = np.take(block, rows, axis=self.take[0])
        if starts is None:
            return _as_int(block)
        return _window_block(block, self.time_axis, starts, ends)


def _block_axis(blocks: _Blocks, axes: tuple[int, ...]) -> int:
    """The axis to cut into blocks: a kept axis whose single entries fit the budget (one pass),
    else a reduced one (two passes); outer axes (in memory) before the innermost, whose blocks
    are slow strided copies; if none fits, the axis of the cheapest single entry."""
    order = sorted(range(blocks.values.ndim), key=lambda a: -abs(blocks.values.strides[a]))
    fits = [a for a in order if blocks.cost(a) <= blocks.budget]
    ranked = sorted(fits, key=lambda a: (a == order[-1], a in axes))  # stable: outer first
    return ranked[0] if ranked else min(order, key=blocks.cost)


def streamed_moments(
    values: np.ndarray,
    axes: Iterable[int],
    *,
    time_axis: int,
    plan: WindowPlan | None = None,
    take: tuple[int, np.ndarray] | None = None,
    budget: int | None = None,
) -> tuple[int, np.ndarray, np.ndarray]:
    """Mean and sum of squared deviations of (windowed) counts over ``axes``, block by block.

    The two-pass algorithm of ``numpy.var`` (sums in float64, then squared deviations from the
    mean), run on blocks of the data so that no temporary is larger than a block: along a kept
    axis when one fits, else along a reduced axis, accumulating over blocks.

    Parameters
    ----------
    values : numpy.ndarray
        Counts: non-negative whole numbers (checked by the caller), any real dtype.
    axes : iterable of int
        Axes reduced over.
    time_axis : int
        Axis of the time bins, summed over the windows of ``plan`` first.
    plan : WindowPlan, optional
        Sliding windows (:func:`window_plan`); ``None`` uses the bins as they are.
    take : (int, numpy.ndarray), optional
        ``(axis, indices)``: use only these entries along ``axis`` (e.g. one condition's trials).
    budget : int, optional
        Bins per block; default ~1/64 of ``values.nbytes`` (between 2**15 and 2**22), so that a
        block's temporaries (~40 bytes per bin) stay below the input's size.

    Returns
    -------
    n : int
        Number of samples reduced over.
    mean, m2 : numpy.ndarray (float64)
        Mean and sum of squared deviations, over the kept axes (time: one entry per window).
    """
    axes = tuple(sorted({int(a) % values.ndim for a in axes}))
    if budget is None:
        budget = int(min(max(values.nbytes // 64, 2**15), 2**22))
    blocks = _Blocks(values, time_axis, plan, take, budget)
    n = int(np.prod([blocks.out_shape[a] for a in axes]))
    shape = [1 if a in axes else size for a, size in enumerate(blocks.out_shape)]
    mean, m2 = np.zeros(shape), np.zeros(shape)
    axis = _block_axis(blocks, axes)
    if axis not in axes:  # each block holds whole reductions: two passes within the block
        for lo, hi in blocks.ranges(axis):
            block = blocks.get(axis, lo, hi)
            where = (slice(None),) * axis + (slice(lo, hi),)
            mean[where] = block.sum(axis=axes, dtype=np.float64, keepdims=True) / n
            dev = np.subtract(block, mean[where], dtype=np.float64)
            del block
            m2[where] = np.square(dev, out=dev).sum(axis=axes, keepdims=True)
    else:  # blocks along a reduced axis: one pass for the sums, one for the deviations
        for lo, hi in blocks.ranges(axis):
            mean += blocks.get(axis, lo, hi).sum(axis=axes, dtype=np.float64, keepdims=True)
        mean /= n
        for lo, hi in blocks.ranges(axis):
            dev = np.subtract(blocks.get(axis, lo, hi), mean, dtype=np.float64)
            m2 += np.square(dev, out=dev).sum(axis=axes, keepdims=True)
    return n, np.squeeze(mean, axis=axes), np.squeeze(m2, axis=axes)


def with_provenance(obj: xr.DataArray | xr.Dataset, function: str, **params: Any):
    """Attach the provenance record of ``function`` called with ``params`` to ``obj.attrs``."""
    obj.attrs.update(provenance(function, **params))
    return obj
