"""value_entropy_ratio: soft coding has entropy-to-value ratio tau, true coding 0."""

from __future__ import annotations

import numpy as np
import pytest
import xarray as xr

from neuromop.values import (
    simulate_bandit_value_population,
    simulate_value_population,
    value_entropy_ratio,
)
from neuromop.values.entropy import _ratio_interval


# measured on seeds 0-19 at 500 trials x 40 neurons: median ratio 0.300 (bandit, tau 0.3) and
# 2.02 (two-offer, tau 2) for soft populations, 0.002 / 0.004 for true ones
@pytest.mark.parametrize("seed", [0, 1, 2])
@pytest.mark.parametrize("simulate", [simulate_bandit_value_population,
                                      simulate_value_population], ids=["bandit", "two_offer"])
def test_soft_population_has_ratio_tau_and_true_population_ratio_zero(simulate, seed):
    soft = simulate(encoding="soft", n_trials=500, n_neurons=40, random_state=seed)
    tau = soft.attrs["temperature"]
    r = value_entropy_ratio(soft, temperature=tau)
    assert float(r.ratio_low) <= tau <= float(r.ratio_high)
    assert float(r.ratio) == pytest.approx(tau, rel=0.3)
    assert float(r.p_ratio_true) < 0.01
    true = simulate(encoding="true", n_trials=500, n_neurons=40, random_state=seed)
    r = value_entropy_ratio(true, temperature=tau)
    assert float(r.ratio_low) <= 0.0 <= float(r.ratio_high)
    assert abs(float(r.ratio)) < 0.3 * tau
    assert float(r.p_ratio_soft) < 0.01


def test_coefficients_are_in_units_of_value_and_nats():
    ds = simulate_bandit_value_population(encoding="soft", n_trials=400, n_neurons=20,
                                          random_state=4)
    r = value_entropy_ratio(ds, temperature=ds.attrs["temperature"])
    assert r.coef.dims == ("neuron", "regressor")
    assert list(r.regressor.values) == ["value", "entropy"]
    tuned = np.abs(r.coef.sel(regressor="value")) > 3 * r.coef_se.sel(regressor="value")
    # per tuned neuron b_H / b_V near tau (value units per nat), whatever the neuron's gain
    assert np.median(r.neuron_ratio.values[tuned.values]) == pytest.approx(0.3, rel=0.3)
    assert (r.dispersion >= 1).all() and r.attrs["n_neurons"] == r.sizes["neuron"]


def test_signals_given_as_arrays_match_names():
    ds = simulate_value_population(encoding="soft", n_trials=300, n_neurons=10, random_state=1)
    a = value_entropy_ratio(ds, temperature=2.0)
    b = value_entropy_ratio(ds, temperature=2.0, true=ds["value_true"].values,
                            entropy=ds["policy_entropy"].values)
    xr.testing.assert_allclose(a.drop_attrs(), b.drop_attrs())


def test_ratio_interval_of_an_arc():
    inside = np.zeros(360, bool)
    inside[10:21] = True                       # 5 to 10.5 degrees
    lo, hi = _ratio_interval(inside, 15)
    assert lo == pytest.approx(np.tan(np.deg2rad(5.0)))
    assert hi == pytest.approx(np.tan(np.deg2rad(10.0)))
    inside[170:190] = True                     # around 90 degrees: unbounded
    assert _ratio_interval(inside, 180) == (-np.inf, np.inf)
    wrap = np.zeros(360, bool)
    wrap[350:] = True
    wrap[:5] = True                            # -5 to 2 degrees across 0
    lo, hi = _ratio_interval(wrap, 0)
    assert lo == pytest.approx(np.tan(np.deg2rad(-5.0))) and hi == pytest.approx(
        np.tan(np.deg2rad(2.0)))


def test_rates_instead_of_counts_are_refused():
    ds = simulate_value_population(n_trials=50, n_neurons=3, random_state=0)
    rates = ds.rename(counts="rate").assign(rate=lambda d: d["rate"].astype(float))
    with pytest.raises(ValueError, match="spike counts"):
        value_entropy_ratio(rates, temperature=1.0)
    with pytest.raises(ValueError, match="temperature"):
        value_entropy_ratio(ds, temperature=0.0)
