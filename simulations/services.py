from django.contrib.auth.models import User
from django.db import transaction
from django.utils import timezone

from jobs.models import JobStatus
from jobs.services import scheduled_jobs_create_for_simulation
from jobs.tasks import worker_wake
from simcrm_project.errors import ConflictError
from simulations.models import RecordFrequency, Simulation, SimulationStatus


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
    scheduled_jobs_create_for_simulation(simulation=simulation)
    transaction.on_commit(worker_wake, robust=True)
    return simulation


def _simulation_set_status(*, simulation_id: int, status: str) -> Simulation:
    with transaction.atomic():
        simulation = Simulation.objects.select_for_update().get(pk=simulation_id)
        # The model lets a retried job revive a completed simulation, but resume has nothing to revive.
        if status == SimulationStatus.RUNNING and simulation.status == SimulationStatus.COMPLETED:
            raise ConflictError("A completed simulation has no jobs left to resume.")
        simulation.transition_to(status)
        unfinished = simulation.jobs.filter(status__in=[JobStatus.PENDING, JobStatus.PROCESSING]).exists()
        if status == SimulationStatus.RUNNING and not unfinished:
            # Its last jobs finished while it was paused, and the runner completes only running simulations.
            simulation.transition_to(SimulationStatus.COMPLETED)
        simulation.save(update_fields=["status", "updated_at"])
        if status == SimulationStatus.CANCELLED:
            simulation.jobs.filter(status=JobStatus.PENDING).update(
                status=JobStatus.CANCELLED, finished_at=timezone.now()
            )
    return simulation


def simulation_pause(*, simulation: Simulation) -> Simulation:
    """Stop claiming the simulation's jobs; jobs already running finish."""
    return _simulation_set_status(simulation_id=simulation.pk, status=SimulationStatus.PAUSED)


def simulation_resume(*, simulation: Simulation) -> Simulation:
    """Claim the simulation's jobs again; any that fell due while paused run at once."""
    resumed = _simulation_set_status(simulation_id=simulation.pk, status=SimulationStatus.RUNNING)
    transaction.on_commit(worker_wake, robust=True)
    return resumed


def simulation_cancel(*, simulation: Simulation) -> Simulation:
    """Cancel the simulation and mark its pending jobs cancelled."""
    return _simulation_set_status(simulation_id=simulation.pk, status=SimulationStatus.CANCELLED)
