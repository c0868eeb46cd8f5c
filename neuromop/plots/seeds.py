"""A controller study over root seeds: training curves and metrics with intervals over seeds."""

from __future__ import annotations

import numpy as np

from neuromop._intervals import mean_interval
from neuromop.plots.tasks import _color

__all__ = ["plot_seed_replicates"]

#: Axis labels (with units) of the metrics every rate-RNN rollout reports.
LABELS = {"lifetime": "lifetime (steps)",
          "survival": "survival (fraction alive at the end;\nerror bars clipped to [0, 1])",
          "action_entropy": "action entropy (nats)", "activity_std": "activity std (state units)",
          "participation_ratio": "participation ratio (neurons)",
          "saturation": "fraction of |x| above the saturation level",
          "input_saturation": "fraction of |tanh(h)| above the saturation level",
          "log_gain": "sum ln f'(h) (nats per step)",
          "zero_action_fraction": "fraction of steps with zero current",
          "action_dimensionality": "participation ratio of the currents",
          "room_crossings": "room-to-room crossings per trial",
          "inner_occupancy": "fraction of alive time in the inner square",
          "value_spearman_exact": "rank correlation of V with\nthe exact V (visited states)",
          "value_excess_exact": "mean V minus exact V (nats)",
          "x_std": "std of the cart position x (m)", "theta_std": "std of the pole angle (rad)"}

#: Axis labels of the training curves.
CURVES = {"history_survival": "survival (Kaplan-Meier; band clipped to [0, 1])",
          "history_trajectory_std": "within-trajectory readout std\n(mean over contexts)",
          "history_activity_std": "activity std over the epoch (state units)"}


def _palette(controllers: list[str]) -> dict[str, object]:
    """One colour per controller: its family's (as in the task figures), in
    shades of the family's colour map when several controllers share it (a sweep)."""
    import matplotlib.pyplot as plt

    base = {c: _color(c) for c in controllers}
    maps = {"tab:blue": "Blues", "tab:red": "Reds", "0.5": "Greys", "tab:cyan": "GnBu",
            "tab:olive": "YlGn", "k": "Greys"}
    out = {}
    for colour in dict.fromkeys(base.values()):
        members = [c for c in controllers if base[c] == colour]
        if len(members) == 1:
            out[members[0]] = colour
            continue
        cmap = plt.get_cmap(maps.get(colour, "Greys"))
        for i, c in enumerate(members):
            out[c] = cmap(0.4 + 0.55 * i / (len(members) - 1))
    return out


def _interval(values: np.ndarray, level: float = 0.95):
    """Mean and Student-t half-width over axis 0 (:func:`neuromop._intervals.mean_interval`;
    NaN-aware, half-width NaN below 2 values)."""
    import warnings

    import xarray as xr

    dims = ("seed", *(f"dim_{i}" for i in range(1, values.ndim)))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # all-NaN columns stay NaN
        m = mean_interval(xr.DataArray(values, dims=dims), "seed", level)
    return m["mean"].values, (m["high"] - m["mean"]).values


def plot_seed_replicates(ds, *, title: str = "", max_panels: int = 12):
    """Training curves (mean and 95 % band over seeds) and each metric per controller.

    Parameters
    ----------
    ds : xarray.Dataset
        :func:`~neuromop.studies.seeds.seed_dataset`: metrics per ``(seed, controller)`` and
        ``history_*`` per ``(seed, controller, epoch)``.
    title : str
        Figure title.
    max_panels : int
        Most metric panels drawn (the shared metrics first).

    Returns
    -------
    matplotlib.figure.Figure
        Bars are means over seeds, error bars 95 % Student-t intervals, dots the seeds.
    """
    import matplotlib.pyplot as plt

    controllers = [str(c) for c in ds["controller"].values]
    metrics = [v for v in ds.data_vars if "epoch" not in ds[v].dims
               and np.isfinite(ds[v].values).any()]
    metrics = ([m for m in LABELS if m in metrics]
               + [m for m in metrics if m not in LABELS])[:max_panels]
    curves = [k for k in ("history_lifetime_restricted", "history_survival") if k in ds]
    curves += [k for k in ("history_trajectory_std", "history_activity_std") if k in ds][:1]
    n = len(curves) + len(metrics)
    cols = min(4, n)
    rows = int(np.ceil(n / cols))
    fig, axes = plt.subplots(rows, cols, figsize=(3.9 * cols, 3.3 * rows),
                             constrained_layout=True, squeeze=False)
    axes = axes.ravel()
    n_seeds = ds.sizes["seed"]
    colours = _palette(controllers)
    for ax, key in zip(axes, curves):
        epochs = ds["epoch"].values
        for j, c in enumerate(controllers):
            values = ds[key].values[:, j, :]
            if not np.isfinite(values).any():
                continue
            mean, half = _interval(values)
            ax.plot(epochs, mean, "o-", ms=3, color=colours[c], label=c)
            ax.fill_between(epochs, mean - half, mean + half, color=colours[c], alpha=0.2,
                            lw=0)
        horizon = ds["history_horizon"].values if "history_horizon" in ds else None
        cap = (f", capped at {int(np.nanmax(horizon))}" if horizon is not None
               and np.isfinite(horizon).any() else "")
        survival = key.endswith("survival")
        ax.set(xlabel="training epoch", ylabel=CURVES.get(key) or (
            "restricted mean lifetime (steps" + cap + ")"), title="training (mean, 95 % band)")
        if survival:
            ax.set_ylim(-0.02, 1.02)
        elif cap and key.endswith("lifetime_restricted"):
            ax.set_ylim(0, 1.05 * float(np.nanmax(horizon)))
        else:  # standard deviations: the band is clipped at 0
            ax.set_ylim(bottom=0)
        ax.xaxis.get_major_locator().set_params(integer=True)
        ax.legend(fontsize=7)
    rng = np.random.default_rng(0)  # jitter of the seed dots only
    for ax, key in zip(axes[len(curves):], metrics):
        has = np.isfinite(ds[key].values).any(axis=0)  # controllers that report the metric
        values = ds[key].values[:, has]  # (seed, controller)
        names = [c for c, h in zip(controllers, has) if h]
        mean, half = _interval(values)
        x = np.arange(len(names))
        ax.bar(x, mean, color=[colours[c] for c in names], alpha=0.8)
        ax.errorbar(x, mean, yerr=np.nan_to_num(half), fmt="none", ecolor="k", capsize=4)
        for j in range(len(names)):
            ax.plot(x[j] + rng.uniform(-0.15, 0.15, n_seeds), values[:, j], "k.", ms=4)
        ax.set_xticks(x, names, rotation=30, ha="right", fontsize=8)
        label = LABELS.get(key, key.replace("_", " ")
                           + (" (nats)" if "entropy" in key else ""))
        if key == "survival":
            ax.set_ylim(0, 1.05)
        elif np.nanmin(values) >= 0:  # a non-negative metric: the interval is clipped at 0
            ax.set_ylim(bottom=0)
        ax.set_xlim(-0.7, max(len(names), 4) - 0.3)
        ax.set_ylabel(label, fontsize=8)
        ax.set_title(key.replace("_", " "), fontsize=9)
    for ax in axes[n:]:
        ax.axis("off")
    fig.suptitle((title + "\n" if title else "")
                 + f"bars: mean over {n_seeds} seeds; error bars: 95 % t-interval; dots: seeds",
                 fontsize=10)
    return fig
