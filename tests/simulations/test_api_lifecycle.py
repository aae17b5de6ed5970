"""Pause, resume, cancel and retry, through the API."""

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import time_machine
from rest_framework.test import APIClient

from jobs.models import JobStatus, ScheduledJob
from simulations.models import Simulation, SimulationStatus
from tests.factories import ScheduledJobFactory, SimulationFactory

pytestmark = pytest.mark.django_db

NOW = datetime(2031, 3, 14, 9, 0, tzinfo=UTC)


@pytest.fixture
def simulation(user: Any) -> Simulation:
    return SimulationFactory.create(owner=user)


def act(client: APIClient, simulation: Simulation, action: str) -> Any:
    return client.post(f"/api/simulations/{simulation.pk}/{action}/")


def one_job_per_status(simulation: Simulation) -> dict[str, ScheduledJob]:
    return {status: ScheduledJobFactory.create(simulation=simulation, status=status) for status in JobStatus.values}


def test_cancel_marks_only_pending_jobs_cancelled(api_client: APIClient, simulation: Simulation) -> None:
    jobs = one_job_per_status(simulation)
    second_pending = ScheduledJobFactory.create(simulation=simulation, status=JobStatus.PENDING)

    response = act(api_client, simulation, "cancel")

    assert response.status_code == 200, response.content
    body = response.json()
    assert body["id"] == simulation.pk
    assert body["status"] == "cancelled"
    assert body["job_counts"] == {"pending": 0, "processing": 1, "completed": 1, "failed": 1, "cancelled": 3}
    statuses = {status: ScheduledJob.objects.get(pk=job.pk).status for status, job in jobs.items()}
    assert statuses == {
        "pending": "cancelled",
        "processing": "processing",
        "completed": "completed",
        "failed": "failed",
        "cancelled": "cancelled",
    }
    second_pending.refresh_from_db()
    assert second_pending.status == JobStatus.CANCELLED
    assert second_pending.finished_at is not None


def test_cancel_leaves_other_simulations_alone(api_client: APIClient, simulation: Simulation, user: Any) -> None:
    bystander = ScheduledJobFactory.create(simulation=SimulationFactory.create(owner=user))
    ScheduledJobFactory.create(simulation=simulation)

    act(api_client, simulation, "cancel")

    bystander.refresh_from_db()
    assert bystander.status == JobStatus.PENDING


@pytest.mark.parametrize("action", ["pause", "resume"])
def test_a_cancelled_simulation_cannot_pause_or_resume(
    api_client: APIClient, simulation: Simulation, action: str
) -> None:
    act(api_client, simulation, "cancel")

    response = act(api_client, simulation, action)

    assert response.status_code == 409, response.content
    assert response.json()["detail"]
    simulation.refresh_from_db()
    assert simulation.status == SimulationStatus.CANCELLED


def test_cancel_twice_is_harmless(api_client: APIClient, simulation: Simulation) -> None:
    act(api_client, simulation, "cancel")

    response = act(api_client, simulation, "cancel")

    assert response.status_code == 200
    assert response.json()["status"] == "cancelled"


def test_pause_then_resume(api_client: APIClient, simulation: Simulation) -> None:
    ScheduledJobFactory.create(simulation=simulation)

    paused = act(api_client, simulation, "pause")
    assert paused.status_code == 200, paused.content
    assert paused.json()["status"] == "paused"
    assert paused.json()["job_counts"]["pending"] == 1

    resumed = act(api_client, simulation, "resume")
    assert resumed.status_code == 200, resumed.content
    assert resumed.json()["status"] == "running"
    simulation.refresh_from_db()
    assert simulation.status == SimulationStatus.RUNNING
    assert ScheduledJob.objects.get(simulation=simulation).status == JobStatus.PENDING


def test_pause_is_idempotent(api_client: APIClient, simulation: Simulation) -> None:
    assert act(api_client, simulation, "pause").json()["status"] == "paused"

    again = act(api_client, simulation, "pause")

    assert again.status_code == 200
    assert again.json()["status"] == "paused"


def test_resume_of_a_running_simulation_is_harmless(api_client: APIClient, simulation: Simulation) -> None:
    ScheduledJobFactory.create(simulation=simulation)

    response = act(api_client, simulation, "resume")

    assert response.status_code == 200
    assert response.json()["status"] == "running"


def test_resume_after_every_job_finished_completes_the_simulation(
    api_client: APIClient, simulation: Simulation
) -> None:
    job = ScheduledJobFactory.create(simulation=simulation, status=JobStatus.PROCESSING)
    act(api_client, simulation, "pause")
    # The job finishes while the simulation is paused; the runner completes only running simulations.
    ScheduledJob.objects.filter(pk=job.pk).update(status=JobStatus.COMPLETED)

    response = act(api_client, simulation, "resume")

    assert response.status_code == 200, response.content
    assert response.json()["status"] == "completed"
    simulation.refresh_from_db()
    assert simulation.status == SimulationStatus.COMPLETED


def test_a_paused_simulation_can_be_cancelled(api_client: APIClient, simulation: Simulation) -> None:
    job = ScheduledJobFactory.create(simulation=simulation)
    act(api_client, simulation, "pause")

    response = act(api_client, simulation, "cancel")

    assert response.status_code == 200
    assert response.json()["status"] == "cancelled"
    job.refresh_from_db()
    assert job.status == JobStatus.CANCELLED


@pytest.mark.parametrize(("action", "code"), [("pause", 409), ("resume", 409), ("cancel", 409)])
def test_a_completed_simulation_stays_completed(api_client: APIClient, user: Any, action: str, code: int) -> None:
    simulation = SimulationFactory.create(owner=user, status=SimulationStatus.COMPLETED)
    ScheduledJobFactory.create(simulation=simulation, status=JobStatus.COMPLETED)

    response = act(api_client, simulation, action)

    assert response.status_code == code, response.content
    simulation.refresh_from_db()
    assert simulation.status == SimulationStatus.COMPLETED


def retry(client: APIClient, job: ScheduledJob) -> Any:
    return client.post(f"/api/jobs/{job.pk}/retry/")


def failed_job(simulation: Simulation) -> ScheduledJob:
    return ScheduledJobFactory.create(
        simulation=simulation,
        status=JobStatus.FAILED,
        attempts=3,
        last_error="Persona service answered 500.",
        scheduled_for=NOW - timedelta(days=2),
        started_at=NOW - timedelta(days=1),
        finished_at=NOW - timedelta(days=1),
    )


def test_retry_puts_a_failed_job_back_to_pending_due_now(api_client: APIClient, simulation: Simulation) -> None:
    job = failed_job(simulation)

    with time_machine.travel(NOW, tick=False):
        response = retry(api_client, job)

    assert response.status_code == 200, response.content
    body = response.json()
    assert body["id"] == job.pk
    assert body["status"] == "pending"
    assert body["attempts"] == 0
    assert datetime.fromisoformat(body["scheduled_for"]) == NOW
    job.refresh_from_db()
    assert (job.status, job.attempts, job.scheduled_for) == (JobStatus.PENDING, 0, NOW)
    assert job.finished_at is None


@pytest.mark.parametrize("status", [s for s in JobStatus.values if s != JobStatus.FAILED])
def test_retry_of_any_other_status_answers_409(api_client: APIClient, simulation: Simulation, status: str) -> None:
    job = ScheduledJobFactory.create(simulation=simulation, status=status, attempts=1)

    response = retry(api_client, job)

    assert response.status_code == 409, response.content
    assert response.json()["detail"]
    job.refresh_from_db()
    assert (job.status, job.attempts) == (status, 1)


def test_retry_in_a_cancelled_simulation_answers_409(api_client: APIClient, simulation: Simulation) -> None:
    job = failed_job(simulation)
    act(api_client, simulation, "cancel")

    response = retry(api_client, job)

    assert response.status_code == 409, response.content
    job.refresh_from_db()
    assert job.status == JobStatus.FAILED


def test_retry_in_a_completed_simulation_sets_it_running(api_client: APIClient, user: Any) -> None:
    simulation = SimulationFactory.create(owner=user, status=SimulationStatus.COMPLETED)
    job = failed_job(simulation)

    response = retry(api_client, job)

    assert response.status_code == 200, response.content
    simulation.refresh_from_db()
    assert simulation.status == SimulationStatus.RUNNING
    assert api_client.get(f"/api/simulations/{simulation.pk}/").json()["status"] == "running"


def test_retry_in_a_paused_simulation_keeps_it_paused(api_client: APIClient, user: Any) -> None:
    simulation = SimulationFactory.create(owner=user, status=SimulationStatus.PAUSED)
    job = failed_job(simulation)

    response = retry(api_client, job)

    assert response.status_code == 200, response.content
    simulation.refresh_from_db()
    assert simulation.status == SimulationStatus.PAUSED


def test_cancelling_the_last_unfinished_job_completes_the_simulation() -> None:
    from django.utils import timezone

    from jobs.models import JobStatus
    from jobs.runner import scheduled_jobs_run_due
    from jobs.services import scheduled_job_cancel
    from simulations.services import simulation_create
    from tests.factories import UserFactory

    simulation = simulation_create(owner=UserFactory.create(), theme="Last", industry="Job")
    *early, last = simulation.jobs.order_by("scheduled_for")
    simulation.jobs.filter(pk__in=[job.pk for job in early]).update(scheduled_for=timezone.now())
    assert scheduled_jobs_run_due().completed == 4

    scheduled_job_cancel(job=last)

    simulation.refresh_from_db()
    assert simulation.status == "completed"
    assert simulation.jobs.filter(status=JobStatus.CANCELLED).count() == 1
