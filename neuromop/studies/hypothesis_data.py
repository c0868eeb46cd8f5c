"""Recordings for ``neuromop run hypothesis``: every source as trials with task inputs.

:func:`recording_sessions` turns the ``--data`` argument into ``(name, dataset, inputs,
condition)`` tuples:

- ``padoa_ofc``: the juice-choice trials of each OFC session, offer-aligned, with inputs
  ``in_a``/``in_b`` (offered quantity / its maximum, on from offer onset) and the condition
  ``offer_pair``;
- ``pynapple_hd``: the head-direction NWB file, sleep and wake epochs cut into pseudo-trials
  of ``hd_trial_bins`` bins of 100 ms, input ``in_wake`` (1 during wake) and condition
  ``state``;
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

__all__ = ["NAMED_DATA", "add_offer_inputs", "add_session_input", "data_paths",
           "hd_pseudo_trials", "recording_sessions"]

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
    out = xr.Dataset(
        {"counts": (("trial", "time", "neuron"), counts)},
        coords={"trial": np.arange(n_ep * k), "time": (np.arange(trial_bins) + 0.5) * width,
                "neuron": ds["neuron"].values, "state": ("trial", tags)})
    wake = (tags == "wake").astype(float)
    out["in_wake"] = (("trial", "time"), np.repeat(wake[:, None], trial_bins, axis=1))
    out.attrs.update(units="spikes", bin_width=width,
                     source=f"{ds.attrs.get('source', 'NWB file')} cut into pseudo-trials",
                     created_by="neuromop.studies.hypothesis_data.hd_pseudo_trials")
    return out


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
        ds = load_nwb(path, bin_width=0.1, epochs="all")
        return [(path.stem, hd_pseudo_trials(ds, hd_trial_bins), ["in_wake"], "state")]
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
    return [(path.stem, ds, _user_inputs(ds, inputs), condition)]
