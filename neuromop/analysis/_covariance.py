"""Private helpers: covariance (second-moment) matrices accumulated block by block.

A *record* summarises a block of samples (rows) split into groups: per group its sample count
``n`` ``(G,)``, mean ``(G, R, N)`` and matrix of centred cross-products ("co-moment")
``m2 = Σ (x - mean)(x - mean)ᵀ`` ``(G, R, N, N)``, for ``R`` independent sets of ``N``
variables (e.g. ``R`` time windows of ``N`` neurons). A block's co-moment is one BLAS Gram
product of its centred rows (centred on the block's own mean, so a large common offset costs no
precision); records of different blocks are merged with the pairwise formula of Chan, Golub &
LeVeque (1979), exact in exact arithmetic and numerically stable. Memory is O(G R N² + one
block), whatever the number of rows: numpy arrays are cut into row blocks, dask arrays reduced
chunk by chunk with a tree of merges.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import NamedTuple

import numpy as np

__all__ = [
    "Record",
    "correlation_from_records",
    "correlation_matrix",
    "dask_correlation",
    "merge",
    "record",
]

class Record(NamedTuple):
    """Count ``(G,)``, mean ``(G, R, N)`` and co-moment ``(G, R, N, N)`` of grouped samples."""

    n: np.ndarray
    mean: np.ndarray
    m2: np.ndarray


def record(values: np.ndarray, groups: np.ndarray | None = None, n_groups: int = 1) -> Record:
    """The record of one block of samples.

    Parameters
    ----------
    values : numpy.ndarray
        Samples along the first axis, variables along the last; the axes between (if any) are
        the ``R`` independent sets (flattened in C order). Any real dtype (summed in float64).
    groups : numpy.ndarray of int, optional
        Group index in ``[0, n_groups)`` of every sample; ``None``: one group.
    n_groups : int, default 1
        Number of groups ``G`` (groups without samples in the block get ``n = 0``).

    Returns
    -------
    Record
    """
    values = np.asarray(values)
    rows, n_var = values.shape[0], values.shape[-1]
    values = values.reshape(rows, -1, n_var)
    n_sets = values.shape[1]
    n = np.zeros(n_groups, dtype=np.int64)
    mean = np.zeros((n_groups, n_sets, n_var))
    m2 = np.zeros((n_groups, n_sets, n_var, n_var))
    for g in range(n_groups):
        x = values if groups is None else values[groups == g]
        n[g] = len(x)
        if n[g] == 0:
            continue
        mean[g] = x.sum(axis=0, dtype=np.float64) / n[g]
        # centred samples as (set, sample, variable), C-ordered: each set's Gram product then
        # takes BLAS's fast symmetric path (a Fortran-ordered operand is several times slower)
        centred = np.subtract(x.transpose(1, 0, 2), mean[g][:, None, :], dtype=np.float64,
                              order="C")
        del x
        for r in range(n_sets):
            np.matmul(centred[r].T, centred[r], out=m2[g, r])
    return Record(n, mean, m2)


def merge(records: Iterable[Record]) -> Record:
    """Merge records of disjoint blocks (Chan et al.'s pairwise update), group by group.

    The first record's arrays are updated in place and returned (records are intermediates,
    each merged once).
    """
    records = iter(records)
    n, mean, m2 = next(records)
    for nb, mb, m2b in records:
        total = n + nb
        both = np.flatnonzero((n > 0) & (nb > 0))
        delta = mb - mean
        weight = np.divide(nb, total, out=np.zeros(len(total)), where=total > 0)
        mean += delta * weight[:, None, None]
        m2 += m2b
        for g in both:
            scale = n[g] * weight[g]  # n_a n_b / (n_a + n_b)
            for r in range(delta.shape[1]):
                m2[g, r] += np.outer(delta[g, r], scale * delta[g, r])
        n = total
    return Record(n, mean, m2)


def correlation_from_records(rec: Record, *, standardize_groups: bool) -> np.ndarray:
    """Pearson correlation ``(R, N, N)`` from a merged record.

    Parameters
    ----------
    rec : Record
        Merged record of all samples.
    standardize_groups : bool
        ``False``: ``rec`` must hold one group, its co-moment is correlated. ``True``: every
        group's samples are z-scored within the group (variables constant within a group
        contribute 0) and the z-scores are correlated over all samples (not re-centred: they
        have mean 0).

    Returns
    -------
    numpy.ndarray
        Correlations, symmetric with 1 on the diagonal; NaN rows and columns for variables with
        no variance (after z-scoring: constant within every group).
    """
    if not standardize_groups:
        cross = rec.m2[0]
    else:
        cross = np.zeros(rec.m2.shape[1:])
        for g in np.flatnonzero(rec.n > 0):
            var = np.diagonal(rec.m2[g], axis1=-2, axis2=-1) / rec.n[g]
            scale = np.divide(1.0, np.sqrt(var), out=np.zeros_like(var), where=var > 0)
            cross += rec.m2[g] * scale[..., :, None] * scale[..., None, :]
    norm = np.sqrt(np.diagonal(cross, axis1=-2, axis2=-1))
    norm = np.where(norm > 0, norm, np.nan)
    cross /= norm[..., :, None]
    cross /= norm[..., None, :]
    diagonal = np.einsum("...ii->...i", cross)  # a writable view
    diagonal[np.isfinite(norm)] = 1.0
    return cross


def correlation_matrix(values: np.ndarray) -> np.ndarray:
    """Pearson correlation ``(N, N)`` of the columns of one ``(sample, N)`` array.

    The hot path of a count matrix in memory: the centred columns are scaled to unit norm
    (O(samples x N)) and their Gram product (one BLAS call, symmetric) is the correlation, so
    no pass over the ``N x N`` result is needed but setting its diagonal to 1. Columns with no
    variance give NaN rows and columns.
    """
    mean = values.sum(axis=0, dtype=np.float64)
    mean /= values.shape[0]
    centred = np.subtract(values, mean, dtype=np.float64, order="C")
    norm = np.sqrt(np.einsum("ij,ij->j", centred, centred))
    centred *= np.divide(1.0, norm, out=np.full_like(norm, np.nan), where=norm > 0)
    r = centred.T @ centred  # the same C-ordered buffer twice: BLAS's symmetric product
    np.einsum("ii->i", r)[norm > 0] = 1.0
    return r


def _block_record(block: np.ndarray, groups: np.ndarray | None, n_groups: int) -> Record:
    return record(block, groups, n_groups)


def _merge_many(*records: Record) -> Record:
    return merge(records)


def _finish(rec: Record, standardize_groups: bool) -> np.ndarray:
    return correlation_from_records(rec, standardize_groups=standardize_groups)


def dask_correlation(x, groups: np.ndarray | None = None, n_groups: int = 1):
    """Lazy correlation of a dask array of samples, chunk by chunk.

    Parameters
    ----------
    x : dask.array.Array
        Samples along axis 0, variables along the last axis, sets between; every axis but the
        first must be a single chunk.
    groups : numpy.ndarray of int, optional
        Group of every sample (as in :func:`record`).
    n_groups : int, default 1

    Returns
    -------
    dask.array.Array
        The correlation ``(*sets, N, N)`` as :func:`correlation_from_records` computes it
        (``standardize_groups`` when ``groups`` is given), one chunk. One task per chunk of
        samples computes its record (these run in parallel); the records are merged into one
        running record, in order, so that at most a few records and chunks are held at once,
        however many chunks there are.
    """
    import dask.array as dsa
    from dask.base import tokenize
    from dask.highlevelgraph import HighLevelGraph

    if any(len(c) > 1 for c in x.chunks[1:]):
        raise ValueError("every axis but the first must be one chunk")
    token = tokenize(x, groups, n_groups)
    leaf, acc, out = (f"{step}-{token}" for step in ("r-record", "r-merge", "r-correlation"))
    bounds = np.cumsum((0, *x.chunks[0]))
    tail = (0,) * (x.ndim - 1)
    dsk = {}
    for i, (lo, hi) in enumerate(zip(bounds[:-1], bounds[1:])):
        part = None if groups is None else groups[lo:hi]
        dsk[(leaf, i)] = (_block_record, (x.name, i, *tail), part, n_groups)
        dsk[(acc, i)] = (_merge_many, (leaf, i)) if i == 0 else (_merge_many, (acc, i - 1),
                                                                  (leaf, i))
    sets = x.shape[1:-1]
    n_sets, n_var = int(np.prod(sets)), x.shape[-1]
    dsk[(out, 0, 0, 0)] = (_finish, (acc, len(bounds) - 2), groups is not None)
    graph = HighLevelGraph.from_collections(out, dsk, dependencies=[x])
    r = dsa.Array(graph, out, chunks=((n_sets,), (n_var,), (n_var,)), dtype=np.float64,
                  meta=np.empty((0, 0, 0)))
    return r.reshape(*sets, n_var, n_var)
