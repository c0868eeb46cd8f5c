"""``neuromop analyze variability|values DATASET``: the analyses of a dataset file, as a report.

- ``variability``: Fano factor and mean-matched Fano factor over time (Churchland et al. 2010),
  spike-count correlations and the participation ratio, printed as a table and written as
  figures and a JSON summary (:func:`neuromop.analysis.report.variability_report`);
- ``values``: do neurons encode soft (entropy-regularised) or true values? Choice models, soft
  and true value signals, encoding and decoding comparisons with drift-respecting nulls
  (:func:`neuromop.values.report.value_report`).
"""

from __future__ import annotations

import argparse
from pathlib import Path

from neuromop.cli._common import add_overwrite_flag, check_free

__all__ = ["register"]


def register(group) -> None:
    """Add ``analyze variability`` and ``analyze values`` to the ``analyze`` group."""
    sub = group("analyze")
    p = sub.add_parser(
        "variability",
        help="Fano factors, r_sc and dimensionality of a binned dataset (netCDF/zarr)",
        description=(
            "Spike counts: the Fano factor and the mean-matched Fano factor over time "
            "(Churchland et al. 2010), spike-count correlations and the participation ratio. "
            "Rates: across-trial and temporal std, correlations of fluctuations, participation "
            "ratio. Agent variables: lifetimes, action and occupancy entropy. Prints a table "
            "and writes figures and a JSON summary."
        ),
    )
    p.add_argument("dataset", type=Path, help="dataset file (.nc netCDF or .zarr)")
    p.add_argument("--var", default=None,
                   help="variable with dims (trial, time, neuron) to analyse (default: the "
                        "activity variable; integers are analysed as counts, floats as rates)")
    p.add_argument("--out", type=Path, default=None,
                   help="output folder (default: <dataset stem>_variability next to it)")
    p.add_argument("--window", type=float, default=0.1,
                   help="counting window in s (a multiple of the bin width; default 0.1)")
    p.add_argument("--step", type=float, default=None,
                   help="spacing of analysed times in s (default: the window)")
    p.add_argument("--condition", default=None,
                   help="trial coordinate defining conditions (default: 'condition' if "
                        "present, else none)")
    p.add_argument("--repeats", type=int, default=10, help="mean-matching repeats")
    p.add_argument("--seed", type=int, default=0, help="seed of the mean matching")
    add_overwrite_flag(p)
    p.set_defaults(func=_variability)

    p = sub.add_parser(
        "values",
        help="do neurons encode soft (entropy-regularised) or true value? (report + figures)",
        description=(
            "Fit choice models, build per-trial soft and true values, and compare Poisson GLM "
            "encodings (+ population decoding) with blocked cross-validation, collinearity "
            "diagnostics and drift-respecting nulls. Writes tables (CSV, markdown), the result "
            "(netCDF) and figures."),
    )
    p.add_argument("dataset", type=Path, nargs="?", default=None,
                   help="dataset file (.nc / .zarr) with dims (trial, time, neuron)")
    p.add_argument("--padoa-session", default=None,
                   help="analyse a Padoa-Schioppa OFC session (e.g. G180910a) from the shared data")
    p.add_argument("--data-root", type=Path, default=None,
                   help="folder of padoa_ofc (default: the shared datasets folder)")
    p.add_argument("--behaviour", type=Path, default=None,
                   help="netCDF with trial variables (signals / offers), same trial coordinate")
    p.add_argument("--soft", default="value_soft", help="soft-value variable name")
    p.add_argument("--true", default="value_true", help="true-value variable name")
    p.add_argument("--base", nargs="*", default=None, help="base covariates (trial variables)")
    p.add_argument("--window", type=float, nargs=2, default=(0.1, 0.6), metavar=("T0", "T1"),
                   help="counting window after alignment, s (default 0.1 0.6)")
    p.add_argument("--n-null", type=int, default=99, help="null samples per test (default 99)")
    p.add_argument("--alpha", type=float, default=0.01, help="significance level (default 0.01)")
    p.add_argument("--population-statistic", choices=("auto", "directional", "sum", "fisher"),
                   default="auto",
                   help="population statistic: the unique coefficients signed and weighted by "
                        "the neurons' value tuning (directional), the sum of log-likelihood "
                        "gains, or Fisher's combination of per-neuron permutation p-values; "
                        "auto (default): directional with pseudo-session (two-offer tasks) "
                        "or linear-shift nulls, sum with circular shifts alone")
    p.add_argument("--intersection-test", choices=("max_z", "any", "max"), default="max_z",
                   help="gate of the verdict: the largest standardised statistic of the "
                        "three tests (max_z, default), the both-signals test (any) or the "
                        "smallest of their p-values (max, needs --n-null >= 3/alpha - 1)")
    p.add_argument("--shift-null", choices=("auto", "shift", "linear_shift"), default="auto",
                   help="shift null: circular shifts, or linear shifts without wrap-around "
                        "(need 4 ceil(n_null / 2) trials); auto (default): linear shifts when "
                        "there are no pseudo-sessions and enough trials, else circular")
    p.add_argument("--linear-shift-p", choices=("approximate", "conservative"),
                   default="approximate",
                   help="p-values of linear shifts: Harris's large-shift approximation "
                        "(default) or his bound, valid whatever the autocorrelation (needs an "
                        "even --n-null >= 2/alpha - 2)")
    p.add_argument("--link", choices=("log", "softplus"), default="log",
                   help="link of the Poisson encoding models: multiplicative tuning (log, "
                        "default) or rectified-linear-like tuning (softplus)")
    p.add_argument("--power-sessions", type=int, default=0,
                   help="simulated sessions per ground truth for the power of this design "
                        "(default 0: not computed)")
    p.add_argument("--seed", type=int, default=0, help="random seed")
    p.add_argument("--out", type=Path, required=True, help="output folder")
    add_overwrite_flag(p)
    p.set_defaults(func=_values)


def _open(path: Path):
    from neuromop.data import load

    if not path.exists():
        raise FileNotFoundError(f"dataset file not found: {path}")
    return load(path, format="zarr" if path.suffix == ".zarr" or path.is_dir() else "netcdf")


def _variability(args: argparse.Namespace) -> int:
    import matplotlib

    matplotlib.use("Agg")
    from neuromop.analysis.report import variability_report
    from neuromop.studies.reports import format_variability_table, write_variability_report

    out = args.out or args.dataset.with_name(f"{args.dataset.stem}_variability")
    check_free([out / "variability.json"], args.overwrite)
    ds = _open(args.dataset)
    report = variability_report(ds, var=args.var, window=args.window, step=args.step,
                                condition=args.condition, repeats=args.repeats,
                                random_state=args.seed)
    print(format_variability_table(report))
    written = write_variability_report(report, out, dataset=args.dataset)
    print("wrote " + ", ".join(str(p) for p in written))
    return 0


def _values(args: argparse.Namespace) -> int:
    import matplotlib

    matplotlib.use("Agg")
    from neuromop.studies.reports import write_value_report
    from neuromop.values.report import value_report

    if (args.dataset is None) == (args.padoa_session is None):
        raise ValueError("give exactly one of DATASET or --padoa-session")
    check_free([args.out / "values_report.md"], args.overwrite)
    if args.padoa_session is not None:
        from neuromop.data.loaders.padoa import load_padoa_session

        t0, t1 = args.window
        ds = load_padoa_session(args.data_root, args.padoa_session, window=(t0, t1),
                                bin_width=round(t1 - t0, 9), task="JC")
        title = f"Padoa-Schioppa OFC session {args.padoa_session}"
    else:
        ds = _open(args.dataset)
        title = args.dataset.name
    behaviour = _open(args.behaviour) if args.behaviour is not None else None
    report = value_report(ds, behaviour=behaviour, soft=args.soft, true=args.true, base=args.base,
                          window=tuple(args.window), n_null=args.n_null, alpha=args.alpha,
                          power_sessions=args.power_sessions,
                          population_statistic=args.population_statistic,
                          intersection_test=args.intersection_test, link=args.link,
                          shift_null=args.shift_null, linear_shift_p=args.linear_shift_p,
                          random_state=args.seed)
    paths = write_value_report(report, args.out, title)
    res = report["result"]
    print(f"verdict: {res.attrs['verdict']}  (r(soft, true) = {float(res['signal_corr']):.4f}, "
          f"p_any = {float(res['pop_p_value'].sel(test='any')):.3g}, p_soft = "
          f"{float(res['pop_p_value'].sel(test='soft')):.3g}, p_true = "
          f"{float(res['pop_p_value'].sel(test='true')):.3g})")
    print(f"wrote {len(paths)} files to {args.out}")
    return 0
