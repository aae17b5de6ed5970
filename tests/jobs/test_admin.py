from datetime import UTC, datetime
from typing import Any

import pytest
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.test import Client

from jobs.models import JobStatus, ScheduledJob
from simulations.models import Contact, SimulationStatus
from tests.factories import ContactFactory, ScheduledJobFactory, SimulationFactory

pytestmark = pytest.mark.django_db

CHANGELIST = "/admin/jobs/scheduledjob/"
T0 = datetime(2031, 3, 14, 9, 0, tzinfo=UTC)


def run_action(client: Client, action: str, jobs: list[ScheduledJob], **extra: str) -> Any:
    return client.post(
        CHANGELIST, {"action": action, ACTION_CHECKBOX_NAME: [job.pk for job in jobs], **extra}, follow=True
    )


def statuses(jobs: list[ScheduledJob]) -> list[str]:
    return [ScheduledJob.objects.get(pk=job.pk).status for job in jobs]


def test_changelist_filters_and_searches(admin_client: Client) -> None:
    failed = ScheduledJobFactory.create(
        status=JobStatus.FAILED, last_error="Persona service timed out", simulation__name="Pirates"
    )
    ScheduledJobFactory.create(status=JobStatus.PENDING, simulation__name="Ninjas")

    assert admin_client.get(CHANGELIST).status_code == 200
    cases = {
        "?status__exact=failed": [failed.pk],
        "?q=timed+out": [failed.pk],
        "?q=Pirates": [failed.pk],
        "?q=nothing-matches": [],
        f"?simulation__id__exact={failed.simulation_id}": [failed.pk],
        "?job_type__exact=CREATE_CONTACT&status__exact=failed": [failed.pk],
    }
    for query, expected in cases.items():
        response = admin_client.get(CHANGELIST + query)
        assert response.status_code == 200, query
        assert [job.pk for job in response.context["cl"].result_list] == expected, query


def test_changelist_date_hierarchy(admin_client: Client) -> None:
    job = ScheduledJobFactory.create(scheduled_for=T0)

    response = admin_client.get(CHANGELIST + "?scheduled_for__year=2031&scheduled_for__month=3")

    assert response.status_code == 200
    assert [row.pk for row in response.context["cl"].result_list] == [job.pk]


def test_retry_failed_jobs_action(admin_client: Client) -> None:
    simulation = SimulationFactory.create(status=SimulationStatus.COMPLETED)
    failed = [ScheduledJobFactory.create(simulation=simulation, status=JobStatus.FAILED, attempts=3) for _ in range(2)]
    others = [
        ScheduledJobFactory.create(simulation=simulation, status=s) for s in ("pending", "completed", "cancelled")
    ]

    response = run_action(admin_client, "retry_failed_jobs", [*failed, *others])

    assert response.status_code == 200
    assert statuses(failed) == ["pending", "pending"]
    assert all(ScheduledJob.objects.get(pk=job.pk).attempts == 0 for job in failed)
    assert statuses(others) == ["pending", "completed", "cancelled"]
    simulation.refresh_from_db()
    assert simulation.status == SimulationStatus.RUNNING
    assert "2 job(s) retried" in response.content.decode()
    assert (
        "Skipped 3 job(s): only failed jobs can be retried (1 cancelled, 1 completed, 1 pending)."
        in response.content.decode()
    )


def test_retrying_no_failed_job_says_why_nothing_was_retried(admin_client: Client) -> None:
    jobs = [ScheduledJobFactory.create(status=s) for s in ("completed", "completed", "pending")]

    response = run_action(admin_client, "retry_failed_jobs", jobs)

    page = response.content.decode()
    assert "0 job(s) retried" in page
    assert "Skipped 3 job(s): only failed jobs can be retried (2 completed, 1 pending)." in page
    assert statuses(jobs) == ["completed", "completed", "pending"]


def test_retry_failed_jobs_skips_cancelled_simulations(admin_client: Client) -> None:
    job = ScheduledJobFactory.create(
        simulation=SimulationFactory.create(status=SimulationStatus.CANCELLED), status=JobStatus.FAILED
    )

    response = run_action(admin_client, "retry_failed_jobs", [job])

    assert response.status_code == 200
    assert statuses([job]) == ["failed"]
    assert "Skipped" in response.content.decode()


def test_cancel_jobs_action(admin_client: Client) -> None:
    cancellable = [ScheduledJobFactory.create(status=s) for s in ("pending", "failed")]
    kept = [ScheduledJobFactory.create(status=s) for s in ("processing", "completed")]

    response = run_action(admin_client, "cancel_jobs", [*cancellable, *kept])

    assert response.status_code == 200
    assert statuses(cancellable) == ["cancelled", "cancelled"]
    assert statuses(kept) == ["processing", "completed"]
    assert "2 job(s) cancelled" in response.content.decode()


def test_staff_can_purge_jobs_and_contacts_survive(admin_client: Client) -> None:
    job = ScheduledJobFactory.create(status=JobStatus.COMPLETED)
    contact = ContactFactory.create(simulation=job.simulation, job=job)
    bystander = ScheduledJobFactory.create()

    response = run_action(admin_client, "delete_selected", [job], post="yes")

    assert response.status_code == 200
    assert not ScheduledJob.objects.filter(pk=job.pk).exists()
    assert ScheduledJob.objects.filter(pk=bystander.pk).exists()
    contact = Contact.objects.get(pk=contact.pk)
    assert contact.job_id is None


def test_job_change_page_shows_system_fields_read_only(admin_client: Client) -> None:
    job = ScheduledJobFactory.create(
        status=JobStatus.COMPLETED,
        result={"contact_id": 4242},
        attempts=2,
        last_error="first try timed out",
        started_at=T0,
        finished_at=T0,
    )

    response = admin_client.get(f"{CHANGELIST}{job.pk}/change/")

    assert response.status_code == 200
    html = response.content.decode()
    for field in ("result", "attempts", "status", "last_error", "started_at", "finished_at", "created_at", "payload"):
        assert f'name="{field}"' not in html, field
    assert "4242" in html
    assert "first try timed out" in html
    assert "2031" in html
