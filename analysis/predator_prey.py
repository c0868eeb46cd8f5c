"""Predator-prey study (MOP paper, Fig. 4): a MOP mouse vs a reward-maximising (R) mouse.

Hypothesis: the MOP mouse survives the cat about as long as the R mouse but behaves far more
variably (higher action entropy, circling the obstacle both ways).
``neuromop run predator-prey`` runs the same study (:class:`neuromop.studies.PredatorPreyStudy`).

    python analysis/predator_prey.py --budget smoke --out results/predator_prey
"""

from __future__ import annotations

from dataclasses import dataclass, field

from neuromop.studies import PredatorPreyStudy
from neuromop.studies.protocol import ScriptArgs, run_script


@dataclass
class Args(ScriptArgs):
    """Arguments of ``python analysis/predator_prey.py``."""

    out: str = field(default="results/predator_prey", metadata={"help": "output folder"})


def main(argv=None) -> int:
    # the one seeding block: every random stream of the study is spawned from its root seed
    # (--seed, default the study's)
    return run_script(PredatorPreyStudy, Args, argv, __doc__)


if __name__ == "__main__":
    raise SystemExit(main())
