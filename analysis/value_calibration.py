"""Study: how much data does a soft-versus-true verdict need, and can it be trusted?

Confusion matrices of ``compare_value_encodings`` on two independently written ground-truth
simulators (two-offer choices; a Q-learner on a restless bandit with over-dispersed counts and
drifting gains) over trials x neurons: power, the population false-positive rate and the
per-neuron error rates, with Wilson intervals. ``neuromop run value-calibration`` runs the same
study (:class:`neuromop.studies.ValueCalibrationStudy`).

    python analysis/value_calibration.py --budget smoke --out results/value_calibration
"""

from __future__ import annotations

from dataclasses import dataclass, field

from neuromop.studies import ValueCalibrationStudy
from neuromop.studies.protocol import ScriptArgs, run_script


@dataclass
class Args(ScriptArgs):
    """Arguments of ``python analysis/value_calibration.py``."""

    out: str = field(default="results/value_calibration", metadata={"help": "output folder"})
    simulators: tuple[str, ...] | None = field(default=None, metadata={
        "help": "two_offer and/or bandit (default: both)"})
    n_sessions: int | None = field(default=None, metadata={
        "help": "simulated sessions per encoding and cell (default: the budget's)"})


def main(argv=None) -> int:
    # the one seeding block: every cell's sessions and nulls are spawned from the study's root
    # seed (--seed, default the study's)
    return run_script(ValueCalibrationStudy, Args, argv, __doc__)


if __name__ == "__main__":
    raise SystemExit(main())
