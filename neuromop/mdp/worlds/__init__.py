"""Worlds of the MOP paper as finite MDPs (and the cartpole grid, solved by its own solver).

- :func:`four_rooms` (with the noisy-TV variant; :func:`noisy_tv` in the authors' setup),
  :func:`predator_prey`, :func:`agent_pet`, :func:`recycling_robot` return worlds/MDPs for the
  tabular solvers in :mod:`neuromop.mdp.solvers`;
- :mod:`neuromop.mdp.worlds.cartpole` has its own interpolating value-iteration solver.

:func:`neuromop.mdp.build_world` builds them by their CLI names.
"""

from neuromop.mdp.worlds._grid import KING_LABELS, KING_MOVES, GridLayout, GridWorld
from neuromop.mdp.worlds.cartpole import (
    CartpoleGrid,
    CartpoleParams,
    CartpoleSolution,
    simulate_cartpole,
    solve_cartpole_grid,
)
from neuromop.mdp.worlds.four_rooms import four_rooms, noisy_tv
from neuromop.mdp.worlds.pet import AgentPetWorld, agent_pet
from neuromop.mdp.worlds.predator_prey import PredatorPreyWorld, predator_prey
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
    "four_rooms",
    "noisy_tv",
    "predator_prey",
    "recycling_robot",
    "simulate_cartpole",
    "solve_cartpole_grid",
]
