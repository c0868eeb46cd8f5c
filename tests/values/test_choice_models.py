"""Choice models: likelihoods against explicit formulas, recovery, CIs, model comparison, errors."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest
from sklearn.exceptions import NotFittedError

from neuromop._recursions import _linear_recursion
from neuromop.values.choice_models import (
    QLearningChoiceModel,
    RelativeValueLogit,
    SoftmaxChoiceModel,
    compare_models,
    cross_validated_loglik,
)

OFC_PAIRS = np.array([[1, 0], [3, 4], [2, 3], [4, 6], [4, 8], [2, 5], [3, 10], [2, 8], [1, 4],
                      [1, 6], [0, 3], [1, 2], [1, 3]], dtype=float)


def _reversal_rewards(p_high=0.8, block=50):
    def rewards(t, a, rng):
        p = (p_high, 1 - p_high) if (t // block) % 2 == 0 else (1 - p_high, p_high)
        return float(rng.random() < p[a])
    return rewards


_qa, _qb = np.meshgrid(np.arange(1, 7), np.arange(1, 13), indexing="ij")
GRID_PAIRS = np.column_stack([_qa.ravel(), _qb.ravel()]).astype(float)
GRID_PAIRS = GRID_PAIRS[np.abs(np.log(GRID_PAIRS[:, 1] / GRID_PAIRS[:, 0]) - math.log(2)) < 1.0]


def _simulate_logit(form, rho, eta, n, seed, pairs=OFC_PAIRS):
    rng = np.random.default_rng(seed)
    X = pairs[rng.integers(0, len(pairs), n)]
    with np.errstate(divide="ignore"):
        x = (eta * (np.log(X[:, 1] / X[:, 0]) - math.log(rho)) if form == "log"
             else eta * (X[:, 1] - rho * X[:, 0]))
    y = (rng.random(n) < 1 / (1 + np.exp(-x))).astype(int)
    return X, y


def test_softmax_loglik_matches_explicit_formula():
    rng = np.random.default_rng(1)
    V = rng.normal(size=(40, 3))
    y = rng.integers(0, 3, 40)
    m = SoftmaxChoiceModel(random_state=0).fit(V, y)
    tau = m.params_["temperature"]
    ref = sum(V[t, y[t]] / tau - math.log(sum(math.exp(v / tau) for v in V[t])) for t in range(40))
    assert m.loglik_ == pytest.approx(ref, rel=1e-9)
    assert m.aic_ == pytest.approx(2 - 2 * ref)
    assert m.bic_ == pytest.approx(math.log(40) - 2 * ref)
    assert m.score(V, y) == pytest.approx(ref / 40)


def test_softmax_standard_error_matches_fisher_information():
    # two options: P(1) = sigmoid(d / tau); Fisher information of beta = 1/tau is sum p(1-p) d^2
    rng = np.random.default_rng(2)
    V = rng.uniform(0, 3, size=(400, 2))
    d = V[:, 1] - V[:, 0]
    y = (rng.random(400) < 1 / (1 + np.exp(-d / 0.7))).astype(int)
    m = SoftmaxChoiceModel(random_state=0).fit(V, y)
    tau = m.params_["temperature"]
    p = 1 / (1 + np.exp(-d / tau))
    se_beta = 1 / math.sqrt(np.sum(p * (1 - p) * d**2))
    assert m.se_["temperature"] == pytest.approx(tau**2 * se_beta, rel=0.02)
    lo, hi = m.ci_["temperature"]
    assert lo < tau < hi


def test_linear_relative_value_logit_equals_softmax_on_offer_values():
    X, y = _simulate_logit("linear", 2.0, 1.5, 300, 3)
    lin = RelativeValueLogit(form="linear", exclude_forced=False, random_state=0).fit(X, y)
    values = np.column_stack([lin.params_["rho"] * X[:, 0], X[:, 1]])
    soft = SoftmaxChoiceModel(random_state=0).fit(values, y)
    assert soft.params_["temperature"] == pytest.approx(lin.temperature_, rel=1e-3)
    assert soft.loglik_ == pytest.approx(lin.loglik_, abs=1e-6)


@pytest.mark.parametrize("form", ["log", "linear"])
def test_relative_value_recovers_rho_and_steepness(form):
    rho, eta = 2.2, (6.0 if form == "log" else 2.0)
    X, y = _simulate_logit(form, rho, eta, 3000, 4)
    m = RelativeValueLogit(form=form, random_state=0).fit(X, y)
    assert m.params_["rho"] == pytest.approx(rho, rel=0.08)
    assert m.params_["steepness"] == pytest.approx(eta, rel=0.15)
    assert m.ci_["rho"][0] < rho < m.ci_["rho"][1]
    assert m.n_forced_ == int(np.sum((X == 0).any(axis=1)))


def test_softmax_temperature_recovery_correlation():
    rng = np.random.default_rng(5)
    true, fitted = [], []
    for _ in range(10):
        tau = rng.uniform(0.2, 2.0)
        V = rng.uniform(0, 5, size=(300, 3))
        z = V / tau
        p = np.exp(z - z.max(1, keepdims=True))
        p /= p.sum(1, keepdims=True)
        y = (rng.random(300)[:, None] > np.cumsum(p, 1)).sum(1)
        true.append(tau)
        model = SoftmaxChoiceModel(n_restarts=2, random_state=0).fit(V, y)
        fitted.append(model.params_["temperature"])
    assert np.corrcoef(true, fitted)[0, 1] >= 0.9


def _slow_q(y, r, starts, alpha, q0, K, phi=0.0):
    Q = np.empty((len(y), K))
    q = np.full(K, q0)
    for t in range(len(y)):
        if starts[t]:
            q = np.full(K, q0)
        Q[t] = q
        for a in range(K):
            if a != y[t]:
                q[a] += phi * (q0 - q[a])
        q[y[t]] += alpha * (r[t] - q[y[t]])
    return Q


@pytest.mark.parametrize(("K", "forgetting", "theta", "phi"), [
    (2, "none", [0.37, 0.2], 0.0), (3, "none", [0.37, 0.2], 0.0),
    (2, "equal", [0.37, 0.2], 0.37), (3, "equal", [0.37, 0.2], 0.37),
    (2, "free", [0.37, 0.2, 0.08], 0.08), (3, "free", [0.37, 0.2, 1.0], 1.0),
])
def test_vectorised_q_values_match_loop(K, forgetting, theta, phi):
    rng = np.random.default_rng(6)
    n = 200
    y = rng.integers(0, K, n)
    r = rng.random(n)
    groups = np.repeat([0, 1, 2], [70, 60, 70])
    m = QLearningChoiceModel(n_actions=K, q0=0.3, forgetting=forgetting)
    data = m._prepare(r[:, None], y, groups)
    np.testing.assert_allclose(m._q_values(np.array(theta), data),
                               _slow_q(y, r, data["starts"], 0.37, 0.3, K, phi), atol=1e-12)


@pytest.mark.parametrize("n", [1, 7, 8, 9, 64, 65, 1000])
def test_linear_recursion_matches_loop(n):
    rng = np.random.default_rng(n)
    coef = np.where(rng.random(n) < 0.2, 0.0, rng.uniform(0, 1, n))  # exact zeros as well
    drive = rng.normal(size=n)
    starts = rng.random(n) < 0.05
    starts[0] = True
    x, v = np.empty(n), 0.3
    for t in range(n):
        v = 0.3 if starts[t] else v
        x[t] = v
        v = coef[t] * v + drive[t]
    np.testing.assert_allclose(_linear_recursion(coef, drive, 0.3, starts), x, atol=1e-12)


def test_forgetting_likelihood_matches_a_trial_loop():
    """The fitted log-likelihood with free forgetting, covariates and bias equals a plain loop."""
    rng = np.random.default_rng(1)
    cov = rng.uniform(0, 1, (300, 2))
    params = {"alpha": 0.3, "temperature": 0.2, "forgetting": 0.1, "weight": 1.0, "bias_1": 0.1}
    m = QLearningChoiceModel(covariate=True, bias=True, forgetting="free", n_restarts=1,
                             random_state=0)
    X, y = m.simulate(_reversal_rewards(), 300, covariates=cov, random_state=2, params=params)
    groups = np.repeat([0, 1], 150)
    m.fit(X, y, groups)
    p = m.params_
    starts = np.r_[True, groups[1:] != groups[:-1]]
    Q = _slow_q(y, X[:, 0], starts, p["alpha"], 0.5, 2, p["forgetting"])
    u = (Q + p["weight"] * X[:, 1:] + np.array([0.0, p["bias_1"]])) / p["temperature"]
    ll = np.sum(u[np.arange(300), y] - np.log(np.exp(u).sum(1)))
    assert m.loglik_ == pytest.approx(ll, abs=1e-8)


def _action_kernel_sessions(seed, n_sessions=3, n=500, rate=1 / 6, kernel_weight=1.5):
    """A psychometric agent with an exponential kernel over its own past choices (no value
    learning), rewarded for the side of the stimulus, which is drawn at random: both sides are
    rewarded equally often, so reward history alone carries no side preference."""
    rng = np.random.default_rng(seed)
    X, y = np.zeros((n_sessions * n, 3)), np.zeros(n_sessions * n, np.int64)
    kernel = 0.0
    for t in range(n_sessions * n):
        kernel = 0.0 if t % n == 0 else kernel
        side = rng.integers(0, 2)
        X[t, 1 + side] = rng.choice([0.0, 0.0625, 0.125, 0.25, 1.0]) ** 0.5
        z = 4.0 * (X[t, 2] - X[t, 1]) + kernel_weight * kernel
        y[t] = rng.random() < 1.0 / (1.0 + np.exp(-z))
        X[t, 0] = float(y[t] == side)
        kernel += rate * ((2 * y[t] - 1) - kernel)
    return X, y, np.repeat(np.arange(n_sessions), n)


def test_forgetting_gives_an_identified_learning_rate_where_the_delta_rule_has_none():
    """Measured (seeds 0-5): without forgetting the fit ends at alpha 1e-6 to 0.11 (0 with a
    degenerate interval on seed 0); with forgetting="equal" (same number of parameters) alpha
    0.03-0.21 with finite intervals, and 5.6-20 nats more on seeds 1-5 (3 fewer on seed 0). The
    agent's kernel rate is 1/6; a reward-driven learner sees the kernel only through the
    rewarded choices."""
    X, y, groups = _action_kernel_sessions(1)
    fits = {f: QLearningChoiceModel(covariate=True, bias=True, forgetting=f, n_restarts=2,
                                    random_state=0).fit(X, y, groups)
            for f in ("none", "equal")}
    assert fits["equal"].loglik_ > fits["none"].loglik_ + 2.0
    low, high = fits["equal"].ci_["alpha"]
    assert 0.0 < low < fits["equal"].params_["alpha"] < high < 0.5


def test_equal_forgetting_is_the_rewarded_side_prior_on_two_choices_with_binary_rewards():
    """With two actions, rewards 0/1 and q0 = 0.5, Q_right - Q_left under forgetting at the
    learning rate moves toward +-0.5 by the rewarded side, whatever was chosen: the model is
    PriorLearningChoiceModel on the rewarded side (k = 1 / (2 tau), weight_0 = w / tau)."""
    from neuromop.values import PriorLearningChoiceModel

    X, y, groups = _action_kernel_sessions(2)
    rewarded_right = np.where(X[:, 0] == 1, y, 1 - y).astype(float)
    q = QLearningChoiceModel(covariate=True, bias=True, forgetting="equal", n_restarts=2,
                             random_state=0).fit(X, y, groups)
    prior = PriorLearningChoiceModel(n_restarts=2, random_state=0).fit(
        np.column_stack([rewarded_right, X[:, 2] - X[:, 1]]), y, groups)
    assert q.loglik_ == pytest.approx(prior.loglik_, abs=1e-5)
    assert q.params_["alpha"] == pytest.approx(prior.params_["alpha"], rel=1e-3)
    tau = q.params_["temperature"]
    assert prior.params_["prior_weight"] == pytest.approx(1 / (2 * tau), rel=1e-3)
    assert prior.params_["weight_0"] == pytest.approx(q.params_["weight"] / tau, rel=1e-3)


@pytest.mark.slow
def test_q_learning_recovery_correlation():
    rng = np.random.default_rng(7)
    true, fitted = [], []
    for i in range(10):
        a, tau = rng.uniform(0.05, 0.8), rng.uniform(0.05, 0.4)
        X, y = QLearningChoiceModel().simulate(_reversal_rewards(), 500, random_state=100 + i,
                                               params={"alpha": a, "temperature": tau})
        fit = QLearningChoiceModel(n_restarts=3, random_state=0).fit(X, y)
        true.append([a, tau])
        fitted.append([fit.params_["alpha"], fit.params_["temperature"]])
    true, fitted = np.array(true), np.array(fitted)
    assert np.corrcoef(true[:, 0], fitted[:, 0])[0, 1] >= 0.9
    assert np.corrcoef(true[:, 1], fitted[:, 1])[0, 1] >= 0.9


def test_q_learning_fit_and_predict_shapes():
    X, y = QLearningChoiceModel().simulate(_reversal_rewards(), 300, random_state=8,
                                           params={"alpha": 0.4, "temperature": 0.15})
    m = QLearningChoiceModel(n_restarts=2, random_state=0).fit(X, y)
    assert m.params_["alpha"] == pytest.approx(0.4, abs=0.2)
    p = m.predict_proba(X, y)
    assert p.shape == (300, 2)
    np.testing.assert_allclose(p.sum(1), 1.0)
    assert m.values(X, y).shape == (300, 2)


@pytest.mark.parametrize("form", ["log", "linear"])
def test_model_comparison_picks_generating_form(form):
    # offers spanning a range of magnitudes at each ratio make the two forms distinguishable
    # (with one session's 11 offer pairs they are not always: see analysis/value_recovery.py)
    picks = 0
    for seed in range(10):
        X, y = _simulate_logit(form, 2.0, 6.0 if form == "log" else 1.5, 300, 100 + seed,
                               pairs=GRID_PAIRS)
        table = compare_models({"log": RelativeValueLogit(form="log", n_restarts=2, random_state=0),
                                "linear": RelativeValueLogit(form="linear", n_restarts=2,
                                                             random_state=0)}, y, X=X, cv=None)
        picks += bool(table.loc[form, "best_bic"])
    assert picks >= 9


def test_cross_validated_loglik_sums_folds_and_beats_chance():
    X, y = _simulate_logit("linear", 2.0, 1.5, 300, 9)
    cv = cross_validated_loglik(RelativeValueLogit(form="linear", random_state=0), X, y, cv=5)
    assert cv.total == pytest.approx(cv.folds.sum())
    assert cv.per_trial > math.log(0.5)
    fitted = RelativeValueLogit(form="linear", random_state=0).fit(X, y)
    assert cv.total <= fitted.loglik_


def test_held_out_scoring_fits_no_hessian_and_warns_only_on_the_full_fit():
    # rewards all 0 with q0 = 0: the values never move, so the learning rate is not identified
    rng = np.random.default_rng(4)
    y, X = rng.integers(0, 2, 200), np.zeros((200, 1))
    model = QLearningChoiceModel(n_actions=2, q0=0.0, n_restarts=1, random_state=0)
    with pytest.warns(RuntimeWarning, match="not positive definite"):
        model.fit(X, y)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # the folds need only the optimum, not its Hessian
        cv = cross_validated_loglik(model, X, y, cv=4)
    assert np.isfinite(cv.folds).all() and cv.folds.size == 4


def test_cross_validation_by_groups_needs_groups():
    X, y = _simulate_logit("linear", 2.0, 1.5, 100, 10)
    with pytest.raises(ValueError, match="groups"):
        cross_validated_loglik(RelativeValueLogit(form="linear"), X, y, cv="groups")


def test_bootstrap_interval_contains_estimate():
    X, y = _simulate_logit("linear", 2.0, 1.5, 300, 11)
    m = RelativeValueLogit(form="linear", n_restarts=1, random_state=0).fit(X, y)
    ci = m.bootstrap(X, y, n_boot=20, random_state=0)
    assert ci["rho"][0] < m.params_["rho"] < ci["rho"][1]


def test_unidentified_temperature_warns_not_silent():
    V = np.column_stack([np.zeros(50), np.ones(50)])
    y = np.ones(50, int)  # always the better option: temperature -> 0, Hessian degenerate
    with warnings.catch_warnings(record=True) as rec:
        warnings.simplefilter("always")
        m = SoftmaxChoiceModel(random_state=0).fit(V, y)
    assert any("not positive definite" in str(w.message) for w in rec) or np.isfinite(
        m.se_["temperature"])


@pytest.mark.parametrize(
    ("model", "X", "y", "error", "match"),
    [
        (SoftmaxChoiceModel(), np.ones((5, 2)), [0, 1, 0, 1, 0], ValueError, "constant"),
        (SoftmaxChoiceModel(), np.eye(3), [0, 1], ValueError, "3 entries"),
        (SoftmaxChoiceModel(), np.eye(3), [0.5, 1, 0], TypeError, "integer"),
        (SoftmaxChoiceModel(), np.eye(3), [0, 3, 1], ValueError, "option indices"),
        (RelativeValueLogit(), np.ones((4, 3)), [0, 1, 0, 1], ValueError, r"\(n_trials, 2\)"),
        (RelativeValueLogit(), np.tile([1.0, 2.0], (4, 1)), [0, 1, 0, 1], ValueError, "ratios"),
        (RelativeValueLogit(form="cubic"), OFC_PAIRS, np.zeros(13, int), ValueError, "form"),
        (QLearningChoiceModel(covariate=True), np.ones((4, 1)), [0, 1, 0, 1], ValueError, "shape"),
        (QLearningChoiceModel(forgetting="yes"), np.ones((4, 1)), [0, 1, 0, 1], ValueError,
         "forgetting"),
    ],
)
def test_bad_input_raises_clear_errors(model, X, y, error, match):
    with pytest.raises(error, match=match):
        model.fit(X, y)


def test_predict_before_fit_raises():
    with pytest.raises(NotFittedError, match="not fitted"):
        SoftmaxChoiceModel().predict_proba(np.eye(2))


def _noisy_chain(S=6):
    from neuromop.mdp.model import FiniteMDP

    P = np.zeros((S, 3, S))
    for s in range(S):
        P[s, 0, max(s - 1, 0)] += 0.8
        P[s, 0, s] += 0.2
        P[s, 1, min(s + 1, S - 1)] += 0.8
        P[s, 1, s] += 0.2
        P[s, 2, max(s - 1, 0)] += 0.5
        P[s, 2, min(s + 1, S - 1)] += 0.5
    R = np.zeros((S, 3))
    R[S - 1, :] = 1.0
    return FiniteMDP.from_dense(P, reward=R)


def test_mdp_maxent_temperature_recovery():
    pytest.importorskip("neuromop.mdp.solvers")
    from neuromop.values.mdp_choice_models import MDPChoiceModel

    mdp = _noisy_chain()
    rng = np.random.default_rng(12)
    true, fitted = [], []
    for _ in range(6):
        tau = rng.uniform(0.05, 0.5)
        states = rng.integers(0, 6, 300)
        y = MDPChoiceModel(mdp, agent="maxent").simulate(states, {"temperature": tau}, rng)
        m = MDPChoiceModel(mdp, agent="maxent", n_restarts=2, random_state=0).fit(states, y)
        true.append(tau)
        fitted.append(m.params_["temperature"])
    assert np.corrcoef(true, fitted)[0, 1] >= 0.9


@pytest.mark.parametrize("generating", ["maxent", "mop"])
def test_mdp_model_comparison_picks_generating_agent(generating):
    pytest.importorskip("neuromop.mdp.solvers")
    from neuromop.values.mdp_choice_models import MDPChoiceModel

    mdp = _noisy_chain()
    rng = np.random.default_rng(13)
    states = rng.integers(0, 6, 300)
    y = MDPChoiceModel(mdp, agent=generating).simulate(states, {"temperature": 0.2, "beta": 1.0},
                                                       rng)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        table = compare_models({a: MDPChoiceModel(mdp, agent=a, n_restarts=2, random_state=0)
                                for a in ("maxent", "mop")}, y, X=states, cv=None)
    assert table.loc[generating, "best_bic"]


def test_mdp_choice_model_rejects_inadmissible_action():
    pytest.importorskip("neuromop.mdp.solvers")
    from neuromop.mdp.model import FiniteMDP
    from neuromop.values.mdp_choice_models import MDPChoiceModel

    P = np.zeros((2, 2, 2))
    P[0, 0, 1] = P[1, 0, 0] = 1.0
    P[0, 1, 0] = 1.0
    mask = np.array([[True, True], [True, False]])
    mdp = FiniteMDP.from_dense(P, action_mask=mask, reward=np.ones((2, 2)))
    with pytest.raises(ValueError, match="not admissible"):
        MDPChoiceModel(mdp).fit(np.array([0, 1]), np.array([1, 1]))
