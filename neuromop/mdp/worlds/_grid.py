"""Shared helpers for grid worlds: king moves, free cells, admissible moves, the world object.

Coordinates are 1-based ``(x, y)`` with ``x`` growing to the right and ``y`` upwards, as in the
MOP paper (Ramírez-Ruiz et al., Nat. Commun. 2024).
"""

from __future__ import annotations

import numbers
from collections.abc import Iterable
from dataclasses import dataclass, field

import numpy as np

from neuromop._checks import check_int
from neuromop.mdp.model import FiniteMDP

__all__ = ["KING_MOVES", "KING_LABELS", "GridLayout", "GridWorld"]

#: The 8 king moves followed by "stay" (dx, dy).
KING_MOVES = np.array(
    [(0, 1), (1, 1), (1, 0), (1, -1), (0, -1), (-1, -1), (-1, 0), (-1, 1), (0, 0)], dtype=np.int64
)
KING_LABELS = ("N", "NE", "E", "SE", "S", "SW", "W", "NW", "stay")
STAY = 8


def _as_cells(name: str, cells: Iterable[tuple[int, int]] | np.ndarray) -> np.ndarray:
    try:
        arr = np.asarray(list(cells) if not isinstance(cells, np.ndarray) else cells)
    except TypeError as exc:  # not iterable
        raise TypeError(f"{name} must be a list of (x, y) pairs, got {cells!r}") from exc
    except ValueError as exc:  # ragged
        raise ValueError(f"{name} must be a list of (x, y) pairs, got {cells!r}") from exc
    whole = arr.dtype.kind in "iu" or (arr.dtype.kind == "f" and np.all(np.isfinite(arr))
                                       and np.all(arr == np.round(arr)))
    if arr.size and not whole:
        raise TypeError(f"{name} must hold integer cell coordinates, got {cells!r}")
    arr = arr.astype(np.int64)
    if arr.size == 0:
        return np.zeros((0, 2), dtype=np.int64)
    if arr.ndim != 2 or arr.shape[1] != 2:
        raise ValueError(f"{name} must be a list of (x, y) pairs, got shape {arr.shape}")
    return arr


def _int_tuple(name: str, value: object, length: int, what: str) -> tuple[int, ...]:
    """``value`` as a tuple of ``length`` ints (``what`` names the fields in messages)."""
    try:
        items = tuple(value)
    except TypeError:
        raise TypeError(f"{name} must be a tuple {what}, got {value!r}") from None
    if len(items) != length or not all(isinstance(v, numbers.Integral) and
                                       not isinstance(v, bool) for v in items):
        raise ValueError(f"{name} must be a tuple {what} of {length} integers, got {value!r}")
    return tuple(int(v) for v in items)


def _cells_mask(layout, name: str, cells) -> np.ndarray:
    """``layout.mask(cells)``, with errors naming the argument ``name``."""
    try:
        return layout.mask(cells)
    except ValueError as exc:
        raise ValueError(f"{name}: {exc}") from None


def _check_start(world, start: tuple[int, ...]) -> None:
    """Raise ``ValueError`` naming ``start`` when it is not a state of ``world``."""
    try:
        world.state_index(*start)
    except ValueError as exc:
        raise ValueError(f"start {start} is not a state of the world: {exc}") from None


@dataclass(frozen=True, eq=False)
class GridLayout:
    """Free cells of a ``width`` x ``height`` grid with walls, and the king moves between them.

    Parameters
    ----------
    width, height : int
        Grid size in cells.
    walls : sequence of (x, y)
        Wall cells (1-based).

    Attributes
    ----------
    cells : ndarray of int64, shape (C, 2)
        ``(x, y)`` of every free cell, ordered by x then y.
    dest : ndarray of int64, shape (C, 9)
        Index of the cell reached by each king move (stay last), -1 when the move leaves the grid
        or enters a wall (such moves are *removed* from the admissible set).
    """

    width: int
    height: int
    walls: np.ndarray
    cells: np.ndarray = field(init=False)
    dest: np.ndarray = field(init=False)
    _lookup: np.ndarray = field(init=False, repr=False)

    def __post_init__(self) -> None:
        w = check_int("width", self.width, low=1)
        h = check_int("height", self.height, low=1)
        walls = _as_cells("walls", self.walls)
        free = np.ones((w + 2, h + 2), dtype=bool)  # padded by one cell on every side
        free[0, :] = free[-1, :] = free[:, 0] = free[:, -1] = False
        if walls.size:
            if walls[:, 0].min() < 1 or walls[:, 0].max() > w or walls[:, 1].min() < 1 or (
                walls[:, 1].max() > h
            ):
                raise ValueError(f"walls must lie inside the {w}x{h} grid, got {walls.tolist()}")
            free[walls[:, 0], walls[:, 1]] = False
        xs, ys = np.nonzero(free)
        cells = np.stack([xs, ys], axis=1)
        lookup = np.full((w + 2, h + 2), -1, dtype=np.int64)
        lookup[xs, ys] = np.arange(len(cells))
        tx = cells[:, None, 0] + KING_MOVES[None, :, 0]
        ty = cells[:, None, 1] + KING_MOVES[None, :, 1]
        dest = lookup[tx, ty]
        object.__setattr__(self, "walls", walls)
        object.__setattr__(self, "cells", cells)
        object.__setattr__(self, "dest", dest)
        object.__setattr__(self, "_lookup", lookup)

    @property
    def n_cells(self) -> int:
        """Number of free cells C."""
        return int(len(self.cells))

    def cell_index(self, x: object, y: object) -> np.ndarray:
        """Index of the free cell at ``(x, y)`` (vectorised); raises for walls or off-grid cells."""
        xa = np.asarray(x, dtype=np.int64)
        ya = np.asarray(y, dtype=np.int64)
        inside = (xa >= 1) & (xa <= self.width) & (ya >= 1) & (ya <= self.height)
        idx = np.where(inside, self._lookup[np.clip(xa, 0, self.width + 1),
                                            np.clip(ya, 0, self.height + 1)], -1)
        if np.any(idx < 0):
            bad = np.argwhere(np.atleast_1d(idx) < 0)[0][0]
            bx, by = np.atleast_1d(xa)[bad], np.atleast_1d(ya)[bad]
            raise ValueError(
                f"(x, y) = ({int(bx)}, {int(by)}) is not a free cell of the "
                f"{self.width}x{self.height} grid (wall or outside)"
            )
        return idx

    def mask(self, cells: Iterable[tuple[int, int]]) -> np.ndarray:
        """Boolean mask over free cells for the listed ``(x, y)`` cells."""
        out = np.zeros(self.n_cells, dtype=bool)
        arr = _as_cells("cells", cells)
        if arr.size:
            out[self.cell_index(arr[:, 0], arr[:, 1])] = True
        return out

    def region(self, x_range: tuple[int, int], y_range: tuple[int, int]) -> np.ndarray:
        """Boolean mask over free cells with ``x`` and ``y`` inside the inclusive ranges."""
        x, y = self.cells[:, 0], self.cells[:, 1]
        return (x >= x_range[0]) & (x <= x_range[1]) & (y >= y_range[0]) & (y <= y_range[1])


@dataclass(frozen=True, eq=False)
class GridWorld:
    """A grid world with an internal energy: its MDP and the maps between labels and indices.

    State index ``s = cell * capacity + (energy - 1)``; energy 1 is death (absorbing).

    Attributes
    ----------
    mdp : FiniteMDP
        The world's MDP (state labels ``(x, y, energy)``, actions :data:`KING_LABELS`).
    layout : GridLayout
        Free cells and moves.
    capacity : int
        Largest energy level.
    food : ndarray of int64, shape (F, 2)
        Food cells.
    start : tuple of int
        Default start ``(x, y, energy)``.
    regions : dict of str to ndarray of bool
        Named cell masks (e.g. ``"tv_room"``).
    params : dict
        Construction parameters (for provenance).
    """

    mdp: FiniteMDP
    layout: GridLayout
    capacity: int
    food: np.ndarray
    start: tuple[int, int, int]
    regions: dict[str, np.ndarray]
    params: dict

    @property
    def free_cells(self) -> np.ndarray:
        """``(x, y)`` of every free cell, shape (C, 2)."""
        return self.layout.cells

    @property
    def start_state(self) -> int:
        """Index of the default start state."""
        return int(self.state_index(*self.start))

    def state_index(self, x: object, y: object, energy: object) -> np.ndarray | int:
        """State index of ``(x, y, energy)`` (vectorised over array inputs).

        Raises
        ------
        ValueError
            When a cell is a wall or off the grid, or an energy is outside ``1..capacity``.
        """
        e = np.asarray(energy, dtype=np.int64)
        if np.any((e < 1) | (e > self.capacity)):
            raise ValueError(f"energy must be in 1..{self.capacity}, got {energy!r}")
        out = self.layout.cell_index(x, y) * self.capacity + (e - 1)
        return int(out) if np.ndim(out) == 0 else out

    def state_xy_energy(self, indices: object) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Inverse of :meth:`state_index`: ``(x, y, energy)`` arrays for state indices."""
        s = np.asarray(indices, dtype=np.int64)
        if np.any((s < 0) | (s >= self.mdp.n_states)):
            raise ValueError(f"state indices must be in [0, {self.mdp.n_states}), got {indices!r}")
        cell, e = np.divmod(s, self.capacity)
        return self.layout.cells[cell, 0], self.layout.cells[cell, 1], e + 1

    def food_reward(self, magnitude: float = 1.0) -> np.ndarray:
        """Extrinsic reward (S, A) for eating: ``magnitude`` at alive states on a food cell.

        This is the R agent's reward in the authors' gridworld code (``reachable_rewards``): the
        agent is paid for being on food, not merely for staying alive.
        """
        s = np.arange(self.mdp.n_states)
        _, _, energy = self.state_xy_energy(s)
        on_food = self.layout.mask(self.food)[self.cell_of_state(s)] & (energy >= 2)
        return np.where(self.mdp.action_mask, magnitude * on_food[:, None], 0.0)

    def cell_of_state(self, indices: object) -> np.ndarray:
        """Free-cell index of each state index."""
        return np.asarray(indices, dtype=np.int64) // self.capacity

    def render(self, ax=None, values: np.ndarray | None = None, *, cmap: str = "viridis",
               title: str | None = None):
        """Draw the arena (walls grey, food green) and optionally a value per free cell.

        Parameters
        ----------
        ax : matplotlib Axes, optional
        values : array_like, shape (C,), optional
            A number per free cell (e.g. occupancy), drawn as a heat map.

        Returns
        -------
        matplotlib Axes
        """
        import matplotlib.pyplot as plt

        if ax is None:
            _, ax = plt.subplots(figsize=(4, 4))
        w, h = self.layout.width, self.layout.height
        img = np.full((h, w), np.nan)
        if values is not None:
            v = np.asarray(values, dtype=float)
            if v.shape != (self.layout.n_cells,):
                raise ValueError(
                    f"values must have one entry per free cell ({self.layout.n_cells}), "
                    f"got shape {v.shape}"
                )
            img[self.layout.cells[:, 1] - 1, self.layout.cells[:, 0] - 1] = v
            im = ax.imshow(img, origin="lower", extent=(0.5, w + 0.5, 0.5, h + 0.5), cmap=cmap)
            ax.figure.colorbar(im, ax=ax, fraction=0.046, pad=0.04)
        walls = np.zeros((h, w))
        if self.layout.walls.size:
            walls[self.layout.walls[:, 1] - 1, self.layout.walls[:, 0] - 1] = 1
        ax.imshow(np.ma.masked_equal(walls, 0), origin="lower", cmap="Greys", vmin=0, vmax=1.5,
                  extent=(0.5, w + 0.5, 0.5, h + 0.5))
        if self.food.size:
            ax.scatter(self.food[:, 0], self.food[:, 1], marker="D", c="tab:green", s=60,
                       label="food")
        ax.set_xticks(range(1, w + 1))
        ax.set_yticks(range(1, h + 1))
        ax.set_xlabel("x")
        ax.set_ylabel("y")
        if title:
            ax.set_title(title)
        return ax


def energy_world_arrays(
    layout: GridLayout,
    capacity: int,
    gain_per_cell: np.ndarray,
    noisy_cells: np.ndarray | None = None,
    eta: float = 0.0,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Arrays ``(next_states, probs, action_mask, terminal)`` of a grid world with energy.

    Alive states (energy >= 2) may use every king move that stays on a free cell and "stay";
    dead states (energy 1) only "stay", a self-loop. Energy update from cell ``c``:
    ``u' = min(capacity, u - 1 + gain_per_cell[c])``. In ``noisy_cells`` the chosen action is
    replaced, with probability ``eta``, by an admissible action drawn uniformly.
    """
    C = layout.n_cells
    S = C * capacity
    cell = np.repeat(np.arange(C), capacity)
    energy = np.tile(np.arange(1, capacity + 1), C)
    alive = energy >= 2
    dest = layout.dest[cell]  # (S, 9)
    mask = (dest >= 0) & alive[:, None]
    mask[:, STAY] = True
    u_next = np.minimum(capacity, energy - 1 + gain_per_cell[cell])
    u_next = np.where(alive, np.maximum(u_next, 1), 1)
    succ = np.where(mask, np.maximum(dest, 0) * capacity + (u_next[:, None] - 1), 0)
    succ[~alive, STAY] = np.flatnonzero(~alive)
    A = KING_MOVES.shape[0]
    if noisy_cells is None or eta == 0.0 or not np.any(noisy_cells):
        return succ[:, :, None], mask[:, :, None].astype(float), mask, ~alive
    noisy = noisy_cells[cell] & alive
    n_adm = mask.sum(axis=1, keepdims=True)
    eye = np.eye(A, dtype=bool)
    # probs[s, a, b]: chosen a, executed b
    probs = np.where(noisy[:, None, None], eta / n_adm[:, :, None] * mask[:, None, :], 0.0)
    probs = probs + np.where(noisy[:, None, None], 1.0 - eta, 1.0) * eye[None, :, :]
    probs = probs * mask[:, :, None]
    next_states = np.broadcast_to(succ[:, None, :], (S, A, A)).copy()
    next_states[probs == 0] = 0
    return next_states, probs, mask, ~alive
