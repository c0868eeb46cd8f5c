"""Per-episode record of the spiking environment's control loop, and its xarray dataset.

:class:`EpisodeLog` preallocates one array per logged quantity for the whole episode
(``(num_envs, n_steps, ...)``) so that the network operation writes one row per control period
(no per-step Python lists of small arrays, no stacking at the end).
"""

from __future__ import annotations

import numpy as np

__all__ = ["EpisodeLog", "episode_dataset"]

_NEVER = np.iinfo(np.int64).max // 2


class EpisodeLog:
    """Arrays of one episode of ``num_envs`` copies, one entry per control period.

    Decisions (``obs``, ``action``) are written at the start of period ``s = 0 .. n_steps-1``;
    outcomes of period ``s - 1`` (``reward``, ``aux``, ``rate``) at the start of period
    ``s = 1 .. n_steps``; terminations only when they happen (:meth:`terminate`).

    Parameters
    ----------
    num_envs, n_steps, obs_dim, action_dim, n_aux : int
        Copies, control periods, and sizes of the observation, action and auxiliaries.
    """

    def __init__(self, num_envs: int, n_steps: int, obs_dim: int, action_dim: int,
                 n_aux: int) -> None:
        B, n = num_envs, n_steps
        self.obs = np.zeros((B, n, obs_dim))
        self.action = np.zeros((B, n, action_dim))
        self.reward = np.zeros((B, n))
        self.first_terminal = np.full(B, _NEVER)  # period index of the termination
        self.aux = np.zeros((B, n, n_aux))
        self.rate = np.zeros((B, n))
        self.n_decisions = 0
        self.n_outcomes = 0

    def decision(self, s: int, obs: np.ndarray, action: np.ndarray) -> None:
        """Record the observation (B, obs_dim) and action (B, action_dim) of period ``s``."""
        self.obs[:, s] = obs
        self.action[:, s] = action
        self.n_decisions = s + 1

    def outcome(self, s: int, reward, aux, rate) -> None:
        """Record the outcome of period ``s - 1`` (arrays of shape (B,) / (B, n_aux)); a
        ``reward`` of None leaves the zeros."""
        i = s - 1
        if reward is not None:  # None: zero reward (the arrays start at zero)
            self.reward[:, i] = reward
        if self.aux.shape[2]:
            self.aux[:, i] = aux
        self.rate[:, i] = rate
        self.n_outcomes = s

    def terminate(self, s: int, new: np.ndarray) -> None:
        """Copies ``new`` (bool, (B,)) entered a terminal set in period ``s - 1``."""
        self.first_terminal[new] = s - 1

    def terminated(self, n: int) -> np.ndarray:
        """(B, n) bool: True from the period in which a copy terminated on."""
        return np.arange(n)[None, :] >= self.first_terminal[:, None]

    @property
    def last_action(self) -> np.ndarray:
        """The action of the latest recorded decision, shape (B, action_dim)."""
        return self.action[:, self.n_decisions - 1]

    def variables(self, aux_names) -> dict:
        """The recorded periods as ``{name: (dims, array)}`` for an ``xarray.Dataset`` (copies).

        Includes ``lifetime`` (trial): the period in which a copy terminated (1-based), or the
        number of recorded periods if it never did.
        """
        n = self.n_outcomes
        term = self.terminated(n)
        lifetime = np.where(self.first_terminal < n, self.first_terminal + 1, n).astype(np.int64)
        data = {
            "observation": (("trial", "time", "readout"), self.obs[:, :n].copy()),
            "action": (("trial", "time", "action_dim"), self.action[:, :n].copy()),
            "population_rate": (("trial", "time"), self.rate[:, :n].copy()),
            "reward": (("trial", "time"), self.reward[:, :n].copy()),
            "terminated": (("trial", "time"), term),
            "lifetime": (("trial",), lifetime),
        }
        for m, name in enumerate(aux_names):
            data[name] = (("trial", "time"), self.aux[:, :n, m].copy())
        return data


def episode_dataset(data: dict, time: np.ndarray, n_exc: int, n_inh: int, readout_labels,
                    action_labels):
    """The episode's ``xarray.Dataset``: ``data`` (``{name: (dims, array)}``) with coordinates
    ``trial``, ``time`` (s), ``neuron`` (with its ``population``, E then I), ``readout`` and
    ``action_dim``."""
    import xarray as xr

    n_trials = next(iter(data.values()))[1].shape[0]
    pops = np.array(["E"] * n_exc + ["I"] * n_inh)
    ds = xr.Dataset(data, coords={
        "trial": np.arange(n_trials), "time": time, "neuron": np.arange(n_exc + n_inh),
        "population": ("neuron", pops), "readout": list(readout_labels),
        "action_dim": list(action_labels)})
    ds["time"].attrs["units"] = "s"
    return ds
