"""The held-out report of a rate RNN fitted to recordings: baselines, spectrum, variability."""

from __future__ import annotations

import numpy as np

from neuromop._checks import check_real
from neuromop._random import as_generator
from neuromop.fit.baselines import (
    LinearDynamicalBaseline,
    PSTHBaseline,
    _check_dataset,
    per_neuron_r2,
    variability_summary,
)
from neuromop.fit.rnn import RateRNNRegressor

__all__ = ["fit_report", "format_fit_report"]


def fit_report(model, train, test, *, inputs=None, condition=None, random_state=0,
               epoch_time=None) -> dict:
    """Held-out comparison of ``model`` with baselines, spectra and variability (a JSON dict).

    Parameters
    ----------
    model : RateRNNRegressor
        Fitted on (part of) ``train``.
    train, test : xarray.Dataset
        Trials used for fitting / never seen by the fit.
    inputs : list of str, optional
        Input variables (for the LDS baseline).
    condition : str, optional
        Condition coordinate for the PSTH baseline.
    random_state : int, SeedSequence or numpy.random.Generator
        Seed of the model samples.
    epoch_time : float, optional
        Mean wall time of one epoch (s), recorded in the report.
    """
    if not isinstance(model, RateRNNRegressor):
        raise TypeError(f"model must be a fitted RateRNNRegressor, got {type(model).__name__}")
    model._check_fitted()
    if epoch_time is not None:
        epoch_time = check_real("epoch_time", epoch_time, low=0.0)
    obs = model.observation
    y_train, _ = _check_dataset(train, obs, "train")
    y_test, bw = _check_dataset(test, obs, "test")
    fitted = model.C_.shape[0]
    if y_train.shape[-1] != fitted or y_test.shape[-1] != fitted:
        raise ValueError(f"train and test must have the fitted {fitted} neurons, got "
                         f"{y_train.shape[-1]} and {y_test.shape[-1]}")
    psth = PSTHBaseline(condition, observation=obs).fit(train)
    lds = LinearDynamicalBaseline(min(8, y_test.shape[-1]), observation=obs).fit(train, inputs)
    scale = bw if obs == "poisson" else 1.0
    var_name = "rate" if obs == "poisson" else "activity"
    pred = {"rnn": model.predict(test)[var_name].values * scale,
            "psth": psth.predict(test)[var_name].values * scale,
            "lds": lds.predict(test)[var_name].values * scale}
    metric = "bits_per_spike" if obs == "poisson" else "r2"
    heldout = {"metric": metric, "rnn": model.score(test), "psth": psth.score(test),
               "lds": lds.score(test), "n_test_trials": int(y_test.shape[0])}
    ev = model.spectrum()
    rng = as_generator(random_state)
    variability = {}  # spike-count metrics: only for count (Poisson) observations
    if obs == "poisson":
        variability["data"] = variability_summary(y_test)
        sample = model.sample(test, random_state=rng)["counts"].values
        variability["rnn_sample"] = variability_summary(sample)
        quiet = model.sample(test, random_state=rng, noise=False, initial_state="mean")
        variability["rnn_sample_no_noise"] = variability_summary(quiet["counts"].values)

    def clean(a):
        return [None if not np.isfinite(v) else float(v) for v in np.asarray(a, dtype=float)]

    return {
        "heldout": heldout,
        "per_neuron_r2": {k: clean(per_neuron_r2(y_test, v)) for k, v in pred.items()},
        "spectrum": {"real": ev.real.tolist(), "imag": ev.imag.tolist(),
                     "radius": float(np.max(np.abs(ev)))},
        "variability": variability,
        "history": model.history_,
        "best_epoch": model.best_epoch_,
        "epoch_time_s": epoch_time,
        "n_units": model.n_units,
        "n_neurons": int(y_test.shape[-1]),
        "n_train_trials": int(train.sizes["trial"]),
    }


def format_fit_report(report: dict, title: str) -> str:
    """The :func:`fit_report` as markdown (held-out scores, spectral radius, variability)."""
    h = report["heldout"]
    lines = [f"# Rate-RNN fit of `{title}`", "",
             f"{report['n_units']} units, {report['n_neurons']} neurons, "
             f"{report['n_train_trials']} training / {h['n_test_trials']} held-out trials, "
             f"best epoch {report['best_epoch']}, "
             f"{report['epoch_time_s'] or float('nan'):.3f} s per epoch.", "",
             f"## Held-out fit ({h['metric']}, higher is better)", "",
             "| model | score |", "|---|---|"]
    lines += [f"| {k} | {h[k]:.4f} |" for k in ("rnn", "psth", "lds")]
    lines += ["", f"Spectral radius of the fitted W: {report['spectrum']['radius']:.3f}", "",
              "## Variability (held-out trials)", "",
              "| source | Fano factor | participation ratio | r_sc | mean count/bin |",
              "|---|---|---|---|---|"]
    if not report["variability"]:
        lines.append("| (spike-count metrics need Poisson observations) | | | | |")
    for name, v in report["variability"].items():
        lines.append(f"| {name} | {v['fano_factor']:.3f} | {v['participation_ratio']:.2f} | "
                     f"{v['r_sc']:.3f} | {v['mean_rate']:.3f} |")
    return "\n".join(lines) + "\n"
