"""Provenance records attached to every result's ``attrs``."""

from __future__ import annotations

import datetime as _dt
import functools
import json
import platform
import subprocess
from pathlib import Path
from typing import Any

import numpy as np

from neuromop._version import __version__

__all__ = ["git_commit", "provenance"]


@functools.lru_cache(maxsize=1)
def git_commit() -> str:
    """The git commit of the package's source tree (``+dirty`` if it has uncommitted changes).

    ``"unknown"`` when the package is not in a git checkout (an installed wheel) or git is
    missing.
    """
    root = Path(__file__).resolve().parent.parent
    try:
        head = subprocess.run(["git", "-C", str(root), "rev-parse", "HEAD"], capture_output=True,
                              text=True, timeout=5, check=True).stdout.strip()
        dirty = subprocess.run(["git", "-C", str(root), "status", "--porcelain",
                                "--untracked-files=no", "--", "neuromop"],
                               capture_output=True, text=True, timeout=5, check=True).stdout
    except (OSError, subprocess.SubprocessError):
        return "unknown"
    return head + ("+dirty" if dirty.strip() else "")


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

    return {
        "neuromop_version": __version__,
        "neuromop_commit": git_commit(),
        "created_by": function,
        "parameters": json.dumps(_jsonable(parameters), sort_keys=True),
        "created_at": _dt.datetime.now(_dt.UTC).isoformat(timespec="seconds"),
        "python": platform.python_version(),
    }
