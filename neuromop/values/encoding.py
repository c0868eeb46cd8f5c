"""Do neurons encode soft or true value? Encoding/decoding comparison with drift-respecting nulls.

:func:`compare_value_encodings` fits, for every neuron at once (vectorised Newton/IRLS over
neurons), four encoding models of the spike count in a window — base covariates (+ slow-drift
cosine basis), base + true value, base + soft value, base + both — with contiguous
(blocked-by-trial) cross-validation, and measures:

- held-out log-likelihood and deviance explained ``D² = 1 - dev(model) / dev(intercept)``
  (Poisson; ``R²`` for the Gaussian/ridge model of rates);
- unique contributions ``ΔD²_soft = D²(both) - D²(true)`` and ``ΔD²_true = D²(both) - D²(soft)``,
  and the population log-likelihood gains they correspond to (nats, summed over neurons);
- partial correlations of each neuron's (Anscombe-transformed) count with each signal given the
  other and the base covariates;
- population decoding (cross-validated ridge, GCV-chosen penalty) of each signal and of each
  signal's residual after regressing out the other;
- collinearity diagnostics: correlation and partial correlation of the signals, variance
  inflation factors and the condition number of the standardised design.

Null distributions keep the slow structure of the data: (i) **circular shifts** across trials of
the tested component (the residual of one signal given the other, or both signals together),
which preserve each series' autocorrelation but join its end to its start; (ii)
**pseudo-sessions** — signals recomputed from sessions re-simulated from the fitted behavioural
model (a user ``pseudo_sampler``), whose residual replaces the real one; (iii) **linear
shifts** (Harris 2020): the counts of a central window tested against the signals shifted
without wrap-around, valid when the signals are stationary. p-values are
``(1 + #{null >= observed}) / (1 + n_null)``; with several nulls the largest p-value is used.
The linear shift's p-value is Harris's large-``N`` approximation: with ``N`` shifts either way
the observation lies in the top ``m`` of the ``2 N + 1`` shifted values with probability at
most ``m / (N + 1)`` (Harris's theorem), approaching ``m / (2 N + 1)`` for large ``N``;
``linear_shift_p="conservative"`` reports the bound,
``(1 + #{null >= observed}) / (1 + N)`` (all ``2 N = n_null`` shifts), which is valid at any
``N`` for half the attainable significance.

Population statistic
--------------------
``population_statistic="directional"`` pools the neurons' *unique coefficients*
in the two unique tests (the "any" test keeps the sum below). If every neuron's value signal is
the same mixture ``w V_soft + (1 - w) V_true`` with its own gain, each neuron's soft
coefficient given the true value has the sign of its value tuning (its coefficient on the true
value alone, ``r_n``) and a size proportional to it, so the weighted sum
``T = sum_n (r_n / s_n) (b_n / s_n) / sqrt(sum_n (r_n / s_n)^2)`` (``b_n`` the unique
coefficient, ``s_n`` its spread over the pool of null draws) grows like ``sqrt(sum_n z_n^2)``
with the neurons, where a sum of gains or of chi-square statistics grows only like
``sum_n z_n^2 / sqrt(n_neurons)``. It is one-sided (a unique coefficient of the opposite sign
to the value tuning, e.g. ``V_true - c H``, is not evidence of soft value), and neurons whose
unique signals point against each other cancel. ``"sum"`` adds the neurons' held-out
log-likelihood gains (nats). ``"fisher"`` is Fisher's combination of the neurons' permutation
p-values, ``-sum_n ln p_n``, with every null draw's per-neuron p-values computed in the same
pool (Pesarin's nonparametric combination, which keeps the dependence between neurons): every
neuron counts equally, which makes it sensitive to a slightly anti-conservative per-neuron
null.

Verdict
-------
The verdict follows the closure principle (Marcus, Peritz & Gabriel 1976): a soft or true claim
needs its own test and the test of the intersection "neither signal adds", so the verdict's
family-wise error stays at ``alpha``. The intersection test is by default (``"max_z"``) the
largest of the three population statistics (any, soft, true), each standardised by the mean
and SD of its pool of observation and null draws, against the same maximum over the joint
null draws (max-T, Westfall & Young 1993); with ``"max"`` the smallest of the three
permutation p-values against the same minimum (this needs ``n_null >= 3 / alpha - 1``); with
``"any"`` the test of adding both signals alone. With ``"max_z"`` or ``"max"`` a significant
soft or true test is not discarded by a weaker "both signals" test: the sum of gains of the
"any" test is dominated by a few high-rate neurons' noise, while the directional unique tests
gain with neurons. ``"neither"`` if the intersection test is not significant;
otherwise ``"not identifiable"`` if the signals are too collinear for the number of trials: a
signal's own (unique) variance is ``1 / VIF`` of its variance, so its coefficient is estimated
from about ``n_trials / VIF`` trials' worth of information; the signals are separable when
``n_trials / VIF >= min_unique_trials`` (default 30, i.e. VIF < 10 at 300 trials, the
classical threshold of Marquardt 1970 / Kutner et al. at a typical session length, VIF < 67 at
2,000 trials). A fixed limit ``vif_max`` (``VIF < vif_max``) replaces the rule when given.
Else ``"soft"``, ``"true"`` or ``"mixed"`` from the two unique-contribution tests
(``"not identifiable"`` if neither unique test is significant).
Neuron classes apply the same rule per neuron (optionally with Benjamini–Hochberg control of
the false discovery rate across neurons, ``neuron_correction="fdr_bh"``).
"""

from __future__ import annotations

import warnings

import numpy as np
import xarray as xr
from threadpoolctl import threadpool_limits

from neuromop._checks import as_array, check_choice, check_finite_array, check_int, check_real
from neuromop._provenance import provenance
from neuromop._random import as_generator
from neuromop.data.schema import activity_variable
from neuromop.values._encoding_nulls import (
    NULL_TYPES,
    _check_pool,
    _harris_bound,
    _identity,
    _linear_shift_half_width,
    _linear_shift_min_trials,
    _null_stats,
    _observe,
    _p_pool,
    _surrogates,
)
from neuromop.values._glm import (
    _blocked_folds,
    _dct_basis,
    _partial_corr,
    _z,
    collinearity,
    fit_poisson_glm,
)
from neuromop.values._population_tests import (
    _directional,
    _intersection_p,
    _pool_pvalues,
)

__all__ = ["NULL_TYPES", "VERDICTS", "benjamini_hochberg", "collinearity",
           "compare_value_encodings", "fit_poisson_glm"]

VERDICTS = ("soft", "true", "mixed", "neither", "not identifiable")

#: Population statistics of :func:`compare_value_encodings` (``"auto"`` picks one by the nulls).
POPULATION_STATISTICS = ("auto", "directional", "sum", "fisher")
#: Gates of the verdict of :func:`compare_value_encodings` (the default is ``"max_z"``).
INTERSECTION_TESTS = ("any", "max_z", "max")

#: Ground-truth encodings of the simulators and the verdict that is correct for each.
ENCODINGS = {"soft": "soft", "true": "true", "mixed": "mixed", "none": "neither"}
_MODELS = ("base", "true", "soft", "both")


# ----------------------------------------------------------------------------- inputs
def _trial_signal(ds: xr.Dataset, behaviour, key, name: str, n: int) -> np.ndarray:
    src = behaviour if behaviour is not None else ds
    if isinstance(key, str):
        if key not in src.variables:
            where = "behaviour" if behaviour is not None else "ds"
            raise ValueError(f"{name}: variable {key!r} not found in {where} "
                             f"(available: {sorted(map(str, src.variables))})")
        da = src[key]
        if da.dims != ("trial",):
            raise ValueError(f"{name}: variable {key!r} must have dims ('trial',), got {da.dims}")
        if "trial" in da.coords and not np.array_equal(da["trial"].values, ds["trial"].values):
            raise ValueError(
                f"{name}: the trial coordinate of {key!r} does not match the neural data's "
                f"(first differences at positions "
                f"{_first_mismatch(da['trial'].values, ds['trial'].values)}); align them first")
        x = as_array(name, da.values, dtype=float)
    else:
        x = as_array(name, key, dtype=float)
    if x.shape != (n,):
        raise ValueError(f"{name} must have one value per trial ({n}), got shape {x.shape}")
    if not np.all(np.isfinite(x)):
        raise ValueError(f"{name} has {int((~np.isfinite(x)).sum())} NaN/inf value(s)")
    if np.ptp(x) == 0:
        raise ValueError(f"{name} is constant across trials (value {x[0]}): it cannot be a "
                         "regressor")
    return x


def _first_mismatch(a, b) -> str:
    if a.shape != b.shape:
        return f"lengths {a.shape[0]} vs {b.shape[0]}"
    idx = np.flatnonzero(a != b)[:3]
    return ", ".join(f"{i} ({a[i]!r} vs {b[i]!r})" for i in idx)


def _check_window(window) -> tuple[float, float]:
    try:
        t0, t1 = window
    except (TypeError, ValueError):
        raise TypeError(f"window must be None or a pair (start, stop) of seconds, got "
                        f"{window!r}") from None
    t0, t1 = check_real("window[0]", t0), check_real("window[1]", t1)
    if t1 <= t0:
        raise ValueError(f"window must have stop > start, got {window!r}")
    return t0, t1


def _check_base(base) -> list:
    """``base`` as a list of covariates (variable names or arrays); one name may be a str."""
    if isinstance(base, str):
        return [base]
    if not isinstance(base, tuple | list):
        raise TypeError(f"base must be a list of trial variable names or arrays, got {base!r}")
    return list(base)


def _window_counts(ds, window):
    act = activity_variable(ds)
    if act.dims != ("trial", "time", "neuron"):
        raise ValueError(f"activity must have dims ('trial', 'time', 'neuron'), got {act.dims}")
    if window is not None:
        t0, t1 = _check_window(window)
        sel = (act["time"].values >= t0) & (act["time"].values <= t1)
        if not sel.any():
            raise ValueError(f"window {window} (s) contains no time bin centre; time runs "
                             f"{float(act['time'].min())}..{float(act['time'].max())} s")
        act = act.isel(time=np.flatnonzero(sel))
    values = np.asarray(act.values)
    if not np.all(np.isfinite(values)):  # checked before summing: a sum must not skip NaN
        bad = np.argwhere(~np.isfinite(values))[0]
        raise ValueError(f"{act.name} contains NaN or infinite values in the window (first at "
                         f"trial {bad[0]}, time index {bad[1]}, neuron index {bad[2]}); drop or "
                         "fill them before comparing encodings")
    Y = values.sum(axis=1)
    family = "poisson" if act.name == "counts" else "gaussian"
    if family == "poisson":
        if np.any(Y < 0) or not np.allclose(Y, np.round(Y)):
            raise ValueError("counts must be non-negative integers")
        Y = Y.astype(float)
    return Y, family, act["neuron"].values


# ------------------------------------------------------------------------- main entry
def compare_value_encodings(
    ds: xr.Dataset,
    signals=None,
    *,
    base=(),
    behaviour: xr.Dataset | None = None,
    window=None,
    drift_basis: int = 3,
    cv: int = 5,
    n_null: int = 99,
    null=("shift",),
    pseudo_sampler=None,
    linear_shift_p: str = "approximate",
    alpha: float = 0.01,
    vif_max: float | None = None,
    min_unique_trials: float = 30.0,
    min_rate: float = 0.5,
    population_statistic: str = "auto",
    intersection_test: str = "max_z",
    neuron_correction: str = "none",
    link: str = "log",
    random_state=None,
) -> xr.Dataset:
    """Test whether a population encodes soft value, true value, both or neither.

    Parameters
    ----------
    ds : xarray.Dataset
        Activity in the contract (``counts`` → Poisson GLM; ``rate``/``activity`` → Gaussian
        ridge), dims (trial, time, neuron); summed over ``window``.
    signals : dict, optional
        ``{"soft": name_or_array, "true": name_or_array}``; default
        ``{"soft": "value_soft", "true": "value_true"}`` (trial variables of ``ds`` or
        ``behaviour``).
    base : sequence of str or arrays
        Base covariates along trial (e.g. ``"chosen"``).
    behaviour : xarray.Dataset, optional
        Source of the signals and base covariates; its ``trial`` coordinate must equal ``ds``'s.
    window : (float, float), optional
        Time window (s); bins whose centres fall inside are summed. Default: all bins.
    drift_basis : int
        Number of slow cosine regressors over the trial index (absorb drift).
    cv : int
        Number of contiguous cross-validation blocks of trials.
    n_null : int
        Null samples per test (circular shifts and/or pseudo-sessions).
    null : sequence of {"shift", "pseudo", "linear_shift"}
        Null types; ``"pseudo"`` needs ``pseudo_sampler(rng) -> {"soft": array, "true": array}``.
        ``"linear_shift"`` tests the counts of the central ``n_trials - 2 h`` trials
        (``h = ceil(n_null / 2)``) against the signals shifted by up to ``h`` trials (no
        wrap-around; valid when the signals are stationary; needs ``n_trials >= 4 h``), whose
        observation is the window's own: ``pop_statistic`` holds each null's.
    linear_shift_p : {"approximate", "conservative"}
        p-values of the ``"linear_shift"`` null: ``(1 + b) / (1 + n_null)`` (``b`` shifts at
        least as extreme as the observation; Harris's large-shift approximation, slightly
        anti-conservative with slowly drifting signals: 1.3 % per neuron at
        ``alpha = 0.01`` on the two-step simulator, guide "Soft or true values"), or Harris's
        bound ``(1 + b) / (1 + h)``, valid whatever the autocorrelation; it uses every shift,
        so ``n_null`` must be even (``2 h``), and it needs ``h >= 1 / alpha - 1`` (checked).
    alpha : float
        Significance level of each test.
    vif_max : float, optional
        Fixed collinearity limit (separable when every VIF < ``vif_max``); default: the
        trial-dependent rule of ``min_unique_trials``.
    min_unique_trials : float
        Separable when ``n_trials / VIF >= min_unique_trials`` for both signals (see module
        docstring); ignored when ``vif_max`` is given.
    min_rate : float
        Neurons whose mean count in the window is below this are excluded (spikes per trial).
    population_statistic : {"auto", "directional", "sum", "fisher"}
        Population statistic of each test (module docstring; measured levels and power in the
        guide, "Soft or true values"). ``"directional"`` (unique tests; the "any" test keeps
        the sum) adds the neurons' unique coefficients signed and weighted by their value
        tuning; its level holds with pseudo-session and linear-shift nulls and was slightly
        above ``alpha`` with circular shifts alone. ``"auto"`` (default) is
        ``"directional"`` when ``null`` includes ``"pseudo"`` or ``"linear_shift"`` and
        ``"sum"`` otherwise. ``"sum"`` adds the raw log-likelihood
        gains (nats); ``"fisher"`` combines the neurons' permutation p-values,
        ``-sum_n ln p_n`` (each neuron counts equally; use it with pseudo-session nulls).
    intersection_test : {"any", "max_z", "max"}
        Test of "neither signal adds" that gates the verdict (module docstring, "Verdict"):
        ``"max_z"`` (default, any ``n_null``), ``"any"`` or ``"max"`` (needs
        ``n_null >= 3 / alpha - 1``, checked). Per neuron the gate is the same test on the
        neuron's log-likelihood gains (``p_neuron_gate``).
    neuron_correction : {"none", "fdr_bh"}
        Multiple-comparison control across neurons for ``neuron_class``: the raw permutation
        p-values, or Benjamini–Hochberg q-values of each test (false discovery rate
        ``alpha``). BH can reject a neuron only when its p-value reaches
        ``alpha * rank / n_neurons``, so with permutation p-values (smallest
        ``1 / (1 + n_null)``) it needs ``n_null >= n_neurons / alpha - 1`` (4,000 draws for
        40 neurons at 0.01); a ``RuntimeWarning`` says when it cannot reject any neuron.
        ``q_unique`` and ``q_any`` are reported either way.
    link : {"log", "softplus"}
        Link of the Poisson GLMs (spike counts only): multiplicative tuning (``"log"``) or a
        rate linear in the signals above a soft threshold (``"softplus"``, for
        rectified-linear tuning; see :func:`fit_poisson_glm`). Compare the two with the
        held-out log-likelihoods ``heldout_loglik`` of two runs.
    random_state : None, int or numpy.random.Generator

    Returns
    -------
    xarray.Dataset
        Per neuron: ``deviance_explained`` (model, neuron), ``delta_d2`` and ``loglik_gain`` and
        ``p_unique`` (signal, neuron), ``p_any``, ``partial_corr`` (signal, neuron),
        ``neuron_class``; population: ``pop_loglik_gain`` and ``pop_p_value`` (test),
        ``null_p_value`` (test, null), ``null_pop_loglik_gain`` (test, null, sample),
        ``decoding_r2`` and ``decoding_p`` (target; ``decoding_p`` is NaN for the raw ``soft``
        and ``true`` targets, which share variance: only the residual targets are tested),
        ``signal_corr``, ``vif`` (signal); ``attrs``: ``verdict``, ``separable``,
        ``condition_number``, ``population_statistic`` (the one used, ``"auto"`` resolved)
        and provenance.
    """
    if not isinstance(ds, xr.Dataset):
        raise TypeError(f"ds must be an xarray.Dataset, got {type(ds).__name__}")
    signals = {"soft": "value_soft", "true": "value_true"} if signals is None else dict(signals)
    if set(signals) != {"soft", "true"}:
        raise ValueError("signals must have exactly the keys 'soft' and 'true', got "
                         f"{list(signals)}")
    if not isinstance(null, str | tuple | list):
        raise TypeError(f"null must be one of {NULL_TYPES} or a sequence of them, got {null!r}")
    null = (null,) if isinstance(null, str) else tuple(null)
    for kind in null:
        check_choice("null", kind, NULL_TYPES)
    if not null:
        raise ValueError(f"null must name at least one null type {NULL_TYPES}")
    if "pseudo" in null and not callable(pseudo_sampler):
        raise ValueError("null='pseudo' needs pseudo_sampler(rng) -> {'soft': ..., 'true': ...}")
    drift_basis = check_int("drift_basis", drift_basis, low=0)
    cv = check_int("cv", cv, low=2)
    n_null = check_int("n_null", n_null, low=1)
    alpha = check_real("alpha", alpha, low=0.0, high=1.0, low_inclusive=False)
    if vif_max is not None:
        vif_max = check_real("vif_max", vif_max, low=1.0, low_inclusive=False)
    min_unique_trials = check_real("min_unique_trials", min_unique_trials, low=0.0,
                                   low_inclusive=False)
    min_rate = check_real("min_rate", min_rate, low=0.0)
    check_choice("population_statistic", population_statistic, POPULATION_STATISTICS)
    check_choice("intersection_test", intersection_test, INTERSECTION_TESTS)
    check_choice("neuron_correction", neuron_correction, ("fdr_bh", "none"))
    check_choice("link", link, ("log", "softplus"))
    check_choice("linear_shift_p", linear_shift_p, ("approximate", "conservative"))
    base = _check_base(base)
    _check_pool(n_null, null, linear_shift_p, alpha, intersection_test)
    if behaviour is not None and not isinstance(behaviour, xr.Dataset):
        raise TypeError(f"behaviour must be an xarray.Dataset or None, got "
                        f"{type(behaviour).__name__}")
    if behaviour is not None and not np.array_equal(behaviour["trial"].values, ds["trial"].values):
        raise ValueError("behaviour and ds have different trial coordinates ("
                         f"{_first_mismatch(behaviour['trial'].values, ds['trial'].values)}); "
                         "select the same trials in both")
    rng = as_generator(random_state)
    # Many tiny matrix products: multi-threaded BLAS only adds contention (measured 20x slower
    # on a loaded 2-core machine), so run single-threaded.
    with threadpool_limits(limits=1, user_api="blas"):
        return _compare(ds, signals, base, behaviour, window, drift_basis, cv, n_null, null,
                        pseudo_sampler, linear_shift_p, alpha, (vif_max, min_unique_trials),
                        min_rate, random_state, rng,
                        population_statistic, intersection_test, neuron_correction, link)


def _verdict(p_gate: float, separable: bool, p_soft: float, p_true: float, alpha: float) -> str:
    """The population verdict (see the module docstring).

    Permutation p-values ``(1 + b) / (1 + m)`` are valid with "reject if p <= alpha"; a soft or
    true claim needs its own test and the intersection test (closed testing).
    """
    if p_gate > alpha:
        return "neither"
    if not separable:
        return "not identifiable"
    if p_soft <= alpha and p_true <= alpha:
        return "mixed"
    if p_soft <= alpha:
        return "soft"
    if p_true <= alpha:
        return "true"
    return "not identifiable"


def benjamini_hochberg(p: np.ndarray) -> np.ndarray:
    """Benjamini–Hochberg q-values of the p-values ``p`` (1-D, finite, in [0, 1])."""
    p = check_finite_array("p", p, ndim=1)
    if np.any((p < 0) | (p > 1)):
        raise ValueError("p must hold p-values in [0, 1]")
    m = p.size
    if m == 0:
        return p.copy()
    order = np.argsort(p)
    ranked = p[order] * m / np.arange(1, m + 1)
    q = np.minimum.accumulate(ranked[::-1])[::-1]
    out = np.empty(m)
    out[order] = np.minimum(q, 1.0)
    return out


def _compare(ds, signals, base, behaviour, window, drift_basis, cv, n_null, null, pseudo_sampler,  # noqa: C901
             linear_shift_p, alpha, vif_max, min_rate, random_state, rng, population_statistic,
             intersection_test, neuron_correction, link):
    if population_statistic == "auto":  # the statistic whose level holds with these nulls
        population_statistic = ("directional" if {"pseudo", "linear_shift"} & set(null)
                                else "sum")
    Y, family, neurons = _window_counts(ds, window)
    glm = "poisson-softplus" if family == "poisson" and link == "softplus" else family
    n = Y.shape[0]
    keep = Y.mean(axis=0) >= min_rate if family == "poisson" else np.ones(Y.shape[1], bool)
    if not keep.any():
        raise ValueError(f"no neuron has a mean count >= min_rate={min_rate} in the window")
    Y, neurons = Y[:, keep], neurons[keep]
    pool = _p_pool(n_null, null, linear_shift_p)  # smallest p: 1 / (1 + pool)
    if neuron_correction == "fdr_bh" and (1 + pool) * alpha < Y.shape[1]:
        warnings.warn(
            f"neuron_correction='fdr_bh' with n_null={n_null} cannot classify any of the "
            f"{Y.shape[1]} neurons as coding at alpha={alpha}: the smallest permutation p-value "
            f"1/(1 + {pool}) is above alpha / n_neurons; use n_null >= "
            f"{n_null // pool * (int(np.ceil(Y.shape[1] / alpha)) - 1)} or "
            "neuron_correction='none'",
            RuntimeWarning, stacklevel=3)
    if cv > n or drift_basis >= n:
        raise ValueError(f"cv (got {cv}) must be <= and drift_basis (got {drift_basis}) < the "
                         f"number of trials {n}")
    if "linear_shift" in null and (need := _linear_shift_min_trials(n_null)) > n:
        h = _linear_shift_half_width(n_null)
        raise ValueError(f"null='linear_shift' with n_null={n_null} shifts the signals by up to "
                         f"{h} trials and tests the central n_trials - {2 * h} trials, which "
                         f"must be at least half of them: it needs n_trials >= {need}, got {n}; "
                         "use a smaller n_null or another null")
    soft = _z(_trial_signal(ds, behaviour, signals["soft"], "signals['soft']", n))
    true = _z(_trial_signal(ds, behaviour, signals["true"], "signals['true']", n))
    base_cols = [_z(_trial_signal(ds, behaviour, b, f"base[{i}]", n)) for i, b in enumerate(base)]
    B = np.column_stack([np.ones(n), *base_cols, _dct_basis(n, drift_basis)])
    diag = collinearity(np.column_stack([soft, true]), B[:, 1:] if B.shape[1] > 1 else None)
    vif_max, min_unique_trials = vif_max
    limit = n / min_unique_trials if vif_max is None else vif_max
    separable = bool(np.all(diag["vif"] < limit))
    folds = _blocked_folds(n, cv)

    full = _observe(Y, B, soft, true, folds, glm)
    ll, dev, gains = full.ll, full.dev, full.gains
    d2 = {m: 1.0 - dev[m] / full.dev0 for m in _MODELS}
    observed = {kind: full for kind in null}
    if "linear_shift" in null:  # counts of the central window, signals shifted around it
        h = _linear_shift_half_width(n_null)
        w = slice(h, n - h)
        observed["linear_shift"] = _observe(Y[w], B[w], soft[w], true[w],
                                            _blocked_folds(n - 2 * h, cv), glm)

    tests = ("any", "soft", "true")
    gate = "max" if intersection_test == "any" else intersection_test  # p_intersection's test
    null_p = np.ones((3, len(null)))
    neuron_p = {k: np.zeros(Y.shape[1]) for k in tests}
    dec_p = np.zeros((4, len(null)))
    null_pop = np.zeros((3, len(null), n_null))
    pop_stat = np.zeros((3, len(null)))
    p_inter = np.ones(len(null))
    neuron_p_inter = np.zeros(Y.shape[1])
    for j, kind in enumerate(null):
        o = observed[kind]
        ng, nd, nc = _null_stats(o, _surrogates(kind, full, o, n_null, rng, pseudo_sampler))
        # Harris's bound (1 + b) / (1 + h) instead of (1 + b) / (1 + 2 h) for linear shifts
        bound = _harris_bound(n_null) if kind == "linear_shift" and pool < n_null else _identity
        # per-neuron p-values of the observation and of every null draw (same draws for all
        # neurons and tests: their dependence is kept, Pesarin's nonparametric combination)
        pv = [_pool_pvalues(o.gains[k], ng[k]) for k in tests]
        # per neuron, the closure's intersection: min p (or max z) over the three tests vs
        # the same extreme over the joint null draws
        neuron_p_inter = np.maximum(neuron_p_inter, bound(
            _intersection_p(np.stack([o.gains[k] for k in tests]),
                            np.stack([ng[k] for k in tests]), gate)))
        for t_i, k in enumerate(tests):
            if population_statistic == "fisher":
                obs, pop = -np.log(pv[t_i][0]).sum(), -np.log(pv[t_i][1]).sum(axis=1)
            elif population_statistic == "directional" and k != "any":
                obs, pop = _directional(o.coef[k], nc[k], o.reference[k])
            else:
                obs, pop = o.gains[k].sum(), ng[k].sum(axis=1)
            pop_stat[t_i, j] = obs
            null_pop[t_i, j] = pop
            null_p[t_i, j] = bound((1 + np.sum(pop >= obs)) / (1 + n_null))
            neuron_p[k] = np.maximum(neuron_p[k], bound(pv[t_i][0]))
        # population intersection: min p (or max z) over the three tests vs the same extreme
        # over the joint null draws
        p_inter[j] = float(bound(_intersection_p(pop_stat[:, j], null_pop[:, j], gate)))
        dec_p[2:, j] = bound((1 + (nd >= o.dec_r2[2:]).sum(axis=0)) / (1 + n_null))
    dec_p[:2] = np.nan  # raw signals share variance; only residual decoding is tested
    pop_p = null_p.max(axis=1)
    p_any, p_soft, p_true = pop_p
    p_gate = p_any if intersection_test == "any" else p_inter.max()

    verdict = _verdict(p_gate, separable, p_soft, p_true, alpha)

    neuron_p["gate"] = neuron_p["any"] if intersection_test == "any" else neuron_p_inter
    neuron_q = {k: benjamini_hochberg(v) for k, v in neuron_p.items()}
    decide = neuron_q if neuron_correction == "fdr_bh" else neuron_p
    classes = np.full(Y.shape[1], "neither", dtype=object)
    sig_any = decide["gate"] <= alpha
    s_sig, t_sig = decide["soft"] <= alpha, decide["true"] <= alpha
    classes[sig_any] = "value (ambiguous)"
    classes[sig_any & s_sig & ~t_sig] = "soft"
    classes[sig_any & t_sig & ~s_sig] = "true"
    classes[sig_any & s_sig & t_sig] = "mixed"

    F = full.F
    pcorr = np.stack([_partial_corr(F, soft, np.column_stack([B, true])),
                      _partial_corr(F, true, np.column_stack([B, soft]))])
    out = xr.Dataset(
        {
            "deviance_explained": (("model", "neuron"), np.stack([d2[m] for m in _MODELS])),
            "heldout_loglik": (("model", "neuron"), np.stack([ll[m] for m in _MODELS])),
            "delta_d2": (("signal", "neuron"),
                         np.stack([d2["both"] - d2["true"], d2["both"] - d2["soft"]])),
            "loglik_gain": (("signal", "neuron"), np.stack([gains["soft"], gains["true"]])),
            "p_unique": (("signal", "neuron"), np.stack([neuron_p["soft"], neuron_p["true"]])),
            "p_any": ("neuron", neuron_p["any"]),
            "q_unique": (("signal", "neuron"), np.stack([neuron_q["soft"], neuron_q["true"]])),
            "q_any": ("neuron", neuron_q["any"]),
            "p_neuron_gate": ("neuron", neuron_p["gate"]),
            "partial_corr": (("signal", "neuron"), pcorr),
            "neuron_class": ("neuron", classes.astype(str)),
            "pop_loglik_gain": ("test", np.array([gains[k].sum() for k in tests])),
            "pop_p_value": ("test", pop_p),
            "pop_statistic": (("test", "null"), pop_stat),
            "p_intersection": ((), float(p_gate)),
            "null_p_value": (("test", "null"), null_p),
            "null_pop_loglik_gain": (("test", "null", "sample"), null_pop),
            "decoding_r2": ("target", full.dec_r2),
            "decoding_p": (("target", "null"), dec_p),
            "signal_corr": ((), float(diag["corr"][0, 1])),
            "signal_partial_corr": ((), float(diag["partial_corr"][0, 1])),
            "vif": ("signal", diag["vif"]),
        },
        coords={"model": list(_MODELS), "neuron": neurons, "signal": ["soft", "true"],
                "test": list(tests), "null": list(null),
                "target": ["soft", "true", "soft_given_true", "true_given_soft"]},
    )
    params = dict(signals={k: v if isinstance(v, str) else "<array>" for k, v in signals.items()},
                  base=[b if isinstance(b, str) else "<array>" for b in base],
                  window=None if window is None else list(window), drift_basis=drift_basis,
                  cv=cv, n_null=n_null, null=list(null), linear_shift_p=linear_shift_p,
                  alpha=alpha, vif_max=vif_max,
                  min_unique_trials=min_unique_trials,
                  min_rate=min_rate, family=family, link=link,
                  population_statistic=population_statistic,
                  intersection_test=intersection_test, neuron_correction=neuron_correction,
                  random_state=random_state if isinstance(random_state, int) else None)
    out.attrs.update(provenance("neuromop.values.encoding.compare_value_encodings", **params))
    out.attrs.update(verdict=verdict, separable=int(separable), alpha=alpha,
                     population_statistic=population_statistic,
                     vif_max=float(limit), vif_rule="fixed" if vif_max is not None else
                     f"n_trials / {min_unique_trials:g}",
                     condition_number=diag["condition_number"], family=family, link=link,
                     n_trials=n,
                     n_neurons=int(Y.shape[1]), n_excluded_neurons=int((~keep).sum()))
    return out
