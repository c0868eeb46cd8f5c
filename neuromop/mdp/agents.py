"""Worlds by name and agents by name: the tabular front door of ``neuromop mdp``.

:func:`build_world` builds one of the paper's worlds from its name, :func:`solve_agent` solves
(or, for DRA, trains) an agent in it, and :func:`result_dataset` labels the result (V, Q,
policy, action entropy) as an ``xr.Dataset`` with the world's state labels as coordinates.
"""

from __future__ import annotations

import numpy as np
import xarray as xr

from neuromop._checks import MAX_SIZE, check_choice, check_int
from neuromop._provenance import provenance
from neuromop.mdp import worlds
from neuromop.mdp.dra import DRAAgent
from neuromop.mdp.model import FiniteMDP
from neuromop.mdp.solvers import SolveResult, solve_maxent, solve_mop, solve_reward

__all__ = ["AGENTS", "WORLD_NAMES", "build_world", "random_policy", "result_dataset",
           "solve_agent"]


WORLD_NAMES = ("four_rooms", "noisy_tv", "predator_prey", "agent_pet", "recycling", "cartpole")


AGENTS = ("mop", "reward", "maxent", "dra")


# ---------------------------------------------------------------------- building blocks
def build_world(name: str, capacity: int = 100, food_gain: int = 10, eta: float = 1.0):
    """Return the world object (or FiniteMDP) called ``name`` with the given parameters."""

    if name == "four_rooms":
        return worlds.four_rooms(capacity=capacity, food_gain=food_gain)
    if name == "noisy_tv":
        return worlds.four_rooms(capacity=capacity, food_gain=food_gain, noisy_tv=True, eta=eta)
    if name == "predator_prey":
        return worlds.predator_prey()
    if name == "agent_pet":
        return worlds.agent_pet()
    if name == "recycling":
        return worlds.recycling_robot()
    if name == "cartpole":
        raise ValueError("name 'cartpole' is a continuous world without a finite MDP: use "
                         "solve_cartpole_grid and simulate_cartpole")
    tabular = [w for w in WORLD_NAMES if w != "cartpole"]
    raise ValueError(f"name (WORLD) must be one of {tabular}, got {name!r}")


def _mdp_of(world, name: str = "world") -> FiniteMDP:
    mdp = getattr(world, "mdp", world)
    if not isinstance(mdp, FiniteMDP):
        raise TypeError(f"{name} must be a FiniteMDP or a world with an .mdp, got "
                        f"{type(world).__name__}")
    return mdp


def _reward_for(world, kind: str):
    mdp = _mdp_of(world)
    check_choice("reward", kind, ("auto", "food", "alive"))
    if kind == "auto":
        if hasattr(world, "food_reward"):
            return world.food_reward()
        return None if mdp.reward is not None else "alive"
    if kind == "food":
        if not hasattr(world, "food_reward"):
            raise ValueError(f"--reward food needs a world with food, not {mdp.name!r}")
        return world.food_reward()
    return "alive" if kind == "alive" else None


def solve_agent(world, agent: str, *, alpha=1.0, beta=0.0, gamma=0.99, epsilon=0.0,
                temperature=1.0, tol=1e-2, reward="auto", dra_episodes=300, random_state=0,
                stop="change"):
    """Solve (or, for DRA, train) ``agent`` in ``world``; return a result with V, Q, policy."""

    mdp = _mdp_of(world)
    check_choice("agent", agent, AGENTS)
    if agent == "mop":
        return solve_mop(mdp, alpha=alpha, beta=beta, gamma=gamma, tol=tol, stop=stop)
    r = _reward_for(world, reward)
    if agent == "reward":
        return solve_reward(mdp, epsilon=epsilon, gamma=gamma, reward=r, tol=tol, stop=stop)
    if agent == "maxent":
        return solve_maxent(mdp, temperature=temperature, reward=r, gamma=gamma, tol=tol,
                            stop=stop)
    if agent == "dra":

        start = getattr(world, "start_state", None)
        dra_episodes = check_int("dra_episodes", dra_episodes, low=1, high=MAX_SIZE)
        dra = DRAAgent(gamma=gamma, random_state=random_state).fit(mdp, n_episodes=dra_episodes,
                                                           start=start, reward=r)
        return dra.to_result()  # a learner with no stopping test: converged is False
    raise ValueError(f"--agent must be one of {list(AGENTS)}, got {agent!r}")


def result_dataset(mdp, res) -> xr.Dataset:
    """V, Q and policy of a tabular result as a labelled ``xr.Dataset`` (state labels as coords)."""
    mdp = _mdp_of(mdp, "mdp")
    if not isinstance(res, SolveResult):
        raise TypeError(f"res must be a SolveResult, got {type(res).__name__}")
    if res.Q.shape != (mdp.n_states, mdp.n_actions):
        raise ValueError(f"res must be a result of this mdp: Q has shape {res.Q.shape}, the mdp "
                         f"(S, A) = {(mdp.n_states, mdp.n_actions)}")
    coords = {"state": np.arange(mdp.n_states),
              "action": list(mdp.action_labels or range(mdp.n_actions))}
    labels = mdp.state_labels
    if labels is not None:
        names = labels.names if hasattr(labels, "names") else [labels.name]
        for name in names:
            coords[str(name)] = ("state", np.asarray(labels.get_level_values(name)))
    ds = xr.Dataset(
        {"V": ("state", res.V), "Q": (("state", "action"), res.Q),
         "policy": (("state", "action"), res.policy),
         "action_entropy": ("state", res.action_entropy(), {"units": "nats"}),
         "terminal": ("state", mdp.terminal)},
        coords=coords,
    )
    if getattr(res, "V_true", None) is not None:
        ds["V_true"] = ("state", res.V_true)
    ds.attrs.update(provenance(f"neuromop.mdp.solve[{res.agent}]", world=mdp.name,
                               sweeps=res.sweeps, converged=res.converged, **res.params))
    return ds


def random_policy(mdp) -> np.ndarray:
    """The uniform policy over each state's admissible actions, shape (n_states, n_actions)."""
    m = _mdp_of(mdp, "mdp").action_mask.astype(float)
    return m / m.sum(axis=1, keepdims=True)
