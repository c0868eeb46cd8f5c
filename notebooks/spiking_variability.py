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
# grid of candidate currents (0 or +-0.06 nA, i.e. +-6 mV of drive). Firing above 10 Hz costs
# energy (leaky, tau = 0.5 s); the episode ends when the energy exceeds its budget. We compare
#
# - the **free** network (no current),
# - the **MOP** controller (maximum occupancy: reward 0, action entropy, terminal value 0),
#   trained by fitted value iteration on a learned one-step model of the filtered rates,
# - the **R** controller (+1 per step alive, epsilon-greedy), on the same model,
#
# all run in closed loop on the real network, and measure lifetime and the spike-train
# variability metrics used on recordings. `NEUROMOP_BUDGET=smoke` keeps this to a couple of
# minutes (numpy code generation, 100 neurons); the default budget takes ~8 minutes.

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
# - **Counting window.** A controller that changes its action every 20 ms modulates the rates on
#   the time scale of the membrane and observation filters (20 ms) and of the energy (0.5 s).
#   In short bins the Poisson-like spiking noise dominates (a Fano factor of a renewal process
#   tends to 1 as the window shrinks, whatever the rate modulation); modulation adds variance
#   in proportion to the window. We therefore report 20, 60, 100 and 200 ms windows and use
#   **100 ms**, the window of Churchland et al. (2010) and five control periods.
# - **Rate matching.** Refractoriness makes the spike counts of this network sub-Poisson at
#   higher rates (free network: Fano factor ~0.8 at ~8 Hz) and near-Poisson at low rates, so a
#   controller that keeps rates lower looks "more variable" for that reason alone. The
#   **mean-matched** Fano factor (Churchland et al. 2010) compares variances at a matched
#   distribution of mean counts.
# - **Participation ratio** is of the E-population counts in 100 ms windows (samples = trials x
#   windows). The actions drive *whole* populations, so input-driven variability is shared by
#   all E neurons and by itself *lowers* the participation ratio (a uniformly random policy
#   lowered it from ~20 to ~8 at 0.03 nA, no budget).
#
# What R does: it settles on the strongest inhibition of E (`E 0 / I +` and `E - / I +`), which
# keeps the E rates at 0.3-1.6 Hz — risk averse, as expected — and uses the other actions only
# through epsilon. Near-silent E populations fire in occasional synchronous bursts when the
# inhibition is released; these bursts are what kills R copies under the budget and what makes
# R's spike-count correlations high. MOP spreads its choices over most candidates (action
# entropy) and keeps E at ~1.1-1.4 Hz.
# %%
cols = ["action_entropy", "span_s", "rate_hz_analysed", "fano_factor_20ms", "fano_factor_60ms",
        "fano_factor_100ms", "fano_factor_200ms", "mean_matched_fano_factor",
        "participation_ratio", "r_sc", "cv_isi"]
for metric in cols:
    print(f"{metric:>26}: MOP {table.loc['MOP', metric]:8.3f}   R {table.loc['R', metric]:8.3f}")
assert table.loc["MOP", "action_entropy"] > table.loc["R", "action_entropy"]
assert table.loc["MOP", "span_s"] == table.loc["R", "span_s"]

# %% [markdown]
# ## What the numbers say (measured, 6 runs: smoke seeds 0-2, default seeds 0-1, smoke study)
#
# - **Lifetime** (robust): MOP lives far longer than the free network (2.0 vs ~0.4 s at smoke,
#   4.7 vs 0.4 s at default) and survives more often than R (default: 14/16 vs 5/16 and 9/16).
# - **Participation ratio**: higher for MOP than for R in all 6 runs (e.g. 14.4 vs 10.9 and
#   13.2 vs 6.2 at default), but *below* the free network's in every run (18-31). MOP does
#   not add dimensions; R loses them to its population-wide bursts (r_sc 0.10-0.37, higher
#   than MOP's in 5 of 6 runs).
# - **Fano factor: not shown.** All controlled networks have Fano factors of 0.9-1.0 at every
#   window; MOP minus R at 100 ms was +0.07, +0.004, 0.00, +0.06, +0.02 and -0.01, and the
#   mean-matched Fano factors differed by < 0.05, with R higher in 2 of 6 runs. The reason is the low rates
#   the energy budget forces: a Poisson process with a fluctuating rate has
#   `FF = 1 + mu * CV_rate**2` (mu = mean count), and with mu = 0.04-0.15 spikes per 100 ms
#   window even a rate that fluctuates by 100 % adds at most ~0.15 to the Fano factor, within
#   the seed-to-seed spread. Larger windows raise mu but average the 20 ms action changes out.
#   Testing the Fano-factor claim needs a task that lets the network fire at higher rates (e.g.
#   a rate box instead of an energy budget) or longer recordings; we do not assert it.
#
# The figure (rasters, energy, survival, variability bars) is written next to the data.

# %%
print(result["paths"]["figure"])
