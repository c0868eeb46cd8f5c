"""The arithmetic of binning spikes: bin edges, and per-spike bin and label positions.

:func:`~neuromop.data.bin_spikes` turns every spike into one flat index
``(trial, bin, neuron)`` and counts them with one ``np.bincount``. The per-spike steps here
are single vectorised passes: a label's position among the selected labels through a dense
lookup table when the labels are integers in a compact range (a hash lookup otherwise), and
a spike's bin by arithmetic, with ``np.searchsorted`` only for the few spikes that lie within
rounding error of an edge, so that the result equals ``searchsorted(edges, t + tol, "right")``
exactly.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from neuromop._checks import MAX_SIZE, check_real

__all__ = ["bin_edges", "bin_positions", "label_positions"]

_EDGE_TOL = 1e-9  # a spike this many bin widths below an edge counts in the upper bin
_NEAR = 1e-6  # bin positions this close to a whole number are resolved by searchsorted
_EXACT = 1e8  # times over _EXACT bin widths from 0: every spike through searchsorted
_DENSE = 4  # a lookup table of up to _DENSE x (labels + spikes / 16) entries is used


def bin_edges(window: tuple[float, float], bin_width: float) -> np.ndarray:
    """Edges of equal bins covering ``window`` exactly.

    Parameters
    ----------
    window : (float, float)
        ``(start, stop)`` in seconds, ``stop > start``.
    bin_width : float
        Bin width in seconds; ``stop - start`` must be a whole multiple of it (to 1e-6 relative).

    Returns
    -------
    numpy.ndarray, shape (n_bins + 1,)
        ``start + bin_width * arange(n_bins + 1)``; bins are half-open ``[e_i, e_{i+1})``.
    """
    bin_width = check_real("bin_width", bin_width, low=0.0, low_inclusive=False)
    try:
        t0, t1 = (float(w) for w in window)
    except (TypeError, ValueError) as exc:
        raise TypeError(f"window must be a pair (start, stop) of seconds, got {window!r}") from exc
    if not (np.isfinite(t0) and np.isfinite(t1) and t1 > t0):
        raise ValueError(f"window must be finite with stop > start, got {window!r}")
    n_float = (t1 - t0) / bin_width
    if not n_float <= MAX_SIZE:  # also inf (a huge window over a tiny bin width)
        raise ValueError(f"window {window!r} s over bin_width {bin_width!r} s gives "
                         f"{n_float:.3g} bins, more than {MAX_SIZE}")
    n_bins = int(round(n_float))
    if n_bins < 1 or abs(n_float - n_bins) > 1e-6 * max(1.0, n_float):
        raise ValueError(
            f"window length {t1 - t0!r} s must be a whole multiple of bin_width {bin_width!r} s "
            f"(got {n_float:.6g} bins)"
        )
    return t0 + bin_width * np.arange(n_bins + 1)


def bin_positions(times: np.ndarray, edges: np.ndarray, tolerance: float) -> np.ndarray:
    """Bin of each time: ``searchsorted(edges, times + tolerance, side="right") - 1``.

    Parameters
    ----------
    times : numpy.ndarray of float, shape (n,)
        Times in seconds (finite), any order.
    edges : numpy.ndarray of float, shape (n_bins + 1,)
        Equal bin edges from :func:`bin_edges`, in seconds.
    tolerance : float
        Seconds added to every time first (a time this close below an edge counts above it).

    Returns
    -------
    numpy.ndarray of int64, shape (n,)
        The bin ``0 … n_bins - 1``; ``-1`` before the first edge, ``n_bins`` from the last on.

    Notes
    -----
    The bin is ``floor((t + tolerance - e_0) / w)``; times whose scaled position lies within
    1e-6 of a whole number (where rounding could move them across an edge) are placed by
    ``np.searchsorted`` instead, so the result equals it exactly; so is every time when some
    time or edge lies over 1e8 bin widths from 0 (the rounding error of the position could
    then approach 1e-6 bins). Cost O(n), no sort.
    """
    n_bins = edges.size - 1
    times = np.asarray(times, dtype=np.float64)
    width = (edges[-1] - edges[0]) / n_bins
    extreme = max(-times.min(), times.max()) if times.size else 0.0
    if not (extreme + tolerance + np.max(np.abs(edges))) / width < _EXACT:
        # rounding error in the positions could exceed _NEAR: exact path
        return np.searchsorted(edges, times + tolerance, side="right").astype(np.int64) - 1
    # position + 1 = (t + tolerance - e_0) / w + 1, clipped to [0.5, n_bins + 1.5] so that
    # truncation is the floor and every bin lands within -1 … n_bins
    position = times - (edges[0] - tolerance - width)
    position *= 1.0 / width
    np.clip(position, 0.5, n_bins + 1.5, out=position)
    bins = position.astype(np.int64)
    np.subtract(position, bins, out=position)  # fractional part
    position -= 0.5
    np.abs(position, out=position)
    near = np.flatnonzero(position > 0.5 - _NEAR)
    bins -= 1
    if near.size:
        bins[near] = np.searchsorted(edges, times[near] + tolerance, side="right") - 1
    return bins


def label_positions(labels: pd.Series | np.ndarray, index: pd.Index) -> np.ndarray:
    """Position of each label in ``index``, ``-1`` for labels not in it.

    Parameters
    ----------
    labels : pandas.Series or numpy.ndarray, shape (n,)
        One label per spike.
    index : pandas.Index
        The selected labels (unique), in output order.

    Returns
    -------
    numpy.ndarray of int64, shape (n,)
        As ``index.get_indexer(labels)`` (read-only: it may be ``labels``' own array, when the
        index is ``0 … n-1`` and holds every label); integer labels spanning a compact range
        go through a dense lookup table (one gather per spike) instead of a hash lookup.
    """
    values = labels.to_numpy() if isinstance(labels, pd.Series) else np.asarray(labels)
    keys = index.to_numpy()
    if values.dtype.kind in "iu" and keys.dtype.kind in "iu" and values.size and keys.size:
        lo, hi = int(values.min()), int(values.max())
        if values.dtype == np.int64 and 0 <= lo and hi < keys.size and np.array_equal(
                keys, np.arange(keys.size)):
            return values  # the labels are their own positions
        lo, hi = min(lo, int(keys.min())), max(hi, int(keys.max()))
        if hi - lo + 1 <= _DENSE * (keys.size + values.size // 16):
            table = np.full(hi - lo + 1, -1, dtype=np.int64)
            table[keys.astype(np.int64) - lo] = np.arange(keys.size)
            values = values.astype(np.int64, copy=False)
            return np.take(table, values - lo if lo else values)
    return index.get_indexer(values).astype(np.int64, copy=False)
