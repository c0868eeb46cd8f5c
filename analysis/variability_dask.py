"""Variability metrics on a dataset larger than memory, with a dask.distributed LocalCluster.

The counts are generated chunk by chunk and never held in memory at once; the neuromop metrics
run unchanged on the dask-backed dataset.
``neuromop run variability-dask`` runs the same study
(:class:`neuromop.studies.VariabilityDaskStudy`).

    python analysis/variability_dask.py --budget smoke --out results/variability_dask
"""

from __future__ import annotations

from dataclasses import dataclass, field

from neuromop.studies import VariabilityDaskStudy
from neuromop.studies.protocol import ScriptArgs, run_script


@dataclass
class Args(ScriptArgs):
    """Arguments of ``python analysis/variability_dask.py``."""

    out: str = field(default="results/variability_dask", metadata={"help": "output folder"})


def main(argv=None) -> int:
    # the one seeding block: every random stream of the study is spawned from its root seed
    # (--seed, default the study's)
    return run_script(VariabilityDaskStudy, Args, argv, __doc__)


if __name__ == "__main__":
    raise SystemExit(main())
