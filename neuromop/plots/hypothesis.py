"""Figures of ``neuromop run hypothesis``: the recording next to each controller."""

from __future__ import annotations

import numpy as np

from neuromop.plots.figure import _time_label

__all__ = ["SOURCE_COLOURS", "plot_parameter_recovery", "plot_source_comparison"]

#: One colour per source, shared by every panel.
SOURCE_COLOURS = {"recorded": "black", "free": "tab:gray", "random": "tab:olive",
                  "mop": "tab:blue", "r": "tab:red"}

_TIME_PANELS = (("fano_factor", "Fano factor"), ("mean_matched_fano_factor",
                                                 "mean-matched Fano factor"),
                ("mean_count", "mean count (spikes/bin)"), ("action_entropy",
                                                            "action entropy (nats)"))
_SCALAR_PANELS = (("r_sc", "spike-count correlation"),
                  ("participation_ratio", "participation ratio"))


def plot_source_comparison(comparison, *, title: str = ""):
    """Time courses (with bootstrap bands) and scalar statistics of every source.

    Parameters
    ----------
    comparison : xarray.Dataset
        From :func:`neuromop.analysis.compare_sources`.
    title : str
        Figure title (e.g. the session).

    Returns
    -------
    matplotlib.figure.Figure
    """
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(2, 3, figsize=(12, 6.5), constrained_layout=True)
    t = comparison["time"].values
    sources = [str(s) for s in comparison["source"].values]
    for ax, (var, label) in zip(axes.flat[:4], _TIME_PANELS):
        for src in sources:
            y = comparison[var].sel(source=src).values
            if not np.isfinite(y).any():
                continue
            colour = SOURCE_COLOURS.get(src, None)
            ax.plot(t, y, color=colour, label=src, lw=2 if src == "recorded" else 1.2)
            band = f"{var}_interval"
            if band in comparison:
                lim = comparison[band].sel(source=src)
                ax.fill_between(t, lim.sel(bound="low"), lim.sel(bound="high"), color=colour,
                                alpha=0.15, lw=0)
        ax.set_xlabel(_time_label(comparison["time"]))
        ax.set_ylabel(label)
    axes.flat[0].legend(fontsize=7, frameon=False)
    for ax, (var, label) in zip(axes.flat[4:], _SCALAR_PANELS):
        x = np.arange(len(sources))
        y = comparison[var].values
        lim = comparison[f"{var}_interval"].values
        for i, src in enumerate(sources):
            if np.isfinite(y[i]):
                ax.errorbar(x[i], y[i], yerr=[[max(y[i] - lim[i, 0], 0)],
                                              [max(lim[i, 1] - y[i], 0)]],
                            fmt="o", color=SOURCE_COLOURS.get(src, "0.3"), capsize=3)
        ax.set_xticks(x, sources, rotation=30)
        ax.set_ylabel(label)
        closest = str(comparison["closest"].sel(statistic=var).item())
        ax.set_title(f"closest: {closest}", fontsize=9)
    if title:
        fig.suptitle(title)
    return fig


def plot_parameter_recovery(rows: list[dict], grids: dict):
    """Where the fitted values of each parameter × statistic land on their grid.

    Parameters
    ----------
    rows : list of dict
        ``parameter``, ``statistic``, ``value_hat`` (one per simulation), ``coverage``.
    grids : dict
        Parameter name -> its grid of values.

    Returns
    -------
    matplotlib.figure.Figure
    """
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, len(rows), figsize=(3.6 * len(rows), 3.2),
                             constrained_layout=True, squeeze=False)
    for ax, row in zip(axes[0], rows):
        grid = list(grids[row["parameter"]])
        hats = np.asarray(row["value_hat"])
        ax.bar(range(len(grid)), [np.sum(hats == g) for g in grid], color="tab:blue")
        ax.set_xticks(range(len(grid)), [f"{g:g}" for g in grid])
        ax.axvline(grid.index(1.0), color="k", ls="--", lw=1)
        ax.set_xlabel(f"fitted {row['parameter']} (true 1)")
        ax.set_ylabel("simulations")
        ax.set_title(f"from {row['statistic']}\ncoverage {row['coverage']:.2f}", fontsize=9)
    return fig
