"""Terminal sets for spiking activity (energy budget, rates leaving a box, quiescence, runaway).

A terminal set sees the observation of a spiking environment -- exponentially filtered
population rates, shape ``(..., n_readouts)`` in Hz -- plus its own auxiliary state variables
(e.g. a running energy), shape ``(..., n_aux)``. Auxiliaries are advanced once per control
period from the copy's instantaneous mean rate (spikes per neuron per second over the period).

All methods work unchanged on numpy arrays and torch tensors, so the same set serves the Brian2
environment (numpy) and learned torch models of it (:mod:`neuromop.fit.spiking_model`).
Sets compose with ``|`` (terminal when any member is); auxiliaries are concatenated in order.
"""

from __future__ import annotations

import math

import numpy as np

from neuromop._checks import check_finite_array, check_real

__all__ = [
    "AnyOf",
    "Quiescence",
    "RateBox",
    "Runaway",
    "SpikingEnergyBudget",
    "SpikingTerminalSet",
]


def _is_torch(x) -> bool:
    return type(x).__module__.startswith("torch")


def _zeros(like, shape):
    if _is_torch(like):
        import torch

        return torch.zeros(shape, dtype=like.dtype, device=like.device)
    return np.zeros(shape, dtype=np.asarray(like).dtype if np.asarray(like).dtype.kind == "f"
                    else float)


def _cat(parts, like):
    if _is_torch(like):
        import torch

        return torch.cat(parts, dim=-1)
    return np.concatenate(parts, axis=-1)


def _as(array: np.ndarray, like):
    if _is_torch(like):
        import torch

        return torch.as_tensor(array, dtype=like.dtype, device=like.device)
    return array


class SpikingTerminalSet:
    """Base class: no auxiliaries, never terminal. Subclasses override what they need."""

    #: Names of the auxiliary state variables (their number is ``n_aux``).
    aux_names: tuple[str, ...] = ()

    @property
    def n_aux(self) -> int:
        """Number of auxiliary state variables."""
        return len(self.aux_names)

    def initial_aux(self, like, batch_shape: tuple[int, ...]):
        """Auxiliaries at the start of an episode, shape ``batch_shape + (n_aux,)``."""
        return _zeros(like, (*batch_shape, self.n_aux))

    def update_aux(self, aux, obs, total_rate, period: float):
        """Advance the auxiliaries over one control period.

        Parameters
        ----------
        aux : array, shape (..., n_aux)
        obs : array, shape (..., n_readouts)
            Filtered population rates at the end of the period (Hz).
        total_rate : array, shape (...)
            Mean rate of all neurons of the copy over the period (Hz).
        period : float
            Control period (s).
        """
        return aux

    def is_terminal(self, obs, aux):
        """Boolean array of shape ``obs.shape[:-1]``."""
        return (obs != obs).any(-1) & False  # all False, right type and shape

    def __or__(self, other: SpikingTerminalSet) -> AnyOf:
        return AnyOf(self, other)


class AnyOf(SpikingTerminalSet):
    """Union of terminal sets: terminal when any member is; auxiliaries concatenated."""

    def __init__(self, *sets: SpikingTerminalSet) -> None:
        flat: list[SpikingTerminalSet] = []
        for s in sets:
            if not isinstance(s, SpikingTerminalSet):
                raise TypeError(
                    f"sets must be SpikingTerminalSet instances, got {type(s).__name__}")
            flat.extend(s.sets if isinstance(s, AnyOf) else [s])
        self.sets = tuple(flat)
        self.aux_names = tuple(n for s in self.sets for n in s.aux_names)
        self._bounds = np.cumsum([0] + [s.n_aux for s in self.sets])

    def _split(self, aux):
        return [aux[..., a:b] for a, b in zip(self._bounds[:-1], self._bounds[1:])]

    def initial_aux(self, like, batch_shape):
        return _cat([s.initial_aux(like, batch_shape) for s in self.sets], like)

    def update_aux(self, aux, obs, total_rate, period):
        parts = [s.update_aux(a, obs, total_rate, period)
                 for s, a in zip(self.sets, self._split(aux))]
        return _cat(parts, obs)

    def is_terminal(self, obs, aux):
        out = None
        for s, a in zip(self.sets, self._split(aux)):
            t = s.is_terminal(obs, a)
            out = t if out is None else out | t
        return out if out is not None else super().is_terminal(obs, aux)

    def __repr__(self) -> str:
        return " | ".join(map(repr, self.sets))


class SpikingEnergyBudget(SpikingTerminalSet):
    """Terminal when the running spike-count cost exceeds a budget.

    The spiking counterpart of :class:`neuromop.envs.EnergyBudget`, with the same parameter
    names. The energy ``E`` (spikes per neuron) accumulates the spikes fired above a threshold
    rate and leaks with time constant ``time_constant``: per control period of length ``T``,
    ``E <- exp(-T / time_constant) E + max(r - threshold, 0) T``, where ``r`` is the copy's
    mean rate over the period. Terminal when ``E > max_energy``.

    Parameters
    ----------
    max_energy : float
        Energy budget (spikes per neuron), > 0.
    time_constant : float
        Leak time constant of the energy (s); ``math.inf`` (default) never forgets.
    threshold : float
        Rate (Hz) below which firing costs nothing, >= 0.
    """

    aux_names = ("energy",)

    def __init__(self, max_energy: float, time_constant: float = math.inf,
                 threshold: float = 0.0) -> None:
        self.max_energy = check_real("max_energy", max_energy, low=0.0, low_inclusive=False)
        if not (isinstance(time_constant, int | float) and time_constant == math.inf):
            time_constant = check_real("time_constant", time_constant, low=0.0,
                                       low_inclusive=False)
        self.time_constant = float(time_constant)
        self.threshold = check_real("threshold", threshold, low=0.0)

    def update_aux(self, aux, obs, total_rate, period):
        decay = math.exp(-period / self.time_constant)
        cost = (total_rate - self.threshold).clip(min=0.0) * period
        return decay * aux + cost[..., None]

    def is_terminal(self, obs, aux):
        return aux[..., 0] > self.max_energy

    def __repr__(self) -> str:
        return (f"SpikingEnergyBudget(max_energy={self.max_energy}, "
                f"time_constant={self.time_constant}, threshold={self.threshold})")


class RateBox(SpikingTerminalSet):
    """Terminal when a 2-D projection of the filtered rates leaves a box.

    Parameters
    ----------
    low, high : sequence of 2 floats
        Box corners in projected coordinates (Hz), ``low < high`` elementwise.
    projection : array_like, shape (2, n_readouts), optional
        Linear projection of the observation; default the first two readouts.
    """

    def __init__(self, low, high, projection=None) -> None:
        self.low = check_finite_array("low", low, ndim=1)
        self.high = check_finite_array("high", high, ndim=1)
        if self.low.shape != (2,) or self.high.shape != (2,):
            raise ValueError(
                f"low and high must have 2 entries, got {self.low.shape} and {self.high.shape}")
        if not np.all(self.low < self.high):
            raise ValueError(
                f"low must be < high elementwise, got low={self.low}, high={self.high}")
        self.projection = (
            None if projection is None else check_finite_array("projection", projection, ndim=2)
        )
        if self.projection is not None and self.projection.shape[0] != 2:
            raise ValueError(
                f"projection must have shape (2, n_readouts), got {self.projection.shape}")

    def project(self, obs):
        """The 2-D projected coordinates of ``obs``, shape ``(..., 2)``."""
        if self.projection is None:
            if obs.shape[-1] < 2:
                raise ValueError(
                    f"RateBox needs >= 2 readouts, got obs of shape {tuple(obs.shape)}")
            return obs[..., :2]
        if obs.shape[-1] != self.projection.shape[1]:
            raise ValueError(
                f"projection expects {self.projection.shape[1]} readouts, "
                f"got obs of shape {tuple(obs.shape)}")
        return obs @ _as(self.projection.T, obs)

    def is_terminal(self, obs, aux):
        z = self.project(obs)
        return ((z < _as(self.low, z)) | (z > _as(self.high, z))).any(-1)

    def __repr__(self) -> str:
        return f"RateBox(low={self.low.tolist()}, high={self.high.tolist()})"


class Quiescence(SpikingTerminalSet):
    """Terminal when activity dies out: every filtered rate is below ``min_rate`` (Hz)."""

    def __init__(self, min_rate: float = 0.5) -> None:
        self.min_rate = check_real("min_rate", min_rate, low=0.0, low_inclusive=False)

    def is_terminal(self, obs, aux):
        return (obs < self.min_rate).all(-1)

    def __repr__(self) -> str:
        return f"Quiescence(min_rate={self.min_rate})"


class Runaway(SpikingTerminalSet):
    """Terminal when activity diverges: any filtered rate is above ``max_rate`` (Hz), or NaN."""

    def __init__(self, max_rate: float = 250.0) -> None:
        self.max_rate = check_real("max_rate", max_rate, low=0.0, low_inclusive=False)

    def is_terminal(self, obs, aux):
        return ((obs > self.max_rate) | (obs != obs)).any(-1)

    def __repr__(self) -> str:
        return f"Runaway(max_rate={self.max_rate})"
