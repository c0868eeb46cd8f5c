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
import os
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


#: Exceptions a user can cause (bad arguments or files, I/O, a run that does not converge):
#: reported as one line, exit code 2.
USER_ERRORS = (ValueError, TypeError, OSError, RuntimeError, KeyError, ArithmeticError)


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``neuromop`` console script.

    Errors reach the user as one line (``neuromop: error: ...``) and exit code 2, never as a
    traceback; an interrupt exits with 130. Set ``NEUROMOP_DEBUG=1`` to see the traceback.
    """
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(args.func(args) or 0)
    except KeyboardInterrupt:
        print("neuromop: interrupted (finished epochs are kept in the checkpoints)",
              file=sys.stderr)
        return 130
    except Exception as exc:
        if os.environ.get("NEUROMOP_DEBUG"):
            raise
        print(f"neuromop: error: {_one_line(exc)}", file=sys.stderr)
        if not isinstance(exc, USER_ERRORS):
            print("neuromop: this looks like a bug in neuromop; rerun with NEUROMOP_DEBUG=1 "
                  "for the traceback and report it", file=sys.stderr)
        return 2


def _one_line(exc: BaseException) -> str:
    text = " ".join(str(exc).split()) or type(exc).__name__
    if isinstance(exc, OSError) and exc.filename is not None and str(exc.filename) not in text:
        text = f"{text}: {exc.filename}"
    if not isinstance(exc, ValueError | TypeError | FileNotFoundError):
        text = f"{type(exc).__name__}: {text}"
    return text


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
