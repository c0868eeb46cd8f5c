"""Bridges from the spike containers of neo and pynapple to a flat :class:`SpikeTable`.

:func:`from_neo` reads ``neo.SpikeTrain`` / ``Segment`` / ``Block`` objects (segments are
trials, spike trains neurons), converting every train's times to seconds from its own unit;
:func:`from_pynapple` reads a pynapple ``TsGroup``, optionally cut into trials by an
``IntervalSet``. Both libraries are optional: each function imports its library when called and
says how to install it when it is missing.
"""

from __future__ import annotations

import importlib
import numbers
from typing import Any

import numpy as np
import pandas as pd

from neuromop._checks import check_choice
from neuromop._provenance import provenance
from neuromop.data.spikes import SpikeTable, _as_seconds
from neuromop.data.trials import cut_trials

__all__ = ["from_neo", "from_pynapple"]


def _optional(module: str, function: str, package: str):
    try:
        return importlib.import_module(module)
    except ImportError as exc:
        raise ImportError(
            f"{function} needs the optional package {package!r}: pip install {package} "
            f"(or pip install 'neuromop[test]')"
        ) from exc


def _scalars(mapping) -> dict[str, Any]:
    """The scalar (str, number, bool) entries of an annotations dict."""
    return {str(k): v for k, v in (mapping or {}).items()
            if isinstance(v, str | numbers.Number | np.generic) and not isinstance(v, complex)}


def _seconds(value) -> float:
    return float(_as_seconds("t_start/t_stop", value)[0])


def _segments(neo, obj, trial_dim: str) -> tuple[list[list], list[dict], str]:
    """The trains of each trial, each trial's metadata, and a description of ``obj``."""
    if isinstance(obj, neo.Block | neo.Segment):
        kind = type(obj).__name__
        what = f"neo {kind} {obj.name!r}" if obj.name is not None else f"a neo {kind}"
        segments = list(obj.segments) if isinstance(obj, neo.Block) else [obj]
    elif isinstance(obj, neo.SpikeTrain):
        segments, what = [[obj]], "a neo SpikeTrain"
    elif isinstance(obj, list | tuple) and len(obj) and all(
            isinstance(o, neo.SpikeTrain) for o in obj):
        segments, what = [list(obj)], f"{len(obj)} neo SpikeTrains"
    elif isinstance(obj, list | tuple) and len(obj) and all(
            isinstance(o, neo.Segment) for o in obj):
        segments, what = list(obj), f"{len(obj)} neo Segments"
    else:
        raise TypeError(
            "obj must be a neo.Block, neo.Segment, neo.SpikeTrain or a non-empty list of "
            f"SpikeTrains or Segments, got {type(obj).__name__}"
        )
    trains = [list(s.spiketrains) if isinstance(s, neo.Segment) else s for s in segments]
    meta = [{**_scalars(s.annotations), **({"name": s.name} if s.name is not None else {})}
            if isinstance(s, neo.Segment) else {} for s in segments]
    if trial_dim == "spiketrain":
        if len(trains) != 1:
            raise ValueError(
                "trial_dim='spiketrain' (every train a trial of one neuron) needs one Segment "
                f"or a list of SpikeTrains, got {what} with {len(trains)} segments"
            )
        meta = [{**({"name": t.name} if t.name is not None else {}), **_scalars(t.annotations)}
                for t in trains[0]]  # a train's annotations describe its trial
        trains = [[t] for t in trains[0]]
    if not any(trains):
        raise ValueError(f"obj holds no spike trains ({what})")
    return trains, meta, what


def _neuron_labels(trains: list[list], neuron_key: str | None, trial_dim: str) -> list[list]:
    if neuron_key is None and trial_dim == "spiketrain":  # one neuron: its common name, or 0
        names = {seg[0].name for seg in trains}
        label = next(iter(names)) if len(names) == 1 and None not in names else 0
        return [[label] for _ in trains]
    if neuron_key is not None:
        missing = [t.name for seg in trains for t in seg if neuron_key not in t.annotations]
        if missing:
            raise ValueError(
                f"neuron_key {neuron_key!r} is not an annotation of {len(missing)} spike "
                f"train(s) (e.g. named {missing[0]!r})"
            )
        return [[t.annotations[neuron_key] for t in seg] for seg in trains]
    names = [[t.name for t in seg] for seg in trains]
    if all(n is not None for seg in names for n in seg) and all(
            len(set(seg)) == len(seg) for seg in names):
        return names
    return [list(range(len(seg))) for seg in trains]


def from_neo(obj: Any, *, trial_dim: str = "segment", neuron_key: str | None = None) -> SpikeTable:
    """Spike trains of neo as a flat :class:`SpikeTable`, times in seconds.

    Parameters
    ----------
    obj : neo.Block, neo.Segment, neo.SpikeTrain or list of them
        A Block (its segments are trials), a Segment (one trial), a SpikeTrain, or a list of
        SpikeTrains (the neurons of one trial) or of Segments (trials).
    trial_dim : {"segment", "spiketrain"}, default "segment"
        What a trial is: a segment, whose spike trains are the neurons; or ``"spiketrain"``:
        every train of one Segment (or list) is a trial of a single neuron, as Elephant's
        ``fanofactor`` takes them.
    neuron_key : str, optional
        Annotation holding each train's neuron label (e.g. ``"unit_id"``). Default: the trains'
        ``name`` when every train has one, unique within its segment; else the train's position
        in its segment (``0, 1, …``). Trains of different segments with one label are one neuron.

    Returns
    -------
    SpikeTable
        Spike ``time`` in seconds (rescaled from each train's own unit with ``quantities``), on
        the trains' clock; ``trial_info`` holds ``start_time``/``stop_time`` (s; the earliest
        ``t_start`` and latest ``t_stop`` of the trial's trains; NaN for a segment without
        trains) and each segment's ``name`` and
        scalar annotations (with ``trial_dim="spiketrain"``: each train's); ``neuron_info`` the
        scalar annotations (and ``name``) of each neuron's first train;
        ``attrs['time_units_in']`` the units the trains came in.

    Raises
    ------
    ImportError
        If neo is not installed.
    TypeError
        If ``obj`` is not a neo container of spike trains.
    ValueError
        If it holds no trains, or ``neuron_key`` is not an annotation of every train.

    Notes
    -----
    Align the trials with ``bin_spikes(table, …, align="start_time")``.
    """
    neo = _optional("neo", "from_neo", "neo")
    if not isinstance(trial_dim, str):
        raise TypeError(f"trial_dim must be 'segment' or 'spiketrain', got {trial_dim!r}")
    check_choice("trial_dim", trial_dim, ("segment", "spiketrain"))
    if neuron_key is not None and not isinstance(neuron_key, str):
        raise TypeError(f"neuron_key must be an annotation name (str), got {neuron_key!r}")
    trains, trial_meta, what = _segments(neo, obj, trial_dim)
    labels = _neuron_labels(trains, neuron_key, trial_dim)
    flat = [t for seg in trains for t in seg]
    times = np.concatenate([_as_seconds("obj", t.times)[0] for t in flat])
    lengths = [len(t) for t in flat]
    neuron_of = [lab for seg in labels for lab in seg]
    trial_of = [k for k, seg in enumerate(trains) for _ in seg]
    neuron_rows: dict[Any, dict] = {}
    for train, label in zip(flat, neuron_of):
        row = {**({"name": train.name} if train.name is not None else {}),
               **_scalars(train.annotations)}
        neuron_rows.setdefault(label, row if trial_dim == "segment" else {})
    trial_rows = [
        {"start_time": min((_seconds(t.t_start) for t in seg), default=np.nan),
         "stop_time": max((_seconds(t.t_stop) for t in seg), default=np.nan), **meta}
        for seg, meta in zip(trains, trial_meta)
    ]
    neuron_info = pd.DataFrame.from_dict(neuron_rows, orient="index")
    neuron_info.index = pd.Index(list(neuron_rows), name="neuron")
    trial_info = pd.DataFrame(trial_rows, index=pd.RangeIndex(len(trains), name="trial"))
    attrs = {
        "source": what,
        "time_units_in": ", ".join(sorted({str(t.units.dimensionality) for t in flat})),
        **provenance("neuromop.data.from_neo", trial_dim=trial_dim, neuron_key=neuron_key),
    }
    return SpikeTable.from_arrays(
        times, np.repeat(pd.Index(neuron_of).to_numpy(), lengths),
        np.repeat(np.asarray(trial_of, dtype=np.int64), lengths),
        neuron_info=neuron_info, trial_info=trial_info, attrs=attrs, time_unit="s",
    )


def from_pynapple(tsgroup: Any, *, epochs: Any = None) -> SpikeTable:
    """A pynapple ``TsGroup`` as a flat :class:`SpikeTable`, optionally cut into trials.

    Parameters
    ----------
    tsgroup : pynapple.TsGroup
        The spike trains (times in s, pynapple's unit); its index labels the neurons.
    epochs : pynapple.IntervalSet, optional
        Each interval a trial (see :func:`~neuromop.data.cut_trials`): spike times become
        relative to the interval's start. Default: one trial ``0``, session time.

    Returns
    -------
    SpikeTable
        ``neuron_info`` holds the TsGroup's metadata columns (``rate`` in Hz included);
        ``trial_info`` holds ``start_time``/``stop_time`` (s, session clock: the intervals, or
        the group's time support) and the IntervalSet's metadata. With ``epochs``,
        ``attrs['n_spikes_outside']`` counts the spikes inside no interval.

    Raises
    ------
    ImportError
        If pynapple is not installed.
    TypeError
        If ``tsgroup`` is not a TsGroup or ``epochs`` not an IntervalSet.

    Notes
    -----
    Intervals are half-open ``[start, end)`` as the bins of :func:`~neuromop.data.bin_spikes`
    (pynapple's ``restrict`` keeps a spike exactly at ``end``; its ``count`` does not), so
    ``bin_spikes(table, bin_width=b, window=(0, duration))`` gives the counts of
    ``tsgroup.count(b, epochs)``.
    """
    nap = _optional("pynapple", "from_pynapple", "pynapple")
    if not isinstance(tsgroup, nap.TsGroup):
        raise TypeError(f"tsgroup must be a pynapple.TsGroup, got {type(tsgroup).__name__}")
    if epochs is not None and not isinstance(epochs, nap.IntervalSet):
        raise TypeError(f"epochs must be a pynapple.IntervalSet, got {type(epochs).__name__}")
    keys = np.asarray(tsgroup.index)
    trains = [np.asarray(tsgroup[k].t, dtype=np.float64) for k in keys]
    lengths = [t.size for t in trains]
    metadata = getattr(tsgroup, "metadata", None)
    if not isinstance(metadata, pd.DataFrame):  # older pynapple
        metadata = getattr(tsgroup, "_metadata", pd.DataFrame(index=keys))
    neuron_info = pd.DataFrame(metadata).reindex(keys)
    neuron_info.index = pd.Index(keys, name="neuron")
    support = tsgroup.time_support
    trial_info = pd.DataFrame(
        {"start_time": [float(np.min(support.start))], "stop_time": [float(np.max(support.end))]},
        index=pd.RangeIndex(1, name="trial"),
    )
    attrs = {"source": f"pynapple TsGroup of {len(keys)} units",
             **provenance("neuromop.data.from_pynapple", n_epochs=None if epochs is None
                          else len(epochs))}
    session = SpikeTable.from_arrays(
        np.concatenate(trains) if trains else np.zeros(0), np.repeat(keys, lengths),
        neuron_info=neuron_info, trial_info=trial_info, attrs=attrs, time_unit="s",
    )
    if epochs is None:
        return session
    table = cut_trials(session, intervals=epochs)
    table.attrs.update(provenance("neuromop.data.from_pynapple", n_epochs=len(epochs)))
    return table
