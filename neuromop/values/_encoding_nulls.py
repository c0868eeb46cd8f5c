"""Observed statistics and null draws of the value-encoding tests (private helpers of
:func:`~neuromop.values.encoding.compare_value_encodings`).

The linear shift (Harris 2020, "A shift test for independence in generic time series") keeps
the counts of the central trials ``[h, n - h)`` and pairs them with the signals shifted by
``-h <= k <= h`` trials, taken from around the window (no wrap-around); ``k = 0`` is the
observation. It is valid when the signals are stationary; a circular shift joins the end of a
slow series to its start, so its shifted series track slow drifts of the counts less than the
unshifted one does.
"""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np

from neuromop.values._glm import _cv, _decode_r2, _decoder_folds, _residualize, _z
from neuromop.values._population_tests import _fold_mean

#: Null types of :func:`~neuromop.values.encoding.compare_value_encodings`.
NULL_TYPES = ("shift", "pseudo", "linear_shift")


def _observe(Y, B, soft, true, folds, glm) -> SimpleNamespace:
    """The four encoding models of counts ``Y`` (trial, neuron) given base ``B`` fitted with
    cross-validation, and the components each null replaces."""
    designs = {"base": B, "true": np.column_stack([B, true]), "soft": np.column_stack([B, soft]),
               "both": np.column_stack([B, soft, true])}
    ll, dev, betas = {}, {}, {}
    _, dev0, _ = _cv(B[:, :1], Y, folds, glm)
    for m, X in designs.items():
        ll[m], dev[m], betas[m] = _cv(X, Y, folds, glm)
    # component tested by each null: the residual of one signal given the other (+ base)
    fit_s, res_s = _residualize(soft, np.column_stack([B, true]))
    fit_t, res_t = _residualize(true, np.column_stack([B, soft]))
    # unique coefficients (fold means) and the direction each test expects them in: the
    # neuron's coefficient on the other signal alone (same sign as its value tuning)
    n_base = B.shape[1]
    F = np.sqrt(Y + 0.375)  # Anscombe transform for decoding and partial correlations
    dec_cache = _decoder_folds(F, folds)
    return SimpleNamespace(
        Y=Y, B=B, soft=soft, true=true, folds=folds, glm=glm, n_base=n_base, F=F,
        ll=ll, dev=dev, dev0=dev0, betas=betas,
        gains={"any": ll["both"] - ll["base"], "soft": ll["both"] - ll["true"],
               "true": ll["both"] - ll["soft"]},
        coef={"soft": _fold_mean(betas["both"], n_base),
              "true": _fold_mean(betas["both"], n_base + 1)},
        reference={"soft": _fold_mean(betas["true"], n_base),
                   "true": _fold_mean(betas["soft"], n_base)},
        fit_s=fit_s, res_s=res_s, fit_t=fit_t, res_t=res_t, dec_cache=dec_cache,
        dec_r2=_decode_r2(dec_cache, np.column_stack([soft, true, res_s, res_t])))


def _null_stats(o: SimpleNamespace, surrogates) -> tuple[dict, np.ndarray, dict]:
    """Gains (test -> (draw, neuron)), residual decoding R² (draw, 2) and unique coefficients
    (signal -> (draw, neuron)) of every surrogate ``(soft, true, soft residual, true residual)``
    of the observation ``o``."""
    surrogates = list(surrogates)
    n_draw, n_neuron = len(surrogates), o.Y.shape[1]
    out = {k: np.empty((n_draw, n_neuron)) for k in o.gains}
    coef = {k: np.empty((n_draw, n_neuron)) for k in ("soft", "true")}
    dec = np.empty((n_draw, 2))
    B, Y, folds, glm = o.B, o.Y, o.folds, o.glm
    for i, (s_any, t_any, r_s, r_t) in enumerate(surrogates):
        l_any, _, _ = _cv(np.column_stack([B, s_any, t_any]), Y, folds, glm)
        l_s, _, b_s = _cv(np.column_stack([B, o.fit_s + r_s, o.true]), Y, folds, glm,
                          warm=o.betas["both"])
        l_t, _, b_t = _cv(np.column_stack([B, o.soft, o.fit_t + r_t]), Y, folds, glm,
                          warm=o.betas["both"])
        out["any"][i] = l_any - o.ll["base"]
        out["soft"][i] = l_s - o.ll["true"]
        out["true"][i] = l_t - o.ll["soft"]
        coef["soft"][i] = _fold_mean(b_s, o.n_base)
        coef["true"][i] = _fold_mean(b_t, o.n_base + 1)
        dec[i] = _decode_r2(o.dec_cache, np.column_stack([r_s, r_t]))
    return out, dec, coef


def _linear_shift_half_width(n_null: int) -> int:
    """Largest shift ``h`` of the linear-shift null: ``2 h >= n_null`` nonzero shifts."""
    return (n_null + 1) // 2


def _linear_shift_min_trials(n_null: int) -> int:
    """Fewest trials the linear-shift null can take: the central window it tests (``n - 2 h``)
    keeps at least half of them."""
    return 4 * _linear_shift_half_width(n_null)


def _p_pool(n_null: int, null: tuple, linear_shift_p: str) -> int:
    """Size of the pool the smallest p-value is ``1 / (1 + pool)`` of: ``n_null`` draws, or
    ``h = n_null / 2`` with Harris's bound of the linear shift."""
    return n_null // 2 if linear_shift_p == "conservative" and "linear_shift" in null else n_null


def _check_pool(n_null: int, null: tuple, linear_shift_p: str, alpha: float,
                intersection_test: str) -> None:
    """Errors when the nulls' p-values cannot reach ``alpha`` (or Harris's bound cannot use
    every shift)."""
    pool = _p_pool(n_null, null, linear_shift_p)
    factor, name = (2, "n_null / 2") if pool < n_null else (1, "n_null")
    if pool < n_null and n_null % 2:
        raise ValueError(f"linear_shift_p='conservative' uses every shift -h..h, so n_null "
                         f"must be even (2 h), got {n_null}")
    if intersection_test == "max" and 3.0 / (1 + pool) > alpha:
        raise ValueError(f"intersection_test='max' with n_null={n_null} cannot reach alpha="
                         f"{alpha} (the minimum of three permutation p-values, 3/(1 + {name})); "
                         f"use n_null >= {factor * (int(np.ceil(3 / alpha)) - 1)}")
    if 1.0 / (1 + pool) > alpha:
        raise ValueError(f"n_null={n_null} cannot give a p-value below alpha={alpha} "
                         f"(smallest p is 1/(1 + {name})); use n_null >= "
                         f"{factor * (int(np.ceil(1 / alpha)) - 1)}")


def _identity(p):
    return p


def _harris_bound(n_null: int):
    """Harris's conservative p-value of the linear shift from the approximate one: the pool of
    ``2 h + 1`` shifted values counts as ``h + 1`` (``h = n_null / 2``)."""
    # p = (1 + b) / (1 + n_null) exactly: recover the count, so p <= alpha is not lost to
    # rounding
    return lambda p: np.minimum(1.0, np.rint(np.asarray(p, float) * (1 + n_null))
                                / (1 + n_null // 2))


def _surrogates(kind: str, full: SimpleNamespace, o: SimpleNamespace, n_null: int, rng,
                pseudo_sampler=None):
    """Surrogates of the tested signals for the null ``kind``: ``full`` is the observation on
    every trial, ``o`` the one the null is compared with (the central window for
    ``"linear_shift"``, else ``full``)."""
    n = full.Y.shape[0]
    if kind == "linear_shift":
        h = _linear_shift_half_width(n_null)
        shifts = np.concatenate([np.arange(-h, 0), np.arange(1, h + 1)])
        other_s, other_t = np.column_stack([o.B, o.true]), np.column_stack([o.B, o.soft])
        for k in rng.choice(shifts, size=n_null, replace=False):
            moved = slice(h + k, n - h + k)
            # the full residual moved by k, made orthogonal to the window's base and other
            # signal (at k = 0 this is exactly the window's own residual)
            yield (full.soft[moved], full.true[moved],
                   _residualize(full.res_s[moved], other_s)[1],
                   _residualize(full.res_t[moved], other_t)[1])
        return
    lo = max(1, n // 10)
    for _ in range(n_null):
        if kind == "shift":
            k = int(rng.integers(lo, n - lo + 1)) if n > 2 * lo else int(rng.integers(1, n))
            yield (np.roll(full.soft, k), np.roll(full.true, k), np.roll(full.res_s, k),
                   np.roll(full.res_t, k))
        else:
            ps = pseudo_sampler(rng)
            s_any = _z(np.asarray(ps["soft"], float))
            t_any = _z(np.asarray(ps["true"], float))
            yield (s_any, t_any, _residualize(s_any, np.column_stack([full.B, t_any]))[1],
                   _residualize(t_any, np.column_stack([full.B, s_any]))[1])
