"""Environments for controllers: the rate RNN, the continuous cartpole, terminal sets.

- :mod:`~neuromop.envs.base` -- :class:`ModelBasedVectorEnv`, the batched Gymnasium-style base
  with ``predict(states)`` for model-based controllers, and :func:`as_gymnasium_env`;
- :mod:`~neuromop.envs.rate_rnn` -- :class:`RateRNNEnv` (torch, batched) and
  :func:`antithetic_candidates`;
- :mod:`~neuromop.envs.cartpole` -- :class:`ContinuousCartpoleEnv`;
- :mod:`~neuromop.envs.terminal` -- composable terminal sets (:class:`ActivityBox`,
  :class:`EnergyBudget`, :class:`SquareBox`, :class:`ShapeSet`, :class:`Corridor`,
  :class:`InnerSquareReward`);
- :mod:`neuromop.envs.spiking` -- the Brian2 wing (:class:`SpikingVectorEnv`,
  :class:`SpikingEnergyBudget`, action designs).
"""

from neuromop.envs.base import ModelBasedVectorEnv, as_gymnasium_env
from neuromop.envs.cartpole import ContinuousCartpoleEnv
from neuromop.envs.rate_rnn import RateRNNEnv, antithetic_candidates
from neuromop.envs.spiking import (
    SpikingEnergyBudget,
    SpikingNetworkEnv,
    SpikingNetworkParams,
    SpikingVectorEnv,
)
from neuromop.envs.terminal import (
    SHAPES,
    ActivityBox,
    CompositeTerminal,
    Corridor,
    EnergyBudget,
    InnerSquareReward,
    NeverTerminal,
    ShapeSet,
    SquareBox,
    TaskView,
    TerminalSet,
    shape_fill_std,
)

__all__ = [
    "ModelBasedVectorEnv",
    "as_gymnasium_env",
    "ContinuousCartpoleEnv",
    "RateRNNEnv",
    "SpikingEnergyBudget",
    "SpikingNetworkEnv",
    "SpikingNetworkParams",
    "SpikingVectorEnv",
    "SHAPES",
    "ActivityBox",
    "CompositeTerminal",
    "Corridor",
    "EnergyBudget",
    "InnerSquareReward",
    "NeverTerminal",
    "ShapeSet",
    "SquareBox",
    "TaskView",
    "TerminalSet",
    "antithetic_candidates",
    "shape_fill_std",
]
