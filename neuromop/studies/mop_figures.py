"""The MOP paper's tabular experiments, figure by figure (``neuromop run mop-figures``).

Ramírez-Ruiz et al., "Complex behavior from intrinsic motivation to occupy future action-state
path space", Nat. Commun. 2024. Each figure is run by the studies that reproduce it, every one
beside the authors' committed data (jorgeerrz/occupancy_max_paper) with the package's 95 %
intervals:

- ``2``: grid world — :class:`~neuromop.studies.FourRoomsStudy` (MOP, R at epsilon 0, 0.45,
  0.5 and the random walker over food gains) and :class:`~neuromop.studies.NoisyTVStudy`
  (time in the noisy room over beta and gamma; both from the authors' ``gridworld_clean.jl``);
- ``3``: cartpole — :class:`~neuromop.studies.CartpoleGridStudy` (MOP survival and (x, theta)
  occupancy, the R epsilon sweep) and :class:`~neuromop.studies.HalfArenaStudy` (eta x beta);
- ``4``: predator–prey — :class:`~neuromop.studies.PredatorPreyStudy` (the F sweep);
- ``5``: agent–pet — :class:`~neuromop.studies.AgentPetStudy` (the beta sweep of the
  fence-open fraction).

Every study writes into its own sub-folder of the output folder (``four-rooms/``, ...) and keeps
its own settings record, so a rerun resumes study by study; ``mop_figures.md`` gathers the
tables and links the figures. Every study runs with this study's ``seed`` and ``budget``.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import ClassVar

from neuromop._checks import check_choice
from neuromop._io import atomic_path
from neuromop.studies.agent_pet import AgentPetStudy
from neuromop.studies.cartpole_grid import CartpoleGridStudy
from neuromop.studies.four_rooms import FourRoomsStudy
from neuromop.studies.half_arena import HalfArenaStudy
from neuromop.studies.noisy_tv import NoisyTVStudy
from neuromop.studies.predator_prey import PredatorPreyStudy
from neuromop.studies.protocol import Study, StudyResult

__all__ = ["FIGURES", "MOPFiguresStudy"]

#: Paper figure -> (what it shows, the studies that reproduce it).
FIGURES: dict[str, tuple[str, tuple[type[Study], ...]]] = {
    "2": ("grid world: four rooms and the noisy TV", (FourRoomsStudy, NoisyTVStudy)),
    "3": ("cartpole: MOP vs R and the half arena", (CartpoleGridStudy, HalfArenaStudy)),
    "4": ("predator-prey: the mouse and the cat", (PredatorPreyStudy,)),
    "5": ("agent-pet: altruism through the pet's entropy", (AgentPetStudy,)),
}


@dataclass
class MOPFiguresStudy(Study):
    """The MOP paper's tabular figures (2-5), each beside the authors' committed data."""

    seed: int = 2024
    figure: str = "all"

    name: ClassVar[str] = "mop-figures"
    USES_TORCH: ClassVar[bool] = False
    BUDGETS: ClassVar[dict[str, dict]] = {"smoke": {}, "default": {}, "paper": {}}
    OPTIONS: ClassVar[dict[str, dict]] = {
        "figure": dict(choices=(*FIGURES, "all"),
                       help="paper figure to reproduce (default: all): 2 four rooms and noisy "
                            "TV, 3 cartpole and half arena, 4 predator-prey, 5 agent-pet"),
    }

    def __post_init__(self) -> None:
        super().__post_init__()
        self.figure = check_choice("figure", str(self.figure), (*FIGURES, "all"))

    def studies(self) -> list[Study]:
        """The configured studies of the chosen figure(s), in figure order."""
        budget = self.budget if self.budget in ("smoke", "default", "paper") else "default"
        chosen = list(FIGURES) if self.figure == "all" else [self.figure]
        return [cls.for_budget(budget, seed=self.seed)
                for fig in chosen for cls in FIGURES[fig][1]]

    def run(self, out_dir, *, resume: bool = True, progress: bool = True) -> StudyResult:
        """Run every study of the figure(s) in ``<out_dir>/<study name>/`` and write
        ``mop_figures.md`` with their tables and figures."""

        started = time.perf_counter()
        out = self.prepare(out_dir, resume=resume)
        chosen = list(FIGURES) if self.figure == "all" else [self.figure]
        results: dict[str, StudyResult] = {}
        for study in self.studies():
            if progress:
                print(f"== {study.name} ({study.budget})", flush=True)
            results[study.name] = study.run(out / study.name, resume=resume, progress=progress)
        lines = [f"# The MOP paper's tabular figures ({self.budget} budget, seed {self.seed})",
                 "", "Each table puts the package's numbers (means with 95 % intervals) "
                 "beside the authors' committed data where they recorded it.", ""]
        blocks, summary, files = [], {}, {}
        for fig in chosen:
            title, classes = FIGURES[fig]
            lines += [f"## Figure {fig}: {title}", ""]
            summary[f"figure {fig}"] = {}
            for cls in classes:
                res = results[cls.name]
                summary[f"figure {fig}"][cls.name] = res.summary
                blocks.append(f"Figure {fig}, {cls.name}\n{res.table}")
                lines += [f"### `neuromop run {cls.name}`", "", "```", res.table, "```", ""]
                for role, path in res.files.items():
                    if str(path).endswith(".png"):
                        rel = path.relative_to(out)
                        lines.append(f"![{cls.name}: {role}]({rel.as_posix()})")
                        files[f"{cls.name}/{role}"] = path
                lines.append("")
        with atomic_path(out / "mop_figures.md") as tmp:
            tmp.write_text("\n".join(lines))
        files["report"] = out / "mop_figures.md"
        return self.finish(out, table="\n\n".join(blocks), summary=summary, started=started,
                           files=files)
