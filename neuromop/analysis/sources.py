"""Recorded and simulated activity side by side: the same statistics, distances and a verdict.

:func:`source_statistics` computes the variability statistics of one ``(trial, time, neuron)``
count set; :func:`compare_sources` computes them for several *sources* (the recording and, say,
the free, MOP, R and random rollouts of a network fitted to it), with bootstrap intervals over
trials (and over fits, when a source holds several), the distance of every source from the
reference, and which source is closest — or that the data cannot tell.

Statistics (``STATISTICS``):

``fano_factor`` (time)
    Fano factor across trials (``ddof=1``) within each ``condition`` (all trials together
    without one), averaged over the neuron × condition points with a non-zero mean count in the
    bin.
``mean_matched_fano_factor`` (time)
    :func:`~neuromop.analysis.mean_matched_fano_factor` (Churchland et al. 2010), points
    neuron × condition when ``condition`` is given.
``mean_count`` (time)
    Mean count per bin and neuron.
``r_sc``
    Mean spike-count correlation over pairs (whole-trial counts, z-scored within ``condition``).
``participation_ratio``
    Sample-size-corrected participation ratio of the counts (samples: trial × time).
``fano_quench`` (only with ``event_time``)
    Mean of ``fano_factor`` before the task event minus its mean from the event on: positive
    when variability falls at the event (the quench of Churchland et al. 2010).
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping, Sequence

import numpy as np
import xarray as xr

from neuromop._checks import check_int, check_real
from neuromop._provenance import provenance
from neuromop._random import as_generator
from neuromop.analysis._reduce import activity, check_values
from neuromop.analysis.correlation import spike_count_correlation
from neuromop.analysis.dimensionality import participation_ratio
from neuromop.analysis.variability import (
    MeanMatchingError,
    mean_matched_fano_factor,
)

__all__ = ["STATISTICS", "TIME_STATISTICS", "compare_sources", "source_statistics"]

#: Statistics computed by :func:`source_statistics`, in order.
STATISTICS = ("fano_factor", "mean_matched_fano_factor", "mean_count", "r_sc",
              "participation_ratio")
#: Those that are functions of time.
TIME_STATISTICS = ("fano_factor", "mean_matched_fano_factor", "mean_count")


def _counts(data, name: str) -> xr.DataArray:
    if not isinstance(data, xr.Dataset | xr.DataArray):
        raise TypeError(f"{name} must be an xarray Dataset with 'counts' or a DataArray, got "
                        f"{type(data).__name__}")
    da = activity(data, name)
    if set(da.dims) != {"trial", "time", "neuron"}:
        raise ValueError(f"{name} must have dims (trial, time, neuron), got {da.dims}")
    if da.sizes["trial"] < 3:
        raise ValueError(f"{name} must hold at least 3 trials, got {da.sizes['trial']}")
    if da.sizes["time"] < 1 or da.sizes["neuron"] < 2:
        raise ValueError(f"{name} must hold at least 1 time bin and 2 neurons, got sizes "
                         f"{dict(da.sizes)}")
    da = check_values(da.transpose("trial", "time", "neuron"), name=name, counts=True).load()
    if float(da.max()) > 1e9:
        raise ValueError(f"{name} must hold spike counts per bin below 1e9, got "
                         f"{float(da.max()):.3g}")
    return da


def _quench(ff: np.ndarray, times: np.ndarray, event_time: float) -> float:
    """Mean Fano factor before ``event_time`` minus after (NaN if a side has no defined
    value)."""
    pre, post = ff[times < event_time], ff[times >= event_time]
    if not (np.isfinite(pre).any() and np.isfinite(post).any()):
        return np.nan
    return float(np.nanmean(pre) - np.nanmean(post))


def _statistics(da: xr.DataArray, condition, repeats, seed, event_time=None,
                resampled=False) -> dict[str, np.ndarray]:
    """The statistics of one count array (numpy values; NaN where undefined).

    ``resampled``: ``da`` is a bootstrap replicate (trials drawn with replacement within each
    condition); its variances are scaled by ``n / (n - 1)`` per condition, the expected
    shrinkage of a variance over ``n`` resampled trials.
    """
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        labels = None if condition is None else da[condition].values
        fano = _within_condition_fano(da.values, labels, resampled)
        try:
            mm = mean_matched_fano_factor(da, condition=condition, repeats=repeats,
                                          random_state=seed)["fano_factor"].values
        except MeanMatchingError:
            mm = np.full(da.sizes["time"], np.nan)
        if resampled:  # the regression slope scales with the variances: mean n / (n - 1)
            n = (np.unique(labels, return_counts=True)[1] if labels is not None
                 else np.array([da.sizes["trial"]]))
            mm = mm * float(np.mean(n / (n - 1.0)))
        r = spike_count_correlation(da, zscore_by=condition).values
        pairs = r[np.triu_indices(r.shape[0], 1)]
        pairs = pairs[np.isfinite(pairs)]
        pr = float(participation_ratio(da))
    out = {"fano_factor": fano, "mean_matched_fano_factor": mm,
           "mean_count": da.values.mean(axis=(0, 2)),
           "r_sc": float(pairs.mean()) if pairs.size else np.nan, "participation_ratio": pr}
    if event_time is not None:
        out["fano_quench"] = _quench(fano, da["time"].values, event_time)
    return out


def _within_condition_fano(counts: np.ndarray, labels, resampled=False) -> np.ndarray:
    """Fano factor (ddof=1) across the trials of each condition, averaged over the neuron ×
    condition points with a non-zero mean, per time bin (NaN where there is none); variances
    scaled by ``n / (n - 1)`` for a bootstrap replicate (``resampled``)."""
    x = counts.astype(float)
    if labels is None:
        groups, n = np.zeros(x.shape[0], dtype=int), np.array([x.shape[0]])
    else:
        _, groups, n = np.unique(labels, return_inverse=True, return_counts=True)
    s1 = np.zeros((n.size,) + x.shape[1:])
    s2 = np.zeros_like(s1)
    np.add.at(s1, groups, x)
    np.add.at(s2, groups, x * x)
    nn = n[:, None, None].astype(float)
    mean = s1 / nn
    var = (s2 - nn * mean ** 2) / (nn - 1)
    if resampled:
        var = var * nn / (nn - 1)
    ok = mean > 0
    ff = np.where(ok, var / np.where(ok, mean, 1.0), 0.0)
    count = ok.sum(axis=(0, 2))
    return np.where(count > 0, ff.sum(axis=(0, 2)) / np.maximum(count, 1), np.nan)


def _check_event_time(event_time, times: np.ndarray) -> float | None:
    if event_time is None:
        return None
    event_time = check_real("event_time", event_time)
    if not (times < event_time).any() or not (times >= event_time).any():
        raise ValueError(f"event_time must leave time bins on both sides (bins "
                         f"{times.min():g}..{times.max():g} s), got {event_time}")
    return event_time


def source_statistics(counts, *, condition: str | None = None, repeats: int = 10,
                      event_time: float | None = None, random_state=0) -> xr.Dataset:
    """The variability statistics of one ``(trial, time, neuron)`` count set.

    Parameters
    ----------
    counts : xarray.Dataset or xarray.DataArray
        Spike counts with dims ``trial``, ``time``, ``neuron`` (at least 3 trials).
    condition : str, optional
        Coordinate along ``trial`` naming conditions (mean matching points, r_sc z-scoring).
    repeats : int
        Mean-matching repeats.
    event_time : float, optional
        Time (s) of a task event: adds ``fano_quench``.
    random_state : int
        Seed of the mean matching.

    Returns
    -------
    xarray.Dataset
        One variable per name in :data:`STATISTICS` (and ``fano_quench``; dimensionless;
        ``mean_count`` in spikes per bin), over ``time`` where time-resolved. NaN marks an
        undefined value (no neuron fired in a bin; the mean matching found no common
        distribution).
    """
    da = _counts(counts, "counts")
    repeats = check_int("repeats", repeats, low=1, high=10_000)
    seed = check_int("random_state", random_state, low=0)
    _check_condition(da, condition, "counts")
    event_time = _check_event_time(event_time, da["time"].values)
    stats = _statistics(da, condition, repeats, seed, event_time)
    out = xr.Dataset({k: (("time",) if k in TIME_STATISTICS else (), v)
                      for k, v in stats.items()}, coords={"time": da["time"].values})
    out["mean_count"].attrs["units"] = "spikes per bin"
    out.attrs.update(source=str(getattr(counts, "attrs", {}).get("source", "counts")),
                     **provenance("neuromop.analysis.source_statistics", condition=condition,
                                  repeats=repeats, event_time=event_time, random_state=seed))
    return out


def _check_condition(da: xr.DataArray, condition, name: str) -> np.ndarray | None:
    """The condition labels of ``da``'s trials (None without condition), or raise."""
    if condition is None:
        return None
    if not isinstance(condition, str) or condition not in da.coords or \
            da[condition].dims != ("trial",):
        raise ValueError(f"condition must name a trial coordinate of {name}, got "
                         f"{condition!r}")
    labels = da[condition].values
    _, n = np.unique(labels, return_counts=True)
    if n.min() < 2:
        raise ValueError(f"condition {condition!r}: every condition of {name} needs at least "
                         f"2 trials (a variance across trials), got {int(n.min())}")
    return labels


def _resample(rng, labels, n: int) -> np.ndarray:
    """Trial indices drawn with replacement within each condition (all trials if None)."""
    if labels is None:
        return rng.integers(0, n, n)
    out = [rng.choice(np.flatnonzero(labels == v), size=int((labels == v).sum()))
           for v in np.unique(labels)]
    return np.sort(np.concatenate(out))


def _distance(a: np.ndarray, b: np.ndarray) -> float:
    """RMS difference over the entries where both are defined (NaN if none)."""
    ok = np.isfinite(a) & np.isfinite(b)
    return float(np.sqrt(np.mean((a[ok] - b[ok]) ** 2))) if ok.any() else np.nan


def _difference(a: np.ndarray, b: np.ndarray) -> float:
    """Mean signed difference ``a - b`` over the entries where both are defined."""
    ok = np.isfinite(a) & np.isfinite(b)
    return float(np.mean(a[ok] - b[ok])) if ok.any() else np.nan


def _pooled(fits: list[xr.DataArray], picks, rng, condition, repeats, seed, event_time,
            resample=True):
    """Statistics averaged over the picked fits, each resampled over trials (within
    conditions)."""
    parts = []
    for k in picks:
        da = fits[k]
        labels = None if condition is None else da[condition].values
        idx = _resample(rng, labels, da.sizes["trial"]) if resample else slice(None)
        parts.append(_statistics(da.isel(trial=idx), condition, repeats, seed, event_time,
                                 resampled=resample))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        return {s: np.nanmean(np.stack([np.atleast_1d(p[s]) for p in parts]), axis=0)
                for s in parts[0]}


def _as_fits(value, name: str) -> list[xr.DataArray]:
    items = list(value) if isinstance(value, Sequence) and not isinstance(value, str) else [value]
    if not items:
        raise ValueError(f"sources[{name!r}] must hold at least one count set")
    return [_counts(v, f"sources[{name!r}]") for v in items]


def compare_sources(sources: Mapping, *, reference: str = "recorded",
                    condition: str | None = None, n_boot: int = 200, confidence: float = 0.95,
                    repeats: int = 10, event_time: float | None = None,
                    random_state=0) -> xr.Dataset:
    """Each source's statistics, its distance from the reference, and the closest source.

    Parameters
    ----------
    sources : mapping of str to count set or sequence of count sets
        ``{"recorded": ds, "free": [fit0, fit1, fit2], "mop": [...], ...}``. A sequence holds
        one count set per fit (same time bins); its statistics are averaged over fits.
    reference : str
        The source the others are compared with (one count set).
    condition : str, optional
        Trial coordinate naming conditions (see :func:`source_statistics`).
    n_boot : int
        Bootstrap replicates. Each resamples the reference's trials once and, for every other
        source, its fits (with replacement) and each fit's trials (hierarchical bootstrap);
        trials are resampled within each ``condition`` (stratified), so every condition keeps
        its number of trials.
    confidence : float
        Level of the percentile intervals. Resampling trials with replacement shrinks a
        variance across ``n`` trials by ``(n - 1) / n`` on average; the Fano factors of the
        replicates are scaled back by ``n / (n - 1)`` (per condition), so that the intervals
        are centred on the estimates.
    repeats : int
        Mean-matching repeats.
    event_time : float, optional
        Time (s) of a task event (e.g. 0 for offer onset): adds the statistic ``fano_quench``.
    random_state : int or numpy.random.Generator
        Seed of the resampling and the mean matching.

    Returns
    -------
    xarray.Dataset
        Per statistic ``s``: ``s`` (source[, time]) point values and ``s_interval``
        (source[, time], bound); ``distance`` and ``difference`` (source, statistic): the RMS
        over time (absolute value for scalars) and the mean signed difference from the
        reference, each with an ``_interval`` (bound); ``closest`` (statistic): the non-
        reference source with the smallest distance, or ``"not distinguishable"`` when the
        interval of the distance gap to another source includes 0 (``tied_with`` lists those);
        ``action_entropy`` (source, time, nats) where the sources carry it (NaN elsewhere).
    """
    if not isinstance(sources, Mapping) or not sources:
        raise TypeError("sources must be a non-empty mapping of source name to count sets")
    if not isinstance(reference, str):
        raise TypeError(f"reference must be a source name (str), got {reference!r}")
    if reference not in sources:
        raise ValueError(f"reference must be one of the sources {list(sources)}, got "
                         f"{reference!r}")
    if len(sources) < 2:
        raise ValueError("sources must hold the reference and at least one other source")
    n_boot = check_int("n_boot", n_boot, low=10, high=1_000_000)
    confidence = check_real("confidence", confidence, low=0.0, high=1.0, low_inclusive=False,
                            high_inclusive=False)
    repeats = check_int("repeats", repeats, low=1, high=10_000)
    fits = {name: _as_fits(v, name) for name, v in sources.items()}
    if len(fits[reference]) != 1:
        raise ValueError(f"sources[{reference!r}] (the reference) must be one count set, got "
                         f"{len(fits[reference])}")
    times = fits[reference][0]["time"].values
    for name, items in fits.items():
        for da in items:
            if da.sizes["time"] != times.size or not np.allclose(da["time"].values, times):
                raise ValueError(f"sources[{name!r}] must have the reference's time bins")
            _check_condition(da, condition, f"sources[{name!r}]")
    event_time = _check_event_time(event_time, times)
    stats = STATISTICS + (("fano_quench",) if event_time is not None else ())
    rng = as_generator(random_state)
    seed = int(rng.integers(2**31))
    names = list(fits)
    others = [s for s in names if s != reference]
    point = {s: _pooled(fits[s], range(len(fits[s])), rng, condition, repeats, seed,
                        event_time, resample=False) for s in names}
    boot, dist, diff = _bootstrap(fits, reference, stats, n_boot, rng,
                                  (condition, repeats, seed, event_time))
    q = [(1 - confidence) / 2, (1 + confidence) / 2]
    out = xr.Dataset(coords={"source": names, "time": times, "bound": ["low", "high"],
                             "statistic": list(stats)})
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        for k in stats:
            dims = ("source", "time") if k in TIME_STATISTICS else ("source",)
            out[k] = (dims, np.stack([np.squeeze(point[s][k]) for s in names]))
            reps = np.stack([np.stack(boot[s][k]) for s in names])  # (source, boot[, time])
            lim = np.nanquantile(reps, q, axis=1)                    # (2, source[, time])
            out[f"{k}_interval"] = ((*dims, "bound"), np.moveaxis(lim, 0, -1).reshape(
                *out[k].shape, 2))
        point_dist = np.array([[_distance(np.atleast_1d(point[s][k]),
                                          np.atleast_1d(point[reference][k]))
                                for k in stats] for s in names])
        point_diff = np.array([[_difference(np.atleast_1d(point[s][k]),
                                            np.atleast_1d(point[reference][k]))
                                for k in stats] for s in names])
        out["distance"] = (("source", "statistic"), point_dist)
        out["distance_interval"] = (("source", "statistic", "bound"),
                                    np.moveaxis(np.nanquantile(dist, q, axis=0), 0, -1))
        out["difference"] = (("source", "statistic"), point_diff)
        out["difference_interval"] = (("source", "statistic", "bound"),
                                      np.moveaxis(np.nanquantile(diff, q, axis=0), 0, -1))
    closest, tied = _closest(names, others, point_dist, dist, q)
    out["closest"] = (("statistic",), np.array(closest, dtype=object).astype(str))
    out["tied_with"] = (("statistic",), np.array(tied, dtype=object).astype(str))
    entropy = _entropy(sources, names, times.size)
    out["action_entropy"] = (("source", "time"), entropy)
    out["action_entropy"].attrs["units"] = "nats"
    out["mean_count"].attrs["units"] = "spikes per bin"
    out.attrs.update(source="neuromop.analysis.compare_sources", reference=reference,
                     n_fits=str({s: len(fits[s]) for s in names}),
                     **provenance("neuromop.analysis.compare_sources", reference=reference,
                                  condition=condition, n_boot=n_boot, confidence=confidence,
                                  repeats=repeats, event_time=event_time, seed=seed))
    return out


def _bootstrap(fits, reference, stats, n_boot, rng, settings):
    """Replicates of every source's statistics and of its distance / difference from the
    reference (the reference resampled once per replicate, shared by all sources);
    ``settings`` is ``(condition, repeats, seed, event_time)``."""
    names = list(fits)
    boot = {s: {k: [] for k in stats} for s in names}
    dist = np.full((n_boot, len(names), len(stats)), np.nan)
    diff = np.full_like(dist, np.nan)
    for b in range(n_boot):
        rep = {}
        for s in names:
            picks = rng.integers(0, len(fits[s]), len(fits[s]))
            rep[s] = _pooled(fits[s], picks, rng, *settings)
            for k in stats:
                boot[s][k].append(rep[s][k])
        for i, s in enumerate(names):
            for j, k in enumerate(stats):
                dist[b, i, j] = _distance(rep[s][k], rep[reference][k])
                diff[b, i, j] = _difference(rep[s][k], rep[reference][k])
    return boot, dist, diff


def _entropy(sources, names, n_time) -> np.ndarray:
    """Mean action entropy (source, time) of the sources that carry it (NaN elsewhere)."""
    entropy = np.full((len(names), n_time), np.nan)
    for i, s in enumerate(names):
        ents = [_entropy_profile(v) for v in _raw_items(sources[s])]
        ents = [e for e in ents if e is not None]
        if ents:
            entropy[i] = np.mean(ents, axis=0)
    return entropy


def _raw_items(value) -> list:
    return list(value) if isinstance(value, Sequence) and not isinstance(value, str) else [value]


def _entropy_profile(data) -> np.ndarray | None:
    """Mean action entropy over trials (time,) of a rollout dataset, or None."""
    if isinstance(data, xr.Dataset) and "action_entropy" in data:
        return data["action_entropy"].mean("trial").values
    return None


def _closest(names, others, point_dist, dist, q):
    """Per statistic: the closest non-reference source, or 'not distinguishable'."""
    closest, tied = [], []
    for j in range(point_dist.shape[1]):
        d = {s: point_dist[names.index(s), j] for s in others
             if np.isfinite(point_dist[names.index(s), j])}
        if not d:
            closest.append("undefined")
            tied.append("")
            continue
        best = min(d, key=d.get)
        ties = []
        for s in d:
            if s == best:
                continue
            gap = dist[:, names.index(s), j] - dist[:, names.index(best), j]
            gap = gap[np.isfinite(gap)]
            if gap.size == 0 or np.quantile(gap, q[0]) <= 0:
                ties.append(s)
        closest.append("not distinguishable" if ties else best)
        tied.append(",".join([best, *ties]) if ties else "")
    return closest, tied
