"""Study: MOP control of a Brian2 spiking network under an energy budget, two ways of learning it.

(a) a learned one-step model of the filtered rates + fitted value iteration (MOP and R on the
model) and (b) model-free soft Q-learning of MOP in closed loop, given the same wall-clock
seconds that (a) spent; free / MOP (a) / MOP (b) / R then run in one closed-loop run on the real
network and the variability table compares them (``method='both'``).
``neuromop run spiking-energy`` runs the same study (:class:`neuromop.studies.SpikingEnergyStudy`).

    python analysis/spiking_energy.py --budget smoke --out results/spiking_energy
"""

from __future__ import annotations

from dataclasses import dataclass, field

from neuromop.studies import SpikingEnergyStudy
from neuromop.studies.protocol import ScriptArgs, run_script


@dataclass
class Args(ScriptArgs):
    """Arguments of ``python analysis/spiking_energy.py``."""

    out: str = field(default="results/spiking_energy", metadata={"help": "output folder"})
    method: str = field(default="both", metadata={
        "help": "how MOP is learned: model, softq or both (at equal wall time)",
        "choices": ("model", "softq", "both")})


def main(argv=None) -> int:
    # the one seeding block: every random stream of the study is spawned from its root seed
    # (--seed, default the study's)
    return run_script(SpikingEnergyStudy, Args, argv, __doc__)


if __name__ == "__main__":
    raise SystemExit(main())
