"""Figures of variability analyses: Fano factor over time, PCA spectrum, r_sc histogram."""

from __future__ import annotations

import numpy as np
import xarray as xr

from neuromop.plots.figure import _time_label

__all__ = [
    "plot_across_trial_std",
    "plot_fano_factor",
    "plot_pca_spectrum",
    "plot_rsc_histogram",
]


def _axes(ax):
    import matplotlib.pyplot as plt

    if ax is None:
        fig, ax = plt.subplots(figsize=(5, 3.2), constrained_layout=True)
        return fig, ax
    return ax.figure, ax


def plot_fano_factor(result: xr.Dataset, ax=None):
    """Mean-matched and raw Fano factor over time with their ±2 SE bands.

    Parameters
    ----------
    result : xarray.Dataset
        Output of :func:`neuromop.analysis.mean_matched_fano_factor`.
    ax : matplotlib Axes, optional

    Returns
    -------
    matplotlib.figure.Figure
    """
    fig, ax = _axes(ax)
    t = result["time"].values
    series = [("fano_factor_all", "all points", "0.5")]
    if "fano_factor" in result:
        series.append(("fano_factor", "mean-matched", "C0"))
    for key, label, color in series:
        ax.fill_between(t, result[f"{key}_low"], result[f"{key}_high"], color=color, alpha=0.25,
                        linewidth=0)
        ax.plot(t, result[key], color=color, label=label)
    ax.axhline(1.0, color="k", linewidth=0.5, linestyle=":")
    ax.set_xlabel(_time_label(result["time"]))
    ax.set_ylabel("Fano factor")
    ax.legend(frameon=False)
    return fig


def plot_pca_spectrum(spectrum: xr.Dataset, ax=None, participation_ratio: float | None = None):
    """Explained-variance spectrum (log scale) from :func:`neuromop.analysis.pca_spectrum`.

    Parameters
    ----------
    spectrum : xarray.Dataset
        With ``explained_variance_ratio`` over ``component``.
    ax : matplotlib Axes, optional
    participation_ratio : float, optional
        Shown as a vertical line.

    Returns
    -------
    matplotlib.figure.Figure
    """
    fig, ax = _axes(ax)
    ratio = spectrum["explained_variance_ratio"]
    comp = ratio["component"].values
    ax.semilogy(comp, np.clip(ratio.values, 1e-12, None), marker=".", linewidth=0.8)
    if participation_ratio is not None and np.isfinite(participation_ratio):
        ax.axvline(participation_ratio, color="C3", linestyle="--",
                   label=f"participation ratio {participation_ratio:.1f}")
        ax.legend(frameon=False)
    ax.set_xlabel("principal component")
    ax.set_ylabel("explained variance ratio")
    return fig


def plot_across_trial_std(std_over_time: xr.DataArray, ax=None):
    """Across-trial standard deviation of activity over time (the quench of rates).

    Parameters
    ----------
    std_over_time : xarray.DataArray
        Over ``time`` (s), e.g. ``variability_report(...)["std_over_time"]``; a ``n_alive``
        coordinate, when present, is drawn on a second axis.
    ax : matplotlib Axes, optional

    Returns
    -------
    matplotlib.figure.Figure
    """
    fig, ax = _axes(ax)
    t = std_over_time["time"].values
    ax.plot(t, std_over_time.values, color="C0")
    ax.set_xlabel(_time_label(std_over_time["time"]))
    ax.set_ylabel(f"across-trial std ({std_over_time.attrs.get('units', 'a.u.')})")
    if "n_alive" in std_over_time.coords:
        twin = ax.twinx()
        twin.plot(t, std_over_time["n_alive"].values, color="0.6", linewidth=0.8)
        twin.set_ylabel("trials alive", color="0.5")
    return fig


def plot_rsc_histogram(pairs: xr.DataArray, ax=None, bins: int = 40,
                       xlabel: str = "spike-count correlation $r_{sc}$"):
    """Histogram of pairwise spike-count correlations (NaN pairs are left out and counted).

    Parameters
    ----------
    pairs : xarray.DataArray
        Off-diagonal r_sc values, e.g. from :func:`neuromop.analysis.pair_values`.
    ax : matplotlib Axes, optional
    bins : int
    xlabel : str
        Label of the x axis.

    Returns
    -------
    matplotlib.figure.Figure
    """
    fig, ax = _axes(ax)
    values = np.asarray(pairs.values, dtype=float).ravel()
    finite = values[np.isfinite(values)]
    ax.hist(finite, bins=bins, range=(-1, 1), color="C0", alpha=0.8)
    if finite.size:
        ax.axvline(finite.mean(), color="k", linestyle="--", label=f"mean {finite.mean():.3f}")
        ax.legend(frameon=False)
    ax.set_xlabel(xlabel)
    ax.set_ylabel(f"pairs (of {finite.size}; {values.size - finite.size} NaN)")
    return fig


