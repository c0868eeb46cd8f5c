"""A learned one-step model of a Brian2 spiking network's observation, as a model-based env.

The next state of a stochastic spiking network, ``x'(x, a)``, has no closed form. This module

1. collects transitions ``(obs, action, next obs, period rate, terminal)`` from a
   :class:`~neuromop.envs.SpikingVectorEnv` (batched copies) driven by random candidate actions
   (:func:`collect_transitions`);
2. fits a small MLP that predicts the Gaussian distribution (mean and standard deviation) of the
   next filtered population rates and of the mean rate over the coming period, seeded and with
   early stopping on held-out transitions (:class:`SpikingObservationModel`);
3. wraps the fitted model and the network's terminal sets (e.g. ``EnergyBudget | Quiescence |
   Runaway``) as a :class:`~neuromop.envs.base.ModelBasedVectorEnv` (:class:`SpikingModelEnv`), so
   that :class:`~neuromop.control.NeuroMOPController` and
   :class:`~neuromop.control.RewardController` train on it by fitted value iteration.

The trained controllers act on the real network with
:func:`neuromop.control.rollout.run_controllers` (called from the network operation).

State of the model env: ``[filtered rates (obs_dim, Hz), terminal-set auxiliaries (n_aux)]``.
The noise-free :meth:`SpikingModelEnv.predict` returns the *mean* next state: the mean rates, and
the auxiliaries averaged over the predicted Gaussian of the period rate by Gauss-Hermite
quadrature (an energy budget integrates ``max(r - threshold, 0)``, which is convex in ``r``, so
plugging in the mean rate would underestimate the expected cost).
"""

from __future__ import annotations

import copy
import math
from collections.abc import Sequence
from dataclasses import dataclass, fields

import numpy as np
import torch
from sklearn.base import BaseEstimator
from sklearn.exceptions import NotFittedError
from torch import nn

from neuromop._checks import (
    FLOAT32_MAX,
    MAX_SIZE,
    check_finite_array,
    check_int,
    check_int_tuple,
    check_probability,
    check_real,
)
from neuromop._random import as_generator, blank_linear, seed_int, torch_generator
from neuromop.envs.base import ModelBasedVectorEnv
from neuromop.envs.spiking import SpikingVectorEnv
from neuromop.envs.spiking.terminal import SpikingTerminalSet

__all__ = [
    "SpikingModelEnv",
    "SpikingObservationModel",
    "Transitions",
    "collect_transitions",
]


@dataclass(frozen=True)
class Transitions:
    """One-step transitions of a spiking network (rows are samples).

    Attributes
    ----------
    obs : ndarray (n, obs_dim)
        Filtered rates at the start of the period (Hz).
    action : ndarray (n, action_dim)
        Currents applied during the period (nA).
    action_index : ndarray (n,)
        Index of the action in the candidate set.
    next_obs : ndarray (n, obs_dim)
        Filtered rates at the end of the period (Hz).
    rate : ndarray (n,)
        Mean rate of all neurons of the copy over the period (Hz).
    aux, next_aux : ndarray (n, n_aux)
        Terminal-set auxiliaries (e.g. energy) before and after the period.
    terminal : ndarray (n,) of bool
        Whether the copy entered a terminal set in this period.
    initial_obs : ndarray (m, obs_dim)
        Observations at the first decision of each episode (to sample initial states).
    """

    obs: np.ndarray
    action: np.ndarray
    action_index: np.ndarray
    next_obs: np.ndarray
    rate: np.ndarray
    aux: np.ndarray
    next_aux: np.ndarray
    terminal: np.ndarray
    initial_obs: np.ndarray

    def __post_init__(self) -> None:
        """Check the fields: finite numbers, one row per transition, matching widths."""
        obs = check_finite_array("obs", self.obs, ndim=2, allow_empty=True)
        n, d = obs.shape
        for name, ndim in (("action", 2), ("action_index", 1), ("next_obs", 2), ("rate", 1),
                           ("aux", 2), ("next_aux", 2), ("terminal", 1), ("initial_obs", 2)):
            arr = check_finite_array(name, getattr(self, name), ndim=ndim, dtype=None,
                                     allow_empty=True)
            if arr.dtype.kind not in "biuf":
                raise TypeError(f"{name} must hold numbers, got dtype {arr.dtype}")
            if arr.size and np.abs(arr).max() > FLOAT32_MAX:
                raise ValueError(f"{name} must fit float32 (|x| <= {FLOAT32_MAX:.3g}), got "
                                 f"{np.abs(arr).max():.3g}")
            rows = arr.shape[0] if name != "initial_obs" else n
            if rows != n or (name in ("next_obs", "initial_obs") and arr.shape[1] != d):
                raise ValueError(f"{name} must have {n} rows (one per transition) and match obs "
                                 f"{obs.shape}, got shape {arr.shape}")

    def __len__(self) -> int:
        return int(self.obs.shape[0])

    @classmethod
    def concatenate(cls, parts: Sequence[Transitions]) -> Transitions:
        """Stack several collections row-wise."""
        if not parts:
            raise ValueError("parts must hold at least one Transitions, got none")
        return cls(**{f.name: np.concatenate([getattr(p, f.name) for p in parts])
                      for f in fields(cls)})

    def states(self) -> np.ndarray:
        """``[obs, aux]`` rows, the state convention of :class:`SpikingModelEnv`."""
        return np.concatenate([self.obs, self.aux], axis=1)

    def next_states(self) -> np.ndarray:
        """``[next_obs, next_aux]`` rows."""
        return np.concatenate([self.next_obs, self.next_aux], axis=1)


def collect_transitions(env, candidate_actions, *, n_episodes: int = 4, n_steps: int = 100,
                        stickiness: float = 0.5, random_state=0) -> Transitions:
    """Drive ``env`` with random candidate actions and record its one-step transitions.

    Each copy keeps its previous action with probability ``stickiness`` and otherwise draws a
    new one uniformly, so that slow (multi-period) effects of actions are visited too.

    Parameters
    ----------
    env : neuromop.envs.SpikingVectorEnv
        The network (all ``num_envs`` copies are used in one closed-loop run per episode).
    candidate_actions : array_like (K, env.action_dim)
        Candidate currents (nA).
    n_episodes : int
        Closed-loop runs (episodes).
    n_steps : int
        Control periods per episode.
    stickiness : float
        Probability in [0, 1) of repeating the previous action.
    random_state : int, SeedSequence or numpy.random.Generator
        Seeds the action choices and the episodes.

    Returns
    -------
    Transitions
        Transitions of copies that were alive at the start of the period (after a copy
        terminates it is absorbed and contributes nothing more).
    """

    if not isinstance(env, SpikingVectorEnv):
        raise TypeError(f"env must be a SpikingVectorEnv, got {type(env).__name__}")
    cand = check_finite_array("candidate_actions", candidate_actions, ndim=2)
    if cand.shape[1] != env.action_dim:
        raise ValueError(f"candidate_actions must have shape (K, {env.action_dim}) to match "
                         f"env.action_dim, got {cand.shape}")
    n_episodes = check_int("n_episodes", n_episodes, low=1)
    n_steps = check_int("n_steps", n_steps, low=2)
    stickiness = check_probability("stickiness", stickiness)
    if stickiness >= 1.0:
        raise ValueError(f"stickiness must be < 1, got {stickiness}")
    rng = as_generator(random_state)
    B, K = env.num_envs, cand.shape[0]
    parts = []
    for _ in range(n_episodes):
        chosen: list[np.ndarray] = []
        aux_log: list[np.ndarray] = []
        current = rng.integers(0, K, B)

        def policy(obs, step, chosen=chosen, aux_log=aux_log):
            nonlocal current
            redraw = rng.random(B) >= stickiness
            current = np.where(redraw, rng.integers(0, K, B), current)
            chosen.append(current.copy())
            aux_log.append(env.aux)
            return cand[current]

        ds, _ = env.run_closed_loop(policy, n_steps, random_state=seed_int(rng))
        n = ds.sizes["time"]
        obs = ds["observation"].values  # (B, n, d), at the period start
        term = ds["terminated"].values  # (B, n), after the period
        rate = ds["population_rate"].values
        idx = np.stack(chosen[:n], axis=1)
        aux_before = np.stack(aux_log[:n], axis=1)  # (B, n, n_aux)
        alive_start = np.concatenate([np.ones((B, 1), bool), ~term[:, :-1]], axis=1)
        ok = alive_start[:, :-1]  # the next observation exists for t < n - 1
        sl = np.s_[:, :-1]
        parts.append(Transitions(
            obs=obs[sl][ok], action=cand[idx[sl][ok]], action_index=idx[sl][ok],
            next_obs=obs[:, 1:][ok], rate=rate[sl][ok], aux=aux_before[sl][ok],
            next_aux=aux_before[:, 1:][ok], terminal=term[sl][ok], initial_obs=obs[:, 0]))
    return Transitions.concatenate(parts)


class _MLP(nn.Module):
    """Gaussian one-step predictor; the first layer is split into observation and action parts."""

    def __init__(self, obs_dim: int, action_dim: int, out_dim: int, hidden: Sequence[int]):
        super().__init__()
        width = hidden[0]
        self.obs_in = blank_linear(obs_dim, width)
        self.act_in = blank_linear(action_dim, width, bias=False)
        layers: list[nn.Module] = [nn.Tanh()]
        for a, b in zip(hidden[:-1], hidden[1:]):
            layers += [blank_linear(a, b), nn.Tanh()]
        layers.append(blank_linear(hidden[-1], 2 * out_dim))
        self.body = nn.Sequential(*layers)
        self.out_dim = out_dim

    def forward(self, z_obs, z_act):
        """Standardised inputs (broadcast against each other) -> mean, log sd."""
        h = self.obs_in(z_obs) + self.act_in(z_act)
        out = self.body(h)
        return out[..., :self.out_dim], out[..., self.out_dim:].clamp(-7.0, 5.0)


class SpikingObservationModel(BaseEstimator):
    """Gaussian one-step model of the filtered rates and the period rate of a spiking network.

    Predicts ``next_obs = obs + delta`` and the period's mean rate, each as a Gaussian with
    state- and action-dependent standard deviation, by minimising the Gaussian negative
    log-likelihood of standardised targets (Adam, minibatches, early stopping on a held-out
    split, best weights restored).

    Parameters
    ----------
    hidden : sequence of int
        Hidden widths of the MLP.
    learning_rate : float
        Adam step size.
    batch_size : int
        Minibatch size.
    max_epochs : int
        Upper bound on passes over the training split.
    patience : int
        Stop after this many epochs without improvement of the validation loss.
    validation_fraction : float
        Fraction of transitions held out for early stopping, in (0, 1).
    random_state : int
        Seed of the weights, the split and the minibatch order.

    Attributes
    ----------
    net_ : torch.nn.Module
    history_ : list of dict
        ``epoch``, ``train_loss``, ``val_loss`` (mean Gaussian NLL per output, standardised).
    best_epoch_ : int
    obs_dim_, action_dim_ : int
    """

    def __init__(self, *, hidden: Sequence[int] = (64, 64), learning_rate: float = 3e-3,
                 batch_size: int = 256, max_epochs: int = 300, patience: int = 15,
                 validation_fraction: float = 0.2, random_state: int = 0) -> None:
        self.hidden = hidden
        self.learning_rate = learning_rate
        self.batch_size = batch_size
        self.max_epochs = max_epochs
        self.patience = patience
        self.validation_fraction = validation_fraction
        self.random_state = random_state

    def _validated_params(self) -> dict:
        """The constructor arguments, checked (at fit time, as scikit-learn estimators do)."""
        hidden = check_int_tuple("hidden", self.hidden, low=1, high=MAX_SIZE)
        if not hidden:
            raise ValueError("hidden must hold at least one width, got ()")
        return {
            "hidden": hidden,
            "learning_rate": check_real("learning_rate", self.learning_rate, low=0.0,
                                        high=FLOAT32_MAX, low_inclusive=False),
            "batch_size": check_int("batch_size", self.batch_size, low=1, high=MAX_SIZE),
            "max_epochs": check_int("max_epochs", self.max_epochs, low=1),
            "patience": check_int("patience", self.patience, low=1),
            "validation_fraction": check_real("validation_fraction", self.validation_fraction,
                                              low=0.0, high=1.0, low_inclusive=False,
                                              high_inclusive=False),
            "random_state": check_int("random_state", self.random_state, low=0),
        }

    # ------------------------------------------------------------------ fitting
    def _targets(self, tr: Transitions) -> np.ndarray:
        return np.concatenate([tr.next_obs - tr.obs, tr.rate[:, None]], axis=1)

    def fit(self, transitions: Transitions) -> SpikingObservationModel:
        """Fit to ``transitions`` (needs at least 10 of them)."""
        if not isinstance(transitions, Transitions):
            raise TypeError(f"transitions must be Transitions, got {type(transitions).__name__}")
        n = len(transitions)
        if n < 10:
            raise ValueError(f"transitions must hold at least 10 samples, got {n}")
        kw = self._validated_params()
        gen = torch_generator(kw["random_state"])
        obs = torch.as_tensor(transitions.obs, dtype=torch.float32)
        act = torch.as_tensor(transitions.action, dtype=torch.float32)
        y = torch.as_tensor(self._targets(transitions), dtype=torch.float32)
        self.obs_dim_, self.action_dim_ = obs.shape[1], act.shape[1]
        stats = lambda x: (x.mean(0), x.std(0).clamp(min=1e-3))  # noqa: E731
        self.obs_mean_, self.obs_std_ = stats(obs)
        self.act_mean_, self.act_std_ = stats(act)
        self.y_mean_, self.y_std_ = stats(y)
        zo, za = self._z(obs, act)
        zy = (y - self.y_mean_) / self.y_std_
        perm = torch.randperm(n, generator=gen)
        n_val = max(1, int(round(kw["validation_fraction"] * n)))
        val, train = perm[:n_val], perm[n_val:]
        self.net_ = _MLP(self.obs_dim_, self.action_dim_, y.shape[1], kw["hidden"])
        with torch.no_grad():  # PyTorch's default uniform rule, from the private generator
            for layer in self.net_.modules():
                if isinstance(layer, nn.Linear):
                    bound = 1.0 / math.sqrt(layer.in_features)
                    for p in layer.parameters():
                        p.copy_((torch.rand(p.shape, generator=gen) * 2 - 1) * bound)
        opt = torch.optim.Adam(self.net_.parameters(), lr=kw["learning_rate"])
        best, best_state, bad = math.inf, None, 0
        self.history_ = []
        for epoch in range(kw["max_epochs"]):
            order = train[torch.randperm(train.numel(), generator=gen)]
            losses = []
            for start in range(0, order.numel(), kw["batch_size"]):
                b = order[start:start + kw["batch_size"]]
                loss = self._nll(zo[b], za[b], zy[b])
                opt.zero_grad()
                loss.backward()
                opt.step()
                losses.append(loss.item())
            with torch.no_grad():
                val_loss = float(self._nll(zo[val], za[val], zy[val]))
            self.history_.append({"epoch": epoch, "train_loss": float(np.mean(losses)),
                                  "val_loss": val_loss})
            if val_loss < best - 1e-4:
                best, best_state, bad, self.best_epoch_ = (
                    val_loss, copy.deepcopy(self.net_.state_dict()), 0, epoch)
            else:
                bad += 1
                if bad >= kw["patience"]:
                    break
        if best_state is None:
            raise FloatingPointError(
                f"the held-out loss never became finite (last {self.history_[-1]['val_loss']}): "
                f"the fit diverged; lower learning_rate (got {self.learning_rate}) or check the "
                "transitions for extreme values")
        self.net_.load_state_dict(best_state)
        self.net_.eval()
        return self

    def _nll(self, zo, za, zy):
        mean, log_sd = self.net_(zo, za)
        return (0.5 * ((zy - mean) / log_sd.exp()) ** 2 + log_sd).mean() + 0.5 * math.log(
            2 * math.pi)

    def _z(self, obs, act):
        return (obs - self.obs_mean_) / self.obs_std_, (act - self.act_mean_) / self.act_std_

    # ------------------------------------------------------------------ prediction
    def predict_distribution(self, obs, actions):
        """Gaussian of ``[next_obs, period rate]`` for every (state, action) pair.

        Parameters
        ----------
        obs : torch.Tensor (B, obs_dim)
            Filtered rates (Hz).
        actions : torch.Tensor (K, action_dim) or (B, J, action_dim)
            Currents (nA): a shared candidate set (result (B, K, .)) or per-state actions.

        Returns
        -------
        mean, sd : torch.Tensor (B, K_or_J, obs_dim + 1)
            Hz. The observation-dependent part of the first layer is computed once per state and
            broadcast over the actions.
        """
        if not hasattr(self, "net_"):
            raise NotFittedError("SpikingObservationModel is not fitted; call fit(transitions) "
                                 "before predict_distribution()")
        zo, za = self._z(obs.to(torch.float32), actions.to(torch.float32))
        zo = zo.unsqueeze(1)  # (B, 1, d): broadcast against (K, a) or (B, J, a)
        with torch.no_grad():
            mean, log_sd = self.net_(zo, za)
        mean = mean * self.y_std_ + self.y_mean_
        sd = log_sd.exp() * self.y_std_
        d = self.obs_dim_
        mean = torch.cat([mean[..., :d] + obs.unsqueeze(1), mean[..., d:]], dim=-1)
        return mean, sd

    def score(self, transitions: Transitions) -> dict[str, float]:
        """Held-out accuracy: R² of the next observation and of the period rate (noise-free mean).

        Also returns ``r2_persistence``: the R² of predicting ``next_obs = obs`` (a baseline).
        """
        obs = torch.as_tensor(transitions.obs, dtype=torch.float32)
        act = torch.as_tensor(transitions.action, dtype=torch.float32).unsqueeze(1)
        mean, _ = self.predict_distribution(obs, act)
        mean = mean[:, 0].numpy()
        d = self.obs_dim_

        def r2(pred, true):
            return float(1 - ((true - pred) ** 2).sum() / ((true - true.mean(0)) ** 2).sum())

        return {"r2_next_obs": r2(mean[:, :d], transitions.next_obs),
                "r2_rate": r2(mean[:, d], transitions.rate),
                "r2_persistence": r2(transitions.obs, transitions.next_obs)}


class SpikingModelEnv(ModelBasedVectorEnv):
    """The learned spiking-network model as a :class:`ModelBasedVectorEnv`.

    Parameters
    ----------
    model : SpikingObservationModel
        A fitted model.
    candidate_actions : array_like (K, action_dim)
        Candidate currents (nA); must match the model's action dimension.
    terminal_set : SpikingTerminalSet
        Terminal sets on the filtered rates and their auxiliaries (usually the spiking env's
        ``terminal_set``, e.g. ``EnergyBudget | Quiescence | Runaway``).
    control_period : float
        Control period (ms) of the network the model was fitted on.
    initial_obs : array_like (m, obs_dim)
        Observations at the start of real episodes; initial states are drawn from them (with
        the terminal set's initial auxiliaries).
    num_envs : int
        Agents simulated in parallel.
    max_episode_steps : int, optional
        Truncation horizon of :meth:`step`.
    quadrature_nodes : int
        Gauss-Hermite nodes for the mean auxiliaries (see the module docstring).
    risk_quantile : float, optional
        If given (a z-score ``kappa``, e.g. 3), the noise-free :meth:`predict` advances the
        auxiliaries with the upper quantile ``mean + kappa * sd`` of the period rate instead of
        their Gauss-Hermite mean: an action whose successor would enter a terminal set (e.g.
        exceed the energy budget) with more than ``1 - Phi(kappa)`` probability is then terminal
        for the planner. This makes the mean-successor planner risk-aware: with the mean
        successor, a state just below the budget looks safe although one noisy period (the
        population rate of a small network fluctuates by ~5-15 Hz per 20 ms) pushes it over,
        and MOP backups ``ln sum_a exp(gamma V(x'))`` of sampled successors barely penalise such
        risks (Jensen's inequality). Changeable after construction (attribute).
    """

    def __init__(self, model: SpikingObservationModel, candidate_actions, terminal_set, *,
                 control_period: float, initial_obs, num_envs: int = 64,
                 max_episode_steps: int | None = None, quadrature_nodes: int = 8,
                 risk_quantile: float | None = None) -> None:
        if not isinstance(model, SpikingObservationModel) or not hasattr(model, "net_"):
            raise TypeError(f"model must be a fitted SpikingObservationModel, got {model!r}")
        if not isinstance(terminal_set, SpikingTerminalSet):
            raise TypeError("terminal_set must be a SpikingTerminalSet, got "
                            f"{type(terminal_set).__name__}")
        cand = check_finite_array("candidate_actions", candidate_actions, ndim=2)
        if cand.shape[1] != model.action_dim_:
            raise ValueError(f"candidate_actions must have {model.action_dim_} columns (the "
                             f"model's action_dim), got shape {cand.shape}")
        init = check_finite_array("initial_obs", initial_obs, ndim=2)
        if init.shape[1] != model.obs_dim_:
            raise ValueError(f"initial_obs must have {model.obs_dim_} columns, got {init.shape}")
        self.model, self.terminal_set = model, terminal_set
        self.obs_dim, self.n_aux = model.obs_dim_, terminal_set.n_aux
        self.control_period = check_real("control_period", control_period, low=0.0,
                                         low_inclusive=False)
        self.dt = self.control_period * 1e-3  # s, used by rollouts
        self.risk_quantile = (None if risk_quantile is None
                              else check_real("risk_quantile", risk_quantile))
        self._initial_obs = torch.as_tensor(init, dtype=torch.float32)
        nodes, weights = np.polynomial.hermite_e.hermegauss(
            check_int("quadrature_nodes", quadrature_nodes, low=1, high=1024))
        self._nodes = torch.as_tensor(nodes, dtype=torch.float32)
        self._weights = torch.as_tensor(weights / weights.sum(), dtype=torch.float32)
        super().__init__(num_envs, self.obs_dim + self.n_aux, cand,
                         max_episode_steps=max_episode_steps)
        # mean Gaussian entropy of the observation noise (nats), for beta > 0
        with torch.no_grad():
            _, sd = model.predict_distribution(self._initial_obs, self.candidate_actions)
        self.noise_entropy = float((0.5 * math.log(2 * math.pi * math.e)
                                    + sd[..., :self.obs_dim].log()).sum(-1).mean())

    def initial_states(self, n: int, generator):
        rows = torch.randint(self._initial_obs.shape[0], (n,), generator=generator)
        obs = self._initial_obs[rows]
        return torch.cat([obs, self.terminal_set.initial_aux(obs, (n,))], dim=-1)

    def predict(self, states, action_index=None, *, generator=None):
        states = self._check_states(states)
        idx = self._check_predict_index(states, action_index)
        acts = self.candidate_actions if idx is None else self.candidate_actions[
            idx if idx.ndim == 2 else idx[:, None]]
        obs, aux = states[:, :self.obs_dim], states[:, self.obs_dim:]
        mean, sd = self.model.predict_distribution(obs, acts)  # (B, J, d + 1)
        d = self.obs_dim
        aux = aux.unsqueeze(1).expand(*mean.shape[:2], self.n_aux)
        period = self.control_period * 1e-3
        if generator is not None:
            sample = mean + sd * torch.randn(mean.shape, generator=generator)
            nxt_obs = sample[..., :d].clamp(min=0.0)
            nxt_aux = self.terminal_set.update_aux(aux, nxt_obs, sample[..., d].clamp(min=0.0),
                                                   period)
        else:
            nxt_obs = mean[..., :d].clamp(min=0.0)
            nodes = (self._nodes if self.risk_quantile is None
                     else torch.full((1,), self.risk_quantile))
            weights = self._weights if self.risk_quantile is None else torch.ones(1)
            rates = (mean[..., d:] + sd[..., d:] * nodes).clamp(min=0.0)  # (B, J, Q)
            q = rates.shape[-1]
            upd = self.terminal_set.update_aux(
                aux.unsqueeze(-2).expand(*rates.shape, self.n_aux),
                nxt_obs.unsqueeze(-2).expand(*rates.shape, d), rates, period)
            nxt_aux = (upd * weights.view(q, 1)).sum(-2)
        out = torch.cat([nxt_obs, nxt_aux], dim=-1)
        return out[:, 0] if (idx is not None and idx.ndim == 1) else out

    def is_terminal(self, states):
        return self.terminal_set.is_terminal(states[..., :self.obs_dim],
                                             states[..., self.obs_dim:])

    def activity(self, states):
        return states[..., :self.obs_dim]

    def state_variables(self, states):
        return {name: states[..., self.obs_dim + k]
                for k, name in enumerate(self.terminal_set.aux_names)}

    def __repr__(self) -> str:
        return (f"SpikingModelEnv(num_envs={self.num_envs}, K={self.n_candidates}, "
                f"terminal={self.terminal_set!r}, control_period={self.control_period} ms)")
