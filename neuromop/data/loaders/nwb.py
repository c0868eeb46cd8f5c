"""Neurodata Without Borders (NWB 2) files: units table → spike table, intervals → trials."""

from __future__ import annotations

import os
from collections.abc import Sequence

import numpy as np
import pandas as pd
import xarray as xr

from neuromop._checks import check_path, check_real
from neuromop._provenance import provenance
from neuromop.data.spikes import SpikeTable, bin_spikes

__all__ = ["load_nwb"]


def _column(table, name: str) -> np.ndarray:
    values = table[name].data[:]
    return np.asarray([str(v) for v in values] if np.asarray(values).dtype.kind in "OSU"
                      else values)


def _units(nwb) -> tuple[np.ndarray, np.ndarray, pd.DataFrame]:
    units = nwb.units
    if units is None or len(units) == 0:
        raise ValueError("the NWB file has no units table (no sorted spikes)")
    times = np.asarray(units["spike_times"].target.data[:], dtype=np.float64)
    ends = np.asarray(units["spike_times"].data[:], dtype=np.int64)
    counts = np.diff(np.concatenate([[0], ends]))
    ids = np.asarray(units.id.data[:])
    neuron = np.repeat(ids, counts)
    info = pd.DataFrame(index=pd.Index(ids, name="neuron"))
    for name in units.colnames:
        if name in ("spike_times", "obs_intervals", "waveform_mean", "waveform_sd",
                    "waveforms", "electrodes"):
            continue
        if name == "electrode_group":
            info[name] = [g.name for g in units[name].data[:]]
            continue
        try:
            values = _column(units, name)
        except (TypeError, ValueError, AttributeError):
            continue
        if values.ndim == 1 and values.size == ids.size:
            info[name] = values
    info["n_spikes"] = counts
    return times, neuron, info


def _intervals(nwb, epochs, intervals: str | None) -> tuple[pd.DataFrame, str]:
    if epochs is not None:
        table, label = nwb.epochs, "epochs"
        if table is None:
            raise ValueError("epochs were requested but the NWB file has no epochs table")
    elif intervals is not None:
        table = nwb.intervals.get(intervals) if nwb.intervals else None
        if intervals == "trials":
            table = nwb.trials
        if table is None:
            names = list(nwb.intervals) if nwb.intervals else []
            raise ValueError(f"no intervals table {intervals!r} in the file (tables: {names})")
        label = intervals
    elif nwb.trials is not None:
        table, label = nwb.trials, "trials"
    else:
        return pd.DataFrame(), "session"
    frame = table.to_dataframe()
    frame.index = pd.Index(np.asarray(frame.index), name="trial")
    if "tags" in frame.columns:
        frame["tags"] = ["|".join(map(str, t)) if not isinstance(t, str) else t
                         for t in frame["tags"]]
    frame = frame[[c for c in frame.columns
                   if frame[c].map(lambda x: np.ndim(x) == 0).all()]]
    if epochs is not None:
        wanted = [epochs] if isinstance(epochs, str) else list(epochs)
        if wanted != ["all"]:
            tags = frame["tags"].str.split("|") if "tags" in frame.columns else None
            if tags is None:
                raise ValueError("the epochs table has no tags to select from")
            keep = tags.map(lambda t: bool(set(t) & set(wanted)))
            if not keep.any():
                raise ValueError(
                    f"no epoch tagged {wanted}; tags present: {sorted(set(tags.sum()))}"
                )
            frame = frame.loc[keep.to_numpy()]
    return frame, label


def load_nwb(
    path: str | os.PathLike,
    *,
    bin_width: float | None = None,
    epochs: None | str | Sequence[str] = None,
    intervals: str | None = None,
    window: tuple[float, float] | None = None,
) -> SpikeTable | xr.Dataset:
    """Read the sorted units of an NWB file as a spike table, or as binned counts.

    Parameters
    ----------
    path : path-like
        An NWB 2 (HDF5) file.
    bin_width : float, optional
        When given, return counts binned at this width (s) from each trial's ``start_time``;
        otherwise return the :class:`SpikeTable`.
    epochs : None, str or sequence of str, optional
        Use the rows of the epochs table whose tags contain any of these (e.g. ``"wake"``), or
        ``"all"``, as trials.
    intervals : str, optional
        Name of another intervals table (``"trials"``, ``"sleep_ripples"`` …) to use as trials.
        Default (no ``epochs``): the trials table when present, else the whole session as one
        trial labelled ``0``.
    window : (float, float), optional
        Binning window relative to each trial start (s); default ``(0, shortest trial duration)``
        truncated to whole bins.

    Returns
    -------
    SpikeTable or xarray.Dataset
        Spike ``time`` is session time in seconds; trial metadata hold ``start_time``,
        ``stop_time`` and ``tags``; neuron metadata the units table's scalar columns plus
        ``n_spikes``. A spike lying in several (overlapping) intervals appears once per interval.
    """
    import pynwb

    path = check_path("path", path)
    if not path.is_file():
        raise FileNotFoundError(f"no NWB file at {path}")
    try:
        io = pynwb.NWBHDF5IO(str(path), "r")
    except (OSError, TypeError, ValueError) as exc:  # not HDF5, or HDF5 without NWB version
        raise ValueError(f"path {path} is not an NWB file ({exc})") from None
    with io:
        try:
            nwb = io.read()
        except (OSError, TypeError, ValueError, KeyError) as exc:  # HDF5 but not NWB
            raise ValueError(f"path {path} is not an NWB file ({exc})") from None
        times, neuron, neuron_info = _units(nwb)
        trial_info, label = _intervals(nwb, epochs, intervals)
        identifier = str(nwb.identifier)

    order = np.argsort(times, kind="stable")
    times, neuron = times[order], neuron[order]
    if trial_info.empty and label == "session":
        stop = float(times.max()) if times.size else 0.0
        trial_info = pd.DataFrame({"start_time": [0.0], "stop_time": [np.nextafter(stop, np.inf)],
                                   "tags": ["session"]}, index=pd.Index([0], name="trial"))
    start = trial_info["start_time"].to_numpy(dtype=float)
    stop = trial_info["stop_time"].to_numpy(dtype=float)
    lo, hi = np.searchsorted(times, start, "left"), np.searchsorted(times, stop, "left")
    lengths = np.maximum(hi - lo, 0)
    trial_pos = np.repeat(np.arange(len(trial_info)), lengths)
    spike_pos = np.arange(lengths.sum()) - np.repeat(np.cumsum(lengths) - lengths, lengths) \
        + np.repeat(lo, lengths)
    attrs = {"source": f"NWB file {path.name} (identifier {identifier})", "trials_from": label}
    table = SpikeTable.from_arrays(
        times[spike_pos], neuron[spike_pos], trial_info.index.to_numpy()[trial_pos],
        neuron_info=neuron_info, trial_info=trial_info, attrs=attrs,
    )
    if bin_width is None:
        return table
    bin_width = check_real("bin_width", bin_width, low=0.0, low_inclusive=False)
    if window is None:
        shortest = float(np.min(stop - start))
        n_bins = int(np.floor(shortest / bin_width + 1e-9))
        if n_bins < 1:
            raise ValueError(f"bin_width {bin_width} s exceeds the shortest trial ({shortest} s)")
        window = (0.0, n_bins * bin_width)
    ds = bin_spikes(table, bin_width=bin_width, window=window, align="start_time")
    ds.attrs.update(provenance("neuromop.data.load_nwb", path=str(path), bin_width=bin_width,
                               epochs=epochs, intervals=intervals, window=window))
    return ds
