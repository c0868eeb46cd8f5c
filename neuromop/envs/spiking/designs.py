"""Action designs of the spiking network: the candidate currents a controller chooses from.

A design says how a controller can act: levels of current into whole populations
(:func:`energy_candidate_actions`), or population levels combined with balanced patterns that
move current between groups of E neurons without changing the population's input
(:func:`balanced_patterns`, :func:`patterned_candidate_actions`). Currents are in nA.
"""

from __future__ import annotations

import math

import numpy as np

from neuromop._checks import check_finite_array, check_int, check_real
from neuromop._random import as_generator

__all__ = ["balanced_patterns", "energy_candidate_actions", "patterned_candidate_actions"]


def energy_candidate_actions(amplitude: float = 0.03, levels: int = 3,
                             n_targets: int = 2) -> np.ndarray:
    """The grid of current vectors (nA): ``levels`` currents into each of ``n_targets`` targets.

    Parameters
    ----------
    amplitude : float
        Largest absolute current (nA), > 0.
    levels : int
        Odd number of levels per target, ``>= 3`` (so that the all-zero action is included),
        evenly spaced in ``[-amplitude, amplitude]``.
    n_targets : int
        Action components (e.g. 2 for currents into the E and I populations), >= 1.

    Returns
    -------
    numpy.ndarray, shape (levels**n_targets, n_targets)
        Every combination of levels, the first target varying slowest.
    """
    amplitude = check_real("amplitude", amplitude, low=0.0, low_inclusive=False)
    levels = check_int("levels", levels, low=3)
    if levels % 2 == 0:
        raise ValueError(f"levels must be odd (to include 0 nA), got {levels}")
    n_targets = check_int("n_targets", n_targets, low=1)
    grid = np.linspace(-amplitude, amplitude, levels)
    mesh = np.meshgrid(*([grid] * n_targets), indexing="ij")
    return np.stack([m.ravel() for m in mesh], axis=1)


def balanced_patterns(n_patterns: int, n_groups: int, random_state=None) -> np.ndarray:
    """Distinct random sign patterns over groups, half of the groups ``+1`` and half ``-1``.

    A balanced pattern moves currents between groups of neurons without changing their sum, so
    it leaves the population's mean input -- and, to first order, its rate -- unchanged.

    Parameters
    ----------
    n_patterns : int
        Number of patterns, >= 1 and at most the number of balanced patterns
        (``comb(n_groups, n_groups // 2)``).
    n_groups : int
        Even number of groups, >= 2.
    random_state : None, int or numpy.random.Generator

    Returns
    -------
    numpy.ndarray, shape (n_patterns, n_groups)
        Rows of ``+1.0`` / ``-1.0``, each summing to 0, no two equal.
    """
    n_groups = check_int("n_groups", n_groups, low=2)
    if n_groups % 2:
        raise ValueError(f"n_groups must be even (half +1, half -1), got {n_groups}")
    available = math.comb(n_groups, n_groups // 2)
    n_patterns = check_int("n_patterns", n_patterns, low=1, high=available)
    rng = as_generator(random_state)
    base = np.repeat([1.0, -1.0], n_groups // 2)
    seen, rows = set(), []
    while len(rows) < n_patterns:
        row = rng.permutation(base)
        key = row.tobytes()
        if key not in seen:
            seen.add(key)
            rows.append(row)
    return np.stack(rows)


def patterned_candidate_actions(amplitude: float, pattern_amplitude: float,
                                patterns: np.ndarray, *, control_inh: bool = True) -> np.ndarray:
    """Population currents combined with balanced patterns across groups of E neurons (nA).

    Every candidate is a population level for E (``-amplitude``, 0, ``+amplitude``, the same for
    every group), a pattern ``pattern_amplitude * patterns[k]`` added group by group, and, with
    ``control_inh``, a level for the I population: ``3 ** (1 + control_inh) * len(patterns)``
    candidates. The population levels control the
    mean rate (energy); the patterns redistribute the input within E and let a controller add
    spike-count variance in many directions at little cost to its mean rate.

    Parameters
    ----------
    amplitude : float
        Population current level (nA), > 0.
    pattern_amplitude : float
        Current added to (``+``) or removed from (``-``) each group by a pattern (nA), > 0.
    patterns : array_like, shape (n_patterns, n_groups)
        Signs per group (e.g. from :func:`balanced_patterns`).
    control_inh : bool
        Append a current into the I population (last column).

    Returns
    -------
    numpy.ndarray, shape (3 ** (1 + control_inh) * n_patterns, n_groups + control_inh)
        The population level varying slowest, then the I level, then the pattern.
    """
    pattern_amplitude = check_real("pattern_amplitude", pattern_amplitude, low=0.0,
                                   low_inclusive=False)
    patterns = check_finite_array("patterns", patterns, ndim=2)
    if not isinstance(control_inh, bool):
        raise TypeError(f"control_inh must be a bool, got {control_inh!r}")
    levels = energy_candidate_actions(amplitude, 3, n_targets=1 + int(control_inh))
    n_levels, n_patterns = len(levels), len(patterns)
    e = levels[:, None, :1] + pattern_amplitude * patterns[None, :, :]
    i = np.broadcast_to(levels[:, None, 1:], (n_levels, n_patterns, levels.shape[1] - 1))
    return np.concatenate([e, i], axis=2).reshape(n_levels * n_patterns, -1)
