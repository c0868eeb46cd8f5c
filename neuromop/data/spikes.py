"""Raw spikes as one flat table, and their vectorised binning into trial-aligned counts.

A :class:`SpikeTable` holds every spike of a recording as one row of a ``pandas.DataFrame`` with
columns ``time`` (s, float), ``neuron`` and ``trial`` — never one Python object per spike train —
plus optional per-neuron and per-trial metadata tables indexed by the neuron / trial labels.
:func:`bin_spikes` turns it into the binned contract ``(trial, time, neuron)`` with
``np.bincount`` on a flat index (no Python loop over neurons, trials or spikes).

Units are never assumed silently: :meth:`SpikeTable.from_arrays` converts ``quantities`` arrays
(``neo.SpikeTrain`` included) to seconds and warns when plain numbers look like milliseconds;
:func:`bin_spikes` counts the spikes falling outside its window and says so.
"""

from __future__ import annotations

import warnings
from collections.abc import Hashable, Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd
import xarray as xr

from neuromop._checks import as_array, check_real
from neuromop._provenance import provenance
from neuromop.data.binning import _EDGE_TOL, bin_edges, bin_positions, label_positions
from neuromop.data.schema import ValidationError, activity_variable, validate

__all__ = ["SpikeTable", "bin_edges", "bin_spikes", "sliding_window_counts"]

_TIME_UNITS = {"s": 1.0, "ms": 1e-3, "us": 1e-6}  # seconds per unit of plain-number times
# plain-number times look like ms when their pooled median inter-spike interval exceeds
# _MS_ISI s (checked on the earliest _MS_SAMPLE spikes), one trial spans more than _MS_SPAN s
# (~28 h), or _MS_RATIO times the duration its trial_info declares
_MS_ISI, _MS_SPAN, _MS_RATIO, _MS_SAMPLE = 1.0, 1e5, 100.0, 200_000


class SpikeTable:
    """A validated flat table of spikes with optional neuron and trial metadata.

    Parameters
    ----------
    spikes : pandas.DataFrame
        One row per spike with columns ``time`` (s; on the trial's clock — e.g. from trial start,
        or session time when trials are epochs of one session), ``neuron`` and ``trial`` (any
        hashable labels). Extra columns are kept.
    neuron_info : pandas.DataFrame, optional
        Per-neuron metadata indexed by neuron label (area, quality …). Neurons listed here but
        without spikes are kept (their counts are zero). Default: the neurons seen in ``spikes``.
    trial_info : pandas.DataFrame, optional
        Per-trial metadata indexed by trial label (condition, event times in s …). Default: the
        trials seen in ``spikes``.
    attrs : mapping, optional
        Free-form metadata (``source``, ``session`` …) carried into binned datasets.

    Raises
    ------
    TypeError
        If ``spikes`` is not a DataFrame.
    neuromop.data.ValidationError
        If a column is missing, times are not finite floats, labels are missing, or spikes refer
        to neurons/trials absent from the metadata tables.
    """

    def __init__(
        self,
        spikes: pd.DataFrame,
        *,
        neuron_info: pd.DataFrame | None = None,
        trial_info: pd.DataFrame | None = None,
        attrs: Mapping[str, Any] | None = None,
    ):
        if not isinstance(spikes, pd.DataFrame):
            raise TypeError(f"spikes must be a pandas.DataFrame, got {type(spikes).__name__}")
        frame = spikes.reset_index(drop=True)
        if "time" in frame.columns and frame["time"].dtype.kind in "iu":
            frame = frame.assign(time=frame["time"].astype(np.float64))
        self._data = frame
        self._neuron_info = _info_table("neuron_info", neuron_info, frame, "neuron")
        self._trial_info = _info_table("trial_info", trial_info, frame, "trial")
        self.attrs = dict(attrs or {})
        validate(self, kind="spikes")

    # ------------------------------------------------------------------ constructors
    @classmethod
    def from_arrays(
        cls,
        times: Any,
        neurons: Any,
        trials: Any = None,
        *,
        neuron_info: pd.DataFrame | None = None,
        trial_info: pd.DataFrame | None = None,
        attrs: Mapping[str, Any] | None = None,
        time_unit: str | None = None,
    ) -> SpikeTable:
        """Build a table from parallel 1-D arrays.

        Parameters
        ----------
        times : array_like of float or quantities.Quantity, shape (n_spikes,)
            Spike times. A ``quantities`` array (a ``neo.SpikeTrain`` included) is rescaled to
            seconds from its own unit; plain numbers are in ``time_unit``.
        neurons : array_like, shape (n_spikes,)
            Neuron label of each spike.
        trials : array_like, shape (n_spikes,), optional
            Trial label of each spike; default: every spike in trial ``0``.
        neuron_info, trial_info, attrs
            As for :class:`SpikeTable`.
        time_unit : {"s", "ms", "us"}, optional
            Unit of plain-number ``times`` (ignored for quantities, which carry their own).
            Default: seconds, with a ``UserWarning`` when the times look like milliseconds
            (pooled median inter-spike interval > 1 s, a trial spanning > 1e5 s, or more than
            100 times the duration its ``trial_info`` ``start_time``/``stop_time`` declare).
            Passing ``"s"`` declares seconds and skips that check.

        Raises
        ------
        ValueError
            If the arrays differ in shape, ``times`` is a quantity of no time unit, or
            ``time_unit`` is unknown.
        """
        if time_unit is not None and not (isinstance(time_unit, str) and time_unit in _TIME_UNITS):
            raise ValueError(f"time_unit must be one of {list(_TIME_UNITS)}, got {time_unit!r}")
        times, has_units = _as_seconds("times", times, time_unit)
        if times.ndim != 1:
            raise ValueError(f"times must be 1-dimensional, got shape {times.shape}")
        neurons = as_array("neurons", neurons)
        if neurons.shape != times.shape:
            raise ValueError(
                f"neurons must have the shape of times {times.shape}, got {neurons.shape}"
            )
        if trials is None:
            trials = np.zeros(times.shape, dtype=np.int64)
        trials = as_array("trials", trials)
        if trials.shape != times.shape:
            raise ValueError(
                f"trials must have the shape of times {times.shape}, got {trials.shape}"
            )
        frame = pd.DataFrame({"time": times, "neuron": neurons, "trial": trials})
        table = cls(frame, neuron_info=neuron_info, trial_info=trial_info, attrs=attrs)
        reason = None if has_units or time_unit is not None else _ms_suspicion(table)
        if reason is not None:
            warnings.warn(f"spike times look like milliseconds, not seconds: {reason}. Pass "
                          "time_unit='ms' (or times / 1000, or a quantities array such as times "
                          "* pq.ms); pass time_unit='s' to declare seconds and silence this "
                          "warning", UserWarning, stacklevel=2)
        return table

    # ------------------------------------------------------------------ accessors
    @property
    def data(self) -> pd.DataFrame:
        """The spikes, one row each (columns ``time``, ``neuron``, ``trial`` …)."""
        return self._data

    def to_dataframe(self) -> pd.DataFrame:
        """A copy of the spike table as a DataFrame (columns ``time`` (s), ``neuron``,
        ``trial``), as pandas-style tools expect."""
        return self._data.copy()

    @property
    def neuron_info(self) -> pd.DataFrame:
        """Per-neuron metadata indexed by neuron label."""
        return self._neuron_info

    @property
    def trial_info(self) -> pd.DataFrame:
        """Per-trial metadata indexed by trial label."""
        return self._trial_info

    @property
    def neurons(self) -> pd.Index:
        """All neuron labels (including neurons without spikes)."""
        return self._neuron_info.index

    @property
    def trials(self) -> pd.Index:
        """All trial labels (including trials without spikes)."""
        return self._trial_info.index

    @property
    def n_spikes(self) -> int:
        """Number of spikes."""
        return len(self._data)

    def __len__(self) -> int:
        return len(self._data)

    def __repr__(self) -> str:
        return (
            f"<SpikeTable: {self.n_spikes} spikes, {len(self.neurons)} neurons, "
            f"{len(self.trials)} trials; source={self.attrs.get('source', '?')!r}>"
        )

    def select(
        self, *, neurons: Sequence | None = None, trials: Sequence | None = None
    ) -> SpikeTable:
        """Return the sub-table of the given neuron and/or trial labels (in that order)."""
        neuron_index = _selection("neurons", neurons, self.neurons)
        trial_index = _selection("trials", trials, self.trials)
        keep = np.asarray(self._data["neuron"].isin(neuron_index)) & np.asarray(
            self._data["trial"].isin(trial_index)
        )
        return SpikeTable(
            self._data.loc[keep],
            neuron_info=self._neuron_info.loc[neuron_index],
            trial_info=self._trial_info.loc[trial_index],
            attrs=self.attrs,
        )


def _as_seconds(name: str, value: Any, time_unit: str | None = None) -> tuple[np.ndarray, bool]:
    """``value`` as float seconds, and whether it carried its own unit (a ``quantities`` array,
    or a list of quantities) that was rescaled; plain numbers are in ``time_unit`` (default s)."""
    rescale = getattr(value, "rescale", None)
    if not callable(rescale) and isinstance(value, list | tuple) and len(value) and callable(
            getattr(value[0], "rescale", None)):
        return np.array([_as_seconds(name, v)[0] for v in value], dtype=np.float64), True
    if callable(rescale) and hasattr(value, "dimensionality"):
        try:
            seconds = rescale("s")
        except ValueError as exc:
            raise ValueError(f"{name} must be times (a quantity convertible to s), got units "
                             f"{value.dimensionality}") from exc
        return np.asarray(getattr(seconds, "magnitude", seconds), dtype=np.float64), True
    try:
        arr = np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise TypeError(f"{name} must be array-like of numbers (s), got {type(value)}") from exc
    if time_unit not in (None, "s"):
        arr = arr * _TIME_UNITS[time_unit]
    return arr, False


def _ms_suspicion(table: SpikeTable) -> str | None:
    """Why the plain-number spike times of ``table`` look like milliseconds, or ``None``."""
    frame = table.data
    time = frame["time"].to_numpy()
    if time.size < 3:
        return None
    with np.errstate(all="ignore"):
        reason = _span_suspicion(frame, time, table.trial_info)
        if reason is not None:
            return reason
        sample = (slice(None) if time.size <= _MS_SAMPLE  # the earliest: a prefix of each train
                  else time <= np.partition(time, _MS_SAMPLE)[_MS_SAMPLE])
        trial = pd.factorize(frame["trial"].to_numpy()[sample])[0].astype(np.int64)
        neuron = pd.factorize(frame["neuron"].to_numpy()[sample])[0]
        train, time = trial * (int(neuron.max()) + 1) + neuron, time[sample]
        order = np.lexsort((time, train))
        intervals = np.diff(time[order])[np.diff(train[order]) == 0]
        if intervals.size >= 20 and np.median(intervals) > _MS_ISI:
            return f"their median inter-spike interval is {np.median(intervals):.4g} s"
    return None


def _span_suspicion(frame: pd.DataFrame, time: np.ndarray, info: pd.DataFrame) -> str | None:
    declared = None
    if {"start_time", "stop_time"} <= set(info.columns):
        declared = (pd.to_numeric(info["stop_time"], errors="coerce")
                    - pd.to_numeric(info["start_time"], errors="coerce"))
        declared = declared.where(declared > 0)
    limit = _MS_SPAN
    if declared is not None and declared.notna().any():
        limit = min(limit, _MS_RATIO * float(declared.min()))
    if not time.max() - time.min() > limit:  # no trial can span more than all spikes
        return None
    trial, labels = pd.factorize(frame["trial"])
    by_trial = pd.Series(time).groupby(trial)
    span = (by_trial.max() - by_trial.min()).reindex(range(len(labels))).to_numpy()
    if declared is not None:
        ratio = span / declared.reindex(labels).to_numpy(dtype=float)
        if np.nanmax(ratio, initial=0.0) > _MS_RATIO:
            k = int(np.nanargmax(ratio))
            return (f"trial {labels[k:k + 1].tolist()[0]!r} spans {span[k]:.4g} but its "
                    f"trial_info start_time..stop_time lasts {span[k] / ratio[k]:.4g} s")
    if span.max() > _MS_SPAN:
        return f"one trial spans {span.max():.4g} s (more than a day)"
    return None


def _info_table(name: str, table, frame: pd.DataFrame, column: str) -> pd.DataFrame:
    if table is None:
        labels = frame[column].unique() if column in frame.columns else []
        try:
            labels = np.sort(labels)
        except TypeError:  # mixed label types: keep first-seen order
            pass
        return pd.DataFrame(index=pd.Index(labels, name=column))
    if not isinstance(table, pd.DataFrame):
        raise TypeError(f"{name} must be a pandas.DataFrame indexed by {column}, got {type(table)}")
    table = table.copy()
    table.index.name = column
    return table


def _selection(name: str, labels, available: pd.Index) -> pd.Index:
    if labels is None:
        return available
    labels = [labels] if isinstance(labels, str) or np.ndim(labels) == 0 else list(labels)
    unhashable = [lab for lab in labels if not isinstance(lab, Hashable)]
    if unhashable:
        raise TypeError(f"{name} must list labels (str or numbers), got {unhashable[0]!r}")
    index = pd.Index(labels)
    missing = index.difference(available)
    if len(missing):
        raise ValueError(f"{name} contains unknown label(s) {missing[:5].tolist()}")
    if not index.is_unique:
        raise ValueError(f"{name} must not repeat labels, got {index[index.duplicated()].tolist()}")
    return index


def _align_times(align, spikes: SpikeTable, trial_index: pd.Index) -> tuple[np.ndarray, str]:
    n = len(trial_index)
    if align is None:
        return np.zeros(n), "none (spike times as recorded)"
    if isinstance(align, str):
        if align not in spikes.trial_info.columns:
            raise ValueError(
                f"align={align!r} is not a column of the trial table "
                f"(columns: {list(spikes.trial_info.columns)})"
            )
        values, label = spikes.trial_info[align].reindex(trial_index), align
    elif isinstance(align, pd.Series):
        missing = trial_index.difference(align.index)
        if len(missing):
            raise ValueError(f"align has no time for trial(s) {missing[:5].tolist()}")
        values, label = align.reindex(trial_index), str(align.name or "event times")
    else:
        values, label = np.asarray(align), "event times"
        if values.shape != (n,):
            raise ValueError(
                f"align must hold one event time per selected trial, shape ({n},), "
                f"got shape {values.shape}"
            )
    try:
        times = np.asarray(values, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise TypeError(f"align must hold event times in seconds, got {values!r}") from exc
    bad = ~np.isfinite(times)
    if bad.any():
        raise ValueError(
            f"align has no finite event time for trial(s) {trial_index[bad][:5].tolist()} "
            "— select the trials that have the event"
        )
    return times, label


def _metadata_coords(table: pd.DataFrame, dim: str) -> dict[str, tuple]:
    coords = {}
    for column in table.columns:
        name = str(column)
        if name in ("trial", "time", "neuron", "counts", "rate", "activity"):
            name = f"{dim}_{name}"
        values = table[column].to_numpy()
        if values.dtype.kind == "O" or isinstance(table[column].dtype, pd.StringDtype):
            values = np.asarray(table[column].astype(object).to_numpy(), dtype=object)
        coords[name] = (dim, values)
    return coords


def bin_spikes(
    spikes: SpikeTable,
    *,
    bin_width: float,
    window: tuple[float, float] | None = None,
    align: None | str | pd.Series | Sequence[float] | np.ndarray = None,
    neurons: Sequence | None = None,
    trials: Sequence | None = None,
    warn_outside: bool = True,
) -> xr.Dataset:
    """Count spikes in equal bins, per trial and neuron, aligned to an event.

    Parameters
    ----------
    spikes : SpikeTable
        The spikes.
    bin_width : float
        Bin width in seconds.
    window : (float, float), optional
        ``(start, stop)`` in seconds relative to the alignment event; must be a whole number of
        bins. Default: the bins (starting at a multiple of ``bin_width``) covering every spike.
    align : None, str, pandas.Series or array_like, optional
        Event time (s, on the spikes' clock) subtracted per trial: ``None`` (no alignment), the
        name of a ``trial_info`` column, a Series indexed by trial label, or one time per
        selected trial in order.
    neurons, trials : sequence, optional
        Labels to keep, in output order (default: all, in table order).
    warn_outside : bool, default True
        Warn (``UserWarning``) when spikes of the selected trials and neurons fall outside the
        window; pass ``False`` when leaving them out is intended (a peri-event window). They are
        counted in ``attrs['n_spikes_outside']`` either way.

    Returns
    -------
    xarray.Dataset
        Variable ``counts`` (int64) with dims ``(trial, time, neuron)``; ``time`` = bin centres in
        seconds relative to the event; trial/neuron metadata as coordinates; attrs ``units``,
        ``bin_width``, ``window``, ``align``, ``source``, ``n_spikes_binned``,
        ``n_spikes_outside`` and provenance (a table's own ``n_spikes_outside``, the spikes
        :func:`~neuromop.data.cut_trials` left out, becomes ``n_spikes_outside_trials``).

    Notes
    -----
    Bins are half-open ``[e_i, e_{i+1})`` with ``e = window[0] + bin_width * arange(n + 1)``;
    spikes outside the window are not counted, but their number is reported. A spike less
    than ``1e-9 * bin_width`` below an edge counts in the upper bin, so that times recorded in
    whole ms (or any decimal unit) fall where exact arithmetic puts them despite float rounding.
    Cost O(n_spikes + n_trials·n_bins·n_neurons).
    """
    if not isinstance(spikes, SpikeTable):
        raise TypeError(f"spikes must be a SpikeTable, got {type(spikes).__name__}")
    if not isinstance(warn_outside, bool | np.bool_):
        raise TypeError(f"warn_outside must be True or False, got {warn_outside!r}")
    bin_width = check_real("bin_width", bin_width, low=0.0, low_inclusive=False)
    neuron_index = _selection("neurons", neurons, spikes.neurons)
    trial_index = _selection("trials", trials, spikes.trials)
    if len(neuron_index) == 0 or len(trial_index) == 0:
        raise ValueError("no neurons or no trials selected: nothing to bin")
    event, align_label = _align_times(align, spikes, trial_index)

    frame = spikes.data
    neuron_idx = label_positions(frame["neuron"], neuron_index)
    trial_idx = label_positions(frame["trial"], trial_index)
    rel = frame["time"].to_numpy()
    if rel.size and min(neuron_idx.min(), trial_idx.min()) < 0:  # spikes of unselected labels
        keep = (neuron_idx >= 0) & (trial_idx >= 0)
        neuron_idx, trial_idx, rel = neuron_idx[keep], trial_idx[keep], rel[keep]
    if align is not None:
        rel = rel - event[trial_idx]

    if window is None:
        if rel.size == 0:
            raise ValueError("window is required when the selection holds no spikes")
        t0 = np.floor(rel.min() / bin_width) * bin_width
        n_cover = int(np.floor((rel.max() + _EDGE_TOL * bin_width - t0) / bin_width)) + 1
        window = (float(t0), float(t0 + n_cover * bin_width))
    edges = bin_edges(window, bin_width)
    n_bins, n_neurons, n_trials = edges.size - 1, len(neuron_index), len(trial_index)
    # a spike within 1e-9 bin widths below an edge belongs to the upper bin: times recorded in
    # decimal units (e.g. whole ms) land exactly on edges, and float rounding must not move them
    bins = bin_positions(rel, edges, _EDGE_TOL * bin_width)
    inside = bins.view(np.uint64) < n_bins  # 0 <= bin < n_bins (-1 wraps to a huge number)
    n_inside = int(np.count_nonzero(inside))
    n_outside = int(inside.size - n_inside)
    flat = trial_idx * n_bins  # one flat (trial, bin, neuron) index, in place
    flat += bins
    flat *= n_neurons
    flat += neuron_idx
    counts = np.bincount(flat if n_outside == 0 else flat[inside],
                         minlength=n_trials * n_bins * n_neurons)
    counts = counts.astype(np.int64, copy=False).reshape(n_trials, n_bins, n_neurons)
    if n_outside and warn_outside:
        _warn_outside(n_outside, rel, (float(edges[0]), float(edges[-1])), align_label)

    coords: dict[str, Any] = {
        "trial": ("trial", trial_index.to_numpy()),
        "time": ("time", edges[:-1] + bin_width / 2, {"units": "s"}),
        "neuron": ("neuron", neuron_index.to_numpy()),
    }
    for info, index, dim in ((spikes.trial_info, trial_index, "trial"),
                             (spikes.neuron_info, neuron_index, "neuron")):
        if len(info.columns):
            coords.update(_metadata_coords(info.loc[index], dim))
    window = (float(edges[0]), float(edges[-1]))
    attrs = {k: v for k, v in spikes.attrs.items() if k not in ("units",)}
    if "n_spikes_outside" in attrs:  # the spikes cut_trials left out of every trial
        attrs["n_spikes_outside_trials"] = attrs.pop("n_spikes_outside")
    attrs.setdefault("source", "spike table")
    attrs.update(
        units="spikes",
        bin_width=bin_width,
        window=list(window),
        align=align_label,
        n_spikes_binned=n_inside,
        n_spikes_outside=n_outside,
        **provenance(
            "neuromop.data.bin_spikes", bin_width=bin_width, window=window, align=align_label,
            n_spikes_binned=n_inside, n_spikes_outside=n_outside,
        ),
    )
    return xr.Dataset({"counts": (("trial", "time", "neuron"), counts)}, coords=coords, attrs=attrs)


def _warn_outside(n_outside: int, rel: np.ndarray, window: tuple[float, float],
                  align: str) -> None:
    far = np.median(np.abs(rel)) > 100 * max(window[1] - window[0], *np.abs(window))
    hint = " Most spikes lie over 100 windows away: are the spike times in ms?" if far else ""
    warnings.warn(
        f"{n_outside} of {rel.size} spikes of the selected trials and neurons fall outside the "
        f"binning window [{window[0]:.6g}, {window[1]:.6g}) s (relative to align: {align}) and "
        "are not counted (attrs['n_spikes_outside']); widen the window, or pass "
        f"warn_outside=False when leaving them out is intended.{hint}",
        UserWarning,
        stacklevel=3,
    )


def sliding_window_counts(
    data: xr.Dataset | xr.DataArray, *, window: float, step: float | None = None
) -> xr.Dataset:
    """Spike counts summed over sliding windows of whole bins.

    Parameters
    ----------
    data : xarray.Dataset or xarray.DataArray
        Binned counts following the contract (``attrs['bin_width']`` required). Works lazily on
        dask-backed data.
    window : float
        Counting window in seconds (a whole number of bins).
    step : float, optional
        Shift between successive windows in seconds (a whole number of bins); default one bin.

    Returns
    -------
    xarray.Dataset
        ``counts`` with dims ``(trial, time, neuron)``; ``time`` = window centres (s); attrs
        ``bin_width`` = ``window``, ``step`` and ``window`` = span covered by the windows. A
        window holding a NaN bin (a missing count) is NaN.
    """
    var = activity_variable(data)
    if var.name != "counts":
        raise ValueError(f"data must hold spike 'counts', got variable {var.name!r}")
    if var.dtype.kind not in "biuf":
        raise ValueError(f"data['counts'] must hold numbers, got dtype {var.dtype}")
    attrs = dict(data.attrs or var.attrs)
    bin_width = attrs.get("bin_width")
    if bin_width is None:
        raise ValidationError(["missing attrs ['bin_width'] (seconds per bin)"])
    window = check_real("window", window, low=0.0, low_inclusive=False)
    step = bin_width if step is None else check_real("step", step, low=0.0, low_inclusive=False)
    w, s = window / bin_width, step / bin_width
    if abs(w - round(w)) > 1e-6 or abs(s - round(s)) > 1e-6 or round(w) < 1 or round(s) < 1:
        raise ValueError(
            f"window ({window} s) and step ({step} s) must be whole multiples of bin_width "
            f"({bin_width} s)"
        )
    w, s = int(round(w)), int(round(s))
    n_time = var.sizes["time"]
    s = min(s, n_time)  # a step beyond the data gives the first window only (as any long step)
    if w > n_time:
        raise ValueError(f"window spans {w} bins but data have only {n_time} time bins")
    starts = np.arange(0, n_time - w + 1, s)
    first = xr.DataArray((starts > 0).astype(var.dtype), dims="time")

    def window_sums(values):
        csum = values.cumsum("time")
        return (csum.isel(time=starts + w - 1).data
                - (csum.isel(time=np.maximum(starts - 1, 0)) * first).data)

    upper = var.isel(time=starts + w - 1)
    if var.dtype.kind == "f":
        # a window holding a NaN bin is NaN, never a sum that skipped it; other windows keep
        # their sums (NaN bins count as 0 in the running sums, then their windows are masked)
        missing = window_sums(var.isnull().astype(np.int64)) > 0
        sums = window_sums(var.fillna(0))
        out = upper.copy(data=sums).where(~upper.copy(data=missing))
    else:
        out = upper.copy(data=window_sums(var))
    centres = var["time"].values[starts] - bin_width / 2 + window / 2
    out = out.assign_coords(time=("time", centres, {"units": "s"}))
    first_edge = float(var["time"].values[0] - bin_width / 2)
    attrs.update(
        bin_width=window,
        step=step,
        window=[
            float(first_edge + starts[0] * bin_width),
            float(first_edge + starts[-1] * bin_width + window),
        ],
        **provenance("neuromop.data.sliding_window_counts", window=window, step=step),
    )
    return out.rename("counts").to_dataset().assign_attrs(attrs)
