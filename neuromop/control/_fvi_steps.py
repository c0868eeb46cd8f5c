"""Fitted value iteration's fit of one target update and its divergence checks (private to
:func:`neuromop.control.train`)."""

from __future__ import annotations

import math

import numpy as np
import torch


def check_converging(controller, record: dict, fit_iterations: int) -> None:
    """``RuntimeError`` when an epoch's values or loss are not finite (before its checkpoint,
    so a resumed run restarts from the last good epoch)."""
    loss_ok = math.isfinite(record["loss"]) or fit_iterations == 0  # NaN: no fit was made
    if not (math.isfinite(record["value_mean"]) and loss_ok):
        raise RuntimeError(
            f"fitted value iteration diverged at epoch {record['epoch']} (value mean "
            f"{record['value_mean']}, loss {record['loss']}); lower learning_rate (now "
            f"{controller.learning_rate}) or gamma (now {controller.gamma})")


def _optimizer_step(controller, epoch: int) -> None:
    """One optimiser step; an update beyond float32 is reported as the fit's divergence."""
    try:
        controller.optimizer_.step()
    except RuntimeError as exc:
        if "overflow" not in str(exc):
            raise
        raise RuntimeError(
            f"fitted value iteration diverged at epoch {epoch} (an update overflowed float32); "
            f"lower learning_rate (now {controller.learning_rate}) or gamma (now "
            f"{controller.gamma})") from exc


def fit_to_targets(controller, states, targets, fit_iterations: int, batch_size: int, batch_gen,
         epoch: int, loss_value: float) -> float:
    """``fit_iterations`` minibatch steps towards ``targets``; the mean loss of the last tenth
    (``loss_value`` unchanged when no step is made)."""
    net = controller.value_net_
    losses = []
    for _ in range(fit_iterations):
        idx = torch.randint(states.shape[0], (batch_size,), generator=batch_gen)
        loss = torch.mean(((net(states[idx]) - targets[idx]) / net.value_scale) ** 2)
        controller.optimizer_.zero_grad()
        loss.backward()
        _optimizer_step(controller, epoch)
        losses.append(loss.item())
    return float(np.mean(losses[-max(1, len(losses) // 10):])) if losses else loss_value


def check_uniform_states(env, generator, n: int) -> None:
    """For ``n > 0``: ``ValueError`` naming ``coverage_states`` when the env cannot draw
    uniform states (or draws them of the wrong shape); the draw is made on a copy of
    ``generator``."""
    if not n:
        return
    probe = torch.Generator().set_state(generator.get_state())
    try:
        states = env.uniform_states(2, probe)
    except NotImplementedError as exc:
        raise ValueError(f"coverage_states needs an env with a bounded state space to draw "
                         f"from: {exc}") from exc
    if not (isinstance(states, torch.Tensor) and states.ndim == 2
            and states.shape[1] == env.state_dim):
        raise ValueError(f"coverage_states: {type(env).__name__}.uniform_states must return "
                         f"a (n, {env.state_dim}) tensor")


def coverage_draw(env, n: int, generator) -> list[torch.Tensor]:
    """``[env.uniform_states(n, generator)]`` for ``n > 0``, else ``[]`` (no draw)."""
    return [env.uniform_states(n, generator)] if n else []
