"""Rollouts: sampling statistics, labels, reductions, and the four-room behaviour of the agents."""

from __future__ import annotations

import numpy as np
import pytest
import xarray as xr

from neuromop.analysis import survival_curve
from neuromop.mdp.model import FiniteMDP
from neuromop.mdp.rollout import (
    arena_coverage,
    energy_histogram,
    occupancy_map,
    rollout,
)
from neuromop.mdp.solvers import solve_mop, solve_reward
from neuromop.mdp.worlds import four_rooms


def chain() -> FiniteMDP:
    """3 states: 0 -(a0)-> {0: .2, 1: .8}; 0 -(a1)-> 2 (terminal); 1 -(a0)-> 0."""
    ns = np.zeros((3, 2, 2), dtype=np.int64)
    p = np.zeros((3, 2, 2))
    ns[0, 0], p[0, 0] = (0, 1), (0.2, 0.8)
    ns[0, 1], p[0, 1] = (2, 0), (1.0, 0.0)
    ns[1, 0], p[1, 0] = (0, 0), (1.0, 0.0)
    ns[2, 0], p[2, 0] = (2, 0), (1.0, 0.0)
    mask = np.array([[True, True], [True, False], [True, False]])
    return FiniteMDP.from_arrays(ns, p, mask, np.array([False, False, True]), name="chain")


def test_action_and_successor_frequencies_match_probabilities():
    mdp = chain()
    pi = np.array([[0.9, 0.1], [1.0, 0.0], [1.0, 0.0]])
    ds = rollout(mdp, pi, start=0, n_trials=4000, n_steps=2, random_state=0)
    a0 = ds.action.isel(time=0).values
    assert abs(np.mean(a0 == 1) - 0.1) < 4 * np.sqrt(0.09 / 4000)
    went = ds.state.isel(time=1).values[a0 == 0]
    assert abs(np.mean(went == 1) - 0.8) < 4 * np.sqrt(0.16 / went.size)
    np.testing.assert_array_equal(ds.state.isel(time=1).values[a0 == 1], 2)


def test_terminal_bookkeeping_and_entropy():
    mdp = chain()
    pi = np.array([[0.5, 0.5], [1.0, 0.0], [1.0, 0.0]])
    ds = rollout(mdp, pi, start=0, n_trials=50, n_steps=30, random_state=1)
    term = ds.terminated.values
    np.testing.assert_array_equal(term, mdp.terminal[ds.state.values])
    assert np.all(ds.action.values[term] == -1)
    assert np.all(np.diff(term.astype(int), axis=1) >= 0)  # absorbing
    h = ds.action_entropy.values
    np.testing.assert_allclose(h[ds.state.values == 0], np.log(2))
    assert np.all(h[ds.state.values == 1] == 0)


def test_rollout_is_reproducible_and_seed_dependent():
    mdp = chain()
    pi = np.array([[0.5, 0.5], [1.0, 0.0], [1.0, 0.0]])
    a = rollout(mdp, pi, start=0, n_trials=20, n_steps=20, random_state=5)
    b = rollout(mdp, pi, start=0, n_trials=20, n_steps=20, random_state=5)
    c = rollout(mdp, pi, start=0, n_trials=20, n_steps=20, random_state=6)
    xr.testing.assert_identical(a.drop_attrs(), b.drop_attrs())
    assert not np.array_equal(a.state.values, c.state.values)


def test_labels_follow_the_world():
    w = four_rooms(capacity=20)
    res = solve_mop(w.mdp)
    ds = rollout(w, res, n_trials=3, n_steps=50, random_state=0)
    x, y, e = w.state_xy_energy(ds.state.values)
    np.testing.assert_array_equal(ds.x.values, x)
    np.testing.assert_array_equal(ds.energy.values, e)
    assert ds.state.isel(time=0).values.tolist() == [w.start_state] * 3
    assert ds.attrs["world"] == "four_rooms" and ds.attrs["agent"] == "mop"
    assert "neuromop_version" in ds.attrs


def test_reductions_are_normalised():
    w = four_rooms(capacity=20)
    res = solve_mop(w.mdp)
    ds = rollout(w, res, n_trials=4, n_steps=200, random_state=0)
    occ = occupancy_map(ds, w)
    assert occ.dims == ("y", "x") and occ.shape == (11, 11)
    assert float(occ.sum()) == pytest.approx(1.0)
    assert float(occ.sel(x=6, y=1)) == 0  # a wall
    per = occupancy_map(ds, w, per_trial=True)
    np.testing.assert_allclose(per.sum(("x", "y")), 1.0)
    cov = arena_coverage(ds, w)
    expected = [len({*zip(ds.x.values[i], ds.y.values[i])}) / 104 for i in range(4)]
    np.testing.assert_allclose(cov.values, expected)
    surv = survival_curve(ds.terminated, dims="trial")
    assert surv.dims == ("time",) and np.all(np.diff(surv.values) <= 0)
    eh = energy_histogram(ds, capacity=20)
    assert float(eh.sum()) == pytest.approx(1.0) and eh.sizes["energy"] == 20


@pytest.mark.parametrize(
    ("policy", "match"),
    [(np.ones((3, 3)), "shape"), (np.array([[0.5, 0.4], [1, 0], [1, 0]]), "sums to"),
     (np.array([[0.5, 0.5], [0.5, 0.5], [1, 0]]), "inadmissible")],
)
def test_bad_policy_is_rejected(policy, match):
    with pytest.raises(ValueError, match=match):
        rollout(chain(), policy, start=0, n_trials=2, n_steps=2)


def test_bare_mdp_needs_start():
    with pytest.raises(ValueError, match="start"):
        rollout(chain(), np.array([[1.0, 0], [1, 0], [1, 0]]), n_trials=2, n_steps=2)


# ------------------------------------------------------- four rooms: the "done" numbers
@pytest.fixture(scope="module", params=[3, 10], ids=["gain3", "gain10"])
def world(request):
    return four_rooms(food_gain=request.param)


def test_mop_agent_survives_and_covers_the_arena(world):
    res = solve_mop(world.mdp, alpha=1.0, beta=0.0, gamma=0.99)
    ds = rollout(world, res, n_trials=10, n_steps=50_000, random_state=11)
    assert not ds.terminated.any()
    assert float(arena_coverage(ds, world).min()) >= 0.99


def test_reward_agent_stays_near_food(world):
    res = solve_reward(world.mdp, epsilon=0.0, gamma=0.99, reward=world.food_reward())
    ds = rollout(world, res, n_trials=10, n_steps=5_000, random_state=12)
    assert not ds.terminated.any()
    assert float(arena_coverage(ds, world).max()) < 0.05


def test_random_walker_dies_within_a_few_hundred_steps(world):
    mask = world.mdp.action_mask
    ds = rollout(world, mask / mask.sum(axis=1, keepdims=True), n_trials=50, n_steps=2_000,
                 random_state=13)
    lifetimes = (~ds.terminated).sum("time")
    assert bool(ds.terminated.isel(time=-1).all())
    assert int(lifetimes.max()) < 1000


def test_figures_draw_from_rollout_reductions(tmp_path):
    import matplotlib.pyplot as plt

    from neuromop.plots.mdp import comparison_figure, plot_occupancy

    w = four_rooms(capacity=20)
    ds = rollout(w, solve_mop(w.mdp), n_trials=2, n_steps=100, random_state=0)
    occ, eh = occupancy_map(ds, w), energy_histogram(ds, 20)
    surv = survival_curve(ds.terminated, dims="trial")
    fig = comparison_figure({"MOP": occ}, {"MOP": surv}, {"MOP": eh}, w)
    assert len(fig.axes) >= 3
    fig.savefig(tmp_path / "cmp.png")
    ax = w.render(values=occ.values[w.free_cells[:, 1] - 1, w.free_cells[:, 0] - 1])
    assert ax.get_xlabel() == "x"
    with pytest.raises(ValueError, match="dims"):
        plot_occupancy(surv)
    plt.close("all")


def test_occupancy_map_ignores_off_grid_dead_state():
    from neuromop.mdp.worlds import predator_prey

    world = predator_prey()
    res = solve_mop(world.mdp, gamma=0.98)
    ds = rollout(world, res, n_trials=4, n_steps=300, random_state=1)
    occ = occupancy_map(ds, world, alive_only=False)
    assert np.isclose(float(occ.sum()), 1.0) and float(occ.min()) >= 0
