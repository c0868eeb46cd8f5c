"""Simulated ground-truth populations: contract, rates, designs, reproducibility."""

from __future__ import annotations

import numpy as np
import pytest

from neuromop.data import validate
from neuromop.values.simulation import (
    offer_design,
    simulate_value_population,
    two_offer_pseudo_sampler,
)


@pytest.fixture(scope="module")
def ds():
    return simulate_value_population(encoding="soft", n_neurons=50, n_trials=300, random_state=0)


def test_dataset_follows_contract(ds):
    validate(ds)
    assert ds["counts"].dims == ("trial", "time", "neuron")
    assert ds["counts"].dtype == np.int64
    np.testing.assert_allclose(np.diff(ds["time"].values), ds.attrs["bin_width"])
    assert ds.attrs["true_encoding"] == "soft"


def test_rates_are_realistic(ds):
    rate = ds["counts"].mean(("trial", "time")) / ds.attrs["bin_width"]
    assert float(rate.min()) > 1.0
    assert float(rate.max()) < 40.0
    assert np.all((ds["baseline_rate"] >= 2.0) & (ds["baseline_rate"] <= 20.0))


def test_soft_population_has_no_true_gain(ds):
    assert np.all(ds["gain_true"] == 0)
    assert np.mean(ds["gain_soft"] != 0) > 0.5


@pytest.mark.parametrize(("design", "low", "high"),
                         [("separable", 0.5, 0.8), ("collinear", 0.9999, 1.0), ("ofc", 0.99, 1.0)])
def test_design_controls_collinearity(design, low, high):
    d = simulate_value_population(design=design, n_neurons=5, random_state=1)
    r = np.corrcoef(d["value_soft"], d["value_true"])[0, 1]
    assert low <= r <= high


def test_separable_design_fixes_expected_value_levels():
    pairs, tau, rho = offer_design("separable")
    from neuromop.values.signals import two_offer_values

    v = two_offer_values(pairs[:, 0], pairs[:, 1], rho=rho, temperature=tau)
    np.testing.assert_allclose(np.unique(np.round(v["value_true"].values, 9)), [8.0, 8.5, 9.0])


def test_seed_reproducibility():
    a = simulate_value_population(n_neurons=5, n_trials=50, random_state=7)
    b = simulate_value_population(n_neurons=5, n_trials=50, random_state=7)
    np.testing.assert_array_equal(a["counts"], b["counts"])


def test_choices_follow_the_agent(ds):
    p_b = 1 / (1 + np.exp(-(ds["offer_B"] - ds.attrs["rho"] * ds["offer_A"])
                          / ds.attrs["temperature"]))
    assert abs(float(ds["chosen"].mean()) - float(p_b.mean())) < 0.06


def test_pseudo_sampler_draws_independent_sessions(ds):
    sampler = two_offer_pseudo_sampler(ds["offer_A"], ds["offer_B"], rho=2.0, temperature=2.0)
    rng = np.random.default_rng(0)
    a, b = sampler(rng), sampler(rng)
    assert a["soft"].shape == (300,)
    assert abs(np.corrcoef(a["soft"], b["soft"])[0, 1]) < 0.2


@pytest.mark.parametrize(("kwargs", "match"), [({"encoding": "x"}, "encoding"),
                                               ({"design": "x"}, "design"),
                                               ({"n_trials": 5}, "n_trials"),
                                               ({"window": (0.5, 0.1)}, "window")])
def test_bad_arguments(kwargs, match):
    with pytest.raises(ValueError, match=match):
        simulate_value_population(**kwargs)
