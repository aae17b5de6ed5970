"""List and detail shapes, ordering and pagination; schema, health and docs."""

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import time_machine
import yaml
from rest_framework.test import APIClient

from jobs.models import JobStatus
from simulations.models import Contact, Simulation
from tests.contract import CONTACT_FIELDS, JOB_FIELDS, SIMULATION_FIELDS
from tests.factories import ContactFactory, ScheduledJobFactory, SimulationFactory

pytestmark = pytest.mark.django_db

PAGE_KEYS = {"count", "next", "previous", "results"}
T0 = datetime(2031, 1, 1, 12, 0, tzinfo=UTC)


def is_aware_iso(value: str) -> bool:
    return datetime.fromisoformat(value).tzinfo is not None


def test_simulation_detail_shape(api_client: APIClient, user: Any) -> None:
    simulation = SimulationFactory.create(owner=user, name="Demo", record_frequency="1day")

    body = api_client.get(f"/api/simulations/{simulation.pk}/").json()

    assert list(body) == SIMULATION_FIELDS
    assert body["id"] == simulation.pk
    assert (body["name"], body["theme"], body["industry"]) == ("Demo", simulation.theme, simulation.industry)
    assert (body["record_frequency"], body["status"]) == ("1day", "running")
    assert is_aware_iso(body["created_at"])
    assert body["job_counts"] == dict.fromkeys(JobStatus.values, 0)
    assert body["contacts_created"] == 0


def test_job_counts_and_contacts_created_count(api_client: APIClient, user: Any) -> None:
    simulation = SimulationFactory.create(owner=user)
    for status, how_many in [("pending", 2), ("processing", 1), ("completed", 3), ("failed", 1), ("cancelled", 4)]:
        for _ in range(how_many):
            ScheduledJobFactory.create(simulation=simulation, status=status)
    for _ in range(3):
        ContactFactory.create(simulation=simulation)
    noise = SimulationFactory.create(owner=user)
    ScheduledJobFactory.create(simulation=noise, status=JobStatus.COMPLETED)
    ContactFactory.create(simulation=noise)
    expected = {"pending": 2, "processing": 1, "completed": 3, "failed": 1, "cancelled": 4}

    detail = api_client.get(f"/api/simulations/{simulation.pk}/").json()
    listed = next(row for row in api_client.get("/api/simulations/").json()["results"] if row["id"] == simulation.pk)

    for body in (detail, listed):
        assert body["job_counts"] == expected
        assert body["contacts_created"] == 3


def test_simulations_are_listed_newest_first_and_paginated(api_client: APIClient, user: Any) -> None:
    ids = []
    for minutes in (0, 10, 5):
        with time_machine.travel(T0 + timedelta(minutes=minutes), tick=False):
            ids.append(SimulationFactory.create(owner=user).pk)
    newest_first = [ids[1], ids[2], ids[0]]

    body = api_client.get("/api/simulations/").json()
    assert set(body) == PAGE_KEYS
    assert body["count"] == 3
    assert body["next"] is None and body["previous"] is None
    assert [row["id"] for row in body["results"]] == newest_first
    assert all(list(row) == SIMULATION_FIELDS for row in body["results"])

    first = api_client.get("/api/simulations/?page_size=2").json()
    assert first["count"] == 3
    assert [row["id"] for row in first["results"]] == newest_first[:2]
    assert first["next"] and first["previous"] is None
    second = api_client.get(first["next"]).json()
    assert [row["id"] for row in second["results"]] == newest_first[2:]
    assert second["next"] is None and second["previous"]


def test_simulations_created_in_the_same_instant_list_newest_first(api_client: APIClient, user: Any) -> None:
    with time_machine.travel(T0, tick=False):
        ids = [SimulationFactory.create(owner=user).pk for _ in range(3)]

    assert [row["id"] for row in api_client.get("/api/simulations/").json()["results"]] == ids[::-1]


def test_jobs_are_listed_by_scheduled_for(api_client: APIClient, user: Any) -> None:
    simulation = SimulationFactory.create(owner=user)
    later = ScheduledJobFactory.create(simulation=simulation, scheduled_for=T0 + timedelta(hours=2))
    first = ScheduledJobFactory.create(simulation=simulation, scheduled_for=T0, status=JobStatus.COMPLETED)
    middle = ScheduledJobFactory.create(simulation=simulation, scheduled_for=T0 + timedelta(hours=1))
    ScheduledJobFactory.create(simulation=SimulationFactory.create(owner=user))

    body = api_client.get(f"/api/simulations/{simulation.pk}/jobs/").json()

    assert set(body) == PAGE_KEYS
    assert body["count"] == 3
    assert [row["id"] for row in body["results"]] == [first.pk, middle.pk, later.pk]
    row = body["results"][0]
    assert list(row) == JOB_FIELDS
    assert row["simulation"] == simulation.pk
    assert (row["job_type"], row["status"], row["attempts"]) == ("CREATE_CONTACT", "completed", 0)
    assert is_aware_iso(row["scheduled_for"]) and is_aware_iso(row["created_at"])


def test_job_detail_shape(api_client: APIClient, user: Any) -> None:
    job = ScheduledJobFactory.create(
        simulation=SimulationFactory.create(owner=user),
        status=JobStatus.COMPLETED,
        result={"contact_id": 7},
        attempts=2,
        started_at=T0,
        finished_at=T0 + timedelta(seconds=3),
    )

    body = api_client.get(f"/api/jobs/{job.pk}/").json()

    assert list(body) == JOB_FIELDS
    assert body["result"] == {"contact_id": 7}
    assert body["attempts"] == 2
    assert body["last_error"] == ""
    assert body["payload"] == job.payload
    assert datetime.fromisoformat(body["started_at"]) == T0
    assert datetime.fromisoformat(body["finished_at"]) == T0 + timedelta(seconds=3)


def test_contacts_are_listed_oldest_first_in_the_timeline(api_client: APIClient, user: Any) -> None:
    simulation = SimulationFactory.create(owner=user)
    contacts = [ContactFactory.create(simulation=simulation) for _ in range(3)]
    for minutes, contact in zip((20, 0, 10), contacts, strict=True):
        Contact.objects.filter(pk=contact.pk).update(occurred_at=T0 + timedelta(minutes=minutes))
    ContactFactory.create(simulation=SimulationFactory.create(owner=user))

    body = api_client.get(f"/api/simulations/{simulation.pk}/contacts/").json()

    assert set(body) == PAGE_KEYS
    assert body["count"] == 3
    assert [row["id"] for row in body["results"]] == [contacts[1].pk, contacts[2].pk, contacts[0].pk]
    row = body["results"][0]
    assert list(row) == CONTACT_FIELDS
    assert row["simulation"] == simulation.pk
    assert row["source"] in ("openai", "offline")
    assert is_aware_iso(row["created_at"])
    assert datetime.fromisoformat(row["occurred_at"]) == T0


def test_contact_links_its_job(api_client: APIClient, user: Any) -> None:
    simulation = SimulationFactory.create(owner=user)
    job = ScheduledJobFactory.create(simulation=simulation, status=JobStatus.COMPLETED)
    ContactFactory.create(simulation=simulation, job=job, email="ada@example.com")

    row = api_client.get(f"/api/simulations/{simulation.pk}/contacts/").json()["results"][0]

    assert (row["job"], row["email"]) == (job.pk, "ada@example.com")


CONTRACT_PATHS = {
    "/api/auth/token/": {"post"},
    "/api/auth/login/": {"post"},
    "/api/auth/logout/": {"post"},
    "/api/auth/me/": {"get"},
    "/api/simulations/": {"get", "post"},
    "/api/simulations/{id}/": {"get", "patch", "delete"},
    "/api/simulations/{id}/pause/": {"post"},
    "/api/simulations/{id}/resume/": {"post"},
    "/api/simulations/{id}/cancel/": {"post"},
    "/api/simulations/{id}/jobs/": {"get"},
    "/api/simulations/{id}/contacts/": {"get"},
    "/api/jobs/{id}/": {"get"},
    "/api/jobs/{id}/retry/": {"post"},
    "/api/personas/": {"get"},
    "/api/personas/{id}/": {"delete"},
    "/api/health/": {"get"},
    "/api/schema/": {"get"},
    "/api/simulations/{id}/retry-failed/": {"post"},
    "/api/simulations/preview/": {"post"},
    "/api/simulations/{id}/replay/": {"post"},
    "/api/simulations/{id}/schedule/": {"get"},
}


@pytest.mark.parametrize("query", ["", "?format=json"])
def test_schema_documents_every_contract_path(anon_client: APIClient, query: str) -> None:
    response = anon_client.get(f"/api/schema/{query}")

    assert response.status_code == 200
    document = yaml.safe_load(response.content)
    assert document["openapi"].startswith("3.")
    for path, methods in CONTRACT_PATHS.items():
        assert path in document["paths"], path
        assert methods <= set(document["paths"][path]), path
    schemas = document["components"]["schemas"]
    assert set(SIMULATION_FIELDS) <= set(schemas["Simulation"]["properties"])
    assert set(JOB_FIELDS) <= set(schemas["Job"]["properties"])
    assert set(CONTACT_FIELDS) <= set(schemas["Contact"]["properties"])


BROWSER_ACCEPT = "text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,*/*;q=0.8"


def test_a_browser_is_shown_the_schema_instead_of_downloading_it(anon_client: APIClient) -> None:
    response = anon_client.get("/api/schema/", HTTP_ACCEPT=BROWSER_ACCEPT)

    assert response.status_code == 200
    assert response["Content-Type"] == "text/plain; charset=utf-8"
    assert not response.get("Content-Disposition", "").startswith("attachment")
    assert yaml.safe_load(response.content)["openapi"].startswith("3.")


@pytest.mark.parametrize(
    ("accept", "content_type"),
    [("*/*", "application/vnd.oai.openapi"), ("application/json", "application/json")],
)
def test_api_clients_still_get_the_openapi_media_types(anon_client: APIClient, accept: str, content_type: str) -> None:
    response = anon_client.get("/api/schema/", HTTP_ACCEPT=accept)

    assert response.status_code == 200
    assert response["Content-Type"].startswith(content_type)


def test_health(anon_client: APIClient) -> None:
    response = anon_client.get("/api/health/")

    assert response.status_code == 200
    assert response.json()["status"] == "ok"


def test_docs_page(anon_client: APIClient) -> None:
    response = anon_client.get("/api/docs/")

    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/html")
    assert b"swagger" in response.content.lower()


def test_simulation_without_annotations_still_counts(user: Any) -> None:
    # The serializer falls back to plain queries when the selector's annotations are absent.
    from simulations.api.serializers import SimulationSerializer

    simulation = SimulationFactory.create(owner=user)
    ScheduledJobFactory.create(simulation=simulation, status=JobStatus.FAILED, last_error="The key was refused.")
    ContactFactory.create(simulation=simulation)

    data = SimulationSerializer(Simulation.objects.get(pk=simulation.pk)).data

    assert data["job_counts"] == {**dict.fromkeys(JobStatus.values, 0), "failed": 1}
    assert data["contacts_created"] == 1
    assert data["last_error"] == "The key was refused."
