"""The one place a simulation's status changes: pause, resume, cancel, complete, and revive by a retry.

Lock order, as everywhere in SimCRM: the simulation row, then its job rows.
"""

from django.db import transaction
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils import timezone

from core.errors import ConflictError
from jobs.models import JobStatus, ScheduledJob
from jobs.registry import OwnerLifecycle, job_types_independent_of_owner
from jobs.tasks import worker_wake
from simulations.models import Simulation, SimulationStatus

UNFINISHED = (JobStatus.PENDING, JobStatus.PROCESSING)


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


def _simulation_set_status(*, simulation_id: int, status: str) -> Simulation:
    with transaction.atomic():
        simulation = Simulation.objects.select_for_update().get(pk=simulation_id)
        # The model lets a retried job revive a completed simulation, but resume has nothing to revive.
        if status == SimulationStatus.RUNNING and simulation.status == SimulationStatus.COMPLETED:
            raise ConflictError("A completed simulation has no jobs left to resume.")
        simulation.transition_to(status)
        unfinished = _own_jobs(simulation.pk).filter(status__in=UNFINISHED).exists() or _records_left_to_plan(
            simulation
        )
        if status == SimulationStatus.RUNNING and not unfinished:
            # Its last jobs finished while it was paused, and only running simulations are completed.
            simulation.transition_to(SimulationStatus.COMPLETED)
        simulation.save(update_fields=["status", "updated_at"])
        if status == SimulationStatus.CANCELLED:
            _own_jobs(simulation.pk).filter(status=JobStatus.PENDING).update(
                status=JobStatus.CANCELLED, finished_at=timezone.now()
            )
    return simulation


def simulations_complete_finished(*, simulation_ids: set[int]) -> int:
    """Running simulations whose jobs have all finished, and that have nothing left to plan, become completed.

    Called after the caller's own commit, so the last worker to finish a simulation's jobs always
    sees every other worker's finished jobs; one set-based statement, no lock needed.
    """
    if not simulation_ids:
        return 0
    unfinished = ScheduledJob.objects.filter(simulation_id=OuterRef("pk"), status__in=UNFINISHED).exclude(
        job_type__in=job_types_independent_of_owner()
    )
    return (
        Simulation.objects.filter(pk__in=simulation_ids, status=SimulationStatus.RUNNING)
        .exclude(Exists(unfinished))
        .exclude(total_records__isnull=False, plan_finished=False)
        .update(status=SimulationStatus.COMPLETED, updated_at=timezone.now())
    )


def _own_jobs(simulation_id: int) -> QuerySet[ScheduledJob]:
    """The simulation's jobs that its status governs (deliveries of what it made go on regardless)."""
    return ScheduledJob.objects.filter(simulation_id=simulation_id).exclude(
        job_type__in=job_types_independent_of_owner()
    )


def _records_left_to_plan(simulation: Simulation) -> bool:
    return simulation.total_records is not None and not simulation.plan_finished


def simulation_lock(*, simulation_id: int) -> None:
    """Lock the simulation row until the transaction ends (no-key: its jobs' inserts need not wait)."""
    Simulation.objects.select_for_update(no_key=True).filter(pk=simulation_id).values_list("id").first()


def simulation_revive_for_retry(*, simulation_id: int) -> None:
    """A failed job of this simulation is retried: a completed simulation runs again; a cancelled one refuses.

    The caller holds the simulation's lock.
    """
    simulation = Simulation.objects.get(pk=simulation_id)
    if simulation.status == SimulationStatus.CANCELLED:
        raise ConflictError("The simulation is cancelled; resume is not possible, so its jobs cannot be retried.")
    if simulation.status == SimulationStatus.COMPLETED:
        simulation.transition_to(SimulationStatus.RUNNING)
        simulation.save(update_fields=["status", "updated_at"])


def simulation_is_cancelled(*, simulation_id: int) -> bool:
    return Simulation.objects.filter(pk=simulation_id, status=SimulationStatus.CANCELLED).exists()


def jobs_runnable() -> Q:
    """Jobs whose simulation lets them run: a running simulation's jobs, and deliveries whatever its status."""
    return Q(simulation__status=SimulationStatus.RUNNING) | Q(job_type__in=job_types_independent_of_owner())


JOB_QUEUE_LIFECYCLE = OwnerLifecycle(
    runnable=jobs_runnable,
    lock=lambda simulation_id: simulation_lock(simulation_id=simulation_id),
    is_cancelled=lambda simulation_id: simulation_is_cancelled(simulation_id=simulation_id),
    revive=lambda simulation_id: simulation_revive_for_retry(simulation_id=simulation_id),
    jobs_finished=lambda simulation_ids: simulations_complete_finished(simulation_ids=simulation_ids),
)
