"""The floor plan holds: imports only point down the layers, no import circles, one name per idea.

The layers (DESIGN.md, "Layout"), from the top down::

    cli -> studies -> fit, plots -> control, envs, analysis, values -> mdp, data -> private helpers

An import may point down the list or sideways within a layer, never up; the folder graph and
the module graph (imports inside functions included) have no cycle. Within a package, modules
import from the module that defines a name, not from the package's ``__init__``.
"""

from __future__ import annotations

import ast
import dataclasses
import importlib
import inspect
import pkgutil
from collections import defaultdict
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "neuromop"

#: Layer of each top-level room of the package (smaller = higher).
LAYERS = {"__main__": 0, "cli": 1, "studies": 2, "fit": 3, "plots": 3, "control": 4, "envs": 4,
          "analysis": 4, "values": 4, "mdp": 5, "data": 5, "_checks": 6, "_io": 6,
          "_provenance": 6, "_random": 6, "_intervals": 6, "_replicates": 6, "_recursions": 6,
          "_latent_noise": 6, "_probit_fit": 6,
          "_version": 7, "__init__": 0}


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(parts)


MODULES = {_module_name(p): p for p in sorted(PACKAGE.rglob("*.py"))}


def _room(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else "__init__"


def _resolve(module: str, name: str | None) -> str:
    """The module an ``import`` statement depends on (a submodule when ``name`` is one)."""
    if name is not None and f"{module}.{name}" in MODULES:
        return f"{module}.{name}"
    return module


def _imports() -> dict[str, set[str]]:
    graph: dict[str, set[str]] = defaultdict(set)
    for module, path in MODULES.items():
        tree = ast.parse(path.read_text())
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and node.level == 0 and node.module and (
                    node.module == "neuromop" or node.module.startswith("neuromop.")):
                for alias in node.names:
                    graph[module].add(_resolve(node.module, alias.name))
            elif isinstance(node, ast.Import):
                for alias in node.names:
                    if alias.name.startswith("neuromop"):
                        graph[module].add(alias.name)
        graph[module].discard(module)
    return graph


GRAPH = _imports()


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Every strongly connected component with more than one node (Tarjan)."""
    index, low, stack, on, out = {}, {}, [], set(), []

    def visit(v):
        index[v] = low[v] = len(index)
        stack.append(v)
        on.add(v)
        for w in graph.get(v, ()):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                out.append(sorted(comp))

    for v in list(graph):
        if v not in index:
            visit(v)
    return out


def test_every_room_has_a_layer():
    assert {_room(m) for m in MODULES} <= set(LAYERS)


def test_no_import_runs_back_up_the_layers():
    upward = [f"{m} -> {t}" for m, targets in GRAPH.items() for t in targets
              if LAYERS[_room(t)] < LAYERS[_room(m)]]
    assert upward == []


def test_no_circle_between_modules():
    assert _cycles(GRAPH) == []


def test_no_circle_between_folders():
    rooms: dict[str, set[str]] = defaultdict(set)
    for m, targets in GRAPH.items():
        rooms[_room(m)] |= {_room(t) for t in targets if _room(t) != _room(m)}
    assert _cycles(rooms) == []


def test_no_folder_holds_more_than_a_sixth_of_the_code():
    lines: dict[Path, int] = defaultdict(int)
    for path in MODULES.values():
        lines[path.parent] += len(path.read_text().splitlines())
    total = sum(lines.values())
    share = {str(folder.relative_to(ROOT)): n / total for folder, n in lines.items()}
    assert max(share.values()) < 1 / 6, share


def test_modules_stay_small():
    big = {m: n for m, p in MODULES.items() if (n := len(p.read_text().splitlines())) > 650}
    assert big == {}


# ---------------------------------------------------------------------- one name per idea
def _public_callables():
    """(qualified name, function, owning class or None) of every public function and method."""
    for info in pkgutil.walk_packages([str(PACKAGE)], prefix="neuromop."):
        if info.name.startswith("neuromop.cli") or info.name.endswith("__main__"):
            continue  # CLI flags are named for users (--seed); __main__ runs the CLI
        module = importlib.import_module(info.name)
        for name, obj in vars(module).items():
            if name.startswith("_") or getattr(obj, "__module__", None) != info.name:
                continue
            if inspect.isfunction(obj):
                yield f"{info.name}.{name}", obj, None
            elif inspect.isclass(obj):
                yield f"{info.name}.{name}", obj.__init__, obj
                for attr, member in vars(obj).items():
                    if inspect.isfunction(member) and not attr.startswith("_"):
                        yield f"{info.name}.{name}.{attr}", member, obj


def test_library_signatures_take_random_state_not_seed():
    # seed is only for CLI flags, study configurations (and their scripts' arguments) and
    # Gymnasium's reset(seed=)
    from neuromop.studies import Study
    from neuromop.studies.protocol import ScriptArgs

    offenders = []
    for qualname, func, owner in _public_callables():
        names = [p for p in inspect.signature(func).parameters
                 if p == "seed" or p.endswith("_seed")]
        config = owner is not None and issubclass(owner, Study | ScriptArgs)
        if names and not qualname.endswith(".reset") and not config:
            offenders.append(f"{qualname}({', '.join(names)})")
    assert offenders == []


def test_no_hand_seeded_torch_generators():
    hand = [str(p.relative_to(ROOT)) for p in MODULES.values()
            if "Generator().manual_seed" in p.read_text()]
    assert hand == []


@pytest.mark.parametrize("package", ["analysis", "control", "envs", "envs.spiking", "fit",
                                     "values", "mdp", "data", "studies", "plots"])
def test_every_exported_name_exists(package):
    module = importlib.import_module(f"neuromop.{package}")
    missing = [name for name in module.__all__ if not hasattr(module, name)]
    assert missing == []


def test_studies_follow_one_protocol():
    from neuromop.studies import STUDIES, Study, StudyResult

    for name, cls in STUDIES.items():
        assert issubclass(cls, Study) and dataclasses.is_dataclass(cls), name
        assert cls.name == name
        assert set(cls.BUDGETS) == {"smoke", "default", "paper"}, name
        assert inspect.signature(cls.run).return_annotation in (StudyResult, "StudyResult"), name
        for budget in cls.BUDGETS:
            assert cls.for_budget(budget).budget == budget


@pytest.mark.parametrize("make", [
    lambda: __import__("neuromop.fit", fromlist=["x"]).RateRNNRegressor(8, tau=0.2),
    lambda: __import__("neuromop.values", fromlist=["x"]).RelativeValueLogit(form="linear"),
    lambda: __import__("neuromop.values", fromlist=["x"]).QLearningChoiceModel(bias=True),
    lambda: __import__("neuromop.values", fromlist=["x"]).DRAChoiceModel(n_nodes=4),
    lambda: __import__("neuromop.mdp", fromlist=["x"]).DRAAgent(beta=2.0),
], ids=["RateRNNRegressor", "RelativeValueLogit", "QLearningChoiceModel", "DRAChoiceModel",
        "DRAAgent"])
def test_estimators_are_scikit_learn_estimators(make):
    from sklearn.base import BaseEstimator, clone

    model = make()
    assert isinstance(model, BaseEstimator)
    copy = clone(model)
    assert copy is not model and copy.get_params() == model.get_params()
    with pytest.raises(ValueError, match="Invalid parameter"):
        model.set_params(no_such_parameter=1)
