"""Variability, dimensionality, entropy and value-encoding analyses over labelled xarray data."""

from neuromop.analysis import accessor as _accessor  # noqa: F401  (registers ds.neuromop)
from neuromop.analysis.agent_metrics import (
    action_entropy,
    lifetime,
    occupancy_entropy,
    survival_curve,
)
from neuromop.analysis.correlation import pair_values, signal_correlation, spike_count_correlation
from neuromop.analysis.dimensionality import participation_ratio, pca_spectrum
from neuromop.analysis.isi import cv, cv2, lv, lvr
from neuromop.analysis.pooling import add_condition, pooled_mean_matched_fano_factor
from neuromop.analysis.variability import (
    MeanMatchingError,
    fano_factor,
    mean_matched_fano_factor,
)

__all__ = [
    "MeanMatchingError",
    "action_entropy",
    "add_condition",
    "cv",
    "cv2",
    "fano_factor",
    "lifetime",
    "lv",
    "lvr",
    "mean_matched_fano_factor",
    "occupancy_entropy",
    "pair_values",
    "participation_ratio",
    "pca_spectrum",
    "pooled_mean_matched_fano_factor",
    "signal_correlation",
    "spike_count_correlation",
    "survival_curve",
]
