"""The variability hypothesis on a recording, end to end (``neuromop run hypothesis``).

For each recorded session: a rate RNN is fitted to the population (``fit_seeds`` fits, each on
its own train/test split of the trials, scored held out against a condition-PSTH and a
linear-dynamical baseline); each fit becomes a :class:`~neuromop.fit.TrialMatchedEnv` whose
episodes are the recorded trials with their own task inputs and whose terminal set is the range
of activity that explains the recording (:func:`~neuromop.fit.recorded_activity_box`); a free
network, uniformly random currents, a NeuroMOP controller and an R (survival, epsilon-greedy)
controller act on it; their rollouts are read out through the fitted Poisson readout into
counts with the recording's trials and coordinates. The recording and every controller then go
through the same analyses (:func:`~neuromop.analysis.compare_sources`: time-resolved and
mean-matched Fano factors, mean count, spike-count correlation, participation ratio; action
entropy), with bootstrap intervals over trials and fits, and a verdict: which controller is
closest per statistic, or that the data cannot tell — stated only after checking that the free
fitted network reproduces the recorded variability (otherwise the report says it is not a fair
referee).

Outputs per session: ``<session>_activity.nc`` (every source's counts stacked along ``trial``
with coordinates ``source``, ``fit`` and ``recorded_trial``; it goes back into
``neuromop analyze variability --condition source``), ``<session>_comparison.nc`` (the
statistics with a ``source`` dim), ``<session>.png``; and ``hypothesis.md`` for all sessions.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar

import numpy as np
import xarray as xr

from neuromop._io import atomic_path
from neuromop._random import as_generator, seed_int, spawn
from neuromop.analysis import compare_sources
from neuromop.studies.hypothesis_data import (
    add_session_input,
    data_paths,
    recording_sessions,
)
from neuromop.studies.hypothesis_report import format_report, session_summary
from neuromop.studies.protocol import Study, StudyResult, cached_cell

__all__ = ["CONTROLLERS", "HypothesisStudy", "stack_sources"]

#: The controllers acting on every fitted network, in order.
CONTROLLERS = ("free", "random", "mop", "r")


def stack_sources(recorded: xr.Dataset, rollouts: dict[str, list[xr.Dataset]]) -> xr.Dataset:
    """The recording and every rollout in one ``(trial, time, neuron)`` dataset.

    Trials are stacked: coordinates ``source`` (``"recorded"`` or the controller), ``fit``
    (fit index; -1 for the recording) and ``recorded_trial`` (the recorded trial each one
    matches), plus the recording's trial coordinates. ``action_entropy`` (nats) is 0 for the
    recorded trials (no controller acts on them) and ``terminated`` False.
    """
    parts = [recorded[["counts"]].assign_coords(source=("trial", ["recorded"] * recorded.sizes[
        "trial"]), fit=("trial", np.full(recorded.sizes["trial"], -1)))]
    parts[0]["action_entropy"] = (("trial", "time"), np.zeros(parts[0]["counts"].shape[:2]))
    parts[0]["terminated"] = (("trial", "time"), np.zeros(parts[0]["counts"].shape[:2], bool))
    for name, fits in rollouts.items():
        for k, roll in enumerate(fits):
            parts.append(roll[["counts", "action_entropy", "terminated"]].assign_coords(
                source=("trial", [name] * roll.sizes["trial"]),
                fit=("trial", np.full(roll.sizes["trial"], k))))
    labels = recorded["trial"].values
    parts = [p.assign_coords(recorded_trial=("trial", labels)) for p in parts]
    out = xr.concat([p.drop_vars("trial") for p in parts], dim="trial",
                    coords="different", compat="equals", join="override")
    out = out.assign_coords(trial=np.arange(out.sizes["trial"]))
    out["counts"] = out["counts"].astype(np.int64)
    out["counts"].attrs["units"] = "spikes"
    out["action_entropy"].attrs["units"] = "nats"
    out.attrs.update(units="spikes", bin_width=float(recorded.attrs["bin_width"]))
    return out


def _controller_fit_summary(parameter: str, cells: list[xr.Dataset]) -> dict | None:
    """Per fit: the grid value closest to the recording and the interval of values the
    bootstrap cannot tell from it; the held-out distances."""
    if parameter == "none":
        return None
    fits = []
    for cell in cells:
        grid = cell["fit_value"].values
        dist = cell["controller_fit_distance"].values
        inside = grid[cell["controller_fit_in_interval"].values.astype(bool)]
        fits.append({"value_hat": float(grid[int(np.nanargmin(dist))]),
                     "interval": [float(inside.min()), float(inside.max())],
                     "selection_distance": dist.tolist(),
                     "heldout_distance": cell["controller_fit_heldout"].values.tolist()})
    return {"parameter": parameter, "grid": cells[0]["fit_value"].values.tolist(),
            "fits": fits}


@dataclass
class HypothesisStudy(Study):
    """Test the variability hypothesis on recordings: fitted network, free / random / MOP / R
    under the recorded trial inputs, the same analyses side by side, a verdict."""

    seed: int = 2025
    data: str = "padoa_ofc"             # padoa_ofc, pynapple_hd, or a dataset file
    session: str | None = None          # comma-separated OFC sessions (None: all)
    data_root: str | None = None        # folder of the named data (None: shared datasets)
    inputs: str | None = None           # data file: comma-separated (trial, time) inputs
    condition: str | None = None        # data file: trial coordinate naming conditions
    fit_seeds: int = 3                  # fits per session (each its own split and seed)
    units: int = 16
    tau: float = 0.2                    # s
    epochs: int = 300
    patience: int = 40
    input_noise: float = 0.1            # private noise of the fit and the envs
    test_fraction: float = 0.2          # trials held out for the fit scores
    margin: float = 0.25                # widening of the recorded activity range (fraction)
    n_candidates: int = 8
    action_scale: float = 0.5           # std of the candidate currents
    alpha: float = 1.0                  # MOP temperature (weight of action entropy)
    gamma: float = 0.9
    epsilon: float = 0.05               # R controller's exploration
    control_epochs: int = 10
    control_steps: int = 50
    n_boot: int = 200                   # bootstrap replicates (trials and fits)
    fit_parameter: str = "action_scale"  # MOP parameter fitted to the recording, or "none"
    fit_values: tuple[float, ...] = (0.125, 0.25, 0.5, 1.0, 2.0)  # its grid
    hd_trial_bins: int = 20             # bins per head-direction pseudo-trial (100 ms each)
    session_input: bool = False         # add the trial's position in the session as an input
    event_time: float | None = None     # task event (s) of the Fano quench (padoa_ofc: 0)

    name: ClassVar[str] = "hypothesis"
    BUDGETS: ClassVar[dict[str, dict]] = {
        "smoke": dict(session="G180910a", fit_seeds=2, units=8, epochs=15, patience=5,
                      control_epochs=1, control_steps=10, n_boot=20, fit_values=(0.25, 1.0)),
        "default": {},
        "paper": dict(fit_seeds=5, units=32, epochs=1000, patience=100, control_epochs=30,
                      control_steps=100, n_boot=1000),
    }
    OPTIONS: ClassVar[dict[str, dict]] = {
        "data": dict(help="padoa_ofc, pynapple_hd, or a dataset file (.nc/.zarr) with counts "
                          "that passes neuromop.data.validate"),
        "session": dict(help="comma-separated padoa_ofc sessions (default: all)"),
        "data_root": dict(help="folder of padoa_ofc / pynapple_hd (default: shared datasets)"),
        "inputs": dict(help="data file: comma-separated (trial, time) input variables"),
        "condition": dict(help="data file: trial coordinate naming conditions"),
        "fit_seeds": dict(type=int, help="fits per session (default: the budget's)"),
        "event_time": dict(type=float, help="time (s) of the task event whose Fano quench is "
                                            "compared (default: 0, offer onset, for "
                                            "padoa_ofc; none otherwise)"),
        "session_input": dict(action="store_const", const=True,
                              help="add the trial's position in the session as a fitted "
                                   "input (a slow covariate for drifts across the session)"),
        "alpha": dict(type=float, help="MOP temperature (default 1)"),
        "fit_parameter": dict(choices=("action_scale", "alpha", "none"),
                              help="MOP parameter fitted to the recorded Fano factor (default "
                                   "action_scale; alpha is not identifiable without state "
                                   "entropy)"),
    }

    def __post_init__(self) -> None:
        super().__post_init__()
        if not isinstance(self.data, str) or not self.data:
            raise ValueError(f"data must be a non-empty str, got {self.data!r}")
        for name in ("fit_seeds", "units", "epochs", "n_candidates", "control_epochs",
                     "control_steps", "n_boot", "hd_trial_bins"):
            value = getattr(self, name)
            if not isinstance(value, int) or isinstance(value, bool) or value < 1:
                raise ValueError(f"{name} must be an int >= 1, got {value!r}")
        if self.n_boot < 10:
            raise ValueError(f"n_boot must be >= 10, got {self.n_boot}")
        if not 0 < self.test_fraction < 1:
            raise ValueError(f"test_fraction must be in (0, 1), got {self.test_fraction}")
        if not self.alpha > 0:
            raise ValueError(f"alpha must be > 0, got {self.alpha}")
        if self.fit_parameter not in ("action_scale", "alpha", "none"):
            raise ValueError(f"fit_parameter must be 'action_scale', 'alpha' or 'none', got "
                             f"{self.fit_parameter!r}")
        values = tuple(self.fit_values)
        if len(values) < 2 or not all(isinstance(v, int | float) and v > 0 for v in values):
            raise ValueError(f"fit_values must hold at least 2 positive numbers, got "
                             f"{self.fit_values!r}")

    def input_paths(self) -> list[Path]:
        """The recording read (hashed into the run's record)."""
        return data_paths(self.data, self.data_root)

    # ------------------------------------------------------------------ one fit
    def fit_cell(self, ds, inputs, condition, random_state, *, progress=False) -> xr.Dataset:
        """Fit one network, act on it with every controller; the rollouts and fit scores."""
        from neuromop.control import (
            FreeController,
            NeuroMOPController,
            RandomController,
            RewardController,
            train,
        )
        from neuromop.fit import (
            LinearDynamicalBaseline,
            PSTHBaseline,
            RateRNNRegressor,
            trial_matched_env,
            trial_matched_rollout,
        )

        split, fit_seed, env_seed, control, param_seed = spawn(random_state, 5)
        n = ds.sizes["trial"]
        perm = as_generator(split).permutation(n)
        n_test = max(1, int(round(self.test_fraction * n)))
        test, train_ds = ds.isel(trial=np.sort(perm[:n_test])), ds.isel(trial=np.sort(
            perm[n_test:]))
        model = RateRNNRegressor(self.units, tau=self.tau, max_epochs=self.epochs,
                                 patience=self.patience, input_noise=self.input_noise,
                                 random_state=seed_int(fit_seed), progress=progress)
        model.fit(train_ds, inputs or None)
        heldout = [model.score(test), PSTHBaseline(condition).fit(train_ds).score(test),
                   LinearDynamicalBaseline(min(8, ds.sizes["neuron"])).fit(
                       train_ds, inputs or None).score(test)]
        env = trial_matched_env(model, ds, margin=self.margin, n_candidates=self.n_candidates,
                                action_scale=self.action_scale, random_state=seed_int(env_seed))
        rollouts = {}
        for name, stream in zip(CONTROLLERS, spawn(control, len(CONTROLLERS))):
            ctrl_seed, roll_seed = (seed_int(s) for s in spawn(stream, 2))
            if name == "free":
                ctrl = FreeController(env)
            elif name == "random":
                ctrl = RandomController(env)
            else:
                ctrl = (NeuroMOPController(env, hidden=(64, 64), gamma=self.gamma,
                                           alpha=self.alpha, random_state=ctrl_seed)
                        if name == "mop" else
                        RewardController(env, hidden=(64, 64), gamma=self.gamma,
                                         epsilon=self.epsilon, random_state=ctrl_seed))
                train(ctrl, epochs=self.control_epochs, steps_per_epoch=self.control_steps,
                      random_state=ctrl_seed, progress=progress)
            rollouts[name] = [trial_matched_rollout(env, ctrl, source=name,
                                                    random_state=roll_seed)]
        cell = stack_sources(ds, rollouts)
        cell = cell.isel(trial=np.flatnonzero(cell["source"].values != "recorded"))
        if self.fit_parameter != "none":
            cell = cell.merge(self._controller_fit(env, ds, condition, param_seed))
        cell["heldout_bits_per_spike"] = (("model",), np.array(heldout, dtype=float))
        cell = cell.assign_coords(model=["rnn", "psth", "lds"])
        cell["spectral_radius"] = float(np.max(np.abs(model.spectrum())))
        cell["best_epoch"] = int(model.best_epoch_)
        return cell

    def _controller_fit(self, env, ds, condition, random_state) -> xr.Dataset:
        """The fitted MOP parameter (variables ``controller_fit_*`` over ``fit_value``)."""
        from neuromop.fit import fit_mop_parameter

        # the selection / held-out split is stratified by condition when every condition has
        # the 4 trials it needs (2 on each side), otherwise it is not stratified
        small = condition is not None and np.unique(
            ds[condition].values, return_counts=True)[1].min() < 4
        res = fit_mop_parameter(
            env, ds, parameter=self.fit_parameter, values=self.fit_values,
            statistic="fano_factor", condition=None if small else condition, n_boot=self.n_boot,
            train_kwargs=dict(hidden=(64, 64), gamma=self.gamma, alpha=self.alpha,
                              epochs=self.control_epochs, steps_per_epoch=self.control_steps),
            random_state=seed_int(random_state))
        return xr.Dataset({"controller_fit_distance": ("fit_value", res["distance"].values),
                           "controller_fit_heldout": ("fit_value",
                                                      res["heldout_distance"].values),
                           "controller_fit_in_interval": ("fit_value",
                                                          res["in_interval"].values)},
                          coords={"fit_value": res["value"].values})

    # ------------------------------------------------------------------ one session
    def session_result(self, out, name, ds, inputs, condition, random_state, *, progress):
        """All fits of one session, the comparison and its summary."""
        cells = []
        for k, stream in enumerate(spawn(random_state, self.fit_seeds)):
            cells.append(cached_cell(
                out / "cells" / f"{name}_fit{k}.nc",
                lambda s=stream: self.fit_cell(ds, inputs, condition, s, progress=False),
                label=f"{name}: fit {k + 1}/{self.fit_seeds}", progress=progress))
        rollouts = {c: [] for c in CONTROLLERS}
        for cell in cells:
            for c in CONTROLLERS:
                part = cell.isel(trial=np.flatnonzero(cell["source"].values == c))
                roll = ds.drop_vars(list(ds.data_vars))
                for var in ("counts", "action_entropy", "terminated"):
                    roll[var] = (part[var].dims, part[var].values)
                roll.attrs.update(ds.attrs)
                rollouts[c].append(roll)
        event = self.event_time if self.event_time is not None else (
            0.0 if self.data == "padoa_ofc" else None)
        comparison = compare_sources({"recorded": ds, **rollouts}, condition=condition,
                                     n_boot=self.n_boot, event_time=event,
                                     random_state=seed_int(spawn(random_state, 1)[0]))
        activity = stack_sources(ds, rollouts)
        activity.attrs.update(source=f"neuromop run hypothesis ({name})")
        fit_info = {
            "heldout_bits_per_spike": {m: [float(c["heldout_bits_per_spike"].sel(model=m))
                                           for c in cells] for m in ("rnn", "psth", "lds")},
            "spectral_radius": [float(c["spectral_radius"]) for c in cells],
            "alive_fraction": {c: float(1 - activity["terminated"].values[
                activity["source"].values == c, -1].mean()) for c in CONTROLLERS},
            "controller_fit": _controller_fit_summary(self.fit_parameter, cells),
        }
        summary = session_summary(name, ds, comparison, fit_info, inputs, condition)
        return activity, comparison, summary

    def run(self, out_dir, *, resume: bool = True, progress: bool = True) -> StudyResult:
        """Every session; ``hypothesis.md``, per-session datasets and figures."""
        from neuromop.plots.hypothesis import plot_source_comparison

        started = time.perf_counter()
        out = self.prepare(out_dir, resume=resume)
        sessions = None if self.session is None else [s for s in self.session.split(",") if s]
        recordings = recording_sessions(self.data, sessions=sessions, data_root=self.data_root,
                                        inputs=self.inputs, condition=self.condition,
                                        hd_trial_bins=self.hd_trial_bins)
        datasets, figures, summaries = {}, {}, []
        if self.session_input:
            recordings = [(name, add_session_input(ds), [*inputs, "in_session"], condition)
                          for name, ds, inputs, condition in recordings]
        for (name, ds, inputs, condition), stream in zip(
                recordings, spawn(self.seed, len(recordings))):
            activity, comparison, summary = self.session_result(
                out, name, ds, inputs, condition, stream, progress=progress)
            datasets[f"{name}_activity"] = activity
            datasets[f"{name}_comparison"] = comparison
            figures[name] = plot_source_comparison(comparison, title=name)
            summaries.append(summary)
        text = format_report(summaries)
        with atomic_path(out / "hypothesis.md") as tmp:
            tmp.write_text(text)
        return self.finish(out, table=text, summary={"sessions": summaries}, started=started,
                           datasets=datasets, figures=figures,
                           files={"markdown": out / "hypothesis.md"})
