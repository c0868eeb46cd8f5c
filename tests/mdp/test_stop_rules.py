"""Stopping rules (issue 16 item 4): ``stop="bound"`` guarantees the distance to the fixed point,
``stop="change"`` (the authors' per-sweep rule, the default) does not."""

from __future__ import annotations

import numpy as np
import pytest

from neuromop.cli import main
from neuromop.data import load
from neuromop.mdp import make_random_mdp, solve_maxent, solve_mop, solve_reward

GAMMA, TOL = 0.99, 1e-3
pytestmark = pytest.mark.filterwarnings("ignore:solve_mop ignores the reward")


@pytest.fixture(scope="module")
def mdp():
    return make_random_mdp(60, 3, 2, p_terminal=0.0, reward=True, random_state=4)


SOLVERS = {
    "mop": lambda m, **kw: solve_mop(m, gamma=GAMMA, **kw),
    "reward": lambda m, **kw: solve_reward(m, gamma=GAMMA, **kw),
    "maxent": lambda m, **kw: solve_maxent(m, temperature=0.5, gamma=GAMMA, **kw),
}


@pytest.mark.parametrize("agent", list(SOLVERS))
def test_bound_rule_is_within_tol_of_the_fixed_point_and_change_rule_is_not(mdp, agent):
    solve = SOLVERS[agent]
    exact = solve(mdp, tol=1e-12).V
    bound = solve(mdp, tol=TOL, stop="bound")
    change = solve(mdp, tol=TOL)
    assert bound.converged and bound.params["stop"] == "bound"
    assert np.abs(bound.V - exact).max() < TOL
    # the per-sweep rule stops with V up to tol * gamma / (1 - gamma) away: here well beyond tol
    assert np.abs(change.V - exact).max() > 5 * TOL
    assert bound.sweeps > change.sweeps


def test_bound_rule_needs_gamma_below_one(mdp):
    with pytest.raises(ValueError, match="stop='bound' needs gamma < 1"):
        solve_mop(mdp, gamma=1.0, stop="bound")
    with pytest.raises(ValueError, match="stop must be one of"):
        solve_reward(mdp, stop="exact")


def test_cli_solve_takes_the_stop_rule(tmp_path):
    out = tmp_path / "s.nc"
    assert main(["mdp", "solve", "recycling", "--agent", "reward", "--stop", "bound",
                 "--tol", "1e-6", "--out", str(out)]) == 0
    assert '"stop": "bound"' in load(out).attrs["parameters"] or "bound" in str(load(out).attrs)
