"""Study: how the action design of the spiking energy task shapes MOP's and R's variability.

Runs free / MOP / R (learned model + fitted value iteration, as ``neuromop run spiking-energy``)
under each action design of :data:`neuromop.studies.spiking_designs.DESIGNS` and each seed, and
tabulates lifetime, Fano factor (100 ms), rate-matched Fano factor, r_sc and participation ratio,
with the number of seeds in which MOP's value exceeds R's. Each finished run is checkpointed in
``--out``/runs and reused when the study is restarted.

Outputs in ``--out``: ``spiking_designs_runs.csv`` (one row per design x seed x controller),
``spiking_designs_summary.csv`` / ``.json`` (one row per design).

Usage: ``python analysis/spiking_designs.py --budget default --out results/spiking_designs``.
"""

from __future__ import annotations

import argparse
from dataclasses import asdict, dataclass, field
from pathlib import Path


@dataclass
class Args:
    """Arguments of the study (budget presets fill them)."""

    budget: str = "default"  # network / training size of every run
    designs: tuple[str, ...] = ("population_20ms", "halves_50ms", "quarters_50ms",
                                "patterns_20ms", "patterns_50ms")
    seeds: tuple[int, ...] = (0, 1, 2)
    out: Path = field(default_factory=lambda: Path("results/spiking_designs"))


BUDGETS = {
    # one design, one seed, the smoke network: ~3.5 min (the sweep machinery end to end)
    "smoke": dict(budget="smoke", designs=("patterns_50ms",), seeds=(0,)),
    "default": {},  # ~2 h (runs one after another; resumable)
    "paper": dict(budget="paper", seeds=(0, 1, 2, 3, 4)),
}


def run(args: Args):
    """The sweep and its summary (both pandas DataFrames), written to ``args.out``."""
    import torch

    from neuromop._io import atomic_path, write_json_atomic
    from neuromop.studies.spiking_designs import run_design_sweep, summarize_sweep

    torch.set_num_threads(1)  # small networks: one thread is fastest (see spiking_commands)
    args.out.mkdir(parents=True, exist_ok=True)
    runs = run_design_sweep(args.budget, args.designs, args.seeds,
                            checkpoint_dir=args.out / "runs")
    summary = summarize_sweep(runs)
    with atomic_path(args.out / "spiking_designs_runs.csv") as tmp:
        runs.to_csv(tmp, index=False)
    with atomic_path(args.out / "spiking_designs_summary.csv") as tmp:
        summary.to_csv(tmp)
    write_json_atomic(args.out / "spiking_designs_summary.json", {
        "args": {k: (str(v) if isinstance(v, Path) else v) for k, v in asdict(args).items()},
        "summary": summary.reset_index().to_dict(orient="records")})
    return runs, summary


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--budget", choices=sorted(BUDGETS), default="default")
    parser.add_argument("--out", type=Path, default=None)
    parser.add_argument("--seeds", type=int, nargs="+", default=None)
    ns = parser.parse_args(argv)
    args = Args(**BUDGETS[ns.budget])
    if ns.out is not None:
        args.out = ns.out
    # ---- the one seeding block: each run derives every stream from its seed
    if ns.seeds is not None:
        args.seeds = tuple(ns.seeds)
    _, summary = run(args)
    print(summary.round(3).T.to_string())
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
