"""Action entropy, occupancy entropy, lifetimes and survival against closed forms."""

from __future__ import annotations

import numpy as np
import pytest
import xarray as xr
from hypothesis import given, settings
from hypothesis import strategies as st

from neuromop.analysis import (
    action_entropy,
    lifetime,
    occupancy_entropy,
    restricted_mean_lifetime,
    survival_curve,
)


def labels(x):
    return xr.DataArray(np.asarray(x), dims=("trial", "time"))


def test_uniform_actions_have_log_n_entropy():
    a = labels(np.tile(np.arange(4), (3, 5)))
    assert float(action_entropy(a)) == pytest.approx(np.log(4), rel=1e-12)
    assert float(action_entropy(a, base=2)) == pytest.approx(2.0, rel=1e-12)
    assert float(action_entropy(labels(np.zeros((3, 4), int)))) == 0.0


def test_action_entropy_per_trial_matches_reference():
    rng = np.random.default_rng(0)
    a = rng.integers(0, 3, size=(5, 40))
    out = action_entropy(labels(a), dims="time", n_actions=3)
    assert out.dims == ("trial",)
    for i in range(5):
        p = np.bincount(a[i], minlength=3) / 40
        p = p[p > 0]
        assert float(out[i]) == pytest.approx(-(p * np.log(p)).sum(), rel=1e-12)


def test_policy_probabilities_entropy():
    p = np.array([[0.5, 0.5, 0.0], [1.0, 0.0, 0.0], [0.2, 0.3, 0.5]])
    out = action_entropy(xr.DataArray(p, dims=("time", "action")))
    expected = [np.log(2), 0.0, -(0.2 * np.log(0.2) + 0.3 * np.log(0.3) + 0.5 * np.log(0.5))]
    np.testing.assert_allclose(out.values, expected, rtol=1e-12)


@settings(max_examples=40, deadline=None)
@given(seed=st.integers(0, 2**32 - 1))
def test_action_entropy_invariant_to_relabelling_and_bounded(seed):
    rng = np.random.default_rng(seed)
    a = rng.integers(0, 5, size=(4, 10))
    perm = rng.permutation(5)
    h = float(action_entropy(labels(a), n_actions=5))
    assert float(action_entropy(labels(perm[a]), n_actions=5)) == pytest.approx(h, rel=1e-12)
    assert 0.0 <= h <= np.log(5) + 1e-12


@pytest.mark.parametrize(
    ("data", "kwargs", "match"),
    [
        (labels([[0, -1]]), {}, ">= 0"),
        (labels([[0, 1.5]]), {}, "whole numbers"),
        (labels([[0, 3]]), {"n_actions": 2}, "n_actions"),
        (labels([[0, 1]]), {"dims": "episode"}, "available dims"),
        (xr.DataArray([[0.5, 0.6]], dims=("time", "action")), {}, "sum to 1"),
        (labels(np.zeros((0, 2))), {}, "empty"),
        (labels([[0, 1]]), {"base": 1.0}, "base"),
    ],
)
def test_action_entropy_rejects_bad_input(data, kwargs, match):
    with pytest.raises(ValueError, match=match):
        action_entropy(data, **kwargs)


def test_occupancy_entropy_labels_and_continuous():
    s = labels(np.tile(np.arange(8), (2, 4)))
    assert float(occupancy_entropy(s)) == pytest.approx(np.log(8), rel=1e-12)
    # continuous: 2 features on a 4x4 grid, points at the 16 cell centres -> log 16
    g = (np.arange(4) + 0.5) / 4
    xy = np.stack(np.meshgrid(g, g), -1).reshape(1, 16, 2)
    states = xr.DataArray(xy, dims=("trial", "time", "neuron"))
    h = occupancy_entropy(states, feature_dim="neuron", bins=4, range=(0.0, 1.0))
    assert float(h) == pytest.approx(np.log(16), rel=1e-12)
    h1 = occupancy_entropy(states, feature_dim="neuron", bins=1, range=(0.0, 1.0))
    assert float(h1) == 0.0


def test_lifetime_and_survival():
    term = np.zeros((4, 6), dtype=bool)
    term[0, 2:] = True  # dies at step 2
    term[1, 0] = True  # dies immediately
    term[2, 5] = True  # dies at the last step
    out = lifetime(labels(term))
    np.testing.assert_array_equal(out["lifetime"].values, [2, 0, 5, 6])
    np.testing.assert_array_equal(out["censored"].values, [False, False, False, True])
    s = survival_curve(labels(term))
    np.testing.assert_allclose(s.values, [0.75, 0.75, 0.5, 0.5, 0.5, 0.25])


def test_survival_of_geometric_lifetimes():
    rng = np.random.default_rng(1)
    hazard = 0.1
    term = rng.random((20000, 15)) < hazard
    s = survival_curve(labels(term))
    np.testing.assert_allclose(s.values, (1 - hazard) ** np.arange(1, 16), atol=0.01)


@pytest.mark.parametrize(
    ("term", "match"), [(np.full((2, 3), 2), "boolean"), (np.zeros((0, 3), bool), "empty")]
)
def test_lifetime_rejects_bad_input(term, match):
    with pytest.raises(ValueError, match=match):
        lifetime(labels(term))


def test_survival_rejects_time_in_dims():
    with pytest.raises(ValueError, match="time_dim"):
        survival_curve(labels(np.zeros((2, 3), bool)), dims=("trial", "time"))


# ---------------------------------------------------------------- restricted mean lifetime
def test_restricted_mean_lifetime_hand_computed_kaplan_meier():
    # ended at 3 and 5, censored at 7 and 10: S = 0.75 after 3, 0.5 after 5
    out = restricted_mean_lifetime([3, 5, 7, 10], [False, False, True, True], horizon=8)
    assert float(out["restricted_mean_lifetime"]) == pytest.approx(3 + 2 * 0.75 + 3 * 0.5)
    assert float(out["survival"]) == pytest.approx(0.5)
    assert int(out["n_ended"]) == 2 and int(out["n_censored"]) == 2


def test_restricted_mean_lifetime_without_censoring_is_the_capped_mean():
    life = np.random.default_rng(0).integers(0, 60, 300)
    out = restricted_mean_lifetime(life, horizon=40)
    assert float(out["restricted_mean_lifetime"]) == pytest.approx(np.minimum(life, 40).mean())
    assert float(out["survival"]) == pytest.approx(np.mean(life > 40))


def test_restricted_mean_lifetime_is_finite_when_no_episode_ends():
    out = restricted_mean_lifetime([50, 80, 120], [True, True, True], horizon=100)
    assert float(out["restricted_mean_lifetime"]) == 100.0
    assert float(out["survival"]) == 1.0


def test_restricted_mean_lifetime_recovers_an_exponential_under_random_censoring():
    rng = np.random.default_rng(1)
    rate, h = 0.05, 40.0
    t, c = rng.exponential(1 / rate, 20_000), rng.exponential(1 / 0.02, 20_000)
    out = restricted_mean_lifetime(np.minimum(t, c), c < t, horizon=h)
    assert float(out["restricted_mean_lifetime"]) == pytest.approx((1 - np.exp(-rate * h)) / rate,
                                                                   rel=0.02)
    assert float(out["survival"]) == pytest.approx(np.exp(-rate * h), abs=0.01)
    # ignoring censoring (treating censored episodes as ended) is biased low
    naive = restricted_mean_lifetime(np.minimum(t, c), horizon=h)
    assert float(naive["restricted_mean_lifetime"]) < 0.9 * float(out["restricted_mean_lifetime"])


def test_restricted_mean_lifetime_with_delayed_entry_hand_computed():
    # entered at 0, 0, 4, 6; ended at 3 and 5, censored at 7 and 10. At age 3 the episodes
    # entering at 4 and 6 are not yet observed: n = 2 (not 4), S = 1/2; at 5: n = 2 (the
    # one entering at 4 and the one still alive from 0 ... ended at 5), S = 1/2 * 1/2.
    out = restricted_mean_lifetime([3, 5, 7, 10], [False, False, True, True], horizon=8,
                                   entry=[0, 0, 4, 6])
    assert float(out["restricted_mean_lifetime"]) == pytest.approx(3 + 2 * 0.5 + 3 * 0.25)
    assert float(out["survival"]) == pytest.approx(0.25)
    zero = restricted_mean_lifetime([3, 5, 7, 10], [False, False, True, True], horizon=8,
                                    entry=[0, 0, 0, 0])
    plain = restricted_mean_lifetime([3, 5, 7, 10], [False, False, True, True], horizon=8)
    assert float(zero["restricted_mean_lifetime"]) == float(plain["restricted_mean_lifetime"])


def test_restricted_mean_lifetime_delayed_entry_removes_the_length_bias_of_a_window():
    # a renewal process of geometric lifetimes (hazard p per step) watched through a window of
    # W steps, as a training epoch watches its agents: episodes running when the window opens
    # are seen because they lived long. With their age at the window's start as entry the
    # estimate is the true capped mean; without it, it is biased high.
    rng = np.random.default_rng(3)
    p, window, h, agents = 0.02, 60, 100, 4000
    life = rng.geometric(p, size=(agents, 200))
    starts = np.cumsum(life, axis=1) - life
    t0 = 2000  # the window [t0, t0 + window)
    seen = (starts < t0 + window) & (starts + life > t0)
    age0 = np.clip(t0 - starts, 0, None)
    ended = starts + life <= t0 + window
    observed = np.where(ended, life, t0 + window - starts)
    lt, cens, entry = observed[seen], ~ended[seen], age0[seen]
    truth = (1 - (1 - p) ** h) / p  # E[min(T, h)] of a geometric T on {1, 2, ...}
    fixed = restricted_mean_lifetime(lt, cens, horizon=h, entry=entry)
    biased = restricted_mean_lifetime(lt, cens, horizon=h)
    assert float(fixed["restricted_mean_lifetime"]) == pytest.approx(truth, rel=0.03)
    assert float(biased["restricted_mean_lifetime"]) > 1.1 * truth


@pytest.mark.parametrize("entry, match", [([0, 4], "entry must be finite"),
                                          ([-1, 0], "entry must be finite"),
                                          ([0, 0, 0], "entry must have the dims and shape")])
def test_restricted_mean_lifetime_rejects_bad_entry(entry, match):
    with pytest.raises(ValueError, match=match):
        restricted_mean_lifetime([3, 2], horizon=5, entry=entry)


def test_restricted_mean_lifetime_reduces_one_named_dim():
    life = xr.DataArray([[3, 5, 7], [10, 10, 10]], dims=("agent", "trial"),
                        coords={"agent": ["MOP", "R"]})
    out = restricted_mean_lifetime(life, horizon=8)
    assert out["restricted_mean_lifetime"].dims == ("agent",)
    np.testing.assert_allclose(out["restricted_mean_lifetime"].values, [5.0, 8.0])
    assert out.attrs["created_by"] == "neuromop.analysis.restricted_mean_lifetime"


@pytest.mark.parametrize(
    ("kwargs", "exc", "match"),
    [({"lifetimes": [-1, 2]}, ValueError, "non-negative"),
     ({"lifetimes": [1.0, np.nan]}, ValueError, "finite"),
     ({"lifetimes": [1, 2], "censored": [1, 0]}, TypeError, "boolean"),
     ({"lifetimes": [1, 2], "censored": [True]}, ValueError, "shape"),
     ({"lifetimes": [1, 2], "horizon": 0}, ValueError, "horizon"),
     ({"lifetimes": np.zeros((2, 2))}, ValueError, "1-D"),
     ({"lifetimes": ["a", "b"]}, TypeError, "steps")],
)
def test_restricted_mean_lifetime_refuses_bad_input(kwargs, exc, match):
    with pytest.raises(exc, match=match):
        restricted_mean_lifetime(**kwargs)
