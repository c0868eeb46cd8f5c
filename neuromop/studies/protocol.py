"""The one study protocol: a configuration dataclass, named budgets, ``run() -> StudyResult``.

Every study of :data:`neuromop.studies.STUDIES` is a dataclass deriving from :class:`Study`:

- its fields are the settings (sizes in the units their comments give), with ``seed`` (the root
  of every random stream) and ``budget`` (the name of the preset it was built from);
- ``BUDGETS`` maps ``"smoke"`` (seconds, for tests), ``"default"`` (minutes on 2 CPU cores) and
  ``"paper"`` (the publication sizes) to overrides of the field defaults, and
  :meth:`Study.for_budget` builds a configuration from one of them;
- :meth:`Study.run` writes everything into an output folder and returns a
  :class:`StudyResult` (datasets, tables, the paths written, provenance).

Random streams: :meth:`Study.random_streams` spawns one child seed per name of ``STREAMS`` from
``seed`` (``SeedSequence.spawn``), so the network, training, evaluation ... streams are
independent, and a study that adds a stream at the end keeps the others.

Output folders: :meth:`Study.prepare` writes ``settings.json`` into the folder; a later run into
the same folder resumes only with exactly the same settings, and stops with a clear error (the
differing settings, ``--no-resume`` / a new ``--out``) otherwise. ``resume=False`` starts over
(the folder's checkpoints and results are replaced). Temporary files a killed run left
behind are removed.
"""

from __future__ import annotations

import argparse
import dataclasses
import hashlib
import json
import math
import time
import typing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar

import xarray as xr

from neuromop._checks import check_choice
from neuromop._io import (
    atomic_path,
    json_safe,
    remove_orphans,
    write_json_atomic,
)
from neuromop._provenance import provenance
from neuromop._random import seed_int, spawn
from neuromop._version import __version__
from neuromop.data.io import save, save_output
from neuromop.plots import save_figure

__all__ = ["BUDGET_NAMES", "SETTINGS_FILE", "ScriptArgs", "SettingsMismatchError", "Study",
           "StudyResult", "content_hash", "jsonable", "prepare_folder", "run_script",
           "script_arguments", "write_outputs"]


def content_hash(path) -> str:
    """SHA-256 of a file, or of a folder's files (relative names and contents, in sorted order);
    ``"missing"`` when ``path`` does not exist."""
    path = Path(path)
    if not path.exists():
        return "missing"
    files = [path] if path.is_file() else sorted(p for p in path.rglob("*") if p.is_file())
    digest = hashlib.sha256()
    for f in files:
        digest.update(str(f.relative_to(path)).encode() if f != path else b"")
        with f.open("rb") as handle:
            for block in iter(lambda: handle.read(1 << 20), b""):
                digest.update(block)
    return digest.hexdigest()

#: The budget names every study defines.
BUDGET_NAMES = ("smoke", "default", "paper")
#: The settings record of an output folder.
SETTINGS_FILE = "settings.json"


class SettingsMismatchError(ValueError):
    """An output folder holds a run made with other settings than the one asked for."""


def jsonable(obj: Any) -> Any:
    """``obj`` as it reads back from JSON: tuples as lists, NaN and infinities as ``None``,
    anything else JSON cannot hold as its ``str``."""
    return json.loads(json.dumps(json_safe(obj), default=str, allow_nan=False))


@dataclass
class StudyResult:
    """What a study returns: its numbers, datasets and tables, and where they were written.

    Attributes
    ----------
    study : str
        The registry name of the study (``neuromop run NAME``).
    settings : dict
        The configuration (JSON-ready), ``seed`` and ``budget`` included.
    table : str
        The plain-text table the CLI prints (also written as ``table.txt``).
    summary : dict
        JSON-ready numbers (written as ``summary.json`` with ``settings`` and ``provenance``).
    datasets : dict of str to xarray.Dataset
        Labelled results (rollouts, recordings, sweeps), each written as ``<name>.nc``.
    frames : dict of str to pandas.DataFrame
        Tabular results (per-controller tables, spike tables).
    files : dict of str to pathlib.Path
        Every file written, by role (``summary``, ``table``, ``figure`` ...).
    seconds : float
        Wall time of :meth:`Study.run`.
    provenance : dict
        Package version and commit, the function, settings, random streams and budget.
    """

    study: str
    settings: dict
    table: str
    summary: dict
    datasets: dict = field(default_factory=dict)
    frames: dict = field(default_factory=dict)
    files: dict = field(default_factory=dict)
    seconds: float = math.nan
    provenance: dict = field(default_factory=dict)


@dataclass
class Study:
    """Base of every study configuration (see the module docstring).

    Parameters
    ----------
    seed : int
        Root of every random stream of the study (>= 0).
    budget : str
        Name of the budget preset the configuration was built from (``"custom"`` when built
        field by field).
    """

    seed: int = 0
    budget: str = "custom"

    #: Registry name (``neuromop run NAME``); set by every concrete study.
    name: ClassVar[str] = ""
    #: Budget name -> overrides of the field defaults.
    BUDGETS: ClassVar[dict[str, dict]] = {"smoke": {}, "default": {}, "paper": {}}
    #: Names of the independent random streams spawned from ``seed``, in a fixed order.
    STREAMS: ClassVar[tuple[str, ...]] = ()
    #: Extra CLI options of ``neuromop run NAME``: field name -> argparse keyword arguments.
    OPTIONS: ClassVar[dict[str, dict]] = {}
    #: Whether the study trains torch models (the CLI then sets torch's thread count).
    USES_TORCH: ClassVar[bool] = True
    #: Whether its summary has per-controller metrics that ``--seeds`` summarises over seeds
    #: (:func:`~neuromop.studies.seeds.run_over_seeds`).
    REPLICABLE: ClassVar[bool] = False

    def __post_init__(self) -> None:
        if (not isinstance(self.seed, int) or isinstance(self.seed, bool) or self.seed < 0):
            raise ValueError(f"seed must be an int >= 0, got {self.seed!r}")
        if not isinstance(self.budget, str):
            raise TypeError(f"budget must be a str, got {self.budget!r}")

    @classmethod
    def for_budget(cls, budget: str = "default", **overrides):
        """The configuration of budget ``budget`` (``smoke``, ``default``, ``paper``).

        Keyword ``overrides`` replace single fields (e.g. ``seed=1``); unknown names raise
        ``TypeError``.
        """
        check_choice("budget", budget, tuple(cls.BUDGETS))
        names = {f.name for f in dataclasses.fields(cls)}
        unknown = sorted(set(overrides) - names)
        if unknown:
            raise TypeError(f"{cls.__name__}.for_budget got unknown settings {unknown}; "
                            f"known: {sorted(names)}")
        return cls(**{**cls.BUDGETS[budget], **overrides, "budget": budget})

    # ------------------------------------------------------------------ random streams
    def random_streams(self) -> dict[str, int]:
        """One independent int seed per name of ``STREAMS``, spawned from ``seed``."""
        children = spawn(self.seed, len(self.STREAMS))
        return {name: seed_int(child) for name, child in zip(self.STREAMS, children)}

    # ------------------------------------------------------------------ settings and outputs
    def settings(self) -> dict:
        """The configuration as a JSON-ready dict (every field)."""
        return jsonable(dataclasses.asdict(self))

    def input_paths(self) -> list[Path]:
        """Data files or folders the study reads; their content is part of the run's record.

        Studies that read recorded data override this; the default is none.
        """
        return []

    def provenance(self, **extra) -> dict:
        """``attrs``-ready provenance of this study's outputs."""
        return provenance(f"neuromop.studies.{type(self).__name__}", study=self.name,
                          budget=self.budget, seed=self.seed, streams=self.random_streams(),
                          settings=self.settings(), **extra)

    def prepare(self, out_dir, *, resume: bool = True) -> Path:
        """Create ``out_dir`` and record the settings; refuse to mix runs of other settings.

        Raises
        ------
        SettingsMismatchError
            ``resume=True`` and the folder holds a run made with other settings.
        """
        mine = {"study": self.name, "neuromop_version": __version__, "settings": self.settings()}
        inputs = self.input_paths()
        if inputs:  # a run on other data is another run
            mine["inputs"] = {str(p): content_hash(p) for p in inputs}
        return prepare_folder(out_dir, mine, resume=resume)

    def finish(self, out: Path, *, table: str, summary: dict, started: float,
               datasets: dict | None = None, frames: dict | None = None,
               figures: dict | None = None, files: dict | None = None) -> StudyResult:
        """Write the shared outputs and return the :class:`StudyResult`.

        Writes ``summary.json`` (``summary``, ``settings``, ``provenance``, ``seconds``),
        ``table.txt``, every dataset as ``<name>.nc`` (with the study's provenance added to its
        ``attrs``), every frame as ``<name>.csv`` and every figure (name -> matplotlib
        figure) as ``<name>.png``.
        """

        return write_outputs(out, study=self.name, settings=self.settings(),
                             provenance=self.provenance(), table=table, summary=summary,
                             started=started, datasets=datasets, frames=frames,
                             figures=figures, files=files)

    def run(self, out_dir, *, resume: bool = True, progress: bool = True) -> StudyResult:
        """Run the study end to end and write its outputs into ``out_dir``."""
        raise NotImplementedError(f"{type(self).__name__} must define run()")


def prepare_folder(out_dir, record: dict, *, resume: bool = True) -> Path:
    """Create ``out_dir`` and write ``record`` as its settings; refuse to mix runs.

    The body of :meth:`Study.prepare`, for any run described by a JSON-ready ``record``
    (``study``, ``neuromop_version``, ``settings`` and, optionally, ``inputs``).

    Raises
    ------
    SettingsMismatchError
        ``resume=True`` and the folder holds a run whose record differs.
    """
    out = Path(out_dir)
    if out.exists() and not out.is_dir():
        raise ValueError(f"out_dir must be a folder, got the file {out}")
    path = out / SETTINGS_FILE
    if resume and path.exists():
        try:
            theirs = json.loads(path.read_text())
        except (OSError, ValueError) as exc:
            raise SettingsMismatchError(
                f"{path} is unreadable ({exc}); rerun with --no-resume (resume=False) "
                "to start over, or choose another --out") from None
        if theirs != record:
            raise SettingsMismatchError(
                f"{out} holds a run of other settings ({_differences(theirs, record)}); "
                "rerun with --no-resume (resume=False) to replace it, or choose another "
                "--out")
    out.mkdir(parents=True, exist_ok=True)
    remove_orphans(out)  # temporary files of a killed earlier run
    write_json_atomic(path, record)
    return out


def write_outputs(out: Path, *, study: str, settings: dict, provenance: dict, table: str,
                  summary: dict, started: float, datasets: dict | None = None,
                  frames: dict | None = None, figures: dict | None = None,
                  files: dict | None = None) -> StudyResult:
    """The body of :meth:`Study.finish`: write the shared outputs of a run into ``out``."""
    datasets, frames, figures = dict(datasets or {}), dict(frames or {}), dict(figures or {})
    written = {} if files is None else {k: Path(v) for k, v in files.items()}
    for name, ds in datasets.items():
        for key, value in provenance.items():
            ds.attrs.setdefault(f"study_{key}", value)
        written[name] = save_output(ds, out / f"{name}.nc", source=f"neuromop run {study}",
                                    provenance=provenance)
    for name, frame in frames.items():
        with atomic_path(out / f"{name}.csv") as tmp:
            frame.to_csv(tmp, index=type(frame.index).__name__ != "RangeIndex")
        written[name] = out / f"{name}.csv"
    for name, fig in figures.items():
        written[name] = save_figure(fig, out / f"{name}.png")
    seconds = time.perf_counter() - started
    with atomic_path(out / "table.txt") as tmp:
        tmp.write_text(table + "\n")
    written["table"] = out / "table.txt"
    written["summary"] = write_json_atomic(out / "summary.json", {
        "study": study, "summary": jsonable(summary), "settings": settings,
        "provenance": provenance, "seconds": seconds,
        "files": {k: str(v) for k, v in written.items()}})
    return StudyResult(study=study, settings=settings, table=table, summary=summary,
                       datasets=datasets, frames=frames, files=written, seconds=seconds,
                       provenance=provenance)


def _differences(theirs: dict, mine: dict) -> str:
    a, b = theirs.get("settings", {}), mine["settings"]
    keys = sorted(set(a) | set(b))
    diff = [f"{k}: {a.get(k)!r} there, {b.get(k)!r} now" for k in keys if a.get(k) != b.get(k)]
    for key in ("neuromop_version", "study"):
        if theirs.get(key) != mine[key]:
            diff.insert(0, f"{key}: {theirs.get(key)!r} there, {mine[key]!r} now")
    a, b = theirs.get("inputs", {}), mine.get("inputs", {})
    diff += [f"input {k}: other content" if k in a and k in b else f"input {k}: not in both runs"
             for k in sorted(set(a) | set(b)) if a.get(k) != b.get(k)]
    shown = diff[:4] + ([f"and {len(diff) - 4} more"] if len(diff) > 4 else [])
    return "; ".join(shown) or "unreadable record"


# ---------------------------------------------------------------------- study scripts
@dataclass
class ScriptArgs:
    """Arguments every script in ``analysis/`` takes (a script's ``Args`` derives from it).

    Every field's ``metadata["help"]`` documents it; :func:`script_arguments` turns the fields
    into command-line flags (``--budget``, ``--out``, ``--seed``, ``--no-resume`` ...).
    """

    budget: str = field(default="default", metadata={
        "help": "compute budget: smoke (seconds), default (minutes on 2 cores), paper",
        "choices": BUDGET_NAMES})
    out: str = field(default="results", metadata={"help": "output folder"})
    seed: int | None = field(default=None, metadata={
        "help": "root seed of every random stream (default: the study's)"})
    resume: bool = field(default=True, metadata={
        "help": "resume a run of the same settings in --out", "no": "start over, replacing "
        "the checkpoints and results in --out"})
    progress: bool = field(default=True, metadata={"help": "show progress",
                                                   "no": "hide progress bars"})

    def study_overrides(self) -> dict:
        """The fields a study takes as overrides (``seed`` when given, and the script's own
        fields that are study settings)."""
        base = {f.name for f in dataclasses.fields(ScriptArgs)}
        extra = {f.name: getattr(self, f.name) for f in dataclasses.fields(self)
                 if f.name not in base}
        return {**extra, **({} if self.seed is None else {"seed": self.seed})}


def script_arguments(args_class: type, argv=None, description: str | None = None):
    """Parse ``argv`` into ``args_class``, a :class:`ScriptArgs` dataclass.

    Fields become flags named after them (``n_trials`` -> ``--n-trials``); a field defaulting
    to ``True`` becomes ``--no-<name>`` (its help is ``metadata["no"]``); tuples take one or
    more values of their element type.
    """
    hints = typing.get_type_hints(args_class)
    parser = argparse.ArgumentParser(description=(description or "").strip().splitlines()[0]
                                     if description else None)
    for f in dataclasses.fields(args_class):
        flag = "--" + f.name.replace("_", "-")
        meta = dict(f.metadata)
        default = f.default if f.default is not dataclasses.MISSING else f.default_factory()
        kind = _element_type(hints[f.name])
        if kind is bool and default is True:
            parser.add_argument("--no-" + f.name.replace("_", "-"), dest=f.name,
                                action="store_false", help=meta.get("no", meta.get("help")))
        elif kind is bool:
            parser.add_argument(flag, dest=f.name, action="store_true", help=meta.get("help"))
        else:
            nargs = "+" if _is_tuple(hints[f.name]) else None
            parser.add_argument(flag, dest=f.name, type=kind, nargs=nargs, default=default,
                                choices=meta.get("choices"), help=meta.get("help"))
    ns = parser.parse_args(argv)
    values = {k: tuple(v) if isinstance(v, list) else v for k, v in vars(ns).items()}
    return args_class(**values)


def _is_tuple(hint) -> bool:
    return typing.get_origin(hint) is tuple or any(
        typing.get_origin(a) is tuple for a in typing.get_args(hint))


def _element_type(hint):
    """The scalar type behind ``int | None``, ``tuple[float, ...]`` ... (``str`` by default)."""
    args = [a for a in typing.get_args(hint) if a is not type(None)]
    if typing.get_origin(hint) is tuple:
        return _element_type(args[0]) if args else str
    if args:
        return _element_type(args[0])
    return hint if hint in (int, float, str, bool) else str


def run_script(study_class: type, args_class: type, argv=None, description: str | None = None,
               *, choose=None) -> int:
    """The body of every ``analysis/`` script: parse, build the study, run it, print its table.

    ``choose(overrides) -> study class`` picks the study from the parsed arguments (it may pop
    the arguments it used); by default ``study_class``. Every random stream of the study is
    spawned from its root seed (``--seed``, default the study's): this is the one seeding block.
    """
    args = script_arguments(args_class, argv, description)
    overrides = {k: v for k, v in args.study_overrides().items() if v is not None}
    cls = study_class if choose is None else choose(overrides)
    study = cls.for_budget(args.budget, **overrides)
    result = study.run(args.out, resume=args.resume, progress=args.progress)
    print(result.table)
    return 0


def cached_cell(path, compute, *, label: str = "", progress: bool = False) -> xr.Dataset:
    """The dataset at ``path`` if an earlier run of the same settings wrote it, else
    ``compute()`` written there atomically (``path=None``: no cache). ``label`` is printed with
    the cell's wall time when computed and ``progress`` is on; its ``attrs`` are cleared on
    return (the caller adds the study's provenance)."""
    if path is not None and path.exists():
        ds = xr.load_dataset(path)
    else:
        t0 = time.perf_counter()
        ds = compute()
        if path is not None:
            path.parent.mkdir(parents=True, exist_ok=True)
            with atomic_path(path) as tmp:
                save(ds, tmp, format="netcdf")
        if progress:
            print(f"{label(ds) if callable(label) else label} "
                  f"({time.perf_counter() - t0:.0f} s)", flush=True)
    ds.attrs = {}
    return ds
