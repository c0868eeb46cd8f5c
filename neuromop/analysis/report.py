"""The variability report of a stored dataset: every quantity ``neuromop analyze variability``
shows, computed in one call.

What is computed depends on what the data are (:func:`variability_report`):

- **spike counts** (an integer activity variable): Fano factor and mean-matched Fano factor
  over time (Churchland et al. 2010), spike-count correlations, participation ratio;
- **rates or activity** (a float activity variable, e.g. a rate-RNN rollout): across-trial
  standard deviation over time, temporal standard deviation, correlations of trial-to-trial
  fluctuations, participation ratio -- Fano factors are undefined for non-counts;
- **agent variables** along ``(trial, time)`` (with or without activity): lifetimes, the
  empirical action entropy, the mean policy entropy and the state-occupancy entropy.

Time points after an episode's termination (``terminated`` True) are left out of the rate and
agent statistics.
"""

from __future__ import annotations

import math

import numpy as np
import xarray as xr

from neuromop._checks import check_real
from neuromop.analysis._reduce import activity
from neuromop.analysis.agent_metrics import action_entropy, lifetime, occupancy_entropy
from neuromop.analysis.correlation import pair_values, spike_count_correlation
from neuromop.analysis.dimensionality import participation_ratio, pca_spectrum
from neuromop.analysis.variability import (
    MeanMatchingError,
    fano_factor,
    mean_matched_fano_factor,
)
from neuromop.data.schema import ACTIVITY_VARIABLES, BINNED_DIMS

__all__ = ["variability_report"]

#: The kinds of report, by what the analysed variable is.
REPORT_KINDS = ("counts", "rates", "agent")


def _pick_variable(ds: xr.Dataset, var: str | None) -> xr.DataArray | None:
    """The activity variable to analyse (``None`` when the dataset has none and none is named)."""
    if not isinstance(ds, xr.Dataset):
        raise TypeError(f"ds must be an xarray.Dataset, got {type(ds).__name__}")
    if var is not None:
        if not isinstance(var, str) or var not in ds.data_vars:
            raise ValueError(f"var must name a data variable of the dataset "
                             f"{sorted(map(str, ds.data_vars))}, got {var!r}")
        if set(ds[var].dims) != set(BINNED_DIMS):
            raise ValueError(f"var {var!r} must have dims {BINNED_DIMS}, got {ds[var].dims}")
        if ds[var].dtype.kind not in "biuf":
            raise TypeError(f"ds[{var!r}] must hold real numbers, got dtype {ds[var].dtype}")
        return ds[var].transpose(*BINNED_DIMS)
    found = [n for n in ACTIVITY_VARIABLES if n in ds.data_vars]
    if len(found) > 1:
        raise ValueError(f"the dataset holds several activity variables {found}; choose one "
                         f"with var= (CLI: --var)")
    if not found:
        return None
    da = activity(ds, "ds")
    if set(da.dims) != set(BINNED_DIMS):
        raise ValueError(f"ds[{da.name!r}] must have dims {BINNED_DIMS}, got {da.dims}")
    if da.dtype.kind not in "biuf":
        raise TypeError(f"ds[{da.name!r}] must hold real numbers, got dtype {da.dtype}")
    return da.transpose(*BINNED_DIMS)


def _alive(ds: xr.Dataset) -> np.ndarray | None:
    """``(trial, time)`` mask of the time points before termination, if the data say."""
    if "terminated" not in ds.data_vars:
        return None
    term = ds["terminated"]
    if term.dims[:2] != ("trial", "time") or term.ndim != 2:
        raise ValueError(f"'terminated' must have dims ('trial', 'time'), got {term.dims}")
    return ~np.asarray(term.values, dtype=bool)


def variability_report(ds, *, var=None, window=0.1, step=None, condition=None, repeats=10,
                       random_state=0) -> dict:
    """Compute every quantity of the ``variability`` command.

    Parameters
    ----------
    ds : xarray.Dataset
        A dataset in the neuromop schema: binned activity with dims ``(trial, time, neuron)``
        and/or agent variables along ``(trial, time)``.
    var : str, optional
        The variable with dims ``(trial, time, neuron)`` to analyse; default the dataset's
        activity variable (``counts``, ``rate`` or ``activity``). ``counts`` and integer
        variables are analysed as spike counts (whole non-negative numbers), others as rates.
    window, step : float
        Counting window and spacing (s) of the count statistics.
    condition : str, optional
        Trial coordinate defining conditions; default ``"condition"`` when present.
    repeats : int
        Mean-matching repeats.
    random_state : int, SeedSequence or numpy.random.Generator
        Seed of the mean matching.

    Returns
    -------
    dict
        ``kind`` (``"counts"``, ``"rates"`` or ``"agent"``), ``summary`` (JSON-ready numbers),
        ``notes`` (list of str), ``agent`` (the agent summary, or ``None``) and the labelled
        results the figures show: for counts ``fano`` (mean-matched result Dataset),
        ``fano_by_neuron``, ``rsc_pairs``, ``spectrum``; for rates ``std_over_time`` (the
        across-trial std over time, DataArray), ``corr_pairs`` and ``spectrum``.

    Raises
    ------
    ValueError
        If the dataset has neither an activity variable nor agent variables along
        ``(trial, time)`` (e.g. a solution over states), or ``var`` is not such a variable.
    """
    window = check_real("window", window, low=0.0, low_inclusive=False)
    if step is not None:
        step = check_real("step", step, low=0.0, low_inclusive=False)
    da = _pick_variable(ds, var)
    alive = _alive(ds)
    agent = _agent_summary(ds, alive)
    if da is None and agent is None:
        raise ValueError(
            "ds has no activity variable (one of "
            f"{list(ACTIVITY_VARIABLES)}, or var=) and no agent variables along (trial, time); "
            f"its variables are {sorted(map(str, ds.data_vars))} -- nothing to analyse for "
            "variability")
    if da is None:
        report = {"kind": "agent", "summary": {"n_trials": int(ds.sizes["trial"]),
                                               "n_times": int(ds.sizes["time"])}, "notes": []}
    elif da.dtype.kind in "iub" or da.name == "counts":  # float counts are checked as counts
        report = _count_report(ds, da, window=window, step=step, condition=condition,
                               repeats=repeats, random_state=random_state)
        if alive is not None and not alive.all():
            report["notes"].append("count statistics include the time points after "
                                   "termination")
    else:
        report = _rate_report(da, alive)
    report["summary"]["variable"] = None if da is None else str(da.name)
    report["summary"]["kind"] = report["kind"]
    report["agent"] = agent
    if agent is not None:
        report["summary"]["agent"] = agent
    return report


def _count_report(ds, da, *, window, step, condition, repeats, random_state) -> dict:
    if condition is None and "condition" in da.coords:
        condition = "condition"
    notes = []
    ff = fano_factor(da, window=window, step=step)
    try:
        fano = mean_matched_fano_factor(da, window=window, step=step, condition=condition,
                                        repeats=repeats, random_state=random_state)
    except MeanMatchingError as exc:
        notes.append(f"mean matching impossible ({exc}); showing the unmatched Fano factor")
        fano = mean_matched_fano_factor(da, window=window, step=step, condition=condition,
                                        repeats=0, random_state=random_state)
    rsc = spike_count_correlation(da, zscore_by=condition)
    pairs = pair_values(rsc)
    spectrum = pca_spectrum(da)
    pr_naive = float(participation_ratio(da, corrected=False))
    pr = float(participation_ratio(da, corrected=True))
    summary = {
        "n_trials": int(da.sizes["trial"]),
        "n_neurons": int(da.sizes["neuron"]),
        "n_times": int(da.sizes["time"]),
        "window_s": float(fano.attrs["window"]),
        "condition": condition,
        "fano_factor_mean": float(ff.mean(skipna=True)),
        "fraction_retained": float(fano["fraction_retained"][0]),
        **_pair_summary(pairs, "rsc"),
        "participation_ratio_naive": pr_naive,
        "participation_ratio": pr,
        "time_s": fano["time"].values.tolist(),
        "fano_factor_matched": fano["fano_factor"].values.tolist() if "fano_factor" in fano
        else None,
        "fano_factor_all": fano["fano_factor_all"].values.tolist(),
    }
    notes += _no_pairs_note(summary, "rsc")
    return {"kind": "counts", "fano": fano, "fano_by_neuron": ff, "rsc_pairs": pairs,
            "spectrum": spectrum, "summary": summary, "notes": notes}


def _pair_summary(pairs: xr.DataArray, prefix: str) -> dict:
    """Mean, sd and number of the finite pair correlations; mean and sd are ``None`` (not NaN)
    when no pair has one (one neuron, or fewer than two that vary)."""
    finite = np.asarray(pairs.values, dtype=float)
    finite = finite[np.isfinite(finite)]
    return {f"{prefix}_mean": float(finite.mean()) if finite.size else None,
            f"{prefix}_sd": float(finite.std()) if finite.size else None,
            f"{prefix}_n_pairs": int(finite.size)}


def _no_pairs_note(summary: dict, prefix: str) -> list[str]:
    if summary[f"{prefix}_n_pairs"]:
        return []
    return [f"no pair of neurons has a finite correlation (fewer than two neurons vary): "
            f"{prefix}_mean and {prefix}_sd are None"]


def _rate_report(da: xr.DataArray, alive: np.ndarray | None) -> dict:
    """Variability of float activity over the time points before termination."""
    x = np.asarray(da.values, dtype=float)
    if not np.isfinite(x).all():
        raise ValueError(f"ds[{da.name!r}] holds {int((~np.isfinite(x)).sum())} NaN/inf "
                         "value(s)")
    mask = np.ones(x.shape[:2], dtype=bool) if alive is None else alive
    n_alive = mask.sum(axis=0)  # trials alive at each time
    xm = np.where(mask[..., None], x, np.nan)
    ok = n_alive >= 2
    mean_t = np.full(x.shape[1:], np.nan)
    std_t = np.full(x.shape[1:], np.nan)
    mean_t[ok] = np.nanmean(xm[:, ok], axis=0)
    std_t[ok] = np.nanstd(xm[:, ok], axis=0, ddof=1)
    std_over_time = xr.DataArray(
        std_t.mean(axis=-1), dims="time",
        coords={"time": ("time", da["time"].values, dict(da["time"].attrs)),
                "n_alive": ("time", n_alive)},
        name="across_trial_std", attrs={"units": da.attrs.get("units", "a.u."),
                                        "long_name": "across-trial std, mean over neurons"})
    samples = x[mask & ok[None, :]]  # (n_samples, neuron), trials alive with company
    if samples.shape[0] < 3:
        raise ValueError(f"ds[{da.name!r}] has {samples.shape[0]} time points alive in at "
                         "least two trials; at least 3 are needed")
    resid = (x - np.where(ok[:, None], mean_t, 0.0)[None])[mask & ok[None, :]]
    sd = resid.std(axis=0)
    r = np.full((x.shape[-1],) * 2, np.nan)
    live = sd > 0
    if live.sum() >= 2:
        r[np.ix_(live, live)] = np.corrcoef(resid[:, live], rowvar=False)
    neuron = da["neuron"].values
    corr = xr.DataArray(r, dims=("neuron", "neuron_2"),
                        coords={"neuron": neuron, "neuron_2": neuron})
    pairs = pair_values(corr)
    stacked = xr.DataArray(samples, dims=("sample", "neuron"), coords={"neuron": neuron},
                           name=da.name)
    spectrum = pca_spectrum(stacked, sample_dims="sample")
    temporal = [np.std(x[i][mask[i]], axis=0) for i in range(x.shape[0]) if mask[i].sum() >= 2]
    summary = {
        "n_trials": int(da.sizes["trial"]),
        "n_neurons": int(da.sizes["neuron"]),
        "n_times": int(da.sizes["time"]),
        "n_samples": int(samples.shape[0]),
        "units": str(da.attrs.get("units", "a.u.")),
        "across_trial_std_mean": float(np.nanmean(std_over_time.values)),
        "temporal_std_mean": float(np.mean(temporal)) if temporal else None,
        **_pair_summary(pairs, "corr"),
        "participation_ratio_naive": float(participation_ratio(stacked, "sample",
                                                               corrected=False)),
        "participation_ratio": float(participation_ratio(stacked, "sample", corrected=True)),
        "time_s": std_over_time["time"].values.tolist(),
        "time_units": str(da["time"].attrs.get("units", "s")),  # "tau" for a rate RNN
        "across_trial_std": [None if not np.isfinite(v) else float(v)
                             for v in std_over_time.values],
    }
    notes = ["activity is not spike counts: Fano factors are not computed; correlations are "
             "of trial-to-trial fluctuations (activity minus the across-trial mean at each "
             "time)", *_no_pairs_note(summary, "corr")]
    if not temporal:
        notes.append("no trial has two time points alive: temporal_std_mean is None")
    if alive is not None and not alive.all():
        notes.append(f"{int((~alive).sum())} of {alive.size} (trial, time) points after "
                     "termination are left out")
    return {"kind": "rates", "std_over_time": std_over_time, "corr_pairs": pairs,
            "spectrum": spectrum, "summary": summary, "notes": notes}


def _agent_summary(ds: xr.Dataset, alive: np.ndarray | None) -> dict | None:
    """Lifetimes, action entropy, policy entropy and occupancy entropy, when present."""
    has = [n for n in ("terminated", "action", "action_entropy", "state")
           if n in ds.data_vars and ds[n].dims[:2] == ("trial", "time") and ds[n].ndim == 2]
    if not has:
        return None
    mask = np.ones((ds.sizes["trial"], ds.sizes["time"]), bool) if alive is None else alive
    out: dict = {"n_trials": int(ds.sizes["trial"]), "n_steps": int(ds.sizes["time"])}
    if "terminated" in has:
        life = lifetime(ds["terminated"])
        steps = life["lifetime"]
        if "lifetime" in ds.data_vars and ds["lifetime"].dims == ("trial",):
            steps = ds["lifetime"]  # the producer's count (e.g. steps of n_steps actions)
        steps = np.asarray(steps.values, dtype=float)
        out["lifetime_mean"] = float(steps.mean())
        out["lifetime_sem"] = (float(steps.std(ddof=1) / math.sqrt(steps.size))
                               if steps.size > 1 else math.nan)
        out["survival"] = float(life["censored"].mean())
    for name, key in (("action", "action_entropy_empirical"), ("state", "occupancy_entropy")):
        if name not in has:
            continue
        labels = np.asarray(ds[name].values)[mask]
        if labels.dtype.kind == "f":
            labels = labels[np.isfinite(labels)]
        labels = labels[labels >= 0].astype(np.int64)
        if labels.size == 0:
            out[key] = math.nan
            continue
        _, codes = np.unique(labels, return_inverse=True)
        flat = xr.DataArray(codes.ravel(), dims="sample")
        fn = action_entropy if name == "action" else occupancy_entropy
        out[key] = float(fn(flat, dims="sample"))
        out[f"n_distinct_{name}s"] = int(codes.max()) + 1
    if "action_entropy" in has:
        h = np.asarray(ds["action_entropy"].values, dtype=float)[mask]
        h = h[np.isfinite(h)]
        out["policy_entropy_mean"] = float(h.mean()) if h.size else math.nan
    return out
