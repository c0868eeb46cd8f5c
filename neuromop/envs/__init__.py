"""Neural-network environments (rate RNN, Brian2 spiking network, cartpole, corridor) and terminal sets."""

from neuromop.envs.base import ModelBasedVectorEnv  # noqa: E402

__all__ = ["ModelBasedVectorEnv"]
