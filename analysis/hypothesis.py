"""The variability hypothesis on a recording: fitted network, free / random / MOP / R under the
recorded trial inputs, the same analyses side by side, a verdict.

``neuromop run hypothesis`` runs the same study (:class:`neuromop.studies.HypothesisStudy`).

    python analysis/hypothesis.py --budget smoke --out results/hypothesis
    python analysis/hypothesis.py --data my_counts.nc --inputs stim --condition stimulus
"""

from __future__ import annotations

from dataclasses import dataclass, field

from neuromop.studies import HypothesisStudy
from neuromop.studies.protocol import ScriptArgs, run_script


@dataclass
class Args(ScriptArgs):
    """Arguments of ``python analysis/hypothesis.py``."""

    out: str = field(default="results/hypothesis", metadata={"help": "output folder"})
    data: str | None = field(default=None, metadata={
        "help": "padoa_ofc (default), pynapple_hd, or a dataset file with counts"})
    session: str | None = field(default=None, metadata={
        "help": "comma-separated padoa_ofc sessions (default: the budget's; all at default)"})
    data_root: str | None = field(default=None, metadata={"help": "folder of the named data"})
    inputs: str | None = field(default=None, metadata={
        "help": "data file: comma-separated (trial, time) input variables"})
    condition: str | None = field(default=None, metadata={
        "help": "data file: trial coordinate naming conditions"})


def main(argv=None) -> int:
    # the one seeding block: every random stream of the study is spawned from its root seed
    # (--seed, default the study's)
    return run_script(HypothesisStudy, Args, argv, __doc__)


if __name__ == "__main__":
    raise SystemExit(main())
