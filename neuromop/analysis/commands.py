"""``neuromop analyze variability``: variability metrics of a dataset file, a table and figures."""

from __future__ import annotations

import argparse
import math
from pathlib import Path

__all__ = ["register", "variability_report"]


def register(group) -> None:
    """Add the ``analyze variability`` command to the ``analyze`` group."""
    parser = group("analyze").add_parser(
        "variability",
        help="Fano factors, r_sc and dimensionality of a binned dataset (netCDF/zarr)",
        description=(
            "Compute the Fano factor and the mean-matched Fano factor over time (Churchland et "
            "al. 2010), spike-count correlations and the participation ratio of a dataset "
            "with dims (trial, time, neuron); print a table and write figures and a JSON summary."
        ),
    )
    parser.add_argument("dataset", type=Path, help="dataset file (.nc netCDF or .zarr)")
    parser.add_argument("--out", type=Path, default=None,
                        help="output folder (default: <dataset stem>_variability next to it)")
    parser.add_argument("--window", type=float, default=0.1,
                        help="counting window in s (a multiple of the bin width; default 0.1)")
    parser.add_argument("--step", type=float, default=None,
                        help="spacing of analysed times in s (default: the window)")
    parser.add_argument("--condition", default=None,
                        help="trial coordinate defining conditions (default: 'condition' if "
                             "present, else none)")
    parser.add_argument("--repeats", type=int, default=10, help="mean-matching repeats")
    parser.add_argument("--seed", type=int, default=0, help="seed of the mean matching")
    parser.set_defaults(func=_run)


def _open(path: Path):
    import xarray as xr

    if not path.exists():
        raise FileNotFoundError(f"dataset file not found: {path}")
    if path.suffix == ".zarr" or path.is_dir():
        return xr.open_zarr(path)
    return xr.open_dataset(path, engine="h5netcdf")


def variability_report(ds, *, window=0.1, step=None, condition=None, repeats=10, seed=0):
    """Compute every quantity of the ``variability`` command.

    Parameters
    ----------
    ds : xarray.Dataset
        Binned counts with dims ``(trial, time, neuron)``.
    window, step : float
        Counting window and spacing (s).
    condition : str, optional
        Trial coordinate defining conditions; default ``"condition"`` when present.
    repeats : int
        Mean-matching repeats.
    seed : int
        Seed of the mean matching.

    Returns
    -------
    dict
        ``fano`` (mean-matched result Dataset), ``fano_by_neuron`` (per-neuron Fano factor),
        ``rsc_pairs``, ``spectrum``, ``summary`` (JSON-ready numbers) and ``notes`` (list of str).
    """
    import numpy as np

    from neuromop.analysis import (
        fano_factor,
        mean_matched_fano_factor,
        pair_values,
        participation_ratio,
        pca_spectrum,
        spike_count_correlation,
    )
    from neuromop.analysis._reduce import activity
    from neuromop.analysis.variability import MeanMatchingError

    da = activity(ds, "dataset")
    if condition is None and "condition" in da.coords:
        condition = "condition"
    notes = []
    ff = fano_factor(ds, window=window, step=step)
    try:
        fano = mean_matched_fano_factor(ds, window=window, step=step, condition=condition,
                                        repeats=repeats, random_state=seed)
    except MeanMatchingError as exc:
        notes.append(f"mean matching impossible ({exc}); showing the unmatched Fano factor")
        fano = mean_matched_fano_factor(ds, window=window, step=step, condition=condition,
                                        repeats=0, random_state=seed)
    rsc = spike_count_correlation(ds, zscore_by=condition)
    pairs = pair_values(rsc)
    spectrum = pca_spectrum(ds)
    pr_naive = float(participation_ratio(ds, corrected=False))
    pr = float(participation_ratio(ds, corrected=True))
    finite = np.asarray(pairs.values)[np.isfinite(pairs.values)]
    summary = {
        "n_trials": int(da.sizes["trial"]),
        "n_neurons": int(da.sizes["neuron"]),
        "n_times": int(da.sizes["time"]),
        "window_s": float(fano.attrs["window"]),
        "condition": condition,
        "fano_factor_mean": float(ff.mean(skipna=True)),
        "fraction_retained": float(fano["fraction_retained"][0]),
        "rsc_mean": float(finite.mean()) if finite.size else math.nan,
        "rsc_sd": float(finite.std()) if finite.size else math.nan,
        "rsc_n_pairs": int(finite.size),
        "participation_ratio_naive": pr_naive,
        "participation_ratio": pr,
        "time_s": fano["time"].values.tolist(),
        "fano_factor_matched": fano["fano_factor"].values.tolist() if "fano_factor" in fano
        else None,
        "fano_factor_all": fano["fano_factor_all"].values.tolist(),
    }
    return {"fano": fano, "fano_by_neuron": ff, "rsc_pairs": pairs, "spectrum": spectrum,
            "summary": summary, "notes": notes}


def _table(report) -> str:
    fano, s = report["fano"], report["summary"]
    lines = [
        f"trials {s['n_trials']}, neurons {s['n_neurons']}, window {s['window_s']:.3f} s, "
        f"condition {s['condition']!r}",
        f"{'time (s)':>9} {'FF matched':>11} {'[-2SE, +2SE]':>17} {'FF all':>8} {'rate (Hz)':>9}",
    ]
    for i, t in enumerate(fano["time"].values):
        if "fano_factor" in fano:
            m = f"{float(fano['fano_factor'][i]):11.3f}"
            ci = (f"[{float(fano['fano_factor_low'][i]):6.3f}, "
                  f"{float(fano['fano_factor_high'][i]):6.3f}]")
        else:
            m, ci = f"{'-':>11}", f"{'-':>17}"
        lines.append(f"{t:9.3f} {m} {ci:>17} {float(fano['fano_factor_all'][i]):8.3f} "
                     f"{float(fano['mean_rate'][i]):9.2f}")
    lines += [
        f"fraction of neuron x condition points kept by mean matching: "
        f"{s['fraction_retained']:.2f}",
        f"r_sc: mean {s['rsc_mean']:.4f}, sd {s['rsc_sd']:.4f} over {s['rsc_n_pairs']} pairs",
        f"participation ratio: corrected {s['participation_ratio']:.2f}, "
        f"naive {s['participation_ratio_naive']:.2f} (of {s['n_neurons']} neurons)",
    ]
    return "\n".join(lines + [f"note: {n}" for n in report["notes"]])


def _run(args: argparse.Namespace) -> int:
    import matplotlib

    matplotlib.use("Agg")
    from neuromop._io import write_json_atomic
    from neuromop.plots.variability import (
        plot_fano_factor,
        plot_pca_spectrum,
        plot_rsc_histogram,
        save_figure,
    )

    ds = _open(args.dataset)
    report = variability_report(ds, window=args.window, step=args.step,
                                condition=args.condition, repeats=args.repeats, seed=args.seed)
    out = args.out or args.dataset.with_name(f"{args.dataset.stem}_variability")
    print(_table(report))
    written = [
        save_figure(plot_fano_factor(report["fano"]), out / "fano_factor.png"),
        save_figure(plot_pca_spectrum(report["spectrum"],
                                      participation_ratio=report["summary"]["participation_ratio"]),
                    out / "pca_spectrum.png"),
        save_figure(plot_rsc_histogram(report["rsc_pairs"]), out / "rsc_histogram.png"),
        write_json_atomic(out / "variability.json",
                          {**report["summary"], "dataset": str(args.dataset),
                           "notes": report["notes"]}),
    ]
    print("wrote " + ", ".join(str(p) for p in written))
    return 0
