"""Atomic file writing: a result file is either complete or absent, never half-written."""

from __future__ import annotations

import contextlib
import json
import math
import os
import pickle
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

__all__ = ["TEMP_MARK", "atomic_path", "json_safe", "load_torch_safe", "remove_orphans",
           "save_torch_atomic", "write_json_atomic", "write_netcdf_atomic"]


#: Part of the name of every temporary file :func:`atomic_path` writes (``.<name>.tmp-<random>``):
#: one left by a killed process can be recognised and removed (:func:`remove_orphans`).
TEMP_MARK = ".tmp-"


def remove_orphans(folder: str | os.PathLike) -> list[Path]:
    """Delete the temporary files that killed writers left in ``folder`` (and below).

    Only for folders one process owns (a study's output folder): a concurrent writer's
    temporary file would be removed too. Returns the paths removed.
    """
    removed = []
    for path in Path(folder).rglob(f".*{TEMP_MARK}*"):
        if path.is_file():
            path.unlink()
            removed.append(path)
    return removed


@contextlib.contextmanager
def atomic_path(path: str | os.PathLike, suffix: str | None = None) -> Iterator[Path]:
    """Yield a temporary path next to ``path``; move it onto ``path`` only if the block succeeds.

    Parameters
    ----------
    path : path-like
        Final destination. Parent folders are created.
    suffix : str, optional
        Suffix for the temporary file (some writers infer the format from it); defaults to the
        destination's suffix.
    """
    dest = Path(path)
    dest.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(
        prefix=f".{dest.name}{TEMP_MARK}", suffix=suffix if suffix is not None else dest.suffix,
        dir=dest.parent,
    )
    os.close(fd)
    tmp_path = Path(tmp)
    try:
        yield tmp_path
        if tmp_path.is_file():
            # mkstemp creates 0600 files; give results the usual permissions (rw-r--r--).
            os.chmod(tmp_path, 0o644)
        os.replace(tmp_path, dest)
    finally:
        if tmp_path.exists():
            tmp_path.unlink()


def _write_with(path: str | os.PathLike, writer: Callable[[Path], Any]) -> Path:
    with atomic_path(path) as tmp:
        writer(tmp)
    return Path(path)


def json_safe(obj: Any) -> Any:
    """``obj`` as standard JSON values: NaN and infinities become ``null`` (JSON has no NaN),
    numpy scalars and arrays become numbers and lists, tuples become lists."""
    if isinstance(obj, dict):
        return {str(k): json_safe(v) for k, v in obj.items()}
    if isinstance(obj, list | tuple):
        return [json_safe(v) for v in obj]
    if hasattr(obj, "tolist") and not isinstance(obj, str):  # numpy scalars and arrays
        return json_safe(obj.tolist())
    if isinstance(obj, float) and not math.isfinite(obj):
        return None
    return obj


def write_json_atomic(path: str | os.PathLike, obj: Any) -> Path:
    """Write ``obj`` as indented, standard JSON to ``path`` atomically (see :func:`json_safe`;
    objects JSON cannot hold are written as their ``str``)."""
    text = json.dumps(json_safe(obj), indent=2, sort_keys=True, allow_nan=False, default=str)
    return _write_with(path, lambda p: p.write_text(text))


def write_netcdf_atomic(ds, path: str | os.PathLike) -> Path:
    """Write an ``xarray.Dataset`` to netCDF (h5netcdf engine) atomically."""
    return _write_with(path, lambda p: ds.to_netcdf(p, engine="h5netcdf"))


def save_torch_atomic(obj: Any, path: str | os.PathLike) -> Path:
    """``torch.save`` ``obj`` to ``path`` atomically (checkpoints survive interruption)."""
    import torch

    return _write_with(path, lambda p: torch.save(obj, p))


def load_torch_safe(path: str | os.PathLike, what: str = "file"):
    """``torch.load(path, weights_only=True)``: tensors, numbers, strings and containers only.

    A file handed in (a checkpoint in an output folder, a model) therefore cannot run code.

    Raises
    ------
    ValueError
        The file holds anything else, is truncated or is not a torch file; the message names
        ``what`` and the path and says how to start over.
    """
    import torch

    try:
        return torch.load(path, weights_only=True)
    except (pickle.UnpicklingError, EOFError, RuntimeError, ValueError, OSError) as exc:
        raise ValueError(f"{what} {path} cannot be read safely: it holds objects other than "
                         f"tensors, numbers and strings, or is damaged ({type(exc).__name__}); "
                         "delete it or start over (resume=False / --no-resume)") from None
