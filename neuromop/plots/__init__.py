"""Matplotlib figures. They take computed results and never compute study metrics.

- :mod:`~neuromop.plots.variability` -- Fano factor over time, PCA spectrum, r_sc histogram;
- :mod:`~neuromop.plots.tasks` -- the NeuroMOP rate-RNN task figures;
- :mod:`~neuromop.plots.spiking` -- the spiking energy task;
- :mod:`~neuromop.plots.mdp` -- occupancy maps, survival curves, cartpole episodes;
- :mod:`~neuromop.plots.values` -- soft versus true value reports;
- :mod:`~neuromop.plots.fitting` -- rate-RNN fit reports;
- :mod:`~neuromop.plots.hypothesis` -- the recording next to each controller
  (``neuromop run hypothesis``);
- :func:`save_figure` -- the one way a figure is written (atomically, then closed).

Importing this package does not import matplotlib; drawing a figure does.
"""

from neuromop.plots.figure import save_figure

__all__ = ["save_figure"]
