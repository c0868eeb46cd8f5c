"""The xarray dataset schema, validation, I/O, spike-table binning, loaders and simulators."""

from neuromop.data.bridges import from_neo, from_pynapple
from neuromop.data.io import load, save, save_output
from neuromop.data.loaders import (
    from_arrays,
    from_dataframe,
    list_padoa_sessions,
    load_ibl_trials,
    load_nwb,
    load_padoa_session,
    load_padoa_spikes,
    load_trial_table,
)
from neuromop.data.paths import shared_datasets_dir
from neuromop.data.schema import (
    ACTIVITY_VARIABLES,
    AGENT_VARIABLES,
    BINNED_DIMS,
    ValidationError,
    activity_variable,
    dataset_kind,
    validate,
)
from neuromop.data.spikes import SpikeTable, bin_edges, bin_spikes, sliding_window_counts
from neuromop.data.synthetic import make_spike_table, make_spiking_dataset
from neuromop.data.trials import cut_trials

__all__ = [
    "ACTIVITY_VARIABLES",
    "AGENT_VARIABLES",
    "BINNED_DIMS",
    "SpikeTable",
    "ValidationError",
    "activity_variable",
    "bin_edges",
    "bin_spikes",
    "cut_trials",
    "dataset_kind",
    "from_arrays",
    "from_dataframe",
    "from_neo",
    "from_pynapple",
    "list_padoa_sessions",
    "load",
    "load_ibl_trials",
    "load_nwb",
    "load_padoa_session",
    "load_padoa_spikes",
    "load_trial_table",
    "make_spike_table",
    "make_spiking_dataset",
    "save",
    "save_output",
    "shared_datasets_dir",
    "sliding_window_counts",
    "validate",
]
