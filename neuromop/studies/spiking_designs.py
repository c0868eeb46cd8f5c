"""How the action design of the spiking energy task shapes MOP's and R's variability, over seeds.

How a controller can act decides how its action entropy shows up in spike counts. Currents
into whole populations (one E group) make every action a *shared* modulation: it adds one
dimension of variance to the E counts, which lowers their participation ratio, and weak, short
actions barely move single-neuron Fano factors at the low rates the energy budget allows.
Longer, stronger actions into separate E groups let MOP's random choices change each group's
counts by more than their Poisson noise, but the added variance lies in the few action
directions. Balanced *patterns* across 16 E groups (``patterns_*``) combine the two: the
population levels control the energy, and the patterns, which leave the population input
unchanged, give MOP many directions in which to spend its action entropy.

:class:`SpikingDesignsStudy` trains and evaluates free / MOP / R
(:class:`~neuromop.studies.spiking_energy.SpikingEnergyStudy`, learned model + fitted value
iteration) under each design of :data:`~neuromop.studies.spiking_energy.ACTION_DESIGNS` and
each seed, and counts the seeds in which MOP's value exceeds R's (:func:`summarize_sweep`).
Each finished (design, seed) run is saved in ``runs/`` and reused when the study is restarted
with the same settings.
"""

from __future__ import annotations

import json
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar

import numpy as np
import pandas as pd

from neuromop._checks import check_choice, check_int
from neuromop._io import write_json_atomic
from neuromop.studies.protocol import Study, StudyResult, jsonable
from neuromop.studies.spiking_energy import ACTION_DESIGNS, SpikingEnergyStudy

__all__ = ["SWEEP_METRICS", "SpikingDesignsStudy", "run_design_sweep", "summarize_sweep"]

#: Columns of the sweep's result (besides ``design``, ``seed`` and ``controller``).
SWEEP_METRICS = ("lifetime_s", "survival", "action_entropy", "rate_hz_analysed", "span_s",
                 "fano_factor", "mean_matched_fano_factor", "fano_factor_rate_matched", "r_sc",
                 "participation_ratio", "train_s")


def _one_run(study: SpikingEnergyStudy) -> list[dict]:
    t0 = time.perf_counter()
    trained = study.train_model_based()
    train_s = time.perf_counter() - t0
    _, _, table = study.evaluate({"free": None, "MOP": trained["mop"], "R": trained["reward"]},
                                 trained["candidates"])
    rows = []
    for label, row in table.iterrows():
        rec = {"controller": label, "train_s": train_s}
        rec.update({k: float(row[k]) for k in SWEEP_METRICS if k in row.index})
        rows.append(rec)
    return rows


def run_design_sweep(budget: str = "smoke", designs: Sequence[str] = tuple(ACTION_DESIGNS),
                     seeds: Sequence[int] = (0,), *, checkpoint_dir=None, reuse: bool = True,
                     progress: bool = True) -> pd.DataFrame:
    """Train and evaluate free / MOP / R under each action design and seed.

    Parameters
    ----------
    budget : {"smoke", "default", "paper"}
        Size of every run (:class:`~neuromop.studies.spiking_energy.SpikingEnergyStudy`).
    designs : sequence of str
        Keys of :data:`~neuromop.studies.spiking_energy.ACTION_DESIGNS`.
    seeds : sequence of int
        Root seeds (>= 0) of the runs; every design is run with every seed.
    checkpoint_dir : path-like, optional
        Folder where each finished (design, seed) run is saved as JSON; a later call with the
        same folder reuses the runs whose settings match.
    reuse : bool
        Reuse the saved runs of ``checkpoint_dir`` (``False`` reruns and replaces them).
    progress : bool
        Print one line per finished run.

    Returns
    -------
    pandas.DataFrame
        One row per design x seed x controller with :data:`SWEEP_METRICS` (``train_s``: wall
        seconds of data collection, model fit and both value iterations).
    """
    check_choice("budget", budget, tuple(SpikingEnergyStudy.BUDGETS))
    designs = [check_choice("designs", d, tuple(ACTION_DESIGNS)) for d in designs]
    seeds = [check_int("seeds", s, low=0) for s in seeds]
    if not designs or not seeds:
        raise ValueError("designs and seeds must not be empty")
    folder = None if checkpoint_dir is None else Path(checkpoint_dir)
    if folder is not None:
        folder.mkdir(parents=True, exist_ok=True)
    rows = []
    for design in designs:
        for seed in seeds:
            study = SpikingEnergyStudy.for_budget(budget, design=design, seed=seed)
            settings = study.settings()
            path = None if folder is None else folder / f"{budget}_{design}_seed{seed}.json"
            saved = _read_run(path) if reuse else None
            if saved is not None and saved.get("settings") == settings:
                run_rows, how = saved["rows"], "reused"
            else:
                run_rows, how = _one_run(study), "ran"
                if path is not None:
                    write_json_atomic(path, {"budget": budget, "design": design, "seed": seed,
                                             "settings": settings, "rows": jsonable(run_rows)})
            rows += [{"design": design, "seed": seed, **r} for r in run_rows]
            if progress:
                mop = next(r for r in run_rows if r["controller"] == "MOP")
                print(f"[{how}] {design} seed {seed}: MOP lifetime {mop['lifetime_s']:.2f} s, "
                      f"Fano {mop['fano_factor']:.3f}, PR {mop['participation_ratio']:.1f}",
                      flush=True)
    return pd.DataFrame(rows, columns=["design", "seed", "controller", *SWEEP_METRICS])


def _read_run(path: Path | None) -> dict | None:
    if path is None or not path.exists():
        return None
    try:
        saved = json.loads(path.read_text())
    except (OSError, ValueError):
        return None  # an unreadable record is rerun (and replaced)
    return saved if isinstance(saved, dict) else None


def summarize_sweep(results: pd.DataFrame) -> pd.DataFrame:
    """Per design: mean metrics of MOP and R and in how many seeds MOP exceeds R.

    Parameters
    ----------
    results : pandas.DataFrame
        Output of :func:`run_design_sweep`.

    Returns
    -------
    pandas.DataFrame
        Index ``design``; columns ``seeds``, ``lifetime_free_s`` / ``lifetime_mop_s`` /
        ``lifetime_r_s`` (means over seeds) and, for the Fano factor, the rate-matched Fano
        factor, the participation ratio and r_sc: ``<metric>_mop``, ``<metric>_r`` (means) and
        ``<metric>_mop_gt_r`` (seeds in which MOP's value is the larger; NaN pairs count as not).
    """
    need = {"design", "seed", "controller", "lifetime_s", "fano_factor",
            "fano_factor_rate_matched", "participation_ratio", "r_sc"}
    missing = need - set(results.columns)
    if missing:
        raise ValueError(f"results must come from run_design_sweep; missing columns "
                         f"{sorted(missing)}")
    out = {}
    for design, part in results.groupby("design", sort=False):
        table = part.set_index(["seed", "controller"])
        seeds = sorted(part["seed"].unique())

        def values(metric, label, table=table, seeds=seeds):
            return np.array([table[metric].get((s, label), np.nan) for s in seeds], dtype=float)

        rec = {"seeds": len(seeds)}
        for label, name in (("free", "free"), ("MOP", "mop"), ("R", "r")):
            life = values("lifetime_s", label)
            rec[f"lifetime_{name}_s"] = float(np.nanmean(life)) if np.isfinite(life).any() \
                else np.nan
        for metric in ("fano_factor", "fano_factor_rate_matched", "participation_ratio",
                       "r_sc"):
            mop, r = values(metric, "MOP"), values(metric, "R")
            rec[f"{metric}_mop"] = float(np.nanmean(mop)) if np.isfinite(mop).any() else np.nan
            rec[f"{metric}_r"] = float(np.nanmean(r)) if np.isfinite(r).any() else np.nan
            rec[f"{metric}_mop_gt_r"] = int(np.sum(mop > r))
        out[design] = rec
    return pd.DataFrame.from_dict(out, orient="index").rename_axis("design")


@dataclass
class SpikingDesignsStudy(Study):
    """The design sweep as a study: every design of ``designs`` with every seed of ``seeds``.

    ``run_budget`` is the size of each run (a budget of
    :class:`~neuromop.studies.spiking_energy.SpikingEnergyStudy`); the study's own ``seed`` is
    not used (each run has its own root seed from ``seeds``).
    """

    run_budget: str = "default"
    designs: tuple[str, ...] = tuple(ACTION_DESIGNS)
    seeds: tuple[int, ...] = (0, 1, 2)

    name: ClassVar[str] = "spiking-designs"
    BUDGETS: ClassVar[dict[str, dict]] = {
        # one design, one seed, the smoke network (the sweep machinery end to end)
        "smoke": dict(run_budget="smoke", designs=("patterns_50ms",), seeds=(0,)),
        "default": {},  # ~2 h (runs one after another; resumable)
        "paper": dict(run_budget="paper", seeds=(0, 1, 2, 3, 4)),
    }

    def run(self, out_dir, *, resume: bool = True, progress: bool = True) -> StudyResult:
        """Run (or reuse) every design x seed; write the runs and the per-design summary."""
        started = time.perf_counter()
        out = self.prepare(out_dir, resume=resume)
        runs = run_design_sweep(self.run_budget, self.designs, self.seeds,
                                checkpoint_dir=out / "runs", reuse=resume, progress=progress)
        summary = summarize_sweep(runs)
        return self.finish(out, table=summary.round(3).T.to_string(),
                           summary={"designs": summary.reset_index().to_dict(orient="records")},
                           started=started, frames={"runs": runs, "designs": summary})
