"""The two-step task: hybrid MB/MF likelihood against a trial loop, signatures, recovery, values."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.special import logsumexp
from sklearn.base import clone

from neuromop.values import (
    TwoStepChoiceModel,
    two_step_pseudo_sampler,
    two_step_reward_probabilities,
    two_step_stay_probabilities,
    two_step_values,
)

PARAMS = {"alpha1": 0.5, "alpha2": 0.5, "eligibility": 0.6, "temperature1": 0.2,
          "temperature2": 0.2, "perseveration": 0.05, "w": 0.5}


def _loop_loglik(X, y, groups, par, p_common=0.7, q0=0.5):
    """Daw et al. (2011) written trial by trial: SARSA(lambda) + model-based + perseveration."""
    out = np.empty(len(y))
    for t in range(len(y)):
        if t == 0 or groups[t] != groups[t - 1]:
            q1, q2, prev = np.full(2, q0), np.full((2, 2), q0), None
        s, b, r = int(X[t, 0]), int(X[t, 1]), X[t, 2]
        a = int(y[t])
        mb = [p_common * q2[0].max() + (1 - p_common) * q2[1].max(),
              p_common * q2[1].max() + (1 - p_common) * q2[0].max()]
        u = np.array([par["w"] * mb[k] + (1 - par["w"]) * q1[k]
                      + par["perseveration"] * (prev == k) for k in range(2)])
        z1, z2 = u / par["temperature1"], q2[s] / par["temperature2"]
        out[t] = z1[a] - logsumexp(z1) + z2[b] - logsumexp(z2)
        delta1 = q2[s, b] - q1[a]          # at the transition, before the outcome
        q1[a] += par["alpha1"] * delta1
        delta2 = r - q2[s, b]
        q2[s, b] += par["alpha2"] * delta2
        q1[a] += par["alpha1"] * par["eligibility"] * delta2
        prev = a
    return out


@pytest.fixture(scope="module")
def sessions():
    m = TwoStepChoiceModel()
    parts = [m.simulate(200, params=PARAMS, random_state=k) for k in range(3)]
    X = np.concatenate([p[0] for p in parts])
    y = np.concatenate([p[1] for p in parts])
    return X, y, np.repeat(["a", "b", "c"], 200)


@pytest.mark.parametrize("model", ["hybrid", "model_free", "model_based"])
def test_likelihood_matches_a_trial_loop(sessions, model):
    X, y, groups = sessions
    fitted = TwoStepChoiceModel(model=model, n_restarts=1, random_state=0).fit(X, y, groups)
    full = {**{"alpha1": 0.0, "eligibility": 0.0, "perseveration": 0.0,
               "w": {"model_free": 0.0, "model_based": 1.0}.get(model)}, **fitted.params_}
    np.testing.assert_allclose(fitted.loglik_trials(X, y, groups),
                               _loop_loglik(X, y, groups, full), atol=1e-10)
    assert fitted.loglik_ == pytest.approx(_loop_loglik(X, y, groups, full).sum(), abs=1e-8)


def test_fixed_eligibility_and_no_perseveration_drop_their_parameters(sessions):
    X, y, groups = sessions
    m = TwoStepChoiceModel(eligibility=1.0, perseveration=False, n_restarts=1,
                           random_state=0).fit(X, y, groups)
    assert set(m.params_) == {"alpha1", "alpha2", "temperature1", "temperature2", "w"}
    full = {**m.params_, "eligibility": 1.0, "perseveration": 0.0}
    np.testing.assert_allclose(m.loglik_trials(X, y, groups), _loop_loglik(X, y, groups, full),
                               atol=1e-10)


# stay-probability signatures, checked on seeds 0-2 at 1,000 trials: model-free main effect of
# reward 0.22-0.31 with |interaction| <= 0.06; model-based interaction 0.39-0.43 with
# |main effect| <= 0.05
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_stay_signatures_of_model_free_and_model_based_agents(seed):
    m = TwoStepChoiceModel()
    tables = {w: two_step_stay_probabilities(*m.simulate(1000, params={**PARAMS, "w": w},
                                                         random_state=seed)).to_numpy()
              for w in (0.0, 1.0)}
    main = {w: t[1].mean() - t[0].mean() for w, t in tables.items()}
    inter = {w: (t[1, 0] - t[1, 1]) - (t[0, 0] - t[0, 1]) for w, t in tables.items()}
    assert main[0.0] > 0.15 and abs(inter[0.0]) < 0.1
    assert inter[1.0] > 0.25 and abs(main[1.0]) < 0.1


def test_stay_table_counts_every_pair_of_consecutive_trials_in_a_session(sessions):
    X, y, groups = sessions
    table = two_step_stay_probabilities(X, y, groups)
    assert sum(sum(col.values()) for col in table.attrs["n"].values()) == len(y) - 3
    assert table.index.name == "rewarded" and list(table.columns) == ["common", "rare"]


def test_parameters_recovered_within_their_intervals():
    """1,500 trials in 3 sessions: every true parameter inside its 95 % Wald interval, and the
    hybrid beats the pure model-free fit by BIC (measured: w = 0.58 [0.48, 0.67], BIC 2,861.7
    vs 2,923.6)."""
    m = TwoStepChoiceModel()
    parts = [m.simulate(500, params=PARAMS, random_state=10 + k) for k in range(3)]
    X = np.concatenate([p[0] for p in parts])
    y = np.concatenate([p[1] for p in parts])
    groups = np.repeat([0, 1, 2], 500)
    fit = TwoStepChoiceModel(n_restarts=3, random_state=0).fit(X, y, groups)
    for name, value in PARAMS.items():
        lo, hi = fit.ci_[name]
        assert lo <= value <= hi, (name, fit.params_[name], (lo, hi))
    mf = TwoStepChoiceModel(model="model_free", n_restarts=3, random_state=0).fit(X, y, groups)
    assert fit.bic_ < mf.bic_


def test_values_are_learned_and_soft_equals_true_plus_entropy(sessions):
    X, y, groups = sessions
    m = TwoStepChoiceModel(n_restarts=1, random_state=0).fit(X, y, groups)
    v = two_step_values(m, X, y, groups)
    tau = m.params_["temperature1"]
    np.testing.assert_allclose(v.value_soft, v.value_true + tau * v.policy_entropy, atol=1e-12)
    assert float(v.value_true[0]) == pytest.approx(0.5)  # q0 before the first choice
    assert float(v.value_soft.std()) > 0.01                # learned: changes trial by trial
    np.testing.assert_allclose(v.policy.values, m.predict_proba(X, y, groups))
    assert v.common.values.mean() == pytest.approx(0.7, abs=0.06)
    assert v.attrs["value_units"] == "reward units"


def test_pseudo_sampler_resimulates_sessions_of_the_recorded_length(sessions):
    X, y, groups = sessions
    m = TwoStepChoiceModel(n_restarts=1, random_state=0).fit(X, y, groups)
    sample = two_step_pseudo_sampler(m, 200)
    a, b = sample(np.random.default_rng(0)), sample(np.random.default_rng(1))
    assert a["soft"].shape == (200,) and a["true"].shape == (200,)
    assert not np.allclose(a["soft"], b["soft"])


def test_reward_probabilities_stay_in_bounds_and_drift():
    p = two_step_reward_probabilities(5000, step_sd=0.05, random_state=0)
    assert p.min() >= 0.25 and p.max() <= 0.75
    assert np.abs(np.diff(p, axis=0)).max() <= 0.05 * 6  # Gaussian steps, reflected
    assert p.std(axis=0).min() > 0.05  # each walk wanders over the range


def test_simulate_refuses_probabilities_of_the_wrong_shape():
    with pytest.raises(ValueError, match="reward_probabilities"):
        TwoStepChoiceModel().simulate(5, reward_probabilities=np.full((4, 2, 2), 0.5),
                                      params=PARAMS)


def test_clone_keeps_the_options():
    m = TwoStepChoiceModel(model="model_based", eligibility=0.3, perseveration=False)
    assert clone(m).get_params() == m.get_params()
