"""The xarray dataset schema, validation, I/O, spike-table binning, loaders and simulators."""

from neuromop.data.io import load, save
from neuromop.data.loaders import (
    from_arrays,
    from_dataframe,
    list_padoa_sessions,
    load_ibl_trials,
    load_nwb,
    load_padoa_session,
    load_padoa_spikes,
)
from neuromop.data.paths import shared_datasets_dir
from neuromop.data.schema import (
    ACTIVITY_VARIABLES,
    AGENT_VARIABLES,
    BINNED_DIMS,
    ValidationError,
    activity_variable,
    validate,
)
from neuromop.data.spikes import SpikeTable, bin_edges, bin_spikes, sliding_window_counts
from neuromop.data.synthetic import make_spike_table, make_spiking_dataset

__all__ = [
    "ACTIVITY_VARIABLES",
    "AGENT_VARIABLES",
    "BINNED_DIMS",
    "SpikeTable",
    "ValidationError",
    "activity_variable",
    "bin_edges",
    "bin_spikes",
    "from_arrays",
    "from_dataframe",
    "list_padoa_sessions",
    "load",
    "load_ibl_trials",
    "load_nwb",
    "load_padoa_session",
    "load_padoa_spikes",
    "make_spike_table",
    "make_spiking_dataset",
    "save",
    "shared_datasets_dir",
    "sliding_window_counts",
    "validate",
]
