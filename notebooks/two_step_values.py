# ---
# jupyter:
#   jupytext:
#     text_representation:
#       extension: .py
#       format_name: percent
#       format_version: '1.3'
# ---

# %% [markdown]
# # Soft or true values in a two-step task: from a lab's files to a pooled verdict
#
# Value datasets usually come from *learning* tasks: the values a neuron could carry change
# trial by trial as the animal learns. This notebook walks through the glue a user writes for a
# two-step task (Daw et al., 2011) recorded over several sessions:
#
# 1. each session as a lab hands it over — a trial table (event times on the session clock,
#    first-stage choice, second-stage state and choice, reward) and spike times with neuron
#    labels (here simulated by `simulate_two_step_recording`, with the truth kept aside);
# 2. `load_trial_table` assigns the spikes to trials and bins them;
# 3. a hybrid model-based / model-free learner (`TwoStepChoiceModel`: eligibility trace,
#    perseveration) is fitted to all sessions at once (`groups` = session);
# 4. `two_step_values` gives each trial's learned soft and true value of the first-stage
#    choice; `compare_value_encodings` tests each session with circular-shift and
#    pseudo-session nulls (`two_step_pseudo_sampler` re-simulates sessions from the fit);
# 5. `pool_value_encodings` gives one verdict over the sessions.

# %%
import os

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from neuromop.data import load_trial_table
from neuromop.values import (
    TwoStepChoiceModel,
    compare_value_encodings,
    pool_value_encodings,
    simulate_two_step_recording,
    two_step_pseudo_sampler,
    two_step_stay_probabilities,
    two_step_values,
)

BUDGET = os.environ.get("NEUROMOP_BUDGET", "default")
SMOKE = BUDGET == "smoke"
N_SESSIONS = 2 if SMOKE else 6
N_TRIALS = 150 if SMOKE else 400
N_NEURONS = 6 if SMOKE else 20
N_NULL = 19 if SMOKE else 99
ALPHA = 0.05 if SMOKE else 0.01
SEED = 0

# %% [markdown]
# ## 1. The sessions as files would give them
#
# The simulated neurons carry the **soft** value of the first-stage choice (70 % of them, with
# slow drift and over-dispersed counts). Nothing below uses the truth until the end.

# %%
rng = np.random.default_rng(SEED)
recordings = [simulate_two_step_recording(encoding="soft", n_trials=N_TRIALS,
                                          n_neurons=N_NEURONS, random_state=rng)
              for _ in range(N_SESSIONS)]
names = [f"session{k + 1}" for k in range(N_SESSIONS)]
print(recordings[0].trials.head())
print(f"{recordings[0].spike_times.size} spikes of {N_NEURONS} neurons in session 1")

# %% [markdown]
# ## 2. The glue: trial table + spike times -> counts; all sessions' behaviour in one table

# %%
datasets = [load_trial_table(rec.trials, rec.spike_times, rec.spike_neurons,
                             event="choice_time", window=(0.0, 0.5), bin_width=0.1,
                             session=name)
            for rec, name in zip(recordings, names)]
behaviour = pd.concat([rec.trials.assign(session=name)
                       for rec, name in zip(recordings, names)])
X = behaviour[["state2", "choice2", "reward"]].to_numpy(float)
y = behaviour["choice1"].to_numpy()
groups = behaviour["session"].to_numpy()
print(datasets[0])

# %% [markdown]
# ## 3. The choice model, fitted to every session at once
#
# Stay probabilities show the two signatures: a main effect of reward (model-free) and a
# reward x transition interaction (model-based). The hybrid's weight `w` measures the mixture.

# %%
model = TwoStepChoiceModel(n_restarts=3, random_state=SEED).fit(X, y, groups)
model_free = TwoStepChoiceModel(model="model_free", n_restarts=3,
                                random_state=SEED).fit(X, y, groups)
fit_table = pd.DataFrame({"estimate": model.params_,
                          "ci_low": {k: v[0] for k, v in model.ci_.items()},
                          "ci_high": {k: v[1] for k, v in model.ci_.items()}})
print(fit_table.round(3))
print(f"BIC hybrid {model.bic_:.1f} vs model-free {model_free.bic_:.1f}")
stay = two_step_stay_probabilities(X, y, groups)
print(stay.round(3))

# %% [markdown]
# ## 4. Per-session tests with learned values, then the pooled verdict

# %%
results = []
for rec, ds in zip(recordings, datasets):
    X_s = rec.trials[["state2", "choice2", "reward"]].to_numpy(float)
    values = two_step_values(model, X_s, rec.trials["choice1"].to_numpy(),
                             trial=ds["trial"].values)
    results.append(compare_value_encodings(
        ds, behaviour=values, null=("shift", "pseudo"),
        pseudo_sampler=two_step_pseudo_sampler(model, len(X_s)), n_null=N_NULL, alpha=ALPHA,
        random_state=rng))
pooled = pool_value_encodings(results, labels=names)
summary = pd.DataFrame({
    "verdict": pooled["session_verdict"].values,
    "p_any": pooled["session_p_value"].sel(test="any").values,
    "p_soft": pooled["session_p_value"].sel(test="soft").values,
    "p_true": pooled["session_p_value"].sel(test="true").values,
    "VIF": pooled["session_vif"].max("signal").values.round(1),
    "trials": pooled["session_n_trials"].values}, index=names)
print(summary)
print("pooled verdict:", pooled.attrs["verdict"],
      "| p (any, soft, true):", pooled["pop_p_value"].values,
      "| unique trials (soft, true):", pooled["unique_trials"].values.round(1),
      "| truth:", recordings[0].truth.attrs["true_encoding"])

# %% [markdown]
# In the first stage of a two-step task the soft and true values are nearly collinear
# (`V_soft = V_true + tau H`, and the choice entropy `H` moves little): the VIF is ~70-85
# per 400-trial session at these parameters, so one session cannot tell them apart ("not
# identifiable" once value coding is found). Pooling adds the sessions' unique information
# (`sum n / VIF`); the pooled verdict needs about 30 trials' worth of it (`min_unique_trials`).

# %%
fig, axes = plt.subplots(1, 2, figsize=(9, 3.5))
x = np.arange(2)
for k, (rewarded, label) in enumerate(((True, "rewarded"), (False, "unrewarded"))):
    axes[0].bar(x + 0.35 * k, stay.loc[rewarded].to_numpy(), width=0.35, label=label)
axes[0].set_xticks(x + 0.175, ["common", "rare"])
axes[0].set_ylabel("P(repeat first-stage choice)")
axes[0].set_ylim(0, 1)
axes[0].set_title(f"stay probabilities (w = {model.params_['w']:.2f})")
axes[0].legend(title="previous trial", fontsize=8)
p_values = pooled["session_p_value"].sel(test=["any", "soft", "true"])
for j, test in enumerate(["any", "soft", "true"]):
    axes[1].plot(np.arange(N_SESSIONS), p_values.sel(test=test), "o-", label=test)
    axes[1].axhline(float(pooled["pop_p_value"].sel(test=test)), ls=":", color=f"C{j}")
axes[1].axhline(ALPHA, color="k", lw=0.8)
axes[1].set_yscale("log")
axes[1].set_xticks(np.arange(N_SESSIONS), [n.replace("session", "s") for n in names])
axes[1].set_xlabel("session (dotted: pooled)")
axes[1].set_ylabel("population p-value")
axes[1].set_title(f"pooled verdict: {pooled.attrs['verdict']}")
axes[1].legend(fontsize=8)
fig.tight_layout()
plt.show()
