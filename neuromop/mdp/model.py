"""Finite Markov decision processes with state-dependent action sets and sparse transitions.

A :class:`FiniteMDP` stores, for every state ``s`` and action ``a``, up to ``K`` successor states
``next_states[s, a, k]`` with probabilities ``probs[s, a, k]`` (padded with index 0 and probability
0). Moves that a world forbids (into a wall, off the grid) are *removed* from the admissible set
``action_mask[s]`` rather than turned into self-loops. Terminal states are absorbing: every
admissible action at a terminal state returns to it with probability 1; solvers give them value 0.
"""

from __future__ import annotations

import numbers
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from neuromop._checks import MAX_SIZE, as_array, check_int, check_probability
from neuromop._random import as_generator
from neuromop.mdp._dense import dense_transitions, terminal_mask

__all__ = ["FiniteMDP", "make_random_mdp"]

_PROB_ATOL = 1e-8
_LABEL_KEYS = ("state_labels", "action_labels", "name")


def _shape(arr: np.ndarray) -> str:
    return str(tuple(int(n) for n in arr.shape))


def _as_int_array(name: str, value: object) -> np.ndarray:
    arr = as_array(name, value)
    if arr.dtype == bool or arr.dtype.kind not in "iu":
        raise TypeError(f"{name} must be an integer array, got dtype {arr.dtype}")
    return arr.astype(np.int64, copy=False)


def _as_float_array(name: str, value: object) -> np.ndarray:
    arr = as_array(name, value)
    if arr.dtype.kind not in "biuf":
        raise TypeError(f"{name} must be a real-valued array, got dtype {arr.dtype}")
    arr = arr.astype(np.float64, copy=False)
    if not np.all(np.isfinite(arr)):
        bad = tuple(int(i) for i in np.argwhere(~np.isfinite(arr))[0])
        raise ValueError(f"{name} must be finite, got {arr[bad]} at index {bad}")
    return arr


def _as_bool_array(name: str, value: object) -> np.ndarray:
    arr = as_array(name, value)
    if arr.dtype == bool:
        return arr
    if arr.dtype.kind in "iu" and np.all((arr == 0) | (arr == 1)):
        return arr.astype(bool)
    raise TypeError(f"{name} must be a boolean array, got dtype {arr.dtype}")


def _merge_duplicates(
    next_states: np.ndarray, probs: np.ndarray, reward: np.ndarray | None, n_states: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
    """Merge repeated successors of each (s, a), sort them, and trim the padding width ``K``.

    The reward of merged entries is their probability-weighted mean.
    """
    S, A, K = next_states.shape
    key = np.where(probs > 0, next_states, n_states)
    order = np.argsort(key, axis=-1, kind="stable")
    key_s = np.take_along_axis(key, order, axis=-1)
    p_s = np.take_along_axis(probs, order, axis=-1)
    new_group = np.ones(key_s.shape, dtype=bool)
    new_group[..., 1:] = key_s[..., 1:] != key_s[..., :-1]
    group = np.cumsum(new_group, axis=-1) - 1
    flat = (np.arange(S * A, dtype=np.int64).reshape(S, A, 1) * K + group).ravel()
    out_p = np.bincount(flat, weights=p_s.ravel(), minlength=S * A * K).reshape(S, A, K)
    out_ns = np.zeros(S * A * K, dtype=np.int64)
    out_ns[flat] = key_s.ravel()
    out_ns = out_ns.reshape(S, A, K)
    out_ns[out_p == 0] = 0
    out_r = None
    if reward is not None:
        r_s = np.take_along_axis(reward, order, axis=-1)
        num = np.bincount(flat, weights=(p_s * r_s).ravel(), minlength=S * A * K).reshape(S, A, K)
        out_r = np.divide(num, out_p, out=np.zeros_like(num), where=out_p > 0)
    width = max(1, int(np.count_nonzero(out_p > 0, axis=-1).max()))
    trim = (slice(None), slice(None), slice(0, width))
    return out_ns[trim].copy(), out_p[trim].copy(), None if out_r is None else out_r[trim].copy()


@dataclass(frozen=True, eq=False)
class FiniteMDP:
    """A finite MDP with sparse stochastic transitions and state-dependent admissible actions.

    Parameters
    ----------
    next_states : ndarray of int64, shape (S, A, K)
        Successor state indices, padded with 0 where ``probs == 0``.
    probs : ndarray of float64, shape (S, A, K)
        Transition probabilities p(s'|s, a). Rows of admissible actions sum to 1 (within 1e-8);
        rows of inadmissible actions are all 0. A successor may appear only once per (s, a)
        (the ``from_*`` constructors merge duplicates).
    action_mask : ndarray of bool, shape (S, A)
        Admissible actions A(s). Every non-terminal state has at least one.
    terminal : ndarray of bool, shape (S,)
        Absorbing terminal states: each has at least one admissible action, and every admissible
        action returns to the state with probability 1. Solvers assign them value 0.
    reward : ndarray of float64, shape (S, A, K) or (S, A), optional
        Extrinsic reward r(s, a, s') (an (S, A) array is broadcast over successors).
    state_labels : pandas.Index or pandas.MultiIndex of length S, optional
        Names of the states, e.g. levels ``(x, y, energy)``.
    action_labels : tuple of str of length A, optional
        Names of the actions.
    name : str
        Name of the world.

    Raises
    ------
    TypeError, ValueError
        When an array has the wrong type or shape, a probability row is not normalised, an index is
        out of range, a non-terminal state has no admissible action or a terminal state is not
        absorbing. Messages name the state and action at fault.
    """

    next_states: np.ndarray
    probs: np.ndarray
    action_mask: np.ndarray
    terminal: np.ndarray
    reward: np.ndarray | None = None
    state_labels: pd.MultiIndex | pd.Index | None = None
    action_labels: tuple[str, ...] | None = None
    name: str = "mdp"

    # ------------------------------------------------------------------ validation
    def __post_init__(self) -> None:  # noqa: C901 (predates the complexity rule)
        ns = _as_int_array("next_states", self.next_states)
        if ns.ndim != 3 or min(ns.shape) == 0:
            raise ValueError(
                "next_states must be a non-empty 3-d array of shape (S, A, K), "
                f"got shape {_shape(ns)}"
            )
        S, A, K = ns.shape
        probs = _as_float_array("probs", self.probs)
        if probs.shape != ns.shape:
            raise ValueError(
                f"probs must have the shape of next_states (S, A, K) = {_shape(ns)}, "
                f"got shape {_shape(probs)}"
            )
        mask = _as_bool_array("action_mask", self.action_mask)
        if mask.shape != (S, A):
            raise ValueError(
                f"action_mask must have shape (S, A) = {(S, A)}, got shape {_shape(mask)}"
            )
        term = _as_bool_array("terminal", self.terminal)
        if term.shape != (S,):
            raise ValueError(f"terminal must have shape (S,) = {(S,)}, got shape {_shape(term)}")

        bad = np.argwhere((ns < 0) | (ns >= S))
        if bad.size:
            s, a, k = (int(i) for i in bad[0])
            raise ValueError(f"next_states[{s}, {a}, {k}] = {ns[s, a, k]} is out of range [0, {S})")
        bad = np.argwhere(probs < 0)
        if bad.size:
            s, a, k = (int(i) for i in bad[0])
            raise ValueError(
                f"probs[{s}, {a}, {k}] = {probs[s, a, k]} is negative; probabilities must be >= 0"
            )
        sums = probs.sum(axis=-1)
        bad = np.argwhere(mask & (np.abs(sums - 1.0) > _PROB_ATOL))
        if bad.size:
            s, a = (int(i) for i in bad[0])
            raise ValueError(f"probs[{s}, {a}] sums to {sums[s, a]:.12g}, expected 1")
        bad = np.argwhere(~mask & (sums != 0))
        if bad.size:
            s, a = (int(i) for i in bad[0])
            raise ValueError(
                f"probs[{s}, {a}] sums to {sums[s, a]:.12g}, expected 0 because action {a} is not "
                f"admissible in state {s} (action_mask[{s}, {a}] is False)"
            )
        no_action = np.flatnonzero(~mask.any(axis=1))
        if no_action.size:
            s = int(no_action[0])
            kind = "terminal state" if term[s] else "non-terminal state"
            raise ValueError(
                f"{kind} {s} has no admissible action (action_mask[{s}] is all False); "
                "every state needs at least one (terminal states one no-op that self-loops)"
            )
        if term.any():
            self_prob = np.where(ns == np.arange(S).reshape(S, 1, 1), probs, 0.0).sum(axis=-1)
            bad = np.argwhere(term[:, None] & mask & (self_prob < 1.0 - _PROB_ATOL))
            if bad.size:
                s, a = (int(i) for i in bad[0])
                raise ValueError(
                    f"terminal state {s} is not absorbing: action {a} leaves it with probability "
                    f"{1.0 - self_prob[s, a]:.6g}"
                )
        if K > 1:
            key = np.sort(np.where(probs > 0, ns, S), axis=-1)
            bad = np.argwhere((key[..., 1:] == key[..., :-1]) & (key[..., 1:] < S))
            if bad.size:
                s, a, k = (int(i) for i in bad[0])
                raise ValueError(
                    f"next_states[{s}, {a}] lists successor {key[s, a, k]} more than once; "
                    "merge duplicates (FiniteMDP.from_arrays does this)"
                )

        reward = self.reward
        if reward is not None:
            reward = _as_float_array("reward", reward)
            if reward.shape == (S, A):
                reward = np.broadcast_to(reward[:, :, None], (S, A, K)).copy()
            elif reward.shape != (S, A, K):
                raise ValueError(
                    f"reward must have shape (S, A, K) = {(S, A, K)} or (S, A) = {(S, A)}, "
                    f"got shape {_shape(reward)}"
                )

        labels = self.state_labels
        if labels is not None:
            if not isinstance(labels, pd.Index):
                raise TypeError(
                    "state_labels must be a pandas Index or MultiIndex, "
                    f"got {type(labels).__name__}"
                )
            if len(labels) != S:
                raise ValueError(f"state_labels must have length S = {S}, got length {len(labels)}")
        actions = self.action_labels
        if actions is not None:
            actions = tuple(actions)
            if len(actions) != A or not all(isinstance(x, str) for x in actions):
                raise ValueError(
                    f"action_labels must be {A} strings (one per action), got {actions!r}"
                )
        if not isinstance(self.name, str):
            raise TypeError(f"name must be a str, got {type(self.name).__name__}")

        object.__setattr__(self, "next_states", ns)
        object.__setattr__(self, "probs", probs)
        object.__setattr__(self, "action_mask", mask)
        object.__setattr__(self, "terminal", term)
        object.__setattr__(self, "reward", reward)
        object.__setattr__(self, "action_labels", actions)

    def __repr__(self) -> str:
        return (
            f"FiniteMDP(name={self.name!r}, n_states={self.n_states}, n_actions={self.n_actions}, "
            f"max_successors={self.max_successors}, n_terminal={int(self.terminal.sum())}, "
            f"reward={'yes' if self.reward is not None else 'no'})"
        )

    # ------------------------------------------------------------------ properties
    @property
    def n_states(self) -> int:
        """Number of states S."""
        return int(self.next_states.shape[0])

    @property
    def n_actions(self) -> int:
        """Number of action slots A (admissible or not)."""
        return int(self.next_states.shape[1])

    @property
    def max_successors(self) -> int:
        """Padding width K: the largest number of successors of any (s, a)."""
        return int(self.next_states.shape[2])

    @property
    def is_deterministic(self) -> bool:
        """True when every admissible (s, a) has a single successor."""
        return bool(np.all(np.count_nonzero(self.probs > 0, axis=-1) <= 1))

    # ------------------------------------------------------------------ computations
    def successor_entropy(self) -> np.ndarray:
        """Entropy H(S'|s, a) of the successor distribution, in nats.

        Returns
        -------
        ndarray of float64, shape (S, A)
            0 for deterministic and for inadmissible actions.
        """
        p = self.probs
        logp = np.log(p, out=np.zeros_like(p), where=p > 0)
        return 0.0 - (p * logp).sum(axis=-1)

    def expectation(self, values: np.ndarray) -> np.ndarray:
        """Expected value E[values(s') | s, a] under p(s'|s, a).

        Parameters
        ----------
        values : array_like, shape (S,)
            A value per state (NaN and inf propagate to the states that reach them).

        Returns
        -------
        ndarray of float64, shape (S, A)
            0 for inadmissible actions.
        """
        v = as_array("values", values, dtype=np.float64)
        if v.shape != (self.n_states,):
            raise ValueError(
                f"values must have shape (S,) = ({self.n_states},), got shape {_shape(v)}"
            )
        if self.max_successors == 1:
            return self.probs[..., 0] * v[self.next_states[..., 0]]
        return np.einsum("sak,sak->sa", self.probs, v[self.next_states])

    def expected_reward(self, reward: np.ndarray | None = None) -> np.ndarray:
        """Expected one-step reward r(s, a) = sum_s' p(s'|s, a) r(s, a, s').

        Parameters
        ----------
        reward : array_like, shape (S, A, K) or (S, A), optional
            Defaults to ``self.reward``.

        Returns
        -------
        ndarray of float64, shape (S, A)
        """
        r = self.reward if reward is None else _as_float_array("reward", reward)
        if r is None:
            raise ValueError(f"MDP {self.name!r} has no reward and none was given")
        if r.shape == (self.n_states, self.n_actions):
            return np.where(self.action_mask, r, 0.0)
        if r.shape != self.probs.shape:
            raise ValueError(
                f"reward must have shape (S, A, K) = {_shape(self.probs)} or (S, A) = "
                f"{(self.n_states, self.n_actions)}, got shape {_shape(r)}"
            )
        return np.einsum("sak,sak->sa", self.probs, r)

    # ------------------------------------------------------------------ constructors
    @staticmethod
    def _check_labels(labels: dict[str, Any]) -> None:
        unknown = sorted(set(labels) - set(_LABEL_KEYS))
        if unknown:
            raise TypeError(f"unknown keyword argument(s) {unknown}; accepted: {list(_LABEL_KEYS)}")

    @classmethod
    def from_arrays(
        cls,
        next_states: np.ndarray,
        probs: np.ndarray,
        action_mask: np.ndarray | None = None,
        terminal: np.ndarray | None = None,
        reward: np.ndarray | None = None,
        **labels: Any,
    ) -> FiniteMDP:
        """Build from padded sparse arrays, merging repeated successors of the same (s, a).

        Parameters
        ----------
        next_states, probs : array_like, shape (S, A, K)
            Successor indices and probabilities (see :class:`FiniteMDP`).
        action_mask : array_like of bool, shape (S, A), optional
            Defaults to the (s, a) whose probabilities sum to more than 0.
        terminal : array_like of bool, shape (S,), optional
            Defaults to no terminal state.
        reward : array_like, shape (S, A, K) or (S, A), optional
        **labels
            ``state_labels``, ``action_labels``, ``name``.
        """
        cls._check_labels(labels)
        ns = _as_int_array("next_states", next_states)
        p = _as_float_array("probs", probs)
        if ns.ndim != 3 or p.shape != ns.shape:
            raise ValueError(
                "next_states and probs must be 3-d arrays of the same shape (S, A, K), got "
                f"shapes {_shape(ns)} and {_shape(p)}"
            )
        S, A, K = ns.shape
        mask = p.sum(axis=-1) > 0 if action_mask is None else action_mask
        term = np.zeros(S, dtype=bool) if terminal is None else terminal
        r = None if reward is None else _as_float_array("reward", reward)
        if r is not None and r.shape == (S, A):
            r = np.broadcast_to(r[:, :, None], (S, A, K))
        if r is not None and r.shape != (S, A, K):
            raise ValueError(
                f"reward must have shape (S, A, K) = {(S, A, K)} or (S, A) = {(S, A)}, "
                f"got shape {_shape(r)}"
            )
        if ns.size and ns.min() >= 0 and ns.max() < S and p.min() >= 0:
            ns, p, r = _merge_duplicates(ns, p, r, S)
        return cls(ns, p, mask, term, r, **labels)

    @classmethod
    def from_dense(
        cls,
        P: np.ndarray,
        action_mask: np.ndarray | None = None,
        terminal: np.ndarray | Sequence[int] | None = None,
        reward: np.ndarray | None = None,
        *,
        layout: str = "SAS",
        renormalize: float = 0.0,
        terminal_action: int = 0,
        **labels: Any,
    ) -> FiniteMDP:
        """Build from a dense transition tensor ``P[s, a, s'] = p(s'|s, a)``.

        Parameters
        ----------
        P : array_like, shape (S, A, S) (or (A, S, S) with ``layout="ASS"``)
            Dense transition probabilities; all-zero rows mark inadmissible actions.
        action_mask : array_like of bool, shape (S, A), optional
            Defaults to the rows of ``P`` that sum to more than 0.
        terminal : array_like of bool, shape (S,), or sequence of int, optional
            Terminal states (a boolean mask or a list of indices); default none. They need no
            self-loops: whatever ``P`` says there (a row that moves on, all-zero rows), each gets
            the single admissible action ``terminal_action`` that stays, and reward 0.
        reward : array_like, shape (S, A, S) or (S, A), optional
            Dense reward r(s, a, s') (in ``layout``) or r(s, a).
        layout : {"SAS", "ASS"}, default "SAS"
            Axis order of ``P`` (and of a 3-d ``reward``): ``P[s, a, s']`` or ``P[a, s, s']`` (the
            layout of pymdptoolbox and mushroom-rl's ``P[a]``). With as many actions as states
            the shape cannot tell them apart: say which.
        renormalize : float, default 0
            Rows whose sums lie within this of 1 are divided by their sum (float32 or rounded
            inputs); rows further off are refused. At most 0.1.
        terminal_action : int, default 0
            The no-op action given to terminal states.
        **labels
            ``state_labels``, ``action_labels``, ``name``.

        Examples
        --------
        A 5-state chain (move right or stay; the last state is terminal):

        >>> import numpy as np
        >>> from neuromop.mdp import FiniteMDP, solve_mop
        >>> P = np.zeros((5, 2, 5))
        >>> P[np.arange(5), 0, np.minimum(np.arange(5) + 1, 4)] = 1
        >>> P[np.arange(5), 1, np.arange(5)] = 1
        >>> mdp = FiniteMDP.from_dense(P, terminal=[4])
        >>> int(mdp.terminal.sum()), mdp.n_actions
        (1, 2)
        """
        cls._check_labels(labels)
        dense = dense_transitions(P, layout=layout, renormalize=renormalize, terminal=terminal,
                                  terminal_action=terminal_action, reward=reward)
        P, term = dense["P"], dense["terminal"]
        S, A, _ = P.shape
        nonzero = P != 0
        K = max(1, int(np.count_nonzero(nonzero, axis=-1).max()))
        order = np.argsort(~nonzero, axis=-1, kind="stable")[..., :K]
        probs = np.take_along_axis(P, order, axis=-1)
        ns = np.where(probs != 0, order, 0).astype(np.int64)
        r = dense["reward"]
        if r is not None:
            r = (np.broadcast_to(r[:, :, None], (S, A, K)).copy() if r.ndim == 2
                 else np.take_along_axis(r, order, axis=-1))
        if action_mask is None:
            mask = probs.sum(axis=-1) > 0
        else:
            mask = _as_bool_array("action_mask", action_mask).copy()
            if mask.shape == (S, A) and term.any():
                mask[term] = np.arange(A) == terminal_action
        return cls(ns, probs, mask, term, r, **labels)

    @classmethod
    def from_function(  # noqa: C901
        cls,
        n_states: int,
        n_actions: int,
        transition: Callable[[int, int], Sequence[tuple[int, float]] | None],
        *,
        terminal: np.ndarray | Sequence[int] | None = None,
        reward: Callable[[int, int, int], float] | None = None,
        terminal_action: int = 0,
        **labels: Any,
    ) -> FiniteMDP:
        """Build by calling ``transition(s, a)`` for every state and action (construction path).

        Parameters
        ----------
        n_states, n_actions : int
            S and A.
        transition : callable
            ``transition(s, a)`` returns ``None`` when ``a`` is not admissible in ``s``, otherwise a
            sequence of ``(s_next, prob)`` pairs (repeated successors are merged).
        terminal : array_like of bool, shape (S,), or sequence of int, optional
            Terminal states (a boolean mask or a list of indices). ``transition`` is not called for
            them: each gets the single admissible action ``terminal_action``, a self-loop.
        reward : callable, optional
            ``reward(s, a, s_next)`` -> float, the extrinsic reward.
        terminal_action : int
            Index of the no-op action given to terminal states.
        **labels
            ``state_labels``, ``action_labels``, ``name``.
        """

        cls._check_labels(labels)
        S = check_int("n_states", n_states, low=1, high=MAX_SIZE)
        A = check_int("n_actions", n_actions, low=1, high=MAX_SIZE)
        check_int("n_states x n_actions (transition calls)", S * A, high=MAX_SIZE)
        check_int("terminal_action", terminal_action, low=0, high=A - 1)
        if not callable(transition):
            raise TypeError(f"transition must be callable, got {type(transition).__name__}")
        if reward is not None and not callable(reward):
            raise TypeError(f"reward must be callable or None, got {type(reward).__name__}")
        term = terminal_mask(terminal, S)
        rows: list[list[tuple[int, float, float]]] = []
        for s in range(S):
            for a in range(A):
                if term[s]:
                    rows.append([(s, 1.0, 0.0)] if a == terminal_action else [])
                    continue
                out = transition(s, a)
                if out is None:
                    rows.append([])
                    continue
                pairs = list(out)
                if not pairs:
                    raise ValueError(
                        f"transition({s}, {a}) returned no successors; return None for an "
                        "inadmissible action"
                    )
                row = []
                for pair in pairs:
                    if len(pair) != 2:
                        raise ValueError(
                            f"transition({s}, {a}) must return (s_next, prob) pairs, got {pair!r}"
                        )
                    s2, prob = pair
                    if not isinstance(s2, numbers.Integral) or not 0 <= int(s2) < S:
                        raise ValueError(
                            f"transition({s}, {a}) gave successor {s2!r}, "
                            f"expected an int in [0, {S})"
                        )
                    r = 0.0 if reward is None else float(reward(s, a, int(s2)))
                    row.append((int(s2), float(prob), r))
                rows.append(row)
        K = max(1, max(len(r) for r in rows))
        ns = np.zeros((S * A, K), dtype=np.int64)
        p = np.zeros((S * A, K))
        rw = np.zeros((S * A, K))
        for i, row in enumerate(rows):
            for k, (s2, prob, r) in enumerate(row):
                ns[i, k], p[i, k], rw[i, k] = s2, prob, r
        mask = np.array([bool(r) for r in rows]).reshape(S, A)
        return cls.from_arrays(
            ns.reshape(S, A, K),
            p.reshape(S, A, K),
            mask,
            term,
            None if reward is None else rw.reshape(S, A, K),
            **labels,
        )


def make_random_mdp(
    n_states: int,
    n_actions: int,
    n_successors: int,
    *,
    p_terminal: float = 0.1,
    reward: bool = False,
    random_state=None,
) -> FiniteMDP:
    """A random finite MDP, for tests, examples and benchmarks.

    Each action is admissible with probability 0.7 (at least one per state); each admissible
    (s, a) has ``n_successors`` random successors with Dirichlet probabilities, collapsed to one
    successor for about half of them; each state is terminal (absorbing) with probability
    ``p_terminal``.

    Parameters
    ----------
    n_states, n_actions, n_successors : int
        ``S``, ``A`` and ``K`` (all >= 1).
    p_terminal : float
        Probability that a state is terminal.
    reward : bool
        Attach a standard-normal extrinsic reward r(s, a, s').
    random_state : None, int or numpy.random.Generator
    """

    S = check_int("n_states", n_states, low=1, high=MAX_SIZE)
    A = check_int("n_actions", n_actions, low=1, high=MAX_SIZE)
    K = check_int("n_successors", n_successors, low=1, high=MAX_SIZE)
    _ = check_int("n_states x n_actions x n_successors", S * A * K, high=MAX_SIZE)
    p_terminal = check_probability("p_terminal", p_terminal)
    rng = as_generator(random_state)
    mask = rng.random((S, A)) < 0.7
    mask[np.arange(S), rng.integers(A, size=S)] = True
    term = rng.random(S) < p_terminal
    ns = rng.integers(0, S, (S, A, K))
    p = rng.dirichlet(np.ones(K), size=(S, A)) * (rng.random((S, A, 1)) < 0.5 + 0.5 * (K == 1))
    p[p.sum(-1) == 0, 0] = 1.0
    p = p * mask[..., None]
    # terminal states: one admissible no-op that loops on itself
    mask[term] = False
    mask[term, 0] = True
    p[term] = 0.0
    p[term, 0, 0] = 1.0
    ns[term, 0, 0] = np.flatnonzero(term)
    r = rng.normal(size=(S, A, K)) if reward else None
    return FiniteMDP.from_arrays(ns, p, mask, term, r)
