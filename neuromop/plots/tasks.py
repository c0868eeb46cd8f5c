"""Figures of the NeuroMOP rate-RNN tasks (Mastrogiuseppe & Moreno-Bote 2024 style panels)."""

from __future__ import annotations

import numpy as np

from neuromop.envs.terminal import SHAPES, ShapeSet, shape_fill_std
from neuromop.plots.figure import _time_label

__all__ = ["plot_energy_task", "plot_square_task", "plot_shapes_task", "plot_reward_task",
           "plot_corridor_task", "plot_cartpole_task", "plot_beta_sweep"]

COLORS = {"free": "0.5", "random": "tab:olive", "MOP": "tab:blue", "R": "tab:red",
          "untrained MOP": "tab:cyan"}


def _color(name: str) -> str:
    """The colour of a controller; variants (``"MOP square"``, ``"R eps=0.2"``) take their
    family's."""
    if name in COLORS:
        return COLORS[name]
    family = next((k for k in ("untrained MOP", "MOP", "free", "random", "R")
                   if name.startswith(k + " ")), None)
    return COLORS[family] if family else "k"


def _bars(ax, summary: dict, key: str, label: str) -> None:
    names = list(summary)
    vals = [summary[n].get(key, np.nan) for n in names]
    ax.bar(range(len(names)), vals, color=[_color(n) for n in names])
    ax.set_xticks(range(len(names)), names, rotation=30, ha="right")
    ax.set_ylabel(label)


def plot_energy_task(datasets: dict, summary: dict, histories: dict, study):
    """Energy task: activity, energy vs threshold, entropy vs distance, and the metric bars.

    Parameters
    ----------
    datasets : dict
        Controller name -> rollout dataset (from :func:`neuromop.control.rollout`) with an
        ``energy`` variable; must include ``"free"`` and ``"MOP"``.
    summary : dict
        Controller name -> metrics (:func:`~neuromop.control.summarize_rollout`); ``"MOP"``
        also holds ``entropy_by_distance`` (distance to the threshold -> mean action entropy).
    histories : dict
        Controller name -> training history (list of epoch records).
    study : EnergyStudy
        Configuration (``max_energy``).

    Returns
    -------
    matplotlib.figure.Figure
    """
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(2, 4, figsize=(15, 6.5), constrained_layout=True)
    mop = datasets["MOP"]
    t = mop["time"].values
    trial = int(np.argmax(mop["lifetime"].values))
    ax = axes[0, 0]
    for i in range(min(4, mop.sizes["neuron"])):
        ax.plot(t, mop["activity"].values[trial, :, i], lw=0.8)
    ax.set(title="MOP: activity of 4 neurons", xlabel=_time_label(mop["time"]), ylabel="x")
    ax = axes[0, 1]
    for name, ds in datasets.items():
        e = np.where(ds["alive"].values, ds["energy"].values, np.nan)
        ax.plot(ds["time"].values, e[0], color=_color(name), lw=1, label=name)
    ax.axhline(study.max_energy, color="k", ls="--", lw=1, label="threshold")
    ax.set(title="energy (trial 0)", xlabel=_time_label(mop["time"]), ylabel="E")
    ax.legend(fontsize=7)
    ax = axes[0, 2]
    ebd = summary["MOP"]["entropy_by_distance"]
    ax.plot(ebd["distance"], ebd["entropy"], "o-", color=_color("MOP"))
    ax.axhline(np.log(mop.attrs["n_candidates"]), color="k", ls=":", label="ln K")
    ax.legend(fontsize=7)
    ax.set(title="MOP action entropy vs distance", xlabel="threshold - E", ylabel="H(a|x) (nats)")
    ax.locator_params(axis="x", nbins=4)  # the distances are small: long tick labels
    ax = axes[0, 3]
    _lifetime_history_panel(ax, histories)
    _bars(axes[1, 0], summary, "lifetime", "lifetime (steps)")
    _bars(axes[1, 1], summary, "action_entropy", "action entropy (nats)")
    _bars(axes[1, 2], summary, "activity_std", "activity std (state units)")
    _bars(axes[1, 3], summary, "participation_ratio", "participation ratio (neurons)")
    fig.suptitle("NeuroMOP energy task: free / random / MOP / R")
    return fig


def plot_square_task(datasets: dict, summary: dict, histories: dict, study):
    """Square confinement: trajectories of the two constrained neurons and the metric bars.

    ``summary``: controller name -> metrics (:func:`~neuromop.control.summarize_rollout`);
    ``histories``: controller name -> training history (the last panel: lifetime over epochs).
    """
    import matplotlib.pyplot as plt

    names = [n for n in datasets if n != "random"]
    cols = max(6, len(names))
    fig, axes = plt.subplots(2, cols, figsize=(3.6 * cols, 7), constrained_layout=True)
    h = study.half_width
    for ax, name in zip(axes[0], names):
        ds = datasets[name]
        act, alive = ds["activity"].values, ds["alive"].values
        for tr in range(min(8, ds.sizes["trial"])):
            ok = alive[tr]
            ax.plot(act[tr, ok, 0], act[tr, ok, 1], lw=0.5, color=_color(name), alpha=0.6)
        ax.plot([-h, h, h, -h, -h], [-h, -h, h, h, -h], "k-", lw=1)
        ax.set(title=name, xlim=(-1, 1), ylim=(-1, 1), xlabel="x0 (state units)",
               ylabel="x1 (state units)", aspect="equal")
    for ax in axes[0, len(names):]:
        ax.axis("off")
    _bars(axes[1, 0], summary, "lifetime", "lifetime (steps)")
    _bars(axes[1, 1], summary, "survival", "survival (fraction alive at the end)")
    _bars(axes[1, 2], summary, "action_entropy", "action entropy (nats)")
    _bars(axes[1, 3], summary, "activity_std", "activity std (state units)")
    _bars(axes[1, 4], summary, "participation_ratio", "participation ratio (neurons)")
    _lifetime_history_panel(axes[1, 5], histories)
    for ax in axes[1, 6:]:
        ax.axis("off")
    fig.suptitle("NeuroMOP square confinement")
    return fig


def _history_panel(ax, histories: dict, key: str, label: str) -> None:
    styles = ("o-", "s--", "^:", "d-.")          # variants of one family share its colour
    used: dict[str, int] = {}
    for name, hist in histories.items():
        color = _color(name)
        style = styles[used.get(color, 0) % len(styles)]
        used[color] = used.get(color, 0) + 1
        ax.plot([h["epoch"] for h in hist], [h[key] for h in hist], style, color=color,
                label=name, ms=3)
    ax.set(xlabel="epoch", ylabel=label)
    ax.legend(fontsize=7)


def _lifetime_history_panel(ax, histories: dict) -> None:
    """Training lifetime per epoch: the Kaplan-Meier restricted mean (episodes still running
    at the end of an epoch are censored, so an epoch in which none ends is not missing), or
    the mean of the ended episodes for histories recorded before it existed."""
    restricted = all("lifetime_restricted" in h for hist in histories.values() for h in hist)
    key = "lifetime_restricted" if restricted else "lifetime"
    horizons = {h.get("horizon") for hist in histories.values() for h in hist}
    cap = f", capped at {horizons.pop()}" if restricted and len(horizons) == 1 else ""
    label = ("restricted mean lifetime\n(steps" + cap + ")") if restricted else "lifetime (steps)"
    _history_panel(ax, histories, key, label)
    ax.set_title("training", fontsize=9)


def plot_shapes_task(datasets: dict, summary: dict, histories: dict, study,
                     reference: dict | None = None):
    """Six shapes: MOP readout trajectories per context, per-context lifetime, spread over training.

    Parameters
    ----------
    datasets : dict
        ``"free <shape>"`` / ``"MOP <shape>"`` -> rollout dataset, for every shape of
        :data:`~neuromop.envs.SHAPES`.
    summary : dict
        The same names -> metrics (``lifetime``).
    histories : dict
        ``"MOP"`` -> training history; if its records carry the per-context evaluation of
        :meth:`~neuromop.studies.shapes.ShapesStudy.evaluate_spread` (``readout_std``,
        ``trajectory_std``, ``alive_fraction``) they are drawn per context over epochs.
    study : ShapesStudy
        Configuration (``shape_scale``).
    reference : dict, optional
        Controller name -> the same evaluation for reference controllers
        (:meth:`~neuromop.studies.shapes.ShapesStudy.reference_spread`), drawn at
        epoch -1 (open markers: untrained MOP; dotted lines: free and random).

    Returns
    -------
    matplotlib.figure.Figure
    """
    import matplotlib.pyplot as plt
    import torch


    shapes = ShapeSet(study.shape_scale)
    fill = shape_fill_std(study.shape_scale)
    fig, axes = plt.subplots(2, 5, figsize=(18.5, 7), constrained_layout=True)
    grid = np.linspace(-1.2, 1.2, 241)
    gx, gy = np.meshgrid(grid, grid)
    inside = shapes.inside(torch.as_tensor(np.stack([gx, gy], -1), dtype=torch.float32)).numpy()
    for c, ((shape, _), ax) in enumerate(zip(SHAPES, axes.flat[:6])):
        ax.contour(gx, gy, inside[..., c].astype(float), levels=[0.5], colors="k")
        ds = datasets[f"MOP {shape}"]
        ro, alive = ds["readout"].values, ds["alive"].values
        for tr in range(min(6, ds.sizes["trial"])):
            ax.plot(ro[tr, alive[tr], 0], ro[tr, alive[tr], 1], lw=0.5, color=_color("MOP"))
        ax.set(title=f"context {c}: {shape}", xlim=(-1.2, 1.2), ylim=(-1.2, 1.2), aspect="equal")
    ax = axes.flat[6]
    names = [s for s, _ in SHAPES]
    w = 0.4
    for off, who in ((-w / 2, "free"), (w / 2, "MOP")):
        vals = [summary[f"{who} {s}"]["lifetime"] for s in names]
        ax.bar(np.arange(6) + off, vals, width=w, color=_color(who), label=who)
    ax.set_xticks(range(6), names, rotation=40, ha="right", fontsize=7)
    ax.set(ylabel="lifetime (steps)")
    ax.legend(fontsize=7)
    hist = histories.get("MOP", [])
    keys = ("readout_std", "trajectory_std", "alive_fraction")
    if hist and all(k in h for h in hist for k in keys):
        epochs = [h["epoch"] for h in hist]
        cmap = plt.get_cmap("tab10")
        panels = (("readout_std", axes.flat[7], "readout std / uniform-fill std", True),
                  ("trajectory_std", axes.flat[8], "within-trajectory readout std", False),
                  ("alive_fraction", axes.flat[9], "fraction of steps alive", False))
        for key, ax, label, relative in panels:
            for c, shape in enumerate(names):
                norm = fill[c] if relative else 1.0
                ax.plot(epochs, [h[key][shape] / norm for h in hist], "o-", ms=3, color=cmap(c),
                        label=shape)
                for name, ref in (reference or {}).items():
                    val = ref[key][shape] / norm
                    if name == "untrained MOP":
                        ax.plot([-1], [val], "o", mfc="none", color=cmap(c))
                    else:
                        ax.axhline(val, color=cmap(c), lw=0.6,
                                   ls=":" if name == "free" else "--")
            ax.set(xlabel="epoch (-1: untrained)", ylabel=label, title=f"MOP evaluation: {label}")
            ax.legend(fontsize=6, title="dotted free, dashed random" if reference else None,
                      title_fontsize=6)
    else:
        for ax in axes.flat[7:]:
            ax.axis("off")
    fig.suptitle("NeuroMOP six shapes (context-dependent terminal sets)")
    return fig


def plot_reward_task(datasets: dict, summary: dict, histories: dict, study):
    """Mu sweep: occupancy density of neurons (0, 1) with the rewarded inner square.

    ``summary``: controller name -> metrics with ``inner_occupancy``; ``histories``:
    controller name -> training history (the last panel: lifetime over epochs).
    """
    import matplotlib.pyplot as plt

    names = list(datasets)
    fig, axes = plt.subplots(1, len(names) + 2, figsize=(3.8 * (len(names) + 2), 3.8),
                             constrained_layout=True)
    h, hi = study.half_width, study.inner_half_width
    for ax, name in zip(axes, names):
        ds = datasets[name]
        pts = ds["activity"].values[..., :2][ds["alive"].values]
        *_, image = ax.hist2d(pts[:, 0], pts[:, 1], bins=40, range=[[-h, h], [-h, h]],
                              cmap="Blues")
        fig.colorbar(image, ax=ax, label="alive time steps per bin", shrink=0.8)
        ax.plot([-hi, hi, hi, -hi, -hi], [-hi, -hi, hi, hi, -hi], "r-", lw=1)
        ax.set(title=name, xlabel="x0 (state units)", ylabel="x1 (state units)",
               aspect="equal")
    occ = [summary[name]["inner_occupancy"] for name in names]
    axes[len(names)].bar(range(len(names)), occ, color=_color("MOP"))
    axes[len(names)].set_xticks(range(len(names)), names, rotation=30, ha="right")
    axes[len(names)].set(ylabel="fraction of time in inner square")
    _lifetime_history_panel(axes[-1], histories)
    fig.suptitle("NeuroMOP with extrinsic reward mu in the inner square")
    return fig


def plot_corridor_task(datasets: dict, summary: dict, histories: dict, study):
    """Corridor: readout trajectories in the two-room geometry and action entropy along x."""
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 4, figsize=(16, 3.8), constrained_layout=True)
    o, r, c = study.room_offset, study.room_half, study.corridor_half
    outline_x = [-o - r, -o + r, -o + r, o - r, o - r, o + r, o + r, o - r, o - r, -o + r, -o + r,
                 -o - r, -o - r]
    outline_y = [-r, -r, -c, -c, -r, -r, r, r, c, c, r, r, -r]
    for ax, name in zip(axes[:3], ("free", "random", "MOP")):
        ds = datasets[name]
        ro, alive = ds["readout"].values, ds["alive"].values
        for tr in range(min(8, ds.sizes["trial"])):
            ax.plot(ro[tr, alive[tr], 0], ro[tr, alive[tr], 1], lw=0.5, color=_color(name))
        ax.plot(outline_x, outline_y, "k-", lw=1)
        ax.set(title=name, aspect="equal", xlabel="readout 1", ylabel="readout 2")
    ax = axes[3]
    ds = datasets["MOP"]
    alive = ds["alive"].values[:, :-1]
    xs = ds["readout"].values[:, :-1, 0][alive]
    ent = ds["action_entropy"].values[:, :-1][alive]
    edges = np.linspace(-o - r, o + r, 13)
    which = np.digitize(xs, edges) - 1
    means = [ent[which == b].mean() if (which == b).any() else np.nan for b in range(12)]
    ax.plot((edges[:-1] + edges[1:]) / 2, means, "o-", color=_color("MOP"))
    ax.axvspan(-o + r, o - r, color="0.9", label="corridor")
    ax.set(xlabel="readout 1", ylabel="MOP action entropy (nats)")
    ax.legend(fontsize=7)
    fig.suptitle("NeuroMOP corridor task")
    return fig


def plot_cartpole_task(datasets: dict, summary: dict, histories: dict, study):
    """Cartpole: theta-x occupancy of each controller and lifetime over training.

    ``summary``: controller name -> metrics (``lifetime``).
    """
    import matplotlib.pyplot as plt

    names = list(datasets)
    ncols = min(len(names) + 1, 3)
    nrows = -(-(len(names) + 1) // ncols)
    fig, axes = plt.subplots(nrows, ncols, figsize=(4.2 * ncols, 3.6 * nrows),
                             constrained_layout=True, squeeze=False)
    axes = axes.ravel()
    for ax in axes[len(names) + 1:]:
        ax.set_visible(False)
    for ax, name in zip(axes, names):
        ds = datasets[name]
        alive = ds["alive"].values
        *_, image = ax.hist2d(ds["x"].values[alive], ds["theta"].values[alive], bins=40,
                              range=[[-1.8, 1.8], [-0.62, 0.62]], cmap="Blues")
        fig.colorbar(image, ax=ax, label="alive time steps per bin")
        ax.set(title=f"{name} (lifetime {summary[name]['lifetime']:.0f})", xlabel="x (m)",
               ylabel="theta (rad)")
    _lifetime_history_panel(axes[len(names)], histories)
    fig.suptitle("NeuroMOP continuous cartpole")
    return fig


def plot_beta_sweep(datasets: dict, summary: dict, histories: dict, study):
    """Beta sweep: lifetime, std, activity and input saturation, log gain, actions per beta.

    ``summary`` entries carry the keys of :func:`~neuromop.control.rollout.summarize_rollout`
    and of :func:`~neuromop.studies.tasks.input_drive_statistics`, plus
    ``action_dimensionality``.
    """
    import matplotlib.pyplot as plt

    level = study.saturation_level
    panels = (("lifetime", "lifetime (steps)"),
              ("activity_std", "activity std"),
              ("saturation", f"fraction |x| > {level:g}"),
              ("input_saturation", f"fraction |tanh(h)| > {level:g}"),
              ("log_gain", "sum_i ln f'(h_i) per step (nats)"),
              ("zero_action_fraction", "fraction zero current"),
              ("action_dimensionality", "action dimensionality (PR)"),
              ("action_entropy", "action entropy (nats)"))
    fig, axes = plt.subplots(2, 4, figsize=(16, 7), constrained_layout=True)
    for (key, label), ax in zip(panels, axes.ravel(), strict=True):
        _bars(ax, summary, key, label)
    fig.suptitle("NeuroMOP beta sweep (state entropy of input noise through tanh)")
    return fig
