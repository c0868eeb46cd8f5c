"""The overview figure of the spiking energy task, on a small synthetic run."""

from __future__ import annotations

import numpy as np
import pandas as pd
import xarray as xr

from neuromop.plots.spiking import plot_spiking_energy


def _synthetic_run(rng):
    controllers = ["free", "MOP"]
    n_trials, n_time, width = 8, 20, 0.05
    label = np.repeat(controllers, n_trials // 2)
    lifetime = np.array([5, 12, 8, 15, 20, 20, 20, 20])  # periods alive; free dies, MOP lives
    # spiky energy: a large sd around a small mean (as R's bursts give), so mean - sd < 0
    energy = rng.exponential(0.05, (n_trials, n_time)) * (rng.random((n_trials, n_time)) < 0.2)
    assert (energy[4:].mean(0) - energy[4:].std(0)).min() < 0
    ds = xr.Dataset({"lifetime": ("trial", lifetime), "energy": (("trial", "time"), energy)},
                    coords={"controller": ("trial", label), "time": np.arange(n_time) * width},
                    attrs={"bin_width": width})
    spikes = pd.DataFrame({"time": rng.uniform(0, n_time * width, 300),
                           "neuron": rng.integers(0, 10, 300),
                           "trial": rng.integers(0, n_trials, 300)})
    table = pd.DataFrame({"fano_factor": [0.8, 1.1], "participation_ratio": [17.0, 11.0],
                          "action_entropy": [0.0, 3.3]}, index=pd.Index(controllers))
    return ds, spikes, table


def test_figure_has_rasters_energy_survival_and_bars():
    import matplotlib.pyplot as plt

    ds, spikes, table = _synthetic_run(np.random.default_rng(0))
    fig = plot_spiking_energy(ds, spikes, table, max_energy=0.6)
    try:
        titles = [ax.get_title() for ax in fig.axes]
        assert titles == ["free: trial 0", "MOP: trial 4", "energy (alive trials)", "survival",
                          "variability"]
        ax_e = fig.axes[2]
        # one band per controller, never below zero energy (the mean - sd is negative here)
        bands = [c for c in ax_e.collections if len(c.get_paths())]
        assert len(bands) == 2
        assert min(p.vertices[:, 1].min() for c in bands for p in c.get_paths()) >= 0.0
        survival = fig.axes[3].lines[0].get_ydata()
        assert survival[0] == 1.0 and survival[-1] == 0.0  # every free trial dies
        assert [len(c) for c in fig.axes[4].containers] == [3, 3]
    finally:
        plt.close(fig)
