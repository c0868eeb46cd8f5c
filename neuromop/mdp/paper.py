"""The MOP paper authors' committed numbers, for comparison with the package's worlds.

Ramírez-Ruiz et al., "Complex behavior from intrinsic motivation to occupy future action-state
path space", Nat. Commun. 2024; the numbers are summaries (means, standard errors, fractions) of
the data files committed in the authors' repository ``jorgeerrz/occupancy_max_paper``, each
named where it is defined, and the authors' start-state rules. The studies of
:mod:`neuromop.studies` put them beside their own results (``neuromop run mop-figures``).
"""

from __future__ import annotations

import numpy as np

__all__ = [
    "AUTHORS_CARTPOLE",
    "AUTHORS_CLOCKWISE",
    "AUTHORS_ENERGY_OCCUPANCY",
    "AUTHORS_FOOD_SWEEP",
    "AUTHORS_FOUR_ROOMS",
    "AUTHORS_HALF_ARENA",
    "AUTHORS_NOISY_TV",
    "AUTHORS_NOISY_TV_BETAS",
    "AUTHORS_OPEN",
    "AUTHORS_OPEN_LONGSIM",
    "AUTHORS_R_EPSILON",
    "authors_cartpole_starts",
    "authors_half_arena_starts",
    "authors_start_draws",
]


#: The authors' four-room statistics (``occupations_final_paper/{h,q}_{s_occ,u_occ,survival}.dat``:
#: 50 episodes of 50,000 steps per food gain, capacity 100): gain -> agent -> (fraction of free
#: cells visited: mean, standard error; fraction of energy levels 2..100 visited, mean; fraction
#: of episodes alive at 50,000 steps). Their R episodes stop when every cell has been visited
#: (see the module docstring), so their R survival counts those as deaths. Their arena has 103
#: free cells in the denominator, the package's 104 (R at epsilon 0 visits 2 of 103 there, 3 of
#: 104 here).
AUTHORS_FOUR_ROOMS: dict[int, dict[str, tuple[float, float, float, float]]] = {
    2: {
        "MOP": (0.5977, 0.0310, 1.0000, 1.00),
        "R": (0.0194, 0.0000, 0.0303, 1.00),
        "R eps=0.45": (0.7054, 0.0260, 0.5604, 1.00),
        "R eps=0.5": (0.5295, 0.0342, 0.9986, 0.02),
        "random": (0.3150, 0.0112, 1.0000, 0.00),
    },
    3: {
        "MOP": (0.9975, 0.0008, 1.0000, 1.00),
        "R": (0.0194, 0.0000, 0.0303, 1.00),
        "R eps=0.45": (0.6773, 0.0347, 0.3331, 1.00),
        "R eps=0.5": (0.8740, 0.0208, 0.4410, 0.98),
        "random": (0.2866, 0.0085, 1.0000, 0.00),
    },
    5: {
        "MOP": (1.0000, 0.0000, 1.0000, 1.00),
        "R": (0.0194, 0.0000, 0.0303, 1.00),
        "R eps=0.45": (0.7307, 0.0275, 0.3006, 1.00),
        "R eps=0.5": (0.9103, 0.0168, 0.3739, 0.98),
        "random": (0.3204, 0.0134, 1.0000, 0.00),
    },
    10: {
        "MOP": (1.0000, 0.0000, 1.0000, 1.00),
        "R": (0.0194, 0.0000, 0.0303, 1.00),
        "R eps=0.45": (0.7658, 0.0199, 0.2935, 1.00),
        "R eps=0.5": (0.8695, 0.0184, 0.3568, 0.94),
        "random": (0.3186, 0.0112, 1.0000, 0.00),
    },
    20: {
        "MOP": (1.0000, 0.0000, 1.0000, 1.00),
        "R": (0.0194, 0.0000, 0.0303, 1.00),
        "R eps=0.45": (0.7332, 0.0275, 0.2921, 1.00),
        "R eps=0.5": (0.7658, 0.0302, 0.3418, 0.98),
        "random": (0.3627, 0.0188, 1.0000, 0.00),
    },
    30: {
        "MOP": (1.0000, 0.0000, 1.0000, 1.00),
        "R": (0.0194, 0.0000, 0.0303, 1.00),
        "R eps=0.45": (0.7435, 0.0263, 0.2889, 1.00),
        "R eps=0.5": (0.8728, 0.0213, 0.3483, 1.00),
        "random": (0.3932, 0.0198, 1.0000, 0.00),
    },
    50: {
        "MOP": (1.0000, 0.0000, 1.0000, 1.00),
        "R": (0.0194, 0.0000, 0.0303, 1.00),
        "R eps=0.45": (0.7450, 0.0200, 0.2964, 1.00),
        "R eps=0.5": (0.8957, 0.0197, 0.3463, 0.92),
        "random": (0.4544, 0.0246, 1.0000, 0.00),
    },
    75: {
        "MOP": (1.0000, 0.0000, 1.0000, 1.00),
        "R": (0.0194, 0.0000, 0.0303, 1.00),
        "R eps=0.45": (0.7759, 0.0224, 0.2806, 1.00),
        "R eps=0.5": (0.8899, 0.0159, 0.3428, 0.94),
        "random": (0.4305, 0.0197, 1.0000, 0.00),
    },
    100: {
        "MOP": (1.0000, 0.0000, 1.0000, 1.00),
        "R": (0.0194, 0.0000, 0.0303, 1.00),
        "R eps=0.45": (0.7806, 0.0235, 0.3022, 1.00),
        "R eps=0.5": (0.9142, 0.0136, 0.3406, 0.94),
        "random": (0.3831, 0.0232, 1.0000, 0.00),
    },
}


#: The betas of the authors' committed noisy-TV sweep.
AUTHORS_NOISY_TV_BETAS = (0.0, 0.05, 0.1, 0.15, 0.2, 0.25, 0.3)


#: The authors' committed noisy-TV sweep, gamma -> (time in room mean, its SEM, survival mean,
#: its SEM), each over :data:`AUTHORS_NOISY_TV_BETAS` (100 episodes of 1,000 steps per cell;
#: time in room as a fraction of the episode's positions, survival in positions).
AUTHORS_NOISY_TV: dict[float, tuple[tuple[float, ...], ...]] = {
    0.95: (
        (0.06381, 0.2215, 0.5497, 0.7457, 0.8488, 0.8644, 0.8818),
        (0.009911, 0.01731, 0.02062, 0.01293, 0.006897, 0.006697, 0.005621),
        (943.3, 836.8, 600.9, 486.6, 498.5, 369.6, 371.4),
        (17.26, 27.97, 35.35, 31.1, 33.98, 25.86, 26.17),
    ),
    0.99: (
        (0.003696, 0.006743, 0.1524, 0.6035, 0.7408, 0.7842, 0.8216),
        (0.001483, 0.00252, 0.01527, 0.01222, 0.009814, 0.006754, 0.005532),
        (1001, 1001, 966.6, 804.3, 687.6, 749.2, 709.4),
        (0, 0, 14.84, 30.05, 35.12, 31.47, 32.52),
    ),
    0.995: (
        (0, 0.0005794, 0.0007992, 0.03155, 0.3882, 0.6655, 0.7329),
        (0, 0.0005794, 0.000367, 0.006178, 0.01568, 0.01025, 0.008441),
        (1001, 1001, 1001, 987.2, 905, 785.6, 751.7),
        (0, 0, 0, 9.731, 24.05, 30.32, 32.96),
    ),
    0.999: (
        (0,) * 7,
        (0,) * 7,
        (1001,) * 7,
        (0,) * 7,
    ),
}


#: The authors' lifetimes (steps, of 100,000) on the 41^4 x 2 grid, gamma = 0.98, 1,000
#: episodes: ``survivals/survival_pcts_H_g_0.98_nstates_5651522_maxv_12.0_maxw_6.0.dat`` (MOP)
#: and ``survival_pcts_R_g_0.98_epsilon_maxtime_100000_...`` (R at each epsilon).
#: (mean, standard error, fraction reaching 100,000 steps).
AUTHORS_CARTPOLE: dict = {
    "n_steps": 100_000,
    "MOP": (97770.0, 357.1, 0.948),
    "R": {0.0: (99449.9, 209.9, 0.993), 0.05: (100000.0, 0.0, 1.0),
          0.1: (100000.0, 0.0, 1.0), 0.15: (99727.3, 146.9, 0.996),
          0.2: (98535.7, 318.4, 0.971), 0.25: (89816.1, 775.5, 0.813),
          0.3: (64006.3, 1130.6, 0.375), 0.35: (26836.2, 791.3, 0.035),
          0.4: (9465.1, 291.2, 0.0)},
}


#: The authors' committed results at eta = 0, 0.1, ..., 1 (31^4 grid, gamma = 0.99, 1,000
#: episodes of 10,000 steps): ``fraction`` of time at x > 0 and ``lifetime`` (steps), mean and
#: standard error over episodes, for beta = 0 (``time_stochastic_a_...``,
#: ``survival_pcts_a_...``) and beta = 1 (``..._sa_...``) in
#: ``code_occupancy_max/cartpole/stochastic_arena/`` of jorgeerrz/occupancy_max_paper.
AUTHORS_HALF_ARENA: dict = {
    "eta": (0.0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0),
    "fraction": {
        0.0: ((0.499, 0.42, 0.3372, 0.2655, 0.2049, 0.1372, 0.0652, 0.0143, 0.0005, 0.0, 0.0),
              (0.0008, 0.0008, 0.0008, 0.0008, 0.0008, 0.0007, 0.0006, 0.0004, 0.0, 0.0, 0.0)),
        1.0: ((0.497, 0.7208, 0.78, 0.8099, 0.8096, 0.7748, 0.6958, 0.5441, 0.2578, 0.0172, 0.0),
              (0.0008, 0.0007, 0.0007, 0.0007, 0.0007, 0.0008, 0.0011, 0.0021, 0.0033, 0.0014,
               0.0)),
    },
    "lifetime": {
        0.0: ((1e4, 1e4, 1e4, 1e4, 1e4, 9989.0, 9878.2, 9855.6, 9989.0, 9997.9, 9988.4),
              (0.0, 0.0, 0.0, 0.0, 0.0, 5.7, 28.5, 30.2, 6.0, 2.1, 7.9)),
        1.0: ((1e4, 1e4, 1e4, 1e4, 9967.2, 9865.3, 9192.0, 5998.0, 2926.5, 7958.2, 9996.2),
              (0.0, 0.0, 0.0, 0.0, 14.3, 28.5, 66.8, 113.4, 78.9, 98.9, 3.8)),
    },
    "n_steps": 10_000,
}


#: The authors' recorded lifetimes (steps) over the food gain F (the mouse's energy levels,
#: F0 + 1 .. F0 + 8 with F0 = 12) in ``plotting_data_predatorprey.jl`` (``life_H``, ``life_R``):
#: F -> ((MOP mean, standard error, n), (R mean, standard error, n)).
AUTHORS_FOOD_SWEEP: dict[int, tuple[tuple[float, float, int], tuple[float, float, int]]] = {
    13: ((86.4, 11.0, 54), (78.6, 8.8, 58)),
    14: ((108.4, 15.8, 44), (103.5, 14.9, 46)),
    15: ((116.3, 16.8, 40), (108.1, 13.8, 42)),
    16: ((172.7, 28.2, 26), (157.1, 32.7, 30)),
    17: ((127.4, 20.5, 37), (138.9, 27.4, 34)),
    18: ((118.3, 19.5, 40), (127.6, 19.8, 37)),
    19: ((142.9, 19.2, 32), (137.0, 18.4, 35)),
    20: ((126.2, 20.3, 38), (139.4, 24.6, 34)),
}


#: The authors' fraction of clockwise rotations over F (``plotting_data_predatorprey.jl``:
#: ``rot2co_..._steps5001``, one 5,001-step run with rebirth per F, cut into 10 epochs of 500
#: steps): F -> ((MOP mean, standard error over epochs), (R mean, standard error)). Their R
#: mouse used epsilon 0.045, 0.058, 0.05, 0.03, 0.065, 0.06, 0.06, 0.06 at F = 13..20 and their
#: rule counts crossings of the obstacle column (x = 3) at arena rows, a rotation being two
#: crossings in the same sense; :func:`rotations` counts full turns of the angle around the
#: obstacle's centre instead.
AUTHORS_CLOCKWISE: dict[int, tuple[tuple[float, float], tuple[float, float]]] = {
    13: ((0.6303, 0.0385), (0.7674, 0.0573)),
    14: ((0.4929, 0.0453), (0.8933, 0.0186)),
    15: ((0.4990, 0.0432), (0.9440, 0.0102)),
    16: ((0.5178, 0.0212), (0.8758, 0.0108)),
    17: ((0.4313, 0.0277), (0.7354, 0.0209)),
    18: ((0.5387, 0.0272), (0.7493, 0.0317)),
    19: ((0.5054, 0.0315), (0.6870, 0.0261)),
    20: ((0.4627, 0.0447), (0.6367, 0.0206)),
}


#: The authors' fraction of alive time at each energy level 1..15 of the predator-prey mouse
#: (F = 15; ``data_plotted/Fig2/ep_zformedcommonW_..._nz0.0has0`` for MOP and
#: ``ep_dp2_..._nz0.05`` for R at epsilon 0.05, as ``plotting_data_predatorprey.jl`` plots them).
AUTHORS_ENERGY_OCCUPANCY: dict[str, tuple[float, ...]] = {
    "MOP": (0.05376, 0.06022, 0.06452, 0.06452, 0.06667, 0.06667, 0.06667, 0.06882, 0.06882,
            0.06882, 0.06882, 0.06882, 0.07097, 0.07097, 0.07097),
    "R": (0.00167, 0.00731, 0.01879, 0.04842, 0.06324, 0.07076, 0.07535, 0.07848, 0.08182,
          0.08599, 0.08766, 0.09017, 0.09121, 0.09372, 0.10541),
}

#: The epsilon of the authors' R mouse at each F (``noises`` in ``plotting_data_predatorprey.jl``).
AUTHORS_R_EPSILON = {13: 0.045, 14: 0.058, 15: 0.05, 16: 0.03, 17: 0.065, 18: 0.06, 19: 0.06,
                     20: 0.06}


#: The authors' fence-open fraction per beta (mean, standard error; 10 episodes of 2,000 steps)
#: from ``cc0_11x10_vid_keycorner_zformedW_friendly2 shortcc nk11gamma0.98N5F2beta2.0miop0nz0.0
#: has1.0nconf2``, the file ``plotting_data_agentpet.jl`` plots.
AUTHORS_OPEN: dict[float, tuple[float, float]] = {
    0.0: (0.3186, 0.0908), 0.1: (0.5344, 0.1059), 0.2: (0.8448, 0.0316), 0.3: (0.9071, 0.0337),
    0.4: (0.9520, 0.0099), 0.5: (0.9704, 0.0089), 0.6: (0.9818, 0.0032), 0.7: (0.9866, 0.0028),
    0.8: (0.9887, 0.0042), 0.9: (0.9888, 0.0033), 1.0: (0.9874, 0.0026),
}


#: The same statistic in ``fig4_longsim/cc_11x10_{0..6}_test_...`` (70 episodes per beta).
AUTHORS_OPEN_LONGSIM: dict[float, tuple[float, float]] = {
    0.0: (0.5032, 0.0065), 0.1: (0.5204, 0.0058), 0.2: (0.5382, 0.0070), 0.3: (0.5568, 0.0058),
    0.4: (0.5731, 0.0064), 0.5: (0.5968, 0.0059), 0.6: (0.6209, 0.0047), 0.7: (0.6298, 0.0052),
    0.8: (0.6361, 0.0054), 0.9: (0.6415, 0.0057), 1.0: (0.6679, 0.0055),
}


def authors_half_arena_starts(n_trials: int, x_max: float, random_state=None) -> np.ndarray:
    """Initial states as in the authors' half arena: x = -x_max / 2, and theta (rad), omega
    (rad/s) and v (m/s) drawn uniformly from {-0.5, -0.4, ..., 0.5} x pi / 180.

    Returns
    -------
    ndarray, shape (n_trials, 4)
    """
    out = np.full((n_trials, 4), -x_max / 2)
    out[:, :3] = authors_start_draws((n_trials, 3), random_state)
    return out


def authors_start_draws(shape, random_state=None) -> np.ndarray:
    """Values drawn uniformly from the authors' start interval {-0.5, -0.4, ..., 0.5} x pi /
    180 (``interval`` in their ``cartpole.jl``), an array of ``shape``."""
    grid = np.round(np.arange(-5, 6) / 10, 1) * np.pi / 180
    return np.random.default_rng(random_state).choice(grid, size=shape)


def authors_cartpole_starts(n_trials: int, random_state=None) -> np.ndarray:
    """Initial states as in the authors' Fig. 3 runs: theta (rad), omega (rad/s), v (m/s) and
    x (m) each drawn uniformly from {-0.5, -0.4, ..., 0.5} x pi / 180.

    Returns
    -------
    ndarray, shape (n_trials, 4)
    """
    return authors_start_draws((n_trials, 4), random_state)
