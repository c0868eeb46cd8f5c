"""netCDF / zarr round trips are lossless, metadata included, and writes are atomic."""

from __future__ import annotations

import numpy as np
import pytest
import xarray as xr
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from neuromop.data import load, make_spiking_dataset, save

FORMATS = [".nc", ".zarr"]

_scalars = (
    st.none() | st.booleans() | st.integers(-(2**70), 2**70)
    | st.floats(allow_nan=False) | st.text(max_size=8)
)
_values = st.recursive(
    _scalars,
    lambda inner: (
        st.lists(inner, max_size=3) | st.tuples(inner, inner)
        | st.dictionaries(st.text(max_size=4) | st.integers(0, 9), inner, max_size=3)
    ),
    max_leaves=8,
)
_arrays = st.sampled_from([np.arange(4.0), np.array([[1, 2], [3, 4]], dtype=np.int16),
                           np.array(["a", "bc"]), np.array([True, False]), np.float32(2.5),
                           np.int64(7), np.array(1.5 + 2j)])
_attrs = st.dictionaries(st.from_regex(r"[a-z]{1,8}", fullmatch=True), _values | _arrays,
                         max_size=5)


@pytest.fixture(scope="module")
def base() -> xr.Dataset:
    return make_spiking_dataset(4, 3, 5, 0.1, rate=10.0, model="doubly_stochastic",
                                gain_variance=0.2, n_conditions=2, random_state=0)


@pytest.mark.parametrize("suffix", FORMATS)
def test_synthetic_round_trip(tmp_path, base, suffix):
    path = save(base, tmp_path / f"d{suffix}")
    xr.testing.assert_identical(load(path), base)


@pytest.mark.parametrize("suffix", FORMATS)
def test_multiindex_and_object_coords(tmp_path, base, suffix):
    ds = base.assign_coords(
        label=("trial", np.array(["a", None, 3, {"k": (1, 2)}], dtype=object)),
        flag=("trial", np.array([True, False, True, True])),
    ).stack(sample=("trial", "time"))
    ds["counts"].attrs["note"] = None
    xr.testing.assert_identical(load(save(ds, tmp_path / f"m{suffix}")), ds)


@pytest.mark.parametrize("suffix", FORMATS)
@settings(max_examples=15, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(attrs=_attrs, var_attrs=_attrs)
def test_hypothesis_metadata_round_trip(tmp_path, base, suffix, attrs, var_attrs):
    ds = base.copy()
    ds.attrs.update(attrs)
    ds["counts"].attrs.update(var_attrs)
    back = load(save(ds, tmp_path / f"h{suffix}"))
    xr.testing.assert_identical(back, ds)
    for key, value in attrs.items():  # types survive, not only values
        assert type(back.attrs[key]) is type(value) or isinstance(value, float | int)


@pytest.mark.parametrize("name", ["ab\x00cd", ""])
def test_attribute_names_netcdf_would_cut_are_refused_before_writing(tmp_path, base, name):
    ds = base.copy()
    ds.attrs[name] = 1
    with pytest.raises(ValueError, match=r"attribute names must be non-empty and free of NUL"):
        save(ds, tmp_path / "x.nc")
    assert not list(tmp_path.iterdir())  # nothing half-written


def test_save_output_checks_the_contract_and_completes_provenance(tmp_path, base):
    from neuromop.data import ValidationError, save_output

    out = save_output(base.copy(), tmp_path / "ok.nc", source="test", provenance={"x": "1"})
    back = load(out)
    assert back.attrs["x"] == "1" and back.attrs["source"] == base.attrs["source"]
    bad = base.copy()
    bad["counts"] = bad["counts"] - 5
    with pytest.raises(ValidationError, match=r"'counts' must be non-negative"):
        save_output(bad, tmp_path / "bad.nc", source="test")
    assert not (tmp_path / "bad.nc").exists()


@pytest.mark.parametrize("suffix", FORMATS)
def test_lazy_load_with_chunks(tmp_path, base, suffix):
    import dask.array as da

    lazy = load(save(base, tmp_path / f"c{suffix}"), chunks={})
    assert isinstance(lazy.counts.data, da.Array)
    xr.testing.assert_identical(lazy.compute(), base)


@pytest.mark.parametrize("suffix", FORMATS)
def test_failed_write_leaves_previous_file(tmp_path, base, suffix):
    path = save(base, tmp_path / f"a{suffix}")
    bad = base.assign_attrs(thing=object())
    with pytest.raises(TypeError, match=r"attrs\['thing'\]: cannot store"):
        save(bad, path)
    xr.testing.assert_identical(load(path), base)
    assert sorted(p.name for p in tmp_path.iterdir()) == [path.name]


def test_zarr_overwrite(tmp_path, base):
    path = save(base, tmp_path / "o.zarr")
    other = base.isel(trial=slice(0, 2))
    save(other, path)
    xr.testing.assert_identical(load(path), other)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["o.zarr"]


def test_format_errors(tmp_path, base):
    with pytest.raises(ValueError, match="cannot infer the format"):
        save(base, tmp_path / "x.txt")
    with pytest.raises(ValueError, match="format must be"):
        save(base, tmp_path / "x.nc", format="hdf")
    with pytest.raises(FileNotFoundError, match="no dataset"):
        load(tmp_path / "missing.nc")
    with pytest.raises(TypeError, match="xarray.Dataset"):
        save(base.counts, tmp_path / "x.nc")


def test_explicit_format(tmp_path, base):
    path = save(base, tmp_path / "plain", format="netcdf")
    xr.testing.assert_identical(load(path, format="netcdf"), base)


def test_save_never_replaces_a_folder_that_is_not_a_zarr_store(tmp_path):
    from neuromop.data import make_spiking_dataset, save

    ds = make_spiking_dataset(4, 3, 5, 0.1, random_state=0)
    folder = tmp_path / "results.zarr"
    folder.mkdir()
    (folder / "precious.txt").write_text("keep me")
    with pytest.raises(ValueError, match="not a zarr store"):
        save(ds, folder)
    assert (folder / "precious.txt").read_text() == "keep me"
    save(ds, tmp_path / "store.zarr")
    save(ds, tmp_path / "store.zarr")  # a zarr store is replaced atomically
    with pytest.raises(ValueError, match="is a folder"):
        save(ds, folder, format="netcdf")
