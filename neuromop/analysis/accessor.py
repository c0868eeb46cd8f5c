"""The ``.neuromop`` xarray accessor: ``ds.neuromop.fano_factor(...)`` etc.

It only delegates to the functions of :mod:`neuromop.analysis` with the object as first argument;
all logic, checks and documentation live there. Registered on import of ``neuromop.analysis``.
"""

from __future__ import annotations

import xarray as xr

from neuromop.analysis import (
    agent_metrics,
    correlation,
    dimensionality,
    isi,
    pooling,
    variability,
)

__all__ = ["NeuromopAccessor"]


class NeuromopAccessor:
    """Analysis methods on a Dataset or DataArray (see the functions of the same name)."""

    def __init__(self, obj: xr.Dataset | xr.DataArray):
        self._obj = obj

    def fano_factor(self, **kwargs):
        """See :func:`neuromop.analysis.fano_factor`."""
        return variability.fano_factor(self._obj, **kwargs)

    def mean_matched_fano_factor(self, **kwargs):
        """See :func:`neuromop.analysis.mean_matched_fano_factor`."""
        return variability.mean_matched_fano_factor(self._obj, **kwargs)

    def group_matched_fano_factor(self, by, **kwargs):
        """See :func:`neuromop.analysis.group_matched_fano_factor`."""
        return pooling.group_matched_fano_factor(self._obj, by, **kwargs)

    def spike_count_correlation(self, **kwargs):
        """See :func:`neuromop.analysis.spike_count_correlation`."""
        return correlation.spike_count_correlation(self._obj, **kwargs)

    def signal_correlation(self, *args, **kwargs):
        """See :func:`neuromop.analysis.signal_correlation`."""
        return correlation.signal_correlation(self._obj, *args, **kwargs)

    def participation_ratio(self, *args, **kwargs):
        """See :func:`neuromop.analysis.participation_ratio`."""
        return dimensionality.participation_ratio(self._obj, *args, **kwargs)

    def pca_spectrum(self, *args, **kwargs):
        """See :func:`neuromop.analysis.pca_spectrum`."""
        return dimensionality.pca_spectrum(self._obj, *args, **kwargs)

    def action_entropy(self, **kwargs):
        """See :func:`neuromop.analysis.action_entropy` (DataArray only)."""
        return agent_metrics.action_entropy(self._obj, **kwargs)

    def occupancy_entropy(self, **kwargs):
        """See :func:`neuromop.analysis.occupancy_entropy` (DataArray only)."""
        return agent_metrics.occupancy_entropy(self._obj, **kwargs)

    def lifetime(self, **kwargs):
        """See :func:`neuromop.analysis.lifetime` (DataArray only)."""
        return agent_metrics.lifetime(self._obj, **kwargs)

    def restricted_mean_lifetime(self, **kwargs):
        """See :func:`neuromop.analysis.restricted_mean_lifetime` (DataArray of lifetimes)."""
        return agent_metrics.restricted_mean_lifetime(self._obj, **kwargs)

    def survival_curve(self, **kwargs):
        """See :func:`neuromop.analysis.survival_curve` (DataArray only)."""
        return agent_metrics.survival_curve(self._obj, **kwargs)

    def cv(self, **kwargs):
        """See :func:`neuromop.analysis.cv` (1-D DataArray of intervals)."""
        return isi.cv(self._obj.values, **kwargs)

    def cv2(self):
        """See :func:`neuromop.analysis.cv2` (1-D DataArray of intervals)."""
        return isi.cv2(self._obj.values)

    def lv(self):
        """See :func:`neuromop.analysis.lv` (1-D DataArray of intervals)."""
        return isi.lv(self._obj.values)

    def lvr(self, **kwargs):
        """See :func:`neuromop.analysis.lvr` (1-D DataArray of intervals)."""
        return isi.lvr(self._obj.values, **kwargs)


xr.register_dataset_accessor("neuromop")(NeuromopAccessor)
xr.register_dataarray_accessor("neuromop")(NeuromopAccessor)
