"""A second, independently written ground-truth simulator: a Q-learner on a restless bandit.

It exists to check :func:`~neuromop.values.encoding.compare_value_encodings` on data the
two-offer simulator (:mod:`neuromop.values.simulation`) did not make: the values are *learned*
(trial-by-trial, slowly varying), the counts are over-dispersed and the tuning drifts.

Task and agent
--------------
``n_arms`` arms pay 1 with probabilities ``p_a(t)`` that follow independent Gaussian random
walks (SD ``volatility`` per trial) reflected into [0.05, 0.95]; on each trial each arm is
offered with probability ``p_available`` (at least one is). A delta-rule learner keeps ``Q_a``
(start 0.5; ``Q_c <- Q_c + alpha (r - Q_c)`` for the chosen arm) and chooses among the offered
arms with a softmax of temperature ``tau`` (reward units). Before each choice the simulator
records (sums over the offered arms)

- ``value_soft = tau ln(sum_a exp(Q_a / tau))`` (the soft, entropy-regularised value),
- ``value_true = sum_a pi_a Q_a`` (the expected value of the choice the policy makes),
- ``policy_entropy = -sum_a pi_a ln pi_a`` (nats), so ``value_soft = value_true + tau H``,

computed here from their definitions (not with :mod:`neuromop.values.signals`).

Neurons
-------
Spike counts in one window of ``window`` seconds are Poisson given a log-rate
``ln r_n(t) = b_n + g_n(t) [w z(value_soft) + (1 - w) z(value_true)] + d_n(t) + e_n(t)`` with
``w`` = 1 (soft), 0 (true), ``mix`` (mixed); the gain drifts, ``g_n(t) = g_n (1 + 0.3 s_n(t))``
with ``s_n`` a slow AR(1) process; ``d_n`` is a slow AR(1) baseline drift of SD ``drift``
(time constant ``drift_trials``, half shared across neurons); ``e_n(t)`` is independent
trial-to-trial gain noise of SD ``gain_noise`` (log units), which makes the counts
over-dispersed (a log-normal–Poisson mixture).
"""

from __future__ import annotations

import numpy as np
import xarray as xr

from neuromop._checks import MAX_SIZE, check_choice, check_int, check_real
from neuromop._provenance import provenance
from neuromop._random import as_generator

__all__ = ["bandit_pseudo_sampler", "simulate_bandit_value_population"]

_P_LOW, _P_HIGH = 0.05, 0.95


def _restless_probabilities(rng, n_trials: int, n_arms: int, volatility: float) -> np.ndarray:
    p = np.empty((n_trials, n_arms))
    cur = rng.uniform(0.2, 0.8, n_arms)
    for t in range(n_trials):  # reflected random walk; a generative loop, not a hot path
        p[t] = cur
        cur = cur + rng.normal(0.0, volatility, n_arms)
        cur = np.where(cur < _P_LOW, 2 * _P_LOW - cur, cur)
        cur = np.where(cur > _P_HIGH, 2 * _P_HIGH - cur, cur)
        cur = np.clip(cur, _P_LOW, _P_HIGH)
    return p


def _availability(rng, n_trials: int, n_arms: int, p_available: float) -> np.ndarray:
    """Bool (n_trials, n_arms): arms offered on each trial (at least one)."""
    avail = rng.random((n_trials, n_arms)) < p_available
    empty = ~avail.any(axis=1)
    avail[empty, rng.integers(0, n_arms, int(empty.sum()))] = True
    return avail


def _learner(rng, p_reward: np.ndarray, available: np.ndarray, alpha: float,
             tau: float) -> dict[str, np.ndarray]:
    n, k = p_reward.shape
    q = np.full(k, 0.5)
    out = {name: np.empty(n) for name in ("value_soft", "value_true", "policy_entropy")}
    chosen = np.empty(n, np.int64)
    reward = np.empty(n)
    for t in range(n):  # the learner's own loop (trial t depends on t - 1)
        qa = q[available[t]]
        top = qa.max()
        w = np.exp((qa - top) / tau)
        pi = w / w.sum()
        out["value_soft"][t] = top + tau * np.log(w.sum())
        out["value_true"][t] = float(pi @ qa)
        out["policy_entropy"][t] = float(-(pi * np.log(np.maximum(pi, 1e-300))).sum())
        j = min(int(np.searchsorted(np.cumsum(pi), rng.random(), side="right")), qa.size - 1)
        a = int(np.flatnonzero(available[t])[j])
        r = float(rng.random() < p_reward[t, a])
        q[a] += alpha * (r - q[a])
        chosen[t], reward[t] = a, r
    out["chosen"], out["reward"], out["n_available"] = chosen, reward, available.sum(axis=1)
    return out


def _ar1(rng, n_trials: int, n_series: int, time_constant: float) -> np.ndarray:
    """Unit-variance AR(1) series (n_trials, n_series) with the given time constant (trials)."""
    return _ar1_series(rng, n_trials, n_series, np.exp(-1.0 / time_constant))


def _ar1_series(rng, n_trials: int, n_series: int, phi) -> np.ndarray:
    """Stationary unit-variance AR(1) series (n_trials, n_series) with coefficient ``phi``
    (a scalar, or one per series)."""
    x = np.empty((n_trials, n_series))
    x[0] = rng.normal(size=n_series)
    eps = rng.normal(size=(n_trials, n_series)) * np.sqrt(1 - phi**2)
    for t in range(1, n_trials):
        x[t] = phi * x[t - 1] + eps[t]
    return x


def _zscore(x: np.ndarray) -> np.ndarray:
    sd = x.std()
    return (x - x.mean()) / sd if sd > 0 else x - x.mean()


def simulate_bandit_value_population(
    *,
    encoding: str = "soft",
    n_trials: int = 500,
    n_neurons: int = 40,
    n_arms: int = 4,
    p_available: float = 0.6,
    alpha: float = 0.3,
    temperature: float = 0.3,
    volatility: float = 0.05,
    gain: float = 0.3,
    frac_tuned: float = 0.7,
    mix: float = 0.5,
    drift: float = 0.25,
    drift_trials: float = 80.0,
    gain_noise: float = 0.2,
    window: float = 0.5,
    random_state=None,
) -> xr.Dataset:
    """Poisson population of a Q-learner on a restless multi-armed bandit (module docstring).

    Parameters
    ----------
    encoding : {"soft", "true", "mixed", "none"}
        Which value signal the tuned neurons carry.
    n_trials, n_neurons : int
        Session length and population size.
    n_arms : int
        Number of arms (>= 2).
    p_available : float
        Probability that an arm is offered on a trial (at least one always is). Varying option
        sets make the choice entropy vary apart from the expected value, which separates soft
        from true value (VIF ~ 5 at the defaults); ``p_available=1`` with ``temperature=0.1``
        gives a collinear design (VIF ~ 100), as in most bandit datasets.
    alpha : float
        Learning rate of the agent, in (0, 1].
    temperature : float
        Softmax temperature ``tau`` (reward units, > 0).
    volatility : float
        SD of the per-trial random walk of each arm's reward probability.
    gain : float
        Typical |gain| (log-rate units per SD of the signal), drawn in ``[0.5, 1.5] * gain``
        with a random sign.
    frac_tuned : float
        Fraction of value-tuned neurons (0 for ``encoding="none"``).
    mix : float
        Weight of the soft value for ``encoding="mixed"``.
    drift : float
        SD of the slow baseline drift (log units).
    drift_trials : float
        Time constant of the drifts (trials).
    gain_noise : float
        SD of the independent trial-to-trial log-gain noise (over-dispersion).
    window : float
        Counting window (s); rates are 2–20 Hz.
    random_state : None, int or numpy.random.Generator

    Returns
    -------
    xarray.Dataset
        ``counts`` (trial, time=1, neuron) int64; trial coords ``chosen``, ``reward``,
        ``value_soft``, ``value_true``, ``policy_entropy``; neuron coords ``baseline_rate`` (Hz),
        ``gain_soft``, ``gain_true``; ``attrs``: ``bin_width`` (s), ground truth
        (``true_encoding``, ``alpha``, ``temperature``, ``volatility``) and provenance.
    """
    check_choice("encoding", encoding, ("soft", "true", "mixed", "none"))
    n_trials = check_int("n_trials", n_trials, low=20, high=MAX_SIZE)
    n_neurons = check_int("n_neurons", n_neurons, low=1, high=MAX_SIZE)
    n_arms = check_int("n_arms", n_arms, low=2, high=64)
    p_available = check_real("p_available", p_available, low=0.0, high=1.0, low_inclusive=False)
    check_int("n_trials x n_neurons", n_trials * n_neurons, high=MAX_SIZE)
    alpha = check_real("alpha", alpha, low=0.0, high=1.0, low_inclusive=False)
    tau = check_real("temperature", temperature, low=0.0, low_inclusive=False)
    volatility = check_real("volatility", volatility, low=0.0, high=0.5)
    gain = check_real("gain", gain, low=0.0, high=5.0)
    frac_tuned = check_real("frac_tuned", frac_tuned, low=0.0, high=1.0)
    mix = check_real("mix", mix, low=0.0, high=1.0)
    drift = check_real("drift", drift, low=0.0, high=5.0)
    drift_trials = check_real("drift_trials", drift_trials, low=1.0)
    gain_noise = check_real("gain_noise", gain_noise, low=0.0, high=5.0)
    window = check_real("window", window, low=0.0, high=100.0, low_inclusive=False)
    rng = as_generator(random_state)

    agent = _learner(rng, _restless_probabilities(rng, n_trials, n_arms, volatility),
                     _availability(rng, n_trials, n_arms, p_available), alpha, tau)
    w = {"soft": 1.0, "true": 0.0, "mixed": mix, "none": 0.0}[encoding]
    tuned = rng.random(n_neurons) < (frac_tuned if encoding != "none" else 0.0)
    g = gain * rng.uniform(0.5, 1.5, n_neurons) * rng.choice([-1.0, 1.0], n_neurons) * tuned
    signal = w * _zscore(agent["value_soft"]) + (1 - w) * _zscore(agent["value_true"])
    g_t = g[None, :] * (1.0 + 0.3 * _ar1(rng, n_trials, n_neurons, drift_trials))
    d = drift * (np.sqrt(0.5) * _ar1(rng, n_trials, 1, drift_trials)
                 + np.sqrt(0.5) * _ar1(rng, n_trials, n_neurons, drift_trials))
    base_rate = np.exp(rng.uniform(np.log(2.0), np.log(20.0), n_neurons))
    log_rate = (np.log(base_rate)[None, :] + g_t * signal[:, None] + d
                + gain_noise * rng.normal(size=(n_trials, n_neurons)))
    counts = rng.poisson(np.exp(log_rate) * window).astype(np.int64)[:, None, :]

    trial_coords = {k: ("trial", agent[k]) for k in ("chosen", "reward", "n_available",
                                                     "value_soft", "value_true",
                                                     "policy_entropy")}
    ds = xr.Dataset(
        {"counts": (("trial", "time", "neuron"), counts)},
        coords={"trial": np.arange(n_trials), "time": [window / 2], "neuron": np.arange(n_neurons),
                "baseline_rate": ("neuron", base_rate), "gain_soft": ("neuron", g * w),
                "gain_true": ("neuron", g * (1 - w)), **trial_coords},
    )
    ds["time"].attrs["units"] = "s"
    ds.attrs.update(provenance(
        "neuromop.values.bandit_population.simulate_bandit_value_population",
        encoding=encoding, n_trials=n_trials, n_neurons=n_neurons, n_arms=n_arms,
        p_available=p_available, alpha=alpha, temperature=tau,
        volatility=volatility, gain=gain, frac_tuned=frac_tuned, mix=mix, drift=drift,
        drift_trials=drift_trials, gain_noise=gain_noise, window=window))
    ds.attrs.update(units="spikes", bin_width=window, source="simulated", true_encoding=encoding,
                    alpha=alpha, temperature=tau, volatility=volatility, n_arms=n_arms,
                    p_available=p_available, task="restless_bandit")
    return ds


def bandit_pseudo_sampler(n_trials: int, *, alpha: float, temperature: float,
                          volatility: float = 0.05, n_arms: int = 4, p_available: float = 0.6):
    """Pseudo-sessions of the restless bandit for ``compare_value_encodings(null="pseudo")``.

    Each call runs the learner (with the given — e.g. fitted — ``alpha`` and ``temperature``)
    on a new restless bandit of ``n_trials`` trials and returns its ``{"soft", "true"}``
    signals: they share the slow statistics of the real ones and are independent of the
    recorded activity.
    """
    n_trials = check_int("n_trials", n_trials, low=20, high=MAX_SIZE)
    alpha = check_real("alpha", alpha, low=0.0, high=1.0, low_inclusive=False)
    tau = check_real("temperature", temperature, low=0.0, low_inclusive=False)
    volatility = check_real("volatility", volatility, low=0.0, high=0.5)
    n_arms = check_int("n_arms", n_arms, low=2, high=64)
    p_available = check_real("p_available", p_available, low=0.0, high=1.0, low_inclusive=False)

    def sample(rng: np.random.Generator) -> dict:
        agent = _learner(rng, _restless_probabilities(rng, n_trials, n_arms, volatility),
                         _availability(rng, n_trials, n_arms, p_available), alpha, tau)
        return {"soft": agent["value_soft"], "true": agent["value_true"]}

    return sample
