"""The Brian2 wing: an E/I LIF spiking network as a batched, closed-loop environment.

- :mod:`~neuromop.envs.spiking.env` -- :class:`SpikingVectorEnv` (batched copies, closed loop
  inside one long ``Network.run``) and the single-copy Gymnasium :class:`SpikingNetworkEnv`;
- :mod:`~neuromop.envs.spiking.network` -- model equations, :class:`SpikingNetworkParams`, the
  explicit named ``Network`` of block-diagonal copies, spike tables;
- :mod:`~neuromop.envs.spiking.drive` -- the counter-based external Poisson drive;
- :mod:`~neuromop.envs.spiking.log` -- per-episode arrays and the episode dataset;
- :mod:`~neuromop.envs.spiking.terminal` -- terminal sets on filtered rates
  (:class:`SpikingEnergyBudget`, :class:`RateBox`, :class:`Quiescence`, :class:`Runaway`);
- :mod:`~neuromop.envs.spiking.designs` -- candidate currents (action designs);
- :mod:`~neuromop.envs.spiking.setup` -- Brian2 code-generation target and cache directory.

Importing this package does not import Brian2; building an environment does.
"""

from neuromop.envs.spiking.designs import (
    balanced_patterns,
    energy_candidate_actions,
    patterned_candidate_actions,
)
from neuromop.envs.spiking.env import SpikingNetworkEnv, SpikingVectorEnv
from neuromop.envs.spiking.network import SpikingNetworkParams
from neuromop.envs.spiking.terminal import (
    AnyOf,
    Quiescence,
    RateBox,
    Runaway,
    SpikingEnergyBudget,
    SpikingTerminalSet,
)

__all__ = [
    "AnyOf",
    "Quiescence",
    "RateBox",
    "Runaway",
    "SpikingNetworkEnv",
    "SpikingEnergyBudget",
    "SpikingNetworkParams",
    "SpikingTerminalSet",
    "SpikingVectorEnv",
    "balanced_patterns",
    "energy_candidate_actions",
    "patterned_candidate_actions",
]
