"""The restless-bandit value population: an independently written ground-truth simulator."""

from __future__ import annotations

import numpy as np
import pytest

from neuromop.data import validate
from neuromop.values import collinearity, soft_value
from neuromop.values.bandit_population import (
    bandit_pseudo_sampler,
    simulate_bandit_value_population,
)


@pytest.fixture(scope="module")
def session():
    return simulate_bandit_value_population(encoding="soft", n_trials=300, n_neurons=20,
                                            random_state=0)


def test_soft_value_is_true_value_plus_temperature_times_entropy(session):
    tau = session.attrs["temperature"]
    np.testing.assert_allclose(session["value_soft"] - session["value_true"],
                               tau * session["policy_entropy"], atol=1e-12)
    assert np.all(session["policy_entropy"] <= np.log(session["n_available"]) + 1e-12)


def test_a_single_offered_arm_has_no_entropy(session):
    one = session["n_available"].values == 1
    assert one.any()
    np.testing.assert_allclose(session["policy_entropy"].values[one], 0.0, atol=1e-12)
    np.testing.assert_allclose(session["value_soft"].values[one],
                               session["value_true"].values[one], atol=1e-12)


def test_soft_value_matches_the_package_formula_for_equal_values():
    # with all offered arms at the same value q, V_soft = q + tau ln(n_offered)
    tau = 0.3
    for n in (1, 2, 4):
        assert soft_value(np.full((1, n), 0.5), tau)[0] == pytest.approx(0.5 + tau * np.log(n))


def test_output_is_a_valid_dataset_with_ground_truth(session):
    validate(session)
    assert session.attrs["true_encoding"] == "soft"
    assert np.all(session["gain_true"].values == 0)
    assert session["counts"].dims == ("trial", "time", "neuron")


def test_counts_are_over_dispersed():
    ds = simulate_bandit_value_population(encoding="none", n_trials=400, n_neurons=30,
                                          gain_noise=0.4, drift=0.0, random_state=1)
    c = ds["counts"].isel(time=0)
    assert float((c.var("trial") / c.mean("trial")).median()) > 1.2


@pytest.mark.parametrize(("p_available", "temperature", "separable"),
                         [(0.6, 0.3, True), (1.0, 0.1, False)])
def test_option_sets_separate_the_values(p_available, temperature, separable):
    ds = simulate_bandit_value_population(p_available=p_available, temperature=temperature,
                                          n_trials=500, n_neurons=2, random_state=2)
    vif = collinearity(np.column_stack([ds["value_soft"], ds["value_true"]]))["vif"]
    assert (vif.max() < 10) == separable


def test_pseudo_sampler_draws_independent_sessions_of_the_same_length():
    sample = bandit_pseudo_sampler(200, alpha=0.3, temperature=0.3)
    rng = np.random.default_rng(0)
    a, b = sample(rng), sample(rng)
    assert a["soft"].shape == (200,) and a["true"].shape == (200,)
    assert not np.allclose(a["soft"], b["soft"])


def test_seeded_and_validated():
    a = simulate_bandit_value_population(n_trials=50, n_neurons=3, random_state=4)
    b = simulate_bandit_value_population(n_trials=50, n_neurons=3, random_state=4)
    np.testing.assert_array_equal(a["counts"], b["counts"])
    with pytest.raises(ValueError, match="p_available"):
        simulate_bandit_value_population(p_available=0.0)
    with pytest.raises(ValueError, match="encoding"):
        simulate_bandit_value_population(encoding="both")
