"""The Brian2 spiking-network environment (numpy target): loop, batching, terminals, outputs."""

from __future__ import annotations

import numpy as np
import pytest

from neuromop.envs.spiking import SpikingNetworkEnv, SpikingVectorEnv
from neuromop.envs.spiking_batch import SpikingNetworkParams
from neuromop.envs.spiking_terminal import EnergyBudget

# 200 neurons with the in-degree of the default network (40 E + 10 I inputs)
SMALL = SpikingNetworkParams(n_exc=160, n_inh=40, p_connect=0.25)


def make(num_envs=1, **kw):
    kw.setdefault("params", SMALL)
    kw.setdefault("max_episode_steps", 20)
    return SpikingVectorEnv(num_envs, target="numpy", verbose=False, **kw)


@pytest.fixture(scope="module")
def env2():
    return make(2)


def zero_policy(env):
    return lambda obs, step: np.zeros((env.num_envs, env.action_dim))


def test_closed_loop_with_zero_action_equals_open_loop(env2):
    ds_c, sp_c = env2.run_closed_loop(zero_policy(env2), 20, seed=7)
    ds_o, sp_o = env2.run_open_loop(20, seed=7)
    assert len(sp_c) > 100
    assert sp_c.equals(sp_o)
    np.testing.assert_allclose(ds_c.observation, ds_o.observation, rtol=1e-12)
    np.testing.assert_array_equal(ds_c.counts, ds_o.counts)


def test_gymnasium_loop_equals_callback_loop(env2):
    actions = np.random.default_rng(0).uniform(-0.05, 0.05, (20, 2, 2))
    ds_c, sp_c = env2.run_closed_loop(lambda obs, s: actions[s], 20, seed=11)
    obs, info = env2.reset(seed=11)
    assert obs.shape == (2, 2) and info["step"] == 0
    np.testing.assert_allclose(obs, ds_c.observation.isel(time=0))
    for s in range(20):
        obs, reward, term, trunc, info = env2.step(actions[s])
    assert trunc.all() and not term.any() and reward.shape == (2,)
    ds_g, sp_g = env2.episode_data()
    assert sp_g.equals(sp_c)
    np.testing.assert_allclose(ds_g.action, ds_c.action)
    with pytest.raises(RuntimeError, match="call reset"):
        env2.step(actions[0])


def test_different_seeds_give_different_spikes(env2):
    _, a = env2.run_open_loop(5, seed=1)
    _, b = env2.run_open_loop(5, seed=2)
    assert not a.equals(b)


def test_outputs_are_consistent(env2):
    ds, spikes = env2.run_closed_loop(zero_policy(env2), 10, seed=3)
    assert ds.counts.dims == ("trial", "time", "neuron")
    assert ds.counts.shape == (2, 10, 200)
    assert int(ds.counts.sum()) == len(spikes)
    assert set(spikes.columns) == {"time", "neuron", "trial"}
    assert spikes["time"].between(0, 10 * 0.005, inclusive="left").all()
    # the per-period mean rate is the counts divided by neurons and period
    np.testing.assert_allclose(ds.rate, ds.counts.mean("neuron") / 0.005)
    np.testing.assert_allclose(ds.time, (np.arange(10) + 0.5) * 0.005)
    assert "neuromop_version" in ds.attrs and ds.attrs["bin_width"] == 0.005


def test_action_dimension_mismatch_in_step(env2):
    env2.reset(seed=0)
    with pytest.raises(ValueError, match=r"action must have shape \(2, 2\)"):
        env2.step(np.zeros((2, 3)))
    env2.close()


def test_action_dimension_mismatch_in_policy(env2):
    with pytest.raises(ValueError, match="action must have shape"):
        env2.run_closed_loop(lambda obs, s: np.zeros(5), 5, seed=0)


def test_policy_exception_propagates(env2):
    def bad(obs, s):
        raise KeyError("boom")

    with pytest.raises(KeyError, match="boom"):
        env2.run_closed_loop(bad, 5, seed=0)


def test_single_env_shapes():
    env = SpikingNetworkEnv(SMALL, target="numpy", verbose=False, max_episode_steps=3,
                            action_targets={"E_drive": "E"}, readouts=("E", "I", "all"))
    obs, _ = env.reset(seed=0)
    assert obs.shape == (3,)
    obs, r, te, tr, _ = env.step(np.array([0.0]))
    assert obs.shape == (3,) and isinstance(r, float) and isinstance(te, bool)
    with pytest.raises(ValueError, match=r"action must have shape \(1,\)"):
        env.step(np.zeros(2))
    env.close()


@pytest.mark.parametrize(("kwargs", "err", "match"), [
    ({"action_targets": ("E", "X")}, ValueError, "unknown group 'X'"),
    ({"readouts": ("E", ("I", [0, 99]))}, ValueError, r"group 'I' must lie in \[0, 40\)"),
    ({"control_period": 0.25}, ValueError, "multiple of dt"),
    ({"tau_obs": -1.0}, ValueError, "tau_obs must be > 0"),
    ({"terminal": "energy"}, TypeError, "terminal must be a SpikingTerminalSet"),
    ({"params": {"n_exc": 10}}, TypeError, "params must be a SpikingNetworkParams"),
])
def test_invalid_env_arguments(kwargs, err, match):
    with pytest.raises(err, match=match):
        make(1, **kwargs)


def test_copies_are_independent_blocks():
    quiet = SMALL.replace(eta=0.0)  # no external drive: only the control current makes spikes
    env = make(3, params=quiet, warmup=0.0)
    syn = env.network["spiking_env_syn_E"]
    i, j = np.asarray(syn.i[:]), np.asarray(syn.j[:])
    np.testing.assert_array_equal(i // 200, j // 200)
    drive = np.array([[0.5, 0.0], [0.0, 0.0], [0.0, 0.0]])  # 0.5 nA * 100 MOhm = 50 mV into E
    ds, spikes = env.run_closed_loop(lambda obs, s: drive, 10, seed=0)
    per_copy = ds.counts.sum(("time", "neuron")).values
    assert per_copy[0] > 1000
    np.testing.assert_array_equal(per_copy[1:], 0)


def test_identical_connectivity_across_copies():
    env = make(2)
    syn = env.network["spiking_env_syn_I"]
    i, j = np.asarray(syn.i[:]), np.asarray(syn.j[:])
    first = i < 200
    np.testing.assert_array_equal(i[~first] - 200, i[first])
    np.testing.assert_array_equal(j[~first] - 200, j[first])


def test_runaway_ends_as_terminal(env2):
    drive = np.array([[5.0, 5.0], [0.0, 0.0]])  # 500 mV depolarisation in copy 0
    ds, _ = env2.run_closed_loop(lambda obs, s: drive, 20, seed=0)
    assert ds.terminated.isel(trial=0).any() and not ds.terminated.isel(trial=1).any()
    assert int(ds.lifetime[0]) < 15 and int(ds.lifetime[1]) == 20


def test_silence_ends_as_terminal():
    env = make(1, max_episode_steps=40)
    obs, _ = env.reset(seed=0)
    for _ in range(40):
        obs, _, term, trunc, _ = env.step(np.array([[-1.0, -1.0]]))  # -100 mV: silenced
        if term[0] or trunc[0]:
            break
    assert term[0] and not trunc[0]
    assert obs.max() < 0.5


def test_energy_budget_lifetime_matches_rate(env2):
    budget = 0.05  # spikes per neuron
    env = make(1, terminal=EnergyBudget(budget), max_episode_steps=100)
    ds, _ = env.run_closed_loop(zero_policy(env), 100, seed=5)
    life = int(ds.lifetime[0])
    assert life < 100
    # energy at termination is the cumulative spike count per neuron, just above the budget
    spent = float(ds.counts.isel(trial=0, time=slice(0, life)).sum()) / 200
    assert ds.energy.values[0, life - 1] == pytest.approx(spent)
    assert spent > budget and float(ds.energy.values[0, life - 2]) <= budget


def _isi_cv(spikes, n_neurons):
    order = np.lexsort((spikes["time"].to_numpy(), spikes["neuron"].to_numpy()))
    n, t = spikes["neuron"].to_numpy()[order], spikes["time"].to_numpy()[order]
    same = n[1:] == n[:-1]
    isi, who = np.diff(t)[same], n[1:][same]
    cnt = np.bincount(who, minlength=n_neurons)
    mean = np.bincount(who, isi, n_neurons) / np.maximum(cnt, 1)
    var = np.bincount(who, isi**2, n_neurons) / np.maximum(cnt, 1) - mean**2
    ok = cnt >= 5
    return float(np.mean(np.sqrt(var[ok]) / mean[ok]))


def test_default_network_is_asynchronous_irregular():
    env = SpikingVectorEnv(1, target="numpy", verbose=False, warmup=200.0)
    ds, spikes = env.run_open_loop(120, seed=0)  # 0.6 s
    rate = float(ds.rate.mean())
    assert 3.0 < rate < 40.0
    assert 0.7 < _isi_cv(spikes, 500) < 1.3
    fine = ds.counts.isel(trial=0).values  # (time, neuron), 5 ms bins
    chi = np.sqrt(fine.mean(1).var() / fine.var(0).mean())  # synchrony (Golomb) measure
    assert chi < 0.3


def test_gymnasium_spaces():
    env = make(3)
    assert env.observation_space.shape == (3, 2) and env.action_space.shape == (3, 2)
    single = SpikingNetworkEnv(SMALL, target="numpy", verbose=False, readouts=("E",))
    assert single.observation_space.shape == (1,) and single.action_space.shape == (2,)
