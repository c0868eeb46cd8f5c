"""A controller study replicated over root seeds: mean and Student-t interval per controller.

``neuromop run TASK --seeds 0 1 2`` (or :func:`run_over_seeds`) runs the study once per root
seed -- a new network, new training and new evaluation streams each time -- and summarises what
holds across them. The output folder holds:

- ``seed_<s>/`` -- the study's own run for seed ``s`` (checkpoints, rollouts, table, figure);
  each resumes on its own, and its rollouts go into ``neuromop analyze variability``;
- ``seeds.nc`` -- every scalar metric of every controller per ``(seed, controller)`` and the
  training histories per ``(seed, controller, epoch)`` (a result dataset);
- ``seeds_table.csv`` -- mean, 95 % Student-t interval and seed count per controller and
  metric, and the paired differences from the reference controller;
- ``table.txt``, ``summary.json`` and ``<task>_seeds.png`` (error bars over seeds).

The interval of a mean over n seeds uses Student's t with n - 1 degrees of freedom (n = 3:
t = 4.30); a paired difference (reference minus other, the same seed's network and initial
states) is summarised the same way.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd
import xarray as xr

from neuromop._intervals import interval_rows
from neuromop._provenance import provenance
from neuromop._replicates import check_seeds, history_keys, is_number, number, slug_of
from neuromop._version import __version__
from neuromop.studies.protocol import (
    StudyResult,
    jsonable,
    prepare_folder,
    write_outputs,
)

__all__ = ["format_seed_table", "reference_controller", "run_over_seeds", "scalar_metrics",
           "seed_dataset", "seed_summary"]

#: Metrics printed first (the ones every rate-RNN rollout has), with their table headers.
MAIN_METRICS = {"lifetime": "lifetime", "survival": "survival", "action_entropy": "H(a) nats",
                "activity_std": "act. std", "participation_ratio": "PR"}


def scalar_metrics(controllers: dict) -> dict[str, dict[str, float]]:
    """The scalar metrics of a study's ``summary["controllers"]``.

    Numbers are kept; a dict of numbers (e.g. ``entropy_by_region``) becomes one metric per
    entry named ``<key>_<entry>``; lists and the per-run standard errors (``*_sem``) are left
    out (a standard error over one seed's trials says nothing across seeds).

    Returns
    -------
    dict
        Controller name -> metric name -> value.
    """
    out = {}
    for name, metrics in controllers.items():
        row = {}
        for key, value in metrics.items():
            if key.endswith("_sem"):
                continue
            if is_number(value):
                row[key] = float(value)
            elif isinstance(value, dict) and value and all(map(is_number, value.values())):
                for sub, v in value.items():
                    row[f"{key}_{slug_of(sub)}"] = float(v)
        out[name] = row
    return out


def seed_dataset(results: dict[int, StudyResult]) -> xr.Dataset:
    """Per-seed metrics and training histories of replicate runs as one labelled dataset.

    Parameters
    ----------
    results : dict of int to StudyResult
        Root seed -> the run of the study with that seed (``summary["controllers"]`` and,
        when the controllers were trained, ``summary["histories"]``).

    Returns
    -------
    xarray.Dataset
        One variable per scalar metric with dims ``(seed, controller)`` and one
        ``history_<key>`` per numeric training-history entry with dims
        ``(seed, controller, epoch)`` (an entry that is a dict of numbers, e.g. one per
        context, is their mean); NaN where a controller lacks a metric (e.g. the free
        network's training history).
    """
    seeds = sorted(results)
    per_seed = {s: scalar_metrics(results[s].summary["controllers"]) for s in seeds}
    controllers = list(per_seed[seeds[0]])
    for s in seeds[1:]:
        if list(per_seed[s]) != controllers:
            raise ValueError(f"seed {s} ran controllers {list(per_seed[s])}, seed {seeds[0]} "
                             f"ran {controllers}: replicate runs must share their settings")
    histories = {s: results[s].summary.get("histories", {}) for s in seeds}
    # a trained controller evaluated under other names (six shapes: "MOP" is rolled out as
    # "MOP square", ...) keeps its training history under its own name
    controllers += [c for c in histories[seeds[0]] if c not in controllers]
    metrics = []
    for s in seeds:
        for row in per_seed[s].values():
            metrics += [m for m in row if m not in metrics]
    data = {m: (("seed", "controller"),
                np.array([[per_seed[s].get(c, {}).get(m, np.nan) for c in controllers]
                          for s in seeds]))
            for m in metrics}
    coords = {"seed": seeds, "controller": controllers}
    keys = history_keys({f"{s}/{c}": h for s in seeds for c, h in histories[s].items()})
    n_epochs = max((len(h) for s in seeds for h in histories[s].values()), default=0)
    if keys and n_epochs:
        coords["epoch"] = np.arange(n_epochs)
        for key in keys:
            arr = np.full((len(seeds), len(controllers), n_epochs), np.nan)
            for i, s in enumerate(seeds):
                for j, c in enumerate(controllers):
                    for record in histories[s].get(c, []):
                        value = number(record.get(key))
                        if value is not None:
                            arr[i, j, int(record["epoch"])] = value
            data[f"history_{key}"] = (("seed", "controller", "epoch"), arr)
    ds = xr.Dataset(data, coords=coords)
    ds.attrs["units"] = ("lifetime and history_lifetime*: steps; action entropies: nats; "
                         "survival: fraction of trials; activity std: activity units")
    return ds


def reference_controller(controllers: Sequence[str]) -> str | None:
    """The controller the others are compared with: ``"MOP"`` when present, else the first
    controller whose name starts with ``MOP``; ``None`` when there is none."""
    names = list(controllers)
    if "MOP" in names:
        return "MOP"
    return next((n for n in names if str(n).startswith("MOP")), None)


def seed_summary(ds: xr.Dataset, level: float = 0.95) -> pd.DataFrame:
    """Mean and Student-t interval over seeds per controller and metric, and paired differences.

    Parameters
    ----------
    ds : xarray.Dataset
        The dataset of :func:`seed_dataset`.
    level : float
        Coverage of the intervals.

    Returns
    -------
    pandas.DataFrame
        One row per (``comparison``, ``metric``): ``comparison`` is a controller name or
        ``"<reference> - <other>"`` (a paired difference over seeds); columns ``mean``, ``low``,
        ``high``, ``n_seeds`` and ``values`` (the per-seed numbers, comma-separated).
    """
    rows = interval_rows(ds, "seed", "controller",
                         reference_controller(ds["controller"].values.tolist()), level)
    frame = pd.DataFrame(rows, columns=["comparison", "metric", "mean", "low", "high", "n",
                                        "values"])
    return frame.rename(columns={"n": "n_seeds"})


def format_seed_table(summary: pd.DataFrame, *, title: str = "") -> str:
    """Plain-text table of :func:`seed_summary`: ``mean ± half-width of the 95 % interval`` per
    controller (rows) and metric (columns, the shared ones first), then the paired
    differences (the interval bounds are in the frame and ``seeds_table.csv``)."""
    def cell(row):
        if not np.isfinite(row["low"]):
            return f"{row['mean']:.3g}"
        return f"{row['mean']:.3g} ± {(row['high'] - row['low']) / 2:.2g}"

    metrics = list(dict.fromkeys(summary["metric"]))
    ordered = [m for m in MAIN_METRICS if m in metrics] + [m for m in metrics
                                                            if m not in MAIN_METRICS]
    lines = [title] if title else []
    label = min(44, max([20] + [len(str(c)) + 2 for c in summary["comparison"]]))
    for part, comparisons in (("controller", [c for c in dict.fromkeys(summary["comparison"])
                                              if " - " not in c]),
                              ("paired difference", [c for c in dict.fromkeys(
                                  summary["comparison"]) if " - " in c])):
        if not comparisons:
            continue
        lines.append(f"\n{part}: mean ± 95 % t-interval half-width over seeds")
        for start in range(0, len(ordered), 4):
            chunk = ordered[start:start + 4]
            width = max([20] + [len(_header(m)) + 2 for m in chunk])
            body = []
            for c in comparisons:
                cells = []
                for m in chunk:
                    hit = summary[(summary["comparison"] == c) & (summary["metric"] == m)]
                    cells.append(cell(hit.iloc[0]) if len(hit) else "-")
                if any(x != "-" for x in cells):
                    body.append(f"{c[:label - 1]:<{label}}"
                                + "".join(f"{x:>{width}}" for x in cells))
            if body:
                head = f"{'':<{label}}" + "".join(f"{_header(m):>{width}}" for m in chunk)
                lines += [head, "-" * len(head), *body]
    return "\n".join(lines)


def _header(metric: str) -> str:
    """A short column header for a metric name."""
    if metric in MAIN_METRICS:
        return MAIN_METRICS[metric]
    for long, short in (("entropy_by_region_", "H(a) "), ("entropy_", "H(a) "),
                        ("_threshold", " thr."), ("_from", "")):
        metric = metric.replace(long, short)
    return metric.replace("_", " ")


def _changed_settings(study) -> dict:
    """The study's settings that differ from its budget's (the seed aside), e.g. ``epochs``."""
    base = type(study).for_budget(study.budget)
    return {f.name: getattr(study, f.name) for f in dataclasses.fields(study)
            if f.name != "seed" and getattr(study, f.name) != getattr(base, f.name)}


def run_over_seeds(study, seeds: Sequence[int], out_dir, *, resume: bool = True,
                   progress: bool = True) -> StudyResult:
    """Run ``study`` once per root seed and summarise its controllers over the seeds.

    Parameters
    ----------
    study : neuromop.studies.Study
        A study whose summary has per-controller metrics (``summary["controllers"]``), e.g.
        :class:`~neuromop.studies.EnergyStudy`; its ``seed`` is replaced by each of ``seeds``.
    seeds : sequence of int
        At least two distinct root seeds (>= 0).
    out_dir : path-like
        Output folder (see the module docstring); ``seed_<s>/`` holds each run.
    resume : bool
        Resume the runs a folder holds when its settings match exactly (``False``: start over).
    progress : bool
        Show each run's progress.

    Returns
    -------
    StudyResult
        ``summary``: ``{"seeds", "reference", "rows"}`` (the rows of :func:`seed_summary`);
        ``datasets``: ``{"seeds": seed_dataset}``; ``frames``: ``{"seeds_table": ...}``.
    """
    seeds = check_seeds(seeds)
    if not hasattr(study, "run") or not dataclasses.is_dataclass(study):
        raise TypeError(f"study must be a Study configuration, got {type(study).__name__}")
    started = time.perf_counter()
    settings = {**study.settings(), "seed": None, "seeds": list(seeds)}
    record = {"study": study.name, "neuromop_version": __version__, "settings": settings,
              "replicates": "seeds"}
    out = prepare_folder(out_dir, record, resume=resume)
    results = {}
    for i, s in enumerate(seeds, start=1):
        if progress:
            print(f"{study.name}: seed {s} ({i} of {len(seeds)})", flush=True)
        results[s] = dataclasses.replace(study, seed=s).run(out / f"seed_{s}", resume=resume,
                                                             progress=progress)
        if "controllers" not in results[s].summary:
            raise TypeError(f"study {study.name!r} has no per-controller metrics to summarise "
                            "over seeds")
    ds = seed_dataset(results)
    table_frame = seed_summary(ds)
    changed = "".join(f"{k}={v}, " for k, v in _changed_settings(study).items())
    title = (f"{study.name} over seeds {', '.join(map(str, seeds))} (budget {study.budget}, "
             f"{changed}{len(seeds)} runs)")
    table = format_seed_table(table_frame, title=title)
    prov = provenance("neuromop.studies.run_over_seeds", study=study.name, budget=study.budget,
                      seeds=list(seeds), settings=settings)
    from neuromop.plots.seeds import plot_seed_replicates

    fig = plot_seed_replicates(ds, title=title)
    summary = {"seeds": list(seeds), "reference": reference_controller(ds["controller"].values),
               "rows": jsonable(table_frame.to_dict(orient="records")),
               "runs": {str(s): str(Path(out / f"seed_{s}")) for s in seeds}}
    return write_outputs(out, study=study.name, settings=settings, provenance=prov,
                         table=table, summary=summary, started=started,
                         datasets={"seeds": ds}, frames={"seeds_table": table_frame},
                         figures={f"{study.name.replace('-', '_')}_seeds": fig})
