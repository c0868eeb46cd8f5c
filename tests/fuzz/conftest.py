"""The fuzz suite's contract and its catalogue of malformed values (issue 18).

A public call fed one malformed argument must either succeed with finite output, or raise
``TypeError``/``ValueError`` (package exceptions derive from them) from inside ``neuromop``,
with a message naming the argument (or, for datasets, what is wrong with them). A case may
also accept ``OSError`` for a path, or a ``RuntimeError`` that reports a diverging training run.
Anything else -- ``AttributeError``, ``IndexError``, ``KeyError``, an error from deep inside
numpy/xarray/torch, a NaN result, a call that hangs -- is a finding.

Helpers reach the test modules through the session fixture ``fuzz`` (the test folders are not
packages, so test modules cannot import each other).
"""

from __future__ import annotations

import dataclasses
import math
import signal
import types
import warnings
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
import xarray as xr
from hypothesis import HealthCheck, Phase, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import neuromop

PACKAGE_DIR = str(Path(neuromop.__file__).resolve().parent)

#: Deterministic and without shrinking, so that an ``xfail(strict=True)`` case fails on every run.
#: The canonical values of a catalogue are few: hypothesis draws each exactly once and stops
#: (it never repeats a value of a small ``sampled_from``), so ``max_examples`` is only a cap.
_COMMON = dict(deadline=None, derandomize=True, database=None,
               phases=(Phase.explicit, Phase.generate), print_blob=False,
               suppress_health_check=list(HealthCheck))
settings.register_profile("neuromop-fuzz", settings(max_examples=64, **_COMMON))
#: Values hypothesis generates on top (random floats, ints, text, arrays, datasets): a few per
#: argument keep the folder under a minute on one core.
settings.register_profile("neuromop-fuzz-generated", settings(max_examples=3, **_COMMON))
#: CPU seconds one call may take before it counts as a hang (CPU time, not wall time: the
#: machine may be busy with other work).
TIMEOUT = 10.0


class Opaque:
    """An object no function should accept in place of a number, array or dataset."""

    def __repr__(self) -> str:
        return "<Opaque>"


OPAQUE = Opaque()
NAN, INF = math.nan, math.inf

#: Not a number at all.
NON_NUMBERS = (None, "1", [1.0], OPAQUE)
#: Huge, tiny, non-finite, negative, zero, boolean and vector values of a real argument.
REAL = NON_NUMBERS + (1 + 1j, NAN, INF, -INF, -1.0, 0.0, 1e-300, 1e300, True,
                      np.array([1.0, 2.0]))
INT = NON_NUMBERS + (NAN, 2.5, -1, 0, True, np.int64(-2), 2**64)
#: Loop counts: as ``INT`` without the huge positive count (which is only a long run).
STEPS = INT[:-1]
PROB = NON_NUMBERS + (NAN, INF, -0.1, 1.5, True)
CHOICE = (None, "", "bogus", 1, ["x"], OPAQUE)
NAME = (None, "", "bogus_name", 1, ["x"], OPAQUE)
DIMS = ("trials", "", None, 3, ["trial", "bogus"], ("trial", "trial"), OPAQUE, [], {"trial": 1})
RANDOM_STATE = ("seed", -1, 2.5, NAN, [1, -2], OPAQUE, np.random.RandomState(0), 2**200)
BOOL = ("yes", None, 2, NAN, OPAQUE)
OBJECT = (None, "x", 3, OPAQUE, [], np.zeros(3))
PAIR = (None, "ab", (1.0,), (0.6, 0.1), (NAN, 0.5), (0.0, INF), (0.1, 0.1), (0.0, 0.1, 0.2), 0.5,
        ("a", "b"), (-INF, 0.0), OPAQUE, (0.0, 1e300), (-1e300, 1e300))
SIZES = (None, "64", (), (0,), (-1,), (2.5,), (OPAQUE,), (NAN,), "abc", OPAQUE)
MAPPING = (None, "x", [], 3, OPAQUE, {1: 2}, {"x": OPAQUE})

_FLOATS = st.floats(allow_nan=True, allow_infinity=True)
_NEGATIVE_OR_ODD = st.one_of(st.integers(max_value=0), _FLOATS.filter(lambda x: x != int(x)
                                                                       if math.isfinite(x)
                                                                       else True))
#: Generated values added to each catalogue (the canonical values come first).
EXTRA = {
    "real": _FLOATS,
    "size_real": st.one_of(st.floats(max_value=1e-3), st.just(NAN)),
    "int": _NEGATIVE_OR_ODD,
    "steps": _NEGATIVE_OR_ODD,
    "prob": _FLOATS,
    "choice": st.text(max_size=4),
    "name": st.text(max_size=6),
    "dims": st.one_of(st.text(max_size=6), st.lists(st.text(max_size=4), max_size=3)),
    "random_state": st.one_of(st.integers(max_value=-1), _FLOATS),
    "pair": st.tuples(_FLOATS, _FLOATS),
}
CATALOGUE = {"real": REAL, "size_real": REAL, "int": INT, "steps": STEPS, "prob": PROB,
             "choice": CHOICE, "name": NAME, "dims": DIMS, "random_state": RANDOM_STATE,
             "bool": BOOL, "object": OBJECT, "pair": PAIR, "sizes": SIZES, "mapping": MAPPING}


# ---------------------------------------------------------------------- corrupted values
def _nan_at(arr: np.ndarray, value: float = NAN) -> np.ndarray:
    out = np.array(arr, dtype=float, copy=True)
    if out.size:
        out.flat[out.size // 2] = value
    return out


def array_variants(valid: np.ndarray) -> list:
    """Malformed versions of a valid numeric array."""
    valid = np.asarray(np.zeros(3) if valid is None or isinstance(valid, str) else valid)
    negative = -np.asarray(valid, dtype=float) - 1
    out = [None, "abc", [], np.array([]), _nan_at(valid), _nan_at(valid, INF), negative,
           valid[..., None], np.float64(1.5), np.full(valid.shape, "x"), OPAQUE,
           np.asarray(valid, dtype=float) * 1e300, [[1.0, 2.0], [3.0]]]
    if valid.ndim >= 1 and valid.shape[0] > 1:
        out += [valid[:1], valid.ravel()[:-1] if valid.ndim == 1 else valid.ravel()]
    if valid.ndim >= 2:
        out.append(np.swapaxes(valid, 0, -1))
    obj = valid.astype(object)
    if obj.size:
        obj.flat[0] = "x"
        out.append(obj)
    return out


def _rename_first_dim(data):
    dim = list(data.dims)[0]
    return data.rename({dim: f"{dim}s"})


def _as_float_with(ds, value):
    def corrupt(da):
        if da.ndim == 0 or da.dtype.kind not in "iuf":
            return da
        return da.copy(data=_nan_at(da.values, value))

    if isinstance(ds, xr.DataArray):
        return corrupt(ds)
    return ds.map(corrupt, keep_attrs=True).assign_attrs(ds.attrs)


def _negated(ds):
    if isinstance(ds, xr.DataArray):
        return -ds - 1 if ds.dtype.kind in "iuf" else ds
    return ds.map(lambda da: -da - 1 if da.dtype.kind in "iuf" else da,
                  keep_attrs=True).assign_attrs(ds.attrs)


def _empty_along(data, dim):
    return data.isel({dim: slice(0, 0)}) if dim in data.dims else data


def _first_only(data, dim):
    return data.isel({dim: slice(0, 1)}) if dim in data.dims else data


def _drop_attrs(data):
    out = data.copy()
    out.attrs = {}
    if isinstance(out, xr.Dataset):
        for name in out.data_vars:
            out[name].attrs = {}
    return out


def _bad_time(data):
    if "time" not in data.coords or data.sizes.get("time", 0) < 2:
        return data
    t = np.array(data["time"].values, dtype=float, copy=True)
    t[1], t[0] = t[0], t[1]
    return data.assign_coords(time=t)


def _without_time_coord(data):
    return data.drop_vars("time") if "time" in data.coords else data


def _string_values(data):
    if isinstance(data, xr.DataArray):
        return data.copy(data=np.full(data.shape, "x"))
    name = next(iter(data.data_vars))
    return data.assign({name: data[name].copy(data=np.full(data[name].shape, "x"))})


def _other_type(data):
    if isinstance(data, xr.Dataset):
        return data[next(iter(data.data_vars))]
    return data.to_dataset(name=data.name or "counts")


def xarray_variants(valid) -> list:
    """Malformed versions of a valid Dataset or DataArray."""
    out = [None, "abc", OPAQUE, np.asarray(_first_array(valid)), xr.Dataset(), xr.DataArray(1.0),
           _other_type(valid), _as_float_with(valid, NAN), _as_float_with(valid, INF),
           _as_float_with(valid, 1e300), _negated(valid), _rename_first_dim(valid),
           valid.transpose(*reversed(list(valid.dims))), _drop_attrs(valid), _bad_time(valid),
           _without_time_coord(valid), _string_values(valid), _as_float_with(valid, 0.5)]
    for dim in ("trial", "time", "neuron"):
        out += [_empty_along(valid, dim), _first_only(valid, dim)]
    return out


def _first_array(data):
    if isinstance(data, xr.Dataset):
        return data[next(iter(data.data_vars))].values
    return data.values


def frame_variants(valid: pd.DataFrame) -> list:
    """Malformed versions of a valid DataFrame."""
    first = valid.columns[0]
    nan = valid.copy()
    nan[first] = nan[first].astype(float)
    nan.iloc[len(nan) // 2, 0] = NAN
    neg = valid.copy()
    neg[first] = -neg[first].astype(float) - 1
    text = valid.copy()
    text[first] = "x"
    return [None, "abc", OPAQUE, pd.DataFrame(), valid.iloc[:0], valid.drop(columns=[first]),
            valid.rename(columns={first: f"{first}s"}), nan, neg, text, valid.to_numpy(),
            valid.to_dict()]


def variants(kind: str, valid: Any) -> list:
    """The canonical malformed values of ``kind`` (derived from ``valid`` where needed)."""
    if kind == "array":
        return array_variants(valid)
    if kind == "xarray":
        return xarray_variants(valid)
    if kind == "frame":
        return frame_variants(valid)
    return list(CATALOGUE[kind])


def _hypothesis_xarray(valid):
    """Random small count-like arrays wrapped with the valid object's dims and attrs."""
    da = valid[next(iter(valid.data_vars))] if isinstance(valid, xr.Dataset) else valid
    shape = hnp.array_shapes(min_dims=da.ndim, max_dims=da.ndim, min_side=0, max_side=4)
    elements = st.one_of(st.integers(-3, 10**6).map(float), _FLOATS)

    def wrap(values):
        out = xr.DataArray(values, dims=da.dims, attrs=dict(da.attrs), name=da.name)
        if "time" in da.dims and values.shape[da.dims.index("time")] > 0:
            width = float(da.attrs.get("bin_width", valid.attrs.get("bin_width", 0.05)))
            out = out.assign_coords(time=(np.arange(out.sizes["time"]) + 0.5) * width)
        if isinstance(valid, xr.Dataset):
            return out.to_dataset(name=da.name or "counts").assign_attrs(valid.attrs)
        return out

    return hnp.arrays(np.float64, shape, elements=elements).map(wrap)


def strategies(kind, valid: Any = None):
    """``(canonical, generated)`` hypothesis strategies of malformed values of ``kind``.

    ``kind`` is a catalogue name or an explicit tuple of values; ``generated`` is ``None`` when
    the kind has only canonical values.
    """
    if isinstance(kind, tuple):
        return st.sampled_from(kind), None
    canonical = st.sampled_from(variants(kind, valid))
    if kind == "array":
        shapes = hnp.array_shapes(min_dims=0, max_dims=3, min_side=0, max_side=3)
        return canonical, hnp.arrays(np.float64, shapes, elements=_FLOATS)
    if kind == "xarray":
        return canonical, _hypothesis_xarray(valid)
    return canonical, EXTRA.get(kind)


# ---------------------------------------------------------------------- the contract
class Hang(Exception):  # noqa: N818 (a finding, not an error condition of the library)
    """A call ran longer than :data:`TIMEOUT`."""


def _on_alarm(signum, frame):
    raise Hang(f"call still running after {TIMEOUT} CPU seconds")


def _frames(exc: BaseException) -> list:
    """(file, line, function) of the frames ``exc`` went through, outermost first."""
    out, tb = [], exc.__traceback__
    while tb is not None:
        code = tb.tb_frame.f_code
        out.append((code.co_filename, tb.tb_lineno, code.co_name))
        tb = tb.tb_next
    return out


def _raised_in_package(exc: BaseException) -> bool:
    frames = _frames(exc)
    return bool(frames) and frames[-1][0].startswith(PACKAGE_DIR)


def _where(exc: BaseException) -> str:
    """Where ``exc`` was raised: the deepest neuromop frame, and the deepest frame if other."""
    frames = _frames(exc)
    ours = [f for f in frames if f[0].startswith(PACKAGE_DIR)]
    text = [f"{f[0].split('site-packages/')[-1]}:{f[1]} in {f[2]}" for f in (ours[-1:]
                                                                          + frames[-1:])]
    return " -> ".join(dict.fromkeys(text))


def _named(message: str, words) -> bool:
    text = message.lower()
    return any(str(w).lower() in text for w in words if w)


def _children(obj) -> list:
    """(label, value) of the parts of a container result (dict, list, dataclass)."""
    if isinstance(obj, Mapping):
        return [(f"[{key!r}]", value) for key, value in obj.items()]
    if isinstance(obj, list | tuple):
        return [(f"[{i}]", value) for i, value in enumerate(obj)]
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        return [(f".{f.name}", getattr(obj, f.name)) for f in dataclasses.fields(obj)]
    return []


def _numeric_leaves(obj, depth=0):
    """Every numeric array or number inside a result (datasets, frames, dicts, dataclasses)."""
    if isinstance(obj, xr.Dataset):
        yield from ((f"variable {name!r}", da.values) for name, da in obj.data_vars.items())
    elif isinstance(obj, xr.DataArray):
        yield f"DataArray {obj.name!r}", obj.values
    elif isinstance(obj, np.ndarray | np.generic | float):
        yield "array", np.asarray(obj)
    elif isinstance(obj, pd.DataFrame):
        yield from ((f"column {col!r}", obj[col].to_numpy()) for col in obj.columns)
    elif isinstance(obj, pd.Series):
        yield "series", obj.to_numpy()
    elif depth < 4:
        for label, value in _children(obj):
            for where, leaf in _numeric_leaves(value, depth + 1):
                yield f"{label} {where}", leaf


#: numpy's own warnings: they do not tell a user which result is NaN and why.
_GENERIC_WARNINGS = ("invalid value encountered", "divide by zero", "mean of empty slice",
                     "degrees of freedom", "overflow encountered", "all-nan")


def _explained(caught) -> bool:
    """Whether a warning of the package announced NaN values."""
    for w in caught:
        text = str(w.message).lower()
        if "nan" in text and not any(g in text for g in _GENERIC_WARNINGS):
            return True
    return False


def check_output(out, nan_ok=False, caught=()) -> None:
    """A result must hold no NaN or +inf unless documented (``nan_ok``: ``True``, or the names
    of the variables/columns documented to hold NaN) or announced by a warning of the package
    (``-inf`` is the package's log 0, e.g. Q of an inadmissible action)."""
    if nan_ok is True or _explained(caught):
        return
    documented = tuple(nan_ok or ())  # names of results documented to hold NaN
    for where, values in _numeric_leaves(out):
        if any(repr(name) in where for name in documented):
            continue
        if values.dtype.kind in "fc" and np.any(np.isnan(values) | (values == INF)):
            raise AssertionError(f"silent NaN/inf in the result: {where}")


def _problem(exc: BaseException, arg: str, aliases, allow) -> str | None:
    """What is wrong with ``exc`` as the answer to a malformed ``arg`` (``None``: nothing)."""
    message = f"{type(exc).__name__}: {exc}"
    if isinstance(exc, OSError) and allow and exc.filename is not None:
        return None  # the operating system's answer about a path, which it names
    if not _raised_in_package(exc):
        return f"error from outside neuromop: {message}"
    words = (arg, arg.replace("_", "-"), arg.replace("_", " "), *aliases)
    if not _named(str(exc), words):
        return f"message does not name {arg!r}: {message}"
    return None


def check(call: Callable[[], Any], arg: str, *, aliases=(), nan_ok: bool = False,
          allow=()) -> Any:
    """Run ``call`` under the contract; ``arg`` names the corrupted argument.

    ``allow`` lists extra exception types that are a correct answer (e.g. ``OSError`` for a
    path). Returns the result, or ``None`` when the call raised as it should.
    """
    __tracebackhide__ = True
    previous = signal.signal(signal.SIGPROF, _on_alarm)
    signal.setitimer(signal.ITIMER_PROF, TIMEOUT)
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            out = call()
    except (TypeError, ValueError, *allow) as exc:
        problem = _problem(exc, arg, aliases, allow)
        if problem is None:
            return None
        failure = f"{problem} [raised at {_where(exc)}]"
    except Exception as exc:  # any other exception is a finding: reported, not swallowed
        failure = f"{type(exc).__name__}: {exc} [raised at {_where(exc)}]"
    else:
        failure = None
    finally:
        signal.setitimer(signal.ITIMER_PROF, 0)
        signal.signal(signal.SIGPROF, previous)
    if failure is not None:
        # a short report: formatting the traceback through numpy/xarray sources costs ~0.5 s
        raise AssertionError(failure) from None
    check_output(out, nan_ok, caught)
    return out


@pytest.fixture(scope="session")
def fuzz():
    """The helpers of this module, for the test modules of the folder."""
    return types.SimpleNamespace(check=check, strategies=strategies)
