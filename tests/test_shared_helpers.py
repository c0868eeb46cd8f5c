"""Tests of the shared helpers: argument checks, RNG, provenance, atomic writes, CLI."""

from __future__ import annotations

import json

import numpy as np
import pytest
import xarray as xr

from neuromop import _checks, cli
from neuromop._io import atomic_path, write_json_atomic, write_netcdf_atomic
from neuromop._provenance import provenance
from neuromop._random import as_generator, torch_generator


@pytest.mark.parametrize(
    ("kwargs", "value", "message"),
    [
        ({"low": 0.0, "low_inclusive": False}, 0.0, r"alpha must be > 0.0, got 0.0"),
        ({"low": 0.0}, -1, r"alpha must be >= 0.0, got -1.0"),
        ({"high": 1.0}, 2.5, r"alpha must be <= 1.0, got 2.5"),
        ({}, float("nan"), r"alpha must be finite"),
    ],
)
def test_check_real_rejects_with_named_message(kwargs, value, message):
    with pytest.raises(ValueError, match=message):
        _checks.check_real("alpha", value, **kwargs)


@pytest.mark.parametrize("value", ["1", None, True, [1.0]])
def test_check_real_rejects_non_numbers(value):
    with pytest.raises(TypeError, match="gamma must be a real number"):
        _checks.check_real("gamma", value)


def test_check_int_and_choice():
    assert _checks.check_int("n", np.int64(3), low=1) == 3
    with pytest.raises(TypeError, match="n must be an integer"):
        _checks.check_int("n", 2.0)
    with pytest.raises(ValueError, match="n must be >= 1, got 0"):
        _checks.check_int("n", 0, low=1)
    with pytest.raises(ValueError, match=r"agent must be one of \['mop', 'reward'\]"):
        _checks.check_choice("agent", "x", ["mop", "reward"])


def test_check_finite_array_counts_bad_values():
    with pytest.raises(ValueError, match=r"x must be finite, got 2 NaN/inf"):
        _checks.check_finite_array("x", [1.0, np.nan, np.inf])
    with pytest.raises(ValueError, match="x must be 2-dimensional"):
        _checks.check_finite_array("x", [1.0, 2.0], ndim=2)
    with pytest.raises(ValueError, match="x must not be empty"):
        _checks.check_finite_array("x", [])


@pytest.mark.parametrize(
    ("check", "value", "error", "message"),
    [
        (lambda v: _checks.as_array("x", v, dtype=float), [[1.0, 2.0], [3.0]], TypeError,
         "x must be array-like of float64"),
        (lambda v: _checks.as_array("x", v, dtype=float), ["a"], TypeError, "x must be array"),
        (lambda v: _checks.check_bool("flag", v), "no", TypeError, "flag must be True or False"),
        (lambda v: _checks.check_int_tuple("hidden", v, low=1), None, TypeError,
         "hidden must be a sequence of integers"),
        (lambda v: _checks.check_int_tuple("hidden", v, low=1), "64", TypeError,
         "hidden must be a sequence of integers"),
        (lambda v: _checks.check_int_tuple("hidden", v, low=1), (8, 0), ValueError,
         "hidden must be >= 1, got 0"),
        (lambda v: _checks.check_path("path", v), 3, TypeError, "path must be a str or path"),
        (lambda v: _checks.check_path("path", v), b"x.nc", TypeError, "path must be a str"),
        (lambda v: _checks.check_path("path", v), "", ValueError, "path must be a non-empty"),
    ],
)
def test_new_checks_reject_with_named_messages(check, value, error, message):
    with pytest.raises(error, match=message):
        check(value)


def test_new_checks_accept_valid_values(tmp_path):
    assert _checks.as_array("x", [1, 2]).tolist() == [1, 2]
    assert _checks.check_bool("flag", np.bool_(True)) is True
    assert _checks.check_int_tuple("hidden", [8, np.int64(4)], low=1) == (8, 4)
    assert _checks.check_path("path", tmp_path) == tmp_path


def test_torch_generator_takes_seeds_beyond_64_bits():
    a = torch_generator(2**200).initial_seed()
    assert a == torch_generator(2**200).initial_seed() and 0 <= a < 2**64


def test_as_generator_is_reproducible_and_shares_streams():
    a = as_generator(7).random(3)
    b = as_generator(7).random(3)
    np.testing.assert_array_equal(a, b)
    gen = np.random.default_rng(1)
    assert as_generator(gen) is gen
    with pytest.raises(ValueError, match="random_state must be a non-negative integer"):
        as_generator(-1)
    with pytest.raises(TypeError, match="random_state must be None"):
        as_generator("seed")


def test_torch_generator_is_seeded():
    import torch

    x = torch.rand(3, generator=torch_generator(5))
    y = torch.rand(3, generator=torch_generator(5))
    assert torch.equal(x, y)


def test_provenance_is_netcdf_safe(tmp_path):
    attrs = provenance("test.fn", seed=3, shape=(2, 3), arr=np.arange(3), obj=object())
    assert json.loads(attrs["parameters"])["seed"] == 3
    ds = xr.Dataset({"v": ("x", [1, 2])}, attrs=attrs)
    path = write_netcdf_atomic(ds, tmp_path / "d.nc")
    with xr.open_dataset(path, engine="h5netcdf") as back:
        assert back.attrs["created_by"] == "test.fn"


def test_atomic_path_leaves_nothing_on_failure(tmp_path):
    dest = tmp_path / "sub" / "out.json"
    with pytest.raises(RuntimeError), atomic_path(dest) as tmp:
        tmp.write_text("partial")
        raise RuntimeError("interrupted")
    assert not dest.exists()
    assert list(dest.parent.iterdir()) == []
    write_json_atomic(dest, {"a": 1})
    assert json.loads(dest.read_text()) == {"a": 1}


def test_cli_help_lists_groups(capsys):
    with pytest.raises(SystemExit) as exc:
        cli.main(["--help"])
    assert exc.value.code == 0
    assert "GROUP" in capsys.readouterr().out


def test_cli_every_command_module_registers():
    parser = cli.build_parser()
    groups = parser._subparsers._group_actions[0].choices
    for name in groups:
        assert name in cli.GROUP_HELP


def test_orphans_of_killed_writers_are_recognised_and_removed(tmp_path):
    from neuromop._io import TEMP_MARK, atomic_path, remove_orphans

    with atomic_path(tmp_path / "a" / "result.json") as tmp:
        assert TEMP_MARK in tmp.name
        tmp.write_text("{}")
    orphan = tmp_path / "a" / f".checkpoint.pt{TEMP_MARK}x1y2.pt"   # as a kill -9 leaves it
    orphan.write_bytes(b"half")
    keep = tmp_path / "a" / ".hidden_but_mine"
    keep.write_text("x")
    assert remove_orphans(tmp_path) == [orphan]
    assert (tmp_path / "a" / "result.json").exists() and keep.exists()
