"""Pool the soft-versus-true value comparison over sessions recorded from different neurons.

Every session is tested on its own by :func:`~neuromop.values.compare_value_encodings` (its own
neurons, trials, drift and nulls). :func:`pool_value_encodings` then adds the sessions'
population statistics, test by test and null type by null type, and forms the pooled null
distribution by adding the sessions' null draws index by index: draws of independent sessions
are independent, so the ``i``-th sum is a draw of the sum under the joint null (the same
construction as a stratified permutation test). Every population statistic adds over sessions:
``"directional"`` (each session's statistic is a normalised weighted sum of z-scores, so the
pooled one is Stouffer's), ``"sum"`` (held-out log-likelihood gains, nats) and ``"fisher"``
(``-sum ln p`` over neurons).

Identifiability pools the information too: a signal's unique variance in session ``k`` is worth
about ``n_k / VIF_k`` trials, so the pooled signals are separable when
``sum_k n_k / VIF_k >= min_unique_trials`` for both signals (or, with a fixed ``vif_max``, when
every session's VIFs are below it).
"""

from __future__ import annotations

import json
from collections.abc import Sequence

import numpy as np
import xarray as xr

from neuromop._checks import check_real
from neuromop._provenance import provenance
from neuromop.values._population_tests import _intersection_p
from neuromop.values.encoding import _verdict

__all__ = ["pool_value_encodings"]

_SAME = ("n_null", "null", "population_statistic", "intersection_test", "alpha", "vif_max",
         "min_unique_trials")


def _settings(res: xr.Dataset, k: int) -> dict:
    if not isinstance(res, xr.Dataset) or "null_pop_loglik_gain" not in res:
        raise TypeError(f"results[{k}] must be a result of compare_value_encodings, got "
                        f"{type(res).__name__}")
    raw = res.attrs.get("parameters")
    params = json.loads(raw) if isinstance(raw, str) else dict(raw or {})
    out = {name: params.get(name) for name in _SAME}
    out["null"] = tuple(out["null"] or res["null"].values.tolist())
    out["alpha"] = float(res.attrs["alpha"])
    out["n_null"] = int(res.sizes["sample"])
    return out


def pool_value_encodings(results: Sequence[xr.Dataset], *, labels: Sequence | None = None,
                         min_unique_trials: float | None = None) -> xr.Dataset:
    """Pooled population verdict of several sessions' soft-versus-true comparisons.

    Parameters
    ----------
    results : sequence of xarray.Dataset
        Outputs of :func:`~neuromop.values.compare_value_encodings`, one per session, run with
        the same ``n_null``, ``null``, ``population_statistic``, ``intersection_test`` and
        ``alpha`` and with *independent* random states (their null draws are added index by
        index).
    labels : sequence, optional
        Session labels (default ``0..n-1``).
    min_unique_trials : float, optional
        Pooled identifiability rule (default: the sessions' own setting); ignored when the
        sessions used a fixed ``vif_max``.

    Returns
    -------
    xarray.Dataset
        ``pop_p_value`` (test), ``pop_statistic`` and ``null_p_value`` (test, null),
        ``null_pop_statistic`` (test, null, sample) of the pooled test; per session
        ``session_p_value`` (session, test), ``session_pop_statistic`` (session, test, null),
        ``session_vif`` (session, signal), ``session_n_trials``, ``session_n_neurons`` and
        ``session_verdict`` (session); ``unique_trials`` (signal) = ``sum_k n_k / VIF_k``.
        ``attrs``: ``verdict``, ``separable``, ``alpha``, ``n_sessions``, ``n_neurons`` (all
        sessions), ``n_trials`` (all sessions) and provenance.

    Raises
    ------
    ValueError
        If fewer than two results are given or their test settings differ.
    """
    if not isinstance(results, Sequence) or isinstance(results, str):
        raise TypeError(f"results must be a list of compare_value_encodings results, got "
                        f"{type(results).__name__}")
    results = list(results)
    if len(results) < 2:
        raise ValueError(f"results must hold at least two sessions' comparisons, got "
                         f"{len(results)}")
    settings = [_settings(r, k) for k, r in enumerate(results)]
    for k, s in enumerate(settings[1:], start=1):
        diff = [name for name in _SAME if s[name] != settings[0][name]]
        if diff:
            raise ValueError(f"results[{k}] was run with other settings than results[0] "
                             f"({', '.join(f'{n}={s[n]!r} vs {settings[0][n]!r}' for n in diff)}); "
                             "pooled null draws need the same tests")
    if labels is None:
        labels = list(range(len(results)))
    elif not isinstance(labels, Sequence | np.ndarray) or isinstance(labels, str):
        raise TypeError(f"labels must be a sequence of session labels, got "
                        f"{type(labels).__name__}")
    labels = list(labels)
    if len(labels) != len(results):
        raise ValueError(f"labels must have one entry per result ({len(results)}), got "
                         f"{len(labels)}")
    alpha = settings[0]["alpha"]
    n_null = settings[0]["n_null"]
    stat = np.sum([r["pop_statistic"].values for r in results], axis=0)        # (test, null)
    null = np.sum([r["null_pop_loglik_gain"].values for r in results], axis=0)  # (..., sample)
    null_p = (1 + np.sum(null >= stat[..., None], axis=2)) / (1 + n_null)
    pop_p = null_p.max(axis=1)
    tests = results[0]["test"].values.tolist()
    p = dict(zip(tests, pop_p))
    gate = settings[0]["intersection_test"]
    if gate in ("max", "max_z"):
        # one intersection p per null type (trailing axis), the largest of them
        p_gate = float(_intersection_p(stat, np.swapaxes(null, 1, 2), gate).max())
    else:
        p_gate = float(p["any"])

    vif = np.stack([r["vif"].values for r in results])
    n_trials = np.array([int(r.attrs["n_trials"]) for r in results])
    unique = (n_trials[:, None] / vif).sum(axis=0)
    if settings[0]["vif_max"] is not None:
        separable = bool(np.all(vif < float(settings[0]["vif_max"])))
    else:
        if min_unique_trials is None:
            min_unique_trials = float(settings[0]["min_unique_trials"])
        min_unique_trials = check_real("min_unique_trials", min_unique_trials, low=0.0,
                                       low_inclusive=False)
        separable = bool(np.all(unique >= min_unique_trials))
    verdict = _verdict(p_gate, separable, float(p["soft"]), float(p["true"]), alpha)

    out = xr.Dataset(
        {
            "pop_statistic": (("test", "null"), stat),  # a linear shift has its own
            "pop_p_value": ("test", pop_p),
            "null_p_value": (("test", "null"), null_p),
            "null_pop_statistic": (("test", "null", "sample"), null),
            "session_p_value": (("session", "test"),
                                np.stack([r["pop_p_value"].values for r in results])),
            "session_pop_statistic": (("session", "test", "null"),
                                      np.stack([r["pop_statistic"].values for r in results])),
            "session_vif": (("session", "signal"), vif),
            "session_n_trials": ("session", n_trials),
            "session_n_neurons": ("session", [int(r.attrs["n_neurons"]) for r in results]),
            "session_verdict": ("session", [str(r.attrs["verdict"]) for r in results]),
            "unique_trials": ("signal", unique),
        },
        coords={"test": tests, "null": results[0]["null"].values.tolist(),
                "signal": results[0]["signal"].values.tolist(), "session": labels},
    )
    params = {k: (list(v) if isinstance(v, tuple) else v) for k, v in settings[0].items()}
    params.update(n_sessions=len(results), min_unique_trials=min_unique_trials)
    out.attrs.update(provenance("neuromop.values.pool_value_encodings", **params))
    out.attrs.update(verdict=verdict, separable=int(separable), alpha=alpha,
                     p_intersection=p_gate, n_sessions=len(results),
                     n_neurons=int(out["session_n_neurons"].sum()),
                     n_trials=int(n_trials.sum()))
    return out
