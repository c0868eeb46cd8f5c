"""Study: the NeuroMOP tasks on a chaotic rate RNN (Mastrogiuseppe & Moreno-Bote, NeurIPS 2024).

Trains a NeuroMOP controller (and, where the task has one, an epsilon-greedy R network) to inject
currents into a fixed chaotic rate network, rolls out free / random / MOP / R controllers from the
same initial states, and writes a table, rollouts (netCDF) and the task's figure to ``--out``.
Tasks: energy, square, shapes, reward, corridor, cartpole, beta-sweep (``neuromop run TASK`` is
the same study from the command line).

    python analysis/neuromop_tasks.py --task energy --budget default --out results/energy
"""

from __future__ import annotations

from dataclasses import dataclass, field

from neuromop.studies import STUDIES
from neuromop.studies.protocol import ScriptArgs, run_script

TASKS = ("energy", "square", "shapes", "reward", "corridor", "cartpole", "beta-sweep")


@dataclass
class Args(ScriptArgs):
    """Arguments of ``python analysis/neuromop_tasks.py``."""

    out: str = field(default="results/neuromop_tasks", metadata={"help": "output folder"})
    task: str = field(default="energy", metadata={"help": "which task", "choices": TASKS})


def main(argv=None) -> int:
    # the one seeding block: network, training and evaluation streams are spawned from the
    # study's root seed (--seed, default the study's)
    return run_script(None, Args, argv, __doc__,
                      choose=lambda overrides: STUDIES[overrides.pop("task")])


if __name__ == "__main__":
    raise SystemExit(main())
