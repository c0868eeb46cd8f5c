"""Spike-count variability: the Fano factor and the mean-matched Fano factor (Churchland 2010).

Both take binned counts with dims ``(trial, time, neuron)`` (a DataArray, or a Dataset with one
activity variable), optionally summed over sliding windows in time, and return labelled xarray
results with provenance in ``attrs``. They work unchanged on dask-backed data.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable

import numpy as np
import xarray as xr

from neuromop._checks import check_int, check_real
from neuromop._random import as_generator
from neuromop.analysis._reduce import (
    activity,
    check_dims,
    check_values,
    group_moments,
    reduce_dims,
    sliding_window_sum,
    with_provenance,
)

__all__ = ["MeanMatchingError", "fano_factor", "mean_matched_fano_factor"]


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
    """
    ddof = check_int("ddof", ddof, low=0)
    da = activity(data)
    dims = check_dims(da, dims)
    da = check_values(da, counts=True).astype(np.int64)  # checked: whole numbers
    da, used_window = sliding_window_sum(da, window, step)
    n = int(np.prod([da.sizes[d] for d in dims]))
    if n - ddof < 1:
        raise ValueError(f"ddof must be < the number of samples {n} over {list(dims)}, got {ddof}")
    mean = reduce_dims(da, "mean", dims, min_size=2)
    var = reduce_dims(da, "var", dims, ddof=ddof, min_size=2)
    ff = (var / mean.where(mean > 0)).rename("fano_factor")
    ff.attrs = {"long_name": "Fano factor", "units": "1", "window": used_window}
    return with_provenance(
        ff, "neuromop.analysis.fano_factor", dims=list(dims), ddof=ddof, window=window, step=step
    )


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


def mean_matched_fano_factor(
    counts: xr.Dataset | xr.DataArray,
    *,
    window: float | None = None,
    step: float | None = None,
    condition: str | None = None,
    repeats: int = 10,
    bin_size: float = 0.25,
    weighted: bool = True,
    random_state: None | int | np.random.Generator = None,
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
        Number of random matchings (``matchReps``); 0 skips matching.
    bin_size : float, default 0.25
        Histogram bin width of the mean counts (spikes).
    weighted : bool, default True
        Weighted regression (``True``, as in the paper) or ordinary least squares.
    random_state : None, int or numpy.random.Generator
        Seed of the matching.

    Returns
    -------
    xarray.Dataset
        Over ``time`` (window centres, s): ``fano_factor`` (matched) with ``fano_factor_low`` /
        ``fano_factor_high`` (±2 SE), ``fano_factor_all`` with ``fano_factor_all_low`` /
        ``fano_factor_all_high`` (unmatched), ``mean_rate`` and ``mean_rate_matched`` (spikes/s),
        ``fraction_retained`` (share of points kept by the matching, the same at every time)
        and ``n_points``. A Fano factor is NaN only at a time where every kept point has mean 0
        (the regression slope is then undefined).

    Raises
    ------
    ValueError
        Missing dims or condition coordinate, fewer than 2 trials in a condition, bad counts.
    MeanMatchingError
        (a ``ValueError``) fewer than 5 points left after matching (as ``VarVsMean``).
    """
    repeats = check_int("repeats", repeats, low=0)
    bin_size = check_real("bin_size", bin_size, low=0.0, low_inclusive=False)
    rng = as_generator(random_state)
    x, y, trials, times, used_window = point_statistics(counts, window=window, step=step,
                                                        condition=condition)
    result = matched_regression(x, y, trials, times, used_window, repeats=repeats,
                                bin_size=bin_size, weighted=weighted, rng=rng)
    return with_provenance(
        result, "neuromop.analysis.mean_matched_fano_factor", window=window, step=step,
        condition=condition, repeats=repeats, bin_size=bin_size, weighted=weighted,
        random_state=(
            "Generator" if isinstance(random_state, np.random.Generator) else random_state
        ),
    )


def point_statistics(
    counts: xr.Dataset | xr.DataArray,
    *,
    window: float | None = None,
    step: float | None = None,
    condition: str | None = None,
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
    da = check_values(da, name="counts", counts=True).astype(np.int64)
    if step is None:
        step = window
    da, used_window = sliding_window_sum(da, window, step)
    if condition is None:
        groups = xr.DataArray(np.zeros(da.sizes["trial"], dtype=int), dims="trial")
    else:
        if condition not in da.coords or da[condition].dims != ("trial",):
            raise ValueError(
                f"condition must name a coordinate along 'trial', got {condition!r} "
                f"(coordinates: {list(da.coords)})"
            )
        groups = da[condition]
    labels, inverse = np.unique(np.asarray(groups.values), return_inverse=True)
    n_trials = np.bincount(inverse, minlength=len(labels))
    if np.any(n_trials < 2):
        raise ValueError(
            "every condition needs >= 2 trials for a ddof=1 variance; "
            f"trial counts per condition: {dict(zip(labels.tolist(), n_trials.tolist()))}"
        )
    mean, var, _ = group_moments(da, inverse, "trial", ddof=1)
    mean = mean.transpose("time", "group", "neuron")
    var = var.transpose("time", "group", "neuron")
    # the per-point summaries are small (time x condition x neuron): computed once, dask or not
    stats = xr.Dataset({"m": mean, "v": var}).compute()
    nt = stats.sizes["time"]
    x = np.asarray(stats["m"].values, dtype=float).reshape(nt, -1)
    y = np.asarray(stats["v"].values, dtype=float).reshape(nt, -1)
    trials = np.repeat(n_trials, stats.sizes["neuron"]).astype(float)
    return x, y, trials, np.asarray(stats["time"].values, dtype=float), used_window


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
) -> xr.Dataset:
    """Mean matching and weighted regression on per-point statistics (see
    :func:`mean_matched_fano_factor`; ``x``, ``y``, ``trials``, ``times`` as returned by
    :func:`point_statistics`). Returns the result Dataset without provenance."""
    nt = x.shape[0]
    eps = 1.0 * used_window
    w = trials / (x + eps) ** 2 if weighted else np.ones_like(x)
    ff_all, se_all = _weighted_slope(x, y, w, np.ones(x.shape, dtype=bool))

    # histogram of means (bin b holds b*bin_size <= mean < (b+1)*bin_size, like MATLAB histc);
    # only occupied bins are numbered, so a tiny bin_size cannot allocate a huge histogram
    _, bins = np.unique(np.floor(x / bin_size), return_inverse=True)
    bins = bins.reshape(x.shape)
    n_bins = int(bins.max()) + 1
    rows = np.repeat(np.arange(nt), x.shape[1])
    hist = np.bincount(rows * n_bins + bins.ravel(), minlength=nt * n_bins).reshape(nt, n_bins)
    target = hist.min(axis=0)
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
        keys = rng.random((repeats, nt, x.shape[1]))
        keep = _match_keep(np.broadcast_to(bins, keys.shape), target, keys)
        slope, se = _weighted_slope(x, y, w, keep)
        out["fano_factor"] = slope.mean(axis=0)
        out["fano_factor_low"] = (slope - 2 * se).mean(axis=0)
        out["fano_factor_high"] = (slope + 2 * se).mean(axis=0)
        matched_mean = (np.where(keep, x, 0).sum(-1) / keep.sum(-1)).mean(axis=0)
        out["mean_rate_matched"] = matched_mean / used_window
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
    return result
