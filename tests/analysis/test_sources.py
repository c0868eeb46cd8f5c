"""Recorded and simulated sources side by side: statistics, bootstrap distances, the verdict."""

from __future__ import annotations

import numpy as np
import pytest
import xarray as xr

from neuromop.analysis import (
    STATISTICS,
    compare_sources,
    fano_factor,
    participation_ratio,
    source_statistics,
)
from neuromop.data import validate


def _counts(rate, n_trials=200, n_time=8, n_neuron=6, dispersion=None, seed=0, cond=True):
    """Poisson (dispersion None) or gamma-Poisson counts, Fano = 1 + rate / dispersion."""
    rng = np.random.default_rng(seed)
    lam = np.broadcast_to(rate, (n_trials, n_time, n_neuron)).astype(float)
    if dispersion is not None:
        lam = rng.gamma(dispersion, lam / dispersion)
    counts = rng.poisson(lam)
    coords = {"trial": np.arange(n_trials), "time": (np.arange(n_time) + 0.5) * 0.1,
              "neuron": np.arange(n_neuron)}
    if cond:
        coords["condition"] = ("trial", np.arange(n_trials) % 4)
    return xr.Dataset({"counts": (("trial", "time", "neuron"), counts)}, coords=coords,
                      attrs={"bin_width": 0.1, "units": "spikes", "source": "test"})


def test_statistics_match_the_package_functions():
    ds = _counts(2.0, dispersion=4.0)
    stats = source_statistics(ds)
    ff = fano_factor(ds["counts"], ddof=1).mean("neuron")
    np.testing.assert_allclose(stats["fano_factor"].values, ff.values)
    np.testing.assert_allclose(float(stats["participation_ratio"]),
                               float(participation_ratio(ds["counts"])))
    np.testing.assert_allclose(stats["mean_count"].values, ds["counts"].mean(("trial",
                                                                             "neuron")))
    assert set(stats.data_vars) == set(STATISTICS)


def test_poisson_fano_factor_is_one_and_overdispersed_is_higher():
    pois = source_statistics(_counts(3.0, n_trials=600))
    over = source_statistics(_counts(3.0, n_trials=600, dispersion=3.0))
    assert abs(float(pois["fano_factor"].mean()) - 1.0) < 0.05
    assert abs(float(over["fano_factor"].mean()) - 2.0) < 0.2  # 1 + 3 / 3


@pytest.fixture(scope="module")
def comparison():
    rec = _counts(2.0, dispersion=2.0, seed=0)                  # Fano 2
    same = [_counts(2.0, dispersion=2.0, seed=s) for s in (1, 2, 3)]
    poisson = [_counts(2.0, seed=s) for s in (4, 5, 6)]         # Fano 1
    return compare_sources({"recorded": rec, "same": same, "poisson": poisson},
                           condition="condition", n_boot=40, random_state=0)


def test_the_source_drawn_like_the_recording_is_closest(comparison):
    assert comparison["closest"].sel(statistic="fano_factor").item() == "same"
    d = comparison["difference"].sel(statistic="fano_factor")
    lo, hi = comparison["difference_interval"].sel(source="same",
                                                   statistic="fano_factor").values
    assert lo <= 0 <= hi
    assert float(d.sel(source="poisson")) == pytest.approx(-1.0, abs=0.2)
    hi_p = float(comparison["difference_interval"].sel(source="poisson",
                                                       statistic="fano_factor",
                                                       bound="high"))
    assert hi_p < 0


def test_the_comparison_is_a_valid_result(comparison):
    validate(comparison, kind="result")
    assert comparison["fano_factor"].dims == ("source", "time")
    assert comparison["r_sc"].dims == ("source",)
    assert comparison["distance"].sel(source="recorded").values.tolist() == [0.0] * len(
        STATISTICS)
    iv = comparison["fano_factor_interval"]
    assert bool((iv.sel(bound="low") <= iv.sel(bound="high")).all())


def test_two_sources_drawn_alike_are_not_distinguishable():
    rec = _counts(2.0, dispersion=2.0, seed=0)
    a = [_counts(2.0, seed=s) for s in (1, 2)]
    b = [_counts(2.0, seed=s) for s in (3, 4)]
    out = compare_sources({"recorded": rec, "a": a, "b": b}, n_boot=30, random_state=1)
    assert out["closest"].sel(statistic="fano_factor").item() == "not distinguishable"
    assert set(out["tied_with"].sel(statistic="fano_factor").item().split(",")) == {"a", "b"}


def test_action_entropy_is_carried_where_present():
    rec = _counts(2.0)
    roll = _counts(2.0, seed=1)
    roll["action_entropy"] = (("trial", "time"), np.full((200, 8), 1.5))
    out = compare_sources({"recorded": rec, "mop": roll}, n_boot=10)
    np.testing.assert_allclose(out["action_entropy"].sel(source="mop").values, 1.5)
    assert np.isnan(out["action_entropy"].sel(source="recorded").values).all()


def test_bootstrap_is_reproducible():
    rec, other = _counts(2.0), _counts(2.0, seed=1)
    a = compare_sources({"recorded": rec, "x": other}, n_boot=10, random_state=3)
    b = compare_sources({"recorded": rec, "x": other}, n_boot=10, random_state=3)
    np.testing.assert_array_equal(a["distance_interval"].values, b["distance_interval"].values)


@pytest.mark.parametrize("sources, kwargs, error, match", [
    ({}, {}, TypeError, "non-empty mapping"),
    ({"x": "a"}, {}, ValueError, "reference must be one of"),
    ({"recorded": None}, {}, ValueError, "at least one other"),
    ("pair", dict(n_boot=5), ValueError, "n_boot"),
    ("pair", dict(confidence=1.0), ValueError, "confidence"),
    ("pair", dict(condition="nope"), ValueError, "condition"),
    ("short", {}, ValueError, "time bins"),
    ("two_refs", {}, ValueError, "one count set"),
    ("array", {}, TypeError, "Dataset"),
])
def test_compare_sources_rejects_bad_input(sources, kwargs, error, match):
    rec = _counts(2.0)
    if sources == "pair":
        sources = {"recorded": rec, "x": _counts(2.0, seed=1)}
    elif sources == "short":
        sources = {"recorded": rec, "x": _counts(2.0, n_time=5)}
    elif sources == "two_refs":
        sources = {"recorded": [rec, rec], "x": rec}
    elif sources == "array":
        sources = {"recorded": rec, "x": np.zeros((3, 3, 3))}
    with pytest.raises(error, match=match):
        compare_sources(sources, **kwargs)


def test_source_statistics_rejects_bad_input():
    with pytest.raises(ValueError, match="dims"):
        source_statistics(_counts(2.0)["counts"].isel(neuron=0))
    with pytest.raises(ValueError, match="at least 3 trials"):
        source_statistics(_counts(2.0, n_trials=2))
    with pytest.raises(ValueError, match="condition"):
        source_statistics(_counts(2.0), condition="state")


def test_fano_quench_is_positive_when_variability_falls_at_the_event():
    rng = np.random.default_rng(0)
    n, t = 400, 10
    lam = np.full((n, t, 6), 3.0)
    lam[:, :5] = rng.gamma(1.5, 2.0, size=(n, 5, 6))      # Fano 1 + 3/1.5 = 3 before
    counts = rng.poisson(lam)
    ds = xr.Dataset({"counts": (("trial", "time", "neuron"), counts)},
                    coords={"trial": np.arange(n), "time": (np.arange(t) - 4.5) * 0.1,
                            "neuron": np.arange(6)},
                    attrs={"bin_width": 0.1, "units": "spikes", "source": "test"})
    stats = source_statistics(ds, event_time=0.0)
    assert float(stats["fano_quench"]) == pytest.approx(2.0, abs=0.3)
    flat = _counts(3.0, n_trials=400, n_time=10)
    flat = flat.assign_coords(time=ds["time"].values)
    out = compare_sources({"recorded": ds, "flat": flat}, event_time=0.0, n_boot=20)
    assert "fano_quench" in out["statistic"].values
    lo, hi = out["fano_quench_interval"].sel(source="recorded").values
    assert lo > 1.0
    assert abs(float(out["fano_quench"].sel(source="flat"))) < 0.2


def test_event_time_must_split_the_bins():
    with pytest.raises(ValueError, match="event_time"):
        source_statistics(_counts(2.0), event_time=10.0)
    with pytest.raises(ValueError, match="event_time"):
        compare_sources({"recorded": _counts(2.0), "x": _counts(2.0, seed=1)},
                        event_time=-1.0)


def test_within_condition_fano_matches_a_loop_over_conditions():
    ds = _counts(2.0, n_trials=120, dispersion=3.0)
    stats = source_statistics(ds, condition="condition")
    points = [fano_factor(ds["counts"].isel(trial=np.flatnonzero(ds["condition"].values == c)),
                          ddof=1).values for c in range(4)]
    ref = np.nanmean(np.concatenate(points, axis=1), axis=1)   # (time, condition x neuron)
    np.testing.assert_allclose(stats["fano_factor"].values, ref, rtol=1e-10)


def test_bootstrap_replicates_of_the_fano_factor_are_centred_on_the_estimate():
    """Resampled trials repeat: a variance over n of them shrinks by (n - 1) / n on average,
    which the replicates undo (with 20 trials per condition, 5 % that would otherwise push
    estimates to the edge of their intervals). What is left is the ratio estimator's own
    skew bias (var / mean of right-skewed counts), a fraction of it."""
    from neuromop.analysis.sources import _pooled, _within_condition_fano

    ds = _counts(2.0, n_trials=80, dispersion=2.0, n_time=4)["counts"]
    labels = ds["condition"].values
    rng = np.random.default_rng(0)
    point = _pooled([ds], [0], rng, "condition", 2, 0, None, resample=False)["fano_factor"]
    corrected, plain = [], []
    for _ in range(300):
        idx = np.concatenate([rng.choice(np.flatnonzero(labels == c), 20) for c in range(4)])
        x, lab = ds.values[idx], labels[idx]
        corrected.append(_within_condition_fano(x, lab, resampled=True).mean())
        plain.append(_within_condition_fano(x, lab).mean())
    bias_plain = np.mean(plain) / point.mean() - 1
    bias_corrected = np.mean(corrected) / point.mean() - 1
    assert bias_plain < -0.04
    assert abs(bias_corrected) < abs(bias_plain) / 2
