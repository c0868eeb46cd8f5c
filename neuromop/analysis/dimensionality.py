"""Effective dimensionality of population activity: participation ratio and PCA spectra.

The sample covariance ``S`` of the neurons (``feature_dim``) is taken over ``sample_dims``
(default every trial × time bin the data have); any other dim (e.g. ``time`` when
``sample_dims="trial"``) is kept, giving one result per value.

Participation ratio ``PR = (tr C)² / tr(C²) = (Σλ)² / Σλ²``. The naive plug-in estimate with the
sample covariance is biased low for finite samples: for iid data with ``N`` neurons and ``n``
samples it is ≈ ``N n / (N + n)`` instead of ``N``. The corrected estimate replaces both traces by
unbiased estimators. For ``n`` samples of Gaussian data, ``S`` is Wishart with ``m = n - 1`` degrees
of freedom, ``E[S²] = (1 + 1/m) C² + tr(C) C / m`` and ``Var(tr S) = 2 tr(C²) / m``, so with
``a = (tr S)²`` and ``b = tr(S²)``::

    E[a] = (tr C)² + 2 tr(C²) / m
    E[b] = (1 + 1/m) tr(C²) + (tr C)² / m
    =>  tr(C²)^ = m (m b - a) / ((m - 1)(m + 2)),   (tr C)²^ = a - 2 tr(C²)^ / m

and ``PR = (tr C)²^ / tr(C²)^`` (``method="gaussian"``). For non-Gaussian data (sparse spike
counts above all) the fourth moments enter both expectations with a relative weight of order
``kurtosis / n``, and that estimate is biased.

The default ``method="unbiased"`` is distribution-free: with the centred samples ``y_i``,
``t4 = Σ_i |y_i|⁴``, ``A = (n-1)² a`` and ``B = (n-1)² b``, the fourth-order U-statistics

    (tr C)²^ ∝ A - n t4 / (n-2) + (2B - A) / ((n-1)(n-2))
    tr(C²)^  ∝ B - n t4 / (n-2) + A / ((n-1)(n-2))

are unbiased for any distribution with finite fourth moments: they equal the averages over all
distinct ``(i, j, k, l)`` of ``|x_i - x_j|² |x_k - x_l|² / 4`` and
``((x_i - x_j)·(x_k - x_l))² / 4`` (the "row" estimator of Chun, Canatar, Chung & Lee,
ICLR 2026). Both estimators assume independent samples of a fully observed population;
temporally correlated samples (adjacent bins) make the effective ``n`` smaller.

Every term is a function of the centred scatter matrix ``Σ_i y_i y_iᵀ`` (``a``, ``b``) and of
``t4``, which blocks of samples give about their own means and which merge exactly (shifting
each block's second, third and fourth moments to the pooled mean, as Chan et al. do for the
variance). On dask-backed data both estimators and :func:`pca_spectrum` therefore stream over
the chunks in one pass, holding a few chunks and a few ``N x N`` matrices (N neurons) at once,
however many samples there are.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable
from typing import NamedTuple

import numpy as np
import xarray as xr

from neuromop._checks import check_choice
from neuromop.analysis._reduce import (
    activity,
    check_dims,
    check_values,
    is_dask,
    with_provenance,
)

__all__ = ["participation_ratio", "pca_spectrum"]


def _covariance(data, sample_dims, feature_dim: str):
    """Sample covariance (``ddof=1``) of ``feature_dim`` over ``sample_dims``, the sum of the
    centred samples' fourth powers ``Σ_i |y_i|⁴``, the number of samples and the sample dims.

    Both come from one pass of :func:`_moments` per block of samples, merged with the shifts of
    :func:`_merge` (lazy and bounded in memory on dask-backed data).
    """
    da = activity(data)
    if sample_dims is None:
        sample_dims = tuple(d for d in ("trial", "time") if d in da.dims)
        if not sample_dims:
            raise ValueError(f"data has neither a 'trial' nor a 'time' dim (dims {da.dims}); "
                             "name the dims of the samples with sample_dims=")
    sample_dims = check_dims(da, sample_dims, "sample_dims")
    (feature_dim,) = check_dims(da, feature_dim, "feature_dim")
    if feature_dim in sample_dims:
        raise ValueError(
            f"feature_dim {feature_dim!r} must not be one of sample_dims {sample_dims}"
        )
    da = check_values(da, counts=False)
    n = int(np.prod([da.sizes[d] for d in sample_dims]))
    if n < 3:
        raise ValueError(f"need >= 3 samples over {list(sample_dims)}, got {n}")
    kept = [d for d in da.dims if d not in sample_dims and d != feature_dim]
    x = da.transpose(*kept, *sample_dims, feature_dim).data
    if is_dask(da):
        cov_data, t4_data = streamed_covariance(x, len(kept))
    else:
        cov_data, t4_data = _finish(_moments(x, len(sample_dims)))
    other = f"{feature_dim}_2"
    kept_coords = {c: da[c].variable for c in da.coords
                   if da[c].dims and set(da[c].dims) <= set(kept)}
    along = [c for c in da.coords if da[c].dims == (feature_dim,)]
    feature_coords = {c: (feature_dim, da[c].values) for c in along}
    feature_coords.update({(other if c == feature_dim else f"{c}_2"): (other, da[c].values)
                           for c in along})
    cov = xr.DataArray(cov_data, dims=(*kept, feature_dim, other), name="covariance",
                       coords={**kept_coords, **feature_coords})
    t4 = xr.DataArray(t4_data, dims=tuple(kept), coords=kept_coords)
    return cov, t4, n, list(sample_dims)


class _Moments(NamedTuple):
    """Moments of samples ``x_i`` (rows) about their mean ``μ``, over the leading (kept) axes.

    ``n`` samples, ``mean`` ``μ`` (..., N), ``scatter`` ``Σ_i y_i y_iᵀ`` (..., N, N),
    ``third`` ``Σ_i |y_i|² y_i`` (..., N) and ``fourth`` ``Σ_i |y_i|⁴`` (...), ``y_i = x_i - μ``.
    """

    n: int
    mean: np.ndarray
    scatter: np.ndarray
    third: np.ndarray
    fourth: np.ndarray


def _moments(x: np.ndarray, n_sample_axes: int) -> _Moments:
    """:class:`_Moments` of the samples along the ``n_sample_axes`` axes before the last one."""
    shape = x.shape
    n = int(np.prod(shape[-1 - n_sample_axes:-1]))
    x = np.asarray(x).reshape(*shape[: -1 - n_sample_axes], n, shape[-1])
    mean = x.mean(axis=-2, dtype=np.float64)
    y = np.subtract(x, mean[..., None, :], dtype=np.float64)  # the one float64 temporary
    norms = np.einsum("...ij,...ij->...i", y, y)
    return _Moments(n, mean, y.swapaxes(-1, -2) @ y, np.einsum("...i,...ij->...j", norms, y),
                    (norms**2).sum(axis=-1))


def _shift(m: _Moments, delta: np.ndarray) -> _Moments:
    """The moments of ``m`` about ``m.mean - delta`` instead of ``m.mean`` (exact identities:
    with ``z_i = y_i + δ`` and ``Σ_i y_i = 0``, ``Σ z zᵀ = S + n δδᵀ``,
    ``Σ |z|² z = v + (tr S + n|δ|²) δ + 2 S δ`` and
    ``Σ |z|⁴ = q + 4 δᵀSδ + 4 δᵀv + 2 |δ|² tr S + n |δ|⁴``)."""
    d2 = np.einsum("...j,...j->...", delta, delta)
    trace = np.einsum("...jj->...", m.scatter)
    s_delta = np.einsum("...jk,...k->...j", m.scatter, delta)
    fourth = (m.fourth + 4 * np.einsum("...j,...j->...", delta, s_delta + m.third)
              + 2 * d2 * trace + m.n * d2**2)
    third = m.third + (trace + m.n * d2)[..., None] * delta + 2 * s_delta
    scatter = m.scatter + m.n * delta[..., :, None] * delta[..., None, :]
    return _Moments(m.n, m.mean - delta, scatter, third, fourth)


def _merge(*parts: _Moments) -> _Moments:
    """Moments of the union of disjoint sets of samples (Chan et al.'s pairwise update,
    extended to the third and fourth moments): each part is shifted to the pooled mean."""
    n = sum(p.n for p in parts)
    mean = sum(p.n * p.mean for p in parts) / n
    shifted = [_shift(p, p.mean - mean) for p in parts]
    return _Moments(n, mean, sum(p.scatter for p in shifted), sum(p.third for p in shifted),
                    sum(p.fourth for p in shifted))


def _finish(m: _Moments) -> tuple[np.ndarray, np.ndarray]:
    """Covariance (``ddof=1``) and ``Σ_i |y_i|⁴``; ``ValueError`` if they overflowed."""
    if not (np.all(np.isfinite(m.scatter)) and np.all(np.isfinite(m.fourth))):
        raise ValueError("data values are too large: their covariance overflows (inf); "
                         "rescale them")
    return m.scatter / (m.n - 1), m.fourth


def streamed_covariance(x, n_kept: int, split_every: int = 2):
    """Covariance and ``Σ_i |y_i|⁴`` of a dask array, one block of samples at a time.

    Parameters
    ----------
    x : dask.array.Array, shape (*kept, *samples, N)
        The data; the axes after the ``n_kept`` leading ones but the last hold the samples.
    n_kept : int
        Number of leading axes kept (one result per entry).
    split_every : int, default 2
        Blocks merged per node of the reduction tree.

    Returns
    -------
    covariance : dask.array.Array, shape (*kept, N, N)
        Sample covariance (``ddof=1``), in the data's units squared.
    fourth : dask.array.Array, shape (*kept,)
        ``Σ_i |x_i - x̄|⁴`` over the samples, in the data's units to the fourth.

    Notes
    -----
    Each block of samples (all ``N`` features; a block chunked along ``N`` is rechunked whole)
    gives its :class:`_Moments` about its own mean; the moments are merged in a tree of
    ``split_every`` blocks per node by exact shifts to the pooled mean, so peak memory is a few
    blocks plus a few ``N x N`` matrices per kept entry and per level of the tree (the levels
    grow as the logarithm of the number of blocks), and the result has the accuracy of the
    two-pass (centred) computation.
    """
    import dask
    import dask.array as dsa

    x = x.rechunk({x.ndim - 1: -1})
    n_feature = x.shape[-1]
    n_sample_axes = x.ndim - 1 - n_kept
    blocks = x.to_delayed()
    kept_grid = blocks.shape[:n_kept]
    moments = dask.delayed(_moments, pure=True)
    merge = dask.delayed(_merge, pure=True)
    finish = dask.delayed(_finish, pure=True, nout=2)
    covs = np.empty(kept_grid, dtype=object)
    fourths = np.empty(kept_grid, dtype=object)
    for index in np.ndindex(*kept_grid):
        level = [moments(b, n_sample_axes) for b in blocks[index].ravel()]
        while len(level) > 1:
            level = [merge(*level[i:i + split_every])
                     for i in range(0, len(level), split_every)]
        cov, fourth = finish(level[0])
        shape = tuple(x.chunks[a][i] for a, i in enumerate(index))
        covs[index] = dsa.from_delayed(cov, (*shape, n_feature, n_feature), dtype=float)
        fourths[index] = dsa.from_delayed(fourth, shape, dtype=float)
    return _concatenate(covs), _concatenate(fourths)


def _concatenate(grid: np.ndarray, axis: int = 0):
    """One dask array from an object array of blocks tiling its leading ``grid.ndim`` axes."""
    import dask.array as dsa

    if grid.ndim == 0:
        return grid[()]
    parts = [grid[i:i + 1].reshape(grid.shape[1:]) for i in range(grid.shape[0])]
    return dsa.concatenate([_concatenate(part, axis + 1) for part in parts], axis=axis)


def _traces(cov: xr.DataArray, feature_dim: str) -> tuple[xr.DataArray, xr.DataArray]:
    other = f"{feature_dim}_2"
    eye = xr.DataArray(np.eye(cov.sizes[feature_dim]), dims=(feature_dim, other))
    trace = (cov * eye).sum((feature_dim, other))
    trace_sq = (cov**2).sum((feature_dim, other))
    return trace, trace_sq


def participation_ratio(
    data: xr.Dataset | xr.DataArray,
    sample_dims: Hashable | Iterable[Hashable] | None = None,
    corrected: bool = True,
    *,
    method: str = "unbiased",
    feature_dim: str = "neuron",
) -> xr.DataArray:
    """Participation ratio (effective dimensionality) of population activity.

    Parameters
    ----------
    data : xarray.DataArray or xarray.Dataset
        Activity (counts or rates) with ``feature_dim`` and ``sample_dims``.
    sample_dims : str or tuple of str, optional
        Dims whose elements are the samples of the covariance (at least 3 samples); default
        ``trial`` and ``time``, those of the two the data have.
    corrected : bool, default True
        Sample-size-corrected estimate (ratio of unbiased estimators of ``(tr C)²`` and
        ``tr(C²)``, see module docstring) instead of the naive ``(tr S)² / tr(S²)``.
    method : {"unbiased", "gaussian"}, default "unbiased"
        The correction (when ``corrected``): distribution-free U-statistics, or the Wishart
        (Gaussian-data) formulas, biased for sparse counts.
    feature_dim : str, default "neuron"
        The dim spanning the population.

    Returns
    -------
    xarray.DataArray
        ``participation_ratio`` over the remaining dims (0-d if none), between 1 and the number
        of neurons for the naive estimate; the corrected estimate is NaN where its estimated
        ``tr(C²)`` is not positive (e.g. all-constant data). Lazy if ``data`` is dask-backed.

    Examples
    --------
    50 independent sparse Poisson neurons (true PR 50) over 200 samples: the naive estimate is
    biased low, the Gaussian correction less so, the distribution-free one (default) not:

    >>> import numpy as np
    >>> from neuromop.analysis import participation_ratio
    >>> counts = np.random.default_rng(0).poisson(0.05, size=(200, 50))
    >>> [round(float(participation_ratio(counts, **kw)), 1)
    ...  for kw in ({"corrected": False}, {"method": "gaussian"}, {})]
    [37.5, 46.5, 50.1]
    """
    if not isinstance(corrected, bool):
        raise TypeError(f"corrected must be a bool, got {corrected!r}")
    check_choice("method", method, ("unbiased", "gaussian"))
    cov, t4, n, dims = _covariance(data, sample_dims, feature_dim)
    trace, trace_sq = _traces(cov, feature_dim)
    a = trace**2
    if corrected and method == "gaussian":
        m = n - 1
        t2 = m * (m * trace_sq - a) / ((m - 1) * (m + 2))
        t1 = a - 2 * t2 / m
        pr = t1 / t2.where(t2 > 0)
    elif corrected:
        if n < 4:
            raise ValueError(f"method='unbiased' needs >= 4 samples over {dims}, got {n}")
        A, B = (n - 1) ** 2 * a, (n - 1) ** 2 * trace_sq
        f = 1.0 / ((n - 1) * (n - 2))
        t1 = A - n * t4 / (n - 2) + f * (2 * B - A)
        t2 = B - n * t4 / (n - 2) + f * A
        pr = t1 / t2.where(t2 > 0)
    else:
        pr = a / trace_sq.where(trace_sq > 0)
    pr = pr.rename("participation_ratio")
    pr.attrs = {"long_name": "participation ratio", "units": "1", "n_samples": n,
                "estimator": method if corrected else "naive"}
    return with_provenance(
        pr, "neuromop.analysis.participation_ratio", sample_dims=dims, corrected=corrected,
        method=method, feature_dim=feature_dim,
    )


def _descending_eigvalsh(cov: np.ndarray) -> np.ndarray:
    return np.linalg.eigvalsh(cov)[..., ::-1]


def pca_spectrum(
    data: xr.Dataset | xr.DataArray,
    sample_dims: Hashable | Iterable[Hashable] | None = None,
    *,
    feature_dim: str = "neuron",
) -> xr.Dataset:
    """PCA variance spectrum: eigenvalues of the neurons' sample covariance (``ddof=1``).

    Parameters
    ----------
    data : xarray.DataArray or xarray.Dataset
        Activity with ``feature_dim`` and ``sample_dims``.
    sample_dims : str or tuple of str, optional
        Dims whose elements are samples; default ``trial`` and ``time``, those of the two the
        data have.
    feature_dim : str, default "neuron"

    Returns
    -------
    xarray.Dataset
        Over ``component`` (1, 2, … in decreasing order): ``variance`` (units of the data
        squared) and ``explained_variance_ratio``; remaining dims are kept.
    """
    cov, _, n, dims = _covariance(data, sample_dims, feature_dim)
    other = f"{feature_dim}_2"
    if cov.chunks is not None:
        cov = cov.chunk({feature_dim: -1, other: -1})
    size = cov.sizes[feature_dim]
    eig = xr.apply_ufunc(
        _descending_eigvalsh,
        cov.drop_vars([c for c in cov.coords if set(cov[c].dims) & {feature_dim, other}]),
        input_core_dims=[[feature_dim, other]],
        output_core_dims=[["component"]],
        dask="parallelized",
        output_dtypes=[float],
        dask_gufunc_kwargs={"output_sizes": {"component": size}},
    )
    eig = eig.assign_coords(component=np.arange(1, size + 1))
    out = xr.Dataset(
        {"variance": eig, "explained_variance_ratio": eig / eig.sum("component")}
    )
    out.attrs = {"n_samples": n}
    return with_provenance(out, "neuromop.analysis.pca_spectrum", sample_dims=dims,
                           feature_dim=feature_dim)
