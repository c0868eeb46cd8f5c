"""Lossless netCDF and zarr storage of contract datasets, metadata included.

netCDF attributes hold only strings, numbers and 1-D numeric arrays, and zarr attributes only
JSON; neither keeps tuples, numpy dtypes, ``None`` or booleans faithfully, and neither stores a
pandas MultiIndex or object coordinates of mixed types. :func:`save` encodes all of these (JSON
with type tags, under a reserved prefix) and :func:`load` decodes them, so that
``xarray.testing.assert_identical(load(save(ds, p)), ds)`` holds. Writes are atomic: the file or
folder is complete or absent, never half-written.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from pathlib import Path
from typing import Any

import numpy as np
import xarray as xr

from neuromop._checks import check_path
from neuromop._io import write_netcdf_atomic
from neuromop.data.schema import validate

__all__ = ["load", "save", "save_output"]

_PREFIX = "__neuromop_json__:"
_MULTIINDEX_ATTR = "_neuromop_multiindex"
_ELEMENTS_ATTR = "_neuromop_json_elements"
_NETCDF_SUFFIXES = (".nc", ".nc4", ".netcdf", ".h5", ".hdf5")


# ---------------------------------------------------------------------- value encoding
def _to_json(value: Any, where: str) -> Any:
    if value is None or isinstance(value, bool | str | float):
        return value
    if isinstance(value, int):
        return value
    if isinstance(value, np.ndarray):
        if value.dtype.kind not in "biufcUSO":
            raise TypeError(f"{where}: cannot store an array of dtype {value.dtype}")
        items = [_to_json(v, where) for v in value.ravel().tolist()] if value.dtype.kind == "O" \
            else value.ravel().tolist()
        if value.dtype.kind == "c":
            items = [[z.real, z.imag] for z in items]
        return {"__ndarray__": items, "dtype": value.dtype.str, "shape": list(value.shape)}
    if isinstance(value, np.generic):
        return {"__npscalar__": _to_json(np.asarray(value).reshape(1), where)}
    if isinstance(value, list):
        return [_to_json(v, where) for v in value]
    if isinstance(value, tuple):
        return {"__tuple__": [_to_json(v, where) for v in value]}
    if isinstance(value, dict):
        return {"__dict__": [[_to_json(k, where), _to_json(v, where)] for k, v in value.items()]}
    raise TypeError(
        f"{where}: cannot store a value of type {type(value).__name__} ({value!r}); use str, "
        "numbers, bool, None, lists, tuples, dicts or numpy arrays"
    )


def _from_json(value: Any) -> Any:
    if isinstance(value, list):
        return [_from_json(v) for v in value]
    if not isinstance(value, dict):
        return value
    if "__tuple__" in value:
        return tuple(_from_json(v) for v in value["__tuple__"])
    if "__dict__" in value:
        return {_freeze(_from_json(k)): _from_json(v) for k, v in value["__dict__"]}
    if "__npscalar__" in value:
        return _from_json(value["__npscalar__"])[0]
    if "__ndarray__" in value:
        dtype = np.dtype(value["dtype"])
        items = value["__ndarray__"]
        if dtype.kind == "O":
            arr = np.empty(len(items), dtype=object)
            arr[:] = [_from_json(v) for v in items]
        elif dtype.kind == "c":
            arr = np.array([complex(r, i) for r, i in items], dtype=dtype)
        else:
            arr = np.array(items, dtype=dtype)
        return arr.reshape(value["shape"])
    raise ValueError(f"unrecognised encoded value {value!r}")


def _freeze(key: Any) -> Any:
    return tuple(_freeze(k) for k in key) if isinstance(key, list | tuple) else key


def _native_ok(value: Any) -> bool:
    if isinstance(value, str):
        return not value.startswith(_PREFIX) and "\x00" not in value and _utf8_ok(value)
    if isinstance(value, bool):
        return False
    if isinstance(value, int):
        return -(2**63) <= value < 2**63
    return type(value) is float  # numpy scalars are tagged so that their dtype survives


def _utf8_ok(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _encode_attrs(attrs: dict, where: str) -> dict:
    out = {}
    for key, value in attrs.items():
        if not isinstance(key, str):
            raise TypeError(f"{where}: attribute names must be str, got {key!r}")
        if "\x00" in key or not key:
            raise ValueError(f"{where}: attribute names must be non-empty and free of NUL "
                             f"characters (netCDF would cut them), got {key!r}")
        if _native_ok(value):
            out[key] = value
        else:
            out[key] = _PREFIX + json.dumps(_to_json(value, f"{where}[{key!r}]"))
    return out


def _decode_attrs(attrs: dict) -> dict:
    out = {}
    for key, value in attrs.items():
        if isinstance(value, str) and value.startswith(_PREFIX):
            out[key] = _from_json(json.loads(value[len(_PREFIX):]))
        else:
            out[key] = value
    return out


# ---------------------------------------------------------------------- dataset encoding
def _encode(ds: xr.Dataset) -> xr.Dataset:
    if not isinstance(ds, xr.Dataset):
        raise TypeError(f"ds must be an xarray.Dataset, got {type(ds).__name__}")
    multi = {
        dim: list(index.index.names)
        for dim, index in ds.xindexes.items()
        if isinstance(index, xr.indexes.PandasMultiIndex) and dim in ds.dims
    }
    out = ds.reset_index(list(multi)) if multi else ds.copy()
    attrs = dict(ds.attrs)
    if _MULTIINDEX_ATTR in attrs:
        raise ValueError(f"attribute name {_MULTIINDEX_ATTR!r} is reserved")
    if multi:
        attrs[_MULTIINDEX_ATTR] = multi
    out.attrs = _encode_attrs(attrs, "attrs")
    for name in list(out.variables):
        var = out.variables[name]
        var_attrs = dict(var.attrs)
        data = var.values if var.dtype.kind == "O" else None
        if data is not None and not all(isinstance(v, str) and _utf8_ok(v) for v in data.ravel()):
            encoded = np.array(
                [json.dumps(_to_json(v, f"{name} element")) for v in data.ravel()], dtype=object
            ).reshape(data.shape)
            var_attrs[_ELEMENTS_ATTR] = 1
            var = var.copy(data=encoded)
        var = var.copy(deep=False)
        var.attrs = _encode_attrs(var_attrs, f"{name}.attrs")
        var.encoding = {}
        out[name] = var
    return out


def _decode(ds: xr.Dataset) -> xr.Dataset:
    ds.attrs = _decode_attrs(ds.attrs)
    multi = ds.attrs.pop(_MULTIINDEX_ATTR, {})
    for name in list(ds.variables):
        var = ds.variables[name]
        var.attrs = _decode_attrs(var.attrs)
        if var.attrs.pop(_ELEMENTS_ATTR, None):
            raw = np.asarray(var.values)
            decoded = np.empty(raw.size, dtype=object)
            decoded[:] = [_from_json(json.loads(v)) for v in raw.ravel()]
            new = xr.Variable(var.dims, decoded.reshape(raw.shape), attrs=var.attrs)
            if name in ds.indexes:
                ds = ds.assign_coords({name: new})
            else:
                ds[name] = new
    for dim, levels in multi.items():
        ds = ds.set_index({dim: list(levels)})
    return ds


# ---------------------------------------------------------------------- public API
def _format_of(path: Path, format: str | None) -> str:
    if format is not None:
        if format not in ("netcdf", "zarr"):
            raise ValueError(f"format must be 'netcdf' or 'zarr', got {format!r}")
        return format
    if path.suffix.lower() == ".zarr":
        return "zarr"
    if path.suffix.lower() in _NETCDF_SUFFIXES:
        return "netcdf"
    raise ValueError(
        f"cannot infer the format of {str(path)!r}: use a .nc or .zarr suffix or pass "
        "format='netcdf' | 'zarr'"
    )


def _is_zarr_store(path: Path) -> bool:
    return path.is_dir() and any((path / marker).exists()
                                 for marker in (".zgroup", ".zattrs", "zarr.json", ".zmetadata"))


def save(ds: xr.Dataset, path: str | os.PathLike, *, format: str | None = None) -> Path:
    """Write ``ds`` to netCDF (h5netcdf engine) or zarr, atomically and without loss.

    Parameters
    ----------
    ds : xarray.Dataset
        Any dataset; attrs may hold str, numbers, bool, None, lists, tuples, dicts and numpy
        arrays; coordinates may be a MultiIndex or objects of mixed type.
    path : path-like
        Destination; ``.nc`` (or ``.nc4``/``.h5``) → netCDF, ``.zarr`` → a zarr folder.
    format : {"netcdf", "zarr"}, optional
        Overrides the suffix.

    Returns
    -------
    pathlib.Path
        ``path``.

    Raises
    ------
    ValueError
        ``path`` exists and is something else than what would be written (a folder that is not
        a zarr store, a folder where a netCDF file was asked for): nothing is deleted.
    """
    path = check_path("path", path)
    fmt = _format_of(path, format)
    if fmt == "zarr" and path.exists() and not _is_zarr_store(path):
        raise ValueError(f"path {path} exists and is not a zarr store; refusing to replace it "
                         "(remove it or choose another path)")
    if fmt == "netcdf" and path.is_dir():
        raise ValueError(f"path {path} is a folder; give a file name ending in .nc")
    encoded = _encode(ds)
    if fmt == "netcdf":
        return write_netcdf_atomic(encoded, path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent))
    try:
        encoded.to_zarr(tmp, mode="w", consolidated=True, zarr_format=2)
        if path.exists():
            backup = Path(tempfile.mkdtemp(prefix=f".{path.name}.", suffix=".old", dir=path.parent))
            os.replace(path, backup / "old")
            os.replace(tmp, path)
            shutil.rmtree(backup)
        else:
            os.replace(tmp, path)
    finally:
        if tmp.exists():
            shutil.rmtree(tmp)
    return path


def save_output(ds: xr.Dataset, path: str | os.PathLike, *, source: str,
                provenance: dict | None = None) -> Path:
    """Write a dataset the package produced, after checking it against its contract.

    Every file that ``neuromop run``, ``mdp`` and ``analyze`` write goes through here, so that it
    passes :func:`~neuromop.data.schema.validate` (the kind picked by
    :func:`~neuromop.data.schema.dataset_kind`) and can be read back by :func:`load` and
    ``neuromop analyze variability``.

    Parameters
    ----------
    ds : xarray.Dataset
        The output; its ``attrs`` are completed in place with ``source`` and ``provenance`` keys
        it does not already have.
    path : path-like
        Destination (``.nc`` or ``.zarr``), written atomically by :func:`save`.
    source : str
        What produced the data (e.g. ``"neuromop run energy"``), the ``source`` attribute
        unless the dataset already names one.
    provenance : dict, optional
        Provenance entries (``created_by``, ``neuromop_version``, ``parameters`` ...) used for the
        keys the dataset lacks.

    Returns
    -------
    pathlib.Path

    Raises
    ------
    ValidationError
        If the dataset breaks its contract; nothing is written.
    """
    if not isinstance(ds, xr.Dataset):
        raise TypeError(f"ds must be an xarray.Dataset, got {type(ds).__name__}")
    path = check_path("path", path)
    if provenance is not None and not isinstance(provenance, dict):
        raise TypeError(f"provenance must be a dict or None, got {type(provenance).__name__}")
    for key, value in (provenance or {}).items():
        if not isinstance(key, str) or not key or "\x00" in key:
            raise TypeError(f"provenance keys must be non-empty str without NUL, got {key!r}")
        _to_json(value, f"provenance[{key!r}]")  # storable, or an error naming it
        ds.attrs.setdefault(key, value)
    ds.attrs.setdefault("source", source)
    for var in (ds, *ds.variables.values()):  # plain numbers, readable by any netCDF tool
        var.attrs = {k: v.item() if isinstance(v, np.generic) else v
                     for k, v in var.attrs.items()}
    validate(ds, kind="auto")
    return save(ds, path)


def load(path: str | os.PathLike, *, format: str | None = None, chunks: Any = None) -> xr.Dataset:
    """Read a dataset written by :func:`save` (or any netCDF/zarr store).

    Parameters
    ----------
    path : path-like
        A ``.nc`` file or ``.zarr`` folder.
    format : {"netcdf", "zarr"}, optional
        Overrides the suffix.
    chunks : None, int, dict or "auto"
        ``None`` loads everything into memory and closes the file; otherwise the variables are
        dask arrays with these chunks (for data larger than memory).

    Returns
    -------
    xarray.Dataset
        With the attributes, MultiIndexes and object coordinates restored. Variables whose
        ``units`` look like time units are not converted to timedeltas.
    """
    path = check_path("path", path)
    fmt = _format_of(path, format)
    if not path.exists():
        raise FileNotFoundError(f"no dataset at {path}")
    kwargs = {"decode_timedelta": False, "chunks": chunks}
    try:
        if fmt == "netcdf":
            opened = xr.open_dataset(path, engine="h5netcdf", **kwargs)
        else:
            opened = xr.open_zarr(path, **kwargs)
    except (OSError, ValueError, KeyError) as exc:  # empty, truncated or not this format
        raise ValueError(f"cannot read {path} as a {fmt} dataset: {exc}") from None
    if chunks is None:
        with opened:
            ds = opened.load()
    else:
        ds = opened
    return _decode(ds)
