"""Sphinx configuration of the neuromop site (build: see ``docs/README.md``)."""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

DOCS = Path(__file__).resolve().parent
ROOT = DOCS.parent
sys.path.insert(0, str(DOCS / "_ext"))
sys.path.insert(0, str(ROOT))

import neuromop_docs  # noqa: E402

from neuromop import __version__  # noqa: E402

project = "neuromop"
author = "neuromop developers"
copyright = "neuromop developers"
version = release = __version__

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "sphinx.ext.mathjax",
    "numpydoc",
    "myst_nb",
    "neuromop_docs",
]

# -- sources ---------------------------------------------------------------------------------
# The gallery pages are the jupytext percent notebooks of notebooks/, copied into gallery/.
source_suffix = {".rst": "restructuredtext", ".md": "myst-nb", ".py": "myst-nb"}
nb_custom_formats = {".py": ["neuromop_docs.read_notebook", {}]}
exclude_patterns = ["_build", "_ext", "conf.py", "README.md", "**/.ipynb_checkpoints"]
root_doc = "index"

# -- the gallery: executed at a small budget -------------------------------------------------
# NEUROMOP_BUDGET (smoke unless set) is what the notebooks read; the kernel inherits it.
os.environ.setdefault("NEUROMOP_BUDGET", "smoke")
os.environ.setdefault("NEUROMOP_OUTPUT", tempfile.mkdtemp(prefix="neuromop_docs_"))
_data = Path(os.environ.get("NEUROMOP_DATA") or ROOT.parent / "shared" / "datasets")
DATA_AVAILABLE = _data.is_dir()
if DATA_AVAILABLE:
    os.environ["NEUROMOP_DATA"] = str(_data)
# Figures are drawn inline: a non-interactive MPLBACKEND (Agg) would hide them from the kernel.
if os.environ.get("MPLBACKEND", "").lower() == "agg":
    os.environ["MPLBACKEND"] = "module://matplotlib_inline.backend_inline"
# tqdm.auto in a kernel without ipywidgets warns once per page (its text bar is fine).
_quiet = "ignore:IProgress not found:Warning"
os.environ["PYTHONWARNINGS"] = ",".join(filter(None, [os.environ.get("PYTHONWARNINGS"), _quiet]))
nb_execution_mode = os.environ.get("NEUROMOP_DOCS_EXECUTE", "cache")
nb_execution_timeout = 1800
nb_execution_raise_on_error = True
nb_execution_show_tb = True
nb_merge_streams = True
# Markdown outputs (the study pages' tables, IPython.display.Markdown) are parsed as MyST:
# CommonMark, myst-nb's default, has no tables.
nb_render_markdown_format = "myst"
myst_enable_extensions = ["dollarmath", "colon_fence"]
myst_heading_anchors = 3

# -- API reference ---------------------------------------------------------------------------
autosummary_generate = False
autodoc_typehints = "none"          # the numpydoc Parameters sections carry the types
autodoc_member_order = "bysource"
numpydoc_show_class_members = False
numpydoc_class_members_toctree = False
numpydoc_xref_param_type = False
numpydoc_validation_checks: set[str] = set()

# -- warnings are errors, every cross-reference resolves ---------------------------------------
nitpicky = True
# Only third-party names: there is no network for intersphinx inventories at build time.
nitpick_ignore_regex = [
    (r"py:.*", r"(numpy|np|xarray|xr|pandas|pd|torch|scipy|sklearn|brian2|gymnasium|gym|dask|"
               r"matplotlib|neo|pynapple|nap|pynwb|quantities|pq|zarr|h5py|elephant|tqdm|"
               r"argparse|pathlib|collections|typing|numbers|os|io|json|dataclasses|"
               r"concurrent|threading|multiprocessing|datetime|functools)(\..*)?"),
]

# -- HTML ------------------------------------------------------------------------------------
html_theme = "pydata_sphinx_theme"
html_title = f"neuromop {release}"
html_static_path = ["_static"]
html_css_files = ["neuromop.css"]
html_theme_options = {
    "navigation_depth": 2,
    "show_toc_level": 2,
    "secondary_sidebar_items": ["page-toc"],
}
html_show_sourcelink = False
# Gallery pages without the left navigation (the gallery index lists them): room for figures.
html_sidebars = {"gallery/*": [], "gallery/studies/*": []}


# Generated pages (git-ignored): the API reference from __all__, the gallery from notebooks/
# and one page per study no notebook runs (gallery/studies/).
API_PAGES = neuromop_docs.write_api_pages()
GALLERY_PAGES = neuromop_docs.write_gallery(DATA_AVAILABLE)
STUDY_PAGES = neuromop_docs.write_study_pages(DATA_AVAILABLE)
