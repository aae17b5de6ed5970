"""The graph between SimCRM's top-level folders points one way: down.

standins < core < jobs < personas < simulations < activities < connectors < operations, bench < simcrm_project,
the order of ../shared/STYLE.md's layout (activities: the record kinds of the second round, on simulations').
An app may use the ones below it, never the ones above nor the one beside it (operations
and bench share a rank); `jobs` knows no job type by name. Model references count as imports: a foreign
key, one-to-one or many-to-many target (read from Django's app registry), and an "app.Model" string or
`apps.get_model(...)` call in the source. Reaching a model through `related_model` or `remote_field` to dodge this
is refused.
"""

import ast
import re
from pathlib import Path

import pytest
from django.apps import apps
from django.db.models import Model

from tests.processes import ROOT

LAYERS = [
    "standins",
    "core",
    "jobs",
    "personas",
    "simulations",
    "activities",
    "connectors",
    "operations",
    "bench",
    "simcrm_project",
]
# operations and bench are side by side: neither uses the other.
RANK = {
    "standins": 0,
    "core": 1,
    "jobs": 2,
    "personas": 3,
    "simulations": 4,
    "activities": 5,
    "connectors": 6,
    "operations": 7,
    "bench": 7,
    "simcrm_project": 8,
}


def _above_or_beside(target: str, folder: str) -> bool:
    return target != folder and RANK[target] >= RANK[folder]


# The one reference that crosses upward, with why it is allowed. Keep this list short and honest.
ALLOWED_MODEL_REFERENCES = {
    # The queue belongs to simulations: every job is a simulation's, a user sees only the jobs of their own
    # simulations, and deleting a simulation deletes its jobs. The table keeps its `simulation_id` column
    # (the contract); `jobs` still names no job type.
    ("jobs.ScheduledJob.simulation", "simulations.Simulation"): "the queue belongs to simulations",
}
APP_FOLDER = {config.label: config.name.split(".")[0] for config in apps.get_app_configs()}
MODEL_STRING = re.compile(r"^([a-z_]+)\.([A-Z][A-Za-z0-9]*)$")


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
        if name == "tests" or _above_or_beside(name, folder)
    }
    assert not upward, sorted(upward)


def test_the_queue_names_no_job_type() -> None:
    named = [
        str(path.relative_to(ROOT))
        for path in _python_files("jobs")
        if any(word in path.read_text(encoding="utf-8") for word in ("CREATE_CONTACT", "Contact", "persona"))
    ]
    assert not named


def _folder_of(model: type[Model]) -> str | None:
    folder = model.__module__.split(".")[0]
    return folder if folder in RANK else None


def _model_references() -> dict[str, str]:
    """Every relation field declared by a SimCRM model (`app.Model.field`) -> its target (`app.Model`)."""
    references = {}
    for model in apps.get_models():
        for field in model._meta.get_fields():
            # auto_created fields are the reverse sides, declared on the other model.
            if field.is_relation and not field.auto_created and field.related_model is not None:
                target = field.related_model
                assert isinstance(target, type) and issubclass(target, Model)
                references[f"{model._meta.label}.{field.name}"] = target._meta.label
    return references


def test_the_registry_shows_the_model_references_it_checks() -> None:
    # Guards the reading itself: were the registry read wrongly, the next test would pass on nothing.
    references = _model_references()
    assert references["simulations.Contact.simulation"] == "simulations.Simulation"
    assert references["simulations.Contact.job"] == "jobs.ScheduledJob"
    # The link from a simulation to its connection lives on the side that owns connections.
    assert references["connectors.SimulationConnection.simulation"] == "simulations.Simulation"
    assert set(ALLOWED_MODEL_REFERENCES) <= set(references.items())


@pytest.mark.parametrize("folder", LAYERS)
def test_a_model_references_only_models_below_it(folder: str) -> None:
    upward = []
    for field, target in _model_references().items():
        source_folder, target_folder = APP_FOLDER[field.split(".")[0]], APP_FOLDER[target.split(".")[0]]
        if source_folder != folder or target_folder not in RANK or (field, target) in ALLOWED_MODEL_REFERENCES:
            continue
        if _above_or_beside(target_folder, folder):
            upward.append(f"{field} -> {target}")
    assert not upward, sorted(upward)


def _model_strings(path: Path) -> set[str]:
    """The models a file names as "app.Model" strings or through apps.get_model("app", "Model")."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    named: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            match = MODEL_STRING.match(node.value)
            if match and match.group(1) in APP_FOLDER:
                named.add(node.value)
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "get_model":
            words = [arg.value for arg in node.args if isinstance(arg, ast.Constant) and isinstance(arg.value, str)]
            if len(words) == 2:
                named.add(".".join(words))
    return named


@pytest.mark.parametrize("folder", LAYERS)
def test_a_folder_names_only_models_below_it(folder: str) -> None:
    allowed_targets = {
        target for field, target in ALLOWED_MODEL_REFERENCES if APP_FOLDER[field.split(".")[0]] == folder
    }
    upward = {
        f"{path.relative_to(ROOT)} names {name}"
        for path in _python_files(folder)
        for name in _model_strings(path)
        if APP_FOLDER.get(name.split(".")[0]) in RANK
        and _above_or_beside(APP_FOLDER[name.split(".")[0]], folder)
        and name not in allowed_targets
    }
    assert not upward, sorted(upward)


@pytest.mark.parametrize("folder", LAYERS)
def test_no_model_is_reached_through_another_models_relations(folder: str) -> None:
    # `X._meta.get_field("y").related_model` hands over a model of any layer without importing it.
    dodges = {
        f"{path.relative_to(ROOT)}:{node.lineno} uses .{node.attr}"
        for path in _python_files(folder)
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8")))
        if isinstance(node, ast.Attribute) and node.attr in {"related_model", "remote_field"}
    }
    assert not dodges, sorted(dodges)
