"""Where the shared recorded datasets are found."""

from __future__ import annotations

import os
from pathlib import Path

__all__ = ["shared_datasets_dir"]

_PROJECT_ROOT = Path(__file__).resolve().parents[2]


def shared_datasets_dir(subfolder: str | None = None) -> Path:
    """Return the folder of the shared recorded datasets (or one of its sub-folders).

    Search order: the environment variable ``NEUROMOP_DATA``; ``../shared/datasets`` relative to
    the project root (the folder holding the ``neuromop`` package); ``../shared/datasets``
    relative to the current working directory.

    Parameters
    ----------
    subfolder : str, optional
        E.g. ``"padoa_ofc"``; it must exist inside the datasets folder.

    Raises
    ------
    FileNotFoundError
        When no candidate folder exists, listing the places searched.
    """
    if subfolder is not None and not isinstance(subfolder, str):
        raise TypeError(f"subfolder must be a str, got {type(subfolder).__name__}")
    env = os.environ.get("NEUROMOP_DATA")
    if env:
        candidates = [Path(env)]
    else:
        candidates = [_PROJECT_ROOT.parent / "shared" / "datasets",
                      Path.cwd().parent / "shared" / "datasets"]
    for base in candidates:
        if base.is_dir():
            path = base / subfolder if subfolder else base
            if not path.is_dir():
                raise FileNotFoundError(f"dataset folder {subfolder!r} not found in {base}")
            return path
    where = ", ".join(str(c) for c in candidates)
    raise FileNotFoundError(
        f"shared datasets folder not found (searched: {where}); set the environment variable "
        "NEUROMOP_DATA to the folder holding padoa_ofc/, pynapple_hd/ and ibl_behavior/"
    )
