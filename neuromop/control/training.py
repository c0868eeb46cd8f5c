"""Training loop of fitted-value-iteration controllers: progress, per-epoch checkpoints, resume.

One *epoch*: (1) every agent of ``controller.env`` (``env.num_envs`` of them, continuing their
trajectories across epochs with next-step autoreset) takes ``steps_per_epoch`` actions drawn from
the current policy; the non-terminal states it acts from are the training set (optionally pooled
with those of the previous ``replay_epochs - 1`` epochs); (2) ``target_updates`` times: freeze
``theta_k`` (a copy of the network), compute the Bellman targets of all training states, and fit
the network to them with ``fit_iterations`` minibatch steps of the controller's optimiser.

After each epoch a checkpoint (network, optimiser, environment state, random-number streams,
training set, history) is written atomically; ``resume=True`` continues from it, so an interrupted
run resumed with the same arguments ends bit-identical to an uninterrupted one.
"""

from __future__ import annotations

import copy
import math
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import torch

from neuromop._checks import check_int
from neuromop._io import save_torch_atomic
from neuromop.control.value_network import FittedValueController, policy_entropy, sample_actions

__all__ = ["train", "CHECKPOINT_NAME"]

CHECKPOINT_NAME = "checkpoint.pt"


def load_matching_checkpoint(path: Path, config: dict) -> dict:
    """Load the checkpoint at ``path``; ``ValueError`` unless it was made with ``config``."""
    ckpt = torch.load(path, weights_only=False)
    if ckpt["config"] != config:
        raise ValueError(f"checkpoint {path} was made with different settings "
                         f"{ckpt['config']}, not {config}")
    return ckpt


def _config(controller, **kw) -> dict:
    return {"controller": repr(controller), "num_envs": controller.env.num_envs,
            "state_dim": controller.env.state_dim, **kw}


def train(controller: FittedValueController, *, epochs: int = 20, steps_per_epoch: int = 100,
          fit_iterations: int = 200, batch_size: int = 256, target_updates: int = 1,
          replay_epochs: int = 1, seed: int | None = None, checkpoint_dir=None,
          resume: bool = False, progress: bool = True,
          callback: Callable[[int, dict], None] | None = None) -> list[dict]:
    """Train ``controller`` by fitted value iteration on its environment.

    Parameters
    ----------
    controller : FittedValueController
        A :class:`~neuromop.control.NeuroMOPController` or
        :class:`~neuromop.control.RewardController`.
    epochs : int
        Total number of epochs (a resumed run continues up to this number).
    steps_per_epoch : int
        Steps each agent takes per epoch (trajectory length per batch).
    fit_iterations : int
        Minibatch gradient steps per target update.
    batch_size : int
        Minibatch size.
    target_updates : int
        Value-iteration steps (target freezes) per epoch on the epoch's states.
    replay_epochs : int
        Number of most recent epochs whose states form the training set.
    seed : int, optional
        Seed of the environment and sampling streams; defaults to ``controller.random_state``.
    checkpoint_dir : path-like, optional
        Folder for ``checkpoint.pt`` (written after every epoch). ``None``: no checkpoints.
    resume : bool
        Continue from the checkpoint in ``checkpoint_dir`` if one exists.
    progress : bool
        Show a tqdm progress bar.
    callback : callable, optional
        ``callback(epoch, record)`` after each epoch's checkpoint.

    Returns
    -------
    list of dict
        ``controller.history_``: one record per epoch with ``epoch``, ``lifetime`` (mean length in
        steps of the episodes that ended during the epoch; NaN if none), ``n_episodes``,
        ``termination_rate`` (terminal transitions per agent-step of the epoch, 1/steps: finite
        even when no episode ends, unlike ``lifetime``), ``action_entropy`` (nats),
        ``activity_std``, ``value_mean``, ``loss`` and ``seconds``.
    """
    from tqdm.auto import tqdm

    if not isinstance(controller, FittedValueController):
        raise TypeError("controller must be a fitted-value-iteration controller (NeuroMOP or "
                        f"Reward), got {type(controller).__name__}")
    epochs = check_int("epochs", epochs, low=0)
    steps_per_epoch = check_int("steps_per_epoch", steps_per_epoch, low=1)
    fit_iterations = check_int("fit_iterations", fit_iterations, low=0)
    batch_size = check_int("batch_size", batch_size, low=1)
    target_updates = check_int("target_updates", target_updates, low=1)
    replay_epochs = check_int("replay_epochs", replay_epochs, low=1)
    seed = controller.random_state if seed is None else check_int("seed", seed, low=0)
    if resume and checkpoint_dir is None:
        raise ValueError("resume=True needs checkpoint_dir, got None")
    env = controller.env
    net = controller.value_net_
    config = _config(controller, steps_per_epoch=steps_per_epoch, fit_iterations=fit_iterations,
                     batch_size=batch_size, target_updates=target_updates,
                     replay_epochs=replay_epochs, seed=seed)
    ckpt_path = None if checkpoint_dir is None else Path(checkpoint_dir) / CHECKPOINT_NAME

    env_seed, act_seed, batch_seed = (int(s.generate_state(1)[0])
                                      for s in np.random.SeedSequence(seed).spawn(3))
    act_gen = torch.Generator().manual_seed(act_seed)
    batch_gen = torch.Generator().manual_seed(batch_seed)
    buffer: list[torch.Tensor] = []
    start = 0
    if resume and ckpt_path.exists():
        ckpt = load_matching_checkpoint(ckpt_path, config)
        controller.load_state_dict(ckpt["controller"])
        env.reset(seed=env_seed)
        env.set_state(ckpt["env"])
        act_gen.set_state(ckpt["act_gen"])
        batch_gen.set_state(ckpt["batch_gen"])
        buffer = list(ckpt["buffer"])
        start = int(ckpt["epoch"]) + 1
    else:
        controller.history_ = []
        env.reset(seed=env_seed)

    bar = tqdm(range(start, epochs), desc=type(controller).__name__, disable=not progress,
               initial=start, total=epochs)
    for epoch in bar:
        t0 = time.perf_counter()
        collected, lengths, entropies, activity = [], [], [], []
        n_terminated = n_acting = 0
        for _ in range(steps_per_epoch):
            states = env.states
            acting = ~env.pending_reset
            probs = controller.action_probabilities(states)
            action = sample_actions(probs, act_gen)
            collected.append(states[acting])
            entropies.append(policy_entropy(probs[acting]))
            activity.append(env.activity(states))
            _, _, term, trunc, info = env.step(action)
            n_terminated += int((term & acting).sum())
            n_acting += int(acting.sum())
            done = term | trunc
            lengths.append(info["episode_length"][done])
        buffer = (buffer + [torch.cat(collected)])[-replay_epochs:]
        train_states = torch.cat(buffer)
        if not controller.input_statistics_set_:
            net.set_input_statistics(train_states)
            controller.input_statistics_set_ = True
        loss_value = math.nan
        for _ in range(target_updates):
            target_net = copy.deepcopy(net).eval()
            targets = controller.bellman_target(train_states, target_net)
            losses = []
            for _ in range(fit_iterations):
                idx = torch.randint(train_states.shape[0], (batch_size,), generator=batch_gen)
                pred = net(train_states[idx])
                loss = torch.mean(((pred - targets[idx]) / net.value_scale) ** 2)
                controller.optimizer_.zero_grad()
                loss.backward()
                controller.optimizer_.step()
                losses.append(loss.item())
            if losses:
                loss_value = float(np.mean(losses[-max(1, len(losses) // 10):]))
        ended = torch.cat(lengths)
        act_traj = torch.stack(activity)  # (steps, agents, neurons)
        record = {
            "epoch": epoch,
            "lifetime": float(ended.float().mean()) if ended.numel() else math.nan,
            "n_episodes": int(ended.numel()),
            "termination_rate": n_terminated / max(n_acting, 1),
            "action_entropy": float(torch.cat(entropies).mean()),
            "activity_std": float(act_traj.std(dim=0).mean()),
            "value_mean": float(controller.value(train_states).mean()),
            "loss": loss_value,
            "seconds": time.perf_counter() - t0,
        }
        controller.history_.append(record)
        if ckpt_path is not None:
            save_torch_atomic({"epoch": epoch, "config": config,
                               "controller": controller.state_dict(), "env": env.get_state(),
                               "act_gen": act_gen.get_state(), "batch_gen": batch_gen.get_state(),
                               "buffer": buffer}, ckpt_path)
        bar.set_postfix(lifetime=f"{record['lifetime']:.0f}", H=f"{record['action_entropy']:.2f}",
                        loss=f"{loss_value:.3g}")
        if callback is not None:
            callback(epoch, record)
    bar.close()
    return controller.history_
