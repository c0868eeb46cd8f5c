"""Finite MDPs: the model, exact solvers (MOP, R, MaxEnt), DRA and model-free learners, worlds.

Also rollouts of solved agents."""

from neuromop.mdp.dra import DRAAgent
from neuromop.mdp.learning import MDPSampler, q_learning, soft_q_learning
from neuromop.mdp.model import FiniteMDP, make_random_mdp
from neuromop.mdp.rollout import arena_coverage, occupancy_map, rollout
from neuromop.mdp.solvers import (
    ConvergenceWarning,
    SolveResult,
    policy_evaluation,
    solve_maxent,
    solve_mop,
    solve_reward,
)

__all__ = [
    "ConvergenceWarning",
    "DRAAgent",
    "FiniteMDP",
    "MDPSampler",
    "SolveResult",
    "arena_coverage",
    "make_random_mdp",
    "occupancy_map",
    "policy_evaluation",
    "rollout",
    "q_learning",
    "solve_maxent",
    "solve_mop",
    "solve_reward",
    "soft_q_learning",
]
