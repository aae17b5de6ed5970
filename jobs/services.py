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
        job.transition_to(JobStatus.PENDING)
        job.scheduled_for = timezone.now()
        job.attempts = 0
        job.last_error = ""
        job.started_at = None
        job.finished_at = None
        job.claimed_by = ""
        job.save()
    transaction.on_commit(worker_wake, robust=True)
    return job


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
