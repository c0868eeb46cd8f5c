"""Finite MDPs: the model, exact solvers (MOP, R, MaxEnt), DRA and model-free learners, worlds.

- :mod:`~neuromop.mdp.model` -- :class:`FiniteMDP` (``from_dense``, ``from_function``);
- :mod:`~neuromop.mdp.solvers` -- :func:`solve_mop`, :func:`solve_reward`,
  :func:`solve_maxent`, :func:`policy_evaluation`;
- :mod:`~neuromop.mdp.dra` -- :class:`DRAAgent` (Patel, Acerbi & Pouget 2020);
- :mod:`~neuromop.mdp.learning` -- :func:`q_learning`, :func:`soft_q_learning`;
- :mod:`~neuromop.mdp.rollout` -- :func:`rollout` of solved agents (``(trial, time)``
  datasets), occupancy maps, arena coverage and :func:`rotations` around an obstacle;
- :mod:`~neuromop.mdp.paper` -- the MOP paper authors' committed numbers, for comparison;
- :mod:`neuromop.mdp.worlds` -- the paper's worlds (:func:`four_rooms`, :func:`noisy_tv`,
  :func:`predator_prey`, :func:`agent_pet`, :func:`recycling_robot`, the cartpole grid);
- :mod:`~neuromop.mdp.agents` -- worlds and agents by name (:func:`build_world`,
  :func:`solve_agent`, :func:`result_dataset`), the front door of ``neuromop mdp``.
"""

from neuromop.mdp.agents import (
    AGENTS,
    WORLD_NAMES,
    build_world,
    random_policy,
    result_dataset,
    solve_agent,
)
from neuromop.mdp.dra import DRAAgent
from neuromop.mdp.learning import MDPSampler, q_learning, soft_q_learning
from neuromop.mdp.model import FiniteMDP, make_random_mdp
from neuromop.mdp.rollout import arena_coverage, occupancy_map, rollout, rotations
from neuromop.mdp.solvers import (
    ConvergenceWarning,
    SolveResult,
    policy_evaluation,
    solve_maxent,
    solve_mop,
    solve_reward,
)
from neuromop.mdp.worlds import (
    agent_pet,
    cartpole_statistics,
    four_rooms,
    noisy_tv,
    predator_prey,
    recycling_robot,
    simulate_cartpole,
    solve_cartpole_grid,
)

__all__ = [
    "AGENTS",
    "WORLD_NAMES",
    "ConvergenceWarning",
    "DRAAgent",
    "FiniteMDP",
    "MDPSampler",
    "SolveResult",
    "arena_coverage",
    "make_random_mdp",
    "occupancy_map",
    "policy_evaluation",
    "rollout",
    "rotations",
    "q_learning",
    "solve_maxent",
    "solve_mop",
    "solve_reward",
    "soft_q_learning",
    "agent_pet",
    "build_world",
    "cartpole_statistics",
    "four_rooms",
    "noisy_tv",
    "predator_prey",
    "random_policy",
    "recycling_robot",
    "result_dataset",
    "simulate_cartpole",
    "solve_agent",
    "solve_cartpole_grid",
]
