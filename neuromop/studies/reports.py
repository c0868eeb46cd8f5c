"""Writers of the ``neuromop analyze`` reports: tables, result files and figures in one folder.

Each takes the computed report (:func:`neuromop.analysis.report.variability_report`,
:func:`neuromop.values.report.value_report`) and writes it atomically into ``out``.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from neuromop._io import atomic_path, write_json_atomic, write_netcdf_atomic
from neuromop.plots import save_figure
from neuromop.plots.values import value_report_figures
from neuromop.plots.variability import plot_fano_factor, plot_pca_spectrum, plot_rsc_histogram

__all__ = ["format_variability_table", "write_value_report", "write_variability_report"]


def _markdown_table(df) -> str:
    cols = [str(c) for c in df.columns]
    lines = ["| " + " | ".join([df.index.name or ""] + cols) + " |",
             "|" + "---|" * (len(cols) + 1)]
    for idx, row in df.iterrows():
        cells = [f"{v:.4g}" if isinstance(v, float | np.floating) else str(v) for v in row]
        lines.append("| " + " | ".join([str(idx)] + cells) + " |")
    return "\n".join(lines)


def write_value_report(report: dict, out: Path, title: str) -> list[Path]:
    """Write a :func:`~neuromop.values.report.value_report` into ``out``: tables (CSV +
    markdown), the result (netCDF) and figures; returns the paths written."""

    res = report["result"]
    out.mkdir(parents=True, exist_ok=True)
    neurons = res[["delta_d2", "p_unique", "partial_corr"]].to_dataframe().unstack("signal")
    neurons.columns = [f"{a}_{b}" for a, b in neurons.columns]
    neurons["p_any"] = res["p_any"].values
    neurons["class"] = res["neuron_class"].values
    pop = res[["pop_loglik_gain", "pop_p_value"]].to_dataframe()
    paths = []
    for name, df in (("neurons", neurons), ("population", pop)):
        with atomic_path(out / f"values_{name}.csv") as tmp:
            df.to_csv(tmp)
        paths.append(out / f"values_{name}.csv")
    write_netcdf_atomic(res, out / "values_result.nc")
    paths.append(out / "values_result.nc")
    md = [f"# Soft versus true value: {title}", "",
          f"**Verdict: {res.attrs['verdict']}** (alpha = {res.attrs['alpha']}, "
          f"{res.attrs['n_neurons']} neurons, {res.attrs['n_trials']} trials)", "",
          f"- signal correlation r = {float(res['signal_corr']):.4f}, partial r = "
          f"{float(res['signal_partial_corr']):.4f}, VIF = "
          f"{', '.join(f'{v:.3g}' for v in res['vif'].values)} (limit {res.attrs['vif_max']}), "
          f"condition number = {res.attrs['condition_number']:.3g}; separable: "
          f"{bool(res.attrs['separable'])}",
          *[f"- {n}" for n in report["notes"]], "", "## Population tests", "",
          _markdown_table(pop), "", "## Decoding (blocked-CV R²)", "",
          _markdown_table(res["decoding_r2"].to_dataframe()), ""]
    if report["choice_table"] is not None:
        with atomic_path(out / "values_choice_models.csv") as tmp:
            report["choice_table"].to_csv(tmp)
        paths.append(out / "values_choice_models.csv")
        md += ["## Choice models", "", _markdown_table(report["choice_table"]), ""]
    md += ["## Neurons", "", _markdown_table(neurons), ""]
    with atomic_path(out / "values_report.md") as tmp:
        tmp.write_text("\n".join(md))
    paths.append(out / "values_report.md")
    soft, true = report["signals"]
    paths += value_report_figures(res, out, soft=soft, true=true, behaviour=report["behaviour"])
    return paths


def format_variability_table(report: dict) -> str:
    """The :func:`~neuromop.analysis.report.variability_report` as a plain-text table."""
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


def write_variability_report(report: dict, out: Path, *, dataset=None) -> list[Path]:
    """Write a :func:`~neuromop.analysis.report.variability_report` into ``out``.

    Writes ``fano_factor.png``, ``pca_spectrum.png``, ``rsc_histogram.png`` and
    ``variability.json`` (the summary numbers, the notes and ``dataset``, the path analysed);
    returns the paths written.
    """

    out = Path(out)
    pr = report["summary"]["participation_ratio"]
    return [
        save_figure(plot_fano_factor(report["fano"]), out / "fano_factor.png"),
        save_figure(plot_pca_spectrum(report["spectrum"], participation_ratio=pr),
                    out / "pca_spectrum.png"),
        save_figure(plot_rsc_histogram(report["rsc_pairs"]), out / "rsc_histogram.png"),
        write_json_atomic(out / "variability.json",
                          {**report["summary"], "dataset": None if dataset is None
                           else str(dataset), "notes": report["notes"]}),
    ]
