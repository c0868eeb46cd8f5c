# %% [markdown]
# # Fitting a rate RNN to recorded OFC activity
#
# We fit a rate network `tau dx/dt = -x + tanh(W x + B u + c)` with a Poisson softplus readout to
# one orbitofrontal session (Shi, Ballesta & Padoa-Schioppa 2022, eLife; juice-choice trials,
# offer-aligned), compare its held-out fit with a condition PSTH and a linear dynamical model,
# and turn the fitted network into an environment that controllers can act on.

# %%
import os
import sys
from pathlib import Path

import numpy as np

from neuromop.control import FreeController
from neuromop.fit.baselines import LinearDynamicalBaseline, PSTHBaseline, variability_summary
from neuromop.fit.env import env_from_fit, rollout_counts
from neuromop.fit.rnn import RateRNNRegressor

BUDGET = os.environ.get("NEUROMOP_BUDGET", "default")
EPOCHS = {"smoke": 10, "default": 200, "paper": 1000}[BUDGET]
here = globals().get("__file__")  # absent inside Jupyter
candidates = [os.environ.get("NEUROMOP_DATA"), Path.cwd().parent / "shared" / "datasets",
              Path(here).resolve().parents[2] / "shared" / "datasets" if here else None]
data_root = next((Path(c) for c in candidates if c and (Path(c) / "padoa_ofc").is_dir()), None)
if data_root is None:
    print(f"shared datasets not found at {data_root}; set NEUROMOP_DATA. Nothing to do.")
    sys.exit(0)

# %% [markdown]
# ## Load one session and build the task inputs
# The two offered quantities (scaled to [0, 1]) are inputs from offer onset on.

# %%
from neuromop.data.loaders.padoa import load_padoa_session

ds = load_padoa_session(data_root / "padoa_ofc", "G180910a", task="JC")
on = (ds["time"] >= 0).astype(float)
for name, coord in (("in_a", "offer_a"), ("in_b", "offer_b")):
    q = ds[coord].astype(float)
    ds[name] = (q / float(q.max()) * on).transpose("trial", "time")
ds = ds.assign_coords(offer_pair=("trial", [f"{a}:{b}" for a, b in zip(ds.offer_a.values, ds.offer_b.values)]))
rng = np.random.default_rng(0)
perm = rng.permutation(ds.sizes["trial"])
test, train = ds.isel(trial=np.sort(perm[:70])), ds.isel(trial=np.sort(perm[70:]))
print(ds.sizes)

# %% [markdown]
# ## Fit and compare with baselines (held-out bits per spike)

# %%
model = RateRNNRegressor(8, tau=0.2, max_epochs=EPOCHS, patience=30, input_noise=0.1, random_state=0)
model.fit(train, ["in_a", "in_b"])
print("best epoch", model.best_epoch_)
print("RNN ", round(model.score(test), 4))
print("PSTH", round(PSTHBaseline("offer_pair").fit(train).score(test), 4))
print("LDS ", round(LinearDynamicalBaseline(6).fit(train, ["in_a", "in_b"]).score(test), 4))
print("spectral radius", np.abs(model.spectrum()).max().round(3))

# %% [markdown]
# ## Variability of the data and of model samples

# %%
print("recorded", variability_summary(test.counts.values))
print("model   ", variability_summary(model.sample(test, random_state=1).counts.values))

# %% [markdown]
# ## The fitted network as an environment
# `env_from_fit` (`neuromop.fit`) gives a batched environment with the fitted
# weights; here the free network runs without task input and is read out through the fit.

# %%
env = env_from_fit(model, num_envs=50, n_candidates=4)
counts, alive, _ = rollout_counts(env, FreeController(env), model, 50, ds.sizes["time"], random_state=2)
print("free rollout", variability_summary(counts))

# %% [markdown]
# ## Recorded and model PSTHs (held-out trials, averaged over trials)

# %%
import matplotlib.pyplot as plt  # noqa: E402

sampled = model.sample(test, random_state=1)
fig, ax = plt.subplots(figsize=(6, 3.5), constrained_layout=True)
ax.plot(test["time"], test.counts.mean(("trial", "neuron")), label="recorded")
ax.plot(test["time"], sampled.counts.mean(("trial", "neuron")), label="fitted RNN samples")
ax.set_xlabel("time from offer (s)")
ax.set_ylabel("mean count per bin")
ax.legend()
plt.show()
