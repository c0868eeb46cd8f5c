"""Study: the NeuroMOP tasks on a chaotic rate RNN (Mastrogiuseppe & Moreno-Bote, NeurIPS 2024).

Trains a NeuroMOP controller (and, where the task has one, an epsilon-greedy R network) to inject
currents into a fixed chaotic rate network, rolls out free / random / MOP / R controllers from the
same initial states, and writes a table, rollouts (netCDF) and the task's figure to ``--out``.
Tasks: energy, square, shapes, reward, corridor, cartpole, beta-sweep (``neuromop run TASK`` is
the same study from the command line).

    python analysis/neuromop_tasks.py --task energy --budget default --out results/energy
"""

from __future__ import annotations

import argparse
from dataclasses import dataclass

TASKS = ("energy", "square", "shapes", "reward", "corridor", "cartpole", "beta-sweep")


@dataclass
class Args:
    task: str = "energy"
    budget: str = "default"
    out: str = "results/neuromop_tasks"
    seed: int = 0
    threads: int = 1


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--task", choices=TASKS, default=Args.task)
    parser.add_argument("--budget", choices=("smoke", "default", "paper"), default=Args.budget)
    parser.add_argument("--out", default=Args.out)
    parser.add_argument("--seed", type=int, default=Args.seed)
    parser.add_argument("--threads", type=int, default=Args.threads)
    args = Args(**vars(parser.parse_args(argv)))

    # --- seeding: every random stream derives from args.seed (network, training, rollouts) ---
    import torch

    torch.set_num_threads(args.threads)
    from neuromop.studies import STUDIES
    from neuromop.studies.rate_rnn import run_study

    study = STUDIES[args.task].for_budget(args.budget, seed=args.seed)
    result = run_study(study, args.out)
    print(result["table"])
    print(f"figure: {result['figure']}  ({result['seconds']:.0f} s)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
