"""Which choice model explains the IBL mice's behaviour best?

Fits ten models to the IBL trials table (``ibl_behavior`` in the shared datasets folder, or
``data``) with leave-one-session-out cross-validated log-likelihood, AIC and BIC:

- ``static_softmax``: softmax over the transformed contrast on each side plus a side bias
  (the psychometric curve; no learning);
- ``q_learning``: delta-rule values of the chosen side (learning rate, temperature) plus the
  contrast term and bias;
- ``q_learning_forgetting``, ``q_learning_free_forgetting``: the same with the unchosen side's
  value relaxing toward its initial value, at the learning rate or at its own fitted rate
  (F-Q learning; :class:`~neuromop.values.QLearningChoiceModel` ``forgetting="equal"`` /
  ``"free"``; with two sides and rewards 0/1 the first is ``prior_learning`` in another
  parametrisation, and scores the same);
- ``prior_learning``: a block prior learned from which side was rewarded (learning rate and
  prior weight) plus the contrast term and bias
  (:class:`~neuromop.values.PriorLearningChoiceModel`);
- ``dra``: the Dynamic Resource Allocator (memory cost lambda, inverse temperature beta, value
  learning rate) plus the contrast term and bias (:class:`~neuromop.values.DRAChoiceModel`);
- ``psychometric``, ``psychometric_stimulus_prior``, ``psychometric_action_kernel``,
  ``psychometric_both``: :class:`~neuromop.values.PsychometricChoiceModel` -- lapse rates, a
  fitted contrast exponent, and no history, a block prior learned from the rewarded side, an
  action kernel over the mouse's own past choices, or both.

Choices ``0`` (no-go / timeouts) are dropped; option 1 = a right-side response (IBL choice -1).
Contrast enters the first six models through the same transform ``f(c) = c ** contrast_power``;
the psychometric models fit the exponent.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar

import numpy as np
import pandas as pd

from neuromop._io import atomic_path
from neuromop._random import seed_int, spawn
from neuromop.data import load_ibl_trials, shared_datasets_dir
from neuromop.studies.protocol import Study, StudyResult
from neuromop.values import (
    DRAChoiceModel,
    PriorLearningChoiceModel,
    PsychometricChoiceModel,
    QLearningChoiceModel,
    SoftmaxChoiceModel,
    compare_models,
)

__all__ = ["IBLChoiceModelsStudy", "build_models", "load_design", "to_markdown"]

_TRIALS_FILE = "ibl_trials_11_sessions.csv"
#: The psychometric models: name -> history term (``PsychometricChoiceModel(prior=...)``).
_HISTORY = {"psychometric": "none", "psychometric_stimulus_prior": "stimulus",
            "psychometric_action_kernel": "action", "psychometric_both": "both"}


def load_design(path, contrast_power: float, max_sessions=None, max_trials=None) -> dict:
    """Choices, rewards, contrast features and session labels from the IBL trials table."""

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
        "contrast": frame[["cl", "cr"]].to_numpy(),
        "groups": frame["session"].to_numpy(),
    }


def build_models(design: dict, n_restarts: int, n_nodes: int, random_state=0) -> dict:
    """The models with their design matrices (one spawned seed per model)."""
    seeds = [seed_int(s) for s in spawn(random_state, 4 + len(_HISTORY) + 2)]
    X_q = np.column_stack([design["reward"], design["cov"]])
    X_prior = np.column_stack([design["right_rewarded"],
                               design["cov"][:, 1] - design["cov"][:, 0]])
    X_psy = np.column_stack([design["contrast"], design["right_rewarded"]])
    psychometric = {name: (PsychometricChoiceModel(prior=prior, n_restarts=n_restarts,
                                                   random_state=seed), X_psy)
                    for (name, prior), seed in zip(_HISTORY.items(), seeds[4:-2])}
    return {
        "static_softmax": (SoftmaxChoiceModel(bias=True, n_restarts=n_restarts,
                                              random_state=seeds[0]), design["cov"]),
        "q_learning": (QLearningChoiceModel(covariate=True, bias=True, n_restarts=n_restarts,
                                            random_state=seeds[1]), X_q),
        "q_learning_forgetting": (QLearningChoiceModel(
            covariate=True, bias=True, forgetting="equal", n_restarts=n_restarts,
            random_state=seeds[-2]), X_q),
        "q_learning_free_forgetting": (QLearningChoiceModel(
            covariate=True, bias=True, forgetting="free", n_restarts=n_restarts,
            random_state=seeds[-1]), X_q),
        "prior_learning": (PriorLearningChoiceModel(n_restarts=n_restarts,
                                                    random_state=seeds[2]), X_prior),
        "dra": (DRAChoiceModel(covariate=True, bias=True, learning_rate=None, n_nodes=n_nodes,
                               n_restarts=n_restarts, random_state=seeds[3]), X_q),
    } | psychometric


def to_markdown(table: pd.DataFrame) -> str:
    """The comparison table as markdown (parameter columns last)."""
    cols = [c for c in table.columns if not c.startswith("param_")] + \
        [c for c in table.columns if c.startswith("param_")]
    lines = ["| model | " + " | ".join(cols) + " |", "|---" * (len(cols) + 1) + "|"]
    for name, row in table[cols].iterrows():
        cells = [f"{v:.4g}" if isinstance(v, float) else str(v) for v in row]
        lines.append(f"| {name} | " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


@dataclass
class IBLChoiceModelsStudy(Study):
    """Leave-one-session-out comparison of ten choice models on the IBL mice."""

    data: str | None = None            # trials table (None: the shared datasets' IBL table)
    contrast_power: float = 0.5
    max_sessions: int | None = None
    max_trials: int | None = None      # per session
    n_restarts: int = 2
    n_nodes: int = 8                   # Gauss-Hermite nodes of the DRA likelihood

    name: ClassVar[str] = "ibl-choice-models"
    USES_TORCH: ClassVar[bool] = False
    BUDGETS: ClassVar[dict[str, dict]] = {
        # 2 sessions truncated to 80 trials, one optimiser start
        "smoke": dict(max_sessions=2, max_trials=80, n_restarts=1, n_nodes=4),
        "default": {},
        "paper": dict(n_restarts=5, n_nodes=10),
    }

    def input_paths(self) -> list[Path]:
        """The trials table (hashed into the run's record)."""
        return [self.path()]

    def path(self) -> Path:
        """The trials table to read (``FileNotFoundError`` naming it when absent)."""

        path = (shared_datasets_dir("ibl_behavior") / _TRIALS_FILE if self.data is None
                else Path(self.data))
        if not path.exists():
            raise FileNotFoundError(f"IBL trials table not found: {path} (set data= or "
                                    "NEUROMOP_DATA)")
        return path

    def run(self, out_dir, *, resume: bool = True, progress: bool = True) -> StudyResult:
        """Fit and compare the models; ``ibl_choice_models.md`` / ``choice_models.csv``."""

        started = time.perf_counter()
        path = self.path()
        out = self.prepare(out_dir, resume=resume)
        design = load_design(path, self.contrast_power, self.max_sessions, self.max_trials)
        models = build_models(design, self.n_restarts, self.n_nodes, self.seed)
        table = compare_models(models, design["y"], groups=design["groups"], cv="groups",
                               progress=progress)
        table["cv_loglik_per_trial"] = table["cv_loglik"] / table["n_trials"]
        md = (f"# IBL choice models ({len(pd.unique(design['groups']))} sessions, "
              f"{design['y'].size} trials, budget {self.budget}, leave-one-session-out CV)\n\n"
              + to_markdown(table))
        with atomic_path(out / "ibl_choice_models.md") as tmp:
            tmp.write_text(md)
        return self.finish(out, table=md, started=started,
                           summary={"models": table.reset_index().to_dict(orient="records")},
                           frames={"choice_models": table},
                           files={"markdown": out / "ibl_choice_models.md"})
