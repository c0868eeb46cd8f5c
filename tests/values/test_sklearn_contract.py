"""The choice models keep scikit-learn's estimator contract (issue 21 item 5).

Two layers:

1. ``parametrize_with_checks`` runs scikit-learn's own common checks on every model. The checks
   feed random real matrices with an arbitrary number of columns; a choice model's ``X`` has a
   task meaning (option values, offer quantities, rewards, state indices, rewarded side), so
   the checks that need such data to fit are declared as expected failures, each with its
   reason (``INAPPLICABLE`` below; the list is also in the guide).
2. The properties those inapplicable checks protect (clone, pickle, idempotent fits, inputs
   left unchanged, read-only and Fortran-ordered input, float32, subset and order invariance,
   the number of columns, ``classes_``) are tested here on each model's own valid data.
"""

from __future__ import annotations

import pickle

import numpy as np
import pytest
from sklearn.base import clone
from sklearn.exceptions import NotFittedError
from sklearn.utils.estimator_checks import parametrize_with_checks

from neuromop.mdp.model import FiniteMDP
from neuromop.values.choice_models import (
    QLearningChoiceModel,
    RelativeValueLogit,
    SoftmaxChoiceModel,
)
from neuromop.values.dra_choice_model import DRAChoiceModel
from neuromop.values.mdp_choice_models import MDPChoiceModel
from neuromop.values.prior_choice_model import PriorLearningChoiceModel
from neuromop.values.psychometric import PsychometricChoiceModel
from neuromop.values.two_step import TwoStepChoiceModel


def _chain(S: int = 6) -> FiniteMDP:
    P = np.zeros((S, 2, S))
    for s in range(S):
        P[s, 0, max(s - 1, 0)] += 0.8
        P[s, 0, s] += 0.2
        P[s, 1, min(s + 1, S - 1)] += 0.8
        P[s, 1, s] += 0.2
    R = np.zeros((S, 2))
    R[S - 1, :] = 1.0
    return FiniteMDP.from_dense(P, reward=R)


def _all_models():
    return [SoftmaxChoiceModel(n_restarts=1, random_state=0),
            RelativeValueLogit(n_restarts=1, random_state=0),
            QLearningChoiceModel(n_restarts=1, random_state=0),
            DRAChoiceModel(n_restarts=1, random_state=0),
            PriorLearningChoiceModel(n_restarts=1, random_state=0),
            MDPChoiceModel(_chain(), n_restarts=1, random_state=0),
            TwoStepChoiceModel(n_restarts=1, random_state=0),
            PsychometricChoiceModel(n_restarts=1, random_state=0)]


# -- 1. scikit-learn's common checks -------------------------------------------------------------
_GENERIC_X = ("the check fits on random real columns; X of {name} means {meaning}, which such "
              "data are not")
_MEANING = {
    "RelativeValueLogit": "two non-negative offer quantities [qA, qB]",
    "QLearningChoiceModel": "the reward of each trial (plus one covariate per action)",
    "DRAChoiceModel": "the reward of each trial (plus one covariate per action)",
    "PriorLearningChoiceModel": "[rewarded side (0/1), evidence features]",
    "MDPChoiceModel": "integer state indices of the MDP",
    "TwoStepChoiceModel": "[second-stage state (0/1), second-stage action (0/1), reward]",
    "PsychometricChoiceModel": "[contrast left, contrast right (>= 0), rewarded side (0/1)]",
}
_FIT_ON_GENERIC_DATA = [
    "check_fit_score_takes_y", "check_estimators_overwrite_params",
    "check_dont_overwrite_parameters", "check_estimators_fit_returns_self",
    "check_readonly_memmap_input", "check_n_features_in_after_fitting",
    "check_positive_only_tag_during_fit", "check_estimators_dtypes", "check_dtype_object",
    "check_pipeline_consistency", "check_estimators_nan_inf", "check_estimators_pickle",
    "check_f_contiguous_array_estimator", "check_methods_sample_order_invariance",
    "check_methods_subset_invariance", "check_fit2d_1sample", "check_fit2d_1feature",
    "check_dict_unchanged", "check_fit_idempotent", "check_fit_check_is_fitted",
    "check_n_features_in", "check_fit2d_predict1d",
]
_SEQUENTIAL_PREDICT = ("predict_proba of a learning model needs the past choices y (its values "
                       "are learned from them); called with X alone it stops at the signature")


def _inapplicable(estimator) -> dict[str, str]:
    name = type(estimator).__name__
    if name == "SoftmaxChoiceModel":
        # X = one column of values per option: generated labels 0..2 for 2 columns name an
        # option that does not exist
        reason = ("the check draws 3 labels for a 2-column X; X of SoftmaxChoiceModel has one "
                  "column per option, so label 2 names no option")
        return {c: reason for c in ("check_estimators_overwrite_params",
                                    "check_estimators_fit_returns_self",
                                    "check_readonly_memmap_input")}
    reason = _GENERIC_X.format(name=name, meaning=_MEANING[name])
    out = {c: reason for c in _FIT_ON_GENERIC_DATA}
    if name == "RelativeValueLogit":  # these four generate two columns, which it can read
        for c in ("check_fit2d_1feature", "check_fit_idempotent", "check_fit_check_is_fitted",
                  "check_n_features_in"):
            del out[c]
    if name in ("QLearningChoiceModel", "DRAChoiceModel", "TwoStepChoiceModel",
                "PsychometricChoiceModel"):
        out["check_estimators_unfitted"] = _SEQUENTIAL_PREDICT
    return out


INAPPLICABLE = {type(m).__name__: _inapplicable(m) for m in _all_models()}


@parametrize_with_checks(_all_models(), expected_failed_checks=_inapplicable)
def test_scikit_learn_common_checks(estimator, check):
    check(estimator)


# -- 2. the same properties on each model's own data ---------------------------------------------
def _reversal(t, a, rng):
    p = (0.8, 0.2) if (t // 40) % 2 == 0 else (0.2, 0.8)
    return float(rng.random() < p[a])


def _case(name: str):
    """(model, X, y, extra predict args, sequential-in-y) on valid data for ``name``."""
    rng = np.random.default_rng(3)
    if name == "softmax":
        X = rng.normal(size=(120, 3))
        p = np.exp(X / 0.5)
        p /= p.sum(axis=1, keepdims=True)
        y = (rng.random(120)[:, None] > p.cumsum(axis=1)).sum(axis=1)
        return SoftmaxChoiceModel(n_restarts=2, random_state=0), X, y, False
    if name == "relative_value":
        X = rng.integers(1, 7, size=(150, 2)).astype(float)
        pb = 1 / (1 + np.exp(-3 * (np.log(X[:, 1] / X[:, 0]) - np.log(2.0))))
        return RelativeValueLogit(n_restarts=2, random_state=0), X, (rng.random(150) < pb) * 1, \
            False
    if name == "q_learning":
        m = QLearningChoiceModel(n_restarts=2, random_state=0)
        X, y = m.simulate(_reversal, 160, random_state=1,
                          params={"alpha": 0.3, "temperature": 0.2})
        return m, X, y, True
    if name == "dra":
        m = DRAChoiceModel(n_restarts=1, random_state=0)
        X, y = m.simulate(_reversal, 120, random_state=1, params={"lambda_": 0.1, "beta": 5.0})
        return m, X, y, True
    if name == "prior":
        side = np.repeat(rng.integers(0, 2, 8), 20).astype(float)
        ev = np.where(side == 1, 1.0, -1.0) * rng.uniform(0, 1, side.size)
        X = np.column_stack([side, ev])
        m = PriorLearningChoiceModel(n_restarts=2, random_state=0)
        y = m.simulate(X, random_state=2, params={"alpha": 0.2, "prior_weight": 1.5,
                                                  "weight_0": 3.0, "bias": 0.0})
        return m, X, y, False
    if name == "mdp":
        m = MDPChoiceModel(_chain(), agent="maxent", n_restarts=1, random_state=0)
        X = rng.integers(0, 6, 150)
        return m, X, m.simulate(X, {"temperature": 0.3}, random_state=2), False
    if name == "two_step":
        m = TwoStepChoiceModel(n_restarts=1, random_state=0)
        X, y = m.simulate(150, random_state=1, params={
            "alpha1": 0.5, "alpha2": 0.5, "eligibility": 0.5, "temperature1": 0.2,
            "temperature2": 0.2, "perseveration": 0.05, "w": 0.5})
        return m, X, y, True
    if name == "psychometric":
        side = np.repeat(rng.integers(0, 2, 10), 20).astype(float)
        c = rng.choice([0.0, 0.125, 0.25, 1.0], side.size)
        X = np.column_stack([np.where(side == 0, c, 0.0), np.where(side == 1, c, 0.0), side])
        m = PsychometricChoiceModel(n_restarts=1, random_state=0)
        y = m.simulate(X, params={"contrast_weight": 3.0, "bias": 0.0, "contrast_power": 0.5,
                                  "lapse_left": 0.05, "lapse_right": 0.05, "action_rate": 0.2,
                                  "action_weight": 0.8}, random_state=2)
        return m, X, y, True
    raise KeyError(name)


CASES = ["softmax", "relative_value", "q_learning", "dra", "prior", "mdp", "two_step",
         "psychometric"]


def _proba(model, X, y, sequential):
    return model.predict_proba(X, y) if sequential else model.predict_proba(X)


@pytest.fixture(scope="module", params=CASES)
def fitted_case(request):
    model, X, y, seq = _case(request.param)
    return clone(model).fit(X, y), model, X, y, seq


def test_unfitted_model_raises_not_fitted_error(fitted_case):
    _, model, X, y, seq = fitted_case
    with pytest.raises(NotFittedError, match="not fitted"):
        _proba(clone(model), X, y, seq)


def test_fit_leaves_params_inputs_and_template_unchanged(fitted_case):
    _, model, X, y, _ = fitted_case
    template = clone(model)
    params = template.get_params()
    X0, y0 = X.copy(), y.copy()
    template.fit(X, y)
    assert template.get_params().keys() == params.keys()
    assert all(template.get_params()[k] is params[k] for k in params)
    np.testing.assert_array_equal(X, X0)
    np.testing.assert_array_equal(y, y0)


def test_fit_is_idempotent_and_clone_refits_identically(fitted_case):
    fitted, model, X, y, _ = fitted_case
    again = clone(fitted).fit(X, y)
    assert again.params_ == pytest.approx(fitted.params_, rel=1e-10)
    twice = again.fit(X, y)
    assert twice.params_ == pytest.approx(fitted.params_, rel=1e-10)


def test_predict_leaves_the_fitted_state_unchanged(fitted_case):
    fitted, _, X, y, seq = fitted_case
    state = {k: (v.copy() if isinstance(v, np.ndarray) else v) for k, v in vars(fitted).items()}
    _proba(fitted, X, y, seq)
    fitted.predict(X, y) if seq else fitted.predict(X)
    fitted.score(X, y)
    assert vars(fitted).keys() == state.keys()
    for k, v in state.items():
        assert np.array_equal(vars(fitted)[k], v) if isinstance(v, np.ndarray) else True


def test_pickle_round_trip_predicts_the_same(fitted_case):
    fitted, _, X, y, seq = fitted_case
    restored = pickle.loads(pickle.dumps(fitted))
    np.testing.assert_array_equal(_proba(restored, X, y, seq), _proba(fitted, X, y, seq))


def test_classes_features_and_predict(fitted_case):
    fitted, _, X, y, seq = fitted_case
    p = _proba(fitted, X, y, seq)
    np.testing.assert_array_equal(fitted.classes_, np.arange(p.shape[1]))
    assert fitted.n_features_in_ == (1 if np.ndim(X) == 1 else np.shape(X)[1])
    assert np.allclose(p.sum(axis=1), 1.0)
    pred = fitted.predict(X, y) if seq else fitted.predict(X)
    np.testing.assert_array_equal(pred, p.argmax(axis=1))


def test_readonly_fortran_and_float32_inputs_give_the_same_answer(fitted_case):
    fitted, _, X, y, seq = fitted_case
    ref = _proba(fitted, X, y, seq)
    ro = np.array(X)
    ro.setflags(write=False)
    np.testing.assert_allclose(_proba(fitted, ro, y, seq), ref)
    if np.ndim(X) == 2:
        np.testing.assert_allclose(_proba(fitted, np.asfortranarray(X), y, seq), ref)
    if np.asarray(X).dtype.kind == "f":
        np.testing.assert_allclose(_proba(fitted, np.asarray(X, np.float32), y, seq), ref,
                                   rtol=1e-5, atol=1e-6)


def test_wrong_number_of_columns_is_refused(fitted_case):
    fitted, _, X, y, seq = fitted_case
    X2 = np.asarray(X)
    X2 = X2[:, None] if X2.ndim == 1 else X2
    wider = np.column_stack([X2, X2[:, :1]])
    with pytest.raises(ValueError, match=rf"X has {X2.shape[1] + 1} features, but "
                                         rf"{type(fitted).__name__} is expecting"):
        _proba(fitted, wider, y, seq)


@pytest.mark.parametrize("name", ["softmax", "relative_value", "mdp"])
def test_trial_independent_models_are_order_and_subset_invariant(name):
    model, X, y, _ = _case(name)
    fitted = model.fit(X, y)
    ref = fitted.predict_proba(X)
    order = np.random.default_rng(0).permutation(len(y))
    np.testing.assert_allclose(fitted.predict_proba(np.asarray(X)[order]), ref[order])
    np.testing.assert_allclose(fitted.predict_proba(np.asarray(X)[:7]), ref[:7])


def test_fit_without_y_names_y():
    with pytest.raises(ValueError, match="requires y to be passed"):
        SoftmaxChoiceModel().fit(np.zeros((5, 2)), None)


def test_every_expected_failure_has_a_reason():
    assert set(INAPPLICABLE) == {type(m).__name__ for m in _all_models()}
    for reasons in INAPPLICABLE.values():
        assert all(isinstance(r, str) and len(r) > 40 for r in reasons.values())
