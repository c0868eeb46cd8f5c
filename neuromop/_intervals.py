"""Means with Student-t intervals over a named dim, and distances to a published reference.

Private helpers of the studies: summaries over seeds (:mod:`neuromop.studies.seeds`) and the
package's numbers beside the MOP paper authors' (:mod:`neuromop.mdp.paper`).
"""

from __future__ import annotations

import numpy as np
import xarray as xr
from scipy import stats

__all__ = ["interval_rows", "mean_interval", "reference_z"]


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
