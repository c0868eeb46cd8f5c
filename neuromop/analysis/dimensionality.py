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
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable

import numpy as np
import xarray as xr

from neuromop._checks import check_choice
from neuromop.analysis._reduce import activity, check_dims, check_values, with_provenance

__all__ = ["participation_ratio", "pca_spectrum"]


def _covariance(data, sample_dims, feature_dim: str) -> tuple[xr.DataArray, int, list]:
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
    other = f"{feature_dim}_2"
    cov = xr.apply_ufunc(
        _cov_core,
        da.astype(float),
        input_core_dims=[[*sample_dims, feature_dim]],
        output_core_dims=[[feature_dim, other]],
        dask="allowed",
        kwargs={"n_sample_axes": len(sample_dims)},
    )
    along = [c for c in da.coords if da[c].dims == (feature_dim,)]
    cov = cov.assign_coords({(other if c == feature_dim else f"{c}_2"): (other, da[c].values)
                             for c in along})
    return cov.rename("covariance"), n, list(sample_dims)


def _cov_core(x, n_sample_axes: int):
    """Sample covariance (ddof=1) over the ``n_sample_axes`` axes before the last axis."""
    shape = x.shape
    n = int(np.prod(shape[-1 - n_sample_axes:-1]))
    x = x.reshape(*shape[: -1 - n_sample_axes], n, shape[-1])
    xc = x - x.mean(axis=-2, keepdims=True)
    return (xc.swapaxes(-1, -2) @ xc) / (n - 1)


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
    """
    if not isinstance(corrected, bool):
        raise TypeError(f"corrected must be a bool, got {corrected!r}")
    check_choice("method", method, ("unbiased", "gaussian"))
    cov, n, dims = _covariance(data, sample_dims, feature_dim)
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
        t4 = _fourth_moment_sum(data, dims, feature_dim)
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


def _fourth_moment_sum(data, sample_dims, feature_dim: str) -> xr.DataArray:
    """``Σ_i |y_i|⁴`` over the samples, ``y_i`` the samples minus their mean (lazy on dask)."""
    da = activity(data).astype(float)
    centred = da - da.mean(sample_dims)
    return ((centred**2).sum(feature_dim) ** 2).sum(sample_dims)


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
    cov, n, dims = _covariance(data, sample_dims, feature_dim)
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
