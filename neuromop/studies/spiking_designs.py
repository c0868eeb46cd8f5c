"""Action designs of the spiking energy task, and the sweep that compares MOP and R across them.

How a controller can act decides how its action entropy shows up in spike counts. Currents
into whole populations (one E group) make every action a *shared* modulation: it adds one
dimension of variance to the E counts, which lowers their participation ratio, and with short
(20 ms), weak (0.06 nA) actions it barely moves single-neuron Fano factors at the ~1-3 Hz the
energy budget allows. Longer, stronger actions into separate E groups let MOP's random choices
change each group's counts by more than their Poisson noise -- Fano factors rise -- but the
added variance lies in the few action directions, so the participation ratio (largest for
isotropic, Poisson-like covariance) does not rise with it. Balanced *patterns* across 16 E
groups (``patterns_*``) combine the two: the population levels control the energy, and the
patterns, which leave the population input unchanged, give MOP many directions in which to
spend its action entropy. :func:`run_design_sweep` measures free / MOP / R under each design
and seed, with the metrics of :func:`~neuromop.analysis.tables.variability_table`.

Measured at the default budget, seeds 0-2: MOP outlived the free network and R in every design;
its participation ratio exceeded R's in 3/3 seeds of ``population_20ms``, ``patterns_20ms`` and
``patterns_50ms``, its Fano factor (100 ms) in 3/3 of ``quarters_50ms`` and ``patterns_20ms``
(by 0.02-0.07; rate-matched 2/3) but only 1/3 of ``patterns_50ms`` (R's population bursts,
r_sc ~0.4, raise R's Fano factor while they end its episodes). Only ``patterns_20ms`` gave both
raw criteria in every default seed, and it does not at the smoke budget.
"""

from __future__ import annotations

import dataclasses
import json
import time
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from neuromop._checks import check_choice, check_int

__all__ = ["DESIGNS", "SWEEP_METRICS", "design_config", "run_design_sweep", "summarize_sweep"]

#: Named action designs: overrides of :class:`~neuromop.studies.spiking_energy.
#: SpikingEnergyConfig` (the count windows follow the control period).
DESIGNS = {
    # currents into the whole E and I populations every 20 ms (the default; 9 candidates)
    "population_20ms": dict(e_groups=1, control_inh=True, control_period=20.0, amplitude=0.06,
                            fano_windows=(0.02, 0.06, 0.1, 0.2)),
    # each half of E and I driven separately every 50 ms (27 candidates)
    "halves_50ms": dict(e_groups=2, control_inh=True, control_period=50.0, amplitude=0.1,
                        fano_windows=(0.05, 0.1, 0.2, 0.5)),
    # four E quarters, no I current, every 50 ms (81 candidates: ~3x the value iteration)
    "quarters_50ms": dict(e_groups=4, control_inh=False, control_period=50.0, amplitude=0.1,
                          fano_windows=(0.05, 0.1, 0.2, 0.5)),
    # the default's population currents, each combined with one of 8 balanced patterns that move
    # 0.06 nA between 16 groups of E neurons (72 candidates)
    "patterns_20ms": dict(e_groups=1, control_inh=True, control_period=20.0, amplitude=0.06,
                          pattern_groups=16, n_patterns=8, pattern_amplitude=0.06,
                          fano_windows=(0.02, 0.06, 0.1, 0.2)),
    # the same every 50 ms at 0.1 nA (the quarters' timing and strength; 72 candidates)
    "patterns_50ms": dict(e_groups=1, control_inh=True, control_period=50.0, amplitude=0.1,
                          pattern_groups=16, n_patterns=8, pattern_amplitude=0.1,
                          fano_windows=(0.05, 0.1, 0.2, 0.5)),
}

#: Columns of the sweep's result (besides ``design``, ``seed`` and ``controller``).
SWEEP_METRICS = ("lifetime_s", "survival", "action_entropy", "rate_hz_analysed", "span_s",
                 "fano_factor", "mean_matched_fano_factor", "fano_factor_rate_matched", "r_sc",
                 "participation_ratio", "train_s")


def design_config(budget: str, design: str):
    """The :class:`~neuromop.studies.spiking_energy.SpikingEnergyConfig` of ``budget`` with the
    action design ``design`` (a key of :data:`DESIGNS`)."""
    from neuromop.studies.spiking_energy import BUDGETS

    check_choice("budget", budget, tuple(BUDGETS))
    check_choice("design", design, tuple(DESIGNS))
    return dataclasses.replace(BUDGETS[budget], **DESIGNS[design])


def _one_run(cfg, seed: int) -> list[dict]:
    from neuromop.studies.spiking_energy import evaluate, train_model_based

    t0 = time.perf_counter()
    trained = train_model_based(cfg, seed)
    train_s = time.perf_counter() - t0
    _, _, table = evaluate(cfg, {"free": None, "MOP": trained["mop"], "R": trained["reward"]},
                           trained["candidates"], seed)
    rows = []
    for label, row in table.iterrows():
        rec = {"controller": label, "train_s": train_s}
        rec.update({k: float(row[k]) for k in SWEEP_METRICS if k in row.index})
        rows.append(rec)
    return rows


def run_design_sweep(budget: str = "smoke", designs: Sequence[str] = tuple(DESIGNS),
                     seeds: Sequence[int] = (0,), *, checkpoint_dir=None,
                     progress: bool = True) -> pd.DataFrame:
    """Train and evaluate free / MOP / R under each action design and seed.

    Parameters
    ----------
    budget : {"smoke", "default", "paper"}
        Size of every run (:data:`~neuromop.studies.spiking_energy.BUDGETS`).
    designs : sequence of str
        Keys of :data:`DESIGNS`.
    seeds : sequence of int
        Seeds (>= 0) of the runs; every design is run with every seed.
    checkpoint_dir : path-like, optional
        Folder where each finished (design, seed) run is saved as JSON; a later call with the
        same folder reuses the runs whose configuration matches (a default-budget sweep of the
        three designs and three seeds takes ~55 min, one run after another).
    progress : bool
        Print one line per finished run.

    Returns
    -------
    pandas.DataFrame
        One row per design x seed x controller with :data:`SWEEP_METRICS` (``train_s``: wall
        seconds of data collection, model fit and both value iterations).
    """
    designs = [check_choice("designs", d, tuple(DESIGNS)) for d in designs]
    seeds = [check_int("seeds", s, low=0) for s in seeds]
    if not designs or not seeds:
        raise ValueError("designs and seeds must not be empty")
    folder = None if checkpoint_dir is None else Path(checkpoint_dir)
    if folder is not None:
        folder.mkdir(parents=True, exist_ok=True)
    rows = []
    for design in designs:
        cfg = design_config(budget, design)
        settings = json.loads(json.dumps(dataclasses.asdict(cfg)))  # tuples -> lists
        for seed in seeds:
            path = None if folder is None else folder / f"{budget}_{design}_seed{seed}.json"
            saved = json.loads(path.read_text()) if path is not None and path.exists() else None
            if saved is not None and saved["config"] == settings:
                run_rows, how = saved["rows"], "reused"
            else:
                run_rows, how = _one_run(cfg, seed), "ran"
                if path is not None:
                    from neuromop._io import write_json_atomic

                    write_json_atomic(path, {"budget": budget, "design": design, "seed": seed,
                                             "config": settings, "rows": run_rows})
            rows += [{"design": design, "seed": seed, **r} for r in run_rows]
            if progress:
                mop = next(r for r in run_rows if r["controller"] == "MOP")
                print(f"[{how}] {design} seed {seed}: MOP lifetime {mop['lifetime_s']:.2f} s, "
                      f"Fano {mop['fano_factor']:.3f}, PR {mop['participation_ratio']:.1f}",
                      flush=True)
    return pd.DataFrame(rows, columns=["design", "seed", "controller", *SWEEP_METRICS])


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
