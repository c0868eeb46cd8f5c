"""Study: MOP control of a Brian2 spiking network under an energy budget.

Two parts:

1. ``compare``: how to learn MOP on a spiking network whose next state has no closed form --
   (a) fitted value iteration on a learned one-step model of the filtered rates, vs (b) model-free
   soft Q-learning in closed loop -- at a matched wall-clock training budget (b gets the seconds
   that (a) spent on data collection, model fitting and value iteration). Both are then run on
   the real network with the energy budget; lifetime and action entropy are reported.
2. ``table``: free / MOP / R on the energy task with the variability metrics (lifetime, Fano
   factor, CV of ISIs, r_sc, participation ratio), outputs written to ``--out``
   (:func:`neuromop.control.spiking_commands.run_spiking_energy`).

Usage: ``python analysis/spiking_energy.py --budget smoke --out results/spiking_energy``.
"""

from __future__ import annotations

import argparse
import json
import time
from dataclasses import asdict, dataclass
from pathlib import Path


@dataclass
class Args:
    budget: str = "smoke"
    out: str = "results/spiking_energy"
    seed: int = 0
    parts: tuple[str, ...] = ("compare", "table")


def compare_methods(budget: str, seed: int) -> dict:
    """(a) learned model + fitted VI vs (b) soft Q-learning at matched wall-clock time."""
    from neuromop.control import spiking_commands as sc

    cfg = sc.BUDGETS[budget]
    t0 = time.perf_counter()
    trained = sc.train_model_based(cfg, seed)
    times = trained["times"]
    budget_s = times["collect_s"] + times["model_fit_s"] + times["mop_fvi_s"]
    softq, softq_s = sc.train_soft_q(cfg, seed, trained["model_env"].state_dim,
                                     time_budget=budget_s)
    _, _, table = sc.evaluate(cfg, {"model_fvi": trained["mop"], "soft_q": softq},
                              trained["candidates"], seed + 1)
    return {"budget": budget, "seed": seed, "model_based_train_s": budget_s,
            "soft_q_train_s": softq_s, "soft_q_episodes": len(softq.history_),
            "soft_q_transitions": int(sum(h["transitions"] for h in softq.history_)),
            "model_score": trained["model_score"],
            "table": table[["lifetime_s", "survival", "action_entropy", "rate_hz"]]
            .reset_index().to_dict(orient="records"),
            "total_s": time.perf_counter() - t0}


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--budget", choices=("smoke", "default", "paper"), default=Args.budget)
    p.add_argument("--out", default=Args.out)
    p.add_argument("--seed", type=int, default=Args.seed)
    p.add_argument("--parts", nargs="+", choices=("compare", "table"), default=list(Args.parts))
    ns = p.parse_args(argv)
    args = Args(budget=ns.budget, out=ns.out, seed=ns.seed, parts=tuple(ns.parts))

    # ---- the one seeding block: every stream below derives from args.seed
    seed = args.seed

    from neuromop._io import write_json_atomic
    from neuromop.control.spiking_commands import format_table, run_spiking_energy

    out = Path(args.out)
    report = {"args": asdict(args)}
    if "compare" in args.parts:
        report["compare"] = compare_methods(args.budget, seed)
        print(json.dumps(report["compare"], indent=2))
    if "table" in args.parts:
        result = run_spiking_energy(args.budget, out=out, seed=seed)
        print(format_table(result["table"]))
        report["times_s"] = result["times"]
    write_json_atomic(out / "spiking_energy_study.json", report)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
