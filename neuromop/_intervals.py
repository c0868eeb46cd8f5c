"""Means with Student-t intervals over a named dim, distances to a published reference, and
Wilson intervals of proportions.

Private helpers of the studies: summaries over seeds (:mod:`neuromop.studies.seeds`) and the
package's numbers beside the MOP paper authors' (:mod:`neuromop.mdp.paper`);
:func:`wilson_interval` is public as :func:`neuromop.values.wilson_interval`.
"""

from __future__ import annotations

import numpy as np
import xarray as xr
from scipy import stats

from neuromop._checks import check_finite_array, check_real

__all__ = ["interval_rows", "mean_interval", "reference_z", "wilson_interval"]


def mean_interval(values: xr.DataArray, dim: str = "trial", level: float = 0.95) -> xr.Dataset:
    """Mean over ``dim`` with a Student-t interval (``level``) and the standard error.

    Returns
    -------
    xr.Dataset
        ``mean``, ``sem``, ``low``, ``high`` (the remaining dims of ``values``).
    """
    n = values.count(dim)
    mean = values.mean(dim)
    sem = values.std(dim, ddof=1) / np.sqrt(n)
    half = sem * stats.t.ppf(0.5 + level / 2, np.maximum(n - 1, 1))
    return xr.Dataset({"mean": mean, "sem": sem, "low": mean - half, "high": mean + half})


def reference_z(values: xr.DataArray, mean: xr.DataArray, sem: xr.DataArray,
                dim: str = "trial") -> xr.DataArray:
    """Standardised difference between the mean of ``values`` over ``dim`` and a reference
    (the authors' ``mean`` with standard error ``sem``).

    ``z = (mean(values) - mean) / sqrt(sem(values)^2 + sem^2)``; NaN where both standard errors
    are 0 (identical constants say nothing) or the reference is missing.
    """
    m = mean_interval(values, dim)
    se = np.sqrt(m["sem"] ** 2 + sem ** 2)
    return ((m["mean"] - mean) / se.where(se > 0)).rename("z")


def interval_rows(ds: xr.Dataset, dim: str, group: str, reference=None,
                  level: float = 0.95) -> list[dict]:
    """Mean and Student-t interval over ``dim`` of every variable with dims ``(dim, group)``,
    per label of ``group`` and, when ``reference`` is a label, of the paired differences
    ``reference - other``.

    Returns one row per (comparison, variable): ``comparison`` (the label or
    ``"<reference> - <other>"``), ``metric``, ``mean``, ``low``, ``high``, ``n`` (finite values)
    and ``values`` (comma-separated); comparisons without a finite value are left out and one
    value has NaN bounds.
    """
    names = [v for v in ds.data_vars if set(ds[v].dims) == {dim, group}]
    labels = ds[group].values.tolist()
    pairs = [(c, ds[n].sel({group: c}), n) for c in labels for n in names]
    if reference is not None:
        pairs += [(f"{reference} - {c}", ds[n].sel({group: reference}) - ds[n].sel({group: c}),
                   n) for c in labels if c != reference for n in names]
    rows = []
    for label, values, name in pairs:
        values = values.dropna(dim)
        n = int(values.sizes[dim])
        if n == 0:
            continue
        m = mean_interval(values, dim, level)
        low, high = (float(m["low"]), float(m["high"])) if n > 1 else (np.nan, np.nan)
        rows.append({"comparison": label, "metric": name, "mean": float(m["mean"]), "low": low,
                     "high": high, "n": n,
                     "values": ", ".join(f"{v:.6g}" for v in values.values)})
    return rows


def wilson_interval(successes, trials, level: float = 0.95) -> tuple[np.ndarray, np.ndarray]:
    """Wilson score interval of a binomial proportion (arrays broadcast; NaN where trials = 0).

    Parameters
    ----------
    successes, trials : array_like of int
        Counts, ``0 <= successes <= trials``.
    level : float
        Confidence level in (0, 1).

    Returns
    -------
    low, high : numpy.ndarray
    """
    k = check_finite_array("successes", successes)
    n = check_finite_array("trials", trials)
    level = check_real("level", level, low=0.0, high=1.0, low_inclusive=False,
                       high_inclusive=False)
    if np.any(k < 0) or np.any(k != np.round(k)):
        raise ValueError("successes must be non-negative integers")
    if np.any(n < 0) or np.any(n != np.round(n)):
        raise ValueError("trials must be non-negative integers")
    try:
        over = np.any(k > n)
    except ValueError:
        raise ValueError(f"successes and trials must broadcast, got shapes {k.shape} and "
                         f"{n.shape}") from None
    if over:
        raise ValueError("successes must not exceed trials")
    z = stats.norm.ppf(0.5 + level / 2)
    with np.errstate(invalid="ignore", divide="ignore"):
        p = k / n
        centre = (p + z**2 / (2 * n)) / (1 + z**2 / n)
        half = z * np.sqrt(p * (1 - p) / n + z**2 / (4 * n**2)) / (1 + z**2 / n)
    # rounding can put a bound a hair past the estimate (k = 0 or n): keep low <= p <= high
    return np.clip(np.minimum(centre - half, p), 0.0, 1.0), np.clip(np.maximum(centre + half, p),
                                                                    0.0, 1.0)
