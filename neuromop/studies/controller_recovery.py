"""Can a MOP controller parameter be recovered from the variability it produces?

A rate RNN is fitted to a simulated recording (a teacher network driven by input pulses); the
fit becomes a trial-matched environment; in each of ``n_simulations`` simulations a NeuroMOP
controller with a known value of the parameter produces the "recording", and
:func:`~neuromop.fit.fit_mop_parameter` fits the parameter back from one variability statistic
(fresh controllers, other seeds). Reported per parameter × statistic: the coverage of the
intervals (with a Wilson interval), how often the closest grid value is the true one, and how
many grid values an interval holds (its informativeness). The temperature ``alpha`` is
included as the negative control: without state entropy the exact MOP policy does not depend on
it, so its intervals should span the grid.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import ClassVar

import numpy as np
import xarray as xr

from neuromop._io import atomic_path
from neuromop._random import seed_int, spawn
from neuromop.studies.protocol import Study, StudyResult, cached_cell

__all__ = ["ControllerRecoveryStudy", "format_recovery"]

_GRIDS = {"action_scale": (0.25, 0.5, 1.0, 2.0, 4.0), "alpha": (0.1, 0.3, 1.0, 3.0, 10.0)}


def format_recovery(rows: list[dict], n_simulations: int) -> str:
    """The markdown table of every parameter × statistic."""
    lines = ["# Recovery of MOP controller parameters from rollout variability", "",
             f"{n_simulations} simulations per row; true value 1 on the grids "
             f"{_GRIDS['action_scale']} (action_scale) and {_GRIDS['alpha']} (alpha).", "",
             "| parameter | statistic | coverage [95 % Wilson] | closest = true | grid values "
             "per interval (of 5) |", "|---|---|---|---|---|"]
    for r in rows:
        lo, hi = r["coverage_interval"]
        lines.append(f"| {r['parameter']} | {r['statistic']} | {r['coverage']:.2f} "
                     f"[{lo:.2f}, {hi:.2f}] | {r['hat_is_true']:.2f} | "
                     f"{r['mean_interval_values']:.2f} |")
    return "\n".join(lines)


@dataclass
class ControllerRecoveryStudy(Study):
    """Recovery of a MOP controller parameter (control gain, temperature) from the variability
    of its rollouts on a fitted network."""

    seed: int = 2026
    parameters: tuple[str, ...] = ("action_scale", "alpha")
    statistics: tuple[str, ...] = ("fano_factor", "participation_ratio")
    n_simulations: int = 20
    n_trials: int = 200
    n_time: int = 12
    n_neurons: int = 8
    units: int = 6
    epochs: int = 150                   # fit of the rate RNN
    control_epochs: int = 3
    control_steps: int = 10
    fit_iterations: int = 30
    n_boot: int = 50

    name: ClassVar[str] = "controller-recovery"
    BUDGETS: ClassVar[dict[str, dict]] = {
        "smoke": dict(parameters=("action_scale",), statistics=("participation_ratio",),
                      n_simulations=2, n_trials=60, epochs=10, control_epochs=1,
                      control_steps=4, fit_iterations=10, n_boot=10),
        "default": {},
        "paper": dict(n_simulations=100, n_boot=200, control_epochs=10, control_steps=50,
                      fit_iterations=200),
    }

    def __post_init__(self) -> None:
        super().__post_init__()
        for p in self.parameters:
            if p not in _GRIDS:
                raise ValueError(f"parameters must be among {sorted(_GRIDS)}, got {p!r}")
        from neuromop.analysis import STATISTICS

        for s in self.statistics:
            if s not in STATISTICS:
                raise ValueError(f"statistics must be among {list(STATISTICS)}, got {s!r}")
        if not self.parameters or not self.statistics:
            raise ValueError("parameters and statistics must not be empty")

    def environment(self, random_state):
        """The fitted network of a simulated recording, as a trial-matched environment."""
        from neuromop.fit import RateRNNRegressor, simulate_teacher_dataset, trial_matched_env

        data_seed, fit_seed, env_seed = (seed_int(s) for s in spawn(random_state, 3))
        ds, _ = simulate_teacher_dataset(n_trials=self.n_trials, n_time=self.n_time,
                                         n_units=self.units, n_neurons=self.n_neurons,
                                         bin_width=0.05, readout_gain=3.0, mean_count=2.0,
                                         random_state=data_seed)
        model = RateRNNRegressor(self.units, tau=0.1, max_epochs=self.epochs, patience=20,
                                 input_noise=0.05, random_state=fit_seed).fit(ds, ["u0", "u1"])
        return trial_matched_env(model, ds, n_candidates=8, action_scale=1.0, terminal="none",
                                 random_state=env_seed)

    def run(self, out_dir, *, resume: bool = True, progress: bool = True) -> StudyResult:
        """Every parameter × statistic; ``recovery.md``, ``recovery.nc`` and a figure."""
        from neuromop.fit import mop_parameter_recovery
        from neuromop.plots.hypothesis import plot_parameter_recovery
        from neuromop.values import wilson_interval

        started = time.perf_counter()
        out = self.prepare(out_dir, resume=resume)
        env_stream, sim_stream = spawn(self.seed, 2)
        env = self.environment(env_stream)
        train_kwargs = dict(hidden=(32, 32), epochs=self.control_epochs,
                            steps_per_epoch=self.control_steps,
                            fit_iterations=self.fit_iterations)
        cells, rows = [], []
        combos = [(p, s) for p in self.parameters for s in self.statistics]
        for (param, stat), stream in zip(combos, spawn(sim_stream, len(combos))):
            cell = cached_cell(
                out / "cells" / f"{param}_{stat}.nc",
                lambda p=param, s=stat, r=stream: mop_parameter_recovery(
                    env, parameter=p, statistic=s, true_value=1.0, values=_GRIDS[p],
                    n_simulations=self.n_simulations, n_boot=self.n_boot,
                    train_kwargs=train_kwargs, random_state=seed_int(r)),
                label=f"{param} from {stat}", progress=progress)
            covered = cell["covered"].values.astype(bool)
            lo, hi = wilson_interval(int(covered.sum()), covered.size)
            rows.append({"parameter": param, "statistic": stat,
                         "coverage": float(covered.mean()), "coverage_interval": [lo, hi],
                         "hat_is_true": float(np.mean(cell["value_hat"].values == 1.0)),
                         "mean_interval_values": float(cell["interval_values"].mean()),
                         "value_hat": cell["value_hat"].values.tolist()})
            cells.append(cell.expand_dims(combination=[f"{param}/{stat}"]))
        table = format_recovery(rows, self.n_simulations)
        with atomic_path(out / "recovery.md") as tmp:
            tmp.write_text(table)
        recovery = xr.concat(cells, dim="combination")
        recovery["covered"] = recovery["covered"].astype(bool)
        recovery.attrs["source"] = "neuromop run controller-recovery"
        return self.finish(out, table=table, summary={"rows": rows}, started=started,
                           datasets={"recovery": recovery},
                           figures={"recovery": plot_parameter_recovery(rows, _GRIDS)},
                           files={"markdown": out / "recovery.md"})
