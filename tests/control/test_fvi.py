"""Training loop: checkpoints, resume after interruption, seeded reproducibility."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from neuromop.control import NeuroMOPController, RewardController, train
from neuromop.envs import ContinuousCartpoleEnv, EnergyBudget, RateRNNEnv

SETTINGS = dict(steps_per_epoch=6, fit_iterations=5, batch_size=16, target_updates=2,
                replay_epochs=2, progress=False)



def _controller(kind: str = "mop", seed: int = 0, max_energy: float = 0.12):
    if kind == "cartpole":
        return NeuroMOPController(ContinuousCartpoleEnv(6, max_episode_steps=10), hidden=(16,),
                                  gamma=0.8, random_state=seed)
    env = RateRNNEnv(12, num_envs=6, n_candidates=4, g=2.0, action_scale=2.0, noise_std=0.05,
                     terminal=EnergyBudget(max_energy), max_episode_steps=10, random_state=1)
    if kind == "mop":
        return NeuroMOPController(env, hidden=(16,), gamma=0.8, random_state=seed)
    return RewardController(env, epsilon=0.1, hidden=(16,), gamma=0.8, random_state=seed)


def _params(ctrl):
    return torch.cat([p.detach().flatten() for p in ctrl.value_net_.parameters()])


def _hist(ctrl):
    return [{k: v for k, v in r.items() if k != "seconds"} for r in ctrl.history_]


def _same_hist(a, b):
    assert len(a) == len(b)
    for ra, rb in zip(a, b):
        for k in ra:
            assert (math.isnan(ra[k]) and math.isnan(rb[k])) or ra[k] == rb[k], k


EXTRA = {"memory": {"pre_terminal_steps": 3},
         "averaged": {"average_epochs": 3, "pessimistic_targets": True},
         "annealed": {"final_learning_rate": 1e-4}, "coverage": {"coverage_states": 20}}


@pytest.mark.parametrize("kind", ["mop", "r", "memory", "averaged", "annealed", "coverage"])
def test_resume_after_interruption_is_identical(kind, tmp_path):
    settings = {**SETTINGS, **EXTRA.get(kind, {})}
    budget = 0.03 if kind == "memory" else 0.12  # the memory needs terminations
    kind = {"memory": "mop", "averaged": "r", "annealed": "mop",
            "coverage": "cartpole"}.get(kind, kind)
    full = _controller(kind, max_energy=budget)
    train(full, epochs=4, checkpoint_dir=tmp_path / "full", **settings)

    class Interrupt(Exception):
        pass

    def stop_after_two(epoch, record):
        if epoch == 1:
            raise Interrupt

    first = _controller(kind, max_energy=budget)
    with pytest.raises(Interrupt):
        train(first, epochs=4, checkpoint_dir=tmp_path / "cut", callback=stop_after_two,
              **settings)
    assert len(first.history_) == 2
    if "pre_terminal_steps" in settings:  # the memory is part of the checkpoint
        saved = torch.load(tmp_path / "cut" / "checkpoint.pt", weights_only=True)
        assert saved["memory"].shape[0] > 0
    if "average_epochs" in settings:  # so are the weight copies and the previous target
        saved = torch.load(tmp_path / "cut" / "checkpoint.pt", weights_only=True)
        assert len(saved["snapshots"]) == 2 and saved["previous_target"] is not None
    resumed = _controller(kind, max_energy=budget)  # fresh objects, as after a crash
    train(resumed, epochs=4, checkpoint_dir=tmp_path / "cut", resume=True, **settings)
    assert torch.equal(_params(full), _params(resumed))
    _same_hist(_hist(full), _hist(resumed))
    assert torch.equal(full.env.states, resumed.env.states)


def test_resume_without_checkpoint_starts_fresh_and_finished_run_is_kept(tmp_path):
    a = _controller()
    train(a, epochs=2, checkpoint_dir=tmp_path, resume=True, **SETTINGS)
    assert (tmp_path / "checkpoint.pt").exists() and len(a.history_) == 2
    b = _controller()
    train(b, epochs=2, checkpoint_dir=tmp_path, resume=True, **SETTINGS)  # nothing left to do
    assert torch.equal(_params(a), _params(b))


def test_seeded_reproducibility_and_seed_dependence():
    a, b, c = _controller(seed=0), _controller(seed=0), _controller(seed=1)
    for ctrl in (a, b, c):
        train(ctrl, epochs=2, **SETTINGS)
    assert torch.equal(_params(a), _params(b))
    _same_hist(_hist(a), _hist(b))
    assert not torch.equal(_params(a), _params(c))


def test_resume_with_other_settings_raises(tmp_path):
    train(_controller(), epochs=1, checkpoint_dir=tmp_path, **SETTINGS)
    other = dict(SETTINGS, fit_iterations=7)
    with pytest.raises(ValueError, match="different settings"):
        train(_controller(), epochs=2, checkpoint_dir=tmp_path, resume=True, **other)


def test_history_records_and_bad_arguments():
    ctrl = _controller()
    hist = train(ctrl, epochs=1, **SETTINGS)
    assert set(hist[0]) == {"epoch", "lifetime", "lifetime_restricted", "survival", "horizon",
                            "n_censored", "n_episodes", "termination_rate", "action_entropy",
                            "activity_std", "value_mean", "loss", "seconds"}
    assert hist[0]["horizon"] == 10  # the env's max_episode_steps
    assert 0 <= hist[0]["lifetime_restricted"] <= 10 and 0 <= hist[0]["survival"] <= 1
    assert 0 <= hist[0]["action_entropy"] <= math.log(4) + 1e-6
    with pytest.raises(ValueError, match="checkpoint_dir"):
        train(ctrl, epochs=1, resume=True, **SETTINGS)
    with pytest.raises(TypeError, match="controller"):
        train("mop", epochs=1)


def test_termination_rate_counts_terminal_transitions_not_truncations():
    safe = RateRNNEnv(8, num_envs=4, n_candidates=3, max_episode_steps=3, random_state=0)
    hist = train(NeuroMOPController(safe, hidden=(8,)), epochs=1, **SETTINGS)
    assert hist[0]["n_episodes"] == 4 and hist[0]["termination_rate"] == 0.0  # truncations only
    # random currents in the energy world (no truncation within the epoch): every ended episode
    # is a terminal transition, and the rate is those over the 6 envs x 30 steps minus resets
    env = RateRNNEnv(12, num_envs=6, n_candidates=4, g=2.0, action_scale=2.0, noise_std=0.05,
                     terminal=EnergyBudget(0.12), max_episode_steps=1000, random_state=1)
    ctrl = NeuroMOPController(env, hidden=(16,), initial_value=0.0)
    hist = train(ctrl, epochs=1, **{**SETTINGS, "steps_per_epoch": 30})
    n_end = hist[0]["n_episodes"]
    assert n_end > 0
    assert 180 - n_end <= n_end / hist[0]["termination_rate"] <= 180


def test_fitted_vi_learns_the_fixed_point_of_a_safe_world():
    """Without terminal states V converges to ln K / (1 - gamma)."""
    env = RateRNNEnv(8, num_envs=16, n_candidates=4, terminal=EnergyBudget(100.0), random_state=0)
    ctrl = NeuroMOPController(env, hidden=(16,), gamma=0.5, learning_rate=1e-2, random_state=0)
    with torch.no_grad():
        ctrl.value_net_.mlp[-1].bias.zero_()  # start far from the answer
    train(ctrl, epochs=4, steps_per_epoch=5, fit_iterations=150, batch_size=64, target_updates=4,
          progress=False)
    # on the visited states (the training distribution)
    torch.testing.assert_close(ctrl.value(env.states), torch.full((16,), math.log(4) / 0.5),
                               rtol=0.02, atol=0)


class _Payload:
    """Unpickling this runs code: a checkpoint planted in an output folder."""

    def __reduce__(self):
        import os

        return (os.system, ("echo ran > ran_payload.txt",))


def test_a_planted_checkpoint_cannot_run_code(tmp_path, monkeypatch):
    import torch

    from neuromop.control.fvi import CHECKPOINT_NAME

    monkeypatch.chdir(tmp_path)
    torch.save({"epoch": 0, "config": _Payload()}, tmp_path / CHECKPOINT_NAME)
    env = RateRNNEnv(8, num_envs=4, n_candidates=4, terminal=EnergyBudget(0.12),
                     max_episode_steps=10, random_state=1)
    ctrl = NeuroMOPController(env, hidden=(8,))
    with pytest.raises(ValueError, match="cannot be read safely"):
        train(ctrl, epochs=1, steps_per_epoch=5, fit_iterations=2, checkpoint_dir=tmp_path,
              resume=True, progress=False)
    assert not (tmp_path / "ran_payload.txt").exists()


def test_a_diverging_fit_stops_with_a_clear_error_and_no_checkpoint(tmp_path):
    env = RateRNNEnv(8, num_envs=4, n_candidates=4, terminal=EnergyBudget(0.12),
                     max_episode_steps=10, random_state=1)
    ctrl = NeuroMOPController(env, hidden=(8,), learning_rate=1e308)
    with pytest.raises(RuntimeError, match="diverged at epoch 0.*lower learning_rate"):
        train(ctrl, epochs=2, steps_per_epoch=5, fit_iterations=5, checkpoint_dir=tmp_path,
              progress=False)
    assert not list(tmp_path.iterdir())


def test_lifetime_is_censored_not_nan_when_no_episode_ends():
    # a safe world with a horizon longer than the epoch: nothing ends, nothing is NaN
    safe = RateRNNEnv(8, num_envs=4, n_candidates=3, max_episode_steps=1000, random_state=0)
    hist = train(NeuroMOPController(safe, hidden=(8,)), epochs=1, **SETTINGS)
    rec = hist[0]
    assert rec["n_episodes"] == 0 and math.isnan(rec["lifetime"])
    assert rec["n_censored"] == 4 and rec["survival"] == 1.0
    assert rec["lifetime_restricted"] == 1000.0  # S = 1 up to the horizon
    # truncations at the horizon are censored too: survival stays 1
    short = RateRNNEnv(8, num_envs=4, n_candidates=3, max_episode_steps=3, random_state=0)
    rec = train(NeuroMOPController(short, hidden=(8,)), epochs=1, **SETTINGS)[0]
    assert rec["survival"] == 1.0 and rec["lifetime_restricted"] == 3.0


def test_energy_world_restricted_lifetime_matches_the_ended_episodes_when_all_end():
    env = RateRNNEnv(12, num_envs=6, n_candidates=4, g=2.0, action_scale=2.0, noise_std=0.05,
                     terminal=EnergyBudget(0.12), max_episode_steps=1000, random_state=1)
    rec = train(NeuroMOPController(env, hidden=(16,), initial_value=0.0), epochs=1,
                **{**SETTINGS, "steps_per_epoch": 30})[0]
    assert rec["n_episodes"] > 0 and rec["n_censored"] > 0
    assert rec["survival"] < 1.0
    # censored episodes are long-lived survivors: the estimate exceeds the ended-only mean
    assert rec["lifetime_restricted"] > rec["lifetime"]


def test_progress_bars_name_the_controller_and_its_parameter():
    from neuromop.control.fvi import controller_label

    env = RateRNNEnv(8, num_envs=2, n_candidates=3, random_state=0)
    assert controller_label(NeuroMOPController(env, hidden=(8,), beta=0.02)) == "MOP beta=0.02"
    assert controller_label(NeuroMOPController(env, hidden=(8,), alpha=0.5, mu=0.1)) == (
        "MOP beta=0 alpha=0.5 mu=0.1")
    assert controller_label(RewardController(env, hidden=(8,), epsilon=0.05)) == "R eps=0.05"


def test_training_lifetime_of_a_fixed_policy_matches_its_rollout():
    # fit_iterations=0 keeps the uninformed (uniform) policy fixed, so every epoch's
    # Kaplan-Meier estimate and a fresh rollout measure the same lifetime distribution.
    # Epochs (8 steps) are much shorter than episodes: episodes running when an epoch starts
    # enter the risk set at their age then (without that the estimate was length-biased:
    # 1.25-1.32x the rollout's on this world, seeds 0-2; with it 0.99-1.03x).
    from neuromop.control import rollout

    env = RateRNNEnv(12, num_envs=256, n_candidates=4, g=2.0, action_scale=2.0,
                     terminal=EnergyBudget(0.12), max_episode_steps=60, random_state=1)
    ctrl = NeuroMOPController(env, hidden=(8,), initial_value=0.0, random_state=0)
    hist = train(ctrl, epochs=12, steps_per_epoch=8, fit_iterations=0, target_updates=1,
                 progress=False, random_state=0)
    trained = sum(r["lifetime_restricted"] for r in hist[4:]) / len(hist[4:])
    ds = rollout(env, ctrl, 60, n_trials=512, random_state=2)
    capped = float(ds["lifetime"].clip(max=60).mean())
    assert trained == pytest.approx(capped, rel=0.1)


def test_pre_terminal_memory_keeps_the_last_steps_of_terminated_episodes_only():
    from neuromop.control._fvi_memory import pre_terminal_states

    T, B = 6, 2
    states = torch.arange(T * B, dtype=torch.float32).reshape(T, B, 1)  # state = 2 t + agent
    acting = torch.ones(T, B, dtype=torch.bool)
    acting[3, 0] = False  # agent 0: episode at steps 0-2 ends, pending reset at 3, 4-5 ends
    terminated = torch.zeros(T, B, dtype=torch.bool)
    terminated[2, 0] = terminated[5, 0] = terminated[4, 1] = True
    kept = pre_terminal_states(states, acting, terminated, 2).ravel().tolist()
    assert sorted(kept) == [2.0, 4.0, 7.0, 8.0, 9.0, 10.0]  # never across an episode start
    assert pre_terminal_states(states, acting, torch.zeros_like(terminated), 5).numel() == 0
    with pytest.raises(ValueError, match="pre_terminal_steps"):
        train(_controller(), epochs=1, **{**SETTINGS, "pre_terminal_steps": -1})


@pytest.mark.parametrize("kind", ["mop", "r"])
def test_the_trained_network_is_the_average_of_the_last_epochs(kind):
    ctrl = _controller(kind)
    copies = []
    train(ctrl, epochs=5, average_epochs=3, callback=lambda e, r: copies.append(_params(ctrl)),
          **SETTINGS)
    # the callback sees each epoch's own fit; the controller ends with their mean
    assert torch.allclose(_params(ctrl), torch.stack(copies[-3:]).mean(dim=0), atol=1e-6)
    assert not torch.allclose(_params(ctrl), copies[-1])
    last = _controller(kind)
    train(last, epochs=5, **SETTINGS)
    assert torch.equal(_params(last), copies[-1])  # averaging leaves the fits themselves alone


def test_pessimistic_targets_are_the_minimum_of_the_current_and_previous_copies():
    from neuromop.control._fvi_memory import TargetNetwork

    ctrl = _controller("r")
    ctrl.env.reset(seed=0)
    states = ctrl.env.states
    target = TargetNetwork(pessimistic=True)
    first = target.targets(ctrl, states)  # no previous copy yet: the plain target
    assert torch.equal(first, ctrl.bellman_target(states, ctrl.value_net_))
    with torch.no_grad():  # move the network: the next copy differs from the previous one
        for p in ctrl.value_net_.parameters():
            p.add_(0.3 * torch.randn(p.shape, generator=torch.Generator().manual_seed(1)))
    second = target.targets(ctrl, states)
    now = ctrl.bellman_target(states, ctrl.value_net_)
    assert torch.equal(second, torch.minimum(now, first))
    assert (second < now).any()
    plain = TargetNetwork(pessimistic=False)
    plain.targets(ctrl, states)
    assert plain.previous is None and plain.previous_state() is None


@pytest.mark.parametrize("kind", ["mop", "r", "noisy mop"])
def test_targets_under_two_networks_predict_the_successors_once(kind, monkeypatch):
    import copy

    from neuromop.control import NoisyNeuroMOPController

    ctrl = (NoisyNeuroMOPController(_controller().env, hidden=(8,), noise_samples=2)
            if kind == "noisy mop" else _controller(kind))
    ctrl.env.reset(seed=0)
    states = ctrl.env.states
    other = copy.deepcopy(ctrl.value_net_)
    with torch.no_grad():
        for p in other.parameters():
            p.add_(0.3 * torch.randn(p.shape, generator=torch.Generator().manual_seed(2)))
    one_by_one = torch.stack([ctrl.bellman_target(states, net) for net in (ctrl.value_net_, other)])
    calls = []
    predict = ctrl.env.predict
    monkeypatch.setattr(ctrl.env, "predict", lambda *a, **k: calls.append(1) or predict(*a, **k))
    both = ctrl.bellman_targets(states, [ctrl.value_net_, other])
    torch.testing.assert_close(both, one_by_one, rtol=0, atol=1e-6)
    assert not torch.equal(both[0], both[1])
    assert len(calls) == max(getattr(ctrl, "noise_samples", 1), 1)  # once per noise sample


def test_averaging_and_pessimism_arguments_are_checked():
    with pytest.raises(ValueError, match="average_epochs"):
        train(_controller(), epochs=1, average_epochs=0, **SETTINGS)
    with pytest.raises(TypeError, match="pessimistic_targets"):
        train(_controller(), epochs=1, pessimistic_targets="yes", **SETTINGS)


def test_inference_tanh_is_tanh_without_and_with_gradients():
    from neuromop.control.fvi import InferenceTanh

    x = torch.linspace(-30.0, 30.0, 20001)
    act = InferenceTanh()
    with torch.no_grad():
        fast = act(x)
    np.testing.assert_allclose(fast.numpy(), torch.tanh(x).numpy(), rtol=0, atol=2.5e-7)
    assert fast.abs().max() <= 1.0 and not torch.equal(x, fast)  # input left alone
    # with gradients it is torch.tanh itself (the training fits)
    xg = x[:50].clone().requires_grad_(True)
    y = act(xg)
    assert torch.equal(y, torch.tanh(x[:50]))
    y.sum().backward()
    np.testing.assert_allclose(xg.grad.numpy(), (1 - torch.tanh(x[:50]) ** 2).numpy(), atol=1e-7)


def test_value_network_state_dict_does_not_depend_on_the_activation_class():
    """Checkpoints written before InferenceTanh load unchanged: activations hold no weights."""
    from neuromop.control.fvi import InferenceTanh, ValueNetwork

    net = ValueNetwork(4, (8, 8), "tanh", random_state=0)
    assert sum(isinstance(m, InferenceTanh) for m in net.mlp) == 2
    plain = torch.nn.Sequential(*[torch.nn.Tanh() if isinstance(m, InferenceTanh) else m
                                  for m in net.mlp])
    assert set(plain.state_dict()) == set(net.mlp.state_dict())
    x = torch.randn(32, 4, generator=torch.Generator().manual_seed(0))
    with torch.no_grad():
        np.testing.assert_allclose(net(x).numpy(),
                                   (plain((x - net.input_mean) / net.input_std).squeeze(-1)
                                    * net.value_scale).numpy(), atol=1e-6)


def test_pessimistic_targets_reuse_the_previous_copys_targets_exactly():
    """A refresh on the same states reuses the previous copy's targets: the same numbers as
    evaluating both copies, with one network pass fewer."""
    import copy

    from neuromop.control._fvi_memory import TargetNetwork

    ctrl = _controller("mop")
    states = ctrl.env.initial_states(40, torch.Generator().manual_seed(3))
    target = TargetNetwork(pessimistic=True)
    target.targets(ctrl, states)
    previous = copy.deepcopy(ctrl.value_net_).eval()
    with torch.no_grad():  # a training step between the refreshes
        for p in ctrl.value_net_.parameters():
            p.add_(0.05 * torch.randn(p.shape, generator=torch.Generator().manual_seed(1)))
    passes = []
    original = ctrl.bellman_targets
    ctrl.bellman_targets = lambda s, nets: passes.append(len(nets)) or original(s, nets)
    reused = target.targets(ctrl, states)
    assert passes == [1]
    current = copy.deepcopy(ctrl.value_net_).eval()
    both = original(states, [current, previous]).min(dim=0).values
    assert torch.equal(reused, both)
    # other states: both copies are evaluated
    target.targets(ctrl, states[:10].clone())
    assert passes == [1, 2]


def test_cosine_learning_rate_matches_torchs_cosine_annealing():
    from neuromop.control._fvi_memory import cosine_learning_rate

    net = torch.nn.Linear(2, 1)
    opt = torch.optim.SGD(net.parameters(), lr=1e-3)
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=6, eta_min=1e-5)
    expected = []
    for _ in range(7):
        expected.append(opt.param_groups[0]["lr"])
        opt.step()
        sched.step()
    got = [cosine_learning_rate(1e-3, 1e-5, epoch, 7) for epoch in range(7)]
    assert got == pytest.approx(expected, rel=1e-12)
    assert got[0] == 1e-3 and got[-1] == pytest.approx(1e-5, rel=1e-12)
    assert cosine_learning_rate(1e-3, None, 3, 7) == 1e-3


@pytest.mark.parametrize("final", [None, 2e-4])
def test_train_anneals_the_learning_rate_epoch_by_epoch(final):
    from neuromop.control._fvi_memory import cosine_learning_rate

    ctrl = _controller()
    seen = []
    train(ctrl, epochs=4, final_learning_rate=final,
          callback=lambda epoch, record: seen.append(ctrl.optimizer_.param_groups[0]["lr"]),
          **SETTINGS)
    assert seen == [cosine_learning_rate(1e-3, final, e, 4) for e in range(4)]
    assert seen[-1] == pytest.approx(1e-3 if final is None else final, rel=1e-12)


@pytest.mark.parametrize("final", [0.0, 2e-3, float("nan")])
def test_train_rejects_a_final_learning_rate_outside_zero_and_the_initial_one(final):
    with pytest.raises(ValueError, match="final_learning_rate"):
        train(_controller(), epochs=1, final_learning_rate=final, **SETTINGS)


def test_coverage_states_join_every_epochs_training_set():
    ctrl = _controller("cartpole")
    drawn = []
    draw = ctrl.env.uniform_states

    def recording(n, generator):
        out = draw(n, generator)
        drawn.append(out)
        return out

    ctrl.env.uniform_states = recording
    seen = []
    original = ctrl.bellman_targets

    def targets(states, nets):
        seen.append(states)
        return original(states, nets)

    ctrl.bellman_targets = targets
    train(ctrl, epochs=2, coverage_states=40, **{**SETTINGS, "target_updates": 1})
    # one draw per epoch (after the probe made on a copy of the stream), its states at the end
    # of that epoch's training set
    assert len(drawn) == 3 and len(seen) == 2
    for states, new in zip(seen, drawn[1:]):
        assert torch.equal(states[-len(new):], new)


def test_coverage_states_need_an_env_with_a_bounded_state_space():
    with pytest.raises(ValueError, match="coverage_states"):
        train(_controller(), epochs=1, coverage_states=10, **SETTINGS)
    with pytest.raises(ValueError, match="coverage_states"):
        train(_controller("cartpole"), epochs=1, coverage_states=-1, **SETTINGS)


def test_uniform_cartpole_states_fill_the_arena_without_its_edges():
    env = ContinuousCartpoleEnv(2)
    states = env.uniform_states(5000, torch.Generator().manual_seed(0))
    p = env.params
    bounds = torch.tensor([p.theta_max, p.omega_max, p.v_max, p.x_max])
    assert states.shape[1] == 4 and 4900 < len(states) <= 5000
    assert not env.is_terminal(states).any()
    assert (states.abs() <= bounds).all()
    assert (states.abs().amax(dim=0) > 0.99 * bounds).all()  # reaches every edge
    again = env.uniform_states(5000, torch.Generator().manual_seed(0))
    assert torch.equal(states, again)
    assert env.uniform_states(0, torch.Generator()).shape == (0, 4)
    with pytest.raises(NotImplementedError, match="RateRNNEnv"):
        _controller().env.uniform_states(3, torch.Generator())
