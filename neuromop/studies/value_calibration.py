"""How much data does a soft-versus-true verdict need, and can it be trusted? (issue 21)

For two independently written ground-truth simulators — the two-offer economic-choice population
(:func:`~neuromop.values.simulate_value_population`, separable design) and a Q-learner on a
restless bandit with over-dispersed counts and drifting gains
(:func:`~neuromop.values.simulate_bandit_value_population`) — and for every (trials, neurons)
cell, :func:`~neuromop.values.verdict_calibration` tabulates the verdicts of
:func:`~neuromop.values.compare_value_encodings` on sessions that encode soft value, true
value, a mixture or neither: the confusion matrix, the correct-verdict rate (power) with Wilson
intervals, the false-positive rate of the population verdict under "neither" and the per-neuron
error rates (untuned neurons called value-coding, true-only neurons called soft).

The nulls are circular shifts and pseudo-sessions re-simulated from each session's task with
its generating parameters (``nulls``); with slow, learned signals the shift null alone is
anti-conservative (see the guide); ``"linear_shift"`` (no wrap-around) is the alternative
that needs no behavioural model.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import ClassVar

import xarray as xr

from neuromop._checks import check_choice, check_int, check_real
from neuromop._random import spawn
from neuromop.plots.values import plot_value_calibration
from neuromop.studies.protocol import Study, StudyResult, cached_cell
from neuromop.values import (
    bandit_pseudo_sampler,
    simulate_bandit_value_population,
    simulate_value_population,
    two_offer_pseudo_sampler,
    verdict_calibration,
)
from neuromop.values._encoding_nulls import _check_pool
from neuromop.values.encoding import INTERSECTION_TESTS, NULL_TYPES, POPULATION_STATISTICS

__all__ = ["SIMULATORS", "ValueCalibrationStudy"]

#: The ground-truth simulators and the base covariates their comparison uses.
SIMULATORS = {
    "two_offer": ("chosen",),  # the chosen juice (0/1) is a base covariate
    "bandit": (),  # the chosen arm is categorical over four arms: no base covariate
}


def _simulator(name: str, n_trials: int, n_neurons: int):
    if name == "two_offer":
        return lambda enc, rng: simulate_value_population(
            encoding=enc, design="separable", n_trials=n_trials, n_neurons=n_neurons,
            random_state=rng)
    return lambda enc, rng: simulate_bandit_value_population(
        encoding=enc, n_trials=n_trials, n_neurons=n_neurons, random_state=rng)


def _pseudo_sampler(simulator: str, ds: xr.Dataset):
    """Pseudo-sessions of a simulated session's task with its own (generating) parameters."""
    if simulator == "two_offer":
        return two_offer_pseudo_sampler(ds["offer_A"].values, ds["offer_B"].values,
                                        rho=ds.attrs["rho"], temperature=ds.attrs["temperature"])
    return bandit_pseudo_sampler(ds.sizes["trial"], alpha=ds.attrs["alpha"],
                                 temperature=ds.attrs["temperature"],
                                 volatility=ds.attrs["volatility"], n_arms=ds.attrs["n_arms"],
                                 p_available=ds.attrs["p_available"])


@dataclass
class ValueCalibrationStudy(Study):
    """Confusion matrices of the value verdicts over simulators x trials x neurons."""

    seed: int = 21
    simulators: tuple[str, ...] = ("two_offer", "bandit")
    n_trials: tuple[int, ...] = (200, 500)
    n_neurons: tuple[int, ...] = (20, 60)
    encodings: tuple[str, ...] = ("soft", "true", "mixed", "none")
    n_sessions: int = 20
    n_null: int = 99
    alpha: float = 0.01
    population_statistic: str = "auto"
    intersection_test: str = "max_z"
    nulls: tuple[str, ...] = ("shift", "pseudo")
    linear_shift_p: str = "approximate"

    name: ClassVar[str] = "value-calibration"
    USES_TORCH: ClassVar[bool] = False
    OPTIONS: ClassVar[dict[str, dict]] = {
        "population_statistic": dict(
            choices=POPULATION_STATISTICS,
            help="population statistic of the value tests (see compare_value_encodings)"),
        "intersection_test": dict(
            choices=INTERSECTION_TESTS,
            help="gate of the verdicts (see compare_value_encodings)"),
        "nulls": dict(
            nargs="+", choices=NULL_TYPES,
            help="null types of the value tests, the larger p of them (default: shift pseudo)"),
        "linear_shift_p": dict(
            choices=("approximate", "conservative"),
            help="p-values of linear shifts: Harris's large-shift approximation (default) or "
                 "his bound (needs an even --n-null >= 2/alpha - 2)"),
        "n_null": dict(type=int, metavar="N",
                       help="null draws per test (default: the budget's, 99)"),
    }
    BUDGETS: ClassVar[dict[str, dict]] = {
        "smoke": dict(n_trials=(120,), n_neurons=(8,), encodings=("soft", "none"),
                      n_sessions=2, n_null=19, alpha=0.05),
        "default": {},
        "paper": dict(n_trials=(200, 500, 1000), n_neurons=(20, 60, 100), n_sessions=100),
    }

    def __post_init__(self) -> None:
        super().__post_init__()
        for sim in self.simulators:
            check_choice("simulators", sim, tuple(SIMULATORS))
        if isinstance(self.nulls, str):
            raise TypeError(f"nulls must be a sequence of null types, got {self.nulls!r}")
        self.nulls = tuple(self.nulls)
        for kind in self.nulls:
            check_choice("nulls", kind, NULL_TYPES)
        check_choice("population_statistic", self.population_statistic, POPULATION_STATISTICS)
        check_choice("intersection_test", self.intersection_test, INTERSECTION_TESTS)
        if not self.nulls:
            raise ValueError(f"nulls must name at least one of {NULL_TYPES}")
        check_choice("linear_shift_p", self.linear_shift_p, ("approximate", "conservative"))
        check_int("n_null", self.n_null, low=1)
        check_real("alpha", self.alpha, low=0.0, high=1.0, low_inclusive=False)
        # before any session is simulated: the nulls' p-values must be able to reach alpha
        _check_pool(self.n_null, self.nulls, self.linear_shift_p, self.alpha,
                    self.intersection_test)

    def cell(self, simulator: str, n_trials: int, n_neurons: int, stream) -> xr.Dataset:
        """The calibration of one (simulator, trials, neurons) cell."""
        kwargs = dict(n_null=self.n_null, alpha=self.alpha, base=list(SIMULATORS[simulator]),
                      population_statistic=self.population_statistic,
                      intersection_test=self.intersection_test, null=tuple(self.nulls),
                      linear_shift_p=self.linear_shift_p)

        def per_session(ds):
            if "pseudo" not in self.nulls:
                return kwargs
            return {**kwargs, "pseudo_sampler": _pseudo_sampler(simulator, ds)}

        return verdict_calibration(_simulator(simulator, n_trials, n_neurons),
                                   encodings=self.encodings, n_sessions=self.n_sessions,
                                   compare_kwargs=per_session, random_state=stream)

    def sweep(self, out=None, *, progress: bool = True) -> xr.Dataset:
        """Every cell (cached under ``out/cells`` when ``out`` is given), stacked."""
        grid = [(s, t, n) for s in self.simulators for t in self.n_trials for n in self.n_neurons]
        streams = spawn(self.seed, len(grid))
        cells = []
        for (sim, n_t, n_n), stream in zip(grid, streams):
            path = None if out is None else out / "cells" / f"{sim}_trials={n_t}_neurons={n_n}.nc"
            ds = cached_cell(path, lambda s=sim, t=n_t, n=n_n, st=stream: self.cell(s, t, n, st),
                             label=lambda d, s=sim, t=n_t, n=n_n: (
                                 f"{s:<9} trials={t:<5} neurons={n:<4} correct "
                                 + " ".join(f"{e} {float(d['correct_rate'].sel(encoding=e)):.2f}"
                                            for e in d["encoding"].values)),
                             progress=progress)
            cells.append(ds.expand_dims(simulator=[sim], n_trials=[n_t], n_neurons=[n_n]))
        out_ds = xr.combine_by_coords(cells, combine_attrs="drop")
        out_ds["n_trials"].attrs["units"] = "trials per session"
        out_ds["n_neurons"].attrs["units"] = "neurons per session"
        out_ds.attrs.update(alpha=self.alpha, n_sessions=self.n_sessions, n_null=self.n_null,
                            nulls=" + ".join(self.nulls), intersection_test=self.intersection_test,
                            linear_shift_p=self.linear_shift_p)
        return out_ds

    def run(self, out_dir, *, resume: bool = True, progress: bool = True) -> StudyResult:
        """The sweep, ``value_calibration.nc``, the figure and the table of correct rates."""
        started = time.perf_counter()
        out = self.prepare(out_dir, resume=resume)
        ds = self.sweep(out, progress=progress)
        frame = _table(ds)
        summary = {"correct_rate": {}, "false_positive_rate": {}}
        for row in frame.itertuples():
            key = f"{row.simulator}/trials={row.n_trials}/neurons={row.n_neurons}"
            summary["correct_rate"][key] = {e: _number(getattr(row, f"correct_{e}"))
                                            for e in self.encodings}
            summary["false_positive_rate"][key] = {
                "population": _number(getattr(row, "population_fp", None)),
                "neuron": _number(row.neuron_fp),
                "neuron_false_soft": _number(row.neuron_false_soft),
                "neuron_power": _number(row.neuron_power)}
        return self.finish(out, table=frame.to_string(index=False, float_format="{:.3f}".format),
                           summary=summary, started=started, datasets={"value_calibration": ds},
                           frames={"value_calibration": frame},
                           figures={"value_calibration": plot_value_calibration(ds)})


def _number(x) -> float | None:
    """A float for the summary, ``None`` where undefined (NaN: no sessions or neurons)."""
    return None if x is None or x != x else float(x)


def _table(ds: xr.Dataset):
    import pandas as pd

    rows = []
    for sim in ds["simulator"].values:
        for n_t in ds["n_trials"].values:
            for n_n in ds["n_neurons"].values:
                c = ds.sel(simulator=sim, n_trials=n_t, n_neurons=n_n)
                row = {"simulator": str(sim), "n_trials": int(n_t), "n_neurons": int(n_n)}
                for e in ds["encoding"].values:
                    row[f"correct_{e}"] = float(c["correct_rate"].sel(encoding=e))
                if "none" in ds["encoding"].values:
                    row["population_fp"] = 1.0 - row["correct_none"]
                row["neuron_fp"] = float(c["neuron_false_positive"])
                row["neuron_false_soft"] = float(c["neuron_false_soft"])
                row["neuron_power"] = float(c["neuron_power"])
                rows.append(row)
    return pd.DataFrame(rows)
