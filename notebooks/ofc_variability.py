# ---
# jupyter:
#   jupytext:
#     text_representation:
#       extension: .py
#       format_name: percent
#       format_version: '1.3'
# ---

# %% [markdown]
# # Neural variability in monkey OFC around offer onset
#
# The variability hypothesis says that trial-to-trial variability is not just noise to be
# averaged away: a brain that *occupies* its activity space keeps it up when nothing constrains
# it and lowers it when a stimulus or a decision does. A classic, widely replicated observation
# in line with this is the **quenching of variability at stimulus onset** (Churchland et al.,
# 2010, Nat. Neurosci. 13:369): the across-trial Fano factor of spike counts drops after a
# stimulus appears, in many areas, even after controlling for the rise in firing rate.
#
# Here we ask whether the same happens in orbitofrontal cortex (OFC) when two juice offers
# appear, using the four sessions of Shi, Ballesta & Padoa-Schioppa (2022, eLife 11:e75910)
# (6–12 simultaneously recorded OFC cells each, juice-choice "JC" task: offers of *n* drops of
# juice A vs *m* drops of juice B appear together; the monkey chooses ~1 s later). We measure
#
# 1. trial-aligned spike counts around offer onset and the raw Fano factor over time;
# 2. the **mean-matched Fano factor** over time with ±2 SE bands — conditions are offer pairs,
#    since the offers drive the rates, and the neuron × condition points of all sessions are
#    pooled, as in Churchland et al.;
# 3. a pre- vs post-offer comparison of the mean-matched Fano factor with a bootstrap over
#    neurons for its uncertainty;
# 4. irregularity of the spike trains (ISI CV and the rate-robust local variation LV);
# 5. spike-count correlations r_sc (raw, and z-scored within offer pair to remove tuning) and
#    the effective dimensionality (participation ratio) of each session.
#
# Budget (`NEUROMOP_BUDGET`): `smoke` = 2 sessions, few matching repeats and bootstrap samples
# (a quick check that the notebook runs); `default` = all sessions, 10 repeats as in the paper.
# Figures go to `NEUROMOP_OUTPUT` (default: a temporary folder).

# %%
import os
import tempfile
import warnings
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import xarray as xr

import neuromop.analysis as na
from neuromop.data import list_padoa_sessions, load_padoa_session, load_padoa_spikes
from neuromop.data.paths import shared_datasets_dir
from neuromop.plots import save_figure
from neuromop.plots.variability import plot_fano_factor, plot_pca_spectrum, plot_rsc_histogram

BUDGET = os.environ.get("NEUROMOP_BUDGET", "default")
if BUDGET not in ("smoke", "default", "paper"):
    raise SystemExit(f"NEUROMOP_BUDGET must be smoke, default or paper, got {BUDGET!r}")
N_SESSIONS = {"smoke": 2, "default": None, "paper": None}[BUDGET]
REPEATS = {"smoke": 3, "default": 10, "paper": 50}[BUDGET]
N_BOOT = {"smoke": 20, "default": 500, "paper": 2000}[BUDGET]
SEED = 0
rng = np.random.default_rng(SEED)

OUT = Path(os.environ.get("NEUROMOP_OUTPUT") or tempfile.mkdtemp(prefix="ofc_variability_"))
OUT.mkdir(parents=True, exist_ok=True)


def finish(fig, name):
    """Show the figure (in Jupyter) and save it to the output folder."""
    plt.show()
    print("figure:", save_figure(fig, OUT / name))


# %% [markdown]
# ## 1. Data: trial-aligned counts around offer onset
#
# Counts in 50 ms bins from 1 s before to 1 s after offer onset (the earliest go signal comes
# 1.03 s after the offers, so the whole window precedes the response). Each trial is labelled
# with its offer pair (`offer_a`, `offer_b`); every pair was presented 16–32 times per session.

# %%
try:
    root = shared_datasets_dir("padoa_ofc")
except FileNotFoundError as exc:
    print(f"The Padoa-Schioppa OFC data are not available ({exc}).\n"
          "Set NEUROMOP_DATA to the folder holding padoa_ofc/ to run this notebook; "
          "nothing to do.")
    raise SystemExit(0) from None

BIN, WINDOW = 0.05, (-1.0, 1.0)
sessions = list_padoa_sessions(root)[:N_SESSIONS]
data = {}
for s in sessions:
    ds = load_padoa_session(root, s, window=WINDOW, bin_width=BIN, task="JC", align="offer_on")
    data[s] = na.add_condition(ds, ("offer_a", "offer_b"), min_trials=2)
cell_rates = []
for s, ds in data.items():
    rate = ds["counts"].mean(("trial", "time")).values / BIN
    cell_rates.extend(rate)
    print(f"{s}: {ds.sizes['trial']} trials, {ds.sizes['neuron']} neurons, "
          f"{np.unique(ds['condition']).size} offer pairs; rates (spikes/s) {np.round(rate, 1)}")
n_neurons = sum(ds.sizes["neuron"] for ds in data.values())
print(f"total: {n_neurons} neurons in {len(data)} sessions")

# %% [markdown]
# Population firing rate (PSTH) and the ordinary Fano factor of each neuron across **all**
# trials (100 ms windows, 50 ms steps, `ddof=1`). The all-trials Fano factor mixes genuine
# trial-to-trial variability with rate differences between offer pairs (tuning), so after offer
# onset it can rise simply because the offers modulate the rates; the mean-matched analysis
# below removes both confounds.

# %%
FF_WIN, FF_STEP = 0.1, 0.05
fig, (ax_rate, ax_ff) = plt.subplots(2, 1, figsize=(6, 5), sharex=True, constrained_layout=True)
for s, ds in data.items():
    psth = ds["counts"].mean(("trial", "neuron")) / BIN
    ax_rate.plot(psth["time"], psth, label=s)
    ff = na.fano_factor(ds, dims="trial", ddof=1, window=FF_WIN, step=FF_STEP)
    ax_ff.plot(ff["time"], ff.median("neuron"), label=s)
ax_rate.set_ylabel("mean rate (spikes/s)")
ax_ff.set_ylabel("median Fano factor\n(all trials)")
ax_ff.set_xlabel("time from offer onset (s)")
for ax in (ax_rate, ax_ff):
    ax.axvline(0, color="k", linewidth=0.5)
ax_rate.legend(frameon=False, fontsize=7)
finish(fig, "ofc_rate_and_raw_fano.png")

# %% [markdown]
# ## 2. Mean-matched Fano factor over time, pooled over sessions
#
# Churchland et al.'s algorithm: for every neuron × offer pair, the mean and variance of the
# count across that pair's trials in a sliding window; a histogram of the means (0.25-spike
# bins) at each time; the distribution common to all times; 10 random down-selections of the
# points to it; at each time the Fano factor is the weighted regression slope of variance on
# mean. Matching makes the distribution of mean rates the same at every time, so a change of
# the Fano factor cannot come from a change of rate. Each session contributes its own
# neuron × condition points (`pooled_mean_matched_fano_factor`).

# %%
mm = na.pooled_mean_matched_fano_factor(
    data, window=FF_WIN, step=FF_STEP, condition="condition", repeats=REPEATS,
    random_state=SEED,
)
n_points = int(mm["n_points"][0])
retained = float(mm["fraction_retained"][0])
print(f"{n_points} neuron x offer-pair points; mean matching keeps {retained:.0%} of them "
      "at every time")
fig, (ax_ff, ax_rate) = plt.subplots(2, 1, figsize=(6, 5), sharex=True,
                                     constrained_layout=True, height_ratios=(2, 1))
plot_fano_factor(mm, ax=ax_ff)
ax_ff.set_xlabel("")
ax_ff.axvline(0, color="k", linewidth=0.5)
ax_ff.set_title(f"OFC, {len(data)} sessions, {n_points} neuron x offer-pair points")
ax_rate.plot(mm["time"], mm["mean_rate"], color="0.5", label="all points")
ax_rate.plot(mm["time"], mm["mean_rate_matched"], color="C0", label="matched")
ax_rate.set_ylabel("mean rate (spikes/s)")
ax_rate.set_xlabel("time from offer onset (s)")
ax_rate.axvline(0, color="k", linewidth=0.5)
ax_rate.legend(frameon=False, fontsize=7)
finish(fig, "ofc_mean_matched_fano.png")

# %% [markdown]
# ## 3. Is variability quenched after offer onset?
#
# The 100 ms time course is noisy at these low rates (a few spikes/s: mean counts of 0.1–1
# spike per window). For a quantitative test we take two 300 ms epochs, **pre** (−300 to 0 ms)
# and **post** (100 to 400 ms, the early offer-response period), match means across the two,
# and estimate the uncertainty of the change by resampling neurons with replacement within each
# session (the neurons, not the trials, are the units a claim about "OFC" generalises over).

# %%
PRE, POST = (-0.3, 0.0), (0.1, 0.4)


def two_epochs(ds):
    """The bins of the pre and post epochs, back to back: one 300 ms window each."""
    t = ds["time"].values
    keep = ((t > PRE[0]) & (t < PRE[1])) | ((t > POST[0]) & (t < POST[1]))
    return ds.isel(time=np.flatnonzero(keep))


epochs = {s: two_epochs(ds) for s, ds in data.items()}
width = PRE[1] - PRE[0]


def epoch_fano(datasets, seed):
    res = na.pooled_mean_matched_fano_factor(datasets, window=width, step=width,
                                             condition="condition", repeats=REPEATS,
                                             random_state=seed)
    return res["fano_factor"].values, res["fano_factor_all"].values, res


(ff_pre, ff_post), (ffa_pre, ffa_post), res_ep = epoch_fano(epochs, SEED)
print(f"matched FF pre {ff_pre:.3f} [±2SE {float(res_ep.fano_factor_low[0]):.3f}–"
      f"{float(res_ep.fano_factor_high[0]):.3f}], post {ff_post:.3f} "
      f"[{float(res_ep.fano_factor_low[1]):.3f}–{float(res_ep.fano_factor_high[1]):.3f}]; "
      f"{float(res_ep.fraction_retained[0]):.0%} of points retained")
print(f"unmatched FF pre {ffa_pre:.3f}, post {ffa_post:.3f}; mean rate pre "
      f"{float(res_ep.mean_rate[0]):.2f}, post {float(res_ep.mean_rate[1]):.2f} spikes/s")

boot = np.full((N_BOOT, 2), np.nan)
for b in range(N_BOOT):  # each resample is one vectorised pooled analysis (~ms)
    sample = {s: ds.isel(neuron=rng.integers(0, ds.sizes["neuron"], ds.sizes["neuron"]))
              for s, ds in epochs.items()}
    try:
        matched, unmatched, _ = epoch_fano(sample, int(rng.integers(2**31)))
    except na.MeanMatchingError:
        continue  # counted below: a resample whose points cannot be matched
    boot[b] = matched[1] - matched[0], unmatched[1] - unmatched[0]
ok = np.isfinite(boot[:, 0])
delta_lo, delta_hi = np.percentile(boot[ok, 0], [2.5, 97.5])
delta_all_lo, delta_all_hi = np.percentile(boot[ok, 1], [2.5, 97.5])
p_up = float(np.mean(boot[ok, 0] >= 0))
print(f"change post - pre (matched): {ff_post - ff_pre:+.3f}, 95% bootstrap CI "
      f"[{delta_lo:+.3f}, {delta_hi:+.3f}] ({ok.sum()} of {N_BOOT} resamples); share of "
      f"resamples with no decrease {p_up:.2f}")
print(f"change post - pre (unmatched): {ffa_post - ffa_pre:+.3f}, 95% CI "
      f"[{delta_all_lo:+.3f}, {delta_all_hi:+.3f}]")

fig, ax = plt.subplots(figsize=(4, 3), constrained_layout=True)
ax.hist(boot[ok, 0], bins=30, color="C0", alpha=0.8)
ax.axvline(0, color="k", linewidth=0.8)
ax.axvline(ff_post - ff_pre, color="C3", linestyle="--", label="observed")
ax.set_xlabel("matched FF post − pre (bootstrap over neurons)")
ax.set_ylabel("resamples")
ax.legend(frameon=False)
finish(fig, "ofc_fano_change_bootstrap.png")

# %% [markdown]
# ## 4. Irregularity of the spike trains: ISI CV and LV
#
# For each cell, the CV and the local variation LV of the inter-spike intervals of every trial
# (whole trial, spikes from trial start to end; trains with fewer than 3 spikes are NaN), then
# the median over trials. A Poisson process has CV = LV = 1; regular firing gives < 1, bursty
# firing > 1. The CV is inflated by rate changes within a trial, the LV much less so.

# %%
isi_rows = {}
with warnings.catch_warnings():
    warnings.simplefilter("ignore", RuntimeWarning)  # short trains are NaN by design
    for s in data:
        table = load_padoa_spikes(root, s, task="JC").data
        isi_rows[s] = (na.cv(table).median("trial"), na.lv(table).median("trial"))
cv_all = np.concatenate([c.values for c, _ in isi_rows.values()])
lv_all = np.concatenate([v.values for _, v in isi_rows.values()])
for s, (c, v) in isi_rows.items():
    print(f"{s}: median CV per cell {np.round(c.values, 2)}; LV {np.round(v.values, 2)}")
finite = np.isfinite(cv_all) & np.isfinite(lv_all)
print(f"across {finite.sum()} cells: CV median {np.median(cv_all[finite]):.2f} "
      f"(range {cv_all[finite].min():.2f}–{cv_all[finite].max():.2f}), LV median "
      f"{np.median(lv_all[finite]):.2f} (range {lv_all[finite].min():.2f}–"
      f"{lv_all[finite].max():.2f})")
fig, ax = plt.subplots(figsize=(4, 3.5), constrained_layout=True)
ax.scatter(cv_all, lv_all, s=14)
ax.axvline(1, color="0.6", linewidth=0.6)
ax.axhline(1, color="0.6", linewidth=0.6)
ax.set_xlabel("ISI CV (median over trials)")
ax.set_ylabel("ISI LV (median over trials)")
finish(fig, "ofc_isi_cv_lv.png")

# %% [markdown]
# ## 5. Spike-count correlations and dimensionality, per session
#
# r_sc of counts summed over 500 ms epochs before (−500 to 0 ms) and after (100 to 600 ms)
# offer onset: across all trials ("raw", which includes shared tuning to the offers) and after
# z-scoring each neuron's counts within each offer pair (noise correlations proper). Cells that
# never fire in an epoch have undefined r_sc and are left out. Participation ratio (PR) of the
# trial-to-trial covariance of the post-offer counts after removing each offer pair's mean,
# naive and sample-size-corrected, to compare with the number of cells N. The covariance PR is
# dominated by the few high-rate cells (their count variance is largest); the PR of the
# z-scored residuals (the correlation matrix) asks whether the fluctuations are shared.

# %%
R_PRE, R_POST = (-0.5, 0.0), (0.1, 0.6)


def epoch_counts(ds, epoch):
    t = ds["time"].values
    return ds["counts"].isel(time=np.flatnonzero((t > epoch[0]) & (t < epoch[1]))).sum("time")


rsc_rows, pr_rows, spectra = [], [], {}
pairs = {key: [] for key in ("pre raw", "pre z", "post raw", "post z")}
with warnings.catch_warnings():
    warnings.simplefilter("ignore", RuntimeWarning)  # silent cells -> NaN, dropped below
    for s, ds in data.items():
        for name, epoch in (("pre", R_PRE), ("post", R_POST)):
            c = epoch_counts(ds, epoch)
            for kind, zscore in (("raw", None), ("z", "condition")):
                r = na.pair_values(na.spike_count_correlation(c, zscore_by=zscore))
                pairs[f"{name} {kind}"].append(r.values)
        post = epoch_counts(ds, R_POST).astype(float)
        residual = post.groupby("condition") - post.groupby("condition").mean()
        pr_naive = float(na.participation_ratio(residual, sample_dims="trial", corrected=False))
        pr_corr = float(na.participation_ratio(residual, sample_dims="trial"))
        std = residual.std("trial")
        standardised = (residual / std.where(std > 0)).dropna("neuron", how="all")
        pr_z = float(na.participation_ratio(standardised, sample_dims="trial"))
        pr_rows.append((s, ds.sizes["neuron"], pr_naive, pr_corr, pr_z,
                        standardised.sizes["neuron"]))
        spectra[s] = (na.pca_spectrum(residual, sample_dims="trial"), pr_corr)


def summary(values):
    v = np.concatenate(values)
    v = v[np.isfinite(v)]
    return v.mean(), v.std(ddof=1) / np.sqrt(v.size), v.size


for key, values in pairs.items():
    per_session = ", ".join(f"{np.nanmean(v):+.3f}" for v in values)
    m, se, n = summary(values)
    print(f"r_sc {key:8s}: mean {m:+.3f} ± {se:.3f} (SE, {n} pairs); per session {per_session}")
for s, n, naive, corr, pr_z, n_z in pr_rows:
    print(f"{s}: N = {n}, participation ratio of the covariance: naive {naive:.2f}, corrected "
          f"{corr:.2f}; of the correlation (z-scored, {n_z} active cells): corrected {pr_z:.2f}")

fig, axes = plt.subplots(1, 2, figsize=(8, 3), constrained_layout=True)
for ax, key in zip(axes, ("post raw", "post z")):
    plot_rsc_histogram(xr.DataArray(np.concatenate(pairs[key]), dims="pair"), ax=ax, bins=20)
    ax.set_title(f"r_sc, {key.replace('z', 'z-scored within offer pair')}", fontsize=9)
finish(fig, "ofc_rsc.png")

fig, ax = plt.subplots(figsize=(4.5, 3.2), constrained_layout=True)
for spec, _ in spectra.values():
    plot_pca_spectrum(spec, ax=ax)
ax.legend(list(spectra), frameon=False, fontsize=7)
ax.set_title("PCA spectra of post-offer noise (per session)", fontsize=9)
finish(fig, "ofc_pca_spectra.png")

# %% [markdown]
# ## 6. Summary
#
# The numbers below are recomputed on every run (the text under them interprets the `default`
# budget run on all four sessions; the `smoke` run uses fewer sessions, repeats and resamples).

# %%
m_post_z, se_post_z, n_pairs = summary(pairs["post z"])
m_pre_z, se_pre_z, _ = summary(pairs["pre z"])
quenched = delta_hi < 0
print(f"""SUMMARY ({BUDGET} budget, {len(data)} sessions, {n_neurons} OFC cells, JC task)
- firing rates are low: median cell {np.median(cell_rates):.1f} spikes/s in the 2 s window.
- mean-matched Fano factor, 100 ms windows: mean {float(mm.fano_factor.sel(
  time=slice(-0.5, 0.0)).mean()):.2f} over the windows of the 500 ms before and {float(
  mm.fano_factor.sel(time=slice(0.1, 0.6)).mean()):.2f} over 100–600 ms after offer onset
  ({retained:.0%} of points kept); every ±2 SE band {'excludes' if float(mm.fano_factor_low.min()) > 1 else 'touches'} 1.
- mean-matched Fano factor (300 ms epochs, {REPEATS} matchings, offer-pair conditions):
  pre {ff_pre:.3f}, post {ff_post:.3f}; change {ff_post - ff_pre:+.3f},
  95% CI over neurons [{delta_lo:+.3f}, {delta_hi:+.3f}] -> {'a significant quench' if quenched
  else 'no significant quench (the interval includes 0)' if delta_lo < 0 else
  'a significant increase'}.
- the unmatched Fano factor changes by {ffa_post - ffa_pre:+.3f}
  [{delta_all_lo:+.3f}, {delta_all_hi:+.3f}].
- spike trains: median ISI CV {np.median(cv_all[finite]):.2f}, LV {np.median(lv_all[finite]):.2f}
  (Poisson = 1).
- noise correlations (z-scored within offer pair): pre {m_pre_z:+.3f} ± {se_pre_z:.3f},
  post {m_post_z:+.3f} ± {se_post_z:.3f} (mean ± SE over {n_pairs} pairs).
- participation ratio of post-offer noise (corrected), covariance / correlation / N:
  {', '.join(f'{corr:.1f} / {pr_z:.1f} / {n}' for _, n, _, corr, pr_z, _ in pr_rows)}.""")

# %% [markdown]
# ## What the data show — and what they cannot show
#
# Interpretation of the `default` run (all four sessions, 38 OFC cells; numbers as printed
# above, measured when this notebook was written):
#
# - **Variability is super-Poisson and does not clearly quench at offer onset.** The
#   mean-matched Fano factor in 100 ms windows stays at ≈1.3–1.4 throughout the 2 s window, its
#   ±2 SE band (≈ ±0.06) excludes 1 at every time, and it shows no step at offer onset. In
#   300 ms epochs it is 2.02 before and 1.92 after the offers: a change of −0.10 (≈ −5%), 95%
#   bootstrap interval over neurons [−0.22, +0.01]; 97% of resamples show a decrease. That is at
#   most a small decline, not significant at the two-sided 5% level, and far from the 30–40%
#   drops Churchland et al. (2010) report in sensory and motor cortices. With 38 cells we can
#   neither claim a quench in OFC nor exclude a modest one (the interval allows up to ≈ −11%).
# - **Why 2 and not 1.3?** The Fano factor grows with the counting window (1.3 at 100 ms, 2.0
#   at 300 ms): the rate fluctuations are slow — correlated over hundreds of ms within a trial
#   and possibly drifting over the hour-long session (not removed here). The absolute level
#   therefore depends on the window and may include session drift; the pre/post comparison,
#   made on the same trials with equal windows, is not affected by drift to first order.
# - **Within trials the spike trains are Poisson-like**: median ISI CV 1.06 and LV 1.06 over the
#   38 cells (LV range 0.6–1.9: a few regular and a few bursty cells).
# - **Noise correlations are near zero**: r_sc ≈ +0.01 ± 0.01 (mean ± SE, 162–171 pairs), before
#   and after the offers, raw or z-scored within offer pair. At 1–3 spikes/s and 500 ms windows,
#   r_sc is biased towards 0 by the low counts, and pairs on the same tetrode may be affected by
#   spike sorting; so this says correlations are *weak* here, not that OFC neurons are
#   independent.
# - **Dimensionality**: the participation ratio of the post-offer fluctuations is 2.6–5.1 of
#   N = 6–12 for the covariance (dominated by the few high-rate cells) but 5.9/6, 8.3/10,
#   8.7/10 and 11.1/12 for the correlation matrix, i.e. the fluctuations are close to independent
#   across the recorded cells, consistent with r_sc ≈ 0. With 6–12 cells per session nothing can
#   be concluded about the dimensionality of OFC activity as a whole (the sample-size correction
#   assumes a fully observed population; these are tiny samples of it).
# - Caveats: the two sessions of 19 Sep 2018 (`G180919a`/`b`) were recorded on the same day and
#   electrodes and may share cells, which would make the neuron bootstrap slightly optimistic;
#   only the juice-choice (JC) trials were used.
