"""Noisy-TV study: does a MOP agent get stuck watching noise?

Short-sighted MOP agents (gamma = 0.99) spend more time in a room of uncontrollable noise as the
weight beta of state entropy grows; far-sighted ones (gamma = 0.999) avoid it.
``neuromop run noisy-tv`` runs the same study (:class:`neuromop.studies.NoisyTVStudy`).

    python analysis/noisy_tv.py --budget smoke --out results/noisy_tv
"""

from __future__ import annotations

from dataclasses import dataclass, field

from neuromop.studies import NoisyTVStudy
from neuromop.studies.protocol import ScriptArgs, run_script


@dataclass
class Args(ScriptArgs):
    """Arguments of ``python analysis/noisy_tv.py``."""

    out: str = field(default="results/noisy_tv", metadata={"help": "output folder"})


def main(argv=None) -> int:
    # the one seeding block: every random stream of the study is spawned from its root seed
    # (--seed, default the study's)
    return run_script(NoisyTVStudy, Args, argv, __doc__)


if __name__ == "__main__":
    raise SystemExit(main())
