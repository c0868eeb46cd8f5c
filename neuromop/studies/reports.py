"""Writers of the ``neuromop analyze`` reports: tables, result files and figures in one folder.

Each takes the computed report (:func:`neuromop.analysis.report.variability_report`,
:func:`neuromop.values.report.value_report`) and writes it atomically into ``out``.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from neuromop._io import atomic_path, write_json_atomic
from neuromop.data.io import save_output
from neuromop.data.schema import validate
from neuromop.plots import save_figure
from neuromop.plots.values import plot_power_curve, value_report_figures
from neuromop.plots.variability import (
    plot_across_trial_std,
    plot_fano_factor,
    plot_pca_spectrum,
    plot_rsc_histogram,
)

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
    # check every dataset before writing anything: no half-written report
    sources = {"result": f"neuromop analyze values: {title}",
               "power": f"neuromop analyze values: {title} (power)"}
    for key, source in sources.items():
        if report.get(key) is not None:
            report[key].attrs.setdefault("source", source)
            validate(report[key], kind="auto")
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
    save_output(res, out / "values_result.nc", source=sources["result"])
    paths.append(out / "values_result.nc")
    md = [f"# Soft versus true value: {title}", "",
          f"**Verdict: {res.attrs['verdict']}** (alpha = {res.attrs['alpha']}, "
          f"{res.attrs['n_neurons']} neurons, {res.attrs['n_trials']} trials)", "",
          f"- signal correlation r = {float(res['signal_corr']):.4f}, partial r = "
          f"{float(res['signal_partial_corr']):.4f}, VIF = "
          f"{', '.join(f'{v:.3g}' for v in res['vif'].values)} (limit "
          f"{res.attrs['vif_max']:.3g}, rule {res.attrs.get('vif_rule', 'fixed')}), "
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
    if report.get("power") is not None:
        power = report["power"].isel(n_trials=-1)
        table = power[["correct_rate", "correct_rate_low", "correct_rate_high"]].to_dataframe()
        table = table.drop(columns=[c for c in table.columns if c not in (
            "correct_rate", "correct_rate_low", "correct_rate_high")])
        counts = power["verdict_count"].to_pandas()
        with atomic_path(out / "values_power.csv") as tmp:
            counts.to_csv(tmp)
        paths.append(out / "values_power.csv")
        save_output(report["power"], out / "values_power.nc", source=sources["power"])
        paths.append(out / "values_power.nc")
        md += ["## Power for this design", "",
               "Sessions simulated from the encoding model fitted to this recording (its signals, "
               "baselines, drift, residual over-dispersion and fitted gain magnitudes), one "
               "ground truth per row; the correct verdict of 'none' is 'neither'.", "",
               _markdown_table(table), "", _markdown_table(counts), ""]
        if "trials_for_power_fitted" in report["power"]:
            need = report["power"][["trials_for_power_fitted", "trials_for_power_fitted_low",
                                    "trials_for_power_fitted_high", "power_extrapolation"]]
            need = need.drop_sel(encoding=[e for e in need["encoding"].values if e == "none"])
            target = report["power"]["trials_for_power_fitted"].attrs["power"]
            untested = int(report["power"].attrs.get("untested_trials", 0))
            root = (f"sqrt(trials - {untested}), the trials the null tests" if untested else
                    "sqrt(trials)")
            md += [f"Trials for a correct verdict {100 * target:.0f} % of the time (probit "
                   f"power curve in {root}, through the simulated lengths, 95 % bootstrap "
                   "interval; 'extrapolated' answers lie beyond the recording and assume the "
                   "power keeps growing as a fixed-effect test's does; NaN: never reached, or "
                   "no upper bound):", "",
                   _markdown_table(need.to_dataframe()), ""]
    md += ["## Neurons", "", _markdown_table(neurons), ""]
    with atomic_path(out / "values_report.md") as tmp:
        tmp.write_text("\n".join(md))
    paths.append(out / "values_report.md")
    soft, true = report["signals"]
    paths += value_report_figures(res, out, soft=soft, true=true, behaviour=report["behaviour"])
    if report.get("power") is not None and "trials_for_power_fitted" in report["power"]:
        paths.append(save_figure(plot_power_curve(report["power"]), out / "values_power.png"))
    return paths


def format_variability_table(report: dict) -> str:
    """The :func:`~neuromop.analysis.report.variability_report` as a plain-text table."""
    lines = {"counts": _count_lines, "rates": _rate_lines, "agent": lambda r: []}[
        report["kind"]](report)
    if report.get("agent") is not None:
        lines += _agent_lines(report["agent"])
    return "\n".join(lines + [f"note: {n}" for n in report["notes"]])


def _count_lines(report: dict) -> list[str]:
    fano, s = report["fano"], report["summary"]
    lines = [
        f"spike counts {s['variable']!r}: trials {s['n_trials']}, neurons {s['n_neurons']}, "
        f"window {s['window_s']:.3f} s, condition {s['condition']!r}",
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
    return lines + [
        f"fraction of neuron x condition points kept by mean matching: "
        f"{s['fraction_retained']:.2f}",
        f"r_sc: mean {_num(s['rsc_mean'])}, sd {_num(s['rsc_sd'])} over {s['rsc_n_pairs']} "
        "pairs",
        f"participation ratio: corrected {s['participation_ratio']:.2f}, "
        f"naive {s['participation_ratio_naive']:.2f} (of {s['n_neurons']} neurons)",
    ]


def _num(value: float | None) -> str:
    """A summary number, or ``n/a`` for ``None`` (nothing to compute)."""
    return "n/a" if value is None else f"{value:.4f}"


def _rate_lines(report: dict) -> list[str]:
    s = report["summary"]
    return [
        f"rates {s['variable']!r} ({s['units']}): trials {s['n_trials']}, neurons "
        f"{s['n_neurons']}, {s['n_samples']} (trial, time) samples analysed",
        f"across-trial std (mean over time and neurons): {s['across_trial_std_mean']:.4f}",
        f"temporal std (mean over trials and neurons):   {_num(s['temporal_std_mean'])}",
        f"correlation of fluctuations: mean {_num(s['corr_mean'])}, sd {_num(s['corr_sd'])} over "
        f"{s['corr_n_pairs']} pairs",
        f"participation ratio: corrected {s['participation_ratio']:.2f}, "
        f"naive {s['participation_ratio_naive']:.2f} (of {s['n_neurons']} neurons)",
    ]


def _agent_lines(agent: dict) -> list[str]:
    lines = [f"agent: {agent['n_trials']} trials of {agent['n_steps']} time points"]
    if "lifetime_mean" in agent:
        lines.append(f"  lifetime {agent['lifetime_mean']:.1f} +- {agent['lifetime_sem']:.1f} "
                     f"steps (sem), survival {agent['survival']:.2f}")
    labels = (("action_entropy_empirical", "empirical action entropy", "actions"),
              ("occupancy_entropy", "state-occupancy entropy", "states"))
    for key, text, what in labels:
        if key in agent:
            lines.append(f"  {text} {agent[key]:.3f} nats "
                         f"({agent.get(f'n_distinct_{what}', 0)} distinct {what})")
    if "policy_entropy_mean" in agent:
        lines.append(f"  mean policy entropy {agent['policy_entropy_mean']:.3f} nats")
    return lines


def write_variability_report(report: dict, out: Path, *, dataset=None) -> list[Path]:
    """Write a :func:`~neuromop.analysis.report.variability_report` into ``out``.

    Writes ``variability.json`` (the summary numbers, the notes and ``dataset``, the path
    analysed) and the figures of the report's kind: ``fano_factor.png``, ``pca_spectrum.png``
    and ``rsc_histogram.png`` for counts; ``across_trial_std.png``, ``pca_spectrum.png`` and
    ``correlation_histogram.png`` for rates; none for agent data. Returns the paths written.
    """

    out = Path(out)
    paths = []
    if report["kind"] in ("counts", "rates"):
        pr = report["summary"]["participation_ratio"]
        paths.append(save_figure(plot_pca_spectrum(report["spectrum"], participation_ratio=pr),
                                 out / "pca_spectrum.png"))
    if report["kind"] == "counts":
        paths += [save_figure(plot_fano_factor(report["fano"]), out / "fano_factor.png"),
                  save_figure(plot_rsc_histogram(report["rsc_pairs"]),
                              out / "rsc_histogram.png")]
    elif report["kind"] == "rates":
        paths += [save_figure(plot_across_trial_std(report["std_over_time"]),
                              out / "across_trial_std.png"),
                  save_figure(plot_rsc_histogram(report["corr_pairs"],
                                                 xlabel="correlation of fluctuations $r$"),
                              out / "correlation_histogram.png")]
    paths.append(write_json_atomic(out / "variability.json",
                                   {**report["summary"], "dataset": None if dataset is None
                                    else str(dataset), "notes": report["notes"]}))
    return paths
