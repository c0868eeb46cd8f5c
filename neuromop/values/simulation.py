"""Simulated ground-truth populations that encode soft value, true value, a mixture, or neither.

An agent makes two-offer economic choices (offers ``qA`` of juice A and ``qB`` of juice B,
relative value ``rho``) with a softmax of temperature ``tau`` over the offer values
``(rho qA, qB)`` — the linear relative-value logit. Its per-trial signals come from
:func:`neuromop.values.signals.two_offer_values`: ``value_soft = tau ln sum exp(v / tau)`` and
``value_true = sum pi v`` (expected extrinsic value of the followed policy), which differ by
``tau H(pi)``.

Neurons are Poisson with log-rate
``ln r_n(t) = b_n + g_n [w z(value_soft) + (1 - w) z(value_true)] + c_n chosen_B + d_n(t)``
where ``z`` standardises a signal across trials, ``w`` is 1 (soft), 0 (true) or ``mix``, ``g_n`` a
signed gain (log units per SD), ``c_n`` a chosen-juice term (a base covariate) and ``d_n(t)`` a slow
drift across trials (a smooth Gaussian process shared in part by all neurons). Baseline rates are
log-uniform in 2–20 Hz.

Offer designs
-------------
``"separable"``: offers built so that the entropy bonus ``tau H`` varies independently of the
expected value, with a warm agent; ``"collinear"``: offers far from indifference with a cold
agent (``tau H ≈ 0``, so ``value_soft ≈ value_true``); ``"ofc"``: a real session's offer pairs.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import xarray as xr

from neuromop._checks import MAX_SIZE, check_choice, check_finite_array, check_int, check_real
from neuromop._provenance import provenance
from neuromop._random import as_generator
from neuromop.values.signals import two_offer_values

__all__ = ["OFFER_DESIGNS", "OFC_PAIRS", "offer_design", "simulate_value_population",
           "two_offer_pseudo_sampler"]

#: Agent temperature (juice-B units) and relative value of each offer design.
OFFER_DESIGNS = {
    "separable": {"temperature": 2.0, "rho": 2.0},
    "collinear": {"temperature": 0.25, "rho": 2.0},
    "ofc": {"temperature": 0.5, "rho": 2.0},
}

#: Offer pairs [qA, qB] of a real juice-choice session (Padoa-Schioppa lab, G180910a).
OFC_PAIRS = np.array([[1, 0], [3, 4], [2, 3], [4, 6], [4, 8], [2, 5], [3, 10], [2, 8], [1, 4],
                      [1, 6], [0, 3]], dtype=float)


def offer_design(design: str) -> tuple[np.ndarray, float, float]:
    """Offer pairs ``(n_pairs, 2)`` = ``[qA, qB]``, agent temperature and ``rho`` of a design.

    ``"separable"`` crosses three levels of the expected value ``E_pi[v]`` (8–9 juice-B units)
    with value gaps ``|vA - vB|`` of 0–4 temperatures (each in both orientations), so the entropy
    bonus ``tau H`` varies independently of the true value (non-integer quantities).
    ``"collinear"``: integer offers at least 2 juice-B units from indifference, cold agent.
    ``"ofc"``: the offer pairs of a real session with a moderately warm agent.
    """
    check_choice("design", design, OFFER_DESIGNS)
    d = OFFER_DESIGNS[design]
    tau, rho = d["temperature"], d["rho"]
    if design == "separable":
        gaps = tau * np.linspace(0.0, 4.0, 9)
        levels = np.linspace(8.0, 9.0, 3)
        c, g = np.meshgrid(levels, gaps, indexing="ij")
        c, g = c.ravel(), g.ravel()
        mean = c - 0.5 * g * np.tanh(g / (2.0 * tau))  # so that E_pi[v] = c exactly
        va = np.r_[mean + g / 2, mean - g / 2]
        vb = np.r_[mean - g / 2, mean + g / 2]
        pairs = np.stack([va / rho, vb], axis=1)
    elif design == "collinear":
        qa, qb = np.meshgrid(np.arange(0, 6), np.arange(0, 11), indexing="ij")
        qa, qb = qa.ravel(), qb.ravel()
        keep = ((qa + qb) > 0) & (np.abs(rho * qa - qb) >= 2.0)
        pairs = np.stack([qa[keep], qb[keep]], axis=1).astype(float)
    else:
        pairs = OFC_PAIRS.copy()
    return pairs, tau, rho


def _smooth_drift(rng: np.random.Generator, n_trials: int, n_series: int,
                  length_scale: float) -> np.ndarray:
    """Unit-variance smooth Gaussian-process draws (squared-exponential kernel), (n_trials, n)."""
    t = np.arange(n_trials, dtype=float)
    K = np.exp(-0.5 * ((t[:, None] - t[None, :]) / length_scale) ** 2)
    w, V = np.linalg.eigh(K)
    L = V * np.sqrt(np.clip(w, 0.0, None))
    return L @ rng.standard_normal((n_trials, n_series))


def _z(x: np.ndarray) -> np.ndarray:
    sd = x.std()
    return (x - x.mean()) / (sd if sd > 0 else 1.0)


def simulate_value_population(
    *,
    encoding: str = "soft",
    design: str = "separable",
    n_neurons: int = 100,
    n_trials: int = 300,
    mix: float = 0.5,
    gain: float = 0.3,
    frac_tuned: float = 0.7,
    drift: float = 0.25,
    drift_length: float = 60.0,
    window: tuple[float, float] = (0.1, 0.6),
    n_bins: int = 5,
    temperature: float | None = None,
    random_state=None,
) -> xr.Dataset:
    """Simulate a Poisson population driven by a two-offer choice agent.

    Parameters
    ----------
    encoding : {"soft", "true", "mixed", "none"}
        Which value signal the tuned neurons carry.
    design : {"separable", "collinear", "ofc"}
        Offer set and agent temperature (see module docstring).
    n_neurons, n_trials : int
        Population size and number of trials.
    mix : float
        Weight of the soft value for ``encoding="mixed"`` (0–1).
    gain : float
        Typical |gain| ``g_n`` (log-rate units per SD of the signal); gains are drawn
        uniformly in ``[0.5, 1.5] * gain`` with random sign.
    frac_tuned : float
        Fraction of value-tuned neurons.
    drift : float
        SD of the slow log-rate drift (log units); half shared across neurons.
    drift_length : float
        Drift length scale (trials).
    window : (float, float)
        Counting window after offer onset (s); split into ``n_bins`` bins.
    n_bins : int
        Number of time bins.
    temperature : float, optional
        Override the design's agent temperature (juice-B units).
    random_state : None, int or numpy.random.Generator

    Returns
    -------
    xarray.Dataset
        ``counts`` (trial, time, neuron) int64; trial coords ``offer_A``, ``offer_B``,
        ``chosen`` (0 = A, 1 = B), ``value_soft``, ``value_true``, ``value_max``,
        ``value_chosen``, ``policy_entropy``; neuron coords ``baseline_rate`` (Hz),
        ``gain_soft``, ``gain_true``; ``attrs`` with ``bin_width`` (s), ``units``, ground truth
        (``true_encoding``, ``design``, ``rho``, ``temperature``) and provenance.
    """
    check_choice("encoding", encoding, ("soft", "true", "mixed", "none"))
    n_neurons = check_int("n_neurons", n_neurons, low=1, high=MAX_SIZE)
    n_trials = check_int("n_trials", n_trials, low=10, high=MAX_SIZE)
    n_bins = check_int("n_bins", n_bins, low=1, high=MAX_SIZE)
    _ = check_int("n_trials x n_bins x n_neurons", n_trials * n_bins * n_neurons, high=MAX_SIZE)
    mix = check_real("mix", mix, low=0.0, high=1.0)
    gain = check_real("gain", gain, low=0.0)
    frac_tuned = check_real("frac_tuned", frac_tuned, low=0.0, high=1.0)
    drift = check_real("drift", drift, low=0.0)
    drift_length = check_real("drift_length", drift_length, low=0.0, low_inclusive=False)
    try:
        t0, t1 = window
    except (TypeError, ValueError):
        raise TypeError(f"window must be a pair (start, stop) of seconds, got {window!r}") from None
    t0, t1 = check_real("window[0]", t0), check_real("window[1]", t1)
    if t1 <= t0:
        raise ValueError(f"window must be (start, stop) with stop > start, got {window}")
    rng = as_generator(random_state)
    pairs, tau, rho = offer_design(design)
    if temperature is not None:
        tau = check_real("temperature", temperature, low=0.0, low_inclusive=False)

    offers = pairs[rng.integers(0, pairs.shape[0], n_trials)]
    vals = two_offer_values(offers[:, 0], offers[:, 1], rho=rho, temperature=tau)
    p_b = vals["policy"].values[:, 1]
    chosen = (rng.random(n_trials) < p_b).astype(np.int64)
    vals = two_offer_values(offers[:, 0], offers[:, 1], rho=rho, temperature=tau, chosen=chosen)

    w = {"soft": 1.0, "true": 0.0, "mixed": mix, "none": 0.0}[encoding]
    tuned = rng.random(n_neurons) < (frac_tuned if encoding != "none" else 0.0)
    g = gain * rng.uniform(0.5, 1.5, n_neurons) * rng.choice([-1.0, 1.0], n_neurons) * tuned
    g_soft, g_true = g * w, g * (1.0 - w)
    base_rate = np.exp(rng.uniform(np.log(2.0), np.log(20.0), n_neurons))  # Hz
    c_chosen = rng.normal(0.0, 0.15, n_neurons)
    shared = _smooth_drift(rng, n_trials, 1, drift_length)
    private = _smooth_drift(rng, n_trials, n_neurons, drift_length)
    d = drift * (np.sqrt(0.5) * shared + np.sqrt(0.5) * private)

    log_rate = (np.log(base_rate)[None, :]
                + _z(vals["value_soft"].values)[:, None] * g_soft[None, :]
                + _z(vals["value_true"].values)[:, None] * g_true[None, :]
                + chosen[:, None] * c_chosen[None, :] + d)
    bin_width = (t1 - t0) / n_bins
    with np.errstate(over="ignore"):  # reported below, naming the arguments
        lam = np.exp(log_rate)[:, None, :] * bin_width * np.ones((1, n_bins, 1))
    if not np.all(lam <= 1e9):
        raise ValueError(f"gain, drift and window (got {gain}, {drift}, {window}) give up to "
                         f"{np.max(lam):.3g} expected spikes per bin, more than 1e9 (gain and "
                         "drift are log-rate units, window is in s)")
    counts = rng.poisson(lam).astype(np.int64)
    time = t0 + bin_width * (np.arange(n_bins) + 0.5)

    trial_coords = {
        "offer_A": ("trial", offers[:, 0]), "offer_B": ("trial", offers[:, 1]),
        "chosen": ("trial", chosen),
    }
    for name in ("value_soft", "value_true", "value_max", "value_chosen", "policy_entropy"):
        trial_coords[name] = ("trial", vals[name].values)
    ds = xr.Dataset(
        {"counts": (("trial", "time", "neuron"), counts)},
        coords={"trial": np.arange(n_trials), "time": time, "neuron": np.arange(n_neurons),
                "baseline_rate": ("neuron", base_rate), "gain_soft": ("neuron", g_soft),
                "gain_true": ("neuron", g_true), **trial_coords},
    )
    ds["time"].attrs["units"] = "s"
    ds.attrs.update(provenance(
        "neuromop.values.simulation.simulate_value_population", encoding=encoding,
        design=design, n_neurons=n_neurons, n_trials=n_trials, mix=mix, gain=gain,
        frac_tuned=frac_tuned, drift=drift, drift_length=drift_length, window=list(window),
        n_bins=n_bins, temperature=tau))
    ds.attrs.update(units="spikes", bin_width=bin_width, source="simulated", true_encoding=encoding,
                    design=design, rho=rho, temperature=tau, task="two_offer")
    return ds


def two_offer_pseudo_sampler(offer_a, offer_b, *, rho: float, temperature: float,
                             signals: dict | None = None):
    """Pseudo-session generator for drift-respecting nulls of a two-offer session.

    Each call draws a new session of the same length from the task's generative model — offer
    pairs resampled (with replacement) from the session's own offers, choices drawn from the
    fitted softmax (linear relative-value logit with ``rho`` and ``temperature``) — and returns
    its value signals. Such sessions share the statistics of the real signals but are
    independent of the recorded activity (Harris 2020, "Nonsense correlations in neuroscience").

    Parameters
    ----------
    offer_a, offer_b : array_like, shape (n_trials,)
        The session's offered quantities.
    rho, temperature : float
        Fitted relative value and temperature (juice-B units).
    signals : dict, optional
        ``{"soft": variable, "true": variable}`` of :func:`two_offer_values`; default
        ``value_soft`` / ``value_true``.

    Returns
    -------
    callable
        ``sampler(rng) -> {"soft": array, "true": array}`` for
        :func:`neuromop.values.encoding.compare_value_encodings` (``null="pseudo"``).
    """
    qa = check_finite_array("offer_a", offer_a, ndim=1)
    qb = check_finite_array("offer_b", offer_b, ndim=1)
    known = two_offer_values(qa, qb, rho=rho, temperature=temperature)  # validates the inputs
    names = {"soft": "value_soft", "true": "value_true"} if signals is None else signals
    if not isinstance(names, Mapping) or set(names) != {"soft", "true"}:
        raise ValueError(f"signals must map 'soft' and 'true' to signal names, got {signals!r}")
    unknown = [v for v in names.values() if not isinstance(v, str) or v not in known.data_vars]
    if unknown:
        raise ValueError(f"signals must name variables of two_offer_values "
                         f"{sorted(known.data_vars)}, got {unknown}")

    def sample(rng: np.random.Generator) -> dict:
        idx = rng.integers(0, qa.size, qa.size)
        vals = two_offer_values(qa[idx], qb[idx], rho=rho, temperature=temperature)
        pb = vals["policy"].values[:, 1]
        chosen = (rng.random(qa.size) < pb).astype(np.int64)
        vals = two_offer_values(qa[idx], qb[idx], rho=rho, temperature=temperature, chosen=chosen)
        return {k: vals[v].values for k, v in names.items()}

    return sample
