"""Tests of the composable terminal sets against hand computations."""

from __future__ import annotations

import pytest
import torch

from neuromop.envs import (
    SHAPES,
    CompositeTerminal,
    Corridor,
    EnergyBudget,
    InnerSquareReward,
    RateRNNEnv,
    ShapeSet,
    SquareBox,
    TaskView,
)
from neuromop.envs.terminal import EnvSpec


def _view(activity, readout=None, context=None):
    activity = torch.as_tensor(activity, dtype=torch.float32)
    lead = activity.shape[:-1]
    readout = torch.zeros(lead + (2,)) if readout is None else torch.as_tensor(readout).float()
    context = torch.zeros(lead + (0,)) if context is None else torch.as_tensor(context).float()
    return TaskView(activity, readout, context)


def test_energy_accounting_matches_hand_computation():
    budget = EnergyBudget(max_energy=0.3, time_constant=0.5, threshold=0.2)
    budget.bind(EnvSpec(n_neurons=3, n_readouts=0, n_contexts=0, dt=0.1))
    e = torch.tensor([[0.25]])
    x1 = _view([[0.5, -0.1, -1.0]])
    # c = ((0.5-0.2)^2 + 0 + (1.0-0.2)^2) / 3 = (0.09 + 0.64) / 3
    c1 = (0.09 + 0.64) / 3
    e1 = budget.next_aux(e, x1)
    assert float(e1) == pytest.approx(0.25 + 0.2 * (c1 - 0.25))
    assert not budget.is_terminal(x1, e1)
    e2 = budget.next_aux(e1, x1)
    assert float(e2) == pytest.approx(float(e1) + 0.2 * (c1 - float(e1)))
    assert bool(budget.is_terminal(x1, torch.tensor([[0.31]])))


def test_energy_inside_the_env_follows_the_rule_along_a_trajectory():
    budget = EnergyBudget(max_energy=10.0, time_constant=2.0)
    env = RateRNNEnv(20, num_envs=3, terminal=budget, dt=0.1, random_state=0)
    states, _ = env.reset(seed=0)
    energy = states[:, -1].clone()
    assert torch.all(energy == 0)
    for _ in range(5):
        states, *_ = env.step(torch.tensor([0, 1, 2]))
        cost = states[:, :20].pow(2).mean(dim=1)
        energy = energy + 0.05 * (cost - energy)
        torch.testing.assert_close(states[:, -1], energy)


def test_square_box():
    box = SquareBox(neurons=(1, 2), half_width=0.5)
    v = _view([[9.0, 0.4, -0.49], [0.0, 0.51, 0.0], [0.0, 0.0, -0.6]])
    assert box.is_terminal(v, None).tolist() == [False, True, True]


@pytest.mark.parametrize("index", range(6))
def test_shapes_origin_inside_and_far_point_outside(index):
    shapes = ShapeSet()
    ctx = torch.zeros(2, 6)
    ctx[:, index] = 1
    v = _view(torch.zeros(2, 4), readout=[[0.0, 0.0], [2.0, 2.0]], context=ctx)
    assert shapes.is_terminal(v, None).tolist() == [False, True]


def test_shapes_differ_by_context():
    shapes = ShapeSet()
    names = [n for n, _ in SHAPES]
    point = torch.tensor([[0.7, 0.0]])  # inside the wide rectangle only
    inside = shapes.inside(point)[0]
    assert inside[names.index("wide rectangle")]
    assert not inside[names.index("tall rectangle")] and not inside[names.index("square")]
    point = torch.tensor([[0.45, 0.45]])  # square corner region, outside the disc of radius 0.55
    inside = shapes.inside(point)[0]
    assert inside[names.index("square")] and not inside[names.index("disc")]


def test_corridor_regions():
    corr = Corridor(room_offset=0.5, room_half=0.25, corridor_half=0.05)
    pts = torch.tensor([[-0.5, 0.2], [0.0, 0.04], [0.0, 0.1], [0.6, -0.2], [1.0, 0.0]])
    assert corr.region(pts).tolist() == [0, 1, -1, 2, -1]


def test_inner_square_reward_and_composition():
    task = SquareBox((0, 1), 0.5) | EnergyBudget(0.2) | InnerSquareReward((0, 1), 0.1, mu=2.5)
    assert isinstance(task, CompositeTerminal) and len(task.parts) == 3
    assert task.aux_names == ("energy",)
    task.bind(EnvSpec(3, 2, 0, 0.1))
    v = _view([[0.05, 0.0, 0.0], [0.3, 0.0, 0.0], [0.05, 0.0, 0.0], [0.7, 0.0, 0.0]])
    aux = torch.tensor([[0.0], [0.0], [0.3], [0.0]])
    assert task.is_terminal(v, aux).tolist() == [False, False, True, True]
    assert task.reward(v, aux).tolist() == [2.5, 0.0, 2.5, 0.0]


def test_env_uses_composite_aux_and_reward():
    task = EnergyBudget(5.0) | InnerSquareReward((0, 1), 2.0, mu=1.5)
    env = RateRNNEnv(10, num_envs=2, terminal=task, random_state=0)
    states, _ = env.reset(seed=0)
    assert env.state_dim == 11
    torch.testing.assert_close(env.extrinsic_reward(states), torch.full((2,), 1.5))
    assert set(env.state_variables(states)) == {"energy", "readout"}


@pytest.mark.parametrize(
    ("factory", "error"),
    [
        (lambda: EnergyBudget(max_energy=-1.0), ValueError),
        (lambda: SquareBox(neurons=(1, 1)), ValueError),
        (lambda: SquareBox(neurons=(0,)), ValueError),
        (lambda: Corridor(corridor_half=0.5), ValueError),
        (lambda: CompositeTerminal("box"), TypeError),
    ],
)
def test_bad_terminal_arguments(factory, error):
    with pytest.raises(error):
        factory()


def test_shapes_need_six_contexts():
    with pytest.raises(ValueError, match="n_contexts"):
        RateRNNEnv(10, n_contexts=3, terminal=ShapeSet())
