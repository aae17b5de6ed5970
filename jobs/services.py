from django.db import transaction
from django.utils import timezone

from jobs.models import JobStatus, JobType, ScheduledJob
from jobs.runner import simulations_complete_finished
from jobs.scheduling import job_due_times
from jobs.tasks import worker_wake
from simcrm_project.errors import ConflictError
from simulations.models import FREQUENCY_MINUTES, Simulation, SimulationStatus


def scheduled_jobs_create_for_simulation(*, simulation: Simulation) -> list[ScheduledJob]:
    """Schedule the simulation's CREATE_CONTACT jobs by the design's rule; job 0 is due at once."""
    due_times = job_due_times(start=timezone.now(), frequency_minutes=FREQUENCY_MINUTES[simulation.record_frequency])
    return ScheduledJob.objects.bulk_create(
        ScheduledJob(
            simulation=simulation,
            job_type=JobType.CREATE_CONTACT,
            payload={"index": index, "theme": simulation.theme, "industry": simulation.industry},
            scheduled_for=due,
        )
        for index, due in enumerate(due_times)
    )


def scheduled_job_retry(*, job: ScheduledJob) -> ScheduledJob:
    """Put a failed job back to pending, due now, with a fresh set of attempts."""
    with transaction.atomic():
        job = ScheduledJob.objects.select_for_update().get(pk=job.pk)
        if job.status != JobStatus.FAILED:
            raise ConflictError(f"Only failed jobs can be retried; this job is {job.status}.")
        simulation = Simulation.objects.select_for_update().get(pk=job.simulation_id)
        if simulation.status == SimulationStatus.CANCELLED:
            raise ConflictError("The simulation is cancelled; resume is not possible, so its jobs cannot be retried.")
        simulation.transition_to(
            SimulationStatus.RUNNING if simulation.status == SimulationStatus.COMPLETED else simulation.status
        )
        simulation.save(update_fields=["status", "updated_at"])
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
        job = ScheduledJob.objects.select_for_update().get(pk=job.pk)
        if job.status not in (JobStatus.PENDING, JobStatus.FAILED):
            # A processing job belongs to its worker; it is cancelled only with its simulation.
            raise ConflictError(f"Only pending or failed jobs can be cancelled; this job is {job.status}.")
        job.transition_to(JobStatus.CANCELLED)
        job.finished_at = timezone.now()
        job.save(update_fields=["status", "finished_at"])
    simulations_complete_finished(simulation_ids={job.simulation_id})
    return job
