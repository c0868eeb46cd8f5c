"""The four-room grid world of the MOP paper, with an optional noisy-TV room.

Ramírez-Ruiz, Grytskyy, Mastrogiuseppe & Moreno-Bote (2024), "Complex behavior from intrinsic
motivation to occupy future action-state path space", Nat. Commun. 15, 6368, Fig. 2.

Checked against the authors' notebook ``code_occupancy_max/gridworld/gridworld_clean.jl`` in the
GitHub repository ``jorgeerrz/occupancy_max_paper``:

- Geometry, actions and energy (``initialize_fourrooms``, ``adm_actions``, ``transition_u``): as
  here; energy changes by ``food_gain * [current cell is food] - 1``, capped at the capacity.
- **R agent** (``reachable_rewards``, ``q_iteration``, ``optimal_policy_q``): reward 1 for every
  step taken *on a food cell* while alive (``u > 1``), 0 otherwise -- not "+1 per step alive";
  epsilon-greedy mix inside the backup, and the greedy share ``1 - epsilon`` split evenly among
  tied best actions. Use :meth:`GridWorld.food_reward` as the ``reward`` of
  :func:`~neuromop.mdp.solvers.solve_reward`. With "+1 per step alive" and epsilon = 0 every
  surviving policy has the same value (1 / (1 - gamma)), the ties are split and the R agent
  wanders; paid for eating it walks to the nearest food and stays there
  (``notebooks/tabular_mop.py`` shows both).
  The paper's figure uses epsilon in {0, 0.45, 0.5, 1}; epsilon = 1 is the random walker.
- **Noisy TV** (``create_tv_room``, ``reachable_states_tv``, ``h_iteration_tv``): in the room
  x in 7..11, y in 1..5 the executed action is the chosen one with probability
  ``1 - eta + eta / |A(s)|`` and any other admissible one with ``eta / |A(s)|`` (the successor
  *cell* is randomised; energy is not); ``beta`` weights ``H(S'|s, a) = -sum p ln p`` exactly as
  :func:`~neuromop.mdp.solvers.solve_mop` does. The published sweep uses **eta = 1** (the agent
  has no control at all inside the room), capacity 100 with **food_gain = capacity** (a food
  step fills the tank), start (3, 3) with full energy, 100 episodes of 1000 steps, gamma in
  {0.99, 0.995, 0.999}, beta in 0..0.3. :func:`noisy_tv` builds that world.

  At gamma = 0.999 the authors' value iteration (capped at 1000 sweeps) is not converged; the
  measured times in the room for both solves, and why eta = 0.5 does not reproduce the
  avoidance at gamma = 0.999, are in ``notebooks/tabular_mop.py``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from neuromop._checks import MAX_SIZE, check_int, check_probability
from neuromop.mdp.model import FiniteMDP
from neuromop.mdp.worlds._grid import (
    KING_LABELS,
    GridLayout,
    GridWorld,
    _check_start,
    _int_tuple,
    energy_world_arrays,
)

__all__ = ["four_rooms", "noisy_tv", "FOUR_ROOMS_DOORS", "TV_ROOM"]

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
    eta: float = 1.0,
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
        Noise probability of the TV room, in [0, 1] (the authors' published sweep uses 1: no
        control inside the room).
    start : tuple (x, y, energy), optional
        Default start state; (3, 3, capacity) when omitted.

    Returns
    -------
    GridWorld
        ``.mdp`` is the :class:`~neuromop.mdp.model.FiniteMDP`; ``.regions["tv_room"]`` masks
        the TV-room cells. Paper defaults for solving: gamma = 0.99, alpha = 1, beta = 0.
    """
    capacity = check_int("capacity", capacity, low=2, high=MAX_SIZE // 1024)
    food_gain = check_int("food_gain", food_gain, low=0, high=MAX_SIZE)
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
    start = (3, 3, capacity) if start is None else _int_tuple("start", start, 3,
                                                              "(x, y, energy)")
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
    _check_start(world, world.start)
    return world


def noisy_tv(
    capacity: int = 100,
    food_gain: int | None = None,
    eta: float = 1.0,
    start: tuple[int, int, int] | None = None,
) -> GridWorld:
    """The noisy-TV world exactly as in the authors' published sweep.

    Four rooms with the TV room x in 7..11, y in 1..5 (``eta = 1``: the executed action is drawn
    uniformly from A(s), whatever the agent chooses) and food that fills the tank
    (``food_gain = capacity``). Solve with ``beta`` in 0..0.3 and gamma in {0.99, 0.995, 0.999};
    roll out 1000 steps from (3, 3) with full energy.

    Parameters
    ----------
    capacity : int
        Largest energy level (>= 2).
    food_gain : int, optional
        Energy per food step; ``capacity`` when omitted.
    eta : float
        Noise probability in the TV room, in [0, 1].
    start : tuple (x, y, energy), optional
        Default (3, 3, capacity).

    Returns
    -------
    GridWorld
        As :func:`four_rooms` with ``noisy_tv=True``.
    """
    capacity = check_int("capacity", capacity, low=2, high=MAX_SIZE // 1024)
    gain = capacity if food_gain is None else food_gain
    return four_rooms(capacity=capacity, food_gain=gain, noisy_tv=True, eta=eta, start=start)
