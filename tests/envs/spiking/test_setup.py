"""Brian2 code-generation set-up, network parameters and the spiking terminal sets."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest

from neuromop.envs.spiking import setup as brian_setup
from neuromop.envs.spiking.network import (
    SpikingNetworkParams,
    bernoulli_pairs,
    bin_spike_table,
    spike_table,
    tile_blocks,
)
from neuromop.envs.spiking.terminal import (
    AnyOf,
    Quiescence,
    RateBox,
    Runaway,
    SpikingEnergyBudget,
)


def test_cache_dir_from_environment(monkeypatch, tmp_path):
    monkeypatch.setenv("NEUROMOP_BRIAN_CACHE", str(tmp_path / "cache"))
    assert brian_setup.cache_dir() == (tmp_path / "cache").resolve()
    assert (tmp_path / "cache").is_dir()


def test_cache_dir_default_is_project_not_home(monkeypatch):
    monkeypatch.delenv("NEUROMOP_BRIAN_CACHE", raising=False)
    path = brian_setup.cache_dir(create=False)
    assert path.name == ".brian_cache"
    assert path.parent != Path.home()
    assert (path.parent / "pyproject.toml").is_file()


def test_configure_numpy_sets_prefs():
    from brian2 import prefs

    assert brian_setup.configure("numpy") == "numpy"
    assert prefs.codegen.target == "numpy"


def test_configure_cython_uses_project_cache(tmp_path):
    from brian2 import prefs

    if not brian_setup.has_cxx_compiler():
        pytest.skip("no C++ compiler")
    old = prefs.codegen.target
    try:
        assert brian_setup.configure("cython", cache=tmp_path) == "cython"
        assert prefs.codegen.runtime.cython.cache_dir == str(tmp_path.resolve())
    finally:
        prefs.codegen.target = old


def test_unknown_target_is_rejected():
    with pytest.raises(ValueError, match="target must be one of"):
        brian_setup.configure("gpu")


def test_first_compile_is_announced_once(tmp_path, capsys):
    key = brian_setup.model_key("model", 1)
    assert brian_setup.announce_compile("cython", key, tmp_path)
    assert "compiling Brian2 code (first run" in capsys.readouterr().err
    brian_setup.mark_compiled("cython", key, tmp_path)
    assert not brian_setup.announce_compile("cython", key, tmp_path)
    assert not brian_setup.announce_compile("numpy", "other", tmp_path)
    assert capsys.readouterr().err == ""


@pytest.mark.parametrize(("field", "value", "match"), [
    ("tau_m", -20.0, "tau_m must be > 0"),
    ("tau_ref", -1.0, "tau_ref must be >= 0"),
    ("p_connect", 1.5, "p_connect must be <= 1"),
    ("n_exc", 0, "n_exc must be >= 1"),
    ("v_reset", 25.0, "v_reset must be < v_threshold"),
    ("delay", 0.0, "delay must be >="),
])
def test_invalid_parameters(field, value, match):
    with pytest.raises(ValueError, match=match):
        SpikingNetworkParams(**{field: value})


def test_external_rate_closed_form():
    p = SpikingNetworkParams(n_exc=400, p_connect=0.1, j_exc=0.5, tau_m=20.0, v_threshold=20.0,
                             eta=2.0)
    # nu_thr = theta / (J C tau) = 20 mV / (0.5 mV * 40 * 0.02 s) = 50 Hz
    assert p.external_synapses == 40
    assert p.external_rate == pytest.approx(100.0)


def test_bernoulli_pairs_statistics():
    rng = np.random.default_rng(1)
    n_pre, n_post, p, blocks = 300, 200, 0.05, 20
    block, pre, post = bernoulli_pairs(n_pre, n_post, p, rng, n_blocks=blocks)
    total = blocks * n_pre * n_post
    mean, sd = total * p, math.sqrt(total * p * (1 - p))
    assert abs(block.size - mean) < 5 * sd
    flat = (block * n_pre + pre) * n_post + post
    assert np.unique(flat).size == flat.size  # no duplicate synapse
    # every pre neuron's out-degree ~ Binomial(blocks * n_post, p): chi-square-like check
    deg = np.bincount(pre, minlength=n_pre)
    expected = blocks * n_post * p
    assert abs(deg.mean() - expected) < 0.05 * expected
    assert deg.var() == pytest.approx(expected * (1 - p), rel=0.25)


def test_tile_blocks_keeps_blocks_apart():
    i, j = tile_blocks(np.array([0, 2]), np.array([1, 0]), n_blocks=3, block_size=5)
    np.testing.assert_array_equal(i, [0, 2, 5, 7, 10, 12])
    np.testing.assert_array_equal(j, [1, 0, 6, 5, 11, 10])


def test_bin_spike_table_matches_slow_reference():
    rng = np.random.default_rng(2)
    n_trials, n_neurons, n_bins, w = 3, 4, 6, 0.005
    i = rng.integers(0, n_trials * n_neurons, 500)
    t = np.round(rng.uniform(0, n_bins * w + 0.01, 500) / 1e-4) * 1e-4
    table = spike_table(i, t, n_neurons)
    fast = bin_spike_table(table, n_trials, n_neurons, n_bins, w)
    slow = np.zeros_like(fast)
    for gi, ti in zip(i, t):
        k = int(round(ti / 1e-4)) // int(round(w / 1e-4))
        if k < n_bins:
            slow[gi // n_neurons, k, gi % n_neurons] += 1
    np.testing.assert_array_equal(fast, slow)


# ---------------------------------------------------------------- terminal sets
@pytest.fixture(params=["numpy", "torch"])
def xp(request):
    if request.param == "numpy":
        return lambda a: np.asarray(a, dtype=float)
    torch = pytest.importorskip("torch")
    return lambda a: torch.as_tensor(np.asarray(a, dtype=float))


def test_energy_budget_closed_form(xp):
    e = SpikingEnergyBudget(max_energy=0.5, threshold=5.0)
    obs = xp([[10.0, 10.0], [1.0, 1.0]])
    aux = e.initial_aux(obs, (2,))
    for _ in range(40):  # 40 periods of 5 ms at 15 Hz and 4 Hz
        aux = e.update_aux(aux, obs, xp([15.0, 4.0]), 0.005)
    np.testing.assert_allclose(np.asarray(aux)[:, 0], [(15 - 5) * 0.005 * 40, 0.0])
    np.testing.assert_array_equal(np.asarray(e.is_terminal(obs, aux)), [True, False])


def test_energy_leak_closed_form(xp):
    e = SpikingEnergyBudget(max_energy=1.0, time_constant=0.1)
    aux = e.update_aux(xp([[0.4]]), xp([[1.0]]), xp([0.0]), 0.01)
    np.testing.assert_allclose(np.asarray(aux)[0, 0], 0.4 * math.exp(-0.1))


def test_rate_box_projection(xp):
    box = RateBox(low=[0, -5], high=[20, 5], projection=[[1, 0, 0], [1, -1, 0]])
    obs = xp([[10, 8, 0], [10, 20, 0], [25, 24, 0]])
    np.testing.assert_array_equal(np.asarray(box.is_terminal(obs, None)), [False, True, True])


def test_quiescence_runaway_and_union(xp):
    s = Quiescence(1.0) | Runaway(100.0) | SpikingEnergyBudget(2.0)
    assert isinstance(s, AnyOf) and s.aux_names == ("energy",)
    obs = xp([[0.5, 0.2], [5.0, 3.0], [5.0, 150.0], [5.0, 3.0]])
    aux = xp([[0.0], [0.0], [0.0], [3.0]])
    np.testing.assert_array_equal(np.asarray(s.is_terminal(obs, aux)), [True, False, True, True])


def test_runaway_catches_nan():
    assert Runaway(10.0).is_terminal(np.array([[np.nan, 1.0]]), None)[0]


@pytest.mark.parametrize(("kwargs", "match"), [
    ({"low": [0, 0], "high": [1]}, "2 entries"),
    ({"low": [0, 2], "high": [1, 1]}, "low must be < high"),
])
def test_rate_box_invalid(kwargs, match):
    with pytest.raises(ValueError, match=match):
        RateBox(**kwargs)


def test_energy_budget_invalid():
    with pytest.raises(ValueError, match="max_energy must be > 0"):
        SpikingEnergyBudget(max_energy=-1.0)


def test_frozen_gc_is_scoped():
    import gc

    assert gc.get_freeze_count() == 0
    with brian_setup.frozen_gc() as frozen:
        assert frozen and gc.get_freeze_count() > 0
    assert gc.get_freeze_count() == 0


def test_frozen_gc_keeps_the_callers_freeze():
    import gc

    gc.freeze()
    try:
        count = gc.get_freeze_count()
        with brian_setup.frozen_gc() as frozen:
            assert not frozen
        # still frozen (not unfrozen to 0) and nothing added; frozen objects that die meanwhile
        # (e.g. a finished thread's) leave the permanent generation, so the count may drop
        assert 0 < gc.get_freeze_count() <= count
    finally:
        gc.unfreeze()


@pytest.mark.parametrize(("tau_ref", "dt"), [(2.0, 0.1), (0.0, 0.1), (2.05, 0.1), (1.0, 0.05)])
def test_refractory_condition_matches_brian_timestep_rule(tau_ref, dt):
    """``(t - lastspike) < T_refractory`` decides as Brian's
    ``timestep(t - lastspike, dt) >= timestep(tau_ref, dt)`` on every step of a long run."""
    dt_s, ref_s = dt * 1e-3, tau_ref * 1e-3

    def timestep(x):  # Brian's definition
        return np.floor((x + 1e-3 * dt_s) / dt_s).astype(np.int64)

    k_ref = int((ref_s + 1e-3 * dt_s) / dt_s)
    t_refractory = (k_ref - 1e-3) * dt_s  # as build_network sets it
    rng = np.random.default_rng(0)
    spike_step = rng.integers(0, 10**7, 20_000)  # spikes up to 1000 s into a run
    since = np.arange(0, 3 * max(k_ref, 1) + 3)
    t = (spike_step[:, None] + since[None, :]) * dt_s  # clock time = timestep * dt
    lastspike = (spike_step * dt_s)[:, None]
    brian = timestep(t - lastspike) >= timestep(np.float64(ref_s))
    ours = ~((t - lastspike) < t_refractory)
    np.testing.assert_array_equal(ours, brian)
    np.testing.assert_array_equal(brian, np.broadcast_to(since >= k_ref, brian.shape))
