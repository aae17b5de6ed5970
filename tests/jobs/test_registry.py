"""Adding a job type is a handler, its registration and its tests: the queue itself does not change."""

from collections.abc import Iterator
from typing import Any

import pytest
from django.utils import timezone

from jobs.models import JobStatus, ScheduledJob
from jobs.registry import BatchOutcome, JobFailed, JobHandler, job_handler_register, job_handler_unregister
from jobs.runner import scheduled_job_completing, scheduled_jobs_completing, scheduled_jobs_run_due
from simulations.models import SimulationStatus
from tests.factories import ScheduledJobFactory, SimulationFactory

pytestmark = pytest.mark.django_db

ECHO = "TEST_ECHO"


@pytest.fixture
def registered() -> Iterator[list[JobHandler]]:
    handlers: list[JobHandler] = []
    yield handlers
    for handler in handlers:
        job_handler_unregister(handler.job_type)


def register(registered: list[JobHandler], handler: JobHandler) -> None:
    job_handler_register(handler)
    registered.append(handler)


def echo_run(job: ScheduledJob, claim: str) -> None:
    with scheduled_job_completing(job, claim) as completion:
        completion.result = {"echo": job.payload["say"], "path": "one"}


def test_a_new_job_type_runs_through_its_registered_handler(registered: list[JobHandler]) -> None:
    register(registered, JobHandler(job_type=ECHO, run=echo_run))
    job = ScheduledJobFactory.create(job_type=ECHO, payload={"say": "hello"})

    summary = scheduled_jobs_run_due()

    job.refresh_from_db()
    assert (summary.completed, job.status, job.result) == (1, JobStatus.COMPLETED, {"echo": "hello", "path": "one"})
    job.simulation.refresh_from_db()
    assert job.simulation.status == SimulationStatus.COMPLETED


def test_a_batch_form_completes_its_jobs_in_bulk_and_leaves_the_rest_to_run(registered: list[JobHandler]) -> None:
    def echo_batch(jobs: list[ScheduledJob], claim: str) -> BatchOutcome:
        # Completes only the jobs that say "fast"; the others go down the one-by-one path.
        with scheduled_jobs_completing([job.pk for job in jobs], claim) as completion:
            for job in jobs:
                if job.pk in completion.still_ours and job.payload["say"] == "fast":
                    completion.results[job.pk] = {"echo": "fast", "path": "batch"}
        return completion.outcome()

    register(registered, JobHandler(job_type=ECHO, run=echo_run, run_batch=echo_batch))
    simulation = SimulationFactory.create()
    fast = ScheduledJobFactory.create_batch(3, simulation=simulation, job_type=ECHO, payload={"say": "fast"})
    slow = ScheduledJobFactory.create(simulation=simulation, job_type=ECHO, payload={"say": "slow"})

    summary = scheduled_jobs_run_due()

    assert summary.completed == 4
    results = [ScheduledJob.objects.get(pk=job.pk).result for job in fast]
    assert results == [{"echo": "fast", "path": "batch"}] * 3
    assert ScheduledJob.objects.get(pk=slow.pk).result == {"echo": "slow", "path": "one"}


@pytest.mark.parametrize(
    ("retryable", "status", "error"),
    [
        (True, JobStatus.PENDING, "Attempt 1 of 3 failed: the echo is gone."),
        (False, JobStatus.FAILED, "the echo is gone."),
    ],
)
def test_a_handler_failure_is_retried_or_failed_by_the_queue(
    registered: list[JobHandler], settings: Any, retryable: bool, status: str, error: str
) -> None:
    def failing(job: ScheduledJob, claim: str) -> None:
        raise JobFailed("the echo is gone.", retryable=retryable)

    settings.SIMCRM_RETRY_BASE_SECONDS = 60
    register(registered, JobHandler(job_type=ECHO, run=failing))
    job = ScheduledJobFactory.create(job_type=ECHO, payload={})

    scheduled_jobs_run_due()

    job.refresh_from_db()
    assert job.status == status
    assert job.last_error.startswith(error)
    if retryable:
        assert job.scheduled_for > timezone.now()


def test_an_unknown_job_type_fails_readably_instead_of_crashing() -> None:
    job = ScheduledJobFactory.create(job_type="MAKE_COFFEE", payload={})

    summary = scheduled_jobs_run_due()

    job.refresh_from_db()
    assert (summary.failed, job.status, job.attempts) == (1, JobStatus.FAILED, 1)
    assert "No handler is registered for job type 'MAKE_COFFEE'" in job.last_error
    job.simulation.refresh_from_db()
    assert job.simulation.status == SimulationStatus.COMPLETED


def test_a_job_type_cannot_get_a_second_handler(registered: list[JobHandler]) -> None:
    register(registered, JobHandler(job_type=ECHO, run=echo_run))

    with pytest.raises(RuntimeError, match="already has a handler"):
        job_handler_register(JobHandler(job_type=ECHO, run=lambda job, claim: None))
