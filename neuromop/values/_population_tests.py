"""Population statistics and permutation p-values of the value-encoding tests.

Private helpers of :func:`~neuromop.values.encoding.compare_value_encodings` and
:func:`~neuromop.values.pooling.pool_value_encodings`: p-values within a pool of null draws, the
closure's intersection test, and the directional (shared-mixture) statistic of the unique
coefficients.
"""

from __future__ import annotations

import numpy as np
from scipy.stats import rankdata


def _intersection_p(stat: np.ndarray, null: np.ndarray, method: str = "max") -> np.ndarray:
    """The closure's intersection test of the tests ``stat`` (test, ...) with null draws
    ``null`` (test, sample, ...), whose draws are joint (draw ``i`` of every test comes from
    the same surrogate); one p-value per trailing index (a 0-d array for a population).

    ``"max"``: the smallest of the tests' permutation p-values against the same minimum over
    the joint draws. ``"max_z"``: the largest of the tests' standardised statistics against the
    same maximum over the joint draws (Westfall & Young's max-T), each test standardised by the
    mean and SD of its pool (observation and draws, so the observation stays exchangeable
    with the draws).
    """
    draws = np.moveaxis(np.asarray(null, float), 1, 0)  # (sample, test, ...)
    if method == "max_z":
        z_obs, z_null = _pool_zscores(stat, draws)
        extreme_obs, extreme_null = z_obs.max(axis=0), z_null.max(axis=1)
        return (1 + np.sum(extreme_null >= extreme_obs, axis=0)) / (1 + draws.shape[0])
    q_obs, q_null = _pool_pvalues(stat, draws)
    extreme_obs, extreme_null = q_obs.min(axis=0), q_null.min(axis=1)
    return (1 + np.sum(extreme_null <= extreme_obs, axis=0)) / (1 + draws.shape[0])


def _pool_zscores(obs: np.ndarray, null: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """z-scores of the observed (...) and of every null draw (n_null, ...) by the mean and SD
    of the pool of all ``n_null + 1`` values (0 where the pool is constant)."""
    pool = np.concatenate([np.asarray(obs, float)[None], np.asarray(null, float)], axis=0)
    sd = pool.std(axis=0)
    z = np.divide(pool - pool.mean(axis=0), sd, out=np.zeros_like(pool), where=sd > 0)
    return z[0], z[1:]


def _pool_pvalues(obs: np.ndarray, null: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Permutation p-values of the observed (...) and of every null draw (n_null, ...) within
    the pool of all ``n_null + 1`` values: ``#{pool >= value} / (n_null + 1)`` (for the
    observation, ``(1 + #{null >= obs}) / (1 + n_null)``)."""
    pool = np.concatenate([np.asarray(obs, float)[None], np.asarray(null, float)], axis=0)
    rank = rankdata(pool, axis=0, method="min")  # 1 + number strictly smaller
    p = (pool.shape[0] + 1 - rank) / pool.shape[0]
    return p[0], p[1:]


def _fold_mean(betas: list, column: int) -> np.ndarray:
    """Per-neuron coefficient of ``column``, averaged over the cross-validation folds' fits."""
    return np.mean([b[column] for b in betas], axis=0)


def _directional(obs: np.ndarray, null: np.ndarray, reference: np.ndarray):
    """Directional population statistic of a unique-signal test, observed and per null draw.

    ``obs`` (neuron,) and ``null`` (draw, neuron) are the neurons' unique coefficients;
    ``reference`` (neuron,) the direction each neuron's value tuning gives them. Each neuron's
    coefficient is scaled by its spread over the pool of all draws (observed included, so the
    scale is the same for every member of the pool and the observation stays exchangeable
    with the draws) and weighted by its expected z-score under a shared mixture,
    ``reference / sd``: ``T = sum_n (r_n / s_n) (b_n / s_n) / sqrt(sum_n (r_n / s_n)^2)``.
    One-sided: a soft (true) claim needs unique coefficients of the same sign as the value
    tuning.
    """
    pool = np.concatenate([obs[None], null], axis=0)
    sd = pool.std(axis=0)
    ok = np.isfinite(sd) & (sd > 0) & np.isfinite(reference)
    weight = np.where(ok, reference / np.where(ok, sd, 1.0) ** 2, 0.0)
    norm = np.sqrt(np.sum((weight * np.where(ok, sd, 0.0)) ** 2))
    stat = np.where(ok, pool, 0.0) @ weight / (norm if norm > 0 else 1.0)
    return stat[0], stat[1:]
