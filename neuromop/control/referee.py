"""The exact solution as referee of fitted value iteration on the continuous cartpole.

The continuous cartpole (:class:`~neuromop.envs.ContinuousCartpoleEnv`) and the grid cartpole
(:mod:`neuromop.mdp.worlds.cartpole`) share their physics, forces and terminal set, so the value
a :class:`~neuromop.control.NeuroMOPController` learns by fitted value iteration (alpha = 1,
beta = 0, deterministic) estimates the same function as the exact grid solution with the same
discount. :func:`cartpole_value_agreement` compares them where it matters, on the states the
fitted controller visits: the rank correlation of the two values, their scale, and how long the
two policies keep the pole up from the same starts. A fitted network that does not rank the
visited states as the exact value does has not learned the task, whatever its lifetimes say.

For any deterministic env of at most 4 state dimensions (e.g. a 2-neuron rate RNN in a
square), :func:`grid_mdp_from_env` turns the env's own model into a finite MDP on a grid and
:func:`exact_value_agreement` referees a fitted controller with its exact tabular solution.
"""

from __future__ import annotations

import numpy as np
import torch
import xarray as xr
from scipy import stats

from neuromop._checks import MAX_SIZE, check_finite_array, check_int
from neuromop._provenance import provenance
from neuromop._random import spawn, torch_generator
from neuromop.control.rollout import rollout, summarize_rollout
from neuromop.envs.base import ModelBasedVectorEnv
from neuromop.mdp.model import FiniteMDP
from neuromop.mdp.worlds.cartpole import CartpoleSolution
from neuromop.mdp.worlds.cartpole_rollout import cartpole_statistics

__all__ = ["cartpole_value_agreement", "cartpole_value_comparison", "exact_value_agreement",
           "grid_mdp_from_env"]


def cartpole_value_agreement(controller, solution: CartpoleSolution, *, n_trials: int = 64,
                             n_steps: int = 500, max_states: int = 20_000,
                             random_state=0) -> xr.Dataset:
    """Compare a fitted cartpole controller with the exact grid solution of the same problem.

    Parameters
    ----------
    controller : FittedValueController
        Trained on a :class:`~neuromop.envs.ContinuousCartpoleEnv` (``controller.env``).
    solution : CartpoleSolution
        :func:`~neuromop.mdp.worlds.solve_cartpole_grid` with the env's physics, the
        controller's discount and its agent (``"mop"`` for a NeuroMOP controller).
    n_trials, n_steps : int
        Rollouts of both policies from the same starts (drawn by the env) and their length.
    max_states : int
        Largest number of visited alive states the values are compared on (a seeded subsample).
    random_state : int, SeedSequence or numpy Generator
        Seed of the starts, the two rollouts and the subsample.

    Returns
    -------
    xr.Dataset
        ``spearman`` and ``pearson`` correlations of the fitted and the exact value over the
        visited states, ``value_fitted_mean`` and ``value_exact_mean`` (nats), ``n_states``;
        per ``policy`` (``fitted``, ``exact``): ``lifetime_mean`` (steps) and ``survival``
        (fraction alive after ``n_steps``); ``value_fitted`` and ``value_exact`` along
        ``state``.
    """
    env = _check_cartpole_pair(controller, solution)
    n_trials = check_int("n_trials", n_trials, low=1, high=MAX_SIZE)
    n_steps = check_int("n_steps", n_steps, low=1, high=MAX_SIZE)
    check_int("n_trials x n_steps", n_trials * n_steps, high=MAX_SIZE)
    max_states = check_int("max_states", max_states, low=2, high=MAX_SIZE)
    start_seed, roll_seed, exact_seed, sub_seed = spawn(random_state, 4)
    starts = env.initial_states(n_trials, torch_generator(start_seed))
    ds = rollout(env, controller, n_steps, n_trials=n_trials, random_state=roll_seed,
                 initial_states=starts)
    alive = ds["alive"].values
    states = ds["activity"].values[alive]  # (N, 4): theta, omega, v, x
    rng = np.random.default_rng(sub_seed)
    if len(states) > max_states:
        states = states[rng.choice(len(states), max_states, replace=False)]
    if len(states) < 2:
        raise ValueError("the fitted controller visited fewer than 2 alive states; nothing to "
                         "compare")
    compared = cartpole_value_comparison(controller, solution, states)
    v_fit, v_exact = compared.pop("value_fitted"), compared.pop("value_exact")
    exact = cartpole_statistics(solution, n_trials, n_steps, start=starts.numpy().astype(float),
                                random_state=exact_seed, n_windows=1)
    life = {"fitted": ds["lifetime"].values.astype(float),
            "exact": exact["lifetime"].values.astype(float)}
    out = xr.Dataset(
        {
            "spearman": compared["spearman"],
            "pearson": compared["pearson"],
            "value_fitted_mean": ((), compared["value_fitted_mean"], {"units": "nats"}),
            "value_exact_mean": ((), compared["value_exact_mean"], {"units": "nats"}),
            "n_states": len(states),
            "lifetime_mean": ("policy", [life[k].mean() for k in ("fitted", "exact")],
                              {"units": "steps"}),
            "survival": ("policy", [float(np.mean(life[k] >= n_steps))
                                    for k in ("fitted", "exact")]),
            "value_fitted": ("state", v_fit, {"units": "nats"}),
            "value_exact": ("state", v_exact, {"units": "nats"}),
        },
        coords={"policy": ["fitted", "exact"], "state": np.arange(len(states))},
    )
    out.attrs.update(provenance("neuromop.control.referee.cartpole_value_agreement",
                                n_trials=n_trials, n_steps=n_steps,
                                grid=list(solution.grid.n_points), gamma=solution.params["gamma"],
                                controller=repr(controller)))
    return out


def _check_cartpole_pair(controller, solution) -> ModelBasedVectorEnv:
    """``controller.env`` after checking that the controller and the solution are of the same
    cartpole problem (physics and discount)."""
    from neuromop.envs.cartpole import ContinuousCartpoleEnv

    env = getattr(controller, "env", None)
    if not isinstance(env, ContinuousCartpoleEnv):
        raise TypeError("controller must be a fitted controller of a ContinuousCartpoleEnv "
                        f"(controller.env), got {type(env).__name__}")
    if not hasattr(controller, "value_net_"):
        raise TypeError(f"controller must have a value network (value_net_), got "
                        f"{type(controller).__name__}")
    if not isinstance(solution, CartpoleSolution):
        raise TypeError(f"solution must be a CartpoleSolution, got {type(solution).__name__}")
    if solution.grid.params != env.params:
        raise ValueError("solution was solved for other physics than the controller's env "
                         f"(solution: {solution.grid.params}, env: {env.params})")
    gamma = getattr(controller, "gamma", None)
    if gamma is not None and not np.isclose(gamma, solution.params["gamma"]):
        raise ValueError(f"solution's gamma={solution.params['gamma']} differs from the "
                         f"controller's gamma={gamma}")
    return env


def cartpole_value_comparison(controller, solution: CartpoleSolution, states) -> dict:
    """The fitted and the exact cartpole value on given states, and how they agree.

    Parameters
    ----------
    controller : FittedValueController
        A fitted cartpole controller (``controller.value``).
    solution : CartpoleSolution
        The exact grid solution of the same physics and discount.
    states : array_like, shape (N, 4)
        Alive continuous states ``(theta, omega, v, x)``, N >= 2.

    Returns
    -------
    dict
        ``spearman`` and ``pearson`` correlations of the two values (NaN when either is the
        same on every state, e.g. all states terminal or on one grid cell), ``value_fitted_mean``,
        ``value_exact_mean`` and ``value_excess`` (their difference; nats for MOP, steps for R)
        as floats; ``value_fitted`` and ``value_exact`` (float arrays, shape (N,)).
    """
    _check_cartpole_pair(controller, solution)
    states = check_finite_array("states", states, ndim=2)
    if states.shape[1] != 4 or len(states) < 2:
        raise ValueError(f"states must have shape (N >= 2, 4) (theta, omega, v, x), got "
                         f"{states.shape}")
    p = solution.grid.params
    bounds = np.array([p.theta_max, p.omega_max, p.v_max, p.x_max])
    if (np.abs(states) > bounds).any():
        raise ValueError(f"states must lie in the arena, |theta, omega, v, x| <= {bounds.tolist()}"
                         f", got up to {np.abs(states).max(axis=0).tolist()}")
    v_fit = controller.value(torch.as_tensor(states, dtype=torch.float32)).numpy().astype(float)
    v_exact = np.asarray(solution.value(states), dtype=float)
    varied = np.ptp(v_fit) > 0 and np.ptp(v_exact) > 0
    return {"spearman": float(stats.spearmanr(v_fit, v_exact).statistic) if varied else np.nan,
            "pearson": float(np.corrcoef(v_fit, v_exact)[0, 1]) if varied else np.nan,
            "value_fitted_mean": float(v_fit.mean()), "value_exact_mean": float(v_exact.mean()),
            "value_excess": float(v_fit.mean() - v_exact.mean()),
            "value_fitted": v_fit, "value_exact": v_exact}


def grid_mdp_from_env(env, axes) -> tuple[FiniteMDP, np.ndarray]:
    """The exact model of a deterministic low-dimensional env as a finite MDP on a grid.

    Every grid point's successor under every candidate action comes from ``env.predict`` (the
    env's own model); a successor between grid points goes to the ``2^D`` surrounding points
    with its multilinear interpolation weights as probabilities, so that
    ``E[V(s')] = V(interpolated successor)``, the interpolating value iteration of the grid
    cartpole. Terminal successors go to one absorbing dead state (the last state, value 0).

    Parameters
    ----------
    env : ModelBasedVectorEnv
        Deterministic (``noise_std == 0`` where the env has noise), ``state_dim`` <= 4.
    axes : sequence of 1-D arrays
        Increasing, evenly spaced grid coordinates, one per state dimension (at least 2 each).

    Returns
    -------
    mdp : FiniteMDP
        ``prod(len(axes))`` grid states (C order) plus the dead state; ``env.n_candidates``
        actions; grid points that are terminal are terminal.
    states : ndarray, shape (n_grid, state_dim)
        The grid points.
    """
    if not isinstance(env, ModelBasedVectorEnv):
        raise TypeError(f"env must be a ModelBasedVectorEnv, got {type(env).__name__}")
    if getattr(env, "noise_std", 0.0):
        raise ValueError(f"env must be deterministic for an exact grid model, got noise_std="
                         f"{env.noise_std}")
    D = env.state_dim
    if not isinstance(axes, list | tuple) or len(axes) != D:
        raise ValueError(f"axes must be a list of {D} grids, one per state dimension, got "
                         f"{type(axes).__name__}")
    if D > 4:
        raise ValueError(f"an exact grid model needs state_dim <= 4, got {D}")
    axs = []
    for d, ax in enumerate(axes):
        a = check_finite_array(f"axes[{d}]", ax, ndim=1)
        if a.size < 2 or not np.allclose(np.diff(a), a[1] - a[0]) or a[1] <= a[0]:
            raise ValueError(f"axes[{d}] must be increasing and evenly spaced with >= 2 points")
        axs.append(a)
    shape = tuple(len(a) for a in axs)
    G = int(np.prod(shape))
    check_int("the grid size", G * env.n_candidates * 2**D, high=MAX_SIZE)
    mesh = np.meshgrid(*axs, indexing="ij")
    states = np.stack([m.ravel() for m in mesh], axis=1)
    with torch.no_grad():
        s_t = torch.as_tensor(states, dtype=torch.float32)
        nxt = env.predict(s_t).numpy().astype(float)  # (G, K, D)
        dead_grid = env.is_terminal(s_t).numpy()
        dead_next = env.is_terminal(torch.as_tensor(nxt, dtype=torch.float32)).numpy()
    K = nxt.shape[1]
    strides = np.cumprod((1,) + shape[::-1])[::-1][1:]
    flat = nxt.reshape(-1, D)
    base = np.zeros(len(flat), dtype=np.int64)
    frac = np.empty((len(flat), D))
    for d, ax in enumerate(axs):
        pos = (np.clip(flat[:, d], ax[0], ax[-1]) - ax[0]) / (ax[1] - ax[0])
        i0 = np.clip(np.floor(pos).astype(np.int64), 0, len(ax) - 2)
        frac[:, d] = np.clip(pos - i0, 0.0, 1.0)  # (hi - lo) / step can exceed n - 1 by ulps
        base += i0 * strides[d]
    bits = (np.arange(2**D)[:, None] >> np.arange(D)[None, :]) & 1
    idx = base[:, None] + (bits * strides[None, :]).sum(axis=1)[None, :]
    w = np.ones((len(flat), 2**D))
    for d in range(D):
        w *= np.where(bits[None, :, d] == 1, frac[:, d, None], 1.0 - frac[:, d, None])
    idx = idx.reshape(G, K, 2**D)
    w = w.reshape(G, K, 2**D)
    dead = G
    idx[dead_next] = dead
    w[dead_next] = 0.0
    w[dead_next, 0] = 1.0
    next_states = np.full((G + 1, K, 2**D), dead, dtype=np.int64)
    probs = np.zeros((G + 1, K, 2**D))
    next_states[:G], probs[:G] = idx, w
    terminal = np.zeros(G + 1, dtype=bool)
    terminal[:G] = dead_grid
    terminal[G] = True
    mask = np.ones((G + 1, K), dtype=bool)
    for s in np.flatnonzero(terminal):  # absorbing, one no-op
        next_states[s] = s
        probs[s] = 0.0
        probs[s, 0, 0] = 1.0
        mask[s] = False
        mask[s, 0] = True
    mdp = FiniteMDP.from_arrays(next_states, probs, action_mask=mask, terminal=terminal,
                                name="grid model of " + type(env).__name__)
    return mdp, states


def exact_value_agreement(controller, axes, *, n_trials: int = 64, n_steps: int = 500,
                          tol: float = 1e-6, max_states: int = 20_000,
                          random_state=0) -> xr.Dataset:
    """Compare a fitted MOP or R controller with the exact value of its env on a grid.

    The env (``controller.env``) is turned into a finite MDP by :func:`grid_mdp_from_env` and
    solved exactly with the package's tabular solver (MOP with the controller's alpha, beta = 0
    and gamma; R with its epsilon and +1 per step alive). The exact value, interpolated at the
    states the controller visits in ``n_trials`` rollouts, is compared with the fitted one.

    The exact policy (the controller's own rule — MOP's softmax over ``gamma V(x') / alpha`` or
    R's epsilon-greedy choice — applied to the exact value interpolated at the successors) is
    rolled out from the fitted controller's starts, so the two survivals compare policies, not
    starts: a start from which no policy survives (e.g. an energy already too high to shed)
    costs both.

    Returns
    -------
    xr.Dataset
        ``spearman``, ``pearson``, ``value_fitted_mean``, ``value_exact_mean`` (nats for MOP,
        steps for R), ``n_states``, ``sweeps``; per ``policy`` (``fitted``, ``exact``):
        ``lifetime_mean`` (steps), ``survival`` (fraction alive after ``n_steps``) and the
        rollouts' ``activity_std``, ``participation_ratio`` and ``action_entropy`` (nats), as
        :func:`~neuromop.control.summarize_rollout` defines them;
        ``value_fitted`` and ``value_exact`` along ``state``.
    """
    from scipy.interpolate import RegularGridInterpolator

    from neuromop.control.mop import NeuroMOPController
    from neuromop.control.reward import RewardController
    from neuromop.mdp.solvers import solve_mop, solve_reward

    if not isinstance(controller, NeuroMOPController | RewardController):
        raise TypeError(f"controller must be a NeuroMOPController or RewardController, got "
                        f"{type(controller).__name__}")
    if isinstance(controller, NeuroMOPController) and (controller.beta or controller.mu):
        raise ValueError("the grid referee solves MOP with beta = 0 and no extrinsic reward; "
                         f"got beta={controller.beta}, mu={controller.mu}")
    n_trials = check_int("n_trials", n_trials, low=1, high=MAX_SIZE)
    n_steps = check_int("n_steps", n_steps, low=1, high=MAX_SIZE)
    max_states = check_int("max_states", max_states, low=2, high=MAX_SIZE)
    env = controller.env
    mdp, grid_states = grid_mdp_from_env(env, axes)
    if isinstance(controller, NeuroMOPController):
        sol = solve_mop(mdp, alpha=controller.alpha, beta=0.0, gamma=controller.gamma, tol=tol)
    else:
        sol = solve_reward(mdp, epsilon=controller.epsilon, gamma=controller.gamma, tol=tol)
    shape = tuple(len(a) for a in axes)
    V = np.asarray(sol.V)[: len(grid_states)].reshape(shape)
    interp = RegularGridInterpolator([np.asarray(a, float) for a in axes], V)
    roll_seed, sub_seed, exact_seed = spawn(random_state, 3)
    ds = rollout(env, controller, n_steps, n_trials=n_trials, random_state=roll_seed)
    alive = ds["alive"].values
    states = _visited_states(env, ds, alive)
    lo = np.array([a[0] for a in axes])
    hi = np.array([a[-1] for a in axes])
    starts = torch.as_tensor(_visited_states(env, ds.isel(time=[0]),
                                             np.ones((n_trials, 1), dtype=bool)),
                             dtype=torch.float32)
    exact = rollout(env, _ExactGridPolicy(controller, interp, lo, hi), n_steps,
                    n_trials=n_trials, random_state=exact_seed, initial_states=starts)
    life = {"fitted": ds["lifetime"].values.astype(float),
            "exact": exact["lifetime"].values.astype(float)}
    summaries = [summarize_rollout(ds), summarize_rollout(exact)]  # fitted, exact
    rng = np.random.default_rng(sub_seed)
    if len(states) > max_states:
        states = states[rng.choice(len(states), max_states, replace=False)]
    if len(states) < 2:
        raise ValueError("the controller visited fewer than 2 alive states; nothing to compare")
    v_exact = interp(np.clip(states, lo, hi))
    v_fit = controller.value(torch.as_tensor(states, dtype=torch.float32)).numpy().astype(float)
    out = xr.Dataset(
        {
            "spearman": float(stats.spearmanr(v_fit, v_exact).statistic),
            "pearson": float(np.corrcoef(v_fit, v_exact)[0, 1]),
            "value_fitted_mean": ((), float(v_fit.mean())),
            "value_exact_mean": ((), float(v_exact.mean())),
            "n_states": len(states),
            "lifetime_mean": ("policy", [life[k].mean() for k in ("fitted", "exact")],
                              {"units": "steps"}),
            "survival": ("policy", [float(np.mean(life[k] >= n_steps))
                                    for k in ("fitted", "exact")]),
            **{key: ("policy", [summary[key] for summary in summaries], attrs)
               for key, attrs in (("activity_std", {"units": "a.u."}),
                                  ("participation_ratio", {}),
                                  ("action_entropy", {"units": "nats"}))},
            "sweeps": int(sol.sweeps),
            "value_fitted": ("state", v_fit),
            "value_exact": ("state", v_exact),
        },
        coords={"policy": ["fitted", "exact"], "state": np.arange(len(states))},
    )
    out.attrs.update(provenance("neuromop.control.referee.exact_value_agreement",
                                n_trials=n_trials, n_steps=n_steps, grid=list(shape),
                                n_grid_states=mdp.n_states, controller=repr(controller)))
    return out


class _ExactGridPolicy:
    """The exact grid value acting through a fitted controller's policy rule: its successors
    from the env's model, their exact value by multilinear interpolation (0 when terminal)."""

    def __init__(self, controller, interp, lo: np.ndarray, hi: np.ndarray) -> None:
        from neuromop.control.mop import NeuroMOPController

        self.controller, self.interp, self.lo, self.hi = controller, interp, lo, hi
        self.softmax = isinstance(controller, NeuroMOPController)

    def action_probabilities(self, states):
        env, ctrl = self.controller.env, self.controller
        with torch.no_grad():
            nxt = env.predict(states)
            term = env.is_terminal(nxt)
        flat = nxt.numpy().astype(float).reshape(-1, nxt.shape[-1])
        v = self.interp(np.clip(flat, self.lo, self.hi)).reshape(term.shape)
        values = torch.as_tensor(v, dtype=torch.float32).masked_fill(term, 0.0)
        if self.softmax:  # MOP with beta = mu = 0 (checked by the referee)
            return torch.softmax(ctrl.gamma * values / ctrl.alpha, dim=-1)
        return ctrl._probabilities_from_successors(values, term, None)


def _visited_states(env, ds: xr.Dataset, alive: np.ndarray) -> np.ndarray:
    """Full env states of the alive steps of a rollout: the activity, plus the energy when the
    env's state carries it (the energy-budget world)."""
    parts = [ds["activity"].values[alive]]
    if env.state_dim == parts[0].shape[1] + 1 and "energy" in ds:
        parts.append(ds["energy"].values[alive][:, None])
    states = np.concatenate(parts, axis=1)
    if states.shape[1] != env.state_dim:
        raise ValueError(f"cannot rebuild the env's {env.state_dim}-d states from its rollout "
                         f"(activity has {parts[0].shape[1]} units)")
    return states
