"""``neuromop fit rnn DATASET.nc``: fit a rate RNN, compare with baselines, write a report."""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np

__all__ = ["register", "fit_report", "run_fit_rnn"]


def register(group) -> None:
    """Add ``neuromop fit rnn`` to the ``fit`` command group."""
    p = group("fit").add_parser(
        "rnn", help="fit a rate RNN to binned activity and write a fit report",
        description="Fit a rate RNN (BPTT, early stopping) to a (trial, time, neuron) dataset, "
                    "compare it with PSTH and linear-dynamical baselines on held-out trials and "
                    "write model.pt, report.json, report.md and figures to --out.")
    p.add_argument("dataset", type=Path, help="netCDF/zarr dataset in the neuromop schema")
    p.add_argument("--units", type=int, default=32, help="recurrent units (default 32)")
    p.add_argument("--epochs", type=int, default=300, help="maximum epochs (default 300)")
    p.add_argument("--patience", type=int, default=40, help="early-stopping patience")
    p.add_argument("--tau", type=float, default=0.1, help="unit time constant in s (0.1)")
    p.add_argument("--lr", type=float, default=0.01, help="Adam learning rate (0.01)")
    p.add_argument("--observation", choices=("poisson", "gaussian"), default="poisson")
    p.add_argument("--inputs", nargs="*", default=None,
                   help="dataset variables along (trial, time) used as inputs")
    p.add_argument("--condition", default=None,
                   help="trial coordinate labelling conditions (PSTH baseline)")
    p.add_argument("--test-fraction", type=float, default=0.2,
                   help="fraction of trials held out for the report (never seen by the fit)")
    p.add_argument("--input-noise", type=float, default=0.0)
    p.add_argument("--no-infer-initial-state", action="store_true",
                   help="learn one shared initial state instead of one per training trial")
    p.add_argument("--out", type=Path, required=True, help="output folder")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--resume", action="store_true", help="continue from --out/checkpoint")
    p.add_argument("--no-progress", action="store_true", help="hide the progress bar")
    p.set_defaults(func=_handler)


def fit_report(model, train, test, *, inputs=None, condition=None, seed=0, epoch_time=None):
    """Held-out comparison of ``model`` with baselines, spectra and variability (a JSON dict).

    Parameters
    ----------
    model : RateRNNRegressor
        Fitted on (part of) ``train``.
    train, test : xarray.Dataset
        Trials used for fitting / never seen by the fit.
    inputs : list of str, optional
        Input variables (for the LDS baseline).
    condition : str, optional
        Condition coordinate for the PSTH baseline.
    seed : int
        Seed of the model samples.
    epoch_time : float, optional
        Mean wall time of one epoch (s), recorded in the report.
    """
    from neuromop.control.rnn_fit_baselines import (
        LinearDynamicalBaseline,
        PSTHBaseline,
        _check_dataset,
        per_neuron_r2,
        variability_summary,
    )

    obs = model.observation
    y_test, bw = _check_dataset(test, obs, "test")
    psth = PSTHBaseline(condition, observation=obs).fit(train)
    lds = LinearDynamicalBaseline(min(8, y_test.shape[-1]), observation=obs).fit(train, inputs)
    scale = bw if obs == "poisson" else 1.0
    var_name = "rate" if obs == "poisson" else "activity"
    pred = {"rnn": model.predict(test)[var_name].values * scale,
            "psth": psth.predict(test)[var_name].values * scale,
            "lds": lds.predict(test)[var_name].values * scale}
    metric = "bits_per_spike" if obs == "poisson" else "r2"
    heldout = {"metric": metric, "rnn": model.score(test), "psth": psth.score(test),
               "lds": lds.score(test), "n_test_trials": int(y_test.shape[0])}
    ev = model.spectrum()
    rng = np.random.default_rng(seed)
    variability = {}  # spike-count metrics: only for count (Poisson) observations
    if obs == "poisson":
        variability["data"] = variability_summary(y_test)
        sample = model.sample(test, random_state=rng)["counts"].values
        variability["rnn_sample"] = variability_summary(sample)
        quiet = model.sample(test, random_state=rng, noise=False, initial_state="mean")
        variability["rnn_sample_no_noise"] = variability_summary(quiet["counts"].values)

    def clean(a):
        return [None if not np.isfinite(v) else float(v) for v in np.asarray(a, dtype=float)]

    return {
        "heldout": heldout,
        "per_neuron_r2": {k: clean(per_neuron_r2(y_test, v)) for k, v in pred.items()},
        "spectrum": {"real": ev.real.tolist(), "imag": ev.imag.tolist(),
                     "radius": float(np.max(np.abs(ev)))},
        "variability": variability,
        "history": model.history_,
        "best_epoch": model.best_epoch_,
        "epoch_time_s": epoch_time,
        "n_units": model.n_units,
        "n_neurons": int(y_test.shape[-1]),
        "n_train_trials": int(train.sizes["trial"]),
    }


def _markdown(report, args) -> str:
    h = report["heldout"]
    lines = [f"# Rate-RNN fit of `{args.dataset.name}`", "",
             f"{report['n_units']} units, {report['n_neurons']} neurons, "
             f"{report['n_train_trials']} training / {h['n_test_trials']} held-out trials, "
             f"best epoch {report['best_epoch']}, "
             f"{report['epoch_time_s'] or float('nan'):.3f} s per epoch.", "",
             f"## Held-out fit ({h['metric']}, higher is better)", "",
             "| model | score |", "|---|---|"]
    lines += [f"| {k} | {h[k]:.4f} |" for k in ("rnn", "psth", "lds")]
    lines += ["", f"Spectral radius of the fitted W: {report['spectrum']['radius']:.3f}", "",
              "## Variability (held-out trials)", "",
              "| source | Fano factor | participation ratio | r_sc | mean count/bin |",
              "|---|---|---|---|---|"]
    if not report["variability"]:
        lines.append("| (spike-count metrics need Poisson observations) | | | | |")
    for name, v in report["variability"].items():
        lines.append(f"| {name} | {v['fano_factor']:.3f} | {v['participation_ratio']:.2f} | "
                     f"{v['r_sc']:.3f} | {v['mean_rate']:.3f} |")
    return "\n".join(lines) + "\n"


def run_fit_rnn(args: argparse.Namespace) -> int:
    """Execute ``neuromop fit rnn`` with parsed ``args``; returns the exit code."""
    from neuromop._io import atomic_path, write_json_atomic
    from neuromop.control.rnn_fit import RateRNNRegressor
    from neuromop.data.io import load
    from neuromop.plots.fitting import plot_fit_report

    if not args.dataset.exists():
        raise FileNotFoundError(f"DATASET {args.dataset} does not exist")
    ds = load(args.dataset)
    n = ds.sizes.get("trial", 0)
    n_test = int(round(args.test_fraction * n))
    if not 0 < args.test_fraction < 1 or n_test < 1 or n - n_test < 3:
        raise ValueError(f"--test-fraction {args.test_fraction} with {n} trials leaves "
                         f"{n_test} test and {n - n_test} fitting trials; need >= 1 and >= 3")
    perm = np.random.default_rng(args.seed).permutation(n)
    test, train = ds.isel(trial=np.sort(perm[:n_test])), ds.isel(trial=np.sort(perm[n_test:]))
    model = RateRNNRegressor(
        args.units, tau=args.tau, observation=args.observation, learning_rate=args.lr,
        max_epochs=args.epochs, patience=args.patience, input_noise=args.input_noise,
        infer_initial_state=not args.no_infer_initial_state, random_state=args.seed,
        checkpoint_dir=args.out / "checkpoint", resume=args.resume,
        progress=not args.no_progress)
    start, ran = time.perf_counter(), []
    model.fit(train, args.inputs, callback=lambda epoch, history: ran.append(epoch))
    epoch_time = (time.perf_counter() - start) / len(ran) if ran else None
    report = fit_report(model, train, test, inputs=args.inputs, condition=args.condition,
                        seed=args.seed, epoch_time=epoch_time)
    model.save(args.out / "model.pt")
    write_json_atomic(args.out / "report.json", report)
    with atomic_path(args.out / "report.md") as tmp:
        tmp.write_text(_markdown(report, args))
    plot_fit_report(report, args.out)
    h = report["heldout"]
    print(f"held-out {h['metric']}: rnn {h['rnn']:.4f}  psth {h['psth']:.4f}  lds {h['lds']:.4f}"
          f"  -> {args.out}")
    return 0


def _handler(args: argparse.Namespace) -> int:
    return run_fit_rnn(args)
