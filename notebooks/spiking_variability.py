# ---
# jupyter:
#   jupytext:
#     text_representation:
#       extension: .py
#       format_name: percent
# ---

# %% [markdown]
# # MOP control of a spiking network under an energy budget
#
# A Brian2 E/I network of LIF neurons (current-based, asynchronous-irregular regime) receives
# input currents into its E and I populations every control period (20 ms), chosen from a 3 x 3
# grid of candidate currents (0 or +-0.06 nA, i.e. +-6 mV of drive). Firing above 10 Hz (mean
# over all neurons) costs energy (leaky, tau = 0.5 s); the episode ends when the energy exceeds
# its budget. We compare
#
# - the **free** network (no current),
# - the **MOP** controller (maximum occupancy: reward 0, action entropy, terminal value 0),
#   trained by fitted value iteration on a learned one-step model of the filtered rates,
# - the **R** controller (+1 per step alive, epsilon-greedy), on the same model,
#
# all run in closed loop on the real network, and measure lifetime and the spike-train
# variability metrics used on recordings. `NEUROMOP_BUDGET=smoke` keeps this to a couple of
# minutes (numpy code generation, 100 neurons); the default budget takes ~3-5 minutes.

# %%
import os
from pathlib import Path

import torch

from neuromop.studies import SpikingEnergyStudy

torch.set_num_threads(1)
budget = os.environ.get("NEUROMOP_BUDGET", "default")
out = Path(os.environ.get("NEUROMOP_OUTPUT", "results")) / "spiking_variability"
result = SpikingEnergyStudy.for_budget(budget, seed=0).run(out, resume=False, progress=False)
table = result.frames["controllers"]
print(result.table)
print({k: round(v, 1) for k, v in result.summary["times_s"].items()})

# %% [markdown]
# The learned model: R² of the next filtered rates and of the period rate on the collected
# transitions (persistence, `next = current`, as a baseline). The population rate of a small
# network fluctuates strongly from one period to the next, which is why the planner evaluates
# successors at the 3-sigma upper quantile of the period rate (a risk-aware mean model).

# %%
print({k: round(v, 3) for k, v in result.summary["fit"]["model_score"].items()})

# %% [markdown]
# ## Lifetime: MOP lives far longer than the free network

# %%
life = table["lifetime_s"]
print(f"lifetime (s): free {life['free']:.2f}, MOP {life['MOP']:.2f}, R {life['R']:.2f}")
assert life["MOP"] > 3 * life["free"], "MOP should outlive the free network under the budget"

# %% [markdown]
# ## Variability: MOP vs R, over the same time windows
#
# How the comparison is made (and why):
#
# - **Same windows.** Count statistics of MOP and R use the same span from the start of the
#   evaluation (`span_s`: the longest span that at least half of the trials of *each*
#   controller survive) and, for each controller, its trials alive throughout it. Comparing
#   each controller over its own survival span would mix lifetime into variability. The free
#   network dies within ~0.4 s and is summarised over its own short span.
# - **Counting window.** The controller changes its action every 20 ms; in short bins the
#   Poisson-like spiking noise dominates (the Fano factor of a renewal process tends to 1 as the
#   window shrinks, whatever the rate modulation), modulation adds variance in proportion to
#   the window. We report 20, 60, 100 and 200 ms windows and use **100 ms**, the window of
#   Churchland et al. (2010).
# - **Rate matching.** Refractoriness makes the counts of this network sub-Poisson at higher
#   rates (free network: Fano factor ~0.8 at ~8 Hz) and near-Poisson when neurons are nearly
#   silent, so a controller that keeps rates lower can look "more variable" for that reason
#   alone. `fano_factor_rate_matched` compares MOP and R at one distribution of mean counts
#   (Churchland's matching applied across the two controllers,
#   `neuromop.analysis.group_matched_fano_factor`); `mean_matched_fano_factor` matches each
#   controller only across its own time windows.
# - **Participation ratio** is of the E-population counts in 100 ms windows (samples = trials x
#   windows). It is largest for isotropic, Poisson-like covariance: the actions drive *whole*
#   populations, so input-driven variance is shared by all E neurons and by itself lowers it,
#   and so do population bursts.
#
# What R does: it settles on the strongest inhibition of E, which keeps E at 0.3-1.6 Hz (risk
# averse, as expected) and uses the other actions only through epsilon. Near-silent E
# populations fire in occasional synchronous bursts when the inhibition is released; these
# bursts are what kills R copies under the budget and what makes R's spike-count correlations
# high. MOP spreads its choices over most candidates (action entropy) and keeps E at ~1.2-1.7 Hz.
# %%
fano = sorted((c for c in table.columns if c.startswith("fano_factor_") and c.endswith("ms")),
              key=lambda c: float(c[len("fano_factor_"):-2]))
cols = ["action_entropy", "span_s", "rate_hz_analysed", *fano, "mean_matched_fano_factor",
        "fano_factor_rate_matched", "participation_ratio", "r_sc", "cv_isi"]
for metric in cols:
    print(f"{metric:>26}: MOP {table.loc['MOP', metric]:8.3f}   R {table.loc['R', metric]:8.3f}")
assert table.loc["MOP", "action_entropy"] > table.loc["R", "action_entropy"]
assert table.loc["MOP", "span_s"] == table.loc["R", "span_s"]
# Participation ratio and r_sc are printed, not asserted, at one smoke seed: with the same code
# and seed, another machine's floating point flipped the smoke PR comparison (MOP 11.6 vs R
# 12.7, where an earlier machine gave 19.4 vs 9.1); read them over seeds (below).

# %% [markdown]
# ## What the numbers say (measured: default seeds 0-2, smoke seeds 0-2)
#
# These figures were measured before the random streams of every study were re-derived
# through `SeedSequence.spawn` (one stream per purpose); a rerun with the same seed gives other
# values, so read them as one sample of each seed's distribution. The assertions above and the
# design study's smoke test are what every build re-checks. One smoke seed cannot carry the
# participation-ratio comparison: with identical code and seed, two machines gave MOP 19.4 vs
# R 9.1 and MOP 11.6 vs R 12.7 (floating-point differences grow through the closed loop).
#
# - **Lifetime** (robust): MOP lives far longer than the free network (default 5.0 / 4.7 /
#   5.0 s of 5 s vs 0.39-0.41 s; smoke 2.0 s vs ~0.4 s) and survives more often than R (default
#   1.0 / 0.88 / 1.0 vs 0.75 / 0.56 / 0.63).
# - **Participation ratio** (robust): higher for MOP than for R in every run (default 13.1 /
#   13.2 / 15.5 vs 6.9 / 6.2 / 7.1; smoke 19.4 / 14.2 / 14.3 vs 9.1 / 13.9 / 12.6), but below the
#   free network's (20-26). MOP does not add dimensions; R loses them to its population-wide
#   bursts (r_sc 0.19 / 0.26 / 0.24 vs MOP 0.065 / 0.065 / 0.048).
# - **Fano factor: not shown.** All controlled networks have Fano factors of 0.96-1.0 at
#   100 ms; MOP minus R was -0.035, +0.004 and +0.009, and at matched rates R's was higher in all
#   three runs (1.144 / 1.116 / 1.079 vs MOP 1.022 / 1.041 / 1.075) -- R's bursts are variability
#   too. At the ~1-2 Hz E rates the budget leaves, `FF = 1 + mu * CV_rate**2` with mu ~ 0.1-0.2
#   spikes per 100 ms, and 20 ms actions average out within a window.
# - **Paper budget** (400 E + 100 I, p = 0.1, seeds 0 / 1): the same picture -- lifetime free
#   0.16 s, MOP 9.1 / 9.3 s, R 7.5 / 6.7 s of 10 s; participation ratio 17.4 / 19.3 vs 8.1 /
#   5.5; r_sc 0.070 / 0.045 vs 0.21 / 0.27; rate-matched Fano factor 1.08 / 1.08 vs R 1.24 / 1.36.
#
# Other action designs (`neuromop run spiking-designs`, default budget, seeds 0-2): with 0.1 nA
# every 50 ms into each of four E quarters (`quarters_50ms`), MOP's counts become clearly
# super-Poisson and **MOP's Fano factor beats R's in 3 of 3 seeds** (1.23-1.29 vs 0.97-1.07;
# rate-matched 1.43-1.46 vs 1.17-1.30), MOP outlives R by far (12.2 vs 4.2 s of 12.5 s) -- but
# **R's participation ratio is higher in 3 of 3** (15.8 vs 10.2): MOP's added variance lies in
# its four action directions, and the participation ratio is largest for isotropic,
# Poisson-like covariance. Into E halves and I (`halves_50ms`) the order follows whether R's
# copies burst (Fano 1/3, participation ratio 2/3). So the two criteria pull against each other:
# the design that shows one (this notebook's: participation ratio 3/3, Fano 0/3 at matched
# rates) hides the other. In every design and seed MOP outlived R and the free network, and its
# r_sc was the lowest (0.006-0.07 vs R 0.01-0.48).
#
# **Balanced patterns** (`patterns_20ms`, `patterns_50ms`). Each action is a population level
# for E and I (the energy lever) plus one of 8 balanced patterns that move current between 16
# groups of E neurons without changing the population input: MOP can spend its action entropy in
# many directions at no cost to its energy. With 0.1 nA every 50 ms MOP's Fano factor,
# rate-matched Fano factor and participation ratio all exceeded R's in 3 of 3 smoke seeds
# (1.08-1.10 vs 0.91-1.01; 1.33-1.40 vs 1.28-1.37; 10.8-11.7 vs 5.0-7.1; lifetime 5.0 vs R
# 2.7-3.2 vs free 0.6-1.0 s). At the default budget (12.5 s episodes) the participation ratio
# held in 3 of 3 seeds (7.4 / 11.0 / 10.5 vs 4.9 / 2.6 / 5.9) but the Fano factor only in seed 0
# (1.32 / 1.19 / 1.23 vs 1.17 / 1.39 / 1.25; rate-matched 1.51 / 1.34 / 1.41 vs 1.41 / 1.92 /
# 1.56): in seeds 1 and 2 R drove E down to 0.7-1.1 Hz and its copies fired in population bursts
# (r_sc 0.42 / 0.36 vs MOP 0.10 / 0.07) that both raised its Fano factor and ended its episodes
# (R lived 3.3 / 3.2 s, MOP all 12.5 s, free 1.0 / 0.8 s). The Fano factor therefore does not
# separate MOP from R reliably here: R's synchronous, budget-breaking bursts count as spike-count
# variability too, whereas the participation ratio and r_sc tell the two kinds apart. Every
# 20 ms at 0.06 nA (`patterns_20ms`, default seeds 0 / 1 / 2) both raw criteria held in 3 of 3
# seeds, by small margins: Fano factor 1.005 / 0.985 / 0.998 vs 0.952 / 0.968 / 0.928,
# participation ratio 18.9 / 16.3 / 15.6 vs 14.1 / 9.6 / 14.3 (lifetime MOP 5.0 / 4.5 / 4.8 vs
# R 4.4 / 3.9 / 2.1 vs free 0.4 s of 5 s); rate-matched 1.087 / 1.093 / 1.080 vs 1.022 / 1.119 /
# 1.058 (2 of 3). At the smoke budget it is not reliable (Fano factor 2/3 seeds, rate-matched
# 1/3, participation ratio 2/3) -- 20 ms actions largely average out within a 100 ms window.
# The design study's smoke test checks the 50 ms case at the smoke budget. Rerun with the
# current random streams (smoke, `patterns_50ms`, seeds 0-2): lifetime MOP 4.84 / 5.00 / 5.00 s
# vs R 2.5 s and free 0.9 s on average; participation ratio MOP > R in 3 of 3 (9.9 vs 2.8 on
# average); Fano factor MOP > R in 2 of 3 (1.085 vs 1.136 on average), rate-matched 1 of 3,
# r_sc MOP < R in 2 of 3 (0.19 vs 0.31 on average). Only lifetime and participation ratio are
# robust at this budget.
#
# **How MOP is learned.** The default learner is fitted value iteration on the learned
# one-step model. At the default budget (seed 0, 16 evaluation copies x 5 s on the real network)
# it took 208 s (collection 10 s, model fit 4 s, value iteration 195 s) and lived 4.69 s on
# average with 14/16 copies alive at 5 s; soft Q-learning in closed loop given the same 208 s
# (16 episodes, ~120k transitions) lived 2.38 s with 3/16 alive (`analysis/spiking_energy.py`,
# `method="both"`, reruns this comparison). The risk-quantile planner also beat backups averaged
# over model noise (`neuromop.control.NoisyNeuroMOPController`, 4 noise samples, smoke budget,
# seed 0, 8 copies x 2 s): 1.49 s (3/8 alive) after 102 s of fitted VI, against 2.0 s (8/8) after
# 31 s: with few samples, rare budget overshoots are under-weighted.
#
# **Why 0.06 nA.** At 0.03 nA even a uniformly random policy raised the 100 ms Fano factor only
# from 0.94 to 0.98 (16 copies x 2 s, no budget), at 0.06 nA to 1.14: the actions must change
# spike counts by more than their Poisson noise.
#
# The figure (rasters, energy, survival, variability bars) is written next to the data.

# %%
print(result.files["spiking_energy"])

# %%
import matplotlib.pyplot as plt  # noqa: E402

fig, ax = plt.subplots(figsize=(14, 8))
ax.imshow(plt.imread(result.files["spiking_energy"]))
ax.axis("off")
plt.show()
