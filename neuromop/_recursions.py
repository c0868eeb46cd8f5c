"""Linear recursions over trials grouped in sessions, solved without a loop over trials.

The value updates of the learning choice models (delta rule, forgetting) are first-order linear
recursions that restart at each session; these helpers evaluate them exactly and vectorised.
"""

from __future__ import annotations

import numpy as np
from scipy.signal import lfilter

__all__: list[str] = []


def _delta_rule_values(target: np.ndarray, updated: np.ndarray, alpha: float, q0: float,
                       starts: np.ndarray) -> np.ndarray:
    """Value *before* each trial of one delta-rule learner, shape (n_trials,).

    ``q <- q + alpha (target_t - q)`` on the trials where ``updated`` is True, ``q = q0`` at each
    session start (``starts``). Evaluated without a Python loop over trials: on the updated
    trials of a session the rule is a first-order linear filter (``scipy.signal.lfilter``) and
    values are carried forward to the other trials.
    """
    n = target.size
    idx = np.arange(n)
    seg = np.cumsum(starts) - 1  # session index per trial
    hit = np.flatnonzero(updated)
    after = np.full(n, np.nan)
    for s in np.unique(seg[hit]):
        sub = hit[seg[hit] == s]
        after[sub], _ = lfilter([alpha], [1.0, -(1.0 - alpha)], target[sub],
                                zi=[(1.0 - alpha) * q0])
    # value before trial t = value after the last update before t in the same session
    last = np.where(updated, idx, -1)
    last = np.maximum.accumulate(np.r_[-1, last[:-1]])
    session_start = np.maximum.accumulate(np.where(starts, idx, 0))
    return np.where(last >= session_start, after[np.maximum(last, 0)], q0)


def _linear_recursion(coef: np.ndarray, drive: np.ndarray, x0: float, starts: np.ndarray,
                      block: int = 8) -> np.ndarray:
    """``x`` before each step of ``x <- coef_t x + drive_t``, ``x = x0`` at each session start.

    Shape (n_steps,). The time-varying recursion is solved exactly in blocks of ``block`` steps:
    within a block every value is a product-weighted sum of the block's drives (cumulative
    products of the coefficients, no division, so coefficients of exactly 0 are fine) plus the
    block's input times the product of its coefficients; the values entering the blocks obey
    the same recursion one level up (``log_block(n_steps)`` levels, no loop over steps).
    """
    n, nb = coef.size, -(-coef.size // block)
    c, d = np.ones(nb * block), np.zeros(nb * block)  # padded to whole blocks
    c[:n], d[:n] = coef, drive
    reset = np.flatnonzero(starts[1:])  # the step into a session start restarts from x0
    c[reset], d[reset] = 0.0, x0
    c, d = c.reshape(nb, block), d.reshape(nb, block)
    # weight of drive i in the value before step k (k = 0..block): prod_{i<m<k} c_m
    src, col = np.arange(block)[:, None], np.arange(block)[None, :]
    cp = np.cumprod(np.where(col > src, c[:, None, :], 1.0), axis=2)  # prod_{i<m<=k} c_m
    w = np.zeros((nb, block, block + 1))
    w[:, :, 1:] = np.where(col >= src, cp, 0.0)  # value before step k uses cp[i, k - 1]
    inner = np.einsum("bi,bik->bk", d, w)  # (nb, block + 1): drive part of the block's values
    gain = np.concatenate([np.ones((nb, 1)), np.cumprod(c, axis=1)], axis=1)  # prod_{m<k} c_m
    # the values entering the blocks follow the same recursion, one step per block
    z = (np.array([float(x0)]) if nb == 1 else
         _linear_recursion(gain[:, -1], inner[:, -1], x0, np.zeros(nb, bool), block))
    x = gain[:, :-1] * z[:, None] + inner[:, :-1]
    return x.reshape(-1)[:n]
