"""Noise-averaged MOP / R backups on a learned spiking model (no Brian2 needed)."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from scipy.stats import norm

from neuromop.control import NeuroMOPController, RewardController
from neuromop.control.noisy import NoisyNeuroMOPController, NoisyRewardController
from neuromop.envs.spiking.designs import energy_candidate_actions
from neuromop.envs.spiking.terminal import SpikingEnergyBudget
from neuromop.fit.spiking_model import SpikingModelEnv, SpikingObservationModel, Transitions

CAND = energy_candidate_actions(0.03, 3)
PERIOD = 20.0
BUDGET, THRESHOLD, TAU = 0.6, 10.0, 0.5


@pytest.fixture(scope="module")
def menv():
    rng = np.random.default_rng(0)
    n = 600
    obs = rng.uniform(2, 20, (n, 2))
    idx = rng.integers(0, len(CAND), n)
    act = CAND[idx]
    nxt = obs + np.stack([100 * act[:, 0] - 50 * act[:, 1], 30 * act[:, 0]], 1) \
        + rng.normal(0, 0.5, (n, 2))
    rate = 10 + 200 * act[:, 0] + rng.normal(0, 2.0, n)
    aux = np.zeros((n, 1))
    tr = Transitions(obs=obs, action=act, action_index=idx, next_obs=nxt, rate=rate, aux=aux,
                     next_aux=aux, terminal=np.zeros(n, bool), initial_obs=obs[:50])
    model = SpikingObservationModel(hidden=(16,), max_epochs=8, patience=5,
                                    learning_rate=1e-2, batch_size=128, random_state=0).fit(tr)
    budget = SpikingEnergyBudget(BUDGET, time_constant=TAU, threshold=THRESHOLD)
    return SpikingModelEnv(model, CAND, budget,
                           control_period=PERIOD, initial_obs=np.full((4, 2), 8.0), num_envs=8)


def test_terminal_probability_matches_the_gaussian_rate_tail(menv):
    # an energy just below the budget: the successor is terminal iff the period rate exceeds
    # r* = threshold + (budget - decay E) / T, so P(terminal) = 1 - Phi((r* - mu) / sd)
    ctrl = NoisyNeuroMOPController(menv, noise_samples=3000, hidden=(8,), random_state=0)
    energy = 0.55
    states = torch.tensor([[8.0, 8.0, energy], [15.0, 5.0, energy]])
    _, p_term, _ = ctrl.successor_values(states)
    mean, sd = menv.model.predict_distribution(states[:, :2], menv.candidate_actions)
    period = PERIOD * 1e-3
    r_star = THRESHOLD + (BUDGET - math.exp(-period / TAU) * energy) / period
    expected = norm.sf((r_star - mean[..., 2].numpy()) / sd[..., 2].numpy())
    np.testing.assert_allclose(p_term.numpy(), expected, atol=0.03)
    assert p_term.dtype == torch.float32


@pytest.mark.parametrize("noisy_cls, parent_cls", [(NoisyNeuroMOPController, NeuroMOPController),
                                                   (NoisyRewardController, RewardController)])
def test_zero_samples_is_the_parent(menv, noisy_cls, parent_cls):
    states = menv.initial_states(5, torch.Generator().manual_seed(0))
    noisy = noisy_cls(menv, noise_samples=0, hidden=(8,), random_state=1)
    parent = parent_cls(menv, hidden=(8,), random_state=1)
    torch.testing.assert_close(noisy.bellman_target(states), parent.bellman_target(states))
    torch.testing.assert_close(noisy.action_probabilities(states),
                               parent.action_probabilities(states))


def test_estimate_is_deterministic_per_batch(menv):
    ctrl = NoisyNeuroMOPController(menv, noise_samples=3, hidden=(8,), noise_random_state=5)
    states = menv.initial_states(6, torch.Generator().manual_seed(0))
    torch.testing.assert_close(ctrl.bellman_target(states), ctrl.bellman_target(states))


def test_reward_q_is_survival_probability_plus_discounted_value(menv):
    ctrl = NoisyRewardController(menv, noise_samples=4, hidden=(8,), gamma=0.5)
    values = torch.tensor([[2.0, 0.0]])
    p_term = torch.tensor([[0.25, 1.0]])
    torch.testing.assert_close(ctrl.q_values(values, p_term), torch.tensor([[1.75, 0.0]]))


@pytest.mark.parametrize("cls", [NoisyNeuroMOPController, NoisyRewardController])
def test_initial_value_sets_the_starting_value(menv, cls):
    ctrl = cls(menv, noise_samples=1, hidden=(8,), initial_value=3.0)
    # the output bias carries the initial value; hidden units add a zero-mean perturbation
    assert float(ctrl.value_net_.mlp[-1].bias.detach()) * ctrl.value_net_.value_scale == \
        pytest.approx(3.0)


@pytest.mark.parametrize("kw, match", [(dict(noise_samples=-1), "noise_samples"),
                                       (dict(initial_value=float("nan")), "initial_value")])
def test_parameter_errors(menv, kw, match):
    with pytest.raises(ValueError, match=match):
        NoisyNeuroMOPController(menv, **kw)
