"""The Brian2 spiking-network environment (numpy target): loop, batching, terminals, outputs."""

from __future__ import annotations

import numpy as np
import pytest

from neuromop.envs.spiking import SpikingNetworkEnv, SpikingVectorEnv
from neuromop.envs.spiking.network import SpikingNetworkParams
from neuromop.envs.spiking.terminal import SpikingEnergyBudget

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
    ds_c, sp_c = env2.run_closed_loop(zero_policy(env2), 20, random_state=7)
    ds_o, sp_o = env2.run_open_loop(20, random_state=7)
    assert len(sp_c) > 100
    assert sp_c.equals(sp_o)
    np.testing.assert_allclose(ds_c.observation, ds_o.observation, rtol=1e-12)
    np.testing.assert_array_equal(ds_c.counts, ds_o.counts)


def test_gymnasium_loop_equals_callback_loop(env2):
    actions = np.random.default_rng(0).uniform(-0.05, 0.05, (20, 2, 2))
    ds_c, sp_c = env2.run_closed_loop(lambda obs, s: actions[s], 20, random_state=11)
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
    _, a = env2.run_open_loop(5, random_state=1)
    _, b = env2.run_open_loop(5, random_state=2)
    assert not a.equals(b)


def test_outputs_are_consistent(env2):
    ds, spikes = env2.run_closed_loop(zero_policy(env2), 10, random_state=3)
    assert ds.counts.dims == ("trial", "time", "neuron")
    assert ds.counts.shape == (2, 10, 200)
    assert int(ds.counts.sum()) == len(spikes)
    assert set(spikes.columns) == {"time", "neuron", "trial"}
    assert spikes["time"].between(0, 10 * 0.005, inclusive="left").all()
    # the per-period mean rate is the counts divided by neurons and period
    np.testing.assert_allclose(ds.population_rate, ds.counts.mean("neuron") / 0.005)
    np.testing.assert_allclose(ds.time, (np.arange(10) + 0.5) * 0.005)
    assert "neuromop_version" in ds.attrs and ds.attrs["bin_width"] == 0.005


def test_action_dimension_mismatch_in_step(env2):
    env2.reset(seed=0)
    with pytest.raises(ValueError, match=r"action must have shape \(2, 2\)"):
        env2.step(np.zeros((2, 3)))
    env2.close()


def test_action_dimension_mismatch_in_policy(env2):
    with pytest.raises(ValueError, match="action must have shape"):
        env2.run_closed_loop(lambda obs, s: np.zeros(5), 5, random_state=0)


def test_policy_exception_propagates(env2):
    def bad(obs, s):
        raise KeyError("boom")

    with pytest.raises(KeyError, match="boom"):
        env2.run_closed_loop(bad, 5, random_state=0)


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
    syn = env.network["spiking_env_syn"]
    i, j = np.asarray(syn.i[:]), np.asarray(syn.j[:])
    np.testing.assert_array_equal(i // 200, j // 200)
    assert env._drive is None  # eta = 0: no external drive at all
    drive = np.array([[0.5, 0.0], [0.0, 0.0], [0.0, 0.0]])  # 0.5 nA * 100 MOhm = 50 mV into E
    ds, spikes = env.run_closed_loop(lambda obs, s: drive, 10, random_state=0)
    per_copy = ds.counts.sum(("time", "neuron")).values
    assert per_copy[0] > 1000
    np.testing.assert_array_equal(per_copy[1:], 0)


@pytest.fixture(scope="module")
def synapses2(env2):
    syn = env2.network["spiking_env_syn"]
    return np.asarray(syn.i[:]), np.asarray(syn.j[:]), np.asarray(syn.w_[:])


@pytest.mark.parametrize(("lo", "hi"), [(0, 160), (160, 200)], ids=["E", "I"])
def test_identical_connectivity_across_copies(synapses2, lo, hi):
    i, j, _ = synapses2
    mine = (i % 200 >= lo) & (i % 200 < hi)
    first, second = mine & (i < 200), mine & (i >= 200)
    assert first.sum() > 0.5 * (hi - lo) * 200 * 0.25  # ~p * pairs synapses
    np.testing.assert_array_equal(i[second] - 200, i[first])
    np.testing.assert_array_equal(j[second] - 200, j[first])


def test_signed_efficacies_and_no_autapses(env2, synapses2):
    i, j, w = synapses2
    # efficacies: J_E for excitatory, -g J_E for inhibitory presynaptic neurons (volt)
    np.testing.assert_array_equal(w, np.where(i % 200 < 160, 1.2e-3, -8.0 * 1.2e-3))
    assert not np.any(i == j)
    assert env2.n_synapses == i.size


def test_runaway_ends_as_terminal(env2):
    drive = np.array([[5.0, 5.0], [0.0, 0.0]])  # 500 mV depolarisation in copy 0
    ds, _ = env2.run_closed_loop(lambda obs, s: drive, 20, random_state=0)
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
    env = make(1, terminal=SpikingEnergyBudget(budget), max_episode_steps=100)
    ds, _ = env.run_closed_loop(zero_policy(env), 100, random_state=5)
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
    ds, spikes = env.run_open_loop(120, random_state=0)  # 0.6 s
    rate = float(ds.population_rate.mean())
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


def test_same_seed_gives_identical_episodes(env2):
    actions = np.random.default_rng(1).uniform(-0.05, 0.05, (8, 2, 2))
    ds_a, sp_a = env2.run_closed_loop(lambda obs, s: actions[s], 8, random_state=21)
    ds_b, sp_b = env2.run_closed_loop(lambda obs, s: actions[s], 8, random_state=21)
    assert len(sp_a) > 50 and sp_a.equals(sp_b)
    np.testing.assert_array_equal(ds_a.observation, ds_b.observation)


def test_simulation_leaves_global_numpy_rng_alone(env2):
    # Brian's rand() (numpy target) draws from numpy's legacy global state; nothing may use it
    state = np.random.get_state()[1].copy()  # noqa: NPY002 -- inspecting, not drawing
    env2.run_open_loop(5, random_state=4)
    np.testing.assert_array_equal(np.random.get_state()[1], state)  # noqa: NPY002


def test_external_kicks_follow_the_poisson_rate(env2):
    # per time step the network receives Binomial(B N c_ext, nu dt) kicks (refractory neurons
    # excepted): n_kicks of the last step must be of that size
    env2.run_open_loop(5, random_state=8)
    p = env2.params
    mean = 2 * p.n_neurons * p.external_synapses * p.external_rate * p.dt * 1e-3
    assert 0 < float(env2.neurons.n_kicks[:]) < mean + 6 * np.sqrt(mean)


@pytest.mark.parametrize("seed", range(3))
@pytest.mark.parametrize("shape", [(2, 40), (2, 2), (2, 3)])  # numpy and Python-float paths
def test_inline_safety_sets_equal_terminal_set(env2, seed, shape):
    rng = np.random.default_rng(seed)
    obs = rng.choice([0.0, 0.3, 0.5, 0.7, 100.0, 250.0, 260.0, np.nan], size=shape)
    expected = env2.terminal_set.is_terminal(obs, np.zeros((shape[0], 0)))
    got = env2._safety_terminal(obs)
    assert got.dtype == bool and got.shape == (shape[0],)
    np.testing.assert_array_equal(got, expected)


def test_episode_data_before_any_period():
    env = make(2)
    ds, spikes = env.episode_data()
    assert ds.sizes["time"] == 0 and ds.lifetime.values.tolist() == [0, 0] and len(spikes) == 0


def test_reward_fn_sees_the_observation_at_the_end_of_the_period():
    env = make(2, reward_fn=lambda obs, aux, action: obs[:, 0] + 100.0 * action[:, 0])
    actions = np.random.default_rng(3).uniform(-0.02, 0.02, (10, 2, 2))
    ds, _ = env.run_closed_loop(lambda obs, s: actions[s], 10, random_state=2)
    # reward of period t = E rate observed at the start of period t + 1, plus the action term
    expected = ds.observation.values[:, 1:, 0] + 100.0 * actions[:9, :, 0].T
    np.testing.assert_allclose(ds.reward.values[:, :9], expected, rtol=1e-12)


def test_all_objects_share_one_clock(env2):
    # one clock keeps Brian in its fast single-clock loop (a dt per object would not)
    clocks = {obj.clock for obj in env2.network.sorted_objects}
    assert len(clocks) == 1
    assert float(next(iter(clocks)).dt) == pytest.approx(env2.params.dt * 1e-3)
