"""Six-shapes study: the task geometry, the antithetic action set and the spread measures."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from neuromop.envs import SHAPES
from neuromop.envs.rate_rnn import antithetic_candidates
from neuromop.envs.terminal import shape_fill_std
from neuromop.studies.shapes import ShapesStudy, format_spread, readout_spread, spread_history

NAMES = [name for name, _ in SHAPES]

# closed forms of sqrt((var_x + var_y) / 2) for a uniform point (unscaled geometry of SHAPES)
_CLOSED = {
    "square": 0.5 / math.sqrt(3),                              # half side h: h / sqrt(3)
    "disc": 0.55 / 2,                                          # radius r: r / 2
    "triangle": 0.75 / math.sqrt(8),                           # equilateral, circumradius R
    "hexagon": 0.6 * math.sqrt(5 / 24),                        # regular, circumradius R
    "wide rectangle": math.sqrt((0.8**2 + 0.3**2) / 6),       # half sides a, b
    "tall rectangle": math.sqrt((0.3**2 + 0.8**2) / 6),
}


@pytest.mark.parametrize("c", range(len(NAMES)), ids=NAMES)
def test_shape_fill_std_matches_closed_forms(c):
    assert shape_fill_std()[c] == pytest.approx(_CLOSED[NAMES[c]], rel=1e-12)


@pytest.mark.parametrize("c", range(len(NAMES)), ids=NAMES)
def test_shape_fill_std_matches_a_grid_over_the_terminal_set(c):
    from neuromop.envs import ShapeSet

    scale = 0.7
    grid = np.linspace(-1.0, 1.0, 801)
    gx, gy = np.meshgrid(grid, grid)
    pts = torch.as_tensor(np.stack([gx, gy], -1), dtype=torch.float64)
    inside = ShapeSet(scale).inside(pts)[..., c].numpy()
    x, y = gx[inside], gy[inside]
    want = math.sqrt((x.var() + y.var()) / 2)
    assert shape_fill_std(scale)[c] == pytest.approx(want, rel=5e-3)


def test_shape_fill_std_rejects_a_non_positive_scale():
    with pytest.raises(ValueError, match="scale"):
        shape_fill_std(0.0)


def test_antithetic_candidates_are_zero_plus_opposite_pairs():
    cand = antithetic_candidates(7, 5, 2.0, random_state=3)
    assert cand.shape == (7, 5) and cand.dtype == np.float32
    np.testing.assert_array_equal(cand[0], 0.0)
    np.testing.assert_array_equal(cand[1::2], -cand[2::2])
    np.testing.assert_allclose(cand.sum(axis=0), 0.0, atol=1e-6)
    assert len({tuple(r) for r in cand[1::2]}) == 3
    np.testing.assert_array_equal(cand, antithetic_candidates(7, 5, 2.0, random_state=3))


@pytest.mark.parametrize(("k", "match"), [(6, "odd"), (0, "n_candidates")])
def test_antithetic_candidates_reject_bad_sizes(k, match):
    with pytest.raises(ValueError, match=match):
        antithetic_candidates(k, 4, 1.0)


def test_shapes_env_uses_antithetic_currents():
    study = ShapesStudy.for_budget("smoke")
    env = study.make_env()
    assert env.n_candidates == study.n_candidates == 17
    torch.testing.assert_close(env.currents.sum(dim=0), torch.zeros(study.n_neurons),
                               atol=1e-4, rtol=0)


@pytest.fixture(scope="module")
def free_and_random_lifetimes():
    """Mean lifetime (steps) per context of the free network and random currents, default env."""
    from neuromop.control import FreeController, RandomController, rollout

    previous = torch.get_num_threads()
    torch.set_num_threads(1)      # module fixtures run before the autouse one-thread fixture
    study = ShapesStudy.for_budget("default")
    env = study.make_env()
    out = {}
    for c in range(len(NAMES)):
        env.context_index = c
        for name, ctrl in (("free", FreeController(env)), ("random", RandomController(env))):
            ds = rollout(env, ctrl, 200, n_trials=24, random_state=1, record_activity=False)
            out[name, c] = float(ds["lifetime"].mean())
    torch.set_num_threads(previous)
    return out


@pytest.mark.parametrize("who", ["free", "random"])
@pytest.mark.parametrize("c", range(len(NAMES)), ids=NAMES)
def test_default_constraint_binds_free_and_random_leave_within_tens_of_steps(
        free_and_random_lifetimes, who, c):
    # measured (seed 0, 300-step rollouts): free 24-42 steps, random currents 30-80 steps
    assert free_and_random_lifetimes[who, c] < 120


def _spread_ds(context, alive, readout):
    import xarray as xr

    ctx = np.repeat(np.asarray(context)[:, None], alive.shape[1], axis=1)
    return xr.Dataset({"readout": (("trial", "time", "readout"), readout),
                       "alive": (("trial", "time"), alive),
                       "context": (("trial", "time"), ctx)})


_CONTEXT = np.array([0, 0, 1, 2, 2, 2, 4, 5, 5])              # context 3 has no trials


def _synthetic():
    rng = np.random.default_rng(5)
    readout = rng.normal(size=(9, 30, 2)) * (1 + _CONTEXT[:, None, None])
    readout += (8.0 * np.arange(9) * (1 + _CONTEXT))[:, None, None]   # per-trial offsets
    alive = np.ones((9, 30), dtype=bool)
    alive[1, 12:] = False
    alive[4, 1:] = False                                      # a trial with one alive sample
    alive[6, 1:] = False                                      # context 4: one alive sample
    return readout_spread(_spread_ds(_CONTEXT, alive, readout)), readout, alive


@pytest.mark.parametrize("c", [0, 1, 2, 5])
def test_trajectory_std_matches_a_per_trial_reference(c):
    got, readout, alive = _synthetic()
    stds = [math.sqrt(np.mean(np.var(readout[i][alive[i]], axis=0, ddof=1)))
            for i in np.flatnonzero(_CONTEXT == c) if alive[i].sum() >= 2]
    np.testing.assert_allclose(float(got["trajectory_std"][c]), np.mean(stds), rtol=1e-10)


@pytest.mark.parametrize("c", [0, 2, 5])
def test_per_trial_offsets_inflate_the_pooled_std_only(c):
    got, _, _ = _synthetic()
    assert float(got["readout_std"][c]) > 1.2 * float(got["trajectory_std"][c])


@pytest.mark.parametrize("c", [3, 4])
def test_trajectory_std_is_nan_without_a_trial_of_two_alive_samples(c):
    got, _, _ = _synthetic()
    assert np.isnan(got["trajectory_std"][c])


def _record(epoch, value):
    return {"epoch": epoch, **{k: dict.fromkeys(NAMES, value)
                               for k in ("readout_std", "trajectory_std", "alive_fraction")}}


def test_spread_history_carries_the_fill_reference_and_formats_a_table():
    study = ShapesStudy.for_budget("smoke", shape_scale=0.8)
    hist = [_record(0, 0.1), _record(1, 0.2)]
    ds = spread_history(hist, study)
    assert ds["trajectory_std"].dims == ("epoch", "context")
    np.testing.assert_allclose(ds["shape_fill_std"].values, shape_fill_std(0.8))
    ref = {"free": {k: dict.fromkeys(NAMES, 0.5) for k in hist[0] if k != "epoch"}}
    table = format_spread(ds, ref)
    assert "free" in table and "MOP ep 1" in table
    assert table.splitlines()[2].split()[:2] == ["square", f"{shape_fill_std(0.8)[0]:.3f}"]


def test_spread_history_rejects_records_without_trajectory_std():
    rec = _record(0, 0.1)
    del rec["trajectory_std"]
    with pytest.raises(ValueError, match="trajectory_std"):
        spread_history([rec])


def _synthetic_spread():
    rng = np.random.default_rng(3)
    readout = rng.normal(size=(9, 30, 2)) * (1 + _CONTEXT[:, None, None])
    alive = np.ones((9, 30), dtype=bool)
    alive[1, 12:] = False
    alive[6, 1:] = False                                      # context 4: one alive sample
    return readout_spread(_spread_ds(_CONTEXT, alive, readout)), readout, alive


@pytest.mark.parametrize("c", [0, 1, 2, 5])
def test_readout_spread_matches_a_per_context_reference(c):
    got, readout, alive = _synthetic_spread()
    pts = readout[(_CONTEXT == c)[:, None] & alive]           # (samples, 2)
    want = np.sqrt(np.mean(np.var(pts, axis=0, ddof=1)))
    np.testing.assert_allclose(float(got["readout_std"][c]), want, rtol=1e-10)
    frac = len(pts) / ((_CONTEXT == c).sum() * 30)
    assert float(got["alive_fraction"][c]) == pytest.approx(frac)


def test_readout_spread_is_nan_without_enough_alive_samples():
    got, _, _ = _synthetic_spread()
    assert np.isnan(got["readout_std"][3]) and np.isnan(got["alive_fraction"][3])
    assert np.isnan(got["readout_std"][4]) and float(got["alive_fraction"][4]) == 1 / 30
    assert got["n_trials"].values.tolist() == [2, 1, 3, 0, 1, 2]


def test_spread_history_rejects_records_without_the_evaluation():
    with pytest.raises(ValueError, match="readout_std"):
        spread_history([{"epoch": 0, "lifetime": 3.0}])


def test_room_crossings_counts_room_changes_by_hand():
    import xarray as xr

    from neuromop.envs import Corridor
    from neuromop.studies.tasks import room_crossings

    corridor = Corridor(room_offset=0.5, room_half=0.25, corridor_half=0.08)
    left, mid, right, out = (-0.5, 0.0), (0.0, 0.0), (0.5, 0.0), (0.0, 0.9)
    paths = [[left, mid, right, mid, left, left],      # left -> right -> left: 2
             [mid, right, right, right, right, right],  # starts in the corridor: 0
             [left, mid, right, out, out, out],         # one crossing, then dead: 1
             [right, mid, right, mid, right, right]]   # back into the same room: 0
    alive = np.array([[True] * 6, [True] * 6, [True, True, True, True, False, False],
                      [True] * 6])
    ds = xr.Dataset({"readout": (("trial", "time", "readout"), np.array(paths)),
                     "alive": (("trial", "time"), alive)})
    assert room_crossings(ds, corridor) == pytest.approx((2 + 0 + 1 + 0) / 4)


def _corridor_rollout(paths, entropy, alive):
    import xarray as xr

    return xr.Dataset({"readout": (("trial", "time", "readout"), np.array(paths, dtype=float)),
                       "action_entropy": (("trial", "time"), np.array(entropy, dtype=float)),
                       "alive": (("trial", "time"), np.array(alive))})


def test_corridor_entropy_contrast_is_the_corridor_mean_minus_the_pooled_rooms_by_hand():
    from neuromop.envs import Corridor
    from neuromop.studies.tasks import corridor_entropy_contrast, entropy_by_region

    corridor = Corridor(room_offset=0.5, room_half=0.25, corridor_half=0.08)
    left, mid, right, out = (-0.5, 0.0), (0.0, 0.0), (0.5, 0.0), (0.0, 0.9)
    # the last time point has no action; the dead step (alive False) is left out
    paths = [[left, mid, right, right, left], [left, left, mid, out, out]]
    entropy = [[2.0, 1.0, 3.0, 3.0, 9.0], [2.0, 2.0, 0.5, 9.0, 9.0]]
    alive = [[True] * 5, [True, True, True, False, False]]
    ds = _corridor_rollout(paths, entropy, alive)
    # rooms: 2, 3, 3 (trial 0), 2, 2 (trial 1) -> 12 / 5; corridor: 1, 0.5 -> 0.75
    assert corridor_entropy_contrast(ds, corridor) == pytest.approx(0.75 - 12 / 5)
    regions = entropy_by_region(ds, corridor)
    assert regions == pytest.approx({"left room": 2.0, "corridor": 0.75, "right room": 3.0})


def test_corridor_entropy_contrast_is_nan_without_both_kinds_of_step():
    from neuromop.envs import Corridor
    from neuromop.studies.tasks import corridor_entropy_contrast

    corridor = Corridor(room_offset=0.5, room_half=0.25, corridor_half=0.08)
    ds = _corridor_rollout([[(-0.5, 0.0)] * 3], [[2.0, 2.0, 2.0]], [[True] * 3])
    assert np.isnan(corridor_entropy_contrast(ds, corridor))


def test_control_studies_pass_the_annealed_learning_rate_to_training():
    from neuromop.studies import CorridorStudy

    study = CorridorStudy.for_budget("smoke", final_learning_rate=1e-4)
    assert study.train_kwargs()["final_learning_rate"] == 1e-4
    assert ShapesStudy.for_budget("smoke").train_kwargs()["final_learning_rate"] is None


@pytest.mark.parametrize("final", [0.0, 1e-2])
def test_control_studies_reject_a_final_learning_rate_outside_zero_and_the_initial_one(final):
    from neuromop.studies import CorridorStudy

    with pytest.raises(ValueError, match="final_learning_rate"):
        CorridorStudy.for_budget("smoke", final_learning_rate=final)


@pytest.mark.parametrize("kw", [dict(referee_points=1), dict(referee_points=-1),
                                dict(referee_points=2.5), dict(noise_std=0.1)])
def test_cartpole_study_rejects_a_referee_it_cannot_solve(kw):
    from neuromop.studies import CartpoleStudy

    with pytest.raises((ValueError, TypeError), match="referee_points"):
        CartpoleStudy.for_budget("smoke", **kw)


def test_cartpole_study_trains_on_uniform_states_of_the_arena():
    from neuromop.studies import CartpoleStudy

    assert CartpoleStudy.for_budget("smoke").train_kwargs()["coverage_states"] == 800
    assert CartpoleStudy.for_budget("default").train_kwargs()["coverage_states"] == 6400
    with pytest.raises(ValueError, match="coverage_states"):
        CartpoleStudy.for_budget("smoke", coverage_states=-1)
