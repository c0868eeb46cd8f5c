"""Shared pytest fixtures."""

from __future__ import annotations

import os
from pathlib import Path

import matplotlib
import pytest

matplotlib.use("Agg")

PROJECT_ROOT = Path(__file__).resolve().parents[1]


def _shared_datasets_dir() -> Path:
    env = os.environ.get("NEUROMOP_DATA")
    return Path(env) if env else PROJECT_ROOT.parent / "shared" / "datasets"


@pytest.fixture(scope="session")
def shared_datasets() -> Path:
    """Folder of the real recorded datasets; the test skips when it is absent."""
    path = _shared_datasets_dir()
    if not path.is_dir():
        pytest.skip(f"shared datasets not found at {path} (set NEUROMOP_DATA to their folder)")
    return path


@pytest.fixture(autouse=True, scope="session")
def _one_torch_thread():
    """Tests use small tensors: one intra-op torch thread per test process avoids contention
    between pytest-xdist workers on a 2-core machine. Session-scoped, so that module- and
    session-scoped fixtures (trained controllers, smoke runs) get it too."""
    import torch

    previous = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(previous)
