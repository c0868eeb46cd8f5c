"""Provenance records attached to every result's ``attrs``."""

from __future__ import annotations

import datetime as _dt
import json
import platform
from typing import Any

import numpy as np

__all__ = ["provenance"]


def _jsonable(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, np.ndarray):
        return value.tolist() if value.size <= 64 else f"<array shape={value.shape}>"
    if value is None or isinstance(value, bool | int | float | str):
        return value
    return repr(value)


def provenance(function: str, **parameters: Any) -> dict[str, str]:
    """Return ``attrs`` entries that say how a result was made.

    Values are strings or numbers so that they survive a netCDF round trip.

    Parameters
    ----------
    function : str
        Qualified name of the function or command that produced the result.
    **parameters
        Parameters of the call (seed included); serialised as JSON.
    """
    from neuromop import __version__

    return {
        "neuromop_version": __version__,
        "created_by": function,
        "parameters": json.dumps(_jsonable(parameters), sort_keys=True),
        "created_at": _dt.datetime.now(_dt.UTC).isoformat(timespec="seconds"),
        "python": platform.python_version(),
    }
