"""Variability of activity and behaviour over named dims, on labelled xarray data.

Plain functions over *named* dims that return labelled results with provenance in ``attrs``:

- :mod:`~neuromop.analysis.variability` -- :func:`fano_factor`, :func:`mean_matched_fano_factor`
  (Churchland et al. 2010);
- :mod:`~neuromop.analysis.pooling` -- Fano factors matched across conditions or groups of
  trials (:func:`pooled_mean_matched_fano_factor`, :func:`group_matched_fano_factor`);
- :mod:`~neuromop.analysis.isi` -- :func:`cv`, :func:`cv2`, :func:`lv`, :func:`lvr` of
  inter-spike intervals;
- :mod:`~neuromop.analysis.correlation` -- :func:`spike_count_correlation`,
  :func:`signal_correlation`;
- :mod:`~neuromop.analysis.dimensionality` -- :func:`participation_ratio` (sample-size
  corrected), :func:`pca_spectrum`;
- :mod:`~neuromop.analysis.agent_metrics` -- :func:`action_entropy`, :func:`lifetime`,
  :func:`survival_curve`, :func:`restricted_mean_lifetime` (censored episodes),
  :func:`occupancy_entropy`;
- :mod:`~neuromop.analysis.tables` -- :func:`variability_table`: lifetime and variability of
  groups of trials (controllers, sources) side by side;
- :mod:`~neuromop.analysis.sources` -- :func:`compare_sources`: recorded and simulated activity
  side by side, bootstrap distances and the closest source;
- :mod:`~neuromop.analysis.report` -- :func:`variability_report`, the whole
  ``neuromop analyze variability``;
- :mod:`~neuromop.analysis.accessor` -- ``ds.neuromop.<function>(...)``, which only delegates.
"""

from neuromop.analysis import accessor as _accessor  # noqa: F401  (registers ds.neuromop)
from neuromop.analysis.agent_metrics import (
    action_entropy,
    lifetime,
    occupancy_entropy,
    restricted_mean_lifetime,
    survival_curve,
)
from neuromop.analysis.correlation import pair_values, signal_correlation, spike_count_correlation
from neuromop.analysis.dimensionality import participation_ratio, pca_spectrum
from neuromop.analysis.isi import cv, cv2, lv, lvr
from neuromop.analysis.pooling import (
    add_condition,
    group_matched_fano_factor,
    pooled_mean_matched_fano_factor,
)
from neuromop.analysis.report import variability_report
from neuromop.analysis.sources import STATISTICS, compare_sources, source_statistics
from neuromop.analysis.tables import analysis_spans, variability_table
from neuromop.analysis.variability import (
    MeanMatchingError,
    fano_factor,
    mean_matched_fano_factor,
)

__all__ = [
    "MeanMatchingError",
    "action_entropy",
    "add_condition",
    "analysis_spans",
    "cv",
    "cv2",
    "fano_factor",
    "group_matched_fano_factor",
    "lifetime",
    "lv",
    "lvr",
    "mean_matched_fano_factor",
    "occupancy_entropy",
    "pair_values",
    "participation_ratio",
    "STATISTICS",
    "compare_sources",
    "source_statistics",
    "pca_spectrum",
    "pooled_mean_matched_fano_factor",
    "signal_correlation",
    "spike_count_correlation",
    "restricted_mean_lifetime",
    "survival_curve",
    "variability_report",
    "variability_table",
]
