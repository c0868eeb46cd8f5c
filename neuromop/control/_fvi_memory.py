"""Memories that fitted value iteration keeps across epochs (private to :mod:`neuromop.control`).

- :class:`PreTerminalMemory`: the states of the last steps before every termination, kept in
  the training set after agents stop visiting them;
- :class:`WeightAverage`: the value network's weights at the end of the last epochs, whose
  average becomes the trained network (stochastic weight averaging);
- :class:`TargetNetwork`: the frozen copies the targets are computed with, the previous one
  kept for pessimistic targets;
- :func:`cosine_learning_rate`: the learning rate of each epoch when it is annealed.
"""

from __future__ import annotations

import copy
import math

import torch
from torch import nn

__all__ = ["PreTerminalMemory", "TargetNetwork", "WeightAverage", "cosine_learning_rate",
           "pre_terminal_states"]


def cosine_learning_rate(initial: float, final: float | None, epoch: int, epochs: int) -> float:
    """Learning rate of ``epoch`` (0-based) of ``epochs``: ``initial`` at the first epoch,
    ``final`` at the last, along half a cosine (``torch.optim.lr_scheduler.CosineAnnealingLR``
    with ``T_max = epochs - 1``, stepped once per epoch); ``initial`` throughout when ``final``
    is None. A function of the epoch alone, so a resumed run continues the same schedule."""
    if final is None or epochs <= 1:
        return initial
    frac = min(epoch, epochs - 1) / (epochs - 1)
    return final + (initial - final) * 0.5 * (1.0 + math.cos(math.pi * frac))


def pre_terminal_states(states, acting, terminated, steps: int):
    """States of the last ``steps`` steps of every episode that terminated within the epoch.

    ``states`` (T, B, D), ``acting`` and ``terminated`` (T, B): ``terminated[t, i]`` when agent
    ``i``'s action at step ``t`` led to a terminal state; an episode's steps are the run of
    acting steps that ends there.
    """
    to_end = torch.full(acting.shape, steps, dtype=torch.long)  # steps to the termination
    after, after_acting = to_end[0], torch.zeros_like(acting[0])  # the step after t
    for t in range(states.shape[0] - 1, -1, -1):
        same_episode = acting[t] & after_acting
        to_end[t] = torch.where(terminated[t], 0, torch.where(
            same_episode, (after + 1).clamp(max=steps), steps))
        after, after_acting = to_end[t], acting[t]
    return states[(to_end < steps) & acting]


class PreTerminalMemory:
    """States of the last ``steps`` steps before each termination, kept across epochs (the
    newest ``capacity`` of them); ``steps = 0`` keeps none."""

    def __init__(self, steps: int, capacity: int, state_dim: int) -> None:
        self.steps, self.capacity = steps, capacity
        self.states = torch.empty(0, state_dim)
        self._path: list[tuple] = []

    def record(self, states, acting, terminated) -> None:
        """One step of every agent: the states acted from, who acted, whose action ended."""
        if self.steps:
            self._path.append((states, acting, terminated))

    def end_epoch(self):
        """Add the epoch's pre-terminal states; the memory's states."""
        if self._path:
            states, acting, terminated = (torch.stack(x) for x in zip(*self._path))
            new = pre_terminal_states(states, acting, terminated, self.steps)
            self.states = torch.cat([self.states, new])[-self.capacity:]
        self._path = []
        return self.states


class WeightAverage:
    """The value network's floating-point weights at the end of the last ``epochs`` epochs
    (oldest out first); ``epochs = 1`` keeps none and :meth:`average` is ``None``."""

    def __init__(self, epochs: int) -> None:
        self.epochs = epochs
        self.snapshots: list[dict] = []

    def record(self, net: torch.nn.Module) -> None:
        """Keep a copy of ``net``'s weights (after an epoch's fit)."""
        if self.epochs > 1:
            state = {k: v.detach().clone() for k, v in net.state_dict().items()}
            self.snapshots = (self.snapshots + [state])[-self.epochs:]

    def average(self) -> dict | None:
        """The element-wise mean of the kept weights (other buffers from the newest), or
        ``None`` when fewer than two epochs are kept."""
        if len(self.snapshots) < 2:
            return None
        newest = self.snapshots[-1]
        return {k: (torch.stack([s[k] for s in self.snapshots]).mean(dim=0)
                    if v.is_floating_point() else v) for k, v in newest.items()}


class TargetNetwork:
    """Frozen copies of the value network that the targets are computed with: a fresh copy at
    every refresh; with ``pessimistic``, the smaller of its targets and the previous copy's.

    The previous copy's targets of the states it was last refreshed on are kept: a refresh on
    the same states (the second target update of an epoch) reuses them instead of evaluating
    that network on every successor again (the same numbers, one network pass fewer)."""

    def __init__(self, pessimistic: bool) -> None:
        self.pessimistic = pessimistic
        self.previous: nn.Module | None = None
        self._previous_targets: tuple | None = None  # (states, targets) of ``previous``

    def targets(self, controller, states):
        """Targets of ``states`` (B,) from a copy of the controller's current network."""
        current = copy.deepcopy(controller.value_net_).eval()
        pessimistic = self.pessimistic and self.previous is not None
        cached = self._previous_targets
        if pessimistic and cached is not None and cached[0] is states:
            own = controller.bellman_targets(states, [current])[0]
            targets = torch.minimum(own, cached[1])
        else:
            nets = [current, self.previous] if pessimistic else [current]
            every = controller.bellman_targets(states, nets)  # one prediction
            own, targets = every[0], every.min(dim=0).values
        if self.pessimistic:
            self.previous = current
            self._previous_targets = (states, own)
        return targets

    def previous_state(self) -> dict | None:
        """The previous copy's weights (for the checkpoint), or ``None``."""
        return None if self.previous is None else self.previous.state_dict()

    def load_previous(self, net: nn.Module, state: dict | None) -> None:
        """Restore the previous copy from :meth:`previous_state` (``None``: no copy)."""
        if state is not None:
            self.previous = copy.deepcopy(net).eval()
            self.previous.load_state_dict(state)
        self._previous_targets = None
