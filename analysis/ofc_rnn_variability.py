"""OFC study: fit rate RNNs to recorded OFC populations, then compare free / MOP / R rollouts.

Needs the Padoa-Schioppa sessions (``padoa_ofc`` in ``../shared/datasets`` or ``$NEUROMOP_DATA``).
``neuromop run ofc-rnn`` runs the same study (:class:`neuromop.studies.OFCRNNStudy`).

    python analysis/ofc_rnn_variability.py --budget smoke --out results/ofc_rnn
"""

from __future__ import annotations

from dataclasses import dataclass, field

from neuromop.studies import OFCRNNStudy
from neuromop.studies.protocol import ScriptArgs, run_script


@dataclass
class Args(ScriptArgs):
    """Arguments of ``python analysis/ofc_rnn_variability.py``."""

    out: str = field(default="results/ofc_rnn", metadata={"help": "output folder"})
    sessions: tuple[str, ...] | None = field(default=None, metadata={
        "help": "session names (default: the budget's; all at the default budget)"})
    data_root: str | None = field(default=None, metadata={"help": "padoa_ofc folder"})


def main(argv=None) -> int:
    # the one seeding block: every random stream of the study is spawned from its root seed
    # (--seed, default the study's)
    return run_script(OFCRNNStudy, Args, argv, __doc__)


if __name__ == "__main__":
    raise SystemExit(main())
