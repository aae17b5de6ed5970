from django.contrib.auth.models import User
from django.db import transaction
from django.utils import timezone

from jobs.models import ScheduledJob
from jobs.tasks import worker_wake
from simulations.job_types import JobType
from simulations.models import FREQUENCY_MINUTES, RecordFrequency, Simulation
from simulations.schedule import job_due_times


@transaction.atomic
def simulation_create(
    *,
    owner: User,
    theme: str,
    industry: str,
    record_frequency: str = RecordFrequency.HOURLY,
    name: str = "",
) -> Simulation:
    """Create a simulation and its jobs in one transaction: either all exist or none."""
    simulation = Simulation.objects.create(
        owner=owner, theme=theme, industry=industry, record_frequency=record_frequency, name=name
    )
    contact_jobs_schedule(simulation=simulation)
    transaction.on_commit(worker_wake, robust=True)
    return simulation


def contact_jobs_schedule(*, simulation: Simulation) -> list[ScheduledJob]:
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


def simulation_rename(*, simulation: Simulation, name: str) -> Simulation:
    Simulation.objects.filter(pk=simulation.pk).update(name=name, updated_at=timezone.now())
    simulation.refresh_from_db()
    return simulation


def simulation_delete(*, simulation: Simulation) -> None:
    """Remove the simulation with its jobs and records from SimCRM (never from a connected CRM).

    The simulation is locked first, as everywhere; a worker still running one of its jobs then
    finds the job gone and drops its work.
    """
    with transaction.atomic():
        locked = Simulation.objects.select_for_update().filter(pk=simulation.pk).first()
        if locked is not None:
            locked.delete()
