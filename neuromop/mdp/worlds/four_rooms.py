"""The four-room grid world of the MOP paper, with an optional noisy-TV room.

Ramírez-Ruiz, Grytskyy, Mastrogiuseppe & Moreno-Bote (2024), "Complex behavior from intrinsic
motivation to occupy future action-state path space", Nat. Commun. 15, 6368, Fig. 2.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from neuromop._checks import check_int, check_probability
from neuromop.mdp.model import FiniteMDP
from neuromop.mdp.worlds._grid import KING_LABELS, GridLayout, GridWorld, energy_world_arrays

__all__ = ["four_rooms", "FOUR_ROOMS_DOORS", "TV_ROOM"]

SIZE = 11
FOUR_ROOMS_DOORS = ((6, 3), (6, 9), (3, 6), (9, 6))
#: The noisy-TV room: x in 7..11, y in 1..5 (inclusive).
TV_ROOM = ((7, 11), (1, 5))


def _four_rooms_walls() -> list[tuple[int, int]]:
    walls = {(6, y) for y in range(1, SIZE + 1)} | {(x, 6) for x in range(1, SIZE + 1)}
    return sorted(walls - set(FOUR_ROOMS_DOORS))


def four_rooms(
    capacity: int = 100,
    food_gain: int = 10,
    noisy_tv: bool = False,
    eta: float = 0.5,
    start: tuple[int, int, int] | None = None,
) -> GridWorld:
    """Build the 11 x 11 four-room world with internal energy.

    Walls run along x = 6 and y = 6 except the doors (6, 3), (6, 9), (3, 6), (9, 6); food lies in
    the four corners. Actions are the 8 king moves and "stay"; moves that leave the grid or enter a
    wall are removed from A(s). Energy ``u`` runs over ``1..capacity``; ``u = 1`` is death
    (absorbing, only "stay"); each step ``u' = min(capacity, u - 1 + food_gain * [cell is food])``
    where the cell is the one the agent is *leaving*. 104 free cells x ``capacity`` levels give
    10,400 states for the default capacity.

    Parameters
    ----------
    capacity : int
        Largest energy level (>= 2).
    food_gain : int
        Energy gained per step spent on a food cell (>= 0).
    noisy_tv : bool
        If True, inside the room x in 7..11, y in 1..5 the chosen action is replaced by an
        admissible action drawn uniformly with probability ``eta`` (transitions become
        stochastic there, up to 9 successors).
    eta : float
        Noise probability of the TV room, in [0, 1] (the authors' notebooks use 0.5).
    start : tuple (x, y, energy), optional
        Default start state; (3, 3, capacity) when omitted.

    Returns
    -------
    GridWorld
        ``.mdp`` is the :class:`~neuromop.mdp.model.FiniteMDP`; ``.regions["tv_room"]`` masks
        the TV-room cells. Paper defaults for solving: gamma = 0.99, alpha = 1, beta = 0.
    """
    capacity = check_int("capacity", capacity, low=2)
    food_gain = check_int("food_gain", food_gain, low=0)
    eta = check_probability("eta", eta)
    if not isinstance(noisy_tv, bool | np.bool_):
        raise TypeError(f"noisy_tv must be a bool, got {noisy_tv!r}")
    layout = GridLayout(SIZE, SIZE, _four_rooms_walls())
    food = np.array([(1, 1), (1, SIZE), (SIZE, 1), (SIZE, SIZE)], dtype=np.int64)
    gain = layout.mask(food).astype(np.int64) * food_gain
    tv = layout.region(*TV_ROOM)
    ns, p, mask, term = energy_world_arrays(
        layout, capacity, gain, tv if noisy_tv else None, eta if noisy_tv else 0.0
    )
    C = layout.n_cells
    labels = pd.MultiIndex.from_arrays(
        [
            np.repeat(layout.cells[:, 0], capacity),
            np.repeat(layout.cells[:, 1], capacity),
            np.tile(np.arange(1, capacity + 1), C),
        ],
        names=["x", "y", "energy"],
    )
    name = "four_rooms_noisy_tv" if noisy_tv else "four_rooms"
    mdp = FiniteMDP.from_arrays(
        ns, p, mask, term, state_labels=labels, action_labels=KING_LABELS, name=name
    )
    if start is None:
        start = (3, 3, capacity)
    world = GridWorld(
        mdp=mdp,
        layout=layout,
        capacity=capacity,
        food=food,
        start=tuple(int(v) for v in start),
        regions={"tv_room": tv},
        params={"capacity": capacity, "food_gain": food_gain, "noisy_tv": bool(noisy_tv),
                "eta": eta, "world": name},
    )
    world.state_index(*world.start)  # validates the start
    return world
