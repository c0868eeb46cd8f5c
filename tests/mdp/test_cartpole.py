"""Grid cartpole: dynamics, interpolation, Bellman operator vs a loop reference, behaviour."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.interpolate import RegularGridInterpolator

from neuromop.mdp.worlds.cartpole import (
    CartpoleGrid,
    CartpoleParams,
    cartpole_step,
    solve_cartpole_grid,
)
from neuromop.mdp.worlds.cartpole_rollout import simulate_cartpole

P = CartpoleParams()


def test_upright_rest_is_an_equilibrium_without_force():
    np.testing.assert_allclose(cartpole_step(np.zeros(4), 0.0, P), 0.0)


def test_step_matches_hand_computed_euler_update():
    th, w, v, x, f = 0.1, -0.5, 0.3, 0.2, 10.0
    a = 1 / (P.M + P.m)
    acc = (P.g * np.sin(th) + a * np.cos(th) * f - P.m * a * w**2 * P.l * np.sin(2 * th) / 2) / (
        P.l * (4 / 3 - P.m * a * np.cos(th) ** 2))
    acc_x = (4 / 3 * P.l * acc - P.g * np.sin(th)) / np.cos(th)
    expected = [th + w * P.dt, w + acc * P.dt, v + acc_x * P.dt, x + v * P.dt]
    np.testing.assert_allclose(cartpole_step(np.array([th, w, v, x]), f, P), expected)


def test_nominal_state_count_includes_the_dead_layer():
    assert CartpoleGrid(41).n_states == 2 * 41**4
    assert CartpoleGrid((5, 7, 9, 11)).n_grid == 5 * 7 * 9 * 11


def test_interpolation_is_exact_for_multilinear_functions():
    grid = CartpoleGrid(9)
    rng = np.random.default_rng(0)
    axes = grid.axes
    # points strictly inside the cells that do not touch terminal grid points
    lo = np.array([axes[0][1], axes[1][0], axes[2][0], axes[3][1]])
    hi = np.array([axes[0][-2], axes[1][-1], axes[2][-1], axes[3][-2]])
    pts = rng.uniform(lo, hi, size=(500, 4))
    c = rng.normal(size=6)

    def f(s):
        return (c[0] + c[1] * s[..., 0] + c[2] * s[..., 1] * s[..., 2] + c[3] * s[..., 3]
                + c[4] * s[..., 0] * s[..., 3] + c[5] * s[..., 0] * s[..., 1] * s[..., 2])

    values = f(grid.grid_states())
    idx, w = grid.corners(pts)
    np.testing.assert_allclose((values[idx] * w).sum(axis=1), f(pts), rtol=1e-5, atol=1e-5)


def test_bellman_backup_matches_loop_reference():
    grid = CartpoleGrid((7, 5, 5, 7))
    rng = np.random.default_rng(1)
    V = rng.uniform(0, 10, grid.n_grid)
    V[grid.terminal_mask()] = 0.0
    rows = np.flatnonzero(~grid.terminal_mask())
    ev = (grid.transition_matrix(rows) @ V.astype(np.float32)).reshape(len(P.forces), -1).T
    interp = RegularGridInterpolator(grid.axes, V.reshape(grid.n_points))
    states = grid.grid_states()
    for i, s in enumerate(rows[::7]):  # a loop over a subset is the slow reference
        for a, force in enumerate(P.forces):
            nxt = cartpole_step(states[s], force, P)
            dead = abs(nxt[0]) >= P.theta_max or abs(nxt[3]) >= P.x_max
            ref = 0.0 if dead else float(interp(nxt[None, :])[0])
            assert ev[i * 7, a] == pytest.approx(ref, abs=1e-4)


@pytest.fixture(scope="module")
def solutions():
    return {agent: solve_cartpole_grid(13, agent) for agent in ("mop", "reward")}


def test_solutions_converge_with_zero_value_at_terminal_points(solutions):
    for sol in solutions.values():
        assert sol.converged
        assert np.all(sol.V.ravel()[sol.grid.terminal_mask()] == 0)
        np.testing.assert_allclose(sol.policy.sum(axis=-1), 1.0)
    assert solutions["reward"].V.max() <= 1 / (1 - 0.98) + 1e-9
    assert solutions["mop"].V.max() <= np.log(5) / (1 - 0.98) + 1e-9


def test_mop_balances_far_longer_than_a_random_policy(solutions):
    mop = simulate_cartpole(solutions["mop"], n_trials=10, n_steps=1000, random_state=0)
    rnd = simulate_cartpole(None, n_trials=10, n_steps=1000, random_state=0)
    assert int(mop.lifetime.min()) > 5 * int(rnd.lifetime.max())


def test_mop_is_more_variable_than_reward_agent(solutions):
    mop = simulate_cartpole(solutions["mop"], n_trials=5, n_steps=500, random_state=1)
    rew = simulate_cartpole(solutions["reward"], n_trials=5, n_steps=500, random_state=1)
    alive_m, alive_r = ~mop.terminated, ~rew.terminated
    h_mop = float(mop.action_entropy.where(alive_m).mean())
    h_rew = float(rew.action_entropy.where(alive_r).mean())
    assert h_mop > h_rew
    assert float(mop.theta.where(alive_m).std()) > float(rew.theta.where(alive_r).std())


def test_solution_dataset_is_labelled(solutions):
    ds = solutions["mop"].to_dataset()
    assert ds["Q"].dims == ("theta", "omega", "v", "x", "force")
    assert ds["force"].values.tolist() == list(P.forces)
    assert ds.attrs["created_by"].endswith("solve_cartpole_grid")


@pytest.mark.parametrize(
    ("kwargs", "exc"),
    [({"agent": "maxent"}, ValueError), ({"gamma": 1.0}, ValueError), ({"alpha": 0}, ValueError),
     ({"n_points": 2}, ValueError), ({"tol": -1.0}, ValueError), ({"n_points": 5.5}, TypeError)],
)
def test_bad_arguments_are_rejected(kwargs, exc):
    with pytest.raises(exc):
        solve_cartpole_grid(**{"n_points": 5, **kwargs})
