"""Study: NeuroMOP and an R network on the continuous cartpole.

    python analysis/cartpole_task.py --budget default --out results/cartpole
"""

from __future__ import annotations

import argparse
from dataclasses import dataclass


@dataclass
class Args:
    budget: str = "default"
    out: str = "results/cartpole_task"
    seed: int = 0
    threads: int = 1


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--budget", choices=("smoke", "default", "paper"), default=Args.budget)
    parser.add_argument("--out", default=Args.out)
    parser.add_argument("--seed", type=int, default=Args.seed)
    parser.add_argument("--threads", type=int, default=Args.threads)
    args = Args(**vars(parser.parse_args(argv)))

    # --- seeding: every random stream derives from args.seed (network, training, rollouts) ---
    import torch

    torch.set_num_threads(args.threads)
    from neuromop.control.studies import run_study
    from neuromop.control.studies_tasks import CartpoleStudy

    study = CartpoleStudy.for_budget(args.budget, seed=args.seed)
    result = run_study(study, args.out)
    print(result["table"])
    print(f"figure: {result['figure']}  ({result['seconds']:.0f} s)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
