"""Rename, delete and retry-failed through the API: ownership, bad input, and nothing half done."""

from typing import Any

import pytest
from django.contrib.auth.models import User
from rest_framework.test import APIClient

from jobs.models import JobStatus, ScheduledJob
from jobs.runner import scheduled_job_run, scheduled_jobs_claim_due
from simulations.models import Contact, Simulation, SimulationStatus
from simulations.services import simulation_create
from tests.contract import SIMULATION_FIELDS
from tests.factories import ContactFactory, ScheduledJobFactory, SimulationFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def simulation(user: User) -> Simulation:
    return SimulationFactory.create(owner=user, name="Before")


def url(simulation: Simulation, suffix: str = "") -> str:
    return f"/api/simulations/{simulation.pk}/{suffix}"


def test_patch_renames_and_answers_the_simulation(api_client: APIClient, simulation: Simulation) -> None:
    response = api_client.patch(url(simulation), {"name": "  Pirate fleet Q3  "}, format="json")

    assert response.status_code == 200, response.content
    assert list(response.json()) == SIMULATION_FIELDS
    assert response.json()["name"] == "Pirate fleet Q3"
    simulation.refresh_from_db()
    assert simulation.name == "Pirate fleet Q3"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"theme": "Something else"}, "theme"),
        ({"name": "ok", "status": "paused"}, "status"),
        ({"name": 42}, "name"),
        ({"name": "x" * 256}, "name"),
        ({"name": None}, "name"),
        ({}, "name"),
        ([{"name": "a list"}], "non_field_errors"),
    ],
)
def test_patch_refuses_anything_but_a_name(
    api_client: APIClient, simulation: Simulation, body: Any, field: str
) -> None:
    response = api_client.patch(url(simulation), body, format="json")

    assert response.status_code == 400, response.content
    assert field in response.json()
    simulation.refresh_from_db()
    assert (simulation.name, simulation.theme, simulation.status) == ("Before", "Rock band record label", "running")


def test_patch_with_an_unprintable_field_name_answers_400_without_echoing_it(
    api_client: APIClient, simulation: Simulation
) -> None:
    body = '{"name": "ok", "\\ud800": 1}'

    response = api_client.generic("PATCH", url(simulation), body, content_type="application/json")

    assert response.status_code == 400
    assert list(response.json()) == ["non_field_errors"]


def test_put_is_not_offered(api_client: APIClient, simulation: Simulation) -> None:
    assert api_client.put(url(simulation), {"name": "x"}, format="json").status_code == 405


def test_delete_removes_the_simulation_with_its_jobs_and_contacts(
    api_client: APIClient, simulation: Simulation, user: User
) -> None:
    job = ScheduledJobFactory.create(simulation=simulation)
    ContactFactory.create(simulation=simulation, job=job)
    kept = SimulationFactory.create(owner=user)
    kept_contact = ContactFactory.create(simulation=kept, job=ScheduledJobFactory.create(simulation=kept))

    response = api_client.delete(url(simulation))

    assert response.status_code == 204
    assert not Simulation.objects.filter(pk=simulation.pk).exists()
    assert not ScheduledJob.objects.filter(simulation_id=simulation.pk).exists()
    assert not Contact.objects.filter(simulation_id=simulation.pk).exists()
    assert list(Contact.objects.values_list("pk", flat=True)) == [kept_contact.pk]
    assert api_client.get(url(simulation)).status_code == 404


def test_a_job_claimed_before_its_simulation_was_deleted_is_dropped(user: User) -> None:
    simulation = simulation_create(owner=user, theme="Deleted", industry="Mid-flight")
    claim, ids = scheduled_jobs_claim_due()
    assert len(ids) == 1

    APIClient().delete(url(simulation))  # anonymous: refused
    client = APIClient()
    client.force_authenticate(user)
    assert client.delete(url(simulation)).status_code == 204

    assert scheduled_job_run(job_id=ids[0], claim=claim) == "skipped"
    assert not Contact.objects.exists()


@pytest.mark.parametrize("method", ["patch", "delete"])
def test_another_users_simulation_is_not_found_and_untouched(
    other_client: APIClient, simulation: Simulation, method: str
) -> None:
    response = getattr(other_client, method)(url(simulation), {"name": "hijacked"}, format="json")

    assert response.status_code == 404
    simulation.refresh_from_db()
    assert simulation.name == "Before"


@pytest.mark.parametrize("method", ["patch", "delete"])
def test_anonymous_callers_must_sign_in(anon_client: APIClient, simulation: Simulation, method: str) -> None:
    assert getattr(anon_client, method)(url(simulation), {"name": "x"}, format="json").status_code == 401
    assert Simulation.objects.filter(pk=simulation.pk, name="Before").exists()


def test_retry_failed_puts_every_failed_job_back_and_revives_the_simulation(api_client: APIClient, user: User) -> None:
    simulation = SimulationFactory.create(owner=user, status=SimulationStatus.COMPLETED)
    failed = ScheduledJobFactory.create_batch(
        2, simulation=simulation, status=JobStatus.FAILED, attempts=3, last_error="OpenAI rejected OPENAI_API_KEY."
    )
    done = ScheduledJobFactory.create(simulation=simulation, status=JobStatus.COMPLETED)
    before = api_client.get(url(simulation)).json()
    assert before["last_error"] == "OpenAI rejected OPENAI_API_KEY."
    assert before["job_counts"]["failed"] == 2

    response = api_client.post(url(simulation, "retry-failed/"))

    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["status"], body["job_counts"]["pending"], body["job_counts"]["failed"]) == ("running", 2, 0)
    assert body["last_error"] == ""
    assert [ScheduledJob.objects.get(pk=job.pk).attempts for job in failed] == [0, 0]
    assert ScheduledJob.objects.get(pk=done.pk).status == JobStatus.COMPLETED


@pytest.mark.parametrize(
    ("status", "jobs", "message"),
    [
        (SimulationStatus.RUNNING, [JobStatus.COMPLETED, JobStatus.PENDING], "no failed jobs"),
        (SimulationStatus.CANCELLED, [JobStatus.FAILED], "cancelled"),
    ],
)
def test_retry_failed_answers_409_when_there_is_nothing_it_may_retry(
    api_client: APIClient, user: User, status: str, jobs: list[str], message: str
) -> None:
    simulation = SimulationFactory.create(owner=user, status=status)
    for job_status in jobs:
        ScheduledJobFactory.create(simulation=simulation, status=job_status)

    response = api_client.post(url(simulation, "retry-failed/"))

    assert response.status_code == 409
    assert message in response.json()["detail"]
    assert sorted(simulation.jobs.values_list("status", flat=True)) == sorted(jobs)


def test_retry_failed_of_another_users_simulation_is_not_found(other_client: APIClient, user: User) -> None:
    simulation = SimulationFactory.create(owner=user)
    job = ScheduledJobFactory.create(simulation=simulation, status=JobStatus.FAILED)

    assert other_client.post(url(simulation, "retry-failed/")).status_code == 404
    assert ScheduledJob.objects.get(pk=job.pk).status == JobStatus.FAILED
