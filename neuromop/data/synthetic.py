"""Seeded synthetic populations with known ground truth (Fano factor, r_sc, dimensionality, ISI CV).

Generative model of :func:`make_spiking_dataset` (``k`` trial, ``t`` bin, ``n`` neuron, ``c(k)``
the condition of trial ``k``, Δ the bin width):

    expected count  μ_{ktn} = Δ · λ_{c(k),n} · G_{kn} · (1 + Σ_j B_{nj} z_{ktj})

- ``λ_{c,n}`` (Hz): ``rate`` times a log-normal tuning factor per condition (1 for one condition);
- ``G_{kn}`` (doubly stochastic only): trial gains, mean 1, variance ``v = gain_variance``,
  correlation ``ρ`` between neurons, built exactly as a sum of gamma variables
  ``G_n = S + I_n`` with ``S ~ Γ(ρ/v, v)``, ``I_n ~ Γ((1−ρ)/v, v)``;
- ``z_{ktj}`` (``n_latents`` > 0): independent uniform latents of unit variance, loadings ``B`` =
  scaled orthonormal columns, so the latent covariance has rank ``n_latents`` (equal eigenvalues
  when rates are equal) and ``1 + B z`` stays within ``[1 − latent_strength, 1 + latent_strength]``.

Counts are Poisson given μ (``poisson``/``doubly_stochastic``) or come from binning gamma
renewal trains with rate ``λ G`` (``gamma_renewal``). Closed forms, for a window of ``w`` bins and
``m = w Δ λ``: Fano factor ``1 + m v + Δλ (1 + v) ‖B_n‖²``; spike-count covariance
``m_i m_j [(1 + ρ v)(1 + B_i·B_j / w) − 1]``, variance ``m_i + m_i² [(1 + v)(1 + ‖B_i‖²/w) − 1]``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import xarray as xr

from neuromop._checks import as_array, check_choice, check_int, check_real
from neuromop._provenance import provenance
from neuromop._random import as_generator
from neuromop.data.spikes import SpikeTable, bin_spikes

__all__ = ["make_spike_table", "make_spiking_dataset"]

_MAX_BLOCK = 4_000_000  # ISI draws held in memory at once


#: Most spikes expected in one train or bin: more means a rate (or gain) in the wrong units.
_MAX_EXPECTED = 1e9
#: Most elements of one generated array (far beyond any machine's memory).
_MAX_ELEMENTS = 2**40


def _check_sizes(**sizes: int) -> None:
    """``ValueError`` when the product of ``sizes`` is beyond any machine's memory."""
    total = 1
    for value in sizes.values():
        total *= value
    if total > _MAX_ELEMENTS:
        shown = " x ".join(f"{name}={value}" for name, value in sizes.items())
        raise ValueError(f"{shown} is {total} elements, more than any memory holds")


def _check_expected(peak: float, what: str, names: str) -> None:
    """``ValueError`` when ``peak`` expected spikes (per train or bin) is not a countable
    number."""
    if not peak <= _MAX_EXPECTED:  # also catches NaN and inf
        raise ValueError(f"{names} give up to {peak:.3g} expected spikes {what}, more than "
                         f"{_MAX_EXPECTED:.0e}: check their units (rates in Hz, times in s)")


def _seed_repr(random_state) -> object:
    return random_state if isinstance(random_state, int | None) else repr(random_state)


def _rates(rate, shape: tuple[int, ...], name: str = "rate") -> np.ndarray:
    arr = as_array(name, rate, dtype=np.float64)
    if not np.all(np.isfinite(arr)) or np.any(arr < 0):
        raise ValueError(f"{name} must be finite and >= 0 Hz, got {rate!r}")
    try:
        return np.broadcast_to(arr, shape)
    except ValueError as exc:
        raise ValueError(
            f"{name} must be a scalar, one value per neuron or an array of shape {shape}, "
            f"got shape {arr.shape}"
        ) from exc


def _renewal_times(rng, lam: np.ndarray, duration: float, shape_k: float):
    """Spike times in [0, duration) of independent gamma renewal trains with rates ``lam`` (Hz).

    Returns (train index, time) of every spike, sorted by train then time, vectorised over
    trains in memory-bounded blocks.
    The process starts ``10`` mean intervals before 0 so that trains are near stationarity.
    """
    lam = lam.ravel()
    active = np.flatnonzero(lam > 0)
    burn = 10.0 / np.where(lam > 0, lam, 1.0)
    expected = lam * duration + 10.0
    idx_out, t_out = [], []
    for block in np.array_split(active, max(1, int(np.ceil(
            active.size * (expected.max(initial=0) + 20) / _MAX_BLOCK)))):
        if block.size == 0:
            continue
        n_draw = int(np.ceil(np.max(expected[block] + 6 * np.sqrt(expected[block]) + 10)))
        scale = 1.0 / (shape_k * lam[block])[:, None]
        times = -burn[block][:, None] + np.cumsum(
            rng.gamma(shape_k, 1.0, size=(block.size, n_draw)) * scale, axis=1
        )
        short = np.flatnonzero(times[:, -1] < duration)
        while short.size:  # rare: extend only the trains that have not reached the end
            extra = times[:, -1:] + np.cumsum(
                rng.gamma(shape_k, 1.0, size=(block.size, n_draw)) * scale, axis=1
            )
            times = np.concatenate([times, extra], axis=1)
            short = np.flatnonzero(times[:, -1] < duration)
        rows, cols = np.nonzero((times >= 0) & (times < duration))
        idx_out.append(block[rows])
        t_out.append(times[rows, cols])
    if not idx_out:
        return np.zeros(0, dtype=np.int64), np.zeros(0)
    return np.concatenate(idx_out), np.concatenate(t_out)


def make_spike_table(
    n_trials: int,
    n_neurons: int,
    duration: float,
    *,
    rate=10.0,
    model: str = "poisson",
    gamma_shape: float = 1.0,
    random_state=None,
) -> SpikeTable:
    """Independent Poisson or gamma renewal spike trains as one flat :class:`SpikeTable`.

    Parameters
    ----------
    n_trials, n_neurons : int
        Number of trials and neurons (one train per pair).
    duration : float
        Trial length in seconds; spike times lie in ``[0, duration)``.
    rate : float or array_like
        Firing rate in Hz: scalar, one per neuron, or shape ``(n_trials, n_neurons)``.
    model : {"poisson", "gamma_renewal"}
        Poisson (exponential intervals) or gamma renewal of shape ``gamma_shape``.
    gamma_shape : float
        Shape ``k`` of the gamma intervals (``gamma_renewal`` only): ISI CV = 1/√k,
        LV = 3/(2k + 1).
    random_state : None, int or numpy.random.Generator
        Seed.

    Returns
    -------
    SpikeTable
        Trials have ``start_time = 0`` and ``stop_time = duration``; ``attrs`` hold the model and
        the ground truth ``isi_cv``, ``isi_lv``.
    """
    n_trials = check_int("n_trials", n_trials, low=1)
    n_neurons = check_int("n_neurons", n_neurons, low=1)
    duration = check_real("duration", duration, low=0.0, low_inclusive=False)
    check_choice("model", model, ("poisson", "gamma_renewal"))
    k = 1.0 if model == "poisson" else check_real("gamma_shape", gamma_shape, low=0.0,
                                                  low_inclusive=False)
    _check_sizes(n_trials=n_trials, n_neurons=n_neurons)
    lam = _rates(rate, (n_trials, n_neurons))
    _check_expected(float(lam.max()) * duration, "per train", "rate x duration")
    rng = as_generator(random_state)
    train, times = _renewal_times(rng, lam, duration, k)  # sorted by train, then time
    trial_info = pd.DataFrame(
        {"start_time": np.zeros(n_trials), "stop_time": np.full(n_trials, duration)},
        index=pd.RangeIndex(n_trials, name="trial"),
    )
    neuron_info = pd.DataFrame(index=pd.RangeIndex(n_neurons, name="neuron"))
    if np.ndim(rate) == 1:
        neuron_info["rate"] = lam[0]
    attrs = {
        "source": "synthetic",
        "model": model,
        "gamma_shape": k,
        "isi_cv": 1.0 / np.sqrt(k),
        "isi_lv": 3.0 / (2.0 * k + 1.0),
        **provenance("neuromop.data.make_spike_table", n_trials=n_trials, n_neurons=n_neurons,
                     duration=duration, rate=rate, model=model, gamma_shape=k,
                     random_state=_seed_repr(random_state)),
    }
    return SpikeTable.from_arrays(
        times, train % n_neurons, train // n_neurons,
        neuron_info=neuron_info, trial_info=trial_info, attrs=attrs,
    )


def _gains(rng, n_trials: int, n_neurons: int, v: float, rho: float) -> np.ndarray:
    if v == 0:
        return np.ones((n_trials, n_neurons))
    shared = rng.gamma(rho / v, v, size=(n_trials, 1)) if rho > 0 else 0.0
    private = rng.gamma((1 - rho) / v, v, size=(n_trials, n_neurons)) if rho < 1 else 0.0
    return np.broadcast_to(shared + private, (n_trials, n_neurons)).copy()


def make_spiking_dataset(
    n_trials: int = 200,
    n_neurons: int = 50,
    n_times: int = 20,
    bin_width: float = 0.05,
    *,
    rate=10.0,
    model: str = "poisson",
    gain_variance: float = 0.0,
    correlation: float = 0.0,
    n_latents: int = 0,
    latent_strength: float = 0.5,
    n_conditions: int = 1,
    tuning_strength: float = 0.5,
    gamma_shape: float = 2.0,
    random_state=None,
) -> xr.Dataset:
    """A seeded population of spike counts with known ground truth (see the module docstring).

    Parameters
    ----------
    n_trials, n_neurons, n_times : int
        Sizes; trials are assigned to conditions round-robin (``trial % n_conditions``).
    bin_width : float
        Bin width in seconds.
    rate : float or array_like
        Base firing rate(s) in Hz, scalar or one per neuron.
    model : {"poisson", "doubly_stochastic", "gamma_renewal"}
        Counts Poisson given the rate; Poisson with trial gains (``gain_variance`` > 0); or binned
        gamma renewal trains of shape ``gamma_shape`` (trial gains allowed, no latents).
    gain_variance : float
        Variance ``v`` of the multiplicative trial gain (mean 1); must be 0 for ``poisson``.
    correlation : float
        Target spike-count correlation r_sc of whole-trial counts (equal rates, one condition);
        realised through correlated gains, so it needs ``gain_variance > 0``. The gain
        correlation is ``ρ = r (1 + m v) / (m v)`` with ``m`` the mean trial count; ``ρ ≤ 1``.
    n_latents : int
        Number of latent factors (the known dimensionality of the rate fluctuations).
    latent_strength : float
        Maximum relative rate modulation by the latents, in ``(0, 1)``.
    n_conditions : int
        Number of task conditions with different (log-normally tuned) rates.
    tuning_strength : float
        Standard deviation of the log tuning factor across conditions.
    gamma_shape : float
        Shape ``k`` of the ISI distribution for ``gamma_renewal``.
    random_state : None, int or numpy.random.Generator
        Seed.

    Returns
    -------
    xarray.Dataset
        ``counts`` (trial, time, neuron) int64 following the contract; trial coordinate
        ``condition``; ground truth: ``expected_count`` (trial, neuron; per bin without gain and
        latent modulation), ``expected_fano_factor`` (trial, neuron; one bin), ``gain``
        (trial, neuron), ``latent_loadings`` (neuron, latent) and attrs ``gain_variance``,
        ``gain_correlation``, ``expected_r_sc`` (mean over pairs, whole-trial counts),
        ``n_latents``, ``latent_participation_ratio``, ``isi_cv`` (gamma renewal) and provenance.
    """
    n_trials = check_int("n_trials", n_trials, low=1)
    n_neurons = check_int("n_neurons", n_neurons, low=1)
    n_times = check_int("n_times", n_times, low=1)
    dt = check_real("bin_width", bin_width, low=0.0, low_inclusive=False)
    check_choice("model", model, ("poisson", "doubly_stochastic", "gamma_renewal"))
    v = check_real("gain_variance", gain_variance, low=0.0)
    r_target = check_real("correlation", correlation, low=0.0, high=1.0, high_inclusive=False)
    n_latents = check_int("n_latents", n_latents, low=0, high=n_neurons)
    a_max = check_real("latent_strength", latent_strength, low=0.0, high=1.0,
                       low_inclusive=False, high_inclusive=False)
    n_conditions = check_int("n_conditions", n_conditions, low=1, high=_MAX_ELEMENTS)
    tuning = check_real("tuning_strength", tuning_strength, low=0.0)
    if model == "poisson" and v > 0:
        raise ValueError("gain_variance must be 0 for model='poisson'; use 'doubly_stochastic'")
    if model == "doubly_stochastic" and v == 0:
        raise ValueError("model='doubly_stochastic' needs gain_variance > 0, got 0")
    if r_target > 0 and v == 0:
        raise ValueError("correlation > 0 is produced by correlated gains: set gain_variance > 0")
    if model == "gamma_renewal" and n_latents:
        raise ValueError("n_latents must be 0 for model='gamma_renewal'")
    _check_sizes(n_trials=n_trials, n_times=n_times, n_neurons=n_neurons)
    base = _rates(rate, (n_neurons,))
    rng = as_generator(random_state)

    factors = np.ones((n_conditions, n_neurons))
    if n_conditions > 1:
        with np.errstate(over="ignore"):  # overflow is reported below, naming the arguments
            factors = np.exp(tuning * rng.standard_normal((n_conditions, n_neurons)))
    lam_c = base * factors                                   # (condition, neuron) Hz
    condition = np.arange(n_trials) % n_conditions
    lam = lam_c[condition]                                   # (trial, neuron) Hz

    m_mean = n_times * dt * float(lam_c.mean())
    rho = 0.0
    if r_target > 0:
        rho = r_target * (1 + m_mean * v) / (m_mean * v)
        if rho > 1:
            raise ValueError(
                f"correlation {r_target} is unreachable with gain_variance {v} and mean trial "
                f"count {m_mean:.3g}: the maximum is {m_mean * v / (1 + m_mean * v):.3g}"
            )
    gain = _gains(rng, n_trials, n_neurons, v, rho)
    _check_expected(dt * float(np.max(lam * gain)), "per bin",
                    "rate x bin_width (x tuning_strength and gain_variance)")

    loadings = np.zeros((n_neurons, n_latents))
    if n_latents:
        q, _ = np.linalg.qr(rng.standard_normal((n_neurons, n_latents)))
        loadings = q * (a_max / (np.sqrt(3.0) * np.abs(q).sum(axis=1).max()))
    if model == "gamma_renewal":
        table = make_spike_table(n_trials, n_neurons, n_times * dt, rate=lam * gain,
                                 model="gamma_renewal", gamma_shape=gamma_shape,
                                 random_state=rng)
        counts = bin_spikes(table, bin_width=dt, window=(0.0, n_times * dt))["counts"].values
    else:
        mu = (dt * lam * gain)[:, None, :] * np.ones((1, n_times, 1))
        if n_latents:
            z = rng.uniform(-np.sqrt(3.0), np.sqrt(3.0), size=(n_trials, n_times, n_latents))
            mu = mu * (1.0 + z @ loadings.T)
        counts = rng.poisson(mu).astype(np.int64)

    norm2 = (loadings**2).sum(axis=1)
    mu_bin = dt * lam
    ff_bin = 1 + mu_bin * ((1 + v) * (1 + norm2) - 1)
    m_c = n_times * dt * lam_c                               # (condition, neuron) trial counts
    lat = loadings @ loadings.T / n_times
    cov = m_c[:, :, None] * m_c[:, None, :] * ((1 + rho * v) * (1 + lat) - 1)
    var = m_c + m_c**2 * ((1 + v) * (1 + norm2 / n_times) - 1)
    r = cov / np.sqrt(var[:, :, None] * var[:, None, :])
    off = ~np.eye(n_neurons, dtype=bool)
    expected_rsc = float(r[:, off].mean()) if n_neurons > 1 else float("nan")
    pr = float("nan")
    if n_latents:
        c_lat = (mu_bin[0][:, None] * loadings) @ (mu_bin[0][:, None] * loadings).T
        pr = float(np.trace(c_lat) ** 2 / np.sum(c_lat**2))

    attrs = {
        "units": "spikes",
        "bin_width": dt,
        "window": [0.0, n_times * dt],
        "source": f"synthetic ({model})",
        "model": model,
        "gain_variance": v,
        "gain_correlation": rho,
        "target_r_sc": r_target,
        "expected_r_sc": expected_rsc,
        "n_latents": n_latents,
        "latent_participation_ratio": pr,
        "isi_cv": 1 / np.sqrt(gamma_shape) if model == "gamma_renewal" else 1.0,
        **provenance("neuromop.data.make_spiking_dataset", n_trials=n_trials,
                     n_neurons=n_neurons, n_times=n_times, bin_width=dt, rate=rate, model=model,
                     gain_variance=v, correlation=r_target, n_latents=n_latents,
                     latent_strength=a_max, n_conditions=n_conditions,
                     tuning_strength=tuning, gamma_shape=gamma_shape,
                     random_state=_seed_repr(random_state)),
    }
    tn = ("trial", "neuron")
    return xr.Dataset(
        {
            "counts": (("trial", "time", "neuron"), counts),
            "expected_count": (tn, mu_bin, {"units": "spikes", "description": "per bin: Δ·λ"}),
            "expected_fano_factor": (tn, ff_bin, {"description": "single bin, closed form"}),
            "gain": (tn, gain, {"description": "multiplicative trial gain, mean 1"}),
            "latent_loadings": (("neuron", "latent"), loadings),
        },
        coords={
            "trial": np.arange(n_trials),
            "time": ("time", dt * (np.arange(n_times) + 0.5), {"units": "s"}),
            "neuron": np.arange(n_neurons),
            "condition": ("trial", condition),
            "base_rate": ("neuron", base, {"units": "Hz"}),
        },
        attrs=attrs,
    )
