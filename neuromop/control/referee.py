"""The exact solution as referee of fitted value iteration on the continuous cartpole.

The continuous cartpole (:class:`~neuromop.envs.ContinuousCartpoleEnv`) and the grid cartpole
(:mod:`neuromop.mdp.worlds.cartpole`) share their physics, forces and terminal set, so the value
a :class:`~neuromop.control.NeuroMOPController` learns by fitted value iteration (alpha = 1,
beta = 0, deterministic) estimates the same function as the exact grid solution with the same
discount. :func:`cartpole_value_agreement` compares them where it matters, on the states the
fitted controller visits: the rank correlation of the two values, their scale, and how long the
two policies keep the pole up from the same starts. A fitted network that does not rank the
visited states as the exact value does has not learned the task, whatever its lifetimes say.
"""

from __future__ import annotations

import numpy as np
import torch
import xarray as xr
from scipy import stats

from neuromop._checks import MAX_SIZE, check_int
from neuromop._provenance import provenance
from neuromop._random import spawn, torch_generator
from neuromop.control.rollout import rollout
from neuromop.mdp.worlds.cartpole import CartpoleSolution
from neuromop.mdp.worlds.cartpole_rollout import cartpole_statistics

__all__ = ["cartpole_value_agreement"]


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
    v_fit = controller.value(torch.as_tensor(states, dtype=torch.float32)).numpy().astype(float)
    v_exact = solution.value(states)
    exact = cartpole_statistics(solution, n_trials, n_steps, start=starts.numpy().astype(float),
                                random_state=exact_seed, n_windows=1)
    life = {"fitted": ds["lifetime"].values.astype(float),
            "exact": exact["lifetime"].values.astype(float)}
    out = xr.Dataset(
        {
            "spearman": float(stats.spearmanr(v_fit, v_exact).statistic),
            "pearson": float(np.corrcoef(v_fit, v_exact)[0, 1]),
            "value_fitted_mean": ((), float(v_fit.mean()), {"units": "nats"}),
            "value_exact_mean": ((), float(v_exact.mean()), {"units": "nats"}),
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
