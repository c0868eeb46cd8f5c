"""Explicit Brian2 code-generation set-up: target, cache directory and first-compile notice.

Brian2 generates code for every model. With the ``cython`` target it compiles that code with a
C++ compiler on first use (tens of seconds for a new network, then cached on disk); the
``numpy`` target needs no compiler and is ~1.3x slower. Left alone, Brian picks a target
silently and caches compiled code under the user's home directory. This module makes all of
that explicit:

- :func:`cache_dir` -- where compiled code goes: ``$NEUROMOP_BRIAN_CACHE`` if set, else
  ``<project>/.brian_cache`` when neuromop runs from a source checkout (a ``pyproject.toml``
  next to the package), else ``<current directory>/.brian_cache``. Never the home directory.
- :func:`resolve_target` -- ``"numpy"``, ``"cython"`` or ``"auto"`` (cython when Cython and a
  C++ compiler are available, numpy otherwise).
- :func:`configure` -- apply both to ``brian2.prefs`` and return the target in use.
- :func:`announce_compile` -- print ``compiling Brian2 code (first run, ~30-60 s)...`` when a
  model is about to be compiled for the first time into this cache (tracked by a marker file
  per model key), so a long first run is shown to the user as such.
- :func:`frozen_gc` -- ``Network.run`` starts with a full ``gc.collect()`` whose cost grows with
  every live Python object of the process (~70 ms of CPU with brian2 and its dependencies
  loaded, most of a short run's fixed cost); freezing the existing objects for the duration of
  a run makes that collection cheap without changing the simulation.

Nothing here uses Brian's implicit "magic" network or ``from brian2 import *``.
"""

from __future__ import annotations

import gc
import hashlib
import logging
import os
import shutil
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from neuromop._checks import check_choice

__all__ = [
    "COMPILE_MESSAGE",
    "TARGETS",
    "announce_compile",
    "cache_dir",
    "configure",
    "frozen_gc",
    "has_cxx_compiler",
    "mark_compiled",
    "model_key",
    "resolve_target",
]

logger = logging.getLogger("neuromop.envs.brian")

#: Code-generation targets accepted by :func:`configure` (``"auto"`` resolves to one of the others).
TARGETS = ("auto", "numpy", "cython")
#: The line shown before a first (cold) compilation.
COMPILE_MESSAGE = "compiling Brian2 code (first run, ~30-60 s)…"
_ENV_VAR = "NEUROMOP_BRIAN_CACHE"


def _project_root() -> Path | None:
    """The source checkout holding the package (folder with ``pyproject.toml``), if any."""
    root = Path(__file__).resolve().parents[2]
    return root if (root / "pyproject.toml").is_file() and (root / "neuromop").is_dir() else None


def cache_dir(path: str | os.PathLike | None = None, *, create: bool = True) -> Path:
    """Return the folder for Brian2's compiled code.

    Parameters
    ----------
    path : path-like, optional
        Explicit folder; takes precedence over everything else.
    create : bool
        Create the folder if it does not exist.

    Returns
    -------
    pathlib.Path
        ``path`` if given, else ``$NEUROMOP_BRIAN_CACHE``, else ``<project>/.brian_cache`` for a
        source checkout, else ``<cwd>/.brian_cache``.
    """
    if path is not None:
        out = Path(path)
    elif os.environ.get(_ENV_VAR):
        out = Path(os.environ[_ENV_VAR])
    else:
        root = _project_root()
        out = (root if root is not None else Path.cwd()) / ".brian_cache"
    out = out.expanduser().resolve()
    if create:
        out.mkdir(parents=True, exist_ok=True)
    return out


def has_cxx_compiler() -> bool:
    """Whether Cython is importable and a C++ compiler ($CXX, c++, g++, clang++) is on PATH."""
    try:
        import Cython  # noqa: F401
    except ImportError:
        return False
    candidates = [os.environ.get("CXX", "").split(" ")[0], "c++", "g++", "clang++"]
    return any(c and shutil.which(c) for c in candidates)


def resolve_target(target: str = "auto") -> str:
    """Return the concrete code-generation target for ``target``.

    Parameters
    ----------
    target : {"auto", "numpy", "cython"}
        ``"auto"`` gives ``"cython"`` when :func:`has_cxx_compiler`, else ``"numpy"``. An explicit
        ``"cython"`` without a compiler raises ``RuntimeError`` (rather than silently falling back).
    """
    check_choice("target", target, TARGETS)
    if target == "auto":
        return "cython" if has_cxx_compiler() else "numpy"
    if target == "cython" and not has_cxx_compiler():
        raise RuntimeError(
            "target='cython' needs Cython and a C++ compiler (c++/g++/clang++ on PATH); "
            "install one or use target='numpy'"
        )
    return target


def configure(target: str = "auto", cache: str | os.PathLike | None = None) -> str:
    """Set ``brian2.prefs`` for code generation and return the target in use.

    Parameters
    ----------
    target : {"auto", "numpy", "cython"}
        Code-generation target (see :func:`resolve_target`).
    cache : path-like, optional
        Folder for compiled code (see :func:`cache_dir`); only used by the cython target.

    Returns
    -------
    str
        ``"numpy"`` or ``"cython"``.
    """
    from brian2 import prefs

    resolved = resolve_target(target)
    prefs.codegen.target = resolved
    if resolved == "cython":
        prefs.codegen.runtime.cython.cache_dir = str(cache_dir(cache))
        # Several processes (pytest-xdist, parallel studies) may share the cache.
        prefs.codegen.runtime.cython.multiprocess_safe = True
    return resolved


def model_key(*parts: object) -> str:
    """A short stable hash identifying a compiled model (equations, target, Brian version...)."""
    import brian2

    text = "\x1f".join([brian2.__version__, *map(str, parts)])
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def _marker(key: str, cache: str | os.PathLike | None) -> Path:
    return cache_dir(cache) / f"neuromop-compiled-{key}.marker"


def announce_compile(target: str, key: str, cache: str | os.PathLike | None = None, *,
                     verbose: bool = True) -> bool:
    """Tell the user a first (cold) compilation is about to happen; return whether it is.

    Parameters
    ----------
    target : str
        The resolved target; nothing is compiled (and nothing shown) for ``"numpy"``.
    key : str
        Model key from :func:`model_key`; a marker file per key records finished compilations.
    cache : path-like, optional
        Cache folder (see :func:`cache_dir`).
    verbose : bool
        Print :data:`COMPILE_MESSAGE` to stderr (it is always logged at INFO level).
    """
    if target != "cython" or _marker(key, cache).exists():
        return False
    logger.info(COMPILE_MESSAGE)
    if verbose:
        print(COMPILE_MESSAGE, file=sys.stderr, flush=True)
    return True


def mark_compiled(target: str, key: str, cache: str | os.PathLike | None = None) -> None:
    """Record that model ``key`` is compiled into the cache (see :func:`announce_compile`)."""
    if target == "cython":
        _marker(key, cache).touch()


@contextmanager
def frozen_gc() -> Iterator[bool]:
    """Move all objects tracked by the garbage collector to its permanent generation for a while.

    Brian's ``Network.run`` calls ``gc.collect()`` first (to warn about objects that were never
    added to a network); a full collection visits every tracked object of the process, so each
    run pays for the size of the whole heap. Inside this context that collection only visits
    objects created since entering it. On exit ``gc.unfreeze()`` returns the objects to the
    oldest generation, so garbage among them is collected later as usual.

    Nothing is done (and False is yielded) if some objects are frozen already -- the caller's
    own ``gc.freeze()`` is never undone -- or if the collector is disabled.

    Yields
    ------
    bool
        Whether the objects were frozen.
    """
    if gc.get_freeze_count() or not gc.isenabled():
        yield False
        return
    gc.freeze()
    try:
        yield True
    finally:
        gc.unfreeze()
