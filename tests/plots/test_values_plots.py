"""The null-distribution figure of the value comparison draws each statistic on its own scale."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pytest

from neuromop.plots.values import plot_null_distributions
from neuromop.values import compare_value_encodings, simulate_value_population
from neuromop.values.simulation import two_offer_pseudo_sampler


@pytest.fixture(scope="module")
def directional_result():
    ds = simulate_value_population(encoding="soft", design="separable", n_neurons=12,
                                   n_trials=120, random_state=2)
    sampler = two_offer_pseudo_sampler(ds["offer_A"].values, ds["offer_B"].values,
                                       rho=ds.attrs["rho"], temperature=ds.attrs["temperature"])
    return compare_value_encodings(ds, base=["chosen"], n_null=19, alpha=0.05,
                                   null=("shift", "pseudo"), pseudo_sampler=sampler,
                                   random_state=0)


def test_observed_lines_are_the_statistics_tested_per_null(directional_result):
    res = directional_result
    assert res.attrs["population_statistic"] == "directional"
    fig = plot_null_distributions(res)
    for ax, test in zip(fig.axes, res["test"].values):
        lines = [line.get_xdata()[0] for line in ax.get_lines()]
        np.testing.assert_allclose(lines, res["pop_statistic"].sel(test=test).values)
    labels = [ax.get_xlabel() for ax in fig.axes]
    assert labels[0] == "population Δ held-out log-lik (nats)"  # "any" keeps the sum
    assert labels[1:] == ["directional statistic (weighted Σ z)"] * 2
    p_gate = float(res["p_intersection"])
    assert fig._suptitle.get_text() == (f"verdict: {res.attrs['verdict']} (gate 'neither "
                                        f"signal adds' p = {p_gate:.3g}, alpha = 0.05)")
    plt.close(fig)
