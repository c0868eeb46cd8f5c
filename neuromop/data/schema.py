"""The neuromop dataset contract and its validator.

Binned activity is an ``xarray.Dataset`` with dims ``(trial, time, neuron)`` in that order, ``time``
in seconds at bin centres, one activity variable (``counts`` — non-negative integers — or
``rate``/``activity`` — floats), trial/neuron metadata as extra coordinates, and ``attrs`` with
``units``, ``bin_width`` (s) and ``source``. See ``validate``.
"""

from __future__ import annotations

import xarray as xr

__all__ = ["ACTIVITY_VARIABLES", "ValidationError", "activity_variable"]

#: Names an activity variable may take, in order of preference.
ACTIVITY_VARIABLES = ("counts", "rate", "activity")


class ValidationError(ValueError):
    """A dataset does not follow the neuromop contract; ``.problems`` lists every violation."""

    def __init__(self, problems: list[str], kind: str = "binned"):
        self.problems = list(problems)
        lines = "\n".join(f"  - {p}" for p in self.problems)
        super().__init__(
            f"dataset does not follow the neuromop '{kind}' schema "
            f"({len(self.problems)} problem(s)):\n{lines}"
        )


def activity_variable(data: xr.Dataset | xr.DataArray) -> xr.DataArray:
    """Return the single activity variable of ``data``.

    Parameters
    ----------
    data : xarray.Dataset or xarray.DataArray
        A DataArray is returned unchanged; a Dataset must hold exactly one of the variables
        ``counts``, ``rate`` or ``activity``.

    Returns
    -------
    xarray.DataArray

    Raises
    ------
    TypeError
        If ``data`` is neither a Dataset nor a DataArray.
    ValueError
        If the Dataset holds none or several activity variables.
    """
    if isinstance(data, xr.DataArray):
        return data
    if not isinstance(data, xr.Dataset):
        raise TypeError(
            f"data must be an xarray.Dataset or xarray.DataArray, got {type(data).__name__}"
        )
    found = [name for name in ACTIVITY_VARIABLES if name in data.data_vars]
    if len(found) == 1:
        return data[found[0]]
    if not found:
        raise ValueError(
            "data must contain exactly one activity variable among "
            f"{list(ACTIVITY_VARIABLES)}, found none (data variables: {list(data.data_vars)}); "
            "pass the DataArray itself, e.g. ds['my_variable']"
        )
    raise ValueError(
        "data must contain exactly one activity variable among "
        f"{list(ACTIVITY_VARIABLES)}, found several: {found}; pass the one you mean, "
        f"e.g. ds[{found[0]!r}]"
    )
