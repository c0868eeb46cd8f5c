"""Study: how the action design of the spiking energy task shapes MOP's and R's variability.

Runs free / MOP / R under each action design and each seed and counts the seeds in which MOP's
value exceeds R's; each finished run is checkpointed in ``--out``/runs.
``neuromop run spiking-designs`` runs the same study
(:class:`neuromop.studies.SpikingDesignsStudy`).

    python analysis/spiking_designs.py --budget smoke --out results/spiking_designs
"""

from __future__ import annotations

from dataclasses import dataclass, field

from neuromop.studies import SpikingDesignsStudy
from neuromop.studies.protocol import ScriptArgs, run_script


@dataclass
class Args(ScriptArgs):
    """Arguments of ``python analysis/spiking_designs.py``."""

    out: str = field(default="results/spiking_designs", metadata={"help": "output folder"})
    seeds: tuple[int, ...] | None = field(default=None, metadata={
        "help": "root seeds of the runs (default: the budget's)"})


def main(argv=None) -> int:
    # the one seeding block: every random stream of the study is spawned from its root seed
    # (--seed, default the study's)
    return run_script(SpikingDesignsStudy, Args, argv, __doc__)


if __name__ == "__main__":
    raise SystemExit(main())
