"""The ``.neuromop`` accessor delegates to the analysis functions."""

from __future__ import annotations

import numpy as np
import pytest
import xarray as xr

import neuromop.analysis as na


@pytest.fixture
def ds():
    rng = np.random.default_rng(0)
    c = rng.poisson(2.0, size=(30, 6, 40))
    return xr.Dataset(
        {"counts": (("trial", "time", "neuron"), c)},
        coords={"time": 0.005 + 0.01 * np.arange(6), "condition": ("trial", np.arange(30) % 2)},
        attrs={"bin_width": 0.01},
    )


@pytest.mark.parametrize(
    ("method", "kwargs"),
    [
        ("fano_factor", {"window": 0.02}),
        ("mean_matched_fano_factor", {"window": 0.02, "random_state": 0}),
        ("group_matched_fano_factor", {"by": "condition", "window": 0.02, "random_state": 0}),
        ("spike_count_correlation", {"zscore_by": "condition"}),
        ("signal_correlation", {"condition": "condition"}),
        ("participation_ratio", {"corrected": False}),
        ("pca_spectrum", {}),
    ],
)
@pytest.mark.parametrize("on", ["dataset", "dataarray"])
def test_accessor_equals_function(ds, method, kwargs, on):
    obj = ds if on == "dataset" else ds["counts"].assign_attrs(bin_width=0.01)
    via_accessor = getattr(obj.neuromop, method)(**kwargs)
    direct = getattr(na, method)(obj, **kwargs)
    xr.testing.assert_identical(via_accessor.drop_attrs(), direct.drop_attrs())


def test_accessor_agent_and_isi_methods():
    a = xr.DataArray(np.tile(np.arange(3), (2, 4)), dims=("trial", "time"))
    assert a.neuromop.action_entropy() == na.action_entropy(a)
    term = xr.DataArray(np.eye(3, dtype=bool), dims=("trial", "time"))
    xr.testing.assert_identical(a.neuromop.occupancy_entropy().drop_attrs(),
                                na.occupancy_entropy(a).drop_attrs())
    assert term.neuromop.lifetime()["lifetime"].values.tolist() == [0, 1, 2]
    np.testing.assert_allclose(term.neuromop.survival_curve().values, [2 / 3, 1 / 3, 0])
    iv = xr.DataArray([0.1, 0.3, 0.2, 0.4], dims="interval")
    assert iv.neuromop.lv() == na.lv(iv.values)
    assert iv.neuromop.cv() == na.cv(iv.values)
    assert iv.neuromop.cv2() == na.cv2(iv.values)
    assert iv.neuromop.lvr(R=0.001) == na.lvr(iv.values, R=0.001)
