"""Neural-network environments (rate RNN, Brian2 spiking network, cartpole, corridor).

Also the composable terminal sets of the NeuroMOP tasks.
"""

from neuromop.envs.base import ModelBasedVectorEnv, as_gymnasium_env
from neuromop.envs.cartpole import ContinuousCartpoleEnv
from neuromop.envs.rate_rnn import RateRNNEnv
from neuromop.envs.spiking import SpikingNetworkEnv, SpikingVectorEnv
from neuromop.envs.spiking.network import SpikingNetworkParams
from neuromop.envs.terminal import (
    SHAPES,
    CompositeTerminal,
    Corridor,
    EnergyBudget,
    InnerSquareReward,
    NeverTerminal,
    ShapeSet,
    SquareBox,
    TaskView,
    TerminalSet,
)

__all__ = [
    "ModelBasedVectorEnv",
    "as_gymnasium_env",
    "ContinuousCartpoleEnv",
    "RateRNNEnv",
    "SpikingNetworkEnv",
    "SpikingNetworkParams",
    "SpikingVectorEnv",
    "SHAPES",
    "CompositeTerminal",
    "Corridor",
    "EnergyBudget",
    "InnerSquareReward",
    "NeverTerminal",
    "ShapeSet",
    "SquareBox",
    "TaskView",
    "TerminalSet",
]
