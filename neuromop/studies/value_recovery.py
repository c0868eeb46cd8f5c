"""Can we recover choice-model parameters and tell soft- from true-value populations?

Measures, on data simulated with known ground truth:

1. parameter recovery -- correlation between true and fitted softmax temperatures, Q-learning
   learning rates and temperatures, over simulated agents at realistic trial counts;
2. model comparison -- how often BIC picks the generating relative-value logit form (log vs
   linear) with a one-session offer set and with a graded offer grid;
3. ground truth -- verdicts of :func:`~neuromop.values.compare_value_encodings` on simulated
   populations that encode soft value, true value, a mixture or neither, with separable and
   collinear offer designs, over many seeds.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass
from typing import ClassVar

import numpy as np

from neuromop._checks import check_choice
from neuromop._random import as_generator, spawn
from neuromop.studies.protocol import Study, StudyResult
from neuromop.values import (
    OFC_PAIRS,
    QLearningChoiceModel,
    RelativeValueLogit,
    SoftmaxChoiceModel,
    compare_models,
    compare_value_encodings,
    simulate_value_population,
)

__all__ = ["PARTS", "ValueRecoveryStudy", "ground_truth", "model_comparison",
           "parameter_recovery"]

#: The parts of the study, in the order they run.
PARTS = ("parameters", "comparison", "ground_truth")


def _reversal(p_high=0.8, block=50):
    def rewards(t, a, rng):
        p = (p_high, 1 - p_high) if (t // block) % 2 == 0 else (1 - p_high, p_high)
        return float(rng.random() < p[a])
    return rewards


def parameter_recovery(n_agents: int, n_trials: int, random_state=None, *,
                       progress: bool = False) -> dict:
    """Fitted vs true softmax temperature and Q-learning (alpha, temperature), as correlations."""
    from tqdm.auto import tqdm

    rng = as_generator(random_state)
    soft_true, soft_fit, q_true, q_fit = [], [], [], []
    for _ in tqdm(range(n_agents), desc="parameter recovery", disable=not progress):
        tau = rng.uniform(0.2, 2.0)
        V = rng.uniform(0, 5, size=(n_trials, 3))
        z = V / tau
        p = np.exp(z - z.max(1, keepdims=True))
        p /= p.sum(1, keepdims=True)
        y = (rng.random(n_trials)[:, None] > np.cumsum(p, 1)).sum(1)
        soft_true.append(tau)
        soft_fit.append(SoftmaxChoiceModel(n_restarts=3, random_state=rng).fit(V, y)
                        .params_["temperature"])
        a, t = rng.uniform(0.05, 0.8), rng.uniform(0.05, 0.4)
        X, y = QLearningChoiceModel().simulate(_reversal(), 500, random_state=rng,
                                               params={"alpha": a, "temperature": t})
        f = QLearningChoiceModel(n_restarts=3, random_state=rng).fit(X, y)
        q_true.append([a, t])
        q_fit.append([f.params_["alpha"], f.params_["temperature"]])
    q_true, q_fit = np.array(q_true), np.array(q_fit)
    return {
        "softmax_temperature_r": float(np.corrcoef(soft_true, soft_fit)[0, 1]),
        "qlearning_alpha_r": float(np.corrcoef(q_true[:, 0], q_fit[:, 0])[0, 1]),
        "qlearning_temperature_r": float(np.corrcoef(q_true[:, 1], q_fit[:, 1])[0, 1]),
        "n_agents": n_agents, "softmax_trials": n_trials, "qlearning_trials": 500,
    }


def model_comparison(n_sets: int, n_trials: int, random_state=None) -> dict:
    """Fraction of simulated sets where BIC picks the generating logit form, per offer design."""
    rng = as_generator(random_state)
    qa, qb = np.meshgrid(np.arange(1, 7), np.arange(1, 13), indexing="ij")
    grid = np.column_stack([qa.ravel(), qb.ravel()]).astype(float)
    grid = grid[np.abs(np.log(grid[:, 1] / grid[:, 0]) - math.log(2)) < 1.0]
    out = {}
    for design, pairs in (("ofc_pairs", OFC_PAIRS), ("graded_grid", grid)):
        for form in ("log", "linear"):
            picks = 0
            for _ in range(n_sets):
                X = pairs[rng.integers(0, len(pairs), n_trials)]
                eta = 6.0 if form == "log" else 1.5
                with np.errstate(divide="ignore"):
                    x = (eta * (np.log(X[:, 1] / X[:, 0]) - math.log(2.0)) if form == "log"
                         else eta * (X[:, 1] - 2.0 * X[:, 0]))
                y = (rng.random(n_trials) < 1 / (1 + np.exp(-x))).astype(int)
                table = compare_models(
                    {f: RelativeValueLogit(form=f, n_restarts=2, random_state=0)
                     for f in ("log", "linear")}, y, X=X, cv=None)
                picks += bool(table.loc[form, "best_bic"])
            out[f"{design}/{form}"] = picks / n_sets
    out["n_sets"] = n_sets
    return out


def ground_truth(seeds: dict, others: int, n_neurons: int, n_trials: int, n_null: int,
                 alpha: float, random_state=None, *, cases=None, progress: bool = False) -> dict:
    """Verdicts of ``compare_value_encodings`` on populations with known encodings.

    ``seeds`` gives the number of simulated sessions per offer design (``separable``,
    ``collinear``) for the soft and true encodings; ``others`` the number for the mixed and the
    no-coding populations (separable design). ``cases`` (e.g. ``["soft/separable"]``) selects.
    """
    from tqdm.auto import tqdm

    rng = as_generator(random_state)
    todo = [(enc, design, seeds[design]) for design in ("separable", "collinear")
            for enc in ("soft", "true")]
    todo += [("mixed", "separable", others), ("none", "separable", others)]
    if cases is not None:
        todo = [c for c in todo if f"{c[0]}/{c[1]}" in cases]
    results = {}
    for enc, design, n_seeds in todo:
        verdicts = []
        for _ in tqdm(range(n_seeds), desc=f"{enc}/{design}", disable=not progress):
            ds = simulate_value_population(encoding=enc, design=design, n_neurons=n_neurons,
                                           n_trials=n_trials, random_state=rng)
            res = compare_value_encodings(ds, base=["chosen"], n_null=n_null, alpha=alpha,
                                          random_state=rng)
            verdicts.append(res.attrs["verdict"])
        expected = {"soft": "soft", "true": "true", "mixed": "mixed", "none": "neither"}[enc]
        if design == "collinear":
            expected = "not identifiable"
        counts = {v: verdicts.count(v) for v in sorted(set(verdicts))}
        results[f"{enc}/{design}"] = {"expected": expected, "n_seeds": n_seeds,
                                      "correct_rate": verdicts.count(expected) / n_seeds,
                                      "verdicts": counts}
    return results


@dataclass
class ValueRecoveryStudy(Study):
    """Parameter recovery, model comparison and ground-truth verdicts on simulated data."""

    n_trials: int = 300
    n_agents: int = 30
    n_compare: int = 40
    separable_seeds: int = 20
    collinear_seeds: int = 10
    others: int = 5
    n_neurons: int = 100
    n_null: int = 99
    alpha: float = 0.01
    parts: tuple[str, ...] = PARTS
    cases: tuple[str, ...] | None = None  # ground-truth cases, e.g. ("soft/separable",)

    name: ClassVar[str] = "value-recovery"
    USES_TORCH: ClassVar[bool] = False
    STREAMS: ClassVar[tuple[str, ...]] = PARTS
    BUDGETS: ClassVar[dict[str, dict]] = {
        "smoke": dict(n_agents=6, n_compare=6, separable_seeds=2, collinear_seeds=1,
                      n_neurons=40, n_null=19, alpha=0.05, others=1),
        "default": {},
        "paper": dict(n_agents=100, n_compare=200, separable_seeds=100, collinear_seeds=50,
                      n_null=199, others=20),
    }
    def __post_init__(self) -> None:
        super().__post_init__()
        for part in self.parts:
            check_choice("parts", part, PARTS)

    def run(self, out_dir, *, resume: bool = True, progress: bool = True) -> StudyResult:
        """The selected parts; ``summary.json`` holds every number, ``table.txt`` a digest."""
        started = time.perf_counter()
        out = self.prepare(out_dir, resume=resume)
        streams = dict(zip(PARTS, spawn(self.seed, len(PARTS))))
        summary = {}
        if "parameters" in self.parts:
            summary["parameter_recovery"] = parameter_recovery(
                self.n_agents, self.n_trials, streams["parameters"], progress=progress)
        if "comparison" in self.parts:
            summary["model_comparison"] = model_comparison(self.n_compare, self.n_trials,
                                                           streams["comparison"])
        if "ground_truth" in self.parts:
            summary["ground_truth"] = ground_truth(
                {"separable": self.separable_seeds, "collinear": self.collinear_seeds},
                self.others, self.n_neurons, self.n_trials, self.n_null, self.alpha,
                streams["ground_truth"], cases=self.cases, progress=progress)
        return self.finish(out, table=_digest(summary), summary=summary, started=started)


def _digest(summary: dict) -> str:
    lines = []
    for key, value in summary.get("parameter_recovery", {}).items():
        if key.endswith("_r"):
            lines.append(f"parameter recovery {key}: {value:.3f}")
    for key, value in summary.get("model_comparison", {}).items():
        if key != "n_sets":
            lines.append(f"BIC picks the generating form, {key}: {value:.2f}")
    for case, res in summary.get("ground_truth", {}).items():
        lines.append(f"verdict {case}: {res['correct_rate']:.2f} correct ({res['expected']}) "
                     f"of {res['n_seeds']}: {res['verdicts']}")
    return "\n".join(lines)
