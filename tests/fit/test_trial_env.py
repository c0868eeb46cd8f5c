"""Trial-matched environments: a fitted network driven by the recorded trials' own inputs."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from neuromop.control import FreeController, RandomController
from neuromop.data import validate
from neuromop.envs import ActivityBox, SquareBox
from neuromop.fit import (
    RateRNNRegressor,
    TrialMatchedEnv,
    recorded_activity_box,
    simulate_teacher_dataset,
    trial_matched_env,
    trial_matched_rollout,
)


def _dataset(n_trials=40, n_time=12, bin_width=0.02):
    ds, _ = simulate_teacher_dataset(n_trials=n_trials, n_time=n_time, n_units=6, n_neurons=5,
                                     bin_width=bin_width, random_state=3)
    # a few repeated input sequences: trials 0..19 copy their inputs onto 20..39
    for name in ("u0", "u1"):
        ds[name].values[n_trials // 2:] = ds[name].values[:n_trials // 2]
    ds = ds.assign_coords(pair=("trial", np.tile(np.arange(n_trials // 2), 2)))
    return ds


@pytest.fixture(scope="module", params=[None, 0.01], ids=["one-step-per-bin", "two-substeps"])
def fitted(request):
    ds = _dataset()
    model = RateRNNRegressor(6, tau=0.1, dt=request.param, max_epochs=3, patience=3,
                             input_noise=0.05, random_state=0).fit(ds, ["u0", "u1"])
    return ds, model


def _noise_free_free_rollout(env, trials):
    """Activity (trial, time, unit) of the zero action from the mean initial state, no noise."""
    states = env.trial_states(trials, torch.Generator().manual_seed(0))
    n = env.n_neurons
    states[:, :n] = env.x0_mean
    zero = torch.zeros(len(trials), dtype=torch.long)
    out = [states[:, :n].clone()]
    for _ in range(env.n_bins - 1):
        for _ in range(env.steps_per_bin):
            states = env.predict(states, zero)
        out.append(states[:, :n].clone())
    return torch.stack(out, dim=1).numpy()


def test_free_dynamics_equal_the_fits_latent_trajectories(fitted):
    ds, model = fitted
    env = trial_matched_env(model, ds, terminal="none", noise_std=0.0)
    ours = _noise_free_free_rollout(env, np.arange(ds.sizes["trial"]))
    ref = model.latent_trajectories(ds, initial_state="mean")
    np.testing.assert_allclose(ours, ref, atol=2e-5)


def test_conditions_are_the_distinct_input_sequences(fitted):
    ds, model = fitted
    env = trial_matched_env(model, ds, terminal="none")
    half = ds.sizes["trial"] // 2
    assert env.schedule.shape == (half, ds.sizes["time"], 2)
    np.testing.assert_array_equal(env.trial_condition[:half], env.trial_condition[half:])
    u = np.stack([ds["u0"].values, ds["u1"].values], axis=-1)
    np.testing.assert_allclose(env.schedule.numpy()[env.trial_condition], u, atol=1e-7)
    assert env.max_episode_steps == (ds.sizes["time"] - 1) * model.n_substeps_


def test_the_state_carries_input_step_and_condition(fitted):
    ds, model = fitted
    env = trial_matched_env(model, ds, terminal="none")
    states = env.trial_states([3], torch.Generator().manual_seed(1))
    nxt = env.predict(states, torch.zeros(1, dtype=torch.long))
    variables = env.state_variables(nxt)
    assert int(variables["step"]) == 1 and int(variables["condition"]) == env.trial_condition[3]
    b = 1 // model.n_substeps_
    n = env.n_neurons
    expected = [ds["u0"].values[3, b], ds["u1"].values[3, b]]
    np.testing.assert_allclose(nxt[0, n + 1:n + 3].numpy(), expected, atol=1e-7)


def test_rollout_dataset_follows_the_contract(fitted):
    ds, model = fitted
    env = trial_matched_env(model, ds, n_candidates=4, random_state=2)
    free = trial_matched_rollout(env, FreeController(env), source="free", random_state=0)
    rand = trial_matched_rollout(env, RandomController(env), source="random", random_state=0)
    validate(free, kind="auto")
    assert free["counts"].dims == ("trial", "time", "neuron")
    np.testing.assert_array_equal(free["pair"].values, ds["pair"].values)
    np.testing.assert_allclose(free["time"].values, ds["time"].values)
    assert float(free["action_entropy"].max()) == 0.0
    np.testing.assert_allclose(rand["action_entropy"].values, np.log(4), rtol=1e-5)
    term = free["terminated"].values
    assert np.all(term[:, 1:] >= term[:, :-1])  # once terminal, terminal
    assert free.attrs["source"] == "free"


def test_rollouts_are_reproducible(fitted):
    ds, model = fitted
    env = trial_matched_env(model, ds, random_state=2)
    a = trial_matched_rollout(env, RandomController(env), random_state=5)
    b = trial_matched_rollout(env, RandomController(env), random_state=5)
    np.testing.assert_array_equal(a["counts"].values, b["counts"].values)


def test_controllers_train_on_the_trial_matched_env(fitted):
    from neuromop.control import NeuroMOPController, train

    ds, model = fitted
    env = trial_matched_env(model, ds, num_envs=16, n_candidates=4)
    ctrl = NeuroMOPController(env, hidden=(16,), random_state=0)
    history = train(ctrl, epochs=2, steps_per_epoch=5, fit_iterations=5, progress=False)
    assert len(history) == 2
    out = trial_matched_rollout(env, ctrl, source="mop", random_state=0)
    assert out.sizes["trial"] == ds.sizes["trial"]


def test_recorded_box_holds_the_fitted_trajectories(fitted):
    ds, model = fitted
    box = recorded_activity_box(model, ds, margin=0.0)
    # reference: the fit's own torch dynamics, trial k from fitted initial state k mod n
    k = model.x0_.shape[0]
    parts = []
    for start in range(k):
        model_x0 = model.x0_
        try:
            model.x0_ = model_x0[start:start + 1]
            z = model.latent_trajectories(ds, initial_state="mean")
        finally:
            model.x0_ = model_x0
        parts.append(z[np.arange(ds.sizes["trial"]) % k == start])
    z = np.concatenate(parts).reshape(-1, parts[0].shape[-1])
    np.testing.assert_allclose(box.lower, z.min(0), atol=1e-5)
    np.testing.assert_allclose(box.upper, z.max(0), atol=1e-5)
    wide = recorded_activity_box(model, ds, margin=0.5)
    np.testing.assert_allclose(wide.upper - wide.lower, 2 * (box.upper - box.lower), rtol=1e-6)


def test_activity_box_terminal_set():
    box = ActivityBox([-1.0, -0.5], [1.0, 0.5])
    env_like = torch.tensor([[0.0, 0.0], [0.0, 0.6], [-1.1, 0.0]])
    from neuromop.envs import TaskView

    view = TaskView(activity=env_like, readout=None, context=None)
    assert box.is_terminal(view, None).tolist() == [False, True, True]


@pytest.mark.parametrize("lower, upper, match", [
    ([0.0, 1.0], [1.0, 1.0], "lower must be < upper"),
    ([0.0], [1.0, 2.0], "same length"),
    ([np.nan], [1.0], "finite"),
])
def test_activity_box_rejects_bad_bounds(lower, upper, match):
    with pytest.raises(ValueError, match=match):
        ActivityBox(lower, upper)


def test_activity_box_must_match_the_network(fitted):
    ds, model = fitted
    with pytest.raises(ValueError, match="n_neurons"):
        trial_matched_env(model, ds, terminal=ActivityBox([-1.0], [1.0]))


@pytest.mark.parametrize("kwargs, error, match", [
    (dict(terminal="box"), ValueError, "terminal must be"),
    (dict(terminal=3), TypeError, "terminal must be"),
    (dict(num_envs=0), ValueError, "num_envs"),
])
def test_trial_matched_env_rejects_bad_arguments(fitted, kwargs, error, match):
    ds, model = fitted
    with pytest.raises(error, match=match):
        trial_matched_env(model, ds, **kwargs)


def test_trial_matched_env_needs_the_fitted_inputs(fitted):
    ds, model = fitted
    with pytest.raises(ValueError, match="u1"):
        trial_matched_env(model, ds.drop_vars("u1"))
    with pytest.raises(TypeError, match="RateRNNRegressor"):
        trial_matched_env("model", ds)
    with pytest.raises(TypeError, match="Dataset"):
        trial_matched_env(model, ds["counts"])


def test_rollout_rejects_other_envs(fitted):
    ds, model = fitted
    from neuromop.fit import env_from_fit

    env = env_from_fit(model, num_envs=4, terminal=SquareBox())
    with pytest.raises(TypeError, match="TrialMatchedEnv"):
        trial_matched_rollout(env, FreeController(env))
    tm = trial_matched_env(model, ds)
    with pytest.raises(TypeError, match="controller"):
        trial_matched_rollout(tm, object())
    assert isinstance(tm, TrialMatchedEnv)


def test_a_model_without_inputs_has_one_condition():
    ds = _dataset()
    model = RateRNNRegressor(4, tau=0.1, max_epochs=2, patience=2, random_state=0).fit(ds)
    env = trial_matched_env(model, ds, terminal="none")
    assert env.schedule.shape == (1, ds.sizes["time"], 0)
    out = trial_matched_rollout(env, FreeController(env), random_state=0)
    validate(out, kind="auto")
