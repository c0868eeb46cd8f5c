# ---
# jupyter:
#   jupytext:
#     text_representation:
#       extension: .py
#       format_name: percent
#       format_version: '1.3'
# ---

# %% [markdown]
# # The variability hypothesis on one recorded session
#
# Is the trial-to-trial variability of a recorded population what a network *occupying its
# activity space* (a MOP controller) would produce, or what a free network, random currents or
# a reward-seeking (R) controller would? This notebook walks through one OFC session
# (Shi, Ballesta & Padoa-Schioppa 2022) step by step; `neuromop run hypothesis` does the same
# for every session, with several fits per session:
#
# 1. fit a rate RNN to the recorded counts, with the offers as task inputs;
# 2. turn the fit into an environment whose episodes are the *recorded trials with their own
#    inputs*, with a terminal set taken from the data (the activity range the fit visits);
# 3. let a free network, random currents, a NeuroMOP and an R controller act on it, and read
#    counts out through the fitted Poisson readout;
# 4. compute the same statistics on the recording and on every controller, with bootstrap
#    intervals, and ask which is closest — after checking that the free fitted network
#    reproduces the recorded variability at all (otherwise it is not a fair referee);
# 5. fit the gain of the MOP controller's currents to the recorded Fano factor.
#
# Without the shared datasets the notebook runs on a simulated recording (a teacher RNN).

# %%
import os

import numpy as np
import torch

from neuromop.analysis import compare_sources
from neuromop.control import (
    FreeController,
    NeuroMOPController,
    RandomController,
    RewardController,
    train,
)
from neuromop.fit import (
    PSTHBaseline,
    RateRNNRegressor,
    fit_mop_parameter,
    simulate_teacher_dataset,
    trial_matched_env,
    trial_matched_rollout,
)
from neuromop.plots.hypothesis import plot_source_comparison
from neuromop.studies.hypothesis_data import recording_sessions
from neuromop.studies.hypothesis_report import referee_check

BUDGET = os.environ.get("NEUROMOP_BUDGET", "default")
SMOKE = BUDGET == "smoke"
EPOCHS = 15 if SMOKE else 300
CONTROL_EPOCHS = 1 if SMOKE else 10
STEPS = 10 if SMOKE else 50          # steps per training epoch
ITERATIONS = 20 if SMOKE else 200    # minibatch steps per value-iteration target
N_BOOT = 20 if SMOKE else 200
SEED = 0
torch.set_num_threads(1)  # small networks: one thread is fastest

# %% [markdown]
# ## 1. The recording and the fit

# %%
try:
    name, ds, inputs, condition = recording_sessions("padoa_ofc", sessions=["G180910a"])[0]
except (FileNotFoundError, ValueError) as exc:
    print(f"shared datasets not found ({exc}); using a simulated recording")
    ds, _ = simulate_teacher_dataset(n_trials=200, n_time=15, n_units=8, n_neurons=8,
                                     bin_width=0.1, tau=0.2, random_state=SEED)
    name, inputs, condition = "teacher", ["u0", "u1"], "condition"
print(name, dict(ds.sizes), "inputs:", inputs, "| condition:", condition)

rng = np.random.default_rng(SEED)
test_idx = np.sort(rng.permutation(ds.sizes["trial"])[: ds.sizes["trial"] // 5])
train_ds = ds.drop_isel(trial=test_idx)
test_ds = ds.isel(trial=test_idx)
model = RateRNNRegressor(16, tau=0.2, max_epochs=EPOCHS, patience=40, input_noise=0.1,
                         random_state=SEED).fit(train_ds, inputs)
print(f"held-out bits/spike: RNN {model.score(test_ds):.3f}, condition PSTH "
      f"{PSTHBaseline(condition).fit(train_ds).score(test_ds):.3f}")

# %% [markdown]
# ## 2. The fitted network, driven by the recorded trials
#
# Every episode is one recorded trial: the network receives that trial's offers bin by bin, as
# in the fit, and the controller's currents are added on top. The terminal set is the range of
# activity the fitted trajectories of the recorded trials visit, widened by 25 %.

# %%
env = trial_matched_env(model, ds, margin=0.25, n_candidates=8, action_scale=0.5,
                        random_state=SEED)
print("conditions (distinct input sequences):", env.schedule.shape[0])
print("terminal set:", env.terminal)

# %% [markdown]
# ## 3. Four controllers act on it

# %%
controllers = {"free": FreeController(env), "random": RandomController(env)}
for label, cls in (("mop", NeuroMOPController), ("r", RewardController)):
    ctrl = cls(env, hidden=(64, 64), random_state=SEED)
    train(ctrl, epochs=CONTROL_EPOCHS, steps_per_epoch=STEPS, fit_iterations=ITERATIONS,
          random_state=SEED, progress=False)
    controllers[label] = ctrl
rollouts = {label: trial_matched_rollout(env, ctrl, source=label, random_state=SEED)
            for label, ctrl in controllers.items()}
for label, roll in rollouts.items():
    alive = 1 - roll["terminated"].isel(time=-1).mean().item()
    print(f"{label:6s} alive at trial end {alive:.2f}, action entropy "
          f"{roll['action_entropy'].mean().item():.2f} nats")

# %% [markdown]
# ## 4. The same statistics, side by side, and the referee check

# %%
comparison = compare_sources({"recorded": ds, **rollouts}, condition=condition,
                             n_boot=N_BOOT, random_state=SEED)
print(comparison[["distance", "closest"]].to_dataframe().round(3))
referee = referee_check(comparison)
print(referee["text"])
fig = plot_source_comparison(comparison, title=name)

# %% [markdown]
# ## 5. The gain of the MOP currents that best matches the recorded Fano factor
#
# The temperature alpha cannot be fitted here: with only action entropy and terminal states in
# the objective, the exact MOP policy does not depend on it. The gain of the candidate currents
# can: it is chosen on half the trials and checked on the other half.

# %%
gain = fit_mop_parameter(env, ds, parameter="action_scale", values=(0.125, 0.5, 2.0),
                         condition=condition, n_boot=N_BOOT,
                         train_kwargs=dict(hidden=(64, 64), epochs=CONTROL_EPOCHS,
                                           steps_per_epoch=STEPS, fit_iterations=ITERATIONS),
                         random_state=SEED)
print(f"action_scale = {gain.attrs['value_hat']:g} (interval [{gain.attrs['value_low']:g}, "
      f"{gain.attrs['value_high']:g}])")
print(gain[["distance", "heldout_distance"]].to_dataframe().round(3))
