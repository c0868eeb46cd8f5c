"""Sphinx extension of the neuromop site: writes the API pages and the gallery sources.

The API reference is generated from ``__all__`` of every room (``neuromop.<room>``), so a
public name cannot be missing from the site. A name a room re-exports from a lower room
(``neuromop.mdp.four_rooms`` is ``neuromop.mdp.worlds.four_rooms``) is documented once, in
the lowest room that exports it, and listed in the summary of the other. The gallery pages
are the jupytext notebooks of ``notebooks/``, copied next to ``gallery/index.md`` and executed
by myst-nb at ``NEUROMOP_BUDGET`` (``smoke`` unless set).
"""

from __future__ import annotations

import importlib
import inspect
import os
import re
import shutil
import textwrap
from pathlib import Path

DOCS = Path(__file__).resolve().parents[1]
ROOT = DOCS.parent
NOTEBOOKS = ROOT / "notebooks"

#: The rooms of the floor plan (top down), each with the title of its API page.
ROOMS: dict[str, str] = {
    "studies": "End-to-end studies",
    "fit": "Models fitted to data",
    "plots": "Figures",
    "control": "Controllers",
    "envs": "Environments",
    "envs.spiking": "The Brian2 spiking wing",
    "analysis": "Variability analysis",
    "values": "Soft versus true values",
    "mdp": "Finite MDPs",
    "mdp.worlds": "Worlds of the MOP paper",
    "data": "Data: schema, I/O, spikes, simulators",
    "data.loaders": "Loaders",
}

#: Notebooks that need the recorded datasets (``../shared/datasets`` or ``$NEUROMOP_DATA``).
NEEDS_DATA = ("ofc_rnn_fit", "ofc_variability", "values_ofc")


def public_names(room: str) -> list[str]:
    """``__all__`` of ``neuromop.<room>`` (and, for ``plots``, of its figure modules)."""
    module = importlib.import_module(f"neuromop.{room}")
    names = list(module.__all__)
    if room == "plots":
        for sub in submodules(room):
            names += [n for n in getattr(importlib.import_module(sub), "__all__", [])
                      if n not in names]
    return names


def submodules(room: str) -> list[str]:
    """The public modules of a room (not sub-packages that are rooms of their own)."""
    import pkgutil

    module = importlib.import_module(f"neuromop.{room}")
    return [f"neuromop.{room}.{info.name}" for info in pkgutil.iter_modules(module.__path__)
            if not info.name.startswith("_") and f"{room}.{info.name}" not in ROOMS]


def _resolve(room: str, name: str):
    module = importlib.import_module(f"neuromop.{room}")
    if hasattr(module, name):
        return getattr(module, name)
    for sub in submodules(room):
        mod = importlib.import_module(sub)
        if name in getattr(mod, "__all__", []):
            return getattr(mod, name)
    raise AttributeError(f"neuromop.{room} has no public name {name!r}")


def owner(room: str, name: str) -> str:
    """The room whose API page documents ``neuromop.<room>.<name>`` (the lowest exporting it)."""
    obj = _resolve(room, name)
    for other in ROOMS:
        if other.startswith(room + ".") and name in public_names(other):
            if _resolve(other, name) is obj:
                return owner(other, name)
    return room


def home_module(room: str, name: str) -> str:
    """The module whose section of the API page documents a public name of a room."""
    room = owner(room, name)
    obj = _resolve(room, name)
    module = getattr(obj, "__module__", None) if (inspect.isclass(obj) or callable(obj)) else None
    if module in submodules(room):
        return module
    for sub in submodules(room):  # constants: the public module that exports them
        if name in getattr(importlib.import_module(sub), "__all__", []):
            return sub
    return f"neuromop.{room}"


def anchor(room: str, name: str) -> str:
    """The HTML anchor (``id``) of a public name of a room, on the page of :func:`owner`."""
    return f"{home_module(room, name)}.{name}"


def page(room: str) -> str:
    """The API page file (relative to the site root, without suffix) of a room."""
    return f"api/neuromop.{room}"


def _data(target: str, obj) -> str:
    value = " ".join(repr(obj).split())
    value = value if len(value) <= 70 else value[:67] + "..."
    module, name = target.rsplit(".", 1)
    return (f".. py:data:: {name}\n   :module: {module}\n\n"
            f"   A constant: ``{value}`` (``{type(obj).__name__}``).\n")


def _class(target: str, obj) -> str:
    """An ``autoclass`` (or ``autoexception``) with its members, including the public methods
    it inherits from private neuromop bases (``_ChoiceModel.fit``), which no page documents."""
    kind = "autoexception" if issubclass(obj, BaseException) else "autoclass"
    lines = [f".. {kind}:: {target}", "   :members:"]
    private = [b for b in obj.__mro__[1:]
               if b.__module__.startswith("neuromop") and b.__name__.startswith("_")]
    if private:
        others = [b.__name__ for b in obj.__mro__[1:] if b not in private]
        lines.append(f"   :inherited-members: {', '.join(others)}")
    return "\n".join(lines) + "\n"


def _room_level(room: str, name: str) -> str:
    """Names a room defines in its ``__init__`` or in a private module."""
    obj = _resolve(room, name)
    target = f"neuromop.{room}.{name}"
    if inspect.isclass(obj):
        return _class(target, obj)
    if callable(obj):
        return f".. autofunction:: {target}\n"
    return _data(target, obj)


def _module_section(module_name: str) -> list[str]:
    """A public module: its docstring and every name of its ``__all__``."""
    module = importlib.import_module(module_name)
    title = f"``{module_name}``"
    lines = [title, "~" * len(title), "", f".. automodule:: {module_name}", "   :no-members:", ""]
    for name in getattr(module, "__all__", []):
        obj = getattr(module, name)
        target = f"{module_name}.{name}"
        if inspect.isclass(obj):
            lines += [_class(target, obj)]
        elif callable(obj):
            lines += [f".. autofunction:: {target}", ""]
        else:
            lines += [_data(target, obj)]
    return lines


def room_page(room: str) -> str:
    """The reStructuredText of a room's API page."""
    title = f"``neuromop.{room}`` -- {ROOMS[room]}"
    lines = [f".. _api-{room}:", "", title, "=" * len(title), "",
             f".. automodule:: neuromop.{room}", "   :no-members:", "",
             ".. py:currentmodule:: None", "",
             "Summary", "-------", "",
             f"The public names of ``neuromop.{room}`` (its ``__all__``); import them from "
             "the room.", "", ".. autosummary::", "   :nosignatures:", ""]
    names = public_names(room)
    lines += [f"   ~{anchor(room, n)}" for n in names] + [""]
    subs = submodules(room)
    lines += ["Modules", "-------", ""]
    top = [n for n in names if owner(room, n) == room and home_module(room, n) not in subs]
    if top:
        lines += [f"``neuromop.{room}``", "~" * (len(room) + 13), ""]
        lines += [_room_level(room, n) for n in top]
    for sub in subs:
        lines += _module_section(sub)
    return "\n".join(lines) + "\n"


def _write_if_changed(path: Path, text: str) -> None:
    if not path.exists() or path.read_text(encoding="utf-8") != text:
        path.write_text(text, encoding="utf-8")


def write_api_pages() -> list[str]:
    """Write ``api/neuromop.<room>.rst`` for every room; return the page names."""
    (DOCS / "api").mkdir(exist_ok=True)
    for room in ROOMS:
        _write_if_changed(DOCS / f"{page(room)}.rst", room_page(room))
    return [page(room) for room in ROOMS]


def gallery_notebooks(data_available: bool) -> list[Path]:
    """The notebooks of the gallery (those needing recordings only when they are present)."""
    return [p for p in sorted(NOTEBOOKS.glob("*.py"))
            if data_available or p.stem not in NEEDS_DATA]


def write_study_pages(data_available: bool) -> list[str]:
    """Write ``gallery/studies/<name>.py`` for every study of :func:`gallery_studies`
    (removing stale pages); return the page names."""
    folder = DOCS / "gallery" / "studies"
    folder.mkdir(exist_ok=True)
    names = gallery_studies(data_available)
    for old in folder.glob("*.py"):
        if old.stem not in names:
            old.unlink()
    for name in names:
        _write_if_changed(folder / f"{name}.py", study_page(name))
    return [f"gallery/studies/{name}" for name in names]


def write_gallery(data_available: bool) -> list[str]:
    """Copy the notebooks into ``gallery/`` (removing stale copies); return the page names."""
    keep = gallery_notebooks(data_available)
    for old in (DOCS / "gallery").glob("*.py"):
        if old.name not in {p.name for p in keep}:
            old.unlink()
    for nb in keep:
        target = DOCS / "gallery" / nb.name
        if not target.exists() or target.read_bytes() != nb.read_bytes():
            shutil.copyfile(nb, target)
    return [f"gallery/{p.stem}" for p in keep]


#: The studies each notebook of ``notebooks/`` runs (their figures and tables are on its page).
NOTEBOOK_STUDIES: dict[str, tuple[str, ...]] = {
    "neuromop_tasks": ("energy", "square", "shapes", "reward", "corridor", "cartpole",
                       "beta-sweep"),
    "spiking_variability": ("spiking-energy",),
    "tabular_mop": ("four-rooms", "noisy-tv", "agent-pet"),
}

#: Studies that read the recorded datasets: their pages are built only when these are present.
STUDIES_NEEDING_DATA = ("ibl-choice-models", "ofc-rnn", "values-ofc", "hypothesis")

#: Studies too slow for the default build (minutes at the smoke budget): their pages are built
#: only with ``NEUROMOP_DOCS_ALL_STUDIES=1`` (``spiking-designs`` alone takes ~4 min on 2 cores,
#: which would take the docs test over its time budget).
SLOW_STUDIES = ("spiking-designs",)

#: Studies that only run other studies (each of which has its own page): no page of their own.
UMBRELLA_STUDIES = ("mop-figures",)

#: Titles of the generated study pages (the registry name when missing).
STUDY_TITLES: dict[str, str] = {
    "predator-prey": "Predator and prey: MOP, R and random mice against the cat",
    "spiking-designs": "Spiking action designs: how MOP's entropy reaches the spike counts",
    "value-recovery": "Value models: parameter recovery and ground truth",
    "variability-dask": "Variability metrics on a dataset larger than memory (dask)",
    "ibl-choice-models": "Choice models of the IBL mice",
    "ofc-rnn": "Rate RNNs fitted to OFC, driven by free / MOP / R controllers",
    "hypothesis": "The variability hypothesis on the OFC recordings: free / random / MOP / R",
    "values-ofc": "Soft versus true value in the OFC sessions",
}

#: Figures drawn on the page from ``result`` for the studies whose run writes no PNG
#: (``result.summary`` or ``result.frames``); a page must show a figure.
STUDY_FIGURES: dict[str, str] = {
    "value-recovery": """\
import matplotlib.pyplot as plt

s = result.summary
recovery = {k[:-2]: v for k, v in s["parameter_recovery"].items() if k.endswith("_r")}
picks = {k: v for k, v in s["model_comparison"].items() if "/" in k}
truth = {k: v["correct_rate"] for k, v in s["ground_truth"].items()}
fig, axes = plt.subplots(1, 3, figsize=(15, 4), constrained_layout=True)
for ax, values, title in zip(axes, (recovery, picks, truth), (
        "parameter recovery: r(true, fitted)", "BIC picks the generating logit form",
        "verdicts: fraction correct")):
    ax.barh(list(values), list(values.values()), color="C0")
    ax.set_xlim(0, 1.05)
    ax.set_title(title)
plt.show()
""",
    "ibl-choice-models": """\
import matplotlib.pyplot as plt

table = result.frames["choice_models"]
table = table.set_index("model") if "model" in table.columns else table
fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(12, 3.5), constrained_layout=True)
ax1.barh(table.index, table["cv_loglik_per_trial"], color="C0")
ax1.set(title="held-out log-likelihood per trial (higher is better)")
ax2.barh(table.index, table["delta_bic"], color="C1")
ax2.set(title="delta BIC (0 = best)")
plt.show()
""",
    "variability-dask": """\
import matplotlib.pyplot as plt

s = result.summary
fano = s["fano_factor_over_time"]
fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(12, 4), constrained_layout=True)
ax1.plot(range(len(fano)), fano, "o-", label="measured")
ax1.axhline(s["fano_factor_expected"], color="k", ls="--", label="expected")
ax1.set(xlabel="time bin", ylabel="Fano factor", title="Fano factor over time")
ax1.legend()
pr = {"naive": s["participation_ratio_per_bin_naive"],
      "corrected": s["participation_ratio_per_bin_corrected"]}
ax2.bar(list(pr), list(pr.values()), color="C0")
ax2.axhline(s["sizes"]["neuron"], color="k", ls="--", label="neurons (independent)")
ax2.set(ylabel="participation ratio per bin", title="Participation ratio")
ax2.legend()
plt.show()
""",
    "spiking-designs": """\
import matplotlib.pyplot as plt

runs = result.frames["runs"]
metrics = {"lifetime_s": "lifetime (s)", "action_entropy": "action entropy (nats)",
           "fano_factor": "Fano factor", "participation_ratio": "participation ratio",
           "r_sc": "spike-count correlation"}
means = runs.groupby(["design", "controller"], sort=False)[list(metrics)].mean()
fig, axes = plt.subplots(1, len(metrics), figsize=(18, 3.5), constrained_layout=True)
for ax, (key, label) in zip(axes, metrics.items()):
    means[key].unstack("controller").plot.bar(ax=ax, rot=0, legend=ax is axes[0])
    ax.set(title=label, xlabel="")
fig.suptitle(f"free / MOP / R per design (mean over {runs['seed'].nunique()} seed(s))")
plt.show()
""",
    "ofc-rnn": """\
import matplotlib.pyplot as plt

metrics = {"fano_factor": "Fano factor", "participation_ratio": "participation ratio",
           "r_sc": "spike-count correlation"}
for session in result.summary["sessions"]:
    var = session["variability"]
    fig, axes = plt.subplots(1, 3, figsize=(15, 4), constrained_layout=True)
    for ax, (key, label) in zip(axes, metrics.items()):
        ax.barh(list(var), [v[key] for v in var.values()], color="C0")
        ax.set_title(label)
    fig.suptitle(f"session {session['session']}: recorded trials vs RNN rollouts")
    plt.show()
""",
}


def gallery_studies(data_available: bool, all_studies: bool | None = None) -> list[str]:
    """The studies with a generated gallery page: those no notebook runs (the ones reading
    recordings only when they are present; :data:`SLOW_STUDIES` only when ``all_studies``,
    by default ``NEUROMOP_DOCS_ALL_STUDIES=1``)."""
    from neuromop.studies import STUDIES

    if all_studies is None:
        all_studies = os.environ.get("NEUROMOP_DOCS_ALL_STUDIES", "0") == "1"
    covered = {s for studies in NOTEBOOK_STUDIES.values() for s in studies}
    return [name for name in STUDIES if name not in covered
            and name not in UMBRELLA_STUDIES
            and (data_available or name not in STUDIES_NEEDING_DATA)
            and (all_studies or name not in SLOW_STUDIES)]


_ROLE = re.compile(r":(?:py:)?(\w+):`")


def _markdown_comment(text: str) -> str:
    return "\n".join(f"# {line}".rstrip() for line in text.splitlines())


def study_page(name: str) -> str:
    """The jupytext percent notebook of a study's gallery page: run at ``NEUROMOP_BUDGET``,
    then its settings, tables and figures."""
    from neuromop.studies import STUDIES

    cls = STUDIES[name]
    doc = inspect.getdoc(importlib.import_module(cls.__module__)) or ""
    intro = _ROLE.sub(r"{py:\1}`", doc.split("\n\n")[0])  # reST roles as MyST roles
    title = STUDY_TITLES.get(name, name)
    cells = [
        "# ---\n# jupyter:\n#   jupytext:\n#     text_representation:\n"
        "#       extension: .py\n#       format_name: percent\n# ---",
        "# %% [markdown]\n" + _markdown_comment(
            f"# {title}\n\n{intro}\n\n" + textwrap.fill(
                f"This page runs the study {{py:class}}`~{cls.__module__}.{cls.__name__}` "
                f"(`neuromop run {name}`) at the budget in `NEUROMOP_BUDGET` (`smoke` on this "
                "site: small sizes, so the numbers show what the study produces, not its "
                "results) and shows the tables and figures it wrote.", 96,
                break_on_hyphens=False, break_long_words=False)),
        f'''# %%
import json
import os
import tempfile
from pathlib import Path

from IPython.display import Image, Markdown, display

from neuromop.studies import STUDIES

NAME = {name!r}
BUDGET = os.environ.get("NEUROMOP_BUDGET", "smoke")
OUT = Path(os.environ.get("NEUROMOP_OUTPUT") or tempfile.mkdtemp()) / "studies" / NAME
study = STUDIES[NAME].for_budget(BUDGET)
result = study.run(OUT, resume=False, progress=False)
print(f"neuromop run {{NAME}} --budget {{BUDGET}}: {{result.seconds:.1f}} s")''',
        "# %% [markdown]\n# ## Settings",
        '''# %%
def cell(value) -> str:
    text = json.dumps(value)
    text = text if len(text) <= 90 else text[:87] + "..."
    return "`" + text.replace("|", "\\\\|") + "`"


display(Markdown("| setting | value |\\n|---|---|\\n" + "\\n".join(
    f"| `{key}` | {cell(value)} |" for key, value in result.settings.items())))''',
        "# %% [markdown]\n# ## Tables\n#\n"
        "# The table the command prints (`table.txt`), then the Markdown reports the study\n"
        "# wrote (or, when it wrote none, its CSV tables).",
        '''# %%
def demote(text: str) -> str:
    """Headings of a written report as bold lines (the page keeps its own outline)."""
    return "\\n".join(f"**{line.lstrip('#').strip()}**" if line.startswith("#") else line
                     for line in text.splitlines())


display(Markdown("```text\\n" + result.table + "\\n```"))
reports = sorted(OUT.rglob("*.md"))
for path in reports:
    display(Markdown(f"`{path.relative_to(OUT)}`\\n\\n" + demote(path.read_text())))
if not reports:  # no written report: the tabular results (its CSV files) as tables
    for key, frame in result.frames.items():
        display(Markdown(f"`{key}.csv`"), frame)''',
        "# %% [markdown]\n# ## Figures",
    ]
    if name in STUDY_FIGURES:
        cells[-1] += "\n#\n# The study writes no figure: this one is drawn from its results."
        cells.append("# %%\n" + STUDY_FIGURES[name].rstrip())
    cells.append('''# %%
for path in sorted(OUT.rglob("*.png")):
    display(Markdown(f"`{path.relative_to(OUT)}`"))
    display(Image(filename=str(path)))''')
    return "\n\n".join(cells) + "\n"


def read_notebook(text: str):
    """Read a jupytext percent notebook, with the Python kernel it runs on."""
    import jupytext

    nb = jupytext.reads(text, fmt="py:percent")
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3",
                                 "language": "python"}
    nb.metadata["language_info"] = {"name": "python", "pygments_lexer": "ipython3"}
    return nb


_SKIP = re.compile(r"set_\w+_request|get_metadata_routing")


def _skip_member(app, what, name, obj, skip, options):
    """scikit-learn's metadata-routing methods are not neuromop's API."""
    return True if _SKIP.fullmatch(name) else None


def _import_target(target: str, contexts: list[str]):
    """The object a dotted Python reference names, tried relative to each context first."""
    for dotted in [f"{c}.{target}" for c in contexts if c] + [target]:
        parts = dotted.split(".")
        for cut in range(len(parts), 0, -1):
            try:
                obj = importlib.import_module(".".join(parts[:cut]))
            except ImportError:
                continue
            try:
                for attr in parts[cut:]:
                    obj = getattr(obj, attr)
            except AttributeError:
                break
            return obj
    return None


def _documented(obj, domain) -> str | None:
    """The documented name of ``obj``: its defining place, or a base class documenting it."""
    module = getattr(obj, "__module__", None)
    qualname = getattr(obj, "__qualname__", None)
    if not module or not qualname or not module.startswith("neuromop"):
        return None
    if f"{module}.{qualname}" in domain.objects:
        return f"{module}.{qualname}"
    owner_name, _, attr = qualname.rpartition(".")
    cls = _import_target(owner_name, [module]) if owner_name else None
    for base in getattr(cls, "__mro__", ())[1:]:  # an override documented in a base class
        name = f"{base.__module__}.{base.__qualname__}.{attr}"
        if name in domain.objects:
            return name
    return None


def _resolve_alias(app, env, node, contnode):
    """Resolve a neuromop reference Sphinx's Python domain missed.

    A re-exported name (``neuromop.envs.SpikingVectorEnv``) goes to the place it is documented
    (``neuromop.envs.spiking.env.SpikingVectorEnv``), an inherited method (``:meth:`step``` in
    a subclass) to the base class documenting it, and a short name (``:class:`SpikeTable```
    in a summary line) to the unique documented object whose name ends with it.
    """
    if node.get("refdomain") != "py":
        return None
    target = node["reftarget"].lstrip("~.")
    module = node.get("py:module") or ""
    cls = node.get("py:class") or ""
    if not target.startswith("neuromop") and not module.startswith("neuromop") and (
            module or not node["refdoc"].startswith("api/")):
        return None
    domain = env.get_domain("py")
    contexts = [f"{module}.{cls}" if module and cls else "", module]
    canonical = _documented(_import_target(target, contexts), domain)
    if canonical is None:
        # A short name, or a re-exported constant (``neuromop.envs.SHAPES``): the unique match.
        prefix, _, name = target.rpartition(".")
        short = prefix.startswith("neuromop")
        found = domain.find_obj(env, None if short else module or None, None if short else
                                cls or None, name if short else target, node["reftype"], 1)
        matches = [n for n, _ in found if n.startswith(f"{prefix}." if short else "neuromop")]
        if len(matches) != 1:
            return None
        canonical = matches[0]
    return domain.resolve_xref(env, node["refdoc"], app.builder, node["reftype"], canonical,
                               node, contnode)


_LITERAL = re.compile(r"(``.*?``|`[^`]*`)")


def _escape_bars(app, what, name, obj, options, lines):
    """Plain-text formulas such as ``p(s'|s,a)`` or ``|x|`` in docstrings are not
    reStructuredText substitutions: escape their bars (outside literals and tables)."""
    for i, line in enumerate(lines):
        if "|" not in line or line.lstrip().startswith(("|", "+")):
            continue
        parts = _LITERAL.split(line)
        lines[i] = "".join(part if k % 2 else re.sub(r"(?<!\\)\|", r"\\|", part)
                           for k, part in enumerate(parts))


def setup(app) -> dict:
    """Sphinx entry point (the pages are written when ``conf.py`` is read)."""
    app.connect("autodoc-skip-member", _skip_member)
    app.connect("autodoc-process-docstring", _escape_bars)
    app.connect("missing-reference", _resolve_alias)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
