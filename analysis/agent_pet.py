"""Agent–pet study (MOP paper, Fig. 5): an altruistic MOP agent opens the pet's fence.

Hypothesis: the fence-open fraction rises with beta, the weight of the pet's next-state entropy;
the exact MOP policy and the authors' simulation loop are put beside their committed data.
``neuromop run agent-pet`` runs the same study (:class:`neuromop.studies.AgentPetStudy`).

    python analysis/agent_pet.py --budget smoke --out results/agent_pet
"""

from __future__ import annotations

from dataclasses import dataclass, field

from neuromop.studies import AgentPetStudy
from neuromop.studies.protocol import ScriptArgs, run_script


@dataclass
class Args(ScriptArgs):
    """Arguments of ``python analysis/agent_pet.py``."""

    out: str = field(default="results/agent_pet", metadata={"help": "output folder"})


def main(argv=None) -> int:
    # the one seeding block: every random stream of the study is spawned from its root seed
    # (--seed, default the study's)
    return run_script(AgentPetStudy, Args, argv, __doc__)


if __name__ == "__main__":
    raise SystemExit(main())
