"""Recovery of a MOP controller parameter (control gain, temperature) from the variability of
its rollouts on a fitted network: coverage of the fitted intervals over simulations.

``neuromop run controller-recovery`` runs the same study
(:class:`neuromop.studies.ControllerRecoveryStudy`).

    python analysis/controller_recovery.py --budget smoke --out results/controller_recovery
"""

from __future__ import annotations

from dataclasses import dataclass, field

from neuromop.studies import ControllerRecoveryStudy
from neuromop.studies.protocol import ScriptArgs, run_script


@dataclass
class Args(ScriptArgs):
    """Arguments of ``python analysis/controller_recovery.py``."""

    out: str = field(default="results/controller_recovery",
                     metadata={"help": "output folder"})
    n_simulations: int | None = field(default=None, metadata={
        "help": "simulations per parameter x statistic (default: the budget's)"})


def main(argv=None) -> int:
    # the one seeding block: every random stream of the study is spawned from its root seed
    # (--seed, default the study's)
    return run_script(ControllerRecoveryStudy, Args, argv, __doc__)


if __name__ == "__main__":
    raise SystemExit(main())
