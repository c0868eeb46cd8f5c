"""Roll out controllers and summarise the result as xarray.

:func:`rollout` runs any controller in any model-based environment (the model's own ``transition``);
:func:`run_controllers` deploys several controllers on the real Brian2 network in **one**
closed-loop run (copies split into groups, one per controller).

In :func:`rollout` each trial starts from a fresh initial state and runs until its first
terminal state or ``n_steps``; there is no autoreset. After termination a trial's activity is
held at its terminal state (so that ``activity`` stays finite, as the data contract requires)
and ``alive`` is False;
``action`` is -1 and ``action_entropy`` NaN there. Every summary uses only alive samples.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import torch
import xarray as xr

from neuromop._checks import MAX_SIZE, check_finite_array, check_int, check_int_tuple
from neuromop._provenance import provenance
from neuromop._random import spawn, torch_generator
from neuromop.analysis.agent_metrics import lifetime
from neuromop.analysis.dimensionality import participation_ratio
from neuromop.control.fvi import row_entropy, sample_actions
from neuromop.envs.base import ModelBasedVectorEnv, as_tensor
from neuromop.envs.spiking import SpikingVectorEnv

__all__ = ["rollout", "run_controllers", "summarize_rollout"]


def rollout(env: ModelBasedVectorEnv, controller, n_steps: int, *, n_trials: int | None = None,
            random_state=0, neurons=None, record_activity: bool = True,
            initial_states=None) -> xr.Dataset:
    """Run ``controller`` in ``env`` and return the trajectories as a labelled dataset.

    Parameters
    ----------
    env : ModelBasedVectorEnv
        Environment (its model methods are used; its own ``reset``/``step`` state is untouched).
    controller
        Anything with ``action_probabilities(states) -> (B, K)``.
    n_steps : int
        Number of actions per trial; the dataset has ``n_steps + 1`` time points (states).
    n_trials : int, optional
        Number of independent trials (default ``env.num_envs``).
    random_state : int, SeedSequence or numpy.random.Generator
        Seed of initial states, action sampling and transition noise (one torch stream).
    neurons : sequence of int, optional
        Which units of ``env.activity`` to record (default all).
    record_activity : bool
        Whether to store ``activity`` (summaries then cannot compute std/PR).
    initial_states : torch.Tensor, optional
        Start states ``(n_trials, state_dim)`` instead of sampling them.

    Returns
    -------
    xarray.Dataset
        Dims ``(trial, time, neuron)``; variables ``activity`` (trial, time, neuron), ``action``,
        ``action_entropy`` (nats), ``alive``, ``terminated``, ``reward`` (extrinsic, on arrival)
        (trial, time), every entry of ``env.state_variables`` (e.g. ``energy``; ``readout`` with
        an extra ``readout`` dim) and ``lifetime`` (trial; steps before the first terminal
        state, ``n_steps`` if none). ``time`` is ``step * dt`` (``dt`` of the env if it has one,
        else 1), its ``units`` attr the env's ``time_unit`` (``"tau"`` for a rate RNN with
        ``tau = 1``, ``"s"`` for the cartpole, ``"steps"`` for an env without ``dt``); attrs
        carry units, bin width and provenance.
    """
    if not isinstance(env, ModelBasedVectorEnv):
        raise TypeError(f"env must be a ModelBasedVectorEnv, got {type(env).__name__}")
    if not hasattr(controller, "action_probabilities"):
        raise TypeError("controller must have action_probabilities(states), got "
                        f"{type(controller).__name__}")
    n_steps = check_int("n_steps", n_steps, low=1)
    n_trials = env.num_envs if n_trials is None else check_int("n_trials", n_trials, low=1,
                                                              high=MAX_SIZE)
    gen = torch_generator(random_state)
    if initial_states is None:
        states = env.initial_states(n_trials, gen)
    else:
        states = env._check_states(as_tensor("initial_states", initial_states),
                                   "initial_states")
        if states.shape[0] != n_trials:
            raise ValueError(f"initial_states must have {n_trials} rows, got {states.shape[0]}")
    act0 = env.activity(states)
    neuron_idx = (np.arange(act0.shape[-1]) if neurons is None
                  else np.asarray(check_int_tuple("neurons", neurons, low=0), dtype=np.int64))
    if neuron_idx.size and neuron_idx.max() >= act0.shape[-1]:
        raise ValueError(f"neurons must be < {act0.shape[-1]}, got max {neuron_idx.max()}")
    sel = torch.as_tensor(neuron_idx, dtype=torch.long)

    alive = ~env.is_terminal(states)
    acts, acts_idx, ents, alives, rewards = [], [], [], [], []
    extras: dict[str, list] = {k: [] for k in env.state_variables(states)}
    for t in range(n_steps + 1):
        alives.append(alive.clone())
        if record_activity:
            acts.append(env.activity(states)[:, sel].clone())
        for k, v in env.state_variables(states).items():
            extras[k].append(v.clone())
        rewards.append(env.extrinsic_reward(states) if t else torch.zeros(n_trials))
        if t == n_steps:
            break
        probs = controller.action_probabilities(states)
        action = sample_actions(probs, gen)
        ent = row_entropy(probs)
        acts_idx.append(torch.where(alive, action, -1))
        ents.append(torch.where(alive, ent, torch.full_like(ent, float("nan"))))
        nxt = env.transition(states, action, gen)
        states = torch.where(alive.unsqueeze(-1), nxt, states)  # hold terminal states
        alive = alive & ~env.is_terminal(states)
    acts_idx.append(torch.full((n_trials,), -1))
    ents.append(torch.full((n_trials,), float("nan")))

    alive_np = torch.stack(alives, dim=1).numpy()
    dt = float(getattr(env, "dt", 1.0))
    time = np.arange(n_steps + 1) * dt
    coords = {"trial": np.arange(n_trials), "time": time}
    data = {
        "action": (("trial", "time"), torch.stack(acts_idx, 1).numpy().astype(np.int64)),
        "action_entropy": (("trial", "time"), torch.stack(ents, 1).numpy()),
        "alive": (("trial", "time"), alive_np),
        "terminated": (("trial", "time"), ~alive_np),
        "reward": (("trial", "time"), torch.stack(rewards, 1).numpy()),
    }
    if record_activity:
        data["activity"] = (("trial", "time", "neuron"), torch.stack(acts, 1).numpy())
        coords["neuron"] = neuron_idx
    for k, vals in extras.items():
        arr = torch.stack(vals, 1).numpy()
        dims = ("trial", "time") + tuple(f"{k}_dim" if k != "readout" else "readout"
                                         for _ in range(arr.ndim - 2))
        data[k] = (dims, arr)
    ds = xr.Dataset(data, coords=coords)
    # steps before the first terminal state; n_steps (the number of actions) if none
    ds["lifetime"] = lifetime(ds["terminated"])["lifetime"].clip(max=n_steps).drop_attrs()
    ds["lifetime"].attrs["units"] = "steps"
    ds["action_entropy"].attrs["units"] = "nats"
    ds["time"].attrs["units"] = env.time_unit
    ds.attrs.update(provenance("neuromop.control.rollout", n_steps=n_steps, n_trials=n_trials,
                               random_state=random_state, env=repr(env),
                               controller=repr(controller)))
    ds.attrs.update({"units": "a.u.", "bin_width": dt, "source": "neuromop.control.rollout",
                     "controller": type(controller).__name__,
                     "n_candidates": int(env.n_candidates)})
    return ds


def summarize_rollout(ds: xr.Dataset) -> dict[str, float]:
    """Lifetime, action entropy, activity std and participation ratio of a rollout.

    Returns
    -------
    dict
        ``lifetime`` (mean steps), ``lifetime_sem``, ``survival`` (fraction of trials alive at
        the end), ``action_entropy`` (mean nats over alive steps), ``activity_std`` (std over
        alive time points of each neuron, averaged over neurons and trials; NaN when no trial
        has 2 alive steps) and ``participation_ratio`` (bias-corrected, of the covariance
        pooled over alive samples of all trials; NaN with fewer than 4 alive samples).
    """
    if not isinstance(ds, xr.Dataset):
        raise TypeError(f"ds must be the xarray.Dataset of rollout(), got {type(ds).__name__}")
    missing = [v for v in ("alive", "lifetime", "action_entropy") if v not in ds]
    if missing:
        raise ValueError(f"ds must be the dataset of rollout(): it lacks {missing}")
    if ds.sizes.get("trial", 0) == 0 or ds.sizes.get("time", 0) == 0:
        raise ValueError(f"ds must hold at least one trial and one time step, got sizes "
                         f"{dict(ds.sizes)}")
    alive = ds["alive"].values
    life = ds["lifetime"].values.astype(float)
    out = {
        "lifetime": float(life.mean()),
        "lifetime_sem": float(life.std(ddof=1) / np.sqrt(life.size)) if life.size > 1 else 0.0,
        "survival": float(alive[:, -1].mean()),
        "action_entropy": float(np.nanmean(ds["action_entropy"].values)),
    }
    if "activity" in ds:
        act = ds["activity"].values  # (trial, time, neuron)
        if not np.all(np.isfinite(act)):
            raise ValueError("ds['activity'] must be finite, got NaN/inf values")
        w = alive[..., None].astype(float)
        cnt = w.sum(axis=1)
        mean = (act * w).sum(axis=1) / np.maximum(cnt, 1)
        var = (((act - mean[:, None]) ** 2) * w).sum(axis=1) / np.maximum(cnt - 1, 1)
        ok = cnt[:, 0] >= 2
        out["activity_std"] = float(np.sqrt(var[ok]).mean()) if ok.any() else float("nan")
        pooled = act[alive]
        out["participation_ratio"] = (
            float(participation_ratio(xr.DataArray(pooled, dims=("sample", "neuron")),
                                      sample_dims="sample"))
            if pooled.shape[0] >= 4 else float("nan"))
    return out


def run_controllers(env, controllers: Mapping, candidate_actions, n_steps: int, *,
                    random_state=0):
    """Run each controller on its own group of copies of ``env``, in one closed-loop run.

    Parameters
    ----------
    env : neuromop.envs.SpikingVectorEnv
        ``env.num_envs`` must be a multiple of ``len(controllers)``.
    controllers : mapping of str to controller or None
        Label -> anything with ``action_probabilities(states) -> (B, K)`` on torch states
        ``[obs, aux]`` (NeuroMOP, R, soft-Q, free or random controllers); ``None`` is the free
        network (zero current).
    candidate_actions : array_like (K, action_dim)
        Currents (nA) the action indices refer to.
    n_steps : int
        Control periods after the warm-up.
    random_state : int, SeedSequence or numpy.random.Generator
        Seeds the episode (Brian noise, initial potentials) and the action sampling (two
        spawned streams).

    Returns
    -------
    dataset : xarray.Dataset
        :meth:`SpikingVectorEnv.episode_data` plus ``action_index`` (trial, time; -1 after
        termination or for the free network), ``action_entropy`` (trial, time; nats of the policy,
        NaN after termination) and a ``controller`` coordinate along ``trial``.
    spikes : pandas.DataFrame
        The spike table (time (s), neuron, trial).
    """

    if not isinstance(env, SpikingVectorEnv):
        raise TypeError(f"env must be a SpikingVectorEnv, got {type(env).__name__}")
    if not isinstance(controllers, Mapping) or not controllers:
        raise TypeError(f"controllers must be a non-empty mapping label -> controller, got "
                        f"{controllers!r}")
    for label, ctrl in controllers.items():
        if ctrl is not None and not hasattr(ctrl, "action_probabilities"):
            raise TypeError(f"controllers[{label!r}] must have action_probabilities(states) "
                            f"or be None, got {type(ctrl).__name__}")
    n_groups = len(controllers)
    if env.num_envs % n_groups:
        raise ValueError(f"env.num_envs must be a multiple of len(controllers)={n_groups}, "
                         f"got {env.num_envs}")
    cand = check_finite_array("candidate_actions", candidate_actions, ndim=2)
    if cand.shape[1] != env.action_dim:
        raise ValueError(f"candidate_actions must have shape (K, {env.action_dim}), "
                         f"got {cand.shape}")
    n_steps = check_int("n_steps", n_steps, low=1)
    episode_stream, action_stream = spawn(random_state, 2)
    size = env.num_envs // n_groups
    groups = [(label, ctrl, slice(g * size, (g + 1) * size))
              for g, (label, ctrl) in enumerate(controllers.items())]
    zero = np.flatnonzero((cand == 0).all(axis=1))
    zero_index = int(zero[0]) if zero.size else -1
    gen = torch_generator(action_stream)
    idx_log, ent_log = [], []

    def policy(obs, step):
        x = torch.as_tensor(np.concatenate([obs, env.aux], axis=1), dtype=torch.float32)
        idx = np.full(env.num_envs, zero_index, dtype=np.int64)
        ent = np.zeros(env.num_envs)
        currents = np.zeros((env.num_envs, env.action_dim))
        for _, ctrl, sl in groups:
            if ctrl is None:
                continue
            probs = ctrl.action_probabilities(x[sl])
            idx[sl] = sample_actions(probs, gen).numpy()
            ent[sl] = row_entropy(probs).numpy()
            currents[sl] = cand[idx[sl]]
        idx_log.append(idx)
        ent_log.append(ent)
        return currents

    ds, spikes = env.run_closed_loop(policy, n_steps, random_state=episode_stream)
    n = ds.sizes["time"]
    idx = np.stack(idx_log[:n], axis=1) if n else np.zeros((env.num_envs, 0), np.int64)
    ent = np.stack(ent_log[:n], axis=1) if n else np.zeros((env.num_envs, 0))
    dead = np.concatenate([np.zeros((env.num_envs, min(n, 1)), bool),
                           ds["terminated"].values[:, :-1]], axis=1)
    labels = np.repeat([label for label, _, _ in groups], size)
    free = np.array([ctrl is None for _, ctrl, _ in groups]).repeat(size)
    idx = np.where(dead | free[:, None], -1, idx)
    ent = np.where(dead, np.nan, ent)
    ds["action_index"] = (("trial", "time"), idx)
    ds["action_entropy"] = (("trial", "time"), ent)
    ds["action_entropy"].attrs["units"] = "nats"
    ds = ds.assign_coords(controller=("trial", labels))
    ds.attrs["candidate_actions_nA"] = cand.ravel().tolist()
    return ds, spikes
