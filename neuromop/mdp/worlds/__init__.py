"""Worlds of the MOP paper as finite MDPs (and the cartpole grid, solved by its own solver).

- :func:`four_rooms` (with the noisy-TV variant; :func:`noisy_tv` in the authors' setup),
  :func:`predator_prey`, :func:`agent_pet`, :func:`recycling_robot` return worlds/MDPs for the
  tabular solvers in :mod:`neuromop.mdp.solvers`;
- :mod:`neuromop.mdp.worlds.cartpole` has its own interpolating value-iteration solver (also the
  stochastic half arena); :mod:`neuromop.mdp.worlds.cartpole_rollout` rolls its agents out, whole
  or as statistics streamed in bounded memory.

:func:`neuromop.mdp.build_world` builds them by their CLI names.
"""

from neuromop.mdp.worlds._grid import KING_LABELS, KING_MOVES, GridLayout, GridWorld
from neuromop.mdp.worlds.cartpole import (
    CartpoleGrid,
    CartpoleParams,
    CartpoleSolution,
    solve_cartpole_grid,
)
from neuromop.mdp.worlds.cartpole_rollout import cartpole_statistics, simulate_cartpole
from neuromop.mdp.worlds.four_rooms import four_rooms, noisy_tv
from neuromop.mdp.worlds.pet import AgentPetWorld, agent_pet, toggle_as_stay_policy
from neuromop.mdp.worlds.predator_prey import (
    PredatorPreyWorld,
    authors_simulation_policy,
    authors_value_model,
    predator_prey,
)
from neuromop.mdp.worlds.recycling import recycling_robot

__all__ = [
    "AgentPetWorld",
    "CartpoleGrid",
    "CartpoleParams",
    "CartpoleSolution",
    "GridLayout",
    "GridWorld",
    "KING_LABELS",
    "KING_MOVES",
    "PredatorPreyWorld",
    "agent_pet",
    "authors_simulation_policy",
    "authors_value_model",
    "cartpole_statistics",
    "four_rooms",
    "noisy_tv",
    "predator_prey",
    "recycling_robot",
    "simulate_cartpole",
    "solve_cartpole_grid",
    "toggle_as_stay_policy",
]
