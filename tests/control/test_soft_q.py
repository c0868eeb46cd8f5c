"""Model-free soft Q-learning of MOP: buffer, closed-form targets and fixed points, closed loop."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from neuromop.control.soft_q import ReplayBuffer, SoftQController
from neuromop.envs.spiking import SpikingVectorEnv
from neuromop.envs.spiking.designs import energy_candidate_actions
from neuromop.envs.spiking.network import SpikingNetworkParams
from neuromop.envs.spiking.terminal import SpikingEnergyBudget

CAND = energy_candidate_actions(0.03, 3)


def test_replay_buffer_is_a_ring():
    buf = ReplayBuffer(5, 2)
    for k in range(3):
        s = np.full((3, 2), k, np.float32)
        buf.add(s, np.full(3, k), s + 1, np.zeros(3, bool))
    assert len(buf) == 5
    # 9 rows written into 5 slots: the survivors are the last 5 (k = 1, 1, 2, 2, 2)
    assert sorted(buf.actions.tolist()) == [1, 1, 2, 2, 2]
    s, a, s2, d = buf.sample(64, np.random.default_rng(0))
    torch.testing.assert_close(s2, s + 1)
    assert set(a.tolist()) <= {1, 2}


def test_soft_target_matches_numpy_reference():
    ctrl = SoftQController(3, CAND, hidden=(8,), gamma=0.9, alpha=0.5, random_state=1)
    x = torch.randn(6, 3, generator=torch.Generator().manual_seed(0))
    done = torch.tensor([False, True, False, False, True, False])
    q = ctrl.target_net_(x).detach().double().numpy()
    ref = 0.9 * 0.5 * np.log(np.exp(q / 0.5).sum(1))
    ref[done.numpy()] = 0.0
    np.testing.assert_allclose(ctrl.soft_target(x, done).double().numpy(), ref, rtol=1e-5)


def _fill(ctrl, n, rng, terminal_action=None):
    s = rng.normal(size=(n, ctrl.state_dim)).astype(np.float32)
    a = rng.integers(0, ctrl.n_candidates, n)
    done = np.zeros(n, bool) if terminal_action is None else a == terminal_action
    ctrl.buffer_.add(s, a, rng.normal(size=(n, ctrl.state_dim)).astype(np.float32), done)


@pytest.mark.parametrize("terminal_action", [None, 0])
def test_learns_the_soft_fixed_point(terminal_action):
    # state-independent problem: Q(a) = 0 if a is terminal else gamma V, V = ln sum_a exp(Q(a))
    gamma, k = 0.5, len(CAND)
    safe = k - (terminal_action is not None)
    v = 0.0
    for _ in range(200):
        v = math.log((k - safe) + safe * math.exp(gamma * v))
    ctrl = SoftQController(2, CAND, hidden=(16,), gamma=gamma, learning_rate=1e-2,
                           batch_size=128, target_tau=0.1, random_state=0)
    _fill(ctrl, 2000, np.random.default_rng(0), terminal_action)
    ctrl._set_input_statistics()
    for _ in range(500):
        ctrl.update()
    x = torch.randn(32, 2, generator=torch.Generator().manual_seed(1))
    q = ctrl.q_values(x)
    expected = torch.full((k,), gamma * v)
    if terminal_action is not None:
        expected[terminal_action] = 0.0
    torch.testing.assert_close(q.mean(0), expected, atol=0.1, rtol=0.03)
    assert float(ctrl.value(x).mean()) == pytest.approx(v, rel=0.03)


def test_policy_is_softmax_of_q():
    ctrl = SoftQController(2, CAND, hidden=(8,), alpha=2.0, random_state=3)
    x = torch.randn(4, 2, generator=torch.Generator().manual_seed(0))
    torch.testing.assert_close(ctrl.action_probabilities(x),
                               torch.softmax(ctrl.q_values(x) / 2.0, dim=-1))


@pytest.mark.parametrize("kw, err, match", [
    (dict(gamma=1.0), ValueError, "gamma"),
    (dict(alpha=0.0), ValueError, "alpha"),
    (dict(target_tau=0.0), ValueError, "target_tau"),
    (dict(hidden=(0,)), ValueError, "hidden"),
])
def test_parameter_errors(kw, err, match):
    with pytest.raises(err, match=match):
        SoftQController(2, CAND, **kw)


def test_states_shape_error():
    with pytest.raises(ValueError, match=r"states must have shape \(B, 3\)"):
        SoftQController(3, CAND).q_values(torch.zeros(2, 4))


@pytest.fixture(scope="module")
def env():
    return SpikingVectorEnv(4, SpikingNetworkParams(n_exc=80, n_inh=20, p_connect=0.5),
                            control_period=20.0, target="numpy", verbose=False,
                            terminal=SpikingEnergyBudget(0.6, time_constant=0.5, threshold=10.0),
                            max_episode_steps=15)


def test_closed_loop_training_runs_and_records(env):
    ctrl = SoftQController(3, CAND, hidden=(16,), warmup_transitions=20, random_state=0)
    ctrl.fit(env, n_episodes=2, n_steps=15, progress=False)
    assert [h["episode"] for h in ctrl.history_] == [0, 1]
    total = sum(h["transitions"] for h in ctrl.history_)
    assert len(ctrl.buffer_) == total > 0
    assert ctrl.n_updates_ == sum(h["updates"] for h in ctrl.history_) > 0
    assert ctrl.input_statistics_set_
    # the buffer's energies follow the budget's update from their states
    assert (ctrl.buffer_.next_states[:total, 2] >= 0).all()
    state = ctrl.state_dict()
    other = SoftQController(3, CAND, hidden=(16,), random_state=9)
    other.load_state_dict(state)
    x = torch.tensor([[5.0, 8.0, 0.1]])
    torch.testing.assert_close(other.q_values(x), ctrl.q_values(x))


def test_fit_needs_exactly_one_stopping_rule(env):
    ctrl = SoftQController(3, CAND)
    with pytest.raises(ValueError, match="exactly one of n_episodes and time_budget"):
        ctrl.fit(env, n_episodes=1, time_budget=1.0)


def test_fit_checks_the_env_dimensions(env):
    with pytest.raises(ValueError, match="obs_dim=2"):
        SoftQController(5, CAND).fit(env, n_episodes=1)


class _Interrupt(Exception):
    pass


def _interrupt_after(n):
    def callback(episode, record):
        if episode + 1 >= n:
            raise _Interrupt
    return callback


def test_resume_is_bit_identical_to_an_uninterrupted_run(env, tmp_path):
    kw = dict(n_episodes=3, n_steps=8, progress=False)
    full = SoftQController(3, CAND, hidden=(8,), warmup_transitions=10, random_state=2)
    full.fit(env, **kw)
    part = SoftQController(3, CAND, hidden=(8,), warmup_transitions=10, random_state=2)
    with pytest.raises(_Interrupt):
        part.fit(env, checkpoint_dir=tmp_path, callback=_interrupt_after(2), **kw)
    resumed = SoftQController(3, CAND, hidden=(8,), warmup_transitions=10, random_state=2)
    resumed.fit(env, checkpoint_dir=tmp_path, resume=True, **kw)
    assert [h["episode"] for h in resumed.history_] == [0, 1, 2]
    assert [h["lifetime"] for h in resumed.history_] == [h["lifetime"] for h in full.history_]
    x = torch.tensor([[5.0, 8.0, 0.1], [2.0, 3.0, 0.5]])
    torch.testing.assert_close(resumed.q_values(x), full.q_values(x), rtol=0, atol=0)
    assert resumed.n_updates_ == full.n_updates_


def test_resume_rejects_other_settings(env, tmp_path):
    ctrl = SoftQController(3, CAND, hidden=(8,), warmup_transitions=10, random_state=2)
    ctrl.fit(env, n_episodes=1, n_steps=5, progress=False, checkpoint_dir=tmp_path)
    other = SoftQController(3, CAND, hidden=(8,), warmup_transitions=10, random_state=2)
    with pytest.raises(ValueError, match="different settings"):
        other.fit(env, n_episodes=1, n_steps=6, progress=False, checkpoint_dir=tmp_path,
                  resume=True)


def test_resume_needs_a_checkpoint_dir(env):
    with pytest.raises(ValueError, match="resume=True needs checkpoint_dir"):
        SoftQController(3, CAND).fit(env, n_episodes=1, resume=True)
