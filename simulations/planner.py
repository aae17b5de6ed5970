"""Planned simulations: turning a timeline of up to a million records and their stage moves into jobs,
a window at a time.

Creating a simulation plans its first records in the same transaction; the worker's planner pass
tops each running simulation up as its jobs finish, so a simulation never has more than
MAX_LIVE_JOBS pending or processing job rows, however large `total_records` is.
"""

from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any

import numpy as np
from django.db import transaction
from django.db.models import F

from jobs.models import ScheduledJob
from jobs.tasks import worker_wake
from simulations.curves import Plan
from simulations.funnel import CrmSettings, Timeline, timeline_slice
from simulations.kinds import EntryJob, record_step_codes, timeline_step
from simulations.lifecycle import UNFINISHED
from simulations.models import Simulation, SimulationStatus

# The contract's bound on live job rows per simulation.
MAX_LIVE_JOBS = 10_000
# Planned at create: enough to start at once, small enough that a huge create answers quickly.
FIRST_WINDOW = 1_000
# The planner tops a simulation up once fewer than this many of its jobs are alive.
TOP_UP_BELOW = MAX_LIVE_JOBS // 2


def simulation_plan(simulation: Simulation) -> Plan:
    """A planned simulation's schedule, as stored: what the pure schedule and timeline functions take."""
    assert simulation.total_records is not None and simulation.starts_at and simulation.ends_at
    weights = simulation.curve_weights
    return Plan(
        total_records=simulation.total_records,
        starts_at=simulation.starts_at,
        ends_at=simulation.ends_at,
        distribution=simulation.distribution or "uniform",
        curve_weights=tuple(float(weight) for weight in weights) if weights is not None else None,
        timezone=simulation.timezone or "UTC",
        seed=simulation.seed,
        timeline_version=simulation.timeline_version,
    )


def crm_settings_of(simulation: Simulation) -> CrmSettings:
    """A planned simulation's CRM settings, as stored."""
    return CrmSettings(
        scenario=simulation.scenario,
        contacts_per_company=simulation.contacts_per_company,
        deal_rate=simulation.deal_rate,
        win_rate=simulation.win_rate,
        sales_cycle_days=simulation.sales_cycle_days,
        activity_level=simulation.activity_level,
    )


def records_plan_next(*, simulation: Simulation, limit: int = MAX_LIVE_JOBS) -> int:
    """Make jobs for the simulation's next timeline entries, keeping at most MAX_LIVE_JOBS alive; return how many.

    The caller holds the simulation's row lock (create holds it by inserting the row), so two
    planners never plan the same entries.
    """
    if simulation.total_records is None or simulation.plan_finished:
        return 0
    live = ScheduledJob.objects.filter(simulation_id=simulation.pk, status__in=UNFINISHED).count()
    count = min(limit, MAX_LIVE_JOBS - live)
    if count <= 0:
        return 0
    plan = simulation_plan(simulation)
    crm = crm_settings_of(simulation)
    start = simulation.planned_entries
    entries = timeline_slice(plan, crm, start=start, count=count)
    jobs = [
        ScheduledJob(simulation_id=simulation.pk, job_type=job_type, payload=payload, scheduled_for=instant)
        for job_type, payload, instant in timeline_jobs(entries, plan=plan, industry=simulation.industry)
    ]
    ScheduledJob.objects.bulk_create(jobs, batch_size=2_000)
    worker_wake()  # at the commit
    contacts = int(np.count_nonzero(np.isin(entries.step, record_step_codes())))
    # A head computed from the first records alone leaves records unplanned, so it never finishes the plan.
    finished = entries.total is not None and start + len(entries) >= entries.total
    Simulation.objects.filter(pk=simulation.pk).update(
        planned_entries=F("planned_entries") + len(entries),
        planned_records=F("planned_records") + contacts,
        plan_finished=finished,
    )
    simulation.planned_entries = start + len(entries)
    simulation.planned_records += contacts
    simulation.plan_finished = finished
    return len(entries)


def timeline_jobs(entries: Timeline, *, plan: Plan, industry: str) -> Iterator[tuple[str, dict[str, Any], datetime]]:
    """(job type, payload, due instant) of each timeline entry, as its kind's step says: the payload
    says all its handler needs."""
    for offset, code, index_ in zip(entries.at.tolist(), entries.step.tolist(), entries.index.tolist(), strict=True):
        instant = plan.starts_at + timedelta(microseconds=offset)
        job_type, payload = timeline_step(code).job(
            EntryJob(index=index_, instant=instant, facts=entries.facts, plan=plan, industry=industry)
        )
        yield job_type, payload, instant


def simulations_plan_due() -> int:
    """The planner pass: top up every running planned simulation that is running low; return jobs made.

    Cheap when there is nothing to do (one indexed query). Each simulation is planned under its row
    lock, skipped when another worker holds it.
    """
    candidates = list(
        Simulation.objects.filter(status=SimulationStatus.RUNNING, total_records__isnull=False, plan_finished=False)
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
