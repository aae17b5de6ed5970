from datetime import timedelta
from typing import Any

import pytest
import time_machine
from django.core.management import call_command
from django.test import override_settings
from django.utils import timezone

from jobs.models import JobStatus, ScheduledJob
from jobs.runner import (
    retry_backoff_seconds,
    scheduled_job_run,
    scheduled_jobs_claim_due,
    scheduled_jobs_recover_stale,
    scheduled_jobs_run_due,
)
from simulations.lifecycle import simulation_cancel, simulation_pause, simulation_resume
from simulations.models import Contact, SimulationStatus
from simulations.services import simulation_create
from tests.factories import ScheduledJobFactory, SimulationFactory, UserFactory

pytestmark = pytest.mark.django_db


def _simulation(**kwargs: Any):  # type: ignore[no-untyped-def]
    return simulation_create(owner=UserFactory.create(), theme="Rock band", industry="Music", **kwargs)


def test_a_pass_runs_only_the_due_job_and_records_its_contact() -> None:
    simulation = _simulation()

    summary = scheduled_jobs_run_due()

    assert (summary.claimed, summary.completed) == (1, 1)
    job = simulation.jobs.get(status=JobStatus.COMPLETED)
    contact = Contact.objects.get(job=job)
    assert job.attempts == 1
    assert job.finished_at is not None and job.started_at is not None
    assert job.result["simulated"] is True
    assert job.result["contact_id"] == contact.pk
    assert job.result["contact"]["email"] == contact.email
    assert simulation.jobs.filter(status=JobStatus.PENDING).count() == 4


def test_all_jobs_done_completes_the_simulation_with_distinct_contacts() -> None:
    simulation = _simulation()
    with time_machine.travel(timezone.now() + timedelta(minutes=13), tick=False):
        summary = scheduled_jobs_run_due()
    assert summary.completed == 5
    simulation.refresh_from_db()
    assert simulation.status == SimulationStatus.COMPLETED
    emails = list(simulation.contacts.values_list("email", flat=True))
    assert len(emails) == len(set(emails)) == 5


def test_paused_simulations_are_not_claimed_until_resumed() -> None:
    simulation = _simulation()
    simulation_pause(simulation=simulation)
    assert scheduled_jobs_run_due().claimed == 0
    simulation_resume(simulation=simulation)
    assert scheduled_jobs_run_due().completed == 1


def test_cancelled_simulation_runs_nothing() -> None:
    simulation = _simulation()
    simulation_cancel(simulation=simulation)
    assert scheduled_jobs_run_due().claimed == 0
    assert simulation.jobs.filter(status=JobStatus.CANCELLED).count() == 5


def test_claims_do_not_overlap() -> None:
    ScheduledJobFactory.create_batch(3)
    _, first = scheduled_jobs_claim_due(limit=2)
    _, second = scheduled_jobs_claim_due(limit=2)
    assert len(first) == 2 and len(second) == 1
    assert not set(first) & set(second)
    assert ScheduledJob.objects.filter(status=JobStatus.PROCESSING).count() == 3


def test_a_job_taken_up_again_cannot_complete_twice() -> None:
    job = ScheduledJobFactory.create()
    old_claim, _ = scheduled_jobs_claim_due()
    # The first worker stalls; its claim goes stale and another worker takes the job up.
    ScheduledJob.objects.filter(pk=job.pk).update(started_at=timezone.now() - timedelta(hours=1))
    assert scheduled_jobs_recover_stale() == 1
    new_claim, ids = scheduled_jobs_claim_due()
    assert ids == [job.pk]

    assert scheduled_job_run(job_id=job.pk, claim=new_claim) == "completed"
    assert scheduled_job_run(job_id=job.pk, claim=old_claim) == "skipped"
    assert Contact.objects.filter(job=job).count() == 1
    job.refresh_from_db()
    assert job.attempts == 2


@override_settings(SIMCRM_MAX_ATTEMPTS=2, SIMCRM_JOB_TIMEOUT_SECONDS=60)
def test_stale_job_fails_once_attempts_are_used_up() -> None:
    job = ScheduledJobFactory.create(
        status=JobStatus.PROCESSING, attempts=2, started_at=timezone.now() - timedelta(seconds=61), claimed_by="x"
    )
    assert scheduled_jobs_recover_stale() == 1
    job.refresh_from_db()
    assert job.status == JobStatus.FAILED
    assert "SIMCRM_JOB_TIMEOUT_SECONDS" in job.last_error


@override_settings(SIMCRM_JOB_TIMEOUT_SECONDS=60)
def test_fresh_processing_job_is_left_alone() -> None:
    ScheduledJobFactory.create(status=JobStatus.PROCESSING, attempts=1, started_at=timezone.now(), claimed_by="x")
    assert scheduled_jobs_recover_stale() == 0


@override_settings(SIMCRM_RETRY_BASE_SECONDS=10)
def test_backoff_grows_and_honours_retry_after() -> None:
    first = [retry_backoff_seconds(attempt=1) for _ in range(50)]
    third = [retry_backoff_seconds(attempt=3) for _ in range(50)]
    assert all(5 <= delay <= 10 for delay in first)
    assert all(20 <= delay <= 40 for delay in third)
    assert len(set(first)) > 1, "backoff must be jittered"
    assert retry_backoff_seconds(attempt=1, retry_after=120) == 120


def test_run_due_jobs_command_prints_a_summary(capsys: pytest.CaptureFixture[str]) -> None:
    _simulation()
    call_command("run_due_jobs")
    out = capsys.readouterr().out
    assert out.startswith("run_due_jobs: claimed 1, completed 1,")
    assert out.count("\n") == 1


def test_a_job_with_a_priority_is_claimed_before_older_due_jobs() -> None:
    from jobs.runner import scheduled_jobs_claim_due

    simulation = SimulationFactory.create()
    past = timezone.now() - timedelta(days=30)
    old = [ScheduledJobFactory.create(simulation=simulation, scheduled_for=past) for _ in range(5)]
    urgent = ScheduledJobFactory.create(simulation=simulation, priority=1)
    later = ScheduledJobFactory.create(
        simulation=simulation, priority=1, scheduled_for=timezone.now() + timedelta(hours=1)
    )

    _, claimed = scheduled_jobs_claim_due(limit=3)

    assert urgent.pk in claimed and later.pk not in claimed  # first, though the newest; not before it is due
    assert sorted(claimed) == sorted([urgent.pk, old[0].pk, old[1].pk])
