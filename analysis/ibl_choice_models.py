"""Study: which choice model explains the IBL mice's behaviour best?

Needs the IBL trials table (``ibl_behavior`` in ``../shared/datasets`` or ``$NEUROMOP_DATA``),
or ``--data PATH``.
``neuromop run ibl-choice-models`` runs the same study
(:class:`neuromop.studies.IBLChoiceModelsStudy`).

    python analysis/ibl_choice_models.py --budget smoke --out results/ibl_choice_models
"""

from __future__ import annotations

from dataclasses import dataclass, field

from neuromop.studies import IBLChoiceModelsStudy
from neuromop.studies.protocol import ScriptArgs, run_script


@dataclass
class Args(ScriptArgs):
    """Arguments of ``python analysis/ibl_choice_models.py``."""

    out: str = field(default="results/ibl_choice_models", metadata={"help": "output folder"})
    data: str | None = field(default=None, metadata={"help": "IBL trials table (CSV)"})


def main(argv=None) -> int:
    # the one seeding block: every random stream of the study is spawned from its root seed
    # (--seed, default the study's)
    return run_script(IBLChoiceModelsStudy, Args, argv, __doc__)


if __name__ == "__main__":
    raise SystemExit(main())
