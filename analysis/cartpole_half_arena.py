"""Cartpole in a stochastic half arena (MOP paper, Fig. 3): is MOP drawn to noise?

On x > 0 the chosen force is replaced by no force with probability eta. With beta = 0 (action
entropy only) the exact MOP agent spends less time there the larger eta is; with beta = 1
(state entropy too) it spends more time there for moderate eta and less once the noise
threatens survival. ``neuromop run cartpole-half-arena`` runs the same study
(:class:`neuromop.studies.HalfArenaStudy`); the table shows the authors' committed means beside
the package's, with 95 % intervals over trials.

    python analysis/cartpole_half_arena.py --budget smoke --out results/cartpole_half_arena
"""

from __future__ import annotations

from dataclasses import dataclass, field

from neuromop.studies import HalfArenaStudy
from neuromop.studies.protocol import ScriptArgs, run_script


@dataclass
class Args(ScriptArgs):
    """Arguments of ``python analysis/cartpole_half_arena.py``."""

    out: str = field(default="results/cartpole_half_arena", metadata={"help": "output folder"})


def main(argv=None) -> int:
    # the one seeding block: every (beta, eta) cell's starts and rollout are spawned from the
    # study's root seed (--seed, default the study's)
    return run_script(HalfArenaStudy, Args, argv, __doc__)


if __name__ == "__main__":
    raise SystemExit(main())
