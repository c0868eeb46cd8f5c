"""The one seed helper: explicit random number generators, never the global state.

Every public object or function that draws random numbers takes ``random_state`` (an int, a
``numpy.random.SeedSequence`` or a ``numpy.random.Generator``, as in scikit-learn), and every
stream it derives goes through :func:`spawn` (``SeedSequence.spawn``): children of one root seed
are independent, and adding a stream never shifts the others. Never ``seed + k``.

- :func:`as_generator` -- a numpy ``Generator`` for ``random_state``;
- :func:`spawn` -- ``n`` independent child ``SeedSequence`` objects of ``random_state``;
- :func:`seed_int` -- a non-negative int for APIs that only take one (Gymnasium ``reset``);
- :func:`torch_generator` -- a seeded ``torch.Generator``;
- :func:`blank_linear` -- a ``torch.nn.Linear`` built without drawing from the global RNG.
"""

from __future__ import annotations

import numbers

import numpy as np

__all__ = ["RandomState", "as_generator", "blank_linear", "seed_int", "spawn", "torch_generator"]

#: What ``random_state`` arguments accept.
RandomState = None | int | np.random.SeedSequence | np.random.Generator


def _check(random_state, name: str) -> None:
    if random_state is None or isinstance(random_state,
                                          np.random.Generator | np.random.SeedSequence):
        return
    if isinstance(random_state, numbers.Integral) and not isinstance(random_state, bool):
        if int(random_state) < 0:
            raise ValueError(f"{name} must be a non-negative integer, got {random_state}")
        return
    raise TypeError(f"{name} must be None, a non-negative int, a numpy SeedSequence or a numpy "
                    f"Generator, got {random_state!r}")


def as_generator(random_state: RandomState, name: str = "random_state") -> np.random.Generator:
    """Return a ``numpy.random.Generator`` for ``random_state``.

    Parameters
    ----------
    random_state : None, int, numpy.random.SeedSequence or numpy.random.Generator
        ``None`` gives fresh OS entropy; an int or ``SeedSequence`` a reproducible generator; a
        ``Generator`` is returned unchanged (so callers can share a stream).
    name : str
        Argument name used in error messages.
    """
    _check(random_state, name)
    if isinstance(random_state, np.random.Generator):
        return random_state
    if isinstance(random_state, numbers.Integral):
        return np.random.default_rng(int(random_state))
    return np.random.default_rng(random_state)


def spawn(random_state: RandomState, n: int,
          name: str = "random_state") -> list[np.random.SeedSequence]:
    """``n`` independent child seeds of ``random_state`` (``SeedSequence.spawn``).

    An int gives the same children on every call; a ``SeedSequence`` or a ``Generator`` gives
    new children on each call (their spawn counter advances), as numpy defines.
    """
    _check(random_state, name)
    if isinstance(random_state, numbers.Integral) and not isinstance(random_state, bool):
        root = np.random.SeedSequence(int(random_state))
    elif isinstance(random_state, np.random.Generator):
        root = random_state.bit_generator.seed_seq
    elif random_state is None:
        root = np.random.SeedSequence()
    else:
        root = random_state
    return root.spawn(int(n))


def seed_int(random_state: RandomState, name: str = "random_state") -> int:
    """A non-negative int (< 2**32) from ``random_state``, for APIs that only take an int.

    An int is returned unchanged; a ``SeedSequence`` gives its first 32-bit state word; a
    ``Generator`` draws one integer below 2**31 (advancing its stream).
    """
    _check(random_state, name)
    if isinstance(random_state, numbers.Integral) and not isinstance(random_state, bool):
        return int(random_state)
    if isinstance(random_state, np.random.Generator):
        return int(random_state.integers(0, 2**31 - 1))
    seq = np.random.SeedSequence() if random_state is None else random_state
    return int(seq.generate_state(1)[0])


def torch_generator(random_state: RandomState, device: str = "cpu",
                    name: str = "random_state"):
    """A ``torch.Generator`` seeded from ``random_state``.

    An int seeds it directly (``manual_seed(random_state)``); a ``SeedSequence`` through its
    first 32-bit state word (as :func:`seed_int`); a ``Generator`` through one drawn integer.
    """
    import torch

    _check(random_state, name)
    gen = torch.Generator(device=device)
    if isinstance(random_state, numbers.Integral) and not isinstance(random_state, bool):
        seed = int(random_state)
        if seed >= 2**64:  # beyond torch's seeds: hashed through a SeedSequence
            seed = int(np.random.SeedSequence(seed).generate_state(1, np.uint64)[0])
        gen.manual_seed(seed)
    elif isinstance(random_state, np.random.Generator):
        gen.manual_seed(int(random_state.integers(0, 2**63 - 1)))
    else:
        seq = np.random.SeedSequence() if random_state is None else random_state
        gen.manual_seed(int(seq.generate_state(1)[0]))
    return gen


def blank_linear(in_features: int, out_features: int, bias: bool = True):
    """A ``torch.nn.Linear`` with uninitialised parameters, built without touching the global
    torch RNG (``nn.Linear`` itself draws its initial weights from it); the caller sets the
    weights from its own generator."""
    from torch import nn

    return nn.Linear(in_features, out_features, bias=bias, device="meta").to_empty(device="cpu")
