"""Planned simulations: turning a schedule of up to a million records into jobs, a window at a time.

Creating a simulation plans its first records in the same transaction; the worker's planner pass
tops each running simulation up as its jobs finish, so a simulation never has more than
MAX_LIVE_JOBS pending or processing job rows, however large `total_records` is.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import lru_cache

import numpy as np
import numpy.typing as npt
from django.db import transaction
from django.db.models import F

from jobs.models import ScheduledJob
from simulations.curves import Plan, schedule_offsets
from simulations.job_types import JobType
from simulations.lifecycle import UNFINISHED
from simulations.models import Simulation, SimulationStatus

# The contract's bound on live job rows per simulation.
MAX_LIVE_JOBS = 10_000
# Planned at create: enough to start at once, small enough that a huge create answers quickly.
FIRST_WINDOW = 1_000
# The planner tops a simulation up once fewer than this many of its jobs are alive.
TOP_UP_BELOW = MAX_LIVE_JOBS // 2


@dataclass(frozen=True)
class PlanSettings:
    total_records: int
    starts_at: datetime
    ends_at: datetime
    distribution: str
    curve_weights: tuple[float, ...] | None
    timezone: str
    seed: int

    def plan(self) -> Plan:
        return Plan(
            total_records=self.total_records,
            starts_at=self.starts_at,
            ends_at=self.ends_at,
            distribution=self.distribution,
            curve_weights=self.curve_weights,
            timezone=self.timezone,
            seed=self.seed,
        )


def plan_settings_of(simulation: Simulation) -> PlanSettings:
    """A planned simulation's schedule settings, as stored."""
    assert simulation.total_records is not None and simulation.starts_at and simulation.ends_at
    weights = simulation.curve_weights
    return PlanSettings(
        total_records=simulation.total_records,
        starts_at=simulation.starts_at,
        ends_at=simulation.ends_at,
        distribution=simulation.distribution or "uniform",
        curve_weights=tuple(float(weight) for weight in weights) if weights is not None else None,
        timezone=simulation.timezone or "UTC",
        seed=simulation.seed,
    )


def simulation_plan(simulation: Simulation) -> Plan:
    """The schedule of a planned simulation, as the pure schedule function takes it."""
    return plan_settings_of(simulation).plan()


@lru_cache(maxsize=8)
def _offsets(plan: Plan) -> npt.NDArray[np.int64]:
    # A top-up needs a slice of the whole schedule; recomputing a million instants costs ~0.1 s.
    offsets = schedule_offsets(plan)
    offsets.setflags(write=False)
    return offsets


def records_plan_next(*, simulation: Simulation, limit: int = MAX_LIVE_JOBS) -> int:
    """Make jobs for the simulation's next records, keeping at most MAX_LIVE_JOBS alive; return how many.

    The caller holds the simulation's row lock (create holds it by inserting the row), so two
    planners never plan the same records.
    """
    if simulation.total_records is None:
        return 0
    live = ScheduledJob.objects.filter(simulation_id=simulation.pk, status__in=UNFINISHED).count()
    start = simulation.planned_records
    count = min(limit, MAX_LIVE_JOBS - live, simulation.total_records - start)
    if count <= 0:
        return 0
    plan = simulation_plan(simulation)
    offsets = _offsets(plan)[start : start + count]
    ScheduledJob.objects.bulk_create(
        (
            ScheduledJob(
                simulation_id=simulation.pk,
                job_type=JobType.CREATE_CONTACT,
                payload={"index": start + position, "at": instant.isoformat()},
                scheduled_for=instant,
            )
            for position, instant in enumerate(
                plan.starts_at + timedelta(microseconds=int(offset)) for offset in offsets
            )
        ),
        batch_size=2_000,
    )
    Simulation.objects.filter(pk=simulation.pk).update(planned_records=F("planned_records") + count)
    simulation.planned_records = start + count
    return count


def simulations_plan_due() -> int:
    """The planner pass: top up every running planned simulation that is running low; return jobs made.

    Cheap when there is nothing to do (one indexed query). Each simulation is planned under its row
    lock, skipped when another worker holds it.
    """
    candidates = list(
        Simulation.objects.filter(
            status=SimulationStatus.RUNNING, total_records__isnull=False, planned_records__lt=F("total_records")
        )
        .order_by("id")
        .values_list("id", flat=True)[:100]
    )
    planned = 0
    for simulation_id in candidates:
        live = ScheduledJob.objects.filter(simulation_id=simulation_id, status__in=UNFINISHED).count()
        if live >= TOP_UP_BELOW:
            continue
        with transaction.atomic():
            simulation = (
                Simulation.objects.select_for_update(skip_locked=True)
                .filter(pk=simulation_id, status=SimulationStatus.RUNNING)
                .first()
            )
            if simulation is not None:
                planned += records_plan_next(simulation=simulation)
    return planned
