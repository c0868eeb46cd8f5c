"""International Brain Laboratory behaviour tables (trials only, no neural data)."""

from __future__ import annotations

import os

import numpy as np
import pandas as pd
import xarray as xr

from neuromop._checks import check_path
from neuromop._provenance import provenance
from neuromop.data.paths import shared_datasets_dir

__all__ = ["load_ibl_trials"]

DEFAULT_FILE = "ibl_trials_11_sessions.csv"
_UNITS = {
    "response_times": "s", "stimOn_times": "s", "goCue_times": "s", "feedback_times": "s",
    "contrastLeft": "fraction", "contrastRight": "fraction", "signed_contrast": "fraction",
}


def load_ibl_trials(path: str | os.PathLike | None = None) -> xr.Dataset:
    """Read an IBL trials table (CSV) as a Dataset along the dim ``trial``.

    Parameters
    ----------
    path : path-like, optional
        A CSV file, or a folder holding ``ibl_trials_11_sessions.csv``; default the shared
        ``ibl_behavior`` folder.

    Returns
    -------
    xarray.Dataset
        One variable per column (``choice`` −1/0/+1, ``contrastLeft``/``contrastRight`` with NaN
        where no stimulus was shown on that side, ``feedbackType`` ±1, ``probabilityLeft``, event
        times in s …) plus ``signed_contrast`` = right − left contrast (missing side = 0);
        ``trial`` is 0..n−1 over the file; ``session`` and ``trial_in_session`` (the file's own
        trial column) are coordinates when present. attrs: ``source``, ``licence`` and provenance.
    """
    if path is None:
        try:
            path = shared_datasets_dir("ibl_behavior") / DEFAULT_FILE
        except FileNotFoundError as exc:
            raise FileNotFoundError(f"path is None (the shared datasets), but {exc}; or pass "
                                    "path= the trials table") from None
    path = check_path("path", path)
    if path.is_dir():
        path = path / DEFAULT_FILE
    if not path.is_file():
        raise FileNotFoundError(f"no IBL trials table at {path}")
    try:
        frame = pd.read_csv(path)
    except (ValueError, UnicodeDecodeError) as exc:  # pandas' parser errors are ValueErrors
        raise ValueError(f"path {path} is not a CSV trials table ({exc})") from None
    frame = frame.drop(columns=[c for c in frame.columns if str(c).startswith("Unnamed")])
    if frame.empty:
        raise ValueError(f"{path} holds no trials")
    coords: dict[str, tuple] = {"trial": ("trial", np.arange(len(frame)))}
    if "session" in frame.columns:
        coords["session"] = ("trial", frame.pop("session").astype(str).to_numpy(dtype=object))
    if "trial" in frame.columns:
        coords["trial_in_session"] = ("trial", frame.pop("trial").to_numpy())
    if {"contrastLeft", "contrastRight"} <= set(frame.columns) and "signed_contrast" not in frame:
        frame["signed_contrast"] = frame["contrastRight"].fillna(0.0) - frame[
            "contrastLeft"].fillna(0.0)
    data_vars = {}
    for column in frame.columns:
        values = frame[column].to_numpy()
        if values.dtype.kind == "O" or isinstance(frame[column].dtype, pd.StringDtype):
            values = frame[column].astype(object).to_numpy()
        attrs = {"units": _UNITS[column]} if column in _UNITS else {}
        data_vars[str(column)] = ("trial", values, attrs)
    return xr.Dataset(
        data_vars, coords=coords,
        attrs={
            "source": f"International Brain Laboratory behaviour, {path.name} (ibllib 4.1.0 "
                      "test fixtures)",
            "licence": "MIT",
            **provenance("neuromop.data.load_ibl_trials", path=str(path)),
        },
    )
