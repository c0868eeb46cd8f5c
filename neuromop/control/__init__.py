"""Controllers for environments.

NeuroMOP value network with fitted value iteration, R network, free and random baselines, the
training loop with checkpoints, rollouts as xarray datasets, and the task studies.
"""

from neuromop.control.baselines import FreeController, RandomController
from neuromop.control.neuromop_controller import NeuroMOPController
from neuromop.control.reward_controller import RewardController
from neuromop.control.rollout import rollout, summarize_rollout
from neuromop.control.training import train
from neuromop.control.value_network import ValueNetwork

__all__ = [
    "FreeController",
    "NeuroMOPController",
    "RandomController",
    "RewardController",
    "ValueNetwork",
    "rollout",
    "summarize_rollout",
    "train",
]
