"""A locked database (SQLite's "database is locked") is retried at once: no job waits for its claim to
time out, no attempt is used, and the log has one line, not a traceback.

The tests run on PostgreSQL, so the lock error is raised by a test job type; the quick-start test
(tests/test_quickstart_sqlite_load.py) runs the real SQLite under load.
"""

import logging
from collections.abc import Callable, Iterator
from datetime import timedelta
from typing import Any

import pytest
from django.db import OperationalError
from django.test import override_settings
from django.utils import timezone

from core.database import database_is_locked
from core.exceptions import exception_handler
from jobs import broker, tasks
from jobs.models import JobStatus, ScheduledJob
from jobs.registry import BatchOutcome, JobHandler, job_handler_register, job_handler_unregister
from jobs.runner import (
    JobOutcome,
    PassSummary,
    scheduled_job_completing,
    scheduled_job_run,
    scheduled_jobs_claim_due,
    scheduled_jobs_completing,
    scheduled_jobs_recover_stale,
    scheduled_jobs_run_due,
)
from tests.factories import ScheduledJobFactory, SimulationFactory

LOCKED = "TEST_LOCKED"


def _locked() -> OperationalError:
    return OperationalError("database is locked")


@pytest.fixture
def locked_once() -> Iterator[list[str]]:
    """A job type whose first run, and first batch, meet a locked database; `calls` records each try."""
    calls: list[str] = []

    def run(job: ScheduledJob, claim: str) -> None:
        calls.append("run")
        if calls.count("run") == 1:
            raise _locked()
        with scheduled_job_completing(job, claim) as completion:
            completion.result = {"path": "one"}

    def run_batch(jobs: list[ScheduledJob], claim: str) -> BatchOutcome:
        calls.append("batch")
        with scheduled_jobs_completing([job.pk for job in jobs], claim) as completion:
            if calls.count("batch") == 1:
                raise _locked()  # inside the transaction: nothing of it is kept
            for job in jobs:
                if job.pk in completion.still_ours and job.payload.get("fast"):
                    completion.results[job.pk] = {"path": "batch"}
        return completion.outcome()

    job_handler_register(JobHandler(job_type=LOCKED, run=run, run_batch=run_batch))
    yield calls
    job_handler_unregister(LOCKED)


def test_only_a_locked_database_counts_as_locked() -> None:
    assert database_is_locked(_locked())
    assert not database_is_locked(OperationalError("server closed the connection unexpectedly"))
    assert not database_is_locked(ValueError("database is locked"))


@pytest.mark.django_db
def test_a_batch_that_meets_a_locked_database_hands_its_jobs_straight_back(locked_once: list[str]) -> None:
    simulation = SimulationFactory.create()
    jobs = ScheduledJobFactory.create_batch(3, simulation=simulation, job_type=LOCKED, payload={"fast": True})

    with pytest.raises(OperationalError):
        scheduled_jobs_run_due()

    for job in jobs:
        job.refresh_from_db()
        assert (job.status, job.attempts, job.claimed_by, job.started_at) == (JobStatus.PENDING, 0, "", None)
    summary = scheduled_jobs_run_due()
    assert summary.completed == 3
    assert set(ScheduledJob.objects.filter(pk__in=[job.pk for job in jobs]).values_list("attempts", flat=True)) == {1}


@pytest.mark.django_db
def test_a_job_that_meets_a_locked_database_is_deferred_without_using_an_attempt(
    locked_once: list[str], caplog: pytest.LogCaptureFixture
) -> None:
    job = ScheduledJobFactory.create(job_type=LOCKED)
    claim, ids = scheduled_jobs_claim_due()
    assert ids == [job.pk]

    with caplog.at_level(logging.INFO):
        outcome = scheduled_job_run(job_id=job.pk, claim=claim)

    assert outcome == JobOutcome.DEFERRED
    job.refresh_from_db()
    assert (job.status, job.attempts, job.claimed_by) == (JobStatus.PENDING, 0, "")
    assert timezone.now() < job.scheduled_for <= timezone.now() + timedelta(seconds=1)
    assert "busy" in job.last_error
    assert not [record for record in caplog.records if record.levelno >= logging.ERROR or record.exc_info]


@pytest.mark.django_db(transaction=True)
def test_the_pump_logs_a_locked_database_in_one_line_and_runs_the_jobs(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    job = ScheduledJobFactory.create()
    real_run_due: Callable[..., PassSummary] = tasks.scheduled_jobs_run_due
    tries: list[int] = []

    def locked_then_real(**kwargs: Any) -> PassSummary:
        tries.append(1)
        if len(tries) == 1:
            raise _locked()
        return real_run_due(**kwargs)

    monkeypatch.setattr(tasks, "scheduled_jobs_run_due", locked_then_real)
    monkeypatch.setattr(tasks, "IDLE_PUMP_SECONDS", 0.2)
    with caplog.at_level(logging.INFO, logger="jobs"):
        tasks.dispatch()

    job.refresh_from_db()
    assert job.status == JobStatus.COMPLETED
    busy = [record for record in caplog.records if "stayed busy" in record.getMessage()]
    assert len(busy) == 1 and busy[0].levelno == logging.WARNING
    assert "database is locked" not in caplog.text
    assert not [record for record in caplog.records if record.exc_info]


@pytest.mark.django_db(transaction=True)
def test_the_dispatcher_logs_a_locked_database_in_one_line_and_looks_again(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    ScheduledJobFactory.create()
    real_take = broker.DispatchBroker._take
    tries: list[int] = []

    def locked_then_real(self: broker.DispatchBroker) -> list[tuple[Any, Any]]:
        tries.append(1)
        if len(tries) == 1:
            raise _locked()
        return real_take(self)

    monkeypatch.setattr(broker.DispatchBroker, "_take", locked_then_real)
    dispatcher = broker.DispatchBroker(list_key="simcrm")
    with caplog.at_level(logging.INFO, logger="jobs"):
        assert dispatcher.dequeue() is None  # met the lock
        assert dispatcher.dequeue() is None  # queued a pump for the due job
        taken = dispatcher.dequeue()

    assert taken is not None and len(taken) == 1
    busy = [record for record in caplog.records if "stayed busy" in record.getMessage()]
    assert len(busy) == 1 and busy[0].levelno == logging.WARNING
    assert "lost its database connection" not in caplog.text
    assert not [record for record in caplog.records if record.exc_info]


@pytest.mark.django_db
@override_settings(SIMCRM_JOB_TIMEOUT_SECONDS=60)
def test_recovery_says_the_claim_timed_out_not_that_the_worker_stopped() -> None:
    job = ScheduledJobFactory.create(
        status=JobStatus.PROCESSING, attempts=1, started_at=timezone.now() - timedelta(seconds=61), claimed_by="x"
    )
    assert scheduled_jobs_recover_stale() == 1
    job.refresh_from_db()
    assert job.status == JobStatus.PENDING
    assert "Its claim timed out: still processing after SIMCRM_JOB_TIMEOUT_SECONDS=60 s." in job.last_error
    assert "worker stopped" not in job.last_error


def test_a_web_request_that_meets_a_locked_database_answers_503_saying_to_try_again() -> None:
    response = exception_handler(_locked(), {})

    assert response is not None
    assert response.status_code == 503
    assert response["Retry-After"] == "2"
    assert "Try again in a moment" in response.data["detail"]
    assert exception_handler(OperationalError("server closed the connection unexpectedly"), {}) is None
