"""The stochastic half arena of the grid cartpole and rollouts streamed in bounded memory."""

from __future__ import annotations

import tracemalloc

import numpy as np
import pytest
from scipy.interpolate import RegularGridInterpolator

from neuromop.mdp.worlds.cartpole import CartpoleParams, cartpole_step, solve_cartpole_grid
from neuromop.mdp.worlds.cartpole_rollout import cartpole_statistics, simulate_cartpole


def _loop_backup(sol, beta: float, convention: str, dead_entropy: bool = False
                 ) -> tuple[np.ndarray, np.ndarray]:
    """T(V) at every alive grid state, with loops and an independent interpolator (reference).

    With ``dead_entropy`` a dead successor on the noisy half (x > 0) is worth
    ``beta H(eta) / (1 - gamma)``, and so is the interpolation weight on terminal corners."""
    grid, p = sol.grid, sol.grid.params
    interp = RegularGridInterpolator(grid.axes, sol.V)
    alive = RegularGridInterpolator(grid.axes, (~grid.terminal_mask()).reshape(
        grid.n_points).astype(float))
    states = grid.grid_states()
    rows = np.flatnonzero(~grid.terminal_mask())
    gamma, alpha = sol.params["gamma"], sol.params["alpha"]
    h_eta = -(p.eta * np.log(p.eta) + (1 - p.eta) * np.log(1 - p.eta))
    worth = beta * h_eta / (1 - gamma) if dead_entropy else 0.0
    out = np.empty(len(rows))
    for k, i in enumerate(rows):
        s = states[i]
        eta = p.eta if s[3] > 0 else 0.0

        def value(nxt):
            dead = abs(nxt[0]) >= p.theta_max - 1e-12 or abs(nxt[3]) >= p.x_max - 1e-12
            bonus = worth if nxt[3] > 0 else 0.0
            if dead:
                return bonus
            lost = 1.0 - float(alive(nxt[None, :])[0])
            return float(interp(nxt[None, :])[0]) + bonus * lost

        v0 = value(cartpole_step(s, 0.0, p))
        exps = []
        for f in p.forces:
            outcomes = {f: 1 - eta}
            outcomes[0.0] = outcomes.get(0.0, 0.0) + eta  # the replaced force, merged if same
            if convention == "authors":
                probs = [1 - eta, eta]
            else:
                probs = list(outcomes.values())
            h = -sum(q * np.log(q) for q in probs if q > 0)
            ev = (1 - eta) * value(cartpole_step(s, f, p)) + eta * v0
            exps.append((beta * h + gamma * ev) / alpha)
        out[k] = alpha * np.logaddexp.reduce(exps)
    return rows, out


@pytest.mark.parametrize(("convention", "dead_entropy"), [("package", False),
                                                         ("authors", False),
                                                         ("authors", True)])
def test_half_arena_solution_is_a_fixed_point_of_a_loop_bellman_operator(convention,
                                                                         dead_entropy):
    p = CartpoleParams.preset("authors-half-arena", eta=0.4)
    sol = solve_cartpole_grid((7, 5, 5, 7), "mop", beta=1.0, gamma=0.9, tol=1e-6, params=p,
                              convention=convention, dead_entropy=dead_entropy)
    rows, ref = _loop_backup(sol, 1.0, convention, dead_entropy)
    np.testing.assert_allclose(sol.V.ravel()[rows], ref, atol=1e-3)


def test_the_dead_layer_raises_values_near_the_noisy_border_only():
    p = CartpoleParams.preset("authors-half-arena", eta=0.4)
    kw = dict(beta=1.0, gamma=0.9, tol=1e-6, params=p, convention="authors")
    a = solve_cartpole_grid((7, 5, 5, 7), "mop", **kw)
    b = solve_cartpole_grid((7, 5, 5, 7), "mop", dead_entropy=True, **kw)
    gain = (b.V - a.V)[..., 1:-1]  # alive x columns
    assert np.all(gain >= -1e-9) and gain.max() > 1.0
    # without noise, without beta or for the R agent there is nothing to collect
    for extra in (dict(beta=0.0), dict(params=CartpoleParams.preset("authors-half-arena"))):
        c = solve_cartpole_grid((7, 5, 5, 7), "mop", **{**kw, **extra})
        d = solve_cartpole_grid((7, 5, 5, 7), "mop", dead_entropy=True, **{**kw, **extra})
        np.testing.assert_array_equal(c.V, d.V)


def test_conventions_differ_only_through_the_zero_force_entropy():
    p = CartpoleParams.preset("authors-half-arena", eta=0.4)
    a = solve_cartpole_grid((7, 5, 5, 7), "mop", beta=1.0, gamma=0.9, tol=1e-6, params=p)
    b = solve_cartpole_grid((7, 5, 5, 7), "mop", beta=1.0, gamma=0.9, tol=1e-6, params=p,
                            convention="authors")
    assert np.all(b.V >= a.V - 1e-6) and np.any(b.V > a.V + 1e-3)
    c = solve_cartpole_grid((7, 5, 5, 7), "mop", beta=0.0, gamma=0.9, tol=1e-6, params=p,
                            convention="authors")
    d = solve_cartpole_grid((7, 5, 5, 7), "mop", beta=0.0, gamma=0.9, tol=1e-6, params=p)
    np.testing.assert_array_equal(c.V, d.V)


def test_beta_has_no_effect_in_the_deterministic_world():
    a = solve_cartpole_grid(7, "mop", beta=0.0, gamma=0.95)
    b = solve_cartpole_grid(7, "mop", beta=2.0, gamma=0.95)
    np.testing.assert_array_equal(a.V, b.V)


def test_noise_lowers_the_reward_agents_value_on_the_noisy_half_only():
    det = solve_cartpole_grid((7, 5, 5, 9), "reward", gamma=0.9, tol=1e-6)
    noisy = solve_cartpole_grid((7, 5, 5, 9), "reward", gamma=0.9, tol=1e-6,
                                params=CartpoleParams(eta=0.8))
    assert np.all(noisy.V <= det.V + 1e-6)
    assert np.any(noisy.V < det.V - 1e-3)


def test_statistics_stream_the_same_rollout_as_the_trajectories():
    sol = solve_cartpole_grid(9, "mop", beta=1.0, gamma=0.95,
                              params=CartpoleParams.preset("authors-half-arena", eta=0.5))
    start = np.tile([0.0, 0.0, 0.0, 0.3], (12, 1))
    start[:, 0] = np.linspace(-0.05, 0.05, 12)
    traj = simulate_cartpole(sol, 12, 300, start=start, random_state=5)
    stats = cartpole_statistics(sol, 12, 300, start=start, batch_size=12, n_windows=3,
                                random_state=5)
    alive = ~traj["terminated"]
    np.testing.assert_array_equal(stats["lifetime"].values, traj["lifetime"].values)
    frac = ((traj["x"] > 0) & alive).sum("time") / alive.sum("time")
    np.testing.assert_allclose(stats["fraction_noisy_half"].values, frac.values)
    ent = traj["action_entropy"].where(alive).mean("time")
    np.testing.assert_allclose(stats["action_entropy"].values, ent.values)
    rep = (traj["replaced"] & alive).sum("time") / alive.sum("time")
    np.testing.assert_allclose(stats["replaced_fraction"].values, rep.values)
    np.testing.assert_array_equal(stats["n_alive"].values, alive.sum("trial").values)
    assert int(stats["occupancy"].sum()) == int(traj["lifetime"].sum())
    assert stats["occupancy"].dims == ("window", "x", "theta")


def test_forces_are_replaced_at_rate_eta_on_the_noisy_half_only():
    p = CartpoleParams(eta=0.5, noisy_half="left")
    start = np.tile([0.0, 0.0, 0.0, -0.5], (400, 1))
    stats = cartpole_statistics(None, 400, 20, start=start, params=p, random_state=0)
    replaced_per_noisy = float(stats["replaced_fraction"].sum()
                               / stats["fraction_noisy_half"].sum())
    assert replaced_per_noisy == pytest.approx(0.5, abs=0.03)
    traj = simulate_cartpole(None, 100, 40, start=[0.0, 0.0, 0.0, 0.2], params=p,
                             random_state=0)
    assert bool(traj["replaced"].any())
    assert not bool((traj["replaced"] & (traj["x"] >= 0)).any())
    assert np.all(traj["force"].values[traj["replaced"].values] == 0.0)


def test_streamed_statistics_take_memory_independent_of_the_horizon():
    def peak(n_steps):
        tracemalloc.start()
        cartpole_statistics(None, 64, n_steps, start=np.zeros(4), batch_size=16,
                            random_state=0)
        _, top = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        return top

    # the random policy falls within ~100 steps; a longer horizon adds the per-step count of
    # trials alive and its time coordinate (8 + 8 bytes per step, plus copies in xarray)
    small, large = peak(1_000), peak(50_000)
    assert large - small < 50 * 49_000  # trajectories would need 64 x 50,000 x 4 x 8 = 102 MB


def test_half_arena_behaviour_at_a_small_grid():
    """beta = 0 avoids the noise more as eta grows; beta = 1 visits it more than beta = 0.

    Checked on a 15^4 grid, gamma = 0.99, 40 trials of 1,500 steps from x = -0.9 (seed 0).
    """
    def fraction(beta, eta):
        p = CartpoleParams.preset("authors-half-arena", eta=eta)
        sol = solve_cartpole_grid(15, "mop", beta=beta, gamma=0.99, tol=1e-2, params=p)
        return float(cartpole_statistics(sol, 40, 1500, start=[0, 0, 0, -0.9],
                                         random_state=0)["fraction_noisy_half"].mean())

    b0 = [fraction(0.0, eta) for eta in (0.0, 0.3, 0.6)]
    assert b0[0] > b0[1] > b0[2]
    assert fraction(1.0, 0.3) > b0[1]


@pytest.mark.parametrize(
    ("call", "exc", "match"),
    [
        (lambda: CartpoleParams(eta=1.5), ValueError, "eta"),
        (lambda: CartpoleParams(eta=0.2, forces=(-10.0, 10.0)), ValueError, "forces"),
        (lambda: CartpoleParams(noisy_half="top"), ValueError, "noisy_half"),
        (lambda: CartpoleParams.preset("mine"), ValueError, "name"),
        (lambda: solve_cartpole_grid(5, beta=-1.0), ValueError, "beta"),
        (lambda: solve_cartpole_grid(5, convention="x"), ValueError, "convention"),
        (lambda: cartpole_statistics(None, 4, 10, batch_size=0), ValueError, "batch_size"),
        (lambda: cartpole_statistics(None, 4, 10, n_windows=11), ValueError, "n_windows"),
        (lambda: cartpole_statistics(None, 4, 10, start=np.zeros((3, 4))), ValueError, "start"),
        (lambda: simulate_cartpole(solve_cartpole_grid(5, max_sweeps=3), 2, 5,
                                   params=CartpoleParams(eta=0.1)), ValueError, "params"),
    ],
)
def test_bad_half_arena_arguments_are_refused(call, exc, match):
    with pytest.raises(exc, match=match):
        call()
