"""Worlds in which an agent can avoid every terminal state forever.

With ``gamma = 1`` the values of such a world are infinite for an agent that gains something at
every step (action entropy for MOP, a positive reward for the R agent); the solvers use these
checks to refuse the problem at once instead of sweeping until ``max_sweeps``.
"""

from __future__ import annotations

import numpy as np

from neuromop.mdp.model import FiniteMDP

__all__ = ["closed_set", "refuse_endless_paths"]


def closed_set(mdp: FiniteMDP, usable: np.ndarray, *, every: bool = False) -> np.ndarray:
    """Largest set C of non-terminal states that an agent can stay in forever.

    A state stays in C when one ``usable`` (S, A) action (``every=False``), or every admissible
    action, each of them usable (``every=True``, a policy that tries all actions), leads only
    (probability > 0) to states of C.
    """
    inside = ~mdp.terminal
    reach = mdp.probs > 0
    while True:
        keeps = usable & np.all(~reach | inside[mdp.next_states], axis=2)
        new = inside & (np.all(keeps | ~mdp.action_mask, axis=1) if every
                        else keeps.any(axis=1))
        if np.array_equal(new, inside):
            return inside
        inside = new


def refuse_endless_paths(mdp: FiniteMDP, name: str, closed: np.ndarray, why: str) -> None:
    """With gamma = 1, stop at once (not after max_sweeps) when values cannot be finite."""
    if closed.any():
        s = int(np.flatnonzero(closed)[0])
        raise ValueError(
            f"gamma=1 makes the {name} values infinite: {int(closed.sum())} non-terminal "
            f"state(s), e.g. state {s}, let the agent avoid every terminal state forever "
            f"({why}); use gamma < 1"
        )
