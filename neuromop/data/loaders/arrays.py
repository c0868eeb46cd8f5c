"""Generic constructors of contract datasets from numpy arrays and pandas tables."""

from __future__ import annotations

from collections.abc import Hashable, Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd
import xarray as xr

from neuromop._checks import check_choice, check_real
from neuromop._provenance import provenance
from neuromop.data.schema import ACTIVITY_VARIABLES, validate

__all__ = ["from_arrays", "from_dataframe"]

_UNITS = {"counts": "spikes", "rate": "spikes/s", "activity": "a.u."}


def _coords_along(dim: str, size: int, coords, argname: str) -> dict[str, tuple]:
    if coords is None:
        return {}
    if isinstance(coords, pd.DataFrame):
        coords = {str(c): coords[c].to_numpy() for c in coords.columns}
    if not isinstance(coords, Mapping):
        raise TypeError(f"{argname} must be a mapping name -> array or a DataFrame, got {coords!r}")
    out = {}
    for name, values in coords.items():
        arr = np.asarray(values)
        if arr.shape != (size,):
            raise ValueError(
                f"{argname}[{name!r}] must have shape ({size},) (one value per {dim}), "
                f"got {arr.shape}"
            )
        if name in ("trial", "time", "neuron"):
            raise ValueError(f"{argname} must not redefine the dimension coordinate {name!r}")
        out[str(name)] = (dim, arr)
    return out


def from_arrays(
    values: Any,
    *,
    bin_width: float,
    time: Sequence[float] | np.ndarray | None = None,
    t_start: float = 0.0,
    variable: str | None = None,
    trials: Sequence | None = None,
    neurons: Sequence | None = None,
    trial_coords: Mapping[str, Any] | pd.DataFrame | None = None,
    neuron_coords: Mapping[str, Any] | pd.DataFrame | None = None,
    units: str | None = None,
    source: str = "arrays",
    attrs: Mapping[str, Any] | None = None,
) -> xr.Dataset:
    """Wrap a ``(trial, time, neuron)`` array as a validated contract dataset.

    Parameters
    ----------
    values : array_like, shape (n_trials, n_times, n_neurons)
        Spike counts (integers) or rates/activity (floats).
    bin_width : float
        Bin width in seconds.
    time : array_like of float, shape (n_times,), optional
        Bin centres in seconds. Default: ``t_start + bin_width * (arange(n_times) + 0.5)``.
    t_start : float
        Left edge of the first bin (s) when ``time`` is not given.
    variable : {"counts", "rate", "activity"}, optional
        Name of the variable; default ``"counts"`` for integer input, else ``"rate"``.
    trials, neurons : sequence, optional
        Labels (default ``0..n-1``).
    trial_coords, neuron_coords : mapping or DataFrame, optional
        Metadata: name -> one value per trial / neuron.
    units : str, optional
        Default ``"spikes"``, ``"spikes/s"`` or ``"a.u."`` by variable.
    source : str
        Where the data come from.
    attrs : mapping, optional
        Extra attributes.

    Returns
    -------
    xarray.Dataset

    Raises
    ------
    ValueError, TypeError
        Wrong shapes or names; :class:`~neuromop.data.ValidationError` when the result breaks the
        contract (negative or non-integer counts, NaN, irregular time …).
    """
    arr = np.asarray(values)
    if arr.ndim != 3:
        raise ValueError(
            f"values must be 3-dimensional (trial, time, neuron), got shape {arr.shape}"
        )
    bin_width = check_real("bin_width", bin_width, low=0.0, low_inclusive=False)
    if variable is None:
        variable = "counts" if arr.dtype.kind in "iu" else "rate"
    check_choice("variable", variable, ACTIVITY_VARIABLES)
    n_trials, n_times, n_neurons = arr.shape
    if time is None:
        t_start = check_real("t_start", t_start)
        time = t_start + bin_width * (np.arange(n_times) + 0.5)
    time = np.asarray(time, dtype=np.float64)
    if time.shape != (n_times,):
        raise ValueError(f"time must have shape ({n_times},), got {time.shape}")
    trials = np.arange(n_trials) if trials is None else np.asarray(trials)
    neurons = np.arange(n_neurons) if neurons is None else np.asarray(neurons)
    if trials.shape != (n_trials,):
        raise ValueError(f"trials must have shape ({n_trials},), got {trials.shape}")
    if neurons.shape != (n_neurons,):
        raise ValueError(f"neurons must have shape ({n_neurons},), got {neurons.shape}")
    coords: dict[str, Any] = {
        "trial": trials, "time": ("time", time, {"units": "s"}), "neuron": neurons,
    }
    coords.update(_coords_along("trial", n_trials, trial_coords, "trial_coords"))
    coords.update(_coords_along("neuron", n_neurons, neuron_coords, "neuron_coords"))
    if attrs is not None and not isinstance(attrs, Mapping):
        raise TypeError(f"attrs must be a mapping name -> value, got {type(attrs).__name__}")
    all_attrs = dict(attrs or {})
    all_attrs.update(
        units=units or _UNITS[variable], bin_width=bin_width, source=source,
        **provenance("neuromop.data.from_arrays", shape=arr.shape, variable=variable,
                     bin_width=bin_width),
    )
    ds = xr.Dataset({variable: (("trial", "time", "neuron"), arr)}, coords=coords, attrs=all_attrs)
    validate(ds)
    return ds


def from_dataframe(
    frame: pd.DataFrame,
    *,
    bin_width: float,
    value: str = "counts",
    trial: str = "trial",
    time: str = "time",
    neuron: str = "neuron",
    trial_columns: Sequence[str] = (),
    neuron_columns: Sequence[str] = (),
    units: str | None = None,
    source: str = "dataframe",
    attrs: Mapping[str, Any] | None = None,
) -> xr.Dataset:
    """Build a contract dataset from a long ("tidy") table with one row per trial × bin × neuron.

    Parameters
    ----------
    frame : pandas.DataFrame
        Columns ``trial``, ``time`` (bin centre, s), ``neuron`` and ``value``; every combination
        must appear exactly once.
    bin_width : float
        Bin width in seconds.
    value : {"counts", "rate", "activity"}
        Column holding the activity; it becomes the variable of that name.
    trial, time, neuron : str
        Names of the label columns.
    trial_columns, neuron_columns : sequence of str
        Metadata columns constant within each trial / neuron, kept as coordinates.
    units, source, attrs
        As for :func:`from_arrays`.

    Raises
    ------
    ValueError
        Missing columns, duplicated or missing (trial, time, neuron) rows, or metadata that vary
        within a trial / neuron.
    """
    if not isinstance(frame, pd.DataFrame):
        raise TypeError(f"frame must be a pandas.DataFrame, got {type(frame).__name__}")
    check_choice("value", value, ACTIVITY_VARIABLES)
    for name, column in (("trial", trial), ("time", time), ("neuron", neuron)):
        if not isinstance(column, Hashable):
            raise TypeError(f"{name} must be a column name, got {type(column).__name__}")
    needed = [trial, time, neuron, value, *trial_columns, *neuron_columns]
    missing = [c for c in needed if c not in frame.columns]
    if missing:
        raise ValueError(f"frame is missing column(s) {missing} (columns: {list(frame.columns)})")
    keys = [trial, time, neuron]
    dup = frame.duplicated(keys)
    if dup.any():
        raise ValueError(
            f"frame has {int(dup.sum())} duplicated ({trial}, {time}, {neuron}) row(s), e.g. "
            f"{frame.loc[dup, keys].iloc[0].tolist()}"
        )
    trials = pd.Index(frame[trial].unique()).sort_values()
    times = np.sort(frame[time].unique())
    neurons = pd.Index(frame[neuron].unique()).sort_values()
    expected = len(trials) * len(times) * len(neurons)
    if len(frame) != expected:
        raise ValueError(
            f"frame must have one row per ({trial}, {time}, {neuron}) combination: expected "
            f"{expected} rows ({len(trials)}×{len(times)}×{len(neurons)}), got {len(frame)}"
        )
    ti = trials.get_indexer(frame[trial])
    si = np.searchsorted(times, frame[time].to_numpy())
    ni = neurons.get_indexer(frame[neuron])
    data = np.empty((len(trials), len(times), len(neurons)), dtype=frame[value].to_numpy().dtype)
    data[ti, si, ni] = frame[value].to_numpy()

    def _meta(columns: Sequence[str], by: str, index: pd.Index) -> dict[str, np.ndarray]:
        out = {}
        for col in columns:
            varying = frame.groupby(by, sort=False)[col].nunique(dropna=False) > 1
            if varying.any():
                raise ValueError(
                    f"column {col!r} must be constant within each {by}, but varies for "
                    f"{varying[varying].index[:5].tolist()}"
                )
            out[col] = frame.groupby(by)[col].first().reindex(index).to_numpy()
        return out

    return from_arrays(
        data, bin_width=bin_width, time=times, variable=value,
        trials=trials.to_numpy(), neurons=neurons.to_numpy(),
        trial_coords=_meta(trial_columns, trial, trials),
        neuron_coords=_meta(neuron_columns, neuron, neurons),
        units=units, source=source, attrs=attrs,
    )
