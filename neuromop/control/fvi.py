"""Fitted value iteration: the value network, the controllers' shared machinery, the trainer.

:class:`ValueNetwork` is the feed-forward ``V(x; theta)``; :class:`FittedValueController` holds
it and evaluates the successors of every candidate action through the environment's model
(``env.predict``); :func:`train` fits it.

One *epoch* of :func:`train`: (1) every agent of ``controller.env`` (``env.num_envs`` of them,
continuing their trajectories across epochs with next-step autoreset) takes ``steps_per_epoch``
actions drawn from the current policy; the non-terminal states it acts from are the training set
(optionally pooled with those of the previous ``replay_epochs - 1`` epochs, with a memory of
the states that preceded terminations, ``pre_terminal_steps``, and with states drawn uniformly
from the env's state space, ``coverage_states``); (2)
``target_updates`` times: freeze ``theta_k`` (a copy of the network), compute the Bellman targets
of all training states, and fit the network to them with ``fit_iterations`` minibatch steps of
the controller's optimiser.

After each epoch a checkpoint (network, optimiser, environment state, random-number streams,
training set, history) is written atomically; ``resume=True`` continues from it, so an interrupted
run resumed with the same arguments ends bit-identical to an uninterrupted one.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Sequence
from pathlib import Path

import torch
from torch import nn

from neuromop._checks import (
    FLOAT32_MAX,
    MAX_SIZE,
    check_bool,
    check_choice,
    check_int,
    check_int_tuple,
    check_real,
)
from neuromop._io import load_torch_safe, save_torch_atomic
from neuromop._random import blank_linear, seed_int, spawn, torch_generator
from neuromop.analysis.agent_metrics import restricted_mean_lifetime
from neuromop.control._fvi_memory import (
    PreTerminalMemory,
    TargetNetwork,
    WeightAverage,
    cosine_learning_rate,
)
from neuromop.control._fvi_steps import (
    check_converging,
    check_uniform_states,
    coverage_draw,
    fit_to_targets,
)
from neuromop.envs.base import ModelBasedVectorEnv

__all__ = ["CHECKPOINT_NAME", "FittedValueController", "ValueNetwork", "row_entropy",
           "sample_actions", "train"]



class ValueNetwork(nn.Module):
    """Feed-forward value network ``V(x; theta)``.

    ``V(x) = value_scale * MLP((x - mean) / std)``: inputs are standardised with buffers
    ``input_mean``/``input_std`` (set by :meth:`set_input_statistics`, saved in the state dict) and
    the output is rescaled by ``value_scale`` so that the MLP works at O(1) targets.

    Parameters
    ----------
    state_dim : int
        Input size.
    hidden : sequence of int
        Widths of the hidden layers.
    activation : {"tanh", "relu"}
        Hidden nonlinearity.
    value_scale : float
        Output scale (nats for MOP values, steps for R values).
    random_state : int, SeedSequence or numpy.random.Generator
        Seed of the initial weights (PyTorch's default uniform(+-1/sqrt(fan_in)) rule, drawn from
        a private generator, never the global RNG).
    """

    def __init__(self, state_dim: int, hidden: Sequence[int] = (128, 128),
                 activation: str = "tanh", value_scale: float = 1.0,
                 random_state=0) -> None:
        super().__init__()
        widths = [check_int("state_dim", state_dim, low=1, high=MAX_SIZE)]
        widths += list(check_int_tuple("hidden", hidden, low=1, high=MAX_SIZE))
        act = {"tanh": InferenceTanh, "relu": nn.ReLU}[
            check_choice("activation", activation, ("tanh", "relu"))]
        layers: list = []
        for a, b in zip(widths[:-1], widths[1:]):
            layers += [blank_linear(a, b), act()]
        layers.append(blank_linear(widths[-1], 1))
        self.mlp = nn.Sequential(*layers)
        self.register_buffer("input_mean", torch.zeros(widths[0]))
        self.register_buffer("input_std", torch.ones(widths[0]))
        self.value_scale = check_real("value_scale", value_scale, low=0.0, high=FLOAT32_MAX,
                                      low_inclusive=False)
        gen = torch_generator(random_state)
        with torch.no_grad():
            for layer in self.mlp:
                if isinstance(layer, nn.Linear):
                    bound = 1.0 / math.sqrt(layer.in_features)
                    layer.weight.copy_((torch.rand(layer.weight.shape, generator=gen) * 2 - 1)
                                       * bound)
                    layer.bias.copy_((torch.rand(layer.bias.shape, generator=gen) * 2 - 1)
                                     * bound)

    def set_input_statistics(self, states) -> None:
        """Standardise inputs with the per-dimension mean/std of ``states`` (B, state_dim)."""
        with torch.no_grad():
            self.input_mean.copy_(states.mean(dim=0))
            self.input_std.copy_(states.std(dim=0).clamp(min=1e-3))

    def forward(self, states):
        """Values of ``states`` (..., state_dim) -> (...)."""
        z = (states - self.input_mean) / self.input_std
        return self.mlp(z).squeeze(-1) * self.value_scale


class InferenceTanh(nn.Tanh):
    """``tanh`` whose gradient-free evaluations (the successors' values, the bulk of fitted
    value iteration) are computed as ``2 sigmoid(2x) - 1`` in place: the same function (max
    abs difference 1.8e-7 in float32) at a fifth of ``torch.tanh``'s cost on this class of CPU
    (2M values: 3.2 ms against 15.8 ms; ``benchmarks/fvi_tanh.py``). With gradients it is
    ``torch.tanh``."""

    def forward(self, x):
        if torch.is_grad_enabled() and x.requires_grad:
            return torch.tanh(x)
        y = x.mul(2.0)
        torch.sigmoid(y, out=y)
        return y.mul_(2.0).sub_(1.0)


def row_entropy(probs):
    """Entropy (nats) of each row of action probabilities ``(..., K)``."""
    return -(probs * torch.log(probs.clamp(min=1e-30))).sum(dim=-1)


class FittedValueController:
    """Base of controllers that learn ``V(x; theta)`` by fitted value iteration on a model env.

    Subclasses define the Bellman target and the policy from the successors' values
    (``_target_from_successors``, ``_probabilities_from_successors``); this class predicts the
    successors, evaluates their values (:meth:`successor_values`, :meth:`bellman_target`,
    :meth:`bellman_targets`), samples actions and holds the network.

    Parameters
    ----------
    env : ModelBasedVectorEnv
        Environment whose ``predict`` gives the successors of every candidate action.
    hidden : sequence of int
        Hidden widths of the value network.
    gamma : float
        Discount factor in ``[0, 1)``.
    learning_rate : float
        Optimiser step size.
    optimizer : {"adam", "sgd", "rmsprop"}
        Optimiser.
    activation : {"tanh", "relu"}
        Hidden nonlinearity of the value network.
    chunk_size : int
        States per chunk when evaluating successors (memory bound: chunk * K * state_dim floats).
    random_state : int
        Seed of the network's initial weights and of the training loop's streams.
    initial_value : float, optional
        Value every state starts near (through the output bias; nats for MOP, steps for R).
        ``None`` (default) starts optimistic, near the value of a never-terminating agent
        (``value_scale``), so even the untrained controller avoids actions whose successor is
        terminal. A number sets ``V`` to exactly that value everywhere (zero output weights);
        with ``0.0`` the untrained controller treats terminal and non-terminal successors alike
        and acts uniformly at random, like :class:`~neuromop.control.RandomController`.
    """

    def __init__(self, env: ModelBasedVectorEnv, *, hidden: Sequence[int] = (128, 128),
                 gamma: float = 0.9, learning_rate: float = 1e-3, optimizer: str = "adam",
                 activation: str = "tanh", chunk_size: int = 4096, random_state: int = 0,
                 initial_value: float | None = None) -> None:
        if not isinstance(env, ModelBasedVectorEnv):
            raise TypeError(f"env must be a ModelBasedVectorEnv, got {type(env).__name__}")
        self.env = env
        self.hidden = check_int_tuple("hidden", hidden, low=1, high=MAX_SIZE)
        self.gamma = check_real("gamma", gamma, low=0.0, high=1.0, high_inclusive=False)
        self.learning_rate = check_real("learning_rate", learning_rate, low=0.0,
                                        low_inclusive=False)
        self.optimizer = check_choice("optimizer", optimizer, ("adam", "sgd", "rmsprop"))
        self.activation = check_choice("activation", activation, ("tanh", "relu"))
        self.chunk_size = check_int("chunk_size", chunk_size, low=1, high=MAX_SIZE)
        self.random_state = check_int("random_state", random_state, low=0)
        self.initial_value = (None if initial_value is None else check_real(
            "initial_value", initial_value, low=-FLOAT32_MAX, high=FLOAT32_MAX))
        scale = self._value_scale()
        if not scale <= FLOAT32_MAX:
            raise ValueError(f"the settings (alpha, beta, gamma, ...) give values of order "
                             f"{scale:.3g}, beyond float32: lower them")
        self.value_net_ = ValueNetwork(env.state_dim, self.hidden, self.activation, scale,
                                       random_state=self.random_state)
        with torch.no_grad():
            last = self.value_net_.mlp[-1]
            if self.initial_value is None:  # optimistic: the value of a never-terminating agent
                last.bias.fill_(1.0)
            else:  # exactly initial_value everywhere (the hidden layers learn once W moves)
                last.weight.zero_()
                last.bias.fill_(self.initial_value / self.value_net_.value_scale)
        self.optimizer_ = self._make_optimizer()
        self.history_: list[dict] = []
        self.input_statistics_set_ = False

    # -------------------------------------------------------------- to be defined by subclasses
    def _value_scale(self) -> float:
        return 1.0 / (1.0 - self.gamma)

    def _target_from_successors(self, states, values, terminal, reward):
        """Targets (..., B) from successor ``values`` (..., B, K), ``terminal`` and ``reward``."""
        raise NotImplementedError

    def _probabilities_from_successors(self, values, terminal, reward):
        raise NotImplementedError

    # -------------------------------------------------------------- shared machinery
    def _make_optimizer(self):
        cls = {"adam": torch.optim.Adam, "sgd": torch.optim.SGD,
               "rmsprop": torch.optim.RMSprop}[self.optimizer]
        return cls(self.value_net_.parameters(), lr=self.learning_rate)

    def successor_values(self, states, net=None):
        """Values, terminal flags and extrinsic rewards of all K successors of each state.

        Returns
        -------
        values : torch.Tensor, shape (B, K)
            ``V(x'(x, a))`` with terminal successors set to 0.
        terminal : torch.Tensor of bool, shape (B, K)
        reward : torch.Tensor, shape (B, K)
            ``env.extrinsic_reward(x')``.
        """
        values, terminal, reward = self._successors(
            states, [self.value_net_ if net is None else net])
        return values[0], terminal, reward

    def _successors(self, states, nets):
        """:meth:`successor_values` under each of ``nets`` (values (n_nets, B, K)); the successors
        are predicted once."""
        outs_v, outs_t, outs_r = [], [], []
        with torch.no_grad():
            for start in range(0, states.shape[0], self.chunk_size):
                nxt = self.env.predict(states[start:start + self.chunk_size])
                term = self.env.is_terminal(nxt)
                outs_v.append(torch.stack([net(nxt).masked_fill(term, 0.0) for net in nets]))
                outs_t.append(term)
                outs_r.append(self.env.extrinsic_reward(nxt))
        return torch.cat(outs_v, dim=1), torch.cat(outs_t), torch.cat(outs_r)

    def bellman_target(self, states, net=None):
        """Fitted-VI target ``y(x)`` of each state, shape (B,), using ``net`` (default: current)."""
        return self.bellman_targets(states, [self.value_net_ if net is None else net])[0]

    def bellman_targets(self, states, nets):
        """:meth:`bellman_target` under each of ``nets``, shape (n_nets, B), from one prediction
        of the successors (the pessimistic targets of :func:`train` use two networks)."""
        return self._target_from_successors(states, *self._successors(states, list(nets)))

    def action_probabilities(self, states):
        """Policy ``pi(a | x)`` for each state, shape (B, K)."""
        return self._probabilities_from_successors(*self.successor_values(states))

    def act(self, states, generator=None):
        """Sample one action index per state from :meth:`action_probabilities` (long, (B,))."""
        return sample_actions(self.action_probabilities(states), generator)

    def value(self, states):
        """``V(x; theta)`` of the current network, shape (B,), without gradients."""
        with torch.no_grad():
            return self.value_net_(states)

    def fit(self, **kwargs):
        """Train by fitted value iteration; see :func:`neuromop.control.fvi.train`."""
        train(self, **kwargs)
        return self

    def state_dict(self) -> dict:
        """Everything needed to restore the learner (network, optimiser, history)."""
        return {"value_net": self.value_net_.state_dict(),
                "optimizer": self.optimizer_.state_dict(),
                "history": list(self.history_),
                "input_statistics_set": self.input_statistics_set_}

    def load_state_dict(self, state: dict) -> None:
        """Inverse of :meth:`state_dict`."""
        self.value_net_.load_state_dict(state["value_net"])
        self.optimizer_.load_state_dict(state["optimizer"])
        self.history_ = list(state["history"])
        self.input_statistics_set_ = bool(state["input_statistics_set"])


def sample_actions(probs, generator=None):
    """Draw one index per row of ``probs`` (B, K) with ``generator`` (inverse-CDF sampling)."""
    u = torch.rand(probs.shape[0], 1, generator=generator)
    cdf = probs.cumsum(dim=-1)
    idx = (cdf < u * cdf[:, -1:]).sum(dim=-1)
    return idx.clamp(max=probs.shape[1] - 1).long()


CHECKPOINT_NAME = "checkpoint.pt"


def load_matching_checkpoint(path: Path, config: dict) -> dict:
    """Load the checkpoint at ``path``; ``ValueError`` unless it was made with ``config``.

    Read with ``torch.load(weights_only=True)`` (tensors, numbers, strings, containers), so a
    checkpoint planted in an output folder cannot run code.
    """
    ckpt = load_torch_safe(path, "checkpoint")
    if ckpt["config"] != config:
        raise ValueError(f"checkpoint {path} was made with different settings "
                         f"{ckpt['config']}, not {config}")
    return ckpt


def _config(controller, **kw) -> dict:
    return {"controller": repr(controller), "num_envs": controller.env.num_envs,
            "state_dim": controller.env.state_dim, **kw}


def controller_label(controller) -> str:
    """The controller's short name with its parameter (``controller.label``, e.g.
    ``"MOP beta=0.02"``), or its class name."""
    label = getattr(controller, "label", None)
    return label if isinstance(label, str) else type(controller).__name__


def _check_train_objects(controller, callback) -> None:
    if not isinstance(controller, FittedValueController):
        raise TypeError("controller must be a fitted-value-iteration controller (NeuroMOP or "
                        f"Reward), got {type(controller).__name__}")
    if callback is not None and not callable(callback):
        raise TypeError(f"callback must be callable or None, got {type(callback).__name__}")


def train(controller: FittedValueController, *, epochs: int = 20, steps_per_epoch: int = 100,
          fit_iterations: int = 200, batch_size: int = 256, target_updates: int = 1,
          replay_epochs: int = 1, pre_terminal_steps: int = 0, average_epochs: int = 1,
          pessimistic_targets: bool = False, final_learning_rate: float | None = None,
          coverage_states: int = 0, random_state: int | None = None, checkpoint_dir=None,
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
    pre_terminal_steps : int
        Keep the states of the last ``pre_terminal_steps`` steps of every episode that ends in
        a terminal state in a memory that stays in the training set for the rest of training
        (at most one epoch's worth of states, ``num_envs * steps_per_epoch``, the oldest
        dropped first). ``0`` (default): no memory. The policy weighs the values of every
        candidate's successor, so the fit must be right on the few states from which every
        path ends: without the memory they are a sliver of each epoch's states and vanish
        from the training set once agents stop visiting them (the fitted value then
        overestimates them by ~12 nats on a 2-neuron energy task; see
        ``benchmarks/fvi_referee.py``).
    average_epochs : int
        The trained controller's value network is the average of its weights at the end of
        the last ``average_epochs`` epochs (stochastic weight averaging; the copies are saved
        in the checkpoint, so a resumed run averages the same ones). ``1`` (default): the last
        epoch's network. A greedy policy follows whichever successor the latest fit happens to
        overestimate, and its survival changes from one epoch to the next; the average
        smooths those epoch-to-epoch errors (see ``benchmarks/fvi_ablation.py``). The history
        and ``callback`` see each epoch's own network.
    pessimistic_targets : bool
        Each target is the smaller of the targets computed with the current and the previous
        target network (a clipped double estimate: the maximum or log-sum-exp over noisy
        successor values is biased upwards, most where the fit is poorest, next to terminal
        states). ``False`` (default): the current target network only.
    final_learning_rate : float, optional
        Anneal the optimiser's learning rate along half a cosine from
        ``controller.learning_rate`` at the first epoch to this value at the last (set once per
        epoch, a closed form of the epoch, so a resumed run continues the same schedule);
        ``0 < final_learning_rate <= controller.learning_rate``. ``None`` (default): constant.
    coverage_states : int
        Add this many states drawn each epoch uniformly from the env's state space
        (``env.uniform_states``; non-terminal ones, so possibly fewer) to the epoch's training
        set. The model gives a Bellman target anywhere, and the policy weighs the values of
        successors the agents may never have visited: fitted only where the current policy
        goes, the value of the rest is the network's extrapolation, which a softmax or greedy
        rule then follows (on the continuous cartpole the fitted MOP value rose towards the
        track's ends, where the exact one falls). ``0`` (default): visited states only.
    random_state : int, optional
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
        ``controller.history_``: one record per epoch with ``epoch``,
        ``lifetime_restricted`` (Kaplan-Meier restricted mean lifetime in steps, up to
        ``horizon``: the env's ``max_episode_steps`` or else the longest episode observed, from
        the episodes that ended during the epoch and those still running at its end or
        truncated, which are censored; episodes already running when the epoch starts enter
        the risk set at their age then, so long-lived episodes are not over-counted; finite
        even when no episode ends), ``survival`` (the
        Kaplan-Meier fraction living beyond ``horizon``), ``horizon``, ``n_censored``,
        ``lifetime`` (mean length in steps of the episodes that ended during the epoch; NaN if
        none), ``n_episodes``,
        ``termination_rate`` (terminal transitions per agent-step of the epoch, 1/steps: finite
        even when no episode ends, unlike ``lifetime``), ``action_entropy`` (nats),
        ``activity_std``, ``value_mean``, ``loss`` and ``seconds``.
    """
    from tqdm.auto import tqdm

    _check_train_objects(controller, callback)
    epochs = check_int("epochs", epochs, low=0)
    steps_per_epoch = check_int("steps_per_epoch", steps_per_epoch, low=1)
    fit_iterations = check_int("fit_iterations", fit_iterations, low=0)
    batch_size = check_int("batch_size", batch_size, low=1, high=MAX_SIZE)
    target_updates = check_int("target_updates", target_updates, low=1)
    replay_epochs = check_int("replay_epochs", replay_epochs, low=1)
    pre_terminal_steps = check_int("pre_terminal_steps", pre_terminal_steps, low=0,
                                   high=MAX_SIZE)
    average_epochs = check_int("average_epochs", average_epochs, low=1, high=MAX_SIZE)
    pessimistic_targets = check_bool("pessimistic_targets", pessimistic_targets)
    if final_learning_rate is not None:
        final_learning_rate = check_real("final_learning_rate", final_learning_rate, low=0.0,
                                         high=controller.learning_rate, low_inclusive=False)
    coverage_states = check_int("coverage_states", coverage_states, low=0, high=MAX_SIZE)
    random_state = (controller.random_state if random_state is None
                    else check_int("random_state", random_state, low=0))
    if resume and checkpoint_dir is None:
        raise ValueError("resume=True needs checkpoint_dir, got None")
    env = controller.env
    net = controller.value_net_
    config = _config(controller, steps_per_epoch=steps_per_epoch, fit_iterations=fit_iterations,
                     batch_size=batch_size, target_updates=target_updates,
                     replay_epochs=replay_epochs, random_state=random_state,
                     **({"pre_terminal_steps": pre_terminal_steps} if pre_terminal_steps else {}),
                     **({"average_epochs": average_epochs} if average_epochs > 1 else {}),
                     **({"pessimistic_targets": True} if pessimistic_targets else {}),
                     **({"final_learning_rate": final_learning_rate}
                        if final_learning_rate is not None else {}),
                     **({"coverage_states": coverage_states} if coverage_states else {}))
    ckpt_path = None if checkpoint_dir is None else Path(checkpoint_dir) / CHECKPOINT_NAME

    env_stream, act_stream, batch_stream, coverage_stream = spawn(random_state, 4)
    env_seed = seed_int(env_stream)
    act_gen = torch_generator(act_stream)
    batch_gen = torch_generator(batch_stream)
    coverage_gen = torch_generator(coverage_stream)
    check_uniform_states(env, coverage_gen, coverage_states)
    buffer: list[torch.Tensor] = []
    memory = PreTerminalMemory(pre_terminal_steps, env.num_envs * steps_per_epoch,
                               env.state_dim)
    averager = WeightAverage(average_epochs)
    target = TargetNetwork(pessimistic_targets)
    start = 0
    if resume and ckpt_path.exists():
        ckpt = load_matching_checkpoint(ckpt_path, config)
        controller.load_state_dict(ckpt["controller"])
        env.reset(seed=env_seed)
        env.set_state(ckpt["env"])
        act_gen.set_state(ckpt["act_gen"])
        batch_gen.set_state(ckpt["batch_gen"])
        coverage_gen.set_state(ckpt.get("coverage_gen", coverage_gen.get_state()))
        buffer = list(ckpt["buffer"])
        memory.states = ckpt.get("memory", memory.states)
        averager.snapshots = list(ckpt.get("snapshots", []))
        target.load_previous(net, ckpt.get("previous_target"))
        start = int(ckpt["epoch"]) + 1
    else:
        controller.history_ = []
        env.reset(seed=env_seed)

    bar = tqdm(range(start, epochs), desc=controller_label(controller), disable=not progress,
               initial=start, total=epochs)
    for epoch in bar:
        t0 = time.perf_counter()
        collected, lengths, truncated, entropies, activity = [], [], [], [], []
        entries = []
        n_terminated = n_acting = 0
        # age of each running episode when the epoch starts (left truncation: an episode
        # seen because it already lived long must not count as a fresh one)
        entry = torch.where(env.pending_reset, 0, env.elapsed_steps)
        for _ in range(steps_per_epoch):
            states = env.states
            acting = ~env.pending_reset
            probs = controller.action_probabilities(states)
            action = sample_actions(probs, act_gen)
            collected.append(states[acting])
            entropies.append(row_entropy(probs[acting]))
            activity.append(env.activity(states))
            _, _, term, trunc, info = env.step(action)
            memory.record(states, acting, term & acting)
            n_terminated += int((term & acting).sum())
            n_acting += int(acting.sum())
            done = term | trunc
            lengths.append(info["episode_length"][done])
            truncated.append(trunc[done] & ~term[done])
            entries.append(entry[done])
            entry = torch.where(done, 0, entry)  # the next episode is seen from its start
        running = ~done  # censored: still alive when the epoch ends
        life_all = torch.cat(lengths + [info["episode_length"][running]])
        censored = torch.cat(truncated + [torch.ones(int(running.sum()), dtype=torch.bool)])
        entered = torch.cat(entries + [entry[running]])
        buffer = (buffer + [torch.cat(collected)])[-replay_epochs:]
        train_states = torch.cat(buffer + [memory.end_epoch()]
                                 + coverage_draw(env, coverage_states, coverage_gen))
        if not controller.input_statistics_set_:
            net.set_input_statistics(train_states)
            controller.input_statistics_set_ = True
        loss_value = math.nan
        for group in controller.optimizer_.param_groups:
            group["lr"] = cosine_learning_rate(controller.learning_rate, final_learning_rate,
                                               epoch, epochs)
        for _ in range(target_updates):
            targets = target.targets(controller, train_states)
            loss_value = fit_to_targets(controller, train_states, targets, fit_iterations,
                                        batch_size, batch_gen, epoch, loss_value)
        averager.record(net)
        ended = torch.cat(lengths)
        act_traj = torch.stack(activity)  # (steps, agents, neurons)
        horizon = env.max_episode_steps or max(int(life_all.max()), 1)
        km = restricted_mean_lifetime(life_all.numpy(), censored.numpy(), horizon=horizon,
                                      entry=entered.numpy())
        record = {
            "epoch": epoch,
            "lifetime_restricted": float(km["restricted_mean_lifetime"]),
            "survival": float(km["survival"]),
            "horizon": int(horizon),
            "n_censored": int(km["n_censored"]),
            "lifetime": float(ended.float().mean()) if ended.numel() else math.nan,
            "n_episodes": int(ended.numel()),
            "termination_rate": n_terminated / max(n_acting, 1),
            "action_entropy": float(torch.cat(entropies).mean()),
            "activity_std": float(act_traj.std(dim=0).mean()),
            "value_mean": float(controller.value(train_states).mean()),
            "loss": loss_value,
            "seconds": time.perf_counter() - t0,
        }
        check_converging(controller, record, fit_iterations)
        controller.history_.append(record)
        if ckpt_path is not None:
            save_torch_atomic({"epoch": epoch, "config": config,
                               "controller": controller.state_dict(), "env": env.get_state(),
                               "act_gen": act_gen.get_state(), "batch_gen": batch_gen.get_state(),
                               "coverage_gen": coverage_gen.get_state(),
                               "buffer": buffer, "memory": memory.states,
                               "snapshots": averager.snapshots,
                               "previous_target": target.previous_state()},
                              ckpt_path)
        bar.set_postfix(life=f"{record['lifetime_restricted']:.0f}/{horizon}",
                        alive=f"{record['survival']:.2f}", H=f"{record['action_entropy']:.2f}",
                        loss=f"{loss_value:.3g}")
        if callback is not None:
            callback(epoch, record)
    bar.close()
    averaged = averager.average()
    if averaged is not None:
        net.load_state_dict(averaged)
    return controller.history_
