"""Spike-count variability: the Fano factor and the mean-matched Fano factor (Churchland 2010).

Both take binned counts with dims ``(trial, time, neuron)`` (a DataArray, or a Dataset with one
activity variable), optionally summed over sliding windows in time, and return labelled xarray
results with provenance in ``attrs``. They work unchanged on dask-backed data.

Memory: numpy-backed counts are windowed and reduced block by block
(``neuromop.analysis._reduce.streamed_moments``), so the temporaries stay below the size of
the input; dask-backed counts are reduced chunk by chunk to (count, sum, squared deviations)
records, windowed inside each chunk (time is made one chunk when windows are used).
"""

from __future__ import annotations

import warnings
from collections.abc import Hashable, Iterable

import numpy as np
import xarray as xr
from numpy.typing import ArrayLike

from neuromop._checks import check_bool, check_finite_array, check_int, check_real
from neuromop._random import as_generator
from neuromop.analysis._reduce import (
    WindowPlan,
    activity,
    check_dims,
    check_values,
    is_dask,
    kept_coords,
    streamed_moments,
    window_plan,
    with_provenance,
)

__all__ = ["MeanMatchingError", "fano_factor", "mean_matched_fano_factor"]

#: Most random matchings ``mean_matched_fano_factor`` and its pooled variants accept (the
#: authors use 10); more would only take (very much) longer.
MAX_REPEATS = 100_000
#: Fewer samples than this draw a warning from fano_factor (too few for a variance).
FEW_SAMPLES = 5


class MeanMatchingError(ValueError):
    """Too few neuron x condition points survive mean matching (fewer than 5 at some time)."""


def fano_factor(
    data: xr.Dataset | xr.DataArray,
    *,
    dims: Hashable | Iterable[Hashable] = "trial",
    ddof: int = 0,
    window: float | None = None,
    step: float | None = None,
) -> xr.DataArray:
    """Fano factor (variance / mean) of spike counts over named dims.

    Parameters
    ----------
    data : xarray.DataArray or xarray.Dataset
        Spike counts (non-negative whole numbers), usually with dims ``(trial, time, neuron)``; a
        Dataset must hold one activity variable (``counts``).
    dims : str or tuple of str, default "trial"
        Dims over which mean and variance are taken (at least 2 samples).
    ddof : int, default 0
        Delta degrees of freedom of the variance. Elephant's ``fanofactor`` uses ``ddof=0``
        (``numpy.var``); ``ddof=1`` gives the unbiased variance used by Churchland et al. (2010).
    window : float, optional
        Counting window (s): counts are first summed over sliding windows of this length along
        ``time`` (a whole multiple of the bin width). ``None`` uses the bins as they are.
    step : float, optional
        Spacing of the windows (s), a multiple of the bin width; default one bin.

    Returns
    -------
    xarray.DataArray
        ``fano_factor`` over the remaining dims (``time`` holds window centres, s). It is NaN —
        by definition, not by accident — exactly where the mean count is 0; every other value is
        finite. Lazy (dask-backed) if ``data`` is.

    Raises
    ------
    ValueError
        Unknown dims, fewer than 2 samples, empty data, negative / non-integer / NaN counts
        (for dask-backed data, when the result is computed).

    Examples
    --------
    A plain ``(trial, neuron)`` count matrix of Poisson neurons (Fano factor 1):

    >>> import numpy as np
    >>> from neuromop.analysis import fano_factor
    >>> counts = np.random.default_rng(0).poisson(4.0, size=(200, 30))
    >>> ff = fano_factor(counts)
    >>> ff.dims, round(float(ff.mean()), 2)
    (('neuron',), 0.98)
    """
    ddof = check_int("ddof", ddof, low=0)
    da = activity(data)
    dims = check_dims(da, dims)
    da = check_values(da, counts=True)
    plan = window_plan(da, window, step)
    sizes = {d: (len(plan.ends) if d == "time" else size) for d, size in da.sizes.items()}
    n = int(np.prod([sizes[d] for d in dims]))
    if n - ddof < 1:
        raise ValueError(f"ddof must be < the number of samples {n} over {list(dims)}, got {ddof}")
    if n < 2:
        raise ValueError(f"reducing over {list(dims)} needs at least 2 samples, got {n} "
                         f"(sizes {sizes})")
    if n < FEW_SAMPLES:  # e.g. the two epochs (sleep, wake) of an NWB file taken as trials
        warnings.warn(f"fano_factor: a variance over only {n} samples along {list(dims)} "
                      f"(sizes {sizes}) is very noisy; are these really trials?",
                      RuntimeWarning, stacklevel=2)
    if is_dask(da):  # lazily, chunk by chunk
        mean, m2 = _dask_moments(da, dims, plan)
        values = mean.map_blocks(_fano, m2, n=n, ddof=ddof, dtype=np.float64)
    else:  # streamed moments: temporaries of a fraction of the input's size
        _, mean, m2 = streamed_moments(np.asarray(da.data), [da.get_axis_num(d) for d in dims],
                                       time_axis=da.get_axis_num("time") if "time" in da.dims
                                       else None, plan=plan)
        values = _fano(mean, m2, n=n, ddof=ddof)
    ff = xr.DataArray(values, dims=[d for d in da.dims if d not in dims],
                      coords=kept_coords(da, dims, plan))
    ff = ff.rename("fano_factor")
    ff.attrs = {"long_name": "Fano factor", "units": "1"}
    if plan.window is not None:  # counting window (s), when the bin width is known
        ff.attrs["window"] = plan.window
    return with_provenance(
        ff, "neuromop.analysis.fano_factor", dims=list(dims), ddof=ddof, window=window, step=step
    )


def _fano(mean: np.ndarray, m2: np.ndarray, *, n: int, ddof: int) -> np.ndarray:
    """Variance ``m2 / (n - ddof)`` over mean; NaN where the mean is 0."""
    ff = np.full(np.shape(mean), np.nan)
    np.divide(m2 / (n - ddof), mean, out=ff, where=mean > 0)
    return ff


def _chunk_records(block: np.ndarray, axes, time_axis, plan, labels, n_groups, block_info=None):
    """(count, sum, squared deviations) of one dask chunk over ``axes``, stacked on a new first
    axis; with ``labels``, per group along ``axes[0]`` (``n_groups`` entries there)."""
    if labels is None:
        parts = [streamed_moments(block, axes, time_axis=time_axis, plan=plan)]
        slots = [slice(None)]
    else:
        lo, hi = block_info[0]["array-location"][axes[0]]
        mine = labels[lo:hi]
        slots = np.unique(mine)
        parts = [streamed_moments(block, axes, time_axis=time_axis, plan=plan,
                                  take=(axes[0], np.flatnonzero(mine == g))) for g in slots]
    shape = list(np.expand_dims(parts[0][1], axes).shape)
    shape[axes[0]] = 1 if labels is None else n_groups
    out = np.zeros([3, *shape])
    for slot, (n, mean, m2) in zip(slots, parts):
        total = np.rint(mean * n)  # the sum of whole numbers, recovered exactly (< 2**52)
        for k, part in enumerate((np.full_like(mean, n), total, m2)):
            part = np.expand_dims(part, axes)
            if labels is not None:
                part = part[(slice(None),) * axes[0] + (0,)]
            out[(k,) + (slice(None),) * axes[0] + (slot,)] = part
    return out


def _dask_moments(da: xr.DataArray, dims, plan: WindowPlan, labels=None, n_groups: int = 1):
    """Mean and sum of squared deviations over ``dims`` of dask-backed counts, lazily.

    Each chunk is reduced to (count, sum, squared deviations) records (windowed inside the
    chunk: time is made one chunk) and the records are combined with Chan et al.'s formula, so
    every chunk is read once and no chunk-sized float copy is kept. With ``labels`` (one per
    element of the single dim in ``dims``), per group: the result has ``n_groups`` entries there.
    """
    import dask.array as dsa

    t = da.get_axis_num("time") if "time" in da.dims else None
    x = da.data
    if not plan.identity and len(x.chunks[t]) > 1:
        # windows would straddle chunks: time in one chunk, the other dims cut finer so that
        # chunks stay as large as the user's
        limit = x.dtype.itemsize * int(np.prod([max(c) for c in x.chunks]))
        x = x.rechunk({a: -1 if a == t else "auto" for a in range(x.ndim)},
                      block_size_limit=limit)
    axes = tuple(sorted(da.get_axis_num(d) for d in dims))
    chunks = [c if a not in axes else (n_groups if a == axes[0] else 1,) * len(c)
              for a, c in enumerate(x.chunks)]
    if plan is not None and not plan.identity:
        chunks[t] = (len(plan.ends),)
    rec = x.map_blocks(_chunk_records, axes=axes, time_axis=t, plan=plan, labels=labels,
                       n_groups=n_groups, new_axis=0, chunks=((3,), *chunks), dtype=np.float64,
                       meta=np.empty((0,) * (x.ndim + 1)))
    g = axes[0] + 1
    if n_groups > 1:  # (chunks x groups) -> (chunks, groups)
        rec = rec.reshape(rec.shape[:g] + (-1, n_groups) + rec.shape[g + 1:])
    n, total, m2 = rec[0], rec[1], rec[2]
    red = axes  # with groups: the chunks axis, before the groups axis
    count = n.sum(axis=red, keepdims=True)
    mean = total.sum(axis=red, keepdims=True) / count
    shift = dsa.where(n > 0, total / dsa.maximum(n, 1) - mean, 0.0)
    m2 = (m2 + n * shift**2).sum(axis=red)
    return mean.squeeze(axis=red), m2


def _weighted_slope(x: np.ndarray, y: np.ndarray, w: np.ndarray, keep: np.ndarray):
    """Weighted least squares slope through the origin along the last axis (MATLAB ``lscov``).

    Returns the slope ``B = Σ w x y / Σ w x²`` and its standard error
    ``sqrt(Σ w (y - B x)² / (n - 1) / Σ w x²)`` over the points where ``keep`` is true.
    """
    w = np.where(keep, w, 0.0)
    sxx = np.sum(w * x * x, axis=-1)
    sxy = np.sum(w * x * y, axis=-1)
    with np.errstate(invalid="ignore", divide="ignore"):
        slope = sxy / sxx
        resid = np.sum(w * (y - slope[..., None] * x) ** 2, axis=-1)
        n = keep.sum(axis=-1)
        se = np.sqrt(resid / (n - 1) / sxx)
    return slope, se


def _match_keep(bins: np.ndarray, target: np.ndarray, keys: np.ndarray) -> np.ndarray:
    """Which points survive mean matching.

    For every row (repeat × time) keep, in each histogram bin ``b``, the ``target[b]`` points with
    the smallest random ``keys`` — a uniformly random subset of that bin's points of size
    ``target[b]``, exactly as Churchland's ``VarVsMean`` shuffles and truncates each bin.

    Parameters
    ----------
    bins : int array (..., P)
        Histogram bin of each point's mean.
    target : int array (n_bins,)
        Greatest common count per bin.
    keys : float array (..., P)
        Independent uniform random keys.
    """
    order = np.lexsort((keys, bins), axis=-1)
    sorted_bins = np.take_along_axis(bins, order, axis=-1)
    pos = np.broadcast_to(np.arange(bins.shape[-1]), bins.shape)
    starts = np.ones(bins.shape, dtype=bool)
    starts[..., 1:] = sorted_bins[..., 1:] != sorted_bins[..., :-1]
    first = np.maximum.accumulate(np.where(starts, pos, 0), axis=-1)
    keep_sorted = (pos - first) < target[sorted_bins]
    keep = np.empty_like(keep_sorted)
    np.put_along_axis(keep, order, keep_sorted, axis=-1)
    return keep


def _common_distribution(bins: np.ndarray) -> np.ndarray:
    """Greatest common distribution: per histogram bin, the minimum over rows of its count.

    ``bins`` (rows x points) holds bin numbers ``0 .. n_bins-1``; only the occupied (row, bin)
    pairs are counted, so no dense rows x bins table is built.
    """
    n_rows = bins.shape[0]
    n_bins = int(bins.max()) + 1
    pairs, counts = np.unique(np.arange(n_rows)[:, None] * n_bins + bins, return_counts=True)
    bin_of = pairs % n_bins
    target = np.full(n_bins, np.iinfo(np.int64).max, dtype=np.int64)
    np.minimum.at(target, bin_of, counts)
    target[np.bincount(bin_of, minlength=n_bins) < n_rows] = 0  # absent from some row
    return target


def mean_matched_fano_factor(
    counts: xr.Dataset | xr.DataArray,
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
    """Mean-matched Fano factor over time (Churchland et al., 2010, Nat. Neurosci. 13:369).

    Follows the authors' ``VarVsMean`` algorithm: counts in a sliding window; for every
    neuron × condition, the mean and the ``ddof=1`` variance of the count across trials; a
    histogram of the means (bins of ``bin_size`` spikes) at every time; the greatest common
    distribution (the per-bin minimum over times); ``repeats`` random down-selections of the
    points of each time to that distribution; at each time the Fano factor is the slope of a
    weighted regression of variance on mean through the origin with weights
    ``n_trials / (mean + eps)²``, ``eps = 1 spike/s × window``, averaged over repeats (so are its
    ±2 SE limits). The same regression on all points gives the unmatched Fano factor.

    Parameters
    ----------
    counts : xarray.DataArray or xarray.Dataset
        Spike counts with dims ``trial``, ``time``, ``neuron`` (non-negative whole numbers).
    window : float, optional
        Counting window (s), a multiple of the bin width; default one bin.
    step : float, optional
        Spacing of the analysed times (s); default the window (Churchland et al. advise 20–50 ms
        spacings: matching across very many times discards more data).
    condition : str, optional
        Name of a coordinate along ``trial`` whose values split trials into conditions; each
        neuron × condition is one point of the regression. ``None``: all trials together.
    repeats : int, default 10
        Number of random matchings (``matchReps``), at most ``MAX_REPEATS`` (100000); 0 skips
        matching.
    bin_size : float, default 0.25
        Histogram bin width of the mean counts (spikes).
    weighted : bool, default True
        Weighted regression (``True``, as in the paper) or ordinary least squares.
    random_state : None, int or numpy.random.Generator, default 0
        Seed of the matching (reproducible by default, as the toolbox seeds itself; ``None``
        draws fresh entropy).
    times : array_like of float, optional
        Explicit window centres (s, increasing), as the toolbox's ``times`` argument: each count
        is taken in the ``window`` centred on a time, which must be a window centre on the bin
        grid (within 1e-6 of a bin). Needs ``window``; excludes ``step``. Use it to analyse a few
        chosen times (e.g. 20–50 ms apart around an event) instead of every ``step``.
    diagnostics : bool, default False
        Also return what the toolbox's users plot (see Returns): the per-point means and
        variances (the scatter of variance against mean), their difference, the mean
        histograms with the greatest common distribution, and how often each point was kept.

    Returns
    -------
    xarray.Dataset
        Over ``time`` (window centres, s): ``fano_factor`` (matched) with ``fano_factor_low`` /
        ``fano_factor_high`` (±2 SE), ``fano_factor_all`` with ``fano_factor_all_low`` /
        ``fano_factor_all_high`` (unmatched), ``mean_rate`` and ``mean_rate_matched`` (spikes/s),
        ``fraction_retained`` (share of points kept by the matching, the same at every time)
        and ``n_points``. A Fano factor is NaN only at a time where every kept point has mean 0
        (the regression slope is then undefined). With ``diagnostics``, also over
        ``(time, point)`` — a point is one neuron × condition, labelled by the ``point_neuron``
        and ``point_condition`` coordinates — ``point_mean`` (spikes), ``point_variance``
        (spikes², ``ddof=1``), ``variance_minus_mean`` (spikes²; 0 for Poisson) and
        ``kept_fraction`` (share of the repeats that kept the point); ``point_trials`` (the
        trials behind each point); ``mean_histogram`` over ``(time, mean_bin)`` (points per
        bin of ``bin_size`` spikes, ``mean_bin`` the bins' lower edges) and
        ``common_histogram`` over ``mean_bin`` (the greatest common distribution).

    Raises
    ------
    ValueError
        Missing dims or condition coordinate, fewer than 2 trials in a condition, bad counts.
    MeanMatchingError
        (a ``ValueError``) fewer than 5 points left after matching (as ``VarVsMean``).
    """
    repeats = check_int("repeats", repeats, low=0, high=MAX_REPEATS)
    bin_size = check_real("bin_size", bin_size, low=0.0, low_inclusive=False)
    diagnostics = check_bool("diagnostics", diagnostics)
    rng = as_generator(random_state)
    x, y, trials, centres, used_window = point_statistics(counts, window=window, step=step,
                                                          condition=condition, times=times)
    result = matched_regression(x, y, trials, centres, used_window, repeats=repeats,
                                bin_size=bin_size, weighted=weighted, rng=rng,
                                diagnostics=diagnostics)
    if diagnostics:
        neurons, conditions = point_labels(counts, condition)
        result = result.assign_coords(point_neuron=("point", neurons),
                                      point_condition=("point", conditions))
    return with_provenance(
        result, "neuromop.analysis.mean_matched_fano_factor", window=window, step=step,
        condition=condition, repeats=repeats, bin_size=bin_size, weighted=weighted,
        random_state=(
            "Generator" if isinstance(random_state, np.random.Generator) else random_state
        ),
        times=None if times is None else np.asarray(times, dtype=float).tolist(),
        diagnostics=diagnostics,
    )


def point_statistics(
    counts: xr.Dataset | xr.DataArray,
    *,
    window: float | None = None,
    step: float | None = None,
    condition: str | None = None,
    times: ArrayLike | None = None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, float]:
    """Per neuron × condition mean and ``ddof=1`` variance of windowed counts (``VarVsMean`` input).

    Parameters are those of :func:`mean_matched_fano_factor`.

    Returns
    -------
    mean, var : numpy.ndarray (n_times, n_points)
        Mean and variance across trials of each point (condition-major, then neuron) per window.
    trials : numpy.ndarray (n_points,)
        Number of trials of each point.
    times : numpy.ndarray (n_times,)
        Window centres (s).
    window : float
        Window length used (s).
    """
    da = activity(counts, "counts")
    check_dims(da, ("trial", "time", "neuron"), "counts dims")
    da = check_values(da, name="counts", counts=True)
    if times is not None:
        if step is not None:
            raise ValueError("give step or times, not both: times are the window centres")
        plan = plan_at_times(da, window, times)
    else:
        plan = window_plan(da, window, window if step is None else step)
    if condition is None:
        groups = np.zeros(da.sizes["trial"], dtype=int)
    else:
        if (not isinstance(condition, Hashable) or condition not in da.coords
                or da[condition].dims != ("trial",)):
            raise ValueError(
                f"condition must name a coordinate along 'trial', got {condition!r} "
                f"(coordinates: {list(da.coords)})"
            )
        groups = da[condition].values
    labels, inverse = np.unique(np.asarray(groups), return_inverse=True)
    n_trials = np.bincount(inverse, minlength=len(labels))
    if np.any(n_trials < 2):
        raise ValueError(
            "every condition needs >= 2 trials for a ddof=1 variance; "
            f"trial counts per condition: {dict(zip(labels.tolist(), n_trials.tolist()))}"
        )
    if is_dask(da):
        x, y = _dask_group_stats(da, plan, inverse.ravel(), len(labels))
    else:
        x, y = _group_stats(da, plan, inverse.ravel(), len(labels))
    nt = x.shape[0]
    trials = np.repeat(n_trials, da.sizes["neuron"]).astype(float)
    if "time" in da.coords:
        t = np.asarray(da["time"].values, dtype=float)
        times = t if plan.identity else (t[plan.ends] + t[plan.starts]) / 2
    else:
        times = np.arange(nt, dtype=float)
    return x.reshape(nt, -1), y.reshape(nt, -1), trials, times, plan.window


def _group_stats(da: xr.DataArray, plan: WindowPlan, inverse: np.ndarray, n_groups: int):
    """Per condition mean and ``ddof=1`` variance across trials, (time, condition, neuron),
    streamed over blocks of numpy-backed counts."""
    values = np.asarray(da.transpose("trial", "time", "neuron").data)
    shape = (len(plan.ends), n_groups, values.shape[2])
    mean, var = np.empty(shape), np.empty(shape)
    for g in range(n_groups):
        rows = np.flatnonzero(inverse == g)
        take = None if n_groups == 1 else (0, rows)
        n, mean[:, g], m2 = streamed_moments(values, (0,), time_axis=1, plan=plan, take=take)
        var[:, g] = m2 / (n - 1)
    return mean, var


def _dask_group_stats(da: xr.DataArray, plan: WindowPlan, inverse: np.ndarray, n_groups: int):
    """:func:`_group_stats` for dask-backed counts (per-chunk records, computed here)."""
    import dask

    da = da.transpose("trial", "time", "neuron")
    mean, m2 = _dask_moments(da, ("trial",), plan, labels=inverse, n_groups=n_groups)
    # the per-point summaries are small (condition x time x neuron): computed once
    mean, m2 = (a.reshape(n_groups, *a.shape[-2:]) for a in dask.compute(mean, m2))
    n = np.bincount(inverse, minlength=n_groups)[:, None, None]
    return mean.transpose(1, 0, 2), (m2 / (n - 1)).transpose(1, 0, 2)


def matched_regression(
    x: np.ndarray,
    y: np.ndarray,
    trials: np.ndarray,
    times: np.ndarray,
    used_window: float,
    *,
    repeats: int,
    bin_size: float,
    weighted: bool,
    rng: np.random.Generator,
    diagnostics: bool = False,
) -> xr.Dataset:
    """Mean matching and weighted regression on per-point statistics (see
    :func:`mean_matched_fano_factor`; ``x``, ``y``, ``trials``, ``times`` as returned by
    :func:`point_statistics`). Returns the result Dataset without provenance; ``diagnostics``
    adds the per-point and histogram variables (without the point labels)."""
    nt = x.shape[0]
    eps = 1.0 * used_window
    w = trials / (x + eps) ** 2 if weighted else np.ones_like(x)
    ff_all, se_all = _weighted_slope(x, y, w, np.ones(x.shape, dtype=bool))

    # histogram of means (bin b holds b*bin_size <= mean < (b+1)*bin_size, like MATLAB histc);
    # only occupied bins are numbered, so a tiny bin_size cannot allocate a huge histogram
    # the tolerance puts a mean lying on an edge into the bin above, also for sizes not exact in
    # binary (0.1: 0.3 / 0.1 = 2.9999999999999996); as in bin_spikes
    occupied, bins = np.unique(np.floor(x / bin_size + 1e-9), return_inverse=True)
    bins = bins.reshape(x.shape)
    target = _common_distribution(bins)
    retained = float(target.sum() / x.shape[1])
    out = {
        "fano_factor_all": ff_all,
        "fano_factor_all_low": ff_all - 2 * se_all,
        "fano_factor_all_high": ff_all + 2 * se_all,
        "mean_rate": x.mean(axis=1) / used_window,
    }
    if repeats > 0:
        if target.sum() < 5:
            raise MeanMatchingError(
                f"only {int(target.sum())} neuron x condition points survive mean matching "
                "(< 5): bin_size is too small or the mean distributions do not overlap across "
                "times; increase bin_size, analyse fewer times, or use repeats=0"
            )
        # one repeat at a time (the same random stream as one (repeats, time, point) draw),
        # summing the per-repeat results: memory does not grow with repeats
        sums = np.zeros((4, nt))
        kept = np.zeros(x.shape) if diagnostics else None
        for _ in range(repeats):
            keep = _match_keep(bins, target, rng.random(x.shape))
            if kept is not None:
                kept += keep
            slope, se = _weighted_slope(x, y, w, keep)
            sums += (slope, slope - 2 * se, slope + 2 * se,
                     np.where(keep, x, 0).sum(-1) / keep.sum(-1))
        sums /= repeats
        out["fano_factor"], out["fano_factor_low"], out["fano_factor_high"] = sums[:3]
        out["mean_rate_matched"] = sums[3] / used_window
    result = xr.Dataset(
        {key: ("time", np.asarray(val, dtype=float)) for key, val in out.items()},
        coords={"time": times},
    )
    result["fraction_retained"] = ("time", np.full(nt, retained))
    result["n_points"] = ("time", np.full(nt, x.shape[1]))
    result["time"].attrs = {"units": "s", "long_name": "window centre"}
    for key in ("mean_rate", "mean_rate_matched"):
        if key in result:
            result[key].attrs["units"] = "spikes/s"
    result.attrs = {"window": used_window, "epsilon": eps, "bin_size": bin_size}
    if diagnostics:
        result = result.assign(_diagnostics(x, y, trials, bins, target, occupied * bin_size,
                                            None if repeats == 0 else kept / repeats))
    return result


def point_labels(counts: xr.Dataset | xr.DataArray, condition: str | None
                 ) -> tuple[np.ndarray, np.ndarray]:
    """Neuron and condition of every point of :func:`point_statistics` (condition-major, then
    neuron; the condition is 0 for all when ``condition`` is ``None``)."""
    da = activity(counts, "counts")
    groups = (np.zeros(1, dtype=int) if condition is None
              else np.unique(np.asarray(da[condition].values)))
    neurons = (np.asarray(da["neuron"].values) if "neuron" in da.coords
               else np.arange(da.sizes["neuron"]))
    return np.tile(neurons, len(groups)), np.repeat(groups, len(neurons))


def _diagnostics(x, y, trials, bins, target, edges, kept_fraction) -> dict:
    """The per-point scatter and the mean histograms of :func:`mean_matched_fano_factor`."""
    n_bins = len(edges)
    hist = np.stack([np.bincount(row, minlength=n_bins) for row in bins])
    spikes = {"units": "spikes"}
    out = {
        "point_mean": xr.DataArray(x, dims=("time", "point"), attrs=spikes),
        "point_variance": xr.DataArray(y, dims=("time", "point"), attrs={"units": "spikes^2"}),
        "variance_minus_mean": xr.DataArray(y - x, dims=("time", "point"),
                                            attrs={"units": "spikes^2"}),
        "point_trials": xr.DataArray(trials.astype(np.int64), dims="point"),
        "mean_histogram": xr.DataArray(hist, dims=("time", "mean_bin"),
                                       coords={"mean_bin": ("mean_bin", edges, spikes)}),
        "common_histogram": xr.DataArray(target, dims="mean_bin",
                                         coords={"mean_bin": ("mean_bin", edges, spikes)}),
    }
    if kept_fraction is not None:
        out["kept_fraction"] = xr.DataArray(kept_fraction, dims=("time", "point"))
    return out


def plan_at_times(da: xr.DataArray, window: float | None, times: ArrayLike) -> WindowPlan:
    """Windows of length ``window`` (s) centred on the given ``times`` (s), as a
    :class:`WindowPlan`; each time must be a window centre on ``da``'s bin grid."""
    if window is None:
        raise ValueError("times needs window= (s): the counting window centred on each time")
    if "time" not in da.coords:
        raise ValueError("times needs a 'time' coordinate (bin centres, s) on counts")
    every = window_plan(da, window, None)  # every window of that length, one bin apart
    t = np.asarray(da["time"].values, dtype=float)
    centres = (t[every.ends] + t[every.starts]) / 2
    req = check_finite_array("times", times, ndim=1)
    if req.size and np.any(np.diff(req) <= 0):
        raise ValueError("times must be strictly increasing")
    idx = np.clip(np.searchsorted(centres, req), 1, len(centres) - 1) if len(centres) > 1 \
        else np.zeros(req.shape, dtype=int)
    if len(centres) > 1:
        idx = np.where(np.abs(centres[idx - 1] - req) <= np.abs(centres[idx] - req), idx - 1, idx)
    off = np.abs(centres[idx] - req)
    bad = np.flatnonzero(off > 1e-6 * every.window)
    if bad.size:
        j = bad[0]
        raise ValueError(
            f"times must be centres of {every.window:g} s windows on the bin grid (the first "
            f"{centres[0]:g} s, then every {centres[1] - centres[0] if len(centres) > 1 else 0:g}"
            f" s, the last {centres[-1]:g} s); times[{j}] = {req[j]:g} s is not")
    return WindowPlan(every.starts[idx], every.ends[idx], every.window, False)
