"""Prior-learning choice model: prior recursion, likelihood formula, recovery, errors."""

from __future__ import annotations

import math

import numpy as np
import pytest

from neuromop.values.prior_choice_model import PriorLearningChoiceModel


def _blocks(n, seed, block=60, p=0.8):
    rng = np.random.default_rng(seed)
    p_right = np.where((np.arange(n) // block) % 2 == 0, p, 1 - p)
    side = (rng.random(n) < p_right).astype(float)
    contrast = rng.choice([0.0, 0.0625, 0.125, 0.25, 1.0], n) ** 0.5
    evidence = np.where(side == 1, contrast, -contrast)
    return np.column_stack([side, evidence])


def test_prior_matches_explicit_recursion_with_session_resets():
    X = _blocks(50, 0)
    groups = np.repeat(["a", "b"], 25)
    m = PriorLearningChoiceModel(p0=0.5)
    data = m._prepare(X, np.zeros(50, int), groups)
    p = m._prior(0.3, data)
    ref, est = [], 0.5
    for t in range(50):
        if t == 25:
            est = 0.5
        ref.append(est)
        est += 0.3 * (X[t, 0] - est)
    assert np.allclose(p, ref, atol=1e-12)


def test_loglik_matches_explicit_formula():
    X = _blocks(80, 1)
    y = np.random.default_rng(2).integers(0, 2, 80)
    m = PriorLearningChoiceModel(n_restarts=2, random_state=0).fit(X, y)
    a, k, w, b = (m.params_[n] for n in ("alpha", "prior_weight", "weight_0", "bias"))
    ll, est = 0.0, 0.5
    for t in range(80):
        x = w * X[t, 1] + b + k * (2 * est - 1)
        p1 = 1 / (1 + math.exp(-x))
        ll += math.log(p1 if y[t] == 1 else 1 - p1)
        est += a * (X[t, 0] - est)
    assert m.loglik_ == pytest.approx(ll, rel=1e-9)
    assert m.bic_ == pytest.approx(4 * math.log(80) - 2 * ll)
    assert m.predict_proba(X).sum(axis=1) == pytest.approx(np.ones(80))


@pytest.mark.parametrize("alpha,k", [(0.05, 1.5), (0.3, 2.5)])
def test_parameter_recovery(alpha, k):
    X = _blocks(3000, 3)
    truth = {"alpha": alpha, "prior_weight": k, "weight_0": 4.0, "bias": 0.2}
    y = PriorLearningChoiceModel().simulate(X, random_state=4, params=truth)
    m = PriorLearningChoiceModel(n_restarts=3, random_state=0).fit(X, y)
    assert m.params_["alpha"] == pytest.approx(alpha, rel=0.5)
    assert m.params_["prior_weight"] == pytest.approx(k, rel=0.3)
    assert m.params_["weight_0"] == pytest.approx(4.0, rel=0.15)
    lo, hi = m.ci_["prior_weight"]
    assert lo < m.params_["prior_weight"] < hi


@pytest.mark.parametrize("X,y,match", [
    (np.column_stack([np.full(10, 0.5), np.arange(10.0)]), np.zeros(10, int), "rewarded side"),
    (np.column_stack([np.ones(10), np.ones(10)]), np.zeros(10, int), "constant"),
    (np.ones(10), np.zeros(10, int), "X"),
    (_blocks(10, 0), np.full(10, 3), "option indices"),
])
def test_bad_input_gives_clear_errors(X, y, match):
    with pytest.raises((ValueError, TypeError), match=match):
        PriorLearningChoiceModel().fit(X, y)


def test_bad_p0_and_groups():
    with pytest.raises(ValueError, match="p0"):
        PriorLearningChoiceModel(p0=1.0).fit(_blocks(10, 0), np.zeros(10, int))
    with pytest.raises(ValueError, match="groups must have shape"):
        PriorLearningChoiceModel().fit(_blocks(10, 0), np.zeros(10, int), groups=np.zeros(3))
