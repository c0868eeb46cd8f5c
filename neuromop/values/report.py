"""Soft versus true value encoding of a dataset in one call (``neuromop analyze values``).

Two-offer datasets (trial coordinates ``offer_a``/``offer_A``, ``offer_b``/``offer_B`` and
``chosen_juice`` ("A"/"B") or ``chosen`` (0/1)) get their choice models fitted first
(:class:`~neuromop.values.choice_models.RelativeValueLogit`, log and linear forms); the linear
fit gives ``rho`` and the temperature that define the soft and true values, and pseudo-sessions
re-simulated from it provide the second null. Otherwise the dataset (or ``--behaviour``) must
hold the two signals (``--soft``/``--true`` variable names), and pseudo-sessions of its task
come from a ``pseudo_sampler`` given in Python (otherwise a shift null alone: linear shifts
when the session is long enough, ``shift_null``).
"""

from __future__ import annotations

import numpy as np
import xarray as xr

from neuromop._checks import check_choice, check_int
from neuromop.values._encoding_nulls import _linear_shift_min_trials
from neuromop.values.calibration import design_calibration
from neuromop.values.choice_models import RelativeValueLogit, compare_models
from neuromop.values.encoding import compare_value_encodings
from neuromop.values.entropy import value_entropy_ratio
from neuromop.values.signals import two_offer_values
from neuromop.values.simulation import two_offer_pseudo_sampler

__all__ = ["value_report"]

_OFFER_NAMES = (("offer_a", "offer_b"), ("offer_A", "offer_B"))


def _two_offer_columns(src):
    for a, b in _OFFER_NAMES:
        if a in src.variables and b in src.variables:
            qa, qb = np.asarray(src[a].values, float), np.asarray(src[b].values, float)
            if "chosen_juice" in src.variables:
                y = (np.asarray(src["chosen_juice"].values).astype(str) == "B").astype(int)
            elif "chosen" in src.variables:
                y = np.asarray(src["chosen"].values).astype(int)
            else:
                return None
            return np.abs(qa), np.abs(qb), y
    return None


def _check_inputs(ds, behaviour, base, pseudo_sampler) -> list | None:
    """Validate :func:`value_report`'s inputs; ``base`` as a list (or None)."""
    if not isinstance(ds, xr.Dataset):
        raise TypeError(f"ds must be an xarray.Dataset, got {type(ds).__name__}")
    if behaviour is not None and not isinstance(behaviour, xr.Dataset):
        raise TypeError(f"behaviour must be an xarray.Dataset or None, got "
                        f"{type(behaviour).__name__}")
    if behaviour is not None and "trial" not in behaviour.dims:
        raise ValueError(f"behaviour must have a 'trial' dim like ds, got dims "
                         f"{list(behaviour.dims)}")
    if behaviour is not None and not np.array_equal(behaviour["trial"].values,
                                                    ds["trial"].values):
        raise ValueError("behaviour and dataset have different trial coordinates; select the "
                         "same trials in both")
    if base is not None and not isinstance(base, str | tuple | list):
        raise TypeError(f"base must be a list of trial variable names, got {base!r}")
    if pseudo_sampler is not None and not callable(pseudo_sampler):
        raise TypeError(f"pseudo_sampler must be a callable rng -> {{'soft', 'true'}} signals "
                        f"or None, got {type(pseudo_sampler).__name__}")
    return [base] if isinstance(base, str) else base


_GATES = {"max_z": "the largest standardised statistic of the any/soft/true tests (max_z)",
          "max": "the smallest p-value of the any/soft/true tests (max)",
          "any": "the both-signals test (any)"}


def value_report(ds, *, behaviour=None, soft="value_soft", true="value_true", base=None,
                 window=(0.1, 0.6), n_null=99, alpha=0.01, power_sessions=0,
                 population_statistic="auto", intersection_test="max_z", link="log",
                 pseudo_sampler=None, shift_null="auto", linear_shift_p="approximate",
                 random_state=0) -> dict:
    """Run the whole analysis of the ``values`` command on a dataset.

    Parameters
    ----------
    ds : xarray.Dataset
        Activity (trial, time, neuron).
    behaviour : xarray.Dataset, optional
        Trial variables (same ``trial`` coordinate); default: those of ``ds``.
    soft, true : str
        Signal variable names: for two-offer tasks, variables of
        :func:`~neuromop.values.signals.two_offer_values` (e.g. ``true="value_chosen"`` or
        ``"value_max"``); otherwise trial variables of the dataset/behaviour.
    base : list of str, optional
        Base covariates; default ``chosen`` juice for two-offer tasks, none otherwise.
    window : (float, float)
        Counting window (s).
    n_null, alpha, population_statistic, intersection_test, link, random_state
        Passed to :func:`~neuromop.values.encoding.compare_value_encodings`, for the
        recording and for the power simulations (these use the recording's test: its nulls,
        and its statistic with ``"auto"`` resolved by them).
    power_sessions : int
        When > 0 (spike counts only), the confusion matrix of the verdicts for this recording's
        design (:func:`~neuromop.values.calibration.design_calibration`: sessions simulated
        from the encoding model fitted to it, ``power_sessions`` per ground truth, tested as
        the recording is), so that "neither" can be told from "not enough data"; sessions of
        half the recording's length are simulated too, and the power curve through both lengths
        (:func:`~neuromop.values.power_analysis.power_curve`) gives the trials a correct soft or
        true verdict needs 80 % of the time, beyond the recording's length if need be.
    pseudo_sampler : callable, optional
        Pseudo-sessions of this recording's task for any task, e.g.
        :func:`~neuromop.values.bandit_population.bandit_pseudo_sampler` with the fitted learning
        rate and temperature: ``sampler(rng)`` returns ``{"soft": ..., "true": ...}`` over the
        recording's trials. With it the recording and its power simulations are tested with
        circular shifts *and* pseudo-sessions (the larger p of both), which hold their level
        when the values are slow; it replaces the two-offer task's own sampler. Without it,
        tasks other than two-offer get a shift null alone (``shift_null``).
    shift_null : {"auto", "shift", "linear_shift"}
        The shift null of the test: circular shifts (``"shift"``) or linear shifts without
        wrap-around (``"linear_shift"``, which needs ``4 ceil(n_null / 2)`` trials and tests the
        central trials; see :func:`~neuromop.values.encoding.compare_value_encodings`).
        ``"auto"`` (default): circular shifts beside pseudo-sessions (the pair holds its
        level), linear shifts when there are no pseudo-sessions and the recording is long
        enough (circular shifts alone were anti-conservative with slow values), else circular.
    linear_shift_p : {"approximate", "conservative"}
        p-values of the linear shifts (recording and power simulations): Harris's large-shift
        approximation or his bound (even ``n_null >= 2 / alpha - 2``); see
        :func:`~neuromop.values.encoding.compare_value_encodings`.

    Returns
    -------
    dict
        ``result`` (xarray.Dataset), ``choice_table`` (pandas.DataFrame or None), ``signals``
        (soft, true arrays), ``behaviour`` (figure inputs or None), ``notes`` (list of str),
        ``power`` (xarray.Dataset of :func:`design_calibration`, or None),
        ``entropy_ratio`` (xarray.Dataset of
        :func:`~neuromop.values.entropy.value_entropy_ratio` for two-offer tasks with spike
        counts, or None).
    """

    base = _check_inputs(ds, behaviour, base, pseudo_sampler)
    src = behaviour if behaviour is not None else ds
    notes = []
    offers = _two_offer_columns(src)
    choice_table = fig_behaviour = None
    if offers is not None:
        qa, qb, y = offers
        X = np.column_stack([qa, qb])
        models = {"log": RelativeValueLogit(form="log", random_state=random_state),
                  "linear": RelativeValueLogit(form="linear", random_state=random_state)}
        choice_table = compare_models(models, y, X=X, cv=5)
        lin = RelativeValueLogit(form="linear", random_state=random_state).fit(X, y)
        log_model = RelativeValueLogit(form="log", random_state=random_state).fit(X, y)
        rho, tau = lin.params_["rho"], lin.temperature_
        vals = two_offer_values(qa, qb, rho=rho, temperature=tau, chosen=y,
                                trial=ds["trial"].values)
        for name in (soft, true):
            if name not in vals.data_vars:
                raise ValueError(f"two-offer signals are computed here: --soft/--true must be one "
                                 f"of {sorted(v for v in vals.data_vars if vals[v].ndim == 1)}, "
                                 f"got {name!r}")
        signals = {"soft": vals[soft].values, "true": vals[true].values}
        base_arrays = [y.astype(float)] if base is None else list(base)
        sampler = two_offer_pseudo_sampler(qa, qb, rho=rho, temperature=tau,
                                           signals={"soft": soft, "true": true})
        fig_behaviour = (qa, qb, y, log_model)
        notes.append(f"two-offer task: linear logit rho = {rho:.3f}, temperature = {tau:.3f} "
                     f"juice-B units (log logit rho = {log_model.params_['rho']:.3f}); signals "
                     f"soft = {soft}, true = {true} (value_soft = tau ln sum exp(v / tau), "
                     "value_true = E_pi[v]); base = chosen juice")
    else:
        signals = {"soft": soft, "true": true}
        base_arrays = [] if base is None else list(base)
        sampler = None
    if pseudo_sampler is not None:
        sampler = pseudo_sampler
        notes.append("pseudo-sessions: from the sampler given (pseudo_sampler)")
    n_null = check_int("n_null", n_null, low=1)
    n_rec = int(ds.sizes.get("trial", 0))
    null, min_trials = _nulls(shift_null, sampler is not None, n_null, n_rec)
    if null[0] == "linear_shift":
        notes.append(f"nulls: linear shifts of up to {min_trials // 4} trials (the central "
                     f"{n_rec - min_trials // 2} trials are tested; p-values: "
                     + ("Harris's bound)" if linear_shift_p == "conservative" else
                        "Harris's large-shift approximation)"))
    elif null == ("shift",):
        notes.append("nulls: circular shifts alone (no pseudo-sessions for this task, too few "
                     "trials for linear shifts or shift_null='shift'): with slow values the "
                     "per-neuron false-positive rate can exceed alpha")
    result = compare_value_encodings(ds, signals, base=base_arrays, behaviour=behaviour,
                                     window=window, n_null=n_null, null=null,
                                     pseudo_sampler=sampler, alpha=alpha,
                                     linear_shift_p=linear_shift_p,
                                     population_statistic=population_statistic,
                                     intersection_test=intersection_test, link=link,
                                     random_state=random_state)
    used = result.attrs["population_statistic"]
    notes.append(f"population statistic: {used}"
                 + (" ('auto': directional with pseudo-session or linear-shift nulls, the "
                    "sum with circular shifts alone)" if population_statistic == "auto" else "")
                 + ("; the 'any' test keeps the sum of log-likelihood gains"
                    if used == "directional" else ""))
    notes.append(f"gate 'neither signal adds': {_GATES[intersection_test]}, "
                 f"p = {float(result['p_intersection']):.3g}")
    power_sessions = check_int("power_sessions", power_sessions, low=0)
    power = None
    if power_sessions and result.attrs["family"] == "poisson":
        lengths = sorted({max(20, min_trials, n_rec // 2), n_rec}) if n_rec >= 20 else None
        power = design_calibration(
            ds, signals, base=base_arrays, behaviour=behaviour, window=window,
            n_trials=lengths, n_sessions=power_sessions, random_state=random_state,
            compare_kwargs=dict(n_null=n_null, alpha=alpha, null=null, pseudo_sampler=sampler,
                                linear_shift_p=linear_shift_p,
                                # the recording's own test (resolved from "auto" by its nulls)
                                population_statistic=result.attrs["population_statistic"],
                                intersection_test=intersection_test, link=link))
        notes.append(_power_note(result.attrs["verdict"], power))
    elif power_sessions:
        notes.append("power: not computed (rates or activity have no Poisson model to "
                     "simulate from)")
    ratio = None
    if offers is not None and result.attrs["family"] == "poisson":
        ratio = value_entropy_ratio(ds, temperature=tau, true=vals["value_true"].values,
                                    entropy=vals["policy_entropy"].values, base=base_arrays,
                                    behaviour=behaviour, window=window)
        notes.append(_ratio_note(ratio))
    sig_arrays = tuple(np.asarray(src[v].values if isinstance(v, str) else v, float)
                       for v in (signals["soft"], signals["true"]))
    return {"result": result, "choice_table": choice_table, "signals": sig_arrays,
            "behaviour": fig_behaviour, "notes": notes, "power": power,
            "entropy_ratio": ratio}


def _nulls(shift_null: str, pseudo: bool, n_null: int, n_trials: int) -> tuple[tuple, int]:
    """The nulls of a report and the fewest trials a session needs for them."""
    check_choice("shift_null", shift_null, ("auto", "shift", "linear_shift"))
    need = _linear_shift_min_trials(n_null)
    if shift_null == "auto":
        shift_null = "linear_shift" if not pseudo and n_trials >= need else "shift"
    if shift_null == "shift":
        return (("shift", "pseudo") if pseudo else ("shift",)), 0
    return (("linear_shift", "pseudo") if pseudo else ("linear_shift",)), need


def _ratio_note(ratio: xr.Dataset) -> str:
    tau = ratio.attrs["temperature"]
    return (f"entropy-to-value weight ratio (value_entropy_ratio; soft coding predicts the "
            f"temperature {tau:.3g}, true coding 0): {float(ratio['ratio']):.3g} "
            f"[{float(ratio['ratio_low']):.3g}, {float(ratio['ratio_high']):.3g}] "
            f"({100 * ratio.attrs['level']:.0f} %); p(ratio = tau) "
            f"{float(ratio['p_ratio_soft']):.3g}, p(ratio = 0) "
            f"{float(ratio['p_ratio_true']):.3g} (asymptotic; corr(V_true, H) = "
            f"{ratio.attrs['corr_value_entropy']:.2f})")


def _power_note(verdict: str, power) -> str:
    last = power.isel(n_trials=-1)
    rate, det = last["correct_rate"], last["detection_rate"]
    n = int(last["verdict_count"].sum("verdict").max())
    parts = ", ".join(f"{e} {float(rate.sel(encoding=e)):.2f}" for e in rate["encoding"].values)
    note = (f"power for this design ({n} simulated sessions per ground truth, fitted gains "
            f"debiased for noise): correct verdict rate {parts}")
    if "value_gain_energy" in power:
        e, lo, hi = (float(power[v]) for v in ("value_gain_energy", "value_gain_energy_low",
                                                "value_gain_energy_high"))
        note += (f" at the fitted value-signal strength sum g^2 = {e:.3g} [{lo:.3g}, {hi:.3g}] "
                 "(95 %; one recording pins it down only this well, and power falls with it)")
    coded = [e for e in ("soft", "true") if e in rate["encoding"].values]
    if coded:
        worst = min(float(det.sel(encoding=e)) for e in coded)
        note += f"; value coding of the fitted strength detected (any verdict but 'neither') " \
                f"in >= {worst:.2f} of sessions"
        if verdict == "neither" and worst < 0.8:
            note += ("; the verdict 'neither' is NOT evidence of no value coding: this design "
                     "detects value coding of the fitted strength less than 80 % of the time "
                     "(not enough data)")
        if max(float(rate.sel(encoding=e)) for e in coded) < 0.2:
            note += ("; soft and true value are not told apart in this design even when one is "
                     "encoded")
    if "trials_for_power_fitted" in power:
        note += "; " + "; ".join(_trials_needed_note(power, e) for e in coded)
    return note


def _trials_needed_note(power, encoding: str) -> str:
    row = power.sel(encoding=encoding)
    target = float(power["trials_for_power_fitted"].attrs["power"])
    status = str(row["power_extrapolation"].item())
    head = f"a correct '{encoding}' verdict {100 * target:.0f} % of the time needs"
    if status == "not rising":
        return f"{head} more trials than any number: its rate does not rise with trials here"
    if status == "plateaus below the target":
        return (f"{head} more trials than any number: its rate levels off near "
                f"{float(row['power_plateau']):.2f} (one factor, separability or the tests' "
                "power, does not rise with trials here)")
    if status == "not estimable":
        return (f"{head} an unknown number of trials (fewer than two simulated lengths had "
                "separable signals)")
    n, lo, hi = (float(row[v]) for v in ("trials_for_power_fitted",
                                          "trials_for_power_fitted_low",
                                          "trials_for_power_fitted_high"))
    shortest = float(power["n_trials"].min())

    def text(x: float) -> str:  # below the shortest simulated length the curve is a guess
        return f"fewer than {shortest:.0f}" if x < shortest else f"{x:.0f}"

    hi_text = "no bound" if not np.isfinite(hi) else text(hi)
    where = ("beyond the recording's trials: extrapolated, assuming power grows like a "
             "fixed-effect test's, which is optimistic when values and drift are slow"
             if status == "extrapolated" else "within the recording's trials")
    spread = (", the interval including the uncertainty of the value-signal strength"
              if "value_gain_energy_se" in power else "")
    return (f"{head} ~{text(n)} trials [{text(lo)}, {hi_text}] ({where}, probit power "
            f"curve{spread})")
