"""A simulated two-step recording in the form a lab hands it over: trial table plus spike times.

:func:`simulate_two_step_recording` runs a hybrid model-based / model-free agent
(:class:`~neuromop.values.TwoStepChoiceModel`) on the two-step task and a population of neurons
whose rate in a window after the first-stage choice follows the agent's learned soft value,
true value, both or neither, with slow log-rate drift and trial-to-trial gain noise
(over-dispersed counts). The output is raw — a trial table with event times on the session
clock and spike times with neuron labels — so that it exercises the glue a user writes
(:func:`~neuromop.data.load_trial_table`, a choice-model fit, :func:`two_step_values`), with the
ground truth kept aside in ``TwoStepRecording.truth``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd
import xarray as xr

from neuromop._checks import MAX_SIZE, check_choice, check_int, check_real
from neuromop._provenance import provenance
from neuromop._random import as_generator
from neuromop.values.bandit_population import _ar1, _zscore
from neuromop.values.two_step import TwoStepChoiceModel, two_step_values

__all__ = ["DEFAULT_TWO_STEP_PARAMS", "TwoStepRecording", "simulate_two_step_recording"]

#: Parameters of the simulated agent (Daw et al. 2011's median fits are of this order).
DEFAULT_TWO_STEP_PARAMS = {"alpha1": 0.5, "alpha2": 0.5, "eligibility": 0.6,
                           "temperature1": 0.2, "temperature2": 0.2, "perseveration": 0.05,
                           "w": 0.5}


@dataclass(frozen=True)
class TwoStepRecording:
    """One simulated session.

    Attributes
    ----------
    trials : pandas.DataFrame
        One row per trial: ``choice_time`` (s, session clock), ``choice1`` (first-stage action),
        ``state2``, ``choice2``, ``reward``, ``common`` (the transition was common).
    spike_times : numpy.ndarray
        Spike times (s, session clock), sorted.
    spike_neurons : numpy.ndarray
        Neuron label of each spike (``"n00"``, ``"n01"`` ...).
    truth : xarray.Dataset
        The generating values (:func:`two_step_values` at the generating parameters) and, per
        neuron, ``gain_soft``, ``gain_true`` (log-rate per SD of the signal) and
        ``baseline_rate`` (Hz); ``attrs['true_encoding']``.
    """

    trials: pd.DataFrame
    spike_times: np.ndarray
    spike_neurons: np.ndarray
    truth: xr.Dataset


def simulate_two_step_recording(
    *,
    encoding: str = "soft",
    n_trials: int = 400,
    n_neurons: int = 20,
    params: dict | None = None,
    gain: float = 0.3,
    frac_tuned: float = 0.7,
    mix: float = 0.5,
    drift: float = 0.2,
    drift_trials: float = 50.0,
    gain_noise: float = 0.2,
    window: float = 0.5,
    trial_duration: float = 3.0,
    random_state=None,
) -> TwoStepRecording:
    """Simulate a two-step session: behaviour, spike times and the ground truth.

    Parameters
    ----------
    encoding : {"soft", "true", "mixed", "none"}
        Which first-stage value the tuned neurons carry (``"mixed"``: ``mix`` of the soft and
        ``1 - mix`` of the true value, each z-scored).
    n_trials, n_neurons : int
        Trials and neurons.
    params : dict, optional
        The agent's parameters (default :data:`DEFAULT_TWO_STEP_PARAMS`).
    gain : float
        Typical |gain| (log-rate per SD of the signal); tuned neurons draw theirs uniformly in
        ``[0.5, 1.5] * gain`` with random sign.
    frac_tuned : float
        Fraction of tuned neurons.
    mix : float
        Weight of the soft value for ``encoding="mixed"``.
    drift : float
        SD of the slow log-rate drift (AR(1), per neuron).
    drift_trials : float
        Time constant of the drift (trials).
    gain_noise : float
        SD of a per-trial, per-neuron log-normal gain (over-dispersion).
    window : float
        Coding window after the first-stage choice (s); outside it neurons fire at baseline.
    trial_duration : float
        Time between trial starts (s); the choice comes 0.5-1 s after the start.
    random_state : None, int or numpy.random.Generator

    Returns
    -------
    TwoStepRecording
    """
    check_choice("encoding", encoding, ("soft", "true", "mixed", "none"))
    n_trials = check_int("n_trials", n_trials, low=10, high=MAX_SIZE)
    n_neurons = check_int("n_neurons", n_neurons, low=1, high=1000)
    gain = check_real("gain", gain, low=0.0, high=5.0)
    frac_tuned = check_real("frac_tuned", frac_tuned, low=0.0, high=1.0)
    mix = check_real("mix", mix, low=0.0, high=1.0)
    drift = check_real("drift", drift, low=0.0, high=3.0)
    drift_trials = check_real("drift_trials", drift_trials, low=1.0, high=1e6)
    gain_noise = check_real("gain_noise", gain_noise, low=0.0, high=3.0)
    window = check_real("window", window, low=0.0, low_inclusive=False, high=10.0)
    trial_duration = check_real("trial_duration", trial_duration, low=window + 1.0, high=1e3)
    rng = as_generator(random_state)
    if params is None:
        params = DEFAULT_TWO_STEP_PARAMS
    if not isinstance(params, Mapping):
        raise TypeError(f"params must be a dict of the agent's parameters "
                        f"{list(DEFAULT_TWO_STEP_PARAMS)}, got {params!r}")
    params = dict(params)
    agent = TwoStepChoiceModel()
    X, y = agent.simulate(n_trials, params=params, random_state=rng)
    truth = two_step_values(agent, X, y, params=params)

    z = {"soft": _zscore(truth.value_soft.values), "true": _zscore(truth.value_true.values)}
    tuned = rng.random(n_neurons) < frac_tuned
    magnitude = gain * rng.uniform(0.5, 1.5, n_neurons) * rng.choice([-1.0, 1.0], n_neurons)
    weight_soft = {"soft": 1.0, "true": 0.0, "mixed": mix, "none": 0.0}[encoding]
    weight_true = {"soft": 0.0, "true": 1.0, "mixed": 1.0 - mix, "none": 0.0}[encoding]
    g_soft = np.where(tuned, weight_soft * magnitude, 0.0)
    g_true = np.where(tuned, weight_true * magnitude, 0.0)
    baseline = rng.uniform(2.0, 12.0, n_neurons)  # Hz
    log_rate = (np.log(baseline)[None, :] + np.outer(z["soft"], g_soft)
                + np.outer(z["true"], g_true) + drift * _ar1(rng, n_trials, n_neurons, drift_trials)
                + rng.normal(-0.5 * gain_noise ** 2, gain_noise, (n_trials, n_neurons)))

    choice_time = np.arange(n_trials) * trial_duration + rng.uniform(0.5, 1.0, n_trials)
    counts = rng.poisson(np.exp(log_rate) * window)                     # (trial, neuron)
    t_idx, n_idx = np.nonzero(counts)
    reps = counts[t_idx, n_idx]
    in_window = (np.repeat(choice_time[t_idx], reps)
                 + rng.uniform(0.0, window, reps.sum()))
    in_neuron = np.repeat(n_idx, reps)
    # baseline firing over the whole session, minus the coding windows
    duration = n_trials * trial_duration
    n_bg = rng.poisson(baseline * duration)
    bg_times = rng.uniform(0.0, duration, n_bg.sum())
    bg_neuron = np.repeat(np.arange(n_neurons), n_bg)
    k = np.searchsorted(choice_time, bg_times, side="right") - 1
    inside = (k >= 0) & (bg_times < choice_time[np.maximum(k, 0)] + window)
    times = np.concatenate([in_window, bg_times[~inside]])
    neurons = np.concatenate([in_neuron, bg_neuron[~inside]])
    order = np.argsort(times, kind="stable")
    labels = np.array([f"n{j:02d}" for j in range(n_neurons)])

    trials = pd.DataFrame({"choice_time": choice_time, "choice1": y,
                           "state2": X[:, 0].astype(int), "choice2": X[:, 1].astype(int),
                           "reward": X[:, 2], "common": X[:, 0] == y},
                          index=pd.RangeIndex(n_trials, name="trial"))
    truth = truth.assign(gain_soft=("neuron", g_soft), gain_true=("neuron", g_true),
                         baseline_rate=("neuron", baseline)).assign_coords(neuron=labels)
    truth.attrs.update(provenance("neuromop.values.simulate_two_step_recording",
                                  encoding=encoding, n_trials=n_trials, n_neurons=n_neurons,
                                  params=params, gain=gain, frac_tuned=frac_tuned, mix=mix,
                                  drift=drift, drift_trials=drift_trials, gain_noise=gain_noise,
                                  window=window, trial_duration=trial_duration))
    truth.attrs["true_encoding"] = encoding
    return TwoStepRecording(trials=trials, spike_times=times[order],
                            spike_neurons=labels[neurons[order]], truth=truth)
