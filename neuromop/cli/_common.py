"""What every command shares: results are never overwritten without ``--overwrite``."""

from __future__ import annotations

import argparse
from pathlib import Path

__all__ = ["add_overwrite_flag", "check_free"]


def add_overwrite_flag(parser: argparse.ArgumentParser) -> None:
    """Add ``--overwrite`` (replace the results of an earlier run)."""
    parser.add_argument("--overwrite", action="store_true",
                        help="replace the results of an earlier run at --out")


def check_free(paths, overwrite: bool) -> None:
    """``ValueError`` naming the first of ``paths`` that exists, unless ``overwrite``."""
    if overwrite:
        return
    for path in map(Path, paths):
        if path.exists():
            raise ValueError(f"{path} exists (an earlier run's result); pass --overwrite to "
                             "replace it, or choose another --out")
