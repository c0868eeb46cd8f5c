"""Fit a parameter of the MOP controller to recorded variability, and check its recovery.

:func:`fit_mop_parameter` trains one NeuroMOP controller per value of a grid of one parameter on
a :class:`~neuromop.fit.TrialMatchedEnv`, rolls each out on the recorded trials, and picks the
value whose variability statistic is closest to the recording's on a *selection* part of the
trials; the interval is the set of grid values the bootstrap cannot tell from the best (paired
over the same resamples, :func:`~neuromop.analysis.compare_sources`), and the distance on the
other, *held-out* trials says whether the choice generalises.
:func:`mop_parameter_recovery` runs the same fit on rollouts of a controller with a known value:
the fraction of simulations whose interval holds the true value is the coverage.

Parameters that can be fitted:

``"alpha"`` (the temperature)
    With only action entropy and terminal states in the objective (``beta = mu = 0``, or
    ``beta > 0`` with state noise, whose entropy is a constant), the MOP value scales with
    ``alpha`` (``V = alpha V_1``) and the policy ``pi ∝ exp(gamma V(x') / alpha)`` does **not**
    depend on it: alpha is then not identifiable from behaviour, whatever the data (the exact
    tabular solver gives the same policy at alpha = 0.1 and 10 to 1e-12). A *fitted* value
    network only reaches this at convergence: its approximation error enters the policy as
    error / alpha, so an under-trained controller is greedier at small alpha — a difference
    that reflects the training budget, not the recording.
``"action_scale"`` (the gain of the control currents)
    The std of the candidate currents: how far the controller can move the network.
"""

from __future__ import annotations

import copy

import numpy as np
import xarray as xr

from neuromop._checks import check_choice, check_int
from neuromop._provenance import provenance
from neuromop._random import as_generator, seed_int, spawn
from neuromop.analysis.sources import STATISTICS, compare_sources, source_statistics
from neuromop.fit.trial_env import TrialMatchedEnv, trial_matched_rollout

__all__ = ["PARAMETERS", "fit_mop_parameter", "mop_parameter_recovery"]

#: The controller parameters :func:`fit_mop_parameter` can fit.
PARAMETERS = ("action_scale", "alpha")


def _label(parameter: str, value: float) -> str:
    return f"{parameter}={value:g}"


def _check_values(values) -> np.ndarray:
    try:
        grid = np.asarray(values, dtype=float)
    except (TypeError, ValueError):
        raise TypeError(f"values must be a sequence of positive numbers, got {values!r}") from None
    if grid.ndim != 1 or grid.size < 2 or not np.all(np.isfinite(grid)) or np.any(grid <= 0):
        raise ValueError(f"values must hold at least 2 finite positive numbers, got {values!r}")
    if np.unique(grid).size != grid.size:
        raise ValueError(f"values must be distinct, got {values!r}")
    if np.any(grid > 1e6):
        raise ValueError(f"values must be <= 1e6, got {values!r}")
    return np.sort(grid)


def _check_train_kwargs(train_kwargs) -> dict:
    if train_kwargs is None:
        return {}
    if not isinstance(train_kwargs, dict):
        raise TypeError(f"train_kwargs must be a dict, got {type(train_kwargs).__name__}")
    return dict(train_kwargs)


def _scaled(env, scale: float):
    """A shallow copy of ``env`` whose candidate currents have std ``scale``."""
    out = copy.copy(env)
    out.candidate_actions = env.candidate_actions * (scale / env.action_scale)
    out.currents = out.candidate_actions @ env.V.T
    out.action_scale = scale
    out.states = None
    return out


def _mop_rollouts(env, parameter, values, train_kwargs, random_state):
    """One trained NeuroMOP controller per value, rolled out on every recorded trial."""
    from neuromop.control import NeuroMOPController, train

    out = {}
    for value, stream in zip(values, spawn(random_state, len(values))):
        ctrl_seed, roll_seed = (seed_int(s) for s in spawn(stream, 2))
        kwargs = dict(train_kwargs)
        hidden = kwargs.pop("hidden", (64, 64))
        gamma = kwargs.pop("gamma", 0.9)
        alpha = kwargs.pop("alpha", 1.0)
        run_env = env
        if parameter == "alpha":
            alpha = float(value)
        else:
            run_env = _scaled(env, float(value))
        ctrl = NeuroMOPController(run_env, hidden=hidden, gamma=gamma, alpha=alpha,
                                  random_state=ctrl_seed)
        train(ctrl, random_state=ctrl_seed, progress=False, **kwargs)
        out[float(value)] = trial_matched_rollout(run_env, ctrl,
                                                  source=_label(parameter, value),
                                                  random_state=roll_seed)
    return out


def _split(recorded, condition, fraction, rng) -> np.ndarray:
    """Sorted positions of the selection trials (at least 3, within each condition)."""
    n = recorded.sizes["trial"]
    if condition is None:
        k = min(max(3, int(round(fraction * n))), n - 3)
        if k < 3:
            raise ValueError(f"recorded must hold at least 6 trials to split, got {n}")
        return np.sort(rng.permutation(n)[:k])
    if not isinstance(condition, str) or condition not in recorded.coords:
        raise ValueError(f"condition must name a trial coordinate of recorded, got "
                         f"{condition!r}")
    labels = recorded[condition].values
    out = []
    for v in np.unique(labels):
        idx = rng.permutation(np.flatnonzero(labels == v))
        k = int(round(fraction * idx.size))
        if k < 2 or idx.size - k < 2:
            raise ValueError(f"condition {condition!r}: every condition needs at least 4 "
                             f"trials to split, value {v!r} has {idx.size}")
        out.append(idx[:k])
    return np.sort(np.concatenate(out))


def fit_mop_parameter(env, recorded, *, parameter="action_scale",
                      values=(0.25, 0.5, 1.0, 2.0, 4.0), statistic="fano_factor",
                      condition=None, selection_fraction=0.5, n_boot=100, confidence=0.95,
                      train_kwargs=None, random_state=0) -> xr.Dataset:
    """The value of a MOP controller parameter whose rollouts' variability is closest to a
    recording (see the module docstring for what each parameter means).

    Parameters
    ----------
    env : TrialMatchedEnv
        The fitted network driven by the recorded trials
        (:func:`~neuromop.fit.trial_matched_env` of the same recording).
    recorded : xarray.Dataset
        The recording (``counts``, the trials of ``env`` in the same order).
    parameter : {"action_scale", "alpha"}
        The parameter fitted.
    values : sequence of float
        Its grid (> 0, at least 2 distinct values).
    statistic : str
        One of :data:`~neuromop.analysis.sources.STATISTICS` (``"fano_factor"``: the
        time-resolved Fano factor, distance = RMS over time).
    condition : str, optional
        Trial coordinate naming conditions (stratifies the split and the bootstrap).
    selection_fraction : float
        Fraction of trials on which the value is chosen; the rest are held out.
    n_boot, confidence
        Bootstrap of the selection trials (see :func:`~neuromop.analysis.compare_sources`).
    train_kwargs : dict, optional
        ``hidden``, ``gamma`` (and, when fitting ``action_scale``, ``alpha``) of the
        controllers and keyword arguments of :func:`~neuromop.control.train` (``epochs``,
        ``steps_per_epoch``, ``fit_iterations`` ...).
    random_state : int or numpy.random.Generator
        Split, controller seeds, rollouts and bootstrap.

    Returns
    -------
    xarray.Dataset
        Over ``value`` (the grid): ``distance`` and ``distance_interval`` (bound) on the
        selection trials, ``heldout_distance`` on the held-out trials, ``in_interval`` (bool);
        attrs ``parameter``, ``value_hat`` (the grid value closest to the recording),
        ``value_low`` and ``value_high`` (the smallest and largest grid values not
        distinguishable from it), ``statistic``.
    """
    if not isinstance(env, TrialMatchedEnv):
        raise TypeError(f"env must be a TrialMatchedEnv from trial_matched_env, got "
                        f"{type(env).__name__}")
    if not isinstance(recorded, xr.Dataset) or "counts" not in recorded:
        raise TypeError("recorded must be an xarray.Dataset with counts")
    n = len(env.trial_condition)
    if recorded.sizes.get("trial") != n:
        raise ValueError(f"recorded must hold the env's {n} trials, got "
                         f"{recorded.sizes.get('trial')}")
    times = env.recording["time"].values
    if "time" not in recorded.coords or recorded.sizes.get("time") != times.size or \
            not np.allclose(recorded["time"].values, times):
        raise ValueError(f"recorded must have the env's {times.size} time bins")
    source_statistics(recorded["counts"], repeats=1)  # the counts' own checks
    check_choice("parameter", parameter, PARAMETERS)
    grid = _check_values(values)
    check_choice("statistic", statistic, STATISTICS)
    if not isinstance(selection_fraction, int | float) or not 0 < selection_fraction < 1:
        raise ValueError(f"selection_fraction must be in (0, 1), got {selection_fraction!r}")
    train_kwargs = _check_train_kwargs(train_kwargs)
    check_int("n_boot", n_boot, low=10, high=1_000_000)
    split, control, boot = spawn(random_state, 3)
    selection = _split(recorded, condition, selection_fraction, as_generator(split))
    heldout = np.setdiff1d(np.arange(n), selection)
    rollouts = _mop_rollouts(env, parameter, grid, train_kwargs, control)

    def compare(idx, n_boot_):
        return compare_sources(
            {"recorded": recorded.isel(trial=idx),
             **{_label(parameter, a): r.isel(trial=idx) for a, r in rollouts.items()}},
            condition=condition, n_boot=n_boot_, confidence=confidence,
            random_state=seed_int(boot))

    sel, held = compare(selection, n_boot), compare(heldout, 10)
    labels = [_label(parameter, a) for a in grid]
    dist = sel["distance"].sel(source=labels, statistic=statistic).values
    best = float(grid[int(np.nanargmin(dist))])
    tied = str(sel["tied_with"].sel(statistic=statistic).item())
    members = {best} | {float(t.split("=")[1]) for t in tied.split(",") if t}
    out = xr.Dataset(
        {"distance": (("value",), dist),
         "distance_interval": (("value", "bound"), sel["distance_interval"].sel(
             source=labels, statistic=statistic).values),
         "heldout_distance": (("value",), held["distance"].sel(
             source=labels, statistic=statistic).values),
         "in_interval": (("value",), np.isin(grid, sorted(members)))},
        coords={"value": grid, "bound": ["low", "high"]})
    out.attrs.update(parameter=parameter, value_hat=best, value_low=float(min(members)),
                     value_high=float(max(members)), statistic=statistic,
                     n_selection=int(selection.size), n_heldout=int(heldout.size),
                     source="neuromop.fit.fit_mop_parameter",
                     **provenance("neuromop.fit.fit_mop_parameter", parameter=parameter,
                                  values=grid.tolist(), statistic=statistic,
                                  condition=condition, n_boot=n_boot, confidence=confidence,
                                  train_kwargs=train_kwargs))
    return out


def mop_parameter_recovery(env, *, parameter="action_scale", true_value=1.0,
                           values=(0.25, 0.5, 1.0, 2.0, 4.0), n_simulations=20,
                           statistic="fano_factor", n_boot=50, confidence=0.95,
                           train_kwargs=None, random_state=0) -> xr.Dataset:
    """Fit a controller parameter to rollouts of a controller with a known value, many times.

    Each simulation trains a NeuroMOP controller with ``true_value`` on ``env`` (its own seed),
    takes its rollout on the recorded trials as the "recording", and runs
    :func:`fit_mop_parameter` on it (fresh controllers, other seeds).

    Returns
    -------
    xarray.Dataset
        Per ``simulation``: ``value_hat``, ``value_low``, ``value_high``, ``covered`` (bool),
        ``interval_values`` (grid values between ``value_low`` and ``value_high``);
        attrs ``coverage`` (fraction covered), ``mean_interval_values`` (grid values between
        ``value_low`` and ``value_high``, averaged: how informative the intervals are),
        ``parameter``, ``true_value``.
    """
    if not isinstance(env, TrialMatchedEnv):
        raise TypeError(f"env must be a TrialMatchedEnv from trial_matched_env, got "
                        f"{type(env).__name__}")
    check_choice("parameter", parameter, PARAMETERS)
    grid = _check_values(values)
    if isinstance(true_value, bool) or not isinstance(true_value, int | float) or \
            float(true_value) not in set(grid.tolist()):
        raise ValueError(f"true_value must be one of values {grid.tolist()}, got "
                         f"{true_value!r}")
    true_value = float(true_value)
    n_sim = check_int("n_simulations", n_simulations, low=1, high=100_000)
    train_kwargs = _check_train_kwargs(train_kwargs)
    rows = []
    for stream in spawn(random_state, n_sim):
        truth, fit = spawn(stream, 2)
        recording = _mop_rollouts(env, parameter, [true_value], train_kwargs, truth)[true_value]
        res = fit_mop_parameter(env, recording, parameter=parameter, values=grid,
                                statistic=statistic, n_boot=n_boot, confidence=confidence,
                                train_kwargs=train_kwargs, random_state=seed_int(fit))
        rows.append((res.attrs["value_hat"], res.attrs["value_low"], res.attrs["value_high"]))
    a = np.array(rows)
    widths = [np.sum((grid >= lo) & (grid <= hi)) for lo, hi in a[:, 1:]]
    covered = (a[:, 1] <= true_value) & (true_value <= a[:, 2])
    out = xr.Dataset({"value_hat": (("simulation",), a[:, 0]),
                      "value_low": (("simulation",), a[:, 1]),
                      "value_high": (("simulation",), a[:, 2]),
                      "covered": (("simulation",), covered),
                      "interval_values": (("simulation",), np.asarray(widths, dtype=int))},
                     coords={"simulation": np.arange(n_sim)})
    out.attrs.update(coverage=float(covered.mean()), true_value=true_value,
                     parameter=parameter, mean_interval_values=float(np.mean(widths)),
                     source="neuromop.fit.mop_parameter_recovery",
                     **provenance("neuromop.fit.mop_parameter_recovery", parameter=parameter,
                                  true_value=true_value, values=grid.tolist(),
                                  n_simulations=n_sim, statistic=statistic, n_boot=n_boot,
                                  confidence=confidence))
    return out
