"""Rate-RNN fit on a recorded OFC session (skips without ../shared/datasets)."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from neuromop.fit.baselines import PSTHBaseline
from neuromop.fit.env import env_from_fit
from neuromop.fit.rnn import RateRNNRegressor

pytestmark = pytest.mark.data


@pytest.fixture(scope="module")
def ofc(shared_datasets):
    from neuromop.data.loaders.padoa import load_padoa_session

    ds = load_padoa_session(shared_datasets / "padoa_ofc", "G180910a", task="JC")
    on = (ds["time"] >= 0).astype(float)
    ds["in_a"] = (ds["offer_a"] / float(ds["offer_a"].max()) * on).transpose("trial", "time")
    ds["in_b"] = (ds["offer_b"] / float(ds["offer_b"].max()) * on).transpose("trial", "time")
    return ds


@pytest.fixture(scope="module")
def ofc_fit(ofc):
    perm = np.random.default_rng(0).permutation(ofc.sizes["trial"])  # random split: rates drift
    train, test = ofc.isel(trial=np.sort(perm[72:])), ofc.isel(trial=np.sort(perm[:72]))
    model = RateRNNRegressor(6, tau=0.2, max_epochs=25, patience=10, random_state=0)
    return model.fit(train, ["in_a", "in_b"]), train, test


def test_ofc_fit_generalises_to_unseen_trials(ofc_fit):
    model, train, test = ofc_fit
    # measured at this CI size (6 units, 25 epochs): RNN +0.0007 bits/spike, grand PSTH +0.044;
    # a broken fit (or a chronological split, where rates drift) gives about -0.4
    assert model.score(test) > -0.01
    assert PSTHBaseline().fit(train).score(test) > 0.0


def test_ofc_predicted_mean_rate_matches_recorded(ofc_fit):
    model, _, test = ofc_fit
    pred = model.predict(test)["rate"].values.mean()
    rec = test["counts"].values.mean() / test.attrs["bin_width"]
    assert pred == pytest.approx(rec, rel=0.2)


def test_ofc_fit_as_environment(ofc_fit):
    model, _, _ = ofc_fit
    env = env_from_fit(model, num_envs=4, n_candidates=3)
    states, _ = env.reset(seed=0)
    nxt = env.predict(states)
    assert nxt.shape == (4, 3, env.state_dim)
    assert torch.isfinite(nxt).all()
    assert np.isclose(env.dt, model.alpha_ * model.tau)
