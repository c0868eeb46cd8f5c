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
# input currents every control period (50 ms): 0 or +-0.1 nA (+-10 mV of drive) into each half
# of its E neurons and into its I neurons, 27 candidate actions. Firing above 10 Hz (mean over
# all neurons) costs energy (leaky, tau = 0.5 s); the episode ends when the energy exceeds its
# budget. We compare
#
# - the **free** network (no current),
# - the **MOP** controller (maximum occupancy: reward 0, action entropy, terminal value 0),
#   trained by fitted value iteration on a learned one-step model of the filtered rates,
# - the **R** controller (+1 per step alive, epsilon-greedy), on the same model,
#
# all run in closed loop on the real network, and measure lifetime and the spike-train
# variability metrics used on recordings. `NEUROMOP_BUDGET=smoke` keeps this to a couple of
# minutes (numpy code generation, 100 neurons); the default budget takes ~5 minutes.

# %%
import os
from pathlib import Path

import torch

from neuromop.control.spiking_commands import format_table, run_spiking_energy

torch.set_num_threads(1)
budget = os.environ.get("NEUROMOP_BUDGET", "default")
out = Path(os.environ.get("NEUROMOP_OUTPUT", "results")) / "spiking_variability"
result = run_spiking_energy(budget, out=out, seed=0)
table = result["table"]
print(format_table(table))
print({k: round(v, 1) for k, v in result["times"].items()})

# %% [markdown]
# The learned model: R² of the next filtered rates and of the period rate on the collected
# transitions (persistence, `next = current`, as a baseline). The population rate of a small
# network fluctuates strongly from one period to the next, which is why the planner evaluates
# successors at the 3-sigma upper quantile of the period rate (a risk-aware mean model).

# %%
print({k: round(v, 3) for k, v in result["model_score"].items()})

# %% [markdown]
# ## Lifetime: MOP lives far longer than the free network

# %%
life = table["lifetime_s"]
print(f"lifetime (s): free {life['free']:.2f}, MOP {life['MOP']:.2f}, R {life['R']:.2f}")
assert life["MOP"] > 3 * life["free"], "MOP should outlive the free network under the budget"
assert life["MOP"] > life["R"], "MOP should outlive R under the budget"

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
# - **Counting window.** The controller changes its action every 50 ms; in short bins the
#   Poisson-like spiking noise dominates (the Fano factor of a renewal process tends to 1 as the
#   window shrinks, whatever the rate modulation), modulation adds variance in proportion to
#   the window. We report 50, 100, 200 and 500 ms windows and use **100 ms**, the window of
#   Churchland et al. (2010).
# - **Rate matching.** Refractoriness makes the counts of this network sub-Poisson at higher
#   rates (free network: Fano factor ~0.8 at ~8 Hz) and near-Poisson when neurons are nearly
#   silent, so a controller that keeps rates lower can look "more variable" for that reason
#   alone. `fano_factor_rate_matched` compares MOP and R at one distribution of mean counts
#   (Churchland's matching applied across the two controllers,
#   `neuromop.analysis.group_matched_fano_factor`); `mean_matched_fano_factor` matches each
#   controller only across its own time windows.
# - **Participation ratio** is of the E-population counts in 100 ms windows (samples = trials x
#   windows). It is largest for isotropic, Poisson-like covariance: variance a controller adds
#   along its few action directions (two E halves) *lowers* it, and so do population bursts.
#
# Why this action design: with currents into whole populations every 20 ms at 0.06 nA (the
# earlier default, `DESIGNS["population_20ms"]`), MOP and R differed in 100 ms Fano factor by
# -0.01 to +0.07 over six runs, within the seed-to-seed spread: at the ~1-3 Hz E rates the
# budget allows, 20 ms actions average out within a counting window
# (`FF = 1 + mu * CV_rate**2` with mu ~ 0.1-0.3 spikes). Longer, stronger actions into separate
# groups change counts by more than their Poisson noise. `analysis/spiking_designs.py` runs the
# comparison across designs and seeds.
# %%
fano = sorted((c for c in table.columns if c.startswith("fano_factor_") and c.endswith("ms")),
              key=lambda c: float(c[len("fano_factor_"):-2]))
cols = ["action_entropy", "span_s", "rate_hz_analysed", *fano, "mean_matched_fano_factor",
        "fano_factor_rate_matched", "participation_ratio", "r_sc", "cv_isi"]
for metric in cols:
    print(f"{metric:>26}: MOP {table.loc['MOP', metric]:8.3f}   R {table.loc['R', metric]:8.3f}")
assert table.loc["MOP", "action_entropy"] > table.loc["R", "action_entropy"]
assert table.loc["MOP", "span_s"] == table.loc["R", "span_s"]
assert table.loc["MOP", "r_sc"] < table.loc["R", "r_sc"]
assert table.loc["MOP", "fano_factor"] > table.loc["free", "fano_factor"]

# %% [markdown]
# ## What the numbers say (measured: default seeds 0-1, smoke seeds 0-2)
#
# - **Lifetime** (robust): MOP lives far longer than the free network and than R (default:
#   11.9 / 11.4 s of 12.5 s vs free 0.88 / 1.03 s and R 2.3 / 4.2 s; smoke: 3.6-5.0 s vs free
#   0.6-1.0 s and R 1.2-3.3 s). R is trained on the same model but its greedy values ignore its
#   own epsilon-exploration; with 0.1 nA actions a few exploratory excitations, or the burst
#   that follows released inhibition, exhaust the budget (R survival 0-0.06 at default).
# - **Correlations** (robust): MOP's r_sc is the lowest of the controlled networks in every run
#   (default 0.053 / 0.043 vs R 0.128 / 0.438; smoke 0.04-0.11 vs 0.12-0.62).
# - **Fano factor**: MOP's is well above the free network's in every run (default 1.25 / 1.25
#   vs 0.80 / 0.86 at 100 ms; rate-matched 1.51 / 1.45) -- its action entropy shows up in the
#   spike counts. Against R it depends on how R fails: in seed 0 R's survivors are quiet (FF
#   1.11, rate-matched 1.23, below MOP); in seed 1 R's population bursts (r_sc 0.44) raise its
#   Fano factor to 1.39 (rate-matched 1.70, above MOP). At smoke MOP > R in 3 of 3 seeds raw,
#   2 of 3 rate-matched.
# - **Participation ratio**: the mirror image. Bursts collapse R's dimensionality (seed 1: 2.7
#   vs MOP 5.6; smoke 3 of 3 MOP > R), quiet R survivors keep Poisson-like, isotropic counts
#   (seed 0: 6.7 vs MOP 5.8). MOP's added variance lies in its two E-half directions, so its
#   participation ratio is far below the free network's (20-25) in every run.
#
# So "MOP is more variable than R" holds for each metric in some runs, and the metrics trade
# off: whatever makes R's Fano factor high (synchronous bursts) makes its participation ratio
# low. What holds in every run is that MOP combines the longest life with super-Poisson,
# weakly correlated spiking. The notebook asserts only what held in every measured run.
#
# The figure (rasters, energy, survival, variability bars) is written next to the data.

# %%
print(result["paths"]["figure"])
