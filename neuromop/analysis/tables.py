"""Lifetime and spike-train variability of groups of trials (e.g. controllers), side by side.

:func:`variability_table` computes, per group of trials (a trial coordinate such as
``controller``), the lifetime, the action entropy and the metrics used on recordings (Fano
factors at several windows, the mean-matched and the group-matched Fano factor, CV of ISIs,
spike-count correlation, participation ratio) with this package's analysis functions, over
time spans chosen by :func:`analysis_spans` so that lifetime differences do not leak into the
variability metrics.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Hashable, Sequence

import numpy as np
import pandas as pd
import xarray as xr

from neuromop._checks import MAX_SIZE, check_real
from neuromop._random import spawn
from neuromop.analysis.correlation import spike_count_correlation
from neuromop.analysis.dimensionality import participation_ratio
from neuromop.analysis.isi import cv
from neuromop.analysis.pooling import group_matched_fano_factor
from neuromop.analysis.variability import MeanMatchingError, fano_factor, mean_matched_fano_factor

__all__ = ["analysis_spans", "variability_table"]


def analysis_spans(ds: xr.Dataset, window: float, *, min_fraction: float = 0.5,
                   common=None) -> dict[str, tuple[int, np.ndarray]]:
    """The time span and trials on which each controller's count statistics are computed.

    A controller's own span is the longest whole number of ``window``-long windows from the
    start of the evaluation during which at least ``max(2, ceil(min_fraction * n_trials))`` of
    its trials are alive. Controllers named in ``common`` are then all analysed over the
    *shortest* of their own spans (the same time windows), each with the trials alive throughout
    it; other controllers keep their own span.

    Parameters
    ----------
    ds : xarray.Dataset
        Output of :func:`~neuromop.control.rollout.run_controllers`.
    window : float
        Counting window (s), a whole multiple of the bin width.
    min_fraction : float
        Fraction of a controller's trials that must be alive throughout its span, in (0, 1].
    common : sequence of str, optional
        Controllers compared over the same windows; default all controllers.

    Returns
    -------
    dict
        Label -> ``(n_bins, trials)``: the number of bins analysed (a multiple of the window's
        bins, possibly 0) and the global indices of the trials alive throughout them.
    """
    width = _check_run(ds)
    bpw = _bins_per_window(window, width)
    min_fraction = check_real("min_fraction", min_fraction, low=0.0, high=1.0,
                              low_inclusive=False)
    labels = list(dict.fromkeys(ds["controller"].values.tolist()))
    if common is not None and not isinstance(common, list | tuple | set | np.ndarray):
        raise TypeError(f"common must be a list of controller labels, got {common!r}")
    common = labels if common is None else list(common)
    unknown = {c for c in common if not isinstance(c, Hashable) or c not in labels}
    if unknown:
        raise ValueError(f"common must name controllers in {labels}, got unknown {sorted(unknown)}")
    life = ds["lifetime"].values
    own = {}
    for label in labels:
        trials = np.flatnonzero(ds["controller"].values == label)
        need = max(2, math.ceil(min_fraction * trials.size))
        # the need-th longest lifetime bounds the span that `need` trials survive
        longest = np.sort(life[trials])[::-1]
        n_bins = int(longest[need - 1]) if need <= trials.size else 0
        own[label] = (n_bins // bpw) * bpw
    shared = min((own[label] for label in common), default=0)
    spans = {}
    for label in labels:
        n_bins = shared if label in common else own[label]
        trials = np.flatnonzero((ds["controller"].values == label) & (life >= n_bins))
        spans[label] = (n_bins, trials)
    return spans


def _bins_per_window(window: float, width: float, name: str = "window") -> int:
    window = check_real(name, window, low=width)
    bpw = int(round(window / width))
    if abs(bpw * width - window) > 1e-9:
        raise ValueError(f"{name} must be a multiple of the bin width {width} s, got {window}")
    if bpw > MAX_SIZE:
        raise ValueError(f"{name} ({window} s) spans {bpw} bins of {width} s, more than "
                         f"{MAX_SIZE}")
    return bpw


def _check_run(ds) -> float:
    """The bin width (s) of a run_controllers dataset ``ds``, or raise naming ``ds``."""
    if not isinstance(ds, xr.Dataset):
        raise TypeError(f"ds must be the xarray.Dataset of run_controllers, got "
                        f"{type(ds).__name__}")
    missing = [v for v in ("counts", "lifetime", "controller") if v not in ds.variables]
    missing += [d for d in ("trial", "time", "neuron") if d not in ds.dims]
    if missing:
        raise ValueError(f"ds must come from run_controllers: it lacks {missing}")
    if any(ds.sizes[d] == 0 for d in ("trial", "time", "neuron")):
        raise ValueError(f"ds must hold trials, time bins and neurons, got sizes "
                         f"{dict(ds.sizes)}")
    for name in ("counts", "lifetime"):
        if ds[name].dtype.kind not in "biuf":
            raise ValueError(f"ds[{name!r}] must hold numbers, got dtype {ds[name].dtype}")
    return check_real("ds.attrs['bin_width']", ds.attrs.get("bin_width"), low=0.0,
                      low_inclusive=False)


def _windowed(counts: xr.DataArray, bpw: int) -> xr.DataArray:
    """Counts summed in non-overlapping windows of ``bpw`` bins (trailing bins dropped)."""
    n_win = counts.sizes["time"] // bpw
    out = counts.isel(time=slice(0, n_win * bpw)).coarsen(time=bpw).sum()
    out.attrs["bin_width"] = bpw * float(counts.attrs.get("bin_width", np.nan))
    return out


def _offdiag_mean(r: xr.DataArray) -> float:
    a = np.asarray(r.values, dtype=float)
    mask = ~np.eye(a.shape[0], dtype=bool)
    vals = a[mask]
    vals = vals[np.isfinite(vals)]
    return float(vals.mean()) if vals.size else float("nan")


def _count_statistics(counts: xr.DataArray, width: float, window: float,
                      fano_windows: Sequence[float], random_state) -> dict[str, float]:
    """Across-trial count statistics of ``counts`` (trial, time, neuron) over its whole span."""

    nan = float("nan")
    n_trials, n_bins = counts.sizes["trial"], counts.sizes["time"]
    row = {"rate_hz_analysed": float(counts.mean()) / width if counts.size else nan}
    bpw = _bins_per_window(window, width)
    for w in fano_windows:
        k = _bins_per_window(w, width)
        ok = n_trials >= 2 and n_bins // k >= 1
        row[f"fano_factor_{round(w * 1e3)}ms"] = (
            float(np.nanmean(fano_factor(_windowed(counts, k), dims="trial").values)) if ok
            else nan)
    win = _windowed(counts, bpw)
    n_win = win.sizes["time"]
    row["alive_windows"] = n_win
    row["fano_factor"] = (float(np.nanmean(fano_factor(win, dims="trial").values))
                          if n_trials >= 2 and n_win >= 1 else nan)
    row["mean_matched_fano_factor"] = nan
    if n_trials >= 2 and n_win >= 1:
        try:
            mm = mean_matched_fano_factor(counts, window=window, step=window,
                                          random_state=random_state)
            row["mean_matched_fano_factor"] = float(np.nanmean(mm["fano_factor"].values))
        except MeanMatchingError:
            pass  # too few points to match (documented: the statistic is undefined), NaN
        total = win.sum("time").expand_dims(time=[0.0]).transpose("trial", "time", "neuron")
        row["r_sc"] = _offdiag_mean(spike_count_correlation(total))
    else:
        row["r_sc"] = nan
    row["participation_ratio"] = (
        float(participation_ratio(win.astype(float), sample_dims=("trial", "time")))
        if n_win * n_trials >= 4 else nan)
    return row


def variability_table(ds: xr.Dataset, spikes: pd.DataFrame, *, window: float = 0.1,
                      fano_windows: Sequence[float] = (0.02, 0.06, 0.1, 0.2),
                      neurons: str | None = "E", min_fraction: float = 0.5, common=None,
                      match_bin_size: float = 0.05, random_state=0) -> pd.DataFrame:
    """Lifetime and spike-train variability of each controller of a closed-loop run.

    Count statistics are computed on the span and trials given by :func:`analysis_spans`:
    controllers in ``common`` are compared over the **same** time windows, each using only its
    trials alive throughout them (so that lifetime differences do not leak into the variability
    metrics). ISI statistics use each trial's own alive span.

    Parameters
    ----------
    ds, spikes
        Outputs of :func:`~neuromop.control.rollout.run_controllers` (a ``controller``
        coordinate along ``trial``).
    window : float
        Main counting window (s), a whole multiple of the control period. 0.1 s by default: the
        window of the mean-matched Fano factor of Churchland et al. (2010) and several times the
        control period, so that controller-driven rate changes add to the count variance.
    fano_windows : sequence of float
        Windows (s) of the additional ``fano_factor_<ms>ms`` columns (Fano factors grow with the
        window when the rate fluctuates on slower time scales than the window; Poisson noise
        dominates short windows).
    neurons : {"E", "I"} or None
        Population analysed (``None``: all neurons).
    min_fraction, common
        See :func:`analysis_spans`.
    match_bin_size : float
        Histogram bin (spikes per ``window``) of the matching across controllers; 0.05 because
        the controlled networks fire ~0.1-0.5 spikes per neuron and 100 ms (Churchland et
        al.'s 0.25 would put nearly every point in one bin and match nothing).
    random_state : int, SeedSequence or numpy.random.Generator
        Seed of the mean matching (one spawned stream per controller, one for the matching
        across controllers).

    Returns
    -------
    pandas.DataFrame
        One row per controller: ``lifetime_steps``, ``lifetime_s`` (mean over all trials),
        ``survival`` (fraction alive at the end), ``action_entropy`` (nats, mean over alive
        decisions), ``rate_hz`` (all neurons, mean over alive periods), ``span_s`` and
        ``trials_analysed`` (of the count statistics), ``rate_hz_analysed`` (analysed population
        and span), ``fano_factor`` (across trials, per ``window`` and neuron, averaged; NaN
        where no spikes), ``fano_factor_<ms>ms``, ``mean_matched_fano_factor`` (Churchland et
        al. 2010, at ``window``, averaged over windows), ``r_sc`` (mean over pairs, counts over
        the span), ``participation_ratio`` (bias-corrected, samples = trials x windows),
        ``alive_windows`` and ``cv_isi`` (mean over trains with >= 2 intervals).
    """

    width = _check_run(ds)
    if "controller" not in ds.coords:
        raise ValueError("ds must come from run_controllers (needs a 'controller' coordinate)")
    _bins_per_window(window, width)
    if not isinstance(fano_windows, list | tuple | np.ndarray):
        raise TypeError(f"fano_windows must be a sequence of windows (s), got {fano_windows!r}")
    fano_windows = tuple(fano_windows)
    for w in fano_windows:
        _bins_per_window(w, width, "fano_windows")
    if not isinstance(spikes, pd.DataFrame) or not {"time", "neuron", "trial"} <= set(
            spikes.columns):
        raise TypeError("spikes must be the spike table (pandas.DataFrame with columns time, "
                        f"neuron, trial) of run_controllers, got {type(spikes).__name__}")
    if not pd.api.types.is_numeric_dtype(spikes["time"]):
        raise TypeError(f"spikes['time'] must hold spike times (s), got dtype "
                        f"{spikes['time'].dtype}")
    match_bin_size = check_real("match_bin_size", match_bin_size, low=0.0,
                                low_inclusive=False)
    if neurons is not None:
        sel = ds["population"].values == neurons
        if not sel.any():
            raise ValueError(f"neurons must name a population in {set(ds['population'].values)}, "
                             f"got {neurons!r}")
        ds = ds.isel(neuron=np.flatnonzero(sel))
        spikes = spikes[spikes["neuron"].isin(ds["neuron"].values)]
    spans = analysis_spans(ds, window, min_fraction=min_fraction, common=common)
    streams = spawn(random_state, len(spans) + 1)
    rows = []
    for stream, (label, (n_bins, analysed)) in zip(streams, spans.items()):
        trials = np.flatnonzero(ds["controller"].values == label)
        sub = ds.isel(trial=trials)
        life = sub["lifetime"].values.astype(float)
        n_time = sub.sizes["time"]
        alive = np.arange(n_time)[None, :] < life[:, None]
        row = {"controller": label, "lifetime_steps": life.mean(),
               "lifetime_s": life.mean() * width, "survival": float((life >= n_time).mean()),
               "action_entropy": float(np.nanmean(np.where(alive, sub["action_entropy"].values,
                                                           np.nan))),
               "rate_hz": float(sub["population_rate"].values[alive].mean()),
               "span_s": n_bins * width, "trials_analysed": int(analysed.size)}
        counts = ds["counts"].isel(trial=analysed, time=slice(0, n_bins))
        counts.attrs["bin_width"] = width
        with warnings.catch_warnings():
            # silent neurons give NaN by definition (documented by the metrics); they are
            # excluded from the averages
            warnings.simplefilter("ignore", RuntimeWarning)
            row.update(_count_statistics(counts, width, window, fano_windows, stream))
            tr = spikes[spikes["trial"].isin(trials)]
            limit = pd.Series(life * width, index=trials)
            tr = tr[tr["time"].values < limit.loc[tr["trial"].values].values]
            row["cv_isi"] = float(np.nanmean(cv(tr).values)) if len(tr) >= 3 else float("nan")
        rows.append(row)
    table = pd.DataFrame(rows).set_index("controller")
    table["fano_factor_rate_matched"] = _rate_matched_fano(ds, spans, common, window,
                                                           match_bin_size, streams[-1])
    return table


def _rate_matched_fano(ds, spans, common, window, bin_size, random_state) -> pd.Series:
    """Fano factors of the ``common`` controllers matched across them (NaN elsewhere)."""

    labels = list(spans)
    common = labels if common is None else list(common)
    out = pd.Series(np.nan, index=pd.Index(labels, name="controller"))
    n_bins = min((spans[label][0] for label in common), default=0)
    trials = [spans[label][1] for label in common]
    width = float(ds.attrs["bin_width"])
    if len(common) < 2 or n_bins < _bins_per_window(window, width) or min(
            t.size for t in trials) < 2:
        return out
    counts = ds["counts"].isel(trial=np.concatenate(trials), time=slice(0, n_bins))
    counts.attrs["bin_width"] = width
    try:
        res = group_matched_fano_factor(counts, "controller", window=window, repeats=20,
                                        bin_size=bin_size, random_state=random_state)
    except MeanMatchingError:
        return out  # the controllers' mean counts barely overlap: undefined, NaN
    ff = res["fano_factor"].to_series()
    out.loc[ff.index] = ff.values
    return out
