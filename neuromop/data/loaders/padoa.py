"""Padoa-Schioppa lab OFC recordings (Shi, Ballesta & Padoa-Schioppa 2022, eLife 11:e75910).

Layout (``<root>/raw_data``): ``celldata/<session><electrode><cell>_data.mat`` per cell
(MATLAB v5), ``sesison_info/TT_<session>.m`` (electrode locations; label 4 = OFC). Within one
session the cells were recorded simultaneously and share the trial tables.

Decoding of the per-cell tables (checked against the per-trial ``trialRecord`` structs in every
session; see ``tests/data/test_loaders.py``):

- ``celldata[:, 0]`` spike time in ms from trial start, ``celldata[:, 1]`` trial number;
- ``psyphydata`` rows ``[ms from trial start, trial, event code, absolute s]``; code 30 = offer
  on (first offer in SO), 32 = second offer on (SO), 35 = go signal, 43/44/45 = juice;
- ``goodTrials_JC`` ``[trial, ±#A, ±#B, chosen juice (1 = A, 2 = B), 1]`` (sign = side of the
  offer, −1 = right);
- ``goodTrials_SO`` ``[trial, ±#A, ±#B, 1 if A was offered second else 2, chosen juice]``.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import numpy as np
import pandas as pd
import xarray as xr

from neuromop._checks import check_choice, check_path
from neuromop._provenance import provenance
from neuromop.data.binning import bin_edges
from neuromop.data.paths import shared_datasets_dir
from neuromop.data.spikes import SpikeTable, bin_spikes

__all__ = ["list_padoa_sessions", "load_padoa_session", "load_padoa_spikes"]

CITATION = (
    "Shi W, Ballesta S, Padoa-Schioppa C (2022) Neuronal origins of reduced accuracy and biases "
    "in economic choices under sequential offers. eLife 11:e75910"
)
EVENT_CODES = {"offer_on": (30,), "offer2_on": (32,), "go": (35,), "juice": (43, 44, 45)}
_AREAS = {4: "OFC"}


def _raw_dir(root: str | os.PathLike | None) -> Path:
    if root is None:
        try:
            base = shared_datasets_dir("padoa_ofc")
        except FileNotFoundError as exc:
            raise FileNotFoundError(f"root is None (the shared datasets), but {exc}; or pass "
                                    "root= the padoa_ofc folder") from None
    else:
        base = check_path("root", root)
    for candidate in (base / "raw_data", base):
        if (candidate / "celldata").is_dir():
            return candidate
    raise FileNotFoundError(
        f"no Padoa-Schioppa data under {base}: expected a folder 'celldata' in it or in "
        f"'{base / 'raw_data'}'"
    )


def list_padoa_sessions(root: str | os.PathLike | None = None) -> list[str]:
    """Names of the sessions (e.g. ``"G180910a"``) found under ``root`` (default: shared data)."""
    files = sorted(_raw_dir(root).glob("celldata/*_data.mat"))
    return sorted({f.name[:8] for f in files})


def _cell_files(raw: Path, session: str) -> list[Path]:
    files = sorted(raw.glob(f"celldata/{session}[0-9][0-9]_data.mat"))
    if not files:
        raise ValueError(
            f"session {session!r} not found; available: {list_padoa_sessions(raw)}"
        )
    return files


def _locations(raw: Path, session: str) -> dict[int, tuple[float, float, int]]:
    path = raw / "sesison_info" / f"TT_{session}.m"
    if not path.is_file():
        return {}
    text = path.read_text()
    match = re.search(r"locations\s*=\s*\[(.*?)\]", text, re.S)
    if not match:
        return {}
    out = {}
    for line in match.group(1).splitlines():
        line = line.split("%")[0].strip().rstrip(";")
        numbers = line.split()
        if len(numbers) == 4:
            el, ap, ml, label = (float(x) for x in numbers)
            out[int(el)] = (ap, ml, int(label))
    return out


def _trial_table(mat: dict, task: str) -> pd.DataFrame:
    parts = []
    if task in ("JC", "both"):
        g = np.asarray(mat["goodTrials_JC"], dtype=np.int64).reshape(-1, 5)
        parts.append(pd.DataFrame({
            "task": "JC", "offer_a": np.abs(g[:, 1]), "offer_b": np.abs(g[:, 2]),
            "side_a": np.sign(g[:, 1]), "order_a": 0, "chosen_juice": np.where(g[:, 3] == 1,
                                                                                "A", "B"),
        }, index=pd.Index(g[:, 0], name="trial")))
    if task in ("SO", "both"):
        g = np.asarray(mat["goodTrials_SO"], dtype=np.int64).reshape(-1, 5)
        parts.append(pd.DataFrame({
            "task": "SO", "offer_a": np.abs(g[:, 1]), "offer_b": np.abs(g[:, 2]),
            "side_a": np.sign(g[:, 1]), "order_a": 3 - g[:, 3],
            "chosen_juice": np.where(g[:, 4] == 1, "A", "B"),
        }, index=pd.Index(g[:, 0], name="trial")))
    table = pd.concat(parts).sort_index()
    table["task"] = table["task"].astype(object)
    table["chosen_juice"] = table["chosen_juice"].astype(object)
    events = pd.DataFrame(np.asarray(mat["psyphydata"])[:, :3], columns=["ms", "trial", "code"])
    for name, codes in EVENT_CODES.items():
        first = events[events["code"].isin(codes)].groupby("trial")["ms"].min() / 1000.0
        first.index = first.index.astype(np.int64)
        table[name] = first.reindex(table.index).to_numpy(dtype=float)
    return table


def _root_and_session(root, session) -> tuple:
    """``(root, session)`` from ``f(session)`` or ``f(root, session)`` calls."""
    if session is None:
        if not isinstance(root, str):
            raise TypeError(f"session must be a session name such as 'G180910a', got {root!r}")
        return None, root
    if not isinstance(session, str) or not session:
        raise TypeError(f"session must be a session name such as 'G180910a', got {session!r}")
    return root, session


def load_padoa_spikes(
    root: str | os.PathLike | None, session: str | None = None, *, task: str = "JC"
) -> SpikeTable:
    """All spikes of one session's simultaneously recorded cells, in its good trials.

    Parameters
    ----------
    root : path-like or None
        The ``padoa_ofc`` folder (or its ``raw_data``); ``None`` uses the shared datasets.
        A single argument is the session: ``load_padoa_spikes("G180910a")``.
    session : str
        E.g. ``"G180910a"`` (see :func:`list_padoa_sessions`).
    task : {"JC", "SO", "both"}
        Juice choice (offers together), sequential offers, or both.

    Returns
    -------
    SpikeTable
        ``time`` in s from trial start; trial metadata ``task``, ``offer_a``/``offer_b`` (drops
        of juice A/B), ``side_a`` (−1 right, +1 left, 0 no A offered), ``order_a`` (0 JC, 1 A
        first, 2 A second), ``chosen_juice`` ("A"/"B") and event times ``offer_on``,
        ``offer2_on``, ``go``, ``juice`` (s from trial start; NaN when absent); neuron
        metadata ``electrode``, ``cell``, ``area``, ``ap``, ``ml`` (mm).
    """
    from scipy.io import loadmat

    check_choice("task", task, ("JC", "SO", "both"))
    root, session = _root_and_session(root, session)
    raw = _raw_dir(root)
    files = _cell_files(raw, session)
    locations = _locations(raw, session)
    reference = None
    times, neurons, trials, rows = [], [], [], []
    for path in files:  # one file per cell: I/O, not a hot path
        mat = loadmat(path, variable_names=["celldata", "psyphydata", "goodTrials_JC",
                                            "goodTrials_SO"])
        shared = (mat["psyphydata"], mat["goodTrials_JC"], mat["goodTrials_SO"])
        if reference is None:
            reference, table = shared, _trial_table(mat, task)
        elif not all(np.array_equal(a, b) for a, b in zip(reference, shared)):
            raise ValueError(f"{path.name}: trial tables differ from {files[0].name}; "
                             "cells of one session must share their trials")
        spikes = np.asarray(mat["celldata"], dtype=np.float64)
        name = path.name[:10]
        times.append(spikes[:, 0] / 1000.0)
        trials.append(spikes[:, 1].astype(np.int64))
        neurons.append(np.full(len(spikes), name, dtype=object))
        el, cell = int(name[8]), int(name[9])
        ap, ml, label = locations.get(el, (np.nan, np.nan, -1))
        rows.append({"neuron": name, "electrode": el, "cell": cell,
                     "area": _AREAS.get(label, "unknown"), "ap": ap, "ml": ml})
    time, trial = np.concatenate(times), np.concatenate(trials)
    neuron = np.concatenate(neurons)
    keep = np.isin(trial, table.index.to_numpy())
    neuron_info = pd.DataFrame(rows).set_index("neuron")
    neuron_info["area"] = neuron_info["area"].astype(object)
    attrs = {"source": f"Padoa-Schioppa OFC session {session} (task {task})",
             "citation": CITATION, "session": session, "task": task}
    return SpikeTable.from_arrays(time[keep], neuron[keep], trial[keep],
                                  neuron_info=neuron_info, trial_info=table, attrs=attrs)


def load_padoa_session(
    root: str | os.PathLike | None,
    session: str | None = None,
    *,
    window: tuple[float, float] = (-0.5, 1.0),
    bin_width: float = 0.1,
    task: str = "JC",
    align: str = "offer_on",
) -> xr.Dataset:
    """Trial-aligned spike counts of one OFC session (neurons recorded together).

    Parameters
    ----------
    root : path-like or None
        The ``padoa_ofc`` folder (``None``: the shared datasets). A single argument is the
        session: ``load_padoa_session("G180910a")``.
    session : str
        E.g. ``"G180910a"``.
    window : (float, float)
        Window in s around the alignment event (a whole number of bins).
    bin_width : float
        Bin width in s.
    task : {"JC", "SO", "both"}
        Which trials to keep.
    align : {"offer_on", "offer2_on", "go", "juice"}
        Alignment event (trials without it are dropped).

    Returns
    -------
    xarray.Dataset
        ``counts`` (trial, time, neuron) following the contract; the trial metadata of
        :func:`load_padoa_spikes` with the event times re-expressed in s relative to the
        alignment event (so ``offer_on`` is 0 when aligned to it).
    """
    check_choice("align", align, tuple(EVENT_CODES))
    bin_edges(window, bin_width)  # window and bin_width checked before any file is read
    root, session = _root_and_session(root, session)
    spikes = load_padoa_spikes(root, session, task=task)
    has_event = spikes.trial_info.index[np.isfinite(spikes.trial_info[align].to_numpy())]
    ds = bin_spikes(spikes, bin_width=bin_width, window=window, align=align, trials=has_event,
                    warn_outside=False)  # a peri-event window: the rest of a trial is out
    event = ds[align].values.copy()
    ds = ds.assign_coords({name: ("trial", ds[name].values - event, {"units": "s"})
                           for name in EVENT_CODES})
    ds.attrs.update(
        align=f"{align} (event times relative to it)",
        **provenance("neuromop.data.load_padoa_session", session=session, window=window,
                     bin_width=bin_width, task=task, align=align),
    )
    return ds
