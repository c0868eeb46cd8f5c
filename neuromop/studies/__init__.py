"""End-to-end studies: ``neuromop run NAME`` runs ``STUDIES[NAME]``.

Every study follows one protocol (:mod:`~neuromop.studies.protocol`): a configuration dataclass
deriving from :class:`Study` with named ``BUDGETS`` (``smoke``, ``default``, ``paper``),
:meth:`Study.for_budget`, and ``run(out_dir) ->`` :class:`StudyResult` (datasets, tables, the
files written, provenance). In Python::

    from neuromop.studies import EnergyStudy
    result = EnergyStudy.for_budget("smoke", seed=1).run("out/energy")
    print(result.table)

The studies:

- NeuroMOP on a rate RNN (:mod:`~neuromop.studies.rate_rnn`, :mod:`~neuromop.studies.tasks`,
  :mod:`~neuromop.studies.shapes`): ``energy``, ``square``, ``shapes``, ``reward``,
  ``corridor``, ``cartpole``, ``beta-sweep``;
- the Brian2 spiking network (:mod:`~neuromop.studies.spiking_energy`,
  :mod:`~neuromop.studies.spiking_designs`): ``spiking-energy``, ``spiking-designs``;
- exact MOP agents (:mod:`~neuromop.studies.four_rooms`, :mod:`~neuromop.studies.noisy_tv`,
  :mod:`~neuromop.studies.predator_prey`, :mod:`~neuromop.studies.agent_pet`,
  :mod:`~neuromop.studies.cartpole_grid`, :mod:`~neuromop.studies.half_arena`): ``four-rooms``,
  ``noisy-tv``, ``predator-prey``, ``agent-pet``, ``cartpole-grid``, ``cartpole-half-arena``;
  the paper's figures 2-5 at once: ``mop-figures`` (:mod:`~neuromop.studies.mop_figures`);
- the variability hypothesis on recordings (:mod:`~neuromop.studies.hypothesis`,
  :mod:`~neuromop.studies.controller_recovery`): ``hypothesis``, ``controller-recovery``;
- recordings and values (:mod:`~neuromop.studies.ofc_rnn`, :mod:`~neuromop.studies.values_ofc`,
  :mod:`~neuromop.studies.value_recovery`, :mod:`~neuromop.studies.ibl_choice_models`,
  :mod:`~neuromop.studies.value_calibration`): ``ofc-rnn``, ``values-ofc``, ``value-recovery``,
  ``value-calibration``, ``ibl-choice-models``;
- scale (:mod:`~neuromop.studies.variability_dask`): ``variability-dask``.
"""

from neuromop.studies.agent_pet import AgentPetStudy
from neuromop.studies.cartpole_grid import CartpoleGridStudy
from neuromop.studies.controller_recovery import ControllerRecoveryStudy
from neuromop.studies.four_rooms import FourRoomsStudy
from neuromop.studies.half_arena import HalfArenaStudy
from neuromop.studies.hypothesis import HypothesisStudy
from neuromop.studies.ibl_choice_models import IBLChoiceModelsStudy
from neuromop.studies.mop_figures import FIGURES, MOPFiguresStudy
from neuromop.studies.noisy_tv import NoisyTVStudy
from neuromop.studies.ofc_rnn import OFCRNNStudy
from neuromop.studies.predator_prey import PredatorPreyStudy
from neuromop.studies.protocol import SettingsMismatchError, Study, StudyResult
from neuromop.studies.rate_rnn import EnergyStudy, SquareStudy
from neuromop.studies.shapes import ShapesStudy
from neuromop.studies.spiking_designs import SpikingDesignsStudy
from neuromop.studies.spiking_energy import SpikingEnergyStudy
from neuromop.studies.tasks import BetaSweepStudy, CartpoleStudy, CorridorStudy, RewardStudy
from neuromop.studies.value_calibration import ValueCalibrationStudy
from neuromop.studies.value_recovery import ValueRecoveryStudy
from neuromop.studies.values_ofc import ValuesOFCStudy
from neuromop.studies.variability_dask import VariabilityDaskStudy

#: Every study by its ``neuromop run`` name.
STUDIES: dict[str, type[Study]] = {cls.name: cls for cls in (
    EnergyStudy, SquareStudy, ShapesStudy, RewardStudy, CorridorStudy, CartpoleStudy,
    BetaSweepStudy, SpikingEnergyStudy, SpikingDesignsStudy, FourRoomsStudy, NoisyTVStudy,
    PredatorPreyStudy, AgentPetStudy, CartpoleGridStudy, HalfArenaStudy, MOPFiguresStudy,
    OFCRNNStudy, HypothesisStudy,
    ControllerRecoveryStudy,
    ValuesOFCStudy, ValueRecoveryStudy, ValueCalibrationStudy, IBLChoiceModelsStudy,
    VariabilityDaskStudy)}

__all__ = [
    "FIGURES",
    "STUDIES",
    "AgentPetStudy",
    "BetaSweepStudy",
    "CartpoleGridStudy",
    "CartpoleStudy",
    "ControllerRecoveryStudy",
    "CorridorStudy",
    "EnergyStudy",
    "FourRoomsStudy",
    "HalfArenaStudy",
    "HypothesisStudy",
    "IBLChoiceModelsStudy",
    "MOPFiguresStudy",
    "NoisyTVStudy",
    "OFCRNNStudy",
    "PredatorPreyStudy",
    "RewardStudy",
    "SettingsMismatchError",
    "ShapesStudy",
    "SpikingDesignsStudy",
    "SpikingEnergyStudy",
    "SquareStudy",
    "Study",
    "StudyResult",
    "ValueCalibrationStudy",
    "ValueRecoveryStudy",
    "ValuesOFCStudy",
    "VariabilityDaskStudy",
]
