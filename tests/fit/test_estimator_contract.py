"""The fitting estimators keep scikit-learn's construction contract (issue 21 item 5).

They take xarray datasets or transition tables, not ``(X, y)`` matrices, so scikit-learn's
common checks do not apply; what does apply is tested here: ``__init__`` only stores its
arguments (validation happens in ``fit``), ``get_params`` / ``set_params`` / ``clone`` round
trip, a clone refits to the same answer, and using an unfitted estimator raises
``NotFittedError``.
"""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.base import clone
from sklearn.exceptions import NotFittedError

from neuromop.fit import RateRNNRegressor
from neuromop.fit.baselines import (
    LinearDynamicalBaseline,
    PSTHBaseline,
    simulate_teacher_dataset,
)
from neuromop.fit.spiking_model import SpikingObservationModel, Transitions


@pytest.fixture(scope="module")
def dataset():
    ds, _ = simulate_teacher_dataset(n_trials=24, n_time=12, n_units=4, n_neurons=5,
                                     random_state=0)
    return ds


def _transitions(n=60, seed=0):
    rng = np.random.default_rng(seed)
    obs = rng.uniform(2, 20, (n, 2))
    act = rng.uniform(0, 0.03, (n, 2))
    aux = np.zeros((n, 1))
    return Transitions(obs=obs, action=act, action_index=np.zeros(n, int),
                       next_obs=obs + 50 * act, rate=10 + 100 * act[:, 0], aux=aux,
                       next_aux=aux, terminal=np.zeros(n, bool), initial_obs=obs[:5])


DATASET_ESTIMATORS = {
    "rnn": lambda: RateRNNRegressor(4, max_epochs=3, random_state=0),
    "psth": lambda: PSTHBaseline(),
    "lds": lambda: LinearDynamicalBaseline(n_latents=2),
}


@pytest.mark.parametrize("name", [*DATASET_ESTIMATORS, "spiking"])
def test_get_set_params_and_clone_round_trip(name):
    est = (SpikingObservationModel(hidden=(8,), max_epochs=2) if name == "spiking"
           else DATASET_ESTIMATORS[name]())
    params = est.get_params()
    twin = clone(est)
    assert type(twin) is type(est) and twin.get_params() == params
    key = next(iter(params))
    assert est.set_params(**{key: params[key]}) is est


@pytest.mark.parametrize("name", list(DATASET_ESTIMATORS))
def test_unfitted_dataset_estimators_raise_not_fitted(name, dataset):
    est = DATASET_ESTIMATORS[name]()
    with pytest.raises(NotFittedError, match="not fitted"):
        est.score(dataset)
    with pytest.raises(NotFittedError, match="not fitted"):
        est.predict(dataset)


@pytest.mark.parametrize("name", list(DATASET_ESTIMATORS))
def test_a_clone_refits_to_the_same_score(name, dataset):
    est = DATASET_ESTIMATORS[name]().fit(dataset)
    again = clone(est).fit(dataset)
    assert again.score(dataset) == pytest.approx(est.score(dataset), rel=1e-6)


def test_spiking_model_checks_its_arguments_at_fit_not_at_construction():
    est = SpikingObservationModel(hidden=())  # stored as given: clone and set_params work
    assert clone(est).get_params()["hidden"] == ()
    with pytest.raises(ValueError, match="hidden must hold at least one width"):
        est.fit(_transitions())
    with pytest.raises(ValueError, match="learning_rate"):
        SpikingObservationModel(learning_rate=-1.0).fit(_transitions())


def test_unfitted_spiking_model_raises_not_fitted():
    import torch

    with pytest.raises(NotFittedError, match="not fitted"):
        SpikingObservationModel().predict_distribution(torch.zeros(1, 2), torch.zeros(3, 2))
