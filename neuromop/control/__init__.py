"""Controllers of model-based environments, and their rollouts.

- :mod:`~neuromop.control.fvi` -- fitted value iteration: :class:`ValueNetwork`,
  :class:`FittedValueController` and the trainer :func:`train` (progress, checkpoints, resume);
- :mod:`~neuromop.control.mop` -- :class:`NeuroMOPController` (maximum occupancy, soft backup);
- :mod:`~neuromop.control.reward` -- :class:`RewardController` (the epsilon-greedy R network);
- :mod:`~neuromop.control.noisy` -- MOP and R with backups averaged over model noise;
- :mod:`~neuromop.control.baselines` -- :class:`FreeController`, :class:`RandomController`,
  :class:`ExactCartpoleController` (the exact grid solution on the continuous cartpole);
- :mod:`~neuromop.control.soft_q` -- model-free soft Q-learning in closed loop;
- :mod:`~neuromop.control.rollout` -- :func:`rollout` (any controller in a model env, as a
  ``(trial, time, neuron)`` dataset), :func:`run_controllers` (several controllers on the
  Brian2 network in one closed-loop run) and :func:`summarize_rollout`;
- :mod:`~neuromop.control.referee` -- :func:`cartpole_value_agreement` and
  :func:`cartpole_value_comparison`: a fitted cartpole controller against the exact grid
  solution of the same problem;
  :func:`grid_mdp_from_env` and :func:`exact_value_agreement` do it for any deterministic env of
  at most 4 state dimensions.
"""

from neuromop.control.baselines import ExactCartpoleController, FreeController, RandomController
from neuromop.control.fvi import FittedValueController, ValueNetwork, train
from neuromop.control.mop import NeuroMOPController
from neuromop.control.noisy import NoisyNeuroMOPController, NoisyRewardController
from neuromop.control.referee import (
    cartpole_value_agreement,
    cartpole_value_comparison,
    exact_value_agreement,
    grid_mdp_from_env,
)
from neuromop.control.reward import RewardController
from neuromop.control.rollout import rollout, run_controllers, summarize_rollout
from neuromop.control.soft_q import SoftQController

__all__ = [
    "ExactCartpoleController",
    "FittedValueController",
    "FreeController",
    "NeuroMOPController",
    "NoisyNeuroMOPController",
    "NoisyRewardController",
    "RandomController",
    "RewardController",
    "SoftQController",
    "ValueNetwork",
    "cartpole_value_agreement",
    "cartpole_value_comparison",
    "exact_value_agreement",
    "grid_mdp_from_env",
    "rollout",
    "run_controllers",
    "summarize_rollout",
    "train",
]
