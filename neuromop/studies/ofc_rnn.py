"""Fit rate RNNs to recorded OFC populations, then compare free / MOP / R rollouts with data.

For each session of ``padoa_ofc`` (Shi, Ballesta & Padoa-Schioppa 2022, juice choice trials,
offer-aligned, -0.5..1.0 s, 100 ms bins) a rate RNN is fitted with the two offer quantities as
inputs (on from offer onset). The report gives the held-out bits/spike of the RNN, a
condition-PSTH and a linear-dynamical baseline. The fitted network then becomes an environment
(:func:`~neuromop.fit.env_from_fit`: units receive candidate currents; terminal set: two units
leaving a square) and a free network, a NeuroMOP controller and an R (epsilon-greedy survival)
controller act on it. Their rollouts are read out through the fitted Poisson readout and their
variability (Fano factor, participation ratio, spike-count correlation) is compared with the
recorded trials.

Caveat, stated in the report: the rollouts receive no task (offer) input, so their variability
is intrinsic + control-driven, whereas the recorded variability also contains offer-driven
variance.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar

import numpy as np

from neuromop._io import atomic_path
from neuromop._random import as_generator, seed_int, spawn
from neuromop.data import list_padoa_sessions, load_padoa_session, shared_datasets_dir
from neuromop.envs import SquareBox
from neuromop.studies.hypothesis_data import add_offer_inputs
from neuromop.studies.protocol import Study, StudyResult

__all__ = ["OFCRNNStudy", "add_offer_inputs", "format_report"]


def format_report(results: list[dict]) -> str:
    """The per-session results as markdown tables."""
    lines = ["# OFC rate-RNN variability study", "",
             "Rollouts get no offer input: their variability is intrinsic + control-driven.", ""]
    for r in results:
        h = r["heldout_bits_per_spike"]
        lines += [f"## {r['session']} ({r['n_neurons']} neurons, {r['n_trials']} trials)", "",
                  f"Held-out bits/spike: RNN {h['rnn']:.4f}, PSTH {h['psth']:.4f}, "
                  f"LDS {h['lds']:.4f}; spectral radius {r['spectral_radius']:.2f}; action "
                  f"entropy (nats) " + ", ".join(f"{k} {v:.2f}" for k, v in
                                                 r["action_entropy"].items()), "",
                  "| source | Fano | PR | r_sc | mean count/bin |", "|---|---|---|---|---|"]
        for name, v in r["variability"].items():
            lines.append(f"| {name} | {v['fano_factor']:.3f} | {v['participation_ratio']:.2f} "
                         f"| {v['r_sc']:.3f} | {v['mean_rate']:.3f} |")
        lines.append("")
    return "\n".join(lines)


@dataclass
class OFCRNNStudy(Study):
    """Rate RNNs fitted to OFC sessions, driven by free / MOP / R controllers."""

    seed: int = 2024
    sessions: tuple[str, ...] = ()      # session names (empty: all)
    units: int = 16
    tau: float = 0.2                    # s
    epochs: int = 300
    patience: int = 40
    control_epochs: int = 10
    control_steps: int = 50
    n_candidates: int = 8
    action_scale: float = 0.5
    noise_std: float = 0.1
    half_width: float = 0.9
    test_fraction: float = 0.2
    data_root: str | None = None        # padoa_ofc folder (None: the shared datasets)

    name: ClassVar[str] = "ofc-rnn"
    BUDGETS: ClassVar[dict[str, dict]] = {
        "smoke": dict(sessions=("G180910a",), units=8, epochs=15, control_epochs=1,
                      control_steps=10),
        "default": {},
        "paper": dict(units=32, epochs=1000, patience=100, control_epochs=30,
                      control_steps=100),
    }

    def session(self, root, session: str, random_state, *, progress: bool = False) -> dict:
        """Fit one session, train the controllers and compare rollout variability with data."""
        from neuromop.control import FreeController, NeuroMOPController, RewardController, train
        from neuromop.fit import (
            LinearDynamicalBaseline,
            PSTHBaseline,
            RateRNNRegressor,
            env_from_fit,
            rollout_counts,
            variability_summary,
        )

        split, fit_seed, sample, control = spawn(random_state, 4)
        ds = add_offer_inputs(load_padoa_session(root, session, task="JC"))
        n = ds.sizes["trial"]
        perm = as_generator(split).permutation(n)
        n_test = int(round(self.test_fraction * n))
        test = ds.isel(trial=np.sort(perm[:n_test]))
        train_ds = ds.isel(trial=np.sort(perm[n_test:]))
        inputs = ["in_a", "in_b"]
        model = RateRNNRegressor(self.units, tau=self.tau, max_epochs=self.epochs,
                                 patience=self.patience, input_noise=self.noise_std,
                                 random_state=seed_int(fit_seed), progress=progress)
        model.fit(train_ds, inputs)
        heldout = {"rnn": model.score(test),
                   "psth": PSTHBaseline("offer_pair").fit(train_ds).score(test),
                   "lds": LinearDynamicalBaseline(min(8, ds.sizes["neuron"])).fit(
                       train_ds, inputs).score(test)}
        n_trials, n_time = ds.sizes["trial"], ds.sizes["time"]
        rng = as_generator(sample)
        variability = {"recorded": variability_summary(ds["counts"].values),
                       "rnn_sample_with_inputs": variability_summary(
                           model.sample(ds, random_state=rng)["counts"].values)}
        entropy = {}
        for name, stream in zip(("free", "mop", "r"), spawn(control, 3)):
            env_seed, ctrl_seed, roll_seed = (seed_int(s) for s in spawn(stream, 3))
            env = env_from_fit(model, num_envs=n_trials, n_candidates=self.n_candidates,
                               action_scale=self.action_scale, noise_std=self.noise_std,
                               terminal=SquareBox(neurons=(0, 1), half_width=self.half_width),
                               random_state=env_seed)
            if name == "free":
                ctrl = FreeController(env)
            else:
                cls = NeuroMOPController if name == "mop" else RewardController
                ctrl = cls(env, hidden=(64, 64), random_state=ctrl_seed)
                train(ctrl, epochs=self.control_epochs, steps_per_epoch=self.control_steps,
                      random_state=ctrl_seed, progress=progress)
            counts, alive, ent = rollout_counts(env, ctrl, model, n_trials, n_time,
                                                steps_per_bin=model.n_substeps_,
                                                random_state=roll_seed)
            variability[f"{name}_rollout"] = variability_summary(counts)
            variability[f"{name}_rollout"]["alive_fraction"] = float(alive.mean())
            entropy[name] = ent
        return {"session": session, "n_trials": n_trials, "n_neurons": int(ds.sizes["neuron"]),
                "heldout_bits_per_spike": heldout, "best_epoch": model.best_epoch_,
                "spectral_radius": float(np.max(np.abs(model.spectrum()))),
                "variability": variability, "action_entropy": entropy}

    def input_paths(self) -> list[Path]:
        """The ``padoa_ofc`` folder read (hashed into the run's record)."""
        return [Path(shared_datasets_dir("padoa_ofc") if self.data_root is None
                     else self.data_root)]

    def run(self, out_dir, *, resume: bool = True, progress: bool = True) -> StudyResult:
        """Every session; ``ofc_rnn.md`` and the numbers in ``summary.json``."""

        started = time.perf_counter()
        root = (shared_datasets_dir("padoa_ofc") if self.data_root is None
                else self.data_root)
        out = self.prepare(out_dir, resume=resume)
        sessions = self.sessions or tuple(list_padoa_sessions(root))
        results = [self.session(root, s, stream, progress=progress)
                   for s, stream in zip(sessions, spawn(self.seed, len(sessions)))]
        text = format_report(results)
        with atomic_path(out / "ofc_rnn.md") as tmp:
            tmp.write_text(text)
        return self.finish(out, table=text, summary={"sessions": results}, started=started,
                           files={"markdown": out / "ofc_rnn.md"})
