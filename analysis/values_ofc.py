"""Study: soft versus true value encoding in the Padoa-Schioppa OFC sessions.

Needs the Padoa-Schioppa sessions (``padoa_ofc`` in ``../shared/datasets`` or ``$NEUROMOP_DATA``).
``neuromop run values-ofc`` runs the same study (:class:`neuromop.studies.ValuesOFCStudy`).

    python analysis/values_ofc.py --budget smoke --out results/values_ofc
"""

from __future__ import annotations

from dataclasses import dataclass, field

from neuromop.studies import ValuesOFCStudy
from neuromop.studies.protocol import ScriptArgs, run_script


@dataclass
class Args(ScriptArgs):
    """Arguments of ``python analysis/values_ofc.py``."""

    out: str = field(default="results/values_ofc", metadata={"help": "output folder"})
    data_root: str | None = field(default=None, metadata={"help": "padoa_ofc folder"})


def main(argv=None) -> int:
    # the one seeding block: every random stream of the study is spawned from its root seed
    # (--seed, default the study's)
    return run_script(ValuesOFCStudy, Args, argv, __doc__)


if __name__ == "__main__":
    raise SystemExit(main())
