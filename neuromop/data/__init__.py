"""The xarray dataset schema, validation, I/O, spike-table binning, loaders and simulators."""

from neuromop.data.schema import ACTIVITY_VARIABLES, ValidationError, activity_variable

__all__ = ["ACTIVITY_VARIABLES", "ValidationError", "activity_variable"]
