"""Cut a continuous session of spikes into trials, around event times or between intervals.

:func:`cut_trials` turns a :class:`~neuromop.data.spikes.SpikeTable` holding one continuous
session (or plain time/neuron arrays) into a table with one trial per event or interval, spike
times relative to each trial's alignment. It sorts the spikes once and finds every window's
spikes with ``np.searchsorted`` (no Python loop over trials or spikes); a spike inside several
(overlapping) windows appears once per window, and the spikes inside none are counted, never
dropped silently.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from neuromop._checks import check_finite_array
from neuromop._provenance import provenance
from neuromop.data.spikes import _EDGE_TOL, SpikeTable, _as_seconds

__all__ = ["cut_trials"]

#: Column names accepted for interval bounds in a DataFrame, in order of preference.
_BOUNDS = (("start_time", "stop_time"), ("start", "end"), ("start", "stop"))


def _session(table_or_times: Any, neurons: Any) -> SpikeTable:
    if isinstance(table_or_times, SpikeTable):
        if neurons is not None:
            raise ValueError("neurons must be None when table_or_times is a SpikeTable")
        if len(table_or_times.trials) != 1:
            raise ValueError(
                "table_or_times must hold one continuous session (a single trial), got "
                f"{len(table_or_times.trials)} trials; select one with table.select(trials=[…])"
            )
        return table_or_times
    if isinstance(table_or_times, pd.DataFrame | str | bytes | dict) or table_or_times is None:
        raise TypeError(
            "table_or_times must be a SpikeTable or an array of spike times (s), got "
            f"{type(table_or_times).__name__}"
        )
    times, _ = _as_seconds("table_or_times", table_or_times)
    times = check_finite_array("table_or_times", times, ndim=1, allow_empty=True)
    if neurons is None:
        neurons = np.zeros(times.shape, dtype=np.int64)
    # the original times: plain numbers that look like ms get from_arrays' warning
    return SpikeTable.from_arrays(table_or_times, neurons, attrs={"source": "spike arrays"})


def _window(window: Any) -> tuple[float, float]:
    if window is None:
        raise ValueError("window (start, stop) in s relative to each event is required with "
                         "events")
    values, _ = _as_seconds("window", window)
    if values.shape != (2,):
        raise ValueError(f"window must be a pair (start, stop) in s, got {window!r}")
    t0, t1 = (float(v) for v in values)
    if not (np.isfinite(t0) and np.isfinite(t1) and t1 > t0):
        raise ValueError(f"window must be finite with stop > start, got {window!r}")
    return t0, t1


def _events(events: Any, window: tuple[float, float]):
    t0, t1 = window
    labels, name = None, "event_time"
    if isinstance(events, pd.Series):
        labels, name = events.index, str(events.name or name)
        events = events.to_numpy()
    values, _ = _as_seconds("events", events)
    values = check_finite_array("events", values, ndim=1)
    index = pd.RangeIndex(values.size, name="trial") if labels is None else pd.Index(labels)
    info = pd.DataFrame({name: values, "start_time": values + t0, "stop_time": values + t1},
                        index=index)
    n = values.size
    return info, values, np.full(n, t0), np.full(n, t1)


def _interval_table(intervals: Any) -> tuple[np.ndarray, np.ndarray, pd.DataFrame, pd.Index]:
    """Start and stop (s), extra metadata and trial labels of ``intervals``."""
    if isinstance(intervals, pd.DataFrame):
        for start, stop in _BOUNDS:
            if {start, stop} <= set(intervals.columns):
                extra = intervals.drop(columns=[start, stop])
                return (intervals[start].to_numpy(), intervals[stop].to_numpy(), extra,
                        intervals.index)
        raise ValueError(
            "intervals as a DataFrame must have columns start_time/stop_time (or start/end), "
            f"got {list(intervals.columns)}"
        )
    if hasattr(intervals, "start") and hasattr(intervals, "end"):  # a pynapple IntervalSet
        extra = getattr(intervals, "metadata", None)
        starts, stops = np.asarray(intervals.start), np.asarray(intervals.end)
        extra = extra if isinstance(extra, pd.DataFrame) else pd.DataFrame(index=range(len(starts)))
        return starts, stops, extra.reset_index(drop=True), pd.RangeIndex(len(starts))
    values, _ = _as_seconds("intervals", intervals)
    if values.ndim != 2 or values.shape[1] != 2:
        raise ValueError(
            f"intervals must have shape (n_trials, 2) of (start, stop) in s, got {values.shape}"
        )
    n = values.shape[0]
    return values[:, 0], values[:, 1], pd.DataFrame(index=range(n)), pd.RangeIndex(n)


def _intervals(intervals: Any) -> tuple[pd.DataFrame, np.ndarray, np.ndarray, np.ndarray]:
    starts, stops, extra, index = _interval_table(intervals)
    starts = check_finite_array("intervals start", _as_seconds("intervals", starts)[0], ndim=1)
    stops = check_finite_array("intervals stop", _as_seconds("intervals", stops)[0], ndim=1)
    if np.any(stops <= starts):
        bad = int(np.argmax(stops <= starts))
        raise ValueError(
            f"intervals must have stop > start, got ({starts[bad]}, {stops[bad]}) at row {bad}"
        )
    info = pd.DataFrame({"start_time": starts, "stop_time": stops}, index=pd.Index(index))
    for column in extra.columns:
        info[column] = extra[column].to_numpy()
    info.index.name = "trial"
    return info, starts, np.zeros(starts.size), stops - starts


def _cut(times: np.ndarray, anchor: np.ndarray, lo: np.ndarray, hi: np.ndarray):
    """Positions of the spikes (into the sorted ``times``) in each window, their window, and
    their time relative to its anchor; windows ``[anchor + lo, anchor + hi)``.

    Membership is decided on relative time with the convention of
    :func:`~neuromop.data.bin_spikes`: a spike within ``1e-9`` window lengths below an edge
    counts as on it, so that times and events recorded in whole ms land where exact arithmetic
    puts them."""
    tol = _EDGE_TOL * (hi - lo)
    slack = tol + 8 * np.finfo(float).eps * (np.abs(anchor) + np.abs(lo) + np.abs(hi))
    first = np.searchsorted(times, anchor + lo - tol - slack, side="left")
    last = np.searchsorted(times, anchor + hi + slack, side="left")
    lengths = np.maximum(last - first, 0)
    window = np.repeat(np.arange(anchor.size), lengths)
    offsets = np.cumsum(lengths) - lengths
    position = np.arange(lengths.sum()) - np.repeat(offsets - first, lengths)
    rel = times[position] - anchor[window]
    shifted = rel + tol[window]
    keep = (shifted >= lo[window]) & (shifted < hi[window])
    return position[keep], window[keep], rel[keep]


def cut_trials(
    table_or_times: SpikeTable | Any,
    *,
    neurons: Any = None,
    events: Any = None,
    intervals: Any = None,
    window: tuple[float, float] | None = None,
) -> SpikeTable:
    """Cut a continuous session into trials aligned to event times or between intervals.

    Parameters
    ----------
    table_or_times : SpikeTable or array_like of float
        The session: a table holding a single trial (session time in s), or the spike times
        (s; a ``quantities`` array is rescaled to s) with their labels in ``neurons``.
    neurons : array_like, optional
        Neuron label of each spike when ``table_or_times`` holds times (default: all ``0``).
    events : array_like of float or pandas.Series, optional
        Event times (s, session clock), one trial each, in order; a Series supplies the trial
        labels (its index) and the name of the event column. Needs ``window``.
    intervals : array_like (n_trials, 2), pandas.DataFrame or pynapple.IntervalSet, optional
        ``(start, stop)`` of each trial (s, session clock). A DataFrame has columns
        ``start_time``/``stop_time`` (or ``start``/``end``), its index labels the trials and its
        other columns become trial metadata, as do an ``IntervalSet``'s metadata.
    window : (float, float), optional
        ``(start, stop)`` in s relative to each event (with ``events`` only).

    Returns
    -------
    SpikeTable
        One trial per event/interval (default labels ``0 … n-1``); spike ``time`` in s relative
        to the event, or to the interval's start; ``trial_info`` holds ``start_time`` and
        ``stop_time`` (session clock, s) — plus the event time (column ``event_time`` or the
        Series' name) — and any interval metadata; ``neuron_info`` and ``attrs`` of the session
        are kept. ``attrs['n_spikes_outside']`` counts the session's spikes inside no trial
        (never dropped silently), ``attrs['n_spikes_session']`` all of them.

    Raises
    ------
    ValueError
        If both or neither of ``events``/``intervals`` are given, ``window`` is missing for
        events (or given for intervals), an interval has ``stop <= start``, or the table holds
        more than one trial.

    Notes
    -----
    Windows are half-open ``[start, stop)`` as the bins of :func:`~neuromop.data.bin_spikes`.
    A spike inside several (overlapping) windows appears once in each. Cost
    O(n_spikes log n_spikes + n_trials log n_spikes + n_output).
    """
    if (events is None) == (intervals is None):
        raise ValueError("give exactly one of events (with window) or intervals, got "
                         f"events={'None' if events is None else '…'}, "
                         f"intervals={'None' if intervals is None else '…'}")
    if intervals is not None and window is not None:
        raise ValueError("window applies to events only: the intervals give each trial's "
                         f"bounds (got window={window!r})")
    session = _session(table_or_times, neurons)
    if events is not None:
        window = _window(window)
        info, anchor, lo, hi = _events(events, window)
    else:
        info, anchor, lo, hi = _intervals(intervals)
    if not info.index.is_unique:
        raise ValueError(f"trial labels must be unique, got duplicates "
                         f"{info.index[info.index.duplicated()][:5].tolist()}")
    frame = session.data
    order = np.argsort(frame["time"].to_numpy(), kind="stable")
    times = frame["time"].to_numpy()[order]
    position, trial, rel = _cut(times, anchor, lo, hi)
    n_inside = int(np.count_nonzero(np.bincount(position, minlength=times.size)))
    attrs = dict(session.attrs)
    attrs.update(
        n_spikes_outside=int(times.size - n_inside),
        n_spikes_session=int(times.size),
        trials_from="events" if events is not None else "intervals",
        **provenance("neuromop.data.cut_trials", n_trials=len(info), window=window),
    )
    if window is not None:
        attrs["window"] = list(window)
    return SpikeTable.from_arrays(
        rel, frame["neuron"].to_numpy()[order][position], info.index.to_numpy()[trial],
        neuron_info=session.neuron_info, trial_info=info, attrs=attrs, time_unit="s",
    )
