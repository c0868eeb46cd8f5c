"""Means with Student-t intervals over a named dim, and distances to a published reference.

Private helpers of the studies that put the package's numbers beside the MOP paper authors'
(:mod:`neuromop.mdp.paper`).
"""

from __future__ import annotations

import numpy as np
import xarray as xr
from scipy import stats

__all__ = ["mean_interval", "reference_z"]


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
