"""Build the documentation site (gallery executed at the smoke budget) and check it."""

from __future__ import annotations

import importlib.util
import os
import shutil
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest

ROOT = Path(__file__).resolve().parents[2]
DOCS = ROOT / "docs"

pytestmark = pytest.mark.slow


def _docs_module():
    path = DOCS / "_ext" / "neuromop_docs.py"
    spec = importlib.util.spec_from_file_location("neuromop_docs", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


class _Page(HTMLParser):
    """The ids, links and images of one HTML page."""

    def __init__(self) -> None:
        super().__init__()
        self.ids: set[str] = set()
        self.hrefs: list[str] = []
        self.images: list[str] = []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if attrs.get("id"):
            self.ids.add(attrs["id"])
        if tag == "a" and attrs.get("href"):
            self.hrefs.append(attrs["href"])
        if tag == "img" and attrs.get("src"):
            self.images.append(attrs["src"])


def _parse(path: Path) -> _Page:
    page = _Page()
    page.feed(path.read_text(encoding="utf-8"))
    return page


@pytest.fixture(scope="session")
def site(tmp_path_factory) -> Path:
    """The site, built once per test run (the pytest-xdist workers share one build)."""
    from filelock import FileLock  # a dependency of torch

    root = tmp_path_factory.getbasetemp()
    if os.environ.get("PYTEST_XDIST_WORKER"):
        root = root.parent  # the base directory all workers of this run share
    out = root / "docs_site" / "html"
    result = out.parent / "sphinx_result.txt"
    with FileLock(str(root / "docs_site.lock")):
        if not result.exists():
            env = dict(os.environ, NEUROMOP_BUDGET="smoke", NEUROMOP_DOCS_EXECUTE="force",
                       NEUROMOP_OUTPUT=str(out.parent / "outputs"))
            proc = subprocess.run(
                [sys.executable, "-m", "sphinx", "-W", "--keep-going", "-q", "-b", "html",
                 str(DOCS), str(out)], cwd=ROOT, env=env, capture_output=True, text=True,
                timeout=1800)
            result.write_text(f"{proc.returncode}\n{proc.stdout[-3000:]}\n{proc.stderr[-6000:]}",
                              encoding="utf-8")
    code, _, log = result.read_text(encoding="utf-8").partition("\n")
    assert code == "0", f"sphinx failed:\n{log}"
    return out


def test_internal_links_resolve(site: Path) -> None:
    pages = {p: _parse(p) for p in site.rglob("*.html")}
    broken = []
    for path, page in pages.items():
        for href in page.hrefs:
            parts = urlsplit(href)
            if parts.scheme or parts.netloc or href.startswith(("mailto:", "javascript:")):
                continue
            target = (path.parent / unquote(parts.path)).resolve() if parts.path else path
            if not target.exists():
                broken.append(f"{path.relative_to(site)} -> {href}")
            elif parts.fragment and target.suffix == ".html":
                ids = pages[target].ids if target in pages else _parse(target).ids
                if unquote(parts.fragment) not in ids:
                    broken.append(f"{path.relative_to(site)} -> {href} (no anchor)")
    assert not broken, "broken internal links:\n" + "\n".join(broken[:50])


def test_every_public_name_has_an_api_anchor(site: Path) -> None:
    docs = _docs_module()
    missing = []
    for room in docs.ROOMS:
        page = site / f"{docs.page(room)}.html"
        assert page.exists(), f"no API page for neuromop.{room}"
        for name in docs.public_names(room):
            owner_page = site / f"{docs.page(docs.owner(room, name))}.html"
            if docs.anchor(room, name) not in _parse(owner_page).ids:
                missing.append(f"neuromop.{room}.{name} (#{docs.anchor(room, name)})")
    assert not missing, "public names without an API entry:\n" + "\n".join(missing)


def _data_available() -> bool:
    return Path(os.environ.get("NEUROMOP_DATA") or ROOT.parent / "shared" / "datasets").is_dir()


def test_every_gallery_page_has_a_figure(site: Path) -> None:
    docs = _docs_module()
    data = _data_available()
    pages = [f"gallery/{nb.stem}" for nb in docs.gallery_notebooks(data)]
    pages += [f"gallery/studies/{name}" for name in docs.gallery_studies(data)]
    assert pages
    without = [p for p in pages if not _parse(site / f"{p}.html").images]
    assert not without, f"gallery pages without a figure: {without}"


def test_every_study_has_a_gallery_page(site: Path) -> None:
    """Each study of the registry runs on a notebook's page or on its own generated page."""
    from neuromop.studies import STUDIES

    docs = _docs_module()
    data = _data_available()
    notebooks = {nb.stem for nb in docs.gallery_notebooks(data)}
    shown = {s for nb, studies in docs.NOTEBOOK_STUDIES.items() if nb in notebooks
             for s in studies}
    shown |= {name for name in docs.gallery_studies(data)
              if (site / "gallery" / "studies" / f"{name}.html").exists()}
    slow = os.environ.get("NEUROMOP_DOCS_ALL_STUDIES", "0") != "1"
    expected = {n for n in STUDIES if (data or n not in docs.STUDIES_NEEDING_DATA)
                and not (slow and n in docs.SLOW_STUDIES)}
    # an umbrella study is shown by the pages of the studies it runs
    from neuromop.studies import MOPFiguresStudy

    assert docs.UMBRELLA_STUDIES == (MOPFiguresStudy.name,)
    runs = {s.name for s in MOPFiguresStudy(figure="all").studies()}
    shown |= {MOPFiguresStudy.name} if runs <= shown else set()
    assert expected <= shown, f"studies without a gallery page: {sorted(expected - shown)}"


def _chromium() -> str | None:
    return next((shutil.which(n) for n in ("chromium", "chromium-browser", "google-chrome")
                 if shutil.which(n)), None)


@pytest.mark.parametrize("page", ["index.html", "gallery/neuromop_tasks.html"])
def test_screenshot(site: Path, page: str, tmp_path: Path) -> None:
    browser = _chromium()
    if browser is None:
        pytest.skip("no chromium found for the headless screenshot")
    png = tmp_path / (page.replace("/", "_") + ".png")
    proc = subprocess.run(
        [browser, "--headless", "--no-sandbox", "--disable-gpu", f"--screenshot={png}",
         "--window-size=1280,2000", (site / page).as_uri()],
        capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0 and png.stat().st_size > 20_000, proc.stderr[-2000:]
