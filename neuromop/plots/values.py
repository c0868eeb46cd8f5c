"""Figures of the soft-versus-true value analysis (``neuromop analyze values``)."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from neuromop.plots.figure import save_figure

__all__ = [
    "plot_decoding",
    "plot_null_distributions",
    "plot_power_curve",
    "plot_psychometric",
    "plot_signals",
    "plot_unique_variance",
    "plot_value_calibration",
    "value_report_figures",
]


def _axes(ax):
    if ax is not None:
        return ax.figure, ax
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(4.2, 3.6), constrained_layout=True)
    return fig, ax


def plot_signals(soft, true, *, ax=None, corr: float | None = None):
    """Scatter of the per-trial soft against true value (collinearity at a glance)."""
    fig, ax = _axes(ax)
    ax.scatter(np.asarray(true), np.asarray(soft), s=8, alpha=0.5, color="0.2")
    ax.set_xlabel("true value  E_pi[v]  (value units)")
    ax.set_ylabel("soft value  tau ln sum exp(v/tau)")
    if corr is not None:
        ax.set_title(f"r = {corr:.4f}")
    return fig


def plot_unique_variance(result, *, ax=None):
    """Per-neuron unique deviance explained by the soft versus the true value."""
    fig, ax = _axes(ax)
    s = result["delta_d2"].sel(signal="soft").values
    t = result["delta_d2"].sel(signal="true").values
    classes = result["neuron_class"].values
    colours = {"soft": "tab:blue", "true": "tab:orange", "mixed": "tab:green"}
    for cls in np.unique(classes):
        m = classes == cls
        ax.scatter(t[m], s[m], s=14, label=f"{cls} ({m.sum()})", color=colours.get(cls, "0.6"))
    lim = np.nanmax(np.abs(np.r_[s, t, 1e-3])) * 1.1
    ax.plot([-lim, lim], [-lim, lim], color="0.7", lw=0.8)
    ax.axhline(0, color="0.85", lw=0.8)
    ax.axvline(0, color="0.85", lw=0.8)
    ax.set_xlabel("unique ΔD² true (held-out)")
    ax.set_ylabel("unique ΔD² soft (held-out)")
    ax.legend(fontsize=7, frameon=False)
    ax.set_title(f"verdict: {result.attrs.get('verdict', '?')}")
    return fig


def plot_decoding(result, *, ax=None):
    """Cross-validated population decoding R² of each signal and residual."""
    fig, ax = _axes(ax)
    r2 = result["decoding_r2"].values
    labels = [str(t).replace("_given_", " | ") for t in result["target"].values]
    ax.bar(np.arange(r2.size), r2, color=["tab:blue", "tab:orange", "tab:blue", "tab:orange"],
           alpha=0.8)
    ax.set_xticks(np.arange(r2.size), labels, rotation=20, fontsize=8)
    ax.axhline(0, color="0.5", lw=0.8)
    ax.set_ylabel("decoding R² (blocked CV)")
    return fig


#: x-axis label of each population statistic (the "any" test is the sum for "directional")
_STATISTIC_LABEL = {"sum": "population Δ held-out log-lik (nats)",
                    "fisher": "Fisher's −Σ ln p over neurons",
                    "directional": "directional statistic (weighted Σ z)"}


def plot_null_distributions(result, *, axes=None):
    """Each test's observed population statistic against its null distributions.

    The observed value is drawn once per null type, in its colour: the directional and Fisher
    statistics depend on the null draws they are compared with. A figure made here is titled
    with the verdict and the p-value of its gate ("neither signal adds").
    """
    import matplotlib.pyplot as plt

    tests = list(result["test"].values)
    if axes is None:
        fig, axes = plt.subplots(1, len(tests), figsize=(3.2 * len(tests), 2.8),
                                 constrained_layout=True)
        if "verdict" in result.attrs and "p_intersection" in result:
            fig.suptitle(f"verdict: {result.attrs['verdict']} (gate 'neither signal adds' "
                         f"p = {float(result['p_intersection']):.3g}, alpha = "
                         f"{float(result.attrs.get('alpha', np.nan)):.3g})", fontsize=10)
    else:
        fig = np.ravel(axes)[0].figure
    statistic = result.attrs.get("population_statistic", "sum")
    for ax, test in zip(np.ravel(axes), tests):
        for i, kind in enumerate(result["null"].values):
            colour = f"C{i}"
            ax.hist(result["null_pop_loglik_gain"].sel(test=test, null=kind).values, bins=20,
                    alpha=0.5, color=colour, label=f"null: {kind}")
            ax.axvline(float(result["pop_statistic"].sel(test=test, null=kind)), color=colour,
                       lw=1.5, ls=("-", "--")[i % 2], label=f"observed ({kind})")
        ax.set_title(f"{test}: p = {float(result['pop_p_value'].sel(test=test)):.3g}", fontsize=9)
        used = "sum" if statistic == "directional" and test == "any" else statistic
        ax.set_xlabel(_STATISTIC_LABEL.get(used, used))
    np.ravel(axes)[0].legend(fontsize=7, frameon=False)
    return fig


def plot_psychometric(offer_a, offer_b, chosen_b, model=None, *, ax=None):
    """Fraction of B choices per offer pair against ln(qB/qA), with the fitted logit."""
    fig, ax = _axes(ax)
    qa, qb, y = (np.asarray(offer_a, float), np.asarray(offer_b, float), np.asarray(chosen_b))
    ok = (qa > 0) & (qb > 0)
    pairs = np.unique(np.column_stack([qa[ok], qb[ok]]), axis=0)
    x = np.log(pairs[:, 1] / pairs[:, 0])
    frac = [y[ok][(qa[ok] == a) & (qb[ok] == b)].mean() for a, b in pairs]
    ax.scatter(x, frac, color="k", s=16, label="data")
    if model is not None:
        grid = np.linspace(x.min() - 0.2, x.max() + 0.2, 200)
        if model.form == "log":
            X = np.column_stack([np.ones_like(grid), np.exp(grid)])
            ax.plot(grid, model.predict_proba(X)[:, 1], label="log logit")
        ax.set_title(f"rho = {model.params_['rho']:.2f}, steepness = "
                     f"{model.params_['steepness']:.2f}")
    ax.set_xlabel("ln(qB / qA)")
    ax.set_ylabel("P(choose B)")
    ax.set_ylim(-0.05, 1.05)
    return fig


def value_report_figures(result, out_dir, *, soft=None, true=None, behaviour=None) -> list[Path]:
    """Write the report figures as PNG into ``out_dir``; returns their paths.

    ``behaviour`` may be ``(offer_a, offer_b, chosen_b, fitted_log_model)``.
    """
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    figs = {"unique_variance": plot_unique_variance(result), "decoding": plot_decoding(result),
            "nulls": plot_null_distributions(result)}
    if soft is not None and true is not None:
        figs["signals"] = plot_signals(soft, true, corr=float(result["signal_corr"]))
    if behaviour is not None:
        figs["psychometric"] = plot_psychometric(*behaviour)
    paths = []
    for name, fig in figs.items():
        path = out / f"values_{name}.png"
        paths.append(save_figure(fig, path))
    return paths


def plot_value_calibration(ds):
    """Correct-verdict rate (power) against trials, per simulator and encoding, with Wilson
    intervals (one marker per neuron count, solid: the largest, dashed: the others; points
    of different neuron counts are shifted apart along the trials axis so their intervals do
    not hide each other); last panel: the per-neuron false-positive rate of untuned neurons
    against the level ``alpha``."""
    import matplotlib.pyplot as plt

    sims = list(ds["simulator"].values)
    fig, axes = plt.subplots(1, len(sims) + 1, figsize=(4.2 * (len(sims) + 1), 3.6),
                             squeeze=False)
    axes = axes[0]
    colors = {"soft": "C0", "true": "C3", "mixed": "C4", "none": "0.3"}
    neurons = list(ds["n_neurons"].values)
    trials = ds["n_trials"].values.astype(float)
    span = float(np.ptp(trials)) or float(trials[0])
    markers = {n_n: "osD^v<>"[k % 7] for k, n_n in enumerate(neurons)}
    shift = {n_n: 0.015 * span * (k - (len(neurons) - 1) / 2) for k, n_n in enumerate(neurons)}
    for ax, sim in zip(axes[:-1], sims, strict=True):
        for enc in ds["encoding"].values:
            for n_n in neurons:
                c = ds.sel(simulator=sim, n_neurons=n_n, encoding=enc)
                rate = c["correct_rate"].values
                err = np.clip(np.stack([rate - c["correct_rate_low"].values,
                                        c["correct_rate_high"].values - rate]), 0.0, None)
                ax.errorbar(trials + shift[n_n], rate, yerr=err,
                            color=colors.get(str(enc), "C1"),
                            ls="-" if n_n == neurons[-1] else "--", marker=markers[n_n],
                            capsize=2, label=f"{enc}, {n_n} neurons")
        ax.axhline(0.9, color="0.7", lw=0.8)
        ax.set_ylim(-0.02, 1.02)
        ax.set_xlabel("trials per session")
        ax.set_ylabel("correct verdict (fraction of sessions)")
        ax.set_title(str(sim))
    axes[0].legend(fontsize=7, handlelength=3)
    ax = axes[-1]
    for i, sim in enumerate(sims):
        for n_n in neurons:
            c = ds.sel(simulator=sim, n_neurons=n_n)
            rate = c["neuron_false_positive"].values
            err = np.clip(np.stack([rate - c["neuron_false_positive_low"].values,
                                    c["neuron_false_positive_high"].values - rate]), 0.0, None)
            ax.errorbar(trials + shift[n_n], rate, yerr=err, color=f"C{i}",
                        marker=markers[n_n], capsize=2,
                        ls="-" if n_n == neurons[-1] else "--", label=f"{sim}, {n_n} neurons")
    ax.axhline(float(ds.attrs.get("alpha", 0.01)), color="k", lw=0.8, ls=":", label="alpha")
    ax.set_xlabel("trials per session")
    ax.set_ylabel("untuned neurons called value-coding\n(fraction of neurons)")
    ax.set_title("per-neuron false positives")
    ax.legend(fontsize=7, handlelength=3)
    if "nulls" in ds.attrs:  # the test the verdicts came from
        fig.suptitle(f"alpha = {ds.attrs.get('alpha', 0.01):g}, nulls: {ds.attrs['nulls']}, "
                     f"gate: {ds.attrs.get('intersection_test', 'max_z')}, "
                     f"{ds.attrs.get('n_sessions', '?')} sessions per truth and cell",
                     fontsize=9)
    fig.tight_layout()
    return fig


def plot_power_curve(power, *, ax=None):
    """Correct-verdict rate against trials for one recording's design (the output of
    :func:`~neuromop.values.design_calibration` with two or more lengths): the simulated
    rates with Wilson intervals, the fitted power curve (solid up to the longest simulated
    length, dashed beyond: an extrapolation), the target power and, per encoding, the trial
    count where the curve reaches it."""
    from scipy.stats import norm

    fig, ax = _axes(ax)
    colors = {"soft": "C0", "true": "C3", "mixed": "C4"}
    trials = power["n_trials"].values.astype(float)
    n_max = float(trials.max())
    target = float(power["trials_for_power_fitted"].attrs["power"])
    needed = power["trials_for_power_fitted"]
    finite = needed.values[np.isfinite(needed.values)]
    right = max(2.0 * n_max, 1.2 * float(finite.max()) if finite.size else 0.0)
    right = min(right, 10.0 * n_max)
    # the curve runs on the tested trials: it starts where a session has any
    untested = float(power.attrs.get("untested_trials", 0))
    grid = np.linspace(untested + 1.0, right, 300)
    root = np.sqrt((grid - untested) / (n_max - untested))
    coded = [e for e in power["encoding"].values if str(e) != "none"]
    for i, enc in enumerate(coded):
        dodge = (i - (len(coded) - 1) / 2) * 0.012 * right  # overlapping rates stay visible
        c = power.sel(encoding=enc)
        color = colors.get(str(enc), "C1")
        rate = c["correct_rate"].values
        err = np.clip(np.stack([rate - c["correct_rate_low"].values,
                                c["correct_rate_high"].values - rate]), 0.0, None)
        ax.errorbar(trials + dodge, rate, yerr=err, color=color, marker="o", ls="none", capsize=2,
                    label=f"{enc}: simulated")
        a, b = float(c["power_curve_intercept"]), float(c["power_curve_slope"])
        if not (np.isfinite(a) and np.isfinite(b)):
            continue
        curve = norm.cdf(a + b * root)
        a_s, b_s = float(c["separable_curve_intercept"]), float(c["separable_curve_slope"])
        if np.isfinite(a_s) and np.isfinite(b_s):
            curve = curve * norm.cdf(a_s + b_s * root)
        inside = grid <= n_max
        ax.plot(grid[inside], curve[inside], color=color, lw=1.5)
        ax.plot(grid[~inside], curve[~inside], color=color, lw=1.5, ls="--")
        n = float(c["trials_for_power_fitted"])
        if np.isfinite(n) and n <= right:
            # below the shortest simulated length the curve only says "fewer than that" (as
            # the report does): the marker sits at that length
            shortest = float(trials.min())
            label = f" <{shortest:.0f}" if n < shortest else f" {n:.0f}"
            n = max(n, shortest)
            ax.axvline(n, color=color, lw=0.8, ls=":")
            # one height per encoding: close trial counts do not print over each other
            ax.text(n, 0.02 + 0.15 * i, label, color=color, fontsize=7, rotation=90,
                    va="bottom")
    ax.axhline(target, color="0.5", lw=0.8, label=f"target {target:.0%}")
    ax.axvline(n_max, color="k", lw=0.6, alpha=0.4)
    ax.set_xlim(0, right)
    ax.set_ylim(-0.02, 1.02)
    ax.set_xlabel("trials per session")
    ax.set_ylabel("correct verdict (fraction of sessions)")
    ax.set_title("Power for this design (dashed: extrapolated)", fontsize=9)
    ax.legend(fontsize=7, loc="lower right")
    return fig
