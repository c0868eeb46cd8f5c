"""Four-room study (MOP paper, Fig. 2): MOP vs R (epsilon = 0) vs a random walker.

Hypothesis: an agent that maximises future action-state path occupancy (MOP) survives as long as
a reward maximiser but occupies the whole arena and the whole range of energy levels, whereas
the R agent (paid for eating) stays at the food and a random walker starves.
``neuromop run four-rooms`` runs the same study (:class:`neuromop.studies.FourRoomsStudy`).

    python analysis/four_rooms.py --budget smoke --out results/four_rooms
"""

from __future__ import annotations

from dataclasses import dataclass, field

from neuromop.studies import FourRoomsStudy
from neuromop.studies.protocol import ScriptArgs, run_script


@dataclass
class Args(ScriptArgs):
    """Arguments of ``python analysis/four_rooms.py``."""

    out: str = field(default="results/four_rooms", metadata={"help": "output folder"})


def main(argv=None) -> int:
    # the one seeding block: every random stream of the study is spawned from its root seed
    # (--seed, default the study's)
    return run_script(FourRoomsStudy, Args, argv, __doc__)


if __name__ == "__main__":
    raise SystemExit(main())
