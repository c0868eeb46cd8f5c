"""Recordings for ``neuromop run hypothesis``: every source as trials with task inputs.

:func:`recording_sessions` turns the ``--data`` argument into ``(name, dataset, inputs,
condition)`` tuples:

- ``padoa_ofc``: the juice-choice trials of each OFC session, offer-aligned, with inputs
  ``in_a``/``in_b`` (offered quantity / its maximum, on from offer onset) and the condition
  ``offer_pair``;
- ``pynapple_hd``: the head-direction NWB file, sleep and wake epochs cut into pseudo-trials
  of ``hd_trial_bins`` bins of 100 ms, with inputs ``in_wake`` (1 during wake) and the
  tracked head direction ``hd_cos``/``hd_sin`` (circular mean per bin; 0 during sleep; wake
  pseudo-trials before tracking starts are dropped), condition ``state``;
- a path to a ``.nc``/``.zarr`` file that passes :func:`neuromop.data.validate` with
  ``counts`` (the user's own recording): inputs are the named variables (or none) and the
  condition the named trial coordinate (or none).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import xarray as xr

from neuromop.data import (
    list_padoa_sessions,
    load,
    load_nwb,
    load_padoa_session,
    shared_datasets_dir,
    validate,
)

__all__ = ["NAMED_DATA", "add_head_direction_inputs", "add_offer_inputs", "add_session_input",
           "data_paths", "hd_pseudo_trials", "recording_sessions"]

#: Data names ``--data`` accepts besides a file path.
NAMED_DATA = ("padoa_ofc", "pynapple_hd")
_HD_FILE = "A2929-200711.nwb"


def add_offer_inputs(ds):
    """Add inputs ``in_a``/``in_b``: offered quantity / max, on from offer onset (t >= 0)."""
    on = (ds["time"] >= 0).astype(float)
    out = ds.copy()
    for name, coord in (("in_a", "offer_a"), ("in_b", "offer_b")):
        q = ds[coord].astype(float)
        out[name] = (q / max(float(q.max()), 1.0) * on).transpose("trial", "time")
    out = out.assign_coords(offer_pair=("trial", [f"{a}:{b}" for a, b in
                                                  zip(ds["offer_a"].values,
                                                      ds["offer_b"].values)]))
    return out


def add_session_input(ds: xr.Dataset, name: str = "in_session") -> xr.Dataset:
    """Add the input ``name``: the trial's position in the session, 0 (first) to 1 (last),
    constant within the trial — a slow covariate through which a fitted network can follow
    drifts of excitability across the session (trials are assumed in recording order)."""
    n, t = ds.sizes["trial"], ds.sizes["time"]
    position = np.arange(n) / max(n - 1, 1)
    out = ds.copy()
    out[name] = (("trial", "time"), np.repeat(position[:, None], t, axis=1))
    return out


def hd_pseudo_trials(ds: xr.Dataset, trial_bins: int) -> xr.Dataset:
    """Cut long epochs (trial = epoch) into pseudo-trials of ``trial_bins`` bins.

    The epoch's tag becomes the trial coordinate ``state`` and the input ``in_wake`` is 1 in
    epochs tagged ``wake``. The bins left over at each epoch's end are dropped.
    """
    n_ep, n_t, n_neuron = (ds.sizes[d] for d in ("trial", "time", "neuron"))
    k = n_t // trial_bins
    if k < 2:
        raise ValueError(f"hd_trial_bins={trial_bins} leaves fewer than 2 pseudo-trials per "
                         f"epoch of {n_t} bins")
    counts = ds["counts"].values[:, :k * trial_bins].reshape(n_ep * k, trial_bins, n_neuron)
    tags = np.repeat([str(t) for t in ds["tags"].values], k)
    width = float(ds.attrs["bin_width"])
    epoch_start = (ds["start_time"].values if "start_time" in ds.coords
                   else np.zeros(n_ep)) + float(ds["time"].values[0]) - width / 2
    starts = (epoch_start[:, None] + np.arange(k)[None, :] * trial_bins * width).reshape(-1)
    out = xr.Dataset(
        {"counts": (("trial", "time", "neuron"), counts)},
        coords={"trial": np.arange(n_ep * k), "time": (np.arange(trial_bins) + 0.5) * width,
                "neuron": ds["neuron"].values, "state": ("trial", tags),
                "start_time": ("trial", starts)})
    wake = (tags == "wake").astype(float)
    out["in_wake"] = (("trial", "time"), np.repeat(wake[:, None], trial_bins, axis=1))
    out.attrs.update(units="spikes", bin_width=width,
                     source=f"{ds.attrs.get('source', 'NWB file')} cut into pseudo-trials",
                     created_by="neuromop.studies.hypothesis_data.hd_pseudo_trials")
    return out


def add_head_direction_inputs(ds: xr.Dataset, times, angles) -> xr.Dataset:
    """Add inputs ``hd_cos``/``hd_sin``: the circular mean of the head direction per bin.

    ``times`` (s, session clock) and ``angles`` (rad) are the tracked samples; pseudo-trials
    start at their ``start_time``. Sleep trials get 0; wake trials with a bin holding no sample
    (before tracking starts) are dropped.
    """
    width = float(ds.attrs["bin_width"])
    n_t = ds.sizes["time"]
    edges = ds["start_time"].values[:, None] + np.arange(n_t + 1)[None, :] * width
    idx = np.searchsorted(times, edges)                          # (trial, time + 1)
    cum_c = np.concatenate([[0.0], np.cumsum(np.cos(angles))])
    cum_s = np.concatenate([[0.0], np.cumsum(np.sin(angles))])
    n = np.diff(idx, axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        c = np.diff(cum_c[idx], axis=1) / n
        s = np.diff(cum_s[idx], axis=1) / n
    wake = ds["state"].values == "wake"
    c[~wake], s[~wake] = 0.0, 0.0
    keep = ~wake | (n > 0).all(axis=1)
    out = ds.copy()
    out["hd_cos"] = (("trial", "time"), c)
    out["hd_sin"] = (("trial", "time"), s)
    out = out.isel(trial=np.flatnonzero(keep))
    return out.assign_coords(trial=np.arange(out.sizes["trial"]))


def _head_direction(path: Path) -> tuple[np.ndarray, np.ndarray]:
    """Timestamps (s) and head direction (rad, ``CompassDirection/ry``) of the NWB file."""
    import pynwb

    with pynwb.NWBHDF5IO(str(path), "r") as io:
        series = io.read().acquisition["CompassDirection"].spatial_series["ry"]
        return np.asarray(series.timestamps[:], float), np.asarray(series.data[:], float)


def _user_inputs(ds: xr.Dataset, inputs) -> list[str]:
    names = [] if inputs is None else [s for s in str(inputs).split(",") if s]
    for name in names:
        if name not in ds.data_vars or ds[name].dims != ("trial", "time"):
            raise ValueError(f"inputs must name (trial, time) variables of the data file, got "
                             f"{name!r}")
    return names


def data_paths(data: str, data_root: str | None) -> list[Path]:
    """The files or folders a run on ``data`` reads."""
    if data == "padoa_ofc":
        return [Path(data_root) if data_root else shared_datasets_dir("padoa_ofc")]
    if data == "pynapple_hd":
        return [(Path(data_root) if data_root else shared_datasets_dir("pynapple_hd"))
                / _HD_FILE]
    return [Path(data)]


def recording_sessions(data: str, *, sessions=None, data_root=None, inputs=None,
                       condition=None, hd_trial_bins: int = 20):
    """The recordings of ``data`` as ``(name, dataset, input names, condition)`` tuples.

    Parameters
    ----------
    data : str
        ``"padoa_ofc"``, ``"pynapple_hd"`` or a path to a dataset file.
    sessions : sequence of str, optional
        OFC sessions (default all).
    data_root : str, optional
        Folder of the named data (default: the shared datasets).
    inputs : str, optional
        For a file: comma-separated names of its ``(trial, time)`` input variables.
    condition : str, optional
        For a file: a trial coordinate naming conditions.
    hd_trial_bins : int
        Bins per head-direction pseudo-trial.
    """
    if data == "padoa_ofc":
        root = data_paths(data, data_root)[0]
        names = list(sessions) if sessions else list(list_padoa_sessions(root))
        known = set(list_padoa_sessions(root))
        unknown = [s for s in names if s not in known]
        if unknown:
            raise ValueError(f"session must be among {sorted(known)}, got {unknown}")
        return [(s, add_offer_inputs(load_padoa_session(root, s, task="JC")),
                 ["in_a", "in_b"], "offer_pair") for s in names]
    if data == "pynapple_hd":
        path = data_paths(data, data_root)[0]
        ds = hd_pseudo_trials(load_nwb(path, bin_width=0.1, epochs="all"), hd_trial_bins)
        ds = add_head_direction_inputs(ds, *_head_direction(path))
        return [(path.stem, ds, ["in_wake", "hd_cos", "hd_sin"], "state")]
    path = Path(data)
    if not path.exists():
        raise ValueError(f"data must be one of {list(NAMED_DATA)} or an existing dataset file, "
                         f"got {data!r}")
    ds = load(path).load()
    validate(ds, kind="auto")
    if "counts" not in ds:
        raise ValueError(f"data file {path} must hold spike 'counts' (trial, time, neuron)")
    if condition is not None and (condition not in ds.coords
                                  or ds[condition].dims != ("trial",)):
        raise ValueError(f"condition must name a trial coordinate of {path.name}, got "
                         f"{condition!r}")
    if condition is not None and np.unique(ds[condition].values, return_counts=True)[1].min() < 2:
        raise ValueError(f"condition {condition!r}: every condition of {path.name} needs at "
                         "least 2 trials (a variance across trials)")
    return [(path.stem, ds, _user_inputs(ds, inputs), condition)]
