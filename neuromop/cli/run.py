"""``neuromop run energy|square|shapes|reward|corridor|cartpole|beta-sweep`` (NeuroMOP)."""

from __future__ import annotations

import argparse

__all__ = ["register"]

TASKS = {
    "energy": "NeuroMOP energy-budget task: free / random / MOP / R table and figure",
    "square": "NeuroMOP square confinement: MOP vs epsilon-greedy R networks",
    "shapes": "NeuroMOP six context-dependent shapes: per-context lifetime of free vs MOP",
    "reward": "NeuroMOP with extrinsic reward mu in an inner square: occupancy vs mu",
    "corridor": "NeuroMOP two rooms and a corridor: action entropy along the path",
    "cartpole": "NeuroMOP and R network on the continuous cartpole",
    "beta-sweep": "NeuroMOP state-entropy weight beta with input noise: saturation vs beta",
}


def register(group) -> None:
    """Add the ``run`` sub-commands of this module."""
    runs = group("run")
    for name, text in TASKS.items():
        p = runs.add_parser(name, help=text, description=text)
        p.add_argument("--budget", choices=("smoke", "default", "paper"), default="default",
                       help="compute budget (smoke: seconds; default: minutes on 2 cores)")
        p.add_argument("--out", default=f"neuromop_{name}",
                       help="output folder (checkpoints, rollouts, table, figure)")
        p.add_argument("--seed", type=int, default=0, help="seed of network and training")
        p.add_argument("--threads", type=int, default=1,
                       help="torch intra-op threads (1 is fastest for these small tensors)")
        p.add_argument("--no-resume", action="store_true",
                       help="retrain from scratch even if checkpoints exist")
        p.add_argument("--no-progress", action="store_true", help="hide progress bars")
        p.set_defaults(func=_handler(name))
    _register_spiking(group)


def _handler(task: str):
    def handle(args: argparse.Namespace) -> int:
        import torch

        from neuromop.studies import STUDIES
        from neuromop.studies.rate_rnn import run_study

        if args.threads < 1:
            raise ValueError(f"--threads must be >= 1, got {args.threads}")
        if args.seed < 0:
            raise ValueError(f"--seed must be >= 0, got {args.seed}")
        torch.set_num_threads(args.threads)
        cls = STUDIES[task]
        study = cls.for_budget(args.budget, seed=args.seed)
        result = run_study(study, args.out, resume=not args.no_resume,
                           progress=not args.no_progress)
        print(result["table"])
        if task == "energy":
            ebd = result["summary"]["MOP"]["entropy_by_distance"]
            pairs = ", ".join(f"{d:.3f}:{h:.2f}" for d, h in zip(ebd["distance"], ebd["entropy"]))
            print(f"MOP action entropy by distance to threshold (distance:nats): {pairs}")
        print(f"figure: {result['figure']}")
        print(f"wall time: {result['seconds']:.1f} s; outputs in {args.out}")
        return 0

    return handle


def _spiking_handler(args: argparse.Namespace) -> int:
    import torch

    from neuromop._checks import check_int
    from neuromop.studies.spiking_energy import format_table, run_spiking_energy

    # the networks are small (batch 256, width 64): one thread is fastest, and two threads on a
    # loaded 2-core machine slowed fitted value iteration ~5x (spin-waiting threads)
    torch.set_num_threads(check_int("threads", args.threads, low=1))
    result = run_spiking_energy(args.budget, out=args.out, seed=args.seed, method=args.method,
                                design=args.design, target=args.target,
                                progress=not args.quiet)
    print(format_table(result["table"]))
    times = ", ".join(f"{k} {v:.1f}" for k, v in result["times"].items())
    print(f"wall time (s): {times}")
    for name, path in result["paths"].items():
        print(f"wrote {name}: {path}")
    return 0


def _register_spiking(group) -> None:
    from neuromop.studies.spiking_designs import DESIGNS
    from neuromop.studies.spiking_energy import BUDGETS, DEFAULT_METHOD, METHODS

    spiking_doc = "free / MOP / R control of a Brian2 spiking network under an energy budget"
    p = group("run").add_parser(
        "spiking-energy", help="free / MOP / R control of a Brian2 spiking network under an "
        "energy budget", description=spiking_doc)
    p.add_argument("--budget", choices=tuple(BUDGETS), default="smoke")
    p.add_argument("--out", default=None, help="output folder (netCDF, CSV, JSON, PNG)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--method", choices=METHODS, default=DEFAULT_METHOD,
                   help="how MOP is learned: fitted VI on a learned one-step model, or "
                   "model-free soft Q-learning in closed loop")
    p.add_argument("--design", choices=tuple(DESIGNS), default=None,
                   help="named action design (default: the budget's; see "
                   "neuromop.studies.spiking_designs)")
    p.add_argument("--target", choices=("auto", "numpy", "cython"), default=None,
                   help="Brian2 code-generation target (default: the budget's)")
    p.add_argument("--threads", type=int, default=1, help="torch threads (default 1)")
    p.add_argument("--quiet", action="store_true", help="no progress bars")
    p.set_defaults(func=_spiking_handler)
