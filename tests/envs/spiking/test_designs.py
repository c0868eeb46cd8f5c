"""Action designs of the spiking network: grids of population currents and balanced patterns."""

from __future__ import annotations

import numpy as np
import pytest

from neuromop.envs.spiking import (
    balanced_patterns,
    energy_candidate_actions,
    patterned_candidate_actions,
)


def test_candidate_grid_is_every_combination_of_levels():
    import itertools

    cand = energy_candidate_actions(0.06, 3, n_targets=3)
    assert cand.shape == (27, 3)
    expected = np.array(list(itertools.product([-0.06, 0.0, 0.06], repeat=3)))
    np.testing.assert_allclose(cand, expected)
    # the two-target default keeps its (E slowest, I fastest) order
    np.testing.assert_allclose(energy_candidate_actions(0.03, 5),
                               np.array(list(itertools.product(np.linspace(-0.03, 0.03, 5),
                                                               repeat=2))))


@pytest.mark.parametrize("kw, match", [
    ({"levels": 4}, "levels must be odd"),
    ({"n_targets": 0}, "n_targets"),
    ({"amplitude": -0.1}, "amplitude"),
])
def test_candidate_grid_checks_arguments(kw, match):
    with pytest.raises(ValueError, match=match):
        energy_candidate_actions(**{"amplitude": 0.03, **kw})


def test_balanced_patterns_are_distinct_zero_sum_signs_and_seeded():
    pats = balanced_patterns(12, 6, random_state=3)
    assert pats.shape == (12, 6)
    assert set(np.unique(pats)) == {-1.0, 1.0}
    np.testing.assert_array_equal(pats.sum(axis=1), 0.0)
    assert len({row.tobytes() for row in pats}) == 12
    np.testing.assert_array_equal(pats, balanced_patterns(12, 6, random_state=3))
    assert not np.array_equal(pats, balanced_patterns(12, 6, random_state=4))
    # all comb(4, 2) = 6 balanced patterns of 4 groups can be drawn, and no more
    assert len({r.tobytes() for r in balanced_patterns(6, 4, random_state=0)}) == 6


@pytest.mark.parametrize("kw, match", [
    (dict(n_patterns=4, n_groups=5), "n_groups must be even"),
    (dict(n_patterns=7, n_groups=4), r"n_patterns must be <= 6"),
    (dict(n_patterns=0, n_groups=4), "n_patterns must be >= 1"),
])
def test_balanced_patterns_check_arguments(kw, match):
    with pytest.raises(ValueError, match=match):
        balanced_patterns(**kw)


def test_patterned_candidates_add_each_pattern_to_every_population_level():
    import itertools

    pats = np.array([[1.0, -1.0, 1.0, -1.0], [-1.0, -1.0, 1.0, 1.0]])
    cand = patterned_candidate_actions(0.06, 0.02, pats)
    assert cand.shape == (18, 5)
    # slowest: E level, then I level, fastest: pattern
    expected = [[e + 0.02 * p for p in pat] + [i]
                for e, i in itertools.product([-0.06, 0.0, 0.06], repeat=2) for pat in pats]
    np.testing.assert_allclose(cand, expected)
    # patterns leave the mean E current at the population level
    np.testing.assert_allclose(cand[:, :4].mean(axis=1), np.repeat([-0.06, 0.0, 0.06], 6))
    excitatory = patterned_candidate_actions(0.06, 0.02, pats, control_inh=False)
    np.testing.assert_allclose(excitatory, cand[[0, 1, 6, 7, 12, 13], :4])


def test_patterned_candidates_check_arguments():
    pats = balanced_patterns(2, 4, random_state=0)
    with pytest.raises(ValueError, match="pattern_amplitude"):
        patterned_candidate_actions(0.06, 0.0, pats)
    with pytest.raises(ValueError, match="patterns"):
        patterned_candidate_actions(0.06, 0.02, pats[0])
    with pytest.raises(TypeError, match="control_inh must be a bool"):
        patterned_candidate_actions(0.06, 0.02, pats, control_inh=1)
