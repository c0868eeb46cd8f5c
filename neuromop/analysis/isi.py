"""Irregularity of inter-spike intervals: CV, CV2, LV and LvR.

Each function takes either one train's intervals (a 1-D array, result a float) or a whole spike
table — a ``pandas.DataFrame`` with columns ``time`` (s), ``neuron`` and optionally ``trial``, or a
``SpikeTable`` (anything with ``to_dataframe()`` returning such a frame) — in which case all trains
are processed at once by one sort, ``np.diff`` and segment sums (``np.bincount``), without a Python
loop over trains, and the result is a labelled ``xarray.DataArray`` over ``(neuron[, trial])``.

Definitions (``I_i`` the intervals of one train, ``n`` their number, sums over consecutive pairs):

- ``cv = std(I) / mean(I)`` (``ddof=0`` as Elephant's ``cv``, i.e. ``scipy.stats.variation``);
- ``cv2 = 2/(n-1) Σ |I_{i+1} - I_i| / (I_{i+1} + I_i)`` (Holt et al., 1996);
- ``lv = 3/(n-1) Σ ((I_i - I_{i+1}) / (I_i + I_{i+1}))²`` (Shinomoto et al., 2003);
- ``lvr = 3/(n-1) Σ (1 - 4 I_i I_{i+1} / (I_i + I_{i+1})²) (1 + 4R / (I_i + I_{i+1}))``
  (Shinomoto et al., 2009), ``R`` a refractoriness constant in the unit of the intervals.

All need at least 2 intervals (3 spikes) per train: a single train with fewer raises
``ValueError``; in a table such trains give NaN and one ``RuntimeWarning`` saying how many.
This is deliberate where Elephant differs: its ``cv`` of one interval is 0.0 (the standard
deviation of one number), which reads as a perfectly regular train; one interval says nothing
about regularity.
These are Elephant's formulas and agree with ``elephant.statistics`` to rounding.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
import pandas as pd
import xarray as xr

from neuromop._checks import check_finite_array, check_int, check_real
from neuromop.analysis._reduce import with_provenance
from neuromop.data.spikes import SpikeTable

__all__ = ["cv", "cv2", "lv", "lvr"]

#: Default LvR refractoriness constant: Elephant's 5 ms, for intervals in seconds.
DEFAULT_R = 0.005


@dataclass
class _Trains:
    """Intervals of many trains, flattened: interval values, their train, and the labels."""

    intervals: np.ndarray  # (K,) all intervals, train by train, in time order
    train: np.ndarray  # (K,) train index of each interval
    n_trains: int
    coords: dict  # dim name -> labels
    shape: tuple[int, ...]

    def pairs(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Consecutive interval pairs (I_i, I_{i+1}) inside each train, and their train index."""
        same = self.train[1:] == self.train[:-1]
        return self.intervals[:-1][same], self.intervals[1:][same], self.train[1:][same]

    def counts(self) -> np.ndarray:
        return np.bincount(self.train, minlength=self.n_trains)


def _single(intervals: object, name: str = "intervals") -> np.ndarray:
    arr = check_finite_array(name, intervals, ndim=1, allow_empty=True)
    if arr.size < 2:
        raise ValueError(
            f"{name} must hold at least 2 intervals (3 spikes), got {arr.size}"
        )
    if np.any(arr <= 0):
        raise ValueError(f"{name} must be > 0, got minimum {arr.min()}")
    return arr


def _as_frame(table: object) -> pd.DataFrame | None:
    if isinstance(table, pd.DataFrame):
        return table
    if isinstance(table, SpikeTable):
        return table.data
    to_frame = getattr(table, "to_dataframe", None)
    if callable(to_frame) and not isinstance(table, xr.DataArray | xr.Dataset):
        frame = to_frame()
        if isinstance(frame, pd.DataFrame):
            return frame
    return None


def _trains(frame: pd.DataFrame) -> _Trains:
    missing = [c for c in ("time", "neuron") if c not in frame.columns]
    if missing:
        raise ValueError(
            f"spike table must have columns 'time' (s), 'neuron' and optionally 'trial'; "
            f"missing {missing} (columns: {list(frame.columns)})"
        )
    time = check_finite_array("spike table column 'time'", frame["time"].to_numpy(),
                              allow_empty=True)
    dims = ["neuron"] + (["trial"] if "trial" in frame.columns else [])
    codes, coords = [], {}
    for dim in dims:
        code, labels = pd.factorize(frame[dim], sort=True)
        if np.any(code < 0):
            raise ValueError(f"spike table column {dim!r} must not contain missing values")
        codes.append(code.astype(np.int64))
        coords[dim] = np.asarray(labels)
    shape = tuple(len(coords[d]) for d in dims)
    train = codes[0] * shape[1] + codes[1] if len(codes) == 2 else codes[0]
    dtrain, dtime = np.diff(train), np.diff(time)
    if np.any(dtrain < 0) or np.any((dtrain == 0) & (dtime < 0)):
        order = np.lexsort((time, train))  # tables are usually stored sorted: then no sort
        train = train[order]
        dtrain, dtime = np.diff(train), np.diff(time[order])
    same = dtrain == 0
    intervals = dtime[same]
    iv_train = train[1:][same]
    if np.any(intervals <= 0):
        bad = np.unique(iv_train[intervals <= 0])
        where = dict(zip(dims, np.unravel_index(bad[0], shape)))
        first = {d: coords[d][i].item() if hasattr(coords[d][i], "item") else coords[d][i]
                 for d, i in where.items()}
        raise ValueError(
            f"spike table has repeated spike times in {bad.size} train(s) (first: {first}); "
            "intervals must be > 0"
        )
    return _Trains(intervals, iv_train, int(np.prod(shape)), coords, shape)


def _finish(values: np.ndarray, n_intervals: np.ndarray, trains: _Trains, metric: str,
            stacklevel: int = 3, **params) -> xr.DataArray:
    short = n_intervals < 2
    if np.any(short):
        warnings.warn(
            f"{int(short.sum())} of {trains.n_trains} spike trains have fewer than 3 spikes "
            f"(2 intervals): their {metric} is NaN",
            RuntimeWarning,
            stacklevel=stacklevel,
        )
    values = np.where(short, np.nan, values).reshape(trains.shape)
    out = xr.DataArray(values, dims=tuple(trains.coords), coords=trains.coords, name=metric)
    out.attrs = {"long_name": metric, "units": "1"}
    return with_provenance(out, f"neuromop.analysis.{metric}", **params)


def _segment_mean(values: np.ndarray, seg: np.ndarray, n: int) -> tuple[np.ndarray, np.ndarray]:
    count = np.bincount(seg, minlength=n)
    total = np.bincount(seg, weights=values, minlength=n)
    with np.errstate(invalid="ignore", divide="ignore"):
        return total / count, count


def cv(intervals, *, ddof: int = 0):
    """Coefficient of variation of inter-spike intervals, ``std / mean``.

    Parameters
    ----------
    intervals : 1-D array_like or spike table
        One train's intervals (any time unit), or a spike table (see module docstring).
    ddof : int, default 0
        Delta degrees of freedom of the standard deviation (Elephant: 0).

    Returns
    -------
    float or xarray.DataArray
        A float for one train; for a table, ``cv`` over ``(neuron[, trial])`` with NaN (and a
        warning) for trains with fewer than 2 intervals.
    """
    ddof = check_int("ddof", ddof, low=0, high=1)
    frame = _as_frame(intervals)
    if frame is None:
        arr = _single(intervals)
        arr = arr / arr.max()  # scale-free: no overflow of squares for huge values
        return float(np.std(arr, ddof=ddof) / np.mean(arr))
    tr = _trains(frame)
    scaled = tr.intervals / tr.intervals.max() if tr.intervals.size else tr.intervals
    mean, n = _segment_mean(scaled, tr.train, tr.n_trains)
    dev = scaled - mean[tr.train]
    with np.errstate(invalid="ignore", divide="ignore"):
        var = np.bincount(tr.train, weights=dev * dev, minlength=tr.n_trains) / (n - ddof)
        values = np.sqrt(var) / mean
    return _finish(values, n, tr, "cv", ddof=ddof)


def _pairwise(intervals, metric: str, term, scale: float, **params):
    """``scale`` times the mean of ``term(I_i / u, I_{i+1} / u, u)`` per train, with ``u`` the
    largest interval (the metrics are ratios: dividing by ``u`` avoids overflow)."""
    frame = _as_frame(intervals)
    if frame is None:
        arr = _single(intervals)
        u = float(arr.max())
        return float(scale * np.mean(term(arr[:-1] / u, arr[1:] / u, u)))
    tr = _trains(frame)
    a, b, seg = tr.pairs()
    u = float(tr.intervals.max()) if tr.intervals.size else 1.0
    mean, _ = _segment_mean(term(a / u, b / u, u), seg, tr.n_trains)
    return _finish(scale * mean, tr.counts(), tr, metric, stacklevel=4, **params)


def cv2(intervals):
    """Local coefficient of variation CV2 (Holt et al., 1996), ``2 <|ΔI| / (I_i + I_{i+1})>``.

    Parameters
    ----------
    intervals : 1-D array_like or spike table
        One train's intervals (> 0, any unit), or a spike table (see module docstring).

    Returns
    -------
    float or xarray.DataArray
        CV2 (1 for a Poisson process); per train for a table.
    """
    return _pairwise(intervals, "cv2", lambda a, b, u: np.abs(b - a) / (a + b), 2.0)


def lv(intervals):
    """Local variation LV (Shinomoto et al., 2003), ``3 <((I_i - I_{i+1}) / (I_i + I_{i+1}))²>``.

    Parameters
    ----------
    intervals : 1-D array_like or spike table
        One train's intervals (> 0, any unit), or a spike table (see module docstring).

    Returns
    -------
    float or xarray.DataArray
        LV (1 for Poisson, ``3 / (2k + 1)`` for a gamma renewal process of shape ``k``).
    """
    return _pairwise(intervals, "lv", lambda a, b, u: ((a - b) / (a + b)) ** 2, 3.0)


def _seconds(value, name: str):
    """A ``quantities``/neo quantity rescaled to seconds (plain numbers unchanged)."""
    rescale = getattr(value, "rescale", None)
    if callable(rescale) and hasattr(value, "magnitude"):
        try:
            return np.asarray(rescale("s").magnitude, dtype=float)
        except ValueError as exc:
            raise ValueError(f"{name} must be a time quantity, got units "
                             f"{getattr(value, 'dimensionality', '?')}") from exc
    return value


def lvr(intervals, R: float = DEFAULT_R):
    """Revised local variation LvR (Shinomoto et al., 2009, PLoS Comput. Biol. 5:e1000433).

    Parameters
    ----------
    intervals : 1-D array_like, time quantity or spike table
        One train's intervals (> 0), or a spike table (times in s, so intervals in s). A
        ``quantities``/neo quantity (e.g. intervals in ms) is converted to seconds.
    R : float or time quantity, default 0.005
        Refractoriness constant, in the same unit as plain-number intervals (>= 0); a quantity
        is converted to seconds. The default is Elephant's 5 ms expressed in seconds; pass
        ``R=5`` for plain intervals in ms. With the default ``R``, plain intervals whose median
        exceeds 5 (more likely ms than s) draw a ``UserWarning``.

    Returns
    -------
    float or xarray.DataArray
        LvR; per train for a table.
    """
    had_quantity = hasattr(intervals, "rescale")
    intervals = _seconds(intervals, "intervals")
    R = _seconds(R, "R")
    R = check_real("R", R.item() if isinstance(R, np.ndarray) and R.ndim == 0 else R, low=0.0)
    if R == DEFAULT_R and not had_quantity and _as_frame(intervals) is None:
        arr = check_finite_array("intervals", intervals, allow_empty=True)
        if arr.size and np.all(np.isfinite(arr)) and np.median(arr) > 5.0:
            warnings.warn(
                f"lvr: the median interval is {np.median(arr):.4g}; R={DEFAULT_R} assumes "
                "intervals in seconds -- if they are in ms pass R=5 (or a quantity)",
                UserWarning, stacklevel=2)

    def term(a, b, u):
        s = a + b
        return (1.0 - 4.0 * a * b / s**2) * (1.0 + 4.0 * (R / u) / s)

    return _pairwise(intervals, "lvr", term, 3.0, R=R)
