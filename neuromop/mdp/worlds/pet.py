"""Agent–pet altruism world (MOP paper, Ramírez-Ruiz et al. 2024, Fig. 5).

An agent and a pet share a small grid. The pet lives in a pen closed by a fence that only the
agent can open or close (the ``toggle`` action, admissible on the lever cell). Each step the agent
moves first (8 king moves, stay, or toggle; it cannot step onto the pet), then the pet moves
uniformly at random among its admissible moves (king moves and stay, never onto the agent, and,
while the fence is closed, never across the pen boundary). The pet's random moves are the world's
stochasticity, so in the MOP objective ``beta * H(S'|s, a)`` is exactly ``beta`` times the pet's
next-state entropy: ``beta = 0`` is a selfish agent, ``beta > 0`` an altruistic one that values the
pet's freedom. There are no terminal states.

State index ``s = (agent_cell * C + pet_cell) * 2 + fence`` (fence 1 = open); 5 x 5 grid: 1,250
states.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from neuromop._checks import check_int
from neuromop.mdp.model import FiniteMDP
from neuromop.mdp.worlds._grid import (
    KING_LABELS,
    KING_MOVES,
    STAY,
    GridLayout,
    _as_cells,
    _check_start,
    _int_tuple,
)

__all__ = ["AgentPetWorld", "agent_pet", "TOGGLE"]

TOGGLE = 9


@dataclass(frozen=True, eq=False)
class AgentPetWorld:
    """The agent–pet world: MDP, layout, pen mask and index maps."""

    mdp: FiniteMDP
    layout: GridLayout
    pen: np.ndarray
    lever: tuple[int, int]
    start: tuple[int, int, int, int, int]
    params: dict

    @property
    def start_state(self) -> int:
        """Index of the default start state."""
        return int(self.state_index(*self.start))

    def state_index(self, x, y, pet_x, pet_y, fence):
        """Index of (agent x, agent y, pet x, pet y, fence) (vectorised; fence 1 = open)."""
        C = self.layout.n_cells
        a = self.layout.cell_index(x, y)
        p = self.layout.cell_index(pet_x, pet_y)
        f = np.asarray(fence, dtype=np.int64)
        if np.any((f < 0) | (f > 1)):
            raise ValueError(f"fence must be 0 (closed) or 1 (open), got {fence!r}")
        out = (a * C + p) * 2 + f
        return int(out) if np.ndim(out) == 0 else out


def agent_pet(
    size: int = 5,
    pen: tuple[tuple[int, int], tuple[int, int]] = ((4, 5), (4, 5)),
    lever: tuple[int, int] = (1, 1),
    start: tuple[int, int, int, int, int] | None = None,
) -> AgentPetWorld:
    """Build the agent–pet world.

    Parameters
    ----------
    size : int
        Side of the square grid (cells).
    pen : ((x_min, x_max), (y_min, y_max))
        The pen (inclusive ranges).
    lever : (x, y)
        Cell where the agent can toggle the fence.
    start : (x, y, pet_x, pet_y, fence), optional
        Default: agent at the lever, pet in the pen's far corner, fence closed.

    Returns
    -------
    AgentPetWorld
        Actions: 8 king moves, ``stay``, ``toggle``. State labels ``(x, y, pet_x, pet_y, fence)``.
    """
    size = check_int("size", size, low=2, high=1024)
    layout = GridLayout(size, size, [])
    C = layout.n_cells
    pen = _as_cells("pen", pen)
    if pen.shape != (2, 2):
        raise ValueError(f"pen must be ((x_min, x_max), (y_min, y_max)), got {pen.tolist()}")
    pen = tuple(tuple(r) for r in pen.tolist())
    pen_mask = layout.region(*pen)
    if not pen_mask.any():
        raise ValueError(f"pen {pen} holds no cell of the {size}x{size} grid")
    lever = _int_tuple("lever", lever, 2, "(x, y)")
    try:
        lever_cell = int(layout.cell_index(*lever))
    except ValueError as exc:
        raise ValueError(f"lever {lever}: {exc}") from None
    S = C * C * 2
    A = KING_MOVES.shape[0] + 1
    ag, pt, fence = (g.ravel() for g in np.meshgrid(np.arange(C), np.arange(C), [0, 1],
                                                    indexing="ij"))
    # agent: moves (not onto the pet), stay, toggle on the lever
    ag_next = np.concatenate([layout.dest[ag], ag[:, None]], axis=1)  # (S, A)
    mask = (ag_next >= 0) & (ag_next != pt[:, None])
    mask[:, STAY] = True
    mask[:, TOGGLE] = ag == lever_cell
    fence_next = np.where(np.arange(A)[None, :] == TOGGLE, 1 - fence[:, None], fence[:, None])
    # pet: uniform over its admissible moves given the agent's new cell and the fence
    pet_dest = layout.dest[pt]  # (S, 9)
    inside = pen_mask[pt]
    crosses = pen_mask[np.maximum(pet_dest, 0)] != inside[:, None]
    ok = (pet_dest >= 0)[:, None, :] & (pet_dest[:, None, :] != ag_next[:, :, None])
    ok &= ~((fence_next[:, :, None] == 0) & crosses[:, None, :])
    ok[:, :, STAY] = True
    probs = ok / ok.sum(axis=-1, keepdims=True)
    probs = probs * mask[:, :, None]
    succ = (np.maximum(ag_next, 0)[:, :, None] * C + np.maximum(pet_dest, 0)[:, None, :]) * 2 + (
        fence_next[:, :, None])
    succ = np.where(probs > 0, succ, 0)
    labels = pd.MultiIndex.from_arrays(
        [layout.cells[ag, 0], layout.cells[ag, 1], layout.cells[pt, 0], layout.cells[pt, 1],
         fence], names=["x", "y", "pet_x", "pet_y", "fence"])
    mdp = FiniteMDP.from_arrays(succ, probs, mask, np.zeros(S, dtype=bool), state_labels=labels,
                                action_labels=KING_LABELS + ("toggle",), name="agent_pet")
    start = (lever[0], lever[1], pen[0][1], pen[1][1], 0) if start is None else _int_tuple(
        "start", start, 5, "(x, y, pet_x, pet_y, fence)")
    world = AgentPetWorld(mdp=mdp, layout=layout, pen=layout.cells[pen_mask],
                          lever=tuple(lever), start=tuple(int(v) for v in start),
                          params={"size": size, "pen": [list(r) for r in pen],
                                  "lever": list(lever), "world": "agent_pet"})
    _check_start(world, world.start)
    return world
