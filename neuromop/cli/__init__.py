"""The ``neuromop`` command line.

Commands are grouped (``neuromop mdp …``, ``neuromop run …``, ``neuromop analyze …``,
``neuromop fit …``). Each part of the package contributes its commands through a module listed
in ``COMMAND_MODULES`` that defines ``register(group)``, where ``group(name)`` returns the
``argparse`` sub-parser collection of that command group. Command handlers receive the parsed
``argparse.Namespace`` and return an exit code. Heavy libraries (torch, brian2) are imported
inside handlers, so ``neuromop --help`` stays fast.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

from neuromop._version import __version__

GROUP_HELP = {
    "mdp": "solve and roll out agents on finite (tabular) worlds",
    "run": "run a study end to end (neural-network environments and controllers)",
    "analyze": "variability and value analyses of a dataset file",
    "fit": "fit models to recorded data",
}

COMMAND_MODULES: tuple[str, ...] = (
    "neuromop.cli.mdp",
    "neuromop.cli.run",
    "neuromop.cli.analyze",
    "neuromop.cli.fit",
)


def build_parser() -> argparse.ArgumentParser:
    """Return the full ``neuromop`` argument parser."""
    parser = argparse.ArgumentParser(
        prog="neuromop",
        description="Maximum Occupancy Principle agents and neural-variability analysis.",
    )
    parser.add_argument("--version", action="version", version=f"neuromop {__version__}")
    top = parser.add_subparsers(dest="group", metavar="GROUP", required=True)
    groups: dict[str, argparse._SubParsersAction] = {}

    def group(name: str) -> argparse._SubParsersAction:
        if name not in GROUP_HELP:
            raise KeyError(f"unknown command group {name!r}; known: {sorted(GROUP_HELP)}")
        if name not in groups:
            sub = top.add_parser(name, help=GROUP_HELP[name], description=GROUP_HELP[name])
            groups[name] = sub.add_subparsers(dest="command", metavar="COMMAND", required=True)
        return groups[name]

    for module in COMMAND_MODULES:
        importlib.import_module(module).register(group)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``neuromop`` console script."""
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(args.func(args) or 0)
    except (ValueError, TypeError, FileNotFoundError) as exc:
        # Bad input reaches the user as one clear line, not a traceback.
        print(f"neuromop: error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
