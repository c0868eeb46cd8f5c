"""Deploy controllers on the real Brian2 network in closed loop, and summarise their variability.

:func:`run_controllers` runs several controllers in **one** closed-loop Brian2 run: the
``num_envs`` copies of a :class:`~neuromop.envs.SpikingVectorEnv` (same connectivity) are split
into contiguous groups, one per controller, and inside the control ``network_operation`` each
group's controller maps the state ``[filtered rates, terminal auxiliaries]`` to a candidate
current. :func:`variability_table` computes, per controller, the lifetime and the metrics used on
recordings (Fano factor, CV of ISIs, spike-count correlation, participation ratio) with
:mod:`neuromop.analysis`.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping

import numpy as np
import pandas as pd
import torch
import xarray as xr

from neuromop._checks import check_finite_array, check_int, check_real
from neuromop.control.value_network import policy_entropy, sample_actions

__all__ = ["run_controllers", "variability_table"]


def run_controllers(env, controllers: Mapping, candidate_actions, n_steps: int, *, seed=0):
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
    seed : int
        Seeds the episode (Brian noise, initial potentials) and the action sampling.

    Returns
    -------
    dataset : xarray.Dataset
        :meth:`SpikingVectorEnv.episode_data` plus ``action_index`` (trial, time; -1 after
        termination or for the free network), ``action_entropy`` (trial, time; nats of the policy,
        NaN after termination) and a ``controller`` coordinate along ``trial``.
    spikes : pandas.DataFrame
        The spike table (time (s), neuron, trial).
    """
    from neuromop.envs.spiking import SpikingVectorEnv

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
    seed = check_int("seed", seed, low=0)
    size = env.num_envs // n_groups
    groups = [(label, ctrl, slice(g * size, (g + 1) * size))
              for g, (label, ctrl) in enumerate(controllers.items())]
    zero = np.flatnonzero((cand == 0).all(axis=1))
    zero_index = int(zero[0]) if zero.size else -1
    gen = torch.Generator().manual_seed(seed)
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
            ent[sl] = policy_entropy(probs).numpy()
            currents[sl] = cand[idx[sl]]
        idx_log.append(idx)
        ent_log.append(ent)
        return currents

    ds, spikes = env.run_closed_loop(policy, n_steps, seed=seed)
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


def _alive_counts(sub: xr.Dataset, bins_per_window: int):
    """Counts of the time bins where every trial of ``sub`` is alive, summed in windows."""
    n_alive = int(sub["lifetime"].min())
    n_win = n_alive // bins_per_window
    counts = sub["counts"].isel(time=slice(0, n_win * bins_per_window))
    if n_win == 0:
        return counts, 0
    counts = counts.coarsen(time=bins_per_window).sum()
    counts.attrs["bin_width"] = bins_per_window * float(sub.attrs["bin_width"])
    return counts, n_win


def _offdiag_mean(r: xr.DataArray) -> float:
    a = np.asarray(r.values, dtype=float)
    mask = ~np.eye(a.shape[0], dtype=bool)
    vals = a[mask]
    vals = vals[np.isfinite(vals)]
    return float(vals.mean()) if vals.size else float("nan")


def variability_table(ds: xr.Dataset, spikes: pd.DataFrame, *, window: float = 0.05,
                      neurons: str | None = "E") -> pd.DataFrame:
    """Lifetime and spike-train variability of each controller of a :func:`run_controllers` run.

    Count statistics use the time bins where *all* trials of a controller are alive (so that
    every trial contributes to each window), summed in non-overlapping windows of ``window``
    seconds; ISI statistics use each trial's own alive span.

    Parameters
    ----------
    ds, spikes
        Outputs of :func:`run_controllers`.
    window : float
        Counting window (s), a whole multiple of the control period.
    neurons : {"E", "I"} or None
        Population analysed (``None``: all neurons).

    Returns
    -------
    pandas.DataFrame
        One row per controller: ``lifetime_steps``, ``lifetime_s`` (mean over trials),
        ``survival`` (fraction alive at the end), ``action_entropy`` (nats, mean over alive
        decisions), ``rate_hz`` (mean over alive periods), ``fano_factor`` (across trials, per
        window and neuron, averaged), ``cv_isi`` (mean over trains with >= 2 intervals),
        ``r_sc`` (mean over pairs, counts over the alive span), ``participation_ratio``
        (bias-corrected, samples = trials x windows) and ``alive_windows``.
    """
    from neuromop.analysis import cv, fano_factor, participation_ratio, spike_count_correlation

    if "counts" not in ds or "controller" not in ds.coords:
        raise ValueError("ds must come from run_controllers (needs 'counts' and a 'controller' "
                         "coordinate)")
    width = float(ds.attrs["bin_width"])
    window = check_real("window", window, low=width)
    bpw = int(round(window / width))
    if abs(bpw * width - window) > 1e-9:
        raise ValueError(f"window must be a multiple of the bin width {width} s, got {window}")
    if neurons is not None:
        sel = ds["population"].values == neurons
        if not sel.any():
            raise ValueError(f"neurons must name a population in {set(ds['population'].values)}, "
                             f"got {neurons!r}")
        ds = ds.isel(neuron=np.flatnonzero(sel))
        spikes = spikes[spikes["neuron"].isin(ds["neuron"].values)]
    rows = []
    labels = list(dict.fromkeys(ds["controller"].values.tolist()))
    for label in labels:
        trials = np.flatnonzero(ds["controller"].values == label)
        sub = ds.isel(trial=trials)
        life = sub["lifetime"].values.astype(float)
        n_time = sub.sizes["time"]
        alive = np.arange(n_time)[None, :] < life[:, None]
        row = {"controller": label, "lifetime_steps": life.mean(),
               "lifetime_s": life.mean() * width, "survival": float((life >= n_time).mean()),
               "action_entropy": float(np.nanmean(np.where(alive, sub["action_entropy"].values,
                                                           np.nan))),
               "rate_hz": float(sub["rate"].values[alive].mean())}
        counts, n_win = _alive_counts(sub, bpw)
        row["alive_windows"] = n_win
        with warnings.catch_warnings():
            # silent neurons give NaN by definition (documented by the metrics); they are
            # excluded from the averages below
            warnings.simplefilter("ignore", RuntimeWarning)
            if n_win >= 1 and len(trials) >= 2:
                ff = fano_factor(counts, dims="trial")
                row["fano_factor"] = float(np.nanmean(ff.values))
                total = counts.sum("time").expand_dims(time=[0.0]).transpose(
                    "trial", "time", "neuron")
                row["r_sc"] = _offdiag_mean(spike_count_correlation(total))
            else:
                row["fano_factor"] = row["r_sc"] = float("nan")
            if n_win * len(trials) >= 4:
                row["participation_ratio"] = float(participation_ratio(
                    counts.astype(float), sample_dims=("trial", "time")))
            else:
                row["participation_ratio"] = float("nan")
            tr = spikes[spikes["trial"].isin(trials)]
            limit = pd.Series(life * width, index=trials)
            tr = tr[tr["time"].values < limit.loc[tr["trial"].values].values]
            row["cv_isi"] = float(np.nanmean(cv(tr).values)) if len(tr) >= 3 else float("nan")
        rows.append(row)
    return pd.DataFrame(rows).set_index("controller")
