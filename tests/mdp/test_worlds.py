"""Worlds of the MOP paper: geometry, dynamics against loop references, textbook closed forms."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
import xarray as xr

from neuromop.mdp.model import FiniteMDP
from neuromop.mdp.rollout import rollout, rotations
from neuromop.mdp.solvers import policy_evaluation, solve_maxent, solve_mop, solve_reward
from neuromop.mdp.worlds import (
    agent_pet,
    four_rooms,
    noisy_tv,
    predator_prey,
    recycling_robot,
    toggle_as_stay_policy,
)
from neuromop.mdp.worlds._grid import KING_LABELS, KING_MOVES
from neuromop.mdp.worlds.pet import TOGGLE

WALLS = {(6, y) for y in range(1, 12)} | {(x, 6) for x in range(1, 12)}
DOORS = {(6, 3), (6, 9), (3, 6), (9, 6)}
TV = ((7, 11), (1, 5))


def dense(mdp: FiniteMDP) -> np.ndarray:
    P = np.zeros((mdp.n_states, mdp.n_actions, mdp.n_states))
    s, a, k = np.nonzero(mdp.probs)
    np.add.at(P, (s, a, mdp.next_states[s, a, k]), mdp.probs[s, a, k])
    return P


# ---------------------------------------------------------------- four rooms: geometry
def test_four_rooms_has_10400_states_and_104_free_cells():
    w = four_rooms()
    assert w.mdp.n_states == 10_400
    assert w.layout.n_cells == 104
    free = {tuple(c) for c in w.free_cells}
    assert free.isdisjoint(WALLS - DOORS)
    assert DOORS <= free
    assert len(w.layout.walls) == 17


def test_state_index_roundtrip_is_vectorised():
    w = four_rooms(capacity=20)
    s = np.arange(w.mdp.n_states)
    x, y, e = w.state_xy_energy(s)
    np.testing.assert_array_equal(w.state_index(x, y, e), s)
    labels = w.mdp.state_labels
    np.testing.assert_array_equal(labels.get_level_values("x"), x)
    np.testing.assert_array_equal(labels.get_level_values("energy"), e)
    assert w.state_xy_energy([w.start_state]) == (3, 3, 20)


@pytest.mark.parametrize(
    ("cell", "n_admissible"),
    [((1, 1), 4), ((3, 3), 9), ((5, 5), 4), ((6, 3), 7), ((9, 6), 7), ((11, 5), 4)],
)
def test_moves_into_walls_and_off_grid_are_removed(cell, n_admissible):
    # (5, 5): W, SW, S and stay (the other moves hit walls); doors keep their diagonal moves
    w = four_rooms(capacity=5)
    s = w.state_index(*cell, 5)
    assert w.mdp.action_mask[s].sum() == n_admissible
    assert w.mdp.action_mask[s, KING_LABELS.index("stay")]


@pytest.mark.parametrize(("x", "y"), [(6, 1), (6, 6), (0, 3), (12, 1)])
def test_state_index_rejects_walls_and_outside(x, y):
    with pytest.raises(ValueError, match="not a free cell"):
        four_rooms(capacity=5).state_index(x, y, 3)


@pytest.mark.parametrize(
    ("kwargs", "exc", "match"),
    [({"capacity": 1}, ValueError, "capacity"), ({"food_gain": -1}, ValueError, "food_gain"),
     ({"eta": 1.5}, ValueError, "eta"), ({"capacity": 2.5}, TypeError, "capacity"),
     ({"noisy_tv": "yes"}, TypeError, "noisy_tv")],
)
def test_four_rooms_rejects_bad_parameters(kwargs, exc, match):
    with pytest.raises(exc, match=match):
        four_rooms(**kwargs)


# ---------------------------------------------------------------- four rooms: dynamics
def _reference_four_rooms(capacity, gain, noisy, eta):
    """Straightforward per-state loop implementation of the issue's rules."""
    cells = [(x, y) for x in range(1, 12) for y in range(1, 12) if (x, y) not in WALLS - DOORS]
    index = {c: i for i, c in enumerate(cells)}
    food = {(1, 1), (1, 11), (11, 1), (11, 11)}

    def sidx(c, u):
        return index[c] * capacity + u - 1

    def transition(s, a):
        c, u = cells[s // capacity], s % capacity + 1
        def dest(b):
            nxt = (c[0] + KING_MOVES[b][0], c[1] + KING_MOVES[b][1])
            return nxt if nxt in index else None
        if dest(a) is None:
            return None
        u2 = min(capacity, u - 1 + (gain if c in food else 0))
        if not (noisy and 7 <= c[0] <= 11 and 1 <= c[1] <= 5):
            return [(sidx(dest(a), u2), 1.0)]
        adm = [b for b in range(9) if dest(b) is not None]
        return [(sidx(dest(b), u2), eta / len(adm) + (1 - eta) * (b == a)) for b in adm]

    S = len(cells) * capacity
    terminal = np.array([s % capacity == 0 for s in range(S)])
    return FiniteMDP.from_function(S, 9, transition, terminal=terminal, terminal_action=8)


@pytest.mark.parametrize(("noisy", "eta"), [(False, 0.0), (True, 0.3), (True, 1.0)])
def test_four_rooms_matches_loop_reference(noisy, eta):
    w = four_rooms(capacity=6, food_gain=3, noisy_tv=noisy, eta=eta)
    ref = _reference_four_rooms(6, 3, noisy, eta)
    np.testing.assert_array_equal(w.mdp.action_mask, ref.action_mask)
    np.testing.assert_array_equal(w.mdp.terminal, ref.terminal)
    np.testing.assert_allclose(dense(w.mdp), dense(ref), atol=1e-14)


@pytest.mark.parametrize(
    ("start", "action", "end"),
    [((1, 1, 50), "stay", (1, 1, 59)), ((2, 2, 50), "N", (2, 3, 49)), ((2, 2, 2), "N", (2, 3, 1)),
     ((11, 11, 100), "S", (11, 10, 100)), ((1, 11, 1), "stay", (1, 11, 1))],
)
def test_energy_update(start, action, end):
    w = four_rooms()
    s = w.state_index(*start)
    a = KING_LABELS.index(action)
    assert w.mdp.probs[s, a, 0] == 1.0
    assert w.state_xy_energy([w.mdp.next_states[s, a, 0]]) == tuple(np.array([v]) for v in end)


def test_noisy_tv_entropy_only_inside_the_room():
    eta = 0.4
    w = four_rooms(capacity=5, noisy_tv=True, eta=eta)
    H = w.mdp.successor_entropy()
    x, y, e = w.state_xy_energy(np.arange(w.mdp.n_states))
    inside = (x >= 7) & (y <= 5) & (e >= 2)
    n = w.mdp.action_mask.sum(axis=1)
    p_self = 1 - eta + eta / n
    expected = -(p_self * np.log(p_self) + (n - 1) * (eta / n) * np.log(eta / n))
    np.testing.assert_allclose(H[inside, 8], expected[inside], rtol=1e-12)
    assert np.all(H[~inside] == 0)


def test_food_reward_pays_only_on_food_when_alive():
    w = four_rooms(capacity=5)
    r = w.food_reward()
    paid = np.unique(np.nonzero(r)[0])
    x, y, e = w.state_xy_energy(paid)
    assert set(zip(x.tolist(), y.tolist())) == {(1, 1), (1, 11), (11, 1), (11, 11)}
    assert np.all(e >= 2)


# ---------------------------------------------------------------- four rooms: agents
def test_four_rooms_mop_value_at_start_is_paper_scale():
    # at least the entropy of a random survivor: V >= ln|A| per step alive for many steps
    w = four_rooms()
    res = solve_mop(w.mdp, gamma=0.99)
    assert res.converged
    assert np.log(9) * 10 < res.V[w.start_state] < np.log(9) / (1 - 0.99)
    assert np.all(res.V[w.mdp.terminal] == 0)


# ---------------------------------------------------------------- predator-prey
@pytest.fixture(scope="module")
def pp():
    return predator_prey()


def test_predator_prey_authors_layout_and_state_count(pp):
    w = pp
    mouse = {tuple(c) for c in w.layout.cells.tolist()}
    cat = {tuple(c) for c in w.cat_cells.tolist()}
    arena = {(x, y) for x in range(1, 8) for y in range(4, 8)} - {(3, 5), (3, 6)}
    home = {(4, 3)} | {(x, y) for x in (3, 4, 5) for y in (1, 2)}
    assert cat == arena
    assert mouse == arena | home
    assert {tuple(c) for c in w.home.tolist()} == home
    assert w.mdp.n_states == 33 * 26 * 15 + 1
    assert w.start == (4, 2, 7, 7, 15)


def _cat_move_probs(cat, mouse, cat_cells, beta=2.0):
    """Loop reference of the authors' ``Wp``: softmax of beta * cos over the cat's moves."""
    weights = {}
    d = np.subtract(mouse, cat)
    for dx, dy in KING_MOVES:
        nxt = (cat[0] + dx, cat[1] + dy)
        if nxt not in cat_cells:
            continue
        norm = np.hypot(dx, dy) * np.hypot(*d)
        cos = 0.0 if norm == 0 else (dx * d[0] + dy * d[1]) / norm
        weights[nxt] = np.exp(beta * cos)
    z = sum(weights.values())
    return {k: v / z for k, v in weights.items()}


@pytest.mark.parametrize(("mouse", "action", "cat"), [((4, 6), "E", (6, 6)), ((4, 3), "N", (4, 5)),
                                                      ((6, 4), "stay", (7, 7))])
def test_predator_prey_moves_are_simultaneous_and_cat_heads_for_old_mouse_cell(pp, mouse, action,
                                                                             cat):
    w = pp
    s = w.state_index(*mouse, *cat, 10)
    a = KING_LABELS.index(action)
    dx, dy = KING_MOVES[a]
    m_new = (mouse[0] + dx, mouse[1] + dy)
    ref = _cat_move_probs(cat, mouse, {tuple(c) for c in w.cat_cells.tolist()})
    succ, p = w.mdp.next_states[s, a], w.mdp.probs[s, a]
    p_dead = sum(q for c, q in ref.items() if c == m_new)
    assert p[succ == w.dead_state].sum() == pytest.approx(p_dead, abs=1e-12)
    for c, q in ref.items():
        if c != m_new:
            assert p[succ == w.state_index(*m_new, *c, 9)].sum() == pytest.approx(q, abs=1e-12)


def test_predator_prey_swap_is_not_a_capture(pp):
    # mouse east of the cat moves west while the cat moves east: they cross, no capture
    w = pp
    s = w.state_index(5, 6, 4, 6, 10)
    west = KING_LABELS.index("W")
    swapped = w.state_index(4, 6, 5, 6, 9)
    assert w.mdp.probs[s, west][w.mdp.next_states[s, west] == swapped].sum() > 0.3


def test_predator_prey_starvation_and_food_refill(pp):
    w = pp
    stay = KING_LABELS.index("stay")
    starving = w.state_index(4, 1, 7, 7, 1)
    assert w.mdp.probs[starving, stay][w.mdp.next_states[starving, stay] == w.dead_state].sum() == 1
    eating = w.state_index(7, 4, 1, 7, 2)
    succ = w.mdp.next_states[eating, stay][w.mdp.probs[eating, stay] > 0]
    assert set(w.mdp.state_labels.get_level_values("energy")[succ]) == {15}


def test_predator_prey_mop_mouse_outlives_random_mouse(pp):
    w = pp
    res = solve_mop(w.mdp, gamma=0.98)
    rand = w.mdp.action_mask / w.mdp.action_mask.sum(axis=1, keepdims=True)
    kw = dict(n_trials=40, n_steps=1000, random_state=1)
    life_mop = (~rollout(w, res, **kw).terminated).sum("time")
    life_rnd = (~rollout(w, rand, **kw).terminated).sum("time")
    assert float(life_mop.median()) > 4 * float(life_rnd.median())


# ---------------------------------------------------------------- agent-pet
def test_pet_fence_and_lever_rules():
    w = agent_pet()
    assert w.mdp.n_states == 1250
    lab = w.mdp.state_labels
    on_lever = (lab.get_level_values("x") == 1) & (lab.get_level_values("y") == 1)
    np.testing.assert_array_equal(w.mdp.action_mask[:, TOGGLE], on_lever)
    s = w.state_index(1, 1, 4, 4, 0)
    pen = {tuple(c) for c in w.pen}
    for a in np.flatnonzero(w.mdp.action_mask[s]):
        nxt = w.mdp.next_states[s, a][w.mdp.probs[s, a] > 0]
        px, py = lab.get_level_values("pet_x")[nxt], lab.get_level_values("pet_y")[nxt]
        fence = lab.get_level_values("fence")[nxt]
        if a != TOGGLE:
            assert set(zip(px, py)) <= pen
            assert np.all(fence == 0)
        else:
            assert np.all(fence == 1)
            assert len(set(zip(px, py)) - pen) > 0


def test_pet_entropy_is_log_of_pet_moves():
    w = agent_pet()
    H = w.mdp.successor_entropy()
    n = (w.mdp.probs > 0).sum(axis=-1)
    np.testing.assert_allclose(H[w.mdp.action_mask], np.log(n[w.mdp.action_mask]), atol=1e-12)


@pytest.mark.parametrize(("beta_low", "beta_high"), [(0.0, 0.5), (0.5, 2.0)])
def test_altruistic_agent_opens_the_fence_more(beta_low, beta_high):
    w = agent_pet()
    frac = []
    for beta in (beta_low, beta_high):
        res = solve_mop(w.mdp, beta=beta, gamma=0.98)
        ds = rollout(w, res, n_trials=20, n_steps=1000, random_state=3)
        frac.append(float(ds.fence.mean()))
    assert frac[1] > frac[0]


def _authors_pet_transitions(N=5):
    """The authors' agent-pet step as a slow loop, ported from ``nexts``/``ifa``/``Wnum2`` of
    their ``gridfriendly_poly.txt`` (0-based (x, y); fence column x = N // 2; lever (0, 0)):
    (agent x, agent y, pet x, pet y, fence, action) -> {successor tuple: probability}."""
    out = {}
    for ax, ay, px, py, c in itertools.product(range(N), range(N), range(N), range(N), (0, 1)):
        def pet_ok(x, y, c=c):  # form[1]: the fence column is closed to the pet when c == 0
            return 0 <= x < N and 0 <= y < N and (c == 1 or x != N // 2)
        pet = [(px + dx, py + dy) for dx in (-1, 0, 1) for dy in (-1, 0, 1)
               if pet_ok(px + dx, py + dy)]
        for a in range(10):
            if a < 9:
                nx, ny = ax + a // 3 - 1, ay + a % 3 - 1
                if not (0 <= nx < N and 0 <= ny < N):
                    continue  # ifa: off-grid moves are not admissible
                move = ((nx - ax, ny - ay), (nx, ny, c))
            else:
                if (ax, ay) != (0, 0):
                    continue
                move = ("toggle", (ax, ay, 1 - c))
            label, (nx, ny, nc) = move
            out[(ax, ay, px, py, c, label)] = {(nx, ny, qx, qy, nc): 1 / len(pet)
                                               for qx, qy in pet}
    return out


def test_pet_authors_rules_match_a_port_of_their_step():
    w = agent_pet(rules="authors")
    assert w.start == (3, 2, 5, 5, 0) and w.lever == (1, 1)
    assert sorted(map(tuple, w.pen)) == [(3, y) for y in range(1, 6)]
    mdp, lab = w.mdp, w.mdp.state_labels
    coords = np.stack([lab.get_level_values(k).to_numpy() for k in
                       ("x", "y", "pet_x", "pet_y", "fence")], axis=1)
    moves = {i: tuple(KING_MOVES[i]) for i in range(9)}
    ref = _authors_pet_transitions()
    n_checked = 0
    for s in range(mdp.n_states):
        x, y, px, py, c = coords[s]
        for a in range(10):
            label = "toggle" if a == TOGGLE else moves[a]
            key = (x - 1, y - 1, px - 1, py - 1, c, label)
            assert mdp.action_mask[s, a] == (key in ref), (coords[s], a)
            if key not in ref:
                continue
            got = {}
            for nxt, prob in zip(mdp.next_states[s, a], mdp.probs[s, a], strict=True):
                if prob > 0:
                    t = tuple(int(v) for v in coords[nxt] - [1, 1, 1, 1, 0])
                    got[t] = got.get(t, 0.0) + float(prob)
            want = ref[key]
            assert got.keys() == want.keys(), (coords[s], a)
            np.testing.assert_allclose([got[k] for k in want], list(want.values()))
            n_checked += 1
    assert n_checked == int(mdp.action_mask.sum())


def test_pet_authors_rules_differ_from_the_package_rules():
    w = agent_pet(rules="authors")
    # the agent may step onto the pet, and a pet on the closed fence column must step off
    s = w.state_index(2, 2, 3, 2, 0)
    assert w.mdp.action_mask[s].sum() == 9
    nxt = w.mdp.next_states[s, 8][w.mdp.probs[s, 8] > 0]
    assert not np.any(w.mdp.state_labels.get_level_values("pet_x")[nxt] == 3)
    package = agent_pet()
    s = package.state_index(3, 3, 4, 4, 0)
    assert package.mdp.action_mask[s, 1] == np.False_  # NE onto the pet is refused there


@pytest.mark.parametrize(("kwargs", "match"), [
    (dict(rules="authors", pen=((4, 5), (4, 5))), "pen is not used with rules='authors'"),
    (dict(fence=((3, 3), (1, 5))), "fence is not used with rules='package'"),
    (dict(rules="authors", fence=((1, 5), (1, 5))), "no admissible move"),
    (dict(rules="theirs"), "rules"),
])
def test_pet_rules_arguments_are_checked(kwargs, match):
    with pytest.raises(ValueError, match=match):
        agent_pet(**kwargs)


def test_toggle_as_stay_policy_weighs_the_toggle_as_stay():
    w = agent_pet(rules="authors")
    res = solve_mop(w.mdp, beta=0.5, gamma=0.98, tol=1e-6)
    pi = toggle_as_stay_policy(w, res)
    lever = w.mdp.action_mask[:, TOGGLE]
    np.testing.assert_allclose(pi.sum(axis=1), 1.0)
    np.testing.assert_allclose(pi[lever, TOGGLE], pi[lever, 8])
    # away from the lever it is the exact MOP policy
    np.testing.assert_allclose(pi[~lever], res.policy[~lever], atol=1e-12)
    # with the pet's entropy valued, the exact policy toggles far more often from closed
    closed = lever & (w.mdp.state_labels.get_level_values("fence") == 0)
    assert np.all(res.policy[closed, TOGGLE] > pi[closed, TOGGLE])
    with pytest.raises(ValueError, match="solve_mop"):
        toggle_as_stay_policy(w, solve_reward(w.mdp, gamma=0.9))
    with pytest.raises(TypeError, match="AgentPetWorld"):
        toggle_as_stay_policy(w.mdp, res)


# ---------------------------------------------------------------- recycling robot (textbook)
RP = dict(alpha=0.7, beta=0.4, r_search=3.0, r_wait=1.0, r_rescue=-3.0)


def _closed_form_optimal(gamma, alpha, beta, r_search, r_wait, r_rescue):
    """V* by enumerating the 6 deterministic policies and solving each linear Bellman system."""
    best = None
    for a_high, a_low in itertools.product(("search", "wait"), ("search", "wait", "recharge")):
        P = np.zeros((2, 2))
        r = np.zeros(2)
        if a_high == "search":
            P[0] = (alpha, 1 - alpha)
            r[0] = r_search
        else:
            P[0] = (1, 0)
            r[0] = r_wait
        if a_low == "search":
            P[1] = (1 - beta, beta)
            r[1] = beta * r_search + (1 - beta) * r_rescue
        elif a_low == "wait":
            P[1] = (0, 1)
            r[1] = r_wait
        else:
            P[1] = (1, 0)
        v = np.linalg.solve(np.eye(2) - gamma * P, r)
        best = v if best is None else np.maximum(best, v)
    return best


@pytest.mark.parametrize("gamma", [0.5, 0.9])
def test_recycling_reward_agent_matches_closed_form(gamma):
    mdp = recycling_robot(**RP)
    res = solve_reward(mdp, gamma=gamma, tol=1e-12)
    np.testing.assert_allclose(res.V, _closed_form_optimal(gamma, **RP), atol=1e-9)


def test_recycling_policy_evaluation_matches_linear_solve():
    mdp = recycling_robot(**RP)
    gamma = 0.9
    pi = np.array([[0.3, 0.7, 0.0], [0.2, 0.5, 0.3]])
    a, b, rs, rw, rr = RP["alpha"], RP["beta"], RP["r_search"], RP["r_wait"], RP["r_rescue"]
    P = np.array([[0.3 * a + 0.7, 0.3 * (1 - a)], [0.2 * (1 - b) + 0.3, 0.2 * b + 0.5]])
    r = np.array([0.3 * rs + 0.7 * rw, 0.2 * (b * rs + (1 - b) * rr) + 0.5 * rw])
    expected = np.linalg.solve(np.eye(2) - gamma * P, r)
    np.testing.assert_allclose(policy_evaluation(mdp, pi, gamma=gamma), expected, atol=1e-8)


@pytest.mark.parametrize("tau", [0.5, 2.0])
def test_recycling_maxent_satisfies_soft_bellman_and_true_value(tau):
    mdp = recycling_robot(**RP)
    gamma = 0.9
    res = solve_maxent(mdp, temperature=tau, gamma=gamma, tol=1e-12)
    r = mdp.expected_reward()
    q = r + gamma * mdp.expectation(res.V)
    q = np.where(mdp.action_mask, q, -np.inf)
    np.testing.assert_allclose(res.V, tau * np.log(np.exp(q / tau).sum(axis=1)), atol=1e-8)
    # true value: linear solve under the induced policy
    P = np.einsum("sa,sak->sk", res.policy, np.stack(
        [np.bincount(mdp.next_states[s, a], mdp.probs[s, a], minlength=2)
         for s in range(2) for a in range(3)]).reshape(2, 3, 2))
    rp = (res.policy * np.where(mdp.action_mask, r, 0)).sum(axis=1)
    np.testing.assert_allclose(res.V_true, np.linalg.solve(np.eye(2) - gamma * P, rp), atol=1e-7)


def test_recycling_rejects_bad_probability():
    with pytest.raises(ValueError, match="alpha"):
        recycling_robot(alpha=1.2)


# ---------------------------------------------------------------- noisy TV
def test_noisy_tv_builder_is_the_authors_setup():
    w = noisy_tv()
    assert w.params == {"capacity": 100, "food_gain": 100, "noisy_tv": True, "eta": 1.0,
                        "world": "four_rooms_noisy_tv"}
    assert w.start == (3, 3, 100)
    # eta = 1: every chosen action has the same successor distribution inside the room
    s = w.state_index(9, 3, 50)
    adm = np.flatnonzero(w.mdp.action_mask[s])
    P = np.stack([np.bincount(w.mdp.next_states[s, a], w.mdp.probs[s, a],
                              minlength=w.mdp.n_states) for a in adm])
    assert len(adm) == 9
    np.testing.assert_allclose(P, np.broadcast_to(P[0], P.shape), atol=1e-15)
    np.testing.assert_allclose(P[0][P[0] > 0], 1 / 9, atol=1e-15)


# ---------------------------------------------------------------- turns around an obstacle
def _path_dataset(paths):
    x = np.array([[c[0] for c in p] for p in paths])
    y = np.array([[c[1] for c in p] for p in paths])
    return xr.Dataset({"x": (("trial", "time"), x), "y": (("trial", "time"), y),
                       "terminated": (("trial", "time"), np.zeros(x.shape, dtype=bool))},
                      coords={"trial": np.arange(len(paths)), "time": np.arange(x.shape[1])})


# up the left of the obstacle (3, 5)-(3, 6), right along the top, down the right, back: clockwise
LOOP = [(2, 4), (2, 5), (2, 6), (2, 7), (3, 7), (4, 7), (4, 6), (4, 5), (4, 4), (3, 4)]


@pytest.mark.parametrize("rule", ["angle", "authors"])
def test_rotations_count_turns_in_their_sense(rule):
    clockwise = LOOP * 3 + [(2, 4), (2, 5), (2, 6)]  # steps past the start close the third turn
    anticlockwise = clockwise[::-1]
    gap = [(2, 7), (3, 7), (4, 7), (3, 7)] * 9  # back and forth above the obstacle
    ds = _path_dataset([clockwise, anticlockwise, gap[:len(clockwise)]])
    r = rotations(ds, rule=rule)
    # the angle rule counts every loop; the crossing rule needs a first crossing to start
    expected = 3 if rule == "angle" else 2
    np.testing.assert_array_equal(r.values, [[expected, 0], [0, expected], [0, 0]])
    assert r.attrs["rule"] == rule


def test_rotations_ignore_dead_steps_and_check_their_input():
    ds = _path_dataset([LOOP * 3 + [(2, 4), (2, 5)]])
    dead = ds.assign(terminated=ds["terminated"].copy(data=np.arange(32)[None, :] >= 10))
    assert int(rotations(dead).sel(direction="clockwise")) <= 1
    with pytest.raises(ValueError, match="centre"):
        rotations(ds, centre=(3.0,))
    with pytest.raises(ValueError, match="rule"):
        rotations(ds, rule="spiral")
    with pytest.raises(ValueError, match="lacks"):
        rotations(ds.drop_vars("y"))
