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

Two sets of rules (``rules=``):

- ``"package"`` (default): the pet lives in a pen (``pen``) whose boundary it cannot cross while
  the fence is closed; agent and pet never share a cell.
- ``"authors"``: the rules of the authors' script (``code_occupancy_max/agent_pet/
  gridfriendly_poly.txt`` in jorgeerrz/occupancy_max_paper), point by point: the fence is a
  column of cells (``fence``, default x = 3 of the 5 x 5 grid) that the pet may not *enter*
  while it is closed (a pet standing on it when it closes must step off: staying is not
  allowed there), so a closed fence confines the pet to the side it is on; agent and pet may
  share a cell (no collisions); the lever is the corner (1, 1); the agent starts at (3, 2) and
  the pet at (5, 5), fence closed; the pet's move on the step the agent toggles follows the fence
  as it was before the toggle (their simulation loop; their value recursion used the toggled
  fence for that one step, a difference of one step's successor distribution).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from neuromop._checks import check_choice, check_int
from neuromop.mdp._backup import _softmax_policy
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

__all__ = ["AgentPetWorld", "agent_pet", "toggle_as_stay_policy", "TOGGLE"]

TOGGLE = 9


@dataclass(frozen=True, eq=False)
class AgentPetWorld:
    """The agent–pet world: MDP, layout, index maps; ``pen`` holds the (x, y) cells of the pen
    (``rules="package"``) or of the fence column (``rules="authors"``)."""

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
    pen: tuple[tuple[int, int], tuple[int, int]] | None = None,
    lever: tuple[int, int] = (1, 1),
    start: tuple[int, int, int, int, int] | None = None,
    rules: str = "package",
    fence: tuple[tuple[int, int], tuple[int, int]] | None = None,
) -> AgentPetWorld:
    """Build the agent–pet world.

    Parameters
    ----------
    size : int
        Side of the square grid (cells).
    pen : ((x_min, x_max), (y_min, y_max)), optional
        The pen (inclusive ranges; ``rules="package"`` only). Default ``((4, 5), (4, 5))``.
    lever : (x, y)
        Cell where the agent can toggle the fence.
    start : (x, y, pet_x, pet_y, fence), optional
        Default: ``rules="package"``: agent at the lever, pet in the pen's far corner;
        ``rules="authors"``: agent at ``(size // 2 + 1, 2)``, pet at ``(size, size)``; fence
        closed.
    rules : {"package", "authors"}
        The package's pen world or the authors' fence column (see the module docstring).
    fence : ((x_min, x_max), (y_min, y_max)), optional
        Cells the pet may not enter while the fence is closed (``rules="authors"`` only).
        Default: the middle column ``((size // 2 + 1, size // 2 + 1), (1, size))``.

    Returns
    -------
    AgentPetWorld
        Actions: 8 king moves, ``stay``, ``toggle``. State labels ``(x, y, pet_x, pet_y, fence)``.
    """
    size = check_int("size", size, low=2, high=1024)
    rules = check_choice("rules", rules, ("package", "authors"))
    layout = GridLayout(size, size, [])
    C = layout.n_cells
    authors = rules == "authors"
    unused = "pen" if authors else "fence"
    if (pen if authors else fence) is not None:
        raise ValueError(f"{unused} is not used with rules={rules!r}; give "
                         f"{'fence' if authors else 'pen'} instead")
    middle = size // 2 + 1
    region = (fence if fence is not None else ((middle, middle), (1, size))) if authors else (
        pen if pen is not None else ((4, 5), (4, 5)))
    name = "fence" if authors else "pen"
    region = _as_cells(name, region)
    if region.shape != (2, 2):
        raise ValueError(f"{name} must be ((x_min, x_max), (y_min, y_max)), got "
                         f"{region.tolist()}")
    region = tuple(tuple(r) for r in region.tolist())
    pen_mask = layout.region(*region)
    if not pen_mask.any():
        raise ValueError(f"{name} {region} holds no cell of the {size}x{size} grid")
    lever = _int_tuple("lever", lever, 2, "(x, y)")
    try:
        lever_cell = int(layout.cell_index(*lever))
    except ValueError as exc:
        raise ValueError(f"lever {lever}: {exc}") from None
    S = C * C * 2
    A = KING_MOVES.shape[0] + 1
    ag, pt, fence = (g.ravel() for g in np.meshgrid(np.arange(C), np.arange(C), [0, 1],
                                                    indexing="ij"))
    # agent: moves (not onto the pet under the package rules), stay, toggle on the lever
    ag_next = np.concatenate([layout.dest[ag], ag[:, None]], axis=1)  # (S, A)
    mask = (ag_next >= 0) & ((ag_next != pt[:, None]) | authors)
    mask[:, STAY] = True
    mask[:, TOGGLE] = ag == lever_cell
    fence_next = np.where(np.arange(A)[None, :] == TOGGLE, 1 - fence[:, None], fence[:, None])
    # pet: uniform over its admissible moves given the agent's new cell and the fence
    pet_dest = layout.dest[pt]  # (S, 9)
    ok = np.broadcast_to((pet_dest >= 0)[:, None, :], (S, A, pet_dest.shape[1])).copy()
    if authors:  # the closed fence (before this step's toggle) is a wall the pet cannot enter
        blocked = pen_mask[np.maximum(pet_dest, 0)] & (fence == 0)[:, None]
        ok &= ~blocked[:, None, :]
    else:  # no collisions; a closed fence (after the toggle) keeps the pet on its side
        inside = pen_mask[pt]
        crosses = pen_mask[np.maximum(pet_dest, 0)] != inside[:, None]
        ok &= pet_dest[:, None, :] != ag_next[:, :, None]
        ok &= ~((fence_next[:, :, None] == 0) & crosses[:, None, :])
        ok[:, :, STAY] = True
    stuck = ~ok.any(axis=-1) & mask
    if stuck.any():
        raise ValueError(f"fence {region} leaves the pet no admissible move from some cells; "
                         "it must not cover a cell together with all its neighbours")
    probs = ok / np.maximum(ok.sum(axis=-1, keepdims=True), 1)
    probs = probs * mask[:, :, None]
    succ = (np.maximum(ag_next, 0)[:, :, None] * C + np.maximum(pet_dest, 0)[:, None, :]) * 2 + (
        fence_next[:, :, None])
    succ = np.where(probs > 0, succ, 0)
    labels = pd.MultiIndex.from_arrays(
        [layout.cells[ag, 0], layout.cells[ag, 1], layout.cells[pt, 0], layout.cells[pt, 1],
         fence], names=["x", "y", "pet_x", "pet_y", "fence"])
    mdp = FiniteMDP.from_arrays(succ, probs, mask, np.zeros(S, dtype=bool), state_labels=labels,
                                action_labels=KING_LABELS + ("toggle",), name="agent_pet")
    if start is None:
        start = (middle, 2, size, size, 0) if authors else (
            lever[0], lever[1], region[0][1], region[1][1], 0)
    else:
        start = _int_tuple("start", start, 5, "(x, y, pet_x, pet_y, fence)")
    world = AgentPetWorld(mdp=mdp, layout=layout, pen=layout.cells[pen_mask],
                          lever=tuple(lever), start=tuple(int(v) for v in start),
                          params={"size": size, name: [list(r) for r in region],
                                  "lever": list(lever), "rules": rules, "world": "agent_pet"})
    _check_start(world, world.start)
    return world


def toggle_as_stay_policy(world: AgentPetWorld, result) -> np.ndarray:
    """The MOP policy of the authors' simulation loop, in which ``toggle`` is weighted as ``stay``.

    In ``gridfriendly_poly.txt`` the action weights of the simulation are
    ``exp(E[V(s')])`` per action, but the toggle's new fence is looked up through a loop
    variable left over from the previous action's loop (``ifonbord[b, i//N, i%N]`` with ``i``
    the last successor index, never the lever), so the toggle is weighed with the *unchanged*
    fence: exactly the weight of ``stay``. Their value iteration itself treats the toggle
    correctly. This policy reproduces their committed fence-open fractions (see
    :mod:`neuromop.studies.agent_pet`); ``result.policy`` is the exact MOP policy.

    Parameters
    ----------
    world : AgentPetWorld
        The world ``result`` was solved on.
    result : SolveResult
        A MOP solution (:func:`~neuromop.mdp.solvers.solve_mop`) with ``Q`` and
        ``params["alpha"]``.

    Returns
    -------
    ndarray, shape (S, A)
        pi(a|s): the softmax of ``Q / alpha`` with ``Q(s, toggle)`` replaced by ``Q(s, stay)``.
    """
    if not isinstance(world, AgentPetWorld):
        raise TypeError(f"world must be an AgentPetWorld, got {type(world).__name__}")
    Q = np.array(getattr(result, "Q", None), dtype=float, copy=True)
    if Q.shape != world.mdp.action_mask.shape or getattr(result, "agent", None) != "mop":
        raise ValueError("result must be solve_mop's solution of this world (Q of shape "
                         f"{world.mdp.action_mask.shape})")
    mask = world.mdp.action_mask
    on_lever = mask[:, TOGGLE]
    Q[on_lever, TOGGLE] = Q[on_lever, STAY]
    return _softmax_policy(np.where(mask, Q, -np.inf).T.copy(), result.params["alpha"], mask.T)
