"""The recycling robot of Sutton & Barto (2018), Example 3.3: a textbook check of the solvers."""

from __future__ import annotations

import numpy as np
import pandas as pd

from neuromop._checks import check_probability, check_real
from neuromop.mdp.model import FiniteMDP

__all__ = ["recycling_robot", "RECYCLING_STATES", "RECYCLING_ACTIONS"]

RECYCLING_STATES = ("high", "low")
RECYCLING_ACTIONS = ("search", "wait", "recharge")


def recycling_robot(
    alpha: float = 0.8,
    beta: float = 0.6,
    r_search: float = 2.0,
    r_wait: float = 1.0,
    r_rescue: float = -3.0,
) -> FiniteMDP:
    """Build the recycling-robot MDP (battery ``high``/``low``; ``search``, ``wait``, ``recharge``).

    Transitions and rewards (Sutton & Barto, Table in Example 3.3):

    ====== ========= ======= ============ ===========
    s      a         s'      p(s'|s,a)    r(s,a,s')
    ====== ========= ======= ============ ===========
    high   search    high    alpha        r_search
    high   search    low     1 - alpha    r_search
    low    search    high    1 - beta     r_rescue
    low    search    low     beta         r_search
    high   wait      high    1            r_wait
    low    wait      low     1            r_wait
    low    recharge  high    1            0
    ====== ========= ======= ============ ===========

    ``recharge`` is not admissible in ``high``. There are no terminal states.

    Parameters
    ----------
    alpha, beta : float
        Probabilities in [0, 1] that the battery stays high (resp. low) while searching.
    r_search, r_wait, r_rescue : float
        Rewards (cans collected; the rescue penalty).

    Returns
    -------
    FiniteMDP
        With ``reward`` of shape (2, 3, K) and state/action labels.
    """
    alpha = check_probability("alpha", alpha)
    beta = check_probability("beta", beta)
    r_search = check_real("r_search", r_search)
    r_wait = check_real("r_wait", r_wait)
    r_rescue = check_real("r_rescue", r_rescue)
    H, L = 0, 1
    S, W, R = 0, 1, 2
    ns = np.zeros((2, 3, 2), dtype=np.int64)
    p = np.zeros((2, 3, 2))
    r = np.zeros((2, 3, 2))
    ns[H, S], p[H, S], r[H, S] = (H, L), (alpha, 1 - alpha), (r_search, r_search)
    ns[L, S], p[L, S], r[L, S] = (H, L), (1 - beta, beta), (r_rescue, r_search)
    ns[H, W], p[H, W], r[H, W] = (H, H), (1.0, 0.0), (r_wait, 0.0)
    ns[L, W], p[L, W], r[L, W] = (L, L), (1.0, 0.0), (r_wait, 0.0)
    ns[L, R], p[L, R], r[L, R] = (H, H), (1.0, 0.0), (0.0, 0.0)
    mask = np.array([[True, True, False], [True, True, True]])
    return FiniteMDP.from_arrays(
        ns, p, mask, np.zeros(2, dtype=bool), r,
        state_labels=pd.Index(list(RECYCLING_STATES), name="battery"),
        action_labels=RECYCLING_ACTIONS, name="recycling_robot",
    )
