"""Study: which choice model explains the IBL mice's behaviour best?

Fits four models to the IBL trials table (``shared_datasets_dir()/ibl_behavior``) with
leave-one-session-out cross-validated log-likelihood, AIC and BIC:

- ``static_softmax``: softmax over the transformed contrast on each side plus a side bias
  (the psychometric curve; no learning);
- ``q_learning``: delta-rule values of the chosen side (learning rate, temperature) plus the
  contrast term and bias;
- ``prior_learning``: a block prior learned from which side was rewarded (learning rate and prior
  weight) plus the contrast term and bias (:class:`PriorLearningChoiceModel`);
- ``dra``: the Dynamic Resource Allocator (memory cost lambda, inverse temperature beta, value
  learning rate) plus the contrast term and bias (:class:`DRAChoiceModel`).

Choices ``0`` (no-go / timeouts) are dropped; option 1 = a right-side response (IBL choice -1).
Contrast enters every model through the same transform ``f(c) = c ** contrast_power``.
Writes ``ibl_choice_models.md`` and ``ibl_choice_models.csv`` to ``--out`` and prints the table.
If the data are absent it prints a message and exits with status 0.

Run: ``python analysis/ibl_choice_models.py --budget default --out results/ibl_choice_models``.
"""

from __future__ import annotations

import argparse
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from neuromop._io import atomic_path
from neuromop.values.choice_models import (
    QLearningChoiceModel,
    SoftmaxChoiceModel,
    compare_models,
)
from neuromop.values.dra_choice_model import DRAChoiceModel
from neuromop.values.prior_choice_model import PriorLearningChoiceModel

BUDGETS = {
    # smoke: 2 sessions truncated to 80 trials, one optimiser start
    "smoke": {"max_sessions": 2, "max_trials": 80, "n_restarts": 1, "n_nodes": 4},
    "default": {"max_sessions": None, "max_trials": None, "n_restarts": 2, "n_nodes": 8},
    "paper": {"max_sessions": None, "max_trials": None, "n_restarts": 5, "n_nodes": 10},
}


@dataclass
class Args:
    budget: str = "default"
    out: Path = Path("results/ibl_choice_models")
    data: Path | None = None  # default: shared_datasets_dir()/ibl_behavior/<file>
    seed: int = 0
    contrast_power: float = 0.5


def load_design(path: Path, contrast_power: float, max_sessions, max_trials):
    """Choices, rewards, contrast features and session labels from the IBL table."""
    from neuromop.data import load_ibl_trials

    tr = load_ibl_trials(path)
    frame = pd.DataFrame({
        "session": tr["session"].values, "choice": tr["choice"].values,
        "feedback": tr["feedbackType"].values,
        "cl": np.nan_to_num(tr["contrastLeft"].values),
        "cr": np.nan_to_num(tr["contrastRight"].values),
        "right_rewarded": np.isfinite(tr["contrastRight"].values).astype(float),
    })
    frame = frame[frame["choice"] != 0]
    sessions = pd.unique(frame["session"])[:max_sessions]
    frame = frame[frame["session"].isin(sessions)]
    if max_trials is not None:
        frame = frame.groupby("session", sort=False).head(max_trials)
    f_l, f_r = frame["cl"].to_numpy() ** contrast_power, frame["cr"].to_numpy() ** contrast_power
    return {
        "y": (frame["choice"].to_numpy() == -1).astype(np.int64),  # 1 = right response
        "reward": (frame["feedback"].to_numpy() == 1).astype(float),
        "cov": np.column_stack([f_l, f_r]),
        "right_rewarded": frame["right_rewarded"].to_numpy(),
        "groups": frame["session"].to_numpy(),
    }


def build_models(d: dict, b: dict, rng: np.random.Generator) -> dict:
    seeds = rng.integers(0, 2**31, size=4)
    n_restarts = b["n_restarts"]
    X_q = np.column_stack([d["reward"], d["cov"]])
    X_prior = np.column_stack([d["right_rewarded"], d["cov"][:, 1] - d["cov"][:, 0]])
    return {
        "static_softmax": (SoftmaxChoiceModel(bias=True, n_restarts=n_restarts,
                                              random_state=int(seeds[0])), d["cov"]),
        "q_learning": (QLearningChoiceModel(covariate=True, bias=True, n_restarts=n_restarts,
                                            random_state=int(seeds[1])), X_q),
        "prior_learning": (PriorLearningChoiceModel(n_restarts=n_restarts,
                                                    random_state=int(seeds[2])), X_prior),
        "dra": (DRAChoiceModel(covariate=True, bias=True, learning_rate=None,
                               n_nodes=b["n_nodes"], n_restarts=n_restarts,
                               random_state=int(seeds[3])), X_q),
    }


def to_markdown(table: pd.DataFrame) -> str:
    cols = [c for c in table.columns if not c.startswith("param_")] + \
        [c for c in table.columns if c.startswith("param_")]
    lines = ["| model | " + " | ".join(cols) + " |", "|---" * (len(cols) + 1) + "|"]
    for name, row in table[cols].iterrows():
        cells = [f"{v:.4g}" if isinstance(v, float) else str(v) for v in row]
        lines.append(f"| {name} | " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--budget", choices=sorted(BUDGETS), default=Args.budget)
    parser.add_argument("--out", type=Path, default=Args.out)
    parser.add_argument("--data", type=Path, default=Args.data)
    parser.add_argument("--seed", type=int, default=Args.seed)
    parser.add_argument("--contrast-power", type=float, default=Args.contrast_power)
    args = Args(**{k.replace("-", "_"): v for k, v in vars(parser.parse_args(argv)).items()})
    # --- the one seeding block: every random draw below comes from this generator ---
    rng = np.random.default_rng(args.seed)
    b = BUDGETS[args.budget]
    path = args.data
    if path is None:
        from neuromop.data.paths import shared_datasets_dir
        try:
            path = shared_datasets_dir("ibl_behavior") / "ibl_trials_11_sessions.csv"
        except FileNotFoundError as err:
            print(f"IBL behaviour data not found ({err}); nothing to do")
            return 0
    if not Path(path).exists():
        print(f"IBL behaviour data not found at {path}; nothing to do")
        return 0
    t0 = time.time()
    d = load_design(Path(path), args.contrast_power, b["max_sessions"], b["max_trials"])
    models = build_models(d, b, rng)
    table = compare_models(models, d["y"], groups=d["groups"], cv="groups")
    table["cv_loglik_per_trial"] = table["cv_loglik"] / table["n_trials"]
    table.attrs["seconds"] = time.time() - t0
    args.out.mkdir(parents=True, exist_ok=True)
    md = (f"# IBL choice models ({len(pd.unique(d['groups']))} sessions, {d['y'].size} trials, "
          f"budget {args.budget}, leave-one-session-out CV)\n\n" + to_markdown(table))
    with atomic_path(args.out / "ibl_choice_models.md") as tmp:
        Path(tmp).write_text(md)
    with atomic_path(args.out / "ibl_choice_models.csv") as tmp:
        table.to_csv(tmp)
    print(md)
    print(f"took {time.time() - t0:.1f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
