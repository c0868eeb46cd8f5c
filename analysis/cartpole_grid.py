"""Cartpole on the grid (MOP paper, Fig. 3): MOP balances while varying; R needs small epsilon.

Exact MOP and epsilon-greedy R agents on the grid cartpole, rolled out with streamed statistics:
lifetimes with 95 % intervals next to the authors' committed ones, and the (x, theta)
occupancy heat maps. ``neuromop run cartpole-grid`` runs the same study
(:class:`neuromop.studies.CartpoleGridStudy`).

    python analysis/cartpole_grid.py --budget smoke --out results/cartpole_grid
"""

from __future__ import annotations

from dataclasses import dataclass, field

from neuromop.studies import CartpoleGridStudy
from neuromop.studies.protocol import ScriptArgs, run_script


@dataclass
class Args(ScriptArgs):
    """Arguments of ``python analysis/cartpole_grid.py``."""

    out: str = field(default="results/cartpole_grid", metadata={"help": "output folder"})


def main(argv=None) -> int:
    # the one seeding block: every agent's starts and rollout are spawned from the study's
    # root seed (--seed, default the study's)
    return run_script(CartpoleGridStudy, Args, argv, __doc__)


if __name__ == "__main__":
    raise SystemExit(main())
