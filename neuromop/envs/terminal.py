"""Composable terminal sets (and extrinsic-reward regions) for neural-network environments.

A terminal set decides which states of an environment are terminal ("pathological") and may carry
*auxiliary* state variables that make the process Markov — e.g. the running energy of
:class:`EnergyBudget`. Terminal sets are combined with ``|``: the union of their terminal regions,
the concatenation of their auxiliaries and the sum of their rewards::

    task = EnergyBudget(max_energy=0.15) | SquareBox(neurons=(0, 1), half_width=0.6)

Every method receives a :class:`TaskView` — the neural activity ``x`` (shape ``(..., N)``), the
linear readout ``y`` (``(..., n_readouts)``) and the context one-hot (``(..., n_contexts)``) — plus
the set's own slice of the auxiliary vector. All operations broadcast over arbitrary leading
dimensions, so environments evaluate them on ``(B, K)`` candidate successors in one call.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from neuromop._checks import check_int, check_real

__all__ = [
    "ActivityBox",
    "TaskView",
    "TerminalSet",
    "NeverTerminal",
    "EnergyBudget",
    "SquareBox",
    "ShapeSet",
    "Corridor",
    "InnerSquareReward",
    "CompositeTerminal",
    "SHAPES",
    "shape_fill_std",
]


@dataclass(frozen=True)
class TaskView:
    """Quantities of a state that terminal sets look at (torch tensors, leading dims ``...``)."""

    activity: Any
    readout: Any
    context: Any


@dataclass(frozen=True)
class EnvSpec:
    """Sizes of the environment a terminal set is bound to."""

    n_neurons: int
    n_readouts: int
    n_contexts: int
    dt: float


def _index_pair(name: str, value: object) -> tuple[int, int]:
    """``value`` as a pair of non-negative indices, or raise naming ``name``."""
    try:
        items = tuple(value)
    except TypeError:
        raise TypeError(f"{name} must be a pair of indices, got {value!r}") from None
    if len(items) != 2:
        raise ValueError(f"{name} must be a pair of indices, got {value!r}")
    return tuple(check_int(name, v, low=0) for v in items)


class TerminalSet:
    """Base class: no auxiliaries, nothing terminal, no reward.

    Subclasses override :meth:`is_terminal` (and, if they carry state, :attr:`aux_names`,
    :meth:`initial_aux`, :meth:`next_aux`; for reward regions :meth:`reward`).
    """

    #: Names of the auxiliary state variables this set appends to the Markov state.
    aux_names: tuple[str, ...] = ()

    @property
    def aux_dim(self) -> int:
        """Number of auxiliary state variables."""
        return len(self.aux_names)

    def bind(self, spec: EnvSpec) -> None:
        """Check that the set fits an environment of the given sizes (raise ``ValueError``)."""

    def initial_aux(self, view: TaskView):
        """Auxiliaries of initial states, shape ``(..., aux_dim)``."""
        import torch

        x = view.activity
        return torch.zeros(x.shape[:-1] + (self.aux_dim,), dtype=x.dtype, device=x.device)

    def next_aux(self, aux, view_next: TaskView):
        """Auxiliaries after a step, given the previous ones and the *next* state's view."""
        return aux

    def is_terminal(self, view: TaskView, aux):
        """Boolean tensor of shape ``view.activity.shape[:-1]``."""
        import torch

        return torch.zeros(view.activity.shape[:-1], dtype=torch.bool, device=view.activity.device)

    def reward(self, view: TaskView, aux):
        """Extrinsic reward of a state, shape ``view.activity.shape[:-1]`` (0 by default)."""
        import torch

        x = view.activity
        return torch.zeros(x.shape[:-1], dtype=x.dtype, device=x.device)

    def __or__(self, other: TerminalSet) -> CompositeTerminal:
        if not isinstance(other, TerminalSet):
            return NotImplemented
        left = self.parts if isinstance(self, CompositeTerminal) else (self,)
        right = other.parts if isinstance(other, CompositeTerminal) else (other,)
        return CompositeTerminal(*left, *right)


class NeverTerminal(TerminalSet):
    """No terminal states (the free, unconstrained network)."""

    def __repr__(self) -> str:
        return "NeverTerminal()"


class EnergyBudget(TerminalSet):
    """Terminal when a leaky running cost of activity exceeds a budget.

    The energy ``E`` is an auxiliary state variable updated after each step from the *new* activity
    ``x'``::

        c(x')  = mean_i max(|x'_i| - threshold, 0) ** 2
        E'     = E + (dt / time_constant) * (c(x') - E)

    and a state is terminal when ``E > max_energy``.

    Parameters
    ----------
    max_energy : float
        Budget (same units as ``c``, activity squared).
    time_constant : float
        Leak time constant of the running cost, in the environment's time units (``dt`` units).
    threshold : float
        Activity magnitude below which a neuron costs nothing.

    See :class:`neuromop.envs.spiking.SpikingEnergyBudget` for the spiking network's energy
    budget (same parameter names; spikes per neuron above a threshold rate).
    """

    aux_names = ("energy",)

    def __init__(self, max_energy: float = 0.15, time_constant: float = 1.0,
                 threshold: float = 0.0) -> None:
        self.max_energy = check_real("max_energy", max_energy, low=0.0, low_inclusive=False)
        self.time_constant = check_real("time_constant", time_constant, low=0.0,
                                        low_inclusive=False)
        self.threshold = check_real("threshold", threshold, low=0.0)
        self._leak = None

    def bind(self, spec: EnvSpec) -> None:
        self._leak = spec.dt / self.time_constant
        if self._leak > 1.0:
            raise ValueError(
                f"EnergyBudget time_constant must be >= the environment dt={spec.dt}, "
                f"got {self.time_constant}"
            )

    def cost(self, activity):
        """Instantaneous cost ``c(x)``, shape ``activity.shape[:-1]``."""
        import torch

        excess = torch.clamp(activity.abs() - self.threshold, min=0.0)
        return (excess * excess).mean(dim=-1)

    def next_aux(self, aux, view_next: TaskView):
        if self._leak is None:
            raise RuntimeError("EnergyBudget must be bound to an environment (env.terminal)")
        c = self.cost(view_next.activity).unsqueeze(-1)
        return aux + self._leak * (c - aux)

    def is_terminal(self, view: TaskView, aux):
        return aux[..., 0] > self.max_energy

    def __repr__(self) -> str:
        return (f"EnergyBudget(max_energy={self.max_energy}, time_constant={self.time_constant}, "
                f"threshold={self.threshold})")


class SquareBox(TerminalSet):
    """Terminal when the activity of two chosen neurons leaves the square ``|x_i|, |x_j| <= h``.

    Parameters
    ----------
    neurons : tuple of two int
        Indices of the two neurons.
    half_width : float
        Half side length ``h`` of the square (activity units), centred on 0.
    """

    def __init__(self, neurons: tuple[int, int] = (0, 1), half_width: float = 0.5) -> None:
        i, j = _index_pair("neurons", neurons)
        if i == j:
            raise ValueError(f"neurons must be two different indices, got {neurons!r}")
        self.neurons = (i, j)
        self.half_width = check_real("half_width", half_width, low=0.0, low_inclusive=False)

    def bind(self, spec: EnvSpec) -> None:
        if max(self.neurons) >= spec.n_neurons:
            raise ValueError(
                f"SquareBox neurons must be < n_neurons={spec.n_neurons}, got {self.neurons}"
            )

    def is_terminal(self, view: TaskView, aux):
        xy = view.activity[..., list(self.neurons)]
        return (xy.abs() > self.half_width).any(dim=-1)

    def __repr__(self) -> str:
        return f"SquareBox(neurons={self.neurons}, half_width={self.half_width})"


class ActivityBox(TerminalSet):
    """Terminal when any unit's activity leaves its interval ``[lower_i, upper_i]``.

    The box of a network fitted to a recording is usually the range its fitted trajectories
    visit (see :func:`neuromop.fit.recorded_activity_box`): leaving it means the network went
    where the recorded population was never seen.

    Parameters
    ----------
    lower, upper : array_like, shape (N,)
        Per-unit bounds (activity units), ``lower < upper``, finite.
    """

    def __init__(self, lower, upper) -> None:
        try:
            lo = np.asarray(lower, dtype=float)
            hi = np.asarray(upper, dtype=float)
        except (TypeError, ValueError):
            raise TypeError(f"lower and upper must be arrays of numbers, got {lower!r} and "
                            f"{upper!r}") from None
        if lo.ndim != 1 or lo.size == 0 or lo.shape != hi.shape:
            raise ValueError(f"lower and upper must be 1-D arrays of the same length, got shapes "
                             f"{lo.shape} and {hi.shape}")
        if not (np.all(np.isfinite(lo)) and np.all(np.isfinite(hi))):
            raise ValueError("lower and upper must be finite")
        if np.any(lo >= hi):
            raise ValueError(f"lower must be < upper for every unit, got lower >= upper at units "
                             f"{np.flatnonzero(lo >= hi).tolist()}")
        import torch

        self.lower, self.upper = lo, hi
        self._lo = torch.as_tensor(lo, dtype=torch.float32)
        self._hi = torch.as_tensor(hi, dtype=torch.float32)

    def bind(self, spec: EnvSpec) -> None:
        if self.lower.size != spec.n_neurons:
            raise ValueError(f"ActivityBox lower and upper must have n_neurons={spec.n_neurons} "
                             f"entries, "
                             f"got {self.lower.size}")

    def is_terminal(self, view: TaskView, aux):
        x = view.activity
        return ((x < self._lo) | (x > self._hi)).any(dim=-1)

    def __repr__(self) -> str:
        return f"ActivityBox(n_units={self.lower.size})"


def _polygon(n: int, radius: float, rotation: float = 0.0):
    return [(radius * math.cos(rotation + 2 * math.pi * k / n),
             radius * math.sin(rotation + 2 * math.pi * k / n)) for k in range(n)]


#: The six shapes of the context task as convex polygons (vertices, readout units) or a disc
#: (``("disc", radius)``), centred on the origin.
SHAPES: tuple[tuple[str, Any], ...] = (
    ("square", [(-0.5, -0.5), (0.5, -0.5), (0.5, 0.5), (-0.5, 0.5)]),
    ("disc", 0.55),
    ("triangle", _polygon(3, 0.75, math.pi / 2)),
    ("hexagon", _polygon(6, 0.6)),
    ("wide rectangle", [(-0.8, -0.3), (0.8, -0.3), (0.8, 0.3), (-0.8, 0.3)]),
    ("tall rectangle", [(-0.3, -0.8), (0.3, -0.8), (0.3, 0.8), (-0.3, 0.8)]),
)


def shape_fill_std(scale: float = 1.0) -> np.ndarray:
    """Readout std (``readout_std`` convention) of a point uniform over each of the six shapes.

    For a polygon the second moments come from the exact area integrals
    ``I_xx = (1/12) sum_i c_i (x_i^2 + x_i x_{i+1} + x_{i+1}^2)`` (likewise ``I_yy``) with
    ``c_i = x_i y_{i+1} - x_{i+1} y_i``, about the centroid; a disc of radius ``r`` has variance
    ``r^2 / 4`` per axis. Returns ``sqrt((var_x + var_y) / 2)`` per shape (readout units), in the
    order of :data:`SHAPES`; e.g. ``h / sqrt(3)`` for a square of half side ``h``.
    """
    scale = check_real("scale", scale, low=0.0, low_inclusive=False)
    out = []
    for _, geom in SHAPES:  # at scale 1 (no over- or underflow), then scaled
        if isinstance(geom, float):
            out.append(geom / 2.0)
            continue
        v = np.asarray(geom, dtype=float)
        x, y = v[:, 0], v[:, 1]
        x1, y1 = np.roll(x, -1), np.roll(y, -1)
        c = x * y1 - x1 * y
        area = c.sum() / 2
        cx, cy = ((x + x1) * c).sum() / (6 * area), ((y + y1) * c).sum() / (6 * area)
        ixx = (c * (x * x + x * x1 + x1 * x1)).sum() / 12 / area - cx * cx
        iyy = (c * (y * y + y * y1 + y1 * y1)).sum() / 12 / area - cy * cy
        out.append(float(np.sqrt((ixx + iyy) / 2)))
    res = np.asarray(out) * scale
    if not np.all(np.isfinite(res)):
        raise ValueError(f"scale {scale} is too large: the readout stds overflow")
    return res


class ShapeSet(TerminalSet):
    """Terminal when a 2-D readout leaves the shape selected by the one-hot context.

    Parameters
    ----------
    scale : float
        Multiplies every shape's size (readout units).
    readouts : tuple of two int
        Which readouts form the 2-D point.
    """

    def __init__(self, scale: float = 1.0, readouts: tuple[int, int] = (0, 1)) -> None:
        self.scale = check_real("scale", scale, low=0.0, low_inclusive=False)
        self.readouts = _index_pair("readouts", readouts)
        self.names = tuple(name for name, _ in SHAPES)

    def bind(self, spec: EnvSpec) -> None:
        if spec.n_contexts != len(SHAPES):
            raise ValueError(f"ShapeSet needs n_contexts={len(SHAPES)}, got {spec.n_contexts}")
        if max(self.readouts) >= spec.n_readouts:
            raise ValueError(
                f"ShapeSet readouts must be < n_readouts={spec.n_readouts}, got {self.readouts}"
            )

    def inside(self, point):
        """Boolean ``(..., 6)``: whether each 2-D point lies inside each shape."""
        import torch

        px, py = point[..., 0], point[..., 1]
        cols = []
        for _, geom in SHAPES:
            if isinstance(geom, float):
                r = geom * self.scale
                cols.append(px * px + py * py <= r * r)
                continue
            ok = torch.ones_like(px, dtype=torch.bool)
            verts = [(a * self.scale, b * self.scale) for a, b in geom]
            for (x0, y0), (x1, y1) in zip(verts, verts[1:] + verts[:1]):
                # counter-clockwise polygon: inside = left of every edge
                ok &= (x1 - x0) * (py - y0) - (y1 - y0) * (px - x0) >= 0
            cols.append(ok)
        return torch.stack(cols, dim=-1)

    def is_terminal(self, view: TaskView, aux):
        point = view.readout[..., list(self.readouts)]
        inside = self.inside(point)
        chosen = (inside & (view.context > 0.5)).any(dim=-1)
        return ~chosen

    def __repr__(self) -> str:
        return f"ShapeSet(scale={self.scale}, readouts={self.readouts})"


class Corridor(TerminalSet):
    """Two square rooms joined by a narrow corridor in 2-D readout space.

    The allowed region is the union of two rooms — squares of half side ``room_half`` centred at
    ``(-room_offset, 0)`` and ``(+room_offset, 0)`` — and the corridor joining them, the strip
    ``|x| <= room_offset, |y| <= corridor_half``. Leaving the union is terminal.

    Parameters
    ----------
    room_offset, room_half, corridor_half : float
        Geometry in readout units (``corridor_half < room_half < room_offset``).
    readouts : tuple of two int
        Which readouts form the 2-D point.
    """

    def __init__(self, room_offset: float = 0.5, room_half: float = 0.25,
                 corridor_half: float = 0.06, readouts: tuple[int, int] = (0, 1)) -> None:
        self.room_offset = check_real("room_offset", room_offset, low=0.0, low_inclusive=False)
        self.room_half = check_real("room_half", room_half, low=0.0, low_inclusive=False)
        if self.room_half >= self.room_offset:
            raise ValueError(f"room_half must be < room_offset = {self.room_offset}, got "
                             f"{self.room_half}")
        self.corridor_half = check_real("corridor_half", corridor_half, low=0.0,
                                        low_inclusive=False)
        if self.corridor_half >= self.room_half:
            raise ValueError(f"corridor_half must be < room_half = {self.room_half}, got "
                             f"{self.corridor_half}")
        self.readouts = _index_pair("readouts", readouts)

    def bind(self, spec: EnvSpec) -> None:
        if max(self.readouts) >= spec.n_readouts:
            raise ValueError(
                f"Corridor readouts must be < n_readouts={spec.n_readouts}, got {self.readouts}"
            )

    def region(self, point):
        """Integer ``(...)``: 0 left room, 1 corridor, 2 right room, -1 outside."""
        import torch

        px, py = point[..., 0], point[..., 1]
        in_left = ((px + self.room_offset).abs() <= self.room_half) & (py.abs() <= self.room_half)
        in_right = ((px - self.room_offset).abs() <= self.room_half) & (py.abs() <= self.room_half)
        in_corr = (px.abs() <= self.room_offset) & (py.abs() <= self.corridor_half)
        out = torch.full(px.shape, -1, dtype=torch.long, device=px.device)
        out[in_corr] = 1
        out[in_left] = 0
        out[in_right] = 2
        return out

    def is_terminal(self, view: TaskView, aux):
        return self.region(view.readout[..., list(self.readouts)]) < 0

    def __repr__(self) -> str:
        return (f"Corridor(room_offset={self.room_offset}, room_half={self.room_half}, "
                f"corridor_half={self.corridor_half})")


class InnerSquareReward(TerminalSet):
    """Extrinsic reward ``mu`` for states whose two chosen neurons lie in an inner square.

    Not terminal itself; combine with a terminal set, e.g. ``SquareBox(...) |
    InnerSquareReward(...)``.

    Parameters
    ----------
    neurons : tuple of two int
        Indices of the two neurons.
    half_width : float
        Half side of the rewarded square (activity units), centred on 0.
    mu : float
        Reward per step inside.
    """

    def __init__(self, neurons: tuple[int, int] = (0, 1), half_width: float = 0.2,
                 mu: float = 1.0) -> None:
        self.neurons = _index_pair("neurons", neurons)
        self.half_width = check_real("half_width", half_width, low=0.0, low_inclusive=False)
        self.mu = check_real("mu", mu)

    def bind(self, spec: EnvSpec) -> None:
        if max(self.neurons) >= spec.n_neurons:
            raise ValueError(
                f"InnerSquareReward neurons must be < n_neurons={spec.n_neurons}, "
                f"got {self.neurons}"
            )

    def inside(self, view: TaskView):
        """Boolean ``(...)``: inside the rewarded square."""
        xy = view.activity[..., list(self.neurons)]
        return (xy.abs() <= self.half_width).all(dim=-1)

    def reward(self, view: TaskView, aux):
        return self.mu * self.inside(view).to(view.activity.dtype)

    def __repr__(self) -> str:
        return (f"InnerSquareReward(neurons={self.neurons}, half_width={self.half_width}, "
                f"mu={self.mu})")


class CompositeTerminal(TerminalSet):
    """Union of terminal sets (built with ``|``): any part terminal -> terminal; rewards add."""

    def __init__(self, *parts: TerminalSet) -> None:
        for p in parts:
            if not isinstance(p, TerminalSet) or isinstance(p, CompositeTerminal):
                raise TypeError(f"parts must be non-composite TerminalSet objects, got {p!r}")
        self.parts = tuple(parts)
        self.aux_names = tuple(n for p in parts for n in p.aux_names)
        self._slices = []
        start = 0
        for p in parts:
            self._slices.append(slice(start, start + p.aux_dim))
            start += p.aux_dim

    def bind(self, spec: EnvSpec) -> None:
        for p in self.parts:
            p.bind(spec)

    def initial_aux(self, view: TaskView):
        import torch

        x = view.activity
        if not self.parts:
            return torch.zeros(x.shape[:-1] + (0,), dtype=x.dtype)
        return torch.cat([p.initial_aux(view) for p in self.parts], dim=-1)

    def next_aux(self, aux, view_next: TaskView):
        import torch

        if not self.parts:
            return aux
        return torch.cat([p.next_aux(aux[..., s], view_next)
                          for p, s in zip(self.parts, self._slices)], dim=-1)

    def is_terminal(self, view: TaskView, aux):
        out = super().is_terminal(view, aux)
        for p, s in zip(self.parts, self._slices):
            out = out | p.is_terminal(view, aux[..., s])
        return out

    def reward(self, view: TaskView, aux):
        out = super().reward(view, aux)
        for p, s in zip(self.parts, self._slices):
            out = out + p.reward(view, aux[..., s])
        return out

    def __repr__(self) -> str:
        return " | ".join(repr(p) for p in self.parts) or "CompositeTerminal()"
