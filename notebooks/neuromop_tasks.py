# ---
# jupyter:
#   jupytext:
#     text_representation:
#       extension: .py
#       format_name: percent
# ---

# %% [markdown]
# # NeuroMOP on a chaotic rate network
#
# A controller injects one of K candidate current vectors into a fixed, chaotic rate RNN
# (tau dx/dt = -x + tanh(W x + V a), W_ij ~ N(0, g^2/N), g = 2). The **NeuroMOP** controller learns
# a value network V(x) by fitted value iteration with the target ln sum_a exp(gamma V(x'(x, a)))
# (terminal successors valued 0) and acts with pi(a|x) ∝ exp(gamma V(x')): it maximises future
# action-state occupancy while avoiding terminal states. The **R network** gets +1 per step alive
# and acts epsilon-greedily. We compare them with the free network (no current) and random currents.
#
# The budget comes from `NEUROMOP_BUDGET` (`smoke` in the tests, `default` for the real thing).

# %%
import json
import os
import tempfile
from pathlib import Path

import torch

from neuromop.control import FreeController, rollout, summarize_rollout
from neuromop.studies.rate_rnn import EnergyStudy, SquareStudy, make_env, run_study
from neuromop.studies.shapes import ShapesStudy
from neuromop.studies.tasks import BetaSweepStudy, CartpoleStudy, CorridorStudy, RewardStudy

torch.set_num_threads(1)  # small tensors: one thread avoids contention
BUDGET = os.environ.get("NEUROMOP_BUDGET", "default")
OUT = Path(os.environ.get("NEUROMOP_OUTPUT") or tempfile.mkdtemp(prefix="neuromop_tasks_"))
print("budget:", BUDGET, "| outputs:", OUT)

# %% [markdown]
# ## The environment and the free network
# The Markov state is the activity x plus the running energy E (a leaky average of mean x^2).
# Without control the chaotic network exceeds the energy budget within a few time constants.

# %%
study = EnergyStudy.for_budget(BUDGET)
env = make_env(study)
print(env)
free = rollout(env, FreeController(env), study.horizon, n_trials=8, seed=1)
print("free-network lifetimes (steps):", free["lifetime"].values)
free

# %% [markdown]
# ## Energy task: free / random / MOP / R
# Expected: MOP lives far longer than the free network and about as long as R, with higher
# activity std and participation ratio than R; its action entropy drops close to the threshold.

# %%
energy = run_study(study, OUT / "energy", progress=False)
print(energy["table"])
ebd = energy["summary"]["MOP"]["entropy_by_distance"]
for d, h in zip(ebd["distance"], ebd["entropy"]):
    print(f"distance to threshold {d:.4f}: MOP action entropy {h:.3f} nats")

# %%
import matplotlib.pyplot as plt  # noqa: E402


def show(path):
    fig, ax = plt.subplots(figsize=(14, 6))
    ax.imshow(plt.imread(path))
    ax.axis("off")
    plt.show()


show(energy["figure"])

# %% [markdown]
# ## Square confinement: MOP vs epsilon-greedy R networks
# Terminal when neuron 0 or 1 leaves |x| <= h. MOP should stay inside while covering the
# interior; R networks with large epsilon leave.

# %%
square = run_study(SquareStudy.for_budget(BUDGET), OUT / "square", progress=False)
print(square["table"])
show(square["figure"])

# %%
print(json.dumps({k: round(v["lifetime"], 1) for k, v in square["summary"].items()}))
summarize_rollout(square["datasets"]["MOP"])

# %% [markdown]
# ## Six shapes: context-dependent terminal sets
# A one-hot context input selects which shape the 2-D readout must stay inside. One MOP
# controller (the context is part of its state) should survive in every context, while the free
# network and uniformly random currents leave every shape within tens of steps.
#
# The spread table compares, per context, the readout std pooled over trials and time and the
# std within each trajectory (alive fraction in brackets) with the std of a readout filling the
# shape uniformly ("fill"), for the free network, random currents, the untrained MOP controller
# and MOP after the first and last epoch, all from the same start states. The value network
# starts at V = 0, so the untrained controller is exactly the random one; training raises the
# within-trajectory std in every context (at the default budget, seed 0: 0.105-0.156 untrained,
# 0.154-0.200 after 15 epochs), most of it in the first epoch.

# %%
shapes = run_study(ShapesStudy.for_budget(BUDGET), OUT / "shapes", progress=False)
print(shapes["table"])
show(shapes["figure"])

# %%
spread = shapes["spread"]
print("within-trajectory readout std per epoch (rows) and context (columns):")
print(spread["trajectory_std"].to_pandas().round(3))

# %% [markdown]
# ## Extrinsic reward: mu moves occupancy into the inner square

# %%
reward = run_study(RewardStudy.for_budget(BUDGET), OUT / "reward", progress=False)
print(reward["table"])
show(reward["figure"])

# %% [markdown]
# ## Corridor: action entropy drops where the path is narrow

# %%
corridor = run_study(CorridorStudy.for_budget(BUDGET), OUT / "corridor", progress=False)
print(corridor["table"])
show(corridor["figure"])
# training starts from random currents (V = 0): terminations per agent-step fall with training
print("MOP terminations per agent-step by epoch:",
      [round(r["termination_rate"], 4) for r in corridor["histories"]["MOP"]])

# %% [markdown]
# ## Continuous cartpole (the physics of the tabular world): lifetime grows with training

# %%
cartpole = run_study(CartpoleStudy.for_budget(BUDGET), OUT / "cartpole", progress=False)
print(cartpole["table"])
print("MOP lifetime by epoch:", [round(h["lifetime"], 1) for h in cartpole["histories"]["MOP"]])
show(cartpole["figure"])

# %% [markdown]
# ## Beta sweep: state entropy with input noise
# Private noise enters inside tanh, so saturated units transmit less of it; the beta term
# rewards the entropy of the next state, H = H_0 + sum_i ln f'(h_i), i.e. non-saturated input.
# The candidates are antithetic currents of std 1 (strong Gaussian currents saturate the input
# by themselves, and beta then just favours the zero current). The second table gives activity
# saturation, input saturation and sum ln f'(h) per step. At the default budget (seeds 0 and 1)
# beta = 0 / 0.005 / 0.02 lowered input saturation and raised sum ln f'(h) monotonically --
# partly by choosing the zero current more often -- while activity-space saturation and std
# showed no consistent direction; see the BetaSweepStudy docstring.

# %%
beta = run_study(BetaSweepStudy.for_budget(BUDGET), OUT / "beta", progress=False)
print(beta["table"])
show(beta["figure"])
