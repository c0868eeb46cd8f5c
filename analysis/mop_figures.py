"""The MOP paper's tabular figures (2-5), each beside the authors' committed data.

Figure 2: four rooms and the noisy TV; 3: cartpole and the half arena; 4: predator-prey;
5: agent-pet. ``neuromop run mop-figures`` runs the same study
(:class:`neuromop.studies.MOPFiguresStudy`).

    python analysis/mop_figures.py --budget smoke --figure 5 --out results/mop_figures
"""

from __future__ import annotations

from dataclasses import dataclass, field

from neuromop.studies import FIGURES, MOPFiguresStudy
from neuromop.studies.protocol import ScriptArgs, run_script


@dataclass
class Args(ScriptArgs):
    """Arguments of ``python analysis/mop_figures.py``."""

    out: str = field(default="results/mop_figures", metadata={"help": "output folder"})
    figure: str = field(default="all", metadata={
        "help": "paper figure (2 four rooms and noisy TV, 3 cartpole and half arena, "
                "4 predator-prey, 5 agent-pet) or all", "choices": (*FIGURES, "all")})


def main(argv=None) -> int:
    # the one seeding block: every random stream of every figure's studies is spawned from
    # the root seed (--seed, default the study's)
    return run_script(MOPFiguresStudy, Args, argv, __doc__)


if __name__ == "__main__":
    raise SystemExit(main())
