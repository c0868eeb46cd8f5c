"""Explicit random number generators: randomness never touches global state."""

from __future__ import annotations

import numbers

import numpy as np

__all__ = ["as_generator", "torch_generator"]


def as_generator(
    seed: None | int | np.random.Generator | np.random.SeedSequence,
) -> np.random.Generator:
    """Return a ``numpy.random.Generator`` for ``seed``.

    Parameters
    ----------
    seed : None, int, numpy.random.SeedSequence or numpy.random.Generator
        ``None`` gives fresh OS entropy; an int or ``SeedSequence`` a reproducible generator; a
        ``Generator`` is returned unchanged (so callers can share a stream).
    """
    if isinstance(seed, np.random.Generator):
        return seed
    if seed is None or isinstance(seed, np.random.SeedSequence):
        return np.random.default_rng(seed)
    if isinstance(seed, numbers.Integral) and not isinstance(seed, bool):
        if int(seed) < 0:
            raise ValueError(f"seed must be a non-negative integer, got {seed}")
        return np.random.default_rng(int(seed))
    raise TypeError(
        f"seed must be None, a non-negative int, a SeedSequence or a numpy Generator, got {seed!r}"
    )


def torch_generator(seed: None | int | np.random.Generator, device: str = "cpu"):
    """Return a seeded ``torch.Generator`` (seeded from ``seed`` via numpy when not an int)."""
    import torch

    gen = torch.Generator(device=device)
    if isinstance(seed, numbers.Integral) and not isinstance(seed, bool):
        gen.manual_seed(int(seed))
    else:
        gen.manual_seed(int(as_generator(seed).integers(0, 2**63 - 1)))
    return gen
