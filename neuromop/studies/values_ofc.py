"""Soft versus true value encoding in the Padoa-Schioppa OFC sessions.

For every juice-choice session: fit the relative-value logit (log and linear forms, BIC and
blocked-CV log-likelihood), build per-trial soft and true values from the linear fit, and run
:func:`~neuromop.values.compare_value_encodings` on spike counts 100-600 ms after offer onset
with circular-shift and pseudo-session nulls (:func:`~neuromop.values.value_report`). Writes
one report folder per session. Data: Shi, Ballesta & Padoa-Schioppa (2022) eLife 11:e75910
(``padoa_ofc`` in the shared datasets folder, or ``data_root``).
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar

import numpy as np

from neuromop._checks import check_choice
from neuromop._random import spawn
from neuromop.data import list_padoa_sessions, load_padoa_session, shared_datasets_dir
from neuromop.studies.protocol import Study, StudyResult
from neuromop.studies.reports import write_value_report
from neuromop.values import value_report
from neuromop.values.encoding import INTERSECTION_TESTS, POPULATION_STATISTICS

__all__ = ["ValuesOFCStudy"]


@dataclass
class ValuesOFCStudy(Study):
    """The value-encoding report of every OFC session (or the first ``sessions``)."""

    n_null: int = 99
    alpha: float = 0.01
    sessions: int | None = None           # how many sessions (None: all)
    window: tuple[float, float] = (0.1, 0.6)   # s after offer onset
    data_root: str | None = None          # padoa_ofc folder (None: the shared datasets)
    power_sessions: int = 20              # simulated sessions per ground truth (0: no power)
    population_statistic: str = "auto"    # or "directional", "sum", "fisher" (see encoding)
    intersection_test: str = "max_z"      # gate of the verdict: or "any", "max" (see encoding)

    name: ClassVar[str] = "values-ofc"
    USES_TORCH: ClassVar[bool] = False
    OPTIONS: ClassVar[dict[str, dict]] = {
        "population_statistic": dict(
            choices=POPULATION_STATISTICS,
            help="population statistic of the value tests (see compare_value_encodings)"),
        "intersection_test": dict(
            choices=INTERSECTION_TESTS,
            help="gate of the verdicts (see compare_value_encodings)"),
    }
    BUDGETS: ClassVar[dict[str, dict]] = {
        "smoke": dict(n_null=19, alpha=0.05, sessions=1, power_sessions=1),
        "default": {},
        "paper": dict(n_null=999),
    }

    def __post_init__(self) -> None:
        super().__post_init__()
        check_choice("population_statistic", self.population_statistic, POPULATION_STATISTICS)
        check_choice("intersection_test", self.intersection_test, INTERSECTION_TESTS)

    def input_paths(self) -> list[Path]:
        """The ``padoa_ofc`` folder read (hashed into the run's record)."""
        return [Path(shared_datasets_dir("padoa_ofc") if self.data_root is None
                     else self.data_root)]

    def run(self, out_dir, *, resume: bool = True, progress: bool = True) -> StudyResult:
        """One report folder per session; the per-session verdicts in ``summary.json``."""

        started = time.perf_counter()
        root = (shared_datasets_dir("padoa_ofc") if self.data_root is None
                else self.data_root)
        out = self.prepare(out_dir, resume=resume)
        sessions = list_padoa_sessions(root)[: self.sessions]
        t0, t1 = self.window
        summary, lines = {}, []
        for session, stream in zip(sessions, spawn(self.seed, len(sessions))):
            ds = load_padoa_session(root, session, window=(t0, t1),
                                    bin_width=round(t1 - t0, 9), task="JC")
            rep = value_report(ds, window=(t0, t1), n_null=self.n_null, alpha=self.alpha,
                               power_sessions=self.power_sessions,
                               population_statistic=self.population_statistic,
                               intersection_test=self.intersection_test,
                               random_state=stream)
            write_value_report(rep, out / session, f"OFC session {session}")
            r, ct = rep["result"], rep["choice_table"]
            summary[session] = {
                "n_trials": int(r.attrs["n_trials"]), "n_neurons": int(r.attrs["n_neurons"]),
                "verdict": r.attrs["verdict"], "signal_corr": float(r["signal_corr"]),
                "vif": r["vif"].values.tolist(),
                "pop_p_value": dict(zip(r["test"].values.tolist(),
                                        r["pop_p_value"].values.tolist())),
                "decoding_r2": dict(zip(r["target"].values.tolist(),
                                        r["decoding_r2"].values.tolist())),
                "neuron_classes": {str(c): int((r["neuron_class"].values == c).sum())
                                   for c in np.unique(r["neuron_class"].values)},
                "choice_models": ct[["loglik", "bic", "cv_loglik", "param_rho",
                                     "param_steepness"]].to_dict(orient="index"),
            }
            if rep["entropy_ratio"] is not None:
                er = rep["entropy_ratio"]
                summary[session]["entropy_ratio"] = {
                    k: float(er[k]) for k in ("ratio", "ratio_low", "ratio_high",
                                              "p_ratio_soft", "p_ratio_true")} | {
                    "temperature": er.attrs["temperature"]}
            if rep["power"] is not None:
                last = rep["power"].isel(n_trials=-1)
                summary[session]["power"] = {str(e): float(last["correct_rate"].sel(encoding=e))
                                             for e in last["encoding"].values}
                summary[session]["detection"] = {
                    str(e): float(last["detection_rate"].sel(encoding=e))
                    for e in last["encoding"].values}
            lines.append(f"{session}: {summary[session]['verdict']} "
                         f"({summary[session]['n_neurons']} neurons, "
                         f"{summary[session]['n_trials']} trials, r(soft, true) = "
                         f"{summary[session]['signal_corr']:.3f})"
                         + ("" if rep["power"] is None else "; correct verdict " + ", ".join(
                             f"{e} {v:.2f}" for e, v in summary[session]["power"].items())
                            + "; value coding detected " + ", ".join(
                             f"{e} {v:.2f}" for e, v in summary[session]["detection"].items()
                             if e != "none")))
            if progress:
                print(lines[-1], flush=True)
        return self.finish(out, table="\n".join(lines), summary={"sessions": summary},
                           started=started)
