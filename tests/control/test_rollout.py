"""Rollouts as xarray datasets and their summaries."""

from __future__ import annotations

import numpy as np
import pytest
import torch
import xarray as xr

from neuromop.control import (
    FreeController,
    RandomController,
    rollout,
    summarize_rollout,
)
from neuromop.data.schema import validate
from neuromop.envs import EnergyBudget, RateRNNEnv


def _env():
    return RateRNNEnv(20, num_envs=5, g=2.0, terminal=EnergyBudget(0.12), random_state=0)


def test_rollout_dataset_layout_and_contract():
    env = _env()
    ds = rollout(env, RandomController(env), 40, random_state=3)
    assert ds["activity"].dims == ("trial", "time", "neuron")
    assert ds.sizes == {"trial": 5, "time": 41, "neuron": 20, "readout": 2}
    validate(ds, kind="agent")
    assert ds.attrs["created_by"] == "neuromop.control.rollout"
    np.testing.assert_allclose(np.diff(ds["time"].values), env.dt)


@pytest.mark.parametrize(("tau", "dt", "unit"), [(1.0, 0.1, "tau"), (20.0, 1.0, "a.u.")])
def test_rate_rnn_rollout_time_is_in_the_unit_of_tau_not_seconds(tau, dt, unit):
    env = RateRNNEnv(4, num_envs=2, tau=tau, dt=dt, random_state=0)
    ds = rollout(env, RandomController(env), 3, random_state=0)
    assert ds["time"].attrs["units"] == unit
    np.testing.assert_allclose(ds["time"].values, dt * np.arange(4))


def test_cartpole_rollout_time_is_in_seconds_and_plots_label_the_unit():
    import matplotlib

    matplotlib.use("Agg")
    from neuromop.envs import ContinuousCartpoleEnv
    from neuromop.plots.variability import plot_across_trial_std

    env = ContinuousCartpoleEnv(2)
    ds = rollout(env, RandomController(env), 3, random_state=0)
    assert ds["time"].attrs["units"] == "s"
    rnn = rollout(_env(), RandomController(_env()), 3, random_state=0)
    fig = plot_across_trial_std(rnn["activity"].std("trial").mean("neuron"))
    assert fig.axes[0].get_xlabel() == "time (tau)"


def test_free_rollout_matches_manual_simulation_and_lifetime():
    env = _env()
    ds = rollout(env, FreeController(env), 60, random_state=1)
    states = env.initial_states(5, torch.Generator().manual_seed(1))
    first_terminal = np.full(5, 60)
    for t in range(1, 61):
        states = env.predict(states, torch.zeros(5, dtype=torch.long))
        term = env.is_terminal(states).numpy()
        first_terminal = np.where(term & (first_terminal == 60) & (t < 60), t, first_terminal)
        first_terminal = np.where(term & (t == 60) & (first_terminal == 60), 60, first_terminal)
        alive_t = t < first_terminal
        np.testing.assert_allclose(ds["activity"].values[alive_t, t], states[alive_t, :20].numpy(),
                                   atol=1e-6)
    np.testing.assert_array_equal(ds["lifetime"].values, first_terminal)
    assert (ds["lifetime"].values < 60).all()  # the free network breaks the budget
    # after termination: activity held, action -1, entropy NaN
    trial = 0
    end = int(ds["lifetime"].values[trial])
    act = ds["activity"].values[trial]
    np.testing.assert_array_equal(act[end:], np.broadcast_to(act[end], act[end:].shape))
    assert (ds["action"].values[trial, end:] == -1).all()
    assert np.isnan(ds["action_entropy"].values[trial, end:]).all()
    assert not ds["alive"].values[trial, end] and ds["alive"].values[trial, end - 1]


def test_summary_against_manual_numbers():
    env = _env()
    ds = rollout(env, RandomController(env), 30, random_state=2)
    s = summarize_rollout(ds)
    assert s["lifetime"] == pytest.approx(ds["lifetime"].values.mean())
    assert s["action_entropy"] == pytest.approx(np.log(env.n_candidates), rel=1e-5)
    stds = []
    for tr in range(5):
        alive = ds["alive"].values[tr]
        stds.append(ds["activity"].values[tr][alive].std(axis=0, ddof=1).mean())
    assert s["activity_std"] == pytest.approx(np.mean(stds), rel=1e-4)


def test_summary_participation_ratio_is_the_analysis_estimate_on_alive_samples():
    from neuromop.analysis import participation_ratio as analysis_pr

    env = _env()
    ds = rollout(env, RandomController(env), 40, random_state=3)
    pooled = ds["activity"].values[ds["alive"].values]
    expected = analysis_pr(xr.DataArray(pooled, dims=("sample", "neuron")), sample_dims="sample")
    assert summarize_rollout(ds)["participation_ratio"] == pytest.approx(float(expected))


def test_rollout_bad_inputs():
    env = _env()
    with pytest.raises(TypeError, match="controller"):
        rollout(env, object(), 5)
    with pytest.raises(ValueError, match="n_steps"):
        rollout(env, RandomController(env), 0)
    with pytest.raises(ValueError, match="neurons"):
        rollout(env, RandomController(env), 5, neurons=[25])
