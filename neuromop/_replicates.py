"""Private helpers of the summaries over root seeds (:mod:`neuromop.studies.seeds`)."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from neuromop._checks import check_int

__all__ = ["check_seeds", "history_keys", "is_number", "number", "slug_of"]


def slug_of(text: str) -> str:
    """``text`` as a variable-name fragment (``"left room"`` -> ``"left_room"``)."""
    return "".join(c if c.isalnum() else "_" for c in str(text).lower()).strip("_")


def is_number(value) -> bool:
    """Whether ``value`` is an int or float (a bool is not)."""
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def number(value) -> float | None:
    """A history entry as one number: a number, or the mean of a dict of numbers (e.g. one
    value per context of the six-shapes task); ``None`` otherwise."""
    if is_number(value):
        return float(value)
    if isinstance(value, dict) and value and all(is_number(v) for v in value.values()):
        return float(np.mean(list(value.values())))
    return None


def history_keys(histories: dict) -> list[str]:
    """The entries of training-history records (name -> list of epoch records) that are
    numbers or dicts of numbers, in order of first appearance (``epoch`` left out)."""
    keys = []
    for hist in histories.values():
        for record in hist:
            keys += [k for k, v in record.items()
                     if k != "epoch" and k not in keys and number(v) is not None]
    return keys


def check_seeds(seeds) -> tuple[int, ...]:
    """``seeds`` as a tuple of at least two distinct ints >= 0, or raise naming it."""
    if isinstance(seeds, (str, bytes)) or not isinstance(seeds, Sequence):
        raise TypeError(f"seeds must be a sequence of ints >= 0, got {seeds!r}")
    seeds = tuple(check_int("seeds", s, low=0) for s in seeds)
    if len(seeds) < 2:
        raise ValueError(f"seeds must hold at least 2 root seeds for an interval, got "
                         f"{list(seeds)}")
    if len(set(seeds)) != len(seeds):
        raise ValueError(f"seeds must be distinct, got {list(seeds)}")
    return seeds
