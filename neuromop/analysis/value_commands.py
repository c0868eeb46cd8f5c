"""``neuromop analyze values``: soft versus true value encoding of a dataset, with a report.

Two-offer datasets (trial coordinates ``offer_a``/``offer_A``, ``offer_b``/``offer_B`` and
``chosen_juice`` ("A"/"B") or ``chosen`` (0/1)) get their choice models fitted first
(:class:`~neuromop.analysis.choice_models.RelativeValueLogit`, log and linear forms); the linear
fit gives ``rho`` and the temperature that define the soft and true values, and pseudo-sessions
re-simulated from it provide the second null. Otherwise the dataset (or ``--behaviour``) must
hold the two signals (``--soft``/``--true`` variable names).
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np

__all__ = ["register", "value_report"]

_OFFER_NAMES = (("offer_a", "offer_b"), ("offer_A", "offer_B"))


def register(group) -> None:
    """Add ``analyze values`` to the ``analyze`` group."""
    p = group("analyze").add_parser(
        "values",
        help="do neurons encode soft (entropy-regularised) or true value? (report + figures)",
        description=(
            "Fit choice models, build per-trial soft and true values, and compare Poisson GLM "
            "encodings (+ population decoding) with blocked cross-validation, collinearity "
            "diagnostics and drift-respecting nulls. Writes tables (CSV, markdown), the result "
            "(netCDF) and figures."),
    )
    p.add_argument("dataset", type=Path, nargs="?", default=None,
                   help="dataset file (.nc / .zarr) with dims (trial, time, neuron)")
    p.add_argument("--padoa-session", default=None,
                   help="analyse a Padoa-Schioppa OFC session (e.g. G180910a) from the shared data")
    p.add_argument("--data-root", type=Path, default=None,
                   help="folder of padoa_ofc (default: the shared datasets folder)")
    p.add_argument("--behaviour", type=Path, default=None,
                   help="netCDF with trial variables (signals / offers), same trial coordinate")
    p.add_argument("--soft", default="value_soft", help="soft-value variable name")
    p.add_argument("--true", default="value_true", help="true-value variable name")
    p.add_argument("--base", nargs="*", default=None, help="base covariates (trial variables)")
    p.add_argument("--window", type=float, nargs=2, default=(0.1, 0.6), metavar=("T0", "T1"),
                   help="counting window after alignment, s (default 0.1 0.6)")
    p.add_argument("--n-null", type=int, default=99, help="null samples per test (default 99)")
    p.add_argument("--alpha", type=float, default=0.01, help="significance level (default 0.01)")
    p.add_argument("--seed", type=int, default=0, help="random seed")
    p.add_argument("--out", type=Path, required=True, help="output folder")
    p.set_defaults(func=_run)


def _open(path: Path):
    from neuromop.data import load

    if not path.exists():
        raise FileNotFoundError(f"dataset file not found: {path}")
    return load(path)


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


def value_report(ds, *, behaviour=None, soft="value_soft", true="value_true", base=None,
                 window=(0.1, 0.6), n_null=99, alpha=0.01, seed=0) -> dict:
    """Run the whole analysis of the ``values`` command on a dataset.

    Parameters
    ----------
    ds : xarray.Dataset
        Activity (trial, time, neuron).
    behaviour : xarray.Dataset, optional
        Trial variables (same ``trial`` coordinate); default: those of ``ds``.
    soft, true : str
        Signal variable names: for two-offer tasks, variables of
        :func:`~neuromop.analysis.values.two_offer_values` (e.g. ``true="value_chosen"`` or
        ``"value_max"``); otherwise trial variables of the dataset/behaviour.
    base : list of str, optional
        Base covariates; default ``chosen`` juice for two-offer tasks, none otherwise.
    window : (float, float)
        Counting window (s).
    n_null, alpha, seed
        Passed to :func:`~neuromop.analysis.encoding.compare_value_encodings`.

    Returns
    -------
    dict
        ``result`` (xarray.Dataset), ``choice_table`` (pandas.DataFrame or None), ``signals``
        (soft, true arrays), ``behaviour`` (figure inputs or None), ``notes`` (list of str).
    """
    from neuromop.analysis.choice_models import RelativeValueLogit, compare_models
    from neuromop.analysis.encoding import compare_value_encodings
    from neuromop.analysis.value_simulation import two_offer_pseudo_sampler
    from neuromop.analysis.values import two_offer_values

    src = behaviour if behaviour is not None else ds
    if behaviour is not None and not np.array_equal(behaviour["trial"].values,
                                                    ds["trial"].values):
        raise ValueError("behaviour and dataset have different trial coordinates; select the "
                         "same trials in both")
    notes = []
    offers = _two_offer_columns(src)
    choice_table = fig_behaviour = None
    if offers is not None:
        qa, qb, y = offers
        X = np.column_stack([qa, qb])
        models = {"log": RelativeValueLogit(form="log", random_state=seed),
                  "linear": RelativeValueLogit(form="linear", random_state=seed)}
        choice_table = compare_models(models, y, X=X, cv=5)
        lin = RelativeValueLogit(form="linear", random_state=seed).fit(X, y)
        log_model = RelativeValueLogit(form="log", random_state=seed).fit(X, y)
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
        null = ("shift", "pseudo")
        fig_behaviour = (qa, qb, y, log_model)
        notes.append(f"two-offer task: linear logit rho = {rho:.3f}, temperature = {tau:.3f} "
                     f"juice-B units (log logit rho = {log_model.params_['rho']:.3f}); signals "
                     f"soft = {soft}, true = {true} (value_soft = tau ln sum exp(v / tau), "
                     "value_true = E_pi[v]); base = chosen juice")
    else:
        signals = {"soft": soft, "true": true}
        base_arrays = [] if base is None else list(base)
        sampler, null = None, ("shift",)
    result = compare_value_encodings(ds, signals, base=base_arrays, behaviour=behaviour,
                                     window=window, n_null=n_null, null=null,
                                     pseudo_sampler=sampler, alpha=alpha, random_state=seed)
    sig_arrays = tuple(np.asarray(src[v].values if isinstance(v, str) else v, float)
                       for v in (signals["soft"], signals["true"]))
    return {"result": result, "choice_table": choice_table, "signals": sig_arrays,
            "behaviour": fig_behaviour, "notes": notes}


def _markdown_table(df) -> str:
    cols = [str(c) for c in df.columns]
    lines = ["| " + " | ".join([df.index.name or ""] + cols) + " |",
             "|" + "---|" * (len(cols) + 1)]
    for idx, row in df.iterrows():
        cells = [f"{v:.4g}" if isinstance(v, float | np.floating) else str(v) for v in row]
        lines.append("| " + " | ".join([str(idx)] + cells) + " |")
    return "\n".join(lines)


def write_report(report: dict, out: Path, title: str) -> list[Path]:
    """Write tables (CSV + markdown), the result netCDF and figures into ``out``."""
    from neuromop._io import atomic_path, write_netcdf_atomic
    from neuromop.plots.values import value_report_figures

    res = report["result"]
    out.mkdir(parents=True, exist_ok=True)
    neurons = res[["delta_d2", "p_unique", "partial_corr"]].to_dataframe().unstack("signal")
    neurons.columns = [f"{a}_{b}" for a, b in neurons.columns]
    neurons["p_any"] = res["p_any"].values
    neurons["class"] = res["neuron_class"].values
    pop = res[["pop_loglik_gain", "pop_p_value"]].to_dataframe()
    paths = []
    for name, df in (("neurons", neurons), ("population", pop)):
        with atomic_path(out / f"values_{name}.csv") as tmp:
            df.to_csv(tmp)
        paths.append(out / f"values_{name}.csv")
    write_netcdf_atomic(res, out / "values_result.nc")
    paths.append(out / "values_result.nc")
    md = [f"# Soft versus true value: {title}", "",
          f"**Verdict: {res.attrs['verdict']}** (alpha = {res.attrs['alpha']}, "
          f"{res.attrs['n_neurons']} neurons, {res.attrs['n_trials']} trials)", "",
          f"- signal correlation r = {float(res['signal_corr']):.4f}, partial r = "
          f"{float(res['signal_partial_corr']):.4f}, VIF = "
          f"{', '.join(f'{v:.3g}' for v in res['vif'].values)} (limit {res.attrs['vif_max']}), "
          f"condition number = {res.attrs['condition_number']:.3g}; separable: "
          f"{bool(res.attrs['separable'])}",
          *[f"- {n}" for n in report["notes"]], "", "## Population tests", "",
          _markdown_table(pop), "", "## Decoding (blocked-CV R²)", "",
          _markdown_table(res["decoding_r2"].to_dataframe()), ""]
    if report["choice_table"] is not None:
        with atomic_path(out / "values_choice_models.csv") as tmp:
            report["choice_table"].to_csv(tmp)
        paths.append(out / "values_choice_models.csv")
        md += ["## Choice models", "", _markdown_table(report["choice_table"]), ""]
    md += ["## Neurons", "", _markdown_table(neurons), ""]
    with atomic_path(out / "values_report.md") as tmp:
        tmp.write_text("\n".join(md))
    paths.append(out / "values_report.md")
    soft, true = report["signals"]
    paths += value_report_figures(res, out, soft=soft, true=true, behaviour=report["behaviour"])
    return paths


def _run(args: argparse.Namespace) -> int:
    if (args.dataset is None) == (args.padoa_session is None):
        raise ValueError("give exactly one of DATASET or --padoa-session")
    if args.padoa_session is not None:
        from neuromop.data.loaders.padoa import load_padoa_session

        t0, t1 = args.window
        ds = load_padoa_session(args.data_root, args.padoa_session, window=(t0, t1),
                                bin_width=round(t1 - t0, 9), task="JC")
        title = f"Padoa-Schioppa OFC session {args.padoa_session}"
    else:
        ds = _open(args.dataset)
        title = args.dataset.name
    behaviour = _open(args.behaviour) if args.behaviour is not None else None
    report = value_report(ds, behaviour=behaviour, soft=args.soft, true=args.true, base=args.base,
                          window=tuple(args.window), n_null=args.n_null, alpha=args.alpha,
                          seed=args.seed)
    paths = write_report(report, args.out, title)
    res = report["result"]
    print(f"verdict: {res.attrs['verdict']}  (r(soft, true) = {float(res['signal_corr']):.4f}, "
          f"p_any = {float(res['pop_p_value'].sel(test='any')):.3g}, p_soft = "
          f"{float(res['pop_p_value'].sel(test='soft')):.3g}, p_true = "
          f"{float(res['pop_p_value'].sel(test='true')):.3g})")
    print(f"wrote {len(paths)} files to {args.out}")
    return 0
