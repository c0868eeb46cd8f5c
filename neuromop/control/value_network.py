"""Feed-forward value network and the shared machinery of fitted-value-iteration controllers."""

from __future__ import annotations

import math
from collections.abc import Sequence

import torch
from torch import nn

from neuromop._checks import check_choice, check_int, check_real
from neuromop.envs.base import ModelBasedVectorEnv

__all__ = ["ValueNetwork", "FittedValueController", "policy_entropy"]


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
    seed : int
        Seed of the initial weights (PyTorch's default uniform(+-1/sqrt(fan_in)) rule, drawn from
        a private generator, never the global RNG).
    """

    def __init__(self, state_dim: int, hidden: Sequence[int] = (128, 128),
                 activation: str = "tanh", value_scale: float = 1.0, seed: int = 0) -> None:
        super().__init__()
        widths = [check_int("state_dim", state_dim, low=1)]
        widths += [check_int("hidden", h, low=1) for h in hidden]
        act = {"tanh": nn.Tanh, "relu": nn.ReLU}[
            check_choice("activation", activation, ("tanh", "relu"))]
        layers: list = []
        for a, b in zip(widths[:-1], widths[1:]):
            layers += [nn.Linear(a, b), act()]
        layers.append(nn.Linear(widths[-1], 1))
        self.mlp = nn.Sequential(*layers)
        self.register_buffer("input_mean", torch.zeros(widths[0]))
        self.register_buffer("input_std", torch.ones(widths[0]))
        self.value_scale = check_real("value_scale", value_scale, low=0.0, low_inclusive=False)
        gen = torch.Generator().manual_seed(int(seed))
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


def policy_entropy(probs):
    """Entropy (nats) of each row of action probabilities ``(..., K)``."""
    return -(probs * torch.log(probs.clamp(min=1e-30))).sum(dim=-1)


class FittedValueController:
    """Base of controllers that learn ``V(x; theta)`` by fitted value iteration on a model env.

    Subclasses define the Bellman target (:meth:`bellman_target`) and the policy
    (:meth:`_probabilities_from_successors`); this class evaluates successor values, samples
    actions and holds the network.

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
        self.hidden = tuple(check_int("hidden", h, low=1) for h in hidden)
        self.gamma = check_real("gamma", gamma, low=0.0, high=1.0, high_inclusive=False)
        self.learning_rate = check_real("learning_rate", learning_rate, low=0.0,
                                        low_inclusive=False)
        self.optimizer = check_choice("optimizer", optimizer, ("adam", "sgd", "rmsprop"))
        self.activation = check_choice("activation", activation, ("tanh", "relu"))
        self.chunk_size = check_int("chunk_size", chunk_size, low=1)
        self.random_state = check_int("random_state", random_state, low=0)
        self.initial_value = (None if initial_value is None
                              else check_real("initial_value", initial_value))
        self.value_net_ = ValueNetwork(env.state_dim, self.hidden, self.activation,
                                       self._value_scale(), seed=self.random_state)
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

    def bellman_target(self, states, net=None):
        """Fitted-VI target ``y(x)`` of each state, shape (B,), using ``net`` (default: current)."""
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
        net = self.value_net_ if net is None else net
        outs_v, outs_t, outs_r = [], [], []
        with torch.no_grad():
            for start in range(0, states.shape[0], self.chunk_size):
                nxt = self.env.predict(states[start:start + self.chunk_size])
                term = self.env.is_terminal(nxt)
                val = net(nxt).masked_fill(term, 0.0)
                outs_v.append(val)
                outs_t.append(term)
                outs_r.append(self.env.extrinsic_reward(nxt))
        return torch.cat(outs_v), torch.cat(outs_t), torch.cat(outs_r)

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
        """Train by fitted value iteration; see :func:`neuromop.control.training.train`."""
        from neuromop.control.training import train

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
