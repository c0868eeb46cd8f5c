"""Fitting a MOP controller parameter to recorded variability, and recovering a known one."""

from __future__ import annotations

import numpy as np
import pytest

from neuromop.fit import (
    RateRNNRegressor,
    fit_mop_parameter,
    mop_parameter_recovery,
    simulate_teacher_dataset,
    trial_matched_env,
)
from neuromop.fit.controller_fit import _mop_rollouts

TRAIN = dict(hidden=(16, 16), epochs=2, steps_per_epoch=6, fit_iterations=20)


@pytest.fixture(scope="module")
def env():
    ds, _ = simulate_teacher_dataset(n_trials=120, n_time=10, n_units=6, n_neurons=8,
                                     bin_width=0.05, readout_gain=3.0, mean_count=2.0,
                                     random_state=7)
    model = RateRNNRegressor(6, tau=0.1, max_epochs=60, patience=10, input_noise=0.05,
                             random_state=0).fit(ds, ["u0", "u1"])
    return trial_matched_env(model, ds, n_candidates=6, action_scale=1.0, terminal="none",
                             random_state=0)


def test_the_exact_mop_policy_does_not_depend_on_alpha_without_state_entropy():
    """The referee for the module's claim: with only action entropy and terminal states, the
    exact MOP value is alpha V_1 and the policy is the same for every alpha."""
    import neuromop.mdp as M

    mdp = M.four_rooms().mdp
    low = M.solve_mop(mdp, alpha=0.1, gamma=0.95, tol=1e-12)
    high = M.solve_mop(mdp, alpha=10.0, gamma=0.95, tol=1e-12)
    np.testing.assert_allclose(low.policy, high.policy, atol=1e-10)
    np.testing.assert_allclose(low.V / 0.1, high.V / 10.0, rtol=1e-8, atol=1e-8)


def test_the_control_gain_moves_the_recorded_statistics(env):
    rolls = _mop_rollouts(env, "action_scale", [0.25, 4.0], TRAIN, 0)
    pr = [float(np.linalg.matrix_rank(r["counts"].values.reshape(-1, 8))) for r in
          rolls.values()]
    assert pr[0] == pr[1] == 8
    var = [float(r["counts"].values.var(0).mean()) for r in rolls.values()]
    assert var[0] != var[1]


def test_fit_picks_the_generating_value_when_the_grid_is_coarse(env):
    recording = _mop_rollouts(env, "action_scale", [4.0], TRAIN, 11)[4.0]
    res = fit_mop_parameter(env, recording, parameter="action_scale", values=(0.1, 4.0),
                            statistic="participation_ratio", n_boot=20, train_kwargs=TRAIN,
                            random_state=2)
    assert res.attrs["value_hat"] == 4.0
    assert res["in_interval"].sel(value=4.0)
    assert res.attrs["n_selection"] + res.attrs["n_heldout"] == 120
    assert float(res["distance"].sel(value=4.0)) < float(res["distance"].sel(value=0.1))


def test_recovery_reports_coverage_and_informativeness(env):
    rec = mop_parameter_recovery(env, parameter="action_scale", true_value=1.0,
                                 values=(0.25, 1.0, 4.0), n_simulations=2, n_boot=10,
                                 train_kwargs=TRAIN, random_state=0)
    assert rec.sizes["simulation"] == 2
    grid = np.array([0.25, 1.0, 4.0])
    low, high = rec["value_low"].values, rec["value_high"].values
    covered = (low <= 1.0) & (1.0 <= high)
    np.testing.assert_array_equal(rec["covered"].values, covered)
    assert rec.attrs["coverage"] == covered.mean()
    widths = [np.sum((grid >= a) & (grid <= b)) for a, b in zip(low, high)]
    np.testing.assert_array_equal(rec["interval_values"].values, widths)
    assert rec.attrs["mean_interval_values"] == np.mean(widths)
    assert bool((rec["value_low"] <= rec["value_hat"]).all())
    assert bool((rec["value_hat"] <= rec["value_high"]).all())


@pytest.mark.parametrize("kwargs, error, match", [
    (dict(parameter="beta"), ValueError, "parameter"),
    (dict(values=(1.0,)), ValueError, "at least 2"),
    (dict(values=(1.0, 1.0)), ValueError, "distinct"),
    (dict(values=(0.0, 1.0)), ValueError, "positive"),
    (dict(values="ab"), TypeError, "values"),
    (dict(statistic="cv"), ValueError, "statistic"),
    (dict(selection_fraction=1.0), ValueError, "selection_fraction"),
    (dict(train_kwargs=[1]), TypeError, "train_kwargs"),
    (dict(n_boot=3), ValueError, "n_boot"),
    (dict(condition="nope"), ValueError, "condition"),
])
def test_fit_rejects_bad_arguments(env, kwargs, error, match):
    recording = env.recording.assign(counts=(("trial", "time", "neuron"),
                                             np.ones((120, 10, 8), dtype=int)))
    with pytest.raises(error, match=match):
        fit_mop_parameter(env, recording, **kwargs)


def test_fit_needs_the_envs_trials(env):
    recording = env.recording.assign(counts=(("trial", "time", "neuron"),
                                             np.ones((120, 10, 8), dtype=int)))
    with pytest.raises(ValueError, match="120 trials"):
        fit_mop_parameter(env, recording.isel(trial=slice(0, 50)))
    with pytest.raises(TypeError, match="TrialMatchedEnv"):
        fit_mop_parameter("env", recording)
    with pytest.raises(ValueError, match="true_value"):
        mop_parameter_recovery(env, true_value=3.0)
