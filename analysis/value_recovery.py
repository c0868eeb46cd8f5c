"""Study: can we recover choice-model parameters and tell soft- from true-value populations?

Parameter recovery, model comparison and ground-truth verdicts on simulated data.
``neuromop run value-recovery`` runs the same study (:class:`neuromop.studies.ValueRecoveryStudy`).

    python analysis/value_recovery.py --budget smoke --out results/value_recovery
"""

from __future__ import annotations

from dataclasses import dataclass, field

from neuromop.studies import ValueRecoveryStudy
from neuromop.studies.protocol import ScriptArgs, run_script


@dataclass
class Args(ScriptArgs):
    """Arguments of ``python analysis/value_recovery.py``."""

    out: str = field(default="results/value_recovery", metadata={"help": "output folder"})
    parts: tuple[str, ...] | None = field(default=None, metadata={
        "help": "parameters, comparison and/or ground_truth (default: all)"})
    cases: tuple[str, ...] | None = field(default=None, metadata={
        "help": "ground-truth cases, e.g. soft/separable true/collinear (default: all)"})


def main(argv=None) -> int:
    # the one seeding block: every random stream of the study is spawned from its root seed
    # (--seed, default the study's)
    return run_script(ValueRecoveryStudy, Args, argv, __doc__)


if __name__ == "__main__":
    raise SystemExit(main())
