"""Ablation of fitted value iteration: variant x task -> survival, lifetime, std, PR, entropy.

Each variant changes one group of training settings of a controller study (``neuromop run
TASK``) and leaves everything else at the budget's values; the baseline is ``defaults`` (the
study as shipped), run in the same invocation with the same root seeds. Every (variant, seed)
is a full run of the study through :func:`neuromop.studies.seeds.run_over_seeds` (resumable,
in ``--out/<task>/<variant>/``), so the variant's controllers are trained, rolled out and
summarised exactly as the study does. Reported per task, variant and controller: the mean over
seeds of each metric with its 95 % Student-t interval, and the paired difference from
``defaults`` (same seed: same network, initial states and evaluation noise).

Variants (the issue-14 diagnosis list), relative to the budget's settings: ``replay_epochs=4``
(train on the states of the last 4 epochs), ``replay all epochs``, ``no pre-terminal memory``
(``pre_terminal_steps=0``: the states before terminations are not kept; the default keeps 20
steps since it raised MOP's energy survival from 0.66 to 0.85), ``target refresh x2`` (the
same gradient steps per epoch, the target network refreshed twice as often),
``learning_rate/3``, ``sgd`` (plain SGD, learning rate 0.01, as the paper's cartpole),
``average 10 epochs`` (the trained network is the weight average of the last 10 epochs'),
``pessimistic targets`` (each target the smaller of those of the current and the previous
target network), ``pessimistic + average 10`` (both; against R's epoch-to-epoch collapse),
``cosine lr to /10`` (the learning rate annealed along half a cosine to a tenth of its value
at the last epoch; ``constant lr`` runs the study with a constant one where it anneals),
``epochs x2`` (twice the training), ``fit_iterations x2`` (twice the gradient steps per
target update: a more precise fit of each target), ``candidates x2`` (twice the candidate
currents per step; rate-RNN tasks) and ``gamma=0.95`` (a longer horizon: a setting of the
agent, not of the fit, listed to show how much of the effect is the horizon).

Prints JSON (and writes it with ``--out-json``). Usage::

    python benchmarks/fvi_ablation.py --tasks energy square --seeds 0 1 2
"""

from __future__ import annotations

import argparse
import json
import platform
import time
from pathlib import Path

import numpy as np
import torch

from neuromop._intervals import interval_rows
from neuromop._io import write_json_atomic
from neuromop._replicates import slug_of
from neuromop.studies import STUDIES
from neuromop.studies.seeds import run_over_seeds, seed_summary


def _last_10(study) -> int:
    """Epochs averaged by the averaging variants: 10, or all of a shorter training."""
    return min(10, max(1, study.epochs))


def _candidates(study) -> int:
    """Candidate currents per step of a rate-RNN study (the cartpole has fixed actions)."""
    if not hasattr(study, "n_candidates"):
        raise ValueError(f"variant 'candidates x2' needs a rate-RNN task; "
                         f"{type(study).__name__} has no n_candidates")
    return study.n_candidates


def _coverage(study) -> int:
    """Uniform states per epoch of a study that has them (the cartpole's arena)."""
    if not hasattr(study, "coverage_states"):
        raise ValueError(f"variant 'no coverage states' needs the cartpole task; "
                         f"{type(study).__name__} has no coverage_states")
    return study.coverage_states


#: Variant name -> overrides of a study's settings, given the budget's configuration.
VARIANTS = {
    "defaults": lambda st: {},
    "replay_epochs=4": lambda st: {"replay_epochs": 4},
    "replay all epochs": lambda st: {"replay_epochs": st.epochs},
    "no pre-terminal memory": lambda st: {"pre_terminal_steps": 0},
    "average 10 epochs": lambda st: {"average_epochs": _last_10(st)},
    "pessimistic targets": lambda st: {"pessimistic_targets": True},
    "pessimistic + average 10": lambda st: {"pessimistic_targets": True,
                                            "average_epochs": _last_10(st)},
    "target refresh x2": lambda st: {"target_updates": 2 * st.target_updates,
                                     "fit_iterations": max(1, st.fit_iterations // 2)},
    "learning_rate/3": lambda st: {"learning_rate": st.learning_rate / 3},
    "sgd": lambda st: {"optimizer": "sgd", "learning_rate": 1e-2},
    "cosine lr to /10": lambda st: {"final_learning_rate": st.learning_rate / 10},
    "constant lr": lambda st: {"final_learning_rate": None},
    "epochs x2": lambda st: {"epochs": 2 * st.epochs},
    "fit_iterations x2": lambda st: {"fit_iterations": 2 * st.fit_iterations},
    "candidates x2": lambda st: {"n_candidates": 2 * _candidates(st)},
    "gamma=0.95": lambda st: {"gamma": 0.95},
    "no coverage states": lambda st: {"coverage_states": _coverage(st) * 0},
}
METRICS = ("survival", "lifetime", "activity_std", "participation_ratio", "action_entropy")


def _overrides(variant: str, budget: str, cls) -> dict:
    return VARIANTS[variant](cls.for_budget(budget))


def ablate(task: str, variants, seeds, budget: str, out: Path, progress: bool) -> dict:
    """Run every variant of ``task`` over ``seeds``; per controller and metric the mean and
    interval, and the paired difference from ``defaults``."""
    cls = STUDIES[task]
    datasets, rows = {}, []
    for variant in variants:
        study = cls.for_budget(budget, **_overrides(variant, budget, cls))
        t0 = time.perf_counter()
        result = run_over_seeds(study, seeds, out / task / slug_of(variant), progress=progress)
        datasets[variant] = result.datasets["seeds"]
        frame = seed_summary(result.datasets["seeds"])
        for rec in frame[frame["metric"].isin(METRICS)].to_dict(orient="records"):
            if " - " in rec["comparison"]:
                continue
            rows.append({"task": task, "variant": variant, "controller": rec["comparison"],
                         "metric": rec["metric"], "mean": rec["mean"], "low": rec["low"],
                         "high": rec["high"], "values": rec["values"],
                         "seconds_per_seed": (time.perf_counter() - t0) / len(seeds)})
    base = datasets.get("defaults")
    for variant, ds in datasets.items():
        if base is None or variant == "defaults":
            continue
        common = [m for m in METRICS if m in ds and m in base]
        diff = ds[common] - base[common]  # aligned on seed and controller: paired runs
        for rec in interval_rows(diff, "seed", "controller"):
            rows.append({"task": task, "variant": f"{variant} - defaults",
                         "controller": str(rec["comparison"]), "metric": rec["metric"],
                         "mean": rec["mean"], "low": rec["low"], "high": rec["high"],
                         "values": rec["values"]})
    return {"rows": rows}


def format_rows(rows: list[dict], controller: str = "MOP") -> str:
    """One line per (task, variant): mean ± half-width per metric of ``controller``."""
    lines = []
    keys = sorted({(r["task"], r["variant"]) for r in rows},
                  key=lambda k: (k[0], " - " in k[1], k[1] != "defaults", k[1]))
    for task, variant in keys:
        cells = []
        for m in METRICS:
            hit = [r for r in rows if (r["task"], r["variant"], r["metric"]) == (task, variant, m)
                   and r["controller"] == controller]
            if hit:
                r = hit[0]
                half = (r["high"] - r["low"]) / 2 if np.isfinite(r["low"]) else float("nan")
                cells.append(f"{m} {r['mean']:.3g} ± {half:.2g}")
        if cells:
            lines.append(f"{task:<10}{variant:<34}" + "; ".join(cells))
    return "\n".join(lines)


def _applicable(task: str, budget: str) -> list[str]:
    """The variants whose settings ``task`` has (e.g. no candidate currents on the cartpole)."""
    out = []
    for variant in VARIANTS:
        try:
            _overrides(variant, budget, STUDIES[task])
        except ValueError:
            continue
        out.append(variant)
    return out


def main(argv=None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tasks", nargs="+", default=["energy"],
                        choices=[n for n, c in STUDIES.items() if c.REPLICABLE])
    parser.add_argument("--variants", nargs="+", default=None, choices=list(VARIANTS),
                        help="default: every variant that applies to the task")
    parser.add_argument("--seeds", nargs="+", type=int, default=[0, 1, 2])
    parser.add_argument("--budget", default="default", choices=("smoke", "default", "paper"))
    parser.add_argument("--controller", default="MOP", help="controller of the printed table")
    parser.add_argument("--out", default="fvi_ablation", help="folder of the runs (resumable)")
    parser.add_argument("--out-json", default=None, help="write the JSON here too")
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--no-progress", action="store_true")
    args = parser.parse_args(argv)
    if args.variants is not None and "defaults" not in args.variants:
        parser.error("--variants must include defaults (the baseline)")
    torch.set_num_threads(args.threads)
    variants = {t: args.variants or _applicable(t, args.budget) for t in args.tasks}
    rows = []
    for task in args.tasks:
        rows += ablate(task, variants[task], args.seeds, args.budget, Path(args.out),
                       not args.no_progress)["rows"]
    report = {"benchmark": "fvi_ablation", "baseline": "defaults", "budget": args.budget,
              "seeds": args.seeds,
              "variants": {t: {v: _overrides(v, args.budget, STUDIES[t]) for v in variants[t]}
                           for t in args.tasks},
              "threads": args.threads, "python": platform.python_version(),
              "torch": torch.__version__, "rows": rows}
    print(format_rows(rows, args.controller))
    print(json.dumps(report, indent=2, default=str))
    if args.out_json:
        write_json_atomic(args.out_json, report)
    return report


if __name__ == "__main__":
    main()
