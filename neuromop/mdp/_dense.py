"""The dense front door of :class:`~neuromop.mdp.FiniteMDP`: a transition tensor as users write it
(``P[s, a, s']`` or ``P[a, s, s']``, float32 rows a rounding error off 1, terminal states without
self-loops) turned into the sparse successor arrays the solvers use."""

from __future__ import annotations

import numpy as np

from neuromop._checks import as_array, check_choice, check_int, check_real

LAYOUTS = ("SAS", "ASS")


def terminal_mask(terminal: object, n_states: int) -> np.ndarray:
    """Terminal states as a boolean mask of shape ``(S,)``, from a mask or a list of indices."""
    term = np.zeros(n_states, dtype=bool)
    if terminal is None:
        return term
    t = as_array("terminal", terminal)
    if t.dtype == bool:
        if t.shape != (n_states,):
            raise ValueError(f"terminal must have shape (S,) = ({n_states},) as a boolean mask, "
                             f"got shape {tuple(t.shape)}")
        return t.copy()
    if t.dtype.kind not in "iu":
        raise TypeError(f"terminal must be a boolean mask or integer state indices, got dtype "
                        f"{t.dtype}")
    idx = t.astype(np.int64).ravel()
    if idx.size and (idx.min() < 0 or idx.max() >= n_states):
        raise ValueError(f"terminal indices must be in [0, {n_states}), got {idx.tolist()}")
    term[idx] = True
    return term


def _to_sas(name: str, arr: np.ndarray, layout: str) -> np.ndarray:
    if arr.ndim != 3 or arr.size == 0:
        raise ValueError(f"{name} must be a non-empty 3-d array, got shape {tuple(arr.shape)}")
    if layout == "ASS":
        arr = arr.transpose(1, 0, 2)
    if arr.shape[0] != arr.shape[2]:
        other = "P[a, s, s'] (pass layout='ASS')" if layout == "SAS" and \
            arr.shape[1] == arr.shape[2] else "the other layout"
        raise ValueError(
            f"{name} must have shape (S, A, S) for layout={layout!r}, got shape "
            f"{tuple(arr.shape if layout == 'SAS' else arr.transpose(1, 0, 2).shape)}; "
            f"if it is laid out as {other}, say so with layout=")
    return arr


def dense_transitions(P: object, *, layout: str, renormalize: float, terminal: object,
                      terminal_action: int, reward: object) -> dict:
    """Dense ``P`` (and reward) to the arguments of :meth:`FiniteMDP.from_arrays` (without
    ``action_mask`` and labels). See :meth:`FiniteMDP.from_dense` for the rules."""
    check_choice("layout", layout, list(LAYOUTS))
    renormalize = check_real("renormalize", renormalize, low=0.0, high=0.1)
    arr = as_array("P", P)
    if arr.dtype.kind not in "biuf":
        raise TypeError(f"P must be a real-valued array, got dtype {arr.dtype}")
    P = _to_sas("P", np.asarray(arr, dtype=np.float64), layout)
    if not np.all(np.isfinite(P)):
        raise ValueError("P must be finite")
    S, A, _ = P.shape
    check_int("terminal_action", terminal_action, low=0, high=A - 1)
    term = terminal_mask(terminal, S)
    if term.any():  # absorbing by definition: one no-op that stays, whatever P says there
        P = P.copy()
        P[term] = 0.0
        P[np.flatnonzero(term), terminal_action, np.flatnonzero(term)] = 1.0
    sums = P.sum(axis=-1)
    live = sums > 0
    off = np.abs(sums - 1.0)
    if renormalize > 0:
        fix = live & (off <= renormalize)
        P = np.where(fix[..., None], P / np.where(fix, sums, 1.0)[..., None], P)
        off = np.where(fix, 0.0, off)
    bad = np.argwhere(live & (off > 1e-8))
    if bad.size:
        s, a = (int(i) for i in bad[0])
        hint = ("; for float32 or rounded inputs pass renormalize= (e.g. 1e-6) to divide rows "
                "within that of 1 by their sum" if off[s, a] < 1e-3 else "")
        raise ValueError(f"P[{s}, {a}] sums to {sums[s, a]:.12g}, expected 1 (or 0 for an "
                         f"inadmissible action){hint}")
    r = None
    if reward is not None:
        r = as_array("reward", reward)
        if r.dtype.kind not in "biuf":
            raise TypeError(f"reward must be a real-valued array, got dtype {r.dtype}")
        r = np.asarray(r, dtype=np.float64)
        if r.ndim == 3:
            r = _to_sas("reward", r, layout)
        if r.shape not in {(S, A), (S, A, S)}:
            raise ValueError(f"reward must have shape (S, A, S) = {(S, A, S)} or (S, A) = "
                             f"{(S, A)} (in layout {layout!r}), got shape {tuple(r.shape)}")
        if term.any():
            r = r.copy()
            r[term] = 0.0
    return {"P": P, "terminal": term, "reward": r}
