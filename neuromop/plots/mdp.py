"""Figures for finite-MDP agents: occupancy maps, survival curves, energy histograms."""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import xarray as xr

from neuromop.plots.figure import _time_label

__all__ = [
    "plot_agent_pet",
    "plot_occupancy",
    "plot_survival",
    "plot_energy_histogram",
    "comparison_figure",
    "plot_cartpole_episode",
    "plot_cartpole_grid",
    "plot_half_arena",
    "plot_noisy_tv",
    "plot_predator_prey",
    "plot_predator_prey_food_sweep",
]


def _mean_halfwidth(values: xr.DataArray, dim: str = "trial"):
    """Mean over ``dim`` and the half-width of its 95 % Student-t interval."""
    from scipy import stats

    n = values.sizes[dim]
    half = values.std(dim, ddof=1) / np.sqrt(n) * stats.t.ppf(0.975, max(n - 1, 1))
    return values.mean(dim), half


def _axes(ax):
    import matplotlib.pyplot as plt

    if ax is None:
        _, ax = plt.subplots(figsize=(4, 3.5))
    return ax


def plot_occupancy(occ: xr.DataArray, world=None, ax=None, *, title: str | None = None,
                   log: bool = False):
    """Heat map of an occupancy map (dims ``y, x``) with walls and food when ``world`` is given.

    Parameters
    ----------
    occ : xr.DataArray
        From :func:`neuromop.mdp.rollout.occupancy_map`.
    world : GridWorld, optional
    ax : matplotlib Axes, optional
    title : str, optional
    log : bool
        Colour by log10 of the occupancy (empty cells left blank).

    Returns
    -------
    matplotlib Axes
    """
    if not isinstance(occ, xr.DataArray) or set(occ.dims) != {"x", "y"}:
        raise ValueError("occ must be a DataArray with dims (y, x) from occupancy_map")
    ax = _axes(ax)
    img = occ.transpose("y", "x").values.astype(float)
    if log:
        img = np.where(img > 0, np.log10(np.where(img > 0, img, 1.0)), np.nan)
    x, y = occ["x"].values, occ["y"].values
    extent = (x[0] - 0.5, x[-1] + 0.5, y[0] - 0.5, y[-1] + 0.5)
    im = ax.imshow(np.where(img == 0, np.nan, img) if not log else img, origin="lower",
                   extent=extent, cmap="magma")
    ax.figure.colorbar(im, ax=ax, fraction=0.046, pad=0.04,
                       label="log10 occupancy" if log else "occupancy")
    if world is not None and hasattr(world, "layout"):
        walls = world.layout.walls
        if len(walls):
            ax.scatter(walls[:, 0], walls[:, 1], marker="s", s=120, c="0.4")
        food = getattr(world, "food", np.zeros((0, 2)))
        if len(food):
            ax.scatter(food[:, 0], food[:, 1], marker="D", s=50, facecolors="none",
                       edgecolors="tab:green", linewidths=2)
    ax.set_xlabel("x")
    ax.set_ylabel("y")
    if title:
        ax.set_title(title)
    return ax


def plot_survival(curves: Mapping[str, xr.DataArray], ax=None, *, title: str | None = None):
    """Survival curves (fraction of episodes alive against time), one line per agent."""
    ax = _axes(ax)
    for name, c in curves.items():
        ax.plot(c["time"].values, c.values, label=name)
    ax.set_xlabel("time (steps)")
    ax.set_ylabel("fraction alive")
    ax.set_ylim(-0.02, 1.02)
    ax.set_xscale("symlog", linthresh=10)
    ax.set_xlim(left=0)
    ax.legend()
    if title:
        ax.set_title(title)
    return ax


def plot_energy_histogram(hists: Mapping[str, xr.DataArray], ax=None, *, title: str | None = None):
    """Fraction of alive time spent at each energy level, one step line per agent."""
    ax = _axes(ax)
    for name, h in hists.items():
        ax.step(h["energy"].values, h.values, where="mid", label=name)
    ax.set_xlabel("energy level")
    ax.set_ylabel("fraction of alive steps")
    ax.set_yscale("log")
    ax.legend()
    if title:
        ax.set_title(title)
    return ax


def comparison_figure(occupancy: Mapping[str, xr.DataArray], survival: Mapping[str, xr.DataArray],
                      energy: Mapping[str, xr.DataArray], world=None):
    """One figure: an occupancy map per agent, then survival curves and energy histograms.

    Returns
    -------
    matplotlib Figure
    """
    import matplotlib.pyplot as plt

    n = len(occupancy)
    fig, axes = plt.subplots(1, n + 2, figsize=(4.2 * (n + 2), 3.8))
    for ax, (name, occ) in zip(axes[:n], occupancy.items(), strict=True):
        plot_occupancy(occ, world, ax=ax, title=name, log=True)
    plot_survival(survival, ax=axes[n], title="survival")
    plot_energy_histogram(energy, ax=axes[n + 1], title="energy levels visited")
    fig.tight_layout()
    return fig


def plot_cartpole_episode(ds: xr.Dataset, episode: int = 0, axes=None):
    """Angle and position against time for one cartpole episode (until termination)."""
    import matplotlib.pyplot as plt

    if axes is None:
        _, axes = plt.subplots(2, 1, figsize=(6, 4), sharex=True)
    e = ds.isel(trial=episode)  # rollouts have a trial dim (an episode is a trial)
    alive = ~e["terminated"].values
    t = e["time"].values[alive]
    axes[0].plot(t, e["theta"].values[alive])
    axes[0].set_ylabel("theta (rad)")
    axes[1].plot(t, e["x"].values[alive])
    axes[1].set_ylabel("x (m)")
    axes[1].set_xlabel(_time_label(e["time"]))
    return axes


def plot_noisy_tv(ds):
    """Noisy TV: time in the TV room and lifetime against beta, one line per gamma (mean with
    95 % t-intervals over trials; the authors' committed means ± SEM as open squares when the
    dataset carries them).

    Parameters
    ----------
    ds : xr.Dataset
        :meth:`neuromop.studies.NoisyTVStudy.sweep` output.
    """
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 2, figsize=(9, 3.4), layout="constrained")
    for ax, key, ref, label in (
            (axes[0], "time_in_tv_room", "authors_time_in_tv_room", "time in noisy room "
             "(fraction)"),
            (axes[1], "lifetime", "authors_survival", "lifetime (steps)")):
        mean, half = _mean_halfwidth(ds[key])
        for k, g in enumerate(ds["gamma"].values):
            ax.errorbar(ds["beta"], mean.sel(gamma=g), yerr=half.sel(gamma=g), marker="o",
                        ms=4, capsize=2, color=f"C{k}", label=f"gamma = {g:g}")
            if f"{ref}_mean" in ds:
                ax.errorbar(ds["beta"], ds[f"{ref}_mean"].sel(gamma=g),
                            yerr=ds[f"{ref}_sem"].sel(gamma=g), ls="none", marker="s",
                            mfc="none", capsize=2, color=f"C{k}",
                            label="authors (mean ± SEM)" if k == 0 else None)
        ax.set_xlabel("beta (weight of state entropy)")
        ax.set_ylabel(label)
    axes[0].legend(fontsize=7)
    return fig


def plot_predator_prey(ds):
    """Predator-prey: occupancy maps of the MOP and R mice, the survival curves and the energy
    occupancy (the authors' as open markers where the dataset carries them)."""
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 4, figsize=(15, 3.4))
    for ax, agent in zip(axes[:2], ("MOP", "R"), strict=True):
        occ = ds["occupancy"].sel(agent=agent)
        im = ax.imshow(np.where(occ > 0, occ, np.nan), origin="lower", cmap="viridis",
                       extent=(0.5, occ.sizes["x"] + 0.5, 0.5, occ.sizes["y"] + 0.5))
        fig.colorbar(im, ax=ax, fraction=0.046, pad=0.04)
        ax.set_title(f"{agent} mouse occupancy")
    for agent in ds["agent"].values:
        axes[2].plot(ds["time"], ds["survival_curve"].sel(agent=agent), label=str(agent))
    axes[2].set_xscale("log")
    axes[2].set_xlabel("time (steps)")
    axes[2].set_ylabel("fraction alive")
    axes[2].legend(fontsize=7)
    energy = ds["energy_occupancy"]
    for k, agent in enumerate(ds["agent"].values):
        axes[3].plot(energy["energy"], energy.sel(agent=agent), color=f"C{k}", label=str(agent))
        if agent in ("MOP", "R") and "authors_energy_occupancy" in ds:
            axes[3].plot(energy["energy"], ds["authors_energy_occupancy"].sel(agent=agent),
                         ls="none", marker="s", mfc="none", color=f"C{k}",
                         label=f"{agent}, authors")
    axes[3].set_xlabel("energy level")
    axes[3].set_ylabel("fraction of alive steps")
    axes[3].legend(fontsize=7)
    fig.tight_layout()
    return fig


def plot_half_arena(ds, table):
    """Stochastic half arena: time on the noisy half and lifetime against eta, one line per beta
    (means with 95 % intervals over trials; the authors' means as open markers), and the (x,
    theta) occupancy of the largest beta at the eta where it spends most time on the noisy side.

    Parameters
    ----------
    ds : xr.Dataset
        :meth:`neuromop.studies.HalfArenaStudy.sweep` output (dims beta, eta, trial, window,
        x, theta).
    table : xr.Dataset
        :meth:`neuromop.studies.HalfArenaStudy.summary_table` output.
    """
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 3, figsize=(13, 3.8))
    eta = ds["eta"].values
    horizon = int(ds.sizes["time"])
    for k, b in enumerate(ds["beta"].values):
        row = table.sel(beta=b)
        colour = f"C{k}"
        for ax, var, ref, scale, ref_scale in (
                (axes[0], "fraction_noisy_half", "authors_fraction", 1.0, 1.0),
                (axes[1], "lifetime", "authors_lifetime", horizon, 10_000)):
            m = row[f"{var}_mean"].values / scale
            err = np.vstack([m - row[f"{var}_low"].values / scale,
                             row[f"{var}_high"].values / scale - m])
            ax.errorbar(eta, m, yerr=err, marker="o", ms=4, capsize=3, color=colour,
                        label=f"MOP beta = {b:g} (this package)")
            if np.isfinite(row[ref].values).any():
                ax.plot(eta, row[ref].values / ref_scale, ls="none", marker="s", mfc="none",
                        ms=7, color=colour, label=f"beta = {b:g}, authors (10^4 steps)")
    axes[0].axhline(0.5, color="0.6", lw=0.8, ls=":")
    axes[0].set_xlabel("eta (probability a force is replaced by 0 N on x > 0)")
    axes[0].set_ylabel("time on the noisy half x > 0 (fraction)")
    axes[0].set_ylim(-0.02, 1.02)
    axes[0].legend(fontsize=7)
    axes[1].set_xlabel("eta (probability a force is replaced by 0 N on x > 0)")
    axes[1].set_ylabel(f"mean lifetime / horizon ({horizon} steps)")
    axes[1].set_ylim(-0.02, 1.05)
    axes[1].set_title("survival (95 % intervals over trials)", fontsize=9)
    b = ds["beta"].values[-1]
    frac = table["fraction_noisy_half_mean"].sel(beta=b)
    e = float(ds["eta"].values[int(np.argmax(frac.values))])
    occ = ds["occupancy"].sel(beta=b, eta=e).sum("window")
    occ = occ / max(float(occ.sum()), 1.0)
    im = axes[2].pcolormesh(occ["x"], np.degrees(occ["theta"]), occ.T.values, cmap="viridis",
                            shading="nearest")
    fig.colorbar(im, ax=axes[2], label="fraction of alive steps")
    axes[2].axvline(0.0, color="w", lw=1, ls="--")
    axes[2].set_xlabel("cart position x (m)")
    axes[2].set_ylabel("pole angle theta (deg)")
    axes[2].set_title(f"occupancy, MOP beta = {b:g}, eta = {e:g}", fontsize=9)
    fig.tight_layout()
    return fig


def plot_cartpole_grid(ds, table):
    """Grid cartpole agents: (x, theta) occupancy of MOP and of the most greedy R agent (one
    colour scale), and lifetime against the R agents' epsilon with MOP as a band (means with
    95 % intervals over trials; the authors' means as open markers).

    Parameters
    ----------
    ds : xr.Dataset
        :meth:`neuromop.studies.CartpoleGridStudy.sweep` output (dims agent, trial, window, x,
        theta).
    table : xr.Dataset
        :meth:`neuromop.studies.CartpoleGridStudy.summary_table` output.
    """
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 3, figsize=(13.5, 3.8), layout="constrained")
    agents = list(ds["agent"].values)
    shown = [agents[0], agents[1]] if len(agents) > 1 else agents[:1]
    occ = ds["occupancy"].sum("window")
    occ = occ / occ.sum(("x", "theta")).clip(min=1)
    vmax = float(occ.sel(agent=shown).max())
    im = None
    for ax, name in zip(axes[:2], shown, strict=False):
        o = occ.sel(agent=name)
        im = ax.pcolormesh(o["x"], np.degrees(o["theta"]), o.T.values, cmap="viridis",
                           vmin=0, vmax=vmax, shading="nearest")
        ax.set_xlabel("cart position x (m)")
        ax.set_ylabel("pole angle theta (deg)")
        ax.set_title(f"{name}: occupancy", fontsize=9)
    if im is not None:
        fig.colorbar(im, ax=axes[:2].tolist(), label="fraction of alive steps")
    ax = axes[2]
    horizon = int(ds.sizes["time"])
    r = [a for a in agents if a != "MOP"]
    eps = table["epsilon"].sel(agent=r).values if r else np.array([])
    m = table["lifetime_mean"] / horizon
    if r:
        err = np.vstack([m.sel(agent=r) - table["lifetime_low"].sel(agent=r) / horizon,
                         table["lifetime_high"].sel(agent=r) / horizon - m.sel(agent=r)])
        ax.errorbar(eps, m.sel(agent=r), yerr=err, marker="o", capsize=3, color="C1",
                    label=f"R agent (this package, {horizon} steps)")
        ax.plot(eps, table["authors_lifetime"].sel(agent=r) / 100_000, ls="none", marker="s",
                mfc="none", color="C1", label="R agent, authors (10^5 steps, 41^4)")
    if "MOP" in agents:
        lo, hi = (float(table[k].sel(agent="MOP")) / horizon
                  for k in ("lifetime_low", "lifetime_high"))
        x = [0, max(eps.max() if len(eps) else 0.4, 0.05)]
        ax.fill_between(x, lo, hi, color="C0", alpha=0.3)
        ax.plot(x, [float(m.sel(agent="MOP"))] * 2, color="C0", label="MOP (95 % interval)")
        ax.plot(x, [float(table["authors_lifetime"].sel(agent="MOP")) / 100_000] * 2,
                color="C0", ls="--", label="MOP, authors")
    ax.set_ylim(-0.02, 1.05)
    ax.set_xlabel("epsilon (R agent's exploration)")
    ax.set_ylabel("mean lifetime (fraction of the horizon)")
    ax.legend(fontsize=7)
    return fig


def plot_predator_prey_food_sweep(sweep):
    """Predator-prey over the food gain F: mean lifetime with 95 % intervals per mouse (the
    authors' means with their standard errors as open markers) and the fraction of clockwise
    turns around the obstacle, counted by the authors' crossing rule when the sweep has it (their
    fractions as open markers).

    Parameters
    ----------
    sweep : xr.Dataset
        :meth:`neuromop.studies.PredatorPreyStudy.food_sweep` output.
    """
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 2, figsize=(9.5, 3.6), layout="constrained")
    F = sweep["food_gain"].values
    mean, half = _mean_halfwidth(sweep["lifetime"])
    theirs = "clockwise_fraction_authors_rule" in sweep  # counted as the authors counted
    cw_key = "clockwise_fraction_authors_rule" if theirs else "clockwise_fraction"
    for k, a in enumerate(sweep["agent"].values):
        axes[0].errorbar(F + 0.08 * (k - 0.5), mean.sel(agent=a), yerr=half.sel(agent=a),
                         marker="o", capsize=3, color=f"C{k}", label=f"{a} (this package)")
        axes[1].plot(F, sweep[cw_key].sel(agent=a), marker="o", color=f"C{k}", label=a)
        if a not in ("MOP", "R"):  # the authors' mice are MOP and R; one marker each
            continue
        axes[0].errorbar(F + 0.08 * (k - 0.5), sweep["authors_lifetime_mean"].sel(agent=a),
                         yerr=sweep["authors_lifetime_sem"].sel(agent=a), ls="none",
                         marker="s", mfc="none", capsize=2, color=f"C{k}",
                         label=f"{a}, authors (mean ± SEM)")
        if "authors_clockwise_mean" in sweep:
            axes[1].errorbar(F, sweep["authors_clockwise_mean"].sel(agent=a),
                             yerr=sweep["authors_clockwise_sem"].sel(agent=a), ls="none",
                             marker="s", mfc="none", capsize=2, color=f"C{k}",
                             label=f"{a}, authors (their rule, ± SEM)")
    axes[0].set_xlabel("food gain F (energy levels)")
    axes[0].set_ylabel("lifetime (steps)")
    axes[0].legend(fontsize=7)
    axes[1].axhline(0.5, color="0.6", lw=0.8, ls=":")
    axes[1].set_ylim(-0.02, 1.02)
    axes[1].set_xlabel("food gain F (energy levels)")
    axes[1].set_ylabel("clockwise turns (fraction" + (", their crossing rule)" if theirs
                                                      else ")"))
    axes[1].legend(fontsize=7)
    return fig


def plot_agent_pet(ds):
    """Agent–pet: fence-open fraction against beta per policy (mean with 95 % intervals; the
    authors' figure data as open squares with their standard errors) and the pet's occupancy
    at the smallest and largest beta under the exact policy (the fence column outlined).

    Parameters
    ----------
    ds : xr.Dataset
        :meth:`neuromop.studies.AgentPetStudy.sweep` output.
    """
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 3, figsize=(11, 3.4), layout="constrained",
                             gridspec_kw={"width_ratios": [1.4, 1, 1]})
    beta = ds["beta"].values
    mean, half = _mean_halfwidth(ds["open_fraction"])
    for k, p in enumerate(ds["policy"].values):
        axes[0].errorbar(beta, mean.sel(policy=p), yerr=half.sel(policy=p), marker="o",
                         capsize=3, color=f"C{k}", label=f"{p} (this package)")
    axes[0].errorbar(beta, ds["authors_open_mean"], yerr=ds["authors_open_sem"], ls="none",
                     marker="s", mfc="none", capsize=2, color="k",
                     label="authors (mean ± SEM)")
    axes[0].set_xlabel("beta (weight of the pet's entropy)")
    axes[0].set_ylabel("fraction of time fence open")
    axes[0].set_ylim(-0.02, 1.02)
    axes[0].legend(fontsize=7, loc="lower right")
    occ = ds["pet_occupancy"].sel(policy=ds["policy"].values[0])
    vmax = float(occ.isel(beta=[0, -1]).max())
    fence = np.asarray(ds.attrs.get("fence_cells", []), dtype=float).reshape(-1, 2)
    for ax, j in zip(axes[1:], (0, -1)):
        im = ax.imshow(occ.isel(beta=j).values.T, origin="lower", vmin=0, vmax=vmax,
                       extent=(0.5, occ.sizes["pet_x"] + 0.5, 0.5, occ.sizes["pet_y"] + 0.5),
                       cmap="viridis")
        for x, y in fence:
            ax.add_patch(plt.Rectangle((x - 0.5, y - 0.5), 1, 1, fill=False, ec="w", lw=1,
                                       ls="--"))
        ax.set_title(f"pet occupancy, beta = {float(beta[j]):g}", fontsize=9)
        ax.set_xlabel("pet x")
        ax.set_ylabel("pet y")
    fig.colorbar(im, ax=axes[1:], shrink=0.8, label="fraction of steps")
    return fig
