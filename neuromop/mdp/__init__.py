"""Finite MDPs: the model, exact solvers (MOP, R, MaxEnt), DRA and model-free learners, worlds, rollouts."""

from neuromop.mdp.model import FiniteMDP

__all__ = ["FiniteMDP"]
