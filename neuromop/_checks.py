"""Argument validation shared by every public entry point.

Every check raises ``TypeError`` or ``ValueError`` whose message names the argument, what was
expected and what was received, e.g. ``alpha must be > 0, got -1.0``.
"""

from __future__ import annotations

import numbers
import os
from collections.abc import Iterable
from pathlib import Path

import numpy as np

__all__ = [
    "FLOAT32_MAX",
    "MAX_SIZE",
    "as_array",
    "check_bool",
    "check_choice",
    "check_finite_array",
    "check_int",
    "check_int_tuple",
    "check_path",
    "check_probability",
    "check_real",
]

#: Largest size (network widths, batches, buffers, candidate sets) checked for: torch and numpy
#: cannot index more elements, and no machine holds them.
MAX_SIZE = 2**31 - 1
#: Largest float32 (torch parameters): larger learning rates or initial values overflow.
FLOAT32_MAX = float(np.finfo(np.float32).max)


def _describe(value: object) -> str:
    if isinstance(value, np.ndarray):
        return f"array of shape {value.shape} and dtype {value.dtype}"
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def check_real(
    name: str,
    value: object,
    *,
    low: float | None = None,
    high: float | None = None,
    low_inclusive: bool = True,
    high_inclusive: bool = True,
) -> float:
    """Return ``value`` as a finite float inside the given bounds, or raise.

    Parameters
    ----------
    name : str
        Argument name used in the error message.
    value : object
        The value received.
    low, high : float, optional
        Bounds; ``None`` means unbounded.
    low_inclusive, high_inclusive : bool
        Whether each bound is allowed.
    """
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be a real number, got {_describe(value)}")
    out = float(value)
    if not np.isfinite(out):
        raise ValueError(f"{name} must be finite, got {out}")
    if low is not None and (out < low or (out == low and not low_inclusive)):
        op = ">=" if low_inclusive else ">"
        raise ValueError(f"{name} must be {op} {low}, got {out}")
    if high is not None and (out > high or (out == high and not high_inclusive)):
        op = "<=" if high_inclusive else "<"
        raise ValueError(f"{name} must be {op} {high}, got {out}")
    return out


def check_int(name: str, value: object, *, low: int | None = None, high: int | None = None) -> int:
    """Return ``value`` as an int inside ``[low, high]``, or raise."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{name} must be an integer, got {_describe(value)}")
    out = int(value)
    if low is not None and out < low:
        raise ValueError(f"{name} must be >= {low}, got {out}")
    if high is not None and out > high:
        raise ValueError(f"{name} must be <= {high}, got {out}")
    return out


def check_int_tuple(name: str, value: object, *, low: int | None = None,
                    high: int | None = None) -> tuple[int, ...]:
    """Return ``value`` (a sequence of ints, e.g. hidden layer widths) as a tuple of ints
    inside ``[low, high]``, or raise naming the argument."""
    if isinstance(value, str | bytes) or not isinstance(value, Iterable):
        raise TypeError(f"{name} must be a sequence of integers, got {_describe(value)}")
    return tuple(check_int(name, v, low=low, high=high) for v in value)


def check_bool(name: str, value: object) -> bool:
    """Return ``value`` as a bool if it is one (numpy bools included), or raise ``TypeError``
    (a string such as ``"no"`` would otherwise count as true)."""
    if not isinstance(value, bool | np.bool_):
        raise TypeError(f"{name} must be True or False, got {_describe(value)}")
    return bool(value)


def check_probability(name: str, value: object) -> float:
    """Return ``value`` as a float in ``[0, 1]``, or raise."""
    return check_real(name, value, low=0.0, high=1.0)


def check_choice(name: str, value: object, choices: Iterable[object]) -> object:
    """Return ``value`` if it is one of ``choices``, or raise ``ValueError`` listing them."""
    options = list(choices)
    if value not in options:
        raise ValueError(f"{name} must be one of {options}, got {_describe(value)}")
    return value


def check_finite_array(
    name: str,
    value: object,
    *,
    ndim: int | None = None,
    dtype: type | np.dtype | None = float,
    allow_empty: bool = False,
) -> np.ndarray:
    """Return ``value`` as a numpy array with no NaN/inf, or raise.

    Parameters
    ----------
    name : str
        Argument name used in the error message.
    value : array_like
        Input data.
    ndim : int, optional
        Required number of dimensions.
    dtype : numpy dtype, optional
        dtype to convert to (``None`` keeps the input dtype).
    allow_empty : bool
        Whether an array with zero elements is acceptable.
    """
    try:
        arr = np.asarray(value, dtype=dtype)
    except (TypeError, ValueError) as exc:
        raise TypeError(f"{name} must be array-like of numbers, got {_describe(value)}") from exc
    if ndim is not None and arr.ndim != ndim:
        raise ValueError(f"{name} must be {ndim}-dimensional, got shape {arr.shape}")
    if not allow_empty and arr.size == 0:
        raise ValueError(f"{name} must not be empty, got shape {arr.shape}")
    if arr.dtype.kind in "fc" and not np.all(np.isfinite(arr)):
        bad = int(np.size(arr) - np.count_nonzero(np.isfinite(arr)))
        raise ValueError(f"{name} must be finite, got {bad} NaN/inf value(s)")
    return arr


def as_array(name: str, value: object, *, dtype: type | np.dtype | None = None) -> np.ndarray:
    """Return ``np.asarray(value, dtype)``, or raise ``TypeError`` naming the argument when
    ``value`` is not array-like (ragged nesting, objects, text where numbers are expected).

    Unlike :func:`check_finite_array` it accepts any shape, emptiness and NaN.
    """
    try:
        return np.asarray(value, dtype=dtype)
    except (TypeError, ValueError) as exc:
        what = "array-like" if dtype is None else f"array-like of {np.dtype(dtype).name}"
        raise TypeError(f"{name} must be {what}, got {_describe(value)}") from exc


def check_path(name: str, value: object) -> Path:
    """Return ``value`` as a :class:`~pathlib.Path`, or raise ``TypeError`` naming the argument
    when it is not a ``str`` or path-like object (``None``, a number, bytes ...)."""
    if isinstance(value, str) and not value:
        raise ValueError(f"{name} must be a non-empty path, got ''")
    if not isinstance(value, str | os.PathLike) or isinstance(os.fspath(value), bytes):
        raise TypeError(f"{name} must be a str or path-like object, got {_describe(value)}")
    return Path(value)
