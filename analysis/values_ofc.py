"""Study: soft versus true value encoding in the Padoa-Schioppa OFC sessions.

For every juice-choice session: fit the relative-value logit (log and linear forms, BIC and
blocked-CV log-likelihood), build per-trial soft and true values from the linear fit, and run
``compare_value_encodings`` on spike counts 100–600 ms after offer onset with circular-shift and
pseudo-session nulls. Writes one report folder per session and ``values_ofc.json``.

Run: ``python analysis/values_ofc.py --budget default --out results/values_ofc``.
Data: Shi, Ballesta & Padoa-Schioppa (2022) eLife 11:e75910 (``../shared/datasets/padoa_ofc``).
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from neuromop._io import write_json_atomic
from neuromop.studies.reports import write_value_report
from neuromop.values.report import value_report

BUDGETS = {"smoke": {"n_null": 19, "alpha": 0.05, "sessions": 1},
           "default": {"n_null": 99, "alpha": 0.01, "sessions": None},
           "paper": {"n_null": 999, "alpha": 0.01, "sessions": None}}


@dataclass
class Args:
    budget: str = "default"
    out: Path = Path("results/values_ofc")
    seed: int = 0
    window: tuple[float, float] = (0.1, 0.6)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--budget", choices=sorted(BUDGETS), default=Args.budget)
    parser.add_argument("--out", type=Path, default=Args.out)
    parser.add_argument("--seed", type=int, default=Args.seed)
    args = Args(**vars(parser.parse_args(argv)))
    # --- the one seeding block: every analysis below is seeded from args.seed ---
    seed = int(np.random.SeedSequence(args.seed).generate_state(1)[0])
    b = BUDGETS[args.budget]
    try:
        from neuromop.data import shared_datasets_dir
        from neuromop.data.loaders.padoa import list_padoa_sessions, load_padoa_session

        root = shared_datasets_dir("padoa_ofc")
    except FileNotFoundError as exc:
        print(f"shared datasets not found ({exc}); nothing to do")
        return 0
    sessions = list_padoa_sessions(root)[: b["sessions"]]
    summary = {"args": {k: str(v) for k, v in asdict(args).items()}, "sessions": {}}
    for session in sessions:
        ds = load_padoa_session(root, session, window=args.window,
                                bin_width=round(args.window[1] - args.window[0], 9), task="JC")
        rep = value_report(ds, window=args.window, n_null=b["n_null"], alpha=b["alpha"],
                           random_state=seed)
        write_value_report(rep, args.out / session, f"OFC session {session}")
        r, ct = rep["result"], rep["choice_table"]
        summary["sessions"][session] = {
            "n_trials": int(r.attrs["n_trials"]), "n_neurons": int(r.attrs["n_neurons"]),
            "verdict": r.attrs["verdict"], "signal_corr": float(r["signal_corr"]),
            "vif": r["vif"].values.tolist(),
            "pop_p_value": dict(zip(r["test"].values.tolist(), r["pop_p_value"].values.tolist())),
            "decoding_r2": dict(zip(r["target"].values.tolist(), r["decoding_r2"].values.tolist())),
            "neuron_classes": {c: int((r["neuron_class"].values == c).sum())
                               for c in np.unique(r["neuron_class"].values)},
            "choice_models": ct[["loglik", "bic", "cv_loglik", "param_rho",
                                 "param_steepness"]].to_dict(orient="index"),
        }
    args.out.mkdir(parents=True, exist_ok=True)
    write_json_atomic(args.out / "values_ofc.json", summary)
    print(json.dumps(summary, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
