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

import numpy as np
import xarray as xr
from scipy.stats import norm

from neuromop._checks import check_int, check_real
from neuromop._provenance import provenance
from neuromop._random import as_generator
from neuromop.values.encoding import VERDICTS, compare_value_encodings

__all__ = ["ENCODINGS", "verdict_calibration", "wilson_interval"]

#: Ground-truth encodings of the simulators and the verdict that is correct for each.
ENCODINGS = {"soft": "soft", "true": "true", "mixed": "mixed", "none": "neither"}


def wilson_interval(successes, trials, level: float = 0.95) -> tuple[np.ndarray, np.ndarray]:
    """Wilson score interval of a binomial proportion (arrays broadcast; NaN where trials = 0)."""
    k = np.asarray(successes, float)
    n = np.asarray(trials, float)
    z = norm.ppf(0.5 + level / 2)
    with np.errstate(invalid="ignore", divide="ignore"):
        p = k / n
        centre = (p + z**2 / (2 * n)) / (1 + z**2 / n)
        half = z * np.sqrt(p * (1 - p) / n + z**2 / (4 * n**2)) / (1 + z**2 / n)
    return centre - half, centre + half


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
    compare_kwargs : dict, optional
        Passed to :func:`compare_value_encodings` (e.g. ``n_null``, ``alpha``, ``base``).
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
        ``_high``; ``correct_rate`` (encoding) with its interval; per neuron, summed over
        sessions: ``neuron_false_positive`` (fraction of untuned neurons classed as coding any
        value), ``neuron_false_soft`` (true-only neurons classed soft or mixed) and
        ``neuron_false_true`` (soft-only neurons classed true or mixed), each with ``_low`` /
        ``_high`` and ``n_`` counts; ``attrs``: provenance.
    """
    if not callable(simulate):
        raise TypeError(f"simulate must be callable (encoding, rng) -> Dataset, got "
                        f"{type(simulate).__name__}")
    encodings = list(encodings)
    unknown = [e for e in encodings if e not in ENCODINGS]
    if unknown or not encodings:
        raise ValueError(f"encodings must be a non-empty subset of {list(ENCODINGS)}, got "
                         f"{encodings}")
    n_sessions = check_int("n_sessions", n_sessions, low=1)
    level = check_real("level", level, low=0.0, high=1.0, low_inclusive=False,
                       high_inclusive=False)
    kwargs = dict(compare_kwargs or {})
    if "random_state" in kwargs:
        raise ValueError("compare_kwargs must not set random_state: the nulls are seeded from "
                         "verdict_calibration's random_state")
    rng = as_generator(random_state)
    counts = np.zeros((len(encodings), len(VERDICTS)), np.int64)
    neuron = {k: np.zeros(2, np.int64) for k in ("false_positive", "false_soft", "false_true")}
    for i, enc in enumerate(encodings):
        for _ in range(n_sessions):
            ds = simulate(enc, rng)
            res = compare_value_encodings(ds, random_state=rng, **kwargs)
            counts[i, VERDICTS.index(res.attrs["verdict"])] += 1
            g_s, g_t = _neuron_truth(ds, res["neuron"].values)
            cls = res["neuron_class"].values
            untuned = ~g_s & ~g_t
            neuron["false_positive"] += [np.sum(untuned & (cls != "neither")), untuned.sum()]
            true_only, soft_only = g_t & ~g_s, g_s & ~g_t
            neuron["false_soft"] += [np.sum(true_only & np.isin(cls, ["soft", "mixed"])),
                                     true_only.sum()]
            neuron["false_true"] += [np.sum(soft_only & np.isin(cls, ["true", "mixed"])),
                                     soft_only.sum()]
        if progress:
            row = ", ".join(f"{v} {c}" for v, c in zip(VERDICTS, counts[i]) if c)
            print(f"[verdict_calibration] {enc}: {row} (of {n_sessions})", flush=True)

    rate = counts / n_sessions
    lo, hi = wilson_interval(counts, n_sessions, level)
    correct = np.array([counts[i, VERDICTS.index(ENCODINGS[e])] for i, e in enumerate(encodings)])
    c_lo, c_hi = wilson_interval(correct, n_sessions, level)
    out = xr.Dataset(
        {"verdict_count": (("encoding", "verdict"), counts),
         "verdict_rate": (("encoding", "verdict"), rate),
         "verdict_rate_low": (("encoding", "verdict"), lo),
         "verdict_rate_high": (("encoding", "verdict"), hi),
         "correct_rate": ("encoding", correct / n_sessions),
         "correct_rate_low": ("encoding", c_lo),
         "correct_rate_high": ("encoding", c_hi)},
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
