"""Pooling the soft-versus-true comparison over sessions (pool_value_encodings)."""

from __future__ import annotations

import numpy as np
import pytest

from neuromop.values import (
    compare_value_encodings,
    pool_value_encodings,
    simulate_value_population,
)


def _sessions(encoding: str, n: int = 4, **compare):
    kwargs = {"n_null": 99, "alpha": 0.01, **compare}
    return [compare_value_encodings(
        simulate_value_population(encoding=encoding, n_neurons=8, n_trials=200, gain=0.12,
                                  random_state=100 + k), random_state=200 + k, **kwargs)
        for k in range(n)]


@pytest.fixture(scope="module")
def weak_soft():
    return _sessions("soft")


def test_weak_sessions_pool_into_a_soft_verdict(weak_soft):
    """Measured (seeds 100-103): sessions alone 'neither' x3 and 'soft' once; pooled soft at
    p = 0.01 (any), 0.01 (soft), 1.0 (true)."""
    pooled = pool_value_encodings(weak_soft)
    assert sum(r.attrs["verdict"] == "neither" for r in weak_soft) >= 2
    assert pooled.attrs["verdict"] == "soft"
    assert list(pooled.session_verdict.values) == [r.attrs["verdict"] for r in weak_soft]
    assert pooled.attrs["n_neurons"] == sum(r.attrs["n_neurons"] for r in weak_soft)


def test_pooled_statistic_and_null_are_sums_over_sessions(weak_soft):
    pooled = pool_value_encodings(weak_soft, labels=["a", "b", "c", "d"])
    np.testing.assert_allclose(pooled.null_pop_statistic,
                               sum(r.null_pop_loglik_gain.values for r in weak_soft))
    np.testing.assert_allclose(pooled.pop_statistic,
                               sum(r.pop_statistic.values for r in weak_soft))
    unique = sum(r.attrs["n_trials"] / r.vif.values for r in weak_soft)
    np.testing.assert_allclose(pooled.unique_trials, unique)
    assert list(pooled.session.values) == ["a", "b", "c", "d"]
    p = (1 + (pooled.null_pop_statistic >= pooled.pop_statistic).sum("sample")) / 100
    np.testing.assert_allclose(pooled.null_p_value, p)


def test_untuned_sessions_pool_into_neither():
    pooled = pool_value_encodings(_sessions("none", 3))
    assert pooled.attrs["verdict"] == "neither"
    assert float(pooled.pop_p_value.sel(test="any")) > 0.01


def test_a_stricter_pooled_identifiability_rule_makes_it_not_identifiable(weak_soft):
    unique = float(pool_value_encodings(weak_soft).unique_trials.min())
    pooled = pool_value_encodings(weak_soft, min_unique_trials=2 * unique)
    assert pooled.attrs["verdict"] == "not identifiable"
    assert pooled.attrs["separable"] == 0


def test_sessions_with_other_tests_are_refused(weak_soft):
    other = _sessions("none", 1, n_null=199)
    with pytest.raises(ValueError, match="n_null"):
        pool_value_encodings([weak_soft[0], other[0]])
    with pytest.raises(ValueError, match="at least two"):
        pool_value_encodings(weak_soft[:1])
    with pytest.raises(ValueError, match="labels"):
        pool_value_encodings(weak_soft, labels=["a"])


def test_max_intersection_gate_is_the_min_p_of_the_pooled_tests():
    results = _sessions("soft", 3, alpha=0.05, intersection_test="max")
    pooled = pool_value_encodings(results)
    # by hand, for the one null type: each test's p-value of the observation and of every null
    # draw within the pool of all draws, then the rank of the smallest
    stat = pooled.pop_statistic.values[:, 0]                             # (test,)
    draws = pooled.null_pop_statistic.values[:, 0, :]                    # (test, sample)
    pool = np.concatenate([stat[:, None], draws], axis=1)                # (test, 1 + sample)
    p_all = np.array([[(row >= v).mean() for v in row] for row in pool])  # (test, 1 + sample)
    smallest = p_all.min(axis=0)
    expected = (1 + np.sum(smallest[1:] <= smallest[0])) / pool.shape[1]
    assert pooled.attrs["p_intersection"] == pytest.approx(expected)
    assert pooled.attrs["verdict"] == "soft"


def test_max_z_gate_is_the_largest_standardised_pooled_statistic():
    """Seeds 100-101: the pooled both-signals test is at p = 0.53, the soft test at 0.01; the
    max-z gate keeps the soft verdict the "any" gate would discard."""
    results = _sessions("soft", 2, intersection_test="max_z")
    pooled = pool_value_encodings(results)
    stat = pooled.pop_statistic.values[:, 0]
    draws = pooled.null_pop_statistic.values[:, 0, :]
    pool = np.concatenate([stat[:, None], draws], axis=1)
    z = (pool - pool.mean(axis=1, keepdims=True)) / pool.std(axis=1, keepdims=True)
    expected = np.mean(z.max(axis=0) >= z.max(axis=0)[0])
    assert pooled.attrs["p_intersection"] == pytest.approx(expected)
    assert float(pooled.pop_p_value.sel(test="any")) > 0.01
    assert pooled.attrs["verdict"] == "soft"


def test_directional_sessions_pool_by_adding_their_statistics(weak_soft):
    directional = _sessions("soft", population_statistic="directional")
    pooled = pool_value_encodings(directional)
    np.testing.assert_allclose(pooled.pop_statistic,
                               sum(r.pop_statistic.values for r in directional))
    assert pooled.attrs["verdict"] == "soft"
    # the default with shifts alone is the sum: sessions tested otherwise are not pooled
    with pytest.raises(ValueError, match="population_statistic"):
        pool_value_encodings([weak_soft[0], directional[1]])


def test_linear_shift_sessions_pool_each_null_against_its_own_observation():
    results = [compare_value_encodings(
        simulate_value_population(encoding="soft", design="separable", n_neurons=12,
                                  n_trials=120, gain=0.3, random_state=200 + k),
        base=["chosen"], n_null=19, alpha=0.05, null=("shift", "linear_shift"),
        random_state=k) for k in range(2)]
    pooled = pool_value_encodings(results)
    stat = sum(r.pop_statistic.values for r in results)                      # (test, null)
    np.testing.assert_allclose(pooled.pop_statistic, stat)
    assert not np.allclose(stat[:, 0], stat[:, 1])  # the window's observation is its own
    p = (1 + (pooled.null_pop_statistic >= pooled.pop_statistic).sum("sample")) / 20
    np.testing.assert_allclose(pooled.null_p_value, p)
    np.testing.assert_allclose(pooled.pop_p_value, pooled.null_p_value.max("null"))
