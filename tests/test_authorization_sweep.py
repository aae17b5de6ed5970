"""Every endpoint, as an anonymous user, as another (non-staff) user and as staff, against the contract."""

from typing import Any

import pytest
from rest_framework.test import APIClient

from jobs.models import JobStatus
from personas.models import CachedPersona
from simulations.kinds import listed_kinds
from simulations.services import simulation_create
from tests.factories import ConnectionFactory, UserFactory

pytestmark = pytest.mark.django_db

ANON, OTHER, STAFF = "anonymous", "other user", "staff"

# (method, schema path): expected status for anonymous, another user, staff.
SWEEP: dict[tuple[str, str], tuple[int, int, int]] = {
    ("get", "/api/simulations/"): (401, 200, 200),
    ("post", "/api/simulations/"): (401, 201, 201),
    ("get", "/api/simulations/{id}/"): (401, 404, 200),
    ("post", "/api/simulations/{id}/pause/"): (401, 404, 200),
    ("post", "/api/simulations/{id}/resume/"): (401, 404, 200),
    ("post", "/api/simulations/{id}/cancel/"): (401, 404, 200),
    ("post", "/api/simulations/{id}/retry-failed/"): (401, 404, 200),
    ("post", "/api/simulations/preview/"): (401, 200, 200),
    ("get", "/api/simulations/{id}/schedule/"): (401, 404, 200),
    ("post", "/api/simulations/{id}/replay/"): (401, 404, 409),  # the sweep's simulation has no plan
    ("patch", "/api/simulations/{id}/"): (401, 404, 200),
    ("delete", "/api/simulations/{id}/"): (401, 404, 204),
    ("get", "/api/simulations/{id}/jobs/"): (401, 404, 200),
    ("get", "/api/simulations/{id}/contacts/"): (401, 404, 200),
    ("get", "/api/simulations/{id}/companies/"): (401, 404, 200),
    ("get", "/api/simulations/{id}/deals/"): (401, 404, 200),
    ("get", "/api/simulations/{id}/events/"): (401, 404, 200),
    ("get", "/api/simulations/{id}/funnel/"): (401, 404, 200),
    ("get", "/api/simulations/{id}/export/"): (401, 404, 200),
    ("get", "/api/simulations/{id}/activities/"): (401, 404, 200),
    ("get", "/api/simulations/{id}/activities/weeks/"): (401, 404, 200),
    ("get", "/api/connections/"): (401, 200, 200),
    ("post", "/api/connections/"): (401, 400, 400),  # an empty body names the missing fields
    # Connections are their owner's alone, staff included (the admin shows them without the token).
    ("get", "/api/connections/{id}/"): (401, 404, 404),
    ("patch", "/api/connections/{id}/"): (401, 404, 404),
    ("delete", "/api/connections/{id}/"): (401, 404, 404),
    ("post", "/api/connections/{id}/retry-failed/"): (401, 404, 404),
    ("get", "/api/jobs/{id}/"): (401, 404, 200),
    ("post", "/api/jobs/{id}/retry/"): (401, 404, 200),
    ("get", "/api/personas/"): (401, 403, 200),
    ("delete", "/api/personas/{id}/"): (401, 403, 204),
    ("get", "/api/auth/me/"): (401, 200, 200),
    ("post", "/api/auth/logout/"): (401, 204, 204),
    ("post", "/api/auth/token/"): (400, 400, 400),  # open; an empty body is bad credentials
    ("post", "/api/auth/login/"): (400, 400, 400),
    ("get", "/api/auth/csrf/"): (200, 200, 200),
    ("get", "/api/health/"): (200, 200, 200),
    ("get", "/api/status/"): (401, 200, 200),
    ("get", "/api/schema/"): (200, 200, 200),
}
# Every other record kind's list (simulations.kinds) answers as the contract's kinds do.
SWEEP |= {
    ("get", f"/api/simulations/{{id}}/{kind.name}/"): (401, 404, 200)
    for kind in listed_kinds()
    if ("get", f"/api/simulations/{{id}}/{kind.name}/") not in SWEEP
}


@pytest.fixture
def world(db: Any) -> dict[str, Any]:
    """One owner's simulation with a failed job, a cached persona, and the three callers."""
    owner = UserFactory.create()
    simulation = simulation_create(owner=owner, theme="Sweep", industry="Security")
    job = simulation.jobs.order_by("scheduled_for")[0]
    job.status = JobStatus.FAILED
    job.save()
    persona = CachedPersona.objects.create(
        theme="Sweep", industry="Security", cache_key="sweep\nsecurity", source="offline"
    )
    clients = {ANON: APIClient()}
    for role, user in ((OTHER, UserFactory.create()), (STAFF, UserFactory.create(is_staff=True))):
        clients[role] = APIClient()
        clients[role].force_authenticate(user)
    connection = ConnectionFactory.create(owner=owner, name="Sweep portal")
    ids = {
        "/api/simulations/": simulation.pk,
        "/api/jobs/": job.pk,
        "/api/personas/": persona.pk,
        "/api/connections/": connection.pk,
    }
    return {"clients": clients, "ids": ids}


def _url(path: str, ids: dict[str, int]) -> str:
    for prefix, object_id in ids.items():
        if path.startswith(prefix + "{id}"):
            return path.replace("{id}", str(object_id))
    return path


@pytest.mark.parametrize("role_index", [0, 1, 2], ids=[ANON, OTHER, STAFF])
@pytest.mark.parametrize(("method", "path"), SWEEP.keys(), ids=[f"{m.upper()} {p}" for m, p in SWEEP])
def test_endpoint_answers_as_the_contract_says(world: dict[str, Any], method: str, path: str, role_index: int) -> None:
    role = (ANON, OTHER, STAFF)[role_index]
    sweep = {"theme": "Sweep", "industry": "Security"}
    bodies = {
        ("post", "/api/simulations/"): sweep,
        ("post", "/api/simulations/preview/"): sweep,
        ("patch", path): {"name": "Swept"},
        ("get", "/api/simulations/{id}/export/"): {"object": "contacts"},
    }
    body = bodies.get((method, path), {})
    response = getattr(world["clients"][role], method)(_url(path, world["ids"]), body, format="json")
    assert response.status_code == SWEEP[(method, path)][role_index], (role, response.content[:300])


def test_the_sweep_covers_every_endpoint_in_the_schema(staff_client: APIClient) -> None:
    schema = staff_client.get("/api/schema/", {"format": "json"}).json()
    documented = {
        (method, path)
        for path, operations in schema["paths"].items()
        for method in operations
        if method in {"get", "post", "put", "patch", "delete"}
    }
    assert documented - set(SWEEP) == set(), "new endpoints need a row in the sweep"
