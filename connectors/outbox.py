"""The outbox: a record of a connected simulation that is created or changed is marked `pending`
in the same transaction, and a SYNC_CRM job is queued for its simulation unless one is waiting already.
One job delivers everything its simulation has pending: records of every type, then their associations."""

from datetime import timedelta
from typing import Any

from django.db.models import F, Model
from django.utils import timezone

from connectors.models import SimulationConnection
from jobs.models import JobStatus, ScheduledJob
from jobs.tasks import worker_wake
from simulations.job_types import JobType
from simulations.models import SyncStatus

# A first delivery waits this long, so the records of the next moments ride in the same batch.
GATHER = timedelta(seconds=1)
# Deliveries are claimed before other due jobs, so they keep pace with a backfill instead of waiting for its end.
DELIVERY_PRIORITY = 1


def records_enqueue(model: type[Model], ids: list[int]) -> None:
    """Mark these records pending if their simulation has a connection, and make sure a delivery is queued."""
    records: Any = model._default_manager  # a delivered kind's (simulations.kinds): it has the Delivered fields
    marked = records.filter(pk__in=ids, simulation__connection_link__isnull=False)
    simulation_ids = set(marked.order_by().values_list("simulation_id", flat=True).distinct())
    if not simulation_ids:
        return
    marked.update(sync_status=SyncStatus.PENDING, sync_error="", sync_version=F("sync_version") + 1)
    for simulation_id in sorted(simulation_ids):
        delivery_queue(simulation_id=simulation_id)


def delivery_queue(*, simulation_id: int, delay: timedelta = GATHER) -> None:
    """A SYNC_CRM job for this simulation's pending records, unless one is already waiting to run."""
    waiting = ScheduledJob.objects.filter(
        simulation_id=simulation_id, job_type=JobType.SYNC_CRM, status=JobStatus.PENDING
    )
    if not waiting.exists():
        ScheduledJob.objects.create(
            simulation_id=simulation_id,
            job_type=JobType.SYNC_CRM,
            payload={},
            scheduled_for=timezone.now() + delay,
            priority=DELIVERY_PRIORITY,
        )
        worker_wake()  # at the commit


def deliveries_requeue(*, connection_id: int) -> int:
    """Queue a delivery for every simulation of this connection (what is pending, and associations not made)."""
    links = SimulationConnection.objects.filter(connection_id=connection_id)
    simulation_ids = list(links.values_list("simulation_id", flat=True))
    for simulation_id in sorted(simulation_ids):
        delivery_queue(simulation_id=simulation_id, delay=timedelta(0))
    return len(simulation_ids)
