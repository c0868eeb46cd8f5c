"""The neuromop dataset contract and its validator.

Binned activity is an ``xarray.Dataset`` with dims ``(trial, time, neuron)`` in that order, ``time``
in seconds at bin centres, one activity variable (``counts`` — non-negative integers — or
``rate``/``activity`` — floats), trial/neuron metadata as extra coordinates, and ``attrs`` with
``units``, ``bin_width`` (s) and ``source``. See ``validate``.
"""

from __future__ import annotations

import numbers

import numpy as np
import xarray as xr

__all__ = [
    "ACTIVITY_VARIABLES",
    "AGENT_VARIABLES",
    "BINNED_DIMS",
    "ValidationError",
    "activity_variable",
    "dataset_kind",
    "validate",
]

#: Names an activity variable may take, in order of preference.
ACTIVITY_VARIABLES = ("counts", "rate", "activity")


class ValidationError(ValueError):
    """A dataset does not follow the neuromop contract; ``.problems`` lists every violation."""

    def __init__(self, problems: list[str], kind: str = "binned"):
        self.problems = list(problems)
        lines = "\n".join(f"  - {p}" for p in self.problems)
        super().__init__(
            f"dataset does not follow the neuromop '{kind}' schema "
            f"({len(self.problems)} problem(s)):\n{lines}"
        )


def activity_variable(data: xr.Dataset | xr.DataArray) -> xr.DataArray:
    """Return the single activity variable of ``data``.

    Parameters
    ----------
    data : xarray.Dataset or xarray.DataArray
        A DataArray is returned unchanged; a Dataset must hold exactly one of the variables
        ``counts``, ``rate`` or ``activity``.

    Returns
    -------
    xarray.DataArray

    Raises
    ------
    TypeError
        If ``data`` is neither a Dataset nor a DataArray.
    ValueError
        If the Dataset holds none or several activity variables.
    """
    if isinstance(data, xr.DataArray):
        return data
    if not isinstance(data, xr.Dataset):
        raise TypeError(
            f"data must be an xarray.Dataset or xarray.DataArray, got {type(data).__name__}"
        )
    found = [name for name in ACTIVITY_VARIABLES if name in data.data_vars]
    if len(found) == 1:
        return data[found[0]]
    if not found:
        raise ValueError(
            "data must contain exactly one activity variable among "
            f"{list(ACTIVITY_VARIABLES)}, found none (data variables: {list(data.data_vars)}); "
            "pass the DataArray itself, e.g. ds['my_variable']"
        )
    raise ValueError(
        "data must contain exactly one activity variable among "
        f"{list(ACTIVITY_VARIABLES)}, found several: {found}; pass the one you mean, "
        f"e.g. ds[{found[0]!r}]"
    )


#: Task/agent variables that live along ``(trial, time)``.
AGENT_VARIABLES = (
    "action", "action_entropy", "value_true", "value_soft", "terminated", "reward", "state",
)
#: Core dims of binned activity, in their required order.
BINNED_DIMS = ("trial", "time", "neuron")
#: ``attrs`` every binned dataset must carry.
REQUIRED_ATTRS = ("units", "bin_width", "source", "created_by")
SPIKE_COLUMNS = ("time", "neuron", "trial")

_RTOL = 1e-6


#: The kinds of data :func:`validate` knows.
KINDS = ("binned", "agent", "result", "spikes")
#: ``attrs`` every stored result must carry (its provenance).
PROVENANCE_ATTRS = ("created_by", "neuromop_version", "parameters")


def dataset_kind(ds: xr.Dataset) -> str:
    """Which contract a Dataset written by the package follows.

    Returns ``"binned"`` when it holds an activity variable (``counts``, ``rate`` or
    ``activity``), ``"agent"`` when it has agent variables (``action``, ``terminated`` ...) and
    all of them lie along ``(trial, time)``, and ``"result"`` otherwise (solutions, sweeps,
    summaries over agents: labelled results with provenance).
    """
    if not isinstance(ds, xr.Dataset):
        raise TypeError(f"ds must be an xarray.Dataset, got {type(ds).__name__}")
    if any(name in ds.data_vars for name in ACTIVITY_VARIABLES):
        return "binned"
    agent = [ds[n] for n in AGENT_VARIABLES if n in ds.data_vars]
    if agent and all(v.dims[:2] == ("trial", "time") for v in agent):
        return "agent"
    return "result"


def validate(data, *, kind: str = "binned", raise_on_error: bool = True) -> list[str]:
    """Check that ``data`` follows the neuromop contract and list every violation.

    Parameters
    ----------
    data : xarray.Dataset, xarray.DataArray, SpikeTable or pandas.DataFrame
        ``kind="binned"``: a Dataset with one activity variable ``counts`` (non-negative
        integers), ``rate`` (spikes/s, non-negative floats) or ``activity`` (floats) with dims
        exactly ``(trial, time, neuron)``; a DataArray named like one of them is accepted.
        ``kind="agent"``: a Dataset with dims ``trial`` and ``time`` and task/agent variables
        (``action``, ``action_entropy``, ``value_true``, ``value_soft``, ``terminated``,
        ``reward``, ``state``) whose first two dims are ``(trial, time)``; an activity variable is
        optional and checked as for ``"binned"``.
        ``kind="result"``: a Dataset of labelled results (a solution over states and actions, a
        sweep, a summary) with provenance attrs ``created_by``, ``neuromop_version``,
        ``parameters`` and a ``source`` string; no ``+inf``; NaN (an undefined entry) and
        ``-inf`` (an impossible one, e.g. Q of an inadmissible action) are allowed.
        ``kind="spikes"``: a :class:`~neuromop.data.spikes.SpikeTable` or a DataFrame with columns
        ``time`` (s, finite floats), ``neuron`` and ``trial`` (no missing labels).
    kind : {"binned", "agent", "result", "spikes", "auto"}
        Which contract to check; ``"auto"`` picks it for a Dataset with :func:`dataset_kind`
        (and ``"spikes"`` for a spike table).
    raise_on_error : bool
        Raise :class:`ValidationError` (a ``ValueError``) listing all problems when any is found;
        otherwise return the list.

    Returns
    -------
    list of str
        One precise message per violation (empty when ``data`` is valid).

    Notes
    -----
    Binned checks: the activity variable's dims and their order; each core dim has a coordinate,
    at least one element and unique labels; ``time`` is numeric, finite, strictly increasing and
    regularly spaced by ``attrs["bin_width"]`` (or ``attrs["step"]`` for sliding windows), with
    the first and last centres at ``window[0] + bin_width/2`` and ``window[1] - bin_width/2`` when
    ``attrs["window"]`` is present; counts have an integer dtype and are non-negative; no NaN/inf
    in any activity variable; ``rate`` is non-negative; attrs ``units`` (str), ``bin_width``
    (positive number, s), ``source`` (str) and ``created_by`` (provenance) are present; agent
    variables have ``(trial, time)`` leading dims and ``terminated`` is boolean.
    """
    if kind not in (*KINDS, "auto"):
        raise ValueError(f"kind must be one of {[*KINDS, 'auto']}, got {kind!r}")
    if kind == "auto":
        kind = dataset_kind(data) if isinstance(data, xr.Dataset) else (
            "binned" if isinstance(data, xr.DataArray) else "spikes")
    if kind == "spikes":
        problems = _validate_spikes(data)
    elif kind == "result":
        problems = _validate_result(data)
    else:
        problems = _validate_dataset(data, kind)
    if problems and raise_on_error:
        raise ValidationError(problems, kind)
    return problems


def _as_dataset(data, problems: list[str]) -> xr.Dataset | None:
    if isinstance(data, xr.Dataset):
        return data
    if isinstance(data, xr.DataArray):
        if data.name in ACTIVITY_VARIABLES:
            return data.to_dataset().assign_attrs(data.attrs)
        problems.append(
            f"a DataArray must be named one of {list(ACTIVITY_VARIABLES)}, got name {data.name!r}"
        )
        return None
    problems.append(f"expected an xarray.Dataset, got {type(data).__name__}")
    return None


def _validate_dataset(data, kind: str) -> list[str]:  # noqa: C901 (predates the complexity rule)
    problems: list[str] = []
    ds = _as_dataset(data, problems)
    if ds is None:
        return problems
    found = [n for n in ACTIVITY_VARIABLES if n in ds.data_vars]
    if kind == "binned" and not found:
        problems.append(
            f"no activity variable: expected exactly one of {list(ACTIVITY_VARIABLES)}, "
            f"data variables are {list(ds.data_vars)}"
        )
    if len(found) > 1:
        problems.append(f"several activity variables {found}: expected exactly one")
    core = ("trial", "time") if (kind == "agent" and not found) else BINNED_DIMS
    for dim in core:
        _check_dim(ds, dim, problems)
    if "time" in ds.dims and "time" in ds.coords:
        _check_time(ds, problems)
    for name in found:
        _check_activity(ds[name], problems)
    _check_attrs(ds, problems, need_activity_attrs=bool(found) or kind == "binned")
    agent_vars = [n for n in AGENT_VARIABLES if n in ds.data_vars]
    if kind == "agent" and not agent_vars:
        problems.append(f"no agent variable: expected at least one of {list(AGENT_VARIABLES)}")
    for name in agent_vars:
        var = ds[name]
        if var.dims[:2] != ("trial", "time"):
            problems.append(
                f"agent variable {name!r} must have leading dims ('trial', 'time'), got {var.dims}"
            )
        if name == "terminated" and var.dtype != bool:
            problems.append(f"'terminated' must have dtype bool, got {var.dtype}")
        elif name != "terminated" and var.dtype.kind == "f" and var.size:
            n_inf = int(np.isinf(var.values).sum())
            if n_inf:
                problems.append(f"agent variable {name!r} has {n_inf} infinite value(s)")
    return problems


def _check_dim(ds: xr.Dataset, dim: str, problems: list[str]) -> None:
    if dim not in ds.dims:
        problems.append(f"missing dimension {dim!r} (dims are {tuple(ds.dims)})")
        return
    if ds.sizes[dim] == 0:
        problems.append(f"dimension {dim!r} is empty (size 0)")
    if dim not in ds.coords:
        problems.append(f"dimension {dim!r} has no coordinate (labels) — assign one")
        return
    index = ds.indexes.get(dim)
    if index is not None and not index.is_unique:
        dup = index[index.duplicated()].unique()[:5].tolist()
        problems.append(f"coordinate {dim!r} has duplicate labels, e.g. {dup}")


def _check_time(ds: xr.Dataset, problems: list[str]) -> None:
    time = ds["time"].values
    if time.dtype.kind not in "iuf":
        problems.append(f"coordinate 'time' must be numeric seconds, got dtype {time.dtype}")
        return
    time = time.astype(float)
    if time.size and not np.all(np.isfinite(time)):
        problems.append(f"coordinate 'time' has {int((~np.isfinite(time)).sum())} NaN/inf value(s)")
        return
    steps = np.diff(time)
    if steps.size and np.any(steps <= 0):
        first = int(np.argmax(steps <= 0))
        problems.append(
            f"coordinate 'time' must be strictly increasing; time[{first}]={time[first]!r} "
            f">= time[{first + 1}]={time[first + 1]!r}"
        )
        return
    bin_width = ds.attrs.get("bin_width")
    if not _positive_number(bin_width):
        return
    spacing = ds.attrs.get("step", bin_width)
    if steps.size and not np.allclose(steps, spacing, rtol=_RTOL, atol=1e-9 * spacing):
        worst = int(np.argmax(np.abs(steps - spacing)))
        label = "step" if "step" in ds.attrs else "bin_width"
        problems.append(
            f"coordinate 'time' must be regularly spaced by attrs[{label!r}]={spacing!r} s; "
            f"time[{worst + 1}] - time[{worst}] = {steps[worst]!r}"
        )
    window = ds.attrs.get("window")
    if window is not None and time.size:
        win = np.asarray(window, dtype=float).ravel()
        if win.size != 2:
            problems.append(f"attrs['window'] must be (start, stop) in s, got {window!r}")
            return
        tol = 1e-6 * max(1.0, abs(win).max())
        lo, hi = win[0] + bin_width / 2, win[1] - bin_width / 2
        if abs(time[0] - lo) > tol or abs(time[-1] - hi) > tol:
            problems.append(
                f"coordinate 'time' must hold bin centres of window {tuple(win)} with bin_width "
                f"{bin_width}: expected first/last {lo!r}/{hi!r}, got {time[0]!r}/{time[-1]!r}"
            )


def _check_activity(var: xr.DataArray, problems: list[str]) -> None:  # noqa: C901 (predates the complexity rule)
    name = var.name
    if var.dims != BINNED_DIMS:
        problems.append(
            f"variable {name!r} must have dims {BINNED_DIMS} in that order, got {var.dims}"
        )
    values = np.asarray(var.values)
    kind = values.dtype.kind
    if kind not in "iufb":
        problems.append(f"variable {name!r} must be numeric, got dtype {values.dtype}")
        return
    if kind == "f":
        n_nan = int(np.isnan(values).sum())
        n_inf = int(np.isinf(values).sum())
        if n_nan:
            problems.append(f"variable {name!r} has {n_nan} NaN value(s)")
        if n_inf:
            problems.append(f"variable {name!r} has {n_inf} infinite value(s)")
    if name == "counts":
        if kind not in "iu":
            whole = np.isfinite(values) & (values == np.round(values))
            integral = kind == "f" and bool(np.all(whole))
            hint = " (values are whole numbers: use .astype('int64'))" if integral else ""
            problems.append(f"'counts' must have an integer dtype, got {values.dtype}{hint}")
            if kind == "f" and not integral:
                bad = int((np.isfinite(values) & (values != np.round(values))).sum())
                if bad:
                    problems.append(f"'counts' has {bad} non-integer value(s)")
        n_neg = int((values < 0).sum()) if kind in "iuf" else 0
        if n_neg:
            problems.append(f"'counts' must be non-negative, got {n_neg} negative value(s) "
                            f"(min {values.min()!r})")
    elif name == "rate" and kind in "if":
        n_neg = int((values < 0).sum())
        if n_neg:
            problems.append(f"'rate' must be non-negative spikes/s, got {n_neg} negative value(s)")


def _positive_number(value) -> bool:
    return (
        isinstance(value, numbers.Real) and not isinstance(value, bool | np.bool_)
        and np.isfinite(value) and value > 0
    )


def _check_attrs(ds: xr.Dataset, problems: list[str], *, need_activity_attrs: bool) -> None:
    required = REQUIRED_ATTRS if need_activity_attrs else ("source", "created_by")
    missing = [k for k in required if k not in ds.attrs]
    if missing:
        problems.append(f"missing attrs {missing} (required: {list(required)})")
    for key in ("units", "source", "created_by"):
        if key in ds.attrs and not isinstance(ds.attrs[key], str):
            problems.append(f"attrs[{key!r}] must be a string, got {ds.attrs[key]!r}")
    if "bin_width" in ds.attrs and not _positive_number(ds.attrs["bin_width"]):
        problems.append(
            "attrs['bin_width'] must be a positive finite number (s), "
            f"got {ds.attrs['bin_width']!r}"
        )


def _validate_result(data) -> list[str]:
    if not isinstance(data, xr.Dataset):
        return [f"expected an xarray.Dataset, got {type(data).__name__}"]
    problems: list[str] = []
    missing = [k for k in (*PROVENANCE_ATTRS, "source") if k not in data.attrs]
    if missing:
        problems.append(f"missing attrs {missing} (a stored result carries its provenance: "
                        f"{[*PROVENANCE_ATTRS, 'source']})")
    for key in (*PROVENANCE_ATTRS, "source"):
        if key in data.attrs and not isinstance(data.attrs[key], str):
            problems.append(f"attrs[{key!r}] must be a string, got {data.attrs[key]!r}")
    if not data.data_vars:
        problems.append("a result must hold at least one data variable")
    for name, var in data.data_vars.items():
        if var.dtype.kind == "f" and var.size:
            n_inf = int(np.isposinf(var.values).sum())
            if n_inf:
                problems.append(f"variable {name!r} has {n_inf} value(s) +inf")
    return problems


def _validate_spikes(data) -> list[str]:
    import pandas as pd

    problems: list[str] = []
    frame = getattr(data, "data", data) if not isinstance(data, pd.DataFrame) else data
    if not isinstance(frame, pd.DataFrame):
        return [f"expected a SpikeTable or pandas.DataFrame, got {type(data).__name__}"]
    missing = [c for c in SPIKE_COLUMNS if c not in frame.columns]
    if missing:
        problems.append(
            f"spike table is missing column(s) {missing} (columns: {list(frame.columns)})"
        )
    if "time" in frame.columns:
        time = frame["time"]
        if time.dtype.kind != "f":
            problems.append(f"column 'time' must be float seconds, got dtype {time.dtype}")
        elif not np.all(np.isfinite(time.to_numpy())):
            problems.append(
                f"column 'time' has {int((~np.isfinite(time.to_numpy())).sum())} NaN/inf value(s)"
            )
    for col in ("neuron", "trial"):
        if col in frame.columns and frame[col].isna().any():
            problems.append(f"column {col!r} has {int(frame[col].isna().sum())} missing label(s)")
    for attr, col in (("neuron_info", "neuron"), ("trial_info", "trial")):
        table = getattr(data, attr, None)
        if table is None or col not in frame.columns:
            continue
        if not table.index.is_unique:
            problems.append(f"{attr} index ({col} labels) has duplicates")
        unknown = pd.Index(frame[col].unique()).difference(table.index)
        if len(unknown):
            problems.append(
                f"{len(unknown)} {col} label(s) in the spikes are absent from {attr}, "
                f"e.g. {unknown[:5].tolist()}"
            )
    return problems
