"""What staff and users do to jobs: retry, cancel, purge. Each takes the simulation's lock first."""

from collections.abc import Iterable

from django.db import transaction
from django.utils import timezone

from core.errors import ConflictError
from jobs.models import JobStatus, ScheduledJob
from jobs.registry import owner_lifecycle
from jobs.tasks import worker_wake


def scheduled_job_retry(*, job: ScheduledJob) -> ScheduledJob:
    """Put a failed job back to pending, due now, with a fresh set of attempts; revive its simulation."""
    with transaction.atomic():
        owner_lifecycle().lock(job.simulation_id)
        job = ScheduledJob.objects.select_for_update().get(pk=job.pk)
        if job.status != JobStatus.FAILED:
            raise ConflictError(f"Only failed jobs can be retried; this job is {job.status}.")
        owner_lifecycle().revive(job.simulation_id)
        _jobs_reset_for_retry([job.pk])
    transaction.on_commit(worker_wake, robust=True)
    job.refresh_from_db()
    return job


def scheduled_jobs_retry_failed(*, simulation_id: int) -> int:
    """Retry every failed job of a simulation at once; return how many."""
    with transaction.atomic():
        owner_lifecycle().lock(simulation_id)
        failed = list(
            ScheduledJob.objects.select_for_update()
            .filter(simulation_id=simulation_id, status=JobStatus.FAILED)
            .order_by("id")
            .values_list("id", flat=True)
        )
        if not failed:
            raise ConflictError("This simulation has no failed jobs to retry.")
        owner_lifecycle().revive(simulation_id)
        _jobs_reset_for_retry(failed)
    transaction.on_commit(worker_wake, robust=True)
    return len(failed)


def _jobs_reset_for_retry(job_ids: list[int]) -> None:
    """Failed jobs back to pending, due now, with a fresh set of attempts (failed -> pending is allowed)."""
    ScheduledJob.objects.filter(pk__in=job_ids, status=JobStatus.FAILED).update(
        status=JobStatus.PENDING,
        scheduled_for=timezone.now(),
        attempts=0,
        last_error="",
        started_at=None,
        finished_at=None,
        claimed_by="",
    )


def scheduled_job_cancel(*, job: ScheduledJob) -> ScheduledJob:
    """Cancel one pending or failed job."""
    with transaction.atomic():
        owner_lifecycle().lock(job.simulation_id)
        job = ScheduledJob.objects.select_for_update().get(pk=job.pk)
        if job.status not in (JobStatus.PENDING, JobStatus.FAILED):
            # A processing job belongs to its worker; it is cancelled only with its simulation.
            raise ConflictError(f"Only pending or failed jobs can be cancelled; this job is {job.status}.")
        job.transition_to(JobStatus.CANCELLED)
        job.finished_at = timezone.now()
        job.save(update_fields=["status", "finished_at"])
    owner_lifecycle().jobs_finished({job.simulation_id})
    return job


def scheduled_jobs_purge(*, job_ids: Iterable[int]) -> int:
    """Delete jobs for good; a simulation whose last unfinished jobs are purged is finished."""
    jobs = ScheduledJob.objects.filter(pk__in=list(job_ids))
    simulation_ids = set(jobs.values_list("simulation_id", flat=True))
    _, deleted = jobs.delete()
    owner_lifecycle().jobs_finished(simulation_ids)
    return deleted.get(ScheduledJob._meta.label, 0)
