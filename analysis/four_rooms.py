"""Four-room study (MOP paper, Fig. 2): MOP vs R (epsilon = 0) vs a random walker.

Hypothesis: an agent that maximises future action-state path occupancy (MOP) survives as long as a
reward maximiser but occupies the whole arena and the whole range of energy levels, whereas the
R agent (paid for eating) stays at the food and a random walker starves within a few hundred
steps.

Run: ``python analysis/four_rooms.py --budget smoke|default|paper --out outputs/four_rooms``.
Writes ``four_rooms_comparison.nc`` and ``.png`` per food gain and prints the tables.
"""

from __future__ import annotations

import argparse
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from neuromop._io import write_netcdf_atomic
from neuromop.studies.four_rooms import compare_four_rooms, format_table


@dataclass
class Args:
    """Arguments of the study (budget presets fill them)."""

    food_gains: tuple[int, ...] = (3, 10)
    capacity: int = 100
    gamma: float = 0.99
    n_episodes: int = 10
    n_steps: int = 50_000
    seed: int = 2024
    out: Path = field(default_factory=lambda: Path("outputs/four_rooms"))


BUDGETS = {
    "smoke": dict(food_gains=(10,), capacity=30, n_episodes=3, n_steps=500),
    "default": {},
    "paper": dict(food_gains=(2, 3, 4, 10), n_episodes=100, n_steps=50_000),
}


def run(args: Args) -> dict[int, object]:
    """Run the comparison for every food gain; return the summaries by gain."""
    # one seeding block: an independent child seed per food gain
    seeds = np.random.SeedSequence(args.seed).spawn(len(args.food_gains))
    out = {}
    for gain, ss in zip(args.food_gains, seeds, strict=True):
        summary, extra = compare_four_rooms(
            capacity=args.capacity, food_gain=gain, n_episodes=args.n_episodes,
            n_steps=args.n_steps, gamma=args.gamma, seed=int(ss.generate_state(1)[0]))
        out[gain] = (summary, extra)
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--budget", choices=sorted(BUDGETS), default="default")
    parser.add_argument("--out", type=Path, default=None)
    parser.add_argument("--seed", type=int, default=None)
    ns = parser.parse_args(argv)
    args = Args(**BUDGETS[ns.budget])
    if ns.out is not None:
        args.out = ns.out
    if ns.seed is not None:
        args.seed = ns.seed
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from neuromop.plots.mdp import comparison_figure

    for gain, (summary, extra) in run(args).items():
        folder = args.out / f"gain_{gain}"
        folder.mkdir(parents=True, exist_ok=True)
        write_netcdf_atomic(summary, folder / "four_rooms_comparison.nc")
        fig = comparison_figure(extra["occupancy"], extra["survival"], extra["energy"],
                                extra["world"])
        fig.savefig(folder / "four_rooms_comparison.png", dpi=110)
        plt.close(fig)
        print(f"food gain {gain}, {args.n_episodes} episodes x {args.n_steps} steps")
        print(format_table(summary))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
