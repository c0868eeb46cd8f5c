"""Variability, dimensionality, entropy and value-encoding analyses over labelled xarray data."""

from neuromop.analysis import accessor as _accessor  # noqa: F401  (registers ds.neuromop)
from neuromop.analysis.agent_metrics import (
    action_entropy,
    lifetime,
    occupancy_entropy,
    survival_curve,
)
from neuromop.analysis.choice_models import (
    CrossValidatedLoglik,
    QLearningChoiceModel,
    RelativeValueLogit,
    SoftmaxChoiceModel,
    compare_models,
    cross_validated_loglik,
)
from neuromop.analysis.correlation import pair_values, signal_correlation, spike_count_correlation
from neuromop.analysis.dimensionality import participation_ratio, pca_spectrum
from neuromop.analysis.dra_choice_model import DRAChoiceModel
from neuromop.analysis.encoding import (
    VERDICTS,
    collinearity,
    compare_value_encodings,
    fit_poisson_glm,
)
from neuromop.analysis.isi import cv, cv2, lv, lvr
from neuromop.analysis.mdp_choice_models import MDPChoiceModel
from neuromop.analysis.pooling import (
    add_condition,
    group_matched_fano_factor,
    pooled_mean_matched_fano_factor,
)
from neuromop.analysis.prior_choice_model import PriorLearningChoiceModel
from neuromop.analysis.value_simulation import (
    offer_design,
    simulate_value_population,
    two_offer_pseudo_sampler,
)
from neuromop.analysis.values import (
    bandit_values,
    dra_values,
    mdp_values,
    policy_entropy,
    soft_value,
    softmax_policy,
    two_offer_values,
)
from neuromop.analysis.variability import (
    MeanMatchingError,
    fano_factor,
    mean_matched_fano_factor,
)

__all__ = [
    "action_entropy",
    "add_condition",
    "bandit_values",
    "collinearity",
    "compare_models",
    "compare_value_encodings",
    "cross_validated_loglik",
    "CrossValidatedLoglik",
    "cv",
    "cv2",
    "dra_values",
    "DRAChoiceModel",
    "fano_factor",
    "fit_poisson_glm",
    "lifetime",
    "lv",
    "lvr",
    "mdp_values",
    "MDPChoiceModel",
    "group_matched_fano_factor",
    "mean_matched_fano_factor",
    "MeanMatchingError",
    "occupancy_entropy",
    "offer_design",
    "pair_values",
    "participation_ratio",
    "pca_spectrum",
    "policy_entropy",
    "pooled_mean_matched_fano_factor",
    "PriorLearningChoiceModel",
    "QLearningChoiceModel",
    "RelativeValueLogit",
    "signal_correlation",
    "simulate_value_population",
    "soft_value",
    "softmax_policy",
    "SoftmaxChoiceModel",
    "spike_count_correlation",
    "survival_curve",
    "two_offer_pseudo_sampler",
    "two_offer_values",
    "VERDICTS",
]
