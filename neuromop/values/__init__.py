"""Soft versus true values: value signals, choice models, encoding comparison, simulation.

- :mod:`~neuromop.values.signals` -- soft (entropy-regularised) and true values of bandits,
  two-offer choices, MDPs and DRA agents (:func:`soft_value`, :func:`two_offer_values` ...);
- :mod:`~neuromop.values.choice_models` -- scikit-learn-style choice models fitted to
  behaviour (:class:`SoftmaxChoiceModel`, :class:`QLearningChoiceModel`,
  :class:`RelativeValueLogit`, model comparison by cross-validated likelihood), with
  :class:`DRAChoiceModel`, :class:`MDPChoiceModel`, :class:`PriorLearningChoiceModel` and
  :class:`PsychometricChoiceModel` (lapses, contrast exponent, block prior, action kernel);
- :mod:`~neuromop.values.encoding` -- :func:`compare_value_encodings`: do neurons encode the soft
  or the true value? (Poisson GLMs, decoding, collinearity, drift-respecting nulls);
- :mod:`~neuromop.values.entropy` -- :func:`value_entropy_ratio`: is "soft" more than "true
  plus entropy"? (the population's entropy-to-value weight ratio against the temperature);
- :mod:`~neuromop.values.simulation` -- populations tuned to soft or true values, with ground truth;
  :mod:`~neuromop.values.bandit_population` -- an independently written one (a Q-learner on a
  restless bandit, over-dispersed counts, drifting gains);
- :mod:`~neuromop.values.calibration` -- :func:`verdict_calibration`: the confusion matrix of the
  verdicts for a design, with per-neuron error rates;
- :mod:`~neuromop.values.two_step` -- the two-step task: :class:`TwoStepChoiceModel` (hybrid
  model-based / model-free with eligibility trace and perseveration) and its learned per-trial
  values (:func:`two_step_values`); :mod:`~neuromop.values.two_step_population` -- a simulated
  two-step recording as a lab hands it over (trial table, spike times, ground truth);
- :mod:`~neuromop.values.pooling` -- :func:`pool_value_encodings`: one verdict from several
  sessions' comparisons;
- :mod:`~neuromop.values.report` -- :func:`value_report`, the whole ``neuromop analyze values``.
"""

from neuromop.values.bandit_population import (
    bandit_pseudo_sampler,
    simulate_bandit_value_population,
)
from neuromop.values.calibration import (
    design_calibration,
    design_simulator,
    verdict_calibration,
    wilson_interval,
)
from neuromop.values.choice_models import (
    CrossValidatedLoglik,
    QLearningChoiceModel,
    RelativeValueLogit,
    SoftmaxChoiceModel,
    compare_models,
    cross_validated_loglik,
)
from neuromop.values.dra_choice_model import DRAChoiceModel
from neuromop.values.encoding import (
    VERDICTS,
    benjamini_hochberg,
    collinearity,
    compare_value_encodings,
    fit_poisson_glm,
)
from neuromop.values.entropy import value_entropy_ratio
from neuromop.values.mdp_choice_models import MDPChoiceModel
from neuromop.values.pooling import pool_value_encodings
from neuromop.values.power_analysis import power_curve
from neuromop.values.prior_choice_model import PriorLearningChoiceModel
from neuromop.values.psychometric import PsychometricChoiceModel
from neuromop.values.report import value_report
from neuromop.values.signals import (
    bandit_values,
    dra_values,
    mdp_values,
    policy_entropy,
    soft_value,
    softmax_policy,
    two_offer_values,
)
from neuromop.values.simulation import (
    OFC_PAIRS,
    offer_design,
    simulate_value_population,
    two_offer_pseudo_sampler,
)
from neuromop.values.two_step import (
    TwoStepChoiceModel,
    two_step_pseudo_sampler,
    two_step_reward_probabilities,
    two_step_stay_probabilities,
    two_step_values,
)
from neuromop.values.two_step_population import (
    DEFAULT_TWO_STEP_PARAMS,
    TwoStepRecording,
    simulate_two_step_recording,
)

__all__ = [
    "DEFAULT_TWO_STEP_PARAMS",
    "OFC_PAIRS",
    "VERDICTS",
    "CrossValidatedLoglik",
    "DRAChoiceModel",
    "MDPChoiceModel",
    "PriorLearningChoiceModel",
    "PsychometricChoiceModel",
    "QLearningChoiceModel",
    "RelativeValueLogit",
    "SoftmaxChoiceModel",
    "TwoStepChoiceModel",
    "TwoStepRecording",
    "bandit_pseudo_sampler",
    "bandit_values",
    "benjamini_hochberg",
    "collinearity",
    "compare_models",
    "compare_value_encodings",
    "cross_validated_loglik",
    "design_calibration",
    "design_simulator",
    "dra_values",
    "fit_poisson_glm",
    "mdp_values",
    "offer_design",
    "pool_value_encodings",
    "policy_entropy",
    "power_curve",
    "simulate_bandit_value_population",
    "simulate_two_step_recording",
    "simulate_value_population",
    "soft_value",
    "softmax_policy",
    "two_offer_pseudo_sampler",
    "two_offer_values",
    "two_step_pseudo_sampler",
    "two_step_reward_probabilities",
    "two_step_stay_probabilities",
    "two_step_values",
    "value_entropy_ratio",
    "value_report",
    "verdict_calibration",
    "wilson_interval",
]
