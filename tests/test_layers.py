"""The import graph between SimCRM's top-level folders points one way: down.

core < personas < jobs < simulations < connectors < operations < standins, bench < simcrm_project. An app may import the
ones below it, never the ones above; `jobs` knows no job type by name.
"""

import ast
from pathlib import Path

import pytest

from tests.processes import ROOT

LAYERS = ["core", "personas", "jobs", "simulations", "connectors", "operations", "standins", "bench", "simcrm_project"]
# standins and bench are side by side: standins must not import bench.
RANK = {
    "core": 0,
    "personas": 1,
    "jobs": 2,
    "simulations": 3,
    "connectors": 4,
    "operations": 5,
    "standins": 6,
    "bench": 7,
    "simcrm_project": 8,
}


def _python_files(folder: str) -> list[Path]:
    return [path for path in (ROOT / folder).rglob("*.py") if "migrations" not in path.parts]


def _imported_top_folders(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module.split(".")[0])
    return names & {*LAYERS, "tests"}


@pytest.mark.parametrize("folder", LAYERS)
def test_a_folder_imports_only_folders_below_it(folder: str) -> None:
    upward = {
        f"{path.relative_to(ROOT)} imports {name}"
        for path in _python_files(folder)
        for name in _imported_top_folders(path)
        if name == "tests" or RANK[name] > RANK[folder]
    }
    assert not upward, sorted(upward)


def test_the_queue_names_no_job_type() -> None:
    named = [
        str(path.relative_to(ROOT))
        for path in _python_files("jobs")
        if any(word in path.read_text(encoding="utf-8") for word in ("CREATE_CONTACT", "Contact", "persona"))
    ]
    assert not named
