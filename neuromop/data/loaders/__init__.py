"""Loaders returning the neuromop schema: NWB, Padoa-Schioppa OFC, IBL behaviour, generic arrays,
a trial table with spike times."""

from neuromop.data.loaders.arrays import from_arrays, from_dataframe
from neuromop.data.loaders.ibl import load_ibl_trials
from neuromop.data.loaders.nwb import load_nwb
from neuromop.data.loaders.padoa import list_padoa_sessions, load_padoa_session, load_padoa_spikes
from neuromop.data.loaders.trial_table import load_trial_table

__all__ = [
    "from_arrays",
    "from_dataframe",
    "list_padoa_sessions",
    "load_ibl_trials",
    "load_nwb",
    "load_padoa_session",
    "load_padoa_spikes",
    "load_trial_table",
]
