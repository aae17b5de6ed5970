"""Who may see and touch what: owners, other users, staff and anonymous callers."""

from typing import Any

import pytest
from rest_framework.test import APIClient

from jobs.models import JobStatus
from personas.models import CachedPersona
from tests.factories import CachedPersonaFactory, ContactFactory, ScheduledJobFactory, SimulationFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def foreign(other_user: Any) -> dict[str, int]:
    """Another user's simulation with a failed job and a contact."""
    simulation = SimulationFactory.create(owner=other_user)
    job = ScheduledJobFactory.create(simulation=simulation, status=JobStatus.FAILED, attempts=3)
    ContactFactory.create(simulation=simulation, job=job)
    return {"sim": simulation.pk, "job": job.pk}


FOREIGN_REQUESTS = [
    ("get", "/api/simulations/{sim}/"),
    ("post", "/api/simulations/{sim}/pause/"),
    ("post", "/api/simulations/{sim}/resume/"),
    ("post", "/api/simulations/{sim}/cancel/"),
    ("get", "/api/simulations/{sim}/jobs/"),
    ("get", "/api/simulations/{sim}/contacts/"),
    ("get", "/api/jobs/{job}/"),
    ("post", "/api/jobs/{job}/retry/"),
]


@pytest.mark.parametrize(("method", "path"), FOREIGN_REQUESTS)
def test_another_users_objects_answer_404(
    api_client: APIClient, foreign: dict[str, int], method: str, path: str
) -> None:
    response = getattr(api_client, method)(path.format(**foreign))

    assert response.status_code == 404, response.content


def test_another_users_objects_are_left_alone(
    api_client: APIClient, other_client: APIClient, foreign: dict[str, int]
) -> None:
    for method, path in FOREIGN_REQUESTS:
        getattr(api_client, method)(path.format(**foreign))

    assert other_client.get(f"/api/simulations/{foreign['sim']}/").json()["status"] == "running"
    assert other_client.get(f"/api/jobs/{foreign['job']}/").json()["status"] == "failed"


def test_list_shows_only_own_simulations(api_client: APIClient, user: Any, foreign: dict[str, int]) -> None:
    own = SimulationFactory.create(owner=user)

    body = api_client.get("/api/simulations/").json()

    assert body["count"] == 1
    assert [row["id"] for row in body["results"]] == [own.pk]


def test_unknown_ids_answer_404(api_client: APIClient) -> None:
    assert api_client.get("/api/simulations/999999/").status_code == 404
    assert api_client.get("/api/jobs/999999/").status_code == 404
    assert api_client.get("/api/simulations/not-a-number/").status_code == 404


@pytest.mark.parametrize(("method", "path"), [*FOREIGN_REQUESTS, ("get", "/api/simulations/")])
def test_staff_sees_and_touches_everyones(
    staff_client: APIClient, foreign: dict[str, int], method: str, path: str
) -> None:
    response = getattr(staff_client, method)(path.format(**foreign))

    assert response.status_code == 200, response.content


def test_staff_list_includes_every_owner(staff_client: APIClient, foreign: dict[str, int], user: Any) -> None:
    SimulationFactory.create(owner=user)

    assert staff_client.get("/api/simulations/").json()["count"] == 2


def test_personas_are_staff_only(staff_client: APIClient, api_client: APIClient, anon_client: APIClient) -> None:
    persona = CachedPersonaFactory.create()
    path = f"/api/personas/{persona.pk}/"

    assert api_client.get("/api/personas/").status_code == 403
    assert api_client.delete(path).status_code == 403
    assert anon_client.get("/api/personas/").status_code == 401
    assert anon_client.delete(path).status_code == 401
    assert CachedPersona.objects.filter(pk=persona.pk).exists()

    listed = staff_client.get("/api/personas/")
    assert listed.status_code == 200
    assert [row["id"] for row in listed.json()["results"]] == [persona.pk]
    assert staff_client.delete(path).status_code == 204
    assert not CachedPersona.objects.filter(pk=persona.pk).exists()


PROTECTED = [
    ("get", "/api/simulations/"),
    ("post", "/api/simulations/"),
    *FOREIGN_REQUESTS,
    ("get", "/api/personas/"),
    ("get", "/api/auth/me/"),
    ("post", "/api/auth/logout/"),
]


@pytest.mark.parametrize(("method", "path"), PROTECTED)
def test_anonymous_gets_401(anon_client: APIClient, foreign: dict[str, int], method: str, path: str) -> None:
    response = getattr(anon_client, method)(path.format(**foreign), format="json")

    assert response.status_code == 401, response.content
    assert response["WWW-Authenticate"].startswith("Token")


@pytest.mark.parametrize("path", ["/api/simulations/", "/api/auth/me/"])
def test_a_bad_token_gets_401(path: str, db: Any) -> None:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION="Token not-a-real-token")

    assert client.get(path).status_code == 401


@pytest.mark.parametrize("path", ["/api/health/", "/api/schema/", "/api/auth/csrf/", "/api/docs/"])
def test_open_endpoints_answer_anonymous_gets(anon_client: APIClient, path: str, db: Any) -> None:
    assert anon_client.get(path).status_code == 200


@pytest.mark.parametrize("path", ["/api/auth/token/", "/api/auth/login/"])
def test_sign_in_endpoints_are_open(anon_client: APIClient, path: str, db: Any) -> None:
    # Open means "not 401/403": bad credentials are a validation error.
    response = anon_client.post(path, {"username": "nobody", "password": "wrong"}, format="json")

    assert response.status_code == 400, response.content
