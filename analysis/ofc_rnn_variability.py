"""OFC study: fit rate RNNs to recorded OFC populations, then compare free / MOP / R rollouts.

For each session of ``../shared/datasets/padoa_ofc`` (Shi, Ballesta & Padoa-Schioppa 2022, juice
choice trials, offer-aligned, -0.5..1.0 s, 100 ms bins) a rate RNN is fitted with the two offer
quantities as inputs (on from offer onset). The report gives the held-out bits/spike of the RNN, a
condition-PSTH and a linear-dynamical baseline. The fitted network then becomes an environment
(``env_from_fit``: units receive candidate currents; terminal set: two units leaving a square) and a
free network, a NeuroMOP controller and an R (epsilon-greedy survival) controller act on it. Their
rollouts are read out through the fitted Poisson readout and their variability (Fano factor,
participation ratio, spike-count correlation) is compared with the recorded trials.

Caveat, stated in the report: the rollouts receive no task (offer) input, so their variability
is intrinsic + control-driven, whereas the recorded variability also contains offer-driven
variance.

Run: ``python analysis/ofc_rnn_variability.py --budget smoke|default|paper --out outputs/ofc_rnn``.
Writes ``ofc_rnn_variability.json`` and ``ofc_rnn_variability.md``.
"""

from __future__ import annotations

import argparse
import dataclasses
import os
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from neuromop._io import atomic_path, write_json_atomic
from neuromop._provenance import provenance
from neuromop.control import FreeController, NeuroMOPController, RewardController, train
from neuromop.data.loaders.padoa import list_padoa_sessions, load_padoa_session
from neuromop.envs.terminal import SquareBox
from neuromop.fit.baselines import LinearDynamicalBaseline, PSTHBaseline, variability_summary
from neuromop.fit.env import env_from_fit, rollout_counts
from neuromop.fit.rnn import RateRNNRegressor


@dataclass
class Args:
    """Arguments of the study (budget presets fill them)."""

    sessions: tuple[str, ...] = ()
    units: int = 16
    tau: float = 0.2
    epochs: int = 300
    patience: int = 40
    control_epochs: int = 10
    control_steps: int = 50
    n_candidates: int = 8
    action_scale: float = 0.5
    noise_std: float = 0.1
    half_width: float = 0.9
    test_fraction: float = 0.2
    seed: int = 2024
    root: Path | None = None
    out: Path = field(default_factory=lambda: Path("outputs/ofc_rnn"))


BUDGETS = {
    "smoke": dict(sessions=("G180910a",), units=8, epochs=15, control_epochs=1, control_steps=10),
    "default": {},
    "paper": dict(units=32, epochs=1000, patience=100, control_epochs=30, control_steps=100),
}


def add_offer_inputs(ds):
    """Add inputs ``in_a``/``in_b``: offered quantity / max, on from offer onset (t >= 0)."""
    on = (ds["time"] >= 0).astype(float)
    out = ds.copy()
    for name, coord in (("in_a", "offer_a"), ("in_b", "offer_b")):
        q = ds[coord].astype(float)
        out[name] = (q / max(float(q.max()), 1.0) * on).transpose("trial", "time")
    out = out.assign_coords(offer_pair=("trial", [f"{a}:{b}" for a, b in
                                                  zip(ds["offer_a"].values,
                                                      ds["offer_b"].values)]))
    return out


def study_session(args: Args, session: str, rng: np.random.Generator) -> dict:
    """Fit one session, train the controllers and compare rollout variability with data."""
    ds = add_offer_inputs(load_padoa_session(args.root, session, task="JC"))
    n = ds.sizes["trial"]
    perm = rng.permutation(n)
    n_test = int(round(args.test_fraction * n))
    test, train_ds = ds.isel(trial=np.sort(perm[:n_test])), ds.isel(trial=np.sort(perm[n_test:]))
    inputs = ["in_a", "in_b"]
    model = RateRNNRegressor(args.units, tau=args.tau, max_epochs=args.epochs,
                             patience=args.patience, input_noise=args.noise_std,
                             random_state=int(rng.integers(2**31)))
    model.fit(train_ds, inputs)
    heldout = {"rnn": model.score(test),
               "psth": PSTHBaseline("offer_pair").fit(train_ds).score(test),
               "lds": LinearDynamicalBaseline(min(8, ds.sizes["neuron"])).fit(
                   train_ds, inputs).score(test)}
    n_trials, n_time = ds.sizes["trial"], ds.sizes["time"]
    variability = {"recorded": variability_summary(ds["counts"].values),
                   "rnn_sample_with_inputs": variability_summary(
                       model.sample(ds, random_state=rng)["counts"].values)}
    entropy = {}
    for name in ("free", "mop", "r"):
        env = env_from_fit(model, num_envs=n_trials, n_candidates=args.n_candidates,
                           action_scale=args.action_scale, noise_std=args.noise_std,
                           terminal=SquareBox(neurons=(0, 1), half_width=args.half_width),
                           random_state=int(rng.integers(2**31)))
        if name == "free":
            ctrl = FreeController(env)
        else:
            cls = NeuroMOPController if name == "mop" else RewardController
            ctrl = cls(env, hidden=(64, 64), random_state=int(rng.integers(2**31)))
            train(ctrl, epochs=args.control_epochs, steps_per_epoch=args.control_steps,
                  seed=int(rng.integers(2**31)), progress=False)
        counts, alive, ent = rollout_counts(env, ctrl, model, n_trials, n_time,
                                            steps_per_bin=model.n_substeps_, random_state=rng)
        variability[f"{name}_rollout"] = variability_summary(counts)
        variability[f"{name}_rollout"]["alive_fraction"] = float(alive.mean())
        entropy[name] = ent
    return {"session": session, "n_trials": n_trials, "n_neurons": int(ds.sizes["neuron"]),
            "heldout_bits_per_spike": heldout, "best_epoch": model.best_epoch_,
            "spectral_radius": float(np.max(np.abs(model.spectrum()))),
            "variability": variability, "action_entropy": entropy}


def markdown(results: list[dict]) -> str:
    """The report as markdown tables."""
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


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--budget", choices=sorted(BUDGETS),
                        default=os.environ.get("NEUROMOP_BUDGET", "default"))
    parser.add_argument("--out", type=Path, default=None)
    parser.add_argument("--root", type=Path, default=None, help="padoa_ofc folder")
    parser.add_argument("--seed", type=int, default=None)
    parser.add_argument("--sessions", nargs="*", default=None, help="default: all sessions")
    ns = parser.parse_args(argv)
    args = dataclasses.replace(Args(), **BUDGETS[ns.budget])
    if ns.sessions:
        ns.sessions = tuple(ns.sessions)
    for key in ("out", "root", "seed", "sessions"):
        if getattr(ns, key) is not None:
            args = dataclasses.replace(args, **{key: getattr(ns, key)})
    # ---- one seeding block
    rng = np.random.default_rng(args.seed)
    sessions = args.sessions or tuple(list_padoa_sessions(args.root))
    results = [study_session(args, s, rng) for s in sessions]
    record = {"results": results, "budget": ns.budget,
              **provenance("analysis/ofc_rnn_variability.py",
                           **{k: str(v) for k, v in dataclasses.asdict(args).items()})}
    write_json_atomic(args.out / "ofc_rnn_variability.json", record)
    text = markdown(results)
    with atomic_path(args.out / "ofc_rnn_variability.md") as tmp:
        tmp.write_text(text)
    print(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
