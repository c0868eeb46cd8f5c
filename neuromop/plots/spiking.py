"""Figures of the spiking energy task: rasters, energy, survival and variability per controller."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import xarray as xr

__all__ = ["plot_spiking_energy"]


def plot_spiking_energy(ds: xr.Dataset, spikes: pd.DataFrame, table: pd.DataFrame, *,
                        max_energy: float | None = None, max_neurons: int = 100):
    """Overview figure of a closed-loop comparison of controllers on the energy task.

    Parameters
    ----------
    ds, spikes
        Outputs of :func:`neuromop.control.rollout.run_controllers` (with an ``energy``
        variable when the env has an energy budget).
    table : pandas.DataFrame
        Output of :func:`neuromop.analysis.tables.variability_table`.
    max_energy : float, optional
        Energy budget (spikes per neuron), drawn as a line.
    max_neurons : int
        Neurons shown in each raster.

    Returns
    -------
    matplotlib.figure.Figure
        Top row: a raster of the first trial of each controller (terminal time marked); bottom
        row: energy over time (mean ± sd over alive trials), survival curves, and bars of Fano
        factor, participation ratio and action entropy.
    """
    import matplotlib.pyplot as plt

    labels = list(dict.fromkeys(ds["controller"].values.tolist()))
    n = len(labels)
    fig = plt.figure(figsize=(4 * max(n, 3), 6.5), constrained_layout=True)
    grid = fig.add_gridspec(2, max(n, 3))
    colors = dict(zip(labels, plt.rcParams["axes.prop_cycle"].by_key()["color"]))
    width = float(ds.attrs["bin_width"])
    t = ds["time"].values
    for k, label in enumerate(labels):
        ax = fig.add_subplot(grid[0, k])
        trial = int(np.flatnonzero(ds["controller"].values == label)[0])
        sp = spikes[(spikes["trial"] == trial) & (spikes["neuron"] < max_neurons)]
        ax.plot(sp["time"], sp["neuron"], "|", ms=2, color=colors[label])
        life = float(ds["lifetime"].values[trial]) * width
        if life < t[-1] + width / 2:
            ax.axvline(life, color="k", ls="--", lw=1, label="terminal")
            ax.legend(loc="upper right", fontsize=7)
        ax.set(title=f"{label}: trial {trial}", xlabel="time (s)", ylabel="neuron",
               xlim=(0, t[-1] + width / 2))
    ax_e = fig.add_subplot(grid[1, 0])
    ax_s = fig.add_subplot(grid[1, 1])
    for label in labels:
        sub = ds.isel(trial=np.flatnonzero(ds["controller"].values == label))
        alive = np.arange(sub.sizes["time"])[None, :] < sub["lifetime"].values[:, None]
        if "energy" in sub:
            e = np.where(alive, sub["energy"].values, np.nan)
            with warnings.catch_warnings():  # all trials dead at late times: a gap in the plot
                warnings.simplefilter("ignore", RuntimeWarning)
                m, s = np.nanmean(e, 0), np.nanstd(e, 0)
            ax_e.plot(t, m, color=colors[label], label=label)
            # energy is >= 0: the band is clipped there (bursts make the sd large)
            ax_e.fill_between(t, np.maximum(m - s, 0.0), m + s, color=colors[label],
                              alpha=0.2)
        ax_s.step(t, alive.mean(0), where="post", color=colors[label], label=label)
    if max_energy is not None:
        ax_e.axhline(max_energy, color="k", ls=":", lw=1, label="budget")
    ax_e.set(xlabel="time (s)", ylabel="energy (spikes/neuron)", title="energy (alive trials)")
    ax_e.legend(fontsize=7)
    ax_s.set(xlabel="time (s)", ylabel="fraction alive", ylim=(-0.05, 1.05), title="survival")
    ax_b = fig.add_subplot(grid[1, 2])
    metrics = [("fano_factor", "Fano"), ("participation_ratio", "PR / 10"),
               ("action_entropy", "H(a) nats")]
    x = np.arange(len(metrics))
    bw = 0.8 / n
    for k, label in enumerate(labels):
        vals = [table.loc[label, m] / (10.0 if m == "participation_ratio" else 1.0)
                for m, _ in metrics]
        ax_b.bar(x + (k - (n - 1) / 2) * bw, vals, bw, color=colors[label], label=label)
    ax_b.set_xticks(x, [name for _, name in metrics])
    ax_b.set(title="variability")
    ax_b.legend(fontsize=7)
    return fig
