"""How often does :func:`~neuromop.values.compare_value_encodings` give each verdict?

:func:`verdict_calibration` runs the comparison on many simulated sessions whose encoding is
known and tabulates the verdicts — the confusion matrix of *this* design (trials, neurons,
rates, signals) — with Wilson intervals, plus the per-neuron error rates that a population
verdict can hide: untuned neurons called value-coding (false positives) and neurons tuned to one
value called the other (swaps).

Any simulator works: ``simulate(encoding, rng) -> xarray.Dataset`` in the activity contract with
``value_soft`` / ``value_true`` trial variables and ``gain_soft`` / ``gain_true`` neuron
coordinates (the ground truth), e.g. :func:`~neuromop.values.simulate_value_population` or
:func:`~neuromop.values.simulate_bandit_value_population` with the design's parameters bound.
"""

from __future__ import annotations

import inspect
from functools import partial

import numpy as np
import xarray as xr
from scipy.stats import norm

from neuromop._checks import check_int, check_real
from neuromop._intervals import wilson_interval
from neuromop._latent_noise import count_score_covariance, latent_count_noise
from neuromop._provenance import provenance
from neuromop._random import as_generator
from neuromop.values._encoding_nulls import _linear_shift_half_width
from neuromop.values.bandit_population import _ar1_series
from neuromop.values.encoding import ENCODINGS, VERDICTS, compare_value_encodings
from neuromop.values.power_analysis import power_curve

__all__ = ["ENCODINGS", "DesignSimulator", "design_calibration", "design_simulator",
           "verdict_calibration", "wilson_interval"]

#: Most simulated sessions per encoding (each costs about a second).
_MAX_SESSIONS = 100_000



def _neuron_truth(ds: xr.Dataset, neurons) -> tuple[np.ndarray, np.ndarray]:
    for name in ("gain_soft", "gain_true"):
        if name not in ds.coords and name not in ds.data_vars:
            raise ValueError(f"simulate must return datasets with a {name!r} neuron coordinate "
                             "(the ground truth), got none")
    g_s = np.abs(ds["gain_soft"].sel(neuron=neurons).values) > 0
    g_t = np.abs(ds["gain_true"].sel(neuron=neurons).values) > 0
    return g_s, g_t


def verdict_calibration(simulate, *, encodings=("soft", "true", "mixed", "none"),
                        n_sessions: int = 100, compare_kwargs: dict | None = None,
                        level: float = 0.95, random_state=None, progress: bool = False
                        ) -> xr.Dataset:
    """Confusion matrix of the verdicts of ``compare_value_encodings`` on simulated sessions.

    Parameters
    ----------
    simulate : callable
        ``simulate(encoding, rng) -> xarray.Dataset`` (see module docstring).
    encodings : sequence of {"soft", "true", "mixed", "none"}
        Ground truths to simulate.
    n_sessions : int
        Sessions per encoding.
    compare_kwargs : dict or callable, optional
        Passed to :func:`compare_value_encodings` (e.g. ``n_null``, ``alpha``, ``base``); a
        callable ``compare_kwargs(ds) -> dict`` gives per-session arguments (e.g. a
        pseudo-session sampler built from the session's own task variables).
    level : float
        Confidence level of the Wilson intervals.
    random_state : None, int or numpy.random.Generator
        Seeds the simulations and the nulls.
    progress : bool
        Print one line per encoding.

    Returns
    -------
    xarray.Dataset
        ``verdict_count`` and ``verdict_rate`` (encoding, verdict) with ``verdict_rate_low`` /
        ``_high``; ``correct_rate`` (encoding) with its interval; ``detection_rate``
        (encoding): sessions whose verdict is not "neither" (for a coded encoding, the power to
        detect value coding at all, soft and true told apart or not); ``separable_count``
        (encoding): sessions whose signals passed the identifiability rule (a soft, true or
        mixed verdict needs it); per neuron, summed over
        sessions: ``neuron_false_positive`` (fraction of untuned neurons classed as coding any
        value), ``neuron_false_soft`` (true-only neurons classed soft or mixed) and
        ``neuron_false_true`` (soft-only neurons classed true or mixed) and ``neuron_power``
        (tuned neurons classed as coding a value), each with ``_low`` / ``_high`` and ``n_``
        counts; ``attrs``: provenance.
    """
    if not callable(simulate):
        raise TypeError(f"simulate must be callable (encoding, rng) -> Dataset, got "
                        f"{type(simulate).__name__}")
    if not isinstance(encodings, tuple | list):
        raise TypeError(f"encodings must be a list of {list(ENCODINGS)}, got {encodings!r}")
    encodings = list(encodings)
    unknown = [e for e in encodings if not isinstance(e, str) or e not in ENCODINGS]
    if unknown or not encodings:
        raise ValueError(f"encodings must be a non-empty subset of {list(ENCODINGS)}, got "
                         f"{encodings}")
    n_sessions = check_int("n_sessions", n_sessions, low=1, high=_MAX_SESSIONS)
    level = check_real("level", level, low=0.0, high=1.0, low_inclusive=False,
                       high_inclusive=False)
    if compare_kwargs is not None and not (callable(compare_kwargs)
                                           or isinstance(compare_kwargs, dict)):
        raise TypeError(f"compare_kwargs must be a dict, a callable ds -> dict or None, got "
                        f"{type(compare_kwargs).__name__}")
    per_session = compare_kwargs if callable(compare_kwargs) else None
    kwargs = {} if per_session is not None else dict(compare_kwargs or {})
    if "random_state" in kwargs:
        raise ValueError("compare_kwargs must not set random_state: the nulls are seeded from "
                         "verdict_calibration's random_state")
    rng = as_generator(random_state)
    counts = np.zeros((len(encodings), len(VERDICTS)), np.int64)
    separable = np.zeros(len(encodings), np.int64)
    neuron = {k: np.zeros(2, np.int64)
              for k in ("false_positive", "false_soft", "false_true", "power")}
    for i, enc in enumerate(encodings):
        for _ in range(n_sessions):
            ds = simulate(enc, rng)
            kw = kwargs if per_session is None else dict(per_session(ds))
            kw.pop("random_state", None)
            res = compare_value_encodings(ds, random_state=rng, **kw)
            counts[i, VERDICTS.index(res.attrs["verdict"])] += 1
            separable[i] += int(res.attrs["separable"])
            g_s, g_t = _neuron_truth(ds, res["neuron"].values)
            cls = res["neuron_class"].values
            untuned = ~g_s & ~g_t
            neuron["false_positive"] += [np.sum(untuned & (cls != "neither")), untuned.sum()]
            true_only, soft_only = g_t & ~g_s, g_s & ~g_t
            neuron["false_soft"] += [np.sum(true_only & np.isin(cls, ["soft", "mixed"])),
                                     true_only.sum()]
            neuron["false_true"] += [np.sum(soft_only & np.isin(cls, ["true", "mixed"])),
                                     soft_only.sum()]
            tuned = g_s | g_t
            neuron["power"] += [np.sum(tuned & (cls != "neither")), tuned.sum()]
        if progress:
            row = ", ".join(f"{v} {c}" for v, c in zip(VERDICTS, counts[i]) if c)
            print(f"[verdict_calibration] {enc}: {row} (of {n_sessions})", flush=True)

    rate = counts / n_sessions
    lo, hi = wilson_interval(counts, n_sessions, level)
    correct = np.array([counts[i, VERDICTS.index(ENCODINGS[e])] for i, e in enumerate(encodings)])
    c_lo, c_hi = wilson_interval(correct, n_sessions, level)
    detected = n_sessions - counts[:, VERDICTS.index("neither")]
    d_lo, d_hi = wilson_interval(detected, n_sessions, level)
    out = xr.Dataset(
        {"verdict_count": (("encoding", "verdict"), counts),
         "verdict_rate": (("encoding", "verdict"), rate),
         "verdict_rate_low": (("encoding", "verdict"), lo),
         "verdict_rate_high": (("encoding", "verdict"), hi),
         "correct_rate": ("encoding", correct / n_sessions),
         "correct_rate_low": ("encoding", c_lo),
         "correct_rate_high": ("encoding", c_hi),
         "detection_rate": ("encoding", detected / n_sessions),
         "detection_rate_low": ("encoding", d_lo),
         "detection_rate_high": ("encoding", d_hi),
         "separable_count": ("encoding", separable)},
        coords={"encoding": encodings, "verdict": list(VERDICTS)},
    )
    for name, (k, n) in neuron.items():
        low, high = wilson_interval(k, n, level)
        out[f"neuron_{name}"] = ((), float(k / n) if n else np.nan)
        out[f"neuron_{name}_low"] = ((), float(low))
        out[f"neuron_{name}_high"] = ((), float(high))
        out[f"n_{name}"] = ((), int(n))
    out.attrs.update(provenance(
        "neuromop.values.calibration.verdict_calibration", encodings=encodings,
        n_sessions=n_sessions, level=level,
        compare_kwargs={k: v for k, v in kwargs.items() if isinstance(v, int | float | str)},
        random_state=random_state if isinstance(random_state, int) else None))
    out.attrs.update(level=level, n_sessions=n_sessions)
    return out


class DesignSimulator:
    """Sessions simulated from an encoding model fitted to a recorded session (the user's design).

    Built by :func:`design_simulator`; ``simulator(encoding, rng)`` returns a dataset with the
    session's own soft and true value series (a random contiguous stretch of ``n_trials``
    trials when shorter than the recording), its neurons' fitted baseline log-rates
    (intercept, base covariates and slow drift, trial by trial) and value gains of the fitted
    magnitude ``sqrt(b' R b)`` (the log-rate SD the two coefficients add, ``R`` the signals'
    correlation matrix), debiased for noise (shrunk with a common threshold on the neurons'
    Wald statistics so that the population keeps its estimated noncentrality) and times
    ``gain_scale``, on the encoding's signal; and the fitted model's residual variability as
    a latent log-rate per neuron: white noise of SD ``white_sd`` plus a stationary AR(1) of SD
    ``slow_sd`` and coefficient ``slow_ar`` (the over-dispersion and the slow drift, which
    make a recording harder than a Poisson model of it). The slow part is the whole drift
    process, estimated through the fit's own projection (its smooth basis and slow signals
    hide most of a slow drift from the residuals; fitted to the residuals as they were, the
    drift of the bandit simulator, SD 0.25 over 80 trials, came out SD ~0.1 over ~7 trials,
    and the simulated sessions' "any" test had a pseudo-session null 22 % narrower than the
    recordings' own: SD 40.7 against 52.5 on six 300-trial recordings; 54.4 now).

    ``gain_energy`` is the simulated population's ``sum g^2`` (log-rate units squared per SD
    of the signal, squared) and ``gain_energy_se`` its standard error as an estimate of the
    recording's: the power of a design estimated from one recording is only as good as this
    estimate (its relative error is often tens of per cent).
    """

    def __init__(self, soft, true, base_cols, base_names, eta0, gains, n_trials,
                 window_seconds, white_sd=None, slow_sd=None, slow_ar=0.0,
                 gain_energy=float("nan"), gain_energy_se=float("nan")):
        self.soft, self.true = soft, true
        self.gain_energy, self.gain_energy_se = gain_energy, gain_energy_se
        self.base_cols, self.base = base_cols, base_names
        self.eta0, self.gains = eta0, gains
        self.n_trials = n_trials
        self.window_seconds = window_seconds
        zeros = np.zeros(gains.size)
        self.white_sd = zeros if white_sd is None else white_sd
        self.slow_sd = zeros if slow_sd is None else slow_sd
        self.slow_ar = slow_ar

    def _residual(self, n: int, rng) -> np.ndarray:
        """Latent log-rate noise (n, N): white plus a stationary AR(1), mean-corrected so that
        ``E[exp(noise)] = 1``."""
        slow = _ar1_series(rng, n, self.slow_sd.size, self.slow_ar)
        white = rng.standard_normal(slow.shape)
        var = self.white_sd**2 + self.slow_sd**2
        return slow * self.slow_sd + white * self.white_sd - var / 2

    def _indices(self, rng) -> np.ndarray:
        start = int(rng.integers(0, self.soft.size - self.n_trials + 1))
        return np.arange(start, start + self.n_trials)

    def __call__(self, encoding: str, rng) -> xr.Dataset:
        w = {"soft": 1.0, "true": 0.0, "mixed": 0.5, "none": 0.0}[encoding]
        idx = self._indices(rng)
        soft, true = self.soft[idx], self.true[idx]
        signal = w * soft + (1 - w) * true
        signal = (signal - signal.mean()) / (signal.std() or 1.0)
        g = self.gains * rng.choice([-1.0, 1.0], self.gains.size) * (encoding != "none")
        noise = self._residual(idx.size, rng)
        eta = np.clip(self.eta0[idx] + signal[:, None] * g[None, :] + noise, -50.0, 50.0)
        lam = np.exp(eta)
        counts = rng.poisson(np.minimum(lam, 1e9)).astype(np.int64)[:, None, :]
        coords = {"trial": np.arange(idx.size), "time": [self.window_seconds / 2],
                  "neuron": np.arange(self.gains.size), "recording_trial": ("trial", idx),
                  "value_soft": ("trial", soft),
                  "value_true": ("trial", true), "gain_soft": ("neuron", g * w),
                  "gain_true": ("neuron", g * (1 - w))}
        for name, col in zip(self.base, self.base_cols):
            coords[name] = ("trial", col[idx])
        ds = xr.Dataset({"counts": (("trial", "time", "neuron"), counts)}, coords=coords)
        ds.attrs.update(units="spikes", bin_width=self.window_seconds, source="simulated",
                        true_encoding=encoding)
        return ds


def _gain_energy(X: np.ndarray, beta: np.ndarray, mu: np.ndarray,
                 noise: tuple | None = None) -> tuple[np.ndarray, float, float]:
    """Value-gain magnitude per neuron with the noise removed, the population's energy
    ``sum g_n^2`` and its standard error.

    A neuron's gain is measured on the scale of its linear predictor, ``e_n = b_n' R b_n``:
    the variance its soft and true coefficients ``b_n`` add to the log-rate (``R`` the
    signals' correlation matrix), which is ``g^2`` whether ``g`` sits on the soft value, the
    true value or their mixture. Its detectability is its Wald statistic ``d_n = b_n' V_n^-1
    b_n`` (``V_n`` the 2 x 2 sampling covariance: with ``noise`` = (white SD, slow SD, AR
    coefficient) of the latent log-rate, the sandwich ``I^-1 S I^-1`` of the Poisson GLM's
    information ``I`` (with its unit ridge) and the score's covariance ``S`` under that noise,
    :func:`~neuromop._latent_noise.count_score_covariance`; ``I^-1`` without), a noncentral
    chi-square with 2 degrees of freedom, so ``sum_n (d_n - 2)`` estimates the population's total
    noncentrality without bias. Each neuron keeps the share ``max(d_n - c, 0) / d_n`` of its
    ``e_n``, with the common threshold ``c >= 2`` that makes the kept noncentrality equal that
    total (a positive-part shrinkage: noise-level neurons are zeroed, strong ones barely
    shrunk).

    Why: a raw magnitude is biased upwards by noise, so an untuned population would look
    tuned and its power would be overstated. Three earlier forms (per-neuron subtraction
    floored at 0, ``|b_n|^2`` debiased on the population, one common scale) were measured and
    dropped; the measurements are in the guide ("Soft or true values"). ``mu`` (T, N) are the
    fitted mean counts ``exp(X beta)``."""
    T, p = X.shape
    XX = (X[:, :, None] * X[:, None, :]).reshape(T, p * p)
    info = (mu.T @ XX).reshape(-1, p, p) + np.diag(np.r_[0.0, np.ones(p - 1)])[None]
    inv = np.linalg.inv(info)
    if noise is None:
        V = inv[:, -2:, -2:]
    else:  # sandwich: the score's covariance under the fitted latent noise
        V = (inv @ count_score_covariance(X, mu, *noise) @ inv)[:, -2:, -2:]
    b = beta[-2:].T  # (N, 2)
    S = X[:, -2:]
    R = S.T @ S / T  # the signals' (z-scored) correlation matrix
    # a neuron whose variance is not finite (absurd counts: infinite noise variance) carries no
    # measurable value signal
    ok = np.isfinite(V).all(axis=(1, 2)) & np.isfinite(b).all(axis=1)
    V_inv = np.zeros_like(V)
    V_inv[ok] = np.linalg.inv(V[ok])
    b = np.where(ok[:, None], b, 0.0)
    e = np.einsum("ni,ij,nj->n", b, R, b)  # predictor-scale energy of the coefficients
    d = np.einsum("ni,nij,nj->n", b, V_inv, b)  # Wald statistics, 2 dof
    ncp = max(float(np.sum(d - 2.0)), 0.0)  # unbiased total noncentrality
    lam = _energy_threshold(d, np.full(d.size, 2.0), ncp)
    with np.errstate(divide="ignore", invalid="ignore"):
        keep = np.where(d > 0, np.maximum(d - 2.0 * lam, 0.0) / d, 0.0)
    gains = np.sqrt(e * keep)
    energy = float(np.sum(gains**2))
    # Var(d_n) = 4 + 4 ncp_n for a noncentral chi-square with 2 dof; 4 d_n - 4 estimates it
    ncp_se = np.sqrt(max(float(np.sum(4.0 * d - 4.0)), 4.0 * d.size))
    per_unit = float(np.sum(e) / np.sum(d)) if np.sum(d) > 0 else 0.0  # energy per Wald unit
    return gains, energy, ncp_se * per_unit


def _energy_threshold(raw: np.ndarray, v: np.ndarray, energy: float) -> float:
    """The common threshold ``lam >= 1`` with ``sum_n max(raw_n - lam v_n, 0) = energy``
    (bisection; the sum falls continuously with ``lam`` and is at least ``energy`` at 1)."""
    if energy <= 0:
        return np.inf
    lo, hi = 1.0, float(np.max(raw / np.maximum(v, 1e-300)))
    if hi <= lo:
        return lo
    for _ in range(80):
        mid = (lo + hi) / 2
        if np.sum(np.maximum(raw - mid * v, 0.0)) > energy:
            lo = mid
        else:
            hi = mid
    return (lo + hi) / 2


def design_simulator(ds: xr.Dataset, signals=None, *, base=(), behaviour=None, window=None,
                     drift_basis: int = 3, min_rate: float = 0.5, gain_scale: float = 1.0,
                     n_trials: int | None = None, residual_noise: bool = True
                     ) -> DesignSimulator:
    """A ground-truth simulator of a recorded session's design, for :func:`verdict_calibration`.

    Fits the Poisson encoding model of :func:`compare_value_encodings` (base covariates, slow
    drift, soft and true value) to every neuron of ``ds`` and keeps the session's signals, the
    neurons' fitted baselines and their fitted value-gain magnitudes; simulated sessions put
    that gain on the soft value, the true value, their mixture or nothing.

    Parameters
    ----------
    ds, signals, base, behaviour, window, drift_basis, min_rate
        As for :func:`compare_value_encodings` (counts only).
    gain_scale : float
        Multiplies the fitted gains (already debiased for noise; ``gain_scale < 1`` gives a
        conservative, harder design).
    n_trials : int, optional
        Session length to simulate, at most the recording's (default: all of it); shorter
        sessions are random contiguous stretches of the recording (keeping its slow
        structure). Longer sessions would repeat trials, which the blocked cross-validation
        would see twice, so they are refused (:func:`~neuromop.values.power_curve` answers
        beyond the recording's length).
    residual_noise : bool
        Simulate the fitted model's residual variability as a latent log-rate per neuron,
        white plus slow AR(1) (variances and the pooled AR coefficient from the moments of
        the Pearson residuals, the slow part seen through the fit's projection:
        over-dispersion and drift), and debias the gains with the coefficients' covariance
        under that noise. Without it the simulated sessions are
        Poisson around a smooth baseline, easier than an over-dispersed recording, and the
        power is overstated.

    Returns
    -------
    DesignSimulator
        ``simulator(encoding, rng) -> Dataset``; ``simulator.base`` names the base covariates
        to pass to :func:`compare_value_encodings`.
    """
    from neuromop.values.encoding import (
        _check_base,
        _dct_basis,
        _trial_signal,
        _window_counts,
        _z,
        fit_poisson_glm,
    )

    if not isinstance(ds, xr.Dataset):
        raise TypeError(f"ds must be an xarray.Dataset, got {type(ds).__name__}")
    signals = {"soft": "value_soft", "true": "value_true"} if signals is None else dict(signals)
    if set(signals) != {"soft", "true"}:
        raise ValueError(f"signals must have exactly the keys 'soft' and 'true', got "
                         f"{list(signals)}")
    drift_basis = check_int("drift_basis", drift_basis, low=0)
    min_rate = check_real("min_rate", min_rate, low=0.0)
    gain_scale = check_real("gain_scale", gain_scale, low=0.0, high=10.0)
    base = _check_base(base)
    Y, family, _ = _window_counts(ds, window)
    if family != "poisson":
        raise ValueError("design_simulator needs spike counts (a 'counts' variable); rates and "
                         "activity have no Poisson model to simulate from")
    keep = Y.mean(axis=0) >= min_rate
    if not keep.any():
        raise ValueError(f"no neuron has a mean count >= min_rate={min_rate} in the window")
    Y = Y[:, keep]
    n = Y.shape[0]
    n_sim = n if n_trials is None else check_int("n_trials", n_trials, low=20, high=n)
    soft = _z(_trial_signal(ds, behaviour, signals["soft"], "signals['soft']", n))
    true = _z(_trial_signal(ds, behaviour, signals["true"], "signals['true']", n))
    base_cols = [_z(_trial_signal(ds, behaviour, b, f"base[{i}]", n)) for i, b in enumerate(base)]
    B = np.column_stack([np.ones(n), *base_cols, _dct_basis(n, drift_basis)])
    X = np.column_stack([B, soft, true])
    if not isinstance(residual_noise, bool | np.bool_):
        raise TypeError(f"residual_noise must be a bool, got {type(residual_noise).__name__}")
    beta = fit_poisson_glm(X, Y)
    eta0 = B @ beta[:B.shape[1]]
    mu = np.exp(np.clip(X @ beta, -30.0, 30.0))  # fitted mean counts (T, N)
    if residual_noise:
        white, slow, ar = latent_count_noise(Y, mu, X)
    else:
        white, slow, ar = None, None, 0.0
    gains, energy, energy_se = _gain_energy(X, beta, mu,
                                            None if white is None else (white, slow, ar))
    gains = gain_scale * gains
    names = [b if isinstance(b, str) else f"base_{i}" for i, b in enumerate(base)]
    if window is None:
        times = ds["time"].values
        seconds = float(ds.attrs.get("bin_width", 1.0)) * times.size
    else:
        seconds = float(window[1] - window[0])
    return DesignSimulator(soft, true, base_cols, names, eta0, gains, n_sim, seconds, white, slow,
                           ar, gain_energy=gain_scale**2 * energy,
                           gain_energy_se=gain_scale**2 * energy_se)


def _on_recorded_trials(kwargs: dict, ds: xr.Dataset) -> dict:
    """``kwargs`` with its recording-length ``pseudo_sampler`` cut to the recorded trials of a
    simulated session (``recording_trial``)."""
    idx, sampler = ds["recording_trial"].values, kwargs["pseudo_sampler"]

    def stretch(rng) -> dict:
        out = {name: np.asarray(v, float) for name, v in sampler(rng).items()}
        for name, v in out.items():
            if v.ndim != 1 or v.size <= idx.max():
                raise ValueError(f"pseudo_sampler must return 1-D {name!r} values over the "
                                 f"recording's trials, got shape {v.shape}")
        return {name: v[idx] for name, v in out.items()}

    return {**kwargs, "pseudo_sampler": stretch}


def design_calibration(ds: xr.Dataset, signals=None, *, base=(), behaviour=None, window=None,
                       n_trials=None, encodings=("soft", "true", "mixed", "none"),
                       n_sessions: int = 20, gain_scale: float = 1.0, power: float = 0.8,
                       compare_kwargs: dict | None = None, random_state=None,
                       progress: bool = False, residual_noise: bool = True) -> xr.Dataset:
    """Confusion matrix of the verdicts for *this* recording's design, and the trials needed.

    Simulates sessions from the encoding model fitted to ``ds`` (:func:`design_simulator`) at
    each session length of ``n_trials`` (default: the recording's; each at most the
    recording's) and runs
    :func:`verdict_calibration` on them.

    With two or more session lengths, the counts are also fitted with the probit power curve
    of :func:`~neuromop.values.power_curve` (correct-verdict probability against the root
    trial count), which gives the trials needed for ``power`` between the simulated lengths
    or beyond the recording's (an extrapolation, flagged and with a bootstrap interval).

    Parameters
    ----------
    ds, signals, base, behaviour, window
        As for :func:`compare_value_encodings` (counts only).
    n_trials : int or sequence of int, optional
        Session lengths to simulate, each between 20 and the recording's trial count
        (default: the recording's only).
    encodings, n_sessions, progress
        As for :func:`verdict_calibration`.
    compare_kwargs : dict, optional
        Passed to :func:`compare_value_encodings`, so the simulated sessions are tested as the
        recording is (``n_null``, ``alpha``, ``null``, ``population_statistic``, ...). A
        ``pseudo_sampler`` of the recording's task (pseudo-sessions of its full length) is
        applied to each simulated session's own stretch of trials.
    gain_scale, residual_noise
        As for :func:`design_simulator`.
    power : float
        Target probability of the correct verdict, in (0, 1).
    random_state : None, int or numpy.random.Generator
        Seeds the simulations, the nulls and the power curve's bootstrap.

    Returns
    -------
    xarray.Dataset
        The variables of :func:`verdict_calibration` with an extra ``n_trials`` dim;
        ``trials_for_power`` (encoding): the smallest simulated length whose correct-verdict
        rate reaches ``power`` (NaN if none does: more trials than simulated are needed);
        with two or more lengths, the variables of :func:`~neuromop.values.power_curve`
        (``trials_for_power_fitted`` with its interval, ``power_extrapolation``, ...);
        ``value_gain_energy`` with ``_low`` / ``_high`` and ``_se`` (scalars): the simulated
        population's value-signal strength ``sum g^2`` and its 95 % interval and standard
        error as an estimate of the recording's. The rates hold at that strength; at the
        interval's low end a design is weaker (rerun with ``gain_scale = sqrt(low /
        value_gain_energy)`` to see how much). The power curve's interval includes this
        uncertainty (see :func:`~neuromop.values.power_curve`). ``attrs``: provenance and
        ``untested_trials``, the trials of a session the comparison leaves out (``2
        ceil(n_null / 2)`` with the linear-shift null, else 0), which the power curve
        discounts.
    """
    power = check_real("power", power, low=0.0, high=1.0, low_inclusive=False,
                       high_inclusive=False)
    if not isinstance(ds, xr.Dataset):
        raise TypeError(f"ds must be an xarray.Dataset, got {type(ds).__name__}")
    n_sessions = check_int("n_sessions", n_sessions, low=1, high=_MAX_SESSIONS)
    act_trials = int(ds.sizes.get("trial", 0))
    lengths = [act_trials] if n_trials is None else [int(t) for t in np.atleast_1d(n_trials)]
    kwargs = dict(compare_kwargs or {})
    kwargs.setdefault("window", window)
    rng = as_generator(random_state)
    cells = []
    sim = design_simulator(ds, signals, base=base, behaviour=behaviour, window=window,
                           gain_scale=gain_scale, residual_noise=residual_noise)  # fitted once
    for length in lengths:
        sim.n_trials = check_int("n_trials", length, low=20, high=sim.soft.size)
        kw = {**kwargs, "base": sim.base, "window": None}
        if callable(kw.get("pseudo_sampler")):  # the session's stretch of the recording
            kw = partial(_on_recorded_trials, kw)
        res = verdict_calibration(sim, encodings=encodings, n_sessions=n_sessions,
                                  compare_kwargs=kw, random_state=rng, progress=progress)
        res.attrs = {}
        cells.append(res.expand_dims(n_trials=[length]))
    out = xr.concat(cells, dim="n_trials")
    z = float(norm.ppf(0.975))
    energy = {"value_gain_energy": sim.gain_energy,
              "value_gain_energy_low": max(sim.gain_energy - z * sim.gain_energy_se, 0.0),
              "value_gain_energy_high": sim.gain_energy + z * sim.gain_energy_se,
              "value_gain_energy_se": sim.gain_energy_se}
    out = out.assign({name: ((), value) for name, value in energy.items()})
    out["value_gain_energy"].attrs.update(
        units="(log-rate per SD of the value signal)^2",
        description="sum over neurons of the simulated squared value gains, debiased for "
                    "noise; _low/_high: normal 95 % interval of it as an estimate of the "
                    "recording's (the simulated power holds at this strength)")
    reached = out["correct_rate"] >= power
    first = reached.argmax("n_trials")
    out["trials_for_power"] = xr.where(reached.any("n_trials"),
                                       out["n_trials"].isel(n_trials=first), np.nan)
    out["trials_for_power"].attrs["power"] = power
    out.attrs["untested_trials"] = _untested_trials(kwargs)  # kept by the updates below
    if np.unique(lengths).size >= 2:
        curve = power_curve(out, power=power, random_state=rng)
        out = out.assign({name: curve[name] for name in curve.data_vars})
    out.attrs.update(provenance(
        "neuromop.values.calibration.design_calibration", n_trials=lengths,
        encodings=list(encodings), n_sessions=n_sessions, gain_scale=gain_scale, power=power,
        residual_noise=residual_noise,
        random_state=random_state if isinstance(random_state, int) else None))
    return out


def _untested_trials(compare_kwargs: dict) -> int:
    """Trials of a session the comparison leaves out: the linear-shift null's edges."""
    defaults = inspect.signature(compare_value_encodings).parameters
    null = compare_kwargs.get("null", defaults["null"].default)
    null = (null,) if isinstance(null, str) else tuple(null)
    if "linear_shift" not in null:
        return 0
    return 2 * _linear_shift_half_width(compare_kwargs.get("n_null", defaults["n_null"].default))
