"""The variability report of a binned dataset: every quantity ``neuromop analyze variability``
shows, computed in one call."""

from __future__ import annotations

import math

import numpy as np

from neuromop.analysis._reduce import activity
from neuromop.analysis.correlation import pair_values, spike_count_correlation
from neuromop.analysis.dimensionality import participation_ratio, pca_spectrum
from neuromop.analysis.variability import (
    MeanMatchingError,
    fano_factor,
    mean_matched_fano_factor,
)

__all__ = ["variability_report"]


def variability_report(ds, *, window=0.1, step=None, condition=None, repeats=10,
                       random_state=0) -> dict:
    """Compute every quantity of the ``variability`` command.

    Parameters
    ----------
    ds : xarray.Dataset
        Binned counts with dims ``(trial, time, neuron)``.
    window, step : float
        Counting window and spacing (s).
    condition : str, optional
        Trial coordinate defining conditions; default ``"condition"`` when present.
    repeats : int
        Mean-matching repeats.
    random_state : int, SeedSequence or numpy.random.Generator
        Seed of the mean matching.

    Returns
    -------
    dict
        ``fano`` (mean-matched result Dataset), ``fano_by_neuron`` (per-neuron Fano factor),
        ``rsc_pairs``, ``spectrum``, ``summary`` (JSON-ready numbers) and ``notes`` (list of str).
    """
    da = activity(ds, "dataset")
    if condition is None and "condition" in da.coords:
        condition = "condition"
    notes = []
    ff = fano_factor(ds, window=window, step=step)
    try:
        fano = mean_matched_fano_factor(ds, window=window, step=step, condition=condition,
                                        repeats=repeats, random_state=random_state)
    except MeanMatchingError as exc:
        notes.append(f"mean matching impossible ({exc}); showing the unmatched Fano factor")
        fano = mean_matched_fano_factor(ds, window=window, step=step, condition=condition,
                                        repeats=0, random_state=random_state)
    rsc = spike_count_correlation(ds, zscore_by=condition)
    pairs = pair_values(rsc)
    spectrum = pca_spectrum(ds)
    pr_naive = float(participation_ratio(ds, corrected=False))
    pr = float(participation_ratio(ds, corrected=True))
    finite = np.asarray(pairs.values)[np.isfinite(pairs.values)]
    summary = {
        "n_trials": int(da.sizes["trial"]),
        "n_neurons": int(da.sizes["neuron"]),
        "n_times": int(da.sizes["time"]),
        "window_s": float(fano.attrs["window"]),
        "condition": condition,
        "fano_factor_mean": float(ff.mean(skipna=True)),
        "fraction_retained": float(fano["fraction_retained"][0]),
        "rsc_mean": float(finite.mean()) if finite.size else math.nan,
        "rsc_sd": float(finite.std()) if finite.size else math.nan,
        "rsc_n_pairs": int(finite.size),
        "participation_ratio_naive": pr_naive,
        "participation_ratio": pr,
        "time_s": fano["time"].values.tolist(),
        "fano_factor_matched": fano["fano_factor"].values.tolist() if "fano_factor" in fano
        else None,
        "fano_factor_all": fano["fano_factor_all"].values.tolist(),
    }
    return {"fano": fano, "fano_by_neuron": ff, "rsc_pairs": pairs, "spectrum": spectrum,
            "summary": summary, "notes": notes}
