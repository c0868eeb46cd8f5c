"""Figures of a rate-RNN fit report (learning curves, spectrum, per-neuron R^2, variability)."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from neuromop.plots.figure import save_figure

__all__ = ["plot_fit_report"]


def plot_fit_report(report, out_dir, *, fmt="png"):
    """Draw the four figures of a fit report and write them to ``out_dir``.

    Parameters
    ----------
    report : dict
        As written by ``neuromop fit rnn`` (keys ``history``, ``spectrum``, ``per_neuron_r2``,
        ``variability``, ``heldout``).
    out_dir : path-like
        Folder for the figures.
    fmt : str
        Image format (file suffix).

    Returns
    -------
    list of pathlib.Path
        The files written.
    """
    import matplotlib.pyplot as plt

    out_dir = Path(out_dir)
    paths = []

    fig, ax = plt.subplots(figsize=(4.5, 3))
    hist = report["history"]
    ax.plot(hist["epoch"], hist["train_loss"], label="training")
    ax.plot(hist["epoch"], hist["val_loss"], label="held-out (early stopping)")
    ax.axvline(report["best_epoch"], color="k", ls=":", lw=1, label="best epoch")
    ax.set(xlabel="epoch", ylabel="loss per observation", title="learning curves")
    ax.legend(frameon=False, fontsize=8)
    paths.append(out_dir / f"fit_loss.{fmt}")
    save_figure(fig, paths[-1], dpi=110, bbox_inches="tight")

    fig, ax = plt.subplots(figsize=(3.6, 3.6))
    ev = np.asarray(report["spectrum"]["real"]) + 1j * np.asarray(report["spectrum"]["imag"])
    theta = np.linspace(0, 2 * np.pi, 200)
    ax.plot(np.cos(theta), np.sin(theta), color="0.7", lw=1)
    ax.scatter(ev.real, ev.imag, s=12, label="fitted W")
    if "teacher" in report["spectrum"]:
        tv = report["spectrum"]["teacher"]
        ax.scatter(tv["real"], tv["imag"], s=12, marker="x", label="teacher W")
        ax.legend(frameon=False, fontsize=8)
    ax.set(xlabel="Re λ", ylabel="Im λ", aspect="equal",
           title=f"spectrum (radius {report['spectrum']['radius']:.2f})")
    paths.append(out_dir / f"fit_spectrum.{fmt}")
    save_figure(fig, paths[-1], dpi=110, bbox_inches="tight")

    fig, ax = plt.subplots(figsize=(4.5, 3))
    r2 = np.asarray(report["per_neuron_r2"]["rnn"], dtype=float)
    ax.bar(np.arange(r2.size), r2, label="RNN")
    if "psth" in report["per_neuron_r2"]:
        ax.plot(np.arange(r2.size), report["per_neuron_r2"]["psth"], "k_", ms=10, label="PSTH")
    ax.set(xlabel="neuron", ylabel="held-out R² (single trial)", title="per-neuron fit")
    ax.legend(frameon=False, fontsize=8)
    paths.append(out_dir / f"fit_r2.{fmt}")
    save_figure(fig, paths[-1], dpi=110, bbox_inches="tight")

    var = report["variability"]
    if not var:  # spike-count metrics exist only for Poisson (count) fits
        return paths
    metrics = ["fano_factor", "participation_ratio", "r_sc", "mean_rate"]
    fig, axes = plt.subplots(1, len(metrics), figsize=(9, 2.6))
    for ax, metric in zip(axes, metrics):
        names = list(var)
        ax.bar(names, [var[n][metric] for n in names], color=["0.3", "C0", "C1", "C2"][:len(names)])
        ax.set_title(metric.replace("_", " "), fontsize=9)
        ax.tick_params(axis="x", labelrotation=45, labelsize=8)
    fig.suptitle("variability: data vs model samples", fontsize=10)
    paths.append(out_dir / f"fit_variability.{fmt}")
    save_figure(fig, paths[-1], dpi=110, bbox_inches="tight")
    return paths
