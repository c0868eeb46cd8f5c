"""``neuromop fit rnn DATASET.nc``: fit a rate RNN, compare with baselines, write a report."""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np

from neuromop.cli._common import add_overwrite_flag, check_free

__all__ = ["register"]


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
    add_overwrite_flag(p)
    p.set_defaults(func=_fit_rnn)






def _fit_rnn(args: argparse.Namespace) -> int:
    from neuromop._io import atomic_path, remove_orphans, write_json_atomic
    from neuromop.data.io import load
    from neuromop.fit.report import fit_report, format_fit_report
    from neuromop.fit.rnn import _CHECKPOINT, RateRNNRegressor
    from neuromop.plots.fitting import plot_fit_report

    if not args.dataset.exists():
        raise FileNotFoundError(f"DATASET {args.dataset} does not exist")
    if not args.resume:  # a resumed fit finishes the earlier run's outputs
        check_free([args.out / "model.pt", args.out / "report.json"], args.overwrite)
        interrupted = args.out / "checkpoint" / _CHECKPOINT
        if interrupted.exists() and not args.overwrite:
            raise ValueError(f"{interrupted} holds an earlier fit's checkpoint (an interrupted "
                             "run?); pass --resume to continue it, --overwrite to start again, "
                             "or choose another --out")
    if args.out.is_dir():
        remove_orphans(args.out)  # temporary files of a killed earlier run
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
                        random_state=args.seed, epoch_time=epoch_time)
    model.save(args.out / "model.pt")
    write_json_atomic(args.out / "report.json", report)
    with atomic_path(args.out / "report.md") as tmp:
        tmp.write_text(format_fit_report(report, args.dataset.name))
    plot_fit_report(report, args.out)
    h = report["heldout"]
    print(f"held-out {h['metric']}: rnn {h['rnn']:.4f}  psth {h['psth']:.4f}  lds {h['lds']:.4f}"
          f"  -> {args.out}")
    return 0
