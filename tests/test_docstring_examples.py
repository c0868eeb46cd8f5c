"""Every docstring example in the package runs and prints what it shows (issue 19): the modules
whose docstrings hold ``>>>`` examples are found by reading the sources, so a new example is
tested without registering it."""

from __future__ import annotations

import doctest
import importlib
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "neuromop"
MODULES = sorted(
    ".".join(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    for path in PACKAGE.rglob("*.py")
    if ">>>" in path.read_text(encoding="utf-8")
)


def test_the_package_has_docstring_examples():
    assert MODULES, "no docstring example found: the search below would pass vacuously"


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples_run(name):
    module = importlib.import_module(name)
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE,
                             verbose=False)
    assert result.attempted > 0, f"{name}: its '>>>' lines are not in a docstring doctest finds"
    assert result.failed == 0, f"{name}: {result.failed} of {result.attempted} examples failed"
