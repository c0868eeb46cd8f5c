"""How many trials would a verdict need? A power curve fitted to simulated session lengths.

:func:`~neuromop.values.design_calibration` counts correct verdicts at session lengths up to the
recording's (longer simulated sessions would repeat the recording's trials). :func:`power_curve`
fits, per ground truth, the curve

.. math:: P(\\text{correct} \\mid n) = \\Phi(a + b \\sqrt{(n - u) / (n_\\max - u)})

to those counts (``u``: trials the test leaves out, the linear-shift null's edges; else 0) and
solves it for the trial count that reaches the target power — inside the simulated range (an
interpolation) or beyond it (an extrapolation, flagged as such).

Why this form: a test of one coefficient whose effect is fixed has a z statistic that grows as
the square root of the trial count, so its power is exactly ``Phi(delta sqrt(n) - z_alpha)``
asymptotically (intercept ``-z_alpha``, slope the standardised effect). A verdict combines
several tests, so the intercept is left free and the curve is checked against the counts (a
deviance goodness-of-fit test when enough lengths were simulated).

A soft, true or mixed verdict also needs the signals to pass the identifiability rule
(``n / VIF >= min_unique_trials``), which opens as a step in ``n``. When the calibration counts
the separable sessions (``separable_count``, as :func:`~neuromop.values.verdict_calibration`
does), the probability is modelled as ``P(separable | n) P(correct | separable, n)``, each a
probit curve in ``sqrt(n)`` (the first is 1 when every session was separable); a single curve
through a step would rise too steeply and promise power too early.

The fit maximises the binomial likelihood with the Jeffreys-prior (Firth) penalty
(``neuromop._probit_fit``). The interval of the trial count is a parametric
bootstrap of the counts from the fitted curve; it has no upper bound when a share of the
bootstrap curves do not reach the power (coverage of a 95 % interval 0.91-0.93 over 150
replicate calibrations: slightly narrow, as percentile bootstraps are). When the calibration
carries the standard error of the recording's value-signal strength (as
:func:`~neuromop.values.design_calibration` writes it), each replicate also draws a strength
and scales its conditional slope by the root of its ratio to the estimate (a test's
noncentrality grows with trials times strength; measured coverage in the guide).

Both slopes are constrained to be non-negative (a falling fit becomes the flat curve at its
pooled rate): more trials cannot lower a test's power nor shut the identifiability rule. A
curve that rises times one that is flat below the target plateaus below it: status
"plateaus below the target", with the plateau reported.
"""

from __future__ import annotations

import numpy as np
import xarray as xr
from scipy.stats import chi2, norm

from neuromop._checks import check_int, check_real
from neuromop._probit_fit import _fit, _refine
from neuromop._provenance import provenance
from neuromop._random import as_generator
from neuromop.values.encoding import ENCODINGS

__all__ = ["power_curve"]

#: Statuses of the trial count, per ground truth.
STATUSES = ("within simulated lengths", "extrapolated", "plateaus below the target",
            "not rising", "not estimable", "not applicable")

#: Farthest scaled root length searched: ``sqrt(10^4)``, i.e. 10,000 times the longest
#: simulated length. The fitted power there is reported as the curve's plateau.
_S_CAP = 100.0


def _sep_prob(theta_sep, s: np.ndarray) -> np.ndarray:
    """P(separable) on the scaled root lengths ``s`` (1 when every session was separable)."""
    if theta_sep is None:
        return np.ones_like(s)
    return norm.cdf(theta_sep[..., :1] + theta_sep[..., 1:] * s)


def _power(theta: np.ndarray, theta_sep, x: np.ndarray) -> np.ndarray:
    """``Phi(a + b x) P_sep(x)`` for rows of ``theta`` (B, 2) at scaled root lengths ``x`` (B,)."""
    return norm.cdf(theta[:, 0] + theta[:, 1] * x) * _sep_prob(theta_sep, x[:, None])[:, 0]


def _solve(theta: np.ndarray, theta_sep, target: float, s_min: float) -> np.ndarray:
    """Scaled tested-trial counts ``(s*)^2`` (tested trials over those of the longest length)
    where ``Phi(a + b s) P_sep(s)`` first reaches ``target``, batched over rows of ``theta``
    (B, 2); inf where it does not by ``_S_CAP``.
    The slopes are >= 0, so the product never falls and bisection finds the first crossing.
    A flat curve (every slope 0) at ``target`` already gives ``s_min^2``, the shortest
    simulated length: below it nothing was measured."""
    def gap(x):
        return _power(theta, theta_sep, x) - target

    flat = theta[:, 1] <= 0
    if theta_sep is not None:
        flat &= theta_sep[:, 1] <= 0
    lo, hi = np.zeros(theta.shape[0]), np.full(theta.shape[0], _S_CAP)
    reach = gap(hi) >= 0
    done = ~flat & (gap(lo) >= 0)
    for _ in range(60):  # bisection on the root length
        mid = (lo + hi) / 2
        up = gap(mid) >= 0
        hi = np.where(up, mid, hi)
        lo = np.where(up, lo, mid)
    out = np.where(done, 0.0, np.where(flat, s_min**2, hi**2))
    return np.where(reach, out, np.inf)


def _bootstrap(theta, theta_sep, s, m, target, n_boot, rng, energy_ratio=None) -> np.ndarray:
    """Scaled trial counts of curves refitted to counts drawn from the fitted ones; with
    ``energy_ratio`` (n_boot,), each refitted conditional slope is scaled by the root of its
    replicate's value-signal energy over the fitted one (a test's noncentrality grows with
    trials times energy, so its probit slope in ``sqrt(n)`` grows with ``sqrt(energy)``)."""
    m_int = m.astype(int)
    if theta_sep is None:
        ks = np.tile(m, (n_boot, 1))
        sep_boot = None
    else:
        ks = rng.binomial(m_int, norm.cdf(theta_sep[0] + theta_sep[1] * s),
                          size=(n_boot, s.size)).astype(float)
        sep_boot = _refine(np.tile(theta_sep, (n_boot, 1)), s, ks, m)
    p_c = norm.cdf(theta[0] + theta[1] * s)
    kc = rng.binomial(ks.astype(int), p_c).astype(float)
    # lengths without separable sessions in a replicate carry no weight (ks = 0)
    theta_boot = _refine(np.tile(theta, (n_boot, 1)), s, kc, ks)
    if energy_ratio is not None:
        theta_boot[:, 1] *= np.sqrt(energy_ratio)
    return _solve(theta_boot, sep_boot, target, float(s.min()))


def _separable_counts(calibration: xr.Dataset, encodings: list[str], m: np.ndarray
                      ) -> np.ndarray:
    """Sessions with separable signals (n_trials, encoding); all of them when not recorded."""
    if "separable_count" not in calibration:
        return m.copy()
    sep = calibration["separable_count"].transpose("n_trials", "encoding").sel(
        encoding=encodings).values.astype(float)
    if sep.shape != m.shape or np.any(sep < 0) or np.any(sep > m):
        raise ValueError("calibration['separable_count'] must count, per session length and "
                         "ground truth, between 0 and the sessions simulated")
    return sep


def _energy_relative_se(calibration: xr.Dataset) -> float:
    """``value_gain_energy_se / value_gain_energy`` of a design calibration; NaN when absent
    or when the energy is 0 (no value signal to scale)."""
    if "value_gain_energy" not in calibration or "value_gain_energy_se" not in calibration:
        return np.nan
    energy = float(calibration["value_gain_energy"])
    se = float(calibration["value_gain_energy_se"])
    if not (np.isfinite(energy) and np.isfinite(se)) or energy <= 0 or se < 0:
        return np.nan
    return se / energy


def _deviance(k: np.ndarray, m: np.ndarray, p: np.ndarray) -> float:
    p = np.clip(p, 1e-12, 1 - 1e-12)
    with np.errstate(divide="ignore", invalid="ignore"):
        t1 = np.where(k > 0, k * np.log(k / (m * p)), 0.0)
        t2 = np.where(m - k > 0, (m - k) * np.log((m - k) / (m * (1 - p))), 0.0)
    return float(2 * np.sum(t1 + t2))


def _correct_counts(calibration: xr.Dataset) -> tuple[np.ndarray, np.ndarray, list[str]]:
    counts = calibration["verdict_count"]
    if set(counts.dims) != {"n_trials", "encoding", "verdict"}:
        raise ValueError(f"calibration['verdict_count'] must have dims (n_trials, encoding, "
                         f"verdict), got {counts.dims}")
    encodings = [str(e) for e in counts["encoding"].values]
    unknown = [e for e in encodings if e not in ENCODINGS]
    if unknown:
        raise ValueError(f"calibration has unknown encodings {unknown}; expected a subset of "
                         f"{list(ENCODINGS)}")
    counts = counts.transpose("n_trials", "encoding", "verdict")
    verdicts = [str(v) for v in counts["verdict"].values]
    k = np.stack([counts.sel(encoding=e).values[:, verdicts.index(ENCODINGS[e])]
                  for e in encodings], axis=1).astype(float)
    m = counts.sum("verdict").values.astype(float)
    if np.any(m < 1) or not np.all(np.isfinite(k)):
        raise ValueError("calibration['verdict_count'] must count at least one session per "
                         "session length and ground truth")
    return k, m, encodings


def power_curve(calibration: xr.Dataset, *, power: float = 0.8, level: float = 0.95,
                n_boot: int = 499, energy_uncertainty: bool = True,
                untested_trials: int | None = None, random_state=None) -> xr.Dataset:
    """Trials a verdict needs: the probit power curve fitted to simulated session lengths.

    Parameters
    ----------
    calibration : xarray.Dataset
        The output of :func:`~neuromop.values.design_calibration` (``verdict_count`` over
        ``n_trials``, ``encoding`` and ``verdict``) with at least two session lengths.
    power : float
        Target probability of the correct verdict, in (0, 1).
    level : float
        Confidence level of the bootstrap interval of the trial count.
    n_boot : int
        Parametric bootstrap replicates (refitted together).
    energy_uncertainty : bool
        When the calibration carries the simulated value-signal energy and its standard error
        (``value_gain_energy``, ``value_gain_energy_se``, as
        :func:`~neuromop.values.design_calibration` writes them), widen the interval by that
        uncertainty: each bootstrap replicate draws an energy ``E_b ~ N(E, se^2)`` (floored at
        0) and scales its conditional slope by ``sqrt(E_b / E)``. The simulated sessions hold
        the recording's estimated strength, which one recording pins down only to tens of per
        cent; without this the interval covers the count noise only.
    untested_trials : int, optional
        Trials of every session that the test leaves out (the linear-shift null tests the
        central ``n - 2 ceil(n_null / 2)`` trials): the curve is fitted against the tested
        count ``n - untested_trials``, which a test's power grows with, and solved back to
        session lengths. Default: the calibration's ``untested_trials`` attr
        (:func:`~neuromop.values.design_calibration` writes it from its ``compare_kwargs``),
        else 0.
    random_state : None, int or numpy.random.Generator
        Seeds the bootstrap.

    Returns
    -------
    xarray.Dataset
        Per ``encoding``: ``power_curve_intercept`` and ``power_curve_slope`` (``a`` and ``b``
        of ``Phi(a + b sqrt((n - u) / (n_max - u)))`` for the correct verdict among separable
        sessions, ``n_max`` the longest simulated length and ``u`` the untested trials, in
        attrs); ``separable_curve_intercept`` and
        ``_slope`` (the same for P(separable); NaN when every session was separable). Slopes
        are constrained to be >= 0: a curve fitted falling is replaced by the flat curve at
        its pooled rate, since more trials cannot lower a test's power.
        ``trials_for_power_fitted`` (trials where the product reaches ``power``; NaN when it
        does not within 10,000 times ``n_max`` -- status "not rising" when no curve rises,
        "plateaus below the target" when one rises but the other is flat below the target --,
        for the ground truth "none", whose correct verdict "neither" is a specificity, not a
        power, and when not estimable) with ``_low`` / ``_high`` (percentile bootstrap of the
        counts from the fitted curves, measured coverage 0.91-0.93 at 95 % when the curve's
        form is right; NaN means no bound: more than ``(1 - level) / 2`` of the bootstrap
        curves never reach the power); ``power_plateau`` (the fitted probability of the
        correct verdict at 10,000 times ``n_max``: 1 when both curves rise, else the flat
        curve's level); ``extrapolation_factor`` (the fitted count over ``n_max``: above 1 the
        answer lies beyond what was simulated, and above about 3 it leans on the curve's form
        more than on the counts); ``power_extrapolation`` (one of "within simulated lengths",
        "extrapolated", "plateaus below the target", "not rising", "not estimable" -- fewer
        than two lengths with separable sessions -- and "not applicable");
        ``power_curve_deviance`` and ``power_curve_fit_p`` (goodness of fit of the correct
        counts; NaN when the lengths leave no degrees of freedom); per
        ``(n_trials, encoding)``: ``fitted_correct_rate``.
        ``attrs``: ``power``, ``level``, ``n_max``, ``untested_trials``,
        ``energy_relative_se`` (the energy's relative standard error the interval carries;
        NaN when it carries none), provenance.

    Raises
    ------
    ValueError
        With fewer than two distinct session lengths, counts without sessions, or a session
        length not above ``untested_trials``.
    """
    if not isinstance(calibration, xr.Dataset) or "verdict_count" not in calibration:
        raise TypeError("calibration must be the xarray.Dataset of design_calibration (with a "
                        f"'verdict_count' variable), got {type(calibration).__name__}")
    power = check_real("power", power, low=0.0, high=1.0, low_inclusive=False,
                       high_inclusive=False)
    level = check_real("level", level, low=0.0, high=1.0, low_inclusive=False,
                       high_inclusive=False)
    n_boot = check_int("n_boot", n_boot, low=1, high=100_000)
    if "n_trials" not in calibration["verdict_count"].dims:
        raise ValueError("calibration must have an n_trials dim (design_calibration with "
                         "several n_trials); got dims "
                         f"{calibration['verdict_count'].dims}")
    lengths = np.asarray(calibration["n_trials"].values, float)
    if np.unique(lengths).size < 2 or np.any(lengths < 1):
        raise ValueError(f"power_curve needs at least two distinct positive session lengths "
                         f"(n_trials), got {lengths.tolist()}")
    if untested_trials is None:
        untested_trials = calibration.attrs.get("untested_trials", 0)
    untested = check_int("untested_trials", untested_trials, low=0, high=10**9)
    if np.any(lengths <= untested):
        raise ValueError(f"every session length must be above untested_trials={untested} "
                         f"(the test needs trials to test), got {lengths.tolist()}")
    k, m, encodings = _correct_counts(calibration)
    n_max = float(lengths.max())
    tested_max = n_max - untested  # the curve's scale: tested trials of the longest length
    s = np.sqrt((lengths - untested) / tested_max)
    rng = as_generator(random_state)
    tail = (1 - level) / 2
    E = len(encodings)
    out = {name: np.full(E, np.nan) for name in (
        "power_curve_intercept", "power_curve_slope", "trials_for_power_fitted",
        "trials_for_power_fitted_low", "trials_for_power_fitted_high", "extrapolation_factor",
        "power_curve_deviance", "power_curve_fit_p", "separable_curve_intercept",
        "separable_curve_slope", "power_plateau")}
    fitted = np.full((lengths.size, E), np.nan)
    status = np.array(["not applicable"] * E, dtype=object)
    sep = _separable_counts(calibration, encodings, m)
    if not isinstance(energy_uncertainty, bool | np.bool_):
        raise TypeError("energy_uncertainty must be a bool, got "
                        f"{type(energy_uncertainty).__name__}")
    rel_se = _energy_relative_se(calibration) if energy_uncertainty else np.nan
    for j, enc in enumerate(encodings):
        coded = enc != "none"
        # P(correct | n) = P(separable | n) P(correct | separable, n) for the coded truths (a
        # soft, true or mixed verdict needs separable signals): the identifiability rule
        # opens at n = min_unique_trials * VIF, a step that one smooth curve would misread
        ks = sep[:, j] if coded else m[:, j]
        use = ks > 0
        if coded and np.unique(lengths[use]).size < 2:
            status[j] = "not estimable"
            continue
        theta = _fit(s[use], np.minimum(k[use, j], ks[use]), ks[use])
        all_sep = bool(np.all(ks == m[:, j]))
        theta_sep = None if all_sep else _fit(s, ks, m[:, j])
        p_hat = norm.cdf(theta[0] + theta[1] * s) * _sep_prob(theta_sep, s)
        fitted[:, j] = p_hat
        out["power_curve_intercept"][j], out["power_curve_slope"][j] = theta
        if theta_sep is not None:
            out["separable_curve_intercept"][j], out["separable_curve_slope"][j] = theta_sep
        dev = _deviance(k[:, j], m[:, j], p_hat)
        out["power_curve_deviance"][j] = dev
        dof = np.unique(lengths).size - 2 - (theta_sep is not None)
        if dof > 0:
            out["power_curve_fit_p"][j] = float(chi2.sf(dev, dof))
        if not coded:
            continue
        th_sep = None if theta_sep is None else theta_sep[None]
        n_star = float(untested + _solve(theta[None], th_sep, power, float(s.min()))[0]
                       * tested_max)
        ratio = (None if not np.isfinite(rel_se) else
                 np.maximum(1.0 + rel_se * rng.standard_normal(n_boot), 0.0))
        boot = untested + _bootstrap(theta, theta_sep, s, m[:, j], power, n_boot, rng,
                                     ratio) * tested_max
        # order statistics, not interpolation: the bootstrap may hold inf (curves that do
        # not rise)
        # the output contract has no +inf: a count never reached is NaN, with the status
        finite = np.isfinite(n_star)
        low = float(np.quantile(boot, tail, method="lower"))
        high = float(np.quantile(boot, 1 - tail, method="higher"))
        out["trials_for_power_fitted"][j] = n_star if finite else np.nan
        out["trials_for_power_fitted_low"][j] = low if np.isfinite(low) else np.nan
        out["trials_for_power_fitted_high"][j] = high if np.isfinite(high) else np.nan
        out["extrapolation_factor"][j] = n_star / n_max if finite else np.nan
        out["power_plateau"][j] = float(_power(theta[None], th_sep, np.array([_S_CAP]))[0])
        rises = theta[1] > 0 or (theta_sep is not None and theta_sep[1] > 0)
        status[j] = ("extrapolated" if finite and n_star > n_max else
                     "within simulated lengths" if finite else
                     "plateaus below the target" if rises else "not rising")
    data = {name: ("encoding", vals) for name, vals in out.items()}
    data["power_extrapolation"] = ("encoding", status.astype(str))
    data["fitted_correct_rate"] = (("n_trials", "encoding"), fitted)
    res = xr.Dataset(data, coords={"encoding": encodings,
                                   "n_trials": calibration["n_trials"].values})
    res["trials_for_power_fitted"].attrs.update(
        units="trials", power=power,
        description=f"trials n where P(separable) Phi(a + b sqrt((n - u) / (n_max - u))) = "
                    f"{power}, u = {untested} untested trials")
    res.attrs.update(power=power, level=level, n_max=n_max, untested_trials=untested,
                     n_boot=n_boot,
                     energy_relative_se=float(rel_se))
    res.attrs.update(provenance("neuromop.values.power_analysis.power_curve", power=power,
                                level=level, n_boot=n_boot,
                                energy_uncertainty=bool(energy_uncertainty),
                                untested_trials=untested,
                                random_state=random_state if isinstance(random_state, int)
                                else None))
    return res
