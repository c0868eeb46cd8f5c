"""A user's own trial table plus spike times -> trial-aligned counts in the neuromop schema.

The contract: one row per trial, a column with the time of the alignment event on the session
clock (s), and any behavioural columns (choices, outcomes, transitions, stimuli ...); spikes as
times (s, same clock) and neuron labels. :func:`load_trial_table` assigns every spike to the
trials whose window holds it (:func:`~neuromop.data.cut_trials`), bins them
(:func:`~neuromop.data.bin_spikes`) and carries the table's columns as trial coordinates, so the
result goes straight into :func:`~neuromop.values.compare_value_encodings` (as ``ds`` and as
``behaviour``) and into ``neuromop analyze``.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import xarray as xr

from neuromop._checks import as_array, check_finite_array
from neuromop._provenance import provenance
from neuromop.data.schema import validate
from neuromop.data.spikes import bin_edges, bin_spikes
from neuromop.data.trials import cut_trials

__all__ = ["load_trial_table"]


def _columns(trials: pd.DataFrame, event: str) -> dict[str, np.ndarray]:
    """The behavioural columns as trial coordinates (numbers, booleans or text)."""
    out = {}
    for name in trials.columns:
        if name == event:
            continue
        col = trials[name]
        if pd.api.types.is_bool_dtype(col) or pd.api.types.is_numeric_dtype(col):
            out[str(name)] = col.to_numpy()
        elif pd.api.types.is_string_dtype(col) or pd.api.types.is_object_dtype(col):
            values = col.to_numpy()
            if not all(isinstance(v, str) for v in values):
                raise TypeError(f"trials column {name!r} must hold numbers, booleans or text, "
                                f"got {sorted({type(v).__name__ for v in values})}")
            out[str(name)] = values.astype(str)
        else:
            raise TypeError(f"trials column {name!r} must hold numbers, booleans or text, got "
                            f"dtype {col.dtype}")
    return out


def load_trial_table(
    trials: pd.DataFrame,
    spike_times: Any,
    spike_neurons: Any = None,
    *,
    event: str,
    window: tuple[float, float],
    bin_width: float,
    session: str | None = None,
) -> xr.Dataset:
    """Trial-aligned spike counts of one session from a trial table and spike times.

    Parameters
    ----------
    trials : pandas.DataFrame
        One row per trial, index = trial labels (unique). Column ``event`` holds the alignment
        time of each trial (s, session clock, finite); every other column (choices, outcomes,
        transitions, stimuli ...; numbers, booleans or text) becomes a trial coordinate.
    spike_times : array_like of float
        Spike times (s, session clock; a ``quantities`` array is rescaled to s).
    spike_neurons : array_like, optional
        Neuron label of each spike (default: one neuron, ``0``).
    event : str
        Name of the alignment column of ``trials``.
    window : (float, float)
        Counting window (s) relative to the event, a whole number of ``bin_width``.
    bin_width : float
        Bin width (s).
    session : str, optional
        Session label, kept as the trial coordinate ``session`` and in ``attrs``.

    Returns
    -------
    xarray.Dataset
        ``counts`` (trial, time, neuron), int64, passing :func:`~neuromop.data.validate`; trial
        coordinates: the table's columns (the column ``event`` too: s, session clock),
        ``start_time`` and ``stop_time`` of each window (s, session clock) and ``session``;
        ``time`` = bin centres (s) relative to the event; ``attrs``: ``bin_width``, ``window``,
        ``align`` (= ``event``), ``n_spikes_outside_trials`` (spikes in no window) and
        provenance.

    Raises
    ------
    TypeError
        If ``trials`` is not a DataFrame or a column holds something else than numbers,
        booleans or text.
    ValueError
        If ``event`` is not a column, an event time is missing (NaN: drop those trials first),
        trial labels repeat, or the window is not a whole number of bins.

    Notes
    -----
    Windows are half-open ``[start, stop)``; a spike inside the windows of two overlapping
    trials counts in both.
    """
    if not isinstance(trials, pd.DataFrame):
        raise TypeError(f"trials must be a pandas DataFrame (one row per trial), got "
                        f"{type(trials).__name__}")
    if not isinstance(event, str) or event not in trials.columns:
        raise ValueError(f"event must name a column of trials holding the alignment time (s), "
                         f"got {event!r}; columns are {list(trials.columns)}")
    if len(trials) == 0:
        raise ValueError("trials has no rows (one row per trial expected)")
    times = pd.to_numeric(trials[event], errors="coerce").to_numpy(float)
    missing = np.flatnonzero(~np.isfinite(times))
    if missing.size:
        raise ValueError(f"trials[{event!r}] must hold a finite time (s) for every trial; "
                         f"rows {trials.index[missing][:5].tolist()} have none (drop those "
                         "trials first)")
    if session is not None and not isinstance(session, str):
        raise TypeError(f"session must be a str label, got {type(session).__name__}")
    if not hasattr(spike_times, "rescale"):  # a quantities array is rescaled by cut_trials
        spike_times = check_finite_array("spike_times", spike_times, ndim=1, allow_empty=True)
        if spike_times.size == 0:
            raise ValueError("spike_times holds no spike: no neuron to count")
    if spike_neurons is not None:
        spike_neurons = as_array("spike_neurons", spike_neurons)
        if spike_neurons.shape != np.shape(spike_times):
            raise ValueError(f"spike_neurons must have one label per spike, shape "
                             f"{np.shape(spike_times)}, got {spike_neurons.shape}")
    edges = bin_edges(window, bin_width)  # checked before the spikes are cut
    window = (float(edges[0]), float(edges[-1]))
    coords = _columns(trials, event)
    table = cut_trials(spike_times, neurons=spike_neurons,
                       events=pd.Series(times, index=trials.index, name=event), window=window)
    ds = bin_spikes(table, bin_width=bin_width, window=window, warn_outside=False)
    ds = ds.assign_coords({name: ("trial", values) for name, values in coords.items()})
    if session is not None:
        ds = ds.assign_coords(session=("trial", np.full(ds.sizes["trial"], session)))
    ds.attrs.update(provenance("neuromop.data.load_trial_table", event=event,
                               window=list(window), bin_width=bin_width, session=session,
                               n_trials=int(ds.sizes["trial"])))
    ds.attrs["align"] = event
    if session is not None:
        ds.attrs["session"] = session
    validate(ds)
    return ds
