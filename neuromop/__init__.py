"""neuromop: test the variability hypothesis with Maximum Occupancy Principle agents.

Neural variability as the brain *occupying its activity space* -- maximising future
action-state path entropy (the Maximum Occupancy Principle, MOP) while avoiding terminal
states -- tested on tabular worlds, on rate and spiking networks, and on recordings.

A map of the subpackages, from the top down (imports only point down this list):

- :mod:`neuromop.cli` -- the ``neuromop`` command: ``mdp``, ``run``, ``analyze``, ``fit``;
- :mod:`neuromop.studies` -- end-to-end studies, one protocol, one registry ``STUDIES``
  (``neuromop run NAME``): ``EnergyStudy``, ``SpikingEnergyStudy``, ``FourRoomsStudy`` ...;
- :mod:`neuromop.fit` -- models fitted to data and the environments they drive:
  ``RateRNNRegressor``, ``env_from_fit``, the learned spiking observation model;
- :mod:`neuromop.plots` -- matplotlib figures of computed results, ``save_figure``;
- :mod:`neuromop.control` -- controllers: ``NeuroMOPController``, ``RewardController``,
  ``FreeController``, ``RandomController``, ``SoftQController``, ``train``, ``rollout``;
- :mod:`neuromop.envs` -- ``RateRNNEnv``, ``ContinuousCartpoleEnv``, terminal sets
  (``EnergyBudget``, ``SquareBox`` ...) and :mod:`neuromop.envs.spiking`, the Brian2 wing
  (``SpikingVectorEnv``, ``SpikingEnergyBudget``);
- :mod:`neuromop.analysis` -- variability over named dims: ``fano_factor``,
  ``mean_matched_fano_factor``, ``cv2``, ``spike_count_correlation``,
  ``participation_ratio``, ``action_entropy``, ``lifetime``, ``variability_table``;
- :mod:`neuromop.values` -- soft vs true values: value signals, choice models,
  ``compare_value_encodings``, simulated populations;
- :mod:`neuromop.mdp` -- finite MDPs: ``FiniteMDP``, ``solve_mop``, ``solve_reward``,
  ``solve_maxent``, ``DRAAgent``, learners, ``rollout`` and the paper's worlds;
- :mod:`neuromop.data` -- the xarray schema and ``validate``, netCDF/zarr I/O, spike tables,
  loaders (NWB, Padoa-Schioppa OFC, IBL) and simulators.

Every public capability is at most two hops away: ``neuromop.analysis.fano_factor``,
``neuromop.studies.EnergyStudy``, ``neuromop.envs.SpikingVectorEnv``. Importing
``neuromop`` imports none of them (nor torch or Brian2).
"""

from neuromop._version import __version__

__all__ = ["__version__"]
