"""Model-free soft Q-learning of the MOP objective on a Brian2 spiking network, in closed loop.

MOP with reward 0 and action entropy (DESIGN.md) in Q form::

    V(x)    = alpha ln sum_a exp(Q(x, a) / alpha)
    Q(x, a) = gamma E[V(x')]                     (V = 0 when x' is terminal)
    pi(a|x) = exp((Q(x, a) - V(x)) / alpha)

A small torch network ``Q(x, .; theta)`` (one output per candidate action) is trained on
transitions gathered from the network *while it runs*: inside the control ``network_operation``
each period the controller stores the transitions of the copies, takes ``updates_per_step``
minibatch steps from a replay buffer on the target ``gamma (1 - done) alpha ln sum exp(Q_target(x',
.)/alpha)`` with a Polyak-averaged target network, and samples the next actions from its
policy. No model of the network is learned. The state is the same as that of
:class:`neuromop.fit.spiking_model.SpikingModelEnv`: ``[filtered rates (Hz), auxiliaries]``.
"""

from __future__ import annotations

import copy
import math
import time
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np
import torch
from torch import nn

from neuromop._checks import (
    MAX_SIZE,
    check_finite_array,
    check_int,
    check_int_tuple,
    check_real,
)
from neuromop._io import save_torch_atomic
from neuromop._random import blank_linear, seed_int, spawn, torch_generator
from neuromop.control.fvi import load_matching_checkpoint, row_entropy, sample_actions
from neuromop.envs.spiking import SpikingVectorEnv

__all__ = ["CHECKPOINT_NAME", "ReplayBuffer", "SoftQController"]

#: File name of the checkpoint written by :meth:`SoftQController.fit`.
CHECKPOINT_NAME = "softq_checkpoint.pt"


class ReplayBuffer:
    """Ring buffer of transitions ``(state, action_index, next_state, done)`` (float32 numpy).

    Parameters
    ----------
    capacity : int
        Maximum number of transitions (oldest overwritten first).
    state_dim : int
    """

    def __init__(self, capacity: int, state_dim: int) -> None:
        self.capacity = check_int("capacity", capacity, low=1)
        self.state_dim = check_int("state_dim", state_dim, low=1, high=MAX_SIZE)
        self.states = np.zeros((self.capacity, self.state_dim), np.float32)
        self.next_states = np.zeros_like(self.states)
        self.actions = np.zeros(self.capacity, np.int64)
        self.done = np.zeros(self.capacity, bool)
        self.size = 0
        self._pos = 0

    def __len__(self) -> int:
        return self.size

    def add(self, states, actions, next_states, done) -> None:
        """Append a batch of transitions (rows)."""
        n = len(actions)
        if n == 0:
            return
        if n > self.capacity:
            states, actions, next_states, done = (x[-self.capacity:] for x in
                                                  (states, actions, next_states, done))
            n = self.capacity
        idx = (self._pos + np.arange(n)) % self.capacity
        self.states[idx], self.next_states[idx] = states, next_states
        self.actions[idx], self.done[idx] = actions, done
        self._pos = int((self._pos + n) % self.capacity)
        self.size = min(self.capacity, self.size + n)

    def sample(self, batch_size: int, rng: np.random.Generator):
        """A uniform minibatch as torch tensors (states, actions, next_states, done)."""
        idx = rng.integers(0, self.size, batch_size)
        return (torch.from_numpy(self.states[idx]), torch.from_numpy(self.actions[idx]),
                torch.from_numpy(self.next_states[idx]), torch.from_numpy(self.done[idx]))


class _QNetwork(nn.Module):
    def __init__(self, state_dim: int, n_actions: int, hidden: Sequence[int], scale: float,
                 random_state) -> None:
        super().__init__()
        widths = [state_dim, *hidden]
        layers: list[nn.Module] = []
        for a, b in zip(widths[:-1], widths[1:]):
            layers += [blank_linear(a, b), nn.Tanh()]
        layers.append(blank_linear(widths[-1], n_actions))
        self.mlp = nn.Sequential(*layers)
        self.scale = scale
        self.register_buffer("input_mean", torch.zeros(state_dim))
        self.register_buffer("input_std", torch.ones(state_dim))
        gen = torch_generator(random_state)
        with torch.no_grad():
            for layer in self.mlp:
                if isinstance(layer, nn.Linear):
                    bound = 1.0 / math.sqrt(layer.in_features)
                    for p in layer.parameters():
                        p.copy_((torch.rand(p.shape, generator=gen) * 2 - 1) * bound)
            # uniform initial policy and an optimistic start (the value of never terminating)
            self.mlp[-1].weight.zero_()
            self.mlp[-1].bias.fill_(1.0)

    def forward(self, states):
        return self.mlp((states - self.input_mean) / self.input_std) * self.scale


class SoftQController:
    """Soft Q-learning controller of the MOP objective (reward 0, action entropy).

    Parameters
    ----------
    state_dim : int
        Length of the state ``[obs, aux]``.
    candidate_actions : array_like (K, action_dim)
        Candidate currents (nA).
    hidden : sequence of int
        Hidden widths of the Q network.
    gamma : float
        Discount factor in [0, 1).
    alpha : float
        Temperature (weight of action entropy), > 0.
    learning_rate : float
        Adam step size.
    batch_size : int
        Minibatch size.
    buffer_size : int
        Replay capacity (transitions).
    target_tau : float
        Polyak rate of the target network per update, in (0, 1].
    updates_per_step : int
        Gradient steps per control period during training.
    warmup_transitions : int
        Transitions collected (with the initial, near-uniform policy) before learning starts.
    random_state : int
        Seed of the weights, the replay sampling and the action sampling.

    Attributes
    ----------
    q_net_, target_net_ : torch.nn.Module
    history_ : list of dict
        Per training episode: ``episode``, ``lifetime`` (mean periods), ``action_entropy``
        (nats), ``loss``, ``transitions``, ``updates``, ``seconds``.
    """

    def __init__(self, state_dim: int, candidate_actions, *, hidden: Sequence[int] = (64, 64),
                 gamma: float = 0.95, alpha: float = 1.0, learning_rate: float = 1e-3,
                 batch_size: int = 256, buffer_size: int = 100_000, target_tau: float = 0.02,
                 updates_per_step: int = 1, warmup_transitions: int = 512,
                 random_state: int = 0) -> None:
        self.state_dim = check_int("state_dim", state_dim, low=1, high=MAX_SIZE)
        cand = check_finite_array("candidate_actions", candidate_actions, ndim=2)
        self.candidate_actions = torch.as_tensor(cand, dtype=torch.float32)
        self.n_candidates = int(cand.shape[0])
        self.hidden = check_int_tuple("hidden", hidden, low=1, high=MAX_SIZE)
        self.gamma = check_real("gamma", gamma, low=0.0, high=1.0, high_inclusive=False)
        self.alpha = check_real("alpha", alpha, low=0.0, low_inclusive=False)
        self.learning_rate = check_real("learning_rate", learning_rate, low=0.0,
                                        low_inclusive=False)
        self.batch_size = check_int("batch_size", batch_size, low=1, high=MAX_SIZE)
        self.buffer_size = check_int("buffer_size", buffer_size, low=1, high=MAX_SIZE)
        self.target_tau = check_real("target_tau", target_tau, low=0.0, high=1.0,
                                     low_inclusive=False)
        self.updates_per_step = check_int("updates_per_step", updates_per_step, low=0)
        self.warmup_transitions = check_int("warmup_transitions", warmup_transitions, low=1)
        self.random_state = check_int("random_state", random_state, low=0)
        scale = max(self.alpha * math.log(self.n_candidates), 1.0) / (1.0 - self.gamma)
        self.q_net_ = _QNetwork(self.state_dim, self.n_candidates, self.hidden, scale,
                                self.random_state)
        self.target_net_ = copy.deepcopy(self.q_net_)
        self.optimizer_ = torch.optim.Adam(self.q_net_.parameters(), lr=self.learning_rate)
        self.buffer_ = ReplayBuffer(self.buffer_size, self.state_dim)
        self.history_: list[dict] = []
        self.n_updates_ = 0
        self.input_statistics_set_ = False
        self._rng = np.random.default_rng(self.random_state)

    # ------------------------------------------------------------------ policy
    def q_values(self, states):
        """``Q(x, a)`` for every candidate, shape (B, K)."""
        with torch.no_grad():
            return self.q_net_(self._check_states(states))

    def value(self, states):
        """Soft value ``alpha ln sum_a exp(Q(x, a) / alpha)``, shape (B,)."""
        return self.alpha * torch.logsumexp(self.q_values(states) / self.alpha, dim=-1)

    def action_probabilities(self, states):
        """Policy ``softmax(Q(x, .) / alpha)``, shape (B, K)."""
        return torch.softmax(self.q_values(states) / self.alpha, dim=-1)

    def act(self, states, generator=None):
        """Sample one action index per state (long, (B,))."""
        return sample_actions(self.action_probabilities(states), generator)

    def _check_states(self, states):
        if isinstance(states, np.ndarray):
            states = torch.from_numpy(states)
        if not isinstance(states, torch.Tensor):
            raise TypeError(f"states must be a torch.Tensor, got {type(states).__name__}")
        if states.ndim != 2 or states.shape[1] != self.state_dim:
            raise ValueError(f"states must have shape (B, {self.state_dim}), "
                             f"got {tuple(states.shape)}")
        return states.to(torch.float32)

    # ------------------------------------------------------------------ learning
    def soft_target(self, next_states, done):
        """``gamma (1 - done) alpha ln sum_a exp(Q_target(x', a) / alpha)``, shape (B,)."""
        with torch.no_grad():
            v = self.alpha * torch.logsumexp(self.target_net_(next_states) / self.alpha, dim=-1)
        return torch.where(done, torch.zeros_like(v), self.gamma * v)

    def update(self) -> float:
        """One minibatch gradient step from the replay buffer; returns the (scaled) loss."""
        if len(self.buffer_) == 0:
            raise RuntimeError("the replay buffer is empty; collect transitions first")
        s, a, s2, done = self.buffer_.sample(self.batch_size, self._rng)
        y = self.soft_target(s2, done)
        q = self.q_net_(s).gather(1, a[:, None]).squeeze(1)
        loss = torch.mean(((q - y) / self.q_net_.scale) ** 2)
        self.optimizer_.zero_grad()
        loss.backward()
        self.optimizer_.step()
        with torch.no_grad():
            for p, pt in zip(self.q_net_.parameters(), self.target_net_.parameters()):
                pt.lerp_(p, self.target_tau)
        self.n_updates_ += 1
        return float(loss.detach())

    def _set_input_statistics(self) -> None:
        x = torch.from_numpy(self.buffer_.states[:len(self.buffer_)])
        for net in (self.q_net_, self.target_net_):
            net.input_mean.copy_(x.mean(0))
            net.input_std.copy_(x.std(0).clamp(min=1e-3))
        self.input_statistics_set_ = True

    def fit(self, env, *, n_episodes: int | None = None, time_budget: float | None = None,  # noqa: C901
            n_steps: int = 100, random_state: int | None = None, progress: bool = True,
            callback: Callable[[int, dict], None] | None = None, checkpoint_dir=None,
            resume: bool = False) -> SoftQController:
        """Learn in closed loop on ``env`` for ``n_episodes`` episodes or ``time_budget`` seconds.

        Parameters
        ----------
        env : neuromop.envs.SpikingVectorEnv
            The network; its ``terminal_set`` defines termination (value 0).
        n_episodes : int, optional
            Number of closed-loop episodes of this call (all ``num_envs`` copies each);
            training continues from the controller's current networks and buffer.
        time_budget : float, optional
            Wall-clock seconds; episodes are run until this is spent (checked between
            episodes, so the last one may overrun by one episode). Give exactly one of
            ``n_episodes`` / ``time_budget``.
        n_steps : int
            Control periods per episode.
        random_state : int, optional
            Seed of the episodes and action sampling; default the controller's
            ``random_state``.
        progress : bool
            Show a tqdm bar.
        callback : callable, optional
            ``callback(episode, record)`` after every episode (after its checkpoint).
        checkpoint_dir : path-like, optional
            Folder for ``softq_checkpoint.pt``, written atomically after every episode
            (networks, optimiser, replay buffer, history, random streams and the wall-clock
            time spent). ``None``: no checkpoints.
        resume : bool
            Continue an interrupted call from the checkpoint in ``checkpoint_dir`` (if one
            exists): the episodes (and seconds) it had already done count towards
            ``n_episodes`` (``time_budget``). With the numpy Brian2 target, an interrupted
            run resumed with the same arguments ends bit-identical to an uninterrupted one.
        """
        from tqdm.auto import tqdm


        if not isinstance(env, SpikingVectorEnv):
            raise TypeError(f"env must be a SpikingVectorEnv, got {type(env).__name__}")
        expected = self.state_dim - env.terminal_set.n_aux
        if env.obs_dim != expected or env.action_dim != self.candidate_actions.shape[1]:
            raise ValueError(
                f"env must have obs_dim={expected} and action_dim="
                f"{self.candidate_actions.shape[1]} to match the controller, got "
                f"obs_dim={env.obs_dim}, action_dim={env.action_dim}")
        if (n_episodes is None) == (time_budget is None):
            raise ValueError("give exactly one of n_episodes and time_budget, got "
                             f"n_episodes={n_episodes!r}, time_budget={time_budget!r}")
        if n_episodes is not None:
            n_episodes = check_int("n_episodes", n_episodes, low=1)
        if time_budget is not None:
            time_budget = check_real("time_budget", time_budget, low=0.0, low_inclusive=False)
        n_steps = check_int("n_steps", n_steps, low=1)
        random_state = (self.random_state if random_state is None
                        else check_int("random_state", random_state, low=0))
        if resume and checkpoint_dir is None:
            raise ValueError("resume=True needs checkpoint_dir, got None")
        ckpt_path = None if checkpoint_dir is None else Path(checkpoint_dir) / CHECKPOINT_NAME
        config = {"controller": repr(self), "state_dim": self.state_dim,
                  "candidates": self.candidate_actions.numpy().tolist(),
                  "num_envs": env.num_envs, "n_steps": n_steps, "random_state": random_state,
                  "n_episodes": n_episodes, "time_budget": time_budget}
        episode_stream, act_stream = spawn(random_state, 2)
        episode_rng = np.random.default_rng(episode_stream)
        act_gen = torch_generator(act_stream)
        first, spent = len(self.history_), 0.0
        if resume and ckpt_path.exists():

            ckpt = load_matching_checkpoint(ckpt_path, config)
            self.load_state_dict(ckpt["controller"])
            episode_rng.bit_generator.state = ckpt["episode_rng"]
            act_gen.set_state(ckpt["act_gen"])
            first, spent = int(ckpt["first_episode"]), float(ckpt["seconds"])
        start = time.perf_counter() - spent
        bar = tqdm(total=n_episodes, desc="SoftQController", disable=not progress,
                   initial=len(self.history_) - first)
        while True:
            ran = len(self.history_) - first
            if n_episodes is not None and ran >= n_episodes:
                break
            if time_budget is not None and time.perf_counter() - start >= time_budget:
                break
            episode = len(self.history_)
            t0 = time.perf_counter()
            record = self._episode(env, n_steps, seed_int(episode_rng), act_gen)
            record.update(episode=episode, seconds=time.perf_counter() - t0)
            self.history_.append(record)
            if ckpt_path is not None:
                save_torch_atomic({"config": config, "controller": self.state_dict(),
                                   "episode_rng": episode_rng.bit_generator.state,
                                   "act_gen": act_gen.get_state(), "first_episode": first,
                                   "seconds": time.perf_counter() - start}, ckpt_path)
            bar.update(1)
            bar.set_postfix(lifetime=f"{record['lifetime']:.0f}",
                            H=f"{record['action_entropy']:.2f}")
            if callback is not None:
                callback(episode, record)
        bar.close()
        return self

    def _episode(self, env, n_steps: int, episode_seed: int, act_gen) -> dict:
        B = env.num_envs
        cand = self.candidate_actions.numpy().astype(float)
        state = {"prev": None, "action": None, "alive": np.ones(B, bool)}
        log = {"entropy": [], "loss": [], "transitions": 0, "updates": 0}

        def policy(obs, step):
            aux = env.aux
            x = np.concatenate([obs, aux], axis=1).astype(np.float32)
            alive = state["alive"]
            if state["prev"] is not None:
                done = np.asarray(env.terminal_set.is_terminal(obs, aux)) & alive
                self.buffer_.add(state["prev"][alive], state["action"][alive], x[alive],
                                 done[alive])
                log["transitions"] += int(alive.sum())
                alive = alive & ~done
                state["alive"] = alive
            if len(self.buffer_) >= self.warmup_transitions:
                if not self.input_statistics_set_:
                    self._set_input_statistics()
                for _ in range(self.updates_per_step):
                    log["loss"].append(self.update())
                    log["updates"] += 1
            probs = self.action_probabilities(torch.from_numpy(x))
            action = sample_actions(probs, act_gen).numpy()
            if alive.any():
                log["entropy"].append(row_entropy(probs[torch.from_numpy(alive)]).numpy())
            state["prev"], state["action"] = x, action
            return cand[action]

        ds, _ = env.run_closed_loop(policy, n_steps, random_state=episode_seed)
        ent = np.concatenate(log["entropy"]) if log["entropy"] else np.array([np.nan])
        return {"lifetime": float(ds["lifetime"].mean()), "action_entropy": float(ent.mean()),
                "loss": float(np.mean(log["loss"])) if log["loss"] else math.nan,
                "transitions": log["transitions"], "updates": log["updates"]}

    # ------------------------------------------------------------------ persistence
    def state_dict(self) -> dict:
        """Networks, optimiser, replay buffer, history and RNG (for checkpoints)."""
        buf = self.buffer_
        return {"q_net": self.q_net_.state_dict(), "target_net": self.target_net_.state_dict(),
                "optimizer": self.optimizer_.state_dict(), "history": list(self.history_),
                # arrays as tensors: checkpoints are read with torch.load(weights_only=True)
                "buffer": {k: torch.from_numpy(getattr(buf, k).copy())
                           for k in ("states", "next_states", "actions", "done")}
                | {"size": int(buf.size), "_pos": int(buf._pos)},
                "n_updates": self.n_updates_, "input_statistics_set": self.input_statistics_set_,
                "rng": self._rng.bit_generator.state}

    def load_state_dict(self, state: dict) -> None:
        """Inverse of :meth:`state_dict`."""
        self.q_net_.load_state_dict(state["q_net"])
        self.target_net_.load_state_dict(state["target_net"])
        self.optimizer_.load_state_dict(state["optimizer"])
        self.history_ = list(state["history"])
        for k, v in state["buffer"].items():
            setattr(self.buffer_, k, v.numpy().copy() if isinstance(v, torch.Tensor) else v)
        self.n_updates_ = int(state["n_updates"])
        self.input_statistics_set_ = bool(state["input_statistics_set"])
        self._rng.bit_generator.state = state["rng"]

    def __repr__(self) -> str:
        return (f"SoftQController(K={self.n_candidates}, hidden={self.hidden}, "
                f"gamma={self.gamma}, alpha={self.alpha})")
