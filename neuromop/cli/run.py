"""``neuromop run NAME``: run any study of :data:`neuromop.studies.STUDIES` end to end.

Every study gets the same flags (``--budget``, ``--out``, ``--seed``, ``--threads``,
``--no-resume``, ``--no-progress``) plus its own ``OPTIONS``; studies with per-controller
metrics also take ``--seeds S [S ...]`` (:func:`~neuromop.studies.seeds.run_over_seeds`: one
run per root seed, mean and interval over them). The handler builds
``STUDIES[NAME].for_budget(budget, seed=..., **options)``, runs it and prints its table, the
files written and the wall time.
"""

from __future__ import annotations

import argparse

__all__ = ["register"]


def register(group) -> None:
    """Add one ``run`` sub-command per study."""
    from neuromop.studies import STUDIES

    runs = group("run")
    for name, cls in STUDIES.items():
        text = (cls.__doc__ or name).strip().splitlines()[0]
        p = runs.add_parser(name, help=text, description=text)
        p.add_argument("--budget", choices=tuple(cls.BUDGETS), default="default",
                       help="compute budget (smoke: seconds; default: minutes on 2 cores; "
                            "paper: the publication sizes)")
        p.add_argument("--out", default=f"neuromop_{name.replace('-', '_')}",
                       help="output folder (checkpoints, datasets, table, figures)")
        seeding = p.add_mutually_exclusive_group()
        seeding.add_argument("--seed", type=int, default=None,
                             help="root seed of every random stream (default: the study's)")
        if cls.REPLICABLE:
            seeding.add_argument(
                "--seeds", type=int, nargs="+", default=None, metavar="SEED",
                help="run once per root seed (each in --out/seed_<s>) and print mean and 95 %% "
                     "t-interval over the seeds per controller, with a figure with error bars")
        p.add_argument("--threads", type=int, default=1,
                       help="torch intra-op threads (1 is fastest for these small networks)")
        p.add_argument("--no-resume", action="store_true",
                       help="start over: replace the checkpoints and results in --out")
        p.add_argument("--no-progress", action="store_true", help="hide progress bars")
        for field_name, kwargs in cls.OPTIONS.items():
            p.add_argument(f"--{field_name.replace('_', '-')}", dest=field_name, default=None,
                           **kwargs)
        p.set_defaults(func=_handler(name))


def _handler(name: str):
    def handle(args: argparse.Namespace) -> int:
        from neuromop.studies import STUDIES

        cls = STUDIES[name]
        if args.threads < 1:
            raise ValueError(f"--threads must be >= 1, got {args.threads}")
        if args.seed is not None and args.seed < 0:
            raise ValueError(f"--seed must be >= 0, got {args.seed}")
        overrides = {k: getattr(args, k) for k in cls.OPTIONS if getattr(args, k) is not None}
        if args.seed is not None:
            overrides["seed"] = args.seed
        study = cls.for_budget(args.budget, **overrides)
        if cls.USES_TORCH:
            import torch

            # the networks are small (batch 256, width 64-128): one thread is fastest, and two
            # threads on a loaded 2-core machine slowed fitted value iteration several-fold
            torch.set_num_threads(args.threads)
        if getattr(args, "seeds", None) is not None:
            from neuromop.studies.seeds import run_over_seeds

            if any(s < 0 for s in args.seeds):
                raise ValueError(f"--seeds must be >= 0, got {args.seeds}")
            result = run_over_seeds(study, args.seeds, args.out, resume=not args.no_resume,
                                    progress=not args.no_progress)
        else:
            result = study.run(args.out, resume=not args.no_resume,
                               progress=not args.no_progress)
        print(result.table)
        for role, path in result.files.items():
            if role in ("summary", "table") or str(path).endswith(".png"):
                print(f"{role}: {path}")
        print(f"wall time: {result.seconds:.1f} s; outputs in {args.out}")
        return 0

    return handle
