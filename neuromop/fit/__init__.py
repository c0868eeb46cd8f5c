"""Models fitted to data, and the environments they drive.

- :mod:`~neuromop.fit.rnn` -- :class:`RateRNNRegressor`: a rate RNN fitted to recorded
  population activity (BPTT, Poisson or Gaussian readout, early stopping, checkpoints);
- :mod:`~neuromop.fit.baselines` -- held-out baselines (:class:`PSTHBaseline`,
  :class:`LinearDynamicalBaseline`), fit metrics and simulators of rate RNNs;
- :mod:`~neuromop.fit.env` -- :func:`env_from_fit`: a fitted network as a controllable
  environment, and :func:`rollout_counts` to read counts out of its rollouts;
- :mod:`~neuromop.fit.spiking_model` -- the learned one-step observation model of the Brian2
  network (:class:`SpikingObservationModel`) and its model env (:class:`SpikingModelEnv`);
- :mod:`~neuromop.fit.trial_env` -- :func:`trial_matched_env`: the fitted network driven by
  each recorded trial's own inputs, :func:`trial_matched_rollout` into counts with the
  recording's coordinates, :func:`recorded_activity_box` (a terminal set from the data);
- :mod:`~neuromop.fit.controller_fit` -- :func:`fit_mop_parameter`: the MOP controller
  parameter closest to recorded variability, and its recovery (:func:`mop_parameter_recovery`);
- :mod:`~neuromop.fit.report` -- :func:`fit_report`, the held-out report of ``neuromop fit rnn``.
"""

from neuromop.fit.baselines import (
    LinearDynamicalBaseline,
    PSTHBaseline,
    per_neuron_r2,
    poisson_bits_per_spike,
    r2_score,
    simulate_rate_rnn,
    simulate_teacher_dataset,
    variability_summary,
)
from neuromop.fit.controller_fit import (
    PARAMETERS,
    fit_mop_parameter,
    mop_parameter_recovery,
)
from neuromop.fit.env import FittedRateRNNEnv, env_from_fit, rollout_counts
from neuromop.fit.report import fit_report
from neuromop.fit.rnn import RateRNNRegressor, fit_rate_rnn
from neuromop.fit.spiking_model import (
    SpikingModelEnv,
    SpikingObservationModel,
    Transitions,
    collect_transitions,
)
from neuromop.fit.trial_env import (
    TrialMatchedEnv,
    recorded_activity_box,
    trial_matched_env,
    trial_matched_rollout,
)

__all__ = [
    "FittedRateRNNEnv",
    "LinearDynamicalBaseline",
    "PSTHBaseline",
    "RateRNNRegressor",
    "SpikingModelEnv",
    "SpikingObservationModel",
    "Transitions",
    "collect_transitions",
    "env_from_fit",
    "TrialMatchedEnv",
    "recorded_activity_box",
    "trial_matched_env",
    "trial_matched_rollout",
    "PARAMETERS",
    "fit_mop_parameter",
    "mop_parameter_recovery",
    "fit_rate_rnn",
    "fit_report",
    "per_neuron_r2",
    "poisson_bits_per_spike",
    "r2_score",
    "rollout_counts",
    "simulate_rate_rnn",
    "simulate_teacher_dataset",
    "variability_summary",
]
