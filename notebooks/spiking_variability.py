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
# grid of candidate currents. Firing above 10 Hz costs energy (leaky, tau = 0.5 s); the episode
# ends when the energy exceeds its budget. We compare
#
# - the **free** network (no current),
# - the **MOP** controller (maximum occupancy: reward 0, action entropy, terminal value 0),
#   trained by fitted value iteration on a learned one-step model of the filtered rates,
# - the **R** controller (+1 per step alive, epsilon-greedy), on the same model,
#
# all run in closed loop on the real network, and measure lifetime and the spike-train
# variability metrics used on recordings. `NEUROMOP_BUDGET=smoke` keeps this to about a minute
# (numpy code generation, 100 neurons).

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
# ## Variability: MOP vs R
#
# MOP keeps choosing among many currents (action entropy), R settles on the safest one. Fano
# factor (across trials, 100 ms windows) and participation ratio are computed over the span in
# which all trials of a controller are alive; at the smoke budget (8 trials, 2 s) they are noisy,
# so we print them rather than assert on them.

# %%
for metric in ("action_entropy", "fano_factor", "participation_ratio", "r_sc", "cv_isi"):
    print(f"{metric:>20}: MOP {table.loc['MOP', metric]:.3f}   R {table.loc['R', metric]:.3f}")
assert table.loc["MOP", "action_entropy"] > table.loc["R", "action_entropy"]

# %% [markdown]
# The figure (rasters, energy, survival, variability bars) is written next to the data.

# %%
print(result["paths"]["figure"])
