"""Predator–prey world of the MOP paper (mouse, cat, home, food; Ramírez-Ruiz et al. 2024, Fig. 4).

The mouse (the agent) moves by king moves or stays in a 7 x 7 arena; a cat chases it but cannot
enter the home region. Each step, in this order:

1. the mouse's energy updates from the cell it is *leaving*: refilled to ``n_energy`` on the food
   cell, otherwise decreased by 1; energy 0 means starvation (death);
2. the mouse moves to the chosen cell (moving onto the cat kills it);
3. the cat picks one of its admissible moves (8 king moves + stay, never into the home region or
   off the arena) with probability proportional to ``exp(cat_beta * cos(angle))`` between the move
   and the direction from the cat to the mouse's new cell (stay has cosine 0); the mouse dies if
   the cat lands on it.

All death outcomes go to one absorbing terminal state (index ``n_states - 1``). State count:
``free cells x (free cells - |home|) x n_energy + 1``; the defaults (a plus-shaped obstacle of 5
cells in the centre so that the mouse can run around it, a home of 4 cells in the bottom-left
corner, food at the top middle, 15 energy levels) give 44 x 40 x 15 + 1 = 26,401 states, solved
exactly in about a second (states with mouse and cat on the same cell are included for indexing
but never reached). The layout of the paper's figure is not published in machine-readable form;
these defaults are our choice and are parameters.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from neuromop._checks import check_int, check_real
from neuromop.mdp.model import FiniteMDP
from neuromop.mdp.worlds._grid import KING_LABELS, KING_MOVES, STAY, GridLayout

__all__ = ["PredatorPreyWorld", "predator_prey"]


@dataclass(frozen=True, eq=False)
class PredatorPreyWorld:
    """The predator–prey world: its MDP and index maps.

    State index ``s = (mouse_cell * n_cat_cells + cat_cell) * n_energy + (energy - 1)``; the
    dead state is ``n_states - 1``.
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
        lookup = {(int(a), int(b)): i for i, (a, b) in enumerate(self.cat_cells)}
        cx, cy = np.atleast_1d(cat_x), np.atleast_1d(cat_y)
        try:
            c = np.array([lookup[(int(a), int(b))] for a, b in zip(cx, cy, strict=True)])
        except KeyError as exc:
            raise ValueError(
                f"cat position {exc.args[0]} is not a cell the cat may occupy"
            ) from exc
        e = np.asarray(energy, dtype=np.int64)
        if np.any((e < 1) | (e > self.n_energy)):
            raise ValueError(f"energy must be in 1..{self.n_energy}, got {energy!r}")
        out = (m * len(self.cat_cells) + c.reshape(np.shape(m))) * self.n_energy + (e - 1)
        return int(out) if np.ndim(out) == 0 else out


def predator_prey(
    size: int = 7,
    n_energy: int = 15,
    home: tuple[tuple[int, int], ...] = ((1, 1), (1, 2), (2, 1), (2, 2)),
    food: tuple[int, int] = (4, 7),
    obstacles: tuple[tuple[int, int], ...] = ((3, 4), (4, 4), (5, 4), (4, 3), (4, 5)),
    cat_beta: float = 2.0,
    start: tuple[int, int, int, int, int] | None = None,
) -> PredatorPreyWorld:
    """Build the predator–prey world.

    Parameters
    ----------
    size : int
        Arena side (cells).
    n_energy : int
        Energy levels of the mouse (1..n_energy alive).
    home : sequence of (x, y)
        Cells the cat cannot enter.
    food : (x, y)
        The food cell that refills the mouse's energy.
    obstacles : sequence of (x, y)
        Wall cells neither animal may enter.
    cat_beta : float
        Inverse temperature of the cat's softmax over cosines (>= 0).
    start : (x, y, cat_x, cat_y, energy), optional
        Default: mouse at home (1, 1), cat in the opposite corner, full energy.

    Returns
    -------
    PredatorPreyWorld
    """
    size = check_int("size", size, low=3)
    n_energy = check_int("n_energy", n_energy, low=1)
    cat_beta = check_real("cat_beta", cat_beta, low=0.0)
    layout = GridLayout(size, size, list(obstacles))
    home_mask = layout.mask(home)
    food_mask = layout.mask([food])
    cat_idx = np.flatnonzero(~home_mask)  # cells (layout indices) the cat may occupy
    cat_pos = np.full(layout.n_cells, -1)
    cat_pos[cat_idx] = np.arange(len(cat_idx))
    M, C, E = layout.n_cells, len(cat_idx), n_energy
    n_alive = M * C * E
    dead = n_alive
    S = n_alive + 1
    A = KING_MOVES.shape[0]

    m, c, e = (g.ravel() for g in np.meshgrid(np.arange(M), cat_idx, np.arange(1, E + 1),
                                               indexing="ij"))
    m_next = layout.dest[m]  # (N, A) mouse destinations, -1 if off-arena
    mask = np.zeros((S, A), dtype=bool)
    mask[:n_alive] = m_next >= 0
    mask[:, STAY] = True
    e_next = np.where(food_mask[m], E, e - 1)  # (N,)
    # cat moves toward the mouse's new cell
    cat_dest = layout.dest[c]  # (N, 9) layout indices
    cat_ok = (cat_dest >= 0) & ~home_mask[np.maximum(cat_dest, 0)]
    mx = layout.cells[np.maximum(m_next, 0)]  # (N, A, 2)
    to_mouse = mx - layout.cells[c][:, None, :]  # (N, A, 2)
    norm = np.linalg.norm(to_mouse, axis=-1)
    mv = KING_MOVES.astype(float)
    mv_norm = np.linalg.norm(mv, axis=-1)
    dot = np.einsum("nad,bd->nab", to_mouse, mv)
    denom = norm[:, :, None] * mv_norm[None, None, :]
    cos = np.divide(dot, denom, out=np.zeros_like(dot), where=denom > 0)
    logits = np.where(cat_ok[:, None, :], cat_beta * cos, -np.inf)
    w = np.exp(logits - logits.max(axis=-1, keepdims=True))
    cat_p = w / w.sum(axis=-1, keepdims=True)  # (N, A, B)
    c_next = cat_pos[np.maximum(cat_dest, 0)]  # (N, B) cat-cell index
    alive_next = (e_next >= 1)[:, None, None] & (m_next >= 0)[:, :, None]
    caught = (m_next[:, :, None] == cat_dest[:, None, :]) | (m_next == c[:, None])[:, :, None]
    succ = (np.maximum(m_next, 0)[:, :, None] * C + c_next[:, None, :]) * E + (
        np.clip(e_next, 1, E) - 1)[:, None, None]
    succ = np.where(alive_next & ~caught, succ, dead)
    probs = np.where(mask[:n_alive, :, None], cat_p, 0.0)
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
    if start is None:
        start = (1, 1, size, size, n_energy)
    world = PredatorPreyWorld(
        mdp=mdp, layout=layout, cat_cells=layout.cells[cat_idx], home=layout.cells[home_mask],
        food=np.array([food]), n_energy=n_energy, start=tuple(int(v) for v in start),
        params={"size": size, "n_energy": n_energy, "home": [list(h) for h in home],
                "food": list(food), "obstacles": [list(o) for o in obstacles],
                "cat_beta": cat_beta, "world": "predator_prey"},
    )
    world.state_index(*world.start)
    return world
