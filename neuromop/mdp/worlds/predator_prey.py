"""Predator–prey world of the MOP paper (mouse, cat, home, food; Ramírez-Ruiz et al. 2024, Fig. 4).

Layout and rules follow the authors' scripts ``code_occupancy_max/predator_prey/gridworld_H.txt``
and ``gridworld_R.txt`` in the GitHub repository ``jorgeerrz/occupancy_max_paper`` (their
``N = 7, F = 15, gamma = 0.98, beta = 2`` defaults), translated to 1-based ``(x, y)``:

- a 7 x 7 square; both animals live in the upper four rows ``y = 4..7`` except an obstacle at
  ``(3, 5), (3, 6)`` that the mouse can run around;
- the *home* (cells only the mouse may enter) is a 3 x 2 room ``x = 3..5, y = 1..2`` joined to the
  arena by the one-cell corridor ``(4, 3)``; the other cells of rows ``y = 1..3`` are void;
- one food cell at ``(7, 4)`` refills the mouse's energy to the maximum (15 levels);
- start: mouse at home ``(4, 2)`` with full energy, cat in the corner ``(7, 7)``.

One step, as in the authors' ``nexts``:

1. the mouse's energy updates from the cell it is *leaving*: refilled to ``n_energy`` on food,
   otherwise decreased by 1; below level 1 the mouse starves (death);
2. mouse and cat move **simultaneously**: the mouse by its chosen king move (or stay; moves off
   its cells are removed from A(s)); the cat picks one of its admissible moves (8 king moves +
   stay, never into the home, a wall or void) with probability proportional to
   ``exp(cat_beta * cos(angle))`` between the move and the direction from the cat to the mouse's
   position *before* the move (stay has cosine 0);
3. the mouse is caught (death) when both end on the same cell; crossing each other is no
   capture.

All death outcomes go to one absorbing terminal state (index ``n_states - 1``, value 0). States:
``mouse cells x cat cells x n_energy + 1 = 33 x 26 x 15 + 1 = 12,871`` (states with both animals
on one cell are indexed but never reached).

Differences from the scripts, on purpose: (i) the scripts' value iteration gives a mouse that
eats with energy left the successor energy *0* (``zpos[F-1-df, i] = zpos1[F-food, i]``, which
should read ``zpos1[F-1, i]``), whereas their simulator (and this MDP) refills to the maximum;
(ii) they give value 0 to the last alive level instead of ``ln|A(s)|`` of its final action.
:func:`authors_value_model` is the model their value iteration solves (their committed value
cuts are reproduced to 1e-8) and :func:`authors_simulation_policy` the mouse their simulator
runs on those values.
The authors' MOP mouse uses ``alpha = 1, beta = 0`` (``uhas = 0``); their R mouse is paid -1 on
death (equivalent to +1 per step alive, the default of
:func:`~neuromop.mdp.solvers.solve_reward`) with ``epsilon = 0.05`` (``nz``).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from neuromop._checks import MAX_SIZE, check_int, check_real
from neuromop.mdp._backup import _softmax_policy
from neuromop.mdp.model import FiniteMDP
from neuromop.mdp.worlds._grid import (
    KING_LABELS,
    KING_MOVES,
    STAY,
    GridLayout,
    _as_cells,
    _cells_mask,
    _check_start,
    _int_tuple,
)

__all__ = ["PredatorPreyWorld", "predator_prey", "authors_value_model",
           "authors_simulation_policy", "AUTHORS_WALLS", "AUTHORS_HOME"]

#: Cells of the 7 x 7 square that neither animal can occupy: the void around the home and the
#: obstacle (3, 5), (3, 6) of the authors' arena.
AUTHORS_WALLS = tuple(sorted(
    {(x, y) for x in range(1, 8) for y in range(1, 4)}
    - {(4, 3)} - {(x, y) for x in (3, 4, 5) for y in (1, 2)}
    | {(3, 5), (3, 6)}
))
#: The mouse's home (the cat cannot enter): the room x = 3..5, y = 1..2 and its corridor (4, 3).
AUTHORS_HOME = ((4, 3),) + tuple((x, y) for x in (3, 4, 5) for y in (1, 2))


@dataclass(frozen=True, eq=False)
class PredatorPreyWorld:
    """The predator–prey world: its MDP and index maps.

    State index ``s = (mouse_cell * n_cat_cells + cat_cell) * n_energy + (energy - 1)``; the
    dead state is ``n_states - 1``. ``layout`` holds the mouse's cells (the cat's are the
    non-home ones); state labels are ``(x, y, cat_x, cat_y, energy)``.
    """

    mdp: FiniteMDP
    layout: GridLayout
    cat_cells: np.ndarray
    home: np.ndarray
    food: np.ndarray
    n_energy: int
    start: tuple[int, int, int, int, int]
    params: dict

    @property
    def dead_state(self) -> int:
        """Index of the absorbing death state."""
        return self.mdp.n_states - 1

    @property
    def start_state(self) -> int:
        """Index of the default start state."""
        return int(self.state_index(*self.start))

    def state_index(self, x, y, cat_x, cat_y, energy):
        """Index of (mouse x, mouse y, cat x, cat y, energy) (vectorised)."""
        m = self.layout.cell_index(x, y)
        lookup = np.full((self.layout.width + 2, self.layout.height + 2), -1, dtype=np.int64)
        lookup[self.cat_cells[:, 0], self.cat_cells[:, 1]] = np.arange(len(self.cat_cells))
        cx = np.asarray(cat_x, dtype=np.int64)
        cy = np.asarray(cat_y, dtype=np.int64)
        inside = (cx >= 1) & (cx <= self.layout.width) & (cy >= 1) & (cy <= self.layout.height)
        c = np.where(inside, lookup[np.clip(cx, 0, self.layout.width + 1),
                                    np.clip(cy, 0, self.layout.height + 1)], -1)
        if np.any(c < 0):
            raise ValueError(f"cat position ({cat_x}, {cat_y}) is not a cell the cat may occupy")
        e = np.asarray(energy, dtype=np.int64)
        if np.any((e < 1) | (e > self.n_energy)):
            raise ValueError(f"energy must be in 1..{self.n_energy}, got {energy!r}")
        out = (m * len(self.cat_cells) + c) * self.n_energy + (e - 1)
        return int(out) if np.ndim(out) == 0 else out

    def in_home(self, x, y) -> np.ndarray:
        """True where the mouse position ``(x, y)`` is in the home (vectorised)."""
        xa, ya = np.asarray(x), np.asarray(y)
        out = np.zeros(np.broadcast(xa, ya).shape, dtype=bool)
        for hx, hy in self.home:
            out |= (xa == hx) & (ya == hy)
        return out


def predator_prey(
    size: int = 7,
    n_energy: int = 15,
    walls: tuple[tuple[int, int], ...] = AUTHORS_WALLS,
    home: tuple[tuple[int, int], ...] = AUTHORS_HOME,
    food: tuple[int, int] = (7, 4),
    cat_beta: float = 2.0,
    start: tuple[int, int, int, int, int] | None = None,
) -> PredatorPreyWorld:
    """Build the predator–prey world (defaults: the authors' arena, see the module docstring).

    Parameters
    ----------
    size : int
        Side of the square (cells).
    n_energy : int
        Energy levels of the mouse (1..n_energy alive; food refills to ``n_energy``).
    walls : sequence of (x, y)
        Cells neither animal may enter (obstacles and void).
    home : sequence of (x, y)
        Free cells the cat cannot enter.
    food : (x, y)
        The food cell.
    cat_beta : float
        Inverse temperature of the cat's softmax over cosines (>= 0; the paper's kappa).
    start : (x, y, cat_x, cat_y, energy), optional
        Default: mouse at ``(4, 2)``, cat at ``(size, size)``, full energy.

    Returns
    -------
    PredatorPreyWorld
        Paper defaults for solving: gamma = 0.98, alpha = 1, beta = 0 (MOP); epsilon = 0.05
        and +1 per step alive (R).
    """
    size = check_int("size", size, low=3, high=1024)
    n_energy = check_int("n_energy", n_energy, low=1, high=MAX_SIZE)
    check_int("size**4 x n_energy (states)", size**4 * n_energy, high=MAX_SIZE)
    cat_beta = check_real("cat_beta", cat_beta, low=0.0)
    walls = [tuple(c) for c in _as_cells("walls", walls).tolist()]
    home = [tuple(c) for c in _as_cells("home", home).tolist()]
    food = _int_tuple("food", food, 2, "(x, y)")
    layout = GridLayout(size, size, walls)
    home_mask = _cells_mask(layout, "home", home)
    food_mask = _cells_mask(layout, "food", [food])
    cat_idx = np.flatnonzero(~home_mask)  # layout indices of the cells the cat may occupy
    if cat_idx.size == 0:
        raise ValueError("home must leave at least one free cell for the cat")
    cat_pos = np.full(layout.n_cells, -1)
    cat_pos[cat_idx] = np.arange(len(cat_idx))
    M, C, E = layout.n_cells, len(cat_idx), n_energy
    n_alive = M * C * E
    dead = n_alive
    S = n_alive + 1
    A = KING_MOVES.shape[0]

    m, c, e = (g.ravel() for g in np.meshgrid(np.arange(M), cat_idx, np.arange(1, E + 1),
                                               indexing="ij"))
    m_next = layout.dest[m]  # (N, A) mouse destinations (layout index), -1 if not a free cell
    mask = np.zeros((S, A), dtype=bool)
    mask[:n_alive] = m_next >= 0
    mask[:, STAY] = True
    e_next = np.where(food_mask[m], E, e - 1)  # (N,)
    # the cat heads for the mouse's position before the (simultaneous) move
    cat_dest = layout.dest[c]  # (N, B) layout indices
    cat_ok = (cat_dest >= 0) & ~home_mask[np.maximum(cat_dest, 0)]
    to_mouse = (layout.cells[m] - layout.cells[c]).astype(float)  # (N, 2)
    mv = KING_MOVES.astype(float)
    denom = np.linalg.norm(to_mouse, axis=1)[:, None] * np.linalg.norm(mv, axis=1)[None, :]
    dot = to_mouse @ mv.T  # (N, B)
    cos = np.divide(dot, denom, out=np.zeros_like(dot), where=denom > 0)
    logits = np.where(cat_ok, cat_beta * cos, -np.inf)
    w = np.exp(logits - logits.max(axis=1, keepdims=True))
    cat_p = w / w.sum(axis=1, keepdims=True)  # (N, B)
    c_next = cat_pos[np.maximum(cat_dest, 0)]  # (N, B) cat-cell index
    caught = m_next[:, :, None] == cat_dest[:, None, :]  # (N, A, B)
    survive = (e_next >= 1)[:, None, None] & ~caught
    succ = (np.maximum(m_next, 0)[:, :, None] * C + c_next[:, None, :]) * E + (
        np.clip(e_next, 1, E) - 1)[:, None, None]
    succ = np.where(survive, succ, dead)
    probs = np.where(mask[:n_alive, :, None] & cat_ok[:, None, :], cat_p[:, None, :], 0.0)
    succ = np.where(probs > 0, succ, 0)
    ns = np.zeros((S, A, A), dtype=np.int64)
    p = np.zeros((S, A, A))
    ns[:n_alive], p[:n_alive] = succ, probs
    ns[dead, STAY, 0], p[dead, STAY, 0] = dead, 1.0
    terminal = np.zeros(S, dtype=bool)
    terminal[dead] = True
    labels = pd.MultiIndex.from_arrays(
        [np.append(layout.cells[m, 0], 0), np.append(layout.cells[m, 1], 0),
         np.append(layout.cells[c, 0], 0), np.append(layout.cells[c, 1], 0), np.append(e, 0)],
        names=["x", "y", "cat_x", "cat_y", "energy"],
    )
    mdp = FiniteMDP.from_arrays(ns, p, mask, terminal, state_labels=labels,
                                action_labels=KING_LABELS, name="predator_prey")
    start = (4, 2, size, size, n_energy) if start is None else _int_tuple(
        "start", start, 5, "(x, y, cat_x, cat_y, energy)")
    world = PredatorPreyWorld(
        mdp=mdp, layout=layout, cat_cells=layout.cells[cat_idx], home=layout.cells[home_mask],
        food=np.array([food]), n_energy=n_energy, start=tuple(int(v) for v in start),
        params={"size": size, "n_energy": n_energy, "walls": [list(h) for h in walls],
                "home": [list(h) for h in home], "food": list(food), "cat_beta": cat_beta,
                "world": "predator_prey"},
    )
    _check_start(world, world.start)
    return world


def authors_value_model(world: PredatorPreyWorld) -> FiniteMDP:
    """The model the authors' MOP value iteration solves (``gridworld_H.txt``), for their values.

    Two departures from ``world.mdp`` (the module docstring's (i) and (ii)); everything else,
    including the dynamics their simulator runs, is ``world.mdp``:

    - (i) a mouse that eats with energy left (energy >= 2 on the food cell) moves on with
      energy 1 instead of ``n_energy`` (``zpos[F-1-df, i] = zpos1[F-food, i]``);
    - (ii) the lowest energy level off the food cell is worth 0 (their ``zpos`` there is never
      updated from its initial 1): those states are terminal in this model.

    Their recursion is ``ln Z = gamma ln sum_a exp(E[ln Z'])``, so their ``ln Z`` equals
    ``gamma * V`` of :func:`~neuromop.mdp.solvers.solve_mop` on this model (alpha = 1,
    beta = 0), and the MOP policy is the same. Measured: their committed value cuts
    (``data_plotted/Fig2/zcut_E*cat*_...``) agree to 2e-13 nats.

    Parameters
    ----------
    world : PredatorPreyWorld
        A world from :func:`predator_prey`.

    Returns
    -------
    FiniteMDP
        Same states, actions and labels as ``world.mdp``. Their simulator acts on these values
        through the true successors: :func:`authors_simulation_policy`.
    """
    if not isinstance(world, PredatorPreyWorld):
        raise TypeError(f"world must be a PredatorPreyWorld, got {type(world).__name__}")
    mdp = world.mdp
    E = world.n_energy
    ns, p = mdp.next_states.copy(), mdp.probs.copy()
    mask, terminal = mdp.action_mask.copy(), mdp.terminal.copy()
    labels = mdp.state_labels
    energy = labels.get_level_values("energy").to_numpy()
    on_food = np.zeros(mdp.n_states, dtype=bool)
    for fx, fy in world.food:
        on_food |= ((labels.get_level_values("x").to_numpy() == fx)
                    & (labels.get_level_values("y").to_numpy() == fy))
    alive = ~terminal
    # (i) eating with energy left: the successor's energy is 1, not E (same cells)
    eat = alive & on_food & (energy >= 2)
    moved = ns[eat]
    keep = moved != world.dead_state
    ns[eat] = np.where(keep & (p[eat] > 0), moved - (E - 1), moved)
    # (ii) the lowest level off the food cell is worth 0: terminal in this model
    last = alive & ~on_food & (energy == 1)
    ns[last], p[last] = 0, 0.0
    ns[last, :, 0] = np.flatnonzero(last)[:, None]
    p[last, STAY, 0] = 1.0
    mask[last] = False
    mask[last, STAY] = True
    terminal[last] = True
    return FiniteMDP.from_arrays(ns, p, mask, terminal, state_labels=labels,
                                 action_labels=mdp.action_labels, name="predator_prey_authors")


def authors_simulation_policy(world: PredatorPreyWorld, result) -> np.ndarray:
    """The MOP mouse of the authors' simulation loop: their values, the true successors.

    Their simulator weighs action ``a`` by ``prod_{s'} Z(s')^{p(s'|s, a)}`` with ``p`` the true
    dynamics (a mouse that eats is refilled) and ``Z`` their value table, i.e.
    ``pi(a|s) ∝ exp(gamma * E[V(s') | s, a])`` with ``V`` the MOP values of
    :func:`authors_value_model` and the expectation under ``world.mdp``.

    Parameters
    ----------
    world : PredatorPreyWorld
        The world.
    result : SolveResult
        :func:`~neuromop.mdp.solvers.solve_mop` of ``authors_value_model(world)`` (alpha = 1,
        beta = 0).

    Returns
    -------
    ndarray, shape (S, A)
        pi(a|s) for rollouts in ``world`` (the dead state keeps its one no-op).
    """
    if not isinstance(world, PredatorPreyWorld):
        raise TypeError(f"world must be a PredatorPreyWorld, got {type(world).__name__}")
    V = np.asarray(getattr(result, "V", None), dtype=float)
    params = getattr(result, "params", {}) or {}
    if (getattr(result, "agent", None) != "mop" or V.shape != (world.mdp.n_states,)
            or params.get("alpha") != 1.0 or params.get("beta") != 0.0):
        raise ValueError("result must be solve_mop's solution (alpha = 1, beta = 0) of "
                         f"authors_value_model(world) ({world.mdp.n_states} states)")
    mask = world.mdp.action_mask
    Q = np.where(mask, params["gamma"] * world.mdp.expectation(V), -np.inf)
    return _softmax_policy(Q.T.copy(), 1.0, mask.T)
