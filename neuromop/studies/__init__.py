"""End-to-end studies: ``neuromop run NAME`` runs ``STUDIES[NAME]``."""

from neuromop.studies.rate_rnn import EnergyStudy, SquareStudy
from neuromop.studies.shapes import ShapesStudy
from neuromop.studies.tasks import BetaSweepStudy, CartpoleStudy, CorridorStudy, RewardStudy

#: The studies by name (``neuromop run NAME``, ``analysis/neuromop_tasks.py``).
STUDIES = {"energy": EnergyStudy, "square": SquareStudy, "shapes": ShapesStudy,
           "reward": RewardStudy, "corridor": CorridorStudy, "cartpole": CartpoleStudy,
           "beta-sweep": BetaSweepStudy}

__all__ = ["STUDIES", "BetaSweepStudy", "CartpoleStudy", "CorridorStudy", "EnergyStudy",
           "RewardStudy", "ShapesStudy", "SquareStudy"]
